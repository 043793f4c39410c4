//! A model built for one set of parameter values: a compartment model, coupled to a PD model,
//! or a model written as equations.

use std::collections::BTreeMap;

use pk_models::equations::EquationModel;
use pk_models::pd::{AnyPd, PkPd};
use pk_models::{CompartmentModel, LinearSystem, Model};

use super::{ConcentrationUnit, Equations, ModelFile, PdFile, build};
use crate::error::Error;

/// A model built from a model file: PK only, or PK coupled to a PD model (and the AUC).
///
/// State slots: the PK slots, then the PD slots, then `AUC` (as [`PkPd`] lays them out).
#[derive(Debug, Clone, PartialEq)]
// The PK-only variant stays inline: it is the one the engine steps millions of times; the PK/PD
// one is boxed so that a twin entity does not carry its size.
#[allow(clippy::large_enum_variant)]
pub enum BuiltModel {
    /// A compartment model, solved exactly when it is linear.
    Pk(CompartmentModel),
    /// A compartment model driving a PD model (or only the AUC), solved with the ODE path.
    PkPd(Box<PkPd<AnyPd>>),
    /// A model written as equations: solved exactly when its derivatives are linear in the
    /// states, else by the ODE solver (its linear first states exactly when they form a system
    /// of their own).
    Equations(Box<EquationModel>),
}

impl BuiltModel {
    /// The built-in PK part; `None` for a model written as equations.
    pub fn pk(&self) -> Option<&CompartmentModel> {
        match self {
            Self::Pk(pk) => Some(pk),
            Self::PkPd(m) => Some(m.pk()),
            Self::Equations(_) => None,
        }
    }

    /// The coupled model, when there is a PD part.
    pub fn pkpd(&self) -> Option<&PkPd<AnyPd>> {
        match self {
            Self::PkPd(m) => Some(m),
            Self::Pk(_) | Self::Equations(_) => None,
        }
    }

    /// The model written as equations, when it is one.
    pub fn equations(&self) -> Option<&EquationModel> {
        match self {
            Self::Equations(m) => Some(m),
            Self::Pk(_) | Self::PkPd(_) => None,
        }
    }

    /// Volume (L) of a PK slot; `None` for a depot, a PD slot, the AUC or a model written as
    /// equations.
    pub fn volume(&self, slot: usize) -> Option<f64> {
        let pk = self.pk()?;
        (slot < pk.n_states()).then(|| pk.volume(slot)).flatten()
    }

    /// The PD effect in a full state; `None` without a PD part.
    pub fn effect(&self, state: &[f64]) -> Option<f64> {
        self.pkpd().map(|m| m.effect(state))
    }
}

impl Model for BuiltModel {
    fn n_states(&self) -> usize {
        match self {
            Self::Pk(m) => m.n_states(),
            Self::PkPd(m) => m.n_states(),
            Self::Equations(m) => m.n_states(),
        }
    }

    fn state_name(&self, index: usize) -> String {
        match self {
            Self::Pk(m) => m.state_name(index),
            Self::PkPd(m) => m.state_name(index),
            Self::Equations(m) => m.state_name(index),
        }
    }

    fn rhs(&self, time: f64, state: &[f64], rates: &[f64], d_state: &mut [f64]) {
        match self {
            Self::Pk(m) => m.rhs(time, state, rates, d_state),
            Self::PkPd(m) => m.rhs(time, state, rates, d_state),
            Self::Equations(m) => m.rhs(time, state, rates, d_state),
        }
    }

    fn linear_system(&self) -> Option<LinearSystem> {
        match self {
            Self::Pk(m) => m.linear_system(),
            Self::PkPd(m) => m.linear_system(),
            Self::Equations(m) => m.linear_system(),
        }
    }

    fn linear_subsystem(&self) -> Option<LinearSystem> {
        match self {
            Self::Pk(m) => m.linear_subsystem(),
            Self::PkPd(m) => m.linear_subsystem(),
            Self::Equations(m) => m.linear_subsystem(),
        }
    }

    fn initial_state(&self) -> Vec<f64> {
        match self {
            Self::Pk(m) => m.initial_state(),
            Self::PkPd(m) => m.initial_state(),
            Self::Equations(m) => m.initial_state(),
        }
    }

    fn reads_time(&self) -> bool {
        self.equations().is_some_and(Model::reads_time)
    }
}

/// Builds the model of `file` for these parameter values; an error comes with the key that
/// locates it in the text.
pub(super) fn build_model(
    file: &ModelFile,
    auc: bool,
    parameters: &BTreeMap<String, f64>,
    equations: Option<&Equations>,
) -> std::result::Result<BuiltModel, (String, Error)> {
    if let Some(eq) = equations {
        let model = eq
            .model(parameters)
            .map_err(|e| ("equations".to_owned(), e))?;
        return Ok(BuiltModel::Equations(Box::new(model)));
    }
    let Some(structure) = &file.structure else {
        return Err((
            "parameters".to_owned(),
            Error::Inconsistent {
                what: "the model has neither a `structure` nor `equations`: give one".into(),
            },
        ));
    };
    let pk = build(structure, parameters).map_err(|e| ("parameters".to_owned(), e))?;
    let only_auc = PdFile {
        model: None,
        concentration: ConcentrationUnit::MgPerL,
        exposure_integral: true,
        hazard: None,
    };
    let pd = match &file.pd {
        Some(pd) => pd,
        None if auc => &only_auc,
        None => return Ok(BuiltModel::Pk(pk)),
    };
    let model = pd
        .couple(pk, parameters, auc)
        .map_err(|e| (e.key, e.error))?;
    Ok(BuiltModel::PkPd(Box::new(model)))
}
