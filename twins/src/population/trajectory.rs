//! Covariates that change during a trial: each twin's weight, serum creatinine, albumin or age
//! follows a trajectory from its sampled baseline, taken at regular times (the twin's covariate
//! records), with a rate of change drawn per twin.
//!
//! ```ron
//! time_varying: {
//!     AGE: (every_h: 720.0, change: Aging),
//!     WT: (every_h: 168.0, change: Linear(per_day: Normal(mean: -0.02, sd: 0.01)), min: 35.0),
//!     SCR: (every_h: 24.0, change: Exponential(per_day: Normal(mean: 0.01, sd: 0.005))),
//! }
//! ```
//!
//! At each record time the derived covariates follow (BSA from weight and height, creatinine
//! clearance by Cockcroft–Gault from age, weight, serum creatinine and sex). How the model reads
//! the values between records is the model file's carry rule ([`crate::course`]).

use serde::{Deserialize, Serialize};

use super::distribution::Distribution;
use crate::error::{Error, Result};

/// Hours per day.
const HOURS_PER_DAY: f64 = 24.0;
/// Hours per year of age (365.25 days).
const HOURS_PER_YEAR: f64 = 8766.0;
/// Most covariate records a trajectory may add to one twin: keeps a mistyped `every_h` from
/// exhausting memory.
pub const MAX_RECORDS: f64 = 100_000.0;

/// How one covariate changes from its baseline, t hours after the start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Change {
    /// Age grows by one year per 365.25 days: AGE(t) = AGE(0) + t / 8766 h (AGE only).
    Aging,
    /// X(t) = X(0) + r·t/24 h, with r (covariate unit per day) drawn per twin.
    Linear {
        /// The twin's rate of change, per day.
        per_day: Distribution,
    },
    /// X(t) = X(0)·exp(r·t/24 h), with r (fraction per day) drawn per twin.
    Exponential {
        /// The twin's fractional rate of change, per day.
        per_day: Distribution,
    },
}

/// One covariate's trajectory, as written in RON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrajectoryFile {
    /// Hours between records of the new value (h > 0): at every_h, 2·every_h, ... up to the
    /// trial's end.
    pub every_h: f64,
    /// The change from the baseline.
    pub change: Change,
    /// Lowest value the covariate takes (clamped), in its unit.
    #[serde(default)]
    pub min: Option<f64>,
    /// Highest value the covariate takes (clamped), in its unit.
    #[serde(default)]
    pub max: Option<f64>,
}

impl TrajectoryFile {
    /// Checks the interval, the rate's distribution and the bounds; `name` is the covariate.
    pub fn validate(&self, name: &str) -> Result<()> {
        if !(self.every_h.is_finite() && self.every_h > 0.0) {
            return Err(Error::InvalidValue {
                name: format!("time_varying.{name}.every_h"),
                value: self.every_h,
                expected: "a finite interval > 0 (h)",
            });
        }
        match &self.change {
            Change::Aging if name != "AGE" => {
                return Err(Error::Inconsistent {
                    what: format!(
                        "time_varying.{name}: `Aging` is a change of AGE only (use Linear or \
                         Exponential for {name})"
                    ),
                });
            }
            Change::Aging => {}
            Change::Linear { per_day } | Change::Exponential { per_day } => {
                if matches!(per_day, Distribution::Empirical { .. }) {
                    return Err(Error::Inconsistent {
                        what: format!(
                            "time_varying.{name}.per_day: a rate of change cannot be Empirical"
                        ),
                    });
                }
                per_day.validate(&format!("time_varying.{name}.per_day"))?;
            }
        }
        for (bound, value) in [("min", self.min), ("max", self.max)] {
            if let Some(v) = value
                && !v.is_finite()
            {
                return Err(Error::InvalidValue {
                    name: format!("time_varying.{name}.{bound}"),
                    value: v,
                    expected: "a finite bound",
                });
            }
        }
        if let (Some(lo), Some(hi)) = (self.min, self.max)
            && lo > hi
        {
            return Err(Error::InvalidValue {
                name: format!("time_varying.{name}.min"),
                value: lo,
                expected: "min <= max",
            });
        }
        Ok(())
    }

    /// The covariate at `t_h` hours from `baseline`, for a twin whose rate variate is `z`
    /// (standard normal), taken at the last record time of this trajectory at or before `t_h`.
    pub fn value_at(&self, baseline: f64, z: f64, t_h: f64) -> f64 {
        let recorded = (t_h / self.every_h).floor() * self.every_h;
        let value = match &self.change {
            Change::Aging => baseline + recorded / HOURS_PER_YEAR,
            Change::Linear { per_day } => {
                baseline + per_day.value_from_z(z) * recorded / HOURS_PER_DAY
            }
            Change::Exponential { per_day } => {
                baseline * (per_day.value_from_z(z) * recorded / HOURS_PER_DAY).exp()
            }
        };
        let value = self.min.map_or(value, |lo| value.max(lo));
        self.max.map_or(value, |hi| value.min(hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_step_at_record_times_and_stay_within_bounds() -> Result<()> {
        let weight = TrajectoryFile {
            every_h: 168.0,
            change: Change::Linear {
                per_day: Distribution::Normal {
                    mean: -1.0,
                    sd: 0.5,
                },
            },
            min: Some(60.0),
            max: None,
        };
        weight.validate("WT")?;
        // z = 0: −1 kg/day, taken weekly.
        assert_eq!(weight.value_at(70.0, 0.0, 100.0), 70.0);
        assert_eq!(weight.value_at(70.0, 0.0, 168.0), 63.0);
        assert_eq!(weight.value_at(70.0, 0.0, 400.0), 60.0, "clamped at min");
        let age = TrajectoryFile {
            every_h: 8766.0,
            change: Change::Aging,
            min: None,
            max: None,
        };
        assert_eq!(age.value_at(40.0, 0.0, 2.0 * 8766.0 + 1.0), 42.0);
        Ok(())
    }

    #[test]
    fn aging_of_another_covariate_or_a_bad_interval_is_refused() {
        let bad = TrajectoryFile {
            every_h: 24.0,
            change: Change::Aging,
            min: None,
            max: None,
        };
        assert!(bad.validate("WT").is_err());
        let bad = TrajectoryFile {
            every_h: 0.0,
            ..bad
        };
        assert!(bad.validate("AGE").is_err());
    }
}
