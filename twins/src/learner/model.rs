//! The learned model: training from a table, prediction, effects, saving and loading.

use std::path::Path;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::blr::{Posterior, Prior, StudentT};
use super::data::TrainingTable;
use super::features::{
    Feature, FeatureKind, FeatureValue, FeatureValues, GenotypeEncoding, genotype_feature,
    most_common,
};
use crate::error::{Error, Result, locate};
use crate::genotype::GeneCatalogue;
use crate::io::{from_ron_str, read_to_string, to_ron_string, write_atomic};

/// Probability mass of the reported intervals.
pub const INTERVAL_LEVEL: f64 = 0.95;

/// What to learn and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainingConfig {
    /// Target column: the individual parameter (positive); the model predicts its log.
    pub target: String,
    /// Feature columns: gene names (genotypes) or covariates.
    pub features: Vec<String>,
    /// Patient ID column (checked to exist; not used as a feature).
    pub id_column: String,
    /// Genotype encoding.
    pub encoding: GenotypeEncoding,
    /// Continuous features used as ln(x).
    pub log_features: Vec<String>,
    /// Features read as categories even if numeric (e.g. a 0/1 flag).
    pub categorical: Vec<String>,
    /// Prior.
    pub prior: Prior,
    /// Cross-validation folds (0 or 1: none).
    pub folds: usize,
    /// Seed for the fold assignment.
    pub seed: u64,
}

impl Default for TrainingConfig {
    fn default() -> Self {
        TrainingConfig {
            target: "CL".into(),
            features: Vec::new(),
            id_column: "ID".into(),
            encoding: GenotypeEncoding::OneHot,
            log_features: Vec::new(),
            categorical: Vec::new(),
            prior: Prior::default(),
            folds: 5,
            seed: 1,
        }
    }
}

impl TrainingConfig {
    /// The default settings for `target` and `features` (one-hot genotypes, 5 folds).
    pub fn new(target: &str, features: &[&str]) -> TrainingConfig {
        TrainingConfig {
            target: target.to_string(),
            features: features.iter().map(|f| f.to_string()).collect(),
            ..TrainingConfig::default()
        }
    }
}

/// A prediction of log(parameter): Student-t predictive distribution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Predictive mean of log(parameter).
    pub mean_log: f64,
    /// Predictive variance of log(parameter).
    pub var_log: f64,
    /// Lower end of the 95% predictive interval (log scale).
    pub lower: f64,
    /// Upper end of the 95% predictive interval (log scale).
    pub upper: f64,
    /// The full Student-t.
    pub distribution: StudentT,
}

impl From<StudentT> for Prediction {
    fn from(t: StudentT) -> Prediction {
        let (lower, upper) = t.interval(INTERVAL_LEVEL);
        Prediction {
            mean_log: t.location,
            var_log: t.variance(),
            lower,
            upper,
            distribution: t,
        }
    }
}

/// A fitted genotype/covariate effect model on log(target).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearnedModel {
    /// Target name (e.g. `CL`).
    pub target: String,
    /// Features, in design order (after the intercept).
    pub features: Vec<Feature>,
    /// Prior used.
    pub prior: Prior,
    /// Posterior.
    pub posterior: Posterior,
    /// Training rows.
    pub observations: usize,
}

/// The design matrix of a table under given features.
pub(crate) struct Design {
    pub x: DMatrix<f64>,
    pub y: DVector<f64>,
}

/// Decides each feature's kind and encoding from the table.
fn build_features(
    table: &TrainingTable,
    config: &TrainingConfig,
    genes: &GeneCatalogue,
) -> Result<Vec<Feature>> {
    let mut features = Vec::with_capacity(config.features.len());
    for name in &config.features {
        let col = table.column(name)?;
        let cells: Vec<&str> = (0..table.len()).map(|r| table.cell(r, col)).collect();
        let kind_is_numeric = !config.categorical.contains(name)
            && cells.first().is_some_and(|c| c.parse::<f64>().is_ok());
        let feature = if genes.contains(name) {
            let gene = genes.get(name)?;
            let observed = cells
                .iter()
                .enumerate()
                .map(|(r, c)| {
                    crate::genotype::Diplotype::parse(gene, c).map_err(|e| table.at(r, col, e))
                })
                .collect::<Result<Vec<_>>>()?;
            genotype_feature(name, gene, config.encoding, &observed)?
        } else if kind_is_numeric {
            let log = config.log_features.contains(name);
            let mut sum = 0.0;
            for r in 0..table.len() {
                let x = table.number(r, col)?;
                if log && x <= 0.0 {
                    return Err(table.at(
                        r,
                        col,
                        Error::InvalidValue {
                            name: name.clone(),
                            value: x,
                            expected: "a number > 0 (log-transformed feature)",
                        },
                    ));
                }
                sum += if log { x.ln() } else { x };
            }
            Feature {
                name: name.clone(),
                kind: FeatureKind::Continuous {
                    log,
                    centre: sum / table.len() as f64,
                },
            }
        } else {
            let texts: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
            let reference = most_common(&texts).unwrap_or_default();
            let mut levels: Vec<String> = texts.into_iter().filter(|t| *t != reference).collect();
            levels.sort();
            levels.dedup();
            Feature {
                name: name.clone(),
                kind: FeatureKind::Categorical { reference, levels },
            }
        };
        features.push(feature);
    }
    Ok(features)
}

impl LearnedModel {
    /// Trains on `table` (see [`crate::learner::train_from_csv`] for the whole pipeline).
    pub fn train(
        table: &TrainingTable,
        config: &TrainingConfig,
        genes: &GeneCatalogue,
    ) -> Result<(LearnedModel, DesignParts)> {
        table.column(&config.id_column)?;
        let target_col = table.column(&config.target)?;
        if table.is_empty() {
            return Err(Error::NotEnoughData {
                what: "the training CSV has no rows".into(),
            }
            .in_file(table.path(), None));
        }
        let features = build_features(table, config, genes)?;
        let mut model = LearnedModel {
            target: config.target.clone(),
            features,
            prior: config.prior,
            posterior: Posterior {
                mean: Vec::new(),
                covariance: Vec::new(),
                shape: 1.0,
                scale: 1.0,
            },
            observations: table.len(),
        };
        let columns: Vec<usize> = model
            .features
            .iter()
            .map(|f| table.column(&f.name))
            .collect::<Result<_>>()?;
        let mut rows = Vec::with_capacity(table.len());
        let mut y = Vec::with_capacity(table.len());
        for r in 0..table.len() {
            let target = table.number(r, target_col)?;
            if target <= 0.0 {
                return Err(table.at(
                    r,
                    target_col,
                    Error::InvalidValue {
                        name: config.target.clone(),
                        value: target,
                        expected: "a positive individual parameter",
                    },
                ));
            }
            y.push(target.ln());
            let mut row = vec![1.0];
            for (feature, &col) in model.features.iter().zip(&columns) {
                let value = FeatureValue::Text(table.cell(r, col).to_string());
                feature
                    .encode(&value, &mut row)
                    .map_err(|e| table.at(r, col, e))?;
            }
            rows.push(row);
        }
        let p = rows[0].len();
        let design = Design {
            x: DMatrix::from_fn(rows.len(), p, |i, j| rows[i][j]),
            y: DVector::from_vec(y),
        };
        model.posterior = Posterior::fit(&design.x, &design.y, &config.prior)?;
        Ok((model, DesignParts(design)))
    }

    /// Column names of the design matrix, intercept first.
    pub fn column_names(&self) -> Vec<String> {
        std::iter::once("(intercept)".to_string())
            .chain(self.features.iter().flat_map(Feature::column_names))
            .collect()
    }

    /// The design row (intercept first) for `values`; every feature must be present.
    pub fn design_row(&self, values: &FeatureValues) -> Result<Vec<f64>> {
        let mut row = vec![1.0];
        for feature in &self.features {
            let value = values.get(&feature.name).ok_or_else(|| Error::Undefined {
                name: feature.name.clone(),
                context: format!("the {} model", self.target),
            })?;
            feature.encode(value, &mut row)?;
        }
        Ok(row)
    }

    /// Predictive distribution of log(target) for a patient with `values`.
    pub fn predict(&self, values: &FeatureValues) -> Result<Prediction> {
        Ok(self.posterior.predictive(&self.design_row(values)?).into())
    }

    /// Effects of each feature level relative to its reference, with 95% intervals.
    pub fn effects(&self) -> Result<Vec<super::Effect>> {
        let mut effects = Vec::new();
        let mut offset = 1;
        for feature in &self.features {
            let width = feature.column_names().len();
            for (level, diff) in feature.contrasts()? {
                let mut c = vec![0.0; self.posterior.len()];
                c[offset..offset + width].copy_from_slice(&diff);
                let t = self.posterior.contrast(&c);
                let (lower, upper) = t.interval(INTERVAL_LEVEL);
                effects.push(super::Effect {
                    feature: feature.name.clone(),
                    level,
                    estimate: t.location,
                    lower,
                    upper,
                });
            }
            offset += width;
        }
        Ok(effects)
    }

    /// The model as RON.
    pub fn to_ron(&self) -> Result<String> {
        to_ron_string(self)
    }

    /// Saves the model as RON (atomically).
    pub fn save(&self, path: &Path) -> Result<()> {
        write_atomic(path, self.to_ron()?.as_bytes(), false)
    }

    /// Loads a model saved by [`LearnedModel::save`]; errors name the file and position.
    pub fn load(path: &Path) -> Result<LearnedModel> {
        LearnedModel::from_ron_str(&read_to_string(path)?, path)
    }

    /// Parses and checks a model; `origin` names it in errors.
    pub fn from_ron_str(text: &str, origin: &Path) -> Result<LearnedModel> {
        let model: LearnedModel = from_ron_str(text, origin)?;
        let columns = model.column_names().len();
        model
            .posterior
            .validate(columns)
            .map_err(|e| e.in_file(origin, locate(text, "posterior")))?;
        Ok(model)
    }
}

/// The training design (X with intercept, y = log target), for cross-validation.
pub struct DesignParts(pub(crate) Design);

impl std::fmt::Display for LearnedModel {
    /// The effects table (as in the report, without cross-validation) and the residual scale.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.effects() {
            Ok(effects) => {
                let report = super::LearnReport {
                    target: self.target.clone(),
                    effects,
                    cv: None,
                };
                write!(f, "{report}")?;
            }
            Err(e) => writeln!(f, "(effects unavailable: {e})")?,
        }
        let p = &self.posterior;
        writeln!(
            f,
            "{} observations; residual SD of log({}) ≈ {:.4}",
            self.observations,
            self.target,
            (p.scale / p.shape).sqrt()
        )
    }
}
