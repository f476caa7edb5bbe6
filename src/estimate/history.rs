//! History files for `migproj estimate` (MODEL.md section 13): stocks by region and year, and
//! world remittance receipts by year, read with every problem located by line and column.

use std::collections::BTreeMap;

use crate::error::{Diagnostic, Error, Result, SourceFile};
use crate::scenario::csv_table::{number as csv_number, parse_csv, Row};

/// One stock history (one source): regions x years, and the world series.
#[derive(Debug, Clone, PartialEq)]
pub struct StockPanel {
    /// A short name for tables and charts (the file stem).
    pub name: String,
    pub years: Vec<i32>,
    pub regions: Vec<String>,
    /// `stocks[r][p]`: persons in region r in `years[p]`.
    pub stocks: Vec<Vec<f64>>,
    /// World stock by year: the `World` rows when the file gives them, else the sum.
    pub world: Vec<f64>,
    /// Rows left out because they were after `until`.
    pub dropped_after_until: usize,
    /// Regions left out of the panel (with `drop_incomplete`): a zero stock or a year missing.
    pub left_out: Vec<String>,
}

/// World remittance receipts by year (current US dollars).
#[derive(Debug, Clone, PartialEq)]
pub struct RemittanceHistory {
    pub name: String,
    pub years: Vec<i32>,
    pub usd: Vec<f64>,
    pub dropped_outside: usize,
}

fn column(header: &Row, name: &str) -> Option<usize> {
    header
        .fields
        .iter()
        .position(|f| f.text.trim().trim_start_matches('\u{feff}') == name)
}

fn located(file: &SourceFile, diagnostics: Vec<Diagnostic>) -> Error {
    Error::from_diagnostics(file, &diagnostics, "nothing was estimated")
}

fn header_error(file: &SourceFile, rows: &[Row], wanted: &str) -> Error {
    let span = rows.first().map(|r| r.span.clone()).unwrap_or(0..0);
    located(
        file,
        vec![Diagnostic::at(
            span,
            format!("expected a header with the columns {wanted} (other columns, such as `source`, are ignored)"),
        )],
    )
}

fn parse_year(row: &Row, index: usize, problems: &mut Vec<Diagnostic>) -> Option<i32> {
    let field = &row.fields[index];
    match field.text.trim().parse::<i32>() {
        Ok(y) if (1000..=3000).contains(&y) => Some(y),
        _ => {
            problems.push(Diagnostic::at(
                field.span.clone(),
                format!(
                    "`year` must be a year such as 1990, found `{}`",
                    crate::error::clip(&field.text, 40)
                ),
            ));
            None
        }
    }
}

/// Whether a row has the header's number of fields (else a problem is recorded).
fn has_width(row: &Row, width: usize, problems: &mut Vec<Diagnostic>) -> bool {
    if row.fields.len() == width {
        return true;
    }
    problems.push(Diagnostic::at(
        row.span.clone(),
        format!(
            "expected {width} fields as in the header, found {}",
            row.fields.len()
        ),
    ));
    false
}

/// A positive number below `upper` in `column` (else a located problem is recorded).
fn positive(
    row: &Row,
    column: usize,
    name: &str,
    upper: f64,
    what: &str,
    problems: &mut Vec<Diagnostic>,
) -> Option<f64> {
    match csv_number(&row.fields[column], name) {
        Ok(v) if v > 0.0 && v < upper => Some(v),
        Ok(v) => {
            problems.push(Diagnostic::at(
                row.fields[column].span.clone(),
                format!("`{name}` must be a positive {what} below {upper:e}, found {v}"),
            ));
            None
        }
        Err(d) => {
            problems.push(d);
            None
        }
    }
}

/// Reads a stock history: CSV with columns `region,year,stock` (any others ignored). Years
/// after `until` are left out (the estimate uses only what was known then). Every region
/// needs the same years, at least three of them; stocks must be positive.
pub fn read_stock_history(file: &SourceFile, until: i32) -> Result<StockPanel> {
    read_stock_history_with(file, until, false)
}

/// [`read_stock_history`]; the region may also be named by a `country` column (a country
/// panel such as data/history/migrant_stock_country_1960_2000.csv). With `drop_incomplete`,
/// a region with a zero stock or without a figure in one of the panel's years (those of the
/// most complete regions) is left out of the panel and listed in `left_out`, instead of being
/// an error.
pub fn read_stock_history_with(
    file: &SourceFile,
    until: i32,
    drop_incomplete: bool,
) -> Result<StockPanel> {
    let rows = parse_csv(&file.text).map_err(|d| located(file, vec![d]))?;
    let wanted = "region (or country), year, stock";
    let Some(header) = rows.first() else {
        return Err(header_error(file, &rows, wanted));
    };
    let (Some(c_region), Some(c_year), Some(c_stock)) = (
        column(header, "region").or(column(header, "country")),
        column(header, "year"),
        column(header, "stock"),
    ) else {
        return Err(header_error(file, &rows, wanted));
    };
    let width = header.fields.len();
    let mut problems = Vec::new();
    let mut by_region: BTreeMap<String, BTreeMap<i32, f64>> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut dropped = 0;
    let mut zero: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for row in rows.iter().skip(1) {
        if !has_width(row, width, &mut problems) {
            continue;
        }
        let region = row.fields[c_region].text.trim().to_string();
        if region.is_empty() || region.len() > 200 {
            problems.push(Diagnostic::at(
                row.fields[c_region].span.clone(),
                "`region` must be a name of 1 to 200 characters",
            ));
            continue;
        }
        let Some(year) = parse_year(row, c_year, &mut problems) else {
            continue;
        };
        if drop_incomplete && matches!(csv_number(&row.fields[c_stock], "stock"), Ok(v) if v == 0.0)
        {
            if year <= until {
                zero.insert(region.clone());
                if !order.contains(&region) {
                    order.push(region.clone());
                }
            }
            continue;
        }
        let Some(stock) = positive(
            row,
            c_stock,
            "stock",
            1e11,
            "number of persons",
            &mut problems,
        ) else {
            continue;
        };
        if year > until {
            dropped += 1;
            continue;
        }
        if !order.contains(&region) {
            order.push(region.clone());
        }
        if by_region
            .entry(region.clone())
            .or_default()
            .insert(year, stock)
            .is_some()
        {
            problems.push(Diagnostic::at(
                row.fields[c_year].span.clone(),
                format!("a second stock for {region} in {year}"),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(located(file, problems));
    }
    let world_given = by_region.remove("World");
    order.retain(|r| r != "World");
    let mut left_out = Vec::new();
    if drop_incomplete {
        // The panel's years: the most common set of years among the regions.
        let mut counts: BTreeMap<Vec<i32>, usize> = BTreeMap::new();
        for years in by_region.values() {
            *counts.entry(years.keys().copied().collect()).or_default() += 1;
        }
        let panel_years = counts
            .into_iter()
            .max_by_key(|(years, n)| (*n, years.len()))
            .map(|(years, _)| years)
            .unwrap_or_default();
        order.retain(|r| {
            let complete = !zero.contains(r)
                && by_region
                    .get(r)
                    .is_some_and(|m| m.keys().copied().eq(panel_years.iter().copied()));
            if !complete {
                left_out.push(r.clone());
                by_region.remove(r);
            }
            complete
        });
    }
    if order.is_empty() {
        return Err(located(
            file,
            vec![Diagnostic::whole_file(format!(
                "no region with figures up to {until}; the estimate needs regions (World alone gives no spread between regions)"
            ))],
        ));
    }
    let years: Vec<i32> = by_region[&order[0]].keys().copied().collect();
    let mut problems = Vec::new();
    for region in &order {
        let own: Vec<i32> = by_region[region].keys().copied().collect();
        if own != years {
            problems.push(Diagnostic::whole_file(format!(
                "{region} has figures for {own:?} but {} for {years:?}: every region needs the same years",
                order[0]
            )));
        }
    }
    if years.len() < 3 {
        problems.push(Diagnostic::whole_file(format!(
            "{} year(s) up to {until} ({years:?}): the estimate needs at least three per region (two periods)",
            years.len()
        )));
    }
    if let Some(world) = &world_given {
        let own: Vec<i32> = world.keys().copied().collect();
        if own != years {
            problems.push(Diagnostic::whole_file(format!(
                "World has figures for {own:?} but the regions for {years:?}"
            )));
        }
    }
    if !problems.is_empty() {
        return Err(located(file, problems));
    }
    let stocks: Vec<Vec<f64>> = order
        .iter()
        .map(|r| by_region[r].values().copied().collect())
        .collect();
    let world = match world_given {
        Some(w) => w.values().copied().collect(),
        None => (0..years.len())
            .map(|p| stocks.iter().map(|s| s[p]).sum())
            .collect(),
    };
    Ok(StockPanel {
        name: file_stem(file),
        years,
        regions: order,
        stocks,
        world,
        dropped_after_until: dropped,
        left_out,
    })
}

fn file_stem(file: &SourceFile) -> String {
    file.path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "history".into())
}

/// Reads world remittance receipts: CSV with columns `year,usd`, and optionally `series`
/// (then only the rows of `series` are used). Years outside `from..=until` are left out.
/// At least five consecutive years are needed.
pub fn read_remittance_history(
    file: &SourceFile,
    series: &str,
    from: i32,
    until: i32,
) -> Result<RemittanceHistory> {
    let rows = parse_csv(&file.text).map_err(|d| located(file, vec![d]))?;
    let wanted = "year, usd (and optionally series)";
    let Some(header) = rows.first() else {
        return Err(header_error(file, &rows, wanted));
    };
    let (Some(c_year), Some(c_usd)) = (column(header, "year"), column(header, "usd")) else {
        return Err(header_error(file, &rows, wanted));
    };
    let c_series = column(header, "series");
    let width = header.fields.len();
    let mut problems = Vec::new();
    let mut points: BTreeMap<i32, f64> = BTreeMap::new();
    let mut spans: BTreeMap<i32, std::ops::Range<usize>> = BTreeMap::new();
    let mut seen_series: Vec<String> = Vec::new();
    let mut dropped = 0;
    for row in rows.iter().skip(1) {
        if !has_width(row, width, &mut problems) {
            continue;
        }
        if let Some(c) = c_series {
            let name = row.fields[c].text.trim().to_string();
            if name != series {
                if !seen_series.contains(&name) && seen_series.len() < 20 {
                    seen_series.push(name);
                }
                continue;
            }
        }
        let Some(year) = parse_year(row, c_year, &mut problems) else {
            continue;
        };
        let Some(usd) = positive(row, c_usd, "usd", 1e15, "amount", &mut problems) else {
            continue;
        };
        if year < from || year > until {
            dropped += 1;
            continue;
        }
        if points.insert(year, usd).is_some() {
            problems.push(Diagnostic::at(
                row.fields[c_year].span.clone(),
                format!("a second figure for {year}"),
            ));
        }
        spans.insert(year, row.fields[c_usd].span.clone());
    }
    // A change by more than a factor of 100 from one year to the next is a unit or typing
    // error, not remittances (their largest recorded yearly change is about a factor of 5,
    // when new economies began to report); such a figure would make every statistic
    // meaningless (issue 22 item 27: 1e-300 gave NaN estimates).
    let figures: Vec<(i32, f64)> = points.iter().map(|(y, v)| (*y, *v)).collect();
    let mut blamed = std::collections::BTreeSet::new();
    for pair in figures.windows(2) {
        let ((y0, v0), (y1, v1)) = (pair[0], pair[1]);
        let ratio = v1 / v0;
        if !(ratio.is_finite() && (0.01..=100.0).contains(&ratio)) {
            let (year, value) = if ratio > 1.0 { (y0, v0) } else { (y1, v1) };
            if !blamed.insert(year) {
                continue;
            }
            problems.push(Diagnostic::at(
                spans[&year].clone(),
                format!(
                    "receipts change from {v0:.4e} in {y0} to {v1:.4e} in {y1}, by a factor of more than 100 in a year: {year}'s figure ({value:e}) looks like a unit or typing error"
                ),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(located(file, problems));
    }
    let years: Vec<i32> = points.keys().copied().collect();
    let consecutive = years.windows(2).all(|w| w[1] == w[0] + 1);
    if years.len() < 5 || !consecutive {
        let hint = if c_series.is_some() && points.is_empty() {
            format!(
                " (series in the file: {}; choose one with --remittance-series)",
                seen_series.join(", ")
            )
        } else {
            String::new()
        };
        return Err(located(
            file,
            vec![Diagnostic::whole_file(format!(
                "the remittance history needs at least five consecutive years in {from}..={until}; found {years:?}{hint}"
            ))],
        ));
    }
    Ok(RemittanceHistory {
        name: format!("{} ({series})", file_stem(file)),
        usd: points.values().copied().collect(),
        years,
        dropped_outside: dropped,
    })
}
