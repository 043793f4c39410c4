//! Models written as equations: the five shipped models rewritten as equations give the built-in
//! models' trajectories, and models no built-in structure covers match independent solutions
//! (closed forms, or a plain fixed-step Runge–Kutta written here as a second solver).

use std::path::Path;
use std::sync::Arc;

use engine::cohort::{WorldSpec, run_world};
use engine::scenario::{Overrides, Scenario};
use pk_models::{Dose, Model, Record, SolutionPath, simulate};
use twins::model_file::{BuiltModel, ModelSpec};
use twinsim_tests::{POPULATION, project_file};

/// The built-in and the equations model differ in the order of a few additions (`(CL + Q)/V1`
/// against `CL/V1 + Q/V1`), which the ODE solver's step control carries on: 1e-8 relative,
/// with the solver's tolerance well below it (see [`recorded`]).
const SAME_MODEL: f64 = 1e-8;

/// The shipped models, by file name, with a regimen of their route.
const SHIPPED: [(&str, &str); 5] = [
    (
        "phase1_oral_1cmt",
        "(dose: Fixed(mg: 100.0), every_h: 24.0, doses: 4)",
    ),
    (
        "tacrolimus_cyp3a5_2018",
        "(dose: Fixed(mg: 5.0), every_h: 12.0, doses: 8)",
    ),
    (
        "vancomycin_goti2018",
        "(dose: Fixed(mg: 1000.0), infusion_h: 1.0, every_h: 12.0, doses: 8)",
    ),
    (
        "warfarin_hamberg2007",
        "(dose: Fixed(mg: 5.0), every_h: 24.0, doses: 14)",
    ),
    (
        "docetaxel_friberg2002",
        "(dose: Fixed(mg: 180.0), infusion_h: 1.0, every_h: 504.0, doses: 1)",
    ),
];

/// The recorded outputs of 8 twins of `model` on `regimen`, with random effects.
fn recorded(model: &Path, regimen: &str, dir: &Path) -> (Vec<Vec<f64>>, Vec<String>) {
    let scenario = format!(
        r#"(
    name: "equations against built-in",
    model: "{}",
    population: "{}",
    twins_per_arm: 8,
    seed: 7,
    duration_h: 504.0,
    record_every_h: 6.0,
    arms: [(name: "arm", regimen: {regimen})],
    // Tight enough that two roundings of one model agree to 1e-8 on an INR of
    // 1 + 20·(1 − A6·A7)^3.61, which magnifies a difference in the chains' states (at the
    // default 1e-8 the step controller's choices, moved by one ulp, differ by 3e-8 in INR;
    // at 1e-10 ode_solvers reports the warfarin model stiff).
    solver: (rtol: 1e-9, atol: 1e-11),
)"#,
        model.display(),
        dir.join("population.ron").display()
    );
    let path = dir.join("scenario.ron");
    std::fs::write(&path, scenario).expect("scenario");
    let scenario = Arc::new(Scenario::load(&path, Overrides::default()).expect("scenario loads"));
    let twins = run_world(&WorldSpec {
        scenario: scenario.clone(),
        arm: 0,
        replicate: 0,
        first_twin: 0,
        n_twins: 8,
        regimen: scenario.arms[0].regimen.clone(),
        stream_cohort: 0,
    })
    .unwrap_or_else(|e| panic!("{}: {e:?}", model.display()));
    (
        twins.into_iter().map(|t| t.recorded).collect(),
        scenario.output_names.clone(),
    )
}

#[test]
fn the_shipped_models_written_as_equations_give_the_built_in_trajectories() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("population.ron"), POPULATION).expect("population");
    for (name, regimen) in SHIPPED {
        let built_in = project_file(&format!("scenarios/models/{name}.ron"));
        let written = project_file(&format!("scenarios/models/equations/{name}.ron"));
        let (a, outputs) = recorded(&built_in, regimen, dir.path());
        let (b, outputs_b) = recorded(&written, regimen, dir.path());
        assert_eq!(outputs, outputs_b, "{name}: the same output columns");
        assert_eq!(a.len(), b.len());
        let mut moved = false;
        for (twin, (x, y)) in a.iter().zip(&b).enumerate() {
            assert_eq!(x.len(), y.len());
            for (k, (p, q)) in x.iter().zip(y).enumerate() {
                let scale = p.abs().max(q.abs()).max(1e-300);
                assert!(
                    (p - q).abs() <= SAME_MODEL * scale,
                    "{name}: twin {twin} value {k} ({}): built-in {p}, equations {q}",
                    outputs[k % outputs.len()]
                );
                moved |= *p != x[k % outputs.len()];
            }
        }
        assert!(moved, "{name}: the trajectories must change over time");
    }
}

#[test]
fn linear_equations_take_the_exact_path_and_a_linear_pk_prefix_is_found() {
    let load = |name: &str| {
        let spec = ModelSpec::load(project_file(&format!(
            "scenarios/models/equations/{name}.ron"
        )))
        .expect("model");
        let mut values = spec.typical_parameters();
        for (c, v) in spec.covariate_defaults() {
            values.insert(c.clone(), *v);
        }
        for c in spec.numeric_covariate_names() {
            values.entry(c.to_owned()).or_insert(70.0);
        }
        spec.build(&values).expect("build")
    };
    for name in ["phase1_oral_1cmt", "vancomycin_goti2018"] {
        let model = load(name);
        assert!(matches!(model, BuiltModel::Equations(_)));
        assert!(model.linear_system().is_some(), "{name} is linear");
    }
    // Warfarin: the PK (depot, central, peripheral) is linear on its own, the INR chains not.
    let warfarin = load("warfarin_hamberg2007");
    assert!(warfarin.linear_system().is_none());
    assert_eq!(warfarin.linear_subsystem().map(|s| s.dim()), Some(3));
}

/// Builds the model text at its typical values.
fn model(text: &str) -> (ModelSpec, BuiltModel) {
    let spec = ModelSpec::parse(text, Path::new("test.ron")).expect("model parses");
    let built = spec.build(&spec.typical_parameters()).expect("builds");
    (spec, built)
}

/// Outputs at each observation of `records`.
fn outputs(spec: &ModelSpec, model: &BuiltModel, records: &[Record]) -> Vec<Vec<f64>> {
    let states = simulate(model, records, SolutionPath::Auto).expect("simulates");
    let mut out = Vec::new();
    records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            spec.outputs_into(model, r.time, states.state(i), &mut out);
            out.clone()
        })
        .collect()
}

/// Tumour growth with drug kill that wanes in time (a model of the Claret/Stein kind):
/// `dTS/dt = KG·TS − KD·exp(−λt)·C·TS`, `C = D/V·exp(−k·t)` after a bolus, so that
/// `ln TS(t) = ln TS0 + KG·t − KD·(D/V)·(1 − exp(−(λ + k)·t))/(λ + k)`: a closed form.
#[test]
fn tumour_growth_with_decaying_kill_matches_its_closed_form() {
    let text = r##"(
        name: "tumour growth",
        parameters: {
            "KG": (value: 0.004, unit: "1/h"), "KD": (value: 0.01, unit: "1/(h·mg/L)"),
            "LAMBDA": (value: 0.01, unit: "1/h"), "TS0": (value: 70.0, unit: "mm"),
            "CL": (value: 1.0, unit: "L/h"), "V": (value: 10.0, unit: "L"),
        },
        equations: (
            states: ["central", "tumour"],
            code: r#"
                C = central / V
                d/dt(central) = -CL / V * central
                d/dt(tumour) = KG * tumour - KD * exp(-LAMBDA * t) * C * tumour
                tumour(0) = TS0
            "#,
        ),
        outputs: [(name: "TS", expression: "tumour", unit: "mm")],
    )"##;
    let (spec, built) = model(text);
    let dose = 200.0;
    let mut records = vec![Record::dose(0.0, Dose::bolus(0, dose))];
    records.extend((1..=40).map(|i| Record::observation(f64::from(i) * 24.0)));
    let got = outputs(&spec, &built, &records);
    let (kg, kd, lambda, ts0, k, v) = (0.004, 0.01, 0.01, 70.0, 0.1, 10.0);
    for (r, y) in records.iter().zip(&got).skip(1) {
        let t = r.time;
        let want =
            ts0 * (kg * t - kd * dose / v * (1.0 - (-(lambda + k) * t).exp()) / (lambda + k)).exp();
        // The ODE solver's default tolerance (rtol 1e-6) bounds the error.
        assert!(
            (y[0] - want).abs() <= 1e-5 * want,
            "TS at {t} h: {} against {want}",
            y[0]
        );
    }
}

/// A parent and its metabolite, both one-compartment: a fraction FM of the parent's clearance
/// forms the metabolite. After a bolus D, `Am(t) = FM·k·D/(km − k)·(exp(−k·t) − exp(−km·t))`
/// (Bateman), and the model is linear, so it is solved exactly.
#[test]
fn a_parent_metabolite_pair_matches_the_bateman_function_exactly() {
    let text = r##"(
        name: "parent and metabolite",
        parameters: {
            "CLP": (value: 5.0, unit: "L/h"), "VP": (value: 50.0, unit: "L"),
            "CLM": (value: 2.0, unit: "L/h"), "VM": (value: 40.0, unit: "L"),
            "FM": (value: 0.6, unit: "1"),
        },
        equations: (
            states: ["parent", "metabolite"],
            code: r#"
                K = CLP / VP; KM = CLM / VM
                d/dt(parent) = -K * parent
                d/dt(metabolite) = FM * K * parent - KM * metabolite
            "#,
        ),
        outputs: [
            (name: "CPAR", expression: "parent / VP", unit: "mg/L"),
            (name: "CMET", expression: "metabolite / VM", unit: "mg/L"),
        ],
    )"##;
    let (spec, built) = model(text);
    assert!(built.linear_system().is_some());
    let mut records = vec![Record::dose(0.0, Dose::bolus(0, 100.0))];
    records.extend((1..=48).map(|i| Record::observation(f64::from(i))));
    let got = outputs(&spec, &built, &records);
    let (k, km, fm) = (0.1, 0.05, 0.6);
    for (r, y) in records.iter().zip(&got).skip(1) {
        let t = r.time;
        let am = fm * k * 100.0 / (km - k) * ((-k * t).exp() - (-km * t).exp());
        assert!(
            (y[0] - 2.0 * (-k * t).exp()).abs() <= 1e-12,
            "parent at {t} h"
        );
        assert!(
            (y[1] - am / 40.0).abs() <= 1e-12,
            "metabolite at {t} h: {} vs {}",
            y[1],
            am / 40.0
        );
    }
}

/// A fixed-step classical Runge–Kutta on the model's right-hand side: a second solver, written
/// plainly, for models with no closed form.
fn rk4(model: &impl Model, x: &mut [f64], from: f64, to: f64, steps: usize) {
    let n = x.len();
    let h = (to - from) / steps as f64;
    let zero = vec![0.0; n];
    // Stages at the end see the time just before it (a switch at `to` starts after it).
    let last = to.next_down();
    let (mut k1, mut k2, mut k3, mut k4, mut y) = (
        vec![0.0; n],
        vec![0.0; n],
        vec![0.0; n],
        vec![0.0; n],
        vec![0.0; n],
    );
    for s in 0..steps {
        let t = from + h * s as f64;
        model.rhs(t.min(last), x, &zero, &mut k1);
        for i in 0..n {
            y[i] = x[i] + 0.5 * h * k1[i];
        }
        model.rhs((t + 0.5 * h).min(last), &y, &zero, &mut k2);
        for i in 0..n {
            y[i] = x[i] + 0.5 * h * k2[i];
        }
        model.rhs((t + 0.5 * h).min(last), &y, &zero, &mut k3);
        for i in 0..n {
            y[i] = x[i] + h * k3[i];
        }
        model.rhs((t + h).min(last), &y, &zero, &mut k4);
        for i in 0..n {
            x[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
    }
}

/// Enterohepatic recirculation: the drug is excreted into the gallbladder, which empties into
/// the gut only during a meal (6 to 7 h), and is reabsorbed; the switch is an `if` on `t`.
/// Against RK4 with 1 s steps, each side of the switch integrated separately so that RK4's order
/// holds; the solver's default tolerance bounds the difference.
#[test]
fn enterohepatic_recirculation_with_a_meal_switch_matches_a_second_solver() {
    let text = r##"(
        name: "enterohepatic recirculation",
        parameters: {
            "KA": (value: 1.2, unit: "1/h"), "CL": (value: 3.0, unit: "L/h"), "V": (value: 30.0, unit: "L"),
            "KB": (value: 0.2, unit: "1/h"), "KGB": (value: 3.0, unit: "1/h"),
        },
        equations: (
            states: ["gut", "central", "gallbladder"],
            code: r#"
                EMPTY = if t >= 6 and t < 7 then KGB else 0     # 1/h, only during the meal
                d/dt(gut) = -KA * gut + EMPTY * gallbladder
                d/dt(central) = KA * gut - (CL / V + KB) * central
                d/dt(gallbladder) = KB * central - EMPTY * gallbladder
            "#,
        ),
        outputs: [(name: "CP", expression: "central / V", unit: "mg/L")],
    )"##;
    let (spec, built) = model(text);
    // The switch is in time: not for the exact path.
    assert!(built.linear_system().is_none());
    let times = [3.0, 6.0, 6.5, 7.0, 9.0, 12.0];
    let mut records = vec![Record::dose(0.0, Dose::bolus(0, 100.0))];
    records.extend(times.iter().map(|&t| Record::observation(t)));
    let got = outputs(&spec, &built, &records);
    let mut x = vec![100.0, 0.0, 0.0];
    let mut from = 0.0;
    for (&t, y) in times.iter().zip(&got[1..]) {
        rk4(&built, &mut x, from, t, ((t - from) * 3600.0) as usize);
        from = t;
        let want = x[1] / 30.0;
        assert!(
            (y[0] - want).abs() <= 1e-5 * want,
            "CP at {t} h: {} against {want}",
            y[0]
        );
    }
    // The meal returned drug: the concentration rose between 6.5 and 7 h without a dose.
    assert!(got[4][0] > got[3][0] * 0.99, "{got:?}");
}

/// A drug–drug interaction through enzyme inhibition: the perpetrator, held at a constant
/// concentration I, divides the victim's clearance by `1 + I/Ki`, so the victim's AUC (to
/// infinity, D/CL) rises by that ratio: with I = 2 mg/L and Ki = 0.5 mg/L, five-fold.
#[test]
fn enzyme_inhibition_raises_the_victims_auc_by_one_plus_i_over_ki() {
    let text = |perpetrator: f64| {
        format!(
            r##"(
        name: "victim and perpetrator",
        parameters: {{
            "CL": (value: 4.0, unit: "L/h"), "V": (value: 40.0, unit: "L"),
            "KI": (value: 0.5, unit: "mg/L"), "I0": (value: {perpetrator}, unit: "mg/L"),
        }},
        equations: (
            states: ["victim", "perpetrator", "AUC"],
            code: r#"
                perpetrator(0) = I0
                d/dt(perpetrator) = 0                       # held constant
                CLI = CL / (1 + perpetrator / KI)           # inhibited clearance, L/h
                d/dt(victim) = -CLI / V * victim
                d/dt(AUC) = victim / V                      # mg·h/L
            "#,
        ),
        outputs: [(name: "AUC", expression: "AUC", unit: "mg·h/L")],
    )"##
        )
    };
    let auc = |perpetrator: f64| {
        let (spec, built) = model(&text(perpetrator));
        let records = [
            Record::dose(0.0, Dose::bolus(0, 100.0)),
            Record::observation(2000.0),
        ];
        outputs(&spec, &built, &records)[1][0]
    };
    let (alone, inhibited) = (auc(0.0), auc(2.0));
    assert!(
        (alone - 100.0 / 4.0).abs() <= 1e-5 * 25.0,
        "AUC alone {alone}"
    );
    let ratio = inhibited / alone;
    assert!((ratio - 5.0).abs() <= 1e-5 * 5.0, "AUC ratio {ratio}");
}

/// `twinsim estimate` (the Bayesian MAP path) on the vancomycin model written as equations gives
/// the built-in model's estimates, bit for bit: the PK is linear, so both take the exact path
/// (only the order of two additions in `A` differs, which these data do not show).
#[test]
fn estimates_with_the_equations_model_equal_the_built_in_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("levels.csv");
    std::fs::write(
        &data,
        "ID,TIME,EVID,AMT,RATE,CMT,DV,WT,CRCL\n\
         1,0,1,1000,1000,1,.,80,90\n1,2,0,0,0,1,25.1,80,90\n1,11.5,0,0,0,1,9.2,80,90\n\
         2,0,1,1500,1500,1,.,60,50\n2,3,0,0,0,1,40.2,60,50\n2,11,0,0,0,1,22.0,60,50\n",
    )
    .expect("data");
    let estimate = |model: &str, out: &str| {
        let out = dir.path().join(out);
        twinsim_tests::succeed(
            twinsim_tests::twinsim()
                .arg("estimate")
                .arg("--model")
                .arg(project_file(model))
                .arg("--data")
                .arg(&data)
                .arg("--out")
                .arg(&out),
        );
        std::fs::read_to_string(out.join("individual.csv")).expect("individual.csv")
    };
    let built_in = estimate("scenarios/models/vancomycin_goti2018.ron", "built_in");
    let written = estimate(
        "scenarios/models/equations/vancomycin_goti2018.ron",
        "equations",
    );
    assert!(built_in.lines().count() == 3, "{built_in}");
    assert_eq!(built_in, written);
}

/// A `$PRED`-style model: no states, the output a closed form of time, parameters and a
/// covariate (the dose, as a data column would give it): `C = DOSE/V·exp(−CL/V·t)`, against the
/// same formula computed here.
#[test]
fn a_model_with_no_states_is_its_closed_form() {
    let text = r#"(
        name: "closed-form 1-compartment bolus",
        parameters: {"CL": (value: 2.0, unit: "L/h"), "V": (value: 20.0, unit: "L")},
        equations: (states: [], covariates: ["DOSE"], code: "K = CL / V"),
        outputs: [(name: "CP", expression: "DOSE / V * exp(-K * t)", unit: "mg/L")],
        covariates: (defaults: {"DOSE": 100.0}),
    )"#;
    let spec = ModelSpec::parse(text, Path::new("pred.ron")).expect("model parses");
    let mut values = spec.typical_parameters();
    values.insert("DOSE".into(), 100.0);
    let built = spec.build(&values).expect("builds");
    let records: Vec<Record> = (0..=24)
        .map(|i| Record::observation(f64::from(i)))
        .collect();
    let got = outputs(&spec, &built, &records);
    for (r, y) in records.iter().zip(&got) {
        let want = 100.0 / 20.0 * (-0.1 * r.time).exp();
        assert!(
            (y[0] - want).abs() <= 1e-15 * want,
            "CP at {} h: {}",
            r.time,
            y[0]
        );
    }
}
