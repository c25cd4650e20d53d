//! `x IN (subquery)` and `EXISTS (subquery)` in a SELECT list (`SELECT sourceIPAddress IN
//! (SELECT ...) AS known FROM ...`), which Trino evaluates and DataFusion 55 cannot: it
//! decorrelates such subqueries only in WHERE, and its physical planner refuses them elsewhere.
//!
//! [`PredicateSubqueries`] rewrites each one in a projection as scalar subqueries of counts,
//! which DataFusion's optimizer turns into joins (correlated ones too, with its "count bug"
//! compensation):
//! - `EXISTS (s)` is `(SELECT count(*) FROM s) > 0`;
//! - `x IN (s)`, with SQL's three-valued logic, is `CASE WHEN (SELECT count(*) FROM s WHERE y =
//!   x) > 0 THEN true WHEN <s is empty> THEN false WHEN x IS NULL OR <s has a NULL> THEN NULL
//!   ELSE false END`, where the second subquery answers 0 for an empty `s`, 1 for one with a
//!   NULL and 2 otherwise;
//! - `NOT` of either is the negation of that.

use std::sync::Arc;

use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema, ExprSchema, Result, ScalarValue};
use datafusion::config::ConfigOptions;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::expr::{Exists, InSubquery};
use datafusion::logical_expr::{
    lit, scalar_subquery, when, Aggregate, Expr, LogicalPlan, LogicalPlanBuilder, Projection,
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
            LogicalPlan::Aggregate(a) if a.group_expr.iter().any(has_predicate_subquery) => {
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
            let rows = count_of(&subquery.subquery, None)?;
            Transformed::yes(if negated {
                rows.eq(lit(0i64))
            } else {
                rows.gt(lit(0i64))
            })
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
    // The subquery under a name of its own: `x IN (SELECT eventName FROM <the same table>)`
    // would otherwise compare the table's column with itself once DataFusion decorrelates it.
    let n = ALIASES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let plan = &Arc::new(
        LogicalPlanBuilder::from(subquery.subquery.as_ref().clone())
            .alias(format!("__trailwatch_in_{n}"))?
            .build()?,
    );
    let (qualifier, field) = plan.schema().qualified_field(0);
    let y = Expr::Column(Column::new(qualifier.cloned(), field.name()));
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
    let matches = count_of(plan, Some(y.clone().eq(outer_x)))?;
    // 0: no rows; 1: a NULL among them; 2: rows, none NULL.
    let shape_plan = LogicalPlanBuilder::from(plan.as_ref().clone())
        .aggregate(
            Vec::<Expr>::new(),
            vec![count(lit(1i64)).alias("rows"), count(y).alias("values")],
        )?
        .project(vec![when(
            Expr::Column(Column::from_name("rows")).eq(lit(0i64)),
            lit(0i64),
        )
        .when(
            Expr::Column(Column::from_name("rows")).gt(Expr::Column(Column::from_name("values"))),
            lit(1i64),
        )
        .otherwise(lit(2i64))?])?
        .build()?;
    let shape = scalar_subquery(Arc::new(shape_plan));
    when(matches.gt(lit(0i64)), lit(true))
        .when(shape.clone().eq(lit(0i64)), lit(false))
        .when(
            x.is_null().or(shape.eq(lit(1i64))),
            lit(ScalarValue::Boolean(None)),
        )
        .otherwise(lit(false))
}
