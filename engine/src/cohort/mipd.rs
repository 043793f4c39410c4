//! Model-informed precision dosing inside a running scenario: a twin's posterior mode from its
//! simulated doses and observations (MAP Bayes, `twins::bayes::update_map`), and the maintenance
//! dose that brings its predicted steady-state AUC24 to a target.

use std::collections::BTreeMap;

use pk_models::{Record, SolutionPath, simulate};
use twins::bayes::{History, MapEstimate, MapSettings, Measurement, Observation, update_map};
use twins::course::ParameterCourse;
use twins::model_file::{DoseEvent, ModelSpec};

use crate::scenario::Regimen;

/// Points per dosing interval for the trapezoid AUC of the steady-state prediction: the error
/// of the rule on a smooth one-interval profile is below 1e-4 relative.
const AUC_POINTS: usize = 400;

/// The twin's observations of one output: (time h, value).
pub struct Levels<'a> {
    /// Observation times (h).
    pub times: &'a [f64],
    /// Observed values, one per time.
    pub values: &'a [f64],
    /// The output's name.
    pub output: &'a str,
}

/// Updates the posterior mode from every dose given and every level, warm-started from
/// `previous`. None when the update fails (the dose is then left as it is).
pub fn update(
    spec: &ModelSpec,
    typical: &ParameterCourse,
    regimen: &Regimen,
    given: &[(f64, f64)],
    levels: &Levels<'_>,
    previous: Option<&MapEstimate>,
) -> Option<MapEstimate> {
    let doses = given
        .iter()
        .map(|&(time, amount)| {
            DoseEvent::given(time, amount, regimen.compartment + 1, regimen.infusion_h)
        })
        .collect();
    let observations = levels
        .times
        .iter()
        .zip(levels.values)
        .map(|(&time, &y)| Observation {
            time,
            output: levels.output.to_owned(),
            measurement: Measurement::Value(y),
        })
        .collect();
    let history = History {
        doses,
        observations,
        covariates: Vec::new(),
    };
    update_map(spec, typical, &history, previous, &MapSettings::default()).ok()
}

/// The steady-state AUC24 (output unit × h) of `maintenance_mg` on `regimen`, for a twin with
/// typical values `typical` and random effects `eta`: one interval at steady state (SS = 1,
/// exact for linear models), integrated by the trapezoid rule, times 24/τ.
pub fn steady_state_auc24(
    spec: &ModelSpec,
    typical: &BTreeMap<String, f64>,
    eta: &[f64],
    regimen: &Regimen,
    maintenance_mg: f64,
    output: usize,
) -> Option<f64> {
    let mut parameters = typical.clone();
    spec.apply_etas(&mut parameters, eta);
    let model = spec.build(&parameters).ok()?;
    let tau = regimen.every_h;
    let event = DoseEvent {
        steady_state: 1,
        interval: tau,
        ..DoseEvent::given(
            0.0,
            maintenance_mg,
            regimen.compartment + 1,
            regimen.infusion_h,
        )
    };
    let dose = spec.dose(&event, &parameters).ok()?;
    let mut records = vec![Record::dose(0.0, dose)];
    records
        .extend((0..=AUC_POINTS).map(|i| Record::observation(tau * i as f64 / AUC_POINTS as f64)));
    let states = simulate(&model, &records, SolutionPath::Auto).ok()?;
    let mut out = Vec::new();
    let values: Vec<f64> = (1..records.len())
        .map(|i| {
            spec.outputs_into(&model, records[i].time, states.state(i), &mut out);
            out[output]
        })
        .collect();
    let h = tau / AUC_POINTS as f64;
    let auc_tau: f64 = values.windows(2).map(|w| 0.5 * h * (w[0] + w[1])).sum();
    (auc_tau > 0.0).then_some(auc_tau * 24.0 / tau)
}
