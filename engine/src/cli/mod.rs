//! The `twinsim` subcommands. Each lives in its own file; `run` dispatches.

mod check;
mod estimate;
mod learn;
mod plot;
mod report;
mod run;
mod simulate;
mod twin;
mod vpc;

use clap::{Parser, Subcommand};

/// twinsim: patient digital-twin simulation.
#[derive(Debug, Parser)]
#[command(name = "twinsim", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario: every arm of every replicate trial; writes summary.json, timecourse.csv, twins.csv.
    Run(run::RunArgs),
    /// Run a scenario and compare its results with expected ones (exit non-zero when a number moved).
    Check(check::CheckArgs),
    /// Compare two results files.
    Diff(check::DiffArgs),
    /// Learn genotype and covariate effects on an individual parameter from a table of patients;
    /// writes the model (RON) and a report (JSON) of effects with 95% intervals.
    Learn(learn::LearnArgs),
    /// Draw every plot a results folder supports (prediction bands, endpoints, adverse events).
    Plot(plot::PlotArgs),
    /// Write a one-file HTML report of a results folder: provenance, tables and every plot.
    Report(report::ReportArgs),
    /// Check a scenario file (and the model and population it names) without running it.
    Validate(run::ValidateArgs),
    /// Simulate every record of a NONMEM-format dataset with a model's typical parameters.
    Simulate(simulate::SimulateArgs),
    /// MAP estimates of every ID's random effects: individual.csv and predictions.csv.
    Estimate(estimate::EstimateArgs),
    /// A durable twin that learns from levels: new, observe, forecast, dose.
    Twin(twin::TwinArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Simulate(args) => simulate::run(&args),
        Command::Run(args) => run::run_command(&args),
        Command::Validate(args) => run::validate_command(&args),
        Command::Learn(args) => learn::run(&args),
        Command::Plot(args) => plot::run(&args),
        Command::Report(args) => report::run(&args),
        Command::Estimate(args) => estimate::run(&args),
        Command::Twin(args) => twin::run(&args),
        Command::Check(args) => check::check_command(&args),
        Command::Diff(args) => check::diff_command(&args),
    }
}
