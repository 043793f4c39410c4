//! `twinsim`: the command line. Errors are printed with their whole chain and exit non-zero.

use clap::Parser;

/// mimalloc, without transparent huge pages: it keeps a finished world's memory for the next one
/// where glibc's allocator returns it to the kernel and faults it in again, and is faster on the
/// engine's many small allocations (W1 and W2 about 5% faster as whole processes). Huge pages
/// would make the median a little lower again, but the kernel's compaction on their first touch
/// stalled one run in ten by up to 2x on this machine (BENCHMARKS.md).
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
