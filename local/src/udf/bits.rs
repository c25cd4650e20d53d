//! Trino's bitwise functions: `bit_count`, `bitwise_and`/`or`/`xor`/`not` over `bigint`, and the
//! shifts, which keep their value's integer type (a `tinyint` shifted left wraps at 8 bits).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::ScalarUDF;

use super::func::{returns_int64, Func};
use super::{exec_err, first_arg, int64s};

/// The functions of this module.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        Func::new("bit_count", 2..=2, returns_int64, bit_count).udf(),
        Func::new("bitwise_and", 2..=2, returns_int64, |a| {
            pairs(a, |x, y| Ok(x & y))
        })
        .udf(),
        Func::new("bitwise_or", 2..=2, returns_int64, |a| {
            pairs(a, |x, y| Ok(x | y))
        })
        .udf(),
        Func::new("bitwise_xor", 2..=2, returns_int64, |a| {
            pairs(a, |x, y| Ok(x ^ y))
        })
        .udf(),
        Func::new("bitwise_not", 1..=1, returns_int64, bitwise_not).udf(),
        Func::new("bitwise_left_shift", 2..=2, returns_first, |a| {
            shift(a, Shift::Left)
        })
        .udf(),
        Func::new("bitwise_right_shift", 2..=2, returns_first, |a| {
            shift(a, Shift::Logical)
        })
        .udf(),
        Func::new(
            "bitwise_right_shift_arithmetic",
            2..=2,
            returns_first,
            |a| shift(a, Shift::Arithmetic),
        )
        .udf(),
    ]
}

/// A shift keeps its value's type; anything but an integer (NULL) is a `bigint`.
fn returns_first(types: &[DataType]) -> Result<DataType> {
    Ok(match types.first() {
        Some(t @ (DataType::Int8 | DataType::Int16 | DataType::Int32)) => t.clone(),
        _ => DataType::Int64,
    })
}

/// `f` over two `bigint` arguments, row by row (NULL in, NULL out).
fn pairs(args: &[ArrayRef], f: impl Fn(i64, i64) -> Result<i64>) -> Result<ArrayRef> {
    let [a, b] = args else {
        return Err(exec_err("two arguments expected"));
    };
    let (a, b) = (int64s(a)?, int64s(b)?);
    let out = a
        .iter()
        .zip(b.iter())
        .map(|(x, y)| match (x, y) {
            (Some(x), Some(y)) => f(x, y).map(Some),
            _ => Ok(None),
        })
        .collect::<Result<Int64Array>>()?;
    Ok(Arc::new(out))
}

/// `bitwise_not(x)`: every bit of the `bigint` flipped.
fn bitwise_not(args: &[ArrayRef]) -> Result<ArrayRef> {
    let a = int64s(first_arg(args)?)?;
    let out: Int64Array = a.iter().map(|v| v.map(|v| !v)).collect();
    Ok(Arc::new(out))
}

/// The number of one bits of `num` as a `bits`-bit two's complement number; Trino's checks and
/// messages.
fn bit_count(args: &[ArrayRef]) -> Result<ArrayRef> {
    pairs(args, |num, bits| {
        if bits == 64 {
            return Ok(i64::from(num.count_ones()));
        }
        if !(2..64).contains(&bits) {
            return Err(exec_err(format!(
                "Bits specified in bit_count must be between 2 and 64, got {bits}"
            )));
        }
        // `bits` is 2..=63 here, so neither shift overflows.
        let low = (1i64 << (bits - 1)) - 1;
        if num > low || num < !low {
            return Err(exec_err(format!(
                "Number must be representable with the bits specified. {num} cannot be \
                 represented with {bits} bits"
            )));
        }
        Ok(i64::from(
            (num.cast_unsigned() & (u64::MAX >> (64 - bits))).count_ones(),
        ))
    })
}

/// Which of Trino's three shifts.
#[derive(Clone, Copy)]
enum Shift {
    Left,
    Logical,
    Arithmetic,
}

/// A shift of a value of `width` bits (8, 16, 32 or 64), as Trino computes it over a Java `long`:
/// a shift of 64 or more gives 0 (or -1 for a negative value shifted arithmetically), a negative
/// one is taken modulo 64 as Java takes it, and the result wraps to the value's width.
fn shifted(value: i64, by: i64, width: u32, how: Shift) -> i64 {
    if by >= 64 {
        return match how {
            Shift::Arithmetic if value < 0 => -1,
            _ => 0,
        };
    }
    // Trino returns a narrow value unchanged for a shift of exactly 0 (a negative one stays).
    let unshifted = by == 0;
    // Java's `<<`, `>>` and `>>>` on a long read the low six bits of the distance.
    let by = (by & 63) as u32;
    let mask = if width == 64 {
        -1i64
    } else {
        (1i64 << width) - 1
    };
    let wrapped = |v: i64| {
        if width == 64 {
            v
        } else {
            let low = v & mask;
            // Sign-extend from the type's top bit.
            if low & (1i64 << (width - 1)) != 0 {
                low | !mask
            } else {
                low
            }
        }
    };
    // Trino writes the long into the value's type, which keeps its low bits: a logical shift of
    // a narrow value by a multiple of 64 (255 for a tinyint -1) becomes -1 again.
    wrapped(match how {
        Shift::Left => value.wrapping_shl(by),
        Shift::Logical if width < 64 && unshifted => value,
        Shift::Logical => (value & mask)
            .cast_unsigned()
            .wrapping_shr(by)
            .cast_signed(),
        Shift::Arithmetic => value.wrapping_shr(by),
    })
}

/// A shift of a column of values, each kept in its own integer type.
fn shift(args: &[ArrayRef], how: Shift) -> Result<ArrayRef> {
    let [value, _] = args else {
        return Err(exec_err("a value and a shift expected"));
    };
    let t = returns_first(&[value.data_type().clone()])?;
    let width = match t {
        DataType::Int8 => 8,
        DataType::Int16 => 16,
        DataType::Int32 => 32,
        _ => 64,
    };
    let out = pairs(args, |v, by| Ok(shifted(v, by, width, how)))?;
    // Every result is wrapped to the value's width, so the cast keeps every value.
    Ok(cast(&out, &t)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_follow_trinos_examples() {
        assert_eq!(shifted(1, 7, 8, Shift::Left), -128);
        assert_eq!(shifted(1, 8, 8, Shift::Left), 0);
        assert_eq!(shifted(-1, 1, 8, Shift::Left), -2);
        assert_eq!(shifted(1, 31, 32, Shift::Left), -2_147_483_648);
        assert_eq!(shifted(1, 32, 32, Shift::Left), 0);
        assert_eq!(shifted(1, 63, 64, Shift::Left), i64::MIN);
        assert_eq!(shifted(1, 64, 64, Shift::Left), 0);
        assert_eq!(shifted(1, -1, 64, Shift::Left), i64::MIN);
        assert_eq!(shifted(-8, 1, 8, Shift::Logical), 124);
        assert_eq!(shifted(-1, 1, 32, Shift::Logical), 2_147_483_647);
        assert_eq!(shifted(8, 3, 32, Shift::Logical), 1);
        assert_eq!(shifted(-45, 64, 32, Shift::Logical), 0);
        assert_eq!(shifted(-20, 0, 32, Shift::Logical), -20);
        assert_eq!(shifted(-1, -1, 32, Shift::Logical), 0);
        assert_eq!(shifted(-1, -64, 8, Shift::Logical), -1);
        assert_eq!(shifted(12, 64, 32, Shift::Arithmetic), 0);
        assert_eq!(shifted(-45, 64, 32, Shift::Arithmetic), -1);
        assert_eq!(shifted(-8, 1, 8, Shift::Arithmetic), -4);
    }
}
