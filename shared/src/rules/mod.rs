//! Detection rules: Sigma rules (`logsource: product aws, service cloudtrail`), evaluated by
//! sigma-rust, indexed by the literal eventName/eventSource they require so an event is checked
//! only against rules that can match it.

pub mod needs;

use std::collections::HashMap;
use std::path::Path;

use include_dir::{include_dir, Dir};
use serde::Serialize;
use serde_json::Value;

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
    /// Where it came from (file path).
    pub source: String,
    pub needs: Needs,
    compiled: sigma_rust::Rule,
}

impl Rule {
    /// Whether the rule matches `event`.
    pub fn matches(&self, event: &sigma_rust::Event) -> bool {
        self.compiled.is_match(event)
    }
}

/// A rule file that could not be loaded, and why.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct RuleError {
    pub file: String,
    pub reason: String,
}

/// Parses one Sigma rule file.
pub fn parse_rule(file: &str, text: &str) -> Result<Rule, RuleError> {
    let bad = |reason: String| RuleError {
        file: file.to_string(),
        reason,
    };
    let yaml: serde_norway::Value =
        serde_norway::from_str(text).map_err(|e| bad(format!("not YAML: {e}")))?;
    let get = |k: &str| yaml.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let logsource = yaml
        .get("logsource")
        .ok_or_else(|| bad("no logsource".into()))?;
    let (product, service) = (
        logsource
            .get("product")
            .and_then(|v| v.as_str())
            .unwrap_or_default(),
        logsource
            .get("service")
            .and_then(|v| v.as_str())
            .unwrap_or_default(),
    );
    if product != "aws" || service != "cloudtrail" {
        return Err(bad(format!(
            "logsource is {product}/{service}, not aws/cloudtrail"
        )));
    }
    let detection = yaml
        .get("detection")
        .ok_or_else(|| bad("no detection".into()))?;
    let compiled =
        sigma_rust::rule_from_yaml(text).map_err(|e| bad(format!("invalid Sigma: {e}")))?;
    let title = get("title").ok_or_else(|| bad("no title".into()))?;
    let id = get("id").unwrap_or_else(|| {
        Path::new(file)
            .file_stem()
            .map_or(file.to_string(), |s| s.to_string_lossy().into_owned())
    });
    Ok(Rule {
        severity: get("level")
            .and_then(|l| Severity::parse(&l))
            .unwrap_or(Severity::Medium),
        author: get("author"),
        needs: needs::rule_needs(detection),
        source: file.to_string(),
        id,
        title,
        compiled,
    })
}

/// The rules, with their index.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    index: HashMap<(u8, String), Vec<usize>>,
    unindexed: Vec<usize>,
}

fn is_rule_file(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "yml" || e == "yaml")
}

impl RuleSet {
    /// The bundled rules (SigmaHQ's AWS CloudTrail rules and trailwatch's CIS rules).
    pub fn bundled() -> (Self, Vec<RuleError>) {
        let mut set = Self::default();
        let mut errors = Vec::new();
        let mut files = Vec::new();
        collect(&BUNDLED, &mut files);
        files.sort_by_key(|f| f.path());
        for f in files {
            let name = format!("rules/{}", f.path().display());
            match f.contents_utf8() {
                Some(text) => set.push(parse_rule(&name, text), &mut errors),
                None => errors.push(RuleError {
                    file: name,
                    reason: "not UTF-8".into(),
                }),
            }
        }
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
        let mut errors = Vec::new();
        let mut paths = Vec::new();
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            match entry {
                Ok(e) if e.file_type().is_file() && is_rule_file(e.path()) => {
                    paths.push(e.into_path());
                }
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
                Ok(text) => self.push(parse_rule(&name, &text), &mut errors),
                Err(e) => errors.push(RuleError {
                    file: name,
                    reason: e.to_string(),
                }),
            }
        }
        errors
    }

    fn push(&mut self, rule: Result<Rule, RuleError>, errors: &mut Vec<RuleError>) {
        match rule {
            Ok(r) if self.rules.iter().any(|x| x.id == r.id) => errors.push(RuleError {
                file: r.source.clone(),
                reason: format!("duplicate rule id {}", r.id),
            }),
            Ok(r) => {
                let i = self.rules.len();
                match &r.needs {
                    Needs::Any => self.unindexed.push(i),
                    Needs::OneOf(keys) => {
                        for k in keys {
                            self.index.entry(k.folded()).or_default().push(i);
                        }
                    }
                }
                self.rules.push(r);
            }
            Err(e) => errors.push(e),
        }
    }

    /// Every rule.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Rules that need no particular eventName/eventSource (checked against every event).
    pub fn unindexed(&self) -> impl Iterator<Item = &Rule> {
        self.unindexed.iter().map(|&i| &self.rules[i])
    }

    /// The rules that match `event`, checking only the rules its name and source can match.
    pub fn matches<'a>(&'a self, event: &Value) -> Vec<&'a Rule> {
        let Some(ev) = to_sigma(event) else {
            return Vec::new();
        };
        let field = |k: &str| {
            event
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_lowercase()
        };
        let mut candidates: Vec<usize> = self.unindexed.clone();
        for key in [(0u8, field("eventName")), (1u8, field("eventSource"))] {
            if let Some(ix) = self.index.get(&key) {
                candidates.extend(ix);
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .map(|i| &self.rules[i])
            .filter(|r| r.matches(&ev))
            .collect()
    }

    /// The rules that match `event`, checking every rule (the baseline the index is measured against).
    pub fn matches_naive<'a>(&'a self, event: &Value) -> Vec<&'a Rule> {
        let Some(ev) = to_sigma(event) else {
            return Vec::new();
        };
        self.rules.iter().filter(|r| r.matches(&ev)).collect()
    }
}

/// The event in sigma-rust's form (None when it is not a JSON object).
pub fn to_sigma(event: &Value) -> Option<sigma_rust::Event> {
    sigma_rust::Event::try_from(event.clone()).ok()
}

fn collect<'a>(dir: &'a Dir<'a>, out: &mut Vec<&'a include_dir::File<'a>>) {
    for f in dir.files() {
        if is_rule_file(f.path()) {
            out.push(f);
        }
    }
    for d in dir.dirs() {
        collect(d, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_rule_loads() {
        let (set, errors) = RuleSet::bundled();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(set.rules().len(), 57 + 14);
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
}
