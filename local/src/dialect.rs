//! The SQL dialect Lake statements are parsed in: sqlparser's generic dialect (which DataFusion
//! plans by default) with Trino's lambda expressions (`transform(resources, r -> r.arn)`), which
//! the generic dialect does not parse. It answers every other question as the generic dialect
//! does, and names itself as that dialect, so the parser's dialect checks treat it the same.

use std::any::TypeId;

use datafusion::error::DataFusionError;
use datafusion::execution::SessionState;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::DFParserBuilder;
use datafusion::sql::sqlparser::dialect::{Dialect, GenericDialect};

/// Generic SQL plus lambdas.
#[derive(Debug, Default, Clone, Copy)]
pub struct LakeDialect;

/// Answers `names` as [`GenericDialect`] does.
macro_rules! as_generic {
    ($($name:ident),* $(,)?) => {
        $(fn $name(&self) -> bool {
            GenericDialect.$name()
        })*
    };
}

impl Dialect for LakeDialect {
    fn dialect(&self) -> TypeId {
        TypeId::of::<GenericDialect>()
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        GenericDialect.is_delimited_identifier_start(ch)
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        GenericDialect.is_identifier_start(ch)
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        GenericDialect.is_identifier_part(ch)
    }

    fn supports_lambda_functions(&self) -> bool {
        true
    }

    as_generic!(
        supports_unicode_string_literal,
        supports_partition_by_after_order_by,
        supports_array_join_syntax,
        supports_group_by_expr,
        supports_group_by_with_modifier,
        supports_left_associative_joins_without_parens,
        supports_connect_by,
        supports_match_recognize,
        supports_pipe_operator,
        supports_start_transaction_modifier,
        supports_window_function_null_treatment_arg,
        supports_dictionary_syntax,
        supports_window_clause_named_window_reference,
        supports_parenthesized_set_variables,
        supports_select_wildcard_except,
        support_map_literal_syntax,
        allow_extract_custom,
        allow_extract_single_quotes,
        supports_extract_comma_syntax,
        supports_create_view_comment_syntax,
        supports_parens_around_table_factor,
        supports_values_as_table_factor,
        supports_create_index_with_clause,
        supports_explain_with_utility_options,
        supports_limit_comma,
        supports_update_order_by,
        supports_from_first_select,
        supports_projection_trailing_commas,
        supports_asc_desc_in_column_definition,
        supports_try_convert,
        supports_bitwise_shift_operators,
        supports_comment_on,
        supports_load_extension,
        supports_named_fn_args_with_assignment_operator,
        supports_struct_literal,
        supports_empty_projections,
        supports_nested_comments,
        supports_multiline_comment_hints,
        supports_user_host_grantee,
        supports_string_escape_constant,
        supports_array_typedef_with_brackets,
        supports_match_against,
        supports_set_names,
        supports_comma_separated_set_assignments,
        supports_filter_during_aggregation,
        supports_select_wildcard_exclude,
        supports_data_type_signed_suffix,
        supports_interval_options,
        supports_quote_delimited_string,
        supports_select_wildcard_replace,
        supports_select_wildcard_ilike,
        supports_select_wildcard_rename,
        supports_optimize_table,
        supports_install,
        supports_detach,
        supports_prewhere,
        supports_with_fill,
        supports_limit_by,
        supports_interpolate,
        supports_settings,
        supports_select_format,
        supports_comment_optimizer_hint,
        supports_constraint_keyword_without_name,
        supports_key_column_option,
        supports_comma_separated_trim,
        supports_cte_without_as,
        supports_select_item_multi_column_alias,
        supports_xml_expressions
    );
}

/// [`plan`] on a planning thread (see [`crate::jobs::planning_runtime`]), whose stack holds
/// the deepest statement [`crate::nesting`] lets through.
pub async fn plan_on_deep_stack(
    state: SessionState,
    sql: String,
) -> datafusion::error::Result<datafusion::logical_expr::LogicalPlan> {
    crate::jobs::planning_runtime()
        .spawn(async move { plan(&state, &sql).await })
        .await
        .unwrap_or_else(|e| {
            Err(DataFusionError::Internal(format!(
                "planning ended without a plan: {e}"
            )))
        })
}

/// Plans `sql`, one statement, in `state`, parsed in the Lake dialect (as DataFusion's own
/// `create_logical_plan` does in its configured dialect).
pub async fn plan(
    state: &SessionState,
    sql: &str,
) -> datafusion::error::Result<datafusion::logical_expr::LogicalPlan> {
    let mut statements = DFParserBuilder::new(sql)
        .with_dialect(&LakeDialect)
        .with_recursion_limit(state.config().options().sql_parser.recursion_limit.get())
        .build()?
        .parse_statements()?;
    if statements.len() > 1 {
        return Err(DataFusionError::Plan(
            "only one SQL statement is allowed".into(),
        ));
    }
    let statement = statements
        .pop_front()
        .ok_or_else(|| DataFusionError::Plan("no SQL statement was given".into()))?;
    let plan = state.statement_to_plan(statement).await?;
    crate::analysis::check(state, &plan)?;
    Ok(plan)
}

/// Trino rounds a fractional number cast to an integer (half away from zero: `CAST(2.7 AS
/// BIGINT)` is 3, `CAST(-2.5 AS BIGINT)` is -3); DataFusion truncates. This analyzer rule runs
/// after DataFusion's type coercion (so every type is final) and gives each such cast in the plan,
/// subqueries included, a `round` first, keeping each expression's name, so that the nodes above
/// still find it.
#[derive(Debug, Default)]
pub struct RoundFractionalCasts;

impl datafusion::optimizer::AnalyzerRule for RoundFractionalCasts {
    fn name(&self) -> &str {
        "trino_round_fractional_casts"
    }

    fn analyze(
        &self,
        plan: datafusion::logical_expr::LogicalPlan,
        _: &datafusion::config::ConfigOptions,
    ) -> datafusion::error::Result<datafusion::logical_expr::LogicalPlan> {
        use datafusion::arrow::datatypes::DataType;
        use datafusion::common::tree_node::Transformed;
        use datafusion::logical_expr::{Cast, Expr, ExprSchemable, TryCast};

        let fractional = |t: &DataType| {
            matches!(
                t,
                DataType::Float16
                    | DataType::Float32
                    | DataType::Float64
                    | DataType::Decimal32(..)
                    | DataType::Decimal64(..)
                    | DataType::Decimal128(..)
                    | DataType::Decimal256(..)
            )
        };
        let rounded =
            |inner: &Expr| datafusion::functions::math::expr_fn::round(vec![inner.clone()]);
        rewrite_plan(plan, |e, schema| {
            let from_fraction = |inner: &Expr, to: &DataType| {
                to.is_integer() && inner.get_type(schema).is_ok_and(|t| fractional(&t))
            };
            Ok(match &e {
                Expr::Cast(Cast { expr, field }) if from_fraction(expr, field.data_type()) => {
                    Transformed::yes(Expr::Cast(Cast::new_from_field(
                        Box::new(rounded(expr)),
                        field.clone(),
                    )))
                }
                Expr::TryCast(TryCast { expr, field })
                    if from_fraction(expr, field.data_type()) =>
                {
                    Transformed::yes(Expr::TryCast(TryCast::new_from_field(
                        Box::new(rounded(expr)),
                        field.clone(),
                    )))
                }
                _ => Transformed::no(e),
            })
        })
    }
}

/// `node` with each of its expressions rewritten bottom-up by `f`, which is given the merged
/// schema of the node's inputs; the output names are kept. For an analyzer rule's pass over a
/// plan (`transform_up_with_subqueries`).
pub fn rewrite_expressions(
    node: datafusion::logical_expr::LogicalPlan,
    f: impl Fn(
        datafusion::logical_expr::Expr,
        &datafusion::common::DFSchema,
    ) -> datafusion::error::Result<
        datafusion::common::tree_node::Transformed<datafusion::logical_expr::Expr>,
    >,
) -> datafusion::error::Result<
    datafusion::common::tree_node::Transformed<datafusion::logical_expr::LogicalPlan>,
> {
    use datafusion::common::tree_node::TreeNode;
    let mut schema = datafusion::common::DFSchema::empty();
    for input in node.inputs() {
        schema.merge(input.schema());
    }
    let names = datafusion::logical_expr::expr_rewriter::NamePreserver::new(&node);
    node.map_expressions(|e| {
        let saved = names.save(&e);
        e.transform_up(|e| f(e, &schema))
            .map(|t| t.update_data(|e| saved.restore(e)))
    })
}

/// `plan` with every expression of every node (subqueries' included) rewritten bottom-up by `f`,
/// as [`rewrite_expressions`] rewrites one node: the body of an analyzer rule's pass.
pub fn rewrite_plan(
    plan: datafusion::logical_expr::LogicalPlan,
    f: impl Fn(
        datafusion::logical_expr::Expr,
        &datafusion::common::DFSchema,
    ) -> datafusion::error::Result<
        datafusion::common::tree_node::Transformed<datafusion::logical_expr::Expr>,
    >,
) -> datafusion::error::Result<datafusion::logical_expr::LogicalPlan> {
    plan.transform_up_with_subqueries(|node| rewrite_expressions(node, &f))
        .map(|t| t.data)
}

/// Runs `sql` (one statement) in `ctx`, parsed in the Lake dialect, and collects its batches.
pub async fn collect(
    ctx: &SessionContext,
    sql: &str,
) -> datafusion::error::Result<Vec<datafusion::arrow::array::RecordBatch>> {
    let plan = plan(&ctx.state(), sql).await?;
    ctx.execute_logical_plan(plan).await?.collect().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::parser::Parser;

    fn repo_file(path: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(path);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    /// AWS's example Lake queries and the bundled checks parse exactly as in the generic
    /// dialect; lambdas parse only in the Lake dialect.
    #[test]
    fn parses_as_generic_plus_lambdas() {
        let mut statements: Vec<String> =
            repo_file("tests/fixtures/lake-queries/cloudtrail_lake_example_queries.sql")
                .split(';')
                .map(str::to_string)
                .filter(|s| s.contains("SELECT"))
                .collect();
        for entry in
            std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../checks"))
                .expect("checks")
        {
            let path = entry.expect("entry").path();
            let sql = std::fs::read_to_string(&path).expect("check");
            statements.push(
                sql.replace("{event_data_store}", "eds")
                    .replace("{window_start}", "'2026-01-01 00:00:00'")
                    .replace("{window_end}", "'2026-01-02 00:00:00'"),
            );
        }
        statements.push(
            "SELECT a -> 'b', x::int, SUBSTRING(s FROM 2 FOR 3), \"q\".c FROM t WHERE y ~ 'z'"
                .into(),
        );
        let mut compared = 0;
        for sql in &statements {
            let Ok(generic) = Parser::parse_sql(&GenericDialect, sql) else {
                continue;
            };
            let lake = Parser::parse_sql(&LakeDialect, sql).expect("parses in the Lake dialect");
            // `a -> 'b'` is a JSON arrow in the generic dialect and a lambda here; nothing
            // else may differ.
            if !sql.contains("->") {
                assert_eq!(generic, lake, "{sql}");
            }
            compared += 1;
        }
        assert!(compared >= 20, "{compared} statements compared");
        let lambda =
            "SELECT transform(resources, r -> r.arn), any_match(a, (x, y) -> x > y) FROM t";
        // The generic dialect reads `->` as a JSON operator; here it makes lambdas.
        let lambdas = |d: &dyn Dialect| {
            let parsed = Parser::parse_sql(d, lambda).expect("parses");
            format!("{parsed:?}").matches("Lambda(").count()
        };
        assert_eq!((lambdas(&GenericDialect), lambdas(&LakeDialect)), (0, 2));
    }
}
