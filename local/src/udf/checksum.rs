//! Trino's `checksum(x)`: an order-insensitive checksum of a column, the same bytes Trino gives.
//! Each value's XXH64 hash (Trino's hash of its type) times a prime is summed with wrapping
//! arithmetic, a NULL adding the prime itself; the sum is returned as 8 little-endian bytes, and
//! no row at all gives NULL.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Field, FieldRef, Float32Type, Float64Type, Int64Type,
    TimeUnit,
};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};
use datafusion::scalar::ScalarValue;
use twox_hash::XxHash64;

use super::exec_err;

/// Trino's `ChecksumAggregationFunction.PRIME64`.
const PRIME64: u64 = 0x9E37_79B1_85EB_CA87;

/// XXH64 (seed 0) of a 64-bit value's little-endian bytes: Trino's hash of a bigint, and of
/// every type it stores as one.
fn hash_long(v: i64) -> u64 {
    XxHash64::oneshot(0, &v.to_le_bytes())
}

/// Each value's Trino hash, `None` for a NULL.
fn hashes(values: &ArrayRef) -> Result<Vec<Option<u64>>> {
    let n = values.len();
    let each = |f: &dyn Fn(usize) -> u64| -> Vec<Option<u64>> {
        (0..n).map(|i| (!values.is_null(i)).then(|| f(i))).collect()
    };
    Ok(match values.data_type() {
        DataType::Null => vec![None; n],
        DataType::Boolean => {
            let b = values.as_boolean();
            each(&|i| hash_long(i64::from(b.value(i))))
        }
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32 => {
            let v = cast(values, &DataType::Int64)?;
            let v = v.as_primitive::<Int64Type>();
            each(&|i| hash_long(v.value(i)))
        }
        DataType::Float64 => {
            let v = values.as_primitive::<Float64Type>();
            each(&|i| hash_long(double_bits(v.value(i))))
        }
        DataType::Float32 => {
            let v = values.as_primitive::<Float32Type>();
            each(&|i| hash_long(i64::from(real_bits(v.value(i)))))
        }
        DataType::Date32 => {
            let v = values.as_primitive::<Date32Type>();
            each(&|i| hash_long(i64::from(v.value(i))))
        }
        DataType::Timestamp(unit, None) => {
            // Trino keeps a timestamp of up to 6 digits as microseconds since the epoch.
            let v = cast(values, &DataType::Int64)?;
            let v = v.as_primitive::<Int64Type>();
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                if values.is_null(i) {
                    out.push(None);
                    continue;
                }
                let micros = match unit {
                    TimeUnit::Second => v.value(i).checked_mul(1_000_000),
                    TimeUnit::Millisecond => v.value(i).checked_mul(1_000),
                    TimeUnit::Microsecond => Some(v.value(i)),
                    TimeUnit::Nanosecond => Some(v.value(i).div_euclid(1_000)),
                }
                .ok_or_else(|| exec_err("checksum: timestamp out of range"))?;
                out.push(Some(hash_long(micros)));
            }
            out
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let v = cast(values, &DataType::Utf8)?;
            let v = v.as_string::<i32>();
            each(&|i| XxHash64::oneshot(0, v.value(i).as_bytes()))
        }
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            let v = cast(values, &DataType::Binary)?;
            let v = v.as_binary::<i32>();
            each(&|i| XxHash64::oneshot(0, v.value(i)))
        }
        // Trino keeps a decimal of up to 18 digits as its unscaled 64-bit value.
        DataType::Decimal128(p, _) if *p <= 18 => {
            let v = values.as_primitive::<Decimal128Type>();
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                if values.is_null(i) {
                    out.push(None);
                    continue;
                }
                let unscaled = i64::try_from(v.value(i))
                    .map_err(|_| exec_err("checksum: decimal out of range"))?;
                out.push(Some(hash_long(unscaled)));
            }
            out
        }
        other => {
            return Err(exec_err(format!(
                "checksum of {other} values is not supported here (booleans, numbers and \
                 decimals of up to 18 digits, text, binary, dates and timestamps are)"
            )))
        }
    })
}

/// Java's `doubleToLongBits` after Trino's `-0.0` to `0.0`: one bit pattern for every NaN.
fn double_bits(x: f64) -> i64 {
    let x = if x == 0.0 { 0.0 } else { x };
    let bits = if x.is_nan() {
        0x7ff8_0000_0000_0000
    } else {
        x.to_bits()
    };
    i64::from_ne_bytes(bits.to_ne_bytes())
}

/// Java's `floatToIntBits` after `-0.0` to `0.0`, as the int Trino widens to a long.
fn real_bits(x: f32) -> i32 {
    let x = if x == 0.0 { 0.0 } else { x };
    let bits = if x.is_nan() { 0x7fc0_0000 } else { x.to_bits() };
    i32::from_ne_bytes(bits.to_ne_bytes())
}

/// The `checksum` aggregate.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Checksum {
    signature: Signature,
}

impl Checksum {
    /// The aggregate, for any one argument.
    pub fn new() -> Self {
        Self {
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for Checksum {
    fn name(&self) -> &str {
        "checksum"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Binary)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        // NULL until a row (even a NULL one) is seen.
        Ok(vec![Arc::new(Field::new(
            format!("{}[sum]", args.name),
            DataType::UInt64,
            true,
        ))])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        // DISTINCT is the wrapper's (`super::distinct`), which feeds each row once.
        debug_assert!(!args.is_distinct);
        Ok(Box::new(Sum(None)))
    }
}

/// The wrapping sum so far; `None` before the first row.
#[derive(Debug)]
struct Sum(Option<u64>);

impl Accumulator for Sum {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(values) = values.first() else {
            return Ok(());
        };
        if values.is_empty() {
            return Ok(());
        }
        let mut sum = self.0.unwrap_or(0);
        for h in hashes(values)? {
            sum = sum.wrapping_add(h.map_or(PRIME64, |h| h.wrapping_mul(PRIME64)));
        }
        self.0 = Some(sum);
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(sums) = states.first() else {
            return Ok(());
        };
        let sums = cast(sums, &DataType::UInt64)?;
        for s in sums
            .as_primitive::<datafusion::arrow::datatypes::UInt64Type>()
            .iter()
            .flatten()
        {
            self.0 = Some(self.0.unwrap_or(0).wrapping_add(s));
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::UInt64(self.0)])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Binary(
            self.0.map(|s| s.to_le_bytes().to_vec()),
        ))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// XXH64's published test vectors (seed 0), so the hash is the one Trino's airlift uses.
    #[test]
    fn xxh64_matches_the_reference_vectors() {
        assert_eq!(XxHash64::oneshot(0, b""), 0xEF46_DB37_51D8_E999);
        assert_eq!(XxHash64::oneshot(0, b"a"), 0xD24E_C4F1_A98C_6E5B);
        assert_eq!(XxHash64::oneshot(0, b"abc"), 0x44BC_2CF5_AD77_0999);
    }

    #[test]
    fn doubles_hash_as_java_bits() {
        assert_eq!(double_bits(-0.0), 0);
        assert_eq!(double_bits(f64::NAN), double_bits(-f64::NAN));
        assert_eq!(double_bits(1.0), 0x3FF0_0000_0000_0000);
        assert_eq!(
            real_bits(-1.0),
            i32::from_ne_bytes(0xBF80_0000u32.to_ne_bytes())
        );
    }
}
