//! Steady state of a regimen: the state at a record time as if the dose had been given every II
//! hours forever.
//!
//! Over one dosing interval the map from the state just before a dose to the state just before the
//! next is `M(x)`. For a linear model `M(x) = Φ·x + c`, so the trough is the fixed point
//! `x* = (I − Φ)⁻¹·c`, computed exactly from one interval (never by simulating many doses).
//! For a nonlinear model the map is iterated until the trough's remaining error, estimated from
//! the change per interval and the contraction between intervals, is within a few of the
//! propagator's own tolerances.
//! Infusions longer than II overlap: at phase `s` of the interval, `⌈(D − s)/II⌉` infusions run.

use nalgebra::{DMatrix, DVector};

use super::propagate::{Propagate, Tolerance};
use crate::Error;
use crate::dosing::Delivery;

/// The nonlinear iteration stops when the trough's remaining error is estimated within this many
/// propagator tolerances ([`Propagate::tolerance`]): each interval is only computed to about one
/// tolerance (more over the many steps of a long interval), so a tighter goal would chase the
/// solver's own noise.
const NONLINEAR_TOLERANCES: f64 = 10.0;
/// Most dosing intervals simulated for a nonlinear steady state.
const NONLINEAR_MAX_INTERVALS: usize = 10_000;
/// Interval (h) over which a constant infusion's steady state is taken as a fixed point.
const CONSTANT_INFUSION_PERIOD: f64 = 24.0;
/// Overlap remainders shorter than this fraction of II are treated as exact multiples.
const PHASE_EPS: f64 = 1e-12;

/// One regimen at steady state: what enters `compartment` every `interval` hours.
pub(crate) struct Regimen {
    pub compartment: usize,
    pub delivery: Delivery,
    pub interval: f64,
}

impl Regimen {
    /// Piecewise-constant input over one interval, from phase 0 (the dose): (start, end, rate).
    fn segments(&self) -> [(f64, f64, f64); 2] {
        let ii = self.interval;
        match self.delivery {
            Delivery::Bolus { .. } => [(0.0, ii, 0.0), (ii, ii, 0.0)],
            Delivery::ConstantInfusion { rate } => [(0.0, ii, rate), (ii, ii, 0.0)],
            Delivery::Infusion { rate, duration, .. } => {
                let overlap = (duration / ii).floor();
                let rem = duration - overlap * ii;
                if rem <= PHASE_EPS * ii {
                    [(0.0, ii, overlap * rate), (ii, ii, 0.0)]
                } else {
                    [
                        (0.0, rem, (overlap + 1.0) * rate),
                        (rem, ii, overlap * rate),
                    ]
                }
            }
        }
    }

    /// From the state just before a dose at phase 0, advance to phase `upto` (≤ II).
    fn run<P: Propagate>(
        &self,
        prop: &mut P,
        x: &mut [f64],
        upto: f64,
        rates: &mut [f64],
    ) -> Result<(), Error> {
        if let Delivery::Bolus { amount } = self.delivery {
            x[self.compartment] += amount;
        }
        for (start, end, rate) in self.segments() {
            let end = end.min(upto);
            if end > start {
                rates.fill(0.0);
                rates[self.compartment] = rate;
                prop.advance(start, end, x, rates)?;
            }
        }
        rates.fill(0.0);
        Ok(())
    }

    /// The state at `phase` h after a dose, at steady state (`phase` in [0, II); at 0 the state is
    /// the trough, before the dose). A nonlinear model's iteration starts from `initial` (the
    /// model's initial state: empty compartments, PD baseline). `time` is for error messages.
    pub fn state_at<P: Propagate>(
        &self,
        prop: &mut P,
        initial: &[f64],
        phase: f64,
        time: f64,
    ) -> Result<Vec<f64>, Error> {
        let n = initial.len();
        let mut rates = vec![0.0; n];
        let mut trough = if prop.is_linear() {
            self.linear_trough(prop, n, &mut rates, time)?
        } else {
            self.iterated_trough(prop, initial, &mut rates, time)?
        };
        if phase > 0.0 {
            self.run(prop, &mut trough, phase, &mut rates)?;
        }
        Ok(trough)
    }

    /// `x* = (I − Φ)⁻¹·c` with `Φ` the zero-input map over II and `c = M(0)`.
    fn linear_trough<P: Propagate>(
        &self,
        prop: &mut P,
        n: usize,
        rates: &mut [f64],
        time: f64,
    ) -> Result<Vec<f64>, Error> {
        let ii = self.interval;
        let mut i_minus_phi = DMatrix::<f64>::identity(n, n);
        let mut column = vec![0.0; n];
        rates.fill(0.0);
        for j in 0..n {
            column.fill(0.0);
            column[j] = 1.0;
            prop.advance(0.0, ii, &mut column, rates)?;
            for i in 0..n {
                i_minus_phi[(i, j)] -= column[i];
            }
        }
        let mut c = vec![0.0; n];
        self.run(prop, &mut c, ii, rates)?;
        let solved = i_minus_phi
            .lu()
            .solve(&DVector::from_vec(c))
            .filter(|x| x.iter().all(|v| v.is_finite()))
            .ok_or(Error::SingularSteadyState { time })?;
        Ok(solved.as_slice().to_vec())
    }

    /// Fixed-point iteration `x ← M(x)` from `initial`. With `d_k` the largest change of a slot
    /// in units of the propagator's tolerance and `ρ = d_k / d_(k−1)` the contraction, the
    /// distance to the fixed point is about `d_k·ρ/(1 − ρ)`; the iteration stops when that is
    /// within [`NONLINEAR_TOLERANCES`], or, once the changes stop shrinking (`ρ ≥ 1`: the
    /// solver's noise), when the change itself is.
    fn iterated_trough<P: Propagate>(
        &self,
        prop: &mut P,
        initial: &[f64],
        rates: &mut [f64],
        time: f64,
    ) -> Result<Vec<f64>, Error> {
        let tolerance = prop.tolerance();
        let mut x = initial.to_vec();
        let mut next = vec![0.0; initial.len()];
        let mut previous_change = f64::INFINITY;
        for _ in 0..NONLINEAR_MAX_INTERVALS {
            next.copy_from_slice(&x);
            self.run(prop, &mut next, self.interval, rates)?;
            let change = scaled_change(&x, &next, tolerance);
            std::mem::swap(&mut x, &mut next);
            if !change.is_finite() {
                break;
            }
            let rho = change / previous_change;
            let remaining = if previous_change.is_finite() && rho < 1.0 {
                change * rho / (1.0 - rho)
            } else {
                change
            };
            if remaining <= NONLINEAR_TOLERANCES {
                return Ok(x);
            }
            previous_change = change;
        }
        Err(Error::SteadyStateNotReached {
            time,
            iterations: NONLINEAR_MAX_INTERVALS,
        })
    }
}

/// The largest change of a slot from `before` to `after`, in units of its tolerance.
fn scaled_change(before: &[f64], after: &[f64], tolerance: Tolerance) -> f64 {
    before
        .iter()
        .zip(after)
        .map(|(a, b)| {
            let change = (a - b).abs();
            if change == 0.0 {
                0.0
            } else {
                change / tolerance.of(a.abs().max(b.abs()))
            }
        })
        .fold(0.0, f64::max)
}

/// The steady state of a never-ending infusion at `rate` mg/h into `compartment`.
pub(crate) fn constant_infusion<P: Propagate>(
    prop: &mut P,
    initial: &[f64],
    compartment: usize,
    rate: f64,
    time: f64,
) -> Result<Vec<f64>, Error> {
    let regimen = Regimen {
        compartment,
        delivery: Delivery::ConstantInfusion { rate },
        interval: CONSTANT_INFUSION_PERIOD,
    };
    regimen.state_at(prop, initial, 0.0, time)
}
