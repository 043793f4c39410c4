//! Virtual populations: a RON description of covariate distributions, correlations,
//! proportions, genes and random effects, and the sampler that draws patients from it.
//!
//! Start with [`PopulationFile`] (the RON shape, with an example) and
//! [`crate::sample_population`].

mod description;
mod distribution;
mod empirical;
mod record;
mod sampler;
pub mod trajectory;

pub use description::{
    ContinuousCovariate, CorrelationFile, PROPORTION_SUM_TOLERANCE, PopulationFile, PopulationModel,
};
pub use distribution::{Distribution, TruncationMethod};
pub use empirical::EmpiricalTable;
pub use record::PatientRecord;
pub use sampler::{CovariatesAt, MAX_REJECTION_TRIES, Patient, PatientAt, sample_population};
