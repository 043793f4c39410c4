//! The semi-mechanistic model of chemotherapy-induced myelosuppression of Friberg et al.
//! (J Clin Oncol 2002;20:4713–4721): a proliferating pool, three maturation transit compartments
//! and circulating neutrophils, with feedback of the circulating count on proliferation.
//!
//! ```text
//! ktr        = 4 / MTT                                          (1/h)
//! dProl/dt   = ktr·Prol·(1 − Edrug)·(Circ0/Circ)^γ − ktr·Prol   (10⁹/L per h)
//! dTransit1/dt = ktr·Prol − ktr·Transit1
//! dTransit2/dt = ktr·Transit1 − ktr·Transit2
//! dTransit3/dt = ktr·Transit2 − ktr·Transit3
//! dCirc/dt   = ktr·Transit3 − ktr·Circ
//! ```
//! Every compartment starts at Circ0 (the drug-free steady state).

use serde::{Deserialize, Serialize};

use super::{PdModel, TransitChain, check_parameter};
use crate::Error;

/// Number of maturation transit compartments between `Prol` and `Circ`.
const N_TRANSIT: usize = 3;
/// Slot of the proliferating pool.
pub const PROL: usize = 0;
/// Slot of the circulating neutrophils.
pub const CIRC: usize = N_TRANSIT + 1;

/// Published docetaxel parameters, Friberg et al. 2002, Table 4 (docetaxel, Emax model on the
/// total plasma concentration in µM).
pub mod docetaxel {
    /// Baseline absolute neutrophil count Circ0 (10⁹/L).
    pub const CIRC0: f64 = 5.05;
    /// Mean transit time through the proliferating pool and the three transits (h).
    pub const MTT: f64 = 89.3;
    /// Feedback exponent γ (dimensionless).
    pub const GAMMA: f64 = 0.163;
    /// Maximum drug effect Emax (dimensionless; above 1, so Edrug may exceed 1 at high C).
    pub const EMAX: f64 = 83.9;
    /// Concentration at half Emax (µM).
    pub const EC50: f64 = 7.17;
    /// Molar mass of docetaxel (anhydrous, C₄₃H₅₃NO₁₄), g/mol: C (µM) = C (mg/L)·1000/807.9.
    pub const MOLAR_MASS: f64 = 807.9;
}

/// The drug effect Edrug (dimensionless) on proliferation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum FribergDrugEffect {
    /// Edrug = slope·C.
    Linear {
        /// Slope (per concentration unit).
        slope: f64,
    },
    /// Edrug = Emax·C / (EC50 + C).
    Emax {
        /// Maximum effect (dimensionless).
        emax: f64,
        /// Concentration at half the maximum (concentration unit).
        ec50: f64,
    },
}

impl FribergDrugEffect {
    /// Edrug at concentration `conc` (negative C counts as 0).
    pub fn value(&self, conc: f64) -> f64 {
        let c = conc.max(0.0);
        match *self {
            Self::Linear { slope } => slope * c,
            Self::Emax { emax, ec50 } => emax * c / (ec50 + c),
        }
    }
}

/// The Friberg 2002 myelosuppression model; output `ANC` = Circ (10⁹/L).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Friberg {
    circ0: f64,
    gamma: f64,
    drug: FribergDrugEffect,
    /// The proliferating pool and transits: four compartments over MTT (ktr = 4/MTT).
    chain: TransitChain,
}

impl Friberg {
    /// Circ0 (10⁹/L, > 0), MTT (h, > 0), γ (≥ 0) and the drug effect (slope, Emax ≥ 0; EC50 > 0).
    pub fn new(circ0: f64, mtt: f64, gamma: f64, drug: FribergDrugEffect) -> Result<Self, Error> {
        check_parameter("CIRC0", circ0, false)?;
        check_parameter("GAMMA", gamma, true)?;
        match drug {
            FribergDrugEffect::Linear { slope } => check_parameter("SLOPE", slope, true)?,
            FribergDrugEffect::Emax { emax, ec50 } => {
                check_parameter("EMAX", emax, true)?;
                check_parameter("EC50", ec50, false)?;
            }
        }
        Ok(Self {
            circ0,
            gamma,
            drug,
            chain: TransitChain::new(N_TRANSIT + 1, mtt)?,
        })
    }

    /// The docetaxel typical values of Friberg 2002, Table 4 ([`docetaxel`]); concentrations in µM.
    pub fn docetaxel() -> Result<Self, Error> {
        Self::new(
            docetaxel::CIRC0,
            docetaxel::MTT,
            docetaxel::GAMMA,
            FribergDrugEffect::Emax {
                emax: docetaxel::EMAX,
                ec50: docetaxel::EC50,
            },
        )
    }

    /// Baseline count Circ0 (10⁹/L).
    pub fn circ0(&self) -> f64 {
        self.circ0
    }

    /// Mean transit time (h).
    pub fn mtt(&self) -> f64 {
        self.chain.mtt()
    }

    /// Feedback exponent γ.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }

    /// The drug effect.
    pub fn drug(&self) -> FribergDrugEffect {
        self.drug
    }
}

impl PdModel for Friberg {
    fn n_states(&self) -> usize {
        N_TRANSIT + 2
    }

    fn state_name(&self, index: usize) -> String {
        match index {
            PROL => "Prol".to_owned(),
            CIRC => "Circ".to_owned(),
            i => format!("Transit{i}"),
        }
    }

    fn baseline(&self, state: &mut [f64]) {
        state.fill(self.circ0);
    }

    fn rhs(&self, conc: f64, state: &[f64], d_state: &mut [f64]) {
        let ktr = self.chain.ktr();
        let prol = state[PROL];
        // A count driven to (or, by round-off, below) zero would make the feedback infinite or NaN.
        let circ = state[CIRC].max(f64::MIN_POSITIVE);
        let e_drug = self.drug.value(conc);
        // Feedback (Circ0/Circ)^γ (dimensionless)
        let feedback = (self.circ0 / circ).powf(self.gamma);
        // dProl/dt = ktr·Prol·(1 − Edrug)·(Circ0/Circ)^γ − ktr·Prol   (10⁹/L per h)
        d_state[PROL] = ktr * prol * (1.0 - e_drug) * feedback - ktr * prol;
        // Transit1..3 and Circ: dXᵢ/dt = ktr·Xᵢ₋₁ − ktr·Xᵢ, Xᵢ₋₁ = Prol for Transit1
        self.chain
            .rhs(prol, &state[PROL + 1..=CIRC], &mut d_state[PROL + 1..=CIRC]);
    }

    fn output_name(&self) -> &'static str {
        "ANC"
    }

    fn effect(&self, _conc: f64, state: &[f64]) -> f64 {
        state[CIRC]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_is_a_steady_state_without_drug() -> Result<(), Error> {
        let model = Friberg::docetaxel()?;
        let mut state = [0.0; 5];
        model.baseline(&mut state);
        let mut d = [1.0; 5];
        model.rhs(0.0, &state, &mut d);
        assert_eq!(d, [0.0; 5]);
        assert_eq!(model.state_name(2), "Transit2");
        Ok(())
    }
}
