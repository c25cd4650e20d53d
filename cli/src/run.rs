//! `trailwatch run`: compliance checks through the same start -> poll -> collect code as the
//! state machine, against the embedded local service (default) or a real/remote endpoint.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{anyhow, bail, Context};
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use serde_json::json;
use tokio::sync::Semaphore;
use trailwatch::checks::Catalog;
use trailwatch::config::Config;
use trailwatch::lake::backoff::Backoff;
use trailwatch::lake::sdk::SdkLake;
use trailwatch::lake::window::{parse_duration, parse_time};
use trailwatch::lake::{QueryStatus, Row};
use trailwatch::pipeline::{collect, poll, start, Deps};

use crate::serve::LocalArgs;
use crate::target::Target;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Table,
    Json,
}

/// `trailwatch run` options.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Checks to run (default: every check in the catalog).
    pub checks: Vec<String>,
    #[command(flatten)]
    pub local: LocalArgs,
    /// Window length ending now (the service clock for local data).
    #[arg(long, default_value = "7d", conflicts_with_all = ["start", "end"])]
    pub since: String,
    /// Window start (RFC 3339), with --end.
    #[arg(long, requires = "end")]
    pub start: Option<String>,
    /// Window end (RFC 3339), with --start.
    #[arg(long, requires = "start")]
    pub end: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub output: Output,
    /// CloudTrail endpoint (default: AWS; with neither this nor --event-data-store, the embedded local service).
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
    /// Event data store id or ARN (default: the embedded service's).
    #[arg(long, env = "TRAILWATCH_EVENT_DATA_STORE")]
    pub event_data_store: Option<String>,
    /// Extra checks folder.
    #[arg(long, env = "TRAILWATCH_CHECKS_DIR")]
    pub checks_dir: Option<String>,
    /// Checks running at once (Lake allows 10 queries per account).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=10))]
    pub concurrency: u16,
}

/// One check's outcome.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub id: String,
    pub control: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub findings: u64,
    pub bytes_scanned: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// The whole run.
#[derive(Debug, Serialize)]
pub struct RunReport {
    pub window: serde_json::Value,
    pub checks: Vec<CheckReport>,
}

fn ceil_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    let s = t.timestamp();
    let up = if s % 60 == 0 {
        s
    } else {
        s - s.rem_euclid(60) + 60
    };
    DateTime::from_timestamp(up, 0).unwrap_or(t)
}

/// Runs the checks; the exit code is 0 without findings, 1 with findings, 2 when a check failed.
pub async fn run(args: RunArgs) -> anyhow::Result<u8> {
    let mut catalog = Catalog::bundled()?;
    if let Some(dir) = &args.checks_dir {
        catalog.add_dir(std::path::Path::new(dir))?;
    }
    let ids: Vec<String> = if args.checks.is_empty() {
        catalog.all().map(|c| c.id.clone()).collect()
    } else {
        for id in &args.checks {
            catalog
                .get(id)
                .map_err(|e| anyhow!("{e} (see `trailwatch checks`)"))?;
        }
        args.checks.clone()
    };
    let target = Target::connect(
        &args.local,
        args.endpoint_url.as_deref(),
        args.event_data_store.as_deref(),
    )
    .await?;
    let now = target.now();
    // Windows are whole minutes ending at the schedule time; round up so nothing recent is lost.
    let input_window = match (&args.start, &args.end) {
        (Some(s), Some(e)) => {
            parse_time(s)?;
            json!({"window_start": s, "time": parse_time(e)?.to_rfc3339()})
        }
        _ => {
            parse_duration(&args.since).context("--since")?;
            json!({"window": args.since, "time": ceil_minute(now).to_rfc3339()})
        }
    };
    let config = Config {
        event_data_store: Some(target.event_data_store.clone()),
        // The embedded service answers in milliseconds: poll it briskly.
        backoff: if target.local.is_some() {
            Backoff {
                initial_secs: 1,
                factor: 1.0,
                max_secs: 1,
            }
        } else {
            Backoff::default()
        },
        ..Config::default()
    };
    let deps = Deps {
        lake: Arc::new(SdkLake::new(aws_sdk_cloudtrail_client(&target), None)),
        alerts: None,
        catalog: Arc::new(catalog),
        config: Arc::new(config),
    };
    let bars = MultiProgress::with_draw_target(if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let limit = Arc::new(Semaphore::new(args.concurrency as usize));
    let mut tasks = Vec::new();
    for id in ids {
        let (deps, limit, input_window) = (deps.clone(), limit.clone(), input_window.clone());
        let bar = bars.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix:.bold} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(id.clone());
        bar.enable_steady_tick(Duration::from_millis(120));
        // Polled together in this task: the work is waiting on the service, not computing.
        tasks.push(async move {
            let _permit = limit.acquire_owned().await;
            let report = run_check(&deps, &id, input_window, &bar).await;
            bar.finish_and_clear();
            report
        });
    }
    let checks = futures_util::future::join_all(tasks).await;
    if let Some(local) = target.local {
        local.shutdown().await;
    }
    let report = RunReport {
        window: input_window,
        checks,
    };
    match args.output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Output::Table => print!("{}", crate::table::render(&report)),
    }
    Ok(if report.checks.iter().any(|c| c.error.is_some()) {
        2
    } else if report.checks.iter().any(|c| c.findings > 0) {
        1
    } else {
        0
    })
}

fn aws_sdk_cloudtrail_client(t: &Target) -> aws_sdk_cloudtrail::Client {
    aws_sdk_cloudtrail::Client::new(&t.sdk)
}

async fn run_check(
    deps: &Deps,
    id: &str,
    window: serde_json::Value,
    bar: &ProgressBar,
) -> CheckReport {
    let check = deps.catalog.get(id).ok();
    let mut report = CheckReport {
        id: id.to_string(),
        control: check.map(|c| c.control.clone()).unwrap_or_default(),
        title: check.map(|c| c.title.clone()).unwrap_or_default(),
        severity: check
            .map(|c| c.severity.as_str().to_string())
            .unwrap_or_default(),
        status: "ERROR".into(),
        findings: 0,
        bytes_scanned: 0,
        error: None,
        rows: Vec::new(),
    };
    if let Err(e) = drive(deps, id, window, bar, &mut report).await {
        report.error = Some(e.to_string());
    }
    report
}

async fn drive(
    deps: &Deps,
    id: &str,
    window: serde_json::Value,
    bar: &ProgressBar,
    report: &mut CheckReport,
) -> anyhow::Result<()> {
    let mut input = window;
    input["check_id"] = json!(id);
    bar.set_message("starting");
    let q = loop {
        match start::handle(deps, input.clone(), Utc::now()).await {
            Err(trailwatch::Error::MaxConcurrentQueries(_)) => {
                tokio::time::sleep(Duration::from_secs(5)).await
            }
            other => break other?,
        }
    };
    tokio::time::sleep(Duration::from_secs(q.first_wait_seconds as u64)).await;
    let mut prev: Option<poll::PollState> = None;
    let p = loop {
        let p = poll::handle(deps, json!({"query": q, "poll": prev}), Utc::now()).await?;
        bar.set_message(format!("{:?} ({} polls)", p.status, p.attempt));
        if p.terminal {
            break p;
        }
        tokio::time::sleep(Duration::from_secs(p.wait_seconds as u64)).await;
        prev = Some(p);
    };
    report.status = format!("{:?}", p.status).to_uppercase();
    if p.status != QueryStatus::Finished {
        bail!(
            "query {} ended {:?}: {}",
            q.query_id,
            p.status,
            p.error_message.unwrap_or_default()
        );
    }
    let mut st = collect::CollectState::default();
    let far = SystemTime::now() + Duration::from_secs(24 * 3600);
    let rows = &mut report.rows;
    collect::pages(deps, &q, &mut st, far, async |page: &[Row]| {
        rows.extend(
            page.iter()
                .map(|r| r.iter().map(|(k, v)| (k.clone(), json!(v))).collect()),
        );
        bar.set_message(format!("collected {} rows", rows.len()));
        Ok((0, 0))
    })
    .await?;
    report.status = "FINISHED".into();
    report.findings = st.rows;
    report.bytes_scanned = st.bytes_scanned;
    Ok(())
}
