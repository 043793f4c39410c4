//! Turning a [`ScenarioFile`] into a [`Scenario`]: every check, each naming the field at fault.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use pk_models::outcomes::Outcome;
use twins::model_file::ModelSpec;
use twins::population::PopulationModel;

use super::file::{DoseFile, RegimenFile, RuleFile, ScenarioFile};
use super::{Arm, Comparison, Escalation, OutcomeDef, Regimen, Rule, Scenario};
use crate::Error;

/// Most recorded time points per twin: keeps a mistyped `record_every_h` from exhausting memory.
const MAX_RECORD_POINTS: f64 = 1_000_000.0;

/// Where a field sits in the text: the line and column of `key:` after the first `anchor`.
fn locate(text: &str, anchor: Option<&str>, key: &str) -> Option<(usize, usize)> {
    let start = anchor.and_then(|a| text.find(a)).unwrap_or(0);
    let mut from = start;
    while let Some(found) = text[from..].find(key) {
        let at = from + found;
        let before_ok = at == 0 || !text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        let after = &text[at + key.len()..];
        if before_ok && (after.trim_start().starts_with(':') || after.trim_start().starts_with('('))
        {
            let line = text[..at].matches('\n').count() + 1;
            let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
            return Some((line, column));
        }
        from = at + key.len();
    }
    None
}

/// Builds errors for one scenario file.
struct Checker<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Checker<'_> {
    /// An error at `field` (a path such as `arms[1].regimen.every_h`), located after `anchor`.
    fn err(
        &self,
        field: impl Into<String>,
        anchor: Option<&str>,
        problem: impl Into<String>,
    ) -> Error {
        let field = field.into();
        let key = field.rsplit('.').next().unwrap_or(&field);
        let key = key.split('[').next().unwrap_or(key);
        Error::scenario(self.path, locate(self.text, anchor, key), field, problem)
    }

    fn positive(
        &self,
        field: &str,
        anchor: Option<&str>,
        value: f64,
        unit: &str,
    ) -> Result<(), Error> {
        if value.is_finite() && value > 0.0 {
            Ok(())
        } else {
            Err(self.err(
                field,
                anchor,
                format!("expected a number > 0 ({unit}), found {value}"),
            ))
        }
    }
}

fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

pub(super) fn validate(path: &Path, text: &str) -> Result<Scenario, Error> {
    let c = Checker { path, text };
    // NaN and infinities parse as numbers: refuse them before any field takes one.
    if let Some(found) = twins::finite::find_non_finite(text) {
        return Err(Error::scenario(
            path,
            Some((found.position.line, found.position.column)),
            found.field.unwrap_or_else(|| "(number)".to_owned()),
            format!("expected a finite number, found `{}`", found.token),
        ));
    }
    let file: ScenarioFile = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(text)
        .map_err(|e| {
            Error::scenario(
                path,
                Some((e.span.start.line, e.span.start.col)),
                "(syntax)",
                e.code.to_string(),
            )
        })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut files_hash = fnv1a(0xcbf2_9ce4_8422_2325, text.as_bytes());

    // The model.
    let model_path = base.join(&file.model);
    if !model_path.is_file() {
        return Err(c.err(
            "model",
            None,
            format!("model file {} does not exist", model_path.display()),
        ));
    }
    let model = ModelSpec::load(&model_path).map_err(|source| Error::Referenced {
        path: path.to_owned(),
        what: format!("model file {}", file.model),
        source: Box::new(source),
    })?;
    files_hash = fnv1a(files_hash, &std::fs::read(&model_path).unwrap_or_default());
    let output_names: Vec<String> = model.output_names().map(str::to_owned).collect();
    let output_units: Vec<String> = model
        .file()
        .outputs
        .iter()
        .map(|o| o.unit.clone())
        .collect();

    // The population.
    let population = match &file.population {
        None => PopulationModel::from_ron_str("()", path).map_err(|source| Error::Referenced {
            path: path.to_owned(),
            what: "the default population".into(),
            source: Box::new(source),
        })?,
        Some(p) => {
            let pop_path = base.join(p);
            if !pop_path.is_file() {
                return Err(c.err(
                    "population",
                    None,
                    format!("population file {} does not exist", pop_path.display()),
                ));
            }
            files_hash = fnv1a(files_hash, &std::fs::read(&pop_path).unwrap_or_default());
            PopulationModel::from_path(&pop_path).map_err(|source| Error::Referenced {
                path: path.to_owned(),
                what: format!("population file {p}"),
                source: Box::new(source),
            })?
        }
    };
    let (population, notes) = covering(&c, &file, &model, population)?;
    let population = Arc::new(population);

    // Sizes and times.
    if file.twins_per_arm == 0 {
        return Err(c.err("twins_per_arm", None, "expected at least 1 twin per arm"));
    }
    if file.replicates == 0 {
        return Err(c.err("replicates", None, "expected at least 1 replicate"));
    }
    c.positive("duration_h", None, file.duration_h, "h")?;
    if file.duration_h > twins::dataset::MAX_TIME_H {
        return Err(c.err(
            "duration_h",
            None,
            format!(
                "expected at most {} h (over a thousand years), found {}",
                twins::dataset::MAX_TIME_H,
                file.duration_h
            ),
        ));
    }
    c.positive("record_every_h", None, file.record_every_h, "h")?;
    if file.duration_h / file.record_every_h > MAX_RECORD_POINTS {
        return Err(c.err(
            "record_every_h",
            None,
            format!("expected at most {MAX_RECORD_POINTS} recorded points per twin"),
        ));
    }
    let n_points = (file.duration_h / file.record_every_h + 1e-9).floor() as usize;
    let mut record_times: Vec<f64> = (0..=n_points)
        .map(|i| i as f64 * file.record_every_h)
        .collect();
    if record_times
        .last()
        .is_some_and(|&t| t < file.duration_h - 1e-9)
    {
        record_times.push(file.duration_h);
    }

    let mut visits = Vec::new();
    if let Some(v) = &file.visits {
        if let Some(every) = v.every_h {
            c.positive("visits.every_h", Some("visits"), every, "h")?;
            let mut t = v.from_h;
            while t <= file.duration_h + 1e-9 {
                visits.push(t);
                t += every;
            }
        }
        for (i, &t) in v.at_h.iter().enumerate() {
            if !(t.is_finite() && (0.0..=file.duration_h).contains(&t)) {
                return Err(c.err(
                    format!("visits.at_h[{i}]"),
                    Some("visits"),
                    format!(
                        "expected a time in [0, duration_h = {}] h, found {t}",
                        file.duration_h
                    ),
                ));
            }
            visits.push(t);
        }
        visits.sort_by(f64::total_cmp);
        visits.dedup();
    }

    let solver = match file.solver {
        None => None,
        Some(sf) => {
            for (name, v) in [("solver.rtol", sf.rtol), ("solver.atol", sf.atol)] {
                if !(v.is_finite() && v > 0.0 && v < 1.0) {
                    return Err(c.err(
                        name,
                        Some("solver"),
                        format!("expected a tolerance in (0, 1), found {v}"),
                    ));
                }
            }
            Some(pk_models::SolverSettings {
                rtol: sf.rtol,
                atol: sf.atol,
                ..Default::default()
            })
        }
    };

    // Outcomes.
    let mut outcomes = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, o) in file.outcomes.iter().enumerate() {
        let anchor = format!("\"{}\"", o.name);
        let field = |f: &str| format!("outcomes[{i}].{f}");
        twins::names::check("outcome", &o.name)
            .map_err(|e| c.err(field("name"), Some(&anchor), e.to_string()))?;
        if !seen.insert(o.name.clone()) {
            return Err(c.err(
                field("name"),
                Some(&anchor),
                format!("outcome `{}` is defined twice", o.name),
            ));
        }
        let output = output_names
            .iter()
            .position(|n| n == &o.output)
            .ok_or_else(|| {
                c.err(
                    field("output"),
                    Some(&anchor),
                    format!(
                        "model has no output `{}` (it has: {})",
                        o.output,
                        output_names.join(", ")
                    ),
                )
            })?;
        if let Some(unit) = &o.unit
            && unit != &output_units[output]
        {
            return Err(c.err(
                field("unit"),
                Some(&anchor),
                format!(
                    "output `{}` is in {}, but the outcome is written in {unit}",
                    o.output, output_units[output]
                ),
            ));
        }
        if o.observed && visits.is_empty() {
            return Err(c.err(
                field("observed"),
                Some(&anchor),
                "an observed outcome needs visits",
            ));
        }
        check_outcome_window(
            &c,
            &field("definition"),
            &anchor,
            &o.definition,
            file.duration_h,
        )?;
        outcomes.push(OutcomeDef {
            name: o.name.clone(),
            output,
            definition: o.definition,
            observed: o.observed,
            adverse: o.adverse,
        });
    }
    let outcome_index = |name: &str| outcomes.iter().position(|o: &OutcomeDef| o.name == name);

    // Arms.
    if file.arms.is_empty() && file.escalation.is_none() {
        return Err(c.err("arms", None, "expected at least one arm"));
    }
    let mut arms = Vec::new();
    let mut arm_names = BTreeSet::new();
    for (i, a) in file.arms.iter().enumerate() {
        let anchor = format!("\"{}\"", a.name);
        twins::names::check("arm", &a.name)
            .map_err(|e| c.err(format!("arms[{i}].name"), Some(&anchor), e.to_string()))?;
        if !arm_names.insert(a.name.clone()) {
            return Err(c.err(
                format!("arms[{i}].name"),
                Some(&anchor),
                format!("arm `{}` is defined twice", a.name),
            ));
        }
        let regimen = regimen(
            &c,
            &format!("arms[{i}].regimen"),
            &anchor,
            &a.regimen,
            &model,
            &population,
        )?;
        let mut rules = Vec::new();
        for (j, r) in a.rules.iter().enumerate() {
            let field = format!("arms[{i}].rules[{j}]");
            let output_of = |name: &str| {
                output_names.iter().position(|n| n == name).ok_or_else(|| {
                    c.err(
                        format!("{field}.output"),
                        Some(&anchor),
                        format!(
                            "model has no output `{name}` (it has: {})",
                            output_names.join(", ")
                        ),
                    )
                })
            };
            if visits.is_empty() {
                return Err(c.err(
                    field,
                    Some(&anchor),
                    "a dosing rule acts at visits, but the scenario has none",
                ));
            }
            let (round_mg, min_mg, max_mg, at_visits) = match r {
                RuleFile::Titrate {
                    round_mg,
                    min_mg,
                    max_mg,
                    ..
                } => (*round_mg, *min_mg, *max_mg, &[][..]),
                RuleFile::ToTarget {
                    round_mg,
                    max_mg,
                    at_visits,
                    ..
                }
                | RuleFile::ToTargetAuc {
                    round_mg,
                    max_mg,
                    at_visits,
                    ..
                }
                | RuleFile::MapGuided {
                    round_mg,
                    max_mg,
                    at_visits,
                    ..
                } => (*round_mg, None, *max_mg, at_visits.as_slice()),
                RuleFile::AfterEvent { .. } => (None, None, None, &[][..]),
            };
            dose_bounds(&c, &field, &anchor, round_mg, min_mg, max_mg)?;
            if let Some(&v) = at_visits.iter().find(|&&v| v as usize >= visits.len()) {
                return Err(c.err(
                    format!("{field}.at_visits"),
                    Some(&anchor),
                    format!(
                        "visit {v} does not exist: the scenario has {} visits, numbered from 0 \
                         (at {} h)",
                        visits.len(),
                        visits
                            .iter()
                            .map(|t| t.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            rules.push(match r {
                RuleFile::Titrate {
                    output,
                    bands,
                    round_mg,
                    min_mg,
                    max_mg,
                } => {
                    if bands.is_empty() || bands.windows(2).any(|w| w[0].below >= w[1].below) {
                        return Err(c.err(
                            format!("{field}.bands"),
                            Some(&anchor),
                            "expected at least one band, with `below` increasing",
                        ));
                    }
                    if let Some((k, b)) = bands
                        .iter()
                        .enumerate()
                        .find(|(_, b)| !(b.change > -1.0 && b.change.is_finite()))
                    {
                        return Err(c.err(
                            format!("{field}.bands[{k}].change"),
                            Some(&anchor),
                            format!(
                                "expected a fractional change above -1 (-1 would stop every \
                                 dose), found {}",
                                b.change
                            ),
                        ));
                    }
                    Rule::Titrate {
                        output: output_of(output)?,
                        bands: bands.clone(),
                        round_mg: *round_mg,
                        min_mg: *min_mg,
                        max_mg: *max_mg,
                    }
                }
                RuleFile::ToTarget {
                    output,
                    target,
                    at_visits,
                    round_mg,
                    max_mg,
                } => {
                    c.positive(
                        &format!("{field}.target"),
                        Some(&anchor),
                        *target,
                        "the output's unit",
                    )?;
                    Rule::ToTarget {
                        output: output_of(output)?,
                        target: *target,
                        at_visits: at_visits.clone(),
                        round_mg: *round_mg,
                        max_mg: *max_mg,
                    }
                }
                RuleFile::MapGuided { output, target_auc24, at_visits, round_mg, max_mg } => {
                    c.positive(&format!("{field}.target_auc24"), Some(&anchor), *target_auc24, "the output's unit × h")?;
                    let index = output_of(output)?;
                    if model.random_effects().is_none() || model.residual(output).is_none() {
                        return Err(c.err(
                            format!("{field}.output"),
                            Some(&anchor),
                            format!("MAP-guided dosing needs the model's random effects and a residual error for `{output}`"),
                        ));
                    }
                    Rule::MapGuided {
                        output: index,
                        target_auc24: *target_auc24,
                        at_visits: at_visits.clone(),
                        round_mg: *round_mg,
                        max_mg: *max_mg,
                    }
                }
                RuleFile::ToTargetAuc {
                    output,
                    target_auc24,
                    at_visits,
                    round_mg,
                    max_mg,
                } => {
                    c.positive(
                        &format!("{field}.target_auc24"),
                        Some(&anchor),
                        *target_auc24,
                        "the output's unit × h",
                    )?;
                    Rule::ToTargetAuc {
                        output: output_of(output)?,
                        target_auc24: *target_auc24,
                        at_visits: at_visits.clone(),
                        round_mg: *round_mg,
                        max_mg: *max_mg,
                    }
                }
                RuleFile::AfterEvent {
                    outcome,
                    hold_doses,
                    reduce_by,
                } => {
                    let index = outcome_index(outcome).ok_or_else(|| {
                        c.err(
                            format!("{field}.outcome"),
                            Some(&anchor),
                            format!(
                                "no outcome named `{outcome}` (outcomes: {})",
                                outcomes
                                    .iter()
                                    .map(|o| o.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                    })?;
                    if !matches!(outcomes[index].definition, Outcome::Threshold(_)) {
                        return Err(c.err(
                            format!("{field}.outcome"),
                            Some(&anchor),
                            format!(
                                "outcome `{outcome}` must be a threshold event to trigger a rule"
                            ),
                        ));
                    }
                    if !(0.0..1.0).contains(reduce_by) {
                        return Err(c.err(
                            format!("{field}.reduce_by"),
                            Some(&anchor),
                            format!("expected a fraction in [0, 1), found {reduce_by}"),
                        ));
                    }
                    Rule::AfterEvent {
                        outcome: index,
                        hold_doses: *hold_doses,
                        reduce_by: *reduce_by,
                    }
                }
            });
        }
        arms.push(Arm {
            name: a.name.clone(),
            regimen,
            rules,
        });
    }

    // Analysis.
    let mut comparisons = Vec::new();
    for (i, cmp) in file.analysis.comparisons.iter().enumerate() {
        let field = |f: &str| format!("analysis.comparisons[{i}].{f}");
        let arm = |name: &str, f: &str| {
            arms.iter()
                .position(|a: &Arm| a.name == name)
                .ok_or_else(|| {
                    c.err(
                        field(f),
                        Some("comparisons"),
                        format!("no arm named `{name}`"),
                    )
                })
        };
        let outcome = outcome_index(&cmp.outcome).ok_or_else(|| {
            c.err(
                field("outcome"),
                Some("comparisons"),
                format!("no outcome named `{}`", cmp.outcome),
            )
        })?;
        if !(cmp.alpha > 0.0 && cmp.alpha < 1.0) {
            return Err(c.err(
                field("alpha"),
                Some("comparisons"),
                format!("expected a level in (0, 1), found {}", cmp.alpha),
            ));
        }
        comparisons.push(Comparison {
            outcome,
            control: arm(&cmp.control, "control")?,
            treatment: arm(&cmp.treatment, "treatment")?,
            higher_is_better: cmp.higher_is_better,
            alpha: cmp.alpha,
        });
    }
    if let Some(interim) = &file.analysis.interim {
        if interim.comparison >= comparisons.len() {
            return Err(c.err(
                "analysis.interim.comparison",
                Some("interim"),
                format!("there are {} comparisons", comparisons.len()),
            ));
        }
        if !(interim.fraction > 0.0 && interim.fraction < 1.0) {
            return Err(c.err(
                "analysis.interim.fraction",
                Some("interim"),
                format!("expected a fraction in (0, 1), found {}", interim.fraction),
            ));
        }
        if interim.futility_z >= interim.efficacy_z {
            return Err(c.err(
                "analysis.interim.futility_z",
                Some("interim"),
                "expected futility_z < efficacy_z",
            ));
        }
    }

    // Escalation.
    let escalation = match &file.escalation {
        None => None,
        Some(e) => {
            if e.levels_mg.is_empty()
                || e.levels_mg.windows(2).any(|w| w[0] >= w[1])
                || e.levels_mg.iter().any(|d| d.is_nan() || *d <= 0.0)
            {
                return Err(c.err(
                    "escalation.levels_mg",
                    Some("escalation"),
                    "expected positive dose levels (mg), increasing",
                ));
            }
            let dlt_outcome = outcome_index(&e.dlt_outcome).ok_or_else(|| {
                c.err(
                    "escalation.dlt_outcome",
                    Some("escalation"),
                    format!("no outcome named `{}`", e.dlt_outcome),
                )
            })?;
            let regimen = regimen(
                &c,
                "escalation.regimen",
                "escalation",
                &e.regimen,
                &model,
                &population,
            )?;
            Some(Escalation {
                levels_mg: e.levels_mg.clone(),
                dlt_outcome,
                regimen,
            })
        }
    };

    Ok(Scenario {
        path: path.to_owned(),
        name: file.name,
        seed: file.seed,
        replicates: file.replicates,
        twins_per_arm: file.twins_per_arm,
        duration_h: file.duration_h,
        record_times,
        visits,
        model: Arc::new(model),
        population,
        arms,
        outcomes,
        comparisons,
        interim: file.analysis.interim,
        outputs: file.outputs,
        solver,
        lanes: file.solver.is_none_or(|sf| sf.lanes),
        escalation,
        output_names,
        output_units,
        files_hash,
        notes,
    })
}

/// The population, checked to give every covariate and gene the model reads: those it does not
/// describe must have a default in the model file (`covariates: (defaults: ...)`), which is then
/// fixed for every twin and said in a note. A twin never silently gets a value nobody stated.
fn covering(
    c: &Checker<'_>,
    file: &ScenarioFile,
    model: &ModelSpec,
    population: PopulationModel,
) -> Result<(PopulationModel, Vec<String>), Error> {
    let which = file.population.as_ref().map_or_else(
        || "the default population (none named)".to_owned(),
        |p| format!("population {p}"),
    );
    for gene in model.gene_names() {
        if !population.genes().iter().any(|g| g.name() == gene) {
            return Err(c.err(
                "population",
                None,
                format!(
                    "the model's effects read {gene} genotypes, which {which} does not give: add \
                     \"{gene}\" to its `genes`"
                ),
            ));
        }
    }
    let defaults = model.covariate_defaults();
    let mut fix = Vec::new();
    let mut notes = Vec::new();
    for name in model.covariate_names() {
        match (population.gives(name), defaults.get(name)) {
            (Some(true), _) => {}
            (Some(false), Some(&value)) => {
                fix.push((name.to_owned(), value));
                notes.push(format!(
                    "every twin has {name} = {value}: the model file's default, since {which} does \
                     not describe {name}"
                ));
            }
            (None, Some(&value)) => notes.push(format!(
                "every twin has {name} = {value}: the model file's default (no population gives \
                 {name})"
            )),
            (given, None) => {
                let problem = match given {
                    Some(_) => format!(
                        "the model's effects read {name}, which {which} does not describe: give it \
                         a distribution there, or a default in the model file's \
                         `covariates: (defaults: {{\"{name}\": ...}})`"
                    ),
                    None => format!(
                        "the model's effects read `{name}`, which no population gives{}; declare \
                         a default in the model file's `covariates: (defaults: ...)` if it is meant",
                        twins::names::hint(
                            name,
                            PopulationModel::COVARIATES.into_iter().chain([
                                "SEX",
                                "ANCESTRY",
                                "COMED:<flag>"
                            ])
                        )
                    ),
                };
                return Err(c.err("population", None, problem));
            }
        }
    }
    let population = population
        .with_fixed(&fix)
        .map_err(|source| Error::Referenced {
            path: c.path.to_owned(),
            what: "the model file's covariate defaults".into(),
            source: Box::new(source),
        })?;
    Ok((population, notes))
}

fn check_outcome_window(
    c: &Checker<'_>,
    field: &str,
    anchor: &str,
    outcome: &Outcome,
    duration: f64,
) -> Result<(), Error> {
    let window = match outcome {
        Outcome::Exposure(e) => Some(e.window()),
        Outcome::TargetAttainment(t) => Some(t.metric.window()),
        Outcome::Logistic(l) => Some(l.metric.window()),
        Outcome::TimeInRange(t) => Some((t.from, t.to)),
        _ => None,
    };
    let range = match outcome {
        Outcome::TargetAttainment(t) => Some((t.low, t.high)),
        Outcome::TimeInRange(t) => Some((t.low, t.high)),
        _ => None,
    };
    if let Some((low, high)) = range
        && low > high
    {
        return Err(c.err(
            field,
            Some(anchor),
            format!("the range's low {low} is above its high {high}: expected low <= high"),
        ));
    }
    if let Outcome::Threshold(t) = outcome
        && t.sustain < 0.0
    {
        return Err(c.err(
            field,
            Some(anchor),
            format!("expected a sustain time >= 0 h, found {}", t.sustain),
        ));
    }
    if let Some((from, to)) = window
        && !(from >= 0.0 && to >= from && to <= duration + 1e-9)
    {
        return Err(c.err(
            field,
            Some(anchor),
            format!("window [{from}, {to}] h must lie inside the follow-up [0, {duration}] h"),
        ));
    }
    Ok(())
}

/// A rule's dose bounds: a rounding step > 0, a smallest dose >= 0, a largest > 0, and the
/// smallest not above the largest.
fn dose_bounds(
    c: &Checker<'_>,
    field: &str,
    anchor: &str,
    round_mg: Option<f64>,
    min_mg: Option<f64>,
    max_mg: Option<f64>,
) -> Result<(), Error> {
    if let Some(r) = round_mg {
        c.positive(&format!("{field}.round_mg"), Some(anchor), r, "mg")?;
    }
    if let Some(m) = max_mg {
        c.positive(&format!("{field}.max_mg"), Some(anchor), m, "mg")?;
    }
    if let Some(m) = min_mg
        && m < 0.0
    {
        return Err(c.err(
            format!("{field}.min_mg"),
            Some(anchor),
            format!("expected a dose >= 0 (mg), found {m}"),
        ));
    }
    if let (Some(lo), Some(hi)) = (min_mg, max_mg)
        && lo > hi
    {
        return Err(c.err(
            format!("{field}.min_mg"),
            Some(anchor),
            format!("the smallest dose {lo} mg is above the largest {hi} mg"),
        ));
    }
    Ok(())
}

fn regimen(
    c: &Checker<'_>,
    field: &str,
    anchor: &str,
    r: &RegimenFile,
    model: &ModelSpec,
    population: &PopulationModel,
) -> Result<Regimen, Error> {
    let anchor = Some(anchor);
    if r.doses == 0 {
        return Err(c.err(
            format!("{field}.doses"),
            anchor,
            "an arm needs at least one dose",
        ));
    }
    c.positive(&format!("{field}.every_h"), anchor, r.every_h, "h")?;
    if !(r.start_h.is_finite() && r.start_h >= 0.0) {
        return Err(c.err(
            format!("{field}.start_h"),
            anchor,
            format!("expected a time >= 0 h, found {}", r.start_h),
        ));
    }
    if let Some(h) = r.infusion_h {
        c.positive(&format!("{field}.infusion_h"), anchor, h, "h")?;
    }
    let compartment = match &r.compartment {
        None => 0,
        Some(name) => model
            .state_names()
            .iter()
            .position(|s| s == name)
            .ok_or_else(|| {
                c.err(
                    format!("{field}.compartment"),
                    anchor,
                    format!(
                        "model has no compartment `{name}` (it has: {})",
                        model.state_names().join(", ")
                    ),
                )
            })?,
    };
    if let Some(column) = model.dose_columns_of(compartment).first() {
        return Err(c.err(
            format!("{field}.compartment"),
            anchor,
            format!(
                "the model's dose inputs of `{}` read the data column `{column}`, which a \
                 scenario does not have: give them as a Value or a Parameter in the model file",
                model.state_names()[compartment]
            ),
        ));
    }
    dose(c, &format!("{field}.dose"), anchor, &r.dose, population)?;
    if let Some(l) = &r.loading {
        dose(
            c,
            &format!("{field}.loading.dose"),
            anchor,
            &l.dose,
            population,
        )?;
        if l.doses > r.doses {
            return Err(c.err(
                format!("{field}.loading.doses"),
                anchor,
                format!(
                    "{} loading doses but only {} doses in all",
                    l.doses, r.doses
                ),
            ));
        }
    }
    Ok(Regimen {
        dose: r.dose.clone(),
        compartment,
        infusion_h: r.infusion_h,
        every_h: r.every_h,
        doses: r.doses,
        start_h: r.start_h,
        loading: r.loading.clone(),
    })
}

fn dose(
    c: &Checker<'_>,
    field: &str,
    anchor: Option<&str>,
    d: &DoseFile,
    population: &PopulationModel,
) -> Result<(), Error> {
    match d {
        DoseFile::Fixed { mg } if *mg > twins::dataset::MAX_AMOUNT_MG => Err(c.err(
            format!("{field}.mg"),
            anchor,
            format!("expected at most 1e9 mg (a tonne), found {mg}"),
        )),
        DoseFile::Fixed { mg } => c.positive(&format!("{field}.mg"), anchor, *mg, "mg"),
        DoseFile::PerKg { mg_per_kg, max_mg } => {
            c.positive(&format!("{field}.mg_per_kg"), anchor, *mg_per_kg, "mg/kg")?;
            max_mg.map_or(Ok(()), |m| {
                c.positive(&format!("{field}.max_mg"), anchor, m, "mg")
            })
        }
        DoseFile::PerM2 { mg_per_m2 } => {
            c.positive(&format!("{field}.mg_per_m2"), anchor, *mg_per_m2, "mg/m²")
        }
        DoseFile::ByPhenotype {
            gene,
            doses,
            default,
        } => {
            let Some(g) = population.genes().iter().find(|g| g.name() == gene) else {
                return Err(c.err(
                    format!("{field}.gene"),
                    anchor,
                    format!(
                        "the population does not genotype `{gene}` (add it to the population's genes){}",
                        twins::names::hint(gene, population.genes().iter().map(|g| g.name()))
                    ),
                ));
            };
            for (k, d) in doses {
                // A misspelt phenotype would match no twin and send everyone to the default.
                if let Err(e) = g.check_phenotype(k) {
                    return Err(c.err(format!("{field}.doses[{k}]"), anchor, e.to_string()));
                }
                dose(c, &format!("{field}.doses[{k}]"), anchor, d, population)?;
            }
            dose(c, &format!("{field}.default"), anchor, default, population)
        }
        DoseFile::Iwpc { .. } => {
            for gene in ["CYP2C9", "VKORC1"] {
                if !population.genes().iter().any(|g| g.name() == gene) {
                    return Err(c.err(field, anchor, format!("the IWPC algorithm needs `{gene}` genotypes: add it to the population's genes")));
                }
            }
            Ok(())
        }
    }
}
