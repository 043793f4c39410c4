//! Helpers shared by the test modules.

use std::path::{Path, PathBuf};

use twins::{Error, Result};

/// A temporary directory, with the error mapped into the crate's.
pub fn tempdir() -> Result<tempfile::TempDir> {
    tempfile::tempdir().map_err(|source| Error::Io {
        action: "create temp dir",
        path: PathBuf::from("tmp"),
        source,
    })
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    twins::io::write_atomic(&path, text.as_bytes(), false)?;
    Ok(path)
}

/// Upper 0.1% critical values of the chi-square distribution, χ²_{0.999}(df), for
/// df = 1..=15 (Abramowitz & Stegun Table 26.8; NIST/SEMATECH e-Handbook §1.3.6.7.4).
pub const CHI_SQUARE_999: [f64; 15] = [
    10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124, 27.877, 29.588, 31.264, 32.909,
    34.528, 36.123, 37.697,
];

/// χ²_{0.999}(df): the table above for df ≤ 15, else the Wilson–Hilferty approximation
/// df·(1 − 2/(9df) + z·√(2/(9df)))³ with z = Φ⁻¹(0.999) = 3.090232, whose relative error
/// is below 0.5% for df ≥ 15 and shrinks as df grows (Johnson, Kotz & Balakrishnan, *Continuous Univariate
/// Distributions* vol. 1, §18.5).
pub fn chi_square_999(df: usize) -> f64 {
    if (1..=CHI_SQUARE_999.len()).contains(&df) {
        return CHI_SQUARE_999[df - 1];
    }
    let k = df as f64;
    let h = 2.0 / (9.0 * k);
    k * (1.0 - h + 3.090_232 * h.sqrt()).powi(3)
}

/// The central interval [lo, hi] of Binomial(n, p) holding at least 1 − alpha, computed
/// exactly from the probability mass function (each tail below alpha/2).
pub fn binomial_bounds(n: u64, p: f64, alpha: f64) -> (u64, u64) {
    let ln_pmf = |k: u64| {
        let (n, k) = (n as f64, k as f64);
        twins::stats::ln_gamma(n + 1.0)
            - twins::stats::ln_gamma(k + 1.0)
            - twins::stats::ln_gamma(n - k + 1.0)
            + k * p.ln()
            + (n - k) * (1.0 - p).ln()
    };
    let mut lo = 0;
    let mut tail = 0.0;
    while tail + ln_pmf(lo).exp() < alpha / 2.0 {
        tail += ln_pmf(lo).exp();
        lo += 1;
    }
    let mut hi = n;
    let mut tail = 0.0;
    while tail + ln_pmf(hi).exp() < alpha / 2.0 {
        tail += ln_pmf(hi).exp();
        hi -= 1;
    }
    (lo, hi)
}

/// Sample mean and covariance of the columns of `rows`.
pub fn mean_and_covariance(rows: &[Vec<f64>]) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = rows.len() as f64;
    let d = rows[0].len();
    let mut mean = vec![0.0; d];
    for r in rows {
        for (m, x) in mean.iter_mut().zip(r) {
            *m += x / n;
        }
    }
    let mut cov = vec![vec![0.0; d]; d];
    for r in rows {
        for i in 0..d {
            for j in 0..d {
                cov[i][j] += (r[i] - mean[i]) * (r[j] - mean[j]) / (n - 1.0);
            }
        }
    }
    (mean, cov)
}

#[test]
fn wilson_hilferty_continues_the_table() {
    // χ²_{0.999}(15) = 37.697 from the table; the approximation at 15 agrees to 0.5%,
    // and χ²_{0.999}(100) = 149.449 (A&S Table 26.8).
    let k = 15.0f64;
    let h = 2.0 / (9.0 * k);
    let approx = k * (1.0 - h + 3.090_232 * h.sqrt()).powi(3);
    assert!((approx / 37.697 - 1.0).abs() < 0.005, "{approx}");
    assert!((chi_square_999(100) / 149.449 - 1.0).abs() < 0.005);
}

#[test]
fn binomial_bounds_match_normal_approximation() {
    // Bin(200, 0.95): mean 190, sd 3.08; the exact 99.9% interval is near 190 ± 3.29·sd,
    // cut at 200 above (P(X ≥ 199) = 4.1e-4 < 0.0005, so 199 is already in the upper tail).
    let (lo, hi) = binomial_bounds(200, 0.95, 0.001);
    assert!((178..=182).contains(&lo), "{lo}");
    assert_eq!(hi, 198);
}
