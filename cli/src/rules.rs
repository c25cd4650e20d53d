//! `trailwatch rules`: the detection rules.

use std::path::Path;

use serde::Serialize;
use trailwatch::rules::{Needs, Rule, RuleSet};
use trailwatch::severity::Severity;

use crate::output::{render, Layout, Output};

/// The bundled rules plus those under `dir`; a rule that cannot be loaded is reported on stderr.
pub fn load(dir: Option<&str>) -> RuleSet {
    let (rules, errors) = RuleSet::with_extra(dir.map(Path::new));
    for e in &errors {
        eprintln!("warning: rule not loaded: {e}");
    }
    rules
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
