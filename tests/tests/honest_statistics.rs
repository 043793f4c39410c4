//! Intervals say what they are: with fewer than 20 replicates `summary.json`, the console and the
//! plots call them the range of R replicate estimates (and the run smoke-size), with 20 or more
//! a 95% interval; power comes with its own interval. The range is checked against the replicate
//! means computed independently from `twins.csv`.

use std::collections::BTreeMap;
use std::path::Path;

use twinsim_tests::{project_file, succeed, twinsim};

const SCENARIO: &str = r#"(
    name: "honest statistics",
    model: "iv_model.ron",
    population: "population.ron",
    twins_per_arm: 20,
    seed: 11,
    duration_h: 24.0,
    record_every_h: 1.0,
    arms: [
        (name: "low", regimen: (dose: Fixed(mg: 100.0), every_h: 12.0, doses: 2)),
        (name: "high", regimen: (dose: Fixed(mg: 150.0), every_h: 12.0, doses: 2)),
    ],
    outcomes: [(name: "auc", output: "CP", unit: "mg/L", definition: Exposure(Auc(from: 0.0, to: 24.0)))],
    analysis: (comparisons: [(outcome: "auc", control: "low", treatment: "high")]),
)
"#;

fn run(dir: &Path, replicates: u32) -> (String, serde_json::Value) {
    for file in ["iv_model.ron", "population.ron"] {
        std::fs::copy(
            project_file(&format!("tests/scenarios/{file}")),
            dir.join(file),
        )
        .expect("copy");
    }
    let scenario = dir.join("scenario.ron");
    std::fs::write(&scenario, SCENARIO).expect("write");
    let out_dir = dir.join("out");
    let out = succeed(
        twinsim()
            .arg("run")
            .arg(&scenario)
            .arg("--out")
            .arg(&out_dir)
            .arg("--replicates")
            .arg(replicates.to_string())
            .arg("--plots"),
    );
    let summary = std::fs::read_to_string(out_dir.join("summary.json")).expect("summary");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        serde_json::from_str(&summary).expect("json"),
    )
}

/// Mean of `auc` per (replicate, arm), from twins.csv.
fn replicate_means(dir: &Path) -> BTreeMap<(String, String), f64> {
    let text = std::fs::read_to_string(dir.join("out/twins.csv")).expect("twins.csv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (rep, arm, auc) = (col("replicate"), col("arm"), col("auc"));
    let mut sums: BTreeMap<(String, String), (f64, u32)> = BTreeMap::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let e = sums
            .entry((f[rep].to_owned(), f[arm].to_owned()))
            .or_default();
        e.0 += f[auc].parse::<f64>().expect("auc");
        e.1 += 1;
    }
    sums.into_iter()
        .map(|(k, (s, n))| (k, s / f64::from(n)))
        .collect()
}

#[test]
fn four_replicates_give_their_range_and_say_so_everywhere() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (console, summary) = run(dir.path(), 4);
    assert_eq!(summary["smoke_size"], true);
    let interval = summary["interval"].as_str().expect("interval");
    assert!(
        interval.starts_with("range of the 4 replicate estimates"),
        "{interval}"
    );
    assert!(
        console.contains("range of the 4 replicate estimates"),
        "{console}"
    );
    assert!(console.contains("smoke-size"), "{console}");
    // The range, against the replicate means of twins.csv.
    let means = replicate_means(dir.path());
    for arm in summary["arms"].as_array().expect("arms") {
        let name = arm["name"].as_str().expect("name");
        let of_arm: Vec<f64> = means
            .iter()
            .filter(|((_, a), _)| a == name)
            .map(|(_, &m)| m)
            .collect();
        assert_eq!(of_arm.len(), 4);
        let (lo, hi) = of_arm
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &m| {
                (l.min(m), h.max(m))
            });
        let o = &arm["outcomes"][0];
        let (lower, upper) = (
            o["lower"].as_f64().expect("lower"),
            o["upper"].as_f64().expect("upper"),
        );
        assert!(
            (lower - lo).abs() <= 1e-9 * lo.abs(),
            "{name}: lower {lower} vs {lo}"
        );
        assert!(
            (upper - hi).abs() <= 1e-9 * hi.abs(),
            "{name}: upper {upper} vs {hi}"
        );
        assert!(o["mc_error"].as_f64().expect("mc") > 0.0);
    }
    // Power has its own interval (Wilson, 4 replicates: at most [0.51, 1] for 4 successes).
    let c = &summary["comparisons"][0];
    let (power, pl, pu) = (
        c["power"].as_f64().expect("power"),
        c["power_interval"]["lower"].as_f64().expect("lower"),
        c["power_interval"]["upper"].as_f64().expect("upper"),
    );
    assert!(
        pl <= power && power <= pu && pu - pl > 0.3,
        "{power} [{pl}, {pu}]"
    );
    assert!(c["power_mc_error"].as_f64().is_some());
    // The plots' titles say the same.
    let svg = std::fs::read_to_string(dir.path().join("out/plots/endpoints.svg"))
        .expect("endpoints plot");
    assert!(
        svg.contains("range of 4 replicates"),
        "the plot calls it otherwise"
    );
    assert!(!svg.contains("95% interval"));
}

#[test]
fn twenty_replicates_give_a_95_percent_interval() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (console, summary) = run(dir.path(), 20);
    assert_eq!(summary["smoke_size"], false);
    let interval = summary["interval"].as_str().expect("interval");
    assert!(interval.starts_with("95% interval"), "{interval}");
    assert!(!console.contains("smoke-size"), "{console}");
}
