//! The small trait every model implements: its right-hand side, and by default no exact solution.

use crate::linear::LinearSystem;

/// A model of amounts in compartments (and, for PD, other states), driven by zero-order inputs.
///
/// State slots are numbered from 0; NONMEM's `CMT` is the slot number plus one.
pub trait Model {
    /// Number of state slots.
    fn n_states(&self) -> usize;

    /// Name of state slot `index` (e.g. `depot`, `central`), used for output columns.
    fn state_name(&self, index: usize) -> String;

    /// The right-hand side: `d_state = f(t, state) + rates`.
    ///
    /// `rates[i]` is the zero-order input into slot `i` (amount/h, e.g. mg/h) from infusions in progress.
    fn rhs(&self, time: f64, state: &[f64], rates: &[f64], d_state: &mut [f64]);

    /// The linear system `d_state/dt = A·state + rates`, when the model is linear; `None` otherwise.
    ///
    /// A model that returns `Some` is solved exactly (matrix exponential) unless the ODE path is asked for.
    fn linear_system(&self) -> Option<LinearSystem> {
        None
    }

    /// The linear system `dx/dt = A·x + r` of the first `A.nrows()` slots, when those slots form
    /// one on their own (no other slot feeds into them) and the model as a whole is not linear:
    /// e.g. the PK of a PK/PD model. `None` by default.
    ///
    /// [`SolutionPath::Auto`](crate::SolutionPath::Auto) then solves those slots exactly and only
    /// the others with the ODE solver.
    fn linear_subsystem(&self) -> Option<LinearSystem> {
        None
    }

    /// The state a subject starts from, and returns to on a reset (EVID 3 and 4, SS = 1).
    ///
    /// Empty compartments by default; a PD model starts at its baseline (e.g. circulating
    /// neutrophils at `Circ0`), not at zero.
    fn initial_state(&self) -> Vec<f64> {
        vec![0.0; self.n_states()]
    }

    /// Whether the right-hand side reads the time (a switch at a time, a decay in `t`); `false`
    /// by default.
    ///
    /// The ODE solver then evaluates a segment's last stages at the time just before the
    /// segment's end, so that a switch `t >= T` at a record or dose time `T` takes effect from
    /// `T` on, not already in the step that ends there.
    fn reads_time(&self) -> bool {
        false
    }
}

/// A reference to a model is a model, so solvers may borrow or own theirs.
impl<M: Model + ?Sized> Model for &M {
    fn n_states(&self) -> usize {
        (**self).n_states()
    }

    fn state_name(&self, index: usize) -> String {
        (**self).state_name(index)
    }

    fn rhs(&self, time: f64, state: &[f64], rates: &[f64], d_state: &mut [f64]) {
        (**self).rhs(time, state, rates, d_state);
    }

    fn linear_system(&self) -> Option<LinearSystem> {
        (**self).linear_system()
    }

    fn linear_subsystem(&self) -> Option<LinearSystem> {
        (**self).linear_subsystem()
    }

    fn initial_state(&self) -> Vec<f64> {
        (**self).initial_state()
    }

    fn reads_time(&self) -> bool {
        (**self).reads_time()
    }
}
