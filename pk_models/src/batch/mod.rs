//! Many twins of one model structure at once: a lock-step Dormand–Prince 5(4) over `L` lanes.
//!
//! Each lane is one twin with its own parameters and doses; all lanes share one step size, so the
//! arithmetic of a step is the same for every lane and the compiler turns the per-lane loops into
//! SIMD instructions. The state is structure-of-arrays, [`Lanes`]: one `[f64; L]` per state slot.
//!
//! - The equations: a [`BatchModel`] gives the right-hand side over all lanes, from named
//!   parameters per lane ([`MmTwoCompartment`] for workload W2, [`LinearOneCompartment`], and
//!   [`CompartmentLanes`] for any `CompartmentModel`, as the engine uses it).
//! - The method: [`BatchDopri5`] (error norm, PI controller and dense output as `ode_solvers`' and
//!   Hairer's `DOPRI5`), integrating between events and reporting output times on the way.
//! - The driver: [`simulate_batch`] runs up to `L` twins through their IV boluses;
//!   [`simulate_cohort`] sorts a cohort by [`BatchModel::stiffness`], runs it batch by batch and
//!   writes the outputs back in the cohort's order.
//!
//! ```
//! use pk_models::batch::{simulate_cohort, BatchSettings, Bolus, MmParams, MmTwoCompartment, Twin};
//! // Workload W2: 200 mg IV every 24 h for 7 days into the central compartment (slot 0).
//! let doses: Vec<Bolus> = (0..7).map(|i| Bolus::new(24.0 * f64::from(i), 0, 200.0)).collect();
//! let params = [MmParams::W2, MmParams { vmax: 15.0, ..MmParams::W2 }];
//! let twins: Vec<Twin<'_, MmParams>> = params.iter().map(|&p| Twin::new(p, &doses)).collect();
//! let times: Vec<f64> = (0..=168).map(f64::from).collect();
//! let mut c1 = vec![0.0; times.len() * twins.len()]; // time-major: c1[j * n_twins + twin]
//! simulate_cohort::<MmTwoCompartment<8>, 2, 8>(&twins, &times, &BatchSettings::default(), &mut c1)?;
//! // At 0 h, just after the first dose: C1 = 200 mg / 20 L.
//! assert!((c1[0] - 10.0).abs() < 1e-12);
//! // The twin with the larger VMAX has the lower trough before the second dose.
//! assert!(c1[23 * 2 + 1] < c1[23 * 2]);
//! # Ok::<(), pk_models::Error>(())
//! ```

mod cohort;
mod compartments;
mod dopri5;
mod models;

pub use cohort::{Bolus, Twin, simulate_batch, simulate_cohort, stiffness_order};
pub use compartments::{CompartmentLanes, CompartmentParams};
pub use dopri5::{BatchDopri5, BatchSettings, BatchStats};
pub use models::{LinearOneCompartment, LinearParams, MmParams, MmTwoCompartment};

/// The state of `L` lanes: `state[slot][lane]`, amounts (mg) for compartment models.
pub type Lanes<const N: usize, const L: usize> = [[f64; L]; N];

/// A model of `N` state slots evaluated for `L` twins (lanes) at once.
///
/// The model holds each lane's parameters; [`BatchModel::set_lane`] loads one twin's named
/// parameters into a lane. Implementations keep parameters as `[f64; L]` per parameter, so that
/// [`BatchModel::rhs`] is a loop over lanes the compiler can vectorise.
pub trait BatchModel<const N: usize, const L: usize> {
    /// One twin's parameters, with named fields.
    type Params: Clone;

    /// A model whose every lane holds `params`.
    fn splat(params: &Self::Params) -> Self;

    /// Loads `params` into lane `lane` (`lane < L`).
    fn set_lane(&mut self, lane: usize, params: &Self::Params);

    /// The right-hand side `d_state/dt = f(t, state)` of every lane (amount/h per slot).
    fn rhs(&self, time: f64, state: &Lanes<N, L>, d_state: &mut Lanes<N, L>);

    /// The observed quantity of every lane at `time` (h) (e.g. the central concentration, mg/L).
    fn observe(&self, time: f64, state: &Lanes<N, L>, out: &mut [f64; L]);

    /// A sort key: twins with close keys need similar step sizes and are batched together.
    ///
    /// The fastest rate constant (1/h) is a good key; by default every twin is alike.
    fn stiffness(_params: &Self::Params) -> f64 {
        0.0
    }
}
