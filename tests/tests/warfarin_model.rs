//! The shipped warfarin model (`scenarios/models/warfarin_hamberg2007.ron`) against a hand
//! computation from Hamberg et al. 2007's equations: at steady state the average S-warfarin
//! concentration is F·dose/(τ·CL), with CL = 0.314·(1 − 0.0091·(AGE − 71)) L/h for CYP2C9 *1/*1
//! (the age effect linear across all ages, centred at 71), and the INR at that concentration is
//! BASE + INRmax·(1 − (1 − E)²)^λ with E = C^γ/(EC50^γ + C^γ).

use twinsim_tests::{project_file, succeed, twinsim};

/// Racemic dose (mg) every 24 h; the S-enantiomer is half of it (the model's F = 0.5).
const DOSE_MG: f64 = 5.0;
const TAU_H: f64 = 24.0;
const S_FRACTION: f64 = 0.5;
/// Published typical values (Hamberg 2007): CL *1/*1 at 71 years (L/h), change per year,
/// VKORC1 G/A EC50 (mg/L), γ, INRmax, λ.
const CL_AT_71: f64 = 0.314;
const CL_PER_YEAR: f64 = 0.0091;
const EC50_GA: f64 = 3.02;
const GAMMA: f64 = 0.424;
const INR_MAX: f64 = 20.0;
const LAMBDA: f64 = 3.61;
/// The average of 25 hourly concentrations over a dosing interval (trapezoid rule) is within
/// 0.5% of the exact average for S-warfarin's slow elimination (half-life about two days).
const AVERAGE_TOLERANCE: f64 = 0.005;
/// The INR at the average concentration differs from the INR's own average over the interval
/// by the curvature of the response (a Jensen gap, under 1% here): 3% allows for it.
const INR_TOLERANCE: f64 = 0.03;

fn hand_inr(c: f64) -> f64 {
    let e = c.powf(GAMMA) / (EC50_GA.powf(GAMMA) + c.powf(GAMMA));
    1.0 + INR_MAX * (1.0 - (1.0 - e).powi(2)).powf(LAMBDA)
}

/// Simulates 60 daily doses for a patient of `age` years (CYP2C9 *1/*1, VKORC1 G/A, typical
/// random effects) and returns (average CS, average INR) over the last interval.
fn last_interval_averages(age: f64) -> (f64, f64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut csv = String::from("ID,TIME,AMT,EVID,MDV,DV,CMT,II,ADDL,AGE,CYP2C9,VKORC1\n");
    csv.push_str(&format!(
        "1,0,{DOSE_MG},1,1,.,1,{TAU_H},59,{age},*1/*1,GA\n"
    ));
    let start = 59.0 * TAU_H;
    for h in 0..=24 {
        csv.push_str(&format!(
            "1,{},0,2,1,.,2,.,.,{age},*1/*1,GA\n",
            start + f64::from(h)
        ));
    }
    let data = dir.path().join("data.csv");
    std::fs::write(&data, csv).expect("write");
    let out_path = dir.path().join("out.csv");
    succeed(
        twinsim()
            .arg("simulate")
            .arg("--model")
            .arg(project_file("scenarios/models/warfarin_hamberg2007.ron"))
            .arg("--data")
            .arg(&data)
            .arg("--out")
            .arg(&out_path),
    );
    let text = std::fs::read_to_string(&out_path).expect("predictions");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (cs, inr, evid) = (col("CS"), col("INR"), col("EVID"));
    let rows: Vec<(f64, f64)> = lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[evid] == "2")
        .map(|f| (f[cs].parse().expect("CS"), f[inr].parse().expect("INR")))
        .collect();
    assert_eq!(rows.len(), 25);
    let trapezoid = |k: usize| {
        let v: Vec<f64> = rows
            .iter()
            .map(|r| if k == 0 { r.0 } else { r.1 })
            .collect();
        (v[0] / 2.0 + v[1..24].iter().sum::<f64>() + v[24] / 2.0) / 24.0
    };
    (trapezoid(0), trapezoid(1))
}

#[test]
fn steady_state_concentration_and_inr_follow_the_papers_equations_at_every_age() {
    for age in [40.0, 50.0, 71.0, 85.0] {
        let (cs, inr) = last_interval_averages(age);
        let cl = CL_AT_71 * (1.0 - CL_PER_YEAR * (age - 71.0));
        let expected_cs = S_FRACTION * DOSE_MG / (TAU_H * cl);
        assert!(
            ((cs - expected_cs) / expected_cs).abs() < AVERAGE_TOLERANCE,
            "age {age}: average CS {cs} mg/L, hand {expected_cs} mg/L"
        );
        let expected_inr = hand_inr(expected_cs);
        assert!(
            ((inr - expected_inr) / expected_inr).abs() < INR_TOLERANCE,
            "age {age}: average INR {inr}, hand {expected_inr}"
        );
    }
}
