//! # twinsim-benches: benchmarks and the baselines they are measured against
//!
//! The criterion benchmarks live in `benches/` (run them with
//! `cargo bench -p twinsim-benches --bench pk_models`; `BENCHMARKS.md` at the workspace root has
//! the IDs, the machine and the numbers). This library holds what they share with the tests:
//! the benchmarked subjects and regimens, and hand-written reference implementations that do the
//! same work as `pk_models` with nothing in between.
//!
//! ## Quick start
//! ```
//! use twinsim_benches::baseline::{propagator, superposition};
//! use twinsim_benches::scenarios::{Grid, Oral1Cmt, Regimen};
//! let (model, regimen, grid) = (Oral1Cmt::BENCH, Regimen::Q12H_14D, Grid::HOURLY_14D);
//! let mut by_sum = vec![0.0; grid.n_points as usize];
//! let mut by_steps = vec![0.0; grid.n_points as usize];
//! superposition(&model, &regimen, &grid, &mut by_sum);
//! propagator(&model, &regimen, &grid, &mut by_steps);
//! // Concentration (mg/L) at 336 h, 12 h after the last dose, by two routes.
//! assert!((by_sum[336] - by_steps[336]).abs() < 1e-10 * by_sum[336]);
//! ```
//!
//! ## Where to start
//! | you want to | look at |
//! |---|---|
//! | the benchmarked subjects, regimens and output grids | [`scenarios`] |
//! | the hand-written closed-form sum and 2×2 propagator | [`baseline`] |
//! | that the allocation count does not grow with output points | `tests/allocations.rs` |

pub mod baseline;
pub mod scenarios;
pub mod w1;
pub mod w2;
