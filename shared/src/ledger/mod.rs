//! The alert ledger: a durable record of what has been published, so that a retried
//! invocation, an overlapping lookup window or the same event seen on two paths publishes an
//! alert once within the horizon (7 days by default), and a crash between publishing and
//! recording never loses one.
//!
//! Every key is claimed before it is published and marked sent after. A claim succeeds when
//! the key was never claimed, when its record is past the horizon, when its claim was left by
//! the same owner (a retry of the same run), or when another owner's claim is older than the
//! lease and was never marked sent (a run that died before publishing). Only a crash between
//! publishing and marking can repeat a publication, never lose one; a timeout there is avoided
//! by not starting to publish close to the deadline ([`crate::alert::deliver::Cutoff`]), when
//! the claims are given back instead ([`Ledger::release`]).

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

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Claimed for publishing, not yet marked sent.
    Pending,
    /// Published.
    Sent,
}

/// One ledger record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub state: State,
    pub owner: String,
    /// Epoch seconds.
    pub claimed_at: i64,
    /// Epoch seconds; past this the record no longer counts (and a TTL may delete it).
    pub expires_at: i64,
}

impl LedgerPolicy {
    /// The record a claim (or a mark) by `owner` at `now` writes.
    pub fn record(&self, state: State, owner: &str, now: DateTime<Utc>) -> Record {
        Record {
            state,
            owner: owner.to_string(),
            claimed_at: now.timestamp(),
            expires_at: (now + self.horizon).timestamp(),
        }
    }

    /// Whether `owner` may give back the key whose record is `existing` (its own unsent claim).
    pub fn may_release(existing: Option<&Record>, owner: &str) -> bool {
        existing.is_some_and(|r| r.state == State::Pending && r.owner == owner)
    }

    /// The claim rule (the module's doc): what `owner` gets when claiming a key whose record is
    /// `existing` at `now`. A record that does not parse is `None`: the alert goes out again
    /// rather than being lost. The DynamoDB adapter states the same rule as its condition.
    pub fn claim(&self, existing: Option<&Record>, owner: &str, now: DateTime<Utc>) -> Claim {
        match existing {
            None => Claim::Won,
            Some(r)
                if r.expires_at < now.timestamp()
                    || (r.state == State::Pending
                        && (r.owner == owner || r.claimed_at < (now - self.lease).timestamp())) =>
            {
                Claim::Won
            }
            Some(r) if r.state == State::Sent => Claim::Sent,
            Some(_) => Claim::Held,
        }
    }
}

/// What a claim got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The caller publishes the key (then marks it sent).
    Won,
    /// Already published within the horizon.
    Sent,
    /// Claimed by another owner within its lease, not yet marked sent: it may still fail, so a
    /// caller that would move on (the lookup sweep) tries again later rather than lose it.
    Held,
}

/// The ledger as the publishing paths need it.
#[async_trait]
pub trait Ledger: Send + Sync {
    /// Claims `key` for `owner` at `now`.
    async fn claim(&self, key: &str, owner: &str, now: DateTime<Utc>) -> Result<Claim>;
    /// Claims every key (one claim each, in order); a store that can claim many keys in one
    /// request (DynamoDB) overrides this one-by-one default.
    async fn claim_many(
        &self,
        keys: &[String],
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Claim>> {
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            out.push(self.claim(k, owner, now).await?);
        }
        Ok(out)
    }
    /// Records that `keys` were published.
    async fn mark_sent(&self, keys: &[String], owner: &str, now: DateTime<Utc>) -> Result<()>;
    /// Gives back `owner`'s claims on `keys` that were never marked sent (a delivery that
    /// stopped before publishing), so that another run may take them at once rather than after
    /// the lease. Keys sent, or claimed by another owner since, are left as they are.
    async fn release(&self, keys: &[String], owner: &str) -> Result<()>;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_claim_rule() {
        let p = LedgerPolicy::default();
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let min = Duration::minutes;
        let pending = p.record(State::Pending, "a", t0);
        let sent = p.record(State::Sent, "a", t0);
        assert_eq!(p.claim(None, "a", t0), Claim::Won);
        assert_eq!(
            p.claim(Some(&pending), "a", t0 + min(1)),
            Claim::Won,
            "its own claim"
        );
        assert_eq!(
            p.claim(Some(&pending), "b", t0 + min(1)),
            Claim::Held,
            "a fresh claim"
        );
        assert_eq!(
            p.claim(Some(&pending), "b", t0 + min(11)),
            Claim::Won,
            "a stale claim"
        );
        assert_eq!(p.claim(Some(&sent), "a", t0 + min(11)), Claim::Sent);
        assert_eq!(
            p.claim(Some(&sent), "b", t0 + Duration::days(7) + min(1)),
            Claim::Won,
            "expired"
        );
    }
}
