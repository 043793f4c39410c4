//! A 3+3 dose-escalation trial (Storer 1989): cohorts of three at a dose level; escalate after
//! 0/3 dose-limiting toxicities (DLTs), expand to six after 1/3 and escalate after 1/6, stop
//! after 2 or more. The maximum tolerated dose (MTD) is the highest level with at most 1/6 DLTs:
//! when the trial stops at a level, the level below is expanded to six if it had only three,
//! and the search moves down while it fails. Clearing the top level makes it the MTD.
//!
//! Each enrolled patient is a new twin, keyed by (seed, replicate, patient number); whether they
//! have a DLT is the scenario's DLT outcome evaluated on their simulated course at their level.
//! Replicate trials run in parallel; results merge in replicate order.

use std::sync::Arc;

use pk_models::outcomes::OutcomeValue;
use rayon::prelude::*;
use serde::Serialize;

use crate::Error;
use crate::cohort::{WorldSpec, run_world};
use crate::output::PartialFile;
use crate::run::{RunOptions, Summary};
use crate::scenario::Scenario;
use crate::scenario::file::DoseFile;

/// Patients per cohort.
const COHORT: u32 = 3;

/// The random-stream cohort number of escalation patients (apart from any arm's).
const ESCALATION_STREAM: u32 = 1_000_000;

/// One enrolled patient.
#[derive(Debug, Clone, Copy)]
struct Enrolled {
    patient: u32,
    level: usize,
    dlt: bool,
}

/// One replicate trial's course.
#[derive(Debug, Clone)]
struct Trial {
    mtd: Option<usize>,
    enrolled: Vec<Enrolled>,
}

/// `summary.json`'s escalation section.
#[derive(Debug, Clone, Serialize)]
pub struct EscalationSummary {
    /// Dose levels (mg).
    pub levels_mg: Vec<f64>,
    /// Probability of selecting each level as the MTD, across replicates.
    pub p_select: Vec<f64>,
    /// Probability that no level is tolerated.
    pub p_no_mtd: f64,
    /// Mean patients treated per trial.
    pub mean_patients: f64,
    /// Mean patients treated at each level per trial.
    pub mean_patients_per_level: Vec<f64>,
    /// DLTs over patients treated, pooled across replicates.
    pub dlt_rate: f64,
    /// Observed DLT rate at each level, pooled (NaN where no one was treated).
    pub dlt_rate_per_level: Vec<f64>,
}

struct Runner<'a> {
    scenario: &'a Arc<Scenario>,
    replicate: u32,
    next_patient: u32,
    enrolled: Vec<Enrolled>,
}

impl Runner<'_> {
    /// Treats a cohort of three at `level`; returns its DLT count.
    fn treat(&mut self, level: usize) -> Result<u32, Error> {
        let e =
            self.scenario.escalation.as_ref().ok_or_else(|| {
                Error::scenario(&self.scenario.path, None, "escalation", "missing")
            })?;
        let mut regimen = e.regimen.clone();
        regimen.dose = DoseFile::Fixed {
            mg: e.levels_mg[level],
        };
        let spec = WorldSpec {
            scenario: self.scenario.clone(),
            arm: usize::MAX,
            replicate: self.replicate,
            first_twin: self.next_patient,
            n_twins: COHORT,
            regimen,
            stream_cohort: ESCALATION_STREAM,
        };
        let results = run_world(&spec)?;
        let mut dlts = 0;
        for r in &results {
            let dlt = match r.outcomes.get(e.dlt_outcome) {
                Some(OutcomeValue::Flag(b)) => *b,
                Some(OutcomeValue::Time(t)) => t.is_some(),
                Some(OutcomeValue::Number(x)) => *x > 0.0,
                None => false,
            };
            dlts += u32::from(dlt);
            self.enrolled.push(Enrolled {
                patient: r.index,
                level,
                dlt,
            });
        }
        self.next_patient += COHORT;
        Ok(dlts)
    }

    fn counts(&self, level: usize) -> (u32, u32) {
        self.enrolled
            .iter()
            .filter(|p| p.level == level)
            .fold((0, 0), |(n, d), p| (n + 1, d + u32::from(p.dlt)))
    }

    fn run(mut self, n_levels: usize) -> Result<Trial, Error> {
        let mut level = 0;
        let stopped_at = loop {
            let d = self.treat(level)?;
            let d = if d == 1 { d + self.treat(level)? } else { d };
            if d >= 2 {
                break Some(level);
            }
            if level + 1 == n_levels {
                break None;
            }
            level += 1;
        };
        let mtd = match stopped_at {
            None => Some(n_levels - 1),
            Some(top) => {
                let mut candidate = top.checked_sub(1);
                while let Some(c) = candidate {
                    if self.counts(c).0 < 2 * COHORT {
                        self.treat(c)?;
                    }
                    if self.counts(c).1 <= 1 {
                        break;
                    }
                    candidate = c.checked_sub(1);
                }
                candidate
            }
        };
        Ok(Trial {
            mtd,
            enrolled: self.enrolled,
        })
    }
}

/// Runs every replicate trial and writes `summary.json` and `twins.csv`.
pub fn run(scenario: &Arc<Scenario>, options: &RunOptions) -> Result<Summary, Error> {
    let Some(e) = &scenario.escalation else {
        return Err(Error::scenario(
            &scenario.path,
            None,
            "escalation",
            "missing",
        ));
    };
    let n_levels = e.levels_mg.len();
    let trials: Vec<Result<Trial, Error>> = (0..scenario.replicates)
        .into_par_iter()
        .map(|replicate| {
            Runner {
                scenario,
                replicate,
                next_patient: 0,
                enrolled: Vec::new(),
            }
            .run(n_levels)
        })
        .collect();
    let mut select = vec![0u32; n_levels];
    let mut none = 0u32;
    let mut patients = vec![0u64; n_levels];
    let mut dlts = vec![0u64; n_levels];
    let mut twins = if scenario.outputs.twins {
        let mut f = PartialFile::create(&options.out_dir.join("twins.csv"), true)?;
        writeln!(f, "replicate,patient,level,dose [mg],dlt")?;
        Some(f)
    } else {
        None
    };
    for (replicate, trial) in trials.into_iter().enumerate() {
        let trial = trial?;
        match trial.mtd {
            Some(l) => select[l] += 1,
            None => none += 1,
        }
        for p in &trial.enrolled {
            patients[p.level] += 1;
            dlts[p.level] += u64::from(p.dlt);
            if let Some(f) = &mut twins {
                writeln!(
                    f,
                    "{replicate},{},{},{},{}",
                    p.patient,
                    p.level,
                    e.levels_mg[p.level],
                    u8::from(p.dlt)
                )?;
            }
        }
    }
    if let Some(f) = twins {
        f.finish()?;
    }
    let r = f64::from(scenario.replicates);
    let total_patients: u64 = patients.iter().sum();
    let escalation = EscalationSummary {
        levels_mg: e.levels_mg.clone(),
        p_select: select.iter().map(|&c| f64::from(c) / r).collect(),
        p_no_mtd: f64::from(none) / r,
        mean_patients: total_patients as f64 / r,
        mean_patients_per_level: patients.iter().map(|&n| n as f64 / r).collect(),
        dlt_rate: dlts.iter().sum::<u64>() as f64 / total_patients as f64,
        dlt_rate_per_level: patients
            .iter()
            .zip(&dlts)
            .map(|(&n, &d)| if n > 0 { d as f64 / n as f64 } else { f64::NAN })
            .collect(),
    };
    let summary = Summary {
        scenario: scenario.name.clone(),
        // Absolute, so `plot` and `report` find the scenario from any directory.
        scenario_file: std::fs::canonicalize(&scenario.path)
            .unwrap_or_else(|_| scenario.path.clone())
            .display()
            .to_string(),
        seed: scenario.seed,
        replicates: scenario.replicates,
        twins_per_arm: COHORT,
        twinsim_version: env!("CARGO_PKG_VERSION").to_owned(),
        files_hash: format!("{:016x}", scenario.files_hash),
        interval: "3+3 escalation: proportions across replicates".to_owned(),
        smoke_size: (scenario.replicates as usize) < crate::output::summary::MIN_REPLICATES_FOR_95,
        arms: Vec::new(),
        comparisons: Vec::new(),
        escalation: Some(escalation),
    };
    crate::output::write_summary(&options.out_dir, &summary)?;
    Ok(summary)
}
