//! What issue 13 (no silent wrong answers, part 1) costs: strict reading of datasets and
//! scenarios, time-varying covariates, and ADDL expanded lazily.
//!
//! IDs:
//! - `inputs/dataset/read/200ids_x30rows`: `Dataset::from_reader` on 200 individuals of 30
//!   records (a dose with ADDL, 29 levels, WT and CRCL columns): every strict check of a row
//!   (finite numbers and limits, duplicate columns, time order, reappearing IDs, DV on
//!   observations).
//! - `inputs/scenario/validate/warfarin_pgx`: `Scenario::load` of the README's main scenario
//!   with its model and population (the finite-number scan, names, rules, covering checks).
//! - `course/simulate/tv_1cmt/{constant,daily_changes}`: one individual of the dataset above,
//!   simulated with `course::simulate` (typical values); `constant` has the same WT and CRCL on
//!   every row, `daily_changes` changes them on every record, so every record starts a new
//!   piece of the parameter course (a new propagator). The ratio is the cost of time-varying
//!   covariates per record.
//! - `pk/oral1cmt/exact/addl_1e9_5obs`: one dose record with ADDL = 1,000,000,000 and II = 12 h,
//!   levels at 5 times up to 5000 h: ADDL expanded one dose at a time, so the cost follows the
//!   doses before the last level (417), not the ADDL count.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use pk_models::{Absorption, CompartmentModel, Disposition, Dose, Record, SolutionPath, simulate};
use twins::course;
use twins::dataset::Dataset;
use twins::genotype::GeneCatalogue;
use twins::model_file::ModelSpec;

/// Individuals and records per individual of the benchmark dataset.
const IDS: u32 = 200;
const LEVELS: u32 = 29;

fn project(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

/// A dataset of [`IDS`] individuals: 1000 mg q12h (ADDL 13) and a level every 12 h, WT and CRCL
/// constant or changing on every record.
fn dataset(changing: bool) -> String {
    let mut text = String::from("ID,TIME,AMT,EVID,MDV,DV,CMT,II,ADDL,WT,CRCL\n");
    for id in 1..=IDS {
        let (wt, crcl) = (60.0 + f64::from(id % 40), 60.0 + f64::from(id % 50));
        text.push_str(&format!("{id},0,1000,1,1,.,1,12,13,{wt},{crcl}\n"));
        for k in 1..=LEVELS {
            let step = if changing { f64::from(k) * 0.1 } else { 0.0 };
            text.push_str(&format!(
                "{id},{},0,0,0,10,1,.,.,{},{}\n",
                f64::from(k) * 6.0,
                wt + step,
                crcl - step
            ));
        }
    }
    text
}

fn inputs(c: &mut Criterion) {
    let mut group = c.benchmark_group("inputs");
    let text = dataset(false);
    group.bench_function(format!("dataset/read/{IDS}ids_x{}rows", LEVELS + 1), |b| {
        b.iter(|| {
            black_box(Dataset::from_reader(text.as_bytes(), Path::new("bench.csv")).expect("valid"))
        });
    });
    let scenario = project("scenarios/warfarin_pgx.ron");
    group.bench_function("scenario/validate/warfarin_pgx", |b| {
        b.iter(|| {
            black_box(
                engine::scenario::Scenario::load(&scenario, Default::default()).expect("valid"),
            )
        });
    });
    group.finish();
}

fn courses(c: &mut Criterion) {
    let mut group = c.benchmark_group("course/simulate/tv_1cmt");
    let model = project("tests/scenarios/tv_1cmt_model.ron");
    let spec = ModelSpec::load(&model).expect("the test model is valid");
    let genes = GeneCatalogue::shipped().expect("shipped genes");
    for (name, changing) in [("constant", false), ("daily_changes", true)] {
        let text = dataset(changing);
        let data = Dataset::from_reader(text.as_bytes(), Path::new("bench.csv")).expect("valid");
        let individual = &data.individuals[0];
        let typical = individual
            .typical_course(&spec, &genes, &BTreeMap::new(), Path::new("bench.csv"))
            .expect("course");
        let records = individual
            .records(&spec, &typical, Path::new("bench.csv"))
            .expect("records");
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(
                    course::simulate(&spec, typical.clone(), &records, SolutionPath::Auto)
                        .expect("simulates"),
                )
            });
        });
    }
    group.finish();
}

fn lazy_addl(c: &mut Criterion) {
    let model = CompartmentModel::new(
        Disposition::One { cl: 5.0, v: 50.0 },
        Absorption::FirstOrder { ka: 1.0 },
        None,
    )
    .expect("valid model");
    let mut records = vec![Record::dose(
        0.0,
        Dose::bolus(0, 100.0).every(12.0, 1_000_000_000),
    )];
    records.extend([0.5, 11.0, 100.0, 1000.0, 5000.0].map(Record::observation));
    c.bench_function("pk/oral1cmt/exact/addl_1e9_5obs", |b| {
        b.iter(|| black_box(simulate(&model, &records, SolutionPath::Auto).expect("simulates")));
    });
}

criterion_group!(benches, inputs, courses, lazy_addl);
criterion_main!(benches);
