//! Forecasts and dosing from a twin's posterior.
//!
//! | you want | use |
//! |---|---|
//! | a regimen to try | [`Regimen`] |
//! | quantile bands and outcome probabilities under a regimen | [`forecast`], [`Forecast`] |
//! | the dose most likely to hit a target under an adverse-event ceiling | [`optimise_dose`], [`DoseSearch`] |
//!
//! Forecasts run the twin's history and then the regimen; their times (the grid, and the
//! windows of outcomes such as `Auc24 { day: 2 }`) count hours from the regimen's start. Each
//! posterior draw of η gives one trajectory ([`Basis::Posterior`]); the MAP point alone
//! ([`Basis::Map`]) gives a point forecast whose probabilities are 0 or 1.

mod dose;
mod predictive;
mod regimen;

pub use dose::{AdverseLimit, Candidate, DoseRecommendation, DoseSearch, optimise_dose};
pub use predictive::{
    Basis, EtaDraws, Forecast, ForecastSettings, NamedOutcome, OutcomeForecast, QUANTILES,
    forecast, quantile_sorted, quantiles,
};
pub use regimen::Regimen;
