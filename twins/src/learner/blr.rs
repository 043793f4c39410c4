//! Bayesian linear regression with a conjugate normal–inverse-gamma prior.
//!
//! Model: y = X·β + ε, ε ~ N(0, σ²·I).
//! Prior: β | σ² ~ N(0, σ²·V₀), σ² ~ Inv-Gamma(a₀, b₀), V₀ diagonal.
//! Posterior (closed form; Bishop, *PRML* §3.3 and Murphy, *Conjugate Bayesian analysis
//! of the Gaussian distribution*, 2007, §9):
//!
//! ```text
//! Λₙ = V₀⁻¹ + XᵀX            Vₙ = Λₙ⁻¹
//! mₙ = Vₙ·Xᵀy                (prior mean 0)
//! aₙ = a₀ + n/2
//! bₙ = b₀ + ½·[(y − X·mₙ)ᵀ(y − X·mₙ) + mₙᵀ·V₀⁻¹·mₙ]
//! ```
//!
//! Marginally β ~ t_{2aₙ}(mₙ, (bₙ/aₙ)·Vₙ), so a contrast cᵀβ is Student-t with
//! location cᵀmₙ and squared scale (bₙ/aₙ)·cᵀVₙc; a new observation at x is
//! t_{2aₙ}(xᵀmₙ, (bₙ/aₙ)·(1 + xᵀVₙx)).

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::student_t_quantile;

/// Prior settings. The defaults are weakly informative on the log scale.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Prior {
    /// Prior standard deviation of the intercept, in units of σ (√ of V₀'s first entry).
    pub intercept_sd: f64,
    /// Prior standard deviation of every other coefficient, in units of σ.
    pub coefficient_sd: f64,
    /// a₀, the inverse-gamma shape.
    pub shape: f64,
    /// b₀, the inverse-gamma scale.
    pub scale: f64,
}

impl Default for Prior {
    /// Intercept sd 1000σ, coefficients 100σ (flat over any plausible log-scale effect),
    /// a₀ = b₀ = 0.001 (the usual vague inverse-gamma).
    fn default() -> Self {
        Prior {
            intercept_sd: 1000.0,
            coefficient_sd: 100.0,
            shape: 1e-3,
            scale: 1e-3,
        }
    }
}

/// The posterior of β and σ².
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Posterior {
    /// mₙ, the posterior mean of β (intercept first).
    pub mean: Vec<f64>,
    /// Vₙ (rows), so that Cov(β | σ²) = σ²·Vₙ.
    pub covariance: Vec<Vec<f64>>,
    /// aₙ.
    pub shape: f64,
    /// bₙ.
    pub scale: f64,
}

/// A Student-t summary: location, scale, degrees of freedom.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StudentT {
    /// Location (= mean when dof > 1).
    pub location: f64,
    /// Scale.
    pub scale: f64,
    /// Degrees of freedom.
    pub dof: f64,
}

impl StudentT {
    /// Variance: scale²·ν/(ν − 2), infinite for ν ≤ 2.
    pub fn variance(&self) -> f64 {
        if self.dof > 2.0 {
            self.scale * self.scale * self.dof / (self.dof - 2.0)
        } else {
            f64::INFINITY
        }
    }

    /// The central interval holding `level` of the mass (e.g. 0.95).
    pub fn interval(&self, level: f64) -> (f64, f64) {
        let q = student_t_quantile(0.5 + level / 2.0, self.dof);
        (
            self.location - q * self.scale,
            self.location + q * self.scale,
        )
    }
}

impl Posterior {
    /// Fits y on X (X's first column is the intercept).
    pub fn fit(x: &DMatrix<f64>, y: &DVector<f64>, prior: &Prior) -> Result<Posterior> {
        let (n, p) = x.shape();
        if n == 0 || p == 0 || y.len() != n {
            return Err(Error::NotEnoughData {
                what: format!(
                    "regression with {n} rows, {p} columns and {} targets",
                    y.len()
                ),
            });
        }
        for (name, v) in [
            ("prior intercept_sd", prior.intercept_sd),
            ("prior coefficient_sd", prior.coefficient_sd),
            ("prior shape", prior.shape),
            ("prior scale", prior.scale),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::InvalidValue {
                    name: name.into(),
                    value: v,
                    expected: "a finite number > 0",
                });
            }
        }
        // V₀⁻¹ diagonal.
        let prior_precision = DVector::from_fn(p, |i, _| {
            let sd = if i == 0 {
                prior.intercept_sd
            } else {
                prior.coefficient_sd
            };
            1.0 / (sd * sd)
        });
        let mut precision = x.transpose() * x;
        for i in 0..p {
            precision[(i, i)] += prior_precision[i];
        }
        let chol =
            nalgebra::Cholesky::new(precision).ok_or_else(|| Error::NotPositiveDefinite {
                matrix: "posterior precision V0^-1 + X'X".into(),
            })?;
        let mean = chol.solve(&(x.transpose() * y));
        let covariance = chol.inverse();
        let residual = y - x * &mean;
        let penalty: f64 = mean
            .iter()
            .zip(prior_precision.iter())
            .map(|(m, l)| m * m * l)
            .sum();
        let shape = prior.shape + n as f64 / 2.0;
        let scale = prior.scale + 0.5 * (residual.dot(&residual) + penalty);
        Ok(Posterior {
            mean: mean.iter().copied().collect(),
            covariance: covariance
                .row_iter()
                .map(|r| r.iter().copied().collect())
                .collect(),
            shape,
            scale,
        })
    }

    /// Number of coefficients.
    pub fn len(&self) -> usize {
        self.mean.len()
    }

    /// Whether there are no coefficients.
    pub fn is_empty(&self) -> bool {
        self.mean.is_empty()
    }

    /// cᵀVₙc.
    fn quadratic(&self, c: &[f64]) -> f64 {
        let mut q = 0.0;
        for (i, ci) in c.iter().enumerate() {
            for (j, cj) in c.iter().enumerate() {
                q += ci * self.covariance[i][j] * cj;
            }
        }
        q
    }

    /// The marginal posterior of the contrast cᵀβ.
    pub fn contrast(&self, c: &[f64]) -> StudentT {
        StudentT {
            location: c.iter().zip(&self.mean).map(|(a, b)| a * b).sum(),
            scale: (self.scale / self.shape * self.quadratic(c)).sqrt(),
            dof: 2.0 * self.shape,
        }
    }

    /// The posterior predictive of a new observation at design row `x`.
    pub fn predictive(&self, x: &[f64]) -> StudentT {
        StudentT {
            location: x.iter().zip(&self.mean).map(|(a, b)| a * b).sum(),
            scale: (self.scale / self.shape * (1.0 + self.quadratic(x))).sqrt(),
            dof: 2.0 * self.shape,
        }
    }

    /// Checks dimensions and positivity (after loading from a file).
    pub fn validate(&self, columns: usize) -> Result<()> {
        if self.mean.len() != columns
            || self.covariance.len() != columns
            || self.covariance.iter().any(|r| r.len() != columns)
        {
            return Err(Error::Inconsistent {
                what: format!(
                    "posterior has {} coefficients and a {}-row covariance, but the features make {columns} columns",
                    self.mean.len(),
                    self.covariance.len()
                ),
            });
        }
        for (name, v) in [("shape", self.shape), ("scale", self.scale)] {
            if !(v.is_finite() && v > 0.0) {
                return Err(Error::InvalidValue {
                    name: format!("posterior {name}"),
                    value: v,
                    expected: "a finite number > 0",
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Agreement of two exact computations in double precision.
    const EXACT: f64 = 1e-9;

    #[test]
    fn vague_prior_gives_least_squares() -> Result<()> {
        // y = 1 + 2x exactly at x = 0..4: least squares recovers (1, 2).
        let x = DMatrix::from_fn(5, 2, |i, j| if j == 0 { 1.0 } else { i as f64 });
        let y = DVector::from_fn(5, |i, _| 1.0 + 2.0 * i as f64);
        let post = Posterior::fit(&x, &y, &Prior::default())?;
        // The default prior precision on the slope, 1e-4, against Sxx = 10 shrinks it by
        // ~1e-5 relative; 1e-4 absolute allows that and nothing more.
        const SHRINKAGE: f64 = 1e-4;
        assert!((post.mean[0] - 1.0).abs() < SHRINKAGE);
        assert!((post.mean[1] - 2.0).abs() < SHRINKAGE);
        Ok(())
    }

    #[test]
    fn interval_scale_matches_classical_ols() -> Result<()> {
        // With a vague prior the slope's posterior scale is the OLS standard error
        // √(s²/Sxx) with s² = RSS/n (aₙ = n/2, bₙ = RSS/2), computed by hand here.
        let xs = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let ys = [0.1, 0.9, 2.2, 2.8, 4.1, 5.2];
        let x = DMatrix::from_fn(6, 2, |i, j| if j == 0 { 1.0 } else { xs[i] });
        let y = DVector::from_row_slice(&ys);
        let prior = Prior {
            intercept_sd: 1e8,
            coefficient_sd: 1e8,
            shape: 1e-12,
            scale: 1e-12,
        };
        let post = Posterior::fit(&x, &y, &prior)?;
        let mx = xs.iter().sum::<f64>() / 6.0;
        let my = ys.iter().sum::<f64>() / 6.0;
        let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
        let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        let slope = sxy / sxx;
        let rss: f64 = xs
            .iter()
            .zip(&ys)
            .map(|(x, y)| (y - my - slope * (x - mx)).powi(2))
            .sum();
        let t = post.contrast(&[0.0, 1.0]);
        assert!((t.location - slope).abs() < EXACT);
        assert!((t.scale - (rss / 6.0 / sxx).sqrt()).abs() < 1e-6);
        assert!((t.dof - 6.0).abs() < 1e-9);
        Ok(())
    }
}
