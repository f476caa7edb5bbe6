//! `migproj report`: a report of one or more runs and comparisons, in Markdown (charts linked
//! relative to the report's folder) and as one self-contained HTML file (charts embedded as
//! PNG). It reads output folders only. One document model is built, then written both ways:
//! title block, summary in words, per run its assumptions, key figures (every region, origin
//! group and comparison series, in the years asked for), event probabilities, numbered figures
//! with captions and provenance; the comparisons; the sources (data revisions, the scenario
//! comments that cite figures, every input file with its hash).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output::charts::data::RunTables;
use crate::scenario::csv_table::parse_csv;

/// The first line of every report migproj writes (Markdown and HTML alike).
pub const REPORT_MARK: &str = "<!-- written by migproj report -->";

/// What the command line sets.
#[derive(Debug, Clone, Default)]
pub struct ReportOptions {
    pub title: Option<String>,
    pub author: Option<String>,
    /// As printed under the title (default: today, UTC, YYYY-MM-DD).
    pub date: String,
    /// Key-figure years (default: the first year, every tenth year after it, the last).
    pub years: Option<Vec<i32>>,
    /// This report's id ([`new_report_id`]), in the byline of FILE.md and FILE.html and in the
    /// last row of FILE.csv and the Contents sheet of FILE.xlsx: files with different ids come
    /// from different reports (a report killed between its renames, issue 22 item 31).
    pub id: String,
}

/// A new report id: 12 hexadecimal digits of the sha256 of the time, the process and the
/// report's path (unique to one invocation, the same in its four files).
pub fn new_report_id(out: &Path) -> String {
    use sha2::{Digest, Sha256};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let digest = Sha256::digest(format!("{now} {} {}", std::process::id(), out.display()));
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// One run in the report.
pub struct ReportRun {
    pub dir: PathBuf,
    pub tables: RunTables,
    /// `(assumption, value, unit)` from assumptions.csv.
    pub assumptions: Vec<(String, String, String)>,
    /// Chart names (charts/NAME.png), in report order.
    pub charts: Vec<String>,
    /// Rows of probabilities.csv: `(where, year, event, probability, standard error)`.
    pub probabilities: Vec<[String; 5]>,
    /// run.json.
    pub manifest: serde_json::Value,
}

/// A `migproj compare` folder in the report: its differences (read from differences.csv, not
/// from the Markdown written for people) and its charts.
pub struct ReportComparison {
    pub dir: PathBuf,
    /// Every row of differences.csv.
    pub differences: Vec<crate::compare::Difference>,
    /// The total the differences are shown for (World, or the scenarios' `scenario.total`).
    pub world: String,
    /// Chart names (charts/NAME.png).
    pub charts: Vec<String>,
}

impl ReportComparison {
    /// The years shown: `--years` when given, else compare's defaults (2030 and 2050) where
    /// the runs reach them, else the last year.
    fn years(&self, options: &ReportOptions) -> Vec<i32> {
        let all: Vec<i32> = self.differences.iter().map(|d| d.year).collect();
        if let Some(years) = &options.years {
            return years.clone();
        }
        let mut years: Vec<i32> = [2030, 2050]
            .into_iter()
            .filter(|y| all.contains(y))
            .collect();
        if years.is_empty() {
            years.extend(all.iter().max());
        }
        years
    }
}

/// Reads a compare folder (one holding differences.csv and compare.csv); `Ok(None)` for any
/// other folder.
pub fn read_comparison(dir: &Path) -> Result<Option<ReportComparison>> {
    if !dir.join("compare.csv").is_file() || !dir.join("differences.csv").is_file() {
        return Ok(None);
    }
    let differences = crate::compare::read_differences(&dir.join("differences.csv"))?;
    // The total's rows: level `world` (World, or the scenarios' own total).
    let world = differences
        .iter()
        .find(|d| d.level == "world" && d.origin == crate::scenario::ALL_ORIGINS)
        .map(|d| d.region.clone())
        .unwrap_or_else(|| crate::scenario::DEFAULT_TOTAL.to_string());
    let mut charts: Vec<String> = chart_names(dir)
        .into_iter()
        .filter(|n| n.starts_with("difference_"))
        .collect();
    charts.sort();
    for name in ["compare_stock", "compare_remittances"] {
        if dir.join("charts").join(format!("{name}.png")).is_file() {
            charts.push(name.to_string());
        }
    }
    Ok(Some(ReportComparison {
        dir: dir.to_path_buf(),
        differences,
        world,
        charts,
    }))
}

/// The order of a run's charts in the report; charts not named here follow, by name.
pub const CHART_ORDER: [&str; 10] = [
    "stock",
    "regions",
    "remittances",
    "remittances_regions",
    "remittances_ratio",
    "share",
    "components",
    "pyramid",
    "duration",
    "origin_",
];

fn chart_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("charts"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .strip_suffix(".png")
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    let rank = |name: &str| {
        CHART_ORDER
            .iter()
            .position(|o| name == *o || (o.ends_with('_') && name.starts_with(o)))
            .unwrap_or(CHART_ORDER.len())
    };
    names.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    names
}

/// Reads a run folder for the report.
pub fn read_run(dir: &Path, tables: RunTables) -> Result<ReportRun> {
    let assumptions = std::fs::read_to_string(dir.join("assumptions.csv"))
        .map(|t| read_assumptions(&t))
        .unwrap_or_default();
    let probabilities = std::fs::read_to_string(dir.join("probabilities.csv"))
        .map(|t| read_probabilities(&t))
        .unwrap_or_default();
    let manifest = std::fs::read_to_string(dir.join("run.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null);
    Ok(ReportRun {
        dir: dir.to_path_buf(),
        tables,
        assumptions,
        charts: chart_names(dir)
            .into_iter()
            .filter(|n| !n.starts_with("difference_") && !n.starts_with("compare_"))
            .collect(),
        probabilities,
        manifest,
    })
}

/// Rows of a CSV table as maps from column name to field (rows of the wrong length skipped).
fn csv_records(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let Ok(rows) = parse_csv(text) else {
        return Vec::new();
    };
    let Some(header) = rows.first() else {
        return Vec::new();
    };
    rows.iter()
        .skip(1)
        .filter(|r| r.fields.len() == header.fields.len())
        .map(|r| {
            header
                .fields
                .iter()
                .zip(&r.fields)
                .map(|(h, f)| (h.text.trim().to_string(), f.text.clone()))
                .collect()
        })
        .collect()
}

pub fn read_assumptions(text: &str) -> Vec<(String, String, String)> {
    csv_records(text)
        .into_iter()
        .filter_map(|r| {
            Some((
                r.get("assumption")?.clone(),
                r.get("value")?.clone(),
                r.get("unit")?.clone(),
            ))
        })
        .collect()
}

fn read_probabilities(text: &str) -> Vec<[String; 5]> {
    csv_records(text)
        .into_iter()
        .filter_map(|r| {
            let origin = r.get("origin")?;
            let place = if origin == crate::scenario::ALL_ORIGINS {
                r.get("region")?.clone()
            } else {
                format!("{}, from {origin}", r.get("region")?)
            };
            let event = format!(
                "{} {} {}",
                r.get("variable")?.replace('_', " "),
                r.get("condition")?,
                grouped_text(r.get("threshold")?)
            );
            Some([
                place,
                r.get("year")?.clone(),
                event,
                r.get("probability")?.clone(),
                // Two significant digits: a Monte Carlo standard error has no more (issue 22
                // item 16: twelve were printed).
                match r.get("standard_error")?.parse::<f64>() {
                    Ok(se) if se > 0.0 && se.is_finite() => {
                        let digits = (1 - se.log10().floor() as i32).max(0) as usize;
                        format!("{se:.digits$}")
                    }
                    _ => r.get("standard_error")?.clone(),
                },
            ])
        })
        .collect()
}

fn grouped_text(number: &str) -> String {
    match number.parse::<f64>() {
        Ok(x) if x.abs() >= 10_000.0 && x.fract() == 0.0 => crate::output::tables::grouped(x),
        _ => number.to_string(),
    }
}

/// Key figures: `(label, variable, divisor, unit)` of the world rows.
const WORLD_FIGURES: [(&str, &str, f64, &str); 5] = [
    ("Migrant stock", "stock", 1e6, "millions"),
    (
        "Share of world population",
        "share_of_world",
        0.01,
        "per cent",
    ),
    (
        "Remittances received, all origins",
        "remittances_received",
        1e9,
        "billion US$",
    ),
    ("Transfer costs paid", "fees", 1e9, "billion US$"),
    ("Arrivals", "arrivals", 1e6, "millions a year"),
];

/// Key-figure rows `(label, entity, variable, divisor, unit)`: the world's figures, each
/// region's stock, each origin group's stock and receipts, and every comparison series.
fn figure_rows(tables: &RunTables) -> Vec<(String, String, String, f64, String)> {
    let world = tables.world().to_string();
    // A total that is not the world's is named in its labels (issue 22 item 4).
    let total = (world != crate::scenario::DEFAULT_TOTAL).then(|| world.clone());
    let mut rows: Vec<(String, String, String, f64, String)> = WORLD_FIGURES
        .iter()
        .map(|(label, variable, divisor, unit)| {
            let label = match (&total, *variable) {
                (None, _) => label.to_string(),
                (Some(total), "share_of_world") => {
                    format!("Migrants of {total} as a share of world population")
                }
                (Some(total), _) => format!("{label}, {total}"),
            };
            (
                label,
                world.clone(),
                variable.to_string(),
                *divisor,
                unit.to_string(),
            )
        })
        .collect();
    for region in tables.entities.iter().filter(|e| **e != world) {
        rows.push((
            format!("Migrant stock, {region}"),
            region.clone(),
            "stock".into(),
            1e6,
            "millions".into(),
        ));
    }
    for (key, region, origin) in &tables.origin_entities {
        if *region != world {
            continue;
        }
        rows.push((
            format!("Migrants from {origin} countries"),
            key.clone(),
            "stock".into(),
            1e6,
            "millions".into(),
        ));
        // A group whose remittances are not modelled has none to show.
        if tables
            .series(key, "remittances_received")
            .is_some_and(|v| v.iter().any(|x| *x != 0.0))
        {
            rows.push((
                format!("Remittances received by {origin} countries"),
                key.clone(),
                "remittances_received".into(),
                1e9,
                "billion US$".into(),
            ));
        }
    }
    for (name, _) in &tables.comparison {
        let origin = tables
            .comparison_origin
            .iter()
            .find(|c| c.0 == *name)
            .map(|c| c.1.clone())
            .unwrap_or_default();
        let whose = if origin.is_empty() || origin == crate::scenario::ALL_ORIGINS {
            "all origins".to_string()
        } else {
            origin
        };
        rows.push((
            format!(
                "Remittances received by {whose} / {}",
                crate::output::charts::remittances::comparison_label(tables, name)
            ),
            world.clone(),
            format!("ratio_to_{name}"),
            1.0,
            "ratio".into(),
        ));
    }
    rows.retain(|(_, entity, variable, _, _)| tables.series(entity, variable).is_some());
    rows
}

fn series_words(name: &str) -> String {
    match name {
        "oda" => "official development assistance".into(),
        "fdi" => "foreign direct investment".into(),
        other => other.replace('_', " "),
    }
}

fn digits(x: f64) -> String {
    if x.abs() >= 100.0 {
        crate::output::tables::grouped(x)
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// "median (p10–p90)" of a variable in a year, or the deterministic value.
fn figure_of(tables: &RunTables, entity: &str, variable: &str, year: i32, divisor: f64) -> String {
    let Some(t) = tables.year_index(year) else {
        return "–".into();
    };
    if let Some(fan) = tables.fan(entity, variable) {
        if fan.p50[t].is_finite() {
            return format!(
                "{} ({}–{})",
                digits(fan.p50[t] / divisor),
                digits(fan.p10[t] / divisor),
                digits(fan.p90[t] / divisor)
            );
        }
    }
    match tables.series(entity, variable) {
        Some(v) if v[t].is_finite() => digits(v[t] / divisor),
        _ => "–".into(),
    }
}

/// The default key-figure years of a run: the first, every tenth year after it, the last.
fn default_years(tables: &RunTables) -> Vec<i32> {
    let (Some(&first), Some(&last)) = (tables.years.first(), tables.years.last()) else {
        return Vec::new();
    };
    let mut years: Vec<i32> = (first..=last).step_by(10).collect();
    if years.last() != Some(&last) {
        years.push(last);
    }
    years
}

/// Checks `--years` against every run: each year must be projected by all of them.
pub fn check_years(years: &[i32], runs: &[ReportRun]) -> Result<()> {
    for run in runs {
        let t = &run.tables;
        if let Some(bad) = years.iter().find(|y| t.year_index(**y).is_none()) {
            return Err(Error::InputPlain(format!(
                "error: report --years: {bad} is not a year of the run in `{}` ({}-{})",
                run.dir.display(),
                t.years.first().copied().unwrap_or(0),
                t.years.last().copied().unwrap_or(0)
            )));
        }
    }
    Ok(())
}

/// One part of the document, written as Markdown and as HTML.
enum Block {
    Heading(usize, String),
    Paragraph(String),
    /// Small grey text (byline, provenance).
    Note(String),
    List(Vec<String>),
    Table {
        caption: String,
        header: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    Figure {
        png: PathBuf,
        name: String,
        caption: String,
    },
}

/// The caption of a chart, by name.
fn chart_caption(name: &str, tables: Option<&RunTables>) -> String {
    let fan = tables.is_some_and(|t| t.fans.is_some());
    let bands = if fan {
        "medians with 80% and 95% intervals of the Monte Carlo, the deterministic projection dashed"
    } else {
        "deterministic projection"
    };
    match name {
        "stock" => format!("International migrant stock by destination, at mid-year: {bands}; dots mark the calibration figures."),
        "regions" => "Migrant stock by destination region, stacked (deterministic projection).".into(),
        "remittances" => format!("Remittances received at origin after transfer costs, in current US dollars, with the comparison series: {bands}."),
        "remittances_regions" => format!("Remittances sent by the migrants in each destination region, before transfer costs, in current US dollars: {bands}."),
        "remittances_ratio" => "Remittances received relative to each comparison series (logarithmic scale); the dashed line marks equality.".into(),
        "share" => match tables.map(|t| t.world()).filter(|w| *w != crate::scenario::DEFAULT_TOTAL) {
            Some(total) => format!("International migrants of {total} (not the world's) as a share of the world's population: {bands}."),
            None => format!("International migrants as a share of the world's population: {bands}."),
        },
        "components" => "Components of change of the migrant stock per year: arrivals, deaths and departures (return or onward).".into(),
        "pyramid" => format!("Age and sex of international migrants in {}, in the base year, the calibration year and the last year.", match tables.map(|t| t.world()).filter(|w| *w != crate::scenario::DEFAULT_TOTAL) {
            Some(total) => total.to_string(),
            None => "the world".to_string(),
        }),
        "duration" => "Migrant stock by duration of stay in the destination, stacked.".into(),
        "compare_stock" => "Migrant stock in each scenario compared: medians with 80% intervals.".into(),
        "compare_remittances" => "Remittances received in each scenario compared: medians with 80% intervals.".into(),
        other => {
            if let Some(variant) = other.strip_prefix("difference_") {
                format!("Paired difference between {variant} and the scenario it varies (same random draws): median with 80% and 95% intervals.")
            } else if let Some(series) = other.strip_prefix("origin_") {
                format!("Remittances received by an origin group against {} (logarithmic scale), with the year receipts first exceed it.", series_words(series))
            } else {
                other.replace('_', " ")
            }
        }
    }
}

fn provenance(run: &ReportRun) -> String {
    let m = &run.tables.meta;
    let mc = match (m.trajectories, m.seed) {
        (Some(n), Some(seed)) => format!("{n} trajectories, seed {seed}"),
        _ => "deterministic run".into(),
    };
    format!(
        "Data revision {}; scenario {} (sha256 {}); {mc}; migproj {}; outputs in {}.",
        m.data_revision,
        m.scenario_file,
        m.sha256_prefix,
        m.version,
        run.dir.display()
    )
}

/// The median (or deterministic value) of a variable of an entity in a year, divided.
fn value_of(
    t: &RunTables,
    entity: &str,
    variable: &str,
    year: i32,
    divisor: f64,
) -> Option<String> {
    let i = t.year_index(year)?;
    let x = match t.fan(entity, variable) {
        Some(fan) => fan.p50[i],
        None => t.series(entity, variable)?[i],
    };
    x.is_finite().then(|| digits(x / divisor))
}

/// The summary in words of one run: the world's stock, share and receipts in the last key
/// year against the first.
fn summary_of(run: &ReportRun, years: &[i32]) -> String {
    let t = &run.tables;
    let world = t.world().to_string();
    let (Some(&first), Some(&last)) = (years.first(), years.last()) else {
        return String::new();
    };
    let interval = |variable: &str, divisor: f64| -> String {
        match (t.fan(&world, variable), t.year_index(last)) {
            (Some(fan), Some(i)) if fan.p10[i].is_finite() => format!(
                " (80% interval {}–{})",
                digits(fan.p10[i] / divisor),
                digits(fan.p90[i] / divisor)
            ),
            _ => String::new(),
        }
    };
    let value = |variable: &str, year: i32, divisor: f64| -> Option<String> {
        value_of(t, &world, variable, year, divisor)
    };
    let mut out = format!("Under “{}”, ", t.meta.scenario_title);
    // A scenario whose regions do not cover the world names its total (`scenario.total`,
    // issue 22 item 4): its migrants are not "the world's".
    let covers_world = world == crate::scenario::DEFAULT_TOTAL;
    if let (Some(a), Some(b)) = (value("stock", first, 1e6), value("stock", last, 1e6)) {
        let share = value("share_of_world", last, 0.01)
            .map(|s| format!(", {s} per cent of the world's population"))
            .unwrap_or_default();
        let whose = if covers_world {
            "the world's international migrants".to_string()
        } else {
            format!("the international migrants of {world} (not the world)")
        };
        let _ = write!(
            out,
            "{whose} number {b} million in {last}{}{share}; they were {a} million in {first}",
            interval("stock", 1e6)
        );
    }
    out.push('.');
    if let Some(received) = value("remittances_received", last, 1e9) {
        let _ = write!(
            out,
            " The remittances they send reach {received} billion US dollars received at origin in {last}{}, all origins",
            interval("remittances_received", 1e9)
        );
        out.push('.');
        // Each ratio names whose receipts it divides, by which series, and how that series
        // continues past its last figure (issue 22 item 5).
        for (name, _) in &t.comparison {
            let Some(ratio) = value(&format!("ratio_to_{name}"), last, 1.0) else {
                continue;
            };
            let label = crate::output::charts::remittances::comparison_label(t, name);
            let (group, _) = crate::output::charts::remittances::comparison_origin(t, name);
            let whose = match &group {
                Some(group) => {
                    let key = crate::output::charts::data::group_key(&world, group);
                    let amount = value_of(t, &key, "remittances_received", last, 1e9)
                        .map(|x| format!(" ({x} billion US dollars)"))
                        .unwrap_or_default();
                    format!("Receipts of {group} countries{amount}")
                }
                None => "Receipts of all origins".to_string(),
            };
            let _ = write!(out, " {whose} are {ratio} times {label} in {last}.");
        }
    }
    if t.fans.is_none() {
        out.push_str(" (A deterministic run: no intervals.)");
    }
    out
}

/// The report built once: its title and blocks, which FILE.md, FILE.html, FILE.csv and
/// FILE.xlsx are written from.
pub struct Document {
    pub title: String,
    blocks: Vec<Block>,
}

/// Builds the document.
pub fn document(
    runs: &[ReportRun],
    comparisons: &[ReportComparison],
    options: &ReportOptions,
) -> Document {
    let (title, blocks) = document_parts(runs, comparisons, options);
    Document { title, blocks }
}

fn document_parts(
    runs: &[ReportRun],
    comparisons: &[ReportComparison],
    options: &ReportOptions,
) -> (String, Vec<Block>) {
    let title = options
        .title
        .clone()
        .unwrap_or_else(|| "Projections of international migrants and remittances".into());
    let mut blocks = Vec::new();
    let mut byline = Vec::new();
    if let Some(author) = &options.author {
        byline.push(author.clone());
    }
    byline.push(options.date.clone());
    byline.push(format!("made with migproj {}", env!("CARGO_PKG_VERSION")));
    byline.push(format!("report {}", options.id));
    blocks.push(Block::Note(byline.join(" · ")));
    let (mut table_no, mut figure_no) = (0, 0);

    blocks.push(Block::Heading(2, "Summary".into()));
    let mut summary = Vec::new();
    for run in runs {
        let years = options
            .years
            .clone()
            .unwrap_or_else(|| default_years(&run.tables));
        summary.push(summary_of(run, &years));
    }
    for c in comparisons {
        // The differences that are differences; a variable a variant leaves as it was (a cost
        // scenario's stock) is said once (issue 22 item 13: "+0.00 million migrants").
        let years = c.years(options);
        summary.extend(
            crate::compare::differences_text(&c.differences, &years, &c.world)
                .lines()
                .map(str::to_string),
        );
    }
    blocks.push(Block::List(summary));
    blocks.push(Block::Paragraph(
        "Figures are medians with 80% intervals in brackets where a run has a Monte Carlo; \
         intervals come from the model's stated uncertainty (see each run's assumptions) and \
         do not include errors in the base data."
            .into(),
    ));

    for run in runs {
        let t = &run.tables;
        blocks.push(Block::Heading(2, t.meta.scenario_title.clone()));
        blocks.push(Block::Heading(3, "Assumptions".into()));
        table_no += 1;
        blocks.push(Block::Table {
            caption: format!(
                "Table {table_no}. Assumptions of “{}” (assumptions.csv).",
                t.meta.scenario_title
            ),
            header: vec!["assumption".into(), "value".into(), "unit".into()],
            rows: run
                .assumptions
                .iter()
                .map(|(a, v, u)| vec![a.clone(), v.clone(), u.clone()])
                .collect(),
        });
        let years = options.years.clone().unwrap_or_else(|| default_years(t));
        blocks.push(Block::Heading(3, "Key figures".into()));
        table_no += 1;
        let mut header = vec![String::new(), "unit".to_string()];
        header.extend(years.iter().map(|y| y.to_string()));
        blocks.push(Block::Table {
            caption: format!(
                "Table {table_no}. Key figures of “{}”: {}; every region, origin group and comparison series.",
                t.meta.scenario_title,
                if t.fans.is_some() {
                    "median (10th–90th percentile)"
                } else {
                    "deterministic projection"
                }
            ),
            header,
            rows: figure_rows(t)
                .into_iter()
                .map(|(label, entity, variable, divisor, unit)| {
                    let mut row = vec![label, unit];
                    row.extend(
                        years
                            .iter()
                            .map(|&y| figure_of(t, &entity, &variable, y, divisor)),
                    );
                    row
                })
                .collect(),
        });
        if !run.probabilities.is_empty() {
            blocks.push(Block::Heading(3, "Event probabilities".into()));
            table_no += 1;
            blocks.push(Block::Table {
                caption: format!(
                    "Table {table_no}. Share of the trajectories in which each event of the scenario happens, with its Monte Carlo standard error (probabilities.csv)."
                ),
                header: ["where", "year", "event", "probability", "standard error"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                rows: run.probabilities.iter().map(|r| r.to_vec()).collect(),
            });
        }
        blocks.push(Block::Heading(3, "Figures".into()));
        for name in &run.charts {
            figure_no += 1;
            blocks.push(Block::Figure {
                png: run.dir.join("charts").join(format!("{name}.png")),
                name: name.clone(),
                caption: format!(
                    "Figure {figure_no}. {} Scenario “{}”; data revision {}.",
                    chart_caption(name, Some(t)),
                    t.meta.scenario_title,
                    t.meta.data_revision
                ),
            });
        }
        blocks.push(Block::Heading(3, "Provenance".into()));
        blocks.push(Block::Note(provenance(run)));
    }

    for c in comparisons {
        blocks.push(Block::Heading(2, "Differences between scenarios".into()));
        blocks.push(Block::Paragraph(format!(
            "Each variant against the scenario it varies: paired differences (the same random draws in both runs) with 80% and 95% intervals, totals of {}. Every region, origin group and year: {}.",
            c.world,
            c.dir.join("differences.csv").display()
        )));
        let years = c.years(options);
        let shown = crate::compare::shown(&c.differences, &years, &c.world);
        let listed: Vec<Vec<String>> = shown
            .iter()
            .filter(|d| !crate::compare::is_none(d))
            .map(|d| crate::compare::difference_cells(d))
            .collect();
        if !listed.is_empty() {
            table_no += 1;
            blocks.push(Block::Table {
                caption: format!(
                    "Table {table_no}. Differences between scenarios, {} (differences.csv).",
                    c.world
                ),
                header: crate::compare::DIFFERENCE_HEADER
                    .iter()
                    .map(|h| h.to_string())
                    .collect(),
                rows: listed,
            });
        }
        let notes = crate::compare::no_difference_notes(&shown);
        if !notes.is_empty() {
            blocks.push(Block::List(notes));
        }
        for name in &c.charts {
            figure_no += 1;
            blocks.push(Block::Figure {
                png: c.dir.join("charts").join(format!("{name}.png")),
                name: name.clone(),
                caption: format!("Figure {figure_no}. {}", chart_caption(name, None)),
            });
        }
    }

    blocks.push(Block::Heading(2, "Sources".into()));
    let mut sources = Vec::new();
    for run in runs {
        let t = &run.tables;
        sources.push(format!(
            "“{}”: data revision {}.",
            t.meta.scenario_title, t.meta.data_revision
        ));
        if let Some(list) = run.manifest.get("sources").and_then(|s| s.as_array()) {
            for s in list {
                let text = |k: &str| s.get(k).and_then(|v| v.as_str()).unwrap_or("");
                sources.push(format!(
                    "{} — {} ({}, line {})",
                    text("setting"),
                    text("comment"),
                    text("file"),
                    s.get("line").and_then(|v| v.as_u64()).unwrap_or(0)
                ));
            }
        }
        if let Some(list) = run.manifest.get("inputs").and_then(|s| s.as_array()) {
            for s in list {
                let text = |k: &str| s.get(k).and_then(|v| v.as_str()).unwrap_or("");
                sources.push(format!(
                    "Input file {} ({}), sha256 {}",
                    text("path"),
                    text("role"),
                    text("sha256")
                ));
            }
        }
    }
    blocks.push(Block::List(sources));
    (title, blocks)
}

/// Text in HTML: markup escaped, and control characters (NUL, BEL, ESC... from a tampered
/// run.json or a file name: issue 22 items 28 and 29) shown as U+FFFD instead of copied.
fn escape(text: &str) -> String {
    crate::output::without_controls(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn md(text: &str) -> String {
    crate::output::md_text(text)
}

/// `to` relative to the folder `from` (both made absolute), with `/` separators, so that a
/// link in a file in `from` resolves.
pub fn relative_path(from: &Path, to: &Path) -> String {
    let absolute = |p: &Path| -> PathBuf {
        std::fs::canonicalize(p).unwrap_or_else(|_| {
            std::env::current_dir()
                .map(|d| d.join(p))
                .unwrap_or_else(|_| p.to_path_buf())
        })
    };
    let (from, to) = (absolute(from), absolute(to));
    let a: Vec<_> = from.components().collect();
    let b: Vec<_> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".to_string(); a.len() - common];
    parts.extend(
        b[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// The header of the report's tables as CSV (also how `report` knows the file is its own).
pub const TABLES_CSV_HEADER: &str = "table,caption,row,column,value";

/// Every table of the report in long form (`table` "Table 1", its caption, the row's number
/// from 1, the column's heading, the cell as the report prints it): the report's figures,
/// exactly, for a spreadsheet.
pub fn tables_csv(document: &Document, options: &ReportOptions) -> Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed =
        |e: csv::Error| Error::Environment(format!("cannot build the report's tables: {e}"));
    writer
        .write_record(TABLES_CSV_HEADER.split(','))
        .map_err(failed)?;
    for (number, caption, header, rows) in report_tables(&document.blocks) {
        let table = number.unwrap_or_default();
        for (i, row) in rows.iter().enumerate() {
            for (column, cell) in header.iter().zip(row) {
                writer
                    .write_record([
                        crate::output::without_controls(&table),
                        crate::output::without_controls(caption),
                        (i + 1).to_string(),
                        crate::output::without_controls(column),
                        crate::output::without_controls(cell),
                    ])
                    .map_err(failed)?;
            }
        }
    }
    // The report's id: the .md and .html written with this file carry the same.
    writer
        .write_record([
            "report",
            "The report these tables belong to (its .md and .html carry the same id)",
            "1",
            "id",
            &crate::output::without_controls(&options.id),
        ])
        .map_err(failed)?;
    let bytes = writer
        .into_inner()
        .map_err(|e| Error::Environment(format!("cannot build the report's tables: {e}")))?;
    String::from_utf8(bytes)
        .map_err(|e| Error::Environment(format!("cannot build the report's tables: {e}")))
}

/// The report's tables: `(number, caption, header, rows)`, the number ("Table 2") read from
/// the caption ("Table 2. Key figures of ...").
type ReportTable<'a> = (Option<String>, &'a str, &'a [String], &'a [Vec<String>]);

fn report_tables(blocks: &[Block]) -> Vec<ReportTable<'_>> {
    blocks
        .iter()
        .filter_map(|block| match block {
            Block::Table {
                caption,
                header,
                rows,
            } => {
                let number = caption
                    .split_once(". ")
                    .map(|(number, _)| number.to_string());
                Some((number, caption.as_str(), header.as_slice(), rows.as_slice()))
            }
            _ => None,
        })
        .collect()
}

/// The sheets of FILE.xlsx (issue 22 item 15): Contents (what each sheet holds, the report's
/// id), each of the report's tables as it prints them, then each run's projection,
/// remittances and summary tables as the run folder holds them (numbers as numbers).
pub fn workbook_sheets(
    document: &Document,
    runs: &[ReportRun],
    options: &ReportOptions,
) -> Result<Vec<crate::output::xlsx::Sheet>> {
    use crate::output::xlsx::{sheet_name, Sheet, MAX_ROWS};
    let mut contents = vec![
        vec!["sheet".to_string(), "contents".to_string()],
        vec![
            String::new(),
            format!("{} (report {})", document.title, options.id),
        ],
    ];
    let mut sheets: Vec<Sheet> = Vec::new();
    let mut taken: Vec<String> = vec!["Contents".into()];
    let mut add = |wanted: &str, what: String, rows: Vec<Vec<String>>, sheets: &mut Vec<Sheet>| {
        let name = sheet_name(wanted, &taken);
        if rows.len() > MAX_ROWS {
            contents.push(vec![
                String::new(),
                format!(
                    "{what}: not included ({} rows, over Excel's {MAX_ROWS}; see the CSV)",
                    rows.len()
                ),
            ]);
            return;
        }
        taken.push(name.clone());
        contents.push(vec![name.clone(), what]);
        sheets.push(Sheet { name, rows });
    };
    for (number, caption, header, rows) in report_tables(&document.blocks) {
        let mut cells = vec![header.to_vec()];
        cells.extend_from_slice(rows);
        add(
            &number.unwrap_or_else(|| "Table".into()),
            caption.to_string(),
            cells,
            &mut sheets,
        );
    }
    for (k, run) in runs.iter().enumerate() {
        let prefix = if runs.len() == 1 {
            String::new()
        } else {
            format!("Run {} ", k + 1)
        };
        for table in ["projection", "remittances", "summary"] {
            let path = run.dir.join(format!("{table}.csv"));
            // A run without origin groups has no remittances.csv, a deterministic run no
            // summary.csv; a table that is there but unreadable (damaged, not UTF-8, not a
            // regular file) is refused like any other input (exit 2).
            let refused = |e: &dyn std::fmt::Display| {
                Error::InputPlain(format!(
                    "error: cannot read `{}` for the workbook: {e}",
                    path.display()
                ))
            };
            let bytes = match crate::scenario::read_regular_file(&path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(refused(&e)),
            };
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(bytes.as_slice());
            let rows = reader
                .records()
                .map(|record| {
                    record
                        .map(|r| r.iter().map(crate::output::without_controls).collect())
                        .map_err(|e| refused(&e))
                })
                .collect::<Result<Vec<Vec<String>>>>()?;
            add(
                &format!("{prefix}{table}"),
                format!("{table}.csv of {}", run.dir.display()),
                rows,
                &mut sheets,
            );
        }
    }
    let mut all = vec![Sheet {
        name: "Contents".into(),
        rows: contents,
    }];
    all.extend(sheets);
    Ok(all)
}

/// The report in Markdown; chart images linked relative to `report_dir`.
pub fn markdown(document: &Document, report_dir: &Path) -> String {
    let Document { title, blocks } = document;
    let mut out = format!("{REPORT_MARK}\n# {}\n\n", md(title));
    for block in blocks {
        match block {
            Block::Heading(level, text) => {
                let _ = writeln!(out, "{} {}\n", "#".repeat(*level), md(text));
            }
            Block::Paragraph(text) => {
                let _ = writeln!(out, "{}\n", md(text));
            }
            Block::Note(text) => {
                let _ = writeln!(out, "*{}*\n", md(text));
            }
            Block::List(items) => {
                for item in items {
                    let _ = writeln!(out, "- {}", md(item));
                }
                out.push('\n');
            }
            Block::Table {
                caption,
                header,
                rows,
            } => {
                let _ = writeln!(out, "{}\n", md(caption));
                let _ = writeln!(
                    out,
                    "| {} |\n|{}",
                    header.iter().map(|h| md(h)).collect::<Vec<_>>().join(" | "),
                    "---|".repeat(header.len())
                );
                for row in rows {
                    let _ = writeln!(
                        out,
                        "| {} |",
                        row.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | ")
                    );
                }
                out.push('\n');
            }
            Block::Figure { png, name, caption } => {
                let _ = writeln!(
                    out,
                    "![{}]({})\n\n{}\n",
                    md(name),
                    relative_path(report_dir, png)
                        .replace(' ', "%20")
                        .replace('(', "%28")
                        .replace(')', "%29"),
                    md(caption)
                );
            }
        }
    }
    out
}

/// The largest chart embedded in report.html (migproj's charts are 0.1 to 0.5 MB).
pub const MAX_CHART_BYTES: u64 = 8 << 20;

/// The most chart bytes one report.html embeds: about 500 standard charts.
pub const MAX_EMBEDDED_BYTES: u64 = 200 << 20;

/// A chart to embed in report.html: a regular file (not a link, device or FIFO) of at most
/// [`MAX_CHART_BYTES`] that is a PNG, else an error naming it (issue 22 item 25: a link to
/// /etc/passwd was embedded, and nine 60 MB files of zeros made a 755 MB page).
fn read_chart(path: &Path) -> Result<Vec<u8>> {
    let refuse = |why: String| {
        Error::InputPlain(format!(
            "error: the chart `{}` {why}; nothing was written (redraw the charts with `migproj plot`)",
            path.display()
        ))
    };
    let metadata =
        std::fs::symlink_metadata(path).map_err(|e| refuse(format!("cannot be read: {e}")))?;
    if !metadata.file_type().is_file() {
        return Err(refuse(
            "is not a regular file (a link, directory, device or FIFO)".into(),
        ));
    }
    if metadata.len() > MAX_CHART_BYTES {
        return Err(refuse(format!(
            "is {} bytes, more than a chart ({} MiB at most)",
            metadata.len(),
            MAX_CHART_BYTES >> 20
        )));
    }
    let bytes = crate::scenario::read_input_file(path, "chart")?;
    if !bytes.starts_with(b"\x89PNG\r\n\x1a\n") || bytes.len() as u64 > MAX_CHART_BYTES {
        return Err(refuse("is not a PNG image".into()));
    }
    Ok(bytes)
}

/// Standard base64 (RFC 4648), for images embedded in the HTML.
fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The report as one HTML file, charts embedded as PNG (they show the embedded fonts on any
/// machine and need no other file).
pub fn html(document: &Document) -> Result<String> {
    let Document { title, blocks } = document;
    let mut out = format!(
        "{REPORT_MARK}\n<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>\n\
         body {{ font-family: 'DejaVu Sans', Verdana, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }}\n\
         h1 {{ font-size: 1.8em; }} h2 {{ border-bottom: 2px solid #0072B2; padding-bottom: 0.2em; margin-top: 2em; }}\n\
         table {{ border-collapse: collapse; margin: 0.3em 0 1.5em; font-size: 0.92em; display: block; max-width: 100%; overflow-x: auto; }}\n\
         caption {{ caption-side: top; text-align: left; font-style: italic; padding-bottom: 0.4em; }}\n\
         th, td {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }}\n\
         th {{ background: #f0f4f8; }} td.num {{ text-align: right; white-space: nowrap; }}\n\
         figure {{ margin: 1em 0 2em; }} figure img {{ width: 100%; height: auto; border: 1px solid #eee; }}\n\
         figcaption {{ font-style: italic; margin-top: 0.4em; }}\n\
         .note {{ color: #666; font-size: 0.9em; }}\n\
         </style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(title),
        escape(title)
    );
    let mut embedded: u64 = 0;
    for block in blocks {
        match block {
            Block::Heading(level, text) => {
                let _ = writeln!(out, "<h{level}>{}</h{level}>", escape(text));
            }
            Block::Paragraph(text) => {
                let _ = writeln!(out, "<p>{}</p>", escape(text));
            }
            Block::Note(text) => {
                let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(text));
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    let _ = writeln!(out, "<li>{}</li>", escape(item));
                }
                out.push_str("</ul>\n");
            }
            Block::Table {
                caption,
                header,
                rows,
            } => {
                let _ = writeln!(
                    out,
                    "<table>\n<caption>{}</caption>\n<tr>{}</tr>",
                    escape(caption),
                    header
                        .iter()
                        .map(|h| format!("<th>{}</th>", escape(h)))
                        .collect::<String>()
                );
                for row in rows {
                    out.push_str("<tr>");
                    for (i, cell) in row.iter().enumerate() {
                        let class = if i >= 2 && header.len() > 3 {
                            " class=\"num\""
                        } else {
                            ""
                        };
                        let _ = write!(out, "<td{class}>{}</td>", escape(cell));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</table>\n");
            }
            Block::Figure { png, name, caption } => {
                let bytes = read_chart(png)?;
                // A bound on the whole page, not only on each chart (issue 22 item 33: 40
                // folders of 8000x8000 charts made a 1.5 GB page and used 1.6 GB of memory).
                embedded += bytes.len() as u64;
                if embedded > MAX_EMBEDDED_BYTES {
                    return Err(Error::InputPlain(format!(
                        "error: report.html would embed more than {} MiB of charts (at `{}`); report fewer folders at once, or redraw the charts at the standard size with `migproj plot`; nothing was written",
                        MAX_EMBEDDED_BYTES >> 20,
                        png.display()
                    )));
                }
                let _ = writeln!(
                    out,
                    "<figure>\n<img alt=\"{}\" src=\"data:image/png;base64,{}\">\n<figcaption>{}</figcaption>\n</figure>",
                    escape(caption),
                    base64(&bytes),
                    escape(caption)
                );
                let _ = name;
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    Ok(out)
}

/// Today's date (UTC) as YYYY-MM-DD, from the system clock.
pub fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| (d.as_secs() / 86_400) as i64)
        .unwrap_or(0);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_of_known_strings() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn relative_paths_climb_and_descend() {
        let base = std::env::temp_dir().join(format!("migproj-rel-{}", std::process::id()));
        std::fs::create_dir_all(base.join("a/b")).unwrap();
        std::fs::create_dir_all(base.join("c")).unwrap();
        assert_eq!(
            relative_path(&base.join("c"), &base.join("a/b/x.png")),
            "../a/b/x.png"
        );
        assert_eq!(relative_path(&base, &base.join("a/b/x.png")), "a/b/x.png");
    }

    #[test]
    fn default_years_end_with_the_last() {
        let tables = RunTables {
            years: (1990..=2063).collect(),
            ..RunTables::default()
        };
        assert_eq!(
            default_years(&tables),
            vec![1990, 2000, 2010, 2020, 2030, 2040, 2050, 2060, 2063]
        );
    }
}
