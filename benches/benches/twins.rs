//! Twin sampling benchmarks: covariates, genotypes and etas for a cohort of twins.
//!
//! IDs:
//! - `twins/sample/1000000/{population}`: draws twins with keys (seed 7, replicate 0, cohort 0,
//!   twin 0..n) from a population description; each iteration draws [`PER_ITERATION`] twins, and
//!   the throughput is reported per twin (elements/s), so the time for 1,000,000 twins is
//!   `1e6 / rate`. Populations:
//!   - `adult_2genes`: WT, HT, AGE with correlations, sex, three ancestry groups, CYP2C9 and
//!     VKORC1, three log-normal random effects;
//!   - `adult_nogenes`: the same covariates and random effects without genotypes.
//!
//! Each twin depends only on its key, so a sub-sample of keys costs what a full million would,
//! per twin.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use twins::population::PopulationModel;
use twins::random::TwinKey;

/// Twins drawn per iteration (keys spread over the million).
const PER_ITERATION: u32 = 10_000;
/// Twins in the cohort the ID names.
const COHORT: u32 = 1_000_000;

const ADULT: &str = r#"(
    covariates: {
        WT: LogNormal(median: 75.0, sd_log: 0.2),
        HT: Normal(mean: 172.0, sd: 9.0),
        AGE: Truncated(distribution: Normal(mean: 50.0, sd: 15.0), min: 18.0, max: 90.0),
    },
    correlations: Some((covariates: [WT, HT], matrix: [[1.0, 0.5], [0.5, 1.0]])),
    sex: {Female: 0.5, Male: 0.5},
    ancestry: {European: 0.6, African: 0.2, EastAsian: 0.2},
    genes: [GENES],
    random_effects: Some((
        parameters: [(name: "CL"), (name: "V"), (name: "KA")],
        omega: [[0.09, 0.02, 0.0], [0.02, 0.04, 0.0], [0.0, 0.0, 0.25]],
    )),
)"#;

fn population(genes: &str) -> PopulationModel {
    PopulationModel::from_ron_str(&ADULT.replace("GENES", genes), "bench.ron".as_ref())
        .expect("the benchmark population is valid")
}

fn sample(c: &mut Criterion) {
    let mut group = c.benchmark_group("twins/sample");
    group.throughput(Throughput::Elements(u64::from(PER_ITERATION)));
    for (name, genes) in [
        ("adult_2genes", r#""CYP2C9", "VKORC1""#),
        ("adult_nogenes", ""),
    ] {
        let model = population(genes);
        group.bench_function(format!("{COHORT}/{name}"), |b| {
            b.iter(|| {
                let stride = COHORT / PER_ITERATION;
                for i in 0..PER_ITERATION {
                    let key = TwinKey {
                        scenario_seed: 7,
                        replicate: 0,
                        cohort: 0,
                        twin: i * stride,
                    };
                    black_box(model.sample_patient(key).expect("samples"));
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, sample);
criterion_main!(benches);
