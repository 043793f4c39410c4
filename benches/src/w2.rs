//! Standard workload W2 (issue 8): 10,000 twins of a two-compartment model with Michaelis–Menten
//! elimination, a week of daily IV boluses, hourly central concentrations summarised by quantiles.
//!
//! `dA1/dt = −VMAX·C1/(KM + C1) − k12·A1 + k21·A2`, `dA2/dt = k12·A1 − k21·A2`, `C1 = A1/V1`,
//! VMAX = 10 mg/h, KM = 2 mg/L, V1 = 20 L (each log-normal, SD 0.3 on the log scale, independent),
//! k12 = 0.5 1/h, k21 = 0.25 1/h; 200 mg into A1 at 0, 24, ..., 144 h; C1 (mg/L) every hour
//! 0..=168 h, reported after a dose given at the same hour; rtol 1e-6, atol 1e-9 mg.
//!
//! Here are the pieces the benchmark (`benches/w2.rs`) and its tests share:
//! - [`sample_twins`]: the twins, from a fixed seed, each twin's stream keyed by its index;
//! - [`baseline_dopri5`]: the hand-written baseline, a plain loop of `ode_solvers::Dopri5` per
//!   twin and per hour; [`reference_dop853`] is the same loop with `Dop853` at rtol 1e-12;
//! - [`batched`]: `pk_models::batch` over the cohort, on one thread or on a rayon pool;
//! - [`Summary`]: the 5/25/50/75/95% quantiles across twins at each hour, exact (the engine's
//!   `exact_quantiles`, so both sides of a comparison summarise alike).
//!
//! Concentrations are kept time-major: `c1[j * n_twins + twin]` at hour `j`.

use engine::output::quantiles::exact_quantiles;
use ode_solvers::dop_shared::{IntegrationError, OutputType, System};
use ode_solvers::{Dop853, Dopri5, SVector};
use pk_models::batch::{
    BatchSettings, BatchStats, Bolus, MmParams, MmTwoCompartment, Twin, simulate_cohort,
};
use rayon::prelude::*;

/// Number of twins in the workload.
pub const N_TWINS: usize = 10_000;
/// The seed the twins are drawn from.
pub const SEED: u64 = 8;
/// Output hours 0..=168: 169 points.
pub const N_HOURS: usize = 169;
/// Dose (mg) into the central compartment.
pub const DOSE: f64 = 200.0;
/// Dosing interval (h).
pub const INTERVAL: usize = 24;
/// Number of doses, the first at 0 h.
pub const N_DOSES: usize = 7;
/// SD of log VMAX, log KM and log V1.
pub const OMEGA: f64 = 0.3;
/// The quantiles reported at each hour.
pub const PROBABILITIES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];
/// Twins per rayon task when running on a pool: a multiple of 8, 16 and 32, so every batch but the
/// cohort's last is full.
pub const TWINS_PER_TASK: usize = 1024;

/// W2's solver tolerances: rtol 1e-6, atol 1e-9 mg.
pub fn settings() -> BatchSettings {
    BatchSettings::default()
}

/// The doses: 200 mg into slot 0 (A1) every 24 h, 7 times.
pub fn doses() -> Vec<Bolus> {
    (0..N_DOSES)
        .map(|i| Bolus::new((i * INTERVAL) as f64, 0, DOSE))
        .collect()
}

/// The output times 0, 1, ..., 168 h.
pub fn hours() -> Vec<f64> {
    (0..N_HOURS).map(|j| j as f64).collect()
}

/// A deterministic stream (SplitMix64, Steele et al. 2014) for one twin.
struct Stream(u64);

impl Stream {
    /// The stream of twin `twin` under `seed`: independent of the order twins are drawn in.
    fn new(seed: u64, twin: u64) -> Self {
        let mut s = Self(seed);
        s.0 ^= s
            .next_u64()
            .wrapping_add(twin.wrapping_mul(0xA076_1D64_78BD_642F));
        s
    }

    fn next_u64(&mut self) -> u64 {
        // twins' SplitMix64 adds the increment and finalises; the state keeps the sum.
        let z = twins::random::splitmix64(self.0);
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z
    }

    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1_u64 << 53) as f64
    }

    /// Standard normal (Box–Muller, cosine branch).
    fn normal(&mut self) -> f64 {
        let (u1, u2) = (self.uniform(), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

/// `n` twins: VMAX, KM, V1 = typical · exp(ω·z) with independent standard normal z; k12, k21 fixed.
pub fn sample_twins(seed: u64, n: usize) -> Vec<MmParams> {
    let w = MmParams::W2;
    (0..n as u64)
        .map(|twin| {
            let mut s = Stream::new(seed, twin);
            MmParams {
                vmax: w.vmax * (OMEGA * s.normal()).exp(),
                km: w.km * (OMEGA * s.normal()).exp(),
                v1: w.v1 * (OMEGA * s.normal()).exp(),
                ..w
            }
        })
        .collect()
}

/// The right-hand side for `ode_solvers`, one twin, state `[A1, A2]` (mg).
struct W2Rhs(MmParams);

impl System<f64, SVector<f64, 2>> for W2Rhs {
    fn system(&self, _t: f64, y: &SVector<f64, 2>, dy: &mut SVector<f64, 2>) {
        let p = &self.0;
        let (a1, a2) = (y[0], y[1]);
        // C1 = A1/V1 (mg/L)
        let c1 = a1 / p.v1;
        // dA1/dt = −VMAX·C1/(KM + C1) − k12·A1 + k21·A2  (mg/h)
        dy[0] = -p.vmax * c1 / (p.km + c1) - p.k12 * a1 + p.k21 * a2;
        // dA2/dt = k12·A1 − k21·A2  (mg/h)
        dy[1] = p.k12 * a1 - p.k21 * a2;
    }
}

/// Which `ode_solvers` method the per-twin loop runs.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Method {
    /// Dopri5 at rtol, atol.
    Dopri5 { rtol: f64, atol: f64 },
    /// Dop853 at rtol, atol.
    Dop853 { rtol: f64, atol: f64 },
}

/// One twin hour by hour: dose at the hour, write C1, integrate to the next hour with a fresh
/// solver with sparse output, take the last accepted step's state (which lands on the hour).
fn per_twin(
    p: MmParams,
    method: Method,
    column: &mut [f64; N_HOURS],
) -> Result<(), IntegrationError> {
    let mut y = SVector::<f64, 2>::zeros();
    for (hour, c1) in column.iter_mut().enumerate() {
        if hour % INTERVAL == 0 && hour / INTERVAL < N_DOSES {
            y[0] += DOSE;
        }
        *c1 = y[0] / p.v1;
        if hour + 1 == N_HOURS {
            break;
        }
        let (from, to) = (hour as f64, (hour + 1) as f64);
        let last = match method {
            Method::Dopri5 { rtol, atol } => {
                let mut solver = Dopri5::new(W2Rhs(p), from, to, 1.0, y, rtol, atol);
                solver.set_output(OutputType::Sparse);
                solver.integrate()?;
                solver.y_out().last().copied()
            }
            Method::Dop853 { rtol, atol } => {
                let mut solver = Dop853::new(W2Rhs(p), from, to, 1.0, y, rtol, atol);
                solver.set_output(OutputType::Sparse);
                solver.integrate()?;
                solver.y_out().last().copied()
            }
        };
        if let Some(last) = last {
            y = last;
        }
    }
    Ok(())
}

/// The per-twin loop over all twins, writing time-major `c1`.
fn per_twin_loop(
    twins: &[MmParams],
    method: Method,
    c1: &mut [f64],
) -> Result<(), IntegrationError> {
    let n = twins.len();
    assert_eq!(c1.len(), n * N_HOURS, "c1 is N_HOURS × twins");
    let mut column = [0.0; N_HOURS];
    for (i, &p) in twins.iter().enumerate() {
        per_twin(p, method, &mut column)?;
        for (j, &value) in column.iter().enumerate() {
            c1[j * n + i] = value;
        }
    }
    Ok(())
}

/// The baseline: `ode_solvers::Dopri5` (rtol 1e-6, atol 1e-9 mg) per twin and hourly segment,
/// writing time-major `c1` (`N_HOURS × twins.len()`, mg/L).
///
/// # Errors
/// When `ode_solvers` gives up.
pub fn baseline_dopri5(twins: &[MmParams], c1: &mut [f64]) -> Result<(), IntegrationError> {
    let s = settings();
    per_twin_loop(
        twins,
        Method::Dopri5 {
            rtol: s.rtol,
            atol: s.atol,
        },
        c1,
    )
}

/// The accuracy reference: the same loop with `Dop853` at rtol 1e-12, atol 1e-14 mg.
///
/// # Errors
/// When `ode_solvers` gives up.
pub fn reference_dop853(twins: &[MmParams], c1: &mut [f64]) -> Result<(), IntegrationError> {
    per_twin_loop(
        twins,
        Method::Dop853 {
            rtol: 1e-12,
            atol: 1e-14,
        },
        c1,
    )
}

/// C1 of a cohort from `pk_models::batch`, in parts of consecutive twins, each time-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Batched {
    /// Each part's C1 (mg/L): `N_HOURS × part_len`, time-major.
    pub parts: Vec<Vec<f64>>,
    /// Work done, over all batches.
    pub stats: BatchStats,
}

impl Batched {
    /// C1 of all twins, time-major `N_HOURS × n_twins`, in the cohort's order.
    pub fn assemble(&self) -> Vec<f64> {
        let n: usize = self.parts.iter().map(|p| p.len() / N_HOURS).sum();
        let mut c1 = Vec::with_capacity(n * N_HOURS);
        for j in 0..N_HOURS {
            for part in &self.parts {
                let m = part.len() / N_HOURS;
                c1.extend_from_slice(&part[j * m..(j + 1) * m]);
            }
        }
        c1
    }
}

/// Runs `twins` through `pk_models::batch` with `L` lanes at `settings` ([`settings`] for W2):
/// on the calling thread as one cohort (sorted by stiffness as a whole) when `pool` is `None`,
/// else in tasks of [`TWINS_PER_TASK`] consecutive twins on the pool, each sorted by stiffness
/// within itself.
///
/// # Errors
/// When `pk_models` gives up.
pub fn batched<const L: usize>(
    twins: &[Twin<'_, MmParams>],
    settings: &BatchSettings,
    pool: Option<&rayon::ThreadPool>,
) -> Result<Batched, pk_models::Error> {
    let (times, s) = (hours(), *settings);
    let run = |chunk: &[Twin<'_, MmParams>]| {
        let mut c1 = vec![0.0; chunk.len() * N_HOURS];
        simulate_cohort::<MmTwoCompartment<L>, 2, L>(chunk, &times, &s, &mut c1).map(|st| (c1, st))
    };
    let results: Vec<(Vec<f64>, BatchStats)> = match pool {
        None => vec![run(twins)?],
        Some(pool) => pool.install(|| {
            twins
                .par_chunks(TWINS_PER_TASK)
                .map(run)
                .collect::<Result<_, _>>()
        })?,
    };
    let mut stats = BatchStats::default();
    let parts = results
        .into_iter()
        .map(|(c1, st)| {
            stats += st;
            c1
        })
        .collect();
    Ok(Batched { parts, stats })
}

/// The W2 summary: at each hour, the [`PROBABILITIES`] quantiles of C1 (mg/L) across twins.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// `quantiles[j][q]`: quantile `PROBABILITIES[q]` at hour `j`.
    pub quantiles: Vec<[f64; 5]>,
}

impl Summary {
    /// The summary of time-major parts (each `N_HOURS × part_len`), on the calling thread, or on
    /// `pool` in parallel over hours. The result does not depend on the order of twins or parts.
    pub fn of(parts: &[&[f64]], pool: Option<&rayon::ThreadPool>) -> Self {
        let n: usize = parts.iter().map(|p| p.len() / N_HOURS).sum();
        let hour = |keys: &mut Vec<i64>, j: usize| {
            let column = parts.iter().flat_map(|part| {
                let m = part.len() / N_HOURS;
                &part[j * m..(j + 1) * m]
            });
            exact_quantiles(column.copied(), PROBABILITIES, keys)
        };
        let quantiles = match pool {
            None => {
                let mut keys = Vec::with_capacity(n);
                (0..N_HOURS).map(|j| hour(&mut keys, j)).collect()
            }
            Some(pool) => pool.install(|| {
                (0..N_HOURS)
                    .into_par_iter()
                    .map_init(|| Vec::with_capacity(n), hour)
                    .collect()
            }),
        };
        Self { quantiles }
    }
}

/// The largest relative error of `c1` against `reference` (both time-major, same twins).
pub fn max_relative_error(c1: &[f64], reference: &[f64]) -> f64 {
    c1.iter()
        .zip(reference)
        .map(|(c, r)| (c - r).abs() / r.abs())
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The twins follow the model: the mean of log VMAX is log 10 and its SD 0.3, within the
    /// Monte Carlo error of 10,000 draws (SE of the mean 0.003, of the SD about 0.002).
    #[test]
    fn twins_are_log_normal_with_the_stated_spread() {
        let twins = sample_twins(SEED, N_TWINS);
        let logs: Vec<f64> = twins.iter().map(|p| p.vmax.ln()).collect();
        let mean = logs.iter().sum::<f64>() / logs.len() as f64;
        let sd =
            (logs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (logs.len() - 1) as f64).sqrt();
        assert!((mean - 10.0_f64.ln()).abs() < 0.012, "mean {mean}");
        assert!((sd - OMEGA).abs() < 0.01, "sd {sd}");
        assert_eq!(
            sample_twins(SEED, 3),
            twins[..3],
            "twin i's parameters do not depend on n"
        );
    }

    /// Baseline and batch (8 and 16 lanes, one thread and a pool) agree with the tight reference
    /// on 100 twins to 1e-5 relative, and the pool gives the same summary as one thread.
    #[test]
    fn baseline_and_batched_match_the_reference() -> Result<(), Box<dyn std::error::Error>> {
        let params = sample_twins(SEED, 100);
        let doses = doses();
        let twins: Vec<_> = params.iter().map(|&p| Twin::new(p, &doses)).collect();
        let mut reference = vec![0.0; params.len() * N_HOURS];
        reference_dop853(&params, &mut reference)?;
        let mut baseline = vec![0.0; params.len() * N_HOURS];
        baseline_dopri5(&params, &mut baseline)?;
        assert!(max_relative_error(&baseline, &reference) < 1e-5);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
        for result in [
            batched::<8>(&twins, &settings(), None)?,
            batched::<16>(&twins, &settings(), None)?,
            batched::<8>(&twins, &settings(), Some(&pool))?,
        ] {
            let c1 = result.assemble();
            assert!(max_relative_error(&c1, &reference) < 1e-5);
            let parts: Vec<&[f64]> = result.parts.iter().map(Vec::as_slice).collect();
            assert_eq!(Summary::of(&parts, None), Summary::of(&parts, Some(&pool)));
        }
        Ok(())
    }
}
