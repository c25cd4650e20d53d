//! Amazon Athena's query API over the loaded trail logs: StartQueryExecution,
//! GetQueryExecution, GetQueryResults, StopQueryExecution, ListQueryExecutions and GetWorkGroup
//! (AWS JSON 1.1, `X-Amz-Target: AmazonAthena.<Op>`), on the CloudTrail table as AWS documents
//! it for Athena, partitioned by account, region and day. `DataScannedInBytes` counts the
//! partitions the query's partition predicates select, so pruning is measured, not assumed.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch, StringArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, UInt64Type};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use serde::Serialize;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::exec::execute;
use crate::jobs::{Full, Inactive, Job, Jobs, QueryTiming, Stats, Status};
use crate::json_text::JsonText;
use crate::page_token;
use crate::request::{page_size, str_field};
use crate::sql::{prepare, PrepareError, Prepared};
use crate::stop::Stop;
use crate::store::{session_config, EventStore, StoreError};
use crate::table::PARTITION_COLUMNS;

/// The local Athena's names and limits.
#[derive(Debug, Clone)]
pub struct AthenaSettings {
    /// The workgroup trailwatch uses: it has a result location.
    pub workgroup: String,
    pub database: String,
    pub table: String,
    /// The workgroup's enforced result location.
    pub output_location: String,
    /// The workgroup's `BytesScannedCutoffPerQuery`, if any.
    pub bytes_cutoff: Option<u64>,
}

impl Default for AthenaSettings {
    fn default() -> Self {
        Self {
            workgroup: "trailwatch".into(),
            database: "trailwatch".into(),
            table: "cloudtrail_logs".into(),
            output_location: "s3://trailwatch-athena-results/".into(),
            bytes_cutoff: None,
        }
    }
}

/// What `trailwatch serve` prints about the local Athena.
#[derive(Debug, Clone, Serialize)]
pub struct AthenaSummary {
    pub workgroup: String,
    pub database: String,
    pub table: String,
}

/// Athena's default workgroup, which here (as in many accounts) has no result location.
const PRIMARY: &str = "primary";

/// What Athena keeps about a query beside its lifecycle.
pub struct AthenaExtra {
    workgroup: String,
    database: String,
    output_location: String,
}

/// The local Athena.
pub struct Athena {
    ctx: SessionContext,
    /// Bytes of event text per partition, for `DataScannedInBytes`.
    partitions: SessionContext,
    total_bytes: u64,
    settings: AthenaSettings,
    jobs: Arc<Jobs<AthenaExtra>>,
}

/// Why a statement cannot run: the request is refused (InvalidRequestException), or the query
/// starts and fails with the engine's reason.
enum Refused {
    Request(ApiError),
    Engine(String),
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::client("InvalidRequestException", message)
}

fn state_text(s: Status) -> &'static str {
    match s {
        Status::Queued => "QUEUED",
        Status::Running => "RUNNING",
        Status::Finished => "SUCCEEDED",
        // Athena has no timed-out state: a query over its time limit FAILS.
        Status::Failed | Status::TimedOut => "FAILED",
        Status::Cancelled => "CANCELLED",
    }
}

impl Athena {
    /// Stops every query still queued or running (the service is stopping).
    pub fn stop_queries(&self) {
        self.jobs.stop_all();
    }

    /// Builds the engine over the event store's Athena table; the store's per-partition
    /// sizes are what Athena reads from S3.
    pub fn new(
        events: &EventStore,
        settings: AthenaSettings,
        timing: QueryTiming,
        clock: crate::clock::Clock,
    ) -> Result<Arc<Self>, StoreError> {
        let config = session_config()
            .with_create_default_catalog_and_schema(true)
            .with_default_catalog_and_schema("awsdatacatalog", &settings.database);
        let ctx = crate::udf::context(config, &clock);
        ctx.register_table(settings.table.as_str(), events.athena_table()?)?;
        // One entry per partition, in order: the store added them up.
        let sizes = &events.totals.partitions;
        let total_bytes = sizes.iter().fold(0u64, |a, (_, b)| a.saturating_add(*b));
        let schema = Arc::new(Schema::new(vec![
            Field::new("account", DataType::Utf8, false),
            Field::new("region", DataType::Utf8, false),
            Field::new("timestamp", DataType::Utf8, false),
            Field::new("bytes", DataType::UInt64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from_iter_values(
                    sizes.iter().map(|(p, _)| p.account.as_str()),
                )),
                Arc::new(StringArray::from_iter_values(
                    sizes.iter().map(|(p, _)| p.region.as_str()),
                )),
                Arc::new(StringArray::from_iter_values(
                    sizes.iter().map(|(p, _)| p.day.as_str()),
                )),
                Arc::new(UInt64Array::from_iter_values(sizes.iter().map(|(_, n)| *n))),
            ],
        )?;
        let partitions = SessionContext::new();
        partitions.register_table(
            "partitions",
            Arc::new(MemTable::try_new(schema, vec![vec![batch]])?),
        )?;
        Ok(Arc::new(Self {
            ctx,
            partitions,
            total_bytes,
            settings,
            jobs: Jobs::new(timing, clock),
        }))
    }

    /// The names `trailwatch serve` prints.
    pub fn summary(&self) -> AthenaSummary {
        AthenaSummary {
            workgroup: self.settings.workgroup.clone(),
            database: self.settings.database.clone(),
            table: self.settings.table.clone(),
        }
    }

    fn workgroup<'a>(&'a self, req: &'a Value) -> Result<&'a str, ApiError> {
        let wg = str_field(req, "WorkGroup").unwrap_or(PRIMARY);
        if wg != self.settings.workgroup && wg != PRIMARY {
            return Err(invalid(format!("WorkGroup {wg} is not found.")));
        }
        Ok(wg)
    }

    /// StartQueryExecution: a bad request (workgroup, catalog, limits) is refused here; every
    /// statement runs in the background, one the engine refuses (it does not parse, names a
    /// table or database that does not exist, fails analysis) ending FAILED at once.
    pub async fn start_query_execution(self: &Arc<Self>, req: &Value) -> Result<Value, ApiError> {
        let statement = str_field(req, "QueryString")
            .ok_or_else(|| invalid("QueryString is required"))?
            .to_string();
        if statement.is_empty() || statement.len() > 262_144 {
            return Err(invalid("QueryString must be 1 to 262144 bytes"));
        }
        let wg = self.workgroup(req)?;
        let output_location = if wg == self.settings.workgroup {
            // The workgroup enforces its own location over the request's.
            self.settings.output_location.clone()
        } else {
            req.pointer("/ResultConfiguration/OutputLocation")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| invalid("No output location provided. An output location is required either through the Workgroup result configuration setting or through the API input."))?
        };
        let database = req
            .pointer("/QueryExecutionContext/Database")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string();
        if let Some(c) = req
            .pointer("/QueryExecutionContext/Catalog")
            .and_then(Value::as_str)
        {
            if !c.eq_ignore_ascii_case("awsdatacatalog") {
                return Err(invalid(format!("Catalog {c} is not found.")));
            }
        }
        self.jobs.has_room().map_err(too_many)?;
        // A statement Athena's engine refuses is still a query: it starts, and FAILS with the
        // engine's reason (`COLUMN_NOT_FOUND: line 1:8: ...`), as on Athena.
        let work = match self.plan(&statement, &database).await {
            Ok(planned) => Ok(planned),
            Err(Refused::Request(e)) => return Err(e),
            Err(Refused::Engine(reason)) => Err(reason),
        };
        let me = Arc::clone(self);
        let id = self
            .jobs
            .submit(
                statement,
                AthenaExtra {
                    workgroup: wg.to_string(),
                    database,
                    output_location,
                },
                |stop| async move {
                    let (prepared, plan) = work?;
                    me.execute(prepared, plan, &stop).await
                },
            )
            .map_err(too_many)?;
        Ok(json!({ "QueryExecutionId": id }))
    }

    /// Prepares and plans `statement` in `database`.
    async fn plan(
        &self,
        statement: &str,
        database: &str,
    ) -> Result<(Prepared, datafusion::logical_expr::LogicalPlan), Refused> {
        let columns = crate::table::column_names(&crate::table::athena_schema());
        let prepared = prepare(statement, &columns).map_err(|e| match e {
            PrepareError::Syntax(m) => Refused::Engine(format!("SYNTAX_ERROR: line 1:1: {m}")),
            PrepareError::NotSelect => {
                Refused::Request(invalid("Only SELECT queries are supported here."))
            }
            PrepareError::Analysis(r) => Refused::Engine(format!("{}: {r}", r.code)),
            PrepareError::TooLarge => {
                Refused::Engine(format!("STACK_OVERFLOW: {}", crate::nesting::TOO_LARGE))
            }
        })?;
        // Unqualified tables resolve in the context's database, as on Athena.
        let state = self.ctx.state();
        let plan = if database == self.settings.database {
            crate::dialect::plan_on_deep_stack(state, prepared.sql.clone()).await
        } else {
            Err(datafusion::error::DataFusionError::Plan(format!(
                "Schema '{database}' does not exist"
            )))
        }
        .map_err(|e| {
            if let Some(r) = crate::refusal::from_planning(&e, statement) {
                return Refused::Engine(format!("{}: {r}", r.code));
            }
            let msg = crate::exec::message(&e);
            if msg.starts_with("Schema '") {
                Refused::Engine(format!("SCHEMA_NOT_FOUND: {msg}"))
            } else if msg.contains("not found") || msg.contains("does not exist") {
                Refused::Engine(format!("TABLE_NOT_FOUND: {msg}"))
            } else {
                Refused::Engine(msg)
            }
        })?;
        Ok((prepared, plan))
    }

    async fn execute(
        &self,
        prepared: Prepared,
        plan: datafusion::logical_expr::LogicalPlan,
        stop: &Stop,
    ) -> crate::jobs::Outcome {
        let scanned = match self.scanned(&prepared).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "partition statistics failed; reporting a full scan");
                self.total_bytes
            }
        };
        if let Some(cutoff) = self.settings.bytes_cutoff {
            if scanned > cutoff {
                return Err(format!(
                    "Query cancelled! : Bytes scanned limit was exceeded ({scanned} bytes to scan, workgroup limit {cutoff})"
                ));
            }
        }
        let at = crate::clock::QueryInstant(self.jobs.now_ms());
        let ctx = SessionContext::new_with_state(at.state(stop.state(self.ctx.state())));
        let mut result = execute(&ctx, plan, self.jobs.result_limits(), |fields| {
            crate::sql::output_names(&prepared.names, fields)
                .into_iter()
                .map(|n| n.to_ascii_lowercase())
                .collect()
        })
        .await?;
        result
            .names
            .iter_mut()
            .for_each(|n| *n = n.to_ascii_lowercase());
        Ok((
            result,
            Stats {
                events_matched: 0,
                events_scanned: 0,
                bytes_scanned: scanned,
            },
        ))
    }

    /// Bytes in the partitions a query reads: for a single-table query, those its partition
    /// predicates select; otherwise every partition.
    async fn scanned(&self, prepared: &Prepared) -> Result<u64, String> {
        let Some(st) = prepared
            .single_table
            .as_ref()
            .filter(|st| st.table.eq_ignore_ascii_case(&self.settings.table))
        else {
            return Ok(self.total_bytes);
        };
        let Some(filter) = st.filter_on(&PARTITION_COLUMNS) else {
            return Ok(self.total_bytes);
        };
        let name = st.alias.as_deref().unwrap_or(&self.settings.table);
        let sql = format!(
            "SELECT sum(bytes) FROM partitions AS \"{}\" WHERE {filter}",
            name.replace('"', "\"\"")
        );
        let batches = crate::dialect::collect(&self.partitions, &sql)
            .await
            .map_err(|e| e.strip_backtrace())?;
        let Some(b) = batches.first().filter(|b| b.num_rows() > 0) else {
            return Ok(0);
        };
        let c = datafusion::arrow::compute::cast(b.column(0), &DataType::UInt64)
            .map_err(|e| e.to_string())?;
        let a = c.as_primitive::<UInt64Type>();
        Ok(if a.is_null(0) { 0 } else { a.value(0) })
    }

    fn with_query<T>(
        &self,
        req: &Value,
        f: impl FnOnce(&str, &mut Job<AthenaExtra>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let id = str_field(req, "QueryExecutionId")
            .ok_or_else(|| invalid("QueryExecutionId is required"))?;
        self.jobs
            .with(id, |q| f(id, q))
            .unwrap_or_else(|| Err(invalid(format!("QueryExecution {id} was not found"))))
    }

    /// GetQueryExecution.
    pub fn get_query_execution(&self, req: &Value) -> Result<Value, ApiError> {
        self.with_query(req, |id, q| {
            let mut status = json!({
                "State": state_text(q.status),
                "SubmissionDateTime": q.created_ms as f64 / 1000.0,
            });
            if let Some(done) = q.completed_ms() {
                status["CompletionDateTime"] = json!(done as f64 / 1000.0);
            }
            if let Some(e) = &q.error {
                status["StateChangeReason"] = json!(e);
                status["AthenaError"] = json!({"ErrorCategory": 2, "ErrorType": 1000, "Retryable": false, "ErrorMessage": e});
            }
            Ok(json!({"QueryExecution": {
                "QueryExecutionId": id,
                "Query": q.statement,
                "StatementType": "DML",
                "ResultConfiguration": {"OutputLocation": format!("{}{id}.csv", q.extra.output_location)},
                "QueryExecutionContext": {"Database": q.extra.database, "Catalog": "AwsDataCatalog"},
                "Status": status,
                "Statistics": {
                    "EngineExecutionTimeInMillis": q.elapsed_ms(),
                    "DataScannedInBytes": q.stats.bytes_scanned,
                    "TotalExecutionTimeInMillis": q.elapsed_ms(),
                },
                "WorkGroup": q.extra.workgroup,
                "EngineVersion": {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
            }}))
        })
    }

    /// GetQueryResults: the header row first on the first page, at most 1000 rows a page; the
    /// reply's JSON text, its rows written straight from the result (see [`JsonText`]).
    pub fn get_query_results(&self, req: &Value) -> Result<String, ApiError> {
        let max = page_size(req, "MaxResults", 1000, 1000)
            .ok_or_else(|| invalid("MaxResults must be between 1 and 1000."))?;
        let token = str_field(req, "NextToken");
        self.with_query(req, |id, q| {
            if q.status != Status::Finished {
                return Err(invalid(format!(
                    "Query has not yet finished. Current state: {}",
                    state_text(q.status)
                )));
            }
            let r = &q.result;
            // Position 0 is the header row; data row i is position i + 1.
            let total = r.len() + 1;
            let offset = match token {
                None => 0,
                Some(t) => page_token::decode::<usize>(t, id)
                    .filter(|off| *off > 0 && *off <= total)
                    .ok_or_else(|| invalid("The NextToken is not valid."))?,
            };
            let end = offset.saturating_add(max).min(total);
            // Data row i is result row i - 1.
            let data_rows = r
                .rows(offset.max(1) - 1..end.saturating_sub(1))
                .map_err(ApiError::internal)?;
            let columns: Vec<Value> = r
                .names
                .iter()
                .zip(&r.types)
                .map(|(n, t)| {
                    json!({"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": n, "Label": n,
                           "Type": t, "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": t == "varchar"})
                })
                .collect();
            let mut out = json!({"UpdateCount": 0});
            if end < total {
                out["NextToken"] = json!(page_token::encode(id, end));
            }
            // The header row (the column names) first on the first page.
            let header: Option<Vec<Option<String>>> =
                (offset == 0 && end > 0).then(|| r.names.iter().cloned().map(Some).collect());
            let bytes = JsonText::estimate(&data_rows, 24).saturating_add(columns.len() * 256);
            JsonText::object_with(&out, "ResultSet", bytes, |t| {
                t.raw("{\"Rows\":");
                // A row is `{"Data": [{"VarCharValue": "v"}, {} for a NULL, ...]}`.
                t.list(header.iter().chain(&data_rows), |t, row| {
                    t.raw("{\"Data\":");
                    t.list(row, |t, v| {
                        match v {
                            Some(s) => {
                                t.raw("{\"VarCharValue\":");
                                t.string(s)?;
                                t.raw("}");
                            }
                            None => t.raw("{}"),
                        }
                        Ok(())
                    })?;
                    t.raw("}");
                    Ok(())
                })?;
                t.raw(",\"ResultSetMetadata\":");
                t.value(&json!({ "ColumnInfo": columns }))?;
                t.raw("}");
                Ok(())
            })
        })
    }

    /// StopQueryExecution: stopping a query that already ended is not an error on Athena.
    pub fn stop_query_execution(&self, req: &Value) -> Result<Value, ApiError> {
        let id = str_field(req, "QueryExecutionId")
            .ok_or_else(|| invalid("QueryExecutionId is required"))?;
        match self.jobs.cancel(id) {
            None => Err(invalid(format!("QueryExecution {id} was not found"))),
            Some(Ok(()) | Err(Inactive)) => Ok(json!({})),
        }
    }

    /// ListQueryExecutions of a workgroup, newest first, 50 a page at most.
    pub fn list_query_executions(&self, req: &Value) -> Result<Value, ApiError> {
        let wg = self.workgroup(req)?.to_string();
        let max = match req.get("MaxResults").and_then(Value::as_u64) {
            None => 50,
            Some(n @ 0..=50) => n as usize,
            Some(_) => return Err(invalid("MaxResults must be between 0 and 50.")),
        };
        let ids: Vec<String> = self
            .jobs
            .list()
            .into_iter()
            .map(|(id, _, _)| id)
            .filter(|id| {
                self.jobs
                    .with(id, |q| q.extra.workgroup == wg)
                    .unwrap_or(false)
            })
            .collect();
        let offset = match str_field(req, "NextToken") {
            None => 0,
            Some(t) => page_token::decode::<usize>(t, "list")
                .filter(|off| *off <= ids.len())
                .ok_or_else(|| invalid("The NextToken is not valid."))?,
        };
        let end = offset.saturating_add(max).min(ids.len());
        let mut out = json!({ "QueryExecutionIds": ids[offset..end] });
        if end < ids.len() {
            out["NextToken"] = json!(page_token::encode("list", end));
        }
        Ok(out)
    }

    /// GetWorkGroup.
    pub fn get_work_group(&self, req: &Value) -> Result<Value, ApiError> {
        let wg = str_field(req, "WorkGroup").ok_or_else(|| invalid("WorkGroup is required"))?;
        let mut config = json!({
            "EnforceWorkGroupConfiguration": wg != PRIMARY,
            "PublishCloudWatchMetricsEnabled": true,
            "RequesterPaysEnabled": false,
            "EngineVersion": {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"},
        });
        if wg == self.settings.workgroup {
            config["ResultConfiguration"] =
                json!({"OutputLocation": self.settings.output_location});
            if let Some(c) = self.settings.bytes_cutoff {
                config["BytesScannedCutoffPerQuery"] = json!(c);
            }
        } else if wg != PRIMARY {
            return Err(invalid(format!("WorkGroup {wg} is not found.")));
        }
        Ok(json!({"WorkGroup": {"Name": wg, "State": "ENABLED", "Configuration": config}}))
    }
}

fn too_many(Full(n): Full) -> ApiError {
    ApiError::client(
        "TooManyRequestsException",
        format!("You have exceeded the limit of {n} concurrent queries."),
    )
}
