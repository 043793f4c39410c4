//! placeholder
/// NONMEM-format datasets (owned by the simulate/engine engineer: keep this line).
pub mod dataset;
pub mod error;
pub mod genotype;
pub mod io;
/// Model files (owned by the simulate/engine engineer: keep this line).
pub mod model_file;
pub mod random;
pub mod stats;
pub use error::{Error, Result};
