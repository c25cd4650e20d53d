//! Trino's duration functions: `to_milliseconds`, `parse_duration` and `human_readable_seconds`.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Int64Builder, IntervalMonthDayNanoBuilder, StringBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Float64Type, IntervalMonthDayNano, IntervalMonthDayNanoType, IntervalUnit,
};
use datafusion::common::utils::take_function_args;
use datafusion::error::Result;
use datafusion::logical_expr::ScalarUDF;

use super::exec_err;
use super::func::{returns_int64, returns_utf8, Func};

/// The functions.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        Func::new("to_milliseconds", 1..=1, returns_int64, to_milliseconds).udf(),
        Func::new("parse_duration", 1..=1, returns_interval, parse_duration).udf(),
        Func::new(
            "human_readable_seconds",
            1..=1,
            returns_utf8,
            human_readable_seconds,
        )
        .udf(),
    ]
}

fn returns_interval(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::Interval(IntervalUnit::MonthDayNano))
}

/// `to_milliseconds(interval)`: an interval of days to seconds in milliseconds.
fn to_milliseconds(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [a] = take_function_args("to_milliseconds", args)?;
    let a = cast(a, &DataType::Interval(IntervalUnit::MonthDayNano))?;
    let a = a.as_primitive::<IntervalMonthDayNanoType>();
    let mut out = Int64Builder::with_capacity(a.len());
    for i in a {
        match i {
            None => out.append_null(),
            Some(i) if i.months != 0 => {
                return Err(exec_err(
                    "to_milliseconds takes an interval of days to seconds, not of months",
                ))
            }
            Some(i) => {
                let ms = i128::from(i.days) * 86_400_000 + i128::from(i.nanoseconds) / 1_000_000;
                out.append_value(
                    i64::try_from(ms).map_err(|_| exec_err("to_milliseconds: out of range"))?,
                );
            }
        }
    }
    Ok(Arc::new(out.finish()))
}

/// Nanoseconds per unit of `parse_duration`'s units, as Airlift's `Duration` names them.
fn unit_nanos(unit: &str) -> Option<f64> {
    Some(match unit {
        "ns" => 1.0,
        "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3_600e9,
        "d" => 86_400e9,
        _ => return None,
    })
}

/// `parse_duration('3.81 d')`: a number and a unit (ns, us, ms, s, m, h, d) as an interval of
/// days to seconds, rounded to the millisecond as Trino's intervals are.
fn parse_duration(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [a] = take_function_args("parse_duration", args)?;
    let a = cast(a, &DataType::Utf8)?;
    let a = a.as_string::<i32>();
    let mut out = IntervalMonthDayNanoBuilder::with_capacity(a.len());
    for s in a {
        let Some(s) = s else {
            out.append_null();
            continue;
        };
        let t = s.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (number, unit) = (&t[..split], t[split..].trim());
        let nanos = match (number.parse::<f64>(), unit_nanos(unit)) {
            (Ok(n), Some(u)) if !number.is_empty() && n.is_finite() => n * u,
            _ => {
                return Err(exec_err(format!(
                    "duration is not a valid data duration string: {s}"
                )))
            }
        };
        let ms = (nanos / 1e6).round();
        if !(0.0..=9.2e15).contains(&ms) {
            return Err(exec_err(format!("duration is out of range: {s}")));
        }
        // Within 0..=9.2e15, an exact integer.
        let ms = ms as i64;
        let days = i32::try_from(ms / 86_400_000)
            .map_err(|_| exec_err(format!("duration is out of range: {s}")))?;
        out.append_value(IntervalMonthDayNano::new(
            0,
            days,
            (ms % 86_400_000) * 1_000_000,
        ));
    }
    Ok(Arc::new(out.finish()))
}

/// `human_readable_seconds(x)`: `1 week, 2 days, 3 hours, 4 minutes, 5 seconds`, each unit
/// named only when not zero, seconds rounded; `0 seconds` for none.
fn human_readable_seconds(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [a] = take_function_args("human_readable_seconds", args)?;
    let a = cast(a, &DataType::Float64)?;
    let a = a.as_primitive::<Float64Type>();
    let mut out = StringBuilder::new();
    for x in a {
        let Some(x) = x else {
            out.append_null();
            continue;
        };
        if !x.is_finite() {
            return Err(exec_err(
                "human_readable_seconds: the number must be finite",
            ));
        }
        let secs = x.abs().round();
        if secs > 9.2e18 {
            return Err(exec_err("human_readable_seconds: out of range"));
        }
        // Below 9.2e18, an exact integer.
        let mut left = secs as u64;
        let mut parts = Vec::new();
        for (unit, size) in [
            ("week", 604_800),
            ("day", 86_400),
            ("hour", 3_600),
            ("minute", 60),
            ("second", 1),
        ] {
            let n = left / size;
            left %= size;
            if n > 0 {
                parts.push(format!("{n} {unit}{}", if n == 1 { "" } else { "s" }));
            }
        }
        if parts.is_empty() {
            parts.push("0 seconds".to_string());
        }
        out.append_value(parts.join(", "));
    }
    Ok(Arc::new(out.finish()))
}
