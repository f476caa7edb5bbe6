//! Charts for reports, drawn from a run's tables alone (MODEL.md outputs, never the model):
//! stock and remittance fan charts, the ratio to aid, the share of world population, the
//! components of change, the age-sex pyramid, the duration mix and the regional stack. Each
//! chart is written as SVG and PNG with an embedded font (DejaVu Sans), so text renders on a
//! machine without system fonts.

pub mod data;
pub mod draw;
mod hindcast;
pub(crate) mod remittances;
mod stock;
mod structure;

pub use hindcast::{hindcast_charts, HINDCAST_PANELS};
use remittances::*;
pub use stock::selected_regions_chart;
use stock::*;
use structure::*;

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

/// Opacity of a fan's 95% band and of its 80% band.
const BAND_95_OPACITY: f64 = 0.18;
const BAND_80_OPACITY: f64 = 0.35;

/// A fan's 95% band, 80% band and median line from its scaled quantiles
/// `[p2.5, p10, p50, p90, p97.5]`.
fn fan_bands(x: &[f64], [p2, p10, p50, p90, p97]: [Vec<f64>; 5], color: RGBColor) -> [Layer; 3] {
    [
        Layer::Band {
            x: x.to_vec(),
            lower: p2,
            upper: p97,
            color,
            opacity: BAND_95_OPACITY,
        },
        Layer::Band {
            x: x.to_vec(),
            lower: p10,
            upper: p90,
            color,
            opacity: BAND_80_OPACITY,
        },
        Layer::Line {
            points: x.iter().copied().zip(p50).collect(),
            color,
            width: 3,
            dashed: false,
        },
    ]
}

/// The legend items of a fan's 80% and 95% bands.
fn band_legend(color: RGBColor) -> [LegendItem; 2] {
    [
        LegendItem {
            label: "80% interval".into(),
            key: LegendKey::Band {
                color,
                opacity: BAND_80_OPACITY,
            },
        },
        LegendItem {
            label: "95% interval".into(),
            key: LegendKey::Band {
                color,
                opacity: BAND_95_OPACITY,
            },
        },
    ]
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
        layers.extend(fan_bands(&x, [p2, p10, p50, p90, p97], color));
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
        let [band_80, band_95] = band_legend(color);
        vec![
            LegendItem {
                label: format!("{what}, median"),
                key: LegendKey::Line {
                    color,
                    dashed: false,
                },
            },
            band_80,
            band_95,
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

/// The World, then the regions a chart shows (all, or the largest), for small multiples.
pub(crate) fn panel_entities(tables: &RunTables) -> (Vec<String>, String) {
    let world = tables.world().to_string();
    let mut entities = vec![world];
    let (shown, total) = chart_regions(tables);
    if tables.entities.len() > 1 {
        entities.extend(shown.iter().cloned());
    }
    (entities, regions_note(shown.len(), total))
}

/// Grid columns for `n` panels.
pub(crate) fn grid_columns(n: usize) -> usize {
    match n {
        1 => 1,
        2..=4 => 2,
        5..=6 => 3,
        _ => 4,
    }
}

/// The legend items of the points `marker_layers` draws: the calibration figures, and the
/// observed figures under `observed_label`, as far as the chart has any.
pub(crate) fn marker_legend(calibration: bool, observed: Option<&str>) -> Vec<LegendItem> {
    let mut items = Vec::new();
    if calibration {
        items.push(LegendItem {
            label: "calibration figures".into(),
            key: LegendKey::Point {
                color: palette::BLACK,
                filled: true,
            },
        });
    }
    if let Some(label) = observed {
        items.push(LegendItem {
            label: label.into(),
            key: LegendKey::Point {
                color: palette::VERMILLION,
                filled: false,
            },
        });
    }
    items
}

/// Every chart of a run.
pub fn charts(tables: &RunTables) -> Vec<Chart> {
    let mut charts = vec![stock_chart(tables), remittances_chart(tables)];
    charts.extend(regional_remittances_chart(tables));
    if !tables.comparison.is_empty() {
        charts.push(ratio_chart(tables));
    }
    charts.extend(origin_charts(tables));
    charts.extend(origin_groups_chart(tables));
    charts.extend([
        share_chart(tables),
        components_chart(tables),
        pyramid_chart(tables),
        duration_chart(tables),
    ]);
    charts.extend(regions_chart(tables));
    charts.extend(area_region_charts(tables));
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
    render_charts(charts(tables), size)
}

/// SVG and PNG files of `charts`.
pub fn render_charts(charts: Vec<Chart>, size: (u32, u32)) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for chart in charts {
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
