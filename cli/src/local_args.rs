//! The options of every command that starts the local CloudTrail service.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use trailwatch_local::{ClockSpec, Config};

/// Options shared by every command that starts the local service.
#[derive(Debug, Clone, Args)]
pub struct LocalArgs {
    /// CloudTrail files or folders (trail logs, JSON arrays, JSON lines, .json.gz).
    #[arg(long = "data", value_name = "PATH", default_value = crate::DEFAULT_DATA)]
    pub data: Vec<PathBuf>,
    /// "Now" for the service: auto (just after the newest event), real, or an RFC 3339 time.
    #[arg(long, default_value = "auto")]
    pub clock: ClockSpec,
    /// Region the service reports in ARNs.
    #[arg(long, default_value = "us-east-1", env = "AWS_REGION")]
    pub region: String,
    /// Account id the service reports in ARNs.
    #[arg(long, default_value = "000000000000")]
    pub account_id: String,
    /// Event data store id (a random UUID when not set).
    #[arg(long)]
    pub event_data_store_id: Option<String>,
}

impl LocalArgs {
    /// The service configuration for these options, listening on `addr`.
    pub fn config(&self, addr: SocketAddr) -> Config {
        Config {
            data: self.data.clone(),
            addr,
            clock: self.clock.clone(),
            region: self.region.clone(),
            account_id: self.account_id.clone(),
            event_data_store_id: self.event_data_store_id.clone(),
            ..Config::default()
        }
    }
}
