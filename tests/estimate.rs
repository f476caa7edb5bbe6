//! MODEL.md section 13: `migproj estimate` reproduces the shipped defaults from the shipped
//! history, uses nothing after the calibration year, recovers known parameters from histories
//! the model itself made, and refuses bad history files with located errors.

mod common;
use common::{assert_success, migproj, temp_dir};

use migproj::estimate::{
    cohort_kernel, estimate, panel_statistics, significant, Options, StockPanel,
};
use migproj::scenario::defaults as d;

/// The command of docs/model.md, "Estimated defaults".
const DOCUMENTED: [&str; 8] = [
    "data/history/migrant_stock_area_1960_2000.csv",
    "data/history/migrant_stock_area_ims2020_1990_2000.csv",
    "--remittances",
    "data/history/remittances_received_1970_2000.csv",
    "--remittances-from",
    "1980",
    "--country-remittances",
    "data/history/remittances_received_country_1970_2000.csv",
];

fn read_estimates(csv: &str) -> Vec<(String, f64)> {
    csv.lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            (fields[1].to_string(), fields[2].parse().unwrap())
        })
        .collect()
}

#[test]
fn defaults_are_the_estimate_from_the_shipped_history() {
    let out = temp_dir("estimate-defaults");
    let mut args = vec!["estimate"];
    args.extend(DOCUMENTED);
    args.extend(["--quiet", "--out", out.to_str().unwrap()]);
    let output = migproj(&args);
    assert_success(&output);
    let csv = std::fs::read_to_string(out.join("estimate/estimate.csv")).unwrap();
    // Issue 22 item 12: the output name and the histories frame every row, as in run tables.
    assert!(
        csv.starts_with("scenario,parameter,estimate,standard_error,status,basis,data_revision\n"),
        "{csv}"
    );
    assert!(
        csv.lines().skip(1).all(|l| l.starts_with("estimate,")
            && l.ends_with(",history: migrant_stock_area_1960_2000 + migrant_stock_area_ims2020_1990_2000 + remittances_received_1970_2000 (World) + remittances_received_country_1970_2000")),
        "{csv}"
    );
    let statistics = std::fs::read_to_string(out.join("estimate/statistics.csv")).unwrap();
    assert!(
        statistics.starts_with("scenario,history,statistic,observed,fitted,unit,data_revision\n"),
        "{statistics}"
    );
    let estimates = read_estimates(&csv);
    let defaults = [
        ("arrivals.trend_damping", d::TREND_DAMPING),
        ("uncertainty.world_growth_sd", d::WORLD_GROWTH_SD),
        ("uncertainty.world_ar1", d::WORLD_AR1),
        ("uncertainty.world_shock_sd", d::WORLD_SHOCK_SD),
        ("uncertainty.region_ar1", d::REGION_AR1),
        ("uncertainty.region_shock_sd", d::REGION_SHOCK_SD),
        ("uncertainty.world_sd_rel_se", d::WORLD_SD_REL_SE),
        ("uncertainty.region_sd_rel_se", d::REGION_SD_REL_SE),
        ("uncertainty.departure_sd", d::DEPARTURE_SD),
        ("uncertainty.departure_ramp", d::DEPARTURE_RAMP),
        ("uncertainty.remittance_growth_sd", d::REMITTANCE_GROWTH_SD),
        ("uncertainty.remittance_shock_sd", d::REMITTANCE_SHOCK_SD),
        ("uncertainty.remittance_sd_rel_se", d::REMITTANCE_SD_REL_SE),
        ("remittances.growth_damping", d::GROWTH_DAMPING),
    ];
    assert_eq!(estimates.len(), defaults.len(), "{csv}");
    for (key, default) in defaults {
        let (_, value) = estimates
            .iter()
            .find(|(k, _)| k == key)
            .unwrap_or_else(|| panic!("{key} missing from estimate.csv"));
        assert!(
            (value - default).abs() <= 1e-9 * default.abs().max(1e-9),
            "{key}: the estimate is {value}, the default {default}: update src/scenario/defaults.rs and docs/model.md"
        );
    }
    // The fragment parses as TOML a scenario can paste, and the chart and statement exist.
    let fragment = std::fs::read_to_string(out.join("estimate/estimate.toml")).unwrap();
    let table: toml::Table = fragment.parse().unwrap();
    assert!(table["uncertainty"].get("region_shock_sd").is_some());
    assert!(table["remittances"].get("growth_damping").is_some());
    let statement = std::fs::read_to_string(out.join("estimate/estimate.md")).unwrap();
    assert!(statement.contains("cannot identify"));
    for chart in ["estimate.png", "estimate.svg"] {
        assert!(out.join("estimate/charts").join(chart).exists());
    }
}

/// data/estimates/countries.toml is what its own first line's command writes (the country
/// panel's estimates, MODEL.md section 13 revision 3). About 25 s: slow suite only.
#[test]
fn country_estimates_fragment_is_reproduced() {
    if std::env::var_os("MIGPROJ_SLOW_TESTS").is_none() {
        return;
    }
    let shipped = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/estimates/countries.toml"),
    )
    .unwrap();
    let command = shipped
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# Written by `migproj "))
        .and_then(|l| l.strip_suffix('`'))
        .expect("the first line names the command");
    let out = temp_dir("estimate-countries");
    let mut args: Vec<&str> = command.split(' ').collect();
    args.extend([
        "--quiet",
        "--out",
        out.to_str().unwrap(),
        "--name",
        "countries",
    ]);
    let output = migproj(&args);
    assert_success(&output);
    let fresh = std::fs::read_to_string(out.join("countries/estimate.toml")).unwrap();
    let values = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(|l| l.split('#').next().unwrap().trim().to_string())
            .collect()
    };
    assert_eq!(
        values(&shipped),
        values(&fresh),
        "data/estimates/countries.toml drifted from `migproj {command}`"
    );
    let table: toml::Table = shipped.parse().unwrap();
    let region_sd = table["uncertainty"]["region_shock_sd"].as_float().unwrap();
    assert!(
        region_sd > 2.0 * d::REGION_SHOCK_SD,
        "countries vary more than areas"
    );
}

/// Rows after `--until` are left out: adding later figures changes nothing.
#[test]
fn figures_after_the_calibration_year_are_never_read() {
    let dir = temp_dir("estimate-until");
    let history = std::fs::read_to_string("data/history/migrant_stock_area_1960_2000.csv")
        .unwrap_or_else(|_| {
            std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("data/history/migrant_stock_area_1960_2000.csv"),
            )
            .unwrap()
        });
    let with_later = history.clone()
        + "Africa,2010,99000000,invented\nEurope,2010,1000,invented\nWorld,2010,5,invented\n";
    let (plain, later) = (dir.join("plain.csv"), dir.join("later.csv"));
    std::fs::write(&plain, &history).unwrap();
    std::fs::write(&later, &with_later).unwrap();
    let mut results = Vec::new();
    for (file, name) in [(&plain, "a"), (&later, "b")] {
        let output = migproj(&[
            "estimate",
            file.to_str().unwrap(),
            "--simulations",
            "10",
            "--bootstrap",
            "2",
            "--quiet",
            "--name",
            name,
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert_success(&output);
        // The estimates, without the columns that name the output and the history file.
        let csv = std::fs::read_to_string(dir.join(name).join("estimate.csv")).unwrap();
        let rows: Vec<String> = csv
            .lines()
            .map(|l| {
                let start = l.find(',').unwrap() + 1;
                let end = l.rfind(',').unwrap();
                l[start..end].to_string()
            })
            .collect();
        results.push(rows);
    }
    assert_eq!(results[0], results[1]);
    let statement = std::fs::read_to_string(dir.join("b/estimate.md")).unwrap();
    assert!(statement.contains("3 later rows left out"), "{statement}");
}

#[test]
fn bad_history_files_are_located_and_refused() {
    let dir = temp_dir("estimate-bad");
    let cases = [
        (
            "two_years.csv",
            "region,year,stock\nA,1990,10\nA,2000,20\nB,1990,10\nB,2000,30\n",
            "at least three per region",
        ),
        (
            "bad_number.csv",
            "region,year,stock\nA,1990,10\nA,2000,x20\n",
            "two_years",
        ),
        (
            "ragged.csv",
            "region,year,stock\nA,1980,10\nA,1990,10\nA,2000,20\nB,1990,10\nB,1995,20\nB,2000,30\n",
            "every region needs the same years",
        ),
        ("no_header.csv", "A,1990,10\n", "expected a header"),
    ];
    for (name, text, expected) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let output = migproj(&[
            "estimate",
            path.to_str().unwrap(),
            "--out",
            dir.to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        if name == "bad_number.csv" {
            assert!(stderr.contains(&format!("{name}:3:8")), "{stderr}");
        } else {
            assert!(stderr.contains(expected), "{name}: {stderr}");
        }
    }
    assert!(!dir.join("estimate").exists(), "nothing written");
}

/// Histories simulated by the model with known parameters give back those parameters within
/// a few bootstrap standard errors (30 regions x 20 decades, a longer history than the real one,
/// so that the check has power). Slow: runs when MIGPROJ_SLOW_TESTS is set (.ci/run sets it).
#[test]
fn simulated_histories_give_back_their_parameters() {
    if std::env::var_os("MIGPROJ_SLOW_TESTS").is_none() {
        eprintln!("skipped: set MIGPROJ_SLOW_TESTS=1 to run");
        return;
    }
    let text = migproj::scenario::template::template("t");
    let scenario = migproj::scenario::check_scenario_text(
        &migproj::error::SourceFile::new("t.toml", text),
        std::path::Path::new("."),
    )
    .unwrap();
    let kernel = cohort_kernel(&scenario);
    // The kernel starts at 1 and falls: what is left of an arrival cohort.
    assert!((kernel[0] - 1.0).abs() < 1e-12, "K(0) = {}", kernel[0]);
    assert!(kernel.windows(2).all(|w| w[1] <= w[0]));
    let years: Vec<i32> = (0..21).map(|p| 1800 + 10 * p).collect();
    let regions: Vec<String> = (0..30).map(|r| format!("R{r}")).collect();
    let truth = migproj::estimate::GrowthParameters {
        world_shock_sd: 0.01,
        region_shock_sd: 0.03,
        phi: 0.8,
    };
    let template = StockPanel {
        name: "simulated".into(),
        years: years.clone(),
        regions: regions.clone(),
        stocks: vec![vec![1e6; years.len()]; regions.len()],
        world: vec![30e6; years.len()],
        dropped_after_until: 0,
        left_out: Vec::new(),
    };
    let history_seed: u64 = std::env::var("MIGPROJ_HISTORY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(99);
    let panel = migproj::estimate::simulate_panel(&truth, &template, &kernel, 0.02, history_seed);
    let stats = panel_statistics(&panel.years, &panel.stocks, &panel.world);
    assert!(stats.region_spread > 0.0);
    let result = estimate(
        vec![panel],
        None,
        &kernel,
        Options {
            simulations: 50,
            bootstrap: 12,
            seed: 5,
            calibration_span: 10,
        },
        &|| {},
    );
    let p = result.fit.params;
    let se = |key: &str| {
        result
            .parameters
            .iter()
            .find(|q| q.key == key)
            .and_then(|q| q.standard_error)
            .unwrap()
    };
    for (key, estimate, truth) in [
        (
            "uncertainty.world_shock_sd",
            p.world_shock_sd,
            truth.world_shock_sd,
        ),
        (
            "uncertainty.region_shock_sd",
            p.region_shock_sd,
            truth.region_shock_sd,
        ),
        ("arrivals.trend_damping", p.phi, truth.phi),
    ] {
        let se = se(key);
        eprintln!(
            "{key}: {} (se {}), truth {truth}",
            significant(estimate),
            significant(se)
        );
    }
    eprintln!(
        "observed {:?} fitted {:?}",
        result.fit.observed, result.fit.fitted
    );
    for (key, estimate, truth) in [
        (
            "uncertainty.world_shock_sd",
            p.world_shock_sd,
            truth.world_shock_sd,
        ),
        (
            "uncertainty.region_shock_sd",
            p.region_shock_sd,
            truth.region_shock_sd,
        ),
        ("arrivals.trend_damping", p.phi, truth.phi),
    ] {
        let se = se(key);
        assert!(
            (estimate - truth).abs() < 3.0 * se,
            "{key}: {estimate} vs {truth}, se {se}"
        );
    }
}
