//! Diplotypes: parsing, phenotypes and Hardy–Weinberg sampling.

use std::fmt;
use std::sync::Arc;

use rand::{Rng, RngExt};

use super::{Ancestry, Gene, Phenotype};
use crate::error::{Error, Result};

/// Two alleles of one gene, stored in table order (so `*3/*1` reads back as `*1/*3`).
#[derive(Debug, Clone)]
pub struct Diplotype {
    gene: Arc<Gene>,
    alleles: [u16; 2],
}

impl PartialEq for Diplotype {
    fn eq(&self, other: &Self) -> bool {
        self.gene.name() == other.gene.name() && self.alleles == other.alleles
    }
}

impl Diplotype {
    /// The diplotype of alleles with table indices `a` and `b`.
    pub fn from_indices(gene: &Arc<Gene>, a: usize, b: usize) -> Result<Diplotype> {
        let n = gene.alleles().len();
        if a >= n || b >= n {
            return Err(Error::Inconsistent {
                what: format!("{}: allele index {} out of range", gene.name(), a.max(b)),
            });
        }
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        Ok(Diplotype {
            gene: Arc::clone(gene),
            alleles: [lo as u16, hi as u16],
        })
    }

    /// Parses `*1/*3`, `G/A` or `GA` (single-letter alleles), or for a carrier gene
    /// (HLA) a single allele such as `*15:02`, read as one copy with the reference.
    pub fn parse(gene: &Arc<Gene>, text: &str) -> Result<Diplotype> {
        let [a, b] = gene.parse_pair(text)?;
        Diplotype::from_indices(gene, a, b)
    }

    /// The reference homozygote (`*1/*1`, `GG`, ...).
    pub fn reference(gene: &Arc<Gene>) -> Diplotype {
        let r = gene.reference() as u16;
        Diplotype {
            gene: Arc::clone(gene),
            alleles: [r, r],
        }
    }

    /// Draws two alleles independently from `group`'s frequencies (Hardy–Weinberg:
    /// P(a/b) = 2·p_a·p_b for a ≠ b, p_a² for a = b).
    pub fn sample<R: Rng + ?Sized>(gene: &Arc<Gene>, group: Ancestry, rng: &mut R) -> Result<Self> {
        let cumulative = gene.cumulative(group)?;
        let mut draw = || {
            let u: f64 = rng.random();
            cumulative
                .partition_point(|&c| c <= u)
                .min(cumulative.len() - 1)
        };
        let (a, b) = (draw(), draw());
        Diplotype::from_indices(gene, a, b)
    }

    /// The gene.
    pub fn gene(&self) -> &Arc<Gene> {
        &self.gene
    }

    /// Allele table indices, in table order.
    pub fn indices(&self) -> [usize; 2] {
        [usize::from(self.alleles[0]), usize::from(self.alleles[1])]
    }

    /// Allele names, in table order.
    pub fn allele_names(&self) -> [&str; 2] {
        let [a, b] = self.indices();
        [&self.gene.alleles()[a].name, &self.gene.alleles()[b].name]
    }

    /// Activity score: the sum of the two alleles' activity values.
    pub fn activity_score(&self) -> f64 {
        let [a, b] = self.indices();
        self.gene.alleles()[a].activity + self.gene.alleles()[b].activity
    }

    /// Copies (0, 1, 2) of the allele with index `allele`.
    pub fn dosage(&self, allele: usize) -> u8 {
        self.indices().iter().filter(|&&i| i == allele).count() as u8
    }

    /// The phenotype by the gene's rule.
    pub fn phenotype(&self) -> Phenotype {
        let [a, b] = self.indices();
        self.gene.phenotype_of(a, b)
    }

    /// Whether this is the reference homozygote.
    pub fn is_reference(&self) -> bool {
        let r = self.gene.reference();
        self.indices() == [r, r]
    }
}

impl fmt::Display for Diplotype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.gene.pair_text(self.indices()))
    }
}

#[cfg(test)]
mod tests {
    use crate::genotype::{GeneCatalogue, Phenotype};
    use crate::{Error, Result};

    #[test]
    fn parse_orders_alleles_and_round_trips() -> Result<()> {
        let genes = GeneCatalogue::shipped()?;
        let d = genes.parse_diplotype("CYP2C9", "*3/*1")?;
        assert_eq!(d.to_string(), "*1/*3");
        assert_eq!(d.activity_score(), 1.0);
        assert_eq!(d.phenotype(), Phenotype::IntermediateMetabolizer);
        Ok(())
    }

    #[test]
    fn vkorc1_letters_and_hla_carrier() -> Result<()> {
        let genes = GeneCatalogue::shipped()?;
        let v = genes.parse_diplotype("VKORC1", "AG")?;
        assert_eq!(v.to_string(), "GA");
        assert_eq!(v.phenotype(), Phenotype::IncreasedWarfarinSensitivity);
        let h = genes.parse_diplotype("HLA-B*15:02", "*15:02")?;
        assert_eq!(h.phenotype(), Phenotype::Carrier);
        Ok(())
    }

    #[test]
    fn cpic_phenotype_examples() -> Result<()> {
        // Examples from the CPIC guideline phenotype tables cited in each gene file.
        let genes = GeneCatalogue::shipped()?;
        let cases = [
            ("CYP2D6", "*4/*4", Phenotype::PoorMetabolizer),
            ("CYP2D6", "*4/*10", Phenotype::IntermediateMetabolizer),
            ("CYP2D6", "*1/*41", Phenotype::NormalMetabolizer),
            ("CYP2D6", "*1/*1x2", Phenotype::UltrarapidMetabolizer),
            ("CYP2C19", "*1/*17", Phenotype::RapidMetabolizer),
            ("CYP2C19", "*17/*17", Phenotype::UltrarapidMetabolizer),
            ("CYP2C19", "*2/*3", Phenotype::PoorMetabolizer),
            ("CYP3A5", "*1/*3", Phenotype::Expresser),
            ("CYP3A5", "*3/*3", Phenotype::NonExpresser),
            ("TPMT", "*1/*3A", Phenotype::IntermediateMetabolizer),
            ("NUDT15", "*3/*3", Phenotype::PoorMetabolizer),
            ("DPYD", "*1/c.2846A>T", Phenotype::IntermediateMetabolizer),
            ("SLCO1B1", "*15/*15", Phenotype::PoorFunction),
            ("SLCO1B1", "*1/*15", Phenotype::DecreasedFunction),
            ("HLA-B*57:01", "other/other", Phenotype::NonCarrier),
        ];
        for (gene, text, expected) in cases {
            assert_eq!(
                genes.parse_diplotype(gene, text)?.phenotype(),
                expected,
                "{gene} {text}"
            );
        }
        Ok(())
    }

    #[test]
    fn unknown_allele_is_an_error() -> Result<()> {
        let genes = GeneCatalogue::shipped()?;
        let err = genes
            .parse_diplotype("CYP2C9", "*1/*99")
            .expect_err("*99 is not listed");
        assert!(matches!(err, Error::UnknownAllele { ref allele, .. } if allele == "*99"));
        let err = genes
            .parse_diplotype("CYP2C9", "*1")
            .expect_err("one allele");
        assert!(matches!(err, Error::BadDiplotype { .. }));
        Ok(())
    }
}
