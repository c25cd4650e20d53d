//! Configuration from environment variables, validated once at start-up.

use chrono::Duration;

use crate::error::{Error, Result};
use crate::lake::backoff::Backoff;
use crate::lake::template::store_id;
use crate::lake::window::parse_duration;

/// Everything the handlers read from their environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// `TRAILWATCH_EVENT_DATA_STORE`: default event data store (id or ARN).
    pub event_data_store: Option<String>,
    /// `TRAILWATCH_OWNER_ACCOUNT_ID`: owner of an organization event data store.
    pub owner_account_id: Option<String>,
    /// `TRAILWATCH_ALERT_TOPIC_ARN`: where alerts go.
    pub alert_topic_arn: Option<String>,
    /// `TRAILWATCH_DELIVERY_S3_URI`: where Lake also delivers results when the input names nowhere.
    pub delivery_s3_uri: Option<String>,
    /// `TRAILWATCH_ALLOW_ADHOC_SQL`: whether start-query accepts SQL in its input.
    pub allow_adhoc_sql: bool,
    /// `TRAILWATCH_DEFAULT_WINDOW`: window length when the input names none (default 24h).
    pub default_window: Duration,
    /// `TRAILWATCH_QUERY_DEADLINE`: a query still running this long after start is cancelled (default 50m).
    pub query_deadline: Duration,
    /// `TRAILWATCH_CHECKS_DIR`: extra checks to load beside the bundled ones.
    pub checks_dir: Option<String>,
    /// `TRAILWATCH_PAGE_SIZE`: GetQueryResults page size, 1..=1000 (default 1000).
    pub page_size: i32,
    /// `TRAILWATCH_POLL_INITIAL_SECS` / `TRAILWATCH_POLL_MAX_SECS`: poll backoff.
    pub backoff: Backoff,
    /// `TRAILWATCH_RULES_DIR`: extra Sigma rules beside the bundled ones.
    pub rules_dir: Option<String>,
    /// `TRAILWATCH_LOOKUP_WINDOW`: how far back a scheduled scan looks (default 15m; longer than
    /// the schedule's period so runs overlap).
    pub lookup_window: Duration,
    /// `TRAILWATCH_LOOKUP_LAG`: how long before the schedule's time the scan ends (default 2m).
    pub lookup_lag: Duration,
    /// `TRAILWATCH_LOOKUP_RATE`: LookupEvents requests per second (default and AWS's limit: 2).
    pub lookup_rate: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            event_data_store: None,
            owner_account_id: None,
            alert_topic_arn: None,
            delivery_s3_uri: None,
            allow_adhoc_sql: false,
            default_window: Duration::hours(24),
            query_deadline: Duration::minutes(50),
            checks_dir: None,
            page_size: 1000,
            backoff: Backoff::default(),
            rules_dir: None,
            lookup_window: Duration::minutes(15),
            lookup_lag: Duration::minutes(2),
            lookup_rate: 2,
        }
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads configuration through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let bad = |k: &str, v: &str, why: &str| Error::Config(format!("{k}={v:?}: {why}"));
        let mut c = Config::default();
        if let Some(v) = get("TRAILWATCH_EVENT_DATA_STORE") {
            store_id(&v).map_err(|e| bad("TRAILWATCH_EVENT_DATA_STORE", &v, &e.to_string()))?;
            c.event_data_store = Some(v);
        }
        if let Some(v) = get("TRAILWATCH_OWNER_ACCOUNT_ID") {
            if v.len() != 12 || !v.chars().all(|ch| ch.is_ascii_digit()) {
                return Err(bad(
                    "TRAILWATCH_OWNER_ACCOUNT_ID",
                    &v,
                    "expected a 12-digit account id",
                ));
            }
            c.owner_account_id = Some(v);
        }
        if let Some(v) = get("TRAILWATCH_ALERT_TOPIC_ARN") {
            if !v.starts_with("arn:") || v.split(':').count() < 6 {
                return Err(bad(
                    "TRAILWATCH_ALERT_TOPIC_ARN",
                    &v,
                    "expected an SNS topic ARN",
                ));
            }
            c.alert_topic_arn = Some(v);
        }
        if let Some(v) = get("TRAILWATCH_DELIVERY_S3_URI") {
            if !v.starts_with("s3://") || v.len() > 1024 {
                return Err(bad(
                    "TRAILWATCH_DELIVERY_S3_URI",
                    &v,
                    "expected s3://bucket/prefix (at most 1024 characters)",
                ));
            }
            c.delivery_s3_uri = Some(v);
        }
        if let Some(v) = get("TRAILWATCH_ALLOW_ADHOC_SQL") {
            c.allow_adhoc_sql = match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" => false,
                _ => {
                    return Err(bad(
                        "TRAILWATCH_ALLOW_ADHOC_SQL",
                        &v,
                        "expected true or false",
                    ))
                }
            };
        }
        if let Some(v) = get("TRAILWATCH_DEFAULT_WINDOW") {
            c.default_window = parse_duration(&v)
                .map_err(|e| bad("TRAILWATCH_DEFAULT_WINDOW", &v, &e.to_string()))?;
        }
        if let Some(v) = get("TRAILWATCH_QUERY_DEADLINE") {
            c.query_deadline = parse_duration(&v)
                .map_err(|e| bad("TRAILWATCH_QUERY_DEADLINE", &v, &e.to_string()))?;
        }
        c.checks_dir = get("TRAILWATCH_CHECKS_DIR");
        if let Some(v) = get("TRAILWATCH_PAGE_SIZE") {
            c.page_size = v
                .parse()
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| bad("TRAILWATCH_PAGE_SIZE", &v, "expected 1..=1000"))?;
        }
        for (k, slot) in [
            ("TRAILWATCH_POLL_INITIAL_SECS", &mut c.backoff.initial_secs),
            ("TRAILWATCH_POLL_MAX_SECS", &mut c.backoff.max_secs),
        ] {
            if let Some(v) = get(k) {
                *slot = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=3600).contains(n))
                    .ok_or_else(|| bad(k, &v, "expected 1..=3600 seconds"))?;
            }
        }
        c.rules_dir = get("TRAILWATCH_RULES_DIR");
        if let Some(v) = get("TRAILWATCH_LOOKUP_WINDOW") {
            c.lookup_window = parse_duration(&v)
                .map_err(|e| bad("TRAILWATCH_LOOKUP_WINDOW", &v, &e.to_string()))?;
        }
        if let Some(v) = get("TRAILWATCH_LOOKUP_LAG") {
            c.lookup_lag =
                parse_duration(&v).map_err(|e| bad("TRAILWATCH_LOOKUP_LAG", &v, &e.to_string()))?;
        }
        if let Some(v) = get("TRAILWATCH_LOOKUP_RATE") {
            c.lookup_rate = v
                .parse()
                .ok()
                .filter(|n| (1..=2).contains(n))
                .ok_or_else(|| {
                    bad(
                        "TRAILWATCH_LOOKUP_RATE",
                        &v,
                        "expected 1 or 2 (AWS allows 2 per second)",
                    )
                })?;
        }
        Ok(c)
    }

    /// The alert topic, required by the functions that publish.
    pub fn require_topic(&self) -> Result<&str> {
        self.alert_topic_arn
            .as_deref()
            .ok_or_else(|| Error::Config("TRAILWATCH_ALERT_TOPIC_ARN is not set".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn validates_with_clear_messages() {
        assert!(cfg(&[]).is_ok());
        let e = cfg(&[("TRAILWATCH_EVENT_DATA_STORE", "x'; DROP")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("TRAILWATCH_EVENT_DATA_STORE"), "{e}");
        assert!(cfg(&[("TRAILWATCH_PAGE_SIZE", "5000")]).is_err());
        assert!(cfg(&[("TRAILWATCH_ALLOW_ADHOC_SQL", "maybe")]).is_err());
        let c = cfg(&[
            ("TRAILWATCH_DEFAULT_WINDOW", "7d"),
            ("TRAILWATCH_ALLOW_ADHOC_SQL", "true"),
        ])
        .unwrap();
        assert_eq!(c.default_window, Duration::days(7));
        assert!(c.allow_adhoc_sql);
    }
}
