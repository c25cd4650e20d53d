//! AWS SDK configuration shared by the functions and the CLI: the default credential chain,
//! endpoint URLs from `AWS_ENDPOINT_URL*`, and the SDK's standard retries (which also retry
//! CloudTrail's HTTP 400 ThrottlingException by its code).

use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
pub use aws_config::SdkConfig;
use aws_sdk_cloudtrail::error::{ProvideErrorMetadata, SdkError};

use crate::error::Error;

/// The SDK's standard retries: `max_attempts` tries per call, the first retry after `backoff`
/// (None: the SDK's 1 s).
fn retry_config(max_attempts: u32, backoff: Option<std::time::Duration>) -> RetryConfig {
    let retry = RetryConfig::standard().with_max_attempts(max_attempts);
    match backoff {
        Some(b) => retry.with_initial_backoff(b),
        None => retry,
    }
}

/// Loads the SDK configuration from the environment: `max_attempts` tries per call, the first
/// retry after `backoff` (`TRAILWATCH_RETRY_BACKOFF`; None: the SDK's 1 s).
pub async fn sdk_config(max_attempts: u32, backoff: Option<std::time::Duration>) -> SdkConfig {
    sdk_config_at(None, max_attempts, backoff).await
}

/// [`sdk_config`] with every call sent to `endpoint` (None: the environment's
/// `AWS_ENDPOINT_URL*`, else AWS's endpoints); credentials and region come from the
/// environment as usual.
pub async fn sdk_config_at(
    endpoint: Option<&str>,
    max_attempts: u32,
    backoff: Option<std::time::Duration>,
) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(retry_config(max_attempts, backoff));
    if let Some(e) = endpoint {
        loader = loader.endpoint_url(e);
    }
    loader.load().await
}

/// A CloudTrail client.
pub fn cloudtrail(config: &SdkConfig) -> aws_sdk_cloudtrail::Client {
    aws_sdk_cloudtrail::Client::new(config)
}

/// A CloudTrail client for `region` (event history is per region).
pub fn cloudtrail_in(config: &SdkConfig, region: &str) -> aws_sdk_cloudtrail::Client {
    let conf = aws_sdk_cloudtrail::config::Builder::from(config)
        .region(aws_config::Region::new(region.to_string()))
        .build();
    aws_sdk_cloudtrail::Client::from_conf(conf)
}

/// An Athena client.
pub fn athena(config: &SdkConfig) -> aws_sdk_athena::Client {
    aws_sdk_athena::Client::new(config)
}

/// A DynamoDB client.
pub fn dynamodb(config: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(config)
}

/// An SNS client.
pub fn sns(config: &SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(config)
}

/// SDK configuration for a local endpoint (`trailwatch serve`, moto): such endpoints check no
/// signature, so placeholder static credentials replace the credential chain's lookups.
pub fn local_config(endpoint: &str, region: &str, max_attempts: u32) -> SdkConfig {
    use aws_config::Region;
    use aws_credential_types::provider::SharedCredentialsProvider;
    use aws_credential_types::Credentials;
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "local",
            "local",
            None,
            None,
            "trailwatch-local",
        )))
        .retry_config(retry_config(max_attempts, None))
        .build()
}

/// Maps an SDK error to the library's by its AWS error code.
pub fn map_sdk_error<E, R>(e: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let (code, message) = match &e {
        SdkError::ServiceError(s) if s.err().code().is_some() => (
            s.err().code().unwrap_or_default().to_string(),
            s.err().message().unwrap_or_default().to_string(),
        ),
        // An error response without an error code (a proxy's or a crashed server's page): the
        // service did not say what went wrong, so it is treated as passing.
        SdkError::ServiceError(s) => {
            let raw: String = format!("{:?}", s.raw()).chars().take(300).collect();
            return Error::Transient(format!("error response without a code: {raw}"));
        }
        // The request could not even be built: retrying cannot help.
        SdkError::ConstructionFailure(_) => {
            return Error::InvalidInput(format!(
                "{}",
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            ))
        }
        _ => {
            return Error::Transient(format!(
                "{}",
                aws_smithy_types::error::display::DisplayErrorContext(&e)
            ))
        }
    };
    classify(&code, message)
}

/// The library error for an AWS error code.
pub fn classify(code: &str, message: String) -> Error {
    match code {
        "MaxConcurrentQueriesException" => Error::MaxConcurrentQueries(message),
        // Lake's rejected SQL; Athena's bad SQL, unknown table or database, workgroup problems.
        "InvalidQueryStatementException" | "InvalidRequestException" => {
            Error::InvalidQuery(message)
        }
        "QueryIdNotFoundException" => Error::QueryNotFound(message),
        "InvalidNextTokenException" => Error::InvalidToken(message),
        "EventDataStoreNotFoundException" | "InactiveEventDataStoreException" => {
            Error::EventDataStore(message)
        }
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "ProvisionedThroughputExceededException"
        | "RequestLimitExceeded" => Error::Throttled(message),
        "InternalFailure" | "ServiceUnavailable" | "InternalServerError" => {
            Error::Transient(message)
        }
        _ => Error::Aws {
            code: code.to_string(),
            message,
        },
    }
}
