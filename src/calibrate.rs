//! Seeding and calibration from the two figures (MODEL.md section 7): the initial state left
//! by a long history of arrivals growing at rate g, the arrival growth `g_hat` of each region
//! that meets its calibration-year stock, and the amount remitted per remitter.

use rayon::prelude::*;

use crate::model::rates::Rates;
use crate::model::remittance::effective_remitters;
use crate::model::step::{step_region, StepRates};
use crate::scenario::Scenario;
use crate::simulate::project::{arrivals_path, project_region};

/// Steps of history behind the initial state.
pub const SEED_STEPS: usize = 200;
/// The bracket searched for arrival growth.
pub const GROWTH_BRACKET: (f64, f64) = (-0.5, 0.5);

/// The calibration of one region.
#[derive(Debug, Clone)]
pub struct RegionCalibration {
    /// `g_hat`: arrival growth per year over the calibration period.
    pub arrival_growth: f64,
    /// `N_base`, the region's state in the base year.
    pub initial_state: Vec<f64>,
    /// `I_base`, the arrivals of the first projected year (before changes and pulses).
    pub arrivals_base: f64,
    /// The stock the model reaches in the calibration year with `g_hat`.
    pub achieved_calibration_stock: f64,
}

/// The remittance calibration: amount per remitter in the two years and its growth.
#[derive(Debug, Clone, Copy)]
pub struct RemittanceCalibration {
    pub amount_base_usd: f64,
    pub amount_calibration_usd: f64,
    pub growth: f64,
    pub remitters_base: f64,
    pub remitters_calibration: f64,
}

#[derive(Debug, Clone)]
pub struct Calibration {
    pub regions: Vec<RegionCalibration>,
    pub remittances: RemittanceCalibration,
}

/// Why a calibration failed, with what the user needs to fix it.
#[derive(Debug, Clone, PartialEq)]
pub enum CalibrationError {
    Unreachable {
        region: usize,
        target: f64,
        lowest: f64,
        highest: f64,
    },
    NoRemitters {
        year: i32,
    },
}

/// The unscaled seed `x_B`: B steps from an empty state with base-year rates, the arrivals of
/// step k being `exp(g k)`.
pub fn seed_state(rates: &Rates, region: usize, growth: f64) -> Vec<f64> {
    let dims = rates.dims;
    let mut state = vec![0.0; dims.cells()];
    let mut next = vec![0.0; dims.cells()];
    let step_rates = StepRates {
        death_probability: &rates.death_probability[0],
        departure_probability: &rates.departure_probability[0][region],
        arrival_shares: &rates.arrival_shares[region],
        propensity: &rates.propensity,
        remitting_ages: rates.remitting_ages,
    };
    for k in 0..SEED_STEPS {
        step_region(
            &state,
            &mut next,
            dims,
            step_rates,
            (growth * k as f64).exp(),
        );
        std::mem::swap(&mut state, &mut next);
    }
    state
}

/// The base-year state scaled to `stock_base` and the first year's arrivals, for growth g:
/// `c = S_base / sum(x_B)`, `N_base = c x_B`, `I_base = c exp(g B)`.
pub fn initial_state(
    rates: &Rates,
    region: usize,
    growth: f64,
    stock_base: f64,
) -> (Vec<f64>, f64) {
    let mut state = seed_state(rates, region, growth);
    let scale = stock_base / state.iter().sum::<f64>();
    state.iter_mut().for_each(|x| *x *= scale);
    (state, scale * (growth * SEED_STEPS as f64).exp())
}

/// The stock the model reaches in the calibration year when arrivals grow at `growth`.
pub fn calibration_stock(rates: &Rates, region: usize, growth: f64, stock_base: f64) -> f64 {
    let (state, arrivals_base) = initial_state(rates, region, growth, stock_base);
    let arrivals = arrivals_path(rates, region, arrivals_base, |_| growth);
    project_region(
        rates,
        region,
        (0, rates.calibration_index),
        &state,
        &arrivals,
        1.0,
        |_, _, _, _| {},
    )
    .iter()
    .sum()
}

/// Brent's method for a root of `f` in `[a, b]` where `f(a)` and `f(b)` differ in sign.
pub fn brent(
    f: impl Fn(f64) -> f64,
    mut a: f64,
    mut b: f64,
    mut fa: f64,
    mut fb: f64,
    tolerance: f64,
) -> f64 {
    if fa == 0.0 {
        return a;
    }
    if fb == 0.0 {
        return b;
    }
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut e = d;
    for _ in 0..200 {
        if (fb > 0.0) == (fc > 0.0) {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol1 = 2.0 * f64::EPSILON * b.abs() + 0.5 * tolerance;
        let xm = 0.5 * (c - b);
        if xm.abs() <= tol1 || fb == 0.0 {
            return b;
        }
        if e.abs() >= tol1 && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q);
            if a == c {
                p = 2.0 * xm * s;
                q = 1.0 - s;
            } else {
                let qq = fa / fc;
                let r = fb / fc;
                p = s * (2.0 * xm * qq * (qq - r) - (b - a) * (r - 1.0));
                q = (qq - 1.0) * (r - 1.0) * (s - 1.0);
            }
            if p > 0.0 {
                q = -q;
            }
            p = p.abs();
            let min1 = 3.0 * xm * q - (tol1 * q).abs();
            let min2 = (e * q).abs();
            if 2.0 * p < min1.min(min2) {
                e = d;
                d = p / q;
            } else {
                d = xm;
                e = d;
            }
        } else {
            d = xm;
            e = d;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol1 { d } else { tol1.copysign(xm) };
        fb = f(b);
    }
    b
}

/// Calibrates one region's arrival growth to its calibration-year stock.
pub fn calibrate_region(
    rates: &Rates,
    region: usize,
    stock_base: f64,
    stock_target: f64,
) -> Result<RegionCalibration, CalibrationError> {
    let relative_gap =
        |g: f64| calibration_stock(rates, region, g, stock_base) / stock_target - 1.0;
    let (lo, hi) = GROWTH_BRACKET;
    let (f_lo, f_hi) = (relative_gap(lo), relative_gap(hi));
    let brackets_target = f_lo <= 0.0 && f_hi >= 0.0 && f_lo.is_finite() && f_hi.is_finite();
    if !brackets_target {
        return Err(CalibrationError::Unreachable {
            region,
            target: stock_target,
            lowest: (f_lo + 1.0) * stock_target,
            highest: (f_hi + 1.0) * stock_target,
        });
    }
    let growth = brent(relative_gap, lo, hi, f_lo, f_hi, 1e-15);
    let (initial_state, arrivals_base) = initial_state(rates, region, growth, stock_base);
    Ok(RegionCalibration {
        arrival_growth: growth,
        initial_state,
        arrivals_base,
        achieved_calibration_stock: calibration_stock(rates, region, growth, stock_base),
    })
}

/// Calibrates every region (in parallel), then the amount remitted per remitter.
pub fn calibrate(scenario: &Scenario, rates: &Rates) -> Result<Calibration, CalibrationError> {
    let regions: Vec<RegionCalibration> = scenario
        .regions
        .par_iter()
        .enumerate()
        .map(|(r, region)| {
            calibrate_region(
                rates,
                r,
                region.stock_base_persons,
                region.stock_calibration_persons,
            )
        })
        .collect::<Result<_, _>>()?;
    let cal = rates.calibration_index;
    let mut remitters_base = 0.0;
    let mut remitters_calibration = 0.0;
    for (r, region) in regions.iter().enumerate() {
        remitters_base += effective_remitters(
            &region.initial_state,
            rates.dims,
            rates.remitting_ages,
            &rates.propensity,
        );
        let g = region.arrival_growth;
        let arrivals = arrivals_path(rates, r, region.arrivals_base, |_| g);
        let state_cal = project_region(
            rates,
            r,
            (0, cal),
            &region.initial_state,
            &arrivals,
            1.0,
            |_, _, _, _| {},
        );
        remitters_calibration += effective_remitters(
            &state_cal,
            rates.dims,
            rates.remitting_ages,
            &rates.propensity,
        );
    }
    let remittances = &scenario.remittances;
    let (r_base, r_cal) = (
        remittances.received_base_usd,
        remittances.received_calibration_usd,
    );
    let remittances = if r_base == 0.0 && r_cal == 0.0 {
        RemittanceCalibration {
            amount_base_usd: 0.0,
            amount_calibration_usd: 0.0,
            growth: 0.0,
            remitters_base,
            remitters_calibration,
        }
    } else {
        for (remitters, year) in [
            (remitters_base, scenario.base_year),
            (remitters_calibration, scenario.calibration_year),
        ] {
            if remitters <= 0.0 {
                return Err(CalibrationError::NoRemitters { year });
            }
        }
        let amount_base = r_base / ((1.0 - rates.cost[0]) * remitters_base);
        let amount_cal = r_cal / ((1.0 - rates.cost[cal]) * remitters_calibration);
        RemittanceCalibration {
            amount_base_usd: amount_base,
            amount_calibration_usd: amount_cal,
            growth: (amount_cal / amount_base).ln() / cal as f64,
            remitters_base,
            remitters_calibration,
        }
    };
    Ok(Calibration {
        regions,
        remittances,
    })
}
