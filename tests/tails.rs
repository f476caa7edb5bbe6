//! MODEL.md section 9, revision 3: bounded tails. Every shipped scenario's Monte Carlo has no
//! trajectory above the world's population, and every World variable's mean stays within a
//! factor 2 of its median through the end year (revision 2's chi-square scales gave a 2050
//! World mean of 24.7 billion against a median of 435 million). 1,000 trajectories here;
//! 1,500 with MIGPROJ_SLOW_TESTS=1 (10,000, then 5,000, 3,000 and 2,000, until CI neared 30
//! minutes; `migproj run SCENARIO --trajectories 10000` checks any one scenario the same way,
//! as every run does).

use std::path::Path;

use migproj::scenario::{load_scenario, ALL_ORIGINS};
use migproj::simulate::monte_carlo::run_monte_carlo;
use migproj::simulate::{run_deterministic, variable_names};

fn trajectories() -> usize {
    if std::env::var_os("MIGPROJ_SLOW_TESTS").is_some() {
        1_500
    } else {
        1_000
    }
}

#[test]
fn shipped_scenarios_have_bounded_tails() {
    let mut paths: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10);
    for path in paths {
        let loaded = load_scenario(Path::new(&path)).unwrap();
        let scenario = &loaded.scenario;
        let mut uncertainty = scenario.uncertainty.clone();
        if uncertainty.trajectories == 0 {
            continue; // a deterministic scenario
        }
        // The country import (222 countries x 3 origin groups, 900 series) at 200: 1,000 take
        // two minutes and 4 GB of values (a run spills them past --max-memory).
        uncertainty.trajectories = if path.file_stem().is_some_and(|s| s == "countries") {
            200
        } else {
            trajectories()
        };
        let run = run_deterministic(scenario).unwrap();
        let mc = run_monte_carlo(&run, &uncertainty, &|| {});
        let above = mc
            .above_world_population(&run.rates.world_population)
            .unwrap();
        assert!(above.is_empty(), "{}: {above:?}", path.display());
        // The World (or the only region), every origin.
        let world = run
            .structure
            .entities
            .iter()
            .position(|e| e.level == "world" && e.origin == ALL_ORIGINS)
            .unwrap();
        let names = variable_names(scenario);
        let summaries = mc.summaries().unwrap();
        let mut worst = (1.0f64, String::new());
        for (v, name) in names.iter().enumerate() {
            for t in 0..mc.n_years() {
                let (mean, q) = summaries.get(world, v, t);
                let median = q[3];
                if median == 0.0 && mean == 0.0 {
                    continue;
                }
                let ratio = mean / median;
                assert!(
                    (0.5..=2.0).contains(&ratio),
                    "{}: World {name} in {}: mean {mean}, median {median}",
                    path.display(),
                    run.rates.year(t)
                );
                if (ratio - 1.0).abs() > (worst.0 - 1.0).abs() {
                    worst = (ratio, format!("{name} {}", run.rates.year(t)));
                }
            }
        }
        println!(
            "{}: largest mean/median of a World variable {:.3} ({})",
            path.display(),
            worst.0,
            worst.1
        );
    }
}
