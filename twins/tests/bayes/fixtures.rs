//! Models and helpers shared by the test modules.

use std::path::{Path, PathBuf};

use twins::model_file::ModelSpec;
use twins::{Error, Result};

/// A 1-compartment oral model with log-normal CL, V, KA and combined error: the recovery and
/// sequential tests' model.
pub const ORAL: &str = r#"(
    name: "1-compartment oral (test)",
    structure: (compartments: 1, absorption: FirstOrder, elimination: Linear),
    parameters: {"CL": (value: 4.0, unit: "L/h"), "V": (value: 40.0, unit: "L"), "KA": (value: 1.2, unit: "1/h")},
    outputs: [(name: "CP", compartment: "central", unit: "mg/L")],
    random_effects: (parameters: [(name: "CL"), (name: "V"), (name: "KA")],
                     omega: [[0.09, 0.02, 0.0], [0.02, 0.04, 0.0], [0.0, 0.0, 0.16]]),
    residual: {"CP": Combined(sd: 0.1, cv: 0.12)},
)"#;

/// A vancomycin-like 2-compartment model (typical values of the order of Goti et al. 2018,
/// Ther Drug Monit 40:212: CL 4.5 L/h, V1 58 L, Q 6.5 L/h, V2 38 L; 30% CV on CL).
pub const VANCO: &str = r#"(
    name: "vancomycin-like 2-compartment (test)",
    structure: (compartments: 2, absorption: None, elimination: Linear),
    parameters: {"CL": (value: 4.5, unit: "L/h"), "V1": (value: 58.0, unit: "L"),
                 "Q": (value: 6.5, unit: "L/h"), "V2": (value: 38.0, unit: "L")},
    outputs: [(name: "CP", compartment: "central", unit: "mg/L")],
    random_effects: (parameters: [(name: "CL"), (name: "V1")], omega: [[0.09, 0.0], [0.0, 0.05]]),
    residual: {"CP": Combined(sd: 1.0, cv: 0.1)},
)"#;

/// Parses a model given as text.
pub fn spec(text: &str) -> Result<ModelSpec> {
    ModelSpec::parse(text, Path::new("test-model.ron"))
}

/// The Theoph fixture folder.
pub fn theoph_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/theoph")
}

/// A temporary directory, with the error mapped into the crate's.
pub fn tempdir() -> Result<tempfile::TempDir> {
    tempfile::tempdir().map_err(|source| Error::Io {
        action: "create temp dir",
        path: PathBuf::from("tmp"),
        source,
    })
}
