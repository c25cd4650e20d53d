//! Trino's decimals. A literal with a fraction (`0.1`) is an exact DECIMAL in Trino, and so it is
//! here (DataFusion's `parse_float_as_decimal`, set in [`crate::store::session_config`]; one with
//! an exponent, `1e3`, stays a DOUBLE, see [`crate::sql`]). Lake and Athena return every value
//! as text, so a result's scale shows: where Trino types a numeric operation otherwise than
//! DataFusion, Trino's type and rounding (half away from zero) are kept:
//! - a decimal beside a double (compared, added, in `IN`, `BETWEEN`, `CASE`, `coalesce`...)
//!   becomes a double, where DataFusion would make the double a `decimal(30,15)`;
//! - `a / b` of decimals (or a decimal and an integer) has the larger of the two scales
//!   (`1.0 / 3.0` is `0.3`, not `0.33333`);
//! - `avg(x)` of a decimal has the argument's type (`2.08`, not `2.083333`), as an aggregate and
//!   as a window function;
//! - `round(x)`, `floor(x)`, `ceiling(x)` and `truncate(x)` have scale 0 (`2`, not `2.0`);
//!   `round(x, n)` and `truncate(x, n)` keep the argument's scale (`round(2.345, 2)` is `2.350`);
//! - `sign(x)` has the argument's type (`decimal(1,0)` for a decimal, `bigint` for a bigint).
//!
//! Other types go to DataFusion's functions of those names (`truncate` is its `trunc`). The
//! rewrites run in [`TrinoNumbers`], an analyzer rule placed before DataFusion's type coercion,
//! which then coerces with Trino's types.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Decimal128Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{i256, Int64Type};
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Field, FieldRef};
use datafusion::common::tree_node::Transformed;
use datafusion::common::DFSchema;
use datafusion::config::ConfigOptions;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::type_coercion::functions::fields_with_udf;
use datafusion::logical_expr::Distinct;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, BinaryExpr, ColumnarValue, EmitTo, Expr,
    ExprSchemable, GroupsAccumulator, LogicalPlan, Operator, ReturnFieldArgs, ReversedUDAF,
    ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
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

/// Registers `round`, `floor`, `ceiling` (`ceil`), `truncate`, `sign` and `avg` in place of
/// DataFusion's. Runs after DataFusion's functions are registered. The decimal division is
/// not a function a statement can call: [`TrinoNumbers`] puts it in the plan.
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
    ];
    for (op, name, aliases, inner) in functions {
        ctx.register_udf(DecimalFn::udf(op, name, aliases, inner));
    }
    if let Ok(avg) = ctx.udaf("avg") {
        ctx.register_udaf(AggregateUDF::new_from_impl(TrinoAvg { inner: avg }));
    }
}

/// `t`'s precision and scale when it is a `Decimal128`.
fn decimal(t: &DataType) -> Option<(u8, i8)> {
    match t {
        DataType::Decimal128(p, s) => Some((*p, *s)),
        _ => None,
    }
}

impl DecimalFn {
    fn udf(
        op: Op,
        name: &'static str,
        aliases: Vec<String>,
        inner: Option<Arc<ScalarUDF>>,
    ) -> ScalarUDF {
        ScalarUDF::new_from_impl(Self {
            op,
            name,
            aliases,
            inner,
            signature: Signature::user_defined(Volatility::Immutable),
        })
    }

    /// The result type Trino gives the call, when it is one this module computes: a decimal
    /// first argument of a non-negative scale (a decimal and an integer for the division), or
    /// an integer's sign.
    fn trino_type(&self, args: &[DataType]) -> Option<DataType> {
        let first = args.first()?;
        if self.op == Op::Sign && args.len() == 1 && first.is_integer() {
            return Some(first.clone());
        }
        if self.op == Op::Divide {
            // Only the analyzer rule calls the division, when one side is (or, once coerced,
            // will be) a decimal: integers on both sides are a CASE's first branch, typed
            // before coercion.
            let second = args.get(1)?;
            let ((p, s), (_, s2)) = (as_decimal(first)?, as_decimal(second)?);
            let (s_u8, s2_u8) = (u8::try_from(s).ok()?, u8::try_from(s2).ok()?);
            let scale = s.max(s2);
            let precision = p
                .saturating_add(s2_u8)
                .saturating_add(s2_u8.saturating_sub(s_u8))
                .min(MAX_PRECISION);
            return Some(DataType::Decimal128(
                precision.max(u8::try_from(scale).ok()?).max(1),
                scale,
            ));
        }
        let (p, s) = decimal(first)?;
        let s_u8 = u8::try_from(s).ok()?;
        let whole = p.saturating_sub(s_u8);
        let (rp, rs) = match (self.op, args.len()) {
            (Op::Round | Op::Floor | Op::Ceiling, 1) => (whole + s_u8.min(1), 0),
            (Op::Truncate, 1) => (whole.max(1), 0),
            (Op::Round, 2) => (p.saturating_add(1).min(MAX_PRECISION), s),
            (Op::Truncate, 2) => (p, s),
            (Op::Sign, 1) => (1, 0),
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
        if self.trino_type(arg_types).is_some() {
            return Ok(arg_types
                .iter()
                .enumerate()
                .map(|(i, t)| match (i, self.op) {
                    // The number of places is an integer of any width.
                    (1, Op::Round | Op::Truncate) if t.is_integer() || t.is_null() => {
                        DataType::Int64
                    }
                    // An integer divides as the decimal of its width.
                    (_, Op::Divide) => {
                        as_decimal(t).map_or_else(|| t.clone(), |(p, s)| DataType::Decimal128(p, s))
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
        let types = super::data_types(args.arg_fields);
        match self.trino_type(&types) {
            Some(t) => Ok(Arc::new(Field::new(self.name, t, true))),
            None => self.inner()?.return_field_from_args(args),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let types = super::data_types(&args.arg_fields);
        let Some(to) = self.trino_type(&types) else {
            return self.inner()?.invoke_with_args(args);
        };
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        if self.op == Op::Sign && to.is_integer() {
            let x = arrays.first().ok_or_else(|| malformed("no argument"))?;
            let v = cast(x, &DataType::Int64)?;
            let signs: datafusion::arrow::array::Int64Array =
                v.as_primitive::<Int64Type>().unary(i64::signum);
            return Ok(ColumnarValue::Array(cast(&signs, &to)?));
        }
        Ok(ColumnarValue::Array(compute(
            self.op, &arrays, &types, &to,
        )?))
    }
}

/// The error Trino raises for a decimal result its type cannot hold.
fn overflow() -> DataFusionError {
    DataFusionError::Execution("Decimal overflow".into())
}

/// A call or rewrite whose arguments are not what its typing promised (a defect, not input).
fn malformed(what: &str) -> DataFusionError {
    DataFusionError::Internal(format!("decimal functions: {what}"))
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
        return Err(malformed("not a decimal"));
    };
    let (p, s) = (i64::from(*p), u32::try_from(*s).map_err(|_| overflow())?);
    let x = arrays
        .first()
        .ok_or_else(|| malformed("no argument"))?
        .as_primitive::<Decimal128Type>();
    let second = arrays.get(1);
    let places = match (op, second) {
        (Op::Round | Op::Truncate, Some(n)) => Some(cast(n, &DataType::Int64)?),
        _ => None,
    };
    let places = places.as_ref().map(AsArray::as_primitive::<Int64Type>);
    let divisor = match (op, second, types.get(1)) {
        (Op::Divide, Some(b), Some(DataType::Decimal128(_, s2))) => {
            Some((b.as_primitive::<Decimal128Type>().clone(), *s2))
        }
        (Op::Divide, ..) => return Err(malformed("a division without a decimal divisor")),
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
                let Some((b, s2)) = divisor.as_ref().filter(|(b, _)| b.is_valid(i)) else {
                    out.push(None);
                    continue;
                };
                divide(v, s, b.value(i), *s2, *rs)?
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
/// away from zero. The dividend is scaled in 256 bits, as Trino does, so that a quotient that
/// fits is never an overflow.
fn divide(a: i128, s1: u32, b: i128, s2: i8, rs: i8) -> Result<i128> {
    if b == 0 {
        return Err(DataFusionError::Execution("Division by zero".into()));
    }
    // a·10^-s1 / (b·10^-s2) at scale rs = a·10^(rs - s1 + s2) / b.
    let shift = i64::from(rs) - i64::from(s1) + i64::from(s2);
    let shift = u32::try_from(shift).map_err(|_| overflow())?;
    let n = i256::from_i128(10)
        .checked_pow(shift)
        .and_then(|f| i256::from_i128(a).checked_mul(f))
        .ok_or_else(overflow)?;
    let d = i256::from_i128(b);
    let (q, r) = (
        n.checked_div(d).ok_or_else(overflow)?,
        n.checked_rem(d).ok_or_else(overflow)?,
    );
    let (r, d_abs) = (r.wrapping_abs(), d.wrapping_abs());
    let q = if r >= d_abs.wrapping_sub(r) {
        let away = if n.is_negative() == d.is_negative() {
            i256::ONE
        } else {
            i256::MINUS_ONE
        };
        q.checked_add(away).ok_or_else(overflow)?
    } else {
        q
    };
    q.to_i128().ok_or_else(overflow)
}

/// The analyzer rule giving numbers Trino's types, placed before DataFusion's type coercion
/// (see [`super::context`]): a decimal beside a double becomes a double; a division of decimals
/// (or of a decimal and an integer) is the decimal division. Each node's schema is recomputed,
/// as the types below it may change.
#[derive(Debug)]
pub struct TrinoNumbers;

impl AnalyzerRule for TrinoNumbers {
    fn name(&self) -> &str {
        "trino_numbers"
    }

    fn analyze(&self, plan: LogicalPlan, _: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|node| {
            let node = union_doubles(node)?.data;
            crate::dialect::rewrite_expressions(node, rewrite)?
                .map_data(LogicalPlan::recompute_schema)
        })
        .map(|t| t.data)
    }
}

/// A UNION whose inputs give one column a double in one and a decimal in another, with each
/// such decimal cast to a double (Trino's common type). Nested UNIONs (`a UNION b UNION c`) are
/// judged over all their inputs: before coercion an inner UNION reports its first input's type.
fn union_doubles(node: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    let LogicalPlan::Union(union) = &node else {
        return Ok(Transformed::no(node));
    };
    let mut leaves = Vec::new();
    union_leaves(&node, &mut leaves);
    let to_double: Vec<bool> = (0..union.schema.fields().len())
        .map(|i| {
            let types: Vec<&DataType> = leaves
                .iter()
                .filter_map(|leaf| leaf.schema().fields().get(i).map(|f| f.data_type()))
                .collect();
            types.iter().any(|t| t.is_floating()) && types.iter().any(|t| decimal(t).is_some())
        })
        .collect();
    if !to_double.contains(&true) {
        return Ok(Transformed::no(node));
    }
    doubled_union(&node, &to_double).map(Transformed::yes)
}

/// The inputs of `plan` and of the UNIONs directly under it (a plain UNION is a DISTINCT over
/// one) that are not UNIONs themselves.
fn union_leaves<'a>(plan: &'a LogicalPlan, out: &mut Vec<&'a LogicalPlan>) {
    match plan {
        LogicalPlan::Union(u) => u.inputs.iter().for_each(|i| union_leaves(i, out)),
        LogicalPlan::Distinct(Distinct::All(inner)) if matches!(**inner, LogicalPlan::Union(_)) => {
            union_leaves(inner, out);
        }
        other => out.push(other),
    }
}

/// `plan` (a UNION) with the columns marked in `to_double` cast to a double where a leaf input
/// gives them as a decimal.
fn doubled_union(plan: &LogicalPlan, to_double: &[bool]) -> Result<LogicalPlan> {
    if let LogicalPlan::Distinct(Distinct::All(inner)) = plan {
        if matches!(**inner, LogicalPlan::Union(_)) {
            return Ok(LogicalPlan::Distinct(Distinct::All(Arc::new(
                doubled_union(inner, to_double)?,
            ))));
        }
    }
    let LogicalPlan::Union(union) = plan else {
        let exprs = plan
            .schema()
            .iter()
            .zip(to_double)
            .map(|((qualifier, field), double)| {
                let column = Expr::Column(datafusion::common::Column::from((qualifier, field)));
                if *double && decimal(field.data_type()).is_some() {
                    datafusion::logical_expr::cast(column, DataType::Float64)
                        .alias_qualified(qualifier.cloned(), field.name())
                } else {
                    column
                }
            })
            .collect();
        return Ok(LogicalPlan::Projection(
            datafusion::logical_expr::Projection::try_new(exprs, Arc::new(plan.clone()))?,
        ));
    };
    let inputs = union
        .inputs
        .iter()
        .map(|input| doubled_union(input, to_double).map(Arc::new))
        .collect::<Result<Vec<_>>>()?;
    Ok(LogicalPlan::Union(
        datafusion::logical_expr::Union::try_new_with_loose_types(inputs)?,
    ))
}

/// `t` as a decimal as Trino converts it for arithmetic with one: a decimal as it is, an integer
/// as the decimal of its width (`bigint` is `decimal(19,0)`, `integer` `decimal(10,0)`).
fn as_decimal(t: &DataType) -> Option<(u8, i8)> {
    Some(match t {
        DataType::Decimal128(p, s) => (*p, *s),
        DataType::Int8 | DataType::UInt8 => (3, 0),
        DataType::Int16 | DataType::UInt16 => (5, 0),
        DataType::Int32 | DataType::UInt32 => (10, 0),
        DataType::Int64 => (19, 0),
        _ => return None,
    })
}

/// The type `e` will have once coerced, as far as deciding between a double and a decimal
/// goes: before coercion a CASE or `coalesce` reports its first branch's type, where coercion
/// gives the common type of all (a double if any is one, else a decimal if any is one).
fn provisional(e: &Expr, schema: &DFSchema) -> Option<DataType> {
    let branches: Vec<&Expr> = match e {
        Expr::Case(c) => c
            .when_then_expr
            .iter()
            .map(|(_, then)| then.as_ref())
            .chain(c.else_expr.as_deref())
            .collect(),
        Expr::ScalarFunction(f) if matches!(f.name(), "coalesce" | "greatest" | "least") => {
            f.args.iter().collect()
        }
        _ => return e.get_type(schema).ok(),
    };
    let types: Vec<DataType> = branches
        .iter()
        .filter_map(|b| provisional(b, schema))
        .collect();
    types
        .iter()
        .find(|t| t.is_floating())
        .or_else(|| types.iter().find(|t| decimal(t).is_some()))
        .cloned()
        .or_else(|| e.get_type(schema).ok())
}

/// `values`, each decimal cast to a double, when one of them is a double and another a decimal
/// (Trino's common type of the two is DOUBLE).
fn doubles(values: &[&Expr], schema: &DFSchema) -> Option<Vec<Expr>> {
    let types: Vec<Option<DataType>> = values.iter().map(|v| provisional(v, schema)).collect();
    let float = types.iter().flatten().any(DataType::is_floating);
    let dec = types.iter().flatten().any(|t| decimal(t).is_some());
    if !(float && dec) {
        return None;
    }
    Some(
        values
            .iter()
            .zip(&types)
            .map(|(v, t)| match t {
                Some(t) if decimal(t).is_some() => {
                    datafusion::logical_expr::cast((*v).clone(), DataType::Float64)
                }
                _ => (*v).clone(),
            })
            .collect(),
    )
}

/// An integer literal as Trino types it (`integer` when it fits 32 bits, where DataFusion reads
/// every integer literal as a 64-bit one), so that it divides as a `decimal(10,0)` and shifts
/// within 32 bits.
fn integer_literal(e: Expr) -> Expr {
    match e {
        Expr::Literal(datafusion::common::ScalarValue::Int64(Some(v)), _)
            if i32::try_from(v).is_ok() =>
        {
            datafusion::logical_expr::cast(e, DataType::Int32)
        }
        other => other,
    }
}

/// One expression with Trino's numeric typing (its parts already rewritten).
fn rewrite(e: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    Ok(match e {
        // Trino's nullif(a, b) has a's type: only the comparison is made in doubles.
        Expr::ScalarFunction(f) if f.name() == "nullif" && f.args.len() == 2 => {
            match doubles(&f.args.iter().collect::<Vec<_>>(), schema) {
                Some(compared) => {
                    let [a, b] = <[Expr; 2]>::try_from(compared)
                        .map_err(|_| malformed("nullif of other than two values"))?;
                    let first = f.args[0].clone();
                    Transformed::yes(Expr::Case(datafusion::logical_expr::expr::Case::new(
                        None,
                        vec![(
                            Box::new(a.eq(b)),
                            Box::new(Expr::Literal(datafusion::common::ScalarValue::Null, None)),
                        )],
                        Some(Box::new(first)),
                    )))
                }
                None => Transformed::no(Expr::ScalarFunction(f)),
            }
        }
        // A shift keeps its value's width, so a literal value shifts as Trino's `integer`.
        Expr::ScalarFunction(mut f)
            if matches!(
                f.name(),
                "bitwise_left_shift" | "bitwise_right_shift" | "bitwise_right_shift_arithmetic"
            ) && matches!(
                f.args.first(),
                Some(Expr::Literal(
                    datafusion::common::ScalarValue::Int64(Some(_)),
                    _
                ))
            ) =>
        {
            let value = f.args.remove(0);
            f.args.insert(0, integer_literal(value));
            Transformed::yes(Expr::ScalarFunction(f))
        }
        Expr::ScalarFunction(mut f) if matches!(f.name(), "coalesce" | "greatest" | "least") => {
            match doubles(&f.args.iter().collect::<Vec<_>>(), schema) {
                Some(args) => {
                    f.args = args;
                    Transformed::yes(Expr::ScalarFunction(f))
                }
                None => Transformed::no(Expr::ScalarFunction(f)),
            }
        }
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            if let Some([l, r]) = doubles(&[&left, &right], schema)
                .map(<[Expr; 2]>::try_from)
                .and_then(Result::ok)
            {
                return Ok(Transformed::yes(Expr::BinaryExpr(BinaryExpr::new(
                    Box::new(l),
                    op,
                    Box::new(r),
                ))));
            }
            let (l, r) = (provisional(&left, schema), provisional(&right, schema));
            let decimal_division = op == Operator::Divide
                && l.as_ref().and_then(as_decimal).is_some()
                && r.as_ref().and_then(as_decimal).is_some()
                && (l.as_ref().and_then(decimal).is_some()
                    || r.as_ref().and_then(decimal).is_some());
            if decimal_division {
                Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(
                    Arc::new(DecimalFn::udf(Op::Divide, DIVIDE, Vec::new(), None)),
                    vec![integer_literal(*left), integer_literal(*right)],
                )))
            } else {
                Transformed::no(Expr::BinaryExpr(BinaryExpr { left, op, right }))
            }
        }
        Expr::Between(mut b) => match doubles(&[&b.expr, &b.low, &b.high], schema) {
            Some(v) => {
                let [x, low, high] = <[Expr; 3]>::try_from(v)
                    .map_err(|_| malformed("BETWEEN of other than three values"))?;
                (b.expr, b.low, b.high) = (Box::new(x), Box::new(low), Box::new(high));
                Transformed::yes(Expr::Between(b))
            }
            None => Transformed::no(Expr::Between(b)),
        },
        Expr::InList(mut i) => {
            let all: Vec<&Expr> = std::iter::once(i.expr.as_ref()).chain(&i.list).collect();
            match doubles(&all, schema) {
                Some(mut v) => {
                    let x = v.remove(0);
                    (i.expr, i.list) = (Box::new(x), v);
                    Transformed::yes(Expr::InList(i))
                }
                None => Transformed::no(Expr::InList(i)),
            }
        }
        Expr::Case(mut c) => {
            // The results share one type; so do the operand and the values it is compared with.
            let results: Vec<&Expr> = c
                .when_then_expr
                .iter()
                .map(|(_, then)| then.as_ref())
                .chain(c.else_expr.as_deref())
                .collect();
            let mut changed = false;
            if let Some(mut v) = doubles(&results, schema) {
                for (_, then) in &mut c.when_then_expr {
                    **then = v.remove(0);
                }
                if let Some(e) = c.else_expr.as_mut() {
                    **e = v.remove(0);
                }
                changed = true;
            }
            if let Some(operand) = c.expr.as_deref() {
                let compared: Vec<&Expr> = std::iter::once(operand)
                    .chain(c.when_then_expr.iter().map(|(when, _)| when.as_ref()))
                    .collect();
                if let Some(mut v) = doubles(&compared, schema) {
                    c.expr = Some(Box::new(v.remove(0)));
                    for (when, _) in &mut c.when_then_expr {
                        **when = v.remove(0);
                    }
                    changed = true;
                }
            }
            Transformed::new_transformed(Expr::Case(c), changed)
        }
        other => Transformed::no(other),
    })
}

/// Trino's `avg`: DataFusion's, except that the average of a decimal has the argument's type
/// (DataFusion's has four more places, truncated; rounding those half away from zero is
/// rounding the exact average), as an aggregate and as a window function.
#[derive(Debug, PartialEq, Eq, Hash)]
struct TrinoAvg {
    inner: Arc<AggregateUDF>,
}

impl TrinoAvg {
    /// The argument's type when it is a decimal.
    fn of_decimal(types: &[FieldRef]) -> Option<DataType> {
        let t = types.first()?.data_type();
        decimal(t).map(|_| t.clone())
    }

    /// `args` with DataFusion's return field, for DataFusion's accumulators.
    fn inner_args<'a>(&self, args: &AccumulatorArgs<'a>) -> Result<AccumulatorArgs<'a>> {
        let mut inner = args.clone();
        inner.return_field = self.inner_return_field(&args.return_field, args.expr_fields)?;
        Ok(inner)
    }

    /// `ours` (the return field) with DataFusion's average type for arguments of `fields`.
    fn inner_return_field(&self, ours: &FieldRef, fields: &[FieldRef]) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(
            ours.name(),
            self.inner.return_type(&super::data_types(fields))?,
            true,
        )))
    }
}

impl AggregateUDFImpl for TrinoAvg {
    fn name(&self) -> &str {
        "avg"
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.first() {
            Some(t) if decimal(t).is_some() => Ok(t.clone()),
            _ => self.inner.return_type(arg_types),
        }
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let return_field = self.inner_return_field(&args.return_field, args.input_fields)?;
        self.inner.state_fields(StateFieldsArgs {
            return_field,
            ..args
        })
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let inner = self.inner.accumulator(self.inner_args(&args)?)?;
        Ok(match Self::of_decimal(args.expr_fields) {
            Some(to) => Box::new(Rounded { inner, to }),
            None => inner,
        })
    }

    fn create_sliding_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let inner = self
            .inner
            .create_sliding_accumulator(self.inner_args(&args)?)?;
        Ok(match Self::of_decimal(args.expr_fields) {
            Some(to) => Box::new(Rounded { inner, to }),
            None => inner,
        })
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        self.inner_args(&args)
            .is_ok_and(|a| self.inner.groups_accumulator_supported(a))
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        let inner = self
            .inner
            .create_groups_accumulator(self.inner_args(&args)?)?;
        Ok(match Self::of_decimal(args.expr_fields) {
            Some(to) => Box::new(RoundedGroups { inner, to }),
            None => inner,
        })
    }

    fn reverse_expr(&self) -> ReversedUDAF {
        ReversedUDAF::Identical
    }
}

/// An accumulator whose result is cast (rounded) to the argument's decimal type.
#[derive(Debug)]
struct Rounded {
    inner: Box<dyn Accumulator>,
    to: DataType,
}

impl Accumulator for Rounded {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.inner.update_batch(values)
    }

    fn evaluate(&mut self) -> Result<datafusion::common::ScalarValue> {
        self.inner.evaluate()?.cast_to(&self.to)
    }

    fn size(&self) -> usize {
        self.inner.size()
    }

    fn state(&mut self) -> Result<Vec<datafusion::common::ScalarValue>> {
        self.inner.state()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.inner.merge_batch(states)
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.inner.retract_batch(values)
    }

    fn supports_retract_batch(&self) -> bool {
        self.inner.supports_retract_batch()
    }
}

/// A groups accumulator whose results are cast (rounded) to the argument's decimal type.
struct RoundedGroups {
    inner: Box<dyn GroupsAccumulator>,
    to: DataType,
}

impl GroupsAccumulator for RoundedGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.inner
            .update_batch(values, group_indices, opt_filter, total_num_groups)
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        Ok(cast(&self.inner.evaluate(emit_to)?, &self.to)?)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        self.inner.state(emit_to)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.inner
            .merge_batch(values, group_indices, total_num_groups)
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        self.inner.convert_to_state(values, opt_filter)
    }

    fn size(&self) -> usize {
        self.inner.size()
    }
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
        // The dividend scaled past 128 bits still divides when the quotient fits (Trino's 256).
        let big = 10i128.pow(30);
        assert_eq!(
            divide(big, 10, 3 * 10i128.pow(10), 10, 10).ok(),
            Some(big / 3)
        );
    }
}
