//! Placeholders that cannot be injected: a check's `{name}` placeholders are parsed into the
//! syntax tree once, when the catalog loads, and each must stand where a value (or, for
//! `{event_data_store}`, the table) stands. Rendering replaces them in the tree with literals.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use chrono::{DateTime, Utc};
use sqlparser::ast::{
    Expr, Ident, ObjectName, ObjectNamePart, Statement, Visit, VisitMut, Visitor, VisitorMut,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::engine::EngineKind;
use crate::window::Window;

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
    #[error("Athena {0} name {1:?} must be 1-255 lower-case letters, digits or underscores")]
    BadAthenaName(&'static str, String),
    #[error("parameter {0:?} contains a control character")]
    ControlChar(String),
    #[error("the query is not bounded by {{window_start}} and {{window_end}}")]
    Unbounded,
    #[error("the query does not read FROM {{event_data_store}}")]
    NoTable,
    #[error("placeholder {{{0}}} is inside a {1}: a placeholder stands for a whole value, e.g. `LIKE '%' || {{{0}}} || '%'`")]
    Embedded(String, &'static str),
    #[error("placeholder {{{0}}} must stand where a value stands{1}")]
    NotAValue(String, &'static str),
    #[error("`__tw_` is reserved for trailwatch's placeholders")]
    Reserved,
    #[error("SQL does not parse: {0}")]
    Syntax(String),
    #[error("only a single SELECT statement is allowed")]
    NotSelect,
    #[error("cannot render for Athena: {0}")]
    Athena(String),
}

/// Where a rendered query reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A Lake event data store, by id (the part of its ARN after `eventdatastore/`).
    Lake { store_id: String },
    /// The Athena table over the trail's logs.
    Athena { database: String, table: String },
}

impl Source {
    /// A Lake source from an event data store id or ARN, validated.
    pub fn lake(id_or_arn: &str) -> Result<Self, TemplateError> {
        Ok(Self::Lake {
            store_id: store_id(id_or_arn)?,
        })
    }

    /// An Athena source, its names validated (they go into the SQL quoted, but must still be
    /// names Glue accepts).
    pub fn athena(database: &str, table: &str) -> Result<Self, TemplateError> {
        for (what, v) in [("database", database), ("table", table)] {
            let ok = (1..=255).contains(&v.len())
                && v.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                return Err(TemplateError::BadAthenaName(what, v.to_string()));
            }
        }
        Ok(Self::Athena {
            database: database.to_string(),
            table: table.to_string(),
        })
    }

    /// The engine this source belongs to.
    pub fn engine(&self) -> EngineKind {
        match self {
            Self::Lake { .. } => EngineKind::Lake,
            Self::Athena { .. } => EngineKind::Athena,
        }
    }
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

/// The placeholders every check may use without declaring them.
pub const BUILTIN: [&str; 3] = ["event_data_store", "window_start", "window_end"];
const TABLE: &str = "event_data_store";
const PREFIX: &str = "__tw_";

fn marker(name: &str) -> String {
    format!("{PREFIX}{name}")
}

/// The placeholder name behind a marker identifier.
pub(crate) fn placeholder_of(ident: &Ident) -> Option<&str> {
    if ident.quote_style.is_some() {
        return None;
    }
    ident.value.strip_prefix(PREFIX)
}

/// Replaces each `{name}` with its marker identifier (`{{` and `}}` are literal braces);
/// returns the text and the names in order.
fn substitute(text: &str) -> Result<(String, Vec<String>), TemplateError> {
    let mut out = String::with_capacity(text.len() + 32);
    let mut names = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push_str(&tail[..1]);
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
        out.push_str(&marker(name));
        names.push(name.to_string());
        rest = &tail[close + 1..];
        offset += i + close + 1;
    }
    out.push_str(rest);
    Ok((out, names))
}

/// The placeholder named in a piece of text that contains a marker.
fn named_in(text: &str) -> String {
    text.split(PREFIX)
        .nth(1)
        .map(|s| {
            s.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .unwrap_or_default()
}

/// A check's SQL, parsed: placeholders are marker identifiers in the tree.
#[derive(Debug, Clone)]
pub struct Template {
    statement: Statement,
    declared: Vec<String>,
}

/// Counts where markers stand in the tree: as a value, or as the table.
#[derive(Default)]
struct Places {
    values: usize,
    tables: usize,
    table_as_value: bool,
    value_as_table: Option<String>,
}

impl Visitor for Places {
    type Break = ();
    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        if let Expr::Identifier(id) = e {
            if let Some(name) = placeholder_of(id) {
                self.values += 1;
                self.table_as_value |= name == TABLE;
            }
        }
        ControlFlow::Continue(())
    }
    fn pre_visit_relation(&mut self, r: &ObjectName) -> ControlFlow<()> {
        if let [ObjectNamePart::Identifier(id)] = r.0.as_slice() {
            if let Some(name) = placeholder_of(id) {
                self.tables += 1;
                if name != TABLE {
                    self.value_as_table = Some(name.to_string());
                }
            }
        }
        ControlFlow::Continue(())
    }
}

impl Template {
    /// Parses a check's SQL; `declared` are the parameters the check declares.
    pub fn parse(text: &str, declared: &[String]) -> Result<Self, TemplateError> {
        if text.to_ascii_lowercase().contains(PREFIX) {
            return Err(TemplateError::Reserved);
        }
        let (sql, names) = substitute(text)?;
        for n in &names {
            if !BUILTIN.contains(&n.as_str()) && !declared.contains(n) {
                return Err(TemplateError::UnknownPlaceholder(n.clone()));
            }
        }
        if !(names.iter().any(|n| n == "window_start") && names.iter().any(|n| n == "window_end")) {
            return Err(TemplateError::Unbounded);
        }
        if !names.iter().any(|n| n == TABLE) {
            return Err(TemplateError::NoTable);
        }
        // Tokens first: a placeholder inside a literal, a quoted name or a comment never
        // reaches the tree as a marker, so it is refused here.
        let tokens = Tokenizer::new(&GenericDialect {}, &sql)
            .tokenize()
            .map_err(|e| TemplateError::Syntax(e.to_string()))?;
        let mut markers = 0;
        for t in &tokens {
            let (text, kind) = match t {
                Token::Word(w) if w.quote_style.is_none() => {
                    if w.value.starts_with(PREFIX) {
                        markers += 1;
                    }
                    continue;
                }
                Token::Word(w) => (w.value.clone(), "quoted name"),
                Token::Whitespace(w) => (w.to_string(), "comment"),
                other => (other.to_string(), "string literal"),
            };
            if text.contains(PREFIX) {
                return Err(TemplateError::Embedded(named_in(&text), kind));
            }
        }
        let mut stmts = Parser::parse_sql(&GenericDialect {}, &sql)
            .map_err(|e| TemplateError::Syntax(e.to_string().replace(PREFIX, "")))?;
        if stmts.len() != 1 || !matches!(stmts[0], Statement::Query(_)) {
            return Err(TemplateError::NotSelect);
        }
        let statement = stmts.remove(0);
        let mut places = Places::default();
        let _ = Visit::visit(&statement, &mut places);
        if places.table_as_value {
            return Err(TemplateError::NotAValue(
                TABLE.into(),
                ": {event_data_store} names the table, in FROM",
            ));
        }
        if let Some(name) = places.value_as_table {
            return Err(TemplateError::NotAValue(name, ", not as a table"));
        }
        if places.values + places.tables != markers {
            // A marker stood somewhere else: an alias, a function or column name, a qualifier.
            let name = names
                .iter()
                .find(|n| n.as_str() != TABLE)
                .cloned()
                .unwrap_or_default();
            return Err(TemplateError::NotAValue(
                name,
                ", not as a name, alias or qualifier",
            ));
        }
        Ok(Self {
            statement,
            declared: declared.to_vec(),
        })
    }

    /// The parsed statement, placeholders as marker identifiers.
    pub fn statement(&self) -> &Statement {
        &self.statement
    }

    /// Renders the query for `source` over `window` with `params` (the check's defaults already
    /// merged in). The Athena form is checked when the catalog loads, so a check that cannot run
    /// there is refused early (see [`Template::check_athena`]).
    pub fn render(
        &self,
        source: &Source,
        window: &Window,
        params: &BTreeMap<String, String>,
    ) -> Result<String, TemplateError> {
        if let Some(extra) = params.keys().find(|k| !self.declared.contains(k)) {
            return Err(TemplateError::UndeclaredParam(extra.clone()));
        }
        let mut stmt = self.statement.clone();
        if let Source::Athena { .. } = source {
            super::athena::rewrite(&mut stmt, window)?;
        }
        let mut bind = Bind {
            source,
            window,
            params,
            values: Vec::new(),
            error: None,
        };
        let _ = VisitMut::visit(&mut stmt, &mut bind);
        if let Some(e) = bind.error {
            return Err(e);
        }
        Ok(fill_values(&stmt.to_string(), &bind.values))
    }

    /// Whether the check can be rendered for Athena; the reason when it cannot.
    pub fn check_athena(&self) -> Result<(), TemplateError> {
        let window = Window::new(
            DateTime::<Utc>::UNIX_EPOCH,
            DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(1),
        )
        .map_err(|e| TemplateError::Athena(e.to_string()))?;
        let mut stmt = self.statement.clone();
        super::athena::rewrite(&mut stmt, &window)
    }
}

/// A time as the engine compares it with `eventTime`: Lake's timestamp text, or the ISO 8601
/// text that Athena's string column holds (which then compares in time order).
pub fn time_literal(engine: EngineKind, t: DateTime<Utc>) -> String {
    match engine {
        EngineKind::Lake => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        EngineKind::Athena => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    }
}

struct Bind<'a> {
    source: &'a Source,
    window: &'a Window,
    params: &'a BTreeMap<String, String>,
    /// The values bound so far; the tree holds a `__tw_v<N>` marker for value N.
    values: Vec<String>,
    error: Option<TemplateError>,
}

const VALUE: &str = "__tw_v";

/// Puts each value, as a SQL string literal, where the printed tree has its marker. Values go
/// in only after the tree is printed: sqlparser prints a string value containing `\'` as if
/// it were already escaped, so a value printed through the tree could end its literal early.
/// The template text cannot contain a marker (`__tw_` is refused when it is parsed) and the
/// values are never rescanned, so every marker found is one the tree put there.
fn fill_values(sql: &str, values: &[String]) -> String {
    let mut out = String::with_capacity(sql.len() + values.iter().map(String::len).sum::<usize>());
    let mut rest = sql;
    while let Some(i) = rest.find(VALUE) {
        out.push_str(&rest[..i]);
        let after = &rest[i + VALUE.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        match after[..digits]
            .parse::<usize>()
            .ok()
            .and_then(|n| values.get(n))
        {
            Some(v) => out.push_str(&super::quote_literal(v)),
            None => out.push_str(&rest[i..i + VALUE.len() + digits]),
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

impl Bind<'_> {
    fn value(&self, name: &str) -> Result<String, TemplateError> {
        let engine = self.source.engine();
        match name {
            "window_start" => Ok(time_literal(engine, self.window.start)),
            "window_end" => Ok(time_literal(engine, self.window.end)),
            _ => {
                let v = self
                    .params
                    .get(name)
                    .ok_or_else(|| TemplateError::MissingParam(name.to_string()))?;
                if v.chars().any(char::is_control) {
                    return Err(TemplateError::ControlChar(name.to_string()));
                }
                Ok(v.clone())
            }
        }
    }
}

impl VisitorMut for Bind<'_> {
    type Break = ();
    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        let name = match e {
            Expr::Identifier(id) => placeholder_of(id).map(str::to_string),
            _ => None,
        };
        if let Some(name) = name {
            match self.value(&name) {
                Ok(v) => {
                    *e = Expr::Identifier(Ident::new(format!("{VALUE}{}", self.values.len())));
                    self.values.push(v);
                }
                Err(err) => {
                    self.error = Some(err);
                    return ControlFlow::Break(());
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_relation(&mut self, r: &mut ObjectName) -> ControlFlow<()> {
        let is_table = matches!(r.0.as_slice(), [ObjectNamePart::Identifier(id)] if placeholder_of(id) == Some(TABLE));
        if is_table {
            *r = match self.source {
                // Lake wants the id bare, hyphens and all.
                Source::Lake { store_id } => {
                    ObjectName(vec![ObjectNamePart::Identifier(Ident::new(store_id))])
                }
                Source::Athena { database, table } => ObjectName(vec![
                    ObjectNamePart::Identifier(Ident::with_quote('"', database)),
                    ObjectNamePart::Identifier(Ident::with_quote('"', table)),
                ]),
            };
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window() -> Window {
        Window::new(
            "2024-01-01T00:00:00Z".parse().unwrap(),
            "2024-01-02T00:00:00Z".parse().unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn renders_values_into_the_tree() {
        let t = Template::parse(
            "SELECT 1 FROM {event_data_store} WHERE eventTime >= {window_start} AND eventTime < {window_end} AND u = {user} AND m = '{{x}}'",
            &["user".into()],
        )
        .unwrap();
        let p = BTreeMap::from([("user".to_string(), "o'brien".to_string())]);
        let sql = t
            .render(
                &Source::lake("arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/abc-123")
                    .unwrap(),
                &window(),
                &p,
            )
            .unwrap();
        assert_eq!(
            sql,
            "SELECT 1 FROM abc-123 WHERE eventTime >= '2024-01-01 00:00:00' AND eventTime < '2024-01-02 00:00:00' AND u = 'o''brien' AND m = '{x}'"
        );
    }

    #[test]
    fn placeholders_outside_value_positions_are_refused() {
        let head = "SELECT 1 FROM {event_data_store} WHERE eventTime >= {window_start} AND eventTime < {window_end}";
        let d = ["user".to_string()];
        let refused = [
            (format!("{head} AND u LIKE '%{{user}}%'"), "string literal"),
            (format!("{head} -- {{user}}\n AND 1 = 1"), "comment"),
            (format!("{head} AND \"{{user}}\" = 1"), "quoted name"),
        ];
        for (sql, kind) in refused {
            match Template::parse(&sql, &d) {
                Err(TemplateError::Embedded(name, k)) => {
                    assert_eq!((name.as_str(), k), ("user", kind), "{sql}");
                }
                other => panic!("{sql}: {other:?}"),
            }
        }
        for sql in [
            format!("{head} AND {{user}}.arn = 'x'"),
            "SELECT eventName AS {user} FROM {event_data_store} WHERE eventTime >= {window_start} AND eventTime < {window_end}".to_string(),
            format!("{head} AND {{user}}(eventName) = 'x'"),
        ] {
            assert!(
                matches!(Template::parse(&sql, &d), Err(TemplateError::NotAValue(..))),
                "{sql}"
            );
        }
        assert_eq!(
            Template::parse("SELECT 1 FROM {event_data_store} WHERE 1 = 1", &[]).unwrap_err(),
            TemplateError::Unbounded
        );
        assert_eq!(
            Template::parse("SELECT {window_start}, {window_end}", &[]).unwrap_err(),
            TemplateError::NoTable
        );
        assert_eq!(
            Template::parse(&format!("{head} AND {{evil}} = 1"), &[]).unwrap_err(),
            TemplateError::UnknownPlaceholder("evil".into())
        );
        assert_eq!(
            Template::parse(&format!("{head} AND __tw_window_start = 1"), &[]).unwrap_err(),
            TemplateError::Reserved
        );
        assert!(matches!(
            Template::parse(&format!("{head}; DROP TABLE x"), &[]),
            Err(TemplateError::NotSelect)
        ));
    }

    #[test]
    fn values_that_look_escaped_stay_one_literal() {
        let t = Template::parse(
            "SELECT {u} AS v FROM {event_data_store} WHERE eventTime >= {window_start} AND eventTime < {window_end}",
            &["u".into()],
        )
        .unwrap();
        for v in ["\\'", "\\", "''", "a\\'' OR 1=1 --", "__tw_v0", "__tw_v1'"] {
            let p = BTreeMap::from([("u".to_string(), v.to_string())]);
            let sql = t
                .render(&Source::lake("abc-123").unwrap(), &window(), &p)
                .unwrap();
            let want = format!("SELECT '{}' AS v FROM", v.replace('\'', "''"));
            assert!(sql.starts_with(&want), "{v:?}: {sql}");
            assert!(
                sql.ends_with("eventTime < '2024-01-02 00:00:00'"),
                "{v:?}: {sql}"
            );
        }
    }

    #[test]
    fn store_ids_are_validated() {
        assert_eq!(
            store_id("abc; DROP"),
            Err(TemplateError::BadStoreId("abc; DROP".into()))
        );
        assert_eq!(store_id("x"), Err(TemplateError::BadStoreId("x".into())));
        assert_eq!(
            store_id("5e2676f8-9fce-46ef-8142-3e36a94e6691")
                .unwrap()
                .len(),
            36
        );
        assert_eq!(
            Source::athena("db", "Bad-Name"),
            Err(TemplateError::BadAthenaName("table", "Bad-Name".into()))
        );
        assert_eq!(
            Source::athena("trailwatch", "cloudtrail_logs"),
            Ok(Source::Athena {
                database: "trailwatch".into(),
                table: "cloudtrail_logs".into(),
            })
        );
    }
}
