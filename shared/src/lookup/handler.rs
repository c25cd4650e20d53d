//! lookup-alert: a scheduled sweep of event history, or one EventBridge CloudTrail event, checked
//! against the same rules; matches are published as alerts, each once.

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::Serialize;
use serde_json::Value;
use tracing::Instrument;

use super::checkpoint::{dynamodb::DynamoCheckpoints, Checkpoints, MemoryCheckpoints};
use super::correlate::Correlations;
use super::evaluate;
use super::sweep::{lanes, LaneReport, Sweeper};
use super::EventHistory;
use crate::alert::deliver::{Cutoff, Delivered};
use crate::alert::{Alert, EventSummary};
use crate::config::Config;
use crate::document::dynamodb::DynamoDocuments;
use crate::document::{Documents, MemoryDocuments};
use crate::error::{Error, Result};
use crate::rules::RuleSet;

/// Detail types of the CloudTrail events EventBridge delivers.
pub const API_CALL: &str = "AWS API Call via CloudTrail";
pub const CONSOLE_SIGN_IN: &str = "AWS Console Sign In via CloudTrail";
/// The detail type of a scheduled run.
pub const SCHEDULED: &str = "Scheduled Event";

/// What lookup-alert runs with, built once per process.
#[derive(Clone)]
pub struct LookupDeps {
    /// The sweep, whose rules, alert sink and ledger the EventBridge path shares.
    pub sweeper: Sweeper,
    /// Accounts whose CloudTrail events are accepted from EventBridge (empty: any).
    pub trusted_accounts: Vec<String>,
}

impl LookupDeps {
    /// Rules (bundled plus `TRAILWATCH_RULES_DIR`), SDK clients and settings from the environment.
    pub async fn from_env() -> Result<Self> {
        let config = Config::from_env()?;
        let topic = config.require_topic()?.to_string();
        let (rules, errors) = RuleSet::with_extra(config.rules_dir.as_deref().map(Path::new));
        for e in &errors {
            // A broken user rule must not stop the others.
            tracing::error!(file = %e.file, reason = %e.reason, "rule not loaded");
        }
        let sdk = crate::aws::sdk_config(8, config.retry_backoff).await;
        let lanes = lanes(&config.lookup_regions)
            .into_iter()
            .map(|lane| {
                let client = crate::aws::cloudtrail_in(&sdk, &lane.region);
                let history: Arc<dyn EventHistory> =
                    Arc::new(super::sdk::SdkHistory::new(client, config.lookup_rate));
                (lane, history)
            })
            .collect();
        let (checkpoints, documents): (Arc<dyn Checkpoints>, Arc<dyn Documents>) = if let Some(t) =
            &config.ledger_table
        {
            let client = crate::aws::dynamodb(&sdk);
            (
                Arc::new(DynamoCheckpoints::new(client.clone(), t.clone())),
                Arc::new(DynamoDocuments::new(client, t.clone(), "state")),
            )
        } else {
            tracing::warn!(
                    "no TRAILWATCH_LEDGER_TABLE: each sweep starts afresh, no checkpoints or correlation state kept"
                );
            (
                Arc::new(MemoryCheckpoints::default()),
                Arc::new(MemoryDocuments::default()),
            )
        };
        let reread = config.sweep.late + config.sweep.lag;
        Ok(Self {
            sweeper: Sweeper {
                lanes,
                checkpoints,
                alerts: Arc::new(
                    crate::alert::sns::SnsAlerts::new(crate::aws::sns(&sdk), topic)
                        .with_format(config.alert_format),
                ),
                ledger: crate::ledger::from_config(&config, &sdk),
                rules: Arc::new(rules),
                correlations: Correlations {
                    docs: documents,
                    reread_secs: u64::try_from(reread.num_seconds()).unwrap_or(0),
                },
                settings: config.sweep,
            },
            trusted_accounts: config.trusted_accounts.clone(),
        })
    }
}

/// What one invocation did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum LookupOutcome {
    /// A scheduled sweep of event history, lane by lane.
    Scheduled { lanes: Vec<LaneReport> },
    /// One CloudTrail event from EventBridge.
    EventBridge {
        event_id: String,
        alerts: usize,
        rules: Vec<String>,
        /// Correlation alerts this event completed (published now).
        correlations: u64,
        notifications: usize,
    },
}

/// Publishes each alert once across runs and paths (one ledger key per alert); returns the
/// notifications sent. Alerts deferred for want of time fail the invocation, to be retried.
async fn publish(
    deps: &LookupDeps,
    owner: &str,
    alerts: &[Alert],
    cutoff: Cutoff,
) -> Result<usize> {
    let d = deps.sweeper.delivery(owner, cutoff).send(alerts).await?;
    if d.skipped > 0 {
        tracing::info!(skipped = d.skipped, "alerts already delivered");
    }
    if d.deferred > 0 {
        return Err(deferred(d.deferred));
    }
    Ok(d.notifications as usize)
}

/// Counts an EventBridge event that a correlation follows; returns what was delivered of the
/// correlation alerts (ones already delivered or held elsewhere are left out, as for the
/// rules' alerts).
async fn correlate(
    deps: &LookupDeps,
    owner: &str,
    detail: &Value,
    now: chrono::DateTime<chrono::Utc>,
    cutoff: Cutoff,
) -> Result<Delivered> {
    let sw = &deps.sweeper;
    sw.correlations
        .run(
            &sw.rules,
            std::slice::from_ref(detail),
            &sw.delivery(owner, cutoff),
            now,
        )
        .await
}

/// The error of alerts not published for want of time: the invocation fails and is retried.
fn deferred(n: u64) -> Error {
    Error::Deferred(format!(
        "{n} alerts not published: too little time left before the deadline"
    ))
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

/// Handles one invocation (the event already decoded at the Lambda edge); a sweep saves its
/// progress and stops before `deadline`.
pub async fn handle(
    deps: &LookupDeps,
    event: EventBridgeEvent<Value>,
    deadline: Option<SystemTime>,
) -> Result<LookupOutcome> {
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
            let span = tracing::info_span!("lookup_sweep", time = %time);
            let lanes = deps
                .sweeper
                .run(time, deadline, &owner)
                .instrument(span)
                .await?;
            Ok(LookupOutcome::Scheduled { lanes })
        }
        API_CALL | CONSOLE_SIGN_IN => {
            trust(deps, &event)?;
            // Taken now, at the invocation's start (a sweep takes its own in `Sweeper::run`).
            let cutoff = deps.sweeper.settings.cutoff(deadline);
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
                let evaluated = evaluate(
                    &deps.sweeper.rules,
                    detail,
                    &EventSummary::from_cloudtrail(detail),
                );
                let alerts = evaluated.alerts;
                // Counted first: what it fires is saved before any publishing can fail.
                let correlated = if evaluated.counted {
                    let now = event.time.unwrap_or_else(chrono::Utc::now);
                    correlate(deps, &owner, detail, now, cutoff).await?
                } else {
                    Delivered::default()
                };
                let notifications = usize::try_from(correlated.notifications)
                    .unwrap_or(usize::MAX)
                    .saturating_add(publish(deps, &owner, &alerts, cutoff).await?);
                // Correlation alerts left for want of time wait in the state; the retry
                // sends them sooner than the next sweep would.
                if correlated.deferred > 0 {
                    return Err(deferred(correlated.deferred));
                }
                Ok(LookupOutcome::EventBridge {
                    event_id: event_id.clone(),
                    alerts: alerts.len(),
                    rules: alerts.iter().map(|a| a.rule_id.clone()).collect(),
                    correlations: correlated.alerts,
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
