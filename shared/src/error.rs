//! The library's errors, each with the `errorType` that Step Functions' Retry and Catch match.

/// Everything that can go wrong in a trailwatch handler.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The invocation's input is malformed or names something unknown; retrying will not help.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// No check with this id in the catalog.
    #[error("unknown check {0:?}")]
    UnknownCheck(String),
    /// A SQL template or its values were rejected.
    #[error("template error: {0}")]
    Template(#[from] crate::sql::TemplateError),
    /// Lake rejected the SQL (InvalidQueryStatementException).
    #[error("invalid query statement: {0}")]
    InvalidQuery(String),
    /// Ten queries already queued or running; retry with backoff.
    #[error("maximum concurrent Lake queries reached: {0}")]
    MaxConcurrentQueries(String),
    /// The AWS API throttled the call after the SDK's own retries.
    #[error("throttled: {0}")]
    Throttled(String),
    /// The query is still queued or running: poll-query's signal for the state machine's
    /// Retry, which is how it waits (one state transition a poll).
    #[error("query {0} is still running")]
    QueryRunning(String),
    /// The query ended without results: FAILED, CANCELLED or TIMED_OUT, with the engine's reason.
    #[error("query {query_id} ended {status}: {message}")]
    QueryEnded {
        query_id: String,
        status: crate::engine::QueryStatus,
        message: String,
    },
    /// The query id is unknown (or older than Lake's 7 days).
    #[error("query not found: {0}")]
    QueryNotFound(String),
    /// The event data store does not exist or is not active.
    #[error("event data store not available: {0}")]
    EventDataStore(String),
    /// A pagination token was rejected.
    #[error("invalid pagination token: {0}")]
    InvalidToken(String),
    /// A network fault or server error that outlived the SDK's retries.
    #[error("transient AWS failure: {0}")]
    Transient(String),
    /// Any other AWS error, with its code.
    #[error("AWS error {code}: {message}")]
    Aws { code: String, message: String },
    /// Alerts could not be published.
    #[error("alert publishing failed: {0}")]
    Publish(String),
    /// Alerts were claimed but not published: too little time was left to publish and record
    /// them before the invocation's deadline. A retry publishes them.
    #[error("alerts deferred: {0}")]
    Deferred(String),
    /// Another lookup sweep advanced the same lane's checkpoint (sweeps run one at a time).
    #[error("another sweep is running: {0}")]
    SweepBusy(String),
    /// A stored sweep checkpoint does not parse; the lane stops rather than skip events.
    #[error("invalid sweep checkpoint: {0}")]
    Checkpoint(String),
    /// The correlation rules' state could not be read, written or saved.
    #[error("correlation state: {0}")]
    Correlation(String),
    /// Configuration is missing or invalid.
    #[error("configuration error: {0}")]
    Config(String),
}

impl Error {
    /// The `errorType` reported to Lambda, which Step Functions matches in Retry and Catch.
    pub fn error_type(&self) -> &'static str {
        match self {
            // SQL that does not parse is the query's fault, as when the engine rejects it.
            Error::Template(
                crate::sql::TemplateError::Syntax(_) | crate::sql::TemplateError::NotSelect,
            ) => "InvalidQuery",
            Error::InvalidInput(_) | Error::UnknownCheck(_) | Error::Template(_) => "InvalidInput",
            Error::InvalidQuery(_) => "InvalidQuery",
            Error::MaxConcurrentQueries(_) => "MaxConcurrentQueries",
            Error::Throttled(_) => "Throttled",
            Error::QueryRunning(_) => "QueryRunning",
            Error::QueryEnded { status, .. } => match status {
                crate::engine::QueryStatus::Cancelled => "QueryCancelled",
                crate::engine::QueryStatus::TimedOut => "QueryTimedOut",
                _ => "QueryFailed",
            },
            Error::QueryNotFound(_) => "QueryNotFound",
            Error::EventDataStore(_) => "EventDataStoreUnavailable",
            Error::InvalidToken(_) => "InvalidToken",
            Error::Transient(_) => "Transient",
            Error::Aws { .. } => "AwsError",
            Error::Publish(_) => "AlertPublishFailed",
            Error::Deferred(_) => "AlertsDeferred",
            Error::SweepBusy(_) => "SweepBusy",
            Error::Checkpoint(_) => "CheckpointInvalid",
            Error::Correlation(_) => "CorrelationStateBusy",
            Error::Config(_) => "ConfigError",
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
