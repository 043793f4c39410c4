//! Criterion benchmarks of standard workload W2 (issue 8): 10,000 twins of the two-compartment
//! Michaelis–Menten model, 7 daily 200 mg IV boluses, hourly C1 over 0..=168 h, summarised by the
//! 5/25/50/75/95% quantiles at each hour (`twinsim_benches::w2` has the model and the pieces).
//!
//! IDs are `w2/{method}/{lanes}/{n_twins}/{threads}`:
//!
//! | ID | one iteration |
//! |---|---|
//! | `w2/baseline_dopri5_per_twin/10000` | a plain loop over twins and hours of `ode_solvers::Dopri5` (rtol 1e-6, atol 1e-9 mg, sparse output), then the summary; one thread |
//! | `w2/batched_dopri5/{8,16,32}lanes/10000/1t` | `pk_models::batch::simulate_cohort` with 8, 16 or 32 lanes (sorted by VMAX/(KM·V1)), then the summary; one thread |
//! | `w2/batched_dopri5/{8,16,32}lanes/10000/2t` | the same in tasks of 1,024 twins on a 2-thread rayon pool, the summary parallel over hours |
//! | `w2/batched_dopri5_equal_accuracy/16lanes/10000/{1,2}t` | the batch at rtol 2e-7, atol 2e-10 mg, where its error equals the baseline's |
//!
//! Twins are drawn once, outside the timed closure, from a fixed seed. Before timing, each
//! variant's accuracy is printed: the largest relative error of C1 over twins and hours against
//! `ode_solvers::Dop853` at rtol 1e-12, atol 1e-14 mg, and the largest error of the summary's
//! quantiles against the reference's.
//!
//! Run: `cargo bench -p twinsim-benches --bench w2` (add `-- --warm-up-time 1 --measurement-time 5`
//! for a quicker run, or an ID prefix such as `w2/batched` to filter).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pk_models::batch::{BatchSettings, MmParams, Twin};
use twinsim_benches::w2::{
    Batched, N_HOURS, N_TWINS, SEED, Summary, baseline_dopri5, batched, doses, max_relative_error,
    reference_dop853, sample_twins, settings,
};

type Failure = Box<dyn std::error::Error>;

/// The largest relative difference between two summaries' quantiles.
fn summary_error(a: &Summary, b: &Summary) -> f64 {
    a.quantiles
        .iter()
        .flatten()
        .zip(b.quantiles.iter().flatten())
        .map(|(x, y)| (x - y).abs() / y.abs())
        .fold(0.0, f64::max)
}

/// The summary of one buffer, on one thread.
fn summarise(c1: &[f64]) -> Summary {
    Summary::of(&[c1], None)
}

/// Tolerances at which the batch is as accurate as the baseline at W2's (the baseline restarts
/// every hour, so its steps stay short and it is about 6 times more accurate than asked for).
fn equal_accuracy_settings() -> BatchSettings {
    BatchSettings {
        rtol: 2e-7,
        atol: 2e-10,
        ..settings()
    }
}

/// Prints the accuracy of each variant against the tight reference, once.
fn report_accuracy(
    params: &[MmParams],
    twins: &[Twin<'_, MmParams>],
    pool: &rayon::ThreadPool,
) -> Result<(), Failure> {
    let mut reference = vec![0.0; params.len() * N_HOURS];
    reference_dop853(params, &mut reference)?;
    let reference_summary = summarise(&reference);
    let mut baseline = vec![0.0; params.len() * N_HOURS];
    baseline_dopri5(params, &mut baseline)?;
    println!(
        "accuracy w2/baseline_dopri5_per_twin/{N_TWINS}: C1 max rel error {:.2e}, quantiles {:.2e}",
        max_relative_error(&baseline, &reference),
        summary_error(&summarise(&baseline), &reference_summary)
    );
    let (w2, tight) = (settings(), equal_accuracy_settings());
    let variants: [(&str, Batched); 8] = [
        ("batched_dopri5/8lanes/1t", batched::<8>(twins, &w2, None)?),
        (
            "batched_dopri5/16lanes/1t",
            batched::<16>(twins, &w2, None)?,
        ),
        (
            "batched_dopri5/32lanes/1t",
            batched::<32>(twins, &w2, None)?,
        ),
        (
            "batched_dopri5/8lanes/2t",
            batched::<8>(twins, &w2, Some(pool))?,
        ),
        (
            "batched_dopri5/16lanes/2t",
            batched::<16>(twins, &w2, Some(pool))?,
        ),
        (
            "batched_dopri5/32lanes/2t",
            batched::<32>(twins, &w2, Some(pool))?,
        ),
        (
            "batched_dopri5_equal_accuracy/16lanes/1t",
            batched::<16>(twins, &tight, None)?,
        ),
        (
            "batched_dopri5_equal_accuracy/16lanes/2t",
            batched::<16>(twins, &tight, Some(pool))?,
        ),
    ];
    for (name, result) in variants {
        let c1 = result.assemble();
        let s = result.stats;
        println!(
            "accuracy w2/{name}: C1 max rel error {:.2e}, quantiles {:.2e}; \
             {} accepted, {} rejected steps, {} rhs evaluations of all lanes",
            max_relative_error(&c1, &reference),
            summary_error(&summarise(&c1), &reference_summary),
            s.accepted_steps,
            s.rejected_steps,
            s.rhs_evaluations
        );
    }
    Ok(())
}

fn w2(c: &mut Criterion) {
    let params = sample_twins(SEED, N_TWINS);
    let doses = doses();
    let twins: Vec<Twin<'_, MmParams>> = params.iter().map(|&p| Twin::new(p, &doses)).collect();
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(2).build() {
        Ok(pool) => pool,
        Err(e) => panic!("a 2-thread rayon pool: {e}"),
    };
    if let Err(e) = report_accuracy(&params, &twins, &pool) {
        panic!("W2 accuracy run failed: {e}");
    }

    let (w2, tight) = (settings(), equal_accuracy_settings());
    let mut group = c.benchmark_group("w2");
    group.throughput(Throughput::Elements((N_TWINS * N_HOURS) as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    let mut c1 = vec![0.0; N_TWINS * N_HOURS];
    group.bench_function(format!("baseline_dopri5_per_twin/{N_TWINS}"), |b| {
        b.iter(|| {
            baseline_dopri5(black_box(&params), &mut c1)?;
            Ok::<_, Failure>(Summary::of(&[&c1], None))
        });
    });
    let id = |method: &str, lanes: usize, threads: usize| {
        format!("{method}/{lanes}lanes/{N_TWINS}/{threads}t")
    };
    let twins = black_box(&twins);
    group.bench_function(id("batched_dopri5", 8, 1), |b| {
        b.iter(|| run::<8>(twins, &w2, None));
    });
    group.bench_function(id("batched_dopri5", 16, 1), |b| {
        b.iter(|| run::<16>(twins, &w2, None));
    });
    group.bench_function(id("batched_dopri5", 32, 1), |b| {
        b.iter(|| run::<32>(twins, &w2, None));
    });
    group.bench_function(id("batched_dopri5", 8, 2), |b| {
        b.iter(|| run::<8>(twins, &w2, Some(&pool)));
    });
    group.bench_function(id("batched_dopri5", 16, 2), |b| {
        b.iter(|| run::<16>(twins, &w2, Some(&pool)));
    });
    group.bench_function(id("batched_dopri5", 32, 2), |b| {
        b.iter(|| run::<32>(twins, &w2, Some(&pool)));
    });
    group.bench_function(id("batched_dopri5_equal_accuracy", 16, 1), |b| {
        b.iter(|| run::<16>(twins, &tight, None));
    });
    group.bench_function(id("batched_dopri5_equal_accuracy", 16, 2), |b| {
        b.iter(|| run::<16>(twins, &tight, Some(&pool)));
    });
    group.finish();
}

/// Batched, then the summary: on the calling thread, or both on `pool`.
fn run<const L: usize>(
    twins: &[Twin<'_, MmParams>],
    settings: &BatchSettings,
    pool: Option<&rayon::ThreadPool>,
) -> Result<Summary, Failure> {
    let result = batched::<L>(twins, settings, pool)?;
    let parts: Vec<&[f64]> = result.parts.iter().map(Vec::as_slice).collect();
    Ok(Summary::of(&parts, pool))
}

criterion_group!(benches, w2);
criterion_main!(benches);
