//! Values printed as CloudTrail Lake prints them: every value a string, timestamps as
//! `YYYY-MM-DD HH:MM:SS.000` and dates as `YYYY-MM-DD`, maps and structs as `{k=v, ...}`, arrays as `[a, b]`.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit, TimestampMillisecondType};
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
        DataType::Timestamp(_, _) => {
            let ms = cast(
                &array.slice(row, 1),
                &DataType::Timestamp(TimeUnit::Millisecond, None),
            )?;
            let v = ms.as_primitive::<TimestampMillisecondType>().value(0);
            match chrono::DateTime::from_timestamp_millis(v) {
                Some(t) => t.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
                None => v.to_string(),
            }
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
        _ => array_value_to_string(array, row)?,
    })
}
