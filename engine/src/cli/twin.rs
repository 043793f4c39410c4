//! `twinsim twin ...`: a durable twin that learns from a patient's levels.
//!
//! ```text
//! twinsim twin new      --model MODEL.ron --patient PATIENT.ron --out TWIN.json
//! twinsim twin observe  TWIN.json DATA.csv
//! twinsim twin forecast TWIN.json --dose 1000 --every 12 --dose-count 10 --infusion 1 --horizon 120
//! twinsim twin dose     TWIN.json --outcome auc24 --day 2 --low 400 --high 600 \
//!                       --amounts 500,750,1000,1250 --every 12 --ae-trough-above 20 --ae-ceiling 0.1
//!                       (or --range 500:2500:250 for every 250 mg from 500 to 2,500)
//! ```
//!
//! Times of a forecast or a dose search count hours from the regimen's start (`--start`, by
//! default the time of the twin's last record). Forecasts and dose searches use the full
//! posterior (`--draws`, importance sampling with a Metropolis–Hastings fallback) unless `--map`
//! asks for the MAP point alone; the output says which was used.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use pk_models::outcomes::{Exposure, Outcome, TargetAttainment};
use twins::bayes::{History, PatientData, PosteriorMethod, SamplingSettings};
use twins::dataset::Dataset;
use twins::forecast::{
    AdverseLimit, Basis, DoseSearch, EtaDraws, ForecastSettings, NamedOutcome, QUANTILES, Regimen,
    forecast, optimise_dose,
};
use twins::model_file::ModelSpec;
use twins::store::TwinFile;

/// Arguments of `twinsim twin`.
#[derive(Debug, clap::Args)]
pub struct TwinArgs {
    /// What to do with the twin.
    #[command(subcommand)]
    pub command: TwinCommand,
}

/// The `twin` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum TwinCommand {
    /// Make a twin of a patient for a model (no observations yet: its posterior is the prior).
    New(NewArgs),
    /// Add doses and levels from a NONMEM-format CSV and update the twin's posterior.
    Observe(ObserveArgs),
    /// Forecast the twin's levels and outcomes under a regimen.
    Forecast(Box<ForecastArgs>),
    /// Find the dose most likely to reach a target, under an adverse-event ceiling.
    Dose(Box<DoseArgs>),
}

/// Arguments of `twinsim twin new`.
#[derive(Debug, clap::Args)]
pub struct NewArgs {
    /// The model file (RON), with random effects and residual error.
    #[arg(long)]
    pub model: PathBuf,
    /// The patient (RON): `(id: "P-1", numeric: {"WT": 70.0}, categories: {}, genotypes: {})`.
    #[arg(long)]
    pub patient: PathBuf,
    /// Where to write the twin (JSON, owner-only).
    #[arg(long)]
    pub out: PathBuf,
    /// The twin's identifier (default: the patient's `id`, else the file name).
    #[arg(long)]
    pub id: Option<String>,
}

/// Arguments of `twinsim twin observe`.
#[derive(Debug, clap::Args)]
pub struct ObserveArgs {
    /// The twin file.
    pub twin: PathBuf,
    /// NONMEM-format CSV with this patient's doses (EVID 1) and levels (EVID 0, MDV 0): the
    /// rows whose ID is the twin's identifier (or `--id`); rows of other IDs are never taken.
    /// Events the twin already holds are skipped, so a file observed twice changes nothing.
    pub data: PathBuf,
    /// The model file, if not at the path the twin recorded (it must be the same model).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// The ID whose rows to take (default: the twin's identifier). Rows of other IDs are never
    /// taken; a file without rows of this ID is an error.
    #[arg(long)]
    pub id: Option<String>,
    /// Take levels far above what the model can give this twin (over 1000x the prior's 99.9th
    /// percentile), which are otherwise refused as unit or typing mistakes.
    #[arg(long)]
    pub accept_outlier: bool,
    /// Keep the update when the posterior mode search does not converge, or lands more than 5
    /// prior standard deviations from the typical values (otherwise the twin is left as it was
    /// and the command fails).
    #[arg(long)]
    pub force: bool,
}

/// The regimen flags shared by `forecast` and `dose`.
#[derive(Debug, Clone, clap::Args)]
pub struct RegimenArgs {
    /// Hours of the first dose on the twin's clock (default: the twin's last record).
    #[arg(long)]
    pub start: Option<f64>,
    /// Infusion duration (h); boluses without it.
    #[arg(long)]
    pub infusion: Option<f64>,
    /// Dosed compartment (CMT, from 1).
    #[arg(long, default_value_t = 1)]
    pub cmt: usize,
    /// Hours after the start to forecast.
    #[arg(long, default_value_t = 72.0)]
    pub horizon: f64,
    /// Grid step (h).
    #[arg(long, default_value_t = 0.25)]
    pub step: f64,
    /// The model output to forecast (default: the first).
    #[arg(long)]
    pub output: Option<String>,
}

/// The posterior flags shared by `forecast` and `dose`.
#[derive(Debug, Clone, clap::Args)]
pub struct PosteriorArgs {
    /// Use the MAP point alone instead of the full posterior.
    #[arg(long)]
    pub map: bool,
    /// Posterior draws.
    #[arg(long, default_value_t = 1000)]
    pub draws: usize,
    /// Seed of the posterior sampler and of probabilistic outcomes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The model file, if not at the path the twin recorded.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Also write the full result as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// A target on an exposure metric of one day of the regimen.
#[derive(Debug, Clone, clap::Args)]
pub struct TargetArgs {
    /// The metric: `auc24`, `cmin` or `cmax` of day `--day`.
    #[arg(long)]
    pub outcome: Option<String>,
    /// The regimen day the metric is taken over (1 = the first 24 h).
    #[arg(long, default_value_t = 2)]
    pub day: u32,
    /// Lower end of the target range (metric unit, e.g. mg·h/L).
    #[arg(long)]
    pub low: Option<f64>,
    /// Upper end of the target range.
    #[arg(long)]
    pub high: Option<f64>,
}

/// Arguments of `twinsim twin forecast`.
#[derive(Debug, clap::Args)]
pub struct ForecastArgs {
    /// The twin file.
    pub twin: PathBuf,
    /// Amount per dose (mg).
    #[arg(long)]
    pub dose: f64,
    /// Dosing interval (h).
    #[arg(long)]
    pub every: f64,
    /// Number of doses of the regimen.
    #[arg(long, required_unless_present = "doses")]
    pub dose_count: Option<u32>,
    /// Deprecated spelling of `--dose-count` (a count here, where `twin dose --doses` was a
    /// list of amounts).
    #[arg(long, hide = true, conflicts_with = "dose_count")]
    pub doses: Option<u32>,
    /// The regimen.
    #[command(flatten)]
    pub regimen: RegimenArgs,
    /// An optional target whose probability is reported.
    #[command(flatten)]
    pub target: TargetArgs,
    /// The posterior.
    #[command(flatten)]
    pub posterior: PosteriorArgs,
    /// Write the quantile bands here (CSV: TIME, Q05, Q25, Q50, Q75, Q95).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also draw the forecast here (SVG, or PNG when the name ends in `.png`): the predictive
    /// median with 50% and 90% intervals, the twin's observations, the doses, and the target
    /// range when `--outcome` is `cmin` or `cmax`.
    #[arg(long)]
    pub plot: Option<PathBuf>,
}

/// Arguments of `twinsim twin dose`.
#[derive(Debug, clap::Args)]
pub struct DoseArgs {
    /// The twin file.
    pub twin: PathBuf,
    /// Allowed amounts per dose (mg), comma-separated.
    #[arg(long, value_delimiter = ',', required_unless_present_any = ["range", "doses"])]
    pub amounts: Vec<f64>,
    /// Deprecated spelling of `--amounts` (amounts here, where `twin forecast --doses` was a
    /// count).
    #[arg(long, hide = true, value_delimiter = ',', conflicts_with = "amounts")]
    pub doses: Vec<f64>,
    /// Allowed amounts as a range `MIN:MAX:STEP` (mg), e.g. `500:2500:250`, instead of
    /// `--amounts`.
    #[arg(long, conflicts_with_all = ["amounts", "doses"])]
    pub range: Option<String>,
    /// The least probability of reaching the target a recommended dose must have: when no
    /// candidate reaches it, the command says so, lists the best candidates and fails.
    #[arg(long, default_value_t = 0.5)]
    pub min_probability: f64,
    /// Allowed intervals (h), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "12")]
    pub every: Vec<f64>,
    /// The regimen.
    #[command(flatten)]
    pub regimen: RegimenArgs,
    /// The target.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Adverse event: the day's trough (lowest level) at or above this (output unit).
    #[arg(long)]
    pub ae_trough_above: Option<f64>,
    /// Adverse event: the day's peak (highest level) at or above this (output unit).
    #[arg(long)]
    pub ae_cmax_above: Option<f64>,
    /// Highest acceptable probability of the adverse event.
    #[arg(long, default_value_t = 0.1)]
    pub ae_ceiling: f64,
    /// The posterior.
    #[command(flatten)]
    pub posterior: PosteriorArgs,
}

/// Runs `twinsim twin ...`.
pub fn run(args: &TwinArgs) -> anyhow::Result<()> {
    match &args.command {
        TwinCommand::New(a) => new(a),
        TwinCommand::Observe(a) => observe(a),
        TwinCommand::Forecast(a) => run_forecast(a),
        TwinCommand::Dose(a) => dose(a),
    }
}

fn new(args: &NewArgs) -> anyhow::Result<()> {
    let text = std::fs::read(&args.model)
        .with_context(|| format!("reading the model file {}", args.model.display()))?;
    let spec = ModelSpec::load(&args.model).context("reading the model file")?;
    let patient = PatientData::load(&args.patient).context("reading the patient file")?;
    let id = args.id.clone().unwrap_or_else(|| {
        if patient.id.is_empty() {
            args.patient
                .file_stem()
                .map_or("twin".into(), |s| s.to_string_lossy().into_owned())
        } else {
            patient.id.clone()
        }
    });
    let model_path = std::fs::canonicalize(&args.model).unwrap_or_else(|_| args.model.clone());
    let twin = TwinFile::new(&id, patient, &model_path, &text);
    // Fail now, not at the first observation, if the patient lacks a covariate the model needs.
    twin.model(&spec).with_context(|| {
        format!(
            "twin {id}: the patient in {} does not fit the model {}",
            args.patient.display(),
            args.model.display()
        )
    })?;
    twin.save(&args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!("twin {id} written to {}", args.out.display());
    Ok(())
}

/// Loads a twin and its model, checking the model is the one it was made with.
fn load(twin_path: &Path, model: Option<&Path>) -> anyhow::Result<(TwinFile, ModelSpec)> {
    let twin = TwinFile::load(twin_path).context("reading the twin")?;
    let model_path = model.map_or_else(|| twin.model.path.clone(), Path::to_path_buf);
    let text = std::fs::read(&model_path).with_context(|| {
        format!(
            "twin {}: reading its model file {} (pass --model if it moved)",
            twin.id,
            model_path.display()
        )
    })?;
    twin.check_model(&model_path, &text)
        .with_context(|| format!("reading the twin {}", twin_path.display()))?;
    let spec = ModelSpec::load(&model_path).context("reading the model file")?;
    twin.check_posterior(&spec)
        .with_context(|| format!("reading the twin {}", twin_path.display()))?;
    Ok((twin, spec))
}

fn observe(args: &ObserveArgs) -> anyhow::Result<()> {
    let (mut twin, spec) = load(&args.twin, args.model.as_deref())?;
    let data = Dataset::read(&args.data).context("reading the dataset")?;
    // Only this patient's rows: another patient's levels would move this twin's advice.
    let want = args.id.as_deref().unwrap_or(&twin.id);
    let Some(individual) = data.individuals.iter().find(|i| i.id == want) else {
        let others = data.individuals.len();
        bail!(
            "{}: no rows of ID `{want}` ({}); the file has {others} other ID{}: pass --id to \
             take the rows of one of them",
            args.data.display(),
            if args.id.is_some() {
                "the ID --id names"
            } else {
                "the twin's identifier"
            },
            if others == 1 { "" } else { "s" }
        );
    };
    let more = History::from_individual(individual, &spec, &args.data)?;
    let source = args.data.display().to_string();
    let screened = twin.screen(&spec, more, &source, args.accept_outlier)?;
    let repeated =
        screened.repeated_doses + screened.repeated_observations + screened.repeated_covariates;
    if repeated > 0 {
        println!(
            "twin {}: {} doses, {} levels and {} covariate records of {source} are already in \
             the twin (the same events): not added again",
            twin.id,
            screened.repeated_doses,
            screened.repeated_observations,
            screened.repeated_covariates
        );
    }
    if screened.is_empty() {
        println!(
            "twin {}: nothing new in {source}; the twin is unchanged",
            twin.id
        );
        return Ok(());
    }
    let more = screened.new;
    let (n_doses, n_obs) = (more.doses.len(), more.observations.len());
    let id = twin.id.clone();
    let summary = twin
        .add(&spec, more, &source)
        .with_context(|| {
            format!(
                "twin {id}: updating the posterior with {source} failed; the twin is left as it was"
            )
        })?
        .cloned();
    if let Some(p) = &summary
        && !args.force
    {
        twins::store::check_update(&spec, p).with_context(|| {
            format!(
                "twin {id}: updating with the levels of {source}: the twin is left as it was \
                 (check the levels, their unit and the doses, or pass --force to keep the update)"
            )
        })?;
    }
    twin.save(&args.twin)
        .with_context(|| format!("writing {}", args.twin.display()))?;
    println!(
        "twin {}: added {n_doses} doses and {n_obs} observations",
        twin.id
    );
    if let Some(p) = summary {
        println!(
            "posterior mode ({} observations, objective {:.4}{}):",
            p.observations,
            p.objective,
            if p.converged { "" } else { ", NOT CONVERGED" }
        );
        for (i, (name, eta)) in p.eta_names.iter().zip(&p.eta).enumerate() {
            let sd = p
                .covariance
                .get(i)
                .and_then(|r| r.get(i))
                .copied()
                .unwrap_or(f64::NAN)
                .sqrt();
            let value = p.parameters.get(name).copied().unwrap_or(f64::NAN);
            println!("  {name} = {value:.6} (eta {eta:.4}, conditional sd {sd:.4})");
        }
    }
    Ok(())
}

/// The unit the model file gives output `name` (empty when it gives none).
fn output_unit(spec: &ModelSpec, name: &str) -> String {
    spec.file()
        .outputs
        .iter()
        .find(|o| o.name == name)
        .map(|o| o.unit.clone())
        .unwrap_or_default()
}

/// The time of the twin's last dose or observation (0 without any).
fn last_time(history: &History) -> f64 {
    history
        .doses
        .iter()
        .map(|d| d.time + d.interval * f64::from(d.additional))
        .chain(history.observations.iter().map(|o| o.time))
        .fold(0.0, f64::max)
}

fn target(args: &TargetArgs) -> anyhow::Result<Option<TargetAttainment>> {
    let Some(name) = &args.outcome else {
        return Ok(None);
    };
    if args.day == 0 {
        bail!("--day counts from 1");
    }
    let from = 24.0 * f64::from(args.day - 1);
    let metric = match name.to_ascii_lowercase().as_str() {
        "auc24" => Exposure::Auc24 { day: args.day },
        "cmin" | "trough" => Exposure::Cmin {
            from,
            to: from + 24.0,
        },
        "cmax" | "peak" => Exposure::Cmax {
            from,
            to: from + 24.0,
        },
        other => bail!("--outcome {other}: expected auc24, cmin or cmax"),
    };
    let (Some(low), Some(high)) = (args.low, args.high) else {
        bail!("--outcome {name} needs --low and --high");
    };
    if !(low.is_finite() && high.is_finite() && low <= high) {
        bail!("--low {low} --high {high}: expected finite numbers with low <= high");
    }
    Ok(Some(TargetAttainment { metric, low, high }))
}

/// η draws: the MAP point, the posterior, or the prior before any observation.
fn draws(twin: &TwinFile, spec: &ModelSpec, args: &PosteriorArgs) -> anyhow::Result<EtaDraws> {
    let effects = spec
        .random_effects()
        .context("the model has no random effects")?;
    if args.map {
        let eta = twin
            .posterior
            .as_ref()
            .map_or_else(|| vec![0.0; effects.len()], |p| p.eta.clone());
        return Ok(EtaDraws::map(eta));
    }
    let settings = SamplingSettings {
        draws: args.draws.max(1),
        proposals: (2 * args.draws).max(1),
        ..SamplingSettings::default()
    };
    Ok(match twin.sample(spec, &settings, args.seed)? {
        Some((_, sample)) => EtaDraws::posterior(&sample),
        None => EtaDraws::prior(effects, args.draws.max(1), args.seed),
    })
}

/// The regimen's dose count, from `--dose-count` or the deprecated `--doses`.
fn forecast_dose_count(args: &ForecastArgs) -> u32 {
    match (args.dose_count, args.doses) {
        (Some(n), _) => n,
        (None, Some(n)) => {
            eprintln!(
                "warning: `twin forecast --doses` is deprecated: use --dose-count (the number of \
                 doses)"
            );
            n
        }
        // clap requires one of the two.
        (None, None) => 1,
    }
}

/// What the forecast or search was computed from, as a sentence: the number of draws, how they
/// were made, and the effective sample size against the proposals it was computed from.
fn describe(basis: &Basis, requested_draws: usize) -> String {
    // `draws` asks the sampler for twice as many proposals as draws.
    let proposals = 2 * requested_draws.max(1);
    match basis {
        Basis::Map => "the MAP point alone (each probability is 0 or 1)".into(),
        Basis::Prior { draws } => {
            format!("{draws} draws from the prior (the twin has no observations yet)")
        }
        Basis::Posterior { draws, method } => match method {
            PosteriorMethod::ImportanceSampling {
                effective_sample_size,
            } => format!(
                "{draws} posterior draws, resampled by importance sampling from {proposals} \
                 proposals (effective sample size {effective_sample_size:.0} of the {proposals} proposals)"
            ),
            PosteriorMethod::MetropolisHastings {
                rejected_effective_sample_size,
                acceptance_rate,
            } => format!(
                "{draws} posterior draws from a Metropolis-Hastings chain ({:.0}% of its \
                 proposals accepted), because importance sampling's effective sample size was \
                 only {rejected_effective_sample_size:.0} of {proposals} proposals",
                100.0 * acceptance_rate
            ),
        },
    }
}

fn settings(args: &RegimenArgs, seed: u64) -> ForecastSettings {
    ForecastSettings {
        horizon: args.horizon,
        step: args.step,
        output: args.output.clone(),
        seed,
    }
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> anyhow::Result<()> {
    let bytes = serde_json::to_vec_pretty(value)?;
    twins::io::write_atomic(path, &bytes, true)
        .with_context(|| format!("writing {}", path.display()))
}

fn run_forecast(args: &ForecastArgs) -> anyhow::Result<()> {
    let (twin, spec) = load(&args.twin, args.posterior.model.as_deref())?;
    let regimen = Regimen {
        start: args
            .regimen
            .start
            .unwrap_or_else(|| last_time(&twin.history)),
        amount: args.dose,
        interval: args.every,
        doses: forecast_dose_count(args),
        infusion: args.regimen.infusion,
        cmt: args.regimen.cmt,
    };
    let mut outcomes = Vec::new();
    if let Some(t) = target(&args.target)? {
        outcomes.push(NamedOutcome {
            name: "target".into(),
            outcome: Outcome::TargetAttainment(t),
        });
        outcomes.push(NamedOutcome {
            name: "metric".into(),
            outcome: Outcome::Exposure(t.metric),
        });
    }
    let draws = draws(&twin, &spec, &args.posterior)?;
    let model = twin.model(&spec)?;
    let result = forecast(
        &model,
        &draws,
        &regimen,
        &outcomes,
        &settings(&args.regimen, args.posterior.seed),
    )
    .with_context(|| format!("twin {}: forecasting", twin.id))?;
    println!(
        "twin {}: {} {} mg every {} h x {} from {} h; forecast from {}",
        twin.id,
        result.output,
        regimen.amount,
        regimen.interval,
        regimen.doses,
        regimen.start,
        describe(&result.basis, args.posterior.draws)
    );
    // Sentences with units: the metric is in the output's unit (·h for an AUC).
    let unit = output_unit(&spec, &result.output);
    let metric_unit = match args.target.outcome.as_deref().map(str::to_ascii_lowercase) {
        Some(m) if m == "auc24" => format!("{unit}·h"),
        _ => unit,
    };
    let metric_name = args
        .target
        .outcome
        .as_deref()
        .map_or(String::new(), |m| format!("{m} of day {}", args.target.day));
    for o in &result.outcomes {
        if let Some(p) = o.probability {
            println!(
                "  probability that the {metric_name} is within [{}, {}] {metric_unit}: {p:.3}",
                args.target.low.unwrap_or(f64::NAN),
                args.target.high.unwrap_or(f64::NAN)
            );
        }
        if let Some(q) = o.quantiles {
            debug_assert_eq!(QUANTILES, [0.05, 0.25, 0.5, 0.75, 0.95]);
            println!(
                "  {metric_name}: median {:.2} {metric_unit}; half of the draws within [{:.2}, \
                 {:.2}], 90% within [{:.2}, {:.2}]",
                q[2], q[1], q[3], q[0], q[4]
            );
        }
    }
    if let Some(out) = &args.out {
        let mut text = String::from("TIME,Q05,Q25,Q50,Q75,Q95\n");
        for (t, q) in result.times.iter().zip(&result.bands) {
            text.push_str(&format!(
                "{t},{},{},{},{},{}\n",
                q[0], q[1], q[2], q[3], q[4]
            ));
        }
        twins::io::write_atomic(out, text.as_bytes(), true)
            .with_context(|| format!("writing {}", out.display()))?;
    }
    if let Some(path) = &args.plot {
        forecast_plot(path, &twin, &spec, &regimen, &result, &args.target)?;
    }
    if let Some(path) = &args.posterior.json {
        write_json(path, &result)?;
    }
    Ok(())
}

/// The amounts of `MIN:MAX:STEP`: MIN, MIN + STEP, ... up to MAX (at most 1,000 of them).
fn amount_range(text: &str) -> anyhow::Result<Vec<f64>> {
    let parts: Vec<f64> = text
        .split(':')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("--range {text}: expected MIN:MAX:STEP in mg"))?;
    let [min, max, step] = parts[..] else {
        bail!("--range {text}: expected three numbers, MIN:MAX:STEP");
    };
    if !(min.is_finite() && max.is_finite() && step.is_finite() && step > 0.0 && min <= max) {
        bail!("--range {text}: expected finite MIN <= MAX and STEP > 0");
    }
    let n = ((max - min) / step + 1e-9).floor() as usize + 1;
    if n > 1000 {
        bail!("--range {text}: {n} amounts, at most 1,000");
    }
    Ok((0..n).map(|k| min + step * k as f64).collect())
}

fn dose(args: &DoseArgs) -> anyhow::Result<()> {
    let (twin, spec) = load(&args.twin, args.posterior.model.as_deref())?;
    let target = target(&args.target)?.context("twin dose needs --outcome, --low and --high")?;
    if !(0.0..=1.0).contains(&args.min_probability) {
        bail!(
            "--min-probability {}: expected a probability in [0, 1]",
            args.min_probability
        );
    }
    let from = 24.0 * f64::from(args.target.day.saturating_sub(1));
    let adverse = match (args.ae_trough_above, args.ae_cmax_above) {
        (Some(_), Some(_)) => bail!("give one of --ae-trough-above and --ae-cmax-above"),
        (Some(level), None) => Some((
            Exposure::Cmin {
                from,
                to: from + 24.0,
            },
            level,
        )),
        (None, Some(level)) => Some((
            Exposure::Cmax {
                from,
                to: from + 24.0,
            },
            level,
        )),
        (None, None) => None,
    }
    .map(|(metric, level)| AdverseLimit {
        outcome: Outcome::TargetAttainment(TargetAttainment {
            metric,
            low: level,
            high: f64::MAX,
        }),
        ceiling: args.ae_ceiling,
    });
    let amounts = match &args.range {
        Some(range) => amount_range(range)?,
        None if !args.doses.is_empty() => {
            eprintln!(
                "warning: `twin dose --doses` is deprecated: use --amounts (the amounts, mg, a \
                 dose may take)"
            );
            args.doses.clone()
        }
        None => args.amounts.clone(),
    };
    let template = Regimen {
        start: args
            .regimen
            .start
            .unwrap_or_else(|| last_time(&twin.history)),
        amount: amounts.first().copied().unwrap_or(0.0),
        interval: args.every.first().copied().unwrap_or(12.0),
        doses: 1,
        infusion: args.regimen.infusion,
        cmt: args.regimen.cmt,
    };
    let search = DoseSearch {
        template,
        amounts,
        intervals: args.every.clone(),
        target,
        adverse,
        settings: settings(&args.regimen, args.posterior.seed),
    };
    let draws = draws(&twin, &spec, &args.posterior)?;
    let model = twin.model(&spec)?;
    let recommendation = optimise_dose(&model, &draws, &search)
        .with_context(|| format!("twin {}: searching doses", twin.id))?;
    println!(
        "twin {}: dose search over {}",
        twin.id,
        describe(&recommendation.basis, args.posterior.draws)
    );
    let show = |c: &twins::forecast::Candidate| {
        format!(
            "{} mg every {} h{}: P(target) {:.3}{}, median metric {:.1}",
            c.regimen.amount,
            c.regimen.interval,
            c.regimen
                .infusion
                .map_or(String::new(), |d| format!(" over {d} h")),
            c.p_target,
            c.p_adverse
                .map_or(String::new(), |p| format!(", P(adverse) {p:.3}")),
            c.metric_median
        )
    };
    let reaches = recommendation
        .chosen
        .as_ref()
        .is_some_and(|c| c.p_target >= args.min_probability);
    match &recommendation.chosen {
        Some(c) if reaches => println!("chosen: {}", show(c)),
        Some(c) => println!(
            "no candidate reaches P(target) >= {} within the adverse-event ceiling: the best \
             is {}",
            args.min_probability,
            show(c)
        ),
        None => println!("no candidate keeps P(adverse) <= {}", args.ae_ceiling),
    }
    let label = if reaches { "runner-up" } else { "candidate" };
    for c in recommendation.runners_up.iter().take(5) {
        println!(
            "  {label}: {}{}",
            show(c),
            if c.within_ceiling {
                ""
            } else {
                " (over the ceiling)"
            }
        );
    }
    if let Some(path) = &args.posterior.json {
        write_json(path, &recommendation)?;
    }
    if !reaches {
        bail!(
            "twin {}: no dose to recommend: no candidate reaches P(target) >= {} with \
             P(adverse) <= {} (change the candidates, the target or --min-probability)",
            twin.id,
            args.min_probability,
            args.ae_ceiling
        );
    }
    Ok(())
}

/// Draws a forecast over absolute time: the predictive fan, the twin's quantified observations
/// of the output, its past doses and the regimen's, and a level target (`cmin` or `cmax`) as a shaded range.
fn forecast_plot(
    path: &Path,
    twin: &TwinFile,
    spec: &ModelSpec,
    regimen: &Regimen,
    result: &twins::forecast::Forecast,
    target: &TargetArgs,
) -> anyhow::Result<()> {
    use crate::plot::forecast::{ForecastFigure, RegimenFan};
    use twins::bayes::Measurement;
    let unit = output_unit(spec, &result.output);
    let level_target = target.outcome.as_deref().is_some_and(|o| {
        matches!(
            o.to_ascii_lowercase().as_str(),
            "cmin" | "trough" | "cmax" | "peak"
        )
    });
    // The twin's past doses (with their additional ones), then the regimen's.
    let doses = twin
        .history
        .doses
        .iter()
        .flat_map(|d| (0..=d.additional).map(move |k| d.time + f64::from(k) * d.interval))
        .chain((0..regimen.doses).map(|k| regimen.start + f64::from(k) * regimen.interval))
        .collect();
    let figure = ForecastFigure {
        output: result.output.clone(),
        unit,
        times_h: result.times.iter().map(|t| regimen.start + t).collect(),
        regimens: vec![RegimenFan::from_quantiles(
            &format!(
                "{} mg every {} h × {}",
                regimen.amount, regimen.interval, regimen.doses
            ),
            &result.bands,
            doses,
        )],
        observations: twin
            .history
            .observations
            .iter()
            .filter(|o| o.output == result.output)
            .filter_map(|o| match o.measurement {
                Measurement::Value(v) => Some((o.time, v)),
                Measurement::BelowLimit { .. } => None,
            })
            .collect(),
        target: match (level_target, target.low, target.high) {
            (true, Some(low), Some(high)) => Some((low, high)),
            _ => None,
        },
        now_h: Some(regimen.start),
        ..ForecastFigure::default()
    };
    crate::plot::write_figure_file(&figure, path)
        .with_context(|| format!("drawing {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}
