//! Enough of SNS (the AWS query protocol, XML replies) for alerts: CreateTopic, ListTopics,
//! Publish and PublishBatch with SNS's limits, and a read-back of what was published.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

use serde::Serialize;

use crate::error::ApiError;
use crate::percent;

/// SNS's message size limit, in UTF-8 bytes.
pub const MAX_MESSAGE_BYTES: usize = 262_144;
const FIFO_DEDUP_MS: i64 = 5 * 60 * 1000;
/// Published messages kept for read-back, at most this many and this many bytes (messages and
/// their attributes, as SNS counts them); older ones are dropped first.
pub const MAX_KEPT_MESSAGES: usize = 100_000;
pub const MAX_KEPT_BYTES: usize = 256 << 20;

/// A message as a subscriber would receive it.
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    pub topic_arn: String,
    pub message_id: String,
    pub subject: Option<String>,
    pub message: String,
    /// Name -> (DataType, StringValue).
    pub attributes: BTreeMap<String, (String, String)>,
    pub group_id: Option<String>,
    pub deduplication_id: Option<String>,
}

/// What SNS counts against its limits: the message and every attribute's name, type and value,
/// in UTF-8 bytes.
fn sns_size(message: &str, attrs: &BTreeMap<String, (String, String)>) -> usize {
    message.len()
        + attrs
            .iter()
            .map(|(k, (t, v))| k.len() + t.len() + v.len())
            .sum::<usize>()
}

impl Published {
    /// Its size as SNS counts it.
    fn size(&self) -> usize {
        sns_size(&self.message, &self.attributes)
    }
}

#[derive(Default)]
struct State {
    topics: BTreeMap<String, String>,
    messages: VecDeque<Published>,
    /// The kept messages' text, in bytes.
    kept_bytes: usize,
    /// Requests answered, by action (rejected ones included).
    requests: BTreeMap<String, usize>,
    /// FIFO dedupe: (topic, dedup id) -> (message id, when).
    seen: HashMap<(String, String), (String, i64)>,
}

/// The topics and what they received.
pub struct Sns {
    region: String,
    account: String,
    state: Mutex<State>,
    /// Share of PublishBatch entries failed on SNS's side (`InternalError`), and its dice.
    entry_failure: f64,
    dice: Mutex<rand::rngs::SmallRng>,
}

/// A request's form fields by name: looked up in constant time, so a body of any size is
/// read in time linear in its length.
pub type Form = HashMap<String, String>;

/// Decodes an `application/x-www-form-urlencoded` body. A PublishBatch carries up to 256 KiB of
/// percent-encoded JSON, so each field is decoded in one pass, runs of plain bytes copied whole.
pub fn parse_form(body: &[u8]) -> Form {
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.iter().position(|&b| b == b'=') {
            Some(i) => (
                percent::decode_lenient(&pair[..i]),
                percent::decode_lenient(&pair[i + 1..]),
            ),
            None => (percent::decode_lenient(pair), String::new()),
        })
        .collect()
}

/// One message of a Publish or PublishBatch request.
struct Message<'a> {
    message: Option<&'a str>,
    subject: Option<&'a str>,
    attrs: BTreeMap<String, (String, String)>,
    group: Option<&'a str>,
    dedup: Option<&'a str>,
}

impl Message<'_> {
    /// Its size as SNS counts it.
    fn size(&self) -> usize {
        sns_size(self.message.unwrap_or_default(), &self.attrs)
    }
}

impl<'a> Message<'a> {
    /// The message under `prefix` (empty for Publish, `...member.N.` for a batch entry).
    fn from_form(form: &'a Form, prefix: &str) -> Result<Self, ApiError> {
        Ok(Self {
            message: get(form, &format!("{prefix}Message")),
            subject: get(form, &format!("{prefix}Subject")),
            attrs: attributes(form, &format!("{prefix}MessageAttributes"))?,
            group: get(form, &format!("{prefix}MessageGroupId")),
            dedup: get(form, &format!("{prefix}MessageDeduplicationId")),
        })
    }
}

fn get<'a>(form: &'a Form, key: &str) -> Option<&'a str> {
    form.get(key).map(String::as_str)
}

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::client("InvalidParameter", msg)
}

/// Escapes text for an XML element.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn envelope(action: &str, result: &str) -> String {
    format!(
        "<{action}Response xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
        uuid::Uuid::new_v4()
    )
}

/// The attributes under `prefix` (`MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue`).
fn attributes(form: &Form, prefix: &str) -> Result<BTreeMap<String, (String, String)>, ApiError> {
    let mut out = BTreeMap::new();
    for n in 1.. {
        let Some(name) = get(form, &format!("{prefix}.entry.{n}.Name")) else {
            break;
        };
        if n > 10 {
            // Refused at the eleventh: the rest of a huge request is never walked.
            return Err(invalid(
                "Number of message attributes exceeds the limit of 10.",
            ));
        }
        let dt = get(form, &format!("{prefix}.entry.{n}.Value.DataType")).ok_or_else(|| {
            invalid(format!(
                "The message attribute '{name}' must contain a DataType."
            ))
        })?;
        let v = get(form, &format!("{prefix}.entry.{n}.Value.StringValue")).unwrap_or_default();
        out.insert(name.to_string(), (dt.to_string(), v.to_string()));
    }
    Ok(out)
}

impl Sns {
    pub fn new(region: &str, account: &str) -> Self {
        Self {
            region: region.into(),
            account: account.into(),
            state: Mutex::new(State::default()),
            entry_failure: 0.0,
            dice: Mutex::new(rand::SeedableRng::seed_from_u64(0)),
        }
    }

    /// Fails a seeded share of PublishBatch entries on SNS's side, as SNS does now and then:
    /// the batch succeeds with those entries in `Failed` (`SenderFault` false).
    pub fn with_entry_failures(mut self, share: f64, seed: u64) -> Self {
        self.entry_failure = share;
        self.dice = Mutex::new(rand::SeedableRng::seed_from_u64(seed));
        self
    }

    fn entry_fails(&self) -> bool {
        use rand::Rng;
        self.entry_failure > 0.0
            && self
                .dice
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .gen::<f64>()
                < self.entry_failure
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Creates a topic (idempotent) and returns its ARN.
    pub fn create_topic(&self, name: &str) -> Result<String, ApiError> {
        let base = name.strip_suffix(".fifo").unwrap_or(name);
        if base.is_empty()
            || name.len() > 256
            || !base
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(invalid("Invalid parameter: Topic Name"));
        }
        let arn = format!("arn:aws:sns:{}:{}:{name}", self.region, self.account);
        self.lock().topics.insert(arn.clone(), name.to_string());
        Ok(arn)
    }

    /// Everything published so far, optionally for one topic.
    pub fn messages(&self, topic: Option<&str>) -> Vec<Published> {
        self.lock()
            .messages
            .iter()
            .filter(|m| topic.is_none_or(|t| m.topic_arn == t))
            .cloned()
            .collect()
    }

    fn publish_one(&self, topic: &str, m: Message<'_>, now_ms: i64) -> Result<String, ApiError> {
        let Message {
            message,
            subject,
            attrs,
            group,
            dedup,
        } = m;
        let message = message.ok_or_else(|| invalid("Invalid parameter: Empty message"))?;
        if message.is_empty() {
            return Err(invalid("Invalid parameter: Empty message"));
        }
        let size = sns_size(message, &attrs);
        if size > MAX_MESSAGE_BYTES {
            return Err(invalid("Invalid parameter: Message too long"));
        }
        if let Some(s) = subject {
            if s.is_empty() || s.chars().count() >= 100 || s.chars().any(char::is_control) {
                return Err(invalid("Invalid parameter: Subject"));
            }
        }
        let mut st = self.lock();
        if !st.topics.contains_key(topic) {
            return Err(ApiError {
                code: "NotFound",
                message: "Topic does not exist".into(),
                status: 404,
            });
        }
        let fifo = topic.ends_with(".fifo");
        if fifo && group.is_none() {
            return Err(invalid(
                "Invalid parameter: The MessageGroupId parameter is required for FIFO topics",
            ));
        }
        if let (true, Some(d)) = (fifo, dedup) {
            let key = (topic.to_string(), d.to_string());
            if let Some((id, at)) = st.seen.get(&key) {
                if now_ms - at < FIFO_DEDUP_MS {
                    // A duplicate is accepted but not delivered again.
                    return Ok(id.clone());
                }
            }
        }
        let id = uuid::Uuid::new_v4().to_string();
        if let (true, Some(d)) = (fifo, dedup) {
            st.seen
                .insert((topic.to_string(), d.to_string()), (id.clone(), now_ms));
        }
        st.kept_bytes = st.kept_bytes.saturating_add(size);
        while st.messages.len() >= MAX_KEPT_MESSAGES || st.kept_bytes > MAX_KEPT_BYTES {
            let Some(old) = st.messages.pop_front() else {
                break;
            };
            st.kept_bytes = st.kept_bytes.saturating_sub(old.size());
        }
        st.messages.push_back(Published {
            topic_arn: topic.to_string(),
            message_id: id.clone(),
            subject: subject.map(str::to_string),
            message: message.to_string(),
            attributes: attrs,
            group_id: group.map(str::to_string),
            deduplication_id: dedup.map(str::to_string),
        });
        Ok(id)
    }

    /// Requests answered so far for `action` (rejected ones included).
    pub fn requests(&self, action: &str) -> usize {
        self.lock().requests.get(action).copied().unwrap_or(0)
    }

    /// Handles one query-protocol request; returns the XML reply.
    pub fn handle(&self, form: &Form, now_ms: i64) -> Result<String, ApiError> {
        let action = get(form, "Action").ok_or_else(|| invalid("Action is required"))?;
        *self.lock().requests.entry(action.to_string()).or_default() += 1;
        match action {
            "CreateTopic" => {
                let arn = self.create_topic(get(form, "Name").unwrap_or_default())?;
                Ok(envelope(
                    action,
                    &format!("<TopicArn>{}</TopicArn>", xml_escape(&arn)),
                ))
            }
            "ListTopics" => {
                let topics = self.lock().topics.keys().fold(String::new(), |mut out, a| {
                    use std::fmt::Write;
                    let _ = write!(
                        out,
                        "<member><TopicArn>{}</TopicArn></member>",
                        xml_escape(a)
                    );
                    out
                });
                Ok(envelope(action, &format!("<Topics>{topics}</Topics>")))
            }
            "Publish" => {
                let topic = get(form, "TopicArn")
                    .or_else(|| get(form, "TargetArn"))
                    .ok_or_else(|| invalid("TopicArn or TargetArn is required"))?;
                let id = self.publish_one(topic, Message::from_form(form, "")?, now_ms)?;
                Ok(envelope(action, &format!("<MessageId>{id}</MessageId>")))
            }
            "PublishBatch" => {
                let topic = get(form, "TopicArn").ok_or_else(|| invalid("TopicArn is required"))?;
                let mut ids = Vec::new();
                for n in 1.. {
                    let Some(entry_id) =
                        get(form, &format!("PublishBatchRequestEntries.member.{n}.Id"))
                    else {
                        break;
                    };
                    if ids.contains(&entry_id) {
                        return Err(ApiError::client(
                            "BatchEntryIdsNotDistinct",
                            "Two or more batch entries in the request have the same Id.",
                        ));
                    }
                    ids.push(entry_id);
                }
                if ids.is_empty() {
                    return Err(ApiError::client(
                        "EmptyBatchRequest",
                        "The batch request doesn't contain any entries.",
                    ));
                }
                if ids.len() > 10 {
                    return Err(ApiError::client(
                        "TooManyEntriesInBatchRequest",
                        "The batch request contains more entries than permissible.",
                    ));
                }
                let entries = (1..=ids.len())
                    .map(|i| {
                        Message::from_form(form, &format!("PublishBatchRequestEntries.member.{i}."))
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                // The whole batch is refused when all its messages together are too long.
                let total: usize = entries.iter().map(Message::size).sum();
                if total > MAX_MESSAGE_BYTES {
                    return Err(ApiError::client(
                        "BatchRequestTooLong",
                        format!("The length of all the messages put together is more than the limit ({total} > {MAX_MESSAGE_BYTES} bytes)."),
                    ));
                }
                let mut ok = String::new();
                let mut failed = String::new();
                for (entry_id, m) in ids.iter().zip(entries) {
                    if self.entry_fails() {
                        failed.push_str(&format!(
                            "<member><Id>{}</Id><Code>InternalError</Code><Message>injected</Message><SenderFault>false</SenderFault></member>",
                            xml_escape(entry_id)
                        ));
                        continue;
                    }
                    let res = self.publish_one(topic, m, now_ms);
                    match res {
                        Ok(mid) => ok.push_str(&format!(
                            "<member><Id>{}</Id><MessageId>{mid}</MessageId></member>",
                            xml_escape(entry_id)
                        )),
                        Err(e) if e.code == "NotFound" => return Err(e),
                        Err(e) => failed.push_str(&format!(
                            "<member><Id>{}</Id><Code>{}</Code><Message>{}</Message><SenderFault>true</SenderFault></member>",
                            xml_escape(entry_id),
                            e.code,
                            xml_escape(&e.message)
                        )),
                    }
                }
                Ok(envelope(
                    action,
                    &format!("<Successful>{ok}</Successful><Failed>{failed}</Failed>"),
                ))
            }
            other => Err(ApiError::client(
                "InvalidAction",
                format!("The action {other} is not valid for this endpoint."),
            )),
        }
    }
}

/// SNS's XML error reply.
pub fn error_xml(e: &ApiError) -> String {
    let kind = if e.status >= 500 {
        "Receiver"
    } else {
        "Sender"
    };
    format!(
        "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        e.code,
        xml_escape(&e.message),
        uuid::Uuid::new_v4()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `url` crate's decoder is the reference: the same fields from any body, well-formed
    /// or not.
    #[test]
    fn forms_decode_as_the_url_crate_does() {
        let reference =
            |b: &[u8]| -> Form { url::form_urlencoded::parse(b).into_owned().collect() };
        for c in [
            "a=1&b=%7B%22k%22%3A+%22v%22%7D",
            "x=%zz%4",
            "=&&k",
            "m=%E2%82%AC%FF+",
            "k=a%2",
            "Action=Publish&Message=",
        ] {
            assert_eq!(parse_form(c.as_bytes()), reference(c.as_bytes()), "{c}");
        }
        let alphabet = b"%+=&aZ09Ff\xff\xe2\x82";
        let mut seed = 7u64;
        for _ in 0..2_000 {
            let body: Vec<u8> = (0..40)
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    alphabet[usize::try_from(seed >> 59).unwrap() % alphabet.len()]
                })
                .collect();
            assert_eq!(parse_form(&body), reference(&body), "{body:?}");
        }
    }
}
