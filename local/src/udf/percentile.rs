//! Trino's `approx_percentile`: airlift's t-digest (compression 100), as Trino keeps it, so a
//! group of fewer than about forty values answers one of its own values
//! (`sorted[floor(q * n)]`, no interpolation) and a larger one what Trino's digest would. A
//! `bigint` answers a `bigint` (the digest's value rounded as Java's `Math.round` does), a `real`
//! a `real`; an array of percentiles an array; a weight (a `double` of at least 1) weighs each
//! value. DataFusion's `approx_percentile_cont` interpolates over a different digest and answers
//! a double for integers.
//!
//! Trino merges a digest at compression 100 when it serializes a partial state; here a partial
//! state is made only when the plan splits an aggregation, so a group of 40 to 78 values can
//! answer its own value here where Trino interpolates (as both do below 40, and alike above).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, ListArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};

use super::java_format::double_to_string;
use super::{double_lists, exec_err, float64s, int64s, is_list};

/// airlift's default compression, which Trino uses.
const COMPRESSION: f64 = 100.0;
/// airlift's buffer size for that compression: `6 * (2 * compression + 10)`.
const MAX_SIZE: usize = 1260;

/// A t-digest as airlift's `TDigest` keeps one: centroids in arrival order until a merge sorts
/// and compacts them, the merge direction alternating, and the buffer growing as Java's arrays
/// do (its capacity decides when a merge happens, and so the answers).
#[derive(Debug, Clone)]
struct Digest {
    means: Vec<f64>,
    weights: Vec<f64>,
    capacity: usize,
    total: f64,
    min: f64,
    max: f64,
    backwards: bool,
    needs_merge: bool,
}

impl Default for Digest {
    fn default() -> Self {
        Self {
            means: Vec::new(),
            weights: Vec::new(),
            capacity: 1,
            total: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            backwards: false,
            needs_merge: false,
        }
    }
}

impl Digest {
    /// airlift's `add`: the value kept as a centroid of its own, the buffer merged when full.
    fn add(&mut self, value: f64, weight: f64) {
        if self.means.len() == self.capacity {
            if self.capacity < MAX_SIZE {
                self.capacity = (self.capacity * 2).clamp(1, MAX_SIZE);
            } else {
                self.merge(2.0 * COMPRESSION);
            }
        }
        self.means.push(value);
        self.weights.push(weight);
        self.total += weight;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        self.needs_merge = true;
    }

    /// airlift's `mergeWith`: both merged first when the centroids do not fit the buffer.
    fn merge_with(&mut self, other: &mut Digest) {
        if self.means.len() + other.means.len() > self.capacity {
            self.merge(2.0 * COMPRESSION);
            other.merge(2.0 * COMPRESSION);
            self.capacity = self.capacity.max(self.means.len() + other.means.len());
        }
        self.means.extend_from_slice(&other.means);
        self.weights.extend_from_slice(&other.weights);
        self.total += other.total;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.needs_merge = true;
    }

    /// airlift's `merge`: the centroids sorted by mean (walked backwards every other time),
    /// neighbours combined while the cluster stays within the size its quantile allows.
    fn merge(&mut self, compression: f64) {
        if self.means.is_empty() {
            return;
        }
        let mut order: Vec<usize> = (0..self.means.len()).collect();
        order.sort_by(|&a, &b| self.means[a].total_cmp(&self.means[b]));
        if self.backwards {
            order.reverse();
        }
        let normalizer = compression / (4.0 * (self.total / compression).ln() + 24.0);
        let max_relative = |q: f64| q * (1.0 - q) / normalizer;
        let (mut mean, mut weight) = (self.means[order[0]], self.weights[order[0]]);
        let (mut means, mut weights) = (vec![mean], vec![weight]);
        let mut weight_so_far = 0.0;
        let mut current_max = max_relative(0.0);
        for &i in &order[1..] {
            let (entry_mean, entry_weight) = (self.means[i], self.weights[i]);
            let tentative = weight + entry_weight;
            let tentative_quantile = ((weight_so_far + tentative) / self.total).min(1.0);
            let max_cluster = self.total * current_max.min(max_relative(tentative_quantile));
            if tentative <= max_cluster {
                mean += (entry_mean - mean) * entry_weight / tentative;
                weight = tentative;
            } else {
                weight_so_far += weight;
                current_max = max_relative(weight_so_far / self.total);
                mean = entry_mean;
                weight = entry_weight;
                means.push(mean);
                weights.push(weight);
                continue;
            }
            if let (Some(m), Some(w)) = (means.last_mut(), weights.last_mut()) {
                (*m, *w) = (mean, weight);
            }
        }
        if self.backwards {
            means.reverse();
            weights.reverse();
        }
        self.backwards = !self.backwards;
        self.means = means;
        self.weights = weights;
    }

    /// airlift's `valuesAt` for `quantiles` in increasing order.
    fn values_at(&mut self, quantiles: &[f64]) -> Vec<f64> {
        if quantiles.is_empty() {
            return Vec::new();
        }
        if self.needs_merge {
            self.merge(2.0 * COMPRESSION);
            self.needs_merge = false;
        }
        let (means, weights, total) = (&self.means, &self.weights, self.total);
        let count = means.len();
        match count {
            0 => return vec![f64::NAN; quantiles.len()],
            1 => return vec![means[0]; quantiles.len()],
            _ => {}
        }
        let interpolate =
            |x: f64, x0: f64, y0: f64, x1: f64, y1: f64| (x - x0) / (x1 - x0) * (y1 - y0);
        let (first, last) = (weights[0], weights[count - 1]);
        let mut result: Vec<f64> = quantiles.iter().map(|q| q * total).collect();
        let mut i = 0;
        while i < result.len() && result[i] < 1.0 {
            result[i] = self.min;
            i += 1;
        }
        while i < result.len() && result[i] < first / 2.0 {
            result[i] = self.min + interpolate(result[i], 1.0, self.min, first / 2.0, means[0]);
            i += 1;
        }
        let toward_max =
            |r: f64| self.max + interpolate(total - r, 1.0, self.max, last / 2.0, means[count - 1]);
        while i < result.len()
            && result[i] <= total - 1.0
            && total - result[i] <= last / 2.0
            && last / 2.0 > 1.0
        {
            result[i] = toward_max(result[i]);
            i += 1;
        }
        if i < result.len() && result[i] >= total - 1.0 {
            result[i..].fill(self.max);
            return result;
        }
        let mut weight_so_far = first / 2.0;
        let mut c = 0;
        while i < result.len() {
            let mut delta = (weights[c] + weights[c + 1]) / 2.0;
            while c < count - 1 && weight_so_far + delta <= result[i] {
                weight_so_far += delta;
                c += 1;
                if c < count - 1 {
                    delta = (weights[c] + weights[c + 1]) / 2.0;
                }
            }
            if c == count - 1 {
                while i < result.len() && result[i] <= total - 1.0 && last / 2.0 > 1.0 {
                    result[i] = toward_max(result[i]);
                    i += 1;
                }
                if i < result.len() {
                    result[i..].fill(self.max);
                }
                return result;
            }
            let r = result[i];
            result[i] = if weights[c] == 1.0 && r - weight_so_far < weights[c] / 2.0 {
                means[c]
            } else if weights[c + 1] == 1.0 && r - weight_so_far >= weights[c] / 2.0 {
                means[c + 1]
            } else {
                let (mut offset, mut length) = (r - weight_so_far, delta);
                if weights[c] == 1.0 {
                    offset -= weights[c] / 2.0;
                    length = weights[c + 1] / 2.0;
                } else if weights[c + 1] == 1.0 {
                    length = weights[c] / 2.0;
                }
                means[c] + interpolate(offset, 0.0, means[c], length, means[c + 1])
            };
            i += 1;
        }
        result
    }
}

/// What the values are, which decides the answer's type (Trino has `bigint`, `real` and
/// `double` forms; smaller integers widen to `bigint`, decimals to `double`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Bigint,
    Real,
    Double,
}

impl Kind {
    /// The form values of type `t` take.
    fn of(t: &DataType) -> Self {
        if t.is_integer() {
            Kind::Bigint
        } else if matches!(t, DataType::Float32 | DataType::Float16) {
            Kind::Real
        } else {
            Kind::Double
        }
    }

    /// The Arrow type of this form's answers.
    fn data_type(self) -> DataType {
        match self {
            Kind::Bigint => DataType::Int64,
            Kind::Real => DataType::Float32,
            Kind::Double => DataType::Float64,
        }
    }

    /// The digest's value as Trino writes it: a `bigint` by Java's `Math.round` (half up,
    /// saturating), a `real` narrowed.
    fn scalar(self, v: f64) -> ScalarValue {
        match self {
            Kind::Bigint => {
                let floor = v.floor();
                let rounded = if v - floor >= 0.5 { floor + 1.0 } else { floor };
                // `as` saturates, as Java's `Math.round` does; NaN is 0 in both.
                ScalarValue::Int64(Some(rounded as i64))
            }
            Kind::Real => ScalarValue::Float32(Some(v as f32)),
            Kind::Double => ScalarValue::Float64(Some(v)),
        }
    }
}

/// `approx_percentile(x, [weight,] percentile | percentiles)`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ApproxPercentile {
    signature: Signature,
}

impl ApproxPercentile {
    /// The aggregate, taking any arguments (Trino's signatures are checked while planning).
    pub fn new() -> Self {
        Self {
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }
}

/// The refusal of a call the planner's signature check let through (it refuses a wrong
/// number of arguments first, with Trino's list).
const MISSING: &str = "approx_percentile takes a value, an optional weight and a percentile";

impl AggregateUDFImpl for ApproxPercentile {
    fn name(&self) -> &str {
        "approx_percentile"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        // Any arity is typed, so that the analysis refuses a wrong call with Trino's list.
        let (Some(value), Some(percentile)) = (types.first(), types.last()) else {
            return Ok(DataType::Float64);
        };
        let kind = Kind::of(value).data_type();
        Ok(match percentile {
            t if is_list(t) => DataType::new_list(kind, true),
            _ => kind,
        })
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = DataType::new_list(DataType::Float64, true);
        Ok(["means", "weights", "percentiles"]
            .iter()
            .map(|part| {
                Arc::new(Field::new(
                    format!("{}[{part}]", args.name),
                    list.clone(),
                    true,
                ))
            })
            .chain(["min", "max", "total"].iter().map(|part| {
                Arc::new(Field::new(
                    format!("{}[{part}]", args.name),
                    DataType::Float64,
                    true,
                ))
            }))
            .collect())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let types = super::data_types(args.expr_fields);
        if types.len() == 4 {
            return Err(exec_err(
                "approx_percentile with an accuracy (Trino's deprecated quantile-digest form) is \
                 not supported here",
            ));
        }
        let (Some(value), Some(percentile), 2..=3) = (types.first(), types.last(), types.len())
        else {
            return Err(exec_err(MISSING));
        };
        Ok(Box::new(Percentiles {
            digest: Digest::default(),
            percentiles: None,
            kind: Kind::of(value),
            array: is_list(percentile),
            weighted: types.len() == 3,
        }))
    }
}

/// One group's digest and the percentile(s) it answers: the last one seen, or the first array
/// (Trino keeps the same).
#[derive(Debug)]
struct Percentiles {
    digest: Digest,
    percentiles: Option<Vec<f64>>,
    kind: Kind,
    array: bool,
    weighted: bool,
}

/// Trino's check of each array element, made when the array is first read.
fn array_percentiles(list: &ArrayRef) -> Result<Vec<f64>> {
    let values = float64s(list)?;
    (0..values.len())
        .map(|i| {
            if values.is_null(i) {
                return Err(exec_err("Percentile cannot be null"));
            }
            let p = values.value(i);
            if (0.0..=1.0).contains(&p) {
                Ok(p)
            } else {
                Err(exec_err("Percentile must be between 0 and 1"))
            }
        })
        .collect()
}

impl Percentiles {
    /// The answer's type: the values' form, or an array of it.
    fn return_type(&self) -> DataType {
        let kind = self.kind.data_type();
        if self.array {
            DataType::new_list(kind, true)
        } else {
            kind
        }
    }
}

impl Accumulator for Percentiles {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let (Some(value), Some(percentile)) = (values.first(), values.last()) else {
            return Err(exec_err(MISSING));
        };
        let weights = if self.weighted {
            Some(float64s(values.get(1).ok_or_else(|| exec_err(MISSING))?)?)
        } else {
            None
        };
        let (longs, numbers) = if self.kind == Kind::Bigint {
            (Some(int64s(value)?), None)
        } else {
            (None, Some(float64s(value)?))
        };
        let lists: Option<ListArray> = if self.array {
            Some(double_lists(percentile)?)
        } else {
            None
        };
        let scalars = if self.array {
            None
        } else {
            Some(float64s(percentile)?)
        };
        for r in 0..value.len() {
            // Trino skips a row with any NULL argument.
            if value.is_null(r)
                || percentile.is_null(r)
                || weights.as_ref().is_some_and(|w| w.is_null(r))
            {
                continue;
            }
            let v = match &longs {
                Some(l) => {
                    let n = l.value(r);
                    let d = n as f64;
                    // Java's `toDoubleExact`: a long a double cannot hold is refused (the casts
                    // back saturate, in Java as here, so 2^63 - 1 passes).
                    if d as i64 != n {
                        return Err(exec_err(format!(
                            "no exact double representation for long: {n}"
                        )));
                    }
                    d
                }
                None => numbers.as_ref().map_or(f64::NAN, |n| n.value(r)),
            };
            if v.is_nan() {
                return Err(exec_err("value is NaN"));
            }
            if v.is_infinite() {
                return Err(exec_err("value must be finite"));
            }
            let w = match &weights {
                Some(w) => {
                    let w = w.value(r);
                    if !w.is_finite() {
                        return Err(exec_err(format!(
                            "weight must be finite, was {}",
                            double_to_string(w)
                        )));
                    }
                    if w < 1.0 {
                        return Err(exec_err(format!(
                            "weight must be >= 1, was {}",
                            double_to_string(w)
                        )));
                    }
                    w
                }
                None => 1.0,
            };
            match (&lists, &scalars) {
                (Some(l), _) if self.percentiles.is_none() => {
                    self.percentiles = Some(array_percentiles(&l.value(r))?);
                }
                (_, Some(s)) => self.percentiles = Some(vec![s.value(r)]),
                _ => {}
            }
            self.digest.add(v, w);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let out = self.kind.data_type();
        let (Some(percentiles), true) = (&self.percentiles, self.digest.total > 0.0) else {
            // No row: NULL, for the array form too.
            return ScalarValue::try_from(&self.return_type());
        };
        if !self.array {
            let p = percentiles.first().copied().unwrap_or(f64::NAN);
            if !(0.0..=1.0).contains(&p) {
                return Err(exec_err("Percentile must be between 0 and 1"));
            }
        }
        // airlift answers increasing quantiles; Trino puts the answers back in the asked order.
        let mut order: Vec<usize> = (0..percentiles.len()).collect();
        order.sort_by(|&a, &b| percentiles[a].total_cmp(&percentiles[b]));
        let sorted: Vec<f64> = order.iter().map(|&i| percentiles[i]).collect();
        let answers = self.digest.values_at(&sorted);
        let mut values = vec![ScalarValue::try_from(&out)?; percentiles.len()];
        for (&i, v) in order.iter().zip(answers) {
            values[i] = self.kind.scalar(v);
        }
        if self.array {
            Ok(ScalarValue::List(ScalarValue::new_list_nullable(
                &values, &out,
            )))
        } else {
            values
                .into_iter()
                .next()
                .ok_or_else(|| exec_err("no percentile"))
        }
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + (self.digest.means.capacity() + self.digest.weights.capacity())
                * std::mem::size_of::<f64>()
    }

    /// Trino serializes a partial digest merged at its compression (airlift's `serialize`).
    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.digest.merge(COMPRESSION);
        self.digest.needs_merge = false;
        let list = |v: &[f64]| {
            let values: Vec<ScalarValue> =
                v.iter().map(|x| ScalarValue::Float64(Some(*x))).collect();
            ScalarValue::List(ScalarValue::new_list_nullable(&values, &DataType::Float64))
        };
        Ok(vec![
            list(&self.digest.means),
            list(&self.digest.weights),
            match &self.percentiles {
                Some(p) => list(p),
                None => ScalarValue::try_from(&DataType::new_list(DataType::Float64, true))?,
            },
            ScalarValue::Float64(Some(self.digest.min)),
            ScalarValue::Float64(Some(self.digest.max)),
            ScalarValue::Float64(Some(self.digest.total)),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [means, weights, percentiles, min, max, total] = states else {
            return Err(exec_err("approx_percentile: a state of six parts expected"));
        };
        let (means, weights, percentiles) = (
            means.as_list::<i32>(),
            weights.as_list::<i32>(),
            percentiles.as_list::<i32>(),
        );
        let (min, max, total) = (float64s(min)?, float64s(max)?, float64s(total)?);
        for r in 0..means.len() {
            if means.is_null(r) {
                continue;
            }
            let m = float64s(&means.value(r))?;
            let w = float64s(&weights.value(r))?;
            let mut other = Digest {
                means: m.values().to_vec(),
                weights: w.values().to_vec(),
                capacity: m.len(),
                total: total.value(r),
                min: min.value(r),
                max: max.value(r),
                backwards: false,
                needs_merge: false,
            };
            if other.means.is_empty() {
                continue;
            }
            if self.digest.means.is_empty() {
                self.digest = other;
            } else {
                self.digest.merge_with(&mut other);
            }
            if !percentiles.is_null(r) {
                self.percentiles = Some(float64s(&percentiles.value(r))?.values().to_vec());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(values: &[(f64, f64)]) -> Digest {
        let mut d = Digest::default();
        for &(v, w) in values {
            d.add(v, w);
        }
        d
    }

    #[test]
    fn small_groups_answer_their_own_values() {
        let mut d = digest(&[(1.0, 1.0), (2.0, 1.0), (3.0, 1.0)]);
        assert_eq!(
            d.values_at(&[0.2, 0.5, 0.8, 0.99]),
            vec![1.0, 2.0, 3.0, 3.0]
        );
        let mut d = digest(&[(1.0, 1.0), (2.0, 1.0), (3.0, 1.0), (4.0, 1.0)]);
        assert_eq!(d.values_at(&[0.5]), vec![3.0]);
        // Weighted values interpolate (Trino's test: rounded, [2, 3]).
        let mut d = digest(&[(1.0, 4.0), (2.0, 2.0), (3.0, 1.0)]);
        let v = d.values_at(&[0.5, 0.8]);
        assert!(
            (v[0] - 1.5).abs() < 1e-12 && (v[1] - 2.6).abs() < 1e-12,
            "{v:?}"
        );
        assert_eq!(Kind::Bigint.scalar(-2.5), ScalarValue::Int64(Some(-2)));
        assert_eq!(
            Kind::Bigint.scalar(0.499_999_999_999_999_94),
            ScalarValue::Int64(Some(0))
        );
    }

    #[test]
    fn merges_answer_as_airlifts() {
        // airlift's own answers (its Java run through a port of the same code): 79 values are
        // the first to merge a cluster at valueAt's compression, 40 at serialization's.
        let mut d = Digest::default();
        for i in 1..=79u32 {
            d.add(f64::from(i), 1.0);
        }
        let v = d.values_at(&[0.482])[0];
        assert!((v - 38.117).abs() < 1e-9, "{v}");
        let mut d = Digest::default();
        for i in 1..=40u32 {
            d.add(f64::from(i), 1.0);
        }
        d.merge(COMPRESSION);
        d.needs_merge = false;
        assert_eq!(d.means.len(), 38);
        assert_eq!(d.values_at(&[0.45]), vec![18.0]);
    }

    #[test]
    fn large_groups_stay_accurate_and_bounded() {
        let mut d = Digest::default();
        for i in 0..100_000u32 {
            d.add(f64::from((i * 7919) % 100_000), 1.0);
        }
        assert!(d.means.len() <= MAX_SIZE);
        let v = d.values_at(&[0.01, 0.5, 0.99]);
        for (q, got) in [0.01, 0.5, 0.99].iter().zip(v) {
            assert!((got - q * 100_000.0).abs() < 200.0, "{q}: {got}");
        }
        // Merging partial digests (as partitions' states do) keeps the answer.
        let (mut a, mut b) = (Digest::default(), Digest::default());
        for i in 0..50_000u32 {
            a.add(f64::from(i), 1.0);
            b.add(f64::from(i + 50_000), 1.0);
        }
        a.merge(COMPRESSION);
        b.merge(COMPRESSION);
        a.merge_with(&mut b);
        let median = a.values_at(&[0.5])[0];
        assert!((median - 50_000.0).abs() < 200.0, "{median}");
    }
}
