//! `twinsim simulate` on a model file with a PD section: the PD output (ANC) is written beside
//! the concentration, starts at its baseline, and follows the Friberg model built by hand.

use pk_models::pd::friberg::docetaxel;
use pk_models::pd::{Friberg, FribergDrugEffect, PkPd};
use pk_models::{Absorption, CompartmentModel, Disposition, Dose, Record, SolutionPath, simulate};
use twinsim_tests::twinsim;

/// Docetaxel (one compartment, CL 36 L/h, V 8 L) driving Friberg 2002's neutrophils in µM.
const MODEL: &str = r#"(
    name: "docetaxel, Friberg 2002",
    structure: (compartments: 1, absorption: None, elimination: Linear),
    parameters: {
        "CL": (value: 36.0, unit: "L/h"),
        "V": (value: 8.0, unit: "L"),
        "CIRC0": (value: 5.05, unit: "10^9/L"),
        "MTT": (value: 89.3, unit: "h"),
        "GAMMA": (value: 0.163, unit: "1"),
        "EMAX": (value: 83.9, unit: "1"),
        "EC50": (value: 7.17, unit: "uM"),
    },
    pd: (
        model: Friberg(circ0: Parameter("CIRC0"), mtt: Parameter("MTT"), gamma: Parameter("GAMMA"),
            drug: Emax(emax: Parameter("EMAX"), ec50: Parameter("EC50"))),
        concentration: Micromolar(molar_mass: 807.9),
    ),
    outputs: [
        (name: "CP", compartment: "central", unit: "mg/L"),
        (name: "ANC", kind: Effect, unit: "10^9/L"),
    ],
)"#;

/// The CLI writes numbers with Rust's shortest round-trip formatting, so only the solver's
/// tolerance separates the two runs (the same model, the same records).
const SAME_MODEL: f64 = 1e-9;

#[test]
fn simulate_writes_the_pd_output_beside_the_concentration() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let model = dir.path().join("friberg.ron");
    let data = dir.path().join("data.csv");
    let out = dir.path().join("pred.csv");
    std::fs::write(&model, MODEL).expect("model written");
    let mut csv = String::from("ID,TIME,EVID,AMT,CMT,RATE,DV\n1,0,1,135,1,135,.\n");
    for day in 0..=21 {
        csv.push_str(&format!("1,{},0,0,1,0,.\n", 24 * day));
    }
    std::fs::write(&data, csv).expect("data written");
    let status = twinsim()
        .args(["simulate", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .status()
        .expect("twinsim runs");
    assert!(status.success(), "twinsim simulate failed");

    let mut reader = csv::Reader::from_path(&out).expect("predictions");
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "ID",
            "TIME",
            "EVID",
            "CP",
            "ANC",
            "A_central",
            "A_Prol",
            "A_Transit1",
            "A_Transit2",
            "A_Transit3",
            "A_Circ"
        ]
    );
    let rows: Vec<Vec<f64>> = reader
        .records()
        .map(|r| {
            r.expect("a row")
                .iter()
                .map(|v| v.parse().expect("a number"))
                .collect()
        })
        .collect();

    let pk = CompartmentModel::new(
        Disposition::One { cl: 36.0, v: 8.0 },
        Absorption::None,
        None,
    )
    .expect("PK model");
    let drug = FribergDrugEffect::Emax {
        emax: docetaxel::EMAX,
        ec50: docetaxel::EC50,
    };
    let by_hand = PkPd::new(
        pk,
        Friberg::new(docetaxel::CIRC0, docetaxel::MTT, docetaxel::GAMMA, drug).expect("Friberg"),
    )
    .with_molar_mass(docetaxel::MOLAR_MASS)
    .expect("µM");
    let mut records = vec![Record::dose(0.0, Dose::infusion(0, 135.0, 135.0))];
    records.extend((0..=21).map(|day| Record::observation(24.0 * f64::from(day))));
    let expected = simulate(&by_hand, &records, SolutionPath::Auto).expect("simulated");
    let (time, anc) = (1, 4);
    for (i, row) in rows.iter().enumerate() {
        let want = by_hand.effect(expected.state(i));
        assert!(
            (row[anc] - want).abs() < SAME_MODEL,
            "t {}: ANC {} vs {want}",
            row[time],
            row[anc]
        );
    }
    // Baseline before the drug acts, a nadir below half of it in the second week.
    assert_eq!(rows[1][anc], docetaxel::CIRC0);
    let nadir = rows.iter().map(|r| r[anc]).fold(f64::INFINITY, f64::min);
    assert!(nadir < 0.5 * docetaxel::CIRC0, "nadir {nadir}");
}
