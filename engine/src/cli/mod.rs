//! The `twinsim` subcommands. Each lives in its own file; `run` dispatches.

mod run;
mod simulate;

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
    /// Check a scenario file (and the model and population it names) without running it.
    Validate(run::ValidateArgs),
    /// Simulate every record of a NONMEM-format dataset with a model's typical parameters.
    Simulate(simulate::SimulateArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Simulate(args) => simulate::run(&args),
        Command::Run(args) => run::run_command(&args),
        Command::Validate(args) => run::validate_command(&args),
    }
}
