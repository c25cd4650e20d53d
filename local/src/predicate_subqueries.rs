//! `x IN (subquery)` and `EXISTS (subquery)` in a SELECT list or a GROUP BY key (`SELECT
//! sourceIPAddress IN (SELECT ...) AS known FROM ...`), which Trino evaluates and DataFusion 55
//! cannot: it decorrelates such subqueries only in WHERE, and its physical planner refuses them
//! elsewhere.
//!
//! [`PredicateSubqueries`] rewrites each one in a projection (a GROUP BY key is computed by a
//! projection below its aggregate) as scalar subqueries of counts, which DataFusion's optimizer
//! turns into joins (correlated ones too, where the correlation is an equality, with its
//! "count bug" compensation); a subquery's ORDER BY, and an EXISTS's LIMIT, are dropped, as
//! they change nothing here. Other shapes (an inequality correlation, an IN or EXISTS inside an
//! aggregate's argument, GROUPING SETS, a window) are left, and fail with a plain message
//! (`crate::exec::message`):
//! - `EXISTS (s)` is `(SELECT count(*) FROM s) > 0`;
//! - `x IN (s)`, with SQL's three-valued logic, is `CASE WHEN (SELECT count(*) FROM s WHERE y =
//!   x) > 0 THEN true WHEN <s is empty> THEN false WHEN x IS NULL OR <s has a NULL> THEN NULL
//!   ELSE false END`, where the second subquery answers 0 for an empty `s`, 1 for one with a
//!   NULL and 2 otherwise;
//! - `NOT` of either is the negation of that; and over an aggregate without GROUP BY (one
//!   row), EXISTS is true and `x IN (q)` is `x = (q)`.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema, ExprSchema, Result, ScalarValue};
use datafusion::config::ConfigOptions;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::expr::{Exists, InSubquery};
use datafusion::logical_expr::{
    case, lit, scalar_subquery, when, Aggregate, Expr, LogicalPlan, LogicalPlanBuilder, Projection,
    Subquery,
};
use datafusion::optimizer::AnalyzerRule;

/// Names for the IN subqueries' aliases, unique in the process.
static ALIASES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The analyzer rule (see the module's documentation); it runs after type coercion, which has
/// given `x` and the subquery's column one type.
#[derive(Debug, Default)]
pub struct PredicateSubqueries;

impl AnalyzerRule for PredicateSubqueries {
    fn analyze(&self, plan: LogicalPlan, _: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|p| match p {
            LogicalPlan::Aggregate(a)
                if a.group_expr.iter().any(has_predicate_subquery)
                    && !a
                        .group_expr
                        .iter()
                        .any(|g| matches!(g, Expr::GroupingSet(_))) =>
            {
                Ok(Transformed::yes(grouped_below(a)?))
            }
            LogicalPlan::Projection(projection)
                if projection.expr.iter().any(has_predicate_subquery) =>
            {
                Ok(Transformed::yes(rewrite_projection(projection)?))
            }
            other => Ok(Transformed::no(other)),
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "trailwatch_predicate_subqueries"
    }
}

/// An aggregate grouping by an expression with IN or EXISTS, as one grouping by a column that
/// a projection below computes (which the rule then rewrites): `GROUP BY CASE WHEN x IN (...)
/// ...` keeps its name.
fn grouped_below(a: Aggregate) -> Result<LogicalPlan> {
    let input = Arc::clone(&a.input);
    let mut below: Vec<Expr> = input
        .schema()
        .iter()
        .map(|(q, f)| Expr::Column(Column::new(q.cloned(), f.name())))
        .collect();
    let mut groups = Vec::with_capacity(a.group_expr.len());
    for (i, g) in a.group_expr.into_iter().enumerate() {
        if !has_predicate_subquery(&g) {
            groups.push(g);
            continue;
        }
        let name = g.schema_name().to_string();
        let computed = format!("__trailwatch_group_{i}");
        below.push(g.alias(computed.clone()));
        groups.push(Expr::Column(Column::from_name(computed)).alias(name));
    }
    let projected = rewrite_projection(Projection::try_new(below, input)?)?;
    Ok(LogicalPlan::Aggregate(Aggregate::try_new(
        Arc::new(projected),
        groups,
        a.aggr_expr,
    )?))
}

/// A projection with each IN and EXISTS rewritten, its items keeping their names.
fn rewrite_projection(projection: Projection) -> Result<LogicalPlan> {
    let input = Arc::clone(&projection.input);
    let schema = input.schema().as_ref().clone();
    let mut exprs = Vec::with_capacity(projection.expr.len());
    for e in projection.expr {
        if !has_predicate_subquery(&e) {
            exprs.push(e);
            continue;
        }
        // The output keeps its name (an unaliased item is named by its text).
        let name = e.schema_name().to_string();
        let rewritten = e.transform_up(|x| rewrite(x, &schema))?.data;
        exprs.push(match rewritten {
            aliased @ Expr::Alias(_) => aliased,
            other => other.alias(name),
        });
    }
    Ok(LogicalPlan::Projection(Projection::try_new(exprs, input)?))
}

fn has_predicate_subquery(e: &Expr) -> bool {
    e.exists(|x| Ok(matches!(x, Expr::InSubquery(_) | Expr::Exists(_))))
        .unwrap_or(false)
}

/// One IN or EXISTS as scalar subqueries; `schema` is the projection's input, whose columns
/// `x` refers to.
fn rewrite(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    Ok(match e {
        Expr::Exists(Exists { subquery, negated }) => {
            let plan = bare(&subquery.subquery, true);
            // An aggregate with no GROUP BY answers one row, whatever it reads.
            let exists = if single_row(&plan) {
                lit(true)
            } else {
                count_of(&plan, None)?.gt(lit(0i64))
            };
            Transformed::yes(if negated { !exists } else { exists })
        }
        Expr::InSubquery(InSubquery {
            expr,
            subquery,
            negated,
        }) => {
            let found = in_subquery(*expr, &subquery, schema)?;
            Transformed::yes(if negated { !found } else { found })
        }
        other => Transformed::no(other),
    })
}

/// The subquery without what cannot change its answer here and would keep DataFusion from
/// decorrelating it: its ORDER BY, and for EXISTS (`exists`) a LIMIT of at least one row.
fn bare(plan: &Arc<LogicalPlan>, exists: bool) -> Arc<LogicalPlan> {
    match plan.as_ref() {
        LogicalPlan::Sort(s) if s.fetch.is_none() => bare(&s.input, exists),
        LogicalPlan::Limit(l) if exists && limit_keeps_a_row(l) => bare(&l.input, exists),
        // `SELECT 1 ... ORDER BY t`: the sort sits under the projection that drops `t`.
        LogicalPlan::Projection(p) => match p.input.as_ref() {
            LogicalPlan::Sort(s) if s.fetch.is_none() => {
                Projection::try_new(p.expr.clone(), bare(&s.input, exists)).map_or_else(
                    |_| Arc::clone(plan),
                    |p| Arc::new(LogicalPlan::Projection(p)),
                )
            }
            _ => Arc::clone(plan),
        },
        _ => Arc::clone(plan),
    }
}

/// Whether a LIMIT lets at least one row through (and skips none).
fn limit_keeps_a_row(l: &datafusion::logical_expr::Limit) -> bool {
    use datafusion::logical_expr::FetchType;
    let skips = !matches!(
        l.get_skip_type(),
        Ok(datafusion::logical_expr::SkipType::Literal(0))
    );
    let fetch_ok = match l.get_fetch_type() {
        Ok(FetchType::Literal(Some(n))) => n >= 1,
        Ok(FetchType::Literal(None)) => true,
        _ => false,
    };
    !skips && fetch_ok
}

/// Whether `plan` always answers exactly one row: an aggregate without GROUP BY, under
/// projections and aliases.
fn single_row(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::Projection(p) => single_row(&p.input),
        LogicalPlan::SubqueryAlias(a) => single_row(&a.input),
        LogicalPlan::Aggregate(a) => a.group_expr.is_empty(),
        _ => false,
    }
}

/// `(SELECT count(*) FROM plan [WHERE filter])` as an expression.
fn count_of(plan: &Arc<LogicalPlan>, filter: Option<Expr>) -> Result<Expr> {
    let mut b = LogicalPlanBuilder::from(Arc::clone(plan).as_ref().clone());
    if let Some(f) = filter {
        b = b.filter(f)?;
    }
    let counted = b
        .aggregate(Vec::<Expr>::new(), vec![count(lit(1i64))])?
        .build()?;
    Ok(scalar_subquery(Arc::new(counted)))
}

/// `x IN (subquery)` with SQL's NULL rules, as scalar subqueries of counts.
fn in_subquery(x: Expr, subquery: &Subquery, schema: &DFSchema) -> Result<Expr> {
    // `x` seen from inside the subquery: its columns are the outer query's.
    let outer_x = x
        .clone()
        .transform_up(|e| match e {
            Expr::Column(c) => {
                let f = schema.field_from_column(&c)?;
                Ok(Transformed::yes(Expr::OuterReferenceColumn(f.clone(), c)))
            }
            other => Ok(Transformed::no(other)),
        })?
        .data;
    let plan = bare(&subquery.subquery, false);
    let (qualifier, field) = plan.schema().qualified_field(0);
    let y = Expr::Column(Column::new(qualifier.cloned(), field.name()));
    if single_row(&plan) {
        // One row: `x IN (q)` is `x = (q)`, NULL where either is.
        return Ok(x.eq(scalar_subquery(plan)));
    }
    // The subquery's column under a name of its own: `x IN (SELECT eventName FROM <the same
    // table>)` would otherwise compare the table's column with itself once DataFusion
    // decorrelates it. (A projection, which DataFusion pulls correlated filters through.)
    let n = ALIASES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let named = format!("__trailwatch_in_{n}");
    let plan = Arc::new(
        LogicalPlanBuilder::from(plan.as_ref().clone())
            .project(vec![y.alias(named.clone())])?
            .build()?,
    );
    let y = Expr::Column(Column::from_name(named));
    let matches = count_of(&plan, Some(y.clone().eq(outer_x)))?;
    // 0: no rows; 1: a NULL among them; 2: rows, none NULL.
    let rows = || Expr::Column(Column::from_name("rows"));
    let shape_plan = LogicalPlanBuilder::from(plan.as_ref().clone())
        .aggregate(
            Vec::<Expr>::new(),
            vec![count(lit(1i64)).alias("rows"), count(y).alias("values")],
        )?
        .project(vec![when(rows().eq(lit(0i64)), lit(0i64))
            .when(
                rows().gt(Expr::Column(Column::from_name("values"))),
                lit(1i64),
            )
            .otherwise(lit(2i64))?])?
        .build()?;
    let shape = scalar_subquery(Arc::new(shape_plan));
    let null = || lit(ScalarValue::Boolean(None));
    when(matches.gt(lit(0i64)), lit(true)).otherwise(
        case(shape)
            .when(lit(0i64), lit(false))
            .when(lit(1i64), null())
            .otherwise(when(x.is_null(), null()).otherwise(lit(false))?)?,
    )
}
