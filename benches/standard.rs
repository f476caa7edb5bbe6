//! The standard benchmark (issue 3): six regions, 1990-2100, ages 0-100+, two sexes,
//! durations 0-50+, 10,000 trajectories with every summary computed, end to end (calibration,
//! Monte Carlo, summaries and the bytes of summary.csv), with 1 and 2 threads; beside a plain
//! streaming copy of the same batch state arrays (the memory roofline of one pass) and, when a
//! Python with numpy is available, the numpy baseline of benches/numpy_peer.py run in the same
//! session on the same dimensions.
//!
//!     cargo bench --bench standard
//!     MIGPROJ_BENCH_TRAJECTORIES=2000 MIGPROJ_BENCH_REPEATS=3 cargo bench --bench standard
//!     MIGPROJ_NUMPY_PYTHON=~/.venv-bench/bin/python cargo bench --bench standard
//!     MIGPROJ_BENCH_SCENARIO=benches/origins.toml cargo bench --bench standard   # 6 x 3 streams
//!     MIGPROJ_SIMD=avx2 MIGPROJ_BENCH_BATCH=4 cargo bench --bench standard   # engine choice
//!
//! A cell-update is one (region, age, sex, duration) cell advanced by one year in one
//! trajectory. Each trajectory steps the years from the calibration year to the end year
//! (2000-2100: 101 steps); the shared calibration period is computed once.

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use migproj::output::summary::summary_csv;
use migproj::scenario::load_scenario;
use migproj::simulate::monte_carlo::{run_monte_carlo_on, Engine};
use migproj::simulate::run_deterministic;
use rayon::prelude::*;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Median wall time of `repeats` runs of `work` on a pool of `threads` threads, and every time.
fn median_seconds(threads: usize, repeats: usize, work: impl Fn() + Sync) -> (f64, Vec<f64>) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let seconds: Vec<f64> = (0..repeats)
        .map(|_| {
            let started = Instant::now();
            pool.install(&work);
            started.elapsed().as_secs_f64()
        })
        .collect();
    (median(seconds.clone()), seconds)
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // MIGPROJ_BENCH_SCENARIO=benches/origins.toml: the same benchmark with origin groups.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        std::env::var("MIGPROJ_BENCH_SCENARIO").unwrap_or_else(|_| "benches/standard.toml".into()),
    );
    let loaded = load_scenario(&path).expect("the benchmark scenario loads");
    let mut scenario = loaded.scenario.clone();
    scenario.uncertainty.trajectories = env_usize(
        "MIGPROJ_BENCH_TRAJECTORIES",
        scenario.uncertainty.trajectories,
    );
    let repeats = env_usize("MIGPROJ_BENCH_REPEATS", 3);
    // MIGPROJ_SIMD=sse2|avx2|avx512 caps the instruction set; MIGPROJ_BENCH_BATCH sets the
    // trajectories per batch (default: the instruction set's own).
    let mut engine = Engine::default();
    engine.batch = env_usize("MIGPROJ_BENCH_BATCH", engine.batch);
    println!(
        "step on {} with batches of {} trajectories",
        engine.instruction_set.name(),
        engine.batch
    );
    // Streams: regions x origin groups (regions alone without [origins]).
    let n_regions = scenario.regions.len() * scenario.n_groups();
    let cells_per_region = 101 * 2 * (scenario.max_duration + 1);
    let steps = (scenario.end_year - scenario.calibration_year + 1) as usize;
    let trajectories = scenario.uncertainty.trajectories;
    let cell_updates = (n_regions * cells_per_region * steps * trajectories) as f64;
    println!(
        "standard benchmark ({}): {n_regions} streams x {cells_per_region} cells x {steps} years x {trajectories} trajectories = {cell_updates:.3e} cell-updates, {repeats} repeats, median reported",
        path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(&path)
            .display()
    );

    let mut results = Vec::new();
    for threads in [1, 2] {
        // Where the time goes: calibration and deterministic run, trajectories, summaries.
        let parts = std::sync::Mutex::new(Vec::new());
        let (m, seconds) = median_seconds(threads, repeats, || {
            let started = Instant::now();
            let run = run_deterministic(&scenario).unwrap();
            let deterministic = started.elapsed().as_secs_f64();
            let mc = run_monte_carlo_on(&run, &scenario.uncertainty, &|| {}, engine);
            let trajectories = started.elapsed().as_secs_f64() - deterministic;
            black_box(
                summary_csv(&scenario, &mc.summaries().unwrap())
                    .unwrap()
                    .len(),
            );
            let summaries = started.elapsed().as_secs_f64() - deterministic - trajectories;
            parts
                .lock()
                .unwrap()
                .push([deterministic, trajectories, summaries]);
        });
        let parts = parts.into_inner().unwrap();
        let part = |i: usize| median(parts.iter().map(|p| p[i]).collect());
        println!("migproj end to end, {threads} thread(s): median {m:.2} s over {seconds:.2?} -> {:.3e} cell-updates/s", cell_updates / m);
        println!(
            "  of which (medians): calibration and deterministic run {:.2} s, trajectories {:.2} s ({:.3e} cell-updates/s), summaries and summary.csv {:.2} s",
            part(0),
            part(1),
            cell_updates / part(1),
            part(2)
        );
        results.push((format!("migproj, {threads} thread(s)"), cell_updates / m));
    }

    // The memory roofline: a plain copy of each stream's batch state (the engine's batch of
    // trajectories, as the step reads and writes it) per year.
    for threads in [1, 2] {
        let (m, _) = median_seconds(threads, repeats, || {
            (0..trajectories.div_ceil(engine.batch))
                .into_par_iter()
                .for_each(|k| {
                    let source = vec![k as f64; cells_per_region * engine.batch];
                    let mut target = vec![0.0; cells_per_region * engine.batch];
                    for _ in 0..n_regions * steps {
                        target.copy_from_slice(black_box(&source));
                        black_box(&mut target);
                    }
                });
        });
        println!("streaming copy of the same arrays, {threads} thread(s): median {m:.2} s -> {:.3e} cells/s", cell_updates / m);
        results.push((
            format!("streaming copy, {threads} thread(s)"),
            cell_updates / m,
        ));
    }

    // The numpy baseline, same dimensions (fewer trajectories: it reports a rate).
    let python = std::env::var("MIGPROJ_NUMPY_PYTHON").unwrap_or_else(|_| "python3".into());
    let peer = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/numpy_peer.py");
    let numpy_trajectories = env_usize("MIGPROJ_BENCH_NUMPY_TRAJECTORIES", 500).to_string();
    let years = (scenario.end_year - scenario.calibration_year + 1).to_string();
    let mut numpy_rates = Vec::new();
    if peer.exists() {
        for _ in 0..repeats {
            let output = Command::new(&python)
                .arg(&peer)
                .args([
                    "--regions",
                    &n_regions.to_string(),
                    "--years",
                    &years,
                    "--traj",
                    &numpy_trajectories,
                ])
                .env_remove("OPENBLAS_CORETYPE")
                .env_remove("OPENBLAS_L2_SIZE")
                .output();
            match output {
                Ok(out) if out.status.success() => {
                    let text = String::from_utf8_lossy(&out.stdout);
                    if let Some(rate) = text
                        .lines()
                        .find_map(|l| l.strip_prefix("cell-updates/s: "))
                        .and_then(|r| r.split_whitespace().next())
                        .and_then(|r| r.parse::<f64>().ok())
                    {
                        numpy_rates.push(rate);
                    }
                }
                Ok(out) => {
                    println!(
                        "numpy baseline failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                            .lines()
                            .last()
                            .unwrap_or("")
                    );
                    break;
                }
                Err(err) => {
                    println!("numpy baseline not run ({python}: {err}); set MIGPROJ_NUMPY_PYTHON");
                    break;
                }
            }
        }
    } else {
        println!("numpy baseline not found at {}", peer.display());
    }
    let numpy = (!numpy_rates.is_empty()).then(|| median(numpy_rates.clone()));
    if let Some(rate) = numpy {
        println!("numpy baseline ({numpy_trajectories} trajectories, 1 thread): median {rate:.3e} cell-updates/s over {} runs", numpy_rates.len());
    }

    println!();
    println!("| run | cell-updates per second | vs numpy | vs streaming copy (same threads) |");
    println!("|---|---|---|---|");
    for (i, (name, rate)) in results.iter().enumerate() {
        let vs_numpy = numpy
            .map(|n| format!("{:.1}x", rate / n))
            .unwrap_or_else(|| "n/a".into());
        let roofline = if i < 2 {
            format!("{:.0}%", 100.0 * rate / results[i + 2].1)
        } else {
            "-".into()
        };
        println!("| {name} | {rate:.3e} | {vs_numpy} | {roofline} |");
    }
    if let Some(rate) = numpy {
        println!("| numpy baseline, 1 thread | {rate:.3e} | 1.0x | - |");
    }
}
