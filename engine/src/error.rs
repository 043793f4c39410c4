//! The one error type of `engine`.

use std::path::PathBuf;

/// Everything that can go wrong reading a scenario or running it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scenario file is wrong: names the file, the line and column (or field path), and what
    /// was expected.
    #[error("{0}")]
    Scenario(Box<ScenarioProblem>),
    /// A file the scenario names could not be read or is wrong.
    #[error("{}: {what}", path.display())]
    Referenced {
        /// The scenario file that names it.
        path: PathBuf,
        /// Which reference, e.g. "model file models/w1.ron".
        what: String,
        /// The underlying problem.
        #[source]
        source: Box<twins::Error>,
    },
    /// A twin's parameters or records were refused by the numerics.
    #[error("replicate {replicate}, arm `{arm}`, twin {twin}: {what}")]
    Twin {
        /// Replicate index.
        replicate: u32,
        /// Arm name.
        arm: String,
        /// Twin index within the arm.
        twin: u32,
        /// What was being done.
        what: &'static str,
        /// The underlying problem.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Writing an output failed.
    #[error("writing {}", path.display())]
    Output {
        /// The file.
        path: PathBuf,
        /// The underlying problem.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Where a scenario file is wrong, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioProblem {
    /// The scenario file.
    pub path: PathBuf,
    /// Line and column, where known.
    pub position: Option<(usize, usize)>,
    /// The field path, e.g. `arms[1].regimen.every_h`.
    pub field: String,
    /// What is wrong and what was expected.
    pub problem: String,
}

impl std::fmt::Display for ScenarioProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some((line, column)) = self.position {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}: {}", self.field, self.problem)
    }
}

impl Error {
    /// A scenario-file error.
    pub fn scenario(
        path: impl Into<PathBuf>,
        position: Option<(usize, usize)>,
        field: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        Self::Scenario(Box::new(ScenarioProblem {
            path: path.into(),
            position,
            field: field.into(),
            problem: problem.into(),
        }))
    }
}
