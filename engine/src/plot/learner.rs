//! Diagnostics of the genotype-effect learner from its cross-validation: each patient's
//! held-out prediction against what was observed (with the 95% predictive interval), and the
//! calibration of the predictive intervals (nominal against observed coverage), per group
//! (ancestry) where the data has one.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use twins::learner::{HeldOut, INTERVAL_LEVEL};

use super::style::{caption_font, draw_legend, draw_log_ticks, format_number, label_font, palette};
use super::{FONT_FAMILY, Figure, Format, PlotError, write_figure};

/// Nominal levels of the calibration plot.
pub const NOMINAL_LEVELS: [f64; 10] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];

/// One patient's held-out prediction and group.
#[derive(Debug, Clone, PartialEq)]
pub struct DiagnosticRow {
    /// The held-out prediction (log scale).
    pub held_out: HeldOut,
    /// The patient's group (ancestry), when the data has one.
    pub group: Option<String>,
}

/// The learner's diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnerDiagnostics {
    /// Target (`CL`).
    pub target: String,
    /// One row per patient.
    pub rows: Vec<DiagnosticRow>,
    /// The grouping column, when used.
    pub group_column: Option<String>,
}

impl LearnerDiagnostics {
    /// Joins held-out predictions with the group column of the training CSV (`group`, or
    /// `ANCESTRY` when present and `group` is `None`).
    pub fn from_csv(
        path: &Path,
        target: &str,
        held_out: &[HeldOut],
        group: Option<&str>,
    ) -> Result<LearnerDiagnostics, PlotError> {
        let read_error = |e: csv::Error| PlotError::Read {
            path: path.to_path_buf(),
            source: Box::new(e),
        };
        let mut reader = csv::Reader::from_path(path).map_err(read_error)?;
        let header = reader.headers().map_err(read_error)?.clone();
        let column =
            match group {
                Some(name) => Some(header.iter().position(|h| h.trim() == name).ok_or_else(
                    || {
                        PlotError::data(
                            path.display().to_string(),
                            format!("no column `{name}` (asked for by --group)"),
                        )
                    },
                )?),
                None => header.iter().position(|h| h.trim() == "ANCESTRY"),
            };
        let groups: Vec<Option<String>> = match column {
            Some(c) => reader
                .records()
                .map(|r| r.map(|r| r.get(c).map(|g| g.trim().to_owned())))
                .collect::<Result<_, _>>()
                .map_err(read_error)?,
            None => Vec::new(),
        };
        Ok(LearnerDiagnostics {
            target: target.to_owned(),
            rows: held_out
                .iter()
                .map(|h| DiagnosticRow {
                    held_out: *h,
                    group: groups.get(h.row).cloned().flatten(),
                })
                .collect(),
            group_column: column.map(|c| header[c].trim().to_owned()),
        })
    }

    /// Group names in order of first appearance (empty without a group column).
    pub fn groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = Vec::new();
        for g in self.rows.iter().filter_map(|r| r.group.as_ref()) {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
        groups
    }

    /// Observed coverage of the central predictive interval at each nominal level, over the
    /// rows of `group` (all rows for `None`).
    pub fn coverage(&self, group: Option<&str>) -> Vec<(f64, f64)> {
        let rows: Vec<&DiagnosticRow> = self
            .rows
            .iter()
            .filter(|r| group.is_none() || r.group.as_deref() == group)
            .collect();
        NOMINAL_LEVELS
            .iter()
            .map(|&level| {
                let inside = rows
                    .iter()
                    .filter(|r| {
                        let (lo, hi) = r.held_out.prediction.interval(level);
                        lo <= r.held_out.observed && r.held_out.observed <= hi
                    })
                    .count();
                (level, inside as f64 / rows.len().max(1) as f64)
            })
            .collect()
    }

    fn colour_of(&self, group: Option<&str>, groups: &[String]) -> RGBColor {
        group
            .and_then(|g| groups.iter().position(|x| x == g))
            .map_or(palette(0), palette)
    }
}

/// Held-out predicted against observed, both on log axes, with 95% predictive intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictedFigure<'a> {
    /// The diagnostics.
    pub data: &'a LearnerDiagnostics,
}

/// Nominal against observed coverage of the predictive intervals, overall and per group.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationFigure<'a> {
    /// The diagnostics.
    pub data: &'a LearnerDiagnostics,
}

impl Figure for PredictedFigure<'_> {
    fn holds_patient_data(&self) -> bool {
        true
    }

    fn name(&self) -> &str {
        "learner_predicted"
    }

    fn title(&self) -> String {
        format!(
            "Held-out predictions of {} against observed values, with {}% predictive intervals",
            self.data.target,
            format_number(100.0 * INTERVAL_LEVEL)
        )
    }

    fn size(&self) -> (u32, u32) {
        (760, 700)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let plot = self.name();
        let err = |e| PlotError::draw(plot, e);
        let data = self.data;
        if data.rows.is_empty() {
            return Err(PlotError::data(
                "learner diagnostics",
                "no held-out predictions (cross-validation needs --folds 2 or more)",
            ));
        }
        let intervals: Vec<(f64, f64, f64, f64)> = data
            .rows
            .iter()
            .map(|r| {
                let (lo, hi) = r.held_out.prediction.interval(INTERVAL_LEVEL);
                (
                    r.held_out.observed.exp(),
                    r.held_out.prediction.location.exp(),
                    lo.exp(),
                    hi.exp(),
                )
            })
            .collect();
        let (min, max) = intervals
            .iter()
            .flat_map(|(o, p, _, _)| [*o, *p])
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(v), b.max(v))
            });
        let (min, max) = (min / 1.5, max * 1.5);
        let target = &data.target;
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!("{target}: held-out prediction against observed"),
                caption_font(),
            )
            .margin(12)
            .margin_right(24)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d((min..max).log_scale(), (min..max).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(format!("observed {target} (log scale)"))
            .y_desc(format!(
                "predicted {target}, median and {}% interval (log scale)",
                format_number(100.0 * INTERVAL_LEVEL)
            ))
            .axis_desc_style(label_font())
            .label_style((FONT_FAMILY, 13))
            .x_label_formatter(&|_| String::new())
            .y_label_formatter(&|_| String::new())
            .x_labels(0)
            .y_labels(0)
            .bold_line_style(BLACK.mix(0.08))
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(err)?;
        draw_log_ticks(root, &mut chart, (true, true), plot)?;
        chart
            .draw_series(LineSeries::new([(min, min), (max, max)], BLACK.mix(0.5)))
            .map_err(err)?
            .label("identity")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.5)));
        let groups = data.groups();
        let clamp = |v: f64| v.clamp(min, max);
        for (row, &(obs, pred, lo, hi)) in data.rows.iter().zip(&intervals) {
            let colour = data.colour_of(row.group.as_deref(), &groups);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(obs, clamp(lo)), (obs, clamp(hi))],
                    colour.mix(0.3),
                )))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(Circle::new(
                    (obs, pred),
                    3,
                    colour.filled(),
                )))
                .map_err(err)?;
        }
        if groups.is_empty() {
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                .map_err(err)?
                .label("patients (held out)")
                .legend(|(x, y)| Circle::new((x + 10, y), 4, palette(0).filled()));
        } else {
            for (i, g) in groups.iter().enumerate() {
                chart
                    .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                    .map_err(err)?
                    .label(g.clone())
                    .legend(move |(x, y)| Circle::new((x + 10, y), 4, palette(i).filled()));
            }
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft, plot)
    }
}

impl Figure for CalibrationFigure<'_> {
    fn holds_patient_data(&self) -> bool {
        true
    }

    fn name(&self) -> &str {
        "learner_calibration"
    }

    fn title(&self) -> String {
        format!(
            "Calibration of the predictive intervals of {}: nominal against observed coverage",
            self.data.target
        )
    }

    fn size(&self) -> (u32, u32) {
        (760, 700)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let plot = self.name();
        let err = |e| PlotError::draw(plot, e);
        let data = self.data;
        let mut chart = ChartBuilder::on(root)
            .caption(
                format!(
                    "{}: calibration of held-out predictive intervals",
                    data.target
                ),
                caption_font(),
            )
            .margin(12)
            .margin_right(24)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(0.0..100.0, 0.0..100.0)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("nominal coverage of the central interval (%)")
            .y_desc("observed coverage (%)")
            .axis_desc_style(label_font())
            .label_style((FONT_FAMILY, 13))
            .x_label_formatter(&|v| format_number(*v))
            .y_label_formatter(&|v| format_number(*v))
            .bold_line_style(BLACK.mix(0.08))
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(err)?;
        chart
            .draw_series(LineSeries::new(
                [(0.0, 0.0), (100.0, 100.0)],
                BLACK.mix(0.5),
            ))
            .map_err(err)?
            .label("perfect calibration")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.5)));
        let groups = data.groups();
        let mut lines: Vec<(String, Option<&str>, RGBColor)> =
            vec![(format!("all ({})", data.rows.len()), None, BLACK)];
        for (i, g) in groups.iter().enumerate() {
            let n = data
                .rows
                .iter()
                .filter(|r| r.group.as_ref() == Some(g))
                .count();
            lines.push((format!("{g} ({n})"), Some(g.as_str()), palette(i)));
        }
        for (label, group, colour) in lines {
            let points: Vec<(f64, f64)> = data
                .coverage(group)
                .into_iter()
                .map(|(n, o)| (100.0 * n, 100.0 * o))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
                .map_err(err)?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 4, colour.filled())),
                )
                .map_err(err)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight, plot)
    }
}

/// Writes both diagnostics into `dir`; returns the files written.
pub fn write_all(
    data: &LearnerDiagnostics,
    dir: &Path,
    format: Format,
) -> Result<Vec<PathBuf>, PlotError> {
    Ok(vec![
        write_figure(&PredictedFigure { data }, dir, format)?,
        write_figure(&CalibrationFigure { data }, dir, format)?,
    ])
}
