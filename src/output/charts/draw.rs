//! Drawing: each chart is prepared as data (panels of layers, a legend, texts) and then drawn
//! by one generic function on any plotters backend (SVG and PNG alike).

use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

pub const FONT: &str = "sans-serif";

/// The Okabe-Ito palette, safe for colour-blind readers.
pub mod palette {
    use plotters::style::RGBColor;
    pub const BLACK: RGBColor = RGBColor(0, 0, 0);
    pub const ORANGE: RGBColor = RGBColor(230, 159, 0);
    pub const SKY_BLUE: RGBColor = RGBColor(86, 180, 233);
    pub const GREEN: RGBColor = RGBColor(0, 158, 115);
    pub const YELLOW: RGBColor = RGBColor(240, 228, 66);
    pub const BLUE: RGBColor = RGBColor(0, 114, 178);
    pub const VERMILLION: RGBColor = RGBColor(213, 94, 0);
    pub const PURPLE: RGBColor = RGBColor(204, 121, 167);
    pub const GREY: RGBColor = RGBColor(110, 110, 110);
    /// Colours for categories (regions, scenarios), in order.
    pub const CATEGORIES: [RGBColor; 7] =
        [BLUE, ORANGE, GREEN, VERMILLION, SKY_BLUE, PURPLE, YELLOW];
}

/// One thing drawn in a panel, in data coordinates.
#[derive(Debug, Clone)]
pub enum Layer {
    /// The area between `lower` and `upper` (same x values).
    Band {
        x: Vec<f64>,
        lower: Vec<f64>,
        upper: Vec<f64>,
        color: RGBColor,
        opacity: f64,
    },
    Line {
        points: Vec<(f64, f64)>,
        color: RGBColor,
        width: u32,
        dashed: bool,
    },
    /// Filled circles (calibration figures) or hollow ones (observed figures).
    Points {
        points: Vec<(f64, f64)>,
        color: RGBColor,
        filled: bool,
    },
    /// Areas stacked from zero in the given order.
    Stack {
        x: Vec<f64>,
        series: Vec<(Vec<f64>, RGBColor)>,
    },
    /// A closed polygon filled with some opacity.
    Polygon {
        points: Vec<(f64, f64)>,
        color: RGBColor,
        opacity: f64,
    },
}

/// How to label a numeric axis.
#[derive(Debug, Clone, Copy)]
pub enum Ticks {
    /// Plain numbers with this many decimals.
    Decimals(usize),
    /// Years (integers, no separators).
    Year,
    /// Absolute values (population pyramids: men to the left are negative).
    AbsoluteDecimals(usize),
    /// Two significant figures at most, for logarithmic axes (0.5, 2, 20, 200).
    Significant,
}

impl Ticks {
    fn format(self, value: f64) -> String {
        match self {
            Ticks::Year => format!("{}", value.round() as i64),
            Ticks::Decimals(d) => {
                format!("{:.*}", d, if value.abs() < 1e-12 { 0.0 } else { value })
            }
            Ticks::AbsoluteDecimals(d) => format!("{:.*}", d, value.abs()),
            Ticks::Significant => {
                let decimals = if value.abs() >= 10.0 {
                    0
                } else if value.abs() >= 1.0 {
                    1
                } else {
                    2
                };
                let text = format!("{value:.decimals$}");
                if text.contains('.') {
                    text.trim_end_matches('0').trim_end_matches('.').to_string()
                } else {
                    text
                }
            }
        }
    }

    /// Decimals that make ticks over `0..max` readable.
    pub fn for_range(max: f64) -> Ticks {
        if max >= 10.0 {
            Ticks::Decimals(0)
        } else if max >= 2.0 {
            Ticks::Decimals(1)
        } else {
            Ticks::Decimals(2)
        }
    }
}

#[derive(Debug, Clone)]
pub struct Panel {
    pub title: Option<String>,
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
    pub x_desc: String,
    pub y_desc: String,
    pub x_ticks: Ticks,
    pub y_ticks: Ticks,
    /// A logarithmic y axis (for ratios that grow by orders of magnitude); `y_range` > 0.
    pub y_log: bool,
    pub layers: Vec<Layer>,
}

#[derive(Debug, Clone)]
pub enum LegendKey {
    Line { color: RGBColor, dashed: bool },
    Band { color: RGBColor, opacity: f64 },
    Point { color: RGBColor, filled: bool },
}

#[derive(Debug, Clone)]
pub struct LegendItem {
    pub label: String,
    pub key: LegendKey,
}

/// A whole chart: title, subtitle, panels in a grid, a legend strip and a footer.
#[derive(Debug, Clone)]
pub struct Chart {
    pub file_stem: String,
    pub title: String,
    pub subtitle: String,
    pub footer: String,
    pub columns: usize,
    pub panels: Vec<Panel>,
    pub legend: Vec<LegendItem>,
}

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Draws `chart` on `root` (any backend). Sizes scale with the height of the canvas.
pub fn draw_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
) -> DrawResult<DB> {
    let (width, height) = root.dim_in_pixel();
    let unit = height as f64 / 1000.0;
    let px = |x: f64| (x * unit).round().max(1.0) as u32;
    root.fill(&WHITE)?;
    let margin = px(28.0) as i32;
    let title_style = (FONT, px(38.0), FontStyle::Bold).into_font().color(&BLACK);
    let subtitle_style = (FONT, px(25.0)).into_font().color(&palette::GREY);
    let footer_style = (FONT, px(17.0)).into_font().color(&palette::GREY);
    let legend_style = (FONT, px(21.0)).into_font().color(&BLACK);
    root.draw_text(&chart.title, &title_style, (margin, margin))?;
    root.draw_text(
        &chart.subtitle,
        &subtitle_style,
        (margin, margin + px(50.0) as i32),
    )?;
    let footer_y = height as i32 - margin - px(17.0) as i32;
    root.draw_text(&chart.footer, &footer_style, (margin, footer_y))?;

    // The legend strip sits between the plot and the footer: it never covers data.
    let legend_rows = legend_layout(root, chart, &legend_style, width as i32 - 2 * margin, px);
    let legend_height = legend_rows.len() as i32 * px(34.0) as i32;
    let legend_top = footer_y - px(18.0) as i32 - legend_height;
    for (row_index, row) in legend_rows.iter().enumerate() {
        let y = legend_top + row_index as i32 * px(34.0) as i32;
        for (x, item) in row {
            draw_legend_key(root, &item.key, margin + x, y, px)?;
            root.draw_text(
                &item.label,
                &legend_style,
                (margin + x + px(46.0) as i32, y),
            )?;
        }
    }

    let top = margin + px(95.0) as i32;
    let plot_area = root.margin(
        top as u32,
        (height as i32 - legend_top + px(10.0) as i32) as u32,
        (margin / 2) as u32,
        margin as u32,
    );
    let columns = chart.columns.max(1);
    let rows = chart.panels.len().div_ceil(columns);
    let cells = plot_area.split_evenly((rows.max(1), columns));
    for (panel, cell) in chart.panels.iter().zip(cells.iter()) {
        draw_panel(cell, panel, unit, rows > 1 || columns > 1)?;
    }
    Ok(())
}

/// Lays the legend items out in rows that fit the width: `(x offset, item)` per row.
fn legend_layout<'c, DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &'c Chart,
    style: &TextStyle<'_>,
    available: i32,
    px: impl Fn(f64) -> u32,
) -> Vec<Vec<(i32, &'c LegendItem)>> {
    let mut rows: Vec<Vec<(i32, &LegendItem)>> = vec![Vec::new()];
    let mut x = 0;
    for item in &chart.legend {
        let text_width = root
            .estimate_text_size(&item.label, style)
            .map(|(w, _)| w as i32)
            .unwrap_or(item.label.len() as i32 * px(11.0) as i32);
        let item_width = px(46.0) as i32 + text_width + px(36.0) as i32;
        if x > 0 && x + item_width > available {
            rows.push(Vec::new());
            x = 0;
        }
        rows.last_mut().expect("a row").push((x, item));
        x += item_width;
    }
    if chart.legend.is_empty() {
        rows.clear();
    }
    rows
}

fn draw_legend_key<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    key: &LegendKey,
    x: i32,
    y: i32,
    px: impl Fn(f64) -> u32,
) -> DrawResult<DB> {
    let (w, mid) = (px(36.0) as i32, y + px(12.0) as i32);
    match key {
        LegendKey::Line { color, dashed } => {
            if *dashed {
                for i in 0..3 {
                    let x0 = x + i * w / 3;
                    root.draw(&PathElement::new(
                        vec![(x0, mid), (x0 + w / 5, mid)],
                        color.stroke_width(px(3.0)),
                    ))?;
                }
            } else {
                root.draw(&PathElement::new(
                    vec![(x, mid), (x + w, mid)],
                    color.stroke_width(px(4.0)),
                ))?;
            }
        }
        LegendKey::Band { color, opacity } => {
            root.draw(&Rectangle::new(
                [(x, y + px(2.0) as i32), (x + w, y + px(22.0) as i32)],
                color.mix(*opacity).filled(),
            ))?;
        }
        LegendKey::Point { color, filled } => {
            let style = if *filled {
                color.filled()
            } else {
                color.stroke_width(px(2.0))
            };
            root.draw(&Circle::new((x + w / 2, mid), px(7.0), style))?;
        }
    }
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
    unit: f64,
    small: bool,
) -> DrawResult<DB> {
    let px = |x: f64| (x * unit).round().max(1.0) as u32;
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(px(8.0))
        .margin_right(px(24.0))
        .margin_bottom(px(4.0))
        .margin_left(px(4.0))
        .x_label_area_size(px(if small { 52.0 } else { 64.0 }))
        .y_label_area_size(px(if small { 80.0 } else { 96.0 }));
    if let Some(title) = &panel.title {
        builder.caption(
            title,
            (FONT, px(if small { 21.0 } else { 24.0 }), FontStyle::Bold),
        );
    }
    let (x_range, y_range) = (
        panel.x_range.0..panel.x_range.1,
        panel.y_range.0..panel.y_range.1,
    );
    if panel.y_log {
        let mut chart = builder.build_cartesian_2d(x_range, y_range.log_scale())?;
        draw_mesh_and_layers(&mut chart, panel, unit, small)
    } else {
        let mut chart = builder.build_cartesian_2d(x_range, y_range)?;
        draw_mesh_and_layers(&mut chart, panel, unit, small)
    }
}

/// The mesh, axis titles and layers of a panel, on a linear or logarithmic y axis.
fn draw_mesh_and_layers<DB, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Y>>,
    panel: &Panel,
    unit: f64,
    small: bool,
) -> DrawResult<DB>
where
    DB: DrawingBackend,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let px = |x: f64| (x * unit).round().max(1.0) as u32;
    let label_size = if small { px(17.0) } else { px(20.0) };
    let (x_ticks, y_ticks) = (panel.x_ticks, panel.y_ticks);
    let x_formatter = move |v: &f64| x_ticks.format(*v);
    let y_formatter = move |v: &f64| y_ticks.format(*v);
    chart
        .configure_mesh()
        .x_desc(panel.x_desc.as_str())
        .y_desc(panel.y_desc.as_str())
        .x_labels(if small { 5 } else { 8 })
        .y_labels(if small { 5 } else { 8 })
        .x_label_formatter(&x_formatter)
        .y_label_formatter(&y_formatter)
        .label_style((FONT, label_size).into_font().color(&BLACK))
        .axis_desc_style((FONT, label_size).into_font().color(&BLACK))
        .bold_line_style(RGBColor(225, 225, 225).stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(palette::GREY.stroke_width(1))
        .draw()?;
    for layer in &panel.layers {
        match layer {
            Layer::Band {
                x,
                lower,
                upper,
                color,
                opacity,
            } => {
                let mut points: Vec<(f64, f64)> =
                    x.iter().copied().zip(upper.iter().copied()).collect();
                points.extend(x.iter().copied().zip(lower.iter().copied()).rev());
                chart.draw_series(std::iter::once(Polygon::new(
                    points,
                    color.mix(*opacity).filled(),
                )))?;
            }
            Layer::Polygon {
                points,
                color,
                opacity,
            } => {
                chart.draw_series(std::iter::once(Polygon::new(
                    points.clone(),
                    color.mix(*opacity).filled(),
                )))?;
            }
            Layer::Line {
                points,
                color,
                width,
                dashed,
            } => {
                let style = color.stroke_width(px(*width as f64));
                if *dashed {
                    chart.draw_series(DashedLineSeries::new(
                        points.iter().copied(),
                        px(12.0),
                        px(8.0),
                        style,
                    ))?;
                } else {
                    chart.draw_series(LineSeries::new(points.iter().copied(), style))?;
                }
            }
            Layer::Points {
                points,
                color,
                filled,
            } => {
                let style = if *filled {
                    color.filled()
                } else {
                    color.stroke_width(px(3.0))
                };
                chart.draw_series(points.iter().map(|p| Circle::new(*p, px(8.0), style)))?;
            }
            Layer::Stack { x, series } => {
                let mut below = vec![0.0; x.len()];
                for (values, color) in series {
                    let above: Vec<f64> = below.iter().zip(values).map(|(b, v)| b + v).collect();
                    let mut points: Vec<(f64, f64)> =
                        x.iter().copied().zip(above.iter().copied()).collect();
                    points.extend(x.iter().copied().zip(below.iter().copied()).rev());
                    chart.draw_series(std::iter::once(Polygon::new(
                        points,
                        color.mix(0.85).filled(),
                    )))?;
                    chart.draw_series(LineSeries::new(
                        x.iter().copied().zip(above.iter().copied()),
                        WHITE.stroke_width(1),
                    ))?;
                    below = above;
                }
            }
        }
    }
    Ok(())
}
