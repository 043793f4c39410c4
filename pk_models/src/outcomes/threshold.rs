//! Threshold events: the first time a biomarker crosses a level and stays beyond it for a
//! given time (e.g. ANC < 0.5×10⁹/L, grade 4 neutropenia; INR > 4).

use serde::{Deserialize, Serialize};

use super::Series;
use crate::Error;

/// On which side of the level the event lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    /// The event is the value strictly below the level.
    Below,
    /// The event is the value strictly above the level.
    Above,
}

/// The first excursion beyond `level` that lasts at least `sustain` h, on the linear
/// interpolant of the series.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdEvent {
    /// The level (biomarker unit).
    pub level: f64,
    /// Below or above.
    pub direction: Direction,
    /// How long the value must stay beyond the level (h); 0 for the first crossing.
    pub sustain: f64,
}

impl ThresholdEvent {
    /// The onset (h) of the first excursion that lasts `sustain` h: the time the interpolant
    /// crosses the level (the first sample's time when the series starts beyond it).
    /// `None` when no excursion lasts long enough within the series (censored at its end).
    pub fn onset(&self, series: Series<'_>) -> Result<Option<f64>, Error> {
        if !(self.sustain.is_finite() && self.sustain >= 0.0 && self.level.is_finite()) {
            return Err(Error::InvalidSeries {
                outcome: "threshold event",
                reason: "needs a finite level and a finite sustain time >= 0 (h)",
            });
        }
        let beyond = |y: f64| match self.direction {
            Direction::Below => y < self.level,
            Direction::Above => y > self.level,
        };
        let mut start = beyond(series.values()[0]).then_some(series.first_time());
        if let Some(s) = start
            && self.sustain == 0.0
        {
            return Ok(Some(s));
        }
        for segment in series.segments(series.first_time(), series.last_time()) {
            match (beyond(segment.y0), beyond(segment.y1)) {
                // Enters: the excursion starts where the interpolant crosses the level.
                (false, true) => start = Some(segment.crossing(self.level)),
                // Leaves: did the excursion last long enough?
                (true, false) => {
                    if let Some(s) = start
                        && segment.crossing(self.level) - s >= self.sustain
                    {
                        return Ok(Some(s));
                    }
                    start = None;
                }
                _ => {}
            }
            // Beyond at the segment's end (so throughout since `start`, the pieces being linear).
            if let Some(s) = start
                && beyond(segment.y1)
                && segment.t1 - s >= self.sustain
            {
                return Ok(Some(s));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sustain_skips_a_brief_dip() -> Result<(), Error> {
        // Dips below 0.5 between t = 1.5 and 2.5 (1 h), then from 5.5 on for good.
        let times = [0.0, 1.0, 2.0, 3.0, 5.0, 6.0, 10.0];
        let values = [1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0];
        let s = Series::new(&times, &values)?;
        let first = ThresholdEvent {
            level: 0.5,
            direction: Direction::Below,
            sustain: 0.0,
        };
        assert_eq!(first.onset(s)?, Some(1.5));
        let sustained = ThresholdEvent {
            sustain: 2.0,
            ..first
        };
        assert_eq!(sustained.onset(s)?, Some(5.5));
        let too_long = ThresholdEvent {
            sustain: 5.0,
            ..first
        };
        assert_eq!(too_long.onset(s)?, None);
        Ok(())
    }
}
