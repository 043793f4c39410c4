//! NONMEM-format datasets (CSV): the standard columns in any case, extra columns kept as
//! covariates, `.` as missing, a `C` column marking comment rows.
//!
//! Standard columns: `ID`, `TIME` (h), `DV`, `AMT` (mg), `EVID`, `MDV`, `CMT`, `RATE` (mg/h, or
//! -1 / -2), `II` (h), `ADDL`, `SS`. Only `ID` and `TIME` are required; missing columns take
//! NONMEM's defaults (EVID 1 where AMT > 0 else 0; CMT 1 for doses; RATE, II, ADDL, SS 0).
//! A new individual starts wherever `ID` changes from one row to the next, as in NONMEM.

use std::path::{Path, PathBuf};

use pk_models::{Record, RecordKind};

use crate::course::ParameterCourse;
use crate::error::{Error, Position, Result};
use crate::model_file::{ColumnLookup, DoseEvent, ModelSpec, RowCovariates};

/// One cell of an extra column.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Empty or `.`.
    Missing,
    /// A number.
    Number(f64),
    /// Text, such as a diplotype `*1/*3`.
    Text(String),
}

/// One data row (a record).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Line in the file (1 = header).
    pub line: usize,
    /// The ID as written.
    pub id: String,
    /// TIME (h).
    pub time: f64,
    /// EVID.
    pub evid: u8,
    /// AMT (mg).
    pub amt: f64,
    /// CMT (1-based), if given and non-zero.
    pub cmt: Option<usize>,
    /// RATE.
    pub rate: f64,
    /// II (h).
    pub ii: f64,
    /// ADDL.
    pub addl: u32,
    /// SS.
    pub ss: u8,
    /// DV, if present.
    pub dv: Option<f64>,
    /// MDV.
    pub mdv: u8,
    /// Whether MDV was written on the row (not inferred from EVID and DV).
    explicit_mdv: bool,
    cells: Vec<Cell>,
    header: std::sync::Arc<Vec<String>>,
}

impl Row {
    /// Whether the row is an observation without a level: EVID 0 with no DV and no MDV written
    /// to say it has none (NONMEM would read such a DV as 0).
    pub fn lacks_dv(&self) -> bool {
        self.evid == 0 && self.dv.is_none() && !self.explicit_mdv
    }

    /// The cell of any column, by name (case-insensitive).
    pub fn cell(&self, column: &str) -> Option<&Cell> {
        let i = self
            .header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(column))?;
        self.cells.get(i)
    }
}

impl ColumnLookup for Row {
    fn number(&self, column: &str) -> Option<f64> {
        match self.cell(column)? {
            Cell::Number(x) => Some(*x),
            _ => None,
        }
    }
}

/// An individual: consecutive rows with the same ID.
#[derive(Debug, Clone, PartialEq)]
pub struct Individual {
    /// The ID as written.
    pub id: String,
    /// Its rows, in file order.
    pub rows: Vec<Row>,
}

/// A whole dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The file it came from.
    pub path: PathBuf,
    /// Column names as written.
    pub header: Vec<String>,
    /// Individuals in file order.
    pub individuals: Vec<Individual>,
}

fn bad(
    path: &Path,
    line: usize,
    column: usize,
    name: &str,
    value: &str,
    problem: &'static str,
) -> Error {
    Error::BadCell {
        row: line - 1,
        column: name.to_owned(),
        value: value.to_owned(),
        problem,
    }
    .in_file(
        path,
        Some(Position {
            line,
            column: column + 1,
        }),
    )
}

impl Dataset {
    /// Reads and checks a NONMEM-format CSV dataset.
    pub fn read(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|source| Error::Io {
            action: "read",
            path: path.to_owned(),
            source,
        })?;
        Self::from_reader(file, path)
    }

    /// Reads CSV text from any reader; `path` names it in errors.
    pub fn from_reader(reader: impl std::io::Read, path: &Path) -> Result<Self> {
        let mut csv = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(reader);
        let header: Vec<String> = csv
            .headers()
            .map_err(|source| {
                Error::Csv { source }.in_file(path, Some(Position { line: 1, column: 1 }))
            })?
            .iter()
            .map(str::to_owned)
            .collect();
        // Columns are looked up by name in any case: two that differ only in case are one.
        for (i, h) in header.iter().enumerate() {
            if let Some(j) = header[..i].iter().position(|g| g.eq_ignore_ascii_case(h)) {
                return Err(Error::Inconsistent {
                    what: format!(
                        "column `{h}` (column {}) repeats `{}` (column {}): every column needs its \
                         own name (names are read in any case)",
                        i + 1,
                        header[j],
                        j + 1
                    ),
                }
                .in_file(path, Some(Position { line: 1, column: 1 })));
            }
        }
        let find = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name));
        let id_col = find("ID").ok_or_else(|| {
            Error::MissingColumn {
                column: "ID".into(),
            }
            .in_file(path, Some(Position { line: 1, column: 1 }))
        })?;
        let time_col = find("TIME").ok_or_else(|| {
            Error::MissingColumn {
                column: "TIME".into(),
            }
            .in_file(path, Some(Position { line: 1, column: 1 }))
        })?;
        let comment_col = find("C");
        let cols = [
            find("EVID"),
            find("AMT"),
            find("CMT"),
            find("RATE"),
            find("II"),
            find("ADDL"),
            find("SS"),
            find("DV"),
            find("MDV"),
        ];
        let header_arc = std::sync::Arc::new(header.clone());
        let mut individuals: Vec<Individual> = Vec::new();
        for (index, record) in csv.records().enumerate() {
            let line = index + 2;
            let record = record.map_err(|source| {
                Error::Csv { source }.in_file(path, Some(Position { line, column: 1 }))
            })?;
            if let Some(c) = comment_col {
                let mark = record.get(c).unwrap_or("");
                if !(mark.is_empty() || mark == ".") {
                    continue;
                }
            }
            let cells: Vec<Cell> = record
                .iter()
                .map(|s| match s {
                    "" | "." => Cell::Missing,
                    s => s
                        .parse::<f64>()
                        .map_or_else(|_| Cell::Text(s.to_owned()), Cell::Number),
                })
                .collect();
            let number = |col: Option<usize>, name: &str, default: f64| -> Result<f64> {
                let Some(c) = col else { return Ok(default) };
                match &cells[c] {
                    Cell::Missing => Ok(default),
                    Cell::Number(x) if x.is_finite() => Ok(*x),
                    _ => Err(bad(
                        path,
                        line,
                        c,
                        name,
                        record.get(c).unwrap_or(""),
                        "expected a number",
                    )),
                }
            };
            let whole = |col: Option<usize>,
                         name: &str,
                         allowed: &[f64],
                         problem: &'static str|
             -> Result<f64> {
                let x = number(col, name, 0.0)?;
                if allowed.is_empty() && (x < 0.0 || x.fract() != 0.0)
                    || !allowed.is_empty() && !allowed.contains(&x)
                {
                    let c = col.unwrap_or(0);
                    return Err(bad(
                        path,
                        line,
                        c,
                        name,
                        record.get(c).unwrap_or(""),
                        problem,
                    ));
                }
                Ok(x)
            };
            let id = record.get(id_col).unwrap_or("").to_owned();
            if id.is_empty() || id == "." {
                return Err(bad(path, line, id_col, "ID", &id, "expected an ID"));
            }
            crate::names::check("ID", &id).map_err(|e| {
                e.in_file(
                    path,
                    Some(Position {
                        line,
                        column: id_col + 1,
                    }),
                )
            })?;
            let time = match &cells[time_col] {
                Cell::Number(t) if t.abs() <= MAX_TIME_H => *t,
                _ => {
                    return Err(bad(
                        path,
                        line,
                        time_col,
                        "TIME",
                        record.get(time_col).unwrap_or(""),
                        "expected a time in hours, within ±10,000,000 h",
                    ));
                }
            };
            let [
                evid_c,
                amt_c,
                cmt_c,
                rate_c,
                ii_c,
                addl_c,
                ss_c,
                dv_c,
                mdv_c,
            ] = cols;
            let amt = number(amt_c, "AMT", 0.0)?;
            if !(0.0..=MAX_AMOUNT_MG).contains(&amt) {
                return Err(bad(
                    path,
                    line,
                    amt_c.unwrap_or(0),
                    "AMT",
                    record.get(amt_c.unwrap_or(0)).unwrap_or(""),
                    "expected an amount from 0 to 1e9 mg",
                ));
            }
            let evid = match evid_c {
                Some(_) => whole(
                    evid_c,
                    "EVID",
                    &[0.0, 1.0, 2.0, 3.0, 4.0],
                    "expected EVID 0, 1, 2, 3 or 4",
                )?,
                None => f64::from(u8::from(amt > 0.0)),
            } as u8;
            let cmt = whole(
                cmt_c,
                "CMT",
                &[],
                "expected a compartment number >= 1 (or 0 / . for the default)",
            )?;
            let rate = number(rate_c, "RATE", 0.0)?;
            if rate < 0.0 && rate != -1.0 && rate != -2.0 || rate > MAX_AMOUNT_MG {
                return Err(bad(
                    path,
                    line,
                    rate_c.unwrap_or(0),
                    "RATE",
                    record.get(rate_c.unwrap_or(0)).unwrap_or(""),
                    "expected RATE from 0 to 1e9 mg/h, -1 (modelled rate) or -2 (modelled duration)",
                ));
            }
            let ii = number(ii_c, "II", 0.0)?;
            if !(0.0..=MAX_TIME_H).contains(&ii) {
                return Err(bad(
                    path,
                    line,
                    ii_c.unwrap_or(0),
                    "II",
                    record.get(ii_c.unwrap_or(0)).unwrap_or(""),
                    "expected an interval from 0 to 10,000,000 h",
                ));
            }
            let addl = whole(addl_c, "ADDL", &[], "expected a whole number >= 0")?;
            if addl > f64::from(u32::MAX) {
                return Err(bad(
                    path,
                    line,
                    addl_c.unwrap_or(0),
                    "ADDL",
                    record.get(addl_c.unwrap_or(0)).unwrap_or(""),
                    "expected at most 4294967295 additional doses",
                ));
            }
            let ss = whole(ss_c, "SS", &[0.0, 1.0, 2.0], "expected SS 0, 1 or 2")?;
            let dv = match dv_c.map(|c| &cells[c]) {
                Some(Cell::Number(x)) => Some(*x),
                Some(Cell::Text(t)) => {
                    return Err(bad(
                        path,
                        line,
                        dv_c.unwrap_or(0),
                        "DV",
                        t,
                        "expected a number or .",
                    ));
                }
                _ => None,
            };
            let mdv = match mdv_c {
                Some(_) => whole(mdv_c, "MDV", &[0.0, 1.0], "expected MDV 0 or 1")?,
                None => f64::from(u8::from(evid != 0 || dv.is_none())),
            } as u8;
            let explicit_mdv = mdv_c.is_some_and(|c| cells[c] != Cell::Missing);
            if evid == 0 && mdv == 0 && dv.is_none() && explicit_mdv {
                return Err(bad(
                    path,
                    line,
                    dv_c.unwrap_or(0),
                    "DV",
                    dv_c.and_then(|c| record.get(c)).unwrap_or(""),
                    "an observation (EVID 0, MDV 0) needs its DV; write MDV 1 for a row without one",
                ));
            }
            let row = Row {
                line,
                id: id.clone(),
                time,
                evid,
                amt,
                cmt: (cmt > 0.0).then_some(cmt as usize),
                rate,
                ii,
                addl: addl as u32,
                ss: ss as u8,
                dv,
                mdv,
                explicit_mdv,
                cells,
                header: header_arc.clone(),
            };
            match individuals.last_mut() {
                Some(ind) if ind.id == id => {
                    if let Some(prev) = ind.rows.last()
                        && time < prev.time
                    {
                        return Err(Error::Inconsistent {
                                what: format!("TIME {time} h of ID {id} is earlier than {} h on line {}: records must be in time order within an individual", prev.time, prev.line),
                            }
                            .in_file(path, Some(Position { line, column: time_col + 1 })));
                    }
                    ind.rows.push(row);
                }
                _ => {
                    if let Some(earlier) = individuals.iter().find(|i| i.id == id) {
                        return Err(Error::Inconsistent {
                            what: format!(
                                "ID {id} starts again after other IDs (its rows began on line {}): \
                                 give each individual's rows together, or another ID to a new \
                                 individual",
                                earlier.rows[0].line
                            ),
                        }
                        .in_file(
                            path,
                            Some(Position {
                                line,
                                column: id_col + 1,
                            }),
                        ));
                    }
                    individuals.push(Individual {
                        id,
                        rows: vec![row],
                    });
                }
            }
        }
        if individuals.is_empty() {
            return Err(Error::NotEnoughData {
                what: "the dataset has a header but no data rows".into(),
            }
            .in_file(path, Some(Position { line: 2, column: 1 })));
        }
        Ok(Self {
            path: path.to_owned(),
            header,
            individuals,
        })
    }
}

/// Largest |TIME| and II (h): 10 million hours, over a thousand years; larger values are typing
/// or unit mistakes that the numerics cannot carry.
pub const MAX_TIME_H: f64 = 1e7;
/// Largest AMT (mg) and RATE (mg/h): a tonne.
pub const MAX_AMOUNT_MG: f64 = 1e9;

/// The prefix of a column holding an individual's random effect: `ETA_CL` is η of `CL`.
pub const ETA_PREFIX: &str = "ETA_";

impl Dataset {
    /// The random-effect columns (`ETA_<name>`) of the header, by position, checked against the
    /// model's random effects: none at all, or one for every random effect.
    ///
    /// # Errors
    /// An `ETA_` column naming no random effect of the model, or some random effects without
    /// their column.
    pub fn eta_columns(&self, spec: &ModelSpec) -> Result<Vec<usize>> {
        let at_header = |e: Error| e.in_file(&self.path, Some(Position { line: 1, column: 1 }));
        let names = spec.random_effects().map_or(&[][..], |r| r.names());
        let mut found = vec![None; names.len()];
        for (c, h) in self.header.iter().enumerate() {
            let Some(name) = h.strip_prefix(ETA_PREFIX) else {
                continue;
            };
            let Some(i) = names.iter().position(|n| n == name) else {
                return Err(at_header(Error::Undefined {
                    name: h.clone(),
                    context: format!(
                        "the dataset's header (the model's random effects: {})",
                        if names.is_empty() {
                            "none".to_owned()
                        } else {
                            names.join(", ")
                        }
                    ),
                }));
            };
            found[i] = Some(c);
        }
        if found.iter().all(Option::is_none) {
            return Ok(Vec::new());
        }
        let mut columns = Vec::with_capacity(names.len());
        for (name, c) in names.iter().zip(found) {
            columns.push(c.ok_or_else(|| {
                at_header(Error::MissingColumn {
                    column: format!("{ETA_PREFIX}{name} (every random effect needs its column once one is given)"),
                })
            })?);
        }
        Ok(columns)
    }
}

impl Individual {
    /// The individual's random effects from the columns [`Dataset::eta_columns`] found (empty
    /// when there are none: typical values): the same value on every row.
    ///
    /// # Errors
    /// A missing or non-numeric η, or one that changes between rows (η is a property of the
    /// individual, not of a record).
    pub fn etas(&self, columns: &[usize], path: &Path) -> Result<Vec<f64>> {
        let mut etas = Vec::with_capacity(columns.len());
        for &c in columns {
            let name = self.rows[0].header[c].clone();
            let mut value = None;
            for row in &self.rows {
                let here = |problem| {
                    Error::BadCell {
                        row: row.line - 1,
                        column: name.clone(),
                        value: match &row.cells[c] {
                            Cell::Missing => ".".to_owned(),
                            Cell::Number(x) => x.to_string(),
                            Cell::Text(t) => t.clone(),
                        },
                        problem,
                    }
                    .in_file(
                        path,
                        Some(Position {
                            line: row.line,
                            column: c + 1,
                        }),
                    )
                };
                let Cell::Number(x) = row.cells[c] else {
                    return Err(here("expected the individual's random effect, a number"));
                };
                if !x.is_finite() {
                    return Err(here("expected a finite random effect"));
                }
                match value {
                    None => value = Some(x),
                    Some(v) if v != x => {
                        return Err(here(
                            "a random effect is the individual's: it must be the same on every row of the ID",
                        ));
                    }
                    Some(_) => {}
                }
            }
            etas.push(value.unwrap_or(0.0));
        }
        Ok(etas)
    }

    /// The individual's typical values over its rows: as NONMEM reads covariates, from every
    /// record (each row's covariate and gene columns), read between rows by the model's carry
    /// rule ([`crate::course`]). `theta` overrides typical values by name.
    ///
    /// # Errors
    /// A covariate an effect reads is missing on a row (the error names the line), or two rows
    /// at one time give different values.
    pub fn typical_course(
        &self,
        spec: &ModelSpec,
        genes: &crate::genotype::GeneCatalogue,
        theta: &std::collections::BTreeMap<String, f64>,
        path: &Path,
    ) -> Result<ParameterCourse> {
        let mut points = Vec::with_capacity(self.rows.len());
        let numeric = spec.numeric_covariate_names();
        for row in &self.rows {
            for &name in &numeric {
                if let Some(Cell::Text(t)) = row.cell(name) {
                    let column = row
                        .header
                        .iter()
                        .position(|h| h.eq_ignore_ascii_case(name))
                        .unwrap_or(0);
                    return Err(bad(
                        path,
                        row.line,
                        column,
                        name,
                        t,
                        "expected a number (the model's effects read it as a numeric covariate)",
                    ));
                }
            }
            let values = spec
                .typical_values(&RowCovariates { row, genes }, theta)
                .map_err(|e| {
                    Error::Twin {
                        twin: format!("ID {}", self.id),
                        problem: Box::new(e),
                    }
                    .in_file(
                        path,
                        Some(Position {
                            line: row.line,
                            column: 1,
                        }),
                    )
                })?;
            points.push((row.time, values));
        }
        ParameterCourse::new(spec.carry(), points).map_err(|e| {
            Error::Twin {
                twin: format!("ID {}", self.id),
                problem: Box::new(e),
            }
            .in_file(path, None)
        })
    }

    /// The individual's records for `spec`'s model, each dose with the dose inputs of the
    /// values `course` holds at its time.
    pub fn records(
        &self,
        spec: &ModelSpec,
        course: &ParameterCourse,
        path: &Path,
    ) -> Result<Vec<Record>> {
        self.rows
            .iter()
            .map(|row| {
                let at = |e: Error| {
                    e.in_file(
                        path,
                        Some(Position {
                            line: row.line,
                            column: 1,
                        }),
                    )
                };
                let kind = match row.evid {
                    0 => RecordKind::Observation,
                    2 => RecordKind::Other,
                    3 => RecordKind::Reset,
                    evid => {
                        let dose = spec
                            .dose(&DoseEvent::from_row(row, spec), course.at(row.time))
                            .map_err(at)?;
                        if evid == 4 {
                            RecordKind::ResetAndDose(dose)
                        } else {
                            RecordKind::Dose(dose)
                        }
                    }
                };
                Ok(Record {
                    time: row.time,
                    kind,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Dataset> {
        Dataset::from_reader(text.as_bytes(), Path::new("data.csv"))
    }

    #[test]
    fn comment_rows_are_skipped_and_ids_grouped() -> Result<()> {
        let d = read("C,ID,TIME,AMT,WT\n.,1,0,100,70\nC,1,1,0,70\n.,1,2,.,70\n.,2,0,50,*1/*3\n")?;
        assert_eq!(d.individuals.len(), 2);
        assert_eq!(d.individuals[0].rows.len(), 2);
        assert_eq!(d.individuals[0].rows[0].evid, 1);
        assert_eq!(d.individuals[0].rows[1].evid, 0);
        assert_eq!(
            d.individuals[1].rows[0].cell("wt"),
            Some(&Cell::Text("*1/*3".into()))
        );
        Ok(())
    }

    #[test]
    fn negative_amount_names_line_and_column() {
        let err = read("ID,TIME,AMT\n1,0,-5\n").unwrap_err();
        assert!(err.to_string().starts_with("data.csv:2:3:"), "{err}");
        assert!(err.to_string().contains("AMT"), "{err}");
    }

    #[test]
    fn records_out_of_time_order_are_rejected_with_line() {
        let err = read("ID,TIME,AMT\n1,5,0\n1,2,0\n").unwrap_err();
        assert!(err.to_string().starts_with("data.csv:3:2:"), "{err}");
    }

    #[test]
    fn non_number_is_rejected_with_column_name() {
        let err = read("ID,TIME,AMT\n1,abc,0\n").unwrap_err();
        assert!(err.to_string().contains("TIME"), "{err}");
        assert!(err.to_string().starts_with("data.csv:2:2:"), "{err}");
    }
}
