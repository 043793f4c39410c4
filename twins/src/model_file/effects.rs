//! Covariate and genotype effects on a parameter's typical value, written as a pharmacometrician
//! writes them in NONMEM's $PK. Every effect multiplies the typical value:
//!
//! | effect | factor |
//! |---|---|
//! | `Power(covariate, reference, exponent)` | (cov / reference)^exponent (allometry: WT, 70, 0.75) |
//! | `Linear(covariate, reference, slope)` | 1 + slope·(cov − reference); with `above_only: true`, 1 + slope·max(cov − reference, 0) |
//! | `Exponential(covariate, reference, coefficient)` | exp(coefficient·(cov − reference)) |
//! | `Categorical(covariate, factors)` | factors[level], 1 for a level not listed |
//! | `Threshold(covariate, threshold, below, above)` | below if cov < threshold, else above |
//! | `Diplotype(gene, factors)` | factors[diplotype], 1 for one not listed (the reference) |
//! | `Phenotype(gene, factors)` | factors[phenotype], 1 for one not listed |
//! | `AlleleCopies(gene, allele, factor)` | factor^(copies of the allele) |

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::dataset::Row;
use crate::error::{Error, Result};
use crate::genotype::{Diplotype, GeneCatalogue};
use crate::population::Patient;

/// One multiplicative effect on a typical value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Effect {
    /// × (cov / reference)^exponent.
    Power {
        /// Covariate name (`WT`, `AGE`, `CRCL`, ...).
        covariate: String,
        /// Reference value, in the covariate's unit.
        reference: f64,
        /// Exponent.
        exponent: f64,
    },
    /// × (1 + slope·(cov − reference)).
    Linear {
        /// Covariate name.
        covariate: String,
        /// Reference value.
        reference: f64,
        /// Slope, per covariate unit.
        slope: f64,
        /// Apply only above the reference: × (1 + slope·max(cov − reference, 0)), as for an
        /// age effect that starts at a given age.
        #[serde(default)]
        above_only: bool,
    },
    /// × exp(coefficient·(cov − reference)).
    Exponential {
        /// Covariate name.
        covariate: String,
        /// Reference value.
        reference: f64,
        /// Coefficient, per covariate unit.
        coefficient: f64,
    },
    /// × `factors[level]`.
    Categorical {
        /// Covariate name (`SEX`, `ANCESTRY`, or a data column).
        covariate: String,
        /// Factor per level; levels not listed have factor 1.
        factors: BTreeMap<String, f64>,
    },
    /// × below when cov < threshold, × above otherwise.
    Threshold {
        /// Covariate name.
        covariate: String,
        /// Threshold, in the covariate's unit.
        threshold: f64,
        /// Factor below the threshold.
        below: f64,
        /// Factor at or above the threshold.
        above: f64,
    },
    /// × `factors[diplotype]`, e.g. `{"*1/*3": 0.6}`.
    Diplotype {
        /// Gene name (`CYP2C9`).
        gene: String,
        /// Factor per diplotype; diplotypes not listed have factor 1.
        factors: BTreeMap<String, f64>,
    },
    /// × `factors[phenotype]`, e.g. `{"PoorMetabolizer": 0.3}`.
    Phenotype {
        /// Gene name.
        gene: String,
        /// Factor per phenotype name; phenotypes not listed have factor 1.
        factors: BTreeMap<String, f64>,
    },
    /// × factor^(copies of `allele`).
    AlleleCopies {
        /// Gene name.
        gene: String,
        /// Allele name (`*3`).
        allele: String,
        /// Factor per copy.
        factor: f64,
    },
}

/// What a parameter model reads from a patient or a data record.
pub trait CovariateSource {
    /// A numeric covariate (`WT` kg, `AGE` years, ...).
    fn numeric(&self, name: &str) -> Option<f64>;
    /// A categorical covariate's level (`SEX` → `F`/`M`).
    fn category(&self, name: &str) -> Option<String>;
    /// The diplotype of `gene`.
    fn diplotype(&self, gene: &str) -> Option<Diplotype>;
}

impl Effect {
    /// The gene or covariate this effect reads.
    pub fn reads(&self) -> &str {
        match self {
            Effect::Power { covariate, .. }
            | Effect::Linear { covariate, .. }
            | Effect::Exponential { covariate, .. }
            | Effect::Categorical { covariate, .. }
            | Effect::Threshold { covariate, .. } => covariate,
            Effect::Diplotype { gene, .. }
            | Effect::Phenotype { gene, .. }
            | Effect::AlleleCopies { gene, .. } => gene,
        }
    }

    /// Whether [`Effect::reads`] names a gene (a genotype effect) rather than a covariate.
    pub fn reads_gene(&self) -> bool {
        matches!(
            self,
            Effect::Diplotype { .. } | Effect::Phenotype { .. } | Effect::AlleleCopies { .. }
        )
    }

    /// Whether the effect reads its covariate as a number (not a category or a gene).
    pub fn reads_number(&self) -> bool {
        matches!(
            self,
            Effect::Power { .. }
                | Effect::Linear { .. }
                | Effect::Exponential { .. }
                | Effect::Threshold { .. }
        )
    }

    /// Checks names against the gene catalogue and numbers for finiteness.
    pub fn validate(&self, genes: &GeneCatalogue) -> Result<()> {
        let finite = |name: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(Error::InvalidValue {
                    name: name.to_owned(),
                    value: v,
                    expected: "a finite number",
                })
            }
        };
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(Error::InvalidValue {
                    name: name.to_owned(),
                    value: v,
                    expected: "a finite factor >= 0",
                })
            }
        };
        match self {
            Effect::Power {
                reference,
                exponent,
                ..
            } => {
                if !(reference.is_finite() && *reference > 0.0) {
                    return Err(Error::InvalidValue {
                        name: "reference".into(),
                        value: *reference,
                        expected: "a finite number > 0",
                    });
                }
                finite("exponent", *exponent)
            }
            Effect::Linear {
                reference, slope, ..
            } => finite("reference", *reference).and(finite("slope", *slope)),
            Effect::Exponential {
                reference,
                coefficient,
                ..
            } => finite("reference", *reference).and(finite("coefficient", *coefficient)),
            Effect::Categorical { factors, .. } => {
                factors.iter().try_for_each(|(k, v)| positive(k, *v))
            }
            Effect::Threshold {
                threshold,
                below,
                above,
                ..
            } => finite("threshold", *threshold)
                .and(positive("below", *below))
                .and(positive("above", *above)),
            Effect::Diplotype { gene, factors } => {
                for (text, v) in factors {
                    genes.parse_diplotype(gene, text)?;
                    positive(text, *v)?;
                }
                Ok(())
            }
            Effect::Phenotype { gene, factors } => {
                let g = genes.get(gene)?;
                for (k, v) in factors {
                    g.check_phenotype(k)?;
                    positive(k, *v)?;
                }
                Ok(())
            }
            Effect::AlleleCopies {
                gene,
                allele,
                factor,
            } => {
                let g = genes.get(gene)?;
                if g.allele_index(allele).is_none() {
                    return Err(Error::UnknownAllele {
                        gene: gene.clone(),
                        allele: allele.clone(),
                        diplotype: allele.clone(),
                    });
                }
                positive("factor", *factor)
            }
        }
    }

    /// The factor for `subject`.
    pub fn factor(&self, subject: &impl CovariateSource) -> Result<f64> {
        let numeric = |name: &str| {
            subject.numeric(name).ok_or_else(|| Error::Undefined {
                name: name.to_owned(),
                context: "a covariate effect".into(),
            })
        };
        let diplotype = |gene: &str| {
            subject.diplotype(gene).ok_or_else(|| Error::Undefined {
                name: gene.to_owned(),
                context: "a genotype effect".into(),
            })
        };
        Ok(match self {
            Effect::Power {
                covariate,
                reference,
                exponent,
            } => (numeric(covariate)? / reference).powf(*exponent),
            Effect::Linear {
                covariate,
                reference,
                slope,
                above_only,
            } => {
                let excess = numeric(covariate)? - reference;
                1.0 + slope * if *above_only { excess.max(0.0) } else { excess }
            }
            Effect::Exponential {
                covariate,
                reference,
                coefficient,
            } => (coefficient * (numeric(covariate)? - reference)).exp(),
            Effect::Categorical { covariate, factors } => {
                let level = subject
                    .category(covariate)
                    .or_else(|| subject.numeric(covariate).map(|x| x.to_string()))
                    .ok_or_else(|| Error::Undefined {
                        name: covariate.clone(),
                        context: "a categorical effect".into(),
                    })?;
                factors.get(&level).copied().unwrap_or(1.0)
            }
            Effect::Threshold {
                covariate,
                threshold,
                below,
                above,
            } => {
                if numeric(covariate)? < *threshold {
                    *below
                } else {
                    *above
                }
            }
            Effect::Diplotype { gene, factors } => {
                let d = diplotype(gene)?;
                let mut own = d.indices();
                own.sort_unstable();
                // Either order of the two alleles names the same diplotype (`*1/*3` = `*3/*1`).
                let mut found = 1.0;
                for (text, factor) in factors {
                    let mut listed = Diplotype::parse(d.gene(), text)?.indices();
                    listed.sort_unstable();
                    if listed == own {
                        found = *factor;
                    }
                }
                found
            }
            Effect::Phenotype { gene, factors } => {
                let p = diplotype(gene)?.phenotype();
                factors.get(&format!("{p:?}")).copied().unwrap_or(1.0)
            }
            Effect::AlleleCopies {
                gene,
                allele,
                factor,
            } => {
                let d = diplotype(gene)?;
                let copies = d
                    .allele_names()
                    .iter()
                    .filter(|a| **a == allele.as_str())
                    .count();
                factor.powi(copies as i32)
            }
        })
    }
}

impl CovariateSource for Patient {
    fn numeric(&self, name: &str) -> Option<f64> {
        self.covariates.numeric(name)
    }

    fn category(&self, name: &str) -> Option<String> {
        self.covariates.category(name)
    }

    fn diplotype(&self, gene: &str) -> Option<Diplotype> {
        Patient::diplotype(self, gene).cloned()
    }
}

impl CovariateSource for crate::population::PatientAt<'_> {
    fn numeric(&self, name: &str) -> Option<f64> {
        self.covariates.numeric(name)
    }

    fn category(&self, name: &str) -> Option<String> {
        self.covariates.category(name)
    }

    fn diplotype(&self, gene: &str) -> Option<Diplotype> {
        self.patient.diplotype(gene).cloned()
    }
}

/// A dataset record read as covariates: numeric columns by name, text columns as categories,
/// and a gene's column (named as the gene, e.g. `CYP2C9` holding `*1/*3`) as its diplotype.
pub struct RowCovariates<'a> {
    /// The record.
    pub row: &'a Row,
    /// Genes to read diplotypes with.
    pub genes: &'a GeneCatalogue,
}

impl CovariateSource for RowCovariates<'_> {
    fn numeric(&self, name: &str) -> Option<f64> {
        match self.row.cell(name)? {
            crate::dataset::Cell::Number(x) => Some(*x),
            _ => None,
        }
    }

    fn category(&self, name: &str) -> Option<String> {
        match self.row.cell(name)? {
            crate::dataset::Cell::Text(t) => Some(t.clone()),
            crate::dataset::Cell::Number(x) => Some(x.to_string()),
            crate::dataset::Cell::Missing => None,
        }
    }

    fn diplotype(&self, gene: &str) -> Option<Diplotype> {
        let text = self.category(gene)?;
        self.genes.parse_diplotype(gene, &text).ok()
    }
}
