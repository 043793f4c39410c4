//! `twinsim estimate --vpc`: a visual predictive check of the model on the dataset.
//!
//! Each replicate simulates every ID's observation records with the ID's typical parameters
//! (covariates and genotypes from every record, read by the model's carry rule: see
//! `twins::course`), random effects drawn from Ω and residual
//! error from the model; the observed 10/50/90th percentiles per time bin are drawn against the
//! simulated intervals of the same percentiles (`plot::vpc`). Draws come from keyed streams
//! (seed, replicate, ID index), so the picture is the same on any thread count.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use twins::bayes::{History, IndividualModel, Measurement, Predictor};
use twins::dataset::Dataset;
use twins::genotype::GeneCatalogue;
use twins::model_file::{ModelSpec, RowCovariates};
use twins::random::{Purpose, TwinKey};

use crate::plot::vpc::{Binning, VpcFigure};

/// Time bins with about equal numbers of observations.
const BINS: usize = 8;

/// Writes `DIR/vpc_<output>.svg` for every output with observations.
pub fn write_vpcs(
    spec: &ModelSpec,
    data: &Dataset,
    replicates: u32,
    seed: u64,
    out: &Path,
) -> anyhow::Result<()> {
    let genes = GeneCatalogue::shipped()?;
    let effects = spec
        .random_effects()
        .context("a VPC needs the model's random effects")?;
    // Per output: observed (time, DV) and, per replicate, simulated (time, y).
    let mut observed: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    let mut simulated: BTreeMap<String, Vec<Vec<(f64, f64)>>> = BTreeMap::new();
    for (index, individual) in data.individuals.iter().enumerate() {
        let history = History::from_individual(individual, spec, &data.path)?;
        let first = &individual.rows[0];
        let model = IndividualModel::new(
            spec,
            &RowCovariates {
                row: first,
                genes: &genes,
            },
            &BTreeMap::new(),
            history,
        )?;
        let observations = model.history().observations.clone();
        for o in &observations {
            if let Measurement::Value(dv) = o.measurement {
                observed
                    .entry(o.output.clone())
                    .or_default()
                    .push((o.time, dv));
            }
        }
        let mut prediction = vec![0.0; model.n_observations()];
        for r in 0..replicates {
            let key = TwinKey {
                scenario_seed: seed,
                replicate: r,
                cohort: 0,
                twin: index as u32,
            };
            let eta = effects.sample(&mut key.stream(Purpose::Eta));
            model.predict(&eta, &mut prediction)?;
            let mut residual = key.stream(Purpose::Residual);
            for ((o, observed_value), &f) in
                observations.iter().zip(model.observed()).zip(&prediction)
            {
                let y = observed_value.error.sample(f, &mut residual);
                let reps = simulated.entry(o.output.clone()).or_default();
                if reps.len() <= r as usize {
                    reps.resize(r as usize + 1, Vec::new());
                }
                reps[r as usize].push((o.time, y));
            }
        }
    }
    for (output, obs) in observed {
        let unit = spec
            .file()
            .outputs
            .iter()
            .find(|o| o.name == output)
            .map_or("", |o| o.unit.as_str());
        let sims = simulated.remove(&output).unwrap_or_default();
        let figure = VpcFigure::new(&output, unit, obs, sims, Binning::Quantiles(BINS))?;
        let path = out.join(format!("vpc_{output}.svg"));
        crate::plot::write_figure_file(&figure, &path)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
