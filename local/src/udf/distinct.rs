//! `f(DISTINCT x)` for the aggregates that would otherwise ignore DISTINCT or refuse it when it
//! stands beside other aggregates (DataFusion rewrites a lone DISTINCT aggregate into a GROUP BY
//! itself): the service's own (`histogram`, `count_if`, `checksum`, the checked `sum`,
//! `approx_distinct`...) and DataFusion's
//! statistics (`stddev`, `corr`, `covar_*`, `regr_*`). Each distinct row of arguments is fed to
//! the function's own accumulator once, as Trino's MarkDistinct does; partial states carry the
//! rows seen, so that partitions merge without counting a row twice.

use std::sync::Arc;

use indexmap::IndexSet;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, GroupsAccumulator, Signature,
};

use super::exec_err;

/// DataFusion's aggregates (by name) that ignore DISTINCT (`corr`, `covar_*`, `regr_*`) or
/// refuse it (`stddev`, `stddev_pop`); its others (`count`, `avg`, `var`...) keep their
/// own DISTINCT.
const DATAFUSION_WITHOUT_DISTINCT: &[&str] = &[
    "stddev",
    "stddev_pop",
    "corr",
    "covar_samp",
    "covar_pop",
    "regr_slope",
    "regr_intercept",
];

/// `f`, which counts each distinct row of arguments once when called with DISTINCT.
pub fn wrap(f: AggregateUDF) -> AggregateUDF {
    AggregateUDF::new_from_impl(Distinct { inner: Arc::new(f) })
}

/// Wraps DataFusion's statistics in `ctx` (see [`DATAFUSION_WITHOUT_DISTINCT`]).
pub fn register(ctx: &datafusion::prelude::SessionContext) {
    for name in DATAFUSION_WITHOUT_DISTINCT {
        // Every name is one of DataFusion's default aggregates; one it dropped is not wrapped.
        if let Ok(f) = datafusion::execution::FunctionRegistry::udaf(ctx, name) {
            ctx.register_udaf(wrap((*f).clone()));
        }
    }
}

/// An aggregate taking DISTINCT through [`Rows`]; anything else is the aggregate's own.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Distinct {
    inner: Arc<AggregateUDF>,
}

impl AggregateUDFImpl for Distinct {
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

    fn default_value(&self, data_type: &DataType) -> Result<ScalarValue> {
        self.inner.default_value(data_type)
    }

    fn supports_null_handling_clause(&self) -> bool {
        self.inner.supports_null_handling_clause()
    }

    fn supports_within_group_clause(&self) -> bool {
        self.inner.supports_within_group_clause()
    }

    fn is_descending(&self) -> Option<bool> {
        self.inner.is_descending()
    }

    fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
        self.inner.documentation()
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        if !args.is_distinct {
            return self.inner.state_fields(args);
        }
        // The rows seen: one list per argument, in step.
        Ok(args
            .input_fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                Arc::new(Field::new(
                    format!("{}[distinct {i}]", args.name),
                    DataType::new_list(f.data_type().clone(), true),
                    true,
                ))
            })
            .collect())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        if !args.is_distinct {
            return self.inner.accumulator(args);
        }
        let types = super::data_types(args.expr_fields);
        debug_assert!(types.len() == args.exprs.len());
        let inner = self.inner.accumulator(AccumulatorArgs {
            is_distinct: false,
            ..args
        })?;
        Ok(Box::new(Rows {
            inner,
            types,
            seen: IndexSet::new(),
            bytes: 0,
        }))
    }

    fn groups_accumulator_supported(&self, args: AccumulatorArgs) -> bool {
        !args.is_distinct && self.inner.groups_accumulator_supported(args)
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        self.inner.create_groups_accumulator(args)
    }

    fn create_sliding_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        if args.is_distinct {
            // Unreachable: `crate::analysis` refuses DISTINCT in a window first; kept as a guard.
            return Err(exec_err(format!(
                "{}(DISTINCT ...) is not supported as a window function",
                self.name()
            )));
        }
        self.inner.create_sliding_accumulator(args)
    }
}

/// The distinct rows of arguments seen (in the order first seen, so that partial states replay
/// alike from run to run), and the function's accumulator fed each once.
#[derive(Debug)]
struct Rows {
    inner: Box<dyn Accumulator>,
    types: Vec<DataType>,
    seen: IndexSet<Vec<ScalarValue>>,
    /// What the rows in `seen` hold, for [`Accumulator::size`].
    bytes: usize,
}

impl Rows {
    /// Feeds the rows of `columns` not seen before to the function's accumulator.
    fn feed(&mut self, columns: &[ArrayRef]) -> Result<()> {
        let rows = columns.first().map_or(0, |c| Array::len(c.as_ref()));
        let mut fresh: Vec<Vec<ScalarValue>> = vec![Vec::new(); columns.len()];
        for r in 0..rows {
            let mut row = columns
                .iter()
                .map(|c| ScalarValue::try_from_array(c, r).map(as_trino_compares))
                .collect::<Result<Vec<_>>>()?;
            if self.seen.contains(&row) {
                continue;
            }
            // A nested value would otherwise hold its whole batch's buffers.
            row.iter_mut().for_each(ScalarValue::compact);
            for (column, v) in fresh.iter_mut().zip(&row) {
                column.push(v.clone());
            }
            let held = row
                .iter()
                .map(ScalarValue::size)
                .sum::<usize>()
                .saturating_add(std::mem::size_of::<Vec<ScalarValue>>() * 2);
            self.bytes = self.bytes.saturating_add(held);
            self.seen.insert(row);
        }
        if fresh.first().is_some_and(|c| !c.is_empty()) {
            let arrays = fresh
                .into_iter()
                .map(ScalarValue::iter_to_array)
                .collect::<Result<Vec<_>>>()?;
            self.inner.update_batch(&arrays)?;
        }
        Ok(())
    }
}

/// A value as Trino's DISTINCT compares it: -0.0 as 0.0 and every NaN as one (ScalarValue
/// compares floats by their bits).
fn as_trino_compares(v: ScalarValue) -> ScalarValue {
    // Adding +0.0 turns -0.0 into 0.0 (IEEE 754) and leaves every other number as it is.
    match v {
        ScalarValue::Float64(Some(f)) => {
            ScalarValue::Float64(Some(if f.is_nan() { f64::NAN } else { f + 0.0 }))
        }
        ScalarValue::Float32(Some(f)) => {
            ScalarValue::Float32(Some(if f.is_nan() { f32::NAN } else { f + 0.0 }))
        }
        other => other,
    }
}

impl Accumulator for Rows {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.feed(values)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.inner.evaluate()
    }

    fn size(&self) -> usize {
        self.inner.size().saturating_add(self.bytes)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let mut columns: Vec<Vec<ScalarValue>> = vec![Vec::new(); self.types.len()];
        for row in &self.seen {
            for (column, v) in columns.iter_mut().zip(row) {
                column.push(v.clone());
            }
        }
        Ok(columns
            .into_iter()
            .zip(&self.types)
            .map(|(values, t)| ScalarValue::List(ScalarValue::new_list_nullable(&values, t)))
            .collect())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let lists = states
            .iter()
            .map(|s| {
                s.as_list_opt::<i32>()
                    .cloned()
                    .ok_or_else(|| exec_err("a DISTINCT state of lists expected"))
            })
            .collect::<Result<Vec<_>>>()?;
        let partials = lists.first().map_or(0, Array::len);
        for p in 0..partials {
            let columns: Vec<ArrayRef> = lists
                .iter()
                .map(|l| {
                    if l.is_null(p) {
                        l.values().slice(0, 0)
                    } else {
                        l.value(p)
                    }
                })
                .collect();
            self.feed(&columns)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::Float64Array;
    use datafusion::functions_aggregate::count::count_udaf;

    /// A `count(x)` accumulator under DISTINCT: the number of distinct values fed.
    fn counting() -> Rows {
        let schema = datafusion::arrow::datatypes::Schema::empty();
        let field = Arc::new(Field::new("x", DataType::Float64, true));
        let expr: Arc<dyn datafusion::physical_expr::PhysicalExpr> = Arc::new(
            datafusion::physical_expr::expressions::Literal::new(ScalarValue::Float64(None)),
        );
        let return_field = Arc::new(Field::new("n", DataType::Int64, true));
        let args = AccumulatorArgs {
            return_field,
            schema: &schema,
            ignore_nulls: false,
            order_bys: &[],
            is_reversed: false,
            name: "count",
            is_distinct: false,
            exprs: &[expr],
            expr_fields: &[field],
        };
        let inner = count_udaf().accumulator(args).expect("count accumulator");
        Rows {
            inner,
            types: vec![DataType::Float64],
            seen: IndexSet::new(),
            bytes: 0,
        }
    }

    fn column(values: &[f64]) -> ArrayRef {
        Arc::new(Float64Array::from(values.to_vec()))
    }

    #[test]
    fn partitions_merge_without_counting_a_value_twice() {
        let (mut a, mut b) = (counting(), counting());
        a.update_batch(&[column(&[1.0, 2.0, 2.0, 0.0, f64::NAN])])
            .expect("a");
        b.update_batch(&[column(&[2.0, 3.0, -0.0, -f64::NAN])])
            .expect("b");
        let mut total = counting();
        for partial in [&mut a, &mut b] {
            let state = partial.state().expect("state");
            let arrays = state
                .iter()
                .map(|s| s.to_array().expect("array"))
                .collect::<Vec<_>>();
            total.merge_batch(&arrays).expect("merge");
        }
        // 0.0, 1.0, 2.0, 3.0 and NaN: -0.0 is 0.0 and every NaN one, as in Trino.
        assert_eq!(
            total.evaluate().expect("count"),
            ScalarValue::Int64(Some(5))
        );
    }
}
