//! Where the CLI sends its CloudTrail calls: the embedded local service, or an endpoint/AWS.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use trailwatch::aws::SdkConfig;
use trailwatch_local::{QueryTiming, Running};

use crate::local_args::LocalArgs;

/// A connected target.
pub struct Target {
    pub sdk: SdkConfig,
    /// The Lake event data store (none for Athena against AWS).
    pub event_data_store: Option<String>,
    /// The embedded service, when the CLI started one.
    pub local: Option<Running>,
}

fn is_loopback(endpoint: &str) -> bool {
    match url::Url::parse(endpoint)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Tries per call.
const MAX_ATTEMPTS: u32 = 5;

/// A loopback endpoint checks no signature: placeholder credentials in `region`. Any other
/// endpoint, or AWS, gets the environment's credentials and region.
async fn sdk(endpoint: Option<&str>, region: &str) -> SdkConfig {
    match endpoint {
        Some(e) if is_loopback(e) => trailwatch::aws::local_config(e, region, MAX_ATTEMPTS),
        e => trailwatch::aws::sdk_config_at(e, MAX_ATTEMPTS, None).await,
    }
}

impl Target {
    /// The embedded service when neither an endpoint nor a store is given and `remote` is
    /// false; else the endpoint or AWS (`remote`: for calls that need no event data store,
    /// Athena's and LookupEvents).
    pub async fn connect(
        local: &LocalArgs,
        endpoint: Option<&str>,
        store: Option<&str>,
        remote: bool,
    ) -> anyhow::Result<Self> {
        if remote {
            return Ok(Self {
                sdk: sdk(endpoint, &local.region).await,
                event_data_store: store.map(str::to_string),
                local: None,
            });
        }
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
                // No simulated queue or run time: the user is waiting on their own machine.
                config.queries = QueryTiming {
                    queued: Duration::ZERO,
                    running: Duration::ZERO,
                    ..QueryTiming::default()
                };
                let running = trailwatch_local::start(config).await.context("starting the local CloudTrail service")?;
                for e in &running.summary.errors {
                    eprintln!("warning: {e}");
                }
                crate::serve::warn_rebuilt(&running.summary.cache);
                if running.summary.events == 0 {
                    bail!("no CloudTrail events loaded from {:?}", local.data);
                }
                Ok(Self {
                    sdk: sdk(Some(running.endpoint()), &local.region).await,
                    event_data_store: Some(running.summary.event_data_store.clone()),
                    local: Some(running),
                })
            }
            (_, None) => bail!("--endpoint-url needs --event-data-store (the `event_data_store` that `trailwatch serve` printed)"),
            (endpoint, Some(store)) => Ok(Self {
                sdk: sdk(endpoint, &local.region).await,
                event_data_store: Some(store.to_string()),
                local: None,
            }),
        }
    }

    /// Whether the endpoint is on this machine.
    #[cfg(test)]
    fn loopback(e: &str) -> bool {
        is_loopback(e)
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

#[cfg(test)]
mod tests {
    #[test]
    fn only_loopback_hosts_are_local() {
        for (url, local) in [
            ("http://127.0.0.1:4566", true),
            ("http://localhost:4566/", true),
            ("http://[::1]:4566", true),
            ("http://[2001:db8::1]:4566", false),
            ("https://cloudtrail.us-east-1.amazonaws.com", false),
            ("not a url", false),
        ] {
            assert_eq!(super::Target::loopback(url), local, "{url}");
        }
    }
}
