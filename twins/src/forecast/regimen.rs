//! A dosing regimen to forecast: `doses` doses of `amount` mg every `interval` h from `start`.

use serde::{Deserialize, Serialize};

use crate::bayes::DoseEvent;
use crate::error::{Error, Result};

/// A regular regimen of boluses or constant-rate infusions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Regimen {
    /// Time of the first dose (h, on the twin's clock).
    pub start: f64,
    /// Amount per dose (mg).
    pub amount: f64,
    /// Dosing interval (h).
    pub interval: f64,
    /// Number of doses.
    pub doses: u32,
    /// Infusion duration (h); `None` for boluses.
    pub infusion: Option<f64>,
    /// Dosed compartment, from 1 (NONMEM's CMT).
    pub cmt: usize,
}

impl Regimen {
    /// Checks amounts, interval, count and duration.
    pub fn validate(&self) -> Result<()> {
        let check = |name: &str, value: f64, ok: bool, expected: &'static str| {
            if ok {
                Ok(())
            } else {
                Err(Error::InvalidValue {
                    name: format!("regimen {name}"),
                    value,
                    expected,
                })
            }
        };
        check(
            "start",
            self.start,
            self.start.is_finite(),
            "a finite time (h)",
        )?;
        check(
            "amount",
            self.amount,
            self.amount.is_finite() && self.amount >= 0.0,
            "a finite amount >= 0 (mg)",
        )?;
        check(
            "interval",
            self.interval,
            self.interval.is_finite() && self.interval > 0.0,
            "a finite interval > 0 (h)",
        )?;
        check(
            "doses",
            f64::from(self.doses),
            self.doses > 0,
            "at least one dose",
        )?;
        check("cmt", self.cmt as f64, self.cmt > 0, "a compartment from 1")?;
        if let Some(d) = self.infusion {
            check(
                "infusion",
                d,
                d.is_finite() && d > 0.0,
                "a finite duration > 0 (h)",
            )?;
        }
        Ok(())
    }

    /// The regimen as one dose event with ADDL = doses − 1 and II = interval.
    pub fn events(&self) -> Vec<DoseEvent> {
        vec![DoseEvent {
            time: self.start,
            amount: self.amount,
            cmt: self.cmt,
            rate: self.infusion.map_or(0.0, |d| self.amount / d),
            interval: self.interval,
            additional: self.doses.saturating_sub(1),
            steady_state: 0,
            columns: Default::default(),
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const Q12H: Regimen = Regimen {
        start: 24.0,
        amount: 1000.0,
        interval: 12.0,
        doses: 4,
        infusion: Some(2.0),
        cmt: 1,
    };

    #[test]
    fn events_are_one_record_with_addl_and_rate() -> Result<()> {
        Q12H.validate()?;
        let events = Q12H.events();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].additional, 3);
        assert_eq!(events[0].rate, 500.0);
        Ok(())
    }

    #[test]
    fn invalid_fields_are_named() {
        let bad = Regimen {
            interval: 0.0,
            ..Q12H
        };
        let err = bad.validate().expect_err("zero interval");
        assert!(err.to_string().contains("interval"), "{err}");
        let bad = Regimen { doses: 0, ..Q12H };
        assert!(bad.validate().is_err());
    }
}
