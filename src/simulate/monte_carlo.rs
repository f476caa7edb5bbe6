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
//! `eps_world`, one `eps[r]` per stream in order, `eps_remittance`. The chi-square draws of
//! the Student-t predictive (world, then stream, then remittance, each only when its df is
//! set) come from a second generator, seeded with `seed XOR DF_SEED_SALT` and set to stream k,
//! so that setting a df does not move the normal draws.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rand_distr::{ChiSquared, Distribution, StandardNormal};
use rayon::prelude::*;

use super::project::{arrivals_path, project_region};
use super::quantiles::summarize;
use super::{derive, CoreSeries, DeterministicRun};
use crate::scenario::{Growth, Scenario, Threshold, Uncertainty};

/// Salt of the generator of the chi-square draws (see the module documentation).
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

/// The factor `sqrt(df / c)`, `c ~ chi-square(df)`, of the Student-t predictive; 1 when
/// `df` is 0 (the sd taken as known).
fn student_scale(df: f64, rng: &mut ChaCha8Rng) -> f64 {
    if df > 0.0 {
        let c: f64 = ChiSquared::new(df)
            .expect("df is checked positive and finite")
            .sample(rng);
        if c > 0.0 {
            (df / c).sqrt()
        } else {
            1.0
        }
    } else {
        1.0
    }
}

/// Draws trajectory `k` (MODEL.md section 9).
pub fn draw_trajectory(
    scenario: &Scenario,
    run: &DeterministicRun,
    uncertainty: &Uncertainty,
    k: u64,
) -> TrajectoryDraws {
    let mut rng = ChaCha8Rng::seed_from_u64(uncertainty.seed);
    rng.set_stream(k);
    let mut df_rng = ChaCha8Rng::seed_from_u64(uncertainty.seed ^ DF_SEED_SALT);
    df_rng.set_stream(k);
    let world_scale = student_scale(uncertainty.world_df, &mut df_rng);
    let region_scale = student_scale(uncertainty.region_df, &mut df_rng);
    let remittance_scale = student_scale(uncertainty.remittance_df, &mut df_rng);
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
    // Every origin group shares the drawn deviation of the amount's growth and its shocks.
    let growth_deviation = remittance_scale * u.remittance_growth_sd * z_remittance;
    let groups: Vec<(f64, f64)> = run
        .calibration
        .remittances
        .iter()
        .map(|r| {
            let g_m = match scenario.remittances.growth {
                Growth::Calibrated => r.growth,
                Growth::Fixed(g) => g,
            };
            (g_m + growth_deviation, r.amount_calibration_usd)
        })
        .collect();
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
        for (amounts, (remittance_growth, amount_cal)) in amount_usd.iter_mut().zip(&groups) {
            amounts[t] = amount_cal * (remittance_growth * (t - cal) as f64 + log_shock_sum).exp();
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

/// Runs one trajectory from the calibration-year state: the core series of every region.
pub fn run_trajectory(run: &DeterministicRun, draws: &TrajectoryDraws) -> Vec<CoreSeries> {
    let rates = &run.rates;
    let cal = rates.calibration_index;
    (0..rates.n_regions)
        .map(|r| {
            let growth = &draws.arrival_growth[r];
            let arrivals = arrivals_path(rates, r, run.calibration.regions[r].arrivals_base, |u| {
                growth[u]
            });
            let shared = &run.core[r];
            let mut core = CoreSeries {
                stock: shared.stock[..cal].to_vec(),
                arrivals: shared.arrivals[..cal].to_vec(),
                deaths: shared.deaths[..cal].to_vec(),
                departures: shared.departures[..cal].to_vec(),
                remitters: shared.remitters[..cal].to_vec(),
            };
            let start_state = &run.calibration.regions[r].state_at_calibration;
            project_region(
                rates,
                r,
                (cal, rates.n_years),
                start_state,
                &arrivals,
                |t| draws.departure_multiplier[t],
                |_, _, flows, arrivals_t| {
                    core.stock.push(flows.stock);
                    core.arrivals.push(arrivals_t);
                    core.deaths.push(flows.deaths);
                    core.departures.push(flows.departures);
                    core.remitters.push(flows.remitters);
                },
            );
            core
        })
        .collect()
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

/// The Monte Carlo results: every trajectory's derived series, flattened
/// `[trajectory][entity][variable][year]`.
pub struct MonteCarlo {
    pub n_trajectories: usize,
    pub n_entities: usize,
    pub n_variables: usize,
    pub n_years: usize,
    pub values: Vec<f64>,
}

impl MonteCarlo {
    pub fn value(&self, trajectory: usize, entity: usize, variable: usize, year: usize) -> f64 {
        self.values[((trajectory * self.n_entities + entity) * self.n_variables + variable)
            * self.n_years
            + year]
    }

    /// Mean and the seven quantiles for one entity, variable and year.
    pub fn summary(&self, entity: usize, variable: usize, year: usize) -> (f64, [f64; 7]) {
        let mut column: Vec<f64> = (0..self.n_trajectories)
            .map(|k| self.value(k, entity, variable, year))
            .collect();
        summarize(&mut column)
    }

    /// Every summary, ordered by entity, then year, then variable (the rows of summary.csv),
    /// computed in parallel; each is independent, so the result does not depend on threads.
    pub fn all_summaries(&self) -> Vec<(f64, [f64; 7])> {
        let (n_years, n_variables) = (self.n_years, self.n_variables);
        (0..self.n_entities * n_years * n_variables)
            .into_par_iter()
            .map(|i| {
                let entity = i / (n_years * n_variables);
                let year = (i / n_variables) % n_years;
                let variable = i % n_variables;
                self.summary(entity, variable, year)
            })
            .collect()
    }
}

/// Runs `n_trajectories` trajectories on the current rayon pool; `progress` is called once per
/// finished trajectory (from any thread).
pub fn run_monte_carlo(
    scenario: &Scenario,
    run: &DeterministicRun,
    uncertainty: &Uncertainty,
    progress: &(dyn Fn() + Sync),
) -> MonteCarlo {
    let n_trajectories = uncertainty.trajectories;
    let n_entities = run.derived.len();
    let n_variables = run.derived[0].len();
    let n_years = run.rates.n_years;
    let per_trajectory = n_entities * n_variables * n_years;
    let mut values = vec![0.0; n_trajectories * per_trajectory];
    values
        .par_chunks_mut(per_trajectory.max(1))
        .enumerate()
        .for_each(|(k, out)| {
            let draws = draw_trajectory(scenario, run, uncertainty, k as u64);
            let core = run_trajectory(run, &draws);
            let derived = derive(&run.rates, &run.structure, &core, &draws.amount_usd);
            let mut i = 0;
            for entity in &derived {
                for variable in entity {
                    out[i..i + n_years].copy_from_slice(variable);
                    i += n_years;
                }
            }
            progress();
        });
    MonteCarlo {
        n_trajectories,
        n_entities,
        n_variables,
        n_years,
        values,
    }
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
    let hits = (0..mc.n_trajectories)
        .filter(|&k| {
            let x = mc.value(k, entity, variable, year);
            match threshold {
                Threshold::Above => x > value,
                Threshold::Below => x < value,
            }
        })
        .count();
    let n = mc.n_trajectories as f64;
    let p = hits as f64 / n;
    (p, (p * (1.0 - p) / n).sqrt())
}
