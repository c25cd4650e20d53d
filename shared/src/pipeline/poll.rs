//! poll-query: one describe; cancels past the deadline. While the query runs it raises
//! `QueryRunning`, which the state machine retries with growing waits ([`super::policy::POLL`]):
//! one state transition a poll. A query that ended without results raises `QueryFailed`,
//! `QueryCancelled` or `QueryTimedOut` with the engine's reason, for the failure alert.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Deps, QueryRef};
use crate::engine::{QueryState, QueryStatus};
use crate::error::{Error, Result};

/// poll-query's input: the query.
#[derive(Debug, Clone, Deserialize)]
pub struct PollInput {
    pub query: QueryRef,
}

/// A finished query's statistics, which the summary reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PollState {
    pub status: QueryStatus,
    pub events_scanned: i64,
    pub bytes_scanned: i64,
    pub execution_ms: i64,
}

/// Polls once: `Ok` only for a FINISHED query.
pub async fn handle(deps: &Deps, input: PollInput, now: DateTime<Utc>) -> Result<PollState> {
    let q = &input.query;
    let mut state: QueryState = deps.engine.describe(&q.query_id).await?;
    if !state.status.is_terminal() && now >= q.deadline {
        // A runaway query keeps scanning (and billing) until cancelled.
        tracing::warn!(deadline = %q.deadline, "query past its deadline: cancelling");
        state.status = match deps.engine.cancel(&q.query_id).await {
            Ok(s) => s,
            // It ended between the two calls: report what it ended as.
            Err(Error::Aws { code, .. }) if code == "InactiveQueryException" => {
                deps.engine.describe(&q.query_id).await?.status
            }
            Err(e) => return Err(e),
        };
        if state.status != QueryStatus::Finished {
            return Err(Error::QueryEnded {
                query_id: q.query_id.clone(),
                status: QueryStatus::Cancelled,
                message: format!(
                    "cancelled by trailwatch: still running at its deadline {}",
                    q.deadline
                ),
            });
        }
    }
    tracing::info!(status = %state.status, "polled");
    match state.status {
        QueryStatus::Finished => Ok(PollState {
            status: state.status,
            events_scanned: state.events_scanned,
            bytes_scanned: state.bytes_scanned,
            execution_ms: state.execution_ms,
        }),
        QueryStatus::Queued | QueryStatus::Running => Err(Error::QueryRunning(q.query_id.clone())),
        status => Err(Error::QueryEnded {
            query_id: q.query_id.clone(),
            status,
            message: state
                .error_message
                .unwrap_or_else(|| "the engine gave no reason".into()),
        }),
    }
}
