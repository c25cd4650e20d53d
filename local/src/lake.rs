//! CloudTrail Lake queries: StartQuery, DescribeQuery, GetQueryResults, CancelQuery and
//! ListQueries over one event data store held in DataFusion, with Lake's lifecycle
//! (QUEUED -> RUNNING -> FINISHED | FAILED | CANCELLED | TIMED_OUT).

use std::sync::Arc;

use base64::Engine;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use serde_json::{json, Value};

use crate::clock::Clock;
use crate::error::ApiError;
use crate::exec::execute;
use crate::format::NULL_TEXT;
use crate::jobs::{Full, Inactive, Job, Jobs, LakeTiming, Stats, Status};
use crate::sql::{output_names, prepare, quote_store_ids, PrepareError, Prepared};
use crate::table::lake_schema;

/// The event data store's identity.
#[derive(Debug, Clone)]
pub struct Store {
    pub id: String,
    pub arn: String,
    pub events: usize,
    pub bytes: u64,
}

/// Lake's name for a status.
fn status_text(s: Status) -> &'static str {
    match s {
        Status::Queued => "QUEUED",
        Status::Running => "RUNNING",
        Status::Finished => "FINISHED",
        Status::Failed => "FAILED",
        Status::Cancelled => "CANCELLED",
        Status::TimedOut => "TIMED_OUT",
    }
}

/// What Lake keeps about a query beside its lifecycle.
pub struct LakeExtra {
    delivery_s3_uri: Option<String>,
}

type Query = Job<LakeExtra>;

/// The query engine and every query's state.
pub struct Lake {
    ctx: SessionContext,
    store: Store,
    jobs: Arc<Jobs<LakeExtra>>,
}

fn str_field<'a>(req: &'a Value, name: &str) -> Option<&'a str> {
    req.get(name).and_then(Value::as_str)
}

fn required<'a>(req: &'a Value, name: &str) -> Result<&'a str, ApiError> {
    str_field(req, name)
        .ok_or_else(|| ApiError::client("InvalidParameterException", format!("{name} is required")))
}

impl Lake {
    /// Builds the engine over `batches`, registered under the store id.
    pub fn new(
        batches: Vec<RecordBatch>,
        store: Store,
        timing: LakeTiming,
        clock: Clock,
    ) -> datafusion::error::Result<Arc<Self>> {
        let ctx = SessionContext::new();
        crate::udf::register(&ctx);
        // Two partitions use both cores for scans.
        let mut parts = vec![Vec::new(), Vec::new()];
        for (i, b) in batches.into_iter().enumerate() {
            parts[i % 2].push(b);
        }
        let table = MemTable::try_new(lake_schema(), parts)?;
        ctx.register_table(store.id.as_str(), Arc::new(table))?;
        Ok(Arc::new(Self {
            ctx,
            store,
            jobs: Jobs::new(timing, clock),
        }))
    }

    /// The store this engine serves.
    pub fn store(&self) -> &Store {
        &self.store
    }

    fn check_store(&self, given: Option<&str>) -> Result<(), ApiError> {
        match given {
            Some(s) if s != self.store.id && s != self.store.arn => Err(ApiError::client(
                "EventDataStoreNotFoundException",
                format!("The specified event data store {s} was not found."),
            )),
            _ => Ok(()),
        }
    }

    /// StartQuery: validates and plans now (syntax errors are immediate), runs in the background.
    pub async fn start_query(self: &Arc<Self>, req: &Value) -> Result<Value, ApiError> {
        let statement = required(req, "QueryStatement")?.to_string();
        if statement.is_empty() || statement.chars().count() > 10_000 {
            return Err(ApiError::client(
                "InvalidQueryStatementException",
                "QueryStatement must be 1 to 10000 characters",
            ));
        }
        let delivery = str_field(req, "DeliveryS3Uri").map(str::to_string);
        if let Some(uri) = &delivery {
            if !uri.starts_with("s3://") || uri.len() > 1024 {
                return Err(ApiError::client(
                    "InvalidParameterException",
                    "DeliveryS3Uri must be an s3:// URI of at most 1024 characters",
                ));
            }
        }
        self.jobs.has_room().map_err(too_many)?;
        let sql = quote_store_ids(&statement, &[self.store.id.as_str()]);
        let prepared = prepare(&sql).map_err(|e| match e {
            PrepareError::Syntax(m) => ApiError::client("InvalidQueryStatementException", m),
            PrepareError::NotSelect => ApiError::client(
                "InvalidQueryStatementException",
                "Only SELECT statements are supported.",
            ),
        })?;
        let plan = self
            .ctx
            .state()
            .create_logical_plan(&prepared.sql)
            .await
            .map_err(|e| {
                let msg = e.strip_backtrace();
                if msg.contains("table") && msg.contains("not found") {
                    ApiError::client("EventDataStoreNotFoundException", msg)
                } else {
                    ApiError::client("InvalidQueryStatementException", msg)
                }
            })?;
        let me = Arc::clone(self);
        let id = self
            .jobs
            .submit(
                statement,
                LakeExtra {
                    delivery_s3_uri: delivery,
                },
                async move { me.execute(&prepared, plan).await },
            )
            .map_err(too_many)?;
        Ok(
            json!({"QueryId": id, "EventDataStoreOwnerAccountId": str_field(req, "EventDataStoreOwnerAccountId")}),
        )
    }

    async fn execute(
        &self,
        prepared: &Prepared,
        plan: datafusion::logical_expr::LogicalPlan,
    ) -> crate::jobs::Outcome {
        let result = execute(&self.ctx, plan, self.jobs.max_result_rows(), |fields| {
            output_names(&prepared.names, fields)
        })
        .await?;
        let rows = result.rows.len();
        let stats = match self.statistics(prepared, rows).await {
            Ok(s) => s,
            Err(e) => {
                // Statistics must never fail the query itself: fall back to a full scan's figures.
                tracing::warn!(error = %e, "statistics query failed; reporting a full scan");
                self.full_scan(rows)
            }
        };
        Ok((result, stats))
    }

    /// Statistics computed the way Lake bills: events and bytes inside the query's eventTime
    /// bounds are scanned; the WHERE clause decides what matched.
    fn full_scan(&self, result_rows: usize) -> Stats {
        Stats {
            events_matched: result_rows as u64,
            events_scanned: self.store.events as u64,
            bytes_scanned: self.store.bytes,
        }
    }

    async fn statistics(&self, prepared: &Prepared, result_rows: usize) -> Result<Stats, String> {
        let Some(st) = prepared
            .single_table
            .as_ref()
            .filter(|st| st.table == self.store.id)
        else {
            return Ok(self.full_scan(result_rows));
        };
        let table = format!("\"{}\"", self.store.id);
        let where_of = |f: &Option<String>| {
            f.as_ref()
                .map(|w| format!(" WHERE {w}"))
                .unwrap_or_default()
        };
        let scan = self
            .scalar_pair(&format!(
                "SELECT count(*), CAST(coalesce(sum(octet_length(eventjson)), 0) AS BIGINT) FROM {table}{}",
                where_of(&st.time_filter)
            ))
            .await?;
        let matched = self
            .scalar_pair(&format!(
                "SELECT count(*), 0 FROM {table}{}",
                where_of(&st.filter)
            ))
            .await?;
        Ok(Stats {
            events_matched: matched.0,
            events_scanned: scan.0,
            bytes_scanned: scan.1,
        })
    }

    async fn scalar_pair(&self, sql: &str) -> Result<(u64, u64), String> {
        let batches = self
            .ctx
            .sql(sql)
            .await
            .map_err(|e| e.strip_backtrace())?
            .collect()
            .await
            .map_err(|e| e.strip_backtrace())?;
        let b = batches.first().ok_or("statistics query returned nothing")?;
        let get = |i: usize| -> u64 {
            let c = datafusion::arrow::compute::cast(
                b.column(i),
                &datafusion::arrow::datatypes::DataType::Int64,
            )
            .ok();
            c.and_then(|c| {
                let a = c.as_primitive::<Int64Type>();
                (!a.is_empty() && !a.is_null(0)).then(|| a.value(0).max(0) as u64)
            })
            .unwrap_or(0)
        };
        Ok((get(0), get(1)))
    }

    fn with_query<T>(
        &self,
        req: &Value,
        f: impl FnOnce(&str, &mut Query) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        self.check_store(str_field(req, "EventDataStore"))?;
        let id = required(req, "QueryId")?;
        self.jobs.with(id, |q| f(id, q)).unwrap_or_else(|| {
            Err(ApiError::client(
                "QueryIdNotFoundException",
                format!("The query ID {id} does not exist or does not map to a query."),
            ))
        })
    }

    /// DescribeQuery.
    pub fn describe_query(&self, req: &Value) -> Result<Value, ApiError> {
        self.with_query(req, |id, q| {
            let mut out = json!({
                "QueryId": id,
                "QueryString": q.statement,
                "QueryStatus": status_text(q.status),
                "QueryStatistics": {
                    "EventsMatched": q.stats.events_matched,
                    "EventsScanned": q.stats.events_scanned,
                    "BytesScanned": q.stats.bytes_scanned,
                    "ExecutionTimeInMillis": q.elapsed_ms(),
                    "CreationTime": q.created_ms as f64 / 1000.0,
                },
            });
            if let Some(e) = &q.error {
                out["ErrorMessage"] = json!(e);
            }
            if let Some(uri) = &q.extra.delivery_s3_uri {
                out["DeliveryS3Uri"] = json!(uri);
                // Nothing is written to S3 locally; Lake reports FAILED delivery for timed-out queries.
                out["DeliveryStatus"] = json!(match q.status {
                    Status::Finished => "SUCCESS",
                    Status::Failed | Status::TimedOut => "FAILED",
                    Status::Cancelled => "CANCELLED",
                    _ => "PENDING",
                });
            }
            Ok(out)
        })
    }

    /// GetQueryResults, paged by `MaxQueryResults` (1..1000) and `NextToken`.
    pub fn get_query_results(&self, req: &Value) -> Result<Value, ApiError> {
        let max = match req.get("MaxQueryResults") {
            None | Some(Value::Null) => 1000,
            Some(v) => match v.as_i64() {
                Some(n @ 1..=1000) => n as usize,
                _ => {
                    return Err(ApiError::client(
                        "InvalidMaxResultsException",
                        "MaxQueryResults must be between 1 and 1000.",
                    ))
                }
            },
        };
        let token = str_field(req, "NextToken");
        self.with_query(req, |id, q| {
            let total = q.result.rows.len();
            let offset = match token {
                None => 0,
                Some(t) => decode_token(t)
                    .filter(|(tid, off)| tid == id && *off <= total)
                    .map(|(_, off)| off)
                    .ok_or_else(|| {
                        ApiError::client("InvalidNextTokenException", "The NextToken is not valid.")
                    })?,
            };
            let mut out = json!({"QueryStatus": status_text(q.status)});
            if let Some(e) = &q.error {
                out["ErrorMessage"] = json!(e);
            }
            if q.status != Status::Finished {
                out["QueryResultRows"] = json!([]);
                return Ok(out);
            }
            let end = offset.saturating_add(max).min(total);
            let names = &q.result.names;
            let rows: Vec<Value> = q.result.rows[offset..end]
                .iter()
                .map(|row| {
                    Value::Array(
                        names
                            .iter()
                            .zip(row)
                            .map(|(k, v)| json!({ k.as_str(): v.as_deref().unwrap_or(NULL_TEXT) }))
                            .collect(),
                    )
                })
                .collect();
            out["QueryStatistics"] = json!({
                "ResultsCount": rows.len(),
                "TotalResultsCount": total,
                "BytesScanned": q.stats.bytes_scanned,
            });
            out["QueryResultRows"] = Value::Array(rows);
            if end < total {
                out["NextToken"] = json!(encode_token(id, end));
            }
            Ok(out)
        })
    }

    /// CancelQuery: only a queued or running query can be cancelled.
    pub fn cancel_query(&self, req: &Value) -> Result<Value, ApiError> {
        self.check_store(str_field(req, "EventDataStore"))?;
        let id = required(req, "QueryId")?;
        match self.jobs.cancel(id) {
            None => Err(ApiError::client(
                "QueryIdNotFoundException",
                format!("The query ID {id} does not exist or does not map to a query."),
            )),
            Some(Err(Inactive)) => Err(ApiError::client(
                "InactiveQueryException",
                format!("The query {id} is not running or queued."),
            )),
            Some(Ok(())) => Ok(json!({"QueryId": id, "QueryStatus": "CANCELLED"})),
        }
    }

    /// ListQueries for the store, newest first, filtered by status and creation time.
    pub fn list_queries(&self, req: &Value) -> Result<Value, ApiError> {
        let store = required(req, "EventDataStore")?;
        self.check_store(Some(store))?;
        let max = match req.get("MaxResults").and_then(Value::as_i64) {
            None => 1000,
            Some(n @ 1..=1000) => n as usize,
            Some(_) => {
                return Err(ApiError::client(
                    "InvalidMaxResultsException",
                    "MaxResults must be between 1 and 1000.",
                ))
            }
        };
        let status = str_field(req, "QueryStatus");
        let start = req
            .get("StartTime")
            .and_then(Value::as_f64)
            .map(|s| (s * 1000.0) as i64);
        let end = req
            .get("EndTime")
            .and_then(Value::as_f64)
            .map(|s| (s * 1000.0) as i64);
        if let (Some(s), Some(e)) = (start, end) {
            if s > e {
                return Err(ApiError::client(
                    "InvalidTimeRangeException",
                    "StartTime is after EndTime.",
                ));
            }
        }
        let list: Vec<(String, Status, i64)> = self
            .jobs
            .list()
            .into_iter()
            .filter(|(_, st, _)| status.is_none_or(|s| s == status_text(*st)))
            .filter(|(_, _, created)| {
                start.is_none_or(|s| *created >= s) && end.is_none_or(|e| *created <= e)
            })
            .collect();
        let offset = match str_field(req, "NextToken") {
            None => 0,
            Some(t) => decode_token(t)
                .filter(|(k, off)| k == "list" && *off <= list.len())
                .map(|(_, off)| off)
                .ok_or_else(|| {
                    ApiError::client("InvalidNextTokenException", "The NextToken is not valid.")
                })?,
        };
        let end_ix = (offset + max).min(list.len());
        let queries: Vec<Value> = list[offset..end_ix]
            .iter()
            .map(|(id, st, created)| json!({"QueryId": id, "QueryStatus": status_text(*st), "CreationTime": *created as f64 / 1000.0}))
            .collect();
        let mut out = json!({ "Queries": queries });
        if end_ix < list.len() {
            out["NextToken"] = json!(encode_token("list", end_ix));
        }
        Ok(out)
    }
}

fn too_many(Full(n): Full) -> ApiError {
    ApiError::client(
        "MaxConcurrentQueriesException",
        format!("You are already running the maximum number of concurrent queries ({n})."),
    )
}

pub(crate) fn encode_token(scope: &str, offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{scope}|{offset}"))
}

pub(crate) fn decode_token(token: &str) -> Option<(String, usize)> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (scope, off) = text.rsplit_once('|')?;
    Some((scope.to_string(), off.parse().ok()?))
}
