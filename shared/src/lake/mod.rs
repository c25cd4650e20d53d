//! CloudTrail Lake: the query lifecycle as plain data, and the port through which it is driven.

pub mod backoff;
pub mod sdk;
pub mod template;
pub mod window;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// A query's status, as Lake reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QueryStatus {
    Queued,
    Running,
    Finished,
    Failed,
    Cancelled,
    TimedOut,
}

impl QueryStatus {
    /// Parses Lake's status text.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "QUEUED" => Self::Queued,
            "RUNNING" => Self::Running,
            "FINISHED" => Self::Finished,
            "FAILED" => Self::Failed,
            "CANCELLED" => Self::Cancelled,
            "TIMED_OUT" => Self::TimedOut,
            _ => return None,
        })
    }

    /// Whether the query has ended, one way or another.
    pub fn is_terminal(self) -> bool {
        !matches!(self, Self::Queued | Self::Running)
    }
}

/// DescribeQuery's view of a query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryState {
    pub status: QueryStatus,
    pub events_matched: i64,
    pub events_scanned: i64,
    pub bytes_scanned: i64,
    pub execution_ms: i64,
    pub error_message: Option<String>,
}

/// One result row: `(column, value)` pairs in the query's column order.
pub type Row = Vec<(String, String)>;

/// One page of GetQueryResults.
#[derive(Debug, Clone, Default)]
pub struct ResultsPage {
    pub status: Option<QueryStatus>,
    pub rows: Vec<Row>,
    pub next_token: Option<String>,
    pub bytes_scanned: i64,
    pub total_results: i64,
}

/// Lake's API as trailwatch needs it.
#[async_trait]
pub trait LakeQueries: Send + Sync {
    /// StartQuery; returns the query id.
    async fn start(&self, sql: &str, delivery_s3_uri: Option<&str>) -> Result<String>;
    /// DescribeQuery.
    async fn describe(&self, query_id: &str) -> Result<QueryState>;
    /// GetQueryResults, one page of at most `max` rows.
    async fn page(&self, query_id: &str, token: Option<&str>, max: i32) -> Result<ResultsPage>;
    /// CancelQuery; returns the status Lake reports.
    async fn cancel(&self, query_id: &str) -> Result<QueryStatus>;
}

/// Lake's price per byte scanned (USD 0.005 per GB), for the cost estimate in summaries.
pub const USD_PER_BYTE: f64 = 0.005 / 1_000_000_000.0;
