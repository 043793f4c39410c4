//! A visual predictive check (Holford 2005; Bergstrand et al. 2011, *AAPS J* 13:143): the
//! observed 10th, 50th and 90th percentiles of the data in time bins, drawn over the 90%
//! intervals of the same percentiles across datasets simulated from the fitted model.
//!
//! Read it as pharmacometricians do: each observed percentile line should run inside its shaded
//! interval; the median in the red band, the 10th and 90th in the blue ones.
//!
//! ```
//! use engine::plot::vpc::{Binning, VpcFigure};
//! let observed: Vec<(f64, f64)> = (0..60).map(|i| (f64::from(i % 12), 10.0 - f64::from(i % 12) * 0.5 + f64::from(i % 5) * 0.2)).collect();
//! let simulated: Vec<Vec<(f64, f64)>> = (0..50)
//!     .map(|r| observed.iter().map(|(t, y)| (*t, y + 0.1 * f64::from((r * 7 + *t as i32) % 9 - 4))).collect())
//!     .collect();
//! let figure = VpcFigure::new("CP", "mg/L", observed, simulated, Binning::Quantiles(6))?;
//! assert_eq!(figure.bins.len(), 6);
//! let svg = engine::plot::to_svg(&figure)?;
//! assert!(svg.contains("CP (mg/L)"));
//! # Ok::<(), engine::plot::PlotError>(())
//! ```

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{
    TimeAxis, TimeChart, YCoord, YScale, draw_legend, palette, time_chart, with_unit, y_range,
};
use super::{Figure, PlotError};

/// The percentiles compared (10th, median, 90th).
pub const PERCENTILES: [f64; 3] = [0.1, 0.5, 0.9];
/// Probability of the simulated interval around each percentile.
pub const INTERVAL: f64 = 0.9;

/// How observations are grouped in time.
#[derive(Debug, Clone, PartialEq)]
pub enum Binning {
    /// About this many bins with equal numbers of observations (ties kept together).
    Quantiles(usize),
    /// Bin edges (h), increasing; observations outside are dropped.
    Edges(Vec<f64>),
}

/// One time bin's observed percentiles and simulated intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VpcBin {
    /// Left edge (h).
    pub from_h: f64,
    /// Right edge (h).
    pub to_h: f64,
    /// Mean time of the observations in the bin (h): where the bin is drawn.
    pub time_h: f64,
    /// Observations in the bin.
    pub n: usize,
    /// Observed 10th, 50th, 90th percentiles.
    pub observed: [f64; 3],
    /// For each percentile: (5th, 50th, 95th) percentile of it over the simulated datasets.
    pub simulated: [(f64, f64, f64); 3],
}

/// The VPC figure.
#[derive(Debug, Clone, PartialEq)]
pub struct VpcFigure {
    /// Output name (`CP`).
    pub output: String,
    /// Its unit.
    pub unit: String,
    /// Observations (time h, DV).
    pub observed: Vec<(f64, f64)>,
    /// Bins with their statistics.
    pub bins: Vec<VpcBin>,
    /// Simulated datasets.
    pub replicates: usize,
    /// Linear or log y axis.
    pub y_scale: YScale,
}

/// The p-quantile (type 7, linear interpolation) of sorted values.
fn quantile(sorted: &[f64], p: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = p * (n - 1) as f64;
            let i = h.floor() as usize;
            let f = h - i as f64;
            if i + 1 < n {
                sorted[i] + f * (sorted[i + 1] - sorted[i])
            } else {
                sorted[n - 1]
            }
        }
    }
}

fn percentiles(mut values: Vec<f64>) -> [f64; 3] {
    values.sort_by(f64::total_cmp);
    PERCENTILES.map(|p| quantile(&values, p))
}

/// Bin edges with about `k` observations-quantile bins, ties at an edge kept in one bin.
fn quantile_edges(times: &[f64], k: usize) -> Vec<f64> {
    let mut sorted: Vec<f64> = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (Some(first), Some(last)) = (sorted.first().copied(), sorted.last().copied()) else {
        return Vec::new();
    };
    let mut edges = vec![first];
    for j in 1..k.max(1) {
        let e = quantile(&sorted, j as f64 / k as f64);
        if e > *edges.last().unwrap_or(&first) && e < last {
            edges.push(e);
        }
    }
    edges.push(last);
    edges
}

/// The bin of `t` among `edges` (left-closed, the last bin closed on both sides).
fn bin_of(edges: &[f64], t: f64) -> Option<usize> {
    let n = edges.len().checked_sub(1)?;
    if n == 0 || t < edges[0] || t > edges[n] {
        return None;
    }
    Some(edges[1..].partition_point(|e| *e <= t).min(n - 1))
}

impl VpcFigure {
    /// Bins the observations and computes each bin's observed percentiles and the simulated
    /// intervals of the same percentiles (each simulated dataset binned like the observed one).
    pub fn new(
        output: &str,
        unit: &str,
        observed: Vec<(f64, f64)>,
        simulated: Vec<Vec<(f64, f64)>>,
        binning: Binning,
    ) -> Result<VpcFigure, PlotError> {
        if observed.is_empty() {
            return Err(PlotError::data("VPC", "no observations"));
        }
        if simulated.len() < 2 {
            return Err(PlotError::data(
                "VPC",
                "at least 2 simulated datasets are needed for an interval",
            ));
        }
        let times: Vec<f64> = observed.iter().map(|(t, _)| *t).collect();
        let edges = match binning {
            Binning::Quantiles(k) => quantile_edges(&times, k),
            Binning::Edges(e) => {
                if e.len() < 2 || e.windows(2).any(|w| w[0] >= w[1]) {
                    return Err(PlotError::data(
                        "VPC bins",
                        "edges must be at least 2, increasing",
                    ));
                }
                e
            }
        };
        let n_bins = edges.len().saturating_sub(1);
        let mut obs_bins: Vec<Vec<(f64, f64)>> = vec![Vec::new(); n_bins];
        for &(t, y) in &observed {
            if let Some(b) = bin_of(&edges, t) {
                obs_bins[b].push((t, y));
            }
        }
        // sim_stats[bin][percentile] = that percentile in each replicate.
        let mut sim_stats: Vec<[Vec<f64>; 3]> = vec![Default::default(); n_bins];
        for dataset in &simulated {
            let mut per_bin: Vec<Vec<f64>> = vec![Vec::new(); n_bins];
            for &(t, y) in dataset {
                if let Some(b) = bin_of(&edges, t) {
                    per_bin[b].push(y);
                }
            }
            for (b, values) in per_bin.into_iter().enumerate() {
                if !values.is_empty() {
                    let p = percentiles(values);
                    for k in 0..3 {
                        sim_stats[b][k].push(p[k]);
                    }
                }
            }
        }
        let bins = obs_bins
            .into_iter()
            .zip(sim_stats)
            .enumerate()
            .filter(|(_, (obs, _))| !obs.is_empty())
            .map(|(b, (obs, sims))| {
                let simulated = sims.map(|mut v| {
                    v.sort_by(f64::total_cmp);
                    let tail = (1.0 - INTERVAL) / 2.0;
                    (
                        quantile(&v, tail),
                        quantile(&v, 0.5),
                        quantile(&v, 1.0 - tail),
                    )
                });
                VpcBin {
                    from_h: edges[b],
                    to_h: edges[b + 1],
                    time_h: obs.iter().map(|(t, _)| t).sum::<f64>() / obs.len() as f64,
                    n: obs.len(),
                    observed: percentiles(obs.iter().map(|(_, y)| *y).collect()),
                    simulated,
                }
            })
            .collect();
        Ok(VpcFigure {
            output: output.to_owned(),
            unit: unit.to_owned(),
            observed,
            bins,
            replicates: simulated.len(),
            y_scale: YScale::Linear,
        })
    }

    fn fill<'a, DB: DrawingBackend + 'a, Y: YCoord>(
        &self,
        mut chart: TimeChart<'a, DB, Y>,
        axis: TimeAxis,
    ) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let plot = self.name();
        let err = |e| PlotError::draw(plot, e);
        let y = chart.y_range();
        let clamp = |v: f64| {
            if v.is_finite() {
                v.clamp(y.start, y.end)
            } else {
                y.start
            }
        };
        // Okabe–Ito vermillion for the median, sky blue for the outer percentiles.
        let colours = [palette(5), palette(3), palette(5)];
        let labels = [
            "90% PI of simulated 10th and 90th percentiles",
            "90% PI of simulated median",
            "",
        ];
        for k in 0..3 {
            let mut points: Vec<(f64, f64)> = self
                .bins
                .iter()
                .map(|b| (axis.scale(b.time_h), clamp(b.simulated[k].2)))
                .collect();
            points.extend(
                self.bins
                    .iter()
                    .rev()
                    .map(|b| (axis.scale(b.time_h), clamp(b.simulated[k].0))),
            );
            let colour = colours[k];
            let series = chart
                .draw_series(std::iter::once(Polygon::new(
                    points,
                    colour.mix(0.3).filled(),
                )))
                .map_err(err)?;
            if !labels[k].is_empty() {
                series.label(labels[k]).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 20, y + 6)], colour.mix(0.4).filled())
                });
            }
        }
        chart
            .draw_series(self.observed.iter().map(|(t, v)| {
                Circle::new((axis.scale(*t), clamp(*v)), 2, BLACK.mix(0.25).filled())
            }))
            .map_err(err)?
            .label("observations")
            .legend(|(x, y)| Circle::new((x + 10, y), 3, BLACK.mix(0.4).filled()));
        let line = |k: usize| -> Vec<(f64, f64)> {
            self.bins
                .iter()
                .map(|b| (axis.scale(b.time_h), clamp(b.observed[k])))
                .collect()
        };
        chart
            .draw_series(LineSeries::new(line(1), BLACK.stroke_width(2)))
            .map_err(err)?
            .label("observed median")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2)));
        for k in [0, 2] {
            let series = chart
                .draw_series(DashedLineSeries::new(line(k), 8, 5, BLACK.stroke_width(2)))
                .map_err(err)?;
            if k == 0 {
                series
                    .label("observed 10th and 90th percentiles")
                    .legend(|(x, y)| {
                        PathElement::new(vec![(x, y), (x + 8, y)], BLACK.stroke_width(2))
                    });
            }
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight, plot)
    }
}

impl Figure for VpcFigure {
    fn holds_patient_data(&self) -> bool {
        true
    }

    fn name(&self) -> &str {
        "vpc"
    }

    fn title(&self) -> String {
        format!(
            "Visual predictive check of {}: observed 10th, 50th and 90th percentiles against the 90% intervals of {} simulated datasets",
            self.output, self.replicates
        )
    }

    fn size(&self) -> (u32, u32) {
        (960, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static,
    {
        let last = self.observed.iter().fold(0.0f64, |a, (t, _)| a.max(*t));
        let axis = TimeAxis::for_follow_up(last);
        let x = 0.0..axis.scale(last).max(1e-9) * 1.02;
        let values = self.observed.iter().map(|(_, v)| *v).chain(
            self.bins
                .iter()
                .flat_map(|b| b.simulated.iter().flat_map(|s| [s.0, s.2])),
        );
        let y = y_range(values, self.y_scale);
        let caption = format!(
            "VPC of {} ({} simulated datasets)",
            self.output, self.replicates
        );
        let y_title = with_unit(&self.output, &self.unit);
        match self.y_scale {
            YScale::Linear => self.fill(
                time_chart(
                    root,
                    &caption,
                    x,
                    y,
                    (axis.title(), &y_title),
                    self.y_scale,
                    self.name(),
                )?,
                axis,
            ),
            YScale::Log => self.fill(
                time_chart(
                    root,
                    &caption,
                    x,
                    y.log_scale(),
                    (axis.title(), &format!("{y_title}, log scale")),
                    self.y_scale,
                    self.name(),
                )?,
                axis,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_hold_equal_numbers_and_observed_percentiles_are_exact() -> Result<(), PlotError> {
        // 10 observations at each of 4 times, values 1..=10 at every time.
        let observed: Vec<(f64, f64)> = (0..40)
            .map(|i| (f64::from(i / 10), f64::from(i % 10 + 1)))
            .collect();
        let simulated = vec![observed.clone(), observed.clone(), observed.clone()];
        let figure = VpcFigure::new("DV", "", observed, simulated, Binning::Quantiles(4))?;
        assert_eq!(figure.bins.len(), 4);
        for bin in &figure.bins {
            assert_eq!(bin.n, 10);
            // Type-7 quantiles of 1..=10: 1.9, 5.5, 9.1.
            assert!((bin.observed[0] - 1.9).abs() < 1e-12);
            assert!((bin.observed[1] - 5.5).abs() < 1e-12);
            assert!((bin.observed[2] - 9.1).abs() < 1e-12);
            // Identical replicates: a zero-width interval at the observed percentile.
            assert!((bin.simulated[1].0 - 5.5).abs() < 1e-12);
            assert!((bin.simulated[1].2 - 5.5).abs() < 1e-12);
        }
        Ok(())
    }
}
