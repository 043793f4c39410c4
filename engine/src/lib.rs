//! # engine: cohorts of twins, scenarios, outputs and the `twinsim` command line
//!
//! (Crate documentation grows with the engine; see [`cli`].)

pub mod cli;
