//! Components of a twin entity and resources of a cohort world.

use std::sync::Arc;

use bevy_ecs::prelude::*;
use pk_models::outcomes::OutcomeValue;
use twins::course::{CourseSubject, ParameterCourse};
use twins::population::Patient;
use twins::random::{Purpose, TwinKey, TwinRng};

use crate::Error;
use crate::scenario::{Regimen, Scenario};

/// Who the twin is: its index in the arm, covariates and genotypes.
#[derive(Component, Debug, Clone)]
pub struct Twin {
    /// Index within the arm (the twin part of its random-stream key).
    pub index: u32,
    /// Covariates, genotypes and etas.
    pub patient: Patient,
}

/// The twin's model as its parameters change (its covariate course), its compartment (and PD)
/// state, infusions in progress and doses pending.
#[derive(Component, Debug, Clone)]
pub struct Body {
    /// The model in force, the pk_models subject and the switches still to come.
    pub course: CourseSubject,
    /// The scenario's outputs as reads of single state slots, when none is a PD effect and the
    /// parameters never change ([`twins::model_file::ModelSpec::output_reads`]).
    pub reads: Option<Vec<twins::model_file::OutputRead>>,
}

/// What the twin's model believes of it, for MAP-guided dosing: its typical values (covariate
/// and genotype effects applied, no random effects; over time when its covariates change) and
/// its last posterior mode.
#[derive(Component, Debug, Clone)]
pub struct Belief {
    /// Typical values by parameter name, over time; none unless an arm's rule needs them.
    pub typical: Option<ParameterCourse>,
    /// The last MAP estimate, if updated.
    pub estimate: Option<twins::bayes::MapEstimate>,
}

/// What the twin is due to receive.
#[derive(Component, Debug, Clone)]
pub struct DosePlan {
    /// Index of the next dose of the regimen.
    pub next: u32,
    /// Maintenance dose (mg), as adjusted by rules.
    pub maintenance_mg: f64,
    /// Loading dose (mg).
    pub loading_mg: f64,
    /// Doses still to skip.
    pub hold: u32,
    /// Doses given: (time h, amount mg).
    pub given: Vec<(f64, f64)>,
}

/// Observations at visits, with residual error: times (h) and, row-major, one value per output.
#[derive(Component, Debug, Clone, Default)]
pub struct Observed {
    /// Visit times (h).
    pub times: Vec<f64>,
    /// `times.len() × n_outputs` values.
    pub values: Vec<f64>,
}

/// The true outputs at each record time, row-major `record_times × n_outputs`.
#[derive(Component, Debug, Clone, Default)]
pub struct Recorded(pub Vec<f64>);

/// The twin's own random streams for things that happen during the run.
#[derive(Component, Debug)]
pub struct Streams {
    /// The twin's key.
    key: TwinKey,
    /// Residual error of observations, once drawn from.
    residual: Option<TwinRng>,
    /// Draws for probabilistic outcomes, once drawn from.
    events: Option<TwinRng>,
}

impl Streams {
    /// The streams of the twin `key`, each started when first drawn from (a stream is a
    /// function of the key and its purpose only, so when it starts changes no number, and twins
    /// that never draw carry 24 bytes instead of two generators' buffers).
    pub fn new(key: TwinKey) -> Self {
        Self {
            key,
            residual: None,
            events: None,
        }
    }

    /// The stream of residual errors.
    pub fn residual(&mut self) -> &mut TwinRng {
        let key = self.key;
        self.residual
            .get_or_insert_with(|| key.stream(Purpose::Residual))
    }

    /// The stream of draws for probabilistic outcomes.
    pub fn events(&mut self) -> &mut TwinRng {
        let key = self.key;
        self.events
            .get_or_insert_with(|| key.stream(Purpose::Events))
    }
}

/// Outcome values (filled at the last tick) and which event rules have fired.
#[derive(Component, Debug, Clone, Default)]
pub struct Outcomes {
    /// One value per scenario outcome.
    pub values: Vec<OutcomeValue>,
    /// Per rule of the arm: whether it has fired (event rules fire once).
    pub fired: Vec<bool>,
}

/// The cohort's clock: the tick being processed.
#[derive(Resource, Debug, Clone, Default)]
pub struct Clock {
    /// The previous tick's time (h).
    pub previous: f64,
    /// This tick's time (h).
    pub now: f64,
    /// The record times to take on the way to `now` (indices into the scenario's record times):
    /// those after the previous tick, up to and including `now`.
    pub records: std::ops::Range<usize>,
    /// Index into the scenario's visits when this tick is a visit.
    pub visit: Option<usize>,
    /// Whether this is the last tick.
    pub last: bool,
}

/// What this world simulates.
#[derive(Resource, Debug, Clone)]
pub struct Cohort {
    /// The scenario.
    pub scenario: Arc<Scenario>,
    /// Arm index.
    pub arm: usize,
    /// Replicate index.
    pub replicate: u32,
    /// The regimen (the arm's, or an escalation level's).
    pub regimen: Regimen,
}

/// The first error a system met; the run stops at the end of the tick.
#[derive(Resource, Debug, Default)]
pub struct Failure(pub Option<Error>);

impl Failure {
    /// Keeps the first error.
    pub fn set(&mut self, error: Error) {
        if self.0.is_none() {
            self.0 = Some(error);
        }
    }
}
