//! A one-file HTML report of a results folder: the scenario's name, seed, version and source
//! notes, summary tables and every plot, with the SVG inline. No scripts, external styles or
//! fonts: it reads offline and prints (one figure per page break at most).
//!
//! The document is XHTML (every element closed, attributes quoted), so an XML parser can check it.

use std::fmt::Write as _;
use std::path::Path;

use crate::plot::bands::BandsFigure;
use crate::plot::endpoints::{RunSummary, comparison_text};
use crate::plot::results::{
    PlotOptions, ResultsFigure, figures_from, read_summary, scenario_of, targets_of,
};
use crate::plot::{Figure, PlotError, format_number, to_svg};

/// The report's style sheet: screen and print.
const STYLE: &str = r#"
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; color: #222; max-width: 1000px; margin: 2em auto; padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f2f2f2; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; }
pre.sources { background: #f7f7f7; border-left: 3px solid #0072B2; padding: 0.6em 1em; white-space: pre-wrap; }
figure { margin: 1.2em 0; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.9em; color: #444; margin-top: 0.3em; }
nav ul { padding-left: 1.2em; }
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; }
  nav { display: none; }
  figure, table { break-inside: avoid; page-break-inside: avoid; }
  h2 { break-after: avoid; page-break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// Escapes text for HTML/XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The leading `//` comment lines of a scenario file: where its numbers come from.
pub fn source_notes(scenario_text: &str) -> Vec<String> {
    scenario_text
        .lines()
        .map(str::trim_start)
        .take_while(|l| l.starts_with("//") || l.is_empty())
        .filter_map(|l| l.strip_prefix("//"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l).to_owned())
        .collect()
}

/// The SVG of a figure, ready to inline (no XML declaration).
fn inline_svg(figure: &impl Figure) -> Result<String, PlotError> {
    let svg = to_svg(figure)?;
    Ok(match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => svg,
    })
}

/// The report of the results in `dir`, as an XHTML document.
pub fn render_report(dir: &Path, options: &PlotOptions) -> Result<String, PlotError> {
    let summary = read_summary(dir)?.ok_or_else(|| {
        PlotError::data(
            dir.display().to_string(),
            "no summary.json: not a results folder",
        )
    })?;
    let scenario = scenario_of(Some(&summary), options)?;
    let notes = match &scenario {
        Some(s) => std::fs::read_to_string(&s.path)
            .map(|text| source_notes(&text))
            .map_err(|e| PlotError::Read {
                path: s.path.clone(),
                source: Box::new(e),
            })?,
        None => Vec::new(),
    };
    let targets = scenario.as_ref().map(targets_of).unwrap_or_default();
    let figures = figures_from(dir, Some(summary.clone()), targets, options.y_scale)?;
    let mut html = String::with_capacity(64 * 1024);
    let title = format!("twinsim report: {}", summary.scenario);
    // Writing into a String cannot fail.
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n\
         <meta charset=\"utf-8\"/>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&summary.scenario)
    );
    write_nav(&mut html, &figures);
    write_run(
        &mut html,
        &summary,
        scenario.as_ref().map(|s| s.path.as_path()),
        &notes,
    );
    write_outcomes(&mut html, &summary);
    write_comparisons(&mut html, &summary);
    if let Some(ResultsFigure::Bands(bands)) = figures
        .iter()
        .find(|f| matches!(f, ResultsFigure::Bands(_)))
    {
        write_last_time(&mut html, bands);
    }
    html.push_str("<section id=\"plots\">\n<h2>Plots</h2>\n");
    for (i, figure) in figures.iter().enumerate() {
        let _ = write!(
            html,
            "<figure id=\"fig-{}\">\n{}\n<figcaption>Figure {}. {}</figcaption>\n</figure>\n",
            escape(figure.name()),
            inline_svg(figure)?,
            i + 1,
            escape(&figure.title())
        );
    }
    html.push_str("</section>\n</body>\n</html>\n");
    Ok(html)
}

fn write_nav(html: &mut String, figures: &[ResultsFigure]) {
    html.push_str("<nav>\n<ul>\n<li><a href=\"#run\">Run</a></li>\n<li><a href=\"#outcomes\">Outcomes</a></li>\n<li><a href=\"#comparisons\">Comparisons</a></li>\n<li><a href=\"#timecourse\">Last recorded time</a></li>\n");
    for figure in figures {
        let _ = writeln!(
            html,
            "<li><a href=\"#fig-{}\">{}</a></li>",
            escape(figure.name()),
            escape(&figure.title())
        );
    }
    html.push_str("</ul>\n</nav>\n");
}

fn write_run(html: &mut String, s: &RunSummary, scenario: Option<&Path>, notes: &[String]) {
    html.push_str("<section id=\"run\">\n<h2>Run</h2>\n<dl class=\"meta\">\n");
    let rows = [
        ("Scenario", s.scenario.clone()),
        (
            "Scenario file",
            scenario.map_or_else(|| "(not recorded)".to_owned(), |p| p.display().to_string()),
        ),
        ("Seed", s.seed.to_string()),
        ("Replicate trials", s.replicates.to_string()),
        ("Twins per arm", s.twins_per_arm.to_string()),
        ("twinsim version", s.twinsim_version.clone()),
        ("Input files hash", s.files_hash.clone()),
        ("Intervals", s.interval.clone()),
    ];
    for (k, v) in rows {
        let _ = writeln!(html, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(&v));
    }
    html.push_str("</dl>\n<h3>Sources</h3>\n");
    if notes.is_empty() {
        html.push_str("<p>No source notes: the scenario file was not available (pass <code>--scenario</code>, or run with a twinsim that records it in summary.json).</p>\n");
    } else {
        let _ = writeln!(
            html,
            "<pre class=\"sources\">{}</pre>",
            escape(&notes.join("\n"))
        );
    }
    html.push_str("</section>\n");
}

fn cell(v: f64) -> String {
    format!("<td class=\"num\">{}</td>", escape(&format_number(v)))
}

fn write_outcomes(html: &mut String, s: &RunSummary) {
    html.push_str("<section id=\"outcomes\">\n<h2>Outcomes</h2>\n");
    if s.arms.iter().all(|a| a.outcomes.is_empty()) {
        html.push_str("<p>The scenario defines no outcomes.</p>\n</section>\n");
        return;
    }
    if s.replicates >= 2 && (s.replicates as usize) < crate::output::summary::MIN_REPLICATES_FOR_95
    {
        let _ = writeln!(
            html,
            "<p>A smoke-size run: {}. Run 20 replicates or more for 95% intervals.</p>",
            escape(&crate::output::summary::interval_label(s.replicates))
        );
    }
    let _ = writeln!(
        html,
        "<table>\n<thead><tr><th>Outcome</th><th>Arm</th><th>Kind</th><th>Unit</th><th>Estimate</th><th>{}</th><th>MC s.e.</th><th>Adverse</th></tr></thead>\n<tbody>",
        escape(&s.interval_name())
    );
    for outcome in s.outcomes() {
        for (arm, result) in s.arms.iter().zip(s.per_arm(&outcome.name)) {
            let Some(r) = result else { continue };
            // Proportions in percent, as in the plots.
            let (scale, unit) = if r.kind == "proportion" {
                (100.0, "% of twins".to_owned())
            } else {
                (1.0, r.unit.clone())
            };
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}<td class=\"num\">[{}, {}]</td>{}<td>{}</td></tr>",
                escape(&r.name),
                escape(&arm.name),
                escape(&r.kind),
                escape(&unit),
                cell(scale * r.result.estimate),
                escape(&format_number(scale * r.result.lower)),
                escape(&format_number(scale * r.result.upper)),
                cell(scale * r.mc_error),
                if r.adverse { "yes" } else { "no" }
            );
        }
    }
    html.push_str("</tbody>\n</table>\n</section>\n");
}

fn write_comparisons(html: &mut String, s: &RunSummary) {
    html.push_str("<section id=\"comparisons\">\n<h2>Comparisons</h2>\n");
    if s.comparisons.is_empty() {
        html.push_str("<p>The scenario defines no comparisons.</p>\n</section>\n");
        return;
    }
    let _ = writeln!(
        html,
        "<table>\n<thead><tr><th>Outcome</th><th>Treatment − control</th><th>Difference (proportions in percentage points)</th><th>{}</th><th>Power (%)</th><th>α</th><th>Summary</th></tr></thead>\n<tbody>",
        escape(&s.interval_name())
    );
    for c in &s.comparisons {
        let outcome = s.outcomes().into_iter().find(|o| o.name == c.outcome);
        let text = outcome.map(|o| comparison_text(o, c)).unwrap_or_default();
        let scale = if outcome.is_some_and(|o| o.kind == "proportion") {
            100.0
        } else {
            1.0
        };
        let _ = writeln!(
            html,
            "<tr><td>{}</td><td>{} − {}</td>{}<td class=\"num\">[{}, {}]</td>{}{}<td>{}</td></tr>",
            escape(&c.outcome),
            escape(&c.treatment),
            escape(&c.control),
            cell(scale * c.difference.estimate),
            escape(&format_number(scale * c.difference.lower)),
            escape(&format_number(scale * c.difference.upper)),
            cell(100.0 * c.power),
            cell(c.alpha),
            escape(&text)
        );
    }
    html.push_str("</tbody>\n</table>\n</section>\n");
}

fn write_last_time(html: &mut String, bands: &BandsFigure) {
    html.push_str("<section id=\"timecourse\">\n<h2>Last recorded time</h2>\n<table>\n<thead><tr><th>Output</th><th>Arm</th><th>Time (h)</th><th>Median</th><th>25–75%</th><th>5–95%</th></tr></thead>\n<tbody>\n");
    for panel in &bands.panels {
        for (arm, series) in bands.arms.iter().zip(&panel.arms) {
            let Some(last) = series.times_h.len().checked_sub(1) else {
                continue;
            };
            let range = |level: f64| {
                series
                    .ribbons
                    .iter()
                    .find(|r| r.level == level)
                    .map_or_else(String::new, |r| {
                        format!(
                            "[{}, {}]",
                            format_number(r.lower[last]),
                            format_number(r.upper[last])
                        )
                    })
            };
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{}</td>{}{}<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(&crate::plot::with_unit(&panel.output, &panel.unit)),
                escape(arm),
                cell(series.times_h[last]),
                cell(series.p50[last]),
                escape(&range(0.5)),
                escape(&range(0.9))
            );
        }
    }
    html.push_str("</tbody>\n</table>\n</section>\n");
}

/// Writes the report of `dir` to `out` (atomically).
pub fn write_report(dir: &Path, out: &Path, options: &PlotOptions) -> Result<(), PlotError> {
    let html = render_report(dir, options)?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| PlotError::Write {
            path: parent.to_path_buf(),
            source: Box::new(e),
        })?;
    }
    twins::io::write_atomic(out, html.as_bytes(), false).map_err(|e| PlotError::Write {
        path: out.to_path_buf(),
        source: Box::new(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_notes_are_the_leading_comment_lines() {
        let text = "// Standard workload W1\n// Source: Rowland & Tozer.\n\n(\n    name: \"x\", // not this\n)\n";
        assert_eq!(
            source_notes(text),
            vec!["Standard workload W1", "Source: Rowland & Tozer."]
        );
    }

    #[test]
    fn escaping_covers_markup() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
