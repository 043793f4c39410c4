//! The standard workloads end to end, against their hand-written baselines, in the same run.
//!
//! Not criterion: each side runs `RUNS` times, alternating with the baselines, and the medians and
//! their ratios are printed. Two phases: first the `twinsim run` processes, each round next to
//! the baselines (while this bench is small: the child of a large parent runs slower here, by
//! 30 ms on W2 after the in-process runs), then the in-process runs, again next to the baselines.
//! Each twinsim line is divided by the baselines of its own phase. IDs:
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

/// One workload: its name, scenario, baselines, and the times measured.
struct Workload<'a> {
    name: &'static str,
    scenario_file: &'static str,
    baselines: Vec<Baseline<'a>>,
    /// Per phase (processes, in process), per baseline, the times.
    baseline_times: [Vec<Vec<Duration>>; 2],
    process: Vec<Duration>,
    in_process: [Vec<Duration>; 2],
}

impl<'a> Workload<'a> {
    fn new(name: &'static str, scenario_file: &'static str, baselines: Vec<Baseline<'a>>) -> Self {
        let n = baselines.len();
        Self {
            name,
            scenario_file,
            baselines,
            baseline_times: [vec![Vec::new(); n], vec![Vec::new(); n]],
            process: Vec::new(),
            in_process: [Vec::new(), Vec::new()],
        }
    }

    fn time_baselines(&mut self, phase: usize) {
        for ((_, f), times) in self
            .baselines
            .iter_mut()
            .zip(&mut self.baseline_times[phase])
        {
            times.push(time(f));
        }
    }

    /// One `twinsim run` process on 2 threads, when the binary has been built.
    fn time_process(&mut self) {
        let binary = root().join("target/release/twinsim");
        if !binary.is_file() {
            return;
        }
        let out = std::env::temp_dir().join(format!("twinsim-workload-{}-process", self.name));
        let scenario = root().join(self.scenario_file);
        self.process.push(time(|| {
            let status = std::process::Command::new(&binary)
                .arg("run")
                .arg(&scenario)
                .args(["--threads", "2", "--out"])
                .arg(&out)
                .status()
                .expect("twinsim runs");
            assert!(status.success());
        }));
    }

    /// One in-process run on 1 and one on 2 threads.
    fn time_in_process(&mut self, scenario: &Arc<Scenario>) {
        let out = std::env::temp_dir().join(format!("twinsim-workload-{}", self.name));
        for (i, threads) in [1, 2].into_iter().enumerate() {
            let options = RunOptions {
                out_dir: out.clone(),
                threads: Some(threads),
                progress: false,
            };
            self.in_process[i].push(time(|| {
                run(scenario.clone(), &options).expect("workload runs");
            }));
        }
    }

    fn report(self, n: u32) {
        let name = self.name;
        let medians = |phase: &[Vec<Duration>]| -> Vec<(String, Duration)> {
            self.baselines
                .iter()
                .zip(phase)
                .map(|((id, _), times)| (id.to_string(), median(times.clone())))
                .collect()
        };
        let (with_process, with_in_process) = (
            medians(&self.baseline_times[0]),
            medians(&self.baseline_times[1]),
        );
        for (phase, base) in [
            ("processes", &with_process),
            ("in-process runs", &with_in_process),
        ] {
            for (id, t) in base {
                println!(
                    "{:<48} {:>10.2} ms   (next to the {phase})",
                    format!("workload/{name}/{id}"),
                    t.as_secs_f64() * 1e3
                );
            }
        }
        if self.process.is_empty() {
            println!(
                "workload/{name}/twinsim_process: skipped (build target/release/twinsim first)"
            );
        } else {
            report(
                &format!("workload/{name}/twinsim_process/{n}/2t"),
                median(self.process),
                &with_process,
            );
        }
        for (i, threads) in [1, 2].into_iter().enumerate() {
            report(
                &format!("workload/{name}/twinsim_in_process/{n}/{threads}t"),
                median(self.in_process[i].clone()),
                &with_in_process,
            );
        }
    }
}

fn main() {
    println!("medians of {RUNS} runs; the baselines do the same work with nothing in between");
    use twinsim_benches::w2;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .expect("a 2-thread pool");
    let mut workloads = [
        Workload::new(
            "w1",
            "benches/scenarios/w1_oral1cmt.ron",
            vec![(
                "baseline/10000",
                Box::new(|| {
                    std::hint::black_box(twinsim_benches::w1::run(10_000, 1));
                }),
            )],
        ),
        Workload::new(
            "w2",
            "benches/scenarios/w2_mm2cmt.ron",
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
        ),
    ];
    // Phase 1: processes next to the baselines.
    for _ in 0..RUNS {
        for w in &mut workloads {
            w.time_process();
            w.time_baselines(0);
        }
    }
    // Phase 2: in process, next to the baselines.
    let scenarios: Vec<Arc<Scenario>> = workloads
        .iter()
        .map(|w| {
            Arc::new(
                Scenario::load(root().join(w.scenario_file), Overrides::default())
                    .expect("workload scenario"),
            )
        })
        .collect();
    for _ in 0..RUNS {
        for (w, scenario) in workloads.iter_mut().zip(&scenarios) {
            w.time_baselines(1);
            w.time_in_process(scenario);
        }
    }
    for (w, scenario) in workloads.into_iter().zip(&scenarios) {
        w.report(scenario.twins_per_arm);
    }
}
