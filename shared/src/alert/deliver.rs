//! Delivering alerts once: every path (collect-results, the lookup sweep, EventBridge) hands
//! its alerts here in lots, each lot under one ledger key (an alert's deterministic id). A lot
//! is claimed before it is published and marked sent after; a lot already delivered is
//! skipped. Without a ledger every lot is published.

use chrono::Utc;
use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::{pack, Alert, AlertSink};
use crate::error::Result;
use crate::ledger::Ledger;

/// Claims run this many at a time (a page holds up to 1,000 findings).
const CLAIMS_IN_FLIGHT: usize = 32;

/// What a delivery did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Alerts published now.
    pub alerts: u64,
    /// Notifications (SNS messages) they went out in.
    pub notifications: u64,
    /// Alerts left out because their lot was already delivered (or is being delivered).
    pub skipped: u64,
}

/// Publishes the lots not yet delivered, as `owner` (a retry of the same run may take over its
/// own unfinished claims).
pub async fn deliver(
    sink: &dyn AlertSink,
    ledger: Option<&dyn Ledger>,
    owner: &str,
    lots: Vec<(String, Vec<Alert>)>,
) -> Result<Delivered> {
    let lots: Vec<(String, Vec<Alert>)> = lots.into_iter().filter(|(_, a)| !a.is_empty()).collect();
    let Some(ledger) = ledger else {
        let alerts: Vec<Alert> = lots.into_iter().flat_map(|(_, a)| a).collect();
        return publish(sink, &alerts, 0).await;
    };
    let now = Utc::now();
    let claimed: Vec<(String, Vec<Alert>, bool)> = stream::iter(lots)
        .map(|(key, alerts)| async move {
            let won = ledger.claim(&key, owner, now).await?;
            Ok::<_, crate::Error>((key, alerts, won))
        })
        .buffered(CLAIMS_IN_FLIGHT)
        .try_collect()
        .await?;
    let mut keys = Vec::new();
    let mut alerts = Vec::new();
    let mut skipped = 0u64;
    for (key, lot, won) in claimed {
        if won {
            keys.push(key);
            alerts.extend(lot);
        } else {
            skipped += lot.len() as u64;
        }
    }
    let done = publish(sink, &alerts, skipped).await?;
    if !keys.is_empty() {
        ledger.mark_sent(&keys, owner, Utc::now()).await?;
    }
    Ok(done)
}

async fn publish(sink: &dyn AlertSink, alerts: &[Alert], skipped: u64) -> Result<Delivered> {
    if alerts.is_empty() {
        return Ok(Delivered {
            skipped,
            ..Delivered::default()
        });
    }
    let notifications = sink.publish(&pack(alerts)?).await?;
    Ok(Delivered {
        alerts: alerts.len() as u64,
        notifications: notifications as u64,
        skipped,
    })
}

/// Publishes alerts one ledger key each (an alert seen by overlapping runs or on two paths
/// goes out once).
pub async fn deliver_each(
    sink: &dyn AlertSink,
    ledger: Option<&dyn Ledger>,
    owner: &str,
    alerts: &[Alert],
) -> Result<Delivered> {
    let lots = alerts
        .iter()
        .map(|a| (crate::ledger::alert_key(&a.id), vec![a.clone()]))
        .collect();
    deliver(sink, ledger, owner, lots).await
}
