//! The MIPD workflow refuses what would make its advice unsafe (issue 14, part 1): another
//! patient's rows, repeated files, impossible levels, impossible patients, and a dose search with
//! no dose to recommend. On the Theoph fixture (`twins/tests/fixtures/theoph/`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn twinsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_twinsim"))
        .args(args)
        .output()
        .expect("twinsim runs")
}

fn theoph() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../twins/tests/fixtures/theoph")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// (success, stdout, stderr).
fn said(args: &[&str]) -> (bool, String, String) {
    let out = twinsim(args);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const HEADER: &str = "ID,TIME,DV,AMT,EVID,MDV,CMT,WT";

/// A folder with a new twin `P-1` of Theoph subject 1 (79.6 kg) and the model.
struct Clinic {
    dir: tempfile::TempDir,
    twin: PathBuf,
}

impl Clinic {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let patient = dir.path().join("patient.ron");
        std::fs::write(&patient, r#"(id: "P-1", numeric: {"WT": 79.6})"#).expect("write");
        let twin = dir.path().join("twin.json");
        let model = theoph().join("theoph_model.ron");
        let (ok, _, err) = said(&[
            "twin",
            "new",
            "--model",
            s(&model),
            "--patient",
            s(&patient),
            "--out",
            s(&twin),
        ]);
        assert!(ok, "{err}");
        Self { dir, twin }
    }

    /// Writes a dataset of `rows` (after the header) and returns its path.
    fn data(&self, name: &str, rows: &[&str]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, format!("{HEADER}\n{}\n", rows.join("\n"))).expect("write");
        path
    }

    fn observe(&self, data: &Path, extra: &[&str]) -> (bool, String, String) {
        let mut args = vec!["twin", "observe", s(&self.twin), s(data)];
        args.extend_from_slice(extra);
        said(&args)
    }

    /// `twin forecast` of 320 mg every 12 h, with `extra` flags (the count among them).
    fn forecast(&self, extra: &[&str]) -> (bool, String, String) {
        let mut args = vec![
            "twin",
            "forecast",
            s(&self.twin),
            "--dose",
            "320",
            "--every",
            "12",
        ];
        args.extend_from_slice(extra);
        said(&args)
    }

    fn journal_len(&self) -> usize {
        let text = std::fs::read_to_string(&self.twin).expect("twin");
        let value: serde_json::Value = serde_json::from_str(&text).expect("json");
        value["journal"].as_array().map_or(0, Vec::len)
    }

    fn doses(&self) -> usize {
        let text = std::fs::read_to_string(&self.twin).expect("twin");
        let value: serde_json::Value = serde_json::from_str(&text).expect("json");
        value["history"]["doses"].as_array().map_or(0, Vec::len)
    }
}

const DOSE: &str = "P-1,0,.,320,1,1,1,79.6";
const LEVELS: [&str; 3] = [
    "P-1,1.12,10.5,0,0,0,2,79.6",
    "P-1,5.1,8.36,0,0,0,2,79.6",
    "P-1,24.37,3.28,0,0,0,2,79.6",
];

#[test]
fn another_patients_rows_are_refused_unless_their_id_is_named() {
    let clinic = Clinic::new();
    let rows: Vec<String> = std::iter::once(DOSE)
        .chain(LEVELS)
        .map(|r| r.replacen("P-1", "7", 1))
        .collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let other = clinic.data("other.csv", &rows);
    let (ok, _, err) = clinic.observe(&other, &[]);
    assert!(!ok, "another patient's rows were applied");
    for needle in ["other.csv", "no rows of ID `P-1`", "--id"] {
        assert!(err.contains(needle), "expected `{needle}` in: {err}");
    }
    assert!(
        !err.contains("`7`"),
        "another patient's ID is echoed: {err}"
    );
    assert_eq!(clinic.journal_len(), 1, "the twin changed");
    let (ok, out, err) = clinic.observe(&other, &["--id", "7"]);
    assert!(ok, "{err}");
    assert!(out.contains("added 1 doses and 3 observations"), "{out}");
}

#[test]
fn observing_the_same_file_twice_changes_nothing() {
    let clinic = Clinic::new();
    // Doses only: a retry once doubled them.
    let doses = clinic.data("doses.csv", &[DOSE, "P-1,12,.,320,1,1,1,79.6"]);
    assert!(clinic.observe(&doses, &[]).0);
    let (ok, out, err) = clinic.observe(&doses, &[]);
    assert!(ok, "{err}");
    assert!(out.contains("nothing new"), "{out}");
    assert_eq!(clinic.doses(), 2);
    assert_eq!(clinic.journal_len(), 2);
    // Doses and levels, then the same file again, then one with a new level beside the old ones.
    let levels = clinic.data("levels.csv", &[DOSE, LEVELS[0], LEVELS[1]]);
    assert!(clinic.observe(&levels, &[]).0);
    let (ok, out, _) = clinic.observe(&levels, &[]);
    assert!(ok && out.contains("nothing new"), "{out}");
    let more = clinic.data("more.csv", &[DOSE, LEVELS[0], LEVELS[1], LEVELS[2]]);
    let (ok, out, err) = clinic.observe(&more, &[]);
    assert!(ok, "{err}");
    assert!(
        out.contains("1 doses, 2 levels") && out.contains("added 0 doses and 1 observations"),
        "{out}"
    );
    assert_eq!(clinic.doses(), 2);
    assert_eq!(clinic.journal_len(), 4);
}

#[test]
fn impossible_levels_are_refused_and_leave_the_twin_unchanged() {
    let clinic = Clinic::new();
    assert!(
        clinic
            .observe(&clinic.data("d.csv", &[DOSE, LEVELS[0]]), &[])
            .0
    );
    for (name, rows, needles) in [
        (
            "negative.csv",
            vec![DOSE, "P-1,2,-1.5,0,0,0,2,79.6"],
            vec!["-1.5", "expected a level >= 0"],
        ),
        (
            "conflict.csv",
            vec![DOSE, "P-1,1.12,12.0,0,0,0,2,79.6"],
            vec!["different level", "1.12 h"],
        ),
        (
            "twice.csv",
            vec![DOSE, LEVELS[1], LEVELS[1]],
            vec!["5.1 h", "appears twice"],
        ),
        (
            "outlier.csv",
            vec![DOSE, "P-1,5.1,83600,0,0,0,2,79.6"],
            vec!["83600", "--accept-outlier", "99.9th percentile"],
        ),
    ] {
        let (ok, _, err) = clinic.observe(&clinic.data(name, &rows), &[]);
        assert!(!ok, "{name} was accepted");
        assert!(err.contains(name), "{name}: the file is not named: {err}");
        for needle in needles {
            assert!(
                err.contains(needle),
                "{name}: expected `{needle}` in: {err}"
            );
        }
        assert_eq!(clinic.journal_len(), 2, "{name} changed the twin");
    }
    // The outlier check can be overridden (a level this far off may not fit, then --force).
    let (_, _, err) = clinic.observe(
        &clinic.data("outlier.csv", &[DOSE, "P-1,5.1,83600,0,0,0,2,79.6"]),
        &["--accept-outlier"],
    );
    assert!(!err.contains("--accept-outlier"), "{err}");
}

#[test]
fn a_level_before_any_dose_is_refused() {
    let clinic = Clinic::new();
    let (ok, _, err) = clinic.observe(&clinic.data("early.csv", &[LEVELS[0]]), &[]);
    assert!(!ok);
    assert!(err.contains("no dose"), "{err}");
    let later = clinic.data("later.csv", &[LEVELS[0], "P-1,2,.,320,1,1,1,79.6"]);
    let (ok, _, err) = clinic.observe(&later, &[]);
    assert!(!ok);
    assert!(err.contains("before the twin's first dose"), "{err}");
}

#[test]
fn impossible_patients_get_no_twin() {
    let dir = tempfile::tempdir().expect("temp dir");
    let model = theoph().join("theoph_model.ron");
    for (numeric, field) in [
        (r#"{"WT": -70.0}"#, "WT"),
        (r#"{"WT": 0.0}"#, "WT"),
        (r#"{"WT": 600.0}"#, "WT"),
        (r#"{"WT": 70.0, "AGE": 130.0}"#, "AGE"),
        (r#"{"WT": 70.0, "AGE": -1.0}"#, "AGE"),
        (r#"{"WT": 70.0, "CRCL": 0.0}"#, "CRCL"),
    ] {
        let patient = dir.path().join("patient.ron");
        std::fs::write(&patient, format!("(id: \"P-1\", numeric: {numeric})")).expect("write");
        let twin = dir.path().join("twin.json");
        let (ok, _, err) = said(&[
            "twin",
            "new",
            "--model",
            s(&model),
            "--patient",
            s(&patient),
            "--out",
            s(&twin),
        ]);
        assert!(!ok, "{numeric} made a twin");
        assert!(
            err.contains(field) && err.contains("patient.ron"),
            "{numeric}: {err}"
        );
        assert!(!twin.exists());
    }
}

#[test]
fn a_dose_search_that_cannot_reach_the_target_says_so_and_fails() {
    let clinic = Clinic::new();
    assert!(
        clinic
            .observe(&clinic.data("d.csv", &[DOSE, LEVELS[0], LEVELS[1]]), &[])
            .0
    );
    let search = |low: &str, high: &str| {
        said(&[
            "twin",
            "dose",
            s(&clinic.twin),
            "--outcome",
            "auc24",
            "--low",
            low,
            "--high",
            high,
            "--amounts",
            "100,200,300",
            "--draws",
            "200",
        ])
    };
    // AUC24 of thousands of mg·h/L is out of reach of 100–300 mg.
    let (ok, out, err) = search("5000", "6000");
    assert!(!ok, "a dose was recommended: {out}");
    assert!(
        out.contains("no candidate reaches P(target) >= 0.5"),
        "{out}"
    );
    assert!(
        out.contains("candidate: "),
        "the best candidates are listed: {out}"
    );
    assert!(!out.contains("chosen:"), "{out}");
    assert!(err.contains("no dose to recommend"), "{err}");
    // The report says how the posterior was sampled, in words, with the ESS against its base.
    assert!(
        out.contains("posterior draws") && out.contains("effective sample size"),
        "{out}"
    );
    assert!(out.contains("of the 400 proposals"), "{out}");
    assert!(!out.contains("ImportanceSampling"), "{out}");
}

#[test]
fn the_old_spellings_of_the_dose_flags_still_work_with_a_warning() {
    let clinic = Clinic::new();
    let (ok, _, err) = clinic.forecast(&["--doses", "2", "--draws", "50"]);
    assert!(ok, "{err}");
    assert!(
        err.contains("deprecated") && err.contains("--dose-count"),
        "{err}"
    );
}

#[test]
fn a_twin_file_with_a_repeated_key_or_an_edited_posterior_is_refused() {
    let clinic = Clinic::new();
    assert!(
        clinic
            .observe(&clinic.data("d.csv", &[DOSE, LEVELS[0], LEVELS[1]]), &[])
            .0
    );
    let original = std::fs::read_to_string(&clinic.twin).expect("twin");
    let forecast = || clinic.forecast(&["--dose-count", "2", "--map"]);
    assert!(forecast().0, "the untouched twin loads");
    // A second "id" key: serde would keep the last in silence.
    std::fs::write(
        &clinic.twin,
        original.replacen(
            "\"id\": \"P-1\",",
            "\"id\": \"P-1\",\n  \"id\": \"P-2\",",
            1,
        ),
    )
    .expect("write");
    let (ok, _, err) = forecast();
    assert!(!ok);
    assert!(err.contains("`id` appears twice"), "{err}");
    // The posterior edited everywhere it is stored (the current one and the journal's last):
    // a replay of the journal does not give it.
    let value: serde_json::Value = serde_json::from_str(&original).expect("json");
    let eta = value["posterior"]["eta"][0].as_f64().expect("eta");
    let edited = original.replace(&format!("{eta}"), &format!("{}", eta + 0.5));
    assert_ne!(edited, original);
    std::fs::write(&clinic.twin, edited).expect("write");
    let (ok, _, err) = forecast();
    assert!(!ok);
    assert!(err.contains("replaying the journal"), "{err}");
}

/// A forecast plot shows the patient's own levels: owner-only, like the twin file.
#[cfg(unix)]
#[test]
fn a_forecast_plot_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let clinic = Clinic::new();
    assert!(
        clinic
            .observe(&clinic.data("d.csv", &[DOSE, LEVELS[0], LEVELS[1]]), &[])
            .0
    );
    let plot = clinic.dir.path().join("forecast.svg");
    let (ok, _, err) = clinic.forecast(&["--dose-count", "2", "--map", "--plot", s(&plot)]);
    assert!(ok, "{err}");
    let mode = std::fs::metadata(&plot).expect("plot").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

/// A forecast speaks in sentences with units, not in Rust's debug text.
#[test]
fn a_forecast_reports_its_metric_in_words_and_units() {
    let clinic = Clinic::new();
    assert!(
        clinic
            .observe(&clinic.data("d.csv", &[DOSE, LEVELS[0], LEVELS[1]]), &[])
            .0
    );
    let (ok, out, err) = clinic.forecast(&[
        "--dose-count",
        "4",
        "--outcome",
        "auc24",
        "--low",
        "100",
        "--high",
        "200",
        "--draws",
        "200",
    ]);
    assert!(ok, "{err}");
    for needle in [
        "probability that the auc24 of day 2 is within [100, 200] mg/L·h",
        "auc24 of day 2: median",
        "90% within",
        "effective sample size",
    ] {
        assert!(out.contains(needle), "expected `{needle}` in: {out}");
    }
    assert!(!out.contains("[0.05, 0.25"), "{out}");
}

/// Levels the model cannot explain (accepted past the outlier check) pull the posterior mode
/// dozens of prior standard deviations away: refused, the twin unchanged, unless --force.
#[test]
fn an_update_far_outside_the_prior_is_refused_unless_forced() {
    let clinic = Clinic::new();
    assert!(
        clinic
            .observe(&clinic.data("d.csv", &[DOSE, LEVELS[0]]), &[])
            .0
    );
    let far = clinic.data(
        "far.csv",
        &[DOSE, "P-1,12,500,0,0,0,2,79.6", "P-1,24,0.001,0,0,0,2,79.6"],
    );
    let (ok, _, err) = clinic.observe(&far, &["--accept-outlier"]);
    assert!(!ok, "the update was kept");
    for needle in [
        "far.csv",
        "prior standard deviations",
        "left as it was",
        "--force",
    ] {
        assert!(err.contains(needle), "expected `{needle}` in: {err}");
    }
    assert_eq!(clinic.journal_len(), 2);
    let (ok, _, err) = clinic.observe(&far, &["--accept-outlier", "--force"]);
    assert!(ok, "{err}");
    assert_eq!(clinic.journal_len(), 3);
}
