//! `twinsim learn --data PATIENTS.csv --target CL --features CYP2C9,AGE,WT --out EFFECTS.ron
//! --report REPORT.json [--plots DIR]`: the genotype-effect learner on a table of patients.

use std::path::PathBuf;

use anyhow::Context;
use twins::genotype::GeneCatalogue;
use twins::learner::{GenotypeEncoding, Prior, TrainingConfig, train_with_diagnostics};

/// How genotypes enter the regression (`--encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Encoding {
    /// One indicator per diplotype seen in training (except the reference `*1/*1`).
    OneHot,
    /// Copies (0, 1, 2) of each non-reference allele: additive per allele.
    AlleleDosage,
    /// The diplotype's activity score minus the reference's (one column per gene).
    ActivityScore,
}

impl From<Encoding> for GenotypeEncoding {
    fn from(e: Encoding) -> GenotypeEncoding {
        match e {
            Encoding::OneHot => GenotypeEncoding::OneHot,
            Encoding::AlleleDosage => GenotypeEncoding::AlleleDosage,
            Encoding::ActivityScore => GenotypeEncoding::ActivityScore,
        }
    }
}

/// Arguments of `twinsim learn`.
#[derive(Debug, clap::Args)]
pub struct LearnArgs {
    /// Training CSV: one row per patient; genotype columns named after the gene hold
    /// diplotypes such as `*1/*3`; covariates are numbers or categories.
    #[arg(long)]
    pub data: PathBuf,
    /// The individual parameter to explain (a positive column, e.g. CL in L/h); the model is
    /// on its natural log.
    #[arg(long)]
    pub target: String,
    /// Feature columns, comma-separated: genes (CYP2C9) and covariates (AGE, WT).
    #[arg(long, value_delimiter = ',', required = true)]
    pub features: Vec<String>,
    /// Where to save the learned model (RON), loadable as a twin's genotype-effect model.
    #[arg(long)]
    pub out: PathBuf,
    /// Where to write the report (JSON): effects with 95% intervals and cross-validation.
    #[arg(long)]
    pub report: PathBuf,
    /// Genotype encoding.
    #[arg(long, value_enum, default_value_t = Encoding::OneHot)]
    pub encoding: Encoding,
    /// Continuous features entered as ln(x) (comma-separated; e.g. WT for allometry).
    #[arg(long, value_delimiter = ',')]
    pub log_features: Vec<String>,
    /// Features read as categories even when numeric (comma-separated; e.g. a 0/1 flag).
    #[arg(long, value_delimiter = ',')]
    pub categorical: Vec<String>,
    /// Patient ID column.
    #[arg(long, default_value = "ID")]
    pub id_column: String,
    /// Cross-validation folds (0 or 1: none).
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Seed of the fold assignment.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Prior SD of each coefficient, in units of the residual SD σ (default 100: flat over any
    /// plausible effect; smaller values shrink effects of rare genotypes towards 0).
    #[arg(long)]
    pub prior_sd: Option<f64>,
    /// Also draw diagnostics (held-out predicted vs observed, calibration) into this folder.
    #[arg(long)]
    pub plots: Option<PathBuf>,
    /// Column that groups patients for the diagnostics (default: `ANCESTRY` when present).
    #[arg(long)]
    pub group: Option<String>,
}

impl LearnArgs {
    /// The learner's settings from the flags.
    pub fn config(&self) -> anyhow::Result<TrainingConfig> {
        let mut prior = Prior::default();
        if let Some(sd) = self.prior_sd {
            anyhow::ensure!(
                sd.is_finite() && sd > 0.0,
                "--prior-sd: expected a positive number, got {sd}"
            );
            prior.coefficient_sd = sd;
        }
        Ok(TrainingConfig {
            target: self.target.clone(),
            features: self.features.clone(),
            id_column: self.id_column.clone(),
            encoding: self.encoding.into(),
            log_features: self.log_features.clone(),
            categorical: self.categorical.clone(),
            prior,
            folds: self.folds,
            seed: self.seed,
        })
    }
}

/// Runs `twinsim learn`.
pub fn run(args: &LearnArgs) -> anyhow::Result<()> {
    let config = args.config()?;
    let genes = GeneCatalogue::shipped().context("loading the shipped gene tables")?;
    let (model, report, held_out) = train_with_diagnostics(&args.data, &config, &genes)
        .with_context(|| format!("learning {} from {}", args.target, args.data.display()))?;
    print!("{report}");
    model
        .save(&args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    twins::io::write_atomic(&args.report, report.to_json()?.as_bytes(), false)
        .with_context(|| format!("writing {}", args.report.display()))?;
    if let Some(dir) = &args.plots {
        let data = crate::plot::learner::LearnerDiagnostics::from_csv(
            &args.data,
            &args.target,
            &held_out,
            args.group.as_deref(),
        )?;
        let written = crate::plot::learner::write_all(&data, dir, crate::plot::Format::Svg)?;
        for path in written {
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}
