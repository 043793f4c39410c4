//! The scenario library (`scenarios/`): every scenario reproduces its expected results
//! (`scenarios/expected/NAME.json`, checked with `twinsim check`), and each scenario's model
//! reproduces a number from its publication.

use std::collections::BTreeMap;
use std::path::Path;

use twins::model_file::{CovariateSource, ModelSpec};
use twinsim_tests::{project_file, twinsim};

/// Every scenario of the library, by file stem.
const SCENARIOS: &[&str] = &["tacrolimus_cyp3a5", "vancomycin_mipd", "phase1_escalation"];

#[test]
fn every_scenario_matches_its_expected_results() {
    let mut failures = Vec::new();
    for name in SCENARIOS {
        let out = twinsim()
            .arg("check")
            .arg(project_file(&format!("scenarios/{name}.ron")))
            .arg("--expected")
            .arg(project_file(&format!("scenarios/expected/{name}.json")))
            .output()
            .expect("twinsim runs");
        if !out.status.success() {
            failures.push(format!(
                "{name}:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_scenario_is_listed_in_the_readme_and_has_expected_results() {
    let readme =
        std::fs::read_to_string(project_file("scenarios/README.md")).expect("scenarios/README.md");
    for name in SCENARIOS {
        assert!(
            readme.contains(&format!("{name}.ron")),
            "{name} is not in scenarios/README.md"
        );
        assert!(Path::new(&project_file(&format!("scenarios/expected/{name}.json"))).is_file());
    }
}

/// A patient described by a few covariates, for evaluating a model's typical values.
struct Patient {
    numbers: BTreeMap<&'static str, f64>,
    diplotypes: BTreeMap<&'static str, &'static str>,
}

impl CovariateSource for Patient {
    fn numeric(&self, name: &str) -> Option<f64> {
        self.numbers.get(name).copied()
    }
    fn category(&self, _: &str) -> Option<String> {
        None
    }
    fn diplotype(&self, gene: &str) -> Option<twins::genotype::Diplotype> {
        let text = self.diplotypes.get(gene)?;
        twins::genotype::GeneCatalogue::shipped()
            .ok()?
            .parse_diplotype(gene, text)
            .ok()
    }
}

fn typical(model: &str, patient: &Patient) -> BTreeMap<String, f64> {
    let spec = ModelSpec::load(project_file(model)).expect("model file");
    spec.typical_values(patient, &BTreeMap::new())
        .expect("typical values")
}

/// Goti et al., Ther Drug Monit 2018;40:212: the steady-state volume without dialysis is
/// 1.4 L/kg ((58.4 + 38.4) L per 70 kg = 1.383 L/kg), whatever the weight.
#[test]
fn vancomycin_model_has_the_published_steady_state_volume_per_kg() {
    for weight in [50.0, 70.0, 110.0] {
        let p = Patient {
            numbers: BTreeMap::from([("WT", weight), ("CRCL", 120.0)]),
            diplotypes: BTreeMap::new(),
        };
        let tv = typical("scenarios/models/vancomycin_goti2018.ron", &p);
        let vss_per_kg = (tv["V1"] + tv["V2"]) / weight;
        assert!(
            (vss_per_kg - 1.4).abs() < 0.02,
            "{weight} kg: {vss_per_kg} L/kg"
        );
        assert!(
            (tv["CL"] - 4.5).abs() < 1e-12,
            "CL at the reference CrCL of 120 mL/min"
        );
    }
}

/// Br J Clin Pharmacol 2018;84:1748, Table 2: CYP3A5 expressers (*1/*1 and *1/*3) have 1.60
/// times the apparent clearance of non-expressers (*3/*3).
#[test]
fn tacrolimus_model_has_the_published_expresser_clearance_ratio() {
    let cl = |diplotype: &'static str| {
        let p = Patient {
            numbers: BTreeMap::from([("WT", 70.0)]),
            diplotypes: BTreeMap::from([("CYP3A5", diplotype)]),
        };
        typical("scenarios/models/tacrolimus_cyp3a5_2018.ron", &p)["CL"]
    };
    assert!((cl("*3/*3") - 30.9).abs() < 1e-12);
    assert!((cl("*1/*3") / cl("*3/*3") - 1.60).abs() < 1e-12);
    assert!((cl("*1/*1") / cl("*3/*3") - 1.60).abs() < 1e-12);
    assert!(
        (cl("*3/*6") / cl("*3/*3") - 1.0).abs() < 1e-12,
        "*6 is a no-function allele"
    );
}
