//! Correlation rules over a stream of events read in batches (a sweep's pages, EventBridge
//! deliveries), with state that outlives one invocation: rsigma-eval's correlation engine, its
//! windows exported as a [`State`] the caller stores (DynamoDB, beside the alert ledger), plus
//! the events already counted, so an event read twice (the sweep re-reads its late-arrival
//! horizon; EventBridge and the sweep see the same event) counts once.

use std::collections::BTreeMap;

use chrono::DateTime;
use rsigma_eval::{
    CorrelationAction, CorrelationConfig, CorrelationEngine, CorrelationSnapshot, JsonEvent,
    TimestampFallback,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Correlation, RuleSet};
use crate::alert::{Alert, EventSummary};

/// Entries one group's window keeps (older ones are dropped: a count can only come out lower).
/// With the caps below the stored state stays within a DynamoDB item (400 KB) in usual cases.
const MAX_GROUP_ENTRIES: usize = 100;
/// Groups kept across all correlations (the stalest are evicted first).
const MAX_GROUPS: usize = 1_000;
/// Counted event ids remembered (the oldest are forgotten first).
const MAX_SEEN: usize = 5_000;

/// What a correlator keeps between invocations.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct State {
    /// The engine's windows, per correlation and group.
    #[serde(default)]
    engine: Option<CorrelationSnapshot>,
    /// Events already counted: eventID -> event time (Unix seconds).
    #[serde(default)]
    seen: BTreeMap<String, i64>,
}

/// A correlation that fired on `event` (the event that completed it).
#[derive(Debug)]
pub struct Firing<'r, 'e> {
    pub correlation: &'r Correlation,
    /// The group it counted in: `(field, value)` per `group-by` field.
    pub group: Vec<(String, String)>,
    /// The count (or distinct values) that reached the condition.
    pub value: f64,
    pub event: &'e Value,
}

impl Firing<'_, '_> {
    /// The alert: the correlation's, about the event that completed it (so its id is the same
    /// however often the events are counted again).
    pub fn alert(&self) -> Alert {
        Alert::new(
            &self.correlation.raiser(),
            EventSummary::from_cloudtrail(self.event),
        )
    }
}

/// The correlations of a rule set, with their state.
pub struct Correlator<'r> {
    rules: &'r RuleSet,
    engine: CorrelationEngine,
    seen: BTreeMap<String, i64>,
    /// How long a counted event's id is remembered: the longest timespan plus the latest an
    /// event is re-read.
    keep_secs: i64,
}

/// Unix seconds of a record's `eventTime`.
pub(super) fn event_secs(e: &Value) -> Option<i64> {
    let t = e.get("eventTime")?.as_str()?;
    DateTime::parse_from_rfc3339(t).ok().map(|t| t.timestamp())
}

impl<'r> Correlator<'r> {
    /// The correlations of `rules`, resuming from `state`; events re-read up to `reread_secs`
    /// after they were first counted are recognised.
    pub fn new(rules: &'r RuleSet, state: State, reread_secs: u64) -> crate::Result<Self> {
        let config = CorrelationConfig {
            timestamp_fields: vec!["eventTime".into()],
            timestamp_fallback: TimestampFallback::Skip,
            // One alert per threshold reached, not one per event past it.
            action_on_match: CorrelationAction::Reset,
            // Bounds what a busy group adds to the stored state (a DynamoDB item).
            max_group_entries: Some(MAX_GROUP_ENTRIES),
            max_state_entries: MAX_GROUPS,
            ..CorrelationConfig::default()
        };
        let mut engine = CorrelationEngine::new(config);
        let bad = |e: rsigma_eval::EvalError| crate::Error::Config(format!("correlation: {e}"));
        let unread = |e: super::RuleError| crate::Error::Config(format!("correlation: {e}"));
        for r in rules.rules() {
            if rules.correlations().iter().any(|c| c.refers_to(r)) {
                engine.add_rule(r.sigma().map_err(unread)?).map_err(bad)?;
            }
        }
        let mut longest = 0u64;
        for c in rules.correlations() {
            let sigma = c.sigma().map_err(unread)?;
            engine.add_correlation(&sigma).map_err(bad)?;
            longest = longest.max(sigma.timespan.seconds);
        }
        if let Some(snapshot) = state.engine {
            // A snapshot of another format version is dropped: windows restart empty.
            engine.import_state(snapshot);
        }
        Ok(Self {
            rules,
            engine,
            seen: state.seen,
            keep_secs: i64::try_from(longest.saturating_add(reread_secs)).unwrap_or(i64::MAX),
        })
    }

    /// Counts `events` (in event-time order; ones already counted are skipped) and returns the
    /// correlations that fired.
    pub fn feed<'e>(&mut self, events: &'e [Value]) -> Vec<Firing<'r, 'e>> {
        let mut timed: Vec<(i64, &Value)> = events
            .iter()
            .filter_map(|e| Some((event_secs(e)?, e)))
            .collect();
        timed.sort_by_key(|(t, _)| *t);
        let mut out = Vec::new();
        for (t, e) in timed {
            let id = e.get("eventID").and_then(Value::as_str);
            if id.is_some_and(|id| self.seen.contains_key(id)) {
                continue;
            }
            let results = self.engine.process_event_at(&JsonEvent::borrow(e), t);
            let mut counted = false;
            for r in results {
                match r.as_correlation() {
                    None => counted = true,
                    Some(body) => {
                        let fired =
                            r.header.rule_id.as_deref().and_then(|id| {
                                self.rules.correlations().iter().find(|c| c.id == id)
                            });
                        if let Some(c) = fired {
                            out.push(Firing {
                                correlation: c,
                                group: body.group_key.clone(),
                                value: body.aggregated_value,
                                event: e,
                            });
                        }
                    }
                }
            }
            if counted {
                if let Some(id) = id {
                    self.seen.insert(id.to_string(), t);
                }
            }
        }
        out
    }

    /// The state to store, with windows and remembered ids older than `now_secs` allows dropped.
    pub fn into_state(mut self, now_secs: i64) -> State {
        self.engine.evict_expired(now_secs);
        let oldest = now_secs.saturating_sub(self.keep_secs);
        self.seen.retain(|_, t| *t >= oldest);
        if self.seen.len() > MAX_SEEN {
            let mut times: Vec<i64> = self.seen.values().copied().collect();
            times.sort_unstable();
            let cut = times[times.len() - MAX_SEEN];
            self.seen.retain(|_, t| *t >= cut);
        }
        State {
            engine: Some(self.engine.export_state()),
            seen: self.seen,
        }
    }
}
