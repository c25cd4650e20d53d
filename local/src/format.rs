//! Values printed as CloudTrail Lake prints them: every value a string, timestamps as
//! `YYYY-MM-DD HH:MM:SS.000` and dates as `YYYY-MM-DD`, maps and structs as `{k=v, ...}`, arrays
//! as `[a, b]`, intervals of days to seconds as `D HH:MM:SS.mmm` and of months as `Y-M`.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, DurationMillisecondType, IntervalMonthDayNanoType, IntervalUnit, TimeUnit,
    TimestampMillisecondType,
};
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::error::Result;

/// Lake prints a NULL as an empty string: every value in a result row is a string.
pub const NULL_TEXT: &str = "";

/// The value at `row` of `array` as Lake's result text.
pub fn value_text(array: &ArrayRef, row: usize) -> Result<String> {
    if array.is_null(row) {
        return Ok(NULL_TEXT.to_string());
    }
    render(array, row)
}

/// `YYYY-MM-DD HH:MM:SS.mmm` (UTC) for milliseconds since the epoch; the number itself for a
/// time chrono cannot represent.
pub fn timestamp_text(ms: i64) -> String {
    use chrono::{Datelike, Timelike};
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) if (0..=9999).contains(&t.year()) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.timestamp_subsec_millis()
        ),
        Some(t) => t.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        None => ms.to_string(),
    }
}

/// Inside a struct, map or array Trino prints a NULL as `null`.
fn nested_text(array: &ArrayRef, row: usize) -> Result<String> {
    if array.is_null(row) {
        return Ok("null".to_string());
    }
    render(array, row)
}

fn render(array: &ArrayRef, row: usize) -> Result<String> {
    Ok(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(row).to_string(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(row).to_string(),
        DataType::Utf8View => array.as_string_view().value(row).to_string(),
        // Trino prints a varbinary as its bytes in hex, space-separated.
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            let bytes = cast(&array.slice(row, 1), &DataType::Binary)?;
            let hex: Vec<String> = bytes
                .as_binary::<i32>()
                .value(0)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            hex.join(" ")
        }
        DataType::Date32 | DataType::Date64 => {
            let days = cast(&array.slice(row, 1), &DataType::Date32)?;
            let d = days
                .as_primitive::<datafusion::arrow::datatypes::Date32Type>()
                .value(0);
            chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
                .and_then(|e| e.checked_add_signed(chrono::Duration::days(i64::from(d))))
                .map_or_else(|| d.to_string(), |d| d.format("%Y-%m-%d").to_string())
        }
        // Nanoseconds (`from_unixtime_nanos`) print all nine digits, as Trino's timestamp(9).
        DataType::Timestamp(TimeUnit::Nanosecond, Some(zone)) => {
            let ns = array
                .as_primitive::<datafusion::arrow::datatypes::TimestampNanosecondType>()
                .value(row);
            let offset = crate::udf::zone::zone(zone)
                .and_then(|tz| crate::udf::zone::utc_offset(&tz, ns.div_euclid(1_000_000)))
                .unwrap_or(0);
            let local = ns.saturating_add(offset.saturating_mul(1_000_000_000));
            let secs = local.div_euclid(1_000_000_000);
            let frac = local.rem_euclid(1_000_000_000);
            let text = chrono::DateTime::from_timestamp(secs, 0).map_or_else(
                || local.to_string(),
                |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
            );
            format!("{text}.{frac:09} {zone}")
        }
        // Trino prints a timestamp with a time zone as the zone's wall clock and the zone.
        DataType::Timestamp(_, Some(zone)) => {
            let ms = cast(
                &array.slice(row, 1),
                &DataType::Timestamp(TimeUnit::Millisecond, None),
            )?;
            let ms = ms.as_primitive::<TimestampMillisecondType>().value(0);
            let offset = crate::udf::zone::zone(zone)
                .and_then(|tz| crate::udf::zone::utc_offset(&tz, ms))
                .unwrap_or(0);
            format!(
                "{} {zone}",
                timestamp_text(ms.saturating_add(offset * 1000))
            )
        }
        DataType::Timestamp(unit, _) => {
            // The event time is in every result row: read the value where it is, rather than
            // casting a one-row slice, and print it without parsing a format each time.
            let v = if *unit == TimeUnit::Millisecond {
                array.as_primitive::<TimestampMillisecondType>().value(row)
            } else {
                let ms = cast(
                    &array.slice(row, 1),
                    &DataType::Timestamp(TimeUnit::Millisecond, None),
                )?;
                ms.as_primitive::<TimestampMillisecondType>().value(0)
            };
            timestamp_text(v)
        }
        DataType::Map(_, _) => {
            let entries = array.as_map().value(row);
            let (k, v) = (entries.column(0), entries.column(1));
            let parts = (0..entries.len())
                .map(|i| Ok(format!("{}={}", nested_text(k, i)?, nested_text(v, i)?)))
                .collect::<Result<Vec<_>>>()?;
            format!("{{{}}}", parts.join(", "))
        }
        DataType::Struct(fields) => {
            let s = array.as_struct();
            let parts = fields
                .iter()
                .zip(s.columns())
                .map(|(f, c)| Ok(format!("{}={}", f.name(), nested_text(c, row)?)))
                .collect::<Result<Vec<_>>>()?;
            format!("{{{}}}", parts.join(", "))
        }
        DataType::List(_) => {
            let items = array.as_list::<i32>().value(row);
            let parts = (0..items.len())
                .map(|i| nested_text(&items, i))
                .collect::<Result<Vec<_>>>()?;
            format!("[{}]", parts.join(", "))
        }
        DataType::Interval(_) => {
            let i = cast(
                &array.slice(row, 1),
                &DataType::Interval(IntervalUnit::MonthDayNano),
            )?;
            let i = i.as_primitive::<IntervalMonthDayNanoType>().value(0);
            let nanos = i128::from(i.days) * 86_400_000_000_000 + i128::from(i.nanoseconds);
            match (i.months, nanos) {
                (0, n) => day_time_text(n / 1_000_000),
                (m, 0) => {
                    let sign = if m < 0 { "-" } else { "" };
                    let m = i64::from(m).abs();
                    format!("{sign}{}-{}", m / 12, m % 12)
                }
                // Trino has no interval of both months and days.
                _ => array_value_to_string(array, row)?,
            }
        }
        // Trino's `time(3)`: always three fraction digits (Arrow's display drops a zero
        // fraction and shows nanoseconds).
        DataType::Time32(_) | DataType::Time64(_) => {
            let ms = crate::udf::time_of_day_ms(&array.slice(row, 1))?.value(0);
            format!(
                "{:02}:{:02}:{:02}.{:03}",
                ms / 3_600_000,
                ms / 60_000 % 60,
                ms / 1000 % 60,
                ms % 1000
            )
        }
        DataType::Duration(_) => {
            let ms = cast(
                &array.slice(row, 1),
                &DataType::Duration(TimeUnit::Millisecond),
            )?;
            day_time_text(i128::from(
                ms.as_primitive::<DurationMillisecondType>().value(0),
            ))
        }
        // Java's words for the infinities, as Trino prints a double (Arrow writes `inf`).
        DataType::Float64 | DataType::Float32 | DataType::Float16 => {
            match array_value_to_string(array, row)?.as_str() {
                "inf" => "Infinity".to_string(),
                "-inf" => "-Infinity".to_string(),
                other => other.to_string(),
            }
        }
        _ => array_value_to_string(array, row)?,
    })
}

/// Trino's text for an interval of days to seconds: `D HH:MM:SS.mmm`, a `-` before a negative.
pub fn day_time_text(ms: i128) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    format!(
        "{sign}{} {:02}:{:02}:{:02}.{:03}",
        ms / 86_400_000,
        ms / 3_600_000 % 24,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_as_chrono_formats_them() {
        // Chrono's own formatting of the same instants is the independent reference.
        let mut ms: i64 = -62_135_596_800_000; // 0001-01-01
        let step = 7_919_113_337_i64; // ~92 days and an odd number of milliseconds
        while ms < 253_402_300_799_999 {
            let want = chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string());
            assert_eq!(Some(timestamp_text(ms)), want, "{ms}");
            ms += step;
        }
        for ms in [0, -1, 999, 1_000, 1_582_934_399_999, 253_402_300_799_999] {
            let want = chrono::DateTime::from_timestamp_millis(ms)
                .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string());
            assert_eq!(Some(timestamp_text(ms)), want, "{ms}");
        }
        assert_eq!(timestamp_text(i64::MAX), i64::MAX.to_string());
    }
}
