//! [`AnyPd`]: one type for every PD model, so a model chosen at run time (from a model file) can
//! be coupled to a PK model as `PkPd<AnyPd>`.

use super::{
    CumulativeHazard, DirectEffect, Friberg, HambergInr, IndirectResponse, NoEffect, PdModel,
    TransitDelay,
};

/// Any of the PD models of [`crate::pd`], dispatched by variant.
#[derive(Debug, Clone, PartialEq)]
pub enum AnyPd {
    /// No effect states: output `C`, the driving concentration.
    None(NoEffect),
    /// A direct effect on C or on an effect compartment.
    Direct(DirectEffect),
    /// An indirect (turnover) response I–IV.
    Indirect(IndirectResponse),
    /// A transit-chain delay of the concentration.
    Transit(TransitDelay),
    /// Friberg 2002 myelosuppression.
    Friberg(Friberg),
    /// Hamberg 2007 warfarin INR.
    Hamberg(HambergInr),
    /// Any of these plus its cumulative hazard.
    Hazard(Box<CumulativeHazard<AnyPd>>),
}

/// Calls `$call` on the model inside any variant.
macro_rules! dispatch {
    ($self:expr, $pd:ident => $call:expr) => {
        match $self {
            AnyPd::None($pd) => $call,
            AnyPd::Direct($pd) => $call,
            AnyPd::Indirect($pd) => $call,
            AnyPd::Transit($pd) => $call,
            AnyPd::Friberg($pd) => $call,
            AnyPd::Hamberg($pd) => $call,
            AnyPd::Hazard($pd) => $call,
        }
    };
}

impl PdModel for AnyPd {
    fn n_states(&self) -> usize {
        dispatch!(self, pd => pd.n_states())
    }

    fn state_name(&self, index: usize) -> String {
        dispatch!(self, pd => pd.state_name(index))
    }

    fn baseline(&self, state: &mut [f64]) {
        dispatch!(self, pd => pd.baseline(state));
    }

    fn rhs(&self, conc: f64, state: &[f64], d_state: &mut [f64]) {
        dispatch!(self, pd => pd.rhs(conc, state, d_state));
    }

    fn output_name(&self) -> &'static str {
        dispatch!(self, pd => pd.output_name())
    }

    fn effect(&self, conc: f64, state: &[f64]) -> f64 {
        dispatch!(self, pd => pd.effect(conc, state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use crate::outcomes::HazardEvent;

    #[test]
    fn dispatches_to_the_model_inside() -> Result<(), Error> {
        let friberg = Friberg::docetaxel()?;
        let any = AnyPd::Hazard(Box::new(CumulativeHazard {
            pd: AnyPd::Friberg(friberg),
            hazard: HazardEvent {
                h0: 1e-3,
                beta: 0.0,
                from: 0.0,
            },
        }));
        assert_eq!(any.n_states(), friberg.n_states() + 1);
        assert_eq!(any.state_name(4), "Circ");
        assert_eq!(any.state_name(5), "H");
        assert_eq!(any.output_name(), "ANC");
        let mut state = [0.0; 6];
        any.baseline(&mut state);
        assert_eq!(any.effect(0.0, &state), friberg.circ0());
        let mut d = [1.0; 6];
        any.rhs(0.0, &state, &mut d);
        // Drug-free baseline: only the hazard grows, at h0.
        assert_eq!(d, [0.0, 0.0, 0.0, 0.0, 0.0, 1e-3]);
        Ok(())
    }
}
