//! Values below the limit of quantification (Beal's M3): a one-dimensional posterior checked
//! against brute-force quadrature on a fine grid (an independent computation of the same
//! density, no optimiser or sampler involved).

use std::collections::BTreeMap;
use std::path::Path;

use twins::Result;
use twins::bayes::{
    FnPredictor, History, MapSettings, Measurement, Objective, ObservedValue, SamplingSettings,
    estimate_map, sample_posterior,
};
use twins::dataset::Dataset;
use twins::random::stream_from_seed;
use twins::stats::normal_cdf;
use twins::variability::{Covariance, ResidualError};

use crate::fixtures::{ORAL, spec};

/// The grid's step is 1e-5 (ω = 0.25): its argmax is within 5e-6 of the true mode; the optimiser
/// stops within ~1e-7. 1e-4 of the prior sd (5e-5) covers both.
const MODE_TOLERANCE: f64 = 5e-5;
/// Monte Carlo standard errors allowed for the importance-sampling mean (see linear.rs).
const MONTE_CARLO_SE: f64 = 5.0;

#[test]
fn m3_posterior_matches_quadrature() -> Result<()> {
    // f1 = 2 + η measured 2.9; f2 = 1 + 2η below LLOQ 0.8; additive sd 0.5; ω = 0.25.
    let (omega, sd, y, lloq) = (0.25, 0.5, 2.9, 0.8);
    let log_post = |eta: f64| {
        let f1 = 2.0 + eta;
        let f2 = 1.0 + 2.0 * eta;
        -0.5 * eta * eta / omega - 0.5 * (y - f1).powi(2) / (sd * sd)
            + normal_cdf((lloq - f2) / sd).ln()
    };
    let step = 1e-5;
    let grid: Vec<f64> = (0..=600_000).map(|i| -3.0 + i as f64 * step).collect();
    let logs: Vec<f64> = grid.iter().map(|&e| log_post(e)).collect();
    let (argmax, _) = logs
        .iter()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |(bi, bv), (i, &v)| {
            if v > bv { (i, v) } else { (bi, bv) }
        });
    let max = logs[argmax];
    let weights: Vec<f64> = logs.iter().map(|l| (l - max).exp()).collect();
    let total: f64 = weights.iter().sum();
    let mean = grid.iter().zip(&weights).map(|(e, w)| e * w).sum::<f64>() / total;
    let var = grid
        .iter()
        .zip(&weights)
        .map(|(e, w)| (e - mean).powi(2) * w)
        .sum::<f64>()
        / total;

    let predictor = FnPredictor::new(1, 2, |eta: &[f64], out: &mut [f64]| {
        out[0] = 2.0 + eta[0];
        out[1] = 1.0 + 2.0 * eta[0];
    });
    let error = ResidualError::Additive { sd };
    let problem = Objective::new(
        predictor,
        vec![
            ObservedValue {
                measurement: Measurement::Value(y),
                error,
            },
            ObservedValue {
                measurement: Measurement::BelowLimit { lloq },
                error,
            },
        ],
        &Covariance::diagonal("omega", &[omega])?,
    )?;
    let map = estimate_map(&problem, None, &MapSettings::default())?;
    assert!(map.converged);
    assert!(
        (map.eta[0] - grid[argmax]).abs() < MODE_TOLERANCE,
        "{} vs {}",
        map.eta[0],
        grid[argmax]
    );
    let sample = sample_posterior(
        &problem,
        &map,
        &SamplingSettings {
            proposals: 20_000,
            ..SamplingSettings::default()
        },
        &mut stream_from_seed(3),
    )?;
    let ess = sample.effective_sample_size();
    let se = (var / ess).sqrt();
    assert!(
        (sample.mean()[0] - mean).abs() < MONTE_CARLO_SE * se,
        "{} vs {mean}",
        sample.mean()[0]
    );
    // The censored observation pulls η down from where the measured one alone would put it.
    let uncensored = (y - 2.0) / (sd * sd) / (1.0 / omega + 1.0 / (sd * sd));
    assert!(map.eta[0] < uncensored);
    Ok(())
}

#[test]
fn blq_rows_of_a_dataset_become_censored_observations() -> Result<()> {
    let spec = spec(ORAL)?;
    let text = "ID,TIME,DV,AMT,EVID,MDV,CMT,BLQ,LLOQ\n1,0,.,100,1,1,1,0,.\n1,2,3.1,0,0,0,2,0,.\n1,30,0.05,0,0,0,2,1,0.1\n";
    let data = Dataset::from_reader(text.as_bytes(), Path::new("blq.csv"))?;
    let history = History::from_individual(&data.individuals[0], &spec, Path::new("blq.csv"))?;
    assert_eq!(history.doses.len(), 1);
    assert_eq!(history.observations[0].measurement, Measurement::Value(3.1));
    assert_eq!(
        history.observations[1].measurement,
        Measurement::BelowLimit { lloq: 0.1 }
    );
    let model = twins::bayes::IndividualModel::new(
        &spec,
        &twins::bayes::PatientData::default(),
        &BTreeMap::new(),
        history,
    )?;
    let map = estimate_map(&model.objective()?, None, &MapSettings::default())?;
    assert!(map.converged && map.predictions[1] < 1.0);
    Ok(())
}
