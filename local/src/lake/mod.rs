//! CloudTrail Lake queries: StartQuery, DescribeQuery, GetQueryResults, CancelQuery and
//! ListQueries over one event data store held in DataFusion, with Lake's lifecycle
//! (QUEUED -> RUNNING -> FINISHED | FAILED | CANCELLED | TIMED_OUT).

mod stats;
mod wire;

use std::sync::Arc;

use datafusion::prelude::SessionContext;
use serde_json::{json, Value};

use crate::clock::Clock;
use crate::error::ApiError;
use crate::exec::execute;
use crate::jobs::{Full, Job, Jobs, QueryTiming, Status};
use crate::refusal::Refusal;
use crate::request::str_field;
use crate::sql::{
    output_names, prepare, quote_store_ids, unquoted_position, PrepareError, Prepared,
};
use crate::stop::Stop;
use crate::store::{session_config, EventStore, StoreError};

/// The event data store's identity.
#[derive(Debug, Clone)]
pub struct Store {
    pub id: String,
    pub arn: String,
    pub events: usize,
    pub bytes: u64,
}

/// Lake's name for a status.
pub(crate) fn status_text(s: Status) -> &'static str {
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
    /// The store's table with each event's size under the same name, for statistics.
    stats_ctx: SessionContext,
    store: Store,
    jobs: Arc<Jobs<LakeExtra>>,
}

pub(crate) fn required<'a>(req: &'a Value, name: &str) -> Result<&'a str, ApiError> {
    str_field(req, name)
        .ok_or_else(|| ApiError::client("InvalidParameterException", format!("{name} is required")))
}

impl Lake {
    /// Stops every query still queued or running (the service is stopping).
    pub fn stop_queries(&self) {
        self.jobs.stop_all();
    }

    /// Builds the engine over the event store's Lake table, registered under the store id.
    pub fn new(
        events: &EventStore,
        store: Store,
        timing: QueryTiming,
        clock: Clock,
    ) -> Result<Arc<Self>, StoreError> {
        let ctx = crate::udf::context(session_config(), &clock);
        ctx.register_table(store.id.as_str(), events.lake_table()?)?;
        let stats_ctx = crate::udf::context(session_config(), &clock);
        stats_ctx.register_table(store.id.as_str(), events.lake_table_with_sizes()?)?;
        Ok(Arc::new(Self {
            ctx,
            stats_ctx,
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
        let columns = crate::table::column_names(&crate::table::lake_schema());
        // Positions count the statement as written, without the quotes around store ids.
        let refuse = |mut r: Refusal| {
            (r.line, r.column) = unquoted_position(&statement, &sql, (r.line, r.column));
            ApiError::client("InvalidQueryStatementException", r.to_string())
        };
        let prepared = prepare(&sql, &columns).map_err(|e| match e {
            PrepareError::Syntax(m) => ApiError::client("InvalidQueryStatementException", m),
            PrepareError::Analysis(r) => refuse(r),
            PrepareError::TooLarge => {
                ApiError::client("InvalidQueryStatementException", crate::nesting::TOO_LARGE)
            }
            PrepareError::NotSelect => ApiError::client(
                "InvalidQueryStatementException",
                "Only SELECT statements are supported.",
            ),
        })?;
        let plan = crate::dialect::plan_on_deep_stack(self.ctx.state(), prepared.sql.clone())
            .await
            .map_err(|e| {
                if let Some(r) = crate::refusal::from_planning(&e, &sql) {
                    return refuse(r);
                }
                let msg = crate::exec::message(&e);
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
                |stop| async move { me.execute(&prepared, plan, &stop).await },
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
        stop: &Stop,
    ) -> crate::jobs::Outcome {
        let plain = stats::is_plain(&plan);
        let at = crate::clock::QueryInstant(self.jobs.now_ms());
        let ctx = SessionContext::new_with_state(at.state(stop.state(self.ctx.state())));
        let result = execute(&ctx, plan, self.jobs.result_limits(), |fields| {
            output_names(&prepared.names, fields)
        })
        .await?;
        let rows = result.len();
        let stats = match self.statistics(prepared, rows, plain, stop).await {
            Ok(s) => s,
            Err(e) => {
                // Statistics must never fail the query itself: fall back to a full scan's figures.
                tracing::warn!(error = %e, "statistics query failed; reporting a full scan");
                self.full_scan(rows)
            }
        };
        Ok((result, stats))
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
}

fn too_many(Full(n): Full) -> ApiError {
    ApiError::client(
        "MaxConcurrentQueriesException",
        format!("You are already running the maximum number of concurrent queries ({n})."),
    )
}
