//! How long sampling a million twins takes (run with `--ignored`; not an assertion).

use std::time::Instant;

use twins::population::PopulationModel;
use twins::{Result, sample_population};

/// A realistic description: five continuous covariates (two correlated, one truncated),
/// sex, a three-way ancestry mix, a co-medication, eleven genes and three random effects.
pub const MILLION_POPULATION: &str = r#"(
    covariates: {
        WT: LogNormal(median: 75.0, sd_log: 0.2),
        HT: Normal(mean: 170.0, sd: 10.0),
        AGE: Truncated(distribution: Normal(mean: 55.0, sd: 15.0), min: 18.0, max: 90.0),
        SCR: LogNormal(median: 0.9, sd_log: 0.25),
        ALB: Normal(mean: 4.0, sd: 0.4),
    },
    correlations: Some((covariates: [WT, HT], matrix: [[1.0, 0.5], [0.5, 1.0]])),
    sex: {Female: 0.5, Male: 0.5},
    ancestry: {European: 0.6, African: 0.2, EastAsian: 0.2},
    comedications: {"enzyme_inducer": 0.05},
    genes: ["CYP2C9", "CYP2C19", "CYP2D6", "CYP3A5", "VKORC1", "TPMT", "NUDT15", "DPYD",
            "SLCO1B1", "HLA-B*15:02", "HLA-B*57:01"],
    random_effects: Some((
        parameters: [(name: "CL"), (name: "V"), (name: "KA")],
        omega: [[0.09, 0.03, 0.0], [0.03, 0.04, 0.0], [0.0, 0.0, 0.25]],
    )),
)"#;

#[test]
#[ignore = "timing run: cargo test -p twins --release -- --ignored --nocapture"]
fn time_one_million_twins() -> Result<()> {
    let model = PopulationModel::from_ron_str(MILLION_POPULATION, "million.ron".as_ref())?;
    let start = Instant::now();
    let patients = sample_population(&model, 1_000_000, 1)?;
    let elapsed = start.elapsed();
    println!(
        "sampled {} twins (covariates, 11 genotypes, 3 etas) in {:.2} s",
        patients.len(),
        elapsed.as_secs_f64()
    );
    Ok(())
}
