//! Shared helpers: the tight reference solver, grids, a deterministic random generator.

use pk_models::{OdeMethod, Record, SolutionPath, SolverSettings};

/// The reference solution: Dop853 at rtol 1e-12 (atol 1e-14 in state units), far tighter than the
/// default Dopri5 (rtol 1e-8), so differences measure the default path's error.
pub fn reference_path() -> SolutionPath {
    SolutionPath::Ode(SolverSettings {
        method: OdeMethod::Dop853,
        rtol: 1e-12,
        atol: 1e-14,
        max_steps: 1_000_000,
        max_step: 0.0,
    })
}

/// Observations every `step` h from `from` to `to`.
pub fn observations(from: f64, to: f64, step: f64) -> Vec<Record> {
    let n = ((to - from) / step).round() as usize;
    (0..=n)
        .map(|k| Record::observation(from + k as f64 * step))
        .collect()
}

/// Record times.
pub fn times(records: &[Record]) -> Vec<f64> {
    records.iter().map(|r| r.time).collect()
}

/// SplitMix64 (Steele, Lea and Flood 2014): a small deterministic generator for the statistical
/// tests, so their outcome is fixed by the seed.
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform draw in (0, 1): 53 random bits, offset by half a unit so 0 never comes out.
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    /// A standard-exponential draw −ln(u).
    pub fn exponential(&mut self) -> f64 {
        -self.uniform().ln()
    }
}

/// The one-sample Kolmogorov–Smirnov statistic D = sup |F_n(x) − F(x)| of `sample` against `cdf`.
pub fn kolmogorov_smirnov(sample: &mut [f64], cdf: impl Fn(f64) -> f64) -> f64 {
    sample.sort_by(f64::total_cmp);
    let n = sample.len() as f64;
    sample
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
        })
        .fold(0.0, f64::max)
}
