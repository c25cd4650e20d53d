//! Trino's evaluation order for `AND` and `OR`. Trino evaluates the right side of `a AND b`
//! only where `a` is not false, and of `a OR b` only where `a` is not true, so `eventName =
//! 'CreateBucket' AND requestParameters['bucketName'] = 'x'` and `eventName = 'RunInstances'
//! AND CAST(json_extract_scalar(...) AS integer) > 5` run on Lake over events where the key is
//! missing or the text is not a number. DataFusion evaluates both sides of a batch unless the
//! left side alone decides most of it, and would fail such a query.

use std::ops::Not;
use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::error::Result;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    BinaryExpr, Case, Expr, ExprSchemable, LogicalPlan, Operator, ScalarUDF,
};
use datafusion::optimizer::AnalyzerRule;

use super::func::{returns_bool, Func};

/// The mark on the condition of each CASE [`ShortCircuit`] writes: `CASE trino_needed(g) WHEN
/// true THEN b ELSE false END` around an AND's right side (`ELSE true` for OR's), and the lazy
/// `CASE trino_needed(x) WHEN true|false THEN ...` inside a guard. No statement can call it; it
/// tells them apart from a statement's own CASEs.
const NEEDED: &str = "trino_needed";

/// The functions that cannot fail on any row when their arguments do not, so a condition that
/// calls only these needs no guard: among them everything the bundled checks call, whose
/// filters so stay as DataFusion plans them. (`element_at`, `cardinality`, `json_extract`,
/// `json_extract_scalar` and `regexp_like` only with some arguments, see [`total_call`].)
const TOTAL: [&str; 13] = [
    "get_field",
    "coalesce",
    "nullif",
    "lower",
    "upper",
    "concat",
    "length",
    "trim",
    "btrim",
    "ltrim",
    "rtrim",
    "starts_with",
    "strpos",
];

/// The lambda functions that fail only where their lambda does (what they apply it to is
/// judged with the rest).
const TOTAL_LAMBDAS: [&str; 3] = ["array_transform", "array_filter", "array_any_match"];

/// Gives the conditions on the right side of an `AND` that could fail a guard: the right
/// side's chain of `AND`s becomes its conditions that cannot fail, as they were, and `CASE
/// trino_needed(g) WHEN true THEN <the others> ELSE false END`, `g` being `a IS NOT FALSE`
/// (for `OR`: `IS NOT TRUE`, `ELSE true`). DataFusion evaluates a CASE's result only on the
/// rows its condition selects, and where the guard holds nothing, `a` decides the row alone. The
/// simple CASE form is kept because DataFusion's simplifier turns a boolean `CASE WHEN` back
/// into `AND`/`OR`; the conditions that cannot fail stay outside, in view of filter pushdown
/// and pruning (`eventTime > now() - interval '1' day`).
///
/// `g` is read as Trino reads `a` ([`answer`]): each part only where the parts before it
/// leave the answer open, so it fails only where `a` would. `a`'s own guards are taken out of
/// its copy (what they hold is read under the parts before it again), so a chain of `n`
/// conditions makes guards of about `n log n` conditions in all, not doubling with each one.
/// A part of `a` that reads a subquery, an outer query's column or a volatile function
/// (`rand()`) is not copied: the guard takes it to leave the answer open; such a condition on
/// the right side stays outside the guard, as DataFusion reads it. A statement whose
/// guards would pass [`MAX_GUARD_NODES`] keeps the rest of its conditions as DataFusion reads
/// them.
#[derive(Debug)]
pub struct ShortCircuit;

/// The most expression nodes the guards of one statement may hold.
const MAX_GUARD_NODES: usize = 50_000;

impl AnalyzerRule for ShortCircuit {
    fn name(&self) -> &str {
        "trino_short_circuit"
    }

    fn analyze(
        &self,
        plan: LogicalPlan,
        _: &datafusion::common::config::ConfigOptions,
    ) -> Result<LogicalPlan> {
        let budget = std::cell::Cell::new(MAX_GUARD_NODES);
        crate::dialect::rewrite_plan(plan, |e, schema| {
            let Expr::BinaryExpr(BinaryExpr { left, op, right }) = e else {
                return Ok(Transformed::no(e));
            };
            let and = match op {
                Operator::And => true,
                Operator::Or => false,
                _ => {
                    return Ok(Transformed::no(Expr::BinaryExpr(BinaryExpr {
                        left,
                        op,
                        right,
                    })))
                }
            };
            let original = |left, right| {
                Ok(Transformed::no(Expr::BinaryExpr(BinaryExpr {
                    left,
                    op,
                    right,
                })))
            };
            // A condition is moved into the guard, not copied: only a subquery or an outer
            // query's column (which DataFusion could not plan there) keeps it out.
            let guarded = |c: &Expr| may_fail(c, schema) && !c.contains_outer() && !has_subquery(c);
            let mut conditions = Vec::new();
            chain(&right, op, &mut conditions);
            let can_fail: Vec<bool> = conditions.iter().map(|c| guarded(c)).collect();
            if budget.get() == 0 || !can_fail.contains(&true) {
                return original(left, right);
            }
            let guard = answer(&left, and, schema);
            let size = nodes(&guard);
            // A guard of nothing but `true` (a left side none of which can be copied) guards
            // nothing.
            if size > budget.get()
                || matches!(&guard, Expr::Literal(ScalarValue::Boolean(Some(true)), _))
            {
                return original(left, right);
            }
            budget.set(budget.get() - size);
            let mut conditions = Vec::new();
            into_chain(*right, op, &mut conditions);
            let (mut fallible, mut total) = (Vec::new(), Vec::new());
            for (c, fails) in conditions.into_iter().zip(can_fail) {
                if fails {
                    fallible.push(c);
                } else {
                    total.push(c);
                }
            }
            // Where the guard is false, the left side decides: false for AND, true for OR.
            let fallible = lazily(guard, true, joined(fallible, op), !and);
            let right = if total.is_empty() {
                fallible
            } else {
                binary(joined(total, op), op, fallible)
            };
            Ok(Transformed::yes(binary(*left, op, right)))
        })
    }
}

/// The marker function: its argument, unchanged.
fn needed_udf() -> Arc<ScalarUDF> {
    static UDF: std::sync::LazyLock<Arc<ScalarUDF>> = std::sync::LazyLock::new(|| {
        Arc::new(Func::new(NEEDED, 1..=1, returns_bool, |a| Ok(Arc::clone(&a[0]))).udf())
    });
    Arc::clone(&UDF)
}

/// `CASE trino_needed(first) WHEN when THEN then ELSE otherwise END`: `then` read only where
/// `first` (never NULL) is `when`.
fn lazily(first: Expr, when: bool, then: Expr, otherwise: bool) -> Expr {
    Expr::Case(Case {
        expr: Some(Box::new(Expr::ScalarFunction(ScalarFunction::new_udf(
            needed_udf(),
            vec![first],
        )))),
        when_then_expr: vec![(Box::new(boolean(when)), Box::new(then))],
        else_expr: Some(Box::new(boolean(otherwise))),
    })
}

fn boolean(b: bool) -> Expr {
    Expr::Literal(ScalarValue::Boolean(Some(b)), None)
}

fn binary(left: Expr, op: Operator, right: Expr) -> Expr {
    Expr::BinaryExpr(BinaryExpr {
        left: Box::new(left),
        op,
        right: Box::new(right),
    })
}

/// `parts` joined by `op` as a balanced tree (a chain as deep as it is long would overflow the
/// stack of the passes that walk it).
fn joined(mut parts: Vec<Expr>, op: Operator) -> Expr {
    if parts.len() <= 1 {
        return parts.pop().unwrap_or_else(|| boolean(op == Operator::And));
    }
    let right = parts.split_off(parts.len() / 2);
    binary(joined(parts, op), op, joined(right, op))
}

/// The conditions of `e`'s chain of `op`, in order (a guard's among them as one).
fn chain<'a>(e: &'a Expr, op: Operator, out: &mut Vec<&'a Expr>) {
    match e {
        Expr::BinaryExpr(BinaryExpr { left, op: o, right }) if *o == op => {
            chain(left, op, out);
            chain(right, op, out);
        }
        other => out.push(other),
    }
}

/// [`chain`], taking `e` apart.
fn into_chain(e: Expr, op: Operator, out: &mut Vec<Expr>) {
    match e {
        Expr::BinaryExpr(BinaryExpr { left, op: o, right }) if o == op => {
            into_chain(*left, op, out);
            into_chain(*right, op, out);
        }
        other => out.push(other),
    }
}

/// The conditions of `e`'s chain of `op` as the statement wrote them: guards of that chain
/// taken apart too.
fn written<'a>(e: &'a Expr, op: Operator, out: &mut Vec<&'a Expr>) {
    match e {
        Expr::BinaryExpr(BinaryExpr { left, op: o, right }) if *o == op => {
            written(left, op, out);
            written(right, op, out);
        }
        e => match held(e, op == Operator::And) {
            Some(inner) => written(inner, op, out),
            None => out.push(e),
        },
    }
}

/// What a guard of a chain of `AND`s (`and`) or `OR`s holds: `CASE trino_needed(g) WHEN true
/// THEN x ELSE false END` (`ELSE true` for `OR`).
fn held(e: &Expr, and: bool) -> Option<&Expr> {
    let Expr::Case(c) = e else {
        return None;
    };
    let marked = matches!(
        c.expr.as_deref(),
        Some(Expr::ScalarFunction(f)) if f.name() == NEEDED
    );
    let is =
        |e: &Expr, b: bool| matches!(e, Expr::Literal(ScalarValue::Boolean(Some(v)), _) if *v == b);
    match (c.when_then_expr.as_slice(), c.else_expr.as_deref()) {
        ([(when, then)], Some(otherwise)) if marked && is(when, true) && is(otherwise, !and) => {
            Some(then)
        }
        _ => None,
    }
}

/// `e IS NOT FALSE` (`polarity`) or `e IS NOT TRUE`, never NULL, evaluating each part of `e`
/// only where Trino evaluates it (or on fewer rows): `x AND y` is not false where neither is,
/// `y` read where `x` is not false; `x OR y` where `x` is not false, or else `y` is not; `NOT x`
/// where `x` is not true; `x IS TRUE` where `x IS NOT TRUE` is false, and so on.
fn answer(e: &Expr, polarity: bool, schema: &DFSchema) -> Expr {
    match e {
        Expr::BinaryExpr(BinaryExpr { op, .. }) if matches!(op, Operator::And | Operator::Or) => {
            let mut parts = Vec::new();
            written(e, *op, &mut parts);
            // `x AND y` is not false where both are not false; not true where either is not
            // true; `x OR y` the other way round.
            let all = (*op == Operator::And) == polarity;
            lazy_chain(&parts, all, polarity, schema)
        }
        Expr::Not(x) => answer(x, !polarity, schema),
        // `true` leaves the answer open; negated below, it would decide it.
        e if !copyable(e) => boolean(true),
        // These are never NULL: `x IS TRUE` is not false where `x IS NOT TRUE` is false...
        Expr::IsTrue(x) if polarity => answer(x, false, schema).not(),
        Expr::IsTrue(x) => answer(x, false, schema),
        Expr::IsFalse(x) if polarity => answer(x, true, schema).not(),
        Expr::IsFalse(x) => answer(x, true, schema),
        Expr::IsNotTrue(x) if polarity => answer(x, false, schema),
        Expr::IsNotTrue(x) => answer(x, false, schema).not(),
        Expr::IsNotFalse(x) if polarity => answer(x, true, schema),
        Expr::IsNotFalse(x) => answer(x, true, schema).not(),
        e if polarity => Expr::IsNotFalse(Box::new(e.clone())),
        e => Expr::IsNotTrue(Box::new(e.clone())),
    }
}

/// Whether all (`all`) or any of `parts` answer [`answer`]`(_, polarity)`, each part read only
/// where those before it leave the answer open; a balanced tree of parts, so that it is no
/// deeper than the chain was.
fn lazy_chain(parts: &[&Expr], all: bool, polarity: bool, schema: &DFSchema) -> Expr {
    match parts {
        [] => boolean(all),
        [one] => answer(one, polarity, schema),
        _ => {
            let (first, rest) = parts.split_at(parts.len() / 2);
            let first = lazy_chain(first, all, polarity, schema);
            let rest_fails = rest.iter().any(|p| may_fail(p, schema));
            let rest = lazy_chain(rest, all, polarity, schema);
            // All: the rest where the first holds; any: where it does not.
            match (rest_fails, all) {
                (true, true) => lazily(first, true, rest, false),
                (true, false) => lazily(first, false, rest, true),
                (false, true) => first.and(rest),
                (false, false) => first.or(rest),
            }
        }
    }
}

/// Whether `e` can be copied into a guard: it reads no subquery (a copy inside a CASE could not
/// be planned), no outer query's column (a correlation DataFusion could not take apart) and no
/// volatile function (a copy would draw again).
fn copyable(e: &Expr) -> bool {
    !e.is_volatile() && !e.contains_outer() && !has_subquery(e)
}

/// How many expression nodes `e` holds.
fn nodes(e: &Expr) -> usize {
    let mut n = 0usize;
    let _ = e.apply(|_| {
        n = n.saturating_add(1);
        Ok(TreeNodeRecursion::Continue)
    });
    n
}

/// Whether `e` holds a subquery.
fn has_subquery(e: &Expr) -> bool {
    e.exists(|x| {
        Ok(matches!(
            x,
            Expr::ScalarSubquery(_) | Expr::InSubquery(_) | Expr::Exists(_)
        ))
    })
    .unwrap_or(true)
}

/// Whether evaluating `e` on some row could fail the query: a subscript, a cast that can
/// fail, a division, decimal arithmetic, a pattern read from a column, or a call to a function
/// not known to be total ([`TOTAL`]). What reads no column is a constant, the same on every
/// row (`now() - interval '1' day`): the left side cannot spare it, and guarding it would hide
/// its condition from pruning. `try(...)` catches its failures.
fn may_fail(e: &Expr, schema: &DFSchema) -> bool {
    let mut found = false;
    let _ = e.apply(|sub| {
        if matches!(sub, Expr::HigherOrderFunction(f) if f.func.name() == super::TRY) {
            return Ok(TreeNodeRecursion::Jump);
        }
        let fallible = match sub {
            Expr::ScalarFunction(f) => !total_call(f, schema),
            Expr::HigherOrderFunction(f) => !TOTAL_LAMBDAS.contains(&f.func.name()),
            Expr::Cast(c) => c
                .expr
                .get_type(schema)
                .map_or(true, |from| cast_may_fail(&from, c.field.data_type())),
            Expr::Like(l) | Expr::SimilarTo(l) => !matches!(l.pattern.as_ref(), Expr::Literal(..)),
            Expr::BinaryExpr(b) => match b.op {
                Operator::Divide | Operator::Modulo => true,
                Operator::Plus | Operator::Minus | Operator::Multiply => matches!(
                    sub.get_type(schema),
                    Ok(DataType::Decimal128(..) | DataType::Decimal256(..)) | Err(_)
                ),
                Operator::RegexMatch
                | Operator::RegexIMatch
                | Operator::RegexNotMatch
                | Operator::RegexNotIMatch => !matches!(b.right.as_ref(), Expr::Literal(..)),
                _ => false,
            },
            _ => false,
        };
        found = fallible && !is_constant(sub);
        Ok(if found {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    });
    found
}

/// Whether `e` reads nothing that changes from row to row: no column, lambda parameter or
/// subquery.
fn is_constant(e: &Expr) -> bool {
    !e.exists(|x| {
        Ok(matches!(
            x,
            Expr::Column(_)
                | Expr::OuterReferenceColumn(..)
                | Expr::LambdaVariable(_)
                | Expr::ScalarSubquery(_)
                | Expr::InSubquery(_)
                | Expr::Exists(_)
        ) || x.is_volatile_node())
    })
    .unwrap_or(true)
}

/// Whether a call cannot fail (given arguments that do not): one of [`TOTAL`]; `element_at`
/// of a map, or of an array at a constant position other than 0 (position 0 fails, as in
/// Trino); `regexp_like` with a constant pattern; `cardinality` of an array or a map (of a
/// sketch it reads the sketch's bytes); and `json_extract[_scalar]` with a constant path that
/// parses (a document that does not parse is NULL, a path that does not fails).
fn total_call(f: &ScalarFunction, schema: &DFSchema) -> bool {
    let first = || f.args.first().map(|c| c.get_type(schema));
    match f.name() {
        name if TOTAL.contains(&name) => true,
        "element_at" => match (first(), f.args.get(1)) {
            (Some(Ok(DataType::Map(..))), _) => true,
            (Some(Ok(_)), Some(Expr::Literal(v, _))) => {
                !v.is_null() && ScalarValue::new_zero(&v.data_type()).is_ok_and(|zero| &zero != v)
            }
            _ => false,
        },
        "cardinality" => matches!(
            first(),
            Some(Ok(DataType::Map(..)
                | DataType::List(_)
                | DataType::LargeList(_)
                | DataType::FixedSizeList(..)))
        ),
        // A pattern compiled once; one computed per row may not compile.
        "regexp_like" => matches!(f.args.get(1), Some(Expr::Literal(..))),
        "json_extract" | "json_extract_scalar" => match f.args.get(1) {
            Some(Expr::Literal(
                ScalarValue::Utf8(Some(p))
                | ScalarValue::LargeUtf8(Some(p))
                | ScalarValue::Utf8View(Some(p)),
                _,
            )) => super::json_path_steps(p).is_ok(),
            _ => false,
        },
        _ => false,
    }
}

/// Whether a cast of a `from` value to `to` can fail: anything but a cast to text (of
/// anything but bytes, which may not be UTF-8), a cast to the same type, and an integer
/// widened to a bigint or a double.
fn cast_may_fail(from: &DataType, to: &DataType) -> bool {
    let widening = from.is_integer()
        && !matches!(from, DataType::UInt64)
        && matches!(to, DataType::Int64 | DataType::Float64);
    let bytes = matches!(
        from,
        DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
            | DataType::FixedSizeBinary(_)
    );
    let to_text = matches!(
        to,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    );
    !(from == to || widening || from == &DataType::Null || to_text && !bytes)
}

#[cfg(test)]
mod tests {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::logical_expr::{Expr, LogicalPlan};

    fn ctx() -> datafusion::prelude::SessionContext {
        let clock = crate::clock::Clock::new(&crate::clock::ClockSpec::Real, None);
        super::super::context(datafusion::prelude::SessionConfig::new(), &clock)
    }

    /// `sql` planned as the service plans it (long chains balanced first), and its plan after
    /// the analyzer's rules.
    async fn planned(
        ctx: &datafusion::prelude::SessionContext,
        sql: &str,
    ) -> (LogicalPlan, LogicalPlan) {
        let sql = crate::sql::prepare(sql, &[]).expect("prepares").sql;
        let plan = crate::dialect::plan(&ctx.state(), &sql)
            .await
            .expect("plans");
        let analyzed = ctx
            .state()
            .analyzer()
            .execute_and_check(plan.clone(), ctx.state().config_options(), |_, _| {})
            .expect("analyzes");
        (plan, analyzed)
    }

    /// The analyzed plan's text, and the query's answer (or Trino's words for its failure).
    async fn run(sql: &str) -> (String, Result<String, String>) {
        let ctx = ctx();
        let (plan, analyzed) = planned(&ctx, sql).await;
        let answer = async {
            let batches = ctx
                .execute_logical_plan(plan)
                .await
                .map_err(|e| crate::exec::message(&e))?
                .collect()
                .await
                .map_err(|e| crate::exec::message(&e))?;
            let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
                .map_err(|e| e.to_string())?;
            Ok(text.to_string())
        }
        .await;
        let text = analyzed.display_indent().to_string();
        (text, answer)
    }

    const ROWS: &str = "WITH t(s, a) AS (VALUES ('1', ARRAY[ROW('x', 'y')]), \
                        ('z', ARRAY[ROW('z', 'w')]))";

    #[tokio::test]
    async fn a_failing_right_side_is_read_only_where_the_left_does_not_decide() {
        let (_, got) = run(&format!(
            "{ROWS} SELECT count_if(s = '1' AND CAST(s AS integer) = 1), \
             count_if(s <> '1' OR CAST(s AS integer) = 1) FROM t"
        ))
        .await;
        assert!(
            got.as_deref()
                .is_ok_and(|t| t.contains("| 1 ") && t.contains("| 2 ")),
            "{got:?}"
        );
        let (_, got) = run(&format!(
            "{ROWS} SELECT count_if(CAST(s AS integer) = 1) FROM t"
        ))
        .await;
        assert_eq!(got, Err("Cannot cast 'z' to INT".into()));
        // In a lambda, element by element.
        let (_, got) = run(&format!(
            "{ROWS} SELECT count_if(any_match(a, r -> r[1] = 'x' AND CAST(r[2] AS integer) > 1)) \
             FROM t"
        ))
        .await;
        assert_eq!(got, Err("Cannot cast 'y' to INT".into()));
        let (_, got) = run(&format!(
            "{ROWS} SELECT count_if(any_match(a, r -> r[1] = 'q' AND CAST(r[2] AS integer) > 1)) \
             FROM t"
        ))
        .await;
        assert!(got.as_deref().is_ok_and(|t| t.contains("| 0 ")), "{got:?}");
    }

    /// Guards beside a lambda, in a nullable column of a subquery's aggregate; a constant
    /// condition is left in view.
    #[tokio::test]
    async fn guards_keep_types_lambdas_and_constants() {
        let (_, got) = run(&format!(
            "{ROWS} SELECT count(*) FROM t WHERE s = '1' AND any_match(a, r -> r[1] = 'x') \
             AND CAST(s AS integer) > 0"
        ))
        .await;
        assert!(got.as_deref().is_ok_and(|t| t.contains("| 1 ")), "{got:?}");
        let (_, got) = run(&format!(
            "{ROWS} SELECT ok, count(*) FROM (SELECT c > 1 AND 100 / (c - 1) > 1 AS ok \
             FROM (SELECT count(*) AS c FROM t GROUP BY s)) GROUP BY ok"
        ))
        .await;
        assert!(
            got.as_deref().is_ok_and(|t| t.contains("| false | 2 ")),
            "{got:?}"
        );
        let (plan, got) = run(&format!(
            "{ROWS} SELECT count(*) FROM t WHERE s = '1' AND CAST(s AS integer) = 1 \
             AND now() > TIMESTAMP '2000-01-01 00:00:00'"
        ))
        .await;
        assert!(got.as_deref().is_ok_and(|t| t.contains("| 1 ")), "{got:?}");
        assert_eq!(plan.matches(super::NEEDED).count(), 1, "{plan}");
        // Read through IS TRUE, and through coalesce copied whole.
        let (_, got) = run(&format!(
            "{ROWS} SELECT count(*) FROM t WHERE (s = '1' AND CAST(s AS integer) = 1) IS TRUE \
             AND coalesce(s = '1' AND CAST(s AS integer) = 1, false) AND CAST(s AS integer) = 1"
        ))
        .await;
        assert!(got.as_deref().is_ok_and(|t| t.contains("| 1 ")), "{got:?}");
    }

    const ONE: &str = "WITH t(s) AS (VALUES ('1'))";

    fn plan_size(plan: &str) -> usize {
        plan.matches(super::NEEDED).count()
    }

    /// A chain of `n` conditions that can fail makes guards of about `n log n` conditions,
    /// however the chain nests: balanced (as long chains are), and AND and OR alternating,
    /// where copying each left side whole would double the plan at every level.
    #[tokio::test]
    async fn guards_stay_small() {
        let mut sizes = Vec::new();
        for n in [200, 400] {
            let chain = (0..n)
                .map(|i| format!("CAST(s AS integer) < {}", i + 2))
                .collect::<Vec<_>>()
                .join(" AND ");
            let (plan, got) = run(&format!(
                "{ONE} SELECT count_if(s = '1' AND {chain}) FROM t"
            ))
            .await;
            assert!(got.as_deref().is_ok_and(|t| t.contains("| 1 ")), "{got:?}");
            sizes.push(plan_size(&plan));
        }
        assert!(sizes[0] > 0 && sizes[1] < 3 * sizes[0], "{sizes:?}");
        // ((((s = '1' AND f0) OR f1) AND f2) OR f3) ...: thirty levels.
        let mut e = "s = '1'".to_string();
        for i in 0..30 {
            let op = if i % 2 == 0 { "AND" } else { "OR" };
            e = format!("({e} {op} CAST(s AS integer) > {})", i % 3);
        }
        let (plan, got) = run(&format!("{ONE} SELECT count_if({e}) FROM t")).await;
        assert!(got.is_ok(), "{got:?}");
        assert!(plan_size(&plan) < 2_000, "{}", plan_size(&plan));
        // As long a chain as Lake's 10,000 characters hold.
        let chain = (0..350)
            .map(|i| format!("CAST(s AS integer) = {i}"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let (_, got) = run(&format!("{ONE} SELECT count_if(s = 'x' OR {chain}) FROM t")).await;
        assert!(got.as_deref().is_ok_and(|t| t.contains("| 1 ")), "{got:?}");
    }

    /// The nodes of each guard in `e`, counted as the rule counts them (not again inside
    /// another).
    fn guard_nodes(e: &Expr) -> usize {
        if let Expr::Case(c) = e {
            if let Some(Expr::ScalarFunction(marked)) = c.expr.as_deref() {
                return marked.args.iter().map(super::nodes).sum::<usize>()
                    + c.when_then_expr
                        .iter()
                        .map(|(_, then)| guard_nodes(then))
                        .sum::<usize>();
            }
        }
        let mut n = 0;
        let _ = e.apply_children(|c| {
            n += guard_nodes(c);
            Ok(TreeNodeRecursion::Continue)
        });
        n
    }
    /// Guards stop growing at [`super::MAX_GUARD_NODES`]: a chain of 5,000 conditions (an
    /// Athena statement can be that long) keeps the rest as DataFusion reads them.
    #[tokio::test]
    async fn guards_stop_at_their_budget() {
        let ctx = ctx();
        let chain = (0..5_000)
            .map(|i| format!("CAST(s AS integer) = {i}"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let (_, analyzed) = planned(
            &ctx,
            &format!("{ONE} SELECT count_if(s = 'x' OR {chain}) FROM t"),
        )
        .await;
        let mut total = 0usize;
        let _ = analyzed.apply(|node| {
            node.apply_expressions(|e| {
                total += guard_nodes(e);
                Ok(TreeNodeRecursion::Continue)
            })
        });
        assert!(total > super::MAX_GUARD_NODES / 2, "{total}");
        assert!(total <= super::MAX_GUARD_NODES, "{total}");
    }
}
