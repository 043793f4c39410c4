//! Names to slots: a parsed program becomes a [`pk_models::equations::EquationSpec`] in two
//! stages (per twin, per step), with every mistake reported where it is written.

use std::collections::BTreeMap;
use std::sync::Arc;

use pk_models::equations::{Binary, DoseInputExprs, EquationSpec, EquationSystem, Expr, Unary};

use super::parse::{self, Ast, At, DoseKind, Statement};
use super::{Equations, EquationsFile};
use crate::names::hint;

/// Where in the model file an equations error is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// In the `code` text, at a line and column of it.
    Code(At),
    /// In output `index`'s `expression`, at a column of it.
    Output(usize, At),
    /// In the `states` list.
    States,
    /// In the `covariates` list.
    Covariates,
}

/// A mistake in the equations: where, and what.
#[derive(Debug, Clone, PartialEq)]
pub struct EquationError {
    /// Where.
    pub place: Place,
    /// What is wrong, and what was expected.
    pub message: String,
}

type Outcome<T> = std::result::Result<T, EquationError>;

/// What a name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ref {
    /// Input `i` (a parameter or a covariate).
    Input(usize),
    /// A per-twin quantity.
    Individual(usize),
    /// A per-step quantity.
    Timed(usize),
    State(usize),
    Time,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Individual,
    Timed,
}

const FUNCTIONS: [&str; 8] = ["exp", "log", "log10", "sqrt", "abs", "min", "max", "pow"];

struct Scope<'a> {
    names: BTreeMap<String, Ref>,
    n_inputs: usize,
    /// Names assigned anywhere in the code, with their lines (for "used before assigned").
    assigned_at: BTreeMap<&'a str, usize>,
}

/// Compiles the `equations` section: `parameters` are the model file's parameter names,
/// `outputs` each output's name and expression.
///
/// # Errors
/// A syntax error, an unknown name or function, a name assigned twice, a derivative of a state
/// that does not exist or missing for one that does, a per-twin value (an initial state, a dose
/// input) that reads the states or `t`.
///
/// `first_line` is the line of the file where the code's first line is, for messages that name
/// another line.
pub fn compile(
    file: &EquationsFile,
    parameters: &[String],
    outputs: &[(String, String)],
    first_line: usize,
) -> Outcome<Equations> {
    let states_error = |message: String| EquationError {
        place: Place::States,
        message,
    };
    let mut names: BTreeMap<String, Ref> = BTreeMap::new();
    let mut inputs: Vec<String> = Vec::new();
    for p in parameters {
        names.insert(p.clone(), Ref::Input(inputs.len()));
        inputs.push(p.clone());
    }
    for c in &file.covariates {
        if names.contains_key(c) || c == "t" || !is_identifier(c) {
            return Err(EquationError {
                place: Place::Covariates,
                message: format!(
                    "covariate `{c}` {}",
                    if is_identifier(c) {
                        "is already a parameter (or `t`): give each name one meaning"
                    } else {
                        "is not a name: letters, digits and `_`, starting with a letter"
                    }
                ),
            });
        }
        names.insert(c.clone(), Ref::Input(inputs.len()));
        inputs.push(c.clone());
    }
    if file.states.is_empty() && outputs.is_empty() {
        return Err(states_error(
            "the equations have no states and no outputs".into(),
        ));
    }
    for (i, s) in file.states.iter().enumerate() {
        if !is_identifier(s) || s == "t" || FUNCTIONS.contains(&s.as_str()) {
            return Err(states_error(format!(
                "state `{s}` is not a usable name: letters, digits and `_`, starting with a \
                 letter, and not `t` or a function"
            )));
        }
        if names.insert(s.clone(), Ref::State(i)).is_some() {
            return Err(states_error(format!(
                "state `{s}` is named twice, or is also a parameter or covariate: give each \
                 name one meaning"
            )));
        }
    }
    names.insert("t".into(), Ref::Time);
    let statements = parse::statements(&file.code).map_err(|e| EquationError {
        place: Place::Code(e.at),
        message: e.message,
    })?;
    let mut assigned_at = BTreeMap::new();
    for s in &statements {
        if let Statement::Assign(name, at, _) = s {
            assigned_at
                .entry(name.as_str())
                .or_insert(at.line + first_line - 1);
        }
    }
    let mut scope = Scope {
        names,
        n_inputs: inputs.len(),
        assigned_at,
    };
    let n_states = file.states.len();
    let mut individual: Vec<(String, Expr)> = Vec::new();
    let mut locals: Vec<Expr> = Vec::new();
    let mut derivatives: Vec<Option<Expr>> = vec![None; n_states];
    let mut initial: Vec<Option<Expr>> = vec![None; n_states];
    let mut doses: Vec<DoseInputExprs> = Vec::new();
    for statement in &statements {
        match statement {
            Statement::Assign(name, at, ast) => {
                if let Some(r) = scope.names.get(name) {
                    let what = match r {
                        Ref::Input(i) if *i < parameters.len() => "a parameter",
                        Ref::Input(_) => "a covariate",
                        Ref::State(_) => "a state",
                        Ref::Time => "the time",
                        _ => "assigned above",
                    };
                    return Err(scope.error(
                        *at,
                        format!(
                            "`{name}` is {what}: a name is assigned once (write cases with \
                             `if ... then ... else`, and give a derived quantity a name of its own)"
                        ),
                    ));
                }
                if FUNCTIONS.contains(&name.as_str()) {
                    return Err(
                        scope.error(*at, format!("`{name}` is a function, not a name to assign"))
                    );
                }
                let r = if scope.timed(ast)? {
                    locals.push(scope.resolve(ast, Stage::Timed)?);
                    Ref::Timed(locals.len() - 1)
                } else {
                    individual.push((name.clone(), scope.resolve(ast, Stage::Individual)?));
                    Ref::Individual(individual.len() - 1)
                };
                scope.names.insert(name.clone(), r);
            }
            Statement::Derivative(state, at, ast) => {
                let i = scope.state(state, *at, &file.states, "d/dt")?;
                if derivatives[i].is_some() {
                    return Err(scope.error(*at, format!("d/dt({state}) is written twice")));
                }
                derivatives[i] = Some(scope.resolve(ast, Stage::Timed)?);
            }
            Statement::Initial(state, at, ast) => {
                let i = scope.state(state, *at, &file.states, "the initial value")?;
                if initial[i].is_some() {
                    return Err(scope.error(*at, format!("{state}(0) is written twice")));
                }
                initial[i] = Some(scope.per_twin(ast, *at, &format!("{state}(0)"))?);
            }
            Statement::DoseInput(kind, state, at, ast) => {
                let (word, label) = match kind {
                    DoseKind::Lag => ("alag", "the lag time"),
                    DoseKind::Bioavailability => ("f", "the bioavailability"),
                    DoseKind::Rate => ("rate", "the modelled rate"),
                    DoseKind::Duration => ("dur", "the modelled duration"),
                };
                let slot = scope.state(state, *at, &file.states, label)?;
                let expr = scope.per_twin(ast, *at, &format!("{word}({state})"))?;
                let entry = match doses.iter().position(|d| d.slot == slot) {
                    Some(k) => &mut doses[k],
                    None => {
                        doses.push(DoseInputExprs {
                            slot,
                            ..DoseInputExprs::default()
                        });
                        let last = doses.len() - 1;
                        &mut doses[last]
                    }
                };
                let field = match kind {
                    DoseKind::Lag => &mut entry.lag,
                    DoseKind::Bioavailability => &mut entry.bioavailability,
                    DoseKind::Rate => &mut entry.modelled_rate,
                    DoseKind::Duration => &mut entry.modelled_duration,
                };
                if field.is_some() {
                    return Err(scope.error(*at, format!("{word}({state}) is written twice")));
                }
                *field = Some(expr);
            }
        }
    }
    let mut derivative_exprs = Vec::with_capacity(n_states);
    for (s, d) in file.states.iter().zip(derivatives) {
        derivative_exprs.push(d.ok_or_else(|| {
            states_error(format!(
                "state `{s}` has no derivative: write `d/dt({s}) = ...` in the code (`0` for a \
                 state only doses change)"
            ))
        })?);
    }
    // Outputs read names the code assigns anywhere: the code is complete by then.
    scope.assigned_at.clear();
    let mut output_exprs = Vec::with_capacity(outputs.len());
    for (k, (name, text)) in outputs.iter().enumerate() {
        let ast = parse::expression(text).map_err(|e| EquationError {
            place: Place::Output(k, e.at),
            message: format!("output {name}: {}", e.message),
        })?;
        let resolved = scope.resolve(&ast, Stage::Timed).map_err(|mut e| {
            if let Place::Code(at) = e.place {
                e.place = Place::Output(k, at);
            }
            e.message = format!("output {name}: {}", e.message);
            e
        })?;
        output_exprs.push(resolved);
    }
    let spec = EquationSpec {
        state_names: file.states.clone(),
        input_names: inputs.clone(),
        individual,
        initial,
        dose_inputs: doses,
        locals,
        derivatives: derivative_exprs,
        outputs: output_exprs,
    };
    let system = EquationSystem::new(spec).map_err(|e| EquationError {
        place: Place::States,
        message: e.to_string(),
    })?;
    Ok(Equations {
        system: Arc::new(system),
        inputs,
        covariates: file.covariates.clone(),
    })
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Scope<'_> {
    fn error(&self, at: At, message: String) -> EquationError {
        EquationError {
            place: Place::Code(at),
            message,
        }
    }

    /// The slot of `state`, or an error for a name that is not a state.
    fn state(&self, state: &str, at: At, states: &[String], what: &str) -> Outcome<usize> {
        match self.names.get(state) {
            Some(Ref::State(i)) => Ok(*i),
            _ => Err(self.error(
                at,
                format!(
                    "{what} of `{state}`: `{state}` is not a state{}",
                    hint(state, states.iter().map(String::as_str))
                ),
            )),
        }
    }

    /// A per-twin expression (an initial value, a dose input): one that reads no state and no `t`.
    fn per_twin(&self, ast: &Ast, at: At, what: &str) -> Outcome<Expr> {
        if self.timed(ast)? {
            return Err(self.error(
                at,
                format!(
                    "{what} reads a state or `t` (directly or through a quantity that does): \
                     it is computed once per twin, from parameters and covariates only"
                ),
            ));
        }
        self.resolve(ast, Stage::Individual)
    }

    /// Whether `ast` reads a state, `t` or a per-step quantity; unknown names are errors.
    fn timed(&self, ast: &Ast) -> Outcome<bool> {
        Ok(match ast {
            Ast::Number(_) => false,
            Ast::Name(n, at) => matches!(
                self.lookup(n, *at)?,
                Ref::State(_) | Ref::Time | Ref::Timed(_)
            ),
            Ast::Unary(_, x) => self.timed(x)?,
            Ast::Binary(_, a, b) => self.timed(a)? | self.timed(b)?,
            Ast::If(c, a, b) => self.timed(c)? | self.timed(a)? | self.timed(b)?,
            Ast::Call(_, _, args) => {
                let mut any = false;
                for a in args {
                    any |= self.timed(a)?;
                }
                any
            }
        })
    }

    fn lookup(&self, name: &str, at: At) -> Outcome<Ref> {
        if let Some(r) = self.names.get(name) {
            return Ok(*r);
        }
        if let Some(line) = self.assigned_at.get(name) {
            return Err(self.error(
                at,
                format!("`{name}` is read before it is assigned (on line {line}): assign it above"),
            ));
        }
        if FUNCTIONS.contains(&name) {
            return Err(self.error(at, format!("`{name}` is a function: write `{name}(...)`")));
        }
        Err(self.error(
            at,
            format!(
                "unknown name `{name}`{} (a covariate the code reads is declared under \
                 `covariates`)",
                hint(name, self.names.keys().map(String::as_str))
            ),
        ))
    }

    fn resolve(&self, ast: &Ast, stage: Stage) -> Outcome<Expr> {
        Ok(match ast {
            // The parser checked that every number is finite.
            Ast::Number(x) => Expr::Number(*x),
            Ast::Name(n, at) => match (self.lookup(n, *at)?, stage) {
                (Ref::Input(i), _) => Expr::Input(i),
                (Ref::Individual(j), Stage::Individual) => Expr::Local(j),
                (Ref::Individual(j), Stage::Timed) => Expr::Input(self.n_inputs + j),
                (Ref::Timed(k), Stage::Timed) => Expr::Local(k),
                (Ref::State(s), Stage::Timed) => Expr::State(s),
                (Ref::Time, Stage::Timed) => Expr::Time,
                (_, Stage::Individual) => {
                    return Err(self.error(
                        *at,
                        format!(
                            "`{n}` changes over time, but this value is computed once per twin"
                        ),
                    ));
                }
            },
            Ast::Unary(u, x) => Expr::unary(*u, self.resolve(x, stage)?),
            Ast::Binary(op, a, b) => {
                Expr::binary(*op, self.resolve(a, stage)?, self.resolve(b, stage)?)
            }
            Ast::If(c, a, b) => Expr::If(
                Box::new(self.resolve(c, stage)?),
                Box::new(self.resolve(a, stage)?),
                Box::new(self.resolve(b, stage)?),
            ),
            Ast::Call(name, at, args) => {
                let mut args: Vec<Expr> = args
                    .iter()
                    .map(|a| self.resolve(a, stage))
                    .collect::<Outcome<_>>()?;
                let unary = match name.as_str() {
                    "exp" => Some(Unary::Exp),
                    "log" => Some(Unary::Log),
                    "log10" => Some(Unary::Log10),
                    "sqrt" => Some(Unary::Sqrt),
                    "abs" => Some(Unary::Abs),
                    _ => None,
                };
                let arity = |want: &str| {
                    self.error(
                        *at,
                        format!("{name}() takes {want}, found {} arguments", args.len()),
                    )
                };
                if let Some(u) = unary {
                    if args.len() != 1 {
                        return Err(arity("one argument"));
                    }
                    return Ok(Expr::unary(u, args.remove(0)));
                }
                match name.as_str() {
                    "pow" => {
                        if args.len() != 2 {
                            return Err(arity("two arguments"));
                        }
                        let b = args.remove(1);
                        Expr::binary(Binary::Pow, args.remove(0), b)
                    }
                    "min" | "max" => {
                        if args.len() < 2 {
                            return Err(arity("two or more arguments"));
                        }
                        let op = if name == "min" {
                            Binary::Min
                        } else {
                            Binary::Max
                        };
                        let mut it = args.into_iter();
                        let first = it.next().unwrap_or(Expr::Number(f64::NAN));
                        it.fold(first, |acc, x| Expr::binary(op, acc, x))
                    }
                    _ => {
                        let what = if self.names.contains_key(name) {
                            format!(
                                "`{name}` is not a function; functions: {}",
                                FUNCTIONS.join(", ")
                            )
                        } else {
                            format!(
                                "unknown function `{name}`{}",
                                hint(name, FUNCTIONS.iter().copied())
                            )
                        };
                        return Err(self.error(*at, what));
                    }
                }
            }
        })
    }
}
