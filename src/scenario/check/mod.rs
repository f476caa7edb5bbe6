//! Checking a scenario file: walk the TOML tree (parsed with spans) key by key, collect every
//! problem with its location, and build a [`Scenario`] only when there are none. One file per
//! section of the scenario (regions, mortality, arrivals, remittances, uncertainty) and one
//! for reading the chain of files a scenario extends; here the checker and the root.

use std::ops::Range;
use std::path::Path;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::csv_table::read_age_table;
use super::*;
use super::{defaults, reserved_name, ROGERS_CASTRO_DEFAULTS};
use crate::error::{suggest, Diagnostic, SourceFile, SourceSet};
use crate::model::mortality::reachable_e0;

mod arrivals;
mod checker;
mod extends;
mod mortality;
mod regions;
mod remittances;
mod uncertainty;

use arrivals::*;
use checker::*;
use extends::*;
use mortality::*;
use regions::*;
use remittances::*;
use uncertainty::*;

/// Checks a scenario file's text. `base_dir` is where relative paths start. Diagnostics are
/// located in the file's own offsets when it extends no other file; see [`check_scenario`].
pub fn check_scenario_text(
    file: &SourceFile,
    base_dir: &Path,
) -> Result<Scenario, Vec<Diagnostic>> {
    check_scenario(file, base_dir).1
}

/// Size bounds of a scenario (README, "Limits"): with the largest, a deterministic run with
/// charts stays within about 2 GB of memory.
pub const MAX_REGIONS: usize = 500;
pub const MAX_ORIGIN_GROUPS: usize = 20;
pub const MAX_STREAMS: usize = 2000;

/// Checks a scenario and the files it extends. Returns the files read (for rendering the
/// diagnostics, whose spans are offsets into that set) and the scenario or every problem.
pub fn check_scenario(
    file: &SourceFile,
    base_dir: &Path,
) -> (SourceSet, Result<Scenario, Vec<Diagnostic>>) {
    let (sources, dirs, chain_problems) = read_chain(file, base_dir);
    if !chain_problems.is_empty() {
        return (sources, Err(chain_problems));
    }
    // Parse every file of the chain (all parse: read_chain parsed them), oldest first.
    let mut merged: Option<DeTable<'_>> = None;
    for (source, base) in sources.files.iter().rev() {
        let Ok(root) = DeTable::parse(&source.text) else {
            continue;
        };
        let table = shift_table(root.into_inner(), *base);
        match &mut merged {
            None => merged = Some(table),
            Some(parent) => merge(parent, table),
        }
    }
    let mut root = merged.unwrap_or_default();
    if let Some(DeValue::Table(header)) = root
        .iter_mut()
        .find(|(k, _)| k.get_ref().as_ref() == "scenario")
        .map(|(_, v)| v.get_mut())
    {
        let extends_key = header
            .keys()
            .find(|k| k.get_ref().as_ref() == "extends")
            .cloned();
        if let Some(key) = extends_key {
            header.remove(&key);
        }
    }
    let mut checker = Checker {
        diagnostics: Vec::new(),
        sources: &sources,
        dirs: &dirs,
        tables: Vec::new(),
        declared_regions: Vec::new(),
    };
    let root_table = Table {
        path: "",
        entries: &root,
        span: (0, 0),
    };
    let scenario = check_root(&mut checker, &root_table).map(|mut scenario| {
        scenario.tables = std::mem::take(&mut checker.tables);
        scenario
    });
    let result = match scenario {
        Some(scenario) if checker.diagnostics.is_empty() => Ok(scenario),
        _ => {
            if checker.diagnostics.is_empty() {
                checker
                    .diagnostics
                    .push(Diagnostic::whole_file("the scenario is incomplete"));
            }
            checker
                .diagnostics
                .sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
            Err(checker.diagnostics)
        }
    };
    (sources, result)
}

const ROOT_KEYS: [&str; 12] = [
    "scenario",
    "region",
    "world_population",
    "mortality",
    "departure",
    "arrivals",
    "remittances",
    "comparison",
    "uncertainty",
    "warnings",
    "origins",
    "areas",
];

struct Years {
    base: i32,
    calibration: i32,
    end: i32,
}

fn check_root(c: &mut Checker<'_>, root: &Table<'_, '_>) -> Option<Scenario> {
    c.unknown_keys(root, &ROOT_KEYS);

    // [scenario]
    let header = c.table(
        root,
        "scenario",
        "scenario",
        Some(
            "a [scenario] table with name, base_year, calibration_year, end_year and data_revision",
        ),
    );
    let mut name = None;
    let mut title = None;
    let mut total = Some(DEFAULT_TOTAL.to_string());
    let mut data_revision = None;
    let mut years = None;
    let mut max_duration = None;
    if let Some(t) = &header {
        c.unknown_keys(
            t,
            &[
                "name",
                "title",
                "total",
                "base_year",
                "calibration_year",
                "end_year",
                "data_revision",
                "max_duration",
                "extends",
            ],
        );
        if let Some((n, span)) = c.string(
            t,
            "name",
            Some("the output folder name (a-z, 0-9, '-', '_')"),
        ) {
            if n.is_empty()
                || n.len() > 64
                || !n.chars().all(|ch| {
                    ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '_'
                })
            {
                c.error(span, format!("`scenario.name` must be 1 to 64 characters from a-z, 0-9, '-', '_' (it names the output folder), found \"{n}\""));
            } else if reserved_name(&n) {
                c.error(span, format!("`scenario.name` \"{n}\" would collide with the output folder of `migproj compare`, `estimate` or `hindcast`; choose another name"));
            } else {
                name = Some(n);
            }
        }
        title = c.string(t, "title", None).map(|s| s.0);
        if t.get("total").is_some() {
            total = None;
            if let Some((n, span)) = c.string(t, "total", None) {
                let trimmed = n.trim();
                if trimmed.is_empty()
                    || trimmed.chars().count() > 60
                    || n.chars().any(char::is_control)
                    || trimmed != n
                {
                    c.error(span, format!("`scenario.total` names the sum over the regions (\"Three destination regions\", say): 1 to 60 characters, no control characters and no spaces at either end, found {:?}", crate::error::clip(&n, 80)));
                } else {
                    total = Some(n);
                }
            }
        }
        data_revision = c.string(t, "data_revision", Some("the data revision the figures come from, printed on every output (\"IMR 2002\", say)")).map(|s| s.0);
        let base = c.integer(t, "base_year", None, 1000, 3000, "a year");
        let calibration = c.integer(t, "calibration_year", None, 1000, 3000, "a year");
        let end = c.integer(t, "end_year", None, 1000, 3000, "a year");
        max_duration = c
            .integer(
                t,
                "max_duration",
                Some(50),
                1,
                200,
                "the last duration group in years",
            )
            .map(|v| v as usize);
        if let (Some(base), Some(calibration), Some(end)) = (base, calibration, end) {
            let span_of = |key: &str| t.get(key).map(|v| v.span()).unwrap_or(t.span());
            if calibration <= base {
                c.error(span_of("calibration_year"), format!("`scenario.calibration_year` ({calibration}) must come after `scenario.base_year` ({base})"));
            } else if end < base {
                c.error(
                    span_of("end_year"),
                    format!("`scenario.end_year` ({end}) is before `scenario.base_year` ({base})"),
                );
            } else if end < calibration {
                c.error(span_of("end_year"), format!("`scenario.end_year` ({end}) must not be before `scenario.calibration_year` ({calibration})"));
            } else if end - base > 1000 {
                c.error(span_of("end_year"), format!("`scenario.end_year` ({end}) is more than 1000 years after `scenario.base_year` ({base})"));
            } else {
                years = Some(Years {
                    base: base as i32,
                    calibration: calibration as i32,
                    end: end as i32,
                });
            }
        }
    }

    // [origins] and [[region]]
    let origins = check_origins(c, root);
    let areas = check_areas(c, root);
    let regions = check_regions(c, root, years.as_ref(), &origins, &areas);
    if !areas.is_empty() && regions.len() == 1 {
        c.error(
            regions[0].1.clone(),
            "`[areas]` needs two regions or more: with one region, that region is the World",
        );
    }
    if let (Some(total), Some(t)) = (&total, &header) {
        let span = t.get("total").map(|v| v.span());
        if let Some(span) = span {
            if regions.len() == 1 {
                c.error(span, "`scenario.total` names the sum over several regions; with one region, that region is the total (remove the key, or name the region)");
            } else if regions.iter().any(|(r, _)| r.name == *total) {
                c.error(span, format!("`scenario.total` \"{total}\" is also a region's name; the total and the regions share the `region` column of every table"));
            } else if areas.contains(total) {
                c.error(span, format!("`scenario.total` \"{total}\" is also an area's name; the total and the areas share the `region` column of every table"));
            }
        }
    }
    for (region, span) in &regions {
        if areas.contains(&region.name) {
            c.error(
                span.clone(),
                format!("the region \"{}\" has the name of an area; areas and regions share the `region` column of every table, so give them different names", region.name),
            );
        }
    }
    let region_names: Vec<String> = regions.iter().map(|(r, _)| r.name.clone()).collect();

    // [world_population]
    let world_population = c
        .table(
            root,
            "world_population",
            "world_population",
            Some("a [world_population] table with `points = { year = persons }`"),
        )
        .and_then(|t| {
            c.unknown_keys(&t, &["points"]);
            c.year_table(
                &t,
                "points",
                Bound::Between(1.0, 1e12),
                Some("world population by year, persons"),
            )
        })
        .map(|(points, _)| {
            points
                .into_iter()
                .map(|(y, v)| (f64::from(y), v))
                .collect::<Vec<_>>()
        });

    let mortality = check_mortality(c, root, years.as_ref());
    let departure = check_departure(c, root, &region_names, &origins);
    let arrivals = check_arrivals(c, root, years.as_ref(), &regions, &region_names, &origins);
    let remittances = check_remittances(c, root, years.as_ref(), &origins);
    let comparison = check_comparison(c, root, &origins);
    // Events may name a region or an area (MODEL.md section 14): indices past the regions'
    // are areas.
    let places: Vec<String> = region_names.iter().chain(&areas).cloned().collect();
    let total_name = total.clone().unwrap_or_else(|| DEFAULT_TOTAL.to_string());
    let uncertainty = check_uncertainty(
        c,
        root,
        years.as_ref(),
        &places,
        &total_name,
        &origins,
        &comparison,
    );
    let warnings = check_warnings(c, root);

    let years = years?;
    let (mortality, life_expectancy_span) = mortality?;
    let (remittances, received_span) = remittances?;
    if regions.is_empty() {
        return None;
    }
    // Impossible figures: more migrants than people.
    if let Some(points) = &world_population {
        for (year, total) in [
            (
                years.base,
                regions
                    .iter()
                    .map(|(r, _)| r.stock_base_persons)
                    .sum::<f64>(),
            ),
            (
                years.calibration,
                regions
                    .iter()
                    .map(|(r, _)| r.stock_calibration_persons)
                    .sum::<f64>(),
            ),
        ] {
            let population = crate::model::series::log_linear_extended(points, f64::from(year));
            if total > population {
                let span = regions[0].1.clone();
                c.diagnostics.push(
                    Diagnostic::at(
                        span,
                        format!(
                            "the migrant stocks add up to {} persons in {year}, more than the world population of {} there (`[world_population] points`)",
                            crate::output::tables::grouped(total),
                            crate::output::tables::grouped(population)
                        ),
                    )
                    .with_help("stocks are in persons (70_800_000 or 70.8e6 for 70.8 million); check the stocks and the world population"),
                );
                return None;
            }
        }
    }
    Some(Scenario {
        origins,
        areas,
        name: name.clone()?,
        title: title.or(name)?,
        total: total?,
        base_year: years.base,
        calibration_year: years.calibration,
        end_year: years.end,
        data_revision: data_revision?,
        max_duration: max_duration?,
        tables: Vec::new(),
        spans: KeySpans {
            region_stock: regions.iter().map(|(_, span)| span.clone()).collect(),
            life_expectancy: life_expectancy_span,
            remittances_received: Some(received_span),
            remittances_propensity: remittance_key_span(root, "propensity"),
            remittances_age_range: remittance_key_span(root, "age_range"),
        },
        regions: regions.into_iter().map(|(r, _)| r).collect(),
        world_population: world_population?,
        mortality,
        departure: departure?,
        arrivals: arrivals?,
        remittances,
        comparison: comparison?,
        uncertainty: uncertainty?,
        warnings: warnings?,
    })
}

/// `[warnings]`: the thresholds of the plausibility warnings (docs/model.md, "Plausibility
/// warnings"); every key optional.
fn check_warnings(c: &mut Checker<'_>, root: &Table<'_, '_>) -> Option<WarningThresholds> {
    let empty = DeTable::new();
    let t = c.table_or_empty(root, "warnings", "warnings", &empty);
    c.unknown_keys(
        &t,
        &[
            "share_of_world",
            "stock_growth",
            "stock_decline",
            "band_ratio",
        ],
    );
    let d = WarningThresholds::default();
    let share_of_world = c.number(
        &t,
        "share_of_world",
        Some(d.share_of_world),
        Bound::Probability,
        "",
    );
    let stock_growth = c.number(
        &t,
        "stock_growth",
        Some(d.stock_growth),
        Bound::Between(1.0, 1e6),
        "",
    );
    let stock_decline = c.number(
        &t,
        "stock_decline",
        Some(d.stock_decline),
        Bound::Probability,
        "",
    );
    let band_ratio = c.number(
        &t,
        "band_ratio",
        Some(d.band_ratio),
        Bound::Between(1.0, 1e12),
        "",
    );
    Some(WarningThresholds {
        share_of_world: share_of_world?,
        stock_growth: stock_growth?,
        stock_decline: stock_decline?,
        band_ratio: band_ratio?,
    })
}
