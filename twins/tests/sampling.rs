//! Sampling statistics at fixed seeds: Hardy–Weinberg diplotypes, eta covariance,
//! covariate correlations, truncation, proportions and empirical resampling.

use std::collections::BTreeMap;

use twins::genotype::{Ancestry, Diplotype, GeneCatalogue};
use twins::population::PopulationModel;
use twins::random::{Purpose, TwinKey};
use twins::variability::{RandomEffectFile, RandomEffects, RandomEffectsFile};
use twins::{Result, sample_population};

use crate::common::{chi_square_999, mean_and_covariance, tempdir, write};

/// Sample size for the statistics below.
const N: u32 = 100_000;

/// Estimates must fall within this many standard errors of the truth: at 5 SE a correct
/// sampler fails about once in 1.7 million checks, a wrong one (bias > 5 SE) is caught.
const STANDARD_ERRORS: f64 = 5.0;

/// Cells with expected count below this are pooled before the chi-square test, the usual
/// rule (Cochran 1954) that keeps the chi-square approximation valid.
const MIN_EXPECTED: f64 = 5.0;

fn key(twin: u32) -> TwinKey {
    TwinKey {
        scenario_seed: 20_240_601,
        replicate: 0,
        cohort: 0,
        twin,
    }
}

/// Chi-square goodness of fit of sampled diplotypes to Hardy–Weinberg proportions.
fn hardy_weinberg_chi_square(gene: &str, group: Ancestry) -> Result<(f64, usize)> {
    let genes = GeneCatalogue::shipped()?;
    let gene = genes.get(gene)?;
    let freq = gene.frequencies(group).unwrap_or_default().to_vec();
    let mut observed: BTreeMap<[usize; 2], f64> = BTreeMap::new();
    for twin in 0..N {
        let d = Diplotype::sample(gene, group, &mut key(twin).stream(Purpose::Genotype))?;
        *observed.entry(d.indices()).or_default() += 1.0;
    }
    // Expected under HWE: p_a² for a/a, 2·p_a·p_b for a/b (a < b).
    let n = f64::from(N);
    let (mut statistic, mut cells) = (0.0, 0);
    let (mut pooled_o, mut pooled_e) = (0.0, 0.0);
    for a in 0..freq.len() {
        for b in a..freq.len() {
            let p = if a == b {
                freq[a] * freq[a]
            } else {
                2.0 * freq[a] * freq[b]
            };
            let e = n * p;
            let o = observed.get(&[a, b]).copied().unwrap_or(0.0);
            if e < MIN_EXPECTED {
                pooled_o += o;
                pooled_e += e;
            } else {
                statistic += (o - e).powi(2) / e;
                cells += 1;
            }
        }
    }
    if pooled_e >= MIN_EXPECTED {
        statistic += (pooled_o - pooled_e).powi(2) / pooled_e;
        cells += 1;
    }
    // Frequencies are given, not estimated: df = cells − 1.
    Ok((statistic, cells - 1))
}

#[test]
fn diplotypes_follow_hardy_weinberg() -> Result<()> {
    for (gene, group) in [
        ("CYP2C9", Ancestry::European),
        ("CYP2C19", Ancestry::EastAsian),
        ("CYP2D6", Ancestry::African),
    ] {
        let (statistic, df) = hardy_weinberg_chi_square(gene, group)?;
        let critical = chi_square_999(df);
        assert!(
            statistic < critical,
            "{gene} {group:?}: chi-square {statistic:.2} on {df} df exceeds {critical} (p < 0.001)"
        );
    }
    Ok(())
}

#[test]
fn sampled_etas_have_the_requested_covariance() -> Result<()> {
    let omega = vec![
        vec![0.09, 0.03, -0.01],
        vec![0.03, 0.04, 0.0],
        vec![-0.01, 0.0, 0.25],
    ];
    let effects = RandomEffects::try_from(RandomEffectsFile {
        parameters: ["CL", "V", "KA"]
            .iter()
            .map(|n| RandomEffectFile {
                name: n.to_string(),
                transform: Default::default(),
            })
            .collect(),
        omega: omega.clone(),
        occasion_omega: None,
    })?;
    let rows: Vec<Vec<f64>> = (0..N)
        .map(|t| effects.sample(&mut key(t).stream(Purpose::Eta)))
        .collect();
    let (mean, cov) = mean_and_covariance(&rows);
    let n = f64::from(N);
    for i in 0..3 {
        let se_mean = (omega[i][i] / n).sqrt();
        assert!(
            mean[i].abs() < STANDARD_ERRORS * se_mean,
            "mean[{i}] = {}",
            mean[i]
        );
        for j in 0..3 {
            // Var(s_ij) = (σ_ii·σ_jj + σ_ij²)/n for normal data.
            let se = ((omega[i][i] * omega[j][j] + omega[i][j].powi(2)) / n).sqrt();
            assert!(
                (cov[i][j] - omega[i][j]).abs() < STANDARD_ERRORS * se,
                "cov[{i}][{j}] = {} vs {}",
                cov[i][j],
                omega[i][j]
            );
        }
    }
    Ok(())
}

const CORRELATED: &str = r#"(
    covariates: {
        WT: LogNormal(median: 75.0, sd_log: 0.2),
        HT: Normal(mean: 170.0, sd: 10.0),
        AGE: Truncated(distribution: Normal(mean: 50.0, sd: 25.0), min: 18.0, max: 90.0, method: InverseCdf),
        ALB: Truncated(distribution: Normal(mean: 4.0, sd: 0.6), min: 3.0, max: 5.0, method: Rejection),
    },
    correlations: Some((covariates: [WT, HT, ALB], matrix: [[1.0, 0.6, 0.2], [0.6, 1.0, 0.0], [0.2, 0.0, 1.0]])),
    sex: {Female: 0.3, Male: 0.7},
    ancestry: {European: 0.5, African: 0.25, EastAsian: 0.25},
    comedications: {"amiodarone": 0.1},
)"#;

/// Mean of N(μ, σ²) truncated to [a, b]: μ + σ·(φ(α) − φ(β))/(Φ(β) − Φ(α)).
fn truncated_normal_mean(mu: f64, sigma: f64, a: f64, b: f64) -> f64 {
    let phi = |x: f64| (-x * x / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let (alpha, beta) = ((a - mu) / sigma, (b - mu) / sigma);
    let mass = twins::stats::normal_cdf(beta) - twins::stats::normal_cdf(alpha);
    mu + sigma * (phi(alpha) - phi(beta)) / mass
}

#[test]
fn covariates_hold_correlations_truncations_and_proportions() -> Result<()> {
    let model = PopulationModel::from_ron_str(CORRELATED, "correlated.ron".as_ref())?;
    let patients = sample_population(&model, N as usize, 77)?;
    let n = f64::from(N);
    let rows: Vec<Vec<f64>> = patients
        .iter()
        .map(|p| {
            let c = &p.covariates;
            vec![c.weight_kg.ln(), c.height_cm, c.age_years, c.albumin_g_dl]
        })
        .collect();
    let (mean, cov) = mean_and_covariance(&rows);
    // ln WT ~ N(ln 75, 0.2²), HT ~ N(170, 10²), correlation 0.6 between them.
    assert!((mean[0] - 75f64.ln()).abs() < STANDARD_ERRORS * 0.2 / n.sqrt());
    let r = cov[0][1] / (cov[0][0] * cov[1][1]).sqrt();
    // SE of a sample correlation ≈ (1 − ρ²)/√n.
    assert!(
        (r - 0.6).abs() < STANDARD_ERRORS * (1.0 - 0.36) / n.sqrt(),
        "r = {r}"
    );
    // Truncations respected, by both methods, and the truncated means are right.
    for p in &patients {
        let c = &p.covariates;
        assert!((18.0..=90.0).contains(&c.age_years), "age {}", c.age_years);
        assert!(
            (3.0..=5.0).contains(&c.albumin_g_dl),
            "albumin {}",
            c.albumin_g_dl
        );
    }
    let age_mean = truncated_normal_mean(50.0, 25.0, 18.0, 90.0);
    // The truncated sd is below the untruncated 25, so 25/√n over-states the SE: conservative.
    assert!(
        (mean[2] - age_mean).abs() < STANDARD_ERRORS * 25.0 / n.sqrt(),
        "{}",
        mean[2]
    );
    let alb_mean = truncated_normal_mean(4.0, 0.6, 3.0, 5.0);
    assert!(
        (mean[3] - alb_mean).abs() < STANDARD_ERRORS * 0.6 / n.sqrt(),
        "{}",
        mean[3]
    );
    // Proportions: binomial SE √(p(1 − p)/n).
    let share = |pred: &dyn Fn(&twins::Patient) -> bool| {
        patients.iter().filter(|p| pred(p)).count() as f64 / n
    };
    let close = |got: f64, p: f64| (got - p).abs() < STANDARD_ERRORS * (p * (1.0 - p) / n).sqrt();
    assert!(close(
        share(&|p| p.covariates.sex == twins::covariates::Sex::Female),
        0.3
    ));
    assert!(close(
        share(&|p| p.covariates.ancestry == Ancestry::African),
        0.25
    ));
    assert!(close(
        share(&|p| p.covariates.comedications.contains("amiodarone")),
        0.1
    ));
    Ok(())
}

#[test]
fn empirical_covariates_resample_whole_rows() -> Result<()> {
    let dir = tempdir()?;
    write(
        dir.path(),
        "real.csv",
        "id,weight,height\n1,50,150\n2,80,180\n3,110,190\n",
    )?;
    let description = r#"(
        covariates: {WT: Empirical(column: "weight"), HT: Empirical(column: "height")},
        empirical: Some("real.csv"),
    )"#;
    let path = write(dir.path(), "pop.ron", description)?;
    let model = PopulationModel::from_path(&path)?;
    let rows = [(50.0, 150.0), (80.0, 180.0), (110.0, 190.0)];
    let mut seen = [0usize; 3];
    for p in sample_population(&model, 3_000, 5)? {
        let pair = (p.covariates.weight_kg, p.covariates.height_cm);
        let i = rows.iter().position(|r| *r == pair);
        assert!(i.is_some(), "{pair:?} is not a row of the CSV");
        seen[i.unwrap_or_default()] += 1;
    }
    assert!(
        seen.iter().all(|&s| s > 900),
        "rows drawn unevenly: {seen:?}"
    );
    Ok(())
}

#[test]
fn occasion_etas_have_the_occasion_covariance() -> Result<()> {
    // Inter-occasion variability: one κ per occasion from its own Ω, independent of η.
    let occasion_omega = vec![vec![0.04, 0.01], vec![0.01, 0.02]];
    let effects = RandomEffects::try_from(RandomEffectsFile {
        parameters: ["CL", "V"]
            .iter()
            .map(|n| RandomEffectFile {
                name: n.to_string(),
                transform: Default::default(),
            })
            .collect(),
        omega: vec![vec![0.09, 0.0], vec![0.0, 0.09]],
        occasion_omega: Some(occasion_omega.clone()),
    })?;
    const OCCASIONS: usize = 4;
    let mut rows = Vec::with_capacity(N as usize);
    for twin in 0..N / OCCASIONS as u32 {
        let kappas = effects.sample_occasions(OCCASIONS, &mut key(twin).stream(Purpose::Occasion));
        assert_eq!(kappas.len(), OCCASIONS);
        rows.extend(kappas);
    }
    let (_, cov) = mean_and_covariance(&rows);
    let n = rows.len() as f64;
    for i in 0..2 {
        for j in 0..2 {
            let o = &occasion_omega;
            let se = ((o[i][i] * o[j][j] + o[i][j].powi(2)) / n).sqrt();
            assert!(
                (cov[i][j] - o[i][j]).abs() < STANDARD_ERRORS * se,
                "cov[{i}][{j}] = {}",
                cov[i][j]
            );
        }
    }
    Ok(())
}
