//! Every runnable example in `docs/` works: each fenced block whose info string names a file kind
//! is written to a file and read the way twinsim reads that kind, so the user reference cannot
//! drift from the code.
//!
//! | info string | how it is read |
//! |---|---|
//! | `ron model` | `ModelSpec::load` |
//! | `ron population` | `PopulationModel::from_path` |
//! | `ron scenario` | `Scenario::load`, written as `scenarios/example.ron` beside copies of the project's `scenarios/models/` and `scenarios/populations/` |
//! | `csv dataset model=PATH` | `twinsim simulate --model PATH` (PATH from the project root) |
//! | `ron effects` | `LearnedModel::load` |
//! | `json twin` | `TwinFile::load` |
//!
//! Blocks with other info strings (`text`, `console`, plain `ron` fragments) are not run.

use std::path::{Path, PathBuf};

use engine::scenario::{Overrides, Scenario};
use twins::learner::LearnedModel;
use twins::model_file::ModelSpec;
use twins::population::PopulationModel;
use twins::store::TwinFile;
use twinsim_tests::{project_file, succeed, twinsim};

/// A fenced block: its page, the line its fence opens on, its info string and its text.
struct Block {
    page: PathBuf,
    line: usize,
    info: String,
    text: String,
}

fn blocks() -> Vec<Block> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(project_file("docs"))
        .expect("docs/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    pages.sort();
    let mut out = Vec::new();
    for page in pages {
        let text = std::fs::read_to_string(&page).expect("page");
        let mut open: Option<(usize, String, String)> = None;
        for (i, line) in text.lines().enumerate() {
            match &mut open {
                None => {
                    if let Some(info) = line.trim_start().strip_prefix("```") {
                        open = Some((i + 1, info.trim().to_owned(), String::new()));
                    }
                }
                Some((start, info, body)) => {
                    if line.trim_start().starts_with("```") {
                        out.push(Block {
                            page: page.clone(),
                            line: *start,
                            info: std::mem::take(info),
                            text: std::mem::take(body),
                        });
                        open = None;
                    } else {
                        body.push_str(line);
                        body.push('\n');
                    }
                }
            }
        }
        assert!(
            open.is_none(),
            "{}: a fenced block is not closed",
            page.display()
        );
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("dir");
    for entry in std::fs::read_dir(from).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().expect("name"))).expect("copy");
        }
    }
}

/// Reads one block as its kind says; `Ok(false)` for a block that is not runnable.
fn run(block: &Block, dir: &Path) -> Result<bool, String> {
    let mut words = block.info.split_whitespace();
    let (Some(lang), Some(kind)) = (words.next(), words.next()) else {
        return Ok(false);
    };
    let write = |name: &str| {
        let path = dir.join(name);
        std::fs::write(&path, &block.text).expect("example written");
        path
    };
    match (lang, kind) {
        ("ron", "model") => ModelSpec::load(write("model.ron"))
            .map(|_| ())
            .map_err(|e| e.to_string()),
        ("ron", "population") => PopulationModel::from_path(&write("population.ron"))
            .map(|_| ())
            .map_err(|e| e.to_string()),
        ("ron", "scenario") => {
            let root = dir.join("scenarios");
            copy_dir(&project_file("scenarios/models"), &root.join("models"));
            copy_dir(
                &project_file("scenarios/populations"),
                &root.join("populations"),
            );
            let path = root.join("example.ron");
            std::fs::write(&path, &block.text).expect("example written");
            Scenario::load(&path, Overrides::default())
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
        ("csv", "dataset") => {
            let model = words
                .find_map(|w| w.strip_prefix("model="))
                .ok_or("a dataset block needs `model=PATH`")?;
            let data = write("data.csv");
            succeed(
                twinsim()
                    .arg("simulate")
                    .arg("--model")
                    .arg(project_file(model))
                    .arg("--data")
                    .arg(&data)
                    .arg("--out")
                    .arg(dir.join("pred.csv")),
            );
            Ok(())
        }
        ("ron", "effects") => LearnedModel::load(&write("effects.ron"))
            .map(|_| ())
            .map_err(|e| e.to_string()),
        ("json", "twin") => TwinFile::load(&write("twin.json"))
            .map(|_| ())
            .map_err(|e| e.to_string()),
        _ => return Ok(false),
    }
    .map(|()| true)
}

#[test]
fn every_example_in_the_docs_is_read_as_its_kind_says() {
    let blocks = blocks();
    let mut ran = 0;
    let mut failures = Vec::new();
    for block in &blocks {
        let dir = tempfile::tempdir().expect("temp dir");
        match run(block, dir.path()) {
            Ok(true) => ran += 1,
            Ok(false) => {}
            Err(e) => failures.push(format!(
                "{}:{} ({}): {e}",
                block.page.display(),
                block.line,
                block.info
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "examples that fail:\n{}",
        failures.join("\n")
    );
    // docs/model.md alone holds seven model examples.
    assert!(ran >= 7, "only {ran} runnable examples found under docs/");
}
