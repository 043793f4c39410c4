//! Residual (observation) error models.

use rand::{Rng, RngExt};
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// A residual error model: how an observation y scatters around the prediction f.
///
/// ε ~ N(0, 1) throughout; standard deviations are in the unit of the observation
/// unless stated.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ResidualError {
    /// y = f + a·ε; Var(y) = a².
    Additive {
        /// a: standard deviation, observation unit.
        sd: f64,
    },
    /// y = f·(1 + b·ε); Var(y) = (b·f)².
    Proportional {
        /// b: coefficient of variation (fraction, 0.1 = 10%).
        cv: f64,
    },
    /// y = f + √(a² + (b·f)²)·ε (NONMEM's "combined error 2"); Var(y) = a² + (b·f)².
    Combined {
        /// a: additive standard deviation, observation unit.
        sd: f64,
        /// b: proportional coefficient of variation (fraction).
        cv: f64,
    },
    /// y = f·exp(σ·ε), i.e. additive on the log scale; Var(log y) = σ² and
    /// Var(y) = f²·exp(σ²)·(exp(σ²) − 1).
    Exponential {
        /// σ: standard deviation on the log scale.
        sd_log: f64,
    },
}

impl ResidualError {
    /// Checks parameters are finite and ≥ 0.
    pub fn validate(&self) -> Result<()> {
        let check = |name: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(Error::InvalidValue {
                    name: name.to_string(),
                    value: v,
                    expected: "a finite number >= 0",
                })
            }
        };
        match *self {
            ResidualError::Additive { sd } => check("sd", sd),
            ResidualError::Proportional { cv } => check("cv", cv),
            ResidualError::Combined { sd, cv } => check("sd", sd).and(check("cv", cv)),
            ResidualError::Exponential { sd_log } => check("sd_log", sd_log),
        }
    }

    /// Var(y | f), in the observation unit squared.
    pub fn variance(&self, f: f64) -> f64 {
        match *self {
            ResidualError::Additive { sd } => sd * sd,
            ResidualError::Proportional { cv } => (cv * f).powi(2),
            ResidualError::Combined { sd, cv } => sd * sd + (cv * f).powi(2),
            ResidualError::Exponential { sd_log } => {
                let s2 = sd_log * sd_log;
                f * f * s2.exp() * s2.exp_m1()
            }
        }
    }

    /// Draws an observation around prediction `f`.
    pub fn sample<R: Rng + ?Sized>(&self, f: f64, rng: &mut R) -> f64 {
        let eps: f64 = rng.sample(StandardNormal);
        match *self {
            ResidualError::Exponential { sd_log } => f * (sd_log * eps).exp(),
            _ => f + self.variance(f).sqrt() * eps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::stream_from_seed;

    /// n = 200,000 draws: the sample variance's relative standard error is √(2/n) ≈ 0.32%;
    /// 2% is > 6 standard errors.
    const VARIANCE_RELATIVE_TOLERANCE: f64 = 0.02;

    #[test]
    fn sampled_variance_matches_formula() {
        let models = [
            ResidualError::Additive { sd: 0.5 },
            ResidualError::Proportional { cv: 0.2 },
            ResidualError::Combined { sd: 0.5, cv: 0.2 },
            ResidualError::Exponential { sd_log: 0.3 },
        ];
        let f = 10.0;
        for model in models {
            let mut rng = stream_from_seed(7);
            let n = 200_000;
            let ys: Vec<f64> = (0..n).map(|_| model.sample(f, &mut rng)).collect();
            let mean = ys.iter().sum::<f64>() / n as f64;
            let var = ys.iter().map(|y| (y - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let rel = (var / model.variance(f) - 1.0).abs();
            assert!(
                rel < VARIANCE_RELATIVE_TOLERANCE,
                "{model:?}: {var} vs {}",
                model.variance(f)
            );
        }
    }
}
