//! The population description file (RON mirror) and its validated form.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::distribution::Distribution;
use super::empirical::EmpiricalTable;
use super::trajectory::TrajectoryFile;
use crate::covariates::Sex;
use crate::error::{Error, Result, locate};
use crate::genotype::{Ancestry, Gene, GeneCatalogue};
use crate::io::{from_ron_str, read_to_string};
use crate::variability::{Covariance, RandomEffects, RandomEffectsFile};

/// How far proportions (sex, ancestry mix) may sum from 1: they are typed by hand to
/// 2–4 decimals, so 1e-6 only forgives float rounding of such decimals, not a missing group.
pub const PROPORTION_SUM_TOLERANCE: f64 = 1e-6;

/// The continuous covariates a population can describe (NONMEM-style names in RON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ContinuousCovariate {
    /// Weight, kg.
    #[serde(rename = "WT")]
    Weight,
    /// Height, cm.
    #[serde(rename = "HT")]
    Height,
    /// Age, years.
    #[serde(rename = "AGE")]
    Age,
    /// Serum creatinine, mg/dL.
    #[serde(rename = "SCR")]
    SerumCreatinine,
    /// Albumin, g/dL.
    #[serde(rename = "ALB")]
    Albumin,
}

impl ContinuousCovariate {
    /// The RON / NONMEM name.
    pub fn name(self) -> &'static str {
        match self {
            ContinuousCovariate::Weight => "WT",
            ContinuousCovariate::Height => "HT",
            ContinuousCovariate::Age => "AGE",
            ContinuousCovariate::SerumCreatinine => "SCR",
            ContinuousCovariate::Albumin => "ALB",
        }
    }
}

/// A correlation matrix between some continuous covariates (on the scale of their
/// standard-normal variates: natural scale for normal, log scale for log-normal).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrelationFile {
    /// The covariates, in the matrix's row order.
    pub covariates: Vec<ContinuousCovariate>,
    /// Correlation matrix (unit diagonal).
    pub matrix: Vec<Vec<f64>>,
}

/// A virtual population, as written in RON.
///
/// ```
/// use twins::population::{PopulationFile, PopulationModel};
///
/// let text = r#"(
///     covariates: {
///         WT: LogNormal(median: 75.0, sd_log: 0.2),
///         HT: Normal(mean: 172.0, sd: 9.0),
///         AGE: Truncated(distribution: Normal(mean: 50.0, sd: 15.0), min: 18.0, max: 90.0),
///     },
///     correlations: Some((covariates: [WT, HT], matrix: [[1.0, 0.5], [0.5, 1.0]])),
///     sex: {Female: 0.5, Male: 0.5},
///     ancestry: {European: 0.6, African: 0.2, EastAsian: 0.2},
///     genes: ["CYP2C9", "VKORC1"],
/// )"#;
/// let model = PopulationModel::from_ron_str(text, "inline.ron".as_ref())?;
/// let patients = twins::sample_population(&model, 10, 42)?;
/// assert_eq!(patients.len(), 10);
/// # Ok::<(), twins::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationFile {
    /// Continuous covariate distributions; missing ones take [`crate::covariates::CovariatesInput`]'s defaults.
    #[serde(default)]
    pub covariates: BTreeMap<ContinuousCovariate, Distribution>,
    /// Correlations between continuous covariates.
    #[serde(default)]
    pub correlations: Option<CorrelationFile>,
    /// CSV of real patients for `Empirical` covariates, relative to this file's folder.
    #[serde(default)]
    pub empirical: Option<PathBuf>,
    /// Sex proportions; default half and half.
    #[serde(default = "default_sex")]
    pub sex: BTreeMap<Sex, f64>,
    /// Ancestry mix; default all European.
    #[serde(default = "default_ancestry")]
    pub ancestry: BTreeMap<Ancestry, f64>,
    /// Probability that each co-medication flag is set (independently).
    #[serde(default)]
    pub comedications: BTreeMap<String, f64>,
    /// Genes to genotype, sampled from the twin's ancestry group's allele frequencies.
    #[serde(default)]
    pub genes: Vec<String>,
    /// Between-subject random effects.
    #[serde(default)]
    pub random_effects: Option<RandomEffectsFile>,
    /// Covariates that change during a trial, from each twin's baseline (see
    /// [`super::trajectory`]); the others keep their baseline throughout.
    #[serde(default)]
    pub time_varying: BTreeMap<ContinuousCovariate, TrajectoryFile>,
}

fn default_sex() -> BTreeMap<Sex, f64> {
    BTreeMap::from([(Sex::Female, 0.5), (Sex::Male, 0.5)])
}

fn default_ancestry() -> BTreeMap<Ancestry, f64> {
    BTreeMap::from([(Ancestry::European, 1.0)])
}

/// A validated population, ready to sample (see [`crate::sample_population`]).
#[derive(Debug, Clone)]
pub struct PopulationModel {
    pub(crate) file: PopulationFile,
    /// Continuous covariates in a fixed order, with their distributions.
    pub(crate) continuous: Vec<(ContinuousCovariate, Distribution)>,
    /// Positions (in `continuous`) of the correlated covariates and their correlation.
    pub(crate) correlated: Option<(Vec<usize>, Covariance)>,
    /// For each continuous covariate, its empirical column index.
    pub(crate) empirical_columns: Vec<Option<usize>>,
    pub(crate) empirical: Option<EmpiricalTable>,
    /// Female probability.
    pub(crate) female: f64,
    /// Cumulative ancestry proportions.
    pub(crate) ancestry: Vec<(Ancestry, f64)>,
    pub(crate) comedications: Vec<(String, f64)>,
    pub(crate) genes: Vec<Arc<Gene>>,
    pub(crate) random_effects: Option<RandomEffects>,
    /// Time-varying covariates, in a fixed order, with their trajectories.
    pub(crate) time_varying: Vec<(ContinuousCovariate, TrajectoryFile)>,
    /// Covariates fixed for every twin ([`PopulationModel::with_fixed`]).
    pub(crate) fixed: Vec<(String, f64)>,
}

/// A validation error and the RON key it concerns (to locate it in the text).
type Located = (Error, Option<String>);

fn proportions<K: Copy + std::fmt::Debug>(
    what: &str,
    map: &BTreeMap<K, f64>,
) -> std::result::Result<Vec<(K, f64)>, Located> {
    let mut running = 0.0;
    let mut cumulative = Vec::with_capacity(map.len());
    for (k, &p) in map {
        if !p.is_finite() || !(0.0..=1.0).contains(&p) {
            let e = Error::InvalidValue {
                name: format!("{what} proportion of {k:?}"),
                value: p,
                expected: "a proportion in [0, 1]",
            };
            return Err((e, Some(what.into())));
        }
        running += p;
        cumulative.push((*k, running));
    }
    if (running - 1.0).abs() > PROPORTION_SUM_TOLERANCE {
        let e = Error::ProportionSum {
            what: what.into(),
            sum: running,
            tolerance: PROPORTION_SUM_TOLERANCE,
        };
        return Err((e, Some(what.into())));
    }
    Ok(cumulative)
}

impl PopulationModel {
    /// Reads and validates a population file; errors name the file and position.
    pub fn from_path(path: &Path) -> Result<PopulationModel> {
        let text = read_to_string(path)?;
        PopulationModel::from_ron_str(&text, path)
    }

    /// Parses and validates RON `text` with the shipped genes; `origin` names it in errors
    /// and its folder anchors the empirical CSV path.
    pub fn from_ron_str(text: &str, origin: &Path) -> Result<PopulationModel> {
        let file: PopulationFile = from_ron_str(text, origin)?;
        let genes = GeneCatalogue::shipped()?;
        let base = origin.parent().unwrap_or(Path::new(""));
        PopulationModel::validate(file, &genes, base).map_err(|(e, key)| match e {
            // Errors from the empirical CSV already name their own file.
            e @ Error::InFile { .. } => e,
            e => e.in_file(origin, key.and_then(|k| locate(text, &k))),
        })
    }

    /// Validates `file` against `genes`; the empirical CSV path is relative to `base`.
    pub fn new(file: PopulationFile, genes: &GeneCatalogue, base: &Path) -> Result<Self> {
        PopulationModel::validate(file, genes, base).map_err(|(e, _)| e)
    }

    fn validate(
        file: PopulationFile,
        catalogue: &GeneCatalogue,
        base: &Path,
    ) -> std::result::Result<PopulationModel, Located> {
        let continuous: Vec<(ContinuousCovariate, Distribution)> = file
            .covariates
            .iter()
            .map(|(k, d)| (*k, d.clone()))
            .collect();
        for (name, d) in &continuous {
            d.validate(name.name())
                .map_err(|e| (e, Some(name.name().to_string())))?;
        }
        let correlated = match &file.correlations {
            None => None,
            Some(c) => {
                let key = Some("correlations".to_string());
                let cov = Covariance::from_rows("correlation matrix", &c.matrix)
                    .map_err(|e| (e, key.clone()))?;
                if c.covariates.len() != cov.dim() {
                    let e = Error::Inconsistent {
                        what: format!(
                            "correlation matrix is {0}x{0} for {1} covariates",
                            cov.dim(),
                            c.covariates.len()
                        ),
                    };
                    return Err((e, key));
                }
                let mut positions = Vec::new();
                for (i, name) in c.covariates.iter().enumerate() {
                    let unit = (cov.matrix()[(i, i)] - 1.0).abs();
                    let pos = continuous.iter().position(|(k, _)| k == name);
                    let Some(pos) = pos else {
                        let e = Error::Undefined {
                            name: name.name().into(),
                            context: "correlations".into(),
                        };
                        return Err((e, key));
                    };
                    if matches!(continuous[pos].1, Distribution::Empirical { .. }) {
                        let e = Error::Inconsistent {
                            what: format!("{} is empirical and cannot be correlated", name.name()),
                        };
                        return Err((e, key));
                    }
                    if positions.contains(&pos) || unit > 1e-12 {
                        let e = Error::Inconsistent {
                            what: "correlations: covariates must be distinct and the diagonal 1"
                                .into(),
                        };
                        return Err((e, key));
                    }
                    positions.push(pos);
                }
                Some((positions, cov))
            }
        };
        let empirical_names: Vec<String> = continuous
            .iter()
            .filter_map(|(_, d)| match d {
                Distribution::Empirical { column } => Some(column.clone()),
                _ => None,
            })
            .collect();
        let empirical = match (&file.empirical, empirical_names.is_empty()) {
            (Some(path), false) => {
                let mut names = empirical_names.clone();
                names.sort();
                names.dedup();
                Some(EmpiricalTable::from_csv(&base.join(path), &names).map_err(|e| (e, None))?)
            }
            (None, false) => {
                let e = Error::Undefined {
                    name: "empirical".into(),
                    context: format!("Empirical(column: \"{}\")", empirical_names[0]),
                };
                return Err((e, Some("Empirical".into())));
            }
            _ => None,
        };
        let empirical_columns = continuous
            .iter()
            .map(|(_, d)| match (d, &empirical) {
                (Distribution::Empirical { column }, Some(t)) => t.column(column),
                _ => None,
            })
            .collect();
        let sex = proportions("sex", &file.sex)?;
        let female = sex
            .iter()
            .find(|(s, _)| *s == Sex::Female)
            .map_or(0.0, |(_, c)| *c);
        let ancestry = proportions("ancestry", &file.ancestry)?;
        let mut comedications = Vec::new();
        for (flag, &p) in &file.comedications {
            if !p.is_finite() || !(0.0..=1.0).contains(&p) {
                let e = Error::InvalidValue {
                    name: format!("comedication `{flag}` probability"),
                    value: p,
                    expected: "a probability in [0, 1]",
                };
                return Err((e, Some(flag.clone())));
            }
            comedications.push((flag.clone(), p));
        }
        let mut genes = Vec::new();
        for name in &file.genes {
            let gene = catalogue
                .get(name)
                .map_err(|e| (e, Some(format!("\"{name}\""))))?;
            for &(group, _) in &ancestry {
                gene.cumulative(group)
                    .map_err(|e| (e, Some(format!("\"{name}\""))))?;
            }
            genes.push(Arc::clone(gene));
        }
        let random_effects = file
            .random_effects
            .clone()
            .map(RandomEffects::try_from)
            .transpose()
            .map_err(|e| (e, Some("omega".into())))?;
        let mut time_varying = Vec::new();
        for (name, trajectory) in &file.time_varying {
            let key = Some("time_varying".to_owned());
            trajectory
                .validate(name.name())
                .map_err(|e| (e, key.clone()))?;
            if !file.covariates.contains_key(name) {
                let e = Error::Undefined {
                    name: name.name().into(),
                    context: format!(
                        "time_varying (a trajectory starts from the twin's baseline: give {} a \
                         distribution in `covariates`)",
                        name.name()
                    ),
                };
                return Err((e, key));
            }
            time_varying.push((*name, trajectory.clone()));
        }
        Ok(PopulationModel {
            file,
            continuous,
            correlated,
            empirical_columns,
            empirical,
            female,
            ancestry,
            comedications,
            genes,
            random_effects,
            time_varying,
            fixed: Vec::new(),
        })
    }

    /// The description it was built from (for saving as RON).
    pub fn file(&self) -> &PopulationFile {
        &self.file
    }

    /// Whether the population gives covariate `name` (as [`crate::covariates::Covariates`]
    /// names them): `WT`, `HT`, `AGE`, `SCR`, `ALB` when it has a distribution (or a value from
    /// [`PopulationModel::with_fixed`]); `BSA` from `WT` and `HT`; `CRCL` (Cockcroft–Gault) from
    /// `AGE`, `WT` and `SCR`; `SEX` and `ANCESTRY` always (their proportions default to half and
    /// half, and all European); `COMED:flag` when it lists the flag. `None` for a name no
    /// population gives.
    pub fn gives(&self, name: &str) -> Option<bool> {
        if let Some(flag) = name.strip_prefix("COMED:") {
            return Some(
                self.file.comedications.contains_key(flag)
                    || self.fixed.iter().any(|(n, _)| n == name),
            );
        }
        let has = |c: ContinuousCovariate| {
            self.file.covariates.contains_key(&c) || self.fixed.iter().any(|(n, _)| n == c.name())
        };
        let fixed = |n: &str| self.fixed.iter().any(|(f, _)| f == n);
        Some(match name {
            "WT" => has(ContinuousCovariate::Weight),
            "HT" => has(ContinuousCovariate::Height),
            "AGE" => has(ContinuousCovariate::Age),
            "SCR" => has(ContinuousCovariate::SerumCreatinine),
            "ALB" => has(ContinuousCovariate::Albumin),
            "BSA" => {
                fixed("BSA") || has(ContinuousCovariate::Weight) && has(ContinuousCovariate::Height)
            }
            "CRCL" => {
                fixed("CRCL")
                    || has(ContinuousCovariate::Age)
                        && has(ContinuousCovariate::Weight)
                        && has(ContinuousCovariate::SerumCreatinine)
            }
            "SEX" | "ANCESTRY" => true,
            _ => return None,
        })
    }

    /// The numeric covariates a population can give, by name (`COMED:flag` aside).
    pub const COVARIATES: [&'static str; 7] = ["WT", "HT", "AGE", "BSA", "SCR", "CRCL", "ALB"];

    /// The same population with covariates it does not describe fixed at `values` for every
    /// twin (a model file's declared defaults): `WT`, `HT`, `AGE`, `SCR`, `ALB`, `BSA`, `CRCL`,
    /// and `COMED:flag` (0 or 1). Fixing changes no other draw.
    ///
    /// # Errors
    /// A name that is not one of those, or that the population already describes.
    pub fn with_fixed(mut self, values: &[(String, f64)]) -> Result<Self> {
        for (name, value) in values {
            if name.starts_with("COMED:") {
                if *value != 0.0 && *value != 1.0 {
                    return Err(Error::InvalidValue {
                        name: name.clone(),
                        value: *value,
                        expected: "0 (not on it) or 1 (on it) for a co-medication flag",
                    });
                }
                self.fixed.push((name.clone(), *value));
                continue;
            }
            if !Self::COVARIATES.contains(&name.as_str()) {
                return Err(Error::Unknown {
                    what: "covariate to fix".into(),
                    name: name.clone(),
                    hint: crate::names::hint(name, Self::COVARIATES),
                });
            }
            if self.gives(name) == Some(true) && !matches!(name.as_str(), "BSA" | "CRCL") {
                return Err(Error::Inconsistent {
                    what: format!("{name} is described by the population and cannot be fixed"),
                });
            }
            self.fixed.push((name.clone(), *value));
        }
        Ok(self)
    }

    /// Genes sampled for each patient, in order.
    pub fn genes(&self) -> &[Arc<Gene>] {
        &self.genes
    }

    /// Random effects, if any.
    pub fn random_effects(&self) -> Option<&RandomEffects> {
        self.random_effects.as_ref()
    }
}
