//! Trino's evaluation order for `AND` and `OR`. Trino evaluates the right side of `a AND b`
//! only where `a` is not false, and of `a OR b` only where `a` is not true, so `eventName =
//! 'CreateBucket' AND requestParameters['bucketName'] = 'x'` and `eventName = 'RunInstances'
//! AND CAST(json_extract_scalar(...) AS integer) > 5` run on Lake over events where the key is
//! missing or the text is not a number. DataFusion evaluates both sides of a batch unless the
//! left side alone decides most of it, and would fail such a query.

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

/// The mark on the condition of a [`ShortCircuit`] guard: `CASE trino_needed(c) WHEN true THEN
/// b ELSE false END`. No statement can call it; it tells the guards apart from a statement's
/// own CASEs.
const NEEDED: &str = "trino_needed";

/// The functions that cannot fail on any row when their arguments do not, so a condition that
/// calls only these needs no guard: among them everything the bundled checks call, whose
/// filters so stay as DataFusion plans them. (`element_at`, `cardinality`, `json_extract` and
/// `json_extract_scalar` only with some arguments, see [`total_call`].)
const TOTAL: [&str; 14] = [
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
    NEEDED,
];

/// The lambda functions that fail only where their lambda does (what they apply it to is
/// judged with the rest).
const TOTAL_LAMBDAS: [&str; 3] = ["array_transform", "array_filter", "array_any_match"];

/// Gives each condition on the right side of an `AND` that could fail a guard, `CASE
/// trino_needed(a IS NOT FALSE) WHEN true THEN b ELSE false END` (for `OR`: `a IS NOT TRUE`,
/// `ELSE true`): DataFusion evaluates a CASE's result only on the rows its condition selects,
/// and where the guard holds no `b`, `a` decides the row alone. The simple CASE form is kept
/// because DataFusion's simplifier turns a boolean `CASE WHEN` back into `AND`/`OR`.
///
/// The right side's own chain of the same operator (`x AND y` in `a AND (x AND y)`, which
/// [`crate::nesting::balance`] makes of a long chain) is guarded condition by condition, so
/// those that cannot fail stay in view of filter pushdown and pruning. A guard reads `a` as
/// its chain is evaluated, each condition only where those before it are not false
/// ([`needed`]), so it may fail only where `a` would, and a chain of conditions gives guards
/// as long as the chain before each, not doubling with each one.
///
/// A volatile `a` (`rand()`) would be drawn again, and a side that refers to an outer query
/// would make a correlation DataFusion cannot plan; a right side with a subquery is planned
/// apart by DataFusion: those are left as DataFusion reads them.
#[derive(Debug)]
pub struct ShortCircuit;

impl AnalyzerRule for ShortCircuit {
    fn name(&self) -> &str {
        "trino_short_circuit"
    }

    fn analyze(
        &self,
        plan: LogicalPlan,
        _: &datafusion::common::config::ConfigOptions,
    ) -> Result<LogicalPlan> {
        crate::dialect::rewrite_plan(plan, |e, schema| {
            let Expr::BinaryExpr(BinaryExpr { left, op, right }) = e else {
                return Ok(Transformed::no(e));
            };
            if !matches!(op, Operator::And | Operator::Or)
                || !may_fail(&right, schema)
                || left.is_volatile()
                || left.contains_outer()
                || right.contains_outer()
                || has_subquery(&right)
            {
                return Ok(Transformed::no(Expr::BinaryExpr(BinaryExpr {
                    left,
                    op,
                    right,
                })));
            }
            let guard = needed(&left, op, schema);
            let right = guard_conditions(*right, op, &guard, schema);
            Ok(Transformed::yes(Expr::BinaryExpr(BinaryExpr {
                left,
                op,
                right: Box::new(right),
            })))
        })
    }
}

/// The marker function: its argument, unchanged.
fn needed_udf() -> Arc<ScalarUDF> {
    Arc::new(Func::new(NEEDED, 1..=1, returns_bool, |a| Ok(Arc::clone(&a[0]))).udf())
}

/// `CASE trino_needed(guard) WHEN true THEN x ELSE otherwise END`.
fn guarded(guard: &Expr, x: Expr, otherwise: bool) -> Expr {
    Expr::Case(Case {
        expr: Some(Box::new(Expr::ScalarFunction(ScalarFunction::new_udf(
            needed_udf(),
            vec![guard.clone()],
        )))),
        when_then_expr: vec![(Box::new(boolean(true)), Box::new(x))],
        else_expr: Some(Box::new(boolean(otherwise))),
    })
}

fn boolean(b: bool) -> Expr {
    Expr::Literal(ScalarValue::Boolean(Some(b)), None)
}

/// `e`'s conditions joined by `op` (`e` itself if it is not such a chain), each guarded by
/// `guard` where it could fail.
fn guard_conditions(e: Expr, op: Operator, guard: &Expr, schema: &DFSchema) -> Expr {
    match e {
        Expr::BinaryExpr(BinaryExpr { left, op: o, right }) if o == op => {
            Expr::BinaryExpr(BinaryExpr {
                left: Box::new(guard_conditions(*left, op, guard, schema)),
                op,
                right: Box::new(guard_conditions(*right, op, guard, schema)),
            })
        }
        e if may_fail(&e, schema) => guarded(guard, e, op == Operator::Or),
        e => e,
    }
}

/// Where the right side of `a op b` is evaluated: `a IS NOT FALSE` for AND, `a IS NOT TRUE`
/// for OR, read as `a`'s chain of `op` is evaluated. `(x AND y) IS NOT FALSE` is `x IS NOT FALSE
/// AND y IS NOT FALSE`, with `y` read only where the first holds, as in `a` (and likewise
/// `IS NOT TRUE` of OR): the guards `a`'s conditions have are that same reading, so they are
/// taken out, and each condition that could fail is read under the ones before it instead.
fn needed(a: &Expr, op: Operator, schema: &DFSchema) -> Expr {
    let mut conditions = Vec::new();
    chain(a, op, &mut conditions);
    let test = |x: Expr| {
        if op == Operator::And {
            Expr::IsNotFalse(Box::new(x))
        } else {
            Expr::IsNotTrue(Box::new(x))
        }
    };
    let mut so_far: Option<Expr> = None;
    for c in conditions {
        let c = unguarded(c);
        let fails = may_fail(c, schema);
        let t = test(c.clone());
        so_far = Some(match so_far {
            None => t,
            Some(g) if fails => guarded(&g, t, false),
            Some(g) => g.and(t),
        });
    }
    so_far.unwrap_or_else(|| boolean(true))
}

/// The conditions of `e`'s chain of `op`, in order.
fn chain<'a>(e: &'a Expr, op: Operator, out: &mut Vec<&'a Expr>) {
    match e {
        Expr::BinaryExpr(BinaryExpr { left, op: o, right }) if *o == op => {
            chain(left, op, out);
            chain(right, op, out);
        }
        other => out.push(other),
    }
}

/// What the guards around `e` hold.
fn unguarded(mut e: &Expr) -> &Expr {
    while let Expr::Case(c) = e {
        let is_guard = matches!(
            c.expr.as_deref(),
            Some(Expr::ScalarFunction(f)) if f.name() == NEEDED
        ) && c.when_then_expr.len() == 1
            && matches!(
                c.else_expr.as_deref(),
                Some(Expr::Literal(ScalarValue::Boolean(Some(_)), _))
            );
        match c.when_then_expr.first() {
            Some((_, then)) if is_guard => e = then,
            _ => break,
        }
    }
    e
}

/// Whether `e` holds a subquery.
fn has_subquery(e: &Expr) -> bool {
    any(e, |sub| {
        matches!(
            sub,
            Expr::ScalarSubquery(_) | Expr::InSubquery(_) | Expr::Exists(_)
        )
    })
}

/// Whether any node of `e` is one `found` picks.
fn any(e: &Expr, mut found: impl FnMut(&Expr) -> bool) -> bool {
    let mut hit = false;
    let _ = e.apply(|sub| {
        hit = found(sub);
        Ok(if hit {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    });
    hit
}

/// Whether evaluating `e` on some row could fail the query: a subscript, a cast that can
/// fail, a division, decimal arithmetic, or a call to a function not known to be total
/// ([`TOTAL`]). A cast of a constant is folded while planning (and fails there, as Trino's
/// analyzer fails it); `try(...)` catches its failures.
fn may_fail(e: &Expr, schema: &DFSchema) -> bool {
    let mut found = false;
    let _ = e.apply(|sub| {
        if matches!(sub, Expr::HigherOrderFunction(f) if f.func.name() == super::TRY) {
            return Ok(TreeNodeRecursion::Jump);
        }
        found = match sub {
            Expr::ScalarFunction(f) => !total_call(f, schema),
            Expr::HigherOrderFunction(f) => !TOTAL_LAMBDAS.contains(&f.func.name()),
            Expr::Cast(c) => {
                !matches!(c.expr.as_ref(), Expr::Literal(..))
                    && c.expr
                        .get_type(schema)
                        .map_or(true, |from| cast_may_fail(&from, c.field.data_type()))
            }
            Expr::BinaryExpr(b) => match b.op {
                Operator::Divide | Operator::Modulo => true,
                Operator::Plus | Operator::Minus | Operator::Multiply => matches!(
                    sub.get_type(schema),
                    Ok(DataType::Decimal128(..) | DataType::Decimal256(..)) | Err(_)
                ),
                _ => false,
            },
            _ => false,
        };
        Ok(if found {
            TreeNodeRecursion::Stop
        } else {
            TreeNodeRecursion::Continue
        })
    });
    found
}

/// Whether a call cannot fail (given arguments that do not): one of [`TOTAL`]; `element_at`
/// of a map, or of an array at a constant position other than 0 (position 0 fails, as in
/// Trino); `regexp_like` with a constant pattern; `cardinality` of an array or a map (of a sketch it reads the sketch's bytes); and
/// `json_extract[_scalar]` with a constant path that parses (a document that does not parse
/// is NULL, a path that does not fails).
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
    fn ctx() -> datafusion::prelude::SessionContext {
        let clock = crate::clock::Clock::new(&crate::clock::ClockSpec::Real, None);
        super::super::context(datafusion::prelude::SessionConfig::new(), &clock)
    }

    /// The analyzed plan's text, and the query's answer (or Trino's words for its failure).
    async fn run(sql: &str) -> (String, Result<String, String>) {
        let ctx = ctx();
        let plan = crate::dialect::plan(&ctx.state(), sql)
            .await
            .expect("plans");
        let analyzed = ctx
            .state()
            .analyzer()
            .execute_and_check(plan.clone(), ctx.state().config_options(), |_, _| {})
            .expect("analyzes");
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

    /// Guards beside a lambda, in a nullable column of a subquery's aggregate, and around a
    /// constant that fails.
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
        let (_, got) = run(&format!(
            "{ROWS} SELECT count(*) FROM t WHERE s = '1' OR (s = 'q' AND 1 / 0 = 1)"
        ))
        .await;
        assert!(got.as_deref().is_ok_and(|t| t.contains("| 1 ")), "{got:?}");
    }

    /// Each guard holds the conditions before it once, their own guards taken out: the plan
    /// grows at most with the square of the chain's length (each condition's guard as long as
    /// the chain before it), not doubling per condition.
    #[tokio::test]
    async fn guards_grow_with_the_chain_not_doubling() {
        let mut sizes = Vec::new();
        for n in [10, 20] {
            let chain = (0..n)
                .map(|i| format!("CAST(s AS integer) > {i}"))
                .collect::<Vec<_>>()
                .join(" AND ");
            let (plan, got) = run(&format!(
                "{ROWS} SELECT count_if(s = '1' AND {chain}) FROM t"
            ))
            .await;
            assert!(got.is_ok(), "{got:?}");
            assert!(plan.matches(super::NEEDED).count() >= n, "{plan}");
            sizes.push(plan.len());
        }
        assert!(sizes[1] < 6 * sizes[0], "{sizes:?}");
    }
}
