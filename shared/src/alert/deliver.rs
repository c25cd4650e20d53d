//! Delivering alerts once: every path (collect-results, the lookup sweep, EventBridge) hands
//! its alerts here. Each alert's deterministic id (rule + event) is claimed in the ledger
//! before it is published and marked sent after; an alert already delivered is skipped.
//! Without a ledger every alert is published.

use chrono::Utc;
use futures_util::stream::{self, StreamExt, TryStreamExt};

use super::{pack, Alert, AlertSink};
use crate::error::Result;
use crate::ledger::{alert_key, Claim, Ledger};

/// Claims run this many at a time (a page holds up to 1,000 findings).
const CLAIMS_IN_FLIGHT: usize = 32;

/// What a delivery did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Alerts published now.
    pub alerts: u64,
    /// Notifications (SNS messages) they went out in.
    pub notifications: u64,
    /// Alerts left out because they were already delivered (or are being delivered).
    pub skipped: u64,
    /// Of those, alerts another invocation has claimed and not yet marked sent: a caller that
    /// moves on past them (the lookup sweep) comes back for them later.
    pub held: u64,
}

/// Publishes the alerts not yet delivered, as `owner` (a retry of the same run may take over
/// its own unfinished claims).
pub async fn deliver(
    sink: &dyn AlertSink,
    ledger: Option<&dyn Ledger>,
    owner: &str,
    alerts: &[Alert],
) -> Result<Delivered> {
    let Some(ledger) = ledger else {
        return publish(sink, alerts, 0).await;
    };
    let now = Utc::now();
    let claims: Vec<Claim> = stream::iter(alerts)
        .map(|a| async move { ledger.claim(&alert_key(&a.id), owner, now).await })
        .buffered(CLAIMS_IN_FLIGHT)
        .try_collect()
        .await?;
    let claimed: Vec<Alert> = alerts
        .iter()
        .zip(&claims)
        .filter(|(_, c)| **c == Claim::Won)
        .map(|(a, _)| a.clone())
        .collect();
    let skipped = (alerts.len() - claimed.len()) as u64;
    let mut done = publish(sink, &claimed, skipped).await?;
    done.held = claims.iter().filter(|c| **c == Claim::Held).count() as u64;
    if !claimed.is_empty() {
        let keys: Vec<String> = claimed.iter().map(|a| alert_key(&a.id)).collect();
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
        held: 0,
    })
}
