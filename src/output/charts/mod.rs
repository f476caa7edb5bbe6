//! Charts for reports, drawn from a run's tables alone (MODEL.md outputs, never the model):
//! stock and remittance fan charts, the ratio to aid, the share of world population, the
//! components of change, the age-sex pyramid, the duration mix and the regional stack. Each
//! chart is written as SVG and PNG with an embedded font (DejaVu Sans), so text renders on a
//! machine without system fonts.

pub mod data;
pub mod draw;

use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::{Error, Result};
use data::RunTables;
use draw::{palette, Chart, Layer, LegendItem, LegendKey, Panel, Ticks};

/// Default chart size in pixels.
pub const DEFAULT_SIZE: (u32, u32) = (1600, 1000);

static FONTS: Once = Once::new();

/// Registers the bundled DejaVu Sans faces with plotters (once per process).
pub fn register_fonts() {
    FONTS.call_once(|| {
        let _ =
            plotters::style::register_font(draw::FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(draw::FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// A unit for an axis: the divisor and its words.
#[derive(Debug, Clone, Copy)]
struct Unit {
    divisor: f64,
    words: &'static str,
}

fn persons_unit(max: f64) -> Unit {
    if max >= 1e6 {
        Unit {
            divisor: 1e6,
            words: "millions of persons",
        }
    } else {
        Unit {
            divisor: 1e3,
            words: "thousands of persons",
        }
    }
}

fn dollars_unit(max: f64) -> Unit {
    if max >= 1e9 {
        Unit {
            divisor: 1e9,
            words: "billions of current US dollars",
        }
    } else {
        Unit {
            divisor: 1e6,
            words: "millions of current US dollars",
        }
    }
}

fn finite_max(values: impl IntoIterator<Item = f64>) -> f64 {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max)
}

/// The upper end of a y axis that starts at zero: a little room above the data.
fn y_top(max: f64) -> f64 {
    if max > 0.0 {
        max * 1.08
    } else {
        1.0
    }
}

fn footer(tables: &RunTables) -> String {
    let meta = &tables.meta;
    let monte_carlo = match (meta.trajectories, meta.seed) {
        (Some(n), Some(seed)) => format!("Monte Carlo: {n} trajectories, seed {seed}"),
        _ => "deterministic run (no Monte Carlo)".to_string(),
    };
    format!(
        "Data revision: {}  |  Scenario: {} (sha256 {})  |  {}  |  migproj {}",
        meta.data_revision, meta.scenario_file, meta.sha256_prefix, monte_carlo, meta.version
    )
}

fn subtitle(tables: &RunTables, what: &str) -> String {
    let spread = match tables.meta.trajectories {
        Some(n) if tables.fans.is_some() => format!("{n} trajectories"),
        _ => "deterministic projection".to_string(),
    };
    format!("{}: {what} ({spread})", tables.meta.scenario_title)
}

fn years_x(tables: &RunTables) -> Vec<f64> {
    tables.years.iter().map(|&y| f64::from(y)).collect()
}

fn x_range(tables: &RunTables) -> (f64, f64) {
    let first = *tables.years.first().unwrap_or(&0);
    let last = *tables.years.last().unwrap_or(&1);
    (f64::from(first), f64::from(last.max(first + 1)))
}

fn scaled(values: &[f64], unit: Unit, factor: f64) -> Vec<f64> {
    values.iter().map(|v| v * factor / unit.divisor).collect()
}

/// Fan layers (95% band, 80% band, median), the deterministic line, and the max drawn.
fn fan_layers(
    tables: &RunTables,
    entity: &str,
    variable: &str,
    unit: Unit,
    factor: f64,
    color: RGBColor,
) -> (Vec<Layer>, f64) {
    let x = years_x(tables);
    let mut layers = Vec::new();
    let mut max: f64 = 0.0;
    if let Some(fan) = tables.fan(entity, variable) {
        let (p2, p10, p50, p90, p97) = (
            scaled(&fan.p2_5, unit, factor),
            scaled(&fan.p10, unit, factor),
            scaled(&fan.p50, unit, factor),
            scaled(&fan.p90, unit, factor),
            scaled(&fan.p97_5, unit, factor),
        );
        max = max.max(finite_max(p97.iter().copied()));
        layers.push(Layer::Band {
            x: x.clone(),
            lower: p2,
            upper: p97,
            color,
            opacity: 0.18,
        });
        layers.push(Layer::Band {
            x: x.clone(),
            lower: p10,
            upper: p90,
            color,
            opacity: 0.35,
        });
        layers.push(Layer::Line {
            points: x.iter().copied().zip(p50).collect(),
            color,
            width: 3,
            dashed: false,
        });
    }
    if let Some(values) = tables.series(entity, variable) {
        let values = scaled(values, unit, factor);
        max = max.max(finite_max(values.iter().copied()));
        let deterministic_color = if tables.fans.is_some() {
            palette::BLACK
        } else {
            color
        };
        layers.push(Layer::Line {
            points: x.iter().copied().zip(values).collect(),
            color: deterministic_color,
            width: if tables.fans.is_some() { 2 } else { 3 },
            dashed: tables.fans.is_some(),
        });
    }
    (layers, max)
}

fn fan_legend(tables: &RunTables, color: RGBColor, what: &str) -> Vec<LegendItem> {
    if tables.fans.is_some() {
        vec![
            LegendItem {
                label: format!("{what}, median"),
                key: LegendKey::Line {
                    color,
                    dashed: false,
                },
            },
            LegendItem {
                label: "80% interval".into(),
                key: LegendKey::Band {
                    color,
                    opacity: 0.35,
                },
            },
            LegendItem {
                label: "95% interval".into(),
                key: LegendKey::Band {
                    color,
                    opacity: 0.18,
                },
            },
            LegendItem {
                label: "deterministic".into(),
                key: LegendKey::Line {
                    color: palette::BLACK,
                    dashed: true,
                },
            },
        ]
    } else {
        vec![LegendItem {
            label: format!("{what}, deterministic"),
            key: LegendKey::Line {
                color,
                dashed: false,
            },
        }]
    }
}

fn marker_layers(
    tables: &RunTables,
    entity: &str,
    variable: &str,
    unit: Unit,
) -> (Vec<Layer>, f64, bool, bool) {
    let mut calibration = Vec::new();
    let mut observed = Vec::new();
    for marker in tables
        .markers
        .iter()
        .filter(|m| m.entity == entity && m.variable == variable)
    {
        let point = (f64::from(marker.year), marker.value / unit.divisor);
        if marker.observed {
            observed.push(point);
        } else {
            calibration.push(point);
        }
    }
    let max = finite_max(calibration.iter().chain(&observed).map(|p| p.1));
    let (has_calibration, has_observed) = (!calibration.is_empty(), !observed.is_empty());
    let mut layers = Vec::new();
    if has_calibration {
        layers.push(Layer::Points {
            points: calibration,
            color: palette::BLACK,
            filled: true,
        });
    }
    if has_observed {
        layers.push(Layer::Points {
            points: observed,
            color: palette::VERMILLION,
            filled: false,
        });
    }
    (layers, max, has_calibration, has_observed)
}

fn time_panel(
    tables: &RunTables,
    title: Option<String>,
    y_desc: String,
    layers: Vec<Layer>,
    max: f64,
) -> Panel {
    let top = y_top(max);
    Panel {
        title,
        x_range: x_range(tables),
        y_range: (0.0, top),
        x_desc: "year (mid-year)".into(),
        y_desc,
        x_ticks: Ticks::Year,
        y_ticks: Ticks::for_range(top),
        y_log: false,
        layers,
    }
}

/// Most regions a chart shows: beyond them a chart of hundreds of regions says nothing.
const MAX_CHART_REGIONS: usize = 7;

/// The regions of a run (not the World) a chart shows: all when there are at most
/// [`MAX_CHART_REGIONS`], else the largest by stock in the last year, in the run's order.
/// Returns them and the number of regions in all.
fn chart_regions(tables: &RunTables) -> (Vec<String>, usize) {
    let world = tables.world().to_string();
    let regions: Vec<String> = tables
        .entities
        .iter()
        .filter(|e| **e != world)
        .cloned()
        .collect();
    let total = regions.len();
    if total <= MAX_CHART_REGIONS {
        return (regions, total);
    }
    let last = |r: &String| {
        tables
            .series(r, "stock")
            .and_then(|v| v.last().copied())
            .unwrap_or(0.0)
    };
    let mut by_size: Vec<&String> = regions.iter().collect();
    by_size.sort_by(|a, b| last(b).total_cmp(&last(a)));
    let keep: Vec<&String> = by_size[..MAX_CHART_REGIONS].to_vec();
    (
        regions
            .iter()
            .filter(|r| keep.contains(r))
            .cloned()
            .collect(),
        total,
    )
}

/// "; the 7 largest of 400 regions (all in projection.csv)", or nothing.
fn regions_note(shown: usize, total: usize) -> String {
    if shown < total {
        format!("; the {shown} largest of {total} regions (all in projection.csv)")
    } else {
        String::new()
    }
}

fn stock_chart(tables: &RunTables) -> Chart {
    let world = tables.world().to_string();
    let mut entities = vec![world.clone()];
    let (shown, total) = chart_regions(tables);
    if tables.entities.len() > 1 {
        entities.extend(shown.iter().cloned());
    }
    let unit = persons_unit(finite_max(
        tables
            .series(&world, "stock")
            .into_iter()
            .flatten()
            .copied(),
    ));
    let mut any_calibration = false;
    let mut any_observed = false;
    let panels: Vec<Panel> = entities
        .iter()
        .map(|entity| {
            let (mut layers, max) = fan_layers(tables, entity, "stock", unit, 1.0, palette::BLUE);
            let (markers, marker_max, calibration, observed) =
                marker_layers(tables, entity, "stock", unit);
            any_calibration |= calibration;
            any_observed |= observed;
            layers.extend(markers);
            let title = (entities.len() > 1).then(|| entity.clone());
            time_panel(
                tables,
                title,
                unit.words.to_string(),
                layers,
                max.max(marker_max),
            )
        })
        .collect();
    let mut legend = fan_legend(tables, palette::BLUE, "migrant stock");
    if any_calibration {
        legend.push(LegendItem {
            label: "calibration figures".into(),
            key: LegendKey::Point {
                color: palette::BLACK,
                filled: true,
            },
        });
    }
    if any_observed {
        legend.push(LegendItem {
            label: "observed".into(),
            key: LegendKey::Point {
                color: palette::VERMILLION,
                filled: false,
            },
        });
    }
    let columns = match panels.len() {
        1 => 1,
        2..=4 => 2,
        5..=6 => 3,
        _ => 4,
    };
    Chart {
        file_stem: "stock".into(),
        title: "International migrant stock".into(),
        subtitle: subtitle(
            tables,
            &format!(
                "migrants at mid-year by destination{}",
                regions_note(shown.len(), total)
            ),
        ),
        footer: footer(tables),
        columns,
        panels,
        legend,
    }
}

fn remittances_chart(tables: &RunTables) -> Chart {
    let world = tables.world().to_string();
    let mut max_raw = finite_max(
        tables
            .series(&world, "remittances_received")
            .into_iter()
            .flatten()
            .copied(),
    );
    if let Some(fan) = tables.fan(&world, "remittances_received") {
        max_raw = max_raw.max(finite_max(fan.p97_5.iter().copied()));
    }
    let unit = dollars_unit(max_raw);
    let (mut layers, mut max) = fan_layers(
        tables,
        &world,
        "remittances_received",
        unit,
        1.0,
        palette::BLUE,
    );
    let mut legend = fan_legend(tables, palette::BLUE, "remittances received");
    let x = years_x(tables);
    for (i, (name, values)) in tables.comparison.iter().enumerate() {
        let color = [palette::ORANGE, palette::GREEN, palette::PURPLE][i % 3];
        let values = scaled(values, unit, 1.0);
        max = max.max(finite_max(values.iter().copied()));
        layers.push(Layer::Line {
            points: x.iter().copied().zip(values).collect(),
            color,
            width: 3,
            dashed: false,
        });
        legend.push(LegendItem {
            label: comparison_label(tables, name),
            key: LegendKey::Line {
                color,
                dashed: false,
            },
        });
    }
    let (markers, marker_max, calibration, _) =
        marker_layers(tables, &world, "remittances_received", unit);
    layers.extend(markers);
    if calibration {
        legend.push(LegendItem {
            label: "calibration figures".into(),
            key: LegendKey::Point {
                color: palette::BLACK,
                filled: true,
            },
        });
    }
    Chart {
        file_stem: "remittances".into(),
        title: "Remittances received at origin".into(),
        subtitle: subtitle(tables, "after transfer costs, current US dollars"),
        footer: footer(tables),
        columns: 1,
        panels: vec![time_panel(
            tables,
            None,
            unit.words.to_string(),
            layers,
            max.max(marker_max),
        )],
        legend,
    }
}

/// A comparison series in words: what it is and what it does after its last figure.
fn comparison_label(tables: &RunTables, name: &str) -> String {
    let (origin, after) = comparison_origin(tables, name);
    let what = match name {
        "oda" => "official development assistance".to_string(),
        other => other.replace('_', " "),
    };
    let after = if after.is_empty() || after == "flat" {
        "held flat after its last figure".to_string()
    } else {
        format!(
            "continued at {} a year after its last figure",
            after.trim_start_matches("growth ")
        )
    };
    match origin {
        Some(group) => format!("{what} to {group} ({after})"),
        None => format!("{what} ({after})"),
    }
}

/// The origin group a series is compared with (None: every origin) and its continuation.
fn comparison_origin(tables: &RunTables, name: &str) -> (Option<String>, String) {
    match tables.comparison_origin.iter().find(|c| c.0 == name) {
        Some((_, origin, after)) => (
            (!origin.is_empty() && origin != crate::scenario::ALL_ORIGINS).then(|| origin.clone()),
            after.clone(),
        ),
        None => (None, String::new()),
    }
}

/// "receipts of all origins / oda" or "receipts of Low and middle income / oda".
fn ratio_label(tables: &RunTables, name: &str) -> String {
    let whose = comparison_origin(tables, name)
        .0
        .unwrap_or_else(|| "all origins".to_string());
    format!(
        "remittances received by {whose} / {}",
        name.replace('_', " ")
    )
}

/// For each comparison series that names an origin group: that group's receipts (fan, the
/// 1990-2000 history as observed points, the calibration figures) against the series, with
/// the first year the receipts exceed it marked.
fn origin_charts(tables: &RunTables) -> Vec<Chart> {
    let world = tables.world().to_string();
    let mut charts = Vec::new();
    for (name, values) in &tables.comparison {
        let Some(group) = comparison_origin(tables, name).0 else {
            continue;
        };
        let key = data::group_key(&world, &group);
        let Some(receipts) = tables.series(&key, "remittances_received") else {
            continue;
        };
        let mut max_raw =
            finite_max(receipts.iter().copied()).max(finite_max(values.iter().copied()));
        if let Some(fan) = tables.fan(&key, "remittances_received") {
            max_raw = max_raw.max(finite_max(fan.p90.iter().copied()));
        }
        let unit = dollars_unit(max_raw);
        let (mut layers, mut max) = fan_layers(
            tables,
            &key,
            "remittances_received",
            unit,
            1.0,
            palette::BLUE,
        );
        let mut legend = fan_legend(tables, palette::BLUE, &format!("received by {group}"));
        let x = years_x(tables);
        let series = scaled(values, unit, 1.0);
        max = max.max(finite_max(series.iter().copied()));
        layers.push(Layer::Line {
            points: x.iter().copied().zip(series.iter().copied()).collect(),
            color: palette::ORANGE,
            width: 3,
            dashed: false,
        });
        legend.push(LegendItem {
            label: comparison_label(tables, name),
            key: LegendKey::Line {
                color: palette::ORANGE,
                dashed: false,
            },
        });
        let (markers, marker_max, calibration, observed) =
            marker_layers(tables, &key, "remittances_received", unit);
        layers.extend(markers);
        if calibration {
            legend.push(LegendItem {
                label: "calibration figures".into(),
                key: LegendKey::Point {
                    color: palette::BLACK,
                    filled: true,
                },
            });
        }
        if observed {
            legend.push(LegendItem {
                label: "recorded receipts (history)".into(),
                key: LegendKey::Point {
                    color: palette::VERMILLION,
                    filled: false,
                },
            });
        }
        max = max.max(marker_max);
        // The first year the projected receipts exceed the series, after one below it.
        let crossing = (1..receipts.len())
            .find(|&t| receipts[t] > values[t] && receipts[t - 1] <= values[t - 1])
            .map(|t| tables.years[t]);
        // A logarithmic axis: receipts grow by orders of magnitude over the horizon, and the
        // crossing in the calibration period must stay visible.
        let low = smallest_positive(&layers);
        let low = if low.is_finite() { low * 0.7 } else { 1e-3 };
        let top = (max * 1.3).max(low * 10.0);
        if let Some(year) = crossing {
            layers.push(Layer::Line {
                points: vec![(f64::from(year), low), (f64::from(year), top)],
                color: palette::GREY,
                width: 2,
                dashed: true,
            });
            legend.push(LegendItem {
                label: format!("receipts first exceed it: {year}"),
                key: LegendKey::Line {
                    color: palette::GREY,
                    dashed: true,
                },
            });
        }
        let what = if name == "oda" {
            "the official aid they receive".to_string()
        } else {
            name.replace('_', " ")
        };
        charts.push(Chart {
            file_stem: format!("origin_{name}"),
            title: format!(
                "Remittances to {} countries and {what}",
                group.to_lowercase()
            ),
            subtitle: subtitle(tables, "received after transfer costs, current US dollars"),
            footer: footer(tables),
            columns: 1,
            panels: vec![Panel {
                title: None,
                x_range: x_range(tables),
                y_range: (low, top),
                x_desc: "year (mid-year)".into(),
                y_desc: format!("{}, log scale", unit.words),
                x_ticks: Ticks::Year,
                y_ticks: Ticks::Significant,
                y_log: true,
                layers,
            }],
            legend,
        });
    }
    charts
}

fn ratio_chart(tables: &RunTables) -> Chart {
    let world = tables.world().to_string();
    let unit = Unit {
        divisor: 1.0,
        words: "",
    };
    let mut layers = Vec::new();
    let mut legend = Vec::new();
    let mut max: f64 = 1.0;
    for (i, (name, _)) in tables.comparison.iter().enumerate() {
        let color = [palette::BLUE, palette::GREEN, palette::PURPLE][i % 3];
        let variable = format!("ratio_to_{name}");
        let (fan, fan_max) = fan_layers(tables, &world, &variable, unit, 1.0, color);
        layers.extend(fan);
        max = max.max(fan_max);
        if i == 0 {
            legend.extend(fan_legend(tables, color, &ratio_label(tables, name)));
        } else {
            legend.push(LegendItem {
                label: ratio_label(tables, name),
                key: LegendKey::Line {
                    color,
                    dashed: false,
                },
            });
        }
    }
    let (start, end) = x_range(tables);
    layers.push(Layer::Line {
        points: vec![(start, 1.0), (end, 1.0)],
        color: palette::GREY,
        width: 2,
        dashed: true,
    });
    legend.push(LegendItem {
        label: "remittances equal to the series (ratio 1)".into(),
        key: LegendKey::Line {
            color: palette::GREY,
            dashed: true,
        },
    });
    Chart {
        file_stem: "remittances_ratio".into(),
        title: "Remittances received relative to the comparison series".into(),
        subtitle: subtitle(tables, "whose receipts over which series: see the legend"),
        footer: footer(tables),
        columns: 1,
        panels: vec![log_panel(
            tables,
            "ratio (remittances / comparison series), log scale".into(),
            layers,
            max,
        )],
        legend,
    }
}

/// The smallest positive finite value a set of layers draws (infinity when none), for the
/// lower end of a logarithmic axis.
fn smallest_positive(layers: &[Layer]) -> f64 {
    let mut min = f64::INFINITY;
    for layer in layers {
        let values: Vec<f64> = match layer {
            Layer::Band { lower, upper, .. } => lower.iter().chain(upper).copied().collect(),
            Layer::Line { points, .. }
            | Layer::Points { points, .. }
            | Layer::Polygon { points, .. } => points.iter().map(|p| p.1).collect(),
            Layer::Stack { .. } => Vec::new(),
        };
        min = values
            .into_iter()
            .filter(|v| *v > 0.0 && v.is_finite())
            .fold(min, f64::min);
    }
    min
}

/// A panel with a logarithmic y axis from a little below the smallest positive value drawn
/// (and below 1, so that the ratio-1 line shows) to a little above `max`.
fn log_panel(tables: &RunTables, y_desc: String, layers: Vec<Layer>, max: f64) -> Panel {
    let min = smallest_positive(&layers);
    let low = if min.is_finite() {
        (min.min(1.0) * 0.8).max(1e-6)
    } else {
        0.1
    };
    let high = (max * 1.25).max(low * 10.0);
    Panel {
        title: None,
        x_range: x_range(tables),
        y_range: (low, high),
        x_desc: "year (mid-year)".into(),
        y_desc,
        x_ticks: Ticks::Year,
        y_ticks: Ticks::Significant,
        y_log: true,
        layers,
    }
}

fn share_chart(tables: &RunTables) -> Chart {
    let world = tables.world().to_string();
    let unit = Unit {
        divisor: 1.0,
        words: "per cent of world population",
    };
    let (layers, max) = fan_layers(tables, &world, "share_of_world", unit, 100.0, palette::BLUE);
    Chart {
        file_stem: "share".into(),
        title: "Migrants as a share of world population".into(),
        subtitle: subtitle(tables, "international migrants per 100 people in the world"),
        footer: footer(tables),
        columns: 1,
        panels: vec![time_panel(tables, None, unit.words.into(), layers, max)],
        legend: fan_legend(tables, palette::BLUE, "share of world population"),
    }
}

fn components_chart(tables: &RunTables) -> Chart {
    let world = tables.world().to_string();
    let max_raw = ["arrivals", "deaths", "departures"]
        .iter()
        .map(|v| {
            let fan_max = tables
                .fan(&world, v)
                .map(|f| finite_max(f.p90.iter().copied()))
                .unwrap_or(0.0);
            finite_max(tables.series(&world, v).into_iter().flatten().copied()).max(fan_max)
        })
        .fold(0.0, f64::max);
    let unit = persons_unit(max_raw);
    let x = years_x(tables);
    let mut layers = Vec::new();
    let mut legend = Vec::new();
    for (variable, label, color) in [
        ("arrivals", "arrivals", palette::BLUE),
        (
            "departures",
            "departures (return or onward)",
            palette::GREEN,
        ),
        ("deaths", "deaths", palette::VERMILLION),
    ] {
        if let Some(fan) = tables.fan(&world, variable) {
            layers.push(Layer::Band {
                x: x.clone(),
                lower: scaled(&fan.p10, unit, 1.0),
                upper: scaled(&fan.p90, unit, 1.0),
                color,
                opacity: 0.25,
            });
        }
        if let Some(values) = tables.series(&world, variable) {
            layers.push(Layer::Line {
                points: x.iter().copied().zip(scaled(values, unit, 1.0)).collect(),
                color,
                width: 3,
                dashed: false,
            });
        }
        legend.push(LegendItem {
            label: label.into(),
            key: LegendKey::Line {
                color,
                dashed: false,
            },
        });
    }
    if tables.fans.is_some() {
        legend.push(LegendItem {
            label: "80% intervals (shaded in each line's colour)".into(),
            key: LegendKey::Band {
                color: palette::BLUE,
                opacity: 0.3,
            },
        });
    }
    let spread = if tables.fans.is_some() {
        "deterministic lines with 80% intervals"
    } else {
        "deterministic projection"
    };
    Chart {
        file_stem: "components".into(),
        title: "Components of change of the migrant stock".into(),
        subtitle: format!(
            "{}: arrivals, deaths and departures per year; {spread}",
            tables.meta.scenario_title
        ),
        footer: footer(tables),
        columns: 1,
        panels: vec![time_panel(
            tables,
            None,
            format!("{} per year", unit.words),
            layers,
            max_raw / unit.divisor,
        )],
        legend,
    }
}

fn pyramid_chart(tables: &RunTables) -> Chart {
    let world = tables.world().to_string();
    let first = *tables.years.first().unwrap_or(&0);
    let last = *tables.years.last().unwrap_or(&0);
    let mut years: Vec<i32> = vec![first];
    if let Some(cal) = tables
        .markers
        .iter()
        .filter(|m| m.variable == "stock" && !m.observed)
        .map(|m| m.year)
        .max()
    {
        if cal != first && tables.structure_years.contains(&cal) {
            years.push(cal);
        }
    }
    if !years.contains(&last) && tables.structure_years.contains(&last) {
        years.push(last);
    }
    let groups = crate::model::AGE_GROUPS;
    let value = |year: i32, sex: &str, group: usize| {
        tables
            .pyramid
            .get(&(world.clone(), year, sex.to_string(), group))
            .copied()
            .unwrap_or(0.0)
    };
    let max_raw = years
        .iter()
        .flat_map(|&y| (0..groups).flat_map(move |g| [value(y, "female", g), value(y, "male", g)]))
        .fold(0.0, f64::max);
    // Millions as soon as a five-year group reaches 100,000 persons (a total of about a million).
    let unit = persons_unit(max_raw * 10.0);
    let colors = [palette::GREY, palette::ORANGE, palette::BLUE];
    let mut layers = Vec::new();
    let mut legend = Vec::new();
    for (i, &year) in years.iter().enumerate() {
        let color = colors[i % colors.len()];
        for (sex, sign) in [("female", 1.0), ("male", -1.0)] {
            let mut points = vec![(0.0, 0.0)];
            for g in 0..groups {
                let v = sign * value(year, sex, g) / unit.divisor;
                let (lo, hi) = (5.0 * g as f64, 5.0 * (g + 1) as f64);
                points.push((v, lo));
                points.push((v, hi));
            }
            points.push((0.0, 5.0 * groups as f64));
            if i + 1 == years.len() {
                layers.push(Layer::Polygon {
                    points: points.clone(),
                    color,
                    opacity: 0.25,
                });
            }
            layers.push(Layer::Line {
                points,
                color,
                width: 3,
                dashed: false,
            });
        }
        legend.push(LegendItem {
            label: year.to_string(),
            key: LegendKey::Line {
                color,
                dashed: false,
            },
        });
    }
    let top = y_top(max_raw / unit.divisor);
    let x_ticks = match Ticks::for_range(top) {
        Ticks::Decimals(d) => Ticks::AbsoluteDecimals(d),
        other => other,
    };
    Chart {
        file_stem: "pyramid".into(),
        title: "Age and sex of international migrants".into(),
        subtitle: format!("{}: {world}, men on the left, women on the right, by five-year age group; deterministic projection", tables.meta.scenario_title),
        footer: footer(tables),
        columns: 1,
        panels: vec![Panel {
            title: None,
            x_range: (-top, top),
            y_range: (0.0, 5.0 * groups as f64),
            x_desc: format!("men  <  {} per five-year age group  >  women", unit.words),
            y_desc: "age (years)".into(),
            x_ticks,
            y_ticks: Ticks::Decimals(0),
            y_log: false,
            layers,
        }],
        legend,
    }
}

fn duration_chart(tables: &RunTables) -> Chart {
    let world = tables.world().to_string();
    let colors = [
        palette::BLUE,
        palette::SKY_BLUE,
        palette::ORANGE,
        palette::VERMILLION,
    ];
    let series: Vec<(Vec<f64>, RGBColor, String)> = tables
        .duration_groups
        .iter()
        .enumerate()
        .filter_map(|(i, g)| {
            tables
                .duration
                .get(&(world.clone(), g.clone()))
                .map(|v| (v.clone(), colors[i % colors.len()], g.clone()))
        })
        .collect();
    let totals: Vec<f64> = (0..tables.years.len())
        .map(|t| {
            series
                .iter()
                .map(|(v, _, _)| v.get(t).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let unit = persons_unit(finite_max(totals.iter().copied()));
    let legend = series
        .iter()
        .map(|(_, color, g)| LegendItem {
            label: format!("{g} years in the destination"),
            key: LegendKey::Band {
                color: *color,
                opacity: 0.85,
            },
        })
        .collect();
    let layers = vec![Layer::Stack {
        x: years_x(tables),
        series: series
            .iter()
            .map(|(v, c, _)| (scaled(v, unit, 1.0), *c))
            .collect(),
    }];
    Chart {
        file_stem: "duration".into(),
        title: "Migrant stock by duration of stay".into(),
        subtitle: format!(
            "{}: {world}, stacked by years since arrival; deterministic projection",
            tables.meta.scenario_title
        ),
        footer: footer(tables),
        columns: 1,
        panels: vec![time_panel(
            tables,
            None,
            unit.words.into(),
            layers,
            finite_max(totals.iter().copied()) / unit.divisor,
        )],
        legend,
    }
}

fn regions_chart(tables: &RunTables) -> Option<Chart> {
    if tables.entities.len() < 3 {
        return None;
    }
    let world = tables.world().to_string();
    let (shown, n_regions) = chart_regions(tables);
    // The regions not shown are stacked together as one.
    let mut regions: Vec<String> = shown.clone();
    let others: Vec<&String> = tables
        .entities
        .iter()
        .filter(|e| **e != world && !shown.contains(e))
        .collect();
    let other_label = format!("{} other regions", others.len());
    let mut other_sum = vec![0.0; tables.years.len()];
    for r in &others {
        if let Some(v) = tables.series(r, "stock") {
            for (sum, x) in other_sum.iter_mut().zip(v) {
                *sum += x;
            }
        }
    }
    if !others.is_empty() {
        regions.push(other_label.clone());
    }
    let unit = persons_unit(finite_max(
        tables
            .series(&world, "stock")
            .into_iter()
            .flatten()
            .copied(),
    ));
    let series: Vec<(Vec<f64>, RGBColor)> = regions
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let values = if *r == other_label {
                Some(&other_sum)
            } else {
                tables.series(r, "stock")
            };
            let color = if *r == other_label {
                palette::GREY
            } else {
                palette::CATEGORIES[i % palette::CATEGORIES.len()]
            };
            values.map(|v| (scaled(v, unit, 1.0), color))
        })
        .collect();
    let legend = regions
        .iter()
        .enumerate()
        .map(|(i, r)| LegendItem {
            label: r.to_string(),
            key: LegendKey::Band {
                color: if *r == other_label {
                    palette::GREY
                } else {
                    palette::CATEGORIES[i % palette::CATEGORIES.len()]
                },
                opacity: 0.85,
            },
        })
        .collect();
    let total = finite_max(
        tables
            .series(&world, "stock")
            .into_iter()
            .flatten()
            .copied(),
    ) / unit.divisor;
    Some(Chart {
        file_stem: "regions".into(),
        title: "Migrant stock by destination region".into(),
        subtitle: format!(
            "{}: stacked; deterministic projection{}",
            tables.meta.scenario_title,
            if n_regions > shown.len() {
                format!(
                    "; the {} largest of {n_regions} regions, the others together",
                    shown.len()
                )
            } else {
                String::new()
            }
        ),
        footer: footer(tables),
        columns: 1,
        panels: vec![time_panel(
            tables,
            None,
            unit.words.into(),
            vec![Layer::Stack {
                x: years_x(tables),
                series,
            }],
            total,
        )],
        legend,
    })
}

/// Most panels a hindcast chart draws (variables x regions, in order of first appearance).
pub const HINDCAST_PANELS: usize = 12;

fn unit_for(variable: &str, max_raw: f64) -> Unit {
    if variable.starts_with("remittances") || variable == "fees" {
        dollars_unit(max_raw)
    } else if variable == "share_of_world" {
        Unit {
            divisor: 0.01,
            words: "per cent of world population",
        }
    } else if variable.starts_with("ratio_to_") || variable == "female_share" {
        Unit {
            divisor: 1.0,
            words: "ratio",
        }
    } else if variable == "median_age" {
        Unit {
            divisor: 1.0,
            words: "years",
        }
    } else {
        persons_unit(max_raw)
    }
}

/// The hindcast chart: one panel per variable and region observed (up to
/// [`HINDCAST_PANELS`]), each from the calibration year to the last observation, with the fan
/// and the observed points (filled when the 80% interval covers them, hollow when not).
/// `from_year` is the calibration year of the scenario (where the fan opens).
pub fn hindcast_charts(
    tables: &RunTables,
    scored: &[crate::hindcast::Scored],
    from_year: i32,
) -> Vec<Chart> {
    let mut keys: Vec<(String, String)> = Vec::new();
    for s in scored {
        let key = (s.observation.variable.clone(), s.observation.region.clone());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    if keys.is_empty() {
        return Vec::new();
    }
    let shown = keys.len().min(HINDCAST_PANELS);
    let first_year = from_year.max(*tables.years.first().unwrap_or(&0));
    let last_observed = scored
        .iter()
        .map(|s| s.observation.year)
        .max()
        .unwrap_or(first_year);
    let last_year = last_observed.max(first_year + 1);
    let in_span: Vec<usize> = (0..tables.years.len())
        .filter(|&t| tables.years[t] >= first_year && tables.years[t] <= last_year)
        .collect();
    let x: Vec<f64> = in_span
        .iter()
        .map(|&t| f64::from(tables.years[t]))
        .collect();
    let mut panels = Vec::new();
    let mut any_covered = false;
    let mut any_missed = false;
    for (variable, entity) in keys.iter().take(shown) {
        let points: Vec<&crate::hindcast::Scored> = scored
            .iter()
            .filter(|s| &s.observation.region == entity && &s.observation.variable == variable)
            .collect();
        let pick = |values: &[f64]| -> Vec<f64> { in_span.iter().map(|&t| values[t]).collect() };
        let fan = tables.fan(entity, variable);
        let series = tables.series(entity, variable);
        let max_raw = finite_max(
            points
                .iter()
                .map(|s| s.observation.value.max(s.quantiles.p97_5))
                .chain(fan.map(|f| pick(&f.p97_5)).into_iter().flatten())
                .chain(series.map(|v| pick(v)).into_iter().flatten()),
        );
        let unit = unit_for(variable, max_raw);
        let scale = |v: Vec<f64>| -> Vec<f64> { v.iter().map(|x| x / unit.divisor).collect() };
        let mut layers = Vec::new();
        if let Some(f) = fan {
            layers.push(Layer::Band {
                x: x.clone(),
                lower: scale(pick(&f.p2_5)),
                upper: scale(pick(&f.p97_5)),
                color: palette::BLUE,
                opacity: 0.18,
            });
            layers.push(Layer::Band {
                x: x.clone(),
                lower: scale(pick(&f.p10)),
                upper: scale(pick(&f.p90)),
                color: palette::BLUE,
                opacity: 0.35,
            });
            layers.push(Layer::Line {
                points: x.iter().copied().zip(scale(pick(&f.p50))).collect(),
                color: palette::BLUE,
                width: 3,
                dashed: false,
            });
        } else if let Some(v) = series {
            layers.push(Layer::Line {
                points: x.iter().copied().zip(scale(pick(v))).collect(),
                color: palette::BLUE,
                width: 3,
                dashed: false,
            });
        }
        let (mut covered, mut missed) = (Vec::new(), Vec::new());
        for s in &points {
            let point = (
                f64::from(s.observation.year),
                s.observation.value / unit.divisor,
            );
            if s.in_80 {
                covered.push(point)
            } else {
                missed.push(point)
            }
        }
        any_covered |= !covered.is_empty();
        any_missed |= !missed.is_empty();
        for (list, filled) in [(covered, true), (missed, false)] {
            if !list.is_empty() {
                layers.push(Layer::Points {
                    points: list,
                    color: palette::VERMILLION,
                    filled,
                });
            }
        }
        let top = y_top(max_raw / unit.divisor);
        panels.push(Panel {
            title: Some(format!("{}, {entity}", variable.replace('_', " "))),
            x_range: (f64::from(first_year), f64::from(last_year)),
            y_range: (0.0, top),
            x_desc: if shown > 1 {
                String::new()
            } else {
                "year (mid-year)".into()
            },
            y_desc: unit.words.to_string(),
            x_ticks: Ticks::Year,
            y_ticks: Ticks::for_range(top),
            y_log: false,
            layers,
        });
    }
    let mut legend = if tables.fans.is_some() {
        vec![
            LegendItem {
                label: "median".into(),
                key: LegendKey::Line {
                    color: palette::BLUE,
                    dashed: false,
                },
            },
            LegendItem {
                label: "80% interval".into(),
                key: LegendKey::Band {
                    color: palette::BLUE,
                    opacity: 0.35,
                },
            },
            LegendItem {
                label: "95% interval".into(),
                key: LegendKey::Band {
                    color: palette::BLUE,
                    opacity: 0.18,
                },
            },
        ]
    } else {
        vec![LegendItem {
            label: "deterministic projection".into(),
            key: LegendKey::Line {
                color: palette::BLUE,
                dashed: false,
            },
        }]
    };
    if any_covered {
        legend.push(LegendItem {
            label: "observed, inside the 80% interval".into(),
            key: LegendKey::Point {
                color: palette::VERMILLION,
                filled: true,
            },
        });
    }
    if any_missed {
        legend.push(LegendItem {
            label: "observed, outside it".into(),
            key: LegendKey::Point {
                color: palette::VERMILLION,
                filled: false,
            },
        });
    }
    let more = if keys.len() > shown {
        format!("; {} more in hindcast.csv", keys.len() - shown)
    } else {
        String::new()
    };
    let columns = match shown {
        1 => 1,
        2 | 4 => 2,
        _ => 3,
    };
    vec![Chart {
        file_stem: "hindcast".into(),
        title: "Hindcast: the projection against observations it did not use".into(),
        subtitle: subtitle(
            tables,
            &format!(
                "{first_year}-{last_year}, {} variable-region pairs{more}",
                keys.len()
            ),
        ),
        footer: footer(tables),
        columns,
        panels,
        legend,
    }]
}

/// Every chart of a run.
pub fn charts(tables: &RunTables) -> Vec<Chart> {
    let mut charts = vec![stock_chart(tables), remittances_chart(tables)];
    if !tables.comparison.is_empty() {
        charts.push(ratio_chart(tables));
    }
    charts.extend(origin_charts(tables));
    charts.extend([
        share_chart(tables),
        components_chart(tables),
        pyramid_chart(tables),
        duration_chart(tables),
    ]);
    charts.extend(regions_chart(tables));
    charts
}

fn draw_error(name: &str, err: impl std::fmt::Display) -> Error {
    Error::Environment(format!("cannot draw chart `{name}`: {err}"))
}

/// Renders one chart as SVG text.
pub fn render_svg(chart: &Chart, size: (u32, u32)) -> Result<String> {
    register_fonts();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw::draw_chart(&root, chart).map_err(|e| draw_error(&chart.file_stem, e))?;
        root.present()
            .map_err(|e| draw_error(&chart.file_stem, e))?;
    }
    Ok(svg)
}

/// The boxes of the texts a chart places itself at `size` (see [`draw::TextBox`]), for the
/// check that no title, subtitle, legend label or footer leaves the canvas.
pub fn text_boxes(chart: &Chart, size: (u32, u32)) -> Result<Vec<draw::TextBox>> {
    register_fonts();
    let mut svg = String::new();
    let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
    draw::draw_chart(&root, chart).map_err(|e| draw_error(&chart.file_stem, e))
}

/// The SVG renderer's options: the embedded DejaVu fonts as the sans-serif family, so that
/// PNGs render the same on a machine with no fonts installed.
fn svg_options() -> &'static resvg::usvg::Options<'static> {
    static OPTIONS: std::sync::OnceLock<resvg::usvg::Options<'static>> = std::sync::OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut options = resvg::usvg::Options {
            font_family: "DejaVu Sans".to_string(),
            ..Default::default()
        };
        let fonts = options.fontdb_mut();
        fonts.load_font_data(dejavu::sans::regular().to_vec());
        fonts.load_font_data(dejavu::sans::bold().to_vec());
        fonts.set_sans_serif_family("DejaVu Sans");
        options
    })
}

/// Renders one chart as PNG bytes: the SVG, rasterized with anti-aliasing (resvg), so that the
/// PNG shows exactly what the SVG does (lines, text spacing and all).
pub fn render_png(chart: &Chart, size: (u32, u32)) -> Result<Vec<u8>> {
    let svg = render_svg(chart, size)?;
    let tree = resvg::usvg::Tree::from_str(&svg, svg_options())
        .map_err(|e| draw_error(&chart.file_stem, e))?;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.0, size.1)
        .ok_or_else(|| draw_error(&chart.file_stem, "the canvas has no pixels"))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::identity(),
        &mut pixmap.as_mut(),
    );
    // Opaque white background: the premultiplied RGBA is the RGB colour.
    let pixels: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, size.0, size.1);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| draw_error(&chart.file_stem, e))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| draw_error(&chart.file_stem, e))?;
    }
    Ok(bytes)
}

/// Every chart as `(file name, bytes)`: `charts/NAME.svg` and `charts/NAME.png`.
pub fn render_all(tables: &RunTables, size: (u32, u32)) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for chart in charts(tables) {
        files.push((
            format!("{}.svg", chart.file_stem),
            render_svg(&chart, size)?.into_bytes(),
        ));
        files.push((
            format!("{}.png", chart.file_stem),
            render_png(&chart, size)?,
        ));
    }
    Ok(files)
}
