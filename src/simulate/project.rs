//! The time loop for one region: arrivals over time (MODEL.md section 6) and the yearly step
//! applied from a starting state, reporting each year to an observer. Regions never interact,
//! so each is projected on its own (and in parallel where that pays).

use ndarray::ArrayView3;

use crate::model::rates::Rates;
use crate::model::state::Cohorts;
use crate::model::step::{step_region, Flows, StepRates};

/// Arrivals `I_t = I_base exp(sum_{u=base..t-1} g_u) M_t + P_t` for every year index
/// `0..n_years`, where `growth(u)` gives `g_u`.
pub fn arrivals_path(
    rates: &Rates,
    region: usize,
    arrivals_base: f64,
    growth: impl Fn(usize) -> f64,
) -> Vec<f64> {
    let mut cumulative_growth = 0.0;
    (0..rates.n_years)
        .map(|t| {
            if t > 0 {
                cumulative_growth += growth(t - 1);
            }
            arrivals_base * cumulative_growth.exp() * rates.arrival_multiplier[t][region]
                + rates.arrival_pulse[t][region]
        })
        .collect()
}

/// Projects one region from `start_state` at year index `start` through the steps out of
/// years `start..end`, and returns the state at `end`. `observe(t, N_t, flows_t, I_t)` sees
/// every year's state and flows. `departure_multiplier(t)` scales the departure
/// probabilities of year index `t` (Monte Carlo; 1 in a deterministic run).
pub fn project_region(
    rates: &Rates,
    region: usize,
    (start, end): (usize, usize),
    start_state: ArrayView3<'_, f64>,
    arrivals: &[f64],
    departure_multiplier: impl Fn(usize) -> f64,
    mut observe: impl FnMut(usize, ArrayView3<'_, f64>, Flows, f64),
) -> Cohorts {
    let dims = rates.dims;
    let mut state = start_state.to_owned();
    let mut next = dims.zeros();
    let mut scaled_h = vec![0.0; dims.n_durations()];
    for t in start..end {
        let base_h = &rates.departure_probability[t][region];
        let multiplier = departure_multiplier(t);
        let h: &[f64] = if multiplier != 1.0 {
            for (out, &h) in scaled_h.iter_mut().zip(base_h) {
                *out = (h * multiplier).min(1.0);
            }
            &scaled_h
        } else {
            base_h
        };
        let step_rates = StepRates {
            death_probability: &rates.death_probability[t],
            departure_probability: h,
            arrival_shares: &rates.arrival_shares[region],
            propensity: &rates.propensity,
            remitting_ages: rates.remitting_ages,
        };
        let flows = step_region(state.view(), next.view_mut(), step_rates, arrivals[t]);
        observe(t, state.view(), flows, arrivals[t]);
        std::mem::swap(&mut state, &mut next);
    }
    state
}
