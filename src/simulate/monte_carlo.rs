//! The Monte Carlo runner (MODEL.md section 9, revision 2). Every trajectory shares the
//! calibration period and starts from the deterministic state of the calibration year; from
//! then on it draws a common long-run arrival growth `gbar_k`, a common AR(1) deviation `w`,
//! each stream's own AR(1) deviation `v` around its damped trend, a departure multiplier
//! phased in over `departure_ramp` years, and the growth and yearly shocks of the amount per
//! remitter. Trajectory k's draws come from its own ChaCha8 stream, seeded by the scenario
//! seed and set to stream k, so results never depend on the number of threads.
//!
//! Draw order within a trajectory (documented so that others can reproduce it), all standard
//! normal (rand_distr's StandardNormal) from the generator (seed, stream k): `z_world`, the
//! departure `z`, the remittance growth `z`; then for each year index t = cal+1 .. end:
//! `eps_world`, one `eps[r]` per stream in order, `eps_remittance`. The scales of the sds
//! (revision 3: `exp(r z - r^2 / 2)`, `r = sqrt(ln(1 + rel_se^2))`) take three standard normal
//! draws, world then stream then remittance, always all three, from a second generator
//! seeded with `seed XOR DF_SEED_SALT` and set to stream k, so that setting a relative
//! standard error moves neither the normal draws nor the other scales.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rayon::prelude::*;

use ndarray::{Array2, Array4, ArrayView1, ArrayViewMut4, Axis};

use super::project::arrivals_path;
use super::quantiles::summarize;
use super::{derive, CoreSeries, DeterministicRun};
use crate::model::simd::InstructionSet;
use crate::model::state::{LANE, STREAM};
use crate::model::step::{step_batch, LaneDepartures, StepRates, Workspace};
use crate::scenario::{Threshold, Uncertainty};

/// Salt of the generator of the draws of the sds' scales (see the module documentation).
pub const DF_SEED_SALT: u64 = 0x7374_7564_656e_7474; // "studentt"

/// What one trajectory draws; its yearly paths follow from these.
#[derive(Debug, Clone, PartialEq)]
pub struct TrajectoryDraws {
    /// Arrival growth `g[r][t]` for every year index (the calibrated `g_hat` before the
    /// calibration year).
    pub arrival_growth: Vec<Vec<f64>>,
    /// Departure multiplier `M[t]` for every year index (1 before the calibration year).
    pub departure_multiplier: Vec<f64>,
    /// Amount per remitter `m_t[group]`, every year index.
    pub amount_usd: Vec<Vec<f64>>,
}

/// The scale of a group of sds (MODEL.md section 9, revision 3): `exp(r z - r^2 / 2)` with
/// `r = sqrt(ln(1 + rel_se^2))`, a lognormal with mean 1 and coefficient of variation
/// `rel_se`; exactly 1 when `rel_se` is 0 (the sds taken as known).
pub fn sd_scale(rel_se: f64, z: f64) -> f64 {
    if rel_se > 0.0 {
        let r = (rel_se * rel_se).ln_1p().sqrt();
        (r * z - r * r / 2.0).exp()
    } else {
        1.0
    }
}

/// Draws trajectory `k` (MODEL.md section 9).
pub fn draw_trajectory(
    run: &DeterministicRun,
    uncertainty: &Uncertainty,
    k: u64,
) -> TrajectoryDraws {
    let mut rng = ChaCha8Rng::seed_from_u64(uncertainty.seed);
    rng.set_stream(k);
    let mut df_rng = ChaCha8Rng::seed_from_u64(uncertainty.seed ^ DF_SEED_SALT);
    df_rng.set_stream(k);
    let mut scale_normal = || -> f64 { df_rng.sample(StandardNormal) };
    let world_scale = sd_scale(uncertainty.world_sd_rel_se, scale_normal());
    let region_scale = sd_scale(uncertainty.region_sd_rel_se, scale_normal());
    let remittance_scale = sd_scale(uncertainty.remittance_sd_rel_se, scale_normal());
    let mut normal = || -> f64 { rng.sample(StandardNormal) };
    // Streams (regions without `[origins]`).
    let n_regions = run.rates.n_regions;
    let n_years = run.rates.n_years;
    let cal = run.rates.calibration_index;
    let u = uncertainty;
    let z_world = normal();
    let z_departure = normal();
    let z_remittance = normal();

    // Arrival growth: gbar_k + w[u] + (g_hat[r] - gbar) phi^j + v[r,u] + growth_shift, written
    // as the deterministic growth `gbar + (g_hat[r] - gbar) phi^j + growth_shift` plus the
    // deviations, so that with every sd at 0 it is the deterministic growth to the bit.
    let level_deviation = world_scale * u.world_growth_sd * z_world;
    let mut arrival_growth = run.arrival_growth.clone();
    if cal < n_years {
        for g in &mut arrival_growth {
            g[cal] += level_deviation;
        }
    }
    let mut amount_usd = run.amount_usd.clone();
    // Every origin group shares the drawn deviation of the amount's growth and its shocks,
    // added to the group's deterministic log growth `L_t` (its damped trend).
    let growth_deviation = remittance_scale * u.remittance_growth_sd * z_remittance;
    let mut w = 0.0;
    let mut v = vec![0.0; n_regions];
    let mut log_shock_sum = 0.0;
    for t in cal + 1..n_years {
        w = u.world_ar1 * w + world_scale * u.world_shock_sd * normal();
        for r in 0..n_regions {
            v[r] = u.region_ar1 * v[r] + region_scale * u.region_shock_sd * normal();
            arrival_growth[r][t] = run.arrival_growth[r][t] + (level_deviation + w + v[r]);
        }
        log_shock_sum += remittance_scale * u.remittance_shock_sd * normal();
        for ((amounts, log_growth), group) in amount_usd
            .iter_mut()
            .zip(&run.amount_log_growth)
            .zip(&run.calibration.remittances)
        {
            amounts[t] = group.amount_calibration_usd
                * (log_growth[t] + (growth_deviation * (t - cal) as f64 + log_shock_sum)).exp();
        }
    }

    // Departures: exp(departure_sd z min(1, (t - cal) / ramp)) from the calibration year on.
    let departure_multiplier = (0..n_years)
        .map(|t| {
            if t < cal {
                1.0
            } else {
                let phase = if u.departure_ramp > 0.0 {
                    ((t - cal) as f64 / u.departure_ramp).min(1.0)
                } else {
                    1.0
                };
                (u.departure_sd * z_departure * phase).exp()
            }
        })
        .collect();
    TrajectoryDraws {
        arrival_growth,
        departure_multiplier,
        amount_usd,
    }
}

/// Runs a batch of `B` trajectories (lane `b` drawn as `draws[b]`) from the calibration-year
/// state, every stream in turn: the core series of every stream, `[lane][stream]`. Each lane
/// carries its own arrivals and departure multiplier through [`step_batch`].
pub fn run_batch<const B: usize>(
    run: &DeterministicRun,
    draws: &[TrajectoryDraws; B],
    instruction_set: InstructionSet,
) -> Vec<Vec<CoreSeries>> {
    let rates = &run.rates;
    let cal = rates.calibration_index;
    let mut out: Vec<Vec<CoreSeries>> = (0..B)
        .map(|_| Vec::with_capacity(rates.n_regions))
        .collect();
    let mut departures = LaneDepartures::<B>::new(rates.dims);
    let mut workspace = Workspace::new();
    let mut state = rates.dims.batch(B);
    for r in 0..rates.n_regions {
        // Each lane's arrivals I_t (MODEL.md section 6), `[lane][year]`.
        let arrivals: Vec<Vec<f64>> = draws
            .iter()
            .map(|d| {
                let growth = &d.arrival_growth[r];
                arrivals_path(rates, r, run.calibration.regions[r].arrivals_base, |u| {
                    growth[u]
                })
            })
            .collect();
        let shared = &run.core[r];
        let mut cores: Vec<CoreSeries> = (0..B)
            .map(|_| CoreSeries {
                stock: shared.stock[..cal].to_vec(),
                arrivals: shared.arrivals[..cal].to_vec(),
                deaths: shared.deaths[..cal].to_vec(),
                departures: shared.departures[..cal].to_vec(),
                remitters: shared.remitters[..cal].to_vec(),
            })
            .collect();
        // Every lane starts from the stream's calibration-year state.
        state.assign(
            &run.state_at_calibration
                .index_axis(STREAM, r)
                .insert_axis(LANE),
        );
        for t in cal..rates.n_years {
            let multipliers: [f64; B] = std::array::from_fn(|b| draws[b].departure_multiplier[t]);
            departures.set(&rates.departure_probability[t][r], &multipliers);
            let arrivals_t: [f64; B] = std::array::from_fn(|b| arrivals[b][t]);
            let step_rates = StepRates {
                death_probability: &rates.death_probability[t],
                departure_probability: &rates.departure_probability[t][r],
                arrival_shares: &rates.arrival_shares[r],
                propensity: &rates.propensity,
                remitting_ages: rates.remitting_ages,
            };
            let flows = step_batch::<B>(
                state.view_mut(),
                step_rates,
                &departures,
                &arrivals_t,
                &mut workspace,
                instruction_set,
            );
            for (b, core) in cores.iter_mut().enumerate() {
                core.stock.push(flows.stock[b]);
                core.arrivals.push(arrivals_t[b]);
                core.deaths.push(flows.deaths[b]);
                core.departures.push(flows.departures[b]);
                core.remitters.push(flows.remitters[b]);
            }
        }
        for (lane, core) in out.iter_mut().zip(cores) {
            lane.push(core);
        }
    }
    out
}

/// Bytes needed to keep every trajectory's yearly series for the summaries.
pub fn summary_memory_bytes(
    n_trajectories: usize,
    n_entities: usize,
    n_variables: usize,
    n_years: usize,
) -> u128 {
    n_trajectories as u128 * n_entities as u128 * n_variables as u128 * n_years as u128 * 8
}

/// Bytes a batch of `lanes` trajectories works in while it runs: the state of one stream
/// (stepped in place), the core series of every stream and the derived series of every
/// entity of each lane.
pub fn batch_memory_bytes(run: &DeterministicRun, lanes: usize) -> u128 {
    let cells = run.rates.dims.cells() as u128;
    let years = run.rates.n_years as u128;
    let per_lane = run.rates.n_regions as u128 * 5 * years
        + run.derived.len() as u128 * run.derived[0].len() as u128 * years;
    (cells + per_lane) * lanes as u128 * 8
}

/// Axes of [`MonteCarlo::values`].
pub const TRAJECTORY: Axis = Axis(0);
pub const ENTITY: Axis = Axis(1);
pub const VARIABLE: Axis = Axis(2);
pub const YEAR: Axis = Axis(3);

/// The Monte Carlo results: every trajectory's derived series,
/// `values[trajectory, entity, variable, year]`.
pub struct MonteCarlo {
    pub values: Array4<f64>,
}

impl MonteCarlo {
    pub fn n_trajectories(&self) -> usize {
        self.values.len_of(TRAJECTORY)
    }

    pub fn n_entities(&self) -> usize {
        self.values.len_of(ENTITY)
    }

    pub fn n_variables(&self) -> usize {
        self.values.len_of(VARIABLE)
    }

    pub fn n_years(&self) -> usize {
        self.values.len_of(YEAR)
    }

    pub fn value(&self, trajectory: usize, entity: usize, variable: usize, year: usize) -> f64 {
        self.values[[trajectory, entity, variable, year]]
    }

    /// Every trajectory's value of one entity, variable and year.
    pub fn column(&self, entity: usize, variable: usize, year: usize) -> ArrayView1<'_, f64> {
        self.values
            .index_axis(YEAR, year)
            .index_axis_move(Axis(VARIABLE.index()), variable)
            .index_axis_move(Axis(ENTITY.index()), entity)
    }

    /// Trajectories whose stock passes the world's population (MODEL.md section 9, revision
    /// 3): for each entity with any, `(entity, trajectories, first year index)`, the first
    /// year being the earliest in which any of them does. Variable 0 is the stock.
    pub fn above_world_population(&self, world_population: &[f64]) -> Vec<(usize, usize, usize)> {
        (0..self.n_entities())
            .into_par_iter()
            .filter_map(|entity| {
                let stock = self.values.index_axis(ENTITY, entity);
                let mut count = 0;
                let mut first = usize::MAX;
                for trajectory in stock.outer_iter() {
                    let series = trajectory.index_axis_move(Axis(0), 0);
                    if let Some(t) = series
                        .iter()
                        .zip(world_population)
                        .position(|(s, w)| s > w || !s.is_finite())
                    {
                        count += 1;
                        first = first.min(t);
                    }
                }
                (count > 0).then_some((entity, count, first))
            })
            .collect()
    }

    /// Mean and the seven quantiles for one entity, variable and year.
    pub fn summary(&self, entity: usize, variable: usize, year: usize) -> (f64, [f64; 7]) {
        let mut column = self.column(entity, variable, year).to_vec();
        summarize(&mut column)
    }

    /// Every summary, ordered by entity, then year, then variable (the rows of summary.csv),
    /// computed in parallel; each is independent, so the result does not depend on threads.
    pub fn all_summaries(&self) -> Vec<(f64, [f64; 7])> {
        let (n_years, n_variables) = (self.n_years(), self.n_variables());
        // One entity and variable at a time: its series `[trajectory][year]` read a
        // trajectory at a time (contiguous) into columns `[year][trajectory]`.
        let by_series: Vec<Vec<(f64, [f64; 7])>> = (0..self.n_entities() * n_variables)
            .into_par_iter()
            .map(|i| {
                let series = self
                    .values
                    .index_axis(ENTITY, i / n_variables)
                    .index_axis_move(Axis(VARIABLE.index() - 1), i % n_variables);
                let mut columns = Array2::zeros((n_years, self.n_trajectories()));
                for (k, trajectory) in series.outer_iter().enumerate() {
                    for (column, &x) in columns.column_mut(k).iter_mut().zip(&trajectory) {
                        *column = x;
                    }
                }
                columns
                    .outer_iter_mut()
                    .map(|mut column| {
                        summarize(
                            column
                                .as_slice_mut()
                                .expect("a row of a new array is contiguous"),
                        )
                    })
                    .collect()
            })
            .collect();
        (0..self.n_entities() * n_years * n_variables)
            .map(|i| {
                let entity = i / (n_years * n_variables);
                let year = (i / n_variables) % n_years;
                let variable = i % n_variables;
                by_series[entity * n_variables + variable][year]
            })
            .collect()
    }
}

/// How the Monte Carlo runs: the instruction set of the step and the trajectories per batch.
/// Neither changes a result, only the speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Engine {
    pub instruction_set: InstructionSet,
    /// 1, 2, 4, 8 or 16.
    pub batch: usize,
}

impl Default for Engine {
    /// The best instruction set of the CPU (capped by `MIGPROJ_SIMD`) and its batch size.
    fn default() -> Self {
        let instruction_set = InstructionSet::chosen();
        Engine {
            instruction_set,
            batch: instruction_set.default_batch(),
        }
    }
}

/// Runs `n_trajectories` trajectories on the current rayon pool, on the default [`Engine`];
/// `progress` is called once per finished trajectory (from any thread).
pub fn run_monte_carlo(
    run: &DeterministicRun,
    uncertainty: &Uncertainty,
    progress: &(dyn Fn() + Sync),
) -> MonteCarlo {
    run_monte_carlo_on(run, uncertainty, progress, Engine::default())
}

/// [`run_monte_carlo`] on a given engine.
pub fn run_monte_carlo_on(
    run: &DeterministicRun,
    uncertainty: &Uncertainty,
    progress: &(dyn Fn() + Sync),
    engine: Engine,
) -> MonteCarlo {
    let shape = (
        uncertainty.trajectories,
        run.derived.len(),
        run.derived[0].len(),
        run.rates.n_years,
    );
    let mut values = Array4::zeros(shape);
    let fill = match engine.batch {
        1 => fill_batches::<1>,
        2 => fill_batches::<2>,
        4 => fill_batches::<4>,
        8 => fill_batches::<8>,
        16 => fill_batches::<16>,
        other => panic!("batch size {other} is not one of 1, 2, 4, 8, 16"),
    };
    fill(
        run,
        uncertainty,
        progress,
        engine.instruction_set,
        values.view_mut(),
    );
    MonteCarlo { values }
}

/// Fills `values` batch by batch in parallel. A last batch with fewer trajectories than
/// lanes repeats its last trajectory in the spare lanes and keeps only its own.
fn fill_batches<const B: usize>(
    run: &DeterministicRun,
    uncertainty: &Uncertainty,
    progress: &(dyn Fn() + Sync),
    instruction_set: InstructionSet,
    mut values: ArrayViewMut4<'_, f64>,
) {
    values
        .axis_chunks_iter_mut(TRAJECTORY, B)
        .into_par_iter()
        .enumerate()
        .for_each(|(i, mut batch)| {
            let first = i * B;
            let last = first + batch.len_of(TRAJECTORY) - 1;
            let draws: [TrajectoryDraws; B] = std::array::from_fn(|b| {
                draw_trajectory(run, uncertainty, (first + b).min(last) as u64)
            });
            let cores = run_batch::<B>(run, &draws, instruction_set);
            for ((mut out, core), draws) in batch.outer_iter_mut().zip(&cores).zip(&draws) {
                let derived = derive(&run.rates, &run.structure, core, &draws.amount_usd);
                for (mut out, entity) in out.outer_iter_mut().zip(&derived) {
                    for (mut out, variable) in out.outer_iter_mut().zip(entity) {
                        out.assign(&ArrayView1::from(variable.as_slice()));
                    }
                }
                progress();
            }
        });
}

/// The share of trajectories in which an event holds, and its Monte Carlo standard error.
pub fn event_probability(
    mc: &MonteCarlo,
    entity: usize,
    variable: usize,
    year: usize,
    threshold: Threshold,
    value: f64,
) -> (f64, f64) {
    let hits = mc
        .column(entity, variable, year)
        .iter()
        .filter(|&&x| match threshold {
            Threshold::Above => x > value,
            Threshold::Below => x < value,
        })
        .count();
    let n = mc.n_trajectories() as f64;
    let p = hits as f64 / n;
    (p, (p * (1.0 - p) / n).sqrt())
}
