//! LookupEvents: the plan of calls, the resumable scan of one window, the scheduled sweep that
//! keeps per-region checkpoints, and the handler of lookup-alert (sweep or EventBridge event).

pub mod checkpoint;
pub mod correlate;
pub mod handler;
pub mod plan;
pub mod scan;
pub mod sdk;
pub mod sweep;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::alert::{Alert, EventSummary};
use crate::error::Result;
use crate::rules::RuleSet;

/// A LookupEvents attribute trailwatch filters on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Attribute {
    EventName,
    EventSource,
}

/// One LookupEvents request's parameters (one attribute at most, as AWS allows).
#[derive(Debug, Clone)]
pub struct Query<'a> {
    pub attribute: Option<(Attribute, &'a str)>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// An event as event history returns it; the record stays text until parsed.
#[derive(Debug, Clone)]
pub struct RawEvent {
    pub event_id: String,
    pub event_time: Option<DateTime<Utc>>,
    pub cloudtrail_event: Option<String>,
}

/// One page of LookupEvents.
#[derive(Debug, Clone, Default)]
pub struct HistoryPage {
    pub events: Vec<RawEvent>,
    pub next_token: Option<String>,
}

/// CloudTrail event history (LookupEvents), rate-limited by the adapter.
#[async_trait]
pub trait EventHistory: Send + Sync {
    /// One page (at most 50 events, newest first).
    async fn page(&self, query: &Query<'_>, token: Option<&str>) -> Result<HistoryPage>;
}

/// What the rules make of one event.
#[derive(Debug, Default)]
pub struct Evaluated {
    /// The alerts of the rules it matches.
    pub alerts: Vec<Alert>,
    /// Whether a correlation counts it (it matched a rule one counts).
    pub counted: bool,
}

/// Evaluates `event` (about `summary`) against `rules`: the sweep and the EventBridge path both
/// turn a CloudTrail record into alerts this way.
pub fn evaluate(rules: &RuleSet, event: &serde_json::Value, summary: &EventSummary) -> Evaluated {
    let matched = rules.matches(event);
    Evaluated {
        counted: matched.iter().any(|r| r.counted),
        alerts: matched
            .into_iter()
            .filter(|r| r.alerts)
            .map(|r| Alert::new(&r.raiser(), summary.clone()))
            .collect(),
    }
}
