//! Integration tests of Bayesian updating, forecasts, dose optimisation and the twin store,
//! one module per topic (in `tests/bayes/`). Each test names where its reference comes from.

#[path = "bayes/censoring.rs"]
mod censoring;
#[path = "bayes/dosing.rs"]
mod dosing;
#[path = "bayes/fixtures.rs"]
mod fixtures;
#[path = "bayes/linear.rs"]
mod linear;
#[path = "bayes/recovery.rs"]
mod recovery;
#[path = "bayes/sequential.rs"]
mod sequential;
#[path = "bayes/store.rs"]
mod store;
#[path = "bayes/theoph.rs"]
mod theoph;
