//! Trino's `typeof(x)`: the name of `x`'s type, as Trino names it ([`crate::trino_type`]).

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

#[derive(Debug, PartialEq, Eq, Hash)]
struct TypeOf {
    signature: Signature,
}

/// `typeof` as a DataFusion function.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(TypeOf {
        // Volatile only so that DataFusion's constant folding leaves the call to `simplify`,
        // which sees the argument as written; `simplify` always replaces it.
        signature: Signature::any(1, Volatility::Volatile),
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

    /// The answer is the argument's type, known while planning: a constant, where the
    /// argument as written still shows a literal's Trino type (`varchar(3)`, `integer`).
    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        let [arg] = args.as_slice() else {
            return Ok(ExprSimplifyResult::Original(args));
        };
        let t = info.get_data_type(arg)?;
        Ok(ExprSimplifyResult::Simplified(Expr::Literal(
            ScalarValue::Utf8(Some(crate::trino_type::of_expr(arg, &t))),
            None,
        )))
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
