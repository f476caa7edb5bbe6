//! The tables as a reader's script meets them (issue 12): every CSV of a multi-region,
//! multi-origin run read against a strict schema (column names and types, units, the
//! `scenario`, `level` and `data_revision` columns, no float noise beyond 12 significant
//! digits), the `level` column summing as documented, and trajectories.parquet read back.

mod common;
use common::{assert_success, migproj, temp_dir};

use std::collections::HashMap;
use std::path::Path;

/// A column's type in the schema.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// Free text (names, labels, messages).
    Text,
    /// A whole number (years, counts, trajectory numbers).
    Int,
    /// A finite number with at most 12 significant digits, or empty where the table allows.
    Num,
    /// `world`, `region` or `origin` (scores.csv also `pooled`).
    Level,
    /// The unit of the row's variable (checked against the expected units).
    Unit,
    /// true or false.
    Bool,
}
use Kind::*;

/// The schema of each table of a run folder: `(file, [(column, kind)])`. The first column is
/// always `scenario` and the last `data_revision` (added here).
fn schema() -> Vec<(&'static str, Vec<(&'static str, Kind)>)> {
    let variables = [
        ("stock", Num),
        ("arrivals", Num),
        ("deaths", Num),
        ("departures", Num),
        ("remittances_sent", Num),
        ("remittances_received", Num),
        ("fees", Num),
        ("share_of_world", Num),
        ("female_share", Num),
        ("median_age", Num),
        ("ratio_to_oda", Num),
        ("ratio_to_all_aid", Num),
    ];
    let mut projection = vec![
        ("region", Text),
        ("origin", Text),
        ("level", Level),
        ("year", Int),
    ];
    projection.extend(variables);
    vec![
        ("projection.csv", projection),
        (
            "summary.csv",
            vec![
                ("region", Text),
                ("origin", Text),
                ("level", Level),
                ("year", Int),
                ("variable", Text),
                ("unit", Unit),
                ("mean", Num),
                ("p2_5", Num),
                ("p10", Num),
                ("p25", Num),
                ("p50", Num),
                ("p75", Num),
                ("p90", Num),
                ("p97_5", Num),
            ],
        ),
        (
            "structure.csv",
            vec![
                ("region", Text),
                ("origin", Text),
                ("level", Level),
                ("year", Int),
                ("sex", Text),
                ("age_group", Text),
                ("duration_group", Text),
                ("persons", Num),
            ],
        ),
        (
            "duration.csv",
            vec![
                ("region", Text),
                ("origin", Text),
                ("level", Level),
                ("year", Int),
                ("duration_group", Text),
                ("persons", Num),
            ],
        ),
        (
            "calibration.csv",
            vec![
                ("region", Text),
                ("origin", Text),
                ("level", Level),
                ("parameter", Text),
                ("value", Num),
                ("unit", Text),
                ("target", Num),
                ("achieved", Num),
                ("target_unit", Text),
                ("relative_error", Num),
            ],
        ),
        (
            "markers.csv",
            vec![
                ("region", Text),
                ("origin", Text),
                ("level", Level),
                ("year", Int),
                ("variable", Text),
                ("unit", Unit),
                ("value", Num),
                ("kind", Text),
            ],
        ),
        (
            "comparison.csv",
            vec![
                ("series", Text),
                ("origin", Text),
                ("level", Level),
                ("after", Text),
                ("year", Int),
                ("unit", Text),
                ("value", Num),
            ],
        ),
        (
            "remittances.csv",
            vec![
                ("region", Text),
                ("origin", Text),
                ("level", Level),
                ("modelled", Bool),
                ("year", Int),
                ("remittances_sent", Num),
                ("remittances_received", Num),
                ("fees", Num),
                ("ratio_to_oda", Num),
                ("ratio_to_all_aid", Num),
            ],
        ),
        (
            "probabilities.csv",
            vec![
                ("region", Text),
                ("origin", Text),
                ("level", Level),
                ("year", Int),
                ("variable", Text),
                ("unit", Unit),
                ("condition", Text),
                ("threshold", Num),
                ("probability", Num),
                ("standard_error", Num),
                ("trajectories", Int),
            ],
        ),
        (
            "warnings.csv",
            vec![
                ("check", Text),
                ("region", Text),
                ("origin", Text),
                ("level", Level),
                ("year", Int),
                ("figure", Text),
                ("value", Num),
                ("bound", Num),
                ("message", Text),
            ],
        ),
        (
            "assumptions.csv",
            vec![
                ("assumption", Text),
                ("level", Level),
                ("value", Text),
                ("unit", Text),
            ],
        ),
    ]
}

/// The unit expected of each variable.
fn unit_of(variable: &str) -> &'static str {
    match variable {
        "stock" | "arrivals" | "deaths" | "departures" => "persons",
        "remittances_sent" | "remittances_received" | "fees" => "US dollars",
        "share_of_world" | "female_share" => "share",
        "median_age" => "years",
        v if v.starts_with("ratio_to_") => "ratio",
        v => panic!("no unit known for {v}"),
    }
}

/// Significant digits of a number as written (leading and trailing zeros of the integer part
/// do not count: 154000000 has 3).
fn significant_digits(text: &str) -> usize {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let trimmed = digits.trim_start_matches('0');
    if text.contains('.') {
        trimmed.len()
    } else {
        trimmed.trim_end_matches('0').len()
    }
}

fn check_table(
    folder: &Path,
    file: &str,
    columns: &[(&str, Kind)],
    scenario: &str,
    revision: &str,
) -> usize {
    let text = std::fs::read_to_string(folder.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let mut expected = vec!["scenario".to_string()];
    expected.extend(columns.iter().map(|(c, _)| c.to_string()));
    expected.push("data_revision".into());
    assert_eq!(header, expected, "{file}: columns");
    let variable = header.iter().position(|h| h == "variable");
    let mut rows = 0;
    for (i, record) in reader.records().enumerate() {
        let record = record.unwrap_or_else(|e| panic!("{file} row {}: {e}", i + 2));
        assert_eq!(record.len(), header.len(), "{file} row {}", i + 2);
        assert_eq!(&record[0], scenario, "{file} row {}: scenario", i + 2);
        assert_eq!(
            &record[record.len() - 1],
            revision,
            "{file} row {}: data_revision",
            i + 2
        );
        for (c, (name, kind)) in columns.iter().enumerate() {
            let field = &record[c + 1];
            let at = format!("{file} row {} column {name}: `{field}`", i + 2);
            match kind {
                Text => assert!(!field.chars().any(char::is_control), "{at}"),
                Int => {
                    field
                        .parse::<i64>()
                        .unwrap_or_else(|_| panic!("{at}: not an integer"));
                }
                Num => {
                    // Empty only where a value does not apply (a ratio to another group's
                    // series, a median age of no one).
                    if field.is_empty() {
                        assert!(
                            name.starts_with("ratio_to_")
                                || *name == "median_age"
                                || *name == "female_share"
                                || *name == "target"
                                || *name == "achieved"
                                || *name == "relative_error",
                            "{at}"
                        );
                        continue;
                    }
                    let value: f64 = field
                        .parse()
                        .unwrap_or_else(|_| panic!("{at}: not a number"));
                    assert!(value.is_finite(), "{at}");
                    assert!(
                        !field.contains('e') && !field.contains('E'),
                        "{at}: exponent"
                    );
                    assert!(significant_digits(field) <= 12, "{at}: float noise");
                }
                Level => assert!(
                    ["world", "region", "origin"].contains(&field),
                    "{at}: not a level"
                ),
                Unit => {
                    let variable = &record[variable.expect("a unit column goes with a variable")];
                    assert_eq!(field, unit_of(variable), "{at}");
                }
                Bool => assert!(field == "true" || field == "false", "{at}"),
            }
        }
        rows += 1;
    }
    rows
}

#[test]
fn every_table_of_a_multi_origin_run_meets_its_schema() {
    let dir = temp_dir("tables-schema");
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/origins/three_by_three.toml");
    let text = std::fs::read_to_string(fixture).unwrap()
        + "\n[[uncertainty.event]]\nvariable = \"stock\"\nyear = 2030\nabove = 250e6\n";
    let scenario = dir.join("three_by_three.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = dir.join("out");
    let output = migproj(&[
        "run",
        scenario.to_str().unwrap(),
        "--trajectories",
        "40",
        "--no-charts",
        "--quiet",
        "--write-trajectories",
        "parquet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_success(&output);
    let folder = out.join("three-by-three");
    let mut written: Vec<String> = std::fs::read_dir(&folder)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".csv"))
        .collect();
    written.sort();
    let mut schemas: Vec<&str> = schema().iter().map(|(f, _)| *f).collect();
    schemas.sort();
    assert_eq!(
        written, schemas,
        "every CSV has a schema here, and every schema a CSV"
    );
    for (file, columns) in schema() {
        let rows = check_table(&folder, file, &columns, "three-by-three", "test");
        assert!(rows > 0 || file == "warnings.csv", "{file} is empty");
    }

    // The level column sums as documented: regions to the world, each origin group's rows to
    // the world's row of that group.
    let projection = std::fs::read_to_string(folder.join("projection.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(projection.as_bytes());
    let mut sums: HashMap<(String, String, String), f64> = HashMap::new();
    let mut world: HashMap<(String, String), f64> = HashMap::new();
    for record in reader.records() {
        let r = record.unwrap();
        let (origin, level, year, stock) = (&r[2], &r[3], &r[4], r[5].parse::<f64>().unwrap());
        if level == "world" {
            world.insert((origin.to_string(), year.to_string()), stock);
        } else {
            *sums
                .entry((level.to_string(), origin.to_string(), year.to_string()))
                .or_default() += stock;
        }
    }
    for ((level, origin, year), sum) in &sums {
        let target = world[&(origin.clone(), year.clone())];
        assert!(
            ((sum - target) / target).abs() < 1e-10,
            "{level} rows of {origin} in {year} sum to {sum}, the world row says {target}"
        );
        if level == "region" {
            assert_eq!(origin, "All");
        }
    }
    assert!(sums.keys().any(|(l, _, _)| l == "origin"));

    // trajectories.parquet: the same columns, one row per trajectory, entity, year and
    // variable, and its medians are those of summary.csv.
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::RowAccessor;
    let file = std::fs::File::open(folder.join("trajectories.parquet")).unwrap();
    let reader = SerializedFileReader::new(file).unwrap();
    let metadata = reader.metadata().file_metadata();
    let names: Vec<String> = metadata
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    assert_eq!(
        names,
        [
            "scenario",
            "trajectory",
            "region",
            "origin",
            "level",
            "year",
            "variable",
            "unit",
            "value",
            "data_revision"
        ]
    );
    // 16 entities (9 streams, 3 regions, the world, 3 world origin groups) x 41 years x 10
    // variables (the 8 of every run and 2 ratios) x 40 trajectories.
    assert_eq!(metadata.num_rows(), 40 * 16 * 41 * 10);
    let mut stocks = Vec::new();
    for row in reader.get_row_iter(None).unwrap() {
        let row = row.unwrap();
        let text = |i: usize| row.get_string(i).unwrap().clone();
        if text(4) == "world"
            && text(3) == "All"
            && row.get_int(5).unwrap() == 2030
            && text(6) == "stock"
        {
            assert_eq!(text(7), "persons");
            assert_eq!(text(9), "test");
            stocks.push(row.get_double(8).unwrap());
        }
    }
    assert_eq!(stocks.len(), 40);
    stocks.sort_by(f64::total_cmp);
    let p50 = world_stock_median_2030(&folder);
    let median = (stocks[19] + stocks[20]) / 2.0;
    assert!((median / p50 - 1.0).abs() < 1e-9, "{median} vs {p50}");
}

/// Issue 22 item 14: `pandas.read_parquet` of trajectories.parquet gives categoricals for the
/// string columns (the file's `ARROW:schema` declares them dictionaries), and the same values as
/// the Parquet reader above. Needs a Python with pyarrow and pandas: `MIGPROJ_PYTHON` (default
/// `python3`); CI installs them and sets `MIGPROJ_PYARROW_TESTS=1`, which makes the test
/// required instead of skipped.
#[test]
fn pandas_reads_the_trajectories_strings_as_categoricals() {
    let python = std::env::var("MIGPROJ_PYTHON").unwrap_or_else(|_| "python3".into());
    let required = std::env::var("MIGPROJ_PYARROW_TESTS").is_ok_and(|v| v == "1");
    let available = std::process::Command::new(&python)
        .args(["-c", "import pyarrow, pandas"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            !required,
            "MIGPROJ_PYARROW_TESTS=1 but `{python} -c 'import pyarrow, pandas'` fails"
        );
        eprintln!("skipped: no Python with pyarrow and pandas (set MIGPROJ_PYTHON)");
        return;
    }
    let dir = temp_dir("tables-pandas");
    let out = dir.join("out");
    assert_success(&migproj(&[
        "run",
        "tests/fixtures/origins/three_by_three.toml",
        "--trajectories",
        "20",
        "--no-charts",
        "--quiet",
        "--write-trajectories",
        "parquet",
        "--out",
        out.to_str().unwrap(),
    ]));
    let folder = out.join("three-by-three");
    let script = r#"
import sys
import pandas as pd
frame = pd.read_parquet(sys.argv[1])
for column in frame.columns:
    print(column, frame[column].dtype)
stock = frame[(frame.region == "World") & (frame.origin == "All") & (frame.year == 2030)
              & (frame.variable == "stock")]
print("median", repr(float(stock.value.median())), len(stock))
print("regions", ",".join(sorted(frame.region.cat.categories)))
"#;
    let output = std::process::Command::new(&python)
        .args(["-c", script])
        .arg(folder.join("trajectories.parquet"))
        .output()
        .unwrap();
    assert_success(&output);
    let printed = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(
        lines[..10],
        [
            "scenario category",
            "trajectory int32",
            "region category",
            "origin category",
            "level category",
            "year int32",
            "variable category",
            "unit category",
            "value float64",
            "data_revision category",
        ]
    );
    let p50 = world_stock_median_2030(&folder);
    let (median, count) = lines[10]
        .strip_prefix("median ")
        .unwrap()
        .split_once(' ')
        .unwrap();
    assert_eq!(count, "20");
    let median: f64 = median.parse().unwrap();
    assert!((median / p50 - 1.0).abs() < 1e-9, "{median} vs {p50}");
    assert_eq!(lines[11], "regions Africa,Europe,Northern America,World");
}

/// summary.csv's median of the World's stock in 2030 (the three-by-three fixture).
fn world_stock_median_2030(folder: &Path) -> f64 {
    let summary = std::fs::read_to_string(folder.join("summary.csv")).unwrap();
    let line = summary
        .lines()
        .find(|l| l.starts_with("three-by-three,World,All,world,2030,stock,"))
        .unwrap();
    line.split(',').nth(11).unwrap().parse().unwrap()
}
