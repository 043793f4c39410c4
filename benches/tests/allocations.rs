//! Heap allocations of one subject must not grow with its number of output points (STYLE.md 19).
//!
//! A counting global allocator sees every allocation in this test binary, so the measured regions
//! run one at a time, behind [`SERIAL`]. Each subject is the oral benchmark's: 100 mg every 12 h
//! for 14 days into a one-compartment model with first-order absorption.
//!
//! The two ignored tests fail today and say why; see "Allocations" in `BENCHMARKS.md`.

use std::alloc::System;
use std::sync::Mutex;

use pk_models::{Model, Propagator, Record, SolutionPath, SolverSettings, Subject, Trajectory};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use twinsim_benches::scenarios::{Grid, Oral1Cmt, Regimen, oral1cmt_records, records};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Only one measured region at a time: the counts are process-wide.
static SERIAL: Mutex<()> = Mutex::new(());

/// Ten times the hourly benchmark's 337 observation records.
const MANY_POINTS: u32 = 3370;

/// Allocations that may differ between two runs for reasons other than the number of points
/// (a buffer grown once more, say); one allocation per output point would add thousands.
const FIXED_ALLOWANCE: usize = 8;

/// Allocations (new blocks plus reallocations) made while one subject runs `records`.
///
/// The `Subject` and its propagator are built inside the region (a fixed cost per subject:
/// state vectors, the linear system, the dose queue); `out` is allocated once by the caller with
/// room for every record and only cleared here, as a cohort loop would reuse it.
fn allocations_per_subject(
    model: &impl Model,
    path: SolutionPath,
    records: &[Record],
    out: &mut Trajectory,
) -> Result<usize, pk_models::Error> {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    out.clear();
    let region = Region::new(GLOBAL);
    let mut subject = Subject::new(Propagator::new(model, path), model.n_states());
    subject.run(records, out)?;
    drop(subject);
    let change = region.change();
    assert_eq!(out.len(), records.len());
    Ok(change.allocations + change.reallocations)
}

/// Runs the oral subject on the hourly benchmark records and on each of `others`, and asserts
/// that none allocates more than the hourly run plus [`FIXED_ALLOWANCE`].
fn assert_no_growth(path: SolutionPath, others: &[(&str, Vec<Record>)]) -> Result<(), String> {
    let oral = Oral1Cmt::BENCH;
    let model = oral.model().map_err(|e| e.to_string())?;
    let hourly = oral1cmt_records(&oral, &Regimen::Q12H_14D, &Grid::HOURLY_14D);
    let largest = others.iter().map(|(_, r)| r.len()).max().unwrap_or(0);
    let mut out = Trajectory::with_capacity(model.n_states(), largest.max(hourly.len()));
    let run = |records: &[Record], out: &mut Trajectory| {
        allocations_per_subject(&model, path, records, out).map_err(|e| e.to_string())
    };
    let base = run(&hourly, &mut out)?;
    let mut failures = Vec::new();
    for (name, records) in others {
        let n = run(records, &mut out)?;
        eprintln!("{path:?}: {base} allocations for 337 hourly points, {n} for {name}");
        if n > base + FIXED_ALLOWANCE {
            failures.push(format!("{n} allocations for {name}"));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{path:?}: {base} allocations for 337 hourly points, but {}",
            failures.join(", ")
        ))
    }
}

/// The oral regimen with `MANY_POINTS` observations every `step` hours from 0.
fn oral_records_every(step: f64) -> Vec<Record> {
    oral1cmt_records(
        &Oral1Cmt::BENCH,
        &Regimen::Q12H_14D,
        &Grid {
            step,
            n_points: MANY_POINTS,
        },
    )
}

/// The oral regimen with `MANY_POINTS` observations at irregular times 0.05–0.15 h apart, from a
/// fixed-seed linear congruential generator (Knuth's MMIX constants): the same times every run.
fn oral_records_irregular() -> Vec<Record> {
    let regimen = Regimen::Q12H_14D;
    let no_points = Grid {
        step: 1.0,
        n_points: 0,
    };
    let mut all = records(
        regimen.amount,
        Oral1Cmt::BENCH.f,
        regimen.interval,
        regimen.n_doses,
        &no_points,
    );
    let mut seed: u64 = 2026;
    let mut time = 0.0;
    for _ in 0..MANY_POINTS {
        all.push(Record::observation(time));
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let uniform = (seed >> 11) as f64 / (1u64 << 53) as f64;
        time += 0.05 + 0.1 * uniform;
    }
    all
}

/// Once the step matrices for the grid's step are cached, an output point costs no allocation:
/// ten times the points (the same regimen observed hourly for 3370 h) allocate the same.
#[test]
fn exact_path_allocations_do_not_grow_with_output_points() -> Result<(), String> {
    assert_no_growth(
        SolutionPath::Auto,
        &[("3370 hourly points", oral_records_every(1.0))],
    )
}

/// Fails today: `ExactPropagator` (pk_models/src/linear.rs) caches `Φ(h)`, `Γ(h)` per exact bit
/// pattern of the step `h`, and builds a missing one with `LinearSystem::step`, which allocates
/// (the augmented `DMatrix`, nalgebra's `exp` workspace, the `phi`/`gamma` vectors). Decimal
/// times `j·0.1` give about a dozen different float steps; irregular times give one per point.
#[test]
#[ignore = "pk_models allocates per distinct step length (linear.rs ExactPropagator::advance → LinearSystem::step)"]
fn exact_path_allocations_do_not_grow_with_decimal_or_irregular_times() -> Result<(), String> {
    assert_no_growth(
        SolutionPath::Auto,
        &[
            ("3370 points every 0.1 h", oral_records_every(0.1)),
            ("3370 irregular points", oral_records_irregular()),
        ],
    )
}

/// Fails today: each segment between records builds a fresh `ode_solvers::Dopri5` on
/// `DVector` states (pk_models/src/ode.rs, `OdeIntegrator::advance`), and `Dopri5::integrate`
/// clones and combines heap vectors at every stage of every step.
#[test]
#[ignore = "pk_models' ODE path allocates per segment and per step (ode.rs OdeIntegrator::advance, ode_solvers on DVector)"]
fn ode_path_allocations_do_not_grow_with_output_points() -> Result<(), String> {
    assert_no_growth(
        SolutionPath::Ode(SolverSettings::default()),
        &[("3370 hourly points", oral_records_every(1.0))],
    )
}
