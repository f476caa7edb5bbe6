//! `migproj backtest` (MODEL.md section 13, revision 3): calibrate on 1970 and 1980 (and on
//! 1980 and 1990), estimate from the figures up to the calibration year only, project to 2000
//! with both poolings, and score areas (and, in the slow suite, countries) and the World.

mod common;
use common::{assert_success, migproj, temp_dir};

fn rows(csv: &str) -> Vec<Vec<String>> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn backtest_of_the_areas_scores_every_window_pooling_and_level() {
    let out = temp_dir("backtest-areas");
    let output = migproj(&[
        "backtest",
        "data/history/migrant_stock_area_1960_2000.csv",
        "--trajectories",
        "200",
        "--simulations",
        "10",
        "--bootstrap",
        "3",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_success(&output);
    let csv = std::fs::read_to_string(out.join("backtest/backtest.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.starts_with(
        "history,base_year,calibration_year,pooling,level,regions,observations,coverage_50"
    ));
    let rows = rows(&csv);
    // 2 windows x 2 poolings x 2 levels.
    assert_eq!(rows.len(), 8, "{csv}");
    for row in &rows {
        let (cal, level, observations): (i32, &str, usize) =
            (row[2].parse().unwrap(), &row[4], row[6].parse().unwrap());
        // Census years after the calibration year up to 2000, for the World or 6 areas.
        let later = (2000 - cal) as usize / 10;
        let expected = if level == "world" { later } else { 6 * later };
        assert_eq!(observations, expected, "{row:?}");
        assert_eq!(row[5], "6");
        for coverage in &row[7..10] {
            let c: f64 = coverage.parse().unwrap();
            assert!((0.0..=1.0).contains(&c));
        }
        let mape: f64 = row[14].parse().unwrap();
        assert!((0.0..100.0).contains(&mape), "{row:?}");
    }
    assert!(rows.iter().any(|r| r[3] == "world") && rows.iter().any(|r| r[3] == "arrivals"));
    // Only figures up to each calibration year were estimated from.
    let md = std::fs::read_to_string(out.join("backtest/backtest.md")).unwrap();
    assert!(md.contains("1970-1980: 6 regions projected; parameters estimated from 1960, 1970, 1980 (2 periods up to 1980)"), "{md}");
    assert!(md.contains("1980-1990: 6 regions projected; parameters estimated from 1960, 1970, 1980, 1990 (3 periods up to 1990)"), "{md}");
    // The table printed on stdout is the one in backtest.md.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(md.contains(stdout.trim()), "{stdout}");
}

#[test]
fn backtest_refuses_a_window_the_history_cannot_score() {
    let out = temp_dir("backtest-window");
    let output = migproj(&[
        "backtest",
        "data/history/migrant_stock_area_1960_2000.csv",
        "--windows",
        "1990:2000",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("a later year to score"));
    let output = migproj(&[
        "backtest",
        "data/history/migrant_stock_area_1960_2000.csv",
        "--windows",
        "1980-1990",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("BASE:CAL"));
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "nothing written"
    );
}

/// The country panel (MIGPROJ_SLOW_TESTS=1): every country above 1,000 migrants, those that
/// cannot be calibrated listed, both poolings.
#[test]
fn backtest_of_the_countries() {
    if std::env::var_os("MIGPROJ_SLOW_TESTS").is_none() {
        return;
    }
    let out = temp_dir("backtest-countries");
    let output = migproj(&[
        "backtest",
        "data/history/migrant_stock_country_1960_2000.csv",
        "--trajectories",
        "100",
        "--simulations",
        "10",
        "--bootstrap",
        "2",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_success(&output);
    let csv = std::fs::read_to_string(out.join("backtest/backtest.csv")).unwrap();
    let rows = rows(&csv);
    assert_eq!(rows.len(), 8);
    for row in rows.iter().filter(|r| r[4] == "region") {
        let regions: usize = row[5].parse().unwrap();
        assert!(regions >= 200, "{row:?}");
    }
    let md = std::fs::read_to_string(out.join("backtest/backtest.md")).unwrap();
    assert!(
        md.contains("left out for a zero stock or a missing year (Belize"),
        "{md}"
    );
}
