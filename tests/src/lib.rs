//! Helpers for twinsim's end-to-end tests: finding the `twinsim` binary and the project's files.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The project's root folder.
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), Path::to_path_buf)
}

/// A file of the project, by path from the root.
pub fn project_file(relative: &str) -> PathBuf {
    project_root().join(relative)
}

/// A command running the `twinsim` binary built beside this test.
///
/// `cargo test --workspace` builds it (the `engine` package has integration tests, so its binary
/// is built before any test runs), in the same profile folder as the test executable.
pub fn twinsim() -> Command {
    let exe = std::env::current_exe().expect("the test executable has a path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("tests run from target/<profile>/deps");
    let bin = profile_dir.join(format!("twinsim{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run the tests with `cargo test --workspace` so the twinsim binary is built",
        bin.display()
    );
    Command::new(bin)
}

/// Runs `cmd` (a [`twinsim`] command) and asserts it succeeds, showing its standard error when
/// it does not; returns its output.
pub fn succeed(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().expect("twinsim runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A population that defines every covariate the shipped models read (weight, height, age,
/// serum creatinine, albumin, sex, ancestry, two co-medications), with the genes they read.
pub const POPULATION: &str = r#"(
    covariates: {
        WT: Truncated(distribution: LogNormal(median: 75.0, sd_log: 0.2), min: 45.0, max: 140.0),
        HT: Truncated(distribution: Normal(mean: 170.0, sd: 10.0), min: 145.0, max: 200.0),
        AGE: Truncated(distribution: Normal(mean: 60.0, sd: 15.0), min: 20.0, max: 90.0),
        SCR: Truncated(distribution: LogNormal(median: 1.0, sd_log: 0.3), min: 0.5, max: 4.0),
        ALB: Truncated(distribution: Normal(mean: 4.0, sd: 0.4), min: 2.5, max: 5.5),
    },
    sex: {Female: 0.5, Male: 0.5},
    ancestry: {European: 0.5, African: 0.25, EastAsian: 0.25},
    comedications: {"amiodarone": 0.3, "enzyme_inducer": 0.3},
    genes: ["CYP2C9", "VKORC1", "CYP3A5"],
)"#;
