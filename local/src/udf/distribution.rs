//! Trino's probability functions: the normal, beta and Student's t distributions
//! (`normal_cdf`, `inverse_normal_cdf`, `beta_cdf`, `inverse_beta_cdf`, `t_cdf`, `t_pdf`) and the
//! Wilson score interval, with Trino's argument checks and messages. Trino computes them with
//! Apache Commons Math; here `erf` is libm's (musl's, within an ulp) and the other special
//! functions `statrs`'s, so the last digits can differ.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, Float64Array};
use datafusion::error::Result;
use datafusion::logical_expr::ScalarUDF;
use statrs::function::{beta, erf, gamma};

use super::func::{returns_f64, Func};
use super::{exec_err, float64s};

/// The functions of this module.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        Func::new("normal_cdf", 3..=3, returns_f64, |a| each(a, normal_cdf)).udf(),
        Func::new("inverse_normal_cdf", 3..=3, returns_f64, |a| {
            each(a, inverse_normal_cdf)
        })
        .udf(),
        Func::new("beta_cdf", 3..=3, returns_f64, |a| each(a, beta_cdf)).udf(),
        Func::new("inverse_beta_cdf", 3..=3, returns_f64, |a| {
            each(a, inverse_beta_cdf)
        })
        .udf(),
        Func::new("t_cdf", 2..=2, returns_f64, |a| each(a, t_cdf)).udf(),
        Func::new("t_pdf", 2..=2, returns_f64, |a| each(a, t_pdf)).udf(),
        Func::new("wilson_interval_lower", 3..=3, returns_f64, |a| {
            each(a, |v| wilson(v, -1.0))
        })
        .udf(),
        Func::new("wilson_interval_upper", 3..=3, returns_f64, |a| {
            each(a, |v| wilson(v, 1.0))
        })
        .udf(),
    ]
}

/// `f` over each row of the arguments as doubles; NULL when any argument is.
fn each(args: &[ArrayRef], f: impl Fn(&[f64]) -> Result<f64>) -> Result<ArrayRef> {
    let columns = args.iter().map(float64s).collect::<Result<Vec<_>>>()?;
    let rows = columns.first().map_or(0, Array::len);
    let mut row = Vec::with_capacity(columns.len());
    let out = (0..rows)
        .map(|r| {
            row.clear();
            for c in &columns {
                if c.is_null(r) {
                    return Ok(None);
                }
                row.push(c.value(r));
            }
            f(&row).map(Some)
        })
        .collect::<Result<Float64Array>>()?;
    Ok(Arc::new(out))
}

fn three(v: &[f64]) -> Result<(f64, f64, f64)> {
    match v {
        [a, b, c] => Ok((*a, *b, *c)),
        _ => Err(exec_err("three arguments expected")),
    }
}

fn two(v: &[f64]) -> Result<(f64, f64)> {
    match v {
        [a, b] => Ok((*a, *b)),
        _ => Err(exec_err("two arguments expected")),
    }
}

/// `normal_cdf(mean, sd, value)`.
fn normal_cdf(v: &[f64]) -> Result<f64> {
    let (mean, sd, value) = three(v)?;
    // A NaN is refused too, as Trino's `sd > 0` check refuses it.
    if sd.is_nan() || sd <= 0.0 {
        return Err(exec_err("standardDeviation must be > 0"));
    }
    Ok(0.5 * (1.0 + libm::erf((value - mean) / (sd * std::f64::consts::SQRT_2))))
}

/// `inverse_normal_cdf(mean, sd, p)`.
fn inverse_normal_cdf(v: &[f64]) -> Result<f64> {
    let (mean, sd, p) = three(v)?;
    if !(p > 0.0 && p < 1.0) {
        // Trino's message, inverted inequalities and all.
        return Err(exec_err("p must be 0 > p > 1"));
    }
    if sd.is_nan() || sd <= 0.0 {
        return Err(exec_err("sd must be > 0"));
    }
    Ok(mean + sd * std::f64::consts::SQRT_2 * erf::erf_inv(2.0 * p - 1.0))
}

fn beta_shapes(a: f64, b: f64) -> Result<()> {
    if a > 0.0 && b > 0.0 {
        Ok(())
    } else {
        Err(exec_err("a, b must be > 0"))
    }
}

/// `beta_cdf(a, b, value)`: the regularized incomplete beta function.
fn beta_cdf(v: &[f64]) -> Result<f64> {
    let (a, b, value) = three(v)?;
    if !(0.0..=1.0).contains(&value) {
        return Err(exec_err("value must be 0 >= v >= 1"));
    }
    beta_shapes(a, b)?;
    if !a.is_finite() || !b.is_finite() {
        return Ok(f64::NAN);
    }
    beta::checked_beta_reg(a, b, value).map_err(|e| exec_err(format!("beta_cdf: {e}")))
}

/// `inverse_beta_cdf(a, b, p)`.
fn inverse_beta_cdf(v: &[f64]) -> Result<f64> {
    let (a, b, p) = three(v)?;
    if !(0.0..=1.0).contains(&p) {
        return Err(exec_err("p must be 0 >= p >= 1"));
    }
    beta_shapes(a, b)?;
    if p == 0.0 || p == 1.0 {
        return Ok(p);
    }
    if !a.is_finite() || !b.is_finite() {
        return Ok(f64::NAN);
    }
    Ok(beta::inv_beta_reg(a, b, p))
}

fn freedom(df: f64) -> Result<()> {
    if df < 1.0 {
        return Err(exec_err(
            "degrees of freedom must be greater than or equal to 1",
        ));
    }
    Ok(())
}

/// `t_cdf(x, df)`, as Commons Math's `TDistribution` computes it.
fn t_cdf(v: &[f64]) -> Result<f64> {
    let (x, df) = two(v)?;
    freedom(df)?;
    if x == 0.0 {
        return Ok(0.5);
    }
    let h = df / (df + x * x);
    // Commons Math's regularized beta is NaN outside its domain (a NaN `x`, an infinite `df`).
    if !(0.0..=1.0).contains(&h) || df.is_infinite() {
        return Ok(f64::NAN);
    }
    let t =
        beta::checked_beta_reg(0.5 * df, 0.5, h).map_err(|e| exec_err(format!("t_cdf: {e}")))?;
    Ok(if x < 0.0 { 0.5 * t } else { 1.0 - 0.5 * t })
}

/// `t_pdf(x, df)`, Commons Math's density formula.
fn t_pdf(v: &[f64]) -> Result<f64> {
    let (x, df) = two(v)?;
    freedom(df)?;
    let factor = gamma::ln_gamma((df + 1.0) / 2.0)
        - 0.5 * (std::f64::consts::PI.ln() + df.ln())
        - gamma::ln_gamma(df / 2.0);
    Ok((factor - (df + 1.0) / 2.0 * (x * x / df).ln_1p()).exp())
}

/// `wilson_interval_lower/upper(successes, trials, z)`; `bound` is -1 or 1.
fn wilson(v: &[f64], bound: f64) -> Result<f64> {
    let (successes, trials, z) = three(v)?;
    if successes < 0.0 {
        return Err(exec_err("number of successes must not be negative"));
    }
    if trials <= 0.0 {
        return Err(exec_err("number of trials must be positive"));
    }
    if successes > trials {
        return Err(exec_err(
            "number of successes must not be larger than number of trials",
        ));
    }
    if z.is_nan() || z < 0.0 {
        return Err(exec_err("z-score must not be negative"));
    }
    let (p, n) = (successes / trials, trials);
    Ok(
        (p + z * z / (2.0 * n) + bound * z * ((p * (1.0 - p)) / n + z * z / (4.0 * n * n)).sqrt())
            / (1.0 + z * z / n),
    )
}
