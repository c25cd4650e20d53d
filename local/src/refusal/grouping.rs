//! Trino's EXPRESSION_NOT_AGGREGATE: which expression of an aggregating query it refuses (a
//! whole SELECT item, HAVING condition or ORDER BY key that uses a column neither grouped nor
//! aggregated), where, and how Trino's expression formatter writes it.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, OrderByKind, Query,
    Select, SelectItem, SetExpr, Spanned, UnaryOperator, Value, Visit, Visitor,
};
use datafusion::sql::sqlparser::parser::Parser;
use datafusion::sql::sqlparser::tokenizer::{Location, Span, Token, Tokenizer};

use crate::dialect::LakeDialect;

/// Trino's aggregate functions (a call of one, or any call with OVER, aggregates its
/// arguments).
const AGGREGATES: &[&str] = &[
    "any_value",
    "approx_distinct",
    "approx_most_frequent",
    "approx_percentile",
    "approx_set",
    "arbitrary",
    "array_agg",
    "avg",
    "bitwise_and_agg",
    "bitwise_or_agg",
    "bitwise_xor_agg",
    "bool_and",
    "bool_or",
    "checksum",
    "corr",
    "count",
    "count_if",
    "covar_pop",
    "covar_samp",
    "every",
    "geometric_mean",
    "histogram",
    "kurtosis",
    "listagg",
    "make_set_digest",
    "map_agg",
    "map_union",
    "max",
    "max_by",
    "merge",
    "merge_set_digest",
    "min",
    "min_by",
    "multimap_agg",
    "numeric_histogram",
    "qdigest_agg",
    "reduce_agg",
    "regr_intercept",
    "regr_slope",
    "skewness",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "sum",
    "tdigest_agg",
    "var_pop",
    "var_samp",
    "variance",
];

/// The clause DataFusion names in its error.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Clause {
    Select,
    Having,
    OrderBy,
}

/// The expression Trino refuses in `sql` for using column `name` (any case; a part of a
/// dotted name counts) outside an aggregate in `clause` of an aggregating query: its text as
/// Trino formats it and its position (a call's name, a binary operation's operator, else its
/// start).
pub fn offending(sql: &str, clause: Clause, name: &str) -> Option<(String, Location)> {
    let statements = Parser::parse_sql(&LakeDialect, sql).ok()?;
    let mut find = Find {
        clause,
        name,
        found: None,
    };
    let _ = statements.visit(&mut find);
    let e = find.found?;
    Some((trino_format(&e), location(sql, &e)))
}

struct Find<'a> {
    clause: Clause,
    name: &'a str,
    found: Option<Expr>,
}

impl Find<'_> {
    /// The first of `exprs` that uses the column outside an aggregate and outside what
    /// `select` groups by.
    fn first(&mut self, select: &Select, exprs: &[&Expr]) -> ControlFlow<()> {
        let grouped = grouping_keys(select);
        match exprs
            .iter()
            .find(|e| uses_ungrouped(e, self.name, &grouped))
        {
            Some(e) => {
                self.found = Some((*e).clone());
                ControlFlow::Break(())
            }
            None => ControlFlow::Continue(()),
        }
    }
}

// Visited after their subqueries: the innermost query is analysed (and refused) first.
impl Visitor for Find<'_> {
    type Break = ();

    fn post_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
        if self.clause != Clause::OrderBy {
            return ControlFlow::Continue(());
        }
        let (SetExpr::Select(select), Some(order)) = (q.body.as_ref(), &q.order_by) else {
            return ControlFlow::Continue(());
        };
        if !aggregates(select) {
            return ControlFlow::Continue(());
        }
        match &order.kind {
            OrderByKind::Expressions(keys) => {
                let keys: Vec<&Expr> = keys.iter().map(|k| &k.expr).collect();
                self.first(select, &keys)
            }
            OrderByKind::All(_) => ControlFlow::Continue(()),
        }
    }

    fn post_visit_select(&mut self, select: &Select) -> ControlFlow<()> {
        if !aggregates(select) {
            return ControlFlow::Continue(());
        }
        match self.clause {
            Clause::Select => {
                let items: Vec<&Expr> = select.projection.iter().filter_map(item_expr).collect();
                self.first(select, &items)
            }
            Clause::Having => match &select.having {
                Some(h) => self.first(select, &[h]),
                None => ControlFlow::Continue(()),
            },
            Clause::OrderBy => ControlFlow::Continue(()),
        }
    }
}

fn item_expr(item: &SelectItem) -> Option<&Expr> {
    match item {
        SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => Some(e),
        _ => None,
    }
}

/// What `select` groups by, as Trino formats it (lower case): its GROUP BY expressions, an
/// ordinal or an output alias standing for the SELECT item it names.
fn grouping_keys(select: &Select) -> Vec<String> {
    use datafusion::sql::sqlparser::ast::GroupByExpr;
    let GroupByExpr::Expressions(keys, _) = &select.group_by else {
        return Vec::new();
    };
    let key = |e: &Expr| trino_format(e).to_lowercase();
    keys.iter()
        .map(|k| match k {
            Expr::Value(v) => match &v.value {
                Value::Number(n, _) => n
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| i.checked_sub(1))
                    .and_then(|i| select.projection.get(i))
                    .and_then(item_expr)
                    .map_or_else(|| key(k), key),
                _ => key(k),
            },
            Expr::Identifier(id) => select
                .projection
                .iter()
                .find_map(|item| match item {
                    SelectItem::ExprWithAlias { expr, alias }
                        if alias.value.eq_ignore_ascii_case(&id.value) =>
                    {
                        Some(key(expr))
                    }
                    _ => None,
                })
                .unwrap_or_else(|| key(k)),
            other => key(other),
        })
        .collect()
}

fn is_aggregate_call(e: &Expr) -> bool {
    match e {
        Expr::Function(f) => {
            f.over.is_some()
                || (f.name.0.len() == 1
                    && AGGREGATES
                        .binary_search(&f.name.to_string().to_ascii_lowercase().as_str())
                        .is_ok())
        }
        _ => false,
    }
}

fn is_subquery(e: &Expr) -> bool {
    matches!(
        e,
        Expr::Subquery(_) | Expr::InSubquery { .. } | Expr::Exists { .. }
    )
}

fn within(inner: &Span, outer: &Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// The aggregate calls in `node` (span and text as Trino formats it, in order), not those of
/// its subqueries, which aggregate apart.
fn aggregate_calls(node: &impl Visit) -> Vec<(Span, String)> {
    let mut subqueries: Vec<Span> = Vec::new();
    let mut calls: Vec<(Span, String)> = Vec::new();
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(node, |x| {
        if is_subquery(x) {
            subqueries.push(x.span());
        } else if is_aggregate_call(x) {
            calls.push((x.span(), trino_format(x)));
        }
        ControlFlow::<()>::Continue(())
    });
    calls.retain(|(c, _)| !subqueries.iter().any(|s| within(c, s)));
    calls
}

/// Whether `select` groups or aggregates.
fn aggregates(select: &Select) -> bool {
    use datafusion::sql::sqlparser::ast::GroupByExpr;
    let grouped = match &select.group_by {
        GroupByExpr::All(_) => true,
        GroupByExpr::Expressions(e, _) => !e.is_empty(),
    };
    grouped || select.having.is_some() || !aggregate_calls(&select.projection).is_empty()
}

/// Whether `e` names column `name` somewhere outside its aggregate calls, its subqueries and
/// its parts that are `grouped` keys.
fn uses_ungrouped(e: &Expr, name: &str, grouped: &[String]) -> bool {
    // Matching each part against the keys formats it: bounded, as this runs on any statement.
    let mut nodes = 0usize;
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(e, |_| {
        nodes = nodes.saturating_add(1);
        ControlFlow::<()>::Continue(())
    });
    let grouped = if nodes <= 2_000 { grouped } else { &[] };
    let mut apart: Vec<Span> = Vec::new();
    let mut uses: Vec<Span> = Vec::new();
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(e, |x| {
        match x {
            x if is_aggregate_call(x) || is_subquery(x) => apart.push(x.span()),
            x if !grouped.is_empty() && grouped.contains(&trino_format(x).to_lowercase()) => {
                apart.push(x.span());
            }
            Expr::Identifier(id) if id.value.eq_ignore_ascii_case(name) => uses.push(id.span),
            Expr::CompoundIdentifier(parts)
                if parts.iter().any(|p| p.value.eq_ignore_ascii_case(name)) =>
            {
                uses.push(x.span());
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    uses.iter().any(|u| !apart.iter().any(|a| within(u, a)))
}

/// The WHERE condition Trino refuses in `sql` for holding aggregates, as Trino says it:
/// `WHERE clause cannot contain aggregations, window functions or grouping operations:
/// [count(*)]`, at the condition (a comparison's operator).
pub fn aggregate_in_where(sql: &str) -> Option<(String, Location)> {
    struct Where<'a>(&'a str, Option<(String, Location)>);
    impl Visitor for Where<'_> {
        type Break = ();
        fn post_visit_select(&mut self, select: &Select) -> ControlFlow<()> {
            let Some(condition) = &select.selection else {
                return ControlFlow::Continue(());
            };
            let calls: Vec<String> = aggregate_calls(condition)
                .into_iter()
                .map(|(_, text)| text)
                .collect();
            if calls.is_empty() {
                return ControlFlow::Continue(());
            }
            self.1 = Some((
                format!(
                    "WHERE clause cannot contain aggregations, window functions or grouping \
                     operations: [{}]",
                    calls.join(", ")
                ),
                location(self.0, condition),
            ));
            ControlFlow::Break(())
        }
    }
    let statements = Parser::parse_sql(&LakeDialect, sql).ok()?;
    let mut find = Where(sql, None);
    let _ = statements.visit(&mut find);
    find.1
}

/// Where Trino locates `e`: a binary operation at its operator (the last token before its
/// right side, sqlparser keeping no position for it), anything else at its start.
fn location(sql: &str, e: &Expr) -> Location {
    match e {
        Expr::BinaryOp { right, .. } => {
            operator_before(sql, right.span().start).unwrap_or(e.span().start)
        }
        Expr::Nested(inner) => location(sql, inner),
        _ => e.span().start,
    }
}

/// The position of the last token before `at` that is not an opening parenthesis.
fn operator_before(sql: &str, at: Location) -> Option<Location> {
    let tokens = Tokenizer::new(&LakeDialect, sql)
        .tokenize_with_location()
        .ok()?;
    tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::LParen))
        .take_while(|t| t.span.start < at)
        .last()
        .map(|t| t.span.start)
}

/// `e` as Trino's expression formatter writes it: names as written, binary operations and
/// predicates in parentheses, text in single quotes.
pub fn trino_format(e: &Expr) -> String {
    match e {
        Expr::Identifier(id) => id.to_string(),
        Expr::CompoundIdentifier(parts) => parts
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("."),
        Expr::Nested(inner) => trino_format(inner),
        Expr::BinaryOp { left, op, right } => {
            let op = match op {
                BinaryOperator::NotEq => "<>".to_string(),
                other => other.to_string(),
            };
            format!("({} {op} {})", trino_format(left), trino_format(right))
        }
        Expr::UnaryOp {
            op: UnaryOperator::Not,
            expr,
        } => format!("(NOT {})", trino_format(expr)),
        Expr::UnaryOp { op, expr } => format!("{op}{}", trino_format(expr)),
        Expr::IsNull(x) => format!("({} IS NULL)", trino_format(x)),
        Expr::IsNotNull(x) => format!("({} IS NOT NULL)", trino_format(x)),
        Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => format!("'{}'", s.replace('\'', "''")),
            other => other.to_string(),
        },
        Expr::Function(f) if f.over.is_none() && f.filter.is_none() => {
            let args = match &f.args {
                FunctionArguments::List(list) => {
                    let each: Vec<String> = list
                        .args
                        .iter()
                        .map(|a| match a {
                            FunctionArg::Unnamed(FunctionArgExpr::Expr(x)) => trino_format(x),
                            FunctionArg::Unnamed(FunctionArgExpr::Wildcard) => "*".into(),
                            other => other.to_string(),
                        })
                        .collect();
                    let distinct = if list.duplicate_treatment.is_some() {
                        "DISTINCT "
                    } else {
                        ""
                    };
                    format!("({distinct}{})", each.join(", "))
                }
                FunctionArguments::None => String::new(),
                FunctionArguments::Subquery(q) => format!("({q})"),
            };
            format!("{}{args}", f.name)
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_parts_and_subqueries_are_not_refused() {
        let at = |sql: &str, name| {
            offending(sql, Clause::Select, name).map(|(t, l)| (t, l.line, l.column))
        };
        assert_eq!(
            at(
                "SELECT upper(eventname), eventname, count(*) FROM t GROUP BY upper(eventname)",
                "eventname"
            ),
            Some(("eventname".into(), 1, 26))
        );
        // The inner query is analysed first.
        assert_eq!(
            at("SELECT eventname, count(*) FROM (SELECT eventsource, eventname FROM t GROUP BY eventsource) s GROUP BY eventname", "eventname"),
            Some(("eventname".into(), 1, 54))
        );
        // An ordinal or an alias stands for its item.
        assert_eq!(
            at("SELECT lower(a) AS l, b, count(*) FROM t GROUP BY l", "b"),
            Some(("b".into(), 1, 23))
        );
        assert_eq!(at("SELECT lower(a), count(*) FROM t GROUP BY 1", "a"), None);
        assert_eq!(
            aggregate_in_where("SELECT a FROM t WHERE x = (SELECT max(y) FROM u) AND count(*) > 1")
                .map(|(t, _)| t),
            Some("WHERE clause cannot contain aggregations, window functions or grouping operations: [count(*)]".into())
        );
    }

    #[test]
    fn aggregates_are_sorted_for_binary_search() {
        assert!(AGGREGATES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn the_whole_item_is_refused_as_trino_formats_it() {
        let at = |sql: &str, clause, name| {
            offending(sql, clause, name).map(|(t, l)| (t, l.line, l.column))
        };
        assert_eq!(
            at(
                "SELECT count(*), upper(eventName) FROM t GROUP BY eventSource",
                Clause::Select,
                "eventname"
            ),
            Some(("upper(eventName)".into(), 1, 18))
        );
        assert_eq!(
            at(
                "SELECT userIdentity.arn, max(eventName) FROM t",
                Clause::Select,
                "useridentity"
            ),
            Some(("userIdentity.arn".into(), 1, 8))
        );
        assert_eq!(
            at(
                "SELECT a FROM t GROUP BY a HAVING count(*) > 1 AND b <> 'x'",
                Clause::Having,
                "b"
            ),
            Some(("((count(*) > 1) AND (b <> 'x'))".into(), 1, 48))
        );
        assert_eq!(
            at("SELECT x FROM (SELECT b FROM t) s, (SELECT a, length(b) + 1 AS n FROM t GROUP BY a) u", Clause::Select, "b"),
            Some(("(length(b) + 1)".into(), 1, 57))
        );
        assert_eq!(
            at(
                "SELECT a, count(*) FROM t GROUP BY a ORDER BY max(c), lower(c)",
                Clause::OrderBy,
                "c"
            ),
            Some(("lower(c)".into(), 1, 55))
        );
        assert_eq!(
            aggregate_in_where("SELECT a FROM t WHERE a = 1 AND count(*) > max(b)")
                .map(|(t, l)| (t, l.line, l.column)),
            Some((
                "WHERE clause cannot contain aggregations, window functions or grouping \
                 operations: [count(*), max(b)]"
                    .into(),
                1,
                29
            ))
        );
    }
}
