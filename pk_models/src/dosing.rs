//! Dosing records with NONMEM's semantics: EVID, AMT, CMT, RATE, II, ADDL, SS, and the
//! per-compartment lag time, bioavailability, modelled rate and modelled duration of each dose.

use crate::Error;

/// How a dose is delivered (NONMEM's RATE column).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DoseRate {
    /// RATE = 0: an instantaneous bolus.
    Bolus,
    /// RATE > 0: a zero-order infusion at this rate (mg/h); it lasts F·AMT / RATE hours.
    Rate(f64),
    /// RATE = -1: the rate comes from the model (the compartment's modelled rate).
    ModelledRate,
    /// RATE = -2: the duration comes from the model (the compartment's modelled duration).
    ModelledDuration,
}

impl DoseRate {
    /// NONMEM's RATE column: 0 a bolus, -1 the modelled rate, -2 the modelled duration, any other
    /// value an infusion at that rate (mg/h; validated when the dose is given).
    pub fn from_nonmem(rate: f64) -> Self {
        if rate == 0.0 {
            Self::Bolus
        } else if rate == -1.0 {
            Self::ModelledRate
        } else if rate == -2.0 {
            Self::ModelledDuration
        } else {
            Self::Rate(rate)
        }
    }
}

/// NONMEM's SS column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SteadyState {
    /// SS = 0: not a steady-state dose.
    #[default]
    No,
    /// SS = 1: the system is reset to the steady state of this regimen.
    Reset,
    /// SS = 2: the steady state is added to the current state (superposition), no reset.
    Add,
}

impl SteadyState {
    /// NONMEM's SS column: 1 reset to steady state, 2 add it, anything else no steady state.
    pub fn from_nonmem(ss: u8) -> Self {
        match ss {
            1 => Self::Reset,
            2 => Self::Add,
            _ => Self::No,
        }
    }
}

/// The dosed compartment's model inputs at this dose, as NONMEM takes them from the dose record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DoseInputs {
    /// Absorption lag time ALAG (h).
    pub lag: f64,
    /// Bioavailability F (fraction, may exceed 1 as a relative bioavailability).
    pub bioavailability: f64,
    /// Modelled rate R (mg/h), used when RATE = -1.
    pub modelled_rate: Option<f64>,
    /// Modelled duration D (h), used when RATE = -2.
    pub modelled_duration: Option<f64>,
}

impl Default for DoseInputs {
    fn default() -> Self {
        Self {
            lag: 0.0,
            bioavailability: 1.0,
            modelled_rate: None,
            modelled_duration: None,
        }
    }
}

/// One dose record (EVID 1, or the dose of EVID 4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dose {
    /// The dosed state slot (0-based; NONMEM's CMT minus one).
    pub compartment: usize,
    /// AMT (mg), before bioavailability.
    pub amount: f64,
    /// RATE.
    pub rate: DoseRate,
    /// II: the dosing interval (h) for ADDL and SS.
    pub interval: f64,
    /// ADDL: additional doses after this one, every `interval` hours.
    pub additional: u32,
    /// SS.
    pub steady_state: SteadyState,
    /// Lag, bioavailability, modelled rate and duration of the dosed compartment.
    pub inputs: DoseInputs,
}

impl Dose {
    /// A bolus of `amount` mg into slot `compartment`, with no ADDL, SS, lag or F.
    pub fn bolus(compartment: usize, amount: f64) -> Self {
        Self {
            compartment,
            amount,
            rate: DoseRate::Bolus,
            interval: 0.0,
            additional: 0,
            steady_state: SteadyState::No,
            inputs: DoseInputs::default(),
        }
    }

    /// An infusion of `amount` mg at `rate` mg/h into slot `compartment`.
    pub fn infusion(compartment: usize, amount: f64, rate: f64) -> Self {
        Self {
            rate: DoseRate::Rate(rate),
            ..Self::bolus(compartment, amount)
        }
    }

    /// The same dose repeated: `additional` more doses every `interval` hours (ADDL, II).
    pub fn every(self, interval: f64, additional: u32) -> Self {
        Self {
            interval,
            additional,
            ..self
        }
    }

    /// How the dose is delivered once bioavailability is applied.
    pub(crate) fn delivery(&self, time: f64) -> Result<Delivery, Error> {
        let bad = |field, value, expected| Error::InvalidDose {
            time,
            field,
            value,
            expected,
        };
        let f = self.inputs.bioavailability;
        if !(f.is_finite() && f >= 0.0) {
            return Err(bad("bioavailability", f, "a finite number >= 0"));
        }
        if !(self.inputs.lag.is_finite() && self.inputs.lag >= 0.0) {
            return Err(bad("lag time", self.inputs.lag, "a finite number >= 0 (h)"));
        }
        if !(self.amount.is_finite() && self.amount >= 0.0) {
            return Err(bad("AMT", self.amount, "a finite number >= 0 (mg)"));
        }
        if !(self.interval.is_finite() && self.interval >= 0.0) {
            return Err(bad("II", self.interval, "a finite number >= 0 (h)"));
        }
        if self.additional > 0 && self.interval <= 0.0 {
            return Err(bad("II", self.interval, "> 0 when ADDL > 0"));
        }
        let amount = f * self.amount;
        let delivery = match self.rate {
            DoseRate::Bolus => Delivery::Bolus { amount },
            DoseRate::Rate(rate) => {
                if !(rate.is_finite() && rate > 0.0) {
                    return Err(bad(
                        "RATE",
                        rate,
                        "> 0, or -1 (modelled rate), -2 (modelled duration), 0 (bolus)",
                    ));
                }
                if amount == 0.0 && self.interval == 0.0 && self.steady_state != SteadyState::No {
                    // SS = 1 or 2 with AMT = 0 and II = 0: a steady-state constant infusion; F scales the rate.
                    Delivery::ConstantInfusion { rate: f * rate }
                } else {
                    Delivery::Infusion {
                        amount,
                        rate,
                        duration: amount / rate,
                    }
                }
            }
            DoseRate::ModelledRate => {
                let rate = self.inputs.modelled_rate.unwrap_or(f64::NAN);
                if !(rate.is_finite() && rate > 0.0) {
                    return Err(bad(
                        "modelled rate",
                        rate,
                        "a finite number > 0 (mg/h) when RATE = -1",
                    ));
                }
                Delivery::Infusion {
                    amount,
                    rate,
                    duration: amount / rate,
                }
            }
            DoseRate::ModelledDuration => {
                let duration = self.inputs.modelled_duration.unwrap_or(f64::NAN);
                if !(duration.is_finite() && duration > 0.0) {
                    return Err(bad(
                        "modelled duration",
                        duration,
                        "a finite number > 0 (h) when RATE = -2",
                    ));
                }
                Delivery::Infusion {
                    amount,
                    rate: amount / duration,
                    duration,
                }
            }
        };
        if self.steady_state != SteadyState::No
            && self.interval <= 0.0
            && !matches!(delivery, Delivery::ConstantInfusion { .. })
        {
            return Err(bad(
                "II",
                self.interval,
                "> 0 for a steady-state dose (or AMT = 0, RATE > 0 for a steady-state infusion)",
            ));
        }
        if self.steady_state == SteadyState::No
            && self.amount == 0.0
            && matches!(self.rate, DoseRate::Rate(_))
        {
            return Err(bad(
                "AMT",
                self.amount,
                "> 0 for an infusion that is not at steady state",
            ));
        }
        Ok(delivery)
    }
}

/// A dose after bioavailability: what actually enters the compartment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Delivery {
    /// `amount` mg at once.
    Bolus { amount: f64 },
    /// `amount` mg at `rate` mg/h over `duration` h.
    Infusion {
        amount: f64,
        rate: f64,
        duration: f64,
    },
    /// A steady-state infusion at `rate` mg/h (SS with AMT = 0, II = 0): it sets the steady state
    /// and, as in NONMEM, stops at the record.
    ConstantInfusion { rate: f64 },
}

/// What a record does (NONMEM's EVID).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RecordKind {
    /// EVID 0: an observation; the state is reported.
    Observation,
    /// EVID 1: a dose.
    Dose(Dose),
    /// EVID 2: another event; the state is reported.
    Other,
    /// EVID 3: reset every compartment to zero, stop infusions, cancel pending doses.
    Reset,
    /// EVID 4: reset, then dose.
    ResetAndDose(Dose),
}

/// One record of a subject's history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record {
    /// TIME (h).
    pub time: f64,
    /// What the record does.
    pub kind: RecordKind,
}

impl Record {
    /// An observation at `time` h.
    pub fn observation(time: f64) -> Self {
        Self {
            time,
            kind: RecordKind::Observation,
        }
    }

    /// A dose at `time` h.
    pub fn dose(time: f64, dose: Dose) -> Self {
        Self {
            time,
            kind: RecordKind::Dose(dose),
        }
    }
}
