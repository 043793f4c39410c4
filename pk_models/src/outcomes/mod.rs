//! Outcomes: declarative definitions a scenario file can name, evaluated on a twin's trajectory.
//!
//! An outcome looks at one variable as a [`Series`] (sample times and values, read as the
//! piecewise-linear function through them): a concentration for exposure, a biomarker (INR, ANC)
//! for time in range and threshold events, an effect for hazards. Where it needs a random draw,
//! the caller passes it in [`Draws`] (the engine takes it from the twin's own stream).
//!
//! | outcome | definition | value |
//! |---|---|---|
//! | AUC, AUC24, Cmax, Cmin, value at a time, time above a level | [`Exposure`] | number |
//! | a metric inside a target range | [`TargetAttainment`] | yes/no |
//! | fraction of time in a range (Rosendaal, or dense trajectory) | [`TimeInRange`] | fraction |
//! | first sustained crossing of a level | [`ThresholdEvent`] | onset time or none |
//! | logistic probability of an event from a metric | [`LogisticEvent`] | yes/no (uniform draw) |
//! | time to event from a hazard h0·exp(β·E(t)) | [`HazardEvent`] | event time or none (exponential draw) |
//!
//! AUC is exact with a running-integral state ([`PkPd::with_exposure_integral`](crate::PkPd::with_exposure_integral))
//! passed as `cumulative`, or by the trapezoid rule on the series (dense with
//! [`with_observation_grid`]).
//!
//! ```
//! use pk_models::outcomes::{Draws, Outcome, OutcomeValue, RangeMethod, Series, TimeInRange};
//! let days = [0.0, 240.0];
//! let inr = [1.5, 3.5];
//! let tir = Outcome::TimeInRange(TimeInRange {
//!     low: 2.0, high: 3.0, from: 0.0, to: 240.0, method: RangeMethod::Rosendaal,
//! });
//! let value = tir.evaluate(Series::new(&days, &inr)?, None, Draws::default())?;
//! assert_eq!(value, OutcomeValue::Number(0.5));
//! # Ok::<(), pk_models::Error>(())
//! ```

mod events;
mod exposure;
mod range;
mod series;
mod threshold;

use serde::{Deserialize, Serialize};

pub use events::{HazardEvent, LogisticEvent};
pub use exposure::{Exposure, TargetAttainment};
pub use range::{RangeMethod, TimeInRange};
pub use series::{Series, with_observation_grid};
pub use threshold::{Direction, ThresholdEvent};

use crate::Error;

/// Any outcome definition.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Outcome {
    /// An exposure metric.
    Exposure(Exposure),
    /// A metric inside a range.
    TargetAttainment(TargetAttainment),
    /// Fraction of time in a range.
    TimeInRange(TimeInRange),
    /// First sustained crossing of a level.
    Threshold(ThresholdEvent),
    /// A logistic event (needs a uniform draw).
    Logistic(LogisticEvent),
    /// A time-to-event hazard (needs a standard-exponential draw).
    Hazard(HazardEvent),
}

/// Random draws for probabilistic outcomes, supplied by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Draws {
    /// A uniform draw in (0, 1), for [`LogisticEvent`].
    pub uniform: Option<f64>,
    /// A standard-exponential draw (> 0), for [`HazardEvent`].
    pub exponential: Option<f64>,
}

/// What an outcome evaluates to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeValue {
    /// A metric or a fraction.
    Number(f64),
    /// Whether the event happened or the target was met.
    Flag(bool),
    /// The time of the event (h), or `None` when it did not happen within the series.
    Time(Option<f64>),
}

impl Outcome {
    /// Evaluates the outcome on `series`; `cumulative`, when given, is the running integral of
    /// the series, for exact AUC; `draws` supplies the random draw a probabilistic outcome needs.
    pub fn evaluate(
        &self,
        series: Series<'_>,
        cumulative: Option<Series<'_>>,
        draws: Draws,
    ) -> Result<OutcomeValue, Error> {
        Ok(match self {
            Self::Exposure(metric) => OutcomeValue::Number(match cumulative {
                Some(c) => metric.evaluate_exact(series, c)?,
                None => metric.evaluate(series)?,
            }),
            Self::TargetAttainment(target) => OutcomeValue::Flag(match cumulative {
                Some(c) => target.evaluate_exact(series, c)?,
                None => target.evaluate(series)?,
            }),
            Self::TimeInRange(tir) => OutcomeValue::Number(tir.fraction(series)?),
            Self::Threshold(event) => OutcomeValue::Time(event.onset(series)?),
            Self::Logistic(event) => {
                let u = draws.uniform.unwrap_or(f64::NAN);
                OutcomeValue::Flag(event.occurs(series, u)?)
            }
            Self::Hazard(event) => {
                let epsilon = draws.exponential.unwrap_or(f64::NAN);
                OutcomeValue::Time(event.event_time(series, epsilon)?)
            }
        })
    }
}
