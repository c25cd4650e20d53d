//! Trino's ranking window functions (`row_number`, `rank`, `dense_rank`, `ntile`) return
//! `bigint`; DataFusion's return unsigned 64-bit integers, so `rank() - row_number()` wrapped
//! around to 18446744073709551615 where Trino answers -1, `-row_number()` was refused and
//! `row_number() - 5` was typed a decimal. Each is wrapped to answer a signed 64-bit integer.

use std::ops::Range;
use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::compute::{cast_with_options, CastOptions, SortOptions};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{
    ExpressionArgs, PartitionEvaluatorArgs, WindowUDFFieldArgs,
};
use datafusion::logical_expr::window_state::WindowAggState;
use datafusion::logical_expr::{
    LimitEffect, PartitionEvaluator, ReversedUDWF, Signature, WindowUDF, WindowUDFImpl,
};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::prelude::SessionContext;

/// DataFusion's window functions that answer unsigned integers where Trino's answer `bigint`.
const UNSIGNED: &[&str] = &["row_number", "rank", "dense_rank", "ntile"];

/// Replaces the functions of [`UNSIGNED`] in `ctx` by their signed forms.
pub fn register(ctx: &SessionContext) {
    for name in UNSIGNED {
        // Every name is one of DataFusion's default window functions; one it dropped is left.
        if let Ok(f) = datafusion::execution::FunctionRegistry::udwf(ctx, name) {
            ctx.register_udwf(signed(Arc::clone(&f)));
        }
    }
}

fn signed(inner: Arc<WindowUDF>) -> WindowUDF {
    WindowUDF::new_from_impl(Signed { inner })
}

/// `inner`, answering `Int64`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Signed {
    inner: Arc<WindowUDF>,
}

impl WindowUDFImpl for Signed {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn expressions(&self, expr_args: ExpressionArgs) -> Vec<Arc<dyn PhysicalExpr>> {
        self.inner.expressions(expr_args)
    }

    fn partition_evaluator(
        &self,
        args: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        Ok(Box::new(SignedEvaluator(
            self.inner.partition_evaluator_factory(args)?,
        )))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> Result<FieldRef> {
        let f = self.inner.field(field_args)?;
        Ok(Arc::new(
            Field::new(f.name(), DataType::Int64, f.is_nullable())
                .with_metadata(f.metadata().clone()),
        ))
    }

    fn sort_options(&self) -> Option<SortOptions> {
        self.inner.sort_options()
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn reverse_expr(&self) -> ReversedUDWF {
        match self.inner.reverse_expr() {
            ReversedUDWF::Reversed(f) => ReversedUDWF::Reversed(Arc::new(signed(f))),
            other => other,
        }
    }

    fn documentation(&self) -> Option<&datafusion::logical_expr::Documentation> {
        self.inner.documentation()
    }

    fn limit_effect(&self, args: &[Arc<dyn PhysicalExpr>]) -> LimitEffect {
        self.inner.inner().limit_effect(args)
    }
}

/// The function's own evaluator, its answers made `Int64`.
#[derive(Debug)]
struct SignedEvaluator(Box<dyn PartitionEvaluator>);

/// `a` as `Int64`, failing (not turning into NULL) on a value beyond it.
fn as_signed(a: &ArrayRef) -> Result<ArrayRef> {
    let options = CastOptions {
        safe: false,
        ..CastOptions::default()
    };
    Ok(cast_with_options(a, &DataType::Int64, &options)?)
}

impl PartitionEvaluator for SignedEvaluator {
    fn memoize(&mut self, state: &mut WindowAggState) -> Result<()> {
        self.0.memoize(state)
    }

    fn get_range(&self, idx: usize, n_rows: usize) -> Result<Range<usize>> {
        self.0.get_range(idx, n_rows)
    }

    fn is_causal(&self) -> bool {
        self.0.is_causal()
    }

    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        as_signed(&self.0.evaluate_all(values, num_rows)?)
    }

    fn evaluate(&mut self, values: &[ArrayRef], range: &Range<usize>) -> Result<ScalarValue> {
        let v = self.0.evaluate(values, range)?;
        let signed = as_signed(&v.to_array()?)?;
        ScalarValue::try_from_array(&signed, 0)
    }

    fn evaluate_all_with_rank(
        &self,
        num_rows: usize,
        ranks_in_partition: &[Range<usize>],
    ) -> Result<ArrayRef> {
        as_signed(
            &self
                .0
                .evaluate_all_with_rank(num_rows, ranks_in_partition)?,
        )
    }

    fn supports_bounded_execution(&self) -> bool {
        self.0.supports_bounded_execution()
    }

    fn uses_window_frame(&self) -> bool {
        self.0.uses_window_frame()
    }

    fn include_rank(&self) -> bool {
        self.0.include_rank()
    }
}
