//! Features and their encoding into design-matrix columns.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::genotype::{Diplotype, Gene};

/// How a genotype enters the regression. Whatever the encoding, reported effects are
/// per diplotype, on the log scale, relative to the reference diplotype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum GenotypeEncoding {
    /// One indicator column per diplotype seen in training, except the reference.
    #[default]
    OneHot,
    /// One column per non-reference allele: its copy number (0, 1, 2); additive per allele.
    AlleleDosage,
    /// One column: activity score minus the reference diplotype's.
    ActivityScore,
}

/// A feature's value for one patient.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureValue {
    /// A number (continuous covariates).
    Number(f64),
    /// Text: a diplotype (`*1/*3`) or a category (`F`).
    Text(String),
}

/// Feature values by feature name.
pub type FeatureValues = BTreeMap<String, FeatureValue>;

/// What kind of feature, with what the encoding needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FeatureKind {
    /// A gene's diplotype.
    Genotype {
        /// The gene table (alleles, activity values).
        gene: Gene,
        /// Encoding.
        encoding: GenotypeEncoding,
        /// Reference diplotype (`*1/*1` where seen in training, else the most common).
        reference: String,
        /// Non-reference diplotypes seen in training, in table order.
        levels: Vec<String>,
        /// Non-reference alleles seen in training (dosage encoding columns).
        alleles: Vec<String>,
    },
    /// A number, optionally log-transformed, centred at its training mean.
    Continuous {
        /// Whether ln(x) is used.
        log: bool,
        /// Training mean of x (or of ln x).
        centre: f64,
    },
    /// A category, one indicator per non-reference level.
    Categorical {
        /// Reference level (the most common in training).
        reference: String,
        /// Other levels seen in training.
        levels: Vec<String>,
    },
}

/// One feature of the learner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feature {
    /// Name (CSV column; gene name for genotypes).
    pub name: String,
    /// Kind and encoding.
    pub kind: FeatureKind,
}

/// A genotype feature's parts, borrowed from its [`FeatureKind::Genotype`].
struct GenotypeParts<'a> {
    gene: &'a Gene,
    encoding: GenotypeEncoding,
    reference: [usize; 2],
    levels: &'a [String],
    alleles: &'a [String],
}

impl GenotypeParts<'_> {
    /// Appends the design columns of the diplotype with allele indices `pair`.
    fn columns(&self, pair: [usize; 2], out: &mut Vec<f64>) {
        let activity =
            |[a, b]: [usize; 2]| self.gene.alleles()[a].activity + self.gene.alleles()[b].activity;
        match self.encoding {
            GenotypeEncoding::OneHot => {
                let text = self.gene.pair_text(pair);
                out.extend(self.levels.iter().map(|l| f64::from(u8::from(*l == text))));
            }
            GenotypeEncoding::AlleleDosage => {
                let names = pair.map(|i| self.gene.alleles()[i].name.as_str());
                out.extend(
                    self.alleles
                        .iter()
                        .map(|a| names.iter().filter(|n| **n == a.as_str()).count() as f64),
                );
            }
            GenotypeEncoding::ActivityScore => {
                out.push(activity(pair) - activity(self.reference));
            }
        }
    }
}

impl Feature {
    /// Column names this feature adds to the design matrix.
    pub fn column_names(&self) -> Vec<String> {
        match &self.kind {
            FeatureKind::Genotype {
                encoding,
                levels,
                alleles,
                ..
            } => match encoding {
                GenotypeEncoding::OneHot => levels
                    .iter()
                    .map(|l| format!("{}={l}", self.name))
                    .collect(),
                GenotypeEncoding::AlleleDosage => alleles
                    .iter()
                    .map(|a| format!("{}:{a} dose", self.name))
                    .collect(),
                GenotypeEncoding::ActivityScore => vec![format!("{} activity score", self.name)],
            },
            FeatureKind::Continuous { log: true, .. } => vec![format!("log {}", self.name)],
            FeatureKind::Continuous { log: false, .. } => vec![self.name.clone()],
            FeatureKind::Categorical { levels, .. } => levels
                .iter()
                .map(|l| format!("{}={l}", self.name))
                .collect(),
        }
    }

    /// The parts of a genotype feature (an error for other kinds).
    fn genotype_parts(&self) -> Result<GenotypeParts<'_>> {
        match &self.kind {
            FeatureKind::Genotype {
                gene,
                encoding,
                reference,
                levels,
                alleles,
            } => Ok(GenotypeParts {
                gene,
                encoding: *encoding,
                reference: gene.parse_pair(reference)?,
                levels,
                alleles,
            }),
            _ => Err(Error::Inconsistent {
                what: format!("feature `{}` is not a genotype", self.name),
            }),
        }
    }

    /// Appends this feature's columns for `value` to `out`.
    pub fn encode(&self, value: &FeatureValue, out: &mut Vec<f64>) -> Result<()> {
        let text = || match value {
            FeatureValue::Text(t) => t.clone(),
            FeatureValue::Number(x) => x.to_string(),
        };
        match &self.kind {
            FeatureKind::Genotype { .. } => {
                let parts = self.genotype_parts()?;
                let pair = parts.gene.parse_pair(&text())?;
                if parts.encoding == GenotypeEncoding::OneHot
                    && pair != parts.reference
                    && !parts.levels.contains(&parts.gene.pair_text(pair))
                {
                    return Err(Error::UnseenLevel {
                        feature: self.name.clone(),
                        level: parts.gene.pair_text(pair),
                    });
                }
                parts.columns(pair, out);
            }
            FeatureKind::Continuous { log, centre } => {
                let x = match value {
                    FeatureValue::Number(x) => *x,
                    FeatureValue::Text(t) => t.trim().parse().map_err(|_| Error::InvalidValue {
                        name: self.name.clone(),
                        value: f64::NAN,
                        expected: "a number",
                    })?,
                };
                if !x.is_finite() || (*log && x <= 0.0) {
                    return Err(Error::InvalidValue {
                        name: self.name.clone(),
                        value: x,
                        expected: if *log {
                            "a finite number > 0 (log-transformed)"
                        } else {
                            "a finite number"
                        },
                    });
                }
                out.push(if *log { x.ln() } else { x } - centre);
            }
            FeatureKind::Categorical { reference, levels } => {
                let t = text();
                let t = t.trim();
                if t != reference && !levels.iter().any(|l| l == t) {
                    return Err(Error::UnseenLevel {
                        feature: self.name.clone(),
                        level: t.to_string(),
                    });
                }
                out.extend(levels.iter().map(|l| if l == t { 1.0 } else { 0.0 }));
            }
        }
        Ok(())
    }

    /// Contrasts to report: (level, column-difference vector) relative to the reference.
    /// Continuous features report their slope (level `None`).
    pub fn contrasts(&self) -> Result<Vec<(Option<String>, Vec<f64>)>> {
        match &self.kind {
            FeatureKind::Genotype { .. } => {
                let parts = self.genotype_parts()?;
                let mut base = Vec::new();
                parts.columns(parts.reference, &mut base);
                parts
                    .levels
                    .iter()
                    .map(|level| {
                        let mut cols = Vec::new();
                        parts.columns(parts.gene.parse_pair(level)?, &mut cols);
                        let diff = cols.iter().zip(&base).map(|(a, b)| a - b).collect();
                        Ok((Some(level.clone()), diff))
                    })
                    .collect()
            }
            FeatureKind::Continuous { .. } => Ok(vec![(None, vec![1.0])]),
            FeatureKind::Categorical { levels, .. } => Ok(levels
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    let mut c = vec![0.0; levels.len()];
                    c[i] = 1.0;
                    (Some(l.clone()), c)
                })
                .collect()),
        }
    }
}

/// The most common entry of `values` (ties: first in sorted order).
pub(crate) fn most_common(values: &[String]) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for v in values {
        *counts.entry(v).or_default() += 1;
    }
    let max = counts.values().copied().max()?;
    counts
        .into_iter()
        .find(|(_, c)| *c == max)
        .map(|(v, _)| v.to_string())
}

/// Builds a genotype feature from training diplotypes.
pub(crate) fn genotype_feature(
    name: &str,
    gene: &Arc<Gene>,
    encoding: GenotypeEncoding,
    observed: &[Diplotype],
) -> Result<Feature> {
    let reference_d = Diplotype::reference(gene);
    let texts: Vec<String> = observed.iter().map(ToString::to_string).collect();
    let reference = if observed.contains(&reference_d) {
        reference_d.to_string()
    } else {
        most_common(&texts).ok_or_else(|| Error::NotEnoughData {
            what: format!("no {name} diplotypes in the training data"),
        })?
    };
    let mut seen: Vec<&Diplotype> = observed
        .iter()
        .filter(|d| d.to_string() != reference)
        .collect();
    seen.sort_by_key(|d| d.indices());
    seen.dedup();
    let levels = seen.iter().map(|d| d.to_string()).collect();
    let mut allele_idx: Vec<usize> = observed
        .iter()
        .flat_map(Diplotype::indices)
        .filter(|&i| i != gene.reference())
        .collect();
    allele_idx.sort_unstable();
    allele_idx.dedup();
    let alleles = allele_idx
        .iter()
        .map(|&i| gene.alleles()[i].name.clone())
        .collect();
    Ok(Feature {
        name: name.to_string(),
        kind: FeatureKind::Genotype {
            gene: (**gene).clone(),
            encoding,
            reference,
            levels,
            alleles,
        },
    })
}
