//! Which derivatives are linear in the states, read from the expressions themselves.
//!
//! A derivative is *linear* when it is `Σ c_j · state_j` with every `c_j` free of the states and
//! of time: sums and differences of linear terms, a linear term times or over a constant, and
//! `if` on a constant condition between linear branches. Anything else (a product of states,
//! a function of a state, a term with `t`, a constant term such as a zero-order production) is
//! *nonlinear* here. Over linear derivatives `A`'s column `j` is the right-hand side at the unit
//! state `e_j`, exactly.

use super::expr::{Binary, Expr};

/// What an expression is, as a function of the states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free of the states and of time.
    Constant,
    /// `Σ c_j · state_j` with constant `c_j` (no constant term).
    Linear,
    /// Anything else.
    Nonlinear,
}

/// The kind of `e`, given the kinds of the locals it may read.
pub fn kind(e: &Expr, locals: &[Kind]) -> Kind {
    use Kind::{Constant, Linear, Nonlinear};
    match e {
        Expr::Number(_) | Expr::Input(_) => Constant,
        Expr::State(_) => Linear,
        Expr::Time => Nonlinear,
        Expr::Local(i) => locals[*i],
        Expr::Unary(super::Unary::Neg, x) => kind(x, locals),
        Expr::Unary(_, x) => match kind(x, locals) {
            Constant => Constant,
            _ => Nonlinear,
        },
        Expr::Binary(op, a, b) => {
            let (a, b) = (kind(a, locals), kind(b, locals));
            match (op, a, b) {
                (_, Constant, Constant) => Constant,
                (_, Nonlinear, _) | (_, _, Nonlinear) => Nonlinear,
                (Binary::Add | Binary::Sub, Linear, Linear) => Linear,
                (Binary::Mul, Linear, Constant) | (Binary::Mul, Constant, Linear) => Linear,
                (Binary::Div, Linear, Constant) => Linear,
                _ => Nonlinear,
            }
        }
        Expr::If(c, a, b) => match (kind(c, locals), kind(a, locals), kind(b, locals)) {
            (Constant, Constant, Constant) => Constant,
            (Constant, Linear, Linear) => Linear,
            _ => Nonlinear,
        },
    }
}

/// The kinds of a program's locals, in order.
pub fn local_kinds(locals: &[Expr]) -> Vec<Kind> {
    let mut kinds = Vec::with_capacity(locals.len());
    for l in locals {
        let k = kind(l, &kinds);
        kinds.push(k);
    }
    kinds
}

/// The states `e` reads (directly or through locals), as a mask over `n_states`.
pub fn reads(e: &Expr, local_reads: &[Vec<bool>], n_states: usize) -> Vec<bool> {
    let mut mask = vec![false; n_states];
    e.visit(&mut |x| match x {
        Expr::State(i) => mask[*i] = true,
        Expr::Local(i) => {
            for (m, &r) in mask.iter_mut().zip(&local_reads[*i]) {
                *m |= r;
            }
        }
        _ => {}
    });
    mask
}

/// How much of a system of derivatives is linear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linearity {
    /// Every derivative: the whole model has an exact solution.
    Whole,
    /// The first `k` states form a linear system of their own (no other state feeds them):
    /// those are solved exactly, the rest by the ODE solver.
    Prefix(usize),
    /// No linear part the exact path can use.
    None,
}

/// Analyses `derivatives` (one per state, over `locals`).
pub fn analyse(locals: &[Expr], derivatives: &[Expr]) -> Linearity {
    let n = derivatives.len();
    if n == 0 {
        return Linearity::None;
    }
    let kinds = local_kinds(locals);
    let mut local_reads: Vec<Vec<bool>> = Vec::with_capacity(locals.len());
    for l in locals {
        let r = reads(l, &local_reads, n);
        local_reads.push(r);
    }
    let linear: Vec<bool> = derivatives
        .iter()
        .map(|d| kind(d, &kinds) == Kind::Linear || is_zero(d))
        .collect();
    if linear.iter().all(|&l| l) {
        return Linearity::Whole;
    }
    let masks: Vec<Vec<bool>> = derivatives
        .iter()
        .map(|d| reads(d, &local_reads, n))
        .collect();
    for k in (1..n).rev() {
        let closed = (0..k).all(|i| linear[i] && masks[i][k..].iter().all(|&r| !r));
        if closed {
            return Linearity::Prefix(k);
        }
    }
    Linearity::None
}

/// `d/dt(x) = 0`: a state that only doses change (linear, with a zero row).
fn is_zero(e: &Expr) -> bool {
    matches!(e, Expr::Number(x) if *x == 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::equations::Unary;

    fn mul(a: Expr, b: Expr) -> Expr {
        Expr::binary(Binary::Mul, a, b)
    }

    #[test]
    fn first_order_absorption_is_linear_and_michaelis_menten_is_not() {
        // depot' = −KA·depot; central' = KA·depot − CL/V·central
        let oral = [
            Expr::unary(Unary::Neg, mul(Expr::Input(0), Expr::State(0))),
            Expr::binary(
                Binary::Sub,
                mul(Expr::Input(0), Expr::State(0)),
                mul(Expr::Local(0), Expr::State(1)),
            ),
        ];
        let k = [Expr::binary(Binary::Div, Expr::Input(1), Expr::Input(2))];
        assert_eq!(analyse(&k, &oral), Linearity::Whole);
        // Add an effect state driven by C/(EC50 + C): nonlinear, but the PK is a closed prefix.
        let c = Expr::binary(Binary::Div, Expr::State(1), Expr::Input(2));
        let effect = Expr::binary(
            Binary::Div,
            c.clone(),
            Expr::binary(Binary::Add, Expr::Input(3), c),
        );
        let pkpd = [oral[0].clone(), oral[1].clone(), effect];
        assert_eq!(analyse(&k, &pkpd), Linearity::Prefix(2));
        // Time in a coefficient: not time-invariant, so not for the exact path.
        let timed = [mul(Expr::Time, Expr::State(0))];
        assert_eq!(analyse(&[], &timed), Linearity::None);
        // A zero-order production term is affine, not linear.
        let turnover = [Expr::binary(
            Binary::Sub,
            Expr::Input(0),
            mul(Expr::Input(1), Expr::State(0)),
        )];
        assert_eq!(analyse(&[], &turnover), Linearity::None);
    }
}
