//! `twinsim run` end to end: determinism across thread counts and runs, outcomes against values
//! computed independently, and a 3+3 design against its closed form.

use std::collections::BTreeMap;
use std::path::Path;

use twinsim_tests::{project_file, twinsim};

fn run(scenario: &str, out: &Path, extra: &[&str]) {
    let status = twinsim()
        .arg("run")
        .arg(project_file(scenario))
        .arg("--out")
        .arg(out)
        .args(extra)
        .status()
        .expect("twinsim runs");
    assert!(status.success(), "twinsim run {scenario} failed");
}

fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.expect("row").iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

fn number(row: &BTreeMap<String, String>, column: &str) -> f64 {
    row[column]
        .parse()
        .unwrap_or_else(|_| panic!("{column} = {} is not a number", row[column]))
}

const OUTPUTS: [&str; 4] = [
    "summary.json",
    "timecourse.csv",
    "twins.csv",
    "trajectories.csv",
];

#[test]
fn outputs_are_byte_identical_on_one_and_two_threads_and_across_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (one, two, again) = (
        dir.path().join("one"),
        dir.path().join("two"),
        dir.path().join("again"),
    );
    run("tests/scenarios/two_arms.ron", &one, &["--threads", "1"]);
    run("tests/scenarios/two_arms.ron", &two, &["--threads", "2"]);
    run("tests/scenarios/two_arms.ron", &again, &["--threads", "2"]);
    for file in OUTPUTS {
        let a = std::fs::read(one.join(file)).expect(file);
        assert!(!a.is_empty(), "{file} is empty");
        assert!(
            a == std::fs::read(two.join(file)).expect(file),
            "{file} differs between 1 and 2 threads"
        );
        assert!(
            a == std::fs::read(again.join(file)).expect(file),
            "{file} differs between two runs"
        );
    }
    // Nothing is left under a temporary name.
    for entry in std::fs::read_dir(&one).expect("out dir") {
        let name = entry.expect("entry").file_name();
        assert!(
            !name.to_string_lossy().ends_with(".partial"),
            "{name:?} left behind"
        );
    }
}

#[test]
fn a_different_seed_gives_different_twins() {
    let dir = tempfile::tempdir().expect("temp dir");
    run(
        "tests/scenarios/two_arms.ron",
        &dir.path().join("a"),
        &["--replicates", "1"],
    );
    run(
        "tests/scenarios/two_arms.ron",
        &dir.path().join("b"),
        &["--replicates", "1", "--seed", "99"],
    );
    let a = std::fs::read(dir.path().join("a/twins.csv")).expect("twins.csv");
    let b = std::fs::read(dir.path().join("b/twins.csv")).expect("twins.csv");
    assert_ne!(a, b);
}

/// At steady state, the AUC over one dosing interval equals F·dose / CL for a linear model
/// (F = 1 here), whatever the volume: each twin's AUC is checked against 100 mg / its own CL
/// from twins.csv, and the arm's mean in summary.json against the mean of 100 / CL.
#[test]
fn steady_state_auc_equals_dose_over_clearance_for_every_twin_and_on_average() {
    /// The trapezoid rule on a 0.1 h grid over a 1 h infusion and 11 h decline, plus the
    /// approach to steady state after 20 intervals (exp(-k·240 h) with k ≥ 0.02 1/h: < 1%,
    /// and far less for typical twins): 1.5% is the bound for one twin.
    const TWIN_RTOL: f64 = 0.015;
    /// The mean over 600 twins is exact to the same rounding, and both sides use the same twins.
    const MEAN_RTOL: f64 = 0.005;
    let dir = tempfile::tempdir().expect("temp dir");
    run("tests/scenarios/two_arms.ron", dir.path(), &[]);
    let twins = read_csv(&dir.path().join("twins.csv"));
    let fixed: Vec<_> = twins.iter().filter(|r| r["arm"] == "100 mg q12h").collect();
    assert_eq!(fixed.len(), 600, "300 twins × 2 replicates");
    let mut expected_sum = 0.0;
    for row in &fixed {
        let expected = 100.0 / number(row, "CL [L/h]");
        let auc = number(row, "auc_ss");
        assert!(
            (auc / expected - 1.0).abs() < TWIN_RTOL,
            "twin {}: AUC {auc}, dose/CL {expected}",
            row["twin"]
        );
        expected_sum += expected;
    }
    let expected_mean = expected_sum / fixed.len() as f64;
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).expect("summary"))
            .expect("json");
    let auc = summary["arms"][0]["outcomes"][0]["estimate"]
        .as_f64()
        .expect("estimate");
    assert!(
        (auc / expected_mean - 1.0).abs() < MEAN_RTOL,
        "mean AUC {auc} vs mean dose/CL {expected_mean}"
    );
    // Titration to a level changes the doses of the titrated arm only.
    let titrated_total: f64 = twins
        .iter()
        .filter(|r| r["arm"] == "titrated")
        .map(|r| number(r, "total dose [mg]"))
        .sum();
    assert!(titrated_total > 0.0);
    assert!(
        fixed.iter().all(|r| number(r, "total dose [mg]") == 2100.0),
        "21 doses of 100 mg before 252 h"
    );
}

/// The model's dose inputs reach a scenario's twins: with bioavailability F1 and lag ALAG1 on
/// the depot (both varying between twins), the steady-state AUC over one interval is
/// F1·dose / CL for each twin, whatever its lag (the lag shifts the interval's profile, not its
/// area at steady state).
#[test]
fn steady_state_auc_of_oral_doses_carries_each_twins_bioavailability() {
    /// The trapezoid rule on a 0.05 h grid (the lag's kink and the absorption peak cost ~0.1%)
    /// and the approach to steady state after 29 intervals (k ≥ 0.03 1/h: < 0.1%).
    const TWIN_RTOL: f64 = 0.005;
    let dir = tempfile::tempdir().expect("temp dir");
    run("tests/scenarios/oral_lag.ron", dir.path(), &[]);
    let twins = read_csv(&dir.path().join("twins.csv"));
    assert_eq!(twins.len(), 200);
    let mut bioavailabilities = Vec::new();
    for row in &twins {
        let f = number(row, "F1 [1]");
        let expected = f * 100.0 / number(row, "CL [L/h]");
        let auc = number(row, "auc_ss");
        assert!(
            (auc / expected - 1.0).abs() < TWIN_RTOL,
            "twin {}: AUC {auc}, F·dose/CL {expected} (F = {f})",
            row["twin"]
        );
        bioavailabilities.push(f);
    }
    // F varies between twins (omega 0.04), so a fixed F could not pass the check above.
    let (lo, hi) = bioavailabilities
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), &f| {
            (lo.min(f), hi.max(f))
        });
    assert!(lo < 0.5 && hi > 0.7, "F1 spans [{lo}, {hi}]");
}

/// A 3+3 design with a DLT probability p = 0.2 at every level. Per level, the chance to escalate
/// past it is q = (1−p)³ + 3p(1−p)²·(1−p)³ (0/3, or 1/3 then 0/3). With two levels:
/// P(MTD = top) = q²; P(MTD = first) = (1 − q)·(a·c + b), where a = (1−p)³ and b = 3p(1−p)²(1−p)³
/// are the two ways through the first level, and c = (1−p)³ + 3p(1−p)² the chance that three
/// more patients at the first level leave it with at most 1/6 DLTs; otherwise no MTD.
#[test]
fn three_plus_three_selection_matches_the_closed_form() {
    let dir = tempfile::tempdir().expect("temp dir");
    run("tests/scenarios/escalation.ron", dir.path(), &[]);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).expect("summary"))
            .expect("json");
    let e = &summary["escalation"];
    let p: f64 = 0.2;
    let a = (1.0 - p).powi(3);
    let b = 3.0 * p * (1.0 - p).powi(2) * (1.0 - p).powi(3);
    let c = (1.0 - p).powi(3) + 3.0 * p * (1.0 - p).powi(2);
    let q = a + b;
    let expected = [(1.0 - q) * (a * c + b), q * q];
    let replicates = 4000.0;
    for (level, &want) in expected.iter().enumerate() {
        let got = e["p_select"][level].as_f64().expect("p_select");
        // Four binomial standard errors: a false alarm about once in 16,000 runs.
        let bound = 4.0 * (want * (1.0 - want) / replicates).sqrt();
        assert!(
            (got - want).abs() < bound,
            "level {level}: selected {got}, closed form {want} ± {bound}"
        );
    }
    let none = e["p_no_mtd"].as_f64().expect("p_no_mtd");
    let want = 1.0 - expected.iter().sum::<f64>();
    assert!(
        (none - want).abs() < 4.0 * (want * (1.0 - want) / replicates).sqrt(),
        "no MTD {none} vs {want}"
    );
    // The pooled DLT rate estimates p.
    let rate = e["dlt_rate"].as_f64().expect("dlt_rate");
    assert!((rate - p).abs() < 0.02, "DLT rate {rate}");
}
