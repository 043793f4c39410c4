//! `twinsim`: the command line. Errors are printed with their whole chain and exit non-zero.

use clap::Parser;

/// mimalloc, without transparent huge pages: it keeps a finished world's memory for the next one
/// where glibc's allocator returns it to the kernel and faults it in again, and is faster on the
/// engine's many small allocations (W1 and W2 about 5% faster as whole processes). Huge pages
/// would make the median a little lower again, but the kernel's compaction on their first touch
/// stalled one run in ten by up to 2x on this machine (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Exit status after an interrupt (128 + SIGINT), as shells report it.
const INTERRUPTED: i32 = 130;

fn main() -> std::process::ExitCode {
    // Ctrl-C or SIGTERM: a run's staging folder (partial files, patient data) goes with us.
    // If the handler cannot be installed the default (immediate exit) remains, and the next
    // run into the folder removes what was left ([`engine::output::staging`]).
    let _ = ctrlc::set_handler(|| {
        engine::output::staging::remove_all_staging();
        eprintln!("interrupted: partial outputs removed");
        std::process::exit(INTERRUPTED);
    });
    let cli = engine::cli::Cli::parse();
    match engine::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
