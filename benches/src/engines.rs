//! The Sigma engine choice, measured: trailwatch's rules (rsigma-eval behind `trailwatch::rules`)
//! against sigma-rust 0.7 (the engine it replaced) on the bundled rules and the sample events:
//! which rules the two disagree on, and each one's events/s on one core.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::{json, Value};
use trailwatch::rules::RuleSet;

/// One engine's matches: rule id -> indexes of the events it matched.
type Matches = BTreeMap<String, Vec<usize>>;

/// sigma-rust over the same rule files (the texts `RuleSet` loaded), naive loop as its API
/// offers: each event converted into its own event type, then every rule. The rules that only
/// feed correlations are left out: their files hold several documents, and sigma-rust reads one
/// rule per file.
fn sigma_rust(rules: &RuleSet, events: &[Value], reps: usize) -> anyhow::Result<(Matches, f64)> {
    let mut compiled = Vec::new();
    for r in rules.rules().iter().filter(|r| r.alerts) {
        let path = super::repo().join(&r.source);
        let text = std::fs::read_to_string(&path)?;
        let rule =
            sigma_rust::rule_from_yaml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", r.source))?;
        compiled.push((r.id.clone(), rule));
    }
    let mut out = Matches::new();
    let t = Instant::now();
    for rep in 0..reps {
        for (i, v) in events.iter().enumerate() {
            let Ok(ev) = sigma_rust::Event::try_from(v.clone()) else {
                continue;
            };
            for (id, rule) in &compiled {
                if rule.is_match(&ev) && rep == 0 {
                    out.entry(id.clone()).or_default().push(i);
                }
            }
        }
    }
    Ok((out, rate(reps * events.len(), t)))
}

fn trailwatch(rules: &RuleSet, events: &[Value], reps: usize, naive: bool) -> (Matches, f64) {
    let mut out = Matches::new();
    let t = Instant::now();
    for rep in 0..reps {
        for (i, v) in events.iter().enumerate() {
            let hits = if naive {
                rules.matches_naive(v)
            } else {
                rules.matches(v)
            };
            if rep == 0 {
                for r in hits {
                    out.entry(r.id.clone()).or_default().push(i);
                }
            }
        }
    }
    (out, rate(reps * events.len(), t))
}

fn rate(n: usize, t: Instant) -> f64 {
    n as f64 / t.elapsed().as_secs_f64()
}

/// Events/s of both engines and the rules whose matches differ (`{title, trailwatch, sigma_rust}`
/// counts), as JSON for the report.
pub fn compare(rules: &RuleSet, events: &[Value], reps: usize) -> anyhow::Result<Value> {
    let (ours, indexed) = trailwatch(rules, events, reps, false);
    let (naive_ours, naive) = trailwatch(rules, events, reps, true);
    anyhow::ensure!(ours == naive_ours, "the index changed what matches");
    let (theirs, sr) = sigma_rust(rules, events, reps)?;
    let differ: Vec<Value> = rules
        .rules()
        .iter()
        .filter(|r| r.alerts && ours.get(&r.id) != theirs.get(&r.id))
        .map(|r| {
            let n = |m: &Matches| m.get(&r.id).map_or(0, Vec::len);
            json!({"rule": r.title, "trailwatch": n(&ours), "sigma_rust": n(&theirs)})
        })
        .collect();
    Ok(json!({
        "rules": rules.rules().len(),
        "rules_unindexed": rules.unindexed().count(),
        "events": events.len(),
        "events_per_s_indexed": indexed,
        "events_per_s_naive": naive,
        "sigma_rust_events_per_s": sr,
        "rules_fired": ours.len(),
        "rules_differing_from_sigma_rust": differ,
    }))
}
