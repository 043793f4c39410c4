//! The `twinsim` subcommands. Each lives in its own file; `run` dispatches.

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
    /// Simulate every record of a NONMEM-format dataset with a model's typical parameters.
    Simulate(simulate::SimulateArgs),
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Simulate(args) => simulate::run(&args),
    }
}
