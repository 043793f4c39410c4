//! Drawing patients from a [`PopulationModel`], one keyed stream per twin and purpose.

use rand::{Rng, RngExt};
use rand_distr::StandardNormal;

use super::description::{ContinuousCovariate, PopulationModel};
use crate::covariates::{CoMedications, Covariates, CovariatesInput, Sex};
use crate::error::{Error, Result};
use crate::genotype::{Ancestry, Diplotype};
use crate::random::{Purpose, TwinKey};

/// Rejection truncation gives up after this many redraws of a patient's covariates.
/// Validation guarantees some probability inside the bounds; a description whose bounds
/// hold less than ~0.1% of the mass should use inverse-CDF truncation instead.
pub const MAX_REJECTION_TRIES: usize = 10_000;

/// A virtual patient: covariates, genotypes and between-subject random effects.
#[derive(Debug, Clone, PartialEq)]
pub struct Patient {
    /// The key its random streams came from.
    pub key: TwinKey,
    /// Covariates.
    pub covariates: Covariates,
    /// One diplotype per gene of the population, in the population's gene order.
    pub genotypes: Vec<Diplotype>,
    /// η, in the order of the population's random effects (empty without them).
    pub etas: Vec<f64>,
}

impl Patient {
    /// The diplotype of `gene`, if genotyped.
    pub fn diplotype(&self, gene: &str) -> Option<&Diplotype> {
        self.genotypes.iter().find(|d| d.gene().name() == gene)
    }
}

/// A patient's covariates from a time on (a record of a time-varying trajectory).
#[derive(Debug, Clone, PartialEq)]
pub struct CovariatesAt {
    /// The record's time (h from the trial's start).
    pub time_h: f64,
    /// The covariates then.
    pub covariates: Covariates,
}

/// A patient with other covariates (those at a time of its course) and its own genotypes.
#[derive(Debug, Clone, Copy)]
pub struct PatientAt<'a> {
    /// The patient (genotypes).
    pub patient: &'a Patient,
    /// The covariates in force.
    pub covariates: &'a Covariates,
}

/// Draws `n` patients with keys (seed, replicate 0, cohort 0, twin 0..n).
///
/// Each patient depends only on its key, so the result is the same whatever order or
/// thread the patients are drawn in (see [`PopulationModel::sample_patient`]).
pub fn sample_population(model: &PopulationModel, n: usize, seed: u64) -> Result<Vec<Patient>> {
    let n = u32::try_from(n).map_err(|_| Error::InvalidValue {
        name: "number of twins".into(),
        value: n as f64,
        expected: "at most 2^32 − 1 twins per cohort",
    })?;
    (0..n)
        .map(|twin| {
            model.sample_patient(TwinKey {
                scenario_seed: seed,
                replicate: 0,
                cohort: 0,
                twin,
            })
        })
        .collect()
}

impl PopulationModel {
    /// Draws the patient with `key`.
    pub fn sample_patient(&self, key: TwinKey) -> Result<Patient> {
        let covariates = self.sample_covariates(&mut key.stream(Purpose::Covariates))?;
        // The genotype stream is started only when there are genes to draw (a stream depends on
        // the key and its purpose only, so this changes no number).
        let genotypes = if self.genes.is_empty() {
            Vec::new()
        } else {
            let mut rng = key.stream(Purpose::Genotype);
            self.genes
                .iter()
                .map(|gene| Diplotype::sample(gene, covariates.ancestry, &mut rng))
                .collect::<Result<Vec<_>>>()?
        };
        let etas = match &self.random_effects {
            Some(r) => r.sample(&mut key.stream(Purpose::Eta)),
            None => Vec::new(),
        };
        Ok(Patient {
            key,
            covariates,
            genotypes,
            etas,
        })
    }

    /// Whether the population has covariates that change during a trial.
    pub fn has_time_varying(&self) -> bool {
        !self.time_varying.is_empty()
    }

    /// The patient's covariates after its baseline, at every record time of the population's
    /// trajectories up to `until_h` (h), in time order; empty when nothing varies. Each
    /// trajectory's rate of change is drawn from the patient's own stream
    /// ([`Purpose::CovariateCourse`]), so it depends on the key only. Derived covariates (BSA,
    /// Cockcroft–Gault creatinine clearance) are computed anew at each time.
    ///
    /// # Errors
    /// More than [`super::trajectory::MAX_RECORDS`] record times, or covariates a trajectory
    /// takes out of their valid range (a weight that falls to 0): named with the time.
    pub fn sample_course(&self, patient: &Patient, until_h: f64) -> Result<Vec<CovariatesAt>> {
        if self.time_varying.is_empty() {
            return Ok(Vec::new());
        }
        let mut rng = patient.key.stream(Purpose::CovariateCourse);
        let z: Vec<f64> = self
            .time_varying
            .iter()
            .map(|_| rng.sample(StandardNormal))
            .collect();
        let mut times = Vec::new();
        for (name, t) in &self.time_varying {
            if until_h / t.every_h > super::trajectory::MAX_RECORDS {
                return Err(Error::InvalidValue {
                    name: format!("time_varying.{}.every_h", name.name()),
                    value: t.every_h,
                    expected: "an interval giving at most 100,000 records over the trial",
                });
            }
            let mut k = 1.0;
            while k * t.every_h <= until_h {
                times.push(k * t.every_h);
                k += 1.0;
            }
        }
        times.sort_by(f64::total_cmp);
        times.dedup();
        let base = &patient.covariates;
        times
            .into_iter()
            .map(|time_h| {
                let mut input = CovariatesInput {
                    weight_kg: base.weight_kg,
                    height_cm: base.height_cm,
                    age_years: base.age_years,
                    sex: base.sex,
                    serum_creatinine_mg_dl: base.serum_creatinine_mg_dl,
                    albumin_g_dl: base.albumin_g_dl,
                    ancestry: base.ancestry,
                    comedications: base.comedications.clone(),
                    ..CovariatesInput::default()
                };
                for ((name, trajectory), &z) in self.time_varying.iter().zip(&z) {
                    let slot = match name {
                        ContinuousCovariate::Weight => &mut input.weight_kg,
                        ContinuousCovariate::Height => &mut input.height_cm,
                        ContinuousCovariate::Age => &mut input.age_years,
                        ContinuousCovariate::SerumCreatinine => &mut input.serum_creatinine_mg_dl,
                        ContinuousCovariate::Albumin => &mut input.albumin_g_dl,
                    };
                    *slot = trajectory.value_at(*slot, z, time_h);
                }
                self.apply_fixed(&mut input);
                let covariates = Covariates::new(input).map_err(|e| Error::AtTime {
                    time_h,
                    problem: Box::new(e),
                })?;
                Ok(CovariatesAt { time_h, covariates })
            })
            .collect()
    }

    /// Draws covariates: sex, ancestry, co-medications, the empirical row, then the
    /// continuous covariates (correlated block through the Cholesky factor).
    pub fn sample_covariates<R: Rng + ?Sized>(&self, rng: &mut R) -> Result<Covariates> {
        let sex = if rng.random::<f64>() < self.female {
            Sex::Female
        } else {
            Sex::Male
        };
        let u: f64 = rng.random();
        let ancestry = self
            .ancestry
            .iter()
            .find(|(_, c)| u < *c)
            .or(self.ancestry.last())
            .map_or(Ancestry::European, |(a, _)| *a);
        let mut comedications = CoMedications::default();
        for (flag, p) in &self.comedications {
            if rng.random::<f64>() < *p {
                comedications.insert(flag.clone());
            }
        }
        let row = self
            .empirical
            .as_ref()
            .map(|t| rng.random_range(0..t.rows()));
        let values = self.sample_continuous(rng, row)?;
        let mut input = CovariatesInput {
            sex,
            ancestry,
            comedications,
            ..CovariatesInput::default()
        };
        for ((name, _), value) in self.continuous.iter().zip(values) {
            let slot = match name {
                ContinuousCovariate::Weight => &mut input.weight_kg,
                ContinuousCovariate::Height => &mut input.height_cm,
                ContinuousCovariate::Age => &mut input.age_years,
                ContinuousCovariate::SerumCreatinine => &mut input.serum_creatinine_mg_dl,
                ContinuousCovariate::Albumin => &mut input.albumin_g_dl,
            };
            *slot = value;
        }
        self.apply_fixed(&mut input);
        Covariates::new(input)
    }

    /// Sets the covariates fixed for every twin ([`PopulationModel::with_fixed`]).
    fn apply_fixed(&self, input: &mut CovariatesInput) {
        for (name, value) in &self.fixed {
            match name.as_str() {
                "WT" => input.weight_kg = *value,
                "HT" => input.height_cm = *value,
                "AGE" => input.age_years = *value,
                "SCR" => input.serum_creatinine_mg_dl = *value,
                "ALB" => input.albumin_g_dl = *value,
                "BSA" => input.bsa_m2 = Some(*value),
                "CRCL" => input.creatinine_clearance_ml_min = Some(*value),
                flag => {
                    if let Some(flag) = flag.strip_prefix("COMED:")
                        && *value == 1.0
                    {
                        input.comedications.insert(flag);
                    }
                }
            }
        }
    }

    fn sample_continuous<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        row: Option<usize>,
    ) -> Result<Vec<f64>> {
        let n = self.continuous.len();
        let mut z = vec![0.0; n];
        let mut values = vec![0.0; n];
        let mut correlated_z = vec![0.0; self.correlated.as_ref().map_or(0, |(p, _)| p.len())];
        for _ in 0..MAX_REJECTION_TRIES {
            for zi in z.iter_mut() {
                *zi = rng.sample(StandardNormal);
            }
            if let Some((positions, correlation)) = &self.correlated {
                correlation.sample_into(rng, &mut correlated_z);
                for (&p, &c) in positions.iter().zip(&correlated_z) {
                    z[p] = c;
                }
            }
            let mut accepted = true;
            for (i, (_, d)) in self.continuous.iter().enumerate() {
                values[i] = match (self.empirical_columns[i], row, &self.empirical) {
                    (Some(column), Some(row), Some(table)) => table.value(row, column),
                    _ => d.value_from_z(z[i]),
                };
                accepted &= d.accepts(values[i]);
            }
            if accepted {
                return Ok(values);
            }
        }
        let (name, bounds) = self
            .continuous
            .iter()
            .find_map(|(k, d)| match d {
                super::Distribution::Truncated { min, max, .. } => Some((k.name(), (*min, *max))),
                _ => None,
            })
            .unwrap_or(("covariates", (f64::NAN, f64::NAN)));
        Err(Error::RejectionFailed {
            name: name.into(),
            lower: bounds.0,
            upper: bounds.1,
            tries: MAX_REJECTION_TRIES,
        })
    }
}
