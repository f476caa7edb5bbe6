//! `migproj report`: a report of one or more runs in Markdown and in a self-contained HTML
//! file (charts inlined as SVG): assumptions, key figures with 80% intervals, the charts, and
//! provenance. It reads the runs' output folders only.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::output::charts::data::RunTables;
use crate::scenario::csv_table::parse_csv;

/// One run in the report.
pub struct ReportRun {
    pub dir: PathBuf,
    pub tables: RunTables,
    /// `(assumption, value, unit)` from assumptions.csv.
    pub assumptions: Vec<(String, String, String)>,
    /// `(chart name, SVG text)` from charts/.
    pub charts: Vec<(String, String)>,
}

/// A `migproj compare` folder in the report: its differences in words and its charts.
pub struct ReportComparison {
    pub dir: PathBuf,
    /// differences.md without its heading: one line per variant, variable and year.
    pub lines: Vec<String>,
    /// `(chart name, SVG text)`.
    pub charts: Vec<(String, String)>,
}

/// Reads a compare folder (one holding differences.md and compare.csv).
pub fn read_comparison(dir: &Path) -> Option<ReportComparison> {
    let text = std::fs::read_to_string(dir.join("differences.md")).ok()?;
    if !dir.join("compare.csv").is_file() {
        return None;
    }
    let lines = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let mut names: Vec<String> = std::fs::read_dir(dir.join("charts"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.strip_suffix(".svg")
                        .filter(|stem| stem.starts_with("difference_"))
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.extend([
        "compare_stock".to_string(),
        "compare_remittances".to_string(),
    ]);
    let charts = names
        .iter()
        .filter_map(|name| {
            std::fs::read_to_string(dir.join("charts").join(format!("{name}.svg")))
                .ok()
                .map(|svg| (name.clone(), svg))
        })
        .collect();
    Some(ReportComparison {
        dir: dir.to_path_buf(),
        lines,
        charts,
    })
}

fn svg_body(svg: &str) -> &str {
    let body = svg.trim_start_matches(|c| c != '<');
    if body.starts_with("<?xml") {
        body.split_once("?>")
            .map_or(body, |(_, rest)| rest.trim_start())
    } else {
        body
    }
}

/// The comparison sections in Markdown.
pub fn comparisons_markdown(comparisons: &[ReportComparison], report_dir: &Path) -> String {
    let mut out = String::new();
    for c in comparisons {
        let _ = writeln!(out, "## Differences between scenarios

Each variant against the scenario it varies; paired differences (the same random draws in both runs) with 80% and 95% intervals, World totals. All regions and years: `{}`.
", c.dir.join("differences.csv").display());
        for line in &c.lines {
            let _ = writeln!(out, "- {line}");
        }
        out.push('\n');
        for (name, _) in &c.charts {
            let png = c.dir.join("charts").join(format!("{name}.png"));
            let _ = writeln!(out, "![{name}]({})\n", relative_to(&png, report_dir));
        }
    }
    out
}

/// The comparison sections in HTML.
pub fn comparisons_html(comparisons: &[ReportComparison]) -> String {
    let mut out = String::new();
    for c in comparisons {
        out.push_str("<h2>Differences between scenarios</h2>\n<p>Each variant against the scenario it varies; paired differences (the same random draws in both runs) with 80% and 95% intervals, World totals.</p>\n<ul>\n");
        for line in &c.lines {
            let _ = writeln!(out, "<li>{}</li>", escape(line));
        }
        out.push_str("</ul>\n");
        for (name, svg) in &c.charts {
            let _ = writeln!(
                out,
                "<figure aria-label=\"{name}\">\n{}\n</figure>",
                svg_body(svg)
            );
        }
    }
    out
}

/// Key figures: (label, variable, divisor, unit).
const FIGURES: [(&str, &str, f64, &str); 4] = [
    ("Migrant stock", "stock", 1e6, "millions"),
    (
        "Share of world population",
        "share_of_world",
        0.01,
        "per cent",
    ),
    (
        "Remittances received",
        "remittances_received",
        1e9,
        "billion US$",
    ),
    ("Remittances / official aid", "ratio_to_oda", 1.0, "ratio"),
];

pub const REPORT_YEARS: [i32; 5] = [2000, 2010, 2020, 2030, 2050];

pub const CHART_ORDER: [&str; 9] = [
    "stock",
    "remittances",
    "remittances_ratio",
    "origin_oda",
    "share",
    "components",
    "pyramid",
    "duration",
    "regions",
];

pub fn read_assumptions(text: &str) -> Vec<(String, String, String)> {
    let Ok(rows) = parse_csv(text) else {
        return Vec::new();
    };
    let Some(header) = rows.first() else {
        return Vec::new();
    };
    let column = |name: &str| header.fields.iter().position(|f| f.text == name);
    let (Some(key), Some(value), Some(unit)) =
        (column("assumption"), column("value"), column("unit"))
    else {
        return Vec::new();
    };
    rows.iter()
        .skip(1)
        .filter(|r| r.fields.len() == header.fields.len())
        .map(|r| {
            (
                r.fields[key].text.clone(),
                r.fields[value].text.clone(),
                r.fields[unit].text.clone(),
            )
        })
        .collect()
}

/// "median (p10-p90)" of a variable in a year, or the deterministic value.
/// Key-figure rows `(label, entity, variable, divisor, unit)`: the World's figures, with every
/// remittance figure naming the origin group whose receipts it counts, then each origin
/// group's receipts.
fn figure_rows(tables: &RunTables) -> Vec<(String, String, String, f64, String)> {
    let world = tables.world().to_string();
    let mut rows = Vec::new();
    let grouped = !tables.origin_entities.is_empty();
    for (label, variable, divisor, unit) in FIGURES {
        if variable.starts_with("ratio_to_") {
            continue;
        }
        let label = if variable == "remittances_received" {
            "Remittances received, all origins".to_string()
        } else {
            label.to_string()
        };
        rows.push((
            label,
            world.clone(),
            variable.to_string(),
            divisor,
            unit.to_string(),
        ));
    }
    if grouped {
        for (key, region, origin) in &tables.origin_entities {
            // A group whose remittances are not modelled has none to show (assumptions.csv
            // says so).
            let modelled = tables
                .series(key, "remittances_received")
                .is_some_and(|v| v.iter().any(|x| *x != 0.0));
            if *region == world && modelled {
                rows.push((
                    format!("Remittances received by {origin}"),
                    key.clone(),
                    "remittances_received".into(),
                    1e9,
                    "billion US$".into(),
                ));
            }
        }
    }
    for (name, _) in &tables.comparison {
        let (origin, _) = tables
            .comparison_origin
            .iter()
            .find(|c| c.0 == *name)
            .map(|c| (c.1.clone(), c.2.clone()))
            .unwrap_or_default();
        let whose = if origin.is_empty() || origin == crate::scenario::ALL_ORIGINS {
            "all origins".to_string()
        } else {
            origin
        };
        rows.push((
            format!(
                "Remittances received by {whose} / {}",
                name.replace('_', " ")
            ),
            world.clone(),
            format!("ratio_to_{name}"),
            1.0,
            "ratio".into(),
        ));
    }
    rows
}

fn figure_of(tables: &RunTables, entity: &str, variable: &str, year: i32, divisor: f64) -> String {
    let Some(t) = tables.year_index(year) else {
        return "–".into();
    };
    let digits = |x: f64| {
        if x.abs() >= 100.0 {
            format!("{x:.0}")
        } else if x.abs() >= 10.0 {
            format!("{x:.1}")
        } else {
            format!("{x:.2}")
        }
    };
    if let Some(fan) = tables.fan(entity, variable) {
        return format!(
            "{} ({}–{})",
            digits(fan.p50[t] / divisor),
            digits(fan.p10[t] / divisor),
            digits(fan.p90[t] / divisor)
        );
    }
    match tables.series(entity, variable) {
        Some(v) if v[t].is_finite() => digits(v[t] / divisor),
        _ => "–".into(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Text from a scenario or table in Markdown: no raw HTML, no table-breaking bars.
fn md(text: &str) -> String {
    escape(text).replace('|', "\\|")
}

fn provenance(run: &ReportRun) -> String {
    let m = &run.tables.meta;
    let mc = match (m.trajectories, m.seed) {
        (Some(n), Some(seed)) => format!("{n} trajectories, seed {seed}"),
        _ => "deterministic run".into(),
    };
    format!(
        "data revision {}; scenario {} (sha256 {}); {mc}; migproj {}",
        m.data_revision, m.scenario_file, m.sha256_prefix, m.version
    )
}

fn relative_to(path: &Path, base: &Path) -> String {
    path.strip_prefix(base)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The report in Markdown; chart images are linked relative to `report_dir`.
pub fn markdown(runs: &[ReportRun], report_dir: &Path) -> String {
    let mut out = format!(
        "{}\n# Projections of international migrants and remittances\n\n",
        crate::commands::REPORT_MARK
    );
    let _ = writeln!(out, "Made with migproj from {} run{}. Figures are medians with 80% intervals in brackets where the run has a Monte Carlo; World totals.\n", runs.len(), if runs.len() == 1 { "" } else { "s" });
    for run in runs {
        let t = &run.tables;
        let _ = writeln!(out, "## {}\n", md(&t.meta.scenario_title));
        let _ = writeln!(
            out,
            "### Assumptions\n\n| assumption | value | unit |\n|---|---|---|"
        );
        for (key, value, unit) in &run.assumptions {
            let _ = writeln!(out, "| {} | {} | {} |", md(key), md(value), md(unit));
        }
        let years: Vec<i32> = REPORT_YEARS
            .iter()
            .copied()
            .filter(|y| t.year_index(*y).is_some())
            .collect();
        let _ = writeln!(
            out,
            "\n### Key figures\n\n| | unit | {} |\n|---|---|{}",
            years
                .iter()
                .map(|y| y.to_string())
                .collect::<Vec<_>>()
                .join(" | "),
            "---|".repeat(years.len())
        );
        for (label, entity, variable, divisor, unit) in figure_rows(t) {
            if t.series(&entity, &variable).is_none() {
                continue;
            }
            let cells: Vec<String> = years
                .iter()
                .map(|&y| figure_of(t, &entity, &variable, y, divisor))
                .collect();
            let _ = writeln!(out, "| {label} | {unit} | {} |", cells.join(" | "));
        }
        let _ = writeln!(out, "\n### Charts\n");
        for (name, _) in &run.charts {
            let png = run.dir.join("charts").join(format!("{name}.png"));
            let _ = writeln!(out, "![{name}]({})\n", relative_to(&png, report_dir));
        }
        let _ = writeln!(
            out,
            "### Provenance\n\n{}; outputs in `{}`.\n",
            provenance(run),
            run.dir.display()
        );
    }
    out
}

/// The report as one HTML file with the charts inlined as SVG.
pub fn html(runs: &[ReportRun]) -> String {
    let mut out = String::from(crate::commands::REPORT_MARK) + "\n";
    out.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>migproj report</title>\n<style>\n\
         body { font-family: 'DejaVu Sans', Verdana, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; line-height: 1.45; }\n\
         h1 { font-size: 1.8em; } h2 { border-bottom: 2px solid #0072B2; padding-bottom: 0.2em; margin-top: 2em; }\n\
         table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.92em; }\n\
         th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }\n\
         th { background: #f0f4f8; } td.num { text-align: right; white-space: nowrap; }\n\
         figure { margin: 1em 0 2em; } figure svg { width: 100%; height: auto; border: 1px solid #eee; }\n\
         .provenance { color: #555; font-size: 0.9em; }\n</style>\n</head>\n<body>\n\
         <h1>Projections of international migrants and remittances</h1>\n",
    );
    let _ = writeln!(out, "<p>Made with migproj from {} run{}. Figures are medians with 80% intervals in brackets where the run has a Monte Carlo; World totals.</p>", runs.len(), if runs.len() == 1 { "" } else { "s" });
    for run in runs {
        let t = &run.tables;
        let _ = writeln!(out, "<h2>{}</h2>\n<h3>Assumptions</h3>\n<table>\n<tr><th>assumption</th><th>value</th><th>unit</th></tr>", escape(&t.meta.scenario_title));
        for (key, value, unit) in &run.assumptions {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(key),
                escape(value),
                escape(unit)
            );
        }
        out.push_str("</table>\n<h3>Key figures</h3>\n<table>\n<tr><th></th><th>unit</th>");
        let years: Vec<i32> = REPORT_YEARS
            .iter()
            .copied()
            .filter(|y| t.year_index(*y).is_some())
            .collect();
        for y in &years {
            let _ = write!(out, "<th>{y}</th>");
        }
        out.push_str("</tr>\n");
        for (label, entity, variable, divisor, unit) in figure_rows(t) {
            if t.series(&entity, &variable).is_none() {
                continue;
            }
            let _ = write!(out, "<tr><td>{}</td><td>{unit}</td>", escape(&label));
            for &y in &years {
                let _ = write!(
                    out,
                    "<td class=\"num\">{}</td>",
                    escape(&figure_of(t, &entity, &variable, y, divisor))
                );
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n<h3>Charts</h3>\n");
        for (name, svg) in &run.charts {
            let body = svg.trim_start_matches(|c| c != '<');
            let body = if body.starts_with("<?xml") {
                body.split_once("?>")
                    .map_or(body, |(_, rest)| rest.trim_start())
            } else {
                body
            };
            let _ = writeln!(out, "<figure aria-label=\"{name}\">\n{body}\n</figure>");
        }
        let _ = writeln!(
            out,
            "<h3>Provenance</h3>\n<p class=\"provenance\">{}</p>",
            escape(&provenance(run))
        );
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Reads a run folder for the report.
pub fn read_run(dir: &Path, tables: RunTables) -> Result<ReportRun> {
    let assumptions = std::fs::read_to_string(dir.join("assumptions.csv"))
        .map(|t| read_assumptions(&t))
        .unwrap_or_default();
    let mut charts = Vec::new();
    for name in CHART_ORDER {
        if let Ok(svg) = std::fs::read_to_string(dir.join("charts").join(format!("{name}.svg"))) {
            charts.push((name.to_string(), svg));
        }
    }
    Ok(ReportRun {
        dir: dir.to_path_buf(),
        tables,
        assumptions,
        charts,
    })
}
