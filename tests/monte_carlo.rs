//! MODEL.md section 9: the Monte Carlo with every sd at 0 is the deterministic run, the same
//! seed gives the same bytes for any thread count, and the spread of the outcomes matches
//! what the assumptions imply.

mod common;
use common::{assert_success, migproj, migproj_with_env};

use std::path::Path;

use migproj::error::SourceFile;
use migproj::model::simd::InstructionSet;
use migproj::scenario::{check_scenario_text, Scenario};
use migproj::simulate::monte_carlo::{
    draw_trajectory, run_monte_carlo, run_monte_carlo_on, Engine,
};
use migproj::simulate::run_deterministic;

fn scenario_with_uncertainty(uncertainty: &str) -> Scenario {
    scenario_from("scenarios/baseline.toml", uncertainty)
}

fn scenario_from(file: &str, uncertainty: &str) -> Scenario {
    scenario_from_edited(file, uncertainty, &|text| text)
}

/// `file` with `edit` applied and its `[uncertainty]` replaced by `uncertainty`.
fn scenario_from_edited(
    file: &str,
    uncertainty: &str,
    edit: &dyn Fn(String) -> String,
) -> Scenario {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    let text = edit(text);
    let cut = text.find("[uncertainty]").unwrap();
    let text = format!("{}{uncertainty}", &text[..cut]);
    check_scenario_text(&SourceFile::new("test.toml", text), Path::new(".")).unwrap()
}

/// A scenario text ending in 2005 instead of 2050.
fn to_2005(text: String) -> String {
    assert!(text.contains("end_year = 2050"));
    text.replace("end_year = 2050", "end_year = 2005")
}

/// Every sd of MODEL.md section 9 at zero, then `extra` (keys later in the text win: the
/// checker refuses duplicates, so `extra` names keys not in this list).
fn only(keys: &[(&str, f64)], trajectories: usize, seed: u64) -> String {
    let all = [
        "world_growth_sd",
        "world_shock_sd",
        "region_shock_sd",
        "departure_sd",
        "remittance_growth_sd",
        "remittance_shock_sd",
        "world_sd_rel_se",
        "region_sd_rel_se",
        "remittance_sd_rel_se",
    ];
    let mut text = format!("[uncertainty]\ntrajectories = {trajectories}\nseed = {seed}\n");
    for key in all {
        let value = keys
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .unwrap_or(0.0);
        text += &format!("{key} = {value}\n");
    }
    for (key, value) in keys.iter().filter(|(k, _)| !all.contains(k)) {
        text += &format!("{key} = {value}\n");
    }
    text
}

#[test]
fn every_sd_at_zero_gives_exactly_the_deterministic_run() {
    for (file, damping) in [
        ("scenarios/baseline.toml", None),
        ("scenarios/regions.toml", None),
        ("scenarios/regions.toml", Some(0.7)),
    ] {
        let mut scenario = scenario_from(file, &only(&[], 8, 1));
        if let Some(phi) = damping {
            scenario.arrivals.trend_damping = phi;
        }
        let run = run_deterministic(&scenario).unwrap();
        let mc = run_monte_carlo(&run, &scenario.uncertainty, &|| {});
        for k in 0..mc.n_trajectories() {
            for (entity, variables) in run.derived.iter().enumerate() {
                for (v, series) in variables.iter().enumerate() {
                    for (t, &expected) in series.iter().enumerate() {
                        assert_eq!(
                            mc.value(k, entity, v, t),
                            expected,
                            "{file}: trajectory {k} variable {v} year {t}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn draws_depend_on_seed_and_index_only() {
    let scenario = scenario_with_uncertainty("[uncertainty]\ntrajectories = 4\n");
    let run = run_deterministic(&scenario).unwrap();
    let a = draw_trajectory(&run, &scenario.uncertainty, 3);
    let b = draw_trajectory(&run, &scenario.uncertainty, 3);
    let c = draw_trajectory(&run, &scenario.uncertainty, 4);
    assert_eq!(a, b);
    assert_ne!(a, c);
    // The calibration period is shared history.
    let cal = run.rates.calibration_index;
    assert_eq!(&a.amount_usd[0][..=cal], &run.amount_usd[0][..=cal]);
    assert!(a.arrival_growth[0][..cal]
        .iter()
        .all(|g| *g == run.calibration.regions[0].arrival_growth));
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn standard_deviation(values: &[f64]) -> f64 {
    let m = mean(values);
    (values.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64).sqrt()
}

/// Regression slope of `y` on `x` through the origin (both have mean 0 in the model).
fn slope(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>() / x.iter().map(|a| a * a).sum::<f64>()
}

fn correlation(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let syy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    sxy / (sxx * syy).sqrt()
}

/// Arrival growth `ln(I_{t+1} / I_t)` of `entity` in year index `t`, read back from the
/// written trajectories (the shipped scenarios have no changes or pulses after 2000 here).
fn written_growth(
    mc: &migproj::simulate::monte_carlo::MonteCarlo,
    entity: usize,
    t: usize,
) -> Vec<f64> {
    (0..mc.n_trajectories())
        .map(|k| (mc.value(k, entity, 1, t + 1) / mc.value(k, entity, 1, t)).ln())
        .collect()
}

/// Section 9, world terms: from the arrivals each trajectory writes, the growth deviation
/// `g - g_det` of year cal+1 has sd `sqrt(world_growth_sd^2 + world_shock_sd^2)`, that of cal
/// is `world_growth_sd` alone (w[cal] = 0), and the AR(1) persistence is the regression of
/// `w[t+1]` on `w[t]`. Both regions move together (one common term).
#[test]
fn written_trajectories_recover_the_world_terms() {
    let (growth_sd, shock_sd, ar1) = (0.004, 0.01, 0.6);
    // To 2005 only: the test reads the years 2000-2003 (20,000 trajectories to 2050 took 80 s
    // of CI).
    let scenario = scenario_from_edited(
        "scenarios/regions.toml",
        &only(
            &[
                ("world_growth_sd", growth_sd),
                ("world_shock_sd", shock_sd),
                ("world_ar1", ar1),
            ],
            20000,
            5,
        ),
        &to_2005,
    );
    let run = run_deterministic(&scenario).unwrap();
    let mc = run_monte_carlo(&run, &scenario.uncertainty, &|| {});
    let cal = run.rates.calibration_index;
    let det = |r: usize, t: usize| (run.derived[r][1][t + 1] / run.derived[r][1][t]).ln();
    let dev = |r: usize, t: usize| -> Vec<f64> {
        written_growth(&mc, r, t)
            .iter()
            .map(|g| g - det(r, t))
            .collect()
    };
    let level = dev(0, cal);
    let sd = standard_deviation(&level);
    assert!((sd / growth_sd - 1.0).abs() < 0.03, "world_growth_sd {sd}");
    // w[t] = deviation - level, per trajectory.
    let w = |t: usize| -> Vec<f64> { dev(0, t).iter().zip(&level).map(|(d, l)| d - l).collect() };
    let (w1, w2) = (w(cal + 1), w(cal + 2));
    let sd1 = standard_deviation(&w1);
    assert!((sd1 / shock_sd - 1.0).abs() < 0.03, "world_shock_sd {sd1}");
    let persistence = slope(&w1, &w2);
    assert!((persistence - ar1).abs() < 0.03, "world_ar1 {persistence}");
    // A common term: another region's deviation is the same number.
    let other: Vec<f64> = dev(3, cal + 1);
    let first: Vec<f64> = dev(0, cal + 1);
    assert!(other.iter().zip(&first).all(|(a, b)| (a - b).abs() < 1e-9));
}

/// Section 9, stream terms: each region's own AR(1) deviation, independent across regions,
/// with no common part.
#[test]
fn written_trajectories_recover_the_region_terms() {
    let (shock_sd, ar1) = (0.02, 0.5);
    // To 2005 only: the test reads the years 2000-2003 (20,000 trajectories to 2050 took 80 s
    // of CI).
    let scenario = scenario_from_edited(
        "scenarios/regions.toml",
        &only(
            &[("region_shock_sd", shock_sd), ("region_ar1", ar1)],
            20000,
            6,
        ),
        &to_2005,
    );
    let run = run_deterministic(&scenario).unwrap();
    let mc = run_monte_carlo(&run, &scenario.uncertainty, &|| {});
    let cal = run.rates.calibration_index;
    let det = |r: usize, t: usize| (run.derived[r][1][t + 1] / run.derived[r][1][t]).ln();
    let dev = |r: usize, t: usize| -> Vec<f64> {
        written_growth(&mc, r, t)
            .iter()
            .map(|g| g - det(r, t))
            .collect()
    };
    assert!(dev(2, cal).iter().all(|d| d.abs() < 1e-9), "v[cal] = 0");
    let (v1, v2) = (dev(2, cal + 1), dev(2, cal + 2));
    let sd = standard_deviation(&v1);
    assert!((sd / shock_sd - 1.0).abs() < 0.03, "region_shock_sd {sd}");
    let persistence = slope(&v1, &v2);
    assert!((persistence - ar1).abs() < 0.03, "region_ar1 {persistence}");
    let across = correlation(&v1, &dev(4, cal + 1));
    assert!(
        across.abs() < 0.03,
        "streams independent: correlation {across}"
    );
}

/// Revision 3's bounded parameter uncertainty: with `world_sd_rel_se = 0.5`, the long-run
/// growth is `s world_growth_sd z` with `s` lognormal of mean 1 and coefficient of variation
/// 0.5, independent of z: its sd is `world_growth_sd sqrt(1 + 0.5^2)`.
#[test]
fn relative_standard_error_widens_the_fan_as_a_lognormal_scale() {
    let (growth_sd, rel_se) = (0.004, 0.5);
    let scenario = scenario_with_uncertainty(&only(
        &[("world_growth_sd", growth_sd), ("world_sd_rel_se", rel_se)],
        40000,
        8,
    ));
    let run = run_deterministic(&scenario).unwrap();
    let g_det = run.calibration.regions[0].arrival_growth;
    let deviations: Vec<f64> = (0..scenario.uncertainty.trajectories as u64)
        .map(|k| {
            draw_trajectory(&run, &scenario.uncertainty, k).arrival_growth[0]
                [run.rates.calibration_index]
                - g_det
        })
        .collect();
    let sd = standard_deviation(&deviations);
    let expected = growth_sd * (1.0 + rel_se * rel_se).sqrt();
    assert!(
        (sd / expected - 1.0).abs() < 0.03,
        "sd {sd}, expected {expected}"
    );
    // The scale alone: mean 1 and sd rel_se (MODEL.md section 9: a lognormal with the
    // estimate's mean and standard error).
    use migproj::simulate::monte_carlo::sd_scale;
    let scales: Vec<f64> = (0..200_000)
        .map(|i| {
            // Standard normal quantiles of an even grid: a deterministic sample.
            let p = (i as f64 + 0.5) / 200_000.0;
            sd_scale(rel_se, normal_quantile(p))
        })
        .collect();
    let mean = scales.iter().sum::<f64>() / scales.len() as f64;
    assert!((mean - 1.0).abs() < 1e-3, "mean scale {mean}");
    assert!((standard_deviation(&scales) / rel_se - 1.0).abs() < 1e-2);
    assert_eq!(sd_scale(0.0, 3.0), 1.0);
}

/// The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9).
fn normal_quantile(p: f64) -> f64 {
    let a = [
        -3.969683028665376e+01,
        2.209460984245205e+02,
        -2.759285104469687e+02,
        1.383_577_518_672_69e2,
        -3.066479806614716e+01,
        2.506628277459239e+00,
    ];
    let b = [
        -5.447609879822406e+01,
        1.615858368580409e+02,
        -1.556989798598866e+02,
        6.680131188771972e+01,
        -1.328068155288572e+01,
    ];
    let c = [
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e+00,
        -2.549732539343734e+00,
        4.374664141464968e+00,
        2.938163982698783e+00,
    ];
    let d = [
        7.784695709041462e-03,
        3.224671290700398e-01,
        2.445134137142996e+00,
        3.754408661907416e+00,
    ];
    let tail = |q: f64| {
        (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
            / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0)
    }
}

/// Departure multiplier and remittance terms, from the draws: the log multiplier reaches
/// `departure_sd` after `departure_ramp` years and grows linearly before; the log amount per
/// remitter grows by `g_m + remittance_growth_sd z` plus a random walk of `remittance_shock_sd`.
#[test]
fn departure_ramp_and_remittance_terms_are_recovered() {
    let scenario = scenario_with_uncertainty(&only(
        &[
            ("departure_sd", 0.15),
            ("departure_ramp", 10.0),
            ("remittance_growth_sd", 0.01),
            ("remittance_shock_sd", 0.03),
        ],
        20000,
        9,
    ));
    let run = run_deterministic(&scenario).unwrap();
    let cal = run.rates.calibration_index;
    let draws: Vec<_> = (0..scenario.uncertainty.trajectories as u64)
        .map(|k| draw_trajectory(&run, &scenario.uncertainty, k))
        .collect();
    let ln_m = |t: usize| -> Vec<f64> {
        draws
            .iter()
            .map(|d| d.departure_multiplier[t].ln())
            .collect()
    };
    assert!(
        ln_m(cal).iter().all(|x| *x == 0.0),
        "no jump in the calibration year"
    );
    let full = standard_deviation(&ln_m(cal + 10));
    assert!((full / 0.15 - 1.0).abs() < 0.03, "departure_sd {full}");
    assert!((standard_deviation(&ln_m(cal + 20)) / full - 1.0).abs() < 1e-9);
    let half = standard_deviation(&ln_m(cal + 5));
    assert!(
        (half / full - 0.5).abs() < 1e-9,
        "linear ramp: {half} vs {full}"
    );
    let growth = |t: usize| -> Vec<f64> {
        draws
            .iter()
            .map(|d| (d.amount_usd[0][t + 1] / d.amount_usd[0][t]).ln())
            .collect()
    };
    // Year-on-year growth = gbar_m + shock: its sd across trajectories is
    // sqrt(growth_sd^2 + shock_sd^2); the difference of two years' growth removes gbar_m.
    let (a, b) = (growth(cal + 3), growth(cal + 4));
    let diff: Vec<f64> = a.iter().zip(&b).map(|(x, y)| x - y).collect();
    let shock = standard_deviation(&diff) / 2f64.sqrt();
    assert!(
        (shock / 0.03 - 1.0).abs() < 0.03,
        "remittance_shock_sd {shock}"
    );
    let total = standard_deviation(&a);
    let growth_sd = (total * total - shock * shock).sqrt();
    assert!(
        (growth_sd / 0.01 - 1.0).abs() < 0.1,
        "remittance_growth_sd {growth_sd}"
    );
}

/// MODEL.md section 11: no summary band jumps between the calibration year and the next.
/// With the shipped defaults, the 95% band of every variable is a point in the calibration
/// year and at most 0.35 times as wide a year later as ten years later (a random walk gives
/// sqrt(1/10) = 0.32; the revision 1 departure multiplier gave about 1).
#[test]
fn no_band_jumps_at_the_calibration_year() {
    let scenario = scenario_from(
        "scenarios/regions.toml",
        "[uncertainty]\ntrajectories = 2000\n",
    );
    let run = run_deterministic(&scenario).unwrap();
    let mc = run_monte_carlo(&run, &scenario.uncertainty, &|| {});
    let cal = run.rates.calibration_index;
    let world = mc.n_entities() - 1;
    let summaries = mc.summaries().unwrap();
    for variable in 0..mc.n_variables() {
        let width = |t: usize| {
            let (_, q) = summaries.get(world, variable, t);
            (q[6] - q[0]) / q[3].abs().max(f64::MIN_POSITIVE)
        };
        assert!(
            width(cal) < 1e-12,
            "variable {variable}: band at the calibration year {}",
            width(cal)
        );
        assert!(
            width(cal + 1) <= 0.35 * width(cal + 10),
            "variable {variable}: {} a year after, {} ten years after",
            width(cal + 1),
            width(cal + 10)
        );
    }
}

/// Revision 3's common trend: the growth calibrated for the world as one stream (the sums of
/// the regions' figures), and so the same when the six areas are merged into one World.
#[test]
fn the_common_trend_is_the_world_calibrated_as_one_stream() {
    use migproj::calibrate::{calibrate_region, world_stream};
    use migproj::model::rates::Rates;
    let scenario = scenario_from("scenarios/regions.toml", "");
    assert_eq!(scenario.arrivals.pooling, migproj::scenario::Pooling::World);
    let run = run_deterministic(&scenario).unwrap();
    let world = world_stream(&scenario);
    assert_eq!(world.regions.len(), 1);
    let sum =
        |f: fn(&migproj::scenario::Region) -> f64| scenario.regions.iter().map(f).sum::<f64>();
    assert_eq!(
        world.regions[0].stock_base_persons,
        sum(|r| r.stock_base_persons)
    );
    let rates = Rates::new(&world);
    let own = calibrate_region(
        &rates,
        0,
        world.regions[0].stock_base_persons,
        world.regions[0].stock_calibration_persons,
    )
    .unwrap();
    assert!((own.arrival_growth - run.calibration.pooled_growth).abs() < 1e-12);
    // The world stream meets the summed target.
    assert!(
        (own.achieved_calibration_stock / world.regions[0].stock_calibration_persons - 1.0).abs()
            < 1e-9
    );
    // After the calibration year every region is at gbar (default damping 0).
    let cal = run.rates.calibration_index;
    for growth in &run.arrival_growth {
        assert_eq!(growth[cal + 1], run.calibration.pooled_growth);
    }
}

/// Revision 2's deterministic trend: a region's own growth decays toward the pooled trend
/// by `trend_damping` each year, computed here from the calibration alone. (The independent
/// Python implementation, tools/reference_model.py, agrees with projection.csv to 1e-14 on
/// regions.toml with trend_damping = 0.6.)
#[test]
fn the_deterministic_trend_is_damped_toward_the_pooled_growth() {
    let mut scenario = scenario_from("scenarios/regions.toml", "");
    // Not the default (0), so that every term of the trend is exercised.
    scenario.arrivals.trend_damping = 0.7;
    scenario.arrivals.pooling = migproj::scenario::Pooling::Arrivals;
    let run = run_deterministic(&scenario).unwrap();
    let cal = run.rates.calibration_index;
    let phi = scenario.arrivals.trend_damping;
    let calibration = &run.calibration;
    let weights: Vec<f64> = calibration
        .regions
        .iter()
        .map(|r| r.arrivals_base * (r.arrival_growth * cal as f64).exp())
        .collect();
    let gbar = calibration
        .regions
        .iter()
        .zip(&weights)
        .map(|(r, w)| r.arrival_growth * w)
        .sum::<f64>()
        / weights.iter().sum::<f64>();
    assert!((gbar - calibration.pooled_growth).abs() < 1e-15);
    for r in 0..scenario.regions.len() {
        let g_hat = calibration.regions[r].arrival_growth;
        for j in [0usize, 1, 5, 20] {
            let t = cal + j;
            let written = (run.derived[r][1][t + 1] / run.derived[r][1][t]).ln();
            let expected = gbar + (g_hat - gbar) * phi.powi(j as i32);
            assert!(
                (written - expected).abs() < 1e-12,
                "region {r} j {j}: {written} vs {expected}"
            );
        }
    }
}

/// Every trajectory's every value is the same to the bit whatever the instruction set of the
/// step, the batch size (a last batch shorter than the others included) and the threads.
#[test]
fn results_are_bit_identical_across_instruction_sets_batch_sizes_and_threads() {
    let scenario = scenario_from(
        "scenarios/origins.toml",
        // 19 = 16 + 2 + 1: full and partial batches of every size below (37 before CI's cut).
        "[uncertainty]\ntrajectories = 19\nseed = 11\ndeparture_sd = 0.3\n",
    );
    let run = run_deterministic(&scenario).unwrap();
    let on = |engine: Engine, threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| run_monte_carlo_on(&run, &scenario.uncertainty, &|| {}, engine))
            .into_memory()
            .unwrap()
    };
    let reference = on(
        Engine {
            instruction_set: InstructionSet::Sse2,
            batch: 1,
        },
        1,
    );
    // Batches of one lane, of two (under an AVX2 vector), of 8 (an AVX-512 vector) and 16
    // (several vectors), on one thread and on two: five runs per instruction set (all ten
    // pairs took over a minute of CI).
    for instruction_set in InstructionSet::ALL {
        for (batch, threads) in [(1, 1), (2, 1), (8, 1), (8, 2), (16, 2)] {
            let engine = Engine {
                instruction_set,
                batch,
            };
            assert!(
                on(engine, threads) == reference,
                "{} with batches of {batch} on {threads} thread(s) differs",
                instruction_set.name()
            );
        }
    }
    // The trajectories differ from one another (equal lanes would make the test empty).
    let world_stock_2050 = |k: usize| reference[[k, 0, 0, reference.shape()[3] - 1]];
    assert!((1..19).all(|k| world_stock_2050(k) != world_stock_2050(0)));
    // Trajectory k is the same in any range that holds it (MODEL.md section 15: shards),
    // whatever the batches it falls in.
    for (first, last, batch) in [(5, 17, 4), (0, 1, 8), (18, 19, 16), (3, 19, 8)] {
        let engine = Engine {
            instruction_set: InstructionSet::chosen(),
            batch,
        };
        let range = migproj::simulate::monte_carlo::run_range_on(
            &run,
            &scenario.uncertainty,
            first..last,
            &|| {},
            engine,
        );
        assert!(
            range == reference.slice_axis(ndarray::Axis(0), ndarray::Slice::from(first..last)),
            "trajectories {first}..{last} (batches of {batch}) differ from the whole run's"
        );
    }
}

#[test]
fn one_and_two_threads_and_every_instruction_set_write_the_same_bytes() {
    let base = std::env::temp_dir().join(format!("migproj-mc-threads-{}", std::process::id()));
    let mut outputs = Vec::new();
    for (threads, simd) in [("1", ""), ("2", ""), ("2", "sse2"), ("1", "avx2")] {
        let out = base.join(format!("{threads}{simd}"));
        // "" leaves MIGPROJ_SIMD unset: the best instruction set of the CPU.
        let output = migproj_with_env(
            &[("MIGPROJ_SIMD", (!simd.is_empty()).then_some(simd))],
            &[
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
            ],
        );
        assert_success(&output);
        outputs.push(std::fs::read(out.join("regions/summary.csv")).unwrap());
    }
    for other in &outputs[1..] {
        assert!(*other == outputs[0], "summary.csv differs");
    }
    let text = String::from_utf8(outputs.remove(0)).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "scenario,region,origin,level,year,variable,unit,mean,p2_5,p10,p25,p50,p75,p90,p97_5,data_revision"
    );
    let mut rows = 0;
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        let q: Vec<f64> = fields[8..15].iter().map(|f| f.parse().unwrap()).collect();
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
        "scenario,region,origin,level,year,variable,unit,condition,threshold,probability,standard_error,trajectories,data_revision\nbaseline,World,All,world,2050,stock,persons,above,1,1,0,50,IMR 2002\nbaseline,World,All,world,2000,ratio_to_oda,ratio,below,1,0,0,50,IMR 2002\n"
    );
    let trajectories = std::fs::read_to_string(out.join("baseline/trajectories.csv")).unwrap();
    assert_eq!(trajectories.lines().count(), 1 + 50 * 61 * 9);
    // Values past --max-memory are spilled to disk (MODEL.md section 15); a run whose values
    // would not fit the free disk either is refused before any work: two billion trajectories
    // of 1 x 9 x 61 values are 8.0 TiB.
    let refused = migproj(&[
        "run",
        "scenarios/baseline.toml",
        "--trajectories",
        "2000000000",
        "--max-memory",
        "100M",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(refused.status.code(), Some(2));
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("2000000000 trajectories")
            && message.contains("would need 8.0 TiB")
            && message.contains("--max-memory 100.0 MiB")
            && message.contains("free on the disk"),
        "{message}"
    );
}
