//! The learner's report: effects with 95% intervals and cross-validation, as JSON or a table.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::cv::CvSummary;
use crate::error::{Error, Result};

/// One reported effect on log(target).
///
/// For a genotype or category, `estimate` is the effect of `level` relative to the
/// reference (log scale), whatever the encoding; for a continuous covariate (`level`
/// `None`) it is the slope per unit (or per log unit when log-transformed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    /// Feature name (`CYP2C9`, `AGE`).
    pub feature: String,
    /// Level (`*1/*3`), or `None` for a continuous feature.
    pub level: Option<String>,
    /// Posterior mean.
    pub estimate: f64,
    /// Lower end of the 95% posterior (Student-t) interval.
    pub lower: f64,
    /// Upper end of the 95% posterior interval.
    pub upper: f64,
}

/// What `twinsim learn --report` writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LearnReport {
    /// Target (`CL`).
    pub target: String,
    /// Effects.
    pub effects: Vec<Effect>,
    /// Cross-validation, when run.
    pub cv: Option<CvSummary>,
}

impl LearnReport {
    /// The report as pretty JSON.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|source| Error::Json { source })
    }

    /// The effect of `feature` at `level`.
    pub fn effect(&self, feature: &str, level: Option<&str>) -> Option<&Effect> {
        self.effects
            .iter()
            .find(|e| e.feature == feature && e.level.as_deref() == level)
    }
}

impl fmt::Display for LearnReport {
    /// A fixed-width table: feature, level, estimate, 95% interval, and fold ratio exp(estimate).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Effects on log({})", self.target)?;
        writeln!(
            f,
            "{:<14} {:<16} {:>9} {:>21} {:>8}",
            "feature", "level", "estimate", "95% interval", "ratio"
        )?;
        for e in &self.effects {
            writeln!(
                f,
                "{:<14} {:<16} {:>9.4} {:>21} {:>8.3}",
                e.feature,
                e.level.as_deref().unwrap_or("(per unit)"),
                e.estimate,
                format!("[{:.4}, {:.4}]", e.lower, e.upper),
                e.estimate.exp()
            )?;
        }
        if let Some(cv) = &self.cv {
            writeln!(
                f,
                "{}-fold cross-validation: RMSE (log) {:.4}, 95% coverage {:.1}%",
                cv.folds,
                cv.rmse,
                100.0 * cv.coverage95
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> LearnReport {
        LearnReport {
            target: "CL".into(),
            effects: vec![
                Effect {
                    feature: "CYP2C9".into(),
                    level: Some("*1/*3".into()),
                    estimate: -0.4,
                    lower: -0.5,
                    upper: -0.3,
                },
                Effect {
                    feature: "AGE".into(),
                    level: None,
                    estimate: -0.01,
                    lower: -0.012,
                    upper: -0.008,
                },
            ],
            cv: Some(CvSummary {
                folds: 5,
                rmse: 0.2,
                coverage95: 0.95,
            }),
        }
    }

    #[test]
    fn json_has_the_documented_shape() -> Result<()> {
        let json: serde_json::Value =
            serde_json::from_str(&report().to_json()?).map_err(|source| Error::Json { source })?;
        assert_eq!(json["target"], "CL");
        assert_eq!(json["effects"][0]["feature"], "CYP2C9");
        assert_eq!(json["effects"][0]["level"], "*1/*3");
        assert!(json["effects"][1]["level"].is_null());
        assert_eq!(json["cv"]["folds"], 5);
        assert!(json["cv"]["coverage95"].is_number());
        Ok(())
    }

    #[test]
    fn table_lists_every_effect() {
        let text = report().to_string();
        assert!(text.contains("*1/*3") && text.contains("(per unit)") && text.contains("5-fold"));
    }
}
