//! SQL templating that cannot be injected: only known placeholders, and every value either
//! validated against a strict pattern or emitted as a SQL string literal.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// Why a template or a value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown placeholder {{{0}}}")]
    UnknownPlaceholder(String),
    #[error("unclosed placeholder at byte {0}")]
    Unclosed(usize),
    #[error("parameter {0:?} has no value")]
    MissingParam(String),
    #[error("parameter {0:?} is not declared by the check")]
    UndeclaredParam(String),
    #[error("event data store id {0:?} is not an id (3-128 letters, digits, hyphens)")]
    BadStoreId(String),
    #[error("parameter {0:?} contains a control character")]
    ControlChar(String),
    #[error("the query is not bounded by {{window_start}} and {{window_end}}")]
    Unbounded,
}

/// The values a template is rendered with.
#[derive(Debug, Clone)]
pub struct Bindings<'a> {
    pub event_data_store: &'a str,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    /// Values of the check's declared parameters.
    pub params: &'a BTreeMap<String, String>,
}

/// A SQL string literal: single quotes doubled, which is the only escape Trino has.
pub fn quote_literal(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

/// Lake's form of a time in a comparison with `eventTime`.
pub fn time_literal(t: DateTime<Utc>) -> String {
    format!("'{}'", t.format("%Y-%m-%d %H:%M:%S"))
}

/// Checks an event data store id (the part of its ARN after `eventdatastore/`), or takes it from
/// an ARN. It goes into the SQL unquoted, as Lake requires, so it must match the id pattern.
pub fn store_id(id_or_arn: &str) -> Result<String, TemplateError> {
    let id = id_or_arn
        .rsplit_once(":eventdatastore/")
        .map_or(id_or_arn, |(_, id)| id);
    let ok =
        (3..=128).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(id.to_string())
    } else {
        Err(TemplateError::BadStoreId(id_or_arn.to_string()))
    }
}

/// The placeholders a template uses, in order (`{{` and `}}` are literal braces).
pub fn placeholders(template: &str) -> Result<Vec<String>, TemplateError> {
    let mut out = Vec::new();
    scan(template, |piece| {
        if let Piece::Placeholder(name) = piece {
            out.push(name.to_string());
        }
        Ok(())
    })?;
    Ok(out)
}

enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

fn scan<'a>(
    template: &'a str,
    mut f: impl FnMut(Piece<'a>) -> Result<(), TemplateError>,
) -> Result<(), TemplateError> {
    let mut rest = template;
    let mut offset = 0;
    while let Some(i) = rest.find(['{', '}']) {
        f(Piece::Text(&rest[..i]))?;
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            f(Piece::Text(&tail[..1]))?;
            rest = &tail[2..];
            offset += i + 2;
            continue;
        }
        if tail.starts_with('}') {
            return Err(TemplateError::Unclosed(offset + i));
        }
        let close = tail.find('}').ok_or(TemplateError::Unclosed(offset + i))?;
        let name = &tail[1..close];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(TemplateError::UnknownPlaceholder(name.to_string()));
        }
        f(Piece::Placeholder(name))?;
        rest = &tail[close + 1..];
        offset += i + close + 1;
    }
    f(Piece::Text(rest))
}

/// Renders `template`; `declared` are the parameter names the check declares.
pub fn render(
    template: &str,
    declared: &[String],
    b: &Bindings<'_>,
) -> Result<String, TemplateError> {
    let names = placeholders(template)?;
    if !(names.iter().any(|n| n == "window_start") && names.iter().any(|n| n == "window_end")) {
        return Err(TemplateError::Unbounded);
    }
    if let Some(extra) = b.params.keys().find(|k| !declared.contains(k)) {
        return Err(TemplateError::UndeclaredParam(extra.clone()));
    }
    let store = store_id(b.event_data_store)?;
    let mut out = String::with_capacity(template.len() + 64);
    scan(template, |piece| {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Placeholder("event_data_store") => out.push_str(&store),
            Piece::Placeholder("window_start") => out.push_str(&time_literal(b.window_start)),
            Piece::Placeholder("window_end") => out.push_str(&time_literal(b.window_end)),
            Piece::Placeholder(name) if declared.iter().any(|d| d == name) => {
                let v = b
                    .params
                    .get(name)
                    .ok_or_else(|| TemplateError::MissingParam(name.to_string()))?;
                if v.chars().any(char::is_control) {
                    return Err(TemplateError::ControlChar(name.to_string()));
                }
                out.push_str(&quote_literal(v));
            }
            Piece::Placeholder(name) => {
                return Err(TemplateError::UnknownPlaceholder(name.to_string()))
            }
        }
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bindings(params: &BTreeMap<String, String>) -> Bindings<'_> {
        Bindings {
            event_data_store: "arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/abc-123",
            window_start: "2024-01-01T00:00:00Z".parse().unwrap(),
            window_end: "2024-01-02T00:00:00Z".parse().unwrap(),
            params,
        }
    }

    #[test]
    fn renders_known_placeholders() {
        let p = BTreeMap::from([("user".to_string(), "o'brien".to_string())]);
        let sql = render(
            "SELECT 1 FROM {event_data_store} WHERE eventTime >= {window_start} AND eventTime < {window_end} AND u = {user} AND m = '{{x}}'",
            &["user".into()],
            &bindings(&p),
        )
        .unwrap();
        assert_eq!(
            sql,
            "SELECT 1 FROM abc-123 WHERE eventTime >= '2024-01-01 00:00:00' AND eventTime < '2024-01-02 00:00:00' AND u = 'o''brien' AND m = '{x}'"
        );
    }

    #[test]
    fn rejects_unknown_unbounded_and_bad_ids() {
        let p = BTreeMap::new();
        let b = bindings(&p);
        assert_eq!(
            render("SELECT {evil} {window_start} {window_end}", &[], &b),
            Err(TemplateError::UnknownPlaceholder("evil".into()))
        );
        assert_eq!(
            render("SELECT 1 FROM {event_data_store}", &[], &b),
            Err(TemplateError::Unbounded)
        );
        assert!(store_id("abc; DROP").is_err());
        assert!(store_id("x").is_err());
        assert_eq!(
            store_id("5e2676f8-9fce-46ef-8142-3e36a94e6691")
                .unwrap()
                .len(),
            36
        );
    }
}
