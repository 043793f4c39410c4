//! The full posterior of η by sampling-importance-resampling (SIR) with the Laplace
//! approximation as proposal, and a random-walk Metropolis–Hastings chain when the importance
//! weights are too uneven.
//!
//! Importance sampling: proposals η_k ~ q = t_ν(η̂, s²·C) (multivariate Student t, heavier tails
//! than the posterior so the weights stay bounded; a normal with `proposal_df: None`), weights
//! w_k ∝ exp(−O(η_k)/2) / q(η_k), effective sample size ESS = (Σw)²/Σw². Posterior moments are
//! the weighted moments; equally weighted draws are taken by systematic resampling.
//!
//! When ESS/M falls below `min_ess_fraction` the sampler runs a random-walk Metropolis–Hastings
//! chain instead: proposals η' = η + L·z·2.38/√d (Roberts, Gelman & Gilks 1997's scale), with
//! C = L·Lᵀ the Laplace covariance, started at the mode, with burn-in and thinning.

use nalgebra::{DMatrix, DVector};
use rand::{Rng, RngExt};
use rand_distr::{ChiSquared, StandardNormal};
use serde::{Deserialize, Serialize};

use super::map::MapEstimate;
use super::objective::{Objective, Predictor};
use crate::error::{Error, Result};

/// Settings of the posterior sampler.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplingSettings {
    /// Proposals M for importance sampling.
    pub proposals: usize,
    /// Equally weighted draws returned.
    pub draws: usize,
    /// Degrees of freedom ν of the t proposal; `None` for a normal proposal.
    pub proposal_df: Option<f64>,
    /// Scale s of the proposal's covariance, s²·C.
    pub proposal_scale: f64,
    /// Fall back to Metropolis–Hastings when ESS/M is below this.
    pub min_ess_fraction: f64,
    /// Metropolis–Hastings burn-in iterations.
    pub burn_in: usize,
    /// Keep every `thin`-th state of the chain.
    pub thin: usize,
}

impl Default for SamplingSettings {
    fn default() -> Self {
        Self {
            proposals: 2000,
            draws: 1000,
            proposal_df: Some(5.0),
            proposal_scale: 1.2,
            min_ess_fraction: 0.1,
            burn_in: 1000,
            thin: 5,
        }
    }
}

/// How the posterior draws were made.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum PosteriorMethod {
    /// Sampling-importance-resampling with the Laplace proposal.
    ImportanceSampling {
        /// Effective sample size of the M proposals.
        effective_sample_size: f64,
    },
    /// Random-walk Metropolis–Hastings (importance sampling's ESS was too low).
    MetropolisHastings {
        /// ESS of the importance-sampling attempt that was rejected.
        rejected_effective_sample_size: f64,
        /// Fraction of proposals accepted by the chain.
        acceptance_rate: f64,
    },
}

/// Draws from the posterior of η.
#[derive(Debug, Clone, PartialEq)]
pub struct PosteriorSample {
    /// Points η_k (proposals for importance sampling, chain states for MH).
    pub points: Vec<Vec<f64>>,
    /// Normalised weights of `points` (sum 1; equal for MH).
    pub weights: Vec<f64>,
    /// Equally weighted draws (resampled for importance sampling).
    pub draws: Vec<Vec<f64>>,
    /// How they were made.
    pub method: PosteriorMethod,
}

impl PosteriorSample {
    /// Weighted posterior mean of η.
    pub fn mean(&self) -> Vec<f64> {
        let n = self.points.first().map_or(0, Vec::len);
        let mut mean = vec![0.0; n];
        for (p, w) in self.points.iter().zip(&self.weights) {
            for (m, x) in mean.iter_mut().zip(p) {
                *m += w * x;
            }
        }
        mean
    }

    /// Weighted posterior covariance of η.
    pub fn covariance(&self) -> DMatrix<f64> {
        let mean = DVector::from_vec(self.mean());
        let n = mean.len();
        let mut c = DMatrix::zeros(n, n);
        for (p, w) in self.points.iter().zip(&self.weights) {
            let d = DVector::from_column_slice(p) - &mean;
            c += &d * d.transpose() * *w;
        }
        c
    }

    /// The effective sample size (M for an MH chain's thinned states).
    pub fn effective_sample_size(&self) -> f64 {
        match self.method {
            PosteriorMethod::ImportanceSampling {
                effective_sample_size,
            } => effective_sample_size,
            PosteriorMethod::MetropolisHastings { .. } => self.points.len() as f64,
        }
    }
}

/// log q(η) up to a constant, for the t (or normal) proposal with Cholesky factor `lower`.
fn log_proposal(lower: &DMatrix<f64>, centre: &[f64], eta: &[f64], df: Option<f64>) -> f64 {
    let d = DVector::from_iterator(eta.len(), eta.iter().zip(centre).map(|(e, c)| e - c));
    let z = lower
        .solve_lower_triangular(&d)
        .unwrap_or_else(|| d.clone());
    let q = z.norm_squared();
    match df {
        Some(nu) => -0.5 * (nu + eta.len() as f64) * (q / nu).ln_1p(),
        None => -0.5 * q,
    }
}

/// Samples the posterior of η around the MAP estimate `map`.
pub fn sample_posterior<P: Predictor, R: Rng + ?Sized>(
    problem: &Objective<P>,
    map: &MapEstimate,
    settings: &SamplingSettings,
    rng: &mut R,
) -> Result<PosteriorSample> {
    let n = map.eta.len();
    if settings.proposals == 0 || settings.draws == 0 {
        return Err(Error::InvalidValue {
            name: "proposals and draws".into(),
            value: 0.0,
            expected: "at least one of each",
        });
    }
    let scaled = &map.covariance * (settings.proposal_scale * settings.proposal_scale);
    let lower = nalgebra::Cholesky::new(scaled)
        .ok_or_else(|| Error::NotPositiveDefinite {
            matrix: "the conditional covariance at the mode".into(),
        })?
        .l();
    let chi = settings
        .proposal_df
        .map(ChiSquared::new)
        .transpose()
        .map_err(|_| Error::InvalidValue {
            name: "proposal_df".into(),
            value: settings.proposal_df.unwrap_or(f64::NAN),
            expected: "a number > 0",
        })?;
    let mut points = Vec::with_capacity(settings.proposals);
    let mut log_weights = Vec::with_capacity(settings.proposals);
    let mut f = vec![0.0; problem.observations().len()];
    for _ in 0..settings.proposals {
        let z = DVector::from_fn(n, |_, _| rng.sample::<f64, _>(StandardNormal));
        let mut x = &lower * z;
        if let (Some(chi), Some(nu)) = (&chi, settings.proposal_df) {
            let u: f64 = rng.sample(chi);
            x /= (u / nu).sqrt();
        }
        let eta: Vec<f64> = map.eta.iter().zip(x.iter()).map(|(m, d)| m + d).collect();
        let o = problem.value_with(&eta, &mut f)?;
        let lw =
            -0.5 * (o - map.objective) - log_proposal(&lower, &map.eta, &eta, settings.proposal_df);
        log_weights.push(if lw.is_finite() {
            lw
        } else {
            f64::NEG_INFINITY
        });
        points.push(eta);
    }
    let max = log_weights
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max);
    let mut weights: Vec<f64> = log_weights.iter().map(|lw| (lw - max).exp()).collect();
    let total: f64 = weights.iter().sum();
    let ess = if total > 0.0 && total.is_finite() {
        weights.iter_mut().for_each(|w| *w /= total);
        1.0 / weights.iter().map(|w| w * w).sum::<f64>()
    } else {
        0.0
    };
    if ess >= settings.min_ess_fraction * settings.proposals as f64 {
        let draws = systematic_resample(&points, &weights, settings.draws, rng);
        return Ok(PosteriorSample {
            points,
            weights,
            draws,
            method: PosteriorMethod::ImportanceSampling {
                effective_sample_size: ess,
            },
        });
    }
    metropolis_hastings(problem, map, settings, ess, rng)
}

/// Systematic resampling: one uniform u, picks at (u + k)/N on the cumulative weights.
fn systematic_resample<R: Rng + ?Sized>(
    points: &[Vec<f64>],
    weights: &[f64],
    n: usize,
    rng: &mut R,
) -> Vec<Vec<f64>> {
    let u: f64 = rng.random();
    let mut out = Vec::with_capacity(n);
    let mut cumulative = weights.first().copied().unwrap_or(0.0);
    let mut i = 0;
    for k in 0..n {
        let target = (u + k as f64) / n as f64;
        while cumulative < target && i + 1 < points.len() {
            i += 1;
            cumulative += weights[i];
        }
        out.push(points[i].clone());
    }
    out
}

fn metropolis_hastings<P: Predictor, R: Rng + ?Sized>(
    problem: &Objective<P>,
    map: &MapEstimate,
    settings: &SamplingSettings,
    rejected_ess: f64,
    rng: &mut R,
) -> Result<PosteriorSample> {
    let n = map.eta.len();
    let scale = 2.38 / (n as f64).sqrt();
    let lower = nalgebra::Cholesky::new(&map.covariance * (scale * scale))
        .ok_or_else(|| Error::NotPositiveDefinite {
            matrix: "the conditional covariance at the mode".into(),
        })?
        .l();
    let mut f = vec![0.0; problem.observations().len()];
    let mut current = map.eta.clone();
    let mut current_o = map.objective;
    let thin = settings.thin.max(1);
    let total = settings.burn_in + settings.draws * thin;
    let mut accepted = 0usize;
    let mut points = Vec::with_capacity(settings.draws);
    for step in 0..total {
        let z = DVector::from_fn(n, |_, _| rng.sample::<f64, _>(StandardNormal));
        let d = &lower * z;
        let proposal: Vec<f64> = current.iter().zip(d.iter()).map(|(c, d)| c + d).collect();
        let o = problem.value_with(&proposal, &mut f)?;
        let u: f64 = rng.random();
        if o.is_finite() && u.ln() < -0.5 * (o - current_o) {
            current = proposal;
            current_o = o;
            accepted += 1;
        }
        if step >= settings.burn_in && (step - settings.burn_in).is_multiple_of(thin) {
            points.push(current.clone());
        }
    }
    let weights = vec![1.0 / points.len() as f64; points.len()];
    Ok(PosteriorSample {
        draws: points.clone(),
        points,
        weights,
        method: PosteriorMethod::MetropolisHastings {
            rejected_effective_sample_size: rejected_ess,
            acceptance_rate: accepted as f64 / total as f64,
        },
    })
}
