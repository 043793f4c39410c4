//! What a file observed into a twin may add. A pharmacologist acts on the twin's advice, so an
//! incoming history is screened before it touches the posterior:
//!
//! | found in the file | what happens |
//! |---|---|
//! | a dose, level or covariate record the twin already holds (the same event) | skipped: observing a file twice changes nothing |
//! | a level at a time and output the twin holds with another value | error (conflicting levels) |
//! | two levels of one output at one time within the file | error |
//! | a negative level, or a limit of quantification ≤ 0 | error |
//! | a level before the twin's first dose | error (no drug yet to measure) |
//! | a level above [`OUTLIER_FACTOR`] × the prior's [`OUTLIER_QUANTILE`] quantile of that output (the largest over the twin's observation times) | error unless accepted (a unit or typing mistake) |

use std::collections::BTreeMap;

use super::TwinFile;
use crate::bayes::{History, IndividualModel, Measurement, Predictor};
use crate::model_file::ModelSpec;
use crate::{Error, Result};

/// A level more than this many times the prior's [`OUTLIER_QUANTILE`] quantile is refused
/// unless the user accepts it.
pub const OUTLIER_FACTOR: f64 = 1000.0;
/// The quantile of the prior predictive distribution the outlier limit scales.
pub const OUTLIER_QUANTILE: f64 = 0.999;
/// Prior draws the quantile is estimated from (its 1,998th order statistic).
pub const OUTLIER_DRAWS: usize = 2000;
/// Seed of the prior draws: fixed, so the same file is judged the same way every time.
const OUTLIER_SEED: u64 = 0x0017_1e25;

/// A posterior mode further than this many prior standard deviations from the typical value in
/// any random effect is not kept without the user's say-so (5 SD: a probability of 6e-7 under
/// the prior): the levels are outside what the model explains, and advice from it would be an
/// extrapolation.
pub const MAX_ETA_PRIOR_SD: f64 = 5.0;

/// Whether an updated posterior is one to act on: the mode search converged, and no random
/// effect lies beyond [`MAX_ETA_PRIOR_SD`] prior standard deviations.
///
/// # Errors
/// [`Error::Inconsistent`] saying which: the search did not converge (with its objective), or
/// which random effect is how far out.
pub fn check_update(spec: &ModelSpec, posterior: &super::PosteriorSummary) -> Result<()> {
    if let Some(omega) = spec.random_effects().map(|r| r.omega().matrix()) {
        let furthest = posterior
            .eta_names
            .iter()
            .zip(&posterior.eta)
            .enumerate()
            .map(|(i, (name, eta))| (name, (eta / omega[(i, i)].sqrt()).abs()))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((name, z)) = furthest
            && z > MAX_ETA_PRIOR_SD
        {
            return Err(Error::Inconsistent {
                what: format!(
                    "the posterior mode puts {name} {z:.1} prior standard deviations from its \
                     typical value (more than {MAX_ETA_PRIOR_SD}): the levels are far outside \
                     what the model explains"
                ),
            });
        }
    }
    if !posterior.converged {
        return Err(Error::Inconsistent {
            what: format!(
                "the posterior mode search did not converge (objective {:.4} where it stopped)",
                posterior.objective
            ),
        });
    }
    Ok(())
}

/// An incoming history with what the twin already held taken out.
#[derive(Debug, Clone, PartialEq)]
pub struct Screened {
    /// What is new.
    pub new: History,
    /// Doses the twin already held (skipped).
    pub repeated_doses: usize,
    /// Levels the twin already held, with the same value (skipped).
    pub repeated_observations: usize,
    /// Covariate records the twin already held (skipped).
    pub repeated_covariates: usize,
}

impl Screened {
    /// Whether anything is new.
    pub fn is_empty(&self) -> bool {
        self.new.doses.is_empty()
            && self.new.observations.is_empty()
            && self.new.covariates.is_empty()
    }
}

impl TwinFile {
    /// Screens `more` (read from `source`) against the twin's history: see the module's table.
    /// With `accept_outlier`, levels far above what the prior predicts are let through.
    ///
    /// # Errors
    /// Conflicting or duplicate levels, a negative level, a level before any dose, or an outlier
    /// not accepted; each names the file, the output and the time.
    pub fn screen(
        &self,
        spec: &ModelSpec,
        more: History,
        source: &str,
        accept_outlier: bool,
    ) -> Result<Screened> {
        let fail = |what: String| {
            Err(self.error(Error::Inconsistent {
                what: format!("{source}: {what}"),
            }))
        };
        for (i, o) in more.observations.iter().enumerate() {
            if let Some(p) = more.observations[..i]
                .iter()
                .find(|p| p.time == o.time && p.output == o.output)
            {
                let how = if p.measurement == o.measurement {
                    "twice"
                } else {
                    "twice with different values"
                };
                return fail(format!(
                    "a level of {} at {} h appears {how}: expected one level per output and time",
                    o.output, o.time
                ));
            }
            match o.measurement {
                Measurement::Value(v) if v < 0.0 => {
                    return fail(format!(
                        "the level of {} at {} h is {v}: expected a level >= 0",
                        o.output, o.time
                    ));
                }
                Measurement::BelowLimit { lloq } if lloq <= 0.0 => {
                    return fail(format!(
                        "the level of {} at {} h is below a limit of quantification of {lloq}: \
                         expected a limit > 0",
                        o.output, o.time
                    ));
                }
                _ => {}
            }
        }
        let mut screened = Screened {
            new: History::default(),
            repeated_doses: 0,
            repeated_observations: 0,
            repeated_covariates: 0,
        };
        for o in more.observations {
            match self
                .history
                .observations
                .iter()
                .find(|h| h.time == o.time && h.output == o.output)
            {
                Some(h) if h.measurement == o.measurement => screened.repeated_observations += 1,
                Some(_) => {
                    return fail(format!(
                        "the twin already has a different level of {} at {} h: expected the same \
                         level, or none",
                        o.output, o.time
                    ));
                }
                None => screened.new.observations.push(o),
            }
        }
        for d in more.doses {
            if self.history.doses.contains(&d) {
                screened.repeated_doses += 1;
            } else {
                screened.new.doses.push(d);
            }
        }
        for c in more.covariates {
            if self.history.covariates.contains(&c) {
                screened.repeated_covariates += 1;
            } else {
                screened.new.covariates.push(c);
            }
        }
        let first_dose = self
            .history
            .doses
            .iter()
            .chain(&screened.new.doses)
            .map(|d| d.time)
            .fold(f64::INFINITY, f64::min);
        if let Some(o) = screened
            .new
            .observations
            .iter()
            .find(|o| o.time < first_dose)
        {
            return fail(if first_dose.is_finite() {
                format!(
                    "a level of {} at {} h comes before the twin's first dose (at {first_dose} h): \
                     expected levels after a dose (add the earlier doses first)",
                    o.output, o.time
                )
            } else {
                format!(
                    "a level of {} at {} h, and the twin has no dose: expected the doses before \
                     (or with) the levels",
                    o.output, o.time
                )
            });
        }
        if !accept_outlier {
            self.check_outliers(spec, &screened.new, source)?;
        }
        Ok(screened)
    }

    /// Refuses a new quantified level above [`OUTLIER_FACTOR`] × the prior's
    /// [`OUTLIER_QUANTILE`] quantile of its output, the largest over the twin's observation
    /// times of that output (prior draws of η, the twin's covariates and every dose, no
    /// residual error).
    fn check_outliers(&self, spec: &ModelSpec, new: &History, source: &str) -> Result<()> {
        let Some(effects) = spec.random_effects() else {
            return Ok(());
        };
        if !new
            .observations
            .iter()
            .any(|o| matches!(o.measurement, Measurement::Value(_)))
        {
            return Ok(());
        }
        let mut all = self.history.clone();
        all.extend(new);
        let model = IndividualModel::new(spec, &self.patient, &BTreeMap::new(), all)
            .map_err(|e| self.error(e))?;
        let n = model.n_observations();
        let draws = crate::forecast::EtaDraws::prior(effects, OUTLIER_DRAWS, OUTLIER_SEED);
        let mut predicted = vec![Vec::with_capacity(OUTLIER_DRAWS); n];
        let mut out = vec![0.0; n];
        for eta in &draws.etas {
            model.predict(eta, &mut out).map_err(|e| self.error(e))?;
            for (column, &value) in predicted.iter_mut().zip(&out) {
                column.push(value);
            }
        }
        // The scale of each output: the largest 99.9th percentile over all of the twin's
        // observation times of it (a level at a dose's own time, where the model gives 0, is
        // judged against the output's scale, not against 0).
        let all = self.history.observations.iter().chain(&new.observations);
        let mut scale: BTreeMap<&str, f64> = BTreeMap::new();
        for (o, column) in all.zip(&mut predicted) {
            column.sort_by(f64::total_cmp);
            let at = ((column.len() as f64 * OUTLIER_QUANTILE).ceil() as usize)
                .clamp(1, column.len())
                - 1;
            let s = scale.entry(o.output.as_str()).or_insert(0.0);
            *s = s.max(column[at]);
        }
        for o in &new.observations {
            let Measurement::Value(level) = o.measurement else {
                continue;
            };
            let largest = scale.get(o.output.as_str()).copied().unwrap_or(0.0);
            if level > OUTLIER_FACTOR * largest {
                return Err(self.error(Error::Inconsistent {
                    what: format!(
                        "{source}: the level of {} at {} h is {level}, over {OUTLIER_FACTOR}x the \
                         largest the model gives this twin (the prior's 99.9th percentile of {} \
                         at the twin's observation times: {largest}); check the unit and the \
                         value, or pass --accept-outlier",
                        o.output, o.time, o.output
                    ),
                }));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::PosteriorSummary;

    fn spec() -> ModelSpec {
        ModelSpec::parse(
            r#"(
                name: "check_update",
                structure: (compartments: 1, absorption: None, elimination: Linear),
                parameters: {"CL": (value: 5.0, unit: "L/h"), "V": (value: 50.0, unit: "L")},
                outputs: [(name: "CP", compartment: "central", unit: "mg/L")],
                random_effects: (parameters: [(name: "CL"), (name: "V")], omega: [[0.09, 0.0], [0.0, 0.04]]),
                residual: {"CP": Proportional(cv: 0.1)},
            )"#,
            std::path::Path::new("check_update.ron"),
        )
        .expect("valid model")
    }

    fn posterior(eta: [f64; 2], converged: bool) -> PosteriorSummary {
        PosteriorSummary {
            eta_names: vec!["CL".into(), "V".into()],
            eta: eta.to_vec(),
            covariance: vec![vec![0.01, 0.0], vec![0.0, 0.01]],
            objective: 12.5,
            converged,
            parameters: BTreeMap::new(),
            observations: 2,
        }
    }

    #[test]
    fn an_update_is_kept_only_when_converged_and_within_five_prior_sds() {
        let spec = spec();
        check_update(&spec, &posterior([0.3, -0.2], true)).expect("1 and 1 SD");
        // V: |-1.1| / 0.2 = 5.5 SD.
        let far = check_update(&spec, &posterior([0.3, -1.1], true)).expect_err("5.5 SD");
        assert!(
            far.to_string().contains("V 5.5 prior standard deviations"),
            "{far}"
        );
        let stuck = check_update(&spec, &posterior([0.3, -0.2], false)).expect_err("unconverged");
        assert!(stuck.to_string().contains("did not converge"), "{stuck}");
        assert!(stuck.to_string().contains("12.5"), "{stuck}");
    }
}
