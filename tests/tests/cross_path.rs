//! Two paths, one answer: the twins of a scenario (`twinsim run`'s engine) and `twinsim simulate`
//! on a NONMEM-format dataset holding the same twins' doses, covariates, genotypes and random
//! effects give the same trajectories, to 1e-9 relative, for every model file the project ships
//! (`scenarios/models/`, `benches/scenarios/`) and a test model whose doses enter through a
//! bioavailability and a lag time that vary between twins.
//!
//! This is the test that catches a path that skips a step another takes: before the dose path was
//! one function, the engine gave every dose without the model's `dose_inputs`, so the warfarin
//! twins received twice the S-warfarin `simulate` gives for the same regimen.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use engine::cohort::{TwinResult, WorldSpec, run_world};
use engine::scenario::{Overrides, Scenario};
use twins::covariates::{Carry, Covariates};
use twins::model_file::{ModelFile, ModelSpec};
use twins::population::Patient;
use twinsim_tests::{POPULATION, project_file, project_root, twinsim};

/// Both paths run the same solver over the same segments (records and doses), so they agree to
/// round-off; 1e-9 relative leaves room for nothing else.
const RELATIVE: f64 = 1e-9;

/// Twins per model and variant: enough to mix genotypes, sexes and ancestries.
const TWINS: u32 = 6;

const COMEDICATIONS: [&str; 2] = ["amiodarone", "enzyme_inducer"];
const GENES: [&str; 3] = ["CYP2C9", "VKORC1", "CYP3A5"];

/// Every model file of the project's scenario library and benchmarks, and the lag test model.
fn model_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "scenarios/models",
        "scenarios/models/equations",
        "benches/scenarios",
    ] {
        for entry in std::fs::read_dir(project_file(dir)).expect(dir) {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "ron") && ModelSpec::load(&path).is_ok() {
                files.push(path);
            }
        }
    }
    files.sort();
    files.push(project_file("tests/scenarios/oral_lag_model.ron"));
    files
}

/// The model file as written, or without its random effects (typical twins), and without
/// parameter uncertainty either way (a replicate's θ is not what this test compares).
fn model_variant(path: &Path, with_etas: bool, carry: Carry, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(path).expect("model file");
    let mut file: ModelFile = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(&text)
        .expect("model file parses");
    file.uncertainty = None;
    if !with_etas {
        file.random_effects = None;
    }
    file.covariates.carry = carry;
    let name = format!(
        "{}{}_{carry:?}.ron",
        path.file_stem().expect("stem").to_string_lossy(),
        if with_etas { "" } else { "_typical" }
    );
    let out = dir.join(name);
    let ron = ron::ser::to_string_pretty(&file, ron::ser::PrettyConfig::default()).expect("RON");
    std::fs::write(&out, ron).expect("write model");
    out
}

/// A small scenario on `model`: four oral doses into the depot of an oral model, four 1-h
/// infusions into the central compartment of an IV one; records every 2 h, so that records fall
/// at dose times (troughs) too.
fn scenario_file(model: &Path, population: &Path, dir: &Path) -> PathBuf {
    let spec = ModelSpec::load(model).expect("model");
    let regimen = if spec.state_names()[0] == "depot" {
        "(dose: Fixed(mg: 5.0), every_h: 24.0, doses: 4)"
    } else {
        "(dose: Fixed(mg: 100.0), infusion_h: 1.0, every_h: 12.0, doses: 4)"
    };
    let text = format!(
        r#"(
    name: "cross-path check",
    model: "{}",
    population: "{}",
    twins_per_arm: {TWINS},
    seed: 13,
    duration_h: 96.0,
    record_every_h: 2.0,
    arms: [(name: "arm", regimen: {regimen})],
    // Default ODE settings (those `simulate` uses), one solver per twin.
    solver: (lanes: false),
)"#,
        model.display(),
        population.display()
    );
    let path = dir.join(format!(
        "{}_scenario.ron",
        model.file_stem().expect("stem").to_string_lossy()
    ));
    std::fs::write(&path, text).expect("write scenario");
    path
}

/// The covariate columns of a twin at one time: weight to ancestry, co-medications, genes.
fn covariate_columns(patient: &Patient, c: &Covariates) -> String {
    let mut columns = format!(
        "{},{},{},{},{},{},{},{},{:?}",
        c.weight_kg,
        c.height_cm,
        c.age_years,
        c.bsa_m2,
        c.serum_creatinine_mg_dl,
        c.creatinine_clearance_ml_min,
        c.albumin_g_dl,
        c.category("SEX").expect("sex"),
        c.ancestry
    );
    for flag in COMEDICATIONS {
        write!(columns, ",{}", u8::from(c.comedications.contains(flag))).expect("write");
    }
    for g in GENES {
        write!(
            columns,
            ",{}",
            patient
                .diplotype(g)
                .map_or(".".to_owned(), ToString::to_string)
        )
        .expect("write");
    }
    for eta in &patient.etas {
        write!(columns, ",{eta}").expect("write");
    }
    columns
}

/// The dataset of `twins`: per twin, an observation row at every record time, a dose row per
/// dose, and an EVID 2 row at every time its covariates change, each row holding the covariates
/// in force at its time as the model's carry rule reads the twin's course (for NOCB the next
/// record's, for LOCF the last one's), so that `simulate` switches where the engine does.
fn dataset(scenario: &Scenario, twins: &[TwinResult], regimen_cmt: usize) -> String {
    let names: Vec<String> = scenario
        .model
        .random_effects()
        .map_or_else(Vec::new, |r| r.names().to_vec());
    let mut text =
        String::from("ID,TIME,EVID,AMT,RATE,CMT,WT,HT,AGE,BSA,SCR,CRCL,ALB,SEX,ANCESTRY");
    for c in COMEDICATIONS {
        write!(text, ",COMED:{c}").expect("write");
    }
    for g in GENES {
        write!(text, ",{g}").expect("write");
    }
    for n in &names {
        write!(text, ",ETA_{n}").expect("write");
    }
    text.push('\n');
    let infusion_h = scenario.arms[0].regimen.infusion_h;
    let next_backward = scenario.model.carry() == Carry::NextBackward;
    for twin in twins {
        let p = &twin.patient;
        let mut course: Vec<(f64, Covariates)> = vec![(0.0, p.covariates.clone())];
        course.extend(
            scenario
                .population
                .sample_course(p, scenario.duration_h)
                .expect("course")
                .into_iter()
                .map(|c| (c.time_h, c.covariates)),
        );
        let at = |t: f64| -> String {
            let i = if next_backward {
                course
                    .partition_point(|(ti, _)| *ti < t)
                    .min(course.len() - 1)
            } else {
                course.partition_point(|(ti, _)| *ti <= t).saturating_sub(1)
            };
            covariate_columns(p, &course[i].1)
        };
        let id = twin.index + 1;
        // Observations first at a shared time: a record at a dose's time is its trough.
        let mut rows: Vec<(f64, u8, String)> = scenario
            .record_times
            .iter()
            .map(|&t| (t, 0, format!("{id},{t},0,0,0,.,{}\n", at(t))))
            .collect();
        for &(t, _) in course.iter().skip(1) {
            rows.push((t, 1, format!("{id},{t},2,0,0,.,{}\n", at(t))));
        }
        for &(t, mg) in &twin.doses {
            let rate = infusion_h.map_or(0.0, |h| mg / h);
            rows.push((
                t,
                2,
                format!("{id},{t},1,{mg},{rate},{regimen_cmt},{}\n", at(t)),
            ));
        }
        rows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (_, _, row) in rows {
            text.push_str(&row);
        }
    }
    text
}

/// `twinsim simulate`'s outputs at the observation rows, per ID in order.
fn simulated(model: &Path, data: &Path, out: &Path, outputs: &[String]) -> Vec<Vec<f64>> {
    let result = twinsim()
        .arg("simulate")
        .arg("--model")
        .arg(model)
        .arg("--data")
        .arg(data)
        .arg("--out")
        .arg(out)
        .output()
        .expect("twinsim runs");
    assert!(
        result.status.success(),
        "twinsim simulate failed on {}: {}",
        model.display(),
        String::from_utf8_lossy(&result.stderr)
    );
    let mut reader = csv::Reader::from_path(out).expect("predictions");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (id, evid) = (col("ID"), col("EVID"));
    let out_cols: Vec<usize> = outputs.iter().map(|o| col(o)).collect();
    let mut by_id: Vec<Vec<f64>> = Vec::new();
    let mut last = String::new();
    for row in reader.records() {
        let row = row.expect("row");
        if &row[evid] != "0" {
            continue;
        }
        if row[id] != last {
            last = row[id].to_owned();
            by_id.push(Vec::new());
        }
        let values = by_id.last_mut().expect("an ID");
        values.extend(
            out_cols
                .iter()
                .map(|&c| row[c].parse::<f64>().expect("number")),
        );
    }
    by_id
}

fn check(model: &Path, with_etas: bool, carry: Carry, population: &str, dir: &Path) {
    let variant = model_variant(model, with_etas, carry, dir);
    let population = dir.join(population);
    let scenario_path = scenario_file(&variant, &population, dir);
    let scenario = Arc::new(
        Scenario::load(&scenario_path, Overrides::default())
            .unwrap_or_else(|e| panic!("{}: {e:?}", model.display())),
    );
    let regimen = scenario.arms[0].regimen.clone();
    let twins = run_world(&WorldSpec {
        scenario: scenario.clone(),
        arm: 0,
        replicate: 0,
        first_twin: 0,
        n_twins: TWINS,
        regimen: regimen.clone(),
        stream_cohort: 0,
    })
    .unwrap_or_else(|e| panic!("{}: {e}", model.display()));
    let data = dir.join(format!(
        "{}_data.csv",
        variant.file_stem().expect("stem").to_string_lossy()
    ));
    std::fs::write(&data, dataset(&scenario, &twins, regimen.compartment + 1)).expect("data");
    let simulated = simulated(
        &variant,
        &data,
        &dir.join("pred.csv"),
        &scenario.output_names,
    );
    assert_eq!(simulated.len(), twins.len(), "{}", model.display());
    for (twin, values) in twins.iter().zip(&simulated) {
        assert_eq!(twin.recorded.len(), values.len(), "{}", model.display());
        let n_out = scenario.output_names.len();
        for (k, (a, b)) in twin.recorded.iter().zip(values).enumerate() {
            let scale = a.abs().max(b.abs());
            assert!(
                (a - b).abs() <= RELATIVE * scale,
                "{} ({}): twin {} output {} at {} h: run {a}, simulate {b}",
                model.display(),
                if with_etas { "with etas" } else { "typical" },
                twin.index,
                scenario.output_names[k % n_out],
                scenario.record_times[k / n_out]
            );
        }
    }
}

#[test]
fn every_shipped_model_gives_the_same_trajectories_in_a_scenario_and_in_simulate() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("population.ron"), POPULATION).expect("population");
    let models = model_files();
    assert!(
        models.len() >= 12,
        "expected the 5 library models, the same 5 as equations, 2 benchmark models and the test model under {}",
        project_root().display()
    );
    for model in &models {
        for with_etas in [true, false] {
            check(
                model,
                with_etas,
                Carry::NextBackward,
                "population.ron",
                dir.path(),
            );
        }
    }
}

/// The same population with weight, serum creatinine (so creatinine clearance) and age changing
/// during the trial, each twin at its own rate.
fn time_varying_population() -> String {
    POPULATION.replacen(
        "    sex:",
        r#"    time_varying: {
        WT: (every_h: 30.0, change: Linear(per_day: Normal(mean: -2.0, sd: 1.0)), min: 40.0),
        SCR: (every_h: 17.0, change: Exponential(per_day: Normal(mean: 0.15, sd: 0.1))),
        AGE: (every_h: 40.0, change: Aging),
    },
    sex:"#,
        1,
    )
}

/// With covariates that change during the trial (at times that fall between records and inside
/// dosing intervals), a scenario's twins equal `simulate` on a dataset whose rows carry each
/// twin's covariates as they change, under both carry rules: the engine and the dataset switch
/// parameters at the same instants.
#[test]
fn time_varying_covariates_give_the_same_trajectories_in_a_scenario_and_in_simulate() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("population_tv.ron"),
        time_varying_population(),
    )
    .expect("population");
    let models = [
        "tests/scenarios/tv_1cmt_model.ron",
        "tests/scenarios/tv_2cmt_model.ron",
        "scenarios/models/vancomycin_goti2018.ron",
        "scenarios/models/warfarin_hamberg2007.ron",
        "scenarios/models/equations/vancomycin_goti2018.ron",
        "scenarios/models/equations/warfarin_hamberg2007.ron",
    ];
    for model in models {
        for carry in [Carry::NextBackward, Carry::LastForward] {
            check(
                &project_file(model),
                true,
                carry,
                "population_tv.ron",
                dir.path(),
            );
        }
    }
}
