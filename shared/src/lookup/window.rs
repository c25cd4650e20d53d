//! The window a scheduled scan covers: it ends `lag` before the schedule's time (events reach
//! event history minutes late) and is longer than the schedule's period, so consecutive runs
//! overlap and a late event is still seen; overlapping findings share deterministic alert ids.

use chrono::{DateTime, Duration, Utc};

use crate::error::Result;
use crate::window::Window;

/// `[time - lag - length, time - lag)`.
pub fn scheduled(time: DateTime<Utc>, length: Duration, lag: Duration) -> Result<Window> {
    let end = time - lag;
    Window::new(end - length, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lagged_and_overlapping() {
        let t: DateTime<Utc> = "2023-07-10T12:10:00Z".parse().unwrap();
        let w1 = scheduled(t, Duration::minutes(15), Duration::minutes(2)).unwrap();
        let w2 = scheduled(
            t + Duration::minutes(10),
            Duration::minutes(15),
            Duration::minutes(2),
        )
        .unwrap();
        assert_eq!(
            w1.end,
            "2023-07-10T12:08:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert!(w2.start < w1.end, "consecutive windows overlap");
    }
}
