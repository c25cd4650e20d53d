//! Trino's `sum` of integers, which fails on overflow with `bigint addition overflow: a + b`
//! (its `LongSumAggregation` adds through `BigintOperators.add`), where DataFusion's wraps
//! around without a word: the sum of 9223372036854775807 twice was -2. Any other type (double,
//! decimal) is DataFusion's `sum` as it is.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array};
use datafusion::arrow::datatypes::{DataType, FieldRef, Int64Type};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, ReversedUDAF, Signature,
};

use super::exec_err;

/// DataFusion's `sum`, overflow-checked for integers (which it widens to `Int64` first, as
/// Trino widens them to `bigint`).
pub fn udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(CheckedSum {
        inner: datafusion::functions_aggregate::sum::sum_udaf(),
    })
}

/// `sum`, delegating to DataFusion's for anything but a sum of `Int64`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct CheckedSum {
    inner: Arc<AggregateUDF>,
}

/// Whether the call sums 64-bit integers (after coercion, every signed integer).
fn integers(args: &AccumulatorArgs) -> bool {
    args.return_field.data_type() == &DataType::Int64
}

impl AggregateUDFImpl for CheckedSum {
    fn name(&self) -> &str {
        self.inner.name()
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
        self.inner.return_type(arg_types)
    }

    fn return_field(&self, arg_fields: &[FieldRef]) -> Result<FieldRef> {
        self.inner.return_field(arg_fields)
    }

    fn is_nullable(&self) -> bool {
        self.inner.is_nullable()
    }

    fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
        self.inner.documentation()
    }

    fn reverse_expr(&self) -> ReversedUDAF {
        ReversedUDAF::Identical
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        // One nullable running sum, as DataFusion's (NULL until a value is seen).
        self.inner.state_fields(args)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        if integers(&args) && !args.is_distinct {
            return Ok(Box::new(Running::default()));
        }
        self.inner.accumulator(args)
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        self.inner.groups_accumulator_supported(args)
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        if integers(&args) {
            return Ok(Box::new(Groups::default()));
        }
        self.inner.create_groups_accumulator(args)
    }

    fn create_sliding_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        if integers(&args) && !args.is_distinct {
            return Ok(Box::new(Sliding::default()));
        }
        self.inner.create_sliding_accumulator(args)
    }
}

/// `a + b`, or Trino's NUMERIC_VALUE_OUT_OF_RANGE text for it.
fn add(a: i64, b: i64) -> Result<i64> {
    a.checked_add(b)
        .ok_or_else(|| exec_err(format!("bigint addition overflow: {a} + {b}")))
}

/// The values of `a` (a sum's input or state), which coercion has made `Int64`.
fn values(a: &ArrayRef) -> Result<&Int64Array> {
    a.as_primitive_opt::<Int64Type>()
        .ok_or_else(|| exec_err("sum: 64-bit integers expected"))
}

/// One running sum (a whole table's, or a window frame's that grows from the partition's
/// start), NULL until a value is seen.
#[derive(Debug, Default)]
struct Running {
    sum: Option<i64>,
}

impl Running {
    fn feed(&mut self, column: &ArrayRef) -> Result<()> {
        for x in values(column)?.iter().flatten() {
            self.sum = Some(add(self.sum.unwrap_or(0), x)?);
        }
        Ok(())
    }
}

impl Accumulator for Running {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let column = values
            .first()
            .ok_or_else(|| exec_err("sum takes a value"))?;
        self.feed(column)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let column = states
            .first()
            .ok_or_else(|| exec_err("sum takes a state"))?;
        self.feed(column)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.evaluate()?])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Int64(self.sum))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

/// Whether `row` passes an aggregate's FILTER (a NULL condition does not).
fn passes(filter: Option<&BooleanArray>, row: usize) -> bool {
    filter.is_none_or(|f| f.is_valid(row) && f.value(row))
}

/// A sliding window frame's sum. DataFusion adds the rows entering a frame before it takes off
/// those leaving it, so a sum in between can leave bigint where no frame's does: the sum is
/// kept in 128 bits and only a frame's own sum beyond bigint fails.
#[derive(Debug, Default)]
struct Sliding {
    sum: i128,
    count: u64,
}

impl Sliding {
    fn feed(&mut self, column: &ArrayRef, sign: i128) -> Result<()> {
        for x in values(column)?.iter().flatten() {
            // 2^64 values of at most 2^63 each stay within an i128.
            self.sum = self.sum.saturating_add(sign.saturating_mul(i128::from(x)));
            self.count = if sign > 0 {
                self.count.saturating_add(1)
            } else {
                self.count.saturating_sub(1)
            };
        }
        Ok(())
    }
}

impl Accumulator for Sliding {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let column = values
            .first()
            .ok_or_else(|| exec_err("sum takes a value"))?;
        self.feed(column, 1)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let column = states
            .first()
            .ok_or_else(|| exec_err("sum takes a state"))?;
        self.feed(column, 1)
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let column = values
            .first()
            .ok_or_else(|| exec_err("sum takes a value"))?;
        self.feed(column, -1)
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.evaluate()?])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        if self.count == 0 {
            return Ok(ScalarValue::Int64(None));
        }
        let sum = i64::try_from(self.sum).map_err(|_| {
            exec_err(format!(
                "bigint addition overflow: a window frame's sum, {}, is beyond bigint",
                self.sum
            ))
        })?;
        Ok(ScalarValue::Int64(Some(sum)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

/// Running sums per group (a GROUP BY's), NULL for a group that has seen no value.
#[derive(Debug, Default)]
struct Groups {
    sums: Vec<i64>,
    seen: Vec<bool>,
}

impl Groups {
    fn feed(
        &mut self,
        column: &ArrayRef,
        group_indices: &[usize],
        filter: Option<&BooleanArray>,
        groups: usize,
    ) -> Result<()> {
        self.sums.resize(groups, 0);
        self.seen.resize(groups, false);
        let column = values(column)?;
        for (row, &g) in group_indices.iter().enumerate() {
            if !passes(filter, row) || column.is_null(row) {
                continue;
            }
            let (Some(sum), Some(seen)) = (self.sums.get_mut(g), self.seen.get_mut(g)) else {
                return Err(exec_err("sum: a group index out of range"));
            };
            *sum = add(*sum, column.value(row))?;
            *seen = true;
        }
        Ok(())
    }
}

impl GroupsAccumulator for Groups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        let column = values
            .first()
            .ok_or_else(|| exec_err("sum takes a value"))?;
        self.feed(column, group_indices, opt_filter, total_num_groups)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        let column = values
            .first()
            .ok_or_else(|| exec_err("sum takes a state"))?;
        self.feed(column, group_indices, None, total_num_groups)
    }

    /// Each row as its own partial sum (NULL where the filter drops it).
    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let column = values
            .first()
            .ok_or_else(|| exec_err("sum takes a value"))?;
        let column = self::values(column)?;
        Ok(vec![Arc::new(
            column
                .iter()
                .enumerate()
                .map(|(row, v)| v.filter(|_| passes(opt_filter, row)))
                .collect::<Int64Array>(),
        )])
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let sums = emit_to.take_needed(&mut self.sums);
        let seen = emit_to.take_needed(&mut self.seen);
        Ok(Arc::new(
            sums.into_iter()
                .zip(seen)
                .map(|(s, seen)| seen.then_some(s))
                .collect::<Int64Array>(),
        ))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(vec![self.evaluate(emit_to)?])
    }

    fn size(&self) -> usize {
        self.sums
            .capacity()
            .saturating_mul(std::mem::size_of::<i64>())
            .saturating_add(self.seen.capacity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(values: &[Option<i64>]) -> ArrayRef {
        Arc::new(values.iter().copied().collect::<Int64Array>())
    }

    #[test]
    fn an_overflowing_sum_fails_with_trinos_words() {
        let mut running = Running::default();
        running
            .update_batch(&[column(&[Some(i64::MAX - 1), None])])
            .expect("in range");
        let e = running
            .update_batch(&[column(&[Some(2)])])
            .expect_err("overflow");
        assert!(
            e.to_string()
                .contains("bigint addition overflow: 9223372036854775806 + 2"),
            "{e}"
        );
    }

    #[test]
    fn groups_sum_apart_and_empty_groups_are_null() {
        let mut groups = Groups::default();
        groups
            .update_batch(
                &[column(&[Some(1), Some(2), None, Some(-5)])],
                &[0, 2, 1, 0],
                None,
                3,
            )
            .expect("sums");
        let out = groups.evaluate(EmitTo::All).expect("evaluate");
        let expected: ArrayRef = column(&[Some(-4), None, Some(2)]);
        assert_eq!(&out, &expected);
        let e = groups
            .update_batch(&[column(&[Some(-1), Some(i64::MIN)])], &[0, 0], None, 1)
            .expect_err("overflow");
        assert!(
            e.to_string()
                .contains("bigint addition overflow: -1 + -9223372036854775808"),
            "{e}"
        );
    }

    #[test]
    fn a_frame_that_empties_is_null_again_and_passes_through_sums_beyond_bigint() {
        let mut frame = Sliding::default();
        // DataFusion adds the entering row before the leaving one goes.
        frame
            .update_batch(&[column(&[Some(i64::MAX)])])
            .expect("add");
        frame.update_batch(&[column(&[Some(1)])]).expect("add");
        frame
            .retract_batch(&[column(&[Some(i64::MAX)])])
            .expect("retract");
        assert_eq!(frame.evaluate().expect("sum"), ScalarValue::Int64(Some(1)));
        frame
            .update_batch(&[column(&[Some(i64::MAX)])])
            .expect("add");
        assert!(frame.evaluate().is_err());
        frame
            .retract_batch(&[column(&[Some(1), Some(i64::MAX)])])
            .expect("retract");
        assert_eq!(frame.evaluate().expect("sum"), ScalarValue::Int64(None));
    }
}
