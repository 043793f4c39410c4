//! An empirical table of patients (CSV), resampled by whole rows.

use std::path::Path;

use crate::error::{Error, Result};

/// Numeric columns of a CSV of real patients.
#[derive(Debug, Clone, PartialEq)]
pub struct EmpiricalTable {
    columns: Vec<String>,
    /// Row-major values, `rows × columns.len()`.
    values: Vec<f64>,
}

impl EmpiricalTable {
    /// Reads `columns` of the CSV at `path` (header row required); every cell must be a
    /// finite number.
    pub fn from_csv(path: &Path, columns: &[String]) -> Result<EmpiricalTable> {
        let in_file = |e: Error| e.in_file(path, None);
        let mut reader =
            csv::Reader::from_path(path).map_err(|source| in_file(Error::Csv { source }))?;
        let header = reader
            .headers()
            .map_err(|source| in_file(Error::Csv { source }))?
            .clone();
        let mut index = Vec::with_capacity(columns.len());
        for column in columns {
            let i = header
                .iter()
                .position(|h| h.trim() == column)
                .ok_or_else(|| {
                    in_file(Error::MissingColumn {
                        column: column.clone(),
                    })
                })?;
            index.push(i);
        }
        let mut values = Vec::new();
        for (row, record) in reader.records().enumerate() {
            let record = record.map_err(|source| in_file(Error::Csv { source }))?;
            for (&i, column) in index.iter().zip(columns) {
                let text = record.get(i).unwrap_or("").trim();
                let value: f64 = text
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite())
                    .ok_or_else(|| {
                        in_file(Error::BadCell {
                            row: row + 1,
                            column: column.clone(),
                            value: text.to_string(),
                            problem: "not a finite number",
                        })
                    })?;
                values.push(value);
            }
        }
        if values.is_empty() {
            return Err(in_file(Error::NotEnoughData {
                what: "the empirical CSV has no rows".into(),
            }));
        }
        Ok(EmpiricalTable {
            columns: columns.to_vec(),
            values,
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.values.len() / self.columns.len().max(1)
    }

    /// Column index of `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The value at `row`, `column`.
    pub fn value(&self, row: usize, column: usize) -> f64 {
        self.values[row * self.columns.len() + column]
    }
}
