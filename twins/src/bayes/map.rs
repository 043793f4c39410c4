//! The mode of the posterior (MAP, NONMEM's POSTHOC/FOCE-I conditional estimate) by
//! Levenberg–Marquardt with Fisher scoring, and its Laplace covariance.
//!
//! Method. With J = ∂f/∂η (central differences) and each observation's term t_i, slope t_i' and
//! Fisher curvature w_i (see [`ObservedValue::term`]):
//!
//! ```text
//! g = Jᵀ·t' + 2·Ω⁻¹·η                  gradient of O
//! H = Jᵀ·diag(w)·J + 2·Ω⁻¹             expected Hessian of O (positive definite)
//! (H + λ·diag(H))·δ = −g               the damped step; λ shrinks on success, grows on failure
//! ```
//!
//! A step is taken only if it lowers O, so O decreases monotonically. The search stops when the
//! gradient, measured in Ω's metric √(gᵀ·Ω·g), or the step and the change in O are small. When a
//! start does not converge, others are tried (zero, then ±1 standard deviation of Ω along each
//! axis) and the lowest objective wins. The covariance reported is (½·∇²O)⁻¹ at the mode, the
//! Hessian by central second differences of O (exact for a quadratic up to rounding), falling
//! back to the Fisher H where that is not positive definite.

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::objective::{Objective, Predictor};
use crate::error::{Error, Result};

/// Settings of the MAP search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapSettings {
    /// Most Levenberg–Marquardt iterations per start.
    pub max_iterations: usize,
    /// Converged when √(gᵀ·Ω·g) falls below this (O is dimensionless; so is this).
    pub gradient_tolerance: f64,
    /// Converged when a step moves η by less than this in Ω's metric, √(δᵀ·Ω⁻¹·δ), and
    /// O by less than `objective_tolerance`·(1 + |O|).
    pub step_tolerance: f64,
    /// See `step_tolerance`.
    pub objective_tolerance: f64,
    /// Finite-difference step for ∂f/∂η, as a fraction of each η's prior standard deviation.
    pub jacobian_step: f64,
    /// Finite-difference step for the Hessian of O, as a fraction of each prior standard deviation.
    pub hessian_step: f64,
    /// Longest step, in prior standard deviations (Ω's metric): keeps exp(η) from overflowing.
    pub max_step: f64,
    /// Most starts tried when the first does not converge.
    pub max_starts: usize,
}

impl Default for MapSettings {
    fn default() -> Self {
        Self {
            max_iterations: 200,
            gradient_tolerance: 1e-7,
            step_tolerance: 1e-8,
            objective_tolerance: 1e-12,
            jacobian_step: 1e-5,
            hessian_step: 1e-3,
            max_step: 3.0,
            max_starts: 6,
        }
    }
}

/// Where the reported covariance came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CovarianceSource {
    /// (½·∇²O)⁻¹ with ∇²O by central second differences of the objective.
    Hessian,
    /// (½·H)⁻¹ with H the Fisher (Gauss–Newton) matrix, used where ∇²O was not positive definite.
    FisherInformation,
}

/// The MAP estimate of one twin's random effects.
#[derive(Debug, Clone, PartialEq)]
pub struct MapEstimate {
    /// η at the mode, in the order of the model's random effects.
    pub eta: Vec<f64>,
    /// O(η̂) = −2·log posterior at the mode (constants dropped).
    pub objective: f64,
    /// Conditional covariance of η at the mode, (½·∇²O)⁻¹ (η's units squared).
    pub covariance: DMatrix<f64>,
    /// How the covariance was obtained.
    pub covariance_source: CovarianceSource,
    /// Whether the search met its tolerances.
    pub converged: bool,
    /// Iterations of the start that won.
    pub iterations: usize,
    /// Starts tried.
    pub starts: usize,
    /// Predictions at the mode (IPRED), one per observation.
    pub predictions: Vec<f64>,
}

impl MapEstimate {
    /// Conditional standard deviations √diag(covariance).
    pub fn standard_deviations(&self) -> Vec<f64> {
        (0..self.eta.len())
            .map(|i| self.covariance[(i, i)].max(0.0).sqrt())
            .collect()
    }
}

/// One start's result.
struct Run {
    eta: Vec<f64>,
    objective: f64,
    converged: bool,
    iterations: usize,
}

/// Gradient and Fisher matrix of O at η (2·n predictions for the Jacobian).
fn derivatives<P: Predictor>(
    problem: &Objective<P>,
    eta: &[f64],
    f: &[f64],
    settings: &MapSettings,
) -> Result<Option<(DVector<f64>, DMatrix<f64>)>> {
    let n = eta.len();
    let m = f.len();
    let lower = problem.omega_lower();
    let mut jacobian = DMatrix::zeros(m, n);
    let mut up = vec![0.0; m];
    let mut down = vec![0.0; m];
    let mut point = eta.to_vec();
    for j in 0..n {
        let h = settings.jacobian_step * lower.row(j).norm().max(f64::MIN_POSITIVE.sqrt());
        point[j] = eta[j] + h;
        problem.predictor().predict(&point, &mut up)?;
        point[j] = eta[j] - h;
        problem.predictor().predict(&point, &mut down)?;
        point[j] = eta[j];
        for i in 0..m {
            let (a, b) = (up[i], down[i]);
            jacobian[(i, j)] = if a.is_finite() && b.is_finite() {
                (a - b) / (2.0 * h)
            } else if a.is_finite() {
                (a - f[i]) / h
            } else if b.is_finite() {
                (f[i] - b) / h
            } else {
                return Ok(None);
            };
        }
    }
    let e = DVector::from_column_slice(eta);
    let mut gradient = 2.0 * problem.omega_inverse() * &e;
    let mut fisher = 2.0 * problem.omega_inverse();
    for (i, (o, &fi)) in problem.observations().iter().zip(f).enumerate() {
        let Some((_, dt, w)) = o.term(fi) else {
            return Ok(None);
        };
        let row = jacobian.row(i);
        gradient += row.transpose() * dt;
        fisher += row.transpose() * row * w;
    }
    Ok(Some((gradient, fisher)))
}

/// √(xᵀ·M·x).
fn metric(x: &DVector<f64>, m: &DMatrix<f64>) -> f64 {
    (x.transpose() * m * x)[(0, 0)].max(0.0).sqrt()
}

fn run_from<P: Predictor>(
    problem: &Objective<P>,
    start: &[f64],
    settings: &MapSettings,
) -> Result<Run> {
    let n = problem.n_eta();
    let omega = problem.omega_lower() * problem.omega_lower().transpose();
    let mut f = vec![0.0; problem.observations().len()];
    let mut trial_f = f.clone();
    let mut eta = start.to_vec();
    let mut objective = problem.value_with(&eta, &mut f)?;
    let mut run = Run {
        eta: eta.clone(),
        objective,
        converged: false,
        iterations: 0,
    };
    if !objective.is_finite() {
        return Ok(run);
    }
    let mut lambda = 1e-3;
    for iteration in 1..=settings.max_iterations {
        run.iterations = iteration;
        let Some((gradient, fisher)) = derivatives(problem, &eta, &f, settings)? else {
            break;
        };
        if metric(&gradient, &omega) < settings.gradient_tolerance {
            run.converged = true;
            break;
        }
        let mut accepted = None;
        for _ in 0..40 {
            let mut damped = fisher.clone();
            for i in 0..n {
                damped[(i, i)] *= 1.0 + lambda;
            }
            let Some(cholesky) = nalgebra::Cholesky::new(damped) else {
                lambda *= 10.0;
                continue;
            };
            let mut step = cholesky.solve(&(-&gradient));
            let length = metric(&step, problem.omega_inverse());
            if length > settings.max_step {
                step *= settings.max_step / length;
            }
            let trial: Vec<f64> = eta.iter().zip(step.iter()).map(|(e, d)| e + d).collect();
            let value = problem.value_with(&trial, &mut trial_f)?;
            if value <= objective {
                accepted = Some((trial, value, metric(&step, problem.omega_inverse())));
                lambda = (lambda / 10.0).max(1e-12);
                break;
            }
            lambda *= 10.0;
        }
        let Some((trial, value, length)) = accepted else {
            // No damping lowers O: at a minimum to within rounding, or stuck.
            run.converged = metric(&gradient, &omega) < settings.gradient_tolerance.sqrt();
            break;
        };
        let change = objective - value;
        eta = trial;
        objective = value;
        std::mem::swap(&mut f, &mut trial_f);
        if length < settings.step_tolerance
            && change <= settings.objective_tolerance * (1.0 + objective.abs())
        {
            run.converged = true;
            break;
        }
    }
    run.eta = eta;
    run.objective = objective;
    Ok(run)
}

/// Central second differences of O at η: ∂²O/∂η_j∂η_k.
fn hessian<P: Predictor>(
    problem: &Objective<P>,
    eta: &[f64],
    objective: f64,
    settings: &MapSettings,
) -> Result<DMatrix<f64>> {
    let n = eta.len();
    let lower = problem.omega_lower();
    let steps: Vec<f64> = (0..n)
        .map(|j| settings.hessian_step * lower.row(j).norm().max(f64::MIN_POSITIVE.sqrt()))
        .collect();
    let mut hessian = DMatrix::zeros(n, n);
    let mut point = eta.to_vec();
    let at = |point: &mut Vec<f64>, moves: &[(usize, f64)]| -> Result<f64> {
        for &(j, d) in moves {
            point[j] += d;
        }
        let v = problem.value(point);
        for &(j, d) in moves {
            point[j] -= d;
        }
        v
    };
    for j in 0..n {
        let hj = steps[j];
        let plus = at(&mut point, &[(j, hj)])?;
        let minus = at(&mut point, &[(j, -hj)])?;
        hessian[(j, j)] = (plus - 2.0 * objective + minus) / (hj * hj);
        for k in 0..j {
            let hk = steps[k];
            let pp = at(&mut point, &[(j, hj), (k, hk)])?;
            let pm = at(&mut point, &[(j, hj), (k, -hk)])?;
            let mp = at(&mut point, &[(j, -hj), (k, hk)])?;
            let mm = at(&mut point, &[(j, -hj), (k, -hk)])?;
            let value = (pp - pm - mp + mm) / (4.0 * hj * hk);
            hessian[(j, k)] = value;
            hessian[(k, j)] = value;
        }
    }
    Ok(hessian)
}

/// The starts tried: the warm start (or zero), zero, then ±1 prior standard deviation along
/// each axis of Ω's Cholesky factor.
fn starts(lower: &DMatrix<f64>, warm: Option<&[f64]>, max: usize) -> Vec<Vec<f64>> {
    let n = lower.nrows();
    let mut out = Vec::new();
    if let Some(w) = warm {
        out.push(w.to_vec());
    }
    out.push(vec![0.0; n]);
    for k in 0..n {
        for sign in [1.0, -1.0] {
            out.push((0..n).map(|i| sign * lower[(i, k)]).collect());
        }
    }
    out.truncate(max.max(1));
    out
}

/// Finds the mode of the posterior of η, warm-started at `warm` (e.g. the previous mode when
/// one more observation arrives).
///
/// Errors when no start gives a finite objective, or when the predictor fails.
pub fn estimate_map<P: Predictor>(
    problem: &Objective<P>,
    warm: Option<&[f64]>,
    settings: &MapSettings,
) -> Result<MapEstimate> {
    let n = problem.n_eta();
    if let Some(w) = warm
        && w.len() != n
    {
        return Err(Error::Inconsistent {
            what: format!(
                "the warm start has {} random effects, the model {n}",
                w.len()
            ),
        });
    }
    let candidates = starts(problem.omega_lower(), warm, settings.max_starts);
    let mut best: Option<Run> = None;
    let mut tried = 0;
    for start in &candidates {
        tried += 1;
        let run = run_from(problem, start, settings)?;
        let better = best.as_ref().is_none_or(|b| {
            run.objective < b.objective
                || (!b.converged && run.converged && run.objective <= b.objective)
        });
        let converged = run.converged;
        if better {
            best = Some(run);
        }
        if converged && best.as_ref().is_some_and(|b| b.converged) {
            break;
        }
    }
    let best = best.filter(|b| b.objective.is_finite()).ok_or_else(|| Error::NotEnoughData {
        what: format!(
            "the posterior is not finite at any of {tried} starting points (a prediction of zero or below with a proportional or exponential error, or a failed simulation)"
        ),
    })?;
    let mut predictions = vec![0.0; problem.observations().len()];
    problem.value_with(&best.eta, &mut predictions)?;
    let exact = hessian(problem, &best.eta, best.objective, settings)?;
    let (covariance, covariance_source) = match nalgebra::Cholesky::new(exact * 0.5) {
        Some(c) => (c.inverse(), CovarianceSource::Hessian),
        None => {
            let fisher = derivatives(problem, &best.eta, &predictions, settings)?
                .map(|(_, h)| h)
                .unwrap_or_else(|| 2.0 * problem.omega_inverse());
            let c = nalgebra::Cholesky::new(fisher * 0.5).ok_or_else(|| {
                Error::NotPositiveDefinite {
                    matrix: "the Fisher information at the mode".into(),
                }
            })?;
            (c.inverse(), CovarianceSource::FisherInformation)
        }
    };
    Ok(MapEstimate {
        eta: best.eta,
        objective: best.objective,
        covariance,
        covariance_source,
        converged: best.converged,
        iterations: best.iterations,
        starts: tried,
        predictions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bayes::objective::{FnPredictor, Measurement, ObservedValue};
    use crate::variability::{Covariance, ResidualError};

    /// f(η) = 10·exp(η).
    fn exponential(eta: &[f64], out: &mut [f64]) {
        out[0] = 10.0 * eta[0].exp();
    }

    type Exponential = FnPredictor<fn(&[f64], &mut [f64])>;

    fn problem(y: f64, error: ResidualError) -> Result<Objective<Exponential>> {
        let predictor: Exponential = FnPredictor::new(1, 1, exponential);
        Objective::new(
            predictor,
            vec![ObservedValue {
                measurement: Measurement::Value(y),
                error,
            }],
            &Covariance::diagonal("omega", &[0.1])?,
        )
    }

    #[test]
    fn a_warm_start_of_the_wrong_length_is_an_error() -> Result<()> {
        let p = problem(12.0, ResidualError::Proportional { cv: 0.1 })?;
        let err = estimate_map(&p, Some(&[0.0, 0.0]), &MapSettings::default());
        assert!(matches!(err, Err(Error::Inconsistent { .. })));
        Ok(())
    }

    /// f = 10·exp(η) with exponential error is linear on the log scale: the mode is
    /// η = ln(y/10)·ω/(ω + σ²) (normal-normal conjugacy), whatever the start.
    #[test]
    fn a_far_warm_start_reaches_the_same_mode() -> Result<()> {
        let p = problem(20.0, ResidualError::Exponential { sd_log: 0.2 })?;
        let expected = (2.0f64).ln() * 0.1 / (0.1 + 0.04);
        for start in [None, Some(&[3.0][..]), Some(&[-4.0][..])] {
            let map = estimate_map(&p, start, &MapSettings::default())?;
            assert!(map.converged);
            assert!(
                (map.eta[0] - expected).abs() < 1e-7,
                "{start:?}: {}",
                map.eta[0]
            );
            // Posterior variance on the log scale: (1/ω + 1/σ²)⁻¹.
            let variance = 1.0 / (1.0 / 0.1 + 1.0 / 0.04);
            assert!((map.covariance[(0, 0)] - variance).abs() < 1e-6 * variance);
        }
        Ok(())
    }

    #[test]
    fn an_impossible_observation_is_reported_not_panicked() -> Result<()> {
        // A proportional error with zero cv: the variance is zero everywhere.
        let p = problem(12.0, ResidualError::Proportional { cv: 0.0 })?;
        assert!(matches!(
            estimate_map(&p, None, &MapSettings::default()),
            Err(Error::NotEnoughData { .. })
        ));
        Ok(())
    }
}
