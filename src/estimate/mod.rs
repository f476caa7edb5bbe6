//! `migproj estimate` (MODEL.md section 13): the parameters of arrival growth and remittances
//! of sections 6 and 9, estimated from history by the method of simulated moments.
//!
//! The statistics are those of the history's own period growth rates
//! `rho[r,p] = ln(S[r,p+1] / S[r,p]) / length_p` (per panel, that is per history file):
//! - `world_sd`: the sample sd of the world's period growth;
//! - `region_spread`: the root mean square of `d[r,p] = rho[r,p] - rho_world[p]`;
//! - `persistence`: the pooled slope of `d[r,p+1]` on `d[r,p]` (mean reversion).
//!
//! The model simulates histories of the same panels: yearly arrival growth
//! `g[r,u] = mu + w[u] + x[r,u]`, the common `w` an AR(1) with persistence `phi` and shock sd
//! `world_shock_sd`, each region's `x` an AR(1) with persistence `phi` and shock sd
//! `region_shock_sd` (both started from their stationary distributions); the stock is the
//! arrivals of the past years followed through the model's own cohort survival
//! (`S_t = sum_d I_{t-1-d} K(d)`, where `K(d)` is what the yearly step of section 5 leaves of
//! one arrival after d years, with the rates of a scenario's base year: exact by linearity for
//! constant rates), scaled to each region's first observed stock. The simulated statistics
//! (mean over `simulations` histories, common random numbers) are matched to the observed ones
//! by Nelder-Mead on `(ln world_shock_sd, ln region_shock_sd, logit phi)`. The rest follows
//! from these or from the remittance history; see [`derived_world_growth_sd`] and
//! [`estimate_remittances`]. Standard errors come from a parametric bootstrap: new histories
//! (new regions' and periods' draws) simulated from the fitted model, each estimated again.

pub mod damping;
pub mod history;
pub mod optimize;
pub mod output;

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rayon::prelude::*;

use crate::model::rates::Rates;
use crate::model::step::{step_region, StepRates};
use crate::scenario::Scenario;
pub use history::{
    read_remittance_history, read_stock_history, read_stock_history_with, RemittanceHistory,
    StockPanel,
};

/// Years of cohort survival followed (the kernel is 0 to machine precision well before).
pub const KERNEL_YEARS: usize = 100;

/// The statistics of one panel's period growth rates.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PanelStatistics {
    pub world_sd: f64,
    pub region_spread: f64,
    pub persistence: f64,
}

impl PanelStatistics {
    fn add(&mut self, other: &PanelStatistics) {
        self.world_sd += other.world_sd;
        self.region_spread += other.region_spread;
        self.persistence += other.persistence;
    }

    fn scale(&mut self, factor: f64) {
        self.world_sd *= factor;
        self.region_spread *= factor;
        self.persistence *= factor;
    }
}

/// Period growth rates `ln(S[p+1] / S[p]) / (y[p+1] - y[p])`.
fn period_growth(years: &[i32], stock: &[f64]) -> Vec<f64> {
    (0..years.len() - 1)
        .map(|p| (stock[p + 1] / stock[p]).ln() / (years[p + 1] - years[p]) as f64)
        .collect()
}

/// The statistics of a panel (see the module documentation).
pub fn panel_statistics(years: &[i32], stocks: &[Vec<f64>], world: &[f64]) -> PanelStatistics {
    let world_growth = period_growth(years, world);
    let n = world_growth.len() as f64;
    let mean = world_growth.iter().sum::<f64>() / n;
    let world_sd = if world_growth.len() > 1 {
        (world_growth.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    let mut squares = 0.0;
    let mut count = 0.0;
    let (mut cross, mut lagged) = (0.0, 0.0);
    for stock in stocks {
        let d: Vec<f64> = period_growth(years, stock)
            .iter()
            .zip(&world_growth)
            .map(|(g, w)| g - w)
            .collect();
        squares += d.iter().map(|x| x * x).sum::<f64>();
        count += d.len() as f64;
        for p in 0..d.len().saturating_sub(1) {
            cross += d[p + 1] * d[p];
            lagged += d[p] * d[p];
        }
    }
    PanelStatistics {
        world_sd,
        region_spread: (squares / count).sqrt(),
        persistence: if lagged > 0.0 { cross / lagged } else { 0.0 },
    }
}

impl StockPanel {
    pub fn statistics(&self) -> PanelStatistics {
        panel_statistics(&self.years, &self.stocks, &self.world)
    }

    /// Observations behind each statistic: world periods - 1, region-periods, region pairs of
    /// consecutive periods.
    pub fn weights(&self) -> PanelStatistics {
        let periods = (self.years.len() - 1) as f64;
        let regions = self.regions.len() as f64;
        PanelStatistics {
            world_sd: periods - 1.0,
            region_spread: regions * periods,
            persistence: regions * (periods - 1.0),
        }
    }
}

/// `K(d)`, d = 0..KERNEL_YEARS: the share of one year's arrivals (with the scenario's first
/// region's age-sex schedule) still in the stock d years after they are first counted, under
/// the base-year death and departure probabilities; `K(0) = 1`.
pub fn cohort_kernel(scenario: &Scenario) -> Vec<f64> {
    let rates = Rates::new(scenario);
    let dims = rates.dims;
    let mut state = dims.zeros();
    let mut next = dims.zeros();
    // One arrival, distributed as the arrivals of the first region.
    let step_rates = StepRates {
        death_probability: &rates.death_probability[0],
        departure_probability: &rates.departure_probability[0][0],
        arrival_shares: &rates.arrival_shares[0],
        propensity: &rates.propensity,
        remitting_ages: rates.remitting_ages,
    };
    step_region(state.view(), next.view_mut(), step_rates, 1.0);
    std::mem::swap(&mut state, &mut next);
    let mut kernel = Vec::with_capacity(KERNEL_YEARS);
    for _ in 0..KERNEL_YEARS {
        kernel.push(state.iter().sum::<f64>());
        step_region(state.view(), next.view_mut(), step_rates, 0.0);
        std::mem::swap(&mut state, &mut next);
    }
    kernel
}

/// The three parameters matched to the stock statistics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GrowthParameters {
    pub world_shock_sd: f64,
    pub region_shock_sd: f64,
    /// Yearly persistence of a deviation: `trend_damping`, and also `world_ar1` and
    /// `region_ar1` (see docs/model.md, "Estimation").
    pub phi: f64,
}

impl GrowthParameters {
    fn from_theta(theta: &[f64]) -> Self {
        GrowthParameters {
            world_shock_sd: theta[0].exp(),
            region_shock_sd: theta[1].exp(),
            phi: 1.0 / (1.0 + (-theta[2]).exp()),
        }
    }
}

/// Standard normal draws for one simulated history of one panel: `world[i]` and
/// `regions[r][i]` for each simulated year i (index 0 starts the stationary AR(1)).
#[derive(Debug, Clone)]
struct Shocks {
    world: Vec<f64>,
    regions: Vec<Vec<f64>>,
}

fn simulated_years(panel: &StockPanel) -> usize {
    (panel.years[panel.years.len() - 1] - panel.years[0]) as usize + KERNEL_YEARS + 1
}

fn draw_shocks(panel: &StockPanel, rng: &mut ChaCha8Rng) -> Shocks {
    let n = simulated_years(panel);
    let mut normal = || -> f64 { rng.sample(StandardNormal) };
    let world = (0..n).map(|_| normal()).collect();
    let regions = (0..panel.regions.len())
        .map(|_| (0..n).map(|_| normal()).collect())
        .collect();
    Shocks { world, regions }
}

/// A stationary AR(1) path with persistence `phi` and shock sd `sd` from standard normals.
fn ar1_path(phi: f64, sd: f64, eps: &[f64], out: &mut [f64]) {
    out[0] = sd / (1.0 - phi * phi).sqrt() * eps[0];
    for i in 1..eps.len() {
        out[i] = phi * out[i - 1] + sd * eps[i];
    }
}

/// Simulates the stocks of a panel: `[r][p]` for each region and panel year, scaled to the
/// panel's first observed stocks, and the world as their sum.
fn simulate_stocks(
    params: &GrowthParameters,
    panel: &StockPanel,
    kernel: &[f64],
    mu: f64,
    shocks: &Shocks,
) -> (Vec<Vec<f64>>, Vec<f64>) {
    let n = simulated_years(panel);
    let y0 = panel.years[0];
    let mut w = vec![0.0; n];
    ar1_path(params.phi, params.world_shock_sd, &shocks.world, &mut w);
    let mut x = vec![0.0; n];
    let mut arrivals = vec![0.0; n];
    let mut stocks = Vec::with_capacity(panel.regions.len());
    for (r, eps) in shocks.regions.iter().enumerate() {
        ar1_path(params.phi, params.region_shock_sd, eps, &mut x);
        // ln I relative to the year before the first panel year, so nothing overflows.
        let origin = KERNEL_YEARS;
        let mut log_i = 0.0;
        arrivals[origin] = 1.0;
        for i in origin + 1..n {
            log_i += mu + w[i] + x[i];
            arrivals[i] = log_i.exp();
        }
        log_i = 0.0;
        for i in (0..origin).rev() {
            log_i -= mu + w[i + 1] + x[i + 1];
            arrivals[i] = log_i.exp();
        }
        // S_y = sum_d I_{y-1-d} K(d); simulated index of year u is u - (y0 - L - 1).
        let mut region: Vec<f64> = panel
            .years
            .iter()
            .map(|&y| {
                let top = (y - y0) as usize + KERNEL_YEARS;
                kernel
                    .iter()
                    .enumerate()
                    .map(|(d, k)| arrivals[top - d] * k)
                    .sum()
            })
            .collect();
        let scale = panel.stocks[r][0] / region[0];
        for s in &mut region {
            *s *= scale;
        }
        stocks.push(region);
    }
    let world = (0..panel.years.len())
        .map(|p| stocks.iter().map(|s| s[p]).sum())
        .collect();
    (stocks, world)
}

/// A history of `template`'s regions and years simulated from `params` (its first-year
/// stocks as given), with draws from the generator (seed, stream 0): for bootstraps and tests.
pub fn simulate_panel(
    params: &GrowthParameters,
    template: &StockPanel,
    kernel: &[f64],
    mu: f64,
    seed: u64,
) -> StockPanel {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let draws = draw_shocks(template, &mut rng);
    let (stocks, world) = simulate_stocks(params, template, kernel, mu, &draws);
    StockPanel {
        stocks,
        world,
        ..template.clone()
    }
}

/// Mean simulated statistics of a panel over its common random numbers.
fn simulated_statistics(
    params: &GrowthParameters,
    panel: &StockPanel,
    kernel: &[f64],
    mu: f64,
    shocks: &[Shocks],
) -> PanelStatistics {
    let mut mean = PanelStatistics::default();
    for s in shocks {
        let (stocks, world) = simulate_stocks(params, panel, kernel, mu, s);
        mean.add(&panel_statistics(&panel.years, &stocks, &world));
    }
    mean.scale(1.0 / shocks.len() as f64);
    mean
}

/// Settings of the estimate (the defaults are the documented command's).
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Simulated histories per panel (common random numbers).
    pub simulations: usize,
    /// Parametric bootstrap replicates for the standard errors.
    pub bootstrap: usize,
    pub seed: u64,
    /// Length of the calibration period in years (the calibrated trends are means over it).
    pub calibration_span: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            simulations: 100,
            bootstrap: 50,
            seed: 20030701,
            calibration_span: 10,
        }
    }
}

/// The fit of the stock statistics.
#[derive(Debug, Clone)]
pub struct GrowthFit {
    pub params: GrowthParameters,
    /// Observed and fitted statistics, per panel.
    pub observed: Vec<PanelStatistics>,
    pub fitted: Vec<PanelStatistics>,
    pub objective: f64,
    /// Mean world growth of the history (the level of the simulated histories).
    pub mu: f64,
}

/// Pooled mean world growth over every panel's span, weighted by years.
fn mean_world_growth(panels: &[StockPanel]) -> f64 {
    let mut total = 0.0;
    let mut years = 0.0;
    for p in panels {
        let span = (p.years[p.years.len() - 1] - p.years[0]) as f64;
        total += (p.world[p.world.len() - 1] / p.world[0]).ln();
        years += span;
    }
    total / years
}

fn fit_growth(
    panels: &[StockPanel],
    observed: &[PanelStatistics],
    kernel: &[f64],
    mu: f64,
    shocks: &[Vec<Shocks>],
) -> GrowthFit {
    // Scales: the pooled observed sds (relative errors); persistence on its own scale.
    let count = observed.len() as f64;
    let scale_world = (observed.iter().map(|o| o.world_sd).sum::<f64>() / count).max(1e-6);
    let scale_region = (observed.iter().map(|o| o.region_spread).sum::<f64>() / count).max(1e-6);
    let weights: Vec<PanelStatistics> = panels.iter().map(StockPanel::weights).collect();
    let objective = |theta: &[f64]| -> f64 {
        let params = GrowthParameters::from_theta(theta);
        let mut total = 0.0;
        for (i, panel) in panels.iter().enumerate() {
            let sim = simulated_statistics(&params, panel, kernel, mu, &shocks[i]);
            let (o, w) = (&observed[i], &weights[i]);
            total += w.world_sd * ((sim.world_sd - o.world_sd) / scale_world).powi(2)
                + w.region_spread * ((sim.region_spread - o.region_spread) / scale_region).powi(2)
                + w.persistence * ((sim.persistence - o.persistence) / 0.5).powi(2);
        }
        total
    };
    let start = [0.005f64.ln(), 0.005f64.ln(), (0.9f64 / 0.1).ln()];
    let (theta, value) = optimize::nelder_mead(&objective, &start, 0.7, 400, 1e-12);
    // A restart from the optimum guards against a collapsed simplex.
    let (theta, value) = {
        let (again, again_value) = optimize::nelder_mead(&objective, &theta, 0.3, 300, 1e-14);
        if again_value < value {
            (again, again_value)
        } else {
            (theta, value)
        }
    };
    let params = GrowthParameters::from_theta(&theta);
    let fitted = panels
        .iter()
        .enumerate()
        .map(|(i, panel)| simulated_statistics(&params, panel, kernel, mu, &shocks[i]))
        .collect();
    GrowthFit {
        params,
        observed: observed.to_vec(),
        fitted,
        objective: value,
        mu,
    }
}

/// `world_growth_sd`: the sd, under the fitted AR(1) `w`, of its mean over `span` years (the
/// calibrated trend is such a mean, so its distance from the long run has this sd).
pub fn derived_world_growth_sd(shock_sd: f64, phi: f64, span: usize) -> f64 {
    let n = span.max(1) as f64;
    let mut sum = n;
    for k in 1..span {
        sum += 2.0 * (n - k as f64) * phi.powi(k as i32);
    }
    let variance = shock_sd * shock_sd / (1.0 - phi * phi) * sum / (n * n);
    variance.sqrt()
}

/// The remittance terms from world receipts: yearly log growth `y_t = ln(R_{t+1} / R_t)`.
/// The model's amount per remitter is a random walk with drift in logs, so `y_t` is its drift
/// plus a shock (plus the slow growth of remitters, which the history's stocks show to be
/// nearly constant over a decade): `remittance_shock_sd` = the sample sd of `y`
/// (`remittance_sd_rel_se` = its se / sd); `remittance_growth_sd` = the sd of the mean growth over every
/// `span`-year window of the history (the calibrated growth is such a mean; measured, not
/// derived from the yearly sd, since yearly swings partly cancel within a decade), with a
/// standard error from the `n / span` windows that do not overlap. The lag-1
/// autocorrelation of `y` is reported as a check (the model assumes 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RemittanceFit {
    pub n: usize,
    pub mean_growth: f64,
    pub shock_sd: f64,
    pub shock_sd_se: f64,
    pub growth_sd: f64,
    pub growth_sd_se: f64,
    pub autocorrelation: f64,
    pub df: f64,
}

pub fn estimate_remittances(history: &RemittanceHistory, span: usize) -> RemittanceFit {
    let y: Vec<f64> = history.usd.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    let n = y.len() as f64;
    let mean = y.iter().sum::<f64>() / n;
    let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let (mut cross, mut squares) = (0.0, 0.0);
    for i in 0..y.len() {
        squares += (y[i] - mean).powi(2);
        if i + 1 < y.len() {
            cross += (y[i] - mean) * (y[i + 1] - mean);
        }
    }
    let df = n - 1.0;
    // The sd of a normal sample's sd: s / sqrt(2 df).
    let shock_sd_se = sd / (2.0 * df).sqrt();
    let span = span.clamp(1, y.len());
    let windows: Vec<f64> = y
        .windows(span)
        .map(|w| w.iter().sum::<f64>() / span as f64)
        .collect();
    let growth_sd = if windows.len() > 1 {
        standard_deviation(&windows)
    } else {
        sd / (span as f64).sqrt()
    };
    let independent = (y.len() as f64 / span as f64).max(1.0);
    RemittanceFit {
        n: y.len(),
        mean_growth: mean,
        shock_sd: sd,
        shock_sd_se,
        growth_sd,
        growth_sd_se: growth_sd / (2.0 * independent).sqrt(),
        autocorrelation: if squares > 0.0 { cross / squares } else { 0.0 },
        df,
    }
}

/// One estimated or assumed parameter, as the table and the TOML fragment give it.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// The scenario key, such as `uncertainty.world_shock_sd`.
    pub key: &'static str,
    pub value: f64,
    /// `None` for assumptions.
    pub standard_error: Option<f64>,
    /// `estimated`, `derived` or `assumption`.
    pub status: &'static str,
    /// What it matches or why it is set so.
    pub basis: String,
}

/// Everything `estimate` found.
#[derive(Debug, Clone)]
pub struct Estimate {
    pub panels: Vec<StockPanel>,
    pub fit: GrowthFit,
    pub remittances: Option<(RemittanceHistory, RemittanceFit)>,
    /// psi from receipts by receiving country, when given.
    pub damping: Option<(damping::CountryReceipts, damping::DampingFit)>,
    pub parameters: Vec<Parameter>,
    /// Bootstrap replicates that were used (some may fail to be finite and are dropped).
    pub bootstrap_used: usize,
    pub options: Options,
}

fn shocks_for(panels: &[StockPanel], options: &Options, stream_base: u64) -> Vec<Vec<Shocks>> {
    panels
        .iter()
        .enumerate()
        .map(|(i, panel)| {
            (0..options.simulations)
                .map(|s| {
                    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
                    rng.set_stream(stream_base + (i as u64) * 1_000_000 + s as u64);
                    draw_shocks(panel, &mut rng)
                })
                .collect()
        })
        .collect()
}

fn standard_deviation(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let mean = values.iter().sum::<f64>() / n;
    (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// The relative standard error `se / sd` of an sd estimate (MODEL.md section 9, revision 3),
/// to four significant digits, in 0..=10: 0 when the sd is 0 (nothing to widen) or its se is
/// not finite.
pub fn relative_standard_error(sd: f64, se: f64) -> f64 {
    let sd = significant(sd);
    if sd == 0.0 || !se.is_finite() || se <= 0.0 {
        return 0.0;
    }
    significant(se / sd).min(10.0)
}

/// Degrees of freedom of an sd estimate from its standard error: for a chi-square variance
/// estimate, `se(s) = s / sqrt(2 df)`, so `df = s^2 / (2 se^2)`; rounded to 0.1, in 1..=1000.
pub fn degrees_of_freedom(sd: f64, se: f64) -> f64 {
    if significant(sd) == 0.0 {
        // An sd of 0 has nothing to widen: the df is moot; 0 says "taken as known".
        return 0.0;
    }
    if se.is_nan() || se <= 0.0 {
        return 1000.0;
    }
    ((sd * sd / (2.0 * se * se) * 10.0).round() / 10.0).clamp(1.0, 1000.0)
}

/// Four significant digits: what the fragment and the defaults state.
pub fn significant(x: f64) -> f64 {
    if x.abs() < 1e-8 || !x.is_finite() {
        // Below any meaningful rate (an estimate on its bound of 0).
        return if x.is_finite() { 0.0 } else { x };
    }
    let digits = 3 - x.abs().log10().floor() as i32;
    let factor = 10f64.powi(digits);
    (x * factor).round() / factor
}

impl Estimate {
    /// Adds `remittances.growth_damping` (psi) estimated from receipts by receiving country
    /// (MODEL.md section 13, revision 3; see [`damping`]).
    pub fn with_damping(mut self, receipts: damping::CountryReceipts) -> Self {
        let fit = damping::estimate_damping(&receipts, 500, self.options.seed);
        self.parameters.push(Parameter {
            key: "remittances.growth_damping",
            value: significant(fit.psi),
            standard_error: Some(fit.standard_error),
            status: "estimated",
            basis: format!(
                "persistence of a receiving country's deviation of decade receipt growth from its panel's: weighted slope {} over {} country pairs of decades ({} countries; unweighted {})",
                significant(fit.slope),
                fit.pairs,
                fit.countries,
                significant(fit.unweighted_slope)
            ),
        });
        self.damping = Some((receipts, fit));
        self
    }
}

/// Runs the whole estimate.
pub fn estimate(
    panels: Vec<StockPanel>,
    remittances: Option<RemittanceHistory>,
    kernel: &[f64],
    options: Options,
    progress: &(dyn Fn() + Sync),
) -> Estimate {
    let mu = mean_world_growth(&panels);
    let observed: Vec<PanelStatistics> = panels.iter().map(StockPanel::statistics).collect();
    let shocks = shocks_for(&panels, &options, 0);
    let fit = fit_growth(&panels, &observed, kernel, mu, &shocks);
    progress();

    // Parametric bootstrap: histories simulated from the fit, estimated again.
    let replicates: Vec<GrowthParameters> = (0..options.bootstrap)
        .into_par_iter()
        .filter_map(|b| {
            let fake: Vec<StockPanel> = panels
                .iter()
                .enumerate()
                .map(|(i, panel)| {
                    let seed =
                        (options.seed ^ 0xb007_5742).wrapping_add((b as u64) * 1000 + i as u64);
                    simulate_panel(&fit.params, panel, kernel, mu, seed)
                })
                .collect();
            let observed: Vec<PanelStatistics> = fake.iter().map(StockPanel::statistics).collect();
            let refit = fit_growth(&fake, &observed, kernel, mu, &shocks);
            progress();
            let p = refit.params;
            (p.world_shock_sd.is_finite() && p.region_shock_sd.is_finite() && p.phi.is_finite())
                .then_some(p)
        })
        .collect();
    let se = |pick: fn(&GrowthParameters) -> f64| -> f64 {
        standard_deviation(&replicates.iter().map(pick).collect::<Vec<_>>())
    };
    let span = options.calibration_span;
    let world_sd_se = se(|p| p.world_shock_sd);
    let region_sd_se = se(|p| p.region_shock_sd);
    let phi_se = se(|p| p.phi);
    let growth_sd_replicates: Vec<f64> = replicates
        .iter()
        .map(|p| derived_world_growth_sd(p.world_shock_sd, p.phi, span))
        .collect();
    let p = fit.params;
    let periods: usize = panels.iter().map(|p| p.years.len() - 1).sum();
    let n_panels = panels.len();
    let mut parameters = vec![
        Parameter {
            key: "arrivals.trend_damping",
            value: significant(p.phi),
            standard_error: Some(phi_se),
            status: "estimated",
            basis: "persistence of a region's deviation from the world's period growth".into(),
        },
        Parameter {
            key: "uncertainty.world_growth_sd",
            value: significant(derived_world_growth_sd(p.world_shock_sd, p.phi, span)),
            standard_error: Some(standard_deviation(&growth_sd_replicates)),
            status: "derived",
            basis: format!("sd of a {span}-year mean of the common AR(1) deviation (the calibrated trend is such a mean)"),
        },
        Parameter {
            key: "uncertainty.world_ar1",
            value: significant(p.phi),
            standard_error: None,
            status: "assumption",
            basis: format!("not identified ({periods} world periods in {n_panels} panel(s)): set to the regions' persistence"),
        },
        Parameter {
            key: "uncertainty.world_shock_sd",
            value: significant(p.world_shock_sd),
            standard_error: Some(world_sd_se),
            status: "estimated",
            basis: "sd of the world's period growth".into(),
        },
        Parameter {
            key: "uncertainty.region_ar1",
            value: significant(p.phi),
            standard_error: Some(phi_se),
            status: "estimated",
            basis: "one AR(1) for a region's deviation: its persistence is the trend damping".into(),
        },
        Parameter {
            key: "uncertainty.region_shock_sd",
            value: significant(p.region_shock_sd),
            standard_error: Some(region_sd_se),
            status: "estimated",
            basis: "spread of the regions' period growth around the world's".into(),
        },
        Parameter {
            key: "uncertainty.world_sd_rel_se",
            value: relative_standard_error(p.world_shock_sd, world_sd_se),
            standard_error: None,
            status: "derived",
            basis: "se / estimate of world_shock_sd (0 when the sd is 0: nothing to widen)".into(),
        },
        Parameter {
            key: "uncertainty.region_sd_rel_se",
            value: relative_standard_error(p.region_shock_sd, region_sd_se),
            standard_error: None,
            status: "derived",
            basis: "se / estimate of region_shock_sd".into(),
        },
        Parameter {
            key: "uncertainty.departure_sd",
            value: crate::scenario::defaults::DEPARTURE_SD,
            standard_error: None,
            status: "assumption",
            basis: "not identified: stocks alone cannot tell fewer departures from more arrivals".into(),
        },
        Parameter {
            key: "uncertainty.departure_ramp",
            value: crate::scenario::defaults::DEPARTURE_RAMP,
            standard_error: None,
            status: "assumption",
            basis: "not identified: a departure policy takes about a decade to change a region's average".into(),
        },
    ];
    let remittances = remittances.map(|history| {
        let r = estimate_remittances(&history, span);
        parameters.push(Parameter {
            key: "uncertainty.remittance_growth_sd",
            value: significant(r.growth_sd),
            standard_error: Some(r.growth_sd_se),
            status: "estimated",
            basis: format!("sd of the mean log growth of receipts over every {span}-year window"),
        });
        parameters.push(Parameter {
            key: "uncertainty.remittance_shock_sd",
            value: significant(r.shock_sd),
            standard_error: Some(r.shock_sd_se),
            status: "estimated",
            basis: format!("sd of the yearly log growth of receipts, {} years", r.n),
        });
        parameters.push(Parameter {
            key: "uncertainty.remittance_sd_rel_se",
            value: relative_standard_error(r.shock_sd, r.shock_sd_se),
            standard_error: None,
            status: "derived",
            basis: "se / estimate of remittance_shock_sd".into(),
        });
        (history, r)
    });
    Estimate {
        panels,
        fit,
        remittances,
        damping: None,
        parameters,
        bootstrap_used: replicates.len(),
        options,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_of_a_hand_worked_panel() {
        // World doubles, then stays; region A grows as the world plus ln(1.1)/10 then minus.
        let years = [0, 10, 20];
        let world = [100.0, 200.0, 200.0];
        let a = [50.0, 110.0, 100.0];
        let stats = panel_statistics(&years, &[a.to_vec()], &world);
        let g = [2f64.ln() / 10.0, 0.0];
        let mean = (g[0] + g[1]) / 2.0;
        let sd = (((g[0] - mean).powi(2) + (g[1] - mean).powi(2)) / 1.0).sqrt();
        assert!((stats.world_sd - sd).abs() < 1e-15);
        let d = [
            (110f64 / 50.0).ln() / 10.0 - g[0],
            (100f64 / 110.0).ln() / 10.0 - g[1],
        ];
        assert!((stats.region_spread - ((d[0] * d[0] + d[1] * d[1]) / 2.0).sqrt()).abs() < 1e-15);
        assert!((stats.persistence - d[1] / d[0]).abs() < 1e-12);
    }

    #[test]
    fn mean_of_an_ar1_has_the_textbook_variance() {
        // phi = 0: the mean of n independent shocks has sd sd / sqrt(n).
        assert!((derived_world_growth_sd(0.02, 0.0, 4) - 0.01).abs() < 1e-15);
        // n = 1: the stationary sd.
        let stationary = 0.01 / (1.0 - 0.25f64).sqrt();
        assert!((derived_world_growth_sd(0.01, 0.5, 1) - stationary).abs() < 1e-15);
    }

    #[test]
    fn significant_keeps_four_digits() {
        assert_eq!(significant(0.0123456), 0.01235);
        assert_eq!(significant(12.3456), 12.35);
        assert_eq!(degrees_of_freedom(0.01, 0.001), 50.0);
    }
}
