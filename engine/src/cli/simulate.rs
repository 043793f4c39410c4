//! `twinsim simulate --model MODEL.ron --data DATA.csv --out PRED.csv`

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use pk_models::SolutionPath;
use twins::course;
use twins::dataset::Dataset;
use twins::genotype::GeneCatalogue;
use twins::model_file::ModelSpec;

/// Arguments of `twinsim simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The model file (RON).
    #[arg(long)]
    pub model: PathBuf,
    /// The NONMEM-format dataset (CSV). Columns named as the model's covariates (WT, AGE, ...)
    /// and genes (CYP2C9 = *1/*3, ...) feed its effects, read on every row: a covariate that
    /// changes between rows changes the parameters, by the model file's carry rule (NONMEM's
    /// next-observation-carried-backward by default); `ETA_<name>` columns, one per random
    /// effect of the model and constant within an ID, give each individual's random effects
    /// (without them every individual has its typical values).
    #[arg(long)]
    pub data: PathBuf,
    /// Where to write the predictions (CSV): one row per input record, in the input's order, with
    /// ID, TIME (h), EVID, each model output (concentrations, and PD effects such as INR or ANC),
    /// and each state slot `A_<name>`: compartment amounts (mg), PD states in their own unit,
    /// `A_AUC` in mg·h/L.
    #[arg(long)]
    pub out: PathBuf,
    /// Solve with the ODE solver even where the model is linear.
    #[arg(long)]
    pub ode: bool,
}

/// Runs `twinsim simulate`.
pub fn run(args: &SimulateArgs) -> anyhow::Result<()> {
    let spec = ModelSpec::load(&args.model).context("reading the model file")?;
    let data = Dataset::read(&args.data).context("reading the dataset")?;
    let path = if args.ode {
        SolutionPath::Ode(Default::default())
    } else {
        SolutionPath::Auto
    };
    let genes = GeneCatalogue::shipped()?;
    let mut text = Vec::new();
    write!(text, "ID,TIME,EVID")?;
    for name in spec.output_names() {
        write!(text, ",{name}")?;
    }
    for name in spec.state_names() {
        write!(text, ",A_{name}")?;
    }
    writeln!(text)?;
    let eta_columns = data.eta_columns(&spec)?;
    for individual in &data.individuals {
        // This individual's parameters: covariate and genotype effects read from every row's
        // columns (e.g. WT, AGE, CYP2C9 = *1/*3), as NONMEM reads them, and its random effects
        // from the ETA_<name> columns when the dataset has them (typical values otherwise).
        let etas = individual.etas(&eta_columns, &args.data)?;
        let course = individual
            .typical_course(&spec, &genes, &BTreeMap::new(), &args.data)?
            .try_map(|typical| {
                let mut values = typical.clone();
                spec.apply_etas(&mut values, &etas);
                Ok(values)
            })?;
        let records = individual.records(&spec, &course, &args.data)?;
        let run = course::simulate(&spec, course, &records, path).with_context(|| {
            format!("simulating ID {} of {}", individual.id, args.data.display())
        })?;
        let n_outputs = spec.output_names().count();
        for (i, row) in individual.rows.iter().enumerate() {
            write!(text, "{},{},{}", row.id, row.time, row.evid)?;
            let outputs = &run.outputs[i * n_outputs..(i + 1) * n_outputs];
            for v in outputs.iter().chain(run.states.state(i)) {
                write!(text, ",{v}")?;
            }
            writeln!(text)?;
        }
    }
    // Predictions of patients' records are patient data: owner-only, like estimate's outputs.
    twins::io::write_atomic(&args.out, &text, true)
        .with_context(|| format!("writing {}", args.out.display()))?;
    Ok(())
}
