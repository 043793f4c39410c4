//! The driver: walks a subject's records in time order, applying doses with NONMEM's semantics and
//! advancing the state between events with either solution path.
//!
//! Event order at one time: doses that fall due at a record's time (ADDL, lagged doses, infusion
//! starts and ends) are applied before the record itself; the record's own dose is applied before
//! the state is reported, as NONMEM reports it.

mod propagate;
mod split;
mod steady_state;

use std::collections::VecDeque;

pub use propagate::{OdePropagator, Propagate, Propagator, SolutionPath, Tolerance};
pub use split::SplitPropagator;

use crate::Error;
use crate::dosing::{Delivery, Dose, Record, RecordKind, SteadyState};
use crate::model::Model;
use steady_state::Regimen;

/// Most virtual doses of a steady-state regimen still running or pending at the record's time.
const MAX_OVERLAPPING_DOSES: u32 = 100_000;

/// States after each record, row-major: `n_records × n_states`.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    n_states: usize,
    values: Vec<f64>,
}

impl Trajectory {
    /// An empty trajectory for `n_states` slots, with room for `capacity` records.
    pub fn with_capacity(n_states: usize, capacity: usize) -> Self {
        Self {
            n_states,
            values: Vec::with_capacity(n_states * capacity),
        }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.values.len() / self.n_states.max(1)
    }

    /// True when no record was simulated.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Number of state slots.
    pub fn n_states(&self) -> usize {
        self.n_states
    }

    /// The state after record `i`.
    pub fn state(&self, i: usize) -> &[f64] {
        &self.values[i * self.n_states..(i + 1) * self.n_states]
    }

    /// Appends a state.
    pub fn push(&mut self, state: &[f64]) {
        self.values.extend_from_slice(state);
    }

    /// Removes every state, keeping the allocation.
    pub fn clear(&mut self) {
        self.values.clear();
    }
}

/// Simulates a subject's records, returning the state after each.
///
/// ```
/// use pk_models::{simulate, Absorption, CompartmentModel, Disposition, Dose, Record, SolutionPath};
/// let model = CompartmentModel::new(Disposition::One { cl: 5.0, v: 50.0 }, Absorption::None, None)?;
/// let records = [Record::dose(0.0, Dose::bolus(0, 100.0)), Record::observation(10.0)];
/// let states = simulate(&model, &records, SolutionPath::Auto)?;
/// // C(10 h) = 100 mg / 50 L · exp(-0.1 · 10)
/// assert!((states.state(1)[0] / 50.0 - 2.0 * (-1.0f64).exp()).abs() < 1e-12);
/// # Ok::<(), pk_models::Error>(())
/// ```
pub fn simulate<M: Model + ?Sized>(
    model: &M,
    records: &[Record],
    path: SolutionPath,
) -> Result<Trajectory, Error> {
    let mut subject =
        Subject::with_initial_state(Propagator::new(model, path), model.initial_state());
    let mut out = Trajectory::with_capacity(model.n_states(), records.len());
    subject.run(records, &mut out)?;
    Ok(out)
}

/// Something that happens later: a lagged or additional bolus, or an infusion start. It is the
/// dose `index` of a series of `last + 1` falling at `first + k·interval` (ADDL: the next is
/// scheduled when this one starts, so a regimen of a billion doses takes no more memory than
/// one, and each time is computed as it always was, not summed up interval by interval).
#[derive(Debug, Clone, Copy)]
struct Pending {
    time: f64,
    order: u64,
    compartment: usize,
    delivery: Delivery,
    first: f64,
    index: u32,
    last: u32,
    interval: f64,
}

impl Pending {
    /// Whether `self` comes before `other`: earlier, or at the same time scheduled first.
    fn before(&self, other: &Self) -> bool {
        self.time
            .total_cmp(&other.time)
            .then(self.order.cmp(&other.order))
            .is_lt()
    }
}

/// An infusion in progress.
#[derive(Debug, Clone, Copy)]
struct Infusion {
    compartment: usize,
    rate: f64,
    end: f64,
}

/// One subject's state between records: amounts, infusions in progress, doses still to come.
#[derive(Debug, Clone)]
pub struct Subject<P> {
    propagator: P,
    time: f64,
    state: Vec<f64>,
    initial: Vec<f64>,
    rates: Vec<f64>,
    infusions: Vec<Infusion>,
    /// Sorted by time, then by scheduling order: doses mostly arrive in time order, so a new
    /// one usually goes at the back, and the next one is at the front.
    pending: VecDeque<Pending>,
    scheduled: u64,
    records_seen: usize,
}

impl<P: Propagate> Subject<P> {
    /// A subject with empty compartments at time 0.
    pub fn new(propagator: P, n_states: usize) -> Self {
        Self::with_initial_state(propagator, vec![0.0; n_states])
    }

    /// A subject starting from `initial` (e.g. [`Model::initial_state`]: a PD model's baseline),
    /// which a reset (EVID 3, 4) restores.
    pub fn with_initial_state(propagator: P, initial: Vec<f64>) -> Self {
        let n_states = initial.len();
        Self {
            propagator,
            time: f64::NEG_INFINITY,
            state: initial.clone(),
            initial,
            rates: vec![0.0; n_states],
            infusions: Vec::new(),
            pending: VecDeque::new(),
            scheduled: 0,
            records_seen: 0,
        }
    }

    /// The current state (amounts).
    pub fn state(&self) -> &[f64] {
        &self.state
    }

    /// Moves the state on with another propagator from now on (a model whose parameters
    /// changed: a covariate that changed at this time), keeping the amounts, the infusions in
    /// progress and the doses still to come. The initial state a reset returns to is kept.
    pub fn set_propagator(&mut self, propagator: P) {
        self.propagator = propagator;
    }

    /// The current time (h).
    pub fn time(&self) -> f64 {
        self.time
    }

    /// The zero-order inputs now (amount/h per slot): the infusions in progress.
    pub fn input_rates(&self) -> &[f64] {
        &self.rates
    }

    /// When the next event falls (h): a pending dose or the end of an infusion; infinity when
    /// none is due. Between now and then the inputs stay [`Subject::input_rates`].
    pub fn next_event_time(&self) -> f64 {
        let next_pending = self.pending.front().map_or(f64::INFINITY, |p| p.time);
        self.infusions
            .iter()
            .map(|i| i.end)
            .fold(next_pending, f64::min)
    }

    /// Takes `state` as this subject's state at `to` (h), integrated by the caller over a segment
    /// with no event (e.g. by a batched integrator with [`Subject::input_rates`]), then applies
    /// the events due at `to` itself.
    ///
    /// # Errors
    /// [`Error::InvalidDose`] (field `TIME`) when `to` is before the subject's time or past its
    /// next event, or when the subject has not started (no record yet): the caller's integration
    /// would have missed a dose.
    pub fn accept_advance(&mut self, to: f64, state: &[f64]) -> Result<(), Error> {
        if !(self.time.is_finite() && to >= self.time && to <= self.next_event_time()) {
            return Err(Error::InvalidDose {
                time: to,
                field: "TIME",
                value: to,
                expected: "a time from the subject's own to its next event (an advance by the \
                           caller may not cross an event)",
            });
        }
        self.state.copy_from_slice(state);
        self.time = to;
        self.advance_to(to)
    }

    /// Applies every record in order, pushing the state after each into `out`.
    pub fn run(&mut self, records: &[Record], out: &mut Trajectory) -> Result<(), Error> {
        for record in records {
            self.apply(record)?;
            out.push(&self.state);
        }
        Ok(())
    }

    /// Advances to the record's time and applies it.
    pub fn apply(&mut self, record: &Record) -> Result<(), Error> {
        let time = record.time;
        self.check_next_time(time)?;
        self.records_seen += 1;
        self.advance_to(time)?;
        match record.kind {
            RecordKind::Observation | RecordKind::Other => {}
            RecordKind::Dose(dose) => self.give(time, &dose)?,
            RecordKind::Reset => self.reset(),
            RecordKind::ResetAndDose(dose) => {
                self.reset();
                self.give(time, &dose)?;
            }
        }
        // The record's own doses due now (no lag) are in before the state is reported.
        self.advance_to(time)
    }

    /// EVID 3: return to the initial state (empty compartments, PD baseline), stop infusions,
    /// cancel pending doses.
    pub fn reset(&mut self) {
        self.state.copy_from_slice(&self.initial);
        self.infusions.clear();
        self.pending.clear();
        self.update_rates();
    }

    /// Advances to `target` (h), applying every event due at or before it.
    pub fn advance_to(&mut self, target: f64) -> Result<(), Error> {
        self.advance(target, true)
    }

    /// Advances to `target` (h), applying the events due before it but not those due at it: the
    /// state a sample drawn at `target` just before a dose given then would show (a trough).
    pub fn advance_until(&mut self, target: f64) -> Result<(), Error> {
        self.advance(target, false)
    }

    /// Gives a dose due at `time` (h), not before the subject's own time, without advancing: it
    /// waits with the other pending doses. Not for steady-state doses (those need the state at
    /// their time: use [`Subject::apply`]).
    ///
    /// # Errors
    /// [`Error::RecordsOutOfOrder`] when `time` is before the subject's time, [`Error::InvalidDose`]
    /// for a time that is not finite, a steady-state dose or an invalid one.
    pub fn give_later(&mut self, time: f64, dose: &Dose) -> Result<(), Error> {
        self.check_next_time(time)?;
        if dose.steady_state != SteadyState::No {
            return Err(Error::InvalidDose {
                time,
                field: "SS",
                value: 1.0,
                expected: "0 for a dose given ahead of time",
            });
        }
        self.records_seen += 1;
        self.give(time, dose)
    }

    /// A record's (or a dose's) time must be finite and not before the subject's.
    fn check_next_time(&self, time: f64) -> Result<(), Error> {
        if !time.is_finite() {
            return Err(Error::InvalidDose {
                time,
                field: "TIME",
                value: time,
                expected: "a finite number (h)",
            });
        }
        if time < self.time {
            return Err(Error::RecordsOutOfOrder {
                index: self.records_seen,
                time,
                previous: self.time,
            });
        }
        Ok(())
    }

    /// Advances to `target`, applying the events due before it, and at it when `inclusive`.
    fn advance(&mut self, target: f64, inclusive: bool) -> Result<(), Error> {
        if self.time == f64::NEG_INFINITY {
            // A subject starts at its first event, or at the first time asked of it.
            self.time = target.min(self.next_event_time());
        }
        loop {
            let next = self.next_event_time();
            if next > target || (next == target && !inclusive) {
                break;
            }
            self.integrate_to(next)?;
            self.infusions.retain(|i| i.end > next);
            while self.pending.front().is_some_and(|p| p.time <= next) {
                if let Some(event) = self.pending.pop_front() {
                    self.start(event.time, event.compartment, event.delivery);
                    if event.index < event.last {
                        self.schedule_at(Pending {
                            index: event.index + 1,
                            ..event
                        });
                    }
                }
            }
            self.update_rates();
        }
        self.integrate_to(target)
    }

    fn integrate_to(&mut self, to: f64) -> Result<(), Error> {
        if to > self.time {
            self.propagator
                .advance(self.time, to, &mut self.state, &self.rates)?;
            self.time = to;
        }
        Ok(())
    }

    fn update_rates(&mut self) {
        self.rates.fill(0.0);
        for infusion in &self.infusions {
            self.rates[infusion.compartment] += infusion.rate;
        }
    }

    /// A dose entering now: a bolus adds its amount, an infusion starts.
    fn start(&mut self, time: f64, compartment: usize, delivery: Delivery) {
        match delivery {
            Delivery::Bolus { amount } => self.state[compartment] += amount,
            Delivery::Infusion { rate, duration, .. } => {
                if duration > 0.0 {
                    self.infusions.push(Infusion {
                        compartment,
                        rate,
                        end: time + duration,
                    });
                }
            }
            Delivery::ConstantInfusion { rate } => {
                self.infusions.push(Infusion {
                    compartment,
                    rate,
                    end: f64::INFINITY,
                });
            }
        }
        self.update_rates();
    }

    fn schedule(&mut self, time: f64, compartment: usize, delivery: Delivery) {
        self.schedule_series(time, compartment, delivery, 0, 0.0);
    }

    /// Schedules a dose at `first` and `repeats` more every `interval` h, the next of which is
    /// scheduled when this one starts.
    fn schedule_series(
        &mut self,
        first: f64,
        compartment: usize,
        delivery: Delivery,
        repeats: u32,
        interval: f64,
    ) {
        self.schedule_at(Pending {
            time: first,
            order: 0,
            compartment,
            delivery,
            first,
            index: 0,
            last: repeats,
            interval,
        });
    }

    /// Schedules dose `event.index` of its series, at its time, after those already scheduled.
    fn schedule_at(&mut self, event: Pending) {
        self.scheduled += 1;
        let event = Pending {
            time: if event.index == 0 {
                event.first
            } else {
                event.first + f64::from(event.index) * event.interval
            },
            order: self.scheduled,
            ..event
        };
        if self.pending.back().is_none_or(|last| last.before(&event)) {
            self.pending.push_back(event);
        } else {
            let at = self.pending.partition_point(|p| p.before(&event));
            self.pending.insert(at, event);
        }
    }

    /// Gives a dose record at `time`: steady state first if asked, then the dose and its ADDL.
    fn give(&mut self, time: f64, dose: &Dose) -> Result<(), Error> {
        let n = self.state.len();
        if dose.compartment >= n {
            return Err(Error::UnknownCompartment {
                time,
                compartment: dose.compartment + 1,
                n_states: n,
            });
        }
        let delivery = dose.delivery(time)?;
        let lag = dose.inputs.lag;
        let ii = dose.interval;
        if dose.steady_state != SteadyState::No {
            let ss_state = match delivery {
                Delivery::ConstantInfusion { rate } => steady_state::constant_infusion(
                    &mut self.propagator,
                    &self.initial,
                    dose.compartment,
                    rate,
                    time,
                )?,
                _ => {
                    // Effective doses fall at time + lag − k·II; at `time` we are `phase` after the last.
                    let phase = (ii - lag % ii) % ii;
                    let regimen = Regimen {
                        compartment: dose.compartment,
                        delivery,
                        interval: ii,
                    };
                    regimen.state_at(&mut self.propagator, &self.initial, phase, time)?
                }
            };
            if dose.steady_state == SteadyState::Reset {
                self.reset();
                self.state.copy_from_slice(&ss_state);
            } else {
                // SS = 2 adds the regimen's departure from the initial state (0 for amounts; for a
                // PD state, its deviation from baseline), so a baseline is not counted twice.
                for ((x, s), s0) in self.state.iter_mut().zip(&ss_state).zip(&self.initial) {
                    *x += s - s0;
                }
            }
            self.continue_virtual_doses(time, dose.compartment, delivery, lag, ii)?;
        }
        if let Delivery::ConstantInfusion { .. } = delivery {
            // NONMEM 7.5 sets the steady state of the infusion but does not continue it past the
            // record (nmtests dosing scenario 29: the concentration falls from the record on).
            return Ok(());
        }
        self.schedule_series(time + lag, dose.compartment, delivery, dose.additional, ii);
        Ok(())
    }

    /// The steady-state regimen's earlier doses (at time + lag − k·II, k ≥ 1) that are still
    /// infusing at `time`, or have not yet entered because of the lag.
    fn continue_virtual_doses(
        &mut self,
        time: f64,
        compartment: usize,
        delivery: Delivery,
        lag: f64,
        ii: f64,
    ) -> Result<(), Error> {
        let duration = match delivery {
            Delivery::Bolus { .. } => 0.0,
            Delivery::Infusion { duration, .. } => duration,
            Delivery::ConstantInfusion { .. } => return Ok(()),
        };
        for k in 1..=MAX_OVERLAPPING_DOSES {
            let start = time + lag - f64::from(k) * ii;
            if start >= time {
                self.schedule(start, compartment, delivery);
            } else if start + duration > time {
                if let Delivery::Infusion { rate, .. } = delivery {
                    self.infusions.push(Infusion {
                        compartment,
                        rate,
                        end: start + duration,
                    });
                }
            } else {
                self.update_rates();
                return Ok(());
            }
        }
        Err(Error::InvalidDose {
            time,
            field: "II",
            value: ii,
            expected: "an interval long enough that fewer than 100000 doses overlap",
        })
    }
}
