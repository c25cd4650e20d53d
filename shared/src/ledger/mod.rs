//! The alert ledger: a durable record of what has been published, so that a retried
//! invocation, an overlapping lookup window or the same event seen on two paths publishes an
//! alert once within the horizon (7 days by default), and a crash between publishing and
//! recording never loses one.
//!
//! Every key is claimed before it is published and marked sent after. A claim succeeds when
//! the key was never claimed, when its record is past the horizon, when its claim was left by
//! the same owner (a retry of the same run), or when another owner's claim is older than the
//! lease and was never marked sent (a run that died before publishing). Only a crash between
//! publishing and marking can repeat a publication, never lose one.

pub mod dynamodb;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::error::Result;

/// How long records and claims last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerPolicy {
    /// A published key is not published again within this horizon.
    pub horizon: Duration,
    /// A claim never marked sent may be taken over by another owner after this long.
    pub lease: Duration,
}

impl Default for LedgerPolicy {
    fn default() -> Self {
        Self {
            horizon: Duration::days(7),
            lease: Duration::minutes(10),
        }
    }
}

/// The ledger as the publishing paths need it.
#[async_trait]
pub trait Ledger: Send + Sync {
    /// Claims `key` for `owner` at `now`; `true` when the caller should publish it.
    async fn claim(&self, key: &str, owner: &str, now: DateTime<Utc>) -> Result<bool>;
    /// Records that `keys` were published.
    async fn mark_sent(&self, keys: &[String], owner: &str, now: DateTime<Utc>) -> Result<()>;
}

/// The DynamoDB ledger the configuration names, if any.
pub fn from_config(
    config: &crate::config::Config,
    sdk: &aws_config::SdkConfig,
) -> Option<std::sync::Arc<dyn Ledger>> {
    config.ledger_table.as_ref().map(|t| {
        std::sync::Arc::new(dynamodb::DynamoLedger::new(
            crate::aws::dynamodb(sdk),
            t.clone(),
            config.ledger,
        )) as std::sync::Arc<dyn Ledger>
    })
}

/// The ledger key of one alert (its id is deterministic: rule + event).
pub fn alert_key(alert_id: &str) -> String {
    format!("alert#{alert_id}")
}
