//! Exposure metrics (AUC, Cmax, Cmin, value at a time, time above a level) and target attainment.

use serde::{Deserialize, Serialize};

use super::Series;
use crate::Error;

/// Hours per day, for [`Exposure::Auc24`].
const HOURS_PER_DAY: f64 = 24.0;

/// An exposure metric of a concentration series (unit `u`, e.g. mg/L), over a window in h.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Exposure {
    /// ∫ C dt over [`from`, `to`] (u·h, e.g. mg·h/L).
    Auc {
        /// Start (h).
        from: f64,
        /// End (h).
        to: f64,
    },
    /// ∫ C dt over day `day`, counting from 1: [24·(day − 1), 24·day] h (u·h).
    Auc24 {
        /// Day number, 1 for the first 24 h.
        day: u32,
    },
    /// The highest value over [`from`, `to`] (u).
    Cmax {
        /// Start (h).
        from: f64,
        /// End (h).
        to: f64,
    },
    /// The lowest value over [`from`, `to`] (u).
    Cmin {
        /// Start (h).
        from: f64,
        /// End (h).
        to: f64,
    },
    /// The value at one time, e.g. a trough just before a dose (u).
    ValueAt {
        /// Time (h).
        time: f64,
    },
    /// Hours of [`from`, `to`] with the value strictly above `level` (h).
    TimeAbove {
        /// The level (u).
        level: f64,
        /// Start (h).
        from: f64,
        /// End (h).
        to: f64,
    },
}

impl Exposure {
    /// The window the metric looks at (h).
    pub fn window(&self) -> (f64, f64) {
        match *self {
            Self::Auc { from, to }
            | Self::Cmax { from, to }
            | Self::Cmin { from, to }
            | Self::TimeAbove { from, to, .. } => (from, to),
            Self::Auc24 { day } => {
                let start = HOURS_PER_DAY * f64::from(day.saturating_sub(1));
                (start, start + HOURS_PER_DAY)
            }
            Self::ValueAt { time } => (time, time),
        }
    }

    /// The metric on the piecewise-linear series; AUC by the linear trapezoid rule.
    pub fn evaluate(&self, series: Series<'_>) -> Result<f64, Error> {
        let (from, to) = self.window();
        if let Self::Auc24 { day: 0 } = self {
            return Err(Error::InvalidSeries {
                outcome: "AUC24",
                reason: "days are counted from 1",
            });
        }
        series.check_window("exposure", from, to)?;
        Ok(match *self {
            Self::Auc { .. } | Self::Auc24 { .. } => series.trapezoid(from, to),
            Self::Cmax { .. } => extremes(series, from, to).1,
            Self::Cmin { .. } => extremes(series, from, to).0,
            Self::ValueAt { time } => series.at(time).unwrap_or(f64::NAN),
            Self::TimeAbove { level, .. } => {
                let inside = series.time_within(level, f64::INFINITY, from, to);
                // The boundary itself (value == level) has measure zero unless the series is flat
                // at the level; remove that flat part so "above" stays strict.
                inside - series.time_within(level, level, from, to)
            }
        })
    }

    /// The metric with AUC taken exactly from `cumulative`, the running integral of the series
    /// (e.g. [`PkPd::with_exposure_integral`](crate::PkPd::with_exposure_integral)'s `AUC` slot):
    /// AUC(from, to) = cumulative(to) − cumulative(from), exact when both times are samples.
    /// Other metrics are as [`Exposure::evaluate`].
    pub fn evaluate_exact(&self, series: Series<'_>, cumulative: Series<'_>) -> Result<f64, Error> {
        match self {
            Self::Auc { .. } | Self::Auc24 { .. } => {
                let (from, to) = self.window();
                cumulative.check_window("exposure (cumulative)", from, to)?;
                let at = |t| cumulative.at(t).unwrap_or(f64::NAN);
                Ok(at(to) - at(from))
            }
            _ => self.evaluate(series),
        }
    }
}

/// (min, max) of the interpolant over [from, to]: the values at the window's ends and at every
/// sample inside it.
fn extremes(series: Series<'_>, from: f64, to: f64) -> (f64, f64) {
    let ends = [series.at(from), series.at(to)].into_iter().flatten();
    let inside = series
        .times()
        .iter()
        .zip(series.values())
        .filter(|(t, _)| **t >= from && **t <= to)
        .map(|(_, y)| *y);
    ends.chain(inside)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
            (lo.min(y), hi.max(y))
        })
}

/// Whether an exposure metric lands in [`low`, `high`]: e.g. AUC24 on day 2 in 400–600 mg·h/L.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetAttainment {
    /// The metric.
    pub metric: Exposure,
    /// Lowest value in the target (the metric's unit).
    pub low: f64,
    /// Highest value in the target (the metric's unit).
    pub high: f64,
}

impl TargetAttainment {
    /// True when `low` ≤ metric ≤ `high`, the metric computed by [`Exposure::evaluate`].
    pub fn evaluate(&self, series: Series<'_>) -> Result<bool, Error> {
        let value = self.metric.evaluate(series)?;
        Ok((self.low..=self.high).contains(&value))
    }

    /// As [`TargetAttainment::evaluate`], with AUC from the running integral.
    pub fn evaluate_exact(
        &self,
        series: Series<'_>,
        cumulative: Series<'_>,
    ) -> Result<bool, Error> {
        let value = self.metric.evaluate_exact(series, cumulative)?;
        Ok((self.low..=self.high).contains(&value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_of_a_triangle() -> Result<(), Error> {
        // 0 → 4 over 2 h, then back to 0 at 4 h.
        let times = [0.0, 2.0, 4.0];
        let values = [0.0, 4.0, 0.0];
        let s = Series::new(&times, &values)?;
        let auc = Exposure::Auc { from: 0.0, to: 4.0 }.evaluate(s)?;
        assert_eq!(auc, 8.0);
        assert_eq!(Exposure::Cmax { from: 0.0, to: 4.0 }.evaluate(s)?, 4.0);
        assert_eq!(Exposure::Cmin { from: 1.0, to: 3.0 }.evaluate(s)?, 2.0);
        assert_eq!(Exposure::ValueAt { time: 3.0 }.evaluate(s)?, 2.0);
        // Above 2 from t = 1 to t = 3: 2 h.
        let above = Exposure::TimeAbove {
            level: 2.0,
            from: 0.0,
            to: 4.0,
        };
        assert_eq!(above.evaluate(s)?, 2.0);
        let outside = Exposure::Auc { from: 0.0, to: 5.0 }.evaluate(s);
        assert!(matches!(outside, Err(Error::OutsideSeries { .. })));
        Ok(())
    }

    #[test]
    fn auc24_day_two_is_hours_24_to_48() {
        assert_eq!(Exposure::Auc24 { day: 2 }.window(), (24.0, 48.0));
    }
}
