//! Criterion benchmarks of `pk_models`: one subject from parameters to concentrations.
//!
//! IDs are `{kind}/{model}/{path}/{regimen}`:
//!
//! | ID | what is timed (one subject) |
//! |---|---|
//! | `pk/oral1cmt/exact/q12h_14d_hourly` | `CompartmentModel::new` + `simulate(.., SolutionPath::Auto)`: matrix exponential path |
//! | `pk/oral1cmt/ode/q12h_14d_hourly` | the same with `SolutionPath::Ode(SolverSettings::default())`: Dopri5, rtol 1e-8, atol 1e-10 mg |
//! | `pk/mm2cmt/ode/q24h_7d_hourly` | 2-compartment Michaelis–Menten model, `SolutionPath::Ode`, Dopri5, rtol 1e-6, atol 1e-9 mg |
//! | `baseline/oral1cmt/superposition/q12h_14d_hourly` | Bateman function summed by hand over past doses at each output time |
//! | `baseline/oral1cmt/propagator/q12h_14d_hourly` | hand-written 2×2 transition matrix stepped hour by hour, doses added at their hours |
//! | `advance/oral1cmt/exact/12h` | one twin's dose-to-dose advance: `Propagate::advance` of a built `Propagator` over one 12 h interval, from the state just after a dose (the step's Φ cached, as after the first interval) |
//! | `advance/oral1cmt/ode/12h` | the same on the ODE path (Dopri5, rtol 1e-8, atol 1e-10 mg) |
//! | `advance/mm2cmt/ode/24h` | one W2 twin over one 24 h interval after a 200 mg bolus, Dopri5 at rtol 1e-6, atol 1e-9 mg |
//! | `advance/mm2cmt/lanes16/24h` | sixteen W2 twins (VMAX 7–13 mg/h) over the same interval in lock-step (`pk_models::batch`); divide by 16 for a twin |
//!
//! Models (units: h, mg, L, L/h, 1/h):
//! - `oral1cmt`: one compartment with first-order absorption, CL = 5, V = 50, KA = 1, F = 1.
//! - `mm2cmt`: two compartments, V1 = 20, Q = 10, V2 = 40 (k12 = 0.5, k21 = 0.25), CL = 0,
//!   Michaelis–Menten elimination VMAX = 10 mg/h, KM = 2 mg/L; IV boluses into the central one.
//!
//! Regimens:
//! - `q12h_14d_hourly`: 100 mg every 12 h for 14 days (28 doses from t = 0, one dose record with
//!   ADDL = 27), concentration every hour 0..=336 h (337 observation records).
//! - `q24h_7d_hourly`: 200 mg IV bolus every 24 h for 7 days (7 doses), every hour 0..=168 h.
//!
//! Inputs are fixed constants (no random numbers), built outside the timed closure; the
//! baselines write into a buffer allocated once. The baselines are checked against the exact path
//! to 1e-10 relative in `twinsim_benches::baseline`'s tests, so they do the same work.
//! Throughput is in output points, so criterion also reports time per point.
//!
//! Run: `cargo bench -p twinsim-benches --bench pk_models` (add
//! `-- --warm-up-time 1 --measurement-time 3` for a quick run, or an ID prefix such as `pk/oral1cmt`
//! to filter).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pk_models::batch::{BatchDopri5, BatchModel, BatchSettings, MmParams, MmTwoCompartment};
use pk_models::{Propagate, Propagator, SolutionPath, simulate};
use twinsim_benches::baseline::{propagator, superposition};
use twinsim_benches::scenarios::{
    Grid, Oral1Cmt, Regimen, mm2cmt_model, mm2cmt_records, mm2cmt_settings, oral1cmt_records,
};

/// The oral regimen's ID suffix.
const ORAL_REGIMEN: &str = "q12h_14d_hourly";

fn oral1cmt(c: &mut Criterion) {
    let (params, regimen, grid) = (Oral1Cmt::BENCH, Regimen::Q12H_14D, Grid::HOURLY_14D);
    let records = oral1cmt_records(&params, &regimen, &grid);
    let mut group = c.benchmark_group("pk/oral1cmt");
    group.throughput(Throughput::Elements(u64::from(grid.n_points)));
    group.bench_function(format!("exact/{ORAL_REGIMEN}"), |b| {
        b.iter(|| {
            let model = black_box(params).model()?;
            simulate(&model, black_box(&records), SolutionPath::Auto)
        });
    });
    group.bench_function(format!("ode/{ORAL_REGIMEN}"), |b| {
        b.iter(|| {
            let model = black_box(params).model()?;
            simulate(
                &model,
                black_box(&records),
                SolutionPath::Ode(pk_models::SolverSettings::default()),
            )
        });
    });
    group.finish();
}

fn mm2cmt(c: &mut Criterion) {
    let records = mm2cmt_records();
    let settings = mm2cmt_settings();
    let mut group = c.benchmark_group("pk/mm2cmt");
    group.throughput(Throughput::Elements(u64::from(Grid::HOURLY_7D.n_points)));
    group.bench_function("ode/q24h_7d_hourly", |b| {
        b.iter(|| {
            let model = mm2cmt_model()?;
            simulate(
                &model,
                black_box(&records),
                SolutionPath::Ode(black_box(settings)),
            )
        });
    });
    group.finish();
}

fn baselines(c: &mut Criterion) {
    let (params, regimen, grid) = (Oral1Cmt::BENCH, Regimen::Q12H_14D, Grid::HOURLY_14D);
    let mut out = vec![0.0; grid.n_points as usize];
    let mut group = c.benchmark_group("baseline/oral1cmt");
    group.throughput(Throughput::Elements(u64::from(grid.n_points)));
    group.bench_function(format!("superposition/{ORAL_REGIMEN}"), |b| {
        b.iter(|| {
            superposition(
                black_box(&params),
                black_box(&regimen),
                black_box(&grid),
                &mut out,
            );
            black_box(&out);
        });
    });
    group.bench_function(format!("propagator/{ORAL_REGIMEN}"), |b| {
        b.iter(|| {
            propagator(
                black_box(&params),
                black_box(&regimen),
                black_box(&grid),
                &mut out,
            );
            black_box(&out);
        });
    });
    group.finish();
}

/// One dosing interval, one twin (or sixteen in lanes), from the state just after a dose.
fn advance(c: &mut Criterion) {
    let mut group = c.benchmark_group("advance");
    let oral = Oral1Cmt::BENCH.model().expect("oral model");
    // Just after a 100 mg dose into the depot (slot 0), with the previous dose's residue.
    let start = [100.0, 40.0];
    for (name, path) in [
        ("exact", SolutionPath::Auto),
        (
            "ode",
            SolutionPath::Ode(pk_models::SolverSettings::default()),
        ),
    ] {
        let mut propagator = Propagator::new(oral.clone(), path);
        let mut state = start;
        propagator
            .advance(0.0, 12.0, &mut state, &[0.0, 0.0])
            .expect("warm-up interval");
        group.bench_function(format!("oral1cmt/{name}/12h"), |b| {
            b.iter(|| {
                let mut state = black_box(start);
                propagator
                    .advance(0.0, 12.0, &mut state, &[0.0, 0.0])
                    .expect("advance");
                state
            })
        });
    }
    let mm = mm2cmt_model().expect("W2 model");
    let mut propagator = Propagator::new(mm, SolutionPath::Ode(mm2cmt_settings()));
    group.bench_function("mm2cmt/ode/24h", |b| {
        b.iter(|| {
            let mut state = black_box([200.0, 30.0]);
            propagator
                .advance(0.0, 24.0, &mut state, &[0.0, 0.0])
                .expect("advance");
            state
        })
    });
    let mut lanes = MmTwoCompartment::<16>::splat(&MmParams::W2);
    for lane in 0..16 {
        lanes.set_lane(
            lane,
            &MmParams {
                vmax: 7.0 + 0.4 * lane as f64,
                ..MmParams::W2
            },
        );
    }
    let mut integrator = BatchDopri5::new(BatchSettings::default());
    group.bench_function("mm2cmt/lanes16/24h", |b| {
        b.iter(|| {
            let mut state = black_box([[200.0; 16], [30.0; 16]]);
            integrator
                .advance(&lanes, 0.0, 24.0, &mut state, &[], |_, _| {})
                .expect("advance");
            state
        })
    });
    group.finish();
}

criterion_group!(benches, oral1cmt, mm2cmt, baselines, advance);
criterion_main!(benches);
