//! `trailwatch hunt`: Sigma rules tried over history before they are deployed. Each rule's
//! detection becomes a check's SQL (`trailwatch::rules::sql`), run like `trailwatch run` runs
//! the checks, on the same engines; a rule without an SQL form is named with the reason.

use anyhow::anyhow;
use clap::Args;
use trailwatch::checks::Catalog;
use trailwatch::rules::sql::hunt_check;
use trailwatch::rules::Rule;

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

/// Hunts with the named rules (default: every rule that alerts); exit codes as `run`'s.
pub async fn hunt(mut args: HuntArgs) -> anyhow::Result<u8> {
    let rules = crate::rules::load(args.rules_dir.as_deref());
    let wanted: Vec<&Rule> = if args.run.checks.is_empty() {
        rules.rules().iter().filter(|r| r.alerts).collect()
    } else {
        args.run
            .checks
            .iter()
            .map(|id| {
                rules
                    .rules()
                    .iter()
                    .find(|r| r.id == *id)
                    .ok_or_else(|| anyhow!("no rule {id} (see `trailwatch rules`)"))
            })
            .collect::<anyhow::Result<_>>()?
    };
    let mut checks = Vec::new();
    for r in wanted {
        match hunt_check(r) {
            Ok(c) => checks.push(c),
            Err(why) => eprintln!("not converted: {} ({}): {why}", r.id, r.title),
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
