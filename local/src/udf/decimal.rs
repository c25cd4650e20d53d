//! Trino's decimals. A literal with a fraction (`0.1`) is an exact DECIMAL in Trino, and so it is
//! here (DataFusion's `parse_float_as_decimal`, set in [`crate::store::session_config`]; one with
//! an exponent, `1e3`, stays a DOUBLE, see [`crate::sql`]). Lake and Athena return every value
//! as text, so a result's scale shows: where Trino types a decimal operation otherwise than
//! DataFusion, Trino's type and rounding (half away from zero) are kept:
//! - `a / b` has the larger of the two scales (`1.0 / 3.0` is `0.3`, not `0.33333`);
//! - `avg(x)` has the argument's type (`2.08`, not `2.083333`);
//! - `round(x)`, `floor(x)`, `ceiling(x)` and `truncate(x)` have scale 0 (`2`, not `2.0`);
//!   `round(x, n)` and `truncate(x, n)` keep the argument's scale (`round(2.345, 2)` is `2.350`);
//! - `sign(x)` is a `decimal(1,0)`.
//!
//! Other types go to DataFusion's functions of those names (`truncate` is its `trunc`).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Decimal128Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::Int64Type;
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Field, FieldRef};
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema};
use datafusion::config::ConfigOptions;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::type_coercion::functions::fields_with_udf;
use datafusion::logical_expr::{
    BinaryExpr, ColumnarValue, Expr, ExprSchemable, LogicalPlan, Operator, Projection,
    ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::optimizer::analyzer::type_coercion::TypeCoercion;
use datafusion::optimizer::AnalyzerRule;
use datafusion::prelude::SessionContext;

/// The largest precision a DECIMAL has in Trino (and in a `Decimal128`).
const MAX_PRECISION: u8 = 38;

/// The decimal operations whose result Trino types otherwise than DataFusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Op {
    Round,
    Floor,
    Ceiling,
    Truncate,
    Sign,
    Divide,
}

/// One of [`Op`] as a function: decimals computed here, other types by DataFusion's function
/// of the name (`inner`).
#[derive(Debug, PartialEq, Eq, Hash)]
struct DecimalFn {
    op: Op,
    name: &'static str,
    aliases: Vec<String>,
    inner: Option<Arc<ScalarUDF>>,
    signature: Signature,
}

/// The name the analyzer rule gives a division of two decimals.
const DIVIDE: &str = "trino_decimal_divide";

/// Registers `round`, `floor`, `ceiling` (`ceil`), `truncate` and `sign` in place of
/// DataFusion's, the decimal division, and the rule that gives decimal divisions and `avg`
/// Trino's types. Runs after DataFusion's functions are registered.
pub fn register(ctx: &SessionContext) {
    let inner = |name: &str| ctx.udf(name).ok();
    let functions = [
        (Op::Round, "round", vec![], inner("round")),
        (Op::Floor, "floor", vec![], inner("floor")),
        (
            Op::Ceiling,
            "ceiling",
            vec!["ceil".to_string()],
            inner("ceil"),
        ),
        (Op::Truncate, "truncate", vec![], inner("trunc")),
        (Op::Sign, "sign", vec![], inner("signum")),
        (Op::Divide, DIVIDE, vec![], None),
    ];
    for (op, name, aliases, inner) in functions {
        ctx.register_udf(ScalarUDF::new_from_impl(DecimalFn {
            op,
            name,
            aliases,
            inner,
            signature: Signature::user_defined(Volatility::Immutable),
        }));
    }
    ctx.add_analyzer_rule(Arc::new(TrinoDecimals));
}

/// `t`'s precision and scale when it is a `Decimal128`.
fn decimal(t: &DataType) -> Option<(u8, i8)> {
    match t {
        DataType::Decimal128(p, s) => Some((*p, *s)),
        _ => None,
    }
}

impl DecimalFn {
    /// The result type Trino gives the call, when it is one this module computes (its first
    /// argument a decimal of a non-negative scale).
    fn trino_type(&self, args: &[DataType]) -> Option<DataType> {
        let (p, s) = decimal(args.first()?)?;
        let s_u8 = u8::try_from(s).ok()?;
        let whole = p.saturating_sub(s_u8);
        let (rp, rs) = match (self.op, args.len()) {
            (Op::Round | Op::Floor | Op::Ceiling, 1) => (whole + s_u8.min(1), 0),
            (Op::Truncate, 1) => (whole.max(1), 0),
            (Op::Round, 2) => (p.saturating_add(1).min(MAX_PRECISION), s),
            (Op::Truncate, 2) => (p, s),
            (Op::Sign, 1) => (1, 0),
            (Op::Divide, 2) => {
                let (_, s2) = decimal(args.get(1)?)?;
                let s2_u8 = u8::try_from(s2).ok()?;
                let scale = s.max(s2);
                let precision = p
                    .saturating_add(s2_u8)
                    .saturating_add(s2_u8.saturating_sub(s_u8))
                    .min(MAX_PRECISION);
                (precision.max(u8::try_from(scale).ok()?), scale)
            }
            _ => return None,
        };
        Some(DataType::Decimal128(rp.max(1), rs))
    }

    fn inner(&self) -> Result<&ScalarUDF> {
        self.inner.as_deref().ok_or_else(|| {
            DataFusionError::Plan(format!("Unexpected parameters for function {}", self.name))
        })
    }
}

impl ScalarUDFImpl for DecimalFn {
    fn name(&self) -> &str {
        self.name
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if self.trino_type(arg_types).is_some() || self.op == Op::Divide {
            // The number of places is an integer of any width.
            return Ok(arg_types
                .iter()
                .enumerate()
                .map(|(i, t)| match (i, self.op) {
                    (1, Op::Round | Op::Truncate) if t.is_integer() || t.is_null() => {
                        DataType::Int64
                    }
                    _ => t.clone(),
                })
                .collect());
        }
        let fields: Vec<FieldRef> = arg_types
            .iter()
            .map(|t| Arc::new(Field::new("", t.clone(), true)))
            .collect();
        Ok(fields_with_udf(&fields, self.inner()?)?
            .iter()
            .map(|f| f.data_type().clone())
            .collect())
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match self.trino_type(arg_types) {
            Some(t) => Ok(t),
            None => self.inner()?.return_type(arg_types),
        }
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let types: Vec<DataType> = args
            .arg_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        match self.trino_type(&types) {
            Some(t) => Ok(Arc::new(Field::new(self.name, t, true))),
            None => self.inner()?.return_field_from_args(args),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let types: Vec<DataType> = args
            .arg_fields
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        let Some(to) = self.trino_type(&types) else {
            return self.inner()?.invoke_with_args(args);
        };
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        Ok(ColumnarValue::Array(compute(
            self.op, &arrays, &types, &to,
        )?))
    }
}

/// The error Trino raises for a decimal result its type cannot hold.
fn overflow() -> DataFusionError {
    DataFusionError::Execution("Decimal overflow".into())
}

/// 10 to the `n`th, `None` past an `i128`'s range.
fn ten_to(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// `n / d` rounded half away from zero (`d` > 0).
fn div_half_up(n: i128, d: i128) -> i128 {
    let (q, r) = (n / d, n % d);
    let (r, d_abs) = (r.unsigned_abs(), d.unsigned_abs());
    if r >= d_abs - r {
        q + n.signum() * d.signum()
    } else {
        q
    }
}

fn compute(op: Op, arrays: &[ArrayRef], types: &[DataType], to: &DataType) -> Result<ArrayRef> {
    let (Some(DataType::Decimal128(p, s)), DataType::Decimal128(rp, rs)) = (types.first(), to)
    else {
        return Err(overflow());
    };
    let (p, s) = (i64::from(*p), u32::try_from(*s).map_err(|_| overflow())?);
    let x = arrays
        .first()
        .ok_or_else(overflow)?
        .as_primitive::<Decimal128Type>();
    let second = arrays.get(1);
    let places = match (op, second) {
        (Op::Round | Op::Truncate, Some(n)) => Some(cast(n, &DataType::Int64)?),
        _ => None,
    };
    let places = places.as_ref().map(AsArray::as_primitive::<Int64Type>);
    let divisor = match (op, second) {
        (Op::Divide, Some(b)) => Some(b.as_primitive::<Decimal128Type>().clone()),
        _ => None,
    };
    let unit = ten_to(s).ok_or_else(overflow)?;
    let mut out: Vec<Option<i128>> = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        if x.is_null(i) {
            out.push(None);
            continue;
        }
        let v = x.value(i);
        let r = match op {
            Op::Round if places.is_none() => div_half_up(v, unit),
            Op::Floor => v.div_euclid(unit),
            Op::Ceiling => v
                .checked_neg()
                .map(|n| n.div_euclid(unit))
                .and_then(i128::checked_neg)
                .ok_or_else(overflow)?,
            Op::Truncate if places.is_none() => v / unit,
            Op::Sign => v.signum(),
            Op::Round | Op::Truncate => {
                let Some(n) = places.filter(|a| a.is_valid(i)).map(|a| a.value(i)) else {
                    out.push(None);
                    continue;
                };
                to_places(op, v, p, i64::from(s), n)?
            }
            Op::Divide => {
                let Some(b) = divisor.as_ref().filter(|b| b.is_valid(i)) else {
                    out.push(None);
                    continue;
                };
                let Some(DataType::Decimal128(_, s2)) = types.get(1).cloned() else {
                    return Err(overflow());
                };
                divide(v, s, b.value(i), s2, *rs)?
            }
        };
        out.push(Some(r));
    }
    let result = Decimal128Array::from(out).with_precision_and_scale(*rp, *rs)?;
    // A value wider than the result's precision is Trino's overflow, not a wrong answer.
    result
        .validate_decimal_precision(*rp)
        .map_err(|_| overflow())?;
    Ok(Arc::new(result))
}

/// `v` (of precision `p` and scale `s`) rounded (or truncated) to `n` places, at scale `s`.
/// Trino answers 0 where no digit is left (`round(5.5, -1)` is `0.0`, as its short decimals do).
fn to_places(op: Op, v: i128, p: i64, s: i64, n: i64) -> Result<i128> {
    if n >= s {
        return Ok(v);
    }
    if p.saturating_sub(s).saturating_add(n) <= 0 {
        return Ok(0);
    }
    let k = u32::try_from(s.saturating_sub(n)).map_err(|_| overflow())?;
    let Some(f) = ten_to(k) else {
        return Ok(0);
    };
    let q = if op == Op::Round {
        div_half_up(v, f)
    } else {
        v / f
    };
    q.checked_mul(f).ok_or_else(overflow)
}

/// `a` (at scale `s1`) divided by `b` (at scale `s2`), at the result's scale `rs`, rounded half
/// away from zero.
fn divide(a: i128, s1: u32, b: i128, s2: i8, rs: i8) -> Result<i128> {
    if b == 0 {
        return Err(DataFusionError::Execution("Division by zero".into()));
    }
    // a·10^-s1 / (b·10^-s2) at scale rs = a·10^(rs - s1 + s2) / b.
    let shift = i64::from(rs) - i64::from(s1) + i64::from(s2);
    let shift = u32::try_from(shift).map_err(|_| overflow())?;
    let n = ten_to(shift)
        .and_then(|f| a.checked_mul(f))
        .ok_or_else(overflow)?;
    Ok(div_half_up(n, b))
}

/// The analyzer rule giving a division of decimals and an `avg` of a decimal Trino's types:
/// the division goes to the decimal division; the aggregate is followed by a projection that
/// rounds each such average to the argument's type (DataFusion's average truncates at four
/// more places, so rounding that is rounding the exact average).
#[derive(Debug)]
struct TrinoDecimals;

impl AnalyzerRule for TrinoDecimals {
    fn name(&self) -> &str {
        "trino_decimals"
    }

    fn analyze(&self, plan: LogicalPlan, config: &ConfigOptions) -> Result<LogicalPlan> {
        let rewritten = plan.transform_up_with_subqueries(|node| {
            let node = divisions(node)?;
            let divided = node.transformed;
            let node = averages(node.data)?;
            Ok(Transformed::new_transformed(
                node.data,
                divided || node.transformed,
            ))
        })?;
        if !rewritten.transformed {
            return Ok(rewritten.data);
        }
        // The rule runs after DataFusion's type coercion (a session's added rules come last),
        // whose casts around a division were for DataFusion's result type: coercing again
        // fits what compares, adds or unions with a division to Trino's type.
        TypeCoercion::new().analyze(rewritten.data, config)
    }
}

/// `node` with each division of two decimals made Trino's.
fn divisions(node: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    let mut schema = DFSchema::empty();
    for input in node.inputs() {
        schema.merge(input.schema());
    }
    let names = NamePreserver::new(&node);
    node.map_expressions(|e| {
        let saved = names.save(&e);
        e.transform_up(|e| {
            let Expr::BinaryExpr(BinaryExpr {
                left,
                op: Operator::Divide,
                right,
            }) = &e
            else {
                return Ok(Transformed::no(e));
            };
            let both = [left, right]
                .iter()
                .all(|x| x.get_type(&schema).is_ok_and(|t| decimal(&t).is_some()));
            if !both {
                return Ok(Transformed::no(e));
            }
            let f = Arc::new(ScalarUDF::new_from_impl(DecimalFn {
                op: Op::Divide,
                name: DIVIDE,
                aliases: Vec::new(),
                inner: None,
                signature: Signature::user_defined(Volatility::Immutable),
            }));
            Ok(Transformed::yes(Expr::ScalarFunction(
                ScalarFunction::new_udf(f, vec![(**left).clone(), (**right).clone()]),
            )))
        })
        .map(|t| t.update_data(|e| saved.restore(e)))
    })
}

/// `node`, when an aggregate with an `avg` of a decimal, under a projection that casts each
/// such average to the argument's type (the names kept).
fn averages(node: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    let LogicalPlan::Aggregate(agg) = &node else {
        return Ok(Transformed::no(node));
    };
    let input = agg.input.schema();
    let casts: Vec<Option<DataType>> = agg
        .aggr_expr
        .iter()
        .map(|e| {
            let Expr::AggregateFunction(f) = e.clone().unalias_nested().data else {
                return None;
            };
            if !f.func.name().eq_ignore_ascii_case("avg") {
                return None;
            }
            let [arg] = f.params.args.as_slice() else {
                return None;
            };
            let t = arg.get_type(input).ok()?;
            decimal(&t).map(|_| t)
        })
        .collect();
    if casts.iter().all(Option::is_none) {
        return Ok(Transformed::no(node));
    }
    let groups = agg.group_expr_len()?;
    let schema = Arc::clone(&agg.schema);
    let exprs = schema
        .iter()
        .enumerate()
        .map(|(i, (qualifier, field))| {
            let column = Expr::Column(Column::from((qualifier, field)));
            match i
                .checked_sub(groups)
                .and_then(|j| casts.get(j))
                .cloned()
                .flatten()
            {
                Some(t) => datafusion::logical_expr::cast(column, t)
                    .alias_qualified(qualifier.cloned(), field.name()),
                None => column,
            }
        })
        .collect();
    Ok(Transformed::yes(LogicalPlan::Projection(
        Projection::try_new(exprs, Arc::new(node))?,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(div_half_up(25, 10), 3);
        assert_eq!(div_half_up(-25, 10), -3);
        assert_eq!(div_half_up(24, 10), 2);
        assert_eq!(div_half_up(-24, 10), -2);
        assert_eq!(div_half_up(i128::MAX, 10), i128::MAX / 10 + 1);
    }

    #[test]
    fn places_follow_trino() {
        // round(2.345, 2) = 2.350 at scale 3; round(5.5, -1) = 0 (no digit left).
        assert_eq!(to_places(Op::Round, 2345, 4, 3, 2).ok(), Some(2350));
        assert_eq!(to_places(Op::Round, 55, 2, 1, -1).ok(), Some(0));
        assert_eq!(to_places(Op::Round, 1255, 4, 1, -1).ok(), Some(1300));
        assert_eq!(to_places(Op::Truncate, -1299, 4, 1, -1).ok(), Some(-1200));
        assert_eq!(to_places(Op::Round, 12, 2, 1, 5).ok(), Some(12));
    }

    #[test]
    fn division_has_the_larger_scale() {
        // 1.0 / 3.0 = 0.3; 10 / 4.0 = 2.5; 2 / 0.3 = 6.7; 1.0 / 0 fails.
        assert_eq!(divide(10, 1, 30, 1, 1).ok(), Some(3));
        assert_eq!(divide(10, 0, 40, 1, 1).ok(), Some(25));
        assert_eq!(divide(2, 0, 3, 1, 1).ok(), Some(67));
        assert!(divide(10, 1, 0, 0, 1).is_err());
        assert!(divide(i128::MAX, 0, 1, 1, 1).is_err());
    }
}
