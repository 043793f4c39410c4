//! The systems of a cohort world. They run once per tick in the order [`super::schedule`] fixes:
//!
//! 1. [`apply_doses`]: doses due before this tick, each at its exact time;
//! 2. [`advance`]: every twin's state to this tick's time, taking the true outputs at the record
//!    times on the way (before a dose due at the same time: records at dose times are troughs);
//! 3. [`observe`]: at visits, each output with residual error (so a dose due at a visit's time
//!    comes after the sample: visits measure troughs);
//! 4. [`adapt`]: dosing rules read the observations and change later doses;
//! 5. [`evaluate_outcomes`]: at the last tick, every outcome on the recorded trajectory.
//!
//! The world stops only where a system needs it (the first record time, visits, the last record
//! time), not at every record time.

use bevy_ecs::prelude::*;
use pk_models::outcomes::{Draws, Outcome, OutcomeValue, Series};
use rand::RngExt;
use rand_distr::Exp1;
use twins::model_file::DoseEvent;

use super::components::{
    Belief, Body, Clock, Cohort, DosePlan, Failure, Observed, Outcomes, Recorded, Streams, Twin,
};
use super::lanes::{Batches, InBatch};
use super::mipd;
use crate::Error;
use crate::dosing::{level_based_auc24, round};
use crate::scenario::Rule;

fn twin_error(
    cohort: &Cohort,
    twin: u32,
    what: &'static str,
    source: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    Error::Twin {
        replicate: cohort.replicate,
        arm: cohort
            .scenario
            .arms
            .get(cohort.arm)
            .map_or_else(|| "escalation".to_owned(), |a| a.name.clone()),
        twin,
        what,
        source: Box::new(source),
    }
}

/// Gives every dose due before `now` (h), each at its own time: the twin's
/// [`pk_models::Subject`] holds them until [`advance`] reaches them (infusions and lags
/// included).
pub fn apply_doses(
    clock: Res<Clock>,
    cohort: Res<Cohort>,
    mut failure: ResMut<Failure>,
    mut twins: Query<(&Twin, &mut DosePlan, &mut Body)>,
) {
    let r = &cohort.regimen;
    let spec = &cohort.scenario.model;
    let loading = r.loading.as_ref().map_or(0, |l| l.doses);
    for (twin, mut plan, mut body) in &mut twins {
        while plan.next < r.doses {
            let time = r.start_h + f64::from(plan.next) * r.every_h;
            if time >= clock.now {
                break;
            }
            let index = plan.next;
            plan.next += 1;
            if plan.hold > 0 {
                plan.hold -= 1;
                continue;
            }
            let amount = if index < loading {
                plan.loading_mg
            } else {
                plan.maintenance_mg
            };
            // The model's dose inputs (bioavailability, lag, ...) in force at the dose's time,
            // as on every other path.
            let event = DoseEvent::given(time, amount, r.compartment + 1, r.infusion_h);
            if let Err(e) = body.course.give_later(spec, &event) {
                failure.set(twin_error(&cohort, twin.index, "giving a dose", e));
            }
            plan.given.push((time, amount));
        }
    }
}

/// Advances every twin to `now`, taking this tick's record times on the way (the true outputs,
/// before any dose given at the same time): the lane batches ([`Batches`]) and each other twin
/// alone.
pub fn advance(
    clock: Res<Clock>,
    cohort: Res<Cohort>,
    mut failure: ResMut<Failure>,
    mut batches: ResMut<Batches>,
    mut twins: Query<(&Twin, &mut Body, &InBatch, &mut Recorded)>,
) {
    let scenario = &cohort.scenario;
    let records = &scenario.record_times[clock.records.clone()];
    if let Err((index, e)) = batches.advance(clock.now, records, &scenario.model, &mut twins) {
        failure.set(twin_error(&cohort, index, "advancing the state", e));
        return;
    }
    // An output that is not a number (a PD effect the parameters cannot give) stops the run
    // with the twin, output and time, rather than a NaN in the results.
    let n_out = scenario.output_names.len();
    let first = clock.records.start * n_out;
    for (twin, _, _, recorded) in &twins {
        let new = recorded.0.get(first..).unwrap_or_default();
        if let Some(k) = new.iter().position(|v| !v.is_finite()) {
            let at = first + k;
            let e = twins::Error::InvalidValue {
                name: format!(
                    "output {} at {} h",
                    scenario.output_names[at % n_out],
                    scenario.record_times[at / n_out]
                ),
                value: new[k],
                expected: "a finite value (the twin's parameters give no finite output)",
            };
            failure.set(twin_error(&cohort, twin.index, "recording the outputs", e));
            return;
        }
    }
}

/// At a visit, samples every output with its residual error from the twin's own stream.
pub fn observe(
    clock: Res<Clock>,
    cohort: Res<Cohort>,
    mut scratch: Local<Vec<f64>>,
    mut twins: Query<(&Body, &mut Observed, &mut Streams)>,
) {
    if clock.visit.is_none() {
        return;
    }
    let spec = &cohort.scenario.model;
    for (body, mut observed, mut streams) in &mut twins {
        let (model, state) = (body.course.model(), body.course.state());
        spec.outputs_into(model, body.course.time(), state, &mut scratch);
        observed.times.push(clock.now);
        for (name, &f) in cohort.scenario.output_names.iter().zip(scratch.iter()) {
            let y = spec
                .residual(name)
                .map_or(f, |e| e.sample(f, streams.residual()));
            observed.values.push(y);
        }
    }
}

/// At a visit, applies the arm's dosing rules to later doses.
pub fn adapt(
    clock: Res<Clock>,
    cohort: Res<Cohort>,
    mut twins: Query<(
        &Observed,
        &Recorded,
        &mut DosePlan,
        &mut Outcomes,
        &mut Belief,
    )>,
) {
    let Some(visit) = clock.visit else { return };
    let Some(arm) = cohort.scenario.arms.get(cohort.arm) else {
        return;
    };
    let n_out = cohort.scenario.output_names.len();
    for (observed, recorded, mut plan, mut outcomes, mut belief) in &mut twins {
        let last = observed.values.len().saturating_sub(n_out);
        for (k, rule) in arm.rules.iter().enumerate() {
            match rule {
                Rule::Titrate {
                    output,
                    bands,
                    round_mg,
                    min_mg,
                    max_mg,
                } => {
                    let y = observed.values[last + output];
                    if let Some(band) = bands.iter().find(|b| y < b.below) {
                        let mg = round(plan.maintenance_mg * (1.0 + band.change), *round_mg);
                        plan.maintenance_mg = mg
                            .max(min_mg.unwrap_or(0.0))
                            .min(max_mg.unwrap_or(f64::INFINITY));
                        plan.hold += band.hold_doses;
                    }
                }
                Rule::ToTarget {
                    output,
                    target,
                    at_visits,
                    round_mg,
                    max_mg,
                } => {
                    let y = observed.values[last + output];
                    if due(at_visits, visit) && y > 0.0 {
                        let mg = round(plan.maintenance_mg * target / y, *round_mg);
                        plan.maintenance_mg = mg.min(max_mg.unwrap_or(f64::INFINITY));
                    }
                }
                Rule::MapGuided {
                    output,
                    target_auc24,
                    at_visits,
                    round_mg,
                    max_mg,
                } => {
                    if !due(at_visits, visit) {
                        continue;
                    }
                    let spec = &cohort.scenario.model;
                    let values: Vec<f64> = observed
                        .values
                        .iter()
                        .skip(*output)
                        .step_by(n_out)
                        .copied()
                        .collect();
                    let levels = mipd::Levels {
                        times: &observed.times,
                        values: &values,
                        output: &cohort.scenario.output_names[*output],
                    };
                    let Some(typical) = &belief.typical else {
                        continue;
                    };
                    let Some(estimate) = mipd::update(
                        spec,
                        typical,
                        &cohort.regimen,
                        &plan.given,
                        &levels,
                        belief.estimate.as_ref(),
                    ) else {
                        continue;
                    };
                    // The steady state of the parameters the twin has now.
                    if let Some(auc24) = mipd::steady_state_auc24(
                        spec,
                        typical.at(clock.now),
                        &estimate.eta,
                        &cohort.regimen,
                        plan.maintenance_mg,
                        *output,
                    ) {
                        let mg = round(plan.maintenance_mg * target_auc24 / auc24, *round_mg);
                        plan.maintenance_mg = mg.min(max_mg.unwrap_or(f64::INFINITY));
                    }
                    belief.estimate = Some(estimate);
                }
                Rule::ToTargetAuc {
                    output,
                    target_auc24,
                    at_visits,
                    round_mg,
                    max_mg,
                } => {
                    if !due(at_visits, visit) {
                        continue;
                    }
                    let n = observed.times.len();
                    if n < 2 {
                        continue;
                    }
                    let (t1, t2) = (observed.times[n - 2], observed.times[n - 1]);
                    let (c1, c2) = (
                        observed.values[(n - 2) * n_out + output],
                        observed.values[(n - 1) * n_out + output],
                    );
                    let r = &cohort.regimen;
                    let Some(auc24) = level_based_auc24(
                        &plan.given,
                        r.infusion_h.unwrap_or(0.0),
                        plan.maintenance_mg * 24.0 / r.every_h,
                        (t1, c1),
                        (t2, c2),
                    ) else {
                        continue;
                    };
                    let mg = round(plan.maintenance_mg * target_auc24 / auc24, *round_mg);
                    plan.maintenance_mg = mg.min(max_mg.unwrap_or(f64::INFINITY));
                }
                Rule::AfterEvent {
                    outcome,
                    hold_doses,
                    reduce_by,
                } => {
                    if outcomes.fired.get(k).copied().unwrap_or(false) {
                        continue;
                    }
                    let def = &cohort.scenario.outcomes[*outcome];
                    let Outcome::Threshold(threshold) = def.definition else {
                        continue;
                    };
                    let (times, values) = series(
                        &cohort,
                        def.observed,
                        def.output,
                        observed,
                        recorded,
                        clock.records.end.checked_sub(1),
                    );
                    let Ok(series) = Series::new(&times, &values) else {
                        continue;
                    };
                    if let Ok(Some(_)) = threshold.onset(series) {
                        plan.hold += hold_doses;
                        plan.maintenance_mg *= 1.0 - reduce_by;
                        plan.loading_mg *= 1.0 - reduce_by;
                        if let Some(f) = outcomes.fired.get_mut(k) {
                            *f = true;
                        }
                    }
                }
            }
        }
    }
}

/// Whether a rule limited to the visits `at_visits` (all of them when empty) acts at `visit`.
fn due(at_visits: &[u32], visit: usize) -> bool {
    at_visits.is_empty() || at_visits.contains(&(visit as u32))
}

/// Output `output`'s series so far: the observations, or the recorded true values.
fn series(
    cohort: &Cohort,
    observed_series: bool,
    output: usize,
    observed: &Observed,
    recorded: &Recorded,
    upto_record: Option<usize>,
) -> (Vec<f64>, Vec<f64>) {
    let n_out = cohort.scenario.output_names.len();
    if observed_series {
        (
            observed.times.clone(),
            observed
                .values
                .iter()
                .skip(output)
                .step_by(n_out)
                .copied()
                .collect(),
        )
    } else {
        let n = recorded.0.len() / n_out;
        let n = upto_record.map_or(n, |r| n.min(r + 1));
        (
            cohort.scenario.record_times[..n].to_vec(),
            recorded
                .0
                .iter()
                .skip(output)
                .step_by(n_out)
                .take(n)
                .copied()
                .collect(),
        )
    }
}

/// At the last tick, evaluates every outcome; probabilistic ones draw from the twin's stream.
pub fn evaluate_outcomes(
    clock: Res<Clock>,
    cohort: Res<Cohort>,
    mut failure: ResMut<Failure>,
    mut twins: Query<(&Twin, &Observed, &Recorded, &mut Streams, &mut Outcomes)>,
) {
    if !clock.last {
        return;
    }
    for (twin, observed, recorded, mut streams, mut outcomes) in &mut twins {
        outcomes.values.clear();
        for def in &cohort.scenario.outcomes {
            // Both draws are taken for every outcome, so streams stay aligned whatever is defined.
            let draws = Draws {
                uniform: Some(streams.events().random::<f64>()),
                exponential: Some(streams.events().sample::<f64, _>(Exp1)),
            };
            let (times, values) =
                series(&cohort, def.observed, def.output, observed, recorded, None);
            let value =
                Series::new(&times, &values).and_then(|s| def.definition.evaluate(s, None, draws));
            match value {
                Ok(v) => outcomes.values.push(v),
                Err(e) => {
                    outcomes.values.push(OutcomeValue::Number(f64::NAN));
                    failure.set(twin_error(&cohort, twin.index, "evaluating an outcome", e));
                }
            }
        }
    }
}
