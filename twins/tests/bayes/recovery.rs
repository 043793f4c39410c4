//! Simulation and recovery: 500 virtual patients drawn from the model itself (η ~ N(0, Ω),
//! residuals from the model's error), three sparse noisy levels each. If the posterior is right,
//! each true η falls inside its central 90% posterior interval with probability exactly 0.9
//! (calibration of Bayesian intervals when the data come from the prior predictive; Cook,
//! Gelman & Rubin 2006, J Comput Graph Stat 15:675).

use std::collections::BTreeMap;

use rand::RngExt;
use twins::Result;
use twins::bayes::{
    DoseEvent, History, IndividualModel, MapSettings, Measurement, Observation, PatientData,
    PosteriorMethod, SamplingSettings, estimate_map, sample_posterior,
};
use twins::forecast::quantile_sorted;
use twins::random::{Purpose, TwinKey};

use crate::fixtures::{ORAL, spec};

/// Patients simulated.
const PATIENTS: usize = 500;
/// With n = 500 and p = 0.9 the count of covered truths is Binomial(500, 0.9): mean 450, sd
/// √(500·0.9·0.1) = 6.7. A two-sided 99.9% interval is 450 ± 3.29·6.7, i.e. coverage in
/// [0.856, 0.944]; the interval ends' Monte Carlo error (1,000 draws) adds well under 1%.
const COVERAGE_BOUNDS: (f64, f64) = (0.856, 0.944);

/// The weighted q-quantile of points[k][i] under `weights`.
fn weighted_quantile(points: &[Vec<f64>], weights: &[f64], i: usize, q: f64) -> f64 {
    let mut pairs: Vec<(f64, f64)> = points
        .iter()
        .zip(weights)
        .map(|(p, w)| (p[i], *w))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut cumulative = 0.0;
    for (x, w) in &pairs {
        cumulative += w;
        if cumulative >= q {
            return *x;
        }
    }
    pairs.last().map_or(f64::NAN, |p| p.0)
}

#[test]
fn true_parameters_fall_in_90_percent_intervals_90_percent_of_the_time() -> Result<()> {
    let spec = spec(ORAL)?;
    let effects = spec.random_effects().expect("random effects");
    let error = *spec.residual("CP").expect("residual");
    let patient = PatientData::default();
    let mut covered = [0usize; 3];
    let mut methods = BTreeMap::new();
    for twin in 0..PATIENTS as u32 {
        let key = TwinKey {
            scenario_seed: 2026,
            replicate: 0,
            cohort: 0,
            twin,
        };
        let truth = effects.sample(&mut key.stream(Purpose::Eta));
        let mut events = key.stream(Purpose::Events);
        let mut residual = key.stream(Purpose::Residual);
        // One 400 mg oral dose; levels at a random early, middle and late time.
        let times = [
            events.random_range(0.5..2.0),
            events.random_range(3.0..8.0),
            events.random_range(12.0..24.0),
        ];
        let dose = DoseEvent {
            time: 0.0,
            amount: 400.0,
            cmt: 1,
            rate: 0.0,
            interval: 0.0,
            additional: 0,
            steady_state: 0,
            columns: BTreeMap::new(),
        };
        let truth_model = IndividualModel::new(
            &spec,
            &patient,
            &BTreeMap::new(),
            History {
                doses: vec![dose.clone()],
                observations: vec![],
                covariates: Vec::new(),
            },
        )?;
        let mut f = Vec::new();
        truth_model.output_at(&truth, &[], &times, 0, &mut f)?;
        let observations = times
            .iter()
            .zip(&f)
            .map(|(&time, &fi)| Observation {
                time,
                output: "CP".into(),
                measurement: Measurement::Value(error.sample(fi, &mut residual)),
            })
            .collect();
        let model = IndividualModel::new(
            &spec,
            &patient,
            &BTreeMap::new(),
            History {
                doses: vec![dose],
                observations,
                covariates: Vec::new(),
            },
        )?;
        let problem = model.objective()?;
        let map = estimate_map(&problem, None, &MapSettings::default())?;
        let sample = sample_posterior(
            &problem,
            &map,
            &SamplingSettings {
                proposals: 1_000,
                ..SamplingSettings::default()
            },
            &mut key.stream(Purpose::Uncertainty),
        )?;
        let method = match sample.method {
            PosteriorMethod::ImportanceSampling { .. } => "importance sampling",
            PosteriorMethod::MetropolisHastings { .. } => "Metropolis-Hastings",
        };
        *methods.entry(method).or_insert(0) += 1;
        for k in 0..3 {
            let lo = weighted_quantile(&sample.points, &sample.weights, k, 0.05);
            let hi = weighted_quantile(&sample.points, &sample.weights, k, 0.95);
            covered[k] += usize::from((lo..=hi).contains(&truth[k]));
        }
    }
    let coverage = covered.map(|c| c as f64 / PATIENTS as f64);
    println!(
        "90% posterior interval coverage of true CL, V, KA over {PATIENTS} patients: {coverage:?} (methods: {methods:?})"
    );
    for (k, c) in coverage.iter().enumerate() {
        assert!(
            (COVERAGE_BOUNDS.0..=COVERAGE_BOUNDS.1).contains(c),
            "eta {k}: coverage {c} outside {COVERAGE_BOUNDS:?}"
        );
    }
    // Sanity of the quantile helper used by forecasts: R's type 7 on 1..5.
    assert_eq!(quantile_sorted(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.25), 2.0);
    Ok(())
}
