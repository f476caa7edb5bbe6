//! The tables a chart reads, loaded from a run's output files (or from the bytes a run is
//! about to write): charts never see the model, only what the CSV files hold.

use std::collections::HashMap;

use crate::error::{Diagnostic, Error, Result, SourceFile};
use crate::scenario::csv_table::{parse_csv_keeping, Row};

/// Where the run came from, for titles and footers (from run.json).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    /// run.json's scenario name: every table's `scenario` column must be it.
    pub scenario_name: String,
    pub scenario_title: String,
    pub scenario_file: String,
    pub sha256_prefix: String,
    pub data_revision: String,
    pub trajectories: Option<u64>,
    pub seed: Option<u64>,
    pub version: String,
    /// With areas (MODEL.md section 14): each area and its regions, in the scenario's order
    /// (run.json's `areas`; empty for a run folder written before it was recorded).
    pub areas: Vec<(String, Vec<String>)>,
}

/// Median, bands and mean of one variable over the years (from summary.csv).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fan {
    pub p2_5: Vec<f64>,
    pub p10: Vec<f64>,
    pub p25: Vec<f64>,
    pub p50: Vec<f64>,
    pub p75: Vec<f64>,
    pub p90: Vec<f64>,
    pub p97_5: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub entity: String,
    pub year: i32,
    pub variable: String,
    pub value: f64,
    pub observed: bool,
}

/// Every table of a run that charts read.
#[derive(Debug, Clone, Default)]
pub struct RunTables {
    pub meta: Meta,
    /// Regions in file order, then World when there are several.
    pub entities: Vec<String>,
    pub years: Vec<i32>,
    /// projection.csv: `(entity, column) -> value by year` (NaN where a cell is empty).
    pub projection: HashMap<(String, String), Vec<f64>>,
    /// summary.csv, when the run had a Monte Carlo.
    pub fans: Option<HashMap<(String, String), Fan>>,
    /// structure.csv: `(entity, year, sex, age_group index) -> persons` summed over durations.
    pub pyramid: HashMap<(String, i32, String, usize), f64>,
    pub structure_years: Vec<i32>,
    /// duration.csv: `(entity, group label) -> persons by year`, and the group labels in order.
    pub duration: HashMap<(String, String), Vec<f64>>,
    pub duration_groups: Vec<String>,
    pub markers: Vec<Marker>,
    /// comparison.csv: series name -> value by year.
    pub comparison: Vec<(String, Vec<f64>)>,
    /// Areas (MODEL.md section 14): the entities whose rows have `level = "area"`, in file
    /// order; empty without `[areas]`.
    pub areas: Vec<String>,
    /// With origin groups: `(key, region, origin)` of each group's rows in projection.csv, in
    /// file order; `key` ([`group_key`]) is the entity name under which `series` and `fan`
    /// find them.
    pub origin_entities: Vec<(String, String, String)>,
    /// comparison.csv: the origin group each series is compared with ("" for every origin),
    /// and what it does after its last point.
    pub comparison_origin: Vec<(String, String, String)>,
}

/// The entity name of an origin group's rows: `Region | group`.
pub fn group_key(region: &str, origin: &str) -> String {
    format!("{region} | {origin}")
}

/// The entity of a row: the region for `All` rows (or tables without an origin column), else
/// its [`group_key`] and `true`.
fn row_entity(
    table: &Table,
    row: &Row,
    region: usize,
) -> std::result::Result<(String, Option<String>), Diagnostic> {
    let name = table.field(row, region)?.to_string();
    match table.header.iter().position(|h| h == "origin") {
        Some(c) => {
            let origin = table.field(row, c)?;
            if origin == crate::scenario::ALL_ORIGINS {
                Ok((name, None))
            } else {
                Ok((group_key(&name, origin), Some(origin.to_string())))
            }
        }
        None => Ok((name, None)),
    }
}

impl RunTables {
    /// The world entity: World with several regions, else the only region.
    pub fn world(&self) -> &str {
        self.entities.last().map(String::as_str).unwrap_or("World")
    }

    /// The `level` column of a row of `region` and `origin` (see `streams::Entity::level`).
    pub fn level(&self, region: &str, origin: &str) -> &'static str {
        if self.areas.iter().any(|a| a == region) {
            return "area";
        }
        crate::simulate::streams::level_of(
            region == self.world(),
            (origin != crate::scenario::ALL_ORIGINS).then_some(0),
        )
    }

    pub fn series(&self, entity: &str, column: &str) -> Option<&Vec<f64>> {
        self.projection
            .get(&(entity.to_string(), column.to_string()))
    }

    pub fn fan(&self, entity: &str, variable: &str) -> Option<&Fan> {
        self.fans
            .as_ref()?
            .get(&(entity.to_string(), variable.to_string()))
    }

    pub fn year_index(&self, year: i32) -> Option<usize> {
        self.years.iter().position(|y| *y == year)
    }
}

/// A CSV file with its header, for located errors.
struct Table {
    file: SourceFile,
    header: Vec<String>,
    rows: Vec<Row>,
}

impl Table {
    fn parse(file: SourceFile) -> std::result::Result<Self, (SourceFile, Diagnostic)> {
        Self::parse_keeping(file, &|_, _| true)
    }

    fn parse_keeping(
        file: SourceFile,
        keep: &dyn Fn(&Row, &Row) -> bool,
    ) -> std::result::Result<Self, (SourceFile, Diagnostic)> {
        let mut rows = match parse_csv_keeping(&file.text, &mut |h, r| keep(h, r)) {
            Ok(rows) => rows,
            Err(d) => return Err((file, d)),
        };
        let Some(first) = rows.first() else {
            return Err((
                file,
                Diagnostic::whole_file("the file is empty; expected a header row"),
            ));
        };
        let header = first
            .fields
            .iter()
            .map(|f| f.text.trim().to_string())
            .collect();
        // The rows after the header, moved (not copied: structure.csv of a run with many
        // regions holds millions of fields).
        let body = rows.split_off(1);
        Ok(Table {
            file,
            header,
            rows: body,
        })
    }

    fn column(&self, name: &str) -> std::result::Result<usize, Diagnostic> {
        self.header.iter().position(|h| h == name).ok_or_else(|| {
            Diagnostic::at(
                0..1,
                format!(
                    "the header has no column `{name}` (found: {})",
                    self.header.join(",")
                ),
            )
        })
    }

    fn field<'r>(&self, row: &'r Row, column: usize) -> std::result::Result<&'r str, Diagnostic> {
        row.fields
            .get(column)
            .map(|f| f.text.as_str())
            .ok_or_else(|| {
                Diagnostic::at(
                    row.span.clone(),
                    format!(
                        "expected {} fields, found {}",
                        self.header.len(),
                        row.fields.len()
                    ),
                )
            })
    }

    fn number(&self, row: &Row, column: usize) -> std::result::Result<f64, Diagnostic> {
        let text = self.field(row, column)?;
        match text.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v.abs() <= MAX_TABLE_VALUE => Ok(v),
            _ => Err(Diagnostic::at(
                row.fields[column].span.clone(),
                format!(
                    "`{}` must be a finite number of at most 1e24 in magnitude (no run writes more), found `{}`",
                    self.header[column],
                    crate::error::clip(text, 40)
                ),
            )),
        }
    }

    fn optional_number(&self, row: &Row, column: usize) -> std::result::Result<f64, Diagnostic> {
        if self.field(row, column)?.trim().is_empty() {
            Ok(f64::NAN)
        } else {
            self.number(row, column)
        }
    }

    fn year(&self, row: &Row, column: usize) -> std::result::Result<i32, Diagnostic> {
        let text = self.field(row, column)?;
        match text.trim().parse::<i32>() {
            Ok(year) if (1000..=4000).contains(&year) => Ok(year),
            _ => Err(Diagnostic::at(
                row.fields[column].span.clone(),
                format!(
                    "`{}` must be a year from 1000 to 4000, found `{}`",
                    self.header[column],
                    crate::error::clip(text, 40)
                ),
            )),
        }
    }
}

/// The largest magnitude a run table may hold (charts of larger values would be meaningless,
/// and the charting library's tick search does not end on values near f64::MAX).
pub const MAX_TABLE_VALUE: f64 = 1e24;

/// Reads a table by file name: `Ok(None)` when the file is absent.
pub type Reader<'a> = dyn Fn(&str) -> Result<Option<SourceFile>> + 'a;

fn located(file: &SourceFile, diagnostic: Diagnostic) -> Error {
    Error::from_diagnostics(file, &[diagnostic], "no chart was drawn")
}

fn required(read: &Reader<'_>, name: &str) -> Result<Table> {
    let file = read(name)?.ok_or_else(|| Error::InputPlain(format!("error: the run folder has no `{name}`: charts are drawn from a run's tables (run the scenario first)")))?;
    Table::parse(file).map_err(|(file, d)| located(&file, d))
}

fn required_keeping(
    read: &Reader<'_>,
    name: &str,
    keep: &dyn Fn(&Row, &Row) -> bool,
) -> Result<Table> {
    let file = read(name)?.ok_or_else(|| Error::InputPlain(format!("error: the run folder has no `{name}`: charts are drawn from a run's tables (run the scenario first)")))?;
    Table::parse_keeping(file, keep).map_err(|(file, d)| located(&file, d))
}

fn optional(read: &Reader<'_>, name: &str) -> Result<Option<Table>> {
    match read(name)? {
        None => Ok(None),
        Some(file) => Table::parse(file)
            .map(Some)
            .map_err(|(file, d)| located(&file, d)),
    }
}

/// Loads every table a chart needs.
pub fn load_tables(read: &Reader<'_>) -> Result<RunTables> {
    let mut tables = RunTables {
        meta: load_meta(read)?,
        ..RunTables::default()
    };
    load_projection(read, &mut tables)?;
    if let Some(summary) = optional(read, "summary.csv")? {
        load_summary(&summary, &mut tables).map_err(|d| located(&summary.file, d))?;
    }
    // Only the rows a chart draws (the world, or the only region, all origins) are kept of
    // structure.csv, which holds every region, origin group, sex, age and duration group.
    // Of the regions, those the charts show (the largest when there are many).
    let (shown, _) = super::stock::chart_regions(&tables);
    let structure = required_keeping(read, "structure.csv", &|header: &Row, row: &Row| {
        let column = |name: &str| header.fields.iter().position(|f| f.text.trim() == name);
        match (column("level"), column("origin"), column("region")) {
            (Some(level), Some(origin), Some(region)) => {
                let field = |c: usize| row.fields.get(c).map(|f| f.text.as_str());
                let wanted = match field(level) {
                    Some("world") => true,
                    Some("area") => field(region).is_some_and(|r| shown.iter().any(|s| s == r)),
                    Some("region") => field(region).is_some_and(|r| shown.iter().any(|s| s == r)),
                    Some(_) => false,
                    None => true,
                };
                wanted && field(origin).is_none_or(|o| o == crate::scenario::ALL_ORIGINS)
            }
            _ => true,
        }
    })?;
    load_structure(&structure, &mut tables).map_err(|d| located(&structure.file, d))?;
    let duration = required(read, "duration.csv")?;
    load_duration(&duration, &mut tables).map_err(|d| located(&duration.file, d))?;
    let markers = required(read, "markers.csv")?;
    load_markers(&markers, &mut tables).map_err(|d| located(&markers.file, d))?;
    if let Some(comparison) = optional(read, "comparison.csv")? {
        load_comparison(&comparison, &mut tables).map_err(|d| located(&comparison.file, d))?;
    }
    Ok(tables)
}

fn load_meta(read: &Reader<'_>) -> Result<Meta> {
    let file = read("run.json")?.ok_or_else(|| {
        Error::InputPlain("error: the run folder has no `run.json` (run the scenario first)".into())
    })?;
    let json: serde_json::Value = serde_json::from_str(&file.text).map_err(|e| {
        let offset = file
            .text
            .split('\n')
            .take(e.line().saturating_sub(1))
            .map(|l| l.len() + 1)
            .sum::<usize>()
            + e.column().saturating_sub(1);
        located(
            &file,
            Diagnostic::at(
                offset..offset + 1,
                format!("run.json is not valid JSON: {e}"),
            ),
        )
    })?;
    // Control characters (a tampered run.json, a file name with ESC in it) never reach a
    // chart, a report or a terminal (issue 22 items 28 and 29).
    let text = |pointer: &str| {
        crate::output::without_controls(
            json.pointer(pointer).and_then(|v| v.as_str()).unwrap_or(""),
        )
    };
    let path = text("/scenario/path");
    let scenario_file = std::path::Path::new(&path)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or(path);
    Ok(Meta {
        scenario_name: text("/scenario/name"),
        scenario_title: text("/scenario/title"),
        scenario_file,
        sha256_prefix: text("/scenario/sha256").chars().take(8).collect(),
        data_revision: text("/data_revision"),
        trajectories: json
            .pointer("/monte_carlo/trajectories")
            .and_then(|v| v.as_u64()),
        seed: json.pointer("/monte_carlo/seed").and_then(|v| v.as_u64()),
        version: text("/migproj_version"),
        areas: json
            .pointer("/areas")
            .and_then(|v| v.as_array())
            .map(|areas| {
                areas
                    .iter()
                    .filter_map(|a| {
                        let name = a.get("name")?.as_str()?.to_string();
                        let regions = a
                            .get("regions")?
                            .as_array()?
                            .iter()
                            .filter_map(|r| r.as_str().map(str::to_string))
                            .collect();
                        Some((name, regions))
                    })
                    .collect()
            })
            .unwrap_or_default(),
    })
}

fn load_projection(read: &Reader<'_>, tables: &mut RunTables) -> Result<()> {
    let table = required(read, "projection.csv")?;
    let result = (|| -> std::result::Result<(), Diagnostic> {
        let region = table.column("region")?;
        let year = table.column("year")?;
        table.column("stock")?;
        let numeric: Vec<usize> = (0..table.header.len())
            .filter(|&c| {
                c != region
                    && c != year
                    && !["data_revision", "origin", "scenario", "level"]
                        .contains(&table.header[c].as_str())
            })
            .collect();
        let level = table.header.iter().position(|h| h == "level");
        let scenario = table.header.iter().position(|h| h == "scenario");
        for row in &table.rows {
            same_scenario(&table, row, scenario, &tables.meta)?;
            let (entity, origin) = row_entity(&table, row, region)?;
            let y = table.year(row, year)?;
            if let Some(level) = level {
                if origin.is_none()
                    && table.field(row, level)? == "area"
                    && !tables.areas.contains(&entity)
                {
                    tables.areas.push(entity.clone());
                }
            }
            match origin {
                None if !tables.entities.contains(&entity) => tables.entities.push(entity.clone()),
                Some(origin) if !tables.origin_entities.iter().any(|e| e.0 == entity) => {
                    let region_name = table.field(row, region)?.to_string();
                    tables
                        .origin_entities
                        .push((entity.clone(), region_name, origin));
                }
                _ => {}
            }
            if !tables.years.contains(&y) {
                tables.years.push(y);
            }
            for &c in &numeric {
                let value = table.optional_number(row, c)?;
                if value < NEGATIVE {
                    return Err(Diagnostic::at(
                        row.fields[c].span.clone(),
                        format!(
                            "`{}` is {value}: a count or an amount cannot be negative; the table was altered or is not migproj's",
                            table.header[c]
                        ),
                    ));
                }
                tables
                    .projection
                    .entry((entity.clone(), table.header[c].clone()))
                    .or_default()
                    .push(value);
            }
        }
        if table.rows.is_empty() {
            return Err(Diagnostic::whole_file(
                "projection.csv has a header but no rows",
            ));
        }
        if tables.years.windows(2).any(|w| w[1] != w[0] + 1) {
            return Err(Diagnostic::whole_file(
                "projection.csv: the years of a region must run one by one, in order",
            ));
        }
        let n = tables.years.len();
        if tables.projection.values().any(|v| v.len() != n) {
            return Err(Diagnostic::whole_file(
                "projection.csv does not have one row per region and year",
            ));
        }
        Ok(())
    })();
    result.map_err(|d| located(&table.file, d))
}

/// Below this a table's figure is negative (rounding in the engine leaves at most a
/// few 1e-9 below 0; migproj writes none).
const NEGATIVE: f64 = -1e-6;

/// A row's `scenario` must be run.json's scenario name: another run's table copied into the
/// folder is refused (issue 22 item 29).
fn same_scenario(
    table: &Table,
    row: &Row,
    column: Option<usize>,
    meta: &Meta,
) -> std::result::Result<(), Diagnostic> {
    let Some(c) = column else {
        return Ok(());
    };
    let name = table.field(row, c)?;
    if !meta.scenario_name.is_empty() && name != meta.scenario_name {
        return Err(Diagnostic::at(
            row.fields[c].span.clone(),
            format!(
                "this row is of scenario \"{}\", but run.json is of \"{}\": the folder mixes two runs' tables (rerun the scenario)",
                crate::error::clip(&crate::output::without_controls(name), 60),
                crate::error::clip(&crate::output::without_controls(&meta.scenario_name), 60)
            ),
        ));
    }
    Ok(())
}

fn load_summary(table: &Table, tables: &mut RunTables) -> std::result::Result<(), Diagnostic> {
    let columns: Vec<usize> = [
        "region", "year", "variable", "p2_5", "p10", "p50", "p90", "p97_5", "p25", "p75",
    ]
    .iter()
    .map(|c| table.column(c))
    .collect::<std::result::Result<_, _>>()?;
    let mut fans: HashMap<(String, String), Fan> = HashMap::new();
    let mut years: HashMap<(String, String), Vec<i32>> = HashMap::new();
    let scenario = table.header.iter().position(|h| h == "scenario");
    for row in &table.rows {
        same_scenario(table, row, scenario, &tables.meta)?;
        let year = table.year(row, columns[1])?;
        let key = (
            row_entity(table, row, columns[0])?.0,
            table.field(row, columns[2])?.to_string(),
        );
        years.entry(key.clone()).or_default().push(year);
        let fan = fans.entry(key).or_default();
        fan.p2_5.push(table.number(row, columns[3])?);
        fan.p10.push(table.number(row, columns[4])?);
        fan.p50.push(table.number(row, columns[5])?);
        fan.p90.push(table.number(row, columns[6])?);
        fan.p97_5.push(table.number(row, columns[7])?);
        fan.p25.push(table.number(row, columns[8])?);
        fan.p75.push(table.number(row, columns[9])?);
        // A tampered or mixed-up table is refused, not drawn (issue 22 item 29: p10 and p90
        // swapped printed "15.2 (16.2-13.9)"): quantiles in order, counts not negative.
        let q = [
            (columns[3], fan.p2_5.last()),
            (columns[4], fan.p10.last()),
            (columns[8], fan.p25.last()),
            (columns[5], fan.p50.last()),
            (columns[9], fan.p75.last()),
            (columns[6], fan.p90.last()),
            (columns[7], fan.p97_5.last()),
        ];
        for pair in q.windows(2) {
            let (Some(a), Some(b)) = (pair[0].1, pair[1].1) else {
                continue;
            };
            if a.is_finite() && b.is_finite() && *a > *b + 1e-9 * b.abs().max(1.0) {
                return Err(Diagnostic::at(
                    row.fields[pair[1].0].span.clone(),
                    format!(
                        "`{}` ({b}) is below `{}` ({a}): the quantiles of a row must be in order; the table was altered or is not migproj's",
                        table.header[pair[1].0], table.header[pair[0].0]
                    ),
                ));
            }
        }
        // None of migproj's variables can be negative (stocks, flows, amounts, shares, ages,
        // ratios).
        if let Some((c, x)) = q.iter().find(|(_, x)| x.is_some_and(|x| *x < NEGATIVE)) {
            return Err(Diagnostic::at(
                row.fields[*c].span.clone(),
                format!(
                    "`{}` of {} is {}: a count or an amount cannot be negative; the table was altered or is not migproj's",
                    table.header[*c],
                    crate::error::clip(table.field(row, columns[2])?, 40),
                    x.copied().unwrap_or(0.0)
                ),
            ));
        }
    }
    if years.values().any(|y| *y != tables.years) {
        return Err(Diagnostic::whole_file(
            "summary.csv does not have one row per region, year and variable of projection.csv",
        ));
    }
    tables.fans = Some(fans);
    Ok(())
}

fn load_structure(table: &Table, tables: &mut RunTables) -> std::result::Result<(), Diagnostic> {
    let columns: Vec<usize> = ["region", "year", "sex", "age_group", "persons"]
        .iter()
        .map(|c| table.column(c))
        .collect::<std::result::Result<_, _>>()?;
    for row in &table.rows {
        if row_entity(table, row, columns[0])?.1.is_some() {
            continue;
        }
        let year = table.year(row, columns[1])?;
        let label = table.field(row, columns[3])?;
        let group = (0..crate::model::AGE_GROUPS)
            .find(|&g| crate::scenario::age_group_label(g) == label)
            .ok_or_else(|| {
                Diagnostic::at(
                    row.fields[columns[3]].span.clone(),
                    format!(
                        "`age_group` must be 0-4, 5-9, ..., 100+, found `{}`",
                        crate::error::clip(label, 40)
                    ),
                )
            })?;
        let persons = table.number(row, columns[4])?;
        let key = (
            table.field(row, columns[0])?.to_string(),
            year,
            table.field(row, columns[2])?.to_string(),
            group,
        );
        *tables.pyramid.entry(key).or_default() += persons;
        if !tables.structure_years.contains(&year) {
            tables.structure_years.push(year);
        }
    }
    Ok(())
}

fn load_duration(table: &Table, tables: &mut RunTables) -> std::result::Result<(), Diagnostic> {
    let columns: Vec<usize> = ["region", "year", "duration_group", "persons"]
        .iter()
        .map(|c| table.column(c))
        .collect::<std::result::Result<_, _>>()?;
    // (region, broad group) -> (year, persons), the five-year groups of a year added up.
    let mut series: HashMap<(String, String), Vec<(i32, f64)>> = HashMap::new();
    for row in &table.rows {
        if row_entity(table, row, columns[0])?.1.is_some() {
            continue;
        }
        let year = table.year(row, columns[1])?;
        let group = broad_duration_group(table.field(row, columns[2])?);
        if !tables.duration_groups.contains(&group) {
            tables.duration_groups.push(group.clone());
        }
        let persons = table.number(row, columns[3])?;
        let values = series
            .entry((table.field(row, columns[0])?.to_string(), group))
            .or_default();
        match values.last_mut() {
            Some((last, sum)) if *last == year => *sum += persons,
            _ => values.push((year, persons)),
        }
    }
    for (key, values) in series {
        if values
            .iter()
            .map(|(y, _)| *y)
            .ne(tables.years.iter().copied())
        {
            return Err(Diagnostic::whole_file(
                "duration.csv does not have one row per region, duration group and year of projection.csv, in order",
            ));
        }
        tables
            .duration
            .insert(key, values.into_iter().map(|(_, v)| v).collect());
    }
    Ok(())
}

/// The broad group of the duration chart (0-4, 5-9, 10-19, 20+ years) of a duration group of
/// duration.csv (0-4, 5-9, 10-14, ..., D+). An open group below 20 keeps its own label.
fn broad_duration_group(label: &str) -> String {
    let open = label.ends_with('+');
    let low: usize = label
        .trim_end_matches('+')
        .split('-')
        .next()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    match low {
        0..=4 if !open => "0-4".into(),
        5..=9 if !open => "5-9".into(),
        10..=19 if !open => "10-19".into(),
        low if low < 20 => format!("{low}+"),
        _ => "20+".into(),
    }
}

fn load_markers(table: &Table, tables: &mut RunTables) -> std::result::Result<(), Diagnostic> {
    let columns: Vec<usize> = ["region", "year", "variable", "value", "kind"]
        .iter()
        .map(|c| table.column(c))
        .collect::<std::result::Result<_, _>>()?;
    for row in &table.rows {
        tables.markers.push(Marker {
            entity: row_entity(table, row, columns[0])?.0,
            year: table.year(row, columns[1])?,
            variable: table.field(row, columns[2])?.to_string(),
            value: table.number(row, columns[3])?,
            observed: table.field(row, columns[4])? == "observed",
        });
    }
    Ok(())
}

fn load_comparison(table: &Table, tables: &mut RunTables) -> std::result::Result<(), Diagnostic> {
    let columns: Vec<usize> = ["series", "year", "value"]
        .iter()
        .map(|c| table.column(c))
        .collect::<std::result::Result<_, _>>()?;
    let origin = table.header.iter().position(|h| h == "origin");
    let after = table.header.iter().position(|h| h == "after");
    let mut years: HashMap<String, Vec<i32>> = HashMap::new();
    for row in &table.rows {
        let year = table.year(row, columns[1])?;
        let name = table.field(row, columns[0])?.to_string();
        years.entry(name.clone()).or_default().push(year);
        let value = table.number(row, columns[2])?;
        match tables.comparison.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => values.push(value),
            None => {
                let text = |c: Option<usize>| -> std::result::Result<String, Diagnostic> {
                    Ok(match c {
                        Some(c) => table.field(row, c)?.to_string(),
                        None => String::new(),
                    })
                };
                tables
                    .comparison_origin
                    .push((name.clone(), text(origin)?, text(after)?));
                tables.comparison.push((name, vec![value]));
            }
        }
    }
    if let Some((name, _)) = years.iter().find(|(_, y)| **y != tables.years) {
        return Err(Diagnostic::whole_file(format!(
            "comparison.csv: the series \"{}\" does not have one row for each year of projection.csv, in order",
            crate::error::clip(name, 60)
        )));
    }
    Ok(())
}
