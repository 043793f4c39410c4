//! The training CSV: one row per patient.

use std::path::{Path, PathBuf};

use crate::error::{Error, Position, Result};

/// A training CSV held as text cells, with positions for errors.
#[derive(Debug, Clone)]
pub struct TrainingTable {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    /// File line of each row (from 1; the header is line 1).
    lines: Vec<usize>,
}

impl TrainingTable {
    /// Reads the CSV at `path` (header row required).
    pub fn from_path(path: &Path) -> Result<TrainingTable> {
        let in_file = |e: Error| e.in_file(path, None);
        let mut reader =
            csv::Reader::from_path(path).map_err(|source| in_file(Error::Csv { source }))?;
        let header = reader
            .headers()
            .map_err(|source| in_file(Error::Csv { source }))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut rows = Vec::new();
        let mut lines = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|source| in_file(Error::Csv { source }))?;
            let line = record
                .position()
                .map_or(rows.len() + 2, |p| p.line() as usize);
            rows.push(record.iter().map(|c| c.trim().to_string()).collect());
            lines.push(line);
        }
        Ok(TrainingTable {
            path: path.to_path_buf(),
            header,
            rows,
            lines,
        })
    }

    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are no data rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Index of column `name`, or an error naming the file.
    pub fn column(&self, name: &str) -> Result<usize> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            Error::MissingColumn {
                column: name.to_string(),
            }
            .in_file(&self.path, Some(Position { line: 1, column: 1 }))
        })
    }

    /// The cell at `row`, `column` (empty when the row is short).
    pub fn cell(&self, row: usize, column: usize) -> &str {
        self.rows[row].get(column).map_or("", String::as_str)
    }

    /// Wraps `error` with this file and the cell's position (line, field number).
    pub fn at(&self, row: usize, column: usize, error: Error) -> Error {
        error.in_file(
            &self.path,
            Some(Position {
                line: self.lines[row],
                column: column + 1,
            }),
        )
    }

    /// A cell parsed as a finite number, or an error at its position.
    pub fn number(&self, row: usize, column: usize) -> Result<f64> {
        let text = self.cell(row, column);
        text.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                self.at(
                    row,
                    column,
                    Error::BadCell {
                        row: row + 1,
                        column: self.header[column].clone(),
                        value: text.to_string(),
                        problem: "not a finite number",
                    },
                )
            })
    }
}
