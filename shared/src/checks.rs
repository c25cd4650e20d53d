//! The check catalog: SQL files in CloudTrail Lake's dialect with a header of `-- key: value`
//! lines, shipped inside the binaries (`checks/*.sql`) and extendable from a folder at run time.
//! Each check is parsed once, when the catalog loads; one definition runs on both engines.

use std::collections::BTreeMap;
use std::path::Path;

use include_dir::{include_dir, Dir};
use serde::Serialize;

use crate::engine::EngineKind;
use crate::error::{Error, Result};
use crate::severity::Severity;
use crate::sql::Template;

static BUNDLED: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../checks");

/// One compliance check.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub control: String,
    pub description: String,
    pub remediation: String,
    /// Declared parameters and their default values.
    pub params: BTreeMap<String, String>,
    /// The SQL as written.
    pub sql: String,
    /// The SQL parsed, placeholders in place.
    #[serde(skip)]
    pub template: Template,
}

/// Parses one check file; `name` is used in errors.
pub fn parse_check(name: &str, text: &str) -> Result<Check> {
    let bad = |m: String| Error::InvalidInput(format!("check {name}: {m}"));
    let mut header = BTreeMap::new();
    let mut params = BTreeMap::new();
    let mut sql_lines = Vec::new();
    let mut in_header = true;
    for line in text.lines() {
        if in_header {
            if let Some(rest) = line.trim().strip_prefix("--") {
                if let Some((k, v)) = rest.split_once(':') {
                    let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
                    if let Some(p) = k.strip_prefix("param ") {
                        params.insert(p.trim().to_string(), v);
                    } else {
                        header.insert(k, v);
                    }
                }
                continue;
            }
            in_header = false;
        }
        sql_lines.push(line);
    }
    let take = |k: &str| {
        header
            .get(k)
            .cloned()
            .ok_or_else(|| bad(format!("missing `-- {k}:` header")))
    };
    let id = take("id")?;
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(bad(format!(
            "id {id:?} must be letters, digits, '-' or '_'"
        )));
    }
    let severity =
        Severity::parse(&take("severity")?).ok_or_else(|| bad("unknown severity".into()))?;
    let sql = sql_lines.join("\n").trim().to_string();
    let declared: Vec<String> = params.keys().cloned().collect();
    let template = Template::parse(&sql, &declared).map_err(|e| match e {
        crate::sql::TemplateError::UnknownPlaceholder(p) => bad(format!(
            "placeholder {{{p}}} is neither built in nor declared (`-- param {p}: default`)"
        )),
        other => bad(other.to_string()),
    })?;
    Ok(Check {
        id,
        title: take("title")?,
        severity,
        control: header.get("control").cloned().unwrap_or_default(),
        description: header.get("description").cloned().unwrap_or_default(),
        remediation: header.get("remediation").cloned().unwrap_or_default(),
        params,
        sql,
        template,
    })
}

/// The checks, by id.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    checks: BTreeMap<String, Check>,
}

impl Catalog {
    /// The checks shipped in the binary.
    pub fn bundled() -> Result<Self> {
        let mut c = Self::default();
        for f in BUNDLED.files() {
            if f.path().extension().is_some_and(|e| e == "sql") {
                let name = f.path().display().to_string();
                let text = f
                    .contents_utf8()
                    .ok_or_else(|| Error::InvalidInput(format!("check {name} is not UTF-8")))?;
                c.insert(parse_check(&name, text)?)?;
            }
        }
        Ok(c)
    }

    /// The bundled checks plus those in `extra` (if any).
    pub fn with_extra(extra: Option<&Path>) -> Result<Self> {
        let mut c = Self::bundled()?;
        if let Some(dir) = extra {
            c.add_dir(dir)?;
        }
        Ok(c)
    }

    /// The bundled checks plus those in `extra` (if any), each one able to run on `engine`:
    /// a check that cannot be rendered for it is refused here, with its name and the reason.
    pub fn load(engine: EngineKind, extra: Option<&Path>) -> Result<Self> {
        let c = Self::with_extra(extra)?;
        c.runs_on(engine)?;
        Ok(c)
    }

    /// A catalog of exactly `checks` (ids must differ).
    pub fn of(checks: impl IntoIterator<Item = Check>) -> Result<Self> {
        let mut c = Self::default();
        for check in checks {
            c.insert(check)?;
        }
        Ok(c)
    }

    /// Whether every check can be rendered for `engine`: the first that cannot, with the reason.
    pub fn runs_on(&self, engine: EngineKind) -> Result<()> {
        if engine == EngineKind::Athena {
            for check in self.checks.values() {
                check
                    .template
                    .check_athena()
                    .map_err(|e| Error::InvalidInput(format!("check {}: {e}", check.id)))?;
            }
        }
        Ok(())
    }

    /// Adds every `*.sql` check in `dir` (user checks may not reuse a bundled id).
    pub fn add_dir(&mut self, dir: &Path) -> Result<()> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| Error::Config(format!("checks folder {}: {e}", dir.display())))?;
        let mut paths = Vec::new();
        for entry in entries {
            // An unreadable entry is an error, not a check silently left out.
            let p = entry
                .map_err(|e| Error::Config(format!("checks folder {}: {e}", dir.display())))?
                .path();
            if p.extension().is_some_and(|e| e == "sql") {
                paths.push(p);
            }
        }
        paths.sort();
        for p in paths {
            let text = std::fs::read_to_string(&p)
                .map_err(|e| Error::Config(format!("{}: {e}", p.display())))?;
            self.insert(parse_check(&p.display().to_string(), &text)?)?;
        }
        Ok(())
    }

    fn insert(&mut self, c: Check) -> Result<()> {
        if self.checks.contains_key(&c.id) {
            return Err(Error::InvalidInput(format!("duplicate check id {}", c.id)));
        }
        self.checks.insert(c.id.clone(), c);
        Ok(())
    }

    /// A check by id.
    pub fn get(&self, id: &str) -> Result<&Check> {
        self.checks
            .get(id)
            .ok_or_else(|| Error::UnknownCheck(id.to_string()))
    }

    /// All checks, ordered by id.
    pub fn all(&self) -> impl Iterator<Item = &Check> {
        self.checks.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_catalog_has_the_14_cis_controls() {
        let c = Catalog::bundled().unwrap();
        for n in 1..=14 {
            let control = format!("Security Hub CloudWatch.{n}");
            assert!(
                c.all().any(|ch| ch.control.ends_with(&control)),
                "no check implements {control}"
            );
        }
    }

    #[test]
    fn every_bundled_check_renders_for_both_engines() {
        let c = Catalog::load(EngineKind::Athena, None).unwrap();
        assert_eq!(c.all().count(), 14);
    }

    #[test]
    fn a_check_athena_cannot_read_is_refused_at_load_with_its_name() {
        let dir = std::env::temp_dir().join(format!("tw-checks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("mine.sql"),
            "-- id: my-json\n-- title: t\n-- severity: low\nSELECT eventJson FROM {event_data_store} WHERE eventTime >= {window_start} AND eventTime < {window_end}",
        )
        .unwrap();
        assert!(Catalog::load(EngineKind::Lake, Some(&dir)).is_ok());
        let e = Catalog::load(EngineKind::Athena, Some(&dir))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("my-json") && e.contains("only in CloudTrail Lake"),
            "{e}"
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn rejects_unbounded_and_undeclared() {
        let head = "-- id: x\n-- title: t\n-- severity: low\n";
        let e = parse_check("a", &format!("{head}SELECT 1 FROM {{event_data_store}}"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not bounded"), "{e}");
        let body = "SELECT {u} FROM {event_data_store} WHERE eventTime >= {window_start} AND eventTime < {window_end}";
        let e = parse_check("b", &format!("{head}{body}"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("neither built in nor declared"), "{e}");
        let ok = parse_check("c", &format!("{head}-- param u: bob\n{body}")).unwrap();
        assert_eq!(ok.params.get("u").map(String::as_str), Some("bob"));
    }
}
