//! The benchmarked subjects, built in one place so that the benchmarks, the baselines' tests and
//! the allocation test simulate the same thing.
//!
//! Every input is a fixed constant: nothing is random, so every run does the same work.
//!
//! Units: time in h, amounts in mg, volumes in L, clearances in L/h, rate constants in 1/h.

use pk_models::{
    Absorption, CompartmentModel, Disposition, Dose, DoseInputs, Error, MichaelisMenten, Record,
    SolverSettings,
};

/// A one-compartment model with first-order absorption (NONMEM ADVAN2): depot → central → out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Oral1Cmt {
    /// Clearance (L/h).
    pub cl: f64,
    /// Volume of distribution (L).
    pub v: f64,
    /// Absorption rate constant (1/h); must differ from `cl / v` for the Bateman function.
    pub ka: f64,
    /// Bioavailability F (fraction).
    pub f: f64,
}

impl Oral1Cmt {
    /// The benchmarked subject: CL = 5 L/h, V = 50 L, KA = 1 1/h, F = 1.
    pub const BENCH: Self = Self {
        cl: 5.0,
        v: 50.0,
        ka: 1.0,
        f: 1.0,
    };

    /// Elimination rate constant `k = CL / V` (1/h).
    pub fn k(&self) -> f64 {
        self.cl / self.v
    }

    /// The same model as a `pk_models` compartment model (depot is slot 0, central slot 1).
    pub fn model(&self) -> Result<CompartmentModel, Error> {
        CompartmentModel::new(
            Disposition::One {
                cl: self.cl,
                v: self.v,
            },
            Absorption::FirstOrder { ka: self.ka },
            None,
        )
    }
}

/// Equal oral boluses into the depot at `t = i·interval`, `i = 0..n_doses`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Regimen {
    /// Dose (mg), before bioavailability.
    pub amount: f64,
    /// Dosing interval (h).
    pub interval: f64,
    /// Number of doses, the first at `t = 0`.
    pub n_doses: u32,
}

impl Regimen {
    /// 100 mg every 12 h for 14 days: 28 doses.
    pub const Q12H_14D: Self = Self {
        amount: 100.0,
        interval: 12.0,
        n_doses: 28,
    };

    /// Time of dose `i` (h), computed as `pk_models` computes ADDL times (`t₀ + i·II`).
    pub fn dose_time(&self, i: u32) -> f64 {
        f64::from(i) * self.interval
    }
}

/// Output times `t_j = j·step`, `j = 0..n_points`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Grid {
    /// Spacing of the output times (h).
    pub step: f64,
    /// Number of output times.
    pub n_points: u32,
}

impl Grid {
    /// Every hour for 14 days, both ends included: 337 points.
    pub const HOURLY_14D: Self = Self {
        step: 1.0,
        n_points: 337,
    };

    /// Every hour for 7 days, both ends included: 169 points.
    pub const HOURLY_7D: Self = Self {
        step: 1.0,
        n_points: 169,
    };

    /// Output time `j` (h).
    pub fn time(&self, j: u32) -> f64 {
        f64::from(j) * self.step
    }
}

/// A subject's records: one dose record at `t = 0` carrying the regimen as ADDL/II, then one
/// observation record per grid point. The observation at grid point `j` is record `j + 1`.
///
/// The dose goes into slot 0 (the depot of an oral model, the central compartment of an IV one).
pub fn records(amount: f64, f: f64, interval: f64, n_doses: u32, grid: &Grid) -> Vec<Record> {
    let dose = Dose {
        inputs: DoseInputs {
            bioavailability: f,
            ..DoseInputs::default()
        },
        ..Dose::bolus(0, amount).every(interval, n_doses.saturating_sub(1))
    };
    let mut records = Vec::with_capacity(grid.n_points as usize + 1);
    records.push(Record::dose(0.0, dose));
    records.extend((0..grid.n_points).map(|j| Record::observation(grid.time(j))));
    records
}

/// The oral benchmark's records: [`Regimen::Q12H_14D`] of [`Oral1Cmt::BENCH`] on `grid`.
pub fn oral1cmt_records(model: &Oral1Cmt, regimen: &Regimen, grid: &Grid) -> Vec<Record> {
    records(
        regimen.amount,
        model.f,
        regimen.interval,
        regimen.n_doses,
        grid,
    )
}

/// Two compartments with Michaelis–Menten elimination and no linear clearance:
/// V1 = 20 L, VMAX = 10 mg/h, KM = 2 mg/L, k12 = 0.5 1/h, k21 = 0.25 1/h, so Q = k12·V1 = 10 L/h
/// and V2 = Q / k21 = 40 L. IV boluses go into the central compartment (slot 0).
pub fn mm2cmt_model() -> Result<CompartmentModel, Error> {
    CompartmentModel::new(
        Disposition::Two {
            cl: 0.0,
            v1: 20.0,
            q: 10.0,
            v2: 40.0,
        },
        Absorption::None,
        Some(MichaelisMenten {
            vmax: 10.0,
            km: 2.0,
        }),
    )
}

/// 200 mg IV bolus every 24 h for 7 days (7 doses), observed every hour from 0 to 168 h.
pub fn mm2cmt_records() -> Vec<Record> {
    records(200.0, 1.0, 24.0, 7, &Grid::HOURLY_7D)
}

/// The Michaelis–Menten benchmark's solver: Dormand–Prince 5(4), rtol 1e-6, atol 1e-9 mg.
pub fn mm2cmt_settings() -> SolverSettings {
    SolverSettings {
        rtol: 1e-6,
        atol: 1e-9,
        ..SolverSettings::default()
    }
}
