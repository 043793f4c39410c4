//! Text to syntax tree: the pest grammar (`grammar.pest`) and a Pratt parser for precedence.
//!
//! Precedence, lowest first: `or`; `and`; comparisons (`< <= > >= == !=`); `+ -`; `* /`;
//! prefix `-` and `not`; `^` (right-associative, so `-x^2` is `-(x^2)` and `2^3^2` is `2^9`).

use pest::Parser;
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest_derive::Parser;

use pk_models::equations::{Binary, Unary};

#[derive(Parser)]
#[grammar = "model_file/equations/grammar.pest"]
struct Grammar;

/// A place in the parsed text: line and column, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct At {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub column: usize,
}

/// An expression as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Ast {
    /// A number.
    Number(f64),
    /// A name, where it is written.
    Name(String, At),
    /// A function of one value.
    Unary(Unary, Box<Ast>),
    /// A function of two values.
    Binary(Binary, Box<Ast>, Box<Ast>),
    /// `if c then a else b`.
    If(Box<Ast>, Box<Ast>, Box<Ast>),
    /// `name(args)`.
    Call(String, At, Vec<Ast>),
}

/// What a dose-input statement sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoseKind {
    /// `alag(state)`, `lag(state)`: lag time (h).
    Lag,
    /// `f(state)`: bioavailability.
    Bioavailability,
    /// `rate(state)`: modelled rate (amount/h), for RATE = −1.
    Rate,
    /// `dur(state)`: modelled duration (h), for RATE = −2.
    Duration,
}

/// One statement, with the place of its left-hand side's name.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    /// `name = expr`.
    Assign(String, At, Ast),
    /// `d/dt(state) = expr`.
    Derivative(String, At, Ast),
    /// `state(0) = expr`.
    Initial(String, At, Ast),
    /// `f(state) = expr` and the like.
    DoseInput(DoseKind, String, At, Ast),
}

/// A syntax error: where, and what was expected.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    /// Where.
    pub at: At,
    /// What is wrong.
    pub message: String,
}

/// Parses the statements of `code`.
pub fn statements(code: &str) -> Result<Vec<Statement>, SyntaxError> {
    let mut pairs = Grammar::parse(Rule::code, code).map_err(syntax)?;
    check_numbers(pairs.clone())?;
    let pratt = pratt();
    let mut out = Vec::new();
    let statements = pairs.next().map(Pair::into_inner).into_iter().flatten();
    for pair in statements {
        let rule = pair.as_rule();
        if !matches!(
            rule,
            Rule::assignment | Rule::derivative | Rule::initial | Rule::dose_input
        ) {
            continue;
        }
        let mut inner = pair.into_inner();
        let (kind, name) = match rule {
            Rule::dose_input => {
                let kind = match inner.next().map(|p| p.as_str()) {
                    Some("f") => DoseKind::Bioavailability,
                    Some("rate") => DoseKind::Rate,
                    Some("dur") => DoseKind::Duration,
                    _ => DoseKind::Lag,
                };
                (Some(kind), inner.next())
            }
            _ => (None, inner.next()),
        };
        let (Some(name), Some(expr)) = (name, inner.next()) else {
            continue;
        };
        let at = at(&name);
        let name = name.as_str().to_owned();
        let expr = ast(expr, &pratt);
        out.push(match (rule, kind) {
            (Rule::derivative, _) => Statement::Derivative(name, at, expr),
            (Rule::initial, _) => Statement::Initial(name, at, expr),
            (_, Some(kind)) => Statement::DoseInput(kind, name, at, expr),
            _ => Statement::Assign(name, at, expr),
        });
    }
    Ok(out)
}

/// Parses one expression (an output).
pub fn expression(text: &str) -> Result<Ast, SyntaxError> {
    let mut pairs = Grammar::parse(Rule::expression, text).map_err(syntax)?;
    check_numbers(pairs.clone())?;
    let pratt = pratt();
    let expr = pairs
        .next()
        .and_then(|p| p.into_inner().next())
        .ok_or_else(|| SyntaxError {
            at: At { line: 1, column: 1 },
            message: "expected an expression".into(),
        })?;
    Ok(ast(expr, &pratt))
}

/// Every number written is a finite f64 (`1e400` is not).
fn check_numbers(pairs: pest::iterators::Pairs<'_, Rule>) -> Result<(), SyntaxError> {
    for p in pairs.flatten().filter(|p| p.as_rule() == Rule::number) {
        if !p.as_str().parse::<f64>().is_ok_and(f64::is_finite) {
            return Err(SyntaxError {
                at: at(&p),
                message: format!(
                    "the number {} is out of range: expected a finite number (at most about \
                     1.8e308)",
                    p.as_str()
                ),
            });
        }
    }
    Ok(())
}

fn pratt() -> PrattParser<Rule> {
    PrattParser::new()
        .op(Op::infix(Rule::or, Assoc::Left))
        .op(Op::infix(Rule::and, Assoc::Left))
        .op(Op::infix(Rule::lt, Assoc::Left)
            | Op::infix(Rule::le, Assoc::Left)
            | Op::infix(Rule::gt, Assoc::Left)
            | Op::infix(Rule::ge, Assoc::Left)
            | Op::infix(Rule::eq, Assoc::Left)
            | Op::infix(Rule::ne, Assoc::Left))
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left) | Op::infix(Rule::div, Assoc::Left))
        .op(Op::prefix(Rule::neg) | Op::prefix(Rule::not))
        .op(Op::infix(Rule::pow, Assoc::Right))
}

fn at(pair: &Pair<'_, Rule>) -> At {
    let (line, column) = pair.line_col();
    At { line, column }
}

fn ast(expr: Pair<'_, Rule>, pratt: &PrattParser<Rule>) -> Ast {
    pratt
        .map_primary(|p| primary(p, pratt))
        .map_prefix(|op, x| {
            let u = if op.as_rule() == Rule::not {
                Unary::Not
            } else {
                Unary::Neg
            };
            Ast::Unary(u, Box::new(x))
        })
        .map_infix(|a, op, b| {
            let op = match op.as_rule() {
                Rule::add => Binary::Add,
                Rule::sub => Binary::Sub,
                Rule::mul => Binary::Mul,
                Rule::div => Binary::Div,
                Rule::pow => Binary::Pow,
                Rule::lt => Binary::Lt,
                Rule::le => Binary::Le,
                Rule::gt => Binary::Gt,
                Rule::ge => Binary::Ge,
                Rule::eq => Binary::Eq,
                Rule::ne => Binary::Ne,
                Rule::and => Binary::And,
                _ => Binary::Or,
            };
            Ast::Binary(op, Box::new(a), Box::new(b))
        })
        .parse(expr.into_inner())
}

fn primary(p: Pair<'_, Rule>, pratt: &PrattParser<Rule>) -> Ast {
    match p.as_rule() {
        Rule::number => Ast::Number(p.as_str().parse().unwrap_or(f64::NAN)),
        Rule::name => Ast::Name(p.as_str().to_owned(), at(&p)),
        Rule::expr => ast(p, pratt),
        Rule::if_expr => {
            let mut parts = p
                .into_inner()
                .filter(|q| q.as_rule() == Rule::expr)
                .map(|q| Box::new(ast(q, pratt)));
            let mut next = || parts.next().unwrap_or(Box::new(Ast::Number(f64::NAN)));
            let (c, a, b) = (next(), next(), next());
            Ast::If(c, a, b)
        }
        Rule::call => {
            let mut inner = p.into_inner();
            let Some(name) = inner.next() else {
                return Ast::Number(f64::NAN);
            };
            let args = inner.map(|q| ast(q, pratt)).collect();
            Ast::Call(name.as_str().to_owned(), at(&name), args)
        }
        _ => Ast::Number(f64::NAN),
    }
}

fn syntax(e: pest::error::Error<Rule>) -> SyntaxError {
    use pest::error::{ErrorVariant, LineColLocation};
    let (line, column) = match e.line_col {
        LineColLocation::Pos(p) | LineColLocation::Span(p, _) => p,
    };
    let message = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut wanted: Vec<&str> = positives.iter().filter_map(|r| describe(*r)).collect();
            wanted.dedup();
            if wanted.is_empty() {
                "this is not a statement: write `name = expression`, `d/dt(state) = ...`, \
                 `state(0) = ...` or `f(state) = ...`"
                    .to_owned()
            } else {
                format!("expected {}", wanted.join(" or "))
            }
        }
        ErrorVariant::CustomError { message } => message.clone(),
    };
    SyntaxError {
        at: At { line, column },
        message,
    }
}

/// What a rule is, in a user's words.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::expr
        | Rule::number
        | Rule::name
        | Rule::call
        | Rule::if_expr
        | Rule::neg
        | Rule::not => "a value (a number, a name, `(`, `-` or `if`)",
        Rule::add | Rule::sub | Rule::mul | Rule::div | Rule::pow => "an operator",
        Rule::lt | Rule::le | Rule::gt | Rule::ge | Rule::eq | Rule::ne => "a comparison",
        Rule::and | Rule::or => "`and`, `or`",
        Rule::kw_then => "`then`",
        Rule::kw_else => "`else`",
        Rule::EOI => "the end of the statement",
        Rule::derivative | Rule::initial | Rule::dose_input | Rule::assignment => "a statement",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(x: f64) -> Box<Ast> {
        Box::new(Ast::Number(x))
    }

    #[test]
    fn power_binds_tighter_than_minus_and_is_right_associative() -> Result<(), SyntaxError> {
        let e = expression("-2^3^2")?;
        let want = Ast::Unary(
            Unary::Neg,
            Box::new(Ast::Binary(
                Binary::Pow,
                num(2.0),
                Box::new(Ast::Binary(Binary::Pow, num(3.0), num(2.0))),
            )),
        );
        assert_eq!(e, want);
        Ok(())
    }

    #[test]
    fn statements_of_every_kind_parse_with_their_lines() -> Result<(), SyntaxError> {
        let code = "KE = CL / V  # elimination\n\nd/dt(central) = -KE * central; central(0) = 0\nf(central) = if WT > 70 then 0.8 else 1\n";
        let s = statements(code)?;
        assert_eq!(s.len(), 4);
        assert!(matches!(&s[0], Statement::Assign(n, At { line: 1, column: 1 }, _) if n == "KE"));
        assert!(
            matches!(&s[1], Statement::Derivative(n, At { line: 3, column: 6 }, _) if n == "central")
        );
        assert!(matches!(&s[2], Statement::Initial(n, _, _) if n == "central"));
        assert!(matches!(
            &s[3],
            Statement::DoseInput(DoseKind::Bioavailability, n, At { line: 4, .. }, Ast::If(..)) if n == "central"
        ));
        Ok(())
    }

    #[test]
    fn a_missing_operand_is_reported_where_it_is_missing() {
        let err = statements("KE = CL /\nV = 2").unwrap_err();
        assert_eq!(
            err.at,
            At {
                line: 1,
                column: 10
            }
        );
        assert!(err.message.contains("a value"), "{}", err.message);
    }
}
