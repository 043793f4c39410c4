//! The one error type of `pk_models`.

use ode_solvers::dop_shared::IntegrationError;

/// Everything that can go wrong while building a model or solving it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A model parameter is outside its allowed range (negative clearance, NaN volume, ...).
    #[error("parameter {name} = {value} is invalid: expected {expected}")]
    InvalidParameter {
        /// The parameter's name as the model documents it (e.g. `CL`).
        name: &'static str,
        /// The value given.
        value: f64,
        /// What was expected (e.g. "a finite number > 0").
        expected: &'static str,
    },
    /// A dose or record refers to a compartment the model does not have.
    #[error(
        "record at time {time} h names compartment {compartment} (1-based), but the model has {n_states}"
    )]
    UnknownCompartment {
        /// Record time (h).
        time: f64,
        /// The compartment number as given (1-based, NONMEM's CMT).
        compartment: usize,
        /// How many state slots the model has.
        n_states: usize,
    },
    /// A dose record is not valid under NONMEM's rules.
    #[error("dose at time {time} h: {field} = {value} is invalid: expected {expected}")]
    InvalidDose {
        /// Record time (h).
        time: f64,
        /// The field at fault (AMT, RATE, II, ADDL, SS, lag, bioavailability, ...).
        field: &'static str,
        /// The value given.
        value: f64,
        /// What was expected.
        expected: &'static str,
    },
    /// Records must be sorted by time within a subject.
    #[error(
        "record {index} at time {time} h comes after a record at {previous} h: records must be in time order"
    )]
    RecordsOutOfOrder {
        /// 0-based record index within the subject.
        index: usize,
        /// Its time (h).
        time: f64,
        /// The previous record's time (h).
        previous: f64,
    },
    /// The ODE solver gave up.
    #[error("ODE solver failed between {from} h and {to} h")]
    Integration {
        /// Start of the failed segment (h).
        from: f64,
        /// Intended end of the failed segment (h).
        to: f64,
        /// What the solver said.
        #[source]
        source: IntegrationError,
    },
    /// A state became NaN or infinite (parameters the model cannot take).
    #[error(
        "the state {slot} is {value} at {time} h: the model's parameters or doses give no finite \
         solution"
    )]
    NonFiniteState {
        /// Time (h).
        time: f64,
        /// The slot (from 0).
        slot: usize,
        /// The value.
        value: f64,
    },
    /// The steady-state iteration of a nonlinear model did not converge.
    #[error("steady state at time {time} h not reached after {iterations} dosing intervals")]
    SteadyStateNotReached {
        /// Record time (h).
        time: f64,
        /// Number of dosing intervals simulated.
        iterations: usize,
    },
    /// The linear steady-state system is singular: the model does not eliminate drug.
    #[error(
        "steady state at time {time} h does not exist: the model does not eliminate the dosed drug"
    )]
    SingularSteadyState {
        /// Record time (h).
        time: f64,
    },
    /// A value of a user-written model is out of range (a derived constant, an initial state,
    /// a dose input).
    #[error("{name} = {value}: expected {expected}")]
    InvalidValue {
        /// What the value is (e.g. `KE`, `f(depot)`).
        name: String,
        /// The value.
        value: f64,
        /// What was expected.
        expected: &'static str,
    },
    /// The parts of a user-written model disagree (a front end's mistake).
    #[error("the model's equations are inconsistent: {problem}")]
    InvalidEquations {
        /// What disagrees.
        problem: String,
    },
    /// A time series handed to an outcome evaluator is unusable (lengths differ, times not
    /// increasing, non-finite values, empty).
    #[error("time series for outcome {outcome} is invalid: {reason}")]
    InvalidSeries {
        /// The outcome being evaluated (e.g. `time in range`).
        outcome: &'static str,
        /// What is wrong with the series.
        reason: &'static str,
    },
    /// An outcome asks about a time outside the series it is evaluated on.
    #[error("outcome {outcome} needs time {time} h, outside the series ({first} h to {last} h)")]
    OutsideSeries {
        /// The outcome being evaluated.
        outcome: &'static str,
        /// The time asked for (h).
        time: f64,
        /// First time of the series (h).
        first: f64,
        /// Last time of the series (h).
        last: f64,
    },
    /// A probabilistic outcome was evaluated without the random draw it needs, or with one out of range.
    #[error("outcome {outcome} needs {draw}, got {value}")]
    InvalidDraw {
        /// The outcome being evaluated.
        outcome: &'static str,
        /// The draw it needs (e.g. "a uniform draw in (0, 1)").
        draw: &'static str,
        /// The value given (NaN when none was given).
        value: f64,
    },
}
