//! Prediction bands per arm from `timecourse.csv`: the median over time with the 25–75% and
//! 5–95% ribbons of the twins, one panel per output, one colour per arm, target ranges shaded.

use std::collections::BTreeMap;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Deserialize;

use super::style::{
    Fan, Ribbon, TimeAxis, YScale, draw_fans, draw_legend, draw_target, palette, time_chart,
    with_unit, y_range,
};
use super::{Figure, PlotError};

/// One row of `timecourse.csv`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TimecourseRow {
    /// Arm name.
    pub arm: String,
    /// Time (h).
    pub time_h: f64,
    /// Output name (`CP`).
    pub output: String,
    /// The output's unit (`mg/L`).
    pub unit: String,
    /// Twins counted.
    pub n: u64,
    /// 5th percentile over twins.
    pub p05: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
}

/// A range to shade on an output's panel (`low == high`: a line at a single target).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetRange {
    /// The output it applies to.
    pub output: String,
    /// Lower end, in the output's unit.
    pub low: f64,
    /// Upper end, in the output's unit.
    pub high: f64,
    /// Legend label (`INR in range`).
    pub label: String,
}

/// One arm's quantiles of one output over time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ArmSeries {
    /// Times (h).
    pub times_h: Vec<f64>,
    /// Medians.
    pub p50: Vec<f64>,
    /// 25–75% and 5–95% ribbons.
    pub ribbons: Vec<Ribbon>,
}

/// One output's panel.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputPanel {
    /// Output name.
    pub output: String,
    /// Its unit.
    pub unit: String,
    /// Per arm, in the order of [`BandsFigure::arms`].
    pub arms: Vec<ArmSeries>,
}

/// The prediction-band figure.
#[derive(Debug, Clone, PartialEq)]
pub struct BandsFigure {
    /// Arm names, in file order (their colours follow [`palette`]).
    pub arms: Vec<String>,
    /// One panel per output, in file order.
    pub panels: Vec<OutputPanel>,
    /// Ranges to shade.
    pub targets: Vec<TargetRange>,
    /// Linear or log y axes.
    pub y_scale: YScale,
}

/// Height of one output's panel (px).
const PANEL_HEIGHT: u32 = 380;
/// Width of the figure (px).
const WIDTH: u32 = 960;

impl BandsFigure {
    /// Reads `timecourse.csv`.
    pub fn read(path: &Path) -> Result<BandsFigure, PlotError> {
        let read_error = |e: csv::Error| PlotError::Read {
            path: path.to_path_buf(),
            source: Box::new(e),
        };
        let mut reader = csv::Reader::from_path(path).map_err(read_error)?;
        let rows = reader
            .deserialize()
            .collect::<Result<Vec<TimecourseRow>, _>>()
            .map_err(read_error)?;
        BandsFigure::from_rows(&rows).map_err(|e| match e {
            PlotError::Data { problem, .. } => PlotError::data(path.display().to_string(), problem),
            other => other,
        })
    }

    /// Groups rows into panels (outputs) and arms, both in order of first appearance.
    pub fn from_rows(rows: &[TimecourseRow]) -> Result<BandsFigure, PlotError> {
        if rows.is_empty() {
            return Err(PlotError::data("timecourse", "no rows"));
        }
        let mut arms: Vec<String> = Vec::new();
        let mut outputs: Vec<(String, String)> = Vec::new();
        let mut series: BTreeMap<(usize, usize), ArmSeries> = BTreeMap::new();
        for row in rows {
            let arm = index_of(&mut arms, &row.arm);
            let output = match outputs.iter().position(|(o, _)| *o == row.output) {
                Some(i) => i,
                None => {
                    outputs.push((row.output.clone(), row.unit.clone()));
                    outputs.len() - 1
                }
            };
            let s = series.entry((output, arm)).or_insert_with(|| ArmSeries {
                ribbons: vec![
                    Ribbon {
                        level: 0.9,
                        lower: Vec::new(),
                        upper: Vec::new(),
                    },
                    Ribbon {
                        level: 0.5,
                        lower: Vec::new(),
                        upper: Vec::new(),
                    },
                ],
                ..ArmSeries::default()
            });
            if s.times_h.last().is_some_and(|t| *t > row.time_h) {
                return Err(PlotError::data(
                    "timecourse",
                    format!(
                        "times of arm `{}`, output `{}` are not increasing",
                        row.arm, row.output
                    ),
                ));
            }
            s.times_h.push(row.time_h);
            s.p50.push(row.p50);
            s.ribbons[0].lower.push(row.p05);
            s.ribbons[0].upper.push(row.p95);
            s.ribbons[1].lower.push(row.p25);
            s.ribbons[1].upper.push(row.p75);
        }
        let panels = outputs
            .into_iter()
            .enumerate()
            .map(|(o, (output, unit))| OutputPanel {
                output,
                unit,
                arms: (0..arms.len())
                    .map(|a| series.remove(&(o, a)).unwrap_or_default())
                    .collect(),
            })
            .collect();
        Ok(BandsFigure {
            arms,
            panels,
            targets: Vec::new(),
            y_scale: YScale::Linear,
        })
    }

    fn last_time_h(&self) -> f64 {
        self.panels
            .iter()
            .flat_map(|p| &p.arms)
            .filter_map(|a| a.times_h.last().copied())
            .fold(0.0, f64::max)
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        panel: &OutputPanel,
    ) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let axis = TimeAxis::for_follow_up(self.last_time_h());
        let x = 0.0..axis.scale(self.last_time_h()).max(1e-9);
        let targets: Vec<&TargetRange> = self
            .targets
            .iter()
            .filter(|t| t.output == panel.output)
            .collect();
        let values = panel
            .arms
            .iter()
            .flat_map(|a| {
                a.ribbons
                    .iter()
                    .flat_map(|r| r.lower.iter().chain(&r.upper))
            })
            .copied()
            .chain(targets.iter().flat_map(|t| [t.low, t.high]));
        let y = y_range(values, self.y_scale);
        let caption = if self.arms.len() > 1 {
            format!(
                "{}: median (line), 25–75% (band) and 5–95% (dashed) of twins",
                panel.output
            )
        } else {
            format!("{}: median, 25–75% and 5–95% of twins", panel.output)
        };
        let y_title = with_unit(&panel.output, &panel.unit);
        match self.y_scale {
            YScale::Linear => self.fill_panel(
                time_chart(
                    area,
                    &caption,
                    x.clone(),
                    y,
                    (axis.title(), &y_title),
                    self.y_scale,
                    self.name(),
                )?,
                panel,
                &targets,
                axis,
                x,
            ),
            YScale::Log => self.fill_panel(
                time_chart(
                    area,
                    &caption,
                    x.clone(),
                    y.log_scale(),
                    (axis.title(), &format!("{y_title}, log scale")),
                    self.y_scale,
                    self.name(),
                )?,
                panel,
                &targets,
                axis,
                x,
            ),
        }
    }

    fn fill_panel<'a, DB: DrawingBackend + 'a, Y: super::style::YCoord>(
        &self,
        mut chart: super::style::TimeChart<'a, DB, Y>,
        panel: &OutputPanel,
        targets: &[&TargetRange],
        axis: TimeAxis,
        x: std::ops::Range<f64>,
    ) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        // Ranges under the fans, single levels over them.
        for target in targets.iter().filter(|t| t.high > t.low) {
            draw_target(
                &mut chart,
                x.clone(),
                (target.low, target.high),
                &target.label,
                self.name(),
            )?;
        }
        let times: Vec<Vec<f64>> = panel
            .arms
            .iter()
            .map(|s| s.times_h.iter().map(|t| axis.scale(*t)).collect())
            .collect();
        let fans: Vec<Fan<'_>> = self
            .arms
            .iter()
            .zip(&panel.arms)
            .zip(&times)
            .enumerate()
            .map(|(a, ((name, series), times))| Fan {
                times,
                median: &series.p50,
                ribbons: &series.ribbons,
                colour: palette(a),
                label: name,
            })
            .collect();
        draw_fans(&mut chart, &fans, self.name())?;
        for target in targets.iter().filter(|t| t.high <= t.low) {
            draw_target(
                &mut chart,
                x.clone(),
                (target.low, target.high),
                &target.label,
                self.name(),
            )?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight, self.name())
    }
}

fn index_of(names: &mut Vec<String>, name: &str) -> usize {
    match names.iter().position(|n| n == name) {
        Some(i) => i,
        None => {
            names.push(name.to_owned());
            names.len() - 1
        }
    }
}

impl Figure for BandsFigure {
    fn name(&self) -> &str {
        "bands"
    }

    fn title(&self) -> String {
        let outputs: Vec<&str> = self.panels.iter().map(|p| p.output.as_str()).collect();
        format!(
            "Prediction bands of {} per arm: median, 25–75% and 5–95% of twins over time",
            outputs.join(", ")
        )
    }

    fn size(&self) -> (u32, u32) {
        (WIDTH, PANEL_HEIGHT * self.panels.len().max(1) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let areas = root.split_evenly((self.panels.len().max(1), 1));
        for (area, panel) in areas.iter().zip(&self.panels) {
            self.draw_panel(area, panel)?;
        }
        Ok(())
    }
}
