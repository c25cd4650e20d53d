//! `trailwatch rules`: the detection rules.

use std::path::Path;

use serde::Serialize;
use trailwatch::rules::cases;
use trailwatch::rules::{Needs, Rule, RuleSet};
use trailwatch::severity::Severity;

use crate::output::{render, Layout, Output};

/// The bundled rules plus those under `dir`, every one compiled now; a rule that cannot be
/// loaded or compiled is reported on stderr (one that does not compile matches nothing).
pub fn load(dir: Option<&str>) -> RuleSet {
    load_checked(dir).0
}

/// [`load`], and how many rules could not be loaded or compiled.
fn load_checked(dir: Option<&str>) -> (RuleSet, usize) {
    let (rules, mut errors) = RuleSet::with_extra(dir.map(Path::new));
    errors.extend(rules.check());
    for e in &errors {
        eprintln!("warning: rule not loaded: {e}");
    }
    (rules, errors.len())
}

/// What `trailwatch rules` does besides listing.
#[derive(Debug, clap::Subcommand)]
pub enum Action {
    /// Run every rule's own true-positive and true-negative events (bundled, and the `*.json`
    /// case files under `--rules`); exit 1 when any rule fails or has none.
    Test,
}

/// A rule as `--output json` lists it (the compiled rule is left out).
#[derive(Debug, Serialize)]
struct RuleView<'a> {
    id: &'a str,
    title: &'a str,
    severity: Severity,
    author: Option<&'a str>,
    source: &'a str,
    /// Whether the rule needs only some events (by eventName/eventSource), not all.
    indexed: bool,
}

impl<'a> From<&'a Rule> for RuleView<'a> {
    fn from(r: &'a Rule) -> Self {
        Self {
            id: &r.id,
            title: &r.title,
            severity: r.severity,
            author: r.author.as_deref(),
            source: &r.source,
            indexed: !matches!(r.needs, Needs::Any),
        }
    }
}

/// Prints the rule catalog.
pub fn list(output: Output, dir: Option<&str>) -> anyhow::Result<u8> {
    let rules = load(dir);
    match output {
        Output::Json => {
            let list: Vec<RuleView<'_>> = rules.rules().iter().map(RuleView::from).collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "rules": list }))?
            );
        }
        Output::Table => {
            let layout = Layout {
                max: &[(0, 38), (2, 60)],
                ..Layout::default()
            };
            let rows = rules.rules().iter().map(|r| {
                vec![
                    r.id.clone(),
                    r.severity.as_str().to_string(),
                    r.title.clone(),
                ]
            });
            println!("{}", render(&layout, rows));
        }
    }
    Ok(0)
}

/// Runs the rules' test cases; exit code 1 when any rule fails.
pub fn test(output: Output, dir: Option<&str>) -> anyhow::Result<u8> {
    let (rules, broken) = load_checked(dir);
    let (mut files, mut errors) = cases::bundled();
    if let Some(d) = dir {
        let (more, errs) = cases::in_dir(Path::new(d));
        files.extend(more);
        errors.extend(errs);
    }
    for e in &errors {
        eprintln!("warning: test cases not loaded: {e}");
    }
    let outcomes = cases::run(&rules, &files);
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    match output {
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "rules": outcomes }))?
        ),
        Output::Table => {
            let layout = Layout {
                header: Some(&["rule", "cases", "result", "title"]),
                right: &[1],
                max: &[(0, 38), (3, 60)],
                ..Layout::default()
            };
            let rows = outcomes.iter().map(|o| {
                let result = if o.passed() {
                    "ok".to_string()
                } else {
                    format!("FAILED: {}", o.failures.join("; "))
                };
                vec![o.rule.clone(), o.cases.to_string(), result, o.title.clone()]
            });
            println!("{}", render(&layout, rows));
            println!(
                "{} rules, {} passed, {failed} failed",
                outcomes.len(),
                outcomes.len() - failed
            );
        }
    }
    Ok(u8::from(failed > 0 || !errors.is_empty() || broken > 0))
}
