//! Files that cannot betray the user (issue 14, part 3): a planted symbolic link at a partial
//! file's name is never followed, patient files are owner-only from creation, and a results
//! folder names its scenario so `plot` works from any directory.

#![cfg(unix)]

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use twinsim_tests::{project_file, succeed, twinsim};

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
    succeed(
        twinsim()
            .current_dir(dir)
            .arg("run")
            .arg("two_arms.ron")
            .arg("--out")
            .arg(out)
            .arg("--replicates")
            .arg("1"),
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
    assert!(std::fs::symlink_metadata(out.join("twins.csv.partial")).is_err());
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
    succeed(
        twinsim()
            .arg("plot")
            .arg(&out)
            .arg("--out")
            .arg(&plots)
            .arg("--format")
            .arg("png"),
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
    succeed(
        twinsim()
            .arg("simulate")
            .arg("--model")
            .arg(project_file("tests/scenarios/iv_model.ron"))
            .arg("--data")
            .arg(&data)
            .arg("--out")
            .arg(&out),
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
    succeed(
        twinsim()
            .current_dir(elsewhere.path())
            .arg("plot")
            .arg(&out),
    );
    assert!(out.join("plots/bands.svg").exists());
}

/// Names of the entries of `dir`.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A reused results folder holds one run's files: the files of an earlier run that the new one
/// does not write are gone, and `manifest.json` lists exactly what is there with its SHA-256.
#[test]
fn a_reused_results_folder_holds_one_run_and_its_manifest() {
    let dir = workspace();
    std::fs::copy(
        project_file("tests/scenarios/escalation.ron"),
        dir.path().join("escalation.ron"),
    )
    .expect("copy");
    let out = dir.path().join("out");
    run(dir.path(), &out);
    assert!(out.join("timecourse.csv").exists());
    // An escalation writes no time course: the earlier one must not sit beside its results.
    succeed(
        twinsim()
            .current_dir(dir.path())
            .args(["run", "escalation.ron", "--replicates", "50", "--out"])
            .arg(&out),
    );
    assert!(
        !out.join("timecourse.csv").exists(),
        "the earlier run's time course is left"
    );
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("manifest.json")).expect("manifest"),
    )
    .expect("json");
    let files = manifest["files"].as_object().expect("files");
    let mut listed: Vec<String> = files.keys().cloned().collect();
    listed.push("manifest.json".into());
    listed.sort();
    assert_eq!(entries(&out), listed);
    for (name, sha) in files {
        let bytes = std::fs::read(out.join(name)).expect("file");
        assert_eq!(
            sha.as_str(),
            Some(twins::store::sha256_hex(&bytes).as_str()),
            "{name}"
        );
    }
    assert_eq!(manifest["seed"], 7);
    assert_eq!(manifest["replicates"], 50);
}

/// SIGTERM during a run removes its partial files (patient data) and exits 130; a staging
/// folder a killed process left is removed by the next run.
#[test]
fn an_interrupted_run_leaves_no_partial_files() {
    let dir = workspace();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let orphan = out.join(".twinsim-staging-3999999-0");
    std::fs::create_dir(&orphan).expect("mkdir");
    std::fs::write(orphan.join("twins.csv.partial"), "patient rows").expect("write");
    let mut child = twinsim()
        .arg("run")
        .arg(project_file("benches/scenarios/w1_million.ron"))
        .arg("--out")
        .arg(&out)
        .arg("--threads")
        .arg("1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("twinsim starts");
    // Wait until the run has its staging folder (and so has removed the orphan), then stop it.
    let started = std::time::Instant::now();
    while !entries(&out)
        .iter()
        .any(|n| n.starts_with(".twinsim-staging-") && !n.contains("3999999"))
    {
        assert!(started.elapsed().as_secs() < 60, "the run did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let status = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert_eq!(exit.code(), Some(130), "{exit:?}");
    assert_eq!(entries(&out), Vec::<String>::new(), "left behind");
}

/// A temporary twin copy a killed process left beside the twin is removed at the next save.
#[test]
fn an_orphaned_temporary_twin_copy_is_removed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let patient = dir.path().join("patient.ron");
    std::fs::write(&patient, r#"(id: "P-1", numeric: {"WT": 70.0})"#).expect("write");
    let twin = dir.path().join("twin.json");
    let orphan = dir.path().join(".twin.json.tmp.3999999.0");
    std::fs::write(&orphan, "{}").expect("write");
    succeed(
        twinsim()
            .arg("twin")
            .arg("new")
            .arg("--model")
            .arg(project_file("tests/scenarios/iv_model.ron"))
            .arg("--patient")
            .arg(&patient)
            .arg("--out")
            .arg(&twin),
    );
    assert!(!orphan.exists(), "the orphaned copy is left");
}
