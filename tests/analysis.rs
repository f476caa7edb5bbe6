//! compare, hindcast and report: the hindcast's coverage is honest (model-drawn observations
//! are covered at close to the nominal rates, biased ones are not), and the three commands
//! run from the CLI on the shipped scenarios.

mod common;
use common::{assert_success, migproj, temp_dir};

use std::path::Path;

use migproj::hindcast::{score, Observation, Quantiles};
use migproj::scenario::load_scenario;
use migproj::simulate::monte_carlo::run_monte_carlo;
use migproj::simulate::{entity_names, run_deterministic};

/// Observations drawn from the model itself (independent trajectories of another seed) must be
/// covered by the 80% and 95% intervals at close to 80% and 95%; the same observations
/// doubled must not be.
#[test]
fn hindcast_coverage_is_nominal_for_model_draws_and_low_for_biased_ones() {
    let loaded =
        load_scenario(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/regions.toml"))
            .unwrap();
    let mut scenario = loaded.scenario.clone();
    scenario.uncertainty.trajectories = 2000;
    let run = run_deterministic(&scenario).unwrap();
    let projection = run_monte_carlo(&run, &scenario.uncertainty, &|| {});
    let mut truth_settings = scenario.uncertainty.clone();
    truth_settings.seed += 1;
    truth_settings.trajectories = 600;
    let truth = run_monte_carlo(&run, &truth_settings, &|| {});

    let entities = entity_names(&scenario);
    let cal = (scenario.calibration_year - scenario.base_year) as usize;
    let n_years = run.rates.n_years;
    // One observation per truth trajectory, spread over regions, variables and later years.
    let points: Vec<(usize, usize, usize)> = (0..truth.n_trajectories())
        .map(|k| {
            (
                k % entities.len(),
                [0, 5][k % 2],
                cal + 1 + (k * 7) % (n_years - cal - 1),
            )
        })
        .collect();
    let variables = [
        "stock",
        "arrivals",
        "deaths",
        "departures",
        "remittances_sent",
        "remittances_received",
    ];
    let observations = |factor: f64| -> Vec<Observation> {
        points
            .iter()
            .enumerate()
            .map(|(k, &(entity, variable, t))| Observation {
                region: entities[entity].clone(),
                year: scenario.base_year + t as i32,
                variable: variables[variable].to_string(),
                value: truth.value(k, entity, variable, t) * factor,
                source: format!("trajectory {k} of seed {}", truth_settings.seed),
            })
            .collect()
    };
    let summaries = projection.summaries().unwrap();
    let quantiles = |o: &Observation| -> Option<Quantiles> {
        let entity = entities.iter().position(|e| *e == o.region)?;
        let variable = variables.iter().position(|v| *v == o.variable)?;
        let t = (o.year - scenario.base_year) as usize;
        let (_, q) = summaries.get(entity, variable, t);
        Some(Quantiles {
            p2_5: q[0],
            p10: q[1],
            p25: q[2],
            p50: q[3],
            p75: q[4],
            p90: q[5],
            p97_5: q[6],
        })
    };
    let (_, honest) = score(&observations(1.0), quantiles);
    assert_eq!(honest.n, 600);
    assert!(
        (honest.coverage_50 - 0.50).abs() < 0.06,
        "50% coverage {}",
        honest.coverage_50
    );
    eprintln!(
        "model-drawn observations: 80% interval covers {:.3}, 95% covers {:.3}",
        honest.coverage_80, honest.coverage_95
    );
    // Sampling sd of a coverage over 600 points: 1.6 points (80%) and 0.9 points (95%).
    assert!(
        (honest.coverage_80 - 0.80).abs() < 0.05,
        "80% coverage {}",
        honest.coverage_80
    );
    assert!(
        (honest.coverage_95 - 0.95).abs() < 0.03,
        "95% coverage {}",
        honest.coverage_95
    );
    let (_, biased) = score(&observations(2.0), quantiles);
    eprintln!(
        "doubled: 80% covers {:.3}, 95% covers {:.3}",
        biased.coverage_80, biased.coverage_95
    );
    assert!(
        biased.coverage_80 < 0.5 && biased.coverage_95 < 0.7,
        "biased coverage {} / {}",
        biased.coverage_80,
        biased.coverage_95
    );
    assert!(biased.median_absolute_per_cent_error > honest.median_absolute_per_cent_error);
    // A proper score: the biased observations score worse at every level.
    for level in 0..3 {
        assert!(biased.interval_score[level] > honest.interval_score[level]);
    }
    assert!(biased.bias_per_cent < honest.bias_per_cent - 20.0);
}

/// The interval score by hand (Gneiting and Raftery 2007, eq. 43) and the per-group scores.
#[test]
fn interval_score_and_groups_by_hand() {
    use migproj::hindcast::{group_scores, interval_score};
    // Inside: the width. Below by 2 with alpha 0.2: width 10 + (2 / 0.2) 2 = 30.
    assert_eq!(interval_score(90.0, 100.0, 0.2, 95.0), 10.0);
    assert_eq!(interval_score(90.0, 100.0, 0.2, 88.0), 30.0);
    assert_eq!(interval_score(90.0, 100.0, 0.05, 101.0), 10.0 + 40.0);
    let q = Quantiles {
        p2_5: 80.0,
        p10: 90.0,
        p25: 95.0,
        p50: 100.0,
        p75: 105.0,
        p90: 110.0,
        p97_5: 120.0,
    };
    let obs = |region: &str, value: f64| Observation {
        region: region.into(),
        year: 2010,
        variable: "stock".into(),
        value,
        source: "hand".into(),
    };
    let (scored, total) = score(&[obs("A", 100.0), obs("A", 125.0), obs("B", 92.0)], |_| {
        Some(q)
    });
    assert_eq!(total.n, 3);
    assert!((total.coverage_50 - 1.0 / 3.0).abs() < 1e-15);
    assert!((total.coverage_80 - 2.0 / 3.0).abs() < 1e-15);
    assert!((total.coverage_95 - 2.0 / 3.0).abs() < 1e-15);
    // Percentage errors 0, -20 and +8.695...: mean bias -3.768...
    let expected_bias = (0.0 + 100.0 * (100.0 - 125.0) / 125.0 + 100.0 * 8.0 / 92.0) / 3.0;
    assert!((total.bias_per_cent - expected_bias).abs() < 1e-12);
    // 95% interval score of 125: (40 + 40 * 5) / 125.
    assert!((scored[1].relative_interval_score[2] - 240.0 / 125.0).abs() < 1e-12);
    let groups = group_scores(&scored);
    let names: Vec<(&str, &str, usize)> = groups
        .iter()
        .map(|g| (g.variable.as_str(), g.region.as_str(), g.score.n))
        .collect();
    assert_eq!(
        names,
        [
            ("stock", "A", 2),
            ("stock", "B", 1),
            ("stock", "All regions", 3)
        ]
    );
}

#[test]
fn hindcast_runs_from_the_cli_and_refuses_calibration_years() {
    let out = temp_dir("hindcast");
    let output = migproj(&[
        "hindcast",
        "scenarios/regions.toml",
        "--observed",
        "data/observed-ims2020-world.csv",
        "--trajectories",
        "200",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_success(&output);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("against 4 observations") && text.contains("the 80% interval"),
        "{text}"
    );
    let csv = std::fs::read_to_string(out.join("regions-hindcast/hindcast.csv")).unwrap();
    assert!(csv.starts_with(
        "scenario,region,origin,level,year,variable,unit,observed,source,p2_5,p10,p25,p50,p75,p90,p97_5,in_50,in_80,in_95,interval_score_50,interval_score_80,interval_score_95,per_cent_error,data_revision\n"
    ));
    assert_eq!(csv.lines().count(), 5);
    assert!(out.join("regions-hindcast/charts/hindcast.png").is_file());

    let bad = out.join("bad.csv");
    std::fs::write(&bad, "region,year,variable,value,source\nWorld,2000,stock,173230585,IMS 2020\nWorld,2010,stok,2.2e8,IMS 2020\n").unwrap();
    let output = migproj(&[
        "hindcast",
        "scenarios/regions.toml",
        "--observed",
        bad.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("bad.csv:2:7")
            && message.contains("2000 is inside the calibration period"),
        "{message}"
    );
    assert!(
        message.contains("bad.csv:3:12") && message.contains("found `stok`"),
        "{message}"
    );
}

#[test]
fn compare_and_report_run_from_the_cli() {
    let out = temp_dir("compare");
    let output = migproj(&[
        "compare",
        "scenarios/baseline.toml",
        "scenarios/remittance-cost.toml",
        "--trajectories",
        "100",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_success(&output);
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains("remittance-cost against baseline, World 2050: ")
            && table.contains("billion US$ received (80%: "),
        "{table}"
    );
    let compare = std::fs::read_to_string(out.join("compare/compare.csv")).unwrap();
    assert!(
        compare.starts_with("scenario,reference,region,origin,level,year,variable,unit,p10,p50,p90,data_revision\nbaseline,,World,All,world,1990,stock,persons,"),
        "{}",
        &compare[..200]
    );
    assert!(compare.contains("\nremittance-cost,baseline,World,All,world,1990,stock,persons,"));
    let differences = std::fs::read_to_string(out.join("compare/differences.csv")).unwrap();
    // Costs held at 10% instead of 3% in 2050: 0.90 / 0.97 of the baseline's receipts, -7.2%,
    // in every trajectory: the paired relative difference has no spread at all.
    let line = differences
        .lines()
        .find(|l| {
            l.starts_with("remittance-cost,baseline,World,All,world,2050,remittances_received,US dollars,paired,")
        })
        .unwrap();
    let fields: Vec<&str> = line.split(',').collect();
    let expected = 0.90 / 0.97 - 1.0;
    for relative in &fields[14..19] {
        let value: f64 = relative.parse().unwrap();
        assert!((value - expected).abs() < 1e-8, "{line}");
    }
    assert_eq!(fields[19..], ["IMR 2002", "IMR 2002"]);
    for chart in [
        "compare_stock",
        "compare_remittances",
        "difference_remittance-cost",
    ] {
        assert!(out.join(format!("compare/charts/{chart}.png")).is_file());
    }
    // The runs are inside compare/, never in OUT/NAME.
    assert!(out.join("compare/runs/baseline/run.json").is_file());
    assert!(!out.join("baseline").exists());

    let report = out.join("report");
    let output = migproj(&[
        "report",
        out.join("compare/runs/baseline").to_str().unwrap(),
        out.join("compare/runs/remittance-cost").to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
    ]);
    assert_success(&output);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    for part in [
        "## Continuation of 1990-2000 trends",
        "### Assumptions",
        "### Key figures",
        "| Migrant stock | millions | 154 (154–154) | 175 (175–175)",
        "![stock](compare/runs/baseline/charts/stock.png)",
        "### Provenance",
        "data revision IMR 2002",
    ] {
        assert!(md.contains(part), "report.md lacks {part}");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.starts_with("<!-- written by migproj report -->\n<!DOCTYPE html>")
            && html.matches("<img ").count() >= 12,
        "charts embedded"
    );
    // Self-contained: every image is embedded as a PNG.
    assert_eq!(
        html.matches("<img ").count(),
        html.matches("src=\"data:image/png;base64,").count(),
        "the HTML is self-contained"
    );
}
