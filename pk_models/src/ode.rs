//! The ODE path: `ode_solvers`' Dormand–Prince methods behind [`SolverSettings`].
//!
//! Tolerances act per state slot, as in `ode_solvers`: a step is accepted when the RMS over slots of
//! `err_i / (atol + rtol·max(|y_i|, |y_i,new|))` is at most 1, so `atol` is in the state's unit
//! (mg for amounts) and `rtol` is relative.
//! The end state of each segment is taken from the sparse output (the last accepted step lands
//! exactly on the segment's end); dense output is never used, since its last point is inexact
//! (srenevey/ode-solvers#35).

use nalgebra::allocator::Allocator;
use nalgebra::{DefaultAllocator, Dim};
use ode_solvers::dop_shared::{OutputType, System};
use ode_solvers::{DVector, Dop853, Dopri5, OVector, SVector};

use crate::Error;
use crate::model::Model;

/// Segments shorter than this, relative to the time, are stepped by one Euler step.
const TINY_SEGMENT: f64 = 1e-12;

/// Below this relative tolerance, [`OdeMethod::Auto`] uses Dop853: an 8th-order method takes far
/// fewer steps than a 5th-order one when asked for many digits.
pub const DOP853_BELOW_RTOL: f64 = 1e-9;

/// Which Dormand–Prince method to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OdeMethod {
    /// Dopri5, or Dop853 when `rtol` is below [`DOP853_BELOW_RTOL`]: the default.
    #[default]
    Auto,
    /// Dormand–Prince 5(4).
    Dopri5,
    /// Dormand–Prince 8(5,3): for tight tolerances.
    Dop853,
}

/// Settings of the ODE path. `Default` suits amounts in mg.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolverSettings {
    /// The method.
    pub method: OdeMethod,
    /// Relative tolerance (dimensionless).
    pub rtol: f64,
    /// Absolute tolerance, in the state's unit (mg for amounts).
    pub atol: f64,
    /// Most steps per segment between events.
    pub max_steps: u32,
    /// Largest step (h); 0 means the segment's length.
    pub max_step: f64,
}

impl SolverSettings {
    /// The method these settings run: [`OdeMethod::Auto`] resolved by `rtol` (Dop853 below
    /// [`DOP853_BELOW_RTOL`], else Dopri5).
    pub fn resolved_method(&self) -> OdeMethod {
        match self.method {
            OdeMethod::Auto if self.rtol < DOP853_BELOW_RTOL => OdeMethod::Dop853,
            OdeMethod::Auto => OdeMethod::Dopri5,
            chosen => chosen,
        }
    }
}

impl Default for SolverSettings {
    fn default() -> Self {
        Self {
            method: OdeMethod::Auto,
            rtol: 1e-8,
            atol: 1e-10,
            max_steps: 100_000,
            max_step: 0.0,
        }
    }
}

/// Adapts a [`Model`] with constant input rates to `ode_solvers`' [`System`].
struct WithRates<'a, M: ?Sized> {
    model: &'a M,
    rates: &'a [f64],
    /// The time just before the segment's end, for a model that reads the time
    /// ([`Model::reads_time`]): stages at or after the end see the left limit.
    last: Option<f64>,
}

impl<M: Model + ?Sized, D: Dim> System<f64, OVector<f64, D>> for WithRates<'_, M>
where
    DefaultAllocator: Allocator<D>,
{
    fn system(&self, t: f64, y: &OVector<f64, D>, dy: &mut OVector<f64, D>) {
        let t = self.last.map_or(t, |last| t.min(last));
        self.model
            .rhs(t, y.as_slice(), self.rates, dy.as_mut_slice());
    }
}

/// Integrates a model between events with an `ode_solvers` method.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct OdeIntegrator {
    settings: SolverSettings,
}

impl OdeIntegrator {
    /// An integrator with these settings.
    pub fn new(settings: SolverSettings) -> Self {
        Self { settings }
    }

    /// The settings.
    pub fn settings(&self) -> &SolverSettings {
        &self.settings
    }

    /// Advances `state` from `from` to `to` (h) with constant input `rates` (amount/h per slot).
    pub fn advance<M: Model + ?Sized>(
        &self,
        model: &M,
        from: f64,
        to: f64,
        state: &mut [f64],
        rates: &[f64],
    ) -> Result<(), Error> {
        // No states (a model that is a closed form of time): nothing to integrate.
        if to <= from || state.is_empty() {
            return Ok(());
        }
        if to - from <= TINY_SEGMENT * to.abs().max(1.0) {
            // A segment of a few ulps (an infusion end computed as start + duration): one Euler
            // step is exact to rounding, where the adaptive solver would underflow its step size.
            let mut slope = vec![0.0; state.len()];
            model.rhs(from, state, rates, &mut slope);
            for (x, d) in state.iter_mut().zip(&slope) {
                *x += d * (to - from);
            }
            return Ok(());
        }
        let system = WithRates {
            model,
            rates,
            last: model.reads_time().then(|| to.next_down()),
        };
        // Small states are fixed-size vectors on the stack: ode_solvers clones and combines
        // state vectors at every stage, which for a heap vector means an allocation each time.
        macro_rules! fixed {
            ($($n:literal)*) => {
                match state.len() {
                    $($n => {
                        let y0 = SVector::<f64, $n>::from_column_slice(state);
                        let y = self.solve(system, from, to, y0)?;
                        state.copy_from_slice(y.as_slice());
                    })*
                    _ => {
                        let y = self.solve(system, from, to, DVector::from_column_slice(state))?;
                        state.copy_from_slice(y.as_slice());
                    }
                }
            };
        }
        fixed!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
        Ok(())
    }

    /// Integrates `system` from `from` to `to` and returns the end state, taken from the sparse
    /// output (the last accepted step lands exactly on `to`).
    fn solve<D, M>(
        &self,
        system: WithRates<'_, M>,
        from: f64,
        to: f64,
        y0: OVector<f64, D>,
    ) -> Result<OVector<f64, D>, Error>
    where
        D: Dim,
        M: Model + ?Sized,
        DefaultAllocator: Allocator<D>,
        OVector<f64, D>: std::ops::Mul<f64, Output = OVector<f64, D>>,
    {
        let s = &self.settings;
        let h_max = if s.max_step > 0.0 {
            s.max_step
        } else {
            to - from
        };
        let method = s.resolved_method();
        let fail = |source| Error::Integration { from, to, source };
        let last = match method {
            OdeMethod::Auto | OdeMethod::Dopri5 => {
                let mut solver = Dopri5::from_param(
                    system,
                    from,
                    to,
                    to - from,
                    y0.clone(),
                    s.rtol,
                    s.atol,
                    0.9,
                    0.04,
                    0.2,
                    10.0,
                    h_max,
                    0.0,
                    s.max_steps,
                    1000,
                    OutputType::Sparse,
                );
                solver.integrate().map_err(fail)?;
                solver.y_out().last().cloned()
            }
            OdeMethod::Dop853 => {
                let mut solver = Dop853::from_param(
                    system,
                    from,
                    to,
                    to - from,
                    y0.clone(),
                    s.rtol,
                    s.atol,
                    0.9,
                    0.0,
                    0.333,
                    6.0,
                    h_max,
                    0.0,
                    s.max_steps,
                    1000,
                    OutputType::Sparse,
                );
                solver.integrate().map_err(fail)?;
                solver.y_out().last().cloned()
            }
        };
        Ok(last.unwrap_or(y0))
    }
}
