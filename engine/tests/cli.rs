//! The `twinsim` binary's own smoke tests (their presence also makes `cargo test` build the binary
//! that the end-to-end tests in `tests/` run).

use std::process::Command;

fn twinsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_twinsim"))
}

#[test]
fn version_prints_the_crate_version() {
    let out = twinsim().arg("--version").output().expect("twinsim runs");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn missing_model_file_fails_with_its_path() {
    let out = twinsim()
        .args([
            "simulate",
            "--model",
            "no/such/model.ron",
            "--data",
            "x.csv",
            "--out",
            "y.csv",
        ])
        .output()
        .expect("twinsim runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no/such/model.ron"), "{err}");
}
