//! Runners: the deterministic projection (this file), the Monte Carlo runner and its
//! summaries. They own the time loop and the observers; the model owns the arithmetic.

pub mod monte_carlo;
pub mod project;
pub mod quantiles;
pub mod streams;

use ndarray::{ArrayView3, Axis};
use rayon::prelude::*;

use crate::calibrate::{calibrate, Calibration, CalibrationError};
use crate::model::rates::Rates;
use crate::model::state::{Cohorts, StreamCohorts, SEX, STREAM};
use crate::model::{Dims, AGE_GROUPS, MAX_AGE, N_AGES, N_SEXES};
use crate::scenario::{Growth, Scenario};
use project::{arrivals_path, project_region};
use streams::{engine_scenario, entities, remittance_groups, Entity, Layout};

/// The yearly series of one region that every derived figure is computed from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoreSeries {
    pub stock: Vec<f64>,
    pub arrivals: Vec<f64>,
    pub deaths: Vec<f64>,
    pub departures: Vec<f64>,
    /// Effective remitters `E_t`.
    pub remitters: Vec<f64>,
}

impl CoreSeries {
    fn with_capacity(n: usize) -> Self {
        Self {
            stock: Vec::with_capacity(n),
            arrivals: Vec::with_capacity(n),
            deaths: Vec::with_capacity(n),
            departures: Vec::with_capacity(n),
            remitters: Vec::with_capacity(n),
        }
    }
}

/// The variables of projection.csv and summary.csv that exist for every run and trajectory,
/// before the `ratio_to_<name>` columns.
pub const CORE_VARIABLES: [&str; 8] = [
    "stock",
    "arrivals",
    "deaths",
    "departures",
    "remittances_sent",
    "remittances_received",
    "fees",
    "share_of_world",
];

/// Names of every derived variable of a scenario, in column order.
pub fn variable_names(scenario: &Scenario) -> Vec<String> {
    CORE_VARIABLES
        .iter()
        .map(|s| s.to_string())
        .chain(
            scenario
                .comparison
                .iter()
                .map(|c| format!("ratio_to_{}", c.name)),
        )
        .collect()
}

/// Entities of the output tables: the regions, the areas, then `World` when there are several
/// regions.
pub fn entity_names(scenario: &Scenario) -> Vec<String> {
    let mut names: Vec<String> = scenario.regions.iter().map(|r| r.name.clone()).collect();
    names.extend(scenario.areas.iter().cloned());
    if names.len() > 1 {
        names.push(scenario.total.clone());
    }
    names
}

/// What derive needs to know of a scenario's structure: its streams, entities and which
/// origin group each comparison series is compared with.
#[derive(Debug, Clone, PartialEq)]
pub struct RunStructure {
    pub layout: Layout,
    pub entities: Vec<Entity>,
    pub series_origin: Vec<Option<usize>>,
}

impl RunStructure {
    pub fn of(scenario: &Scenario) -> Self {
        RunStructure {
            layout: Layout::of(scenario),
            entities: entities(scenario),
            series_origin: scenario.comparison.iter().map(|c| c.origin).collect(),
        }
    }
}

/// Derived variables `[entity][variable][year]` (entities of [`streams::entities`]) from the
/// core series of each stream and the amount per remitter of each origin group
/// `amounts[group][t]`: sent `sum_g E_g m_g`, received `sent (1 - cost)`, fees `sent cost`,
/// share `S / W`, ratios `received / series` (receipts of the series' origin group, or of
/// every group); stocks and flows are sums over the entity's streams.
pub fn derive(
    rates: &Rates,
    structure: &RunStructure,
    streams: &[CoreSeries],
    amounts: &[Vec<f64>],
) -> Vec<Vec<Vec<f64>>> {
    let n_years = rates.n_years;
    let layout = structure.layout;
    structure
        .entities
        .iter()
        .map(|entity| {
            let members: Vec<&CoreSeries> = entity.streams.iter().map(|&s| &streams[s]).collect();
            let summed;
            let core: &CoreSeries = if members.len() == 1 {
                members[0]
            } else {
                summed = sum_series(&members, n_years);
                &summed
            };
            // Effective remitters by origin group, summed in stream order.
            // (Borrowed when one group holds all the entity's streams: no copy per trajectory.)
            let remitters_of = |group: usize| -> Option<std::borrow::Cow<'_, [f64]>> {
                let of_group: Vec<&CoreSeries> = entity
                    .streams
                    .iter()
                    .filter(|&&s| layout.group_of(s) == group)
                    .map(|&s| &streams[s])
                    .collect();
                match of_group.len() {
                    0 => None,
                    n if n == members.len() => Some(std::borrow::Cow::Borrowed(&core.remitters)),
                    _ => Some(std::borrow::Cow::Owned(
                        (0..n_years)
                            .map(|t| of_group.iter().map(|c| c.remitters[t]).sum())
                            .collect(),
                    )),
                }
            };
            let by_group: Vec<Option<std::borrow::Cow<'_, [f64]>>> =
                (0..layout.n_groups).map(remitters_of).collect();
            let sent_of = |groups: &[usize]| -> Vec<f64> {
                (0..n_years)
                    .map(|t| {
                        let mut sent = 0.0;
                        for &g in groups {
                            if let Some(e) = &by_group[g] {
                                sent += e[t] * amounts[g][t];
                            }
                        }
                        sent
                    })
                    .collect()
            };
            let all_groups: Vec<usize> = (0..layout.n_groups).collect();
            let sent = sent_of(&all_groups);
            let received: Vec<f64> = (0..n_years)
                .map(|t| sent[t] * (1.0 - rates.cost[t]))
                .collect();
            let fees: Vec<f64> = (0..n_years).map(|t| sent[t] * rates.cost[t]).collect();
            let share: Vec<f64> = (0..n_years)
                .map(|t| core.stock[t] / rates.world_population[t])
                .collect();
            let mut variables = vec![
                core.stock.clone(),
                core.arrivals.clone(),
                core.deaths.clone(),
                core.departures.clone(),
                sent,
                received.clone(),
                fees,
                share,
            ];
            for (series, origin) in rates.comparison.iter().zip(&structure.series_origin) {
                let of = match origin {
                    None => received.clone(),
                    Some(g) => sent_of(&[*g])
                        .iter()
                        .enumerate()
                        .map(|(t, s)| s * (1.0 - rates.cost[t]))
                        .collect(),
                };
                variables.push((0..n_years).map(|t| of[t] / series[t]).collect());
            }
            variables
        })
        .collect()
}

fn sum_series(regions: &[&CoreSeries], n_years: usize) -> CoreSeries {
    let sum = |pick: fn(&CoreSeries) -> &Vec<f64>| -> Vec<f64> {
        (0..n_years)
            .map(|t| regions.iter().map(|r| pick(r)[t]).sum())
            .collect()
    };
    CoreSeries {
        stock: sum(|c| &c.stock),
        arrivals: sum(|c| &c.arrivals),
        deaths: sum(|c| &c.deaths),
        departures: sum(|c| &c.departures),
        remitters: sum(|c| &c.remitters),
    }
}

/// The amount's growth `g_m,u[group]` in year index `u >= cal` (MODEL.md section 7, revision
/// 3): with `remittances.growth = "calibrated"`, the damped trend
/// `gbar_m + (g_m_hat[group] - gbar_m) psi^j`, `j = u - cal`, toward the growth calibrated
/// for every modelled group together; a number: that number for every group.
pub fn amount_growth_after(
    scenario: &Scenario,
    calibration: &Calibration,
    group: usize,
    j: usize,
) -> f64 {
    let own = calibration.remittances[group].growth;
    match scenario.remittances.growth {
        Growth::Calibrated => match calibration.pooled_remittance_growth {
            Some(gbar_m) => {
                gbar_m + (own - gbar_m) * scenario.remittances.growth_damping.powi(j as i32)
            }
            None => own,
        },
        Growth::Fixed(g) => g,
    }
}

/// `L_t[group] = sum_{u=cal..t-1} g_m,u[group]` for every year index (0 through the
/// calibration year): the amount per remitter after the calibration year is
/// `m_cal exp(L_t)`; the Monte Carlo adds its deviations to `L_t`.
pub fn amount_log_growth(
    scenario: &Scenario,
    rates: &Rates,
    calibration: &Calibration,
) -> Vec<Vec<f64>> {
    let cal = rates.calibration_index;
    (0..calibration.remittances.len())
        .map(|group| {
            let mut sum = 0.0;
            (0..rates.n_years)
                .map(|t| {
                    if t > cal {
                        sum += amount_growth_after(scenario, calibration, group, t - 1 - cal);
                    }
                    sum
                })
                .collect()
        })
        .collect()
}

/// Amount per remitter `m_t[group]`: `m_base exp(g_m_hat (t - base))` through the calibration
/// year, then `m_cal exp(L_t)` (see [`amount_log_growth`]).
pub fn deterministic_amounts(
    rates: &Rates,
    calibration: &Calibration,
    log_growth: &[Vec<f64>],
) -> Vec<Vec<f64>> {
    let cal = rates.calibration_index;
    calibration
        .remittances
        .iter()
        .zip(log_growth)
        .map(|(remittance, log_growth)| {
            (0..rates.n_years)
                .map(|t| {
                    if t <= cal {
                        remittance.amount_base_usd * (remittance.growth * t as f64).exp()
                    } else {
                        remittance.amount_calibration_usd * log_growth[t].exp()
                    }
                })
                .collect()
        })
        .collect()
}

/// Arrival growth `g_u` of region `region` in the deterministic run (MODEL.md section 6):
/// `g_hat` before the calibration year, then the damped trend
/// `gbar + (g_hat - gbar) phi^j + growth_shift` (or `arrivals.growth + growth_shift`).
pub fn deterministic_growth(
    scenario: &Scenario,
    rates: &Rates,
    calibration: &Calibration,
    region: usize,
) -> impl Fn(usize) -> f64 {
    let g_hat = calibration.regions[region].arrival_growth;
    let gbar = calibration.pooled_growth;
    let cal = rates.calibration_index;
    let after: Vec<f64> = (cal..rates.n_years)
        .map(|u| scenario.arrival_growth_after(g_hat, gbar, rates.year(u)))
        .collect();
    move |u| if u < cal { g_hat } else { after[u - cal] }
}

/// Detail the deterministic run keeps beyond the core series: sex, age and duration.
#[derive(Debug, Clone, Default)]
pub struct RegionDetail {
    /// Female migrants, `[year]`.
    pub female: Vec<f64>,
    /// Migrants by single age (both sexes), `[year][age]`.
    pub by_age: Vec<[f64; N_AGES]>,
    /// Stock by `[sex][age group][duration group]` for the structure years, `(year, counts)`.
    pub structure: Vec<(i32, Vec<f64>)>,
    /// The state in the calibration year (the Monte Carlo starts from it).
    pub state_at_calibration: Cohorts,
    /// Stock by duration group of stay (the groups of structure.csv, [`duration_groups`]),
    /// `[year][group]`.
    pub by_duration_group: Vec<Vec<f64>>,
}

/// The stock by duration group of stay (`[group]`, see [`duration_groups`]).
fn by_duration_group(state: ArrayView3<'_, f64>, dims: Dims) -> Vec<f64> {
    let groups = duration_groups(dims.max_duration);
    let mut out = vec![0.0; groups.len()];
    for of_sex in state.outer_iter() {
        for row in of_sex.outer_iter() {
            for (d, persons) in row.iter().enumerate() {
                // 0-4, 5-9, ... below D; the open group D+ from D on.
                let group = if d >= dims.max_duration {
                    groups.len() - 1
                } else {
                    d / 5
                };
                out[group] += persons;
            }
        }
    }
    out
}

/// An upper estimate of the memory a deterministic run and its tables take, in bytes: per
/// stream, six copies of the state (rates, seed, calibration), the single-age and duration
/// detail of every year, and the structure rows as CSV text (about 100 bytes a row). Measured:
/// 400 regions, 61 years, durations to 50: 230 MB peak without charts, 372 MB estimated.
pub fn deterministic_memory_bytes(scenario: &Scenario) -> u128 {
    let streams = (scenario.regions.len() * scenario.origins.len().max(1)) as u128;
    let cells = (crate::model::N_SEXES * N_AGES * (scenario.max_duration + 1)) as u128;
    let years = (scenario.end_year - scenario.base_year + 1) as u128;
    let structure_rows = scenario.structure_years().len() as u128
        * (crate::model::N_SEXES * crate::model::AGE_GROUPS) as u128
        * duration_groups(scenario.max_duration).len() as u128;
    streams * (cells * 8 * 6 + years * (N_AGES as u128 + 16) * 8 * 2 + structure_rows * 100)
}

/// The deterministic projection of a scenario.
#[derive(Debug, Clone)]
pub struct DeterministicRun {
    pub rates: Rates,
    pub calibration: Calibration,
    /// One per stream (a region without `[origins]`).
    pub core: Vec<CoreSeries>,
    /// One per stream (a region without `[origins]`); [`DeterministicRun::entity_detail`]
    /// sums them for a table's row group.
    pub detail: Vec<RegionDetail>,
    /// Amount per remitter `[origin group][year]`.
    pub amount_usd: Vec<Vec<f64>>,
    /// `L_t[origin group][year]` of [`amount_log_growth`].
    pub amount_log_growth: Vec<Vec<f64>>,
    /// Arrival growth `g_u` of each stream `[stream][year]` (MODEL.md section 6).
    pub arrival_growth: Vec<Vec<f64>>,
    /// Derived variables `[entity][variable][year]` (see [`derive`]).
    pub derived: Vec<Vec<Vec<f64>>>,
    pub structure: RunStructure,
    /// Every stream's state in the calibration year, `N[stream, sex, age, duration]`, that
    /// the calibration reached (every Monte Carlo trajectory starts from it).
    pub state_at_calibration: StreamCohorts,
}

/// Duration groups: 0-4, 5-9, ... in five-year steps below `D`, then the open group `D+`.
pub fn duration_groups(max_duration: usize) -> Vec<(usize, Option<usize>)> {
    let mut groups = Vec::new();
    let mut lo = 0;
    while lo < max_duration {
        groups.push((lo, Some((lo + 4).min(max_duration - 1))));
        lo += 5;
    }
    groups.push((max_duration, None));
    groups
}

pub fn duration_group_label(group: (usize, Option<usize>)) -> String {
    match group {
        (lo, Some(hi)) if lo == hi => lo.to_string(),
        (lo, Some(hi)) => format!("{lo}-{hi}"),
        (lo, None) => format!("{lo}+"),
    }
}

/// Sums a region's state into `[sex][age group][duration group]`.
pub fn group_structure(state: ArrayView3<'_, f64>, dims: Dims) -> Vec<f64> {
    let groups = duration_groups(dims.max_duration);
    let group_of_duration: Vec<usize> = (0..=dims.max_duration)
        .map(|d| {
            groups
                .iter()
                .position(|&(lo, hi)| d >= lo && hi.is_none_or(|h| d <= h))
                .unwrap_or(groups.len() - 1)
        })
        .collect();
    let mut out = vec![0.0; N_SEXES * AGE_GROUPS * groups.len()];
    for sex in 0..N_SEXES {
        for age in 0..=MAX_AGE {
            let age_group = (age / 5).min(AGE_GROUPS - 1);
            for d in 0..=dims.max_duration {
                out[(sex * AGE_GROUPS + age_group) * groups.len() + group_of_duration[d]] +=
                    state[[sex, age, d]];
            }
        }
    }
    out
}

/// Calibrates every stream of `scenario` (its `engine` scenario and rates), an unreachable
/// stream's error naming its region and origin group.
pub fn calibrate_streams(
    scenario: &Scenario,
    engine: &Scenario,
    rates: &Rates,
) -> Result<crate::calibrate::Calibration, CalibrationError> {
    name_stream(
        scenario,
        calibrate(engine, rates, &remittance_groups(scenario)),
    )
}

/// A calibration error naming a stream (an engine region) named by its region and origin.
pub fn name_stream<T>(
    scenario: &Scenario,
    result: Result<T, CalibrationError>,
) -> Result<T, CalibrationError> {
    let layout = Layout::of(scenario);
    result.map_err(|e| match e {
        CalibrationError::Unreachable {
            region,
            target,
            lowest,
            highest,
            ..
        } => CalibrationError::Unreachable {
            region: region / layout.n_groups,
            origin: layout.origin_mode.then_some(layout.group_of(region)),
            target,
            lowest,
            highest,
        },
        other => other,
    })
}

/// Runs the deterministic projection: calibrate, then project every region from its base-year
/// state through the step out of the end year.
pub fn run_deterministic(scenario: &Scenario) -> Result<DeterministicRun, CalibrationError> {
    run_deterministic_with(scenario, true)
}

/// [`run_deterministic`]; without `detail` the sex, age and duration detail of every year
/// (`DeterministicRun::detail`) is left empty: what `check` needs (the series and their
/// plausibility) at a fraction of the time for hundreds of streams.
pub fn run_deterministic_with(
    scenario: &Scenario,
    detail: bool,
) -> Result<DeterministicRun, CalibrationError> {
    let keep_detail = detail;
    let layout = Layout::of(scenario);
    let engine = engine_scenario(scenario);
    let rates = Rates::new(&engine);
    let calibration = calibrate_streams(scenario, &engine, &rates)?;
    // Each stream's arrival growth by year (section 6), computed once: the Monte Carlo adds
    // its deviations to it.
    let arrival_growth: Vec<Vec<f64>> = (0..layout.n_streams())
        .map(|r| {
            let growth = deterministic_growth(&engine, &rates, &calibration, r);
            (0..rates.n_years).map(growth).collect()
        })
        .collect();
    let structure_years = scenario.structure_years();
    let dims = rates.dims;
    let (core, stream_detail): (Vec<CoreSeries>, Vec<RegionDetail>) = (0..layout.n_streams())
        .into_par_iter()
        .map(|r| {
            let region_cal = &calibration.regions[r];
            let arrivals = arrivals_path(&rates, r, region_cal.arrivals_base, |u| {
                arrival_growth[r][u]
            });
            let mut core = CoreSeries::with_capacity(rates.n_years);
            let mut detail = RegionDetail::default();
            project_region(
                &rates,
                r,
                (0, rates.n_years),
                region_cal.initial_state.view(),
                &arrivals,
                |_| 1.0,
                |t, state, flows, arrivals_t| {
                    core.stock.push(flows.stock);
                    core.arrivals.push(arrivals_t);
                    core.deaths.push(flows.deaths);
                    core.departures.push(flows.departures);
                    core.remitters.push(flows.remitters);
                    if !keep_detail {
                        return;
                    }
                    detail.female.push(state.index_axis(SEX, 0).iter().sum());
                    let mut by_age = [0.0; N_AGES];
                    for of_sex in state.axis_iter(SEX) {
                        for (count, row) in by_age.iter_mut().zip(of_sex.axis_iter(Axis(0))) {
                            *count += row.iter().sum::<f64>();
                        }
                    }
                    detail.by_age.push(by_age);
                    detail
                        .by_duration_group
                        .push(by_duration_group(state, dims));
                    let year = rates.year(t);
                    if structure_years.contains(&year) {
                        detail.structure.push((year, group_structure(state, dims)));
                    }
                    if t == rates.calibration_index {
                        detail.state_at_calibration = state.to_owned();
                    }
                },
            );
            (core, detail)
        })
        .unzip();
    let detail = stream_detail;
    let amount_log_growth = amount_log_growth(scenario, &rates, &calibration);
    let amount_usd = deterministic_amounts(&rates, &calibration, &amount_log_growth);
    let structure = RunStructure::of(scenario);
    let derived = derive(&rates, &structure, &core, &amount_usd);
    let starts: Vec<_> = calibration
        .regions
        .iter()
        .map(|r| r.state_at_calibration.view())
        .collect();
    let state_at_calibration =
        ndarray::stack(STREAM, &starts).expect("every stream's state has one shape");
    Ok(DeterministicRun {
        rates,
        calibration,
        core,
        detail,
        amount_usd,
        amount_log_growth,
        arrival_growth,
        derived,
        structure,
        state_at_calibration,
    })
}

impl DeterministicRun {
    /// The detail (sex, age, duration) of an entity: the sum of its streams' in stream order.
    pub fn entity_detail(&self, entity: &Entity) -> std::borrow::Cow<'_, RegionDetail> {
        if entity.streams.len() == 1 {
            return std::borrow::Cow::Borrowed(&self.detail[entity.streams[0]]);
        }
        let parts: Vec<&RegionDetail> = entity.streams.iter().map(|&s| &self.detail[s]).collect();
        std::borrow::Cow::Owned(sum_details(&parts))
    }
}

/// The detail of several streams as their sum (each figure summed from 0 in stream order).
fn sum_details(parts: &[&RegionDetail]) -> RegionDetail {
    let first = parts[0];
    let add = |a: &mut [f64], b: &[f64]| {
        for (x, y) in a.iter_mut().zip(b) {
            *x += y;
        }
    };
    let mut out = first.clone();
    for part in &parts[1..] {
        add(&mut out.female, &part.female);
        for (a, b) in out.by_age.iter_mut().zip(&part.by_age) {
            add(a, b);
        }
        for (a, b) in out.structure.iter_mut().zip(&part.structure) {
            add(&mut a.1, &b.1);
        }
        out.state_at_calibration += &part.state_at_calibration;
        for (a, b) in out
            .by_duration_group
            .iter_mut()
            .zip(&part.by_duration_group)
        {
            add(a, b);
        }
    }
    out
}

/// Median age, interpolated within the single-year group [a, a+1) where the cumulative count
/// passes half the total. `None` for an empty population.
pub fn median_age(by_age: &[f64]) -> Option<f64> {
    let total: f64 = by_age.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let half = total / 2.0;
    let mut below = 0.0;
    for (age, &count) in by_age.iter().enumerate() {
        if count > 0.0 && below + count >= half {
            return Some(age as f64 + (half - below) / count);
        }
        below += count;
    }
    Some(by_age.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_interpolates_within_the_age_group() {
        // 10 aged 0, 10 aged 1: half = 10 reached at the end of age 0 -> 1.0
        assert_eq!(median_age(&[10.0, 10.0]), Some(1.0));
        // 10 aged 0, 30 aged 1: half = 20, 10 below age 1, 10 of 30 into it -> 1 + 1/3
        assert!((median_age(&[10.0, 30.0]).unwrap() - (1.0 + 1.0 / 3.0)).abs() < 1e-15);
        assert_eq!(median_age(&[0.0, 0.0]), None);
    }

    #[test]
    fn duration_groups_end_open() {
        let groups = duration_groups(50);
        assert_eq!(groups.len(), 11);
        assert_eq!(duration_group_label(groups[0]), "0-4");
        assert_eq!(duration_group_label(groups[9]), "45-49");
        assert_eq!(duration_group_label(groups[10]), "50+");
        assert_eq!(duration_group_label(duration_groups(7)[1]), "5-6");
    }
}
