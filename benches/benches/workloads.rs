//! The standard workloads end to end, against their hand-written baselines, in the same run.
//!
//! Not criterion: each side runs `RUNS` times, alternating, and the medians and their ratio are
//! printed. IDs:
//! - `workload/w1/baseline/10000`: `twinsim_benches::w1::run` (hand-written exact 2×2 loop);
//! - `workload/w1/twinsim_process/10000/2t`: `twinsim run benches/scenarios/w1_oral1cmt.ron
//!   --threads 2` as a separate process (the whole process: start-up, scenario, outputs), when
//!   `target/release/twinsim` has been built (`cargo build --release`);
//! - `workload/w1/twinsim_in_process/10000/{1,2}t`: the same through `engine::run::run`.
//!
//! - `workload/w2/baseline_dopri5_per_twin/10000`: `twinsim_benches::w2` (ode_solvers Dopri5 per
//!   twin at rtol 1e-6, atol 1e-9, exact hourly quantiles);
//! - `workload/w2/twinsim_in_process/10000/{1,2}t` and `workload/w2/twinsim_process/10000/2t`:
//!   `benches/scenarios/w2_mm2cmt.ron` (the engine's per-twin ODE path at the same tolerances).
//!
//! Run: `cargo build --release && cargo bench -p twinsim-benches --bench workloads`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use engine::run::{RunOptions, run};
use engine::scenario::{Overrides, Scenario};

/// Timed repetitions of each side.
const RUNS: usize = 7;

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn time(mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

fn report(name: &str, t: Duration, baseline: Duration) {
    println!(
        "{name:<48} {:>10.2} ms   {:>6.2}x baseline",
        t.as_secs_f64() * 1e3,
        t.as_secs_f64() / baseline.as_secs_f64()
    );
}

/// Times one scenario end to end against a baseline closure, and prints the medians and ratios.
fn workload(name: &str, scenario_file: &str, mut baseline_run: impl FnMut()) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let scenario_path = root.join(scenario_file);
    let scenario =
        Arc::new(Scenario::load(&scenario_path, Overrides::default()).expect("workload scenario"));
    let out = std::env::temp_dir().join(format!("twinsim-workload-{name}"));
    let binary: PathBuf = root.join("target/release/twinsim");
    let n = scenario.twins_per_arm;
    let mut baseline = Vec::new();
    let mut in_process = [Vec::new(), Vec::new()];
    let mut process = Vec::new();
    for _ in 0..RUNS {
        baseline.push(time(&mut baseline_run));
        for (i, threads) in [1, 2].into_iter().enumerate() {
            let options = RunOptions {
                out_dir: out.clone(),
                threads: Some(threads),
                progress: false,
            };
            in_process[i].push(time(|| {
                run(scenario.clone(), &options).expect("workload runs");
            }));
        }
        if binary.is_file() {
            process.push(time(|| {
                let status = std::process::Command::new(&binary)
                    .arg("run")
                    .arg(&scenario_path)
                    .args(["--threads", "2", "--out"])
                    .arg(&out)
                    .status()
                    .expect("twinsim runs");
                assert!(status.success());
            }));
        }
    }
    let base = median(baseline);
    report(&format!("workload/{name}/baseline/{n}"), base, base);
    for (i, threads) in [1, 2].into_iter().enumerate() {
        report(
            &format!("workload/{name}/twinsim_in_process/{n}/{threads}t"),
            median(in_process[i].clone()),
            base,
        );
    }
    if process.is_empty() {
        println!("workload/{name}/twinsim_process: skipped (build target/release/twinsim first)");
    } else {
        report(
            &format!("workload/{name}/twinsim_process/{n}/2t"),
            median(process),
            base,
        );
    }
}

fn main() {
    println!("medians of {RUNS} runs; the baseline does the same work with nothing in between");
    workload("w1", "benches/scenarios/w1_oral1cmt.ron", || {
        std::hint::black_box(twinsim_benches::w1::run(10_000, 1));
    });
    workload("w2", "benches/scenarios/w2_mm2cmt.ron", || {
        use twinsim_benches::w2;
        let twins = w2::sample_twins(w2::SEED, w2::N_TWINS);
        let mut c1 = vec![0.0; w2::N_HOURS * w2::N_TWINS];
        w2::baseline_dopri5(&twins, &mut c1).expect("baseline integrates");
        std::hint::black_box(w2::Summary::of(&[&c1], None));
    });
}
