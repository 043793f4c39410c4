//! Criterion benchmarks of PK/PD twins: one twin from parameters to its biomarker series.
//!
//! IDs are `pd/{model}/{regimen}`:
//!
//! | ID | what is timed (one twin) |
//! |---|---|
//! | `pd/hamberg_inr/90d_daily` | building the S-warfarin PK + Hamberg 2007 INR model and `simulate` (ODE path, Dopri5 rtol 1e-8) of 90 daily doses, then the INR series |
//! | `pd/friberg/6cycles_q3w` | building the docetaxel PK + Friberg 2002 model and `simulate` of six 3-weekly cycles, then the ANC series |
//!
//! Models (units: h, mg, L, L/h, 1/h):
//! - `hamberg_inr`: S-warfarin two-compartment oral PK of Hamberg 2007 (CL 0.314 L/h, CYP2C9
//!   *1/*1; V1 13.8 L, Q 0.131 L/h, V2 6.59 L, KA 2/h) coupled to the INR model with the
//!   published typical values and EC50 = 3.02 mg/L (VKORC1 G/A): 3 PK + 7 PD states.
//! - `friberg`: docetaxel two-compartment IV PK (Onoue 2016: CL 32.6 L/h, V1 5.77 L, Q 5.34 L/h,
//!   V2 11.0 L) driving the Friberg 2002 docetaxel model in µM (molar mass 807.9 g/mol):
//!   2 PK + 5 PD states.
//!
//! Regimens:
//! - `90d_daily`: 5 mg racemic warfarin (2.5 mg S-warfarin) once daily for 90 days (one dose
//!   record, ADDL = 89), INR every 24 h from 0 to 2160 h (91 observations).
//! - `6cycles_q3w`: 100 mg/m² × 1.8 m² = 180 mg docetaxel as a 1-h infusion every 21 days, six
//!   cycles (ADDL = 5), ANC every 24 h from 0 to 126 days (127 observations).
//!
//! Inputs are fixed constants built outside the timed closure (no random numbers).
//!
//! Run: `cargo bench -p twinsim-benches --bench pd -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pk_models::pd::friberg::docetaxel;
use pk_models::pd::hamberg::{published, s_warfarin_pk};
use pk_models::pd::{Friberg, HambergInr, PkPd};
use pk_models::{
    Absorption, CompartmentModel, Disposition, Dose, Error, Record, SolutionPath, simulate,
};

/// Hours per day.
const DAY: f64 = 24.0;

/// Observations every day from day 0 to day `days`.
fn daily_observations(days: u32) -> impl Iterator<Item = Record> {
    (0..=days).map(|d| Record::observation(DAY * f64::from(d)))
}

fn hamberg_records() -> Vec<Record> {
    // 2.5 mg S-warfarin into the depot (slot 0) every 24 h, 90 doses.
    let dose = Dose::bolus(0, published::S_FRACTION * 5.0).every(DAY, 89);
    let mut records = vec![Record::dose(0.0, dose)];
    records.extend(daily_observations(90));
    records
}

fn hamberg_twin(records: &[Record]) -> Result<Vec<f64>, Error> {
    let model = PkPd::new(
        s_warfarin_pk(published::CL_CYP2C9_1_1)?,
        HambergInr::published(published::EC50_VKORC1_GA)?,
    );
    let states = simulate(&model, records, SolutionPath::Auto)?;
    Ok(model.effect_series(&states))
}

fn friberg_records() -> Vec<Record> {
    let mg = 100.0 * 1.8;
    // 180 mg at 180 mg/h (1 h) into the central compartment (slot 0), every 21 days, six cycles.
    let dose = Dose::infusion(0, mg, mg).every(21.0 * DAY, 5);
    let mut records = vec![Record::dose(0.0, dose)];
    records.extend(daily_observations(126));
    records
}

fn friberg_twin(records: &[Record]) -> Result<Vec<f64>, Error> {
    let pk = CompartmentModel::new(
        Disposition::Two {
            cl: 32.6,
            v1: 5.77,
            q: 5.34,
            v2: 11.0,
        },
        Absorption::None,
        None,
    )?;
    let model = PkPd::new(pk, Friberg::docetaxel()?).with_molar_mass(docetaxel::MOLAR_MASS)?;
    let states = simulate(&model, records, SolutionPath::Auto)?;
    Ok(model.effect_series(&states))
}

fn pd(c: &mut Criterion) {
    let mut group = c.benchmark_group("pd");
    let hamberg = hamberg_records();
    group.throughput(Throughput::Elements(1));
    group.bench_function("hamberg_inr/90d_daily", |b| {
        b.iter(|| hamberg_twin(black_box(&hamberg)));
    });
    let friberg = friberg_records();
    group.bench_function("friberg/6cycles_q3w", |b| {
        b.iter(|| friberg_twin(black_box(&friberg)));
    });
    group.finish();
}

criterion_group!(benches, pd);
criterion_main!(benches);
