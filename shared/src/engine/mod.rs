//! The query-engine port: CloudTrail Lake and Athena seen the same way by the pipeline
//! (start a query with its SQL, describe it, read a page of results, cancel it).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// Which engine runs the checks; chosen at deploy time (`TRAILWATCH_ENGINE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// CloudTrail Lake (an event data store).
    #[default]
    Lake,
    /// Amazon Athena over the trail's S3 logs.
    Athena,
}

impl EngineKind {
    /// Parses `lake` / `athena` (also AWS's names `CloudTrailLake`, `Athena`).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "lake" | "cloudtraillake" | "cloudtrail-lake" => Some(Self::Lake),
            "athena" => Some(Self::Athena),
            _ => None,
        }
    }

    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lake => "lake",
            Self::Athena => "athena",
        }
    }

    /// The estimated cost in USD of a query that scanned `bytes`, at the engine's list price.
    pub fn cost_usd(self, bytes: i64) -> f64 {
        let bytes = bytes.max(0) as f64;
        match self {
            // USD 0.005 per GB scanned.
            Self::Lake => bytes * 0.005 / 1e9,
            // USD 5 per TB scanned, at least 10 MB billed per query.
            Self::Athena => bytes.max(10e6) * 5.0 / 1e12,
        }
    }
}

/// A query's status in the workflow's terms (Athena's SUCCEEDED is FINISHED here).
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
    /// Parses Lake's status text (`TIMED_OUT`) and Athena's (`SUCCEEDED`).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "QUEUED" => Self::Queued,
            "RUNNING" => Self::Running,
            "FINISHED" | "SUCCEEDED" => Self::Finished,
            "FAILED" => Self::Failed,
            "CANCELLED" => Self::Cancelled,
            "TIMED_OUT" => Self::TimedOut,
            _ => return None,
        })
    }

    /// The workflow's name for the status, as the state machine's Choice states read it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "QUEUED",
            Self::Running => "RUNNING",
            Self::Finished => "FINISHED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
            Self::TimedOut => "TIMED_OUT",
        }
    }

    /// Whether the query has ended, one way or another.
    pub fn is_terminal(self) -> bool {
        !matches!(self, Self::Queued | Self::Running)
    }
}

impl std::fmt::Display for QueryStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What describing a query tells: its status, statistics and, when it failed, why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryState {
    pub status: QueryStatus,
    /// Events matched (Lake only; 0 on Athena).
    pub events_matched: i64,
    /// Events scanned (Lake only; 0 on Athena).
    pub events_scanned: i64,
    pub bytes_scanned: i64,
    pub execution_ms: i64,
    /// Lake's `ErrorMessage`, Athena's `StateChangeReason`.
    pub error_message: Option<String>,
}

/// One result row: `(column, value)` pairs in the query's column order.
pub type Row = Vec<(String, String)>;

/// One page of results.
#[derive(Debug, Clone, Default)]
pub struct ResultsPage {
    /// The status the engine reported with the page, where it reports one (Lake does).
    pub status: Option<QueryStatus>,
    pub rows: Vec<Row>,
    pub next_token: Option<String>,
    /// Bytes scanned, where the engine reports it with the page (Lake does, Athena does not).
    pub bytes_scanned: Option<i64>,
}

/// A query engine as the pipeline needs it.
#[async_trait]
pub trait QueryEngine: Send + Sync {
    /// Which engine this is: decides the SQL dialect checks are rendered in and the price.
    fn kind(&self) -> EngineKind;
    /// Starts a query; returns its id. `delivery_s3_uri` is Lake's optional result delivery.
    async fn start(&self, sql: &str, delivery_s3_uri: Option<&str>) -> Result<String>;
    /// The query's status and statistics.
    async fn describe(&self, query_id: &str) -> Result<QueryState>;
    /// One page of at most `max` result rows (1..=1000), from `token`.
    async fn page(&self, query_id: &str, token: Option<&str>, max: i32) -> Result<ResultsPage>;
    /// Cancels a queued or running query; returns the status the engine reports.
    async fn cancel(&self, query_id: &str) -> Result<QueryStatus>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn athena_states_map_onto_the_workflow() {
        assert_eq!(QueryStatus::parse("SUCCEEDED"), Some(QueryStatus::Finished));
        assert_eq!(QueryStatus::parse("TIMED_OUT"), Some(QueryStatus::TimedOut));
        assert_eq!(QueryStatus::parse("DONE"), None);
        assert_eq!(QueryStatus::TimedOut.to_string(), "TIMED_OUT");
    }

    #[test]
    fn costs_follow_each_engines_price() {
        // 1 GB on Lake: USD 0.005.
        assert!((EngineKind::Lake.cost_usd(1_000_000_000) - 0.005).abs() < 1e-12);
        // 1 TB on Athena: USD 5; 1 byte is billed as 10 MB: USD 0.00005.
        assert!((EngineKind::Athena.cost_usd(1_000_000_000_000) - 5.0).abs() < 1e-9);
        assert!((EngineKind::Athena.cost_usd(1) - 0.00005).abs() < 1e-12);
    }
}
