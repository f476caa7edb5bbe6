//! Findings of the reviewer and the red team (issue 22), each pinned by a test that failed
//! before its fix.

mod common;
use common::{assert_success, migproj, temp_dir};

fn read_csv(path: &std::path::Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Item 1: with `[origins]`, assumptions.csv gave each region another stream's arrival
/// growth. Every stream's row now states its own calibrated growth, as calibration.csv does.
#[test]
fn assumptions_state_each_streams_own_arrival_growth() {
    let out = temp_dir("reviewer-assumptions");
    let output = migproj(&[
        "run",
        "scenarios/origins.toml",
        "--deterministic",
        "--no-charts",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_success(&output);
    let calibration = read_csv(&out.join("origins/calibration.csv"));
    let assumptions = read_csv(&out.join("origins/assumptions.csv"));
    let mut checked = 0;
    for row in calibration.iter().filter(|r| r["parameter"] == "arrival_growth") {
        let key = format!(
            "arrival growth, {}, migrants from {}",
            row["region"], row["origin"]
        );
        let stated = assumptions
            .iter()
            .find(|a| a["assumption"] == key)
            .unwrap_or_else(|| panic!("no assumption {key}"));
        let calibrated: f64 = row["value"].parse().unwrap();
        assert!(
            stated["value"].starts_with(&format!("{calibrated:.4} calibrated")),
            "{key}: {} vs {calibrated}",
            stated["value"]
        );
        assert_eq!(stated["level"], "origin");
        checked += 1;
    }
    // Six areas x three origin groups.
    assert_eq!(checked, 18);
    assert!(assumptions
        .iter()
        .any(|a| a["assumption"] == "arrival growth, common trend"
            && a["value"].contains("pooling = \"world\"")));
}
