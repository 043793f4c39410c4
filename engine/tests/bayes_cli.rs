//! `twinsim estimate` and `twinsim twin ...` end to end, on the Theoph fixture whose nlme
//! reference lives in `twins/tests/fixtures/theoph/` (see its README).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Same bound as twins' nlme test: |ETA − ranef| below 1% of each prior sd.
const AGREEMENT_FRACTION_OF_SD: f64 = 0.01;
/// Prior sds √ω of CL, V, KA in `theoph_model.ron` (ω from nlme_fit.csv's psi values).
const PRIOR_SD: [f64; 3] = [0.264_457, 0.134_573, 0.642_236];

fn twinsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_twinsim"))
        .args(args)
        .output()
        .expect("twinsim runs")
}

fn ok(args: &[&str]) -> String {
    let out = twinsim(args);
    assert!(
        out.status.success(),
        "twinsim {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn theoph() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../twins/tests/fixtures/theoph")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[cfg(unix)]
fn assert_owner_only(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(p).expect("exists").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{} holds patient data", p.display());
}

#[cfg(not(unix))]
fn assert_owner_only(_: &Path) {}

#[test]
fn estimate_writes_etas_matching_nlme_and_predictions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("est");
    let model = theoph().join("theoph_model.ron");
    let data = theoph().join("theoph.csv");
    ok(&[
        "estimate",
        "--model",
        s(&model),
        "--data",
        s(&data),
        "--out",
        s(&out),
        "--threads",
        "2",
    ]);
    let individual = read(&out.join("individual.csv"));
    let header: Vec<&str> = individual
        .lines()
        .next()
        .expect("header")
        .split(',')
        .collect();
    for column in [
        "ID",
        "ETA_CL",
        "ETA_V",
        "ETA_KA",
        "CL",
        "V",
        "KA",
        "OBJ",
        "COV_CL_V",
        "COV_KA_KA",
    ] {
        assert!(header.contains(&column), "missing {column} in {header:?}");
    }
    let col = |name: &str| header.iter().position(|h| *h == name).expect("column");
    let reference = read(&theoph().join("nlme_ranef.csv"));
    let mut rows = 0;
    for line in individual.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let nlme_line = reference
            .lines()
            .find(|l| l.split(',').next() == Some(cells[0]))
            .expect("ID in nlme's ranef");
        let nlme: Vec<f64> = nlme_line
            .split(',')
            .skip(1)
            .map(|x| x.trim().parse().expect("number"))
            .collect();
        for (k, name) in ["ETA_CL", "ETA_V", "ETA_KA"].iter().enumerate() {
            let ours: f64 = cells[col(name)].parse().expect("number");
            assert!(
                (ours - nlme[k]).abs() < AGREEMENT_FRACTION_OF_SD * PRIOR_SD[k],
                "ID {} {name}: {ours} vs nlme {}",
                cells[0],
                nlme[k]
            );
        }
        rows += 1;
    }
    assert_eq!(rows, 12);
    let predictions = read(&out.join("predictions.csv"));
    assert!(predictions.starts_with("ID,TIME,DV,PRED,IPRED,IWRES\n"));
    assert_eq!(predictions.lines().count(), 1 + 132);
    assert_owner_only(&out.join("individual.csv"));
    assert_owner_only(&out.join("predictions.csv"));
}

#[test]
fn a_twin_is_made_observes_forecasts_and_doses() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = theoph().join("theoph_model.ron");
    let patient = dir.path().join("patient.ron");
    std::fs::write(&patient, r#"(id: "1", numeric: {"WT": 79.6})"#).expect("write");
    let twin = dir.path().join("twin.json");
    ok(&[
        "twin",
        "new",
        "--model",
        s(&model),
        "--patient",
        s(&patient),
        "--out",
        s(&twin),
    ]);
    assert_owner_only(&twin);

    // Subject 1's rows of the Theoph data, in two halves: two updates, one journal entry each.
    let all = read(&theoph().join("theoph.csv"));
    let mut lines = all.lines();
    let header = lines.next().expect("header");
    let rows: Vec<&str> = lines.filter(|l| l.starts_with("1,")).collect();
    let first = dir.path().join("first.csv");
    let second = dir.path().join("second.csv");
    std::fs::write(&first, format!("{header}\n{}\n", rows[..6].join("\n"))).expect("write");
    std::fs::write(&second, format!("{header}\n{}\n", rows[6..].join("\n"))).expect("write");
    ok(&["twin", "observe", s(&twin), s(&first)]);
    let said = ok(&["twin", "observe", s(&twin), s(&second)]);
    assert!(said.contains("11 observations"), "{said}");
    let stored: serde_json::Value = serde_json::from_str(&read(&twin)).expect("json");
    assert_eq!(stored["journal"].as_array().map(Vec::len), Some(3));
    // Two updates end where the one-shot estimate does (nlme's ranef for subject 1: lCl −0.6247).
    let eta_cl = stored["posterior"]["eta"][0].as_f64().expect("eta");
    assert!(
        (eta_cl - (-0.624_696)).abs() < AGREEMENT_FRACTION_OF_SD * PRIOR_SD[0],
        "{eta_cl}"
    );

    let bands = dir.path().join("bands.csv");
    let json = dir.path().join("forecast.json");
    let said = ok(&[
        "twin",
        "forecast",
        s(&twin),
        "--dose",
        "320",
        "--every",
        "12",
        "--dose-count",
        "6",
        "--horizon",
        "72",
        "--outcome",
        "auc24",
        "--day",
        "2",
        "--low",
        "100",
        "--high",
        "200",
        "--draws",
        "200",
        "--out",
        s(&bands),
        "--json",
        s(&json),
    ]);
    assert!(said.contains("posterior draws"), "{said}");
    assert_eq!(read(&bands).lines().count(), 1 + 289);
    let forecast: serde_json::Value = serde_json::from_str(&read(&json)).expect("json");
    assert!(forecast["outcomes"][0]["probability"].as_f64().is_some());

    let said = ok(&[
        "twin",
        "dose",
        s(&twin),
        "--outcome",
        "cmin",
        "--day",
        "3",
        "--low",
        "5",
        "--high",
        "15",
        "--amounts",
        "100,200,300,400",
        "--every",
        "8,12",
        "--ae-cmax-above",
        "20",
        "--ae-ceiling",
        "0.1",
        "--draws",
        "200",
    ]);
    assert!(
        said.contains("chosen:") && said.contains("runner-up"),
        "{said}"
    );
    let said = ok(&[
        "twin",
        "dose",
        s(&twin),
        "--map",
        "--outcome",
        "auc24",
        "--low",
        "100",
        "--high",
        "200",
        "--amounts",
        "100,200,300",
    ]);
    assert!(said.contains("MAP point"), "{said}");
    let said = ok(&[
        "twin",
        "dose",
        s(&twin),
        "--map",
        "--outcome",
        "auc24",
        "--low",
        "100",
        "--high",
        "200",
        "--range",
        "100:300:50",
    ]);
    // Five candidates: the chosen one and four runners-up.
    assert_eq!(said.matches("runner-up").count(), 4, "{said}");
    let out = twinsim(&[
        "twin",
        "dose",
        s(&twin),
        "--outcome",
        "auc24",
        "--low",
        "1",
        "--high",
        "2",
        "--range",
        "300:100:50",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--range 300:100:50"));
}

#[test]
fn a_twin_refuses_a_changed_model_and_names_the_twin() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = dir.path().join("model.ron");
    std::fs::copy(theoph().join("theoph_model.ron"), &model).expect("copy");
    let patient = dir.path().join("patient.ron");
    std::fs::write(&patient, r#"(id: "P-9", numeric: {"WT": 70.0})"#).expect("write");
    let twin = dir.path().join("twin.json");
    ok(&[
        "twin",
        "new",
        "--model",
        s(&model),
        "--patient",
        s(&patient),
        "--out",
        s(&twin),
    ]);
    let text = read(&model).replace("Additive(sd: 0.", "Additive(sd: 1.");
    std::fs::write(&model, text).expect("write");
    let out = twinsim(&[
        "twin",
        "forecast",
        s(&twin),
        "--dose",
        "300",
        "--every",
        "12",
        "--dose-count",
        "2",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("P-9") && err.contains("SHA-256"), "{err}");
}

#[test]
fn a_patient_missing_a_covariate_is_refused_at_creation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let patient = dir.path().join("patient.ron");
    std::fs::write(&patient, r#"(id: "P-2", numeric: {"AGE": 40.0})"#).expect("write");
    let out = twinsim(&[
        "twin",
        "new",
        "--model",
        s(&theoph().join("theoph_model.ron")),
        "--patient",
        s(&patient),
        "--out",
        s(&dir.path().join("t.json")),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("P-2") && err.contains("WT"), "{err}");
}

/// Each ID's estimate depends only on its own data, so the output is the same byte for byte
/// whatever the number of threads (STYLE.md §16).
#[test]
fn estimate_is_byte_identical_on_one_and_two_threads() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = theoph().join("theoph_model.ron");
    let data = theoph().join("theoph.csv");
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        ok(&[
            "estimate",
            "--model",
            s(&model),
            "--data",
            s(&data),
            "--out",
            s(&out),
            "--threads",
            threads,
        ]);
        outputs.push((
            read(&out.join("individual.csv")),
            read(&out.join("predictions.csv")),
        ));
    }
    assert_eq!(outputs[0], outputs[1]);
}

/// A forecast is a function of the twin and the seed.
#[test]
fn forecasts_with_the_same_seed_are_identical() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = theoph().join("theoph_model.ron");
    let patient = dir.path().join("patient.ron");
    std::fs::write(&patient, r#"(id: "1", numeric: {"WT": 79.6})"#).expect("write");
    let twin = dir.path().join("twin.json");
    ok(&[
        "twin",
        "new",
        "--model",
        s(&model),
        "--patient",
        s(&patient),
        "--out",
        s(&twin),
    ]);
    let all = read(&theoph().join("theoph.csv"));
    let subject: Vec<&str> = all
        .lines()
        .filter(|l| l.starts_with("ID") || l.starts_with("1,"))
        .collect();
    let data = dir.path().join("s1.csv");
    std::fs::write(&data, subject.join("\n") + "\n").expect("write");
    ok(&["twin", "observe", s(&twin), s(&data)]);
    let mut bands = Vec::new();
    for name in ["a.csv", "b.csv"] {
        let out = dir.path().join(name);
        ok(&[
            "twin",
            "forecast",
            s(&twin),
            "--dose",
            "320",
            "--every",
            "12",
            "--dose-count",
            "4",
            "--draws",
            "300",
            "--seed",
            "7",
            "--out",
            s(&out),
        ]);
        bands.push(read(&out));
    }
    assert_eq!(bands[0], bands[1]);
}
