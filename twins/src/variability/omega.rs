//! Covariance matrices validated by Cholesky factorisation, and normal draws through them.

use nalgebra::{DMatrix, DVector};
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;

use crate::error::{Error, Result};

/// Relative tolerance for symmetry: |a_ij − a_ji| ≤ 1e-10·max(|a_ij|, |a_ji|, 1).
/// Matrices written by hand or exported by NONMEM are symmetric to printed precision;
/// this only catches a typo that breaks symmetry, not rounding.
const SYMMETRY_TOLERANCE: f64 = 1e-10;

/// A covariance matrix (omega, a correlation matrix, a parameter covariance) with its
/// lower Cholesky factor L (Σ = L·Lᵀ).
#[derive(Debug, Clone, PartialEq)]
pub struct Covariance {
    label: String,
    matrix: DMatrix<f64>,
    lower: DMatrix<f64>,
}

impl Covariance {
    /// Validates `matrix` (square, finite, symmetric, positive definite). `label` names it
    /// in errors ("omega", "correlation", ...).
    pub fn new(label: &str, matrix: DMatrix<f64>) -> Result<Covariance> {
        if matrix.nrows() != matrix.ncols() || matrix.nrows() == 0 {
            return Err(Error::Inconsistent {
                what: format!(
                    "{label} must be square and non-empty, got {}x{}",
                    matrix.nrows(),
                    matrix.ncols()
                ),
            });
        }
        let n = matrix.nrows();
        for i in 0..n {
            for j in 0..n {
                let (a, b) = (matrix[(i, j)], matrix[(j, i)]);
                if !a.is_finite() {
                    return Err(Error::InvalidValue {
                        name: format!("{label}[{i}][{j}]"),
                        value: a,
                        expected: "a finite number",
                    });
                }
                if (a - b).abs() > SYMMETRY_TOLERANCE * a.abs().max(b.abs()).max(1.0) {
                    return Err(Error::NotSymmetric {
                        matrix: label.to_string(),
                        row: i,
                        column: j,
                    });
                }
            }
        }
        let lower = nalgebra::Cholesky::new(matrix.clone())
            .ok_or_else(|| Error::NotPositiveDefinite {
                matrix: label.to_string(),
            })?
            .l();
        Ok(Covariance {
            label: label.to_string(),
            matrix,
            lower,
        })
    }

    /// From rows as written in a RON file.
    pub fn from_rows(label: &str, rows: &[Vec<f64>]) -> Result<Covariance> {
        let n = rows.len();
        if let Some((i, row)) = rows.iter().enumerate().find(|(_, r)| r.len() != n) {
            return Err(Error::Inconsistent {
                what: format!("{label} row {i} has {} entries, expected {n}", row.len()),
            });
        }
        Covariance::new(label, DMatrix::from_fn(n, n, |i, j| rows[i][j]))
    }

    /// A diagonal covariance from variances.
    pub fn diagonal(label: &str, variances: &[f64]) -> Result<Covariance> {
        Covariance::new(
            label,
            DMatrix::from_diagonal(&DVector::from_column_slice(variances)),
        )
    }

    /// Dimension.
    pub fn dim(&self) -> usize {
        self.matrix.nrows()
    }

    /// The matrix Σ.
    pub fn matrix(&self) -> &DMatrix<f64> {
        &self.matrix
    }

    /// The lower Cholesky factor L, Σ = L·Lᵀ.
    pub fn lower(&self) -> &DMatrix<f64> {
        &self.lower
    }

    /// The label used in errors.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Rows, as written in a RON file.
    pub fn to_rows(&self) -> Vec<Vec<f64>> {
        self.matrix
            .row_iter()
            .map(|r| r.iter().copied().collect())
            .collect()
    }

    /// Draws x ~ N(0, Σ) as x = L·z, z ~ N(0, I), into `out` (length `dim`).
    pub fn sample_into<R: Rng + ?Sized>(&self, rng: &mut R, out: &mut [f64]) {
        let n = self.dim();
        let mut z = [0.0f64; 16];
        let mut z_heap;
        let z: &mut [f64] = if n <= z.len() {
            &mut z[..n]
        } else {
            z_heap = vec![0.0; n];
            &mut z_heap
        };
        for zi in z.iter_mut() {
            *zi = rng.sample(StandardNormal);
        }
        // x_i = Σ_{j ≤ i} L_ij z_j
        for (i, x) in out.iter_mut().enumerate().take(n) {
            *x = (0..=i).map(|j| self.lower[(i, j)] * z[j]).sum();
        }
    }

    /// Draws x ~ N(0, Σ).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> DVector<f64> {
        let mut out = DVector::zeros(self.dim());
        self.sample_into(rng, out.as_mut_slice());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_positive_definite_names_the_matrix() {
        // Correlation 1.5 between two unit variances: determinant 1 − 2.25 < 0.
        let err = Covariance::from_rows("omega", &[vec![1.0, 1.5], vec![1.5, 1.0]]);
        assert!(matches!(err, Err(Error::NotPositiveDefinite { ref matrix }) if matrix == "omega"));
    }

    #[test]
    fn asymmetric_and_ragged_are_rejected() {
        let err = Covariance::from_rows("omega", &[vec![1.0, 0.1], vec![0.2, 1.0]]);
        assert!(matches!(err, Err(Error::NotSymmetric { .. })));
        let err = Covariance::from_rows("omega", &[vec![1.0, 0.1], vec![0.2]]);
        assert!(matches!(err, Err(Error::Inconsistent { .. })));
    }

    #[test]
    fn cholesky_reproduces_matrix() -> Result<()> {
        let c = Covariance::from_rows("omega", &[vec![0.09, 0.02], vec![0.02, 0.04]])?;
        let back = c.lower() * c.lower().transpose();
        assert!((back - c.matrix()).abs().max() < 1e-15);
        Ok(())
    }
}
