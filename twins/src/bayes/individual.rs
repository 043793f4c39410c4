//! One twin's history (doses and observations) and its predictions from a model file:
//! the [`Predictor`] the posterior machinery works on.
//!
//! Records are simulated in time order; at equal times observations come before doses, so a
//! level drawn at the time of a dose is a trough (NONMEM follows file order instead: write such
//! a sample's dose a moment later, or put it first, and both agree).

use std::collections::BTreeMap;
use std::path::Path;

use pk_models::{Record, RecordKind, SolutionPath};
use serde::{Deserialize, Serialize};

use super::objective::{Measurement, Objective, ObservedValue, Predictor};
use crate::dataset::Individual;
use crate::error::{Error, Result};
use crate::model_file::{ColumnLookup, CovariateSource, DoseEvent, ModelSpec};

/// One observation of a twin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    /// TIME (h).
    pub time: f64,
    /// The model output observed (e.g. `CP`).
    pub output: String,
    /// The value, or that it was below the limit of quantification.
    pub measurement: Measurement,
}

/// A twin's doses and observations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    /// Doses.
    pub doses: Vec<DoseEvent>,
    /// Observations.
    pub observations: Vec<Observation>,
}

impl History {
    /// Appends another history's doses and observations.
    pub fn extend(&mut self, other: &History) {
        self.doses.extend(other.doses.iter().cloned());
        self.observations.extend(other.observations.iter().cloned());
    }

    /// Reads a dataset individual's rows: EVID 1 (and 4 without its reset) as doses, EVID 0
    /// with MDV 0 as observations. An observation's output is the model output of its CMT,
    /// else the first output; a `BLQ` (or `CENS`) column of 1 marks it below the limit given in
    /// `LLOQ` (or in DV, as for NONMEM's M3). `path` names the file in errors.
    pub fn from_individual(individual: &Individual, spec: &ModelSpec, path: &Path) -> Result<Self> {
        let outputs: Vec<(String, Option<String>)> = spec
            .file()
            .outputs
            .iter()
            .map(|o| (o.name.clone(), o.compartment.clone()))
            .collect();
        let first_output =
            outputs
                .first()
                .map(|(n, _)| n.clone())
                .ok_or_else(|| Error::Inconsistent {
                    what: "the model has no outputs to observe".into(),
                })?;
        let mut history = History::default();
        for row in &individual.rows {
            let at = |e: Error| {
                e.in_file(
                    path,
                    Some(crate::error::Position {
                        line: row.line,
                        column: 1,
                    }),
                )
            };
            match row.evid {
                1 | 4 => history.doses.push(DoseEvent::from_row(row, spec)),
                0 if row.mdv == 0 => {
                    let Some(dv) = row.dv else { continue };
                    let output = row
                        .cmt
                        .and_then(|c| spec.state_names().get(c.wrapping_sub(1)))
                        .and_then(|state| {
                            outputs
                                .iter()
                                .find(|(_, comp)| comp.as_deref() == Some(state.as_str()))
                        })
                        .map_or_else(|| first_output.clone(), |(n, _)| n.clone());
                    let censored = ["BLQ", "CENS"]
                        .iter()
                        .any(|c| row.number(c).is_some_and(|v| v == 1.0));
                    let measurement = if censored {
                        Measurement::BelowLimit {
                            lloq: row.number("LLOQ").unwrap_or(dv),
                        }
                    } else {
                        Measurement::Value(dv)
                    };
                    history.observations.push(Observation {
                        time: row.time,
                        output,
                        measurement,
                    });
                }
                3 => {
                    return Err(at(Error::Inconsistent {
                        what: format!(
                            "ID {}: EVID 3 (reset) is not supported in a twin's history",
                            individual.id
                        ),
                    }));
                }
                _ => {}
            }
        }
        Ok(history)
    }
}

/// What one simulated record is.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// Dose `index` of the history's (or the extra) doses.
    Dose(usize),
    /// A point whose output `output` is reported into position `index`.
    Report { index: usize, output: usize },
}

/// A twin's model: typical values for its covariates, random effects, history; predicts its
/// observations for any η. Built once per twin (the typical values read covariates and
/// genotypes once), then evaluated many times by the optimiser and the sampler.
#[derive(Debug, Clone)]
pub struct IndividualModel<'a> {
    spec: &'a ModelSpec,
    typical: BTreeMap<String, f64>,
    eta_targets: Vec<Option<String>>,
    history: History,
    observed: Vec<ObservedValue>,
    output_of: Vec<usize>,
    path: SolutionPath,
}

impl<'a> IndividualModel<'a> {
    /// The model of a twin with covariates `subject` and `history`, typical values overridden by
    /// `theta` where given.
    pub fn new(
        spec: &'a ModelSpec,
        subject: &impl CovariateSource,
        theta: &BTreeMap<String, f64>,
        history: History,
    ) -> Result<Self> {
        let typical = spec.typical_values(subject, theta)?;
        Self::from_typical(spec, typical, history)
    }

    /// As [`IndividualModel::new`], from typical values already computed.
    pub fn from_typical(
        spec: &'a ModelSpec,
        typical: BTreeMap<String, f64>,
        history: History,
    ) -> Result<Self> {
        let effects = spec.random_effects().ok_or_else(|| Error::Undefined {
            name: "random_effects".into(),
            context: "Bayesian updating (the model file)".into(),
        })?;
        let names: Vec<&str> = spec.output_names().collect();
        let mut observed = Vec::with_capacity(history.observations.len());
        let mut output_of = Vec::with_capacity(history.observations.len());
        for (i, o) in history.observations.iter().enumerate() {
            let index =
                names
                    .iter()
                    .position(|n| *n == o.output)
                    .ok_or_else(|| Error::Undefined {
                        name: o.output.clone(),
                        context: format!(
                            "observation {} at {} h (model outputs: {})",
                            i + 1,
                            o.time,
                            names.join(", ")
                        ),
                    })?;
            let error = *spec.residual(&o.output).ok_or_else(|| Error::Undefined {
                name: format!("residual error of {}", o.output),
                context: format!("observation {} at {} h", i + 1, o.time),
            })?;
            let value = match o.measurement {
                Measurement::Value(v) | Measurement::BelowLimit { lloq: v } => v,
            };
            if !(value.is_finite() && o.time.is_finite()) {
                return Err(Error::InvalidValue {
                    name: format!("observation {} at {} h", i + 1, o.time),
                    value,
                    expected: "a finite value at a finite time",
                });
            }
            if matches!(error, crate::variability::ResidualError::Exponential { .. })
                && value <= 0.0
            {
                return Err(Error::InvalidValue {
                    name: format!("observation {} of {} at {} h", i + 1, o.output, o.time),
                    value,
                    expected: "a value > 0 (the residual error is exponential, on the log scale)",
                });
            }
            observed.push(ObservedValue {
                measurement: o.measurement,
                error,
            });
            output_of.push(index);
        }
        let eta_targets = effects
            .names()
            .iter()
            .map(|n| typical.contains_key(n).then(|| n.clone()))
            .collect();
        Ok(Self {
            spec,
            typical,
            eta_targets,
            history,
            observed,
            output_of,
            path: SolutionPath::Auto,
        })
    }

    /// The model file.
    pub fn spec(&self) -> &'a ModelSpec {
        self.spec
    }

    /// The history.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Typical values for this twin's covariates.
    pub fn typical(&self) -> &BTreeMap<String, f64> {
        &self.typical
    }

    /// The observations as the likelihood sees them.
    pub fn observed(&self) -> &[ObservedValue] {
        &self.observed
    }

    /// Individual parameters at `eta`.
    pub fn parameters(&self, eta: &[f64]) -> BTreeMap<String, f64> {
        let mut values = self.typical.clone();
        if let Some(effects) = self.spec.random_effects() {
            for (i, (target, e)) in self.eta_targets.iter().zip(eta).enumerate() {
                if let Some(name) = target
                    && let Some(v) = values.get_mut(name)
                {
                    *v = effects.individual(i, *v, *e);
                }
            }
        }
        values
    }

    /// The posterior objective of this twin's random effects.
    pub fn objective(&self) -> Result<Objective<&Self>> {
        let omega = self
            .spec
            .random_effects()
            .map(|r| r.omega().clone())
            .ok_or_else(|| Error::Undefined {
                name: "random_effects".into(),
                context: "Bayesian updating (the model file)".into(),
            })?;
        Objective::new(self, self.observed.clone(), &omega)
    }

    /// Output `output` (index into the model's outputs) at `times` (h), with the history's doses
    /// and `extra` doses, at `eta`. Observations of the history are not simulated.
    pub fn output_at(
        &self,
        eta: &[f64],
        extra: &[DoseEvent],
        times: &[f64],
        output: usize,
        out: &mut Vec<f64>,
    ) -> Result<()> {
        let mut slots: Vec<(f64, u8, Slot)> =
            Vec::with_capacity(self.history.doses.len() + extra.len() + times.len());
        for (i, d) in self.history.doses.iter().chain(extra).enumerate() {
            slots.push((d.time, 1, Slot::Dose(i)));
        }
        for (index, &t) in times.iter().enumerate() {
            slots.push((t, 0, Slot::Report { index, output }));
        }
        out.clear();
        out.resize(times.len(), f64::NAN);
        self.run(eta, extra, slots, out)
    }

    fn run(
        &self,
        eta: &[f64],
        extra: &[DoseEvent],
        mut slots: Vec<(f64, u8, Slot)>,
        out: &mut [f64],
    ) -> Result<()> {
        slots.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let parameters = self.parameters(eta);
        let model = self.spec.build(&parameters)?;
        let n_history = self.history.doses.len();
        let records = slots
            .iter()
            .map(|(t, _, slot)| match *slot {
                Slot::Dose(i) => {
                    let d = if i < n_history {
                        &self.history.doses[i]
                    } else {
                        &extra[i - n_history]
                    };
                    Ok(Record::dose(d.time, self.spec.dose(d, &parameters)?))
                }
                Slot::Report { .. } => Ok(Record {
                    time: *t,
                    kind: RecordKind::Observation,
                }),
            })
            .collect::<Result<Vec<_>>>()?;
        let states = pk_models::simulate(&model, &records, self.path)?;
        let mut values = Vec::new();
        for (i, (_, _, slot)) in slots.iter().enumerate() {
            if let Slot::Report { index, output } = *slot {
                self.spec.outputs_into(&model, states.state(i), &mut values);
                out[index] = values.get(output).copied().unwrap_or(f64::NAN);
            }
        }
        Ok(())
    }
}

impl Predictor for IndividualModel<'_> {
    fn n_eta(&self) -> usize {
        self.spec.random_effects().map_or(0, |r| r.len())
    }

    fn n_observations(&self) -> usize {
        self.observed.len()
    }

    fn predict(&self, eta: &[f64], out: &mut [f64]) -> Result<()> {
        let slots = self
            .history
            .doses
            .iter()
            .enumerate()
            .map(|(i, d)| (d.time, 1, Slot::Dose(i)))
            .chain(
                self.history
                    .observations
                    .iter()
                    .zip(&self.output_of)
                    .enumerate()
                    .map(|(index, (o, &output))| (o.time, 0, Slot::Report { index, output })),
            )
            .collect();
        self.run(eta, &[], slots, out)
    }
}
