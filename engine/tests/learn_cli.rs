//! `twinsim learn` end to end: a simulated table of patients with known genotype and covariate
//! effects on log(CL), learned back by the binary; files written; a bad column named.

use std::path::Path;
use std::process::{Command, Output};

use twins::learner::LearnedModel;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// True effects on log(CL).
const STAR2: f64 = -0.2;
const STAR3: f64 = -0.5;
const AGE_PER_YEAR: f64 = -0.01;
const WT_EXPONENT: f64 = 0.75;
/// Residual SD of log(CL).
const SIGMA: f64 = 0.15;
/// Patients simulated.
const N: usize = 400;

/// A small deterministic generator (64-bit LCG, Knuth's MMIX constants) and Box–Muller normals:
/// the test needs reproducible noise, not statistical quality.
struct Lcg(u64);

impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Writes the training CSV: ID, CYP2C9 diplotype, AGE (years), WT (kg), ANCESTRY, CL (L/h).
fn write_patients(path: &Path) -> Result {
    let mut rng = Lcg(20261128);
    let mut csv = String::from("ID,CYP2C9,AGE,WT,ANCESTRY,CL\n");
    for id in 0..N {
        let (diplotype, effect) = match id % 10 {
            0..=5 => ("*1/*1", 0.0),
            6 | 7 => ("*1/*2", STAR2),
            _ => ("*1/*3", STAR3),
        };
        let age = 20.0 + 60.0 * rng.uniform();
        let wt = 70.0 * (0.2 * rng.normal()).exp();
        let ancestry = if id % 3 == 0 { "African" } else { "European" };
        let log_cl = 1.5
            + effect
            + AGE_PER_YEAR * (age - 50.0)
            + WT_EXPONENT * (wt / 70.0_f64).ln()
            + SIGMA * rng.normal();
        csv += &format!(
            "{id},{diplotype},{age:.2},{wt:.2},{ancestry},{:.5}\n",
            log_cl.exp()
        );
    }
    std::fs::write(path, csv)?;
    Ok(())
}

fn learn(dir: &Path, features: &str, extra: &[&str]) -> Result<Output> {
    Ok(Command::new(env!("CARGO_BIN_EXE_twinsim"))
        .arg("learn")
        .arg("--data")
        .arg(dir.join("patients.csv"))
        .args([
            "--target",
            "CL",
            "--features",
            features,
            "--log-features",
            "WT",
        ])
        .arg("--out")
        .arg(dir.join("effects.ron"))
        .arg("--report")
        .arg(dir.join("report.json"))
        .args(extra)
        .output()?)
}

#[test]
fn learn_recovers_simulated_effects_and_writes_model_report_and_plots() -> Result {
    let dir = tempfile::tempdir()?;
    write_patients(&dir.path().join("patients.csv"))?;
    let plots = dir.path().join("plots");
    let out = learn(
        dir.path(),
        "CYP2C9,AGE,WT",
        &[
            "--folds",
            "4",
            "--seed",
            "3",
            "--plots",
            plots.to_str().ok_or("path")?,
        ],
    )?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Effects on log(CL)"), "{stdout}");
    assert!(stdout.contains("4-fold cross-validation"), "{stdout}");

    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json"))?)?;
    assert_eq!(report["target"], "CL");
    let effect = |feature: &str, level: Option<&str>| -> Option<(f64, f64, f64)> {
        report["effects"].as_array()?.iter().find_map(|e| {
            (e["feature"] == feature && e["level"].as_str() == level).then(|| {
                (
                    e["estimate"].as_f64().unwrap_or(f64::NAN),
                    e["lower"].as_f64().unwrap_or(f64::NAN),
                    e["upper"].as_f64().unwrap_or(f64::NAN),
                )
            })
        })
    };
    for (feature, level, truth) in [
        ("CYP2C9", Some("*1/*2"), STAR2),
        ("CYP2C9", Some("*1/*3"), STAR3),
        ("AGE", None, AGE_PER_YEAR),
        ("WT", None, WT_EXPONENT),
    ] {
        let (estimate, lower, upper) =
            effect(feature, level).ok_or(format!("{feature} {level:?} missing"))?;
        assert!(
            lower <= truth && truth <= upper,
            "{feature} {level:?}: {truth} outside [{lower}, {upper}]"
        );
        assert!(lower < estimate && estimate < upper);
    }
    // Held-out RMSE of log(CL) near the residual SD; 95% intervals cover about 95%.
    let rmse = report["cv"]["rmse"].as_f64().ok_or("cv.rmse")?;
    let coverage = report["cv"]["coverage95"].as_f64().ok_or("cv.coverage95")?;
    assert!((rmse - SIGMA).abs() < 0.03, "rmse {rmse}");
    assert!((0.90..=0.99).contains(&coverage), "coverage {coverage}");

    let model = LearnedModel::load(&dir.path().join("effects.ron"))?;
    assert_eq!(model.target, "CL");
    assert_eq!(model.observations, N);
    for name in ["learner_predicted.svg", "learner_calibration.svg"] {
        let svg = std::fs::read_to_string(plots.join(name))?;
        // Grouped by the ANCESTRY column.
        assert!(
            svg.contains("African") && svg.contains("European"),
            "{name}"
        );
    }
    Ok(())
}

#[test]
fn learn_names_a_missing_column() -> Result {
    let dir = tempfile::tempdir()?;
    write_patients(&dir.path().join("patients.csv"))?;
    let out = learn(dir.path(), "CYP2C9,AGX", &[])?;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("AGX"), "{stderr}");
    assert!(stderr.contains("patients.csv"), "{stderr}");
    assert!(!dir.path().join("report.json").exists());
    Ok(())
}
