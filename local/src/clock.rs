//! The service's notion of "now": real, or pinned to an instant and advancing from there, so
//! 90-day and last-24h windows make sense over archived events.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use datafusion::execution::SessionState;

/// How the service clock is set.
#[derive(Debug, Clone, PartialEq)]
pub enum ClockSpec {
    /// Just after the newest loaded event (the real clock when nothing is loaded).
    Auto,
    /// The machine's clock.
    Real,
    /// Starts at this instant and advances in real time.
    At(DateTime<Utc>),
}

impl std::str::FromStr for ClockSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Self::Auto),
            "real" => Ok(Self::Real),
            other => DateTime::parse_from_rfc3339(other)
                .map(|t| Self::At(t.with_timezone(&Utc)))
                .map_err(|e| {
                    format!("--clock takes auto, real or an RFC 3339 time ({other:?}: {e})")
                }),
        }
    }
}

/// A clock that is the real one shifted by an offset; clones share it, so moving it (as a
/// test does, to replay hours of schedule in seconds) moves it for the whole service.
#[derive(Debug, Clone)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    /// Builds the clock; `newest_ms` is the newest loaded event's time.
    pub fn new(spec: &ClockSpec, newest_ms: Option<i64>) -> Self {
        let real = Utc::now().timestamp_millis();
        let pinned = match spec {
            ClockSpec::Real => None,
            ClockSpec::At(t) => Some(t.timestamp_millis()),
            ClockSpec::Auto => newest_ms.map(|n| n + 1_000),
        };
        Self {
            offset_ms: Arc::new(AtomicI64::new(pinned.map_or(0, |p| p - real))),
        }
    }

    /// Now, in epoch milliseconds.
    pub fn now_ms(&self) -> i64 {
        Utc::now()
            .timestamp_millis()
            .saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    /// What the clock read (epoch milliseconds) at the real instant `real`.
    pub fn at_ms(&self, real: DateTime<Utc>) -> i64 {
        real.timestamp_millis()
            .saturating_add(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves the clock so that it reads `now` and advances in real time from there.
    pub fn set(&self, now: DateTime<Utc>) {
        let offset = now
            .timestamp_millis()
            .saturating_sub(Utc::now().timestamp_millis());
        self.offset_ms.store(offset, Ordering::Relaxed);
    }
}

/// The service-clock instant a query runs at (epoch milliseconds), in its DataFusion config:
/// `now()`, `current_timestamp`, `current_date`, `current_time` and `localtime` give it wherever
/// they are evaluated in the query, as Trino gives the query's start, so two uses never
/// straddle a millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryInstant(pub i64);

impl QueryInstant {
    /// `state` for a query running at this instant.
    pub fn state(self, mut state: SessionState) -> SessionState {
        state.config_mut().options_mut().extensions.insert(self);
        state
    }

    /// The instant of the query `options` configure, if it has one.
    pub fn of(options: &datafusion::config::ConfigOptions) -> Option<i64> {
        options.extensions.get::<Self>().map(|q| q.0)
    }
}

crate::extension::fixed_extension!(QueryInstant, "trailwatch_query_instant");
