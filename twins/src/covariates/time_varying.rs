//! Time-varying covariates: a series of (time, value) observations.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How a covariate is read between observations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Carry {
    /// Last observation carried forward: on [tᵢ, tᵢ₊₁) the value observed at tᵢ applies.
    #[default]
    LastForward,
    /// Next observation carried backward (NONMEM's default for covariates on data records):
    /// on (tᵢ₋₁, tᵢ] the value observed at tᵢ applies.
    NextBackward,
}

/// One observation of a covariate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Time, h.
    pub time_h: f64,
    /// Value, in the covariate's unit.
    pub value: f64,
}

/// A covariate observed at several times.
///
/// Before the first observation the first value applies, after the last the last value,
/// whatever [`Carry`] is chosen.
///
/// ```
/// use twins::covariates::{Carry, CovariateSeries};
///
/// let wt = CovariateSeries::new(vec![(0.0, 70.0), (24.0, 68.0)], Carry::LastForward)?;
/// assert_eq!(wt.value_at(12.0), 70.0);
/// let wt = wt.with_carry(Carry::NextBackward);
/// assert_eq!(wt.value_at(12.0), 68.0);
/// # Ok::<(), twins::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CovariateSeriesFile", into = "CovariateSeriesFile")]
pub struct CovariateSeries {
    observations: Vec<Observation>,
    carry: Carry,
}

/// A covariate series as written in a file, validated into a [`CovariateSeries`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CovariateSeriesFile {
    /// Observations, in increasing time.
    pub observations: Vec<Observation>,
    /// How to read between observations.
    #[serde(default)]
    pub carry: Carry,
}

impl TryFrom<CovariateSeriesFile> for CovariateSeries {
    type Error = Error;
    fn try_from(file: CovariateSeriesFile) -> Result<CovariateSeries> {
        let points = file
            .observations
            .iter()
            .map(|o| (o.time_h, o.value))
            .collect();
        CovariateSeries::new(points, file.carry)
    }
}

impl From<CovariateSeries> for CovariateSeriesFile {
    fn from(s: CovariateSeries) -> CovariateSeriesFile {
        CovariateSeriesFile {
            observations: s.observations,
            carry: s.carry,
        }
    }
}

impl CovariateSeries {
    /// A series from (time h, value) pairs; times must be finite and strictly increasing.
    pub fn new(points: Vec<(f64, f64)>, carry: Carry) -> Result<CovariateSeries> {
        if points.is_empty() {
            return Err(Error::NotEnoughData {
                what: "a covariate series needs at least one observation".into(),
            });
        }
        for (i, &(t, v)) in points.iter().enumerate() {
            if !t.is_finite() || !v.is_finite() {
                return Err(Error::InvalidValue {
                    name: format!("observation {i} of covariate series"),
                    value: if t.is_finite() { v } else { t },
                    expected: "finite time and value",
                });
            }
            if i > 0 && t <= points[i - 1].0 {
                return Err(Error::InvalidValue {
                    name: format!("time of observation {i} of covariate series"),
                    value: t,
                    expected: "times strictly increasing",
                });
            }
        }
        let observations = points
            .into_iter()
            .map(|(time_h, value)| Observation { time_h, value })
            .collect();
        Ok(CovariateSeries {
            observations,
            carry,
        })
    }

    /// A constant covariate.
    pub fn constant(value: f64) -> CovariateSeries {
        CovariateSeries {
            observations: vec![Observation { time_h: 0.0, value }],
            carry: Carry::LastForward,
        }
    }

    /// The same observations read with another [`Carry`].
    pub fn with_carry(mut self, carry: Carry) -> CovariateSeries {
        self.carry = carry;
        self
    }

    /// The observations.
    pub fn observations(&self) -> &[Observation] {
        &self.observations
    }

    /// The value at time `t_h` (h).
    pub fn value_at(&self, t_h: f64) -> f64 {
        let obs = &self.observations;
        let last = obs.len() - 1;
        let i = match self.carry {
            // Index of the last observation with time <= t (or the first one).
            Carry::LastForward => obs.partition_point(|o| o.time_h <= t_h).saturating_sub(1),
            // Index of the first observation with time >= t (or the last one).
            Carry::NextBackward => obs.partition_point(|o| o.time_h < t_h).min(last),
        };
        obs[i].value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(carry: Carry) -> Result<CovariateSeries> {
        CovariateSeries::new(vec![(0.0, 1.0), (10.0, 2.0), (20.0, 3.0)], carry)
    }

    #[test]
    fn locf_holds_value_until_next_observation() -> Result<()> {
        let s = series(Carry::LastForward)?;
        let got: Vec<f64> = [-5.0, 0.0, 9.9, 10.0, 15.0, 25.0]
            .iter()
            .map(|&t| s.value_at(t))
            .collect();
        assert_eq!(got, [1.0, 1.0, 1.0, 2.0, 2.0, 3.0]);
        Ok(())
    }

    #[test]
    fn nocb_takes_next_observation() -> Result<()> {
        let s = series(Carry::NextBackward)?;
        let got: Vec<f64> = [-5.0, 0.0, 0.1, 10.0, 15.0, 25.0]
            .iter()
            .map(|&t| s.value_at(t))
            .collect();
        assert_eq!(got, [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]);
        Ok(())
    }

    #[test]
    fn files_are_validated_on_load() {
        let err = ron::from_str::<CovariateSeries>("(observations: [])");
        assert!(err.is_err(), "an empty series must not load");
        let err = ron::from_str::<CovariateSeries>(
            "(observations: [(time_h: 2.0, value: 1.0), (time_h: 1.0, value: 2.0)])",
        );
        assert!(err.is_err(), "unsorted times must not load");
    }

    #[test]
    fn unsorted_times_are_rejected() {
        let err = CovariateSeries::new(vec![(1.0, 1.0), (1.0, 2.0)], Carry::LastForward);
        assert!(matches!(err, Err(Error::InvalidValue { .. })));
    }

    proptest::proptest! {
        /// Both carry rules agree with a plain linear scan of the observations.
        #[test]
        fn carry_rules_match_a_linear_scan(
            gaps in proptest::collection::vec(0.1f64..10.0, 1..8),
            t in -5.0f64..80.0,
        ) {
            let mut time = 0.0;
            let points: Vec<(f64, f64)> = gaps
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    time += g;
                    (time, i as f64)
                })
                .collect();
            let locf = CovariateSeries::new(points.clone(), Carry::LastForward)?;
            let nocb = locf.clone().with_carry(Carry::NextBackward);
            let last_before = points.iter().rev().find(|(ti, _)| *ti <= t).unwrap_or(&points[0]).1;
            let first_after = points
                .iter()
                .find(|(ti, _)| *ti >= t)
                .unwrap_or(&points[points.len() - 1])
                .1;
            proptest::prop_assert_eq!(locf.value_at(t), last_before);
            proptest::prop_assert_eq!(nocb.value_at(t), first_after);
        }
    }
}
