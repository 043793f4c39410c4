//! Standard workload W1 by hand: the limit for `twinsim run benches/scenarios/w1_oral1cmt.ron`.
//!
//! W1: oral 1-compartment, ka = 1.0 1/h, CL = 5.0 L/h, V = 50 L, each log-normal with ω = 0.3
//! (independent); 100 mg into the depot every 12 h for 14 days (28 doses from t = 0); central
//! concentration (mg/L) at every hour 0..=336; per-time quantiles 5/25/50/75/95 over the twins.
//!
//! The loop samples each twin's three etas from the same keyed stream twinsim uses, builds its
//! exact 2×2 hourly transition matrix in closed form, steps hour by hour adding doses at their
//! hours, and feeds each hour's concentration to the same quantile summary twinsim uses. Nothing
//! else: no scenario file, no ECS, no parameter maps, no files.

use engine::output::quantiles::QuantileSketch;
use rand_distr::{Distribution, StandardNormal};
use twins::random::{Purpose, TwinKey};

use crate::baseline::Transition;
use crate::scenarios::Oral1Cmt;

/// Hours recorded: 0..=336.
pub const HOURS: usize = 337;
/// ω (SD of η on the log scale) of each parameter.
pub const OMEGA: f64 = 0.3;
/// Quantiles reported per hour.
pub const QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// Runs W1 for `n_twins` twins keyed by `seed`; returns the quantiles of C (mg/L) per hour.
pub fn run(n_twins: u32, seed: u64) -> Vec<[f64; 5]> {
    let mut sketches = vec![QuantileSketch::default(); HOURS];
    let mut c = [0.0; HOURS];
    for twin in 0..n_twins {
        let key = TwinKey {
            scenario_seed: seed,
            replicate: 0,
            cohort: 0,
            twin,
        };
        let mut rng = key.stream(Purpose::Eta);
        let mut eta =
            || OMEGA * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng);
        let (ka, cl, v) = (1.0 * eta().exp(), 5.0 * eta().exp(), 50.0 * eta().exp());
        let model = Oral1Cmt { cl, v, ka, f: 1.0 };
        let step = Transition::new(&model, 1.0);
        let mut x = [0.0, 0.0];
        for (hour, ch) in c.iter_mut().enumerate() {
            if hour > 0 {
                step.apply(&mut x);
            }
            // Record before a dose due at this hour (an oral dose enters the depot: the central
            // concentration is the same either way).
            *ch = x[1] / v;
            if hour % 12 == 0 && hour < 336 {
                x[0] += 100.0;
            }
        }
        for (sketch, &value) in sketches.iter_mut().zip(&c) {
            sketch.push(value);
        }
    }
    sketches
        .iter_mut()
        .map(|s| s.quantiles(QUANTILES))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typical twin's steady-state trough (hour 336, 12 h after the 28th dose at 324 h)
    /// from the closed form: C = F·D·ka/(V(ka − k))·(e^(−k·12) − e^(−ka·12)) / (1 − e^(−k·12))
    /// with the depot's own accumulation negligible; the median over 20,000 twins is near it
    /// (log-normal parameters: the median twin is close to the typical one).
    #[test]
    fn median_trough_is_near_the_typical_twins() {
        let q = run(20_000, 11);
        let (ka, k, v, tau) = (1.0_f64, 0.1_f64, 50.0_f64, 12.0_f64);
        let typical = 100.0 * ka / (v * (ka - k)) * ((-k * tau).exp() - (-ka * tau).exp())
            / (1.0 - (-k * tau).exp());
        let median = q[336][2];
        assert!(
            (median / typical - 1.0).abs() < 0.1,
            "median {median}, typical {typical}"
        );
        assert!(q[0].iter().all(|&c| c == 0.0));
    }
}
