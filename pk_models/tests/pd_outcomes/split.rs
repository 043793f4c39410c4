//! The split path (PK exact, PD by the ODE solver; what `SolutionPath::Auto` does for a PK/PD
//! model with linear PK) against the combined ODE at tight tolerance, and how much work it saves.

use std::cell::Cell;

use pk_models::pd::hamberg::{published, s_warfarin_pk};
use pk_models::pd::{HambergInr, PdModel, PkPd};
use pk_models::{Dose, Error, LinearSystem, Model, Record, SolutionPath, simulate};

use super::common::{observations, reference_path};
use super::friberg::{DOSE_MG, docetaxel_model};

/// Both paths solve the PD to rtol 1e-8 per step; over 90 days (or 126) of daily readings their
/// difference from the reference stays a few 1e-8 relative, so 1e-6 relative catches any wrong
/// coupling (a PK value read at the wrong time of the segment moves the INR by 1e-3 or more).
const SPLIT_VS_REFERENCE_RTOL: f64 = 1e-6;

/// A model that counts its right-hand-side evaluations.
struct Counting<M> {
    model: M,
    calls: Cell<u64>,
}

impl<M: Model> Model for Counting<M> {
    fn n_states(&self) -> usize {
        self.model.n_states()
    }
    fn state_name(&self, index: usize) -> String {
        self.model.state_name(index)
    }
    fn rhs(&self, time: f64, state: &[f64], rates: &[f64], d_state: &mut [f64]) {
        self.calls.set(self.calls.get() + 1);
        self.model.rhs(time, state, rates, d_state);
    }
    fn linear_subsystem(&self) -> Option<LinearSystem> {
        self.model.linear_subsystem()
    }
    fn initial_state(&self) -> Vec<f64> {
        self.model.initial_state()
    }
}

/// Simulates with `path`, returning the effect after each record and the RHS evaluations.
fn effects<D: PdModel>(
    model: &PkPd<D>,
    records: &[Record],
    path: SolutionPath,
) -> Result<(Vec<f64>, u64), Error> {
    let counting = Counting {
        model,
        calls: Cell::new(0),
    };
    let states = simulate(&counting, records, path)?;
    Ok((model.effect_series(&states), counting.calls.get()))
}

fn compare<D: PdModel>(model: &PkPd<D>, records: &[Record]) -> Result<(u64, u64), Error> {
    let (split, split_calls) = effects(model, records, SolutionPath::Auto)?;
    let (combined, combined_calls) =
        effects(model, records, SolutionPath::Ode(Default::default()))?;
    let (reference, _) = effects(model, records, reference_path())?;
    for ((s, c), r) in split.iter().zip(&combined).zip(&reference) {
        assert!(
            (s - r).abs() <= SPLIT_VS_REFERENCE_RTOL * r.abs(),
            "split {s}, reference {r}"
        );
        assert!(
            (c - r).abs() <= SPLIT_VS_REFERENCE_RTOL * r.abs(),
            "combined {c}, reference {r}"
        );
    }
    Ok((split_calls, combined_calls))
}

#[test]
fn split_path_matches_the_combined_ode_for_warfarin_inr() -> Result<(), Error> {
    let model = PkPd::new(
        s_warfarin_pk(published::CL_CYP2C9_1_1)?,
        HambergInr::published(published::EC50_VKORC1_GA)?,
    );
    let dose = Dose::bolus(0, published::S_FRACTION * 5.0).every(24.0, 89);
    let mut records = vec![Record::dose(0.0, dose)];
    records.extend(observations(0.0, 90.0 * 24.0, 24.0));
    let (split, combined) = compare(&model, &records)?;
    // The error control no longer watches the PK states through each dose's absorption: 24,792
    // against 61,944 evaluations when written.
    assert!(
        2 * split < combined,
        "split {split}, combined {combined} RHS evaluations"
    );
    Ok(())
}

#[test]
fn split_path_matches_the_combined_ode_for_docetaxel_anc() -> Result<(), Error> {
    let model = docetaxel_model()?;
    let dose = Dose::infusion(0, DOSE_MG, DOSE_MG).every(21.0 * 24.0, 5);
    let mut records = vec![Record::dose(0.0, dose)];
    records.extend(observations(0.0, 126.0 * 24.0, 24.0));
    let (split, combined) = compare(&model, &records)?;
    assert!(
        split < combined,
        "split {split}, combined {combined} RHS evaluations"
    );
    Ok(())
}
