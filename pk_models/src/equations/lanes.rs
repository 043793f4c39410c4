//! A user-written model over `L` lanes, for the lock-step integrator ([`crate::batch`]).
//!
//! Every lane runs the same compiled derivatives ([`super::Tape`]) on its own individual values,
//! so one instruction is one loop over the lanes.

use std::sync::Arc;

use super::tape::with_scratch;
use super::{EquationModel, EquationSystem};
use crate::Model;
use crate::batch::{BatchModel, Lanes};

/// `L` twins of one [`EquationSystem`] with `N` states, one per lane.
#[derive(Debug, Clone, PartialEq)]
pub struct EquationLanes<const N: usize, const L: usize> {
    system: Arc<EquationSystem>,
    /// The time stage's inputs, per input and lane.
    inputs: Vec<[f64; L]>,
    /// Zero-order inputs per slot and lane (amount/h), constant over a segment.
    rates: Lanes<N, L>,
}

impl<const N: usize, const L: usize> EquationLanes<N, L> {
    /// Sets lane `lane`'s zero-order inputs (amount/h per slot) for the next segment.
    pub fn set_rates(&mut self, lane: usize, rates: &[f64]) {
        for (slot, &r) in rates.iter().enumerate().take(N) {
            self.rates[slot][lane] = r;
        }
    }

    /// Sets every lane's zero-order inputs (amount/h per slot) for the next segment.
    pub fn set_all_rates(&mut self, rates: &Lanes<N, L>) {
        self.rates = *rates;
    }

    /// The outputs of every lane at `time` (h): `out[k][lane]` for output `k`.
    pub fn outputs(&self, time: f64, state: &Lanes<N, L>, out: &mut [[f64; L]]) {
        let tape = &self.system.outputs;
        with_scratch::<L, _>(tape.n_registers(), |r| {
            self.load(tape, time, state, r);
            tape.run(r);
            for (k, o) in out.iter_mut().enumerate() {
                *o = *tape.result(r, k);
            }
        });
    }

    fn load(&self, tape: &super::Tape, time: f64, state: &Lanes<N, L>, r: &mut [[f64; L]]) {
        r[..self.inputs.len()].copy_from_slice(&self.inputs);
        for (k, s) in state.iter().enumerate() {
            r[tape.state_register(k)] = *s;
        }
        r[tape.time_register()] = [time; L];
    }
}

impl<const N: usize, const L: usize> BatchModel<N, L> for EquationLanes<N, L> {
    type Params = EquationModel;

    fn splat(params: &EquationModel) -> Self {
        Self {
            system: Arc::clone(params.system()),
            inputs: params.time_inputs().iter().map(|&x| [x; L]).collect(),
            rates: [[0.0; L]; N],
        }
    }

    fn set_lane(&mut self, lane: usize, params: &EquationModel) {
        debug_assert!(
            Arc::ptr_eq(&self.system, params.system()),
            "one system per batch"
        );
        for (input, &x) in self.inputs.iter_mut().zip(params.time_inputs()) {
            input[lane] = x;
        }
    }

    fn rhs(&self, time: f64, state: &Lanes<N, L>, d_state: &mut Lanes<N, L>) {
        let tape = &self.system.derivatives;
        with_scratch::<L, _>(tape.n_registers(), |r| {
            self.load(tape, time, state, r);
            tape.run(r);
            for (i, d) in d_state.iter_mut().enumerate() {
                let (f, rate) = (tape.result(r, i), &self.rates[i]);
                for l in 0..L {
                    d[l] = f[l] + rate[l];
                }
            }
        });
    }

    /// The model's first output.
    fn observe(&self, time: f64, state: &Lanes<N, L>, out: &mut [f64; L]) {
        let mut all = vec![[0.0; L]; self.system.n_outputs()];
        self.outputs(time, state, &mut all);
        if let Some(first) = all.first() {
            *out = *first;
        }
    }

    fn stiffness(params: &EquationModel) -> f64 {
        debug_assert_eq!(params.n_states(), N);
        params.stiffness()
    }
}
