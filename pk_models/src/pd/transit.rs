//! Transit chains: `n` compartments in series, each passing its content on at ktr = n / MTT (1/h),
//! a building block for delays (Sun and Jusko 1998; Friberg 2002; Hamberg 2007).

use super::{PdModel, check_parameter};
use crate::Error;

/// A chain of `n` compartments with mean transit time `mtt` (h) from the input to the last one.
///
/// In signal form: dA₁/dt = ktr·(input − A₁), dAᵢ/dt = ktr·(Aᵢ₋₁ − Aᵢ), ktr = n/MTT (1/h).
/// At constant input every Aᵢ equals the input; the last compartment's response to a step is
/// the Erlang(n, ktr) distribution function, with mean `mtt`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransitChain {
    n: usize,
    mtt: f64,
}

impl TransitChain {
    /// `n` ≥ 1 compartments, mean transit time `mtt` > 0 (h).
    pub fn new(n: usize, mtt: f64) -> Result<Self, Error> {
        if n == 0 {
            return Err(Error::InvalidParameter {
                name: "N (transit compartments)",
                value: 0.0,
                expected: "at least 1",
            });
        }
        check_parameter("MTT", mtt, false)?;
        Ok(Self { n, mtt })
    }

    /// Number of compartments.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Always false: a chain has at least one compartment.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Mean transit time (h).
    pub fn mtt(&self) -> f64 {
        self.mtt
    }

    /// Transfer rate constant ktr = n / MTT (1/h).
    pub fn ktr(&self) -> f64 {
        self.n as f64 / self.mtt
    }

    /// Writes the chain's derivatives for `input` (same unit as the states) into `d_state`.
    pub fn rhs(&self, input: f64, state: &[f64], d_state: &mut [f64]) {
        let ktr = self.ktr();
        let mut upstream = input;
        // dAᵢ/dt = ktr·(Aᵢ₋₁ − Aᵢ), with A₀ = input  (unit/h)
        for (a, d) in state.iter().zip(d_state.iter_mut()).take(self.n) {
            *d = ktr * (upstream - a);
            upstream = *a;
        }
    }
}

/// The concentration delayed through a transit chain: output `C_delayed` = Aₙ (concentration unit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransitDelay {
    /// The chain.
    pub chain: TransitChain,
}

impl PdModel for TransitDelay {
    fn n_states(&self) -> usize {
        self.chain.len()
    }

    fn state_name(&self, index: usize) -> String {
        format!("delay{}", index + 1)
    }

    fn baseline(&self, state: &mut [f64]) {
        state.fill(0.0);
    }

    fn rhs(&self, conc: f64, state: &[f64], d_state: &mut [f64]) {
        self.chain.rhs(conc, state, d_state);
    }

    fn output_name(&self) -> &'static str {
        "C_delayed"
    }

    fn effect(&self, _conc: f64, state: &[f64]) -> f64 {
        state[self.chain.len() - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_input_is_a_fixed_point_and_ktr_is_n_over_mtt() -> Result<(), Error> {
        let chain = TransitChain::new(4, 89.3)?;
        assert_eq!(chain.ktr(), 4.0 / 89.3);
        let state = [2.0; 4];
        let mut d = [1.0; 4];
        chain.rhs(2.0, &state, &mut d);
        assert_eq!(d, [0.0; 4]);
        assert!(TransitChain::new(0, 1.0).is_err());
        Ok(())
    }
}
