//! Configuration from environment variables, validated once at start-up.

use chrono::Duration;

use crate::athena::AthenaTarget;
use crate::engine::EngineKind;
use crate::error::{Error, Result};
use crate::s3uri::S3Uri;
use crate::sql::Source;
use crate::window::parse_duration;

/// Everything the handlers read from their environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// `TRAILWATCH_ENGINE`: `lake` (default) or `athena`.
    pub engine: EngineKind,
    /// `TRAILWATCH_ATHENA_WORKGROUP`, `_DATABASE`, `_TABLE`, `_CATALOG`: required for Athena.
    pub athena: Option<AthenaTarget>,
    /// `TRAILWATCH_ATHENA_PROJECTION_START` (`yyyy/MM/dd`, default 2020/01/01): the first day
    /// of the table's partition projection; a window before it would silently read nothing.
    pub athena_projection_start: chrono::NaiveDate,
    /// `TRAILWATCH_EVENT_DATA_STORE`: default event data store (id or ARN).
    pub event_data_store: Option<String>,
    /// `TRAILWATCH_OWNER_ACCOUNT_ID`: owner of an organization event data store.
    pub owner_account_id: Option<String>,
    /// `TRAILWATCH_ALERT_TOPIC_ARN`: where alerts go.
    pub alert_topic_arn: Option<String>,
    /// `TRAILWATCH_ALERT_FORMAT`: `trailwatch` (default) or `ocsf` (one OCSF Detection Finding
    /// a message).
    pub alert_format: crate::alert::Format,
    /// `TRAILWATCH_DELIVERY_S3_URI`: where Lake also delivers results; an input may name
    /// another prefix in the same bucket, never another bucket.
    pub delivery_s3_uri: Option<S3Uri>,
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
    /// `TRAILWATCH_RULES_DIR`: extra Sigma rules beside the bundled ones.
    pub rules_dir: Option<String>,
    /// The lookup sweep's timing: `TRAILWATCH_LOOKUP_WINDOW` (how far back a region's first
    /// sweep reads, default 15m), `TRAILWATCH_LOOKUP_LAG` (fresh reading ends this long before
    /// the schedule's time, default 2m), `TRAILWATCH_LOOKUP_LATE` (the late-arrival horizon,
    /// default 30m), `TRAILWATCH_LOOKUP_MARGIN` (progress is saved this long before the
    /// function's deadline, default 60s).
    pub sweep: crate::lookup::sweep::SweepSettings,
    /// `TRAILWATCH_RETRY_BACKOFF`: the SDK's first retry delay (e.g. `50ms`: a local test that
    /// injects faults needs no second-long waits; default: the SDK's 1 s).
    pub retry_backoff: Option<std::time::Duration>,
    /// `TRAILWATCH_LOOKUP_REGIONS`: comma-separated regions the sweep reads (default: the
    /// function's own, `AWS_REGION`).
    pub lookup_regions: Vec<String>,
    /// `TRAILWATCH_LEDGER_TABLE`: the DynamoDB alert ledger (none: alerts are not deduplicated
    /// across invocations).
    pub ledger_table: Option<String>,
    /// `TRAILWATCH_LEDGER_HORIZON` (default 7d) and `TRAILWATCH_LEDGER_LEASE` (default 10m).
    pub ledger: crate::ledger::LedgerPolicy,
    /// `TRAILWATCH_TRUSTED_ACCOUNTS`: comma-separated accounts whose EventBridge CloudTrail
    /// events lookup-alert accepts (empty: any).
    pub trusted_accounts: Vec<String>,
    /// `TRAILWATCH_LOOKUP_RATE`: LookupEvents requests per second and region (default and AWS's
    /// limit: 2; up to 50 for a local service's tests).
    pub lookup_rate: u32,
}

/// The highest `TRAILWATCH_LOOKUP_RATE` accepted.
const MAX_LOOKUP_RATE: u32 = 50;

impl Default for Config {
    fn default() -> Self {
        Self {
            engine: EngineKind::Lake,
            athena: None,
            athena_projection_start: chrono::NaiveDate::from_ymd_opt(2020, 1, 1)
                .unwrap_or_default(),
            event_data_store: None,
            owner_account_id: None,
            alert_topic_arn: None,
            alert_format: crate::alert::Format::Trailwatch,
            delivery_s3_uri: None,
            allow_adhoc_sql: false,
            default_window: Duration::hours(24),
            query_deadline: Duration::minutes(50),
            checks_dir: None,
            page_size: 1000,
            rules_dir: None,
            sweep: crate::lookup::sweep::SweepSettings::default(),
            lookup_regions: vec!["us-east-1".into()],
            retry_backoff: None,
            lookup_rate: 2,
            trusted_accounts: Vec::new(),
            ledger_table: None,
            ledger: crate::ledger::LedgerPolicy::default(),
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
        if let Some(v) = get("TRAILWATCH_ENGINE") {
            c.engine = EngineKind::parse(&v)
                .ok_or_else(|| bad("TRAILWATCH_ENGINE", &v, "expected lake or athena"))?;
        }
        let athena = |k: &str| get(&format!("TRAILWATCH_ATHENA_{k}"));
        if let (Some(workgroup), Some(database), Some(table)) =
            (athena("WORKGROUP"), athena("DATABASE"), athena("TABLE"))
        {
            let wg_ok = (1..=128).contains(&workgroup.len())
                && workgroup
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "._-".contains(ch));
            if !wg_ok {
                return Err(bad(
                    "TRAILWATCH_ATHENA_WORKGROUP",
                    &workgroup,
                    "expected 1-128 letters, digits, '.', '_' or '-'",
                ));
            }
            Source::athena(&database, &table)
                .map_err(|e| bad("TRAILWATCH_ATHENA_DATABASE/TABLE", &table, &e.to_string()))?;
            c.athena = Some(AthenaTarget {
                workgroup,
                database,
                table,
                catalog: athena("CATALOG").unwrap_or_else(|| "AwsDataCatalog".into()),
            });
        }
        if c.engine == EngineKind::Athena && c.athena.is_none() {
            return Err(Error::Config(
                "TRAILWATCH_ENGINE=athena needs TRAILWATCH_ATHENA_WORKGROUP, TRAILWATCH_ATHENA_DATABASE and TRAILWATCH_ATHENA_TABLE".into(),
            ));
        }
        if let Some(v) = athena("PROJECTION_START") {
            c.athena_projection_start = chrono::NaiveDate::parse_from_str(&v, "%Y/%m/%d")
                .map_err(|e| bad("TRAILWATCH_ATHENA_PROJECTION_START", &v, &e.to_string()))?;
        }
        if let Some(v) = get("TRAILWATCH_EVENT_DATA_STORE") {
            Source::lake(&v).map_err(|e| bad("TRAILWATCH_EVENT_DATA_STORE", &v, &e.to_string()))?;
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
            crate::alert::topic::TopicArn::parse(&v)
                .map_err(|e| bad("TRAILWATCH_ALERT_TOPIC_ARN", &v, &e))?;
            c.alert_topic_arn = Some(v);
        }
        if let Some(v) = get("TRAILWATCH_ALERT_FORMAT") {
            c.alert_format = crate::alert::Format::parse(&v).ok_or_else(|| {
                bad(
                    "TRAILWATCH_ALERT_FORMAT",
                    &v,
                    "expected `trailwatch` or `ocsf`",
                )
            })?;
        }
        if let Some(v) = get("TRAILWATCH_DELIVERY_S3_URI") {
            c.delivery_s3_uri =
                Some(S3Uri::parse(&v).map_err(|e| bad("TRAILWATCH_DELIVERY_S3_URI", &v, &e))?);
        }
        if c.engine == EngineKind::Athena && c.delivery_s3_uri.is_some() {
            return Err(Error::Config(
                "TRAILWATCH_DELIVERY_S3_URI is CloudTrail Lake's result delivery; Athena writes results where its workgroup says".into(),
            ));
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
        c.rules_dir = get("TRAILWATCH_RULES_DIR");
        // Each duration up to a sensible bound, so that time arithmetic on it cannot overflow.
        let duration = |k: &str, max: Duration| -> Result<Option<Duration>> {
            get(k)
                .map(|v| {
                    let d = parse_duration(&v).map_err(|e| bad(k, &v, &e.to_string()))?;
                    if d > max {
                        return Err(bad(k, &v, &format!("at most {}s", max.num_seconds())));
                    }
                    Ok(d)
                })
                .transpose()
        };
        // Event history keeps 90 days.
        if let Some(d) = duration("TRAILWATCH_LOOKUP_WINDOW", Duration::days(90))? {
            c.sweep.lookback = d;
        }
        if let Some(d) = duration("TRAILWATCH_LOOKUP_LAG", Duration::days(1))? {
            c.sweep.lag = d;
        }
        if let Some(d) = duration("TRAILWATCH_LOOKUP_LATE", Duration::days(1))? {
            c.sweep.late = d;
        }
        // Lambda runs 15 minutes at most.
        if let Some(d) = duration("TRAILWATCH_LOOKUP_MARGIN", Duration::minutes(15))? {
            c.sweep.margin = d
                .to_std()
                .map_err(|e| bad("TRAILWATCH_LOOKUP_MARGIN", "", &e.to_string()))?;
        }
        if let Some(d) = duration("TRAILWATCH_RETRY_BACKOFF", Duration::seconds(20))? {
            c.retry_backoff = Some(
                d.to_std()
                    .map_err(|e| bad("TRAILWATCH_RETRY_BACKOFF", "", &e.to_string()))?,
            );
        }
        if let Some(r) = get("AWS_REGION") {
            c.lookup_regions = vec![r];
        }
        if let Some(v) = get("TRAILWATCH_LOOKUP_REGIONS") {
            c.lookup_regions = v.split(',').map(|r| r.trim().to_string()).collect();
        }
        if let Some(r) = c
            .lookup_regions
            .iter()
            .find(|r| !crate::region::is_region(r))
        {
            return Err(bad(
                "TRAILWATCH_LOOKUP_REGIONS",
                &c.lookup_regions.join(","),
                &format!("{r:?} is not a region name"),
            ));
        }
        if let Some(v) = get("TRAILWATCH_LEDGER_TABLE") {
            let ok = (3..=255).contains(&v.len())
                && v.chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || "_.-".contains(ch));
            if !ok {
                return Err(bad(
                    "TRAILWATCH_LEDGER_TABLE",
                    &v,
                    "expected a DynamoDB table name (3-255 letters, digits, '_', '-', '.')",
                ));
            }
            c.ledger_table = Some(v);
        }
        if let Some(d) = duration("TRAILWATCH_LEDGER_HORIZON", Duration::days(365))? {
            c.ledger.horizon = d;
        }
        if let Some(d) = duration("TRAILWATCH_LEDGER_LEASE", Duration::days(1))? {
            c.ledger.lease = d;
        }
        if let Some(v) = get("TRAILWATCH_TRUSTED_ACCOUNTS") {
            c.trusted_accounts = v.split(',').map(|a| a.trim().to_string()).collect();
            if let Some(a) = c
                .trusted_accounts
                .iter()
                .find(|a| a.len() != 12 || !a.chars().all(|ch| ch.is_ascii_digit()))
            {
                return Err(bad(
                    "TRAILWATCH_TRUSTED_ACCOUNTS",
                    &v,
                    &format!("{a:?} is not a 12-digit account id"),
                ));
            }
        }
        if let Some(v) = get("TRAILWATCH_LOOKUP_RATE") {
            c.lookup_rate = v
                .parse()
                .ok()
                .filter(|n| (1..=MAX_LOOKUP_RATE).contains(n))
                .ok_or_else(|| {
                    bad(
                        "TRAILWATCH_LOOKUP_RATE",
                        &v,
                        "expected 1 to 50 (AWS allows 2 per second; more only for a local service)",
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
        let e = cfg(&[("TRAILWATCH_ENGINE", "athena")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("TRAILWATCH_ATHENA_WORKGROUP"), "{e}");
        let c = cfg(&[
            ("TRAILWATCH_ENGINE", "athena"),
            ("TRAILWATCH_ATHENA_WORKGROUP", "trailwatch"),
            ("TRAILWATCH_ATHENA_DATABASE", "trailwatch"),
            ("TRAILWATCH_ATHENA_TABLE", "cloudtrail_logs"),
        ])
        .unwrap();
        assert_eq!(c.engine, EngineKind::Athena);
        assert!(cfg(&[
            ("TRAILWATCH_ATHENA_WORKGROUP", "w"),
            ("TRAILWATCH_ATHENA_DATABASE", "Bad-Db"),
            ("TRAILWATCH_ATHENA_TABLE", "t")
        ])
        .is_err());
        let c = cfg(&[
            ("AWS_REGION", "eu-west-1"),
            ("TRAILWATCH_LOOKUP_LATE", "45m"),
        ])
        .unwrap();
        assert_eq!(c.lookup_regions, ["eu-west-1"]);
        assert_eq!(c.sweep.late, Duration::minutes(45));
        assert!(cfg(&[("TRAILWATCH_RETRY_BACKOFF", "soon")]).is_err());
        assert_eq!(
            cfg(&[("TRAILWATCH_RETRY_BACKOFF", "50ms")])
                .unwrap()
                .retry_backoff,
            Some(std::time::Duration::from_millis(50))
        );
        let e = cfg(&[("TRAILWATCH_LOOKUP_LATE", "10000000000000s")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("TRAILWATCH_LOOKUP_LATE"), "{e}");
        let e = cfg(&[("TRAILWATCH_LOOKUP_REGIONS", "eu-west-1,evil.com/")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("evil.com/"), "{e}");
    }
}
