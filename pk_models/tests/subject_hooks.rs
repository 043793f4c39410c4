//! The `Subject` hooks the engine's lanes use: doses given ahead of time (`give_later`), records
//! before the events at their own time (`advance_until`), and a state advanced by the caller
//! (`accept_advance`), each against the record-by-record path or the one-compartment closed form.

use pk_models::{
    Absorption, CompartmentModel, Disposition, Dose, DoseRate, Error, Propagator, Record,
    SolutionPath, Subject,
};

/// One compartment, CL = 5 L/h, V = 50 L (k = 0.1 1/h), IV: `A(t) = D·e^{−k·t}` after a bolus D.
fn subject() -> Result<Subject<Propagator<CompartmentModel>>, Error> {
    let model = CompartmentModel::new(
        Disposition::One { cl: 5.0, v: 50.0 },
        Absorption::None,
        None,
    )?;
    Ok(Subject::new(Propagator::new(model, SolutionPath::Auto), 1))
}

/// Doses given ahead of time, then records taken on the way with `advance_until`, equal the same
/// doses and records applied one by one; a record at a dose's time sees the trough.
#[test]
fn doses_given_ahead_and_records_on_the_way_equal_records_one_by_one() -> Result<(), Error> {
    let k: f64 = 0.1;
    let mut ahead = subject()?;
    ahead.advance_to(0.0)?;
    for i in 0..3 {
        ahead.give_later(12.0 * f64::from(i), &Dose::bolus(0, 100.0))?;
    }
    let mut one_by_one = subject()?;
    for hour in 0..=30 {
        let t = f64::from(hour);
        ahead.advance_until(t)?;
        // The record-by-record path: an observation at t, then the dose due at t.
        one_by_one.apply(&Record::observation(t))?;
        assert_eq!(
            ahead.state()[0].to_bits(),
            one_by_one.state()[0].to_bits(),
            "{t} h"
        );
        if hour % 12 == 0 {
            one_by_one.apply(&Record::dose(t, Dose::bolus(0, 100.0)))?;
        }
    }
    // The trough at 24 h, before the third dose: 100·(e^{−2.4} + e^{−1.2}) mg.
    let mut trough = subject()?;
    trough.advance_to(0.0)?;
    for i in 0..3 {
        trough.give_later(12.0 * f64::from(i), &Dose::bolus(0, 100.0))?;
    }
    trough.advance_until(24.0)?;
    let expected = 100.0 * ((-k * 24.0).exp() + (-k * 12.0).exp());
    assert!((trough.state()[0] / expected - 1.0).abs() < 1e-12);
    trough.advance_to(24.0)?;
    assert!((trough.state()[0] / (expected + 100.0) - 1.0).abs() < 1e-12);
    Ok(())
}

/// A caller's advance is accepted up to the next event, which then applies; one across an
/// event, or of an unstarted subject, is an error; a dose before the subject's time is refused.
#[test]
fn an_advance_by_the_caller_stops_at_the_next_event() -> Result<(), Error> {
    let mut s = subject()?;
    assert!(s.accept_advance(1.0, &[0.0]).is_err(), "not started");
    s.advance_to(0.0)?;
    s.give_later(
        5.0,
        &Dose {
            rate: DoseRate::Rate(20.0),
            ..Dose::bolus(0, 40.0)
        },
    )?;
    assert_eq!(s.next_event_time(), 5.0);
    assert!(
        s.accept_advance(6.0, &[0.0]).is_err(),
        "across the infusion's start"
    );
    s.accept_advance(5.0, &[0.0])?;
    // The infusion started at 5 h and runs 2 h at 20 mg/h.
    assert_eq!(s.input_rates(), &[20.0]);
    assert_eq!(s.next_event_time(), 7.0);
    assert!(
        s.give_later(4.0, &Dose::bolus(0, 1.0)).is_err(),
        "in the past"
    );
    Ok(())
}
