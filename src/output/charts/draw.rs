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

/// A text the chart placed itself (title, subtitle, footer, legend label): its top-left
/// corner and estimated size in pixels, for the check that nothing leaves the canvas.
#[derive(Debug, Clone, PartialEq)]
pub struct TextBox {
    pub text: String,
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
}

/// Text fitted to a width: up to `max_lines` lines (broken at `separator`, then at spaces),
/// at the largest size from `size` down to `min_size` that fits, cut with "..." if even that
/// does not.
struct Fitted {
    lines: Vec<String>,
    size: u32,
}

fn text_width<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    size: u32,
    bold: bool,
) -> i32 {
    let style = if bold {
        (FONT, size, FontStyle::Bold).into_font()
    } else {
        (FONT, size).into_font()
    }
    .color(&BLACK);
    root.estimate_text_size(text, &style)
        .map(|(w, _)| w as i32)
        .unwrap_or((text.chars().count() as u32 * size * 6 / 10) as i32)
}

/// Breaks `text` into at most `max_lines` lines of at most `width` pixels at `size`, at the
/// separators first; `None` when it does not fit.
fn break_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    size: u32,
    bold: bool,
    width: i32,
    max_lines: usize,
    separator: &str,
) -> Option<Vec<String>> {
    if text_width(root, text, size, bold) <= width {
        return Some(vec![text.to_string()]);
    }
    if max_lines < 2 {
        return None;
    }
    for sep in [separator, " "] {
        if sep.is_empty() {
            continue;
        }
        let pieces: Vec<&str> = text.split(sep).collect();
        let mut lines: Vec<String> = Vec::new();
        let mut current = String::new();
        for piece in pieces {
            let candidate = if current.is_empty() {
                piece.to_string()
            } else {
                format!("{current}{sep}{piece}")
            };
            if text_width(root, &candidate, size, bold) <= width || current.is_empty() {
                current = candidate;
            } else {
                lines.push(current.trim_end().to_string());
                current = piece.to_string();
            }
        }
        lines.push(current);
        if lines.len() <= max_lines
            && lines
                .iter()
                .all(|l| text_width(root, l, size, bold) <= width)
        {
            return Some(lines);
        }
    }
    None
}

fn fit<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    (size, min_size): (u32, u32),
    bold: bool,
    width: i32,
    max_lines: usize,
    separator: &str,
) -> Fitted {
    // No line holds more than `4 width / min_size` characters (the narrowest glyph is wider
    // than a quarter of its size), so a longer text is cut before it is measured: fitting
    // measures growing pieces at each size, and a 10,000-character title took 98 s (issue 22
    // item 26).
    let most = max_lines.max(1) * (width.max(1) as usize * 4 / min_size.max(1) as usize + 1);
    let cut_text;
    let text = if text.chars().count() > most {
        cut_text = text.chars().take(most).collect::<String>() + "...";
        cut_text.as_str()
    } else {
        text
    };
    let mut s = size.max(min_size);
    loop {
        if let Some(lines) = break_lines(root, text, s, bold, width, max_lines, separator) {
            return Fitted { lines, size: s };
        }
        if s <= min_size {
            break;
        }
        s -= 1;
    }
    // Cut at the smallest size: the longest prefix that fits with "..." (the width grows with
    // the prefix, so a binary search finds it).
    let chars: Vec<char> = text.chars().collect();
    let cut = |keep: usize| chars[..keep].iter().collect::<String>() + "...";
    let (mut lo, mut hi) = (0, chars.len());
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if text_width(root, &cut(mid), min_size, bold) <= width {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    Fitted {
        lines: vec![if lo > 0 { cut(lo) } else { String::new() }],
        size: min_size,
    }
}

/// Draws the lines of a fitted text from `(x, y)` down; records their boxes.
fn draw_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    fitted: &Fitted,
    bold: bool,
    color: &RGBColor,
    (x, y): (i32, i32),
    boxes: &mut Vec<TextBox>,
) -> DrawResult<DB> {
    let style = if bold {
        (FONT, fitted.size, FontStyle::Bold).into_font()
    } else {
        (FONT, fitted.size).into_font()
    }
    .color(color);
    let step = (fitted.size as f64 * 1.25).round() as i32;
    for (k, line) in fitted.lines.iter().enumerate() {
        let top = y + k as i32 * step;
        root.draw_text(line, &style, (x, top))?;
        boxes.push(TextBox {
            text: line.clone(),
            x,
            y: top,
            width: text_width(root, line, fitted.size, bold),
            height: fitted.size as i32,
        });
    }
    Ok(())
}

impl Fitted {
    fn height(&self) -> i32 {
        let step = (self.size as f64 * 1.25).round() as i32;
        step * (self.lines.len() as i32 - 1) + self.size as i32
    }
}

/// The smallest font sizes, in pixels, whatever the canvas: below them text is unreadable.
const MIN_TITLE: u32 = 16;
const MIN_TEXT: u32 = 12;
const MIN_SMALL: u32 = 11;

/// Draws `chart` on `root` (any backend). Sizes scale with the height of the canvas; texts
/// are fitted to its width (wrapped, made smaller down to a floor, and cut as a last resort).
/// Returns the boxes of the texts it placed.
pub fn draw_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &Chart,
) -> Result<Vec<TextBox>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (width, height) = root.dim_in_pixel();
    let unit = height as f64 / 1000.0;
    let px = |x: f64| (x * unit).round().max(1.0) as u32;
    let mut boxes = Vec::new();
    root.fill(&WHITE)?;
    let margin = px(28.0) as i32;
    let available = width as i32 - 2 * margin;
    let title = fit(
        root,
        &chart.title,
        (px(38.0), MIN_TITLE),
        true,
        available,
        1,
        "",
    );
    draw_lines(root, &title, true, &BLACK, (margin, margin), &mut boxes)?;
    let subtitle_top = margin + title.height() + px(14.0) as i32;
    let subtitle = fit(
        root,
        &chart.subtitle,
        (px(25.0), MIN_TEXT),
        false,
        available,
        2,
        ": ",
    );
    draw_lines(
        root,
        &subtitle,
        false,
        &palette::GREY,
        (margin, subtitle_top),
        &mut boxes,
    )?;
    let footer = fit(
        root,
        &chart.footer,
        (px(17.0), MIN_SMALL),
        false,
        available,
        2,
        "  |  ",
    );
    let footer_y = height as i32 - margin / 2 - footer.height();
    draw_lines(
        root,
        &footer,
        false,
        &palette::GREY,
        (margin, footer_y),
        &mut boxes,
    )?;

    // The legend strip sits between the plot and the footer: it never covers data.
    let legend_size = px(21.0).max(MIN_SMALL);
    let legend_style = (FONT, legend_size).into_font().color(&BLACK);
    let key_width = px(46.0) as i32;
    let legend_rows = legend_layout(
        root,
        chart,
        &legend_style,
        available,
        key_width,
        px(36.0) as i32,
    );
    let row_height = (legend_size as f64 * 1.6).round() as i32;
    let legend_height = legend_rows.len() as i32 * row_height;
    let legend_top = footer_y - px(14.0) as i32 - legend_height;
    for (row_index, row) in legend_rows.iter().enumerate() {
        let y = legend_top + row_index as i32 * row_height;
        for (x, item) in row {
            draw_legend_key(root, &item.key, margin + x, y, px)?;
            let label = fit(
                root,
                &item.label,
                (legend_size, legend_size),
                false,
                available - x - key_width,
                1,
                "",
            );
            draw_lines(
                root,
                &label,
                false,
                &BLACK,
                (margin + x + key_width, y),
                &mut boxes,
            )?;
        }
    }

    let top = subtitle_top + subtitle.height() + px(20.0) as i32;
    let plot_area = root.margin(
        top as u32,
        (height as i32 - legend_top + px(10.0) as i32) as u32,
        (margin / 2) as u32,
        margin as u32,
    );
    let columns = chart.columns.max(1);
    let rows = chart.panels.len().div_ceil(columns);
    let cells = plot_area.split_evenly((rows.max(1), columns));
    for (k, (panel, cell)) in chart.panels.iter().zip(cells.iter()).enumerate() {
        // Axis titles on the outer panels only: the left column and the bottom row.
        let (row, column) = (k / columns, k % columns);
        let last_row = row + 1 == rows || k + columns >= chart.panels.len();
        // A panel whose y axis measures something other than its left neighbour's keeps its
        // own title (issue 22 item 10: the estimate chart's third panel had none).
        // The same for the x axis and the panel below.
        let own_y = column == 0 || chart.panels[k - 1].y_desc != panel.y_desc;
        let own_x = last_row
            || chart
                .panels
                .get(k + columns)
                .is_none_or(|below| below.x_desc != panel.x_desc);
        draw_panel(cell, panel, unit, rows > 1 || columns > 1, own_y, own_x)?;
    }
    Ok(boxes)
}

/// Lays the legend items out in rows that fit the width: `(x offset, item)` per row.
fn legend_layout<'c, DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    chart: &'c Chart,
    style: &TextStyle<'_>,
    available: i32,
    key_width: i32,
    gap: i32,
) -> Vec<Vec<(i32, &'c LegendItem)>> {
    let mut rows: Vec<Vec<(i32, &LegendItem)>> = vec![Vec::new()];
    let mut x = 0;
    for item in &chart.legend {
        let text_width = root
            .estimate_text_size(&item.label, style)
            .map(|(w, _)| w as i32)
            .unwrap_or(item.label.len() as i32 * 11);
        let item_width = key_width + text_width + gap;
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
    y_title: bool,
    x_title: bool,
) -> DrawResult<DB> {
    let px = |x: f64| (x * unit).round().max(1.0) as u32;
    let mut panel = panel.clone();
    if !y_title {
        panel.y_desc.clear();
    }
    if !x_title {
        panel.x_desc.clear();
    }
    // Axis titles fitted to the panel (a long title on a small panel would run into its
    // neighbour).
    let (area_w, area_h) = area.dim_in_pixel();
    let label_size = if small { px(17.0) } else { px(20.0) }.max(MIN_SMALL);
    for (desc, room) in [
        (&mut panel.x_desc, area_w as i32 - px(100.0) as i32),
        (&mut panel.y_desc, area_h as i32 - px(60.0) as i32),
    ] {
        if !desc.is_empty() {
            let fitted = fit(
                area,
                desc,
                (label_size, label_size),
                false,
                room.max(40),
                1,
                "",
            );
            *desc = fitted.lines.into_iter().next().unwrap_or_default();
        }
    }
    // A panel title fitted to the panel's width.
    if let Some(title) = &panel.title {
        let size = px(if small { 21.0 } else { 24.0 }).max(MIN_SMALL);
        let fitted = fit(
            area,
            title,
            (size, MIN_SMALL),
            true,
            area.dim_in_pixel().0 as i32 - px(20.0) as i32,
            1,
            "",
        );
        panel.title = fitted.lines.into_iter().next();
    }
    let panel = &panel;
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(px(8.0))
        .margin_right(px(24.0))
        .margin_bottom(px(4.0))
        .margin_left(px(4.0))
        // Room for the tick labels and the axis title below them, at any canvas size.
        .x_label_area_size(px(if small { 52.0 } else { 64.0 }).max(2 * MIN_SMALL + 16))
        .y_label_area_size(px(if small { 80.0 } else { 96.0 }).max(3 * MIN_SMALL + 20));
    if let Some(title) = &panel.title {
        builder.caption(
            title,
            (
                FONT,
                px(if small { 21.0 } else { 24.0 }).max(MIN_SMALL),
                FontStyle::Bold,
            ),
        );
    }
    let (x_range, y_range) = (
        panel.x_range.0..panel.x_range.1,
        panel.y_range.0..panel.y_range.1,
    );
    if panel.y_log {
        // Ticks at 1, 2 and 5 times each power of ten (a log axis with labels at 1, 10 and
        // 100 only is hard to read off).
        let keys = log_key_points(panel.y_range.0, panel.y_range.1);
        let mut chart =
            builder.build_cartesian_2d(x_range, y_range.log_scale().with_key_points(keys))?;
        draw_mesh_and_layers(&mut chart, panel, unit, small)
    } else {
        let mut chart = builder.build_cartesian_2d(x_range, y_range)?;
        draw_mesh_and_layers(&mut chart, panel, unit, small)
    }
}

/// Tick values of a logarithmic axis over `low..high`: 1, 2 and 5 times each power of ten,
/// thinned to 1 and 5, then 1, when the range spans many decades.
fn log_key_points(low: f64, high: f64) -> Vec<f64> {
    let (first, last) = (low.log10().floor() as i32, high.log10().ceil() as i32);
    for multiples in [&[1.0, 2.0, 5.0][..], &[1.0, 5.0][..], &[1.0][..]] {
        let points: Vec<f64> = (first..=last)
            .flat_map(|k| multiples.iter().map(move |m| m * 10f64.powi(k)))
            .filter(|v| *v >= low && *v <= high)
            .collect();
        if points.len() <= 10 || multiples.len() == 1 {
            return points;
        }
    }
    Vec::new()
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
    let label_size = if small { px(17.0) } else { px(20.0) }.max(MIN_SMALL);
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
