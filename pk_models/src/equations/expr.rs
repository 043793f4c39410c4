//! The expression tree of a user-written model, with every name resolved to a slot.
//!
//! A front end (the model file's `equations`, a NONMEM control stream) parses text and resolves
//! names; what reaches `pk_models` is this tree. It has no loops and no assignment: a program
//! is a list of values, each an [`Expr`] of earlier ones ([`Expr::Local`]).

/// One expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number.
    Number(f64),
    /// Input `i` of the program: in the individual stage a parameter (or covariate) value, in the
    /// time stage a value of the individual stage (see [`super::EquationSpec`]).
    Input(usize),
    /// State slot `i` (an amount, or a PD state in its own unit).
    State(usize),
    /// Time `t` (h).
    Time,
    /// Value `i` computed earlier in the same program.
    Local(usize),
    /// A function of one value.
    Unary(Unary, Box<Expr>),
    /// A function of two values (arithmetic, comparison, logic, `min`, `max`, `pow`).
    Binary(Binary, Box<Expr>, Box<Expr>),
    /// `if condition then a else b`: `a` where the condition is not 0, else `b`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
}

/// Functions of one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unary {
    /// `-x`.
    Neg,
    /// `not x`: 1 where `x` is 0, else 0.
    Not,
    /// `exp(x)`.
    Exp,
    /// Natural logarithm `log(x)`.
    Log,
    /// `log10(x)`.
    Log10,
    /// `sqrt(x)`.
    Sqrt,
    /// `abs(x)`.
    Abs,
}

/// Functions of two values. Comparisons and logic give 1 (true) or 0 (false).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Binary {
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`.
    Mul,
    /// `a / b`.
    Div,
    /// `a ^ b`, `pow(a, b)`.
    Pow,
    /// `min(a, b)`.
    Min,
    /// `max(a, b)`.
    Max,
    /// `a < b`.
    Lt,
    /// `a <= b`.
    Le,
    /// `a > b`.
    Gt,
    /// `a >= b`.
    Ge,
    /// `a == b`.
    Eq,
    /// `a != b`.
    Ne,
    /// `a and b`: both not 0.
    And,
    /// `a or b`: either not 0.
    Or,
}

impl Unary {
    /// The function's value at `x`.
    #[inline(always)]
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Self::Neg => -x,
            Self::Not => truth(x == 0.0),
            Self::Exp => x.exp(),
            Self::Log => x.ln(),
            Self::Log10 => x.log10(),
            Self::Sqrt => x.sqrt(),
            Self::Abs => x.abs(),
        }
    }
}

impl Binary {
    /// The function's value at `(a, b)`.
    #[inline(always)]
    pub fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Self::Add => a + b,
            Self::Sub => a - b,
            Self::Mul => a * b,
            Self::Div => a / b,
            Self::Pow => a.powf(b),
            Self::Min => a.min(b),
            Self::Max => a.max(b),
            Self::Lt => truth(a < b),
            Self::Le => truth(a <= b),
            Self::Gt => truth(a > b),
            Self::Ge => truth(a >= b),
            Self::Eq => truth(a == b),
            Self::Ne => truth(a != b),
            Self::And => truth(a != 0.0 && b != 0.0),
            Self::Or => truth(a != 0.0 || b != 0.0),
        }
    }
}

/// 1 for true, 0 for false.
#[inline(always)]
fn truth(b: bool) -> f64 {
    if b { 1.0 } else { 0.0 }
}

impl Expr {
    /// `op(a, b)`.
    pub fn binary(op: Binary, a: Expr, b: Expr) -> Self {
        Self::Binary(op, Box::new(a), Box::new(b))
    }

    /// `op(x)`.
    pub fn unary(op: Unary, x: Expr) -> Self {
        Self::Unary(op, Box::new(x))
    }

    /// Calls `f` on this expression and every expression inside it.
    pub fn visit(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        match self {
            Self::Unary(_, x) => x.visit(f),
            Self::Binary(_, a, b) => {
                a.visit(f);
                b.visit(f);
            }
            Self::If(c, a, b) => {
                c.visit(f);
                a.visit(f);
                b.visit(f);
            }
            Self::Number(_) | Self::Input(_) | Self::State(_) | Self::Time | Self::Local(_) => {}
        }
    }
}
