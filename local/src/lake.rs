//! CloudTrail Lake queries: StartQuery, DescribeQuery, GetQueryResults, CancelQuery and
//! ListQueries over one event data store held in DataFusion, with Lake's lifecycle
//! (QUEUED -> RUNNING -> FINISHED | FAILED | CANCELLED | TIMED_OUT).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use serde_json::{json, Value};

use crate::clock::Clock;
use crate::error::ApiError;
use crate::format::value_text;
use crate::sql::{output_names, prepare, quote_store_ids, PrepareError, Prepared};
use crate::table::lake_schema;

/// Lake's timing, shortened or lengthened for tests.
#[derive(Debug, Clone)]
pub struct LakeTiming {
    /// Time a query stays QUEUED.
    pub queued: Duration,
    /// Least time a query stays RUNNING (Lake is never instant).
    pub running: Duration,
    /// A query running longer ends TIMED_OUT (about an hour on Lake).
    pub run_limit: Duration,
    /// Queued-or-running queries allowed at once (10 on Lake).
    pub max_concurrent: usize,
}

impl Default for LakeTiming {
    fn default() -> Self {
        Self {
            queued: Duration::from_millis(200),
            running: Duration::from_millis(800),
            run_limit: Duration::from_secs(3600),
            max_concurrent: 10,
        }
    }
}

/// The event data store's identity.
#[derive(Debug, Clone)]
pub struct Store {
    pub id: String,
    pub arn: String,
    pub events: usize,
    pub bytes: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Queued,
    Running,
    Finished,
    Failed,
    Cancelled,
    TimedOut,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "QUEUED",
            Status::Running => "RUNNING",
            Status::Finished => "FINISHED",
            Status::Failed => "FAILED",
            Status::Cancelled => "CANCELLED",
            Status::TimedOut => "TIMED_OUT",
        }
    }

    fn active(self) -> bool {
        matches!(self, Status::Queued | Status::Running)
    }
}

#[derive(Debug, Default, Clone)]
struct Stats {
    events_matched: u64,
    events_scanned: u64,
    bytes_scanned: u64,
}

/// One result row: ordered `(column, value)` pairs.
type Row = Vec<(String, String)>;

struct Query {
    statement: String,
    status: Status,
    created_ms: i64,
    started: Option<Instant>,
    ended_after: Option<Duration>,
    error: Option<String>,
    stats: Stats,
    rows: Arc<Vec<Row>>,
    delivery_s3_uri: Option<String>,
    task: Option<tokio::task::AbortHandle>,
}

/// The query engine and every query's state.
pub struct Lake {
    ctx: SessionContext,
    store: Store,
    timing: LakeTiming,
    clock: Clock,
    queries: Mutex<HashMap<String, Query>>,
}

fn str_field<'a>(req: &'a Value, name: &str) -> Option<&'a str> {
    req.get(name).and_then(Value::as_str)
}

fn required<'a>(req: &'a Value, name: &str) -> Result<&'a str, ApiError> {
    str_field(req, name)
        .ok_or_else(|| ApiError::client("InvalidParameterException", format!("{name} is required")))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock only means another request panicked; the data is still consistent.
    m.lock().unwrap_or_else(|e| e.into_inner())
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
            timing,
            clock,
            queries: Mutex::new(HashMap::new()),
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
        let active = lock(&self.queries)
            .values()
            .filter(|q| q.status.active())
            .count();
        if active >= self.timing.max_concurrent {
            return Err(ApiError::client(
                "MaxConcurrentQueriesException",
                format!(
                    "You are already running the maximum number of concurrent queries ({}).",
                    self.timing.max_concurrent
                ),
            ));
        }
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
        let id = uuid::Uuid::new_v4().to_string();
        {
            let mut qs = lock(&self.queries);
            // Re-checked under the lock so two racing starts cannot both take the last slot.
            if qs.values().filter(|q| q.status.active()).count() >= self.timing.max_concurrent {
                return Err(ApiError::client(
                    "MaxConcurrentQueriesException",
                    "You are already running the maximum number of concurrent queries.",
                ));
            }
            qs.insert(
                id.clone(),
                Query {
                    statement,
                    status: Status::Queued,
                    created_ms: self.clock.now_ms(),
                    started: None,
                    ended_after: None,
                    error: None,
                    stats: Stats::default(),
                    rows: Arc::new(Vec::new()),
                    delivery_s3_uri: delivery,
                    task: None,
                },
            );
        }
        let me = Arc::clone(self);
        let qid = id.clone();
        let handle = tokio::spawn(async move { me.run(qid, prepared, plan).await });
        if let Some(q) = lock(&self.queries).get_mut(&id) {
            q.task = Some(handle.abort_handle());
        }
        Ok(
            json!({"QueryId": id, "EventDataStoreOwnerAccountId": str_field(req, "EventDataStoreOwnerAccountId")}),
        )
    }

    fn set<F: FnOnce(&mut Query)>(&self, id: &str, f: F) {
        if let Some(q) = lock(&self.queries).get_mut(id) {
            if q.status.active() {
                f(q);
            }
        }
    }

    async fn run(
        self: Arc<Self>,
        id: String,
        prepared: Prepared,
        plan: datafusion::logical_expr::LogicalPlan,
    ) {
        tokio::time::sleep(self.timing.queued).await;
        let started = Instant::now();
        self.set(&id, |q| {
            q.status = Status::Running;
            q.started = Some(started);
        });
        let work = async {
            let out = self.execute(&prepared, plan).await;
            // Lake is never instant; hold RUNNING for at least the configured time.
            let min = self.timing.running;
            let spent = started.elapsed();
            if spent < min {
                tokio::time::sleep(min - spent).await;
            }
            out
        };
        let outcome = tokio::time::timeout(self.timing.run_limit, work).await;
        let ended = started.elapsed();
        self.set(&id, |q| {
            q.ended_after = Some(ended);
            match outcome {
                Ok(Ok((rows, stats))) => {
                    q.status = Status::Finished;
                    q.rows = Arc::new(rows);
                    q.stats = stats;
                }
                Ok(Err(msg)) => {
                    q.status = Status::Failed;
                    q.error = Some(msg);
                }
                Err(_) => {
                    q.status = Status::TimedOut;
                    q.error = Some("Query exceeded the maximum run time.".into());
                }
            }
        });
    }

    async fn execute(
        &self,
        prepared: &Prepared,
        plan: datafusion::logical_expr::LogicalPlan,
    ) -> Result<(Vec<Row>, Stats), String> {
        let df = self
            .ctx
            .execute_logical_plan(plan)
            .await
            .map_err(|e| e.strip_backtrace())?;
        let fields: Vec<String> = df
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let names = output_names(&prepared.names, &fields);
        let batches = df.collect().await.map_err(|e| e.strip_backtrace())?;
        let mut rows = Vec::new();
        for b in &batches {
            for r in 0..b.num_rows() {
                let row = names
                    .iter()
                    .zip(b.columns())
                    .map(|(n, c)| Ok((n.clone(), value_text(c, r)?)))
                    .collect::<datafusion::error::Result<Row>>()
                    .map_err(|e| e.strip_backtrace())?;
                rows.push(row);
            }
        }
        let stats = match self.statistics(prepared, rows.len()).await {
            Ok(s) => s,
            Err(e) => {
                // Statistics must never fail the query itself: fall back to a full scan's figures.
                tracing::warn!(error = %e, "statistics query failed; reporting a full scan");
                self.full_scan(rows.len())
            }
        };
        Ok((rows, stats))
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
        let mut qs = lock(&self.queries);
        let q = qs.get_mut(id).ok_or_else(|| {
            ApiError::client(
                "QueryIdNotFoundException",
                format!("The query ID {id} does not exist or does not map to a query."),
            )
        })?;
        f(id, q)
    }

    fn elapsed_ms(q: &Query) -> u64 {
        q.ended_after
            .or_else(|| q.started.map(|s| s.elapsed()))
            .map_or(0, |d| d.as_millis() as u64)
    }

    /// DescribeQuery.
    pub fn describe_query(&self, req: &Value) -> Result<Value, ApiError> {
        self.with_query(req, |id, q| {
            let mut out = json!({
                "QueryId": id,
                "QueryString": q.statement,
                "QueryStatus": q.status.as_str(),
                "QueryStatistics": {
                    "EventsMatched": q.stats.events_matched,
                    "EventsScanned": q.stats.events_scanned,
                    "BytesScanned": q.stats.bytes_scanned,
                    "ExecutionTimeInMillis": Self::elapsed_ms(q),
                    "CreationTime": q.created_ms as f64 / 1000.0,
                },
            });
            if let Some(e) = &q.error {
                out["ErrorMessage"] = json!(e);
            }
            if let Some(uri) = &q.delivery_s3_uri {
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
            let offset = match token {
                None => 0,
                Some(t) => decode_token(t)
                    .filter(|(tid, off)| tid == id && *off <= q.rows.len())
                    .map(|(_, off)| off)
                    .ok_or_else(|| {
                        ApiError::client("InvalidNextTokenException", "The NextToken is not valid.")
                    })?,
            };
            let mut out = json!({"QueryStatus": q.status.as_str()});
            if let Some(e) = &q.error {
                out["ErrorMessage"] = json!(e);
            }
            if q.status != Status::Finished {
                out["QueryResultRows"] = json!([]);
                return Ok(out);
            }
            let end = (offset + max).min(q.rows.len());
            let rows: Vec<Value> = q.rows[offset..end]
                .iter()
                .map(|row| {
                    Value::Array(row.iter().map(|(k, v)| json!({ k.as_str(): v })).collect())
                })
                .collect();
            out["QueryStatistics"] = json!({
                "ResultsCount": rows.len(),
                "TotalResultsCount": q.rows.len(),
                "BytesScanned": q.stats.bytes_scanned,
            });
            out["QueryResultRows"] = Value::Array(rows);
            if end < q.rows.len() {
                out["NextToken"] = json!(encode_token(id, end));
            }
            Ok(out)
        })
    }

    /// CancelQuery: only a queued or running query can be cancelled.
    pub fn cancel_query(&self, req: &Value) -> Result<Value, ApiError> {
        self.with_query(req, |id, q| {
            if !q.status.active() {
                return Err(ApiError::client(
                    "InactiveQueryException",
                    format!("The query {id} is not running or queued."),
                ));
            }
            q.status = Status::Cancelled;
            q.ended_after = q.started.map(|s| s.elapsed());
            if let Some(t) = q.task.take() {
                t.abort();
            }
            Ok(json!({"QueryId": id, "QueryStatus": "CANCELLED"}))
        })
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
        let qs = lock(&self.queries);
        let mut list: Vec<(&String, &Query)> = qs
            .iter()
            .filter(|(_, q)| status.is_none_or(|s| s == q.status.as_str()))
            .filter(|(_, q)| {
                start.is_none_or(|s| q.created_ms >= s) && end.is_none_or(|e| q.created_ms <= e)
            })
            .collect();
        list.sort_by(|a, b| b.1.created_ms.cmp(&a.1.created_ms).then(a.0.cmp(b.0)));
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
            .map(|(id, q)| json!({"QueryId": id, "QueryStatus": q.status.as_str(), "CreationTime": q.created_ms as f64 / 1000.0}))
            .collect();
        let mut out = json!({ "Queries": queries });
        if end_ix < list.len() {
            out["NextToken"] = json!(encode_token("list", end_ix));
        }
        Ok(out)
    }
}

fn encode_token(scope: &str, offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{scope}|{offset}"))
}

fn decode_token(token: &str) -> Option<(String, usize)> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (scope, off) = text.rsplit_once('|')?;
    Some((scope.to_string(), off.parse().ok()?))
}
