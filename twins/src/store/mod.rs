//! The durable twin: one JSON file per twin holding the patient, the model it was made with
//! (path and SHA-256), its doses and observations, its posterior, and a journal of every update.
//!
//! ```json
//! { "format_version": 1, "id": "P-017",
//!   "patient": { "id": "P-017", "numeric": {"WT": 82.0}, "categories": {}, "genotypes": {} },
//!   "model": { "path": "vanco.ron", "sha256": "9f2c…" },
//!   "history": { "doses": [...], "observations": [...] },
//!   "posterior": { "eta_names": ["CL", "V1"], "eta": [0.21, -0.05], "covariance": [[...]], ... },
//!   "journal": [ { "sequence": 0, "unix_time": 1795000000, "change": "Created", "posterior": null },
//!                { "sequence": 1, ..., "change": {"Added": {"source": "levels.csv", "history": {...}}}, ... } ] }
//! ```
//!
//! Durability. Every save writes the whole file to a temporary file in the same folder, syncs it
//! and renames it over the old one ([`crate::io::write_atomic`], mode 0600 on unix: patient
//! data). A crash at any moment leaves either the previous file or the new one, never a mix;
//! nothing already saved is lost. The journal records each update's data and resulting
//! posterior, so a twin can be replayed from its creation ([`TwinFile::replay`]) and its history
//! checked against the journal on load.

mod incoming;
mod json_keys;
mod sha256;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

/// How far (in conditional standard deviations of each η) a replay of the journal may end from
/// the stored posterior mode: the MAP search's own tolerance, with room for another build's
/// rounding.
pub const REPLAY_TOLERANCE_SD: f64 = 1e-3;

pub use incoming::{
    MAX_ETA_PRIOR_SD, OUTLIER_DRAWS, OUTLIER_FACTOR, OUTLIER_QUANTILE, Screened, check_update,
};
pub use sha256::sha256_hex;

use crate::bayes::{
    History, IndividualModel, MapEstimate, MapSettings, PatientData, PosteriorSample,
    SamplingSettings, SequentialUpdater, estimate_map, sample_posterior,
};
use crate::error::{Error, Result};
use crate::model_file::ModelSpec;
use crate::random::stream_from_seed;

/// The twin-file format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Which model file a twin was made with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelReference {
    /// The model file's path, as given when the twin was made.
    pub path: PathBuf,
    /// SHA-256 of the file's bytes (hex).
    pub sha256: String,
}

/// A twin's posterior, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PosteriorSummary {
    /// Random-effect names, in the model's order.
    pub eta_names: Vec<String>,
    /// η at the posterior mode.
    pub eta: Vec<f64>,
    /// Conditional covariance of η at the mode (rows).
    pub covariance: Vec<Vec<f64>>,
    /// −2·log posterior at the mode.
    pub objective: f64,
    /// Whether the search converged.
    pub converged: bool,
    /// Individual parameters at the mode, by name (in the model's units).
    pub parameters: BTreeMap<String, f64>,
    /// Observations the posterior is based on.
    pub observations: usize,
}

impl PosteriorSummary {
    fn new(map: &MapEstimate, model: &IndividualModel<'_>) -> Self {
        Self {
            eta_names: model
                .spec()
                .random_effects()
                .map(|r| r.names().to_vec())
                .unwrap_or_default(),
            eta: map.eta.clone(),
            covariance: map
                .covariance
                .row_iter()
                .map(|r| r.iter().copied().collect())
                .collect(),
            objective: map.objective,
            converged: map.converged,
            parameters: model.parameters(&map.eta),
            observations: model.history().observations.len(),
        }
    }
}

/// What one journal entry did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Change {
    /// The twin was made.
    Created,
    /// Doses and observations were added.
    Added {
        /// Where they came from (a file name).
        source: String,
        /// What was added.
        history: History,
    },
}

/// One entry of a twin's journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalEntry {
    /// 0 for creation, then 1, 2, ...
    pub sequence: u64,
    /// When it was written (seconds since the Unix epoch).
    pub unix_time: u64,
    /// What changed.
    pub change: Change,
    /// The posterior after the change (none before the first observation).
    pub posterior: Option<PosteriorSummary>,
}

/// A twin as stored on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwinFile {
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The twin's identifier.
    pub id: String,
    /// Covariates and genotypes.
    pub patient: PatientData,
    /// The model file.
    pub model: ModelReference,
    /// Every dose and observation so far.
    pub history: History,
    /// The current posterior (none before the first observation).
    pub posterior: Option<PosteriorSummary>,
    /// Every change, oldest first.
    pub journal: Vec<JournalEntry>,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl TwinFile {
    /// A new twin of `patient` for the model read from `model_path`, whose bytes are `model_text`.
    pub fn new(id: &str, patient: PatientData, model_path: &Path, model_text: &[u8]) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            id: id.to_owned(),
            patient,
            model: ModelReference {
                path: model_path.to_owned(),
                sha256: sha256_hex(model_text),
            },
            history: History::default(),
            posterior: None,
            journal: vec![JournalEntry {
                sequence: 0,
                unix_time: now(),
                change: Change::Created,
                posterior: None,
            }],
        }
    }

    /// Reads a twin file, checks its version and that its history is what its journal adds up to.
    pub fn load(path: &Path) -> Result<Self> {
        let text = crate::io::read_to_string(path)?;
        json_keys::check_unique_keys(&text)
            .map_err(|source| Error::Json { source }.in_file(path, None))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|source| Error::Json { source }.in_file(path, None))?;
        let found = value
            .get("format_version")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        if found != u64::from(FORMAT_VERSION) {
            return Err(Error::FormatVersion {
                path: path.to_owned(),
                found: u32::try_from(found).unwrap_or(u32::MAX),
                supported: FORMAT_VERSION,
            });
        }
        let twin: TwinFile = serde_json::from_value(value)
            .map_err(|source| Error::Json { source }.in_file(path, None))?;
        twin.check_journal().map_err(|e| e.in_file(path, None))?;
        // A twin file is read back as strictly as the patient file it was made from: an edited
        // or corrupted genotype must not drop a genotype effect in silence.
        twin.patient
            .validate()
            .map_err(|e| twin.error(e).in_file(path, None))?;
        Ok(twin)
    }

    /// Checks the journal: sequence numbers 0, 1, ... and the history equals the sum of its additions.
    pub fn check_journal(&self) -> Result<()> {
        let mut sum = History::default();
        for (i, entry) in self.journal.iter().enumerate() {
            if entry.sequence != i as u64 {
                return Err(self.error(Error::Inconsistent {
                    what: format!("journal entry {i} has sequence {}", entry.sequence),
                }));
            }
            if let Change::Added { history, .. } = &entry.change {
                sum.extend(history);
            }
        }
        if sum != self.history {
            return Err(self.error(Error::Inconsistent {
                what: "the history differs from what the journal adds up to".into(),
            }));
        }
        Ok(())
    }

    fn error(&self, problem: Error) -> Error {
        Error::Twin {
            twin: self.id.clone(),
            problem: Box::new(problem),
        }
    }

    /// Writes the twin atomically, owner-only; temporary copies a killed process left beside it
    /// are removed ([`crate::io::remove_orphans`]).
    pub fn save(&self, path: &Path) -> Result<()> {
        if let (Some(dir), Some(name)) = (path.parent(), path.file_name()) {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            crate::io::remove_orphans(dir, &format!(".{}.tmp.", name.to_string_lossy()));
        }
        let bytes = serde_json::to_vec_pretty(self).map_err(|source| Error::Json { source })?;
        crate::io::write_atomic(path, &bytes, true)
    }

    /// Checks `model_text` is the model the twin was made with.
    pub fn check_model(&self, model_path: &Path, model_text: &[u8]) -> Result<()> {
        let found = sha256_hex(model_text);
        if found == self.model.sha256 {
            Ok(())
        } else {
            Err(self.error(Error::ModelChanged {
                path: model_path.to_owned(),
                recorded: self.model.sha256.clone(),
                found,
            }))
        }
    }

    /// The twin's model with its whole history.
    pub fn model<'a>(&self, spec: &'a ModelSpec) -> Result<IndividualModel<'a>> {
        IndividualModel::new(spec, &self.patient, &BTreeMap::new(), self.history.clone())
            .map_err(|e| self.error(e))
    }

    /// The current MAP estimate, re-found from the stored mode (a few iterations at most).
    pub fn map_estimate(&self, spec: &ModelSpec) -> Result<Option<MapEstimate>> {
        let Some(posterior) = &self.posterior else {
            return Ok(None);
        };
        let model = self.model(spec)?;
        let objective = model.objective().map_err(|e| self.error(e))?;
        estimate_map(&objective, Some(&posterior.eta), &MapSettings::default())
            .map(Some)
            .map_err(|e| self.error(e))
    }

    /// Draws from the twin's full posterior with a stream seeded by `seed`.
    pub fn sample(
        &self,
        spec: &ModelSpec,
        settings: &SamplingSettings,
        seed: u64,
    ) -> Result<Option<(MapEstimate, PosteriorSample)>> {
        let Some(map) = self.map_estimate(spec)? else {
            return Ok(None);
        };
        let model = self.model(spec)?;
        let objective = model.objective().map_err(|e| self.error(e))?;
        let sample = sample_posterior(&objective, &map, settings, &mut stream_from_seed(seed))
            .map_err(|e| self.error(e))?;
        Ok(Some((map, sample)))
    }

    /// Adds doses and observations, updates the posterior (warm-started from the stored mode)
    /// and appends a journal entry; the posterior is `None` while there are no observations.
    /// A level at the same time and output as one already held is refused (a file added twice).
    /// The caller saves the file.
    pub fn add(
        &mut self,
        spec: &ModelSpec,
        more: History,
        source: &str,
    ) -> Result<Option<&PosteriorSummary>> {
        // The same file observed twice would count its levels twice: refuse repeats.
        for o in &more.observations {
            if self
                .history
                .observations
                .iter()
                .any(|h| h.time == o.time && h.output == o.output)
            {
                return Err(self.error(Error::Inconsistent {
                    what: format!(
                        "{source}: the twin already has a level of {} at {} h (was this file added before?)",
                        o.output, o.time
                    ),
                }));
            }
        }
        let updater = SequentialUpdater::new(spec, &self.patient, &BTreeMap::new())
            .map_err(|e| self.error(e))?;
        let warm = self.posterior.as_ref().map(|p| MapEstimate {
            eta: p.eta.clone(),
            objective: p.objective,
            covariance: DMatrix::identity(p.eta.len(), p.eta.len()),
            covariance_source: crate::bayes::CovarianceSource::Hessian,
            converged: p.converged,
            iterations: 0,
            starts: 0,
            predictions: Vec::new(),
        });
        let mut updater = updater.resume(self.history.clone(), warm);
        let summary = if more.observations.is_empty() && self.posterior.is_none() {
            for dose in &more.doses {
                updater.add_dose(dose.clone()).map_err(|e| self.error(e))?;
            }
            None
        } else {
            let map = updater.extend(&more).map_err(|e| self.error(e))?.clone();
            let model = updater.model().map_err(|e| self.error(e))?;
            Some(PosteriorSummary::new(&map, &model))
        };
        self.history.extend(&more);
        self.posterior = summary.clone();
        self.journal.push(JournalEntry {
            sequence: self.journal.len() as u64,
            unix_time: now(),
            change: Change::Added {
                source: source.to_owned(),
                history: more,
            },
            posterior: summary,
        });
        Ok(self.posterior.as_ref())
    }

    /// Checks the stored posterior is what the journal gives: the last entry's posterior, and
    /// a replay of every entry from creation (re-estimating after each) ending within
    /// [`REPLAY_TOLERANCE_SD`] conditional standard deviations of it in every η.
    ///
    /// # Errors
    /// [`Error::Inconsistent`] naming the random effect (or the entry) that differs.
    pub fn check_posterior(&self, spec: &ModelSpec) -> Result<()> {
        let last = self.journal.last().and_then(|e| e.posterior.as_ref());
        if last != self.posterior.as_ref() {
            return Err(self.error(Error::Inconsistent {
                what: "the stored posterior differs from the journal's last entry".into(),
            }));
        }
        let replayed = self.replay(spec)?.pop().flatten();
        match (&replayed, &self.posterior) {
            (None, None) => Ok(()),
            (Some(r), Some(p)) => {
                for (i, name) in p.eta_names.iter().enumerate() {
                    let sd = p
                        .covariance
                        .get(i)
                        .and_then(|row| row.get(i))
                        .copied()
                        .unwrap_or(0.0)
                        .max(0.0)
                        .sqrt();
                    let (a, b) = (r.eta.get(i).copied(), p.eta.get(i).copied());
                    let close = matches!((a, b), (Some(a), Some(b))
                        if (a - b).abs() <= REPLAY_TOLERANCE_SD * sd + 1e-9);
                    if !close {
                        return Err(self.error(Error::Inconsistent {
                            what: format!(
                                "the stored posterior's eta of {name} ({}) is not what replaying \
                                 the journal gives ({}): the file was edited or is corrupt",
                                b.unwrap_or(f64::NAN),
                                a.unwrap_or(f64::NAN)
                            ),
                        }));
                    }
                }
                Ok(())
            }
            _ => Err(self.error(Error::Inconsistent {
                what: "the stored posterior is not what replaying the journal gives (one has \
                       observations, the other none)"
                    .into(),
            })),
        }
    }

    /// Replays the journal from creation, re-estimating after every entry; returns the posterior
    /// after each entry (for a check against the stored ones).
    pub fn replay(&self, spec: &ModelSpec) -> Result<Vec<Option<PosteriorSummary>>> {
        let mut twin = TwinFile {
            history: History::default(),
            posterior: None,
            journal: self.journal.iter().take(1).cloned().collect(),
            ..self.clone()
        };
        let mut out = vec![None];
        for entry in self.journal.iter().skip(1) {
            if let Change::Added { source, history } = &entry.change {
                twin.add(spec, history.clone(), source)?;
            }
            out.push(twin.posterior.clone());
        }
        Ok(out)
    }
}
