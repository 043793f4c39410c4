//! Pharmacogenes, star alleles, diplotypes and phenotypes.
//!
//! A [`Gene`] is read from a RON table (one file per gene) giving each allele's
//! function and activity value, the allele frequencies per [`Ancestry`] group and
//! the rule that turns a diplotype into a [`Phenotype`]. The tables shipped with
//! the crate (`twins/data/genes/`, from CPIC guidelines and their PharmVar /
//! PharmGKB frequency tables) are embedded in the binary: see
//! [`GeneCatalogue::shipped`].
//!
//! ```
//! use twins::genotype::{GeneCatalogue, Phenotype};
//!
//! let genes = GeneCatalogue::shipped()?;
//! let d = genes.parse_diplotype("CYP2C19", "*2/*17")?;
//! assert_eq!(d.phenotype(), Phenotype::IntermediateMetabolizer);
//! let v = genes.parse_diplotype("VKORC1", "GA")?;
//! assert_eq!(v.to_string(), "GA");
//! # Ok::<(), twins::Error>(())
//! ```

mod catalogue;
mod diplotype;
mod gene;

pub use catalogue::GeneCatalogue;
pub use diplotype::Diplotype;
pub use gene::{
    Allele, AlleleFile, FREQUENCY_SUM_TOLERANCE, FunctionPair, Gene, GeneFile, PhenotypeRule,
    ScoreBand,
};

use serde::{Deserialize, Serialize};

/// Ancestry groups used by the CPIC frequency tables (biogeographical groups).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum Ancestry {
    /// European.
    #[default]
    European,
    /// African (CPIC's African American/Afro-Caribbean and Sub-Saharan African groups).
    African,
    /// East Asian.
    EastAsian,
    /// South Asian (CPIC's Central/South Asian group).
    SouthAsian,
    /// Latino / admixed American.
    Latino,
}

impl Ancestry {
    /// Every group, in a fixed order.
    pub const ALL: [Ancestry; 5] = [
        Ancestry::European,
        Ancestry::African,
        Ancestry::EastAsian,
        Ancestry::SouthAsian,
        Ancestry::Latino,
    ];
}

/// An allele's function, as CPIC assigns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AlleleFunction {
    /// No function.
    No,
    /// Decreased function.
    Decreased,
    /// Normal function.
    Normal,
    /// Increased function.
    Increased,
    /// Uncertain or unknown function.
    Uncertain,
    /// Function does not apply (e.g. HLA risk-allele presence).
    NotApplicable,
}

/// A phenotype derived from a diplotype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Phenotype {
    /// Poor metaboliser.
    PoorMetabolizer,
    /// Intermediate metaboliser.
    IntermediateMetabolizer,
    /// Normal metaboliser.
    NormalMetabolizer,
    /// Rapid metaboliser.
    RapidMetabolizer,
    /// Ultrarapid metaboliser.
    UltrarapidMetabolizer,
    /// CYP3A5 expresser (at least one functional allele).
    Expresser,
    /// CYP3A5 non-expresser.
    NonExpresser,
    /// Carries the risk allele (HLA).
    Carrier,
    /// Does not carry the risk allele (HLA).
    NonCarrier,
    /// Transporter: poor function (SLCO1B1).
    PoorFunction,
    /// Transporter: decreased function.
    DecreasedFunction,
    /// Transporter: normal function.
    NormalFunction,
    /// Transporter: increased function.
    IncreasedFunction,
    /// VKORC1 −1639 GG: normal warfarin sensitivity.
    NormalWarfarinSensitivity,
    /// VKORC1 −1639 GA: increased warfarin sensitivity.
    IncreasedWarfarinSensitivity,
    /// VKORC1 −1639 AA: high warfarin sensitivity.
    HighWarfarinSensitivity,
    /// No rule of the gene's table applies.
    Indeterminate,
}
