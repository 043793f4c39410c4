//! # pk_models: the numerics of twinsim
//!
//! Pharmacokinetic compartment models, NONMEM dosing events (EVID, AMT, RATE, II, ADDL, SS, lag
//! time, bioavailability, modelled rate and duration) and their solution: exact (matrix
//! exponential) for linear models, `ode_solvers` Dormand–Prince otherwise.
//! No ECS, no files, no randomness: given parameters and records, the states.
//!
//! Units: time in h, amounts in mg, volumes in L, clearances in L/h, rates in mg/h.
//!
//! ## Quick start
//! ```
//! use pk_models::{simulate, Absorption, CompartmentModel, Disposition, Dose, Record, SolutionPath};
//! // One compartment with first-order absorption (NONMEM ADVAN2): depot is CMT 1, central CMT 2.
//! let model = CompartmentModel::new(
//!     Disposition::One { cl: 1.1, v: 20.0 },
//!     Absorption::FirstOrder { ka: 1.5 },
//!     None,
//! )?;
//! let mut records = vec![Record::dose(0.0, Dose::bolus(0, 100.0).every(24.0, 3))];
//! records.extend((0..=96).map(|h| Record::observation(f64::from(h))));
//! let states = simulate(&model, &records, SolutionPath::Auto)?;
//! let central_at_2h = states.state(3)[1];
//! assert!(central_at_2h > 0.0);
//! # Ok::<(), pk_models::Error>(())
//! ```
//!
//! ## Where to start
//! | you want to | look at |
//! |---|---|
//! | build a 1-, 2-, 3-compartment model | [`CompartmentModel`], [`Disposition`], [`Absorption`] |
//! | write your own model | the [`Model`] trait |
//! | describe doses | [`Dose`], [`Record`], [`RecordKind`] |
//! | simulate | [`simulate`], or [`Subject`] to step record by record |
//! | simulate thousands of twins of one model in SIMD lock-step | [`batch`] |
//! | choose exact or ODE, tolerances | [`SolutionPath`], [`SolverSettings`] |
//! | couple an effect to the PK (Emax, turnover, Friberg, Hamberg INR) | [`pd`], [`PkPd`], [`PdModel`] |
//! | exposure, target attainment, time in range, adverse events | [`outcomes`] |

pub mod batch;
mod dosing;
pub mod equations;
mod error;
pub mod linear;
mod model;
pub mod models;
pub mod ode;
pub mod outcomes;
pub mod pd;
mod simulate;

pub use dosing::{Dose, DoseInputs, DoseRate, Record, RecordKind, SteadyState};
pub use error::Error;
pub use linear::{ExactPropagator, LinearSystem};
pub use model::Model;
pub use models::{
    Absorption, CompartmentModel, Disposition, MAX_RATE_CONSTANT, MAX_TRANSIT_COMPARTMENTS,
    MIN_VOLUME, MichaelisMenten, StateLayout,
};
pub use ode::{OdeIntegrator, OdeMethod, SolverSettings};
pub use pd::{PdModel, PkPd};
pub use simulate::{
    OdePropagator, Propagate, Propagator, SolutionPath, SplitPropagator, Subject, Tolerance,
    Trajectory, simulate,
};
