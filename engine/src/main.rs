//! `twinsim`: the command line. Errors are printed with their whole chain and exit non-zero.

use clap::Parser;

/// mimalloc: glibc's allocator hands a finished world's memory back to the kernel and faults it in
/// again for the next (a fifth of workload W2's time was page faults); mimalloc keeps it for
/// reuse, and is faster on the engine's many small allocations (W1 and W2 about 10% faster as
/// whole processes, BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
