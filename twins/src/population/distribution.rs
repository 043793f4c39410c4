//! Continuous covariate distributions, sampled through a standard-normal variate z.
//!
//! Every distribution maps a z ~ N(0, 1) to a value, so correlations can be imposed on
//! the z's (a Gaussian copula): on the natural scale for normal covariates, on the log
//! scale for log-normal ones, and on ranks for uniform and truncated ones.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::{normal_cdf, normal_quantile};

/// How a truncated distribution keeps its draws inside the bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum TruncationMethod {
    /// Map z through the inverse CDF restricted to the bounds: one draw, no loop.
    #[default]
    InverseCdf,
    /// Draw again until the value falls inside (the whole correlated vector is redrawn).
    Rejection,
}

/// A continuous covariate's distribution, as written in RON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Distribution {
    /// X = mean + sd·z.
    Normal {
        /// Mean, in the covariate's unit.
        mean: f64,
        /// Standard deviation, in the covariate's unit.
        sd: f64,
    },
    /// X = median·exp(sd_log·z).
    LogNormal {
        /// Median (geometric mean), in the covariate's unit.
        median: f64,
        /// Standard deviation of log X.
        sd_log: f64,
    },
    /// X = min + (max − min)·Φ(z).
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// `distribution` restricted to [min, max].
    Truncated {
        /// The distribution to truncate (normal, log-normal or uniform).
        distribution: Box<Distribution>,
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
        /// How to stay inside.
        #[serde(default)]
        method: TruncationMethod,
    },
    /// Resampled from a column of the population's empirical CSV (whole rows are drawn,
    /// so empirical covariates keep their joint distribution).
    Empirical {
        /// Column name in the CSV.
        column: String,
    },
}

fn finite(name: &str, v: f64) -> Result<()> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidValue {
            name: name.into(),
            value: v,
            expected: "a finite number",
        })
    }
}

fn positive(name: &str, v: f64) -> Result<()> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidValue {
            name: name.into(),
            value: v,
            expected: "a finite number > 0",
        })
    }
}

impl Distribution {
    /// Checks parameters; `name` is the covariate, for messages.
    pub fn validate(&self, name: &str) -> Result<()> {
        match self {
            Distribution::Normal { mean, sd } => {
                finite(&format!("{name} mean"), *mean)?;
                positive(&format!("{name} sd"), *sd)
            }
            Distribution::LogNormal { median, sd_log } => {
                positive(&format!("{name} median"), *median)?;
                positive(&format!("{name} sd_log"), *sd_log)
            }
            Distribution::Uniform { min, max } => {
                finite(&format!("{name} min"), *min)?;
                finite(&format!("{name} max"), *max)?;
                if min < max {
                    Ok(())
                } else {
                    Err(Error::InvalidValue {
                        name: format!("{name} max"),
                        value: *max,
                        expected: "max > min",
                    })
                }
            }
            Distribution::Truncated {
                distribution,
                min,
                max,
                ..
            } => {
                if matches!(
                    **distribution,
                    Distribution::Truncated { .. } | Distribution::Empirical { .. }
                ) {
                    return Err(Error::Inconsistent {
                        what: format!(
                            "{name}: only Normal, LogNormal and Uniform can be truncated"
                        ),
                    });
                }
                distribution.validate(name)?;
                finite(&format!("{name} min"), *min)?;
                finite(&format!("{name} max"), *max)?;
                let (lo, hi) = (distribution.cdf(*min), distribution.cdf(*max));
                // Below this mass inside the bounds the inverse CDF loses all precision
                // and rejection would need ~1e12 tries: reject the description instead.
                const MIN_MASS: f64 = 1e-12;
                if min >= max || hi - lo < MIN_MASS {
                    return Err(Error::InvalidValue {
                        name: format!("{name} truncation max"),
                        value: *max,
                        expected: "bounds min < max holding some probability",
                    });
                }
                Ok(())
            }
            Distribution::Empirical { .. } => Ok(()),
        }
    }

    /// The CDF at `x` (untruncated distributions only; empirical gives NaN).
    fn cdf(&self, x: f64) -> f64 {
        match self {
            Distribution::Normal { mean, sd } => normal_cdf((x - mean) / sd),
            Distribution::LogNormal { median, sd_log } => {
                if x <= 0.0 {
                    0.0
                } else {
                    normal_cdf((x / median).ln() / sd_log)
                }
            }
            Distribution::Uniform { min, max } => ((x - min) / (max - min)).clamp(0.0, 1.0),
            Distribution::Truncated { .. } | Distribution::Empirical { .. } => f64::NAN,
        }
    }

    /// The value for probability `u` (untruncated distributions only).
    fn quantile(&self, u: f64) -> f64 {
        match self {
            Distribution::Normal { mean, sd } => mean + sd * normal_quantile(u),
            Distribution::LogNormal { median, sd_log } => {
                median * (sd_log * normal_quantile(u)).exp()
            }
            Distribution::Uniform { min, max } => min + (max - min) * u,
            Distribution::Truncated { .. } | Distribution::Empirical { .. } => f64::NAN,
        }
    }

    /// The value for standard-normal variate `z`. For rejection truncation the value may
    /// fall outside the bounds (see [`Distribution::accepts`]); empirical gives NaN.
    pub fn value_from_z(&self, z: f64) -> f64 {
        match self {
            Distribution::Normal { mean, sd } => mean + sd * z,
            Distribution::LogNormal { median, sd_log } => median * (sd_log * z).exp(),
            Distribution::Uniform { min, max } => min + (max - min) * normal_cdf(z),
            Distribution::Truncated {
                distribution,
                min,
                max,
                method,
            } => match method {
                TruncationMethod::Rejection => distribution.value_from_z(z),
                TruncationMethod::InverseCdf => {
                    let (lo, hi) = (distribution.cdf(*min), distribution.cdf(*max));
                    let x = distribution.quantile(lo + normal_cdf(z) * (hi - lo));
                    // Rounding in Φ and Φ⁻¹ can step a hair outside: clamp to the bounds.
                    x.clamp(*min, *max)
                }
            },
            Distribution::Empirical { .. } => f64::NAN,
        }
    }

    /// Whether `x` is an acceptable draw (inside the bounds of a truncation).
    pub fn accepts(&self, x: f64) -> bool {
        match self {
            Distribution::Truncated { min, max, .. } => *min <= x && x <= *max,
            _ => true,
        }
    }

    /// Whether draws may need to be repeated (rejection truncation).
    pub fn rejects(&self) -> bool {
        matches!(
            self,
            Distribution::Truncated {
                method: TruncationMethod::Rejection,
                ..
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truncated(method: TruncationMethod) -> Distribution {
        Distribution::Truncated {
            distribution: Box::new(Distribution::Normal {
                mean: 50.0,
                sd: 20.0,
            }),
            min: 18.0,
            max: 80.0,
            method,
        }
    }

    #[test]
    fn inverse_cdf_truncation_stays_inside_for_extreme_z() {
        let d = truncated(TruncationMethod::InverseCdf);
        for z in [-40.0, -8.0, -1.0, 0.0, 1.0, 8.0, 40.0] {
            let x = d.value_from_z(z);
            assert!((18.0..=80.0).contains(&x), "z = {z}: {x}");
        }
        // The median of N(50, 20) truncated symmetrically-ish: z = 0 maps to the point with
        // half the truncated mass below it, computed independently here.
        let (lo, hi) = (normal_cdf(-1.6), normal_cdf(1.5));
        let expected = 50.0 + 20.0 * normal_quantile(lo + 0.5 * (hi - lo));
        assert!((d.value_from_z(0.0) - expected).abs() < 1e-9);
    }

    #[test]
    fn invalid_parameters_are_rejected() {
        assert!(
            Distribution::Normal {
                mean: 0.0,
                sd: -1.0
            }
            .validate("WT")
            .is_err()
        );
        assert!(
            Distribution::Uniform { min: 2.0, max: 1.0 }
                .validate("WT")
                .is_err()
        );
        let far = Distribution::Truncated {
            distribution: Box::new(Distribution::Normal { mean: 0.0, sd: 1.0 }),
            min: 50.0,
            max: 60.0,
            method: TruncationMethod::Rejection,
        };
        assert!(far.validate("WT").is_err(), "no mass inside the bounds");
    }
}
