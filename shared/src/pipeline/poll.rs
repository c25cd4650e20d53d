//! poll-query: one DescribeQuery; the next wait for the state machine; cancels past the deadline.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{decode, Deps, QueryRef};
use crate::error::Result;
use crate::lake::{QueryState, QueryStatus};

/// poll-query's input: the query and the previous poll, if any.
#[derive(Debug, Deserialize)]
pub struct PollInput {
    pub query: QueryRef,
    #[serde(default)]
    pub poll: Option<PollState>,
}

/// What the state machine's Choice and Wait read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PollState {
    pub status: QueryStatus,
    /// Polls made so far.
    pub attempt: u32,
    /// The Wait state's `SecondsPath`.
    pub wait_seconds: u32,
    /// FINISHED, FAILED, CANCELLED or TIMED_OUT.
    pub terminal: bool,
    /// The query ran past its deadline and poll-query cancelled it.
    pub deadline_cancelled: bool,
    pub events_scanned: i64,
    pub bytes_scanned: i64,
    pub execution_ms: i64,
    pub error_message: Option<String>,
}

/// Polls once.
pub async fn handle(
    deps: &Deps,
    input: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<PollState> {
    let input: PollInput = decode("poll-query", input)?;
    let q = &input.query;
    let span = tracing::info_span!("poll_query", query_id = %q.query_id, check_id = %q.check_id);
    let _g = span.enter();
    let attempt = input.poll.map_or(0, |p| p.attempt) + 1;
    let mut state: QueryState = deps.lake.describe(&q.query_id).await?;
    let mut deadline_cancelled = false;
    if !state.status.is_terminal() && now >= q.deadline {
        // A runaway query keeps scanning (and billing) until cancelled.
        tracing::warn!(deadline = %q.deadline, "query past its deadline: cancelling");
        state.status = match deps.lake.cancel(&q.query_id).await {
            Ok(s) => s,
            // It ended between the two calls: report what it ended as.
            Err(crate::error::Error::Aws { code, .. }) if code == "InactiveQueryException" => {
                deps.lake.describe(&q.query_id).await?.status
            }
            Err(e) => return Err(e),
        };
        deadline_cancelled = true;
        state.error_message = Some(format!(
            "cancelled by trailwatch: still running at its deadline {}",
            q.deadline
        ));
    }
    tracing::info!(status = ?state.status, attempt, "polled");
    Ok(PollState {
        status: state.status,
        attempt,
        wait_seconds: deps.config.backoff.wait_secs(attempt),
        terminal: state.status.is_terminal(),
        deadline_cancelled,
        events_scanned: state.events_scanned,
        bytes_scanned: state.bytes_scanned,
        execution_ms: state.execution_ms,
        error_message: state.error_message,
    })
}
