//! A Trino function as a plain body over arrays: what most of the added functions need, without
//! one `ScalarUDFImpl` per function.

use std::hash::{Hash, Hasher};
use std::ops::RangeInclusive;

use datafusion::arrow::array::{ArrayRef, UInt32Array};
use datafusion::arrow::compute::take;
use datafusion::arrow::datatypes::DataType;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};

/// Computes a function's result from its arguments (arrays of one length).
pub type Body = fn(&[ArrayRef]) -> Result<ArrayRef>;
/// A function's result type from its argument types.
pub type Returns = fn(&[DataType]) -> Result<DataType>;

/// One named function: its arity, result type and body.
#[derive(Debug)]
pub struct Func {
    name: &'static str,
    aliases: Vec<String>,
    arity: RangeInclusive<usize>,
    signature: Signature,
    returns: Returns,
    body: Body,
    /// Whether the result is JSON (a `varchar` field marked so, see [`super::cast`]).
    json: bool,
}

// Functions are told apart by name: two registrations of one name are the same function.
impl PartialEq for Func {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Func {}

impl Hash for Func {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl Func {
    /// `name` taking any arguments within `arity`, of any type (the body casts them).
    pub fn new(
        name: &'static str,
        arity: RangeInclusive<usize>,
        returns: Returns,
        body: Body,
    ) -> Self {
        // Any number of arguments reaches `return_type`, which names the function and the
        // arguments when the count is wrong (DataFusion's own message lists signatures).
        let form = if *arity.end() == 0 {
            TypeSignature::Nullary
        } else {
            TypeSignature::VariadicAny
        };
        Self {
            name,
            aliases: Vec::new(),
            arity,
            signature: Signature::new(form, Volatility::Immutable),
            returns,
            body,
            json: false,
        }
    }

    /// Answers Trino's `json`: texts in a marked field, which a cast reads as JSON.
    pub fn json(mut self) -> Self {
        self.json = true;
        self
    }

    /// A different answer on each call (never folded into a constant while planning).
    pub fn volatile(mut self) -> Self {
        self.signature.volatility = Volatility::Volatile;
        self
    }

    /// Also callable as `names`.
    pub fn alias(mut self, names: &[&str]) -> Self {
        self.aliases = names.iter().map(|n| (*n).to_string()).collect();
        self
    }

    /// As a DataFusion function.
    pub fn udf(self) -> ScalarUDF {
        ScalarUDF::new_from_impl(self)
    }
}

impl ScalarUDFImpl for Func {
    fn name(&self) -> &str {
        self.name
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        if !self.arity.contains(&arg_types.len()) {
            return Err(DataFusionError::Plan(format!(
                "Unexpected parameters ({}) for function {}",
                arg_types
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                self.name
            )));
        }
        (self.returns)(arg_types)
    }

    fn return_field_from_args(
        &self,
        args: datafusion::logical_expr::ReturnFieldArgs,
    ) -> Result<datafusion::arrow::datatypes::FieldRef> {
        let t = self.return_type(&super::data_types(args.arg_fields))?;
        Ok(std::sync::Arc::new(super::cast::result_field(
            self.name, t, self.json,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let out = if arrays.is_empty() {
            // A function of no arguments still answers once per row.
            let one = (self.body)(&[])?;
            let rows = UInt32Array::from(vec![0u32; args.number_rows]);
            take(&one, &rows, None)?
        } else {
            (self.body)(&arrays)?
        };
        Ok(ColumnarValue::Array(out))
    }
}

/// A fixed result type.
pub fn returns_utf8(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::Utf8)
}

/// A 64-bit integer result.
pub fn returns_int64(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::Int64)
}

/// A boolean result.
pub fn returns_bool(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::Boolean)
}

/// A double result.
pub fn returns_f64(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::Float64)
}

/// A date result.
pub fn returns_date(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::Date32)
}

/// A timestamp (milliseconds, no zone) result, as Lake's `eventTime`.
pub fn returns_timestamp(_: &[DataType]) -> Result<DataType> {
    Ok(super::TS_MS)
}
