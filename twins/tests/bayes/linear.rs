//! A model linear in η with additive error: the posterior is normal and known in closed form,
//! m = P⁻¹·Bᵀ·(y − a)/σ², C = P⁻¹ with P = Bᵀ·B/σ² + Ω⁻¹ (conjugate normal; Gelman et al.,
//! *Bayesian Data Analysis*, 3rd ed., §14.2). MAP, the Laplace covariance and the importance
//! sampler are checked against it.

use nalgebra::{DMatrix, DVector};
use twins::Result;
use twins::bayes::{
    MapSettings, Measurement, Objective, ObservedValue, PosteriorMethod, Predictor,
    SamplingSettings, estimate_map, sample_posterior,
};
use twins::random::stream_from_seed;
use twins::variability::{Covariance, ResidualError};

/// f is linear, so the Fisher-scoring step is Newton's exactly and finite differences of f are
/// exact up to rounding (ε·|f|/h ≈ 1e-16·10/1e-6): the mode agrees to ~1e-9 of a prior sd.
const MODE_TOLERANCE: f64 = 1e-6;
/// The covariance comes from central second differences of O (step 1e-3 sd): exact for a
/// quadratic up to rounding ε·O/h² ≈ 1e-16·50/1e-7 ≈ 5e-8 relative.
const COVARIANCE_RELATIVE_TOLERANCE: f64 = 1e-5;
/// Monte Carlo bounds: a weighted mean's standard error is sd/√ESS, a variance's √(2/ESS)·var
/// for a normal target; 5 standard errors (two-sided p ≈ 6e-7 per check).
const MONTE_CARLO_SE: f64 = 5.0;

struct Linear {
    a: DVector<f64>,
    b: DMatrix<f64>,
    y: DVector<f64>,
    sigma: f64,
    omega: DMatrix<f64>,
}

fn problem() -> Linear {
    let b = DMatrix::from_row_slice(
        6,
        3,
        &[
            1.0, 0.5, 0.0, 0.8, -0.3, 0.2, 0.1, 1.2, 0.4, -0.6, 0.2, 1.0, 0.3, 0.3, 0.3, 1.5, 0.0,
            -0.7,
        ],
    );
    Linear {
        a: DVector::from_row_slice(&[2.0, 1.0, 0.5, 3.0, -1.0, 0.0]),
        y: DVector::from_row_slice(&[2.6, 0.9, 1.4, 3.3, -0.5, 0.7]),
        b,
        sigma: 0.4,
        omega: DMatrix::from_row_slice(3, 3, &[0.3, 0.1, 0.0, 0.1, 0.2, -0.05, 0.0, -0.05, 0.5]),
    }
}

fn closed_form(l: &Linear) -> (DVector<f64>, DMatrix<f64>) {
    let omega_inv = l.omega.clone().try_inverse().expect("omega invertible");
    let precision = l.b.transpose() * &l.b / (l.sigma * l.sigma) + omega_inv;
    let c = precision.try_inverse().expect("precision invertible");
    let m = &c * l.b.transpose() * (&l.y - &l.a) / (l.sigma * l.sigma);
    (m, c)
}

/// f(η) = a + B·η, written out as a predictor (no closure types to name).
struct LinearPredictor {
    a: DVector<f64>,
    b: DMatrix<f64>,
}

impl Predictor for LinearPredictor {
    fn n_eta(&self) -> usize {
        self.b.ncols()
    }
    fn n_observations(&self) -> usize {
        self.b.nrows()
    }
    fn predict(&self, eta: &[f64], out: &mut [f64]) -> Result<()> {
        let f = &self.a + &self.b * DVector::from_column_slice(eta);
        out.copy_from_slice(f.as_slice());
        Ok(())
    }
}

fn objective(l: &Linear) -> Result<Objective<LinearPredictor>> {
    let predictor = LinearPredictor {
        a: l.a.clone(),
        b: l.b.clone(),
    };
    let observations =
        l.y.iter()
            .map(|&y| ObservedValue {
                measurement: Measurement::Value(y),
                error: ResidualError::Additive { sd: l.sigma },
            })
            .collect();
    Objective::new(
        predictor,
        observations,
        &Covariance::new("omega", l.omega.clone())?,
    )
}

#[test]
fn map_and_laplace_covariance_equal_the_closed_form_posterior() -> Result<()> {
    let l = problem();
    let (m, c) = closed_form(&l);
    let map = estimate_map(&objective(&l)?, None, &MapSettings::default())?;
    assert!(map.converged);
    for i in 0..3 {
        let sd = c[(i, i)].sqrt();
        assert!(
            (map.eta[i] - m[i]).abs() < MODE_TOLERANCE * sd,
            "eta[{i}]: {} vs {}",
            map.eta[i],
            m[i]
        );
        for j in 0..3 {
            let scale = (c[(i, i)] * c[(j, j)]).sqrt();
            assert!(
                (map.covariance[(i, j)] - c[(i, j)]).abs() < COVARIANCE_RELATIVE_TOLERANCE * scale,
                "C[{i}][{j}]: {} vs {}",
                map.covariance[(i, j)],
                c[(i, j)]
            );
        }
    }
    Ok(())
}

#[test]
fn importance_sampling_mean_and_variance_match_within_sampling_error() -> Result<()> {
    let l = problem();
    let (m, c) = closed_form(&l);
    let problem = objective(&l)?;
    let map = estimate_map(&problem, None, &MapSettings::default())?;
    let settings = SamplingSettings {
        proposals: 20_000,
        draws: 5_000,
        ..SamplingSettings::default()
    };
    let sample = sample_posterior(&problem, &map, &settings, &mut stream_from_seed(11))?;
    let PosteriorMethod::ImportanceSampling {
        effective_sample_size: ess,
    } = sample.method
    else {
        panic!(
            "a normal posterior with a t proposal should not need MH: {:?}",
            sample.method
        );
    };
    // t(5) scaled 1.2 against a normal: weights are bounded, ESS stays high.
    assert!(ess > 0.5 * settings.proposals as f64, "ESS {ess}");
    let mean = sample.mean();
    let cov = sample.covariance();
    for i in 0..3 {
        let var = c[(i, i)];
        let se_mean = (var / ess).sqrt();
        let se_var = (2.0 / ess).sqrt() * var;
        assert!(
            (mean[i] - m[i]).abs() < MONTE_CARLO_SE * se_mean,
            "mean[{i}] {} vs {}",
            mean[i],
            m[i]
        );
        assert!(
            (cov[(i, i)] - var).abs() < MONTE_CARLO_SE * se_var,
            "var[{i}] {} vs {var}",
            cov[(i, i)]
        );
    }
    // The resampled draws carry the same posterior: their mean within the same bound (SIR adds
    // at most the resampling variance, var/N with N = 5,000 draws).
    let n = sample.draws.len() as f64;
    for i in 0..3 {
        let draws_mean = sample.draws.iter().map(|d| d[i]).sum::<f64>() / n;
        let se = (c[(i, i)] / ess + c[(i, i)] / n).sqrt();
        assert!((draws_mean - m[i]).abs() < MONTE_CARLO_SE * se);
    }
    Ok(())
}

#[test]
fn poor_weights_fall_back_to_metropolis_hastings_and_still_find_the_posterior() -> Result<()> {
    let l = problem();
    let (m, c) = closed_form(&l);
    let problem = objective(&l)?;
    let map = estimate_map(&problem, None, &MapSettings::default())?;
    // A proposal 0.2 times too narrow: the weights are hopeless, ESS/M < 0.9 forces the chain.
    let settings = SamplingSettings {
        proposals: 2_000,
        draws: 4_000,
        proposal_df: None,
        proposal_scale: 0.2,
        min_ess_fraction: 0.9,
        burn_in: 2_000,
        thin: 10,
    };
    let sample = sample_posterior(&problem, &map, &settings, &mut stream_from_seed(5))?;
    let PosteriorMethod::MetropolisHastings {
        acceptance_rate, ..
    } = sample.method
    else {
        panic!("expected the MH fallback, got {:?}", sample.method);
    };
    // Roberts, Gelman & Gilks' scale gives ~0.23–0.44 acceptance in 1–3 dimensions.
    assert!((0.15..0.6).contains(&acceptance_rate), "{acceptance_rate}");
    // Thinned by 10, the chain's autocorrelation is small; allow an effective size of 1,000.
    let mean = sample.mean();
    for i in 0..3 {
        let se = (c[(i, i)] / 1_000.0).sqrt();
        assert!(
            (mean[i] - m[i]).abs() < MONTE_CARLO_SE * se,
            "mean[{i}] {} vs {}",
            mean[i],
            m[i]
        );
    }
    Ok(())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Across random linear problems (2–4 random effects, 3–8 observations, correlated Ω, a
    /// noise sd from 0.05 to 2), MAP and the Laplace covariance equal the closed form.
    #[test]
    fn map_equals_the_closed_form_for_random_linear_models(
        n in 2usize..=4,
        m in 3usize..=8,
        seed in 0u64..1_000_000,
        sigma in 0.05f64..2.0,
    ) {
        use rand::RngExt;
        let mut rng = stream_from_seed(seed);
        let b = DMatrix::from_fn(m, n, |_, _| rng.random_range(-2.0..2.0));
        let a = DVector::from_fn(m, |_, _| rng.random_range(-1.0..1.0));
        let y = DVector::from_fn(m, |_, _| rng.random_range(-3.0..3.0));
        // Ω = L·Lᵀ + 0.05·I: positive definite, correlated.
        let l = DMatrix::from_fn(n, n, |i, j| if j <= i { rng.random_range(-0.5..0.5) } else { 0.0 });
        let omega = &l * l.transpose() + DMatrix::identity(n, n) * 0.05;
        let problem = Linear { a, b, y, sigma, omega };
        let (mean, c) = closed_form(&problem);
        let map = estimate_map(&objective(&problem)?, None, &MapSettings::default())?;
        proptest::prop_assert!(map.converged);
        for i in 0..n {
            let sd = c[(i, i)].sqrt();
            proptest::prop_assert!((map.eta[i] - mean[i]).abs() < MODE_TOLERANCE * sd,
                "eta[{}]: {} vs {}", i, map.eta[i], mean[i]);
            for j in 0..n {
                let scale = (c[(i, i)] * c[(j, j)]).sqrt();
                proptest::prop_assert!(
                    (map.covariance[(i, j)] - c[(i, j)]).abs() < COVARIANCE_RELATIVE_TOLERANCE * scale,
                    "C[{}][{}]: {} vs {}", i, j, map.covariance[(i, j)], c[(i, j)]);
            }
        }
    }
}
