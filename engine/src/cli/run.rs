//! `twinsim run SCENARIO.ron [--out DIR] [--threads N] [--seed S] [--replicates R]` and
//! `twinsim validate SCENARIO.ron`.

use std::path::PathBuf;
use std::sync::Arc;

use crate::run::{RunOptions, run};
use crate::scenario::{Overrides, Scenario};

/// Arguments of `twinsim run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The scenario file (RON).
    pub scenario: PathBuf,
    /// Output folder (default: `results/<scenario file stem>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Replaces the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Replaces the scenario's number of replicate trials.
    #[arg(long)]
    pub replicates: Option<u32>,
    /// After the run, draw every plot its outputs support into OUT/plots (SVG).
    #[arg(long)]
    pub plots: bool,
}

/// Arguments of `twinsim validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// The scenario file (RON).
    pub scenario: PathBuf,
}

/// Runs `twinsim run`.
pub fn run_command(args: &RunArgs) -> anyhow::Result<()> {
    if args.threads == Some(0) {
        anyhow::bail!("--threads: expected at least 1");
    }
    let scenario = Scenario::load(
        &args.scenario,
        Overrides {
            seed: args.seed,
            replicates: args.replicates,
        },
    )?;
    print_notes(&scenario);
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("results").join(args.scenario.file_stem().unwrap_or_default())
    });
    let summary = run(
        Arc::new(scenario),
        &RunOptions {
            out_dir: out.clone(),
            threads: args.threads,
            progress: true,
        },
    )?;
    println!(
        "wrote {}: {} replicate(s); intervals: {}{}",
        out.display(),
        summary.replicates,
        summary.interval,
        if summary.smoke_size {
            " (a smoke-size run: pass --replicates 20 or more for 95% intervals)"
        } else {
            ""
        }
    );
    if args.plots {
        let options = crate::plot::results::PlotOptions {
            scenario: Some(args.scenario.clone()),
            ..Default::default()
        };
        for path in crate::plot::results::plot_results(&out, &out.join("plots"), &options)? {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

/// Runs `twinsim validate`.
pub fn validate_command(args: &ValidateArgs) -> anyhow::Result<()> {
    let scenario = Scenario::load(&args.scenario, Overrides::default())?;
    print_notes(&scenario);
    println!(
        "{}: valid — {} arm(s), {} twin(s) per arm, {} replicate(s), {} outcome(s)",
        args.scenario.display(),
        scenario.arms.len(),
        scenario.twins_per_arm,
        scenario.replicates,
        scenario.outcomes.len()
    );
    Ok(())
}

/// Prints what validation filled in because a file said so (on stderr, before any output).
pub fn print_notes(scenario: &Scenario) {
    for note in &scenario.notes {
        eprintln!("note: {}: {note}", scenario.path.display());
    }
}
