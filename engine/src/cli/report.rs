//! `twinsim report RESULTS_DIR --out REPORT.html [--scenario FILE]`: one self-contained HTML
//! file with the run's provenance, tables and every plot.

use std::path::PathBuf;

use crate::plot::YScale;
use crate::plot::results::PlotOptions;
use crate::report::write_report;

/// Arguments of `twinsim report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The results folder of `twinsim run`.
    pub results: PathBuf,
    /// The HTML file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Logarithmic y axes for the prediction bands.
    #[arg(long)]
    pub log_y: bool,
    /// The scenario file, for its source notes and target ranges (default: the one
    /// summary.json names, if any).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
}

/// Runs `twinsim report`.
pub fn run(args: &ReportArgs) -> anyhow::Result<()> {
    let options = PlotOptions {
        y_scale: if args.log_y {
            YScale::Log
        } else {
            YScale::Linear
        },
        scenario: args.scenario.clone(),
        ..PlotOptions::default()
    };
    write_report(&args.results, &args.out, &options)?;
    println!("wrote {}", args.out.display());
    Ok(())
}
