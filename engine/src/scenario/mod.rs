//! Scenario files: read raw ([`mod@file`]), then validated into typed values ([`Scenario`]).
//!
//! Every mistake is an [`Error::Scenario`] naming the file, the line and column where they can be
//! found, the field path (`arms[1].regimen.every_h`) and what was expected.

pub mod file;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pk_models::outcomes::Outcome;
use twins::model_file::ModelSpec;
use twins::population::PopulationModel;

use crate::Error;
pub use file::ScenarioFile;

/// A validated scenario, with its model and population loaded.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file it came from.
    pub path: PathBuf,
    /// Its name.
    pub name: String,
    /// The seed every random stream is keyed by.
    pub seed: u64,
    /// Replicate trials.
    pub replicates: u32,
    /// Twins per arm per replicate.
    pub twins_per_arm: u32,
    /// Follow-up (h).
    pub duration_h: f64,
    /// Times at which each twin's outputs are recorded (h), ending at `duration_h`.
    pub record_times: Vec<f64>,
    /// Visit times (h), sorted.
    pub visits: Vec<f64>,
    /// The model.
    pub model: Arc<ModelSpec>,
    /// The population description (a typical adult for every twin when the file names none).
    pub population: Arc<PopulationModel>,
    /// The arms.
    pub arms: Vec<Arm>,
    /// The outcomes.
    pub outcomes: Vec<OutcomeDef>,
    /// Comparisons between arms.
    pub comparisons: Vec<Comparison>,
    /// The interim look, if any.
    pub interim: Option<file::InterimFile>,
    /// Outputs wanted.
    pub outputs: file::OutputsFile,
    /// ODE settings for twins' nonlinear models; none means pk_models' automatic path (exact
    /// PK with the PD on the ODE solver where the PK is linear, default settings).
    pub solver: Option<pk_models::SolverSettings>,
    /// Whether ODE twins are advanced in lock-step lanes (the scenario's `solver.lanes`).
    pub lanes: bool,
    /// A 3+3 escalation, if this scenario is one.
    pub escalation: Option<Escalation>,
    /// Output names of the model, in order.
    pub output_names: Vec<String>,
    /// Output units of the model, in order.
    pub output_units: Vec<String>,
    /// FNV-1a hash of the scenario, model and population files' bytes.
    pub files_hash: u64,
    /// What validation filled in because a file said so (a model's covariate defaults), for the
    /// user to read: the command line prints them.
    pub notes: Vec<String>,
}

/// A validated arm.
#[derive(Debug, Clone)]
pub struct Arm {
    /// Name.
    pub name: String,
    /// Regimen.
    pub regimen: Regimen,
    /// Rules.
    pub rules: Vec<Rule>,
}

/// A validated regimen.
#[derive(Debug, Clone)]
pub struct Regimen {
    /// Maintenance dose.
    pub dose: file::DoseFile,
    /// Dosed state slot.
    pub compartment: usize,
    /// Infusion duration (h), if an infusion.
    pub infusion_h: Option<f64>,
    /// Interval (h).
    pub every_h: f64,
    /// Number of doses.
    pub doses: u32,
    /// First dose time (h).
    pub start_h: f64,
    /// Loading doses.
    pub loading: Option<file::LoadingFile>,
}

/// A validated rule.
#[derive(Debug, Clone)]
pub enum Rule {
    /// Titration table on an output.
    Titrate {
        /// Output index.
        output: usize,
        /// Bands.
        bands: Vec<file::BandFile>,
        /// Rounding (mg).
        round_mg: Option<f64>,
        /// Bounds (mg).
        min_mg: Option<f64>,
        /// Bounds (mg).
        max_mg: Option<f64>,
    },
    /// Proportional adjustment to a target.
    ToTarget {
        /// Output index.
        output: usize,
        /// Target.
        target: f64,
        /// Visits at which to adjust (empty: all).
        at_visits: Vec<u32>,
        /// Rounding (mg).
        round_mg: Option<f64>,
        /// Largest dose (mg).
        max_mg: Option<f64>,
    },
    /// Proportional adjustment to an AUC24 target from two levels (first-order equations).
    ToTargetAuc {
        /// Output index.
        output: usize,
        /// AUC24 target.
        target_auc24: f64,
        /// Visits at which to adjust (empty: all).
        at_visits: Vec<u32>,
        /// Rounding (mg).
        round_mg: Option<f64>,
        /// Largest dose (mg).
        max_mg: Option<f64>,
    },
    /// MAP-guided dosing to an AUC24 target.
    MapGuided {
        /// Output index.
        output: usize,
        /// AUC24 target.
        target_auc24: f64,
        /// Visits at which to update (empty: all).
        at_visits: Vec<u32>,
        /// Rounding (mg).
        round_mg: Option<f64>,
        /// Largest dose (mg).
        max_mg: Option<f64>,
    },
    /// Hold and reduce after an adverse event.
    AfterEvent {
        /// Outcome index.
        outcome: usize,
        /// Doses to skip.
        hold_doses: u32,
        /// Fractional reduction.
        reduce_by: f64,
    },
}

/// A validated outcome.
#[derive(Debug, Clone)]
pub struct OutcomeDef {
    /// Name.
    pub name: String,
    /// Output index it reads.
    pub output: usize,
    /// Definition.
    pub definition: Outcome,
    /// On observations rather than the true trajectory.
    pub observed: bool,
    /// An adverse event.
    pub adverse: bool,
}

/// A validated comparison.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Outcome index.
    pub outcome: usize,
    /// Control arm index.
    pub control: usize,
    /// Treatment arm index.
    pub treatment: usize,
    /// Direction of benefit.
    pub higher_is_better: bool,
    /// Significance level.
    pub alpha: f64,
}

/// A validated 3+3 escalation.
#[derive(Debug, Clone)]
pub struct Escalation {
    /// Dose levels (mg).
    pub levels_mg: Vec<f64>,
    /// The DLT outcome index.
    pub dlt_outcome: usize,
    /// Regimen shape.
    pub regimen: Regimen,
}

/// Command-line overrides of a scenario's seed and replicate count.
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides {
    /// Replaces `seed`.
    pub seed: Option<u64>,
    /// Replaces `replicates`.
    pub replicates: Option<u32>,
}

impl Scenario {
    /// Reads and validates a scenario file, loading the model and population it names.
    pub fn load(path: impl AsRef<Path>, overrides: Overrides) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::scenario(
                path.to_owned(),
                None,
                "(file)",
                format!("cannot read the scenario file: {e}"),
            )
        })?;
        let mut scenario = validate::validate(path, &text)?;
        if let Some(seed) = overrides.seed {
            scenario.seed = seed;
        }
        if let Some(replicates) = overrides.replicates {
            if replicates == 0 {
                return Err(Error::scenario(
                    path.to_owned(),
                    None,
                    "--replicates",
                    "expected at least 1 replicate",
                ));
            }
            scenario.replicates = replicates;
        }
        Ok(scenario)
    }

    /// Index of the output called `name`.
    pub fn output_index(&self, name: &str) -> Option<usize> {
        self.output_names.iter().position(|o| o == name)
    }

    /// Outcome names in order.
    pub fn outcome_names(&self) -> impl Iterator<Item = &str> {
        self.outcomes.iter().map(|o| o.name.as_str())
    }

    /// Summary of the arms by name, for messages.
    pub fn arm_index(&self) -> BTreeMap<&str, usize> {
        self.arms
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.as_str(), i))
            .collect()
    }
}
