//! Trino's `skewness(x)` and `kurtosis(x)`: the central moments of the non-NULL values, kept as
//! Trino keeps them (a count, the mean and the sums of the 2nd to 4th powers of the deviations,
//! updated value by value and merged pairwise), and Trino's formulas over them: the population
//! skewness `sqrt(n) M3 / M2^1.5` (NULL under 3 values) and the bias-corrected excess kurtosis
//! (NULL under 4).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};
use datafusion::scalar::ScalarValue;

use super::exec_err;

/// Which statistic the aggregate gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Moment {
    /// `skewness(x)`.
    Skewness,
    /// `kurtosis(x)`.
    Kurtosis,
}

/// The `skewness` or `kurtosis` aggregate.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Moments {
    moment: Moment,
    signature: Signature,
}

impl Moments {
    /// The aggregate for `moment`, over any one numeric argument.
    pub fn new(moment: Moment) -> Self {
        Self {
            moment,
            signature: Signature::any(1, Volatility::Immutable),
        }
    }
}

const STATE: [&str; 5] = ["n", "mean", "m2", "m3", "m4"];

impl AggregateUDFImpl for Moments {
    fn name(&self) -> &str {
        match self.moment {
            Moment::Skewness => "skewness",
            Moment::Kurtosis => "kurtosis",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(STATE
            .iter()
            .map(|s| {
                Arc::new(Field::new(
                    format!("{}[{s}]", args.name),
                    DataType::Float64,
                    true,
                ))
            })
            .collect())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        // DISTINCT is the wrapper's (`super::distinct`), which feeds each row once.
        debug_assert!(!args.is_distinct);
        Ok(Box::new(Acc {
            moment: self.moment,
            m: Central::default(),
        }))
    }
}

/// The central moments of the values seen.
#[derive(Debug, Default, Clone, Copy)]
struct Central {
    n: f64,
    mean: f64,
    m2: f64,
    m3: f64,
    m4: f64,
}

impl Central {
    /// Adds one value (Trino's `CentralMomentsAggregation.input`).
    fn add(&mut self, x: f64) {
        let n1 = self.n;
        let n = n1 + 1.0;
        let delta = x - self.mean;
        let delta_n = delta / n;
        let delta_n2 = delta_n * delta_n;
        let term1 = delta * delta_n * n1;
        self.mean += delta_n;
        self.m4 += term1 * delta_n2 * (n * n - 3.0 * n + 3.0) + 6.0 * delta_n2 * self.m2
            - 4.0 * delta_n * self.m3;
        self.m3 += term1 * delta_n * (n - 2.0) - 3.0 * delta_n * self.m2;
        self.m2 += term1;
        self.n = n;
    }

    /// Merges another set's moments (the pairwise formulas of Chan, Golub and LeVeque).
    fn merge(&mut self, b: &Central) {
        if b.n == 0.0 {
            return;
        }
        if self.n == 0.0 {
            *self = *b;
            return;
        }
        let (na, nb) = (self.n, b.n);
        let n = na + nb;
        let delta = b.mean - self.mean;
        let d2 = delta * delta;
        let d3 = d2 * delta;
        let d4 = d2 * d2;
        let m2 = self.m2 + b.m2 + d2 * na * nb / n;
        let m3 = self.m3
            + b.m3
            + d3 * na * nb * (na - nb) / (n * n)
            + 3.0 * delta * (na * b.m2 - nb * self.m2) / n;
        let m4 = self.m4
            + b.m4
            + d4 * na * nb * (na * na - na * nb + nb * nb) / (n * n * n)
            + 6.0 * d2 * (na * na * b.m2 + nb * nb * self.m2) / (n * n)
            + 4.0 * delta * (na * b.m3 - nb * self.m3) / n;
        self.mean += delta * nb / n;
        (self.n, self.m2, self.m3, self.m4) = (n, m2, m3, m4);
    }
}

#[derive(Debug)]
struct Acc {
    moment: Moment,
    m: Central,
}

fn floats(a: &ArrayRef) -> Result<ArrayRef> {
    Ok(cast(a, &DataType::Float64)?)
}

impl Accumulator for Acc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(values) = values.first() else {
            return Ok(());
        };
        let values = floats(values)?;
        for x in values.as_primitive::<Float64Type>().iter().flatten() {
            self.m.add(x);
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let cols = states.iter().map(floats).collect::<Result<Vec<_>>>()?;
        let [n, mean, m2, m3, m4] = cols.as_slice() else {
            return Err(exec_err("malformed moments state"));
        };
        let col = |a: &ArrayRef, r: usize| a.as_primitive::<Float64Type>().value(r);
        for r in 0..n.len() {
            self.m.merge(&Central {
                n: col(n, r),
                mean: col(mean, r),
                m2: col(m2, r),
                m3: col(m3, r),
                m4: col(m4, r),
            });
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let m = self.m;
        Ok([m.n, m.mean, m.m2, m.m3, m.m4]
            .into_iter()
            .map(|v| ScalarValue::Float64(Some(v)))
            .collect())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let Central { n, m2, m3, m4, .. } = self.m;
        Ok(ScalarValue::Float64(match self.moment {
            Moment::Skewness if n >= 3.0 => Some(n.sqrt() * m3 / m2.powf(1.5)),
            Moment::Kurtosis if n >= 4.0 => Some(
                ((n - 1.0) * n * (n + 1.0)) / ((n - 2.0) * (n - 3.0)) * m4 / (m2 * m2)
                    - 3.0 * ((n - 1.0) * (n - 1.0)) / ((n - 2.0) * (n - 3.0)),
            ),
            _ => None,
        }))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Merging two halves gives the moments of the whole, as adding every value does.
    #[test]
    fn merged_halves_equal_the_whole() {
        let xs: Vec<f64> = (0..50).map(|i| f64::from(i * i % 17) + 0.5).collect();
        let (mut whole, mut a, mut b) =
            (Central::default(), Central::default(), Central::default());
        for (i, x) in xs.iter().enumerate() {
            whole.add(*x);
            if i < 20 {
                a.add(*x);
            } else {
                b.add(*x);
            }
        }
        a.merge(&b);
        for (got, want) in [
            (a.m2, whole.m2),
            (a.m3, whole.m3),
            (a.m4, whole.m4),
            (a.mean, whole.mean),
        ] {
            assert!(
                (got - want).abs() <= 1e-9 * want.abs().max(1.0),
                "{got} vs {want}"
            );
        }
    }
}
