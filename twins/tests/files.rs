//! RON round-trips for every file type, and malformed or inconsistent files failing with
//! an error that names the file, the position and the problem.

use std::path::Path;

use twins::covariates::{Covariates, CovariatesInput, Sex};
use twins::error::Position;
use twins::genotype::{Gene, GeneCatalogue, GeneFile};
use twins::io::{from_ron_str, to_ron_string};
use twins::learner::{
    EffectTable, EffectTableFile, FeatureValue, FeatureValues, GenotypeEffectModel, LearnedModel,
    TrainingConfig, train_from_csv,
};
use twins::population::{PopulationFile, PopulationModel};
use twins::variability::RandomEffectsFile;
use twins::{Error, Result, sample_population};

use crate::common::{tempdir, write};

/// Round-trips `value` through RON text.
fn round_trip<T>(value: &T) -> Result<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    from_ron_str(&to_ron_string(value)?, Path::new("round-trip.ron"))
}

/// The file, position and innermost problem of an error.
fn located(err: &Error) -> (String, Option<Position>, &Error) {
    match err {
        Error::InFile { path, position, .. } => {
            (path.display().to_string(), *position, err.problem())
        }
        other => panic!("expected an error naming its file, got {other}"),
    }
}

#[test]
fn gene_tables_round_trip() -> Result<()> {
    for gene in GeneCatalogue::shipped()?.genes() {
        let file = GeneFile::from((**gene).clone());
        assert_eq!(round_trip(&file)?, file);
        let back: Gene = round_trip(&**gene)?;
        assert_eq!(&back, &**gene);
    }
    Ok(())
}

#[test]
fn shipped_files_have_a_cited_source() {
    for (name, text) in GeneCatalogue::shipped_files() {
        let header: String = text.lines().take_while(|l| l.starts_with("//")).collect();
        assert!(header.contains("CPIC"), "{name} does not cite CPIC");
        assert!(
            header.contains("20"),
            "{name} does not give the guideline year"
        );
        assert!(
            header.contains("remaining"),
            "{name} does not say where the remaining mass goes"
        );
    }
}

#[test]
fn gene_loads_from_a_user_path() -> Result<()> {
    let dir = tempdir()?;
    let (_, text) = GeneCatalogue::shipped_files()[0];
    write(dir.path(), "mine.ron", text)?;
    let mut genes = GeneCatalogue::default();
    genes.load_dir(dir.path())?;
    assert_eq!(genes.genes().len(), 1);
    Ok(())
}

const POPULATION: &str = r#"(
    covariates: {
        WT: LogNormal(median: 70.0, sd_log: 0.2),
        AGE: Truncated(distribution: Uniform(min: 0.0, max: 100.0), min: 18.0, max: 65.0, method: Rejection),
    },
    sex: {Female: 0.4, Male: 0.6},
    genes: ["CYP3A5", "HLA-B*57:01"],
    random_effects: Some((
        parameters: [(name: "CL", transform: LogNormal), (name: "F", transform: Normal)],
        omega: [[0.09, 0.0], [0.0, 0.01]],
        occasion_omega: Some([[0.02, 0.0], [0.0, 0.005]]),
    )),
)"#;

#[test]
fn population_and_random_effects_round_trip() -> Result<()> {
    let file: PopulationFile = from_ron_str(POPULATION, Path::new("pop.ron"))?;
    assert_eq!(round_trip(&file)?, file);
    let effects: RandomEffectsFile = file.random_effects.clone().expect("given above");
    assert_eq!(round_trip(&effects)?, effects);
    let model = PopulationModel::from_ron_str(POPULATION, Path::new("pop.ron"))?;
    let patients = sample_population(&model, 10, 1)?;
    assert_eq!(patients[0].genotypes.len(), 2);
    let occasions = model
        .random_effects()
        .expect("given above")
        .sample_occasions(
            3,
            &mut patients[0].key.stream(twins::random::Purpose::Occasion),
        );
    assert_eq!(occasions.len(), 3);
    Ok(())
}

#[test]
fn covariates_and_training_config_round_trip() -> Result<()> {
    let c = Covariates::new(CovariatesInput::default())?;
    assert_eq!(round_trip(&c)?, c);
    let input = CovariatesInput::default();
    assert_eq!(round_trip(&input)?, input);
    let config = TrainingConfig::default();
    assert_eq!(round_trip(&config)?, config);
    Ok(())
}

fn small_training_csv(dir: &Path) -> Result<std::path::PathBuf> {
    let mut csv = String::from("ID,CYP2C9,SEX,WT,CL\n");
    let diplotypes = ["*1/*1", "*1/*2", "*1/*3", "*2/*3"];
    for i in 0..40 {
        let d = diplotypes[i % 4];
        let sex = if i % 3 == 0 { "F" } else { "M" };
        let wt = 50.0 + i as f64;
        let cl = 5.0 * (1.0 - 0.1 * (i % 4) as f64) * (1.0 + 0.01 * ((i * 37) % 11) as f64);
        csv += &format!("{i},{d},{sex},{wt},{cl}\n");
    }
    write(dir, "train.csv", &csv)
}

#[test]
fn learned_model_round_trips_and_predicts_the_same() -> Result<()> {
    let dir = tempdir()?;
    let config = TrainingConfig {
        features: vec!["CYP2C9".into(), "SEX".into(), "WT".into()],
        log_features: vec!["WT".into()],
        folds: 4,
        ..TrainingConfig::default()
    };
    let (model, report) = train_from_csv(&small_training_csv(dir.path())?, &config)?;
    assert!(report.effect("SEX", Some("F")).is_some(), "{report}");
    let path = dir.path().join("effects.ron");
    model.save(&path)?;
    let loaded = LearnedModel::load(&path)?;
    assert_eq!(loaded, model);
    assert!(loaded.to_string().contains("*1/*3"), "{loaded}");
    let values = FeatureValues::from([
        ("CYP2C9".to_string(), FeatureValue::Text("*1/*3".into())),
        ("SEX".to_string(), FeatureValue::Text("F".into())),
        ("WT".to_string(), FeatureValue::Number(70.0)),
    ]);
    assert_eq!(model.predict(&values)?, loaded.predict(&values)?);
    // Through the trait, a patient with the same values gets the same prediction.
    let genes = GeneCatalogue::shipped()?;
    let patient = patient_with(&genes, &[("CYP2C9", "*3/*1")], Sex::Female, 70.0)?;
    let via_trait = GenotypeEffectModel::predict(&loaded, &patient)?;
    let direct = model.predict(&values)?;
    assert_eq!(
        (via_trait.mean_log, via_trait.var_log),
        (direct.mean_log, direct.var_log)
    );
    Ok(())
}

/// A patient with given diplotypes, sex and weight (kg), other covariates at their defaults.
fn patient_with(
    genes: &GeneCatalogue,
    diplotypes: &[(&str, &str)],
    sex: Sex,
    weight_kg: f64,
) -> Result<twins::Patient> {
    Ok(twins::Patient {
        key: twins::random::TwinKey {
            scenario_seed: 0,
            replicate: 0,
            cohort: 0,
            twin: 0,
        },
        covariates: Covariates::new(CovariatesInput {
            sex,
            weight_kg,
            ..CovariatesInput::default()
        })?,
        genotypes: diplotypes
            .iter()
            .map(|(gene, text)| genes.parse_diplotype(gene, text))
            .collect::<Result<_>>()?,
        etas: Vec::new(),
    })
}

#[test]
fn effect_tables_round_trip_from_ron_and_csv() -> Result<()> {
    let dir = tempdir()?;
    let ron = r#"(
        target: "CL",
        gene: "CYP2C19",
        source: "illustrative",
        rows: [
            (diplotype: "*1/*1", mean_log: 1.6, sd_log: 0.3),
            (diplotype: "*2/*1", mean_log: 1.3, sd_log: 0.3),
            (diplotype: "*2/*2", mean_log: 0.9, sd_log: 0.35),
        ],
    )"#;
    let path = write(dir.path(), "table.ron", ron)?;
    let genes = GeneCatalogue::shipped()?;
    let table = EffectTable::from_ron_path(&path, &genes)?;
    let file: EffectTableFile = round_trip(table.file())?;
    assert_eq!(&file, table.file());
    let csv = write(
        dir.path(),
        "table.csv",
        "diplotype,mean_log,sd_log\n*1/*1,1.6,0.3\n*1/*2,1.3,0.3\n*2/*2,0.9,0.35\n",
    )?;
    let from_csv = EffectTable::from_csv_path(&csv, "CL", "CYP2C19", &genes)?;
    assert_eq!(from_csv.file().rows.len(), 3);
    // Both tables give a *1/*2 patient (written either way round) mean 1.3, variance 0.3².
    let patient = patient_with(&genes, &[("CYP2C19", "*2/*1")], Sex::Male, 70.0)?;
    for t in [&table, &from_csv] {
        let effect = t.predict(&patient)?;
        assert_eq!(effect.mean_log, 1.3);
        assert!((effect.var_log - 0.09).abs() < 1e-15);
    }
    let other = patient_with(&genes, &[("CYP2C19", "*17/*17")], Sex::Male, 70.0)?;
    assert!(matches!(
        table.predict(&other),
        Err(Error::UnseenLevel { .. })
    ));
    Ok(())
}

#[test]
fn syntax_error_names_file_line_and_column() -> Result<()> {
    let dir = tempdir()?;
    let path = write(
        dir.path(),
        "broken.ron",
        "(\n    genes: [\"CYP2C9\"]\n    sex: {Female: 1.0},\n)",
    )?;
    let err = PopulationModel::from_path(&path).expect_err("missing comma");
    let (file, position, problem) = located(&err);
    assert!(file.ends_with("broken.ron"));
    assert_eq!(position.map(|p| p.line), Some(3));
    assert!(matches!(problem, Error::Ron { .. }));
    assert!(
        err.to_string()
            .starts_with(&format!("{}:3:", path.display())),
        "{err}"
    );
    Ok(())
}

#[test]
fn unknown_field_is_rejected_with_position() -> Result<()> {
    let dir = tempdir()?;
    let path = write(dir.path(), "typo.ron", "(\n    genez: [\"CYP2C9\"],\n)")?;
    let err = PopulationModel::from_path(&path).expect_err("unknown field");
    let (_, position, _) = located(&err);
    assert_eq!(position.map(|p| p.line), Some(2), "{err}");
    Ok(())
}

#[test]
fn omega_not_positive_definite_names_file_position_and_matrix() -> Result<()> {
    let dir = tempdir()?;
    let text = "(\n    random_effects: Some((\n        parameters: [(name: \"CL\"), (name: \"V\")],\n        omega: [[0.1, 0.5], [0.5, 0.1]],\n    )),\n)";
    let path = write(dir.path(), "omega.ron", text)?;
    let err = PopulationModel::from_path(&path).expect_err("not positive definite");
    let (file, position, problem) = located(&err);
    assert!(file.ends_with("omega.ron"));
    assert_eq!(position, Some(Position { line: 4, column: 9 }));
    assert!(matches!(problem, Error::NotPositiveDefinite { matrix } if matrix == "omega"));
    assert!(
        err.to_string().contains("omega is not positive definite"),
        "{err}"
    );
    Ok(())
}

/// The shipped CYP2C9 table with one European frequency changed.
fn edited_gene(from: &str, to: &str) -> String {
    GeneCatalogue::shipped_files()[0].1.replacen(from, to, 1)
}

#[test]
fn frequencies_not_summing_to_one_fail_with_position() -> Result<()> {
    let dir = tempdir()?;
    let text = edited_gene("\"*2\": 0.127", "\"*2\": 0.227");
    let path = write(dir.path(), "CYP2C9.ron", &text)?;
    let err = Gene::from_path(&path).expect_err("sums to 1.1");
    let (_, position, problem) = located(&err);
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with("European:"))
        .map(|i| i + 1);
    assert_eq!(position.map(|p| p.line), line);
    assert!(
        matches!(problem, Error::FrequencySum { sum, .. } if (sum - 1.1).abs() < 1e-9),
        "{err}"
    );
    Ok(())
}

#[test]
fn unknown_allele_in_frequencies_fails_with_position() -> Result<()> {
    let dir = tempdir()?;
    let text = edited_gene("\"*2\": 0.127", "\"*99\": 0.127");
    let path = write(dir.path(), "CYP2C9.ron", &text)?;
    let err = Gene::from_path(&path).expect_err("*99 is not an allele");
    let (_, position, problem) = located(&err);
    assert!(position.is_some());
    assert!(matches!(problem, Error::UnknownAllele { allele, .. } if allele == "*99"));
    Ok(())
}

#[test]
fn unknown_gene_in_population_fails_with_position() -> Result<()> {
    let err = PopulationModel::from_ron_str(
        "(\n  genes: [\"CYP2C9\", \"CYP9Z9\"],\n)",
        Path::new("g.ron"),
    )
    .expect_err("no such gene");
    let (_, position, problem) = located(&err);
    assert_eq!(
        position,
        Some(Position {
            line: 2,
            column: 21
        })
    );
    assert!(matches!(problem, Error::UnknownGene { gene, .. } if gene == "CYP9Z9"));
    Ok(())
}

#[test]
fn ancestry_mix_must_sum_to_one() {
    let err = PopulationModel::from_ron_str(
        "(ancestry: {European: 0.5, African: 0.4})",
        Path::new("a.ron"),
    )
    .expect_err("sums to 0.9");
    assert!(
        matches!(err.problem(), Error::ProportionSum { .. }),
        "{err}"
    );
}

#[test]
fn correlation_on_a_missing_covariate_is_an_error() {
    let text = "(\n covariates: {WT: Normal(mean: 70.0, sd: 10.0)},\n correlations: Some((covariates: [WT, HT], matrix: [[1.0, 0.5], [0.5, 1.0]])),\n)";
    let err =
        PopulationModel::from_ron_str(text, Path::new("c.ron")).expect_err("HT not described");
    let (_, position, problem) = located(&err);
    assert_eq!(position.map(|p| p.line), Some(3));
    assert!(matches!(problem, Error::Undefined { name, .. } if name == "HT"));
}

#[test]
fn unknown_allele_in_training_csv_names_line_and_column() -> Result<()> {
    let dir = tempdir()?;
    let path = write(
        dir.path(),
        "bad.csv",
        "ID,CYP2C9,CL\n1,*1/*1,5.0\n2,*1/*77,4.0\n",
    )?;
    let config = TrainingConfig {
        features: vec!["CYP2C9".into()],
        folds: 0,
        ..TrainingConfig::default()
    };
    let err = train_from_csv(&path, &config).expect_err("*77");
    let (_, position, problem) = located(&err);
    assert_eq!(position, Some(Position { line: 3, column: 2 }));
    assert!(matches!(problem, Error::UnknownAllele { allele, .. } if allele == "*77"));
    Ok(())
}

#[test]
fn feature_missing_from_training_csv_is_an_error() -> Result<()> {
    let dir = tempdir()?;
    let path = write(dir.path(), "few.csv", "ID,CL\n1,5.0\n")?;
    let config = TrainingConfig {
        features: vec!["CRCL".into()],
        folds: 0,
        ..TrainingConfig::default()
    };
    let err = train_from_csv(&path, &config).expect_err("no CRCL column");
    assert!(matches!(err.problem(), Error::MissingColumn { column } if column == "CRCL"));
    assert!(err.to_string().contains("few.csv"), "{err}");
    Ok(())
}

#[test]
fn effect_on_a_covariate_the_patient_lacks_is_an_error() -> Result<()> {
    let dir = tempdir()?;
    let path = write(
        dir.path(),
        "d6.csv",
        "ID,CYP2D6,CL\n1,*1/*1,5.0\n2,*1/*4,4.0\n3,*4/*4,2.0\n4,*1/*1,5.5\n",
    )?;
    let config = TrainingConfig {
        features: vec!["CYP2D6".into()],
        folds: 0,
        ..TrainingConfig::default()
    };
    let (model, _) = train_from_csv(&path, &config)?;
    let population = PopulationModel::from_ron_str("(genes: [\"CYP2C9\"])", Path::new("p.ron"))?;
    let patient = sample_population(&population, 1, 1)?.remove(0);
    let err = GenotypeEffectModel::predict(&model, &patient).expect_err("not genotyped for CYP2D6");
    assert!(
        matches!(err, Error::Undefined { ref name, .. } if name == "CYP2D6"),
        "{err}"
    );
    Ok(())
}

#[test]
fn model_file_with_wrong_posterior_size_names_position() -> Result<()> {
    let dir = tempdir()?;
    let config = TrainingConfig {
        features: vec!["CYP2C9".into()],
        folds: 0,
        ..TrainingConfig::default()
    };
    let (mut model, _) = train_from_csv(&small_training_csv(dir.path())?, &config)?;
    model.posterior.mean.pop();
    let path = write(dir.path(), "bad-model.ron", &model.to_ron()?)?;
    let err = LearnedModel::load(&path).expect_err("one coefficient short");
    let (_, position, problem) = located(&err);
    assert!(position.is_some());
    assert!(matches!(problem, Error::Inconsistent { .. }), "{err}");
    Ok(())
}

#[test]
fn effect_table_with_unknown_gene_or_allele_names_file_and_line() -> Result<()> {
    let dir = tempdir()?;
    let genes = GeneCatalogue::shipped()?;
    let text = "(\n    target: \"CL\",\n    gene: \"CYP2C99\",\n    rows: [],\n)";
    let path = write(dir.path(), "gene.ron", text)?;
    let err = EffectTable::from_ron_path(&path, &genes).expect_err("no such gene");
    let (file, position, problem) = located(&err);
    assert!(file.ends_with("gene.ron"));
    assert_eq!(position.map(|p| p.line), Some(3));
    assert!(matches!(problem, Error::UnknownGene { gene, .. } if gene == "CYP2C99"));
    let text = "(\n    target: \"CL\",\n    gene: \"CYP2C9\",\n    rows: [\n        (diplotype: \"*1/*1\", mean_log: 1.0, sd_log: 0.2),\n        (diplotype: \"*1/*42\", mean_log: 0.8, sd_log: 0.2),\n    ],\n)";
    let path = write(dir.path(), "allele.ron", text)?;
    let err = EffectTable::from_ron_path(&path, &genes).expect_err("no *42");
    let (_, position, problem) = located(&err);
    assert_eq!(position.map(|p| p.line), Some(6));
    assert!(matches!(problem, Error::UnknownAllele { allele, .. } if allele == "*42"));
    Ok(())
}
