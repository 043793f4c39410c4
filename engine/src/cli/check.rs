//! `twinsim check SCENARIO.ron --expected EXPECTED.json` and `twinsim diff A.json B.json`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use crate::regression::{Results, compare, table};
use crate::run::{RunOptions, run};
use crate::scenario::{Overrides, Scenario};

/// Arguments of `twinsim check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The scenario file (RON).
    pub scenario: PathBuf,
    /// The expected `results.json`; the scenario runs with its seed and replicate count.
    #[arg(long)]
    pub expected: PathBuf,
    /// Where to keep this run's outputs (default: a temporary folder, removed afterwards).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Replace the expected file with this run's results instead of comparing.
    #[arg(long)]
    pub bless: bool,
    /// With --bless: the replicate count to record (default: the expected file's, or the
    /// scenario's when there is none).
    #[arg(long)]
    pub replicates: Option<u32>,
}

/// Arguments of `twinsim diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The expected results file.
    pub expected: PathBuf,
    /// The actual results file.
    pub actual: PathBuf,
}

/// Runs `twinsim check`.
pub fn check_command(args: &CheckArgs) -> anyhow::Result<()> {
    let expected = if args.bless && !args.expected.exists() {
        None
    } else {
        Some(Results::load(&args.expected)?)
    };
    let overrides = Overrides {
        seed: expected.as_ref().map(|e| e.seed),
        replicates: args.replicates.or(expected.as_ref().map(|e| e.replicates)),
    };
    let scenario = Arc::new(Scenario::load(&args.scenario, overrides)?);
    super::run::print_notes(&scenario);
    let temp = tempdir_for(&args.scenario)?;
    let out = args.out.clone().unwrap_or_else(|| temp.clone());
    let summary = run(
        scenario,
        &RunOptions {
            out_dir: out.clone(),
            threads: args.threads,
            progress: true,
        },
    )?;
    let actual = Results::from_summary(&summary);
    let result = if args.bless {
        crate::output::write_json(&args.expected, &actual)?;
        println!(
            "wrote {} ({} quantities)",
            args.expected.display(),
            actual.quantities.len()
        );
        Ok(())
    } else {
        let expected = expected.context("no expected results")?;
        let differences = compare(&expected, &actual);
        print!("{}", table(&differences));
        if expected.files_hash != actual.files_hash {
            println!(
                "note: the scenario, model or population files changed since the expected results were made"
            );
        }
        if differences.iter().any(|d| !d.ok) {
            Err(anyhow::anyhow!(
                "{} does not match {}",
                args.scenario.display(),
                args.expected.display()
            ))
        } else {
            Ok(())
        }
    };
    if args.out.is_none() {
        let _ = std::fs::remove_dir_all(&temp);
    }
    result
}

/// A fresh temporary folder for a check's outputs.
fn tempdir_for(scenario: &std::path::Path) -> anyhow::Result<PathBuf> {
    let stem = scenario.file_stem().unwrap_or_default().to_string_lossy();
    let dir = std::env::temp_dir().join(format!("twinsim-check-{stem}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

/// Runs `twinsim diff`.
pub fn diff_command(args: &DiffArgs) -> anyhow::Result<()> {
    let expected = Results::load(&args.expected)?;
    let actual = Results::load(&args.actual)?;
    let differences = compare(&expected, &actual);
    print!("{}", table(&differences));
    if differences.iter().any(|d| !d.ok) {
        anyhow::bail!(
            "{} and {} differ",
            args.expected.display(),
            args.actual.display()
        );
    }
    Ok(())
}
