//! Sequential updating: one observation at a time, each search warm-started from the previous
//! mode over the whole history, ends where a single update with everything ends (the posterior
//! given all data does not depend on the order it arrived in).

use std::collections::BTreeMap;

use twins::Result;
use twins::bayes::{
    DoseEvent, History, IndividualModel, MapSettings, Measurement, Observation, PatientData,
    SequentialUpdater, estimate_map, update_map,
};
use twins::course::ParameterCourse;

use crate::fixtures::{ORAL, spec};

/// Both searches stop at √(gᵀΩg) < 1e-7; near the mode |Δη| in prior sd units is of the order
/// of the gradient norm over the curvature (≥ 2 in these units), so 1e-5 sd is generous.
const SAME_MODE_TOLERANCE_SD: f64 = 1e-5;

fn dose(time: f64, amount: f64) -> DoseEvent {
    DoseEvent {
        time,
        amount,
        cmt: 1,
        rate: 0.0,
        interval: 0.0,
        additional: 0,
        steady_state: 0,
        columns: BTreeMap::new(),
    }
}

#[test]
fn one_at_a_time_equals_all_at_once() -> Result<()> {
    let spec = spec(ORAL)?;
    let patient = PatientData::default();
    let observations: Vec<Observation> = [
        (1.0, 5.1),
        (4.0, 6.3),
        (11.5, 2.2),
        (14.0, 7.9),
        (23.5, 3.0),
    ]
    .into_iter()
    .map(|(time, y)| Observation {
        time,
        output: "CP".into(),
        measurement: Measurement::Value(y),
    })
    .collect();
    let doses = vec![dose(0.0, 300.0), dose(12.0, 300.0)];

    let mut updater = SequentialUpdater::new(&spec, &patient, &BTreeMap::new())?;
    for d in &doses {
        updater.add_dose(d.clone())?;
    }
    let mut modes = Vec::new();
    for o in &observations {
        let map = updater.observe(o.clone())?;
        assert!(map.converged);
        modes.push(map.eta.clone());
    }
    let sequential = updater.estimate().expect("updated").clone();

    let history = History {
        doses,
        observations,
        covariates: Vec::new(),
    };
    let model = IndividualModel::new(&spec, &patient, &BTreeMap::new(), history.clone())?;
    let batch = estimate_map(&model.objective()?, None, &MapSettings::default())?;
    assert!(batch.converged);
    assert_eq!(updater.history(), &history);
    let omega = spec
        .random_effects()
        .expect("random effects")
        .omega()
        .matrix()
        .clone();
    for k in 0..3 {
        let sd = omega[(k, k)].sqrt();
        assert!(
            (sequential.eta[k] - batch.eta[k]).abs() < SAME_MODE_TOLERANCE_SD * sd,
            "eta[{k}]: sequential {} vs batch {}",
            sequential.eta[k],
            batch.eta[k]
        );
    }
    assert!((sequential.objective - batch.objective).abs() < 1e-9 * (1.0 + batch.objective.abs()));
    // The stateless update an engine system calls gives the same mode.
    let typical = ParameterCourse::constant(spec.typical_values(&patient, &BTreeMap::new())?);
    let mut previous = None;
    for k in 1..=history.observations.len() {
        let partial = History {
            doses: history.doses.clone(),
            observations: history.observations[..k].to_vec(),
            covariates: Vec::new(),
        };
        previous = Some(update_map(
            &spec,
            &typical,
            &partial,
            previous.as_ref(),
            &MapSettings::default(),
        )?);
    }
    let stateless = previous.expect("five updates");
    for k in 0..3 {
        let sd = omega[(k, k)].sqrt();
        assert!((stateless.eta[k] - batch.eta[k]).abs() < SAME_MODE_TOLERANCE_SD * sd);
    }
    // The data did move the twin: the modes along the way differ from each other.
    assert!(modes.windows(2).all(|w| w[0] != w[1]));
    Ok(())
}
