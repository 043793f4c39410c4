//! The one small trait both solution paths implement, and the enum that picks between them.

use super::split::SplitPropagator;
use crate::Error;
use crate::linear::ExactPropagator;
use crate::model::Model;
use crate::ode::{OdeIntegrator, SolverSettings};

/// Moves a state forward in time with constant input rates.
pub trait Propagate {
    /// Advances `state` from `from` to `to` (h), with `rates[i]` (amount/h) into slot `i`.
    fn advance(
        &mut self,
        from: f64,
        to: f64,
        state: &mut [f64],
        rates: &[f64],
    ) -> Result<(), Error>;

    /// True when the map from initial state to final state is affine (a linear model).
    fn is_linear(&self) -> bool;

    /// The error each [`Propagate::advance`] aims for, per state slot: an iteration over many
    /// advances (a nonlinear steady state) cannot settle closer than this.
    ///
    /// By default a hundredth of the old fixed stopping rule (1e-12 relative, 1e-14 absolute),
    /// about what exact arithmetic reaches; an ODE propagator reports its solver's tolerances.
    fn tolerance(&self) -> Tolerance {
        Tolerance::EXACT
    }
}

/// Per-slot error of a propagation: `atol + rtol·|x|`, as the ODE solver's step control reads it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Relative tolerance (dimensionless).
    pub rtol: f64,
    /// Absolute tolerance, in the state's unit (mg for amounts).
    pub atol: f64,
}

impl Tolerance {
    /// Round-off level of an exact (matrix-exponential) propagation.
    pub const EXACT: Self = Self {
        rtol: 1e-13,
        atol: 1e-15,
    };

    /// The tolerated error of a slot holding `x`.
    pub fn of(&self, x: f64) -> f64 {
        self.atol + self.rtol * x.abs()
    }
}

impl Propagate for ExactPropagator {
    fn advance(
        &mut self,
        from: f64,
        to: f64,
        state: &mut [f64],
        rates: &[f64],
    ) -> Result<(), Error> {
        ExactPropagator::advance(self, state, to - from, rates);
        Ok(())
    }

    fn is_linear(&self) -> bool {
        true
    }
}

/// Which solution path to use.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum SolutionPath {
    /// Exact for linear models; for a model with a linear part (the PK of a PK/PD model), that
    /// part exact and the rest by the ODE solver (default settings); the ODE solver otherwise.
    #[default]
    Auto,
    /// As [`SolutionPath::Auto`], with these settings for whatever the ODE solver takes.
    AutoWith(SolverSettings),
    /// The ODE solver for every slot, even of a linear model.
    Ode(SolverSettings),
}

/// The ODE path for a model.
#[derive(Debug, Clone)]
pub struct OdePropagator<M> {
    model: M,
    integrator: OdeIntegrator,
    linear: bool,
}

impl<M: Model> Propagate for OdePropagator<M> {
    fn advance(
        &mut self,
        from: f64,
        to: f64,
        state: &mut [f64],
        rates: &[f64],
    ) -> Result<(), Error> {
        self.integrator.advance(&self.model, from, to, state, rates)
    }

    fn is_linear(&self) -> bool {
        self.linear
    }

    fn tolerance(&self) -> Tolerance {
        let s = self.integrator.settings();
        Tolerance {
            rtol: s.rtol,
            atol: s.atol,
        }
    }
}

/// The path chosen for one model: exact or ODE. It owns the model (or a reference: `&M` is a
/// [`Model`] too), so a twin can keep its propagator for life.
#[derive(Debug, Clone)]
pub enum Propagator<M> {
    /// Matrix exponentials of the linear system.
    Exact(ExactPropagator),
    /// `ode_solvers`.
    Ode(OdePropagator<M>),
    /// The linear part exact, the rest by `ode_solvers`.
    Split(SplitPropagator<M>),
}

impl<M: Model> Propagator<M> {
    /// Picks the path for `model`: exact when it is linear and `path` is `Auto` or `AutoWith`.
    pub fn new(model: M, path: SolutionPath) -> Self {
        let linear = model.linear_system();
        match (path, linear) {
            (SolutionPath::Auto | SolutionPath::AutoWith(_), Some(system)) => {
                Self::Exact(ExactPropagator::new(system))
            }
            (SolutionPath::Auto | SolutionPath::AutoWith(_), None) => {
                let settings = match path {
                    SolutionPath::AutoWith(settings) => settings,
                    _ => SolverSettings::default(),
                };
                let integrator = OdeIntegrator::new(settings);
                // A model without a diagonalisable linear part comes back for the ODE path.
                match SplitPropagator::new(model, integrator) {
                    Ok(split) => Self::Split(split),
                    Err(model) => Self::Ode(OdePropagator {
                        model,
                        integrator,
                        linear: false,
                    }),
                }
            }
            (SolutionPath::Ode(settings), linear) => Self::Ode(OdePropagator {
                model,
                integrator: OdeIntegrator::new(settings),
                linear: linear.is_some(),
            }),
        }
    }
}

/// A state that is not a number after a step (an ODE right-hand side that gave NaN or
/// overflowed) is an error at the step's end, not NaN rows later.
///
/// The exact path needs no check: its step matrices are finite (rate constants are bounded when
/// the model is built) and so are the amounts it is given (doses and rates are bounded when
/// read), so a finite state stays finite.
pub(crate) fn check_finite_state(to: f64, state: &[f64]) -> Result<(), Error> {
    match state.iter().enumerate().find(|(_, x)| !x.is_finite()) {
        Some((slot, &value)) => Err(Error::NonFiniteState {
            time: to,
            slot,
            value,
        }),
        None => Ok(()),
    }
}

impl<M: Model> Propagate for Propagator<M> {
    fn advance(
        &mut self,
        from: f64,
        to: f64,
        state: &mut [f64],
        rates: &[f64],
    ) -> Result<(), Error> {
        match self {
            Self::Exact(p) => Propagate::advance(p, from, to, state, rates),
            Self::Ode(p) => {
                p.advance(from, to, state, rates)?;
                check_finite_state(to, state)
            }
            Self::Split(p) => {
                p.advance(from, to, state, rates)?;
                check_finite_state(to, state)
            }
        }
    }

    fn is_linear(&self) -> bool {
        match self {
            Self::Exact(_) => true,
            Self::Ode(p) => p.linear,
            Self::Split(_) => false,
        }
    }

    fn tolerance(&self) -> Tolerance {
        match self {
            Self::Exact(p) => Propagate::tolerance(p),
            Self::Ode(p) => p.tolerance(),
            Self::Split(p) => p.tolerance(),
        }
    }
}
