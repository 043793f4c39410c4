//! A patient's covariates and genotypes as plain data: what a twin file stores and a
//! `PATIENT.ron` holds.
//!
//! ```ron
//! (id: "P-017", numeric: {"WT": 82.0, "AGE": 64.0, "CRCL": 71.0}, categories: {"SEX": "M"},
//!  genotypes: {"CYP2C9": "*1/*3"})
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::genotype::{Diplotype, GeneCatalogue};
use crate::model_file::CovariateSource;

/// A patient's covariates and genotypes by name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientData {
    /// The patient's identifier.
    #[serde(default)]
    pub id: String,
    /// Numeric covariates (`WT` kg, `AGE` years, `CRCL` mL/min, ...).
    #[serde(default)]
    pub numeric: BTreeMap<String, f64>,
    /// Categorical covariates (`SEX` → `F`/`M`, ...).
    #[serde(default)]
    pub categories: BTreeMap<String, String>,
    /// Diplotypes by gene, as written (`"*1/*3"`).
    #[serde(default)]
    pub genotypes: BTreeMap<String, String>,
}

impl PatientData {
    /// Reads a `PATIENT.ron` file and checks its genotypes against the shipped gene tables.
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::io::read_to_string(path)?;
        let data: PatientData = crate::io::from_ron_str(&text, path)?;
        data.validate().map_err(|e| e.in_file(path, None))?;
        Ok(data)
    }

    /// Checks numbers are finite and possible for a patient (the limits populations get:
    /// [`crate::covariates::limits`], e.g. a weight in (0, 500] kg) and every diplotype parses.
    pub fn validate(&self) -> Result<()> {
        for (name, &value) in &self.numeric {
            crate::covariates::limits::check(name, name, value)?;
        }
        if !self.genotypes.is_empty() {
            let genes = GeneCatalogue::shipped()?;
            for (gene, text) in &self.genotypes {
                genes.parse_diplotype(gene, text)?;
            }
        }
        Ok(())
    }

    /// Reads the listed covariates and genes from any source (a sampled patient, a data row).
    pub fn from_source(
        id: &str,
        source: &impl CovariateSource,
        numeric: &[&str],
        categories: &[&str],
        genes: &[&str],
    ) -> Self {
        Self {
            id: id.to_owned(),
            numeric: numeric
                .iter()
                .filter_map(|n| source.numeric(n).map(|v| ((*n).to_owned(), v)))
                .collect(),
            categories: categories
                .iter()
                .filter_map(|n| source.category(n).map(|v| ((*n).to_owned(), v)))
                .collect(),
            genotypes: genes
                .iter()
                .filter_map(|g| {
                    source
                        .diplotype(g)
                        .map(|d| ((*g).to_owned(), d.to_string()))
                })
                .collect(),
        }
    }
}

impl CovariateSource for PatientData {
    fn numeric(&self, name: &str) -> Option<f64> {
        self.numeric.get(name).copied()
    }

    fn category(&self, name: &str) -> Option<String> {
        self.categories.get(name).cloned()
    }

    fn diplotype(&self, gene: &str) -> Option<Diplotype> {
        let text = self.genotypes.get(gene)?;
        GeneCatalogue::shipped()
            .ok()?
            .parse_diplotype(gene, text)
            .ok()
    }
}
