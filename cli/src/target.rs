//! Where the CLI sends its CloudTrail calls: the embedded local service, or an endpoint/AWS.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context};
use aws_config::{BehaviorVersion, SdkConfig};
use chrono::{DateTime, Utc};
use trailwatch_local::{LakeTiming, Running};

use crate::serve::LocalArgs;

/// A connected target.
pub struct Target {
    pub sdk: SdkConfig,
    pub event_data_store: String,
    /// The embedded service, when the CLI started one.
    pub local: Option<Running>,
}

fn is_loopback(url: &str) -> bool {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or(url)
        .split(['/', ':'])
        .next()
        .unwrap_or_default();
    matches!(host, "127.0.0.1" | "localhost" | "[" | "::1")
}

async fn sdk(endpoint: Option<&str>, region: &str) -> SdkConfig {
    match endpoint {
        Some(e) if is_loopback(e) => trailwatch::aws::local_config(e, region, 5),
        Some(e) => {
            aws_config::defaults(BehaviorVersion::latest())
                .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(5))
                .endpoint_url(e)
                .load()
                .await
        }
        None => trailwatch::aws::sdk_config(5).await,
    }
}

impl Target {
    /// The embedded service when neither an endpoint nor a store is given; else the endpoint/AWS.
    pub async fn connect(
        local: &LocalArgs,
        endpoint: Option<&str>,
        store: Option<&str>,
    ) -> anyhow::Result<Self> {
        match (endpoint, store) {
            (None, None) => {
                for p in &local.data {
                    if !p.exists() {
                        bail!("no CloudTrail data at {} (give --data PATH)", p.display());
                    }
                }
                let mut config = local.config(SocketAddr::from(([127, 0, 0, 1], 0)));
                // In-process for one user: AWS's per-account LookupEvents limit has nothing to protect.
                config.lookup_rate = 0.0;
                config.lake = LakeTiming {
                    queued: Duration::from_millis(20),
                    running: Duration::from_millis(50),
                    ..LakeTiming::default()
                };
                let running = trailwatch_local::start(config).await.context("starting the local CloudTrail service")?;
                for e in &running.summary.errors {
                    eprintln!("warning: {e}");
                }
                if running.summary.events == 0 {
                    bail!("no CloudTrail events loaded from {:?}", local.data);
                }
                Ok(Self {
                    sdk: sdk(Some(running.endpoint()), &local.region).await,
                    event_data_store: running.summary.event_data_store.clone(),
                    local: Some(running),
                })
            }
            (_, None) => bail!("--endpoint-url needs --event-data-store (the `event_data_store` that `trailwatch serve` printed)"),
            (endpoint, Some(store)) => Ok(Self {
                sdk: sdk(endpoint, &local.region).await,
                event_data_store: store.to_string(),
                local: None,
            }),
        }
    }

    /// "Now" for windows: the embedded service's clock, else the real one.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.local {
            Some(l) => {
                DateTime::from_timestamp_millis(l.shared.clock.now_ms()).unwrap_or_else(Utc::now)
            }
            None => Utc::now(),
        }
    }
}
