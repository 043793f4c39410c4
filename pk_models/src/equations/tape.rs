//! A program compiled once into a flat list of instructions over registers of `L` lanes.
//!
//! Registers are laid out as `[inputs | states | time | constants and values]`; every
//! instruction writes a register of its own above the ones it reads (single assignment), so an
//! evaluation is one pass with no allocation, and each instruction is one loop over the lanes that
//! the compiler vectorises. With `L = 1` the same tape serves one twin.
//!
//! Why an interpreter and not native code: the cost of dispatching an instruction is paid once
//! for all `L` lanes, so at 16 lanes it is small beside the arithmetic, and no code generator
//! (and no `unsafe`) is needed. BENCHMARKS.md compares a model written as equations with the same
//! model built in.

use std::cell::RefCell;
use std::collections::HashMap;

use super::expr::{Binary, Expr, Unary};

/// One instruction: `dst = op(a, b, c)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Op {
    Unary(Unary),
    Binary(Binary),
    /// `c != 0 ? a : b` with the condition in `c`.
    Select,
    /// `a · a`: `x ^ 2`.
    Square,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Instr {
    op: Op,
    dst: u32,
    a: u32,
    b: u32,
    c: u32,
}

/// A compiled program: inputs and states in, results out.
#[derive(Debug, Clone, PartialEq)]
pub struct Tape {
    n_inputs: usize,
    n_states: usize,
    /// `(register, value)` of each constant.
    constants: Vec<(u32, f64)>,
    code: Vec<Instr>,
    /// The register of each result.
    results: Vec<u32>,
    n_registers: usize,
}

impl Tape {
    /// Whether the program reads the time.
    pub fn reads_time(&self) -> bool {
        let t = (self.n_inputs + self.n_states) as u32;
        self.results.contains(&t)
            || self.code.iter().any(|i| {
                i.a == t
                    || (matches!(i.op, Op::Binary(_) | Op::Select) && i.b == t)
                    || (i.op == Op::Select && i.c == t)
            })
    }

    /// Compiles `locals` (each may read earlier ones) and `results` over `n_inputs` inputs and
    /// `n_states` states. Locals no result needs are left out; numbers are folded.
    pub fn compile(n_inputs: usize, n_states: usize, locals: &[Expr], results: &[Expr]) -> Self {
        let mut used = vec![false; locals.len()];
        let mut mark = |e: &Expr| {
            if let Expr::Local(i) = e {
                used[*i] = true;
            }
        };
        for r in results {
            r.visit(&mut mark);
        }
        // A local reads only earlier ones: walk back so that a used local marks its inputs.
        for i in (0..locals.len()).rev() {
            if used[i] {
                locals[i].visit(&mut |e| {
                    if let Expr::Local(j) = e {
                        used[*j] = true;
                    }
                });
            }
        }
        let mut builder = Builder {
            tape: Self {
                n_inputs,
                n_states,
                constants: Vec::new(),
                code: Vec::new(),
                results: Vec::new(),
                n_registers: n_inputs + n_states + 1,
            },
            locals: vec![Value::Register(u32::MAX); locals.len()],
            seen: HashMap::new(),
        };
        for (i, local) in locals.iter().enumerate() {
            if used[i] {
                builder.locals[i] = builder.value(local);
            }
        }
        let results: Vec<u32> = results
            .iter()
            .map(|r| {
                let v = builder.value(r);
                builder.register(v)
            })
            .collect();
        builder.tape.results = results;
        builder.tape
    }

    /// Registers an evaluation needs.
    pub fn n_registers(&self) -> usize {
        self.n_registers
    }

    /// Number of results.
    pub fn n_results(&self) -> usize {
        self.results.len()
    }

    /// Instructions per evaluation (constants and loads not counted).
    pub fn len(&self) -> usize {
        self.code.len()
    }

    /// Whether the program computes nothing (every result is an input, a state or a number).
    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// Evaluates the program over `L` lanes in `registers` (at least [`Tape::n_registers`]),
    /// whose first `n_inputs + n_states + 1` hold the inputs, the states and the time.
    #[inline]
    pub fn run<const L: usize>(&self, registers: &mut [[f64; L]]) {
        for &(r, v) in &self.constants {
            registers[r as usize] = [v; L];
        }
        for ins in &self.code {
            let (lo, hi) = registers.split_at_mut(ins.dst as usize);
            let out = &mut hi[0];
            let a = &lo[ins.a as usize];
            match ins.op {
                Op::Square => {
                    for l in 0..L {
                        out[l] = a[l] * a[l];
                    }
                }
                Op::Unary(u) => lanes_unary(u, a, out),
                Op::Binary(b) => lanes_binary(b, a, &lo[ins.b as usize], out),
                Op::Select => {
                    let (b, c) = (&lo[ins.b as usize], &lo[ins.c as usize]);
                    for l in 0..L {
                        out[l] = if c[l] != 0.0 { a[l] } else { b[l] };
                    }
                }
            }
        }
    }

    /// Result `i` after [`Tape::run`].
    #[inline]
    pub fn result<'r, const L: usize>(&self, registers: &'r [[f64; L]], i: usize) -> &'r [f64; L] {
        &registers[self.results[i] as usize]
    }

    /// The register of state `i`.
    pub fn state_register(&self, i: usize) -> usize {
        self.n_inputs + i
    }

    /// The register of the time.
    pub fn time_register(&self) -> usize {
        self.n_inputs + self.n_states
    }

    /// Evaluates for one twin: `inputs`, `states` and `time` in, each result to `out`.
    pub fn eval(&self, inputs: &[f64], states: &[f64], time: f64, out: &mut [f64]) {
        with_scratch::<1, _>(self.n_registers, |r| {
            for (k, &x) in inputs.iter().enumerate() {
                r[k] = [x];
            }
            for (k, &x) in states.iter().enumerate() {
                r[self.n_inputs + k] = [x];
            }
            r[self.time_register()] = [time];
            self.run(r);
            for (o, &reg) in out.iter_mut().zip(&self.results) {
                *o = r[reg as usize][0];
            }
        });
    }
}

#[inline(always)]
fn lanes_unary<const L: usize>(u: Unary, a: &[f64; L], out: &mut [f64; L]) {
    macro_rules! each {
        ($f:expr) => {
            for l in 0..L {
                out[l] = $f(a[l]);
            }
        };
    }
    match u {
        Unary::Neg => each!(|x: f64| -x),
        Unary::Exp => each!(f64::exp),
        Unary::Log => each!(f64::ln),
        Unary::Abs => each!(f64::abs),
        Unary::Sqrt => each!(f64::sqrt),
        other => each!(|x| other.apply(x)),
    }
}

#[inline(always)]
fn lanes_binary<const L: usize>(op: Binary, a: &[f64; L], b: &[f64; L], out: &mut [f64; L]) {
    macro_rules! each {
        ($f:expr) => {
            for l in 0..L {
                out[l] = $f(a[l], b[l]);
            }
        };
    }
    match op {
        Binary::Add => each!(|x: f64, y: f64| x + y),
        Binary::Sub => each!(|x: f64, y: f64| x - y),
        Binary::Mul => each!(|x: f64, y: f64| x * y),
        Binary::Div => each!(|x: f64, y: f64| x / y),
        other => each!(|x, y| other.apply(x, y)),
    }
}

/// A value while compiling: a number not yet placed, or a register.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value {
    Number(f64),
    Register(u32),
}

struct Builder {
    tape: Tape,
    locals: Vec<Value>,
    /// Instructions emitted so far, by operation and operands: a repeated one is not emitted
    /// again (`K12 * central` in two derivatives is computed once).
    seen: HashMap<(Op, u32, u32, u32), u32>,
}

impl Builder {
    fn fresh(&mut self) -> u32 {
        let r = self.tape.n_registers as u32;
        self.tape.n_registers += 1;
        r
    }

    fn register(&mut self, v: Value) -> u32 {
        match v {
            Value::Register(r) => r,
            Value::Number(x) => {
                if let Some(&(r, _)) = self
                    .tape
                    .constants
                    .iter()
                    .find(|(_, c)| c.to_bits() == x.to_bits())
                {
                    return r;
                }
                let r = self.fresh();
                self.tape.constants.push((r, x));
                r
            }
        }
    }

    fn emit(&mut self, op: Op, a: u32, b: u32, c: u32) -> Value {
        if let Some(&dst) = self.seen.get(&(op, a, b, c)) {
            return Value::Register(dst);
        }
        let dst = self.fresh();
        self.tape.code.push(Instr { op, dst, a, b, c });
        self.seen.insert((op, a, b, c), dst);
        Value::Register(dst)
    }

    fn value(&mut self, e: &Expr) -> Value {
        match e {
            Expr::Number(x) => Value::Number(*x),
            Expr::Input(i) => Value::Register(*i as u32),
            Expr::State(i) => Value::Register((self.tape.n_inputs + i) as u32),
            Expr::Time => Value::Register((self.tape.n_inputs + self.tape.n_states) as u32),
            Expr::Local(i) => self.locals[*i],
            Expr::Unary(u, x) => match self.value(x) {
                Value::Number(x) => Value::Number(u.apply(x)),
                Value::Register(r) => self.emit(Op::Unary(*u), r, 0, 0),
            },
            Expr::Binary(op, a, b) => {
                let (a, b) = (self.value(a), self.value(b));
                match (a, b) {
                    (Value::Number(a), Value::Number(b)) => Value::Number(op.apply(a, b)),
                    (Value::Register(a), Value::Number(2.0)) if *op == Binary::Pow => {
                        self.emit(Op::Square, a, 0, 0)
                    }
                    _ => {
                        let (a, b) = (self.register(a), self.register(b));
                        self.emit(Op::Binary(*op), a, b, 0)
                    }
                }
            }
            Expr::If(c, a, b) => {
                let c = self.value(c);
                if let Value::Number(c) = c {
                    return if c != 0.0 {
                        self.value(a)
                    } else {
                        self.value(b)
                    };
                }
                let (a, b) = (self.value(a), self.value(b));
                let (a, b, c) = (self.register(a), self.register(b), self.register(c));
                self.emit(Op::Select, a, b, c)
            }
        }
    }
}

thread_local! {
    /// Registers for evaluations on this thread (grown, never shrunk).
    static SCRATCH: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` on `n` registers of `L` lanes from this thread's scratch space.
pub(crate) fn with_scratch<const L: usize, R>(n: usize, f: impl FnOnce(&mut [[f64; L]]) -> R) -> R {
    SCRATCH.with_borrow_mut(|v| {
        if v.len() < n * L {
            v.resize(n * L, 0.0);
        }
        let (registers, _) = v[..n * L].as_chunks_mut::<L>();
        f(registers)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(i: usize) -> Expr {
        Expr::Input(i)
    }

    #[test]
    fn tape_evaluates_like_the_tree_in_every_lane() {
        // r0 = KA·depot − (CL/V)·central, with KA = in0, CL = in1, V = in2; r1 = if t > 2 then 1 else 0.
        let k = Expr::binary(Binary::Div, input(1), input(2));
        let r0 = Expr::binary(
            Binary::Sub,
            Expr::binary(Binary::Mul, input(0), Expr::State(0)),
            Expr::binary(Binary::Mul, Expr::Local(0), Expr::State(1)),
        );
        let r1 = Expr::If(
            Box::new(Expr::binary(Binary::Gt, Expr::Time, Expr::Number(2.0))),
            Box::new(Expr::Number(1.0)),
            Box::new(Expr::Number(0.0)),
        );
        let tape = Tape::compile(3, 2, &[k], &[r0, r1]);
        let mut regs = vec![[0.0; 2]; tape.n_registers()];
        regs[0] = [1.5, 2.0];
        regs[1] = [1.0, 3.0];
        regs[2] = [20.0, 30.0];
        regs[tape.state_register(0)] = [100.0, 50.0];
        regs[tape.state_register(1)] = [10.0, 5.0];
        regs[tape.time_register()] = [3.0, 3.0];
        tape.run(&mut regs);
        let r = tape.result(&regs, 0);
        assert_eq!(r[0], 1.5 * 100.0 - (1.0 / 20.0) * 10.0);
        assert_eq!(r[1], 2.0 * 50.0 - (3.0 / 30.0) * 5.0);
        assert_eq!(tape.result(&regs, 1), &[1.0, 1.0]);
    }

    #[test]
    fn a_repeated_operation_is_computed_once() {
        let k12a = Expr::binary(Binary::Mul, input(0), Expr::State(0));
        let tape = Tape::compile(1, 1, &[], &[k12a.clone(), Expr::unary(Unary::Neg, k12a)]);
        assert_eq!(tape.len(), 2);
        let mut out = [0.0; 2];
        tape.eval(&[0.5], &[4.0], 0.0, &mut out);
        assert_eq!(out, [2.0, -2.0]);
    }

    #[test]
    fn numbers_fold_and_unused_locals_are_left_out() {
        let two = Expr::binary(Binary::Add, Expr::Number(1.0), Expr::Number(1.0));
        let unused = Expr::unary(Unary::Exp, Expr::State(0));
        let tape = Tape::compile(
            0,
            1,
            &[unused],
            &[Expr::binary(Binary::Mul, two, Expr::State(0))],
        );
        assert_eq!(tape.len(), 1);
        let mut out = [0.0];
        tape.eval(&[], &[4.0], 0.0, &mut out);
        assert_eq!(out[0], 8.0);
    }
}
