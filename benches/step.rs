//! The yearly step alone (no draws, no derived series, no summaries): one stream of the
//! standard benchmark (ages 0-100+, two sexes, durations 0-50+) advanced 101 years in batches
//! of B trajectories, on every instruction set the CPU has, beside a streaming copy of the
//! same batch arrays. One thread; the median of `MIGPROJ_BENCH_REPEATS` runs (default 5).
//!
//!     cargo bench --bench step
//!
//! Compare with `cargo bench --bench standard` (end to end) to see what the rest costs.

use std::hint::black_box;
use std::time::Instant;

use migproj::model::simd::InstructionSet;
use migproj::model::step::{broadcast_batch, step_batch, LaneDepartures, StepRates, Workspace};
use migproj::model::{Dims, N_AGES, N_SEXES};

const YEARS: usize = 101;
/// Cell-updates per timed run (about 2e9): the batches are repeated to reach it.
const CELL_UPDATES: usize = 2_000_000_000;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

struct Inputs {
    dims: Dims,
    q: Vec<f64>,
    h: Vec<f64>,
    shares: Vec<f64>,
    pi: Vec<f64>,
}

impl Inputs {
    fn new() -> Self {
        let dims = Dims::new(50);
        Inputs {
            dims,
            q: (0..N_SEXES * N_AGES)
                .map(|i| 0.0005 * (0.09 * (i % N_AGES) as f64).exp())
                .map(|q| q.min(1.0))
                .collect(),
            h: (0..=50)
                .map(|d| 0.03 + 0.07 * (-0.25 * d as f64).exp())
                .collect(),
            shares: vec![1.0 / (N_SEXES * N_AGES) as f64; N_SEXES * N_AGES],
            pi: vec![0.6; 51],
        }
    }

    fn rates(&self) -> StepRates<'_> {
        StepRates {
            death_probability: &self.q,
            departure_probability: &self.h,
            arrival_shares: &self.shares,
            propensity: &self.pi,
            remitting_ages: (15, 64),
        }
    }
}

/// Seconds for `batches` batches of B lanes through YEARS steps.
fn run_steps<const B: usize>(inputs: &Inputs, set: InstructionSet, batches: usize) -> f64 {
    let start = inputs
        .dims
        .batch(1)
        .index_axis_move(ndarray::Axis(3), 0)
        .mapv(|_| 1000.0);
    let started = Instant::now();
    for _ in 0..batches {
        let mut state = broadcast_batch::<B>(start.view());
        let mut departures = LaneDepartures::<B>::new(inputs.dims);
        let mut workspace = Workspace::new();
        let multipliers: [f64; B] = std::array::from_fn(|b| 0.9 + 0.05 * b as f64);
        let arrivals: [f64; B] = std::array::from_fn(|b| 1e5 + b as f64);
        for _ in 0..YEARS {
            departures.set(&inputs.h, &multipliers);
            black_box(step_batch::<B>(
                state.view_mut(),
                inputs.rates(),
                &departures,
                &arrivals,
                &mut workspace,
                set,
            ));
        }
        black_box(&state);
    }
    started.elapsed().as_secs_f64()
}

fn measure<const B: usize>(inputs: &Inputs, set: InstructionSet, repeats: usize) {
    // MIGPROJ_BENCH_BATCH=8: that batch size only (for profiling).
    if std::env::var("MIGPROJ_BENCH_BATCH").is_ok_and(|b| b != B.to_string()) {
        return;
    }
    let cells = inputs.dims.cells() * B;
    let batches = CELL_UPDATES / (cells * YEARS);
    let updates = (batches * cells * YEARS) as f64;
    let step = median(
        (0..repeats)
            .map(|_| run_steps::<B>(inputs, set, batches))
            .collect(),
    );
    let copy = median(
        (0..repeats)
            .map(|_| {
                let source = vec![1.0f64; cells];
                let mut target = vec![0.0f64; cells];
                let started = Instant::now();
                for _ in 0..batches * YEARS {
                    target.copy_from_slice(black_box(&source));
                    black_box(&mut target);
                }
                started.elapsed().as_secs_f64()
            })
            .collect(),
    );
    println!(
        "| {} | {B} | {} KiB | {:.3e} | {:.3e} | {:.0}% |",
        set.name(),
        cells * 8 / 1024,
        updates / step,
        updates / copy,
        100.0 * copy / step
    );
}

fn main() {
    let repeats = std::env::var("MIGPROJ_BENCH_REPEATS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let inputs = Inputs::new();
    println!("the step alone, one thread, one stream of 10302 cells x {YEARS} years, median of {repeats}");
    println!("| instruction set | batch | state | cell-updates/s | copy cells/s | of copy |");
    println!("|---|---|---|---|---|---|");
    for set in InstructionSet::ALL {
        if std::env::var("MIGPROJ_SIMD").is_ok_and(|s| InstructionSet::parse(&s) != Some(set)) {
            continue;
        }
        if set.available() != set {
            println!("| {} | - | not on this CPU | | | |", set.name());
            continue;
        }
        measure::<1>(&inputs, set, repeats);
        measure::<2>(&inputs, set, repeats);
        measure::<4>(&inputs, set, repeats);
        measure::<8>(&inputs, set, repeats);
        measure::<16>(&inputs, set, repeats);
    }
}
