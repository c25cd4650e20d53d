//! Alerts: one format for check findings and rule matches, packed into SNS-sized notifications.

pub mod deliver;
pub mod ocsf;
pub mod sns;
pub mod topic;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::region::is_region;
use crate::severity::Severity;

/// SNS's message limit; notifications stay under it with headroom for attributes.
pub const MAX_MESSAGE_BYTES: usize = 262_144;
const BODY_BUDGET: usize = 240_000;
/// Alerts listed in one notification at most, so each stays readable.
pub const MAX_ALERTS_PER_MESSAGE: usize = 50;

/// Who did what, when and where: the key fields of the event behind an alert.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSummary {
    pub event_id: String,
    pub event_time: String,
    pub event_name: String,
    pub event_source: String,
    pub principal: String,
    pub principal_type: String,
    pub source_ip: String,
    pub region: String,
    pub account: String,
}

impl EventSummary {
    /// The key fields of a CloudTrail record.
    pub fn from_cloudtrail(e: &serde_json::Value) -> Self {
        let s = |pointer: &str| {
            e.pointer(pointer)
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Self {
            event_id: s("/eventID"),
            event_time: s("/eventTime"),
            event_name: s("/eventName"),
            event_source: s("/eventSource"),
            principal: s("/userIdentity/arn"),
            principal_type: s("/userIdentity/type"),
            source_ip: s("/sourceIPAddress"),
            region: s("/awsRegion"),
            account: {
                let r = s("/recipientAccountId");
                if r.is_empty() {
                    s("/userIdentity/accountId")
                } else {
                    r
                }
            },
        }
    }
}

/// Where an alert came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A scheduled compliance check (Lake query).
    Check,
    /// A detection rule (LookupEvents or EventBridge).
    Rule,
}

/// One finding about one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Deterministic: the same rule and event always give the same id, so overlapping runs
    /// can be deduplicated downstream.
    pub id: String,
    pub origin: Origin,
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub event: EventSummary,
    pub console_link: String,
    /// Rule author attribution (required by the Sigma rules' licence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The rule's tags: ATT&CK tactics and techniques (`attack.persistence`, `attack.t1098`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// What raises alerts: a detection rule or a check, with what a SOC routes them by.
#[derive(Debug, Clone, Copy)]
pub struct Raiser<'a> {
    pub origin: Origin,
    pub id: &'a str,
    pub title: &'a str,
    pub severity: Severity,
    pub author: Option<&'a str>,
    pub tags: &'a [String],
}

/// The deterministic alert id for `(rule, event)`.
pub fn alert_id(rule_id: &str, event_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0]);
    h.update(event_id.as_bytes());
    lower_hex(&h.finalize()[..16])
}

/// `bytes` in lower-case hex, as `hex::encode` writes them, one allocation (every finding of a
/// collect gets an id).
fn lower_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        push_hex(&mut s, *b, b"0123456789abcdef");
    }
    s
}

/// Appends byte `b` as two hex digits from `digits`.
fn push_hex(out: &mut String, b: u8, digits: &[u8; 16]) {
    out.push(char::from(digits[usize::from(b >> 4)]));
    out.push(char::from(digits[usize::from(b & 15)]));
}

/// The CloudTrail console page of an event. The region becomes part of the host name, so only
/// a real region name is used (else us-east-1's console), and the event id is percent-encoded.
pub fn console_link(region: &str, event_id: &str) -> String {
    let region = if is_region(region) {
        region
    } else {
        "us-east-1"
    };
    let mut link = format!(
        "https://{region}.console.aws.amazon.com/cloudtrailv2/home?region={region}#/events/"
    );
    for b in event_id.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' {
            link.push(char::from(b));
        } else {
            link.push('%');
            push_hex(&mut link, b, b"0123456789ABCDEF");
        }
    }
    link
}

impl Alert {
    /// An alert for `event` raised by `by`.
    pub fn new(by: &Raiser<'_>, event: EventSummary) -> Self {
        Self {
            id: alert_id(by.id, &event.event_id),
            console_link: console_link(&event.region, &event.event_id),
            origin: by.origin,
            rule_id: by.id.to_string(),
            title: by.title.to_string(),
            severity: by.severity,
            event,
            author: by.author.map(str::to_string),
            tags: by.tags.to_vec(),
        }
    }
}

/// What a notification's message holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// trailwatch's JSON: the alerts of one rule, up to [`MAX_ALERTS_PER_MESSAGE`] a message.
    #[default]
    Trailwatch,
    /// One OCSF Detection Finding a message ([`ocsf`]).
    Ocsf,
}

impl Format {
    /// `trailwatch` or `ocsf`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "trailwatch" => Some(Self::Trailwatch),
            "ocsf" => Some(Self::Ocsf),
            _ => None,
        }
    }
}

/// One SNS publish: subject, JSON body and filterable attributes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    pub subject: String,
    pub message: String,
    /// `severity`, `rule_id`, `account`, `origin` and, for a rule with ATT&CK tags, `attack`:
    /// for subscription filter policies.
    pub attributes: Vec<Attribute>,
    /// For FIFO topics: the same alerts give the same id.
    pub deduplication_id: String,
    pub group_id: String,
    /// The ids of the alerts it carries (what the ledger marks sent once it is out).
    pub alert_ids: Vec<String>,
}

/// One SNS message attribute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribute {
    pub name: String,
    /// `String`, or `String.Array` (a JSON array of strings, which filter policies match by
    /// element).
    pub data_type: &'static str,
    pub value: String,
}

impl Attribute {
    fn string(name: &str, value: impl Into<String>) -> Self {
        Self {
            name: name.to_string(),
            data_type: "String",
            value: value.into(),
        }
    }
}

impl Notification {
    /// What SNS counts against its limits: the message and every attribute's name, data type
    /// and value, in UTF-8 bytes.
    pub fn sns_size(&self) -> usize {
        self.message.len()
            + self
                .attributes
                .iter()
                .map(|a| a.name.len() + a.data_type.len() + a.value.len())
                .sum::<usize>()
    }

    /// The value of attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }
}

/// At most this many entries in one PublishBatch request.
pub const MAX_BATCH_ENTRIES: usize = 10;

/// Splits notifications, in order, into PublishBatch requests SNS accepts: at most
/// [`MAX_BATCH_ENTRIES`] entries and [`MAX_MESSAGE_BYTES`] bytes in all (messages and
/// attributes). Each request takes as many as fit, which for an order kept is the fewest
/// requests.
pub fn batches(notifications: &[Notification]) -> Vec<&[Notification]> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < notifications.len() {
        let mut end = start;
        let mut bytes = 0usize;
        while end < notifications.len() && end - start < MAX_BATCH_ENTRIES {
            let next = bytes.saturating_add(notifications[end].sns_size());
            // A notification alone always goes: pack() keeps each under the limit.
            if next > MAX_MESSAGE_BYTES && end > start {
                break;
            }
            bytes = next;
            end += 1;
        }
        out.push(&notifications[start..end]);
        start = end;
    }
    out
}

#[derive(Serialize)]
struct Body<'a> {
    rule_id: &'a str,
    title: &'a str,
    severity: Severity,
    origin: Origin,
    /// Alerts in this message.
    count: usize,
    /// Alerts for this rule in the whole run; `count < total` when they span several messages.
    total: usize,
    part: usize,
    parts: usize,
    /// Each alert serialised once, when the message is sized.
    alerts: &'a [Box<RawValue>],
}

/// The filterable attributes of a message about `first`'s rule.
fn attributes(first: &Alert) -> Result<Vec<Attribute>> {
    let account = if first.event.account.is_empty() {
        "unknown"
    } else {
        first.event.account.as_str()
    };
    let origin = match first.origin {
        Origin::Check => "check",
        Origin::Rule => "rule",
    };
    let mut out = vec![
        Attribute::string("severity", first.severity.as_str()),
        Attribute::string("rule_id", first.rule_id.clone()),
        Attribute::string("account", account),
        Attribute::string("origin", origin),
    ];
    let attack: Vec<&str> = first
        .tags
        .iter()
        .map(String::as_str)
        .filter(|t| t.starts_with("attack."))
        .collect();
    if !attack.is_empty() {
        out.push(Attribute {
            name: "attack".into(),
            data_type: "String.Array",
            value: serde_json::to_string(&attack)
                .map_err(|e| crate::Error::Publish(format!("attack attribute: {e}")))?,
        });
    }
    Ok(out)
}

/// A subject SNS accepts: under 100 characters, no line breaks or control characters.
pub fn subject(severity: Severity, title: &str, count: usize) -> String {
    let clean: String = title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let suffix = if count > 1 {
        format!(" ({count} events)")
    } else {
        String::new()
    };
    let head = format!("[{}] trailwatch: ", severity.as_str().to_ascii_uppercase());
    let room = 99 - head.chars().count() - suffix.chars().count();
    let title: String = if clean.chars().count() > room {
        clean
            .chars()
            .take(room - 1)
            .chain(std::iter::once('…'))
            .collect()
    } else {
        clean
    };
    format!("{head}{title}{suffix}")
}

/// Packs alerts into notifications of `format`. Nothing is dropped; a body that cannot be
/// written is an error, never an empty message.
pub fn pack(alerts: &[Alert], format: Format) -> Result<Vec<Notification>> {
    match format {
        Format::Trailwatch => pack_grouped(alerts),
        Format::Ocsf => alerts.iter().map(ocsf_notification).collect(),
    }
}

fn written(e: serde_json::Error) -> crate::Error {
    crate::Error::Publish(format!("alert body: {e}"))
}

/// The FIFO deduplication id of a message carrying `alerts`: the same alerts, the same id.
fn deduplication_id<'a>(alerts: impl IntoIterator<Item = &'a Alert>) -> String {
    let mut h = Sha256::new();
    for a in alerts {
        h.update(a.id.as_bytes());
    }
    hex::encode(&h.finalize()[..16])
}

/// One alert as one OCSF Detection Finding.
fn ocsf_notification(a: &Alert) -> Result<Notification> {
    Ok(Notification {
        subject: subject(a.severity, &a.title, 1),
        message: serde_json::to_string(&ocsf::finding(a)).map_err(written)?,
        attributes: attributes(a)?,
        deduplication_id: deduplication_id([a]),
        group_id: a.rule_id.clone(),
        alert_ids: vec![a.id.clone()],
    })
}

/// trailwatch's format: grouped by rule (in first-seen order), at most
/// [`MAX_ALERTS_PER_MESSAGE`] alerts and under SNS's size limit each, each message as full as
/// those limits allow.
fn pack_grouped(alerts: &[Alert]) -> Result<Vec<Notification>> {
    let mut groups: Vec<Vec<&Alert>> = Vec::new();
    let mut by_rule: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for a in alerts {
        let g = *by_rule.entry(a.rule_id.as_str()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(a);
    }
    let mut out = Vec::new();
    for group in groups {
        // Each alert is written once; its length decides where messages split.
        let pieces = group
            .iter()
            .map(serde_json::value::to_raw_value)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(written)?;
        let mut chunks = Vec::new();
        let (mut start, mut bytes) = (0, 0usize);
        for (i, p) in pieces.iter().enumerate() {
            let len = p.get().len() + 1;
            // A single alert always goes (its fields are short); the next one starts a message
            // when this one is full.
            if i > start && (i - start == MAX_ALERTS_PER_MESSAGE || bytes + len > BODY_BUDGET) {
                chunks.push(start..i);
                (start, bytes) = (i, 0);
            }
            bytes += len;
        }
        if start < pieces.len() {
            chunks.push(start..pieces.len());
        }
        let parts = chunks.len();
        for (i, range) in chunks.into_iter().enumerate() {
            let chunk = &group[range.clone()];
            let first = chunk[0];
            let body = Body {
                rule_id: &first.rule_id,
                title: &first.title,
                severity: first.severity,
                origin: first.origin,
                count: chunk.len(),
                total: group.len(),
                part: i + 1,
                parts,
                alerts: &pieces[range],
            };
            let message = serde_json::to_string(&body).map_err(written)?;
            out.push(Notification {
                subject: subject(first.severity, &first.title, chunk.len()),
                message,
                attributes: attributes(first)?,
                deduplication_id: deduplication_id(chunk.iter().copied()),
                group_id: first.rule_id.clone(),
                alert_ids: chunk.iter().map(|a| a.id.clone()).collect(),
            });
        }
    }
    Ok(out)
}

/// Where notifications go (SNS in production).
#[async_trait]
pub trait AlertSink: Send + Sync {
    /// Publishes the notifications in order, as many as it can; says which went out (so that
    /// those are recorded even when the rest fail) and what stopped the others.
    async fn publish(&self, notifications: &[Notification]) -> Published;

    /// The format its messages are written in.
    fn format(&self) -> Format {
        Format::Trailwatch
    }
}

/// What a publish did.
#[derive(Debug, Default)]
pub struct Published {
    /// One flag per notification: it went out.
    pub sent: Vec<bool>,
    /// What stopped the notifications that did not go out.
    pub error: Option<crate::Error>,
}

impl Published {
    /// How many went out.
    pub fn count(&self) -> usize {
        self.sent.iter().filter(|s| **s).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(rule: &str, i: usize, pad: usize) -> Alert {
        Alert::new(
            &Raiser {
                origin: Origin::Rule,
                id: rule,
                title: "Security group opened\nto the world",
                severity: Severity::High,
                author: None,
                tags: &[],
            },
            EventSummary {
                event_id: format!("ev-{i}"),
                principal: "x".repeat(pad),
                account: "111122223333".into(),
                region: "eu-west-1".into(),
                ..Default::default()
            },
        )
    }

    #[test]
    fn ids_are_deterministic() {
        assert_eq!(alert("r", 1, 0).id, alert("r", 1, 0).id);
        assert_ne!(alert("r", 1, 0).id, alert("s", 1, 0).id);
    }

    #[test]
    fn links_take_only_real_regions() {
        // Which names are regions is `region`'s test; here, that the link obeys it.
        for r in ["us-gov-west-1", "il-central-1"] {
            assert!(console_link(r, "e").starts_with(&format!("https://{r}.console")));
        }
        for r in ["", "evil.com/x", "us-east-1.evil.com", "US-EAST-1"] {
            assert!(console_link(r, "e").starts_with("https://us-east-1.console.aws.amazon.com/"));
        }
        assert!(console_link("us-east-1", "a/b?c#d").ends_with("/events/a%2Fb%3Fc%23d"));
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(lower_hex(&bytes), hex::encode(&bytes));
    }

    #[test]
    fn subjects_follow_sns_rules() {
        let s = subject(Severity::Critical, &"very long title ".repeat(20), 1234);
        assert!(s.chars().count() < 100, "{s}");
        assert!(!s.chars().any(char::is_control));
        assert!(s.ends_with("(1234 events)"));
        assert_eq!(subject(Severity::Low, "a\nb", 1), "[LOW] trailwatch: a b");
    }

    #[test]
    fn packing_loses_nothing_and_respects_the_size_limit() {
        let mut alerts: Vec<Alert> = (0..120).map(|i| alert("big", i, 4000)).collect();
        alerts.extend((0..3).map(|i| alert("small", i, 10)));
        let notes = pack(&alerts, Format::Trailwatch).unwrap();
        assert!(notes.iter().all(|n| n.message.len() <= MAX_MESSAGE_BYTES));
        let mut seen = 0;
        for n in &notes {
            let v: serde_json::Value = serde_json::from_str(&n.message).unwrap();
            let listed = v["alerts"].as_array().unwrap().len();
            assert_eq!(v["count"].as_u64().unwrap() as usize, listed);
            seen += listed;
        }
        assert_eq!(seen, 123);
        assert_eq!(notes.last().unwrap().attribute("rule_id"), Some("small"));
    }

    #[test]
    fn each_message_holds_as_many_alerts_as_fit() {
        // Sizes vary, so a message fills by bytes or by count.
        let alerts: Vec<Alert> = (0..400)
            .map(|i| alert("mixed", i, (i * 37) % 9000))
            .collect();
        let notes = pack(&alerts, Format::Trailwatch).unwrap();
        let mut next = 0;
        for n in &notes[..notes.len() - 1] {
            let count = n.alert_ids.len();
            next += count;
            let with_next: Vec<&Alert> = alerts[next - count..=next].iter().collect();
            let bytes = serde_json::to_string(&with_next).unwrap().len();
            assert!(
                count == MAX_ALERTS_PER_MESSAGE || bytes > BODY_BUDGET,
                "a message of {count} alerts had room for the next ({bytes} bytes)"
            );
            assert!(n.sns_size() <= MAX_MESSAGE_BYTES);
        }
        let ids: Vec<&String> = notes.iter().flat_map(|n| &n.alert_ids).collect();
        assert_eq!(ids, alerts.iter().map(|a| &a.id).collect::<Vec<_>>());
    }

    #[test]
    fn batches_keep_to_sns_limits_and_fill_each_request() {
        // Median-sized alerts (~600 bytes): ten 50-alert messages would be ~300 KB.
        let alerts: Vec<Alert> = (0..5000).map(|i| alert("many", i, 300)).collect();
        let notes = pack(&alerts, Format::Trailwatch).unwrap();
        let groups = batches(&notes);
        assert_eq!(groups.iter().map(|g| g.len()).sum::<usize>(), notes.len());
        for g in &groups {
            assert!(g.len() <= MAX_BATCH_ENTRIES);
            assert!(g.iter().map(Notification::sns_size).sum::<usize>() <= MAX_MESSAGE_BYTES);
        }
        // Every request but the last is full: the next notification would not have fitted.
        let mut rest = &notes[..];
        for g in &groups[..groups.len() - 1] {
            let used: usize = g.iter().map(Notification::sns_size).sum();
            let next = &rest[g.len()];
            assert!(g.len() == MAX_BATCH_ENTRIES || used + next.sns_size() > MAX_MESSAGE_BYTES);
            rest = &rest[g.len()..];
        }
        let total: usize = notes.iter().map(Notification::sns_size).sum();
        assert!(
            groups.len()
                < total.div_ceil(MAX_MESSAGE_BYTES) + total.div_ceil(MAX_MESSAGE_BYTES) / 5 + 1
        );
    }
}
