//! Detection rules: Sigma rules (`logsource: product aws, service cloudtrail`), compiled and
//! evaluated by rsigma-eval (Sigma's own semantics: `field: null` matches an absent field, a
//! modifier applies to every element of a list, strings compare case-insensitively), indexed by
//! the literal eventName/eventSource they require so an event is checked only against rules that
//! can match it.

pub mod cases;
pub mod correlate;
pub mod docs;
pub mod needs;
pub mod sql;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use include_dir::{include_dir, Dir, File};
use serde::Serialize;
use serde_json::Value;

use crate::alert::{Origin, Raiser};
use crate::severity::Severity;
pub use needs::{Key, Needs, Scope, INDEXED_FIELDS};

static BUNDLED: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../rules");

/// A rule file's text, parsed by rsigma-parser the first time one of its rules is evaluated
/// (each rule is compiled then): a cold start reads only the rules' headers (converted to JSON
/// at build time for the bundled files), and a rule no event reaches is never compiled.
#[derive(Debug)]
struct Source {
    file: String,
    text: Cow<'static, str>,
    /// How many detection and correlation documents the file's headers hold.
    documents: (usize, usize),
    parsed: OnceLock<Result<ParsedFile, String>>,
}

/// What rsigma made of one file: its detection and correlation rules, in document order.
#[derive(Debug)]
struct ParsedFile {
    rules: Vec<rsigma_parser::SigmaRule>,
    correlations: Vec<rsigma_parser::CorrelationRule>,
}

impl Source {
    fn parsed(&self) -> Result<&ParsedFile, &str> {
        self.parsed
            .get_or_init(|| {
                let p = parse_sigma(&self.text);
                if let Err(e) = &p {
                    // Bundled files are checked in CI and added files when they load: this is
                    // a file changed under a running process.
                    tracing::error!(file = %self.file, error = %e, "rule file does not parse: its rules match nothing");
                }
                p
            })
            .as_ref()
            .map_err(String::as_str)
    }
}

fn parse_sigma(text: &str) -> Result<ParsedFile, String> {
    let collection =
        rsigma_parser::parse_sigma_yaml(text).map_err(|e| format!("invalid Sigma: {e}"))?;
    if let Some(e) = collection.errors.first() {
        return Err(format!("invalid Sigma: {e}"));
    }
    if !collection.filters.is_empty() {
        return Err("filter rules are not supported".into());
    }
    Ok(ParsedFile {
        rules: collection.rules,
        correlations: collection.correlations,
    })
}

/// One loaded rule.
#[derive(Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub author: Option<String>,
    /// The rule's tags (ATT&CK techniques and tactics: `attack.t1078`, `attack.persistence`).
    pub tags: Vec<String>,
    /// Its Sigma `name`, by which correlations may refer to it.
    pub name: Option<String>,
    /// Where it came from (file path).
    pub source: String,
    /// What it needs of an event, on the fields LookupEvents can select by (the sweep's plan).
    pub needs: Needs,
    /// What it needs on every field of the in-memory index ([`needs::INDEXED_FIELDS`]).
    pub prefilter: Needs,
    /// Whether a match is an alert: false for a rule that only feeds correlations (Sigma's
    /// `generate: false`, the default).
    pub alerts: bool,
    /// Whether a correlation counts its matches.
    pub counted: bool,
    file: Arc<Source>,
    /// Its place among the file's detection rules.
    at: usize,
    /// Compiled on first use (None: it does not compile, and matches nothing).
    compiled: OnceLock<Option<rsigma_eval::CompiledRule>>,
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
    /// The rules it counts, by id or name.
    pub rules: Vec<String>,
    /// Whether the rules it counts also alert on their own.
    pub generate: bool,
    file: Arc<Source>,
    /// Its place among the file's correlation rules.
    at: usize,
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
    pub(crate) fn refers_to(&self, rule: &Rule) -> bool {
        self.rules
            .iter()
            .any(|r| *r == rule.id || rule.name.as_deref() == Some(r.as_str()))
    }

    /// As rsigma parsed it, under its trailwatch id (the engine reports a firing by it).
    pub(crate) fn sigma(&self) -> Result<rsigma_parser::CorrelationRule, RuleError> {
        let parsed = self.file.parsed().map_err(|e| self.error(e))?;
        let mut c = parsed
            .correlations
            .get(self.at)
            .cloned()
            .ok_or_else(|| self.error("its document was not parsed as a correlation"))?;
        c.id = Some(self.id.clone());
        rsigma_eval::correlation::compile_correlation(&c)
            .map_err(|e| self.error(&format!("invalid correlation: {e}")))?;
        Ok(c)
    }

    fn error(&self, reason: &str) -> RuleError {
        RuleError {
            file: self.source.clone(),
            reason: reason.to_string(),
        }
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

    fn error(&self, reason: &str) -> RuleError {
        RuleError {
            file: self.source.clone(),
            reason: reason.to_string(),
        }
    }

    /// As rsigma parsed it (the file is parsed on first use).
    pub(crate) fn sigma(&self) -> Result<&rsigma_parser::SigmaRule, RuleError> {
        self.file
            .parsed()
            .map_err(|e| self.error(e))?
            .rules
            .get(self.at)
            .ok_or_else(|| self.error("its document was not parsed as a detection rule"))
    }

    fn compile(&self) -> Result<rsigma_eval::CompiledRule, RuleError> {
        rsigma_eval::compile_rule(self.sigma()?)
            .map_err(|e| self.error(&format!("invalid Sigma: {e}")))
    }

    /// Whether the rule matches `event` (a CloudTrail record as JSON; anything but an object
    /// matches nothing).
    pub fn matches(&self, event: &Value) -> bool {
        let compiled = self.compiled.get_or_init(|| {
            self.compile()
                .map_err(
                    |e| tracing::error!(error = %e, "rule does not compile: it matches nothing"),
                )
                .ok()
        });
        event.is_object()
            && compiled.as_ref().is_some_and(|c| {
                rsigma_eval::evaluate_rule(c, &rsigma_eval::JsonEvent::borrow(event)).is_some()
            })
    }

    /// Compiles the rule and checks that rsigma read the header as trailwatch did.
    fn check(&self) -> Result<(), RuleError> {
        self.compile()?;
        let sigma = self.sigma()?;
        let same = sigma.title == self.title
            && sigma.id.as_ref().is_none_or(|id| *id == self.id)
            && sigma.name == self.name
            && sigma.tags == self.tags
            && sigma.author == self.author;
        if same {
            Ok(())
        } else {
            Err(self.error(&format!(
                "rule {}: its header reads differently to rsigma",
                self.id
            )))
        }
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

/// The string at `key` of a document.
fn text(doc: &Value, key: &str) -> Option<String> {
    doc.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The strings of a field that may hold one string or a list of them.
fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// Reads one Sigma rule file's headers from its documents (`docs`, the YAML of `text` as JSON):
/// every document must be an aws/cloudtrail detection rule or a correlation rule, else the
/// whole file is refused (a half-loaded file would alert wrongly). The rules are compiled from
/// `text` when first evaluated.
pub fn parse_file(
    file: &str,
    text_of_file: Cow<'static, str>,
    docs: &[Value],
) -> Result<Parsed, RuleError> {
    let bad = |reason: String| RuleError {
        file: file.to_string(),
        reason,
    };
    if docs.is_empty() {
        return Err(bad("no rule".into()));
    }
    let correlations = docs
        .iter()
        .filter(|d| d.get("correlation").is_some())
        .count();
    let source = Arc::new(Source {
        file: file.to_string(),
        text: text_of_file,
        documents: (docs.len() - correlations, correlations),
        parsed: OnceLock::new(),
    });
    let stem = || {
        Path::new(file)
            .file_stem()
            .map_or(file.to_string(), |s| s.to_string_lossy().into_owned())
    };
    let single = docs.len() == 1;
    // An id is what alerts, the ledger and test files name a rule by: a file of several rules
    // must give each one.
    let id_of = |doc: &Value, kind: &str, title: &str| match (text(doc, "id"), single) {
        (Some(id), _) => Ok(id),
        (None, true) => Ok(stem()),
        (None, false) => Err(bad(format!("{kind} '{title}' has no id"))),
    };
    let severity = |doc: &Value| {
        text(doc, "level")
            .and_then(|l| Severity::parse(&l))
            .unwrap_or(Severity::Medium)
    };
    let mut out = Parsed::default();
    for doc in docs {
        let title = text(doc, "title").unwrap_or_default();
        if title.trim().is_empty() {
            return Err(bad("no title".into()));
        }
        if let Some(c) = doc.get("correlation") {
            out.correlations.push(Correlation {
                id: id_of(doc, "correlation", &title)?,
                severity: severity(doc),
                author: text(doc, "author"),
                tags: strings(doc.get("tags")),
                source: file.to_string(),
                rules: strings(c.get("rules")),
                generate: c.get("generate").and_then(Value::as_bool).unwrap_or(false),
                file: Arc::clone(&source),
                at: out.correlations.len(),
                title,
            });
            continue;
        }
        let detection = doc
            .get("detection")
            .ok_or_else(|| bad("no detection".into()))?;
        let logsource = |k: &str| {
            doc.get("logsource")
                .and_then(|l| l.get(k))
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let (product, service) = (logsource("product"), logsource("service"));
        if product != "aws" || service != "cloudtrail" {
            return Err(bad(format!(
                "logsource is {product}/{service}, not aws/cloudtrail"
            )));
        }
        out.rules.push(Rule {
            id: id_of(doc, "rule", &title)?,
            severity: severity(doc),
            author: text(doc, "author"),
            tags: strings(doc.get("tags")),
            name: text(doc, "name"),
            needs: needs::rule_needs(detection, Scope::Lookup),
            prefilter: needs::rule_needs(detection, Scope::Index),
            source: file.to_string(),
            alerts: true,
            counted: false,
            file: Arc::clone(&source),
            at: out.rules.len(),
            compiled: OnceLock::new(),
            title,
        });
    }
    Ok(out)
}

/// Compiles `rules` and `correlations` now: the first error of each file that has one.
fn check(rules: &[Rule], correlations: &[Correlation]) -> Vec<RuleError> {
    let mut files: Vec<&Arc<Source>> = Vec::new();
    for f in rules
        .iter()
        .map(|r| &r.file)
        .chain(correlations.iter().map(|c| &c.file))
    {
        if !files.iter().any(|x| Arc::ptr_eq(x, f)) {
            files.push(f);
        }
    }
    let mut errors = Vec::new();
    for f in files {
        let error = |reason: String| RuleError {
            file: f.file.clone(),
            reason,
        };
        let compiled = match f.parsed() {
            Ok(c) => c,
            Err(e) => {
                errors.push(error(e.to_string()));
                continue;
            }
        };
        let of_file = |file: &Arc<Source>| Arc::ptr_eq(file, f);
        if (compiled.rules.len(), compiled.correlations.len()) != f.documents {
            errors.push(error(
                "could not pair each rule with its YAML document".into(),
            ));
            continue;
        }
        let first = rules
            .iter()
            .filter(|r| of_file(&r.file))
            .find_map(|r| r.check().err())
            .or_else(|| {
                correlations
                    .iter()
                    .filter(|c| of_file(&c.file))
                    .find_map(|c| c.sigma().err())
            });
        errors.extend(first);
    }
    errors
}

/// What an event holds in one indexed field.
enum Probe<'v> {
    Absent,
    Str(&'v str),
    Other,
}

/// The value of `field` (a top-level name, or `a.b` one level down) as rsigma-eval resolves
/// it: a flat key first, then the nested one. A null is absent: no literal matches it.
fn probe<'v>(event: &'v Value, field: &str) -> Probe<'v> {
    let value = match event.get(field) {
        Some(v) => Some(v),
        None => match field.split_once('.') {
            Some((head, rest)) => match event.get(head) {
                Some(Value::Object(o)) => o.get(rest),
                None | Some(Value::Null) => None,
                Some(_) => return Probe::Other,
            },
            None => None,
        },
    };
    match value {
        None | Some(Value::Null) => Probe::Absent,
        Some(Value::String(s)) => Probe::Str(s),
        Some(_) => Probe::Other,
    }
}

/// The rules, with their index.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Per field of [`INDEXED_FIELDS`]: lower-cased value -> the rules needing it, in load
    /// order.
    index: [HashMap<String, Vec<usize>>; INDEXED_FIELDS.len()],
    /// Per field: the rules needing any string value of it, in load order.
    present: [Vec<usize>; INDEXED_FIELDS.len()],
    correlations: Vec<Correlation>,
    /// Correlations loaded but not yet checked against the rules they refer to.
    unlinked: Vec<Correlation>,
    /// Rules needing none of them, in load order.
    unindexed: Vec<usize>,
}

fn is_rule_file(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "yml" || e == "yaml")
}

impl RuleSet {
    /// The bundled rules (SigmaHQ's AWS CloudTrail rules and trailwatch's CIS rules), read from
    /// the headers the build converted; each file compiles when one of its rules is first
    /// evaluated ([`RuleSet::check`] compiles them all now).
    pub fn bundled() -> (Self, Vec<RuleError>) {
        #[derive(serde::Deserialize)]
        struct BundledFile {
            file: String,
            #[serde(default)]
            docs: Vec<Value>,
            #[serde(default)]
            error: Option<String>,
        }
        static HEADERS: &str = include_str!(concat!(env!("OUT_DIR"), "/bundled_rules.json"));
        let mut set = Self::default();
        let mut errors = Vec::new();
        let files: Vec<BundledFile> = match serde_json::from_str(HEADERS) {
            Ok(f) => f,
            Err(e) => {
                errors.push(RuleError {
                    file: "rules/".into(),
                    reason: format!("the bundled rules' headers do not read: {e}"),
                });
                Vec::new()
            }
        };
        for f in files {
            let text = f
                .file
                .strip_prefix("rules/")
                .and_then(|rel| BUNDLED.get_file(rel))
                .and_then(File::contents_utf8);
            let parsed = match (f.error, text) {
                (Some(reason), _) => Err(RuleError {
                    file: f.file.clone(),
                    reason,
                }),
                (None, None) => Err(RuleError {
                    file: f.file.clone(),
                    reason: "not UTF-8".into(),
                }),
                (None, Some(text)) => parse_file(&f.file, Cow::Borrowed(text), &f.docs),
            };
            set.push(parsed, &mut errors);
        }
        set.link(&mut errors);
        (set, errors)
    }

    /// Compiles every rule and correlation now; returns what does not compile, or whose header
    /// rsigma reads differently. The bundled rules are checked so in CI; added files when they
    /// load.
    pub fn check(&self) -> Vec<RuleError> {
        check(&self.rules, &self.correlations)
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
            let parsed = docs::yaml_docs(&text)
                .map_err(|reason| RuleError {
                    file: name.clone(),
                    reason,
                })
                .and_then(|docs| parse_file(&name, Cow::Owned(text), &docs))
                .and_then(
                    |p| match check(&p.rules, &p.correlations).into_iter().next() {
                        Some(e) => Err(e),
                        None => Ok(p),
                    },
                );
            self.push(parsed, &mut errors);
        }
        self.link(&mut errors);
        errors
    }

    /// Checks the correlations loaded since the last call: one that refers to a rule no file
    /// defines is reported and dropped. Then marks the rules that only feed correlations.
    fn link(&mut self, errors: &mut Vec<RuleError>) {
        for c in std::mem::take(&mut self.unlinked) {
            let missing: Vec<&String> = c
                .rules
                .iter()
                .filter(|r| {
                    !self
                        .rules
                        .iter()
                        .any(|x| x.id == **r || x.name.as_deref() == Some(r.as_str()))
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
            let alerts = !counted || by.iter().any(|c| c.generate);
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
            match &r.prefilter {
                Needs::Any => self.unindexed.push(i),
                Needs::OneOf(keys) => {
                    for k in keys {
                        let list = match (k.folded(), k) {
                            (Some((attribute, value)), _) => {
                                self.index[attribute].entry(value).or_default()
                            }
                            (None, Key::Present(attribute)) => &mut self.present[*attribute],
                            (None, _) => continue,
                        };
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

    /// The rules that match `event`, checking only the rules its indexed fields can match
    /// (each once, in load order).
    pub fn matches<'a>(&'a self, event: &Value) -> Vec<&'a Rule> {
        const N: usize = INDEXED_FIELDS.len();
        let mut lists: [&[usize]; 2 * N + 1] = [&[]; 2 * N + 1];
        lists[0] = self.unindexed.as_slice();
        for (i, field) in INDEXED_FIELDS.iter().enumerate() {
            match probe(event, field) {
                Probe::Absent => {}
                Probe::Str(s) => {
                    lists[2 * i + 1] = self.candidates(i, s);
                    lists[2 * i + 2] = self.present[i].as_slice();
                }
                // Not a plain string (a list, a number): the index cannot say, so every rule
                // is checked (never seen in CloudTrail's records, and always right).
                Probe::Other => return self.matches_naive(event),
            }
        }
        let mut out = Vec::new();
        // A merge of ascending lists: no allocation, no sort, each rule checked once.
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

    /// The rules indexed under the string `s` of field `attribute` (its place in
    /// [`INDEXED_FIELDS`]).
    fn candidates(&self, attribute: usize, s: &str) -> &[usize] {
        let Some(index) = self.index.get(attribute) else {
            return &[];
        };
        // Per event, so the usual short ASCII names are folded on the stack.
        let mut buf = [0u8; 64];
        let found = match buf.get_mut(..s.len()) {
            Some(b) if s.is_ascii() => {
                b.copy_from_slice(s.as_bytes());
                b.make_ascii_lowercase();
                std::str::from_utf8(b).ok().and_then(|k| index.get(k))
            }
            _ => index.get(&s.to_lowercase()),
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

    /// The index never changes what matches, whatever shape the indexed fields take: each
    /// bundled rule's own test events, and each again with its indexed fields upper-cased,
    /// nulled, removed, made lists or numbers, or written as a flat `userIdentity.type` key.
    #[test]
    fn the_index_matches_what_checking_every_rule_matches() {
        use cases::Case;
        let (rules, errors) = RuleSet::bundled();
        assert!(errors.is_empty(), "{errors:?}");
        let (suites, errors) = cases::bundled();
        assert!(errors.is_empty(), "{errors:?}");
        let mut events: Vec<Value> = Vec::new();
        for base in suites
            .iter()
            .flat_map(|s| s.cases.iter().flat_map(Case::all_events))
        {
            events.push(base.clone());
            for field in ["eventName", "eventSource", "errorCode"] {
                let original = base.get(field).cloned();
                let upper = original
                    .as_ref()
                    .and_then(Value::as_str)
                    .map(|v| Value::String(v.to_uppercase()));
                let variants = [
                    upper,
                    Some(Value::Null),
                    None,
                    original.clone().map(|v| Value::Array(vec![v])),
                    Some(serde_json::json!(403)),
                ];
                for v in variants {
                    let mut e = base.clone();
                    if let Some(o) = e.as_object_mut() {
                        match v {
                            Some(v) => o.insert(field.to_string(), v),
                            None => o.remove(field),
                        };
                    }
                    events.push(e);
                }
            }
            let mut flat = base.clone();
            if let Some(t) = base.pointer("/userIdentity/type").cloned() {
                if let Some(o) = flat.as_object_mut() {
                    o.remove("userIdentity");
                    o.insert("userIdentity.type".into(), t);
                }
                events.push(flat);
            }
            let mut listed = base.clone();
            if let Some(o) = listed.as_object_mut() {
                if let Some(u) = o.remove("userIdentity") {
                    o.insert("userIdentity".into(), Value::Array(vec![u]));
                }
            }
            events.push(listed);
        }
        assert!(events.len() > 3_000, "{}", events.len());
        let ids = |v: Vec<&Rule>| v.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
        let mut matched = 0;
        for e in &events {
            let indexed = ids(rules.matches(e));
            assert_eq!(indexed, ids(rules.matches_naive(e)), "{e}");
            matched += indexed.len();
        }
        assert!(matched > 1_000, "{matched}");
    }

    #[test]
    fn every_bundled_rule_loads() {
        let (set, errors) = RuleSet::bundled();
        assert!(errors.is_empty(), "{errors:?}");
        // Every one compiles, and rsigma reads each header as the index did.
        let broken = set.check();
        assert!(broken.is_empty(), "{broken:?}");
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
