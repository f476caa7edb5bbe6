//! `migproj compare`: several scenarios side by side, from their output tables: the medians
//! and 80% intervals of every variable (compare.csv), the differences in chosen years, and
//! charts overlaying the fans of the migrant stock and of remittances received.

use crate::error::Result;
use crate::output::charts::data::RunTables;
use crate::output::charts::draw::{palette, Chart, Layer, LegendItem, LegendKey, Panel, Ticks};
use crate::output::number;
use crate::output::tables::CsvBuffer;
use plotters::style::RGBColor;

/// One scenario's run, by its output folder name.
pub struct Compared {
    pub name: String,
    pub tables: RunTables,
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

/// compare.csv: scenario, region, year, variable, p10, p50, p90.
pub fn compare_csv(runs: &[Compared]) -> Result<Vec<u8>> {
    let header: Vec<String> = [
        "scenario", "region", "year", "variable", "p10", "p50", "p90",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut csv = CsvBuffer::new("compare.csv", &header)?;
    for run in runs {
        for entity in &run.tables.entities {
            for variable in variables(&run.tables) {
                let Some((p10, p50, p90)) = band(&run.tables, entity, &variable) else {
                    continue;
                };
                for (t, year) in run.tables.years.iter().enumerate() {
                    csv.row(&[
                        run.name.clone(),
                        entity.clone(),
                        year.to_string(),
                        variable.clone(),
                        number(p10[t]),
                        number(p50[t]),
                        number(p90[t]),
                    ])?;
                }
            }
        }
    }
    csv.into_bytes()
}

/// One line of the differences table.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub variable: String,
    pub year: i32,
    pub scenario: String,
    pub median: f64,
    /// Median minus the first scenario's median, and as a percentage of it.
    pub difference: f64,
    pub difference_per_cent: f64,
}

/// World medians of stock and remittances received in `years`, each against the first scenario.
pub fn differences(runs: &[Compared], years: &[i32]) -> Vec<Difference> {
    let mut out = Vec::new();
    let Some(first) = runs.first() else {
        return out;
    };
    for variable in ["stock", "remittances_received"] {
        for &year in years {
            let median_of = |run: &Compared| -> Option<f64> {
                let t = run.tables.year_index(year)?;
                band(&run.tables, run.tables.world(), variable).map(|(_, p50, _)| p50[t])
            };
            let Some(reference) = median_of(first) else {
                continue;
            };
            for run in runs {
                if let Some(median) = median_of(run) {
                    out.push(Difference {
                        variable: variable.to_string(),
                        year,
                        scenario: run.name.clone(),
                        median,
                        difference: median - reference,
                        difference_per_cent: if reference != 0.0 {
                            100.0 * (median - reference) / reference
                        } else {
                            0.0
                        },
                    });
                }
            }
        }
    }
    out
}

pub fn differences_csv(rows: &[Difference]) -> Result<Vec<u8>> {
    let header: Vec<String> = [
        "variable",
        "region",
        "year",
        "scenario",
        "p50",
        "difference_from_first",
        "difference_per_cent",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut csv = CsvBuffer::new("differences.csv", &header)?;
    for d in rows {
        csv.row(&[
            d.variable.clone(),
            "World".into(),
            d.year.to_string(),
            d.scenario.clone(),
            number(d.median),
            number(d.difference),
            number((d.difference_per_cent * 100.0).round() / 100.0),
        ])?;
    }
    csv.into_bytes()
}

/// The differences as a plain-text table for the terminal.
pub fn differences_text(rows: &[Difference]) -> String {
    let mut out = String::from("World medians, and the difference from the first scenario\n");
    out.push_str(&format!(
        "{:<22} {:>5}  {:<20} {:>14} {:>14} {:>8}\n",
        "variable", "year", "scenario", "median", "difference", "%"
    ));
    for d in rows {
        let (scale, unit) = if d.variable == "stock" {
            (1e6, "M")
        } else {
            (1e9, "bn $")
        };
        out.push_str(&format!(
            "{:<22} {:>5}  {:<20} {:>10.1} {:<3} {:>10.1} {:<3} {:>+7.1}%\n",
            d.variable,
            d.year,
            d.scenario,
            d.median / scale,
            unit,
            d.difference / scale,
            unit,
            d.difference_per_cent
        ));
    }
    out
}

fn footer(runs: &[Compared]) -> String {
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
        let band_opacity = if runs.len() > 4 { 0.10 } else { 0.18 };
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
            max = max.max(p90.iter().chain(&p50).fold(0.0f64, |m, v| m.max(*v)) / divisor);
            bands.push(Layer::Band {
                x: x.clone(),
                lower: scale(&p10),
                upper: scale(&p90),
                color,
                opacity: band_opacity,
            });
            lines.push(Layer::Line {
                points: x.iter().copied().zip(scale(&p50)).collect(),
                color,
                width: 3,
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
        // Every band first, then every median on top, so that no band hides a line.
        let mut layers = bands;
        layers.extend(lines);
        legend.push(LegendItem {
            label: "80% intervals (shaded)".into(),
            key: LegendKey::Band {
                color: palette::GREY,
                opacity: 0.25,
            },
        });
        let top = if max > 0.0 { max * 1.08 } else { 1.0 };
        charts.push(Chart {
            file_stem: stem.into(),
            title: title.into(),
            subtitle: format!(
                "World: medians and 80% intervals of {} scenarios",
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
