//! Endpoint comparisons from `summary.json`: a forest plot per outcome (each arm's estimate and
//! 95% interval, the between-arm differences and power written under it) and adverse-event
//! rates as bars with intervals.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::Deserialize;

use super::style::{caption_font, format_number, label_font, note_font, palette};
use super::{FONT_FAMILY, Figure, PlotError};

/// An estimate with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct Estimate {
    /// Point estimate.
    pub estimate: f64,
    /// Lower end of the 95% interval.
    pub lower: f64,
    /// Upper end of the 95% interval.
    pub upper: f64,
}

/// One outcome in one arm, as `summary.json` has it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OutcomeResult {
    /// Outcome name.
    pub name: String,
    /// The output it reads.
    #[serde(default)]
    pub output: String,
    /// The output's unit.
    #[serde(default)]
    pub unit: String,
    /// `mean` or `proportion`.
    pub kind: String,
    /// An adverse event.
    #[serde(default)]
    pub adverse: bool,
    /// Estimate and interval.
    #[serde(flatten)]
    pub result: Estimate,
    /// Monte-Carlo standard error.
    #[serde(default)]
    pub mc_error: f64,
}

/// One arm of `summary.json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ArmResult {
    /// Arm name.
    pub name: String,
    /// Twins per replicate.
    #[serde(default)]
    pub twins: u32,
    /// Outcomes.
    pub outcomes: Vec<OutcomeResult>,
}

/// A between-arm comparison of `summary.json`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ComparisonResult {
    /// Outcome.
    pub outcome: String,
    /// Control arm.
    pub control: String,
    /// Treatment arm.
    pub treatment: String,
    /// Treatment − control.
    pub difference: Estimate,
    /// Significance level.
    pub alpha: f64,
    /// Fraction of replicates where the trial succeeds.
    pub power: f64,
    /// The power's 95% interval over the replicates (absent in older summaries).
    #[serde(default)]
    pub power_interval: Option<Estimate>,
}

/// What the plots and the report read of `summary.json` (other fields are ignored).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RunSummary {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Replicate trials.
    #[serde(default)]
    pub replicates: u32,
    /// Twins per arm per replicate.
    #[serde(default)]
    pub twins_per_arm: u32,
    /// twinsim's version.
    #[serde(default)]
    pub twinsim_version: String,
    /// Hash of the input files.
    #[serde(default)]
    pub files_hash: String,
    /// How intervals were computed.
    #[serde(default)]
    pub interval: String,
    /// The scenario file, when the run recorded it.
    #[serde(default)]
    pub scenario_file: Option<PathBuf>,
    /// Per arm.
    pub arms: Vec<ArmResult>,
    /// Between arms.
    #[serde(default)]
    pub comparisons: Vec<ComparisonResult>,
}

impl RunSummary {
    /// What the intervals are called: "95% interval", or "range of R replicates" for a run of
    /// 2 to 19 replicates.
    pub fn interval_name(&self) -> String {
        crate::output::summary::interval_name(self.replicates)
    }

    /// Reads `summary.json`.
    pub fn read(path: &Path) -> Result<RunSummary, PlotError> {
        let text = std::fs::read_to_string(path).map_err(|e| PlotError::Read {
            path: path.to_path_buf(),
            source: Box::new(e),
        })?;
        serde_json::from_str(&text).map_err(|e| PlotError::Read {
            path: path.to_path_buf(),
            source: Box::new(e),
        })
    }

    /// Outcome names in order of first appearance, with their unit, kind and adverse flag.
    pub fn outcomes(&self) -> Vec<&OutcomeResult> {
        let mut seen: Vec<&OutcomeResult> = Vec::new();
        for o in self.arms.iter().flat_map(|a| &a.outcomes) {
            if !seen.iter().any(|s| s.name == o.name) {
                seen.push(o);
            }
        }
        seen
    }

    /// Each arm's result for `outcome` (None where an arm lacks it).
    pub fn per_arm(&self, outcome: &str) -> Vec<Option<&OutcomeResult>> {
        self.arms
            .iter()
            .map(|a| a.outcomes.iter().find(|o| o.name == outcome))
            .collect()
    }

    /// The comparisons on `outcome`.
    pub fn comparisons_of(&self, outcome: &str) -> Vec<&ComparisonResult> {
        self.comparisons
            .iter()
            .filter(|c| c.outcome == outcome)
            .collect()
    }
}

/// How an outcome's numbers are shown: proportions as percentages.
fn display_value(outcome: &OutcomeResult, v: f64) -> f64 {
    if outcome.kind == "proportion" {
        100.0 * v
    } else {
        v
    }
}

fn display_unit(outcome: &OutcomeResult) -> String {
    if outcome.kind == "proportion" {
        "% of twins".to_owned()
    } else {
        outcome.unit.clone()
    }
}

/// One line per comparison: `B − A: 1.2 [0.8, 1.6] mg/L; power 83% at α = 0.05`.
pub fn comparison_text(outcome: &OutcomeResult, c: &ComparisonResult) -> String {
    let d = |v| format_number(display_value(outcome, v));
    let unit = if outcome.kind == "proportion" {
        " percentage points".to_owned()
    } else if outcome.unit.is_empty() {
        String::new()
    } else {
        format!(" {}", outcome.unit)
    };
    format!(
        "{} − {}: {} [{}, {}]{unit}; power {}%{} at α = {}",
        c.treatment,
        c.control,
        d(c.difference.estimate),
        d(c.difference.lower),
        d(c.difference.upper),
        format_number(100.0 * c.power),
        c.power_interval.map_or(String::new(), |i| format!(
            " [{}, {}]",
            format_number(100.0 * i.lower),
            format_number(100.0 * i.upper)
        )),
        format_number(c.alpha),
    )
}

/// Forest plots of every outcome that is not an adverse event.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointsFigure {
    /// The run's summary.
    pub summary: RunSummary,
}

/// Adverse-event rates per arm, as bars with 95% intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct AdverseFigure {
    /// The run's summary.
    pub summary: RunSummary,
}

const WIDTH: u32 = 960;
const ROW_HEIGHT: u32 = 44;
const NOTE_HEIGHT: u32 = 22;

impl EndpointsFigure {
    fn outcomes(&self) -> Vec<&OutcomeResult> {
        self.summary
            .outcomes()
            .into_iter()
            .filter(|o| !o.adverse)
            .collect()
    }

    fn panel_height(&self, outcome: &str) -> u32 {
        110 + ROW_HEIGHT * self.summary.arms.len() as u32
            + NOTE_HEIGHT * self.summary.comparisons_of(outcome).len() as u32
    }

    /// Whether there is anything to draw.
    pub fn is_empty(&self) -> bool {
        self.outcomes().is_empty()
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        outcome: &OutcomeResult,
    ) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let plot = self.name();
        let err = |e| PlotError::draw(plot, e);
        let comparisons = self.summary.comparisons_of(&outcome.name);
        let (_, height) = area.dim_in_pixel();
        let note_height = NOTE_HEIGHT * comparisons.len() as u32 + 8;
        let (chart_area, note_area) = area.split_vertically(height.saturating_sub(note_height));
        let per_arm = self.summary.per_arm(&outcome.name);
        let n = per_arm.len();
        let values = per_arm
            .iter()
            .flatten()
            .flat_map(|o| [o.result.lower, o.result.upper, o.result.estimate])
            .map(|v| display_value(outcome, v))
            .filter(|v| v.is_finite());
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
        let pad = if hi > lo {
            0.15 * (hi - lo)
        } else {
            lo.abs().max(1.0) * 0.1
        };
        let arm_names: Vec<String> = self.summary.arms.iter().map(|a| a.name.clone()).collect();
        let kind = if outcome.kind == "proportion" {
            "proportion"
        } else {
            "mean"
        };
        let mut chart = ChartBuilder::on(&chart_area)
            .caption(
                format!(
                    "{} ({kind}): each arm's estimate and {}",
                    outcome.name,
                    self.summary.interval_name()
                ),
                caption_font(),
            )
            .margin(12)
            .margin_right(24)
            .x_label_area_size(48)
            .y_label_area_size(label_width(&arm_names))
            .build_cartesian_2d(lo - pad..hi + pad, -0.6..n as f64 - 0.4)
            .map_err(err)?;
        let x_title = super::style::with_unit(&outcome.name, &display_unit(outcome));
        chart
            .configure_mesh()
            .x_desc(x_title)
            .axis_desc_style(label_font())
            .label_style((FONT_FAMILY, 13))
            .x_label_formatter(&|v| format_number(*v))
            .y_label_formatter(&|_| String::new())
            .y_labels(0)
            .disable_y_mesh()
            .bold_line_style(BLACK.mix(0.08))
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(err)?;
        for (a, result) in per_arm.iter().enumerate() {
            let Some(result) = result else { continue };
            let row = (n - 1 - a) as f64;
            let colour = palette(a);
            // The arm's name beside the y axis, level with its marker.
            let (px, py) = chart.backend_coord(&(lo - pad, row));
            let base = chart_area.get_base_pixel();
            chart_area
                .draw(&Text::new(
                    arm_names[a].clone(),
                    (px - base.0 - 8, py - base.1),
                    label_font().pos(Pos::new(HPos::Right, VPos::Center)),
                ))
                .map_err(err)?;
            let (est, lower, upper) = (
                display_value(outcome, result.result.estimate),
                display_value(outcome, result.result.lower),
                display_value(outcome, result.result.upper),
            );
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(lower, row), (upper, row)],
                    colour.stroke_width(3),
                )))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(Circle::new((est, row), 7, colour.filled())))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((est, row))
                        + Text::new(
                            format!(
                                "{} [{}, {}]",
                                format_number(est),
                                format_number(lower),
                                format_number(upper)
                            ),
                            (0, -11),
                            note_font().pos(Pos::new(HPos::Center, VPos::Bottom)),
                        ),
                ))
                .map_err(err)?;
        }
        for (i, c) in comparisons.iter().enumerate() {
            note_area
                .draw(&Text::new(
                    comparison_text(outcome, c),
                    (
                        label_width(&arm_names) as i32 + 12,
                        4 + (NOTE_HEIGHT * i as u32) as i32,
                    ),
                    label_font(),
                ))
                .map_err(err)?;
        }
        Ok(())
    }
}

/// Room for the longest arm name (px), between 80 and 260.
fn label_width(names: &[String]) -> u32 {
    let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) as u32;
    (longest * 8 + 16).clamp(80, 260)
}

impl Figure for EndpointsFigure {
    fn name(&self) -> &str {
        "endpoints"
    }

    fn title(&self) -> String {
        format!(
            "Endpoints per arm: estimates with their {}; differences between arms and power",
            self.summary.interval_name()
        )
    }

    fn size(&self) -> (u32, u32) {
        let height = self
            .outcomes()
            .iter()
            .map(|o| self.panel_height(&o.name))
            .sum::<u32>();
        (WIDTH, height.max(120))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let mut rest = root.clone();
        for outcome in self.outcomes() {
            let (panel, below) = rest.split_vertically(self.panel_height(&outcome.name));
            self.draw_panel(&panel, outcome)?;
            rest = below;
        }
        Ok(())
    }
}

impl AdverseFigure {
    fn outcomes(&self) -> Vec<&OutcomeResult> {
        self.summary
            .outcomes()
            .into_iter()
            .filter(|o| o.adverse)
            .collect()
    }

    /// Whether there is anything to draw.
    pub fn is_empty(&self) -> bool {
        self.outcomes().is_empty()
    }

    fn panel_height(&self, outcome: &str) -> u32 {
        340 + NOTE_HEIGHT * self.summary.comparisons_of(outcome).len() as u32
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        outcome: &OutcomeResult,
    ) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let plot = self.name();
        let err = |e| PlotError::draw(plot, e);
        let comparisons = self.summary.comparisons_of(&outcome.name);
        let (_, height) = area.dim_in_pixel();
        let note_height = NOTE_HEIGHT * comparisons.len() as u32 + 8;
        let (chart_area, note_area) = area.split_vertically(height.saturating_sub(note_height));
        let per_arm = self.summary.per_arm(&outcome.name);
        let n = per_arm.len();
        let top = per_arm
            .iter()
            .flatten()
            .map(|o| display_value(outcome, o.result.upper))
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let top = if top > 0.0 { top * 1.2 } else { 1.0 };
        let arm_names: Vec<String> = self.summary.arms.iter().map(|a| a.name.clone()).collect();
        let mut chart = ChartBuilder::on(&chart_area)
            .caption(
                format!(
                    "{}: adverse-event rate with {}",
                    outcome.name,
                    self.summary.interval_name()
                ),
                caption_font(),
            )
            .margin(12)
            .margin_right(24)
            .x_label_area_size(40)
            .y_label_area_size(72)
            .build_cartesian_2d(-0.5..n as f64 - 0.5, 0.0..top)
            .map_err(err)?;
        chart
            .configure_mesh()
            .y_desc(format!("{} (% of twins)", outcome.name))
            .axis_desc_style(label_font())
            .label_style((FONT_FAMILY, 13))
            .y_label_formatter(&|v| format_number(*v))
            .x_label_formatter(&|_| String::new())
            .x_labels(0)
            .disable_x_mesh()
            .bold_line_style(BLACK.mix(0.08))
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(err)?;
        for (a, result) in per_arm.iter().enumerate() {
            let Some(result) = result else { continue };
            let colour = palette(a);
            let est = display_value(outcome, result.result.estimate);
            let (lower, upper) = (
                display_value(outcome, result.result.lower).max(0.0),
                display_value(outcome, result.result.upper),
            );
            let x = a as f64;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.3, 0.0), (x + 0.3, est)],
                    colour.mix(0.85).filled(),
                )))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, lower), (x, upper)],
                    BLACK.stroke_width(2),
                )))
                .map_err(err)?;
            for end in [lower, upper] {
                chart
                    .draw_series(std::iter::once(
                        EmptyElement::at((x, end))
                            + PathElement::new(vec![(-8, 0), (8, 0)], BLACK.stroke_width(2)),
                    ))
                    .map_err(err)?;
            }
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((x, upper))
                        + Text::new(
                            format!("{}%", format_number(est)),
                            (0, -8),
                            note_font().pos(Pos::new(HPos::Center, VPos::Bottom)),
                        ),
                ))
                .map_err(err)?;
            // The arm's name under the bar.
            let (px, py) = chart.backend_coord(&(x, 0.0));
            let base = chart_area.get_base_pixel();
            chart_area
                .draw(&Text::new(
                    arm_names[a].clone(),
                    (px - base.0, py - base.1 + 10),
                    label_font().pos(Pos::new(HPos::Center, VPos::Top)),
                ))
                .map_err(err)?;
        }
        for (i, c) in comparisons.iter().enumerate() {
            note_area
                .draw(&Text::new(
                    comparison_text(outcome, c),
                    (84, 4 + (NOTE_HEIGHT * i as u32) as i32),
                    label_font(),
                ))
                .map_err(err)?;
        }
        Ok(())
    }
}

impl Figure for AdverseFigure {
    fn name(&self) -> &str {
        "adverse_events"
    }

    fn title(&self) -> String {
        format!(
            "Adverse-event rates per arm with their {}",
            self.summary.interval_name()
        )
    }

    fn size(&self) -> (u32, u32) {
        let height = self
            .outcomes()
            .iter()
            .map(|o| self.panel_height(&o.name))
            .sum::<u32>();
        (WIDTH, height.max(120))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let mut rest = root.clone();
        for outcome in self.outcomes() {
            let (panel, below) = rest.split_vertically(self.panel_height(&outcome.name));
            self.draw_panel(&panel, outcome)?;
            rest = below;
        }
        Ok(())
    }
}
