//! `migproj backtest` (MODEL.md section 13, revision 3): how good the fans were, from history
//! alone, with nothing after 2000. For each stock history (areas, countries) and each window
//! (calibrate on 1970 and 1980, or on 1980 and 1990): estimate the parameters of sections 6
//! and 9 from the figures up to the calibration year only (`--until`), build a scenario of
//! the history's regions calibrated to their two figures, project it to the history's last
//! year with both poolings of section 6, and score the stocks of every later census year,
//! per region and for the World (coverage of the 50/80/95% intervals, interval scores, the
//! median's error).

use std::path::Path;

use crate::calibrate::CalibrationError;
use crate::error::{Error, Result, SourceFile};
use crate::estimate::{self, read_stock_history_with, StockPanel};
use crate::hindcast::{score, summarize, Observation, Quantiles, Score};
use crate::scenario::check_scenario_text;
use crate::simulate::monte_carlo::run_monte_carlo;
use crate::simulate::run_deterministic;

/// World population (UN DESA, World Population Prospects 2024, medium estimates, rounded to
/// 10 million for 1960-1980; 1990 and 2000 as in the shipped scenarios). Only the share of
/// world population and the bound of section 9 use it; stocks do not.
pub const WORLD_POPULATION: [(i32, f64); 5] = [
    (1960, 3.02e9),
    (1970, 3.70e9),
    (1980, 4.45e9),
    (1990, 5327804908.0),
    (2000, 6171704705.0),
];

/// Settings of a backtest.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub trajectories: usize,
    pub seed: u64,
    /// Of the estimate (simulated histories per panel, bootstrap replicates).
    pub simulations: usize,
    pub bootstrap: usize,
    /// Regions with a stock below this in either calibration year are left out.
    pub min_stock: f64,
}

/// One scored combination.
#[derive(Debug, Clone)]
pub struct Row {
    pub history: String,
    pub base_year: i32,
    pub calibration_year: i32,
    pub pooling: &'static str,
    /// `world` or `region`.
    pub level: &'static str,
    pub regions: usize,
    pub score: Score,
    /// The estimated `trend_damping` and `region_shock_sd` the projection used.
    pub phi: f64,
    pub region_shock_sd: f64,
}

/// What a history's window left out, in words.
#[derive(Debug, Clone)]
pub struct Note {
    pub history: String,
    pub base_year: i32,
    pub calibration_year: i32,
    pub text: String,
}

/// The scenario of one window: every region of the history above `min_stock` in both
/// calibration years, the estimate's parameters, the pooling.
fn scenario_text(
    panel: &StockPanel,
    regions: &[usize],
    (base, cal, end): (i32, i32, i32),
    parameters: &[estimate::Parameter],
    pooling: &str,
    settings: &Settings,
) -> String {
    let index = |year: i32| panel.years.iter().position(|&y| y == year).unwrap();
    let (b, c) = (index(base), index(cal));
    let population: Vec<String> = WORLD_POPULATION
        .iter()
        .map(|(y, p)| format!("{y} = {p}"))
        .collect();
    let mut text = format!(
        "[scenario]\nname = \"backtest\"\ntitle = \"Backtest {base}-{cal} to {end}\"\n\
         base_year = {base}\ncalibration_year = {cal}\nend_year = {end}\n\
         data_revision = \"{}\"\n\n\
         [world_population]\npoints = {{ {} }}\n\n\
         # Remittances do not enter the stocks, which alone are scored: a placeholder.\n\
         [remittances]\nreceived = {{ {base} = 1e9, {cal} = 1e9 }}\n\n",
        panel.name,
        population.join(", ")
    );
    let mut sections: Vec<(&str, Vec<String>)> = vec![
        ("arrivals", vec![format!("pooling = \"{pooling}\"")]),
        (
            "uncertainty",
            vec![
                format!("trajectories = {}", settings.trajectories),
                format!("seed = {}", settings.seed),
            ],
        ),
    ];
    for p in parameters {
        let (table, key) = p.key.split_once('.').unwrap_or(("", p.key));
        if let Some((_, lines)) = sections.iter_mut().find(|(t, _)| *t == table) {
            lines.push(format!("{key} = {:?}", p.value));
        }
    }
    for (table, lines) in sections {
        text += &format!("[{table}]\n{}\n\n", lines.join("\n"));
    }
    for &r in regions {
        text += &format!(
            "[[region]]\nname = {:?}\nstock = {{ {base} = {}, {cal} = {} }}\n\n",
            panel.regions[r], panel.stocks[r][b], panel.stocks[r][c]
        );
    }
    text
}

/// Backtests one history file; `progress` is told what runs.
pub fn backtest(
    file: &SourceFile,
    windows: &[(i32, i32)],
    settings: &Settings,
    progress: &dyn Fn(&str),
) -> Result<(Vec<Row>, Vec<Note>)> {
    let full = read_stock_history_with(file, 3000, true)?;
    let end = *full.years.last().expect("a panel has years");
    // The cohort survival of the simulated histories: the same for every window.
    let scenario_template = check_scenario_text(
        &SourceFile::new(
            "template.toml",
            crate::scenario::template::template("backtest-kernel"),
        ),
        Path::new("."),
    )
    .map_err(|_| Error::Environment("the built-in template does not check".into()))?;
    let kernel = estimate::cohort_kernel(&scenario_template);
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for &(base, cal) in windows {
        if !(full.years.contains(&base) && full.years.contains(&cal) && cal < end) {
            return Err(Error::InputPlain(format!(
                "error: {}: the window {base}-{cal} needs figures in {base} and {cal} and a later year to score; the history has {:?}",
                file.path.display(),
                full.years
            )));
        }
        // Parameters from the figures up to the calibration year only.
        let known = read_stock_history_with(file, cal, true)?;
        progress(&format!("{}: estimate up to {cal}", full.name));
        let options = estimate::Options {
            simulations: settings.simulations,
            bootstrap: settings.bootstrap,
            seed: settings.seed,
            ..Default::default()
        };
        let fit = estimate::estimate(vec![known], None, &kernel, options, &|| {});
        let value = |key: &str| {
            fit.parameters
                .iter()
                .find(|p| p.key == key)
                .map_or(0.0, |p| p.value)
        };
        let (b, c) = (
            full.years.iter().position(|&y| y == base).unwrap(),
            full.years.iter().position(|&y| y == cal).unwrap(),
        );
        let mut regions: Vec<usize> = (0..full.regions.len())
            .filter(|&r| {
                full.stocks[r][b] >= settings.min_stock && full.stocks[r][c] >= settings.min_stock
            })
            .collect();
        let small = full.regions.len() - regions.len();
        let mut uncalibrated: Vec<String> = Vec::new();
        for pooling in ["world", "arrivals"] {
            progress(&format!("{}: {base}-{cal}, pooling {pooling}", full.name));
            // Regions whose two figures no arrival growth reaches are left out (listed).
            let (scenario, run) = loop {
                let text = scenario_text(
                    &full,
                    &regions,
                    (base, cal, end),
                    &fit.parameters,
                    pooling,
                    settings,
                );
                let scenario =
                    check_scenario_text(&SourceFile::new("backtest.toml", text), Path::new("."))
                        .map_err(|d| {
                            Error::Environment(format!(
                                "the backtest scenario does not check ({} problems): {}",
                                d.len(),
                                d.first().map(|d| d.message.clone()).unwrap_or_default()
                            ))
                        })?;
                match run_deterministic(&scenario) {
                    Ok(run) => break (scenario, run),
                    Err(CalibrationError::Unreachable { region, .. }) if regions.len() > 1 => {
                        uncalibrated.push(full.regions[regions[region]].clone());
                        regions.remove(region);
                    }
                    Err(other) => {
                        return Err(Error::InputPlain(format!(
                            "error: {}: the {base}-{cal} scenario does not calibrate: {other:?}",
                            file.path.display()
                        )))
                    }
                }
            };
            let mc = run_monte_carlo(&run, &scenario.uncertainty, &|| {}).summaries()?;
            let later: Vec<(usize, i32)> = full
                .years
                .iter()
                .enumerate()
                .filter(|(_, &y)| y > cal)
                .map(|(p, &y)| (p, y))
                .collect();
            let mut observations = Vec::new();
            for &(p, year) in &later {
                for (i, &r) in regions.iter().enumerate() {
                    observations.push((
                        i,
                        Observation {
                            region: full.regions[r].clone(),
                            year,
                            variable: "stock".into(),
                            value: full.stocks[r][p],
                            source: full.name.clone(),
                        },
                    ));
                }
                let world: f64 = regions.iter().map(|&r| full.stocks[r][p]).sum();
                observations.push((
                    usize::MAX,
                    Observation {
                        region: scenario.total.clone(),
                        year,
                        variable: "stock".into(),
                        value: world,
                        source: full.name.clone(),
                    },
                ));
            }
            let world_entity = run.structure.entities.len() - 1;
            let quantiles = |entity: usize, year: i32| {
                let t = (year - base) as usize;
                let (_, q) = mc.get(entity, 0, t);
                Quantiles {
                    p2_5: q[0],
                    p10: q[1],
                    p25: q[2],
                    p50: q[3],
                    p75: q[4],
                    p90: q[5],
                    p97_5: q[6],
                }
            };
            for level in ["world", "region"] {
                let subset: Vec<Observation> = observations
                    .iter()
                    .filter(|(i, _)| (*i == usize::MAX) == (level == "world"))
                    .map(|(_, o)| o.clone())
                    .collect();
                let entity_of = |o: &Observation| -> usize {
                    if o.region == scenario.total && level == "world" {
                        world_entity
                    } else {
                        scenario
                            .regions
                            .iter()
                            .position(|r| r.name == o.region)
                            .unwrap_or(world_entity)
                    }
                };
                let (scored, _) = score(&subset, |o| Some(quantiles(entity_of(o), o.year)));
                rows.push(Row {
                    history: full.name.clone(),
                    base_year: base,
                    calibration_year: cal,
                    pooling: if pooling == "world" {
                        "world"
                    } else {
                        "arrivals"
                    },
                    level,
                    regions: regions.len(),
                    score: summarize(&scored),
                    phi: value("arrivals.trend_damping"),
                    region_shock_sd: value("uncertainty.region_shock_sd"),
                });
            }
        }
        let mut text = format!(
            "{} regions projected; parameters estimated from {} ({} periods up to {cal})",
            regions.len(),
            full.years
                .iter()
                .filter(|&&y| y <= cal)
                .map(|y| y.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            full.years.iter().filter(|&&y| y <= cal).count() - 1
        );
        if small > 0 {
            text += &format!(
                "; {small} regions below {} persons in {base} or {cal} left out",
                settings.min_stock
            );
        }
        if !full.left_out.is_empty() {
            text += &format!(
                "; {} left out for a zero stock or a missing year ({})",
                full.left_out.len(),
                full.left_out.join("; ")
            );
        }
        if !uncalibrated.is_empty() {
            uncalibrated.sort();
            uncalibrated.dedup();
            text += &format!(
                "; {} whose two figures no arrival growth reaches left out ({})",
                uncalibrated.len(),
                uncalibrated.join("; ")
            );
        }
        notes.push(Note {
            history: full.name.clone(),
            base_year: base,
            calibration_year: cal,
            text,
        });
    }
    Ok((rows, notes))
}

/// backtest.csv.
pub fn rows_csv(rows: &[Row]) -> Result<Vec<u8>> {
    let header: Vec<String> = [
        "history",
        "base_year",
        "calibration_year",
        "pooling",
        "level",
        "regions",
        "observations",
        "coverage_50",
        "coverage_80",
        "coverage_95",
        "interval_score_50",
        "interval_score_80",
        "interval_score_95",
        "bias_per_cent",
        "median_absolute_per_cent_error",
        "trend_damping",
        "region_shock_sd",
    ]
    .map(str::to_string)
    .to_vec();
    let mut csv = crate::output::tables::CsvBuffer::new("backtest.csv", &header)?;
    for r in rows {
        let s = &r.score;
        csv.row(&[
            r.history.clone(),
            r.base_year.to_string(),
            r.calibration_year.to_string(),
            r.pooling.to_string(),
            r.level.to_string(),
            r.regions.to_string(),
            s.n.to_string(),
            format!("{:.3}", s.coverage_50),
            format!("{:.3}", s.coverage_80),
            format!("{:.3}", s.coverage_95),
            format!("{:.4}", s.interval_score[0]),
            format!("{:.4}", s.interval_score[1]),
            format!("{:.4}", s.interval_score[2]),
            format!("{:.2}", s.bias_per_cent),
            format!("{:.2}", s.median_absolute_per_cent_error),
            crate::output::number(r.phi),
            crate::output::number(r.region_shock_sd),
        ])?;
    }
    csv.into_bytes()
}

/// The table in Markdown (backtest.md, the README).
pub fn rows_md(rows: &[Row]) -> String {
    let mut md = String::from(
        "| history | calibrated on | pooling | level | observations | 50% covers | 80% | 95% | median error | bias of the median |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let s = &r.score;
        md += &format!(
            "| {} | {} and {} | {} | {} | {} | {:.0}% | {:.0}% | {:.0}% | {:.1}% | {:+.1}% |\n",
            r.history,
            r.base_year,
            r.calibration_year,
            r.pooling,
            if r.level == "world" {
                "World".to_string()
            } else {
                format!("{} regions", r.regions)
            },
            s.n,
            100.0 * s.coverage_50,
            100.0 * s.coverage_80,
            100.0 * s.coverage_95,
            s.median_absolute_per_cent_error,
            s.bias_per_cent
        );
    }
    md
}
