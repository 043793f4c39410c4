//! Batched models: workload W2's two compartments with Michaelis–Menten elimination, and a linear
//! one-compartment model with an exact solution for tests.
//!
//! Units: amounts in mg, volumes in L, rates in mg/h, rate constants in 1/h, times in h.

use super::{BatchModel, Lanes};

/// State slot of the central compartment (NONMEM CMT 1).
const CENTRAL: usize = 0;
/// State slot of the peripheral compartment (CMT 2) of [`MmTwoCompartment`].
const PERIPHERAL: usize = 1;

/// One twin of [`MmTwoCompartment`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MmParams {
    /// Maximum elimination rate VMAX (mg/h).
    pub vmax: f64,
    /// Concentration at half the maximum rate KM (mg/L).
    pub km: f64,
    /// Central volume V1 (L).
    pub v1: f64,
    /// Central to peripheral rate constant k12 (1/h).
    pub k12: f64,
    /// Peripheral to central rate constant k21 (1/h).
    pub k21: f64,
}

impl MmParams {
    /// Workload W2's typical twin: VMAX = 10 mg/h, KM = 2 mg/L, V1 = 20 L, k12 = 0.5, k21 = 0.25 1/h.
    pub const W2: Self = Self {
        vmax: 10.0,
        km: 2.0,
        v1: 20.0,
        k12: 0.5,
        k21: 0.25,
    };
}

/// Two compartments with Michaelis–Menten elimination from the central one, `L` twins at once:
///
/// `dA1/dt = −VMAX·C1/(KM + C1) − k12·A1 + k21·A2`, `dA2/dt = k12·A1 − k21·A2`, `C1 = A1/V1`.
///
/// The same model as `CompartmentModel` with `Disposition::Two { cl: 0, v1, q: k12·V1, v2: q/k21 }`
/// and `MichaelisMenten { vmax, km }`. Observed: `C1` (mg/L).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MmTwoCompartment<const L: usize> {
    /// VMAX (mg/h) per lane.
    vmax: [f64; L],
    /// KM·V1 (mg): the central amount at half the maximum rate, per lane.
    km_amount: [f64; L],
    /// 1/V1 (1/L) per lane.
    inv_v1: [f64; L],
    /// k12 (1/h) per lane.
    k12: [f64; L],
    /// k21 (1/h) per lane.
    k21: [f64; L],
}

impl<const L: usize> BatchModel<2, L> for MmTwoCompartment<L> {
    type Params = MmParams;

    fn splat(p: &MmParams) -> Self {
        Self {
            vmax: [p.vmax; L],
            km_amount: [p.km * p.v1; L],
            inv_v1: [1.0 / p.v1; L],
            k12: [p.k12; L],
            k21: [p.k21; L],
        }
    }

    fn set_lane(&mut self, lane: usize, p: &MmParams) {
        self.vmax[lane] = p.vmax;
        self.km_amount[lane] = p.km * p.v1;
        self.inv_v1[lane] = 1.0 / p.v1;
        self.k12[lane] = p.k12;
        self.k21[lane] = p.k21;
    }

    fn rhs(&self, _time: f64, state: &Lanes<2, L>, d_state: &mut Lanes<2, L>) {
        let (a1, a2) = (&state[CENTRAL], &state[PERIPHERAL]);
        for l in 0..L {
            // VMAX·C1/(KM + C1) = VMAX·A1/(KM·V1 + A1)  (mg/h)
            let elimination = self.vmax[l] * a1[l] / (self.km_amount[l] + a1[l]);
            // k12·A1 − k21·A2  (mg/h)
            let distribution = self.k12[l] * a1[l] - self.k21[l] * a2[l];
            d_state[CENTRAL][l] = -elimination - distribution;
            d_state[PERIPHERAL][l] = distribution;
        }
    }

    fn observe(&self, _time: f64, state: &Lanes<2, L>, out: &mut [f64; L]) {
        for l in 0..L {
            out[l] = state[CENTRAL][l] * self.inv_v1[l];
        }
    }

    /// `VMAX/(KM·V1)` (1/h): the elimination rate constant at low concentration, where it is fastest.
    fn stiffness(p: &MmParams) -> f64 {
        p.vmax / (p.km * p.v1)
    }
}

/// One twin of [`LinearOneCompartment`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearParams {
    /// Clearance CL (L/h).
    pub cl: f64,
    /// Volume V (L).
    pub v: f64,
}

/// One compartment with linear elimination, `L` twins at once: `dA/dt = −(CL/V)·A`.
/// Observed: `C = A/V` (mg/L).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinearOneCompartment<const L: usize> {
    /// k = CL/V (1/h) per lane.
    k: [f64; L],
    /// 1/V (1/L) per lane.
    inv_v: [f64; L],
}

impl<const L: usize> BatchModel<1, L> for LinearOneCompartment<L> {
    type Params = LinearParams;

    fn splat(p: &LinearParams) -> Self {
        Self {
            k: [p.cl / p.v; L],
            inv_v: [1.0 / p.v; L],
        }
    }

    fn set_lane(&mut self, lane: usize, p: &LinearParams) {
        self.k[lane] = p.cl / p.v;
        self.inv_v[lane] = 1.0 / p.v;
    }

    fn rhs(&self, _time: f64, state: &Lanes<1, L>, d_state: &mut Lanes<1, L>) {
        for l in 0..L {
            // dA/dt = −k·A  (mg/h)
            d_state[CENTRAL][l] = -self.k[l] * state[CENTRAL][l];
        }
    }

    fn observe(&self, _time: f64, state: &Lanes<1, L>, out: &mut [f64; L]) {
        for l in 0..L {
            out[l] = state[CENTRAL][l] * self.inv_v[l];
        }
    }

    /// `CL/V` (1/h).
    fn stiffness(p: &LinearParams) -> f64 {
        p.cl / p.v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The batched right-hand side is the formula, lane by lane, for different parameters.
    #[test]
    fn mm_rhs_matches_the_formula_per_lane() {
        let mut model = MmTwoCompartment::<4>::splat(&MmParams::W2);
        let other = MmParams {
            vmax: 7.0,
            km: 3.0,
            v1: 12.0,
            k12: 0.4,
            k21: 0.1,
        };
        model.set_lane(2, &other);
        let state = [[100.0, 50.0, 80.0, 0.0], [10.0, 20.0, 30.0, 5.0]];
        let mut d = [[0.0; 4]; 2];
        model.rhs(0.0, &state, &mut d);
        for l in 0..4 {
            let p = if l == 2 { other } else { MmParams::W2 };
            let (a1, a2) = (state[0][l], state[1][l]);
            let c1 = a1 / p.v1;
            let d1 = -p.vmax * c1 / (p.km + c1) - p.k12 * a1 + p.k21 * a2;
            let d2 = p.k12 * a1 - p.k21 * a2;
            assert!(
                (d[0][l] - d1).abs() <= 1e-14 * d1.abs().max(1.0),
                "lane {l}"
            );
            assert!(
                (d[1][l] - d2).abs() <= 1e-14 * d2.abs().max(1.0),
                "lane {l}"
            );
        }
    }
}
