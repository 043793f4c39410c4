//! Outcome evaluators on hand-made series with known answers, on simulated trajectories, and
//! the probabilistic ones statistically.

use pk_models::outcomes::{
    Direction, Draws, Exposure, HazardEvent, LogisticEvent, Outcome, OutcomeValue, RangeMethod,
    Series, TargetAttainment, ThresholdEvent, TimeInRange, with_observation_grid,
};
use pk_models::pd::{CumulativeHazard, DirectEffect, EffectShape, NoEffect, PkPd};
use pk_models::{Absorption, CompartmentModel, Disposition, Dose, Error, Record, simulate};

use super::common::{SplitMix64, kolmogorov_smirnov, reference_path, times};
use super::friberg::{DOSE_MG, docetaxel_model};

#[test]
fn time_in_range_of_a_ramp() -> Result<(), Error> {
    // y = 1 + 0.3·t on [0, 10]: in [2, 3] for t in [10/3, 20/3], a third of the time.
    let t = [0.0, 10.0];
    let y = [1.0, 4.0];
    let tir = TimeInRange {
        low: 2.0,
        high: 3.0,
        from: 0.0,
        to: 10.0,
        method: RangeMethod::Rosendaal,
    };
    let fraction = tir.fraction(Series::new(&t, &y)?)?;
    assert!((fraction - 1.0 / 3.0).abs() < 1e-15);
    // Up and down through the range: 0 → 4 → 0 over 8 h, in [2, 3] for 0.5 h on each side.
    let t = [0.0, 4.0, 8.0];
    let y = [0.0, 4.0, 0.0];
    let tir = TimeInRange { to: 8.0, ..tir };
    assert_eq!(tir.hours(Series::new(&t, &y)?)?, 2.0);
    Ok(())
}

#[test]
fn threshold_with_and_without_sustain() -> Result<(), Error> {
    // Above 4 for 1 h around t = 2 (peak 5), then above 4 from t = 7 for 3 h.
    let t = [0.0, 1.5, 2.0, 2.5, 6.5, 7.0, 10.0, 12.0];
    let y = [2.0, 4.0, 5.0, 4.0, 3.0, 4.0, 6.0, 6.0];
    let s = Series::new(&t, &y)?;
    let crossing = ThresholdEvent {
        level: 4.0,
        direction: Direction::Above,
        sustain: 0.0,
    };
    // Strictly above from t = 1.5 (where y reaches 4 exactly, not yet above): onset 1.5.
    assert_eq!(crossing.onset(s)?, Some(1.5));
    let sustained = ThresholdEvent {
        sustain: 2.0,
        ..crossing
    };
    assert_eq!(sustained.onset(s)?, Some(7.0));
    let censored = ThresholdEvent {
        sustain: 5.5,
        ..crossing
    };
    assert_eq!(censored.onset(s)?, None);
    Ok(())
}

/// One compartment with first-order absorption: KA 1.5/h, CL 2 L/h, V 20 L (k = 0.1/h), 100 mg.
fn oral() -> Result<PkPd<NoEffect>, Error> {
    let pk = CompartmentModel::new(
        Disposition::One { cl: 2.0, v: 20.0 },
        Absorption::FirstOrder { ka: KA },
        None,
    )?;
    Ok(PkPd::new(pk, NoEffect).with_exposure_integral())
}
const KA: f64 = 1.5;
const K: f64 = 0.1;
const V: f64 = 20.0;
const DOSE: f64 = 100.0;

/// C(t) = D·ka/(V·(ka − k))·(exp(−k·t) − exp(−ka·t)) (mg/L), its derivative and its integral.
fn closed_form(t: f64) -> (f64, f64, f64) {
    let a = DOSE * KA / (V * (KA - K));
    let c = a * ((-K * t).exp() - (-KA * t).exp());
    let dc = a * (-K * (-K * t).exp() + KA * (-KA * t).exp());
    let auc = a * ((1.0 - (-K * t).exp()) / K - (1.0 - (-KA * t).exp()) / KA);
    (c, dc, auc)
}

/// The running-integral state under Dop853 at rtol 1e-12 reproduces the closed-form AUC to
/// about 1e-11 relative; 1e-9 leaves margin.
const EXACT_AUC_RTOL: f64 = 1e-9;
/// The trapezoid rule's error on step h is −h²/12·(C'(b) − C'(a)) + O(h⁴) (Euler–Maclaurin);
/// on h = 0.05 h the O(h⁴) part is below 1% of the leading term.
const EULER_MACLAURIN_MATCH: f64 = 0.01;

#[test]
fn auc_exact_accumulator_against_trapezoid() -> Result<(), Error> {
    let model = oral()?;
    let step = 0.05;
    let records =
        with_observation_grid(&[Record::dose(0.0, Dose::bolus(0, DOSE))], 0.0, 24.0, step)?;
    let trajectory = simulate(&model, &records, reference_path())?;
    let t = times(&records);
    let conc = model.concentration_series(&trajectory);
    let cumulative = model.auc_series(&trajectory).unwrap_or_default();
    let (series, cumulative) = (Series::new(&t, &conc)?, Series::new(&t, &cumulative)?);
    let metric = Exposure::Auc {
        from: 0.0,
        to: 24.0,
    };
    let exact = metric.evaluate_exact(series, cumulative)?;
    let trapezoid = metric.evaluate(series)?;
    let (_, dc0, _) = closed_form(0.0);
    let (_, dc24, auc24) = closed_form(24.0);
    assert!(
        ((exact - auc24) / auc24).abs() < EXACT_AUC_RTOL,
        "{exact} vs {auc24}"
    );
    let leading_error = -step * step / 12.0 * (dc24 - dc0);
    let error = exact - trapezoid;
    assert!(
        ((error - leading_error) / leading_error).abs() < EULER_MACLAURIN_MATCH,
        "trapezoid error {error:e}, Euler–Maclaurin {leading_error:e}"
    );
    // Cmax on the 0.05-h grid is within C''·h²/8 of the true peak at tmax = ln(ka/k)/(ka − k).
    let t_max = (KA / K).ln() / (KA - K);
    let (c_max, _, _) = closed_form(t_max);
    let grid_cmax = Exposure::Cmax {
        from: 0.0,
        to: 24.0,
    }
    .evaluate(series)?;
    assert!(grid_cmax <= c_max && c_max - grid_cmax < 1e-3 * c_max);
    Ok(())
}

#[test]
fn auc24_target_attainment_on_day_two() -> Result<(), Error> {
    // Two doses, at 0 and 24 h: by superposition AUC(24, 48) = single-dose AUC(0, 48).
    let model = oral()?;
    let dosing = [Record::dose(0.0, Dose::bolus(0, DOSE).every(24.0, 1))];
    let records = with_observation_grid(&dosing, 0.0, 48.0, 1.0)?;
    let trajectory = simulate(&model, &records, reference_path())?;
    let t = times(&records);
    let conc = model.concentration_series(&trajectory);
    let cumulative = model.auc_series(&trajectory).unwrap_or_default();
    let (series, cumulative) = (Series::new(&t, &conc)?, Series::new(&t, &cumulative)?);
    let (_, _, expected) = closed_form(48.0);
    let day2 = Exposure::Auc24 { day: 2 };
    let value = Outcome::Exposure(day2).evaluate(series, Some(cumulative), Draws::default())?;
    assert!(
        matches!(value, OutcomeValue::Number(v) if ((v - expected) / expected).abs() < EXACT_AUC_RTOL)
    );
    let hit = TargetAttainment {
        metric: day2,
        low: 0.9 * expected,
        high: 1.1 * expected,
    };
    let miss = TargetAttainment {
        low: 1.2 * expected,
        high: 1.5 * expected,
        ..hit
    };
    assert!(hit.evaluate_exact(series, cumulative)?);
    assert!(!miss.evaluate_exact(series, cumulative)?);
    // The hourly trapezoid is close enough to agree on both.
    assert!(hit.evaluate(series)? && !miss.evaluate(series)?);
    Ok(())
}

#[test]
fn neutropenia_onset_on_the_friberg_trajectory() -> Result<(), Error> {
    let model = docetaxel_model()?;
    let dosing = [Record::dose(0.0, Dose::infusion(0, DOSE_MG, DOSE_MG))];
    let records = with_observation_grid(&dosing, 0.0, 28.0 * 24.0, 1.0)?;
    let anc = model.effect_series(&simulate(&model, &records, pk_models::SolutionPath::Auto)?);
    let t = times(&records);
    let series = Series::new(&t, &anc)?;
    // Grade 3 neutropenia: ANC < 1.0×10⁹/L (CTCAE); the typical nadir is about 0.87×10⁹/L.
    let grade3 = ThresholdEvent {
        level: 1.0,
        direction: Direction::Below,
        sustain: 0.0,
    };
    let onset = grade3.onset(series)?.unwrap_or(f64::NAN);
    // The onset is a crossing: the interpolated ANC there is the level.
    assert!((series.at(onset).unwrap_or(f64::NAN) - 1.0).abs() < 1e-12);
    let hours_below = series.time_within(f64::NEG_INFINITY, 1.0, 0.0, 28.0 * 24.0);
    // Sustained for less than the whole dip: the same onset; for longer: no event.
    let within = ThresholdEvent {
        sustain: 0.5 * hours_below,
        ..grade3
    };
    assert_eq!(within.onset(series)?, Some(onset));
    let longer = ThresholdEvent {
        sustain: 1.01 * hours_below,
        ..grade3
    };
    assert_eq!(longer.onset(series)?, None);
    // Grade 4 (ANC < 0.5×10⁹/L) is not reached by the typical patient.
    let grade4 = ThresholdEvent {
        level: 0.5,
        ..grade3
    };
    assert_eq!(grade4.onset(series)?, None);
    Ok(())
}

/// Kolmogorov–Smirnov critical value at α = 0.01 for large n: 1.628/√n (Smirnov's asymptotic
/// distribution; for n = 2000 the exact value differs in the fourth digit).
fn ks_critical(n: usize) -> f64 {
    1.628 / (n as f64).sqrt()
}
const N_DRAWS: usize = 2000;
const SEED: u64 = 20_260_327;

#[test]
fn constant_hazard_event_times_are_exponential() -> Result<(), Error> {
    let h0 = 0.02;
    let event = HazardEvent {
        h0,
        beta: 0.8,
        from: 0.0,
    };
    // E = 0 sampled every 5 h to 5000 h: H(5000) = 100, so no draw is censored in practice.
    let t: Vec<f64> = (0..=1000).map(|i| 5.0 * f64::from(i)).collect();
    let effect = vec![0.0; t.len()];
    let series = Series::new(&t, &effect)?;
    let mut rng = SplitMix64::new(SEED);
    let mut sample = Vec::with_capacity(N_DRAWS);
    for _ in 0..N_DRAWS {
        let value = Outcome::Hazard(event).evaluate(
            series,
            None,
            Draws {
                exponential: Some(rng.exponential()),
                uniform: None,
            },
        )?;
        if let OutcomeValue::Time(Some(time)) = value {
            sample.push(time);
        }
    }
    assert_eq!(sample.len(), N_DRAWS);
    let d = kolmogorov_smirnov(&mut sample, |x| 1.0 - (-h0 * x).exp());
    assert!(d < ks_critical(N_DRAWS), "KS D = {d}");
    Ok(())
}

#[test]
fn linearly_rising_hazard_is_inverted_exactly() -> Result<(), Error> {
    // E(t) = ln(1 + t/τ)/β makes h(t) = h0·(1 + t/τ): linear in t, so the sampler's linear
    // interpolation of h is exact and H(t) = h0·(t + t²/(2τ)).
    let (h0, beta, tau) = (0.01, 0.7, 50.0);
    let event = HazardEvent {
        h0,
        beta,
        from: 0.0,
    };
    let t: Vec<f64> = (0..=2000).map(|i| 0.5 * f64::from(i)).collect();
    let effect: Vec<f64> = t.iter().map(|t| (1.0 + t / tau).ln() / beta).collect();
    let series = Series::new(&t, &effect)?;
    let cumulative = |x: f64| h0 * (x + x * x / (2.0 * tau));
    let mut rng = SplitMix64::new(SEED + 1);
    let mut sample = Vec::with_capacity(N_DRAWS);
    for _ in 0..N_DRAWS {
        let epsilon = rng.exponential();
        let time = event.event_time(series, epsilon)?.unwrap_or(f64::NAN);
        // H(T) = ε, up to rounding of exp/ln in the hazard at the samples.
        assert!(
            (cumulative(time) - epsilon).abs() < 1e-9 * epsilon.max(1.0),
            "ε {epsilon}"
        );
        sample.push(time);
    }
    let d = kolmogorov_smirnov(&mut sample, |x| 1.0 - (-cumulative(x)).exp());
    assert!(d < ks_critical(N_DRAWS), "KS D = {d}");
    Ok(())
}

#[test]
fn logistic_event_frequency_matches_its_probability() -> Result<(), Error> {
    let t = [0.0, 24.0];
    let auc_source = [10.0, 10.0];
    let series = Series::new(&t, &auc_source)?;
    // AUC over a day of a constant 10: 240; p = 1/(1 + exp(−(−3 + 0.01·240))) = 1/(1 + e^0.6).
    let event = LogisticEvent {
        metric: Exposure::Auc {
            from: 0.0,
            to: 24.0,
        },
        b0: -3.0,
        b1: 0.01,
    };
    let p = 1.0 / (1.0 + 0.6f64.exp());
    assert!((event.probability(series)? - p).abs() < 1e-15);
    let n = 20_000;
    let mut rng = SplitMix64::new(SEED + 2);
    let mut events = 0usize;
    for _ in 0..n {
        if event.occurs(series, rng.uniform())? {
            events += 1;
        }
    }
    // Binomial: the frequency is within 4 standard deviations √(p(1 − p)/n) of p.
    let frequency = events as f64 / n as f64;
    let sd = (p * (1.0 - p) / n as f64).sqrt();
    assert!(
        (frequency - p).abs() < 4.0 * sd,
        "frequency {frequency}, p {p}"
    );
    // A probabilistic outcome without its draw is an error, not a silent default.
    let missing = Outcome::Logistic(event).evaluate(series, None, Draws::default());
    assert!(matches!(missing, Err(Error::InvalidDraw { .. })));
    Ok(())
}

/// Rosendaal's interpolation between visits misplaces the INR's crossing of 2 by the curvature
/// of the rise between two visits: a few hours in 28 days, under 2% of the period.
const VISITS_VS_DENSE: f64 = 0.02;

#[test]
fn rosendaal_on_visits_and_dense_trajectory_time_in_range() -> Result<(), Error> {
    // Warfarin 5 mg/day (VKORC1 G/A, CYP2C9 *1/*1) for 8 weeks, INR target 2–3.
    let model = super::hamberg::warfarin(0.314, 3.02)?;
    let dosing = [Record::dose(0.0, Dose::bolus(0, 2.5).every(24.0, 55))];
    let tir = |from: f64, to: f64, step: f64| -> Result<f64, Error> {
        let records = with_observation_grid(&dosing, 0.0, to, step)?;
        let inr = model.effect_series(&simulate(&model, &records, pk_models::SolutionPath::Auto)?);
        let t = times(&records);
        let method = if step >= 24.0 {
            RangeMethod::Rosendaal
        } else {
            RangeMethod::Dense { step }
        };
        TimeInRange {
            low: 2.0,
            high: 3.0,
            from,
            to,
            method,
        }
        .fraction(Series::new(&t, &inr)?)
    };
    // Weeks 1–4: the INR rises through 2, so part of the time is out of range.
    let month = 28.0 * 24.0;
    let twice_weekly = tir(0.0, month, 84.0)?;
    let daily = tir(0.0, month, 24.0)?;
    let hourly = tir(0.0, month, 1.0)?;
    let quarter = tir(0.0, month, 0.25)?;
    // The dense estimate has converged: a 4× finer grid moves it by less than 1e-4.
    assert!((hourly - quarter).abs() < 1e-4, "{hourly} vs {quarter}");
    assert!(quarter > 0.5 && quarter < 0.9, "dense {quarter}");
    for visits in [twice_weekly, daily] {
        assert!(
            (visits - quarter).abs() < VISITS_VS_DENSE,
            "visits {visits}, dense {quarter}"
        );
    }
    // Weeks 5–8: the INR has settled near 2.4 (the 5 mg/day steady state of the Hamberg tests),
    // always in range whichever way it is measured.
    let weekly = tir(month, 2.0 * month, 7.0 * 24.0)?;
    let dense = tir(month, 2.0 * month, 1.0)?;
    assert!(
        weekly == 1.0 && dense == 1.0,
        "weekly {weekly}, dense {dense}"
    );
    Ok(())
}

/// Composite Simpson's rule of `f` over [a, b] with `n` (even) intervals: error ~ (b − a)·Δ⁴·f⁗/180.
fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
    let dx = (b - a) / n as f64;
    let inner: f64 = (1..n)
        .map(|i| f(a + i as f64 * dx) * if i % 2 == 1 { 4.0 } else { 2.0 })
        .sum();
    (f(a) + inner + f(b)) * dx / 3.0
}

/// The H slot (Dop853, rtol 1e-12) against Simpson's rule on 4000 intervals of the closed-form
/// hazard (error ~1e-10): the solver restarts at each of the 6000 observations of the 0.1-h grid,
/// and local errors of ~rtol·H per segment add up to a few 1e-10 relative.
const CUMULATIVE_HAZARD_RTOL: f64 = 1e-8;
/// Two event-time methods, each within ~1e-3 h: linear interpolation of H on a 0.1-h grid errs by
/// at most Δ²/8·max|h'|/min h ≈ 0.01/8·0.008/0.01 = 1e-3 h; the sampled-effect method on a 0.01-h
/// grid by far less.
const EVENT_TIME_TOL: f64 = 2e-3;

#[test]
fn cumulative_hazard_state_matches_quadrature_and_the_sampled_method() -> Result<(), Error> {
    // E = C = 2·exp(−0.1·t) mg/L after 100 mg into CL 5 L/h, V 50 L; h = 0.01·exp(0.8·E) (1/h).
    let hazard = HazardEvent {
        h0: 0.01,
        beta: 0.8,
        from: 0.0,
    };
    let pk = CompartmentModel::new(
        Disposition::One { cl: 5.0, v: 50.0 },
        Absorption::None,
        None,
    )?;
    let effect = DirectEffect::on_central(EffectShape::Linear {
        e0: 0.0,
        slope: 1.0,
    })?;
    let model = PkPd::new(pk, CumulativeHazard { pd: effect, hazard });
    let h_slot = model.pd_offset() + model.pd().hazard_index();
    let dosing = [Record::dose(0.0, Dose::bolus(0, 100.0))];
    let end = 600.0;
    let coarse = with_observation_grid(&dosing, 0.0, end, 0.1)?;
    let states = simulate(&model, &coarse, reference_path())?;
    let t_coarse = times(&coarse);
    let h_series: Vec<f64> = (0..states.len()).map(|i| states.state(i)[h_slot]).collect();
    let exact_hazard = |t: f64| 0.01 * (0.8 * 2.0 * (-0.1 * t).exp()).exp();
    for hour in [1.0, 10.0, 50.0, 200.0, 600.0] {
        let i = t_coarse.iter().rposition(|&t| t == hour).unwrap_or(0);
        let quadrature = simpson(exact_hazard, 0.0, hour, 4000);
        assert!(
            ((h_series[i] - quadrature) / quadrature).abs() < CUMULATIVE_HAZARD_RTOL,
            "H({hour}) = {} vs {quadrature}",
            h_series[i]
        );
    }
    // The same draws through both evaluators.
    let fine = with_observation_grid(&dosing, 0.0, end, 0.01)?;
    let effect_series = model.effect_series(&simulate(&model, &fine, reference_path())?);
    let t_fine = times(&fine);
    let (cumulative, sampled) = (
        Series::new(&t_coarse, &h_series)?,
        Series::new(&t_fine, &effect_series)?,
    );
    let mut rng = SplitMix64::new(SEED + 3);
    for _ in 0..200 {
        let epsilon = rng.exponential();
        let a = hazard.event_time_from_cumulative(cumulative, epsilon)?;
        let b = hazard.event_time(sampled, epsilon)?;
        match (a, b) {
            (Some(a), Some(b)) => {
                assert!((a - b).abs() < EVENT_TIME_TOL, "ε {epsilon}: {a} vs {b}")
            }
            (None, None) => {}
            other => panic!("ε {epsilon}: censoring differs {other:?}"),
        }
    }
    Ok(())
}
