//! Special functions: the normal and Student-t distributions.
//!
//! Written out here (rather than pulled from a statistics crate) because only
//! these few are needed: the normal CDF and quantile for truncated and copula
//! sampling, and the Student-t CDF and quantile for posterior and predictive
//! intervals of the genotype-effect learner.

use std::f64::consts::PI;

/// Standard normal cumulative distribution function Φ(x).
///
/// Φ(x) = ½·erfc(−x/√2), with erfc from the Chebyshev fit of Numerical
/// Recipes (3rd ed., §6.2.2, `Erf::erfccheb`), accurate to about 1e-15.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Complementary error function erfc(x), Numerical Recipes 3rd ed. §6.2.2 (Chebyshev fit).
pub fn erfc(x: f64) -> f64 {
    if x >= 0.0 {
        erfccheb(x)
    } else {
        2.0 - erfccheb(-x)
    }
}

fn erfccheb(z: f64) -> f64 {
    const COF: [f64; 28] = [
        -1.3026537197817094,
        6.419_697_923_564_902e-1,
        1.9476473204185836e-2,
        -9.561_514_786_808_63e-3,
        -9.46595344482036e-4,
        3.66839497852761e-4,
        4.2523324806907e-5,
        -2.0278578112534e-5,
        -1.624290004647e-6,
        1.303655835580e-6,
        1.5626441722e-8,
        -8.5238095915e-8,
        6.529054439e-9,
        5.059343495e-9,
        -9.91364156e-10,
        -2.27365122e-10,
        9.6467911e-11,
        2.394038e-12,
        -6.886027e-12,
        8.94487e-13,
        3.13092e-13,
        -1.12708e-13,
        3.81e-16,
        7.106e-15,
        -1.523e-15,
        -9.4e-17,
        1.21e-16,
        -2.8e-17,
    ];
    let t = 2.0 / (2.0 + z);
    let ty = 4.0 * t - 2.0;
    let mut d = 0.0;
    let mut dd = 0.0;
    for &c in COF.iter().skip(1).rev() {
        let tmp = d;
        d = ty * d - dd + c;
        dd = tmp;
    }
    t * (-z * z + 0.5 * (COF[0] + ty * d) - dd).exp()
}

/// Standard normal quantile Φ⁻¹(p) for 0 < p < 1.
///
/// Acklam's rational approximation (relative error 1.15e-9) refined by one
/// Halley step on Φ, which brings it to near machine precision.
pub fn normal_quantile(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    const P_LOW: f64 = 0.02425;
    let x = if p < P_LOW {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - P_LOW {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    // One Halley step: e = Φ(x) − p, u = e·√(2π)·exp(x²/2).
    let e = normal_cdf(x) - p;
    let u = e * (2.0 * PI).sqrt() * (x * x / 2.0).exp();
    x - u / (1.0 + x * u / 2.0)
}

/// ln Γ(x) for x > 0 (Lanczos approximation, Numerical Recipes 3rd ed. §6.1, `gammln`).
pub fn ln_gamma(x: f64) -> f64 {
    const COF: [f64; 14] = [
        57.156_235_665_862_92,
        -59.597_960_355_475_49,
        14.136_097_974_741_746,
        -0.491_913_816_097_620_2,
        3.399_464_998_481_189e-5,
        4.652_362_892_704_858e-5,
        -9.837_447_530_487_956e-5,
        1.580_887_032_249_125e-4,
        -2.102_644_417_241_048_8e-4,
        2.174_396_181_152_126_4e-4,
        -1.643_181_065_367_639e-4,
        8.441_822_398_385_275e-5,
        -2.619_083_840_158_141e-5,
        3.689_918_265_953_162_5e-6,
    ];
    let mut y = x;
    let tmp = x + 5.242_187_5;
    let tmp = (x + 0.5) * tmp.ln() - tmp;
    let mut ser = 0.999_999_999_999_997_1;
    for c in COF {
        y += 1.0;
        ser += c / y;
    }
    tmp + (2.506_628_274_631_000_5 * ser / x).ln()
}

/// Regularised incomplete beta function I_x(a, b) (continued fraction, NR 3rd ed. §6.4).
pub fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_continued_fraction(a: f64, b: f64, x: f64) -> f64 {
    const MAX_ITERATIONS: usize = 10_000;
    const EPS: f64 = 1e-15;
    const FPMIN: f64 = 1e-300;
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < FPMIN {
        d = FPMIN;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..MAX_ITERATIONS {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < FPMIN {
            d = FPMIN;
        }
        c = 1.0 + aa / c;
        if c.abs() < FPMIN {
            c = FPMIN;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < FPMIN {
            d = FPMIN;
        }
        c = 1.0 + aa / c;
        if c.abs() < FPMIN {
            c = FPMIN;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// Student-t CDF with `nu` degrees of freedom: F(t) = 1 − ½·I_{ν/(ν+t²)}(ν/2, ½) for t > 0.
pub fn student_t_cdf(t: f64, nu: f64) -> f64 {
    let tail = 0.5 * incomplete_beta(nu / 2.0, 0.5, nu / (nu + t * t));
    if t > 0.0 { 1.0 - tail } else { tail }
}

/// Student-t quantile with `nu` degrees of freedom, 0 < p < 1 (bisection on the CDF).
pub fn student_t_quantile(p: f64, nu: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    if p == 0.5 {
        return 0.0;
    }
    // Bracket, then bisect to 1e-12 absolute: 200 halvings are more than enough.
    let mut lo = -1.0;
    let mut hi = 1.0;
    while student_t_cdf(lo, nu) > p {
        lo *= 2.0;
    }
    while student_t_cdf(hi, nu) < p {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if student_t_cdf(mid, nu) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 {
            break;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Table values are printed to 4–6 decimals; this is the rounding of those tables.
    const TABLE_TOLERANCE: f64 = 5e-4;

    #[test]
    fn normal_cdf_matches_tables() {
        // Abramowitz & Stegun Table 26.1.
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-12);
        assert!((normal_cdf(1.96) - 0.975_002).abs() < 1e-6);
        assert!((normal_cdf(-1.0) - 0.158_655).abs() < 1e-6);
    }

    #[test]
    fn normal_quantile_inverts_cdf() {
        for p in [1e-8, 0.01, 0.2, 0.5, 0.7, 0.975, 1.0 - 1e-9] {
            let x = normal_quantile(p);
            assert!((normal_cdf(x) - p).abs() < 1e-12 * p.max(1e-3), "p = {p}");
        }
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-6);
    }

    #[test]
    fn student_t_quantile_matches_tables() {
        // Two-sided 95% critical values t_{0.975, ν} from standard tables.
        for (nu, t) in [(1.0, 12.706), (5.0, 2.571), (10.0, 2.228), (30.0, 2.042)] {
            assert!(
                (student_t_quantile(0.975, nu) - t).abs() < TABLE_TOLERANCE,
                "ν = {nu}"
            );
        }
        assert!((student_t_quantile(0.975, 1e6) - 1.959_96).abs() < TABLE_TOLERANCE);
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        // Γ(n) = (n − 1)!
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - PI.sqrt().ln()).abs() < 1e-12);
    }

    proptest::proptest! {
        /// Φ⁻¹ inverts Φ: Φ(Φ⁻¹(p)) = p to within 1e-12 relative, over (1e-10, 1 − 1e-10).
        #[test]
        fn normal_quantile_is_the_inverse_of_the_cdf(p in 1e-10f64..(1.0 - 1e-10)) {
            let x = normal_quantile(p);
            proptest::prop_assert!((normal_cdf(x) - p).abs() <= 1e-12 * p.min(1.0 - p).max(1e-6));
        }

        /// The Student-t quantile inverts its CDF (bisection stops at 1e-12 in t).
        #[test]
        fn student_t_quantile_is_the_inverse_of_the_cdf(p in 0.001f64..0.999, nu in 1.0f64..500.0) {
            let t = student_t_quantile(p, nu);
            proptest::prop_assert!((student_t_cdf(t, nu) - p).abs() < 1e-9);
        }
    }
}
