//! Between-subject and inter-occasion variability, residual error and parameter uncertainty.
//!
//! Random effects η ~ N(0, Ω) are drawn as η = L·z with Ω = L·Lᵀ (Cholesky) and
//! z ~ N(0, I). An individual parameter is P = TV·exp(η) (log-normal) or P = TV + η
//! (normal). Inter-occasion variability adds κ ~ N(0, Ω_IOV), one draw per occasion:
//! P_k = TV·exp(η + κ_k).
//!
//! ```
//! use twins::variability::{RandomEffects, RandomEffectsFile, RandomEffectFile, EtaTransform};
//! use twins::random::{Purpose, TwinKey};
//!
//! let file = RandomEffectsFile {
//!     parameters: vec![
//!         RandomEffectFile { name: "CL".into(), transform: EtaTransform::LogNormal },
//!         RandomEffectFile { name: "V".into(), transform: EtaTransform::LogNormal },
//!     ],
//!     omega: vec![vec![0.09, 0.03], vec![0.03, 0.04]],
//!     occasion_omega: None,
//! };
//! let effects = RandomEffects::try_from(file)?;
//! let key = TwinKey { scenario_seed: 1, replicate: 0, cohort: 0, twin: 0 };
//! let eta = effects.sample(&mut key.stream(Purpose::Eta));
//! let cl = effects.individual(0, 5.0, eta[0]);
//! assert!(cl > 0.0);
//! # Ok::<(), twins::Error>(())
//! ```

mod omega;
mod residual;
mod uncertainty;

pub use omega::Covariance;
pub use residual::ResidualError;
pub use uncertainty::ParameterUncertainty;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How η enters a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum EtaTransform {
    /// P = TV·exp(η).
    #[default]
    LogNormal,
    /// P = TV + η.
    Normal,
}

impl EtaTransform {
    /// The individual value from typical value `tv` and random effect `eta`.
    pub fn apply(self, tv: f64, eta: f64) -> f64 {
        match self {
            EtaTransform::LogNormal => tv * eta.exp(),
            EtaTransform::Normal => tv + eta,
        }
    }
}

/// One random effect as written in RON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomEffectFile {
    /// Parameter name (`CL`, `V`, ...).
    pub name: String,
    /// Transform.
    #[serde(default)]
    pub transform: EtaTransform,
}

/// Random effects as written in RON: names, Ω and optionally Ω for inter-occasion
/// variability (same order of parameters).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomEffectsFile {
    /// Parameters with random effects, in the order of Ω's rows.
    pub parameters: Vec<RandomEffectFile>,
    /// Ω: variances and covariances of η (log scale for log-normal parameters).
    pub omega: Vec<Vec<f64>>,
    /// Ω for inter-occasion variability, if any.
    #[serde(default)]
    pub occasion_omega: Option<Vec<Vec<f64>>>,
}

/// Validated random effects.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomEffects {
    names: Vec<String>,
    transforms: Vec<EtaTransform>,
    omega: Covariance,
    occasion_omega: Option<Covariance>,
}

impl TryFrom<RandomEffectsFile> for RandomEffects {
    type Error = Error;
    fn try_from(file: RandomEffectsFile) -> Result<RandomEffects> {
        let omega = Covariance::from_rows("omega", &file.omega)?;
        let occasion_omega = file
            .occasion_omega
            .as_deref()
            .map(|rows| Covariance::from_rows("occasion_omega", rows))
            .transpose()?;
        let n = file.parameters.len();
        for (label, dim) in [
            ("omega", Some(omega.dim())),
            (
                "occasion_omega",
                occasion_omega.as_ref().map(Covariance::dim),
            ),
        ] {
            if let Some(dim) = dim
                && dim != n
            {
                return Err(Error::Inconsistent {
                    what: format!("{label} is {dim}x{dim} but {n} parameters are named"),
                });
            }
        }
        Ok(RandomEffects {
            names: file.parameters.iter().map(|p| p.name.clone()).collect(),
            transforms: file.parameters.iter().map(|p| p.transform).collect(),
            omega,
            occasion_omega,
        })
    }
}

impl From<&RandomEffects> for RandomEffectsFile {
    fn from(r: &RandomEffects) -> RandomEffectsFile {
        RandomEffectsFile {
            parameters: r
                .names
                .iter()
                .zip(&r.transforms)
                .map(|(name, &transform)| RandomEffectFile {
                    name: name.clone(),
                    transform,
                })
                .collect(),
            omega: r.omega.to_rows(),
            occasion_omega: r.occasion_omega.as_ref().map(Covariance::to_rows),
        }
    }
}

impl RandomEffects {
    /// Parameter names, in Ω order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Ω.
    pub fn omega(&self) -> &Covariance {
        &self.omega
    }

    /// Number of random effects.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Draws η ~ N(0, Ω).
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<f64> {
        let mut eta = vec![0.0; self.len()];
        self.omega.sample_into(rng, &mut eta);
        eta
    }

    /// Draws κ ~ N(0, Ω_IOV) for each of `occasions` occasions (empty without IOV).
    pub fn sample_occasions<R: Rng + ?Sized>(
        &self,
        occasions: usize,
        rng: &mut R,
    ) -> Vec<Vec<f64>> {
        let Some(iov) = &self.occasion_omega else {
            return Vec::new();
        };
        (0..occasions)
            .map(|_| {
                let mut kappa = vec![0.0; iov.dim()];
                iov.sample_into(rng, &mut kappa);
                kappa
            })
            .collect()
    }

    /// Parameter `index`'s individual value from typical value `tv` and total random
    /// effect `eta` (η, or η + κ on an occasion).
    pub fn individual(&self, index: usize, tv: f64, eta: f64) -> f64 {
        self.transforms
            .get(index)
            .copied()
            .unwrap_or_default()
            .apply(tv, eta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_mismatch_names_the_matrix() {
        let file = RandomEffectsFile {
            parameters: vec![RandomEffectFile {
                name: "CL".into(),
                transform: EtaTransform::LogNormal,
            }],
            omega: vec![vec![0.1, 0.0], vec![0.0, 0.1]],
            occasion_omega: None,
        };
        let err = RandomEffects::try_from(file).expect_err("2x2 omega for 1 parameter");
        assert!(err.to_string().contains("omega is 2x2"), "{err}");
    }

    #[test]
    fn transforms_apply_as_documented() {
        assert!((EtaTransform::LogNormal.apply(5.0, 0.0) - 5.0).abs() < 1e-15);
        assert!((EtaTransform::LogNormal.apply(5.0, 2f64.ln()) - 10.0).abs() < 1e-12);
        assert!((EtaTransform::Normal.apply(5.0, 1.5) - 6.5).abs() < 1e-15);
    }
}
