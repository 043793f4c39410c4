//! A gene's allele table: the RON file mirror and the validated [`Gene`].

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{AlleleFunction, Ancestry, Phenotype};
use crate::error::{Error, Result, locate};
use crate::io::{from_ron_str, read_to_string};

/// How far a group's allele frequencies may sum from 1.
///
/// Published frequency tables (CPIC, gnomAD) print 3–4 decimals per allele, so a table of
/// ten alleles can be off by up to ~5e-4 from rounding alone; 1e-3 allows that and still
/// catches a missing or mistyped allele.
pub const FREQUENCY_SUM_TOLERANCE: f64 = 1e-3;

/// One allele as written in a gene file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlleleFile {
    /// Name, e.g. `*3`, `G`, `c.2846A>T`.
    pub name: String,
    /// Function.
    pub function: AlleleFunction,
    /// Activity value (CPIC activity score contribution; 1 = normal function).
    pub activity: f64,
}

/// A band of activity scores mapped to a phenotype (bounds inclusive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreBand {
    /// Lowest score in the band.
    pub min: f64,
    /// Highest score in the band.
    pub max: f64,
    /// Phenotype for scores in the band.
    pub phenotype: Phenotype,
}

/// A pair of allele functions (in either order) mapped to a phenotype.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionPair {
    /// The two alleles' functions.
    pub functions: (AlleleFunction, AlleleFunction),
    /// The phenotype.
    pub phenotype: Phenotype,
}

/// How a diplotype's phenotype is found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PhenotypeRule {
    /// Sum of the two alleles' activity values, looked up in bands (CYP2D6, CYP2C9, DPYD).
    ActivityScore(Vec<ScoreBand>),
    /// The pair of allele functions (CYP2C19, CYP3A5, TPMT, NUDT15, SLCO1B1, VKORC1).
    FunctionPairs(Vec<FunctionPair>),
    /// Carrier of at least one copy of the named allele (HLA).
    Carrier(String),
}

/// A gene table file, as written in RON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneFile {
    /// Gene name, e.g. `CYP2C9` or `HLA-B*15:02`.
    pub gene: String,
    /// Where the table comes from (guideline, year).
    pub source: String,
    /// The reference allele (`*1`, `G`, ...): the remaining frequency mass sits on it.
    pub reference: String,
    /// Alleles.
    pub alleles: Vec<AlleleFile>,
    /// Allele frequencies per ancestry group; each group sums to 1.
    pub frequencies: BTreeMap<Ancestry, BTreeMap<String, f64>>,
    /// Phenotype rule.
    pub phenotypes: PhenotypeRule,
}

/// A validated allele.
#[derive(Debug, Clone, PartialEq)]
pub struct Allele {
    /// Name.
    pub name: String,
    /// Function.
    pub function: AlleleFunction,
    /// Activity value.
    pub activity: f64,
}

/// A validated gene table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "GeneFile", into = "GeneFile")]
pub struct Gene {
    name: String,
    source: String,
    reference: usize,
    alleles: Vec<Allele>,
    /// Per group: cumulative frequencies (normalised to end at exactly 1), by allele index.
    cumulative: BTreeMap<Ancestry, Vec<f64>>,
    /// Per group: frequencies as given, by allele index.
    frequencies: BTreeMap<Ancestry, Vec<f64>>,
    rule: PhenotypeRule,
    single_letter: bool,
}

impl Gene {
    /// Reads and validates a gene file; errors name the file and position.
    pub fn from_path(path: &Path) -> Result<Gene> {
        let text = read_to_string(path)?;
        Gene::from_ron_str(&text, path)
    }

    /// Parses and validates gene RON `text`; `origin` names it in errors.
    pub fn from_ron_str(text: &str, origin: &Path) -> Result<Gene> {
        let file: GeneFile = from_ron_str(text, origin)?;
        Gene::validate(file).map_err(|(e, key)| {
            let position = key.and_then(|k| locate(text, &k));
            e.in_file(origin, position)
        })
    }

    /// Validates, returning the error and the RON key it concerns (for locating it).
    fn validate(file: GeneFile) -> std::result::Result<Gene, (Error, Option<String>)> {
        let gene = file.gene.clone();
        let inconsistent =
            |what: String, key: &str| (Error::Inconsistent { what }, Some(key.to_string()));
        // Diplotypes store allele indices as u16 (to keep a patient's genotypes small).
        if file.alleles.is_empty() || file.alleles.len() > usize::from(u16::MAX) {
            return Err(inconsistent(
                format!(
                    "{gene}: {} alleles (1 to 65535 allowed)",
                    file.alleles.len()
                ),
                "alleles",
            ));
        }
        let mut alleles = Vec::with_capacity(file.alleles.len());
        for a in &file.alleles {
            if alleles.iter().any(|b: &Allele| b.name == a.name) {
                return Err(inconsistent(
                    format!("{gene}: allele `{}` listed twice", a.name),
                    &format!("\"{}\"", a.name),
                ));
            }
            if !a.activity.is_finite() || a.activity < 0.0 {
                return Err((
                    Error::InvalidValue {
                        name: format!("{gene} {} activity", a.name),
                        value: a.activity,
                        expected: "a finite number >= 0",
                    },
                    Some("activity".into()),
                ));
            }
            alleles.push(Allele {
                name: a.name.clone(),
                function: a.function,
                activity: a.activity,
            });
        }
        let index = |name: &str| alleles.iter().position(|a| a.name == name);
        let reference = index(&file.reference).ok_or_else(|| {
            inconsistent(
                format!(
                    "{gene}: reference allele `{}` is not in `alleles`",
                    file.reference
                ),
                "reference",
            )
        })?;
        if let PhenotypeRule::Carrier(allele) = &file.phenotypes
            && index(allele).is_none()
        {
            return Err(inconsistent(
                format!("{gene}: carrier allele `{allele}` is not in `alleles`"),
                "phenotypes",
            ));
        }
        let mut frequencies = BTreeMap::new();
        let mut cumulative = BTreeMap::new();
        for (group, table) in &file.frequencies {
            let mut freq = vec![0.0; alleles.len()];
            for (name, &f) in table {
                let i = index(name).ok_or_else(|| {
                    (
                        Error::UnknownAllele {
                            gene: gene.clone(),
                            allele: name.clone(),
                            diplotype: format!("frequencies of {group:?}"),
                        },
                        Some(format!("\"{name}\"")),
                    )
                })?;
                if !f.is_finite() || !(0.0..=1.0).contains(&f) {
                    return Err((
                        Error::InvalidValue {
                            name: format!("{gene} {name} frequency in {group:?}"),
                            value: f,
                            expected: "a frequency in [0, 1]",
                        },
                        Some(format!("{group:?}")),
                    ));
                }
                freq[i] = f;
            }
            let sum: f64 = freq.iter().sum();
            if (sum - 1.0).abs() > FREQUENCY_SUM_TOLERANCE {
                return Err((
                    Error::FrequencySum {
                        gene: gene.clone(),
                        group: *group,
                        sum,
                        tolerance: FREQUENCY_SUM_TOLERANCE,
                    },
                    Some(format!("{group:?}")),
                ));
            }
            let mut running = 0.0;
            let cum: Vec<f64> = freq
                .iter()
                .map(|f| {
                    running += f / sum;
                    running
                })
                .collect();
            cumulative.insert(*group, cum);
            frequencies.insert(*group, freq);
        }
        let single_letter = alleles.iter().all(|a| a.name.chars().count() == 1);
        Ok(Gene {
            name: file.gene,
            source: file.source,
            reference,
            alleles,
            cumulative,
            frequencies,
            rule: file.phenotypes,
            single_letter,
        })
    }

    /// Gene name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The phenotypes the gene's rule can give, in the table's order (`Indeterminate` last: a
    /// pair no rule covers).
    pub fn phenotypes(&self) -> Vec<super::Phenotype> {
        use super::Phenotype;
        let mut out: Vec<Phenotype> = match &self.rule {
            PhenotypeRule::ActivityScore(bands) => bands.iter().map(|b| b.phenotype).collect(),
            PhenotypeRule::FunctionPairs(pairs) => pairs.iter().map(|p| p.phenotype).collect(),
            PhenotypeRule::Carrier(_) => vec![Phenotype::Carrier, Phenotype::NonCarrier],
        };
        out.push(Phenotype::Indeterminate);
        let mut seen = Vec::new();
        out.retain(|p| {
            let new = !seen.contains(p);
            seen.push(*p);
            new
        });
        out
    }

    /// Checks that `name` is a phenotype this gene can have (`Expresser`, `PoorMetabolizer`, ...).
    ///
    /// # Errors
    /// [`Error::Undefined`] naming the phenotypes it can have, with the closest as a suggestion.
    pub fn check_phenotype(&self, name: &str) -> Result<()> {
        let names: Vec<String> = self.phenotypes().iter().map(|p| format!("{p:?}")).collect();
        if names.iter().any(|n| n == name) {
            return Ok(());
        }
        Err(Error::Unknown {
            what: format!("{} phenotype", self.name),
            name: name.to_owned(),
            hint: crate::names::hint(name, names.iter().map(String::as_str)),
        })
    }

    /// The table's citation.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Alleles, in table order.
    pub fn alleles(&self) -> &[Allele] {
        &self.alleles
    }

    /// Index of the reference allele.
    pub fn reference(&self) -> usize {
        self.reference
    }

    /// Index of the allele called `name`.
    pub fn allele_index(&self, name: &str) -> Option<usize> {
        self.alleles.iter().position(|a| a.name == name)
    }

    /// Allele frequencies of `group`, by allele index.
    pub fn frequencies(&self, group: Ancestry) -> Option<&[f64]> {
        self.frequencies.get(&group).map(Vec::as_slice)
    }

    /// Cumulative (normalised) frequencies of `group`, by allele index.
    pub(crate) fn cumulative(&self, group: Ancestry) -> Result<&[f64]> {
        self.cumulative
            .get(&group)
            .map(Vec::as_slice)
            .ok_or_else(|| Error::MissingFrequencies {
                gene: self.name.clone(),
                group,
            })
    }

    /// The phenotype rule.
    pub fn rule(&self) -> &PhenotypeRule {
        &self.rule
    }

    /// Whether alleles are single letters (VKORC1 `G`/`A`), written as `GA`.
    pub fn single_letter(&self) -> bool {
        self.single_letter
    }

    /// Parses a diplotype's text into allele indices, in table order (see
    /// [`super::Diplotype::parse`] for the accepted forms).
    pub fn parse_pair(&self, text: &str) -> Result<[usize; 2]> {
        let trimmed = text.trim();
        let bad = || Error::BadDiplotype {
            gene: self.name.clone(),
            text: text.to_string(),
        };
        let mut letters = [0u8; 8];
        let (a, b): (&str, &str) = if let Some((a, b)) = trimmed.split_once('/') {
            (a.trim(), b.trim())
        } else if self.single_letter && trimmed.chars().count() == 2 {
            let mut chars = trimmed.chars();
            let (Some(x), Some(y)) = (chars.next(), chars.next()) else {
                return Err(bad());
            };
            let (first, second) = letters.split_at_mut(4);
            (&*x.encode_utf8(first), &*y.encode_utf8(second))
        } else if matches!(self.rule, PhenotypeRule::Carrier(_)) && !trimmed.is_empty() {
            (trimmed, self.alleles[self.reference].name.as_str())
        } else {
            return Err(bad());
        };
        if a.is_empty() || b.is_empty() || b.contains('/') {
            return Err(bad());
        }
        let find = |name: &str| {
            self.allele_index(name).ok_or_else(|| Error::UnknownAllele {
                gene: self.name.clone(),
                allele: name.to_string(),
                diplotype: text.to_string(),
            })
        };
        let (a, b) = (find(a)?, find(b)?);
        Ok(if a <= b { [a, b] } else { [b, a] })
    }

    /// The text of the diplotype with allele indices `pair`: `*1/*3`, or `GA` for
    /// single-letter alleles.
    pub fn pair_text(&self, [a, b]: [usize; 2]) -> String {
        let (a, b) = (&self.alleles[a].name, &self.alleles[b].name);
        if self.single_letter {
            format!("{a}{b}")
        } else {
            format!("{a}/{b}")
        }
    }

    /// The phenotype of alleles `a` and `b` (indices).
    pub(crate) fn phenotype_of(&self, a: usize, b: usize) -> Phenotype {
        let (a, b) = (&self.alleles[a], &self.alleles[b]);
        match &self.rule {
            PhenotypeRule::ActivityScore(bands) => {
                let score = a.activity + b.activity;
                // Scores are multiples of 0.25; half of that separates neighbouring bands.
                const SCORE_SLACK: f64 = 1e-9;
                bands
                    .iter()
                    .find(|band| score >= band.min - SCORE_SLACK && score <= band.max + SCORE_SLACK)
                    .map_or(Phenotype::Indeterminate, |band| band.phenotype)
            }
            PhenotypeRule::FunctionPairs(pairs) => pairs
                .iter()
                .find(|p| {
                    p.functions == (a.function, b.function)
                        || p.functions == (b.function, a.function)
                })
                .map_or(Phenotype::Indeterminate, |p| p.phenotype),
            PhenotypeRule::Carrier(allele) => {
                if &a.name == allele || &b.name == allele {
                    Phenotype::Carrier
                } else {
                    Phenotype::NonCarrier
                }
            }
        }
    }
}

impl TryFrom<GeneFile> for Gene {
    type Error = Error;
    fn try_from(file: GeneFile) -> Result<Gene> {
        Gene::validate(file).map_err(|(e, _)| e)
    }
}

impl From<Gene> for GeneFile {
    fn from(gene: Gene) -> GeneFile {
        let frequencies = gene
            .frequencies
            .iter()
            .map(|(group, freq)| {
                let table = gene
                    .alleles
                    .iter()
                    .zip(freq)
                    .filter(|(_, f)| **f > 0.0)
                    .map(|(a, f)| (a.name.clone(), *f))
                    .collect();
                (*group, table)
            })
            .collect();
        GeneFile {
            reference: gene.alleles[gene.reference].name.clone(),
            alleles: gene
                .alleles
                .into_iter()
                .map(|a| AlleleFile {
                    name: a.name,
                    function: a.function,
                    activity: a.activity,
                })
                .collect(),
            gene: gene.name,
            source: gene.source,
            frequencies,
            phenotypes: gene.rule,
        }
    }
}
