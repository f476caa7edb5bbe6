//! `migproj import` (issue 20): scenarios/countries.toml is what the importer builds from the
//! official files in data/official/; its figures equal the workbook's cells (read here on its
//! own, with calamine); bad files are refused with their location, exit 2, nothing written.

mod common;
use common::{assert_success, migproj, temp_dir};

use std::collections::HashMap;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A country's name and its 1990 and 2000 figures (both sexes).
type Figures = (String, Option<f64>, Option<f64>);

/// The workbook's Table 1, read independently: M49 code -> figures, and the WORLD row.
fn workbook() -> (HashMap<u32, Figures>, (f64, f64)) {
    use calamine::{Data, Reader, Xlsx};
    let path =
        root().join("data/official/undesa_pd_2020_ims_stock_by_sex_and_destination_to2000.xlsx");
    let mut book: Xlsx<_> = calamine::open_workbook(path).unwrap();
    let range = book.worksheet_range("Table 1").unwrap();
    let number = |d: &Data| match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    };
    let mut countries = HashMap::new();
    let mut world = (0.0, 0.0);
    // Row 11 is the header (B name, D code, F 1990, H 2000), as data/official/README.md says.
    for row in range.rows() {
        let (Some(code), Some(name)) = (row.get(3).and_then(number), row.get(1)) else {
            continue;
        };
        let (a, b) = (row.get(5).and_then(number), row.get(7).and_then(number));
        if code == 900.0 {
            world = (a.unwrap(), b.unwrap());
        } else if code < 900.0 {
            countries.insert(code as u32, (name.to_string().trim().to_string(), a, b));
        }
    }
    (countries, world)
}

#[test]
fn the_shipped_country_scenario_is_the_import_of_the_official_files() {
    let out = temp_dir("import");
    let path = out.join("countries.toml");
    let output = migproj(&[
        "import",
        "--official",
        "data/official",
        "--oda",
        "data/seeds.csv",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert_success(&output);
    let imported = std::fs::read_to_string(&path).unwrap();
    let shipped = std::fs::read_to_string(root().join("scenarios/countries.toml")).unwrap();
    assert_eq!(
        imported, shipped,
        "scenarios/countries.toml drifted from the import"
    );

    // Every region's figures are the workbook's cells; the World is the WORLD row.
    let scenario = migproj::scenario::load_scenario(&path).unwrap().scenario;
    let (countries, world) = workbook();
    let by_name: HashMap<&str, &Figures> = countries
        .values()
        .map(|c| (c.0.trim_end_matches('*').trim(), c))
        .collect();
    let mut compared = 0;
    for region in &scenario.regions {
        if region.name.starts_with("Other ") {
            continue;
        }
        let (_, a, b) = by_name[region.name.as_str()];
        assert_eq!(Some(region.stock_base_persons), *a, "{}", region.name);
        assert_eq!(
            Some(region.stock_calibration_persons),
            *b,
            "{}",
            region.name
        );
        compared += 1;
    }
    assert!(compared >= 220, "{compared} countries compared");
    let total: (f64, f64) = scenario.regions.iter().fold((0.0, 0.0), |s, r| {
        (
            s.0 + r.stock_base_persons,
            s.1 + r.stock_calibration_persons,
        )
    });
    assert_eq!(total, world, "the World is the WORLD row");
    // Areas: the six of UN DESA, and Kenya in Africa, the USA in Northern America.
    assert_eq!(scenario.areas.len(), 6);
    let area = |name: &str| {
        let r = scenario.regions.iter().find(|r| r.name == name).unwrap();
        scenario.areas[r.area.unwrap()].clone()
    };
    assert_eq!(area("Kenya"), "Africa");
    assert_eq!(area("United States of America"), "Northern America");
    assert_eq!(area("Mexico"), "Latin America and the Caribbean");
    // Countries with a missing figure are listed with the rule that merged them.
    assert!(imported.contains("# merged into \"Other Africa\": Somalia"));
    assert!(imported.contains("South Sudan (a figure missing)"));

    // Origin groups, from the origin file and OGHIST read here on their own: Kenya's and the
    // USA's migrants by the 2000 income group of their origin, and the groups' receipts.
    let income = oghist_2000();
    let group_of = |origin: &str| match income.get(origin).map(String::as_str) {
        _ if origin == "OOO" => 2,
        Some("H") => 1,
        Some("L" | "LM" | "UM") => 0,
        _ => 2,
    };
    let origin_file = std::fs::read_to_string(
        root().join("data/official/ims2020_destination_origin_sex_1990_2000.csv"),
    )
    .unwrap();
    for (name, geo) in [("Kenya", "KEN"), ("United States of America", "USA")] {
        let mut expected = [[0.0f64; 2]; 3];
        for line in origin_file.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let year = match f[1] {
                "1990" => 0,
                "2000" => 1,
                _ => continue,
            };
            if f[0] == geo {
                expected[group_of(f[2])][year] += f[4].parse::<f64>().unwrap();
            }
        }
        let region = scenario.regions.iter().find(|r| r.name == name).unwrap();
        for g in 0..3 {
            assert_eq!(
                region.stock_by_origin[g],
                (expected[g][0], expected[g][1]),
                "{name}, group {g}"
            );
        }
        let sum: f64 = region.stock_by_origin.iter().map(|p| p.1).sum();
        assert_eq!(
            sum, region.stock_calibration_persons,
            "groups sum to {name}"
        );
    }
    // Receipts by group: the WDI cells of the economies of each group (economies: metadata
    // rows with a Region; the successor states are not among 2000's reporters).
    let mut metadata = csv::Reader::from_path(
        root().join("data/official/Metadata_Country_API_BX.TRF.PWKR.CD.DT_DS2_en_csv_v2_38454.csv"),
    )
    .unwrap();
    let economies: Vec<String> = metadata
        .records()
        .map(|r| r.unwrap())
        .filter(|r| !r[1].trim().is_empty())
        .map(|r| r[0].trim_start_matches('\u{feff}').to_string())
        .collect();
    let wdi = std::fs::read_to_string(
        root().join("data/official/API_BX.TRF.PWKR.CD.DT_DS2_en_csv_v2_38454_to2000.csv"),
    )
    .unwrap();
    let body = &wdi[wdi.find("\"Country Name\"").unwrap()..];
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(body.as_bytes());
    let header = reader.headers().unwrap().clone();
    let column = |year: &str| header.iter().position(|h| h == year).unwrap();
    let (c1990, c2000) = (column("1990"), column("2000"));
    let mut expected = [[0.0f64; 2]; 2];
    for record in reader.records() {
        let record = record.unwrap();
        if !economies.iter().any(|e| e == &record[1]) {
            continue;
        }
        let g = match income.get(&record[1]).map(String::as_str) {
            Some("H") => 1,
            Some(_) => 0,
            None => continue,
        };
        for (i, c) in [c1990, c2000].into_iter().enumerate() {
            if let Ok(v) = record[c].parse::<f64>() {
                expected[g][i] += v;
            }
        }
    }
    let groups = &scenario.remittances.received_by_origin;
    for g in 0..2 {
        let (a, b) = groups[g].unwrap();
        assert!(
            (a - expected[g][0]).abs() < 1e-3 && (b - expected[g][1]).abs() < 1e-3,
            "group {g}: {a} {b} against {:?}",
            expected[g]
        );
    }
    assert!(groups[2].is_none(), "no receipts for Unknown");
    // Official aid to low- and middle-income countries, compared with that group's receipts.
    assert!(imported.contains(
        "oda = { points = { 1990 = 54788199829, 2000 = 51558738770 }, after = \"flat\", origin = \"Low and middle income\" }"
    ));
}

/// OGHIST's 'Country Analytical History', read here on its own: ISO3 -> group for 2000's
/// data (column P, as data/official/README.md says: row 6 holds the data years).
fn oghist_2000() -> HashMap<String, String> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> =
        calamine::open_workbook(root().join("data/official/OGHIST.xlsx")).unwrap();
    let range = book.worksheet_range("Country Analytical History").unwrap();
    let rows: Vec<&[Data]> = range.rows().collect();
    let start = range.start().unwrap();
    assert_eq!(start.1, 0, "the sheet starts at column A");
    let row_of = |sheet_row: usize| rows[sheet_row - 1 - start.0 as usize];
    let column = row_of(6)
        .iter()
        .position(|d| matches!(d, Data::Float(f) if *f == 2000.0) || matches!(d, Data::Int(2000)))
        .unwrap();
    assert_eq!(column, 15, "column P");
    let mut out = HashMap::new();
    for row in rows.iter() {
        let code = row.first().map(|d| d.to_string()).unwrap_or_default();
        let value = row.get(column).map(|d| d.to_string()).unwrap_or_default();
        let value = value.trim_end_matches('*');
        if code.len() == 3 && ["L", "LM", "UM", "H"].contains(&value) {
            out.insert(code, value.to_string());
        }
    }
    // Successor states take the group of the economy they were part of (the importer's rule).
    for (successor, former) in [("SRB", "YUG"), ("MNE", "YUG"), ("SSD", "SDN")] {
        let group = out[former].clone();
        out.entry(successor.into()).or_insert(group);
    }
    out
}

/// The corridor example: Philippine-born migrants by destination area against every other
/// origin; the Philippines' receipts are WDI's cells for PHL.
#[test]
fn the_corridor_example_is_the_import_of_the_official_files() {
    let out = temp_dir("import-corridor");
    let path = out.join("philippines.toml");
    let output = migproj(&[
        "import",
        "--official",
        "data/official",
        "--destinations",
        "areas",
        "--origins",
        "PHL",
        "--end-year",
        "2030",
        "--name",
        "philippines",
        "--out",
        path.to_str().unwrap(),
    ]);
    assert_success(&output);
    let imported = std::fs::read_to_string(&path).unwrap();
    let shipped = std::fs::read_to_string(root().join("scenarios/philippines.toml")).unwrap();
    assert_eq!(imported, shipped, "scenarios/philippines.toml drifted");
    let scenario = migproj::scenario::load_scenario(&path).unwrap().scenario;
    assert_eq!(
        scenario.origins,
        ["Philippines", "Other origins", "Unknown"]
    );
    assert_eq!(
        scenario.remittances.received_by_origin[0],
        Some((1465000000.0, 6924000000.0))
    );
    // Philippine-born in Northern America: the origin file's rows, summed by hand.
    let origin_file = std::fs::read_to_string(
        root().join("data/official/ims2020_destination_origin_sex_1990_2000.csv"),
    )
    .unwrap();
    let mut expected = (0.0, 0.0);
    for line in origin_file.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[2] == "PHL" && ["USA", "CAN", "BMU", "GRL", "SPM"].contains(&f[0]) {
            let n: f64 = f[4].parse().unwrap();
            match f[1] {
                "1990" => expected.0 += n,
                "2000" => expected.1 += n,
                _ => {}
            }
        }
    }
    let north = scenario
        .regions
        .iter()
        .find(|r| r.name == "Northern America")
        .unwrap();
    assert_eq!(north.stock_by_origin[0], expected);
    assert_eq!(scenario.regions.len(), 6);
    assert!(scenario.areas.is_empty());
}

/// Destinations as M49 sub-regions (with the M49 regions as areas) or a list of countries;
/// the World stays the WORLD row; a misspelt country gets a suggestion, exit 2.
#[test]
fn destinations_are_subregions_or_a_list() {
    let out = temp_dir("import-destinations");
    let (_, world) = workbook();
    let import = |destinations: &str, file: &str| {
        let path = out.join(file);
        let output = migproj(&[
            "import",
            "--official",
            "data/official",
            "--destinations",
            destinations,
            "--origins",
            "none",
            "--out",
            path.to_str().unwrap(),
        ]);
        (output, path)
    };
    let (output, path) = import("subregions", "subregions.toml");
    assert_success(&output);
    let scenario = migproj::scenario::load_scenario(&path).unwrap().scenario;
    assert_eq!(scenario.regions.len(), 17, "the M49 sub-regions");
    assert_eq!(
        scenario.areas,
        ["Africa", "Americas", "Asia", "Europe", "Oceania"]
    );
    let total = |s: &migproj::scenario::Scenario| {
        s.regions.iter().fold((0.0, 0.0), |t, r| {
            (
                t.0 + r.stock_base_persons,
                t.1 + r.stock_calibration_persons,
            )
        })
    };
    assert_eq!(total(&scenario), world);
    let (output, path) = import("KEN, Uganda,tza", "list.toml");
    assert_success(&output);
    let scenario = migproj::scenario::load_scenario(&path).unwrap().scenario;
    let names: Vec<&str> = scenario.regions.iter().map(|r| r.name.as_str()).collect();
    assert!(
        names.starts_with(&["Kenya", "Uganda", "United Republic of Tanzania"]),
        "{names:?}"
    );
    assert!(names.contains(&"Other Europe"), "{names:?}");
    assert_eq!(total(&scenario), world);
    let (output, path) = import("KEN,Ugnada", "typo.toml");
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("\"Ugnada\"") && message.contains("did you mean UGA (Uganda)?"),
        "{message}"
    );
    assert!(!path.exists());
}

#[test]
fn bad_official_files_are_refused_with_their_location() {
    let dir = temp_dir("import-bad");
    let official = root().join("data/official");
    let stock = official.join("undesa_pd_2020_ims_stock_by_sex_and_destination_to2000.xlsx");
    let m49 = official.join("UNSD-M49-en.csv");
    let wdi = official.join("API_BX.TRF.PWKR.CD.DT_DS2_en_csv_v2_38454_to2000.csv");
    let meta = official.join("Metadata_Country_API_BX.TRF.PWKR.CD.DT_DS2_en_csv_v2_38454.csv");
    let out = dir.join("out.toml");
    let run = |stock: &Path, m49: &Path, wdi: &Path, extra: &[&str]| {
        let mut args = vec![
            "import",
            "--stock",
            stock.to_str().unwrap(),
            "--m49",
            m49.to_str().unwrap(),
            "--wdi",
            wdi.to_str().unwrap(),
            "--wdi-metadata",
            meta.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        if !extra.contains(&"--origin-file") {
            args.extend(["--origins", "none"]);
        }
        args.extend(extra);
        let output = migproj(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!out.exists(), "nothing is written");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    // A year the files do not hold (figures after 2000 are blanked): the WORLD cell named.
    let message = run(&stock, &m49, &wdi, &["--years", "2000,2010"]);
    assert!(
        message.contains("sheet 'Table 1', cell J12: the WORLD figure for 2010 is missing"),
        "{message}"
    );
    // Not a workbook; a CSV that is not WDI's; an M49 list without its columns.
    let message = run(&m49, &m49, &wdi, &[]);
    assert!(message.contains("is not an xlsx workbook"), "{message}");
    let message = run(&stock, &m49, &m49, &[]);
    assert!(message.contains("is not a WDI bulk download"), "{message}");
    let fake_m49 = dir.join("m49.csv");
    std::fs::write(&fake_m49, "code,name\n404,Kenya\n").unwrap();
    let message = run(&stock, &fake_m49, &wdi, &[]);
    assert!(
        message.contains("expected the UNSD M49 header"),
        "{message}"
    );
    // A workbook without the sheet: the OGHIST workbook given as the stock workbook.
    let message = run(&official.join("OGHIST.xlsx"), &m49, &wdi, &[]);
    assert!(message.contains("has no sheet 'Table 1'"), "{message}");
    // An origin file that is not IMS 2020's long file; an OGHIST without its sheet.
    let m49_text = m49.to_str().unwrap();
    let origin_file = official.join("ims2020_destination_origin_sex_1990_2000.csv");
    let message = run(
        &stock,
        &m49,
        &wdi,
        &[
            "--origin-file",
            m49_text,
            "--oghist",
            official.join("OGHIST.xlsx").to_str().unwrap(),
        ],
    );
    assert!(
        message.contains("UNSD-M49-en.csv:1:")
            && message.contains("expected the header of the IMS 2020 origin file"),
        "{message}"
    );
    let message = run(
        &stock,
        &m49,
        &wdi,
        &[
            "--origin-file",
            origin_file.to_str().unwrap(),
            "--oghist",
            stock.to_str().unwrap(),
        ],
    );
    assert!(
        message.contains("has no sheet 'Country Analytical History'"),
        "{message}"
    );
    // A bad count in the origin file: its line and column.
    let damaged = dir.join("origin.csv");
    let text = std::fs::read_to_string(&origin_file).unwrap();
    std::fs::write(
        &damaged,
        text.replacen("ABW,1990,BES,female,25,", "ABW,1990,BES,female,2x5,", 1),
    )
    .unwrap();
    let message = run(
        &stock,
        &m49,
        &wdi,
        &[
            "--origin-file",
            damaged.to_str().unwrap(),
            "--oghist",
            official.join("OGHIST.xlsx").to_str().unwrap(),
        ],
    );
    assert!(
        message.contains("origin.csv:2:")
            && message.contains("expected a number of persons (`n`), found `2x5`"),
        "{message}"
    );
    // An existing file is not replaced without --force.
    std::fs::write(&out, "mine").unwrap();
    let output = migproj(&[
        "import",
        "--official",
        "data/official",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine");
}
