//! Indirect-response models I–IV: steady states, baseline, reset and a second solver.

use pk_models::pd::{DrugAction, IndirectResponse, PkPd, Turnover};
use pk_models::{
    Absorption, CompartmentModel, Disposition, Dose, Error, Record, RecordKind, SolutionPath,
    SteadyState, simulate,
};

use super::common::{observations, reference_path};

const ALL: [Turnover; 4] = [
    Turnover::InhibitProduction,
    Turnover::InhibitLoss,
    Turnover::StimulateProduction,
    Turnover::StimulateLoss,
];

/// KIN 20 units/h, KOUT 0.2/h (R0 = 100), on a one-compartment IV model (CL 5 L/h, V 50 L).
fn model(turnover: Turnover) -> Result<PkPd<IndirectResponse>, Error> {
    let pk = CompartmentModel::new(
        Disposition::One { cl: 5.0, v: 50.0 },
        Absorption::None,
        None,
    )?;
    let action = DrugAction {
        max: if matches!(
            turnover,
            Turnover::InhibitProduction | Turnover::InhibitLoss
        ) {
            0.8
        } else {
            3.0
        },
        c50: 1.5,
        hill: 1.0,
    };
    Ok(PkPd::new(
        pk,
        IndirectResponse::new(20.0, 0.2, turnover, action)?,
    ))
}

/// After 600 h at constant concentration the slowest response rate, KOUT·(1 − I) ≥ 0.2·(1 − 0.8·2/3.5)
/// ≈ 0.11/h, has decayed by more than e⁻⁶⁰: only the ODE tolerance (rtol 1e-8) on R ≈ 100 is left.
const STEADY_STATE_TOL: f64 = 1e-5;

#[test]
fn constant_infusion_reaches_the_closed_form_steady_state() -> Result<(), Error> {
    // 10 mg/h into CL 5 L/h: Css = 2 mg/L.
    let css = 2.0;
    for turnover in ALL {
        let m = model(turnover)?;
        let records = [
            Record::dose(0.0, Dose::infusion(0, 10.0 * 700.0, 10.0)),
            Record::observation(600.0),
        ];
        let states = simulate(&m, &records, SolutionPath::Auto)?;
        let r = m.effect(states.state(1));
        // R_ss = R0·(1 − I), R0/(1 − I), R0·(1 + S), R0/(1 + S), with I or S = max·C/(C50 + C).
        let r0 = 100.0;
        let a = if matches!(
            turnover,
            Turnover::InhibitProduction | Turnover::InhibitLoss
        ) {
            0.8 * css / (1.5 + css)
        } else {
            3.0 * css / (1.5 + css)
        };
        let expected = match turnover {
            Turnover::InhibitProduction => r0 * (1.0 - a),
            Turnover::InhibitLoss => r0 / (1.0 - a),
            Turnover::StimulateProduction => r0 * (1.0 + a),
            Turnover::StimulateLoss => r0 / (1.0 + a),
        };
        assert!(
            (r - expected).abs() < STEADY_STATE_TOL,
            "{turnover:?}: {r} vs {expected}"
        );
        assert!((m.pd().steady_state(css) - expected).abs() < 1e-12);
    }
    Ok(())
}

#[test]
fn response_starts_at_baseline_and_reset_returns_to_it() -> Result<(), Error> {
    for turnover in ALL {
        let m = model(turnover)?;
        let records = [
            Record::observation(0.0),
            Record::dose(1.0, Dose::bolus(0, 200.0)),
            Record::observation(10.0),
            Record {
                time: 20.0,
                kind: RecordKind::Reset,
            },
        ];
        let states = simulate(&m, &records, SolutionPath::Auto)?;
        assert_eq!(m.effect(states.state(0)), 100.0);
        assert_ne!(m.effect(states.state(2)), 100.0);
        // EVID 3 returns the PD state to its baseline R0 = KIN/KOUT, not to zero.
        assert_eq!(m.effect(states.state(3)), 100.0);
        assert_eq!(m.central_concentration(states.state(3)), 0.0);
    }
    Ok(())
}

/// Default Dopri5 (rtol 1e-8) against Dop853 (rtol 1e-12) on R ≈ 100 over 4 days.
const SECOND_SOLVER_TOL: f64 = 1e-5;

#[test]
fn second_solver_agrees_during_the_transient() -> Result<(), Error> {
    for turnover in ALL {
        let m = model(turnover)?;
        let mut records = vec![Record::dose(
            0.0,
            Dose::infusion(0, 300.0, 100.0).every(24.0, 3),
        )];
        records.extend(observations(0.5, 96.0, 0.5));
        let a = m.effect_series(&simulate(&m, &records, SolutionPath::Auto)?);
        let b = m.effect_series(&simulate(&m, &records, reference_path())?);
        for (x, y) in a.iter().zip(&b) {
            assert!(
                (x - y).abs() < SECOND_SOLVER_TOL,
                "{turnover:?}: {x} vs {y}"
            );
        }
    }
    Ok(())
}

#[test]
fn steady_state_dose_adds_to_baseline_once() -> Result<(), Error> {
    // From the baseline, SS = 2 (add the regimen's steady state) must give the same state as
    // SS = 1 (reset to it): the response's baseline R0 is counted once, not twice.
    for turnover in ALL {
        let m = model(turnover)?;
        let regimen = |steady_state| Dose {
            steady_state,
            ..Dose::infusion(0, 100.0, 50.0).every(24.0, 0)
        };
        let reset = simulate(
            &m,
            &[Record::dose(0.0, regimen(SteadyState::Reset))],
            reference_path(),
        )?;
        let added = simulate(
            &m,
            &[Record::dose(0.0, regimen(SteadyState::Add))],
            reference_path(),
        )?;
        assert_eq!(reset.state(0), added.state(0), "{turnover:?}");
        // And the steady state is not the baseline: the drug acts.
        assert!((m.effect(reset.state(0)) - 100.0).abs() > 1.0);
    }
    Ok(())
}
