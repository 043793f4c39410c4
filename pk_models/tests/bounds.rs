//! Values the numerics cannot take are refused by name, and what they can take stays finite and
//! bounded: absurd rate constants, transit chains, and ADDL of a billion doses.

use std::time::Instant;

use pk_models::{
    Absorption, CompartmentModel, Disposition, Dose, MAX_RATE_CONSTANT, Record, SolutionPath,
    simulate,
};

/// A rate constant of 1e40 1/h (which once hung the matrix exponential), 1e100 (NaN rows) and
/// 1e200 (a panic in the split path) are refused when the model is built, naming the constant.
#[test]
fn absurd_rate_constants_are_refused_by_name() {
    for cl in [1e41, 1e101, 1e201] {
        let err = CompartmentModel::new(Disposition::One { cl, v: 10.0 }, Absorption::None, None)
            .expect_err("CL/V above 1e6 1/h");
        let text = err.to_string();
        assert!(text.contains("k10 = CL/V"), "{text}");
        assert!(text.contains("1e6 1/h"), "{text}");
    }
    let err = CompartmentModel::new(
        Disposition::One { cl: 1.0, v: 10.0 },
        Absorption::FirstOrder { ka: 1e40 },
        None,
    )
    .expect_err("KA above the limit");
    assert!(err.to_string().contains("KA"), "{err}");
    // The limit itself is accepted.
    CompartmentModel::new(
        Disposition::One {
            cl: MAX_RATE_CONSTANT * 10.0,
            v: 10.0,
        },
        Absorption::None,
        None,
    )
    .expect("k10 = 1e6 1/h is allowed");
}

#[test]
fn a_transit_chain_of_a_thousand_compartments_is_refused() {
    let err = CompartmentModel::new(
        Disposition::One { cl: 1.0, v: 10.0 },
        Absorption::Transit {
            n: 1000,
            mtt: 2.0,
            ka: 1.0,
        },
        None,
    )
    .expect_err("too many transit compartments");
    assert!(err.to_string().contains("NTR"), "{err}");
}

/// ADDL of a billion doses (which once grew memory at 700 MB/s, every dose listed up front)
/// runs in bounded memory and time: the doses are scheduled one at a time. The levels equal the
/// closed-form sum of the bolus responses given so far (reference: C(t) = Σ_k D/V·e^(−k10 (t −
/// k·II)) over the doses at or before t).
#[test]
fn a_billion_additional_doses_are_expanded_lazily() {
    let (cl, v, amount, ii) = (2.0, 20.0, 100.0, 12.0);
    let model = CompartmentModel::new(Disposition::One { cl, v }, Absorption::None, None)
        .expect("valid model");
    let times = [0.5, 11.0, 100.0, 1000.0, 5000.0];
    let mut records = vec![Record::dose(
        0.0,
        Dose::bolus(0, amount).every(ii, 1_000_000_000),
    )];
    records.extend(times.iter().map(|&t| Record::observation(t)));
    let start = Instant::now();
    let out = simulate(&model, &records, SolutionPath::Auto).expect("simulates");
    // Generous: a list of a billion doses alone would take tens of seconds and ~100 GB.
    assert!(start.elapsed().as_secs_f64() < 5.0, "{:?}", start.elapsed());
    let k = cl / v;
    for (i, &t) in times.iter().enumerate() {
        let given = (t / ii).floor() as u32;
        let expected: f64 = (0..=given)
            .map(|n| amount * (-k * (t - f64::from(n) * ii)).exp())
            .sum();
        let got = out.state(i + 1)[0];
        assert!(
            (got - expected).abs() <= 1e-9 * expected,
            "t = {t} h: {got} mg, closed form {expected} mg"
        );
    }
}

/// A volume below a microlitre (a unit mistake: mL for L, or a typo) would turn finite amounts
/// into overflowing concentrations; it is refused by name.
#[test]
fn a_volume_below_a_microlitre_is_refused() {
    let err = CompartmentModel::new(
        Disposition::One { cl: 0.0, v: 1e-300 },
        Absorption::None,
        Some(pk_models::MichaelisMenten { vmax: 1.0, km: 1.0 }),
    )
    .expect_err("V = 1e-300 L");
    assert!(err.to_string().contains("1e-6 L"), "{err}");
    CompartmentModel::new(
        Disposition::One {
            cl: 1e-6,
            v: pk_models::MIN_VOLUME,
        },
        Absorption::None,
        None,
    )
    .expect("one microlitre is allowed");
}
