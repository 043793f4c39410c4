//! `twinsim estimate --model MODEL.ron --data DATA.csv --out DIR`: the MAP estimate of every
//! ID's random effects (in parallel), as NONMEM's POSTHOC step gives them.
//!
//! Writes, owner-only (they hold patient data):
//! - `DIR/individual.csv`: `ID`, `ETA_<name>` per random effect, each individual parameter at
//!   the mode, `OBJ` (−2·log posterior at the mode, constants dropped), `CONVERGED` (1/0), and
//!   the conditional covariance `COV_<a>_<b>` for every pair a ≤ b.
//! - `DIR/predictions.csv`: one row per observation: `ID`, `TIME` (h), `DV`, `PRED` (η = 0),
//!   `IPRED` (η at the mode), `IWRES` = (DV − IPRED)/sd(IPRED), on the log scale for an
//!   exponential error and empty for a value below the limit of quantification.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rayon::prelude::*;
use twins::bayes::{
    History, IndividualModel, MapEstimate, MapSettings, Measurement, Predictor, estimate_map,
};
use twins::dataset::{Dataset, Individual};
use twins::genotype::GeneCatalogue;
use twins::model_file::{ModelSpec, RowCovariates};
use twins::variability::ResidualError;

/// Arguments of `twinsim estimate`.
#[derive(Debug, clap::Args)]
pub struct EstimateArgs {
    /// The model file (RON), with random effects and residual error.
    #[arg(long)]
    pub model: PathBuf,
    /// The NONMEM-format dataset (CSV): doses (EVID 1) and observations (EVID 0, MDV 0).
    #[arg(long)]
    pub data: PathBuf,
    /// The folder to write individual.csv and predictions.csv into (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Also draw a visual predictive check per output (`DIR/vpc_<output>.svg`): observed
    /// 10/50/90th percentiles per time bin against the same percentiles of simulated datasets.
    #[arg(long)]
    pub vpc: bool,
    /// Simulated datasets for the VPC.
    #[arg(long, default_value_t = 200)]
    pub vpc_replicates: u32,
    /// Seed of the VPC's simulations.
    #[arg(long, default_value_t = 1)]
    pub vpc_seed: u64,
}

/// One ID's result.
struct Fit {
    id: String,
    map: MapEstimate,
    parameters: BTreeMap<String, f64>,
    rows: Vec<(f64, Measurement, f64, f64, ResidualError)>,
}

fn fit(
    spec: &ModelSpec,
    genes: &GeneCatalogue,
    individual: &Individual,
    data: &Path,
) -> anyhow::Result<Fit> {
    let history = History::from_individual(individual, spec, data)?;
    let first = individual
        .rows
        .first()
        .with_context(|| format!("ID {} has no rows", individual.id))?;
    let subject = RowCovariates { row: first, genes };
    let model = IndividualModel::new(spec, &subject, &BTreeMap::new(), history)?;
    let map = estimate_map(&model.objective()?, None, &MapSettings::default())?;
    let mut pred = vec![0.0; model.n_observations()];
    model.predict(&vec![0.0; model.n_eta()], &mut pred)?;
    let rows = model
        .history()
        .observations
        .iter()
        .zip(model.observed())
        .zip(pred.iter().zip(&map.predictions))
        .map(|((o, observed), (&p, &i))| (o.time, o.measurement, p, i, observed.error))
        .collect();
    Ok(Fit {
        id: individual.id.clone(),
        parameters: model.parameters(&map.eta),
        map,
        rows,
    })
}

/// (DV − IPRED)/sd, or on the log scale for exponential error; `None` when censored.
fn iwres(measurement: Measurement, ipred: f64, error: ResidualError) -> Option<f64> {
    let Measurement::Value(dv) = measurement else {
        return None;
    };
    Some(match error {
        ResidualError::Exponential { sd_log } => (dv.ln() - ipred.ln()) / sd_log,
        e => (dv - ipred) / e.variance(ipred).sqrt(),
    })
}

/// Runs `twinsim estimate`.
pub fn run(args: &EstimateArgs) -> anyhow::Result<()> {
    let spec = ModelSpec::load(&args.model).context("reading the model file")?;
    let names = spec
        .random_effects()
        .map(|r| r.names().to_vec())
        .context("the model file has no random_effects: there is nothing to estimate")?;
    let data = Dataset::read(&args.data).context("reading the dataset")?;
    let genes = GeneCatalogue::shipped()?;
    let work = || -> Vec<anyhow::Result<Fit>> {
        data.individuals
            .par_iter()
            .map(|ind| {
                fit(&spec, &genes, ind, &args.data)
                    .with_context(|| format!("estimating ID {} of {}", ind.id, args.data.display()))
            })
            .collect()
    };
    let results = match args.threads {
        Some(n) => rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .context("starting the worker threads")?
            .install(work),
        None => work(),
    };
    let fits = results.into_iter().collect::<anyhow::Result<Vec<_>>>()?;

    let mut individual = String::from("ID");
    for n in &names {
        write!(individual, ",ETA_{n}")?;
    }
    let parameter_names: Vec<String> = fits
        .first()
        .map(|f| f.parameters.keys().cloned().collect())
        .unwrap_or_default();
    for p in &parameter_names {
        write!(individual, ",{p}")?;
    }
    individual.push_str(",OBJ,CONVERGED");
    for (i, a) in names.iter().enumerate() {
        for b in &names[i..] {
            write!(individual, ",COV_{a}_{b}")?;
        }
    }
    individual.push('\n');
    let mut predictions = String::from("ID,TIME,DV,PRED,IPRED,IWRES\n");
    for f in &fits {
        individual.push_str(&f.id);
        for e in &f.map.eta {
            write!(individual, ",{e}")?;
        }
        for p in &parameter_names {
            write!(
                individual,
                ",{}",
                f.parameters.get(p).copied().unwrap_or(f64::NAN)
            )?;
        }
        write!(
            individual,
            ",{},{}",
            f.map.objective,
            u8::from(f.map.converged)
        )?;
        for i in 0..names.len() {
            for j in i..names.len() {
                write!(individual, ",{}", f.map.covariance[(i, j)])?;
            }
        }
        individual.push('\n');
        for &(time, measurement, pred, ipred, error) in &f.rows {
            let dv = match measurement {
                Measurement::Value(v) | Measurement::BelowLimit { lloq: v } => v,
            };
            let residual =
                iwres(measurement, ipred, error).map_or(String::new(), |r| r.to_string());
            writeln!(
                predictions,
                "{},{time},{dv},{pred},{ipred},{residual}",
                f.id
            )?;
        }
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    for (name, text) in [
        ("individual.csv", individual),
        ("predictions.csv", predictions),
    ] {
        let path = args.out.join(name);
        twins::io::write_atomic(&path, text.as_bytes(), true)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if args.vpc {
        super::vpc::write_vpcs(&spec, &data, args.vpc_replicates, args.vpc_seed, &args.out)?;
    }
    let unconverged: Vec<&str> = fits
        .iter()
        .filter(|f| !f.map.converged)
        .map(|f| f.id.as_str())
        .collect();
    if !unconverged.is_empty() {
        eprintln!(
            "warning: the MAP search did not converge for ID {} (CONVERGED = 0 in individual.csv)",
            unconverged.join(", ")
        );
    }
    Ok(())
}
