//! Detection rules: Sigma rules (`logsource: product aws, service cloudtrail`), compiled and
//! evaluated by rsigma-eval (Sigma's own semantics: `field: null` matches an absent field, a
//! modifier applies to every element of a list, strings compare case-insensitively), indexed by
//! the literal eventName/eventSource they require so an event is checked only against rules that
//! can match it.

pub mod cases;
pub mod correlate;
pub mod needs;
pub mod sql;

use std::collections::HashMap;
use std::path::Path;

use include_dir::{include_dir, Dir, File};
use serde::Serialize;
use serde_json::Value;

use crate::alert::{Origin, Raiser};
use crate::severity::Severity;
pub use needs::{Key, Needs};

static BUNDLED: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../rules");

/// One loaded rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub author: Option<String>,
    /// The rule's tags (ATT&CK techniques and tactics: `attack.t1078`, `attack.persistence`).
    pub tags: Vec<String>,
    /// Where it came from (file path).
    pub source: String,
    pub needs: Needs,
    /// Whether a match is an alert: false for a rule that only feeds correlations (Sigma's
    /// `generate: false`, the default).
    pub alerts: bool,
    /// Whether a correlation counts its matches.
    pub counted: bool,
    compiled: rsigma_eval::CompiledRule,
    /// As parsed: correlation engines are built from it.
    sigma: rsigma_parser::SigmaRule,
}

/// A Sigma correlation rule: an alert when events matched by its rules reach a count, a number
/// of distinct values, or a sequence within a time span, per group (`event_count`,
/// `value_count`, `temporal`, `temporal_ordered`). Evaluated by [`correlate::Correlator`].
#[derive(Debug)]
pub struct Correlation {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub author: Option<String>,
    pub tags: Vec<String>,
    pub source: String,
    sigma: rsigma_parser::CorrelationRule,
}

/// A Sigma rule's (detection or correlation) as the raiser of its alerts.
fn sigma_raiser<'a>(
    id: &'a str,
    title: &'a str,
    severity: Severity,
    author: Option<&'a str>,
    tags: &'a [String],
) -> Raiser<'a> {
    Raiser {
        origin: Origin::Rule,
        id,
        title,
        severity,
        author,
        tags,
    }
}

impl Correlation {
    /// The correlation as the raiser of its alerts.
    pub fn raiser(&self) -> Raiser<'_> {
        sigma_raiser(
            &self.id,
            &self.title,
            self.severity,
            self.author.as_deref(),
            &self.tags,
        )
    }

    /// Whether `rule` is one of those it counts (named by id or by `name`).
    fn refers_to(&self, rule: &Rule) -> bool {
        self.sigma
            .rules
            .iter()
            .any(|r| *r == rule.id || rule.sigma.name.as_deref() == Some(r.as_str()))
    }
}

impl Rule {
    /// The rule as the raiser of its alerts.
    pub fn raiser(&self) -> Raiser<'_> {
        sigma_raiser(
            &self.id,
            &self.title,
            self.severity,
            self.author.as_deref(),
            &self.tags,
        )
    }

    /// Whether the rule matches `event` (a CloudTrail record as JSON; anything but an object
    /// matches nothing).
    pub fn matches(&self, event: &Value) -> bool {
        event.is_object()
            && rsigma_eval::evaluate_rule(&self.compiled, &rsigma_eval::JsonEvent::borrow(event))
                .is_some()
    }
}

/// A rule file that could not be loaded, and why.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct RuleError {
    pub file: String,
    pub reason: String,
}

/// What one rule file holds: detection rules and correlation rules over them (Sigma 2.x files
/// may hold several documents).
#[derive(Debug, Default)]
pub struct Parsed {
    pub rules: Vec<Rule>,
    pub correlations: Vec<Correlation>,
}

/// Parses one Sigma rule file: every document must be an aws/cloudtrail detection rule or a
/// correlation rule, else the whole file is refused (a half-loaded file would alert wrongly).
pub fn parse_file(file: &str, text: &str) -> Result<Parsed, RuleError> {
    use serde::Deserialize;
    let bad = |reason: String| RuleError {
        file: file.to_string(),
        reason,
    };
    // The documents as plain YAML, for the detection shapes the index reads.
    let mut detections = Vec::new();
    for doc in serde_norway::Deserializer::from_str(text) {
        let yaml =
            serde_norway::Value::deserialize(doc).map_err(|e| bad(format!("not YAML: {e}")))?;
        if yaml.get("correlation").is_none() {
            let detection = yaml
                .get("detection")
                .cloned()
                .ok_or_else(|| bad("no detection".into()))?;
            detections.push(detection);
        }
    }
    let collection =
        rsigma_parser::parse_sigma_yaml(text).map_err(|e| bad(format!("invalid Sigma: {e}")))?;
    if let Some(e) = collection.errors.first() {
        return Err(bad(format!("invalid Sigma: {e}")));
    }
    if !collection.filters.is_empty() {
        return Err(bad("filter rules are not supported".into()));
    }
    if collection.rules.len() != detections.len() {
        return Err(bad(
            "could not pair each detection rule with its YAML".into()
        ));
    }
    if collection.rules.is_empty() && collection.correlations.is_empty() {
        return Err(bad("no rule".into()));
    }
    let stem = || {
        Path::new(file)
            .file_stem()
            .map_or(file.to_string(), |s| s.to_string_lossy().into_owned())
    };
    let single = collection.rules.len() + collection.correlations.len() == 1;
    // An id is what alerts, the ledger and test files name a rule by: a file of several rules
    // must give each one.
    let id_of = |id: &Option<String>, kind: &str, title: &str| match (id, single) {
        (Some(id), _) => Ok(id.clone()),
        (None, true) => Ok(stem()),
        (None, false) => Err(bad(format!("{kind} '{title}' has no id"))),
    };
    let severity = |level: Option<rsigma_parser::Level>| {
        level
            .and_then(|l| Severity::parse(l.as_str()))
            .unwrap_or(Severity::Medium)
    };
    let mut out = Parsed::default();
    for (sigma, detection) in collection.rules.into_iter().zip(&detections) {
        let ls = &sigma.logsource;
        let (product, service) = (
            ls.product.as_deref().unwrap_or_default(),
            ls.service.as_deref().unwrap_or_default(),
        );
        if product != "aws" || service != "cloudtrail" {
            return Err(bad(format!(
                "logsource is {product}/{service}, not aws/cloudtrail"
            )));
        }
        if sigma.title.trim().is_empty() {
            return Err(bad("no title".into()));
        }
        let compiled =
            rsigma_eval::compile_rule(&sigma).map_err(|e| bad(format!("invalid Sigma: {e}")))?;
        let id = id_of(&sigma.id, "rule", &sigma.title)?;
        out.rules.push(Rule {
            severity: severity(sigma.level),
            author: sigma.author.clone(),
            tags: sigma.tags.clone(),
            needs: needs::rule_needs(detection),
            source: file.to_string(),
            alerts: true,
            counted: false,
            id,
            title: sigma.title.clone(),
            compiled,
            sigma,
        });
    }
    for mut c in collection.correlations {
        let id = id_of(&c.id, "correlation", &c.title)?;
        // The engine reports a firing by the rule's id: one named by its file gets that name.
        c.id = Some(id.clone());
        rsigma_eval::correlation::compile_correlation(&c)
            .map_err(|e| bad(format!("invalid correlation: {e}")))?;
        out.correlations.push(Correlation {
            severity: severity(c.level),
            author: c.author.clone(),
            tags: c.tags.clone(),
            source: file.to_string(),
            id,
            title: c.title.clone(),
            sigma: c,
        });
    }
    Ok(out)
}

/// The rules, with their index.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Lower-cased eventName, then eventSource -> the rules needing it, in load order.
    index: [HashMap<String, Vec<usize>>; 2],
    correlations: Vec<Correlation>,
    /// Correlations loaded but not yet checked against the rules they refer to.
    unlinked: Vec<Correlation>,
    /// Rules needing neither, in load order.
    unindexed: Vec<usize>,
}

fn is_rule_file(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "yml" || e == "yaml")
}

impl RuleSet {
    /// The bundled rules (SigmaHQ's AWS CloudTrail rules and trailwatch's CIS rules).
    pub fn bundled() -> (Self, Vec<RuleError>) {
        let mut set = Self::default();
        let (files, mut errors) = bundled_files(is_rule_file);
        for (name, text) in files {
            set.push(parse_file(&name, text), &mut errors);
        }
        set.link(&mut errors);
        (set, errors)
    }

    /// The bundled rules plus those under `extra` (if any); a broken file is reported, the
    /// others load.
    pub fn with_extra(extra: Option<&Path>) -> (Self, Vec<RuleError>) {
        let (mut rules, mut errors) = Self::bundled();
        if let Some(dir) = extra {
            errors.extend(rules.add_dir(dir));
        }
        (rules, errors)
    }

    /// Adds every rule file under `dir` (recursively); returns the files that could not be
    /// loaded, with the reason (the others are kept).
    pub fn add_dir(&mut self, dir: &Path) -> Vec<RuleError> {
        let (files, mut errors) = files_under(dir, is_rule_file);
        for (name, text) in files {
            self.push(parse_file(&name, &text), &mut errors);
        }
        self.link(&mut errors);
        errors
    }

    /// Checks the correlations loaded since the last call: one that refers to a rule no file
    /// defines is reported and dropped. Then marks the rules that only feed correlations.
    fn link(&mut self, errors: &mut Vec<RuleError>) {
        for c in std::mem::take(&mut self.unlinked) {
            let missing: Vec<&String> = c
                .sigma
                .rules
                .iter()
                .filter(|r| {
                    !self
                        .rules
                        .iter()
                        .any(|x| x.id == **r || x.sigma.name.as_deref() == Some(r.as_str()))
                })
                .collect();
            if missing.is_empty() {
                self.correlations.push(c);
            } else {
                errors.push(RuleError {
                    file: c.source.clone(),
                    reason: format!(
                        "correlation {} refers to rules that are not loaded: {missing:?}",
                        c.id
                    ),
                });
            }
        }
        for r in &mut self.rules {
            let by: Vec<&Correlation> = self
                .correlations
                .iter()
                .filter(|c| c.refers_to(r))
                .collect();
            let counted = !by.is_empty();
            let alerts = !counted || by.iter().any(|c| c.sigma.generate);
            r.counted = counted;
            r.alerts = alerts;
        }
    }

    fn push(&mut self, parsed: Result<Parsed, RuleError>, errors: &mut Vec<RuleError>) {
        let parsed = match parsed {
            Ok(p) => p,
            Err(e) => return errors.push(e),
        };
        let taken = |id: &str, set: &Self| {
            set.rules.iter().any(|x| x.id == id)
                || set
                    .correlations
                    .iter()
                    .chain(&set.unlinked)
                    .any(|x| x.id == id)
        };
        for r in parsed.rules {
            if taken(&r.id, self) {
                errors.push(RuleError {
                    file: r.source.clone(),
                    reason: format!("duplicate rule id {}", r.id),
                });
                continue;
            }
            let i = self.rules.len();
            match &r.needs {
                Needs::Any => self.unindexed.push(i),
                Needs::OneOf(keys) => {
                    for k in keys {
                        let (attribute, value) = k.folded();
                        let list = self.index[attribute].entry(value).or_default();
                        // Two spellings of one value fold to one key.
                        if list.last() != Some(&i) {
                            list.push(i);
                        }
                    }
                }
            }
            self.rules.push(r);
        }
        for c in parsed.correlations {
            if taken(&c.id, self) {
                errors.push(RuleError {
                    file: c.source.clone(),
                    reason: format!("duplicate rule id {}", c.id),
                });
                continue;
            }
            self.unlinked.push(c);
        }
    }

    /// Every correlation rule.
    pub fn correlations(&self) -> &[Correlation] {
        &self.correlations
    }

    /// Every rule.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Rules that need no particular eventName/eventSource (checked against every event).
    pub fn unindexed(&self) -> impl Iterator<Item = &Rule> {
        self.unindexed.iter().map(|&i| &self.rules[i])
    }

    /// The rules that match `event`, checking only the rules its name and source can match
    /// (each once, in load order).
    pub fn matches<'a>(&'a self, event: &Value) -> Vec<&'a Rule> {
        let by_name = self.candidates(0, event.get("eventName"));
        let by_source = self.candidates(1, event.get("eventSource"));
        let mut lists = [self.unindexed.as_slice(), by_name, by_source];
        let mut out = Vec::new();
        // A merge of three ascending lists: no allocation, no sort, each rule checked once.
        while let Some(i) = lists.iter().filter_map(|l| l.first()).min().copied() {
            for l in &mut lists {
                if l.first() == Some(&i) {
                    *l = &l[1..];
                }
            }
            let rule = &self.rules[i];
            if rule.matches(event) {
                out.push(rule);
            }
        }
        out
    }

    /// The rules indexed under `value` of `attribute` (0 eventName, 1 eventSource).
    fn candidates(&self, attribute: usize, value: Option<&Value>) -> &[usize] {
        let Some(s) = value.and_then(Value::as_str) else {
            return &[];
        };
        // Per event, so the usual short ASCII names are folded on the stack.
        let mut buf = [0u8; 64];
        let found = match buf.get_mut(..s.len()) {
            Some(b) if s.is_ascii() => {
                b.copy_from_slice(s.as_bytes());
                b.make_ascii_lowercase();
                std::str::from_utf8(b)
                    .ok()
                    .and_then(|k| self.index[attribute].get(k))
            }
            _ => self.index[attribute].get(&s.to_lowercase()),
        };
        found.map_or(&[], Vec::as_slice)
    }

    /// The rules that match `event`, checking every rule (the baseline the index is measured against).
    pub fn matches_naive<'a>(&'a self, event: &Value) -> Vec<&'a Rule> {
        self.rules.iter().filter(|r| r.matches(event)).collect()
    }
}

/// The bundled files that `keep` selects (by their path under `rules/`), named
/// `rules/<path>`, in path order; one that is not UTF-8 is reported.
fn bundled_files(keep: fn(&Path) -> bool) -> (Vec<(String, &'static str)>, Vec<RuleError>) {
    fn walk(
        dir: &'static Dir<'static>,
        keep: fn(&Path) -> bool,
        out: &mut Vec<&'static File<'static>>,
    ) {
        out.extend(dir.files().filter(|f| keep(f.path())));
        for d in dir.dirs() {
            walk(d, keep, out);
        }
    }
    let mut found = Vec::new();
    walk(&BUNDLED, keep, &mut found);
    found.sort_by_key(|f| f.path());
    let (mut files, mut errors) = (Vec::new(), Vec::new());
    for f in found {
        let name = format!("rules/{}", f.path().display());
        match f.contents_utf8() {
            Some(text) => files.push((name, text)),
            None => errors.push(RuleError {
                file: name,
                reason: "not UTF-8".into(),
            }),
        }
    }
    (files, errors)
}

/// Every file under `dir` (recursively) that `keep` selects, read, in file-name order; one
/// that cannot be listed or read is reported.
fn files_under(dir: &Path, keep: fn(&Path) -> bool) -> (Vec<(String, String)>, Vec<RuleError>) {
    let (mut files, mut errors) = (Vec::new(), Vec::new());
    let mut paths = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        match entry {
            Ok(e) if e.file_type().is_file() && keep(e.path()) => paths.push(e.into_path()),
            Ok(_) => {}
            Err(e) => errors.push(RuleError {
                file: e.path().unwrap_or(dir).display().to_string(),
                reason: e.to_string(),
            }),
        }
    }
    for p in paths {
        let name = p.display().to_string();
        match std::fs::read_to_string(&p) {
            Ok(text) => files.push((name, text)),
            Err(e) => errors.push(RuleError {
                file: name,
                reason: e.to_string(),
            }),
        }
    }
    (files, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_rule_loads() {
        let (set, errors) = RuleSet::bundled();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(set.correlations().len(), 3);
        // The rules that only feed correlations are those the correlation files define.
        assert!(set
            .rules()
            .iter()
            .all(|r| r.alerts != r.source.contains("/correlation/")));
        assert_eq!(
            set.rules()
                .iter()
                .filter(|r| r.source.starts_with("rules/sigma/"))
                .count(),
            57
        );
        assert!(set
            .rules()
            .iter()
            .filter(|r| r.source.contains("sigma"))
            .all(|r| r.author.is_some()));
    }

    #[test]
    fn a_broken_user_rule_is_reported_and_the_others_load() {
        let dir = std::env::temp_dir().join(format!("tw-rules-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("good.yml"), "title: t\nid: user-1\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel: {eventName: X}\n  condition: sel\nlevel: high\n").unwrap();
        std::fs::write(
            dir.join("bad.yml"),
            "title: t\nlogsource: {product: aws, service: cloudtrail}\ndetection: [\n",
        )
        .unwrap();
        std::fs::write(dir.join("windows.yml"), "title: t\nlogsource: {product: windows}\ndetection:\n  sel: {a: b}\n  condition: sel\n").unwrap();
        let mut set = RuleSet::default();
        let errors = set.add_dir(&dir);
        assert_eq!(set.rules().len(), 1);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors
            .iter()
            .any(|e| e.file.ends_with("bad.yml") && e.reason.contains("YAML")));
        assert!(errors
            .iter()
            .any(|e| e.file.ends_with("windows.yml") && e.reason.contains("logsource")));
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn an_unknown_modifier_and_a_correlation_of_a_missing_rule_are_reported() {
        let dir = std::env::temp_dir().join(format!("tw-rules-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let head = "logsource: {product: aws, service: cloudtrail}\n";
        std::fs::write(
            dir.join("modifier.yml"),
            format!("title: t\nid: user-m\n{head}detection:\n  sel: {{eventName|sounds_like: X}}\n  condition: sel\n"),
        )
        .unwrap();
        std::fs::write(
            dir.join("orphan.yml"),
            "title: c\nid: user-c\ncorrelation:\n  type: event_count\n  rules: [no_such_rule]\n  group-by: [sourceIPAddress]\n  timespan: 5m\n  condition: {gte: 3}\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("good.yml"),
            format!("title: g\nid: user-g\n{head}detection:\n  sel: {{eventName: X}}\n  condition: sel\n"),
        )
        .unwrap();
        let (set, errors) = RuleSet::with_extra(Some(&dir));
        std::fs::remove_dir_all(dir).ok();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors
            .iter()
            .any(|e| e.file.ends_with("modifier.yml") && e.reason.contains("sounds_like")));
        assert!(errors
            .iter()
            .any(|e| e.file.ends_with("orphan.yml") && e.reason.contains("no_such_rule")));
        assert!(set.rules().iter().any(|r| r.id == "user-g"));
        assert!(!set.correlations().iter().any(|c| c.id == "user-c"));
    }
}
