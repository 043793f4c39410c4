//! Report benchmarks: rendering the one-file HTML report of a results folder (reading
//! `summary.json` and `timecourse.csv`, drawing every plot as SVG, writing the tables).
//!
//! IDs:
//! - `report/render/w1_oral1cmt`: the results of `benches/scenarios/w1_oral1cmt.ron` (one arm,
//!   337 recorded times, one output), run once in-process before timing;
//! - `report/render/two_arms_fixture`: `engine/tests/fixtures/plots/two_arms` (two arms, two
//!   outputs, three outcomes, two comparisons).
//!
//! The W1 run is seeded by its scenario file, so the folder is the same on every machine.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use engine::plot::results::PlotOptions;
use engine::report::render_report;
use engine::run::{RunOptions, run};
use engine::scenario::{Overrides, Scenario};

fn w1_results() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario = Scenario::load(
        manifest.join("scenarios/w1_oral1cmt.ron"),
        Overrides::default(),
    )
    .expect("the W1 scenario is valid");
    let out = std::env::temp_dir().join(format!("twinsim-bench-report-w1-{}", std::process::id()));
    run(
        Arc::new(scenario),
        &RunOptions {
            out_dir: out.clone(),
            threads: None,
            progress: false,
        },
    )
    .expect("the W1 scenario runs");
    out
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("report/render");
    let w1 = w1_results();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/fixtures/plots/two_arms");
    for (name, dir) in [
        ("w1_oral1cmt", w1.as_path()),
        ("two_arms_fixture", fixture.as_path()),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(render_report(dir, &PlotOptions::default()).expect("the report renders"))
            });
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&w1);
}

criterion_group!(benches, render);
criterion_main!(benches);
