//! `trailwatch lookup`: the lookup-alert scan from the command line.

use anyhow::Context;
use clap::Args;
use serde::Serialize;
use trailwatch::alert::deliver::{Cutoff, Delivered, Delivery};
use trailwatch::alert::Alert;
use trailwatch::lookup::plan::{naive_calls, Plan};
use trailwatch::lookup::scan::{Collector, Reader, Scan};
use trailwatch::lookup::sdk::{SdkHistory, REQUESTS_PER_SECOND};
use trailwatch::rules::correlate::{Correlator, Firing, State};
use trailwatch::window::{parse_duration, parse_time, Window};

use crate::local_args::LocalArgs;
use crate::output::{render, Layout, Output};
use crate::target::Target;

/// `trailwatch lookup` options.
#[derive(Debug, Args)]
pub struct LookupArgs {
    #[command(flatten)]
    pub local: LocalArgs,
    /// Window start (RFC 3339), with --end (default: the last --since before now).
    #[arg(long, requires = "end")]
    pub start: Option<String>,
    /// Window end (RFC 3339).
    #[arg(long, requires = "start")]
    pub end: Option<String>,
    /// Window length ending now, when --start/--end are not given.
    #[arg(long, default_value = "1h")]
    pub since: String,
    /// Extra Sigma rules folder.
    #[arg(long, env = "TRAILWATCH_RULES_DIR")]
    pub rules: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    pub output: Output,
    /// CloudTrail endpoint (default: the embedded local service; `aws` for AWS itself).
    #[arg(long)]
    pub endpoint_url: Option<String>,
    /// Publish the alerts to this SNS topic, each once (see --ledger).
    #[arg(long, env = "TRAILWATCH_ALERT_TOPIC_ARN")]
    pub topic_arn: Option<String>,
    /// The file recording which alerts were sent (default: $XDG_STATE_HOME/trailwatch/ledger.redb).
    #[arg(long, requires = "topic_arn")]
    pub ledger: Option<std::path::PathBuf>,
    /// The alert messages' format: `trailwatch` or `ocsf` (one OCSF Detection Finding each).
    #[arg(long, env = "TRAILWATCH_ALERT_FORMAT", default_value = "trailwatch", value_parser = crate::deliver::parse_format)]
    pub alert_format: trailwatch::alert::Format,
}

/// What `--output json` prints.
#[derive(Debug, Serialize)]
struct LookupReport<'a> {
    window: Window,
    plan: Option<&'a Plan>,
    /// LookupEvents calls made.
    calls: u64,
    /// The calls a call per rule would take at least.
    naive_calls: u64,
    events: u64,
    malformed: u64,
    alerts: &'a [Alert],
    /// With --topic-arn: alerts published now, and those left out as already sent.
    alerts_sent: Option<u64>,
    alerts_already_sent: Option<u64>,
}

/// Scans the window; exit 1 when any rule matched.
pub async fn lookup(args: LookupArgs) -> anyhow::Result<u8> {
    let rules = crate::rules::load(args.rules.as_deref());
    let (endpoint, remote) = match args.endpoint_url.as_deref() {
        Some("aws") => (None, true),
        Some(e) => (Some(e), true),
        None => (None, false),
    };
    let target = Target::connect(&args.local, endpoint, None, remote).await?;
    let window = if let (Some(s), Some(e)) = (&args.start, &args.end) {
        Window::new(parse_time(s)?, parse_time(e)?)?
    } else {
        let end = target.now();
        Window::new(end - parse_duration(&args.since).context("--since")?, end)?
    };
    // The embedded service has no account limit to respect; AWS allows 2 requests a second.
    let rate = if target.local.is_some() {
        50
    } else {
        REQUESTS_PER_SECOND
    };
    let history = SdkHistory::new(trailwatch::aws::cloudtrail(&target.sdk), rate);
    let sink = match &args.topic_arn {
        Some(topic) => Some(
            crate::deliver::sink(&target, topic, args.alert_format, args.ledger.as_deref()).await?,
        ),
        None => None,
    };
    // One owner per run: another run may take over its unfinished claims after the lease.
    let owner = format!(
        "cli-lookup-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp()
    );
    // The sweep's reader over one window, published page by page as the sweep does.
    let mut scan = Scan::new(window, None);
    let mut collector = Collector::new(&rules, None);
    let mut reader = Reader::new(&history, &rules);
    let mut alerts = Vec::new();
    let mut counted = Vec::new();
    let mut sent: Option<Delivered> = None;
    let mut send = async |batch: &[Alert]| -> anyhow::Result<()> {
        if let Some((sink, ledger)) = &sink {
            let delivery = Delivery {
                sink: sink.as_ref(),
                ledger: Some(ledger.as_ref()),
                owner: &owner,
                cutoff: Cutoff::NONE,
            };
            let d = delivery.send(batch).await?;
            let total = sent.get_or_insert_with(Delivered::default);
            total.alerts += d.alerts;
            total.skipped += d.skipped;
        }
        Ok(())
    };
    while let Some(page) = reader.next(&mut scan, &mut collector).await? {
        send(&page.alerts).await?;
        alerts.extend(page.alerts);
        counted.extend(page.counted);
    }
    // The correlation rules over the whole window, counted from nothing.
    let mut correlator = Correlator::new(&rules, State::default(), 0)?;
    let correlated: Vec<Alert> = correlator
        .feed(&counted)
        .iter()
        .map(Firing::alert)
        .collect();
    send(&correlated).await?;
    alerts.extend(correlated);
    if let Some(l) = target.local {
        l.shutdown().await;
    }
    match args.output {
        Output::Json => {
            let report = LookupReport {
                window,
                plan: scan.plan.as_ref(),
                calls: reader.calls,
                naive_calls: naive_calls(&rules),
                events: collector.events,
                malformed: collector.malformed,
                alerts: &alerts,
                alerts_sent: sent.map(|d| d.alerts),
                alerts_already_sent: sent.map(|d| d.skipped),
            };
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
        Output::Table => {
            if !alerts.is_empty() {
                let layout = Layout {
                    max: &[(2, 44)],
                    ..Layout::default()
                };
                let rows = alerts.iter().map(|a| {
                    let time = &a.event.event_time;
                    vec![
                        time.get(..19).unwrap_or(time).to_string(),
                        a.severity.as_str().to_string(),
                        a.title.clone(),
                        a.event.event_name.clone(),
                    ]
                });
                println!("{}", render(&layout, rows));
            }
            println!(
                "\n{} alerts from {} events ({} LookupEvents calls; a call per rule would take at least {}).",
                alerts.len(),
                collector.events,
                reader.calls,
                naive_calls(&rules)
            );
        }
    }
    Ok(u8::from(!alerts.is_empty()))
}
