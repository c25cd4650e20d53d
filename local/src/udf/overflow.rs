//! Trino's integer arithmetic, which fails on overflow (`bigint addition overflow:
//! 9223372036854775807 + 1`) where DataFusion's wraps around without a word. An analyzer rule,
//! after type coercion (so both operands have their common type), sends each `+`, `-` and `*` of
//! two integers of one type through Arrow's checked kernels.

use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::compute::kernels::numeric;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::Transformed;
use datafusion::config::ConfigOptions;
use datafusion::error::Result;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    BinaryExpr, ColumnarValue, Expr, ExprSchemable, LogicalPlan, Operator, ScalarFunctionArgs,
    ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::optimizer::AnalyzerRule;

use super::{exec_err, int64s};

/// The analyzer rule that replaces integer `+`, `-` and `*` by [`Checked`] calls.
#[derive(Debug)]
pub struct CheckedIntegers;

impl AnalyzerRule for CheckedIntegers {
    fn name(&self) -> &str {
        "trino_checked_integers"
    }

    fn analyze(&self, plan: LogicalPlan, _: &ConfigOptions) -> Result<LogicalPlan> {
        crate::dialect::rewrite_plan(plan, |e, schema| {
            let Expr::BinaryExpr(BinaryExpr { left, op, right }) = &e else {
                return Ok(Transformed::no(e));
            };
            let Some(checked) = Op::of(*op) else {
                return Ok(Transformed::no(e));
            };
            let (Ok(l), Ok(r)) = (left.get_type(schema), right.get_type(schema)) else {
                return Ok(Transformed::no(e));
            };
            // Unsigned integers (`rank()`) are left alone: making them signed here would
            // change the types the plan's schemas already hold.
            if !(l.is_signed_integer() && l == r) {
                return Ok(Transformed::no(e));
            }
            let Expr::BinaryExpr(BinaryExpr { left, right, .. }) = e else {
                return Ok(Transformed::no(e));
            };
            Ok(Transformed::yes(Expr::ScalarFunction(
                ScalarFunction::new_udf(
                    Arc::new(ScalarUDF::new_from_impl(Checked::new(checked))),
                    vec![*left, *right],
                ),
            )))
        })
    }
}

/// The checked operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Op {
    Add,
    Subtract,
    Multiply,
}

impl Op {
    /// The checked operation for `op`, if it is one.
    fn of(op: Operator) -> Option<Self> {
        match op {
            Operator::Plus => Some(Op::Add),
            Operator::Minus => Some(Op::Subtract),
            Operator::Multiply => Some(Op::Multiply),
            _ => None,
        }
    }

    /// The operator the operation replaces.
    fn operator(self) -> Operator {
        match self {
            Op::Add => Operator::Plus,
            Op::Subtract => Operator::Minus,
            Op::Multiply => Operator::Multiply,
        }
    }

    /// Trino's word and symbol for the operation.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Op::Add => ("addition", "+"),
            Op::Subtract => ("subtraction", "-"),
            Op::Multiply => ("multiplication", "*"),
        }
    }

    /// The exact result, which cannot overflow an `i128` for operands of up to 64 bits.
    fn exact(self, a: i128, b: i128) -> i128 {
        match self {
            Op::Add => a + b,
            Op::Subtract => a - b,
            Op::Multiply => a * b,
        }
    }
}

/// `+`, `-` or `*` of two integers of one type, failing with Trino's message on overflow.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Checked {
    op: Op,
    signature: Signature,
}

impl Checked {
    fn new(op: Op) -> Self {
        Self {
            op,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for Checked {
    fn name(&self) -> &str {
        match self.op {
            Op::Add => "trino_checked_add",
            Op::Subtract => "trino_checked_subtract",
            Op::Multiply => "trino_checked_multiply",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        types
            .first()
            .cloned()
            .ok_or_else(|| exec_err("two integers expected"))
    }

    /// Named as DataFusion names the `a + b` it replaces, so that no name changes (a grouping
    /// set is only planned as one under its own name).
    fn schema_name(&self, args: &[Expr]) -> Result<String> {
        let [a, b] = args else {
            return Err(exec_err("two integers expected"));
        };
        Ok(format!(
            "{} {} {}",
            a.schema_name(),
            self.op.operator(),
            b.schema_name()
        ))
    }

    fn display_name(&self, args: &[Expr]) -> Result<String> {
        self.schema_name(args)
    }

    /// NULL only where an operand is, as for the operator.
    fn return_field_from_args(
        &self,
        args: datafusion::logical_expr::ReturnFieldArgs,
    ) -> Result<datafusion::arrow::datatypes::FieldRef> {
        let t = self.return_type(&super::data_types(args.arg_fields))?;
        let nullable = args.arg_fields.iter().any(|f| f.is_nullable());
        Ok(Arc::new(datafusion::arrow::datatypes::Field::new(
            self.name(),
            t,
            nullable,
        )))
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [a, b] = args.args.as_slice() else {
            return Err(exec_err("two integers expected"));
        };
        let kernel = match self.op {
            Op::Add => numeric::add,
            Op::Subtract => numeric::sub,
            Op::Multiply => numeric::mul,
        };
        // A literal operand stays a scalar for the kernel (no array of it per batch).
        let datum = |v: &ColumnarValue| -> Result<Box<dyn datafusion::arrow::array::Datum>> {
            Ok(match v {
                ColumnarValue::Array(a) => Box::new(Arc::clone(a)),
                ColumnarValue::Scalar(s) => Box::new(s.to_scalar()?),
            })
        };
        let (x, y) = (datum(a)?, datum(b)?);
        let scalar = matches!((a, b), (ColumnarValue::Scalar(_), ColumnarValue::Scalar(_)));
        match kernel(x.as_ref(), y.as_ref()) {
            Ok(out) if scalar => Ok(ColumnarValue::Scalar(
                datafusion::common::ScalarValue::try_from_array(&out, 0)?,
            )),
            Ok(out) => Ok(ColumnarValue::Array(out)),
            Err(datafusion::arrow::error::ArrowError::ArithmeticOverflow(_)) => {
                let rows = args.number_rows.max(1);
                let (a, b) = (a.to_array(rows)?, b.to_array(rows)?);
                Err(overflow(self.op, &a, &b))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Trino's message for the first row of `a` and `b` whose result leaves their type.
fn overflow(op: Op, a: &ArrayRef, b: &ArrayRef) -> datafusion::error::DataFusionError {
    // Only signed integers are checked (see the rule), so the width is 8 to 64 bits.
    let t = a.data_type();
    let name = crate::trino_type::of(t);
    let bits = t.primitive_width().map_or(64, |bytes| bytes * 8);
    let (word, symbol) = op.words();
    let (Ok(x), Ok(y)) = (int64s(a), int64s(b)) else {
        return exec_err(format!("{name} {word} overflow"));
    };
    let limit = 1i128 << (bits - 1);
    let first = x.iter().zip(y.iter()).find_map(|(p, q)| {
        let (p, q) = (p?, q?);
        let r = op.exact(i128::from(p), i128::from(q));
        (r < -limit || r >= limit).then_some((p, q))
    });
    match first {
        Some((p, q)) => exec_err(format!("{name} {word} overflow: {p} {symbol} {q}")),
        None => exec_err(format!("{name} {word} overflow")),
    }
}
