//! The values a patient's covariates can take. One table, read by the population sampler
//! ([`super::Covariates::new`]), patient and twin files ([`crate::bayes::PatientData`]) and
//! covariate records: a patient outside it is a unit or typing mistake, never a twin.
//!
//! | name | covariate | unit | allowed |
//! |---|---|---|---|
//! | `WT` | weight | kg | (0, 500] |
//! | `HT` | height | cm | (0, 300] |
//! | `AGE` | age | years | [0, 120] |
//! | `BSA` | body-surface area | m² | (0, 5] |
//! | `SCR` | serum creatinine | mg/dL | (0, 30] |
//! | `CRCL` | creatinine clearance | mL/min | (0, 1000] |
//! | `ALB` | serum albumin | g/dL | (0, 10] (g/L values, 35–50, are refused) |

use crate::error::{Error, Result};

/// One row of the table: the lowest value (`open` when the value must exceed it), the highest,
/// and what the error says was expected.
struct Limit {
    name: &'static str,
    low: f64,
    open_low: bool,
    high: f64,
    expected: &'static str,
}

const LIMITS: &[Limit] = &[
    Limit {
        name: "WT",
        low: 0.0,
        open_low: true,
        high: 500.0,
        expected: "a weight in (0, 500] kg",
    },
    Limit {
        name: "HT",
        low: 0.0,
        open_low: true,
        high: 300.0,
        expected: "a height in (0, 300] cm",
    },
    Limit {
        name: "AGE",
        low: 0.0,
        open_low: false,
        high: 120.0,
        expected: "an age in [0, 120] years",
    },
    Limit {
        name: "BSA",
        low: 0.0,
        open_low: true,
        high: 5.0,
        expected: "a body-surface area in (0, 5] m²",
    },
    Limit {
        name: "SCR",
        low: 0.0,
        open_low: true,
        high: 30.0,
        expected: "a serum creatinine in (0, 30] mg/dL",
    },
    Limit {
        name: "CRCL",
        low: 0.0,
        open_low: true,
        high: 1000.0,
        expected: "a creatinine clearance in (0, 1000] mL/min",
    },
    Limit {
        name: "ALB",
        low: 0.0,
        open_low: true,
        high: 10.0,
        expected: "a serum albumin in (0, 10] g/dL",
    },
];

/// Checks covariate `name` (a NONMEM-style name, e.g. `WT`) against the table; names the table
/// does not hold are only required to be finite. `field` names the value in the error.
///
/// # Errors
/// [`Error::InvalidValue`] naming `field`, the value and the allowed range.
pub fn check(name: &str, field: &str, value: f64) -> Result<f64> {
    let bad = |expected| {
        Err(Error::InvalidValue {
            name: field.to_owned(),
            value,
            expected,
        })
    };
    if !value.is_finite() {
        return bad("a finite number");
    }
    if let Some(l) = LIMITS.iter().find(|l| l.name == name) {
        let above_low = if l.open_low {
            value > l.low
        } else {
            value >= l.low
        };
        if !(above_low && value <= l.high) {
            return bad(l.expected);
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_patients_are_refused_and_the_edges_are_kept() {
        for (name, value) in [
            ("WT", 0.0),
            ("WT", -70.0),
            ("WT", 501.0),
            ("AGE", -1.0),
            ("AGE", 121.0),
            ("CRCL", 0.0),
            ("ALB", 40.0),
            ("HT", f64::NAN),
        ] {
            assert!(check(name, name, value).is_err(), "{name} = {value}");
        }
        for (name, value) in [("WT", 500.0), ("AGE", 0.0), ("AGE", 120.0), ("CRCL", 1.0)] {
            assert_eq!(check(name, name, value).ok(), Some(value));
        }
        assert!(
            check("LDH", "LDH", 1e5).is_ok(),
            "unlisted names are only finite"
        );
    }
}
