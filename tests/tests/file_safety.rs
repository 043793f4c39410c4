//! Files that cannot betray the user (issue 14, part 3): a planted symbolic link at a partial
//! file's name is never followed, patient files are owner-only from creation, and a results
//! folder names its scenario so `plot` works from any directory.

#![cfg(unix)]

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use twinsim_tests::{project_file, twinsim};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

/// A folder with the test model, population and the two-arm scenario.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for file in ["iv_model.ron", "population.ron", "two_arms.ron"] {
        std::fs::copy(
            project_file(&format!("tests/scenarios/{file}")),
            dir.path().join(file),
        )
        .expect("copy");
    }
    dir
}

fn run(dir: &Path, out: &Path) {
    // The scenario named relative to the working directory, as a user types it.
    let result = twinsim()
        .current_dir(dir)
        .arg("run")
        .arg("two_arms.ron")
        .arg("--out")
        .arg(out)
        .arg("--replicates")
        .arg("1")
        .output()
        .expect("twinsim runs");
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
}

#[test]
fn a_link_planted_at_the_partial_twins_file_is_not_followed() {
    let dir = workspace();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "keep").expect("write");
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    symlink(&victim, out.join("twins.csv.partial")).expect("symlink");
    run(dir.path(), &out);
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "keep",
        "patient rows were written through the link"
    );
    let twins = out.join("twins.csv");
    assert!(
        !std::fs::symlink_metadata(&twins)
            .expect("twins.csv")
            .file_type()
            .is_symlink()
    );
    assert_eq!(mode(&twins), 0o600, "twins.csv holds patient data");
    assert!(!out.join("twins.csv.partial").exists());
}

#[test]
fn a_png_plot_is_not_drawn_through_a_planted_link() {
    let dir = workspace();
    let out = dir.path().join("out");
    run(dir.path(), &out);
    let plots = dir.path().join("plots");
    std::fs::create_dir(&plots).expect("mkdir");
    let victim = dir.path().join("victim.png");
    std::fs::write(&victim, "keep").expect("write");
    symlink(&victim, plots.join(".bands.png.partial.png")).expect("symlink");
    let result = twinsim()
        .arg("plot")
        .arg(&out)
        .arg("--out")
        .arg(&plots)
        .arg("--format")
        .arg("png")
        .output()
        .expect("twinsim runs");
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "keep");
    assert!(plots.join("bands.png").exists());
}

#[test]
fn simulate_predictions_are_owner_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data.csv");
    std::fs::write(
        &data,
        "ID,TIME,AMT,EVID,MDV,DV,CMT,WT\n1,0,100,1,1,.,1,70\n1,2,0,0,0,1.1,1,70\n",
    )
    .expect("write");
    let out = dir.path().join("predictions.csv");
    let result = twinsim()
        .arg("simulate")
        .arg("--model")
        .arg(project_file("tests/scenarios/iv_model.ron"))
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("twinsim runs");
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert_eq!(mode(&out), 0o600);
}

#[test]
fn plot_works_from_any_directory() {
    let dir = workspace();
    let out = dir.path().join("out");
    run(dir.path(), &out);
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).expect("summary"))
            .expect("json");
    let file = summary["scenario_file"].as_str().expect("scenario_file");
    assert!(Path::new(file).is_absolute(), "{file}");
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let result = twinsim()
        .current_dir(elsewhere.path())
        .arg("plot")
        .arg(&out)
        .output()
        .expect("twinsim runs");
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(out.join("plots/bands.svg").exists());
}
