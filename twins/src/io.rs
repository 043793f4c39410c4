//! File helpers: atomic writes and reads that name the file on failure.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Distinguishes temp files of concurrent writers within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` atomically: readers see the old file or the new one, never half.
///
/// The bytes go to a temporary file in the same directory (so the rename stays on one file
/// system), which is flushed to disk (`fsync`) and then renamed over `path`; the directory
/// is synced too where the platform allows. With `owner_only` the file is created with
/// mode `0o600` on unix (read and write for the owner only); elsewhere the flag is ignored.
///
/// ```
/// # let dir = tempfile::tempdir().map_err(|e| twins::Error::Io { action: "create", path: "tmp".into(), source: e })?;
/// let path = dir.path().join("twin.ron");
/// twins::io::write_atomic(&path, b"(id: 1)", true)?;
/// assert_eq!(twins::io::read_to_string(&path)?, "(id: 1)");
/// # Ok::<(), twins::Error>(())
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8], owner_only: bool) -> Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().ok_or_else(|| Error::Io {
        action: "write",
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "path has no file name"),
    })?;
    let temp = dir.join(format!(
        ".{}.tmp.{}.{}",
        file_name.to_string_lossy(),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let io = |action: &'static str, p: &Path| {
        let p = p.to_path_buf();
        move |source| Error::Io {
            action,
            path: p,
            source,
        }
    };
    let result = (|| {
        let mut file = open_new(&temp, owner_only).map_err(io("create", &temp))?;
        file.write_all(bytes).map_err(io("write", &temp))?;
        file.sync_all().map_err(io("sync", &temp))?;
        drop(file);
        fs::rename(&temp, path).map_err(io("rename", path))
    })();
    if result.is_err() {
        // Best effort: the temp file is useless now; the original error is what matters.
        let _ = fs::remove_file(&temp);
    }
    result?;
    // Persist the rename itself. Directories cannot be opened for sync on every platform.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Removes what killed processes left in `dir`: entries named `{prefix}{PID}…` (temporary copies
/// of [`write_atomic`], a run's staging folder) whose process no longer runs. Entries of running
/// processes, this one included, are kept; where a process cannot be checked (no `/proc`),
/// nothing is removed. Best effort: failures are ignored (the next writer tries again).
pub fn remove_orphans(dir: &Path, prefix: &str) {
    let proc = Path::new("/proc/self");
    if !proc.exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(prefix) else {
            continue;
        };
        let pid: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let path = entry.path();
        let _ = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
    }
}

/// Creates `path` for writing, exclusively: an entry already there (a file left by a killed
/// run, or a symbolic link planted to redirect patient data) is removed first, and the file is
/// then created new (`O_CREAT | O_EXCL`, which never follows a link), with mode 0600 when
/// `owner_only` and 0644 otherwise on unix, from its creation. If something re-appears at `path`
/// between the two steps, creation fails rather than follow it.
///
/// # Errors
/// [`Error::Io`] naming `path` when the old entry cannot be removed or the file not created.
pub fn create_exclusive(path: &Path, owner_only: bool) -> Result<File> {
    if fs::symlink_metadata(path).is_ok() {
        fs::remove_file(path).map_err(|source| Error::Io {
            action: "remove the stale",
            path: path.to_path_buf(),
            source,
        })?;
    }
    open_new(path, owner_only).map_err(|source| Error::Io {
        action: "create",
        path: path.to_path_buf(),
        source,
    })
}

fn open_new(path: &Path, owner_only: bool) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if owner_only { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = owner_only;
    options.open(path)
}

/// Reads a whole text file, naming it in the error.
pub fn read_to_string(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|source| Error::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })
}

/// Serialises `value` as pretty RON (the format of every `twins` file).
pub fn to_ron_string<T: serde::Serialize>(value: &T) -> Result<String> {
    let config = ron::ser::PrettyConfig::new().struct_names(false);
    ron::ser::to_string_pretty(value, config).map_err(|source| Error::RonWrite { source })
}

/// Parses RON `text` as `T`, refusing numbers that are not finite (`NaN`, `inf`); errors name
/// `origin` and RON's line and column.
pub fn from_ron_str<T: serde::de::DeserializeOwned>(text: &str, origin: &Path) -> Result<T> {
    // NaN and infinities parse as numbers: refuse them before any field takes one.
    crate::finite::check(text, origin)?;
    // As model and scenario files: an optional field may be written without `Some(...)`.
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(text)
        .map_err(|e| Error::from_ron(origin, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_and_leaves_no_temp_files() -> Result<()> {
        let dir = tempfile::tempdir().map_err(io_err)?;
        let path = dir.path().join("out.txt");
        write_atomic(&path, b"first", false)?;
        write_atomic(&path, b"second", false)?;
        assert_eq!(read_to_string(&path)?, "second");
        let entries = fs::read_dir(dir.path()).map_err(io_err)?.count();
        assert_eq!(entries, 1, "temp files left behind");
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn owner_only_sets_mode_600() -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().map_err(io_err)?;
        let path = dir.path().join("secret.ron");
        write_atomic(&path, b"x", true)?;
        let mode = fs::metadata(&path).map_err(io_err)?.permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        Ok(())
    }

    #[test]
    fn write_into_missing_directory_names_the_file() {
        let err = write_atomic(Path::new("/nonexistent-dir-twins/x.ron"), b"x", false)
            .expect_err("directory does not exist");
        assert!(err.to_string().contains("nonexistent-dir-twins"), "{err}");
    }

    fn io_err(source: std::io::Error) -> Error {
        Error::Io {
            action: "test",
            path: PathBuf::new(),
            source,
        }
    }
}
