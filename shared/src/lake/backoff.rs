//! How long the state machine waits between DescribeQuery polls: short first (most checks
//! finish in seconds), growing, capped (an hour-long query should not cost thousands of polls).

use serde::{Deserialize, Serialize};

/// Exponential backoff with a cap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Backoff {
    pub initial_secs: u32,
    pub factor: f64,
    pub max_secs: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial_secs: 2,
            factor: 2.0,
            max_secs: 60,
        }
    }
}

impl Backoff {
    /// The wait before poll number `attempt` (0-based).
    pub fn wait_secs(&self, attempt: u32) -> u32 {
        let w = self.initial_secs as f64 * self.factor.powi(attempt.min(64) as i32);
        (w.min(self.max_secs as f64) as u32).max(1)
    }

    /// How many polls a query that runs for `secs` seconds takes (first poll after the first wait).
    pub fn polls_for(&self, secs: u64) -> u32 {
        let (mut waited, mut polls) = (0u64, 0u32);
        while waited < secs {
            waited += self.wait_secs(polls) as u64;
            polls += 1;
        }
        polls.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_then_caps() {
        let b = Backoff::default();
        let waits: Vec<u32> = (0..8).map(|a| b.wait_secs(a)).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(b.wait_secs(1000), 60);
        assert_eq!(b.polls_for(30), 4);
        assert_eq!(b.polls_for(3600), 64);
    }
}
