//! start-query: renders a check (or allowed ad-hoc SQL) for the engine and window, and starts it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{Deps, QueryRef};
use crate::engine::EngineKind;
use crate::error::{Error, Result};
use crate::s3uri::S3Uri;
use crate::severity::Severity;
use crate::sql::{Source, Template};
use crate::window::{parse_duration, parse_time, Window};

/// start-query's input (the state machine passes the schedule's time as `time`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartInput {
    /// A check id from the catalog.
    pub check_id: Option<String>,
    /// Ad-hoc SQL (a template with `{event_data_store}`, `{window_start}`, `{window_end}`),
    /// accepted only when the deployment allows it.
    pub sql: Option<String>,
    /// The schedule's time: the window ends here (truncated to the minute).
    #[serde(alias = "window_end")]
    pub time: Option<String>,
    /// Window length before `time`, e.g. `24h` (default from configuration).
    pub window: Option<String>,
    /// Explicit window start (with `time` as its end) instead of a length.
    pub window_start: Option<String>,
    /// Event data store id or ARN (Lake; default from configuration).
    pub event_data_store: Option<String>,
    /// Where Lake should also deliver the results (`s3://bucket/prefix` in the configured bucket).
    pub delivery_s3_uri: Option<String>,
    /// Values for the check's declared parameters.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

fn window_of(deps: &Deps, input: &StartInput) -> Result<Window> {
    let end = parse_time(input.time.as_deref().ok_or_else(|| {
        Error::InvalidInput("start-query input needs `time` (the schedule's time, RFC 3339)".into())
    })?)?;
    let window = match (&input.window_start, &input.window) {
        (Some(_), Some(_)) => {
            return Err(Error::InvalidInput(
                "give `window` or `window_start`, not both".into(),
            ))
        }
        (Some(s), None) => Window::new(parse_time(s)?, end)?,
        (None, w) => {
            let len = match w {
                Some(w) => parse_duration(w)?,
                None => deps.config.default_window,
            };
            Window::ending_at(end, len)?
        }
    };
    if deps.config.engine == EngineKind::Athena {
        // Athena answers a window outside the table's projected partitions with no rows and
        // no error: say so instead of reporting a clean check.
        let first = deps.config.athena_projection_start;
        if window.start.date_naive() < first {
            return Err(Error::InvalidInput(format!(
                "window starts {} before the Athena table's partition projection range (from {})",
                window.start,
                first.format("%Y/%m/%d")
            )));
        }
    }
    Ok(window)
}

fn source_of(deps: &Deps, input: &StartInput) -> Result<Source> {
    match deps.config.engine {
        EngineKind::Lake => {
            let store = input
                .event_data_store
                .as_deref()
                .or(deps.config.event_data_store.as_deref())
                .ok_or_else(|| {
                    Error::Config(
                        "no event data store: set TRAILWATCH_EVENT_DATA_STORE or pass event_data_store"
                            .into(),
                    )
                })?;
            Ok(Source::lake(store)?)
        }
        EngineKind::Athena => {
            if input.event_data_store.is_some() {
                return Err(Error::InvalidInput(
                    "event_data_store names a CloudTrail Lake store; this deployment queries Athena".into(),
                ));
            }
            let t =
                deps.config.athena.as_ref().ok_or_else(|| {
                    Error::Config("the Athena engine has no table configured".into())
                })?;
            Ok(Source::athena(&t.database, &t.table)?)
        }
    }
}

/// Lake's result delivery: the input may choose a prefix, only in the configured bucket.
fn delivery_of(deps: &Deps, input: &StartInput) -> Result<Option<String>> {
    let configured = deps.config.delivery_s3_uri.as_ref();
    match &input.delivery_s3_uri {
        None => Ok(configured.map(ToString::to_string)),
        Some(uri) => {
            let given = S3Uri::parse(uri).map_err(Error::InvalidInput)?;
            match configured {
                Some(c) if c.bucket == given.bucket => Ok(Some(given.to_string())),
                Some(c) => Err(Error::InvalidInput(format!(
                    "delivery_s3_uri must be in the configured bucket {}, not {}",
                    c.bucket, given.bucket
                ))),
                None => Err(Error::InvalidInput(
                    "delivery_s3_uri needs TRAILWATCH_DELIVERY_S3_URI configured (its bucket is the only one allowed)".into(),
                )),
            }
        }
    }
}

/// Starts the query; `now` is recorded for the deadline, never used for the window.
pub async fn handle(deps: &Deps, input: StartInput, now: DateTime<Utc>) -> Result<QueryRef> {
    let window = window_of(deps, &input)?;
    let source = source_of(deps, &input)?;
    let delivery = delivery_of(deps, &input)?;
    let (adhoc, correlation);
    let (check_id, title, severity, template, mut params) = match (&input.check_id, &input.sql) {
        (Some(id), None) => {
            let c = match deps.catalog.get(id) {
                Ok(c) => c,
                // A correlation rule's id: its check is made when it is asked for, so that no
                // cold start pays for reading the rules.
                Err(Error::UnknownCheck(_)) => {
                    let rules_dir = deps.config.rules_dir.as_deref().map(std::path::Path::new);
                    correlation = crate::rules::sql::correlation_check_by_id(
                        id,
                        rules_dir,
                        deps.config.engine,
                    )?;
                    &correlation
                }
                Err(e) => return Err(e),
            };
            (
                c.id.clone(),
                c.title.clone(),
                c.severity,
                &c.template,
                c.params.clone(),
            )
        }
        (None, Some(sql)) if deps.config.allow_adhoc_sql => {
            adhoc = Template::parse(sql, &[])?;
            (
                "adhoc".to_string(),
                "Ad-hoc query".to_string(),
                Severity::Informational,
                &adhoc,
                BTreeMap::new(),
            )
        }
        (None, Some(_)) => {
            return Err(Error::InvalidInput(
                "ad-hoc SQL is disabled (TRAILWATCH_ALLOW_ADHOC_SQL)".into(),
            ))
        }
        _ => {
            return Err(Error::InvalidInput(
                "give exactly one of `check_id` and `sql`".into(),
            ))
        }
    };
    for (k, v) in &input.params {
        if !params.contains_key(k) {
            return Err(Error::InvalidInput(format!(
                "check {check_id} declares no parameter {k:?}"
            )));
        }
        params.insert(k.clone(), v.clone());
    }
    let sql = template.render(&source, &window, &params)?;
    let query_id = deps.engine.start(&sql, delivery.as_deref()).await?;
    tracing::info!(query_id = %query_id, engine = deps.engine.kind().as_str(), window_start = %window.start, window_end = %window.end, "query started");
    Ok(QueryRef {
        query_id,
        check_id,
        title,
        severity,
        window,
        engine: deps.engine.kind(),
        source: match &source {
            Source::Lake { store_id } => store_id.clone(),
            Source::Athena { database, table } => format!("{database}.{table}"),
        },
        started_at: now,
        deadline: now + deps.config.query_deadline,
    })
}
