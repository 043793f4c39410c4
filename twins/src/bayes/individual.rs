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
use crate::course::{self, ParameterCourse, Values};
use crate::dataset::{Cell, Individual};
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

/// Covariates known at one time (a dataset row's covariate columns): they override the
/// patient's own from then on, read between records by the model's carry rule
/// ([`crate::course`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CovariateRecord {
    /// TIME (h).
    pub time: f64,
    /// Numeric covariates (`WT` kg, `CRCL` mL/min, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub numeric: BTreeMap<String, f64>,
    /// Categorical covariates (`SEX`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub categories: BTreeMap<String, String>,
}

/// A patient's covariates with one record's values over them.
struct Overlay<'a, S> {
    base: &'a S,
    record: &'a CovariateRecord,
}

impl<S: CovariateSource> CovariateSource for Overlay<'_, S> {
    fn numeric(&self, name: &str) -> Option<f64> {
        match self.record.numeric.get(name) {
            Some(v) => Some(*v),
            None if self.record.categories.contains_key(name) => None,
            None => self.base.numeric(name),
        }
    }

    fn category(&self, name: &str) -> Option<String> {
        if let Some(c) = self.record.categories.get(name) {
            return Some(c.clone());
        }
        match self.record.numeric.get(name) {
            Some(v) => Some(v.to_string()),
            None => self.base.category(name),
        }
    }

    fn diplotype(&self, gene: &str) -> Option<crate::genotype::Diplotype> {
        self.base.diplotype(gene)
    }
}

/// A twin's doses, observations and covariate records.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct History {
    /// Doses.
    pub doses: Vec<DoseEvent>,
    /// Observations.
    pub observations: Vec<Observation>,
    /// Covariates that changed (none: the patient's own hold throughout).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covariates: Vec<CovariateRecord>,
}

impl History {
    /// Appends another history's doses, observations and covariate records.
    pub fn extend(&mut self, other: &History) {
        self.doses.extend(other.doses.iter().cloned());
        self.observations.extend(other.observations.iter().cloned());
        self.covariates.extend(other.covariates.iter().cloned());
    }

    /// Typical values over the history: the patient's covariates (`base`), overridden from each
    /// covariate record on by its values, read by the model's carry rule; constant when there
    /// are no records.
    ///
    /// # Errors
    /// A covariate an effect reads is missing, or two records at one time differ.
    pub fn typical_course(
        &self,
        spec: &ModelSpec,
        base: &impl CovariateSource,
        theta: &BTreeMap<String, f64>,
    ) -> Result<ParameterCourse> {
        if self.covariates.is_empty() {
            return Ok(ParameterCourse::constant(spec.typical_values(base, theta)?));
        }
        let mut records: Vec<&CovariateRecord> = self.covariates.iter().collect();
        records.sort_by(|a, b| a.time.total_cmp(&b.time));
        spec.typical_course(
            records
                .into_iter()
                .map(|record| (record.time, Overlay { base, record })),
            theta,
        )
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
        // The covariates the model reads that the dataset has columns for: every row gives them.
        let covariate_columns: Vec<&str> = spec
            .covariate_names()
            .into_iter()
            .filter(|name| {
                individual
                    .rows
                    .first()
                    .is_some_and(|r| r.cell(name).is_some())
            })
            .collect();
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
            if !covariate_columns.is_empty() {
                let mut record = CovariateRecord {
                    time: row.time,
                    numeric: BTreeMap::new(),
                    categories: BTreeMap::new(),
                };
                for &name in &covariate_columns {
                    match row.cell(name) {
                        Some(Cell::Number(x)) => {
                            record.numeric.insert(name.to_owned(), *x);
                        }
                        Some(Cell::Text(t)) => {
                            record.categories.insert(name.to_owned(), t.clone());
                        }
                        _ => {
                            return Err(at(Error::Inconsistent {
                                what: format!(
                                    "ID {}: {name} is empty on this row; the model's effects read \
                                     {name}, so every row of a dataset with a {name} column gives it",
                                    individual.id
                                ),
                            }));
                        }
                    }
                }
                history.covariates.push(record);
            }
            match row.evid {
                1 | 4 => history.doses.push(DoseEvent::from_row(row, spec)),
                0 if row.lacks_dv() => {
                    return Err(at(Error::Inconsistent {
                        what: format!(
                            "ID {}: an observation row (EVID 0) with no DV: give the level, or \
                             MDV 1 for a row that is not an observation",
                            individual.id
                        ),
                    }));
                }
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

/// A twin's model: typical values for its covariates (over time, when they change), random
/// effects, history; predicts its observations for any η. Built once per twin (the typical
/// values read covariates and genotypes once), then evaluated many times by the optimiser and
/// the sampler.
#[derive(Debug, Clone)]
pub struct IndividualModel<'a> {
    spec: &'a ModelSpec,
    typical: ParameterCourse,
    history: History,
    observed: Vec<ObservedValue>,
    output_of: Vec<usize>,
    path: SolutionPath,
}

impl<'a> IndividualModel<'a> {
    /// The model of a twin with covariates `subject` and `history` (whose covariate records
    /// override `subject`'s from their times on), typical values overridden by `theta` where
    /// given.
    pub fn new(
        spec: &'a ModelSpec,
        subject: &impl CovariateSource,
        theta: &BTreeMap<String, f64>,
        history: History,
    ) -> Result<Self> {
        let typical = history.typical_course(spec, subject, theta)?;
        Self::build(spec, typical, history)
    }

    /// As [`IndividualModel::new`], from typical values already computed (over time, or a
    /// [`ParameterCourse::constant`]).
    ///
    /// # Errors
    /// As [`IndividualModel::new`]; and a history with covariate records, which need the
    /// patient's covariates (use [`IndividualModel::new`]).
    pub fn from_typical(
        spec: &'a ModelSpec,
        typical: ParameterCourse,
        history: History,
    ) -> Result<Self> {
        if !history.covariates.is_empty() {
            return Err(Error::Inconsistent {
                what: "a history with covariate records needs the patient's covariates, not \
                       typical values computed without them"
                    .into(),
            });
        }
        Self::build(spec, typical, history)
    }

    fn build(spec: &'a ModelSpec, typical: ParameterCourse, history: History) -> Result<Self> {
        if spec.random_effects().is_none() {
            return Err(Error::Undefined {
                name: "random_effects".into(),
                context: "Bayesian updating (the model file)".into(),
            });
        }
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
        Ok(Self {
            spec,
            typical,
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

    /// Typical values for this twin's covariates, over time.
    pub fn typical(&self) -> &ParameterCourse {
        &self.typical
    }

    /// The observations as the likelihood sees them.
    pub fn observed(&self) -> &[ObservedValue] {
        &self.observed
    }

    /// Individual parameters at `eta` over time.
    pub fn course(&self, eta: &[f64]) -> Result<ParameterCourse> {
        self.typical
            .try_map(|typical| Ok(self.with_etas(typical, eta)))
    }

    /// Individual parameters at `eta`, as they stand after the twin's last covariate record
    /// (its parameters now; the same at all times when its covariates never changed).
    pub fn parameters(&self, eta: &[f64]) -> BTreeMap<String, f64> {
        let last = self
            .typical
            .points()
            .last()
            .map_or_else(|| self.typical.initial(), |(_, v)| v);
        let mut values = self.with_etas(last, eta);
        // Covariates a model written as equations reads travel with the values; they are not
        // parameters.
        let parameters = &self.spec.file().parameters;
        values.retain(|name, _| parameters.contains_key(name));
        values
    }

    fn with_etas(&self, typical: &Values, eta: &[f64]) -> Values {
        let mut values = typical.clone();
        self.spec.apply_etas(&mut values, eta);
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
        let course = self.course(eta)?;
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
                    Ok(Record::dose(d.time, self.spec.dose(d, course.at(d.time))?))
                }
                Slot::Report { .. } => Ok(Record {
                    time: *t,
                    kind: RecordKind::Observation,
                }),
            })
            .collect::<Result<Vec<_>>>()?;
        let run = course::simulate(self.spec, course, &records, self.path)?;
        let n_outputs = self.spec.output_names().count();
        for (i, (_, _, slot)) in slots.iter().enumerate() {
            if let Slot::Report { index, output } = *slot {
                out[index] = run
                    .outputs
                    .get(i * n_outputs + output)
                    .copied()
                    .unwrap_or(f64::NAN);
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
