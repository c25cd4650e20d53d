//! Alerts as OCSF Detection Findings (class 2004, OCSF 1.5.0), the message format
//! `TRAILWATCH_ALERT_FORMAT=ocsf` selects: what a security data lake or SIEM that speaks OCSF
//! (Amazon Security Lake among them) ingests without a mapping. One finding per message.
//!
//! Where OCSF has a place for a fact it goes there: the rule as the finding's analytic, ATT&CK
//! tags as `attacks`, the account and region under `cloud`, the API call under `api`; the rest
//! of the event summary (principal, source address) is the finding's evidence.

use serde::Serialize;

use super::{Alert, Origin};
use crate::severity::Severity;

/// The OCSF schema version the findings follow.
pub const OCSF_VERSION: &str = "1.5.0";

/// One Detection Finding.
#[derive(Debug, Serialize)]
pub struct DetectionFinding<'a> {
    activity_id: u8,
    activity_name: &'static str,
    category_uid: u8,
    category_name: &'static str,
    class_uid: u16,
    class_name: &'static str,
    type_uid: u32,
    type_name: &'static str,
    severity_id: u8,
    severity: &'static str,
    status_id: u8,
    status: &'static str,
    /// When the event happened, epoch milliseconds (the finding is about that moment).
    time: i64,
    start_time: i64,
    end_time: i64,
    message: &'a str,
    metadata: Metadata<'a>,
    finding_info: FindingInfo<'a>,
    cloud: Cloud<'a>,
    api: Api<'a>,
    evidences: [Evidence<'a>; 1],
}

#[derive(Debug, Serialize)]
struct Metadata<'a> {
    version: &'static str,
    product: Product,
    /// The alert's id: the same rule and event always give the same finding uid.
    uid: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    labels: &'a [String],
}

#[derive(Debug, Serialize)]
struct Product {
    name: &'static str,
    vendor_name: &'static str,
    version: &'static str,
}

#[derive(Debug, Serialize)]
struct FindingInfo<'a> {
    uid: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    desc: Option<String>,
    analytic: Analytic<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attacks: Vec<Attack>,
    /// The event in the CloudTrail console.
    src_url: &'a str,
    first_seen_time: i64,
    last_seen_time: i64,
    types: [&'static str; 1],
    data_sources: [&'static str; 1],
}

#[derive(Debug, Serialize)]
struct Analytic<'a> {
    uid: &'a str,
    name: &'a str,
    /// 1: Rule (a Sigma rule, or a check's SQL).
    type_id: u8,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// One ATT&CK reference: a tactic, or a technique (with its sub-technique). Sigma's tags carry
/// technique ids, not names: a technique is given by its id and ATT&CK page.
#[derive(Debug, Default, Serialize)]
struct Attack {
    #[serde(skip_serializing_if = "Option::is_none")]
    tactic: Option<Tactic>,
    #[serde(skip_serializing_if = "Option::is_none")]
    technique: Option<Technique>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub_technique: Option<Technique>,
}

#[derive(Debug, Serialize)]
struct Tactic {
    uid: &'static str,
    name: &'static str,
    src_url: String,
}

#[derive(Debug, Serialize)]
struct Technique {
    uid: String,
    src_url: String,
}

#[derive(Debug, Serialize)]
struct Cloud<'a> {
    provider: &'static str,
    #[serde(skip_serializing_if = "str::is_empty")]
    region: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<Account<'a>>,
}

#[derive(Debug, Serialize)]
struct Account<'a> {
    uid: &'a str,
    /// 10: AWS Account.
    type_id: u8,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Debug, Serialize)]
struct Api<'a> {
    operation: &'a str,
    request: Request<'a>,
}

#[derive(Debug, Serialize)]
struct Request<'a> {
    /// The CloudTrail event id.
    uid: &'a str,
}

#[derive(Debug, Serialize)]
struct Evidence<'a> {
    data: EvidenceData<'a>,
}

/// The CloudTrail record's key fields, as trailwatch's own format names them.
#[derive(Debug, Serialize)]
struct EvidenceData<'a> {
    event_id: &'a str,
    event_time: &'a str,
    event_name: &'a str,
    event_source: &'a str,
    principal: &'a str,
    principal_type: &'a str,
    source_ip: &'a str,
}

/// ATT&CK Enterprise tactics by the Sigma tag's name (`attack.<name>`). `stealth` and
/// `defense-impairment` are the two tactics ATT&CK v19 split Defense Evasion into.
const TACTICS: [(&str, &str, &str); 16] = [
    ("reconnaissance", "TA0043", "Reconnaissance"),
    ("resource-development", "TA0042", "Resource Development"),
    ("initial-access", "TA0001", "Initial Access"),
    ("execution", "TA0002", "Execution"),
    ("persistence", "TA0003", "Persistence"),
    ("privilege-escalation", "TA0004", "Privilege Escalation"),
    ("defense-evasion", "TA0005", "Defense Evasion"),
    ("stealth", "TA0005", "Stealth"),
    ("defense-impairment", "TA0112", "Defense Impairment"),
    ("credential-access", "TA0006", "Credential Access"),
    ("discovery", "TA0007", "Discovery"),
    ("lateral-movement", "TA0008", "Lateral Movement"),
    ("collection", "TA0009", "Collection"),
    ("command-and-control", "TA0011", "Command and Control"),
    ("exfiltration", "TA0010", "Exfiltration"),
    ("impact", "TA0040", "Impact"),
];

/// The ATT&CK references of `tags` (`attack.persistence`, `attack.t1098.001`); other tags are
/// left out.
fn attacks(tags: &[String]) -> Vec<Attack> {
    let mut out = Vec::new();
    for tag in tags {
        let Some(name) = tag.strip_prefix("attack.") else {
            continue;
        };
        let name = name.to_ascii_lowercase();
        if let Some((_, uid, title)) = TACTICS.iter().find(|(n, _, _)| *n == name) {
            out.push(Attack {
                tactic: Some(Tactic {
                    uid,
                    name: title,
                    src_url: format!("https://attack.mitre.org/tactics/{uid}/"),
                }),
                ..Attack::default()
            });
            continue;
        }
        let Some(id) = name.strip_prefix('t') else {
            continue;
        };
        let (parent, sub) = match id.split_once('.') {
            Some((p, s)) => (p, Some(s)),
            None => (id, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(parent) || !sub.is_none_or(digits) {
            continue;
        }
        out.push(Attack {
            technique: Some(Technique {
                uid: format!("T{parent}"),
                src_url: format!("https://attack.mitre.org/techniques/T{parent}/"),
            }),
            sub_technique: sub.map(|s| Technique {
                uid: format!("T{parent}.{s}"),
                src_url: format!("https://attack.mitre.org/techniques/T{parent}/{s}/"),
            }),
            ..Attack::default()
        });
    }
    out
}

fn severity(s: Severity) -> (u8, &'static str) {
    match s {
        Severity::Informational => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// Epoch milliseconds of the event's time; when it has none that parses, the finding's
/// creation (OCSF's `time` is either).
fn millis(time: &str) -> i64 {
    crate::window::parse_event_time(time)
        .unwrap_or_else(chrono::Utc::now)
        .timestamp_millis()
}

/// The Detection Finding of `alert`.
pub fn finding(alert: &Alert) -> DetectionFinding<'_> {
    let e = &alert.event;
    let time = millis(&e.event_time);
    let (severity_id, severity) = severity(alert.severity);
    let kind = match alert.origin {
        Origin::Rule => "Sigma rule",
        Origin::Check => "Check",
    };
    DetectionFinding {
        activity_id: 1,
        activity_name: "Create",
        category_uid: 2,
        category_name: "Findings",
        class_uid: 2004,
        class_name: "Detection Finding",
        type_uid: 200_401,
        type_name: "Detection Finding: Create",
        severity_id,
        severity,
        status_id: 1,
        status: "New",
        time,
        start_time: time,
        end_time: time,
        message: &alert.title,
        metadata: Metadata {
            version: OCSF_VERSION,
            product: Product {
                name: "trailwatch",
                vendor_name: "trailwatch",
                version: env!("CARGO_PKG_VERSION"),
            },
            uid: &alert.id,
            labels: &alert.tags,
        },
        finding_info: FindingInfo {
            uid: &alert.id,
            title: &alert.title,
            // The Sigma rules' licence asks for their authors to be named.
            desc: alert.author.as_ref().map(|a| format!("{kind} by {a}")),
            analytic: Analytic {
                uid: &alert.rule_id,
                name: &alert.title,
                type_id: 1,
                kind: "Rule",
            },
            attacks: attacks(&alert.tags),
            src_url: &alert.console_link,
            first_seen_time: time,
            last_seen_time: time,
            types: [kind],
            data_sources: ["AWS CloudTrail"],
        },
        cloud: Cloud {
            provider: "AWS",
            region: &e.region,
            account: (!e.account.is_empty()).then_some(Account {
                uid: &e.account,
                type_id: 10,
                kind: "AWS Account",
            }),
        },
        api: Api {
            operation: &e.event_name,
            request: Request { uid: &e.event_id },
        },
        evidences: [Evidence {
            data: EvidenceData {
                event_id: &e.event_id,
                event_time: &e.event_time,
                event_name: &e.event_name,
                event_source: &e.event_source,
                principal: &e.principal,
                principal_type: &e.principal_type,
                source_ip: &e.source_ip,
            },
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_tags_become_tactics_and_techniques() {
        let tags: Vec<String> = [
            "attack.persistence",
            "attack.t1098.001",
            "attack.T1078",
            "attack.stealth",
            "attack.g0016",
            "attack.t10x",
            "cis.3.1",
        ]
        .iter()
        .map(ToString::to_string)
        .collect();
        let json = serde_json::to_value(attacks(&tags)).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"tactic": {"uid": "TA0003", "name": "Persistence", "src_url": "https://attack.mitre.org/tactics/TA0003/"}},
                {"technique": {"uid": "T1098", "src_url": "https://attack.mitre.org/techniques/T1098/"},
                 "sub_technique": {"uid": "T1098.001", "src_url": "https://attack.mitre.org/techniques/T1098/001/"}},
                {"technique": {"uid": "T1078", "src_url": "https://attack.mitre.org/techniques/T1078/"}},
                {"tactic": {"uid": "TA0005", "name": "Stealth", "src_url": "https://attack.mitre.org/tactics/TA0005/"}},
            ])
        );
    }
}
