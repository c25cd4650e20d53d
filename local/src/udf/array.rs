//! Trino's array functions DataFusion lacks or names otherwise: `slice` and `sequence`.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, Int64Builder, ListArray, ListBuilder, UInt32Array,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::{cast, take};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type};
use datafusion::error::Result;
use datafusion::logical_expr::ScalarUDF;

use super::func::Func;
use super::{as_list, exec_err};

/// The most elements `sequence` makes, as in Trino.
const MAX_SEQUENCE: i128 = 10_000;

/// The functions.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        Func::new("slice", 3..=3, returns_first_list, slice).udf(),
        Func::new("sequence", 2..=3, returns_int64_list, sequence).udf(),
    ]
}

fn returns_first_list(types: &[DataType]) -> Result<DataType> {
    match types.first() {
        Some(t) => as_list("slice", t),
        None => Err(exec_err("slice takes an array, a start and a length")),
    }
}

fn returns_int64_list(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::new_list(DataType::Int64, true))
}

fn int64s(a: &ArrayRef) -> Result<Int64Array> {
    Ok(cast(a, &DataType::Int64)?
        .as_primitive::<Int64Type>()
        .clone())
}

/// `slice(a, start, length)`: up to `length` elements from position `start` (from 1; a negative
/// start counts from the end).
fn slice(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [a, start, length] = args else {
        return Err(exec_err("slice takes an array, a start and a length"));
    };
    let t = returns_first_list(&[a.data_type().clone()])?;
    let lists = cast(a, &t)?;
    let lists: &ListArray = lists.as_list::<i32>();
    let (start, length) = (int64s(start)?, int64s(length)?);
    let (mut picks, mut lengths, mut valid) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..lists.len() {
        if lists.is_null(r) || start.is_null(r) || length.is_null(r) {
            lengths.push(0);
            valid.push(false);
            continue;
        }
        let (s, l) = (start.value(r), length.value(r));
        if s == 0 {
            return Err(exec_err("SQL array indices start at 1"));
        }
        if l < 0 {
            return Err(exec_err("length must be greater than or equal to 0"));
        }
        let n = i128::from(lists.value_length(r));
        let from = if s > 0 {
            i128::from(s) - 1
        } else {
            n + i128::from(s)
        };
        let to = (from + i128::from(l)).min(n);
        let base = i128::from(lists.value_offsets()[r]);
        let mut count = 0usize;
        if from >= 0 {
            for i in from..to {
                let at = u32::try_from(base + i)
                    .map_err(|_| exec_err("slice: too many elements in one batch"))?;
                picks.push(at);
                count += 1;
            }
        }
        lengths.push(count);
        valid.push(true);
    }
    let DataType::List(item) = t else {
        return Err(exec_err("slice: an array is expected"));
    };
    let values = take(lists.values(), &UInt32Array::from(picks), None)?;
    Ok(Arc::new(ListArray::try_new(
        Arc::new(Field::new(item.name(), item.data_type().clone(), true)),
        OffsetBuffer::from_lengths(lengths),
        values,
        Some(valid.into()),
    )?))
}

/// `sequence(start, stop[, step])` over integers: `start`, `start + step`, ... up to `stop`,
/// the step 1 or -1 by default; at most [`MAX_SEQUENCE`] elements, as in Trino.
fn sequence(args: &[ArrayRef]) -> Result<ArrayRef> {
    let (Some(start), Some(stop)) = (args.first(), args.get(1)) else {
        return Err(exec_err("sequence takes a start, a stop and a step"));
    };
    let (start, stop) = (int64s(start)?, int64s(stop)?);
    let step = args.get(2).map(int64s).transpose()?;
    let mut out = ListBuilder::new(Int64Builder::new());
    for r in 0..start.len() {
        if start.is_null(r) || stop.is_null(r) || step.as_ref().is_some_and(|s| s.is_null(r)) {
            out.append_null();
            continue;
        }
        let (a, b) = (i128::from(start.value(r)), i128::from(stop.value(r)));
        let d = match &step {
            Some(s) => i128::from(s.value(r)),
            None if a <= b => 1,
            None => -1,
        };
        if d == 0 {
            return Err(exec_err("step must not be zero"));
        }
        if (d > 0 && a > b) || (d < 0 && a < b) {
            return Err(exec_err(
                "sequence stop value should be greater than or equal to start value if step is \
                 greater than zero otherwise stop should be less than or equal to start",
            ));
        }
        if (b - a) / d + 1 > MAX_SEQUENCE {
            return Err(exec_err(format!(
                "result of sequence function must not have more than {MAX_SEQUENCE} entries"
            )));
        }
        let mut v = a;
        while (d > 0 && v <= b) || (d < 0 && v >= b) {
            // Within [start, stop], both i64.
            out.values()
                .append_value(i64::try_from(v).unwrap_or_default());
            v += d;
        }
        out.append(true);
    }
    Ok(Arc::new(out.finish()))
}
