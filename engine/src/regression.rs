//! Regression testing of scenario outputs: a compact, stable results file, and comparison of two
//! with per-quantity tolerances and a readable table of what moved.
//!
//! `results.json` holds, per arm and outcome (and per escalation level), the estimate, its 95%
//! interval and its Monte-Carlo standard error, with the scenario's seed, replicate count, file
//! hash and the twinsim version. A tolerance is absolute, relative, or statistical: the
//! difference must be within `k` combined Monte-Carlo errors, √(se_a² + se_b²).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::run::Summary;

/// Format version of `results.json`.
pub const RESULTS_VERSION: u32 = 1;

/// A tolerance on one quantity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tolerance {
    /// |a − b| ≤ value.
    Absolute(f64),
    /// |a − b| ≤ value·max(|a|, |b|).
    Relative(f64),
    /// |a − b| ≤ value·√(se_a² + se_b²): within that many Monte-Carlo errors.
    McErrors(f64),
}

impl Default for Tolerance {
    /// The same scenario and seed give the same numbers: 1e-9 relative catches any moved number.
    fn default() -> Self {
        Tolerance::Relative(1e-9)
    }
}

/// One quantity of a results file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quantity {
    /// `arm/outcome`, or `escalation/...`.
    pub name: String,
    /// Estimate.
    pub estimate: f64,
    /// Lower bound of the 95% interval.
    #[serde(default)]
    pub lower: Option<f64>,
    /// Upper bound of the 95% interval.
    #[serde(default)]
    pub upper: Option<f64>,
    /// Monte-Carlo standard error of the estimate.
    #[serde(default)]
    pub mc_error: Option<f64>,
    /// This quantity's tolerance, overriding the file's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<Tolerance>,
}

/// `results.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// Format version.
    pub format_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// twinsim's version.
    pub twinsim_version: String,
    /// Hash of the scenario, model and population files.
    pub files_hash: String,
    /// Seed.
    pub seed: u64,
    /// Replicates.
    pub replicates: u32,
    /// The default tolerance of every quantity.
    #[serde(default)]
    pub tolerance: Tolerance,
    /// The quantities, in a fixed order.
    pub quantities: Vec<Quantity>,
}

impl Results {
    /// The compact results of a run.
    pub fn from_summary(summary: &Summary) -> Self {
        let mut quantities = Vec::new();
        for arm in &summary.arms {
            for o in &arm.outcomes {
                let name = format!("{}/{}", arm.name, o.name);
                quantities.push(Quantity {
                    mc_error: Some(o.mc_error),
                    name,
                    estimate: o.result.estimate,
                    lower: Some(o.result.lower),
                    upper: Some(o.result.upper),
                    tolerance: None,
                });
            }
        }
        for c in &summary.comparisons {
            let base = format!("{} vs {}/{}", c.treatment, c.control, c.outcome);
            quantities.push(Quantity {
                name: format!("{base}/difference"),
                estimate: c.difference.estimate,
                lower: Some(c.difference.lower),
                upper: Some(c.difference.upper),
                mc_error: Some(c.difference_mc_error),
                tolerance: None,
            });
            let r = f64::from(summary.replicates);
            quantities.push(Quantity {
                name: format!("{base}/power"),
                estimate: c.power,
                lower: None,
                upper: None,
                mc_error: Some((c.power * (1.0 - c.power) / r).sqrt()),
                tolerance: None,
            });
        }
        if let Some(e) = &summary.escalation {
            let r = f64::from(summary.replicates);
            let binomial = |p: f64| Some((p * (1.0 - p) / r).sqrt());
            for (mg, p) in e.levels_mg.iter().zip(&e.p_select) {
                quantities.push(Quantity {
                    name: format!("escalation/p_select/{mg} mg"),
                    estimate: *p,
                    lower: None,
                    upper: None,
                    mc_error: binomial(*p),
                    tolerance: None,
                });
            }
            quantities.push(Quantity {
                name: "escalation/p_no_mtd".into(),
                estimate: e.p_no_mtd,
                lower: None,
                upper: None,
                mc_error: binomial(e.p_no_mtd),
                tolerance: None,
            });
            quantities.push(Quantity {
                name: "escalation/mean_patients".into(),
                estimate: e.mean_patients,
                lower: None,
                upper: None,
                mc_error: None,
                tolerance: None,
            });
            quantities.push(Quantity {
                name: "escalation/dlt_rate".into(),
                estimate: e.dlt_rate,
                lower: None,
                upper: None,
                mc_error: None,
                tolerance: None,
            });
        }
        Self {
            format_version: RESULTS_VERSION,
            scenario: summary.scenario.clone(),
            twinsim_version: summary.twinsim_version.clone(),
            files_hash: summary.files_hash.clone(),
            seed: summary.seed,
            replicates: summary.replicates,
            tolerance: Tolerance::default(),
            quantities,
        }
    }

    /// Reads a results file.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let bytes = std::fs::read(path).map_err(|e| Error::Output {
            path: path.to_owned(),
            source: Box::new(e),
        })?;
        let results: Results = serde_json::from_slice(&bytes).map_err(|e| Error::Output {
            path: path.to_owned(),
            source: Box::new(e),
        })?;
        if results.format_version != RESULTS_VERSION {
            return Err(Error::scenario(
                path,
                None,
                "format_version",
                format!(
                    "expected results format {RESULTS_VERSION}, found {}",
                    results.format_version
                ),
            ));
        }
        Ok(results)
    }
}

/// One row of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// Quantity name.
    pub name: String,
    /// Expected value (none when the quantity is new).
    pub expected: Option<f64>,
    /// Actual value (none when the quantity disappeared).
    pub actual: Option<f64>,
    /// Whether it is within tolerance.
    pub ok: bool,
    /// The tolerance applied, as text.
    pub tolerance: String,
}

/// Whether `a` and `b` agree within `tolerance` (NaN equals NaN: both undefined).
fn within(a: f64, b: f64, tolerance: Tolerance, se: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    let d = (a - b).abs();
    match tolerance {
        Tolerance::Absolute(t) => d <= t,
        Tolerance::Relative(t) => d <= t * a.abs().max(b.abs()),
        Tolerance::McErrors(k) => d <= k * se || d == 0.0,
    }
}

/// Compares `actual` with `expected`, quantity by quantity (and the header fields).
pub fn compare(expected: &Results, actual: &Results) -> Vec<Difference> {
    let mut out = Vec::new();
    let found: BTreeMap<&str, &Quantity> = actual
        .quantities
        .iter()
        .map(|q| (q.name.as_str(), q))
        .collect();
    for e in &expected.quantities {
        let tolerance = e.tolerance.unwrap_or(expected.tolerance);
        let describe = match tolerance {
            Tolerance::Absolute(t) => format!("abs {t}"),
            Tolerance::Relative(t) => format!("rel {t}"),
            Tolerance::McErrors(k) => format!("{k} MC errors"),
        };
        match found.get(e.name.as_str()) {
            None => out.push(Difference {
                name: e.name.clone(),
                expected: Some(e.estimate),
                actual: None,
                ok: false,
                tolerance: describe,
            }),
            Some(a) => {
                let se =
                    (e.mc_error.unwrap_or(0.0).powi(2) + a.mc_error.unwrap_or(0.0).powi(2)).sqrt();
                let mut ok = within(e.estimate, a.estimate, tolerance, se);
                // With a value-exact tolerance, interval bounds must not move either.
                if !matches!(tolerance, Tolerance::McErrors(_)) {
                    for (x, y) in [(e.lower, a.lower), (e.upper, a.upper)] {
                        if let (Some(x), Some(y)) = (x, y) {
                            ok &= within(x, y, tolerance, se);
                        }
                    }
                }
                out.push(Difference {
                    name: e.name.clone(),
                    expected: Some(e.estimate),
                    actual: Some(a.estimate),
                    ok,
                    tolerance: describe,
                });
            }
        }
    }
    for a in &actual.quantities {
        if !expected.quantities.iter().any(|e| e.name == a.name) {
            out.push(Difference {
                name: a.name.clone(),
                expected: None,
                actual: Some(a.estimate),
                ok: false,
                tolerance: "new quantity".into(),
            });
        }
    }
    out
}

/// A readable table of the comparison: every quantity, what moved marked, with the change.
pub fn table(differences: &[Difference]) -> String {
    let width = differences
        .iter()
        .map(|d| d.name.chars().count())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<width$}  {:>14}  {:>14}  {:>12}  {:>10}  tolerance",
        "quantity", "expected", "actual", "change", "change %"
    );
    let num = |x: Option<f64>| x.map_or_else(|| "-".to_owned(), |v| format!("{v:.6}"));
    for d in differences {
        let (change, pct) = match (d.expected, d.actual) {
            (Some(e), Some(a)) => (
                format!("{:+.3e}", a - e),
                if e != 0.0 {
                    format!("{:+.3}%", 100.0 * (a - e) / e.abs())
                } else {
                    "-".into()
                },
            ),
            _ => ("-".into(), "-".into()),
        };
        let mark = if d.ok { "  " } else { "✗ " };
        let _ = writeln!(
            s,
            "{mark}{:<width$}  {:>14}  {:>14}  {:>12}  {:>10}  {}",
            d.name,
            num(d.expected),
            num(d.actual),
            change,
            pct,
            d.tolerance,
            width = width - 2
        );
    }
    let moved = differences.iter().filter(|d| !d.ok).count();
    let _ = writeln!(
        s,
        "{moved} of {} quantities moved beyond tolerance",
        differences.len()
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results(values: &[(&str, f64, f64)]) -> Results {
        Results {
            format_version: RESULTS_VERSION,
            scenario: "s".into(),
            twinsim_version: "0".into(),
            files_hash: "0".into(),
            seed: 1,
            replicates: 1,
            tolerance: Tolerance::default(),
            quantities: values
                .iter()
                .map(|&(n, v, se)| Quantity {
                    name: n.into(),
                    estimate: v,
                    lower: None,
                    upper: None,
                    mc_error: Some(se),
                    tolerance: None,
                })
                .collect(),
        }
    }

    #[test]
    fn identical_results_pass_and_a_moved_number_is_caught() {
        let a = results(&[("arm/auc", 20.0, 0.5), ("arm/tir", 0.6, 0.01)]);
        assert!(compare(&a, &a).iter().all(|d| d.ok));
        let b = results(&[("arm/auc", 20.1, 0.5), ("arm/tir", 0.6, 0.01)]);
        let diff = compare(&a, &b);
        assert!(!diff[0].ok && diff[1].ok);
        let text = table(&diff);
        assert!(
            text.contains("✗ arm/auc") && text.contains("+0.500%") && text.contains("1 of 2"),
            "{text}"
        );
    }

    #[test]
    fn statistical_tolerance_allows_monte_carlo_noise() {
        let mut a = results(&[("arm/auc", 20.0, 0.5)]);
        a.tolerance = Tolerance::McErrors(3.0);
        let b = results(&[("arm/auc", 21.0, 0.5)]);
        // |Δ| = 1 ≤ 3·√(0.25 + 0.25) = 2.12.
        assert!(compare(&a, &b)[0].ok);
        let c = results(&[("arm/auc", 23.0, 0.5)]);
        assert!(!compare(&a, &c)[0].ok);
    }

    #[test]
    fn missing_and_new_quantities_are_differences() {
        let a = results(&[("arm/auc", 20.0, 0.5)]);
        let b = results(&[("arm/cmax", 2.0, 0.1)]);
        let diff = compare(&a, &b);
        assert_eq!(diff.len(), 2);
        assert!(diff.iter().all(|d| !d.ok));
    }
}
