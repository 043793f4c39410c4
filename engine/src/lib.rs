//! # engine: cohorts of twins, scenarios, outputs and the `twinsim` command line
//!
//! A scenario file names a model, a population, arms with their regimens and dosing rules, visits,
//! outcomes and the trial-level analysis. [`scenario::Scenario::load`] reads and validates it;
//! [`run::run`] simulates every arm of every replicate trial as `bevy_ecs` worlds of twins on a
//! rayon pool and writes `summary.json`, `timecourse.csv` and `twins.csv`.
//!
//! ```text
//! scenario.ron ─validate─▶ Scenario ─▶ worlds (replicate × arm × chunk of twins)
//!   each world, each tick: apply_doses ▶ advance ▶ observe ▶ adapt ▶ record ▶ evaluate_outcomes
//!   ─▶ results merged in world order ─▶ summary.json, timecourse.csv, twins.csv
//! ```
//!
//! ## Where to start
//! | you want to | look at |
//! |---|---|
//! | read a scenario | [`scenario`] (file format in [`scenario::file`]) |
//! | see what a twin is made of | [`cohort::components`] |
//! | see the order of systems | [`cohort::schedule`] |
//! | run a scenario | [`run::run`] |
//! | a 3+3 escalation | [`escalation`] |
//! | draw a run's plots, a forecast, a VPC | [`plot`] |
//! | a one-file HTML report of a run | [`report`] |
//! | the command line | [`cli`] |

pub mod cli;
pub mod cohort;
pub mod dosing;
mod error;
pub mod escalation;
pub mod output;
pub mod plot;
pub mod regression;
pub mod report;
pub mod run;
pub mod scenario;

pub use error::Error;
