//! Any [`CompartmentModel`] of `N` state slots as a batched model: its linear part as a dense
//! `N × N` matrix per lane, plus saturable elimination from the central compartment and the
//! zero-order inputs (infusions) of the current segment.
//!
//! `dA/dt = K·A + r − e_c·VMAX·A_c/(KM·V_c + A_c)` (mg/h), where `K` is the model's
//! [`CompartmentModel::linear_part`] (1/h), `r` the infusion rates (mg/h) and `c` the central slot.

use super::{BatchModel, Lanes};
use crate::Model;
use crate::models::CompartmentModel;

/// One twin of [`CompartmentLanes`]: its compartment model, reduced to numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompartmentParams<const N: usize> {
    /// `K[i][j]` (1/h): the linear part of the right-hand side, row `i`, column `j`.
    pub linear: [[f64; N]; N],
    /// The central compartment's slot.
    pub central: usize,
    /// 1/V_c (1/L): central concentration per amount.
    pub inv_central_volume: f64,
    /// VMAX (mg/h); 0 without saturable elimination.
    pub vmax: f64,
    /// KM·V_c (mg): the central amount at half the maximum rate (1 when VMAX is 0).
    pub km_amount: f64,
}

impl<const N: usize> CompartmentParams<N> {
    /// The numbers of `model`, or `None` when it has other than `N` state slots.
    pub fn from_model(model: &CompartmentModel) -> Option<Self> {
        if model.n_states() != N {
            return None;
        }
        // Column j of K is the linear right-hand side at the unit state e_j, with no input.
        let mut linear = [[0.0; N]; N];
        let (mut unit, mut column) = ([0.0; N], [0.0; N]);
        for j in 0..N {
            unit[j] = 1.0;
            model.linear_rhs(0.0, &unit, &[0.0; N], &mut column);
            for (row, &k_ij) in linear.iter_mut().zip(&column) {
                row[j] = k_ij;
            }
            unit[j] = 0.0;
        }
        let central = model.layout().central;
        let volume = model.volume(central)?;
        let (vmax, km_amount) = model
            .saturable()
            .map_or((0.0, 1.0), |mm| (mm.vmax, mm.km * volume));
        Some(Self {
            linear,
            central,
            inv_central_volume: 1.0 / volume,
            vmax,
            km_amount,
        })
    }
}

/// `L` compartment models of `N` slots with the same central slot, one per lane. Observed: the
/// central concentration (mg/L).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompartmentLanes<const N: usize, const L: usize> {
    /// `K[i][j]` per lane (1/h).
    linear: [[[f64; L]; N]; N],
    /// Zero-order inputs per slot and lane (mg/h), constant over a segment.
    rates: Lanes<N, L>,
    /// The central slot (the same in every lane).
    central: usize,
    /// 1/V_c per lane (1/L).
    inv_central_volume: [f64; L],
    /// VMAX per lane (mg/h).
    vmax: [f64; L],
    /// KM·V_c per lane (mg).
    km_amount: [f64; L],
}

impl<const N: usize, const L: usize> CompartmentLanes<N, L> {
    /// Sets lane `lane`'s zero-order inputs (mg/h per slot) for the next segment.
    pub fn set_rates(&mut self, lane: usize, rates: &[f64]) {
        for (slot, &r) in rates.iter().enumerate().take(N) {
            self.rates[slot][lane] = r;
        }
    }

    /// Sets every lane's zero-order inputs (mg/h, `rates[slot][lane]`) for the next segment.
    pub fn set_all_rates(&mut self, rates: &Lanes<N, L>) {
        self.rates = *rates;
    }

    /// The central slot.
    pub fn central(&self) -> usize {
        self.central
    }
}

impl<const N: usize, const L: usize> BatchModel<N, L> for CompartmentLanes<N, L> {
    type Params = CompartmentParams<N>;

    fn splat(p: &CompartmentParams<N>) -> Self {
        let mut model = Self {
            linear: [[[0.0; L]; N]; N],
            rates: [[0.0; L]; N],
            central: p.central,
            inv_central_volume: [0.0; L],
            vmax: [0.0; L],
            km_amount: [0.0; L],
        };
        for lane in 0..L {
            model.set_lane(lane, p);
        }
        model
    }

    /// Loads a twin into a lane; its infusion rates start at zero. The twin's central slot must be
    /// the batch's (`debug_assert`ed): group twins by model structure.
    fn set_lane(&mut self, lane: usize, p: &CompartmentParams<N>) {
        debug_assert_eq!(p.central, self.central, "one model structure per batch");
        for i in 0..N {
            for j in 0..N {
                self.linear[i][j][lane] = p.linear[i][j];
            }
            self.rates[i][lane] = 0.0;
        }
        self.inv_central_volume[lane] = p.inv_central_volume;
        self.vmax[lane] = p.vmax;
        self.km_amount[lane] = p.km_amount;
    }

    fn rhs(&self, _time: f64, state: &Lanes<N, L>, d_state: &mut Lanes<N, L>) {
        for ((d, row), rate) in d_state.iter_mut().zip(&self.linear).zip(&self.rates) {
            // dA_i/dt = r_i + Σ_j K_ij·A_j  (mg/h)
            *d = *rate;
            for (k_ij, a_j) in row.iter().zip(state) {
                for l in 0..L {
                    d[l] += k_ij[l] * a_j[l];
                }
            }
        }
        let c = self.central;
        for l in 0..L {
            // − VMAX·C/(KM + C) = − VMAX·A_c/(KM·V_c + A_c)  (mg/h)
            let a = state[c][l];
            d_state[c][l] -= self.vmax[l] * a / (self.km_amount[l] + a);
        }
    }

    fn observe(&self, _time: f64, state: &Lanes<N, L>, out: &mut [f64; L]) {
        for l in 0..L {
            out[l] = state[self.central][l] * self.inv_central_volume[l];
        }
    }

    /// The largest diagonal rate constant `|K_ii|` plus `VMAX/(KM·V_c)` (1/h): how fast the
    /// fastest slot empties at low concentration.
    fn stiffness(p: &CompartmentParams<N>) -> f64 {
        let fastest = (0..N).map(|i| p.linear[i][i].abs()).fold(0.0, f64::max);
        fastest + p.vmax / p.km_amount
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Absorption, Disposition, MichaelisMenten};

    /// Each lane's right-hand side equals `CompartmentModel::rhs` (the scalar path the ODE
    /// solver uses) for its own model, state and infusion rates: oral 2-compartment with
    /// Michaelis–Menten elimination beside linear clearance.
    #[test]
    fn lanes_match_the_scalar_right_hand_side() -> Result<(), crate::Error> {
        let models = [
            CompartmentModel::new(
                Disposition::Two {
                    cl: 1.5,
                    v1: 20.0,
                    q: 4.0,
                    v2: 35.0,
                },
                Absorption::FirstOrder { ka: 0.8 },
                Some(MichaelisMenten {
                    vmax: 12.0,
                    km: 3.0,
                }),
            )?,
            CompartmentModel::new(
                Disposition::Two {
                    cl: 0.0,
                    v1: 11.0,
                    q: 2.0,
                    v2: 50.0,
                },
                Absorption::FirstOrder { ka: 2.5 },
                Some(MichaelisMenten { vmax: 7.0, km: 0.5 }),
            )?,
            CompartmentModel::new(
                Disposition::Two {
                    cl: 3.0,
                    v1: 30.0,
                    q: 1.0,
                    v2: 10.0,
                },
                Absorption::FirstOrder { ka: 1.1 },
                None,
            )?,
        ];
        let params: Vec<CompartmentParams<3>> = models
            .iter()
            .map(CompartmentParams::from_model)
            .collect::<Option<_>>()
            .ok_or(crate::Error::InvalidParameter {
                name: "N",
                value: 3.0,
                expected: "three slots",
            })?;
        let mut lanes = CompartmentLanes::<3, 4>::splat(&params[0]);
        for (lane, p) in params.iter().enumerate() {
            lanes.set_lane(lane, p);
        }
        let states = [[40.0, 120.0, 15.0], [0.0, 3.0, 90.0], [7.5, 0.2, 1.0]];
        let rates = [[0.0, 25.0, 0.0], [10.0, 0.0, 0.0], [0.0, 0.0, 0.0]];
        let mut y = [[0.0; 4]; 3];
        for (lane, (s, r)) in states.iter().zip(&rates).enumerate() {
            lanes.set_rates(lane, r);
            for slot in 0..3 {
                y[slot][lane] = s[slot];
            }
        }
        let mut d = [[0.0; 4]; 3];
        lanes.rhs(0.0, &y, &mut d);
        for (lane, model) in models.iter().enumerate() {
            let mut expected = [0.0; 3];
            model.rhs(0.0, &states[lane], &rates[lane], &mut expected);
            for slot in 0..3 {
                let e = expected[slot];
                assert!(
                    (d[slot][lane] - e).abs() <= 1e-13 * e.abs().max(1.0),
                    "lane {lane} slot {slot}: {} vs {e}",
                    d[slot][lane]
                );
            }
        }
        Ok(())
    }

    #[test]
    fn a_model_of_another_size_is_refused() -> Result<(), crate::Error> {
        let model = CompartmentModel::new(
            Disposition::One { cl: 1.0, v: 10.0 },
            Absorption::None,
            None,
        )?;
        assert!(CompartmentParams::<2>::from_model(&model).is_none());
        assert!(CompartmentParams::<1>::from_model(&model).is_some());
        Ok(())
    }
}
