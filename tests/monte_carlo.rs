//! MODEL.md section 9: the Monte Carlo with every sd at 0 is the deterministic run, the same
//! seed gives the same bytes for any thread count, and the spread of the outcomes matches
//! what the assumptions imply.

mod common;
use common::{assert_success, migproj};

use std::path::Path;

use migproj::error::SourceFile;
use migproj::scenario::{check_scenario_text, Scenario};
use migproj::simulate::monte_carlo::{draw_trajectory, run_monte_carlo};
use migproj::simulate::run_deterministic;

fn scenario_with_uncertainty(uncertainty: &str) -> Scenario {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"),
    )
    .unwrap();
    let cut = text.find("[uncertainty]").unwrap();
    let text = format!("{}{uncertainty}", &text[..cut]);
    check_scenario_text(&SourceFile::new("test.toml", text), Path::new(".")).unwrap()
}

#[test]
fn every_sd_at_zero_gives_exactly_the_deterministic_run() {
    let scenario = scenario_with_uncertainty(
        "[uncertainty]\ntrajectories = 8\ngrowth_sd = 0\nshock_sd = 0\ndeparture_sd = 0\nremittance_growth_sd = 0\nremittance_shock_sd = 0\n",
    );
    let run = run_deterministic(&scenario).unwrap();
    let mc = run_monte_carlo(&scenario, &run, &scenario.uncertainty, &|| {});
    for k in 0..mc.n_trajectories {
        for (entity, variables) in run.derived.iter().enumerate() {
            for (v, series) in variables.iter().enumerate() {
                for (t, &expected) in series.iter().enumerate() {
                    assert_eq!(
                        mc.value(k, entity, v, t),
                        expected,
                        "trajectory {k} variable {v} year {t}"
                    );
                }
            }
        }
    }
}

#[test]
fn draws_depend_on_seed_and_index_only() {
    let scenario = scenario_with_uncertainty("[uncertainty]\ntrajectories = 4\n");
    let run = run_deterministic(&scenario).unwrap();
    let a = draw_trajectory(&scenario, &run, &scenario.uncertainty, 3);
    let b = draw_trajectory(&scenario, &run, &scenario.uncertainty, 3);
    let c = draw_trajectory(&scenario, &run, &scenario.uncertainty, 4);
    assert_eq!(a, b);
    assert_ne!(a, c);
    // The calibration period is shared history.
    let cal = run.rates.calibration_index;
    assert_eq!(&a.amount_usd[..=cal], &run.amount_usd[..=cal]);
    assert!(a.arrival_growth[0][..cal]
        .iter()
        .all(|g| *g == run.calibration.regions[0].arrival_growth));
}

fn standard_deviation(values: &[f64]) -> f64 {
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    (values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64).sqrt()
}

/// With only `growth_sd` non-zero, every trajectory's arrivals grow at a constant
/// `gbar ~ N(g_hat, growth_sd^2)` after the calibration year, so ln(arrivals in year T) has sd
/// `growth_sd (T - cal)` exactly, and ln(stock) the delta-method sd `|d ln S_T / d g| growth_sd`;
/// the stock rises with g, so its median is the deterministic stock.
#[test]
fn spread_with_only_growth_sd_matches_its_analytic_value() {
    let growth_sd = 0.005;
    let scenario = scenario_with_uncertainty(&format!(
        "[uncertainty]\ntrajectories = 20000\nseed = 11\ngrowth_sd = {growth_sd}\nshock_sd = 0\ndeparture_sd = 0\nremittance_growth_sd = 0\nremittance_shock_sd = 0\n"
    ));
    let run = run_deterministic(&scenario).unwrap();
    let mc = run_monte_carlo(&scenario, &run, &scenario.uncertainty, &|| {});
    let t = run.rates.n_years - 1; // 2050
    let cal = run.rates.calibration_index;
    let ln_arrivals: Vec<f64> = (0..mc.n_trajectories)
        .map(|k| mc.value(k, 0, 1, t).ln())
        .collect();
    let expected = growth_sd * (t - cal) as f64;
    let sd = standard_deviation(&ln_arrivals);
    assert!(
        (sd / expected - 1.0).abs() < 0.05,
        "sd ln arrivals {sd}, analytic {expected}"
    );

    // d ln S_T / d g by central differences on the deterministic model.
    let stock_at = |g: f64| -> f64 {
        let mut changed = scenario.clone();
        changed.arrivals.growth = migproj::scenario::Growth::Fixed(g);
        run_deterministic(&changed).unwrap().derived[0][0][t]
    };
    let g_hat = run.calibration.regions[0].arrival_growth;
    let slope = (stock_at(g_hat + 1e-4).ln() - stock_at(g_hat - 1e-4).ln()) / 2e-4;
    let ln_stock: Vec<f64> = (0..mc.n_trajectories)
        .map(|k| mc.value(k, 0, 0, t).ln())
        .collect();
    let sd_stock = standard_deviation(&ln_stock);
    let analytic = slope.abs() * growth_sd;
    assert!(
        (sd_stock / analytic - 1.0).abs() < 0.05,
        "sd ln stock {sd_stock}, analytic {analytic}"
    );

    let (_, quantiles) = mc.summary(0, 0, t);
    let deterministic = run.derived[0][0][t];
    // Standard error of a sample median of ln S: 1.2533 sd / sqrt(K); allow four of them.
    let tolerance = 4.0 * 1.2533 * sd_stock / (mc.n_trajectories as f64).sqrt();
    assert!(
        (quantiles[3] / deterministic).ln().abs() < tolerance,
        "median {} vs deterministic {deterministic}",
        quantiles[3]
    );
}

#[test]
fn one_and_two_threads_write_the_same_bytes_and_quantiles_are_ordered() {
    let base = std::env::temp_dir().join(format!("migproj-mc-threads-{}", std::process::id()));
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = base.join(threads);
        let output = migproj(&[
            "run",
            "scenarios/regions.toml",
            "--trajectories",
            "300",
            "--seed",
            "7",
            "--threads",
            threads,
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_success(&output);
        outputs.push(std::fs::read(out.join("regions/summary.csv")).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
    let text = String::from_utf8(outputs.remove(0)).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "region,year,variable,mean,p2_5,p10,p25,p50,p75,p90,p97_5,data_revision"
    );
    let mut rows = 0;
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        let q: Vec<f64> = fields[4..11].iter().map(|f| f.parse().unwrap()).collect();
        assert!(q.windows(2).all(|w| w[0] <= w[1]), "{line}");
        rows += 1;
    }
    // 7 entities x 61 years x 9 variables.
    assert_eq!(rows, 7 * 61 * 9);
}

#[test]
fn events_and_overrides_and_the_memory_guard() {
    let dir = std::env::temp_dir().join(format!("migproj-mc-events-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml")).unwrap()
        + "\n[[uncertainty.event]]\nvariable = \"stock\"\nyear = 2050\nabove = 1\n\n[[uncertainty.event]]\nvariable = \"ratio_to_oda\"\nyear = 2000\nbelow = 1\n";
    let scenario = dir.join("events.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = dir.join("out");
    let output = migproj(&[
        "run",
        scenario.to_str().unwrap(),
        "--trajectories",
        "50",
        "--quiet",
        "--write-trajectories",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_success(&output);
    let probabilities = std::fs::read_to_string(out.join("baseline/probabilities.csv")).unwrap();
    // Every trajectory has more than one migrant in 2050; in 2000 remittances were 2.36 times aid.
    assert_eq!(
        probabilities,
        "region,year,variable,condition,threshold,probability,standard_error,trajectories\nWorld,2050,stock,above,1,1,0,50\nWorld,2000,ratio_to_oda,below,1,0,0,50\n"
    );
    let trajectories = std::fs::read_to_string(out.join("baseline/trajectories.csv")).unwrap();
    assert_eq!(trajectories.lines().count(), 1 + 50 * 61 * 9);
    let refused = migproj(&[
        "run",
        "scenarios/baseline.toml",
        "--trajectories",
        "200000",
        "--max-memory",
        "100M",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("200000 trajectories")
            && message.contains("837.7 MiB")
            && message.contains("--max-memory"),
        "{message}"
    );
}
