//! `twinsim check` and `twinsim diff`: a deliberately changed model parameter is caught with a
//! readable table; an unchanged scenario passes.

use std::path::Path;
use std::process::Output;

use twinsim_tests::{project_file, twinsim};

fn copy_scenario(dir: &Path) {
    for file in ["two_arms.ron", "iv_model.ron", "population.ron"] {
        std::fs::copy(
            project_file(&format!("tests/scenarios/{file}")),
            dir.join(file),
        )
        .expect("copy");
    }
}

fn check(dir: &Path, expected: &Path, extra: &[&str]) -> Output {
    twinsim()
        .arg("check")
        .arg(dir.join("two_arms.ron"))
        .arg("--expected")
        .arg(expected)
        .args(extra)
        .output()
        .expect("twinsim runs")
}

#[test]
fn check_passes_unchanged_and_catches_a_changed_clearance() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_scenario(dir.path());
    let expected = dir.path().join("expected.json");
    let blessed = check(dir.path(), &expected, &["--bless", "--replicates", "1"]);
    assert!(
        blessed.status.success(),
        "{}",
        String::from_utf8_lossy(&blessed.stderr)
    );

    let same = check(dir.path(), &expected, &[]);
    let table = String::from_utf8_lossy(&same.stdout);
    assert!(same.status.success(), "{table}");
    assert!(table.contains("0 of 8 quantities moved"), "{table}");

    // A 2% higher typical clearance moves the exposure outcomes.
    let model = dir.path().join("iv_model.ron");
    let text = std::fs::read_to_string(&model).expect("model");
    std::fs::write(
        &model,
        text.replace("\"CL\": (value: 5.0,", "\"CL\": (value: 5.1,"),
    )
    .expect("write");
    let moved = check(dir.path(), &expected, &[]);
    let table = String::from_utf8_lossy(&moved.stdout);
    assert!(!moved.status.success(), "a changed model passed:\n{table}");
    assert!(table.contains("✗ 100 mg q12h/auc_ss"), "{table}");
    assert!(table.contains("files changed"), "{table}");
}

#[test]
fn diff_compares_two_results_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_scenario(dir.path());
    for (name, seed) in [("a", "1"), ("b", "1"), ("c", "2")] {
        let status = twinsim()
            .arg("run")
            .arg(dir.path().join("two_arms.ron"))
            .args(["--replicates", "1", "--seed", seed, "--out"])
            .arg(dir.path().join(name))
            .status()
            .expect("twinsim runs");
        assert!(status.success());
    }
    let diff = |a: &str, b: &str| {
        twinsim()
            .arg("diff")
            .arg(dir.path().join(a).join("results.json"))
            .arg(dir.path().join(b).join("results.json"))
            .output()
            .expect("twinsim runs")
    };
    assert!(diff("a", "b").status.success());
    let other_seed = diff("a", "c");
    assert!(!other_seed.status.success());
    assert!(String::from_utf8_lossy(&other_seed.stdout).contains("moved beyond tolerance"));
}
