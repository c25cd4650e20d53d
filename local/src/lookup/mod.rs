//! LookupEvents (event history) as AWS serves it: each region's events (the region the request
//! is signed for), one lookup attribute, newest first, 90 days back from the service clock,
//! NextToken bound to the parameters, the rate limit per account and region, and optionally
//! events that reach history late, as they do in AWS.

mod arrival;
mod rate;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use serde_json::{json, Value};

pub use arrival::Arrival;
use rate::RateLimit;

use crate::clock::Clock;
use crate::error::ApiError;
use crate::load::Event;
use crate::page_token;
use crate::request::page_size;

const NINETY_DAYS_MS: i64 = 90 * 86_400_000;

/// The lookup attribute keys AWS accepts.
pub const ATTRIBUTE_KEYS: [&str; 8] = [
    "EventId",
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
];

struct Entry {
    time_ms: i64,
    /// When it reaches event history (its time, or later for a late event).
    visible_ms: i64,
    region: String,
    event_id: String,
    event_name: String,
    read_only: Option<String>,
    username: Option<String>,
    event_source: String,
    access_key_id: Option<String>,
    /// (ResourceType, ResourceName) pairs.
    resources: Vec<(Option<String>, Option<String>)>,
    cloudtrail_event: String,
}

/// The event history, newest first.
pub struct EventHistory {
    entries: Vec<Entry>,
    clock: Clock,
    limit: RateLimit,
}

/// The scalar at JSON pointer `path`, as text.
fn s(v: &Value, path: &str) -> Option<String> {
    match v.pointer(path)? {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The `Username` LookupEvents reports: the IAM user name, or the role session name.
fn username(ev: &Value) -> Option<String> {
    s(ev, "/userIdentity/userName")
        .or_else(|| {
            let arn = s(ev, "/userIdentity/arn")?;
            (s(ev, "/userIdentity/type").as_deref() == Some("AssumedRole"))
                .then(|| arn.rsplit('/').next().map(str::to_string))
                .flatten()
        })
        .or_else(|| {
            s(ev, "/userIdentity/type")
                .filter(|t| t == "Root")
                .map(|_| "root".to_string())
        })
}

impl EventHistory {
    /// Indexes `events` for lookups, limited to `rate` requests per second.
    pub fn new(events: &[Event], clock: Clock, rate: f64, arrival: &Arrival) -> Self {
        let mut entries: Vec<Entry> = events
            .iter()
            .map(|e| {
                let j = &e.json;
                let resources = j
                    .get("resources")
                    .and_then(Value::as_array)
                    .map(|rs| {
                        rs.iter()
                            .map(|r| (s(r, "/type"), s(r, "/ARN").or_else(|| s(r, "/arn"))))
                            .collect()
                    })
                    .unwrap_or_default();
                Entry {
                    time_ms: e.time_ms,
                    visible_ms: e.time_ms.saturating_add(arrival.delay_ms(&e.id)),
                    region: s(j, "/awsRegion").unwrap_or_default(),
                    event_id: e.id.clone(),
                    event_name: s(j, "/eventName").unwrap_or_default(),
                    read_only: s(j, "/readOnly"),
                    username: username(j),
                    event_source: s(j, "/eventSource").unwrap_or_default(),
                    access_key_id: s(j, "/userIdentity/accessKeyId"),
                    resources,
                    cloudtrail_event: j.to_string(),
                }
            })
            .collect();
        entries.sort_by(|a, b| {
            b.time_ms
                .cmp(&a.time_ms)
                .then_with(|| a.event_id.cmp(&b.event_id))
        });
        Self {
            entries,
            clock,
            limit: RateLimit::new(rate),
        }
    }

    fn matches(e: &Entry, key: &str, value: &str) -> bool {
        let eq = |o: &Option<String>| o.as_deref() == Some(value);
        match key {
            "EventId" => e.event_id == value,
            "EventName" => e.event_name == value,
            "ReadOnly" => eq(&e.read_only),
            "Username" => eq(&e.username),
            "EventSource" => e.event_source == value,
            "AccessKeyId" => eq(&e.access_key_id),
            "ResourceType" => e.resources.iter().any(|r| eq(&r.0)),
            "ResourceName" => e.resources.iter().any(|r| eq(&r.1)),
            _ => false,
        }
    }

    /// LookupEvents in `region`.
    pub fn lookup(&self, req: &Value, region: &str) -> Result<Value, ApiError> {
        if !self.limit.try_take(region) {
            return Err(ApiError::client("ThrottlingException", "Rate exceeded"));
        }
        let attrs = req
            .get("LookupAttributes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if attrs.len() > 1 {
            return Err(ApiError::client(
                "InvalidLookupAttributesException",
                "You cannot specify more than one lookup attribute.",
            ));
        }
        let filter = match attrs.first() {
            None => None,
            Some(a) => {
                let key = a
                    .get("AttributeKey")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                let value = a
                    .get("AttributeValue")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if !ATTRIBUTE_KEYS.contains(&key) || value.is_empty() {
                    return Err(ApiError::client(
                        "InvalidLookupAttributesException",
                        format!("Invalid lookup attribute {key:?}."),
                    ));
                }
                Some((key.to_string(), value.to_string()))
            }
        };
        let max = page_size(req, "MaxResults", 50, 50).ok_or_else(|| {
            ApiError::client(
                "InvalidMaxResultsException",
                "MaxResults must be between 1 and 50.",
            )
        })?;
        if let Some(cat) = req.get("EventCategory").and_then(Value::as_str) {
            if cat != "insight" {
                return Err(ApiError::client(
                    "InvalidEventCategoryException",
                    "EventCategory must be insight.",
                ));
            }
            // No Insights events are loaded.
            return Ok(json!({"Events": []}));
        }
        let secs = |k: &str| {
            req.get(k)
                .and_then(Value::as_f64)
                .map(|s| (s * 1000.0) as i64)
        };
        let now = self.clock.now_ms();
        let (start, end) = (secs("StartTime"), secs("EndTime"));
        if let (Some(s), Some(e)) = (start, end) {
            if s > e {
                return Err(ApiError::client(
                    "InvalidTimeRangeException",
                    "Start time must be earlier than end time.",
                ));
            }
        }
        let start = start.unwrap_or(i64::MIN).max(now - NINETY_DAYS_MS);
        let end = end.unwrap_or(now).min(now);
        // The token is only valid with the parameters that produced it.
        let mut h = DefaultHasher::new();
        (&filter, secs("StartTime"), secs("EndTime"), max).hash(&mut h);
        let scope = format!("{:x}", h.finish());
        let offset = match req.get("NextToken").and_then(Value::as_str) {
            None => 0,
            Some(t) => page_token::decode(t, &scope).ok_or_else(|| {
                ApiError::client(
                    "InvalidNextTokenException",
                    "A token that was passed is not valid for these parameters.",
                )
            })?,
        };
        let mut it = self
            .entries
            .iter()
            .filter(|e| e.region == region && e.visible_ms <= now)
            .filter(|e| e.time_ms >= start && e.time_ms <= end)
            .filter(|e| filter.as_ref().is_none_or(|(k, v)| Self::matches(e, k, v)))
            .skip(offset);
        let page: Vec<&Entry> = it.by_ref().take(max).collect();
        let more = it.next().is_some();
        let events: Vec<Value> = page
            .iter()
            .map(|e| {
                let mut v = json!({
                    "EventId": e.event_id,
                    "EventName": e.event_name,
                    "EventTime": e.time_ms as f64 / 1000.0,
                    "EventSource": e.event_source,
                    "Resources": e.resources.iter().map(|(t, n)| json!({"ResourceType": t, "ResourceName": n})).collect::<Vec<_>>(),
                    "CloudTrailEvent": e.cloudtrail_event,
                });
                for (k, val) in [("ReadOnly", &e.read_only), ("Username", &e.username), ("AccessKeyId", &e.access_key_id)] {
                    if let Some(x) = val {
                        v[k] = json!(x);
                    }
                }
                v
            })
            .collect();
        let mut out = json!({ "Events": events });
        if more {
            out["NextToken"] = json!(page_token::encode(&scope, offset + page.len()));
        }
        Ok(out)
    }
}
