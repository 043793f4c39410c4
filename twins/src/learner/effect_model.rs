//! One interface for genotype effects, whether learned or taken from a table.

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::features::{FeatureKind, FeatureValue, FeatureValues};
use super::model::LearnedModel;
use crate::error::{Error, Result, locate};
use crate::genotype::{Diplotype, Gene, GeneCatalogue};
use crate::io::{from_ron_str, read_to_string};
use crate::population::Patient;

/// A log-normal prior for a twin's parameter: log P ~ N(mean_log, var_log).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LogNormalEffect {
    /// Mean of log P.
    pub mean_log: f64,
    /// Variance of log P.
    pub var_log: f64,
}

/// Anything that gives a patient's log-parameter distribution from their genotype
/// (and covariates): the learned model, a literature table, an external model's export.
pub trait GenotypeEffectModel {
    /// The distribution of log(parameter) for `patient`.
    fn predict(&self, patient: &Patient) -> Result<LogNormalEffect>;
}

impl LearnedModel {
    /// The model's feature values for `patient`: genes from its diplotypes, numbers and
    /// categories from its covariates (see [`crate::covariates::Covariates::numeric`]).
    pub fn patient_values(&self, patient: &Patient) -> Result<FeatureValues> {
        let missing = |name: &str| Error::Undefined {
            name: name.to_string(),
            context: format!("the {} model's feature", self.target),
        };
        let mut values = FeatureValues::new();
        for feature in &self.features {
            let name = feature.name.as_str();
            let value = match &feature.kind {
                FeatureKind::Genotype { .. } => patient
                    .diplotype(name)
                    .map(|d| FeatureValue::Text(d.to_string())),
                FeatureKind::Continuous { .. } => {
                    patient.covariates.numeric(name).map(FeatureValue::Number)
                }
                FeatureKind::Categorical { .. } => {
                    patient.covariates.category(name).map(FeatureValue::Text)
                }
            };
            values.insert(feature.name.clone(), value.ok_or_else(|| missing(name))?);
        }
        Ok(values)
    }
}

impl GenotypeEffectModel for LearnedModel {
    fn predict(&self, patient: &Patient) -> Result<LogNormalEffect> {
        let p = LearnedModel::predict(self, &self.patient_values(patient)?)?;
        Ok(LogNormalEffect {
            mean_log: p.mean_log,
            var_log: p.var_log,
        })
    }
}

/// One row of an effect table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffectRow {
    /// Diplotype (`*1/*3`).
    pub diplotype: String,
    /// Mean of log(parameter) for this diplotype.
    pub mean_log: f64,
    /// Standard deviation of log(parameter).
    pub sd_log: f64,
}

/// An effect table as written in RON (or read from CSV with columns
/// `diplotype,mean_log,sd_log`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EffectTableFile {
    /// Parameter (`CL`).
    pub target: String,
    /// Gene.
    pub gene: String,
    /// Where the numbers come from.
    #[serde(default)]
    pub source: String,
    /// Rows.
    pub rows: Vec<EffectRow>,
}

/// A table of log-parameter mean and SD per diplotype (literature or an external model).
#[derive(Debug, Clone)]
pub struct EffectTable {
    file: EffectTableFile,
    gene: Arc<Gene>,
    /// Allele indices of each row, in table order.
    keys: Vec<[usize; 2]>,
}

impl EffectTable {
    /// Validates `file` against `genes` (gene known, diplotypes parse, SDs ≥ 0, no duplicates).
    pub fn new(file: EffectTableFile, genes: &GeneCatalogue) -> Result<EffectTable> {
        EffectTable::validate(file, genes).map_err(|(e, _)| e)
    }

    fn validate(
        file: EffectTableFile,
        genes: &GeneCatalogue,
    ) -> std::result::Result<EffectTable, (Error, Option<String>)> {
        let gene = Arc::clone(
            genes
                .get(&file.gene)
                .map_err(|e| (e, Some("gene".into())))?,
        );
        let mut keys = Vec::with_capacity(file.rows.len());
        for row in &file.rows {
            let key = Some(format!("\"{}\"", row.diplotype));
            let d = Diplotype::parse(&gene, &row.diplotype).map_err(|e| (e, key.clone()))?;
            if !(row.mean_log.is_finite() && row.sd_log.is_finite() && row.sd_log >= 0.0) {
                let e = Error::InvalidValue {
                    name: format!("{} sd_log", row.diplotype),
                    value: row.sd_log,
                    expected: "finite mean_log and sd_log >= 0",
                };
                return Err((e, key));
            }
            if keys.contains(&d.indices()) {
                let e = Error::Inconsistent {
                    what: format!("diplotype {d} appears twice"),
                };
                return Err((e, key));
            }
            keys.push(d.indices());
        }
        Ok(EffectTable { file, gene, keys })
    }

    /// Reads a RON effect table; errors name the file and position.
    pub fn from_ron_path(path: &Path, genes: &GeneCatalogue) -> Result<EffectTable> {
        let text = read_to_string(path)?;
        let file: EffectTableFile = from_ron_str(&text, path)?;
        EffectTable::validate(file, genes)
            .map_err(|(e, key)| e.in_file(path, key.and_then(|k| locate(&text, &k))))
    }

    /// Reads a CSV effect table (`diplotype,mean_log,sd_log`) for `target` and `gene`.
    pub fn from_csv_path(
        path: &Path,
        target: &str,
        gene: &str,
        genes: &GeneCatalogue,
    ) -> Result<EffectTable> {
        let table = super::data::TrainingTable::from_path(path)?;
        let (d, m, s) = (
            table.column("diplotype")?,
            table.column("mean_log")?,
            table.column("sd_log")?,
        );
        let mut rows = Vec::with_capacity(table.len());
        for r in 0..table.len() {
            rows.push(EffectRow {
                diplotype: table.cell(r, d).to_string(),
                mean_log: table.number(r, m)?,
                sd_log: table.number(r, s)?,
            });
        }
        let file = EffectTableFile {
            target: target.into(),
            gene: gene.into(),
            source: path.display().to_string(),
            rows,
        };
        EffectTable::validate(file, genes).map_err(|(e, _)| e.in_file(path, None))
    }

    /// The table as written.
    pub fn file(&self) -> &EffectTableFile {
        &self.file
    }
}

impl GenotypeEffectModel for EffectTable {
    fn predict(&self, patient: &Patient) -> Result<LogNormalEffect> {
        let d = patient
            .diplotype(self.gene.name())
            .ok_or_else(|| Error::Undefined {
                name: self.gene.name().to_string(),
                context: format!("the {} effect table", self.file.target),
            })?;
        let i = self
            .keys
            .iter()
            .position(|k| *k == d.indices())
            .ok_or_else(|| Error::UnseenLevel {
                feature: self.gene.name().to_string(),
                level: d.to_string(),
            })?;
        let row = &self.file.rows[i];
        Ok(LogNormalEffect {
            mean_log: row.mean_log,
            var_log: row.sd_log * row.sd_log,
        })
    }
}
