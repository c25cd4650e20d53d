//! `trailwatch lookup` and `trailwatch rules`: the lookup-alert scan from the command line.

use anyhow::Context;
use clap::Args;
use serde_json::json;
use trailwatch::alert::deliver::{deliver, Delivered};
use trailwatch::lookup::plan::naive_calls;
use trailwatch::lookup::scan::{Collector, Reader, Scan};
use trailwatch::lookup::sdk::{SdkHistory, REQUESTS_PER_SECOND};
use trailwatch::rules::RuleSet;
use trailwatch::window::{parse_duration, parse_time, Window};

use crate::output::Output;
use crate::serve::LocalArgs;
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
}

fn load_rules(dir: Option<&str>) -> RuleSet {
    let (mut rules, mut errors) = RuleSet::bundled();
    if let Some(d) = dir {
        errors.extend(rules.add_dir(std::path::Path::new(d)));
    }
    for e in &errors {
        eprintln!("warning: rule not loaded: {e}");
    }
    rules
}

/// Scans the window; exit 1 when any rule matched.
pub async fn lookup(args: LookupArgs) -> anyhow::Result<u8> {
    let rules = load_rules(args.rules.as_deref());
    let (endpoint, remote) = match args.endpoint_url.as_deref() {
        Some("aws") => (None, true),
        Some(e) => (Some(e), true),
        None => (None, false),
    };
    let target = Target::connect(&args.local, endpoint, None, remote).await?;
    let window = match (&args.start, &args.end) {
        (Some(s), Some(e)) => Window::new(parse_time(s)?, parse_time(e)?)?,
        _ => {
            let end = target.now();
            Window::new(end - parse_duration(&args.since).context("--since")?, end)?
        }
    };
    // The embedded service has no account limit to respect; AWS allows 2 requests a second.
    let rate = if target.local.is_some() {
        50
    } else {
        REQUESTS_PER_SECOND
    };
    let history = SdkHistory::new(aws_sdk_cloudtrail::Client::new(&target.sdk), rate);
    let sink = match &args.topic_arn {
        Some(topic) => Some(crate::deliver::sink(&target, topic, args.ledger.as_deref()).await?),
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
    let mut sent: Option<Delivered> = None;
    while let Some(page) = reader.next(&mut scan, &mut collector).await? {
        if let Some((sink, ledger)) = &sink {
            let d = deliver(sink.as_ref(), Some(ledger.as_ref()), &owner, &page).await?;
            let total = sent.get_or_insert_with(Delivered::default);
            total.alerts += d.alerts;
            total.skipped += d.skipped;
        }
        alerts.extend(page);
    }
    if let Some(l) = target.local {
        l.shutdown().await;
    }
    match args.output {
        Output::Json => {
            let alerts: Vec<_> = alerts
                .iter()
                .map(|a| json!({"rule": a.rule_id, "title": a.title, "severity": a.severity, "event_id": a.event.event_id, "event_time": a.event.event_time, "event_name": a.event.event_name, "principal": a.event.principal, "source_ip": a.event.source_ip, "region": a.event.region, "account": a.event.account, "id": a.id}))
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(
                    &json!({"window": window, "plan": scan.plan, "calls": reader.calls, "naive_calls": naive_calls(&rules), "events": collector.events, "malformed": collector.malformed, "alerts": alerts, "alerts_sent": sent.map(|d| d.alerts), "alerts_already_sent": sent.map(|d| d.skipped)})
                )?
            );
        }
        Output::Table => {
            for a in &alerts {
                let title: String = a.title.chars().take(44).collect();
                println!(
                    "{:<19}  {:<8}  {:<44}  {}",
                    a.event.event_time.get(..19).unwrap_or(&a.event.event_time),
                    a.severity.as_str(),
                    title,
                    a.event.event_name
                );
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

/// Prints the rule catalog.
pub fn list(output: Output, dir: Option<&str>) -> anyhow::Result<u8> {
    let rules = load_rules(dir);
    match output {
        Output::Json => {
            let list: Vec<_> = rules
                .rules()
                .iter()
                .map(|r| json!({"id": r.id, "title": r.title, "severity": r.severity, "author": r.author, "source": r.source, "indexed": !matches!(r.needs, trailwatch::rules::Needs::Any)}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&json!({"rules": list}))?);
        }
        Output::Table => {
            for r in rules.rules() {
                let title: String = r.title.chars().take(60).collect();
                println!(
                    "{:<38} {:<13} {}",
                    r.id.chars().take(38).collect::<String>(),
                    r.severity.as_str(),
                    title
                );
            }
        }
    }
    Ok(0)
}
