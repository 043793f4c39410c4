//! A cumulative-hazard state beside any PD model, so a time-to-event outcome can be read off the
//! trajectory from the integral itself rather than from a sampled effect.

use super::PdModel;
use crate::outcomes::HazardEvent;

/// A PD model plus one slot `H`: dH/dt = h0·exp(β·E) (1/h), with E the model's output, so H(t) is
/// the cumulative hazard since time 0 (dimensionless). The event of a standard-exponential draw ε
/// happens when H(t) − H(from) reaches ε: see [`HazardEvent::event_time_from_cumulative`].
///
/// The output stays the inner model's; the hazard's `from` is applied when reading the event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CumulativeHazard<D> {
    /// The model whose output drives the hazard.
    pub pd: D,
    /// The hazard (h0, β; `from` is used by the evaluator).
    pub hazard: HazardEvent,
}

impl<D: PdModel> CumulativeHazard<D> {
    /// The slot of `H` among the PD slots (after the inner model's).
    pub fn hazard_index(&self) -> usize {
        self.pd.n_states()
    }
}

impl<D: PdModel> PdModel for CumulativeHazard<D> {
    fn n_states(&self) -> usize {
        self.pd.n_states() + 1
    }

    fn state_name(&self, index: usize) -> String {
        if index < self.pd.n_states() {
            self.pd.state_name(index)
        } else {
            "H".to_owned()
        }
    }

    fn baseline(&self, state: &mut [f64]) {
        let n = self.pd.n_states();
        self.pd.baseline(&mut state[..n]);
        state[n] = 0.0;
    }

    fn rhs(&self, conc: f64, state: &[f64], d_state: &mut [f64]) {
        let n = self.pd.n_states();
        self.pd.rhs(conc, &state[..n], &mut d_state[..n]);
        // dH/dt = h0·exp(β·E)   (1/h)
        d_state[n] = self.hazard.hazard(self.pd.effect(conc, &state[..n]));
    }

    fn output_name(&self) -> &'static str {
        self.pd.output_name()
    }

    fn effect(&self, conc: f64, state: &[f64]) -> f64 {
        self.pd.effect(conc, &state[..self.pd.n_states()])
    }
}
