//! The crate's one error type.
//!
//! Errors carry structured fields. Problems found while reading a file are
//! wrapped in [`Error::InFile`], which names the file and, where it is known,
//! the RON line and column, so every message reads
//! `path:line:column: problem`. Because [`Error::InFile`] shows its problem inline
//! (rather than as a `source`), the RON, CSV and JSON variants, which mostly appear
//! inside it, show their library's message inline too.

use std::fmt;
use std::path::PathBuf;

use crate::genotype::Ancestry;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A line and column in a text file, both counted from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Formats an optional position as `:line:column` or nothing.
fn at(position: &Option<Position>) -> String {
    position.map(|p| format!(":{p}")).unwrap_or_default()
}

/// Everything that can go wrong in `twins`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A problem found in a file: names the file and where in it.
    #[error("{}{}: {problem}", path.display(), at(position))]
    InFile {
        /// The file (or `<embedded NAME>` for a table shipped in the binary).
        path: PathBuf,
        /// Line and column, where known.
        position: Option<Position>,
        /// What is wrong.
        problem: Box<Error>,
    },
    /// Reading or writing a file failed.
    #[error("cannot {action} {}", path.display())]
    Io {
        /// What was being done: "read", "write", "rename", ...
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A RON file did not parse or did not match the expected shape.
    #[error("RON syntax or shape error: {source}")]
    Ron {
        /// RON's own error.
        source: ron::error::Error,
    },
    /// Serialising a value to RON failed.
    #[error("cannot serialise to RON: {source}")]
    RonWrite {
        /// RON's own error.
        source: ron::error::Error,
    },
    /// Reading or writing JSON failed (serde_json says which, and where).
    #[error("JSON: {source}")]
    Json {
        /// serde_json's own error.
        source: serde_json::Error,
    },
    /// A CSV file could not be read.
    #[error("CSV: {source}")]
    Csv {
        /// The csv crate's error (it carries the record position).
        source: csv::Error,
    },
    /// A CSV file has no column of this name.
    #[error("no column `{column}` in the CSV header")]
    MissingColumn {
        /// The column that was asked for.
        column: String,
    },
    /// A CSV cell could not be used.
    #[error("row {row}, column `{column}`: {problem} (value `{value}`)")]
    BadCell {
        /// Data row, counted from 1 after the header.
        row: usize,
        /// Column name.
        column: String,
        /// The cell's text.
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A numeric value is out of its allowed range.
    #[error("`{name}` = {value} is invalid: {expected}")]
    InvalidValue {
        /// Which quantity.
        name: String,
        /// The value given.
        value: f64,
        /// What was expected, e.g. "a finite number > 0".
        expected: &'static str,
    },
    /// A structural problem in a description (e.g. mismatched sizes).
    #[error("{what}")]
    Inconsistent {
        /// What is inconsistent.
        what: String,
    },
    /// Allele frequencies of one ancestry group do not sum to 1.
    #[error("{gene} allele frequencies for {group:?} sum to {sum}, not 1 (tolerance {tolerance})")]
    FrequencySum {
        /// Gene.
        gene: String,
        /// Ancestry group.
        group: Ancestry,
        /// The sum found.
        sum: f64,
        /// Allowed distance from 1.
        tolerance: f64,
    },
    /// Proportions (sex, ancestry mix, ...) do not sum to 1.
    #[error("{what} proportions sum to {sum}, not 1 (tolerance {tolerance})")]
    ProportionSum {
        /// Which proportions.
        what: String,
        /// The sum found.
        sum: f64,
        /// Allowed distance from 1.
        tolerance: f64,
    },
    /// A gene has no allele of this name.
    #[error("unknown {gene} allele `{allele}` in diplotype `{diplotype}`")]
    UnknownAllele {
        /// Gene.
        gene: String,
        /// The allele not found.
        allele: String,
        /// The whole diplotype text.
        diplotype: String,
    },
    /// A diplotype string could not be split into two alleles.
    #[error("cannot read `{text}` as a {gene} diplotype (expected e.g. `*1/*3`)")]
    BadDiplotype {
        /// Gene.
        gene: String,
        /// The text.
        text: String,
    },
    /// No gene of this name is known.
    #[error("unknown gene `{gene}`{hint}")]
    UnknownGene {
        /// The name asked for.
        gene: String,
        /// " (did you mean `X`?); known: ...".
        hint: String,
    },
    /// An ancestry group has no allele frequencies for this gene.
    #[error("{gene} has no allele frequencies for {group:?}")]
    MissingFrequencies {
        /// Gene.
        gene: String,
        /// Ancestry group.
        group: Ancestry,
    },
    /// A covariance or correlation matrix is not positive definite.
    #[error("{matrix} is not positive definite (Cholesky factorisation failed)")]
    NotPositiveDefinite {
        /// Which matrix, e.g. "omega" or "correlation".
        matrix: String,
    },
    /// A matrix is not symmetric.
    #[error("{matrix} is not symmetric: [{row}][{column}] differs from [{column}][{row}]")]
    NotSymmetric {
        /// Which matrix.
        matrix: String,
        /// Row index, from 0.
        row: usize,
        /// Column index, from 0.
        column: usize,
    },
    /// A name is used but never defined (e.g. a covariate effect on a covariate the patient lacks).
    #[error("{context} refers to `{name}`, which is not defined")]
    Undefined {
        /// The name.
        name: String,
        /// Where it was referred to.
        context: String,
    },
    /// A name of a known kind (a phenotype, a gene, a covariate) that is not one of them.
    #[error("unknown {what} `{name}`{hint}")]
    Unknown {
        /// What kind of name, e.g. "CYP3A5 phenotype".
        what: String,
        /// The name given.
        name: String,
        /// " (did you mean `X`?); known: ..." ([`crate::names::hint`]).
        hint: String,
    },
    /// A category or diplotype seen at prediction time was not in the training data.
    #[error("feature `{feature}` has level `{level}`, which the model was not trained on")]
    UnseenLevel {
        /// Feature.
        feature: String,
        /// Level.
        level: String,
    },
    /// Truncation by rejection gave up.
    #[error("truncated `{name}`: no draw inside [{lower}, {upper}] after {tries} tries")]
    RejectionFailed {
        /// Covariate.
        name: String,
        /// Lower bound.
        lower: f64,
        /// Upper bound.
        upper: f64,
        /// Tries made.
        tries: usize,
    },
    /// Not enough data for what was asked.
    #[error("not enough data: {what}")]
    NotEnoughData {
        /// What was short.
        what: String,
    },
    /// A problem at one time of a patient's course (covariates that changed then).
    #[error("at {time_h} h: {problem}")]
    AtTime {
        /// The time (h).
        time_h: f64,
        /// What went wrong.
        problem: Box<Error>,
    },
    /// A problem computing one parameter of a model.
    #[error("parameter {name}: {problem}")]
    Parameter {
        /// The parameter (`CL`, `V`, ...).
        name: String,
        /// What went wrong.
        problem: Box<Error>,
    },
    /// The numerics (pk_models) refused a model or a record: its message, inline (it often sits
    /// inside [`Error::InFile`], which shows its problem inline).
    #[error(transparent)]
    Model {
        /// pk_models' own error.
        #[from]
        source: pk_models::Error,
    },
    /// A problem updating, forecasting or storing one twin (or one dataset ID): names it.
    #[error("twin {twin}: {problem}")]
    Twin {
        /// The twin's identifier (or the dataset's ID).
        twin: String,
        /// What went wrong.
        problem: Box<Error>,
    },
    /// A twin file was written by a format version this build does not read.
    #[error("{}: twin file format_version {found}, this build reads {supported}", path.display())]
    FormatVersion {
        /// The twin file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// The model file a twin refers to has changed since the twin was made.
    #[error("model {} has SHA-256 {found}, but the twin was made with {recorded}", path.display())]
    ModelChanged {
        /// The model file.
        path: PathBuf,
        /// The hash recorded in the twin.
        recorded: String,
        /// The hash of the file now.
        found: String,
    },
}

impl Error {
    /// Wraps `self` with the file it came from and, where known, the position.
    pub fn in_file(self, path: impl Into<PathBuf>, position: Option<Position>) -> Error {
        Error::InFile {
            path: path.into(),
            position,
            problem: Box::new(self),
        }
    }

    /// The innermost problem, looking through [`Error::InFile`] wrappers.
    pub fn problem(&self) -> &Error {
        match self {
            Error::InFile { problem, .. } => problem.problem(),
            other => other,
        }
    }

    /// Turns a RON deserialisation error into an [`Error::InFile`] with its line and column.
    pub(crate) fn from_ron(path: impl Into<PathBuf>, error: ron::error::SpannedError) -> Error {
        let position = Position {
            line: error.span.start.line,
            column: error.span.start.col,
        };
        Error::Ron { source: error.code }.in_file(path, Some(position))
    }
}

/// Finds where `key:` first appears in RON `text`, to point semantic errors at a line.
///
/// RON's deserialiser gives positions only for syntax errors; validation that happens
/// after parsing uses this to name the line of the field it is about.
pub(crate) fn locate(text: &str, key: &str) -> Option<Position> {
    let mut search_from = 0;
    while let Some(found) = text[search_from..].find(key) {
        let start = search_from + found;
        let rest = &text[start + key.len()..];
        let before_ok = start == 0
            || !text[..start]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        // A field name is followed by a colon; a string value (a gene name, a diplotype),
        // searched with or without its quotes, by nothing in particular.
        let after_ok =
            key.ends_with('"') || rest.starts_with('"') || rest.trim_start().starts_with(':');
        if before_ok && after_ok {
            let line = text[..start].matches('\n').count() + 1;
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let column = text[line_start..start].chars().count() + 1;
            return Some(Position { line, column });
        }
        search_from = start + key.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_finds_key_line_and_column() {
        let text = "(\n  name: \"x\",\n  omega: [[1.0]],\n)";
        assert_eq!(locate(text, "omega"), Some(Position { line: 3, column: 3 }));
        assert_eq!(locate(text, "missing"), None);
    }

    #[test]
    fn locate_skips_partial_words() {
        let text = "(big_omega: 1, omega: 2)";
        assert_eq!(
            locate(text, "omega"),
            Some(Position {
                line: 1,
                column: 16
            })
        );
    }

    #[test]
    fn in_file_message_names_file_position_and_problem() {
        let e = Error::UnknownGene {
            gene: "XYZ".into(),
            hint: String::new(),
        }
        .in_file("a.ron", Some(Position { line: 2, column: 5 }));
        assert_eq!(e.to_string(), "a.ron:2:5: unknown gene `XYZ`");
    }
}
