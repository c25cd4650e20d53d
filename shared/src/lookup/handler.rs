//! lookup-alert: a scheduled scan of event history, or one EventBridge CloudTrail event, checked
//! against the same rules; matches are published as alerts.

use std::sync::Arc;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use chrono::Duration;
use serde::Serialize;
use serde_json::Value;
use tracing::Instrument;

use super::plan::Plan;
use super::scan::scan;
use super::window::scheduled;
use super::EventHistory;
use crate::alert::deliver::deliver;
use crate::alert::{Alert, AlertSink, EventSummary, Origin};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::rules::RuleSet;
use crate::window::Window;

/// Detail types of the CloudTrail events EventBridge delivers.
pub const API_CALL: &str = "AWS API Call via CloudTrail";
pub const CONSOLE_SIGN_IN: &str = "AWS Console Sign In via CloudTrail";
/// The detail type of a scheduled run.
pub const SCHEDULED: &str = "Scheduled Event";

/// What lookup-alert runs with, built once per process.
#[derive(Clone)]
pub struct LookupDeps {
    pub history: Arc<dyn EventHistory>,
    pub alerts: Arc<dyn AlertSink>,
    pub rules: Arc<RuleSet>,
    pub window: Duration,
    pub lag: Duration,
    /// Accounts whose CloudTrail events are accepted from EventBridge (empty: any).
    pub trusted_accounts: Vec<String>,
    /// The alert ledger: an alert seen by overlapping sweeps or on both paths goes out once.
    pub ledger: Option<Arc<dyn Ledger>>,
}

impl LookupDeps {
    /// Rules (bundled plus `TRAILWATCH_RULES_DIR`), SDK clients and settings from the environment.
    pub async fn from_env() -> Result<Self> {
        let config = Config::from_env()?;
        let topic = config.require_topic()?.to_string();
        let (mut rules, mut errors) = RuleSet::bundled();
        if let Some(dir) = &config.rules_dir {
            errors.extend(rules.add_dir(std::path::Path::new(dir)));
        }
        for e in &errors {
            // A broken user rule must not stop the others.
            tracing::error!(file = %e.file, reason = %e.reason, "rule not loaded");
        }
        let sdk = crate::aws::sdk_config(8).await;
        Ok(Self {
            history: Arc::new(super::sdk::SdkHistory::new(
                crate::aws::cloudtrail(&sdk),
                config.lookup_rate,
            )),
            alerts: Arc::new(crate::alert::sns::SnsAlerts::new(
                crate::aws::sns(&sdk),
                topic,
            )),
            rules: Arc::new(rules),
            window: config.lookup_window,
            lag: config.lookup_lag,
            trusted_accounts: config.trusted_accounts.clone(),
            ledger: crate::ledger::from_config(&config, &sdk),
        })
    }
}

/// What one invocation did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum LookupOutcome {
    /// A scheduled scan of event history.
    Scheduled {
        window: Window,
        plan: Plan,
        calls: u64,
        naive_calls: u64,
        events: u64,
        malformed: u64,
        alerts: usize,
        notifications: usize,
    },
    /// One CloudTrail event from EventBridge.
    EventBridge {
        event_id: String,
        alerts: usize,
        rules: Vec<String>,
        notifications: usize,
    },
}

/// Publishes each alert once across runs and paths (one ledger key per alert); returns the
/// notifications sent.
async fn publish(deps: &LookupDeps, owner: &str, alerts: &[Alert]) -> Result<usize> {
    let d = deliver(deps.alerts.as_ref(), deps.ledger.as_deref(), owner, alerts).await?;
    if d.skipped > 0 {
        tracing::info!(skipped = d.skipped, "alerts already delivered");
    }
    Ok(d.notifications as usize)
}

fn untrusted(why: String) -> Error {
    Error::InvalidInput(format!("untrusted event: {why}"))
}

/// Anyone allowed `events:PutEvents` can put an event with CloudTrail's detail type on the bus:
/// only AWS services' sources (which no one else may use), the CloudTrail record's shape and
/// the configured accounts are accepted.
fn trust(deps: &LookupDeps, event: &EventBridgeEvent<Value>) -> Result<()> {
    if !event.source.starts_with("aws.") {
        return Err(untrusted(format!(
            "source {:?} is not an AWS service (aws.*)",
            event.source
        )));
    }
    for key in ["eventID", "eventTime", "eventName", "eventSource"] {
        if !event.detail.get(key).is_some_and(Value::is_string) {
            return Err(untrusted(format!(
                "detail is not a CloudTrail record (no {key})"
            )));
        }
    }
    if !deps.trusted_accounts.is_empty() {
        let account = event.account.as_deref().unwrap_or_default();
        if !deps.trusted_accounts.iter().any(|a| a == account) {
            return Err(untrusted(format!(
                "account {account:?} is not one of the configured accounts"
            )));
        }
    }
    Ok(())
}

/// Handles one invocation (the event already decoded at the Lambda edge).
pub async fn handle(deps: &LookupDeps, event: EventBridgeEvent<Value>) -> Result<LookupOutcome> {
    // A retry of this invocation carries the same event id, and may finish what it claimed.
    let owner = event.id.clone().unwrap_or_else(|| "unidentified".into());
    match event.detail_type.as_str() {
        SCHEDULED => {
            if !matches!(event.source.as_str(), "aws.scheduler" | "aws.events") {
                return Err(untrusted(format!(
                    "a scheduled run from {:?}, not EventBridge Scheduler",
                    event.source
                )));
            }
            let time = event
                .time
                .ok_or_else(|| Error::InvalidInput("scheduled event has no `time`".into()))?;
            let window = scheduled(time, deps.window, deps.lag)?;
            let span = tracing::info_span!("lookup_scan", window_start = %window.start, window_end = %window.end);
            async {
                let report = scan(deps.history.as_ref(), &deps.rules, window).await?;
                let notifications = publish(deps, &owner, &report.alerts).await?;
                Ok(LookupOutcome::Scheduled {
                    window: report.window,
                    plan: report.plan,
                    calls: report.calls,
                    naive_calls: report.naive_calls,
                    events: report.events,
                    malformed: report.malformed,
                    alerts: report.alerts.len(),
                    notifications,
                })
            }
            .instrument(span)
            .await
        }
        API_CALL | CONSOLE_SIGN_IN => {
            trust(deps, &event)?;
            let detail = &event.detail;
            let event_id = detail
                .get("eventID")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if !detail.is_object() {
                return Err(Error::InvalidInput(
                    "EventBridge detail is not a CloudTrail record".into(),
                ));
            }
            let span = tracing::info_span!("lookup_event", event_id = %event_id);
            async {
                let alerts: Vec<Alert> = deps
                    .rules
                    .matches(detail)
                    .into_iter()
                    .map(|r| {
                        Alert::new(
                            Origin::Rule,
                            &r.id,
                            &r.title,
                            r.severity,
                            EventSummary::from_cloudtrail(detail),
                            r.author.clone(),
                        )
                    })
                    .collect();
                let notifications = publish(deps, &owner, &alerts).await?;
                Ok(LookupOutcome::EventBridge {
                    event_id: event_id.clone(),
                    alerts: alerts.len(),
                    rules: alerts.iter().map(|a| a.rule_id.clone()).collect(),
                    notifications,
                })
            }
            .instrument(span)
            .await
        }
        other => Err(Error::InvalidInput(format!(
            "unexpected detail-type {other:?}"
        ))),
    }
}
