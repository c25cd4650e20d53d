//! `trailwatch serve`: the local CloudTrail service in the foreground.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use trailwatch_local::{FaultConfig, QueryTiming};

use crate::local_args::LocalArgs;

/// `trailwatch serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub local: LocalArgs,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:4566")]
    pub addr: SocketAddr,
    /// The local Athena workgroup's bytes-scanned cutoff per query (none by default).
    #[arg(long)]
    pub athena_bytes_cutoff: Option<u64>,
    /// Milliseconds a query (Lake or Athena) stays QUEUED.
    #[arg(long, default_value_t = 200)]
    pub queued_ms: u64,
    /// Least milliseconds a Lake query stays RUNNING.
    #[arg(long, default_value_t = 800)]
    pub running_ms: u64,
    /// Seconds after which a running query ends TIMED_OUT.
    #[arg(long, default_value_t = 3600)]
    pub run_limit_secs: u64,
    /// LookupEvents requests per second before ThrottlingException (0: no limit).
    #[arg(long, default_value_t = 2.0)]
    pub lookup_rate: f64,
    /// Seed for injected faults.
    #[arg(long, default_value_t = 0)]
    pub fault_seed: u64,
    /// Share of requests answered with ThrottlingException.
    #[arg(long, default_value_t = 0.0)]
    pub fault_throttle: f64,
    /// Share of requests answered with HTTP 500.
    #[arg(long, default_value_t = 0.0)]
    pub fault_5xx: f64,
    /// Share of requests whose connection drops mid-reply.
    #[arg(long, default_value_t = 0.0)]
    pub fault_drop: f64,
    /// Share of SNS PublishBatch entries failed on SNS's side (InternalError, the batch succeeds).
    #[arg(long, default_value_t = 0.0)]
    pub fault_sns_entry: f64,
    /// Milliseconds added to every reply.
    #[arg(long, default_value_t = 0)]
    pub fault_latency_ms: u64,
}

/// Runs the service until killed; prints one JSON line describing it first.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = args.local.config(args.addr);
    config.queries = QueryTiming {
        queued: Duration::from_millis(args.queued_ms),
        running: Duration::from_millis(args.running_ms),
        run_limit: Duration::from_secs(args.run_limit_secs),
        ..QueryTiming::default()
    };
    config.lookup_rate = args.lookup_rate;
    config.athena.bytes_cutoff = args.athena_bytes_cutoff;
    config.faults = FaultConfig {
        seed: args.fault_seed,
        throttle: args.fault_throttle,
        server_error: args.fault_5xx,
        drop: args.fault_drop,
        latency: Duration::from_millis(args.fault_latency_ms),
        sns_entry_failure: args.fault_sns_entry,
    };
    let running = trailwatch_local::start(config).await?;
    let s = &running.summary;
    for e in &s.errors {
        eprintln!("warning: {e}");
    }
    warn_rebuilt(&s.cache);
    println!(
        "{}",
        serde_json::json!({
            "endpoint": s.endpoint,
            "event_data_store": s.event_data_store,
            "event_data_store_arn": s.event_data_store_arn,
            "events": s.events,
            "region": s.region,
            "athena": s.athena,
            "files": s.sources.len(),
            "errors": s.errors.len(),
            "cache": s.cache,
        })
    );
    running.wait().await;
    Ok(())
}

/// Tells the user when the event cache was unusable and had to be rebuilt.
pub fn warn_rebuilt(cache: &trailwatch_local::CacheUse) {
    if let trailwatch_local::CacheUse::Rebuilt { dir, reason } = cache {
        eprintln!(
            "warning: rebuilt the event cache at {}: {reason}",
            dir.display()
        );
    }
}
