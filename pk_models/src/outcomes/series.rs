//! A sampled time series and the piecewise-linear function through its samples.

use crate::Error;
use crate::dosing::Record;

/// Times (h) and values of one variable (a concentration, a biomarker, an effect), read as the
/// piecewise-linear function through the samples.
///
/// Times must be non-decreasing; a repeated time is a jump (e.g. a bolus), and the value at that
/// time is the later sample's (the state after the record, as a trajectory reports it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Series<'a> {
    times: &'a [f64],
    values: &'a [f64],
}

impl<'a> Series<'a> {
    /// Validates: equal lengths, at least one sample, finite values, non-decreasing finite times.
    pub fn new(times: &'a [f64], values: &'a [f64]) -> Result<Self, Error> {
        let bad = |reason| Error::InvalidSeries {
            outcome: "series",
            reason,
        };
        if times.len() != values.len() {
            return Err(bad("times and values differ in length"));
        }
        if times.is_empty() {
            return Err(bad("no samples"));
        }
        if !times.iter().chain(values).all(|x| x.is_finite()) {
            return Err(bad("a time or value is not finite"));
        }
        if times.windows(2).any(|w| w[1] < w[0]) {
            return Err(bad("times decrease"));
        }
        Ok(Self { times, values })
    }

    /// The sample times (h).
    pub fn times(&self) -> &'a [f64] {
        self.times
    }

    /// The sample values.
    pub fn values(&self) -> &'a [f64] {
        self.values
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// Always false: a series has at least one sample.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// First sample time (h).
    pub fn first_time(&self) -> f64 {
        self.times[0]
    }

    /// Last sample time (h).
    pub fn last_time(&self) -> f64 {
        self.times[self.times.len() - 1]
    }

    /// Checks that [`from`, `to`] lies inside the series, for outcome `outcome`.
    pub(crate) fn check_window(
        &self,
        outcome: &'static str,
        from: f64,
        to: f64,
    ) -> Result<(), Error> {
        if !(from.is_finite() && to.is_finite() && from <= to) {
            return Err(Error::InvalidSeries {
                outcome,
                reason: "the window is not a finite interval with from <= to",
            });
        }
        for time in [from, to] {
            if time < self.first_time() || time > self.last_time() {
                return Err(Error::OutsideSeries {
                    outcome,
                    time,
                    first: self.first_time(),
                    last: self.last_time(),
                });
            }
        }
        Ok(())
    }

    /// The linear interpolant at `time` (h); `None` outside the series.
    pub fn at(&self, time: f64) -> Option<f64> {
        if time < self.first_time() || time > self.last_time() {
            return None;
        }
        // First sample strictly after `time`: the value at a repeated time is the last sample's.
        let after = self.times.partition_point(|&t| t <= time);
        if after == self.times.len() {
            return Some(self.values[after - 1]);
        }
        let (t0, t1) = (self.times[after - 1], self.times[after]);
        let (y0, y1) = (self.values[after - 1], self.values[after]);
        Some(y0 + (y1 - y0) * (time - t0) / (t1 - t0))
    }

    /// The segments of the interpolant clipped to [`from`, `to`]: (t0, y0, t1, y1) with t1 > t0.
    pub(crate) fn segments(&self, from: f64, to: f64) -> impl Iterator<Item = Segment> + '_ {
        self.times
            .windows(2)
            .zip(self.values.windows(2))
            .filter_map(move |(t, y)| {
                let (a, b) = (t[0].max(from), t[1].min(to));
                if b <= a || t[1] <= t[0] {
                    return None;
                }
                let slope = (y[1] - y[0]) / (t[1] - t[0]);
                Some(Segment {
                    t0: a,
                    y0: y[0] + slope * (a - t[0]),
                    t1: b,
                    y1: y[0] + slope * (b - t[0]),
                })
            })
    }

    /// ∫ of the interpolant over [`from`, `to`] (linear trapezoid), unit·h.
    pub fn trapezoid(&self, from: f64, to: f64) -> f64 {
        // ∫ = Σ (t1 − t0)·(y0 + y1)/2
        self.segments(from, to)
            .map(|s| (s.t1 - s.t0) * (s.y0 + s.y1) / 2.0)
            .sum()
    }

    /// Hours of [`from`, `to`] in which the interpolant lies in [`low`, `high`] (either may be
    /// infinite).
    pub fn time_within(&self, low: f64, high: f64, from: f64, to: f64) -> f64 {
        self.segments(from, to)
            .map(|s| s.time_within(low, high))
            .sum()
    }
}

/// One linear piece of a series: from (t0, y0) to (t1, y1), t1 > t0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Segment {
    pub t0: f64,
    pub y0: f64,
    pub t1: f64,
    pub y1: f64,
}

impl Segment {
    /// Hours in which y(t) = y0 + (y1 − y0)·(t − t0)/(t1 − t0) lies in [low, high].
    fn time_within(&self, low: f64, high: f64) -> f64 {
        let duration = self.t1 - self.t0;
        if self.y1 == self.y0 {
            return if (low..=high).contains(&self.y0) {
                duration
            } else {
                0.0
            };
        }
        // Solve y(s) = level for s in hours after t0; the set is [s_low, s_high] ∩ [0, duration].
        let slope = (self.y1 - self.y0) / duration;
        let s_of = |level: f64| (level - self.y0) / slope;
        let (a, b) = (s_of(low), s_of(high));
        let (start, end) = if a <= b { (a, b) } else { (b, a) };
        (end.min(duration) - start.max(0.0)).max(0.0)
    }

    /// Where the segment reaches `level` (h), if it does so strictly inside or at its end.
    pub fn crossing(&self, level: f64) -> f64 {
        self.t0 + (level - self.y0) / (self.y1 - self.y0) * (self.t1 - self.t0)
    }
}

/// `records` with an observation every `step` h from `from` to `to` (inclusive) merged in, in
/// time order (an observation at a dose's time comes after the dose): a dense grid on which to
/// evaluate outcomes of the continuous trajectory.
pub fn with_observation_grid(
    records: &[Record],
    from: f64,
    to: f64,
    step: f64,
) -> Result<Vec<Record>, Error> {
    if !(step.is_finite() && step > 0.0 && from.is_finite() && to.is_finite() && from <= to) {
        return Err(Error::InvalidSeries {
            outcome: "observation grid",
            reason: "needs finite from <= to and a step > 0 (h)",
        });
    }
    // Grid points from + k·step, computed by multiplication so they do not drift.
    let n = ((to - from) / step + 1e-9).floor() as usize;
    let grid = (0..=n).map(|k| from + k as f64 * step);
    let mut out = Vec::with_capacity(records.len() + n + 1);
    let mut rest = records.iter().peekable();
    for time in grid {
        while let Some(record) = rest.next_if(|r| r.time <= time) {
            out.push(*record);
        }
        out.push(Record::observation(time));
    }
    out.extend(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dosing::Dose;

    #[test]
    fn interpolation_takes_the_later_sample_at_a_jump() -> Result<(), Error> {
        let times = [0.0, 1.0, 1.0, 3.0];
        let values = [0.0, 2.0, 10.0, 6.0];
        let s = Series::new(&times, &values)?;
        assert_eq!(s.at(0.5), Some(1.0));
        assert_eq!(s.at(1.0), Some(10.0));
        assert_eq!(s.at(2.0), Some(8.0));
        assert_eq!(s.at(3.5), None);
        // ∫ = 1·(0 + 2)/2 + 2·(10 + 6)/2 = 17
        assert_eq!(s.trapezoid(0.0, 3.0), 17.0);
        Ok(())
    }

    #[test]
    fn invalid_series_are_rejected() {
        assert!(Series::new(&[0.0, 1.0], &[1.0]).is_err());
        assert!(Series::new(&[1.0, 0.0], &[1.0, 1.0]).is_err());
        assert!(Series::new(&[], &[]).is_err());
        assert!(Series::new(&[0.0], &[f64::NAN]).is_err());
    }

    #[test]
    fn grid_is_merged_after_doses_at_the_same_time() -> Result<(), Error> {
        let records = [Record::dose(1.0, Dose::bolus(0, 1.0))];
        let merged = with_observation_grid(&records, 0.0, 2.0, 0.5)?;
        let times: Vec<f64> = merged.iter().map(|r| r.time).collect();
        assert_eq!(times, [0.0, 0.5, 1.0, 1.0, 1.5, 2.0]);
        assert!(matches!(merged[2].kind, crate::RecordKind::Dose(_)));
        Ok(())
    }
}
