//! Models users write themselves: states, derivatives, dose inputs and outputs as expressions,
//! compiled once and evaluated for one twin or for many in lock-step lanes.
//!
//! A front end resolves names and hands over an [`EquationSpec`] in two stages, as NONMEM's
//! `$PK` and `$DES` are:
//! - the **individual** stage reads the parameters (and covariates) and computes values that do
//!   not change with time: derived constants (`KE = CL/V`), initial states, lag times,
//!   bioavailabilities, modelled rates and durations. It runs once per parameter set
//!   ([`EquationSystem::model`]).
//! - the **time** stage reads the individual stage's values (inputs first, then its values), the
//!   states and time `t` (h), and gives one derivative per state and the outputs. It runs at
//!   every step of the solver.
//!
//! [`linearity`] reads from the expressions whether the derivatives are linear in the states;
//! a linear model is then solved exactly (matrix exponential), and a model whose first states
//! form a linear system of their own has that part solved exactly and the rest by the ODE solver.
//!
//! ```
//! use std::sync::Arc;
//! use pk_models::equations::{Binary, EquationSpec, EquationSystem, Expr};
//! use pk_models::{Dose, Model, Record, SolutionPath, simulate};
//! // d/dt(central) = −(CL/V)·central, with CL = input 0 and V = input 1; output C = central/V.
//! let k = Expr::binary(Binary::Div, Expr::Input(0), Expr::Input(1));
//! let spec = EquationSpec {
//!     state_names: vec!["central".into()],
//!     input_names: vec!["CL".into(), "V".into()],
//!     individual: vec![("K".into(), k)],
//!     initial: vec![None],
//!     dose_inputs: vec![],
//!     locals: vec![],
//!     // Time-stage input 2 is the individual stage's first value, K.
//!     derivatives: vec![Expr::unary(pk_models::equations::Unary::Neg,
//!         Expr::binary(Binary::Mul, Expr::Input(2), Expr::State(0)))],
//!     outputs: vec![Expr::binary(Binary::Div, Expr::State(0), Expr::Input(1))],
//! };
//! let system = Arc::new(EquationSystem::new(spec)?);
//! let model = system.model(&[2.0, 20.0])?;
//! assert!(model.linear_system().is_some()); // solved exactly
//! let records = [Record::dose(0.0, Dose::bolus(0, 100.0)), Record::observation(10.0)];
//! let states = simulate(&model, &records, SolutionPath::Auto)?;
//! let mut c = [0.0];
//! model.outputs_into(10.0, states.state(1), &mut c);
//! // C(10 h) = 100/20 · exp(−0.1 · 10) mg/L.
//! assert!((c[0] - 5.0 * (-1.0f64).exp()).abs() < 1e-12);
//! # Ok::<(), pk_models::Error>(())
//! ```

mod expr;
mod lanes;
pub mod linearity;
mod tape;

use std::sync::Arc;

use nalgebra::DMatrix;

pub use expr::{Binary, Expr, Unary};
pub use lanes::EquationLanes;
pub use linearity::Linearity;
pub use tape::Tape;

use crate::linear::LinearSystem;
use crate::{DoseInputs, Error, MAX_RATE_CONSTANT, Model};
use tape::with_scratch;

/// Lag, bioavailability, modelled rate and duration of the doses into one state, as expressions
/// of the individual stage (none: no lag, F = 1, no modelled rate or duration).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DoseInputExprs {
    /// The dosed state slot.
    pub slot: usize,
    /// Lag time ALAG (h).
    pub lag: Option<Expr>,
    /// Bioavailability F (fraction).
    pub bioavailability: Option<Expr>,
    /// Modelled rate R (amount/h), for RATE = −1.
    pub modelled_rate: Option<Expr>,
    /// Modelled duration D (h), for RATE = −2.
    pub modelled_duration: Option<Expr>,
}

/// A user-written model as a front end hands it over, names resolved (see the module page).
#[derive(Debug, Clone, PartialEq)]
pub struct EquationSpec {
    /// State names, in slot order (CMT = slot + 1).
    pub state_names: Vec<String>,
    /// Names of the individual stage's inputs (parameters, covariates), for messages.
    pub input_names: Vec<String>,
    /// The individual stage's values, named: each reads the inputs ([`Expr::Input`]) and earlier
    /// values ([`Expr::Local`]).
    pub individual: Vec<(String, Expr)>,
    /// Each state's initial amount (an individual-stage expression), or none for 0.
    pub initial: Vec<Option<Expr>>,
    /// Dose inputs of the dosed states (individual-stage expressions).
    pub dose_inputs: Vec<DoseInputExprs>,
    /// The time stage's own values. In the time stage `Input(i)` is the individual stage's
    /// `i`-th value: the inputs first, then [`EquationSpec::individual`] in order.
    pub locals: Vec<Expr>,
    /// One derivative per state (amount/h), time stage.
    pub derivatives: Vec<Expr>,
    /// The outputs, time stage.
    pub outputs: Vec<Expr>,
}

/// A compiled user-written model, shared by every twin of it.
#[derive(Debug, Clone, PartialEq)]
pub struct EquationSystem {
    state_names: Vec<String>,
    input_names: Vec<String>,
    individual_names: Vec<String>,
    /// Values of the time stage computed once per twin, after the named ones (not checked
    /// for finiteness: an `if` may never take the branch that holds them).
    n_hoisted: usize,
    /// Inputs → [inputs, individual values, hoisted values, initial states, dose-input values].
    individual: Tape,
    /// Per dosed slot, where its four values sit among the individual tape's results.
    dose_inputs: Vec<(usize, [Option<usize>; 4])>,
    derivatives: Tape,
    outputs: Tape,
    linearity: Linearity,
}

impl EquationSystem {
    /// Compiles `spec` and analyses its linearity.
    ///
    /// # Errors
    /// The spec's parts disagree in size (a derivative missing for a state, a slot out of range).
    pub fn new(spec: EquationSpec) -> Result<Self, Error> {
        let n_states = spec.state_names.len();
        let n_inputs = spec.input_names.len();
        if spec.derivatives.len() != n_states || spec.initial.len() != n_states {
            return Err(Error::InvalidEquations {
                problem: format!(
                    "{} states, {} derivatives and {} initial values: one of each per state",
                    n_states,
                    spec.derivatives.len(),
                    spec.initial.len()
                ),
            });
        }
        // Parts of the time stage that read neither the states nor the time (`-VMAX`,
        // `CL / V`) are computed once per twin, as values after the individual stage's own.
        let mut individual_exprs: Vec<Expr> =
            spec.individual.iter().map(|(_, e)| e.clone()).collect();
        let n_named = individual_exprs.len();
        let kinds = linearity::local_kinds(&spec.locals);
        let mut hoisted = Vec::new();
        let mut lift = |e: &Expr| hoist(e, &kinds, n_inputs, n_inputs + n_named, &mut hoisted);
        let locals: Vec<Expr> = spec.locals.iter().map(&mut lift).collect();
        let derivatives: Vec<Expr> = spec.derivatives.iter().map(&mut lift).collect();
        let output_exprs: Vec<Expr> = spec.outputs.iter().map(&mut lift).collect();
        individual_exprs.extend(hoisted);
        let mut results: Vec<Expr> = (0..n_inputs).map(Expr::Input).collect();
        results.extend((0..individual_exprs.len()).map(Expr::Local));
        results.extend(
            spec.initial
                .iter()
                .map(|e| e.clone().unwrap_or(Expr::Number(0.0))),
        );
        let mut dose_inputs = Vec::new();
        for d in &spec.dose_inputs {
            if d.slot >= n_states {
                return Err(Error::InvalidEquations {
                    problem: format!("dose inputs of slot {} of {n_states}", d.slot),
                });
            }
            let mut at = [None; 4];
            for (k, e) in [
                &d.lag,
                &d.bioavailability,
                &d.modelled_rate,
                &d.modelled_duration,
            ]
            .into_iter()
            .enumerate()
            {
                if let Some(e) = e {
                    at[k] = Some(results.len());
                    results.push(e.clone());
                }
            }
            dose_inputs.push((d.slot, at));
        }
        let individual = Tape::compile(n_inputs, 0, &individual_exprs, &results);
        let n_time_inputs = n_inputs + individual_exprs.len();
        let linearity = linearity::analyse(&locals, &derivatives);
        let derivatives = Tape::compile(n_time_inputs, n_states, &locals, &derivatives);
        let outputs = Tape::compile(n_time_inputs, n_states, &locals, &output_exprs);
        Ok(Self {
            state_names: spec.state_names,
            input_names: spec.input_names,
            individual_names: spec.individual.into_iter().map(|(n, _)| n).collect(),
            n_hoisted: individual_exprs.len() - n_named,
            individual,
            dose_inputs,
            derivatives,
            outputs,
            linearity,
        })
    }

    /// State names in slot order.
    pub fn state_names(&self) -> &[String] {
        &self.state_names
    }

    /// Number of outputs.
    pub fn n_outputs(&self) -> usize {
        self.outputs.n_results()
    }

    /// How much of the model is linear (solved exactly).
    pub fn linearity(&self) -> Linearity {
        self.linearity
    }

    /// Instructions of the time stage's derivatives (per evaluation, per lane group).
    pub fn derivative_instructions(&self) -> usize {
        self.derivatives.len()
    }

    /// The individual stage's results for `inputs` (in [`EquationSpec::input_names`]' order).
    fn individual_values(&self, inputs: &[f64]) -> Result<Vec<f64>, Error> {
        if inputs.len() != self.input_names.len() {
            return Err(Error::InvalidEquations {
                problem: format!(
                    "{} input values for {} inputs ({})",
                    inputs.len(),
                    self.input_names.len(),
                    self.input_names.join(", ")
                ),
            });
        }
        let mut values = vec![0.0; self.individual.n_results()];
        self.individual.eval(inputs, &[], 0.0, &mut values);
        let names = self.input_names.iter().chain(&self.individual_names);
        for (name, &v) in names.zip(&values) {
            if !v.is_finite() {
                return Err(Error::InvalidValue {
                    name: name.clone(),
                    value: v,
                    expected: "a finite number (check the parameters it is computed from)",
                });
            }
        }
        Ok(values)
    }

    /// The dose inputs of each dosed slot for `inputs`.
    ///
    /// # Errors
    /// A value is not finite.
    pub fn dose_inputs(&self, inputs: &[f64]) -> Result<Vec<(usize, DoseInputs)>, Error> {
        let values = self.individual_values(inputs)?;
        self.dose_inputs_of(&values)
    }

    fn dose_inputs_of(&self, values: &[f64]) -> Result<Vec<(usize, DoseInputs)>, Error> {
        let mut out = Vec::with_capacity(self.dose_inputs.len());
        for &(slot, at) in &self.dose_inputs {
            let get = |k: usize| at[k].map(|i| values[i]);
            let name = |what: &str| format!("{what}({})", self.state_names[slot]);
            let mut inputs = DoseInputs::default();
            for (k, what) in ["alag", "f", "rate", "dur"].into_iter().enumerate() {
                let Some(v) = get(k) else { continue };
                let ok = if k < 2 { v >= 0.0 } else { v > 0.0 };
                if !(ok && v.is_finite()) {
                    return Err(Error::InvalidValue {
                        name: name(what),
                        value: v,
                        expected: if k < 2 {
                            "a finite value >= 0"
                        } else {
                            "a finite value > 0 (amount/h for a rate, h for a duration)"
                        },
                    });
                }
            }
            inputs.lag = get(0).unwrap_or(0.0);
            inputs.bioavailability = get(1).unwrap_or(1.0);
            inputs.modelled_rate = get(2);
            inputs.modelled_duration = get(3);
            out.push((slot, inputs));
        }
        Ok(out)
    }

    /// The model of one twin: `inputs` are the parameter (and covariate) values in
    /// [`EquationSpec::input_names`]' order.
    ///
    /// # Errors
    /// A derived value, an initial state or a dose input is not finite or out of range, or a
    /// linear model's rate constant is beyond [`MAX_RATE_CONSTANT`].
    pub fn model(self: &Arc<Self>, inputs: &[f64]) -> Result<EquationModel, Error> {
        let values = self.individual_values(inputs)?;
        let n_time_inputs = self.derivatives_inputs();
        let n_states = self.state_names.len();
        let initial = values[n_time_inputs..n_time_inputs + n_states].to_vec();
        for (name, &x) in self.state_names.iter().zip(&initial) {
            if !x.is_finite() {
                return Err(Error::InvalidValue {
                    name: format!("{name}(0)"),
                    value: x,
                    expected: "a finite initial value",
                });
            }
        }
        let dose = self.dose_inputs_of(&values)?;
        let mut model = EquationModel {
            system: Arc::clone(self),
            inputs: values[..n_time_inputs].to_vec(),
            initial,
            dose,
            linear: None,
            subsystem: None,
            stiffness: 0.0,
        };
        let k = match self.linearity {
            Linearity::Whole => n_states,
            Linearity::Prefix(k) => k,
            Linearity::None => 0,
        };
        if k > 0 {
            let system = model.linear_part(k)?;
            if k == n_states {
                model.linear = Some(system);
            } else {
                model.subsystem = Some(system);
            }
        }
        model.stiffness = model.diagonal_rate();
        Ok(model)
    }

    fn derivatives_inputs(&self) -> usize {
        self.input_names.len() + self.individual_names.len() + self.n_hoisted
    }
}

/// `e` with every largest part that reads neither the states nor the time (and is more than a
/// number or an input) replaced by the time-stage input of an individual-stage value, pushed to
/// `hoisted` (once per distinct part); `base` is the time-stage index of the first hoisted value.
fn hoist(
    e: &Expr,
    kinds: &[linearity::Kind],
    n_inputs: usize,
    base: usize,
    hoisted: &mut Vec<Expr>,
) -> Expr {
    let leaf = matches!(e, Expr::Number(_) | Expr::Input(_));
    if !leaf
        && linearity::kind(e, kinds) == linearity::Kind::Constant
        && let Some(individual) = to_individual(e, n_inputs)
    {
        let j = match hoisted.iter().position(|h| *h == individual) {
            Some(j) => j,
            None => {
                hoisted.push(individual);
                hoisted.len() - 1
            }
        };
        return Expr::Input(base + j);
    }
    let mut go = |x: &Expr| Box::new(hoist(x, kinds, n_inputs, base, hoisted));
    match e {
        Expr::Unary(u, x) => Expr::Unary(*u, go(x)),
        Expr::Binary(op, a, b) => {
            let a = go(a);
            Expr::Binary(*op, a, go(b))
        }
        Expr::If(c, a, b) => {
            let (c, a) = (go(c), go(a));
            Expr::If(c, a, go(b))
        }
        other => other.clone(),
    }
}

/// A time-stage expression free of states, time and time-stage values, in individual-stage
/// terms: time-stage input `i` is individual input `i` below `n_inputs`, else the individual
/// stage's value `i − n_inputs`. `None` when it reads anything else.
fn to_individual(e: &Expr, n_inputs: usize) -> Option<Expr> {
    Some(match e {
        Expr::Number(x) => Expr::Number(*x),
        Expr::Input(i) if *i < n_inputs => Expr::Input(*i),
        Expr::Input(i) => Expr::Local(i - n_inputs),
        Expr::State(_) | Expr::Time | Expr::Local(_) => return None,
        Expr::Unary(u, x) => Expr::unary(*u, to_individual(x, n_inputs)?),
        Expr::Binary(op, a, b) => Expr::binary(
            *op,
            to_individual(a, n_inputs)?,
            to_individual(b, n_inputs)?,
        ),
        Expr::If(c, a, b) => Expr::If(
            Box::new(to_individual(c, n_inputs)?),
            Box::new(to_individual(a, n_inputs)?),
            Box::new(to_individual(b, n_inputs)?),
        ),
    })
}

/// One twin of a user-written model: the compiled system and this twin's individual values.
#[derive(Debug, Clone, PartialEq)]
pub struct EquationModel {
    system: Arc<EquationSystem>,
    /// The time stage's inputs: the individual stage's values.
    inputs: Vec<f64>,
    initial: Vec<f64>,
    dose: Vec<(usize, DoseInputs)>,
    linear: Option<LinearSystem>,
    subsystem: Option<LinearSystem>,
    /// The fastest rate of the linearised system at the initial state (1/h), a sort key.
    stiffness: f64,
}

impl EquationModel {
    /// The compiled system.
    pub fn system(&self) -> &Arc<EquationSystem> {
        &self.system
    }

    /// The time stage's inputs (the individual stage's values).
    pub fn time_inputs(&self) -> &[f64] {
        &self.inputs
    }

    /// The dose inputs of each dosed slot.
    pub fn dose_inputs(&self) -> &[(usize, DoseInputs)] {
        &self.dose
    }

    /// The fastest rate of the linearised system at the initial state (1/h).
    pub fn stiffness(&self) -> f64 {
        self.stiffness
    }

    /// The outputs at `time` (h) in `state`, in the model's order.
    pub fn outputs_into(&self, time: f64, state: &[f64], out: &mut [f64]) {
        self.system.outputs.eval(&self.inputs, state, time, out);
    }

    /// `A` of the first `k` states, column by column from the right-hand side at unit states.
    fn linear_part(&self, k: usize) -> Result<LinearSystem, Error> {
        let n = self.n_states();
        let mut a = DMatrix::zeros(k, k);
        let (mut unit, mut column, zero) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        for j in 0..k {
            unit[j] = 1.0;
            self.rhs(0.0, &unit, &zero, &mut column);
            for i in 0..k {
                let a_ij = column[i];
                if !(a_ij.is_finite() && a_ij.abs() <= MAX_RATE_CONSTANT) {
                    return Err(Error::InvalidValue {
                        name: format!(
                            "the rate from {} to d/dt({})",
                            self.system.state_names[j], self.system.state_names[i]
                        ),
                        value: a_ij,
                        expected: "a finite rate constant within ±1e6 1/h",
                    });
                }
                a[(i, j)] = a_ij;
            }
            unit[j] = 0.0;
        }
        Ok(LinearSystem::new(a))
    }

    /// `max_i |∂f_i/∂x_i|` at the initial state, by a forward difference (1/h).
    fn diagonal_rate(&self) -> f64 {
        let n = self.n_states();
        let zero = vec![0.0; n];
        let mut x = self.initial.clone();
        let (mut f0, mut f1) = (vec![0.0; n], vec![0.0; n]);
        self.rhs(0.0, &x, &zero, &mut f0);
        let mut fastest: f64 = 0.0;
        for i in 0..n {
            let h = 1e-6 * x[i].abs().max(1.0);
            x[i] += h;
            self.rhs(0.0, &x, &zero, &mut f1);
            x[i] = self.initial[i];
            let rate = ((f1[i] - f0[i]) / h).abs();
            if rate.is_finite() {
                fastest = fastest.max(rate);
            }
        }
        fastest
    }
}

impl Model for EquationModel {
    fn n_states(&self) -> usize {
        self.system.state_names.len()
    }

    fn state_name(&self, index: usize) -> String {
        self.system.state_names[index].clone()
    }

    fn rhs(&self, time: f64, state: &[f64], rates: &[f64], d_state: &mut [f64]) {
        let tape = &self.system.derivatives;
        with_scratch::<1, _>(tape.n_registers(), |r| {
            for (k, &x) in self.inputs.iter().enumerate() {
                r[k] = [x];
            }
            for (k, &x) in state.iter().enumerate() {
                r[tape.state_register(k)] = [x];
            }
            r[tape.time_register()] = [time];
            tape.run(r);
            for (i, (d, &rate)) in d_state.iter_mut().zip(rates).enumerate() {
                *d = tape.result(r, i)[0] + rate;
            }
        });
    }

    fn linear_system(&self) -> Option<LinearSystem> {
        self.linear.clone()
    }

    fn linear_subsystem(&self) -> Option<LinearSystem> {
        self.subsystem.clone()
    }

    fn initial_state(&self) -> Vec<f64> {
        self.initial.clone()
    }

    fn reads_time(&self) -> bool {
        self.system.derivatives.reads_time()
    }
}
