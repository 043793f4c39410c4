//! Colours, fonts, number and time formatting, and the fan (median and ribbons) every band
//! plot draws.

use std::ops::Range;

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{FONT_FAMILY, PlotError};

/// The Okabe–Ito palette (Okabe & Ito 2008, *Color Universal Design*) without black, in the
/// order arms take it: blue, orange, bluish green, vermillion, reddish purple, sky blue, yellow.
pub fn palette(index: usize) -> RGBColor {
    const COLOURS: [RGBColor; 7] = [
        RGBColor(0x00, 0x72, 0xB2),
        RGBColor(0xE6, 0x9F, 0x00),
        RGBColor(0x00, 0x9E, 0x73),
        RGBColor(0xD5, 0x5E, 0x00),
        RGBColor(0xCC, 0x79, 0xA7),
        RGBColor(0x56, 0xB4, 0xE9),
        RGBColor(0xF0, 0xE4, 0x42),
    ];
    COLOURS[index % COLOURS.len()]
}

/// Target ranges are shaded in this grey (no Okabe–Ito colour is grey).
pub const TARGET_GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);

/// A single target level is a dashed line in this dark grey.
pub const TARGET_LINE: RGBColor = RGBColor(0x33, 0x33, 0x33);

/// Opacity of the 5–95% ribbon.
pub const OUTER_OPACITY: f64 = 0.18;
/// Opacity of the 25–75% ribbon.
pub const INNER_OPACITY: f64 = 0.35;
/// Opacity of a target range's shading.
pub const TARGET_OPACITY: f64 = 0.22;

/// Text style of panel captions.
pub fn caption_font() -> TextStyle<'static> {
    (FONT_FAMILY, 17).into_font().color(&BLACK)
}

/// Text style of axis titles and legends.
pub fn label_font() -> TextStyle<'static> {
    (FONT_FAMILY, 14).into_font().color(&BLACK)
}

/// Text style of notes written on a panel.
pub fn note_font() -> TextStyle<'static> {
    (FONT_FAMILY, 13)
        .into_font()
        .color(&RGBColor(0x33, 0x33, 0x33))
}

/// A number in at most 3 significant digits, without trailing zeros (`0.05`, `12.3`, `1500`).
pub fn format_number(value: f64) -> String {
    if !value.is_finite() {
        return "–".to_owned();
    }
    if value == 0.0 {
        return "0".to_owned();
    }
    let magnitude = value.abs().log10().floor() as i32;
    if !(-4..6).contains(&magnitude) {
        return format!("{value:.2e}");
    }
    let decimals = (2 - magnitude).max(0) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// Hours or days on a time axis: days when the follow-up is longer than a week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeAxis {
    /// Hours.
    Hours,
    /// Days (hours / 24).
    Days,
}

impl TimeAxis {
    /// Days when `last_h` is past 168 h, else hours.
    pub fn for_follow_up(last_h: f64) -> TimeAxis {
        if last_h > 168.0 {
            TimeAxis::Days
        } else {
            TimeAxis::Hours
        }
    }

    /// `t` (h) in the axis unit.
    pub fn scale(self, t_h: f64) -> f64 {
        match self {
            TimeAxis::Hours => t_h,
            TimeAxis::Days => t_h / 24.0,
        }
    }

    /// The axis title.
    pub fn title(self) -> &'static str {
        match self {
            TimeAxis::Hours => "Time (h)",
            TimeAxis::Days => "Time (days)",
        }
    }
}

/// Linear or logarithmic y axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum YScale {
    /// Linear.
    #[default]
    Linear,
    /// Logarithmic (values at or below the axis floor are drawn at the floor).
    Log,
}

/// `name (unit)`, or the name alone without a unit.
pub fn with_unit(name: &str, unit: &str) -> String {
    if unit.is_empty() {
        name.to_owned()
    } else {
        format!("{name} ({unit})")
    }
}

/// A y range covering `values` with 5% headroom; for a log axis the floor is the smallest
/// positive value (at least 1/10,000 of the largest) so that zeros before the first dose do not
/// stretch the axis to nothing.
pub fn y_range(values: impl Iterator<Item = f64> + Clone, scale: YScale) -> Range<f64> {
    let finite = values.filter(|v| v.is_finite());
    let max = finite.clone().fold(f64::NEG_INFINITY, f64::max);
    let min = finite.clone().fold(f64::INFINITY, f64::min);
    if !max.is_finite() {
        return 0.0..1.0;
    }
    match scale {
        YScale::Linear => {
            let low = min.min(0.0);
            let high = if max > low { max } else { low + 1.0 };
            // Headroom for the legend in the upper right corner.
            low..high + 0.3 * (high - low)
        }
        YScale::Log => {
            let positive_min = finite.filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
            let high = if max > 0.0 { max * 2.5 } else { 1.0 };
            let floor = (high * 1e-4).max(if positive_min.is_finite() {
                positive_min * 0.8
            } else {
                high * 1e-3
            });
            floor..high
        }
    }
}

/// One ribbon of a fan: lower and upper bounds at each time.
#[derive(Debug, Clone, PartialEq)]
pub struct Ribbon {
    /// Central probability it holds (0.9 for 5–95%).
    pub level: f64,
    /// Lower bound at each time.
    pub lower: Vec<f64>,
    /// Upper bound at each time.
    pub upper: Vec<f64>,
}

/// What is drawn of one fan: its times, median and ribbons (any order; wider ones are lighter).
pub struct Fan<'a> {
    /// Times, already in the axis unit.
    pub times: &'a [f64],
    /// Median at each time.
    pub median: &'a [f64],
    /// Ribbons.
    pub ribbons: &'a [Ribbon],
    /// Colour.
    pub colour: RGBColor,
    /// Legend label of the median line.
    pub label: &'a str,
}

/// The y coordinate types a panel may have (linear or log).
pub trait YCoord: Ranged<ValueType = f64> + ValueFormatter<f64> {}
impl<T: Ranged<ValueType = f64> + ValueFormatter<f64>> YCoord for T {}

/// A time chart with a linear x axis and `Y` on the y axis.
pub type TimeChart<'a, DB, Y> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, Y>>;

/// Builds a chart on `area` with a caption, axis titles and a light grid.
pub fn time_chart<'a, DB, Y>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    x: Range<f64>,
    y: Y,
    titles: (&str, &str),
    scale: YScale,
    plot: &str,
) -> Result<TimeChart<'a, DB, Y::CoordDescType>, PlotError>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: YCoord,
{
    let blank = |_: &f64| String::new();
    let number = |v: &f64| format_number(*v);
    let y_labels: &dyn Fn(&f64) -> String = if scale == YScale::Log {
        &blank
    } else {
        &number
    };
    let mut chart = ChartBuilder::on(area)
        .caption(caption, caption_font())
        .margin(12)
        .margin_right(24)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x, y)
        .map_err(|e| PlotError::draw(plot, e))?;
    chart
        .configure_mesh()
        .x_desc(titles.0)
        .y_desc(titles.1)
        .axis_desc_style(label_font())
        .label_style((FONT_FAMILY, 13))
        .x_label_formatter(&|v| format_number(*v))
        .y_label_formatter(y_labels)
        .bold_line_style(BLACK.mix(0.08))
        .light_line_style(TRANSPARENT)
        .x_labels(10)
        .y_labels(if scale == YScale::Log { 0 } else { 8 })
        .draw()
        .map_err(|e| PlotError::draw(plot, e))?;
    if scale == YScale::Log {
        draw_log_ticks(area, &mut chart, (false, true), plot)?;
    }
    Ok(chart)
}

/// Draws 1-2-5 tick labels and grid lines on the log axes of `chart` (`logs`: x, y); plotters
/// puts few labels on a log axis spanning less than a decade or two. The mesh's own labels of
/// those axes must be blank.
pub fn draw_log_ticks<'a, DB, X, Y>(
    area: &DrawingArea<DB, Shift>,
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    logs: (bool, bool),
    plot: &str,
) -> Result<(), PlotError>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    let err = |e| PlotError::draw(plot, e);
    let (x, y) = (chart.x_range(), chart.y_range());
    let base = area.get_base_pixel();
    let font = |h, v| {
        (FONT_FAMILY, 13)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(h, v))
    };
    if logs.1 {
        for tick in log_ticks(y.start, y.end) {
            chart
                .draw_series(LineSeries::new(
                    [(x.start, tick), (x.end, tick)],
                    BLACK.mix(0.08),
                ))
                .map_err(err)?;
            let (px, py) = chart.backend_coord(&(x.start, tick));
            area.draw(&Text::new(
                format_number(tick),
                (px - base.0 - 8, py - base.1),
                font(HPos::Right, VPos::Center),
            ))
            .map_err(err)?;
        }
    }
    if logs.0 {
        for tick in log_ticks(x.start, x.end) {
            chart
                .draw_series(LineSeries::new(
                    [(tick, y.start), (tick, y.end)],
                    BLACK.mix(0.08),
                ))
                .map_err(err)?;
            let (px, py) = chart.backend_coord(&(tick, y.start));
            area.draw(&Text::new(
                format_number(tick),
                (px - base.0, py - base.1 + 8),
                font(HPos::Center, VPos::Top),
            ))
            .map_err(err)?;
        }
    }
    Ok(())
}

/// Ticks of a log axis from `low` to `high` (both > 0): 1, 2 and 5 per decade, or decades only
/// when that would be more than 12 ticks.
pub fn log_ticks(low: f64, high: f64) -> Vec<f64> {
    if !(low > 0.0 && high > low) {
        return Vec::new();
    }
    let first = low.log10().floor() as i32;
    let last = high.log10().ceil() as i32;
    let candidates = |mantissas: &[f64]| -> Vec<f64> {
        (first..=last)
            .flat_map(|k| mantissas.iter().map(move |m| m * 10f64.powi(k)))
            .filter(|v| *v >= low * (1.0 - 1e-9) && *v <= high * (1.0 + 1e-9))
            .collect()
    };
    let ticks = candidates(&[1.0, 2.0, 5.0]);
    if ticks.len() > 12 {
        candidates(&[1.0])
    } else if ticks.len() < 3 {
        candidates(&[1.0, 1.5, 2.0, 3.0, 5.0, 7.0])
    } else {
        ticks
    }
}

/// Shades `low`–`high` across the chart, labelled for the legend; a single level
/// (`low == high`) is a dark dashed line instead. Draw ranges before the data and levels after.
pub fn draw_target<'a, DB, Y>(
    chart: &mut TimeChart<'a, DB, Y>,
    x: Range<f64>,
    (low, high): (f64, f64),
    label: &str,
    plot: &str,
) -> Result<(), PlotError>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    Y: YCoord,
{
    let y = chart.y_range();
    let (low, high) = (low.max(y.start), high.min(y.end));
    if low > high {
        return Ok(());
    }
    if high > low {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x.start, low), (x.end, high)],
                TARGET_GREY.mix(TARGET_OPACITY).filled(),
            )))
            .map_err(|e| PlotError::draw(plot, e))?
            .label(label.to_owned())
            .legend(|(x, y)| {
                Rectangle::new(
                    [(x, y - 6), (x + 20, y + 6)],
                    TARGET_GREY.mix(TARGET_OPACITY * 2.0).filled(),
                )
            });
    } else {
        // A single level: a dark dashed line, drawn over the fans (call this after them).
        chart
            .draw_series(DashedLineSeries::new(
                [(x.start, low), (x.end, low)],
                8,
                5,
                TARGET_LINE.stroke_width(2),
            ))
            .map_err(|e| PlotError::draw(plot, e))?
            .label(label.to_owned())
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 8, y)], TARGET_LINE.stroke_width(2))
            });
    }
    Ok(())
}

/// Draws fans, clamped into the y range: every ribbon (widest lightest) first, then every median
/// line, so that no ribbon tints another fan's median. With several fans the widest ribbon of
/// each is outlined with dashed lines rather than filled.
pub fn draw_fans<'a, DB, Y>(
    chart: &mut TimeChart<'a, DB, Y>,
    fans: &[Fan<'_>],
    plot: &str,
) -> Result<(), PlotError>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    Y: YCoord,
{
    let y = chart.y_range();
    let clamp = |v: f64| {
        if v.is_finite() {
            v.clamp(y.start, y.end)
        } else {
            y.start
        }
    };
    for fan in fans {
        let mut ribbons: Vec<&Ribbon> = fan.ribbons.iter().collect();
        ribbons.sort_by(|a, b| b.level.total_cmp(&a.level));
        let widest = ribbons.first().map_or(1.0, |r| r.level);
        for ribbon in ribbons {
            if fans.len() > 1 && ribbon.level >= widest && fan.ribbons.len() > 1 {
                // Overlapping fans of several arms turn to mud when every ribbon is filled: the
                // widest is outlined (dashed) instead.
                for bound in [&ribbon.lower, &ribbon.upper] {
                    chart
                        .draw_series(DashedLineSeries::new(
                            fan.times.iter().zip(bound).map(|(t, v)| (*t, clamp(*v))),
                            5,
                            4,
                            fan.colour.stroke_width(1),
                        ))
                        .map_err(|e| PlotError::draw(plot, e))?;
                }
                continue;
            }
            let opacity = if ribbon.level < widest {
                INNER_OPACITY
            } else {
                OUTER_OPACITY
            };
            let mut points: Vec<(f64, f64)> = fan
                .times
                .iter()
                .zip(&ribbon.upper)
                .map(|(t, v)| (*t, clamp(*v)))
                .collect();
            points.extend(
                fan.times
                    .iter()
                    .zip(&ribbon.lower)
                    .rev()
                    .map(|(t, v)| (*t, clamp(*v))),
            );
            chart
                .draw_series(std::iter::once(Polygon::new(
                    points,
                    fan.colour.mix(opacity).filled(),
                )))
                .map_err(|e| PlotError::draw(plot, e))?;
        }
    }
    for fan in fans {
        let colour = fan.colour;
        chart
            .draw_series(LineSeries::new(
                fan.times
                    .iter()
                    .zip(fan.median)
                    .map(|(t, v)| (*t, clamp(*v))),
                colour.stroke_width(2),
            ))
            .map_err(|e| PlotError::draw(plot, e))?
            .label(fan.label.to_owned())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(3))
            });
    }
    Ok(())
}

/// Draws the legend of `chart` in its upper right corner, on a white box.
pub fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    plot: &str,
) -> Result<(), PlotError>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .label_font(label_font())
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(|e| PlotError::draw(plot, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_a_person_writes_them() {
        assert_eq!(format_number(0.05), "0.05");
        assert_eq!(format_number(12.345), "12.3");
        assert_eq!(format_number(1500.0), "1500");
        assert_eq!(format_number(2.0), "2");
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(-0.25), "-0.25");
    }

    #[test]
    fn long_follow_up_is_in_days() {
        assert_eq!(TimeAxis::for_follow_up(336.0), TimeAxis::Days);
        assert_eq!(TimeAxis::for_follow_up(48.0), TimeAxis::Hours);
        assert_eq!(TimeAxis::Days.scale(48.0), 2.0);
    }

    #[test]
    fn log_ticks_are_1_2_5_per_decade() {
        assert_eq!(log_ticks(0.3, 3.5), vec![0.5, 1.0, 2.0]);
        assert_eq!(log_ticks(1e-3, 1e3).len(), 7);
    }

    #[test]
    fn log_axis_floor_ignores_zeros() {
        let r = y_range([0.0, 0.5, 2.0].into_iter(), YScale::Log);
        assert!(r.start > 0.0 && r.start <= 0.5 && r.end > 2.0, "{r:?}");
    }
}
