//! Every plot a results folder supports: prediction bands from `timecourse.csv`, endpoint
//! forest plots and adverse-event rates from `summary.json`.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::bands::{BandsFigure, TargetRange};
use super::endpoints::{AdverseFigure, EndpointsFigure, RunSummary};
use super::style::YScale;
use super::{Figure, Format, PlotError, write_figure};
use crate::scenario::{Overrides, Rule, Scenario};
use pk_models::outcomes::{Exposure, Outcome};

/// How a results folder is drawn.
#[derive(Debug, Clone, Default)]
pub struct PlotOptions {
    /// Image format.
    pub format: Format,
    /// Linear or log y axes of the prediction bands.
    pub y_scale: YScale,
    /// The scenario file, for target ranges (default: `scenario_file` of `summary.json`, when
    /// the run recorded it).
    pub scenario: Option<PathBuf>,
}

/// Any figure of a results folder.
#[derive(Debug, Clone, PartialEq)]
pub enum ResultsFigure {
    /// Prediction bands.
    Bands(BandsFigure),
    /// Endpoint forest plots.
    Endpoints(EndpointsFigure),
    /// Adverse-event rates.
    Adverse(AdverseFigure),
}

impl Figure for ResultsFigure {
    fn name(&self) -> &str {
        match self {
            ResultsFigure::Bands(f) => f.name(),
            ResultsFigure::Endpoints(f) => f.name(),
            ResultsFigure::Adverse(f) => f.name(),
        }
    }

    fn title(&self) -> String {
        match self {
            ResultsFigure::Bands(f) => f.title(),
            ResultsFigure::Endpoints(f) => f.title(),
            ResultsFigure::Adverse(f) => f.title(),
        }
    }

    fn size(&self) -> (u32, u32) {
        match self {
            ResultsFigure::Bands(f) => f.size(),
            ResultsFigure::Endpoints(f) => f.size(),
            ResultsFigure::Adverse(f) => f.size(),
        }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        match self {
            ResultsFigure::Bands(f) => f.draw(root),
            ResultsFigure::Endpoints(f) => f.draw(root),
            ResultsFigure::Adverse(f) => f.draw(root),
        }
    }
}

/// Target ranges a scenario defines on its outputs: the range of each time-in-range outcome and
/// of each target attainment on a level (Cmax, Cmin, a value at a time) that is not an adverse
/// event, and the level of each proportional dose-to-target rule (a line).
pub fn targets_of(scenario: &Scenario) -> Vec<TargetRange> {
    let mut targets: Vec<TargetRange> = Vec::new();
    let mut push = |t: TargetRange| {
        if !targets
            .iter()
            .any(|x| x.output == t.output && x.low == t.low && x.high == t.high)
        {
            targets.push(t);
        }
    };
    let output_name = |i: usize| scenario.output_names.get(i).cloned().unwrap_or_default();
    // A dimensionless output (unit "1", as INR) gets no unit after its numbers.
    let unit = |i: usize| {
        scenario
            .output_units
            .get(i)
            .filter(|u| !u.is_empty() && u.as_str() != "1")
            .map_or_else(String::new, |u| format!(" {u}"))
    };
    for outcome in scenario.outcomes.iter().filter(|o| !o.adverse) {
        // A range on the output itself: time in range, or a level (not an AUC) in a range.
        let range = match &outcome.definition {
            Outcome::TimeInRange(range) => Some((range.low, range.high)),
            Outcome::TargetAttainment(t) => match t.metric {
                Exposure::Cmax { .. } | Exposure::Cmin { .. } | Exposure::ValueAt { .. } => {
                    Some((t.low, t.high))
                }
                _ => None,
            },
            _ => None,
        };
        if let Some((low, high)) = range {
            push(TargetRange {
                output: output_name(outcome.output),
                low,
                high,
                label: format!(
                    "target {}–{}{} ({})",
                    super::format_number(low),
                    super::format_number(high),
                    unit(outcome.output),
                    outcome.name
                ),
            });
        }
    }
    for rule in scenario.arms.iter().flat_map(|a| &a.rules) {
        if let Rule::ToTarget { output, target, .. } = rule {
            push(TargetRange {
                output: output_name(*output),
                low: *target,
                high: *target,
                label: format!(
                    "dose-adjustment target {}{}",
                    super::format_number(*target),
                    unit(*output)
                ),
            });
        }
    }
    targets
}

/// The scenario of a run: `options.scenario`, else `summary.json`'s `scenario_file`.
pub fn scenario_of(
    summary: Option<&RunSummary>,
    options: &PlotOptions,
) -> Result<Option<Scenario>, PlotError> {
    let path = options
        .scenario
        .clone()
        .or_else(|| summary.and_then(|s| s.scenario_file.clone()));
    match path {
        Some(path) => Scenario::load(&path, Overrides::default())
            .map(Some)
            .map_err(|e| PlotError::Read {
                path,
                source: Box::new(e),
            }),
        None => Ok(None),
    }
}

/// The figures of the results in `dir`, each only when its data file is there.
pub fn figures(dir: &Path, options: &PlotOptions) -> Result<Vec<ResultsFigure>, PlotError> {
    let summary = read_summary(dir)?;
    let targets = scenario_of(summary.as_ref(), options)?
        .map(|s| targets_of(&s))
        .unwrap_or_default();
    figures_from(dir, summary, targets, options.y_scale)
}

/// `summary.json` of `dir`, when there is one.
pub fn read_summary(dir: &Path) -> Result<Option<RunSummary>, PlotError> {
    let path = dir.join("summary.json");
    if path.exists() {
        RunSummary::read(&path).map(Some)
    } else {
        Ok(None)
    }
}

/// The figures of `dir` from its summary (already read) and the target ranges to shade.
pub fn figures_from(
    dir: &Path,
    summary: Option<RunSummary>,
    targets: Vec<TargetRange>,
    y_scale: YScale,
) -> Result<Vec<ResultsFigure>, PlotError> {
    let mut figures = Vec::new();
    let timecourse = dir.join("timecourse.csv");
    if timecourse.exists() {
        let mut bands = BandsFigure::read(&timecourse)?;
        bands.targets = targets;
        bands.y_scale = y_scale;
        figures.push(ResultsFigure::Bands(bands));
    }
    if let Some(summary) = summary {
        let endpoints = EndpointsFigure {
            summary: summary.clone(),
        };
        if !endpoints.is_empty() {
            figures.push(ResultsFigure::Endpoints(endpoints));
        }
        let adverse = AdverseFigure { summary };
        if !adverse.is_empty() {
            figures.push(ResultsFigure::Adverse(adverse));
        }
    }
    if figures.is_empty() {
        return Err(PlotError::data(
            dir.display().to_string(),
            "nothing to plot: no timecourse.csv, and no outcomes in summary.json",
        ));
    }
    Ok(figures)
}

/// Draws every plot the results in `dir` support into `out`; returns the files written.
pub fn plot_results(
    dir: &Path,
    out: &Path,
    options: &PlotOptions,
) -> Result<Vec<PathBuf>, PlotError> {
    figures(dir, options)?
        .iter()
        .map(|f| write_figure(f, out, options.format))
        .collect()
}
