//! The set of known genes: the shipped tables, plus any the user loads.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Diplotype, Gene};
use crate::error::{Error, Result};

/// The shipped gene tables, embedded at compile time: (file name, RON text).
const SHIPPED: [(&str, &str); 11] = [
    ("CYP2C9.ron", include_str!("../../data/genes/CYP2C9.ron")),
    ("CYP2C19.ron", include_str!("../../data/genes/CYP2C19.ron")),
    ("CYP2D6.ron", include_str!("../../data/genes/CYP2D6.ron")),
    ("CYP3A5.ron", include_str!("../../data/genes/CYP3A5.ron")),
    ("VKORC1.ron", include_str!("../../data/genes/VKORC1.ron")),
    ("TPMT.ron", include_str!("../../data/genes/TPMT.ron")),
    ("NUDT15.ron", include_str!("../../data/genes/NUDT15.ron")),
    ("DPYD.ron", include_str!("../../data/genes/DPYD.ron")),
    ("SLCO1B1.ron", include_str!("../../data/genes/SLCO1B1.ron")),
    (
        "HLA-B_15_02.ron",
        include_str!("../../data/genes/HLA-B_15_02.ron"),
    ),
    (
        "HLA-B_57_01.ron",
        include_str!("../../data/genes/HLA-B_57_01.ron"),
    ),
];

/// Genes by name.
#[derive(Debug, Clone, Default)]
pub struct GeneCatalogue {
    genes: Vec<Arc<Gene>>,
}

impl GeneCatalogue {
    /// The tables shipped with the crate (CPIC-based; see each file's header).
    pub fn shipped() -> Result<GeneCatalogue> {
        let mut catalogue = GeneCatalogue::default();
        for (file, text) in SHIPPED {
            let origin = PathBuf::from(format!("<embedded twins/data/genes/{file}>"));
            catalogue.insert(Gene::from_ron_str(text, &origin)?);
        }
        Ok(catalogue)
    }

    /// The shipped tables as (file name, RON text), e.g. to copy and edit.
    pub fn shipped_files() -> &'static [(&'static str, &'static str)] {
        &SHIPPED
    }

    /// Adds every `*.ron` gene file in `dir`, replacing shipped genes of the same name.
    pub fn load_dir(&mut self, dir: &Path) -> Result<()> {
        let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
            action: "list",
            path: dir.to_path_buf(),
            source,
        })?;
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| Error::Io {
                action: "list",
                path: dir.to_path_buf(),
                source,
            })?;
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "ron") {
                paths.push(path);
            }
        }
        paths.sort();
        for path in paths {
            self.insert(Gene::from_path(&path)?);
        }
        Ok(())
    }

    /// Adds `gene`, replacing one of the same name.
    pub fn insert(&mut self, gene: Gene) {
        self.genes.retain(|g| g.name() != gene.name());
        self.genes.push(Arc::new(gene));
    }

    /// The gene called `name`.
    pub fn get(&self, name: &str) -> Result<&Arc<Gene>> {
        self.genes
            .iter()
            .find(|g| g.name() == name)
            .ok_or_else(|| Error::UnknownGene {
                gene: name.to_string(),
                hint: crate::names::hint(name, self.genes.iter().map(|g| g.name())),
            })
    }

    /// Whether a gene called `name` is known.
    pub fn contains(&self, name: &str) -> bool {
        self.genes.iter().any(|g| g.name() == name)
    }

    /// All genes, in insertion order.
    pub fn genes(&self) -> &[Arc<Gene>] {
        &self.genes
    }

    /// Parses a diplotype of gene `gene`.
    pub fn parse_diplotype(&self, gene: &str, text: &str) -> Result<Diplotype> {
        Diplotype::parse(self.get(gene)?, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genotype::Ancestry;

    #[test]
    fn every_shipped_gene_has_every_group() -> Result<()> {
        let genes = GeneCatalogue::shipped()?;
        assert_eq!(genes.genes().len(), 11);
        for gene in genes.genes() {
            for group in Ancestry::ALL {
                let f = gene
                    .frequencies(group)
                    .ok_or_else(|| Error::MissingFrequencies {
                        gene: gene.name().into(),
                        group,
                    })?;
                let sum: f64 = f.iter().sum();
                assert!(
                    (sum - 1.0).abs() < 1e-9,
                    "{} {group:?} sums to {sum}",
                    gene.name()
                );
            }
        }
        Ok(())
    }

    #[test]
    fn unknown_gene_is_an_error() -> Result<()> {
        let genes = GeneCatalogue::shipped()?;
        assert!(matches!(
            genes.get("CYP9Z9"),
            Err(Error::UnknownGene { .. })
        ));
        Ok(())
    }

    #[test]
    fn every_allele_pair_round_trips_through_text() -> Result<()> {
        // Exhaustive over every shipped gene: display, parse back, same diplotype; and
        // the reversed order reads the same.
        let genes = GeneCatalogue::shipped()?;
        for gene in genes.genes() {
            let n = gene.alleles().len();
            for a in 0..n {
                for b in 0..n {
                    let d = Diplotype::from_indices(gene, a, b)?;
                    let text = d.to_string();
                    assert_eq!(Diplotype::parse(gene, &text)?, d, "{} {text}", gene.name());
                    let [x, y] = d.allele_names();
                    assert_eq!(Diplotype::parse(gene, &format!("{y}/{x}"))?, d);
                }
            }
        }
        Ok(())
    }
}
