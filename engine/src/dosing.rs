//! Dose amounts for a twin: fixed, by weight, by body-surface area, by phenotype, or by the IWPC
//! pharmacogenetic warfarin algorithm.

use twins::genotype::Ancestry;
use twins::population::Patient;

use crate::scenario::file::DoseFile;

/// Days per week, for the IWPC algorithm's weekly dose.
const DAYS_PER_WEEK: f64 = 7.0;

/// The amount (mg) `dose` gives `patient`.
pub fn amount_mg(dose: &DoseFile, patient: &Patient) -> f64 {
    let c = &patient.covariates;
    match dose {
        DoseFile::Fixed { mg } => *mg,
        DoseFile::PerKg { mg_per_kg, max_mg } => {
            let mg = mg_per_kg * c.weight_kg;
            max_mg.map_or(mg, |m| mg.min(m))
        }
        DoseFile::PerM2 { mg_per_m2 } => mg_per_m2 * c.bsa_m2,
        DoseFile::ByPhenotype {
            gene,
            doses,
            default,
        } => {
            let rule = patient
                .diplotype(gene)
                .and_then(|d| doses.get(&format!("{:?}", d.phenotype())))
                .unwrap_or(default);
            amount_mg(rule, patient)
        }
        DoseFile::Iwpc { round_mg } => {
            let daily = iwpc_weekly_dose_mg(&IwpcInputs::from_patient(patient)) / DAYS_PER_WEEK;
            round(daily, *round_mg)
        }
    }
}

/// Rounds `mg` to the nearest multiple of `step` (at least one step), when a step is given.
pub fn round(mg: f64, step: Option<f64>) -> f64 {
    match step {
        Some(s) if s > 0.0 => ((mg / s).round() * s).max(s),
        _ => mg,
    }
}

/// CYP2C9 genotype as the IWPC algorithm knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IwpcCyp2c9 {
    /// *1/*1.
    Star1Star1,
    /// *1/*2.
    Star1Star2,
    /// *1/*3.
    Star1Star3,
    /// *2/*2.
    Star2Star2,
    /// *2/*3.
    Star2Star3,
    /// *3/*3.
    Star3Star3,
    /// Not genotyped, or an allele other than *1, *2, *3.
    Unknown,
}

/// VKORC1 −1639G>A genotype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IwpcVkorc1 {
    /// G/G.
    GG,
    /// A/G.
    AG,
    /// A/A.
    AA,
    /// Not genotyped.
    Unknown,
}

/// IWPC race categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IwpcRace {
    /// White (the reference).
    White,
    /// Asian.
    Asian,
    /// Black or African American.
    Black,
    /// Missing or mixed.
    MissingOrMixed,
}

/// What the IWPC pharmacogenetic algorithm reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IwpcInputs {
    /// Age (years).
    pub age_years: f64,
    /// Height (cm).
    pub height_cm: f64,
    /// Weight (kg).
    pub weight_kg: f64,
    /// VKORC1 −1639G>A.
    pub vkorc1: IwpcVkorc1,
    /// CYP2C9.
    pub cyp2c9: IwpcCyp2c9,
    /// Race.
    pub race: IwpcRace,
    /// Taking an enzyme inducer (carbamazepine, phenytoin, rifampin).
    pub enzyme_inducer: bool,
    /// Taking amiodarone.
    pub amiodarone: bool,
}

impl IwpcInputs {
    /// Reads a twin's covariates and genotypes (alleles other than *1, *2, *3 count as unknown,
    /// as the algorithm has no terms for them).
    pub fn from_patient(p: &Patient) -> Self {
        let c = &p.covariates;
        let cyp2c9 = p.diplotype("CYP2C9").map_or(IwpcCyp2c9::Unknown, |d| {
            let mut a = d.allele_names();
            a.sort_unstable();
            match a {
                ["*1", "*1"] => IwpcCyp2c9::Star1Star1,
                ["*1", "*2"] => IwpcCyp2c9::Star1Star2,
                ["*1", "*3"] => IwpcCyp2c9::Star1Star3,
                ["*2", "*2"] => IwpcCyp2c9::Star2Star2,
                ["*2", "*3"] => IwpcCyp2c9::Star2Star3,
                ["*3", "*3"] => IwpcCyp2c9::Star3Star3,
                _ => IwpcCyp2c9::Unknown,
            }
        });
        let vkorc1 = p.diplotype("VKORC1").map_or(IwpcVkorc1::Unknown, |d| {
            let copies_a = d.allele_names().iter().filter(|a| **a == "A").count();
            [IwpcVkorc1::GG, IwpcVkorc1::AG, IwpcVkorc1::AA][copies_a]
        });
        let race = match c.ancestry {
            Ancestry::European => IwpcRace::White,
            Ancestry::EastAsian | Ancestry::SouthAsian => IwpcRace::Asian,
            Ancestry::African => IwpcRace::Black,
            Ancestry::Latino => IwpcRace::MissingOrMixed,
        };
        Self {
            age_years: c.age_years,
            height_cm: c.height_cm,
            weight_kg: c.weight_kg,
            vkorc1,
            cyp2c9,
            race,
            enzyme_inducer: c
                .comedications
                .contains(twins::covariates::CoMedications::ENZYME_INDUCER),
            amiodarone: c
                .comedications
                .contains(twins::covariates::CoMedications::AMIODARONE),
        }
    }
}

/// The IWPC pharmacogenetic algorithm (International Warfarin Pharmacogenetics Consortium,
/// N Engl J Med 2009; 360:753–764, supplementary appendix): weekly warfarin dose (mg).
///
/// √(weekly dose) = 5.6044 − 0.2614·age in decades + 0.0087·height (cm) + 0.0128·weight (kg)
/// − 0.8677·VKORC1 A/G − 1.6974·A/A − 0.4854·unknown − 0.5211·CYP2C9 *1/*2 − 0.9357·*1/*3
/// − 1.0616·*2/*2 − 1.9206·*2/*3 − 2.3312·*3/*3 − 0.2188·unknown − 0.1092·Asian − 0.2760·Black
/// − 0.1032·missing or mixed race + 1.1816·enzyme inducer − 0.5503·amiodarone.
/// Age in decades is ⌊age / 10⌋ (60–69 years → 6).
pub fn iwpc_weekly_dose_mg(x: &IwpcInputs) -> f64 {
    let decades = (x.age_years / 10.0).floor();
    let vkorc1 = match x.vkorc1 {
        IwpcVkorc1::GG => 0.0,
        IwpcVkorc1::AG => -0.8677,
        IwpcVkorc1::AA => -1.6974,
        IwpcVkorc1::Unknown => -0.4854,
    };
    let cyp2c9 = match x.cyp2c9 {
        IwpcCyp2c9::Star1Star1 => 0.0,
        IwpcCyp2c9::Star1Star2 => -0.5211,
        IwpcCyp2c9::Star1Star3 => -0.9357,
        IwpcCyp2c9::Star2Star2 => -1.0616,
        IwpcCyp2c9::Star2Star3 => -1.9206,
        IwpcCyp2c9::Star3Star3 => -2.3312,
        IwpcCyp2c9::Unknown => -0.2188,
    };
    let race = match x.race {
        IwpcRace::White => 0.0,
        IwpcRace::Asian => -0.1092,
        IwpcRace::Black => -0.2760,
        IwpcRace::MissingOrMixed => -0.1032,
    };
    let root = 5.6044 - 0.2614 * decades
        + 0.0087 * x.height_cm
        + 0.0128 * x.weight_kg
        + vkorc1
        + cyp2c9
        + race
        + if x.enzyme_inducer { 1.1816 } else { 0.0 }
        + if x.amiodarone { -0.5503 } else { 0.0 };
    root * root
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A worked example computed by hand from the published coefficients: a 65-year-old white
    /// patient, 175 cm, 80 kg, VKORC1 A/G, CYP2C9 *1/*1, no interacting drugs:
    /// √dose = 5.6044 − 0.2614·6 + 0.0087·175 + 0.0128·80 − 0.8677 = 5.7148 → 32.66 mg/week.
    #[test]
    fn iwpc_worked_example() {
        let x = IwpcInputs {
            age_years: 65.0,
            height_cm: 175.0,
            weight_kg: 80.0,
            vkorc1: IwpcVkorc1::AG,
            cyp2c9: IwpcCyp2c9::Star1Star1,
            race: IwpcRace::White,
            enzyme_inducer: false,
            amiodarone: false,
        };
        let root: f64 = 5.6044 - 0.2614 * 6.0 + 0.0087 * 175.0 + 0.0128 * 80.0 - 0.8677;
        assert!((iwpc_weekly_dose_mg(&x) - root * root).abs() < 1e-12);
        assert!((iwpc_weekly_dose_mg(&x) - 32.66).abs() < 0.01);
    }

    /// The published algorithm orders doses by genotype: more variant alleles, lower dose.
    #[test]
    fn iwpc_dose_falls_with_cyp2c9_and_vkorc1_variants() {
        let base = IwpcInputs {
            age_years: 60.0,
            height_cm: 170.0,
            weight_kg: 75.0,
            vkorc1: IwpcVkorc1::GG,
            cyp2c9: IwpcCyp2c9::Star1Star1,
            race: IwpcRace::White,
            enzyme_inducer: false,
            amiodarone: false,
        };
        let order = [
            IwpcCyp2c9::Star1Star1,
            IwpcCyp2c9::Star1Star2,
            IwpcCyp2c9::Star1Star3,
            IwpcCyp2c9::Star2Star2,
            IwpcCyp2c9::Star2Star3,
            IwpcCyp2c9::Star3Star3,
        ]
        .map(|cyp2c9| iwpc_weekly_dose_mg(&IwpcInputs { cyp2c9, ..base }));
        assert!(order.windows(2).all(|w| w[0] > w[1]), "{order:?}");
        let v = [IwpcVkorc1::GG, IwpcVkorc1::AG, IwpcVkorc1::AA]
            .map(|vkorc1| iwpc_weekly_dose_mg(&IwpcInputs { vkorc1, ..base }));
        assert!(v[0] > v[1] && v[1] > v[2]);
    }

    #[test]
    fn rounding_keeps_at_least_one_step() {
        assert_eq!(round(5.26, Some(0.5)), 5.5);
        assert_eq!(round(0.1, Some(0.5)), 0.5);
        assert_eq!(round(5.26, None), 5.26);
    }
}
