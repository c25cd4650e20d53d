//! The Lambda edge: what every function binary shares (JSON logs, errors mapped to Lambda's
//! `errorType`, which Step Functions matches) and the only place where the pipeline's inputs
//! are decoded from JSON.

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::Value;
use tracing::Instrument;

use crate::error::Error;
use crate::lookup::handler::{self, LookupDeps, LookupOutcome};
use crate::pipeline::collect::{self, CollectInput, CollectState};
use crate::pipeline::poll::{self, PollInput, PollState};
use crate::pipeline::start::{self, StartInput};
use crate::pipeline::{Deps, QueryRef};

/// Structured JSON logs on stdout (CloudWatch Logs), level from `RUST_LOG` (default info).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .without_time()
        .with_target(false)
        .try_init();
}

/// The Lambda error for a library error.
pub fn diagnostic(e: Error) -> Diagnostic {
    tracing::error!(error_type = e.error_type(), error = %e, "invocation failed");
    Diagnostic {
        error_type: e.error_type().to_string(),
        error_message: e.to_string(),
    }
}

/// Decodes a handler's JSON input, or says precisely what is wrong with it.
pub fn decode<T: serde::de::DeserializeOwned>(
    what: &str,
    input: serde_json::Value,
) -> crate::Result<T> {
    serde_json::from_value(input).map_err(|e| Error::InvalidInput(format!("{what} input: {e}")))
}

/// start-query at the Lambda edge: JSON in, one span for the invocation, `errorType` out.
pub async fn start_query(deps: &Deps, ev: LambdaEvent<Value>) -> Result<QueryRef, Diagnostic> {
    let span = tracing::info_span!("start_query", request_id = %ev.context.request_id, check_id = tracing::field::Empty);
    async {
        let input: StartInput = decode("start-query", ev.payload)?;
        if let Some(id) = &input.check_id {
            tracing::Span::current().record("check_id", id.as_str());
        }
        start::handle(deps, input, chrono::Utc::now()).await
    }
    .instrument(span)
    .await
    .map_err(diagnostic)
}

/// Names the query in the invocation's span.
fn record_query(q: &QueryRef) {
    let current = tracing::Span::current();
    current.record("query_id", q.query_id.as_str());
    current.record("check_id", q.check_id.as_str());
}

/// poll-query at the Lambda edge.
pub async fn poll_query(deps: &Deps, ev: LambdaEvent<Value>) -> Result<PollState, Diagnostic> {
    let span = tracing::info_span!("poll_query", request_id = %ev.context.request_id, query_id = tracing::field::Empty, check_id = tracing::field::Empty);
    async {
        let input: PollInput = decode("poll-query", ev.payload)?;
        record_query(&input.query);
        poll::handle(deps, input, chrono::Utc::now()).await
    }
    .instrument(span)
    .await
    .map_err(|e| match e {
        // Not a failure: the state machine's Retry is how it waits.
        Error::QueryRunning(_) => Diagnostic {
            error_type: e.error_type().to_string(),
            error_message: e.to_string(),
        },
        other => diagnostic(other),
    })
}

/// collect-results at the Lambda edge; the invocation's deadline bounds its work.
pub async fn collect_results(
    deps: &Deps,
    ev: LambdaEvent<Value>,
) -> Result<CollectState, Diagnostic> {
    let deadline = ev.context.deadline();
    let span = tracing::info_span!("collect_results", request_id = %ev.context.request_id, query_id = tracing::field::Empty, check_id = tracing::field::Empty);
    async {
        let input: CollectInput = decode("collect-results", ev.payload)?;
        record_query(&input.query);
        collect::handle(deps, input, deadline).await
    }
    .instrument(span)
    .await
    .map_err(diagnostic)
}

/// lookup-alert at the Lambda edge: the EventBridge event (scheduled or CloudTrail) decoded here.
pub async fn lookup_alert(
    deps: &LookupDeps,
    ev: LambdaEvent<Value>,
) -> Result<LookupOutcome, Diagnostic> {
    let span = tracing::info_span!("lookup_alert", request_id = %ev.context.request_id);
    async {
        let event = decode("lookup-alert (an EventBridge event)", ev.payload)?;
        handler::handle(deps, event, Some(ev.context.deadline())).await
    }
    .instrument(span)
    .await
    .map_err(diagnostic)
}
