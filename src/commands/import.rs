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
#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    pub min_stock: f64,
    pub trajectories: usize,
    pub country_estimates: bool,
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
    } = *options;
    use crate::import::{import_countries, read_input, Settings};
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
    let settings = Settings {
        name: name.to_string(),
        years,
        end_year,
        min_stock,
        trajectories,
        country_estimates,
    };
    // Countries whose two figures no arrival growth reaches are merged into their area's
    // residual region, one at a time, until the scenario calibrates.
    let mut uncalibratable: Vec<String> = Vec::new();
    let started = Instant::now();
    let (imported, scenario) = loop {
        let imported = import_countries(&stock, &m49, &wdi, &meta, &settings, &uncalibratable)?;
        let file = SourceFile::new(out, imported.toml.clone());
        let scenario =
            crate::scenario::check_scenario_text(&file, Path::new(".")).map_err(|d| {
                Error::from_diagnostics(
                    &file,
                    &d,
                    "the imported scenario does not check; nothing was written",
                )
            })?;
        match crate::calibrate::calibrate(
            &scenario,
            &crate::model::rates::Rates::new(&scenario),
            &crate::simulate::streams::remittance_groups(&scenario),
        ) {
            Ok(_) => break (imported, scenario),
            Err(CalibrationError::Unreachable { region, .. })
                if !scenario.regions[region].name.starts_with("Other ") =>
            {
                uncalibratable.push(scenario.regions[region].name.clone());
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
        "wrote {} ({} regions in {} areas, {}-{}) in {:.2} s",
        out.display(),
        imported.regions,
        scenario.areas.len(),
        years[0],
        years[1],
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
