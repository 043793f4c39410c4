//! Against an independent tool: R's nlme (3.1-162, R 4.2.2) on `datasets::Theoph`.
//!
//! `tests/fixtures/theoph/fit_nlme.R` fits a 1-compartment oral model with log-normal random
//! effects on CL, V and KA and writes the data, nlme's final estimates as a twinsim model file,
//! and each subject's random effects (`ranef`). nlme's `ranef` are the conditional modes of b
//! given the final fixed effects, Ψ and σ: the penalised nonlinear least-squares minimiser of
//! Σ(y − f)²/σ² + bᵀΨ⁻¹b, which with additive error is exactly our MAP objective (log σ² is a
//! constant). The remaining differences are nlme's convergence tolerances (the alternating
//! PNLS/LME iterations stop at a relative change of 1e-6 in the fixed effects, not at the
//! conditional mode of the final ones) and the 17-digit export.

use std::collections::BTreeMap;

use twins::Result;
use twins::bayes::{History, IndividualModel, MapSettings, estimate_map};
use twins::dataset::Dataset;
use twins::genotype::GeneCatalogue;
use twins::model_file::{ModelSpec, RowCovariates};

use crate::fixtures::theoph_dir;

/// Largest allowed |η_twinsim − b_nlme|, as a fraction of the prior standard deviation √ω of
/// each random effect: 1% of the η scale (observed: at most 0.2%) (see the module's note on why they need not be equal).
const AGREEMENT_FRACTION_OF_SD: f64 = 0.01;

fn ranef() -> Result<BTreeMap<String, [f64; 3]>> {
    let path = theoph_dir().join("nlme_ranef.csv");
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(&path)
        .map_err(|source| twins::Error::Csv { source })?;
    let mut out = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|source| twins::Error::Csv { source })?;
        let number = |i: usize| {
            record
                .get(i)
                .and_then(|s| s.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        // Columns: ID, lCl, lV, lKa: the same order as the model's random effects CL, V, KA.
        out.insert(
            record.get(0).unwrap_or("").to_owned(),
            [number(1), number(2), number(3)],
        );
    }
    Ok(out)
}

#[test]
fn map_etas_match_nlme_random_effects_on_theoph() -> Result<()> {
    let dir = theoph_dir();
    let spec = ModelSpec::load(dir.join("theoph_model.ron"))?;
    let data_path = dir.join("theoph.csv");
    let data = Dataset::read(&data_path)?;
    let nlme = ranef()?;
    let genes = GeneCatalogue::shipped()?;
    let omega = spec
        .random_effects()
        .expect("the fixture has random effects")
        .omega()
        .clone();
    assert_eq!(data.individuals.len(), 12);
    let mut worst = [0.0f64; 3];
    for individual in &data.individuals {
        let history = History::from_individual(individual, &spec, &data_path)?;
        let subject = RowCovariates {
            row: &individual.rows[0],
            genes: &genes,
        };
        let model = IndividualModel::new(&spec, &subject, &BTreeMap::new(), history)?;
        let map = estimate_map(&model.objective()?, None, &MapSettings::default())?;
        assert!(map.converged, "ID {}", individual.id);
        let reference = nlme[&individual.id];
        for k in 0..3 {
            let sd = omega.matrix()[(k, k)].sqrt();
            let difference = (map.eta[k] - reference[k]).abs() / sd;
            worst[k] = worst[k].max(difference);
            assert!(
                difference < AGREEMENT_FRACTION_OF_SD,
                "ID {} eta {k}: twinsim {} vs nlme {} ({difference} sd)",
                individual.id,
                map.eta[k],
                reference[k]
            );
        }
    }
    println!("largest |eta - ranef| / sd(eta) over the 12 subjects (CL, V, KA): {worst:?}");
    Ok(())
}
