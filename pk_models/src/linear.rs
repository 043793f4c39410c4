//! Exact solutions of linear models: `dx/dt = A·x + r`, with `r` constant over each step.
//!
//! Over a step of length `h` with constant input `r`:
//! `x(t + h) = Φ(h)·x(t) + Γ(h)·r`, where `Φ(h) = exp(A·h)` and `Γ(h) = ∫₀ʰ exp(A·s) ds`.
//! Both come from one matrix exponential of the augmented matrix
//! `exp([[A, I], [0, 0]]·h) = [[Φ, Γ], [0, I]]` (Van Loan 1978), so no inverse of `A` is needed
//! and singular `A` (no elimination) is fine.

use nalgebra::DMatrix;

/// A linear system `dx/dt = A·x + r` (units of A: 1/h).
#[derive(Debug, Clone, PartialEq)]
pub struct LinearSystem {
    a: DMatrix<f64>,
}

impl LinearSystem {
    /// Wraps the square matrix `A`.
    pub fn new(a: DMatrix<f64>) -> Self {
        assert!(a.is_square(), "A must be square");
        Self { a }
    }

    /// The matrix `A` (1/h).
    pub fn matrix(&self) -> &DMatrix<f64> {
        &self.a
    }

    /// Number of states.
    pub fn dim(&self) -> usize {
        self.a.nrows()
    }

    /// `Φ(h)` and `Γ(h)` for a step of `h` hours, row-major.
    pub fn step(&self, h: f64) -> StepMatrices {
        let n = self.dim();
        let mut augmented = DMatrix::zeros(2 * n, 2 * n);
        augmented.view_mut((0, 0), (n, n)).copy_from(&(&self.a * h));
        for i in 0..n {
            augmented[(i, n + i)] = h;
        }
        let e = augmented.exp();
        let mut phi = vec![0.0; n * n];
        let mut gamma = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                phi[i * n + j] = e[(i, j)];
                gamma[i * n + j] = e[(i, n + j)];
            }
        }
        StepMatrices { h, n, phi, gamma }
    }
}

/// `Φ(h)` and `Γ(h)` of one step length, row-major `n × n`.
#[derive(Debug, Clone, PartialEq)]
pub struct StepMatrices {
    h: f64,
    n: usize,
    phi: Vec<f64>,
    gamma: Vec<f64>,
}

impl StepMatrices {
    /// `x ← Φ·x + Γ·r`, using `scratch` (length n) so nothing is allocated.
    pub fn apply(&self, x: &mut [f64], rates: &[f64], scratch: &mut [f64]) {
        match self.n {
            1 => self.apply_fixed::<1>(x, rates),
            2 => self.apply_fixed::<2>(x, rates),
            3 => self.apply_fixed::<3>(x, rates),
            4 => self.apply_fixed::<4>(x, rates),
            _ => self.apply_any(x, rates, scratch),
        }
    }

    /// [`StepMatrices::apply`] for `N` states on the stack: the same sums in the same order (so
    /// the same bits), without a call to copy `N` numbers back.
    fn apply_fixed<const N: usize>(&self, x: &mut [f64], rates: &[f64]) {
        let with_input = rates.iter().any(|&r| r != 0.0);
        let old: [f64; N] = std::array::from_fn(|j| x[j]);
        for (i, out) in x.iter_mut().enumerate().take(N) {
            let row = &self.phi[i * N..(i + 1) * N];
            // Σ_j Φ_ij·x_j, summed as `Iterator::sum` does: from −0, left to right.
            let mut acc = -0.0;
            for (p, xj) in row.iter().zip(&old) {
                acc += p * xj;
            }
            if with_input {
                let g = &self.gamma[i * N..(i + 1) * N];
                let mut input = -0.0;
                for (g, r) in g.iter().zip(rates) {
                    input += g * r;
                }
                acc += input;
            }
            *out = acc;
        }
    }

    /// [`StepMatrices::apply`] for any number of states.
    fn apply_any(&self, x: &mut [f64], rates: &[f64], scratch: &mut [f64]) {
        let n = self.n;
        let with_input = rates.iter().any(|&r| r != 0.0);
        for (i, out) in scratch.iter_mut().enumerate().take(n) {
            let row = &self.phi[i * n..(i + 1) * n];
            let mut acc: f64 = row.iter().zip(x.iter()).map(|(p, xj)| p * xj).sum();
            if with_input {
                let g = &self.gamma[i * n..(i + 1) * n];
                acc += g.iter().zip(rates).map(|(g, r)| g * r).sum::<f64>();
            }
            *out = acc;
        }
        x[..n].copy_from_slice(&scratch[..n]);
    }

    /// The step length (h).
    pub fn h(&self) -> f64 {
        self.h
    }
}

/// Low mantissa bits ignored when matching a cached step length: step lengths that differ by
/// less than 2⁻⁴⁰ ≈ 1e-12 relative (times like 0.1·j, whose differences are not exactly 0.1)
/// share one Φ, at an error of order 1e-12·k·h, far below the solution's own rounding.
const STEP_KEY_SHIFT: u32 = 12;

/// Whether two step lengths share a cached Φ.
fn same_step(a: f64, b: f64) -> bool {
    a.to_bits() >> STEP_KEY_SHIFT == b.to_bits() >> STEP_KEY_SHIFT
}

/// How many step lengths an [`ExactPropagator`] remembers.
const CACHE_CAPACITY: usize = 32;

/// Propagates a linear system exactly, caching `Φ` and `Γ` per distinct step length.
#[derive(Debug, Clone)]
pub struct ExactPropagator {
    system: LinearSystem,
    cache: Vec<StepMatrices>,
    next_evict: usize,
    scratch: Vec<f64>,
}

impl ExactPropagator {
    /// A propagator with an empty cache.
    pub fn new(system: LinearSystem) -> Self {
        let n = system.dim();
        Self {
            system,
            cache: Vec::with_capacity(CACHE_CAPACITY),
            next_evict: 0,
            scratch: vec![0.0; n],
        }
    }

    /// The system being propagated.
    pub fn system(&self) -> &LinearSystem {
        &self.system
    }

    /// Advances `x` by `h` hours with constant input `rates` (amount/h per slot).
    pub fn advance(&mut self, x: &mut [f64], h: f64, rates: &[f64]) {
        if h == 0.0 {
            return;
        }
        let slot = match self.cache.iter().position(|s| same_step(s.h, h)) {
            Some(i) => i,
            None => {
                let step = self.system.step(h);
                if self.cache.len() < CACHE_CAPACITY {
                    self.cache.push(step);
                    self.cache.len() - 1
                } else {
                    let i = self.next_evict;
                    self.cache[i] = step;
                    self.next_evict = (i + 1) % CACHE_CAPACITY;
                    i
                }
            }
        };
        self.cache[slot].apply(x, rates, &mut self.scratch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One compartment, k = 0.1 1/h, infusion r: x(h) = x0·e^(-kh) + r/k·(1 - e^(-kh)).
    #[test]
    fn one_compartment_step_matches_closed_form() {
        let k = 0.1;
        let mut prop = ExactPropagator::new(LinearSystem::new(DMatrix::from_element(1, 1, -k)));
        let mut x = [5.0];
        prop.advance(&mut x, 3.0, &[2.0]);
        let expected = 5.0 * (-k * 3.0f64).exp() + 2.0 / k * (1.0 - (-k * 3.0f64).exp());
        assert!((x[0] - expected).abs() < 1e-13 * expected);
    }

    /// With A = 0 (no elimination), Γ(h) = h·I: the infused amount accumulates linearly.
    #[test]
    fn singular_system_accumulates_infusion() {
        let mut prop = ExactPropagator::new(LinearSystem::new(DMatrix::zeros(2, 2)));
        let mut x = [1.0, 0.0];
        prop.advance(&mut x, 4.0, &[0.5, 2.0]);
        assert!((x[0] - 3.0).abs() < 1e-14 && (x[1] - 8.0).abs() < 1e-14);
    }
}
