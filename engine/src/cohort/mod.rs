//! One cohort: a `bevy_ecs` world whose entities are twins, stepped tick by tick through a
//! single-threaded schedule whose order is fixed in [`schedule`]. Parallelism is across worlds
//! (rayon, in [`crate::run`]), never inside one.

pub mod components;
pub mod lanes;
pub mod mipd;
pub mod systems;

use std::collections::BTreeMap;
use std::sync::Arc;

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::SingleThreadedExecutor;
use pk_models::SolutionPath;
use pk_models::outcomes::OutcomeValue;
use twins::course::{CourseSubject, ParameterCourse};
use twins::population::{Patient, PatientAt};
use twins::random::{Purpose, TwinKey};

use crate::Error;
use crate::dosing::amount_mg;
use crate::scenario::{Regimen, Scenario};
use components::{
    Belief, Body, Clock, Cohort, DosePlan, Failure, Observed, Outcomes, Recorded, Streams, Twin,
};

/// The twin part of the random-stream key reserved for replicate-level draws.
const REPLICATE_STREAM: u32 = u32::MAX;

/// The systems of one tick, in the order they run. This is the one place the order is set.
pub fn schedule() -> Schedule {
    let mut schedule = Schedule::default();
    schedule.set_executor(SingleThreadedExecutor::new());
    schedule.add_systems(
        (
            systems::apply_doses,
            systems::advance,
            systems::observe,
            systems::adapt,
            systems::evaluate_outcomes,
        )
            .chain(),
    );
    schedule
}

/// Which twins a world holds.
#[derive(Debug, Clone)]
pub struct WorldSpec {
    /// The scenario.
    pub scenario: Arc<Scenario>,
    /// Arm index (the cohort part of the random-stream key).
    pub arm: usize,
    /// Replicate index.
    pub replicate: u32,
    /// First twin index.
    pub first_twin: u32,
    /// Number of twins.
    pub n_twins: u32,
    /// The regimen (the arm's, or an escalation level's).
    pub regimen: Regimen,
    /// The random-stream cohort number (the arm index, or an escalation cohort's number).
    pub stream_cohort: u32,
}

/// What one twin ended with.
#[derive(Debug, Clone)]
pub struct TwinResult {
    /// Index within the arm.
    pub index: u32,
    /// Covariates, genotypes, etas.
    pub patient: Patient,
    /// Individual parameters at the start of the trial (they change later when the
    /// population's covariates do).
    pub parameters: BTreeMap<String, f64>,
    /// Outcome values, in scenario order.
    pub outcomes: Vec<OutcomeValue>,
    /// True outputs at the record times, row-major.
    pub recorded: Vec<f64>,
    /// Doses given: (time h, mg).
    pub doses: Vec<(f64, f64)>,
}

/// The typical values of one replicate: drawn from their uncertainty when the model gives one.
pub fn replicate_theta(scenario: &Scenario, replicate: u32) -> BTreeMap<String, f64> {
    let Some(u) = scenario.model.uncertainty() else {
        return BTreeMap::new();
    };
    let key = TwinKey {
        scenario_seed: scenario.seed,
        replicate,
        cohort: REPLICATE_STREAM,
        twin: REPLICATE_STREAM,
    };
    let draw = u.sample(&mut key.stream(Purpose::Uncertainty));
    u.names().iter().cloned().zip(draw).collect()
}

/// The components of one new twin entity.
type TwinBundle = (
    (Twin, Belief, Body, DosePlan),
    (Observed, Recorded, Streams, Outcomes, lanes::InBatch),
);

/// The twins' bundles in index order, until one fails (its error is kept in `error`). Its size
/// hint is the number of twins, so that a batch spawn sizes the world's table once.
struct UntilError<'e, F> {
    twins: std::ops::Range<u32>,
    make: F,
    error: &'e mut Option<Error>,
}

impl<F: FnMut(u32) -> Result<TwinBundle, Error>> Iterator for UntilError<'_, F> {
    type Item = TwinBundle;

    fn next(&mut self) -> Option<TwinBundle> {
        if self.error.is_some() {
            return None;
        }
        match (self.make)(self.twins.next()?) {
            Ok(bundle) => Some(bundle),
            Err(e) => {
                *self.error = Some(e);
                None
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.twins.len(), Some(self.twins.len()))
    }
}

/// Samples twin `index` and builds its components.
fn new_twin(
    spec: &WorldSpec,
    theta: &BTreeMap<String, f64>,
    index: u32,
) -> Result<TwinBundle, Error> {
    let scenario = &spec.scenario;
    let key = TwinKey {
        scenario_seed: scenario.seed,
        replicate: spec.replicate,
        cohort: spec.stream_cohort,
        twin: index,
    };
    let wrap = |what, source: twins::Error| Error::Twin {
        replicate: spec.replicate,
        arm: scenario
            .arms
            .get(spec.arm)
            .map_or_else(|| "escalation".to_owned(), |a| a.name.clone()),
        twin: index,
        what,
        source: Box::new(source),
    };
    let mut patient = scenario
        .population
        .sample_patient(key)
        .map_err(|e| wrap("sampling the patient", e))?;
    patient.etas = match scenario.model.random_effects() {
        Some(r) => r.sample(&mut key.stream(Purpose::Eta)),
        None => Vec::new(),
    };
    // Typical values serve MAP-guided dosing only.
    let map_guided = scenario.arms.get(spec.arm).is_some_and(|a| {
        a.rules
            .iter()
            .any(|r| matches!(r, crate::scenario::Rule::MapGuided { .. }))
    });
    // Typical values over the trial: at the baseline, and at every record of the population's
    // time-varying covariates (none: one set for the whole trial).
    let changes = scenario
        .population
        .sample_course(&patient, scenario.duration_h)
        .map_err(|e| wrap("sampling the covariate course", e))?;
    let with_etas = |mut values: twins::course::Values| {
        scenario.model.apply_etas(&mut values, &patient.etas);
        values
    };
    let (course, typical) = if changes.is_empty() && !map_guided {
        // The common case, without a copy: one set of parameters, no MAP-guided rule.
        let typical = scenario
            .model
            .typical_values(&patient, theta)
            .map_err(|e| wrap("computing parameters", e))?;
        (ParameterCourse::constant(with_etas(typical)), None)
    } else {
        let at = |covariates| PatientAt {
            patient: &patient,
            covariates,
        };
        let typical = scenario
            .model
            .typical_course(
                std::iter::once((0.0, at(&patient.covariates)))
                    .chain(changes.iter().map(|c| (c.time_h, at(&c.covariates)))),
                theta,
            )
            .map_err(|e| wrap("computing parameters", e))?;
        let course = typical
            .try_map(|v| Ok(with_etas(v.clone())))
            .map_err(|e| wrap("computing parameters", e))?;
        (course, map_guided.then_some(typical))
    };
    // Linear models are solved exactly, the linear PK of a PK/PD model too (its PD by the ODE
    // solver), and the rest by the ODE solver: with the scenario's settings when it gives them.
    // PD states start at their baseline (e.g. Circ0), not at zero.
    let path = scenario
        .solver
        .map_or(SolutionPath::Auto, SolutionPath::AutoWith);
    let constant = course.is_constant();
    let body = CourseSubject::new(&scenario.model, course, path)
        .map_err(|e| wrap("building the model", e))?;
    let reads = if constant {
        scenario.model.output_reads(body.model())
    } else {
        None
    };
    let r = &spec.regimen;
    let plan = DosePlan {
        next: 0,
        maintenance_mg: amount_mg(&r.dose, &patient),
        loading_mg: r
            .loading
            .as_ref()
            .map_or(0.0, |l| amount_mg(&l.dose, &patient)),
        hold: 0,
        given: Vec::with_capacity(r.doses as usize),
    };
    let n_rules = scenario.arms.get(spec.arm).map_or(0, |a| a.rules.len());
    Ok((
        (
            Twin { index, patient },
            Belief {
                typical,
                estimate: None,
            },
            Body {
                course: body,
                reads,
            },
            plan,
        ),
        (
            Observed::default(),
            Recorded(Vec::with_capacity(
                scenario.record_times.len() * scenario.output_names.len(),
            )),
            Streams::new(key),
            Outcomes {
                values: Vec::new(),
                fired: vec![false; n_rules],
            },
            lanes::InBatch::ALONE,
        ),
    ))
}

/// One stop of the world's clock.
#[derive(Debug, Clone, PartialEq)]
struct Tick {
    /// Its time (h).
    now: f64,
    /// The record times taken on the way here (indices into the scenario's record times): those
    /// after the previous tick, up to and including this one.
    records: std::ops::Range<usize>,
    /// The visit at this time, if any.
    visit: Option<usize>,
}

/// The times the world stops at: the first record time, every visit, the last record time.
/// Record times in between are taken by [`systems::advance`] on its way, so a world without
/// visits runs its schedule twice, not once per record time.
fn ticks(scenario: &Scenario) -> Vec<Tick> {
    let (r, v) = (&scenario.record_times, &scenario.visits);
    let mut times: Vec<f64> = v.clone();
    times.extend(r.first().copied());
    times.extend(r.last().copied());
    times.sort_by(f64::total_cmp);
    times.dedup();
    let mut next_record = 0;
    times
        .into_iter()
        .map(|now| {
            let first = next_record;
            while next_record < r.len() && r[next_record] <= now {
                next_record += 1;
            }
            Tick {
                now,
                records: first..next_record,
                visit: v.iter().position(|&t| t == now),
            }
        })
        .collect()
}

/// A placeholder left in a twin whose patient has been moved out at the end of a run.
fn empty_patient() -> Patient {
    Patient {
        key: TwinKey {
            scenario_seed: 0,
            replicate: 0,
            cohort: 0,
            twin: 0,
        },
        covariates: twins::covariates::Covariates::new(
            twins::covariates::CovariatesInput::default(),
        )
        .unwrap_or_else(|_| unreachable!("the default covariates are valid")),
        genotypes: Vec::new(),
        etas: Vec::new(),
    }
}

/// Builds the world, runs every tick, and returns each twin's result in index order.
pub fn run_world(spec: &WorldSpec) -> Result<Vec<TwinResult>, Error> {
    let scenario = &spec.scenario;
    let theta = replicate_theta(scenario, spec.replicate);
    let mut world = World::new();
    world.insert_resource(Cohort {
        scenario: scenario.clone(),
        arm: spec.arm,
        replicate: spec.replicate,
        regimen: spec.regimen.clone(),
    });
    world.insert_resource(Failure::default());
    world.insert_resource(Clock::default());
    // Spawned in one batch, each twin built straight into the world's table (sized once for
    // all of them); the first twin that cannot be built ends the batch and the run.
    let mut failed = None;
    world.spawn_batch(UntilError {
        twins: spec.first_twin..spec.first_twin + spec.n_twins,
        make: |index| new_twin(spec, &theta, index),
        error: &mut failed,
    });
    if let Some(e) = failed {
        return Err(e);
    }
    let batches = if scenario.lanes {
        lanes::Batches::build(
            &mut world,
            &scenario.solver.unwrap_or_default(),
            &scenario.model,
        )
    } else {
        lanes::Batches::default()
    };
    world.insert_resource(batches);
    let mut schedule = schedule();
    let ticks = ticks(scenario);
    let mut previous = 0.0;
    for (k, tick) in ticks.iter().enumerate() {
        *world.resource_mut::<Clock>() = Clock {
            previous,
            now: tick.now,
            records: tick.records.clone(),
            visit: tick.visit,
            last: k + 1 == ticks.len(),
        };
        schedule.run(&mut world);
        if let Some(e) = world.resource_mut::<Failure>().0.take() {
            return Err(e);
        }
        previous = tick.now;
    }
    // Move each twin's results out of the world: it is dropped next, so nothing need be copied.
    let mut query = world.query::<(
        &mut Twin,
        &Body,
        &mut Outcomes,
        &mut Recorded,
        &mut DosePlan,
    )>();
    let mut results: Vec<TwinResult> = query
        .iter_mut(&mut world)
        .map(
            |(mut twin, body, mut outcomes, mut recorded, mut plan)| TwinResult {
                index: twin.index,
                patient: std::mem::replace(&mut twin.patient, empty_patient()),
                parameters: body.course.course().initial().clone(),
                outcomes: std::mem::take(&mut outcomes.values),
                recorded: std::mem::take(&mut recorded.0),
                doses: std::mem::take(&mut plan.given),
            },
        )
        .collect();
    results.sort_by_key(|r| r.index);
    Ok(results)
}
