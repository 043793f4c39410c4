//! Trial-level statistics: per replicate and arm, each outcome's mean (numbers) or proportion
//! (flags and events); across replicates, the estimate with its 95% interval; between arms, the
//! difference and the power of the comparison.
//!
//! - With several replicates the interval is the 2.5th–97.5th percentile of the replicate
//!   estimates (how a trial's answer varies across repetitions).
//! - With one replicate it is the normal approximation mean ± 1.96·SE over that replicate's twins.
//! - A comparison in one replicate is a two-sample z test on the twins of the two arms
//!   (Welch's standard error); power is the fraction of replicates where it succeeds.

use pk_models::outcomes::OutcomeValue;
use serde::Serialize;
use twins::stats::{normal_cdf, normal_quantile};

/// Two-sided 95%: the normal quantile at 0.975.
pub const Z_975: f64 = 1.959_963_984_540_054;

/// How an outcome is summarised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Mean of a number.
    Mean,
    /// Proportion of twins with a flag set or an event that happened.
    Proportion,
}

/// The number an outcome value contributes, and how it is summarised. NaN contributes nothing.
pub fn contribution(value: &OutcomeValue) -> (Kind, Option<f64>) {
    match *value {
        OutcomeValue::Number(x) => (Kind::Mean, x.is_finite().then_some(x)),
        OutcomeValue::Flag(b) => (Kind::Proportion, Some(f64::from(u8::from(b)))),
        OutcomeValue::Time(t) => (Kind::Proportion, Some(f64::from(u8::from(t.is_some())))),
    }
}

/// Mean and variance by Welford's update (numerically stable, and exact in a fixed order).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    /// Count.
    pub n: u64,
    /// Mean.
    pub mean: f64,
    /// Sum of squared deviations.
    pub m2: f64,
}

impl Moments {
    /// Adds one value.
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Sample variance (n − 1); 0 with fewer than two values.
    pub fn variance(&self) -> f64 {
        if self.n > 1 {
            self.m2 / (self.n - 1) as f64
        } else {
            0.0
        }
    }

    /// Standard error of the mean.
    pub fn standard_error(&self) -> f64 {
        if self.n > 0 {
            (self.variance() / self.n as f64).sqrt()
        } else {
            f64::NAN
        }
    }
}

/// An estimate with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Point estimate.
    pub estimate: f64,
    /// Lower bound of the 95% interval.
    pub lower: f64,
    /// Upper bound of the 95% interval.
    pub upper: f64,
}

/// The p-quantile (type 7) of a sorted slice.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * p;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Across replicates: the mean of replicate estimates with their 2.5–97.5 percentiles, or for
/// one replicate the normal approximation over its twins.
pub fn across_replicates(replicates: &[Moments]) -> Interval {
    let mut estimates: Vec<f64> = replicates
        .iter()
        .filter(|m| m.n > 0)
        .map(|m| m.mean)
        .collect();
    match estimates.len() {
        0 => Interval {
            estimate: f64::NAN,
            lower: f64::NAN,
            upper: f64::NAN,
        },
        1 => {
            let m = replicates
                .iter()
                .find(|m| m.n > 0)
                .copied()
                .unwrap_or_default();
            let half = Z_975 * m.standard_error();
            Interval {
                estimate: m.mean,
                lower: m.mean - half,
                upper: m.mean + half,
            }
        }
        n => {
            let estimate = estimates.iter().sum::<f64>() / n as f64;
            estimates.sort_by(f64::total_cmp);
            Interval {
                estimate,
                lower: quantile(&estimates, 0.025),
                upper: quantile(&estimates, 0.975),
            }
        }
    }
}

/// The Monte-Carlo standard error of [`across_replicates`]' estimate: the standard deviation of
/// the replicate estimates over √R, or for one replicate the standard error over its twins.
pub fn mc_error(replicates: &[Moments]) -> f64 {
    let estimates: Vec<f64> = replicates
        .iter()
        .filter(|m| m.n > 0)
        .map(|m| m.mean)
        .collect();
    match estimates.len() {
        0 => f64::NAN,
        1 => replicates
            .iter()
            .find(|m| m.n > 0)
            .map_or(f64::NAN, Moments::standard_error),
        n => {
            let mut m = Moments::default();
            estimates.iter().for_each(|&x| m.push(x));
            (m.variance() / n as f64).sqrt()
        }
    }
}

/// The z statistic of treatment − control, oriented so that positive favours treatment.
pub fn z_statistic(control: &Moments, treatment: &Moments, higher_is_better: bool) -> f64 {
    let se =
        (control.variance() / control.n as f64 + treatment.variance() / treatment.n as f64).sqrt();
    let diff = treatment.mean - control.mean;
    let z = if se > 0.0 {
        diff / se
    } else if diff == 0.0 {
        0.0
    } else {
        diff.signum() * f64::INFINITY
    };
    if higher_is_better { z } else { -z }
}

/// The critical value of a two-sided test at level `alpha`.
pub fn critical_z(alpha: f64) -> f64 {
    normal_quantile(1.0 - alpha / 2.0)
}

/// One-sided p-value of an oriented z statistic (for reports).
pub fn one_sided_p(z: f64) -> f64 {
    1.0 - normal_cdf(z)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welford_matches_the_two_pass_formula() {
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let mut m = Moments::default();
        xs.iter().for_each(|&x| m.push(x));
        let mean = xs.iter().sum::<f64>() / 8.0;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 7.0;
        assert!((m.mean - 5.0).abs() < 1e-15 && (m.variance() - var).abs() < 1e-14);
    }

    #[test]
    fn one_replicate_uses_the_normal_approximation() {
        let mut m = Moments::default();
        [1.0, 2.0, 3.0, 4.0].iter().for_each(|&x| m.push(x));
        let i = across_replicates(&[m]);
        let se = (m.variance() / 4.0).sqrt();
        assert!((i.lower - (2.5 - Z_975 * se)).abs() < 1e-12);
    }

    #[test]
    fn critical_value_at_five_percent_is_1_96() {
        assert!((critical_z(0.05) - Z_975).abs() < 1e-6);
    }
}
