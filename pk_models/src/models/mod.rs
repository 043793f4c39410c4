//! Structural models: the compartmental PK family.

pub mod compartmental;

pub use compartmental::{
    Absorption, CompartmentModel, Disposition, MAX_RATE_CONSTANT, MAX_TRANSIT_COMPARTMENTS,
    MIN_VOLUME, MichaelisMenten, StateLayout,
};
