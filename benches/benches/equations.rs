//! Criterion benchmarks of models written as equations, beside the same models built in.
//!
//! IDs are `equations/{what}`:
//!
//! | ID | what is timed |
//! |---|---|
//! | `equations/w2_lanes/hand_written/8` | W2's model as the hand-written `MmTwoCompartment<8>`: `simulate_cohort` of 256 twins, 7 daily 200 mg IV doses, C1 hourly to 168 h |
//! | `equations/w2_lanes/equations/{8,16}` | the same twins and doses, W2 written as equations (`benches/scenarios/w2_model_equations.ron`) in `EquationLanes` of 8 or 16 lanes |
//! | `equations/w2_one_by_one/{built_in,equations}` | the same 256 twins one by one through `pk_models::simulate` (Dopri5, rtol 1e-8), the built-in `CompartmentModel` and the equations |
//! | `equations/compile/20_states` | reading, checking and compiling a 20-state model file (a transit chain with Michaelis–Menten elimination) |
//!
//! The twins' VMAX, KM and V1 vary by fixed factors around W2's typical values (no random numbers).
//!
//! Run: `cargo bench -p twinsim-benches --bench equations -- --warm-up-time 1 --measurement-time 3`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use pk_models::batch::{BatchSettings, Bolus, MmParams, MmTwoCompartment, Twin, simulate_cohort};
use pk_models::equations::{EquationLanes, EquationModel};
use pk_models::{Dose, Record, SolutionPath, simulate};
use twins::model_file::{BuiltModel, ModelSpec};

const TWINS: usize = 256;

fn params() -> Vec<MmParams> {
    (0..TWINS)
        .map(|i| {
            let f = |k: usize| 0.7 + 0.6 * ((i * k) % 17) as f64 / 16.0;
            MmParams {
                vmax: 10.0 * f(3),
                km: 2.0 * f(5),
                v1: 20.0 * f(7),
                ..MmParams::W2
            }
        })
        .collect()
}

fn values(p: &MmParams) -> BTreeMap<String, f64> {
    [
        ("VMAX", p.vmax),
        ("KM", p.km),
        ("V1", p.v1),
        ("K12", p.k12),
        ("K21", p.k21),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn load(relative: &str) -> ModelSpec {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    ModelSpec::load(&path).expect("model file")
}

fn equation_models(params: &[MmParams]) -> Vec<EquationModel> {
    let spec = load("scenarios/w2_model_equations.ron");
    params
        .iter()
        .map(|p| match spec.build(&values(p)).expect("build") {
            BuiltModel::Equations(m) => *m,
            _ => unreachable!("a model written as equations"),
        })
        .collect()
}

fn w2_lanes(c: &mut Criterion) {
    let params = params();
    let doses: Vec<Bolus> = (0..7)
        .map(|d| Bolus::new(24.0 * f64::from(d), 0, 200.0))
        .collect();
    let times: Vec<f64> = (0..=168).map(f64::from).collect();
    let settings = BatchSettings::default();
    let mut out = vec![0.0; times.len() * TWINS];
    let mut group = c.benchmark_group("equations/w2_lanes");
    let hand: Vec<Twin<'_, MmParams>> = params.iter().map(|&p| Twin::new(p, &doses)).collect();
    group.bench_function("hand_written/8", |b| {
        b.iter(|| {
            simulate_cohort::<MmTwoCompartment<8>, 2, 8>(&hand, &times, &settings, &mut out)
                .expect("cohort");
            black_box(&out);
        });
    });
    let models = equation_models(&params);
    let written: Vec<Twin<'_, EquationModel>> = models
        .iter()
        .map(|m| Twin::new(m.clone(), &doses))
        .collect();
    group.bench_function("equations/8", |b| {
        b.iter(|| {
            simulate_cohort::<EquationLanes<2, 8>, 2, 8>(&written, &times, &settings, &mut out)
                .expect("cohort");
            black_box(&out);
        });
    });
    group.bench_function("equations/16", |b| {
        b.iter(|| {
            simulate_cohort::<EquationLanes<2, 16>, 2, 16>(&written, &times, &settings, &mut out)
                .expect("cohort");
            black_box(&out);
        });
    });
    group.finish();
}

fn w2_one_by_one(c: &mut Criterion) {
    let params = params();
    let mut records = vec![Record::dose(0.0, Dose::bolus(0, 200.0).every(24.0, 6))];
    records.extend((1..=168).map(|t| Record::observation(f64::from(t))));
    let built_in = load("scenarios/w2_model.ron");
    let built: Vec<BuiltModel> = params
        .iter()
        .map(|p| built_in.build(&values(p)).expect("build"))
        .collect();
    let models = equation_models(&params);
    let mut group = c.benchmark_group("equations/w2_one_by_one");
    group.sample_size(10);
    group.bench_function("built_in", |b| {
        b.iter(|| {
            for m in &built {
                black_box(simulate(m, &records, SolutionPath::Auto).expect("simulate"));
            }
        });
    });
    group.bench_function("equations", |b| {
        b.iter(|| {
            for m in &models {
                black_box(simulate(m, &records, SolutionPath::Auto).expect("simulate"));
            }
        });
    });
    group.finish();
}

/// A 20-state model: a chain of 18 transit compartments into a central and a peripheral
/// compartment with Michaelis–Menten elimination.
fn twenty_states() -> String {
    let mut states: Vec<String> = (1..=18).map(|i| format!("\"T{i}\"")).collect();
    states.extend(["\"central\"".into(), "\"peripheral\"".into()]);
    let mut code = String::from("KTR = 18 / MTT\nC = central / V1\n");
    writeln!(code, "d/dt(T1) = -KTR * T1").expect("write");
    for i in 2..=18 {
        writeln!(code, "d/dt(T{i}) = KTR * (T{} - T{i})", i - 1).expect("write");
    }
    code.push_str(
        "d/dt(central) = KTR * T18 - VMAX * C / (KM + C) - Q / V1 * central + Q / V2 * peripheral\n\
         d/dt(peripheral) = Q / V1 * central - Q / V2 * peripheral\n",
    );
    format!(
        r##"(
    name: "20 states",
    parameters: {{
        "MTT": (value: 2.0, unit: "h"), "VMAX": (value: 10.0, unit: "mg/h"),
        "KM": (value: 2.0, unit: "mg/L"), "V1": (value: 20.0, unit: "L"),
        "Q": (value: 5.0, unit: "L/h"), "V2": (value: 40.0, unit: "L"),
    }},
    equations: (states: [{}], code: r#"{code}"#),
    outputs: [(name: "C", expression: "C", unit: "mg/L")],
)"##,
        states.join(", ")
    )
}

fn compile(c: &mut Criterion) {
    let text = twenty_states();
    let path = Path::new("twenty.ron");
    let spec = ModelSpec::parse(&text, path).expect("the 20-state model");
    assert_eq!(spec.state_names().len(), 20);
    c.bench_function("equations/compile/20_states", |b| {
        b.iter(|| black_box(ModelSpec::parse(black_box(&text), path).expect("parse")));
    });
}

criterion_group!(benches, w2_lanes, w2_one_by_one, compile);
criterion_main!(benches);
