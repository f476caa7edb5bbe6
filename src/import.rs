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
use crate::scenario::csv_table::parse_csv;
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
    let header = (0..sheet.rows.len().min(100))
        .find(|&r| {
            sheet.rows[r]
                .iter()
                .any(|c| c.text().trim().eq_ignore_ascii_case("Location code"))
        })
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
    let file = SourceFile::new(
        &input.path,
        String::from_utf8_lossy(&input.bytes).into_owned(),
    );
    let rows = parse_csv(&file.text)
        .map_err(|d| Error::from_diagnostics(&file, &[d], "nothing was written"))?;
    let header = rows
        .first()
        .ok_or_else(|| layout_error(format!("`{}` is empty", input.path.display())))?;
    let column = |name: &str| {
        header
            .fields
            .iter()
            .position(|f| f.text.trim().trim_start_matches('\u{feff}') == name)
    };
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
}

/// A region of the imported scenario.
#[derive(Debug, Clone)]
struct RegionOut {
    name: String,
    area: String,
    both: [f64; 2],
    female: [f64; 2],
    comment: String,
}

fn toml_string(s: &str) -> String {
    format!("{s:?}")
}

/// Builds the scenario text of destination countries with areas (no origin groups).
pub fn import_countries(
    stock: &Input,
    m49: &Input,
    wdi: &Input,
    wdi_meta: &Input,
    settings: &Settings,
    uncalibratable: &[String],
) -> Result<Imported> {
    let table = read_stock_table(stock, "Table 1", settings.years)?;
    let population = read_stock_table(stock, "Table 2", settings.years)?;
    let countries = read_m49(m49)?;
    let receipts = read_wdi(wdi, wdi_meta, settings.years)?;
    let remittances_text = format!(
        "[remittances]\n# WDI BX.TRF.PWKR.CD.DT, personal remittances received, current US$ ({}, sha256 {};\n\
         # economies: {}, sha256 {}): the sum over the {} and {} economies reporting in {} and {}\n\
         # (economies without a figure in a year are left out of that year's sum; the WDI's own\n\
         # aggregates are not sums of the reporting economies, so they are not used).\n\
         received = {{ {} = {}, {} = {} }}\n\n",
        wdi.path.display(),
        wdi.sha256,
        wdi_meta.path.display(),
        wdi_meta.sha256,
        receipts.reporting[0],
        receipts.reporting[1],
        settings.years[0],
        settings.years[1],
        settings.years[0],
        receipts.total[0],
        settings.years[1],
        receipts.total[1],
    );
    let [y0, y1] = settings.years;
    let mut notes = Vec::new();
    let mut regions: Vec<RegionOut> = Vec::new();
    let mut residual: BTreeMap<String, RegionOut> = BTreeMap::new();
    let mut merged: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in &table.destinations {
        // Two codes of UN DESA's tables are not in UNSD's M49 list: Taiwan Province of China
        // (158, Eastern Asia) and the Channel Islands (830, Northern Europe); their areas are
        // those of the sub-regions UN DESA lists them under.
        let known;
        let country = match (countries.get(&d.code), d.code) {
            (Some(c), _) => Some(c),
            (None, 158 | 830) => {
                let (iso3, region, subregion) = if d.code == 158 {
                    ("TWN", "Asia", "Eastern Asia")
                } else {
                    ("CHI", "Europe", "Northern Europe")
                };
                known = M49Country {
                    iso3: iso3.into(),
                    name: d.name.clone(),
                    area: area_of(region, subregion),
                    subregion: subregion.into(),
                    region: region.into(),
                };
                Some(&known)
            }
            (None, _) => None,
        };
        let Some(country) = country else {
            return Err(layout_error(format!(
                "{}: location code {} ({}) is not in the M49 list `{}`",
                table.sheet.at(d.row, 0),
                d.code,
                d.name,
                m49.path.display()
            )));
        };
        let reason = match (d.both[0], d.both[1]) {
            _ if uncalibratable.contains(&d.name) => Some(format!(
                "no arrival growth in -0.5..=0.5 takes its {y0} figure to its {y1} figure"
            )),
            (Some(a), Some(b)) if a > 0.0 && b > 0.0 && b >= settings.min_stock => None,
            (Some(a), Some(b)) if a > 0.0 && b > 0.0 => {
                Some(format!("below {} migrants in {y1}", settings.min_stock))
            }
            (None, _) | (_, None) => Some("a figure missing".to_string()),
            _ => Some("no migrants in one of the years".to_string()),
        };
        let both = [d.both[0].unwrap_or(0.0), d.both[1].unwrap_or(0.0)];
        let female = [
            d.female[0].unwrap_or(both[0] / 2.0),
            d.female[1].unwrap_or(both[1] / 2.0),
        ];
        let comment = format!(
            "# {} (M49 {}, {}): IMS 2020 'Table 1' row {}",
            d.name,
            d.code,
            country.iso3,
            d.row + 1
        );
        match reason {
            None => regions.push(RegionOut {
                name: d.name.clone(),
                area: country.area.clone(),
                both,
                female,
                comment,
            }),
            Some(reason) => {
                let entry = residual
                    .entry(country.area.clone())
                    .or_insert_with(|| RegionOut {
                        name: format!("Other {}", country.area),
                        area: country.area.clone(),
                        both: [0.0; 2],
                        female: [0.0; 2],
                        comment: String::new(),
                    });
                for i in 0..2 {
                    entry.both[i] += both[i];
                    entry.female[i] += female[i];
                }
                merged
                    .entry(country.area.clone())
                    .or_default()
                    .push(format!("{} ({reason})", d.name));
            }
        }
    }
    for (area, list) in &merged {
        notes.push(format!("merged into \"Other {area}\": {}", list.join("; ")));
    }
    for (area, mut r) in residual {
        r.comment = format!(
            "# the countries of {area} listed in the header as merged, summed (IMS 2020 'Table 1')"
        );
        if r.both[0] > 0.0 && r.both[1] > 0.0 {
            regions.push(r);
        } else {
            notes.push(format!(
                "\"Other {area}\" has no migrants in one year and is left out: {} and {} persons",
                r.both[0], r.both[1]
            ));
        }
    }
    let total: [f64; 2] = [0, 1].map(|i| regions.iter().map(|r| r.both[i]).sum());
    for i in 0..2 {
        if (total[i] - table.world[i]).abs() > 0.5 {
            notes.push(format!(
                "the countries sum to {} in {}, the WORLD row ({}) says {}",
                total[i],
                settings.years[i],
                table.sheet.at(table.world_row, table.columns[i]),
                table.world[i]
            ));
        }
    }
    let mut areas: Vec<String> = regions.iter().map(|r| r.area.clone()).collect();
    areas.sort();
    areas.dedup();
    let mut text = format!(
        "# Imported by `migproj import` from the official files (figures of {y0} and {y1}):\n\
         #   {} (sha256 {})\n#   {} (sha256 {})\n\
         # Stocks: UN DESA International Migrant Stock 2020, 'Table 1' (both sexes; the female\n\
         # share of arrivals is the calibration-year share of women in the stock, from the\n\
         # females block). World population: 'Table 2' WORLD row (thousands x 1000).\n\
         # Areas: UNSD M49 regions, the Americas split into Northern America and Latin America\n\
         # and the Caribbean (UN DESA's areas).\n",
        stock.path.display(),
        stock.sha256,
        m49.path.display(),
        m49.sha256
    );
    for note in &notes {
        text += &format!("# {note}\n");
    }
    let world_population = [0, 1].map(|i| population.world[i] * 1000.0);
    text += &format!(
        "\n[scenario]\nname = {}\ntitle = {}\nbase_year = {y0}\ncalibration_year = {y1}\nend_year = {}\n\
         data_revision = \"IMS 2020\"\n\n\
         [world_population]   # IMS 2020 'Table 2', WORLD ({} and {})\npoints = {{ {y0} = {}, {y1} = {} }}\n\n\
         [areas]\nnames = [{}]\n\n",
        toml_string(&settings.name),
        toml_string(&format!("Migrant stocks of {} destinations and their areas, IMS 2020", regions.len())),
        settings.end_year,
        population.sheet.at(population.world_row, population.columns[0]),
        column_letters(population.columns[1]),
        world_population[0],
        world_population[1],
        areas.iter().map(|a| toml_string(a)).collect::<Vec<_>>().join(", ")
    );
    text += &remittances_text;
    for r in &regions {
        let share = (r.female[1] / r.both[1]).clamp(0.0, 1.0);
        text += &format!(
            "{}\n[[region]]\nname = {}\narea = {}\nstock = {{ {y0} = {}, {y1} = {} }}\nfemale_share = {:.4}\n\n",
            r.comment,
            toml_string(&r.name),
            toml_string(&r.area),
            r.both[0],
            r.both[1],
            share
        );
    }
    // Uncertainty: the defaults (the areas' estimates), or with `country_estimates` those of
    // the destination-country panel (data/estimates/countries.toml, MODEL.md section 13).
    if settings.country_estimates {
        text += &format!(
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
    } else {
        text += &format!(
            "# Uncertainty: the defaults, estimated from the six areas' history (docs/model.md). The\n\
             # country-level estimates (data/estimates/countries.toml, `migproj import\n\
             # --country-estimates`) have yearly shocks of 23.5 points to a country's arrival growth,\n\
             # a random walk that carries single trajectories of large countries past the world's\n\
             # population within 30 years, which MODEL.md section 9 refuses to run.\n\
             [uncertainty]\ntrajectories = {}\n",
            settings.trajectories
        );
    }
    Ok(Imported {
        toml: text,
        notes,
        regions: regions.len(),
    })
}

/// WDI receipts of the two years: summed over the economies (metadata rows with a Region)
/// that report a figure.
pub struct Receipts {
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
    let column = |name: &str| {
        header
            .fields
            .iter()
            .position(|f| f.text.trim().trim_start_matches('\u{feff}') == name)
    };
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
    let meta_text = String::from_utf8_lossy(&meta.bytes).replace('\r', "");
    let meta_file = SourceFile::new(&meta.path, meta_text);
    let meta_rows = parse_csv(&meta_file.text)
        .map_err(|d| Error::from_diagnostics(&meta_file, &[d], "nothing was written"))?;
    let meta_header = meta_rows
        .first()
        .ok_or_else(|| layout_error(format!("`{}` is empty", meta.path.display())))?;
    let meta_column = |name: &str| {
        meta_header
            .fields
            .iter()
            .position(|f| f.text.trim().trim_start_matches('\u{feff}') == name)
    };
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
    let mut receipts = Receipts {
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
                    return Err(Error::from_diagnostics(
                        &file,
                        &[Diagnostic::at(
                            start + field.span.start..start + field.span.end,
                            format!(
                                "expected an amount in US dollars for {iso3} in {}, found `{}`",
                                years[i],
                                crate::error::clip(t, 40)
                            ),
                        )],
                        "nothing was written",
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
