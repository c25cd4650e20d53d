//! Trino's `typeof(x)`: the name of `x`'s type, as Trino names it ([`crate::trino_type`]). The
//! analyzer answers each call from the argument as written (a literal's `varchar(3)` or
//! `integer`, see [`super::decimal::TrinoNumbers`]); this function answers from the type alone
//! where a call reaches execution otherwise.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

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
