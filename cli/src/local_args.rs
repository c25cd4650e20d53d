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
    /// Folder that caches the loaded events as Parquet between runs [default:
    /// $XDG_CACHE_HOME/trailwatch/events or ~/.cache/trailwatch/events].
    #[arg(long, value_name = "DIR", env = "TRAILWATCH_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Keep the loaded events in a temporary folder instead of the cache (wins over
    /// --cache-dir and TRAILWATCH_CACHE_DIR).
    #[arg(long)]
    pub no_cache: bool,
}

/// The cache folder when none is given: the XDG cache home's, else the home folder's.
fn default_cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("trailwatch").join("events"))
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
            cache: if self.no_cache {
                None
            } else {
                self.cache_dir.clone().or_else(default_cache_dir)
            },
            ..Config::default()
        }
    }
}
