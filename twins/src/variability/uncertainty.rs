//! Parameter uncertainty across replicates: typical values drawn from a multivariate normal.

use nalgebra::DVector;
use rand::Rng;

use super::Covariance;
use crate::error::{Error, Result};

/// Fixed-effect estimates with their covariance (e.g. NONMEM's `$COV` output), for drawing
/// one set of typical values per replicate, as in NONMEM/Simulx trial simulation.
///
/// θ_rep ~ N(θ̂, Σ_θ); draw with [`crate::random::replicate_stream`] and
/// [`crate::random::Purpose::Uncertainty`], so every twin of a replicate shares θ_rep.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterUncertainty {
    names: Vec<String>,
    estimates: DVector<f64>,
    covariance: Covariance,
}

impl ParameterUncertainty {
    /// Validates sizes and the covariance (positive definite).
    pub fn new(names: Vec<String>, estimates: Vec<f64>, covariance: &[Vec<f64>]) -> Result<Self> {
        let covariance = Covariance::from_rows("parameter covariance", covariance)?;
        if names.len() != estimates.len() || names.len() != covariance.dim() {
            return Err(Error::Inconsistent {
                what: format!(
                    "parameter uncertainty: {} names, {} estimates, {}x{} covariance",
                    names.len(),
                    estimates.len(),
                    covariance.dim(),
                    covariance.dim()
                ),
            });
        }
        Ok(ParameterUncertainty {
            names,
            estimates: DVector::from_vec(estimates),
            covariance,
        })
    }

    /// Parameter names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// One replicate's typical values: θ̂ + L·z.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<f64> {
        (&self.estimates + self.covariance.sample(rng))
            .iter()
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::{Purpose, replicate_stream};

    #[test]
    fn replicate_draws_centre_on_estimates() -> Result<()> {
        let u = ParameterUncertainty::new(
            vec!["CL".into(), "V".into()],
            vec![5.0, 50.0],
            &[vec![0.25, 0.0], vec![0.0, 4.0]],
        )?;
        let n = 20_000;
        let mut mean = [0.0; 2];
        for rep in 0..n {
            let theta = u.sample(&mut replicate_stream(1, rep, Purpose::Uncertainty));
            mean[0] += theta[0] / f64::from(n);
            mean[1] += theta[1] / f64::from(n);
        }
        // Standard errors 0.5/√n = 0.0035 and 2/√n = 0.014; 5 standard errors.
        assert!((mean[0] - 5.0).abs() < 5.0 * 0.5 / f64::from(n).sqrt());
        assert!((mean[1] - 50.0).abs() < 5.0 * 2.0 / f64::from(n).sqrt());
        Ok(())
    }

    #[test]
    fn size_mismatch_is_an_error() {
        let err = ParameterUncertainty::new(vec!["CL".into()], vec![5.0, 1.0], &[vec![1.0]]);
        assert!(matches!(err, Err(Error::Inconsistent { .. })));
    }
}
