//! Plots and the HTML report, checked by what they draw: bands per arm by colour, axis titles
//! with units, target ranges, forest-plot markers, VPC intervals, learner diagnostics, and a
//! well-formed report holding every plot and table. Fixtures: `tests/fixtures/plots/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use engine::plot::bands::{BandsFigure, TargetRange};
use engine::plot::endpoints::{AdverseFigure, EndpointsFigure, RunSummary};
use engine::plot::forecast::{ForecastFigure, RegimenFan};
use engine::plot::learner::{
    CalibrationFigure, DiagnosticRow, LearnerDiagnostics, PredictedFigure,
};
use engine::plot::results::{PlotOptions, plot_results};
use engine::plot::vpc::{Binning, VpcFigure};
use engine::plot::{Format, PlotError, Ribbon, YScale, palette, to_svg};
use engine::report::render_report;
use twins::learner::{HeldOut, StudentT};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plots/two_arms")
}

/// `#RRGGBB` of palette colour `i`, as the SVG backend writes it.
fn hex(i: usize) -> String {
    let c = palette(i);
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// Every element `<tag ...>` of `svg` with its attributes.
fn elements(svg: &str, tag: &str) -> Vec<BTreeMap<String, String>> {
    let open = format!("<{tag} ");
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find(&open) {
        let body = &rest[start + open.len()..];
        let end = body.find('>').unwrap_or(body.len());
        let mut attrs = BTreeMap::new();
        let mut text = &body[..end];
        while let Some(eq) = text.find("=\"") {
            let name = text[..eq].trim().to_owned();
            let value_start = eq + 2;
            let value_end = text[value_start..]
                .find('"')
                .map_or(text.len(), |e| value_start + e);
            attrs.insert(name, text[value_start..value_end].to_owned());
            text = &text[(value_end + 1).min(text.len())..];
        }
        out.push(attrs);
        rest = &body[end..];
    }
    out
}

/// Elements `tag` whose attribute `attr` is `value`.
fn count(svg: &str, tag: &str, attr: &str, value: &str) -> usize {
    elements(svg, tag)
        .iter()
        .filter(|a| a.get(attr).map(String::as_str) == Some(value))
        .count()
}

/// The text of every `<text>` element, trimmed.
fn texts_of(svg: &str) -> Vec<String> {
    svg.split("<text ")
        .skip(1)
        .filter_map(|t| {
            let start = t.find('>')? + 1;
            let end = t.find("</text>")?;
            Some(t[start..end].trim().to_owned())
        })
        .collect()
}

#[test]
fn bands_have_two_ribbons_per_arm_and_output_and_units_in_axis_titles() -> Result {
    let figure = BandsFigure::read(&fixture().join("timecourse.csv"))?;
    assert_eq!(figure.arms, ["A 100 mg", "B 200 mg"]);
    let svg = to_svg(&figure)?;
    // Two outputs (CP, EFFECT), each with one filled 25–75% band per arm in the arm's colour;
    // with two arms the 5–95% range is outlined by dashes (many short lines) instead of filled.
    for arm in 0..2 {
        assert_eq!(count(&svg, "polygon", "fill", &hex(arm)), 2, "arm {arm}");
        assert!(
            count(&svg, "polyline", "stroke", &hex(arm)) > 20,
            "arm {arm}"
        );
    }
    // A single arm: both ribbons filled.
    let mut one = figure.clone();
    one.arms.truncate(1);
    for panel in &mut one.panels {
        panel.arms.truncate(1);
    }
    assert_eq!(count(&to_svg(&one)?, "polygon", "fill", &hex(0)), 4);
    assert_eq!(count(&svg, "polygon", "fill", &hex(2)), 0, "no third arm");
    let texts = texts_of(&svg);
    for title in [
        "Time (h)",
        "CP (mg/L)",
        "EFFECT (%)",
        "A 100 mg",
        "B 200 mg",
    ] {
        assert!(
            texts.iter().any(|t| t == title),
            "{title} missing from {texts:?}"
        );
    }
    Ok(())
}

#[test]
fn a_target_range_is_shaded_only_when_defined() -> Result {
    let mut figure = BandsFigure::read(&fixture().join("timecourse.csv"))?;
    let grey = "#999999";
    assert_eq!(count(&to_svg(&figure)?, "rect", "fill", grey), 0);
    figure.targets = vec![TargetRange {
        output: "CP".into(),
        low: 1.0,
        high: 3.0,
        label: "target 1–3 mg/L".into(),
    }];
    let svg = to_svg(&figure)?;
    // The shaded range and its legend swatch, on the CP panel only.
    assert_eq!(count(&svg, "rect", "fill", grey), 2);
    assert!(texts_of(&svg).iter().any(|t| t == "target 1–3 mg/L"));
    Ok(())
}

#[test]
fn log_axis_is_labelled_and_has_1_2_5_ticks() -> Result {
    let mut figure = BandsFigure::read(&fixture().join("timecourse.csv"))?;
    figure.y_scale = YScale::Log;
    let svg = to_svg(&figure)?;
    let texts = texts_of(&svg);
    assert!(texts.iter().any(|t| t == "CP (mg/L), log scale"));
    for tick in ["1", "2", "5"] {
        assert!(texts.iter().any(|t| t == tick), "tick {tick} in {texts:?}");
    }
    Ok(())
}

#[test]
fn forest_plot_marks_each_arm_per_outcome_and_writes_difference_and_power() -> Result {
    let summary = RunSummary::read(&fixture().join("summary.json"))?;
    let svg = to_svg(&EndpointsFigure {
        summary: summary.clone(),
    })?;
    // Two outcomes that are not adverse events: one marker per arm on each.
    for arm in 0..2 {
        assert_eq!(count(&svg, "circle", "fill", &hex(arm)), 2, "arm {arm}");
    }
    let texts = texts_of(&svg);
    assert!(
        texts
            .iter()
            .any(|t| t == "B 200 mg − A 100 mg: 40 [33, 47] mg*h/L; power 85% at α = 0.05"),
        "{texts:?}"
    );
    assert!(texts.iter().any(|t| t == "auc_24 (mg*h/L)"));
    assert!(texts.iter().any(|t| t == "trough_in_range (% of twins)"));
    assert!(!texts.iter().any(|t| t.contains("neutropenia")));

    let svg = to_svg(&AdverseFigure { summary })?;
    for arm in 0..2 {
        assert_eq!(
            count(&svg, "rect", "fill", &hex(arm)),
            1,
            "one bar for arm {arm}"
        );
    }
    let texts = texts_of(&svg);
    assert!(texts.iter().any(|t| t == "neutropenia (% of twins)"));
    assert!(texts.iter().any(|t| t == "5%") && texts.iter().any(|t| t == "12%"));
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("B 200 mg − A 100 mg: 7 [2, 12] percentage points"))
    );
    Ok(())
}

fn forecast() -> ForecastFigure {
    let times: Vec<f64> = (0..=48).map(f64::from).collect();
    let curve = |scale: f64| -> Vec<f64> {
        times
            .iter()
            .map(|t| scale * (1.0 + 0.5 * (t / 12.0 * std::f64::consts::TAU).cos()))
            .collect()
    };
    let fan = |name: &str, scale: f64, doses: Vec<f64>| RegimenFan {
        name: name.into(),
        median: curve(scale),
        ribbons: vec![
            Ribbon {
                level: 0.9,
                lower: curve(0.6 * scale),
                upper: curve(1.6 * scale),
            },
            Ribbon {
                level: 0.5,
                lower: curve(0.8 * scale),
                upper: curve(1.2 * scale),
            },
        ],
        dose_times_h: doses,
    };
    ForecastFigure {
        output: "CP".into(),
        unit: "mg/L".into(),
        times_h: times.clone(),
        regimens: vec![
            fan("current 100 mg q12h", 1.0, vec![0.0, 12.0, 24.0, 36.0]),
            fan("proposed 150 mg q12h", 1.5, vec![24.0, 36.0]),
        ],
        observations: vec![(2.0, 1.4), (11.5, 0.6), (14.0, 1.3)],
        target: Some((1.0, 2.0)),
        now_h: Some(24.0),
        y_scale: YScale::Linear,
    }
}

#[test]
fn forecast_draws_fans_per_regimen_observations_doses_and_target() -> Result {
    let figure = forecast();
    let svg = to_svg(&figure)?;
    // Per regimen: the filled 50% band (the 90% one outlined), plus one triangle per dose.
    assert_eq!(count(&svg, "polygon", "fill", &hex(0)), 1 + 4);
    assert_eq!(count(&svg, "polygon", "fill", &hex(1)), 1 + 2);
    // Three observations and the legend's marker.
    assert_eq!(count(&svg, "circle", "fill", "#000000"), 3 + 1);
    assert_eq!(count(&svg, "rect", "fill", "#999999"), 2);
    let texts = texts_of(&svg);
    for t in [
        "CP (mg/L)",
        "Time (h)",
        "current 100 mg q12h",
        "proposed 150 mg q12h",
        "observations",
    ] {
        assert!(texts.iter().any(|x| x == t), "{t} in {texts:?}");
    }
    Ok(())
}

#[test]
fn forecast_fan_from_twin_forecast_quantiles() {
    let fan = RegimenFan::from_quantiles("q", &[[1.0, 2.0, 3.0, 4.0, 5.0]], vec![0.0]);
    assert_eq!(fan.median, [3.0]);
    assert_eq!(
        (
            fan.ribbons[0].level,
            fan.ribbons[0].lower[0],
            fan.ribbons[0].upper[0]
        ),
        (0.9, 1.0, 5.0)
    );
    assert_eq!(
        (
            fan.ribbons[1].level,
            fan.ribbons[1].lower[0],
            fan.ribbons[1].upper[0]
        ),
        (0.5, 2.0, 4.0)
    );
}

#[test]
fn forecast_with_mismatched_bands_is_refused() {
    let mut figure = forecast();
    figure.regimens[1].median.pop();
    assert!(matches!(to_svg(&figure), Err(PlotError::Data { .. })));
}

#[test]
fn vpc_shades_three_percentile_intervals_and_draws_observed_percentiles() -> Result {
    // Observed: 8 times × 10 subjects; simulated: 50 replicates of the same design.
    let value = |i: u32, t: f64, shift: f64| {
        10.0 * (-0.2 * t).exp() * (1.0 + 0.1 * (f64::from(i % 10) - 4.5) + shift)
    };
    let observed: Vec<(f64, f64)> = (0..80)
        .map(|i| {
            let t = f64::from(i / 10);
            (t, value(i, t, 0.0))
        })
        .collect();
    let simulated: Vec<Vec<(f64, f64)>> = (0..50)
        .map(|r| {
            observed
                .iter()
                .enumerate()
                .map(|(i, (t, _))| (*t, value(i as u32 + r, *t, 0.01 * f64::from(r % 7))))
                .collect()
        })
        .collect();
    let figure = VpcFigure::new("CP", "mg/L", observed, simulated, Binning::Quantiles(8))?;
    assert_eq!(figure.bins.len(), 8);
    for bin in &figure.bins {
        for k in 0..3 {
            let (lo, _, hi) = bin.simulated[k];
            assert!(lo <= hi);
        }
    }
    let svg = to_svg(&figure)?;
    // Sky blue for the 10th and 90th percentiles' intervals, vermillion for the median's.
    assert_eq!(count(&svg, "polygon", "fill", &hex(5)), 2);
    assert_eq!(count(&svg, "polygon", "fill", &hex(3)), 1);
    // Observed median (solid) and its legend line.
    assert!(count(&svg, "polyline", "stroke", "#000000") >= 2);
    let texts = texts_of(&svg);
    assert!(texts.iter().any(|t| t == "CP (mg/L)"));
    assert!(texts.iter().any(|t| t == "observed median"));
    Ok(())
}

fn diagnostics() -> LearnerDiagnostics {
    // Held-out predictions exactly at the truth with unit scale: observed = location + z.
    let zs = [-1.5, -0.8, -0.3, 0.0, 0.2, 0.6, 1.1, 2.5];
    let rows = (0..40)
        .map(|i| DiagnosticRow {
            held_out: HeldOut {
                row: i,
                fold: i % 5,
                observed: 1.0 + 0.1 * zs[i % zs.len()],
                prediction: StudentT {
                    location: 1.0,
                    scale: 0.1,
                    dof: 30.0,
                },
            },
            group: Some(if i % 4 == 0 { "African" } else { "European" }.to_owned()),
        })
        .collect();
    LearnerDiagnostics {
        target: "CL".into(),
        rows,
        group_column: Some("ANCESTRY".into()),
    }
}

#[test]
fn learner_diagnostics_colour_groups_and_calibrate_per_group() -> Result {
    let data = diagnostics();
    assert_eq!(data.groups(), ["African", "European"]);
    let svg = to_svg(&PredictedFigure { data: &data })?;
    // 10 African and 30 European patients, plus one legend marker each.
    assert_eq!(count(&svg, "circle", "fill", &hex(0)), 10 + 1);
    assert_eq!(count(&svg, "circle", "fill", &hex(1)), 30 + 1);
    assert!(
        texts_of(&svg)
            .iter()
            .any(|t| t == "observed CL (log scale)")
    );

    // All rows: |z| ≤ 0.3 for 3 of 8, so the 50% interval (±0.683 scale) holds 4 of 8.
    let coverage = data.coverage(None);
    let at = |level: f64| coverage.iter().find(|(n, _)| *n == level).map(|c| c.1);
    assert_eq!(at(0.5), Some(0.5));
    let svg = to_svg(&CalibrationFigure { data: &data })?;
    let texts = texts_of(&svg);
    for t in [
        "all (40)",
        "African (10)",
        "European (30)",
        "observed coverage (%)",
    ] {
        assert!(texts.iter().any(|x| x == t), "{t} in {texts:?}");
    }
    Ok(())
}

#[test]
fn every_plot_of_a_results_folder_is_written_in_both_formats() -> Result {
    let out = tempfile::tempdir()?;
    let written = plot_results(&fixture(), out.path(), &PlotOptions::default())?;
    let names: Vec<String> = written
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    assert_eq!(names, ["bands.svg", "endpoints.svg", "adverse_events.svg"]);
    let png = plot_results(
        &fixture(),
        out.path(),
        &PlotOptions {
            format: Format::Png,
            ..PlotOptions::default()
        },
    )?;
    for path in png {
        let bytes = std::fs::read(&path)?;
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{}",
            path.display()
        );
    }
    Ok(())
}

/// Checks that `doc` is well-formed XML: tags balanced and properly nested, attributes quoted,
/// no bare `<` or `&` in text. Returns the element names in document order.
fn well_formed(doc: &str) -> std::result::Result<Vec<String>, String> {
    let mut stack: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut rest = doc;
    while let Some(lt) = rest.find('<') {
        check_text(&rest[..lt])?;
        rest = &rest[lt..];
        if rest.starts_with("<!--") {
            let end = rest.find("-->").ok_or("unclosed comment")?;
            rest = &rest[end + 3..];
            continue;
        }
        let gt = rest.find('>').ok_or("unclosed tag")?;
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or(format!("</{name}> closes nothing"))?;
            if open != name.trim() {
                return Err(format!("<{open}> closed by </{name}>"));
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name = tag.split_whitespace().next().ok_or("empty tag")?.to_owned();
        if !tag.matches('"').count().is_multiple_of(2) {
            return Err(format!("unbalanced quotes in <{tag}>"));
        }
        names.push(name.clone());
        if !self_closing {
            stack.push(name);
        }
    }
    check_text(rest)?;
    if stack.is_empty() {
        Ok(names)
    } else {
        Err(format!("unclosed elements: {stack:?}"))
    }
}

fn check_text(text: &str) -> std::result::Result<(), String> {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        let after = &rest[amp + 1..];
        let semi = after.find(';').ok_or("bare & in text")?;
        let entity = &after[..semi];
        if !(["amp", "lt", "gt", "quot", "apos"].contains(&entity) || entity.starts_with('#')) {
            return Err(format!("unknown entity &{entity};"));
        }
        rest = &after[semi..];
    }
    Ok(())
}

#[test]
fn the_well_formedness_checker_catches_mistakes() {
    assert!(well_formed("<a><b/></a>").is_ok());
    assert!(well_formed("<a><b></a></b>").is_err());
    assert!(well_formed("<a>x & y</a>").is_err());
    assert!(well_formed("<a><b></a>").is_err());
}

#[test]
fn report_is_well_formed_self_contained_and_holds_every_plot_and_table() -> Result {
    let html = render_report(&fixture(), &PlotOptions::default())?;
    let names = well_formed(&html).map_err(|e| format!("report is not well-formed: {e}"))?;
    // Every plot inline, one <svg> per figure, with its id.
    for id in ["fig-bands", "fig-endpoints", "fig-adverse_events"] {
        assert!(html.contains(&format!("<figure id=\"{id}\">")), "{id}");
    }
    assert_eq!(names.iter().filter(|n| *n == "svg").count(), 3);
    // Tables: outcomes, comparisons, last recorded time.
    assert_eq!(names.iter().filter(|n| *n == "table").count(), 3);
    for text in [
        "fixture: two oral arms",
        "<dt>Seed</dt><dd>42</dd>",
        "<dt>twinsim version</dt><dd>0.1.0</dd>",
        "trough_in_range",
        "B 200 mg − A 100 mg",
        "@media print",
    ] {
        assert!(html.contains(text), "{text}");
    }
    // Self-contained: nothing fetched.
    for external in ["<script", "<link", "src=\"", "url(", "@import"] {
        assert!(!html.contains(external), "{external}");
    }
    Ok(())
}

fn twinsim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_twinsim"))
}

#[test]
fn plot_and_report_commands_write_their_files() -> Result {
    let dir = tempfile::tempdir()?;
    for file in ["summary.json", "timecourse.csv"] {
        std::fs::copy(fixture().join(file), dir.path().join(file))?;
    }
    let out = twinsim().arg("plot").arg(dir.path()).output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["bands.svg", "endpoints.svg", "adverse_events.svg"] {
        assert!(dir.path().join("plots").join(name).exists(), "{name}");
    }
    let report = dir.path().join("report.html");
    let out = twinsim()
        .arg("report")
        .arg(dir.path())
        .arg("--out")
        .arg(&report)
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    well_formed(&std::fs::read_to_string(&report)?)?;

    let out = twinsim()
        .arg("plot")
        .arg(dir.path().join("missing"))
        .output()?;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to plot"));
    Ok(())
}

#[test]
fn twin_forecast_draws_fan_observations_doses_and_level_target() -> Result {
    let theoph = Path::new(env!("CARGO_MANIFEST_DIR")).join("../twins/tests/fixtures/theoph");
    let dir = tempfile::tempdir()?;
    let patient = dir.path().join("patient.ron");
    std::fs::write(&patient, r#"(id: "1", numeric: {"WT": 79.6})"#)?;
    let twin = dir.path().join("twin.json");
    let run = |args: &[&std::ffi::OsStr]| -> Result<String> {
        let out = twinsim().args(args).output()?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned().into());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let os = |s: &str| std::ffi::OsString::from(s);
    run(&[
        &os("twin"),
        &os("new"),
        &os("--model"),
        theoph.join("theoph_model.ron").as_os_str(),
        &os("--patient"),
        patient.as_os_str(),
        &os("--out"),
        twin.as_os_str(),
    ])?;
    // Subject 1 of the Theoph data: one dose and 11 levels.
    let all = std::fs::read_to_string(theoph.join("theoph.csv"))?;
    let mut lines = all.lines();
    let header = lines.next().ok_or("header")?;
    let rows: Vec<&str> = lines.filter(|l| l.starts_with("1,")).collect();
    let data = dir.path().join("subject1.csv");
    std::fs::write(&data, format!("{header}\n{}\n", rows.join("\n")))?;
    run(&[
        &os("twin"),
        &os("observe"),
        twin.as_os_str(),
        data.as_os_str(),
    ])?;
    let plot = dir.path().join("forecast.svg");
    let said = run(&[
        &os("twin"),
        &os("forecast"),
        twin.as_os_str(),
        &os("--dose"),
        &os("320"),
        &os("--every"),
        &os("12"),
        &os("--dose-count"),
        &os("6"),
        &os("--horizon"),
        &os("72"),
        &os("--outcome"),
        &os("cmin"),
        &os("--low"),
        &os("3"),
        &os("--high"),
        &os("8"),
        &os("--draws"),
        &os("50"),
        &os("--plot"),
        plot.as_os_str(),
    ])?;
    assert!(said.contains("forecast.svg"), "{said}");
    let svg = std::fs::read_to_string(&plot)?;
    // The regimen's fan (50% and 90% bands, both filled: one regimen) and dose marks: the
    // twin's past dose at 0 h and the regimen's six.
    assert_eq!(count(&svg, "polygon", "fill", &hex(0)), 2 + 1 + 6);
    // Eleven levels and the legend's marker.
    assert_eq!(count(&svg, "circle", "fill", "#000000"), 11 + 1);
    // The trough target, shaded, and its legend swatch.
    assert_eq!(count(&svg, "rect", "fill", "#999999"), 2);
    let texts = texts_of(&svg);
    assert!(texts.iter().any(|t| t == "CP (mg/L)"), "{texts:?}");
    assert!(
        texts.iter().any(|t| t == "320 mg every 12 h × 6"),
        "{texts:?}"
    );
    Ok(())
}

#[test]
fn run_with_plots_draws_the_scenario_target_level() -> Result {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/scenarios/two_arms.ron");
    let dir = tempfile::tempdir()?;
    let out = twinsim()
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(dir.path())
        .args(["--replicates", "1", "--plots"])
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = std::fs::read_to_string(dir.path().join("plots/bands.svg"))?;
    // The titrated arm's ToTarget rule (CP 1 mg/L): a dashed dark line over the bands.
    assert!(
        texts_of(&svg)
            .iter()
            .any(|t| t == "dose-adjustment target 1 mg/L")
    );
    assert!(count(&svg, "polyline", "stroke", "#333333") > 20);
    for name in ["endpoints.svg", "adverse_events.svg"] {
        assert!(dir.path().join("plots").join(name).exists(), "{name}");
    }
    Ok(())
}

/// INR is dimensionless (unit "1" in the warfarin model file): its target range is labelled
/// "target 2–3 (…)", not "target 2–3 1 (…)".
#[test]
fn a_dimensionless_target_is_labelled_without_a_unit() -> Result {
    let scenario = engine::scenario::Scenario::load(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/warfarin_pgx.ron"),
        engine::scenario::Overrides::default(),
    )?;
    let targets = engine::plot::results::targets_of(&scenario);
    let inr = targets
        .iter()
        .find(|t| t.output == "INR")
        .ok_or("the warfarin scenario has an INR target")?;
    assert!(inr.label.starts_with("target 2–3 ("), "{}", inr.label);
    Ok(())
}
