//! A model written as equations: named states, derived quantities, one derivative per state,
//! initial values, dose inputs and outputs as expressions of the parameters, the covariates the
//! model declares, the states and time `t` (h).
//!
//! ```ron
//! (
//!     name: "tumour growth with drug kill",
//!     parameters: {
//!         "KG": (value: 0.01, unit: "1/h"), "KD": (value: 0.005, unit: "1/(h·mg/L)"),
//!         "LAMBDA": (value: 0.02, unit: "1/h"), "TS0": (value: 70.0, unit: "mm"),
//!         "CL": (value: 2.0, unit: "L/h"), "V": (value: 20.0, unit: "L"),
//!     },
//!     equations: (
//!         states: ["central", "tumour"],
//!         code: r#"
//!             C = central / V                    # mg/L
//!             d/dt(central) = -CL / V * central
//!             d/dt(tumour) = KG * tumour - KD * exp(-LAMBDA * t) * C * tumour
//!             tumour(0) = TS0
//!         "#,
//!     ),
//!     outputs: [
//!         (name: "CP", expression: "C", unit: "mg/L"),
//!         (name: "TS", expression: "tumour", unit: "mm"),
//!     ],
//! )
//! ```
//!
//! The language, one statement per line (or separated by `;`), `#` or `//` to the end of a line:
//! - `NAME = expression`: a derived quantity, assigned once, before it is read;
//! - `d/dt(state) = expression`: the derivative of a state (amount/h), one per state;
//! - `state(0) = expression`: its initial value (0 when not given), from parameters only;
//! - `alag(state)` (or `lag`), `f(state)`, `rate(state)`, `dur(state)`: the lag time (h),
//!   bioavailability, modelled rate (amount/h, for RATE = −1) and duration (h, RATE = −2) of
//!   doses into a state, from parameters only.
//!
//! Expressions: numbers, names, `+ - * / ^` (also `**`), `exp log log10 sqrt abs`, `min max`
//! (two or more arguments), `pow(a, b)`, comparisons `< <= > >= == !=` (1 or 0), `and or not`,
//! and `if c then a else b`. Nothing loops. A name is a parameter, a declared covariate, a state,
//! `t`, or a quantity assigned above; anything else is an error naming the line, the column and
//! the closest known name.
//!
//! Quantities that read neither the states nor `t` are computed once per twin (as NONMEM's
//! `$PK`); the rest at every solver step (`$DES`). When every derivative is linear in the states
//! the model is solved exactly (see [`pk_models::equations::linearity`]).

mod parse;
mod resolve;

use std::sync::Arc;

use pk_models::equations::{EquationModel, EquationSystem};
use serde::{Deserialize, Serialize};

pub use parse::{At, DoseKind};
pub use resolve::compile;

use crate::error::{Error, Position, Result};

/// The `equations` section as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EquationsFile {
    /// The states, in order: CMT 1 is the first.
    pub states: Vec<String>,
    /// Covariates the code reads by name (numeric; e.g. `WT`), given by the dataset, the
    /// patient or the population, and changing over time as they do.
    #[serde(default)]
    pub covariates: Vec<String>,
    /// The statements.
    pub code: String,
}

/// A compiled `equations` section: the system and the names of its inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Equations {
    system: Arc<EquationSystem>,
    /// The system's inputs, by name: the parameters, then the covariates.
    inputs: Vec<String>,
    covariates: Vec<String>,
}

impl Equations {
    /// The compiled system.
    pub fn system(&self) -> &Arc<EquationSystem> {
        &self.system
    }

    /// The covariates the code reads.
    pub fn covariates(&self) -> &[String] {
        &self.covariates
    }

    /// The inputs' values, read from `values` (parameters and covariates by name).
    ///
    /// # Errors
    /// A parameter or covariate is not among `values`.
    pub fn inputs(&self, values: &std::collections::BTreeMap<String, f64>) -> Result<Vec<f64>> {
        self.inputs
            .iter()
            .map(|name| {
                values.get(name).copied().ok_or_else(|| {
                    if self.covariates.contains(name) {
                        Error::Inconsistent {
                            what: format!(
                                "the equations read covariate {name}, which is not given \
                                 (give it in the data, the patient or the population, or as a \
                                 model-file default under `covariates: (defaults: ...)`)"
                            ),
                        }
                    } else {
                        Error::Undefined {
                            name: name.clone(),
                            context: "the equations".into(),
                        }
                    }
                })
            })
            .collect()
    }

    /// The model of one twin for these parameter and covariate values.
    ///
    /// # Errors
    /// As [`Equations::inputs`] and [`EquationSystem::model`].
    pub fn model(&self, values: &std::collections::BTreeMap<String, f64>) -> Result<EquationModel> {
        let inputs = self.inputs(values)?;
        Ok(self.system.model(&inputs)?)
    }

    /// The dose inputs of `slot` for these values (none when the code sets none).
    ///
    /// # Errors
    /// As [`Equations::model`].
    pub fn dose_inputs(
        &self,
        slot: usize,
        values: &std::collections::BTreeMap<String, f64>,
    ) -> Result<pk_models::DoseInputs> {
        let inputs = self.inputs(values)?;
        Ok(self
            .system
            .dose_inputs(&inputs)?
            .into_iter()
            .find(|(s, _)| *s == slot)
            .map(|(_, d)| d)
            .unwrap_or_default())
    }
}

/// Compiles a model file's `equations`, if it has them, after checking that the rest of the
/// file fits a model written as equations; an error comes with its place in `text`.
///
/// # Errors
/// Both or neither of `structure` and `equations`; a `pd` section, `dose_inputs` or an output
/// without an `expression` beside equations; any mistake [`compile`] finds.
pub(crate) fn check_file(
    file: &super::ModelFile,
    text: &str,
) -> std::result::Result<Option<Equations>, (Option<Position>, Error)> {
    let inconsistent = |key: &str, what: String| {
        (
            crate::error::locate(text, key),
            Error::Inconsistent { what },
        )
    };
    let Some(eq) = &file.equations else {
        if file.structure.is_none() {
            return Err(inconsistent(
                "parameters",
                "the model has neither a `structure` (a built-in model) nor `equations`: give one"
                    .into(),
            ));
        }
        return Ok(None);
    };
    if file.structure.is_some() {
        return Err(inconsistent(
            "equations",
            "the model gives both a built-in `structure` and `equations`: give one (equations \
             beside a built-in structure are not supported yet: write its compartments as \
             equations)"
                .into(),
        ));
    }
    if file.pd.is_some() {
        return Err(inconsistent(
            "pd",
            "a model written as `equations` has no `pd` section: write the PD states and their \
             derivatives in the code"
                .into(),
        ));
    }
    if !file.dose_inputs.is_empty() {
        return Err(inconsistent(
            "dose_inputs",
            "a model written as `equations` sets lag times, bioavailabilities, modelled rates and \
             durations in its code (`alag(state) = ...`, `f(state) = ...`, `rate(...)`, \
             `dur(...)`), not in `dose_inputs`"
                .into(),
        ));
    }
    let mut outputs = Vec::with_capacity(file.outputs.len());
    for o in &file.outputs {
        let Some(expression) = &o.expression else {
            return Err(inconsistent(
                &format!("\"{}\"", o.name),
                format!(
                    "output {} needs an `expression` in a model written as equations (e.g. \
                     `expression: \"central / V\"`)",
                    o.name
                ),
            ));
        };
        if o.compartment.is_some() || o.kind != super::OutputKind::Concentration {
            return Err(inconsistent(
                &format!("\"{}\"", o.name),
                format!(
                    "output {} has an `expression`: `compartment` and `kind` are for built-in \
                     structures (write the amount, concentration or effect as the expression)",
                    o.name
                ),
            ));
        }
        outputs.push((o.name.clone(), expression.clone()));
    }
    let parameters: Vec<String> = file.parameters.keys().cloned().collect();
    let first_line = text
        .find(eq.code.as_str())
        .filter(|_| !eq.code.is_empty())
        .map_or(1, |start| text[..start].matches('\n').count() + 1);
    resolve::compile(eq, &parameters, &outputs, first_line)
        .map(Some)
        .map_err(|e| {
            let position = place_in(text, eq, &outputs, &e.place);
            (position, Error::Inconsistent { what: e.message })
        })
}

/// Where `place` is in the model file's `text`.
fn place_in(
    text: &str,
    eq: &EquationsFile,
    outputs: &[(String, String)],
    place: &resolve::Place,
) -> Option<Position> {
    let after = |from: usize, key: &str| {
        crate::error::locate(&text[from..], key).map(|p| {
            let line0 = text[..from].matches('\n').count();
            Position {
                line: p.line + line0,
                column: if p.line == 1 {
                    p.column
                        + text[..from]
                            .rsplit('\n')
                            .next()
                            .map_or(0, |l| l.chars().count())
                } else {
                    p.column
                },
            }
        })
    };
    let equations_at = text.find("equations").unwrap_or(0);
    let within = |start: usize, at: At| {
        let before = &text[..start];
        let line = before.matches('\n').count() + 1;
        let column0 = before.rsplit('\n').next().map_or(0, |l| l.chars().count());
        Position {
            line: line + at.line - 1,
            column: if at.line == 1 {
                column0 + at.column
            } else {
                at.column
            },
        }
    };
    match place {
        resolve::Place::Code(at) => match text.find(eq.code.as_str()) {
            Some(start) if !eq.code.is_empty() => Some(within(start, *at)),
            _ => after(equations_at, "code"),
        },
        resolve::Place::Output(k, at) => {
            let quoted = format!("\"{}\"", outputs.get(*k)?.1);
            let outputs_at = text.find("outputs").unwrap_or(0);
            match text[outputs_at..].find(&quoted) {
                Some(i) => Some(within(outputs_at + i + 1, *at)),
                None => crate::error::locate(text, &format!("\"{}\"", outputs[*k].0)),
            }
        }
        resolve::Place::States => after(equations_at, "states"),
        resolve::Place::Covariates => after(equations_at, "covariates"),
    }
}
