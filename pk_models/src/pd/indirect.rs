//! Indirect (turnover) response models I–IV (Dayneka, Garg and Jusko 1993): the drug inhibits or
//! stimulates the production (KIN) or the loss (KOUT) of a response R.

use serde::{Deserialize, Serialize};

use super::{PdModel, check_parameter};
use crate::Error;

/// Which rate the drug acts on, and how (the four basic indirect-response models).
///
/// With I(C) = Imax·C^n/(IC50^n + C^n) and S(C) = Emax·C^n/(EC50^n + C^n):
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Turnover {
    /// Model I: dR/dt = KIN·(1 − I(C)) − KOUT·R. At constant C, R_ss = R0·(1 − I).
    InhibitProduction,
    /// Model II: dR/dt = KIN − KOUT·(1 − I(C))·R. At constant C, R_ss = R0 / (1 − I).
    InhibitLoss,
    /// Model III: dR/dt = KIN·(1 + S(C)) − KOUT·R. At constant C, R_ss = R0·(1 + S).
    StimulateProduction,
    /// Model IV: dR/dt = KIN − KOUT·(1 + S(C))·R. At constant C, R_ss = R0 / (1 + S).
    StimulateLoss,
}

impl Turnover {
    fn inhibits(self) -> bool {
        matches!(self, Self::InhibitProduction | Self::InhibitLoss)
    }
}

/// The drug's action on a rate: max·C^n/(C50^n + C^n), dimensionless.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrugAction {
    /// Maximum fractional effect: Imax in [0, 1] for inhibition, Emax ≥ 0 for stimulation.
    pub max: f64,
    /// Concentration at half the maximum (IC50 or EC50), in the coupling's concentration unit.
    pub c50: f64,
    /// Hill coefficient n (dimensionless, > 0); 1 for the hyperbolic model.
    pub hill: f64,
}

impl DrugAction {
    /// max·C^n/(C50^n + C^n) (dimensionless); negative C counts as 0.
    pub fn value(&self, conc: f64) -> f64 {
        let c = conc.max(0.0);
        if self.hill == 1.0 {
            self.max * c / (self.c50 + c)
        } else {
            let cn = c.powf(self.hill);
            self.max * cn / (self.c50.powf(self.hill) + cn)
        }
    }
}

/// A turnover response R (response unit, e.g. mmHg or 10⁹/L): zero-order production KIN
/// (response unit/h), first-order loss KOUT (1/h), baseline R0 = KIN/KOUT.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndirectResponse {
    kin: f64,
    kout: f64,
    turnover: Turnover,
    action: DrugAction,
}

impl IndirectResponse {
    /// Validates the parameters: KIN ≥ 0 (response unit/h), KOUT > 0 (1/h), the action's C50 > 0
    /// and Hill > 0, Imax in [0, 1] for inhibition, Emax ≥ 0 for stimulation.
    pub fn new(kin: f64, kout: f64, turnover: Turnover, action: DrugAction) -> Result<Self, Error> {
        check_parameter("KIN", kin, true)?;
        check_parameter("KOUT", kout, false)?;
        check_parameter("C50", action.c50, false)?;
        check_parameter("HILL", action.hill, false)?;
        if turnover.inhibits() {
            if !(action.max.is_finite() && (0.0..=1.0).contains(&action.max)) {
                return Err(Error::InvalidParameter {
                    name: "IMAX",
                    value: action.max,
                    expected: "a number in [0, 1]",
                });
            }
        } else {
            check_parameter("EMAX", action.max, true)?;
        }
        Ok(Self {
            kin,
            kout,
            turnover,
            action,
        })
    }

    /// The baseline R0 = KIN/KOUT (response unit).
    pub fn baseline_response(&self) -> f64 {
        self.kin / self.kout
    }

    /// The steady state at a constant concentration (response unit), from the closed forms in
    /// [`Turnover`]. With Imax = 1 and model II this is infinite as C → ∞.
    pub fn steady_state(&self, conc: f64) -> f64 {
        let r0 = self.baseline_response();
        let a = self.action.value(conc);
        match self.turnover {
            Turnover::InhibitProduction => r0 * (1.0 - a),
            Turnover::InhibitLoss => r0 / (1.0 - a),
            Turnover::StimulateProduction => r0 * (1.0 + a),
            Turnover::StimulateLoss => r0 / (1.0 + a),
        }
    }

    /// The model type.
    pub fn turnover(&self) -> Turnover {
        self.turnover
    }
}

impl PdModel for IndirectResponse {
    fn n_states(&self) -> usize {
        1
    }

    fn state_name(&self, _index: usize) -> String {
        "R".to_owned()
    }

    fn baseline(&self, state: &mut [f64]) {
        state[0] = self.baseline_response();
    }

    fn rhs(&self, conc: f64, state: &[f64], d_state: &mut [f64]) {
        let r = state[0];
        let a = self.action.value(conc);
        d_state[0] = match self.turnover {
            // dR/dt = KIN·(1 − I) − KOUT·R
            Turnover::InhibitProduction => self.kin * (1.0 - a) - self.kout * r,
            // dR/dt = KIN − KOUT·(1 − I)·R
            Turnover::InhibitLoss => self.kin - self.kout * (1.0 - a) * r,
            // dR/dt = KIN·(1 + S) − KOUT·R
            Turnover::StimulateProduction => self.kin * (1.0 + a) - self.kout * r,
            // dR/dt = KIN − KOUT·(1 + S)·R
            Turnover::StimulateLoss => self.kin - self.kout * (1.0 + a) * r,
        };
    }

    fn output_name(&self) -> &'static str {
        "R"
    }

    fn effect(&self, _conc: f64, state: &[f64]) -> f64 {
        state[0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The closed-form steady state makes the right-hand side vanish up to rounding of terms ~KIN.
    const ROUNDING: f64 = 1e-12;

    #[test]
    fn closed_form_steady_states_zero_the_rhs() -> Result<(), Error> {
        let action = DrugAction {
            max: 0.8,
            c50: 2.0,
            hill: 1.5,
        };
        for turnover in [
            Turnover::InhibitProduction,
            Turnover::InhibitLoss,
            Turnover::StimulateProduction,
            Turnover::StimulateLoss,
        ] {
            let model = IndirectResponse::new(10.0, 0.1, turnover, action)?;
            let mut d = [0.0];
            model.rhs(0.0, &[model.baseline_response()], &mut d);
            assert!(d[0].abs() < ROUNDING, "{turnover:?} baseline");
            let r_ss = model.steady_state(3.0);
            model.rhs(3.0, &[r_ss], &mut d);
            assert!(d[0].abs() < ROUNDING, "{turnover:?} at C = 3");
        }
        Ok(())
    }

    #[test]
    fn imax_above_one_is_rejected() {
        let action = DrugAction {
            max: 1.5,
            c50: 1.0,
            hill: 1.0,
        };
        assert!(IndirectResponse::new(1.0, 1.0, Turnover::InhibitProduction, action).is_err());
        assert!(IndirectResponse::new(1.0, 1.0, Turnover::StimulateLoss, action).is_ok());
    }
}
