//! The one way a dose becomes amounts in compartments: a [`DoseEvent`] (what a regimen, a
//! dataset row or a twin's history says was given) and the model's per-compartment dose inputs
//! (lag time, bioavailability, modelled rate and duration) make one [`pk_models::Dose`].
//!
//! Every path calls [`ModelSpec::dose`]: `twinsim run` (each scheduled dose and the MAP-guided
//! rule's predictions), `simulate`, `estimate`, `twin observe / forecast / dose`. A model whose
//! S-warfarin is half of the racemic dose (`bioavailability: Value(0.5)` on the depot) therefore
//! gives the same exposure in a scenario as in a dataset.

use std::collections::BTreeMap;

use pk_models::{Dose, DoseInputs, DoseRate, SteadyState};
use serde::{Deserialize, Serialize};

use super::{ColumnLookup, ModelSpec, Source};
use crate::dataset::Row;
use crate::error::{Error, Result};

/// One dose as it was ordered: NONMEM's dose-record fields, before the model's dose inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoseEvent {
    /// TIME (h).
    pub time: f64,
    /// AMT (mg), before bioavailability.
    pub amount: f64,
    /// CMT, from 1 (NONMEM's numbering).
    pub cmt: usize,
    /// RATE (mg/h); 0 for a bolus, −1 / −2 for a modelled rate / duration.
    #[serde(default)]
    pub rate: f64,
    /// II (h), for `additional` and steady state.
    #[serde(default)]
    pub interval: f64,
    /// ADDL: further doses every `interval` h.
    #[serde(default)]
    pub additional: u32,
    /// SS: 0 none, 1 reset to steady state, 2 add steady state.
    #[serde(default)]
    pub steady_state: u8,
    /// Data columns the model's dose inputs read (lag, bioavailability, ...), by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub columns: BTreeMap<String, f64>,
}

impl DoseEvent {
    /// A dose of `amount` mg at `time` h into `cmt` (from 1): a bolus, or an infusion over
    /// `infusion_h` hours; no ADDL, no steady state, no data columns.
    pub fn given(time: f64, amount: f64, cmt: usize, infusion_h: Option<f64>) -> Self {
        Self {
            time,
            amount,
            cmt,
            rate: infusion_h.map_or(0.0, |h| amount / h),
            interval: 0.0,
            additional: 0,
            steady_state: 0,
            columns: BTreeMap::new(),
        }
    }

    /// The dose of a dataset row (EVID 1 or 4), with the data columns `spec`'s dose inputs read.
    pub fn from_row(row: &Row, spec: &ModelSpec) -> Self {
        Self {
            time: row.time,
            amount: row.amt,
            cmt: row.cmt.unwrap_or(1),
            rate: row.rate,
            interval: row.ii,
            additional: row.addl,
            steady_state: row.ss,
            columns: spec
                .dose_columns()
                .into_iter()
                .filter_map(|c| row.number(&c).map(|v| (c, v)))
                .collect(),
        }
    }
}

impl ColumnLookup for DoseEvent {
    fn number(&self, column: &str) -> Option<f64> {
        self.columns.get(column).copied()
    }
}

impl ModelSpec {
    /// The dose `event` delivers with this model and these individual `parameters`: the dosed
    /// slot (CMT − 1), RATE and SS as NONMEM reads them, and the dosed compartment's lag,
    /// bioavailability, modelled rate and duration from the model file's `dose_inputs`
    /// (from a value, a parameter, or a data column of the event).
    ///
    /// This is the only place a dose becomes a [`pk_models::Dose`].
    ///
    /// # Errors
    /// A CMT the model does not have; a dose input reading a parameter or a column that is
    /// not there.
    pub fn dose(&self, event: &DoseEvent, parameters: &BTreeMap<String, f64>) -> Result<Dose> {
        let n_states = self.state_names.len();
        if event.cmt == 0 || event.cmt > n_states {
            return Err(Error::Inconsistent {
                what: format!(
                    "dose at {} h: CMT {} does not exist (the model has {n_states} compartments: {})",
                    event.time,
                    event.cmt,
                    self.state_names.join(", ")
                ),
            });
        }
        let compartment = event.cmt - 1;
        Ok(Dose {
            compartment,
            amount: event.amount,
            rate: DoseRate::from_nonmem(event.rate),
            interval: event.interval,
            additional: event.additional,
            steady_state: SteadyState::from_nonmem(event.steady_state),
            inputs: self.dose_inputs(compartment, event, parameters)?,
        })
    }

    /// The data columns the model's dose inputs read, in the order first named.
    pub fn dose_columns(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (_, d) in &self.dose_inputs {
            for source in d.sources() {
                if let Source::Column(c) = source
                    && !out.contains(c)
                {
                    out.push(c.clone());
                }
            }
        }
        out
    }

    /// The data columns the dose inputs of slot `compartment` read (a scenario's regimen has
    /// no data columns, so it may not dose such a compartment).
    pub fn dose_columns_of(&self, compartment: usize) -> Vec<&str> {
        self.dose_inputs
            .iter()
            .filter(|(i, _)| *i == compartment)
            .flat_map(|(_, d)| d.sources())
            .filter_map(|s| match s {
                Source::Column(c) => Some(c.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The dose inputs of slot `compartment` for a dose record.
    fn dose_inputs(
        &self,
        compartment: usize,
        record: &impl ColumnLookup,
        parameters: &BTreeMap<String, f64>,
    ) -> Result<DoseInputs> {
        if let Some(eq) = &self.equations {
            return eq.dose_inputs(compartment, parameters);
        }
        let mut inputs = DoseInputs::default();
        let Some((_, spec)) = self.dose_inputs.iter().find(|(i, _)| *i == compartment) else {
            return Ok(inputs);
        };
        let value = |source: &Source, what: &str| -> Result<f64> {
            match source {
                Source::Value(v) => Ok(*v),
                Source::Parameter(p) => {
                    parameters.get(p).copied().ok_or_else(|| Error::Undefined {
                        name: p.clone(),
                        context: what.to_owned(),
                    })
                }
                Source::Column(c) => record
                    .number(c)
                    .ok_or_else(|| Error::MissingColumn { column: c.clone() }),
            }
        };
        if let Some(s) = &spec.lag {
            inputs.lag = value(s, "lag")?;
        }
        if let Some(s) = &spec.bioavailability {
            inputs.bioavailability = value(s, "bioavailability")?;
        }
        if let Some(s) = &spec.modelled_rate {
            inputs.modelled_rate = Some(value(s, "modelled_rate")?);
        }
        if let Some(s) = &spec.modelled_duration {
            inputs.modelled_duration = Some(value(s, "modelled_duration")?);
        }
        Ok(inputs)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Racemic warfarin: the S-enantiomer is half of the dose, entering the depot 0.5 h late.
    const ORAL: &str = r#"(
        name: "oral",
        structure: (compartments: 1, absorption: FirstOrder, elimination: Linear),
        parameters: { "CL": (value: 1.0, unit: "L/h"), "V": (value: 10.0, unit: "L"),
                      "KA": (value: 1.0, unit: "1/h"), "F1": (value: 0.5, unit: "1") },
        outputs: [(name: "CP", compartment: "central", unit: "mg/L")],
        dose_inputs: [(compartment: "depot", bioavailability: Parameter("F1"), lag: Column("ALAG"))],
    )"#;

    #[test]
    fn dose_inputs_come_from_parameters_and_columns() -> Result<()> {
        let spec = ModelSpec::parse(ORAL, Path::new("oral.ron"))?;
        let mut event = DoseEvent::given(24.0, 10.0, 1, None);
        event.columns.insert("ALAG".into(), 0.5);
        let dose = spec.dose(&event, &spec.typical_parameters())?;
        assert_eq!(dose.inputs.bioavailability, 0.5);
        assert_eq!(dose.inputs.lag, 0.5);
        assert_eq!(spec.dose_columns(), ["ALAG"]);
        assert_eq!(spec.dose_columns_of(0), ["ALAG"]);
        assert!(spec.dose_columns_of(1).is_empty());
        Ok(())
    }

    #[test]
    fn a_dose_into_the_central_compartment_takes_no_depot_inputs() -> Result<()> {
        let spec = ModelSpec::parse(ORAL, Path::new("oral.ron"))?;
        let dose = spec.dose(
            &DoseEvent::given(0.0, 10.0, 2, Some(2.0)),
            &spec.typical_parameters(),
        )?;
        assert_eq!(dose.inputs, DoseInputs::default());
        assert_eq!(dose.rate, DoseRate::Rate(5.0));
        Ok(())
    }

    #[test]
    fn a_missing_column_or_compartment_is_an_error() -> Result<()> {
        let spec = ModelSpec::parse(ORAL, Path::new("oral.ron"))?;
        let p = spec.typical_parameters();
        let err = spec
            .dose(&DoseEvent::given(0.0, 10.0, 1, None), &p)
            .unwrap_err();
        assert!(err.to_string().contains("ALAG"), "{err}");
        let err = spec
            .dose(&DoseEvent::given(0.0, 10.0, 3, None), &p)
            .unwrap_err();
        assert!(err.to_string().contains("CMT 3"), "{err}");
        Ok(())
    }
}
