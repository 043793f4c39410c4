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

use pk_models::Model;
use pk_models::pd::PkPd;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, locate};
use crate::genotype::GeneCatalogue;
use crate::variability::{ParameterUncertainty, RandomEffects, RandomEffectsFile, ResidualError};

mod built;
mod dosing;
mod effects;
pub mod equations;
mod outputs;
mod parameters;
pub mod pd;
mod structure;

pub use built::BuiltModel;
use built::build_model;
pub use dosing::DoseEvent;
pub use effects::{CovariateSource, Effect, RowCovariates};
pub use equations::{Equations, EquationsFile};
use outputs::OutputSource;
pub use outputs::{OutputKind, OutputRead, OutputSpec};
pub use parameters::{CovariatesFile, ParameterValue, UncertaintyFile};
pub use pd::{ConcentrationUnit, PdFile, PdModelFile, PdValue};
pub use structure::{AbsorptionKind, Compartments, EliminationKind, Structure, build};

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

    /// The file as written.
    pub fn file(&self) -> &ModelFile {
        &self.file
    }

    /// The compiled equations, for a model written as equations.
    pub fn equations(&self) -> Option<&Equations> {
        self.equations.as_ref()
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
