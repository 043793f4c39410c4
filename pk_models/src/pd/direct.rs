//! Direct effects: linear, Emax and sigmoid Emax (Hill) functions of the central concentration or
//! of an effect-compartment concentration (link model, Sheiner et al. 1979).

use serde::{Deserialize, Serialize};

use super::{PdModel, check_finite, check_parameter};
use crate::Error;

/// The concentration–effect function. Concentrations in the coupling's unit (mg/L by default);
/// effects in the effect's own unit (`e0`, `emax` and `slope`·C share it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum EffectShape {
    /// E = E0 + slope·C.
    Linear {
        /// Baseline effect E0 (effect unit).
        e0: f64,
        /// Slope (effect unit per concentration unit).
        slope: f64,
    },
    /// E = E0 + Emax·C / (EC50 + C).
    Emax {
        /// Baseline effect E0 (effect unit).
        e0: f64,
        /// Maximum drug effect Emax (effect unit; negative for a decrease).
        emax: f64,
        /// Concentration at half the maximum effect EC50 (concentration unit, > 0).
        ec50: f64,
    },
    /// E = E0 + Emax·C^n / (EC50^n + C^n): the sigmoid Emax (Hill) model.
    Sigmoid {
        /// Baseline effect E0 (effect unit).
        e0: f64,
        /// Maximum drug effect Emax (effect unit).
        emax: f64,
        /// Concentration at half the maximum effect EC50 (concentration unit, > 0).
        ec50: f64,
        /// Hill coefficient n (dimensionless, > 0).
        hill: f64,
    },
}

impl EffectShape {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), Error> {
        match *self {
            Self::Linear { e0, slope } => {
                check_finite("E0", e0)?;
                check_finite("SLOPE", slope)
            }
            Self::Emax { e0, emax, ec50 } => {
                check_finite("E0", e0)?;
                check_finite("EMAX", emax)?;
                check_parameter("EC50", ec50, false)
            }
            Self::Sigmoid {
                e0,
                emax,
                ec50,
                hill,
            } => {
                check_finite("E0", e0)?;
                check_finite("EMAX", emax)?;
                check_parameter("EC50", ec50, false)?;
                check_parameter("HILL", hill, false)
            }
        }
    }

    /// The effect at concentration `conc` (negative concentrations, from solver round-off, count as 0).
    pub fn value(&self, conc: f64) -> f64 {
        let c = conc.max(0.0);
        match *self {
            // E = E0 + slope·C
            Self::Linear { e0, slope } => e0 + slope * c,
            // E = E0 + Emax·C/(EC50 + C)
            Self::Emax { e0, emax, ec50 } => e0 + emax * c / (ec50 + c),
            // E = E0 + Emax·C^n/(EC50^n + C^n)
            Self::Sigmoid {
                e0,
                emax,
                ec50,
                hill,
            } => {
                let cn = c.powf(hill);
                e0 + emax * cn / (ec50.powf(hill) + cn)
            }
        }
    }
}

/// A direct effect on the central concentration, or on an effect compartment:
/// dCe/dt = KE0·(C − Ce) (concentration unit/h), E = shape(Ce).
///
/// The effect compartment holds a concentration (not an amount) and takes no drug mass from the
/// central compartment. At constant C, Ce → C: the effect compartment only delays the effect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DirectEffect {
    shape: EffectShape,
    /// Equilibration rate constant KE0 (1/h), or `None` for an effect on C itself.
    ke0: Option<f64>,
}

impl DirectEffect {
    /// E = shape(C): no delay.
    pub fn on_central(shape: EffectShape) -> Result<Self, Error> {
        shape.validate()?;
        Ok(Self { shape, ke0: None })
    }

    /// E = shape(Ce), with dCe/dt = `ke0`·(C − Ce); `ke0` in 1/h.
    pub fn on_effect_compartment(shape: EffectShape, ke0: f64) -> Result<Self, Error> {
        shape.validate()?;
        check_parameter("KE0", ke0, false)?;
        Ok(Self {
            shape,
            ke0: Some(ke0),
        })
    }

    /// The concentration–effect function.
    pub fn shape(&self) -> EffectShape {
        self.shape
    }

    /// KE0 (1/h), when there is an effect compartment.
    pub fn ke0(&self) -> Option<f64> {
        self.ke0
    }
}

impl PdModel for DirectEffect {
    fn n_states(&self) -> usize {
        usize::from(self.ke0.is_some())
    }

    fn state_name(&self, _index: usize) -> String {
        "Ce".to_owned()
    }

    fn baseline(&self, state: &mut [f64]) {
        state.fill(0.0);
    }

    fn rhs(&self, conc: f64, state: &[f64], d_state: &mut [f64]) {
        if let Some(ke0) = self.ke0 {
            // dCe/dt = KE0·(C − Ce)   (concentration unit/h)
            d_state[0] = ke0 * (conc - state[0]);
        }
    }

    fn output_name(&self) -> &'static str {
        "E"
    }

    fn effect(&self, conc: f64, state: &[f64]) -> f64 {
        match self.ke0 {
            Some(_) => self.shape.value(state[0]),
            None => self.shape.value(conc),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Closed forms are evaluated in a different arrangement, so only rounding separates them.
    const ROUNDING: f64 = 1e-13;

    #[test]
    fn shapes_match_their_closed_forms_at_ec50() -> Result<(), Error> {
        // At C = EC50 the Emax and sigmoid models give E0 + Emax/2, whatever the Hill coefficient.
        let emax = EffectShape::Emax {
            e0: 3.0,
            emax: 10.0,
            ec50: 2.5,
        };
        let hill = EffectShape::Sigmoid {
            e0: 3.0,
            emax: 10.0,
            ec50: 2.5,
            hill: 3.7,
        };
        emax.validate()?;
        hill.validate()?;
        assert!((emax.value(2.5) - 8.0).abs() < ROUNDING);
        assert!((hill.value(2.5) - 8.0).abs() < ROUNDING);
        // Linear: E0 + slope·C.
        let linear = EffectShape::Linear {
            e0: 1.0,
            slope: -0.5,
        };
        assert!((linear.value(4.0) - (-1.0)).abs() < ROUNDING);
        Ok(())
    }

    #[test]
    fn invalid_ec50_is_rejected_by_name() {
        let err = DirectEffect::on_central(EffectShape::Emax {
            e0: 0.0,
            emax: 1.0,
            ec50: 0.0,
        })
        .unwrap_err();
        assert!(err.to_string().contains("EC50"), "{err}");
    }
}
