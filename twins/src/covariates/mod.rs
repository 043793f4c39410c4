//! A patient's covariates: body size, age, sex, renal function, albumin, ancestry and
//! co-medication, and how one that changes over time is read ([`Carry`]).
//!
//! Derived covariates are computed when not given: body-surface area by Mosteller
//! (or Du Bois, see [`BsaFormula`]) and creatinine clearance by Cockcroft–Gault with
//! total body weight ([`cockcroft_gault_ml_min`]).
//!
//! ```
//! use twins::covariates::{Covariates, CovariatesInput, Sex};
//!
//! let c = Covariates::new(CovariatesInput {
//!     weight_kg: 72.0,
//!     height_cm: 175.0,
//!     age_years: 60.0,
//!     sex: Sex::Male,
//!     serum_creatinine_mg_dl: 1.0,
//!     ..CovariatesInput::default()
//! })?;
//! assert!((c.creatinine_clearance_ml_min - 80.0).abs() < 1e-9);
//! # Ok::<(), twins::Error>(())
//! ```

mod body_size;
pub mod limits;
mod renal;
mod time_varying;

pub use body_size::BsaFormula;
pub use renal::cockcroft_gault_ml_min;
pub use time_varying::Carry;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::genotype::Ancestry;

/// Sex, as used by covariate models (Cockcroft–Gault's female factor, ...).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub enum Sex {
    /// Female.
    Female,
    /// Male.
    #[default]
    Male,
}

/// A set of named co-medication flags (enzyme inducer, amiodarone, ...).
///
/// Flags are free-form names; the constants below are the ones used across twinsim.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CoMedications(BTreeSet<String>);

impl CoMedications {
    /// A strong CYP3A/CYP2C inducer (rifampicin, carbamazepine, phenytoin, ...).
    pub const ENZYME_INDUCER: &'static str = "enzyme_inducer";
    /// A strong CYP3A inhibitor (ketoconazole, clarithromycin, ritonavir, ...).
    pub const CYP3A_INHIBITOR: &'static str = "cyp3a_inhibitor";
    /// Amiodarone (CYP2C9 inhibition: warfarin).
    pub const AMIODARONE: &'static str = "amiodarone";
    /// A proton-pump inhibitor.
    pub const PROTON_PUMP_INHIBITOR: &'static str = "proton_pump_inhibitor";

    /// Adds a flag.
    pub fn insert(&mut self, flag: impl Into<String>) {
        self.0.insert(flag.into());
    }

    /// Whether `flag` is set.
    pub fn contains(&self, flag: &str) -> bool {
        self.0.contains(flag)
    }

    /// The flags, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl FromIterator<String> for CoMedications {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        CoMedications(iter.into_iter().collect())
    }
}

/// Covariates as given: derived ones (BSA, CrCl) may be left out and are then computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CovariatesInput {
    /// Total body weight, kg.
    pub weight_kg: f64,
    /// Height, cm.
    pub height_cm: f64,
    /// Age, years.
    pub age_years: f64,
    /// Sex.
    pub sex: Sex,
    /// Body-surface area, m²; computed with `bsa_formula` when `None`.
    pub bsa_m2: Option<f64>,
    /// Formula for BSA when not given.
    pub bsa_formula: BsaFormula,
    /// Serum creatinine, mg/dL.
    pub serum_creatinine_mg_dl: f64,
    /// Creatinine clearance, mL/min; Cockcroft–Gault when `None`.
    pub creatinine_clearance_ml_min: Option<f64>,
    /// Serum albumin, g/dL.
    pub albumin_g_dl: f64,
    /// Ancestry group.
    pub ancestry: Ancestry,
    /// Co-medication flags.
    pub comedications: CoMedications,
}

impl Default for CovariatesInput {
    /// A typical adult: 70 kg, 170 cm, 40 years, male, SCr 0.9 mg/dL, albumin 4.0 g/dL.
    fn default() -> Self {
        CovariatesInput {
            weight_kg: 70.0,
            height_cm: 170.0,
            age_years: 40.0,
            sex: Sex::Male,
            bsa_m2: None,
            bsa_formula: BsaFormula::Mosteller,
            serum_creatinine_mg_dl: 0.9,
            creatinine_clearance_ml_min: None,
            albumin_g_dl: 4.0,
            ancestry: Ancestry::European,
            comedications: CoMedications::default(),
        }
    }
}

/// A patient's validated covariates, with derived values filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Covariates {
    /// Total body weight, kg.
    pub weight_kg: f64,
    /// Height, cm.
    pub height_cm: f64,
    /// Age, years.
    pub age_years: f64,
    /// Sex.
    pub sex: Sex,
    /// Body-surface area, m².
    pub bsa_m2: f64,
    /// Serum creatinine, mg/dL.
    pub serum_creatinine_mg_dl: f64,
    /// Creatinine clearance, mL/min.
    pub creatinine_clearance_ml_min: f64,
    /// Serum albumin, g/dL.
    pub albumin_g_dl: f64,
    /// Ancestry group.
    pub ancestry: Ancestry,
    /// Co-medication flags.
    pub comedications: CoMedications,
}

impl Covariates {
    /// Validates `input` and computes what is missing.
    pub fn new(input: CovariatesInput) -> Result<Covariates> {
        let weight_kg = limits::check("WT", "weight_kg", input.weight_kg)?;
        let height_cm = limits::check("HT", "height_cm", input.height_cm)?;
        let age_years = limits::check("AGE", "age_years", input.age_years)?;
        let serum_creatinine_mg_dl = limits::check(
            "SCR",
            "serum_creatinine_mg_dl",
            input.serum_creatinine_mg_dl,
        )?;
        let bsa_m2 = match input.bsa_m2 {
            Some(b) => limits::check("BSA", "bsa_m2", b)?,
            None => input.bsa_formula.bsa_m2(weight_kg, height_cm),
        };
        let creatinine_clearance_ml_min = match input.creatinine_clearance_ml_min {
            Some(c) => limits::check("CRCL", "creatinine_clearance_ml_min", c)?,
            None => cockcroft_gault_ml_min(age_years, weight_kg, serum_creatinine_mg_dl, input.sex),
        };
        Ok(Covariates {
            weight_kg,
            height_cm,
            age_years,
            sex: input.sex,
            bsa_m2,
            serum_creatinine_mg_dl,
            creatinine_clearance_ml_min,
            albumin_g_dl: limits::check("ALB", "albumin_g_dl", input.albumin_g_dl)?,
            ancestry: input.ancestry,
            comedications: input.comedications,
        })
    }

    /// A numeric covariate by its NONMEM-style name: `WT` (kg), `HT` (cm), `AGE` (years),
    /// `BSA` (m²), `SCR` (mg/dL), `CRCL` (mL/min), `ALB` (g/dL); a co-medication flag
    /// written `COMED:name` reads 1 when set and 0 when not.
    pub fn numeric(&self, name: &str) -> Option<f64> {
        if let Some(flag) = name.strip_prefix("COMED:") {
            return Some(if self.comedications.contains(flag) {
                1.0
            } else {
                0.0
            });
        }
        match name {
            "WT" => Some(self.weight_kg),
            "HT" => Some(self.height_cm),
            "AGE" => Some(self.age_years),
            "BSA" => Some(self.bsa_m2),
            "SCR" => Some(self.serum_creatinine_mg_dl),
            "CRCL" => Some(self.creatinine_clearance_ml_min),
            "ALB" => Some(self.albumin_g_dl),
            _ => None,
        }
    }

    /// A categorical covariate by name: `SEX` (`F`/`M`) or `ANCESTRY` (the group's name).
    pub fn category(&self, name: &str) -> Option<String> {
        match name {
            "SEX" => Some(match self.sex {
                Sex::Female => "F".into(),
                Sex::Male => "M".into(),
            }),
            "ANCESTRY" => Some(format!("{:?}", self.ancestry)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    #[test]
    fn derived_values_are_filled_in_unless_given() -> Result<()> {
        let c = Covariates::new(CovariatesInput::default())?;
        assert!((c.bsa_m2 - BsaFormula::Mosteller.bsa_m2(70.0, 170.0)).abs() < 1e-12);
        let given = Covariates::new(CovariatesInput {
            bsa_m2: Some(2.0),
            creatinine_clearance_ml_min: Some(55.0),
            ..CovariatesInput::default()
        })?;
        assert_eq!(given.bsa_m2, 2.0);
        assert_eq!(given.numeric("CRCL"), Some(55.0));
        Ok(())
    }

    #[test]
    fn negative_weight_is_rejected() {
        let err = Covariates::new(CovariatesInput {
            weight_kg: -1.0,
            ..CovariatesInput::default()
        });
        assert!(matches!(err, Err(Error::InvalidValue { ref name, .. }) if name == "weight_kg"));
    }

    #[test]
    fn comedication_flags_read_as_numbers() -> Result<()> {
        let mut input = CovariatesInput::default();
        input.comedications.insert(CoMedications::AMIODARONE);
        let c = Covariates::new(input)?;
        assert_eq!(c.numeric("COMED:amiodarone"), Some(1.0));
        assert_eq!(c.numeric("COMED:enzyme_inducer"), Some(0.0));
        assert_eq!(c.category("SEX").as_deref(), Some("M"));
        Ok(())
    }
}
