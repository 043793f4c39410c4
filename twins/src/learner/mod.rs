//! The genotype-effect learner: Bayesian linear regression of log(parameter) on
//! genotypes and covariates, with closed-form posterior, Student-t predictions,
//! cross-validation and a report.
//!
//! | step | item |
//! | --- | --- |
//! | train from a CSV | [`train_from_csv`] → ([`LearnedModel`], [`LearnReport`]) |
//! | choose encoding, prior, folds | [`TrainingConfig`], [`GenotypeEncoding`], [`Prior`] |
//! | predict a twin's prior | [`LearnedModel::predict`], [`GenotypeEffectModel`] |
//! | literature or external effects | [`EffectTable`] |
//! | held-out predictions for diagnostics | [`train_with_diagnostics`] → [`HeldOut`] |
//! | the maths | [`blr`] |
//!
//! ```
//! use twins::learner::{train_from_csv, TrainingConfig};
//! # let dir = tempfile::tempdir().map_err(|e| twins::Error::Io { action: "create", path: "tmp".into(), source: e })?;
//! # let path = dir.path().join("patients.csv");
//! # let mut csv = String::from("ID,CYP2C9,AGE,CL\n");
//! # for i in 0..40 {
//! #     let (d, effect) = [("*1/*1", 0.0), ("*1/*2", -0.2), ("*1/*3", -0.4)][i % 3];
//! #     let age = 30.0 + i as f64;
//! #     let noise = ((i * 7919) % 13) as f64 / 13.0 * 0.1 - 0.05;
//! #     csv += &format!("{i},{d},{age},{}\n", (1.5 + effect - 0.01 * (age - 50.0) + noise).exp());
//! # }
//! # twins::io::write_atomic(&path, csv.as_bytes(), false)?;
//! let config = TrainingConfig {
//!     target: "CL".into(),
//!     features: vec!["CYP2C9".into(), "AGE".into()],
//!     ..TrainingConfig::default()
//! };
//! let (model, report) = train_from_csv(&path, &config)?;
//! let star3 = report.effect("CYP2C9", Some("*1/*3")).expect("level seen in training");
//! assert!(star3.lower < -0.4 && -0.4 < star3.upper);
//! println!("{report}");
//! # let _ = model;
//! # Ok::<(), twins::Error>(())
//! ```

pub mod blr;
mod cv;
mod data;
mod effect_model;
mod features;
mod model;
mod report;

use std::path::Path;

pub use blr::{Posterior, Prior, StudentT};
pub use cv::{CvSummary, HeldOut, fold_assignment};
pub use data::TrainingTable;
pub use effect_model::{
    EffectRow, EffectTable, EffectTableFile, GenotypeEffectModel, LogNormalEffect,
};
pub use features::{Feature, FeatureKind, FeatureValue, FeatureValues, GenotypeEncoding};
pub use model::{DesignParts, INTERVAL_LEVEL, LearnedModel, Prediction, TrainingConfig};
pub use report::{Effect, LearnReport};

use crate::error::Result;
use crate::genotype::GeneCatalogue;

/// Trains on the CSV at `path` with the shipped gene tables; see [`train_with_genes`].
pub fn train_from_csv(path: &Path, config: &TrainingConfig) -> Result<(LearnedModel, LearnReport)> {
    train_with_genes(path, config, &GeneCatalogue::shipped()?)
}

/// Trains on the CSV at `path`: one row per patient, an ID column, genotype columns
/// (diplotypes such as `*1/*3`; a column is a genotype when its name is a gene in
/// `genes`), covariate columns and the positive target column. Returns the model and
/// its report (effects with 95% intervals, and `config.folds`-fold cross-validation
/// when `folds >= 2`).
pub fn train_with_genes(
    path: &Path,
    config: &TrainingConfig,
    genes: &GeneCatalogue,
) -> Result<(LearnedModel, LearnReport)> {
    let (model, report, _) = train_with_diagnostics(path, config, genes)?;
    Ok((model, report))
}

/// As [`train_with_genes`], and also each row's held-out prediction from the
/// cross-validation (empty when `config.folds < 2`), for predicted-vs-observed and
/// calibration plots.
pub fn train_with_diagnostics(
    path: &Path,
    config: &TrainingConfig,
    genes: &GeneCatalogue,
) -> Result<(LearnedModel, LearnReport, Vec<HeldOut>)> {
    let table = TrainingTable::from_path(path)?;
    let (model, DesignParts(design)) = LearnedModel::train(&table, config, genes)?;
    let held_out = if config.folds >= 2 {
        cv::held_out(&design, &config.prior, config.folds, config.seed)
            .map_err(|e| e.in_file(path, None))?
    } else {
        Vec::new()
    };
    let cv = (config.folds >= 2).then(|| cv::summarise(&held_out, config.folds));
    let report = LearnReport {
        target: model.target.clone(),
        effects: model.effects()?,
        cv,
    };
    Ok((model, report, held_out))
}
