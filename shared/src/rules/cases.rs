//! A rule's own test events: true positives it must fire on and near misses it must not,
//! derived from real CloudTrail records (`rules/tests/<rule id>.json`, bundled; any `*.json`
//! case file under a user's rules folder). `trailwatch rules test` and CI run them through the
//! same [`RuleSet::matches`] the alert paths use.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::correlate::{event_secs, Correlator, State};
use super::{bundled_files, files_under, RuleError, RuleSet};

/// What a case expects of its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Expect {
    Match,
    NoMatch,
}

/// One test event (a detection rule's), or a sequence of them (a correlation's).
#[derive(Debug, Clone, Deserialize)]
pub struct Case {
    pub name: String,
    pub expect: Expect,
    /// The real record it comes from (`file#eventID`).
    #[serde(default)]
    pub derived_from: Option<String>,
    /// What was changed from that record.
    #[serde(default)]
    pub change: Option<String>,
    #[serde(default)]
    pub event: Value,
    /// For a correlation: the events, read in this order in batches split at `null`s (each
    /// batch as one invocation, the state carried over as between invocations).
    #[serde(default)]
    pub events: Vec<Value>,
}

impl Case {
    /// Every event of the case.
    pub fn all_events(&self) -> impl Iterator<Item = &Value> {
        std::iter::once(&self.event)
            .chain(&self.events)
            .filter(|e| e.is_object())
    }
}

/// The cases of one rule.
#[derive(Debug, Clone, Deserialize)]
pub struct CaseFile {
    /// The rule's id.
    pub rule: String,
    pub cases: Vec<Case>,
    /// Where the file was read from.
    #[serde(skip)]
    pub source: String,
}

/// How one rule did on its cases.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub rule: String,
    pub title: String,
    pub cases: usize,
    /// What went wrong: a case that failed (by name), or a missing kind of case.
    pub failures: Vec<String>,
}

impl Outcome {
    /// No failure.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

fn parse(source: &str, text: &str) -> Result<CaseFile, RuleError> {
    let mut file: CaseFile = serde_json::from_str(text).map_err(|e| RuleError {
        file: source.to_string(),
        reason: format!("not a rule test file: {e}"),
    })?;
    file.source = source.to_string();
    Ok(file)
}

fn is_case_file(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "json")
}

/// Parses `(name, text)` files, keeping the errors of reading them.
fn parse_all<T: AsRef<str>>(
    (texts, mut errors): (Vec<(String, T)>, Vec<RuleError>),
) -> (Vec<CaseFile>, Vec<RuleError>) {
    let mut files = Vec::new();
    for (name, text) in texts {
        match parse(&name, text.as_ref()) {
            Ok(c) => files.push(c),
            Err(e) => errors.push(e),
        }
    }
    (files, errors)
}

/// The bundled rules' case files.
pub fn bundled() -> (Vec<CaseFile>, Vec<RuleError>) {
    parse_all(bundled_files(is_case_file))
}

/// Every `*.json` case file under `dir` (recursively).
pub fn in_dir(dir: &Path) -> (Vec<CaseFile>, Vec<RuleError>) {
    parse_all(files_under(dir, is_case_file))
}

/// Runs every case against `rules`. Each alerting rule and each correlation gets an outcome: one
/// without at least one `match` and one `no-match` case fails; so does a case file naming no
/// loaded rule. Rules that only feed correlations are tested through them.
pub fn run(rules: &RuleSet, files: &[CaseFile]) -> Vec<Outcome> {
    let mut by_rule: BTreeMap<&str, Vec<&CaseFile>> = BTreeMap::new();
    for f in files {
        by_rule.entry(f.rule.as_str()).or_default().push(f);
    }
    let mut out = Vec::new();
    let mut take = |id: &str| -> Vec<Case> {
        by_rule
            .remove(id)
            .unwrap_or_default()
            .into_iter()
            .flat_map(|f| f.cases.iter().cloned())
            .collect()
    };
    for rule in rules.rules() {
        let cases = take(&rule.id);
        if !rule.alerts && cases.is_empty() {
            continue;
        }
        let fired = |c: &Case| rules.matches(&c.event).iter().any(|r| r.id == rule.id);
        out.push(outcome(&rule.id, &rule.title, &cases, fired));
    }
    for corr in rules.correlations() {
        let cases = take(&corr.id);
        let fired = |c: &Case| correlation_fires(rules, &corr.id, c);
        out.push(outcome(&corr.id, &corr.title, &cases, fired));
    }
    for (id, files) in by_rule {
        out.push(Outcome {
            rule: id.to_string(),
            title: String::new(),
            cases: files.iter().map(|f| f.cases.len()).sum(),
            failures: files
                .iter()
                .map(|f| format!("{}: no loaded rule has id {id}", f.source))
                .collect(),
        });
    }
    out
}

fn outcome(id: &str, title: &str, cases: &[Case], fired: impl Fn(&Case) -> bool) -> Outcome {
    let mut failures = Vec::new();
    for want in [Expect::Match, Expect::NoMatch] {
        if !cases.iter().any(|c| c.expect == want) {
            failures.push(format!("no {} case", kind(want)));
        }
    }
    for c in cases {
        let fired = fired(c);
        if fired != (c.expect == Expect::Match) {
            let did = if fired { "fired" } else { "did not fire" };
            failures.push(format!("{}: {did}", c.name));
        }
    }
    Outcome {
        rule: id.to_string(),
        title: title.to_string(),
        cases: cases.len(),
        failures,
    }
}

/// Whether correlation `id` fires on the case's events, fed batch by batch with the state
/// stored and restored between batches as between invocations.
fn correlation_fires(rules: &RuleSet, id: &str, case: &Case) -> bool {
    let batches: Vec<Vec<Value>> = case
        .events
        .split(Value::is_null)
        .map(<[Value]>::to_vec)
        .collect();
    let mut state = State::default();
    let mut fired = false;
    for batch in &batches {
        let Ok(mut c) = Correlator::new(rules, state, 0) else {
            return false;
        };
        fired |= c.feed(batch).iter().any(|f| f.correlation.id == id);
        // Stored as text and read back, as the DynamoDB store does.
        let now = batch.iter().filter_map(event_secs).max().unwrap_or(0);
        let text = serde_json::to_string(&c.into_state(now)).unwrap_or_default();
        state = serde_json::from_str(&text).unwrap_or_default();
    }
    fired
}

fn kind(e: Expect) -> &'static str {
    match e {
        Expect::Match => "match",
        Expect::NoMatch => "no-match",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_rule_passes_its_own_cases() {
        let (rules, errors) = RuleSet::bundled();
        assert!(errors.is_empty(), "{errors:?}");
        let (files, errors) = bundled();
        assert!(errors.is_empty(), "{errors:?}");
        let outcomes = run(&rules, &files);
        let failed: Vec<_> = outcomes.iter().filter(|o| !o.passed()).collect();
        assert!(failed.is_empty(), "{failed:#?}");
        let alerting = rules.rules().iter().filter(|r| r.alerts).count();
        assert_eq!(outcomes.len(), alerting + rules.correlations().len());
    }

    #[test]
    fn a_wrong_expectation_and_a_missing_case_fail() {
        let (rules, _) = RuleSet::bundled();
        let (mut files, _) = bundled();
        let rule = rules.rules()[0].id.clone();
        let file = files
            .iter_mut()
            .find(|f| f.rule == rule)
            .expect("a case file for the first rule");
        // Flip every expectation: each case now fails, and both kinds are still present.
        for c in &mut file.cases {
            c.expect = match c.expect {
                Expect::Match => Expect::NoMatch,
                Expect::NoMatch => Expect::Match,
            };
        }
        let n = file.cases.len();
        let outcomes = run(&rules, &files);
        let o = outcomes.iter().find(|o| o.rule == rule).expect("outcome");
        assert_eq!(o.failures.len(), n, "{o:?}");

        files.retain(|f| f.rule != rule);
        let outcomes = run(&rules, &files);
        let o = outcomes.iter().find(|o| o.rule == rule).expect("outcome");
        assert_eq!(o.failures, ["no match case", "no no-match case"]);
    }
}
