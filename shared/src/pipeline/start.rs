//! start-query: renders a check (or allowed ad-hoc SQL) for a window and starts it on Lake.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{decode, Deps, QueryRef};
use crate::checks::Severity;
use crate::error::{Error, Result};
use crate::lake::template::{render, store_id, Bindings};
use crate::lake::window::{parse_duration, parse_time, Window};

/// start-query's input (the state machine passes the schedule's time as `time`).
#[derive(Debug, Deserialize)]
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
    /// Event data store id or ARN (default from configuration).
    pub event_data_store: Option<String>,
    /// Where Lake should also deliver the results (`s3://bucket/prefix`).
    pub delivery_s3_uri: Option<String>,
    /// Values for the check's declared parameters.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
}

/// Starts the query; `now` is recorded for the deadline, never used for the window.
pub async fn handle(deps: &Deps, input: serde_json::Value, now: DateTime<Utc>) -> Result<QueryRef> {
    let input: StartInput = decode("start-query", input)?;
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
    let delivery = input
        .delivery_s3_uri
        .as_ref()
        .or(deps.config.delivery_s3_uri.as_ref());
    if let Some(uri) = delivery {
        if !uri.starts_with("s3://") || uri.len() > 1024 || uri.chars().any(char::is_control) {
            return Err(Error::InvalidInput(format!(
                "delivery_s3_uri {uri:?} is not an s3:// URI of at most 1024 characters"
            )));
        }
    }
    let (check_id, title, severity, template, declared, mut params) =
        match (&input.check_id, &input.sql) {
            (Some(id), None) => {
                let c = deps.catalog.get(id)?;
                let declared: Vec<String> = c.params.keys().cloned().collect();
                (
                    c.id.clone(),
                    c.title.clone(),
                    c.severity,
                    c.sql.clone(),
                    declared,
                    c.params.clone(),
                )
            }
            (None, Some(sql)) if deps.config.allow_adhoc_sql => (
                "adhoc".to_string(),
                "Ad-hoc query".to_string(),
                Severity::Informational,
                sql.clone(),
                Vec::new(),
                BTreeMap::new(),
            ),
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
        if !declared.contains(k) {
            return Err(Error::InvalidInput(format!(
                "check {check_id} declares no parameter {k:?}"
            )));
        }
        params.insert(k.clone(), v.clone());
    }
    let sql = render(
        &template,
        &declared,
        &Bindings {
            event_data_store: store,
            window_start: window.start,
            window_end: window.end,
            params: &params,
        },
    )?;
    let span = tracing::info_span!("start_query", check_id = %check_id);
    let _g = span.enter();
    let query_id = deps.lake.start(&sql, delivery.map(String::as_str)).await?;
    tracing::info!(query_id = %query_id, window_start = %window.start, window_end = %window.end, "query started");
    Ok(QueryRef {
        query_id,
        check_id,
        title,
        severity,
        window,
        event_data_store: store_id(store)?,
        started_at: now,
        deadline: now + deps.config.query_deadline,
        first_wait_seconds: deps.config.backoff.wait_secs(0),
    })
}
