//! Time-varying covariates, read as NONMEM reads them, on every path.
//!
//! The reference is written here, independently of pk_models: parameters constant between
//! records, the exact solution interval by interval (an exponential for one compartment, the
//! eigenvalues of the 2×2 system for two), the amounts carried across each change. Under
//! `NextBackward` (NONMEM's default) a record's values hold over the interval that ends at it;
//! under `LastForward` from it on. The dataset changes weight and creatinine clearance in the
//! middle of a dosing interval.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use twinsim_tests::{project_file, twinsim};

/// Both sides are exact solutions in double precision.
const RELATIVE: f64 = 1e-10;

/// One record: time (h), dose (mg, 0 for an observation), weight (kg), creatinine clearance
/// (mL/min), DV (mg/L, for `estimate`).
struct Row {
    time: f64,
    dose: f64,
    wt: f64,
    crcl: f64,
    dv: f64,
}

const fn row(time: f64, dose: f64, wt: f64, crcl: f64, dv: f64) -> Row {
    Row {
        time,
        dose,
        wt,
        crcl,
        dv,
    }
}

/// Two 100 mg boluses at 0 and 12 h; weight changes at 5.5 h and 13 h, creatinine clearance at
/// 7 h and 18 h: each in the middle of a dosing interval.
const ROWS: [Row; 9] = [
    row(0.0, 100.0, 70.0, 80.0, 0.0),
    row(1.0, 0.0, 70.0, 80.0, 1.8),
    row(3.0, 0.0, 70.0, 80.0, 1.6),
    row(5.5, 0.0, 75.0, 80.0, 1.3),
    row(7.0, 0.0, 75.0, 55.0, 1.2),
    row(12.0, 100.0, 75.0, 55.0, 0.0),
    row(13.0, 0.0, 80.0, 55.0, 2.5),
    row(18.0, 0.0, 80.0, 40.0, 2.0),
    row(24.0, 0.0, 80.0, 40.0, 1.7),
];

fn dataset() -> String {
    let mut text = String::from("ID,TIME,EVID,AMT,CMT,DV,MDV,WT,CRCL\n");
    for id in 1..=2 {
        for r in &ROWS {
            let (evid, mdv, dv) = if r.dose > 0.0 {
                (1, 1, ".".to_owned())
            } else {
                (0, 0, format!("{}", r.dv * f64::from(id)))
            };
            text.push_str(&format!(
                "{id},{},{evid},{},1,{dv},{mdv},{},{}\n",
                r.time, r.dose, r.wt, r.crcl
            ));
        }
    }
    text
}

/// The model's parameters for a row's covariates (as its file writes them).
#[derive(Clone, Copy)]
struct Params {
    cl: f64,
    v1: f64,
    /// Q and V2 of the two-compartment model; none for one compartment.
    peripheral: Option<(f64, f64)>,
}

fn params(two_compartments: bool, r: &Row) -> Params {
    if two_compartments {
        Params {
            cl: 3.0 * (1.0 + 0.012 * (r.crcl - 80.0)),
            v1: 20.0 * r.wt / 70.0,
            peripheral: Some((2.0, 30.0)),
        }
    } else {
        Params {
            cl: 4.0 * (1.0 + 0.01 * (r.crcl - 80.0)),
            v1: 50.0 * r.wt / 70.0,
            peripheral: None,
        }
    }
}

/// Moves amounts (central, peripheral) `dt` hours on with constant parameters.
///
/// One compartment: A(t) = A(0)·e^(−k·t), k = CL/V.
/// Two: dA/dt = M·A with M = [[−(k10 + k12), k21], [k12, −k21]]; M has real eigenvalues
/// λ1 ≠ λ2, and e^(Mt) = (e^(λ1 t)(M − λ2 I) − e^(λ2 t)(M − λ1 I)) / (λ1 − λ2) (Sylvester).
fn advance(p: Params, amounts: [f64; 2], dt: f64) -> [f64; 2] {
    let k10 = p.cl / p.v1;
    let Some((q, v2)) = p.peripheral else {
        return [amounts[0] * (-k10 * dt).exp(), 0.0];
    };
    let (k12, k21) = (q / p.v1, q / v2);
    let m = [[-(k10 + k12), k21], [k12, -k21]];
    let trace = m[0][0] + m[1][1];
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    let root = (trace * trace / 4.0 - det).sqrt();
    let (l1, l2) = (trace / 2.0 + root, trace / 2.0 - root);
    let (e1, e2) = ((l1 * dt).exp(), (l2 * dt).exp());
    let mut out = [0.0; 2];
    for (i, o) in out.iter_mut().enumerate() {
        for (j, a) in amounts.iter().enumerate() {
            let identity = if i == j { 1.0 } else { 0.0 };
            let phi = (e1 * (m[i][j] - l2 * identity) - e2 * (m[i][j] - l1 * identity)) / (l1 - l2);
            *o += phi * a;
        }
    }
    out
}

/// The concentration after each row: NOCB advances to row i with row i's parameters, LOCF with
/// row i − 1's; the row's dose enters, and its output is read with its own volume.
fn reference(two_compartments: bool, next_backward: bool) -> Vec<f64> {
    let mut amounts = [0.0; 2];
    let mut out = Vec::new();
    for (i, r) in ROWS.iter().enumerate() {
        if i > 0 {
            let governing = if next_backward { r } else { &ROWS[i - 1] };
            amounts = advance(
                params(two_compartments, governing),
                amounts,
                r.time - ROWS[i - 1].time,
            );
        }
        amounts[0] += r.dose;
        out.push(amounts[0] / params(two_compartments, r).v1);
    }
    out
}

/// The model file, with the carry rule asked for.
fn model(dir: &Path, name: &str, next_backward: bool) -> PathBuf {
    let text = std::fs::read_to_string(project_file(&format!("tests/scenarios/{name}.ron")))
        .expect("model file");
    let text = if next_backward {
        text
    } else {
        text.replace("carry: NextBackward", "carry: LastForward")
    };
    let path = dir.join(format!("{name}_{next_backward}.ron"));
    std::fs::write(&path, text).expect("write model");
    path
}

fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("csv");
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
    row[column].parse().expect("a number")
}

fn simulate(model: &Path, data: &Path, out: &Path) -> Vec<BTreeMap<String, String>> {
    let status = twinsim()
        .args(["simulate", "--model"])
        .arg(model)
        .arg("--data")
        .arg(data)
        .arg("--out")
        .arg(out)
        .status()
        .expect("twinsim runs");
    assert!(status.success(), "twinsim simulate failed");
    read_csv(out)
}

#[test]
fn simulate_follows_covariates_changing_mid_interval_as_the_piecewise_exact_solution() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data.csv");
    std::fs::write(&data, dataset()).expect("data");
    for (name, two) in [("tv_1cmt_model", false), ("tv_2cmt_model", true)] {
        for next_backward in [true, false] {
            let model = model(dir.path(), name, next_backward);
            let rows = simulate(&model, &data, &dir.path().join("pred.csv"));
            let want = reference(two, next_backward);
            let first_only = {
                // What reading the first record only (the old behaviour) would give.
                let p = params(two, &ROWS[0]);
                let mut a = [0.0; 2];
                let mut c = Vec::new();
                for (i, r) in ROWS.iter().enumerate() {
                    if i > 0 {
                        a = advance(p, a, r.time - ROWS[i - 1].time);
                    }
                    a[0] += r.dose;
                    c.push(a[0] / p.v1);
                }
                c
            };
            for (i, r) in rows.iter().take(ROWS.len()).enumerate() {
                let got = number(r, "CP");
                assert!(
                    (got - want[i]).abs() <= RELATIVE * want[i].abs(),
                    "{name} ({}): at {} h simulate {got}, piecewise exact {}",
                    if next_backward { "NOCB" } else { "LOCF" },
                    ROWS[i].time,
                    want[i]
                );
            }
            // The reference is not the constant-covariate answer: the test can fail.
            let last = ROWS.len() - 1;
            assert!((want[last] / first_only[last] - 1.0).abs() > 0.05);
        }
        // NOCB and LOCF differ after a change (the rule is applied, not ignored).
        let (nocb, locf) = (reference(two, true), reference(two, false));
        assert!((nocb[3] / locf[3] - 1.0).abs() > 0.01);
    }
}

/// `estimate`'s PRED (η = 0) is the Bayesian paths' prediction (`twin`, forecasts): it follows
/// the same covariate course as `simulate`.
#[test]
fn estimate_predictions_follow_the_same_course_as_simulate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data.csv");
    std::fs::write(&data, dataset()).expect("data");
    for name in ["tv_1cmt_model", "tv_2cmt_model"] {
        for next_backward in [true, false] {
            let model = model(dir.path(), name, next_backward);
            let simulated = simulate(&model, &data, &dir.path().join("pred.csv"));
            let out = dir.path().join(format!("estimate_{name}_{next_backward}"));
            let status = twinsim()
                .args(["estimate", "--model"])
                .arg(&model)
                .arg("--data")
                .arg(&data)
                .arg("--out")
                .arg(&out)
                .status()
                .expect("twinsim runs");
            assert!(status.success(), "twinsim estimate failed");
            let predictions = read_csv(&out.join("predictions.csv"));
            let observed: Vec<&BTreeMap<String, String>> =
                simulated.iter().filter(|r| r["EVID"] == "0").collect();
            assert_eq!(predictions.len(), observed.len());
            for (p, s) in predictions.iter().zip(observed) {
                assert_eq!(p["ID"], s["ID"]);
                assert_eq!(number(p, "TIME"), number(s, "TIME"));
                let (pred, cp) = (number(p, "PRED"), number(s, "CP"));
                assert!(
                    (pred - cp).abs() <= 1e-9 * cp.abs(),
                    "{name}: ID {} at {} h: PRED {pred}, simulate {cp}",
                    p["ID"],
                    p["TIME"]
                );
            }
        }
    }
}

#[test]
fn two_records_at_one_time_with_different_covariates_are_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data.csv");
    std::fs::write(
        &data,
        "ID,TIME,EVID,AMT,CMT,DV,MDV,WT,CRCL\n1,0,1,100,1,.,1,70,80\n1,0,0,0,1,2,0,72,80\n",
    )
    .expect("data");
    let model = model(dir.path(), "tv_1cmt_model", true);
    let result = twinsim()
        .args(["simulate", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("pred.csv"))
        .output()
        .expect("twinsim runs");
    assert!(!result.status.success());
    let message = String::from_utf8_lossy(&result.stderr);
    assert!(
        message.contains("V") && message.contains("two values at one time"),
        "{message}"
    );
}

/// A twin observing a dataset whose rows carry covariates keeps them as covariate records: its
/// posterior's parameters are those of its last record (weight 80 kg, creatinine clearance
/// 40 mL/min), not of the patient file it was made from (70 kg, 80 mL/min).
#[test]
fn a_twin_takes_covariates_that_change_in_its_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data.csv");
    std::fs::write(&data, dataset()).expect("data");
    let patient = dir.path().join("patient.ron");
    std::fs::write(
        &patient,
        r#"(id: "1", numeric: {"WT": 70.0, "CRCL": 80.0})"#,
    )
    .expect("patient");
    let model = model(dir.path(), "tv_1cmt_model", true);
    let twin = dir.path().join("twin.json");
    for args in [vec!["twin", "new", "--model"], vec!["twin", "observe"]] {
        let mut command = twinsim();
        command.args(&args);
        if args[1] == "new" {
            command
                .arg(&model)
                .arg("--patient")
                .arg(&patient)
                .arg("--out")
                .arg(&twin);
        } else {
            command.arg(&twin).arg(&data);
        }
        let out = command.output().expect("twinsim runs");
        assert!(
            out.status.success(),
            "twinsim {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&twin).expect("twin")).expect("json");
    assert_eq!(
        file["history"]["covariates"].as_array().map(Vec::len),
        Some(ROWS.len())
    );
    let posterior = &file["posterior"];
    let eta: Vec<f64> = posterior["eta"]
        .as_array()
        .expect("eta")
        .iter()
        .map(|v| v.as_f64().expect("number"))
        .collect();
    let cl = posterior["parameters"]["CL"].as_f64().expect("CL");
    let v = posterior["parameters"]["V"].as_f64().expect("V");
    let want_cl = 4.0 * (1.0 + 0.01 * (40.0 - 80.0)) * eta[0].exp();
    let want_v = 50.0 * 80.0 / 70.0 * eta[1].exp();
    assert!(
        (cl / want_cl - 1.0).abs() < 1e-12,
        "CL {cl}, want {want_cl}"
    );
    assert!((v / want_v - 1.0).abs() < 1e-12, "V {v}, want {want_v}");
}
