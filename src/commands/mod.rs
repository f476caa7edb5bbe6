//! The commands behind the CLI, one file per command (run, compare, hindcast, report, plot,
//! new, estimate); here `check`, the dispatch and the helpers they share.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::calibrate::CalibrationError;
use crate::cli::{Cli, Command, RunArgs};
use crate::error::{Diagnostic, Error, Result, SourceFile};
use crate::output::charts::data::load_tables;
use crate::output::charts::render_all;
use crate::output::folder::{Lock, OutputFolder, WhenBusy};
use crate::output::{summary, tables};
use crate::scenario::{load_scenario, LoadedScenario, Scenario, Uncertainty};
use crate::simulate::monte_carlo::{
    batch_memory_bytes, run_monte_carlo, summary_memory_bytes, Engine, MonteCarlo,
};
use crate::simulate::DeterministicRun;

mod backtest;
mod compare;
mod estimate;
mod hindcast;
mod import;
mod new;
mod plot;
mod report;
mod run;
mod shard;

pub use backtest::*;
pub use compare::*;
pub use estimate::*;
pub use hindcast::*;
pub use import::*;
pub use new::*;
pub use plot::*;
pub use report::*;
pub use run::*;
pub use shard::*;

/// Writes to standard output; a closed pipe (`migproj check ... | head`) or a full device is
/// not an error of the run: the outputs are already written, so the text is dropped quietly.
fn say(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

pub fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run(&args),
        Command::Check { scenarios } => check(&scenarios),
        Command::New { name, dir, force } => new_scenario(&name, &dir, force),
        Command::Compare {
            inputs,
            out,
            trajectories,
            seed,
            years,
            against,
            quiet,
        } => compare(
            &inputs,
            &out,
            trajectories,
            seed,
            &years,
            against.as_deref(),
            quiet,
        ),
        Command::Hindcast {
            scenario,
            observed,
            out,
            trajectories,
            seed,
            quiet,
        } => hindcast(&scenario, &observed, &out, trajectories, seed, quiet),
        Command::Report {
            dirs,
            out,
            force,
            title,
            author,
            date,
            years,
        } => {
            let options = crate::report::ReportOptions {
                title,
                author,
                date: date.unwrap_or_else(crate::report::today),
                years,
                id: crate::report::new_report_id(&out),
            };
            report(&dirs, &out, force, &options)
        }
        Command::Estimate(args) => estimate(&args),
        Command::Import {
            official,
            stock,
            m49,
            wdi,
            wdi_metadata,
            origin_file,
            oghist,
            oda,
            destinations,
            origins,
            income_year,
            years,
            end_year,
            min_stock,
            name,
            trajectories,
            country_estimates,
            out,
            force,
        } => {
            let files = ImportFiles {
                official,
                stock,
                m49,
                wdi,
                wdi_metadata,
                origin: origin_file,
                oghist,
                oda,
            };
            let options = ImportOptions {
                min_stock,
                trajectories,
                country_estimates,
                destinations,
                origins,
                income_year,
            };
            import(&files, &years, end_year, &name, &options, &out, force)
        }
        Command::Backtest {
            histories,
            windows,
            trajectories,
            simulations,
            bootstrap,
            min_stock,
            seed,
            out,
            name,
            quiet,
        } => {
            let settings = crate::backtest::Settings {
                trajectories: trajectories as usize,
                seed,
                simulations: simulations as usize,
                bootstrap: bootstrap as usize,
                min_stock,
            };
            backtest(&histories, &windows, &settings, &out, &name, quiet)
        }
        Command::Merge {
            shards,
            out,
            scenario,
            threads,
            write_trajectories,
            chart_size,
            no_charts,
            max_memory,
            keep,
            quiet,
        } => merge(&MergeArgs {
            shards,
            out,
            scenario,
            threads,
            write_trajectories,
            chart_size,
            no_charts,
            max_memory,
            keep,
            quiet,
        }),
        Command::Slurm {
            scenario,
            shards,
            trajectories,
            seed,
            out,
            partition,
            time,
            cpus,
            mem,
            binary,
            submit,
            wait,
        } => slurm(&SlurmArgs {
            scenario,
            shards,
            trajectories,
            seed,
            out,
            partition,
            time,
            cpus,
            mem,
            binary,
            submit,
            wait,
        }),
        Command::Plot {
            dirs,
            chart_size,
            regions,
        } => {
            let regions: Vec<String> = regions
                .iter()
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .collect();
            for dir in dirs {
                plot(&dir, chart_size, &regions)?;
            }
            Ok(())
        }
    }
}

/// Loads every scenario first, so that a bad file stops the batch before anything is written.
fn load_all(paths: &[std::path::PathBuf]) -> Result<Vec<LoadedScenario>> {
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match load_scenario(path) {
            Ok(scenario) => loaded.push(scenario),
            Err(err) => errors.push(err),
        }
    }
    match errors.len() {
        0 => Ok(loaded),
        1 => Err(errors.remove(0)),
        _ => Err(Error::InputPlain(
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        )),
    }
}

/// Checks scenarios, including that each can be calibrated; writes nothing.
pub fn check(paths: &[std::path::PathBuf]) -> Result<()> {
    for loaded in load_all(paths)? {
        let run = project_series(&loaded)?;
        let warnings = crate::plausibility::warnings(&loaded.scenario, &run, None);
        print_warnings(&loaded, &warnings);
        // Check knows the deterministic projection's warnings; the Monte Carlo's bands are
        // checked by run (issue 22 item 6: "ok" beside warnings misled).
        let verdict = match (warnings.len(), loaded.scenario.uncertainty.trajectories) {
            (0, 0) => "ok".to_string(),
            (0, _) => "ok (the Monte Carlo's bands are checked when it runs)".to_string(),
            (n, _) => format!(
                "ok with {n} plausibility warning{} above",
                if n == 1 { "" } else { "s" }
            ),
        };
        say(&format!(
            "{}: {verdict} ({}, {} region{}, {}-{})\n",
            loaded.source.path.display(),
            loaded.scenario.name,
            loaded.scenario.regions.len(),
            if loaded.scenario.regions.len() == 1 {
                ""
            } else {
                "s"
            },
            loaded.scenario.base_year,
            loaded.scenario.end_year
        ));
    }
    Ok(())
}

/// Where a problem with the number of remitters is most likely caused: what makes migrants
/// remit (the propensity, else the remitting ages, else the receipts).
fn remitting_span(scenario: &Scenario) -> std::ops::Range<usize> {
    let spans = &scenario.spans;
    spans
        .remittances_propensity
        .clone()
        .or(spans.remittances_age_range.clone())
        .or(spans.remittances_received.clone())
        .unwrap_or(0..0)
}

/// Turns a calibration failure into an error located at the key behind it.
pub fn calibration_error(loaded: &LoadedScenario, err: CalibrationError) -> Error {
    let scenario = &loaded.scenario;
    match err {
        CalibrationError::Unreachable {
            region,
            origin,
            target,
            lowest,
            highest,
        } => {
            let who = match origin {
                Some(o) => format!(
                    "the migrants from \"{}\" in region \"{}\"",
                    scenario.origins[o], scenario.regions[region].name
                ),
                None => format!("region \"{}\"", scenario.regions[region].name),
            };
            let span = scenario.spans.region_stock[region].clone();
            loaded.error_at(
                Diagnostic::at(span, format!(
                    "no arrival growth in -0.5..=0.5 per year takes {who} from {} in {} to {} in {}: the model reaches {} to {} in {}",
                    crate::output::number(match origin {
                        Some(o) => scenario.regions[region].stock_by_origin[o].0,
                        None => scenario.regions[region].stock_base_persons,
                    }),
                    scenario.base_year,
                    crate::output::number(target),
                    scenario.calibration_year,
                    crate::output::number(lowest.round()),
                    crate::output::number(highest.round()),
                    scenario.calibration_year,
                ))
                .with_help(if target > highest {
                    "arrivals growing at 50 per cent a year cannot raise the stock that fast; check that both figures are persons of the same revision"
                } else {
                    "deaths and departures limit how fast a stock can fall; check the two figures, or raise the `departure` rates"
                }),
            )
        }
        CalibrationError::WorldUnreachable {
            target,
            lowest,
            highest,
        } => {
            let span = scenario.spans.region_stock.first().cloned().unwrap_or(0..0);
            loaded.error_at(
                Diagnostic::at(span, format!(
                    "the common trend of `arrivals.pooling = \"world\"` calibrates the world as one stream, and no arrival growth in -0.5..=0.5 per year takes it from {} in {} to {} in {} (the sums of every region's figures): the model reaches {} to {}",
                    crate::output::number(scenario.regions.iter().map(|r| r.stock_base_persons).sum::<f64>()),
                    scenario.base_year,
                    crate::output::number(target),
                    scenario.calibration_year,
                    crate::output::number(lowest.round()),
                    crate::output::number(highest.round()),
                ))
                .with_help("check the regions' figures, or set `arrivals.pooling = \"arrivals\"` (revision 2's weighting of the regions' own growths)"),
            )
        }
        CalibrationError::NoRemitters { year } => {
            let span = remitting_span(scenario);
            loaded.error_at(Diagnostic::at(span, format!(
                "no migrant remits in {year} (`remittances.age_range` and `remittances.propensity` leave no effective remitters), so remittances cannot be calibrated"
            )))
        }
        CalibrationError::AmountPerRemitter {
            year,
            amount,
            remitters,
        } => {
            let span = remitting_span(scenario);
            loaded.error_at(
                Diagnostic::at(span, format!(
                    "the remittances received in {year} would take {} US dollars a year from each effective remitter ({} effective remitters), more than {}",
                    crate::output::tables::grouped(amount),
                    crate::output::tables::grouped(remitters),
                    crate::output::tables::grouped(crate::calibrate::MAX_AMOUNT_PER_REMITTER),
                ))
                .with_help("too few migrants remit: check `remittances.propensity` and `remittances.age_range` against `arrivals.age_schedule` (who arrives at which age), and that `remittances.received` is in US dollars, not thousands"),
            )
        }
        CalibrationError::RemittanceGrowth { growth } => {
            let span = scenario.spans.remittances_received.clone().unwrap_or(0..0);
            loaded.error_at(
                Diagnostic::at(span, format!(
                    "`remittances.received` implies that the amount sent per remitter grows by {growth:.3} per year from {} to {}, outside -{limit}..={limit}",
                    scenario.base_year,
                    scenario.calibration_year,
                    limit = crate::calibrate::REMITTANCE_GROWTH_LIMIT,
                ))
                .with_help("check that both figures are current US dollars of the same series"),
            )
        }
    }
}

/// Runs the deterministic projection of a loaded scenario.
pub fn project(loaded: &LoadedScenario) -> Result<DeterministicRun> {
    project_within(loaded, DEFAULT_MAX_MEMORY)
}

/// [`project`] without the sex, age and duration detail: what `check` needs.
pub fn project_series(loaded: &LoadedScenario) -> Result<DeterministicRun> {
    project_checked(loaded, DEFAULT_MAX_MEMORY, false)
}

/// The default of `--max-memory` (also the bound of `check`).
pub const DEFAULT_MAX_MEMORY: u64 = 4 << 30;

/// [`project`], refusing first a scenario whose deterministic run would need more than
/// `max_memory` bytes.
pub fn project_within(loaded: &LoadedScenario, max_memory: u64) -> Result<DeterministicRun> {
    project_checked(loaded, max_memory, true)
}

fn project_checked(
    loaded: &LoadedScenario,
    max_memory: u64,
    detail: bool,
) -> Result<DeterministicRun> {
    let needed = crate::simulate::deterministic_memory_bytes(&loaded.scenario);
    if needed > u128::from(max_memory) {
        let s = &loaded.scenario;
        return Err(loaded.error_at(
            Diagnostic::whole_file(format!(
                "the deterministic run would need about {} of memory ({} regions x {} origin groups, {} years, durations to {}), more than --max-memory {}",
                human_bytes(needed),
                s.regions.len(),
                s.origins.len().max(1),
                s.end_year - s.base_year + 1,
                s.max_duration,
                human_bytes(u128::from(max_memory))
            ))
            .with_help("use fewer regions or years, a lower `max_duration`, or raise --max-memory"),
        ));
    }
    let run = crate::simulate::run_deterministic_with(&loaded.scenario, detail)
        .map_err(|e| calibration_error(loaded, e))?;
    // Impossible figures are errors: more migrants than people in some year.
    let world = crate::simulate::streams::entity_index(&loaded.scenario, None, None)
        .unwrap_or(run.derived.len() - 1);
    let share = &run.derived[world][7];
    if let Some(t) = share.iter().position(|s| s.is_nan() || *s > 1.0) {
        let scenario = &loaded.scenario;
        let year = scenario.base_year + t as i32;
        return Err(loaded.error_at(
            Diagnostic::whole_file(format!(
                "the projection has {} migrants in {year}, more than the world population of {} given by `[world_population]`",
                crate::output::tables::grouped(run.derived[world][0][t]),
                crate::output::tables::grouped(run.rates.world_population[t]),
            ))
            .with_help("check `[[arrivals.change]]` (a multiplier such as 1000 instead of 1.1), the arrival trend, and the world population"),
        ));
    }
    Ok(run)
}

/// Prints warnings on stderr, naming the scenario file.
fn print_warnings(loaded: &LoadedScenario, warnings: &[crate::plausibility::Warning]) {
    for w in warnings {
        eprintln!("warning: {}: {}", loaded.source.path.display(), w.message);
    }
}

/// Names the scenario file in an error that has no location of its own.
fn in_scenario(loaded: &LoadedScenario, err: Error) -> Error {
    match err {
        Error::InputPlain(message) => Error::InputPlain(message.replacen(
            "error: ",
            &format!("error: {}: ", loaded.source.path.display()),
            1,
        )),
        other => other,
    }
}

pub(crate) fn human_bytes(bytes: u128) -> String {
    let gib = bytes as f64 / (1u64 << 30) as f64;
    if gib >= 1024.0 {
        format!("{:.1} TiB", gib / 1024.0)
    } else if gib >= 1.0 {
        format!("{gib:.1} GiB")
    } else {
        format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
    }
}

/// Reads a run folder's tables (as `plot` does).
pub fn read_run_tables(dir: &Path) -> Result<crate::output::charts::data::RunTables> {
    if !dir.is_dir() {
        return Err(Error::InputPlain(format!(
            "error: `{}` is not a run folder (expected a folder such as output/baseline)",
            dir.display()
        )));
    }
    // A compare folder (issue 22 item 13: "no run.json (run the scenario first)" misled).
    if !dir.join("run.json").exists() && dir.join("compare.csv").is_file() {
        return Err(Error::InputPlain(format!(
            "error: `{}` is a compare folder, not a run folder: `migproj compare` draws its charts (run it again to redraw them), `migproj report` reads it as it is; plot redraws a run folder, such as those inside it: `{}`",
            dir.display(),
            dir.join("runs").join("NAME").display()
        )));
    }
    let read = |name: &str| -> Result<Option<SourceFile>> {
        let path = dir.join(name);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            return Ok(None);
        };
        // migproj writes regular files only: a link (to /etc/passwd, say) or a device in a
        // run folder is refused before a byte of it is read or quoted (issue 22 item 32).
        if !meta.file_type().is_file() {
            return Err(Error::InputPlain(format!(
                "error: `{}` is not a regular file (a symbolic link, folder, FIFO or device): migproj writes its tables as regular files, so the folder was altered; rerun the scenario",
                path.display()
            )));
        }
        let bytes = crate::scenario::read_input_file(&path, "table")?;
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Some(SourceFile::new(path, text))),
            Err(_) => Err(Error::InputPlain(format!(
                "error: `{}` is not UTF-8 text",
                path.display()
            ))),
        }
    };
    load_tables(&read)
}

fn default_run_args(
    scenario: &Path,
    out: &Path,
    trajectories: Option<usize>,
    seed: Option<u64>,
    quiet: bool,
) -> RunArgs {
    RunArgs {
        scenarios: vec![scenario.to_path_buf()],
        out: out.to_path_buf(),
        trajectories,
        seed,
        threads: None,
        deterministic: false,
        write_trajectories: None,
        max_memory: DEFAULT_MAX_MEMORY,
        chart_size: crate::output::charts::DEFAULT_SIZE,
        no_charts: false,
        quiet,
        keep: false,
        shard: None,
        trajectory_range: None,
    }
}

/// Writes charts as `charts/NAME.svg` and `charts/NAME.png` at the default size.
fn write_charts(
    folder: &OutputFolder,
    charts: &[crate::output::charts::draw::Chart],
) -> Result<()> {
    let size = crate::output::charts::DEFAULT_SIZE;
    for chart in charts {
        folder.write(
            &format!("charts/{}.svg", chart.file_stem),
            crate::output::charts::render_svg(chart, size)?.as_bytes(),
        )?;
        folder.write(
            &format!("charts/{}.png", chart.file_stem),
            &crate::output::charts::render_png(chart, size)?,
        )?;
    }
    Ok(())
}

/// A scenario or output folder name: 1 to 64 characters from a-z, 0-9, '-', '_'.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A progress bar on a terminal (none with --quiet or when stderr is not a terminal).
fn progress_bar(quiet: bool, length: u64, message: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len}, {elapsed} elapsed, {eta} left")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(message.to_string());
    bar
}

fn read_text(path: &Path, what: &str) -> Result<SourceFile> {
    let bytes = crate::scenario::read_input_file(path, what)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::InputPlain(format!("error: `{}` is not UTF-8 text", path.display())))?;
    Ok(SourceFile::new(path, text))
}
