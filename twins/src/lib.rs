//! # twins: the patients of twinsim
//!
//! `twins` makes virtual patients ("digital twins") and the priors that
//! individualise them: covariates, pharmacogenetic genotypes, populations sampled
//! from a description, between-subject variability, and a learned model of how
//! genotype and covariates shift a pharmacokinetic parameter. It knows nothing of
//! ECS worlds or scenario files; `engine` builds on it, and it builds only on
//! numerics (`nalgebra`, `rand`).
//!
//! ## Quick start
//!
//! ```
//! use twins::population::PopulationModel;
//! use twins::genotype::Phenotype;
//!
//! let population = PopulationModel::from_ron_str(
//!     r#"(
//!         covariates: {
//!             WT: LogNormal(median: 75.0, sd_log: 0.2),
//!             AGE: Truncated(distribution: Normal(mean: 55.0, sd: 15.0), min: 18.0, max: 90.0),
//!         },
//!         ancestry: {European: 0.7, EastAsian: 0.3},
//!         genes: ["CYP2C19"],
//!         random_effects: Some((
//!             parameters: [(name: "CL"), (name: "V")],
//!             omega: [[0.09, 0.02], [0.02, 0.04]],
//!         )),
//!     )"#,
//!     "population.ron".as_ref(),
//! )?;
//! let patients = twins::sample_population(&population, 1_000, 2024)?;
//! let poor = patients
//!     .iter()
//!     .filter(|p| p.genotypes[0].phenotype() == Phenotype::PoorMetabolizer)
//!     .count();
//! assert!(poor > 0 && poor < 200);
//! // Typical clearance 5 L/h, individual CL = 5·exp(η_CL).
//! let cl = 5.0 * patients[0].etas[0].exp();
//! assert!(cl > 0.0);
//! # Ok::<(), twins::Error>(())
//! ```
//!
//! ## Where to start
//!
//! | you want to | look at |
//! | --- | --- |
//! | describe and sample a population | [`population::PopulationFile`], [`sample_population`] |
//! | a patient's covariates (BSA, CrCl, time-varying) | [`covariates`] |
//! | parameters that change with covariates, read as NONMEM does | [`course`] |
//! | genes, diplotypes, phenotypes, allele frequencies | [`genotype::GeneCatalogue`], [`genotype::Diplotype`] |
//! | random streams keyed per twin | [`random::TwinKey`] |
//! | η, IOV, residual error, parameter uncertainty | [`variability`] |
//! | learn genotype effects from patient data | [`learner::train_from_csv`] |
//! | feed effects into a twin's prior | [`learner::GenotypeEffectModel`] |
//! | read a model file (structure, effects, PD, random effects, residual error) | [`model_file::ModelSpec`] |
//! | read a NONMEM-format dataset | [`dataset::Dataset`] |
//! | update a twin from its levels (MAP, posterior draws) | [`bayes`] |
//! | forecast a regimen, choose a dose | [`forecast`] |
//! | save and replay a twin | [`store`] |
//! | write files safely | [`io::write_atomic`] |
//! | what went wrong | [`Error`] |
//!
//! Shipped gene tables live in `twins/data/genes/` (CPIC-based, one RON file per gene,
//! each citing its source) and are embedded in the binary.

// Bayesian updating (owned by the twin-learning engineer: keep this line).
pub mod bayes;
pub mod course;
pub mod covariates;
/// NONMEM-format datasets. (Owned by the engine engineer: keep this line.)
pub mod dataset;
pub mod error;
pub mod finite;
// Forecasts and dose optimisation (owned by the twin-learning engineer: keep this line).
pub mod forecast;
pub mod genotype;
pub mod io;
pub mod learner;
/// Model files. (Owned by the engine engineer: keep this line.)
pub mod model_file;
pub mod population;
pub mod random;
pub mod stats;
// Durable twin files (owned by the twin-learning engineer: keep this line).
pub mod names;
pub mod store;
pub mod variability;

pub use error::{Error, Result};
pub use population::{Patient, sample_population};
