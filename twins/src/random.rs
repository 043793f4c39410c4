//! Per-twin random streams.
//!
//! Every twin draws from its own generator, keyed by
//! (scenario seed, replicate, cohort, twin index), and within a twin by
//! [`Purpose`], so that adding draws for one purpose (say, more residual-error
//! draws) never shifts another (covariates, genotypes, etas). No generator is
//! ever shared between twins: parallel iteration order is not fixed, a keyed
//! stream is.
//!
//! The key is mixed into a 256-bit ChaCha8 seed with SplitMix64 (Steele,
//! Lea & Flood 2014, "Fast splittable pseudorandom number generators"):
//! each field is xor-ed into the running state and passed through the
//! SplitMix64 finaliser, then four successive outputs make the seed.
//!
//! ```
//! use twins::random::{Purpose, TwinKey};
//! use rand::RngExt;
//!
//! let key = TwinKey { scenario_seed: 42, replicate: 0, cohort: 0, twin: 7 };
//! let a: f64 = key.stream(Purpose::Eta).random();
//! let b: f64 = key.stream(Purpose::Eta).random();
//! assert_eq!(a.to_bits(), b.to_bits());
//! ```

use rand::SeedableRng;
use serde::{Deserialize, Serialize};

/// The generator behind every stream: ChaCha with 8 rounds.
pub type TwinRng = rand::rngs::ChaCha8Rng;

/// What a stream is used for; each purpose has its own independent stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Purpose {
    /// Covariate sampling (weight, age, ...).
    Covariates,
    /// Diplotype sampling.
    Genotype,
    /// Between-subject random effects (eta).
    Eta,
    /// Inter-occasion random effects (kappa).
    Occasion,
    /// Residual (observation) error.
    Residual,
    /// Stochastic events in a scenario (missed doses, dropouts, ...).
    Events,
    /// Parameter uncertainty, drawn once per replicate.
    Uncertainty,
    /// Rates of change of time-varying covariates (a twin's weight loss per day, ...).
    CovariateCourse,
}

impl Purpose {
    /// A fixed tag per purpose; never renumber, or saved scenarios change.
    const fn tag(self) -> u64 {
        match self {
            Purpose::Covariates => 1,
            Purpose::Genotype => 2,
            Purpose::Eta => 3,
            Purpose::Occasion => 4,
            Purpose::Residual => 5,
            Purpose::Events => 6,
            Purpose::Uncertainty => 7,
            Purpose::CovariateCourse => 8,
        }
    }
}

/// Identifies one twin in one replicate of one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TwinKey {
    /// The scenario's seed.
    pub scenario_seed: u64,
    /// Replicate (trial repetition) index.
    pub replicate: u32,
    /// Cohort (arm) index.
    pub cohort: u32,
    /// Twin index within the cohort.
    pub twin: u32,
}

/// Domain tags so twin streams and replicate-level streams can never coincide.
const TWIN_DOMAIN: u64 = 0x7477_696e_5f6b_6579; // "twin_key"
const REPLICATE_DOMAIN: u64 = 0x7265_706c_6963_6174; // "replicat"

impl TwinKey {
    /// The twin's generator for `purpose`. Same key and purpose ⇒ same draws, bit for bit.
    pub fn stream(&self, purpose: Purpose) -> TwinRng {
        let mut state = splitmix64(self.scenario_seed ^ TWIN_DOMAIN);
        state = splitmix64(state ^ u64::from(self.replicate));
        state = splitmix64(state ^ u64::from(self.cohort));
        state = splitmix64(state ^ u64::from(self.twin));
        state = splitmix64(state ^ purpose.tag());
        seeded(state)
    }
}

/// A replicate-level stream (e.g. parameter uncertainty, drawn once per replicate, shared by
/// all twins of that replicate).
pub fn replicate_stream(scenario_seed: u64, replicate: u32, purpose: Purpose) -> TwinRng {
    let mut state = splitmix64(scenario_seed ^ REPLICATE_DOMAIN);
    state = splitmix64(state ^ u64::from(replicate));
    state = splitmix64(state ^ purpose.tag());
    seeded(state)
}

/// A generator seeded from a plain u64 (for utilities such as fold assignment).
pub fn stream_from_seed(seed: u64) -> TwinRng {
    seeded(splitmix64(seed))
}

fn seeded(mut state: u64) -> TwinRng {
    let mut seed = [0u8; 32];
    for chunk in seed.chunks_exact_mut(8) {
        state = splitmix64(state);
        chunk.copy_from_slice(&state.to_le_bytes());
    }
    TwinRng::from_seed(seed)
}

/// SplitMix64: add the golden-ratio increment, then the finaliser
/// z = (z ⊕ z≫30)·0xbf58476d1ce4e5b9; z = (z ⊕ z≫27)·0x94d049bb133111eb; z ⊕ z≫31.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn key(twin: u32) -> TwinKey {
        TwinKey {
            scenario_seed: 2024,
            replicate: 1,
            cohort: 2,
            twin,
        }
    }

    #[test]
    fn splitmix64_matches_reference_output() {
        // First outputs of the reference SplitMix64 generator seeded with 0
        // (Vigna's splitmix64.c): the generator adds the increment before mixing.
        assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn purposes_are_independent_streams() {
        let mut eta = key(0).stream(Purpose::Eta);
        let mut residual = key(0).stream(Purpose::Residual);
        assert_ne!(eta.next_u64(), residual.next_u64());
    }

    #[test]
    fn replicate_stream_differs_from_twin_stream() {
        let mut a = replicate_stream(2024, 1, Purpose::Uncertainty);
        let mut b = key(0).stream(Purpose::Uncertainty);
        assert_ne!(a.next_u64(), b.next_u64());
    }
}
