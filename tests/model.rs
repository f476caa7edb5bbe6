//! MODEL.md section 11 on real and generated scenarios: the accounting identity, no negative
//! cell, calibration targets met, every shipped scenario loads and runs.

use std::path::Path;

use migproj::error::SourceFile;
use migproj::model::rates::Rates;
use migproj::scenario::{check_scenario_text, load_scenario, Scenario};
use migproj::simulate::project::{arrivals_path, project_region};
use migproj::simulate::{deterministic_growth, run_deterministic, DeterministicRun};
use proptest::prelude::*;

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-300)
}

/// The accounting identity, the calibration targets and finiteness of every derived number.
fn assert_invariants(scenario: &Scenario, run: &DeterministicRun) {
    let cal = (scenario.calibration_year - scenario.base_year) as usize;
    // Streams: regions x origin groups (regions alone without [origins]).
    let engine = migproj::simulate::streams::engine_scenario(scenario);
    for (r, core) in run.core.iter().enumerate() {
        for t in 0..core.stock.len() - 1 {
            let expected = core.stock[t] - core.deaths[t] - core.departures[t] + core.arrivals[t];
            assert!(
                relative(core.stock[t + 1], expected) < 1e-9,
                "identity fails in stream {r} year {t}"
            );
        }
        let stream = &engine.regions[r];
        assert!(relative(core.stock[0], stream.stock_base_persons) < 1e-9);
        assert!(relative(core.stock[cal], stream.stock_calibration_persons) < 1e-9);
    }
    if scenario.origins.is_empty() {
        let world = run.derived.len() - 1;
        let received = &run.derived[world][5];
        if scenario.remittances.received_base_usd > 0.0 {
            assert!(relative(received[0], scenario.remittances.received_base_usd) < 1e-9);
            assert!(relative(received[cal], scenario.remittances.received_calibration_usd) < 1e-9);
        }
    } else {
        use migproj::simulate::streams::entity_index;
        for (o, figures) in scenario.remittances.received_by_origin.iter().enumerate() {
            let e = entity_index(scenario, None, Some(o)).unwrap();
            let received = &run.derived[e][5];
            match figures {
                Some((base, calibration)) => {
                    assert!(relative(received[0], *base) < 1e-9, "group {o}");
                    assert!(relative(received[cal], *calibration) < 1e-9, "group {o}");
                }
                None => assert!(received.iter().all(|x| *x == 0.0), "group {o} not modelled"),
            }
        }
        // The groups sum to their region, for every variable that adds up.
        for r in 0..scenario.regions.len() {
            let all = entity_index(scenario, Some(r), None).unwrap();
            for v in 0..7 {
                for t in 0..run.rates.n_years {
                    let sum: f64 = (0..scenario.origins.len())
                        .map(|o| {
                            run.derived[entity_index(scenario, Some(r), Some(o)).unwrap()][v][t]
                        })
                        .sum();
                    assert!(
                        (sum - run.derived[all][v][t]).abs()
                            <= 1e-9 * run.derived[all][v][t].abs().max(1.0),
                        "region {r} variable {v} year {t}"
                    );
                }
            }
        }
    }
    for entity in &run.derived {
        for variable in entity {
            assert!(variable.iter().all(|x| x.is_finite() && *x >= 0.0));
        }
    }
}

/// Re-projects every region and checks every cell of every year's state.
fn assert_no_negative_cell(scenario: &Scenario, run: &DeterministicRun) {
    let rates = Rates::new(scenario);
    for r in 0..scenario.regions.len() {
        let calibration = &run.calibration.regions[r];
        assert!(calibration.initial_state.iter().all(|x| *x >= 0.0));
        let arrivals = arrivals_path(
            &rates,
            r,
            calibration.arrivals_base,
            deterministic_growth(scenario, &rates, &run.calibration, r),
        );
        let last = project_region(
            &rates,
            r,
            (0, rates.n_years),
            calibration.initial_state.view(),
            &arrivals,
            |_| 1.0,
            |_, state, flows, _| {
                assert!(state.iter().all(|x| *x >= 0.0 && x.is_finite()));
                assert!(flows.deaths >= 0.0 && flows.departures >= 0.0);
            },
        );
        assert!(last.iter().all(|x| *x >= 0.0));
    }
}

#[test]
fn every_shipped_scenario_loads_runs_and_keeps_the_invariants() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let loaded = load_scenario(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let run = run_deterministic(&loaded.scenario)
                .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
            assert_invariants(&loaded.scenario, &run);
            assert_no_negative_cell(&loaded.scenario, &run);
            // Each scenario's own sanity bounds: a positive stock, below a fifth of the world.
            let world = run.derived.len() - 1;
            assert!(
                run.derived[world][0].iter().all(|s| *s > 0.0),
                "{}",
                path.display()
            );
            assert!(
                run.derived[world][7].iter().all(|share| *share < 0.2),
                "{}",
                path.display()
            );
            count += 1;
        }
    }
    assert!(count >= 9, "found {count} scenario files");
}

#[test]
fn baseline_age_structure_is_plausible_in_2000() {
    let loaded =
        load_scenario(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"))
            .unwrap();
    let run = run_deterministic(&loaded.scenario).unwrap();
    let by_age = run.detail[0].by_age[10];
    let median = migproj::simulate::median_age(&by_age).unwrap();
    // MODEL.md section 4: about 38.2 with the defaults; UN: about 38 in 2000.
    assert!((median - 38.2).abs() < 0.1, "median age {median}");
    let total: f64 = by_age.iter().sum();
    let working: f64 = by_age[20..=64].iter().sum();
    let share = working / total;
    assert!((0.65..=0.75).contains(&share), "share aged 20-64: {share}");
}

#[test]
fn world_rows_are_the_sum_of_the_regions() {
    let loaded =
        load_scenario(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/regions.toml"))
            .unwrap();
    let run = run_deterministic(&loaded.scenario).unwrap();
    let n = loaded.scenario.regions.len();
    assert_eq!(run.derived.len(), n + 1);
    for variable in 0..7 {
        for t in 0..run.rates.n_years {
            let sum: f64 = (0..n).map(|r| run.derived[r][variable][t]).sum();
            assert!(relative(run.derived[n][variable][t], sum) < 1e-12);
        }
    }
    // IMS 2020: the six areas sum to the world figure.
    assert!(relative(run.derived[n][0][0], 152_986_157.0) < 1e-9);
    assert!(relative(run.derived[n][0][10], 173_230_585.0) < 1e-9);
}

/// A scenario with given assumptions, as a user would write it.
fn generated_scenario(
    e0: (f64, f64),
    improvement: f64,
    departure: (f64, f64, f64),
    growth_ratio: f64,
    female_share: f64,
    max_duration: usize,
    propensity: &str,
    two_regions: bool,
) -> String {
    let second = if two_regions {
        format!(
            "[[region]]\nname = \"South\"\nstock = {{ 1990 = 2e6, 2000 = {} }}\n",
            2e6 * growth_ratio.sqrt()
        )
    } else {
        String::new()
    };
    format!(
        r#"[scenario]
name = "generated"
base_year = 1990
calibration_year = 2000
end_year = 2030
data_revision = "test"
max_duration = {max_duration}

[[region]]
name = "North"
stock = {{ 1990 = 10e6, 2000 = {} }}
female_share = {female_share}

{second}
[world_population]
points = {{ 1990 = 5.3e9, 2000 = 6.1e9 }}

[mortality]
life_expectancy = {{ female = {}, male = {} }}
improvement = {improvement}

[departure]
initial = {}
long_run = {}
decay = {}

[[arrivals.pulse]]
year = 2010
persons = 1e5
region = "North"

[remittances]
received = {{ 1990 = 5e9, 2000 = 8e9 }}
propensity = {propensity}
cost = {{ 2000 = 0.1, 2030 = 0.03 }}

[comparison]
aid = {{ 1990 = 4e9 }}
"#,
        10e6 * growth_ratio,
        e0.0,
        e0.1,
        departure.0,
        departure.1,
        departure.2
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_for_generated_scenarios(
        e0_female in 55.0f64..88.0,
        e0_gap in 0.0f64..8.0,
        improvement in 0.0f64..0.3,
        initial in 0.0f64..0.6,
        long_run in 0.0f64..0.1,
        decay in 0.0f64..1.0,
        growth_ratio in 0.8f64..1.6,
        female_share in 0.3f64..0.7,
        max_duration in 1usize..60,
        propensity_kind in 0usize..3,
        two_regions in any::<bool>(),
    ) {
        let propensity = ["{ model = \"constant\", value = 0.6 }", "{ model = \"exponential\", initial = 0.8, long_run = 0.3, decay = 0.1 }", "{ model = \"hump\", peak = 0.7, peak_duration = 8 }"][propensity_kind];
        let text = generated_scenario((e0_female, e0_female - e0_gap), improvement, (initial, long_run, decay), growth_ratio, female_share, max_duration, propensity, two_regions);
        let file = SourceFile::new("generated.toml", text);
        let scenario = check_scenario_text(&file, Path::new(".")).expect("the generated scenario is valid");
        let run = run_deterministic(&scenario).expect("it calibrates");
        assert_invariants(&scenario, &run);
        assert_no_negative_cell(&scenario, &run);
    }
}

/// A mortality table and an age-schedule table that restate the parametric ones give the same
/// projection; a bad cell in a table is reported with the table's line and column.
#[test]
fn csv_tables_replace_the_parametric_schedules() {
    use migproj::model::arrivals::age_sex_shares;
    use migproj::model::mortality::{gompertz_makeham_table, solve_beta};
    use migproj::scenario::AgeSchedule;

    let dir = std::env::temp_dir().join(format!("migproj-tables-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"),
    )
    .unwrap();
    // The parametric run with constant mortality (no improvement).
    let parametric_text = base.replace("improvement = 0.15", "improvement = 0.0");
    let parametric =
        check_scenario_text(&SourceFile::new("p.toml", parametric_text.clone()), &dir).unwrap();
    let q: Vec<Vec<f64>> = [77.0, 71.0]
        .iter()
        .map(|&e0| gompertz_makeham_table(0.0005, solve_beta(0.0005, 0.09, e0).unwrap(), 0.09))
        .collect();
    let mut mortality = String::from("age,female,male\n");
    for age in 0..=100 {
        mortality.push_str(&format!("{age},{},{}\n", q[0][age], q[1][age]));
    }
    std::fs::write(dir.join("mortality.csv"), &mortality).unwrap();
    let AgeSchedule::RogersCastro { .. } = parametric.arrivals.age_schedule else {
        panic!()
    };
    let [female, male] = age_sex_shares(&parametric.arrivals.age_schedule, 0.49);
    let mut schedule = String::from("age,female,male\n");
    for age in 0..=100 {
        // Weights need not sum to one: scaled by 1000 to show that they are normalized.
        schedule.push_str(&format!(
            "{age},{},{}\n",
            female[age] * 1000.0,
            male[age] * 1000.0
        ));
    }
    std::fs::write(dir.join("arrivals.csv"), &schedule).unwrap();
    let tabled_text = base
        .replace("life_expectancy = { female = 77.0, male = 71.0 }\nimprovement = 0.15", "table = \"mortality.csv\"")
        .replace("female_share = 0.49               # IMS 2020: 49.3 per cent of migrants female in 1990", "age_schedule = { table = \"arrivals.csv\" }");
    let tabled = check_scenario_text(
        &SourceFile::new(dir.join("t.toml"), tabled_text.clone()),
        &dir,
    )
    .unwrap();
    let (a, b) = (
        run_deterministic(&parametric).unwrap(),
        run_deterministic(&tabled).unwrap(),
    );
    for (x, y) in a.derived[0]
        .iter()
        .flatten()
        .zip(b.derived[0].iter().flatten())
    {
        assert!(relative(*x, *y) < 1e-9, "{x} vs {y}");
    }
    // A probability above 1 in the table: located in mortality.csv, reported at the key.
    let broken: Vec<String> = mortality
        .lines()
        .map(|l| {
            if l.starts_with("40,") {
                format!("40,1.5,{}", l.rsplit(',').next().unwrap())
            } else {
                l.to_string()
            }
        })
        .collect();
    std::fs::write(dir.join("mortality.csv"), broken.join("\n")).unwrap();
    let errors =
        check_scenario_text(&SourceFile::new(dir.join("t.toml"), tabled_text), &dir).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].message.contains("mortality.csv:42:4")
            && errors[0].message.contains("must be a probability in 0..=1"),
        "{}",
        errors[0].message
    );
}

/// MODEL.md section 12: origin groups change nothing when there is one group: a scenario with
/// `[origins]` of one group gives the same numbers, in every `All` row, as without.
#[test]
fn one_origin_group_gives_the_same_numbers_as_none() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/regions.toml"),
    )
    .unwrap();
    let plain = check_scenario_text(
        &SourceFile::new("a.toml", text.clone()),
        std::path::Path::new("."),
    )
    .unwrap();
    // Every stock becomes { year = { "Everyone" = persons } }, and received likewise.
    let mut grouped_text = String::from("[origins]\ngroups = [\"Everyone\"]\n\n");
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("stock = { ") {
            let figures: Vec<&str> = rest.trim_end_matches(" }").split(", ").collect();
            let inner: Vec<String> = figures
                .iter()
                .map(|f| {
                    let (year, value) = f.split_once(" = ").unwrap();
                    format!("{year} = {{ \"Everyone\" = {value} }}")
                })
                .collect();
            grouped_text += &format!("stock = {{ {} }}\n", inner.join(", "));
        } else if let Some(rest) = line.strip_prefix("received = ") {
            grouped_text += &format!(
                "received = {{ \"Everyone\" = {} }}\n",
                rest.split('#').next().unwrap().trim()
            );
        } else {
            grouped_text += line;
            grouped_text += "\n";
        }
    }
    let grouped = check_scenario_text(
        &SourceFile::new("b.toml", grouped_text),
        std::path::Path::new("."),
    )
    .unwrap();
    assert_eq!(grouped.origins, ["Everyone"]);
    let (a, b) = (
        run_deterministic(&plain).unwrap(),
        run_deterministic(&grouped).unwrap(),
    );
    // The All rows come first, in the same order.
    for (e, entity) in a.derived.iter().enumerate() {
        assert_eq!(entity, &b.derived[e], "entity {e}");
    }
    // And the group rows of a one-group scenario equal the All rows.
    let n = a.derived.len();
    for e in 0..n {
        for v in 0..8 {
            assert_eq!(
                a.derived[e][v],
                b.derived[n + e][v],
                "entity {e} variable {v}"
            );
        }
    }
}

/// scenarios/origins.toml: remittances received by low- and middle-income countries first
/// exceed the official aid they receive in 1997, the year the WDI figures show.
#[test]
fn origins_scenario_crosses_aid_in_1997() {
    let loaded = migproj::scenario::load_scenario(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/origins.toml"),
    )
    .unwrap();
    let scenario = &loaded.scenario;
    let run = run_deterministic(scenario).unwrap();
    assert_invariants(scenario, &run);
    let lmy = scenario
        .origins
        .iter()
        .position(|o| o == "Low and middle income")
        .unwrap();
    let e = migproj::simulate::streams::entity_index(scenario, None, Some(lmy)).unwrap();
    let ratio = &run.derived[e][8];
    let first = (1..ratio.len())
        .find(|&t| ratio[t] > 1.0 && ratio[t - 1] <= 1.0)
        .unwrap();
    assert_eq!(scenario.base_year + first as i32, 1997);
}

/// MODEL.md section 7, revision 3: in scenarios/origins.toml each origin group's amount per
/// remitter grows after 2000 at `gbar_m + (g_m_hat - gbar_m) psi^j`, so the groups' growths
/// converge to the growth calibrated for every modelled group together; with psi = 1 each
/// keeps its own 1990s growth (revision 2), with psi = 0 all move to gbar_m at once.
#[test]
fn origin_groups_amounts_converge_to_the_pooled_amount_growth() {
    let loaded = load_scenario(Path::new("scenarios/origins.toml")).unwrap();
    for psi in [migproj::scenario::defaults::GROWTH_DAMPING, 1.0, 0.0] {
        let mut scenario = loaded.scenario.clone();
        scenario.remittances.growth_damping = psi;
        let run = run_deterministic(&scenario).unwrap();
        let cal = run.rates.calibration_index;
        let calibration = &run.calibration;
        // gbar_m by hand from the calibration's own figures: summed receipts over summed
        // remitters, in both years.
        let modelled: Vec<_> = calibration
            .remittances
            .iter()
            .filter(|r| r.amount_base_usd > 0.0)
            .collect();
        assert!(modelled.len() >= 2, "origins.toml models two groups");
        let received =
            |amount: f64, remitters: f64, t: usize| amount * remitters * (1.0 - run.rates.cost[t]);
        let (mut r_base, mut r_cal, mut e_base, mut e_cal) = (0.0, 0.0, 0.0, 0.0);
        for r in &modelled {
            r_base += received(r.amount_base_usd, r.remitters_base, 0);
            r_cal += received(r.amount_calibration_usd, r.remitters_calibration, cal);
            e_base += r.remitters_base;
            e_cal += r.remitters_calibration;
        }
        let m_base = r_base / ((1.0 - run.rates.cost[0]) * e_base);
        let m_cal = r_cal / ((1.0 - run.rates.cost[cal]) * e_cal);
        let gbar_m = (m_cal / m_base).ln() / cal as f64;
        assert!(relative(calibration.pooled_remittance_growth.unwrap(), gbar_m) < 1e-9);
        for (group, r) in calibration.remittances.iter().enumerate() {
            if r.amount_base_usd == 0.0 {
                assert!(run.amount_usd[group].iter().all(|&m| m == 0.0));
                continue;
            }
            for j in [0usize, 1, 5, 20, 40] {
                let t = cal + j;
                if t + 1 >= run.rates.n_years {
                    continue;
                }
                let growth = (run.amount_usd[group][t + 1] / run.amount_usd[group][t]).ln();
                let expected = gbar_m + (r.growth - gbar_m) * psi.powi(j as i32);
                assert!(
                    (growth - expected).abs() < 1e-12,
                    "psi {psi}, group {group}, year {}: {growth} vs {expected}",
                    run.rates.year(t)
                );
            }
        }
    }
}

/// MODEL.md section 12: an origin group with no migrants in either year is an empty stream. It
/// stays empty in every year and every trajectory, the other streams meet their targets, and
/// a group with migrants in one year only is refused at its figures.
#[test]
fn an_empty_stream_stays_empty() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/origins/empty_stream.toml");
    let loaded = load_scenario(&path).unwrap();
    let scenario = &loaded.scenario;
    let run = run_deterministic(scenario).unwrap();
    assert_invariants(scenario, &run);
    assert_no_negative_cell(scenario, &run);
    // Streams are region-major: Africa (region 2) x Unknown (group 2).
    let empty = 2 * scenario.n_groups() + 2;
    assert_eq!(run.calibration.regions[empty].arrivals_base, 0.0);
    let core = &run.core[empty];
    assert!(core.stock.iter().chain(&core.arrivals).all(|&x| x == 0.0));
    assert!(run.calibration.pooled_growth.is_finite());
    // Every trajectory keeps it empty.
    let mut uncertainty = scenario.uncertainty.clone();
    uncertainty.trajectories = 50;
    let mc = migproj::simulate::monte_carlo::run_monte_carlo(&run, &uncertainty, &|| {});
    let entity = run
        .structure
        .entities
        .iter()
        .position(|e| e.region == "Africa" && e.origin == "Unknown")
        .unwrap();
    for k in 0..50 {
        for t in 0..mc.n_years() {
            assert_eq!(mc.value(k, entity, 0, t), 0.0);
        }
    }
    // No migrants in one year only: refused at the region's stock, naming the group.
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "\"Unknown\" = 0 }",
        "\"Unknown\" = 5 }",
        1,
    );
    let error = check_scenario_text(&SourceFile::new("one-year.toml", text), Path::new("."))
        .map(|_| ())
        .unwrap_err();
    let message = format!("{error:?}");
    assert!(
        message.contains("Unknown") && message.contains("one year only"),
        "{message}"
    );
}
