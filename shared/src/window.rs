//! Event-time windows: every query is bounded by one, derived from the schedule's time.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The longest window a check may scan (Lake bills per byte scanned).
pub const MAX_WINDOW: Duration = Duration::days(93);

/// A half-open event-time interval `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Parses `500ms`, `30m`, `24h`, `7d`, `2w`, `1h30m` (humantime's syntax) or a bare number of
/// seconds. Months and years are refused: they have no fixed length.
pub fn parse_duration(s: &str) -> Result<Duration> {
    let s = s.trim();
    let bad = |why: &str| {
        Error::InvalidInput(format!(
            "duration {s:?}: {why} (expected e.g. 500ms, 30m, 24h, 7d, 1h30m)"
        ))
    };
    let d = if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        std::time::Duration::from_secs(s.parse().map_err(|_| bad("too large"))?)
    } else {
        let calendar = s
            .split(|c: char| !c.is_ascii_alphabetic())
            .any(|unit| matches!(unit, "y" | "year" | "years" | "M" | "month" | "months"));
        if calendar {
            return Err(bad("months and years have no fixed length, use days"));
        }
        humantime::parse_duration(s).map_err(|e| bad(&e.to_string()))?
    };
    let d = Duration::from_std(d).map_err(|_| bad("too large"))?;
    if d <= Duration::zero() {
        return Err(bad("not more than zero"));
    }
    Ok(d)
}

/// Parses an RFC 3339 time.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::InvalidInput(format!("time {s:?} is not RFC 3339: {e}")))
}

/// An event time as CloudTrail writes it (`2023-07-10T12:00:00Z`), from Lake's printed
/// timestamp (`2023-07-10 12:00:00.000`) or Athena's text; anything else is kept as it is.
pub fn normalize_event_time(s: &str) -> String {
    whole_second(s).unwrap_or_else(|| reformat(s))
}

/// An event time as CloudTrail (RFC 3339) or Lake (`2023-07-10 12:00:00.000`, UTC) prints it.
pub fn parse_event_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").map(|t| t.and_utc())
        })
        .ok()
}

/// [`normalize_event_time`] by parsing and formatting: any precision, any offset.
fn reformat(s: &str) -> String {
    match parse_event_time(s) {
        Some(t) if t.timestamp_subsec_millis() == 0 => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => s.to_string(),
    }
}

/// The common shapes, whole seconds with the date and time valid (`2023-07-10T12:00:05Z`,
/// `2023-07-10 12:00:05.000`), rewritten without parsing and formatting: a collect turns every
/// result row's time through here.
fn whole_second(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let tail = b.get(19..)?;
    // CloudTrail's and Athena's form, or Lake's: the other mixes are left to the parser.
    let known = match b[10] {
        b'T' => matches!(tail, b"Z" | b".000Z"),
        b' ' => matches!(tail, b"" | b".000"),
        _ => false,
    };
    if !known {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let d = b.get(r)?;
        d.iter()
            .all(u8::is_ascii_digit)
            .then(|| d.iter().fold(0, |n, c| n * 10 + u32::from(c - b'0')))
    };
    let separators = b[4] == b'-' && b[7] == b'-' && b[13] == b':' && b[16] == b':';
    let year = i32::try_from(num(0..4)?).ok()?;
    chrono::NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?)?;
    chrono::NaiveTime::from_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
    separators.then(|| format!("{}T{}Z", &s[..10], &s[11..19]))
}

impl Window {
    /// A window with explicit ends, validated.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self> {
        if start >= end {
            return Err(Error::InvalidInput(format!(
                "window start {start} is not before end {end}"
            )));
        }
        if end - start > MAX_WINDOW {
            return Err(Error::InvalidInput(format!(
                "window of {} days is longer than the {} days allowed",
                (end - start).num_days(),
                MAX_WINDOW.num_days()
            )));
        }
        Ok(Self { start, end })
    }

    /// The `length` before `end`, with `end` truncated to the minute so that re-deliveries of
    /// one schedule produce the same window.
    pub fn ending_at(end: DateTime<Utc>, length: Duration) -> Result<Self> {
        let end = DateTime::from_timestamp(end.timestamp() - end.timestamp().rem_euclid(60), 0)
            .ok_or_else(|| Error::InvalidInput("window end out of range".into()))?;
        Self::new(end - length, end)
    }

    /// The window's length.
    pub fn length(&self) -> Duration {
        self.end - self.start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("24h").unwrap(), Duration::hours(24));
        assert_eq!(parse_duration("7d").unwrap(), Duration::days(7));
        assert_eq!(parse_duration("90").unwrap(), Duration::seconds(90));
        assert_eq!(
            parse_duration("500ms").unwrap(),
            Duration::milliseconds(500)
        );
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::minutes(90));
        assert_eq!(parse_duration("2w").unwrap(), Duration::days(14));
        for calendar in ["3y", "2months", "1M"] {
            let e = parse_duration(calendar).unwrap_err().to_string();
            assert!(e.contains("no fixed length"), "{calendar}: {e}");
        }
        assert_eq!(parse_duration("1.5h").unwrap(), Duration::minutes(90));
        for bad in ["", "0h", "h", "-5m", "3y", "1..5h", "5 parsecs"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn event_times_print_as_cloudtrail_writes_them() {
        for s in [
            "2023-07-10 12:00:05.000",
            "2023-07-10T12:00:05Z",
            "2023-07-10 12:00:05",
        ] {
            assert_eq!(normalize_event_time(s), "2023-07-10T12:00:05Z");
        }
        assert_eq!(normalize_event_time("soon"), "soon");
    }

    #[test]
    fn the_fast_path_agrees_with_parsing() {
        let mut cases = vec![
            "2023-02-30 12:00:00".to_string(),
            "2023-07-10 24:00:00".to_string(),
            "2023-07-10x12:00:00".to_string(),
            "2023-07-10 12:00:05.123".to_string(),
            "2023-07-10T12:00:05+02:00".to_string(),
            "+2023-07-10 12:00:0".to_string(),
            "２023-07-10 12:00:05".to_string(),
        ];
        for (d, t) in [("2024-02-29", "23:59:59"), ("1999-12-31", "00:00:00")] {
            for sep in ["T", " "] {
                for tail in ["", "Z", ".000", ".000Z", ".0", "z"] {
                    cases.push(format!("{d}{sep}{t}{tail}"));
                }
            }
        }
        for c in &cases {
            if let Some(fast) = whole_second(c) {
                assert_eq!(fast, reformat(c), "{c}");
            }
            assert_eq!(normalize_event_time(c), reformat(c), "{c}");
        }
        assert!(cases.iter().filter(|c| whole_second(c).is_some()).count() >= 8);
    }

    #[test]
    fn windows_come_from_the_schedule_time() {
        let t = parse_time("2023-07-10T12:30:42Z").unwrap();
        let w = Window::ending_at(t, Duration::hours(1)).unwrap();
        assert_eq!(w.end, parse_time("2023-07-10T12:30:00Z").unwrap());
        assert_eq!(w.start, parse_time("2023-07-10T11:30:00Z").unwrap());
        assert!(Window::new(w.end, w.start).is_err());
        assert!(Window::ending_at(t, Duration::days(94)).is_err());
    }
}
