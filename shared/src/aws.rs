//! AWS SDK configuration shared by the functions and the CLI: the default credential chain,
//! endpoint URLs from `AWS_ENDPOINT_URL*`, and the SDK's standard retries (which also retry
//! CloudTrail's HTTP 400 ThrottlingException by its code).

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// Loads the SDK configuration from the environment.
pub async fn sdk_config(max_attempts: u32) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(max_attempts))
        .load()
        .await
}

/// A CloudTrail client.
pub fn cloudtrail(config: &SdkConfig) -> aws_sdk_cloudtrail::Client {
    aws_sdk_cloudtrail::Client::new(config)
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
        .retry_config(RetryConfig::standard().with_max_attempts(max_attempts))
        .build()
}
