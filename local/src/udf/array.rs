//! Trino's array functions DataFusion lacks or names otherwise: `slice`, `sequence` (of
//! integers, dates and timestamps), `combinations`, `ngrams`, `repeat`, `trim_array`, `shuffle`,
//! `contains_sequence`, `reverse` of an array, and `cardinality` as Trino counts (an array's or map's own elements,
//! where DataFusion's counts those of nested arrays too; and a HyperLogLog sketch's estimate, see
//! `super::hyperloglog`).

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, Int64Builder, ListArray, ListBuilder, UInt32Array,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::{cast, take};
use datafusion::arrow::datatypes::{
    DataType, Field, IntervalMonthDayNanoType, IntervalUnit, TimeUnit,
};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::ScalarUDF;

use super::func::{returns_bool, returns_int64, Func};
use super::{as_list, exec_err, index, int64s};

/// The most elements `sequence` makes, as in Trino.
const MAX_SEQUENCE: i128 = 10_000;

/// The functions.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        Func::new("slice", 3..=3, returns_first_list, slice).udf(),
        Func::new("sequence", 2..=3, returns_sequence, sequence).udf(),
        Func::new("combinations", 2..=2, returns_list_of_lists, combinations).udf(),
        Func::new("ngrams", 2..=2, returns_list_of_lists, ngrams).udf(),
        Func::new("cardinality", 1..=1, returns_int64, cardinality).udf(),
        Func::new("repeat", 2..=2, returns_list_of_first, repeat).udf(),
        Func::new("trim_array", 2..=2, returns_first_list, trim_array).udf(),
        Func::new("shuffle", 1..=1, returns_first_list, shuffle)
            .volatile()
            .udf(),
        Func::new("contains_sequence", 2..=2, returns_bool, contains_sequence).udf(),
        Func::new("reverse", 1..=1, returns_reversed, reverse).udf(),
    ]
}

fn returns_first_list(types: &[DataType]) -> Result<DataType> {
    match types.first() {
        Some(t) => as_list("slice", t),
        None => Err(exec_err("slice takes an array, a start and a length")),
    }
}

/// Integers, or the dates or timestamps (milliseconds, its zone kept) `sequence` starts from.
fn returns_sequence(types: &[DataType]) -> Result<DataType> {
    Ok(DataType::new_list(
        match types.first() {
            Some(DataType::Date32 | DataType::Date64) => DataType::Date32,
            Some(DataType::Timestamp(_, tz)) => {
                DataType::Timestamp(TimeUnit::Millisecond, tz.clone())
            }
            _ => DataType::Int64,
        },
        true,
    ))
}

/// An array of the first argument's type.
fn returns_list_of_first(types: &[DataType]) -> Result<DataType> {
    let t = types.first().cloned().unwrap_or(DataType::Null);
    Ok(DataType::new_list(t, true))
}

/// An array of arrays of the first argument's elements.
fn returns_list_of_lists(types: &[DataType]) -> Result<DataType> {
    match types.first() {
        Some(t) => Ok(DataType::new_list(as_list("combinations", t)?, true)),
        None => Err(exec_err("an array is expected")),
    }
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
    if let DataType::List(item) = returns_sequence(&[start.data_type().clone()])? {
        if item.data_type() != &DataType::Int64 {
            return temporal_sequence(item.data_type(), start, stop, args.get(2));
        }
    }
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

/// Trino's error for a sequence that runs away from its stop.
const WRONG_DIRECTION: &str = "sequence stop value should be greater than or equal to start \
    value if step is greater than zero otherwise stop should be less than or equal to start";

/// `sequence` of dates (by a day by default, or a whole number of days or months) or of
/// timestamps (by a step of days-to-seconds or of months, which timestamps require).
fn temporal_sequence(
    item: &DataType,
    start: &ArrayRef,
    stop: &ArrayRef,
    step: Option<&ArrayRef>,
) -> Result<ArrayRef> {
    let dates = item == &DataType::Date32;
    // Dates as days, timestamps as milliseconds since the epoch.
    let points = |a: &ArrayRef| -> Result<Int64Array> {
        if dates {
            int64s(&cast(a, &DataType::Date32)?)
        } else {
            int64s(&cast(a, item)?)
        }
    };
    let (start, stop) = (points(start)?, points(stop)?);
    let step = step
        .map(|s| cast(s, &DataType::Interval(IntervalUnit::MonthDayNano)))
        .transpose()?;
    let step = step
        .as_ref()
        .map(AsArray::as_primitive::<IntervalMonthDayNanoType>);
    if step.is_none() && !dates {
        return Err(exec_err(
            "sequence of timestamps takes a step: sequence(start, stop, INTERVAL '1' DAY)",
        ));
    }
    let (mut values, mut lengths, mut valid) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..start.len() {
        if start.is_null(r) || stop.is_null(r) || step.is_some_and(|s| s.is_null(r)) {
            lengths.push(0);
            valid.push(false);
            continue;
        }
        let (a, b) = (start.value(r), stop.value(r));
        // The step as months, or as days (dates) or milliseconds (timestamps).
        let (months, fixed) = match step.map(|s| s.value(r)) {
            None => (0, if a <= b { 1 } else { -1 }),
            Some(i) if i.months != 0 && (i.days != 0 || i.nanoseconds != 0) => {
                return Err(exec_err(
                    "sequence step must be an interval of days to seconds or of months, not both",
                ))
            }
            Some(i) => {
                let nanos = i128::from(i.days) * 86_400_000_000_000 + i128::from(i.nanoseconds);
                let unit: i128 = if dates { 86_400_000_000_000 } else { 1_000_000 };
                if nanos % unit != 0 {
                    return Err(exec_err(if dates {
                        "sequence step must be a day interval if start and end values are dates"
                    } else {
                        "sequence step must be a whole number of milliseconds"
                    }));
                }
                (
                    i64::from(i.months),
                    i64::try_from(nanos / unit)
                        .map_err(|_| exec_err("sequence step is too large"))?,
                )
            }
        };
        if months == 0 && fixed == 0 {
            return Err(exec_err("step must not be zero"));
        }
        if ((months > 0 || fixed > 0) && a > b) || ((months < 0 || fixed < 0) && a < b) {
            return Err(exec_err(WRONG_DIRECTION));
        }
        let mut n = 0usize;
        for k in 0..=MAX_SEQUENCE {
            let v = if months != 0 {
                add_months(
                    a,
                    months.checked_mul(i64::try_from(k).unwrap_or(i64::MAX)),
                    dates,
                )
            } else {
                i64::try_from(k)
                    .ok()
                    .and_then(|k| k.checked_mul(fixed))
                    .and_then(|d| a.checked_add(d))
            };
            let Some(v) = v.filter(|v| if a <= b { *v <= b } else { *v >= b }) else {
                break;
            };
            if k == MAX_SEQUENCE {
                return Err(exec_err(format!(
                    "result of sequence function must not have more than {MAX_SEQUENCE} entries"
                )));
            }
            values.push(v);
            n += 1;
        }
        lengths.push(n);
        valid.push(true);
    }
    let values: ArrayRef = Arc::new(Int64Array::from(values));
    let values = if dates {
        cast(&cast(&values, &DataType::Int32)?, &DataType::Date32)?
    } else {
        cast(&values, item)?
    };
    Ok(Arc::new(ListArray::try_new(
        Arc::new(Field::new_list_field(item.clone(), true)),
        OffsetBuffer::from_lengths(lengths),
        values,
        Some(valid.into()),
    )?))
}

/// `point` (days, or milliseconds since the epoch) plus `months` calendar months, the day of
/// the month clamped to the month's last as Trino does (`date_add`'s months); `None` past the
/// timestamp range.
fn add_months(point: i64, months: Option<i64>, dates: bool) -> Option<i64> {
    let unit = if dates { 86_400_000 } else { 1 };
    let ms = super::date_add("month", months?, point.checked_mul(unit)?).ok()?;
    Some(ms.div_euclid(unit))
}

/// The most elements `combinations` returns in all, and the largest combination, as in Trino.
const MAX_COMBINATION_ELEMENTS: usize = 100_000;
const MAX_COMBINATION: i64 = 5;

/// Arrays of arrays of `lists`' elements: row `r` holds the groups `groups(r, len)` gives, each
/// a list of positions within its array.
fn nested(
    lists: &ListArray,
    mut groups: impl FnMut(usize, usize) -> Result<Option<Vec<Vec<usize>>>>,
) -> Result<ArrayRef> {
    let (mut picks, mut inner, mut outer, mut valid) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in 0..lists.len() {
        let got = if lists.is_null(r) {
            None
        } else {
            groups(r, lists.value_length(r).max(0) as usize)?
        };
        let Some(got) = got else {
            outer.push(0);
            valid.push(false);
            continue;
        };
        let base = lists.value_offsets()[r].max(0) as usize;
        outer.push(got.len());
        valid.push(true);
        for g in got {
            inner.push(g.len());
            for p in g {
                picks.push(index(base + p)?);
            }
        }
    }
    let values = take(lists.values(), &UInt32Array::from(picks), None)?;
    let element = Arc::new(Field::new_list_field(values.data_type().clone(), true));
    let inner = ListArray::try_new(element, OffsetBuffer::from_lengths(inner), values, None)?;
    Ok(Arc::new(ListArray::try_new(
        Arc::new(Field::new_list_field(inner.data_type().clone(), true)),
        OffsetBuffer::from_lengths(outer),
        Arc::new(inner),
        Some(valid.into()),
    )?))
}

fn list_and_count(name: &str, args: &[ArrayRef]) -> Result<(ListArray, Int64Array)> {
    let [a, n] = args else {
        return Err(exec_err(format!("{name} takes an array and a number")));
    };
    let lists = cast(a, &as_list(name, a.data_type())?)?;
    Ok((lists.as_list::<i32>().clone(), int64s(n)?))
}

/// `combinations(a, n)`: the `n`-element groups of `a`'s positions, in lexicographic order of
/// positions (at most 5 elements each, 100,000 elements in all for one array).
fn combinations(args: &[ArrayRef]) -> Result<ArrayRef> {
    let (lists, n) = list_and_count("combinations", args)?;
    nested(&lists, |r, len| {
        let mut total = 0usize;
        if n.is_null(r) {
            return Ok(None);
        }
        let k = n.value(r);
        if k < 0 {
            return Err(exec_err("combination size must not be negative"));
        }
        if k > MAX_COMBINATION {
            return Err(exec_err(format!(
                "combination size must not exceed {MAX_COMBINATION}"
            )));
        }
        let k = usize::try_from(k).unwrap_or_default();
        let mut out = Vec::new();
        if k > len {
            return Ok(Some(out));
        }
        let mut pick: Vec<usize> = (0..k).collect();
        loop {
            total = total.saturating_add(k);
            if total > MAX_COMBINATION_ELEMENTS {
                return Err(exec_err("combinations exceed max size"));
            }
            out.push(pick.clone());
            // The rightmost position that can still move right, and everything after it reset.
            let Some(i) = (0..k).rev().find(|&i| pick[i] < len - k + i) else {
                break;
            };
            pick[i] += 1;
            for j in i + 1..k {
                pick[j] = pick[j - 1] + 1;
            }
        }
        Ok(Some(out))
    })
}

/// The most elements one array's `ngrams` may hold in all.
const MAX_NGRAM_ELEMENTS: usize = 1_000_000;

/// `ngrams(a, n)`: the runs of `n` consecutive elements (the whole array when it is shorter), at
/// most [`MAX_NGRAM_ELEMENTS`] elements in all.
fn ngrams(args: &[ArrayRef]) -> Result<ArrayRef> {
    let (lists, n) = list_and_count("ngrams", args)?;
    nested(&lists, |r, len| {
        if n.is_null(r) {
            return Ok(None);
        }
        let k = n.value(r);
        if k <= 0 {
            return Err(exec_err("N must be positive"));
        }
        let k = usize::try_from(k).unwrap_or(usize::MAX);
        if k >= len {
            return Ok(Some(vec![(0..len).collect()]));
        }
        if (len - k + 1).saturating_mul(k) > MAX_NGRAM_ELEMENTS {
            return Err(exec_err(format!(
                "ngrams would make more than {MAX_NGRAM_ELEMENTS} elements"
            )));
        }
        Ok(Some((0..=len - k).map(|s| (s..s + k).collect()).collect()))
    })
}

/// `cardinality(a)`: the number of elements of an array, or of entries of a map, or a
/// HyperLogLog sketch's estimate.
fn cardinality(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [a] = args else {
        return Err(exec_err(
            "cardinality takes an array, a map or a HyperLogLog sketch",
        ));
    };
    if matches!(
        a.data_type(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView
    ) {
        return super::hyperloglog::cardinality(a);
    }
    let count = |r: usize, len: i64| if a.is_null(r) { None } else { Some(len) };
    let out: Int64Array = if let Some(m) = a.as_map_opt() {
        (0..m.len())
            .map(|r| count(r, i64::from(m.value_length(r))))
            .collect()
    } else {
        let lists = cast(a, &as_list("cardinality", a.data_type())?)?;
        let lists = lists.as_list::<i32>();
        (0..lists.len())
            .map(|r| count(r, i64::from(lists.value_length(r))))
            .collect()
    };
    Ok(Arc::new(out))
}

/// The most elements `repeat` makes, as in Trino.
const MAX_REPEAT: i64 = 10_000;

/// `repeat(x, n)`: an array of `n` copies of `x` (Trino's; DataFusion's `repeat` repeats text).
fn repeat(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [x, n] = args else {
        return Err(exec_err("repeat takes an element and a count"));
    };
    let n = int64s(n)?;
    let (mut picks, mut lengths, mut valid) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..x.len() {
        if n.is_null(r) {
            lengths.push(0);
            valid.push(false);
            continue;
        }
        let count = n.value(r);
        if count < 0 {
            return Err(exec_err(
                "count argument of repeat function must be greater than or equal to 0",
            ));
        }
        if count > MAX_REPEAT {
            return Err(exec_err(format!(
                "count argument of repeat function must be less than or equal to {MAX_REPEAT}"
            )));
        }
        let at = index(r)?;
        let count = usize::try_from(count).unwrap_or_default();
        picks.extend(std::iter::repeat_n(at, count));
        lengths.push(count);
        valid.push(true);
    }
    let values = take(x, &UInt32Array::from(picks), None)?;
    Ok(Arc::new(ListArray::try_new(
        Arc::new(Field::new_list_field(x.data_type().clone(), true)),
        OffsetBuffer::from_lengths(lengths),
        values,
        Some(valid.into()),
    )?))
}

/// Arrays of `lists`' elements: row `r` holds the positions `pick(r, len)` gives (`None`: NULL).
fn picked(
    lists: &ListArray,
    mut pick: impl FnMut(usize, usize) -> Result<Option<Vec<usize>>>,
) -> Result<ArrayRef> {
    let (mut picks, mut lengths, mut valid) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..lists.len() {
        let got = if lists.is_null(r) {
            None
        } else {
            pick(r, lists.value_length(r).max(0) as usize)?
        };
        let Some(got) = got else {
            lengths.push(0);
            valid.push(false);
            continue;
        };
        let base = lists.value_offsets()[r].max(0) as usize;
        lengths.push(got.len());
        valid.push(true);
        for p in got {
            picks.push(index(base + p)?);
        }
    }
    let values = take(lists.values(), &UInt32Array::from(picks), None)?;
    Ok(Arc::new(ListArray::try_new(
        Arc::new(Field::new_list_field(values.data_type().clone(), true)),
        OffsetBuffer::from_lengths(lengths),
        values,
        Some(valid.into()),
    )?))
}

/// `trim_array(a, n)`: `a` without its last `n` elements.
fn trim_array(args: &[ArrayRef]) -> Result<ArrayRef> {
    let (lists, n) = list_and_count("trim_array", args)?;
    picked(&lists, |r, len| {
        if n.is_null(r) {
            return Ok(None);
        }
        let k = n.value(r);
        if k < 0 {
            return Err(exec_err(format!("size must not be negative: {k}")));
        }
        match usize::try_from(k).ok().filter(|k| *k <= len) {
            Some(k) => Ok(Some((0..len - k).collect())),
            None => Err(exec_err(format!(
                "size must not exceed array cardinality {len}: {k}"
            ))),
        }
    })
}

/// `shuffle(a)`: `a`'s elements in a random order.
fn shuffle(args: &[ArrayRef]) -> Result<ArrayRef> {
    use rand::seq::SliceRandom;
    let [a] = args else {
        return Err(exec_err("shuffle takes an array"));
    };
    let lists = cast(a, &as_list("shuffle", a.data_type())?)?;
    let mut rng = rand::thread_rng();
    picked(lists.as_list::<i32>(), |_, len| {
        let mut order: Vec<usize> = (0..len).collect();
        order.shuffle(&mut rng);
        Ok(Some(order))
    })
}

/// `contains_sequence(a, seq)`: whether `seq`'s elements appear in `a` consecutively and in
/// order (NULL elements compare equal to each other, as Trino's distinct-from comparison does).
fn contains_sequence(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [a, seq] = args else {
        return Err(exec_err("contains_sequence takes two arrays"));
    };
    let list = as_list("contains_sequence", a.data_type())?;
    let a = cast(a, &list)?;
    // The sequence as the array's element type, so that 3 and 3.0 (or an int and a bigint)
    // compare equal.
    let seq = cast(seq, &list)?;
    let (a, seq) = (a.as_list::<i32>(), seq.as_list::<i32>());
    let mut out = Vec::with_capacity(a.len());
    for r in 0..a.len() {
        if a.is_null(r) || seq.is_null(r) {
            out.push(None);
            continue;
        }
        let (hay, needle) = (a.value(r), seq.value(r));
        let hay: Vec<ScalarValue> = (0..hay.len())
            .map(|i| ScalarValue::try_from_array(&hay, i))
            .collect::<Result<_>>()?;
        let needle: Vec<ScalarValue> = (0..needle.len())
            .map(|i| ScalarValue::try_from_array(&needle, i))
            .collect::<Result<_>>()?;
        let found = needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle.as_slice());
        out.push(Some(found));
    }
    Ok(Arc::new(datafusion::arrow::array::BooleanArray::from(out)))
}

/// An array for an array, text for anything else.
fn returns_reversed(types: &[DataType]) -> Result<DataType> {
    match types.first() {
        Some(t @ (DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..))) => {
            as_list("reverse", t)
        }
        _ => Ok(DataType::Utf8),
    }
}

/// `reverse(x)`: an array's elements or a string's characters in reverse order (DataFusion's
/// `reverse` only reverses text, and read an array as its text).
fn reverse(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [x] = args else {
        return Err(exec_err("reverse takes an array or a string"));
    };
    if let DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) = x.data_type()
    {
        let lists = cast(x, &as_list("reverse", x.data_type())?)?;
        return picked(lists.as_list::<i32>(), |_, len| {
            Ok(Some((0..len).rev().collect()))
        });
    }
    let text = cast(x, &DataType::Utf8)?;
    let out: datafusion::arrow::array::StringArray = text
        .as_string::<i32>()
        .iter()
        .map(|s| s.map(|s| s.chars().rev().collect::<String>()))
        .collect();
    Ok(Arc::new(out))
}
