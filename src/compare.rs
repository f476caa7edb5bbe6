//! `migproj compare`: scenarios side by side, and each variant against the scenario it
//! varies. compare.csv holds the medians and 80% intervals of every variable; differences.csv
//! the difference of each variant from its reference, per region, variable and year. When the
//! two runs drew the same random numbers (the same seed, trajectories, regions, years and
//! uncertainty settings: changes, pulses and costs draw nothing), trajectory k of the variant
//! and trajectory k of the reference differ only by the variant's assumptions, so the
//! difference is taken per trajectory and then summarised (common random numbers; paired).
//! Otherwise the medians are differenced and the rows say `unpaired`. Charts overlay the fans
//! of the stock and of remittances received, and draw the paired differences.

use crate::error::Result;
use crate::output::charts::data::RunTables;
use crate::output::charts::draw::{palette, Chart, Layer, LegendItem, LegendKey, Panel, Ticks};
use crate::output::number;
use crate::output::tables::CsvBuffer;
use crate::scenario::Uncertainty;
use crate::simulate::monte_carlo::MonteCarlo;
use crate::simulate::quantiles::summarize;
use plotters::style::RGBColor;

/// One scenario's run, by its output folder name.
pub struct Compared {
    pub name: String,
    pub tables: RunTables,
    /// The trajectories and the settings that drew them, when the run was made here (a run
    /// folder given as input has only its summaries).
    pub monte_carlo: Option<(MonteCarlo, Uncertainty)>,
    /// Entity and variable names of the in-memory series.
    pub entities: Vec<String>,
    pub variables: Vec<String>,
    /// Index of the run this one is compared with.
    pub reference: Option<usize>,
}

/// p10, p50 and p90 of a variable for an entity, by year: the Monte Carlo's when the run had
/// one, else the deterministic values for all three.
pub fn band(
    tables: &RunTables,
    entity: &str,
    variable: &str,
) -> Option<(Vec<f64>, Vec<f64>, Vec<f64>)> {
    if let Some(fan) = tables.fan(entity, variable) {
        return Some((fan.p10.clone(), fan.p50.clone(), fan.p90.clone()));
    }
    tables
        .series(entity, variable)
        .map(|v| (v.clone(), v.clone(), v.clone()))
}

fn variables(tables: &RunTables) -> Vec<String> {
    let mut names: Vec<String> = crate::simulate::CORE_VARIABLES
        .iter()
        .map(|s| s.to_string())
        .collect();
    names.extend(
        tables
            .comparison
            .iter()
            .map(|(n, _)| format!("ratio_to_{n}")),
    );
    names
}

/// `(entity key, region, origin)` of every row group of a run: regions and the World (`All`),
/// then every origin group's rows.
fn row_groups(tables: &RunTables) -> Vec<(String, String, String)> {
    let all = crate::scenario::ALL_ORIGINS.to_string();
    tables
        .entities
        .iter()
        .map(|e| (e.clone(), e.clone(), all.clone()))
        .chain(tables.origin_entities.iter().cloned())
        .collect()
}

fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// compare.csv: the leading columns of differences.csv, then p10, p50, p90, data_revision.
pub fn compare_csv(runs: &[Compared]) -> Result<Vec<u8>> {
    let mut csv = CsvBuffer::new(
        "compare.csv",
        &owned(
            &[
                &DIFFERENCES_COLUMNS[..LEADING_COLUMNS],
                &["p10", "p50", "p90", "data_revision"][..],
            ]
            .concat(),
        ),
    )?;
    for run in runs {
        let reference = run
            .reference
            .map(|i| runs[i].name.clone())
            .unwrap_or_default();
        let keys = row_groups(&run.tables);
        for (entity, region, origin) in &keys {
            for variable in variables(&run.tables) {
                let Some((p10, p50, p90)) = band(&run.tables, entity, &variable) else {
                    continue;
                };
                for (t, year) in run.tables.years.iter().enumerate() {
                    csv.row(&[
                        run.name.clone(),
                        reference.clone(),
                        region.clone(),
                        origin.clone(),
                        run.tables.level(region, origin).to_string(),
                        year.to_string(),
                        variable.clone(),
                        crate::output::unit_of(&variable).to_string(),
                        number(p10[t]),
                        number(p50[t]),
                        number(p90[t]),
                        run.tables.meta.data_revision.clone(),
                    ])?;
                }
            }
        }
    }
    csv.into_bytes()
}

/// How a difference was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Per trajectory, then summarised (common random numbers).
    Paired,
    /// Median minus median: the runs did not draw the same numbers.
    Unpaired,
    /// Deterministic minus deterministic: no Monte Carlo.
    Deterministic,
}

impl Method {
    pub fn label(self) -> &'static str {
        match self {
            Method::Paired => "paired",
            Method::Unpaired => "unpaired",
            Method::Deterministic => "deterministic",
        }
    }
}

/// Whether trajectory k of `a` and of `b` drew the same numbers, and if not, why.
pub fn pairing(a: &Compared, b: &Compared) -> std::result::Result<(), String> {
    let (Some((_, ua)), Some((_, ub))) = (&a.monte_carlo, &b.monte_carlo) else {
        return Err(if a.monte_carlo.is_none() && b.monte_carlo.is_none() {
            "no Monte Carlo in either run".into()
        } else {
            "a run folder was given or one run has no Monte Carlo: its trajectories are not at hand"
                .into()
        });
    };
    if ua.seed != ub.seed {
        return Err(format!("different seeds ({} and {})", ua.seed, ub.seed));
    }
    if ua.trajectories != ub.trajectories {
        return Err(format!(
            "different numbers of trajectories ({} and {})",
            ua.trajectories, ub.trajectories
        ));
    }
    if a.entities != b.entities {
        return Err("different regions".into());
    }
    if a.tables.years != b.tables.years {
        return Err("different years".into());
    }
    let settings = |u: &Uncertainty| {
        [
            u.world_growth_sd,
            u.world_ar1,
            u.world_shock_sd,
            u.region_ar1,
            u.region_shock_sd,
            u.departure_sd,
            u.departure_ramp,
            u.remittance_growth_sd,
            u.remittance_shock_sd,
            u.world_sd_rel_se,
            u.region_sd_rel_se,
            u.remittance_sd_rel_se,
        ]
    };
    if settings(ua) != settings(ub) {
        return Err("different [uncertainty] settings".into());
    }
    Ok(())
}

/// One line of differences.csv: variant minus reference for one region, variable and year.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub scenario: String,
    pub reference: String,
    pub region: String,
    /// The origin group (`All` for the sum over groups).
    pub origin: String,
    /// `world`, `region` or `origin`.
    pub level: &'static str,
    pub variable: String,
    pub year: i32,
    pub method: Method,
    /// p2.5, p10, p50, p90, p97.5 of the difference (only p50 unless paired).
    pub difference: [f64; 5],
    /// The same for the difference relative to the reference (a fraction).
    pub relative: [f64; 5],
    pub data_revision: String,
    pub reference_data_revision: String,
}

/// The quantiles of differences.csv among the seven of a summary.
fn five(q: [f64; 7]) -> [f64; 5] {
    [q[0], q[1], q[3], q[5], q[6]]
}

/// Every difference of every run that has a reference.
pub fn differences(runs: &[Compared]) -> Result<Vec<Difference>> {
    let mut out = Vec::new();
    for run in runs {
        let Some(r) = run.reference else { continue };
        let reference = &runs[r];
        let method = match pairing(run, reference) {
            Ok(()) => Method::Paired,
            Err(_) if run.monte_carlo.is_none() && reference.monte_carlo.is_none() => {
                Method::Deterministic
            }
            Err(_) => Method::Unpaired,
        };
        let keys = row_groups(&run.tables);
        for (entity, region, origin) in &keys {
            for variable in variables(&run.tables) {
                // Paired: every trajectory's values of this entity and variable in both runs,
                // `[year][trajectory]`, read once (from disk when the runs spilled).
                let paired_columns = match (method, &run.monte_carlo, &reference.monte_carlo) {
                    (Method::Paired, Some((a, _)), Some((b, _))) => {
                        let (Some(e), Some(v), Some(vb)) = (
                            run.entities.iter().position(|x| x == entity),
                            run.variables.iter().position(|x| *x == variable),
                            reference.variables.iter().position(|x| *x == variable),
                        ) else {
                            continue;
                        };
                        Some((a.columns(e, v)?, b.columns(e, vb)?))
                    }
                    _ => None,
                };
                let years = &run.tables.years;
                for (t, &year) in years.iter().enumerate() {
                    let Some(tr) = reference.tables.year_index(year) else {
                        continue;
                    };
                    let row = match method {
                        Method::Paired => {
                            let Some((a, b)) = &paired_columns else {
                                continue;
                            };
                            let (a, b) = (a.row(t), b.row(tr));
                            let mut diff: Vec<f64> =
                                a.iter().zip(&b).map(|(x, base)| x - base).collect();
                            let mut rel: Vec<f64> = a
                                .iter()
                                .zip(&b)
                                .filter(|(_, &base)| base != 0.0)
                                .map(|(x, base)| (x - base) / base)
                                .collect();
                            let relative = if rel.is_empty() {
                                [f64::NAN; 5]
                            } else {
                                five(summarize(&mut rel).1)
                            };
                            (five(summarize(&mut diff).1), relative)
                        }
                        Method::Unpaired | Method::Deterministic => {
                            let (Some((_, pa, _)), Some((_, pb, _))) = (
                                band(&run.tables, entity, &variable),
                                band(&reference.tables, entity, &variable),
                            ) else {
                                continue;
                            };
                            let d = pa[t] - pb[tr];
                            let rel = if pb[tr] != 0.0 { d / pb[tr] } else { f64::NAN };
                            let nan = f64::NAN;
                            ([nan, nan, d, nan, nan], [nan, nan, rel, nan, nan])
                        }
                    };
                    out.push(Difference {
                        scenario: run.name.clone(),
                        reference: reference.name.clone(),
                        region: region.clone(),
                        origin: origin.clone(),
                        level: run.tables.level(region, origin),
                        variable: variable.clone(),
                        year,
                        method,
                        difference: row.0,
                        relative: row.1,
                        data_revision: run.tables.meta.data_revision.clone(),
                        reference_data_revision: reference.tables.meta.data_revision.clone(),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// The leading columns compare.csv and differences.csv share, in one order (issue 22 item
/// 12): scenario, reference, region, origin, level, year, variable, unit.
const LEADING_COLUMNS: usize = 8;

/// The columns of differences.csv, written and read back (the report reads it).
const DIFFERENCES_COLUMNS: [&str; 21] = [
    "scenario",
    "reference",
    "region",
    "origin",
    "level",
    "year",
    "variable",
    "unit",
    "method",
    "p2_5",
    "p10",
    "p50",
    "p90",
    "p97_5",
    "relative_p2_5",
    "relative_p10",
    "relative_p50",
    "relative_p90",
    "relative_p97_5",
    "data_revision",
    "reference_data_revision",
];

/// differences.csv.
pub fn differences_csv(rows: &[Difference]) -> Result<Vec<u8>> {
    let mut csv = CsvBuffer::new("differences.csv", &owned(&DIFFERENCES_COLUMNS))?;
    let cell = |x: f64, relative: bool| {
        if x.is_finite() {
            if relative {
                number((x * 1e8).round() / 1e8)
            } else {
                number(x)
            }
        } else {
            String::new()
        }
    };
    for d in rows {
        let mut row = vec![
            d.scenario.clone(),
            d.reference.clone(),
            d.region.clone(),
            d.origin.clone(),
            d.level.to_string(),
            d.year.to_string(),
            d.variable.clone(),
            crate::output::unit_of(&d.variable).to_string(),
            d.method.label().to_string(),
        ];
        row.extend(d.difference.iter().map(|x| cell(*x, false)));
        row.extend(d.relative.iter().map(|x| cell(*x, true)));
        row.push(d.data_revision.clone());
        row.push(d.reference_data_revision.clone());
        csv.row(&row)?;
    }
    csv.into_bytes()
}

/// The differences a reader is shown: the total's (World's) stock, remittances received and
/// transfer costs in `years`, every variant.
pub fn shown<'a>(rows: &'a [Difference], years: &[i32], world: &str) -> Vec<&'a Difference> {
    rows.iter()
        .filter(|d| {
            d.region == world
                && d.origin == crate::scenario::ALL_ORIGINS
                && years.contains(&d.year)
                && (d.variable == "stock"
                    || d.variable == "remittances_received"
                    || d.variable == "fees")
        })
        .collect()
}

/// Whether a difference is exactly none in every quantile (a cost-only variant's stock): it
/// is said once in words, not listed as "+0.00 million" (issue 22 item 13).
pub fn is_none(d: &Difference) -> bool {
    d.difference.iter().all(|x| *x == 0.0 || x.is_nan()) && d.difference[2] == 0.0
}

/// `(scale, what)` of a difference's variable in words.
fn scale_of(variable: &str) -> (f64, &'static str) {
    match variable {
        "stock" => (1e6, "million migrants"),
        "fees" => (1e9, "billion US$ paid in transfer costs"),
        _ => (1e9, "billion US$ received"),
    }
}

/// The cells of a difference as differences.md and the report tabulate it: variant, against,
/// year, figure (with its unit), median difference, 80% and 95% intervals, relative median.
pub fn difference_cells(d: &Difference) -> Vec<String> {
    let (scale, unit) = scale_of(&d.variable);
    let interval = |a: usize, b: usize| {
        if d.method == Method::Paired {
            format!(
                "{:+.2} to {:+.2}",
                d.difference[a] / scale,
                d.difference[b] / scale
            )
        } else {
            format!("none ({})", d.method.label())
        }
    };
    vec![
        d.scenario.clone(),
        d.reference.clone(),
        d.year.to_string(),
        unit.to_string(),
        format!("{:+.2}", d.difference[2] / scale),
        interval(1, 3),
        interval(0, 4),
        format!("{:+.1}%", 100.0 * d.relative[2]),
    ]
}

/// The header of [`difference_cells`].
pub const DIFFERENCE_HEADER: [&str; 8] = [
    "variant",
    "against",
    "year",
    "figure",
    "median difference",
    "80% interval",
    "95% interval",
    "relative (median)",
];

/// The variants whose every shown difference of a variable is none, in words: "remittance-cost
/// against baseline: no difference in the stock of migrants".
pub fn no_difference_notes(shown: &[&Difference]) -> Vec<String> {
    let mut notes: Vec<String> = Vec::new();
    for d in shown {
        let same: Vec<&&Difference> = shown
            .iter()
            .filter(|e| e.scenario == d.scenario && e.variable == d.variable)
            .collect();
        if same.iter().all(|e| is_none(e)) {
            let what = match d.variable.as_str() {
                "stock" => "the stock of migrants",
                "fees" => "transfer costs",
                _ => "remittances received",
            };
            let note = format!(
                "{} against {}: no difference in {what} (every year shown, every trajectory)",
                d.scenario, d.reference
            );
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
    }
    notes
}

/// The World differences of stock and remittances received in `years`, in words, for the
/// terminal: one line per variant, variable and year.
pub fn differences_text(rows: &[Difference], years: &[i32], world: &str) -> String {
    let mut out = String::new();
    let shown = shown(rows, years, world);
    for d in shown.iter().filter(|d| !is_none(d)) {
        let (scale, unit) = scale_of(&d.variable);
        let interval = if d.method == Method::Paired {
            format!(
                " (80%: {:+.1} to {:+.1}; 95%: {:+.1} to {:+.1})",
                d.difference[1] / scale,
                d.difference[3] / scale,
                d.difference[0] / scale,
                d.difference[4] / scale
            )
        } else {
            format!(
                " ({}: difference of medians, no interval)",
                d.method.label()
            )
        };
        out.push_str(&format!(
            "{} against {}, {} {}: {:+.2} {unit}{interval}, {:+.1}%\n",
            crate::output::without_controls(&d.scenario),
            crate::output::without_controls(&d.reference),
            crate::output::without_controls(&d.region),
            d.year,
            d.difference[2] / scale,
            100.0 * d.relative[2]
        ));
    }
    for note in no_difference_notes(&shown) {
        out.push_str(&crate::output::without_controls(&note));
        out.push('\n');
    }
    out
}

/// differences.md: the shown differences as a Markdown table (every name escaped: a folder
/// name cannot inject HTML or links, issue 22 item 24), the variables a variant leaves as
/// they were said once in words.
pub fn differences_md(rows: &[Difference], years: &[i32], world: &str) -> String {
    use crate::output::md_text as md;
    let shown = shown(rows, years, world);
    let mut out = format!(
        "# Differences\n\nEach variant against the scenario it varies, {}: the median of the difference with its 80% and 95% intervals (paired: trajectory by trajectory, the same random draws in both runs). Every region, origin group and year is in differences.csv.\n\n",
        md(world)
    );
    let listed: Vec<&&Difference> = shown.iter().filter(|d| !is_none(d)).collect();
    if shown.is_empty() {
        out.push_str("No variant among the compared runs.\n");
        return out;
    }
    if !listed.is_empty() {
        out.push_str(&format!(
            "| {} |\n|{}\n",
            DIFFERENCE_HEADER.join(" | "),
            "---|".repeat(DIFFERENCE_HEADER.len())
        ));
        for d in listed {
            let cells: Vec<String> = difference_cells(d).iter().map(|c| md(c)).collect();
            out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        out.push('\n');
    }
    for note in no_difference_notes(&shown) {
        out.push_str(&format!("- {}\n", md(&note)));
    }
    out
}

/// Reads differences.csv back (the report's source for a compare folder), by column name.
pub fn read_differences(path: &std::path::Path) -> Result<Vec<Difference>> {
    let bytes = crate::scenario::read_input_file(path, "differences table")?;
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes.as_slice());
    let bad = |why: String| {
        crate::error::Error::InputPlain(format!(
            "error: {}: {why}; rerun `migproj compare`",
            path.display()
        ))
    };
    let header = reader
        .headers()
        .map_err(|e| bad(format!("cannot read the header: {e}")))?
        .clone();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| bad(format!("no `{name}` column")))
    };
    let names = DIFFERENCES_COLUMNS;
    let columns: Vec<usize> = names.iter().map(|n| col(n)).collect::<Result<_>>()?;
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(format!("row {}: {e}", i + 2)))?;
        let field = |k: usize| record.get(columns[k]).unwrap_or("");
        let number = |k: usize| -> Result<f64> {
            let text = field(k);
            if text.is_empty() {
                return Ok(f64::NAN);
            }
            text.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| {
                    bad(format!(
                        "line {}: `{}` is not a number: {text:?}",
                        i + 2,
                        names[k]
                    ))
                })
        };
        let level = match field(4) {
            "world" => "world",
            "area" => "area",
            "region" => "region",
            "origin" => "origin",
            _ => "region",
        };
        let method = match field(8) {
            "paired" => Method::Paired,
            "unpaired" => Method::Unpaired,
            "deterministic" => Method::Deterministic,
            other => return Err(bad(format!("line {}: unknown method {other:?}", i + 2))),
        };
        let year: i32 = field(5).parse().map_err(|_| {
            bad(format!(
                "line {}: `year` is not a year: {:?}",
                i + 2,
                field(5)
            ))
        })?;
        out.push(Difference {
            scenario: field(0).to_string(),
            reference: field(1).to_string(),
            region: field(2).to_string(),
            origin: field(3).to_string(),
            level,
            variable: field(6).to_string(),
            year,
            method,
            difference: [
                number(9)?,
                number(10)?,
                number(11)?,
                number(12)?,
                number(13)?,
            ],
            relative: [
                number(14)?,
                number(15)?,
                number(16)?,
                number(17)?,
                number(18)?,
            ],
            data_revision: field(19).to_string(),
            reference_data_revision: field(20).to_string(),
        });
    }
    Ok(out)
}

fn footer<'a>(runs: impl IntoIterator<Item = &'a Compared>) -> String {
    let runs: Vec<&Compared> = runs.into_iter().collect();
    let mut revisions: Vec<String> = runs
        .iter()
        .map(|r| r.tables.meta.data_revision.clone())
        .collect();
    revisions.sort();
    revisions.dedup();
    let version = runs
        .first()
        .map(|r| r.tables.meta.version.clone())
        .unwrap_or_default();
    let files: Vec<String> = runs
        .iter()
        .map(|r| {
            format!(
                "{} ({})",
                r.tables.meta.scenario_file, r.tables.meta.sha256_prefix
            )
        })
        .collect();
    let scenarios = if files.len() <= 3 {
        files.join(", ")
    } else {
        format!(
            "{} files, listed with their sha256 in each run's run.json",
            files.len()
        )
    };
    format!(
        "Data revisions: {}  |  Scenarios: {}  |  migproj {}",
        revisions.join(", "),
        scenarios,
        version
    )
}

/// Colour and dash of scenario `i`: the eight Okabe-Ito colours, then the same dashed.
fn scenario_style(i: usize) -> (RGBColor, bool) {
    const COLORS: [RGBColor; 8] = [
        palette::BLUE,
        palette::ORANGE,
        palette::GREEN,
        palette::VERMILLION,
        palette::SKY_BLUE,
        palette::PURPLE,
        palette::BLACK,
        palette::YELLOW,
    ];
    (COLORS[i % COLORS.len()], i >= COLORS.len())
}

/// Charts overlaying each scenario's median and 80% interval: `compare_stock`,
/// `compare_remittances`.
pub fn compare_charts(runs: &[Compared]) -> Vec<Chart> {
    let mut charts = Vec::new();
    for (variable, stem, title, divisor, unit) in [
        (
            "stock",
            "compare_stock",
            "International migrant stock, by scenario",
            1e6,
            "millions of persons",
        ),
        (
            "remittances_received",
            "compare_remittances",
            "Remittances received, by scenario",
            1e9,
            "billions of current US dollars",
        ),
    ] {
        let mut bands = Vec::new();
        let mut lines = Vec::new();
        let mut legend = Vec::new();
        let mut max: f64 = 0.0;
        // Only the first scenario (the reference of the others) gets its 80% band: several
        // overlapping bands mix into colours no legend has. Its median is drawn last, on top.
        let (mut first_year, mut last_year) = (i32::MAX, i32::MIN);
        for (i, run) in runs.iter().enumerate() {
            let (color, dashed) = scenario_style(i);
            let Some((p10, p50, p90)) = band(&run.tables, run.tables.world(), variable) else {
                continue;
            };
            let x: Vec<f64> = run.tables.years.iter().map(|&y| f64::from(y)).collect();
            first_year = first_year.min(*run.tables.years.first().unwrap_or(&first_year));
            last_year = last_year.max(*run.tables.years.last().unwrap_or(&last_year));
            let scale = |v: &[f64]| v.iter().map(|x| x / divisor).collect::<Vec<f64>>();
            // The axis holds what is drawn: the first scenario's band, every median.
            let drawn: &[f64] = if i == 0 { &p90 } else { &p50 };
            max = max.max(drawn.iter().chain(&p50).fold(0.0f64, |m, v| m.max(*v)) / divisor);
            if i == 0 {
                bands.push(Layer::Band {
                    x: x.clone(),
                    lower: scale(&p10),
                    upper: scale(&p90),
                    color,
                    opacity: 0.2,
                });
            }
            lines.push(Layer::Line {
                points: x.iter().copied().zip(scale(&p50)).collect(),
                color,
                width: if i == 0 { 4 } else { 3 },
                dashed,
            });
            legend.push(LegendItem {
                label: run.tables.meta.scenario_title.clone(),
                key: LegendKey::Line { color, dashed },
            });
        }
        if lines.is_empty() {
            continue;
        }
        // The band first, then the medians, the reference's last so that none hides it.
        let mut layers = bands;
        if !lines.is_empty() {
            let reference = lines.remove(0);
            layers.append(&mut lines);
            layers.push(reference);
        }
        let reference_title = runs[0].tables.meta.scenario_title.clone();
        legend.push(LegendItem {
            label: format!("80% interval of {reference_title}"),
            key: LegendKey::Band {
                color: scenario_style(0).0,
                opacity: 0.2,
            },
        });
        let top = if max > 0.0 { max * 1.08 } else { 1.0 };
        charts.push(Chart {
            file_stem: stem.into(),
            title: title.into(),
            subtitle: format!(
                "World: medians of {} scenarios, with the 80% interval of the first; the differences' own intervals are in difference_*.png",
                runs.len()
            ),
            footer: footer(runs),
            columns: 1,
            panels: vec![Panel {
                title: None,
                x_range: (
                    f64::from(first_year),
                    f64::from(last_year.max(first_year + 1)),
                ),
                y_range: (0.0, top),
                x_desc: "year (mid-year)".into(),
                y_desc: unit.into(),
                x_ticks: Ticks::Year,
                y_ticks: Ticks::for_range(top),
                y_log: false,
                layers,
            }],
            legend,
        });
    }
    charts
}

/// The paired differences of World stock and remittances received, one chart per variant
/// (`difference_NAME`): fan and median of the difference, and the zero line, from the year
/// before the two runs first differ.
/// Origin groups drawn on a difference chart (two panels each, after the total's two).
const MAX_GROUP_PANELS: usize = 3;

pub fn difference_charts(runs: &[Compared], rows: &[Difference]) -> Vec<Chart> {
    let mut charts = Vec::new();
    for run in runs.iter().filter(|r| r.reference.is_some()) {
        let world = run.tables.world().to_string();
        let reference = run
            .reference
            .map(|i| runs[i].name.clone())
            .unwrap_or_default();
        let mine: Vec<&Difference> = rows
            .iter()
            .filter(|d| d.scenario == run.name && d.region == world)
            .collect();
        let first_year = mine
            .iter()
            .filter(|d| {
                (d.variable == "stock" || d.variable == "remittances_received")
                    && d.difference.iter().any(|x| x.is_finite() && *x != 0.0)
            })
            .map(|d| d.year - 1)
            .min();
        let Some(first_year) = first_year else {
            continue;
        };
        let mut panels = Vec::new();
        let mut paired = true;
        // The total's stock and receipts, then each origin group's (issue 22 item 9: only
        // World was drawn); a panel whose differences are all none is left out and said in
        // the subtitle (a cost-only variant drew a whole panel of zero stock differences).
        let mut groups: Vec<&str> = mine
            .iter()
            .map(|d| d.origin.as_str())
            .filter(|o| *o != crate::scenario::ALL_ORIGINS)
            .collect();
        groups.dedup();
        groups.sort();
        groups.dedup();
        let mut specs: Vec<(&str, &str, f64, &str, String)> = vec![
            (
                crate::scenario::ALL_ORIGINS,
                "stock",
                1e6,
                "millions of persons",
                "Migrant stock".to_string(),
            ),
            (
                crate::scenario::ALL_ORIGINS,
                "remittances_received",
                1e9,
                "billions of current US dollars",
                "Remittances received".to_string(),
            ),
        ];
        for group in groups.iter().take(MAX_GROUP_PANELS) {
            specs.push((
                group,
                "stock",
                1e6,
                "millions of persons",
                format!("Migrants from {group}"),
            ));
            specs.push((
                group,
                "remittances_received",
                1e9,
                "billions of current US dollars",
                format!("Remittances received by {group}"),
            ));
        }
        let mut unchanged: Vec<String> = Vec::new();
        for (origin, variable, divisor, unit, words) in specs {
            let shown: Vec<&&Difference> = mine
                .iter()
                .filter(|d| d.origin == origin && d.variable == variable && d.year >= first_year)
                .collect();
            if shown.is_empty() {
                continue;
            }
            if shown.iter().all(|d| is_none(d)) {
                // "Migrants from High income" -> "migrants from High income".
                let mut chars = words.chars();
                unchanged.push(
                    chars
                        .next()
                        .map(|c| c.to_lowercase().chain(chars).collect())
                        .unwrap_or_default(),
                );
                continue;
            }
            paired &= shown[0].method == Method::Paired;
            let x: Vec<f64> = shown.iter().map(|d| f64::from(d.year)).collect();
            let pick = |i: usize| -> Vec<f64> {
                shown.iter().map(|d| d.difference[i] / divisor).collect()
            };
            let mut layers = Vec::new();
            if shown[0].method == Method::Paired {
                layers.push(Layer::Band {
                    x: x.clone(),
                    lower: pick(0),
                    upper: pick(4),
                    color: palette::BLUE,
                    opacity: 0.18,
                });
                layers.push(Layer::Band {
                    x: x.clone(),
                    lower: pick(1),
                    upper: pick(3),
                    color: palette::BLUE,
                    opacity: 0.35,
                });
            }
            let (x0, x1) = (x[0], x[x.len() - 1].max(x[0] + 1.0));
            layers.push(Layer::Line {
                points: vec![(x0, 0.0), (x1, 0.0)],
                color: palette::GREY,
                width: 2,
                dashed: false,
            });
            layers.push(Layer::Line {
                points: x.iter().copied().zip(pick(2)).collect(),
                color: palette::BLUE,
                width: 3,
                dashed: shown[0].method != Method::Paired,
            });
            let values: Vec<f64> = (0..5).flat_map(pick).filter(|v| v.is_finite()).collect();
            let lo = values.iter().fold(0.0f64, |m, v| m.min(*v));
            let hi = values.iter().fold(0.0f64, |m, v| m.max(*v));
            let (lo, hi) = if hi - lo < 1e-9 {
                (-1.0, 1.0)
            } else {
                (lo, hi)
            };
            let pad = (hi - lo) * 0.08;
            panels.push(Panel {
                title: Some(format!("{words} ({unit})")),
                x_range: (x0, x1),
                y_range: (lo - pad, hi + pad),
                x_desc: "year (mid-year)".into(),
                y_desc: format!("difference, {unit}"),
                x_ticks: Ticks::Year,
                y_ticks: Ticks::for_range(hi - lo),
                y_log: false,
                layers,
            });
        }
        let mut legend = vec![LegendItem {
            label: if paired {
                "median difference".into()
            } else {
                "difference of the medians (unpaired: no interval)".into()
            },
            key: LegendKey::Line {
                color: palette::BLUE,
                dashed: !paired,
            },
        }];
        if paired {
            legend.push(LegendItem {
                label: "80% interval".into(),
                key: LegendKey::Band {
                    color: palette::BLUE,
                    opacity: 0.35,
                },
            });
            legend.push(LegendItem {
                label: "95% interval".into(),
                key: LegendKey::Band {
                    color: palette::BLUE,
                    opacity: 0.18,
                },
            });
        }
        if panels.is_empty() {
            continue;
        }
        let mut subtitle: String = if paired {
            "Paired differences: trajectory by trajectory, the same random draws in both runs"
                .into()
        } else {
            "The runs drew different random numbers: their medians are differenced".into()
        };
        if !unchanged.is_empty() {
            subtitle += &format!("; no difference in {}", unchanged.join(", "));
        }
        // The footer cites the two runs drawn, not every run of the comparison.
        let pair = runs
            .iter()
            .enumerate()
            .filter(|(i, r)| r.name == run.name || Some(*i) == run.reference)
            .map(|(_, r)| r);
        charts.push(Chart {
            file_stem: format!("difference_{}", run.name),
            title: format!("{} minus {reference}: {world}", run.name),
            subtitle,
            footer: footer(pair),
            columns: panels.len().clamp(1, 2),
            panels,
            legend,
        });
    }
    charts
}
