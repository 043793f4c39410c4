//! Outputs of a run: files written under a temporary name and renamed when complete, so an
//! interrupted run leaves nothing that claims to be finished.

pub mod quantiles;
pub mod staging;
pub mod summary;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::Error;

/// A file being written: `NAME.partial` until [`PartialFile::finish`] renames it to `NAME`.
/// Dropped unfinished (a run that stopped with an error), it removes `NAME.partial`: a failed run
/// leaves no patient data behind. Only a killed process leaves one.
#[derive(Debug)]
pub struct PartialFile {
    target: PathBuf,
    partial: PathBuf,
    writer: BufWriter<File>,
    finished: bool,
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

fn output_error(path: &Path, source: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::Output {
        path: path.to_owned(),
        source: Box::new(source),
    }
}

impl PartialFile {
    /// Creates `target.partial`; `owner_only` makes it readable by its owner only (patient data).
    pub fn create(target: &Path, owner_only: bool) -> Result<Self, Error> {
        let mut name = target.file_name().unwrap_or_default().to_os_string();
        name.push(".partial");
        let partial = target.with_file_name(name);
        // Never through a link, and owner-only from creation whatever was there before.
        let file = twins::io::create_exclusive(&partial, owner_only)
            .map_err(|e| output_error(&partial, e))?;
        Ok(Self {
            target: target.to_owned(),
            partial,
            writer: BufWriter::with_capacity(1 << 16, file),
            finished: false,
        })
    }

    /// The writer.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        &mut self.writer
    }

    /// Writes formatted text.
    pub fn write_fmt(&mut self, args: std::fmt::Arguments<'_>) -> Result<(), Error> {
        self.writer
            .write_fmt(args)
            .map_err(|e| output_error(&self.partial, e))
    }

    /// Writes bytes.
    pub fn write_bytes(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.writer
            .write_all(bytes)
            .map_err(|e| output_error(&self.partial, e))
    }

    /// Flushes, syncs and renames to the final name.
    pub fn finish(mut self) -> Result<(), Error> {
        self.writer
            .flush()
            .map_err(|e| output_error(&self.partial, e))?;
        self.writer
            .get_ref()
            .sync_all()
            .map_err(|e| output_error(&self.partial, e))?;
        std::fs::rename(&self.partial, &self.target).map_err(|e| output_error(&self.target, e))?;
        self.finished = true;
        Ok(())
    }
}

/// Quotes a CSV field when it needs it.
pub fn csv_field(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\"")).into()
    } else {
        text.into()
    }
}

/// Writes `value` as pretty JSON to `path`, atomically.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), Error> {
    let json = serde_json::to_vec_pretty(value).map_err(|e| output_error(path, e))?;
    let mut f = PartialFile::create(path, false)?;
    f.write_bytes(&json)?;
    writeln!(f)?;
    f.finish()
}

/// Writes a run's `summary.json` and its compact `results.json` (for `twinsim check`).
pub fn write_summary(out: &Path, summary: &crate::run::Summary) -> Result<(), Error> {
    write_json(&out.join("summary.json"), summary)?;
    write_json(
        &out.join("results.json"),
        &crate::regression::Results::from_summary(summary),
    )
}
