//! Engine benchmarks (issue 5): cohort throughput and the share of time the ECS itself takes.
//!
//! IDs:
//! - `engine/run/{cohorts}x{twins}/oral1cmt_q12h_14d_hourly/{threads}t`: a whole `twinsim run` of
//!   `benches/scenarios/cohorts_1000x100.ron` (scenario load, worlds, merging, outputs), in-process;
//! - `engine/run/{w1_oral1cmt,w2_mm2cmt}/10000/2t`: the standard workloads W1 and W2 whole
//!   (`benches/scenarios/*.ron`: scenario load, worlds, merging, `timecourse.csv`), in-process on
//!   2 threads; `benches/workloads.rs` times the same against the hand-written baselines;
//! - `engine/world/{twins}/oral1cmt_q12h_14d_hourly`: one cohort world, built and run (two ticks:
//!   the first and last record times; the 337 hourly records are taken on the way);
//! - `engine/world/0/oral1cmt_q12h_14d_hourly`: the same schedule over an empty world: the ECS
//!   cost with no twin work;
//! - `engine/world/500/w2_mm2cmt/{lanes,alone}`: one world of 500 twins of workload W2
//!   (`benches/scenarios/w2_mm2cmt.ron`, Michaelis–Menten, rtol 1e-6, atol 1e-9 mg), its ODE twins
//!   in lock-step lanes of 16 (the default) or one `ode_solvers` Dopri5 per twin
//!   (`solver.lanes: false`);
//! - `engine/direct/{twins}/oral1cmt_q12h_14d_hourly`: the same per-twin work (sampling, doses,
//!   advancing, recording) in a plain loop without the ECS, for the overhead split.
//!
//! Seeds are fixed by the scenario file.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use engine::cohort::{WorldSpec, run_world};
use engine::run::{RunOptions, run};
use engine::scenario::{Overrides, Scenario};
use pk_models::{Dose, Propagator, Record, SolutionPath, Subject};
use twins::random::{Purpose, TwinKey};

fn scenario_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/cohorts_1000x100.ron")
}

fn load(replicates: Option<u32>) -> Arc<Scenario> {
    Arc::new(
        Scenario::load(
            scenario_path(),
            Overrides {
                seed: None,
                replicates,
            },
        )
        .expect("the benchmark scenario is valid"),
    )
}

fn world(scenario: &Arc<Scenario>, n_twins: u32) -> WorldSpec {
    WorldSpec {
        scenario: scenario.clone(),
        arm: 0,
        replicate: 0,
        first_twin: 0,
        n_twins,
        regimen: scenario.arms[0].regimen.clone(),
        stream_cohort: 0,
    }
}

/// The per-twin work of a world, without the ECS: sample, build, dose, advance, record.
fn direct(scenario: &Scenario, n_twins: u32) -> f64 {
    let mut checksum = 0.0;
    let mut outputs = Vec::new();
    for twin in 0..n_twins {
        let key = TwinKey {
            scenario_seed: scenario.seed,
            replicate: 0,
            cohort: 0,
            twin,
        };
        let mut patient = scenario.population.sample_patient(key).expect("patient");
        patient.etas = scenario
            .model
            .random_effects()
            .map_or_else(Vec::new, |r| r.sample(&mut key.stream(Purpose::Eta)));
        let params = scenario
            .model
            .individual_parameters(&patient, &Default::default(), &patient.etas)
            .expect("parameters");
        let model = scenario.model.build(&params).expect("model");
        let mut subject = Subject::new(Propagator::new(model.clone(), SolutionPath::Auto), 2);
        let mut recorded = Vec::with_capacity(scenario.record_times.len());
        let mut next_dose = 0u32;
        for &t in &scenario.record_times {
            while next_dose < 28 && f64::from(next_dose) * 12.0 < t {
                subject
                    .apply(&Record::dose(
                        f64::from(next_dose) * 12.0,
                        Dose::bolus(0, 100.0),
                    ))
                    .expect("dose");
                next_dose += 1;
            }
            subject.advance_to(t).expect("advance");
            scenario
                .model
                .outputs_into(&model, t, subject.state(), &mut outputs);
            recorded.extend_from_slice(&outputs);
        }
        checksum += recorded.iter().sum::<f64>();
    }
    checksum
}

fn benches(c: &mut Criterion) {
    let scenario = load(None);
    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    let out = std::env::temp_dir().join("twinsim-bench-engine");
    for threads in [1, 2] {
        group.bench_function(
            format!("run/1000x100/oral1cmt_q12h_14d_hourly/{threads}t"),
            |b| {
                b.iter(|| {
                    let options = RunOptions {
                        out_dir: out.clone(),
                        threads: Some(threads),
                        progress: false,
                    };
                    black_box(run(scenario.clone(), &options).expect("run"))
                });
            },
        );
    }
    for workload in ["w1_oral1cmt", "w2_mm2cmt"] {
        let scenario = Arc::new(
            Scenario::load(
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("scenarios/{workload}.ron")),
                Overrides::default(),
            )
            .expect("the workload scenario is valid"),
        );
        group.bench_function(format!("run/{workload}/10000/2t"), |b| {
            b.iter(|| {
                let options = RunOptions {
                    out_dir: out.clone(),
                    threads: Some(2),
                    progress: false,
                };
                black_box(run(scenario.clone(), &options).expect("run"))
            });
        });
    }
    for n in [100, 0] {
        let spec = world(&scenario, n);
        group.bench_function(format!("world/{n}/oral1cmt_q12h_14d_hourly"), |b| {
            b.iter(|| black_box(run_world(&spec).expect("world")))
        });
    }
    group.bench_function("direct/100/oral1cmt_q12h_14d_hourly", |b| {
        b.iter(|| black_box(direct(&scenario, 100)))
    });
    let w2 = Scenario::load(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/w2_mm2cmt.ron"),
        Overrides::default(),
    )
    .expect("the W2 scenario is valid");
    for (name, lanes) in [("lanes", true), ("alone", false)] {
        let spec = world(
            &Arc::new(Scenario {
                lanes,
                ..w2.clone()
            }),
            500,
        );
        group.bench_function(format!("world/500/w2_mm2cmt/{name}"), |b| {
            b.iter(|| black_box(run_world(&spec).expect("world")))
        });
    }
    group.finish();
}

criterion_group!(engine_benches, benches);
criterion_main!(engine_benches);
