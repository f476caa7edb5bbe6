//! `migproj estimate`: the uncertainty parameters from history (MODEL.md section 13).

#[allow(unused_imports)]
use super::*;

/// Region histories (a region's simulated history in one fit) estimate simulates a second
/// on a two-core machine: the red team's 100 regions at the defaults (510,000) took over 300 s.
const REGION_HISTORIES_PER_SECOND: f64 = 1_700.0;

/// The most region histories one estimate simulates: about half an hour.
const MAX_REGION_HISTORIES: u64 = 3_000_000;

/// `migproj estimate` (MODEL.md section 13).
pub fn estimate(args: &crate::cli::EstimateArgs) -> Result<()> {
    use crate::estimate::{output as out, read_remittance_history};
    if !valid_name(&args.name) {
        return Err(Error::InputPlain(format!(
            "error: --name must be 1 to 64 characters from a-z, 0-9, '-', '_' (it names the output folder), found \"{}\"",
            args.name
        )));
    }
    let mut panels = Vec::new();
    for path in &args.histories {
        panels.push(crate::estimate::read_stock_history_with(
            &read_text(path, "stock history")?,
            args.until,
            args.drop_incomplete,
        )?);
    }
    let remittances = match &args.remittances {
        Some(path) => Some(read_remittance_history(
            &read_text(path, "remittance history")?,
            &args.remittance_series,
            args.remittances_from,
            args.until,
        )?),
        None => None,
    };
    let country_receipts = match &args.country_remittances {
        Some(path) => Some(crate::estimate::damping::read_country_receipts(
            &read_text(path, "receipts by country")?,
            args.until,
        )?),
        None => None,
    };
    let scenario = match &args.scenario {
        Some(path) => load_scenario(path)?.scenario,
        None => crate::scenario::check_scenario_text(
            &SourceFile::new(
                "template.toml",
                crate::scenario::template::template("estimate-kernel"),
            ),
            Path::new("."),
        )
        .map_err(|_| Error::Environment("the built-in template does not check".into()))?,
    };
    // Bounded work, refused before it starts with the estimate stated (issue 22 item 33: 100
    // regions at the default settings ran past 300 s with no word).
    let region_histories: u64 = panels.iter().map(|p| p.regions.len() as u64).sum::<u64>()
        * u64::from(args.simulations)
        * (u64::from(args.bootstrap) + 1);
    let minutes = region_histories as f64 / REGION_HISTORIES_PER_SECOND / 60.0;
    if region_histories > MAX_REGION_HISTORIES {
        return Err(Error::InputPlain(format!(
            "error: estimate would simulate {} region histories ({} regions x {} simulated histories x {} fits, the estimate and {} bootstrap replicates): about {:.0} minutes on a two-core machine, past this command's limit of {} (about half an hour); lower --simulations or --bootstrap (20 replicates give standard errors to about 16%), or estimate from a history of areas rather than countries",
            crate::output::tables::grouped(region_histories as f64),
            panels.iter().map(|p| p.regions.len()).sum::<usize>(),
            args.simulations,
            args.bootstrap + 1,
            args.bootstrap,
            minutes,
            crate::output::tables::grouped(MAX_REGION_HISTORIES as f64),
        )));
    }
    if !args.quiet && minutes >= 1.0 {
        eprintln!(
            "estimate: {} region histories to simulate, about {minutes:.0} minutes",
            crate::output::tables::grouped(region_histories as f64)
        );
    }
    let kernel = crate::estimate::cohort_kernel(&scenario);
    let options = crate::estimate::Options {
        simulations: args.simulations as usize,
        bootstrap: args.bootstrap as usize,
        seed: args.seed,
        ..Default::default()
    };
    let bar = progress_bar(
        args.quiet,
        options.bootstrap as u64 + 1,
        "estimate: fit and bootstrap",
    );
    let started = Instant::now();
    let mut result =
        crate::estimate::estimate(panels, remittances, &kernel, options, &|| bar.inc(1));
    if let Some(receipts) = country_receipts {
        result = result.with_damping(receipts);
    }
    bar.finish_and_clear();
    let command = estimate_command_line(args);
    let folder =
        OutputFolder::create(&args.out, &args.name, crate::output::folder::Kind::Estimate)?;
    folder.write("estimate.csv", &out::parameters_csv(&result, &args.name)?)?;
    folder.write("statistics.csv", &out::statistics_csv(&result, &args.name)?)?;
    let fragment = out::fragment_toml(&result, &command);
    folder.write("estimate.toml", fragment.as_bytes())?;
    folder.write(
        "estimate.md",
        out::statement_md(&result, &command).as_bytes(),
    )?;
    let footer = format!(
        "migproj {} estimate; {} simulated histories per panel, {} bootstrap replicates, seed {}",
        env!("CARGO_PKG_VERSION"),
        options.simulations,
        options.bootstrap,
        options.seed
    );
    write_charts(&folder, &[out::chart(&result, footer)])?;
    let target = folder.commit()?;
    say(&fragment);
    if !args.quiet {
        eprintln!(
            "wrote {} in {:.1} s",
            target.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// The command as a user would type it again (paths as given).
pub(crate) fn estimate_command_line(args: &crate::cli::EstimateArgs) -> String {
    let mut parts = vec!["migproj estimate".to_string()];
    parts.extend(args.histories.iter().map(|p| p.display().to_string()));
    if let Some(r) = &args.remittances {
        parts.push(format!("--remittances {}", r.display()));
        if args.remittances_from != 1000 {
            parts.push(format!("--remittances-from {}", args.remittances_from));
        }
        if args.remittance_series != "World" {
            parts.push(format!("--remittance-series {:?}", args.remittance_series));
        }
    }
    if args.drop_incomplete {
        parts.push("--drop-incomplete".into());
    }
    if let Some(r) = &args.country_remittances {
        parts.push(format!("--country-remittances {}", r.display()));
    }
    if args.until != 2000 {
        parts.push(format!("--until {}", args.until));
    }
    if let Some(s) = &args.scenario {
        parts.push(format!("--scenario {}", s.display()));
    }
    if args.simulations != 100 {
        parts.push(format!("--simulations {}", args.simulations));
    }
    if args.bootstrap != 50 {
        parts.push(format!("--bootstrap {}", args.bootstrap));
    }
    if args.seed != 20030701 {
        parts.push(format!("--seed {}", args.seed));
    }
    parts.join(" ")
}
