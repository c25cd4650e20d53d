//! One scheduled scan: probe the window's volume, choose the plan, read every page, evaluate
//! the rules on each distinct event, and return deduplicated alerts.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::Value;

use super::plan::{choose, keys_needed, naive_calls, Plan};
use super::{EventHistory, HistoryPage, Query};
use crate::alert::{Alert, EventSummary, Origin};
use crate::error::Result;
use crate::rules::RuleSet;
use crate::window::Window;

/// What a scan did and found.
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    pub window: Window,
    pub plan: Plan,
    /// LookupEvents requests made (throttled retries are the SDK's and not counted).
    pub calls: u64,
    /// Requests a one-call-sequence-per-rule plan would make at the least.
    pub naive_calls: u64,
    /// Distinct events evaluated.
    pub events: u64,
    /// `CloudTrailEvent` strings that were not JSON objects: counted, logged, skipped.
    pub malformed: u64,
    pub alerts: Vec<Alert>,
}

struct Collector<'a> {
    rules: &'a RuleSet,
    seen: HashSet<String>,
    alerted: HashSet<String>,
    report: ScanReport,
}

impl Collector<'_> {
    fn take(&mut self, page: &HistoryPage) {
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
                self.report.malformed += 1;
                tracing::warn!(event_id = %raw.event_id, "CloudTrailEvent is not a JSON object: skipped");
                continue;
            };
            self.report.events += 1;
            for rule in self.rules.matches(&event) {
                let alert = Alert::new(
                    Origin::Rule,
                    &rule.id,
                    &rule.title,
                    rule.severity,
                    EventSummary::from_cloudtrail(&event),
                    rule.author.clone(),
                );
                if self.alerted.insert(alert.id.clone()) {
                    self.report.alerts.push(alert);
                }
            }
        }
    }
}

/// Scans `window` with the fewest calls the rules allow.
pub async fn scan(
    history: &dyn EventHistory,
    rules: &RuleSet,
    window: Window,
) -> Result<ScanReport> {
    let mut c = Collector {
        rules,
        seen: HashSet::new(),
        alerted: HashSet::new(),
        report: ScanReport {
            window,
            plan: Plan::Scan,
            calls: 0,
            naive_calls: naive_calls(rules),
            events: 0,
            malformed: 0,
            alerts: Vec::new(),
        },
    };
    let all = Query {
        attribute: None,
        start: window.start,
        end: window.end,
    };
    // The first unfiltered page tells how dense the window is.
    let first = history.page(&all, None).await?;
    c.report.calls += 1;
    c.take(&first);
    let scan_pages = match &first.next_token {
        None => 1,
        Some(_) => estimate_pages(&first, &window),
    };
    c.report.plan = choose(keys_needed(rules).as_ref(), scan_pages);
    match c.report.plan.clone() {
        Plan::Scan => {
            let mut token = first.next_token;
            while let Some(t) = token {
                let page = history.page(&all, Some(&t)).await?;
                c.report.calls += 1;
                c.take(&page);
                token = page.next_token;
            }
        }
        Plan::Lookups(lookups) => {
            for (attr, value) in &lookups {
                let q = Query {
                    attribute: Some((*attr, value)),
                    start: window.start,
                    end: window.end,
                };
                let mut token: Option<String> = None;
                loop {
                    let page = history.page(&q, token.as_deref()).await?;
                    c.report.calls += 1;
                    c.take(&page);
                    match page.next_token {
                        Some(t) => token = Some(t),
                        None => break,
                    }
                }
            }
        }
    }
    tracing::info!(
        calls = c.report.calls,
        naive = c.report.naive_calls,
        events = c.report.events,
        alerts = c.report.alerts.len(),
        "scan done"
    );
    Ok(c.report)
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
        let r = scan(&pages, &rules, w).await.unwrap();
        assert_eq!(r.malformed, 3);
        assert_eq!(r.events, 1);
        assert_eq!(r.calls, 2);
        assert!(r
            .alerts
            .iter()
            .any(|a| a.rule_id == "cis-cw05-cloudtrail-config-changes"));
        let ids: HashSet<_> = r.alerts.iter().map(|a| &a.id).collect();
        assert_eq!(ids.len(), r.alerts.len(), "no duplicate alerts");
    }
}
