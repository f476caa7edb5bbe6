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
    assert!(imported.contains("# merged into \"Other Africa\": South Sudan (a figure missing)"));
    // Receipts: the sums of the WDI economies' cells (WLD 1990 and 2000 to the dollar).
    assert!(imported.contains("received = { 1990 = 68440818634.03982, 2000 = 121769727355.46169 }"));
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
