//! Trino's time zone functions: `with_timezone`, `at_timezone`, `timezone_hour`,
//! `timezone_minute`, `timezone`, `from_unixtime_nanos` and `from_iso8601_timestamp_nanos`
//! (nanosecond timestamps in UTC). A timestamp with a time zone is an Arrow timestamp whose type names the
//! zone (an IANA name or an offset), so the zone must be a constant, as it is in practice.

use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, LocalResult, Offset, TimeZone};
use datafusion::arrow::array::timezone::Tz;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, TimestampMillisecondArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use super::exec_err;
use super::func::{returns_int64, returns_utf8, Func};

/// The functions.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::new_from_impl(Zoned::new(true)),
        ScalarUDF::new_from_impl(Zoned::new(false)),
        Func::new("timezone_hour", 1..=1, returns_int64, timezone_hour).udf(),
        Func::new("timezone_minute", 1..=1, returns_int64, timezone_minute).udf(),
        Func::new(
            "from_iso8601_timestamp_nanos",
            1..=1,
            returns_nanos,
            from_iso8601_timestamp_nanos,
        )
        .udf(),
        Func::new("timezone", 1..=1, returns_utf8, timezone).udf(),
        Func::new(
            "from_unixtime_nanos",
            1..=1,
            returns_nanos,
            from_unixtime_nanos,
        )
        .udf(),
    ]
}

/// A timestamp of nanoseconds in UTC (Lake's session zone).
fn returns_nanos(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::Timestamp(
        TimeUnit::Nanosecond,
        Some("UTC".into()),
    ))
}

/// `timezone(t)`: the zone of a timestamp with a time zone, as its type names it (`Asia/Tokyo`,
/// `+01:00`, `UTC`).
fn timezone(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [t] = args else {
        return Err(exec_err("timezone takes a timestamp with a time zone"));
    };
    let DataType::Timestamp(_, Some(zone)) = t.data_type() else {
        return Err(exec_err(format!(
            "Unexpected parameters ({}) for function timezone: a timestamp with a time zone is \
             expected",
            t.data_type()
        )));
    };
    let out: datafusion::arrow::array::StringArray = (0..t.len())
        .map(|i| (!t.is_null(i)).then(|| zone.to_string()))
        .collect();
    Ok(Arc::new(out))
}

/// `from_unixtime_nanos(n)`: the instant `n` nanoseconds after the epoch, in UTC.
fn from_unixtime_nanos(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [n] = args else {
        return Err(exec_err(
            "from_unixtime_nanos takes a number of nanoseconds",
        ));
    };
    let n = datafusion::arrow::compute::cast(n, &DataType::Int64)?;
    let out = datafusion::arrow::array::TimestampNanosecondArray::from(
        n.as_primitive::<datafusion::arrow::datatypes::Int64Type>()
            .iter()
            .collect::<Vec<_>>(),
    )
    .with_timezone("UTC");
    Ok(Arc::new(out))
}

/// A time zone by name (`America/New_York`, `UTC`) or offset (`+05:30`), or Trino's error.
pub fn zone(name: &str) -> Result<Tz> {
    Tz::from_str(name).map_err(|_| exec_err(format!("Time zone not supported: {name}")))
}

/// `with_timezone(t, zone)`: the wall-clock time `t` in `zone`; `at_timezone(t, zone)`: the
/// instant `t` (UTC when it has no zone) seen in `zone`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Zoned {
    /// `with_timezone` (the wall clock kept) rather than `at_timezone` (the instant kept).
    wall_clock: bool,
    signature: Signature,
}

impl Zoned {
    fn new(wall_clock: bool) -> Self {
        Self {
            wall_clock,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for Zoned {
    fn name(&self) -> &str {
        if self.wall_clock {
            "with_timezone"
        } else {
            "at_timezone"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Err(DataFusionError::Internal(
            "the type comes from return_field_from_args".into(),
        ))
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let name = match args.scalar_arguments.get(1) {
            Some(Some(
                ScalarValue::Utf8(Some(z))
                | ScalarValue::LargeUtf8(Some(z))
                | ScalarValue::Utf8View(Some(z)),
            )) => z.clone(),
            _ => {
                return Err(DataFusionError::Plan(format!(
                    "{}: the time zone must be a constant string",
                    self.name()
                )))
            }
        };
        zone(&name)?;
        Ok(Arc::new(Field::new(
            self.name(),
            DataType::Timestamp(TimeUnit::Millisecond, Some(name.into())),
            true,
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let DataType::Timestamp(_, Some(name)) = args.return_field.data_type() else {
            return Err(exec_err("a timestamp with a time zone is expected"));
        };
        let tz = zone(name)?;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(t) = arrays.first() else {
            return Err(exec_err(format!(
                "{} takes a timestamp and a zone",
                self.name()
            )));
        };
        // The instant (ms since the epoch, UTC) a timestamp names, whatever its zone.
        let t = super::millis(t)?;
        let out: TimestampMillisecondArray = if self.wall_clock {
            t.iter()
                .map(|v| v.map(|ms| wall_clock_instant(&tz, ms)).transpose())
                .collect::<Result<_>>()?
        } else {
            t.iter().collect()
        };
        Ok(ColumnarValue::Array(Arc::new(
            out.with_timezone(name.clone()),
        )))
    }
}

/// The instant at which the clocks of `tz` show `ms` (a wall-clock time as milliseconds): the
/// earlier of two in a repeated hour, the one an hour on in a skipped hour (as Java's zone rules
/// resolve them).
fn wall_clock_instant(tz: &Tz, ms: i64) -> Result<i64> {
    let naive = DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| exec_err("timestamp out of range"))?
        .naive_utc();
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Ok(t.timestamp_millis()),
        LocalResult::None => {
            // In a gap: the offset before it, so the time moves on by the gap's length. A day
            // earlier (offsets are within 14 hours) is before the gap and after any other change.
            let day_before = ms
                .checked_sub(86_400_000)
                .ok_or_else(|| exec_err("timestamp out of range"))?;
            Ok(ms - utc_offset(tz, day_before)? * 1000)
        }
    }
}

/// The offset of `tz` from UTC, in seconds, at the instant `ms` (milliseconds since the epoch).
pub fn utc_offset(tz: &Tz, ms: i64) -> Result<i64> {
    let at = DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| exec_err("timestamp out of range"))?
        .naive_utc();
    Ok(i64::from(
        tz.offset_from_utc_datetime(&at).fix().local_minus_utc(),
    ))
}

/// The offset from UTC, in seconds, of each timestamp's zone at its instant (UTC's, 0, without
/// a zone).
fn offsets(args: &[ArrayRef]) -> Result<Vec<Option<i64>>> {
    let [a] = args else {
        return Err(exec_err("takes a timestamp with a time zone"));
    };
    let tz = match a.data_type() {
        DataType::Timestamp(_, Some(name)) => zone(name)?,
        _ => zone("UTC")?,
    };
    super::millis(a)?
        .iter()
        .map(|v| v.map(|ms| utc_offset(&tz, ms)).transpose())
        .collect()
}

/// `timezone_hour(t)`: the hours of the zone's offset (negative west of UTC).
fn timezone_hour(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out: Int64Array = offsets(args)?
        .into_iter()
        .map(|o| o.map(|s| s / 3600))
        .collect();
    Ok(Arc::new(out))
}

/// `timezone_minute(t)`: the minutes of the zone's offset beyond its hours.
fn timezone_minute(args: &[ArrayRef]) -> Result<ArrayRef> {
    let out: Int64Array = offsets(args)?
        .into_iter()
        .map(|o| o.map(|s| s % 3600 / 60))
        .collect();
    Ok(Arc::new(out))
}

/// `from_iso8601_timestamp_nanos(s)`: an ISO 8601 timestamp to the nanosecond, its offset
/// applied (the result is in UTC: one column has one zone here, where Trino keeps each value's);
/// without an offset it is read in UTC, Lake's session zone.
fn from_iso8601_timestamp_nanos(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [s] = args else {
        return Err(exec_err("from_iso8601_timestamp_nanos takes a string"));
    };
    let s = datafusion::arrow::compute::cast(s, &DataType::Utf8)?;
    let mut out = Vec::with_capacity(s.len());
    for v in s.as_string::<i32>() {
        let Some(v) = v else {
            out.push(None);
            continue;
        };
        let parsed = DateTime::parse_from_rfc3339(v)
            .map(|t| t.timestamp_nanos_opt())
            .or_else(|_| {
                chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S%.f")
                    .map(|t| t.and_utc().timestamp_nanos_opt())
            })
            .map_err(|_| exec_err(format!("Invalid format: \"{v}\"")))?;
        out.push(Some(parsed.ok_or_else(|| {
            exec_err(format!("{v} is out of the range of a nanosecond timestamp"))
        })?));
    }
    Ok(Arc::new(
        datafusion::arrow::array::TimestampNanosecondArray::from(out).with_timezone("UTC"),
    ))
}
