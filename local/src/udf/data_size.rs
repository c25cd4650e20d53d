//! Trino's `parse_data_size`: `'2.3MB'` as a number of bytes (`2411724`), a `decimal(38,0)`,
//! units in powers of 1024 as Trino (and airlift's `DataSize`) spells them, case and all.

use std::str::FromStr;
use std::sync::Arc;

use bigdecimal::{BigDecimal, RoundingMode, ToPrimitive};
use datafusion::arrow::array::{ArrayRef, Decimal128Array};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::ScalarUDF;

use super::func::Func;
use super::{exec_err, first_arg, strings};

/// The functions of this module.
pub fn functions() -> Vec<ScalarUDF> {
    vec![Func::new("parse_data_size", 1..=1, returns_bytes, parse_data_size).udf()]
}

/// A `decimal(38,0)`.
fn returns_bytes(_: &[DataType]) -> Result<DataType> {
    Ok(DataType::Decimal128(38, 0))
}

/// Each unit and its power of 1024.
const UNITS: [(&str, u32); 9] = [
    ("B", 0),
    ("kB", 10),
    ("MB", 20),
    ("GB", 30),
    ("TB", 40),
    ("PB", 50),
    ("EB", 60),
    ("ZB", 70),
    ("YB", 80),
];

/// The largest magnitude of a `decimal(38,0)`.
const MAX: i128 = 99_999_999_999_999_999_999_999_999_999_999_999_999;

/// `parse_data_size(text)` over a column.
fn parse_data_size(args: &[ArrayRef]) -> Result<ArrayRef> {
    let t = strings(first_arg(args)?)?;
    let out = t
        .iter()
        .map(|v| v.map(bytes).transpose())
        .collect::<Result<Decimal128Array>>()?
        .with_precision_and_scale(38, 0)?;
    Ok(Arc::new(out))
}

/// The bytes `size` names: digits and points, then a unit; the fraction of a byte dropped.
fn bytes(size: &str) -> Result<i128> {
    let invalid = || exec_err(format!("Invalid data size: '{size}'"));
    let split = size
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(size.len());
    let (number, unit) = size.split_at(split);
    // Java's BigDecimal takes `1.` and `.5`, not `.` or two points.
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return Err(invalid());
    }
    let shift = UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, shift)| *shift)
        .ok_or_else(invalid)?;
    // Written out in full (`0.5`, `1.0`) for the parser, which wants digits around a point.
    let mut full = format!("0{number}");
    if full.ends_with('.') {
        full.push('0');
    }
    let value = BigDecimal::from_str(&full).map_err(|_| invalid())?;
    let bytes = (value * BigDecimal::from(1u128 << shift)).with_scale_round(0, RoundingMode::Down);
    bytes
        .to_i128()
        .filter(|b| *b <= MAX)
        .ok_or_else(|| exec_err(format!("Value out of range: '{size}' ('{bytes}B')")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_trinos() {
        assert_eq!(bytes("1B").ok(), Some(1));
        assert_eq!(bytes("1kB").ok(), Some(1024));
        assert_eq!(bytes("2.3MB").ok(), Some(2_411_724));
        assert_eq!(bytes(".5kB").ok(), Some(512));
        assert_eq!(bytes("1.kB").ok(), Some(1024));
        assert_eq!(bytes("1YB").ok(), Some(1 << 80));
        for bad in ["1 MB", "-1B", "12", ".B", "1.5.2MB", "1kb", ""] {
            assert!(bytes(bad).is_err(), "{bad}");
        }
        assert!(bytes("100000000000000000YB").is_err());
    }
}
