//! Correlation rules in the alert paths: the sweep's pages and EventBridge's events that a
//! correlation counts are fed into one shared state (a versioned document beside the ledger's
//! records), and the correlations they complete are published as alerts, each once.
//!
//! The state and the alerts it fired are saved together, before anything is published (an
//! outbox): a run whose save loses to another writer's publishes nothing and counts again into
//! the newer state; alerts saved as pending are published, then removed from the state once
//! delivered, so a crash in between leaves them pending for the next run (and the ledger drops
//! what had gone out).

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::alert::deliver::{Delivered, Delivery};
use crate::alert::Alert;
use crate::document::{Documents, SaveError};
use crate::error::{Error, Result};
use crate::rules::correlate::{Correlator, Firing, State};
use crate::rules::RuleSet;

/// The state's document key: every lane and the EventBridge path count into one state.
const KEY: &str = "correlation#state";
/// Saves tried when other invocations keep saving the state in between.
const ATTEMPTS: u32 = 8;

/// The correlation rules' stored document.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Stored {
    #[serde(default)]
    state: State,
    /// Alerts fired and not yet known delivered.
    #[serde(default)]
    pending: Vec<Alert>,
}

/// Where the correlation state is kept, and for how long counted events are recognised.
#[derive(Clone)]
pub struct Correlations {
    /// The versioned documents (the ledger's table, or memory without one).
    pub docs: Arc<dyn Documents>,
    /// An event read again up to this long after it was first counted counts once (the
    /// sweep's late-arrival horizon plus its lag).
    pub reread_secs: u64,
}

impl Correlations {
    async fn load(&self) -> Result<(Stored, Option<u64>)> {
        let Some(doc) = self.docs.load(KEY).await? else {
            return Ok((Stored::default(), None));
        };
        let stored = serde_json::from_str(&doc.text).unwrap_or_else(|e| {
            // Counts restart rather than stop every alert path; pending alerts are lost with
            // them, so this is an error for the alarm.
            tracing::error!(error = %e, "correlation state does not parse: starting afresh");
            Stored::default()
        });
        Ok((stored, Some(doc.version)))
    }

    async fn save(&self, stored: &Stored, version: Option<u64>) -> Result<Option<u64>> {
        let text = serde_json::to_string(stored)
            .map_err(|e| Error::Correlation(format!("state not written: {e}")))?;
        match self.docs.save(KEY, &text, version).await {
            Ok(v) => Ok(Some(v)),
            Err(SaveError::Conflict { .. }) => Ok(None),
            Err(SaveError::Other(e)) => Err(e),
        }
    }

    /// Counts `events`, then delivers through `delivery` the alerts of the correlations they complete
    /// and any that earlier runs left pending. With no events, only delivers what is pending.
    pub async fn run(
        &self,
        rules: &RuleSet,
        events: &[Value],
        delivery: &Delivery<'_>,
        now: DateTime<Utc>,
    ) -> Result<Delivered> {
        if rules.correlations().is_empty() {
            return Ok(Delivered::default());
        }
        let mut saved = None;
        for _ in 0..ATTEMPTS {
            let (mut stored, version) = self.load().await?;
            if events.is_empty() {
                saved = Some((stored, version));
                break;
            }
            let mut correlator =
                Correlator::new(rules, std::mem::take(&mut stored.state), self.reread_secs)?;
            for f in correlator.feed(events) {
                tracing::info!(correlation = %f.correlation.id, group = ?f.group, value = f.value, "correlation fired");
                stored.pending.push(Firing::alert(&f));
            }
            stored.state = correlator.into_state(now.timestamp());
            if let Some(v) = self.save(&stored, version).await? {
                saved = Some((stored, Some(v)));
                break;
            }
        }
        let Some((mut stored, mut version)) = saved else {
            return Err(Error::Correlation(format!(
                "state saved by other invocations {ATTEMPTS} times in a row"
            )));
        };
        if stored.pending.is_empty() {
            return Ok(Delivered::default());
        }
        let delivered = delivery.send(&stored.pending).await?;
        if delivered.incomplete() {
            // Some are held by another invocation, or were deferred for want of time: they
            // stay pending, offered again next time.
            return Ok(delivered);
        }
        let sent: HashSet<String> = stored.pending.iter().map(|a| a.id.clone()).collect();
        for _ in 0..ATTEMPTS {
            stored.pending.retain(|a| !sent.contains(&a.id));
            if self.save(&stored, version).await?.is_some() {
                return Ok(delivered);
            }
            (stored, version) = self.load().await?;
        }
        // Still pending: offered again later, and dropped by the ledger as delivered.
        Ok(delivered)
    }
}
