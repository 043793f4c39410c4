//! placeholder
pub mod error;
pub mod genotype;
pub mod io;
pub mod random;
pub mod stats;
pub use error::{Error, Result};
