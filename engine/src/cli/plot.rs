//! `twinsim plot RESULTS_DIR [--out DIR] [--format svg|png] [--log-y] [--scenario FILE]`: every
//! plot a run's outputs support.

use std::path::PathBuf;

use crate::plot::results::{PlotOptions, plot_results};
use crate::plot::{Format, YScale};

/// Arguments of `twinsim plot`.
#[derive(Debug, clap::Args)]
pub struct PlotArgs {
    /// The results folder of `twinsim run` (summary.json, timecourse.csv).
    pub results: PathBuf,
    /// Where to write the images (default: RESULTS_DIR/plots).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Image format (PNG text is drawn with the bundled DejaVu Sans).
    #[arg(long, value_enum, default_value_t = Format::Svg)]
    pub format: Format,
    /// Logarithmic y axes for the prediction bands.
    #[arg(long)]
    pub log_y: bool,
    /// The scenario file, for target ranges (default: the one summary.json names, if any).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
}

/// Runs `twinsim plot`.
pub fn run(args: &PlotArgs) -> anyhow::Result<()> {
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| args.results.join("plots"));
    let options = PlotOptions {
        format: args.format,
        y_scale: if args.log_y {
            YScale::Log
        } else {
            YScale::Linear
        },
        scenario: args.scenario.clone(),
    };
    for path in plot_results(&args.results, &out, &options)? {
        println!("wrote {}", path.display());
    }
    Ok(())
}
