//! `twinsim simulate --model MODEL.ron --data DATA.csv --out PRED.csv`

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use pk_models::{Model, SolutionPath};
use twins::dataset::Dataset;
use twins::model_file::ModelSpec;

/// Arguments of `twinsim simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The model file (RON).
    #[arg(long)]
    pub model: PathBuf,
    /// The NONMEM-format dataset (CSV).
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
    let parameters = spec.typical_parameters();
    let model = spec.build(&parameters)?;
    let mut text = Vec::new();
    write!(text, "ID,TIME,EVID")?;
    for name in spec.output_names() {
        write!(text, ",{name}")?;
    }
    for name in spec.state_names() {
        write!(text, ",A_{name}")?;
    }
    writeln!(text)?;
    let mut outputs = Vec::new();
    for individual in &data.individuals {
        let records = individual.records(&spec, &parameters, &args.data)?;
        let states = pk_models::simulate(&model, &records, path).with_context(|| {
            format!("simulating ID {} of {}", individual.id, args.data.display())
        })?;
        for (i, row) in individual.rows.iter().enumerate() {
            let state = states.state(i);
            spec.outputs_into(&model, state, &mut outputs);
            write!(text, "{},{},{}", row.id, row.time, row.evid)?;
            for v in outputs.iter().chain(state) {
                write!(text, ",{v}")?;
            }
            writeln!(text)?;
        }
        debug_assert_eq!(states.n_states(), model.n_states());
    }
    twins::io::write_atomic(&args.out, &text, false)
        .with_context(|| format!("writing {}", args.out.display()))?;
    Ok(())
}
