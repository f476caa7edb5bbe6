//! Seeding and calibration from the two figures (MODEL.md section 7): the initial state left
//! by a long history of arrivals growing at rate g, the arrival growth `g_hat` of each region
//! that meets its calibration-year stock, and the amount remitted per remitter.

use rayon::prelude::*;

use crate::model::rates::Rates;
use crate::model::remittance::effective_remitters;
use crate::model::state::{total, Cohorts};
use crate::model::step::{step_region, StepRates};
use crate::model::{MAX_AGE, N_AGES, N_SEXES};
use crate::scenario::{Growth, Pooling, Scenario};
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
    pub initial_state: Cohorts,
    /// `I_base`, the arrivals of the first projected year (before changes and pulses).
    pub arrivals_base: f64,
    /// The stock the model reaches in the calibration year with `g_hat`.
    pub achieved_calibration_stock: f64,
    /// The state in the calibration year that `g_hat` leads to.
    pub state_at_calibration: Cohorts,
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

/// The streams whose migrants remit to one origin group, and that group's two receipt
/// figures (`None`: the group's remittances are not modelled; its amount is 0).
#[derive(Debug, Clone, PartialEq)]
pub struct RemittanceGroup {
    pub streams: Vec<usize>,
    pub received: Option<(f64, f64)>,
}

#[derive(Debug, Clone)]
pub struct Calibration {
    /// One per stream (a region without `[origins]`).
    pub regions: Vec<RegionCalibration>,
    /// One per origin group (one without `[origins]`), MODEL.md sections 7 and 12.
    pub remittances: Vec<RemittanceCalibration>,
    /// `gbar` of MODEL.md section 6: with `arrivals.pooling = "world"` (revision 3) the
    /// growth calibrated for the world as one stream ([`world_growth`]); with `"arrivals"`
    /// (revision 2) the streams' growths weighted by their calibration-year trend arrivals
    /// ([`pooled_growth`]).
    pub pooled_growth: f64,
    /// `gbar_m` of MODEL.md section 7 (revision 3): the amount's growth calibrated for every
    /// modelled origin group together (their received figures and remitters summed); `None`
    /// when no group's remittances are modelled.
    pub pooled_remittance_growth: Option<f64>,
}

/// `gbar = sum_r w[r] g_hat[r] / sum_r w[r]`, `w[r] = I_base[r] exp(g_hat[r] years)`; with
/// no arrivals at all, the plain mean.
pub fn pooled_growth(regions: &[RegionCalibration], years: usize) -> f64 {
    let weights: Vec<f64> = regions
        .iter()
        .map(|r| r.arrivals_base * (r.arrival_growth * years as f64).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    if total > 0.0 && total.is_finite() {
        regions
            .iter()
            .zip(&weights)
            .map(|(r, w)| w * r.arrival_growth)
            .sum::<f64>()
            / total
    } else {
        regions.iter().map(|r| r.arrival_growth).sum::<f64>() / regions.len().max(1) as f64
    }
}

/// The world as one stream (MODEL.md section 6, revision 3): one region whose two stocks are
/// the sums over every stream, with the scenario's own rates and no per-region or per-origin
/// overrides: departure changes that name a region or origin are dropped, and the arrivals'
/// female share is the calibration-year stock-weighted mean of the streams' (exactly the
/// common share when every stream has the same). Arrival changes and pulses start no earlier
/// than the calibration year, so they do not touch the calibration; they are dropped too.
pub fn world_stream(engine: &Scenario) -> Scenario {
    let shares: Vec<f64> = engine
        .regions
        .iter()
        .map(|r| r.female_share.unwrap_or(engine.arrivals.female_share))
        .collect();
    let female_share = if shares.iter().all(|&f| f == shares[0]) {
        shares[0]
    } else {
        let weight: f64 = engine
            .regions
            .iter()
            .map(|r| r.stock_calibration_persons)
            .sum();
        engine
            .regions
            .iter()
            .zip(&shares)
            .map(|(r, f)| r.stock_calibration_persons * f)
            .sum::<f64>()
            / weight
    };
    let mut world = engine.clone();
    world.origins = Vec::new();
    world.areas = Vec::new();
    world.regions = vec![crate::scenario::Region {
        name: "World".into(),
        stock_base_persons: engine.regions.iter().map(|r| r.stock_base_persons).sum(),
        stock_calibration_persons: engine
            .regions
            .iter()
            .map(|r| r.stock_calibration_persons)
            .sum(),
        female_share: (female_share != engine.arrivals.female_share).then_some(female_share),
        observed: Vec::new(),
        stock_by_origin: Vec::new(),
        area: None,
    }];
    world
        .departure
        .changes
        .retain(|c| c.region.is_none() && c.origin.is_none());
    world.arrivals.changes.clear();
    world.arrivals.pulses.clear();
    world.spans.region_stock = engine.spans.region_stock.iter().take(1).cloned().collect();
    world
}

/// `gbar` of revision 3: `g_hat` of [`world_stream`], calibrated as section 7 calibrates a
/// region. With one stream, that stream's own `g_hat` (the same calibration).
pub fn world_growth(
    engine: &Scenario,
    regions: &[RegionCalibration],
) -> Result<f64, CalibrationError> {
    if regions.len() == 1 {
        return Ok(regions[0].arrival_growth);
    }
    // The same calibration as any region's (section 7), on the world stream's rates.
    let world = world_stream(engine);
    let region = &world.regions[0];
    calibrate_region(
        &Rates::new(&world),
        0,
        region.stock_base_persons,
        region.stock_calibration_persons,
    )
    .map(|c| c.arrival_growth)
    .map_err(|e| match e {
        CalibrationError::Unreachable {
            target,
            lowest,
            highest,
            ..
        } => CalibrationError::WorldUnreachable {
            target,
            lowest,
            highest,
        },
        other => other,
    })
}

/// Why a calibration failed, with what the user needs to fix it.
#[derive(Debug, Clone, PartialEq)]
pub enum CalibrationError {
    Unreachable {
        /// The region (of the scenario, not the stream).
        region: usize,
        /// The origin group, with `[origins]`.
        origin: Option<usize>,
        target: f64,
        lowest: f64,
        highest: f64,
    },
    /// The world as one stream (the common trend of `arrivals.pooling = "world"`) cannot
    /// reach the sum of the calibration-year stocks.
    WorldUnreachable {
        target: f64,
        lowest: f64,
        highest: f64,
    },
    NoRemitters {
        year: i32,
    },
    /// The two remittance figures imply a growth of the amount per remitter outside
    /// [`REMITTANCE_GROWTH_LIMIT`] per year.
    RemittanceGrowth {
        growth: f64,
    },
    /// The calibrated amount per remitter is beyond [`MAX_AMOUNT_PER_REMITTER`]: too few
    /// effective remitters for the remittances received.
    AmountPerRemitter {
        year: i32,
        amount: f64,
        remitters: f64,
    },
}

/// The largest calibrated amount sent per effective remitter accepted (US dollars a year):
/// beyond it the scenario has almost no remitters for what it says was received.
pub const MAX_AMOUNT_PER_REMITTER: f64 = 1e6;

/// The largest calibrated growth of the amount per remitter accepted, per year (as for
/// `remittances.growth`): beyond it the two figures are almost surely in different units.
pub const REMITTANCE_GROWTH_LIMIT: f64 = 0.5;

/// The unscaled seed `x_B`: B steps from an empty state with base-year rates, the arrivals of
/// step k being `exp(g k)`.
pub fn seed_state(rates: &Rates, region: usize, growth: f64) -> Cohorts {
    let dims = rates.dims;
    let mut state = dims.zeros();
    let mut next = dims.zeros();
    let step_rates = StepRates {
        death_probability: &rates.death_probability[0],
        departure_probability: &rates.departure_probability[0][region],
        arrival_shares: &rates.arrival_shares[region],
        propensity: &rates.propensity,
        remitting_ages: rates.remitting_ages,
    };
    for k in 0..SEED_STEPS {
        step_region(
            state.view(),
            next.view_mut(),
            step_rates,
            (growth * k as f64).exp(),
        );
        std::mem::swap(&mut state, &mut next);
    }
    state
}

/// The base-year state scaled to `stock_base` and the first year's arrivals, for growth g:
/// `c = S_base / sum(x_B)`, `N_base = c x_B`, `I_base = c exp(g B)`.
pub fn initial_state(rates: &Rates, region: usize, growth: f64, stock_base: f64) -> (Cohorts, f64) {
    let mut state = seed_state(rates, region, growth);
    let scale = stock_base / total(state.view());
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
        state.view(),
        &arrivals,
        |_| 1.0,
        |_, _, _, _| {},
    )
    .iter()
    .sum()
}

/// One cohort of arrivals followed through time: persons by `[sex * N_AGES + age]`, all at
/// one duration (a cohort's members share their years since arrival).
#[derive(Debug, Clone)]
struct Cohort {
    persons: Vec<f64>,
    duration: usize,
}

impl Cohort {
    fn arriving(shares: &[f64]) -> Self {
        Cohort {
            persons: shares.to_vec(),
            duration: 0,
        }
    }

    /// The step of MODEL.md section 5 applied to this cohort alone.
    fn step(
        &mut self,
        death_probability: &[f64],
        departure_probability: &[f64],
        max_duration: usize,
    ) {
        let h = departure_probability[self.duration];
        let mut next = vec![0.0; N_SEXES * N_AGES];
        for sex in 0..N_SEXES {
            for age in 0..N_AGES {
                let i = sex * N_AGES + age;
                let survivors = self.persons[i] * (1.0 - death_probability[i]);
                next[sex * N_AGES + (age + 1).min(MAX_AGE)] += survivors * (1.0 - h);
            }
        }
        self.persons = next;
        self.duration = (self.duration + 1).min(max_duration);
    }

    fn total(&self) -> f64 {
        self.persons.iter().sum()
    }
}

/// What the calibration-year stock is made of, per unit of arrivals. The model is linear in
/// arrivals, so the stock that growth g gives is a weighted sum of these totals:
/// `S_cal(g) = c sum_j exp(g (B-1-j)) u_j + sum_t I_t(g) v_t`, `c = S_base / sum_j exp(g (B-1-j)) s_j`.
struct CohortTotals {
    /// `s_j`: persons left of one seed arrival after `j` seeding steps.
    seed: Vec<f64>,
    /// `u_j`: the same cohort after the calibration period's steps as well.
    seed_at_calibration: Vec<f64>,
    /// `v_t`: persons left in the calibration year of one arrival in projection year `t`.
    arrivals_at_calibration: Vec<f64>,
}

impl CohortTotals {
    fn new(rates: &Rates, region: usize) -> Self {
        let cal = rates.calibration_index;
        let max_duration = rates.dims.max_duration;
        let shares = &rates.arrival_shares[region];
        let project = |mut cohort: Cohort, from: usize| {
            for t in from..cal {
                cohort.step(
                    &rates.death_probability[t],
                    &rates.departure_probability[t][region],
                    max_duration,
                );
            }
            cohort.total()
        };
        let mut seed = Vec::with_capacity(SEED_STEPS);
        let mut seed_at_calibration = Vec::with_capacity(SEED_STEPS);
        let mut cohort = Cohort::arriving(shares);
        for _ in 0..SEED_STEPS {
            seed.push(cohort.total());
            seed_at_calibration.push(project(cohort.clone(), 0));
            cohort.step(
                &rates.death_probability[0],
                &rates.departure_probability[0][region],
                max_duration,
            );
        }
        // Arrivals of year t join at the end of step t, then live through steps t+1..cal-1.
        let arrivals_at_calibration = (0..cal)
            .map(|t| project(Cohort::arriving(shares), t + 1))
            .collect();
        CohortTotals {
            seed,
            seed_at_calibration,
            arrivals_at_calibration,
        }
    }

    /// The calibration-year stock for arrival growth `g` (weights scaled by `exp(-g (B-1))`).
    fn calibration_stock(&self, rates: &Rates, region: usize, growth: f64, stock_base: f64) -> f64 {
        let weight = |j: usize| (-growth * j as f64).exp();
        let seeded: f64 = self
            .seed
            .iter()
            .enumerate()
            .map(|(j, s)| weight(j) * s)
            .sum();
        let scale = stock_base / seeded; // c exp(g (B-1))
        let survivors_of_seed: f64 = self
            .seed_at_calibration
            .iter()
            .enumerate()
            .map(|(j, u)| weight(j) * u)
            .sum();
        let survivors_of_arrivals: f64 = self
            .arrivals_at_calibration
            .iter()
            .enumerate()
            .map(|(t, v)| {
                let arrivals =
                    scale * (growth * (1 + t) as f64).exp() * rates.arrival_multiplier[t][region]
                        + rates.arrival_pulse[t][region];
                arrivals * v
            })
            .sum();
        scale * survivors_of_seed + survivors_of_arrivals
    }
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
    // An empty stream (no migrants in either year, MODEL.md section 12) stays empty: no state,
    // no arrivals; its growth (0) multiplies nothing.
    if stock_base == 0.0 && stock_target == 0.0 {
        let empty: Cohorts = rates.dims.zeros();
        return Ok(RegionCalibration {
            arrival_growth: 0.0,
            initial_state: empty.clone(),
            arrivals_base: 0.0,
            achieved_calibration_stock: 0.0,
            state_at_calibration: empty,
        });
    }
    // The search uses the cohort decomposition (exact by linearity, and cheap); the state and
    // the achieved stock are then computed by the full step.
    let totals = CohortTotals::new(rates, region);
    let relative_gap =
        |g: f64| totals.calibration_stock(rates, region, g, stock_base) / stock_target - 1.0;
    let (lo, hi) = GROWTH_BRACKET;
    let (f_lo, f_hi) = (relative_gap(lo), relative_gap(hi));
    let brackets_target = f_lo <= 0.0 && f_hi >= 0.0 && f_lo.is_finite() && f_hi.is_finite();
    if !brackets_target {
        return Err(CalibrationError::Unreachable {
            region,
            origin: None,
            target: stock_target,
            lowest: (f_lo + 1.0) * stock_target,
            highest: (f_hi + 1.0) * stock_target,
        });
    }
    let growth = brent(relative_gap, lo, hi, f_lo, f_hi, 1e-15);
    let (initial_state, arrivals_base) = initial_state(rates, region, growth, stock_base);
    let arrivals = arrivals_path(rates, region, arrivals_base, |_| growth);
    let state_at_calibration = project_region(
        rates,
        region,
        (0, rates.calibration_index),
        initial_state.view(),
        &arrivals,
        |_| 1.0,
        |_, _, _, _| {},
    );
    Ok(RegionCalibration {
        arrival_growth: growth,
        initial_state,
        arrivals_base,
        achieved_calibration_stock: total(state_at_calibration.view()),
        state_at_calibration,
    })
}

/// Calibrates every stream (in parallel), then the amount remitted per remitter of each
/// origin group (`groups`; one group of every stream without `[origins]`).
pub fn calibrate(
    scenario: &Scenario,
    rates: &Rates,
    groups: &[RemittanceGroup],
) -> Result<Calibration, CalibrationError> {
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
    calibrate_with(scenario, rates, groups, regions)
}

/// [`calibrate`] with every stream's own calibration already made (by [`calibrate_region`]
/// on the same rates and figures): the amounts per remitter and the common trends.
pub fn calibrate_with(
    scenario: &Scenario,
    rates: &Rates,
    groups: &[RemittanceGroup],
    regions: Vec<RegionCalibration>,
) -> Result<Calibration, CalibrationError> {
    let cal = rates.calibration_index;
    let mut remittances = Vec::with_capacity(groups.len());
    // Received figures and remitters summed over the modelled groups, for `gbar_m`.
    let mut pooled = (0.0, 0.0, 0.0, 0.0);
    for group in groups {
        let mut remitters_base = 0.0;
        let mut remitters_calibration = 0.0;
        for &s in &group.streams {
            let region = &regions[s];
            remitters_base += effective_remitters(
                region.initial_state.view(),
                rates.remitting_ages,
                &rates.propensity,
            );
            remitters_calibration += effective_remitters(
                region.state_at_calibration.view(),
                rates.remitting_ages,
                &rates.propensity,
            );
        }
        let (r_base, r_cal) = group.received.unwrap_or((0.0, 0.0));
        let calibration = if r_base == 0.0 && r_cal == 0.0 {
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
            for (amount, remitters, year) in [
                (amount_base, remitters_base, scenario.base_year),
                (amount_cal, remitters_calibration, scenario.calibration_year),
            ] {
                if !(amount.is_finite() && amount <= MAX_AMOUNT_PER_REMITTER) {
                    return Err(CalibrationError::AmountPerRemitter {
                        year,
                        amount,
                        remitters,
                    });
                }
            }
            let growth = (amount_cal / amount_base).ln() / cal as f64;
            if growth.is_nan() || growth.abs() > REMITTANCE_GROWTH_LIMIT {
                return Err(CalibrationError::RemittanceGrowth { growth });
            }
            pooled.0 += r_base;
            pooled.1 += r_cal;
            pooled.2 += remitters_base;
            pooled.3 += remitters_calibration;
            RemittanceCalibration {
                amount_base_usd: amount_base,
                amount_calibration_usd: amount_cal,
                growth,
                remitters_base,
                remitters_calibration,
            }
        };
        remittances.push(calibration);
    }
    // gbar_m: section 7's equations on the sums; with one modelled group, its own growth.
    let modelled: Vec<&RemittanceCalibration> = remittances
        .iter()
        .filter(|r| r.amount_base_usd > 0.0)
        .collect();
    let pooled_remittance_growth = match modelled.len() {
        0 => None,
        1 => Some(modelled[0].growth),
        _ => {
            let (r_base, r_cal, e_base, e_cal) = pooled;
            let amount_base = r_base / ((1.0 - rates.cost[0]) * e_base);
            let amount_cal = r_cal / ((1.0 - rates.cost[cal]) * e_cal);
            Some((amount_cal / amount_base).ln() / cal as f64)
        }
    };
    // With `arrivals.growth` a number, gbar is not used (every stream grows at that number).
    let pooled_growth = match (scenario.arrivals.pooling, scenario.arrivals.growth) {
        (Pooling::World, Growth::Calibrated) => world_growth(scenario, &regions)?,
        _ => pooled_growth(&regions, cal),
    };
    Ok(Calibration {
        regions,
        remittances,
        pooled_growth,
        pooled_remittance_growth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SourceFile;
    use crate::scenario::check_scenario_text;

    #[test]
    fn cohort_decomposition_equals_the_full_projection() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scenarios/regions.toml"
        ))
        .unwrap();
        let scenario = check_scenario_text(
            &SourceFile::new("regions.toml", text),
            std::path::Path::new("."),
        )
        .unwrap();
        let rates = Rates::new(&scenario);
        for region in [0, 4] {
            let totals = CohortTotals::new(&rates, region);
            for g in [-0.3, -0.01, 0.0, 0.02, 0.4] {
                let fast = totals.calibration_stock(&rates, region, g, 1e7);
                let full = calibration_stock(&rates, region, g, 1e7);
                assert!((fast / full - 1.0).abs() < 1e-12, "g {g}: {fast} vs {full}");
            }
        }
    }
}
