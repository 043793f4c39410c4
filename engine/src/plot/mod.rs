//! Pictures of a run's outputs, of a twin's forecast, of a VPC and of the learner's diagnostics.
//!
//! Every plot is a [`Figure`]: plain data in, drawn with `plotters` onto any backend. SVG is
//! always available ([`to_svg`]); PNG too ([`write_figure`] with [`Format::Png`]), self-contained
//! because the text is drawn with DejaVu Sans, bundled into the program (`engine/assets/fonts`,
//! Bitstream Vera licence beside it).
//!
//! | plot | data | module |
//! |---|---|---|
//! | prediction bands per arm over time | `timecourse.csv` | [`bands`] |
//! | endpoint forest plots and adverse-event rates | `summary.json` | [`endpoints`] |
//! | a twin's forecast under current and proposed regimens | plain vectors | [`forecast`] |
//! | a visual predictive check | observed and simulated (time, DV) | [`vpc`] |
//! | the learner's held-out predictions and calibration | a training CSV and held-out predictions | [`learner`] |
//! | every plot a results folder supports | a results folder | [`results::plot_results`] |
//!
//! Arms and regimens take the Okabe–Ito colours ([`palette`]), which stay apart for the common
//! colour-vision deficiencies.

pub mod bands;
pub mod endpoints;
pub mod forecast;
pub mod learner;
pub mod results;
mod style;
pub mod vpc;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

pub use style::{Ribbon, TimeAxis, YScale, format_number, palette, with_unit};

/// The bundled font (DejaVu Sans 2.37; licence in `engine/assets/fonts/LICENSE-DejaVu.txt`).
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// The font family every plot names; SVG viewers use their own sans-serif face for it.
pub const FONT_FAMILY: &str = "sans-serif";

/// An image format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Scalable vector graphics (text as text).
    #[default]
    Svg,
    /// Portable network graphics, text drawn with the bundled font.
    Png,
}

impl Format {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
        }
    }
}

/// What can go wrong drawing or reading a plot's data.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The drawing library refused.
    #[error("drawing {plot}")]
    Draw {
        /// Which plot.
        plot: String,
        /// Its error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A data file could not be read.
    #[error("reading {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Its error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A data file or argument holds something a plot cannot show.
    #[error("{what}: {problem}")]
    Data {
        /// Which file or argument.
        what: String,
        /// What is wrong.
        problem: String,
    },
    /// Writing an image failed.
    #[error("writing {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Its error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The bundled font could not be loaded (a corrupt build).
    #[error("the bundled font DejaVu Sans could not be loaded")]
    Font,
}

impl PlotError {
    /// A drawing error of `plot`.
    pub(crate) fn draw<E: std::error::Error + Send + Sync + 'static>(plot: &str, e: E) -> Self {
        PlotError::Draw {
            plot: plot.to_owned(),
            source: Box::new(e),
        }
    }

    /// A data problem.
    pub(crate) fn data(what: impl Into<String>, problem: impl Into<String>) -> Self {
        PlotError::Data {
            what: what.into(),
            problem: problem.into(),
        }
    }
}

/// A picture: its size and how to draw it on any backend.
pub trait Figure {
    /// File stem and identifier (`bands`, `endpoints`); also its `id` in the HTML report.
    fn name(&self) -> &str;

    /// One-line description, for the report and the alt text.
    fn title(&self) -> String;

    /// Width and height in pixels.
    fn size(&self) -> (u32, u32);

    /// Whether the figure shows a patient's own data (levels, observations): its file is then
    /// written owner-only, like the other patient files.
    fn holds_patient_data(&self) -> bool {
        false
    }

    /// Draws the figure on `root`, which has [`Figure::size`].
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>
    where
        DB::ErrorType: 'static;
}

/// Registers the bundled font under [`FONT_FAMILY`], once.
fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT).is_ok()
    });
    if ok { Ok(()) } else { Err(PlotError::Font) }
}

/// The figure as an SVG document.
pub fn to_svg(figure: &impl Figure) -> Result<String, PlotError> {
    ensure_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, figure.size()).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| PlotError::draw(figure.name(), e))?;
        figure.draw(&root)?;
        root.present()
            .map_err(|e| PlotError::draw(figure.name(), e))?;
    }
    Ok(svg)
}

/// Writes the figure into `dir` as `<name>.<ext>` (atomically) and returns the path.
pub fn write_figure(
    figure: &impl Figure,
    dir: &Path,
    format: Format,
) -> Result<PathBuf, PlotError> {
    std::fs::create_dir_all(dir).map_err(|e| PlotError::Write {
        path: dir.to_path_buf(),
        source: Box::new(e),
    })?;
    let path = dir.join(format!("{}.{}", figure.name(), format.extension()));
    write_to(figure, &path, format)?;
    Ok(path)
}

/// Writes the figure to `path` (atomically): PNG when its extension is `png`, else SVG.
pub fn write_figure_file(figure: &impl Figure, path: &Path) -> Result<(), PlotError> {
    let format = match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("png") => Format::Png,
        _ => Format::Svg,
    };
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| PlotError::Write {
            path: dir.to_path_buf(),
            source: Box::new(e),
        })?;
    }
    write_to(figure, path, format)
}

fn write_to(figure: &impl Figure, path: &Path, format: Format) -> Result<(), PlotError> {
    match format {
        Format::Svg => {
            let svg = to_svg(figure)?;
            twins::io::write_atomic(path, svg.as_bytes(), figure.holds_patient_data()).map_err(
                |e| PlotError::Write {
                    path: path.to_path_buf(),
                    source: Box::new(e),
                },
            )?;
        }
        Format::Png => {
            ensure_font()?;
            // Drawn beside the target under a temporary name that keeps the extension (the
            // encoder picks the format from it), then renamed: readers never see half a file.
            let partial = path.with_file_name(format!(
                ".{}.partial.png",
                path.file_name()
                    .map_or_else(Default::default, |n| n.to_string_lossy())
            ));
            // Created exclusively first (no link followed, the mode set from creation); the
            // encoder then writes into that regular file.
            drop(
                twins::io::create_exclusive(&partial, figure.holds_patient_data()).map_err(
                    |e| PlotError::Write {
                        path: partial.clone(),
                        source: Box::new(e),
                    },
                )?,
            );
            {
                let root = BitMapBackend::new(&partial, figure.size()).into_drawing_area();
                root.fill(&WHITE)
                    .map_err(|e| PlotError::draw(figure.name(), e))?;
                figure.draw(&root)?;
                root.present()
                    .map_err(|e| PlotError::draw(figure.name(), e))?;
            }
            std::fs::rename(&partial, path).map_err(|e| PlotError::Write {
                path: path.to_path_buf(),
                source: Box::new(e),
            })?;
        }
    }
    Ok(())
}
