//! `trailwatch run`: compliance checks through the same start -> poll -> collect code as the
//! state machine, against the embedded local service (default) or a real/remote endpoint.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use serde_json::json;
use serde_json::value::RawValue;
use tokio::sync::Semaphore;
use trailwatch::alert::deliver::{Cutoff, Delivered};
use trailwatch::athena::AthenaTarget;
use trailwatch::checks::Catalog;
use trailwatch::config::Config;
use trailwatch::engine::{EngineKind, Row};
use trailwatch::pipeline::start::StartInput;
use trailwatch::pipeline::{collect, drive, engine_for, Deps, QueryRef};
use trailwatch::window::{parse_duration, parse_time};

use crate::local_args::LocalArgs;
use crate::output::Output;
use crate::target::Target;

/// The query engine to run checks on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    /// CloudTrail Lake.
    Lake,
    /// Athena over the trail's S3 logs.
    Athena,
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
    /// Query engine: CloudTrail Lake or Athena over the trail's logs.
    #[arg(long, value_enum, default_value = "lake", env = "TRAILWATCH_ENGINE")]
    pub engine: Engine,
    /// Athena workgroup (against AWS; the embedded service has its own).
    #[arg(long, env = "TRAILWATCH_ATHENA_WORKGROUP")]
    pub athena_workgroup: Option<String>,
    /// Athena database holding the CloudTrail table.
    #[arg(long, env = "TRAILWATCH_ATHENA_DATABASE")]
    pub athena_database: Option<String>,
    /// Athena CloudTrail table.
    #[arg(long, env = "TRAILWATCH_ATHENA_TABLE")]
    pub athena_table: Option<String>,
    /// Publish the findings as alerts to this SNS topic (on the embedded service's SNS when no
    /// endpoint is given), each finding once: see --ledger.
    #[arg(long, env = "TRAILWATCH_ALERT_TOPIC_ARN")]
    pub topic_arn: Option<String>,
    /// The file recording which alerts were sent (default: $XDG_STATE_HOME/trailwatch/ledger.redb).
    #[arg(long, requires = "topic_arn")]
    pub ledger: Option<std::path::PathBuf>,
    /// The alert messages' format: `trailwatch` or `ocsf` (one OCSF Detection Finding each).
    #[arg(long, env = "TRAILWATCH_ALERT_FORMAT", default_value = "trailwatch", value_parser = crate::deliver::parse_format)]
    pub alert_format: trailwatch::alert::Format,
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
    /// Alerts published now (`--topic-arn`); findings already alerted are not sent again.
    pub alerts_sent: u64,
    pub bytes_scanned: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The findings' rows, each one JSON object kept as its text (a few hundred bytes, where a
    /// parsed map would cost several times that per finding); only the first few for the table.
    pub rows: Vec<Box<RawValue>>,
}

/// A result row, written as one JSON object of its columns.
struct AsObject<'a>(&'a Row);

impl Serialize for AsObject<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// The whole run.
#[derive(Debug, Serialize)]
pub struct RunReport {
    pub engine: String,
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

impl Engine {
    /// The library's engine kind.
    pub fn kind(self) -> EngineKind {
        match self {
            Engine::Lake => EngineKind::Lake,
            Engine::Athena => EngineKind::Athena,
        }
    }
}

/// Runs the checks; the exit code is 0 without findings, 1 with findings, 2 when a check failed.
pub async fn run(args: RunArgs) -> anyhow::Result<u8> {
    let kind = args.engine.kind();
    let catalog = Catalog::load(kind, args.checks_dir.as_deref().map(std::path::Path::new))?;
    run_catalog(args, catalog).await
}

/// Runs `args.checks` of `catalog` (all of them when none is named).
pub async fn run_catalog(args: RunArgs, catalog: Catalog) -> anyhow::Result<u8> {
    let kind = args.engine.kind();
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
    let athena_given = [
        &args.athena_workgroup,
        &args.athena_database,
        &args.athena_table,
    ]
    .iter()
    .any(|a| a.is_some());
    let target = Target::connect(
        &args.local,
        args.endpoint_url.as_deref(),
        args.event_data_store.as_deref(),
        kind == EngineKind::Athena && athena_given,
    )
    .await?;
    let now = target.now();
    // Windows are whole minutes ending at the schedule time; round up so nothing recent is lost.
    let input = if let (Some(s), Some(e)) = (&args.start, &args.end) {
        parse_time(s)?;
        StartInput {
            window_start: Some(s.clone()),
            time: Some(parse_time(e)?.to_rfc3339()),
            ..StartInput::default()
        }
    } else {
        parse_duration(&args.since).context("--since")?;
        StartInput {
            window: Some(args.since.clone()),
            time: Some(ceil_minute(now).to_rfc3339()),
            ..StartInput::default()
        }
    };
    let athena = match kind {
        EngineKind::Lake => None,
        EngineKind::Athena => Some(match &target.local {
            Some(l) => AthenaTarget {
                workgroup: l.summary.athena.workgroup.clone(),
                database: l.summary.athena.database.clone(),
                table: l.summary.athena.table.clone(),
                catalog: "AwsDataCatalog".into(),
            },
            None => AthenaTarget {
                workgroup: args
                    .athena_workgroup
                    .clone()
                    .context("--athena-workgroup is required with --engine athena")?,
                database: args
                    .athena_database
                    .clone()
                    .context("--athena-database is required with --engine athena")?,
                table: args
                    .athena_table
                    .clone()
                    .context("--athena-table is required with --engine athena")?,
                catalog: "AwsDataCatalog".into(),
            },
        }),
    };
    let config = Config {
        engine: kind,
        athena,
        event_data_store: target.event_data_store.clone(),
        ..Config::default()
    };
    let engine = engine_for(&config, &target.sdk)?;
    let (alerts, ledger) = match &args.topic_arn {
        Some(topic) => {
            let (sink, ledger) =
                crate::deliver::sink(&target, topic, args.alert_format, args.ledger.as_deref())
                    .await?;
            (Some(sink), Some(ledger))
        }
        None => (None, None),
    };
    let deps = Deps {
        engine,
        alerts,
        ledger,
        catalog: Arc::new(catalog),
        config: Arc::new(config),
    };
    // The embedded service answers in milliseconds: the same waits, a hundred times shorter.
    let scale = if target.local.is_some() { 0.01 } else { 1.0 };
    let bars = MultiProgress::with_draw_target(if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let limit = Arc::new(Semaphore::new(args.concurrency as usize));
    let mut tasks = Vec::new();
    for id in ids {
        let (deps, limit) = (deps.clone(), limit.clone());
        // The table shows a few rows per check; JSON lists them all.
        let keep = match args.output {
            Output::Table => crate::table::MAX_ROWS,
            Output::Json => usize::MAX,
        };
        let input = StartInput {
            check_id: Some(id.clone()),
            ..input.clone()
        };
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
            let report = run_check(&deps, &id, input, scale, keep, &bar).await;
            bar.finish_and_clear();
            report
        });
    }
    let checks = futures_util::future::join_all(tasks).await;
    if let Some(local) = target.local {
        local.shutdown().await;
    }
    let report = RunReport {
        engine: kind.as_str().to_string(),
        window: json!({"window": input.window, "window_start": input.window_start, "time": input.time}),
        checks,
    };
    match args.output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Output::Table => print!("{}", crate::table::render(&report)),
    }
    Ok(if report.checks.iter().any(|c| c.error.is_some()) {
        2
    } else {
        u8::from(report.checks.iter().any(|c| c.findings > 0))
    })
}

async fn run_check(
    deps: &Deps,
    id: &str,
    input: StartInput,
    scale: f64,
    keep: usize,
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
        alerts_sent: 0,
        bytes_scanned: 0,
        error: None,
        rows: Vec::new(),
    };
    let rows = &mut report.rows;
    let outcome = drive::run(
        deps,
        input,
        scale,
        |m| bar.set_message(m),
        async |q: &QueryRef, index: u64, page: &[Row]| {
            let room = keep.saturating_sub(rows.len());
            for r in page.iter().take(room) {
                rows.push(serde_json::value::to_raw_value(&AsObject(r)).map_err(|e| {
                    trailwatch::Error::InvalidInput(format!("a result row as JSON: {e}"))
                })?);
            }
            // With --topic-arn, through the same code as collect-results.
            match &deps.alerts {
                Some(sink) => {
                    collect::publish_page(
                        sink.as_ref(),
                        deps.ledger.as_deref(),
                        Cutoff::NONE,
                        q,
                        index,
                        page,
                    )
                    .await
                }
                None => Ok(Delivered::default()),
            }
        },
    )
    .await;
    match outcome {
        Ok(d) => {
            report.status = d.poll.status.to_string();
            report.alerts_sent = d.collect.alerts_sent;
            report.findings = d.collect.rows;
            report.bytes_scanned = d.collect.bytes_scanned;
        }
        Err(e) => {
            if let trailwatch::Error::QueryEnded { status, .. } = &e {
                report.status = status.to_string();
            }
            report.error = Some(e.to_string());
        }
    }
    report
}
