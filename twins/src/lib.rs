//! placeholder
pub mod covariates;
pub mod error;
pub mod genotype;
pub mod io;
pub mod learner;
pub mod population;
pub mod random;
pub mod stats;
pub mod variability;
pub use error::{Error, Result};
pub use population::{Patient, sample_population};
