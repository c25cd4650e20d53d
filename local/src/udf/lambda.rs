//! Trino's lambda functions. `transform`, `filter` and `any_match` are DataFusion's own
//! higher-order functions under Trino's names (`all_match` and `none_match` are rewritten into
//! `any_match`, see [`crate::sql`]); `zip_with`, `reduce`, `transform_keys`,
//! `transform_values`, `map_filter` and `try` are DataFusion higher-order functions here.
//!
//! Each evaluates its lambda once over the flattened elements of a whole batch, the columns the
//! lambda captures spread to one value per element; `reduce` once per element position.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::{
    new_null_array, Array, ArrayRef, AsArray, ListArray, MapArray, UInt32Array,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::{cast, concat, take, take_arrays};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type};
use datafusion::common::utils::take_function_args;
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, HigherOrderFunctionArgs, HigherOrderReturnFieldArgs, HigherOrderSignature,
    HigherOrderUDF, HigherOrderUDFImpl, LambdaArgument, LambdaParametersProgress, ValueOrLambda,
    Volatility,
};
use datafusion::prelude::SessionContext;

use super::map::{assemble, entries, map_type};
use super::{as_list, exec_err, index};

/// The function `try(e)` is rewritten into: `trino_try(0, "__trailwatch_try" -> e)` (see
/// [`crate::sql`]); the lambda lets it evaluate `e` again, row by row, after an error.
pub const TRY: &str = "trino_try";
/// The name of `try`'s lambda parameter, which only the casts of constants `try` defers read
/// (see [`crate::sql`]).
pub const TRY_PARAMETER: &str = "__trailwatch_try";

/// Registers Trino's lambda functions.
pub fn register(ctx: &SessionContext) {
    use datafusion::functions_nested::{array_any_match, array_filter, array_transform};
    for (f, trino) in [
        (
            array_transform::array_transform_higher_order_function(),
            "transform",
        ),
        (array_filter::array_filter_higher_order_function(), "filter"),
        (
            array_any_match::array_any_match_higher_order_function(),
            "any_match",
        ),
    ] {
        ctx.register_higher_order_function(Arc::new(f.as_ref().clone().with_aliases([trino])));
    }
    for f in [
        Lambda::ZipWith,
        Lambda::Reduce,
        Lambda::TransformKeys,
        Lambda::TransformValues,
        Lambda::MapFilter,
        Lambda::Try,
        Lambda::ArraySort,
        Lambda::MapZipWith,
        Lambda::RegexpReplace,
    ] {
        ctx.register_higher_order_function(Arc::new(HigherOrderUDF::new_from_impl(
            TrinoLambda::new(f),
        )));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Lambda {
    /// `zip_with(a, b, (x, y) -> f)`: element-wise, the shorter array padded with NULLs.
    ZipWith,
    /// `reduce(a, initial, (s, x) -> s', s -> r)`.
    Reduce,
    /// `transform_keys(m, (k, v) -> k')`: a NULL or repeated key is an error, as in Trino.
    TransformKeys,
    /// `transform_values(m, (k, v) -> v')`.
    TransformValues,
    /// `map_filter(m, (k, v) -> p)`: the entries for which `p` is true.
    MapFilter,
    /// `try(e)`: NULL where evaluating `e` fails.
    Try,
    /// `array_sort(a, (x, y) -> c)` (see [`SORT`]): ordered by a comparator returning -1, 0 or 1.
    ArraySort,
    /// `map_zip_with(m1, m2, (k, v1, v2) -> v)`: every key of either map, a value missing from
    /// one map NULL.
    MapZipWith,
    /// `regexp_replace(s, pattern, g -> r)` (see [`REGEXP_REPLACE`]): each match replaced by the
    /// lambda's text for the array of its capturing groups.
    RegexpReplace,
}

/// `array_sort` with a comparator is rewritten to this name ([`crate::sql`]): DataFusion's own
/// `array_sort` takes the name when a call has no lambda.
pub const SORT: &str = "trino_array_sort";
/// `regexp_replace` with a lambda, likewise.
pub const REGEXP_REPLACE: &str = "trino_regexp_replace";

/// Rows of up to this many elements have every comparison of their elements evaluated in
/// batches; longer ones one comparison at a time.
const BATCHED_SORT: usize = 32;
/// At most this many comparisons are evaluated in one batch (rows are taken a group at a time).
const PAIRS_PER_BATCH: usize = 65_536;
/// The longest array sorted by a comparator: each comparison is a lambda evaluation, which no
/// run-time limit can interrupt.
const MAX_COMPARATOR_SORT: usize = 10_000;

#[derive(Debug, PartialEq, Eq, Hash)]
struct TrinoLambda {
    f: Lambda,
    signature: HigherOrderSignature,
}

impl TrinoLambda {
    fn new(f: Lambda) -> Self {
        let (v, l) = (ValueOrLambda::Value(()), ValueOrLambda::Lambda(()));
        let args = match f {
            Lambda::ZipWith | Lambda::MapZipWith | Lambda::RegexpReplace => vec![v.clone(), v, l],
            Lambda::Reduce => vec![v.clone(), v, l.clone(), l],
            Lambda::TransformKeys
            | Lambda::TransformValues
            | Lambda::MapFilter
            | Lambda::Try
            | Lambda::ArraySort => vec![v, l],
        };
        Self {
            f,
            signature: HigherOrderSignature::exact(args, Volatility::Immutable),
        }
    }
}

fn plan_error(msg: String) -> DataFusionError {
    DataFusionError::Plan(msg)
}

fn element(t: &DataType) -> Result<FieldRef> {
    match t {
        DataType::List(f) => Ok(Arc::new(f.as_ref().clone().with_nullable(true))),
        other => Err(plan_error(format!("expected an array, got {other}"))),
    }
}

/// The value arguments and lambdas of one call, in order.
fn split<V: Clone, L: Clone>(args: &[ValueOrLambda<V, L>]) -> (Vec<V>, Vec<L>) {
    let (mut values, mut lambdas) = (Vec::new(), Vec::new());
    for a in args {
        match a {
            ValueOrLambda::Value(v) => values.push(v.clone()),
            ValueOrLambda::Lambda(l) => lambdas.push(l.clone()),
        }
    }
    (values, lambdas)
}

/// Evaluates `lambda` over `params` (`len` rows, one per element), its captures spread by
/// `rows` (the outer row of each element; `None`: the elements are the outer rows).
fn evaluate(
    lambda: &LambdaArgument,
    params: &[ArrayRef],
    len: usize,
    rows: Option<&UInt32Array>,
) -> Result<ArrayRef> {
    // Between evaluations, a stopped query stops here (see `crate::stop`).
    crate::stop::check()?;
    let closures: Vec<Box<dyn Fn() -> Result<ArrayRef> + '_>> = params
        .iter()
        .map(|p| Box::new(move || Ok(Arc::clone(p))) as Box<dyn Fn() -> Result<ArrayRef>>)
        .collect();
    let refs: Vec<&dyn Fn() -> Result<ArrayRef>> = closures.iter().map(AsRef::as_ref).collect();
    lambda
        .evaluate(&refs, |captured| match rows {
            Some(rows) => Ok(take_arrays(captured, rows, None)?),
            None => Ok(captured.to_vec()),
        })?
        .into_array(len)
}

impl HigherOrderUDFImpl for TrinoLambda {
    fn name(&self) -> &str {
        match self.f {
            Lambda::ZipWith => "zip_with",
            Lambda::Reduce => "reduce",
            Lambda::TransformKeys => "transform_keys",
            Lambda::TransformValues => "transform_values",
            Lambda::MapFilter => "map_filter",
            Lambda::Try => TRY,
            Lambda::ArraySort => SORT,
            Lambda::MapZipWith => "map_zip_with",
            Lambda::RegexpReplace => REGEXP_REPLACE,
        }
    }

    fn signature(&self) -> &HigherOrderSignature {
        &self.signature
    }

    /// A lambda's body runs only for the elements there are (none for an empty array), and
    /// `try`'s must run inside it: the optimizer must not share a subexpression of a body with
    /// an expression evaluated unconditionally, or `try(a / b)` would fail outside the `try`.
    fn short_circuits(&self) -> bool {
        true
    }

    fn coerce_value_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let name = self.name();
        match self.f {
            Lambda::ZipWith | Lambda::ArraySort => {
                arg_types.iter().map(|t| as_list(name, t)).collect()
            }
            Lambda::MapZipWith => match arg_types {
                [a, b] => {
                    // The second map's keys are read as the first's.
                    let (k, _) = entries(name, a)?;
                    let (_, v) = entries(name, b)?;
                    Ok(vec![a.clone(), map_type(k.data_type(), v.data_type())])
                }
                _ => Err(plan_error(format!("{name} takes two maps"))),
            },
            Lambda::RegexpReplace => Ok(vec![DataType::Utf8; arg_types.len()]),
            Lambda::Reduce => match arg_types {
                [a, init] => Ok(vec![as_list(name, a)?, init.clone()]),
                _ => Err(plan_error(format!(
                    "{name} takes an array and a start value"
                ))),
            },
            Lambda::TransformKeys | Lambda::TransformValues | Lambda::MapFilter => {
                for t in arg_types {
                    entries(name, t)?;
                }
                Ok(arg_types.to_vec())
            }
            Lambda::Try => Ok(arg_types.to_vec()),
        }
    }

    fn lambda_parameters(
        &self,
        _step: usize,
        fields: &[ValueOrLambda<FieldRef, Option<FieldRef>>],
    ) -> Result<LambdaParametersProgress> {
        let (values, lambdas) = split(fields);
        let name = self.name();
        Ok(match (self.f, values.as_slice()) {
            (Lambda::ZipWith, [a, b]) => LambdaParametersProgress::Complete(vec![vec![
                element(a.data_type())?,
                element(b.data_type())?,
            ]]),
            (Lambda::Reduce, [a, init]) => {
                let x = element(a.data_type())?;
                // The state is what the merge lambda returns; until that is known, the start
                // value's type (which is then cast to the state's, see `coerce_values_for_lambdas`).
                match lambdas.first().cloned().flatten() {
                    Some(state) => {
                        let state = Arc::new(state.as_ref().clone().with_nullable(true));
                        LambdaParametersProgress::Complete(vec![
                            vec![Arc::clone(&state), x],
                            vec![state],
                        ])
                    }
                    None => LambdaParametersProgress::Partial(vec![
                        Some(vec![Arc::clone(init), x]),
                        None,
                    ]),
                }
            }
            (Lambda::TransformKeys | Lambda::TransformValues | Lambda::MapFilter, [m]) => {
                let (k, v) = entries(name, m.data_type())?;
                LambdaParametersProgress::Complete(vec![vec![k, v]])
            }
            (Lambda::Try, [dummy]) => {
                LambdaParametersProgress::Complete(vec![vec![Arc::clone(dummy)]])
            }
            (Lambda::ArraySort, [a]) => {
                let x = element(a.data_type())?;
                LambdaParametersProgress::Complete(vec![vec![Arc::clone(&x), x]])
            }
            (Lambda::MapZipWith, [a, b]) => {
                let (k, v1) = entries(name, a.data_type())?;
                let (_, v2) = entries(name, b.data_type())?;
                let nullable = |f: FieldRef| Arc::new(f.as_ref().clone().with_nullable(true));
                LambdaParametersProgress::Complete(vec![vec![k, nullable(v1), nullable(v2)]])
            }
            (Lambda::RegexpReplace, [_, _]) => {
                LambdaParametersProgress::Complete(vec![vec![Arc::new(Field::new(
                    "groups",
                    DataType::new_list(DataType::Utf8, true),
                    true,
                ))]])
            }
            _ => {
                return Err(plan_error(format!(
                    "Unexpected parameters for function {name}"
                )))
            }
        })
    }

    fn coerce_values_for_lambdas(
        &self,
        fields: &[ValueOrLambda<DataType, DataType>],
    ) -> Result<Option<Vec<DataType>>> {
        let (values, lambdas) = split(fields);
        Ok(match (self.f, values.as_slice(), lambdas.first()) {
            (Lambda::Reduce, [a, _], Some(state)) => Some(vec![a.clone(), state.clone()]),
            _ => None,
        })
    }

    fn return_field_from_args(&self, args: HigherOrderReturnFieldArgs) -> Result<FieldRef> {
        let (values, lambdas) = split(args.arg_fields);
        let name = self.name();
        let t = match (self.f, values.as_slice(), lambdas.as_slice()) {
            (Lambda::ZipWith, _, [out]) => DataType::new_list(out.data_type().clone(), true),
            (Lambda::Reduce, _, [_, out]) | (Lambda::Try, _, [out]) => out.data_type().clone(),
            (Lambda::ArraySort, [a], [_]) => a.data_type().clone(),
            (Lambda::MapZipWith, [m, _], [out]) => {
                map_type(entries(name, m.data_type())?.0.data_type(), out.data_type())
            }
            (Lambda::RegexpReplace, _, [_]) => DataType::Utf8,
            (Lambda::TransformKeys, [m], [out]) => {
                map_type(out.data_type(), entries(name, m.data_type())?.1.data_type())
            }
            (Lambda::TransformValues, [m], [out]) => {
                map_type(entries(name, m.data_type())?.0.data_type(), out.data_type())
            }
            (Lambda::MapFilter, [m], [out]) => {
                if out.data_type() != &DataType::Boolean && out.data_type() != &DataType::Null {
                    return Err(plan_error(format!(
                        "Expected a boolean lambda for {name}, not {}",
                        out.data_type()
                    )));
                }
                m.data_type().clone()
            }
            _ => {
                return Err(plan_error(format!(
                    "Unexpected parameters for function {name}"
                )))
            }
        };
        Ok(Arc::new(Field::new(name, t, true)))
    }

    fn invoke_with_args(&self, args: HigherOrderFunctionArgs) -> Result<ColumnarValue> {
        let _stop = crate::stop::enter(crate::stop::Stop::of(&args.config_options));
        let n = args.number_rows;
        let mut values = Vec::new();
        let mut lambdas = Vec::new();
        for a in &args.args {
            match a {
                ValueOrLambda::Value(v) => values.push(v.to_array(n)?),
                ValueOrLambda::Lambda(l) => lambdas.push(l),
            }
        }
        let out = args.return_field.data_type();
        let array = match self.f {
            Lambda::ZipWith => {
                let [a, b] = take_function_args(self.name(), values)?;
                let [f] = take_function_args(self.name(), lambdas)?;
                zip_with(&a, &b, f, out)?
            }
            Lambda::Reduce => {
                let [a, init] = take_function_args(self.name(), values)?;
                let [merge, finish] = take_function_args(self.name(), lambdas)?;
                reduce(&a, &init, merge, finish)?
            }
            Lambda::TransformKeys | Lambda::TransformValues | Lambda::MapFilter => {
                let [m] = take_function_args(self.name(), values)?;
                let [f] = take_function_args(self.name(), lambdas)?;
                map_lambda(self.f, &m, f, out)?
            }
            Lambda::Try => {
                let [dummy] = take_function_args(self.name(), values)?;
                let [f] = take_function_args(self.name(), lambdas)?;
                attempt(&dummy, f, out)?
            }
            Lambda::ArraySort => {
                let [a] = take_function_args(self.name(), values)?;
                let [f] = take_function_args(self.name(), lambdas)?;
                sort_with(&a, f)?
            }
            Lambda::MapZipWith => {
                let [a, b] = take_function_args(self.name(), values)?;
                let [f] = take_function_args(self.name(), lambdas)?;
                map_zip_with(&a, &b, f, out)?
            }
            Lambda::RegexpReplace => {
                let [text, pattern] = take_function_args(self.name(), values)?;
                let [f] = take_function_args(self.name(), lambdas)?;
                replace_with(&text, &pattern, f)?
            }
        };
        Ok(ColumnarValue::Array(array))
    }
}

fn list<'a>(a: &'a ArrayRef, name: &str) -> Result<&'a ListArray> {
    a.as_list_opt::<i32>()
        .ok_or_else(|| exec_err(format!("{name} expects an array, got {}", a.data_type())))
}

/// The offsets of lists of these lengths.
fn offsets(lengths: &[usize]) -> OffsetBuffer<i32> {
    OffsetBuffer::from_lengths(lengths.iter().copied())
}

fn zip_with(a: &ArrayRef, b: &ArrayRef, f: &LambdaArgument, out: &DataType) -> Result<ArrayRef> {
    let (la, lb) = (list(a, "zip_with")?, list(b, "zip_with")?);
    let (mut ia, mut ib, mut rows, mut lengths) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let nulls = NullBuffer::union(la.nulls(), lb.nulls());
    for r in 0..la.len() {
        if nulls.as_ref().is_some_and(|n| n.is_null(r)) {
            lengths.push(0);
            continue;
        }
        let (oa, ob) = (la.value_offsets(), lb.value_offsets());
        let (sa, sb) = (oa[r].max(0) as usize, ob[r].max(0) as usize);
        let (na, nb) = (
            la.value_length(r).max(0) as usize,
            lb.value_length(r).max(0) as usize,
        );
        let len = na.max(nb);
        for j in 0..len {
            ia.push((j < na).then(|| index(sa + j)).transpose()?);
            ib.push((j < nb).then(|| index(sb + j)).transpose()?);
            rows.push(index(r)?);
        }
        lengths.push(len);
    }
    let x = take(la.values(), &UInt32Array::from(ia), None)?;
    let y = take(lb.values(), &UInt32Array::from(ib), None)?;
    let rows = UInt32Array::from(rows);
    let values = evaluate(f, &[x, y], rows.len(), Some(&rows))?;
    let DataType::List(item) = out else {
        return Err(exec_err(format!("zip_with returns an array, not {out}")));
    };
    let values = cast(&values, item.data_type())?;
    Ok(Arc::new(ListArray::try_new(
        Arc::clone(item),
        offsets(&lengths),
        values,
        nulls,
    )?))
}

/// Folds each array with `merge`, one element position at a time over the rows whose arrays
/// are that long, then applies `finish` to every row's state.
fn reduce(
    a: &ArrayRef,
    init: &ArrayRef,
    merge: &LambdaArgument,
    finish: &LambdaArgument,
) -> Result<ArrayRef> {
    let l = list(a, "reduce")?;
    let mut state = Arc::clone(init);
    let state_type = init.data_type().clone();
    let live: Vec<usize> = (0..l.len()).filter(|&r| l.is_valid(r)).collect();
    let longest = live
        .iter()
        .map(|&r| l.value_length(r).max(0) as usize)
        .max()
        .unwrap_or(0);
    for j in 0..longest {
        let (mut rows, mut elems) = (Vec::new(), Vec::new());
        for &r in &live {
            if (l.value_length(r).max(0) as usize) > j {
                rows.push(index(r)?);
                elems.push(index(l.value_offsets()[r].max(0) as usize + j)?);
            }
        }
        let rows = UInt32Array::from(rows);
        let s = take(&state, &rows, None)?;
        let x = take(l.values(), &UInt32Array::from(elems), None)?;
        let merged = cast(
            &evaluate(merge, &[s, x], rows.len(), Some(&rows))?,
            &state_type,
        )?;
        // Each row's state: the merged one where the row took part, else its own.
        let mut pick = (0..state.len()).map(index).collect::<Result<Vec<u32>>>()?;
        for (p, r) in rows.values().iter().enumerate() {
            pick[*r as usize] = index(state.len() + p)?;
        }
        state = take(&concat(&[&state, &merged])?, &UInt32Array::from(pick), None)?;
    }
    // A NULL array reduces to NULL, without calling `finish`.
    let live_rows = UInt32Array::from(
        live.iter()
            .map(|&r| index(r))
            .collect::<Result<Vec<u32>>>()?,
    );
    let states = take(&state, &live_rows, None)?;
    let finished = evaluate(finish, &[states], live_rows.len(), Some(&live_rows))?;
    let mut at = 0usize;
    let mut pick = Vec::with_capacity(l.len());
    for r in 0..l.len() {
        if l.is_valid(r) {
            pick.push(Some(index(at)?));
            at += 1;
        } else {
            pick.push(None);
        }
    }
    Ok(take(&finished, &UInt32Array::from(pick), None)?)
}

fn map_lambda(
    f: Lambda,
    m: &ArrayRef,
    lambda: &LambdaArgument,
    out: &DataType,
) -> Result<ArrayRef> {
    let map: &MapArray = m
        .as_map_opt()
        .ok_or_else(|| exec_err(format!("expected a map, got {}", m.data_type())))?;
    let (mut idx, mut rows) = (Vec::new(), Vec::new());
    let mut lengths = Vec::with_capacity(map.len());
    for r in 0..map.len() {
        if map.is_null(r) {
            lengths.push(0);
            continue;
        }
        let o = map.value_offsets();
        let (s, e) = (o[r].max(0) as usize, o[r + 1].max(0) as usize);
        for j in s..e {
            idx.push(index(j)?);
            rows.push(index(r)?);
        }
        lengths.push(e.saturating_sub(s));
    }
    let idx = UInt32Array::from(idx);
    let rows = UInt32Array::from(rows);
    let keys = take(map.keys(), &idx, None)?;
    let vals = take(map.values(), &idx, None)?;
    let result = evaluate(
        lambda,
        &[Arc::clone(&keys), Arc::clone(&vals)],
        rows.len(),
        Some(&rows),
    )?;
    let (keys, vals) = match f {
        Lambda::TransformValues => (keys, result),
        Lambda::TransformKeys => {
            unique_keys(&result, &lengths)?;
            (result, vals)
        }
        _ => {
            // A lambda of NULLs (`(k, v) -> NULL`) keeps nothing.
            let result = cast(&result, &DataType::Boolean)?;
            let keep = result
                .as_boolean_opt()
                .ok_or_else(|| exec_err("map_filter's lambda must return a boolean"))?;
            let (mut kept, mut at) = (Vec::new(), 0usize);
            for len in &mut lengths {
                let mut n = 0;
                for j in at..at + *len {
                    if keep.is_valid(j) && keep.value(j) {
                        kept.push(index(j)?);
                        n += 1;
                    }
                }
                at += *len;
                *len = n;
            }
            let kept = UInt32Array::from(kept);
            (take(&keys, &kept, None)?, take(&vals, &kept, None)?)
        }
    };
    let valid = (0..map.len()).map(|r| map.is_valid(r)).collect();
    assemble(out, &keys, &vals, lengths, valid)
}

/// Trino's errors for keys `transform_keys` made NULL or repeated within one map.
fn unique_keys(keys: &ArrayRef, lengths: &[usize]) -> Result<()> {
    let mut at = 0usize;
    for len in lengths {
        let mut seen = HashSet::new();
        for j in at..at + len {
            let k = ScalarValue::try_from_array(keys, j)?;
            if k.is_null() {
                return Err(exec_err("map key cannot be null"));
            }
            if !seen.insert(k.clone()) {
                return Err(exec_err(format!(
                    "Duplicate map keys ({k}) are not allowed"
                )));
            }
        }
        at += len;
    }
    Ok(())
}

/// Whether `try` turns this error into NULL: Trino's are a division by zero, an invalid cast
/// or function argument and a value out of range, which Arrow's kernels raise as these errors
/// and this crate's functions as execution errors; running out of memory, a cancelled query, a
/// schema or type mismatch (a bug) are not the value's fault.
fn caught(e: &DataFusionError) -> bool {
    use datafusion::arrow::error::ArrowError;
    match e.find_root() {
        DataFusionError::Execution(_) => true,
        DataFusionError::ArrowError(a, _) => matches!(
            **a,
            ArrowError::DivideByZero
                | ArrowError::CastError(_)
                | ArrowError::ParseError(_)
                | ArrowError::ComputeError(_)
                | ArrowError::ArithmeticOverflow(_)
        ),
        _ => false,
    }
}

/// `try`: the lambda over the whole batch; should that fail, over each row alone, NULL where
/// that row fails.
fn attempt(dummy: &ArrayRef, f: &LambdaArgument, out: &DataType) -> Result<ArrayRef> {
    let n = dummy.len();
    match evaluate(f, &[Arc::clone(dummy)], n, None) {
        Ok(a) => Ok(a),
        Err(e) if caught(&e) => {
            let mut parts = Vec::with_capacity(n);
            for r in 0..n {
                let one = UInt32Array::from(vec![index(r)?]);
                parts.push(match evaluate(f, &[dummy.slice(r, 1)], 1, Some(&one)) {
                    Ok(a) if a.data_type() == out => a,
                    Ok(a) => cast(&a, out)?,
                    Err(e) if caught(&e) => new_null_array(out, 1),
                    Err(e) => return Err(e),
                });
            }
            let refs: Vec<&dyn Array> = parts.iter().map(AsRef::as_ref).collect();
            if refs.is_empty() {
                return Ok(new_null_array(out, 0));
            }
            Ok(concat(&refs)?)
        }
        Err(e) => Err(e),
    }
}

/// A comparator's answer: -1, 0 or 1, anything else Trino's error.
fn ordering(result: &ArrayRef, at: usize) -> Result<std::cmp::Ordering> {
    let c = result.as_primitive_opt::<Int64Type>();
    match c.filter(|c| c.is_valid(at)).map(|c| c.value(at)) {
        Some(-1) => Ok(std::cmp::Ordering::Less),
        Some(0) => Ok(std::cmp::Ordering::Equal),
        Some(1) => Ok(std::cmp::Ordering::Greater),
        _ => Err(exec_err("Lambda comparator must return either -1, 0, or 1")),
    }
}

/// A stable bottom-up merge sort of `0..n` by `cmp`, which may fail and need not be a total
/// order (a user's lambda): an inconsistent comparator gives some order, never a panic.
fn merge_sort(
    n: usize,
    mut cmp: impl FnMut(usize, usize) -> Result<std::cmp::Ordering>,
) -> Result<Vec<usize>> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut width = 1;
    while width < n {
        let mut merged = Vec::with_capacity(n);
        for start in (0..n).step_by(width.saturating_mul(2)) {
            let mid = start.saturating_add(width).min(n);
            let end = mid.saturating_add(width).min(n);
            let (mut i, mut j) = (start, mid);
            while i < mid && j < end {
                if cmp(order[i], order[j])? == std::cmp::Ordering::Greater {
                    merged.push(order[j]);
                    j += 1;
                } else {
                    merged.push(order[i]);
                    i += 1;
                }
            }
            merged.extend_from_slice(&order[i..mid]);
            merged.extend_from_slice(&order[j..end]);
        }
        order = merged;
        width = width.saturating_mul(2);
    }
    Ok(order)
}

/// `array_sort(a, (x, y) -> c)`: each array ordered by the comparator. Arrays of up to
/// [`BATCHED_SORT`] elements have all their comparisons evaluated in batches of whole rows (at
/// most [`PAIRS_PER_BATCH`] pairs each); longer ones, up to [`MAX_COMPARATOR_SORT`], one
/// comparison at a time.
fn sort_with(a: &ArrayRef, f: &LambdaArgument) -> Result<ArrayRef> {
    let l = list(a, "array_sort")?;
    let span = |r: usize| {
        let o = l.value_offsets();
        (o[r].max(0) as usize, o[r + 1].max(0) as usize)
    };
    // Every ordered pair (i, j), i != j, of a group of short arrays, evaluated at once.
    let compare_all = |rows: &[usize]| -> Result<Option<ArrayRef>> {
        let (mut xs, mut ys, mut at) = (Vec::new(), Vec::new(), Vec::new());
        for &r in rows {
            let (s, e) = span(r);
            for i in s..e {
                for j in s..e {
                    if i != j {
                        xs.push(index(i)?);
                        ys.push(index(j)?);
                        at.push(index(r)?);
                    }
                }
            }
        }
        if xs.is_empty() {
            return Ok(None);
        }
        let at = UInt32Array::from(at);
        let x = take(l.values(), &UInt32Array::from(xs), None)?;
        let y = take(l.values(), &UInt32Array::from(ys), None)?;
        Ok(Some(cast(
            &evaluate(f, &[x, y], at.len(), Some(&at))?,
            &DataType::Int64,
        )?))
    };
    let mut orders: Vec<Vec<usize>> = vec![Vec::new(); l.len()];
    let mut group: Vec<usize> = Vec::new();
    let mut pairs = 0usize;
    let sort_group = |group: &[usize], orders: &mut Vec<Vec<usize>>| -> Result<()> {
        let Some(results) = compare_all(group)? else {
            return Ok(());
        };
        let mut base = 0usize;
        for &r in group {
            let (s, e) = span(r);
            let n = e - s;
            orders[r] = merge_sort(n, |i, j| {
                ordering(&results, base + i * (n - 1) + if j < i { j } else { j - 1 })
            })?;
            base += n * n.saturating_sub(1);
        }
        Ok(())
    };
    for r in 0..l.len() {
        let (s, e) = span(r);
        let n = e - s;
        if l.is_null(r) || n < 2 {
            orders[r] = (0..n).collect();
            continue;
        }
        if n > MAX_COMPARATOR_SORT {
            return Err(exec_err(format!(
                "array_sort with a comparator takes arrays of at most {MAX_COMPARATOR_SORT} \
                 elements, not {n}"
            )));
        }
        if n > BATCHED_SORT {
            let one = UInt32Array::from(vec![index(r)?]);
            orders[r] = merge_sort(n, |i, j| {
                let x = take(l.values(), &UInt32Array::from(vec![index(s + i)?]), None)?;
                let y = take(l.values(), &UInt32Array::from(vec![index(s + j)?]), None)?;
                ordering(
                    &cast(&evaluate(f, &[x, y], 1, Some(&one))?, &DataType::Int64)?,
                    0,
                )
            })?;
            continue;
        }
        if pairs + n * (n - 1) > PAIRS_PER_BATCH {
            sort_group(&group, &mut orders)?;
            group.clear();
            pairs = 0;
        }
        group.push(r);
        pairs += n * (n - 1);
    }
    sort_group(&group, &mut orders)?;
    // The result's own offsets: the input's may not start at 0 (a slice), and a NULL row may
    // hold elements it does not show.
    let (mut picks, mut lengths) = (
        Vec::with_capacity(l.values().len()),
        Vec::with_capacity(l.len()),
    );
    for (r, order) in orders.iter().enumerate() {
        if l.is_null(r) {
            lengths.push(0);
            continue;
        }
        let (s, _) = span(r);
        for &i in order {
            picks.push(index(s + i)?);
        }
        lengths.push(order.len());
    }
    let values = take(l.values(), &UInt32Array::from(picks), None)?;
    Ok(Arc::new(ListArray::try_new(
        element(l.data_type())?,
        offsets(&lengths),
        values,
        l.nulls().cloned(),
    )?))
}

/// `map_zip_with`: per row, the first map's keys then the second's new ones, the lambda over
/// each key and its two values (NULL where a map lacks the key).
fn map_zip_with(
    a: &ArrayRef,
    b: &ArrayRef,
    f: &LambdaArgument,
    out: &DataType,
) -> Result<ArrayRef> {
    let (Some(ma), Some(mb)) = (a.as_map_opt(), b.as_map_opt()) else {
        return Err(exec_err("map_zip_with takes two maps"));
    };
    let (ka, kb) = (ma.keys(), cast(mb.keys(), ma.keys().data_type())?);
    let (mut keys, mut va, mut vb, mut rows) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut lengths, mut valid) = (Vec::new(), Vec::new());
    let na = ka.len();
    for r in 0..ma.len() {
        if ma.is_null(r) || mb.is_null(r) {
            lengths.push(0);
            valid.push(false);
            continue;
        }
        let (oa, ob) = (ma.value_offsets(), mb.value_offsets());
        let mut slot = std::collections::HashMap::new();
        let mut row: Vec<(usize, Option<usize>, Option<usize>)> = Vec::new();
        for j in oa[r].max(0) as usize..oa[r + 1].max(0) as usize {
            slot.insert(ScalarValue::try_from_array(ka, j)?, row.len());
            row.push((j, Some(j), None));
        }
        for j in ob[r].max(0) as usize..ob[r + 1].max(0) as usize {
            let k = ScalarValue::try_from_array(&kb, j)?;
            if let Some(&at) = slot.get(&k) {
                row[at].2 = Some(j);
            } else {
                slot.insert(k, row.len());
                row.push((na + j, None, Some(j)));
            }
        }
        lengths.push(row.len());
        valid.push(true);
        for (k, x, y) in row {
            keys.push(index(k)?);
            va.push(x.map(index).transpose()?);
            vb.push(y.map(index).transpose()?);
            rows.push(index(r)?);
        }
    }
    let all_keys = concat(&[ka.as_ref(), kb.as_ref()])?;
    let keys = take(&all_keys, &UInt32Array::from(keys), None)?;
    let va = take(ma.values(), &UInt32Array::from(va), None)?;
    let vb = take(mb.values(), &UInt32Array::from(vb), None)?;
    let rows = UInt32Array::from(rows);
    let values = evaluate(f, &[Arc::clone(&keys), va, vb], rows.len(), Some(&rows))?;
    assemble(out, &keys, &values, lengths, valid)
}

/// `regexp_replace(s, pattern, g -> r)`: every match's capturing groups (from 1; NULL for one
/// that took no part) go to the lambda in one batch, and each match is replaced by its text; a
/// NULL text makes the whole string NULL, as in Trino.
fn replace_with(text: &ArrayRef, pattern: &ArrayRef, f: &LambdaArgument) -> Result<ArrayRef> {
    let (text, pattern) = (
        cast(text, &DataType::Utf8)?,
        cast(pattern, &DataType::Utf8)?,
    );
    let (text, pattern) = (text.as_string::<i32>(), pattern.as_string::<i32>());
    let mut patterns = super::text::Patterns::default();
    // Per match: its row, byte range, and groups.
    let mut matches: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    let mut groups =
        datafusion::arrow::array::ListBuilder::new(datafusion::arrow::array::StringBuilder::new());
    for r in 0..text.len() {
        if text.is_null(r) || pattern.is_null(r) {
            continue;
        }
        let re = patterns.get(pattern.value(r))?;
        for c in re.captures_iter(text.value(r)) {
            let Some(whole) = c.get(0) else { continue };
            matches.push((r, whole.range()));
            for g in c.iter().skip(1) {
                groups.values().append_option(g.map(|m| m.as_str()));
            }
            groups.append(true);
        }
    }
    let groups: ArrayRef = Arc::new(groups.finish());
    let rows = UInt32Array::from(
        matches
            .iter()
            .map(|(r, _)| index(*r))
            .collect::<Result<Vec<_>>>()?,
    );
    let replaced = if matches.is_empty() {
        new_null_array(&DataType::Utf8, 0)
    } else {
        cast(
            &evaluate(f, &[groups], rows.len(), Some(&rows))?,
            &DataType::Utf8,
        )?
    };
    let replaced = replaced.as_string::<i32>();
    let mut out = datafusion::arrow::array::StringBuilder::new();
    let mut m = 0usize;
    for r in 0..text.len() {
        if text.is_null(r) || pattern.is_null(r) {
            out.append_null();
            continue;
        }
        let s = text.value(r);
        let (mut line, mut at, mut null) = (String::with_capacity(s.len()), 0usize, false);
        while let Some((_, range)) = matches.get(m).filter(|(row, _)| *row == r) {
            line.push_str(&s[at..range.start]);
            if replaced.is_valid(m) {
                line.push_str(replaced.value(m));
            } else {
                null = true;
            }
            at = range.end;
            m += 1;
        }
        line.push_str(&s[at..]);
        if null {
            out.append_null();
        } else {
            out.append_value(line);
        }
    }
    Ok(Arc::new(out.finish()))
}
