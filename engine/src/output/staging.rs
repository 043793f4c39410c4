//! A run's outputs as one set. They are written into a staging folder inside the results folder
//! (`OUT/.twinsim-staging-PID-N`, owner-only), and only when all are complete moved in, with
//! `manifest.json` written last:
//!
//! 1. `OUT/manifest.json` of an earlier run is removed first, so the folder no longer claims to
//!    hold a complete run; then the files that run listed (and any of the names a run writes);
//! 2. the new files are moved in (renames within one file system);
//! 3. `manifest.json` is written: scenario, its files' hash, seed, replicates, twinsim's version
//!    and each file's SHA-256.
//!
//! A folder with a `manifest.json` holds exactly one run's files. A run that fails removes its
//! staging folder; so does Ctrl-C or SIGTERM ([`remove_all_staging`], called by the binary's
//! signal handler), so no patient data stays behind in a partial file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::Error;

/// Names a run writes into its results folder (besides `manifest.json`).
pub const RUN_FILES: &[&str] = &[
    "summary.json",
    "results.json",
    "timecourse.csv",
    "twins.csv",
];

/// Staging folders are named `{STAGING_PREFIX}{PID}-{N}`.
pub const STAGING_PREFIX: &str = ".twinsim-staging-";

/// Version of `manifest.json`.
pub const MANIFEST_VERSION: u32 = 1;

/// Staging folders of this process not yet committed or removed.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// `manifest.json`: what the run was and what it wrote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`].
    pub format_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// The scenario file (absolute).
    pub scenario_file: String,
    /// Hash of the scenario, model and population files.
    pub files_hash: String,
    /// Seed.
    pub seed: u64,
    /// Replicates.
    pub replicates: u32,
    /// twinsim's version.
    pub twinsim_version: String,
    /// SHA-256 of each file of the run, by name.
    pub files: BTreeMap<String, String>,
}

fn io_error(path: &Path, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Output {
        path: path.to_owned(),
        source: Box::new(e),
    }
}

/// A staging folder; dropped uncommitted, it is removed with what it holds.
#[derive(Debug)]
pub struct Staging {
    out: PathBuf,
    dir: PathBuf,
    committed: bool,
}

impl Staging {
    /// Creates `out` if needed and a new staging folder inside it (mode 0700 on unix).
    pub fn create(out: &Path) -> Result<Self, Error> {
        std::fs::create_dir_all(out).map_err(|e| io_error(out, e))?;
        // A run killed without a chance to clean up (SIGKILL) left its staging folder.
        twins::io::remove_orphans(out, STAGING_PREFIX);
        let dir = out.join(format!(
            "{STAGING_PREFIX}{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(&dir).map_err(|e| io_error(&dir, e))?;
        if let Ok(mut live) = LIVE.lock() {
            live.push(dir.clone());
        }
        Ok(Self {
            out: out.to_owned(),
            dir,
            committed: false,
        })
    }

    /// Where the run writes its files.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Moves the staged files into the results folder and writes `manifest.json` last.
    pub fn commit(mut self, summary: &crate::run::Summary) -> Result<Manifest, Error> {
        let mut files = BTreeMap::new();
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(|e| io_error(&self.dir, e))? {
            let entry = entry.map_err(|e| io_error(&self.dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let bytes = std::fs::read(entry.path()).map_err(|e| io_error(&entry.path(), e))?;
            files.insert(name.clone(), twins::store::sha256_hex(&bytes));
            names.push(name);
        }
        // 1. The earlier run stops claiming the folder, then its files go.
        let manifest_path = self.out.join("manifest.json");
        let old: Option<Manifest> = std::fs::read_to_string(&manifest_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        if std::fs::symlink_metadata(&manifest_path).is_ok() {
            std::fs::remove_file(&manifest_path).map_err(|e| io_error(&manifest_path, e))?;
        }
        let old_names = old.iter().flat_map(|m| m.files.keys().cloned());
        // Also partial files an earlier version or a killed run left (or a link planted there).
        let known = RUN_FILES
            .iter()
            .flat_map(|s| [(*s).to_owned(), format!("{s}.partial")]);
        for name in old_names.chain(known) {
            // Only plain names: a manifest cannot send the removal elsewhere.
            if name.contains(['/', '\\']) || name.starts_with('.') {
                continue;
            }
            let path = self.out.join(&name);
            if std::fs::symlink_metadata(&path).is_ok_and(|m| !m.is_dir()) {
                std::fs::remove_file(&path).map_err(|e| io_error(&path, e))?;
            }
        }
        // 2. The new files move in.
        for name in &names {
            let to = self.out.join(name);
            std::fs::rename(self.dir.join(name), &to).map_err(|e| io_error(&to, e))?;
        }
        // 3. The manifest, last.
        let manifest = Manifest {
            format_version: MANIFEST_VERSION,
            scenario: summary.scenario.clone(),
            scenario_file: summary.scenario_file.clone(),
            files_hash: summary.files_hash.clone(),
            seed: summary.seed,
            replicates: summary.replicates,
            twinsim_version: summary.twinsim_version.clone(),
            files,
        };
        let json = serde_json::to_vec_pretty(&manifest).map_err(|e| io_error(&manifest_path, e))?;
        twins::io::write_atomic(&manifest_path, &json, false)
            .map_err(|e| io_error(&manifest_path, e))?;
        self.remove();
        self.committed = true;
        Ok(manifest)
    }

    fn remove(&self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Ok(mut live) = LIVE.lock() {
            live.retain(|d| d != &self.dir);
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            self.remove();
        }
    }
}

/// Removes every staging folder of this process that is not committed (for a signal handler:
/// an interrupted run leaves no partial files, and so no patient data, behind).
pub fn remove_all_staging() {
    // try_lock: a handler must not wait on a lock the interrupted thread may hold.
    if let Ok(live) = LIVE.try_lock() {
        for dir in live.iter() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
