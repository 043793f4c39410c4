//! The model file's optional `pd` section: which PD model the central concentration drives, where
//! each of its parameters comes from, the concentration unit it reads, and whether the running
//! AUC is kept as a state.
//!
//! Every PD parameter is either `Parameter("NAME")`, a model parameter of the file's `parameters`
//! (so it takes covariate and genotype effects and random effects like a PK one), or a fixed
//! `Value(x)`.
//!
//! ```ron
//! pd: (
//!     model: Friberg(
//!         circ0: Parameter("CIRC0"), mtt: Parameter("MTT"), gamma: Parameter("GAMMA"),
//!         drug: Emax(emax: Parameter("EMAX"), ec50: Parameter("EC50")),
//!     ),
//!     concentration: Micromolar(molar_mass: 807.9),
//! )
//! ```
//!
//! | model | fields (units) | PD states | effect |
//! |---|---|---|---|
//! | `Direct(shape, ke0)` | shape `Linear(e0, slope)`, `Emax(e0, emax, ec50)`, `Sigmoid(e0, emax, ec50, hill)`; `ke0` (1/h) for an effect compartment | `Ce` with `ke0` | E |
//! | `Indirect(turnover, kin, kout, max, c50, hill)` | turnover `InhibitProduction`, `InhibitLoss`, `StimulateProduction`, `StimulateLoss`; KIN (response/h), KOUT (1/h), Imax or Emax, IC50 or EC50, Hill (1 if absent) | `R` | R |
//! | `TransitDelay(n, mtt)` | `n` compartments (a count, not a parameter), MTT (h) | `delay1..n` | C delayed |
//! | `Friberg(circ0, mtt, gamma, drug)` | Circ0 (10⁹/L), MTT (h), γ; drug `Linear(slope)` or `Emax(emax, ec50)` | `Prol`, `Transit1..3`, `Circ` | ANC |
//! | `Hamberg(emax, ec50, gamma, mtt1, mtt2, base_inr, inr_max, lambda)` | Hamberg 2007 (mg/L, h) | `A1..A6`, `A7` | INR |
//!
//! `hazard: (h0: .., beta: .., from: ..)` adds the cumulative hazard `H` of h0·exp(β·effect).

use std::collections::BTreeMap;

use pk_models::CompartmentModel;
use pk_models::outcomes::HazardEvent;
use pk_models::pd::{
    AnyPd, CumulativeHazard, DirectEffect, DrugAction, EffectShape, Friberg, FribergDrugEffect,
    HambergInr, HambergParameters, IndirectResponse, NoEffect, PkPd, TransitChain, TransitDelay,
    Turnover,
};
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Where a PD parameter's value comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PdValue {
    /// A model parameter, by name: its individual value (effects and random effects applied).
    Parameter(String),
    /// A fixed value.
    Value(f64),
}

/// The concentration-effect function of a direct effect. Concentrations in the `pd` section's
/// concentration unit; effects in the effect's own unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ShapeFile {
    /// E = E0 + slope·C.
    Linear {
        /// Baseline E0.
        e0: PdValue,
        /// Slope (effect per concentration unit).
        slope: PdValue,
    },
    /// E = E0 + Emax·C/(EC50 + C).
    Emax {
        /// Baseline E0.
        e0: PdValue,
        /// Maximum drug effect.
        emax: PdValue,
        /// Concentration at half Emax.
        ec50: PdValue,
    },
    /// E = E0 + Emax·C^n/(EC50^n + C^n).
    Sigmoid {
        /// Baseline E0.
        e0: PdValue,
        /// Maximum drug effect.
        emax: PdValue,
        /// Concentration at half Emax.
        ec50: PdValue,
        /// Hill coefficient n.
        hill: PdValue,
    },
}

/// The drug effect on proliferation in Friberg's model (dimensionless).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum FribergDrugFile {
    /// Edrug = slope·C.
    Linear {
        /// Slope (per concentration unit).
        slope: PdValue,
    },
    /// Edrug = Emax·C/(EC50 + C).
    Emax {
        /// Maximum effect.
        emax: PdValue,
        /// Concentration at half Emax.
        ec50: PdValue,
    },
}

/// The PD model and its parameters (see the module's table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum PdModelFile {
    /// A direct effect on C, or on an effect compartment when `ke0` is given.
    Direct {
        /// The concentration-effect function.
        shape: ShapeFile,
        /// Equilibration rate constant KE0 (1/h); none for an effect on C itself.
        #[serde(default)]
        ke0: Option<PdValue>,
    },
    /// Indirect response I–IV.
    Indirect {
        /// Which rate the drug acts on, and how.
        turnover: Turnover,
        /// Production rate KIN (response unit/h).
        kin: PdValue,
        /// Loss rate constant KOUT (1/h).
        kout: PdValue,
        /// Imax in [0, 1] (inhibition) or Emax ≥ 0 (stimulation).
        max: PdValue,
        /// IC50 or EC50 (concentration unit).
        c50: PdValue,
        /// Hill coefficient; 1 when absent.
        #[serde(default)]
        hill: Option<PdValue>,
    },
    /// The concentration delayed through a chain of `n` transit compartments.
    TransitDelay {
        /// Number of compartments (≥ 1).
        n: usize,
        /// Mean transit time (h).
        mtt: PdValue,
    },
    /// Friberg 2002 myelosuppression.
    Friberg {
        /// Baseline ANC Circ0 (10⁹/L).
        circ0: PdValue,
        /// Mean transit time (h).
        mtt: PdValue,
        /// Feedback exponent γ.
        gamma: PdValue,
        /// The drug effect.
        drug: FribergDrugFile,
    },
    /// Hamberg 2007 warfarin INR.
    Hamberg {
        /// Maximum inhibition Emax, in (0, 1].
        emax: PdValue,
        /// S-warfarin EC50 (mg/L).
        ec50: PdValue,
        /// Hill coefficient γ.
        gamma: PdValue,
        /// Mean transit time of the six-compartment chain (h).
        mtt1: PdValue,
        /// Mean transit time of the one-compartment chain (h).
        mtt2: PdValue,
        /// Baseline INR.
        base_inr: PdValue,
        /// Maximal INR increase.
        inr_max: PdValue,
        /// Shape exponent λ.
        lambda: PdValue,
    },
}

/// The unit of the concentration the PD model reads.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ConcentrationUnit {
    /// mg/L: amount (mg) over the central volume (L).
    #[default]
    MgPerL,
    /// µM: C (mg/L)·1000/`molar_mass`.
    Micromolar {
        /// Molar mass (g/mol).
        molar_mass: f64,
    },
    /// `factor`·C (mg/L), e.g. 1000 for µg/L.
    Scaled {
        /// The factor (PD unit per mg/L).
        factor: f64,
    },
}

/// A cumulative hazard h0·exp(β·effect) kept as state `H`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HazardFile {
    /// Baseline hazard h0 (1/h).
    pub h0: PdValue,
    /// Coefficient β (per effect unit).
    pub beta: PdValue,
    /// Start of the risk period (h), for reading the event.
    #[serde(default)]
    pub from: f64,
}

/// The `pd` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PdFile {
    /// The PD model; none for only the exposure integral.
    #[serde(default)]
    pub model: Option<PdModelFile>,
    /// The unit of the driving concentration; mg/L by default.
    #[serde(default)]
    pub concentration: ConcentrationUnit,
    /// Whether to keep the running AUC (mg·h/L) as state `AUC`.
    #[serde(default)]
    pub exposure_integral: bool,
    /// A cumulative hazard of the effect, as state `H`.
    #[serde(default)]
    pub hazard: Option<HazardFile>,
}

/// A PD problem, with the file field and parameter it came from, for [`super::ModelSpec`] to
/// locate in the text.
pub(super) struct PdError {
    /// Where to point in the text: a quoted parameter name or a field name.
    pub key: String,
    /// The problem.
    pub error: Error,
}

/// Resolves PD fields to numbers, remembering which field gave which value.
struct Resolver<'a> {
    parameters: &'a BTreeMap<String, f64>,
    used: Vec<(&'static str, &'a PdValue, f64)>,
}

impl<'a> Resolver<'a> {
    fn get(
        &mut self,
        field: &'static str,
        value: &'a PdValue,
    ) -> std::result::Result<f64, PdError> {
        let x = match value {
            PdValue::Value(x) => *x,
            PdValue::Parameter(name) => {
                self.parameters.get(name).copied().ok_or_else(|| PdError {
                    key: format!("\"{name}\""),
                    error: Error::Undefined {
                        name: name.clone(),
                        context: format!("pd field `{field}`"),
                    },
                })?
            }
        };
        self.used.push((field, value, x));
        Ok(x)
    }

    /// Names the field (and the parameter) behind a PD model's refusal of a value.
    fn blame(&self, source: pk_models::Error) -> PdError {
        let pk_models::Error::InvalidParameter {
            name,
            value,
            expected,
        } = source
        else {
            return PdError {
                key: "pd".to_owned(),
                error: Error::Model { source },
            };
        };
        // The model names the parameter as its paper does (EC50, BASE, IMAX); the file's field is
        // found by that name, or else by the offending value.
        let wanted = name.to_ascii_lowercase();
        let found = self
            .used
            .iter()
            .find(|(field, _, _)| field.replace('_', "") == wanted)
            .or_else(|| {
                self.used
                    .iter()
                    .find(|(_, _, x)| x.to_bits() == value.to_bits())
            });
        match found {
            Some((field, PdValue::Parameter(p), _)) => PdError {
                key: format!("\"{p}\""),
                error: Error::InvalidValue {
                    name: format!("{p} (pd field {field})"),
                    value,
                    expected,
                },
            },
            Some((field, PdValue::Value(_), _)) => PdError {
                key: (*field).to_owned(),
                error: Error::InvalidValue {
                    name: format!("pd field {field}"),
                    value,
                    expected,
                },
            },
            None => PdError {
                key: "pd".to_owned(),
                error: Error::Model { source },
            },
        }
    }
}

impl PdFile {
    /// Couples the PD model to `pk` with these parameter values.
    pub(super) fn couple(
        &self,
        pk: CompartmentModel,
        parameters: &BTreeMap<String, f64>,
        exposure_integral: bool,
    ) -> std::result::Result<PkPd<AnyPd>, PdError> {
        let mut r = Resolver {
            parameters,
            used: Vec::new(),
        };
        let mut pd = match &self.model {
            None => AnyPd::None(NoEffect),
            Some(model) => model.build(&mut r).map_err(|e| match e {
                Built::Resolve(e) => e,
                Built::Model(source) => r.blame(source),
            })?,
        };
        if let Some(h) = &self.hazard {
            let hazard = HazardEvent {
                h0: r.get("h0", &h.h0)?,
                beta: r.get("beta", &h.beta)?,
                from: h.from,
            };
            pd = AnyPd::Hazard(Box::new(CumulativeHazard { pd, hazard }));
        }
        let field = |key: &str, source: pk_models::Error| PdError {
            key: key.to_owned(),
            error: Error::Model { source },
        };
        let model = PkPd::new(pk, pd);
        let model = match self.concentration {
            ConcentrationUnit::MgPerL => model,
            ConcentrationUnit::Micromolar { molar_mass } => model
                .with_molar_mass(molar_mass)
                .map_err(|e| field("molar_mass", e))?,
            ConcentrationUnit::Scaled { factor } => model
                .with_concentration_scale(factor)
                .map_err(|e| field("factor", e))?,
        };
        Ok(if exposure_integral || self.exposure_integral {
            model.with_exposure_integral()
        } else {
            model
        })
    }
}

/// Why building a PD model failed: a reference, or the model's own check.
enum Built {
    Resolve(PdError),
    Model(pk_models::Error),
}

impl From<PdError> for Built {
    fn from(e: PdError) -> Self {
        Self::Resolve(e)
    }
}

impl From<pk_models::Error> for Built {
    fn from(e: pk_models::Error) -> Self {
        Self::Model(e)
    }
}

impl PdModelFile {
    fn build<'a>(&'a self, r: &mut Resolver<'a>) -> std::result::Result<AnyPd, Built> {
        Ok(match self {
            Self::Direct { shape, ke0 } => {
                let shape = match shape {
                    ShapeFile::Linear { e0, slope } => EffectShape::Linear {
                        e0: r.get("e0", e0)?,
                        slope: r.get("slope", slope)?,
                    },
                    ShapeFile::Emax { e0, emax, ec50 } => EffectShape::Emax {
                        e0: r.get("e0", e0)?,
                        emax: r.get("emax", emax)?,
                        ec50: r.get("ec50", ec50)?,
                    },
                    ShapeFile::Sigmoid {
                        e0,
                        emax,
                        ec50,
                        hill,
                    } => EffectShape::Sigmoid {
                        e0: r.get("e0", e0)?,
                        emax: r.get("emax", emax)?,
                        ec50: r.get("ec50", ec50)?,
                        hill: r.get("hill", hill)?,
                    },
                };
                AnyPd::Direct(match ke0 {
                    None => DirectEffect::on_central(shape)?,
                    Some(ke0) => DirectEffect::on_effect_compartment(shape, r.get("ke0", ke0)?)?,
                })
            }
            Self::Indirect {
                turnover,
                kin,
                kout,
                max,
                c50,
                hill,
            } => {
                let action = DrugAction {
                    max: r.get("max", max)?,
                    c50: r.get("c50", c50)?,
                    hill: match hill {
                        Some(h) => r.get("hill", h)?,
                        None => 1.0,
                    },
                };
                AnyPd::Indirect(IndirectResponse::new(
                    r.get("kin", kin)?,
                    r.get("kout", kout)?,
                    *turnover,
                    action,
                )?)
            }
            Self::TransitDelay { n, mtt } => AnyPd::Transit(TransitDelay {
                chain: TransitChain::new(*n, r.get("mtt", mtt)?)?,
            }),
            Self::Friberg {
                circ0,
                mtt,
                gamma,
                drug,
            } => {
                let drug = match drug {
                    FribergDrugFile::Linear { slope } => FribergDrugEffect::Linear {
                        slope: r.get("slope", slope)?,
                    },
                    FribergDrugFile::Emax { emax, ec50 } => FribergDrugEffect::Emax {
                        emax: r.get("emax", emax)?,
                        ec50: r.get("ec50", ec50)?,
                    },
                };
                AnyPd::Friberg(Friberg::new(
                    r.get("circ0", circ0)?,
                    r.get("mtt", mtt)?,
                    r.get("gamma", gamma)?,
                    drug,
                )?)
            }
            Self::Hamberg {
                emax,
                ec50,
                gamma,
                mtt1,
                mtt2,
                base_inr,
                inr_max,
                lambda,
            } => AnyPd::Hamberg(HambergInr::new(HambergParameters {
                emax: r.get("emax", emax)?,
                ec50: r.get("ec50", ec50)?,
                gamma: r.get("gamma", gamma)?,
                mtt1: r.get("mtt1", mtt1)?,
                mtt2: r.get("mtt2", mtt2)?,
                base_inr: r.get("base_inr", base_inr)?,
                inr_max: r.get("inr_max", inr_max)?,
                lambda: r.get("lambda", lambda)?,
            })?),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use pk_models::pd::friberg::docetaxel;
    use pk_models::pd::hamberg::{published, s_warfarin_pk};
    use pk_models::{Dose, Model, Record, SolutionPath, simulate};

    use super::*;
    use crate::genotype::{Diplotype, GeneCatalogue};
    use crate::model_file::{BuiltModel, CovariateSource, ModelSpec};

    /// Both sides run the same pk_models code on the same numbers, so they agree to rounding;
    /// a wrong wiring (a parameter, the µM scale, a slot) moves the result far more.
    const SAME_CODE: f64 = 1e-12;

    /// Docetaxel with Friberg 2002's myelosuppression model (Table 4), an eta on MTT.
    const FRIBERG: &str = r#"(
        name: "docetaxel, Friberg 2002",
        structure: (compartments: 1, absorption: None, elimination: Linear),
        parameters: {
            "CL": (value: 36.0, unit: "L/h"),
            "V": (value: 8.0, unit: "L"),
            "CIRC0": (value: 5.05, unit: "10^9/L"),
            "MTT": (value: 89.3, unit: "h"),
            "GAMMA": (value: 0.163, unit: "1"),
            "EMAX": (value: 83.9, unit: "1"),
            "EC50": (value: 7.17, unit: "uM"),
        },
        pd: (
            model: Friberg(circ0: Parameter("CIRC0"), mtt: Parameter("MTT"), gamma: Parameter("GAMMA"),
                drug: Emax(emax: Parameter("EMAX"), ec50: Parameter("EC50"))),
            concentration: Micromolar(molar_mass: 807.9),
        ),
        outputs: [
            (name: "CP", compartment: "central", unit: "mg/L"),
            (name: "ANC", kind: Effect, unit: "10^9/L"),
            (name: "PROL", compartment: "Prol", kind: State, unit: "10^9/L"),
        ],
        random_effects: (parameters: [(name: "MTT")], omega: [[0.04]]),
        residual: {"ANC": Proportional(cv: 0.2)},
    )"#;

    /// S-warfarin PK and the INR model of Hamberg 2007, EC50 by VKORC1 diplotype.
    const HAMBERG: &str = r#"(
        name: "warfarin, Hamberg 2007",
        structure: (compartments: 2, absorption: FirstOrder, elimination: Linear),
        parameters: {
            "CL": (value: 0.314, unit: "L/h"),
            "V1": (value: 13.8, unit: "L"),
            "Q": (value: 0.131, unit: "L/h"),
            "V2": (value: 6.59, unit: "L"),
            "KA": (value: 2.0, unit: "1/h"),
            "EC50": (value: 4.61, unit: "mg/L", effects: [
                Diplotype(gene: "VKORC1", factors: {"GA": 0.6550976138828634, "AA": 0.4772234273318872}),
            ]),
            "EMAX": (value: 1.0, unit: "1"),
        },
        pd: (
            model: Hamberg(emax: Parameter("EMAX"), ec50: Parameter("EC50"), gamma: Value(0.424),
                mtt1: Value(11.6), mtt2: Value(120.0), base_inr: Value(1.0), inr_max: Value(20.0),
                lambda: Value(3.61)),
            exposure_integral: true,
        ),
        outputs: [
            (name: "CS", compartment: "central", unit: "mg/L"),
            (name: "INR", kind: Effect, unit: "1"),
            (name: "AUC", kind: Auc, unit: "mg*h/L"),
        ],
    )"#;

    struct Vkorc1(&'static str);

    impl CovariateSource for Vkorc1 {
        fn numeric(&self, _: &str) -> Option<f64> {
            None
        }
        fn category(&self, _: &str) -> Option<String> {
            None
        }
        fn diplotype(&self, gene: &str) -> Option<Diplotype> {
            GeneCatalogue::shipped()
                .ok()?
                .parse_diplotype(gene, self.0)
                .ok()
        }
    }

    /// A 75 mg/m² (135 mg) one-hour infusion, then the first three weeks.
    fn docetaxel_cycle() -> Vec<Record> {
        let mut records = vec![Record::dose(0.0, Dose::infusion(0, 135.0, 135.0))];
        records.extend((1..=21).map(|day| Record::observation(24.0 * f64::from(day))));
        records
    }

    #[test]
    fn friberg_model_file_matches_the_model_built_by_hand() -> crate::Result<()> {
        let spec = ModelSpec::parse(FRIBERG, Path::new("friberg.ron"))?;
        assert_eq!(
            spec.state_names(),
            [
                "central", "Prol", "Transit1", "Transit2", "Transit3", "Circ"
            ]
        );
        assert_eq!(
            spec.output_names().collect::<Vec<_>>(),
            ["CP", "ANC", "PROL"]
        );
        // An eta on MTT reaches the PD model: MTT_i = 89.3·exp(0.2).
        let eta = 0.2;
        let parameters = spec.individual_parameters(&Vkorc1("GG"), &BTreeMap::new(), &[eta])?;
        let model = spec.build(&parameters)?;
        let Some(AnyPd::Friberg(friberg)) = model.pkpd().map(PkPd::pd) else {
            panic!("expected a Friberg model, got {model:?}");
        };
        assert!((friberg.mtt() - docetaxel::MTT * eta.exp()).abs() < SAME_CODE);
        let by_hand = PkPd::new(
            model.pk().cloned().unwrap_or_else(|| unreachable!()),
            Friberg::new(
                docetaxel::CIRC0,
                docetaxel::MTT * eta.exp(),
                docetaxel::GAMMA,
                FribergDrugEffect::Emax {
                    emax: docetaxel::EMAX,
                    ec50: docetaxel::EC50,
                },
            )?,
        )
        .with_molar_mass(docetaxel::MOLAR_MASS)?;
        let records = docetaxel_cycle();
        let from_file = simulate(&model, &records, SolutionPath::Auto)?;
        let expected = simulate(&by_hand, &records, SolutionPath::Auto)?;
        let mut outputs = Vec::new();
        let mut nadir = f64::INFINITY;
        for i in 0..records.len() {
            spec.outputs_into(&model, 0.0, from_file.state(i), &mut outputs);
            let state = expected.state(i);
            assert!((outputs[0] - by_hand.central_concentration(state)).abs() < SAME_CODE);
            assert!((outputs[1] - by_hand.effect(state)).abs() < SAME_CODE);
            assert!((outputs[2] - by_hand.pd_state(state)[0]).abs() < SAME_CODE);
            nadir = nadir.min(outputs[1]);
        }
        // Starts at Circ0 (the baseline is the initial state) and falls to a nadir well below it.
        spec.outputs_into(&model, 0.0, &model.initial_state(), &mut outputs);
        assert_eq!(outputs[1], docetaxel::CIRC0);
        assert!(nadir < 0.5 * docetaxel::CIRC0, "nadir {nadir}");
        Ok(())
    }

    #[test]
    fn hamberg_model_file_takes_ec50_from_the_vkorc1_diplotype() -> crate::Result<()> {
        let spec = ModelSpec::parse(HAMBERG, Path::new("hamberg.ron"))?;
        let parameters = spec.individual_parameters(&Vkorc1("AA"), &BTreeMap::new(), &[])?;
        assert!((parameters["EC50"] - published::EC50_VKORC1_AA).abs() < SAME_CODE);
        let model = spec.build(&parameters)?;
        assert!(matches!(model, BuiltModel::PkPd(_)));
        let by_hand = PkPd::new(
            s_warfarin_pk(published::CL_CYP2C9_1_1)?,
            HambergInr::published(published::EC50_VKORC1_AA)?,
        );
        // 5 mg racemic (2.5 mg S-warfarin) daily for two weeks.
        let mut records = vec![Record::dose(0.0, Dose::bolus(0, 2.5).every(24.0, 13))];
        records.extend((1..=14).map(|day| Record::observation(24.0 * f64::from(day))));
        let from_file = simulate(&model, &records, SolutionPath::Auto)?;
        let expected = simulate(&by_hand, &records, SolutionPath::Auto)?;
        let mut outputs = Vec::new();
        for i in 0..records.len() {
            spec.outputs_into(&model, 0.0, from_file.state(i), &mut outputs);
            let state = expected.state(i);
            assert!((outputs[0] - by_hand.central_concentration(state)).abs() < SAME_CODE);
            assert!(
                (outputs[1] - by_hand.effect(state)).abs() < 1e-9,
                "{}",
                outputs[1]
            );
        }
        // After two weeks the INR has risen, and the AUC state holds the exposure so far:
        // below the dose/CL bound of what was absorbed (35 mg / 0.314 L/h).
        assert!(outputs[1] > 1.5, "INR {}", outputs[1]);
        assert!(
            outputs[2] > 0.0 && outputs[2] < 35.0 / 0.314,
            "AUC {}",
            outputs[2]
        );
        Ok(())
    }

    #[test]
    fn pd_parameter_out_of_range_names_the_line_and_the_field() {
        let text = HAMBERG.replace(r#""EMAX": (value: 1.0"#, r#""EMAX": (value: 1.5"#);
        let err = ModelSpec::parse(&text, Path::new("w.ron")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("w.ron:13:"), "{msg}");
        assert!(msg.contains("EMAX (pd field emax)"), "{msg}");
    }

    #[test]
    fn undefined_pd_parameter_names_its_reference() {
        let text = HAMBERG.replace(r#"ec50: Parameter("EC50")"#, r#"ec50: Parameter("EC5O")"#);
        let err = ModelSpec::parse(&text, Path::new("w.ron")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("w.ron:16:"), "{msg}");
        assert!(msg.contains("EC5O") && msg.contains("ec50"), "{msg}");
    }

    #[test]
    fn pd_output_on_a_model_without_pd_is_rejected() {
        let text = r#"(
            name: "oral",
            structure: (compartments: 1, absorption: FirstOrder, elimination: Linear),
            parameters: { "CL": (value: 1.1, unit: "L/h"), "V": (value: 20.0, unit: "L"), "KA": (value: 1.5, unit: "1/h") },
            outputs: [
                (name: "CP", compartment: "central", unit: "mg/L"),
                (name: "INR", kind: Effect, unit: "1"),
            ],
        )"#;
        let err = ModelSpec::parse(text, Path::new("oral.ron")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("oral.ron:7:"), "{msg}");
        assert!(msg.contains("INR") && msg.contains("pd"), "{msg}");
    }

    /// The AUC of a bolus into one compartment is dose/CL: the AUC output alone turns the
    /// exposure integral on, with no `pd` section.
    #[test]
    fn auc_output_integrates_the_concentration() -> crate::Result<()> {
        let text = r#"(
            name: "iv",
            structure: (compartments: 1, absorption: None, elimination: Linear),
            parameters: { "CL": (value: 2.0, unit: "L/h"), "V": (value: 20.0, unit: "L") },
            outputs: [(name: "AUC", kind: Auc, unit: "mg*h/L")],
        )"#;
        let spec = ModelSpec::parse(text, Path::new("iv.ron"))?;
        assert_eq!(spec.state_names(), ["central", "AUC"]);
        let model = spec.build(&spec.typical_parameters())?;
        let records = [
            Record::dose(0.0, Dose::bolus(0, 100.0)),
            Record::observation(500.0),
        ];
        let states = simulate(&model, &records, SolutionPath::Auto)?;
        let mut outputs = Vec::new();
        spec.outputs_into(&model, 0.0, states.state(1), &mut outputs);
        // 100 mg / 2 L/h; the tail beyond 500 h is exp(−50) of it; the ODE path's tolerance.
        assert!((outputs[0] - 50.0).abs() < 1e-6, "{}", outputs[0]);
        Ok(())
    }
}
