//! The posterior of a twin's random effects, written as an objective to minimise:
//!
//! ```text
//! O(η) = −2·log p(η | y) + const
//!      = Σ_i t_i(f_i(η)) + ηᵀ·Ω⁻¹·η
//! t_i(f) = (y_i − f)²/V_i(f) + log V_i(f)            a measured value (V from the residual model)
//! t_i(f) = (log y_i − log f)²/σ² + log σ²            exponential error (normal on the log scale)
//! t_i(f) = −2·log Φ((LLOQ_i − f)/√V_i(f))            below the limit of quantification (Beal's M3)
//! ```
//!
//! The residual variance depends on the prediction f, as in NONMEM's FOCE with interaction.
//! Constants (2π) are dropped: they do not move the mode nor the shape of the posterior.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::normal_cdf;
use crate::variability::{Covariance, ResidualError};

/// Below this standardised distance ln Φ(z) is taken from its asymptotic expansion,
/// ln Φ(z) ≈ ln φ(z) − ln(−z) − 1/z² (Abramowitz & Stegun 26.2.12), where erfc underflows.
const LOG_PHI_ASYMPTOTIC_BELOW: f64 = -30.0;

/// What was measured at one observation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Measurement {
    /// A quantified value, in the output's unit.
    Value(f64),
    /// Below the limit of quantification `lloq` (output unit): only y < LLOQ is known.
    BelowLimit {
        /// The lower limit of quantification.
        lloq: f64,
    },
}

/// One observation as the likelihood sees it: what was measured and how it scatters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ObservedValue {
    /// The measurement.
    pub measurement: Measurement,
    /// Its residual error model.
    pub error: ResidualError,
}

impl ObservedValue {
    /// The observation's term of the objective, t(f), its derivative dt/df and a non-negative
    /// curvature w (Fisher information of −2·log-likelihood in f) for the Gauss–Newton step.
    /// Returns `None` where the term is not finite (a non-positive variance or prediction).
    pub fn term(&self, f: f64) -> Option<(f64, f64, f64)> {
        if !f.is_finite() {
            return None;
        }
        match (self.error, self.measurement) {
            (ResidualError::Exponential { sd_log }, Measurement::Value(y)) => {
                let s2 = sd_log * sd_log;
                if f <= 0.0 || y <= 0.0 || s2 <= 0.0 {
                    return None;
                }
                let z = y.ln() - f.ln();
                Some((
                    z * z / s2 + s2.ln(),
                    -2.0 * z / (s2 * f),
                    2.0 / (s2 * f * f),
                ))
            }
            (ResidualError::Exponential { sd_log }, Measurement::BelowLimit { lloq }) => {
                if f <= 0.0 || lloq <= 0.0 || sd_log <= 0.0 {
                    return None;
                }
                let z = (lloq.ln() - f.ln()) / sd_log;
                let dz = -1.0 / (sd_log * f);
                Some(censored(z, dz))
            }
            (error, Measurement::Value(y)) => {
                let v = error.variance(f);
                if !(v > 0.0 && v.is_finite()) {
                    return None;
                }
                let dv = variance_slope(error, f);
                let r = y - f;
                let t = r * r / v + v.ln();
                let dt = -2.0 * r / v - r * r * dv / (v * v) + dv / v;
                let w = 2.0 / v + dv * dv / (v * v);
                Some((t, dt, w))
            }
            (error, Measurement::BelowLimit { lloq }) => {
                let v = error.variance(f);
                if !(v > 0.0 && v.is_finite()) {
                    return None;
                }
                let s = v.sqrt();
                let ds = variance_slope(error, f) / (2.0 * s);
                let z = (lloq - f) / s;
                let dz = (-s - (lloq - f) * ds) / v;
                Some(censored(z, dz))
            }
        }
    }
}

/// −2·ln Φ(z), its derivative through dz/df, and the Gauss–Newton curvature 2·(φ/Φ)²·(dz/df)².
fn censored(z: f64, dz: f64) -> (f64, f64, f64) {
    let ln_phi_density = -0.5 * z * z - 0.5 * (2.0 * std::f64::consts::PI).ln();
    let ln_cdf = if z < LOG_PHI_ASYMPTOTIC_BELOW {
        ln_phi_density - (-z).ln() - 1.0 / (z * z)
    } else {
        normal_cdf(z).ln()
    };
    // Mills ratio φ(z)/Φ(z), computed in logs so it stays finite far in the tail.
    let mills = (ln_phi_density - ln_cdf).exp();
    let dt = -2.0 * mills * dz;
    (-2.0 * ln_cdf, dt, 2.0 * mills * mills * dz * dz)
}

/// dVar/df of a residual model (Exponential is handled on the log scale and never asks).
fn variance_slope(error: ResidualError, f: f64) -> f64 {
    match error {
        ResidualError::Additive { .. } => 0.0,
        ResidualError::Proportional { cv } | ResidualError::Combined { cv, .. } => {
            2.0 * cv * cv * f
        }
        ResidualError::Exponential { sd_log } => {
            let s2 = sd_log * sd_log;
            2.0 * f * s2.exp() * s2.exp_m1()
        }
    }
}

/// Predictions of a twin's observations as a function of its random effects: f(η).
///
/// Anything can be a predictor: a compartment model with a dosing history
/// ([`IndividualModel`](super::IndividualModel)), or a plain closure ([`FnPredictor`]) so
/// the machinery can be checked on a model linear in η against the closed-form posterior.
pub trait Predictor {
    /// Number of random effects η.
    fn n_eta(&self) -> usize;
    /// Number of observations (the length of `out` in [`Predictor::predict`]).
    fn n_observations(&self) -> usize;
    /// Writes the prediction of every observation at `eta` into `out`.
    fn predict(&self, eta: &[f64], out: &mut [f64]) -> Result<()>;
}

impl<P: Predictor + ?Sized> Predictor for &P {
    fn n_eta(&self) -> usize {
        (**self).n_eta()
    }
    fn n_observations(&self) -> usize {
        (**self).n_observations()
    }
    fn predict(&self, eta: &[f64], out: &mut [f64]) -> Result<()> {
        (**self).predict(eta, out)
    }
}

/// A predictor from a closure `f(η, out)`.
pub struct FnPredictor<F> {
    n_eta: usize,
    n_observations: usize,
    f: F,
}

impl<F: Fn(&[f64], &mut [f64])> FnPredictor<F> {
    /// Wraps `f`, which fills `n_observations` predictions from `n_eta` random effects.
    pub fn new(n_eta: usize, n_observations: usize, f: F) -> Self {
        Self {
            n_eta,
            n_observations,
            f,
        }
    }
}

impl<F: Fn(&[f64], &mut [f64])> Predictor for FnPredictor<F> {
    fn n_eta(&self) -> usize {
        self.n_eta
    }
    fn n_observations(&self) -> usize {
        self.n_observations
    }
    fn predict(&self, eta: &[f64], out: &mut [f64]) -> Result<()> {
        (self.f)(eta, out);
        Ok(())
    }
}

/// The objective O(η) = −2·log posterior of one twin: predictor, observations and prior Ω.
pub struct Objective<P> {
    predictor: P,
    observations: Vec<ObservedValue>,
    omega_inverse: DMatrix<f64>,
    omega_lower: DMatrix<f64>,
}

impl<P: Predictor> Objective<P> {
    /// Checks sizes: one observation per prediction, Ω as large as η.
    pub fn new(predictor: P, observations: Vec<ObservedValue>, omega: &Covariance) -> Result<Self> {
        if predictor.n_observations() != observations.len() {
            return Err(Error::Inconsistent {
                what: format!(
                    "the predictor makes {} predictions but {} observations were given",
                    predictor.n_observations(),
                    observations.len()
                ),
            });
        }
        if predictor.n_eta() != omega.dim() {
            return Err(Error::Inconsistent {
                what: format!(
                    "the predictor has {} random effects but omega is {}x{}",
                    predictor.n_eta(),
                    omega.dim(),
                    omega.dim()
                ),
            });
        }
        for (i, o) in observations.iter().enumerate() {
            o.error.validate().map_err(|e| Error::Parameter {
                name: format!("residual error of observation {}", i + 1),
                problem: Box::new(e),
            })?;
            let value = match o.measurement {
                Measurement::Value(y) => y,
                Measurement::BelowLimit { lloq } => lloq,
            };
            if !value.is_finite() {
                return Err(Error::InvalidValue {
                    name: format!("observation {}", i + 1),
                    value,
                    expected: "a finite number",
                });
            }
        }
        let lower = omega.lower().clone();
        let inverse = nalgebra::Cholesky::new(omega.matrix().clone())
            .ok_or_else(|| Error::NotPositiveDefinite {
                matrix: omega.label().to_owned(),
            })?
            .inverse();
        Ok(Self {
            predictor,
            observations,
            omega_inverse: inverse,
            omega_lower: lower,
        })
    }

    /// The predictor.
    pub fn predictor(&self) -> &P {
        &self.predictor
    }

    /// The observations.
    pub fn observations(&self) -> &[ObservedValue] {
        &self.observations
    }

    /// Number of random effects.
    pub fn n_eta(&self) -> usize {
        self.omega_inverse.nrows()
    }

    /// Ω⁻¹.
    pub fn omega_inverse(&self) -> &DMatrix<f64> {
        &self.omega_inverse
    }

    /// The lower Cholesky factor of Ω.
    pub fn omega_lower(&self) -> &DMatrix<f64> {
        &self.omega_lower
    }

    /// ηᵀ·Ω⁻¹·η.
    pub fn prior_term(&self, eta: &[f64]) -> f64 {
        let e = DVector::from_column_slice(eta);
        (e.transpose() * &self.omega_inverse * &e)[(0, 0)]
    }

    /// O(η), with the predictions written to `f`; +∞ where the likelihood is not finite
    /// (e.g. a proportional error and a zero prediction), so optimisers back away from it.
    pub fn value_with(&self, eta: &[f64], f: &mut [f64]) -> Result<f64> {
        self.predictor.predict(eta, f)?;
        let mut total = self.prior_term(eta);
        for (o, &fi) in self.observations.iter().zip(f.iter()) {
            match o.term(fi) {
                Some((t, _, _)) => total += t,
                None => return Ok(f64::INFINITY),
            }
        }
        Ok(if total.is_finite() {
            total
        } else {
            f64::INFINITY
        })
    }

    /// O(η).
    pub fn value(&self, eta: &[f64]) -> Result<f64> {
        let mut f = vec![0.0; self.observations.len()];
        self.value_with(eta, &mut f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central differences with h = 1e-5 on smooth terms: truncation O(h²·t''') ~ 1e-10,
    /// rounding O(ε·t/h) ~ 1e-11; 1e-6 relative leaves room for both.
    const DERIVATIVE_TOLERANCE: f64 = 1e-6;

    #[test]
    fn term_derivatives_match_finite_differences() {
        let cases = [
            ObservedValue {
                measurement: Measurement::Value(3.0),
                error: ResidualError::Combined { sd: 0.2, cv: 0.15 },
            },
            ObservedValue {
                measurement: Measurement::Value(3.0),
                error: ResidualError::Exponential { sd_log: 0.2 },
            },
            ObservedValue {
                measurement: Measurement::BelowLimit { lloq: 0.5 },
                error: ResidualError::Proportional { cv: 0.2 },
            },
            ObservedValue {
                measurement: Measurement::BelowLimit { lloq: 0.5 },
                error: ResidualError::Exponential { sd_log: 0.3 },
            },
        ];
        for o in cases {
            for f in [0.3, 1.0, 2.5, 4.0] {
                let h = 1e-5;
                let (_, dt, w) = o.term(f).expect("finite");
                let up = o.term(f + h).expect("finite").0;
                let down = o.term(f - h).expect("finite").0;
                let numeric = (up - down) / (2.0 * h);
                assert!(
                    (numeric - dt).abs() <= DERIVATIVE_TOLERANCE * (1.0 + dt.abs()),
                    "{o:?} at f = {f}: {numeric} vs {dt}"
                );
                assert!(w >= 0.0);
            }
        }
    }

    #[test]
    fn censored_term_is_finite_far_in_the_tail() {
        let o = ObservedValue {
            measurement: Measurement::BelowLimit { lloq: 0.1 },
            error: ResidualError::Additive { sd: 0.01 },
        };
        let (t, dt, _) = o.term(5.0).expect("finite");
        assert!(
            t.is_finite() && t > 1e4 && dt.is_finite() && dt > 0.0,
            "{t} {dt}"
        );
    }
}
