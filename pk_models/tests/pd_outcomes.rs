//! Integration tests of the PD models and outcome definitions: each against an independent
//! computation (closed forms, invariants, a second solver at tight tolerance, published values).

#[path = "pd_outcomes/common.rs"]
mod common;
#[path = "pd_outcomes/direct.rs"]
mod direct;
#[path = "pd_outcomes/friberg.rs"]
mod friberg;
#[path = "pd_outcomes/hamberg.rs"]
mod hamberg;
#[path = "pd_outcomes/indirect.rs"]
mod indirect;
#[path = "pd_outcomes/outcomes.rs"]
mod outcomes;
#[path = "pd_outcomes/split.rs"]
mod split;
