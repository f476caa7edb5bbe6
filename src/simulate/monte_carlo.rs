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

use ndarray::{Array2, Array4, ArrayView1, ArrayViewMut4, Axis, CowArray, Ix4, Slice};

use crate::error::Result;
use crate::shards::{Shape, ValuesFile};

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

/// Axes of the in-memory values `[trajectory, entity, variable, year]`.
pub const TRAJECTORY: Axis = Axis(0);
pub const ENTITY: Axis = Axis(1);
pub const VARIABLE: Axis = Axis(2);
pub const YEAR: Axis = Axis(3);

/// Where a Monte Carlo's values are: in memory, or in values files on disk (MODEL.md section
/// 15: a spilled run's, or a merge's shards), read back one (entity, variable) at a time.
pub enum Store {
    /// `values[trajectory, entity, variable, year]`.
    Memory(Array4<f64>),
    /// Files of consecutive trajectory blocks covering `0..T` in order; the spill folder, if
    /// the files are a spill, is removed when the Monte Carlo is dropped.
    Files {
        files: Vec<ValuesFile>,
        spill: Option<SpillFolder>,
    },
}

/// A temporary folder removed when dropped (the spill of a run, MODEL.md section 15), and on
/// SIGINT, SIGTERM or SIGHUP.
pub struct SpillFolder(std::path::PathBuf);

impl SpillFolder {
    /// Creates the folder.
    pub fn create(path: std::path::PathBuf) -> std::io::Result<Self> {
        crate::output::folder::create_temporary(&path)?;
        Ok(SpillFolder(path))
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for SpillFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        crate::output::folder::unregister_temporary(&self.0);
    }
}

/// The Monte Carlo results: every trajectory's derived series of every entity, variable and
/// year, in memory or on disk.
pub struct MonteCarlo {
    n_trajectories: usize,
    shape: Shape,
    store: Store,
}

/// Mean and the seven quantiles of every entity, variable and year.
#[derive(Debug, Clone, PartialEq)]
pub struct Summaries {
    n_variables: usize,
    n_years: usize,
    /// Ordered by entity, then year, then variable (the rows of summary.csv).
    pub rows: Vec<(f64, [f64; 7])>,
}

impl Summaries {
    pub fn get(&self, entity: usize, variable: usize, year: usize) -> (f64, [f64; 7]) {
        self.rows[(entity * self.n_years + year) * self.n_variables + variable]
    }
}

impl MonteCarlo {
    /// A Monte Carlo held in memory, `values[trajectory, entity, variable, year]`.
    pub fn in_memory(values: Array4<f64>) -> Self {
        let (n_trajectories, entities, variables, years) = values.dim();
        MonteCarlo {
            n_trajectories,
            shape: Shape {
                entities,
                variables,
                years,
            },
            store: Store::Memory(values),
        }
    }

    /// A Monte Carlo read from values files that cover `0..T` in order (checked by the
    /// caller: a shard set's manifests, or the spill this process wrote).
    pub fn from_files(files: Vec<ValuesFile>, shape: Shape, spill: Option<SpillFolder>) -> Self {
        MonteCarlo {
            n_trajectories: files.last().map_or(0, |f| f.last),
            shape,
            store: Store::Files { files, spill },
        }
    }

    pub fn n_trajectories(&self) -> usize {
        self.n_trajectories
    }

    pub fn n_entities(&self) -> usize {
        self.shape.entities
    }

    pub fn n_variables(&self) -> usize {
        self.shape.variables
    }

    pub fn n_years(&self) -> usize {
        self.shape.years
    }

    /// The values, when they are in memory.
    pub fn into_memory(self) -> Option<Array4<f64>> {
        match self.store {
            Store::Memory(values) => Some(values),
            Store::Files { .. } => None,
        }
    }

    /// Whether the values are on disk (spilled or shards).
    pub fn on_disk(&self) -> bool {
        matches!(self.store, Store::Files { .. })
    }

    /// One value of an in-memory Monte Carlo.
    ///
    /// # Panics
    /// On values on disk (read them with [`MonteCarlo::columns`]).
    pub fn value(&self, trajectory: usize, entity: usize, variable: usize, year: usize) -> f64 {
        match &self.store {
            Store::Memory(values) => values[[trajectory, entity, variable, year]],
            Store::Files { .. } => panic!("MonteCarlo::value reads in-memory values only"),
        }
    }

    /// Every trajectory's values of one entity and variable, `[year][trajectory]` (each year
    /// a contiguous row, in trajectory order).
    pub fn columns(&self, entity: usize, variable: usize) -> Result<Array2<f64>> {
        let mut columns = Array2::zeros((self.shape.years, self.n_trajectories));
        match &self.store {
            Store::Memory(values) => {
                let series = values
                    .index_axis(ENTITY, entity)
                    .index_axis_move(Axis(VARIABLE.index() - 1), variable);
                for (k, trajectory) in series.outer_iter().enumerate() {
                    for (column, &x) in columns.column_mut(k).iter_mut().zip(&trajectory) {
                        *column = x;
                    }
                }
            }
            Store::Files { files, .. } => {
                let mut block = Array2::zeros((0, 0));
                for file in files {
                    let n = file.last - file.first;
                    if block.dim() != (n, self.shape.years) {
                        block = Array2::zeros((n, self.shape.years));
                    }
                    file.read_series(entity, variable, block.view_mut())?;
                    columns
                        .slice_axis_mut(Axis(1), Slice::from(file.first..file.last))
                        .assign(&block.t());
                }
            }
        }
        Ok(columns)
    }

    /// The values of trajectories `first..last`, `[trajectory - first, entity, variable, year]`.
    /// (A view of the values in memory; read from the files otherwise.)
    pub fn block(&self, first: usize, last: usize) -> Result<CowArray<'_, f64, Ix4>> {
        match &self.store {
            Store::Memory(values) => Ok(CowArray::from(
                values.slice_axis(TRAJECTORY, Slice::from(first..last)),
            )),
            Store::Files { files, .. } => {
                let shape = self.shape;
                let mut out =
                    Array4::zeros((last - first, shape.entities, shape.variables, shape.years));
                for file in files.iter().filter(|f| f.first < last && f.last > first) {
                    let mut series = Array2::zeros((file.last - file.first, shape.years));
                    let (from, to) = (file.first.max(first), file.last.min(last));
                    for e in 0..shape.entities {
                        for v in 0..shape.variables {
                            file.read_series(e, v, series.view_mut())?;
                            out.slice_axis_mut(TRAJECTORY, Slice::from(from - first..to - first))
                                .index_axis_move(Axis(1), e)
                                .index_axis_move(Axis(1), v)
                                .assign(&series.slice_axis(
                                    Axis(0),
                                    Slice::from(from - file.first..to - file.first),
                                ));
                        }
                    }
                }
                Ok(CowArray::from(out))
            }
        }
    }

    /// Trajectories per block when reading them a block at a time within `bytes` of memory
    /// (at least one).
    pub fn trajectories_within(&self, bytes: usize) -> usize {
        let per = self.shape.entities * self.shape.variables * self.shape.years * 8;
        (bytes / per.max(1)).max(1)
    }

    /// Trajectories whose stock passes the world's population (MODEL.md section 9, revision
    /// 3): for each entity with any, `(entity, trajectories, first year index)`, the first
    /// year being the earliest in which any of them does. Variable 0 is the stock.
    pub fn above_world_population(
        &self,
        world_population: &[f64],
    ) -> Result<Vec<(usize, usize, usize)>> {
        let found: Result<Vec<Option<(usize, usize, usize)>>> = (0..self.n_entities())
            .into_par_iter()
            .map(|entity| {
                let stock = self.columns(entity, 0)?;
                let mut above = vec![false; self.n_trajectories];
                let mut first = usize::MAX;
                for (t, (year, &w)) in stock.outer_iter().zip(world_population).enumerate() {
                    for (flag, &s) in above.iter_mut().zip(&year) {
                        if s > w || !s.is_finite() {
                            *flag = true;
                            first = first.min(t);
                        }
                    }
                }
                let count = above.iter().filter(|&&a| a).count();
                Ok((count > 0).then_some((entity, count, first)))
            })
            .collect();
        Ok(found?.into_iter().flatten().collect())
    }

    /// Mean and the seven quantiles for one entity, variable and year.
    pub fn summary(&self, entity: usize, variable: usize, year: usize) -> Result<(f64, [f64; 7])> {
        let mut columns = self.columns(entity, variable)?;
        let mut row = columns.row_mut(year);
        Ok(summarize(
            row.as_slice_mut()
                .expect("a row of a new array is contiguous"),
        ))
    }

    /// Every summary, computed in parallel one entity and variable at a time (so that values
    /// on disk are read once, a bounded block at a time); each is independent, so the result
    /// does not depend on threads.
    pub fn summaries(&self) -> Result<Summaries> {
        self.summaries_with(&|| {})
    }

    /// [`MonteCarlo::summaries`], calling `progress` once per (entity, variable) done.
    pub fn summaries_with(&self, progress: &(dyn Fn() + Sync)) -> Result<Summaries> {
        let (n_years, n_variables) = (self.n_years(), self.n_variables());
        type BySeries = Vec<Vec<(f64, [f64; 7])>>;
        let by_series: Result<BySeries> = (0..self.n_entities() * n_variables)
            .into_par_iter()
            .map(|i| {
                let mut columns = self.columns(i / n_variables, i % n_variables)?;
                progress();
                Ok(columns
                    .outer_iter_mut()
                    .map(|mut column| {
                        summarize(
                            column
                                .as_slice_mut()
                                .expect("a row of a new array is contiguous"),
                        )
                    })
                    .collect())
            })
            .collect();
        let by_series = by_series?;
        let rows = (0..self.n_entities() * n_years * n_variables)
            .map(|i| {
                let entity = i / (n_years * n_variables);
                let year = (i / n_variables) % n_years;
                let variable = i % n_variables;
                by_series[entity * n_variables + variable][year]
            })
            .collect();
        Ok(Summaries {
            n_variables,
            n_years,
            rows,
        })
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
    MonteCarlo::in_memory(run_range_on(
        run,
        uncertainty,
        0..uncertainty.trajectories,
        progress,
        engine,
    ))
}

/// Trajectories `range` (absolute indices k) of a run of `uncertainty.trajectories`,
/// `[k - range.start, entity, variable, year]`: trajectory k is the same wherever it is
/// computed (MODEL.md section 15).
pub fn run_range_on(
    run: &DeterministicRun,
    uncertainty: &Uncertainty,
    range: std::ops::Range<usize>,
    progress: &(dyn Fn() + Sync),
    engine: Engine,
) -> Array4<f64> {
    let shape = (
        range.len(),
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
        range.start,
        values.view_mut(),
    );
    values
}

/// Computes trajectories `range` in blocks of at most `block` trajectories (so that memory
/// holds one block), each written by `write(first, values)` before the next is computed.
pub fn run_range_in_blocks<W>(
    run: &DeterministicRun,
    uncertainty: &Uncertainty,
    range: std::ops::Range<usize>,
    block: usize,
    progress: &(dyn Fn() + Sync),
    engine: Engine,
    mut write: W,
) -> Result<()>
where
    W: FnMut(usize, Array4<f64>) -> Result<()>,
{
    let block = block.max(1);
    let mut first = range.start;
    while first < range.end {
        let last = (first + block).min(range.end);
        let values = run_range_on(run, uncertainty, first..last, progress, engine);
        write(first, values)?;
        first = last;
    }
    Ok(())
}

/// Fills `values` (trajectories `offset..`) batch by batch in parallel. A last batch with
/// fewer trajectories than lanes repeats its last trajectory in the spare lanes and keeps
/// only its own.
fn fill_batches<const B: usize>(
    run: &DeterministicRun,
    uncertainty: &Uncertainty,
    progress: &(dyn Fn() + Sync),
    instruction_set: InstructionSet,
    offset: usize,
    mut values: ArrayViewMut4<'_, f64>,
) {
    values
        .axis_chunks_iter_mut(TRAJECTORY, B)
        .into_par_iter()
        .enumerate()
        .for_each(|(i, mut batch)| {
            let first = offset + i * B;
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
) -> Result<(f64, f64)> {
    let columns = mc.columns(entity, variable)?;
    let hits = columns
        .row(year)
        .iter()
        .filter(|&&x| match threshold {
            Threshold::Above => x > value,
            Threshold::Below => x < value,
        })
        .count();
    let n = mc.n_trajectories() as f64;
    let p = hits as f64 / n;
    Ok((p, (p * (1.0 - p) / n).sqrt()))
}
