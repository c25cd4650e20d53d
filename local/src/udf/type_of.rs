//! Trino's `typeof(x)`: the name of `x`'s type, as Trino names it ([`crate::trino_type`]). The
//! analyzer answers each call once types are coerced ([`TypeOfAnswers`]), from the argument as
//! written (a literal's `varchar(3)` or `integer`); the function answers from the type alone
//! where a call reaches execution otherwise.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::tree_node::Transformed;
use datafusion::common::ScalarValue;
use datafusion::config::ConfigOptions;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::logical_expr::{Expr, ExprSchemable, LogicalPlan};
use datafusion::optimizer::AnalyzerRule;

#[derive(Debug, PartialEq, Eq, Hash)]
struct TypeOf {
    signature: Signature,
}

/// `typeof` as a DataFusion function.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(TypeOf {
        signature: Signature::any(1, Volatility::Immutable),
    })
}

impl ScalarUDFImpl for TypeOf {
    fn name(&self) -> &str {
        "typeof"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let field = args
            .arg_fields
            .first()
            .ok_or_else(|| DataFusionError::Plan("typeof takes one argument".into()))?;
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(
            crate::trino_type::of(field.data_type()),
        ))))
    }
}

/// The analyzer rule replacing each `typeof(x)` with its answer, after DataFusion's type
/// coercion (so `x` has its final type) and before constant folding (so a literal is still
/// one).
#[derive(Debug)]
pub struct TypeOfAnswers;

impl AnalyzerRule for TypeOfAnswers {
    fn name(&self) -> &str {
        "trino_typeof"
    }

    fn analyze(&self, plan: LogicalPlan, _: &ConfigOptions) -> Result<LogicalPlan> {
        crate::dialect::rewrite_plan(plan, |e, schema| match &e {
            Expr::ScalarFunction(f) if f.name() == "typeof" && f.args.len() == 1 => {
                let (_, field) = f.args[0].to_field(schema)?;
                let name = if super::cast::is_json(&field) {
                    "json".to_string()
                } else {
                    crate::trino_type::of_expr(&f.args[0], field.data_type())
                };
                Ok(Transformed::yes(Expr::Literal(
                    ScalarValue::Utf8(Some(name)),
                    None,
                )))
            }
            _ => Ok(Transformed::no(e)),
        })
    }
}
