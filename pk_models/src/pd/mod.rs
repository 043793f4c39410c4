//! Pharmacodynamics: effects driven by a PK model's concentration, integrated with the PK state.
//!
//! A [`PdModel`] describes the PD states, their baseline and their right-hand side as functions of
//! the driving concentration; [`PkPd`] couples it to a [`CompartmentModel`](crate::CompartmentModel)
//! into one [`Model`](crate::Model), so the ODE solver, the dosing events and the steady-state
//! machinery serve PK and PD alike. The state vector is the PK slots, then the PD slots, then
//! (optionally) the running AUC.
//!
//! Parameter types a scenario file names ([`EffectShape`], [`DrugAction`], [`Turnover`],
//! [`FribergDrugEffect`], [`HambergParameters`]) are serde-able; the models themselves are only
//! built through their validating constructors.
//!
//! | model | type | states | output |
//! |---|---|---|---|
//! | linear, Emax, sigmoid Emax on C or on an effect compartment | [`DirectEffect`] | 0 or `Ce` | `E` |
//! | indirect response I–IV (turnover) | [`IndirectResponse`] | `R` | `R` |
//! | transit-chain delay of the concentration | [`TransitDelay`] (built on [`TransitChain`]) | `n` | `C_delayed` |
//! | Friberg 2002 myelosuppression | [`Friberg`] | `Prol`, `Transit1..3`, `Circ` | `ANC` |
//! | Hamberg 2007 warfarin INR | [`HambergInr`] | `A1..A6`, `A7` | `INR` |
//! | no effect: only the AUC accumulator | [`NoEffect`] | none | `C` |
//! | any of these plus its cumulative hazard h0·exp(β·E) | [`CumulativeHazard`] | inner + `H` | inner |
//! | one of these, chosen at run time (a model file) | [`AnyPd`] | the model's | the model's |
//!
//! ```
//! use pk_models::pd::{DirectEffect, EffectShape, PkPd};
//! use pk_models::{simulate, Absorption, CompartmentModel, Disposition, Dose, Model, Record, SolutionPath};
//! let pk = CompartmentModel::new(Disposition::One { cl: 5.0, v: 50.0 }, Absorption::None, None)?;
//! let emax = EffectShape::Emax { e0: 0.0, emax: 100.0, ec50: 2.0 };
//! let model = PkPd::new(pk, DirectEffect::on_effect_compartment(emax, 0.5)?);
//! let records = [Record::dose(0.0, Dose::bolus(0, 100.0)), Record::observation(4.0)];
//! let states = simulate(&model, &records, SolutionPath::Auto)?;
//! assert_eq!(model.state_name(1), "Ce");
//! let effect = model.effect(states.state(1));
//! assert!(effect > 0.0 && effect < 100.0);
//! # Ok::<(), pk_models::Error>(())
//! ```

mod any;
mod coupling;
mod direct;
pub mod friberg;
pub mod hamberg;
mod hazard;
mod indirect;
mod transit;

pub use any::AnyPd;
pub use coupling::{NoEffect, PkPd};
pub use direct::{DirectEffect, EffectShape};
pub use friberg::{Friberg, FribergDrugEffect};
pub use hamberg::{HambergInr, HambergParameters};
pub use hazard::CumulativeHazard;
pub use indirect::{DrugAction, IndirectResponse, Turnover};
pub use transit::{TransitChain, TransitDelay};

use crate::Error;

/// The PD part of a [`PkPd`] model: states driven by one concentration.
///
/// The concentration is in the unit the coupling gives (mg/L by default, or scaled, e.g. to µM);
/// every concentration parameter of the PD model must be in that unit.
pub trait PdModel {
    /// Number of PD state slots (may be 0 for a direct effect on the concentration).
    fn n_states(&self) -> usize;

    /// Name of PD slot `index` (e.g. `Circ`), used for output columns.
    fn state_name(&self, index: usize) -> String;

    /// Writes the baseline (drug-free steady state) into `state` (length [`PdModel::n_states`]).
    fn baseline(&self, state: &mut [f64]);

    /// The PD right-hand side at driving concentration `conc`: writes `d_state` (unit/h).
    fn rhs(&self, conc: f64, state: &[f64], d_state: &mut [f64]);

    /// Name of the model's output (e.g. `E`, `INR`, `ANC`).
    fn output_name(&self) -> &'static str;

    /// The output at concentration `conc` and PD state `state`.
    fn effect(&self, conc: f64, state: &[f64]) -> f64;
}

/// Checks that a PD parameter is finite and positive (or non-negative when `allow_zero`).
pub(crate) fn check_parameter(
    name: &'static str,
    value: f64,
    allow_zero: bool,
) -> Result<(), Error> {
    let ok = value.is_finite()
        && if allow_zero {
            value >= 0.0
        } else {
            value > 0.0
        };
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value,
            expected: if allow_zero {
                "a finite number >= 0"
            } else {
                "a finite number > 0"
            },
        })
    }
}

/// Checks that a parameter is finite (any sign).
pub(crate) fn check_finite(name: &'static str, value: f64) -> Result<(), Error> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value,
            expected: "a finite number",
        })
    }
}
