//! Lake's forms rewritten for the Athena CloudTrail table (as AWS documents it): there
//! `requestparameters`, `responseelements`, `additionaleventdata` and `serviceeventdetails` are
//! JSON strings rather than maps, `eventtime` is ISO 8601 text rather than a timestamp,
//! `readonly` is text, and the table is partitioned by day, so every reference to the store
//! also gets the window as a predicate on the `timestamp` partition (a one-day window reads
//! one day of objects, not the bucket).

use std::ops::ControlFlow;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlparser::ast::{
    AccessExpr, BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident,
    ObjectNamePart, Select, SelectItem, Statement, Subscript, TableFactor, Value, ValueWithSpan,
    Visit, VisitMut, Visitor, VisitorMut,
};

use super::template::{placeholder_of, TemplateError};
use super::{column_name, expr, quote_literal};
use crate::window::Window;

/// Columns that are maps in Lake and JSON text in Athena's table.
const JSON_COLUMNS: [&str; 4] = [
    "requestparameters",
    "responseelements",
    "additionaleventdata",
    "serviceeventdetails",
];
/// Lake columns that Athena's CloudTrail table does not have.
const LAKE_ONLY: [&str; 3] = ["eventjson", "managementevent", "annotation"];
/// Marks an identifier trailwatch has already handled; removed before rendering.
const HANDLED: char = '`';

/// The `timestamp` partition values (`yyyy/MM/dd`) a window touches, first and last.
pub fn partition_days(window: &Window) -> (String, String) {
    let last = window.end - Duration::milliseconds(1);
    (
        window.start.format("%Y/%m/%d").to_string(),
        last.format("%Y/%m/%d").to_string(),
    )
}

fn athena(msg: impl Into<String>) -> TemplateError {
    TemplateError::Athena(msg.into())
}

fn is_store(f: &TableFactor) -> Option<Option<&Ident>> {
    match f {
        TableFactor::Table { name, alias, .. } => match name.0.as_slice() {
            [ObjectNamePart::Identifier(id)] if placeholder_of(id) == Some("event_data_store") => {
                Some(alias.as_ref().map(|a| &a.name))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Rewrites `stmt` (placeholders still markers) for Athena.
pub(crate) fn rewrite(stmt: &mut Statement, window: &Window) -> Result<(), TemplateError> {
    let mut r = Rewrite {
        days: partition_days(window),
        error: None,
    };
    let _ = VisitMut::visit(stmt, &mut r);
    if let Some(e) = r.error {
        return Err(e);
    }
    let mut left = Leftovers(None);
    let _ = Visit::visit(&*stmt, &mut left);
    if let Some(e) = left.0 {
        return Err(e);
    }
    let _ = VisitMut::visit(stmt, &mut Unmark);
    Ok(())
}

struct Rewrite {
    days: (String, String),
    error: Option<TemplateError>,
}

fn handled(e: &mut Expr) {
    match e {
        Expr::Identifier(id) => id.quote_style = Some(HANDLED),
        Expr::CompoundIdentifier(parts) => {
            if let Some(last) = parts.last_mut() {
                last.quote_style = Some(HANDLED);
            }
        }
        _ => {}
    }
}

fn unhandled_column(e: &Expr) -> Option<String> {
    let quoted = match e {
        Expr::Identifier(id) => id.quote_style,
        Expr::CompoundIdentifier(parts) => parts.last().and_then(|p| p.quote_style),
        _ => return None,
    };
    if quoted.is_some() {
        return None;
    }
    column_name(e)
}

fn string_literal(e: &Expr) -> Option<&str> {
    match e {
        Expr::Value(ValueWithSpan {
            value: Value::SingleQuotedString(s),
            ..
        }) => Some(s),
        _ => None,
    }
}

/// A Lake time literal (`2024-01-01 00:00:00[.fff]`, a date, or RFC 3339) as Athena's
/// `eventtime` text, so that the string comparison keeps its meaning.
fn iso_literal(s: &str) -> Option<String> {
    let t: DateTime<Utc> = if let Some(t) = crate::window::parse_event_time(s) {
        t
    } else if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        d.and_hms_opt(0, 0, 0)?.and_utc()
    } else {
        return None;
    };
    Some(t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Whether `e` is a value an eventTime comparison may keep as text: a window placeholder or a
/// time literal (rewritten to ISO 8601).
fn time_operand(e: &mut Expr) -> Result<bool, TemplateError> {
    if let Expr::Identifier(id) = e {
        return Ok(matches!(
            placeholder_of(id),
            Some("window_start" | "window_end")
        ));
    }
    let Some(s) = string_literal(e) else {
        return Ok(false);
    };
    let iso = iso_literal(s)
        .ok_or_else(|| athena(format!("{s:?} compared with eventTime is not a time")))?;
    *e = Expr::Value(ValueWithSpan::from(Value::SingleQuotedString(iso)));
    Ok(true)
}

fn is_comparison(op: &BinaryOperator) -> bool {
    matches!(
        op,
        BinaryOperator::Gt
            | BinaryOperator::GtEq
            | BinaryOperator::Lt
            | BinaryOperator::LtEq
            | BinaryOperator::Eq
            | BinaryOperator::NotEq
    )
}

/// `element_at(col, 'key')` / `col['key']` on a JSON column: Lake gives the value as text
/// (nested values as JSON text), which is what this expression gives on Athena.
fn json_get(column: &Expr, key: &str) -> Result<Expr, TemplateError> {
    if key.is_empty() || key.chars().any(|c| c.is_control() || c == '"' || c == '\\') {
        return Err(athena(format!("map key {key:?} cannot be a JSON path")));
    }
    let path = quote_literal(&format!("$[\"{key}\"]"));
    let mut col = column.clone();
    handled(&mut col);
    expr(&format!(
        "coalesce(json_extract_scalar({col}, {path}), nullif(json_format(json_extract({col}, {path})), 'null'))"
    ))
}

impl Rewrite {
    fn select(&mut self, s: &mut Select) -> Result<(), TemplateError> {
        // A bare eventTime in the select list stays text; the alert layer reads both forms.
        for item in &mut s.projection {
            if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item {
                if unhandled_column(e).as_deref() == Some("eventtime") {
                    handled(e);
                }
            }
        }
        let mut relations = 0;
        let mut stores = Vec::new();
        for t in &s.from {
            for f in std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)) {
                relations += 1;
                if let Some(alias) = is_store(f) {
                    stores.push(alias.cloned());
                }
            }
        }
        let (first, last) = (quote_literal(&self.days.0), quote_literal(&self.days.1));
        for alias in stores {
            let qualifier =
                match alias {
                    Some(a) => format!("{a}."),
                    None if relations == 1 => String::new(),
                    None => return Err(athena(
                        "give {event_data_store} an alias when the query reads other tables too",
                    )),
                };
            let pred = expr(&format!(
                "{qualifier}\"timestamp\" BETWEEN {first} AND {last}"
            ))?;
            s.selection = Some(match s.selection.take() {
                Some(w) => Expr::BinaryOp {
                    left: Box::new(Expr::Nested(Box::new(w))),
                    op: BinaryOperator::And,
                    right: Box::new(pred),
                },
                None => pred,
            });
        }
        Ok(())
    }

    fn pre_expr(&mut self, e: &mut Expr) -> Result<(), TemplateError> {
        match e {
            Expr::BinaryOp { left, op, right } if is_comparison(op) => {
                if unhandled_column(left).as_deref() == Some("eventtime") && time_operand(right)? {
                    handled(left);
                } else if unhandled_column(right).as_deref() == Some("eventtime")
                    && time_operand(left)?
                {
                    handled(right);
                }
            }
            Expr::Between {
                expr: col,
                low,
                high,
                ..
            } if unhandled_column(col).as_deref() == Some("eventtime") => {
                // Both bounds are rewritten before the column is marked, each exactly once.
                let both = time_operand(low)? && time_operand(high)?;
                if both {
                    handled(col);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn post_expr(&mut self, e: &mut Expr) -> Result<(), TemplateError> {
        let replacement = match e {
            Expr::Function(f) if f.name.to_string().eq_ignore_ascii_case("element_at") => {
                let FunctionArguments::List(list) = &f.args else {
                    return Ok(());
                };
                let args: Vec<&Expr> = list
                    .args
                    .iter()
                    .filter_map(|a| match a {
                        FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => Some(x),
                        _ => None,
                    })
                    .collect();
                match args.as_slice() {
                    [col, key] if is_json_column(col) => match string_literal(key) {
                        Some(k) => Some(json_get(col, k)?),
                        None => {
                            return Err(athena("element_at on a JSON column needs a literal key"))
                        }
                    },
                    _ => None,
                }
            }
            Expr::CompoundFieldAccess { root, access_chain } if is_json_column(root) => {
                match access_chain.as_slice() {
                    [AccessExpr::Subscript(Subscript::Index { index })] => {
                        match string_literal(index) {
                            Some(k) => Some(json_get(root, k)?),
                            None => {
                                return Err(athena(
                                    "a JSON column's subscript must be a literal key",
                                ))
                            }
                        }
                    }
                    _ => {
                        return Err(athena(
                            "only one ['key'] subscript of a JSON column is supported",
                        ))
                    }
                }
            }
            Expr::IsNull(inner) | Expr::IsNotNull(inner) if is_json_column(inner) => {
                handled(inner);
                None
            }
            _ => match unhandled_column(e).as_deref() {
                Some("eventtime") => {
                    let mut col = e.clone();
                    handled(&mut col);
                    Some(expr(&format!("from_iso8601_timestamp({col})"))?)
                }
                Some("readonly") => {
                    let mut col = e.clone();
                    handled(&mut col);
                    Some(expr(&format!("({col} = 'true')"))?)
                }
                Some(c) if LAKE_ONLY.contains(&c) => {
                    return Err(athena(format!(
                    "column {c} exists only in CloudTrail Lake, not in Athena's CloudTrail table"
                )))
                }
                _ => None,
            },
        };
        if let Some(r) = replacement {
            *e = r;
        }
        Ok(())
    }
}

fn is_json_column(e: &Expr) -> bool {
    unhandled_column(e).is_some_and(|c| JSON_COLUMNS.contains(&c.as_str()))
}

impl VisitorMut for Rewrite {
    type Break = ();
    fn pre_visit_select(&mut self, s: &mut Select) -> ControlFlow<()> {
        self.keep(|me| me.select(s))
    }
    fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        self.keep(|me| me.pre_expr(e))
    }
    fn post_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        self.keep(|me| me.post_expr(e))
    }
}

impl Rewrite {
    fn keep(&mut self, f: impl FnOnce(&mut Self) -> Result<(), TemplateError>) -> ControlFlow<()> {
        match f(self) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                self.error = Some(e);
                ControlFlow::Break(())
            }
        }
    }
}

/// Finds JSON columns still used as maps after the rewrite.
struct Leftovers(Option<TemplateError>);

impl Visitor for Leftovers {
    type Break = ();
    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        if let Some(c) = unhandled_column(e).filter(|c| JSON_COLUMNS.contains(&c.as_str())) {
            self.0 = Some(athena(format!(
                "{c} is JSON text in Athena's table; read it with element_at({c}, 'key') or {c}['key']"
            )));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}

/// Removes the handled marks.
struct Unmark;

impl VisitorMut for Unmark {
    type Break = ();
    fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
        let ids: Vec<&mut Ident> = match e {
            Expr::Identifier(id) => vec![id],
            Expr::CompoundIdentifier(parts) => parts.iter_mut().collect(),
            _ => Vec::new(),
        };
        for id in ids {
            if id.quote_style == Some(HANDLED) {
                id.quote_style = None;
            }
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::sql::{Source, Template};
    use crate::window::Window;

    fn render(sql: &str, start: &str, end: &str) -> Result<String, crate::sql::TemplateError> {
        let w = Window::new(start.parse().unwrap(), end.parse().unwrap()).unwrap();
        Template::parse(sql, &[])?.render(
            &Source::athena("trailwatch", "cloudtrail_logs").unwrap(),
            &w,
            &BTreeMap::new(),
        )
    }

    #[test]
    fn lake_forms_become_athena_forms() {
        let sql = render(
            "SELECT eventTime AS event_time, element_at(responseElements, 'ConsoleLogin') AS r \
             FROM {event_data_store} \
             WHERE eventTime >= {window_start} AND eventTime < {window_end} \
               AND requestParameters['bucketName'] IS NOT NULL AND readOnly = false \
               AND date_trunc('hour', eventTime) > '2024-01-01 00:00:00'",
            "2024-01-01T06:00:00Z",
            "2024-01-02T00:00:00Z",
        )
        .unwrap();
        assert_eq!(
            sql,
            "SELECT eventTime AS event_time, coalesce(json_extract_scalar(responseElements, '$[\"ConsoleLogin\"]'), nullif(json_format(json_extract(responseElements, '$[\"ConsoleLogin\"]')), 'null')) AS r \
             FROM \"trailwatch\".\"cloudtrail_logs\" \
             WHERE (eventTime >= '2024-01-01T06:00:00Z' AND eventTime < '2024-01-02T00:00:00Z' \
             AND coalesce(json_extract_scalar(requestParameters, '$[\"bucketName\"]'), nullif(json_format(json_extract(requestParameters, '$[\"bucketName\"]')), 'null')) IS NOT NULL \
             AND (readOnly = 'true') = false \
             AND date_trunc('hour', from_iso8601_timestamp(eventTime)) > '2024-01-01 00:00:00') \
             AND \"timestamp\" BETWEEN '2024/01/01' AND '2024/01/01'"
        );
    }

    #[test]
    fn partitions_follow_the_window_and_aliases() {
        let sql = render(
            "SELECT a.eventID FROM {event_data_store} a JOIN {event_data_store} b ON a.eventID = b.eventID \
             WHERE a.eventTime BETWEEN {window_start} AND {window_end}",
            "2024-02-28T12:00:00Z",
            "2024-03-01T00:00:00Z",
        )
        .unwrap();
        assert!(sql.ends_with("AND a.\"timestamp\" BETWEEN '2024/02/28' AND '2024/02/29') AND b.\"timestamp\" BETWEEN '2024/02/28' AND '2024/02/29'"), "{sql}");
        let why = match render(
            "SELECT 1 FROM {event_data_store}, other WHERE eventTime > {window_start} AND eventTime < {window_end}",
            "2024-01-01T00:00:00Z",
            "2024-01-02T00:00:00Z",
        ) {
            Err(crate::sql::TemplateError::Athena(why)) => why,
            other => panic!("expected TemplateError::Athena, got {other:?}"),
        };
        assert!(why.contains("give {event_data_store} an alias"), "{why}");
    }

    #[test]
    fn what_athena_cannot_read_is_refused_with_the_reason() {
        let head =
            "FROM {event_data_store} WHERE eventTime > {window_start} AND eventTime < {window_end}";
        for (sql, why) in [
            (
                format!("SELECT map_keys(requestParameters) {head}"),
                "JSON text",
            ),
            (
                format!("SELECT eventJson {head}"),
                "only in CloudTrail Lake",
            ),
            (
                format!("SELECT 1 {head} AND eventTime > 'yesterday'"),
                "not a time",
            ),
        ] {
            let e = render(&sql, "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z")
                .unwrap_err()
                .to_string();
            assert!(e.contains(why), "{sql}: {e}");
        }
    }
}
