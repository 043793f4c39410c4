//! A catalogue of mistakes in the files a scenario names and in the files the other commands
//! read: model files, population files, NONMEM-format datasets, patient files and twin files.
//! Each must fail with its own error that names the file and says what was found and what was
//! expected. (Scenario files have their own catalogue in `bad_scenarios.rs`.)

use std::path::Path;

use twinsim_tests::{project_file, twinsim};

/// A scenario over the test model and population (read by `twinsim validate`).
const SCENARIO: &str = r#"(
    name: "inputs base",
    model: "iv_model.ron",
    population: "population.ron",
    twins_per_arm: 4,
    seed: 1,
    duration_h: 24.0,
    record_every_h: 1.0,
    arms: [(name: "fixed", regimen: (dose: Fixed(mg: 100.0), every_h: 12.0, doses: 2))],
)
"#;

/// A valid dataset for the test model: two IDs, an IV bolus each, levels (CMT 1 = central).
const DATASET: &str = "\
ID,TIME,AMT,EVID,MDV,DV,CMT,II,ADDL,WT
1,0,100,1,1,.,1,12,1,70
1,1,0,0,0,1.5,1,.,.,70
1,12,0,0,0,0.8,1,.,.,72
2,0,100,1,1,.,1,.,.,80
2,2,0,0,0,1.2,1,.,.,80
";

/// A valid patient file for the test model.
const PATIENT: &str =
    r#"(id: "P-1", numeric: {"WT": 70.0}, categories: {}, genotypes: {"CYP2C19": "*1/*2"})"#;

/// Which file a mistake is made in, and so which command reads it.
#[derive(Clone, Copy, Debug)]
enum In {
    /// `iv_model.ron`, read by `twinsim validate scenario.ron`.
    Model,
    /// `population.ron`, read by `twinsim validate scenario.ron`.
    Population,
    /// `data.csv`, read by `twinsim simulate`.
    Dataset,
    /// `patient.ron`, read by `twinsim twin new`.
    Patient,
    /// `twin.json` (made by `twin new` from the valid patient), read by `twinsim twin forecast`.
    Twin,
}

impl In {
    fn file(self) -> &'static str {
        match self {
            In::Model => "iv_model.ron",
            In::Population => "population.ron",
            In::Dataset => "data.csv",
            In::Patient => "patient.ron",
            In::Twin => "twin.json",
        }
    }
}

/// One mistake: the file, the text to replace, its replacement, and what the error must say.
struct Mistake {
    what: &'static str,
    file: In,
    from: &'static str,
    to: &'static str,
    says: &'static [&'static str],
}

const CATALOGUE: &[Mistake] = &[
    // ---- model files
    Mistake {
        what: "duplicate output name",
        file: In::Model,
        from: r#"outputs: [(name: "CP", compartment: "central", unit: "mg/L")]"#,
        to: r#"outputs: [(name: "CP", compartment: "central", unit: "mg/L"), (name: "CP", compartment: "central", unit: "mg/L")]"#,
        says: &["CP", "twice"],
    },
    Mistake {
        what: "NaN typical value",
        file: In::Model,
        from: "(value: 5.0,",
        to: "(value: NaN,",
        says: &["NaN", ":8:"],
    },
    Mistake {
        what: "negative clearance",
        file: In::Model,
        from: "(value: 5.0,",
        to: "(value: -5.0,",
        says: &["CL", "-5"],
    },
    Mistake {
        what: "rate constant beyond what the numerics take",
        file: In::Model,
        from: "(value: 5.0,",
        to: "(value: 1e42,",
        says: &["CL", "rate constant", "1/h"],
    },
    Mistake {
        what: "phenotype name misspelt in an effect",
        file: In::Model,
        from: r#"effects: [Power(covariate: "WT", reference: 70.0, exponent: 0.75)]"#,
        to: r#"effects: [Power(covariate: "WT", reference: 70.0, exponent: 0.75), Phenotype(gene: "CYP2C19", factors: {"PoorMetaboliser": 0.5})]"#,
        says: &["PoorMetaboliser", "PoorMetabolizer"],
    },
    Mistake {
        what: "gene name misspelt in an effect",
        file: In::Model,
        from: r#"effects: [Power(covariate: "WT", reference: 70.0, exponent: 0.75)]"#,
        to: r#"effects: [Power(covariate: "WT", reference: 70.0, exponent: 0.75), Phenotype(gene: "CYP2C91", factors: {"PoorMetabolizer": 0.5})]"#,
        says: &["CYP2C91", "did you mean `CYP2C9"],
    },
    Mistake {
        what: "default for a covariate the model does not read",
        file: In::Model,
        from: "    residual:",
        to: "    covariates: (defaults: {\"CRCL\": 100.0}),\n    residual:",
        says: &["CRCL", "default", ":13:"],
    },
    Mistake {
        what: "omega not positive definite",
        file: In::Model,
        from: "omega: [[0.09, 0.0], [0.0, 0.09]]",
        to: "omega: [[0.09, 0.5], [0.5, 0.09]]",
        says: &["omega", "positive"],
    },
    Mistake {
        what: "random effect on a parameter the model lacks",
        file: In::Model,
        from: "parameters: [(name: \"CL\"), (name: \"V\")]",
        to: "parameters: [(name: \"CL\"), (name: \"KA\")]",
        says: &["KA"],
    },
    Mistake {
        what: "output of a compartment the model lacks",
        file: In::Model,
        from: "compartment: \"central\"",
        to: "compartment: \"depot\"",
        says: &["depot"],
    },
    Mistake {
        what: "residual error for an output the model lacks",
        file: In::Model,
        from: "residual: {\"CP\":",
        to: "residual: {\"CC\":",
        says: &["CC"],
    },
    Mistake {
        what: "negative residual CV",
        file: In::Model,
        from: "Proportional(cv: 0.1)",
        to: "Proportional(cv: -0.1)",
        says: &["cv", "-0.1"],
    },
    Mistake {
        what: "output name too long",
        file: In::Model,
        from: r#"outputs: [(name: "CP","#,
        to: r#"outputs: [(name: "CPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCPCP","#,
        says: &["CPCPCPCP", "at most 100"],
    },
    Mistake {
        what: "unknown field in a model",
        file: In::Model,
        from: "    residual:",
        to: "    colour: \"red\",\n    residual:",
        says: &["colour", ":13:"],
    },
    // ---- population files
    Mistake {
        what: "population lacking a covariate the model reads",
        file: In::Population,
        from: "        WT: LogNormal(median: 70.0, sd_log: 0.2),\n",
        to: "",
        says: &["WT", "population"],
    },
    Mistake {
        what: "NaN in a population distribution",
        file: In::Population,
        from: "median: 70.0",
        to: "median: NaN",
        says: &["NaN", ":4:"],
    },
    Mistake {
        what: "uniform range with min above max",
        file: In::Population,
        from: "Uniform(min: 20.0, max: 80.0)",
        to: "Uniform(min: 80.0, max: 20.0)",
        says: &["AGE", "min"],
    },
    Mistake {
        what: "negative spread",
        file: In::Population,
        from: "sd_log: 0.2",
        to: "sd_log: -0.2",
        says: &["WT", "sd_log"],
    },
    Mistake {
        what: "gene name misspelt in a population",
        file: In::Population,
        from: "genes: [\"CYP2C19\"]",
        to: "genes: [\"CYP2C91\"]",
        says: &["CYP2C91", "did you mean `CYP2C9"],
    },
    Mistake {
        what: "unknown ancestry group",
        file: In::Population,
        from: "European: 0.6",
        to: "Europe: 0.6",
        says: &["Europe"],
    },
    // ---- datasets
    Mistake {
        what: "duplicate column",
        file: In::Dataset,
        from: "ADDL,WT\n",
        to: "ADDL,Time\n",
        says: &["`Time`", "repeats `TIME`", ":1:"],
    },
    Mistake {
        what: "observation row with a blank DV",
        file: In::Dataset,
        from: "1,1,0,0,0,1.5,",
        to: "1,1,0,0,0,.,",
        says: &["data.csv:3:", "DV"],
    },
    Mistake {
        what: "empty dataset",
        file: In::Dataset,
        from: "1,0,100,1,1,.,1,12,1,70\n1,1,0,0,0,1.5,1,.,.,70\n1,12,0,0,0,0.8,1,.,.,72\n2,0,100,1,1,.,1,.,.,80\n2,2,0,0,0,1.2,1,.,.,80\n",
        to: "",
        says: &["no data rows"],
    },
    Mistake {
        what: "records out of time order within an ID",
        file: In::Dataset,
        from: "1,12,0,0,0,0.8,",
        to: "1,0.5,0,0,0,0.8,",
        says: &["data.csv:4:", "TIME", "time order"],
    },
    Mistake {
        what: "text in a numeric covariate column",
        file: In::Dataset,
        from: ",.,.,72\n",
        to: ",.,.,heavy\n",
        says: &["data.csv:4:", "WT", "heavy"],
    },
    Mistake {
        what: "ADDL beyond what a dataset can mean",
        file: In::Dataset,
        from: "1,0,100,1,1,.,1,12,1,70",
        to: "1,0,100,1,1,.,1,12,10000000000,70",
        says: &["data.csv:2:", "ADDL", "at most"],
    },
    Mistake {
        what: "time beyond a thousand years",
        file: In::Dataset,
        from: "1,12,0,0,0,0.8,",
        to: "1,1e300,0,0,0,0.8,",
        says: &["data.csv:4:", "TIME", "10,000,000 h"],
    },
    Mistake {
        what: "an ID that reappears after another",
        file: In::Dataset,
        from: "2,2,0,0,0,1.2,",
        to: "1,2,0,0,0,1.2,",
        says: &["data.csv:6:", "ID 1", "starts again"],
    },
    Mistake {
        what: "NaN amount",
        file: In::Dataset,
        from: "1,0,100,1,1,",
        to: "1,0,NaN,1,1,",
        says: &["data.csv:2:", "AMT", "NaN"],
    },
    Mistake {
        what: "negative amount",
        file: In::Dataset,
        from: "2,0,100,1,1,",
        to: "2,0,-100,1,1,",
        says: &["data.csv:5:", "AMT", "-100"],
    },
    Mistake {
        what: "missing TIME column",
        file: In::Dataset,
        from: "ID,TIME,",
        to: "ID,TIME_H,",
        says: &["TIME"],
    },
    Mistake {
        what: "dose into a compartment the model lacks",
        file: In::Dataset,
        from: "2,0,100,1,1,.,1,",
        to: "2,0,100,1,1,.,5,",
        says: &["data.csv:5:", "CMT 5"],
    },
    Mistake {
        what: "additional doses without an interval",
        file: In::Dataset,
        from: "1,0,100,1,1,.,1,12,1,70",
        to: "1,0,100,1,1,.,1,0,1,70",
        says: &["ID 1", "II", "ADDL"],
    },
    Mistake {
        what: "ID name too long",
        file: In::Dataset,
        from: "2,0,100,1,1,",
        to: "2222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222222,0,100,1,1,",
        says: &["data.csv:5:", "ID", "at most 100"],
    },
    // ---- patient files
    Mistake {
        what: "unknown allele",
        file: In::Patient,
        from: "\"*1/*2\"",
        to: "\"*1/*99\"",
        says: &["CYP2C19", "*99"],
    },
    Mistake {
        what: "gene name misspelt in a patient",
        file: In::Patient,
        from: "{\"CYP2C19\":",
        to: "{\"CYP2C91\":",
        says: &["CYP2C91", "did you mean `CYP2C9"],
    },
    Mistake {
        what: "NaN weight",
        file: In::Patient,
        from: "\"WT\": 70.0",
        to: "\"WT\": NaN",
        says: &["WT", "NaN"],
    },
    Mistake {
        what: "patient lacking a covariate the model reads",
        file: In::Patient,
        from: "{\"WT\": 70.0}",
        to: "{}",
        says: &["WT", "not defined"],
    },
    // ---- twin files
    Mistake {
        what: "twin file from a newer build",
        file: In::Twin,
        from: "\"format_version\": 1",
        to: "\"format_version\": 7",
        says: &["format_version 7", "reads 1"],
    },
    Mistake {
        what: "unknown field in a twin file",
        file: In::Twin,
        from: "\"format_version\": 1,",
        to: "\"format_version\": 1, \"colour\": 1,",
        says: &["colour"],
    },
    Mistake {
        what: "truncated twin file",
        file: In::Twin,
        from: "\"journal\"",
        to: "",
        says: &["JSON", "line"],
    },
    Mistake {
        what: "unknown allele in a twin file",
        file: In::Twin,
        from: "\"*1/*2\"",
        to: "\"*1/*99\"",
        says: &["CYP2C19", "*99"],
    },
    Mistake {
        what: "twin made with another model",
        file: In::Twin,
        from: "\"sha256\": \"",
        to: "\"sha256\": \"0",
        says: &["SHA-256", "iv_model.ron"],
    },
    Mistake {
        what: "journal out of sequence",
        file: In::Twin,
        from: "\"sequence\": 0",
        to: "\"sequence\": 3",
        says: &["journal", "sequence 3"],
    },
];

/// A folder with the valid model, population, scenario, dataset, patient and twin.
fn workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for file in ["iv_model.ron", "population.ron"] {
        std::fs::copy(
            project_file(&format!("tests/scenarios/{file}")),
            dir.path().join(file),
        )
        .expect("copy");
    }
    std::fs::write(dir.path().join("scenario.ron"), SCENARIO).expect("write");
    std::fs::write(dir.path().join("data.csv"), DATASET).expect("write");
    std::fs::write(dir.path().join("patient.ron"), PATIENT).expect("write");
    let (ok, err) = run(dir.path(), In::Patient);
    assert!(ok, "the valid patient is refused: {err}");
    dir
}

/// Runs the command that reads `file`'s kind in `dir`: (success, stderr).
fn run(dir: &Path, file: In) -> (bool, String) {
    let mut cmd = twinsim();
    cmd.current_dir(dir);
    match file {
        In::Model | In::Population => cmd.args(["validate", "scenario.ron"]),
        In::Dataset => cmd.args([
            "simulate",
            "--model",
            "iv_model.ron",
            "--data",
            "data.csv",
            "--out",
            "predictions.csv",
        ]),
        In::Patient => cmd.args([
            "twin",
            "new",
            "--model",
            "iv_model.ron",
            "--patient",
            "patient.ron",
            "--out",
            "twin.json",
        ]),
        In::Twin => cmd.args([
            "twin",
            "forecast",
            "twin.json",
            "--dose",
            "100",
            "--every",
            "12",
            "--dose-count",
            "2",
            "--draws",
            "20",
        ]),
    };
    let out = cmd.output().expect("twinsim runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_base_inputs_are_valid() {
    let dir = workspace();
    for file in [In::Model, In::Dataset, In::Twin] {
        let (ok, err) = run(dir.path(), file);
        assert!(ok, "{file:?}: {err}");
    }
}

#[test]
fn every_catalogued_input_mistake_gets_its_own_error() {
    assert!(CATALOGUE.len() >= 40);
    let mut messages = std::collections::BTreeSet::new();
    let mut wrong = Vec::new();
    for m in CATALOGUE {
        let dir = workspace();
        let path = dir.path().join(m.file.file());
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.contains(m.from),
            "{}: {} has no `{}`",
            m.what,
            m.file.file(),
            m.from
        );
        std::fs::write(&path, text.replacen(m.from, m.to, 1)).expect("write");
        let (ok, err) = run(dir.path(), m.file);
        if ok {
            wrong.push(format!("{}: accepted", m.what));
            continue;
        }
        if !err.contains(m.file.file()) {
            wrong.push(format!(
                "{}: the error does not name {}: {err}",
                m.what,
                m.file.file()
            ));
        }
        for needle in m.says {
            if !err.contains(needle) {
                wrong.push(format!("{}: expected `{needle}` in: {err}", m.what));
            }
        }
        // The temporary folder's name differs per mistake: compare the messages without it.
        messages.insert(err.replace(&*dir.path().to_string_lossy(), "DIR"));
    }
    // Every wrong entry at once, so a changed message is fixed in one pass.
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(
        messages.len(),
        CATALOGUE.len(),
        "two mistakes gave the same message"
    );
}

/// The issue's own example: `"Expressor"` for `"Expresser"` in the shipped tacrolimus model once
/// removed the CYP3A5 effect in silence (the guided arm then equalled the standard one).
#[test]
fn a_misspelt_cyp3a5_phenotype_in_the_shipped_model_is_refused_with_a_suggestion() {
    let dir = tempfile::tempdir().expect("temp dir");
    for sub in ["models", "populations"] {
        std::fs::create_dir(dir.path().join(sub)).expect("mkdir");
    }
    for file in [
        "tacrolimus_cyp3a5.ron",
        "models/tacrolimus_cyp3a5_2018.ron",
        "populations/kidney_transplant_adults.ron",
    ] {
        std::fs::copy(
            project_file(&format!("scenarios/{file}")),
            dir.path().join(file),
        )
        .expect("copy");
    }
    let model = dir.path().join("models/tacrolimus_cyp3a5_2018.ron");
    let text = std::fs::read_to_string(&model).expect("read");
    assert!(
        text.contains(r#"{"Expresser": 1.60}"#),
        "the shipped model changed"
    );
    std::fs::write(
        &model,
        text.replace(r#"{"Expresser": 1.60}"#, r#"{"Expressor": 1.60}"#),
    )
    .expect("write");
    let out = twinsim()
        .current_dir(dir.path())
        .args(["validate", "tacrolimus_cyp3a5.ron"])
        .output()
        .expect("twinsim runs");
    assert!(!out.status.success(), "the misspelt phenotype was accepted");
    let err = String::from_utf8_lossy(&out.stderr);
    for needle in [
        "tacrolimus_cyp3a5_2018.ron",
        "Expressor",
        "did you mean `Expresser`",
    ] {
        assert!(err.contains(needle), "expected `{needle}` in: {err}");
    }
}

/// A covariate the population does not give is an error (above) unless the model file declares
/// a default for it; a declared default is used, and said so on every run.
#[test]
fn a_declared_covariate_default_is_used_and_announced() {
    let dir = workspace();
    let population = dir.path().join("population.ron");
    let text = std::fs::read_to_string(&population).expect("read");
    std::fs::write(
        &population,
        text.replace("        WT: LogNormal(median: 70.0, sd_log: 0.2),\n", ""),
    )
    .expect("write");
    let model = dir.path().join("iv_model.ron");
    let text = std::fs::read_to_string(&model).expect("read");
    std::fs::write(
        &model,
        text.replace(
            "    residual:",
            "    covariates: (defaults: {\"WT\": 80.0}),\n    residual:",
        ),
    )
    .expect("write");
    let (ok, err) = run(dir.path(), In::Model);
    assert!(ok, "a declared default was refused: {err}");
    for needle in ["note:", "scenario.ron", "WT", "80"] {
        assert!(err.contains(needle), "expected `{needle}` in: {err}");
    }
}

/// An error names the field at fault and never echoes the rest of a file it could not parse:
/// patient data in other fields stays out of the message.
#[test]
fn errors_do_not_echo_other_fields_of_a_patient_file() {
    let dir = workspace();
    let patient = dir.path().join("patient.ron");
    std::fs::write(
        &patient,
        r#"(id: "P-1", numeric: {"WT": 70.0}, categories: {"NOTE": "SECRET-DIAGNOSIS"}, genotypes: {"CYP2C19": "*1/*2"}, diagnosis: "SECRET-TEXT")"#,
    )
    .expect("write");
    let (ok, err) = run(dir.path(), In::Patient);
    assert!(!ok);
    assert!(err.contains("diagnosis"), "the field is named: {err}");
    assert!(!err.contains("SECRET"), "other contents echoed: {err}");
    let data = dir.path().join("data.csv");
    std::fs::write(
        &data,
        "ID,TIME,AMT,EVID,MDV,DV,CMT,II,ADDL,WT,NOTE\n1,0,100,1,1,.,1,.,.,70,SECRET-NOTE\n1,1,0,0,0,1.5,1,.,.,70,SECRET-NOTE,EXTRA\n",
    )
    .expect("write");
    let (ok, err) = run(dir.path(), In::Dataset);
    assert!(!ok);
    assert!(!err.contains("SECRET"), "row contents echoed: {err}");
}
