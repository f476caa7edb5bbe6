//! `migproj import` (issue 20): a scenario of destination countries, with areas, straight from
//! the official files in their publishers' layouts. Columns are found by their headers, never
//! by position, so the same code reads the full downloads (every year filled in).
//!
//! - UN DESA, International Migrant Stock 2020 by destination and sex (xlsx, sheet 'Table 1'):
//!   both sexes and females for the two years; sheet 'Table 2': the world population.
//! - UN Statistics Division M49 (CSV): ISO3 codes and areas of the M49 codes (the six areas:
//!   M49 regions, with the Americas split into Latin America and the Caribbean and Northern
//!   America, as UN DESA does).
//! - With origin groups: IMS 2020 by destination, origin and sex (long CSV), the World Bank's
//!   historical income classification (OGHIST.xlsx) of the chosen data year, and WDI personal
//!   remittances received (bulk CSV) with its country metadata.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::error::{Diagnostic, Error, Result, SourceFile};
use crate::scenario::csv_table::{parse_csv, parse_csv_keeping};
use crate::scenario::{read_regular_file, sha256_hex};

/// One cell of a worksheet.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Number(f64),
    Text(String),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Number(x) => crate::output::number(*x),
            Cell::Text(s) => s.clone(),
        }
    }
}

/// A worksheet as rows of cells (row 0 is the sheet's row 1, column 0 its column A).
pub struct Sheet {
    pub file: PathBuf,
    pub name: String,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    fn cell(&self, row: usize, column: usize) -> &Cell {
        self.rows
            .get(row)
            .and_then(|r| r.get(column))
            .unwrap_or(&Cell::Empty)
    }

    /// The first of the first `limit` rows with a cell whose text `matches` (a header row
    /// found by its label, wherever the publisher put it).
    fn find_row(&self, limit: usize, matches: impl Fn(&str) -> bool) -> Option<usize> {
        (0..self.rows.len().min(limit))
            .find(|&r| self.rows[r].iter().any(|c| matches(c.text().trim())))
    }

    /// "file, sheet 'Table 1', cell F12".
    fn at(&self, row: usize, column: usize) -> String {
        format!(
            "{}, sheet '{}', cell {}{}",
            self.file.display(),
            self.name,
            column_letters(column),
            row + 1
        )
    }
}

/// Excel's column letters: 0 -> A, 25 -> Z, 26 -> AA.
pub fn column_letters(mut column: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (column % 26) as u8);
        if column < 26 {
            break;
        }
        column = column / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

fn layout_error(what: String) -> Error {
    Error::InputPlain(format!(
        "error: {what}; nothing was written (is this the publisher's file, in its own layout?)"
    ))
}

/// The column of a CSV header named `name` (a byte-order mark and spaces ignored).
fn header_column(header: &crate::scenario::csv_table::Row, name: &str) -> Option<usize> {
    header
        .fields
        .iter()
        .position(|f| f.text.trim().trim_start_matches('\u{feff}') == name)
}

/// A located refusal of one CSV field (`span` in `file`): "expected WHAT, found `TEXT`".
fn field_error(
    file: &SourceFile,
    span: std::ops::Range<usize>,
    expected: &str,
    found: &str,
) -> Error {
    Error::from_diagnostics(
        file,
        &[Diagnostic::at(
            span,
            format!(
                "expected {expected}, found `{}`",
                crate::error::clip(found, 40)
            ),
        )],
        "nothing was written",
    )
}

/// A CSV input parsed whole: its text (for located errors) and rows, the header first.
fn parse_csv_input(input: &Input) -> Result<(SourceFile, Vec<crate::scenario::csv_table::Row>)> {
    let file = SourceFile::new(
        &input.path,
        String::from_utf8_lossy(&input.bytes).replace('\r', ""),
    );
    let rows = parse_csv(&file.text)
        .map_err(|d| Error::from_diagnostics(&file, &[d], "nothing was written"))?;
    if rows.is_empty() {
        return Err(layout_error(format!("`{}` is empty", input.path.display())));
    }
    Ok((file, rows))
}

/// The bytes and sha256 of an input file (a bounded regular file).
pub struct Input {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

pub fn read_input(path: &Path, what: &str) -> Result<Input> {
    let bytes = read_regular_file(path).map_err(|e| {
        Error::InputPlain(format!(
            "error: cannot read the {what} `{}`: {e}",
            path.display()
        ))
    })?;
    Ok(Input {
        path: path.to_path_buf(),
        sha256: sha256_hex(&bytes),
        bytes,
    })
}

/// Reads one worksheet of an xlsx file.
pub fn read_sheet(input: &Input, name: &str) -> Result<Sheet> {
    use calamine::{Data, Reader, Xlsx};
    let mut workbook: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(input.bytes.as_slice())).map_err(|e| {
            layout_error(format!(
                "`{}` is not an xlsx workbook ({e})",
                input.path.display()
            ))
        })?;
    let names = workbook.sheet_names().to_vec();
    let range = workbook.worksheet_range(name).map_err(|_| {
        layout_error(format!(
            "`{}` has no sheet '{name}' (its sheets: {})",
            input.path.display(),
            names.join(", ")
        ))
    })?;
    let (top, left) = range
        .start()
        .map(|(r, c)| (r as usize, c as usize))
        .unwrap_or((0, 0));
    let mut rows = vec![Vec::new(); top];
    for row in range.rows() {
        let mut cells = vec![Cell::Empty; left];
        cells.extend(row.iter().map(|d| match d {
            Data::Int(i) => Cell::Number(*i as f64),
            Data::Float(f) => Cell::Number(*f),
            Data::String(s) => Cell::Text(s.clone()),
            Data::Bool(b) => Cell::Text(b.to_string()),
            Data::Empty => Cell::Empty,
            other => Cell::Text(other.to_string()),
        }));
        rows.push(cells);
    }
    Ok(Sheet {
        file: input.path.clone(),
        name: name.to_string(),
        rows,
    })
}

/// A destination of the UN workbook: its row, M49 code, name and two figures (both sexes and
/// females; `None` where the workbook has `..`).
#[derive(Debug, Clone)]
pub struct Destination {
    pub row: usize,
    pub code: u32,
    pub name: String,
    pub both: [Option<f64>; 2],
    pub female: [Option<f64>; 2],
}

/// The UN workbook's Table 1 for two years: the WORLD row and every country or area (M49
/// codes below 900).
pub struct StockTable {
    pub sheet: Sheet,
    pub world: [f64; 2],
    pub world_row: usize,
    pub destinations: Vec<Destination>,
    /// The columns of both sexes in the two years.
    pub columns: [usize; 2],
}

fn number_cell(cell: &Cell) -> Option<f64> {
    match cell {
        Cell::Number(x) if x.is_finite() => Some(*x),
        Cell::Text(t) => t.trim().replace(',', "").parse::<f64>().ok(),
        _ => None,
    }
}

/// Reads Table 1 (or Table 2 for the population) of the UN workbook: finds the header row
/// (the one with "Location code"), the columns of each year in the "both sexes" and "females"
/// blocks (labelled in a row above the header), and the rows.
pub fn read_stock_table(input: &Input, sheet_name: &str, years: [i32; 2]) -> Result<StockTable> {
    let sheet = read_sheet(input, sheet_name)?;
    let header = sheet
        .find_row(100, |t| t.eq_ignore_ascii_case("Location code"))
        .ok_or_else(|| {
            layout_error(format!(
                "{}, sheet '{sheet_name}': no header row with a 'Location code' column in its first 100 rows",
                input.path.display()
            ))
        })?;
    let find = |label: &str| {
        sheet.rows[header]
            .iter()
            .position(|c| c.text().trim().to_lowercase().starts_with(label))
    };
    let code_column = find("location code").expect("found above");
    let name_column = find("region, development group").ok_or_else(|| {
        layout_error(format!(
            "{}: the header row has no 'Region, development group, country or area' column",
            sheet.at(header, 0)
        ))
    })?;
    // Block labels ("... both sexes combined", "... male", "... female") above the header.
    let mut block_of_column: Vec<String> = vec![String::new(); sheet.rows[header].len()];
    for r in (header.saturating_sub(6))..header {
        for (c, cell) in sheet.rows[r].iter().enumerate() {
            let t = cell.text().to_lowercase();
            if t.contains("both sexes") || t.contains("female") || t.contains("male") {
                let block = if t.contains("female") {
                    "female"
                } else if t.contains("both sexes") {
                    "both"
                } else {
                    "male"
                };
                for b in block_of_column.iter_mut().skip(c) {
                    *b = block.to_string();
                }
            }
        }
    }
    let year_column = |year: i32, block: &str| {
        sheet.rows[header].iter().enumerate().position(|(c, cell)| {
            number_cell(cell).is_some_and(|y| y == f64::from(year))
                && (block_of_column.get(c).map(String::as_str).unwrap_or("both") == block
                    || (block == "both" && block_of_column.get(c).is_some_and(|b| b.is_empty())))
        })
    };
    let mut columns = [0usize; 2];
    let mut female_columns = [None; 2];
    for (i, &year) in years.iter().enumerate() {
        columns[i] = year_column(year, "both").ok_or_else(|| {
            layout_error(format!(
                "{}: no column for {year} in the header row (the workbook's years are those of row {})",
                sheet.at(header, 0),
                header + 1
            ))
        })?;
        female_columns[i] = year_column(year, "female");
    }
    let mut world = None;
    let mut destinations = Vec::new();
    for r in header + 1..sheet.rows.len() {
        let Some(code) = number_cell(sheet.cell(r, code_column)) else {
            continue;
        };
        let name = sheet
            .cell(r, name_column)
            .text()
            .trim()
            .trim_end_matches('*')
            .trim()
            .to_string();
        let values = |cols: [Option<usize>; 2]| {
            [0, 1].map(|i| cols[i].and_then(|c| number_cell(sheet.cell(r, c))))
        };
        let both = values([Some(columns[0]), Some(columns[1])]);
        if code as u32 == 900 {
            let mut w = [0.0; 2];
            for i in 0..2 {
                w[i] = both[i].ok_or_else(|| {
                    layout_error(format!(
                        "{}: the WORLD figure for {} is missing (`{}`): the file holds no figure for that year",
                        sheet.at(r, columns[i]),
                        years[i],
                        sheet.cell(r, columns[i]).text()
                    ))
                })?;
            }
            world = Some((w, r));
        } else if code < 900.0 {
            destinations.push(Destination {
                row: r,
                code: code as u32,
                name,
                both,
                female: values(female_columns),
            });
        }
    }
    let (world, world_row) = world.ok_or_else(|| {
        layout_error(format!(
            "{}, sheet '{sheet_name}': no WORLD row (location code 900)",
            input.path.display()
        ))
    })?;
    Ok(StockTable {
        sheet,
        world,
        world_row,
        destinations,
        columns,
    })
}

/// One country of the M49 list.
#[derive(Debug, Clone)]
pub struct M49Country {
    pub iso3: String,
    pub name: String,
    pub area: String,
    pub subregion: String,
    pub region: String,
}

/// The six areas of the UN DESA tables, from an M49 row: the M49 region, with the Americas
/// split by sub-region into Northern America and Latin America and the Caribbean.
pub fn area_of(region: &str, subregion: &str) -> String {
    if subregion == "Northern America" {
        "Northern America".into()
    } else if region == "Americas" {
        "Latin America and the Caribbean".into()
    } else {
        region.to_string()
    }
}

/// Reads the UNSD M49 CSV by its headers: M49 code -> country.
pub fn read_m49(input: &Input) -> Result<HashMap<u32, M49Country>> {
    let (file, rows) = parse_csv_input(input)?;
    let header = &rows[0];
    let column = |name: &str| header_column(header, name);
    let wanted = [
        "M49 Code",
        "ISO-alpha3 Code",
        "Country or Area",
        "Region Name",
        "Sub-region Name",
    ];
    let columns: Vec<Option<usize>> = wanted.iter().map(|w| column(w)).collect();
    if columns.iter().any(Option::is_none) {
        let missing: Vec<&str> = wanted
            .iter()
            .zip(&columns)
            .filter(|(_, c)| c.is_none())
            .map(|(w, _)| *w)
            .collect();
        return Err(Error::from_diagnostics(
            &file,
            &[Diagnostic::at(
                header.span.clone(),
                format!(
                    "expected the UNSD M49 header, with the columns {}; missing: {}",
                    wanted.join(", "),
                    missing.join(", ")
                ),
            )],
            "nothing was written",
        ));
    }
    let c: Vec<usize> = columns.into_iter().map(Option::unwrap).collect();
    let mut out = HashMap::new();
    for row in rows.iter().skip(1) {
        let field = |i: usize| {
            row.fields
                .get(c[i])
                .map(|f| f.text.trim().to_string())
                .unwrap_or_default()
        };
        let Ok(code) = field(0).parse::<u32>() else {
            continue;
        };
        out.insert(
            code,
            M49Country {
                iso3: field(1),
                name: field(2),
                area: area_of(&field(3), &field(4)),
                subregion: field(4),
                region: field(3),
            },
        );
    }
    Ok(out)
}

/// What import builds: a scenario file's text and what it did, in words.
pub struct Imported {
    pub toml: String,
    pub notes: Vec<String>,
    pub regions: usize,
    pub areas: usize,
}

/// How destinations become the scenario's regions.
#[derive(Debug, Clone, PartialEq)]
pub enum Destinations {
    /// Every country or area of the workbook, with the six areas.
    Countries,
    /// M49 sub-regions, with the five M49 regions as areas.
    Subregions,
    /// The five M49 regions (Africa, Americas, Asia, Europe, Oceania), no areas.
    Regions,
    /// UN DESA's six areas (the Americas split), no areas.
    Areas,
    /// These countries (ISO3), every other country in "Other <area>".
    List(Vec<String>),
}

/// How the migrants' countries of origin are grouped.
#[derive(Debug, Clone, PartialEq)]
pub enum Origins {
    /// No origin groups.
    None,
    /// The World Bank income group of the origin as classified for `year`'s data (OGHIST):
    /// "Low and middle income" (L, LM, UM), "High income" (H), and "Unknown" (an origin the
    /// source does not record, or one the World Bank did not classify for that year).
    Income { year: i32 },
    /// These origin countries (ISO3) under `label`, against "Other origins" and "Unknown".
    List { iso3: Vec<String>, label: String },
}

impl Origins {
    pub fn groups(&self) -> Vec<String> {
        match self {
            Origins::None => Vec::new(),
            Origins::Income { .. } => vec![
                "Low and middle income".into(),
                "High income".into(),
                "Unknown".into(),
            ],
            Origins::List { label, .. } => {
                vec![label.clone(), "Other origins".into(), "Unknown".into()]
            }
        }
    }
}

/// Settings of an import.
#[derive(Debug, Clone)]
pub struct Settings {
    pub name: String,
    pub years: [i32; 2],
    pub end_year: i32,
    /// Countries below this calibration-year stock are merged into "Other <area>".
    pub min_stock: f64,
    pub trajectories: usize,
    /// Write the country panel's uncertainty estimates instead of the defaults.
    pub country_estimates: bool,
    pub destinations: Destinations,
    pub origins: Origins,
}

/// The official files an import reads (the origin file and OGHIST only with origin groups;
/// the ODA table only when asked for).
pub struct Inputs {
    pub stock: Input,
    pub m49: Input,
    pub wdi: Input,
    pub wdi_meta: Input,
    pub origin: Option<Input>,
    pub oghist: Option<Input>,
    pub oda: Option<Input>,
}

/// A region of the imported scenario.
#[derive(Debug, Clone)]
struct RegionOut {
    name: String,
    area: String,
    both: [f64; 2],
    female: [f64; 2],
    /// By origin group, the two figures (empty without origin groups).
    groups: Vec<[f64; 2]>,
    comment: String,
}

impl RegionOut {
    fn add(&mut self, both: [f64; 2], female: [f64; 2], groups: &[[f64; 2]]) {
        for i in 0..2 {
            self.both[i] += both[i];
            self.female[i] += female[i];
        }
        if self.groups.len() < groups.len() {
            self.groups.resize(groups.len(), [0.0; 2]);
        }
        for (mine, theirs) in self.groups.iter_mut().zip(groups) {
            for i in 0..2 {
                mine[i] += theirs[i];
            }
        }
    }
}

fn toml_string(s: &str) -> String {
    format!("{s:?}")
}

/// The M49 country of a workbook row; two codes of UN DESA's tables are not in UNSD's list:
/// Taiwan Province of China (158, Eastern Asia) and the Channel Islands (830, Northern
/// Europe), placed in the sub-regions UN DESA lists them under.
fn country_of(countries: &HashMap<u32, M49Country>, d: &Destination) -> Option<M49Country> {
    match (countries.get(&d.code), d.code) {
        (Some(c), _) => Some(c.clone()),
        (None, 158 | 830) => {
            let (iso3, region, subregion) = if d.code == 158 {
                ("TWN", "Asia", "Eastern Asia")
            } else {
                ("CHI", "Europe", "Northern Europe")
            };
            Some(M49Country {
                iso3: iso3.into(),
                name: d.name.clone(),
                area: area_of(region, subregion),
                subregion: subregion.into(),
                region: region.into(),
            })
        }
        (None, _) => None,
    }
}

/// The origin file's codes that differ from M49's ISO3 (the Channel Islands: XCX in IMS,
/// CHI in the World Bank's files and here).
fn common_code(iso3: &str) -> &str {
    match iso3 {
        "XCX" => "CHI",
        other => other,
    }
}

/// The group of an origin country (ISO3, or OOO for "not recorded").
fn origin_group(origins: &Origins, income: &HashMap<String, String>, iso3: &str) -> usize {
    match origins {
        Origins::None => 0,
        Origins::Income { .. } => match income.get(common_code(iso3)).map(String::as_str) {
            Some("H") => 1,
            Some(_) => 0,
            None => 2,
        },
        Origins::List { iso3: list, .. } => {
            if iso3 == "OOO" {
                2
            } else if list.iter().any(|c| c == common_code(iso3)) {
                0
            } else {
                1
            }
        }
    }
}

/// The official files read and parsed once (an import rebuilds the scenario text from them
/// as it merges countries that cannot be calibrated).
pub struct Parsed {
    table: StockTable,
    population: StockTable,
    countries: HashMap<u32, M49Country>,
    receipts: Receipts,
    income: HashMap<String, String>,
    by_destination: BTreeMap<String, BTreeMap<String, [f64; 2]>>,
}

/// Reads every file an import of `settings` needs.
pub fn parse_inputs(inputs: &Inputs, settings: &Settings) -> Result<Parsed> {
    let with_groups = !settings.origins.groups().is_empty();
    let income = match (&settings.origins, &inputs.oghist) {
        (Origins::Income { year }, Some(oghist)) => read_oghist(oghist, *year)?,
        (Origins::Income { .. }, None) => {
            return Err(Error::InputPlain(
                "error: origin groups by income need the World Bank's OGHIST.xlsx (--oghist)"
                    .into(),
            ))
        }
        _ => HashMap::new(),
    };
    let by_destination = match (with_groups, &inputs.origin) {
        (true, Some(origin)) => read_origin_file(origin, settings.years)?,
        (true, None) => {
            return Err(Error::InputPlain(
                "error: origin groups need the IMS 2020 file by destination, origin and sex (--origin-file), or --origins none".into(),
            ))
        }
        (false, _) => BTreeMap::new(),
    };
    Ok(Parsed {
        table: read_stock_table(&inputs.stock, "Table 1", settings.years)?,
        population: read_stock_table(&inputs.stock, "Table 2", settings.years)?,
        countries: read_m49(&inputs.m49)?,
        receipts: read_wdi(&inputs.wdi, &inputs.wdi_meta, settings.years)?,
        income,
        by_destination,
    })
}

/// Builds the scenario text: destinations (countries or their aggregates), areas, origin
/// groups, receipts and, when asked, official aid as a comparison series. `uncalibratable`
/// and `padding` name countries merged into their area's residual region.
pub fn import_scenario(
    inputs: &Inputs,
    parsed: &Parsed,
    settings: &Settings,
    uncalibratable: &[String],
    padding: &[String],
) -> Result<Imported> {
    let Parsed {
        table,
        population,
        countries,
        receipts,
        income,
        by_destination,
    } = parsed;
    let [y0, y1] = settings.years;
    let groups = settings.origins.groups();
    let with_groups = !groups.is_empty();
    let mut notes = Vec::new();
    // Origins counted in "Unknown" because no group is known for them (income groups).
    if let Origins::Income { year } = settings.origins {
        let mut unclassified: BTreeMap<String, [f64; 2]> = BTreeMap::new();
        for by_origin in by_destination.values() {
            for (origin, figures) in by_origin {
                if origin != "OOO" && !income.contains_key(common_code(origin)) {
                    let entry = unclassified.entry(origin.clone()).or_default();
                    for i in 0..2 {
                        entry[i] += figures[i];
                    }
                }
            }
        }
        if !unclassified.is_empty() {
            notes.push(format!(
                "origins without a World Bank income group for {year}'s data, counted in \"Unknown\" with the unrecorded origins (OOO): {}",
                unclassified
                    .iter()
                    .map(|(c, f)| format!("{c} ({} and {})", f[0], f[1]))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let aggregate = !matches!(
        settings.destinations,
        Destinations::Countries | Destinations::List(_)
    );
    let mut regions: Vec<RegionOut> = Vec::new();
    let mut residual: BTreeMap<String, RegionOut> = BTreeMap::new();
    let mut merged: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut listed_found: Vec<String> = Vec::new();
    let mut folded: Vec<String> = Vec::new();
    let mut unrecorded: Vec<String> = Vec::new();
    for d in &table.destinations {
        let Some(country) = country_of(countries, d) else {
            return Err(layout_error(format!(
                "{}: location code {} ({}) is not in the M49 list `{}`",
                table.sheet.at(d.row, 0),
                d.code,
                d.name,
                inputs.m49.path.display()
            )));
        };
        let both = [d.both[0].unwrap_or(0.0), d.both[1].unwrap_or(0.0)];
        let female = [
            d.female[0].unwrap_or(both[0] / 2.0),
            d.female[1].unwrap_or(both[1] / 2.0),
        ];
        // The origin groups' figures of this destination, in a year with a Table 1 figure.
        let mut by_group = vec![[0.0; 2]; groups.len()];
        let mut group_reason = None;
        if with_groups {
            let code = if country.iso3 == "CHI" {
                "XCX"
            } else {
                country.iso3.as_str()
            };
            match by_destination.get(code) {
                Some(by_origin) => {
                    for (origin, figures) in by_origin {
                        let g = origin_group(&settings.origins, income, origin);
                        for i in 0..2 {
                            if d.both[i].is_some() {
                                by_group[g][i] += figures[i];
                            }
                        }
                    }
                    // Origins short of Table 1's figure: the rest is of unknown origin (the
                    // last group), listed; origins above it cannot be reconciled: merged.
                    for i in 0..2 {
                        let sum: f64 = by_group.iter().map(|f| f[i]).sum();
                        if sum < both[i] - 0.5 {
                            unrecorded.push(format!(
                                "{}: {} in {}",
                                d.name,
                                both[i] - sum,
                                settings.years[i]
                            ));
                            by_group[groups.len() - 1][i] += both[i] - sum;
                        } else if sum > both[i] + 0.5 {
                            group_reason = Some(format!(
                                "its origins sum to {sum} in {}, Table 1 says {}",
                                settings.years[i], both[i]
                            ));
                        }
                    }
                    // A group with migrants in one year only cannot be calibrated. Under 1% of
                    // the country's stock in both years, it is counted with the country's
                    // largest group (listed); otherwise the country is merged. (An aggregate
                    // of countries needs this of its sums only, below.)
                    for g in 0..by_group.len() {
                        let f = by_group[g];
                        if aggregate || (f[0] == 0.0) == (f[1] == 0.0) {
                            continue;
                        }
                        let small = (0..2).all(|i| f[i] < 0.01 * both[i]);
                        let largest = (0..by_group.len())
                            .filter(|&o| o != g)
                            .max_by(|&a, &b| by_group[a][1].total_cmp(&by_group[b][1]))
                            .filter(|&o| by_group[o][0] > 0.0 && by_group[o][1] > 0.0);
                        match (small, largest) {
                            (true, Some(o)) => {
                                folded.push(format!(
                                    "{}: \"{}\" ({} and {}) counted with \"{}\"",
                                    d.name, groups[g], f[0], f[1], groups[o]
                                ));
                                for i in 0..2 {
                                    by_group[o][i] += f[i];
                                }
                                by_group[g] = [0.0; 2];
                            }
                            _ => {
                                group_reason.get_or_insert(format!(
                                    "no migrants from \"{}\" in one of the years ({} and {})",
                                    groups[g], f[0], f[1]
                                ));
                            }
                        }
                    }
                }
                None if both[0] > 0.0 || both[1] > 0.0 => {
                    // No origins recorded for this destination: all of unknown origin.
                    unrecorded.push(format!("{}: all (not in the origin file)", d.name));
                    by_group[groups.len() - 1] = both;
                }
                None => {}
            }
        }
        let comment = format!(
            "# {} (M49 {}, {}): IMS 2020 'Table 1' row {}{}",
            d.name,
            d.code,
            country.iso3,
            d.row + 1,
            if with_groups {
                format!(
                    "; origin groups: the origin file's rows with geo = {}",
                    if country.iso3 == "CHI" {
                        "XCX"
                    } else {
                        &country.iso3
                    }
                )
            } else {
                String::new()
            }
        );
        if aggregate {
            let (name, area) = match settings.destinations {
                Destinations::Subregions => (country.subregion.clone(), country.region.clone()),
                Destinations::Regions => (country.region.clone(), String::new()),
                _ => (country.area.clone(), String::new()),
            };
            if let Some(reason) = group_reason {
                return Err(Error::InputPlain(format!(
                    "error: {}: {reason}; nothing was written",
                    table.sheet.at(d.row, 0)
                )));
            }
            match regions.iter_mut().find(|r| r.name == name) {
                Some(r) => r.add(both, female, &by_group),
                None => {
                    let mut r = RegionOut {
                        name: name.clone(),
                        area,
                        both: [0.0; 2],
                        female: [0.0; 2],
                        groups: Vec::new(),
                        comment: format!(
                            "# {name}: the sum of its countries' rows of IMS 2020 'Table 1'{}",
                            if with_groups {
                                " and of the origin file"
                            } else {
                                ""
                            }
                        ),
                    };
                    r.add(both, female, &by_group);
                    regions.push(r);
                }
            }
            continue;
        }
        let listed = match &settings.destinations {
            Destinations::List(list) => {
                let yes = list.contains(&country.iso3);
                if yes {
                    listed_found.push(country.iso3.clone());
                }
                yes
            }
            _ => true,
        };
        let reason =
            match (d.both[0], d.both[1]) {
                _ if !listed => Some("not listed".to_string()),
                _ if uncalibratable.contains(&d.name) => {
                    Some(format!(
                "no arrival growth in -0.5..=0.5 takes its {y0} figure{} to its {y1} figure{}",
                if with_groups { "s (by origin group)" } else { "" },
                if with_groups { "s" } else { "" }
            ))
                }
                _ if padding.contains(&d.name) => Some(format!(
                    "the smallest left, merged so that \"Other {}\" can be calibrated",
                    country.area
                )),
                (None, _) | (_, None) => Some("a figure missing".to_string()),
                (Some(a), Some(b)) if a <= 0.0 || b <= 0.0 => {
                    Some("no migrants in one of the years".to_string())
                }
                (Some(_), Some(b)) if b < settings.min_stock => {
                    Some(format!("below {} migrants in {y1}", settings.min_stock))
                }
                _ => group_reason,
            };
        match reason {
            None => regions.push(RegionOut {
                name: d.name.clone(),
                area: country.area.clone(),
                both,
                female,
                groups: by_group,
                comment,
            }),
            Some(reason) => {
                residual
                    .entry(country.area.clone())
                    .or_insert_with(|| RegionOut {
                        name: format!("Other {}", country.area),
                        area: country.area.clone(),
                        both: [0.0; 2],
                        female: [0.0; 2],
                        groups: vec![[0.0; 2]; groups.len()],
                        comment: String::new(),
                    })
                    .add(both, female, &by_group);
                if listed {
                    merged
                        .entry(country.area.clone())
                        .or_default()
                        .push(format!("{} ({reason})", d.name));
                }
            }
        }
    }
    if aggregate {
        for r in &regions {
            if let Some(g) = r.groups.iter().position(|f| (f[0] == 0.0) != (f[1] == 0.0)) {
                return Err(Error::InputPlain(format!(
                    "error: the region \"{}\" has no migrants from \"{}\" in one of the years ({} and {}); a stream cannot be calibrated from or to nothing; choose other --destinations or --origins; nothing was written",
                    r.name, groups[g], r.groups[g][0], r.groups[g][1]
                )));
            }
        }
    }
    if let Destinations::List(list) = &settings.destinations {
        if let Some(missing) = list.iter().find(|c| !listed_found.contains(c)) {
            return Err(Error::InputPlain(format!(
                "error: the destination {missing} is not a row of {}, sheet 'Table 1'; nothing was written",
                inputs.stock.path.display()
            )));
        }
    }
    if !unrecorded.is_empty() {
        notes.push(format!(
            "migrants of Table 1 that the origin file does not place, counted in \"{}\": {}",
            groups[groups.len() - 1],
            unrecorded.join("; ")
        ));
    }
    if !folded.is_empty() {
        notes.push(format!(
            "an origin group with migrants in one year only, under 1% of the country's stock, counted with the country's largest group: {}",
            folded.join("; ")
        ));
    }
    for (area, list) in &merged {
        notes.push(format!("merged into \"Other {area}\": {}", list.join("; ")));
    }
    for (area, mut r) in residual {
        r.comment = format!(
            "# the other countries of {area}, summed (IMS 2020 'Table 1'{})",
            if with_groups {
                " and the origin file"
            } else {
                ""
            }
        );
        let empty_in_one_year = r.groups.iter().any(|f| (f[0] == 0.0) != (f[1] == 0.0));
        if r.both[0] > 0.0 && r.both[1] > 0.0 && !empty_in_one_year {
            regions.push(r);
        } else {
            notes.push(format!(
                "\"Other {area}\" is left out ({} and {} persons{}): no migrants in a year{}",
                r.both[0],
                r.both[1],
                if with_groups { " in all" } else { "" },
                if empty_in_one_year {
                    " in one of its origin groups"
                } else {
                    ""
                }
            ));
        }
    }
    // The scenario's stocks: the groups' sums with origin groups.
    let total: [f64; 2] = [0, 1].map(|i| {
        regions
            .iter()
            .map(|r| {
                if with_groups {
                    r.groups.iter().map(|f| f[i]).sum()
                } else {
                    r.both[i]
                }
            })
            .sum()
    });
    for i in 0..2 {
        if (total[i] - table.world[i]).abs() > 0.5 {
            notes.push(format!(
                "the regions sum to {} in {}, the WORLD row ({}) says {}",
                total[i],
                settings.years[i],
                table.sheet.at(table.world_row, table.columns[i]),
                table.world[i]
            ));
        }
    }
    // Areas: every area needs two regions or more (MODEL.md section 14); otherwise none.
    let mut areas: Vec<String> = regions
        .iter()
        .map(|r| r.area.clone())
        .filter(|a| !a.is_empty())
        .collect();
    areas.sort();
    areas.dedup();
    let thin: Vec<&String> = areas
        .iter()
        .filter(|a| regions.iter().filter(|r| &r.area == *a).count() < 2)
        .collect();
    if !thin.is_empty() {
        if !matches!(settings.destinations, Destinations::List(_)) {
            notes.push(format!(
                "no [areas]: {} would hold a single region",
                thin.iter()
                    .map(|a| format!("\"{a}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        areas.clear();
    }
    let mut text = format!(
        "# Imported by `migproj import` from the official files (figures of {y0} and {y1}):\n\
         #   {} (sha256 {})\n#   {} (sha256 {})\n",
        inputs.stock.path.display(),
        inputs.stock.sha256,
        inputs.m49.path.display(),
        inputs.m49.sha256
    );
    for input in [&inputs.origin, &inputs.oghist].into_iter().flatten() {
        if with_groups {
            text += &format!("#   {} (sha256 {})\n", input.path.display(), input.sha256);
        }
    }
    text +=
        "# Stocks: UN DESA International Migrant Stock 2020, 'Table 1' (both sexes; the female\n\
             # share of arrivals is the calibration-year share of women in the stock, from the\n\
             # females block). World population: 'Table 2' WORLD row (thousands x 1000).\n";
    text += &match settings.destinations {
        Destinations::Countries | Destinations::List(_) => "# Destinations: countries or areas of 'Table 1'; areas: UNSD M49 regions, the Americas split into\n\
             # Northern America and Latin America and the Caribbean (UN DESA's areas).\n".to_string(),
        Destinations::Subregions => "# Destinations: UNSD M49 sub-regions (sums of their countries); areas: M49 regions.\n".to_string(),
        Destinations::Regions => "# Destinations: UNSD M49 regions (sums of their countries).\n".to_string(),
        Destinations::Areas => "# Destinations: UN DESA's six areas (M49 regions, the Americas split), sums of their countries.\n".to_string(),
    };
    match &settings.origins {
        Origins::None => {}
        Origins::Income { year } => {
            text += &format!(
                "# Origin groups: the origin file's stocks (both sexes summed) by the World Bank income group of\n\
                 # the country of origin as classified for {year}'s data (OGHIST.xlsx, sheet 'Country Analytical\n\
                 # History', the column whose 'Data for calendar year' is {year}): L, LM and UM are \"Low and middle\n\
                 # income\", H \"High income\"; a country not yet independent takes the group of the former economy\n\
                 # it was part of (Serbia and Montenegro: YUG; South Sudan: Sudan; USSR, Czechoslovakia,\n\
                 # Yugoslavia); \"Unknown\" holds the unrecorded origins (OOO) and origins without a group for\n\
                 # that year. The Channel Islands (XCX) are the World Bank's CHI.\n"
            );
        }
        Origins::List { iso3, label } => {
            text += &format!(
                "# Origin groups: the origin file's stocks (both sexes summed): \"{label}\" = born in {}; \"Other\n\
                 # origins\" every other recorded origin; \"Unknown\" the unrecorded origins (OOO).\n",
                iso3.join(", ")
            );
        }
    }
    for note in &notes {
        text += &format!("# {note}\n");
    }
    let world_population = [0, 1].map(|i| population.world[i] * 1000.0);
    let title = match (&settings.destinations, &settings.origins) {
        (_, Origins::List { label, .. }) => format!(
            "Migrants from {label} and the rest of the world in {} destinations, IMS 2020",
            regions.len()
        ),
        (Destinations::Countries, _) => format!(
            "Migrant stocks of {} destinations and their areas, IMS 2020",
            regions.len()
        ),
        _ => format!("Migrant stocks of {} regions, IMS 2020", regions.len()),
    };
    // A list of destinations does not cover the world: its sum is named, not "World"
    // (issue 22 item 4). With one destination that region is the total.
    let total = match &settings.destinations {
        Destinations::List(_) if regions.len() > 1 => {
            "# The listed destinations do not cover the world: their sum is named here, not \"World\".\ntotal = \"Selected destinations\"\n"
        }
        _ => "",
    };
    text += &format!(
        "\n[scenario]\nname = {}\ntitle = {}\n{total}base_year = {y0}\ncalibration_year = {y1}\nend_year = {}\n\
         data_revision = {}\n\n\
         [world_population]   # IMS 2020 'Table 2', WORLD ({} and {})\npoints = {{ {y0} = {}, {y1} = {} }}\n\n",
        toml_string(&settings.name),
        toml_string(&title),
        settings.end_year,
        toml_string(&match &receipts.updated {
            Some(date) => format!("IMS 2020; WDI {date}"),
            None => "IMS 2020; WDI".to_string(),
        }),
        population.sheet.at(population.world_row, population.columns[0]),
        column_letters(population.columns[1]),
        world_population[0],
        world_population[1],
    );
    if !areas.is_empty() {
        text += &format!(
            "[areas]\nnames = [{}]\n\n",
            areas
                .iter()
                .map(|a| toml_string(a))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if with_groups {
        text += &format!(
            "[origins]\ngroups = [{}]\n\n",
            groups
                .iter()
                .map(|g| toml_string(g))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    text += &remittances_text(inputs, settings, receipts, income, &mut notes)?;
    if let Some(oda) = &inputs.oda {
        text += &oda_text(oda, settings)?;
    }
    for r in &regions {
        let share = (r.female[1] / r.both[1]).clamp(0.0, 1.0);
        text += &format!(
            "{}\n[[region]]\nname = {}\n",
            r.comment,
            toml_string(&r.name)
        );
        if !areas.is_empty() {
            text += &format!("area = {}\n", toml_string(&r.area));
        }
        text += &format!("female_share = {share:.4}\n");
        if with_groups {
            text += "[region.stock]\n";
            for (i, year) in settings.years.iter().enumerate() {
                text += &format!(
                    "{year} = {{ {} }}\n",
                    groups
                        .iter()
                        .zip(&r.groups)
                        .map(|(g, f)| format!("{} = {}", toml_string(g), f[i]))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            text += "\n";
        } else {
            text += &format!(
                "stock = {{ {y0} = {}, {y1} = {} }}\n\n",
                r.both[0], r.both[1]
            );
        }
    }
    text += &uncertainty_text(settings);
    Ok(Imported {
        toml: text,
        notes,
        regions: regions.len(),
        areas: areas.len(),
    })
}

/// `[remittances]`: WDI receipts summed over the reporting economies, by origin group.
fn remittances_text(
    inputs: &Inputs,
    settings: &Settings,
    receipts: &Receipts,
    income: &HashMap<String, String>,
    notes: &mut Vec<String>,
) -> Result<String> {
    let [y0, y1] = settings.years;
    let mut text = format!(
        "[remittances]\n# WDI BX.TRF.PWKR.CD.DT, personal remittances received, current US$ ({}, sha256 {};\n\
         # economies: {}, sha256 {}). Each figure is the sum over the economies reporting in that year:\n\
         # an economy without a figure in a year is left out of that year's sum (the WDI's own aggregates\n\
         # are not sums of the reporting economies, so they are not used).\n",
        inputs.wdi.path.display(),
        inputs.wdi.sha256,
        inputs.wdi_meta.path.display(),
        inputs.wdi_meta.sha256,
    );
    let groups = settings.origins.groups();
    if groups.is_empty() {
        text += &format!(
            "# {} and {} economies report in {y0} and {y1}.\nreceived = {{ {y0} = {}, {y1} = {} }}\n\n",
            receipts.reporting[0], receipts.reporting[1], receipts.total[0], receipts.total[1]
        );
        return Ok(text);
    }
    // Receipts of each group: the economies of the group (the origin countries' own receipts).
    let mut sums = vec![[0.0f64; 2]; groups.len()];
    let mut counts = vec![[0usize; 2]; groups.len()];
    let mut unclassified = Vec::new();
    for (iso3, figures) in &receipts.by_economy {
        let g = match &settings.origins {
            Origins::Income { .. } if !income.contains_key(iso3.as_str()) => {
                if figures.iter().any(Option::is_some) {
                    unclassified.push(format!(
                        "{iso3} ({} and {})",
                        figures[0].map_or("-".into(), crate::output::number),
                        figures[1].map_or("-".into(), crate::output::number)
                    ));
                }
                continue;
            }
            origins => origin_group(origins, income, iso3),
        };
        for i in 0..2 {
            if let Some(v) = figures[i] {
                sums[g][i] += v;
                counts[g][i] += 1;
            }
        }
    }
    if !unclassified.is_empty() {
        notes.push(format!(
            "economies reporting remittances without an income group for the chosen year, left out of the groups' receipts: {}",
            unclassified.join(", ")
        ));
        text += &format!(
            "# Left out (no income group for the chosen year): {}.\n",
            unclassified.join(", ")
        );
    }
    text += "[remittances.received]\n";
    for (g, name) in groups.iter().enumerate() {
        match (counts[g][0] > 0, counts[g][1] > 0) {
            (true, true) => {
                text += &format!(
                    "# {} and {} economies report in {y0} and {y1}\n{} = {{ {y0} = {}, {y1} = {} }}\n",
                    counts[g][0],
                    counts[g][1],
                    toml_string(name),
                    sums[g][0],
                    sums[g][1]
                );
            }
            (false, false) => {
                text += &format!(
                    "# {}: no receipts (remittances not modelled for this group)\n",
                    toml_string(name)
                );
            }
            (has0, _) => {
                return Err(Error::InputPlain(format!(
                    "error: {}: no economy of the origin group \"{name}\" reports remittances in {}; a group's receipts need both years; nothing was written",
                    inputs.wdi.path.display(),
                    if has0 { y1 } else { y0 }
                )))
            }
        }
    }
    text += "\n";
    Ok(text)
}

/// `[comparison] oda`: net official development assistance received, from a table in the
/// layout of data/seeds.csv (series `oda_received`): to low- and middle-income countries with
/// income groups (compared with that group's receipts), to the World otherwise.
fn oda_text(oda: &Input, settings: &Settings) -> Result<String> {
    let (file, rows) = parse_csv_input(oda)?;
    let header = &rows[0];
    let column = |name: &str| header_column(header, name);
    let (Some(series), Some(region), Some(year), Some(value)) = (
        column("series"),
        column("region"),
        column("year"),
        column("value"),
    ) else {
        return Err(Error::from_diagnostics(
            &file,
            &[Diagnostic::at(
                header.span.clone(),
                "expected the columns series, region, year, value (the layout of data/seeds.csv)",
            )],
            "nothing was written",
        ));
    };
    let source = column("source");
    let (target, origin) = match settings.origins {
        Origins::Income { .. } => ("Low and middle income", Some("Low and middle income")),
        _ => ("World", None),
    };
    let mut points = [None; 2];
    let mut cite = String::new();
    for row in rows.iter().skip(1) {
        let field = |i: usize| row.fields.get(i).map(|f| f.text.trim()).unwrap_or("");
        if field(series) != "oda_received" || field(region) != target {
            continue;
        }
        let Some(i) = settings
            .years
            .iter()
            .position(|y| field(year) == y.to_string())
        else {
            continue;
        };
        let v = field(value)
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0);
        let Some(v) = v else {
            let (span, text) = match row.fields.get(value) {
                Some(f) => (f.span.clone(), f.text.as_str()),
                None => (row.span.clone(), ""),
            };
            return Err(field_error(&file, span, "an amount in US dollars", text));
        };
        points[i] = Some(v);
        if let Some(s) = source {
            cite = field(s).to_string();
        }
    }
    let [Some(a), Some(b)] = points else {
        return Err(Error::InputPlain(format!(
            "error: `{}` has no oda_received row for {target} in {} and {}; nothing was written",
            oda.path.display(),
            settings.years[0],
            settings.years[1]
        )));
    };
    let [y0, y1] = settings.years;
    Ok(format!(
        "[comparison]\n# {cite}\n# ({}, sha256 {}); held flat after {y1}: an explicit assumption, not a trend.\n\
         oda = {{ points = {{ {y0} = {a}, {y1} = {b} }}, after = \"flat\"{} }}\n\n",
        oda.path.display(),
        oda.sha256,
        origin.map_or(String::new(), |o| format!(", origin = {}", toml_string(o)))
    ))
}

/// `[uncertainty]`: the defaults (the areas' estimates), or with `country_estimates` those
/// of the destination-country panel (data/estimates/countries.toml, MODEL.md section 13).
fn uncertainty_text(settings: &Settings) -> String {
    if settings.country_estimates {
        let mut text = format!(
            "# Uncertainty: the estimates from the destination-country panel (data/estimates/countries.toml,\n\
             # MODEL.md section 13): countries' own growth swings far more than the areas'.\n\
             [uncertainty]\ntrajectories = {}\n",
            settings.trajectories
        );
        let mut section = "";
        for line in include_str!("../data/estimates/countries.toml").lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.starts_with('[') {
                section = if line == "[uncertainty]" { "u" } else { "" };
            } else if section == "u" && !line.is_empty() {
                text += line;
                text += "\n";
            }
        }
        text
    } else {
        format!(
            "# Uncertainty: the defaults, estimated from the six areas' history (docs/model.md). The\n\
             # country-level estimates (data/estimates/countries.toml, `migproj import\n\
             # --country-estimates`) have yearly shocks of 23.5 points to a country's arrival growth,\n\
             # a random walk that carries single trajectories of large countries past the world's\n\
             # population within 30 years, which MODEL.md section 9 refuses to run.\n\
             [uncertainty]\ntrajectories = {}\n",
            settings.trajectories
        )
    }
}

/// The IMS 2020 file by destination, origin and sex (long CSV; columns found by their
/// headers `geo`, `t`, `from`, `n`): destination -> origin -> the two years' stocks (both
/// sexes summed).
pub fn read_origin_file(
    input: &Input,
    years: [i32; 2],
) -> Result<BTreeMap<String, BTreeMap<String, [f64; 2]>>> {
    let file = SourceFile::new(
        &input.path,
        String::from_utf8_lossy(&input.bytes).replace('\r', ""),
    );
    let year_text = years.map(|y| y.to_string());
    // Only the rows of the two years are kept (the full file has every year since 1990).
    let mut year_column: Option<Option<usize>> = None;
    let rows = parse_csv_keeping(&file.text, &mut |header, row| {
        let t = *year_column.get_or_insert_with(|| header_column(header, "t"));
        match t {
            Some(t) => row
                .fields
                .get(t)
                .is_some_and(|f| year_text.iter().any(|y| y == f.text.trim())),
            None => false,
        }
    });
    let rows = match rows {
        Ok(rows) => rows,
        Err(d) => return Err(Error::from_diagnostics(&file, &[d], "nothing was written")),
    };
    let mut columns = [0usize; 4];
    let header = rows
        .first()
        .ok_or_else(|| layout_error(format!("`{}` is empty", input.path.display())))?;
    let wanted = ["geo", "t", "from", "n"];
    for (k, name) in wanted.iter().enumerate() {
        match header_column(header, name) {
            Some(c) => columns[k] = c,
            None => {
                return Err(Error::from_diagnostics(
                    &file,
                    &[Diagnostic::at(
                        header.span.clone(),
                        format!(
                            "expected the header of the IMS 2020 origin file, with the columns geo, t, from, sex, n; no `{name}`"
                        ),
                    )],
                    "nothing was written",
                ))
            }
        }
    }
    let mut out: BTreeMap<String, BTreeMap<String, [f64; 2]>> = BTreeMap::new();
    for row in rows.iter().skip(1) {
        let field = |k: usize| row.fields.get(columns[k]);
        let (Some(geo), Some(t), Some(from), Some(n)) = (field(0), field(1), field(2), field(3))
        else {
            return Err(Error::from_diagnostics(
                &file,
                &[Diagnostic::at(
                    row.span.clone(),
                    format!("expected {} fields, as the header has", header.fields.len()),
                )],
                "nothing was written",
            ));
        };
        let Some(i) = year_text.iter().position(|y| y == t.text.trim()) else {
            continue;
        };
        let persons = n
            .text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0);
        let Some(persons) = persons else {
            return Err(field_error(
                &file,
                n.span.clone(),
                "a number of persons (`n`)",
                &n.text,
            ));
        };
        out.entry(geo.text.trim().to_string())
            .or_default()
            .entry(from.text.trim().to_string())
            .or_default()[i] += persons;
    }
    for (i, year) in years.iter().enumerate() {
        if !out.values().flat_map(|o| o.values()).any(|f| f[i] > 0.0) {
            return Err(layout_error(format!(
                "`{}`: no stock for {year}: the file holds no figure for that year",
                input.path.display()
            )));
        }
    }
    Ok(out)
}

/// Successor states and the former economies (OGHIST's codes) they were part of.
const SUCCESSORS: &[(&[&str], &[&str])] = &[
    (&["SRB", "MNE"], &["YUG", "YUGf"]),
    (&["SSD"], &["SDN"]),
    (
        &[
            "ARM", "AZE", "BLR", "EST", "GEO", "KAZ", "KGZ", "LVA", "LTU", "MDA", "RUS", "TJK",
            "TKM", "UKR", "UZB",
        ],
        &["SUN"],
    ),
    (&["CZE", "SVK"], &["CSK"]),
    (&["HRV", "SVN", "BIH", "MKD"], &["YUGf"]),
];

/// The World Bank's historical income classification (OGHIST.xlsx, sheet 'Country
/// Analytical History'): ISO3 -> group (L, LM, UM, H) for the column whose "Data for
/// calendar year" is `year`; economies shown as `..` or blank that year are left out.
pub fn read_oghist(input: &Input, year: i32) -> Result<HashMap<String, String>> {
    let sheet = read_sheet(input, "Country Analytical History")?;
    let label_row = sheet
        .find_row(30, |t| {
            t.to_lowercase().starts_with("data for calendar year")
        })
        .ok_or_else(|| {
            layout_error(format!(
                "{}, sheet 'Country Analytical History': no row labelled 'Data for calendar year' in its first 30 rows",
                input.path.display()
            ))
        })?;
    let column = sheet.rows[label_row]
        .iter()
        .position(|c| number_cell(c).is_some_and(|y| y == f64::from(year)))
        .ok_or_else(|| {
            layout_error(format!(
                "{}: no column for {year}'s data in the row 'Data for calendar year'",
                sheet.at(label_row, 0)
            ))
        })?;
    let mut out = HashMap::new();
    for r in label_row + 1..sheet.rows.len() {
        let code = sheet.cell(r, 0).text().trim().to_string();
        // ISO3 codes, and the former economies' (YUGf: Yugoslavia before 1992).
        if !(3..=4).contains(&code.len()) || !code[..3].chars().all(|c| c.is_ascii_uppercase()) {
            continue;
        }
        let value = sheet.cell(r, column).text();
        let value = value.trim().trim_end_matches('*');
        match value {
            "L" | "LM" | "UM" | "H" => {
                out.insert(code, value.to_string());
            }
            "" | ".." => {}
            other => {
                return Err(layout_error(format!(
                    "{}: expected an income group (L, LM, UM, H or ..), found `{}`",
                    sheet.at(r, column),
                    crate::error::clip(other, 20)
                )))
            }
        }
    }
    // A country that did not yet exist in the data year takes the group of the economy it was
    // part of then (OGHIST's former economies): Serbia and Montenegro, South Sudan, the
    // successors of the USSR, Czechoslovakia and Yugoslavia.
    for (successors, former) in SUCCESSORS {
        for successor in *successors {
            if out.contains_key(*successor) {
                continue;
            }
            if let Some(group) = former.iter().find_map(|f| out.get(*f)).cloned() {
                out.insert(successor.to_string(), group);
            }
        }
    }
    if out.is_empty() {
        return Err(layout_error(format!(
            "{}: no economy has an income group for {year}'s data",
            sheet.at(label_row, column)
        )));
    }
    Ok(out)
}

/// WDI receipts of the two years: summed over the economies (metadata rows with a Region)
/// that report a figure.
pub struct Receipts {
    /// The download's "Last Updated Date" (its edition), when its title lines give one.
    pub updated: Option<String>,
    pub total: [f64; 2],
    pub reporting: [usize; 2],
    /// By economy (ISO3): the two figures where reported.
    pub by_economy: BTreeMap<String, [Option<f64>; 2]>,
}

/// Reads the WDI bulk CSV (title lines, then the header "Country Name","Country Code",...,
/// "1960",...) and its country metadata ("Country Code","Region",...).
pub fn read_wdi(wdi: &Input, meta: &Input, years: [i32; 2]) -> Result<Receipts> {
    let text = String::from_utf8_lossy(&wdi.bytes).replace('\r', "");
    let file = SourceFile::new(&wdi.path, text);
    // The header is the first line that names "Country Code"; the title lines before it are
    // not CSV records of the same width, so the table starts there.
    let start = file
        .text
        .lines()
        .scan(0usize, |offset, line| {
            let here = *offset;
            *offset += line.len() + 1;
            Some((here, line))
        })
        .find(|(_, line)| line.contains("\"Country Code\"") || line.starts_with("Country Name,"))
        .map(|(offset, _)| offset)
        .ok_or_else(|| {
            layout_error(format!(
                "`{}` is not a WDI bulk download: no header line naming \"Country Code\"",
                wdi.path.display()
            ))
        })?;
    let rows = parse_csv(&file.text[start..])
        .map_err(|d| Error::from_diagnostics(&file, &[d], "nothing was written"))?;
    let header = &rows[0];
    let column = |name: &str| header_column(header, name);
    let code = column("Country Code").ok_or_else(|| {
        layout_error(format!(
            "`{}`: no \"Country Code\" column",
            wdi.path.display()
        ))
    })?;
    let year_columns: Vec<usize> = years
        .iter()
        .map(|y| {
            column(&y.to_string()).ok_or_else(|| {
                layout_error(format!(
                    "`{}`: no column for {y} in the header (line {})",
                    wdi.path.display(),
                    file.text[..start].lines().count() + 1
                ))
            })
        })
        .collect::<Result<_>>()?;
    let (_, meta_rows) = parse_csv_input(meta)?;
    let meta_column = |name: &str| header_column(&meta_rows[0], name);
    let (Some(meta_code), Some(meta_region)) = (meta_column("Country Code"), meta_column("Region"))
    else {
        return Err(layout_error(format!(
            "`{}` is not the WDI country metadata: expected the columns \"Country Code\" and \"Region\"",
            meta.path.display()
        )));
    };
    let economies: std::collections::HashSet<String> = meta_rows
        .iter()
        .skip(1)
        .filter(|r| {
            r.fields
                .get(meta_region)
                .is_some_and(|f| !f.text.trim().is_empty())
        })
        .filter_map(|r| r.fields.get(meta_code).map(|f| f.text.trim().to_string()))
        .collect();
    if economies.is_empty() {
        return Err(layout_error(format!(
            "`{}`: no economy (a row with a Region)",
            meta.path.display()
        )));
    }
    let updated = file.text[..start].lines().find_map(|line| {
        let fields: Vec<&str> = line
            .split(',')
            .map(|f| f.trim().trim_matches('"'))
            .collect();
        (fields.first() == Some(&"Last Updated Date"))
            .then(|| fields.get(1).map(|d| d.to_string()))
            .flatten()
            .filter(|d| !d.is_empty() && d.len() <= 20)
    });
    let mut receipts = Receipts {
        updated,
        total: [0.0; 2],
        reporting: [0; 2],
        by_economy: BTreeMap::new(),
    };
    for row in rows.iter().skip(1) {
        let Some(iso3) = row.fields.get(code).map(|f| f.text.trim().to_string()) else {
            continue;
        };
        if !economies.contains(&iso3) {
            continue;
        }
        let mut figures = [None; 2];
        for i in 0..2 {
            let Some(field) = row.fields.get(year_columns[i]) else {
                continue;
            };
            let t = field.text.trim();
            if t.is_empty() {
                continue;
            }
            match t.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => {
                    figures[i] = Some(v);
                    receipts.total[i] += v;
                    receipts.reporting[i] += 1;
                }
                _ => {
                    return Err(field_error(
                        &file,
                        start + field.span.start..start + field.span.end,
                        &format!("an amount in US dollars for {iso3} in {}", years[i]),
                        t,
                    ))
                }
            }
        }
        receipts.by_economy.insert(iso3, figures);
    }
    for i in 0..2 {
        if receipts.reporting[i] == 0 {
            return Err(layout_error(format!(
                "`{}`: no economy reports remittances in {}: the file holds no figure for that year",
                wdi.path.display(),
                years[i]
            )));
        }
    }
    Ok(receipts)
}

#[cfg(test)]
mod tests {
    #[test]
    fn column_letters_as_excel_names_them() {
        assert_eq!(super::column_letters(0), "A");
        assert_eq!(super::column_letters(25), "Z");
        assert_eq!(super::column_letters(26), "AA");
        assert_eq!(super::column_letters(701), "ZZ");
        assert_eq!(super::column_letters(702), "AAA");
    }
}
