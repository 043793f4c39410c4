//! 1-, 2- and 3-compartment models parameterised by clearances and volumes, with first-order or
//! transit-chain absorption and optional Michaelis–Menten elimination.
//!
//! Units: amounts in mg, volumes in L, clearances in L/h, rate constants in 1/h, times in h.
//!
//! State slots, in order (NONMEM's CMT is slot + 1):
//! `transit0 .. transitN` (transit absorption only), `depot` (any absorption), `central`,
//! `peripheral1` (2- and 3-compartment), `peripheral2` (3-compartment).
//! With first-order absorption and one compartment this is ADVAN2's numbering (depot 1, central 2);
//! without absorption, ADVAN1/3/11's (central 1).

use nalgebra::DMatrix;

use crate::Error;
use crate::linear::LinearSystem;
use crate::model::Model;
// Parameter checks are shared with the PD models: finite and positive (or >= 0).
use crate::pd::check_parameter as check;

/// Largest first-order rate constant a model may have (1/h): a half-life of 2.5 ms.
pub const MAX_RATE_CONSTANT: f64 = 1e6;

/// Smallest volume a compartment may have (L): one microlitre. Concentrations are amounts over
/// volumes, and a smaller volume is a unit mistake that turns finite amounts into overflow.
pub const MIN_VOLUME: f64 = 1e-6;

/// Most transit compartments of an absorption chain.
pub const MAX_TRANSIT_COMPARTMENTS: usize = 100;

/// Distribution and linear elimination: clearances (L/h) and volumes (L).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Disposition {
    /// One compartment: clearance `cl` (L/h), volume `v` (L).
    One {
        /// Linear clearance (L/h); may be 0 when Michaelis–Menten elimination is given.
        cl: f64,
        /// Volume of distribution (L).
        v: f64,
    },
    /// Two compartments: central `v1`, peripheral `v2` (L), inter-compartmental clearance `q` (L/h).
    Two {
        /// Linear clearance from the central compartment (L/h).
        cl: f64,
        /// Central volume (L).
        v1: f64,
        /// Inter-compartmental clearance (L/h).
        q: f64,
        /// Peripheral volume (L).
        v2: f64,
    },
    /// Three compartments: two peripheral compartments with clearances `q2`, `q3` (L/h).
    Three {
        /// Linear clearance from the central compartment (L/h).
        cl: f64,
        /// Central volume (L).
        v1: f64,
        /// Clearance to the first peripheral compartment (L/h).
        q2: f64,
        /// First peripheral volume (L).
        v2: f64,
        /// Clearance to the second peripheral compartment (L/h).
        q3: f64,
        /// Second peripheral volume (L).
        v3: f64,
    },
}

/// How drug reaches the central compartment besides direct input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Absorption {
    /// Only direct input into the central (or another) compartment: no depot.
    None,
    /// First-order absorption from a depot with rate constant `ka` (1/h).
    FirstOrder {
        /// Absorption rate constant (1/h).
        ka: f64,
    },
    /// A chain of transit compartments before the depot (Savic et al. 2007):
    /// `transit0 → transit1 → … → transitN → depot → central`, every transfer but the last at
    /// `ktr = (N + 1) / MTT` (1/h), the last at `ka`. Doses go into `transit0` (CMT 1).
    Transit {
        /// Number of transit compartments `N` between the dosing compartment and the depot.
        n: usize,
        /// Mean transit time from dosing to arrival in the depot (h).
        mtt: f64,
        /// Absorption rate constant from the depot (1/h).
        ka: f64,
    },
}

/// Saturable (Michaelis–Menten) elimination from the central compartment:
/// rate (mg/h) = `vmax`·C / (`km` + C), with C = A_central / V_central (mg/L).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MichaelisMenten {
    /// Maximum elimination rate (mg/h).
    pub vmax: f64,
    /// Concentration at half the maximum rate (mg/L).
    pub km: f64,
}

/// Where each kind of compartment sits in the state vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateLayout {
    /// Number of transit compartments before the depot, counting the dosing one (`N + 1`), or 0.
    pub n_transit: usize,
    /// The depot's slot, with any absorption.
    pub depot: Option<usize>,
    /// The central compartment's slot.
    pub central: usize,
    /// The first peripheral compartment's slot.
    pub peripheral1: Option<usize>,
    /// The second peripheral compartment's slot.
    pub peripheral2: Option<usize>,
    /// Total number of slots.
    pub n_states: usize,
}

/// A validated compartmental model. Build it with [`CompartmentModel::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct CompartmentModel {
    disposition: Disposition,
    absorption: Absorption,
    saturable: Option<MichaelisMenten>,
    layout: StateLayout,
    rates: MicroConstants,
}

/// First-order rate constants (1/h) derived from clearances and volumes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct MicroConstants {
    /// CL / V1.
    k10: f64,
    /// Q2 / V1.
    k12: f64,
    /// Q2 / V2.
    k21: f64,
    /// Q3 / V1.
    k13: f64,
    /// Q3 / V3.
    k31: f64,
    /// Transit rate constant (N + 1) / MTT.
    ktr: f64,
    /// Absorption rate constant.
    ka: f64,
}

impl CompartmentModel {
    /// Validates the parameters and lays out the state vector.
    ///
    /// Linear clearance may be 0 only when Michaelis–Menten elimination is given.
    ///
    /// ```
    /// use pk_models::{Absorption, CompartmentModel, Disposition};
    /// let model = CompartmentModel::new(
    ///     Disposition::One { cl: 1.1, v: 20.0 },
    ///     Absorption::FirstOrder { ka: 1.5 },
    ///     None,
    /// )?;
    /// assert_eq!(model.layout().central, 1);
    /// # Ok::<(), pk_models::Error>(())
    /// ```
    ///
    /// # Errors
    /// A clearance, volume or rate that is not finite and positive (a clearance may be 0 beside
    /// saturable elimination), a volume below [`MIN_VOLUME`], a rate constant above
    /// [`MAX_RATE_CONSTANT`], or more than
    /// [`MAX_TRANSIT_COMPARTMENTS`] transit compartments.
    pub fn new(
        disposition: Disposition,
        absorption: Absorption,
        saturable: Option<MichaelisMenten>,
    ) -> Result<Self, Error> {
        let clearance_may_be_zero = saturable.is_some();
        let mut k = MicroConstants::default();
        let n_compartments = match disposition {
            Disposition::One { cl, v } => {
                check("CL", cl, clearance_may_be_zero)?;
                check("V", v, false)?;
                k.k10 = cl / v;
                1
            }
            Disposition::Two { cl, v1, q, v2 } => {
                check("CL", cl, clearance_may_be_zero)?;
                check("V1", v1, false)?;
                check("Q", q, true)?;
                check("V2", v2, false)?;
                k.k10 = cl / v1;
                k.k12 = q / v1;
                k.k21 = q / v2;
                2
            }
            Disposition::Three {
                cl,
                v1,
                q2,
                v2,
                q3,
                v3,
            } => {
                check("CL", cl, clearance_may_be_zero)?;
                check("V1", v1, false)?;
                check("Q2", q2, true)?;
                check("V2", v2, false)?;
                check("Q3", q3, true)?;
                check("V3", v3, false)?;
                k.k10 = cl / v1;
                k.k12 = q2 / v1;
                k.k21 = q2 / v2;
                k.k13 = q3 / v1;
                k.k31 = q3 / v3;
                3
            }
        };
        let (n_transit, has_depot) = match absorption {
            Absorption::None => (0, false),
            Absorption::FirstOrder { ka } => {
                check("KA", ka, false)?;
                k.ka = ka;
                (0, true)
            }
            Absorption::Transit { n, mtt, ka } => {
                check("MTT", mtt, false)?;
                check("KA", ka, false)?;
                k.ka = ka;
                k.ktr = (n as f64 + 1.0) / mtt;
                (n + 1, true)
            }
        };
        if let Some(mm) = saturable {
            check("VMAX", mm.vmax, true)?;
            check("KM", mm.km, false)?;
        }
        // Rate constants beyond any drug's (a half-life under 2.5 ms) are a unit or typing
        // mistake; the matrix exponential and the ODE solver cannot take them either.
        let v_central = match disposition {
            Disposition::One { v, .. } => v,
            Disposition::Two { v1, .. } | Disposition::Three { v1, .. } => v1,
        };
        let volumes = match disposition {
            Disposition::One { v, .. } => [v, MIN_VOLUME, MIN_VOLUME],
            Disposition::Two { v1, v2, .. } => [v1, v2, MIN_VOLUME],
            Disposition::Three { v1, v2, v3, .. } => [v1, v2, v3],
        };
        if let Some(&v) = volumes.iter().find(|&&v| v < MIN_VOLUME) {
            return Err(Error::InvalidParameter {
                name: "V",
                value: v,
                expected: "a volume of at least 1e-6 L (one microlitre)",
            });
        }
        let saturable_rate = saturable.map_or(0.0, |mm| mm.vmax / (mm.km * v_central));
        for (name, value) in [
            ("k10 = CL/V", k.k10),
            ("k12 = Q/V1", k.k12),
            ("k21 = Q/V2", k.k21),
            ("k13 = Q3/V1", k.k13),
            ("k31 = Q3/V3", k.k31),
            ("KA", k.ka),
            ("ktr = (NTR + 1)/MTT", k.ktr),
            ("VMAX/(KM·V1)", saturable_rate),
        ] {
            if value.is_nan() || value > MAX_RATE_CONSTANT {
                return Err(Error::InvalidParameter {
                    name,
                    value,
                    expected: "a rate constant of at most 1e6 1/h (a half-life of 2.5 ms or more)",
                });
            }
        }
        if let Absorption::Transit { n, .. } = absorption
            && n > MAX_TRANSIT_COMPARTMENTS
        {
            return Err(Error::InvalidParameter {
                name: "NTR",
                value: n as f64,
                expected: "at most 100 transit compartments",
            });
        }
        let depot = has_depot.then_some(n_transit);
        let central = n_transit + usize::from(has_depot);
        let layout = StateLayout {
            n_transit,
            depot,
            central,
            peripheral1: (n_compartments >= 2).then_some(central + 1),
            peripheral2: (n_compartments >= 3).then_some(central + 2),
            n_states: central + n_compartments,
        };
        Ok(Self {
            disposition,
            absorption,
            saturable,
            layout,
            rates: k,
        })
    }

    /// Where each compartment sits in the state vector.
    pub fn layout(&self) -> StateLayout {
        self.layout
    }

    /// The distribution and linear-elimination parameters.
    pub fn disposition(&self) -> Disposition {
        self.disposition
    }

    /// The absorption parameters.
    pub fn absorption(&self) -> Absorption {
        self.absorption
    }

    /// The saturable elimination, if any.
    pub fn saturable(&self) -> Option<MichaelisMenten> {
        self.saturable
    }

    /// Volume (L) of compartment slot `index`, for concentrations; `None` for depot and transit slots.
    pub fn volume(&self, index: usize) -> Option<f64> {
        let l = self.layout;
        match self.disposition {
            Disposition::One { v, .. } => (index == l.central).then_some(v),
            Disposition::Two { v1, v2, .. } => {
                if index == l.central {
                    Some(v1)
                } else if Some(index) == l.peripheral1 {
                    Some(v2)
                } else {
                    None
                }
            }
            Disposition::Three { v1, v2, v3, .. } => {
                if index == l.central {
                    Some(v1)
                } else if Some(index) == l.peripheral1 {
                    Some(v2)
                } else if Some(index) == l.peripheral2 {
                    Some(v3)
                } else {
                    None
                }
            }
        }
    }

    fn central_volume(&self) -> f64 {
        match self.disposition {
            Disposition::One { v, .. } => v,
            Disposition::Two { v1, .. } | Disposition::Three { v1, .. } => v1,
        }
    }
}

impl Model for CompartmentModel {
    fn n_states(&self) -> usize {
        self.layout.n_states
    }

    fn state_name(&self, index: usize) -> String {
        let l = self.layout;
        if index < l.n_transit {
            format!("transit{index}")
        } else if Some(index) == l.depot {
            "depot".to_owned()
        } else if index == l.central {
            "central".to_owned()
        } else if Some(index) == l.peripheral1 {
            "peripheral1".to_owned()
        } else if Some(index) == l.peripheral2 {
            "peripheral2".to_owned()
        } else {
            format!("state{index}")
        }
    }

    fn rhs(&self, time: f64, state: &[f64], rates: &[f64], d_state: &mut [f64]) {
        self.linear_rhs(time, state, rates, d_state);
        // Saturable elimination: VMAX·C/(KM + C), C = A_c/V1 (mg/L)  → mg/h
        if let Some(mm) = self.saturable {
            let c = self.layout.central;
            let conc = state[c] / self.central_volume();
            d_state[c] -= mm.vmax * conc / (mm.km + conc);
        }
    }

    fn linear_system(&self) -> Option<LinearSystem> {
        if self.saturable.is_some_and(|mm| mm.vmax > 0.0) {
            return None;
        }
        Some(self.linear_part())
    }
}

impl CompartmentModel {
    /// The linear part `A` of `d_state/dt = A·state + rates − MM`, everything but the saturable
    /// elimination (which the batched integrator adds lane by lane): the whole model when it has
    /// no Michaelis–Menten term.
    pub fn linear_part(&self) -> LinearSystem {
        let n = self.layout.n_states;
        let mut a = DMatrix::zeros(n, n);
        let mut unit = vec![0.0; n];
        let zeros = vec![0.0; n];
        let mut column = vec![0.0; n];
        // The right-hand side is linear: column j of A is f(e_j).
        for j in 0..n {
            unit[j] = 1.0;
            self.linear_rhs(0.0, &unit, &zeros, &mut column);
            a.set_column(j, &nalgebra::DVector::from_column_slice(&column));
            unit[j] = 0.0;
        }
        LinearSystem::new(a)
    }

    /// The right-hand side without the saturable elimination, `d_state = A·state + rates`
    /// (amount/h per slot): column `j` of [`CompartmentModel::linear_part`] is this at the unit
    /// state `e_j` with no input.
    pub fn linear_rhs(&self, _time: f64, state: &[f64], rates: &[f64], d_state: &mut [f64]) {
        let l = self.layout;
        let k = self.rates;
        d_state.copy_from_slice(rates);
        // Transit chain: dT0/dt = -ktr·T0;  dTi/dt = ktr·T(i-1) - ktr·Ti  (mg/h)
        for i in 0..l.n_transit {
            let out = k.ktr * state[i];
            d_state[i] -= out;
            let next = if i + 1 < l.n_transit {
                i + 1
            } else {
                l.central - 1
            };
            d_state[next] += out;
        }
        let c = l.central;
        // Depot: dA_d/dt = -ka·A_d;  central gains ka·A_d  (mg/h)
        if let Some(d) = l.depot {
            let absorbed = k.ka * state[d];
            d_state[d] -= absorbed;
            d_state[c] += absorbed;
        }
        // Central: -k10·A_c (linear elimination)
        d_state[c] -= k.k10 * state[c];
        // Peripheral 1: flow k12·A_c out, k21·A_p1 back (mg/h)
        if let Some(p) = l.peripheral1 {
            let flow = k.k12 * state[c] - k.k21 * state[p];
            d_state[c] -= flow;
            d_state[p] += flow;
        }
        if let Some(p) = l.peripheral2 {
            let flow = k.k13 * state[c] - k.k31 * state[p];
            d_state[c] -= flow;
            d_state[p] += flow;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_follows_nonmem_advan_numbering() -> Result<(), Error> {
        let oral2 = CompartmentModel::new(
            Disposition::Two {
                cl: 1.0,
                v1: 10.0,
                q: 2.0,
                v2: 20.0,
            },
            Absorption::FirstOrder { ka: 1.0 },
            None,
        )?;
        assert_eq!(oral2.layout().depot, Some(0));
        assert_eq!(oral2.layout().central, 1);
        assert_eq!(oral2.layout().peripheral1, Some(2));
        let iv3 = CompartmentModel::new(
            Disposition::Three {
                cl: 1.0,
                v1: 10.0,
                q2: 2.0,
                v2: 20.0,
                q3: 0.5,
                v3: 40.0,
            },
            Absorption::None,
            None,
        )?;
        assert_eq!(iv3.layout().central, 0);
        assert_eq!(iv3.layout().peripheral2, Some(2));
        let transit = CompartmentModel::new(
            Disposition::One { cl: 1.0, v: 10.0 },
            Absorption::Transit {
                n: 3,
                mtt: 2.0,
                ka: 1.0,
            },
            None,
        )?;
        assert_eq!(transit.n_states(), 6);
        assert_eq!(transit.state_name(0), "transit0");
        assert_eq!(transit.state_name(4), "depot");
        Ok(())
    }

    #[test]
    fn negative_clearance_is_rejected_by_name() {
        let err = CompartmentModel::new(
            Disposition::One { cl: -1.0, v: 10.0 },
            Absorption::None,
            None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("CL = -1"), "{err}");
    }

    #[test]
    fn rhs_conserves_mass_without_elimination() -> Result<(), Error> {
        let model = CompartmentModel::new(
            Disposition::Three {
                cl: 0.0,
                v1: 10.0,
                q2: 2.0,
                v2: 20.0,
                q3: 0.5,
                v3: 40.0,
            },
            Absorption::Transit {
                n: 2,
                mtt: 3.0,
                ka: 0.7,
            },
            Some(MichaelisMenten { vmax: 0.0, km: 1.0 }),
        )?;
        let state: Vec<f64> = (0..model.n_states()).map(|i| 1.0 + i as f64).collect();
        let mut d = vec![0.0; model.n_states()];
        model.rhs(0.0, &state, &vec![0.0; model.n_states()], &mut d);
        assert!(d.iter().sum::<f64>().abs() < 1e-12);
        Ok(())
    }
}
