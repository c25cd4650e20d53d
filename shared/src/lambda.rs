//! What every function binary shares: JSON logs and the mapping of errors to Lambda's
//! `errorType`, which Step Functions matches.

use lambda_runtime::Diagnostic;

use crate::error::Error;

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
