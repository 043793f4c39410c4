//! Renal function: creatinine clearance.

use super::Sex;

/// Cockcroft–Gault creatinine clearance (Nephron 1976;16:31), using total body weight.
///
/// ```text
/// CrCl [mL/min] = (140 − age [years]) · weight [kg] / (72 · SCr [mg/dL]) · (0.85 if female)
/// ```
pub fn cockcroft_gault_ml_min(
    age_years: f64,
    weight_kg: f64,
    serum_creatinine_mg_dl: f64,
    sex: Sex,
) -> f64 {
    let female_factor = match sex {
        Sex::Female => 0.85,
        Sex::Male => 1.0,
    };
    (140.0 - age_years) * weight_kg / (72.0 * serum_creatinine_mg_dl) * female_factor
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand-computed values, exact to rounding.
    const EPS: f64 = 1e-9;

    #[test]
    fn cockcroft_gault_hand_computed() {
        // (140 − 60)·72 / (72·1.0) = 80 mL/min; female ×0.85 = 68 mL/min.
        assert!((cockcroft_gault_ml_min(60.0, 72.0, 1.0, Sex::Male) - 80.0).abs() < EPS);
        assert!((cockcroft_gault_ml_min(60.0, 72.0, 1.0, Sex::Female) - 68.0).abs() < EPS);
    }
}
