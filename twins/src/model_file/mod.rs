//! The model file (RON): a structural model, its parameter values with units, its outputs, and
//! where each compartment's lag time, bioavailability, modelled rate and modelled duration come
//! from. `twinsim simulate` reads it; the population model extends it.
//!
//! ```ron
//! (
//!     name: "1-compartment oral",
//!     structure: (compartments: 1, absorption: FirstOrder, elimination: Linear),
//!     parameters: {
//!         "CL": (value: 1.1, unit: "L/h"),
//!         "V": (value: 20.0, unit: "L"),
//!         "KA": (value: 1.5, unit: "1/h"),
//!     },
//!     outputs: [(name: "CP", compartment: "central", scale: 1000.0, unit: "ug/L")],
//!     dose_inputs: [(compartment: "central", lag: Column("LAGT"), bioavailability: Column("BIOAV"))],
//! )
//! ```
//!
//! An optional `pd` section couples a PD model to the central concentration (see [`pd`](crate::model_file::pd)): its
//! parameters are model parameters, so they take effects and random effects like PK ones, and
//! outputs may then be the PD effect (`kind: Effect`, e.g. INR or ANC), a PD state
//! (`kind: State`), or the running AUC (`kind: Auc`).
//!
//! ```ron
//! (
//!     name: "docetaxel, Friberg 2002",
//!     structure: (compartments: 1, absorption: None, elimination: Linear),
//!     parameters: {
//!         "CL": (value: 36.0, unit: "L/h"), "V": (value: 8.0, unit: "L"),
//!         "CIRC0": (value: 5.05, unit: "10^9/L"), "MTT": (value: 89.3, unit: "h"),
//!         "GAMMA": (value: 0.163, unit: "1"), "EMAX": (value: 83.9, unit: "1"),
//!         "EC50": (value: 7.17, unit: "uM"),
//!     },
//!     pd: (
//!         model: Friberg(circ0: Parameter("CIRC0"), mtt: Parameter("MTT"), gamma: Parameter("GAMMA"),
//!             drug: Emax(emax: Parameter("EMAX"), ec50: Parameter("EC50"))),
//!         concentration: Micromolar(molar_mass: 807.9),
//!     ),
//!     outputs: [
//!         (name: "CP", compartment: "central", unit: "mg/L"),
//!         (name: "ANC", kind: Effect, unit: "10^9/L"),
//!     ],
//!     random_effects: (parameters: [(name: "MTT")], omega: [[0.04]]),
//! )
//! ```
//!
//! Covariates are read on every record of a dataset (and along a population's trajectories in a
//! scenario): when they change, the parameters change, read between records by the file's
//! `covariates: (carry: ...)` rule — `NextBackward` by default, as NONMEM reads them (a record's
//! values hold over the interval that ends at it), or `LastForward` (see [`crate::course`]).
//!
//! Parameters each structure needs (units): 1 compartment `CL` (L/h), `V` (L); 2 compartments
//! `CL`, `V1`, `Q` (L/h), `V2` (or micro-constants `K12`, `K21` (1/h) instead of `Q`, `V2`); 3 compartments `CL`, `V1`, `Q2`, `V2`, `Q3`, `V3`; first-order
//! absorption `KA` (1/h); transit absorption `NTR` (count), `MTT` (h), `KA`; Michaelis–Menten
//! elimination `VMAX` (mg/h), `KM` (mg/L), and `CL` too when elimination is `LinearAndMichaelisMenten`.

use std::collections::BTreeMap;
use std::path::Path;

use pk_models::equations::EquationModel;
use pk_models::pd::{AnyPd, PkPd};
use pk_models::{Absorption, CompartmentModel, Disposition, LinearSystem, MichaelisMenten, Model};
use serde::{Deserialize, Serialize};

use crate::course::{ParameterCourse, Values};
use crate::covariates::Carry;
use crate::error::{Error, Result, locate};
use crate::genotype::GeneCatalogue;
use crate::variability::{ParameterUncertainty, RandomEffects, RandomEffectsFile, ResidualError};

mod dosing;
mod effects;
pub mod equations;
pub mod pd;

pub use dosing::DoseEvent;
pub use effects::{CovariateSource, Effect, RowCovariates};
pub use equations::{Equations, EquationsFile};
pub use pd::{ConcentrationUnit, PdFile, PdModelFile, PdValue};

/// How many compartments distribute the drug.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Compartments(u8);

impl TryFrom<u8> for Compartments {
    type Error = String;
    fn try_from(n: u8) -> std::result::Result<Self, String> {
        if (1..=3).contains(&n) {
            Ok(Self(n))
        } else {
            Err(format!("compartments: expected 1, 2 or 3, found {n}"))
        }
    }
}

impl From<Compartments> for u8 {
    fn from(c: Compartments) -> u8 {
        c.0
    }
}

/// Absorption kind of the structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AbsorptionKind {
    /// No depot: doses go straight into a compartment.
    None,
    /// A depot with first-order absorption (`KA`).
    FirstOrder,
    /// Transit compartments before the depot (`NTR`, `MTT`, `KA`).
    Transit,
}

/// Elimination kind of the structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EliminationKind {
    /// Linear clearance `CL`.
    Linear,
    /// Michaelis–Menten only (`VMAX`, `KM`).
    MichaelisMenten,
    /// Both (`CL`, `VMAX`, `KM`).
    LinearAndMichaelisMenten,
}

/// The structural model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Structure {
    /// 1, 2 or 3.
    pub compartments: Compartments,
    /// Absorption.
    pub absorption: AbsorptionKind,
    /// Elimination.
    pub elimination: EliminationKind,
}

/// A parameter's typical value, unit, and covariate and genotype effects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParameterValue {
    /// Typical value, in `unit`, for a patient at every effect's reference.
    pub value: f64,
    /// Unit, as text (e.g. "L/h").
    pub unit: String,
    /// Multiplicative covariate and genotype effects (see [`Effect`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<Effect>,
}

/// Uncertainty of the typical values, for replicate trials: θ ~ N(estimates, covariance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UncertaintyFile {
    /// Parameters whose typical values are uncertain, in the covariance's order.
    pub parameters: Vec<String>,
    /// Covariance of the typical values, in their units squared.
    pub covariance: Vec<Vec<f64>>,
}

/// What an output reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum OutputKind {
    /// `scale · amount / volume` of the compartment.
    #[default]
    Concentration,
    /// `scale · amount`.
    Amount,
    /// `scale ·` the value of any state slot, e.g. the PD state `Circ` (in its own unit).
    State,
    /// `scale ·` the PD model's effect (INR, ANC, E, ...); needs the `pd` section.
    Effect,
    /// `scale ·` the running AUC (mg·h/L since time 0); keeps the AUC as a state.
    Auc,
}

fn one() -> f64 {
    1.0
}

/// One output column of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// Column name (e.g. `CP`).
    pub name: String,
    /// State name of the compartment or PD state (e.g. `central`, `Circ`); none for an effect or
    /// the AUC.
    #[serde(default)]
    pub compartment: Option<String>,
    /// Concentration or amount.
    #[serde(default)]
    pub kind: OutputKind,
    /// The output as an expression of the `equations`' names (states, parameters, derived
    /// quantities, `t`), for a model written as equations; `compartment` and `kind` are then
    /// not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expression: Option<String>,
    /// Multiplier, e.g. 1000 for µg/L from mg and L.
    #[serde(default = "one")]
    pub scale: f64,
    /// Unit of the output, as text.
    pub unit: String,
}

/// Where a per-dose model input comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Source {
    /// A fixed value.
    Value(f64),
    /// A data column of the dose record (as NONMEM's $PK would read it).
    Column(String),
    /// A model parameter.
    Parameter(String),
}

/// Lag time, bioavailability, modelled rate and duration of one compartment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoseInputSpec {
    /// State name of the compartment (e.g. `central`, `depot`).
    pub compartment: String,
    /// Lag time ALAG (h); none means 0.
    #[serde(default)]
    pub lag: Option<Source>,
    /// Bioavailability F; none means 1.
    #[serde(default)]
    pub bioavailability: Option<Source>,
    /// Modelled rate R (mg/h), for RATE = -1.
    #[serde(default)]
    pub modelled_rate: Option<Source>,
    /// Modelled duration D (h), for RATE = -2.
    #[serde(default)]
    pub modelled_duration: Option<Source>,
}

impl DoseInputSpec {
    /// The sources given: lag, bioavailability, modelled rate and duration, in that order.
    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        [
            &self.lag,
            &self.bioavailability,
            &self.modelled_rate,
            &self.modelled_duration,
        ]
        .into_iter()
        .flatten()
    }
}

/// The model file as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// A readable name, with the source of the model.
    pub name: String,
    /// The structural model (a built-in one); a model written as `equations` has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structure: Option<Structure>,
    /// The model written as equations (see [`equations`]), instead of a built-in `structure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equations: Option<EquationsFile>,
    /// Typical values by name.
    pub parameters: BTreeMap<String, ParameterValue>,
    /// Output columns.
    pub outputs: Vec<OutputSpec>,
    /// Per-compartment dose inputs.
    #[serde(default)]
    pub dose_inputs: Vec<DoseInputSpec>,
    /// A PD model driven by the central concentration, and the exposure integral.
    #[serde(default)]
    pub pd: Option<PdFile>,
    /// Between-subject (and inter-occasion) variability: which parameters, Ω.
    #[serde(default)]
    pub random_effects: Option<RandomEffectsFile>,
    /// Residual error of each output, by output name.
    #[serde(default)]
    pub residual: BTreeMap<String, ResidualError>,
    /// Uncertainty of the typical values, for replicate trials.
    #[serde(default)]
    pub uncertainty: Option<UncertaintyFile>,
    /// How covariates that change over time are read.
    #[serde(default)]
    pub covariates: CovariatesFile,
}

/// How the model reads its covariates.
///
/// ```ron
/// covariates: (carry: LastForward, defaults: {"ALB": 4.0}),
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CovariatesFile {
    /// Between two records whose covariates differ: `NextBackward` (the default, NONMEM's: a
    /// record's values hold over the interval that ends at it) or `LastForward` (a record's
    /// values hold from it on). See [`crate::course`].
    #[serde(default = "next_backward")]
    pub carry: Carry,
    /// Values for numeric covariates a dataset, patient or population does not give (in the
    /// covariate's unit). Without one, a covariate the model reads and nobody gives is an error:
    /// no value is filled in that the model file does not state.
    #[serde(default)]
    pub defaults: BTreeMap<String, f64>,
}

/// A covariate source with the model file's declared defaults behind it.
struct WithDefaults<'a, S> {
    subject: &'a S,
    defaults: &'a BTreeMap<String, f64>,
}

impl<S: CovariateSource> CovariateSource for WithDefaults<'_, S> {
    fn numeric(&self, name: &str) -> Option<f64> {
        self.subject
            .numeric(name)
            .or_else(|| self.defaults.get(name).copied())
    }

    fn category(&self, name: &str) -> Option<String> {
        self.subject.category(name)
    }

    fn diplotype(&self, gene: &str) -> Option<crate::genotype::Diplotype> {
        self.subject.diplotype(gene)
    }
}

fn next_backward() -> Carry {
    Carry::NextBackward
}

impl Default for CovariatesFile {
    fn default() -> Self {
        Self {
            carry: Carry::NextBackward,
            defaults: BTreeMap::new(),
        }
    }
}

/// One output read from one state slot: `scale · state[slot] / divisor`
/// ([`ModelSpec::output_reads`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutputRead {
    /// The state slot.
    pub slot: usize,
    /// The slot's volume (L) for a concentration, else 1.
    pub divisor: f64,
    /// The output's unit scale.
    pub scale: f64,
}

impl OutputRead {
    /// The output's value in `state`.
    pub fn of(&self, state: &[f64]) -> f64 {
        self.scale * (state[self.slot] / self.divisor)
    }
}

/// Where an output's value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutputSource {
    /// A state slot, over its volume for a concentration.
    Slot(usize),
    /// The PD effect.
    Effect,
    /// Output `k` of a model written as equations.
    Equation(usize),
}

/// A model built from a model file: PK only, or PK coupled to a PD model (and the AUC).
///
/// State slots: the PK slots, then the PD slots, then `AUC` (as [`PkPd`] lays them out).
#[derive(Debug, Clone, PartialEq)]
// The PK-only variant stays inline: it is the one the engine steps millions of times; the PK/PD
// one is boxed so that a twin entity does not carry its size.
#[allow(clippy::large_enum_variant)]
pub enum BuiltModel {
    /// A compartment model, solved exactly when it is linear.
    Pk(CompartmentModel),
    /// A compartment model driving a PD model (or only the AUC), solved with the ODE path.
    PkPd(Box<PkPd<AnyPd>>),
    /// A model written as equations: solved exactly when its derivatives are linear in the
    /// states, else by the ODE solver (its linear first states exactly when they form a system
    /// of their own).
    Equations(Box<EquationModel>),
}

impl BuiltModel {
    /// The built-in PK part; `None` for a model written as equations.
    pub fn pk(&self) -> Option<&CompartmentModel> {
        match self {
            Self::Pk(pk) => Some(pk),
            Self::PkPd(m) => Some(m.pk()),
            Self::Equations(_) => None,
        }
    }

    /// The coupled model, when there is a PD part.
    pub fn pkpd(&self) -> Option<&PkPd<AnyPd>> {
        match self {
            Self::PkPd(m) => Some(m),
            Self::Pk(_) | Self::Equations(_) => None,
        }
    }

    /// The model written as equations, when it is one.
    pub fn equations(&self) -> Option<&EquationModel> {
        match self {
            Self::Equations(m) => Some(m),
            Self::Pk(_) | Self::PkPd(_) => None,
        }
    }

    /// Volume (L) of a PK slot; `None` for a depot, a PD slot, the AUC or a model written as
    /// equations.
    pub fn volume(&self, slot: usize) -> Option<f64> {
        let pk = self.pk()?;
        (slot < pk.n_states()).then(|| pk.volume(slot)).flatten()
    }

    /// The PD effect in a full state; `None` without a PD part.
    pub fn effect(&self, state: &[f64]) -> Option<f64> {
        self.pkpd().map(|m| m.effect(state))
    }
}

impl Model for BuiltModel {
    fn n_states(&self) -> usize {
        match self {
            Self::Pk(m) => m.n_states(),
            Self::PkPd(m) => m.n_states(),
            Self::Equations(m) => m.n_states(),
        }
    }

    fn state_name(&self, index: usize) -> String {
        match self {
            Self::Pk(m) => m.state_name(index),
            Self::PkPd(m) => m.state_name(index),
            Self::Equations(m) => m.state_name(index),
        }
    }

    fn rhs(&self, time: f64, state: &[f64], rates: &[f64], d_state: &mut [f64]) {
        match self {
            Self::Pk(m) => m.rhs(time, state, rates, d_state),
            Self::PkPd(m) => m.rhs(time, state, rates, d_state),
            Self::Equations(m) => m.rhs(time, state, rates, d_state),
        }
    }

    fn linear_system(&self) -> Option<LinearSystem> {
        match self {
            Self::Pk(m) => m.linear_system(),
            Self::PkPd(m) => m.linear_system(),
            Self::Equations(m) => m.linear_system(),
        }
    }

    fn linear_subsystem(&self) -> Option<LinearSystem> {
        match self {
            Self::Pk(m) => m.linear_subsystem(),
            Self::PkPd(m) => m.linear_subsystem(),
            Self::Equations(m) => m.linear_subsystem(),
        }
    }

    fn initial_state(&self) -> Vec<f64> {
        match self {
            Self::Pk(m) => m.initial_state(),
            Self::PkPd(m) => m.initial_state(),
            Self::Equations(m) => m.initial_state(),
        }
    }

    fn reads_time(&self) -> bool {
        self.equations().is_some_and(Model::reads_time)
    }
}

/// A validated model: the file, its compartments resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    file: ModelFile,
    state_names: Vec<String>,
    /// Whether the built model keeps the AUC as a state.
    auc: bool,
    outputs: Vec<(OutputSource, OutputSpec)>,
    dose_inputs: Vec<(usize, DoseInputSpec)>,
    random_effects: Option<RandomEffects>,
    uncertainty: Option<ParameterUncertainty>,
    /// The compiled equations of a model written as equations.
    equations: Option<Equations>,
}

/// A record's numeric cells by column name, for [`Source::Column`].
pub trait ColumnLookup {
    /// The numeric value of `column` in this record, if present and numeric.
    fn number(&self, column: &str) -> Option<f64>;
}

impl ModelSpec {
    /// Reads and validates a model file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            action: "read",
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates model-file text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        crate::finite::check(text, path)?;
        let options = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        let file: ModelFile = options
            .from_str(text)
            .map_err(|e| Error::from_ron(path, e))?;
        let equations =
            equations::check_file(&file, text).map_err(|(at, e)| e.in_file(path, at))?;
        Self::validate(file, equations)
            .map_err(|(key, e)| e.in_file(path, key.and_then(|k| locate(text, &k))))
    }

    fn validate(
        file: ModelFile,
        equations: Option<Equations>,
    ) -> std::result::Result<Self, (Option<String>, Error)> {
        for (name, p) in &file.parameters {
            if !p.value.is_finite() {
                return Err((
                    Some(name.clone()),
                    Error::InvalidValue {
                        name: name.clone(),
                        value: p.value,
                        expected: "a finite number",
                    },
                ));
            }
        }
        let typical: BTreeMap<String, f64> = file
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), v.value))
            .collect();
        let auc = file.outputs.iter().any(|o| o.kind == OutputKind::Auc);
        if let Some(eq) = &equations {
            // A trial build at the typical values, when every covariate the code reads has a
            // declared default; otherwise the first twin's build checks the values.
            let mut values = typical.clone();
            let defaults = &file.covariates.defaults;
            if eq.covariates().iter().all(|c| defaults.contains_key(c)) {
                values.extend(eq.covariates().iter().map(|c| (c.clone(), defaults[c])));
                eq.model(&values)
                    .map_err(|e| (Some("equations".to_owned()), e))?;
            }
        }
        let (model, state_names) = match &equations {
            Some(eq) => (None, eq.system().state_names().to_vec()),
            None => {
                let model =
                    build_model(&file, auc, &typical, None).map_err(|(key, e)| (Some(key), e))?;
                let names = (0..model.n_states()).map(|i| model.state_name(i)).collect();
                (Some(model), names)
            }
        };
        let slot = |name: &str, context: &str| {
            state_names.iter().position(|s| s == name).ok_or_else(|| {
                (
                    Some(context.to_owned()),
                    Error::Undefined {
                        name: name.to_owned(),
                        context: format!("{context} (compartments: {})", state_names.join(", ")),
                    },
                )
            })
        };
        let mut outputs = Vec::new();
        if file.outputs.is_empty() {
            return Err((
                Some("outputs".into()),
                Error::Inconsistent {
                    what: "the model has no outputs: give at least one (e.g. a concentration)"
                        .into(),
                },
            ));
        }
        for (k, o) in file.outputs.iter().enumerate() {
            let here = Some(format!("\"{}\"", o.name));
            let inconsistent = |what: String| (here.clone(), Error::Inconsistent { what });
            crate::names::check("output", &o.name).map_err(|e| (here.clone(), e))?;
            if file.outputs[..k].iter().any(|p| p.name == o.name) {
                return Err(inconsistent(format!(
                    "output `{}` is defined twice: each output column needs its own name",
                    o.name
                )));
            }
            if !(o.scale.is_finite() && o.scale > 0.0) {
                return Err((
                    here.clone(),
                    Error::InvalidValue {
                        name: format!("output {} scale", o.name),
                        value: o.scale,
                        expected: "a finite multiplier > 0",
                    },
                ));
            }
            let Some(model) = &model else {
                // A model written as equations: its outputs were compiled with it.
                outputs.push((OutputSource::Equation(k), o.clone()));
                continue;
            };
            if o.expression.is_some() {
                return Err(inconsistent(format!(
                    "output {} has an `expression`, which only a model written as `equations`                      reads: give `compartment` and `kind` for a built-in structure",
                    o.name
                )));
            }
            let source = match (o.kind, &o.compartment) {
                (OutputKind::Effect, _) => {
                    if file.pd.as_ref().is_none_or(|p| p.model.is_none()) {
                        return Err(inconsistent(format!(
                            "output {} is the PD effect, but the model file has no `pd` model",
                            o.name
                        )));
                    }
                    OutputSource::Effect
                }
                (OutputKind::Auc, _) => OutputSource::Slot(
                    model
                        .pkpd()
                        .and_then(PkPd::auc_index)
                        .ok_or_else(|| inconsistent("no AUC state".into()))?,
                ),
                (_, None) => {
                    return Err(inconsistent(format!(
                        "output {} needs the `compartment` it reads",
                        o.name
                    )));
                }
                (kind, Some(c)) => {
                    let i = slot(c, "outputs").map_err(|(_, e)| (here.clone(), e))?;
                    if kind == OutputKind::Concentration && model.volume(i).is_none() {
                        return Err(inconsistent(format!(
                            "output {} is a concentration in `{c}`, which has no volume",
                            o.name
                        )));
                    }
                    OutputSource::Slot(i)
                }
            };
            outputs.push((source, o.clone()));
        }
        let mut dose_inputs = Vec::new();
        for d in &file.dose_inputs {
            let i = slot(&d.compartment, "dose_inputs")?;
            for (what, source) in [
                ("lag", &d.lag),
                ("bioavailability", &d.bioavailability),
                ("modelled_rate", &d.modelled_rate),
                ("modelled_duration", &d.modelled_duration),
            ] {
                let Some(Source::Value(v)) = source else {
                    continue;
                };
                let ok = match what {
                    "lag" | "bioavailability" => *v >= 0.0,
                    _ => *v > 0.0,
                };
                if !ok {
                    return Err((
                        Some("dose_inputs".into()),
                        Error::InvalidValue {
                            name: format!("{what} of {}", d.compartment),
                            value: *v,
                            expected: if what == "lag" || what == "bioavailability" {
                                "a value >= 0"
                            } else {
                                "a value > 0 (mg/h for a rate, h for a duration)"
                            },
                        },
                    ));
                }
            }
            if dose_inputs.iter().any(|(j, _)| *j == i) {
                return Err((
                    Some("dose_inputs".into()),
                    Error::Inconsistent {
                        what: format!("dose_inputs of `{}` are given twice", d.compartment),
                    },
                ));
            }
            for source in d.sources() {
                if let Source::Parameter(p) = source
                    && !file.parameters.contains_key(p)
                {
                    return Err((
                        Some("dose_inputs".into()),
                        Error::Undefined {
                            name: p.clone(),
                            context: "dose_inputs".into(),
                        },
                    ));
                }
            }
            dose_inputs.push((i, d.clone()));
        }
        let read: Vec<&str> = file
            .parameters
            .values()
            .flat_map(|p| &p.effects)
            .filter(|e| !e.reads_gene())
            .map(Effect::reads)
            .chain(
                equations
                    .iter()
                    .flat_map(|e| e.covariates())
                    .map(String::as_str),
            )
            .collect();
        let read: Vec<&str> = {
            let mut r = read;
            r.sort_unstable();
            r.dedup();
            r
        };
        for name in file.covariates.defaults.keys() {
            if !read.contains(&name.as_str()) {
                return Err((
                    Some("defaults".into()),
                    Error::Unknown {
                        what: "covariate with a default (no effect reads it)".into(),
                        name: name.clone(),
                        hint: crate::names::hint(name, read.iter().copied()),
                    },
                ));
            }
        }
        let genes = GeneCatalogue::shipped().map_err(|e| (None, e))?;
        for (name, p) in &file.parameters {
            for effect in &p.effects {
                effect
                    .validate(&genes)
                    .map_err(|e| (Some(name.clone()), e))?;
            }
        }
        let random_effects = file
            .random_effects
            .clone()
            .map(RandomEffects::try_from)
            .transpose()
            .map_err(|e| (Some("random_effects".to_owned()), e))?;
        for name in random_effects.as_ref().map_or(&[][..], |r| r.names()) {
            if !file.parameters.contains_key(name) {
                return Err((
                    Some("random_effects".into()),
                    Error::Undefined {
                        name: name.clone(),
                        context: "random_effects".into(),
                    },
                ));
            }
        }
        for (output, error) in &file.residual {
            if !outputs.iter().any(|(_, o)| &o.name == output) {
                return Err((
                    Some("residual".into()),
                    Error::Undefined {
                        name: output.clone(),
                        context: "residual".into(),
                    },
                ));
            }
            error.validate().map_err(|e| (Some("residual".into()), e))?;
        }
        let uncertainty = match &file.uncertainty {
            None => None,
            Some(u) => {
                let mut estimates = Vec::with_capacity(u.parameters.len());
                for name in &u.parameters {
                    let p = file.parameters.get(name).ok_or_else(|| {
                        (
                            Some("uncertainty".to_owned()),
                            Error::Undefined {
                                name: name.clone(),
                                context: "uncertainty".into(),
                            },
                        )
                    })?;
                    estimates.push(p.value);
                }
                Some(
                    ParameterUncertainty::new(u.parameters.clone(), estimates, &u.covariance)
                        .map_err(|e| (Some("uncertainty".to_owned()), e))?,
                )
            }
        };
        Ok(Self {
            file,
            state_names,
            auc,
            outputs,
            dose_inputs,
            random_effects,
            uncertainty,
            equations,
        })
    }

    /// The random effects, if the model has between-subject variability.
    pub fn random_effects(&self) -> Option<&RandomEffects> {
        self.random_effects.as_ref()
    }

    /// The uncertainty of the typical values, if given.
    pub fn uncertainty(&self) -> Option<&ParameterUncertainty> {
        self.uncertainty.as_ref()
    }

    /// The residual error of output `name`, if given.
    pub fn residual(&self, name: &str) -> Option<&ResidualError> {
        self.file.residual.get(name)
    }

    /// Typical values for `subject`: each parameter's value times its covariate and genotype
    /// effects. `theta` overrides typical values by name (e.g. drawn from their uncertainty).
    pub fn typical_values(
        &self,
        subject: &impl CovariateSource,
        theta: &BTreeMap<String, f64>,
    ) -> Result<BTreeMap<String, f64>> {
        let subject = WithDefaults {
            subject,
            defaults: &self.file.covariates.defaults,
        };
        let mut out = BTreeMap::new();
        for (name, p) in &self.file.parameters {
            let mut value = theta.get(name).copied().unwrap_or(p.value);
            for effect in &p.effects {
                value *= effect.factor(&subject).map_err(|e| Error::Parameter {
                    name: name.clone(),
                    problem: Box::new(e),
                })?;
            }
            out.insert(name.clone(), value);
        }
        // The covariates a model written as equations reads enter its build by name.
        for c in self.equations.iter().flat_map(Equations::covariates) {
            let value = subject.numeric(c).ok_or_else(|| Error::Inconsistent {
                what: format!(
                    "the equations read covariate {c}, which is not given (give it in the data,                      the patient or the population, or as a model-file default under                      `covariates: (defaults: ...)`)"
                ),
            })?;
            out.insert(c.clone(), value);
        }
        Ok(out)
    }

    /// Individual parameters: typical values for `subject` with random effects `etas`
    /// (in the order of [`RandomEffects::names`]; empty for none).
    pub fn individual_parameters(
        &self,
        subject: &impl CovariateSource,
        theta: &BTreeMap<String, f64>,
        etas: &[f64],
    ) -> Result<BTreeMap<String, f64>> {
        let mut values = self.typical_values(subject, theta)?;
        self.apply_etas(&mut values, etas);
        Ok(values)
    }

    /// Applies random effects `etas` (in the order of [`RandomEffects::names`]; empty for none)
    /// to typical `values`: P = TV·exp(η) for a log-normal effect, TV + η for a normal one.
    pub fn apply_etas(&self, values: &mut Values, etas: &[f64]) {
        if let Some(r) = &self.random_effects {
            for (i, (name, eta)) in r.names().iter().zip(etas).enumerate() {
                if let Some(v) = values.get_mut(name) {
                    *v = r.individual(i, *v, *eta);
                }
            }
        }
    }

    /// How the model reads covariates that change between records.
    pub fn carry(&self) -> Carry {
        self.file.covariates.carry
    }

    /// The values the model file declares for covariates nobody gives.
    pub fn covariate_defaults(&self) -> &BTreeMap<String, f64> {
        &self.file.covariates.defaults
    }

    /// The covariates a model written as equations declares (none for a built-in structure).
    fn equation_covariates(&self) -> Vec<&str> {
        self.equations
            .iter()
            .flat_map(Equations::covariates)
            .map(String::as_str)
            .collect()
    }

    /// The covariates the equations read and the parameters' effects read as numbers (power,
    /// linear, exponential, threshold effects), each once.
    pub fn numeric_covariate_names(&self) -> Vec<&str> {
        let mut names = self.equation_covariates();
        for p in self.file.parameters.values() {
            for e in &p.effects {
                if e.reads_number() && !names.contains(&e.reads()) {
                    names.push(e.reads());
                }
            }
        }
        names
    }

    /// The genes the parameters' effects read, each once.
    pub fn gene_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for p in self.file.parameters.values() {
            for e in &p.effects {
                if e.reads_gene() && !names.contains(&e.reads()) {
                    names.push(e.reads());
                }
            }
        }
        names
    }

    /// Typical values over time: at each `(time h, covariates)` the typical values for those
    /// covariates, read between times by the model's [`Carry`] rule ([`crate::course`]).
    /// `theta` overrides typical values by name.
    ///
    /// # Errors
    /// A covariate an effect reads is missing at one of the times (the error names the time),
    /// or the times are out of order or repeat with other values.
    pub fn typical_course<S: CovariateSource>(
        &self,
        points: impl IntoIterator<Item = (f64, S)>,
        theta: &BTreeMap<String, f64>,
    ) -> Result<ParameterCourse> {
        let points: Vec<(f64, S)> = points.into_iter().collect();
        let several = points.len() > 1;
        let values = points
            .into_iter()
            .map(|(t, subject)| {
                self.typical_values(&subject, theta)
                    .map(|v| (t, v))
                    .map_err(|e| {
                        // A time is worth naming only when there are several.
                        if several {
                            Error::AtTime {
                                time_h: t,
                                problem: Box::new(e),
                            }
                        } else {
                            e
                        }
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        ParameterCourse::new(self.carry(), values)
    }

    /// The covariates (not genes) the equations and the parameters' effects read, each once, in
    /// the order first named: `WT`, `AGE`, `CRCL`, `SEX`, `COMED:amiodarone`, ...
    pub fn covariate_names(&self) -> Vec<&str> {
        let mut names = self.equation_covariates();
        for p in self.file.parameters.values() {
            for e in &p.effects {
                if !e.reads_gene() && !names.contains(&e.reads()) {
                    names.push(e.reads());
                }
            }
        }
        names
    }

    /// The file as written.
    pub fn file(&self) -> &ModelFile {
        &self.file
    }

    /// The compiled equations, for a model written as equations.
    pub fn equations(&self) -> Option<&Equations> {
        self.equations.as_ref()
    }

    /// Typical values by parameter name.
    pub fn typical_parameters(&self) -> BTreeMap<String, f64> {
        self.file
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), v.value))
            .collect()
    }

    /// Builds the model for these parameter values: the compartment model, coupled to the PD
    /// model (and the AUC) when the file has them.
    pub fn build(&self, parameters: &BTreeMap<String, f64>) -> Result<BuiltModel> {
        build_model(&self.file, self.auc, parameters, self.equations.as_ref()).map_err(|(_, e)| e)
    }

    /// Names of the state slots, in order (CMT = index + 1).
    pub fn state_names(&self) -> &[String] {
        &self.state_names
    }

    /// Output names, in order.
    pub fn output_names(&self) -> impl Iterator<Item = &str> {
        self.outputs.iter().map(|(_, o)| o.name.as_str())
    }

    /// Output values at `time` (h) for a state of `model` (built by [`ModelSpec::build`]).
    pub fn outputs_into(&self, model: &BuiltModel, time: f64, state: &[f64], out: &mut Vec<f64>) {
        out.clear();
        if let Some(m) = model.equations() {
            out.resize(self.outputs.len(), f64::NAN);
            m.outputs_into(time, state, out);
            for (value, (_, o)) in out.iter_mut().zip(&self.outputs) {
                *value *= o.scale;
            }
            return;
        }
        for (source, o) in &self.outputs {
            let value = match *source {
                OutputSource::Effect | OutputSource::Equation(_) => {
                    model.effect(state).unwrap_or(f64::NAN)
                }
                OutputSource::Slot(i) if o.kind == OutputKind::Concentration => {
                    state[i] / model.volume(i).unwrap_or(f64::NAN)
                }
                OutputSource::Slot(i) => state[i],
            };
            out.push(o.scale * value);
        }
    }

    /// Each output as `scale · state[slot] / divisor` (`(slot, divisor, scale)`: the volume for a
    /// concentration, else 1), when every output reads one state slot; `None` when one is the PD
    /// effect. The same numbers as [`ModelSpec::outputs_into`], bit for bit, without looking up
    /// the model for every state.
    pub fn output_reads(&self, model: &BuiltModel) -> Option<Vec<OutputRead>> {
        self.outputs
            .iter()
            .map(|(source, o)| match *source {
                OutputSource::Effect | OutputSource::Equation(_) => None,
                OutputSource::Slot(slot) => Some(OutputRead {
                    slot,
                    divisor: if o.kind == OutputKind::Concentration {
                        model.volume(slot).unwrap_or(f64::NAN)
                    } else {
                        1.0
                    },
                    scale: o.scale,
                }),
            })
            .collect()
    }
}

fn param(parameters: &BTreeMap<String, f64>, name: &str) -> Result<f64> {
    parameters
        .get(name)
        .copied()
        .ok_or_else(|| Error::Undefined {
            name: name.to_owned(),
            context: "the structural model".to_owned(),
        })
}

/// Builds the model of `file` for these parameter values; an error comes with the key that
/// locates it in the text.
fn build_model(
    file: &ModelFile,
    auc: bool,
    parameters: &BTreeMap<String, f64>,
    equations: Option<&Equations>,
) -> std::result::Result<BuiltModel, (String, Error)> {
    if let Some(eq) = equations {
        let model = eq
            .model(parameters)
            .map_err(|e| ("equations".to_owned(), e))?;
        return Ok(BuiltModel::Equations(Box::new(model)));
    }
    let Some(structure) = &file.structure else {
        return Err((
            "parameters".to_owned(),
            Error::Inconsistent {
                what: "the model has neither a `structure` nor `equations`: give one".into(),
            },
        ));
    };
    let pk = build(structure, parameters).map_err(|e| ("parameters".to_owned(), e))?;
    let only_auc = PdFile {
        model: None,
        concentration: ConcentrationUnit::MgPerL,
        exposure_integral: true,
        hazard: None,
    };
    let pd = match &file.pd {
        Some(pd) => pd,
        None if auc => &only_auc,
        None => return Ok(BuiltModel::Pk(pk)),
    };
    let model = pd
        .couple(pk, parameters, auc)
        .map_err(|e| (e.key, e.error))?;
    Ok(BuiltModel::PkPd(Box::new(model)))
}

/// Builds a compartment model of `structure` from named parameter values.
pub fn build(structure: &Structure, p: &BTreeMap<String, f64>) -> Result<CompartmentModel> {
    let cl = match structure.elimination {
        EliminationKind::MichaelisMenten => p.get("CL").copied().unwrap_or(0.0),
        _ => param(p, "CL")?,
    };
    let disposition = match structure.compartments.0 {
        1 => Disposition::One {
            cl,
            v: param(p, "V")?,
        },
        2 => {
            let v1 = param(p, "V1")?;
            // Micro-constants K12, K21 (1/h) may stand in for Q and V2: Q = K12·V1 (L/h),
            // V2 = Q/K21 (L), so the rate constants stay fixed when V1 varies.
            let (q, v2) = match (p.get("K12"), p.get("K21"), p.contains_key("Q")) {
                (Some(&k12), Some(&k21), false) => (k12 * v1, k12 * v1 / k21),
                _ => (param(p, "Q")?, param(p, "V2")?),
            };
            Disposition::Two { cl, v1, q, v2 }
        }
        _ => Disposition::Three {
            cl,
            v1: param(p, "V1")?,
            q2: param(p, "Q2")?,
            v2: param(p, "V2")?,
            q3: param(p, "Q3")?,
            v3: param(p, "V3")?,
        },
    };
    let absorption = match structure.absorption {
        AbsorptionKind::None => Absorption::None,
        AbsorptionKind::FirstOrder => Absorption::FirstOrder {
            ka: param(p, "KA")?,
        },
        AbsorptionKind::Transit => {
            let n = param(p, "NTR")?;
            if !(n.is_finite() && n >= 0.0 && n.fract() == 0.0) {
                return Err(Error::InvalidValue {
                    name: "NTR".into(),
                    value: n,
                    expected: "a whole number >= 0",
                });
            }
            Absorption::Transit {
                n: n as usize,
                mtt: param(p, "MTT")?,
                ka: param(p, "KA")?,
            }
        }
    };
    let saturable = match structure.elimination {
        EliminationKind::Linear => None,
        _ => Some(MichaelisMenten {
            vmax: param(p, "VMAX")?,
            km: param(p, "KM")?,
        }),
    };
    Ok(CompartmentModel::new(disposition, absorption, saturable)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORAL: &str = r#"(
        name: "oral",
        structure: (compartments: 1, absorption: FirstOrder, elimination: Linear),
        parameters: { "CL": (value: 1.1, unit: "L/h"), "V": (value: 20.0, unit: "L"), "KA": (value: 1.5, unit: "1/h") },
        outputs: [(name: "CP", compartment: "central", scale: 1000.0, unit: "ug/L")],
        dose_inputs: [(compartment: "central", lag: Column("LAGT"))],
    )"#;

    #[test]
    fn oral_model_file_resolves_compartments() -> Result<()> {
        let spec = ModelSpec::parse(ORAL, Path::new("oral.ron"))?;
        assert_eq!(spec.state_names(), ["depot", "central"]);
        assert_eq!(spec.output_names().collect::<Vec<_>>(), ["CP"]);
        Ok(())
    }

    #[test]
    fn negative_clearance_names_file_line_and_parameter() {
        let text = ORAL.replace("value: 1.1", "value: -1.1");
        let err = ModelSpec::parse(&text, Path::new("oral.ron")).unwrap_err();
        let msg = format!("{err} / {:?}", err.problem());
        assert!(msg.starts_with("oral.ron:4:"), "{msg}");
        assert!(msg.contains("CL"), "{msg}");
    }

    #[test]
    fn unknown_field_is_reported_with_position() {
        let text = ORAL.replace("outputs:", "outptus:");
        let err = ModelSpec::parse(&text, Path::new("oral.ron")).unwrap_err();
        assert!(err.to_string().starts_with("oral.ron:5:"), "{err}");
    }

    #[test]
    fn output_on_missing_compartment_is_rejected() {
        let text = ORAL.replace(
            "compartment: \"central\", scale",
            "compartment: \"peripheral1\", scale",
        );
        let err = ModelSpec::parse(&text, Path::new("oral.ron")).unwrap_err();
        assert!(err.to_string().contains("peripheral1"), "{err}");
    }
    /// A warfarin-like clearance: CYP2C9 per diplotype and a linear age effect (the shape of
    /// Hamberg 2007's model), checked by hand: 0.2 L/h × 0.6 × (1 − 0.01·(80 − 70)) = 0.108 L/h.
    const WARFARIN_LIKE: &str = r#"(
        name: "warfarin-like",
        structure: (compartments: 1, absorption: FirstOrder, elimination: Linear),
        parameters: {
            "CL": (value: 0.2, unit: "L/h", effects: [
                Diplotype(gene: "CYP2C9", factors: {"*1/*3": 0.6, "*3/*3": 0.2}),
                Linear(covariate: "AGE", reference: 70.0, slope: -0.01),
            ]),
            "V": (value: 14.0, unit: "L", effects: [Power(covariate: "WT", reference: 70.0, exponent: 1.0)]),
            "KA": (value: 2.0, unit: "1/h"),
        },
        outputs: [(name: "C", compartment: "central", unit: "mg/L")],
        random_effects: (parameters: [(name: "CL"), (name: "V")], omega: [[0.09, 0.0], [0.0, 0.04]]),
        residual: {"C": Proportional(cv: 0.1)},
    )"#;

    struct Person {
        age: f64,
        weight: f64,
        cyp2c9: &'static str,
    }

    impl CovariateSource for Person {
        fn numeric(&self, name: &str) -> Option<f64> {
            match name {
                "AGE" => Some(self.age),
                "WT" => Some(self.weight),
                _ => None,
            }
        }
        fn category(&self, _: &str) -> Option<String> {
            None
        }
        fn diplotype(&self, gene: &str) -> Option<crate::genotype::Diplotype> {
            GeneCatalogue::shipped()
                .ok()?
                .parse_diplotype(gene, self.cyp2c9)
                .ok()
        }
    }

    #[test]
    fn covariate_and_genotype_effects_multiply_the_typical_value() -> Result<()> {
        let spec = ModelSpec::parse(WARFARIN_LIKE, Path::new("w.ron"))?;
        let person = Person {
            age: 80.0,
            weight: 84.0,
            cyp2c9: "*3/*1",
        };
        let tv = spec.typical_values(&person, &BTreeMap::new())?;
        assert!((tv["CL"] - 0.2 * 0.6 * 0.9).abs() < 1e-15, "{}", tv["CL"]);
        assert!((tv["V"] - 14.0 * 1.2).abs() < 1e-12);
        let reference = Person {
            age: 70.0,
            weight: 70.0,
            cyp2c9: "*1/*1",
        };
        assert_eq!(
            spec.typical_values(&reference, &BTreeMap::new())?["CL"],
            0.2
        );
        // η on the log scale: CL_i = TV·exp(η).
        let ind = spec.individual_parameters(&reference, &BTreeMap::new(), &[0.1, 0.0])?;
        assert!((ind["CL"] - 0.2 * 0.1f64.exp()).abs() < 1e-15);
        Ok(())
    }

    #[test]
    fn unknown_allele_in_a_genotype_effect_names_the_line() {
        let text = WARFARIN_LIKE.replace("\"*3/*3\"", "\"*3/*99\"");
        let err = ModelSpec::parse(&text, Path::new("w.ron")).unwrap_err();
        assert!(err.to_string().starts_with("w.ron:5:"), "{err}");
        assert!(err.to_string().contains("*99"), "{err}");
    }

    #[test]
    fn omega_not_positive_definite_is_rejected() {
        let text = WARFARIN_LIKE.replace("[0.0, 0.04]", "[0.0, -0.04]");
        let err = ModelSpec::parse(&text, Path::new("w.ron")).unwrap_err();
        assert!(err.to_string().contains("positive definite"), "{err}");
    }

    #[test]
    fn effect_on_a_missing_covariate_is_an_error_naming_it() -> Result<()> {
        let text = WARFARIN_LIKE.replace("covariate: \"WT\"", "covariate: \"LBM\"");
        let spec = ModelSpec::parse(&text, Path::new("w.ron"))?;
        let person = Person {
            age: 80.0,
            weight: 84.0,
            cyp2c9: "*1/*1",
        };
        let err = spec.typical_values(&person, &BTreeMap::new()).unwrap_err();
        assert!(
            err.to_string().contains("LBM") && err.to_string().contains("parameter V"),
            "{err}"
        );
        Ok(())
    }
}
