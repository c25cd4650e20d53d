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
    new_null_array, Array, ArrayRef, AsArray, ListArray, MapArray, StructArray, UInt32Array,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::{cast, concat, take, take_arrays};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::utils::take_function_args;
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, HigherOrderFunctionArgs, HigherOrderReturnFieldArgs, HigherOrderSignature,
    HigherOrderUDF, HigherOrderUDFImpl, LambdaArgument, LambdaParametersProgress, ValueOrLambda,
    Volatility,
};
use datafusion::prelude::SessionContext;

use super::{as_list, exec_err};

/// The function `try(e)` is rewritten into: `trino_try(0, "__trailwatch_try" -> e)` (see
/// [`crate::sql`]); the lambda lets it evaluate `e` again, row by row, after an error.
pub const TRY: &str = "trino_try";

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
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct TrinoLambda {
    f: Lambda,
    signature: HigherOrderSignature,
}

impl TrinoLambda {
    fn new(f: Lambda) -> Self {
        let (v, l) = (ValueOrLambda::Value(()), ValueOrLambda::Lambda(()));
        let args = match f {
            Lambda::ZipWith => vec![v.clone(), v, l],
            Lambda::Reduce => vec![v.clone(), v, l.clone(), l],
            Lambda::TransformKeys | Lambda::TransformValues | Lambda::MapFilter | Lambda::Try => {
                vec![v, l]
            }
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

/// A map's key and value fields.
fn entries(name: &str, t: &DataType) -> Result<(FieldRef, FieldRef)> {
    if let DataType::Map(e, _) = t {
        if let DataType::Struct(fields) = e.data_type() {
            if let [k, v] = fields.iter().collect::<Vec<_>>().as_slice() {
                return Ok((Arc::clone(k), Arc::clone(v)));
            }
        }
    }
    Err(plan_error(format!(
        "Unexpected parameters ({t}) for function {name}: a map is expected"
    )))
}

/// The map type with these key and value fields, as Arrow's `MapBuilder` names them.
fn map_type(key: &Field, value: &Field) -> DataType {
    let fields = Fields::from(vec![
        Field::new("key", key.data_type().clone(), false),
        Field::new("value", value.data_type().clone(), true),
    ]);
    DataType::Map(
        Arc::new(Field::new("entries", DataType::Struct(fields), false)),
        false,
    )
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

fn index(i: usize) -> Result<u32> {
    u32::try_from(i).map_err(|_| exec_err("too many elements in one batch"))
}

/// Evaluates `lambda` over `params` (`len` rows, one per element), its captures spread by
/// `rows` (the outer row of each element; `None`: the elements are the outer rows).
fn evaluate(
    lambda: &LambdaArgument,
    params: &[ArrayRef],
    len: usize,
    rows: Option<&UInt32Array>,
) -> Result<ArrayRef> {
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
            Lambda::ZipWith => arg_types.iter().map(|t| as_list(name, t)).collect(),
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
            (Lambda::TransformKeys, [m], [out]) => {
                map_type(&out.as_ref().clone(), &entries(name, m.data_type())?.1)
            }
            (Lambda::TransformValues, [m], [out]) => {
                map_type(&entries(name, m.data_type())?.0, &out.as_ref().clone())
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
    let DataType::Map(entry, sorted) = out else {
        return Err(exec_err(format!("expected a map type, got {out}")));
    };
    let DataType::Struct(fields) = entry.data_type() else {
        return Err(exec_err(format!("expected map entries, got {entry}")));
    };
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
    let columns = [keys, vals]
        .iter()
        .zip(fields.iter())
        .map(|(c, f)| cast(c, f.data_type()))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let entries = StructArray::try_new(fields.clone(), columns, None)?;
    Ok(Arc::new(MapArray::try_new(
        Arc::clone(entry),
        offsets(&lengths),
        entries,
        map.nulls().cloned(),
        *sorted,
    )?))
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
