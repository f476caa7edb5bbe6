//! Plausibility warnings (issue 9): figures a demographer would question before putting them
//! in a report. They are warnings, not errors: the projection is what the assumptions imply,
//! and the user decides. Thresholds come from `[warnings]` (see [`WarningThresholds`]); each
//! check reports the first year it is crossed, per region.
//!
//! - share: the median or 97.5% bound of the world's migrants as a share of world population
//!   above `share_of_world` (default 10%; it was 2.9% in 2000, 3.6% in 2020);
//! - growth: a region's median stock more than `stock_growth` times (default 4) its stock in
//!   the calibration year;
//! - decline: a region's median stock below `stock_decline` (default a quarter) of it;
//! - band: the 95% interval of the world stock or world remittances received spanning more
//!   than a factor `band_ratio` (default 10): a fan that wide says little.
//!
//! - amount per remitter: the calibrated amount sent per effective remitter above US$ 20,000 a
//!   year (errors above US$ 1,000,000: see `calibrate::MAX_AMOUNT_PER_REMITTER`).
//!
//! Without a Monte Carlo, the deterministic run stands in for the median.

use crate::error::Result;
use crate::output::number;
use crate::output::tables::CsvBuffer;
use crate::scenario::Scenario;
use crate::simulate::monte_carlo::Summaries;
use crate::simulate::{entity_names, DeterministicRun};

/// One warning: what crossed which bound, where and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub check: &'static str,
    pub region: String,
    /// The origin group of the figure (`All` for every origin).
    pub origin: String,
    pub year: i32,
    /// The figure, in words: "median stock", "97.5% bound of the share of world population".
    pub figure: String,
    pub value: f64,
    pub bound: f64,
    pub message: String,
}

/// A calibrated amount per remitter above this (US dollars a year) is questioned: in 2000 it
/// was about 1,400 (IMS, WDI), and surveys put a remitting migrant's transfers at a few
/// thousand dollars a year.
const AMOUNT_PER_REMITTER: f64 = 20_000.0;

/// Below this share of world population, regions summed as "World" hardly cover the world
/// (UN DESA's estimates: 2.2% in 1970, the lowest since 1960; 2.9% in 1990).
const WORLD_SHARE_FLOOR: f64 = 0.015;

/// Regions summed as "World" that hold less than this fraction of the world's migrants of the
/// base year are questioned.
const COVERAGE: f64 = 0.85;

/// The world's international migrants by year (data/history: World Bank GBMD for 1960-1980,
/// UN DESA IMS 2020 for 1990-2000).
const WORLD_MIGRANTS: [(i32, f64, &str); 6] = [
    (
        1960,
        93_067_709.0,
        "World Bank, Global Bilateral Migration Database",
    ),
    (
        1970,
        105_785_865.0,
        "World Bank, Global Bilateral Migration Database",
    ),
    (
        1980,
        120_174_332.0,
        "World Bank, Global Bilateral Migration Database",
    ),
    (
        1990,
        152_986_157.0,
        "UN DESA, International Migrant Stock 2020",
    ),
    (
        1995,
        161_289_976.0,
        "UN DESA, International Migrant Stock 2020",
    ),
    (
        2000,
        173_230_585.0,
        "UN DESA, International Migrant Stock 2020",
    ),
];

const STOCK: usize = 0;
const RECEIVED: usize = 5;
const SHARE: usize = 7;

/// The quantiles used: `(median, p2.5, p97.5)` of an entity's variable in year index t.
fn quantiles(
    run: &DeterministicRun,
    mc: Option<&Summaries>,
    entity: usize,
    variable: usize,
    t: usize,
) -> (f64, Option<(f64, f64)>) {
    match mc {
        Some(mc) => {
            let (_, q) = mc.get(entity, variable, t);
            (q[3], Some((q[0], q[6])))
        }
        None => (run.derived[entity][variable][t], None),
    }
}

fn per_cent(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// A value and the bound it passes, in per cent, with enough decimals to tell them apart
/// (issue 22 item 16: "reaches 10.0% (above 10.0%)").
fn per_cent_pair(value: f64, bound: f64) -> (String, String) {
    for decimals in 1..=6 {
        let (v, b) = (
            format!("{:.decimals$}%", 100.0 * value),
            format!("{:.decimals$}%", 100.0 * bound),
        );
        if v != b {
            return (v, b);
        }
    }
    (per_cent(value), per_cent(bound))
}

/// Every warning of a run (the Monte Carlo's quantiles when there is one).
pub fn warnings(
    scenario: &Scenario,
    run: &DeterministicRun,
    mc: Option<&Summaries>,
) -> Vec<Warning> {
    let limits = scenario.warnings;
    let names = entity_names(scenario);
    let world = names.len() - 1;
    let cal = run.rates.calibration_index;
    let n_years = run.rates.n_years;
    let year = |t: usize| run.rates.year(t);
    let what = if mc.is_some() { "median" } else { "projected" };
    let mut out = Vec::new();

    // The calibrated amount per remitter: beyond a migrant's plausible savings.
    for (o, rem) in run.calibration.remittances.iter().enumerate() {
        for (amount, t) in [(rem.amount_base_usd, 0), (rem.amount_calibration_usd, cal)] {
            if amount > AMOUNT_PER_REMITTER {
                let group = scenario
                    .origins
                    .get(o)
                    .map(|g| format!(" ({g})"))
                    .unwrap_or_default();
                out.push(Warning {
                    check: "amount_per_remitter",
                    region: names[world].clone(),
                    origin: scenario
                        .origins
                        .get(o)
                        .cloned()
                        .unwrap_or_else(|| crate::scenario::ALL_ORIGINS.to_string()),
                    year: year(t),
                    figure: format!("calibrated amount sent per remitter{group}"),
                    value: amount,
                    bound: AMOUNT_PER_REMITTER,
                    message: format!(
                        "each effective remitter{group} sends {} US dollars a year in {} (above {}): few migrants remit for what was received; check `remittances.propensity` and `remittances.age_range`",
                        crate::output::tables::grouped(amount),
                        year(t),
                        crate::output::tables::grouped(AMOUNT_PER_REMITTER)
                    ),
                });
            }
        }
    }

    // Regions that call their sum World but hold far fewer migrants than the world has
    // (issue 22 item 4): against the world's count of the base year where one is known, else
    // against the lowest share of world population since 1960.
    if scenario.regions.len() > 1 && scenario.total == crate::scenario::DEFAULT_TOTAL {
        let stock = run.derived[world][STOCK][0];
        let share = run.derived[world][SHARE][0];
        let known = WORLD_MIGRANTS
            .iter()
            .find(|(y, _, _)| *y == scenario.base_year);
        let short = match known {
            Some((_, count, source)) if stock < COVERAGE * count => Some((
                "stock / the world's migrants in the base year",
                stock / count,
                COVERAGE,
                format!(
                    "the regions hold {:.1} million migrants in {}, {} of the world's {:.1} million ({source})",
                    stock / 1e6,
                    scenario.base_year,
                    per_cent(stock / count),
                    count / 1e6
                ),
            )),
            None if share.is_finite() && share < WORLD_SHARE_FLOOR => Some((
                "share of world population in the base year",
                share,
                WORLD_SHARE_FLOOR,
                format!(
                    "the regions' migrants are {} of the world's population in {}, where the world's have been 2.2% or more since 1960 (UN DESA)",
                    per_cent(share),
                    scenario.base_year
                ),
            )),
            _ => None,
        };
        if let Some((figure, value, bound, said)) = short {
            out.push(Warning {
                check: "coverage",
                region: names[world].clone(),
                origin: crate::scenario::ALL_ORIGINS.to_string(),
                year: year(0),
                figure: figure.into(),
                value,
                bound,
                message: format!(
                    "{said}: if the regions do not cover the world, name their sum with `scenario.total` (every output calls it World)"
                ),
            });
        }
    }

    // Share of world population: median and 97.5% bound.
    for t in cal..n_years {
        let (median, band) = quantiles(run, mc, world, SHARE, t);
        let (figure, value) = if median > limits.share_of_world {
            (format!("{what} share of world population"), median)
        } else if let Some((_, upper)) = band.filter(|(_, u)| *u > limits.share_of_world) {
            (
                "97.5% bound of the share of world population".to_string(),
                upper,
            )
        } else {
            continue;
        };
        out.push(Warning {
            check: "share",
            region: names[world].clone(),
            origin: crate::scenario::ALL_ORIGINS.to_string(),
            year: year(t),
            message: format!(
                "the {figure} of migrants reaches {} in {} (above {}; it was 2.9% in 2000): check arrivals and world population",
                per_cent_pair(value, limits.share_of_world).0,
                year(t),
                per_cent_pair(value, limits.share_of_world).1
            ),
            figure,
            value,
            bound: limits.share_of_world,
        });
        break;
    }

    // A region's median stock against its calibration-year stock.
    for (entity, name) in names.iter().enumerate() {
        let base = run.derived[entity][STOCK][cal];
        if base <= 0.0 {
            continue;
        }
        let mut grew = false;
        let mut fell = false;
        for t in cal + 1..n_years {
            let (median, _) = quantiles(run, mc, entity, STOCK, t);
            let factor = median / base;
            if !grew && factor > limits.stock_growth {
                grew = true;
                out.push(Warning {
                    check: "growth",
                    region: name.clone(),
                    origin: crate::scenario::ALL_ORIGINS.to_string(),
                    year: year(t),
                    figure: format!("{what} stock / stock in {}", scenario.calibration_year),
                    value: factor,
                    bound: limits.stock_growth,
                    message: format!(
                        "the {what} stock of {name} is {factor:.1} times its {} figure by {} (above {}): an unusual trend continued for long; consider `arrivals.trend_damping` or a shorter horizon",
                        scenario.calibration_year,
                        year(t),
                        limits.stock_growth
                    ),
                });
            }
            if !fell && factor < limits.stock_decline {
                fell = true;
                out.push(Warning {
                    check: "decline",
                    region: name.clone(),
                    origin: crate::scenario::ALL_ORIGINS.to_string(),
                    year: year(t),
                    figure: format!("{what} stock / stock in {}", scenario.calibration_year),
                    value: factor,
                    bound: limits.stock_decline,
                    message: format!(
                        "the {what} stock of {name} falls to {} of its {} figure by {} (below {})",
                        per_cent(factor),
                        scenario.calibration_year,
                        year(t),
                        per_cent(limits.stock_decline)
                    ),
                });
            }
        }
    }

    // Width of the world fans.
    if mc.is_some() {
        for (variable, words) in [(STOCK, "stock"), (RECEIVED, "remittances received")] {
            for t in cal..n_years {
                let (_, band) = quantiles(run, mc, world, variable, t);
                let Some((lower, upper)) = band else { break };
                if lower > 0.0 && upper / lower > limits.band_ratio {
                    out.push(Warning {
                        check: "band",
                        region: names[world].clone(),
                        origin: crate::scenario::ALL_ORIGINS.to_string(),
                        year: year(t),
                        figure: format!("97.5% / 2.5% bound of {words}"),
                        value: upper / lower,
                        bound: limits.band_ratio,
                        message: format!(
                            "the 95% interval of {} {words} spans a factor {:.1} by {} ({} to {}; above {}): figures that far out say little",
                            names[world],
                            upper / lower,
                            year(t),
                            number(lower.round()),
                            number(upper.round()),
                            limits.band_ratio
                        ),
                    });
                    break;
                }
            }
        }
    }
    out
}

/// warnings.csv: check, region, origin, level, year, figure, value, bound, message (with the
/// scenario and data revision of every run table).
pub fn warnings_csv(scenario: &Scenario, warnings: &[Warning]) -> Result<Vec<u8>> {
    let header = [
        "check", "region", "origin", "level", "year", "figure", "value", "bound", "message",
    ];
    let mut csv = CsvBuffer::for_run("warnings.csv", scenario, &header)?;
    for w in warnings {
        csv.row(&[
            w.check.to_string(),
            w.region.clone(),
            w.origin.clone(),
            crate::output::tables::level_of_region(scenario, &w.region, &w.origin).to_string(),
            w.year.to_string(),
            w.figure.clone(),
            number((w.value * 1e6).round() / 1e6),
            number(w.bound),
            w.message.clone(),
        ])?;
    }
    csv.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_and_its_bound_are_told_apart() {
        assert_eq!(
            per_cent_pair(0.10004, 0.10),
            ("10.004%".to_string(), "10.000%".to_string())
        );
        assert_eq!(
            per_cent_pair(0.125, 0.10),
            ("12.5%".to_string(), "10.0%".to_string())
        );
    }
}
