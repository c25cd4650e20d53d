//! Trino's probability functions: the normal, beta and Student's t distributions
//! (`normal_cdf`, `inverse_normal_cdf`, `beta_cdf`, `inverse_beta_cdf`, `t_cdf`, `t_pdf`) and the
//! Wilson score interval, with Trino's argument checks and messages. Trino computes them with
//! Apache Commons Math; here `erf` is libm's (musl's, within an ulp), `erf_inv` and `ln_gamma`
//! statrs's, and the incomplete beta Commons Math's continued fraction ported here (with a
//! Stirling log-beta for large shapes), so the last digits can differ.

use datafusion::error::Result;
use datafusion::logical_expr::ScalarUDF;
use statrs::function::{beta, erf, gamma};

use super::func::{returns_f64, Func};
use super::{double_rows, exec_err};

/// The functions of this module.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        Func::new("normal_cdf", 3..=3, returns_f64, |a| {
            double_rows(a, normal_cdf)
        })
        .udf(),
        Func::new("inverse_normal_cdf", 3..=3, returns_f64, |a| {
            double_rows(a, inverse_normal_cdf)
        })
        .udf(),
        Func::new("beta_cdf", 3..=3, returns_f64, |a| double_rows(a, beta_cdf)).udf(),
        Func::new("inverse_beta_cdf", 3..=3, returns_f64, |a| {
            double_rows(a, inverse_beta_cdf)
        })
        .udf(),
        Func::new("t_cdf", 2..=2, returns_f64, |a| double_rows(a, t_cdf)).udf(),
        Func::new("t_pdf", 2..=2, returns_f64, |a| double_rows(a, t_pdf)).udf(),
        Func::new("wilson_interval_lower", 3..=3, returns_f64, |a| {
            double_rows(a, |v| wilson(v, -1.0))
        })
        .udf(),
        Func::new("wilson_interval_upper", 3..=3, returns_f64, |a| {
            double_rows(a, |v| wilson(v, 1.0))
        })
        .udf(),
    ]
}

/// A row of exactly three arguments.
fn three(v: &[f64]) -> Result<(f64, f64, f64)> {
    match v {
        [a, b, c] => Ok((*a, *b, *c)),
        _ => Err(exec_err("three arguments expected")),
    }
}

/// A row of exactly two arguments.
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

/// Trino's check of a beta distribution's shapes (a NaN fails it).
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
    regularized_beta(value, a, b)
}

/// `inverse_beta_cdf(a, b, p)`: the value whose `beta_cdf` is `p`, found by bisection to
/// Trino's absolute accuracy (Commons Math's solver stops within 1e-9 too).
fn inverse_beta_cdf(v: &[f64]) -> Result<f64> {
    let (a, b, p) = three(v)?;
    if !(0.0..=1.0).contains(&p) {
        return Err(exec_err("p must be 0 >= p >= 1"));
    }
    beta_shapes(a, b)?;
    if p == 0.0 || p == 1.0 {
        return Ok(p);
    }
    let (mut low, mut high) = (0.0f64, 1.0f64);
    // 2^-40 < 1e-12: forty halvings put the answer well within the accuracy.
    for _ in 0..40 {
        let mid = 0.5 * (low + high);
        let at = regularized_beta(mid, a, b)?;
        if at.is_nan() {
            return Ok(f64::NAN);
        }
        if at < p {
            low = mid;
        } else {
            high = mid;
        }
    }
    Ok(0.5 * (low + high))
}

/// What modified Lentz's method puts in place of a zero divisor (Commons Math's value).
const LENTZ_SMALL: f64 = 1e-50;

/// The most terms of a continued fraction evaluated before giving up (Commons Math has no
/// bound; this one keeps a query from spinning, and is far beyond what shapes up to 1e12 need).
const MAX_TERMS: u32 = 10_000_000;

/// Commons Math's `Beta.regularizedBeta(x, a, b)`: NaN outside its domain, the symmetric form
/// past the mean, else the continued fraction (modified Lentz, to 1e-14). statrs's stops after
/// 140 terms without saying so, which for large shapes gives probabilities outside [0, 1].
fn regularized_beta(x: f64, a: f64, b: f64) -> Result<f64> {
    if x.is_nan() || a.is_nan() || b.is_nan() || !(0.0..=1.0).contains(&x) || a <= 0.0 || b <= 0.0 {
        return Ok(f64::NAN);
    }
    if x > (a + 1.0) / (2.0 + b + a) && 1.0 - x <= (b + 1.0) / (2.0 + b + a) {
        return Ok(1.0 - regularized_beta(1.0 - x, b, a)?);
    }
    let term = |n: u32| -> f64 {
        let n = f64::from(n);
        if n % 2.0 == 0.0 {
            let m = n / 2.0;
            (m * (b - m) * x) / ((a + 2.0 * m - 1.0) * (a + 2.0 * m))
        } else {
            let m = (n - 1.0) / 2.0;
            -((a + m) * (a + b + m) * x) / ((a + 2.0 * m) * (a + 2.0 * m + 1.0))
        }
    };
    let nudge = |v: f64| {
        if v.abs() < LENTZ_SMALL {
            LENTZ_SMALL
        } else {
            v
        }
    };
    let (mut d_prev, mut c_prev, mut h) = (0.0, 1.0, 1.0);
    let mut n = 1;
    loop {
        if n >= MAX_TERMS {
            return Err(exec_err(format!(
                "the incomplete beta function of ({x}, {a}, {b}) did not converge"
            )));
        }
        let t = term(n);
        let d = 1.0 / nudge(1.0 + t * d_prev);
        let c = nudge(1.0 + t / c_prev);
        let delta = c * d;
        h *= delta;
        if !h.is_finite() {
            return Ok(f64::NAN);
        }
        if (delta - 1.0).abs() < 1e-14 {
            break;
        }
        (d_prev, c_prev) = (d, c);
        n += 1;
    }
    Ok((a * x.ln() + b * (-x).ln_1p() - a.ln() - log_beta(a, b)?).exp() / h)
}

/// ln B(a, b). With a large argument, ln Γ(a) + ln Γ(b) - ln Γ(a + b) cancels away most of its
/// digits (each term near 2e9 for 1e8); there the Stirling form is summed instead, in the
/// arrangement Commons Math uses, whose terms do not cancel.
fn log_beta(a: f64, b: f64) -> Result<f64> {
    let (small, large) = (a.min(b), a.max(b));
    if large < 10.0 || !large.is_finite() {
        return beta::checked_ln_beta(a, b).map_err(|e| exec_err(format!("{e}")));
    }
    let half_log_two_pi = 0.5 * (2.0 * std::f64::consts::PI).ln();
    if small >= 10.0 {
        let h = small / large;
        let u = -(small - 0.5) * (h / (1.0 + h)).ln();
        let v = large * h.ln_1p();
        let w = stirling_rest(small) + stirling_rest(large) - stirling_rest(small + large);
        return Ok(half_log_two_pi - 0.5 * large.ln() + w - u - v);
    }
    // ln Γ(large) - ln Γ(small + large), from the same expansion.
    let rest = -(large - 0.5) * (small / large).ln_1p() - small * (small + large).ln()
        + small
        + stirling_rest(large)
        - stirling_rest(small + large);
    Ok(gamma::ln_gamma(small) + rest)
}

/// ln Γ(x) less Stirling's (x - 1/2) ln x - x + ln √(2π), for x >= 10: its asymptotic series,
/// whose terms past these are below 1e-17 there.
fn stirling_rest(x: f64) -> f64 {
    const TERMS: [f64; 8] = [
        1.0 / 12.0,
        -1.0 / 360.0,
        1.0 / 1260.0,
        -1.0 / 1680.0,
        1.0 / 1188.0,
        -691.0 / 360_360.0,
        1.0 / 156.0,
        -3617.0 / 122_400.0,
    ];
    let inv_square = 1.0 / (x * x);
    let mut power = 1.0 / x;
    let mut sum = 0.0;
    for t in TERMS {
        sum += t * power;
        power *= inv_square;
    }
    sum
}

/// Trino's check of Student's t's degrees of freedom (a NaN passes it, and gives NaN).
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
    let t = regularized_beta(h, 0.5 * df, 0.5)?;
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

/// `wilson_interval_lower/upper(successes, trials, z)`; `bound` is -1 or 1. The counts are
/// `bigint`s, read here as doubles: exact up to 2^53.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_beta_keeps_its_digits_for_large_shapes() {
        // ln B(a, a) = 2 ln Γ(a) - ln Γ(2a); for a = 10 from exact factorials:
        // ln(9!^2 / 19!) = ln(362880^2 / 121645100408832000).
        let exact = (362_880f64 * 362_880.0 / 121_645_100_408_832_000.0).ln();
        assert!((log_beta(10.0, 10.0).unwrap_or(0.0) - exact).abs() < 1e-13);
        // B(1, b) = 1 / b.
        assert!((log_beta(1.0, 1e8).unwrap_or(0.0) + 1e8f64.ln()).abs() < 1e-12);
        assert!((log_beta(1.0, 25.0).unwrap_or(0.0) + 25f64.ln()).abs() < 1e-13);
        // The symmetric beta is 0.5 at 0.5, however large its shapes (statrs's gave -1.15 for
        // 1e8). The exponent's terms are near a * ln 2 each, so its rounding grows with a.
        for (a, within) in [(10.0, 1e-12), (1e3, 1e-12), (1e6, 1e-9), (1e8, 1e-7)] {
            let p = regularized_beta(0.5, a, a).unwrap_or(0.0);
            assert!((p - 0.5).abs() < within, "{a}: {p}");
        }
    }

    #[test]
    fn the_inverse_ends_for_any_probability() {
        for (a, b, p) in [
            (1.0, 1.0, 1e-200),
            (0.5, 1e7, 0.2),
            (1e7, 2.0, 0.5),
            (1e16, 1e16, 0.3),
        ] {
            let x = inverse_beta_cdf(&[a, b, p]).unwrap_or(-1.0);
            assert!(x.is_nan() || (0.0..=1.0).contains(&x), "{a} {b} {p}: {x}");
        }
    }
}
