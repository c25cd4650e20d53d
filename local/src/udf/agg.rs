//! Trino's aggregate functions that DataFusion lacks or names otherwise: `count_if`,
//! `min_by`/`max_by`, and `arbitrary`, `every`, `approx_percentile` as DataFusion's own.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type};
use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    create_udaf, Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;

/// Registers the aggregates, and Trino's names for DataFusion's equivalents.
pub fn register(ctx: &SessionContext) {
    ctx.register_udaf(create_udaf(
        "count_if",
        vec![DataType::Boolean],
        Arc::new(DataType::Int64),
        Volatility::Immutable,
        Arc::new(|_| Ok(Box::new(CountIf::default()))),
        Arc::new(vec![DataType::Int64]),
    ));
    for largest in [false, true] {
        ctx.register_udaf(AggregateUDF::new_from_impl(By::new(largest)));
    }
    for (theirs, ours) in [
        ("first_value", "arbitrary"),
        ("bool_and", "every"),
        ("approx_percentile_cont", "approx_percentile"),
    ] {
        if let Ok(f) = ctx.udaf(theirs) {
            ctx.register_udaf((*f).clone().with_aliases([ours]));
        }
    }
}

/// Trino's `count_if(condition)`: the rows where the condition is true.
#[derive(Debug, Default)]
struct CountIf(i64);

impl Accumulator for CountIf {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let b = cast(&values[0], &DataType::Boolean)?;
        let n = i64::try_from(b.as_boolean().true_count()).unwrap_or(i64::MAX);
        self.0 = self.0.saturating_add(n);
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let counts = cast(&states[0], &DataType::Int64)?;
        for c in counts.as_primitive::<Int64Type>().iter().flatten() {
            self.0 = self.0.saturating_add(c);
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Int64(Some(self.0))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Int64(Some(self.0)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

/// `min_by(x, y)` / `max_by(x, y)`: the `x` of the row with the least / greatest `y`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct By {
    largest: bool,
    signature: Signature,
}

impl By {
    fn new(largest: bool) -> Self {
        Self {
            largest,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for By {
    fn name(&self) -> &str {
        if self.largest {
            "max_by"
        } else {
            "min_by"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(args
            .input_fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                Arc::new(Field::new(
                    format!("{}[{i}]", args.name),
                    f.data_type().clone(),
                    true,
                ))
            })
            .collect())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let key = args
            .expr_fields
            .get(1)
            .map_or(DataType::Null, |f| f.data_type().clone());
        Ok(Box::new(ByAcc {
            largest: self.largest,
            value: ScalarValue::try_from(args.return_type())?,
            key: ScalarValue::try_from(&key)?,
        }))
    }
}

#[derive(Debug)]
struct ByAcc {
    largest: bool,
    value: ScalarValue,
    /// NULL until a row with a key is seen.
    key: ScalarValue,
}

impl ByAcc {
    fn offer(&mut self, values: &ArrayRef, keys: &ArrayRef) -> Result<()> {
        for i in 0..keys.len() {
            if keys.is_null(i) {
                continue;
            }
            let k = ScalarValue::try_from_array(keys, i)?;
            let better = self.key.is_null()
                || match k.partial_cmp(&self.key) {
                    Some(std::cmp::Ordering::Greater) => self.largest,
                    Some(std::cmp::Ordering::Less) => !self.largest,
                    _ => false,
                };
            if better {
                self.value = ScalarValue::try_from_array(values, i)?;
                self.key = k;
            }
        }
        Ok(())
    }
}

impl Accumulator for ByAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.offer(&values[0], &values[1])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.offer(&states[0], &states[1])
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.value.clone(), self.key.clone()])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(self.value.clone())
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.value.size() + self.key.size()
    }
}
