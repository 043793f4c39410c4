//! A catalogue of scenario mistakes: each must fail `twinsim validate` (and `twinsim run`) with
//! its own error, naming the file, the field and, where it can be found, the line.

use std::path::Path;

use twinsim_tests::{project_file, twinsim};

/// A valid scenario that every mistake below starts from.
const BASE: &str = r#"(
    name: "catalogue base",
    model: "iv_model.ron",
    population: "population.ron",
    twins_per_arm: 10,
    seed: 1,
    duration_h: 48.0,
    record_every_h: 1.0,
    arms: [
        (name: "fixed", regimen: (dose: Fixed(mg: 100.0), every_h: 12.0, doses: 4)),
        (
            name: "adjusted",
            regimen: (dose: Fixed(mg: 100.0), infusion_h: 1.0, every_h: 12.0, doses: 4),
            rules: [AfterEvent(outcome: "toxic", hold_doses: 1, reduce_by: 0.25)],
        ),
    ],
    visits: (every_h: 12.0),
    outcomes: [
        (name: "auc", output: "CP", unit: "mg/L", definition: Exposure(Auc(from: 0.0, to: 24.0))),
        (name: "toxic", output: "CP", definition: Threshold((level: 5.0, direction: Above, sustain: 0.0))),
    ],
    analysis: (comparisons: [(outcome: "auc", control: "fixed", treatment: "adjusted")]),
)
"#;

/// One mistake: the text to replace, its replacement, and what the error must say.
struct Mistake {
    what: &'static str,
    from: &'static str,
    to: &'static str,
    says: &'static [&'static str],
}

const CATALOGUE: &[Mistake] = &[
    Mistake {
        what: "unknown field",
        from: "seed: 1,",
        to: "seed: 1, colour: \"red\",",
        says: &["colour", ":6:"],
    },
    Mistake {
        what: "missing model file",
        from: "\"iv_model.ron\"",
        to: "\"no_such_model.ron\"",
        says: &["model", "does not exist", ":3:"],
    },
    Mistake {
        what: "missing population file",
        from: "\"population.ron\"",
        to: "\"nobody.ron\"",
        says: &["population", "does not exist"],
    },
    Mistake {
        what: "unit mismatch",
        from: "unit: \"mg/L\"",
        to: "unit: \"ug/L\"",
        says: &["outcomes[0].unit", "mg/L", "ug/L"],
    },
    Mistake {
        what: "arm with no doses",
        from: "every_h: 12.0, doses: 4)),",
        to: "every_h: 12.0, doses: 0)),",
        says: &["arms[0].regimen.doses", "at least one dose", ":10:"],
    },
    Mistake {
        what: "rule on a missing outcome",
        from: "outcome: \"toxic\", hold",
        to: "outcome: \"bleeding\", hold",
        says: &["arms[1].rules[0].outcome", "bleeding", ":14:"],
    },
    Mistake {
        what: "negative interval",
        from: "infusion_h: 1.0, every_h: 12.0",
        to: "infusion_h: 1.0, every_h: -12.0",
        says: &["arms[1].regimen.every_h", "> 0", ":13:"],
    },
    Mistake {
        what: "zero infusion time",
        from: "infusion_h: 1.0",
        to: "infusion_h: 0.0",
        says: &["arms[1].regimen.infusion_h"],
    },
    Mistake {
        what: "negative dose",
        from: "Fixed(mg: 100.0), every_h",
        to: "Fixed(mg: -100.0), every_h",
        says: &["arms[0].regimen.dose.mg", "mg"],
    },
    Mistake {
        what: "duplicate arm",
        from: "name: \"adjusted\"",
        to: "name: \"fixed\"",
        says: &["arms[1].name", "twice"],
    },
    Mistake {
        what: "no twins",
        from: "twins_per_arm: 10,",
        to: "twins_per_arm: 0,",
        says: &["twins_per_arm", ":5:"],
    },
    Mistake {
        what: "zero record interval",
        from: "record_every_h: 1.0,",
        to: "record_every_h: 0.0,",
        says: &["record_every_h", ":8:"],
    },
    Mistake {
        what: "outcome on a missing output",
        from: "(name: \"auc\", output: \"CP\"",
        to: "(name: \"auc\", output: \"INR\"",
        says: &["outcomes[0].output", "INR", ":19:"],
    },
    Mistake {
        what: "outcome window past the follow-up",
        from: "Auc(from: 0.0, to: 24.0)",
        to: "Auc(from: 0.0, to: 96.0)",
        says: &["outcomes[0].definition", "follow-up"],
    },
    Mistake {
        what: "rule triggered by a non-event outcome",
        from: "outcome: \"toxic\", hold",
        to: "outcome: \"auc\", hold",
        says: &["arms[1].rules[0].outcome", "threshold"],
    },
    Mistake {
        what: "comparison with a missing arm",
        from: "treatment: \"adjusted\"",
        to: "treatment: \"placebo\"",
        says: &["analysis.comparisons[0].treatment", "placebo"],
    },
    Mistake {
        what: "comparison of a missing outcome",
        from: "(outcome: \"auc\", control",
        to: "(outcome: \"AUC\", control",
        says: &["analysis.comparisons[0].outcome", "AUC"],
    },
    Mistake {
        what: "interim fraction out of range",
        from: "treatment: \"adjusted\")]",
        to: "treatment: \"adjusted\")], interim: (fraction: 1.5, futility_z: 0.0, efficacy_z: 3.0)",
        says: &["analysis.interim.fraction", "1.5"],
    },
    Mistake {
        what: "unknown compartment",
        from: "(dose: Fixed(mg: 100.0), every_h: 12.0",
        to: "(dose: Fixed(mg: 100.0), compartment: \"depot\", every_h: 12.0",
        says: &["arms[0].regimen.compartment", "depot"],
    },
    Mistake {
        what: "dose by phenotype of a gene not genotyped",
        from: "(dose: Fixed(mg: 100.0), every_h: 12.0",
        to: "(dose: ByPhenotype(gene: \"CYP2D6\", doses: {}, default: Fixed(mg: 50.0)), every_h: 12.0",
        says: &["arms[0].regimen.dose.gene", "CYP2D6"],
    },
    Mistake {
        what: "rule without visits",
        from: "visits: (every_h: 12.0),",
        to: "",
        says: &["arms[1].rules[0]", "visits"],
    },
    Mistake {
        what: "NaN dose",
        from: "Fixed(mg: 100.0), every_h",
        to: "Fixed(mg: NaN), every_h",
        says: &["mg", "NaN", ":10:"],
    },
    Mistake {
        what: "infinite follow-up",
        from: "duration_h: 48.0,",
        to: "duration_h: inf,",
        says: &["duration_h", "inf"],
    },
    Mistake {
        what: "follow-up beyond a thousand years",
        from: "duration_h: 48.0,",
        to: "duration_h: 1e8,",
        says: &["duration_h", "at most"],
    },
    Mistake {
        what: "absurd dose",
        from: "Fixed(mg: 100.0), every_h",
        to: "Fixed(mg: 1e12), every_h",
        says: &["arms[0].regimen.dose.mg", "at most"],
    },
    Mistake {
        what: "titration with min above max",
        from: "every_h: 12.0, doses: 4)),",
        to: "every_h: 12.0, doses: 4), rules: [Titrate(output: \"CP\", min_mg: 200.0, max_mg: 50.0, bands: [(below: 1e12, change: 0.0)])]),",
        says: &["arms[0].rules[0].min_mg", "above the largest"],
    },
    Mistake {
        what: "titration with a zero ceiling",
        from: "every_h: 12.0, doses: 4)),",
        to: "every_h: 12.0, doses: 4), rules: [Titrate(output: \"CP\", max_mg: 0.0, bands: [(below: 1e12, change: 0.0)])]),",
        says: &["arms[0].rules[0].max_mg", "0"],
    },
    Mistake {
        what: "target rule at a visit that does not exist",
        from: "every_h: 12.0, doses: 4)),",
        to: "every_h: 12.0, doses: 4), rules: [ToTarget(output: \"CP\", target: 1.0, at_visits: [99])]),",
        says: &["arms[0].rules[0].at_visits", "99"],
    },
    Mistake {
        what: "band cutting more than the whole dose",
        from: "every_h: 12.0, doses: 4)),",
        to: "every_h: 12.0, doses: 4), rules: [Titrate(output: \"CP\", bands: [(below: 1e12, change: -1.5)])]),",
        says: &["arms[0].rules[0].bands[0].change", "-1.5"],
    },
    Mistake {
        what: "bands out of order",
        from: "every_h: 12.0, doses: 4)),",
        to: "every_h: 12.0, doses: 4), rules: [Titrate(output: \"CP\", bands: [(below: 3.0, change: 0.1), (below: 2.0, change: 0.0)])]),",
        says: &["arms[0].rules[0].bands", "increasing"],
    },
    Mistake {
        what: "titration on a missing output",
        from: "every_h: 12.0, doses: 4)),",
        to: "every_h: 12.0, doses: 4), rules: [Titrate(output: \"INR\", bands: [(below: 1e12, change: 0.0)])]),",
        says: &["arms[0].rules[0].output", "INR"],
    },
    Mistake {
        what: "negative sustain time",
        from: "direction: Above, sustain: 0.0",
        to: "direction: Above, sustain: -1.0",
        says: &["outcomes[1].definition", "sustain"],
    },
    Mistake {
        what: "range with low above high",
        from: "definition: Exposure(Auc(from: 0.0, to: 24.0))",
        to: "definition: TargetAttainment((metric: Auc(from: 0.0, to: 24.0), low: 50.0, high: 10.0))",
        says: &["outcomes[0].definition", "low"],
    },
    Mistake {
        what: "phenotype name misspelt",
        from: "(dose: Fixed(mg: 100.0), every_h: 12.0",
        to: "(dose: ByPhenotype(gene: \"CYP2C19\", doses: {\"PoorMetaboliser\": Fixed(mg: 50.0)}, default: Fixed(mg: 100.0)), every_h: 12.0",
        says: &[
            "arms[0].regimen.dose.doses",
            "PoorMetaboliser",
            "PoorMetabolizer",
        ],
    },
    Mistake {
        what: "gene name misspelt",
        from: "(dose: Fixed(mg: 100.0), every_h: 12.0",
        to: "(dose: ByPhenotype(gene: \"CYP2C91\", doses: {}, default: Fixed(mg: 100.0)), every_h: 12.0",
        says: &["arms[0].regimen.dose.gene", "CYP2C91", "CYP2C19"],
    },
    Mistake {
        what: "arm name too long",
        from: "name: \"adjusted\"",
        to: "name: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
        says: &["arms[1].name", "100"],
    },
    Mistake {
        what: "arm name with a line break",
        from: "name: \"adjusted\"",
        to: "name: \"adj\\nusted\"",
        says: &["arms[1].name", "line"],
    },
    Mistake {
        what: "empty arm name",
        from: "name: \"adjusted\"",
        to: "name: \"\"",
        says: &["arms[1].name", "empty"],
    },
    // The missing comma is seen where the next field starts.
    Mistake {
        what: "malformed RON",
        from: "seed: 1,",
        to: "seed: 1",
        says: &["(syntax)", "comma", ":7:"],
    },
    Mistake {
        what: "wrong type",
        from: "seed: 1,",
        to: "seed: \"one\",",
        says: &["(syntax)", ":6:"],
    },
];

fn validate(dir: &Path, text: &str) -> (bool, String) {
    let path = dir.join("scenario.ron");
    std::fs::write(&path, text).expect("write the scenario");
    let out = twinsim()
        .arg("validate")
        .arg(&path)
        .output()
        .expect("twinsim runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A folder holding the test model and population beside the scenario under test.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for file in ["iv_model.ron", "population.ron"] {
        std::fs::copy(
            project_file(&format!("tests/scenarios/{file}")),
            dir.path().join(file),
        )
        .expect("copy");
    }
    dir
}

#[test]
fn the_base_scenario_is_valid() {
    let dir = workspace();
    let (ok, err) = validate(dir.path(), BASE);
    assert!(ok, "{err}");
}

#[test]
fn every_catalogued_mistake_gets_its_own_error() {
    assert!(CATALOGUE.len() >= 40);
    let dir = workspace();
    let mut messages = std::collections::BTreeSet::new();
    let mut wrong = Vec::new();
    for m in CATALOGUE {
        assert!(
            BASE.contains(m.from),
            "{}: the base has no `{}`",
            m.what,
            m.from
        );
        let text = BASE.replacen(m.from, m.to, 1);
        let (ok, err) = validate(dir.path(), &text);
        if ok {
            wrong.push(format!("{}: accepted", m.what));
            continue;
        }
        if !err.contains("scenario.ron") {
            wrong.push(format!(
                "{}: the error does not name the file: {err}",
                m.what
            ));
        }
        for needle in m.says {
            if !err.contains(needle) {
                wrong.push(format!("{}: expected `{needle}` in: {err}", m.what));
            }
        }
        messages.insert(err);
    }
    // Every wrong entry at once, so a changed message is fixed in one pass.
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(
        messages.len(),
        CATALOGUE.len(),
        "two mistakes gave the same message"
    );
}

/// Writes `scenario` into `dir` and runs it with outputs to `dir/out`.
fn run_in(dir: &Path, scenario: &str) -> (std::process::Output, std::path::PathBuf) {
    let path = dir.join("scenario.ron");
    std::fs::write(&path, scenario).expect("write");
    let out_dir = dir.join("out");
    let out = twinsim()
        .arg("run")
        .arg(&path)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .expect("twinsim runs");
    (out, out_dir)
}

#[test]
fn run_refuses_a_bad_scenario_and_writes_nothing() {
    let dir = workspace();
    let (out, out_dir) = run_in(dir.path(), &BASE.replacen("doses: 4)),", "doses: 0)),", 1));
    assert!(!out.status.success());
    assert!(
        !out_dir.exists(),
        "a failed validation must not create outputs"
    );
}

/// A model that is valid for the typical patient but not for some twins (here CL falls linearly
/// with age and is negative past 70 years, and the test population is 20 to 80): the run stops
/// at the first such twin with an error that names the replicate, arm, twin, what was being done
/// and the parameter, and leaves no outputs, finished or partial.
#[test]
fn a_twin_with_invalid_parameters_stops_the_run_and_is_named() {
    let dir = workspace();
    let model = std::fs::read_to_string(dir.path().join("iv_model.ron")).expect("model");
    let old_effects = r#"effects: [Power(covariate: "WT", reference: 70.0, exponent: 0.75)]"#;
    assert!(model.contains(old_effects), "the test model changed");
    std::fs::write(
        dir.path().join("iv_model.ron"),
        model.replace(
            old_effects,
            r#"effects: [Linear(covariate: "AGE", reference: 20.0, slope: -0.02)]"#,
        ),
    )
    .expect("write model");
    let (out, out_dir) = run_in(dir.path(), BASE);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "replicate 0",
        "arm `fixed`",
        "twin ",
        "building the model",
        "CL",
    ] {
        assert!(err.contains(needle), "expected `{needle}` in: {err}");
    }
    assert!(
        !out_dir.join("timecourse.csv").exists() && !out_dir.join("summary.json").exists(),
        "a failed run must not leave finished outputs"
    );
    // Nor a partial twins.csv (patient data): the run stopped with an error, not a kill.
    for entry in std::fs::read_dir(&out_dir).into_iter().flatten() {
        let name = entry.expect("entry").file_name();
        assert!(
            !name.to_string_lossy().ends_with(".partial"),
            "{name:?} left behind"
        );
    }
}
