//! Dose optimisation: among allowed amounts (and intervals), the regimen with the highest
//! probability of target attainment whose probability of an adverse event stays under a ceiling.
//!
//! Every candidate is forecast with the same η draws and the same random stream (common random
//! numbers), so differences between candidates are not sampling noise. Candidates are ranked by:
//! within the ceiling first; then the probability of attainment; then how close the median of the
//! target metric lies to the middle of the target range (which decides between candidates of
//! equal probability, as with a MAP point forecast, whose probabilities are 0 or 1).

use pk_models::outcomes::{Outcome, OutcomeValue, Series, TargetAttainment};
use serde::{Deserialize, Serialize};

use super::Regimen;
use super::predictive::{
    Basis, EtaDraws, ForecastSettings, evaluate, grid, output_index, quantile_sorted,
};
use crate::bayes::IndividualModel;
use crate::error::{Error, Result};
use crate::random::stream_from_seed;

/// A ceiling on the probability of an adverse event.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdverseLimit {
    /// The event: a yes/no outcome (a threshold crossing, a logistic event, a time to event).
    pub outcome: Outcome,
    /// Highest acceptable probability (0–1).
    pub ceiling: f64,
}

/// What to search over and what to aim for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoseSearch {
    /// The regimen's start, infusion duration and compartment; amount, interval and number of
    /// doses are filled in per candidate.
    pub template: Regimen,
    /// Allowed amounts (mg).
    pub amounts: Vec<f64>,
    /// Allowed intervals (h); doses are given every interval until the horizon.
    pub intervals: Vec<f64>,
    /// The target: an exposure metric in a range (times in hours after the regimen's start).
    pub target: TargetAttainment,
    /// The adverse-event ceiling, if any.
    pub adverse: Option<AdverseLimit>,
    /// Grid, horizon, output and the seed of probabilistic outcomes' draws.
    pub settings: ForecastSettings,
}

/// One candidate regimen and its forecast probabilities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The regimen.
    pub regimen: Regimen,
    /// Probability that the target metric is within the target range.
    pub p_target: f64,
    /// Probability of the adverse event (`None` without an adverse limit).
    pub p_adverse: Option<f64>,
    /// Median of the target metric over the draws (its unit, e.g. mg·h/L).
    pub metric_median: f64,
    /// Whether `p_adverse` is within the ceiling.
    pub within_ceiling: bool,
}

/// The result of a dose search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DoseRecommendation {
    /// The best candidate within the ceiling, if any is.
    pub chosen: Option<Candidate>,
    /// The other candidates, best first.
    pub runners_up: Vec<Candidate>,
    /// Whether MAP or the full posterior was used.
    pub basis: Basis,
}

/// Searches `search`'s candidates for `model` with η `draws`.
pub fn optimise_dose(
    model: &IndividualModel<'_>,
    draws: &EtaDraws,
    search: &DoseSearch,
) -> Result<DoseRecommendation> {
    let etas = &draws.etas;
    if search.amounts.is_empty() || search.intervals.is_empty() {
        return Err(Error::NotEnoughData {
            what: "a dose search needs at least one amount and one interval".into(),
        });
    }
    if etas.is_empty() {
        return Err(Error::NotEnoughData {
            what: "a dose search needs at least one draw of the random effects".into(),
        });
    }
    if let Some(limit) = &search.adverse
        && !(0.0..=1.0).contains(&limit.ceiling)
    {
        return Err(Error::InvalidValue {
            name: "adverse-event ceiling".into(),
            value: limit.ceiling,
            expected: "a probability in [0, 1]",
        });
    }
    let (output, _) = output_index(model, &search.settings)?;
    let centre = 0.5 * (search.target.low + search.target.high);
    let mut candidates = Vec::new();
    for &interval in &search.intervals {
        for &amount in &search.amounts {
            let doses = (search.settings.horizon / interval).ceil().max(1.0);
            let regimen = Regimen {
                amount,
                interval,
                doses: doses.min(f64::from(u32::MAX)) as u32,
                ..search.template
            };
            regimen.validate()?;
            let (absolute, relative) = grid(&regimen, &search.settings)?;
            let extra = regimen.events();
            let mut rng = stream_from_seed(search.settings.seed);
            let mut metrics = Vec::with_capacity(etas.len());
            let mut attained = 0usize;
            let mut adverse = 0usize;
            let mut values = Vec::new();
            for eta in etas {
                model.output_at(eta, &extra, &absolute, output, &mut values)?;
                let series = Series::new(&relative, &values)?;
                let m = search.target.metric.evaluate(series)?;
                attained += usize::from((search.target.low..=search.target.high).contains(&m));
                metrics.push(m);
                if let Some(limit) = &search.adverse {
                    adverse += usize::from(match evaluate(&limit.outcome, series, &mut rng)? {
                        OutcomeValue::Flag(b) => b,
                        OutcomeValue::Time(t) => t.is_some(),
                        OutcomeValue::Number(_) => {
                            return Err(Error::Inconsistent {
                                what: "the adverse event must be a yes/no or time-to-event outcome, not a number".into(),
                            });
                        }
                    });
                }
            }
            metrics.sort_by(f64::total_cmp);
            let n = etas.len() as f64;
            let p_adverse = search.adverse.map(|_| adverse as f64 / n);
            candidates.push(Candidate {
                regimen,
                p_target: attained as f64 / n,
                p_adverse,
                metric_median: quantile_sorted(&metrics, 0.5),
                within_ceiling: match (p_adverse, &search.adverse) {
                    (Some(p), Some(limit)) => p <= limit.ceiling,
                    _ => true,
                },
            });
        }
    }
    candidates.sort_by(|a, b| {
        b.within_ceiling
            .cmp(&a.within_ceiling)
            .then(b.p_target.total_cmp(&a.p_target))
            .then(
                (a.metric_median - centre)
                    .abs()
                    .total_cmp(&(b.metric_median - centre).abs()),
            )
    });
    let chosen = candidates.first().filter(|c| c.within_ceiling).cloned();
    let runners_up = candidates
        .into_iter()
        .skip(usize::from(chosen.is_some()))
        .collect();
    Ok(DoseRecommendation {
        chosen,
        runners_up,
        basis: draws.basis,
    })
}
