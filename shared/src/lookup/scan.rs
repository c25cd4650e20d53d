//! One window of event history read page by page, newest first, with the fewest calls the
//! rules allow: the first unfiltered page tells how dense the window is and chooses the plan
//! (one unfiltered scan, or one filtered call sequence per value the rules need). Its progress
//! is plain data ([`Scan`]), so a reader stopped by its deadline resumes in a later invocation:
//! NextToken is used within one invocation; across invocations the step's upper time bound moves
//! down to the oldest event read (the boundary second is read again; repeats are deduplicated).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::evaluate;
use super::plan::{choose, keys_needed, Plan};
use super::{EventHistory, HistoryPage, Query};
use crate::alert::{Alert, EventSummary};
use crate::error::Result;
use crate::rules::RuleSet;
use crate::window::Window;

/// Where a reading of one window is: durable between invocations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scan {
    pub window: Window,
    /// Chosen after the first page (None: not read yet).
    pub plan: Option<Plan>,
    /// The plan's current call sequence (0 for an unfiltered scan).
    pub step: usize,
    /// Events of this step newer than this were read (None: none yet).
    pub upper: Option<DateTime<Utc>>,
}

impl Scan {
    /// A window not read yet; `plan` fixes the plan instead of probing.
    pub fn new(window: Window, plan: Option<Plan>) -> Self {
        Self {
            window,
            plan,
            step: 0,
            upper: None,
        }
    }

    /// Whether every call sequence of the plan was read to its end.
    pub fn done(&self) -> bool {
        match &self.plan {
            None => false,
            Some(Plan::Scan) => self.step > 0,
            Some(Plan::Lookups(l)) => self.step >= l.len(),
        }
    }
}

/// What one page gave.
#[derive(Debug, Default)]
pub struct PageOut {
    /// The alerts of the rules its events match.
    pub alerts: Vec<Alert>,
    /// Events a correlation counts.
    pub counted: Vec<Value>,
}

/// Turns pages into alerts: each distinct event once, malformed records counted and skipped,
/// and (outside us-east-1) events of global services left to us-east-1's reading.
pub struct Collector<'a> {
    rules: &'a RuleSet,
    /// Only events of this region count (None: all).
    region: Option<String>,
    seen: HashSet<String>,
    /// Distinct events evaluated.
    pub events: u64,
    /// `CloudTrailEvent` strings that were not JSON objects.
    pub malformed: u64,
    /// Events of another region (global services' events, read from us-east-1).
    pub elsewhere: u64,
}

impl<'a> Collector<'a> {
    /// Evaluates `rules`; `region` keeps only that region's events.
    pub fn new(rules: &'a RuleSet, region: Option<String>) -> Self {
        Self {
            rules,
            region,
            seen: HashSet::new(),
            events: 0,
            malformed: 0,
            elsewhere: 0,
        }
    }

    /// The alerts of a page's events not taken before, and those of its events that a
    /// correlation counts.
    pub fn take(&mut self, page: &HistoryPage) -> PageOut {
        let mut out = PageOut::default();
        for raw in &page.events {
            // An event without an id cannot be recognised again: evaluate it rather than
            // letting every such event collapse into one.
            if !raw.event_id.is_empty() && !self.seen.insert(raw.event_id.clone()) {
                continue;
            }
            let parsed: Option<Value> = raw
                .cloudtrail_event
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .filter(Value::is_object);
            let Some(event) = parsed else {
                self.malformed += 1;
                tracing::warn!(event_id = %raw.event_id, "CloudTrailEvent is not a JSON object: skipped");
                continue;
            };
            // An event recorded in another region belongs to that region's lane (one without
            // a region stays here).
            if let (Some(r), Some(theirs)) =
                (&self.region, event.get("awsRegion").and_then(Value::as_str))
            {
                if theirs != r {
                    self.elsewhere += 1;
                    continue;
                }
            }
            self.events += 1;
            let mut summary = EventSummary::from_cloudtrail(&event);
            if summary.event_id.is_empty() {
                // Without an id every such event would share one alert id per rule: the
                // record's own text identifies it.
                let text = raw.cloudtrail_event.as_deref().unwrap_or_default();
                summary.event_id = format!("sha256:{}", hex::encode(Sha256::digest(text)));
            }
            let evaluated = evaluate(self.rules, &event, &summary);
            out.alerts.extend(evaluated.alerts);
            if evaluated.counted {
                let mut event = event;
                // Counted once and alerted about under the same id as the rules' alerts.
                if event.get("eventID").is_none() {
                    event["eventID"] = Value::String(summary.event_id.clone());
                }
                out.counted.push(event);
            }
        }
        out
    }
}

/// Reads one [`Scan`] page by page; `next` returns each page's alerts until the scan is done.
pub struct Reader<'a> {
    history: &'a dyn EventHistory,
    rules: &'a RuleSet,
    /// The current step's query end (fixed while its NextToken is in use) and token.
    cursor: Option<(DateTime<Utc>, Option<String>)>,
    /// LookupEvents requests made.
    pub calls: u64,
}

impl<'a> Reader<'a> {
    pub fn new(history: &'a dyn EventHistory, rules: &'a RuleSet) -> Self {
        Self {
            history,
            rules,
            cursor: None,
            calls: 0,
        }
    }

    /// Forgets the NextToken in use: the next call starts a (new) scan from its durable state.
    pub fn restart(&mut self) {
        self.cursor = None;
    }

    /// Reads the next page of `scan` (advancing it) and returns what its events gave, or None
    /// when the scan is done.
    pub async fn next(
        &mut self,
        scan: &mut Scan,
        collector: &mut Collector<'_>,
    ) -> Result<Option<PageOut>> {
        if scan.done() {
            return Ok(None);
        }
        let attribute = match &scan.plan {
            Some(Plan::Lookups(l)) => l.get(scan.step).map(|(a, v)| (*a, v.as_str())),
            _ => None,
        };
        let (end, token) = self
            .cursor
            .clone()
            .unwrap_or((scan.upper.unwrap_or(scan.window.end), None));
        let query = Query {
            attribute,
            start: scan.window.start,
            end: end.max(scan.window.start),
        };
        let page = self.history.page(&query, token.as_deref()).await?;
        self.calls += 1;
        let out = collector.take(&page);
        if scan.plan.is_none() {
            let pages = match &page.next_token {
                None => 1,
                Some(_) => estimate_pages(&page, &scan.window),
            };
            let plan = choose(keys_needed(self.rules).as_ref(), pages);
            if let Plan::Lookups(_) = plan {
                // The probe's events are taken; the filtered sequences start afresh.
                scan.plan = Some(plan);
                self.cursor = None;
                return Ok(Some(out));
            }
            scan.plan = Some(plan);
        }
        if let Some(t) = page.next_token {
            if let Some(oldest) = page.events.iter().filter_map(|e| e.event_time).min() {
                scan.upper = Some(oldest.min(end));
            }
            self.cursor = Some((end, Some(t)));
        } else {
            scan.step += 1;
            scan.upper = None;
            self.cursor = None;
        }
        Ok(Some(out))
    }
}

/// Pages an unfiltered scan needs, from the time the first (newest) page spans.
fn estimate_pages(first: &HistoryPage, window: &Window) -> u64 {
    let times: Vec<_> = first.events.iter().filter_map(|e| e.event_time).collect();
    let (Some(newest), Some(oldest)) = (times.iter().max(), times.iter().min()) else {
        return u64::MAX;
    };
    let span = (*newest - *oldest).num_milliseconds().max(1) as f64;
    let per_ms = times.len() as f64 / span;
    let events = per_ms * window.length().num_milliseconds() as f64;
    (events / 50.0).ceil().max(2.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lookup::RawEvent;
    use async_trait::async_trait;
    use std::sync::Mutex;

    /// An in-memory event history: pure logic under test, no AWS.
    struct Pages(Mutex<Vec<HistoryPage>>);

    #[async_trait]
    impl EventHistory for Pages {
        async fn page(&self, _q: &Query<'_>, _t: Option<&str>) -> Result<HistoryPage> {
            Ok(self.0.lock().unwrap().remove(0))
        }
    }

    fn raw(id: &str, text: Option<&str>) -> RawEvent {
        RawEvent {
            event_id: id.into(),
            event_time: None,
            cloudtrail_event: text.map(str::to_string),
        }
    }

    #[tokio::test]
    async fn malformed_events_are_counted_and_skipped() {
        let (rules, _) = RuleSet::bundled();
        let stop = r#"{"eventID":"e2","eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","eventTime":"2023-07-10T12:00:00Z","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/x"}}"#;
        let pages = Pages(Mutex::new(vec![
            HistoryPage {
                events: vec![
                    raw("e1", Some("{not json")),
                    raw("e2", Some(stop)),
                    raw("e3", None),
                    raw("e4", Some("[1]")),
                ],
                next_token: Some("t".into()),
            },
            HistoryPage {
                events: vec![raw("e2", Some(stop))],
                next_token: None,
            },
        ]));
        let w = Window::new(
            "2023-07-10T11:00:00Z".parse().unwrap(),
            "2023-07-10T13:00:00Z".parse().unwrap(),
        )
        .unwrap();
        let mut scan = Scan::new(w, Some(Plan::Scan));
        let mut c = Collector::new(&rules, None);
        let mut r = Reader::new(&pages, &rules);
        let mut alerts = Vec::new();
        while let Some(a) = r.next(&mut scan, &mut c).await.unwrap() {
            alerts.extend(a.alerts);
        }
        assert_eq!(c.malformed, 3);
        assert_eq!(c.events, 1);
        assert_eq!(r.calls, 2);
        assert!(scan.done());
        assert!(alerts
            .iter()
            .any(|a| a.rule_id == "cis-cw05-cloudtrail-config-changes"));
        let ids: HashSet<_> = alerts.iter().map(|a| &a.id).collect();
        assert_eq!(ids.len(), alerts.len(), "no duplicate alerts");
    }

    #[tokio::test]
    async fn other_regions_events_are_left_to_their_region() {
        let (rules, _) = RuleSet::bundled();
        let ev = |id: &str, region: &str| {
            raw(
                id,
                Some(&format!(
                    r#"{{"eventID":"{id}","eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","eventTime":"2023-07-10T12:00:00Z","awsRegion":"{region}"}}"#
                )),
            )
        };
        let page = HistoryPage {
            events: vec![ev("a", "eu-west-1"), ev("b", "us-east-1")],
            next_token: None,
        };
        let mut c = Collector::new(&rules, Some("eu-west-1".into()));
        let PageOut { alerts, counted } = c.take(&page);
        assert_eq!((c.events, c.elsewhere), (1, 1));
        // StopLogging is a step of a bundled correlation: the page hands it on to be counted.
        assert_eq!(counted.len(), 1);
        assert_eq!(counted[0]["eventID"], "a");
        assert!(alerts.iter().all(|a| a.event.event_id == "a"));
        assert!(!alerts.is_empty());
    }
}
