//! The scenario file as written (RON): a serde mirror, validated by [`super::Scenario::load`].
//!
//! ```ron
//! (
//!     name: "W1: oral 1-compartment, 100 mg q12h",
//!     model: "models/w1.ron",               // relative to this file
//!     population: None,                     // or Some("population.ron")
//!     twins_per_arm: 1000,
//!     replicates: 1,
//!     seed: 1,
//!     duration_h: 336.0,
//!     record_every_h: 1.0,
//!     arms: [(name: "100 mg q12h", regimen: (dose: Fixed(mg: 100.0), every_h: 12.0, doses: 28))],
//!     visits: (every_h: 24.0),
//!     outcomes: [(name: "auc_0_24", output: "CP", definition: Exposure(Auc(from: 0.0, to: 24.0)))],
//! )
//! ```

use std::collections::BTreeMap;

use pk_models::outcomes::Outcome;
use serde::{Deserialize, Serialize};

fn one() -> u32 {
    1
}

fn yes() -> bool {
    true
}

/// The whole scenario file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// A readable name, with the sources of its numbers.
    pub name: String,
    /// The model file, relative to the scenario file.
    pub model: String,
    /// The population description (covariate distributions, ancestry mix, genes), relative to
    /// the scenario file; none means a typical adult for every twin.
    #[serde(default)]
    pub population: Option<String>,
    /// Twins in each arm of each replicate trial.
    pub twins_per_arm: u32,
    /// Replicate trials.
    #[serde(default = "one")]
    pub replicates: u32,
    /// The seed every random stream is keyed by.
    pub seed: u64,
    /// How long each twin is followed (h).
    pub duration_h: f64,
    /// Interval of the recorded trajectory and of `timecourse.csv` (h).
    pub record_every_h: f64,
    /// The arms.
    pub arms: Vec<ArmFile>,
    /// When observations are sampled, with residual error (for rules and observed outcomes).
    #[serde(default)]
    pub visits: Option<VisitsFile>,
    /// Outcomes to evaluate on each twin.
    #[serde(default)]
    pub outcomes: Vec<OutcomeFile>,
    /// The trial-level analysis.
    #[serde(default)]
    pub analysis: AnalysisFile,
    /// Which outputs to write.
    #[serde(default)]
    pub outputs: OutputsFile,
    /// ODE settings for models without an exact solution (with PD, or saturable elimination);
    /// linear models are always solved exactly.
    #[serde(default)]
    pub solver: Option<SolverFile>,
    /// A dose-escalation design instead of parallel arms.
    #[serde(default)]
    pub escalation: Option<EscalationFile>,
}

/// ODE solver settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolverFile {
    /// Relative tolerance (default 1e-8).
    #[serde(default = "default_rtol")]
    pub rtol: f64,
    /// Absolute tolerance in the state's unit, mg for amounts (default 1e-10).
    #[serde(default = "default_atol")]
    pub atol: f64,
    /// Advance the twins of a world that share a model structure together, in lock-step lanes
    /// of one Dormand–Prince 5(4) (default `true`); `false`: one solve per twin. Lanes need
    /// Dopri5 (rtol ≥ 1e-9) and a PK-only model.
    #[serde(default = "default_lanes")]
    pub lanes: bool,
}

fn default_lanes() -> bool {
    true
}

fn default_rtol() -> f64 {
    1e-8
}

fn default_atol() -> f64 {
    1e-10
}

/// One arm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArmFile {
    /// Arm name (unique).
    pub name: String,
    /// The regimen.
    pub regimen: RegimenFile,
    /// Dosing rules applied at visits.
    #[serde(default)]
    pub rules: Vec<RuleFile>,
}

/// A regimen: how much, where, how often, how many.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegimenFile {
    /// How the dose amount is chosen for each twin.
    pub dose: DoseFile,
    /// The dosed compartment's name; by default the model's first compartment (the depot of an
    /// oral model, the central compartment of an IV one).
    #[serde(default)]
    pub compartment: Option<String>,
    /// Infusion duration (h); none means a bolus (or oral dose).
    #[serde(default)]
    pub infusion_h: Option<f64>,
    /// Dosing interval (h).
    pub every_h: f64,
    /// Number of doses (including loading doses).
    pub doses: u32,
    /// Time of the first dose (h).
    #[serde(default)]
    pub start_h: f64,
    /// Loading doses at the start: `(mg, doses)`, each replacing a maintenance dose.
    #[serde(default)]
    pub loading: Option<LoadingFile>,
}

/// Loading doses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadingFile {
    /// How the loading amount is chosen.
    pub dose: DoseFile,
    /// How many of the first doses are loading doses.
    pub doses: u32,
}

/// How a dose amount is chosen for a twin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum DoseFile {
    /// The same amount for everyone (mg).
    Fixed {
        /// Amount (mg).
        mg: f64,
    },
    /// By body weight (mg/kg), optionally capped (mg).
    PerKg {
        /// Amount per kg of total body weight (mg/kg).
        mg_per_kg: f64,
        /// Largest dose (mg).
        #[serde(default)]
        max_mg: Option<f64>,
    },
    /// By body-surface area (mg/m²).
    PerM2 {
        /// Amount per m² (mg/m²).
        mg_per_m2: f64,
    },
    /// By the twin's phenotype of one gene: another dose rule per phenotype, with a default.
    ByPhenotype {
        /// Gene name.
        gene: String,
        /// Dose rule per phenotype name, e.g. `{"Expresser": PerKg(mg_per_kg: 0.075)}`.
        doses: BTreeMap<String, DoseFile>,
        /// Dose rule for phenotypes not listed.
        default: Box<DoseFile>,
    },
    /// Warfarin by the IWPC pharmacogenetic algorithm (NEJM 2009; 360:753–764): daily dose (mg)
    /// = weekly dose / 7, rounded to `round_mg`.
    Iwpc {
        /// Rounding step (mg), e.g. 0.5.
        #[serde(default)]
        round_mg: Option<f64>,
    },
}

/// A dosing rule applied at each visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum RuleFile {
    /// Adjust the dose from an observed output by a table of bands: the first band whose
    /// `below` exceeds the observation applies (INR-guided warfarin titration).
    Titrate {
        /// The observed output (e.g. `INR`).
        output: String,
        /// Bands in increasing `below`.
        bands: Vec<BandFile>,
        /// Round new doses to this step (mg).
        #[serde(default)]
        round_mg: Option<f64>,
        /// Smallest dose (mg).
        #[serde(default)]
        min_mg: Option<f64>,
        /// Largest dose (mg).
        #[serde(default)]
        max_mg: Option<f64>,
    },
    /// Scale the dose by target / observed at the given visits (linear PK: a trough or level
    /// target, e.g. tacrolimus, or a vancomycin level).
    ToTarget {
        /// The observed output.
        output: String,
        /// The target, in the output's unit.
        target: f64,
        /// Visit numbers (from 0) at which to adjust; empty means every visit.
        #[serde(default)]
        at_visits: Vec<u32>,
        /// Round new doses to this step (mg).
        #[serde(default)]
        round_mg: Option<f64>,
        /// Largest dose (mg).
        #[serde(default)]
        max_mg: Option<f64>,
    },
    /// Scale the dose to an AUC24 target estimated from the last two levels by one-compartment
    /// first-order equations over the dosing history (vancomycin; see
    /// [`crate::dosing::level_based_auc24`]): new dose = dose·target/AUC24.
    ToTargetAuc {
        /// The observed concentration output.
        output: String,
        /// AUC24 target (output unit × h).
        target_auc24: f64,
        /// Visit numbers (from 0) at which to adjust (the second level's visit); empty: every
        /// visit with two levels in the same interval.
        #[serde(default)]
        at_visits: Vec<u32>,
        /// Round new doses to this step (mg).
        #[serde(default)]
        round_mg: Option<f64>,
        /// Largest dose (mg).
        #[serde(default)]
        max_mg: Option<f64>,
    },
    /// Model-informed precision dosing: at the given visits, update the twin's posterior mode
    /// (MAP Bayes over every dose and every observation of `output` so far, from the population
    /// prior of the scenario's model), predict the steady-state AUC24 of the current maintenance
    /// dose with the twin's updated parameters, and scale the dose to `target_auc24`.
    MapGuided {
        /// The observed output the update uses.
        output: String,
        /// AUC24 target (output unit × h).
        target_auc24: f64,
        /// Visit numbers (from 0) at which to update and adjust; empty: every visit.
        #[serde(default)]
        at_visits: Vec<u32>,
        /// Round new doses to this step (mg).
        #[serde(default)]
        round_mg: Option<f64>,
        /// Largest dose (mg).
        #[serde(default)]
        max_mg: Option<f64>,
    },
    /// After an adverse event (a threshold outcome seen at a visit): hold doses and reduce.
    AfterEvent {
        /// The outcome's name (a `threshold` outcome).
        outcome: String,
        /// Doses to skip.
        #[serde(default)]
        hold_doses: u32,
        /// Fractional reduction of later doses (0.25 = 25% less).
        #[serde(default)]
        reduce_by: f64,
    },
}

/// One band of a titration table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BandFile {
    /// Upper bound (exclusive) of the observation for this band.
    pub below: f64,
    /// Fractional dose change (0.1 = +10%, −0.1 = −10%).
    #[serde(default)]
    pub change: f64,
    /// Doses to skip.
    #[serde(default)]
    pub hold_doses: u32,
}

/// Visit schedule: regular visits, and/or listed times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitsFile {
    /// Interval between regular visits (h).
    #[serde(default)]
    pub every_h: Option<f64>,
    /// First regular visit (h).
    #[serde(default)]
    pub from_h: f64,
    /// Extra visit times (h).
    #[serde(default)]
    pub at_h: Vec<f64>,
}

/// An outcome evaluated on each twin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeFile {
    /// Name (unique), used by rules and in outputs.
    pub name: String,
    /// The model output it reads (e.g. `CP`, `INR`).
    pub output: String,
    /// The unit the definition's levels and targets are written in; when given, it must be the
    /// model output's unit (a guard against a target in mg/L on an output in µg/L).
    #[serde(default)]
    pub unit: Option<String>,
    /// The definition.
    pub definition: Outcome,
    /// Evaluate on the observations (visits, with residual error) instead of the true trajectory.
    #[serde(default)]
    pub observed: bool,
    /// An adverse event: reported as an adverse-event rate.
    #[serde(default)]
    pub adverse: bool,
}

/// The trial-level analysis.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisFile {
    /// Compare two arms on an outcome: power is the fraction of replicates where the difference
    /// (second minus first) is significant at `alpha` in the direction asked.
    #[serde(default)]
    pub comparisons: Vec<ComparisonFile>,
    /// An interim look after a fraction of each arm's twins.
    #[serde(default)]
    pub interim: Option<InterimFile>,
}

/// A between-arm comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComparisonFile {
    /// The outcome compared.
    pub outcome: String,
    /// The reference arm.
    pub control: String,
    /// The experimental arm.
    pub treatment: String,
    /// Success means treatment > control (`true`) or treatment < control (`false`).
    #[serde(default = "yes")]
    pub higher_is_better: bool,
    /// Two-sided significance level.
    #[serde(default = "alpha")]
    pub alpha: f64,
}

fn alpha() -> f64 {
    0.05
}

/// An interim look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterimFile {
    /// Which comparison (index into `comparisons`).
    #[serde(default)]
    pub comparison: usize,
    /// Fraction of each arm's twins observed at the interim.
    pub fraction: f64,
    /// Stop for futility when the one-sided z statistic is below this.
    pub futility_z: f64,
    /// Stop for efficacy when the one-sided z statistic is above this.
    pub efficacy_z: f64,
}

/// Outputs wanted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputsFile {
    /// `timecourse.csv`: per arm and time, quantiles of each output.
    #[serde(default = "yes")]
    pub timecourse: bool,
    /// `twins.csv`: one row per twin.
    #[serde(default = "yes")]
    pub twins: bool,
    /// `trajectories.csv`: every twin's recorded trajectory, first replicate only.
    #[serde(default)]
    pub trajectories: bool,
}

impl Default for OutputsFile {
    fn default() -> Self {
        Self {
            timecourse: true,
            twins: true,
            trajectories: false,
        }
    }
}

/// A 3+3 dose escalation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationFile {
    /// Dose levels (mg), increasing.
    pub levels_mg: Vec<f64>,
    /// The dose-limiting-toxicity outcome (a `logistic` or `threshold` outcome, flagged per twin).
    pub dlt_outcome: String,
    /// Regimen shape; its dose is replaced by the level's.
    pub regimen: RegimenFile,
}
