//! How a covariate that changes between records is read: the rule [`crate::course`] applies to
//! the parameters computed from it.

use serde::{Deserialize, Serialize};

/// How values known at record times are read between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Carry {
    /// Last observation carried forward: on [tᵢ, tᵢ₊₁) the value recorded at tᵢ applies.
    LastForward,
    /// Next observation carried backward (NONMEM's default for covariates on data records):
    /// on (tᵢ₋₁, tᵢ] the value recorded at tᵢ applies.
    NextBackward,
}
