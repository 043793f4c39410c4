//! The scenario library (`scenarios/`): every scenario reproduces its expected results
//! (`scenarios/expected/NAME.json`, checked with `twinsim check`), and each scenario's model
//! reproduces a number from its publication.

use std::collections::BTreeMap;
use std::path::Path;

use twins::model_file::{CovariateSource, ModelSpec};
use twinsim_tests::{project_file, succeed, twinsim};

/// Every scenario of the library, by file stem.
const SCENARIOS: &[&str] = &[
    "warfarin_pgx",
    "docetaxel_neutropenia",
    "vancomycin_mipd",
    "tacrolimus_cyp3a5",
    "phase1_escalation",
];

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

/// The IWPC algorithm (N Engl J Med 2009;360:753) orders weekly doses by genotype: each added
/// variant allele of CYP2C9 or VKORC1 lowers the dose (for a 65-year-old, 170 cm, 75 kg patient).
#[test]
fn iwpc_doses_follow_the_published_genotype_ordering() {
    use engine::dosing::{
        IwpcCyp2c9 as C, IwpcInputs, IwpcRace, IwpcVkorc1 as V, iwpc_weekly_dose_mg,
    };
    let base = IwpcInputs {
        age_years: 65.0,
        height_cm: 170.0,
        weight_kg: 75.0,
        vkorc1: V::GG,
        cyp2c9: C::Star1Star1,
        race: IwpcRace::White,
        enzyme_inducer: false,
        amiodarone: false,
    };
    let by_cyp = [
        C::Star1Star1,
        C::Star1Star2,
        C::Star1Star3,
        C::Star2Star2,
        C::Star2Star3,
        C::Star3Star3,
    ]
    .map(|cyp2c9| iwpc_weekly_dose_mg(&IwpcInputs { cyp2c9, ..base }));
    assert!(by_cyp.windows(2).all(|w| w[0] > w[1]), "{by_cyp:?}");
    let by_vkorc1 =
        [V::GG, V::AG, V::AA].map(|vkorc1| iwpc_weekly_dose_mg(&IwpcInputs { vkorc1, ..base }));
    assert!(by_vkorc1.windows(2).all(|w| w[0] > w[1]), "{by_vkorc1:?}");
    // √(weekly dose) = 5.6044 − 0.2614·6 + 0.0087·170 + 0.0128·75 = 6.4750 → 41.93 mg/week.
    assert!(
        (by_cyp[0] - 6.4750_f64.powi(2)).abs() < 1e-9,
        "{}",
        by_cyp[0]
    );
}

/// The daily racemic warfarin dose (mg) that brings the model's INR to 2.5 at day 60, by bisection.
fn warfarin_dose_for_inr(age: f64, cyp2c9: &'static str, vkorc1: &'static str) -> f64 {
    use pk_models::{Dose, Record, SolutionPath, simulate};
    let spec =
        ModelSpec::load(project_file("scenarios/models/warfarin_hamberg2007.ron")).expect("model");
    let p = Patient {
        numbers: BTreeMap::from([("AGE", age)]),
        diplotypes: BTreeMap::from([("CYP2C9", cyp2c9), ("VKORC1", vkorc1)]),
    };
    let params = spec
        .typical_values(&p, &BTreeMap::new())
        .expect("parameters");
    let model = spec.build(&params).expect("model");
    let inr_at_day_60 = |daily_mg: f64| {
        // The model's depot takes half the racemic dose (S-warfarin): F = 0.5 on the depot.
        let dose = Dose {
            inputs: pk_models::DoseInputs {
                bioavailability: 0.5,
                ..Default::default()
            },
            ..Dose::bolus(0, daily_mg)
        };
        let records = [
            Record::dose(0.0, dose.every(24.0, 59)),
            Record::observation(1440.0),
        ];
        let states = simulate(&model, &records, SolutionPath::Auto).expect("simulation");
        let mut out = Vec::new();
        spec.outputs_into(&model, 0.0, states.state(1), &mut out);
        out[1]
    };
    let (mut lo, mut hi) = (0.1_f64, 40.0_f64);
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        if inr_at_day_60(mid) < 2.5 {
            lo = mid
        } else {
            hi = mid
        }
    }
    0.5 * (lo + hi)
}

/// Hamberg 2007's model orders maintenance doses as the genotypes' effects imply: VKORC1 A alleles
/// (lower EC50) and CYP2C9 *3 alleles (lower clearance) need less warfarin, older patients need
/// less and younger ones more (clearance −0.91% per year of age, linear across all ages and
/// centred at 71: the effect does not stop at 71). As an independent check of size, the *1/*1 G/A
/// dose for a 65-year-old is within 35% of the IWPC algorithm's for a typical patient (4.5 mg/day
/// for 170 cm, 75 kg, white).
#[test]
fn warfarin_model_orders_doses_by_genotype_and_age() {
    let gg = warfarin_dose_for_inr(65.0, "*1/*1", "GG");
    let ga = warfarin_dose_for_inr(65.0, "*1/*1", "GA");
    let aa = warfarin_dose_for_inr(65.0, "*1/*1", "AA");
    assert!(gg > ga && ga > aa, "VKORC1: {gg} {ga} {aa}");
    let star13 = warfarin_dose_for_inr(65.0, "*1/*3", "GA");
    let star33 = warfarin_dose_for_inr(65.0, "*3/*3", "GA");
    assert!(
        ga > star13 && star13 > star33,
        "CYP2C9: {ga} {star13} {star33}"
    );
    let older = warfarin_dose_for_inr(85.0, "*1/*1", "GA");
    assert!(older < ga, "age: {older} vs {ga}");
    let younger = warfarin_dose_for_inr(45.0, "*1/*1", "GA");
    assert!(younger > ga, "age below 71: {younger} vs {ga}");
    let iwpc = engine::dosing::iwpc_weekly_dose_mg(&engine::dosing::IwpcInputs {
        age_years: 65.0,
        height_cm: 170.0,
        weight_kg: 75.0,
        vkorc1: engine::dosing::IwpcVkorc1::AG,
        cyp2c9: engine::dosing::IwpcCyp2c9::Star1Star1,
        race: engine::dosing::IwpcRace::White,
        enzyme_inducer: false,
        amiodarone: false,
    }) / 7.0;
    assert!(
        (ga / iwpc - 1.0).abs() < 0.35,
        "model {ga} mg/day vs IWPC {iwpc} mg/day"
    );
}

/// The README's main job gives clinically plausible INRs: the IWPC-dosed arm's median INR at
/// day 90 (steady state: S-warfarin's half-life is about two days and MTT2 five) lies in the
/// therapeutic range 2–3 that the IWPC algorithm targets (NEJM 2009;360:753).
#[test]
fn the_main_job_gives_an_iwpc_arm_a_median_steady_state_inr_in_range() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out_dir = dir.path().join("out");
    succeed(
        twinsim()
            .arg("run")
            .arg(project_file("scenarios/warfarin_pgx.ron"))
            .arg("--out")
            .arg(&out_dir),
    );
    let text = std::fs::read_to_string(out_dir.join("timecourse.csv")).expect("timecourse");
    let median = text
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0] == "IWPC algorithm" && f[1].parse::<f64>().ok() == Some(2160.0) && f[2] == "INR")
                .then(|| f[7].parse::<f64>().expect("p50"))
        })
        .expect("the IWPC arm's INR at 2160 h");
    assert!((2.0..=3.0).contains(&median), "median day-90 INR {median}");
}

/// Friberg 2002: with no drug the neutrophil count stays at Circ0 = 5.05 x10^9/L.
#[test]
fn docetaxel_model_keeps_the_baseline_without_drug() {
    use pk_models::{Record, SolutionPath, simulate};
    let spec =
        ModelSpec::load(project_file("scenarios/models/docetaxel_friberg2002.ron")).expect("model");
    let model = spec.build(&spec.typical_parameters()).expect("model");
    let records = [Record::observation(0.0), Record::observation(500.0)];
    let states = simulate(&model, &records, SolutionPath::Auto).expect("simulation");
    let mut out = Vec::new();
    spec.outputs_into(&model, 0.0, states.state(1), &mut out);
    assert!((out[1] - 5.05).abs() < 1e-9, "ANC {}", out[1]);
}
