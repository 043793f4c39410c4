//! Twins that learn: Bayesian updating of a twin's random effects η from its observations.
//!
//! | you want | use |
//! |---|---|
//! | the posterior as an objective, for any f(η) | [`Objective`], [`Predictor`], [`FnPredictor`] |
//! | a twin's predictions from a model file and a history | [`IndividualModel`], [`History`] |
//! | the mode (MAP) and its Laplace covariance | [`estimate_map`], [`MapEstimate`] |
//! | draws from the full posterior (SIR, MH fallback) | [`sample_posterior`], [`PosteriorSample`] |
//! | update as observations arrive, one at a time | [`SequentialUpdater`], or [`update_map`] from an engine system |
//!
//! The objective is −2·log posterior (see [`objective`]): normal residuals whose variance
//! depends on the prediction (FOCE-I's interaction), log-normal ones for exponential error, and
//! Beal's M3 likelihood for values below the limit of quantification.
//!
//! Inside a running scenario, a twin's component can hold its typical values, its [`History`] and
//! its last [`MapEstimate`] (all owned, no borrows), and a system calls [`update_map`] when a level
//! comes back; outside one, [`SequentialUpdater`] does the same bookkeeping. Each update
//! warm-starts from the previous mode and uses the whole history, so it equals updating with
//! everything at once.
//!
//! ```
//! use std::collections::BTreeMap;
//! use std::path::Path;
//! use twins::bayes::{DoseEvent, Measurement, Observation, SequentialUpdater};
//! use twins::model_file::ModelSpec;
//! use twins::population::PopulationModel;
//!
//! let spec = ModelSpec::parse(r#"(
//!     name: "1-compartment iv",
//!     structure: (compartments: 1, absorption: None, elimination: Linear),
//!     parameters: {"CL": (value: 5.0, unit: "L/h"), "V": (value: 50.0, unit: "L")},
//!     outputs: [(name: "CP", compartment: "central", unit: "mg/L")],
//!     random_effects: (parameters: [(name: "CL"), (name: "V")], omega: [[0.09, 0.0], [0.0, 0.04]]),
//!     residual: {"CP": Proportional(cv: 0.1)},
//! )"#, Path::new("iv.ron"))?;
//! let patient = twins::bayes::PatientData::default();
//! let mut twin = SequentialUpdater::new(&spec, &patient, &BTreeMap::new())?;
//! twin.add_dose(DoseEvent { time: 0.0, amount: 500.0, cmt: 1, rate: 0.0, interval: 0.0,
//!     additional: 0, steady_state: 0, columns: BTreeMap::new() })?;
//! // Lower levels than the typical patient's: clearance is higher.
//! for (t, y) in [(2.0, 6.0), (8.0, 2.5)] {
//!     twin.observe(Observation { time: t, output: "CP".into(), measurement: Measurement::Value(y) })?;
//! }
//! let map = twin.estimate().expect("two updates");
//! assert!(map.converged && map.eta[0] > 0.0);
//! # Ok::<(), twins::Error>(())
//! ```

mod individual;
mod map;
pub mod objective;
mod patient;
mod sampling;

use std::collections::BTreeMap;

pub use crate::model_file::DoseEvent;
pub use individual::{CovariateRecord, History, IndividualModel, Observation};
pub use map::{CovarianceSource, MapEstimate, MapSettings, estimate_map};
pub use objective::{FnPredictor, Measurement, Objective, ObservedValue, Predictor};
pub use patient::PatientData;
pub use sampling::{PosteriorMethod, PosteriorSample, SamplingSettings, sample_posterior};

use crate::course::ParameterCourse;
use crate::error::Result;
use crate::model_file::ModelSpec;

/// One update of a twin's posterior mode: the MAP estimate given the whole `history`,
/// warm-started from `previous` (the last estimate, if any). Stateless, for callers (such as an
/// engine system) that keep the twin's typical values (over time, when its covariates change),
/// history and estimate themselves.
pub fn update_map(
    spec: &ModelSpec,
    typical: &ParameterCourse,
    history: &History,
    previous: Option<&MapEstimate>,
    settings: &MapSettings,
) -> Result<MapEstimate> {
    let model = IndividualModel::from_typical(spec, typical.clone(), history.clone())?;
    estimate_map(
        &model.objective()?,
        previous.map(|e| e.eta.as_slice()),
        settings,
    )
}

/// A twin that updates its posterior as observations arrive, keeping its whole history and
/// warm-starting each search from the previous mode.
#[derive(Debug, Clone)]
pub struct SequentialUpdater<'a> {
    spec: &'a ModelSpec,
    patient: PatientData,
    theta: BTreeMap<String, f64>,
    history: History,
    estimate: Option<MapEstimate>,
    settings: MapSettings,
}

impl<'a> SequentialUpdater<'a> {
    /// A twin of `patient` with no history yet, typical values overridden by `theta`.
    pub fn new(
        spec: &'a ModelSpec,
        patient: &PatientData,
        theta: &BTreeMap<String, f64>,
    ) -> Result<Self> {
        // Fails early when the patient lacks a covariate or the model has no random effects.
        IndividualModel::new(spec, patient, theta, History::default())?;
        Ok(Self {
            spec,
            patient: patient.clone(),
            theta: theta.clone(),
            history: History::default(),
            estimate: None,
            settings: MapSettings::default(),
        })
    }

    /// Continues from a history and, where known, its last mode (e.g. a twin loaded from a file).
    pub fn resume(mut self, history: History, estimate: Option<MapEstimate>) -> Self {
        self.history = history;
        self.estimate = estimate;
        self
    }

    /// Uses other optimiser settings.
    pub fn with_settings(mut self, settings: MapSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Records a dose (the posterior does not change until the next observation), checked
    /// against the model (its compartment and dose inputs).
    pub fn add_dose(&mut self, dose: DoseEvent) -> Result<()> {
        let model = self.model()?;
        self.spec.dose(&dose, model.typical().at(dose.time))?;
        self.history.doses.push(dose);
        Ok(())
    }

    /// Adds an observation and updates the posterior mode over the whole history.
    pub fn observe(&mut self, observation: Observation) -> Result<&MapEstimate> {
        let mut history = self.history.clone();
        history.observations.push(observation);
        self.update_with(history)
    }

    /// Adds doses and observations at once and updates the posterior mode.
    pub fn extend(&mut self, more: &History) -> Result<&MapEstimate> {
        let mut history = self.history.clone();
        history.extend(more);
        self.update_with(history)
    }

    fn model_of(&self, history: History) -> Result<IndividualModel<'a>> {
        IndividualModel::new(self.spec, &self.patient, &self.theta, history)
    }

    fn update_with(&mut self, history: History) -> Result<&MapEstimate> {
        let model = self.model_of(history)?;
        let warm = self.estimate.as_ref().map(|e| e.eta.as_slice());
        let estimate = estimate_map(&model.objective()?, warm, &self.settings)?;
        self.history = model.history().clone();
        Ok(self.estimate.insert(estimate))
    }

    /// The latest posterior mode, once there has been an observation.
    pub fn estimate(&self) -> Option<&MapEstimate> {
        self.estimate.as_ref()
    }

    /// The history so far.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The twin's model with its current history (for forecasts and sampling).
    pub fn model(&self) -> Result<IndividualModel<'a>> {
        self.model_of(self.history.clone())
    }
}
