//! The built-in structural models: compartments, absorption and elimination, and the
//! compartment model built from named parameter values.

use std::collections::BTreeMap;

use pk_models::{Absorption, CompartmentModel, Disposition, MichaelisMenten};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How many compartments distribute the drug.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Compartments(u8);

impl TryFrom<u8> for Compartments {
    type Error = String;
    fn try_from(n: u8) -> std::result::Result<Self, String> {
        if (1..=3).contains(&n) {
            Ok(Self(n))
        } else {
            Err(format!("compartments: expected 1, 2 or 3, found {n}"))
        }
    }
}

impl From<Compartments> for u8 {
    fn from(c: Compartments) -> u8 {
        c.0
    }
}

/// Absorption kind of the structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AbsorptionKind {
    /// No depot: doses go straight into a compartment.
    None,
    /// A depot with first-order absorption (`KA`).
    FirstOrder,
    /// Transit compartments before the depot (`NTR`, `MTT`, `KA`).
    Transit,
}

/// Elimination kind of the structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EliminationKind {
    /// Linear clearance `CL`.
    Linear,
    /// Michaelis–Menten only (`VMAX`, `KM`).
    MichaelisMenten,
    /// Both (`CL`, `VMAX`, `KM`).
    LinearAndMichaelisMenten,
}

/// The structural model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Structure {
    /// 1, 2 or 3.
    pub compartments: Compartments,
    /// Absorption.
    pub absorption: AbsorptionKind,
    /// Elimination.
    pub elimination: EliminationKind,
}

fn param(parameters: &BTreeMap<String, f64>, name: &str) -> Result<f64> {
    parameters
        .get(name)
        .copied()
        .ok_or_else(|| Error::Undefined {
            name: name.to_owned(),
            context: "the structural model".to_owned(),
        })
}

/// Builds a compartment model of `structure` from named parameter values.
pub fn build(structure: &Structure, p: &BTreeMap<String, f64>) -> Result<CompartmentModel> {
    let cl = match structure.elimination {
        EliminationKind::MichaelisMenten => p.get("CL").copied().unwrap_or(0.0),
        _ => param(p, "CL")?,
    };
    let disposition = match structure.compartments.0 {
        1 => Disposition::One {
            cl,
            v: param(p, "V")?,
        },
        2 => {
            let v1 = param(p, "V1")?;
            // Micro-constants K12, K21 (1/h) may stand in for Q and V2: Q = K12·V1 (L/h),
            // V2 = Q/K21 (L), so the rate constants stay fixed when V1 varies.
            let (q, v2) = match (p.get("K12"), p.get("K21"), p.contains_key("Q")) {
                (Some(&k12), Some(&k21), false) => (k12 * v1, k12 * v1 / k21),
                _ => (param(p, "Q")?, param(p, "V2")?),
            };
            Disposition::Two { cl, v1, q, v2 }
        }
        _ => Disposition::Three {
            cl,
            v1: param(p, "V1")?,
            q2: param(p, "Q2")?,
            v2: param(p, "V2")?,
            q3: param(p, "Q3")?,
            v3: param(p, "V3")?,
        },
    };
    let absorption = match structure.absorption {
        AbsorptionKind::None => Absorption::None,
        AbsorptionKind::FirstOrder => Absorption::FirstOrder {
            ka: param(p, "KA")?,
        },
        AbsorptionKind::Transit => {
            let n = param(p, "NTR")?;
            if !(n.is_finite() && n >= 0.0 && n.fract() == 0.0) {
                return Err(Error::InvalidValue {
                    name: "NTR".into(),
                    value: n,
                    expected: "a whole number >= 0",
                });
            }
            Absorption::Transit {
                n: n as usize,
                mtt: param(p, "MTT")?,
                ka: param(p, "KA")?,
            }
        }
    };
    let saturable = match structure.elimination {
        EliminationKind::Linear => None,
        _ => Some(MichaelisMenten {
            vmax: param(p, "VMAX")?,
            km: param(p, "KM")?,
        }),
    };
    Ok(CompartmentModel::new(disposition, absorption, saturable)?)
}
