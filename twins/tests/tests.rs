//! Integration tests of `twins`, one module per topic.

mod common;
mod determinism;
mod files;
mod recovery;
mod sampling;
mod timing;
