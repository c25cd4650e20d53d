//! Events that reach event history late, as they do in AWS (up to about 15 minutes, sometimes
//! more): which events, and by how much, chosen by a seed so that a test can replay a run.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

/// Events that reach event history late: a seeded share of them, each delayed by up to `max`.
#[derive(Debug, Clone, Default)]
pub struct Arrival {
    pub seed: u64,
    /// Share (0..=1) of events that arrive late.
    pub late_share: f64,
    pub max_delay: std::time::Duration,
}

impl Arrival {
    /// Milliseconds after its time that `event_id` becomes visible.
    pub fn delay_ms(&self, event_id: &str) -> i64 {
        if self.late_share <= 0.0 || self.max_delay.is_zero() {
            return 0;
        }
        let mut h = DefaultHasher::new();
        (self.seed, event_id).hash(&mut h);
        let x = h.finish();
        // The low bits choose whether it is late, the high bits by how much.
        let late = (x % 1_000_000) as f64 / 1_000_000.0 < self.late_share;
        let max = i64::try_from(self.max_delay.as_millis()).unwrap_or(i64::MAX);
        if late && max > 0 {
            i64::try_from((x >> 20) % max.unsigned_abs()).unwrap_or(0)
        } else {
            0
        }
    }
}
