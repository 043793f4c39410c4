//! A twin's forecast: posterior-predictive fans of a concentration or effect under the current
//! and proposed regimens, the twin's observations as points, doses as marks on the time axis,
//! and the target range shaded.
//!
//! Plain data in, so that `twinsim twin forecast` can call it:
//!
//! ```
//! use engine::plot::forecast::{ForecastFigure, RegimenFan};
//! use engine::plot::{Ribbon, to_svg};
//! let times: Vec<f64> = (0..=48).map(f64::from).collect();
//! let curve = |scale: f64| times.iter().map(|t| scale * (1.0 + (t / 6.0).sin().abs())).collect::<Vec<_>>();
//! let fan = |name: &str, scale: f64, doses: Vec<f64>| RegimenFan {
//!     name: name.into(),
//!     median: curve(scale),
//!     ribbons: vec![Ribbon { level: 0.9, lower: curve(0.6 * scale), upper: curve(1.5 * scale) }],
//!     dose_times_h: doses,
//! };
//! let figure = ForecastFigure {
//!     output: "CP".into(),
//!     unit: "mg/L".into(),
//!     times_h: times.clone(),
//!     regimens: vec![fan("current: 100 mg q12h", 1.0, vec![0.0, 12.0, 24.0, 36.0]),
//!                    fan("proposed: 150 mg q12h", 1.5, vec![24.0, 36.0])],
//!     observations: vec![(2.0, 1.4), (11.5, 1.1)],
//!     target: Some((1.5, 3.0)),
//!     now_h: Some(24.0),
//!     ..ForecastFigure::default()
//! };
//! let svg = to_svg(&figure)?;
//! assert!(svg.contains("CP (mg/L)"));
//! # Ok::<(), engine::plot::PlotError>(())
//! ```

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{
    Fan, Ribbon, TARGET_GREY, TimeAxis, TimeChart, YCoord, YScale, draw_fans, draw_legend,
    draw_target, palette, time_chart, with_unit, y_range,
};
use super::{Figure, PlotError};

/// One regimen's predictive fan.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RegimenFan {
    /// Legend label (`current: 100 mg q12h`).
    pub name: String,
    /// Predictive median at each of [`ForecastFigure::times_h`].
    pub median: Vec<f64>,
    /// Predictive intervals (e.g. 50% and 90%), bounds at each time.
    pub ribbons: Vec<Ribbon>,
    /// Dose times of this regimen (h), drawn as marks on the time axis.
    pub dose_times_h: Vec<f64>,
}

impl RegimenFan {
    /// A fan from per-time quantiles `[q05, q25, q50, q75, q95]` (the layout of
    /// `twins::forecast::Forecast::bands`): the median, the 50% and the 90% intervals.
    pub fn from_quantiles(name: &str, bands: &[[f64; 5]], dose_times_h: Vec<f64>) -> RegimenFan {
        let column = |k: usize| bands.iter().map(|q| q[k]).collect::<Vec<f64>>();
        RegimenFan {
            name: name.to_owned(),
            median: column(2),
            ribbons: vec![
                Ribbon {
                    level: 0.9,
                    lower: column(0),
                    upper: column(4),
                },
                Ribbon {
                    level: 0.5,
                    lower: column(1),
                    upper: column(3),
                },
            ],
            dose_times_h,
        }
    }
}

/// The forecast figure.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ForecastFigure {
    /// Output name (`CP`, `INR`).
    pub output: String,
    /// Its unit (`mg/L`; empty when unitless).
    pub unit: String,
    /// Times of the fans (h).
    pub times_h: Vec<f64>,
    /// Regimens: the current one first, then the proposed ones.
    pub regimens: Vec<RegimenFan>,
    /// The twin's observations: (time h, value).
    pub observations: Vec<(f64, f64)>,
    /// The target range (low, high), in the output's unit.
    pub target: Option<(f64, f64)>,
    /// The time of the forecast (h): a vertical line marks it.
    pub now_h: Option<f64>,
    /// Linear or log y axis.
    pub y_scale: YScale,
}

impl ForecastFigure {
    /// Checks that every fan has one value per time.
    pub fn validate(&self) -> Result<(), PlotError> {
        if self.times_h.is_empty() {
            return Err(PlotError::data("forecast", "no times"));
        }
        for r in &self.regimens {
            let n = self.times_h.len();
            if r.median.len() != n
                || r.ribbons
                    .iter()
                    .any(|b| b.lower.len() != n || b.upper.len() != n)
            {
                return Err(PlotError::data(
                    format!("forecast regimen `{}`", r.name),
                    format!("expected {n} values per band, one per time"),
                ));
            }
        }
        Ok(())
    }

    fn fill<'a, DB: DrawingBackend + 'a, Y: YCoord>(
        &self,
        mut chart: TimeChart<'a, DB, Y>,
        axis: TimeAxis,
        x: std::ops::Range<f64>,
    ) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let plot = self.name();
        let err = |e| PlotError::draw(plot, e);
        if let Some(range) = self.target {
            draw_target(&mut chart, x.clone(), range, "target range", plot)?;
        }
        let times: Vec<f64> = self.times_h.iter().map(|t| axis.scale(*t)).collect();
        let fans: Vec<Fan<'_>> = self
            .regimens
            .iter()
            .enumerate()
            .map(|(i, r)| Fan {
                times: &times,
                median: &r.median,
                ribbons: &r.ribbons,
                colour: palette(i),
                label: &r.name,
            })
            .collect();
        draw_fans(&mut chart, &fans, plot)?;
        let y = chart.y_range();
        if let Some(now) = self.now_h {
            let now = axis.scale(now);
            chart
                .draw_series(DashedLineSeries::new(
                    [(now, y.start), (now, y.end)],
                    6,
                    4,
                    BLACK.mix(0.6).stroke_width(1),
                ))
                .map_err(err)?
                .label("now")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.6)));
        }
        // Doses: upward triangles on the time axis, one row per regimen so marks do not overlap.
        for (i, r) in self.regimens.iter().enumerate() {
            let colour = palette(i);
            let offset = -8 - 11 * i as i32;
            chart
                .draw_series(r.dose_times_h.iter().map(|t| {
                    EmptyElement::at((axis.scale(*t), y.start))
                        + TriangleMarker::new((0, offset), 5, colour.filled())
                }))
                .map_err(err)?;
        }
        if self.regimens.iter().any(|r| !r.dose_times_h.is_empty()) {
            chart
                .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())
                .map_err(err)?
                .label("doses (▲ on the time axis)")
                .legend(|(x, y)| TriangleMarker::new((x + 10, y), 5, TARGET_GREY.filled()));
        }
        let clamp = |v: f64| v.clamp(y.start, y.end);
        chart
            .draw_series(
                self.observations
                    .iter()
                    .map(|(t, v)| Circle::new((axis.scale(*t), clamp(*v)), 5, BLACK.filled())),
            )
            .map_err(err)?
            .label("observations")
            .legend(|(x, y)| Circle::new((x + 10, y), 5, BLACK.filled()));
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight, plot)
    }
}

impl Figure for ForecastFigure {
    fn holds_patient_data(&self) -> bool {
        true
    }

    fn name(&self) -> &str {
        "forecast"
    }

    fn title(&self) -> String {
        format!(
            "Forecast of {}: posterior-predictive median and intervals per regimen, observations and doses",
            self.output
        )
    }

    fn size(&self) -> (u32, u32) {
        (960, 480)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        self.validate()?;
        let last = self
            .times_h
            .iter()
            .chain(self.observations.iter().map(|(t, _)| t))
            .fold(0.0f64, |a, b| a.max(*b));
        let first = self
            .times_h
            .iter()
            .fold(f64::INFINITY, |a, b| a.min(*b))
            .min(0.0);
        let axis = TimeAxis::for_follow_up(last - first);
        let x = axis.scale(first)..axis.scale(last).max(axis.scale(first) + 1e-9);
        let values = self
            .regimens
            .iter()
            .flat_map(|r| {
                r.ribbons
                    .iter()
                    .flat_map(|b| b.lower.iter().chain(&b.upper))
                    .chain(&r.median)
            })
            .copied()
            .chain(self.observations.iter().map(|(_, v)| *v))
            .chain(self.target.iter().flat_map(|(a, b)| [*a, *b]));
        let y = y_range(values, self.y_scale);
        let caption = format!("{}: forecast per regimen", self.output);
        let y_title = with_unit(&self.output, &self.unit);
        match self.y_scale {
            YScale::Linear => self.fill(
                time_chart(
                    root,
                    &caption,
                    x.clone(),
                    y,
                    (axis.title(), &y_title),
                    self.y_scale,
                    self.name(),
                )?,
                axis,
                x,
            ),
            YScale::Log => self.fill(
                time_chart(
                    root,
                    &caption,
                    x.clone(),
                    y.log_scale(),
                    (axis.title(), &format!("{y_title}, log scale")),
                    self.y_scale,
                    self.name(),
                )?,
                axis,
                x,
            ),
        }
    }
}
