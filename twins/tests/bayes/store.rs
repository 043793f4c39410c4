//! The twin store: round trips, the journal and its replay, model fingerprints, format
//! versions, owner-only files, and crash safety under a writer killed mid-write.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rand::RngExt;
use twins::bayes::{DoseEvent, History, Measurement, Observation, PatientData};
use twins::model_file::ModelSpec;
use twins::random::stream_from_seed;
use twins::store::{Change, TwinFile};
use twins::{Error, Result};

use crate::fixtures::{ORAL, tempdir};

/// Environment variables that turn `crash_writer_child` into the writer the crash test kills.
const CHILD_TWIN: &str = "TWINSIM_TEST_CRASH_TWIN";
const CHILD_MODEL: &str = "TWINSIM_TEST_CRASH_MODEL";
/// Times the writer is killed.
const KILLS: usize = 15;

fn dose(time: f64) -> DoseEvent {
    DoseEvent {
        time,
        amount: 300.0,
        cmt: 1,
        rate: 0.0,
        interval: 0.0,
        additional: 0,
        steady_state: 0,
        columns: BTreeMap::new(),
    }
}

fn level(time: f64, value: f64) -> Observation {
    Observation {
        time,
        output: "CP".into(),
        measurement: Measurement::Value(value),
    }
}

fn new_twin(dir: &Path) -> Result<(std::path::PathBuf, std::path::PathBuf, ModelSpec, TwinFile)> {
    let model_path = dir.join("oral.ron");
    twins::io::write_atomic(&model_path, ORAL.as_bytes(), false)?;
    let spec = ModelSpec::load(&model_path)?;
    let patient = PatientData {
        id: "P-1".into(),
        numeric: BTreeMap::from([("WT".into(), 70.0)]),
        ..PatientData::default()
    };
    let twin = TwinFile::new("P-1", patient, &model_path, ORAL.as_bytes());
    Ok((dir.join("p1.twin.json"), model_path, spec, twin))
}

#[test]
fn twin_round_trips_and_its_journal_replays_to_the_same_posteriors() -> Result<()> {
    let dir = tempdir()?;
    let (path, _, spec, mut twin) = new_twin(dir.path())?;
    twin.add(
        &spec,
        History {
            doses: vec![dose(0.0)],
            observations: vec![],
            covariates: Vec::new(),
        },
        "doses.csv",
    )?;
    assert!(twin.posterior.is_none());
    twin.add(
        &spec,
        History {
            doses: vec![],
            observations: vec![level(2.0, 6.0)],
            covariates: Vec::new(),
        },
        "a.csv",
    )?;
    twin.add(
        &spec,
        History {
            doses: vec![dose(12.0)],
            observations: vec![level(11.0, 2.1), level(14.0, 8.2)],
            covariates: Vec::new(),
        },
        "b.csv",
    )?;
    twin.save(&path)?;
    let loaded = TwinFile::load(&path)?;
    assert_eq!(loaded, twin);
    assert_eq!(loaded.journal.len(), 4);
    assert!(matches!(loaded.journal[0].change, Change::Created));
    let replayed = loaded.replay(&spec)?;
    for (entry, posterior) in loaded.journal.iter().zip(&replayed) {
        match (&entry.posterior, posterior) {
            (None, None) => {}
            (Some(a), Some(b)) => {
                for (x, y) in a.eta.iter().zip(&b.eta) {
                    assert!((x - y).abs() < 1e-6, "entry {}: {x} vs {y}", entry.sequence);
                }
            }
            other => panic!("entry {}: {other:?}", entry.sequence),
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .map_err(|source| Error::Io {
                action: "stat",
                path: path.clone(),
                source,
            })?
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "patient data must be owner-only");
    }
    Ok(())
}

#[test]
fn adding_the_same_levels_twice_is_refused_and_changes_nothing() -> Result<()> {
    let dir = tempdir()?;
    let (_, _, spec, mut twin) = new_twin(dir.path())?;
    let levels = History {
        doses: vec![dose(0.0)],
        observations: vec![level(2.0, 6.0)],
        covariates: Vec::new(),
    };
    twin.add(&spec, levels.clone(), "a.csv")?;
    let before = twin.clone();
    let err = twin.add(&spec, levels, "a.csv").expect_err("added twice");
    assert!(
        err.to_string().contains("already has a level of CP at 2 h"),
        "{err}"
    );
    assert_eq!(twin, before);
    Ok(())
}

#[test]
fn a_changed_model_and_a_future_format_are_refused_with_context() -> Result<()> {
    let dir = tempdir()?;
    let (path, model_path, _, twin) = new_twin(dir.path())?;
    twin.save(&path)?;
    let err = twin
        .check_model(&model_path, ORAL.replace("4.0", "4.5").as_bytes())
        .expect_err("a different model");
    assert!(
        matches!(&err, Error::Twin { twin, problem } if twin == "P-1" && matches!(**problem, Error::ModelChanged { .. })),
        "{err}"
    );
    let text = twins::io::read_to_string(&path)?
        .replace("\"format_version\": 1", "\"format_version\": 99");
    twins::io::write_atomic(&path, text.as_bytes(), true)?;
    let err = TwinFile::load(&path).expect_err("version 99");
    assert!(
        matches!(
            err,
            Error::FormatVersion {
                found: 99,
                supported: 1,
                ..
            }
        ),
        "{err}"
    );
    Ok(())
}

#[test]
fn an_edited_history_that_disagrees_with_the_journal_is_refused() -> Result<()> {
    let dir = tempdir()?;
    let (path, _, spec, mut twin) = new_twin(dir.path())?;
    twin.add(
        &spec,
        History {
            doses: vec![dose(0.0)],
            observations: vec![level(2.0, 6.0)],
            covariates: Vec::new(),
        },
        "a.csv",
    )?;
    twin.history.observations[0].measurement = Measurement::Value(60.0);
    twin.save(&path)?;
    let err = TwinFile::load(&path).expect_err("tampered");
    assert!(err.to_string().contains("journal"), "{err}");
    Ok(())
}

/// Not a test on its own: with the environment variables set, the crash test runs this as a
/// child process that updates and saves the twin in a loop until it is killed.
#[test]
fn crash_writer_child() -> Result<()> {
    let (Ok(twin_path), Ok(model_path)) = (std::env::var(CHILD_TWIN), std::env::var(CHILD_MODEL))
    else {
        return Ok(());
    };
    let spec = ModelSpec::load(&model_path)?;
    let mut rng = stream_from_seed(std::process::id().into());
    let mut twin = TwinFile::load(Path::new(&twin_path))?;
    loop {
        let t = twin.history.observations.len() as f64 * 0.5 + 1.0;
        let value = 6.0 * (-0.1 * t).exp() * (1.0 + 0.1 * rng.random_range(-1.0..1.0));
        twin.add(
            &spec,
            History {
                doses: vec![],
                observations: vec![level(t, value)],
                covariates: Vec::new(),
            },
            "child",
        )?;
        twin.save(Path::new(&twin_path))?;
    }
}

/// Spawns this test binary as a writer, kills it after a random delay, and checks the twin file
/// is whole and loadable, with a journal never shorter than before, every time. A temporary file
/// left behind shows a kill landed mid-write (between create and rename).
#[test]
fn killing_a_writer_mid_write_leaves_the_previous_twin_intact() -> Result<()> {
    let dir = tempdir()?;
    let (path, model_path, spec, mut twin) = new_twin(dir.path())?;
    twin.add(
        &spec,
        History {
            doses: vec![dose(0.0)],
            observations: vec![level(1.0, 5.0)],
            covariates: Vec::new(),
        },
        "seed",
    )?;
    // Pad the patient so each write takes a while: more chances to be killed inside one.
    twin.patient.categories = (0..60_000)
        .map(|i| (format!("NOTE{i:05}"), "x".repeat(40)))
        .collect();
    twin.save(&path)?;
    let exe = std::env::current_exe().map_err(|source| Error::Io {
        action: "locate",
        path: "test binary".into(),
        source,
    })?;
    let mut rng = stream_from_seed(99);
    let mut previous = TwinFile::load(&path)?.journal.len();
    let mut mid_write = 0;
    for _ in 0..KILLS {
        let mut child = Command::new(&exe)
            .args(["--exact", "store::crash_writer_child", "--test-threads=1"])
            .env(CHILD_TWIN, &path)
            .env(CHILD_MODEL, &model_path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| Error::Io {
                action: "spawn",
                path: exe.clone(),
                source,
            })?;
        std::thread::sleep(Duration::from_millis(rng.random_range(80..400)));
        child.kill().map_err(|source| Error::Io {
            action: "kill",
            path: exe.clone(),
            source,
        })?;
        child.wait().map_err(|source| Error::Io {
            action: "wait for",
            path: exe.clone(),
            source,
        })?;
        let loaded = TwinFile::load(&path)?;
        assert!(
            loaded.journal.len() >= previous,
            "journal shrank: {} < {previous}",
            loaded.journal.len()
        );
        previous = loaded.journal.len();
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .map_err(|source| Error::Io {
                action: "list",
                path: dir.path().into(),
                source,
            })?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp."))
            .collect();
        if !leftovers.is_empty() {
            mid_write += 1;
            for e in leftovers {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    println!(
        "{KILLS} kills, {mid_write} mid-write; final journal {previous} entries, every version loaded"
    );
    assert!(previous > 2, "the writer never got a write in");
    Ok(())
}
