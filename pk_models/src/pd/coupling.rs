//! [`PkPd`]: a compartment model and a PD model integrated as one state vector.

use super::{PdModel, check_parameter};
use crate::Error;
use crate::model::Model;
use crate::models::CompartmentModel;
use crate::simulate::Trajectory;

/// Milligrams per gram, for mg/L → µM: C (µmol/L) = C (mg/L) · 1000 / M (g/mol).
const MG_PER_G: f64 = 1000.0;

/// A PK model, a PD model driven by its central concentration and, optionally, the running AUC.
///
/// State slots: the PK slots (as [`CompartmentModel`] lays them out), then the PD slots, then the
/// `AUC` slot when [`PkPd::with_exposure_integral`] asked for one.
///
/// The driving concentration is `C = scale · A_central / V_central`: mg/L with the default scale
/// of 1, µM with [`PkPd::with_molar_mass`].
/// The model is never linear ([`Model::linear_system`] is `None`). With a linear PK part,
/// [`SolutionPath::Auto`](crate::SolutionPath::Auto) solves the PK slots exactly and the PD slots
/// (and the AUC) with the ODE solver, reading the PK in closed form inside the right-hand side;
/// [`SolutionPath::Ode`](crate::SolutionPath::Ode) solves every slot with the ODE solver.
#[derive(Debug, Clone, PartialEq)]
pub struct PkPd<D> {
    pk: CompartmentModel,
    pd: D,
    /// Multiplies mg/L into the PD model's concentration unit.
    scale: f64,
    /// Slot of the PK central compartment.
    central: usize,
    /// Central volume (L).
    v_central: f64,
    /// Number of PK slots; the PD slots start here.
    n_pk: usize,
    /// Whether an AUC slot follows the PD slots.
    auc: bool,
}

impl<D: PdModel> PkPd<D> {
    /// Couples `pd` to the central concentration of `pk`, in mg/L.
    pub fn new(pk: CompartmentModel, pd: D) -> Self {
        let central = pk.layout().central;
        let v_central = pk.volume(central).unwrap_or(1.0);
        let n_pk = pk.n_states();
        Self {
            pk,
            pd,
            scale: 1.0,
            central,
            v_central,
            n_pk,
            auc: false,
        }
    }

    /// Drives the PD model with `scale` · C (mg/L): e.g. 1000 for µg/L.
    pub fn with_concentration_scale(self, scale: f64) -> Result<Self, Error> {
        check_parameter("concentration scale", scale, false)?;
        Ok(Self { scale, ..self })
    }

    /// Drives the PD model in µM: C (µM) = C (mg/L) · 1000 / `molar_mass` (g/mol).
    pub fn with_molar_mass(self, molar_mass: f64) -> Result<Self, Error> {
        check_parameter("molar mass", molar_mass, false)?;
        self.with_concentration_scale(MG_PER_G / molar_mass)
    }

    /// Appends an `AUC` slot: d(AUC)/dt = A_central / V_central, in mg·h/L (unscaled), so the
    /// AUC between two times is the exact difference of that slot.
    pub fn with_exposure_integral(self) -> Self {
        Self { auc: true, ..self }
    }

    /// The PK model.
    pub fn pk(&self) -> &CompartmentModel {
        &self.pk
    }

    /// The PD model.
    pub fn pd(&self) -> &D {
        &self.pd
    }

    /// The factor from mg/L to the PD concentration unit.
    pub fn concentration_scale(&self) -> f64 {
        self.scale
    }

    /// The first PD slot.
    pub fn pd_offset(&self) -> usize {
        self.n_pk
    }

    /// The `AUC` slot, when there is one.
    pub fn auc_index(&self) -> Option<usize> {
        self.auc.then_some(self.n_pk + self.pd.n_states())
    }

    /// Central concentration (mg/L) in a full state.
    pub fn central_concentration(&self, state: &[f64]) -> f64 {
        state[self.central] / self.v_central
    }

    /// The driving concentration (PD unit) in a full state.
    pub fn concentration(&self, state: &[f64]) -> f64 {
        self.scale * self.central_concentration(state)
    }

    /// The PD slots of a full state.
    pub fn pd_state<'s>(&self, state: &'s [f64]) -> &'s [f64] {
        &state[self.n_pk..self.n_pk + self.pd.n_states()]
    }

    /// The PD output (e.g. INR, ANC) in a full state.
    pub fn effect(&self, state: &[f64]) -> f64 {
        self.pd
            .effect(self.concentration(state), self.pd_state(state))
    }

    /// The PD output after every record of a trajectory.
    pub fn effect_series(&self, trajectory: &Trajectory) -> Vec<f64> {
        (0..trajectory.len())
            .map(|i| self.effect(trajectory.state(i)))
            .collect()
    }

    /// The central concentration (mg/L) after every record of a trajectory.
    pub fn concentration_series(&self, trajectory: &Trajectory) -> Vec<f64> {
        (0..trajectory.len())
            .map(|i| self.central_concentration(trajectory.state(i)))
            .collect()
    }

    /// The running AUC (mg·h/L) after every record, when the model has an `AUC` slot.
    pub fn auc_series(&self, trajectory: &Trajectory) -> Option<Vec<f64>> {
        let index = self.auc_index()?;
        Some(
            (0..trajectory.len())
                .map(|i| trajectory.state(i)[index])
                .collect(),
        )
    }
}

impl<D: PdModel> Model for PkPd<D> {
    fn n_states(&self) -> usize {
        self.n_pk + self.pd.n_states() + usize::from(self.auc)
    }

    fn state_name(&self, index: usize) -> String {
        let n_pd = self.pd.n_states();
        if index < self.n_pk {
            self.pk.state_name(index)
        } else if index < self.n_pk + n_pd {
            self.pd.state_name(index - self.n_pk)
        } else {
            "AUC".to_owned()
        }
    }

    fn rhs(&self, time: f64, state: &[f64], rates: &[f64], d_state: &mut [f64]) {
        let n_pk = self.n_pk;
        let n_pd = self.pd.n_states();
        self.pk
            .rhs(time, &state[..n_pk], &rates[..n_pk], &mut d_state[..n_pk]);
        // C (mg/L) = A_central (mg) / V_central (L); the PD model sees scale · C.
        let conc = self.central_concentration(state);
        let pd_range = n_pk..n_pk + n_pd;
        self.pd.rhs(
            self.scale * conc,
            &state[pd_range.clone()],
            &mut d_state[pd_range.clone()],
        );
        // Any input into a PD slot (a dose into a response compartment) adds to its derivative.
        for i in pd_range {
            d_state[i] += rates[i];
        }
        if self.auc {
            // d(AUC)/dt = C  (mg/L → mg·h/L per h)
            d_state[n_pk + n_pd] = conc + rates[n_pk + n_pd];
        }
    }

    /// The PK slots, when the PK is linear: nothing of the PD feeds back into them.
    fn linear_subsystem(&self) -> Option<crate::LinearSystem> {
        self.pk.linear_system()
    }

    fn initial_state(&self) -> Vec<f64> {
        let mut state = vec![0.0; self.n_states()];
        self.pd
            .baseline(&mut state[self.n_pk..self.n_pk + self.pd.n_states()]);
        state
    }
}

/// No PD at all: with [`PkPd::with_exposure_integral`], a PK model plus its running AUC.
/// Output `C`: the driving concentration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NoEffect;

impl PdModel for NoEffect {
    fn n_states(&self) -> usize {
        0
    }

    fn state_name(&self, index: usize) -> String {
        format!("pd{index}")
    }

    fn baseline(&self, _state: &mut [f64]) {}

    fn rhs(&self, _conc: f64, _state: &[f64], _d_state: &mut [f64]) {}

    fn output_name(&self) -> &'static str {
        "C"
    }

    fn effect(&self, conc: f64, _state: &[f64]) -> f64 {
        conc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Absorption, Disposition};
    use crate::pd::{DirectEffect, EffectShape};

    #[test]
    fn slots_are_pk_then_pd_then_auc() -> Result<(), Error> {
        let pk = CompartmentModel::new(
            Disposition::Two {
                cl: 1.0,
                v1: 10.0,
                q: 2.0,
                v2: 20.0,
            },
            Absorption::FirstOrder { ka: 1.0 },
            None,
        )?;
        let shape = EffectShape::Linear {
            e0: 1.0,
            slope: 2.0,
        };
        let model = PkPd::new(pk, DirectEffect::on_effect_compartment(shape, 0.3)?)
            .with_exposure_integral();
        assert_eq!(model.n_states(), 5);
        assert_eq!(model.state_name(1), "central");
        assert_eq!(model.state_name(3), "Ce");
        assert_eq!(model.state_name(4), "AUC");
        assert_eq!(model.auc_index(), Some(4));
        assert!(model.linear_system().is_none());
        Ok(())
    }

    #[test]
    fn molar_mass_converts_mg_per_l_to_micromolar() -> Result<(), Error> {
        let pk =
            CompartmentModel::new(Disposition::One { cl: 1.0, v: 2.0 }, Absorption::None, None)?;
        // 807.9 g/mol (docetaxel): 1 mg/L = 1000/807.9 µM.
        let model = PkPd::new(pk, NoEffect).with_molar_mass(807.9)?;
        let state = [2.0];
        assert!((model.concentration(&state) - 1000.0 / 807.9).abs() < 1e-15);
        assert!(
            PkPd::new(model.pk().clone(), NoEffect)
                .with_molar_mass(0.0)
                .is_err()
        );
        Ok(())
    }
}
