//! The scheduled LookupEvents sweep: the safety net behind EventBridge for events it missed
//! and for events that reach event history late.
//!
//! Each lane (a region, with its own rate limit and checkpoint) is read twice: a *fresh* pass
//! soon after events happen (up to `lag` before the schedule's time), and a *final* pass over the
//! same range once the late-arrival horizon has passed, when no more of its events can arrive.
//! A fresh pass that began when its range was already older than the horizon is final too, so
//! a lane catching up reads each range once. Alerts go out page by page through the ledger
//! (which drops what the other pass, the EventBridge path or a retry already sent); progress is
//! saved every few pages and before the invocation's deadline, and the next run continues.
//!
//! Events of global services (IAM, STS, sign-in, CloudFront, Route 53, Organizations) are
//! recorded in us-east-1: other lanes leave them to it, and when us-east-1 is not a configured region a lane reads just those services
//! there.

use std::sync::Arc;
use std::time::SystemTime;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::checkpoint::{Active, Checkpoint, Checkpoints, Pass};
use super::correlate::Correlations;
use super::plan::Plan;
use super::scan::{Collector, PageOut, Reader, Scan};
use super::{Attribute, EventHistory};
use crate::alert::deliver::{Cutoff, Delivery};
use crate::alert::AlertSink;
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::rules::RuleSet;
use crate::window::Window;

/// The region where global services' events are recorded.
pub const GLOBAL_REGION: &str = "us-east-1";
/// Event sources of the global services.
pub const GLOBAL_SOURCES: [&str; 6] = [
    "iam.amazonaws.com",
    "sts.amazonaws.com",
    "signin.amazonaws.com",
    "cloudfront.amazonaws.com",
    "route53.amazonaws.com",
    "organizations.amazonaws.com",
];

/// One region's reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lane {
    pub region: String,
    /// Only the global services' events (us-east-1 when it is not a configured region).
    pub global_only: bool,
}

impl Lane {
    /// The checkpoint's name.
    pub fn key(&self) -> String {
        if self.global_only {
            format!("{}#global", self.region)
        } else {
            self.region.clone()
        }
    }

    /// The plan when the lane fixes it (the global services' sources).
    fn plan(&self) -> Option<Plan> {
        self.global_only.then(|| {
            Plan::Lookups(
                GLOBAL_SOURCES
                    .iter()
                    .map(|s| (Attribute::EventSource, (*s).to_string()))
                    .collect(),
            )
        })
    }

    /// The region whose events count (events recorded elsewhere belong to another lane).
    fn only_region(&self) -> Option<String> {
        (self.region != GLOBAL_REGION).then(|| self.region.clone())
    }
}

/// The lanes for the configured regions (duplicates removed; a global-services lane in
/// us-east-1 when it is not one of them).
pub fn lanes(regions: &[String]) -> Vec<Lane> {
    let mut out: Vec<Lane> = Vec::new();
    for r in regions {
        if !out.iter().any(|l| &l.region == r) {
            out.push(Lane {
                region: r.clone(),
                global_only: false,
            });
        }
    }
    if !out.iter().any(|l| l.region == GLOBAL_REGION) {
        out.push(Lane {
            region: GLOBAL_REGION.into(),
            global_only: true,
        });
    }
    out
}

/// The sweep's timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SweepSettings {
    /// How far back a lane's first run reads.
    pub lookback: Duration,
    /// Fresh passes end this long before the schedule's time.
    pub lag: Duration,
    /// Events may reach event history this long after they happen (30 min by default).
    pub late: Duration,
    /// Progress is saved and the run ends when this little time is left before the deadline.
    pub margin: std::time::Duration,
    /// Progress is saved after this many pages.
    pub save_every: u32,
    /// The longest range one pass reads (so cursors move while a lane catches up).
    pub max_pass: Duration,
}

impl Default for SweepSettings {
    fn default() -> Self {
        Self {
            lookback: Duration::minutes(15),
            lag: Duration::minutes(2),
            late: Duration::minutes(30),
            // Room for the page in hand to be delivered: SDK retries, ledger marks retried.
            margin: std::time::Duration::from_secs(60),
            save_every: 20,
            max_pass: Duration::hours(1),
        }
    }
}

impl SweepSettings {
    /// When deliveries of an invocation that ends at `deadline` may no longer start publishing,
    /// taken at the invocation's start: half the margin before the deadline (the page in hand
    /// was read with the whole margin left), and at most a third of the time left now (an
    /// EventBridge invocation's timeout may be shorter than the sweep's margin).
    pub fn cutoff(&self, deadline: Option<SystemTime>) -> Cutoff {
        let left = deadline
            .and_then(|d| d.duration_since(SystemTime::now()).ok())
            .unwrap_or_default();
        Cutoff::new(deadline, (self.margin / 2).min(left / 3))
    }
}

/// What a run did in one lane.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LaneReport {
    pub lane: String,
    /// LookupEvents requests.
    pub calls: u64,
    /// Distinct events evaluated.
    pub events: u64,
    pub malformed: u64,
    /// Alerts found (before the ledger).
    pub alerts: u64,
    /// Alerts published now, and the notifications they took.
    pub published: u64,
    pub notifications: u64,
    /// Alerts another invocation holds unsent: the lane stopped before them and retries.
    pub held: u64,
    /// Checkpoint saves.
    pub saves: u64,
    /// Whether the lane reached its target (false: out of time or held, continued next run).
    pub caught_up: bool,
    pub fresh_until: Option<DateTime<Utc>>,
    pub final_until: Option<DateTime<Utc>>,
}

/// The sweep with everything it runs with.
#[derive(Clone)]
pub struct Sweeper {
    /// Each lane with its region's event history.
    pub lanes: Vec<(Lane, Arc<dyn EventHistory>)>,
    pub checkpoints: Arc<dyn Checkpoints>,
    pub alerts: Arc<dyn AlertSink>,
    pub ledger: Option<Arc<dyn Ledger>>,
    pub rules: Arc<RuleSet>,
    /// Where the correlation rules count the events they follow.
    pub correlations: Correlations,
    pub settings: SweepSettings,
}

/// The next reading a lane owes at `now`: the final pass first (it is older), then the fresh one.
pub fn next_pass(cp: &Checkpoint, now: DateTime<Utc>, s: &SweepSettings) -> Option<(Pass, Window)> {
    let fresh_end = now - s.lag;
    let final_end = cp.fresh_until.min(fresh_end - s.late);
    let (pass, start, end) = if final_end > cp.final_until {
        (Pass::Final, cp.final_until, final_end)
    } else if fresh_end > cp.fresh_until {
        (Pass::Fresh, cp.fresh_until, fresh_end)
    } else {
        return None;
    };
    let end = end.min(start + s.max_pass);
    Window::new(start, end).ok().map(|w| (pass, w))
}

/// Records a finished reading in the checkpoint.
pub fn finish(cp: &mut Checkpoint, done: &Active, s: &SweepSettings) {
    let w = done.scan.window;
    match done.pass {
        Pass::Fresh => {
            cp.fresh_until = cp.fresh_until.max(w.end);
            // Whatever was older than the horizon when the reading began had all arrived.
            let settled = w.end.min(done.begun - s.late);
            if cp.final_until >= w.start && settled > cp.final_until {
                cp.final_until = settled;
            }
        }
        Pass::Final => cp.final_until = cp.final_until.max(w.end),
    }
}

fn out_of_time(deadline: Option<SystemTime>, margin: std::time::Duration) -> bool {
    deadline.is_some_and(|d| SystemTime::now() + margin >= d)
}

impl Sweeper {
    /// Delivery as `owner`, publishing only before `cutoff` ([`SweepSettings::cutoff`]).
    pub fn delivery<'a>(&'a self, owner: &'a str, cutoff: Cutoff) -> Delivery<'a> {
        Delivery {
            sink: self.alerts.as_ref(),
            ledger: self.ledger.as_deref(),
            owner,
            cutoff,
        }
    }

    /// Runs every lane (concurrently: each has its own rate limit) for the schedule's `now`,
    /// as `owner` (the ledger lets a retry of the same run finish its own claims).
    pub async fn run(
        &self,
        now: DateTime<Utc>,
        deadline: Option<SystemTime>,
        owner: &str,
    ) -> Result<Vec<LaneReport>> {
        let cutoff = self.settings.cutoff(deadline);
        let runs = self
            .lanes
            .iter()
            .map(|(lane, history)| self.lane(lane, history.as_ref(), now, deadline, cutoff, owner));
        let results = futures_util::future::join_all(runs).await;
        // Correlation alerts a failed run saved and did not publish go out now.
        let owner = format!("{owner}#correlations");
        self.correlations
            .run(&self.rules, &[], &self.delivery(&owner, cutoff), now)
            .await?;
        // Every lane saved what it did; the first error fails the invocation (to be retried).
        results.into_iter().collect()
    }

    async fn lane(
        &self,
        lane: &Lane,
        history: &dyn EventHistory,
        now: DateTime<Utc>,
        deadline: Option<SystemTime>,
        cutoff: Cutoff,
        owner: &str,
    ) -> Result<LaneReport> {
        let s = &self.settings;
        let key = lane.key();
        let (mut cp, mut version) = if let Some(stored) = self.checkpoints.load(&key).await? {
            (stored.checkpoint, Some(stored.version))
        } else {
            let start = now - s.lag - s.lookback;
            (
                Checkpoint {
                    fresh_until: start,
                    final_until: start,
                    active: None,
                },
                None,
            )
        };
        let mut report = LaneReport {
            lane: key.clone(),
            ..LaneReport::default()
        };
        let mut reader = Reader::new(history, &self.rules);
        let mut collector = Collector::new(&self.rules, lane.only_region());
        let mut unsaved = 0u32;
        let result: Result<()> = async {
            loop {
                if cp.active.is_none() {
                    let Some((pass, window)) = next_pass(&cp, now, s) else {
                        report.caught_up = true;
                        break;
                    };
                    cp.active = Some(Active {
                        pass,
                        scan: Scan::new(window, lane.plan()),
                        begun: now,
                    });
                    reader.restart();
                }
                if out_of_time(deadline, s.margin) {
                    break;
                }
                let Some(active) = cp.active.as_mut() else {
                    continue;
                };
                let before = active.scan.clone();
                match reader.next(&mut active.scan, &mut collector).await? {
                    None => {
                        if let Some(done) = cp.active.take() {
                            finish(&mut cp, &done, s);
                        }
                        version = Some(self.checkpoints.save(&key, &cp, version).await?);
                        report.saves += 1;
                        unsaved = 0;
                    }
                    Some(PageOut { alerts, counted }) => {
                        report.alerts += alerts.len() as u64;
                        let delivered = async {
                            let d = self.delivery(owner, cutoff).send(&alerts).await?;
                            // Lanes of one run share the state's pending alerts: each claims
                            // them as its own owner, so one lane cannot take over another's.
                            let lane_owner = format!("{owner}#{key}");
                            let c = self
                                .correlations
                                .run(
                                    &self.rules,
                                    &counted,
                                    &self.delivery(&lane_owner, cutoff),
                                    now,
                                )
                                .await?;
                            report.alerts += c.alerts + c.skipped;
                            Ok::<_, Error>(d + c)
                        }
                        .await;
                        let d = match delivered {
                            Ok(d) => d,
                            Err(e) => {
                                // Keep what was read before this page (this page is read again
                                // next time; the ledger drops what of it went out). A page that
                                // keeps failing stops the region, with an error each run, rather
                                // than be skipped.
                                active.scan = before;
                                if let Err(save) = self.checkpoints.save(&key, &cp, version).await {
                                    tracing::warn!(error = %save, "progress not saved");
                                }
                                return Err(e);
                            }
                        };
                        report.published += d.alerts;
                        report.notifications += d.notifications;
                        if d.incomplete() {
                            // Come back for this page: a holder may yet fail, and what was
                            // deferred for want of time is published next run.
                            report.held += d.held + d.deferred;
                            active.scan = before;
                            unsaved += 1;
                            break;
                        }
                        unsaved += 1;
                        if unsaved >= s.save_every {
                            version = Some(self.checkpoints.save(&key, &cp, version).await?);
                            report.saves += 1;
                            unsaved = 0;
                        }
                    }
                }
            }
            if unsaved > 0 || version.is_none() {
                self.checkpoints.save(&key, &cp, version).await?;
                report.saves += 1;
            }
            Ok(())
        }
        .await;
        report.calls = reader.calls;
        report.events = collector.events;
        report.malformed = collector.malformed;
        report.fresh_until = Some(cp.fresh_until);
        report.final_until = Some(cp.final_until);
        tracing::info!(
            lane = %report.lane,
            calls = report.calls,
            events = report.events,
            alerts = report.alerts,
            published = report.published,
            caught_up = report.caught_up,
            fresh_until = %cp.fresh_until,
            final_until = %cp.final_until,
            "lane swept"
        );
        result.map(|()| report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// The deployed defaults: the sweep (300 s) keeps half its 60 s margin; the EventBridge
    /// function (30 s, shorter than the margin) a third of its time, so it can publish at all.
    #[test]
    fn the_publishing_cutoff_fits_the_invocation() {
        let s = SweepSettings::default();
        let now = SystemTime::now();
        let sweep = s.cutoff(Some(now + std::time::Duration::from_secs(300)));
        assert_eq!(sweep.reserve, std::time::Duration::from_secs(30));
        assert!(!sweep.passed());
        let eventbridge = s.cutoff(Some(now + std::time::Duration::from_secs(30)));
        assert!(eventbridge.reserve <= std::time::Duration::from_secs(10));
        assert!(eventbridge.reserve >= std::time::Duration::from_secs(9));
        assert!(!eventbridge.passed());
        assert_eq!(s.cutoff(None), Cutoff::NONE);
        assert!(s.cutoff(Some(now)).reserve.is_zero());
    }

    #[test]
    fn global_services_are_read_once_from_us_east_1() {
        let l = lanes(&["eu-west-1".into(), "eu-west-1".into()]);
        assert_eq!(l.len(), 2);
        assert!(l[1].global_only && l[1].region == GLOBAL_REGION);
        assert_eq!(l[0].only_region().as_deref(), Some("eu-west-1"));
        let l = lanes(&["us-east-1".into(), "eu-west-1".into()]);
        assert!(l.iter().all(|l| !l.global_only));
    }

    #[test]
    fn every_range_is_read_fresh_then_final_after_the_horizon() {
        let s = SweepSettings::default();
        let mut cp = Checkpoint {
            fresh_until: t("2026-01-01T00:00:00Z"),
            final_until: t("2026-01-01T00:00:00Z"),
            active: None,
        };
        let now = t("2026-01-01T00:12:00Z");
        // Nothing is final yet: only the fresh pass, up to `lag` before now.
        let (pass, w) = next_pass(&cp, now, &s).unwrap();
        assert_eq!((pass, w.end), (Pass::Fresh, t("2026-01-01T00:10:00Z")));
        let active = Active {
            pass,
            scan: Scan::new(w, None),
            begun: now,
        };
        finish(&mut cp, &active, &s);
        assert_eq!(cp.final_until, t("2026-01-01T00:00:00Z"));
        assert!(next_pass(&cp, now, &s).is_none(), "caught up");
        // 32 minutes later the first range is past the horizon: final pass over it first.
        let later = now + Duration::minutes(32);
        let (pass, w) = next_pass(&cp, later, &s).unwrap();
        assert_eq!(pass, Pass::Final);
        assert_eq!(
            (w.start, w.end),
            (t("2026-01-01T00:00:00Z"), t("2026-01-01T00:10:00Z"))
        );
    }

    #[test]
    fn a_lane_catching_up_reads_old_ranges_once() {
        let s = SweepSettings::default();
        let mut cp = Checkpoint {
            fresh_until: t("2026-01-01T00:00:00Z"),
            final_until: t("2026-01-01T00:00:00Z"),
            active: None,
        };
        let now = t("2026-01-01T05:00:00Z");
        let (pass, w) = next_pass(&cp, now, &s).unwrap();
        assert_eq!(pass, Pass::Fresh);
        assert_eq!(w.length(), s.max_pass);
        finish(
            &mut cp,
            &Active {
                pass,
                scan: Scan::new(w, None),
                begun: now,
            },
            &s,
        );
        assert_eq!(cp.final_until, w.end, "read when already settled");
    }
}
