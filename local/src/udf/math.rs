//! Trino's mathematical functions that DataFusion lacks or answers differently: the tests of a
//! double (`is_nan`, `is_finite`, `is_infinite`) and its constants (`nan()`, `infinity()`, `e()`),
//! `width_bucket`, `from_base`/`to_base`, the vector functions over arrays and maps
//! (`cosine_similarity`, `cosine_distance`, `euclidean_distance`, `dot_product`) and
//! `great_circle_distance`, with Trino's checks and messages.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, StringArray,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::ScalarUDF;

use super::func::{returns_bool, returns_f64, returns_int64, returns_utf8, Func};
use super::{double_lists, double_rows, exec_err, first_arg, float64s, int64s, strings};

/// The functions of this module.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        Func::new("is_nan", 1..=1, returns_bool, |a| {
            double_test(a, f64::is_nan)
        })
        .udf(),
        Func::new("is_finite", 1..=1, returns_bool, |a| {
            double_test(a, f64::is_finite)
        })
        .udf(),
        Func::new("is_infinite", 1..=1, returns_bool, |a| {
            double_test(a, f64::is_infinite)
        })
        .udf(),
        Func::new("nan", 0..=0, returns_f64, |_| constant(f64::NAN)).udf(),
        Func::new("infinity", 0..=0, returns_f64, |_| constant(f64::INFINITY)).udf(),
        Func::new("e", 0..=0, returns_f64, |_| constant(std::f64::consts::E)).udf(),
        // Java's `Math.sqrt` and `Math.pow`, as Trino calls them: `sqrt(-1)` is NaN and
        // `power(0, -1)` Infinity, where DataFusion (as PostgreSQL) fails the query.
        Func::new("sqrt", 1..=1, returns_f64, |a| {
            double_rows(a, |v| Ok(v[0].sqrt()))
        })
        .udf(),
        Func::new("power", 2..=2, returns_f64, |a| {
            double_rows(a, |v| Ok(java_pow(v[0], v[1])))
        })
        .alias(&["pow"])
        .udf(),
        Func::new("width_bucket", 2..=4, returns_int64, width_bucket).udf(),
        Func::new("from_base", 2..=2, returns_int64, from_base).udf(),
        Func::new("to_base", 2..=2, returns_utf8, to_base).udf(),
        Func::new("cosine_similarity", 2..=2, returns_f64, |a| {
            vectors(a, Vector::CosineSimilarity)
        })
        .udf(),
        Func::new("cosine_distance", 2..=2, returns_f64, |a| {
            vectors(a, Vector::CosineDistance)
        })
        .udf(),
        Func::new("euclidean_distance", 2..=2, returns_f64, |a| {
            vectors(a, Vector::Euclidean)
        })
        .udf(),
        Func::new("dot_product", 2..=2, returns_f64, |a| {
            vectors(a, Vector::Dot)
        })
        .udf(),
        Func::new(
            "great_circle_distance",
            4..=4,
            returns_f64,
            great_circle_distance,
        )
        .udf(),
    ]
}

/// Java's `Math.pow`, which differs from C's `pow` (Rust's `powf`) in that a NaN exponent, a
/// NaN base (with a nonzero exponent) and a base of magnitude 1 raised to an infinity are NaN.
fn java_pow(base: f64, exponent: f64) -> f64 {
    if exponent == 0.0 {
        1.0
    } else if exponent.is_nan() || base.is_nan() || (base.abs() == 1.0 && exponent.is_infinite()) {
        f64::NAN
    } else {
        base.powf(exponent)
    }
}

/// A test of each argument as a double.
fn double_test(args: &[ArrayRef], f: fn(f64) -> bool) -> Result<ArrayRef> {
    let out: BooleanArray = float64s(first_arg(args)?)?
        .iter()
        .map(|v| v.map(f))
        .collect();
    Ok(Arc::new(out))
}

/// A constant double (one row, repeated per row by [`Func`]).
fn constant(v: f64) -> Result<ArrayRef> {
    Ok(Arc::new(Float64Array::from(vec![v])))
}

/// `width_bucket(x, bound1, bound2, n)`, the bucket of `x` among `n` equal ones between the
/// bounds (0 below, n + 1 above; counted downwards when bound1 > bound2), or
/// `width_bucket(x, bins)`, the number of sorted `bins` at or below `x`.
fn width_bucket(args: &[ArrayRef]) -> Result<ArrayRef> {
    match args {
        [x, bins] => width_bucket_of_bins(x, bins),
        [x, b1, b2, n] => {
            let (x, b1, b2, n) = (float64s(x)?, float64s(b1)?, float64s(b2)?, int64s(n)?);
            let out = (0..x.len())
                .map(|r| {
                    if x.is_null(r) || b1.is_null(r) || b2.is_null(r) || n.is_null(r) {
                        return Ok(None);
                    }
                    equal_buckets(x.value(r), b1.value(r), b2.value(r), n.value(r)).map(Some)
                })
                .collect::<Result<Int64Array>>()?;
            Ok(Arc::new(out))
        }
        _ => Err(exec_err("width_bucket takes 2 or 4 arguments")),
    }
}

/// The bucket of `x` among `n` equal ones between the bounds, with Trino's checks in its order.
fn equal_buckets(x: f64, bound1: f64, bound2: f64, n: i64) -> Result<i64> {
    if n <= 0 {
        return Err(exec_err("bucketCount must be greater than 0"));
    }
    if x.is_nan() {
        return Err(exec_err("operand must not be NaN"));
    }
    if !bound1.is_finite() {
        return Err(exec_err("first bound must be finite"));
    }
    if !bound2.is_finite() {
        return Err(exec_err("second bound must be finite"));
    }
    if bound1 == bound2 {
        return Err(exec_err("bounds cannot equal each other"));
    }
    let (lower, upper) = (bound1.min(bound2), bound1.max(bound2));
    let bucket = if x < lower {
        0
    } else if x >= upper {
        n.checked_add(1).ok_or_else(|| {
            exec_err(format!(
                "Bucket for value {} is out of range",
                super::java_format::double_to_string(x)
            ))
        })?
    } else {
        // Java's `(long)` of a double truncates towards zero, as `as` does.
        (n as f64 * (x - lower) / (upper - lower) + 1.0) as i64
    };
    // Java's long arithmetic, which wraps: n = 2^63 - 1 with the operand below the range is
    // Long.MIN_VALUE in Trino.
    Ok(if bound1 > bound2 {
        n.wrapping_sub(bucket).wrapping_add(1)
    } else {
        bucket
    })
}

/// `width_bucket(x, bins)` over columns.
fn width_bucket_of_bins(x: &ArrayRef, bins: &ArrayRef) -> Result<ArrayRef> {
    let x = float64s(x)?;
    let bins = double_lists(bins)?;
    let out = (0..x.len())
        .map(|r| {
            if x.is_null(r) || bins.is_null(r) {
                return Ok(None);
            }
            let row = float64s(&bins.value(r))?;
            // Trino reads a NULL bin's stored value, 0.
            let values: Vec<f64> = (0..row.len()).map(|i| row.value(i)).collect();
            bin_bucket(x.value(r), &values).map(Some)
        })
        .collect::<Result<Int64Array>>()?;
    Ok(Arc::new(out))
}

/// Trino's binary search, which checks only the bins it visits.
fn bin_bucket(x: f64, bins: &[f64]) -> Result<i64> {
    if bins.is_empty() {
        return Err(exec_err("Bins cannot be an empty array"));
    }
    if x.is_nan() {
        return Err(exec_err("Operand cannot be NaN"));
    }
    let (mut lower, mut upper) = (0usize, bins.len());
    while lower < upper {
        let (first, last) = (bins[lower], bins[upper - 1]);
        if first > last {
            return Err(exec_err("Bin values are not sorted in ascending order"));
        }
        let index = lower + (upper - lower) / 2;
        let bin = bins[index];
        if !bin.is_finite() {
            return Err(exec_err(format!(
                "Bin value must be finite, got {}",
                super::java_format::double_to_string(bin)
            )));
        }
        if x < bin {
            upper = index;
        } else {
            lower = index + 1;
        }
    }
    i64::try_from(lower).map_err(|_| exec_err("too many bins"))
}

/// A radix Java's `Long` conversions take.
fn radix(r: i64) -> Result<u32> {
    match u32::try_from(r) {
        Ok(r @ 2..=36) => Ok(r),
        _ => Err(exec_err("Radix must be between 2 and 36")),
    }
}

/// `from_base(text, radix)`: Java's `Long.parseLong`, one sign allowed, digits in either case.
fn from_base(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [text, r] = args else {
        return Err(exec_err("from_base takes a text and a radix"));
    };
    let (text, r) = (strings(text)?, int64s(r)?);
    let out = (0..text.len())
        .map(|i| {
            if text.is_null(i) || r.is_null(i) {
                return Ok(None);
            }
            let (s, base) = (text.value(i), radix(r.value(i))?);
            // Rust's parser takes a leading `+` or `-` and no blanks, as Java's does.
            i64::from_str_radix(s, base)
                .map(Some)
                .map_err(|_| exec_err(format!("Not a valid base-{} number: {s}", r.value(i))))
        })
        .collect::<Result<Int64Array>>()?;
    Ok(Arc::new(out))
}

/// `to_base(n, radix)`: Java's `Long.toString`, lower-case digits, `-` before a negative.
fn to_base(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [n, r] = args else {
        return Err(exec_err("to_base takes a number and a radix"));
    };
    let (n, r) = (int64s(n)?, int64s(r)?);
    let out = (0..n.len())
        .map(|i| {
            if n.is_null(i) || r.is_null(i) {
                return Ok(None);
            }
            Ok(Some(in_base(n.value(i), radix(r.value(i))?)))
        })
        .collect::<Result<StringArray>>()?;
    Ok(Arc::new(out))
}

/// `n` in `radix`, as Java's `Long.toString(n, radix)` writes it.
fn in_base(n: i64, radix: u32) -> String {
    let mut magnitude = n.unsigned_abs();
    let mut digits = Vec::new();
    loop {
        let d = (magnitude % u64::from(radix)) as u32;
        digits.push(char::from_digit(d, radix).unwrap_or('?'));
        magnitude /= u64::from(radix);
        if magnitude == 0 {
            break;
        }
    }
    if n < 0 {
        digits.push('-');
    }
    digits.iter().rev().collect()
}

/// Which vector function.
#[derive(Clone, Copy, PartialEq)]
enum Vector {
    CosineSimilarity,
    CosineDistance,
    Euclidean,
    Dot,
}

/// A vector function over two arrays (dense vectors) or two maps from text to doubles (sparse
/// ones, `cosine_*` only), as Trino's.
fn vectors(args: &[ArrayRef], f: Vector) -> Result<ArrayRef> {
    let [a, b] = args else {
        return Err(exec_err("two vectors expected"));
    };
    if matches!(a.data_type(), DataType::Map(..)) || matches!(b.data_type(), DataType::Map(..)) {
        return sparse(a, b, f);
    }
    let (a, b) = (double_lists(a)?, double_lists(b)?);
    let out = (0..a.len())
        .map(|r| {
            if a.is_null(r) || b.is_null(r) {
                return Ok(None);
            }
            dense(&float64s(&a.value(r))?, &float64s(&b.value(r))?, f)
        })
        .collect::<Result<Float64Array>>()?;
    Ok(Arc::new(out))
}

/// Trino's `ArrayVectorFunctions`: the cosines answer NULL for a NULL element and refuse a zero
/// vector; the distance and product read a NULL element as its stored 0.
fn dense(a: &Float64Array, b: &Float64Array, f: Vector) -> Result<Option<f64>> {
    if a.len() != b.len() {
        return Err(exec_err("The arguments must have the same length"));
    }
    let pairs = || (0..a.len()).map(|i| (a.value(i), b.value(i)));
    Ok(Some(match f {
        Vector::Euclidean => pairs().map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt(),
        Vector::Dot => pairs().map(|(x, y)| x * y).sum(),
        Vector::CosineSimilarity | Vector::CosineDistance => {
            if a.null_count() > 0 || b.null_count() > 0 {
                return Ok(None);
            }
            let (mut m1, mut m2, mut dot) = (0.0, 0.0, 0.0);
            for (x, y) in pairs() {
                m1 += x * x;
                m2 += y * y;
                dot += x * y;
            }
            if m1 == 0.0 || m2 == 0.0 {
                return Err(exec_err("Vector magnitude cannot be zero"));
            }
            let similarity = dot / (m1 * m2).sqrt();
            if f == Vector::CosineDistance {
                1.0 - similarity
            } else {
                similarity
            }
        }
    }))
}

/// One map's entries in the map's order: text keys and double values (a NULL value is NULL).
type Sparse = Vec<(String, Option<f64>)>;

/// The maps of `m` (all NULL for a NULL argument).
fn sparse_rows(m: &ArrayRef, rows: usize, f: Vector) -> Result<Vec<Option<Sparse>>> {
    if !matches!(f, Vector::CosineSimilarity | Vector::CosineDistance) {
        return Err(exec_err("arrays of doubles expected"));
    }
    if m.data_type().is_null() {
        return Ok(vec![None; rows]);
    }
    let maps = m
        .as_map_opt()
        .ok_or_else(|| exec_err("maps from varchar to double expected"))?;
    let keys = strings(maps.keys())?;
    let values = float64s(maps.values())?;
    let offsets = maps.value_offsets();
    (0..maps.len())
        .map(|r| {
            if maps.is_null(r) {
                return Ok(None);
            }
            let (from, to) = (
                usize::try_from(offsets[r]).map_err(|_| exec_err("bad map offsets"))?,
                usize::try_from(offsets[r + 1]).map_err(|_| exec_err("bad map offsets"))?,
            );
            Ok(Some(
                (from..to)
                    .map(|i| {
                        let v = (!values.is_null(i)).then(|| values.value(i));
                        (keys.value(i).to_string(), v)
                    })
                    .collect(),
            ))
        })
        .collect()
}

/// Trino's map cosine: NULL when a value is NULL; no check for a zero vector (NaN). Sums run in
/// the maps' order, as Trino's do, so the last digits do not vary from run to run.
fn sparse(a: &ArrayRef, b: &ArrayRef, f: Vector) -> Result<ArrayRef> {
    let rows = a.len().max(b.len());
    let (a, b) = (sparse_rows(a, rows, f)?, sparse_rows(b, rows, f)?);
    let norm = |m: &Sparse| -> Option<f64> {
        m.iter()
            .map(|(_, v)| v.map(|v| v * v))
            .sum::<Option<f64>>()
            .map(f64::sqrt)
    };
    let out: Float64Array = a
        .iter()
        .zip(&b)
        .map(|(x, y)| {
            let (x, y) = (x.as_ref()?, y.as_ref()?);
            let (nx, ny) = (norm(x)?, norm(y)?);
            let right: HashMap<&str, Option<f64>> =
                y.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            let dot: f64 = x
                .iter()
                .filter_map(|(k, v)| Some((*v)? * (*right.get(k.as_str())?)?))
                .sum();
            let similarity = dot / (nx * ny);
            Some(if f == Vector::CosineDistance {
                1.0 - similarity
            } else {
                similarity
            })
        })
        .collect();
    Ok(Arc::new(out))
}

/// The earth's mean radius Trino's geospatial functions use.
const EARTH_RADIUS_KM: f64 = 6371.01;

/// `great_circle_distance(lat1, lon1, lat2, lon2)` in kilometres, Trino's formula and checks.
fn great_circle_distance(args: &[ArrayRef]) -> Result<ArrayRef> {
    double_rows(args, |v| {
        let [lat1, lon1, lat2, lon2] = v else {
            return Err(exec_err("four coordinates expected"));
        };
        for (i, c) in v.iter().enumerate() {
            let (limit, what) = if i % 2 == 0 {
                (90.0, "Latitude must be between -90 and 90")
            } else {
                (180.0, "Longitude must be between -180 and 180")
            };
            if !c.is_finite() || c.abs() > limit {
                return Err(exec_err(what));
            }
        }
        let (r1, r2) = (lat1.to_radians(), lat2.to_radians());
        let (sin1, cos1, sin2, cos2) = (r1.sin(), r1.cos(), r2.sin(), r2.cos());
        let delta = lon1.to_radians() - lon2.to_radians();
        let cos_delta = delta.cos();
        let t1 = cos2 * delta.sin();
        let t2 = cos1 * sin2 - sin1 * cos2 * cos_delta;
        let t3 = sin1 * sin2 + cos1 * cos2 * cos_delta;
        Ok((t1 * t1 + t2 * t2).sqrt().atan2(t3) * EARTH_RADIUS_KM)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_trinos_rules() {
        assert_eq!(equal_buckets(3.2, 0.0, 4.0, 3).ok(), Some(3));
        assert_eq!(equal_buckets(-1.0, 0.0, 4.0, 3).ok(), Some(0));
        assert_eq!(equal_buckets(4.0, 0.0, 4.0, 3).ok(), Some(4));
        assert_eq!(equal_buckets(3.2, 4.0, 0.0, 3).ok(), Some(1));
        assert!(equal_buckets(5.0, 0.0, 4.0, i64::MAX).is_err());
        assert_eq!(equal_buckets(-1.0, 4.0, 0.0, i64::MAX).ok(), Some(i64::MIN));
        assert_eq!(bin_bucket(3.2, &[0.0, 2.0, 4.0]).ok(), Some(2));
        assert_eq!(bin_bucket(-1.0, &[0.0, 2.0, 4.0]).ok(), Some(0));
        assert!(bin_bucket(1.0, &[]).is_err());
    }

    #[test]
    fn bases_are_javas() {
        assert_eq!(in_base(255, 16), "ff");
        assert_eq!(in_base(-255, 2), "-11111111");
        assert_eq!(in_base(i64::MIN, 36), "-1y2p0ij32e8e8");
        assert_eq!(in_base(0, 7), "0");
    }
}
