//! `twinsim simulate` against NONMEM 7.5 on the 29 dosing scenarios of the public nmtests
//! benchmark (mrgsolve/nmtests, folder dosing/, commit 5235a69): the dataset, NONMEM's CP and the
//! model description are in `tests/reference/nmtests-dosing/` (see its SOURCE.md); our model file
//! is `tests/reference/nmtests_dosing.ron`.

use std::collections::BTreeMap;

use twinsim_tests::{project_file, twinsim};

/// NONMEM prints CP to 5 significant digits, so agreement is judged at 1e-4 relative...
const REL_TOL: f64 = 1e-4;
/// ... or 1e-3 µg/L absolute, for concentrations near zero.
const ABS_TOL: f64 = 1e-3;

fn read(path: &std::path::Path) -> Vec<BTreeMap<String, String>> {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(|h| h.to_uppercase())
        .collect();
    reader
        .records()
        .map(|r| {
            let r = r.expect("a CSV row");
            header
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

fn run(extra: &[&str]) -> Vec<BTreeMap<String, String>> {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = dir.path().join("pred.csv");
    let model = project_file("tests/reference/nmtests_dosing.ron");
    let data = project_file("tests/reference/nmtests-dosing/input.csv");
    let status = twinsim()
        .arg("simulate")
        .arg("--model")
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .args(extra)
        .status()
        .expect("twinsim runs");
    assert!(status.success(), "twinsim simulate failed");
    read(&out)
}

fn compare(pred: &[BTreeMap<String, String>]) {
    let input = read(&project_file("tests/reference/nmtests-dosing/input.csv"));
    let nonmem = read(&project_file(
        "tests/reference/nmtests-dosing/nonmem_cp.csv",
    ));
    assert_eq!(pred.len(), nonmem.len(), "one row per input record");
    let mut failing = BTreeMap::<String, Vec<String>>::new();
    let mut scored = 0;
    for ((inp, nm), ours) in input.iter().zip(&nonmem).zip(pred) {
        assert_eq!(ours["ID"], nm["ID"]);
        let (t_ours, t_nm): (f64, f64) = (
            ours["TIME"].parse().expect("TIME"),
            nm["TIME"].parse().expect("TIME"),
        );
        assert!(
            (t_ours - t_nm).abs() < 1e-9,
            "rows out of step at ID {}",
            nm["ID"]
        );
        if inp["EVID"] != "0" {
            continue;
        }
        scored += 1;
        let (a, b): (f64, f64) = (
            ours["CP"].parse().expect("CP"),
            nm["CP"].parse().expect("CP"),
        );
        let err = (a - b).abs();
        if !(err <= ABS_TOL || err <= REL_TOL * b.abs()) {
            failing
                .entry(nm["ID"].clone())
                .or_default()
                .push(format!("t={t_nm}: twinsim {a}, NONMEM {b}"));
        }
    }
    assert_eq!(scored, 3799, "every observation record is scored");
    assert!(
        failing.is_empty(),
        "scenarios differing from NONMEM: {failing:#?}"
    );
}

#[test]
fn exact_path_matches_nonmem_on_all_29_dosing_scenarios() {
    compare(&run(&[]));
}

#[test]
fn ode_path_matches_nonmem_on_all_29_dosing_scenarios() {
    compare(&run(&["--ode"]));
}
