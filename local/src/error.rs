//! Errors as AWS services report them: a code the SDKs map to a typed error, and an HTTP status.

/// An error reply in AWS's shape.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
    pub status: u16,
}

impl ApiError {
    /// A client error (HTTP 400), the status AWS uses for validation and throttling alike.
    pub fn client(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            status: 400,
        }
    }

    /// A server error (HTTP 500), which the SDKs retry.
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            code: "InternalFailure",
            message: message.into(),
            status: 500,
        }
    }
}
