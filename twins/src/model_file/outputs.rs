//! A model's outputs: what each reports, and their values for a state.

use serde::{Deserialize, Serialize};

use super::{BuiltModel, ModelSpec};

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
pub(super) enum OutputSource {
    /// A state slot, over its volume for a concentration.
    Slot(usize),
    /// The PD effect.
    Effect,
    /// Output `k` of a model written as equations.
    Equation(usize),
}

impl ModelSpec {
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
