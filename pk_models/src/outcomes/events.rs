//! Probabilistic events driven by exposure or effect. The random draw comes from the caller (the
//! engine draws it from the twin's own stream), so evaluation stays deterministic.

use serde::{Deserialize, Serialize};

use super::{Exposure, Series};
use crate::Error;

/// A logistic model of an event's probability given an exposure metric:
/// p = 1 / (1 + exp(−(b0 + b1·metric))); the event happens when a uniform draw u < p.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogisticEvent {
    /// The metric (e.g. AUC24 on day 1).
    pub metric: Exposure,
    /// Intercept b0 (log-odds).
    pub b0: f64,
    /// Slope b1 (log-odds per metric unit).
    pub b1: f64,
}

impl LogisticEvent {
    /// The probability for a metric value.
    pub fn probability_at(&self, metric: f64) -> f64 {
        1.0 / (1.0 + (-(self.b0 + self.b1 * metric)).exp())
    }

    /// The probability on a series.
    pub fn probability(&self, series: Series<'_>) -> Result<f64, Error> {
        Ok(self.probability_at(self.metric.evaluate(series)?))
    }

    /// Whether the event happens, given a uniform draw `u` in (0, 1).
    pub fn occurs(&self, series: Series<'_>, u: f64) -> Result<bool, Error> {
        if !(u > 0.0 && u < 1.0) {
            return Err(Error::InvalidDraw {
                outcome: "logistic event",
                draw: "a uniform draw in (0, 1)",
                value: u,
            });
        }
        Ok(u < self.probability(series)?)
    }
}

/// A time-to-event model with hazard h(t) = h0·exp(β·E(t)) (1/h), E a time-varying effect
/// (or exposure) series, from time `from` on.
///
/// The event time T solves H(T) = ∫_from^T h dt = ε for a standard-exponential draw ε
/// (inverse-transform sampling: P(T > t) = exp(−H(t))). The hazard is evaluated at the samples
/// and interpolated linearly between them, so H is exact for a constant hazard and converges as
/// the sampling gets denser.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HazardEvent {
    /// Baseline hazard h0 (1/h).
    pub h0: f64,
    /// Effect coefficient β (per effect unit).
    pub beta: f64,
    /// Start of the risk period (h).
    pub from: f64,
}

impl HazardEvent {
    /// The hazard (1/h) at effect `effect`.
    pub fn hazard(&self, effect: f64) -> f64 {
        // h = h0·exp(β·E)
        self.h0 * (self.beta * effect).exp()
    }

    /// The event time (h) for a standard-exponential draw `epsilon` (> 0), or `None` when the
    /// cumulative hazard has not reached it by the end of the series (censored).
    pub fn event_time(&self, effect: Series<'_>, epsilon: f64) -> Result<Option<f64>, Error> {
        if !(epsilon.is_finite() && epsilon > 0.0) {
            return Err(Error::InvalidDraw {
                outcome: "hazard event",
                draw: "a standard-exponential draw > 0",
                value: epsilon,
            });
        }
        if !(self.h0.is_finite() && self.h0 >= 0.0 && self.beta.is_finite()) {
            return Err(Error::InvalidParameter {
                name: "H0",
                value: self.h0,
                expected: "a finite hazard >= 0 (1/h) with a finite beta",
            });
        }
        effect.check_window("hazard event", self.from, self.from)?;
        let mut remaining = epsilon;
        for segment in effect.segments(self.from, effect.last_time()) {
            let (ha, hb) = (self.hazard(segment.y0), self.hazard(segment.y1));
            let duration = segment.t1 - segment.t0;
            // Cumulative hazard over the segment, h linear in t: Δ·(ha + hb)/2
            let total = duration * (ha + hb) / 2.0;
            if total < remaining {
                remaining -= total;
                continue;
            }
            // Solve ha·s + (hb − ha)·s²/(2Δ) = remaining for s in [0, Δ]; the form
            // s = 2r / (ha + √(ha² + 4a·r)), a = (hb − ha)/(2Δ), avoids cancellation.
            let a = (hb - ha) / (2.0 * duration);
            let root = (ha * ha + 4.0 * a * remaining).max(0.0).sqrt();
            let s = 2.0 * remaining / (ha + root);
            return Ok(Some(segment.t0 + s.clamp(0.0, duration)));
        }
        Ok(None)
    }
}

impl HazardEvent {
    /// The event time (h) from a series of the cumulative hazard H itself (e.g. the `H` slot of
    /// [`CumulativeHazard`](crate::pd::CumulativeHazard)): the first time H(t) − H(`from`) reaches
    /// `epsilon`, interpolating H linearly between samples (exact at the samples, which carry the
    /// solver's integral). `None` when it is not reached within the series.
    pub fn event_time_from_cumulative(
        &self,
        cumulative: Series<'_>,
        epsilon: f64,
    ) -> Result<Option<f64>, Error> {
        if !(epsilon.is_finite() && epsilon > 0.0) {
            return Err(Error::InvalidDraw {
                outcome: "hazard event",
                draw: "a standard-exponential draw > 0",
                value: epsilon,
            });
        }
        cumulative.check_window("hazard event (cumulative)", self.from, self.from)?;
        let target = cumulative.at(self.from).unwrap_or(f64::NAN) + epsilon;
        Ok(cumulative
            .segments(self.from, cumulative.last_time())
            .find(|s| s.y1 >= target)
            .map(|s| s.crossing(target)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_probability_is_one_half_at_the_midpoint() {
        let event = LogisticEvent {
            metric: Exposure::ValueAt { time: 0.0 },
            b0: -4.0,
            b1: 0.01,
        };
        assert_eq!(event.probability_at(400.0), 0.5);
    }

    #[test]
    fn constant_hazard_event_time_is_epsilon_over_h0() -> Result<(), Error> {
        let times = [0.0, 10.0, 100.0];
        let effect = [0.0; 3];
        let event = HazardEvent {
            h0: 0.05,
            beta: 1.0,
            from: 0.0,
        };
        let s = Series::new(&times, &effect)?;
        let t = event.event_time(s, 1.0)?;
        assert!(t.is_some_and(|t| (t - 20.0).abs() < 1e-12), "{t:?}");
        // ε = 6 needs 120 h: past the series' end.
        assert_eq!(event.event_time(s, 6.0)?, None);
        Ok(())
    }
}
