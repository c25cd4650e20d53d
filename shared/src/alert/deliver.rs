//! Delivering alerts once: every path (collect-results, the lookup sweep, EventBridge) hands
//! its alerts here. Each alert's deterministic id (rule + event) is claimed in the ledger
//! before it is published and marked sent after; an alert already delivered is skipped.
//! Without a ledger every alert is published.

use chrono::Utc;

use super::{pack, Alert, AlertSink};
use crate::error::Result;
use crate::ledger::{alert_key, Claim, Ledger};

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
        return publish(sink, alerts).await;
    };
    // The same alert twice in one batch (a result row repeated) is one alert.
    let mut ids = std::collections::HashSet::with_capacity(alerts.len());
    let alerts: Vec<Alert> = alerts
        .iter()
        .filter(|a| ids.insert(a.id.as_str()))
        .cloned()
        .collect();
    let keys: Vec<String> = alerts.iter().map(|a| alert_key(&a.id)).collect();
    let claims = ledger.claim_many(&keys, owner, Utc::now()).await?;
    let claimed: Vec<Alert> = alerts
        .iter()
        .zip(&claims)
        .filter(|(_, c)| **c == Claim::Won)
        .map(|(a, _)| a.clone())
        .collect();
    let skipped = (alerts.len() - claimed.len()) as u64;
    let held = claims.iter().filter(|c| **c == Claim::Held).count() as u64;
    let notifications = pack(&claimed)?;
    let out = sink.publish(&notifications).await;
    // What went out is recorded even when the rest failed: a retry publishes only the rest.
    let keys: Vec<String> = notifications
        .iter()
        .zip(&out.sent)
        .filter(|(_, sent)| **sent)
        .flat_map(|(n, _)| n.alert_ids.iter().map(|id| alert_key(id)))
        .collect();
    if !keys.is_empty() {
        ledger.mark_sent(&keys, owner, Utc::now()).await?;
    }
    if let Some(e) = out.error {
        return Err(e);
    }
    Ok(Delivered {
        alerts: claimed.len() as u64,
        notifications: out.count() as u64,
        skipped,
        held,
    })
}

/// Publishes every alert (no ledger): all or an error.
async fn publish(sink: &dyn AlertSink, alerts: &[Alert]) -> Result<Delivered> {
    let out = sink.publish(&pack(alerts)?).await;
    if let Some(e) = out.error {
        return Err(e);
    }
    Ok(Delivered {
        alerts: alerts.len() as u64,
        notifications: out.count() as u64,
        ..Delivered::default()
    })
}
