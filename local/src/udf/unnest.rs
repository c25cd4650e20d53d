//! One column of an unnested element, as Trino's `UNNEST` names them: an array of ROWs
//! expands into one column per field (`UNNEST(resources) AS t(accountid, type, arn, ...)`),
//! any other array into one column; an alias list of another length is Trino's error.
//! [`crate::sql`] rewrites `CROSS JOIN UNNEST` into DataFusion's `unnest` and calls this.

use std::sync::Arc;

use datafusion::arrow::array::{make_array, Array, ArrayRef, AsArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

/// The function's name in rewritten SQL: `trino_unnest_field(element, i, n, 'alias')`, the
/// `i`-th (from 1) of the `n` columns the UNNEST named `alias` declares.
pub const UNNEST_FIELD: &str = "trino_unnest_field";

/// See the module documentation.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct UnnestField {
    signature: Signature,
}

impl UnnestField {
    /// The function.
    pub fn new() -> Self {
        Self {
            signature: Signature::any(4, Volatility::Immutable),
        }
    }
}

impl Default for UnnestField {
    fn default() -> Self {
        Self::new()
    }
}

/// The position and count literals and the alias.
fn literals(args: &[Option<&ScalarValue>]) -> Result<(usize, usize, String)> {
    let int = |v: Option<&Option<&ScalarValue>>| match v {
        Some(Some(ScalarValue::Int64(Some(i)))) => usize::try_from(*i).ok(),
        _ => None,
    };
    let name = match args.get(3) {
        Some(Some(ScalarValue::Utf8(Some(s)))) => s.clone(),
        _ => String::new(),
    };
    match (int(args.get(1)), int(args.get(2))) {
        (Some(i), Some(n)) if (1..=n).contains(&i) => Ok((i, n, name)),
        _ => Err(DataFusionError::Plan(format!(
            "{UNNEST_FIELD} takes an element, its column's position and count, and a name"
        ))),
    }
}

/// Which field of an element of type `t` is column `i` of `n`: `Some(index)` of a ROW's
/// field, `None` for the element itself.
fn column_of(t: &DataType, i: usize, n: usize, name: &str) -> Result<Option<usize>> {
    let available = match t {
        DataType::Struct(fields) => fields.len(),
        _ => 1,
    };
    if available != n {
        return Err(DataFusionError::Plan(format!(
            "Column alias list has {n} entries but '{name}' has {available} columns available"
        )));
    }
    Ok(match t {
        DataType::Struct(_) => Some(i - 1),
        _ => None,
    })
}

impl ScalarUDFImpl for UnnestField {
    fn name(&self) -> &str {
        UNNEST_FIELD
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Err(DataFusionError::Internal(format!(
            "{UNNEST_FIELD}'s type comes from its arguments"
        )))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let (i, n, name) = literals(args.scalar_arguments)?;
        let element = args
            .arg_fields
            .first()
            .ok_or_else(|| DataFusionError::Plan(format!("{UNNEST_FIELD} needs an element")))?;
        let t = match (
            column_of(element.data_type(), i, n, &name)?,
            element.data_type(),
        ) {
            (Some(k), DataType::Struct(fields)) => fields
                .get(k)
                .map(|f| f.data_type().clone())
                .ok_or_else(|| DataFusionError::Plan(format!("no field {i} in '{name}'")))?,
            _ => element.data_type().clone(),
        };
        Ok(Arc::new(Field::new(self.name(), t, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalars: Vec<Option<&ScalarValue>> = args
            .args
            .iter()
            .map(|a| match a {
                ColumnarValue::Scalar(s) => Some(s),
                ColumnarValue::Array(_) => None,
            })
            .collect();
        let (i, n, name) = literals(&scalars)?;
        let arrays = ColumnarValue::values_to_arrays(&args.args[..1])?;
        let element: ArrayRef = arrays
            .into_iter()
            .next()
            .ok_or_else(|| DataFusionError::Execution(format!("{UNNEST_FIELD}: no element")))?;
        let Some(k) = column_of(element.data_type(), i, n, &name)? else {
            return Ok(ColumnarValue::Array(element));
        };
        let row = element.as_struct();
        let field = row.column(k);
        // A NULL element has NULL fields, whatever its children hold there.
        let nulls = NullBuffer::union(row.nulls(), field.nulls());
        let data = field.to_data().into_builder().nulls(nulls).build()?;
        Ok(ColumnarValue::Array(make_array(data)))
    }
}
