//! MODEL.md section 14 (areas) and the invariant of section 11: area rows equal the sum of
//! their regions, and the World the sum of the areas, in every additive variable, in the
//! tables and in every trajectory; areas are accepted by events and scored by hindcast.

mod common;
use common::{assert_success, migproj, read_csv, temp_dir};

use std::collections::HashMap;
use std::path::Path;

const ADDITIVE: [&str; 7] = [
    "stock",
    "arrivals",
    "deaths",
    "departures",
    "remittances_sent",
    "remittances_received",
    "fees",
];

/// region -> area of the fixture (from its `area =` lines).
fn areas_of(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut name = None;
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("name = \"") {
            name = Some(n.trim_end_matches('"').to_string());
        }
        if let Some(a) = line.strip_prefix("area = \"") {
            out.insert(name.take().unwrap(), a.trim_end_matches('"').to_string());
        }
    }
    out
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn areas_are_the_sums_of_their_regions_in_every_table_and_trajectory() {
    let fixture = "tests/fixtures/areas/areas.toml";
    let text =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(fixture))
            .unwrap();
    let area_of = areas_of(&text);
    assert_eq!(area_of.len(), 8);
    let out = temp_dir("areas");
    let output = migproj(&[
        "run",
        fixture,
        "--no-charts",
        "--quiet",
        "--write-trajectories",
        "csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_success(&output);
    let dir = out.join("areas");

    // projection.csv: wide, one column per variable.
    let projection = read_csv(&dir.join("projection.csv"));
    let mut checked = 0;
    for variable in ADDITIVE {
        // (origin, year) -> sums
        let mut by_area: HashMap<(String, String, String), f64> = HashMap::new();
        let mut of_areas: HashMap<(String, String), f64> = HashMap::new();
        for row in &projection {
            let key = (row["origin"].clone(), row["year"].clone());
            let value: f64 = row[variable].parse().unwrap();
            match row["level"].as_str() {
                "region" | "origin" => {
                    *by_area
                        .entry((area_of[&row["region"]].clone(), key.0, key.1))
                        .or_default() += value
                }
                "area" => *of_areas.entry(key).or_default() += value,
                _ => {}
            }
        }
        for row in &projection {
            let value: f64 = row[variable].parse().unwrap();
            match row["level"].as_str() {
                "area" => {
                    let sum = by_area[&(
                        row["region"].clone(),
                        row["origin"].clone(),
                        row["year"].clone(),
                    )];
                    assert!(
                        close(value, sum),
                        "{variable} {row:?}: regions sum to {sum}"
                    );
                    checked += 1;
                }
                "world" => {
                    let sum = of_areas[&(row["origin"].clone(), row["year"].clone())];
                    assert!(close(value, sum), "{variable} {row:?}: areas sum to {sum}");
                }
                _ => {}
            }
        }
    }
    // 3 areas x 4 origins (All and three groups) x 41 years x 7 variables.
    assert_eq!(checked, 3 * 4 * 41 * 7);

    // Rows are ordered regions, areas, World (for All).
    let order: Vec<&str> = projection
        .iter()
        .filter(|r| r["origin"] == "All" && r["year"] == "2000")
        .map(|r| r["level"].as_str())
        .collect();
    assert_eq!(order.len(), 8 + 3 + 1);
    assert!(order[..8].iter().all(|l| *l == "region"));
    assert!(order[8..11].iter().all(|l| *l == "area"));
    assert_eq!(order[11], "world");

    // Every trajectory: areas are sums computed per trajectory, before any summary.
    let trajectories = read_csv(&dir.join("trajectories.csv"));
    let mut sums: HashMap<(String, String, String, String, String), f64> = HashMap::new();
    let mut areas: Vec<&HashMap<String, String>> = Vec::new();
    for row in &trajectories {
        if !ADDITIVE.contains(&row["variable"].as_str()) {
            continue;
        }
        let value: f64 = row["value"].parse().unwrap();
        let key = |place: String| {
            (
                row["trajectory"].clone(),
                place,
                row["origin"].clone(),
                row["year"].clone(),
                row["variable"].clone(),
            )
        };
        match row["level"].as_str() {
            "region" | "origin" => {
                *sums
                    .entry(key(area_of[&row["region"]].clone()))
                    .or_default() += value
            }
            "area" => {
                *sums.entry(key("areas".into())).or_default() += value;
                areas.push(row);
            }
            _ => {}
        }
    }
    assert!(areas.len() > 1000);
    for row in &areas {
        let key = (
            row["trajectory"].clone(),
            row["region"].clone(),
            row["origin"].clone(),
            row["year"].clone(),
            row["variable"].clone(),
        );
        let value: f64 = row["value"].parse().unwrap();
        assert!(close(value, sums[&key]), "trajectory row {row:?}");
    }
    for row in trajectories.iter().filter(|r| r["level"] == "world") {
        if !ADDITIVE.contains(&row["variable"].as_str()) {
            continue;
        }
        let key = (
            row["trajectory"].clone(),
            "areas".to_string(),
            row["origin"].clone(),
            row["year"].clone(),
            row["variable"].clone(),
        );
        let value: f64 = row["value"].parse().unwrap();
        assert!(close(value, sums[&key]), "World {row:?}");
    }

    // The event names an area.
    let probabilities = read_csv(&dir.join("probabilities.csv"));
    assert_eq!(probabilities[0]["region"], "Europe");
    assert_eq!(probabilities[0]["level"], "area");
}

#[test]
fn areas_are_checked() {
    let dir = temp_dir("areas-check");
    let base = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/areas/areas.toml"),
    )
    .unwrap();
    let cases = [
        (
            base.replacen("area = \"Europe\"", "area = \"Eurpoe\"", 1),
            "names no area of `[areas]`: \"Eurpoe\"",
        ),
        (
            base.replacen("area = \"Africa\"\n", "", 1),
            "missing key `region[0].area`",
        ),
        (
            base.replacen(
                "names = [\"Africa\", \"Europe\", \"Northern America\"]",
                "names = [\"Africa\", \"Europe\", \"Northern America\", \"France\"]",
                1,
            ),
            "has the name of an area",
        ),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let path = dir.join(format!("case{i}.toml"));
        std::fs::write(&path, text).unwrap();
        let output = migproj(&["check", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "case {i}");
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(message.contains(expected), "case {i}: {message}");
    }
}

/// MODEL.md section 14's charts: one chart per area of its largest regions (here every region
/// of each area), named in run.json; `plot --regions` draws the named regions or areas, and a
/// misspelt name is refused with the closest one, the charts left as they were.
#[test]
fn each_area_has_a_chart_of_its_regions_and_plot_draws_named_ones() {
    let dir = temp_dir("areas-charts");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/areas/areas.toml");
    assert_success(&migproj(&[
        "run",
        fixture.to_str().unwrap(),
        "--trajectories",
        "40",
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]));
    let run = dir.join("areas");
    let charts = run.join("charts");
    for stem in [
        "regions_africa",
        "regions_europe",
        "regions_northern-america",
    ] {
        assert!(charts.join(format!("{stem}.png")).is_file(), "{stem}");
    }
    let manifest = std::fs::read_to_string(run.join("run.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(json["areas"][0]["name"], "Africa");
    assert_eq!(
        json["areas"][0]["regions"],
        serde_json::json!(["Kenya", "Nigeria", "South Africa"])
    );
    assert!(!charts.join("stock_selected.png").exists());
    assert_success(&migproj(&[
        "plot",
        run.to_str().unwrap(),
        "--regions",
        "Kenya,Europe",
    ]));
    assert!(charts.join("stock_selected.png").is_file());
    let svg = std::fs::read_to_string(charts.join("stock_selected.svg")).unwrap();
    assert!(svg.contains("Kenya") && svg.contains("Europe"));
    let output = migproj(&["plot", run.to_str().unwrap(), "--regions", "Kenia"]);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("did you mean \"Kenya\"?"), "{message}");
    assert!(
        charts.join("stock_selected.png").is_file(),
        "the charts are left as they were"
    );
}
