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

/// The steady-state AUC24 (mg·h/L) of a daily dose, estimated from two declining levels after
/// any dosing history, by one-compartment first-order equations (the level-based approach of the
/// 2020 vancomycin consensus guideline, Rybak et al., Am J Health Syst Pharm 2020;77:835):
///
/// - elimination rate k = ln(C1/C2)/(t2 − t1) (1/h);
/// - the concentration a unit volume would have at t1 from every dose given,
///   c₁(t1) = Σ amountᵢ·g(t1 − tᵢ), with g(t) = (1 − e^(−kt))/(kT) during an infusion of T h,
///   (1 − e^(−kT))·e^(−k(t−T))/(kT) after it, and e^(−kt) for a bolus;
/// - volume V = c₁(t1)/C1 (L), clearance CL = k·V (L/h), AUC24 = daily dose / CL.
///
/// Accumulation is accounted for, so levels after the first doses give the steady-state AUC.
/// `given` holds (time h, amount mg); `levels` are (time h, concentration mg/L).
/// None unless C1 > C2 > 0 with t2 > t1 and a dose before t1.
pub fn level_based_auc24(
    given: &[(f64, f64)],
    infusion_h: f64,
    daily_dose_mg: f64,
    (t1, c1): (f64, f64),
    (t2, c2): (f64, f64),
) -> Option<f64> {
    if c1 <= c2 || c2 <= 0.0 || t2 <= t1 || !given.iter().any(|&(t, _)| t < t1) {
        return None;
    }
    let k = (c1 / c2).ln() / (t2 - t1);
    let unit = |dt: f64| {
        if dt <= 0.0 {
            0.0
        } else if infusion_h <= 0.0 {
            (-k * dt).exp()
        } else if dt < infusion_h {
            (1.0 - (-k * dt).exp()) / (k * infusion_h)
        } else {
            (1.0 - (-k * infusion_h).exp()) * (-k * (dt - infusion_h)).exp() / (k * infusion_h)
        }
    };
    let per_litre: f64 = given.iter().map(|&(t, mg)| mg * unit(t1 - t)).sum();
    let volume = per_litre / c1;
    let clearance = k * volume;
    (clearance > 0.0 && clearance.is_finite()).then(|| daily_dose_mg / clearance)
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

    /// A one-compartment twin (CL 5 L/h, V 50 L) given a 2000 mg loading infusion and then
    /// 1000 mg every 12 h over 1 h: the levels after the second dose (far from steady state)
    /// recover the exact steady-state AUC24 = 2000 mg / 5 L/h = 400 mg·h/L.
    #[test]
    fn level_based_auc_recovers_the_steady_state_auc_before_steady_state() {
        let (cl, v, tinf) = (5.0_f64, 50.0_f64, 1.0_f64);
        let k = cl / v;
        let given = [(0.0, 2000.0), (12.0, 1000.0)];
        // Exact concentration by superposition of the two infusions.
        let c = |t: f64| -> f64 {
            given
                .iter()
                .map(|&(td, mg)| {
                    let dt = t - td;
                    let rate = mg / tinf;
                    if dt <= 0.0 {
                        0.0
                    } else if dt < tinf {
                        rate / cl * (1.0 - (-k * dt).exp())
                    } else {
                        rate / cl * (1.0 - (-k * tinf).exp()) * (-k * (dt - tinf)).exp()
                    }
                })
                .sum()
        };
        let (t1, t2) = (14.5, 23.5);
        let auc =
            level_based_auc24(&given, tinf, 2000.0, (t1, c(t1)), (t2, c(t2))).expect("two levels");
        assert!((auc - 400.0).abs() < 1e-9, "{auc}");
    }

    #[test]
    fn level_based_auc_needs_declining_levels_after_a_dose() {
        assert!(
            level_based_auc24(&[(0.0, 1000.0)], 1.0, 2000.0, (2.0, 10.0), (8.0, 12.0)).is_none()
        );
        assert!(
            level_based_auc24(&[(10.0, 1000.0)], 1.0, 2000.0, (2.0, 10.0), (8.0, 5.0)).is_none()
        );
    }

    #[test]
    fn rounding_keeps_at_least_one_step() {
        assert_eq!(round(5.26, Some(0.5)), 5.5);
        assert_eq!(round(0.1, Some(0.5)), 0.5);
        assert_eq!(round(5.26, None), 5.26);
    }
}
