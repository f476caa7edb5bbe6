//! Every rate of every year, computed once from a checked scenario: death probabilities
//! (solved Gompertz levels), departure probabilities, arrival shares, remittance propensity
//! and cost, world population and comparison series.

use super::arrivals::{change_and_pulse, region_arrival_shares};
use super::departure::departure_probabilities;
use super::mortality::{gompertz_makeham_e0, gompertz_makeham_table, solve_beta};
use super::remittance::propensity_by_duration;
use super::series::{linear_flat, log_linear_extended};
use super::{Dims, N_AGES, N_SEXES};
use crate::scenario::{Mortality, Scenario};

/// The Gompertz level solved for one year and sex, with the e0 it reaches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SolvedMortality {
    pub year: i32,
    pub sex: usize,
    pub beta: f64,
    pub target_e0: f64,
    pub achieved_e0: f64,
}

/// Rates by year index (0 = base year) for the years base..=end.
#[derive(Debug, Clone)]
pub struct Rates {
    pub dims: Dims,
    pub base_year: i32,
    pub calibration_index: usize,
    pub n_years: usize,
    pub n_regions: usize,
    /// `[year][sex * N_AGES + age]`.
    pub death_probability: Vec<Vec<f64>>,
    /// `[year][region][duration]`, before any Monte Carlo multiplier.
    pub departure_probability: Vec<Vec<Vec<f64>>>,
    /// `[region][sex * N_AGES + age]`.
    pub arrival_shares: Vec<Vec<f64>>,
    /// `M_t[r]` and `P_t[r]`: `[year][region]`.
    pub arrival_multiplier: Vec<Vec<f64>>,
    pub arrival_pulse: Vec<Vec<f64>>,
    /// `pi(d)`.
    pub propensity: Vec<f64>,
    pub remitting_ages: (usize, usize),
    /// `cost_t`, `[year]`.
    pub cost: Vec<f64>,
    /// `W_t`, `[year]`.
    pub world_population: Vec<f64>,
    /// `[series][year]`.
    pub comparison: Vec<Vec<f64>>,
    /// Solved mortality per year and sex (empty with a mortality table).
    pub solved_mortality: Vec<SolvedMortality>,
}

impl Rates {
    pub fn new(scenario: &Scenario) -> Self {
        let dims = Dims::new(scenario.max_duration);
        let years: Vec<i32> = scenario.years().collect();
        let n_regions = scenario.regions.len();
        let mut solved_mortality = Vec::new();
        let death_probability: Vec<Vec<f64>> = years
            .iter()
            .map(|&year| match &scenario.mortality {
                Mortality::GompertzMakeham {
                    makeham,
                    gompertz_slope,
                    e0_female,
                    e0_male,
                    improvement_per_year,
                } => {
                    let mut q = Vec::with_capacity(N_SEXES * N_AGES);
                    for (sex, e0) in [*e0_female, *e0_male].into_iter().enumerate() {
                        let target =
                            e0 + improvement_per_year * f64::from(year - scenario.base_year);
                        // The checker verified every year's target is reachable.
                        let beta = solve_beta(*makeham, *gompertz_slope, target).unwrap_or(1.0);
                        solved_mortality.push(SolvedMortality {
                            year,
                            sex,
                            beta,
                            target_e0: target,
                            achieved_e0: gompertz_makeham_e0(*makeham, beta, *gompertz_slope),
                        });
                        q.extend(gompertz_makeham_table(*makeham, beta, *gompertz_slope));
                    }
                    q
                }
                Mortality::Table { q, .. } => q.iter().flatten().copied().collect(),
            })
            .collect();
        let departure_probability = years
            .iter()
            .map(|&year| {
                (0..n_regions)
                    .map(|r| {
                        departure_probabilities(
                            &scenario.departure,
                            year,
                            r,
                            scenario.max_duration,
                            1.0,
                        )
                    })
                    .collect()
            })
            .collect();
        let (arrival_multiplier, arrival_pulse) = years
            .iter()
            .map(|&year| {
                (0..n_regions)
                    .map(|r| change_and_pulse(&scenario.arrivals, year, r))
                    .unzip::<f64, f64, Vec<f64>, Vec<f64>>()
            })
            .unzip();
        let remittances = &scenario.remittances;
        let cost = years
            .iter()
            .map(|&y| {
                if remittances.cost.is_empty() {
                    0.0
                } else {
                    linear_flat(&remittances.cost, f64::from(y))
                }
            })
            .collect();
        Rates {
            dims,
            base_year: scenario.base_year,
            calibration_index: (scenario.calibration_year - scenario.base_year) as usize,
            n_years: years.len(),
            n_regions,
            death_probability,
            departure_probability,
            arrival_shares: (0..n_regions)
                .map(|r| region_arrival_shares(scenario, r))
                .collect(),
            arrival_multiplier,
            arrival_pulse,
            propensity: propensity_by_duration(&remittances.propensity, scenario.max_duration),
            remitting_ages: remittances.age_range,
            cost,
            world_population: years
                .iter()
                .map(|&y| log_linear_extended(&scenario.world_population, f64::from(y)))
                .collect(),
            comparison: scenario
                .comparison
                .iter()
                .map(|s| {
                    let last = s.points[s.points.len() - 1];
                    years
                        .iter()
                        .map(|&y| {
                            let y = f64::from(y);
                            match s.after {
                                // Continued from the last point at the stated log growth.
                                Some(g) if y > last.0 => last.1 * (g * (y - last.0)).exp(),
                                _ => linear_flat(&s.points, y),
                            }
                        })
                        .collect()
                })
                .collect(),
            solved_mortality,
        }
    }

    pub fn year(&self, index: usize) -> i32 {
        self.base_year + index as i32
    }
}
