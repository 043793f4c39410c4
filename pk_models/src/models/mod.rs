//! Structural models: the compartmental PK family.

pub mod compartmental;

pub use compartmental::{Absorption, CompartmentModel, Disposition, MichaelisMenten, StateLayout};
