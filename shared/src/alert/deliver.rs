//! Delivering alerts once: every path (collect-results, the lookup sweep, EventBridge) hands
//! its alerts here. Each alert's deterministic id (rule + event) is claimed in the ledger
//! before it is published and marked sent after; an alert already delivered is skipped.
//! Without a ledger every alert is published.
//!
//! An invocation cut off between publishing and marking would publish again when retried, so
//! a delivery publishes a chunk at a time, recording each before the next, and starts no chunk
//! with less than its [`Cutoff`]'s reserve left: it gives back the claims of what is left and
//! reports those alerts deferred, for its caller to come back for.

use std::time::{Duration, SystemTime};

use chrono::Utc;

use super::{pack, Alert, AlertSink, Notification, MAX_BATCH_ENTRIES};
use crate::error::Result;
use crate::ledger::{alert_key, Claim, Ledger};

/// Notifications published between two records in the ledger: ten PublishBatch requests.
const CHUNK: usize = 10 * MAX_BATCH_ENTRIES;

/// The latest moment a delivery may start publishing: `reserve` before `deadline` (the
/// invocation's), time enough to publish one batch and record it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cutoff {
    /// When the invocation is stopped; None: never (the CLI).
    pub deadline: Option<SystemTime>,
    /// The time publishing and recording must have left.
    pub reserve: Duration,
}

impl Cutoff {
    /// No deadline: every delivery publishes.
    pub const NONE: Cutoff = Cutoff {
        deadline: None,
        reserve: Duration::ZERO,
    };

    /// Publishing must start `reserve` before `deadline`.
    pub fn new(deadline: Option<SystemTime>, reserve: Duration) -> Self {
        Self { deadline, reserve }
    }

    /// Whether it is too late to start publishing.
    pub fn passed(&self) -> bool {
        self.deadline
            .is_some_and(|d| SystemTime::now() + self.reserve >= d)
    }
}

/// Who delivers, where to, and until when.
#[derive(Clone, Copy)]
pub struct Delivery<'a> {
    pub sink: &'a dyn AlertSink,
    pub ledger: Option<&'a dyn Ledger>,
    /// The ledger owner: a retry of the same run may take over its own unfinished claims.
    pub owner: &'a str,
    pub cutoff: Cutoff,
}

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
    /// Alerts not published because the cutoff had passed (their claims given back): the
    /// caller must come back for them, as for held ones.
    pub deferred: u64,
}

impl Delivered {
    /// Whether some alerts are neither out nor known delivered: the caller comes back for them.
    pub fn incomplete(&self) -> bool {
        self.held > 0 || self.deferred > 0
    }
}

impl std::ops::Add for Delivered {
    type Output = Delivered;
    fn add(self, o: Delivered) -> Delivered {
        Delivered {
            alerts: self.alerts + o.alerts,
            notifications: self.notifications + o.notifications,
            skipped: self.skipped + o.skipped,
            held: self.held + o.held,
            deferred: self.deferred + o.deferred,
        }
    }
}

impl Delivery<'_> {
    /// Publishes the alerts not yet delivered.
    pub async fn send(&self, alerts: &[Alert]) -> Result<Delivered> {
        let Some(ledger) = self.ledger else {
            return publish(self.sink, alerts).await;
        };
        let owner = self.owner;
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
        let notifications = pack(&claimed, self.sink.format())?;
        let mut done = Delivered {
            skipped,
            held,
            ..Delivered::default()
        };
        // A chunk at a time, each recorded before the next starts: a timeout can only catch the
        // chunk in flight, and the cutoff is checked before each.
        let mut rest = notifications.as_slice();
        while !rest.is_empty() {
            if self.cutoff.passed() {
                done.deferred = self.give_back(ledger, rest).await;
                return Ok(done);
            }
            let (chunk, tail) = rest.split_at(rest.len().min(CHUNK));
            let out = self.sink.publish(chunk).await;
            // What went out is recorded even when the rest failed: a retry publishes only the
            // rest.
            let keys: Vec<String> = chunk
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
            done.alerts += keys.len() as u64;
            done.notifications += out.count() as u64;
            rest = tail;
        }
        Ok(done)
    }

    /// Gives back the claims of `unsent` (so that the next run need not wait out the lease;
    /// if that fails too, a retry of this run, same owner, or the lease frees them); returns
    /// how many alerts they hold.
    async fn give_back(&self, ledger: &dyn Ledger, unsent: &[Notification]) -> u64 {
        let keys: Vec<String> = unsent
            .iter()
            .flat_map(|n| n.alert_ids.iter().map(|id| alert_key(id)))
            .collect();
        if let Err(e) = ledger.release(&keys, self.owner).await {
            tracing::warn!(error = %e, "claims not given back: they wait for the lease");
        }
        tracing::info!(
            deferred = keys.len(),
            "too little time left to publish and record: alerts deferred"
        );
        keys.len() as u64
    }
}

/// Publishes every alert (no ledger): all or an error.
async fn publish(sink: &dyn AlertSink, alerts: &[Alert]) -> Result<Delivered> {
    let out = sink.publish(&pack(alerts, sink.format())?).await;
    if let Some(e) = out.error {
        return Err(e);
    }
    Ok(Delivered {
        alerts: alerts.len() as u64,
        notifications: out.count() as u64,
        ..Delivered::default()
    })
}
