//! `trailwatch hunt`: Sigma rules tried over history before they are deployed. Each rule's
//! detection becomes a check's SQL (`trailwatch::rules::sql`), and each `event_count`
//! correlation a counting check over its rules' detections, run like `trailwatch run` runs the
//! checks, on the same engines; a rule without an SQL form is named with the reason.

use anyhow::anyhow;
use clap::Args;
use trailwatch::checks::Catalog;
use trailwatch::rules::sql::{correlation_check, hunt_check};
use trailwatch::rules::{Correlation, Rule};

use crate::run::{run_catalog, RunArgs};

/// `trailwatch hunt` options: those of `run`, its positional names being rule ids.
#[derive(Debug, Args)]
pub struct HuntArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Extra Sigma rules folder.
    #[arg(long = "rules", env = "TRAILWATCH_RULES_DIR")]
    pub rules_dir: Option<String>,
}

/// Hunts with the named rules and correlations (default: every rule that alerts, and every
/// correlation); exit codes as `run`'s.
pub async fn hunt(mut args: HuntArgs) -> anyhow::Result<u8> {
    let rules = crate::rules::load(args.rules_dir.as_deref());
    let (wanted, correlations): (Vec<&Rule>, Vec<&Correlation>) = if args.run.checks.is_empty() {
        (
            rules.rules().iter().filter(|r| r.alerts).collect(),
            rules.correlations().iter().collect(),
        )
    } else {
        let (mut wanted, mut correlations) = (Vec::new(), Vec::new());
        for id in &args.run.checks {
            if let Some(r) = rules.rules().iter().find(|r| r.id == *id) {
                wanted.push(r);
            } else if let Some(c) = rules.correlations().iter().find(|c| c.id == *id) {
                correlations.push(c);
            } else {
                return Err(anyhow!("no rule {id} (see `trailwatch rules`)"));
            }
        }
        (wanted, correlations)
    };
    let mut checks = Vec::new();
    for r in wanted {
        match hunt_check(r) {
            Ok(c) => checks.push(c),
            Err(why) => eprintln!("not converted: {} ({}): {why}", r.id, r.title),
        }
    }
    for c in correlations {
        match correlation_check(&rules, c) {
            Ok(check) => checks.push(check),
            Err(why) => eprintln!("not converted: {} ({}): {why}", c.id, c.title),
        }
    }
    if checks.is_empty() {
        return Err(anyhow!("no rule could be converted to SQL"));
    }
    let catalog = Catalog::of(checks)?;
    catalog.runs_on(args.run.engine.kind())?;
    args.run.checks.clear();
    run_catalog(args.run, catalog).await
}
