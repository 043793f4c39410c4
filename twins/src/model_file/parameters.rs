//! Parameters: typical values with units and effects, their uncertainty, how covariates are
//! read, and a patient's typical and individual values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{CovariateSource, Effect, Equations, ModelSpec};
use crate::course::{ParameterCourse, Values};
use crate::covariates::Carry;
use crate::error::{Error, Result};

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

impl ModelSpec {
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
    /// (in the order of [`RandomEffects::names`](crate::variability::RandomEffects::names); empty for none).
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

    /// Applies random effects `etas` (in the order of [`RandomEffects::names`](crate::variability::RandomEffects::names); empty for none)
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

    /// Typical values by parameter name.
    pub fn typical_parameters(&self) -> BTreeMap<String, f64> {
        self.file
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), v.value))
            .collect()
    }
}
