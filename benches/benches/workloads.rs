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
//!   twin at rtol 1e-6, atol 1e-9, exact hourly quantiles), one thread;
//! - `workload/w2/baseline_lanes16/10000/2t`: the hand-written lock-step limit,
//!   `twinsim_benches::w2::batched::<16>` (`pk_models::batch`, 16 lanes, twins sorted by stiffness,
//!   one integration per batch over the week with dense output at the hours) on a 2-thread pool,
//!   then the same exact quantiles in parallel over hours;
//! - `workload/w2/twinsim_in_process/10000/{1,2}t` and `workload/w2/twinsim_process/10000/2t`:
//!   `benches/scenarios/w2_mm2cmt.ron` (the engine's lane batches at the same tolerances).
//!
//! Each twinsim line prints its ratio to every baseline of its workload.
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

/// A hand-written baseline: its ID's middle part and the work it times.
type Baseline<'a> = (&'a str, Box<dyn FnMut() + 'a>);

fn report(name: &str, t: Duration, baselines: &[(String, Duration)]) {
    let ratios: Vec<String> = baselines
        .iter()
        .map(|(id, b)| format!("{:>6.2}x {id}", t.as_secs_f64() / b.as_secs_f64()))
        .collect();
    println!(
        "{name:<48} {:>10.2} ms   {}",
        t.as_secs_f64() * 1e3,
        ratios.join("   ")
    );
}

/// The project's root folder.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// `RUNS` times of the `twinsim run` process on one workload (2 threads), or none when the binary
/// has not been built. Measured first, while this process is small: the standard library spawns
/// by `fork` here, whose cost grows with the parent's memory (a 1 GiB parent adds about 9 ms to
/// W2), and a user's shell is small.
fn process_times(name: &str, scenario_file: &str) -> Vec<Duration> {
    let binary = root().join("target/release/twinsim");
    if !binary.is_file() {
        return Vec::new();
    }
    let out = std::env::temp_dir().join(format!("twinsim-workload-{name}-process"));
    (0..RUNS)
        .map(|_| {
            time(|| {
                let status = std::process::Command::new(&binary)
                    .arg("run")
                    .arg(root().join(scenario_file))
                    .args(["--threads", "2", "--out"])
                    .arg(&out)
                    .status()
                    .expect("twinsim runs");
                assert!(status.success());
            })
        })
        .collect()
}

/// Times one scenario end to end against its baselines, and prints the medians and ratios (with
/// the process times measured beforehand).
fn workload(
    name: &str,
    scenario_file: &str,
    mut baselines: Vec<Baseline<'_>>,
    process: Vec<Duration>,
) {
    let scenario_path = root().join(scenario_file);
    let scenario =
        Arc::new(Scenario::load(&scenario_path, Overrides::default()).expect("workload scenario"));
    let out = std::env::temp_dir().join(format!("twinsim-workload-{name}"));
    let n = scenario.twins_per_arm;
    let mut baseline_times = vec![Vec::new(); baselines.len()];
    let mut in_process = [Vec::new(), Vec::new()];
    for _ in 0..RUNS {
        for ((_, f), times) in baselines.iter_mut().zip(&mut baseline_times) {
            times.push(time(f));
        }
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
    }
    let base: Vec<(String, Duration)> = baselines
        .iter()
        .zip(baseline_times)
        .map(|((id, _), times)| (id.to_string(), median(times)))
        .collect();
    for (id, t) in &base {
        println!(
            "{:<48} {:>10.2} ms",
            format!("workload/{name}/{id}"),
            t.as_secs_f64() * 1e3
        );
    }
    for (i, threads) in [1, 2].into_iter().enumerate() {
        report(
            &format!("workload/{name}/twinsim_in_process/{n}/{threads}t"),
            median(in_process[i].clone()),
            &base,
        );
    }
    if process.is_empty() {
        println!("workload/{name}/twinsim_process: skipped (build target/release/twinsim first)");
    } else {
        report(
            &format!("workload/{name}/twinsim_process/{n}/2t"),
            median(process),
            &base,
        );
    }
}

fn main() {
    println!("medians of {RUNS} runs; the baselines do the same work with nothing in between");
    let (w1, w2) = (
        "benches/scenarios/w1_oral1cmt.ron",
        "benches/scenarios/w2_mm2cmt.ron",
    );
    let (w1_process, w2_process) = (process_times("w1", w1), process_times("w2", w2));
    workload(
        "w1",
        w1,
        vec![(
            "baseline/10000",
            Box::new(|| {
                std::hint::black_box(twinsim_benches::w1::run(10_000, 1));
            }),
        )],
        w1_process,
    );
    use twinsim_benches::w2;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("a 2-thread pool");
    workload(
        "w2",
        w2,
        vec![
            (
                "baseline_dopri5_per_twin/10000",
                Box::new(|| {
                    let twins = w2::sample_twins(w2::SEED, w2::N_TWINS);
                    let mut c1 = vec![0.0; w2::N_HOURS * w2::N_TWINS];
                    w2::baseline_dopri5(&twins, &mut c1).expect("baseline integrates");
                    std::hint::black_box(w2::Summary::of(&[&c1], None));
                }),
            ),
            (
                "baseline_lanes16/10000/2t",
                Box::new(|| {
                    let params = w2::sample_twins(w2::SEED, w2::N_TWINS);
                    let doses = w2::doses();
                    let twins: Vec<pk_models::batch::Twin<'_, _>> = params
                        .iter()
                        .map(|&p| pk_models::batch::Twin::new(p, &doses))
                        .collect();
                    let batched = w2::batched::<16>(&twins, &w2::settings(), Some(&pool))
                        .expect("batch integrates");
                    let parts: Vec<&[f64]> = batched.parts.iter().map(Vec::as_slice).collect();
                    std::hint::black_box(w2::Summary::of(&parts, Some(&pool)));
                }),
            ),
        ],
        w2_process,
    );
}
