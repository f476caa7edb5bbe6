//! `migproj import`: a scenario of destination countries with areas from the official files.

#[allow(unused_imports)]
use super::*;

use std::path::PathBuf;

/// The official files, by folder or one by one.
pub struct ImportFiles {
    pub official: Option<PathBuf>,
    pub stock: Option<PathBuf>,
    pub m49: Option<PathBuf>,
    pub wdi: Option<PathBuf>,
    pub wdi_metadata: Option<PathBuf>,
    pub origin: Option<PathBuf>,
    pub oghist: Option<PathBuf>,
    pub oda: Option<PathBuf>,
}

/// The file of `folder` whose name starts with `prefix` and ends with `suffix` (the only one).
fn find_in(folder: &Path, prefix: &str, suffix: &str, what: &str) -> Result<PathBuf> {
    let entries = std::fs::read_dir(folder).map_err(|e| {
        Error::InputPlain(format!(
            "error: cannot read the folder `{}`: {e}",
            folder.display()
        ))
    })?;
    let mut found: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(suffix))
        })
        .collect();
    found.sort();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Error::InputPlain(format!(
            "error: `{}` has no {what} (a file named {prefix}*{suffix}); name it with its own option",
            folder.display()
        ))),
        _ => Err(Error::InputPlain(format!(
            "error: `{}` has {} files that could be the {what} ({}); name one with its own option",
            folder.display(),
            found.len(),
            found
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// What the scenario gets besides the files' figures.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub min_stock: f64,
    pub trajectories: usize,
    pub country_estimates: bool,
    /// `countries`, `subregions`, `regions`, `areas` or a list of countries.
    pub destinations: String,
    /// `income`, `none` or a list of origin countries.
    pub origins: String,
    pub income_year: Option<i32>,
}

/// Countries named by ISO3 code or name (comma-separated), as ISO3 codes; an unknown one is an
/// error naming the option, with the closest name or code.
fn resolve_countries(
    list: &str,
    option: &str,
    countries: &std::collections::HashMap<u32, crate::import::M49Country>,
) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut known: Vec<(&str, &str)> = countries
        .values()
        .filter(|c| !c.iso3.is_empty())
        .map(|c| (c.iso3.as_str(), c.name.as_str()))
        .collect();
    known.push(("TWN", "Taiwan Province of China"));
    known.push(("CHI", "Channel Islands"));
    known.sort();
    for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let found = known.iter().find(|(code, name)| {
            code.eq_ignore_ascii_case(word) || name.eq_ignore_ascii_case(word)
        });
        match found {
            Some((code, name)) => {
                if !out.iter().any(|(c, _)| c == code) {
                    out.push((code.to_string(), name.to_string()));
                }
            }
            None => {
                // Codes and names alike: candidate 2k is country k's code, 2k + 1 its name.
                let candidates: Vec<&str> = known.iter().flat_map(|(c, n)| [*c, *n]).collect();
                let hint = crate::error::suggest_index(word, &candidates)
                    .map(|i| known[i / 2])
                    .map(|(c, n)| format!("; did you mean {c} ({n})?"))
                    .unwrap_or_default();
                return Err(Error::InputPlain(format!(
                    "error: {option}: \"{}\" is neither an ISO3 code nor a country name of the M49 list{hint}",
                    crate::error::clip(word, 60)
                )));
            }
        }
    }
    if out.is_empty() {
        return Err(Error::InputPlain(format!(
            "error: {option} names no country"
        )));
    }
    Ok(out)
}

/// `migproj import`.
pub fn import(
    files: &ImportFiles,
    years: &[i32],
    end_year: i32,
    name: &str,
    options: &ImportOptions,
    out: &Path,
    force: bool,
) -> Result<()> {
    let ImportOptions {
        min_stock,
        trajectories,
        country_estimates,
        ..
    } = *options;
    use crate::import::{
        import_scenario, parse_inputs, read_input, Destinations, Inputs, Origins, Settings,
    };
    if !valid_name(name) {
        return Err(Error::InputPlain(format!(
            "error: --name must be 1 to 64 characters from a-z, 0-9, '-', '_', found \"{name}\""
        )));
    }
    let years: [i32; 2] = match years {
        [a, b] if (1000..=3000).contains(a) && a < b && *b < end_year => [*a, *b],
        _ => {
            return Err(Error::InputPlain(format!(
                "error: --years takes the base and calibration years, such as 1990,2000, before --end-year {end_year}; found {years:?}"
            )))
        }
    };
    if !(min_stock.is_finite() && min_stock >= 0.0) {
        return Err(Error::InputPlain(format!(
            "error: --min-stock must be a number of persons >= 0, found {min_stock}"
        )));
    }
    if out.extension().is_none_or(|e| e != "toml") {
        return Err(Error::InputPlain(format!(
            "error: --out names the scenario file to write, ending in .toml; found `{}`",
            out.display()
        )));
    }
    if std::fs::symlink_metadata(out).is_ok() && !force {
        return Err(Error::InputPlain(format!(
            "error: `{}` exists; import never replaces a file without --force (nothing was written)",
            out.display()
        )));
    }
    let pick =
        |given: &Option<PathBuf>, prefix: &str, suffix: &str, what: &str| -> Result<PathBuf> {
            match (given, &files.official) {
                (Some(p), _) => Ok(p.clone()),
                (None, Some(folder)) => find_in(folder, prefix, suffix, what),
                (None, None) => Err(Error::InputPlain(format!(
                    "error: no {what}: give --official DIR or name the file with its own option"
                ))),
            }
        };
    let stock = read_input(
        &pick(
            &files.stock,
            "undesa_pd_2020_ims_stock_by_sex_and_destination",
            ".xlsx",
            "UN DESA migrant stock workbook",
        )?,
        "UN DESA migrant stock workbook",
    )?;
    let m49 = read_input(
        &pick(&files.m49, "UNSD-M49", ".csv", "UNSD M49 list")?,
        "UNSD M49 list",
    )?;
    let wdi = read_input(
        &pick(
            &files.wdi,
            "API_BX.TRF.PWKR.CD.DT",
            ".csv",
            "WDI remittances download",
        )?,
        "WDI remittances download",
    )?;
    let meta = read_input(
        &pick(
            &files.wdi_metadata,
            "Metadata_Country_API_BX.TRF.PWKR.CD.DT",
            ".csv",
            "WDI country metadata",
        )?,
        "WDI country metadata",
    )?;
    let wants_groups = options.origins != "none";
    let origin = if wants_groups {
        Some(read_input(
            &pick(
                &files.origin,
                "ims2020_destination_origin_sex",
                ".csv",
                "IMS 2020 file by destination and origin",
            )?,
            "IMS 2020 file by destination and origin",
        )?)
    } else {
        None
    };
    let oghist = if options.origins == "income" {
        Some(read_input(
            &pick(
                &files.oghist,
                "OGHIST",
                ".xlsx",
                "World Bank income classification",
            )?,
            "World Bank income classification (OGHIST)",
        )?)
    } else {
        None
    };
    let oda = match &files.oda {
        Some(path) => Some(read_input(path, "official aid table")?),
        None => None,
    };
    let countries = crate::import::read_m49(&m49)?;
    let destinations = match options.destinations.as_str() {
        "countries" => Destinations::Countries,
        "subregions" => Destinations::Subregions,
        "regions" => Destinations::Regions,
        "areas" => Destinations::Areas,
        list => Destinations::List(
            resolve_countries(list, "--destinations", &countries)?
                .into_iter()
                .map(|(c, _)| c)
                .collect(),
        ),
    };
    let origins = match options.origins.as_str() {
        "none" => Origins::None,
        "income" => {
            let year = options.income_year.unwrap_or(years[1]);
            if !(1987..=3000).contains(&year) {
                return Err(Error::InputPlain(format!(
                    "error: --income-year is the data year of the World Bank's classification (1987 on), found {year}"
                )));
            }
            Origins::Income { year }
        }
        list => {
            let chosen = resolve_countries(list, "--origins", &countries)?;
            let label = match chosen.len() {
                1 => chosen[0].1.clone(),
                2 | 3 => chosen
                    .iter()
                    .map(|(_, n)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(" and "),
                _ => "Selected origins".to_string(),
            };
            Origins::List {
                iso3: chosen.into_iter().map(|(c, _)| c).collect(),
                label,
            }
        }
    };
    if options.income_year.is_some() && !matches!(origins, Origins::Income { .. }) {
        return Err(Error::InputPlain(
            "error: --income-year applies to --origins income only".into(),
        ));
    }
    let inputs = Inputs {
        stock,
        m49,
        wdi,
        wdi_meta: meta,
        origin,
        oghist,
        oda,
    };
    let settings = Settings {
        name: name.to_string(),
        years,
        end_year,
        min_stock,
        trajectories,
        country_estimates,
        destinations,
        origins,
    };
    // Countries whose two figures no arrival growth reaches are merged into their area's
    // residual region, one at a time, until the scenario calibrates.
    let mut uncalibratable: Vec<String> = Vec::new();
    let mut padding: Vec<String> = Vec::new();
    let started = Instant::now();
    let parsed = parse_inputs(&inputs, &settings)?;
    // Streams already calibrated, by region name and figures: only merged regions change
    // from one pass to the next (`None`: the stream cannot reach its calibration-year stock).
    type Key = (String, u64, u64, Option<u64>);
    let mut calibrated: std::collections::HashMap<
        Key,
        Option<crate::calibrate::RegionCalibration>,
    > = std::collections::HashMap::new();
    let (imported, scenario) = loop {
        let imported = import_scenario(&inputs, &parsed, &settings, &uncalibratable, &padding)?;
        let file = SourceFile::new(out, imported.toml.clone());
        let scenario =
            crate::scenario::check_scenario_text(&file, Path::new(".")).map_err(|d| {
                Error::from_diagnostics(
                    &file,
                    &d,
                    "the imported scenario does not check; nothing was written",
                )
            })?;
        let engine = crate::simulate::streams::engine_scenario(&scenario);
        let rates = crate::model::rates::Rates::new(&engine);
        // Every stream that cannot reach its calibration-year stock, at once.
        let groups = scenario.origins.len().max(1);
        let key = |s: usize| {
            let stream = &engine.regions[s];
            (
                scenario.regions[s / groups].name.clone(),
                stream.stock_base_persons.to_bits(),
                stream.stock_calibration_persons.to_bits(),
                stream.female_share.map(f64::to_bits),
            )
        };
        let unknown: Vec<usize> = (0..engine.regions.len())
            .filter(|&s| !calibrated.contains_key(&key(s)))
            .collect();
        let outcomes: Vec<Option<crate::calibrate::RegionCalibration>> = {
            use rayon::prelude::*;
            unknown
                .par_iter()
                .map(|&s| {
                    let stream = &engine.regions[s];
                    crate::calibrate::calibrate_region(
                        &rates,
                        s,
                        stream.stock_base_persons,
                        stream.stock_calibration_persons,
                    )
                    .ok()
                })
                .collect()
        };
        for (&s, outcome) in unknown.iter().zip(outcomes) {
            calibrated.insert(key(s), outcome);
        }
        let mut failing: Vec<usize> = (0..engine.regions.len())
            .filter(|&s| calibrated[&key(s)].is_none())
            .map(|s| s / groups)
            .collect();
        failing.dedup();
        let countries: Vec<String> = failing
            .iter()
            .map(|&r| scenario.regions[r].name.clone())
            .filter(|n| !n.starts_with("Other "))
            .collect();
        // Only countries can be merged (aggregates of countries cannot): with sub-regions,
        // regions or areas as destinations, the full calibration below names the failure.
        let can_merge = matches!(
            settings.destinations,
            Destinations::Countries | Destinations::List(_)
        );
        if can_merge && !countries.is_empty() {
            uncalibratable.extend(countries);
            continue;
        }
        // A residual region that can take another country: the padding rule below; otherwise
        // the full calibration (world stream, remittances) gives the error, located.
        let paddable = failing.iter().copied().filter(|_| can_merge).find(|&r| {
            let area = scenario.regions[r].area;
            area.is_some()
                && scenario
                    .regions
                    .iter()
                    .any(|o| o.area == area && !o.name.starts_with("Other "))
        });
        let result = match paddable {
            Some(region) => Err(CalibrationError::Unreachable {
                region,
                origin: None,
                target: 0.0,
                lowest: 0.0,
                highest: 0.0,
            }),
            // A stream no merge can help (an aggregate of countries, or a residual region
            // with no country left to take): the full calibration names it, located.
            None if !failing.is_empty() => {
                crate::simulate::calibrate_streams(&scenario, &engine, &rates).map(|_| ())
            }
            None => {
                // Every stream calibrated: the amounts and common trends on top.
                let regions = (0..engine.regions.len())
                    .map(|s| calibrated[&key(s)].clone().expect("none failing"))
                    .collect();
                crate::simulate::name_stream(
                    &scenario,
                    crate::calibrate::calibrate_with(
                        &engine,
                        &rates,
                        &crate::simulate::streams::remittance_groups(&scenario),
                        regions,
                    ),
                )
                .map(|_| ())
            }
        };
        match result {
            Ok(_) => break (imported, scenario),
            Err(CalibrationError::Unreachable { region, .. })
                if can_merge && !scenario.regions[region].name.starts_with("Other ") =>
            {
                uncalibratable.push(scenario.regions[region].name.clone());
            }
            // The residual region itself cannot be calibrated (a merged country's stock fell
            // faster than deaths and departures allow: refugees going home): the area's
            // smallest country (calibration-year stock) joins it, one at a time.
            Err(CalibrationError::Unreachable { region, .. })
                if can_merge
                    && scenario.regions[region].area.is_some()
                    && scenario.regions.iter().any(|r| {
                        r.area == scenario.regions[region].area && !r.name.starts_with("Other ")
                    }) =>
            {
                let area = scenario.regions[region].area;
                let smallest = scenario
                    .regions
                    .iter()
                    .filter(|r| r.area == area && !r.name.starts_with("Other "))
                    .min_by(|a, b| {
                        a.stock_calibration_persons
                            .total_cmp(&b.stock_calibration_persons)
                    })
                    .expect("checked above");
                padding.push(smallest.name.clone());
            }
            Err(other) => {
                let loaded = crate::scenario::load_scenario_bytes(out, imported.toml.into_bytes())?;
                return Err(calibration_error(&loaded, other));
            }
        }
    };
    // Written whole or not at all: a temporary file beside the target, then a rename.
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .map_err(|e| Error::environment("cannot create the folder", parent, e))?;
    let temporary = parent.join(format!(
        ".{}.import-{}",
        out.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    std::fs::write(&temporary, imported.toml.as_bytes())
        .map_err(|e| Error::environment("cannot write", &temporary, e))?;
    std::fs::rename(&temporary, out).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        Error::environment("cannot write", out, e)
    })?;
    for note in &imported.notes {
        eprintln!("note: {note}");
    }
    eprintln!(
        "wrote {} ({} regions in {} areas, {} origin groups, {}-{}) in {:.2} s",
        out.display(),
        imported.regions,
        imported.areas,
        scenario.origins.len().max(1),
        years[0],
        years[1],
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
