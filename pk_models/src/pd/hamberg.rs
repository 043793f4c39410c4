//! The warfarin PK/INR model of Hamberg et al. (Clin Pharmacol Ther 2007;81:529–538).
//!
//! S-warfarin inhibits the synthesis of vitamin-K-dependent clotting factors; the inhibition
//! propagates through two transit chains (six compartments with mean transit time MTT1, and one
//! with MTT2) to the INR:
//!
//! ```text
//! E     = Emax·C^γ / (EC50^γ + C^γ)                C: S-warfarin (mg/L), E dimensionless
//! ktr1  = 6 / MTT1,  ktr2 = 1 / MTT2                (1/h)
//! dA1/dt = ktr1·(1 − E) − ktr1·A1
//! dAi/dt = ktr1·A(i−1) − ktr1·Ai,   i = 2..6
//! dA7/dt = ktr2·(1 − E) − ktr2·A7
//! INR   = BASE + INRmax·(1 − A6·A7)^λ
//! ```
//! Every Ai starts at 1 (no inhibition), so without drug INR = BASE for all time. At a constant
//! concentration every Ai → 1 − E and INR → BASE + INRmax·(1 − (1 − E)²)^λ.
//!
//! The typical values are in [`published`]. Assumptions, stated where the paper leaves room:
//! MTT1 is the mean transit time of the whole six-compartment chain (ktr1 = 6/MTT1, as in
//! [`TransitChain`]; another implementation reads ktr1 = 1/MTT1, which changes the INR's rise but
//! not its steady state); the age effect on clearance is linear across all ages, centred at 71
//! years (older patients clear less, younger more); the S-warfarin dose is half the racemic warfarin dose, with complete
//! bioavailability; BASE is 1.

use serde::{Deserialize, Serialize};

use super::{PdModel, TransitChain, check_finite, check_parameter};
use crate::Error;
use crate::models::{Absorption, CompartmentModel, Disposition};

/// Compartments of the first (fast) transit chain.
const N_CHAIN1: usize = 6;
/// Slot of the last compartment of the first chain (A6).
pub const A6: usize = N_CHAIN1 - 1;
/// Slot of the single compartment of the second chain (A7).
pub const A7: usize = N_CHAIN1;

/// Typical values of Hamberg et al. 2007 (as reported in the paper's abstract and parameter
/// tables: S-warfarin PK, Table 2; INR model, Table 3 — table numbers as recalled, to be checked
/// against the paper; values are also those used by independent re-implementations).
pub mod published {
    /// Maximum inhibition Emax (dimensionless, fixed).
    pub const EMAX: f64 = 1.0;
    /// EC50 (mg/L S-warfarin), VKORC1 −1639 G/G.
    pub const EC50_VKORC1_GG: f64 = 4.61;
    /// EC50 (mg/L S-warfarin), VKORC1 −1639 G/A.
    pub const EC50_VKORC1_GA: f64 = 3.02;
    /// EC50 (mg/L S-warfarin), VKORC1 −1639 A/A.
    pub const EC50_VKORC1_AA: f64 = 2.20;
    /// Hill coefficient γ (dimensionless).
    pub const GAMMA: f64 = 0.424;
    /// Mean transit time of the six-compartment chain MTT1 (h).
    pub const MTT1: f64 = 11.6;
    /// Mean transit time of the one-compartment chain MTT2 (h).
    pub const MTT2: f64 = 120.0;
    /// Baseline INR (dimensionless).
    pub const BASE_INR: f64 = 1.0;
    /// Maximal INR increase INRmax (dimensionless, fixed).
    pub const INR_MAX: f64 = 20.0;
    /// Shape exponent λ (dimensionless).
    pub const LAMBDA: f64 = 3.61;

    /// S-warfarin clearance for CYP2C9 *1/*1 at age 71 years (L/h).
    pub const CL_CYP2C9_1_1: f64 = 0.314;
    /// Fractional decrease of clearance from *1/*1 for CYP2C9 *1/*2.
    pub const CL_DECREASE_1_2: f64 = 0.315;
    /// Fractional decrease of clearance from *1/*1 for CYP2C9 *1/*3.
    pub const CL_DECREASE_1_3: f64 = 0.453;
    /// Fractional decrease of clearance from *1/*1 for CYP2C9 *2/*2.
    pub const CL_DECREASE_2_2: f64 = 0.722;
    /// Fractional decrease of clearance from *1/*1 for CYP2C9 *2/*3.
    pub const CL_DECREASE_2_3: f64 = 0.69;
    /// Fractional decrease of clearance from *1/*1 for CYP2C9 *3/*3.
    pub const CL_DECREASE_3_3: f64 = 0.852;
    /// Fractional change of clearance per year of age from [`AGE_REFERENCE`] (1/year): lower
    /// above it, higher below it.
    pub const CL_DECREASE_PER_YEAR: f64 = 0.0091;
    /// Age at which clearance is the genotype's typical value (years).
    pub const AGE_REFERENCE: f64 = 71.0;
    /// Central volume V1 (L).
    pub const V1: f64 = 13.8;
    /// Peripheral volume V2 (L).
    pub const V2: f64 = 6.59;
    /// Inter-compartmental clearance Q (L/h).
    pub const Q: f64 = 0.131;
    /// Absorption rate constant KA (1/h, fixed).
    pub const KA: f64 = 2.0;
    /// Fraction of a racemic warfarin dose that is S-warfarin.
    pub const S_FRACTION: f64 = 0.5;
}

/// S-warfarin clearance (L/h) for a CYP2C9 genotype's fractional decrease (e.g.
/// [`published::CL_DECREASE_1_3`], 0 for *1/*1) and an age (years):
/// CL = CL(*1/*1)·(1 − decrease)·(1 − 0.0091·(age − 71)), linear across all ages (Hamberg 2007
/// centres the age effect at 71 years).
pub fn s_warfarin_clearance(cyp2c9_decrease: f64, age: f64) -> f64 {
    // Age factor (dimensionless): 1 − 0.0091·(age − 71)
    let age_factor = 1.0 - published::CL_DECREASE_PER_YEAR * (age - published::AGE_REFERENCE);
    published::CL_CYP2C9_1_1 * (1.0 - cyp2c9_decrease) * age_factor
}

/// The S-warfarin PK model of Hamberg 2007 with clearance `cl` (L/h): two compartments with
/// first-order absorption (depot slot 0, central 1, peripheral 2). Doses are S-warfarin (mg):
/// half the racemic dose ([`published::S_FRACTION`]).
pub fn s_warfarin_pk(cl: f64) -> Result<CompartmentModel, Error> {
    CompartmentModel::new(
        Disposition::Two {
            cl,
            v1: published::V1,
            q: published::Q,
            v2: published::V2,
        },
        Absorption::FirstOrder { ka: published::KA },
        None,
    )
}

/// The parameters of the INR model.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HambergParameters {
    /// Maximum inhibition Emax (dimensionless, in (0, 1]).
    pub emax: f64,
    /// S-warfarin concentration at half Emax (mg/L); depends on VKORC1 genotype.
    pub ec50: f64,
    /// Hill coefficient γ (dimensionless).
    pub gamma: f64,
    /// Mean transit time of the six-compartment chain (h).
    pub mtt1: f64,
    /// Mean transit time of the one-compartment chain (h).
    pub mtt2: f64,
    /// Baseline INR.
    pub base_inr: f64,
    /// Maximal INR increase.
    pub inr_max: f64,
    /// Shape exponent λ.
    pub lambda: f64,
}

impl HambergParameters {
    /// The published typical values with the given EC50 (mg/L), e.g.
    /// [`published::EC50_VKORC1_GA`].
    pub fn published(ec50: f64) -> Self {
        Self {
            emax: published::EMAX,
            ec50,
            gamma: published::GAMMA,
            mtt1: published::MTT1,
            mtt2: published::MTT2,
            base_inr: published::BASE_INR,
            inr_max: published::INR_MAX,
            lambda: published::LAMBDA,
        }
    }
}

/// The Hamberg 2007 INR model; output `INR`. Concentrations in mg/L (the coupling's default).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HambergInr {
    parameters: HambergParameters,
    chain1: TransitChain,
    chain2: TransitChain,
    /// EC50^γ, computed once.
    ec50_gamma: f64,
}

impl HambergInr {
    /// Validates the parameters.
    pub fn new(parameters: HambergParameters) -> Result<Self, Error> {
        let p = parameters;
        check_parameter("EMAX", p.emax, false)?;
        if p.emax > 1.0 {
            return Err(Error::InvalidParameter {
                name: "EMAX",
                value: p.emax,
                expected: "a number in (0, 1]",
            });
        }
        check_parameter("EC50", p.ec50, false)?;
        check_parameter("GAMMA", p.gamma, false)?;
        check_finite("BASE", p.base_inr)?;
        check_parameter("INRMAX", p.inr_max, true)?;
        check_parameter("LAMBDA", p.lambda, false)?;
        Ok(Self {
            parameters,
            chain1: TransitChain::new(N_CHAIN1, p.mtt1)?,
            chain2: TransitChain::new(1, p.mtt2)?,
            ec50_gamma: p.ec50.powf(p.gamma),
        })
    }

    /// The published typical values with the given EC50 (mg/L).
    pub fn published(ec50: f64) -> Result<Self, Error> {
        Self::new(HambergParameters::published(ec50))
    }

    /// The parameters.
    pub fn parameters(&self) -> &HambergParameters {
        &self.parameters
    }

    /// Inhibition E = Emax·C^γ/(EC50^γ + C^γ) at S-warfarin concentration `conc` (mg/L).
    pub fn inhibition(&self, conc: f64) -> f64 {
        let cg = conc.max(0.0).powf(self.parameters.gamma);
        self.parameters.emax * cg / (self.ec50_gamma + cg)
    }

    /// INR for the two chain outputs A6 and A7: BASE + INRmax·(1 − A6·A7)^λ.
    pub fn inr(&self, a6: f64, a7: f64) -> f64 {
        let p = &self.parameters;
        // Round-off may push A6·A7 a hair above 1 before any drug: no INR below BASE.
        p.base_inr + p.inr_max * (1.0 - a6 * a7).max(0.0).powf(p.lambda)
    }

    /// The INR at steady state under a constant concentration `conc` (mg/L): every Ai = 1 − E.
    pub fn steady_state_inr(&self, conc: f64) -> f64 {
        let a = 1.0 - self.inhibition(conc);
        self.inr(a, a)
    }
}

impl PdModel for HambergInr {
    fn n_states(&self) -> usize {
        N_CHAIN1 + 1
    }

    fn state_name(&self, index: usize) -> String {
        format!("A{}", index + 1)
    }

    fn baseline(&self, state: &mut [f64]) {
        state.fill(1.0);
    }

    fn rhs(&self, conc: f64, state: &[f64], d_state: &mut [f64]) {
        // Both chains are driven by the uninhibited fraction of synthesis 1 − E.
        let synthesis = 1.0 - self.inhibition(conc);
        // dA1/dt = ktr1·(1 − E) − ktr1·A1;  dAi/dt = ktr1·(A(i−1) − Ai)   (1/h)
        self.chain1
            .rhs(synthesis, &state[..N_CHAIN1], &mut d_state[..N_CHAIN1]);
        // dA7/dt = ktr2·(1 − E) − ktr2·A7   (1/h)
        self.chain2
            .rhs(synthesis, &state[A7..=A7], &mut d_state[A7..=A7]);
    }

    fn output_name(&self) -> &'static str {
        "INR"
    }

    fn effect(&self, _conc: f64, state: &[f64]) -> f64 {
        self.inr(state[A6], state[A7])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clearance_follows_genotype_and_age() {
        assert_eq!(s_warfarin_clearance(0.0, 71.0), published::CL_CYP2C9_1_1);
        // Below 71 the linear effect raises clearance: *1/*1 at 50 years, 0.314·(1 + 0.0091·21).
        let cl50 = s_warfarin_clearance(0.0, 50.0);
        assert!((cl50 - 0.314 * (1.0 + 0.0091 * 21.0)).abs() < 1e-12);
        // *3/*3 at 81 years: 0.314·0.148·(1 − 0.091)
        let cl = s_warfarin_clearance(published::CL_DECREASE_3_3, 81.0);
        assert!((cl - 0.314 * 0.148 * 0.909).abs() < 1e-12);
    }

    #[test]
    fn no_inhibition_means_baseline_inr() -> Result<(), Error> {
        let model = HambergInr::published(published::EC50_VKORC1_GG)?;
        let mut state = [0.0; 7];
        model.baseline(&mut state);
        assert_eq!(model.effect(0.0, &state), published::BASE_INR);
        let mut d = [1.0; 7];
        model.rhs(0.0, &state, &mut d);
        assert_eq!(d, [0.0; 7]);
        Ok(())
    }
}
