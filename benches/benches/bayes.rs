//! Criterion benchmarks of Bayesian updating and forecasting (`twins::bayes`, `twins::forecast`).
//!
//! IDs are `bayes/{operation}/{model}/{size}`:
//!
//! | ID | what is timed (one twin) |
//! |---|---|
//! | `bayes/map_cold/vanco2cmt/4obs` | `estimate_map` from η = 0, including the Hessian for the covariance: one MAP update |
//! | `bayes/map_warm/vanco2cmt/4obs` | the same warm-started from the previous mode (a 4th level added to 3) |
//! | `bayes/sample/vanco2cmt/2000proposals` | `sample_posterior`: 2,000 t proposals, 1,000 resampled draws |
//! | `bayes/forecast/vanco2cmt/1000draws_72h` | `forecast` of 1,000 posterior draws over 72 h on a 0.25-h grid (289 points), with AUC24 target attainment |
//!
//! Model `vanco2cmt` (units h, mg, L, L/h): two compartments, CL 4.5, V1 58, Q 6.5, V2 38, log-normal
//! η on all four with ω² = 0.09, 0.05, 0.1, 0.1; residual combined 1 mg/L + 10%. History: 1,000 mg
//! over 1 h at 0 and 12 h; levels at 11.5, 13.5, 18 and 23.5 h (fixed values, no random numbers in
//! the inputs). The forecast's regimen is 1,250 mg over 1 h every 12 h from 24 h, 6 doses.
//! Throughput is one element per update or forecast, so criterion reports updates/s and forecasts/s.
//!
//! Run: `cargo bench -p twinsim-benches --bench bayes` (add `-- --warm-up-time 1
//! --measurement-time 3` for a quick run).

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pk_models::outcomes::{Exposure, Outcome, TargetAttainment};
use twins::bayes::{
    DoseEvent, History, IndividualModel, MapSettings, Measurement, Observation, PatientData,
    SamplingSettings, estimate_map, sample_posterior,
};
use twins::forecast::{EtaDraws, ForecastSettings, NamedOutcome, Regimen, forecast};
use twins::model_file::ModelSpec;
use twins::random::stream_from_seed;

const VANCO: &str = r#"(
    name: "vancomycin-like 2-compartment (bench)",
    structure: (compartments: 2, absorption: None, elimination: Linear),
    parameters: {"CL": (value: 4.5, unit: "L/h"), "V1": (value: 58.0, unit: "L"),
                 "Q": (value: 6.5, unit: "L/h"), "V2": (value: 38.0, unit: "L")},
    outputs: [(name: "CP", compartment: "central", unit: "mg/L")],
    random_effects: (parameters: [(name: "CL"), (name: "V1"), (name: "Q"), (name: "V2")],
                     omega: [[0.09, 0.0, 0.0, 0.0], [0.0, 0.05, 0.0, 0.0], [0.0, 0.0, 0.1, 0.0], [0.0, 0.0, 0.0, 0.1]]),
    residual: {"CP": Combined(sd: 1.0, cv: 0.1)},
)"#;

fn infusion(time: f64) -> DoseEvent {
    DoseEvent {
        time,
        amount: 1000.0,
        cmt: 1,
        rate: 1000.0,
        interval: 0.0,
        additional: 0,
        steady_state: 0,
        columns: BTreeMap::new(),
    }
}

fn history(levels: &[(f64, f64)]) -> History {
    History {
        doses: vec![infusion(0.0), infusion(12.0)],
        observations: levels
            .iter()
            .map(|&(time, y)| Observation {
                time,
                output: "CP".into(),
                measurement: Measurement::Value(y),
            })
            .collect(),
        covariates: Vec::new(),
    }
}

const LEVELS: [(f64, f64); 4] = [(11.5, 7.5), (13.5, 26.0), (18.0, 17.0), (23.5, 10.5)];

fn bayes(c: &mut Criterion) {
    let spec = ModelSpec::parse(VANCO, Path::new("vanco.ron")).expect("bench model parses");
    let patient = PatientData::default();
    let theta = BTreeMap::new();
    let model = IndividualModel::new(&spec, &patient, &theta, history(&LEVELS)).expect("model");
    let three =
        IndividualModel::new(&spec, &patient, &theta, history(&LEVELS[..3])).expect("model");
    let problem = model.objective().expect("objective");
    let settings = MapSettings::default();
    let previous =
        estimate_map(&three.objective().expect("objective"), None, &settings).expect("map");
    let map = estimate_map(&problem, None, &settings).expect("map");
    assert!(map.converged);

    let mut group = c.benchmark_group("bayes");
    group.throughput(Throughput::Elements(1));
    group.bench_function("map_cold/vanco2cmt/4obs", |b| {
        b.iter(|| estimate_map(black_box(&problem), None, &settings));
    });
    group.bench_function("map_warm/vanco2cmt/4obs", |b| {
        b.iter(|| estimate_map(black_box(&problem), Some(&previous.eta), &settings));
    });
    let sampling = SamplingSettings::default();
    group.bench_function("sample/vanco2cmt/2000proposals", |b| {
        b.iter(|| {
            sample_posterior(
                black_box(&problem),
                &map,
                &sampling,
                &mut stream_from_seed(1),
            )
        });
    });
    let sample =
        sample_posterior(&problem, &map, &sampling, &mut stream_from_seed(1)).expect("sample");
    let draws = EtaDraws::posterior(&sample);
    let regimen = Regimen {
        start: 24.0,
        amount: 1250.0,
        interval: 12.0,
        doses: 6,
        infusion: Some(1.0),
        cmt: 1,
    };
    let outcomes = [NamedOutcome {
        name: "auc24_day2".into(),
        outcome: Outcome::TargetAttainment(TargetAttainment {
            metric: Exposure::Auc24 { day: 2 },
            low: 400.0,
            high: 600.0,
        }),
    }];
    let forecast_settings = ForecastSettings {
        horizon: 72.0,
        step: 0.25,
        output: None,
        seed: 2,
    };
    group.sample_size(10);
    group.bench_function("forecast/vanco2cmt/1000draws_72h", |b| {
        b.iter(|| {
            forecast(
                black_box(&model),
                &draws,
                &regimen,
                &outcomes,
                &forecast_settings,
            )
        });
    });
    group.finish();
}

criterion_group!(benches, bayes);
criterion_main!(benches);
