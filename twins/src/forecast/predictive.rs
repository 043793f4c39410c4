//! Posterior-predictive forecasts: a twin's output under a regimen, simulated for every posterior
//! draw of η (or for the MAP point alone), summarised as quantile bands over a time grid and as
//! outcome probabilities.

use pk_models::outcomes::{Draws, Outcome, OutcomeValue, Series};
use rand::{Rng, RngExt};
use rand_distr::Exp1;
use serde::{Deserialize, Serialize};

use super::Regimen;
use crate::bayes::{IndividualModel, PosteriorMethod, PosteriorSample};
use crate::error::{Error, Result};
use crate::random::stream_from_seed;
use crate::variability::RandomEffects;

/// The quantiles reported for every band and numeric outcome.
pub const QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// The time grid and output of a forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastSettings {
    /// Hours after the regimen's start to forecast.
    pub horizon: f64,
    /// Grid step (h). AUCs are taken by the trapezoid rule on this grid: 0.25 h puts the error
    /// of a 1-h infusion's AUC24 well below 0.1%.
    pub step: f64,
    /// The output forecast and fed to outcomes; `None` for the model's first output.
    pub output: Option<String>,
    /// Seed of the random draws probabilistic outcomes (logistic, hazard) need.
    pub seed: u64,
}

impl Default for ForecastSettings {
    fn default() -> Self {
        Self {
            horizon: 72.0,
            step: 0.25,
            output: None,
            seed: 1,
        }
    }
}

/// An outcome with a name for reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedOutcome {
    /// A name (`auc24_day2`, `nephrotoxicity`, ...).
    pub name: String,
    /// The definition; its times are hours after the regimen's start.
    pub outcome: Outcome,
}

/// What the forecast's η came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Basis {
    /// The MAP point alone: outcome probabilities are 0 or 1.
    Map,
    /// Draws from the prior, η ~ N(0, Ω): a twin with no observations yet.
    Prior {
        /// Number of draws.
        draws: usize,
    },
    /// Draws from the full posterior.
    Posterior {
        /// Number of draws.
        draws: usize,
        /// How they were made.
        method: PosteriorMethod,
    },
}

/// Draws of η and what they stand for.
#[derive(Debug, Clone, PartialEq)]
pub struct EtaDraws {
    /// The draws, each in the order of the model's random effects.
    pub etas: Vec<Vec<f64>>,
    /// Where they came from.
    pub basis: Basis,
}

impl EtaDraws {
    /// The MAP point alone.
    pub fn map(eta: Vec<f64>) -> Self {
        Self {
            etas: vec![eta],
            basis: Basis::Map,
        }
    }

    /// The equally weighted draws of a posterior sample.
    pub fn posterior(sample: &PosteriorSample) -> Self {
        Self {
            etas: sample.draws.clone(),
            basis: Basis::Posterior {
                draws: sample.draws.len(),
                method: sample.method,
            },
        }
    }

    /// `n` draws from the prior N(0, Ω) of `effects`, seeded by `seed`.
    pub fn prior(effects: &RandomEffects, n: usize, seed: u64) -> Self {
        let mut rng = stream_from_seed(seed);
        let etas: Vec<Vec<f64>> = (0..n).map(|_| effects.sample(&mut rng)).collect();
        Self {
            basis: Basis::Prior { draws: etas.len() },
            etas,
        }
    }
}

/// One outcome's forecast over the draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeForecast {
    /// The outcome's name.
    pub name: String,
    /// For yes/no outcomes the fraction of draws where it happened; for time-to-event outcomes
    /// the fraction with an event within the horizon; `None` for numeric outcomes.
    pub probability: Option<f64>,
    /// For numeric outcomes (AUC, time in range) their [`QUANTILES`].
    pub quantiles: Option<[f64; 5]>,
}

/// A posterior-predictive forecast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// The regimen.
    pub regimen: Regimen,
    /// The output forecast.
    pub output: String,
    /// Grid times, hours after the regimen's start.
    pub times: Vec<f64>,
    /// [`QUANTILES`] of the output at each grid time.
    pub bands: Vec<[f64; 5]>,
    /// Outcomes.
    pub outcomes: Vec<OutcomeForecast>,
    /// Where η came from.
    pub basis: Basis,
}

/// The q-quantile of sorted values, linear between order statistics (R's type 7).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// [`QUANTILES`] of `values` (sorted in place).
pub fn quantiles(values: &mut [f64]) -> [f64; 5] {
    values.sort_by(f64::total_cmp);
    QUANTILES.map(|q| quantile_sorted(values, q))
}

/// The index of `settings.output` among the model's outputs (the first when none is named).
pub(crate) fn output_index(
    model: &IndividualModel<'_>,
    settings: &ForecastSettings,
) -> Result<(usize, String)> {
    let names: Vec<&str> = model.spec().output_names().collect();
    match &settings.output {
        None => names
            .first()
            .map(|n| (0, (*n).to_owned()))
            .ok_or_else(|| Error::Inconsistent {
                what: "the model has no outputs to forecast".into(),
            }),
        Some(name) => names
            .iter()
            .position(|n| n == name)
            .map(|i| (i, name.clone()))
            .ok_or_else(|| Error::Undefined {
                name: name.clone(),
                context: format!("the forecast (model outputs: {})", names.join(", ")),
            }),
    }
}

/// The absolute grid times and their offsets from the regimen's start.
pub(crate) fn grid(regimen: &Regimen, settings: &ForecastSettings) -> Result<(Vec<f64>, Vec<f64>)> {
    if !(settings.horizon.is_finite() && settings.horizon > 0.0) {
        return Err(Error::InvalidValue {
            name: "forecast horizon".into(),
            value: settings.horizon,
            expected: "a finite number of hours > 0",
        });
    }
    if !(settings.step.is_finite()
        && settings.step > 0.0
        && settings.horizon / settings.step <= 1e6)
    {
        return Err(Error::InvalidValue {
            name: "forecast step".into(),
            value: settings.step,
            expected: "a finite step > 0 h, at most 10^6 per horizon",
        });
    }
    let n = (settings.horizon / settings.step).round() as usize;
    let relative: Vec<f64> = (0..=n).map(|k| k as f64 * settings.step).collect();
    let absolute = relative.iter().map(|t| t + regimen.start).collect();
    Ok((absolute, relative))
}

/// Evaluates `outcome` on one draw's series, with its random draws from `rng`.
pub(crate) fn evaluate<R: Rng + ?Sized>(
    outcome: &Outcome,
    series: Series<'_>,
    rng: &mut R,
) -> Result<OutcomeValue> {
    let draws = Draws {
        uniform: Some(rng.random::<f64>().max(f64::MIN_POSITIVE)),
        exponential: Some(rng.sample::<f64, _>(Exp1).max(f64::MIN_POSITIVE)),
    };
    Ok(outcome.evaluate(series, None, draws)?)
}

/// Forecasts `model` under `regimen` for every η of `draws`.
pub fn forecast(
    model: &IndividualModel<'_>,
    draws: &EtaDraws,
    regimen: &Regimen,
    outcomes: &[NamedOutcome],
    settings: &ForecastSettings,
) -> Result<Forecast> {
    regimen.validate()?;
    let etas = &draws.etas;
    if etas.is_empty() {
        return Err(Error::NotEnoughData {
            what: "a forecast needs at least one draw of the random effects".into(),
        });
    }
    let (output_index, output) = output_index(model, settings)?;
    let (absolute, relative) = grid(regimen, settings)?;
    let extra = regimen.events();
    let mut rng = stream_from_seed(settings.seed);
    let mut columns = vec![Vec::with_capacity(etas.len()); absolute.len()];
    let mut results: Vec<Vec<OutcomeValue>> = vec![Vec::with_capacity(etas.len()); outcomes.len()];
    let mut values = Vec::with_capacity(absolute.len());
    for eta in etas {
        model.output_at(eta, &extra, &absolute, output_index, &mut values)?;
        for (column, v) in columns.iter_mut().zip(&values) {
            column.push(*v);
        }
        let series = Series::new(&relative, &values)?;
        for (named, out) in outcomes.iter().zip(results.iter_mut()) {
            out.push(evaluate(&named.outcome, series, &mut rng)?);
        }
    }
    let bands = columns.iter_mut().map(|c| quantiles(c)).collect();
    let outcomes = outcomes
        .iter()
        .zip(results)
        .map(|(named, values)| summarise(&named.name, &values))
        .collect();
    Ok(Forecast {
        regimen: *regimen,
        output,
        times: relative,
        bands,
        outcomes,
        basis: draws.basis,
    })
}

/// Probability or quantiles of one outcome over the draws.
fn summarise(name: &str, values: &[OutcomeValue]) -> OutcomeForecast {
    let n = values.len().max(1) as f64;
    let mut numbers = Vec::new();
    let mut events = 0usize;
    let mut binary = false;
    for v in values {
        match v {
            OutcomeValue::Number(x) => numbers.push(*x),
            OutcomeValue::Flag(b) => {
                binary = true;
                events += usize::from(*b);
            }
            OutcomeValue::Time(t) => {
                binary = true;
                events += usize::from(t.is_some());
            }
        }
    }
    OutcomeForecast {
        name: name.to_owned(),
        probability: binary.then(|| events as f64 / n),
        quantiles: (!numbers.is_empty()).then(|| quantiles(&mut numbers)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// R: quantile(c(1, 2, 3, 4, 10), c(.05, .25, .5, .75, .95), type = 7).
    #[test]
    fn quantiles_match_r_type_7() {
        let q = quantiles(&mut [10.0, 2.0, 4.0, 1.0, 3.0]);
        let r = [1.2, 2.0, 3.0, 4.0, 8.8];
        for (a, b) in q.iter().zip(r) {
            assert!((a - b).abs() < 1e-12, "{q:?}");
        }
    }

    #[test]
    fn flags_and_event_times_become_probabilities() {
        let values = [
            OutcomeValue::Time(Some(3.0)),
            OutcomeValue::Time(None),
            OutcomeValue::Time(Some(1.0)),
            OutcomeValue::Time(None),
        ];
        let summary = summarise("event", &values);
        assert_eq!(summary.probability, Some(0.5));
        assert_eq!(summary.quantiles, None);
    }
}
