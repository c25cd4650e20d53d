//! `f(DISTINCT x)` for the aggregates that would otherwise ignore DISTINCT or refuse it when it
//! stands beside other aggregates (DataFusion rewrites a lone DISTINCT aggregate into a GROUP BY
//! itself): the service's own (`histogram`, `count_if`, `checksum`...) and DataFusion's
//! statistics (`stddev`, `corr`, `covar_*`, `regr_*`). Each distinct row of arguments is fed to
//! the function's own accumulator once, as Trino's MarkDistinct does; partial states carry the
//! rows seen, so that partitions merge without counting a row twice.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, GroupsAccumulator, Signature,
};

use super::exec_err;

/// The DataFusion aggregates (by name) whose DISTINCT is not their own.
const DATAFUSION: &[&str] = &[
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

/// Wraps DataFusion's statistics in `ctx` (see [`DATAFUSION`]).
pub fn register(ctx: &datafusion::prelude::SessionContext) {
    for name in DATAFUSION {
        if let Ok(f) = datafusion::execution::FunctionRegistry::udaf(ctx, name) {
            ctx.register_udaf(wrap((*f).clone()));
        }
    }
}

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
        let types = args
            .exprs
            .iter()
            .map(|e| e.data_type(args.schema))
            .collect::<Result<Vec<_>>>()?;
        let inner = self.inner.accumulator(AccumulatorArgs {
            is_distinct: false,
            ..args
        })?;
        Ok(Box::new(Rows {
            inner,
            types,
            seen: HashSet::new(),
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
            // Trino refuses DISTINCT in a window function too.
            return Err(exec_err(format!(
                "{}(DISTINCT ...) is not supported as a window function",
                self.name()
            )));
        }
        self.inner.create_sliding_accumulator(args)
    }
}

/// The distinct rows of arguments seen, and the function's accumulator fed each once.
#[derive(Debug)]
struct Rows {
    inner: Box<dyn Accumulator>,
    types: Vec<DataType>,
    seen: HashSet<Vec<ScalarValue>>,
    /// What the rows in `seen` hold, for [`Accumulator::size`].
    bytes: usize,
}

impl Rows {
    /// Feeds the rows of `columns` not seen before to the function's accumulator.
    fn feed(&mut self, columns: &[ArrayRef]) -> Result<()> {
        let rows = columns.first().map_or(0, |c| Array::len(c.as_ref()));
        let mut fresh: Vec<Vec<ScalarValue>> = vec![Vec::new(); columns.len()];
        for r in 0..rows {
            let row = columns
                .iter()
                .map(|c| ScalarValue::try_from_array(c, r))
                .collect::<Result<Vec<_>>>()?;
            if self.seen.contains(&row) {
                continue;
            }
            for (column, v) in fresh.iter_mut().zip(&row) {
                column.push(v.clone());
            }
            self.bytes = self
                .bytes
                .saturating_add(row.iter().map(ScalarValue::size).sum());
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
