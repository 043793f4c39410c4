//! Time in a therapeutic range, e.g. INR 2–3.

use serde::{Deserialize, Serialize};

use super::Series;
use crate::Error;

/// Which series the fraction is computed on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum RangeMethod {
    /// Rosendaal et al. (Thromb Haemost 1993;69:236–239): linear interpolation between the
    /// observed values (e.g. clinic INR measurements), evaluated on those observations.
    Rosendaal,
    /// The continuous trajectory, sampled every `step` h by the engine and interpolated linearly
    /// (the error vanishes as the step shrinks).
    Dense {
        /// Sampling step (h).
        step: f64,
    },
}

/// Fraction of [`from`, `to`] in which a biomarker lies in [`low`, `high`].
///
/// Both methods evaluate the linear interpolant of the series they are given; the method says
/// which series the engine hands over (observations, or a dense sampling of the trajectory).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeInRange {
    /// Lower end of the range (biomarker unit).
    pub low: f64,
    /// Upper end of the range (biomarker unit).
    pub high: f64,
    /// Start of the period (h).
    pub from: f64,
    /// End of the period (h).
    pub to: f64,
    /// Observations or dense trajectory.
    pub method: RangeMethod,
}

impl TimeInRange {
    /// Hours in range.
    pub fn hours(&self, series: Series<'_>) -> Result<f64, Error> {
        if self.low.is_nan() || self.high.is_nan() || self.low > self.high {
            return Err(Error::InvalidSeries {
                outcome: "time in range",
                reason: "the range needs low <= high",
            });
        }
        series.check_window("time in range", self.from, self.to)?;
        Ok(series.time_within(self.low, self.high, self.from, self.to))
    }

    /// Fraction of the period in range, in [0, 1] (0 for an empty period).
    pub fn fraction(&self, series: Series<'_>) -> Result<f64, Error> {
        let hours = self.hours(series)?;
        let length = self.to - self.from;
        Ok(if length > 0.0 { hours / length } else { 0.0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rosendaal_interpolates_between_visits() -> Result<(), Error> {
        // Rosendaal's worked idea: INR 1.5 on day 0 and 3.5 on day 10 (240 h) → the interpolant is
        // in [2, 3] from day 2.5 to day 7.5: half the time.
        let times = [0.0, 240.0];
        let values = [1.5, 3.5];
        let tir = TimeInRange {
            low: 2.0,
            high: 3.0,
            from: 0.0,
            to: 240.0,
            method: RangeMethod::Rosendaal,
        };
        assert_eq!(tir.fraction(Series::new(&times, &values)?)?, 0.5);
        Ok(())
    }
}
