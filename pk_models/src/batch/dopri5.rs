//! Dormand–Prince 5(4) over `L` lanes in lock-step: one step size for all lanes.
//!
//! The method is Hairer's `DOPRI5` as `ode_solvers` 0.6.2 implements it (Dormand & Prince 1980;
//! Hairer, Nørsett & Wanner, *Solving ODEs I*, II.4–II.6), applied to every lane with one `h`:
//!
//! - error norm of a lane: `sqrt(1/N · Σᵢ (errᵢ / (atol + rtol·max(|yᵢ|, |yᵢ,new|)))²)`;
//!   the batch's error is the largest lane's, so every lane meets its tolerance;
//! - PI step-size controller (α = 0.2 − 0.75·β, β = 0.04, safety 0.9, step ratio in [0.2, 10]);
//! - FSAL: the last stage of an accepted step is the first of the next;
//! - dense output: the 4th-order continuous extension, evaluated only in steps that contain an
//!   output time; an output time at the end of a segment takes the step's end state.
//!
//! Nothing is allocated: stages live on the stack as `[[f64; L]; N]`.

use ode_solvers::dop_shared::IntegrationError;

use super::{BatchModel, Lanes};
use crate::Error;

/// Nodes `cᵢ` of the Dormand–Prince 5(4) tableau.
const C2: f64 = 1.0 / 5.0;
const C3: f64 = 3.0 / 10.0;
const C4: f64 = 4.0 / 5.0;
const C5: f64 = 8.0 / 9.0;
/// Coupling coefficients `aᵢⱼ`.
const A21: f64 = 1.0 / 5.0;
const A31: f64 = 3.0 / 40.0;
const A32: f64 = 9.0 / 40.0;
const A41: f64 = 44.0 / 45.0;
const A42: f64 = -56.0 / 15.0;
const A43: f64 = 32.0 / 9.0;
const A51: f64 = 19372.0 / 6561.0;
const A52: f64 = -25360.0 / 2187.0;
const A53: f64 = 64448.0 / 6561.0;
const A54: f64 = -212.0 / 729.0;
const A61: f64 = 9017.0 / 3168.0;
const A62: f64 = -355.0 / 33.0;
const A63: f64 = 46732.0 / 5247.0;
const A64: f64 = 49.0 / 176.0;
const A65: f64 = -5103.0 / 18656.0;
/// Weights of the 5th-order solution (the 7th stage's row, FSAL).
const A71: f64 = 35.0 / 384.0;
const A73: f64 = 500.0 / 1113.0;
const A74: f64 = 125.0 / 192.0;
const A75: f64 = -2187.0 / 6784.0;
const A76: f64 = 11.0 / 84.0;
/// Error estimate weights `eᵢ = bᵢ − b̂ᵢ`.
const E1: f64 = 71.0 / 57600.0;
const E3: f64 = -71.0 / 16695.0;
const E4: f64 = 71.0 / 1920.0;
const E5: f64 = -17253.0 / 339200.0;
const E6: f64 = 22.0 / 525.0;
const E7: f64 = -1.0 / 40.0;
/// Dense output weights of the continuous extension.
const D1: f64 = -12715105075.0 / 11282082432.0;
const D3: f64 = 87487479700.0 / 32700410799.0;
const D4: f64 = -10690763975.0 / 1880347072.0;
const D5: f64 = 701980252875.0 / 199316789632.0;
const D6: f64 = -1453857185.0 / 822651844.0;
const D7: f64 = 69997945.0 / 29380423.0;

/// PI controller: β (`ode_solvers`' default).
const BETA: f64 = 0.04;
/// PI controller: α = 1/5 − 0.75·β.
const ALPHA: f64 = 0.2 - 0.75 * BETA;
/// Safety factor on the new step.
const SAFETY: f64 = 0.9;
/// 1 / (smallest step ratio 0.2).
const FACC1: f64 = 1.0 / 0.2;
/// 1 / (largest step ratio 10).
const FACC2: f64 = 1.0 / 10.0;
/// The controller's memory of the previous error starts here (and never goes below it).
const FAC_OLD_MIN: f64 = 1e-4;
/// A lane whose RMS scaled slope is below this does not constrain the first step (nothing happens
/// in it; Hairer's `HINIT` threshold).
const QUIET_LANE: f64 = 1e-5;

/// Settings of the batched integrator. `Default` is workload W2's: rtol 1e-6, atol 1e-9 mg.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BatchSettings {
    /// Relative tolerance (dimensionless).
    pub rtol: f64,
    /// Absolute tolerance, in the state's unit (mg for amounts).
    pub atol: f64,
    /// Most steps (accepted or rejected) per segment between events.
    pub max_steps: u32,
    /// Largest step (h); 0 means the segment's length.
    pub max_step: f64,
}

impl Default for BatchSettings {
    fn default() -> Self {
        Self {
            rtol: 1e-6,
            atol: 1e-9,
            max_steps: 100_000,
            max_step: 0.0,
        }
    }
}

/// Work done, summed over segments (and batches, when added up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchStats {
    /// Accepted steps (each advances all `L` lanes).
    pub accepted_steps: u64,
    /// Rejected steps.
    pub rejected_steps: u64,
    /// Right-hand-side evaluations (each evaluates all `L` lanes).
    pub rhs_evaluations: u64,
}

impl std::ops::AddAssign for BatchStats {
    fn add_assign(&mut self, other: Self) {
        self.accepted_steps += other.accepted_steps;
        self.rejected_steps += other.rejected_steps;
        self.rhs_evaluations += other.rhs_evaluations;
    }
}

/// The lock-step integrator. It holds the settings and counts work; the state belongs to the
/// caller.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BatchDopri5 {
    settings: BatchSettings,
    stats: BatchStats,
}

/// `out = y + h·Σ coefᵢ·kᵢ`, lane by lane.
macro_rules! combine {
    ($out:expr, $y:expr, $h:expr; $($c:expr, $k:expr),+) => {
        for i in 0..N {
            for l in 0..L {
                $out[i][l] = $y[i][l] + $h * (0.0 $(+ $c * $k[i][l])+);
            }
        }
    };
}

impl BatchDopri5 {
    /// An integrator with these settings.
    pub fn new(settings: BatchSettings) -> Self {
        Self {
            settings,
            stats: BatchStats::default(),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &BatchSettings {
        &self.settings
    }

    /// Work done since [`BatchDopri5::new`].
    pub fn stats(&self) -> BatchStats {
        self.stats
    }

    /// Advances every lane of `state` from `from` to `to` (h) with one shared step size, calling
    /// `emit(j, &state_at_t)` for each output time `outputs[j]`, which must be sorted and lie in
    /// `(from, to)`; output times at `to` are the caller's, from `state` after the call.
    ///
    /// # Errors
    /// [`Error::Integration`] when the step count exceeds `max_steps` or the step size underflows.
    pub fn advance<M, const N: usize, const L: usize>(
        &mut self,
        model: &M,
        from: f64,
        to: f64,
        state: &mut Lanes<N, L>,
        outputs: &[f64],
        emit: impl FnMut(usize, &Lanes<N, L>),
    ) -> Result<(), Error>
    where
        M: BatchModel<N, L>,
    {
        self.advance_from_step(model, from, to, state, outputs, emit, None)
            .map(|_| ())
    }

    /// [`BatchDopri5::advance`], starting with step `first_step` (h) when given (e.g. the step
    /// the previous segment proposed, when nothing changed at `from`), or Hairer's `HINIT` when
    /// `None` (after a dose: the state jumped). Returns the step the controller proposes next
    /// (h): the last full step's proposal, not the one shortened to end at `to`.
    ///
    /// # Errors
    /// As [`BatchDopri5::advance`].
    #[allow(clippy::too_many_arguments)]
    pub fn advance_from_step<M, const N: usize, const L: usize>(
        &mut self,
        model: &M,
        from: f64,
        to: f64,
        state: &mut Lanes<N, L>,
        outputs: &[f64],
        mut emit: impl FnMut(usize, &Lanes<N, L>),
        first_step: Option<f64>,
    ) -> Result<f64, Error>
    where
        M: BatchModel<N, L>,
    {
        if to <= from {
            return Ok(first_step.unwrap_or(0.0));
        }
        let s = self.settings;
        let h_max = if s.max_step > 0.0 {
            s.max_step.min(to - from)
        } else {
            to - from
        };
        let zero = [[0.0; L]; N];
        let (mut k1, mut k2, mut k3, mut k4, mut k5, mut k6, mut k7) =
            (zero, zero, zero, zero, zero, zero, zero);
        let (mut y_stage, mut y_new) = (zero, zero);
        let mut dense = Dense::zero();

        model.rhs(from, state, &mut k1);
        self.stats.rhs_evaluations += 1;
        let mut h = match first_step {
            Some(h) if h > 0.0 && h.is_finite() => h.min(h_max),
            _ => {
                self.stats.rhs_evaluations += 1;
                self.initial_step(model, from, state, &k1, h_max)
            }
        };
        // The step the controller would take were `to` not in the way.
        let mut proposal = h;

        let mut t = from;
        let mut next_output = 0;
        // ln of the controller's memory `fac_old` of the last accepted error.
        let mut ln_fac_old = FAC_OLD_MIN.ln();
        let mut rejected_last = false;
        let mut n_steps = 0;
        loop {
            if n_steps >= s.max_steps {
                return Err(Error::Integration {
                    from,
                    to,
                    source: IntegrationError::MaxNumStepReached {
                        x: t,
                        n_step: n_steps,
                    },
                });
            }
            if 0.1 * h.abs() <= f64::EPSILON * t.abs() {
                return Err(Error::Integration {
                    from,
                    to,
                    source: IntegrationError::StepSizeUnderflow { x: t },
                });
            }
            let last = t + 1.01 * h >= to;
            if last {
                proposal = h;
                h = to - t;
            }
            n_steps += 1;

            combine!(y_stage, state, h; A21, k1);
            model.rhs(t + C2 * h, &y_stage, &mut k2);
            combine!(y_stage, state, h; A31, k1, A32, k2);
            model.rhs(t + C3 * h, &y_stage, &mut k3);
            combine!(y_stage, state, h; A41, k1, A42, k2, A43, k3);
            model.rhs(t + C4 * h, &y_stage, &mut k4);
            combine!(y_stage, state, h; A51, k1, A52, k2, A53, k3, A54, k4);
            model.rhs(t + C5 * h, &y_stage, &mut k5);
            combine!(y_stage, state, h; A61, k1, A62, k2, A63, k3, A64, k4, A65, k5);
            model.rhs(t + h, &y_stage, &mut k6);
            combine!(y_new, state, h; A71, k1, A73, k3, A74, k4, A75, k5, A76, k6);
            model.rhs(t + h, &y_new, &mut k7);
            self.stats.rhs_evaluations += 6;

            let err = error_norm(&s, h, state, &y_new, [&k1, &k3, &k4, &k5, &k6, &k7]);

            // PI step-size control (Hairer's DOPRI5, as ode_solvers' Controller).
            // fac = err^α · fac_old^(−β) / safety, by one `ln` and one `exp` instead of two `powf`
            // (they cost a tenth of a step).
            let ln_err = err.ln();
            let fac = ((ALPHA * ln_err - BETA * ln_fac_old).exp() / SAFETY).clamp(FACC2, FACC1);
            if err <= 1.0 {
                self.stats.accepted_steps += 1;
                ln_fac_old = ln_err.max(FAC_OLD_MIN.ln());
                let t_new = if last { to } else { t + h };
                if next_output < outputs.len() && outputs[next_output] < t_new {
                    dense.fit(h, state, &y_new, [&k1, &k3, &k4, &k5, &k6, &k7]);
                    while next_output < outputs.len() && outputs[next_output] < t_new {
                        let theta = (outputs[next_output] - t) / h;
                        dense.at(theta, state, &mut y_stage);
                        emit(next_output, &y_stage);
                        next_output += 1;
                    }
                }
                *state = y_new;
                k1 = k7;
                t = t_new;
                if last {
                    // A step shortened to end at `to` says little of the next one; a full last
                    // step's error does.
                    let next = if h < proposal { proposal } else { h / fac };
                    return Ok(next);
                }
                let mut h_new = (h / fac).min(h_max);
                if rejected_last {
                    h_new = h_new.min(h);
                }
                rejected_last = false;
                h = h_new;
            } else {
                self.stats.rejected_steps += 1;
                rejected_last = true;
                h /= FACC1.min((ALPHA * ln_err).exp() / SAFETY);
            }
        }
    }

    /// The first step of a segment, Hairer's `HINIT` per lane; the smallest over the lanes in
    /// which anything happens, or `h_max` when nothing does.
    fn initial_step<M, const N: usize, const L: usize>(
        &self,
        model: &M,
        from: f64,
        y: &Lanes<N, L>,
        f0: &Lanes<N, L>,
        h_max: f64,
    ) -> f64
    where
        M: BatchModel<N, L>,
    {
        let s = &self.settings;
        let n = N as f64;
        let mut d0 = [0.0; L];
        let mut d1 = [0.0; L];
        for i in 0..N {
            for l in 0..L {
                let sc = s.atol + s.rtol * y[i][l].abs();
                d0[l] += (y[i][l] / sc).powi(2);
                d1[l] += (f0[i][l] / sc).powi(2);
            }
        }
        let mut h0 = h_max;
        let mut any_active = false;
        for l in 0..L {
            let (d0, d1) = ((d0[l] / n).sqrt(), (d1[l] / n).sqrt());
            if d1 <= QUIET_LANE {
                continue;
            }
            any_active = true;
            let lane_h0 = if d0 <= QUIET_LANE {
                1e-6
            } else {
                0.01 * d0 / d1
            };
            h0 = h0.min(lane_h0);
        }
        if !any_active {
            return h_max;
        }
        // One explicit Euler step of h0, to estimate the second derivative.
        let mut y1 = [[0.0; L]; N];
        for i in 0..N {
            for l in 0..L {
                y1[i][l] = y[i][l] + h0 * f0[i][l];
            }
        }
        let mut f1 = [[0.0; L]; N];
        model.rhs(from + h0, &y1, &mut f1);
        let mut d2 = [0.0; L];
        for i in 0..N {
            for l in 0..L {
                let sc = s.atol + s.rtol * y[i][l].abs();
                d2[l] += ((f1[i][l] - f0[i][l]) / sc).powi(2);
            }
        }
        let mut h = (100.0 * h0).min(h_max);
        for l in 0..L {
            let d1 = (d1[l] / n).sqrt();
            if d1 <= QUIET_LANE {
                continue;
            }
            let d2 = (d2[l] / n).sqrt() / h0;
            let larger = d1.max(d2);
            let h1 = if larger <= 1e-15 {
                (h0 * 1e-3).max(1e-6)
            } else {
                (0.01 / larger).powf(0.2)
            };
            h = h.min(h1);
        }
        h
    }
}

/// The batch's error: the largest over lanes of each lane's RMS scaled error estimate
/// `h·Σ eᵢ·kᵢ / (atol + rtol·max(|y|, |y_new|))`.
fn error_norm<const N: usize, const L: usize>(
    s: &BatchSettings,
    h: f64,
    y: &Lanes<N, L>,
    y_new: &Lanes<N, L>,
    [k1, k3, k4, k5, k6, k7]: [&Lanes<N, L>; 6],
) -> f64 {
    let mut sum = [0.0; L];
    for i in 0..N {
        for l in 0..L {
            let e = h
                * (E1 * k1[i][l]
                    + E3 * k3[i][l]
                    + E4 * k4[i][l]
                    + E5 * k5[i][l]
                    + E6 * k6[i][l]
                    + E7 * k7[i][l]);
            let sc = s.atol + s.rtol * y[i][l].abs().max(y_new[i][l].abs());
            sum[l] += (e / sc) * (e / sc);
        }
    }
    let worst = sum.iter().fold(0.0_f64, |a, &b| a.max(b));
    (worst / N as f64).sqrt()
}

/// The continuous extension of one step, `y(θ) = r₁ + θ·(r₂ + (1 − θ)·(r₃ + θ·(r₄ + (1 − θ)·r₅)))`
/// for `θ = (t − t₀)/h` in `[0, 1]`, with `r₁ = y`, `r₂ = y_new − y`, `r₃ = h·k₁ − r₂`,
/// `r₄ = r₂ − h·k₇ − r₃` and `r₅ = h·Σ dᵢ·kᵢ`.
struct Dense<const N: usize, const L: usize> {
    r2: Lanes<N, L>,
    r3: Lanes<N, L>,
    r4: Lanes<N, L>,
    r5: Lanes<N, L>,
}

impl<const N: usize, const L: usize> Dense<N, L> {
    fn zero() -> Self {
        let zero = [[0.0; L]; N];
        Self {
            r2: zero,
            r3: zero,
            r4: zero,
            r5: zero,
        }
    }

    /// The coefficients of the step from `y` to `y_new` of size `h`.
    fn fit(
        &mut self,
        h: f64,
        y: &Lanes<N, L>,
        y_new: &Lanes<N, L>,
        [k1, k3, k4, k5, k6, k7]: [&Lanes<N, L>; 6],
    ) {
        for i in 0..N {
            for l in 0..L {
                let r2 = y_new[i][l] - y[i][l];
                let r3 = h * k1[i][l] - r2;
                self.r2[i][l] = r2;
                self.r3[i][l] = r3;
                self.r4[i][l] = r2 - h * k7[i][l] - r3;
                self.r5[i][l] = h
                    * (D1 * k1[i][l]
                        + D3 * k3[i][l]
                        + D4 * k4[i][l]
                        + D5 * k5[i][l]
                        + D6 * k6[i][l]
                        + D7 * k7[i][l]);
            }
        }
    }

    /// The state at `θ`, from the step's start `y`.
    fn at(&self, theta: f64, y: &Lanes<N, L>, out: &mut Lanes<N, L>) {
        let rest = 1.0 - theta;
        for i in 0..N {
            for l in 0..L {
                let inner = self.r3[i][l] + theta * (self.r4[i][l] + rest * self.r5[i][l]);
                out[i][l] = y[i][l] + theta * (self.r2[i][l] + rest * inner);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{LinearOneCompartment, LinearParams};

    /// Four lanes of `dA/dt = −k·A` with k from 0.05 to 2 1/h: the state at the end and the dense
    /// output between steps follow `A₀·e^{−k·t}` to 1e-5 of the starting amount (ten times rtol).
    #[test]
    fn dense_output_and_end_state_follow_exponential_decay() -> Result<(), Error> {
        let ks = [0.05, 0.3, 1.0, 2.0];
        let mut model = LinearOneCompartment::<4>::splat(&LinearParams { cl: 1.0, v: 1.0 });
        for (lane, &k) in ks.iter().enumerate() {
            model.set_lane(lane, &LinearParams { cl: k, v: 1.0 });
        }
        let mut state = [[100.0; 4]];
        let outputs: Vec<f64> = (1..40).map(|j| 0.25 * f64::from(j)).collect();
        let mut seen = 0;
        let mut integrator = BatchDopri5::new(BatchSettings::default());
        integrator.advance(&model, 0.0, 10.0, &mut state, &outputs, |j, y| {
            seen += 1;
            for (lane, &k) in ks.iter().enumerate() {
                let exact = 100.0 * (-k * outputs[j]).exp();
                assert!(
                    (y[0][lane] - exact).abs() < 1e-5 * 100.0,
                    "t = {}",
                    outputs[j]
                );
            }
        })?;
        assert_eq!(seen, outputs.len());
        for (lane, &k) in ks.iter().enumerate() {
            let exact = 100.0 * (-k * 10.0_f64).exp();
            assert!((state[0][lane] - exact).abs() < 1e-5 * 100.0, "lane {lane}");
        }
        assert!(integrator.stats().accepted_steps > 10);
        Ok(())
    }

    /// Too few steps allowed is an error that says where the solver stopped.
    #[test]
    fn max_steps_is_an_error() {
        let model = LinearOneCompartment::<2>::splat(&LinearParams { cl: 2.0, v: 1.0 });
        let mut integrator = BatchDopri5::new(BatchSettings {
            max_steps: 3,
            ..BatchSettings::default()
        });
        let mut state = [[100.0; 2]];
        let result = integrator.advance(&model, 0.0, 50.0, &mut state, &[], |_, _| {});
        assert!(matches!(
            result,
            Err(Error::Integration {
                source: IntegrationError::MaxNumStepReached { n_step: 3, .. },
                ..
            })
        ));
    }
}
