//! A patient as saved to a file (RON or JSON): genotypes as text, re-validated on load.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Patient;
use crate::covariates::{Covariates, CovariatesInput};
use crate::error::{Error, Result};
use crate::genotype::GeneCatalogue;
use crate::random::TwinKey;

/// The saved form of a [`Patient`].
///
/// ```
/// use twins::genotype::GeneCatalogue;
/// use twins::population::{PatientRecord, PopulationModel};
///
/// let model = PopulationModel::from_ron_str(r#"(genes: ["CYP2D6"])"#, "p.ron".as_ref())?;
/// let patient = twins::sample_population(&model, 1, 9)?.remove(0);
/// let text = twins::io::to_ron_string(&PatientRecord::from(&patient))?;
/// let record: PatientRecord = twins::io::from_ron_str(&text, "twin.ron".as_ref())?;
/// assert_eq!(record.into_patient(&GeneCatalogue::shipped()?)?, patient);
/// # Ok::<(), twins::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientRecord {
    /// The twin's key.
    pub key: TwinKey,
    /// Covariates.
    pub covariates: Covariates,
    /// Diplotype text by gene name, e.g. `{"CYP2C9": "*1/*3"}`.
    pub genotypes: BTreeMap<String, String>,
    /// Random effects η.
    pub etas: Vec<f64>,
}

impl From<&Patient> for PatientRecord {
    fn from(p: &Patient) -> PatientRecord {
        PatientRecord {
            key: p.key,
            covariates: p.covariates.clone(),
            genotypes: p
                .genotypes
                .iter()
                .map(|d| (d.gene().name().to_string(), d.to_string()))
                .collect(),
            etas: p.etas.clone(),
        }
    }
}

impl PatientRecord {
    /// Validates the record: covariates re-checked, diplotypes parsed against `genes`
    /// (restored in gene-name order), etas finite.
    pub fn into_patient(self, genes: &GeneCatalogue) -> Result<Patient> {
        let c = self.covariates;
        let covariates = Covariates::new(CovariatesInput {
            weight_kg: c.weight_kg,
            height_cm: c.height_cm,
            age_years: c.age_years,
            sex: c.sex,
            bsa_m2: Some(c.bsa_m2),
            bsa_formula: Default::default(),
            serum_creatinine_mg_dl: c.serum_creatinine_mg_dl,
            creatinine_clearance_ml_min: Some(c.creatinine_clearance_ml_min),
            albumin_g_dl: c.albumin_g_dl,
            ancestry: c.ancestry,
            comedications: c.comedications,
        })?;
        let genotypes = self
            .genotypes
            .iter()
            .map(|(gene, text)| genes.parse_diplotype(gene, text))
            .collect::<Result<Vec<_>>>()?;
        if let Some((i, &eta)) = self.etas.iter().enumerate().find(|(_, e)| !e.is_finite()) {
            return Err(Error::InvalidValue {
                name: format!("eta {i}"),
                value: eta,
                expected: "a finite number",
            });
        }
        Ok(Patient {
            key: self.key,
            covariates,
            genotypes,
            etas: self.etas,
        })
    }
}
