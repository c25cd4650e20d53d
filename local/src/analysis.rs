//! The analysis Trino does when a query is submitted, where DataFusion defers it to execution
//! or is more lenient. Lake and Athena refuse such a query at StartQuery; here it would be
//! accepted and then fail (or, worse, run with a coercion Trino does not make).

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion, TreeNodeVisitor};
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::SessionState;
use datafusion::logical_expr::type_coercion::functions::{fields_with_udf, UDFCoercionExt};
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{
    BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator, WindowFunctionDefinition,
};

/// Checks `plan` (as planned from SQL, before DataFusion's analyzer) as Trino's analyzer
/// would, then runs DataFusion's analyzer (type coercion among others), which otherwise runs
/// only when the query executes:
/// - a comparison or arithmetic of values Trino cannot compare or add (`eventName = 1`,
///   `eventTime > 5`, `eventName + 1`) is a [`Mismatch`], `Cannot apply operator: varchar =
///   integer`, where DataFusion would cast the text or word it otherwise;
/// - a call whose signature DataFusion would satisfy by converting text to a number or the
///   reverse (DataFusion's `concat(eventName, 1)`) is [`Unexpected`] parameters;
/// - an access to a row field that does not exist (`userIdentity.nosuch`) is
///   `Field nosuch not found in struct` (which [`crate::refusal`] words as Trino does);
/// - an aggregate with DISTINCT in a window is refused (`DISTINCT in window function
///   parameters not yet supported`), and an aggregate used as a window is checked against its
///   signatures as an aggregate is.
pub fn check(state: &SessionState, plan: &LogicalPlan) -> Result<()> {
    // Inputs before the nodes over them (FROM and WHERE before SELECT and ORDER BY), so that
    // of several errors the one Trino's analyzer meets first is reported.
    struct InputsFirst;
    impl<'n> TreeNodeVisitor<'n> for InputsFirst {
        type Node = LogicalPlan;
        fn f_up(&mut self, node: &'n LogicalPlan) -> Result<TreeNodeRecursion> {
            let inputs = node.inputs();
            if inputs.is_empty() {
                return Ok(TreeNodeRecursion::Continue);
            }
            let schema = merge_schema(&inputs);
            node.apply_expressions(|e| e.apply(|sub| check_expr(sub, &schema)))
        }
    }
    plan.visit_with_subqueries(&mut InputsFirst)?;
    state
        .analyzer()
        .execute_and_check(plan.clone(), state.config_options(), |_, _| {})
        .map(|_| ())
}

fn check_expr(e: &Expr, schema: &DFSchema) -> Result<TreeNodeRecursion> {
    match e {
        Expr::ScalarFunction(f) if f.name() == "get_field" => {
            // Only a missing field is refused: anything else this typing finds is left to the
            // planner and analyzer, which see the whole plan.
            if let Err(err) = e.to_field(schema) {
                if err.to_string().contains("not found in struct") {
                    return Err(err);
                }
            }
        }
        Expr::ScalarFunction(f) => {
            call(f.name(), f.func.aliases(), f.func.as_ref(), &f.args, schema)?;
        }
        Expr::AggregateFunction(a) => {
            let f = a.func.as_ref();
            call(f.name(), f.aliases(), f, &a.params.args, schema)?;
        }
        Expr::WindowFunction(w) => {
            if let WindowFunctionDefinition::AggregateUDF(f) = &w.fun {
                // Trino has no DISTINCT in a window (DataFusion would run some, count others
                // twice).
                if w.params.distinct {
                    return Err(DataFusionError::Plan(format!(
                        "DISTINCT in window function parameters not yet supported: {}(DISTINCT ...)",
                        f.name()
                    )));
                }
                call(f.name(), f.aliases(), f.as_ref(), &w.params.args, schema)?;
            }
        }
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let Some(symbol) = trino_operator(*op) else {
                return Ok(TreeNodeRecursion::Continue);
            };
            // Operands this typing cannot type are left to the planner and analyzer.
            if let (Ok(l), Ok(r)) = (left.get_type(schema), right.get_type(schema)) {
                if !applies(*op, &l, &r) {
                    return Err(DataFusionError::External(Box::new(Mismatch {
                        text: format!(
                            "Cannot apply operator: {} {} {}",
                            crate::trino_type::of_expr(left, &l),
                            symbol,
                            crate::trino_type::of_expr(right, &r)
                        ),
                        op: *op,
                        left: Operand::of(left),
                        right: Operand::of(right),
                    })));
                }
            }
        }
        _ => {}
    }
    Ok(TreeNodeRecursion::Continue)
}

/// Refuses a call of function `f` (scalar, aggregate, or aggregate as a window) that Trino has
/// no signature for: the service's own functions by their declared signatures, DataFusion's
/// where it would convert text to numbers or back. Arguments this typing cannot type are left
/// to the planner.
fn call<F: UDFCoercionExt>(
    name: &str,
    aliases: &[String],
    f: &F,
    args: &[Expr],
    schema: &DFSchema,
) -> Result<()> {
    let Some(fields) = arg_fields(args, schema) else {
        return Ok(());
    };
    if let Some(signatures) = crate::signature::of(name) {
        not_declared(signatures, aliases, args, &fields)
    } else {
        let coerced = fields_with_udf(&fields, f);
        unexpected(name, args, &fields, coerced)
    }
}

/// The fields of `args`, when this typing can type them all.
fn arg_fields(args: &[Expr], schema: &DFSchema) -> Option<Vec<FieldRef>> {
    args.iter()
        .map(|a| a.to_field(schema).ok().map(|(_, f)| f))
        .collect()
}

/// Refuses a call of Trino's function `name` whose signature DataFusion would satisfy by
/// converting text to a number or truth value, or those to text: Trino converts neither way
/// implicitly. Functions Trino does not have (DataFusion's names for rewritten calls, the
/// service's `trino_*` implementations, which take any type) are left alone; so is a call
/// DataFusion refuses itself (see [`crate::refusal`]).
fn unexpected(
    name: &str,
    args: &[Expr],
    fields: &[FieldRef],
    coerced: Result<Vec<FieldRef>>,
) -> Result<()> {
    let Ok(coerced) = coerced else {
        return Ok(());
    };
    if !crate::registry::is_trino_function(name) {
        return Ok(());
    }
    let converts = fields.iter().zip(&coerced).any(|(from, to)| {
        matches!(
            (kind(from.data_type()), kind(to.data_type())),
            (Kind::Text, Kind::Number | Kind::Boolean) | (Kind::Number | Kind::Boolean, Kind::Text)
        )
    });
    if !converts {
        return Ok(());
    }
    Err(unexpected_parameters(
        &name.to_ascii_lowercase(),
        &[],
        args,
        fields,
        None,
    ))
}

/// Trino's FUNCTION_NOT_FOUND for a call of `function` with `args` (of `fields`' types, a
/// literal typed as Trino types it), and its list of the signatures it has when known.
fn unexpected_parameters(
    function: &str,
    aliases: &[String],
    args: &[Expr],
    fields: &[FieldRef],
    expected: Option<String>,
) -> DataFusionError {
    let listed: Vec<String> = args
        .iter()
        .zip(fields)
        .map(|(a, f)| crate::trino_type::of_expr(a, f.data_type()))
        .collect();
    let expected = expected
        .map(|e| format!(". Expected: {e}"))
        .unwrap_or_default();
    DataFusionError::External(Box::new(Unexpected {
        function: function.to_string(),
        aliases: aliases.to_vec(),
        text: format!(
            "Unexpected parameters ({}) for function {function}{expected}",
            listed.join(", ")
        ),
    }))
}

/// Refuses a call of one of the service's own Trino functions (which take any type) that fits
/// none of the signatures Trino declares for it, with Trino's list of them.
fn not_declared(
    signatures: crate::signature::Signatures,
    aliases: &[String],
    args: &[Expr],
    fields: &[FieldRef],
) -> Result<()> {
    let types: Vec<DataType> = fields.iter().map(|f| f.data_type().clone()).collect();
    if signatures.accept(&types) {
        return Ok(());
    }
    Err(unexpected_parameters(
        signatures.name,
        aliases,
        args,
        fields,
        Some(signatures.expected()),
    ))
}

/// A call Trino has no signature for (FUNCTION_NOT_FOUND): its message, with the list of
/// signatures Trino appends (`Expected: ...`) where the service knows them (its own functions).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text}")]
pub struct Unexpected {
    /// The function, in lower case.
    pub function: String,
    /// Its other names, any of which the statement may call it by.
    pub aliases: Vec<String>,
    /// `Unexpected parameters (varchar, bigint) for function concat`.
    pub text: String,
}

/// A comparison or arithmetic Trino refuses (TYPE_MISMATCH): its message, and what was
/// written, so that the refusal can point at the operator as Trino does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text}")]
pub struct Mismatch {
    /// Trino's message, `Cannot apply operator: varchar = integer`.
    pub text: String,
    /// The operator as written.
    pub op: Operator,
    pub left: Operand,
    pub right: Operand,
}

/// What an operand of an operator is, as far as finding it in the statement goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    /// A number literal, as DataFusion prints it.
    Number(String),
    /// A text literal's text.
    Text(String),
    /// A column or row field: its (last) name.
    Name(String),
    Other,
}

impl Operand {
    fn of(e: &Expr) -> Self {
        match e {
            Expr::Literal(v, _) if v.data_type().is_numeric() => Self::Number(v.to_string()),
            Expr::Literal(ScalarValue::Utf8(Some(t)) | ScalarValue::Utf8View(Some(t)), _) => {
                Self::Text(t.clone())
            }
            Expr::Column(c) => Self::Name(c.name.clone()),
            Expr::ScalarFunction(f) if f.name() == "get_field" => match f.args.get(1) {
                Some(Expr::Literal(ScalarValue::Utf8(Some(n)), _)) => Self::Name(n.clone()),
                _ => Self::Other,
            },
            _ => Self::Other,
        }
    }
}

/// The operator Trino checks a comparison or arithmetic with, as its messages name it: `a <> b`
/// is checked with `=`, `a > b` with `<` and `a >= b` with `<=`. `None` for other operators.
fn trino_operator(op: Operator) -> Option<&'static str> {
    Some(match op {
        Operator::Eq | Operator::NotEq => "=",
        Operator::Lt | Operator::Gt => "<",
        Operator::LtEq | Operator::GtEq => "<=",
        Operator::IsDistinctFrom | Operator::IsNotDistinctFrom => "IS DISTINCT FROM",
        Operator::Plus => "+",
        Operator::Minus => "-",
        Operator::Multiply => "*",
        Operator::Divide => "/",
        Operator::Modulo => "%",
        _ => return None,
    })
}

/// The kinds of value Trino converts among implicitly (numbers of any type; text of any
/// length; date and timestamps). Text also compares with a time here, as Lake's own example
/// queries write `eventTime > '2024-01-01 00:00:00'`.
#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Number,
    Text,
    Boolean,
    Time,
    /// NULL, and types this check does not judge (arrays, maps, rows, binary...).
    Other,
}

fn kind(t: &DataType) -> Kind {
    match t {
        t if t.is_numeric() => Kind::Number,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Kind::Text,
        DataType::Boolean => Kind::Boolean,
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => Kind::Time,
        DataType::Dictionary(_, v) => kind(v),
        _ => Kind::Other,
    }
}

/// Whether Trino has `op` for operands of types `a` and `b` (as far as this check judges).
fn applies(op: Operator, a: &DataType, b: &DataType) -> bool {
    let arithmetic = matches!(
        op,
        Operator::Plus | Operator::Minus | Operator::Multiply | Operator::Divide | Operator::Modulo
    );
    match (kind(a), kind(b)) {
        (Kind::Other, _) | (_, Kind::Other) => true,
        // Times take intervals (Other), not numbers or text.
        _ if arithmetic => {
            kind(a) == Kind::Number && kind(b) == Kind::Number
                || kind(a) == Kind::Time && kind(b) == Kind::Time
        }
        (Kind::Text, Kind::Time) | (Kind::Time, Kind::Text) => true,
        (x, y) => x == y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_apply_as_in_trino() {
        assert!(!applies(Operator::Eq, &DataType::Utf8, &DataType::Int64));
        assert!(!applies(
            Operator::NotEq,
            &DataType::Boolean,
            &DataType::Utf8
        ));
        assert!(applies(Operator::Lt, &DataType::Int32, &DataType::Float64));
        assert!(applies(Operator::Eq, &DataType::Utf8, &DataType::Null));
        assert!(!applies(Operator::Plus, &DataType::Utf8, &DataType::Int64));
        assert!(applies(
            Operator::Minus,
            &DataType::Float64,
            &DataType::Int64
        ));
    }
}

#[cfg(test)]
mod plan_tests {
    use datafusion::prelude::SessionContext;

    async fn checked(sql: &str) -> Result<(), String> {
        let ctx = SessionContext::new();
        ctx.sql("CREATE TABLE t (s VARCHAR, n BIGINT) AS VALUES ('a', 1)")
            .await
            .map_err(|e| e.to_string())?;
        let state = ctx.state();
        let plan = state
            .create_logical_plan(sql)
            .await
            .map_err(|e| e.to_string())?;
        super::check(&state, &plan).map_err(|e| e.to_string())
    }

    #[tokio::test]
    async fn calls_that_convert_text_and_numbers_are_refused() {
        assert_eq!(
            checked("SELECT concat_ws(',', s, n) FROM t").await,
            Err(
                "External error: Unexpected parameters (varchar(1), varchar, bigint) for \
                 function concat_ws"
                    .into()
            )
        );
        assert_eq!(
            checked("SELECT s FROM t WHERE s = 'a' AND n < 2.5 AND concat(s, 'b') = 'ab'").await,
            Ok(())
        );
    }
}
