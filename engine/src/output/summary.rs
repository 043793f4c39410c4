//! Trial-level statistics: per replicate and arm, each outcome's mean (numbers) or proportion
//! (flags and events); across replicates, the estimate with its 95% interval; between arms, the
//! difference and the power of the comparison.
//!
//! - With [`MIN_REPLICATES_FOR_95`] (20) replicates or more the interval is the 2.5th–97.5th
//!   percentile of the replicate estimates (how a trial's answer varies across repetitions).
//! - With 2 to 19 it is the range (lowest to highest) of the replicate estimates, and says so:
//!   too few replicates for their percentiles to mean a 95% interval ([`interval_label`]).
//! - With one replicate it is the normal approximation mean ± 1.96·SE over that replicate's twins.
//! - Power, the fraction of replicates in which a comparison succeeds, comes with its own
//!   Wilson score 95% interval over the replicates ([`proportion_interval`]).
//! - A comparison in one replicate is a two-sample z test on the twins of the two arms
//!   (Welch's standard error); power is the fraction of replicates where it succeeds.

use pk_models::outcomes::OutcomeValue;
use serde::Serialize;
use twins::stats::{normal_cdf, normal_quantile};

/// Two-sided 95%: the normal quantile at 0.975.
pub const Z_975: f64 = 1.959_963_984_540_054;

/// Fewest replicates whose 2.5th and 97.5th percentiles are called a 95% interval: with 20, the
/// extremes are the 2.5th and 97.5th percentiles' neighbours; with fewer they are the range.
pub const MIN_REPLICATES_FOR_95: usize = 20;

/// What the intervals of a run over `replicates` replicates are, in words (`summary.json`'s
/// `interval`, the console, the plots).
pub fn interval_label(replicates: u32) -> String {
    match replicates {
        0 | 1 => "95% interval: normal approximation over one replicate's twins".to_owned(),
        r if (r as usize) < MIN_REPLICATES_FOR_95 => format!(
            "range of the {r} replicate estimates (fewer than {MIN_REPLICATES_FOR_95} \
             replicates: not a 95% interval)"
        ),
        r => format!("95% interval: 2.5-97.5 percentiles of the {r} replicate estimates"),
    }
}

/// The short name of the intervals, for plot titles and table headings.
pub fn interval_name(replicates: u32) -> String {
    match replicates {
        r if r >= 2 && (r as usize) < MIN_REPLICATES_FOR_95 => format!("range of {r} replicates"),
        _ => "95% interval".to_owned(),
    }
}

/// Wilson score 95% interval of a proportion `successes / n` (an estimate of power over
/// replicate trials): well behaved at 0 and 1 and for small n, unlike p ± 1.96·√(p(1−p)/n).
pub fn proportion_interval(successes: u32, n: u32) -> Interval {
    if n == 0 {
        return Interval {
            estimate: f64::NAN,
            lower: f64::NAN,
            upper: f64::NAN,
        };
    }
    let n = f64::from(n);
    let p = f64::from(successes) / n;
    let z2 = Z_975 * Z_975;
    // centre = (p + z²/2n)/(1 + z²/n);  half = z·√(p(1−p)/n + z²/4n²)/(1 + z²/n)
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z_975 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Interval {
        estimate: p,
        lower: (centre - half).max(0.0),
        upper: (centre + half).min(1.0),
    }
}

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
            if n < MIN_REPLICATES_FOR_95 {
                // Too few for percentiles: the range, labelled as such (`interval_label`).
                Interval {
                    estimate,
                    lower: estimates[0],
                    upper: estimates[n - 1],
                }
            } else {
                Interval {
                    estimate,
                    lower: quantile(&estimates, 0.025),
                    upper: quantile(&estimates, 0.975),
                }
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
    fn fewer_than_twenty_replicates_give_their_range_and_say_so() {
        let replicate = |x: f64| {
            let mut m = Moments::default();
            m.push(x);
            m
        };
        let four: Vec<Moments> = [3.0, 1.0, 4.0, 2.0].map(replicate).to_vec();
        let i = across_replicates(&four);
        assert_eq!((i.lower, i.estimate, i.upper), (1.0, 2.5, 4.0));
        assert!(interval_label(4).starts_with("range of the 4 replicate estimates"));
        assert_eq!(interval_name(4), "range of 4 replicates");
        let many: Vec<Moments> = (0..40).map(|k| replicate(f64::from(k))).collect();
        let i = across_replicates(&many);
        // Type-7 percentiles of 0..=39: 0.975·39 = 38.025.
        assert!((i.upper - 38.025).abs() < 1e-12 && (i.lower - 0.975).abs() < 1e-12);
        assert!(interval_label(40).starts_with("95% interval"));
    }

    /// Wilson's interval against a hand computation: 3 successes in 4, z = 1.96:
    /// centre (0.75 + 0.48)/1.96 = 0.6275, half 1.96·√(0.046875 + 0.060)/1.96 = 0.3269.
    #[test]
    fn power_has_a_wilson_interval() {
        let i = proportion_interval(3, 4);
        let z2 = Z_975 * Z_975;
        let centre = (0.75 + z2 / 8.0) / (1.0 + z2 / 4.0);
        let half = Z_975 * (0.75 * 0.25 / 4.0 + z2 / 64.0).sqrt() / (1.0 + z2 / 4.0);
        assert!((i.lower - (centre - half)).abs() < 1e-12);
        assert!((i.upper - (centre + half)).abs() < 1e-12);
        assert!((i.lower - 0.3006).abs() < 1e-3 && (i.upper - 0.9544).abs() < 1e-3);
        let none = proportion_interval(0, 4);
        assert!(none.lower == 0.0 && none.upper > 0.4);
    }

    #[test]
    fn critical_value_at_five_percent_is_1_96() {
        assert!((critical_z(0.05) - Z_975).abs() < 1e-6);
    }
}
