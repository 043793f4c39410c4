//! `twinsim`: the command line. Errors are printed with their whole chain and exit non-zero.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = engine::cli::Cli::parse();
    match engine::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
