//! The split path: a linear part solved exactly, the rest by the ODE solver.
//!
//! When a model's first `n` slots form a linear system `dx/dt = A·x + r` that nothing else feeds
//! into ([`Model::linear_subsystem`], e.g. the PK of a [`PkPd`](crate::PkPd) model), those slots
//! are known in closed form at any time of a segment with constant input:
//!
//! ```text
//! A = V·Λ·V⁻¹,  y = V⁻¹·x,  s = V⁻¹·r
//! y_k(τ) = exp(λ_k·τ)·y_k(0) + s_k·(exp(λ_k·τ) − 1)/λ_k      (s_k·τ when λ_k = 0)
//! x(τ) = V·y(τ)
//! ```
//!
//! so the ODE solver integrates only the other slots (the PD states), reading the linear ones from
//! that formula inside the right-hand side. Its step size then follows the slow PD states, not the
//! fast absorption of each dose. The linear slots end each segment by the exact propagator.
//!
//! Models whose `A` has complex, repeated or nearly repeated eigenvalues (transit absorption) or
//! ill-conditioned eigenvectors are not split: they take the ODE path for every slot.

use std::cell::RefCell;

use nalgebra::{DMatrix, DVector};

use super::propagate::{Propagate, Tolerance};
use crate::Error;
use crate::linear::{ExactPropagator, LinearSystem};
use crate::model::Model;
use crate::ode::OdeIntegrator;

/// Eigenvalues closer than this (relative to the largest |λ|) count as repeated.
const MIN_EIGENVALUE_GAP: f64 = 1e-6;
/// An imaginary part larger than this (relative to the largest |λ|) makes an eigenvalue complex.
const MAX_IMAGINARY: f64 = 1e-12;
/// Below this |λτ|, (exp(λτ) − 1)/λ is summed as a series.
const SERIES_BELOW: f64 = 1e-3;
/// `A` must be recovered from `V·Λ·V⁻¹` to this, relative to its largest entry.
const MAX_RECONSTRUCTION_ERROR: f64 = 1e-10;

/// The modes of a linear system: `A = V·Λ·V⁻¹` with real, distinct eigenvalues.
#[derive(Debug, Clone)]
pub(crate) struct Modes {
    lambda: Vec<f64>,
    v: DMatrix<f64>,
    v_inv: DMatrix<f64>,
}

impl Modes {
    /// The modes of `system`, or `None` when `A` is not safely diagonalisable over the reals.
    pub(crate) fn new(system: &LinearSystem) -> Option<Self> {
        let a = system.matrix();
        let n = a.nrows();
        let scale = a.amax();
        if n == 0 || scale == 0.0 || !scale.is_finite() {
            return None;
        }
        let complex = a.complex_eigenvalues();
        if complex.iter().any(|z| z.im.abs() > MAX_IMAGINARY * scale) {
            return None;
        }
        let mut lambda: Vec<f64> = complex.iter().map(|z| z.re).collect();
        lambda.sort_by(f64::total_cmp);
        if lambda
            .windows(2)
            .any(|w| (w[1] - w[0]).abs() <= MIN_EIGENVALUE_GAP * scale)
        {
            return None;
        }
        let mut v = DMatrix::zeros(n, n);
        for (k, &l) in lambda.iter().enumerate() {
            // The eigenvector spans the null space of A − λI: the right singular vector of its
            // smallest singular value.
            let shifted = a - DMatrix::identity(n, n) * l;
            let svd = shifted.svd(false, true);
            let v_t = svd.v_t?;
            let smallest = svd.singular_values.imin();
            v.set_column(k, &v_t.row(smallest).transpose());
        }
        let v_inv = v.clone().try_inverse()?;
        let reconstructed =
            &v * DMatrix::from_diagonal(&DVector::from_vec(lambda.clone())) * &v_inv;
        if (reconstructed - a).amax() > MAX_RECONSTRUCTION_ERROR * scale {
            return None;
        }
        Some(Self { lambda, v, v_inv })
    }

    fn dim(&self) -> usize {
        self.lambda.len()
    }
}

/// The linear slots over one segment: their modal start `y(0)` and modal input `s`.
struct Segment<'a> {
    modes: &'a Modes,
    y0: Vec<f64>,
    s: Vec<f64>,
}

impl Segment<'_> {
    /// Writes `x(τ)` into `x`, using `y` (length n) as scratch.
    fn state_at(&self, tau: f64, y: &mut [f64], x: &mut [f64]) {
        for (k, &l) in self.modes.lambda.iter().enumerate() {
            let lt = l * tau;
            let e = lt.exp();
            // (exp(λτ) − 1)/λ: by its series where the difference would cancel (the next term,
            // (λτ)⁴/120, is below rounding there), else directly (relative error ε/|λτ| < 1e-12).
            let integral = if lt.abs() < SERIES_BELOW {
                tau * (1.0 + lt / 2.0 * (1.0 + lt / 3.0 * (1.0 + lt / 4.0)))
            } else {
                (e - 1.0) / l
            };
            y[k] = e * self.y0[k] + self.s[k] * integral;
        }
        let v = &self.modes.v;
        for (i, xi) in x.iter_mut().enumerate() {
            *xi = (0..y.len()).map(|k| v[(i, k)] * y[k]).sum();
        }
    }
}

/// The slots after the linear ones, as a model of their own for the ODE solver: its right-hand
/// side fills the linear slots from the closed form and calls the whole model's.
struct Rest<'a, M> {
    model: &'a M,
    segment: Segment<'a>,
    from: f64,
    /// Every slot's input rate (the whole model's).
    rates: &'a [f64],
    /// Scratch: the whole state, its derivative, and the modal state.
    scratch: RefCell<(Vec<f64>, Vec<f64>, Vec<f64>)>,
}

impl<M: Model> Model for Rest<'_, M> {
    fn n_states(&self) -> usize {
        self.rates.len() - self.segment.modes.dim()
    }

    fn state_name(&self, index: usize) -> String {
        self.model.state_name(index + self.segment.modes.dim())
    }

    fn rhs(&self, time: f64, state: &[f64], _rates: &[f64], d_state: &mut [f64]) {
        let n = self.segment.modes.dim();
        let mut guard = self.scratch.borrow_mut();
        let (full, d_full, y) = &mut *guard;
        self.segment.state_at(time - self.from, y, &mut full[..n]);
        full[n..].copy_from_slice(state);
        self.model.rhs(time, full, self.rates, d_full);
        d_state.copy_from_slice(&d_full[n..]);
    }

    fn reads_time(&self) -> bool {
        self.model.reads_time()
    }
}

/// The split path for a model with a linear subsystem (see the module docs).
#[derive(Debug, Clone)]
pub struct SplitPropagator<M> {
    model: M,
    modes: Modes,
    exact: ExactPropagator,
    integrator: OdeIntegrator,
}

impl<M: Model> SplitPropagator<M> {
    /// The split path for `model`, when it has a linear subsystem with real, distinct
    /// eigenvalues; otherwise the model back.
    pub(crate) fn new(model: M, integrator: OdeIntegrator) -> Result<Self, M> {
        let Some(system) = model.linear_subsystem() else {
            return Err(model);
        };
        let Some(modes) = Modes::new(&system) else {
            return Err(model);
        };
        Ok(Self {
            model,
            modes,
            exact: ExactPropagator::new(system),
            integrator,
        })
    }
}

impl<M: Model> Propagate for SplitPropagator<M> {
    fn advance(
        &mut self,
        from: f64,
        to: f64,
        state: &mut [f64],
        rates: &[f64],
    ) -> Result<(), Error> {
        if to <= from {
            return Ok(());
        }
        let n = self.modes.dim();
        if state.len() == n {
            // Nothing but the linear part (a direct effect on C): no ODE at all.
            self.exact.advance(state, to - from, rates);
            return Ok(());
        }
        let modal = |x: &[f64]| -> Vec<f64> {
            (&self.modes.v_inv * DVector::from_column_slice(x))
                .as_slice()
                .to_vec()
        };
        let rest = Rest {
            model: &self.model,
            segment: Segment {
                modes: &self.modes,
                y0: modal(&state[..n]),
                s: modal(&rates[..n]),
            },
            from,
            rates,
            scratch: RefCell::new((state.to_vec(), vec![0.0; state.len()], vec![0.0; n])),
        };
        self.integrator
            .advance(&rest, from, to, &mut state[n..], &rates[n..])?;
        self.exact.advance(&mut state[..n], to - from, &rates[..n]);
        Ok(())
    }

    fn is_linear(&self) -> bool {
        false
    }

    fn tolerance(&self) -> Tolerance {
        let s = self.integrator.settings();
        Tolerance {
            rtol: s.rtol,
            atol: s.atol,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Absorption, CompartmentModel, Disposition};

    /// Round-off of an eigen-decomposition of a 3×3 matrix with entries ~1.
    const ROUNDING: f64 = 1e-12;

    #[test]
    fn modes_reproduce_the_matrix_exponential() -> Result<(), Error> {
        let pk = CompartmentModel::new(
            Disposition::Two {
                cl: 0.314,
                v1: 13.8,
                q: 0.131,
                v2: 6.59,
            },
            Absorption::FirstOrder { ka: 2.0 },
            None,
        )?;
        let system = pk
            .linear_system()
            .ok_or(Error::SingularSteadyState { time: 0.0 })?;
        let modes = Modes::new(&system).ok_or(Error::SingularSteadyState { time: 0.0 })?;
        let mut exact = ExactPropagator::new(system);
        let x0 = [2.5, 1.0, 0.5];
        let rates = [0.0, 0.3, 0.0];
        let modal = |x: &[f64]| {
            (&modes.v_inv * DVector::from_column_slice(x))
                .as_slice()
                .to_vec()
        };
        let segment = Segment {
            modes: &modes,
            y0: modal(&x0),
            s: modal(&rates),
        };
        for tau in [0.0, 0.1, 1.0, 7.3, 24.0] {
            let mut expected = x0;
            exact.advance(&mut expected, tau, &rates);
            let (mut y, mut x) = ([0.0; 3], [0.0; 3]);
            segment.state_at(tau, &mut y, &mut x);
            for (a, b) in x.iter().zip(&expected) {
                assert!(
                    (a - b).abs() < ROUNDING * (1.0 + b.abs()),
                    "τ {tau}: {a} vs {b}"
                );
            }
        }
        Ok(())
    }

    #[test]
    fn repeated_eigenvalues_are_not_split() -> Result<(), Error> {
        // Transit absorption: a chain of equal rate constants, a defective A.
        let pk = CompartmentModel::new(
            Disposition::One { cl: 1.0, v: 10.0 },
            Absorption::Transit {
                n: 3,
                mtt: 2.0,
                ka: 1.0,
            },
            None,
        )?;
        let system = pk
            .linear_system()
            .ok_or(Error::SingularSteadyState { time: 0.0 })?;
        assert!(Modes::new(&system).is_none());
        Ok(())
    }
}
