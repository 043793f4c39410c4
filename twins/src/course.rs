//! Parameters that change during a course of treatment, because the covariates they are computed
//! from change: weight lost over a trial, creatinine clearance falling, age growing, a dataset
//! whose rows carry new values.
//!
//! A [`ParameterCourse`] holds the parameter values computed at the times the covariates were
//! known, and reads them between those times the way NONMEM does:
//!
//! - [`Carry::NextBackward`] (NONMEM's default, the model file's default): a record's values hold
//!   over the interval that *ends* at that record, `(t₍ᵢ₋₁₎, tᵢ]`. The advance from the previous
//!   record to this one, this record's dose (its steady state, lag and bioavailability) and its
//!   outputs all use this record's values.
//! - [`Carry::LastForward`] (a model-file option): a record's values hold from that record on,
//!   `[tᵢ, tᵢ₊₁)`.
//!
//! Before the first time the first values hold, after the last the last, whatever the rule.
//! Between changes the parameters are constant, so the model is solved exactly (or by the ODE
//! solver) piece by piece; the amounts carry over from one piece to the next.
//!
//! [`CourseSubject`] steps a subject through its course: every path (`twinsim run`, `simulate`,
//! `estimate`, `twin`) advances through it, so that they switch parameters at the same instants.
//!
//! ```
//! use std::collections::BTreeMap;
//! use twins::course::{Carry, ParameterCourse};
//!
//! let cl = |v: f64| BTreeMap::from([("CL".to_owned(), v)]);
//! let course = ParameterCourse::new(Carry::NextBackward, vec![(0.0, cl(5.0)), (24.0, cl(4.0))])?;
//! assert_eq!(course.at(12.0)["CL"], 4.0); // the value of the record at 24 h holds back to 0 h
//! assert_eq!(course.at(0.0)["CL"], 5.0);
//! let course = ParameterCourse::new(Carry::LastForward, vec![(0.0, cl(5.0)), (24.0, cl(4.0))])?;
//! assert_eq!(course.at(12.0)["CL"], 5.0);
//! # Ok::<(), twins::Error>(())
//! ```

use std::collections::BTreeMap;

use pk_models::{Model, Propagator, Record, SolutionPath, Subject};

pub use crate::covariates::Carry;
use crate::error::{Error, Result};
use crate::model_file::{BuiltModel, DoseEvent, ModelSpec};

/// Parameter values by name (units as in the model file).
pub type Values = BTreeMap<String, f64>;

/// Piecewise-constant parameter values over time, read by a [`Carry`] rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterCourse {
    carry: Carry,
    /// Times (h), strictly increasing, and the values known at each; consecutive values differ.
    points: Vec<(f64, Values)>,
}

impl ParameterCourse {
    /// The same values at all times.
    pub fn constant(values: Values) -> Self {
        Self {
            carry: Carry::NextBackward,
            points: vec![(0.0, values)],
        }
    }

    /// Values known at `points` (time h, values), read by `carry`. Points must be in time order;
    /// repeated times must repeat their values. A run of equal values is one piece (its first
    /// time under [`Carry::LastForward`], its last under [`Carry::NextBackward`], so the switches
    /// fall where the rule puts them).
    ///
    /// # Errors
    /// No points, a time that is not finite, times out of order, or two different values at one
    /// time.
    pub fn new(carry: Carry, points: Vec<(f64, Values)>) -> Result<Self> {
        if points.is_empty() {
            return Err(Error::NotEnoughData {
                what: "a parameter course needs values at one time at least".into(),
            });
        }
        let mut kept: Vec<(f64, Values)> = Vec::with_capacity(points.len());
        for (time, values) in points {
            if !time.is_finite() {
                return Err(Error::InvalidValue {
                    name: "time of a covariate record".into(),
                    value: time,
                    expected: "a finite time (h)",
                });
            }
            let Some((last_time, last_values)) = kept.last_mut() else {
                kept.push((time, values));
                continue;
            };
            if time < *last_time {
                return Err(Error::InvalidValue {
                    name: format!("time of a covariate record after one at {last_time} h"),
                    value: time,
                    expected: "records in time order",
                });
            }
            if values == *last_values {
                // One piece: NOCB reads it from its last time, LOCF from its first.
                if carry == Carry::NextBackward {
                    *last_time = time;
                }
                continue;
            }
            if time == *last_time {
                let changed: Vec<&str> = values
                    .iter()
                    .filter(|(k, v)| last_values.get(*k) != Some(*v))
                    .map(|(k, _)| k.as_str())
                    .collect();
                return Err(Error::Inconsistent {
                    what: format!(
                        "two records at {time} h give different values of {}: a covariate cannot \
                         take two values at one time",
                        changed.join(", ")
                    ),
                });
            }
            kept.push((time, values));
        }
        Ok(Self {
            carry,
            points: kept,
        })
    }

    /// How values are read between their times.
    pub fn carry(&self) -> Carry {
        self.carry
    }

    /// Whether the values never change.
    pub fn is_constant(&self) -> bool {
        self.points.len() == 1
    }

    /// The times (h) values were known at and the values, in time order.
    pub fn points(&self) -> &[(f64, Values)] {
        &self.points
    }

    /// The values before the first change (at the start of the course).
    pub fn initial(&self) -> &Values {
        &self.points[0].1
    }

    /// The index of the piece in force at `t` (h): under [`Carry::NextBackward`] the first point
    /// at or after `t`, under [`Carry::LastForward`] the last at or before it (else the first /
    /// last point).
    fn index_at(&self, t: f64) -> usize {
        let last = self.points.len() - 1;
        match self.carry {
            Carry::NextBackward => self.points.partition_point(|(ti, _)| *ti < t).min(last),
            Carry::LastForward => self
                .points
                .partition_point(|(ti, _)| *ti <= t)
                .saturating_sub(1),
        }
    }

    /// The values in force at `t` (h): for a dose at `t`, its bioavailability and lag; for an
    /// output at `t`, its volume.
    pub fn at(&self, t: f64) -> &Values {
        &self.points[self.index_at(t)].1
    }

    /// The same course with every piece's values mapped by `f` (e.g. random effects applied).
    ///
    /// # Errors
    /// The first error of `f`.
    pub fn try_map(&self, mut f: impl FnMut(&Values) -> Result<Values>) -> Result<Self> {
        let points = self
            .points
            .iter()
            .map(|(t, v)| Ok((*t, f(v)?)))
            .collect::<Result<Vec<_>>>()?;
        Self::new(self.carry, points)
    }

    /// The switch from piece `k − 1` to piece `k` (k ≥ 1): when it falls (h), and whether it
    /// comes before the events at that time ([`Carry::LastForward`]: piece `k` starts at its own
    /// time) or after them ([`Carry::NextBackward`]: piece `k − 1` ends at its own time, events
    /// and outputs there included).
    fn switch(&self, k: usize) -> Option<(f64, bool)> {
        if k == 0 || k >= self.points.len() {
            return None;
        }
        Some(match self.carry {
            Carry::LastForward => (self.points[k].0, true),
            Carry::NextBackward => (self.points[k - 1].0, false),
        })
    }
}

/// A subject stepped through its [`ParameterCourse`]: the model in force, the pk_models subject,
/// and the next switch. Every operation takes the switches due on the way, so a dose, an output
/// or a steady state at a time uses the values the course holds at that time.
#[derive(Debug, Clone)]
pub struct CourseSubject {
    course: ParameterCourse,
    /// Index of the piece in force.
    piece: usize,
    /// The next switch ([`ParameterCourse::switch`] of `piece + 1`), kept to make the check
    /// on every advance one comparison.
    next_switch: Option<(f64, bool)>,
    path: SolutionPath,
    model: BuiltModel,
    subject: Subject<Propagator<BuiltModel>>,
}

impl CourseSubject {
    /// A subject at the start of `course`, empty but for the model's initial state (a PD
    /// baseline, from the first piece's values), solved by `path`.
    ///
    /// # Errors
    /// The first piece's values do not build a model.
    pub fn new(spec: &ModelSpec, course: ParameterCourse, path: SolutionPath) -> Result<Self> {
        let model = spec.build(course.initial())?;
        let subject = Subject::with_initial_state(
            Propagator::new(model.clone(), path),
            model.initial_state(),
        );
        Ok(Self {
            next_switch: course.switch(1),
            course,
            piece: 0,
            path,
            model,
            subject,
        })
    }

    /// The course.
    pub fn course(&self) -> &ParameterCourse {
        &self.course
    }

    /// The model in force now (for outputs: a volume that changed is read here).
    pub fn model(&self) -> &BuiltModel {
        &self.model
    }

    /// The values in force now.
    pub fn parameters(&self) -> &Values {
        &self.course.points[self.piece].1
    }

    /// The pk_models subject (its state, time and pending events).
    pub fn subject(&self) -> &Subject<Propagator<BuiltModel>> {
        &self.subject
    }

    /// The pk_models subject, for a caller that advances it itself between events (the engine's
    /// lock-step lanes). Only for a course that never changes: the caller would miss a switch.
    pub fn constant_subject_mut(&mut self) -> Option<&mut Subject<Propagator<BuiltModel>>> {
        self.course.is_constant().then_some(&mut self.subject)
    }

    /// The current state.
    pub fn state(&self) -> &[f64] {
        self.subject.state()
    }

    /// The current time (h).
    pub fn time(&self) -> f64 {
        self.subject.time()
    }

    /// The pk_models dose of `event`, with the dose inputs of the values in force at its time.
    ///
    /// # Errors
    /// As [`ModelSpec::dose`].
    pub fn dose(&self, spec: &ModelSpec, event: &DoseEvent) -> Result<pk_models::Dose> {
        spec.dose(event, self.course.at(event.time))
    }

    /// Gives `event` ahead of time ([`Subject::give_later`]), with the dose inputs in force at
    /// its time.
    ///
    /// # Errors
    /// As [`ModelSpec::dose`] and [`Subject::give_later`].
    pub fn give_later(&mut self, spec: &ModelSpec, event: &DoseEvent) -> Result<()> {
        let dose = self.dose(spec, event)?;
        Ok(self.subject.give_later(event.time, &dose)?)
    }

    /// Advances to `target` (h), applying the events due at it too.
    ///
    /// # Errors
    /// A piece's values do not build a model, or the advance fails.
    #[inline]
    pub fn advance_to(&mut self, spec: &ModelSpec, target: f64) -> Result<()> {
        self.switch_until(spec, target)?;
        Ok(self.subject.advance_to(target)?)
    }

    /// Advances to `target` (h) without the events due at it: the state a sample drawn then,
    /// before a dose given then, shows (a trough).
    ///
    /// # Errors
    /// As [`CourseSubject::advance_to`].
    #[inline]
    pub fn advance_until(&mut self, spec: &ModelSpec, target: f64) -> Result<()> {
        self.switch_until(spec, target)?;
        Ok(self.subject.advance_until(target)?)
    }

    /// Applies `record` ([`Subject::apply`]) with the values in force at its time: a
    /// steady-state dose reaches the steady state of those values.
    ///
    /// # Errors
    /// As [`CourseSubject::advance_to`] and [`Subject::apply`].
    pub fn apply(&mut self, spec: &ModelSpec, record: &Record) -> Result<()> {
        self.switch_until(spec, record.time)?;
        Ok(self.subject.apply(record)?)
    }

    /// Takes every switch due on the way to `target`: one before the events at its time when it
    /// is at or before `target`, one after them when it is before `target`.
    #[inline(always)]
    fn switch_until(&mut self, spec: &ModelSpec, target: f64) -> Result<()> {
        match self.next_switch {
            Some((at, _)) if at <= target => self.take_switches(spec, target),
            _ => Ok(()),
        }
    }

    #[cold]
    fn take_switches(&mut self, spec: &ModelSpec, target: f64) -> Result<()> {
        while let Some((at, before_events)) = self.next_switch {
            if before_events {
                if at > target {
                    break;
                }
                self.subject.advance_until(at)?;
            } else {
                if at >= target {
                    break;
                }
                self.subject.advance_to(at)?;
            }
            self.piece += 1;
            self.next_switch = self.course.switch(self.piece + 1);
            self.model = spec.build(&self.course.points[self.piece].1)?;
            self.subject
                .set_propagator(Propagator::new(self.model.clone(), self.path));
        }
        Ok(())
    }
}

/// A subject's states and outputs after each of its records.
#[derive(Debug, Clone, PartialEq)]
pub struct CourseTrajectory {
    /// The state after each record.
    pub states: pk_models::Trajectory,
    /// The model's outputs after each record (row-major, records × outputs), each read with the
    /// model in force at its record.
    pub outputs: Vec<f64>,
}

/// Simulates `records` (in time order, doses built with the course's values at their times) on
/// `course`: the driver `twinsim simulate`, `estimate` and the Bayesian paths share.
///
/// # Errors
/// A piece's values do not build a model, or a record cannot be applied.
pub fn simulate(
    spec: &ModelSpec,
    course: ParameterCourse,
    records: &[Record],
    path: SolutionPath,
) -> Result<CourseTrajectory> {
    let mut subject = CourseSubject::new(spec, course, path)?;
    let n_outputs = spec.output_names().count();
    let mut states = pk_models::Trajectory::with_capacity(subject.state().len(), records.len());
    let mut outputs = Vec::with_capacity(records.len() * n_outputs);
    let mut scratch = Vec::with_capacity(n_outputs);
    for record in records {
        subject.apply(spec, record)?;
        states.push(subject.state());
        spec.outputs_into(
            subject.model(),
            subject.time(),
            subject.state(),
            &mut scratch,
        );
        if let Some((k, &v)) = scratch.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            let name = spec.output_names().nth(k).unwrap_or("?");
            return Err(Error::InvalidValue {
                name: format!("output {name} at {} h", record.time),
                value: v,
                expected: "a finite value (the parameters give no finite output)",
            });
        }
        outputs.extend_from_slice(&scratch);
    }
    Ok(CourseTrajectory { states, outputs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(cl: f64) -> Values {
        BTreeMap::from([("CL".to_owned(), cl)])
    }

    #[test]
    fn runs_of_equal_values_are_one_piece_ending_or_starting_where_the_rule_reads_them()
    -> Result<()> {
        let points = vec![(0.0, v(1.0)), (6.0, v(1.0)), (12.0, v(2.0)), (18.0, v(2.0))];
        let nocb = ParameterCourse::new(Carry::NextBackward, points.clone())?;
        assert_eq!(
            nocb.points().iter().map(|p| p.0).collect::<Vec<_>>(),
            [6.0, 18.0]
        );
        // NOCB: the values of the record at 12 h hold over (6, 12].
        assert_eq!(nocb.at(6.0)["CL"], 1.0);
        assert_eq!(nocb.at(6.5)["CL"], 2.0);
        assert_eq!(nocb.switch(1), Some((6.0, false)));
        let locf = ParameterCourse::new(Carry::LastForward, points)?;
        assert_eq!(
            locf.points().iter().map(|p| p.0).collect::<Vec<_>>(),
            [0.0, 12.0]
        );
        assert_eq!(locf.at(11.9)["CL"], 1.0);
        assert_eq!(locf.at(12.0)["CL"], 2.0);
        assert_eq!(locf.switch(1), Some((12.0, true)));
        assert_eq!(locf.at(-1.0)["CL"], 1.0);
        assert_eq!(nocb.at(100.0)["CL"], 2.0);
        Ok(())
    }

    #[test]
    fn two_values_at_one_time_or_times_out_of_order_are_errors() {
        let err = ParameterCourse::new(Carry::NextBackward, vec![(1.0, v(1.0)), (1.0, v(2.0))])
            .unwrap_err();
        assert!(err.to_string().contains("CL"), "{err}");
        let err = ParameterCourse::new(Carry::LastForward, vec![(2.0, v(1.0)), (1.0, v(2.0))])
            .unwrap_err();
        assert!(err.to_string().contains("time order"), "{err}");
        assert!(ParameterCourse::new(Carry::LastForward, Vec::new()).is_err());
        assert!(ParameterCourse::new(Carry::LastForward, vec![(f64::NAN, v(1.0))]).is_err());
    }
}
