//! `twinsim estimate --vpc` on the Theoph fixture (R's `datasets::Theoph`, exported by
//! `twins/tests/fixtures/theoph/fit_nlme.R`): the VPC is drawn with the observations, the three
//! observed percentiles and the simulated intervals, and the same seed draws the same picture.

use std::path::Path;
use std::process::Command;

fn estimate(out: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let status = Command::new(env!("CARGO_BIN_EXE_twinsim"))
        .arg("estimate")
        .arg("--model")
        .arg(root.join("twins/tests/fixtures/theoph/theoph_model.ron"))
        .arg("--data")
        .arg(root.join("twins/tests/fixtures/theoph/theoph.csv"))
        .arg("--out")
        .arg(out)
        .args(["--vpc", "--vpc-replicates", "50"])
        .status()
        .expect("twinsim runs");
    assert!(status.success());
}

#[test]
fn estimate_draws_a_reproducible_vpc_with_observations_and_intervals() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    estimate(&a);
    estimate(&b);
    let svg = std::fs::read_to_string(a.join("vpc_CP.svg")).expect("vpc_CP.svg");
    assert!(svg.contains("VPC of CP (50 simulated datasets)"), "title");
    assert!(
        svg.contains("CP (mg/L)") && svg.contains("Time (h)"),
        "axis titles with units"
    );
    assert!(
        svg.contains("observed median") && svg.contains("90% PI of simulated median"),
        "legend"
    );
    // 132 observations of Theoph's 12 subjects appear as points.
    assert!(svg.matches("<circle").count() >= 132, "observations drawn");
    assert_eq!(
        svg,
        std::fs::read_to_string(b.join("vpc_CP.svg")).expect("second vpc"),
        "same seed, same picture"
    );
}
