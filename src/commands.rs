//! The commands behind the CLI: `run`, `check`, `new`.

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
use crate::simulate::monte_carlo::{run_monte_carlo, summary_memory_bytes, MonteCarlo};
use crate::simulate::{run_deterministic, DeterministicRun};

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
            };
            report(&dirs, &out, force, &options)
        }
        Command::Estimate(args) => estimate(&args),
        Command::Plot { dirs, chart_size } => {
            for dir in dirs {
                plot(&dir, chart_size)?;
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
        let run = project(&loaded)?;
        print_warnings(
            &loaded,
            &crate::plausibility::warnings(&loaded.scenario, &run, None),
        );
        say(&format!(
            "{}: ok ({}, {} region{}, {}-{})\n",
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
        CalibrationError::NoRemitters { year } => {
            // Located where the cause most likely is: what makes migrants remit.
            let spans = &scenario.spans;
            let span = spans
                .remittances_propensity
                .clone()
                .or(spans.remittances_age_range.clone())
                .or(spans.remittances_received.clone())
                .unwrap_or(0..0);
            loaded.error_at(Diagnostic::at(span, format!(
                "no migrant remits in {year} (`remittances.age_range` and `remittances.propensity` leave no effective remitters), so remittances cannot be calibrated"
            )))
        }
        CalibrationError::AmountPerRemitter {
            year,
            amount,
            remitters,
        } => {
            let spans = &scenario.spans;
            let span = spans
                .remittances_propensity
                .clone()
                .or(spans.remittances_age_range.clone())
                .or(spans.remittances_received.clone())
                .unwrap_or(0..0);
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

/// The default of `--max-memory` (also the bound of `check`).
pub const DEFAULT_MAX_MEMORY: u64 = 4 << 30;

/// [`project`], refusing first a scenario whose deterministic run would need more than
/// `max_memory` bytes.
pub fn project_within(loaded: &LoadedScenario, max_memory: u64) -> Result<DeterministicRun> {
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
    let run = run_deterministic(&loaded.scenario).map_err(|e| calibration_error(loaded, e))?;
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

/// Everything a run writes, as `(relative path, bytes)`, built in memory: the tables, the
/// Monte Carlo summaries, run.json and the charts. Nothing touches the disk here, so a run
/// that fails writes nothing.
pub fn build_outputs(
    args: &RunArgs,
    loaded: &LoadedScenario,
    started: Instant,
) -> Result<Vec<(String, Vec<u8>)>> {
    build_run(args, loaded, started).map(|built| built.files)
}

/// The files of a run: `(relative path, bytes)`.
pub type OutputFiles = Vec<(String, Vec<u8>)>;

/// Everything a run made: its files, its plausibility warnings (also in warnings.csv), the
/// deterministic run and the Monte Carlo with the settings it used (for paired comparisons).
pub struct BuiltRun {
    pub files: OutputFiles,
    pub warnings: Vec<crate::plausibility::Warning>,
    pub run: DeterministicRun,
    pub monte_carlo: Option<(MonteCarlo, Uncertainty)>,
}

/// [`build_outputs`], keeping what the run computed.
pub fn build_run(args: &RunArgs, loaded: &LoadedScenario, started: Instant) -> Result<BuiltRun> {
    let scenario = &loaded.scenario;
    let run = project_within(loaded, args.max_memory)?;
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (
            "projection.csv".into(),
            tables::projection_csv(scenario, &run)?,
        ),
        (
            "structure.csv".into(),
            tables::structure_csv(scenario, &run)?,
        ),
        (
            "calibration.csv".into(),
            tables::calibration_csv(scenario, &run)?,
        ),
        ("duration.csv".into(), tables::duration_csv(scenario, &run)?),
        ("markers.csv".into(), tables::markers_csv(scenario)?),
        (
            "assumptions.csv".into(),
            tables::assumptions_csv(scenario, &run)?,
        ),
        (
            "comparison.csv".into(),
            tables::comparison_csv(scenario, &run)?,
        ),
    ];
    if !scenario.origins.is_empty() {
        files.push((
            "remittances.csv".into(),
            tables::remittances_csv(scenario, &run)?,
        ));
    }
    let monte_carlo = if args.deterministic {
        None
    } else {
        monte_carlo(args, loaded, &run)?
    };
    let warnings =
        crate::plausibility::warnings(scenario, &run, monte_carlo.as_ref().map(|m| &m.0));
    files.push((
        "warnings.csv".into(),
        crate::plausibility::warnings_csv(scenario, &warnings)?,
    ));
    let mut mc_manifest = serde_json::Value::Null;
    if let Some((mc, uncertainty, seconds, threads)) = &monte_carlo {
        let scenario_mc = Scenario {
            uncertainty: uncertainty.clone(),
            ..scenario.clone()
        };
        files.push((
            "summary.csv".into(),
            summary::summary_csv(&scenario_mc, mc)?,
        ));
        if !uncertainty.events.is_empty() {
            files.push((
                "probabilities.csv".into(),
                summary::probabilities_csv(&scenario_mc, mc)?,
            ));
        }
        mc_manifest = serde_json::json!({
            "trajectories": uncertainty.trajectories,
            "seed": uncertainty.seed,
            "threads": threads,
            "generator": "ChaCha8 (rand 0.10): seed_from_u64(seed), stream = trajectory index",
            "seconds": seconds,
        });
    }
    let extra = serde_json::json!({ "monte_carlo": mc_manifest });
    files.push((
        "run.json".into(),
        tables::run_json(loaded, started.elapsed().as_secs_f64(), extra),
    ));
    if !args.no_charts {
        // The charts are drawn from the very bytes of the tables, as `migproj plot` does.
        let run_tables = load_tables(&|name: &str| {
            Ok(files.iter().find(|(n, _)| n == name).map(|(n, bytes)| {
                SourceFile::new(n.as_str(), String::from_utf8_lossy(bytes).into_owned())
            }))
        })?;
        for (name, bytes) in render_all(&run_tables, args.chart_size)? {
            files.push((format!("charts/{name}"), bytes));
        }
    }
    Ok(BuiltRun {
        files,
        warnings,
        run,
        monte_carlo: monte_carlo.map(|(mc, uncertainty, _, _)| (mc, uncertainty)),
    })
}

/// Prints warnings on stderr, naming the scenario file.
fn print_warnings(loaded: &LoadedScenario, warnings: &[crate::plausibility::Warning]) {
    for w in warnings {
        eprintln!("warning: {}: {}", loaded.source.path.display(), w.message);
    }
}

/// [`build_outputs`] with errors that name the scenario file, as `run` reports them.
pub fn run_outputs(args: &RunArgs, loaded: &LoadedScenario) -> Result<Vec<(String, Vec<u8>)>> {
    build_outputs(args, loaded, Instant::now()).map_err(|e| in_scenario(loaded, e))
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

pub fn run(args: &RunArgs) -> Result<()> {
    let scenarios = load_all(&args.scenarios)?;
    for (i, loaded) in scenarios.iter().enumerate() {
        if let Some(other) = scenarios[..i]
            .iter()
            .find(|o| o.scenario.name == loaded.scenario.name)
        {
            return Err(Error::InputPlain(format!(
                "error: `{}` and `{}` are both named \"{}\" and would write the same folder; give one its own `scenario.name`",
                other.source.path.display(),
                loaded.source.path.display(),
                loaded.scenario.name
            )));
        }
    }
    for loaded in &scenarios {
        run_loaded(args, loaded)?;
    }
    Ok(())
}

/// Runs one loaded scenario and writes its folder; returns the folder.
pub fn run_loaded(args: &RunArgs, loaded: &LoadedScenario) -> Result<std::path::PathBuf> {
    let started = Instant::now();
    let built = build_run(args, loaded, started).map_err(|e| in_scenario(loaded, e))?;
    print_warnings(loaded, &built.warnings);
    let files = built.files;
    let scenario = &loaded.scenario;
    let folder = OutputFolder::create(&args.out, &scenario.name)?;
    for (name, bytes) in &files {
        folder.write(name, bytes)?;
    }
    if let (Some(format), Some((mc, uncertainty))) = (args.write_trajectories, &built.monte_carlo) {
        // Streamed into the staging folder: no copy of the trajectories is built in memory.
        let scenario_mc = crate::scenario::Scenario {
            uncertainty: uncertainty.clone(),
            ..scenario.clone()
        };
        crate::output::trajectories::write(&folder, &scenario_mc, mc, format)?;
    }
    let wall = started.elapsed().as_secs_f64();
    let previous = folder.target().join("run.json");
    let old = std::fs::read(&previous)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok());
    let new = files
        .iter()
        .find(|(n, _)| n == "run.json")
        .and_then(|(_, bytes)| serde_json::from_slice::<serde_json::Value>(bytes).ok());
    let kept = (args.keep && folder.target().exists()).then(|| numbered_backup(folder.target()));
    let target = folder.commit_keeping(kept.as_deref())?;
    if let (Some(old), Some(new)) = (&old, &new) {
        let (was, now) = (run_identity(old), run_identity(new));
        if was != now {
            match &kept {
                Some(backup) => eprintln!(
                    "kept {} (was {}) as {}",
                    target.display(),
                    describe_run(old),
                    backup.display()
                ),
                None => eprintln!(
                    "replaced {}: was {}; now {} (--keep keeps the previous run)",
                    target.display(),
                    describe_run(old),
                    describe_run(new)
                ),
            }
        }
    }
    if !args.quiet {
        eprintln!(
            "{}: wrote {} ({} region{}, {}-{}, data revision {}) in {:.2} s",
            loaded.source.path.display(),
            target.display(),
            scenario.regions.len(),
            if scenario.regions.len() == 1 { "" } else { "s" },
            scenario.base_year,
            scenario.end_year,
            scenario.data_revision,
            wall
        );
    }
    Ok(target)
}

/// What identifies a run's results: the scenario's sha256, and the trajectories and seed of
/// its Monte Carlo (none: deterministic).
fn run_identity(json: &serde_json::Value) -> (String, Option<u64>, Option<u64>) {
    (
        json.pointer("/scenario/sha256")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string(),
        json.pointer("/monte_carlo/trajectories")
            .and_then(|v| v.as_u64()),
        json.pointer("/monte_carlo/seed").and_then(|v| v.as_u64()),
    )
}

/// "10,000 trajectories, seed 7, of scenarios/regions.toml (sha256 69fe2b7a)".
fn describe_run(json: &serde_json::Value) -> String {
    let (sha, trajectories, seed) = run_identity(json);
    let path = json
        .pointer("/scenario/path")
        .and_then(|v| v.as_str())
        .unwrap_or("?");
    let mode = match (trajectories, seed) {
        (Some(n), Some(seed)) => format!(
            "{} trajectories, seed {seed}",
            crate::output::tables::grouped(n as f64)
        ),
        _ => "deterministic".to_string(),
    };
    format!("{mode}, of {path} (sha256 {})", &sha[..sha.len().min(8)])
}

/// The first free `PATH.~N~` (the numbered backups of `cp --backup=numbered`).
fn numbered_backup(path: &Path) -> std::path::PathBuf {
    let mut n = 1;
    loop {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".~{n}~"));
        let candidate = std::path::PathBuf::from(name);
        if !candidate.exists() {
            return candidate;
        }
        n += 1;
    }
}

type MonteCarloOutcome = Option<(MonteCarlo, Uncertainty, f64, usize)>;

/// Runs the Monte Carlo of a scenario (with the command line's overrides), after checking
/// that its summaries fit in the memory allowed.
fn monte_carlo(
    args: &RunArgs,
    loaded: &LoadedScenario,
    run: &DeterministicRun,
) -> Result<MonteCarloOutcome> {
    let scenario = &loaded.scenario;
    let mut uncertainty = scenario.uncertainty.clone();
    if let Some(n) = args.trajectories {
        uncertainty.trajectories = n;
    }
    if let Some(seed) = args.seed {
        uncertainty.seed = seed;
    }
    if uncertainty.trajectories == 0 {
        return Ok(None);
    }
    let bytes = summary_memory_bytes(
        uncertainty.trajectories,
        run.derived.len(),
        run.derived[0].len(),
        run.rates.n_years,
    );
    if bytes > u128::from(args.max_memory) {
        return Err(Error::InputPlain(format!(
            "error: {} trajectories would need {} of memory for their summaries ({} trajectories x {} series (regions and World) x {} variables x {} years x 8 bytes), more than --max-memory {}; use fewer trajectories or raise --max-memory",
            uncertainty.trajectories,
            human_bytes(bytes),
            uncertainty.trajectories,
            run.derived.len(),
            run.derived[0].len(),
            run.rates.n_years,
            human_bytes(u128::from(args.max_memory)),
        )));
    }
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Environment(format!("cannot start {threads} worker threads: {e}")))?;
    let bar = if !args.quiet && std::io::stderr().is_terminal() {
        let bar = ProgressBar::with_draw_target(
            Some(uncertainty.trajectories as u64),
            ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:40}] {pos}/{len} trajectories, {elapsed} elapsed, {eta} left",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_message(format!("{}: Monte Carlo", scenario.name));
        Some(bar)
    } else {
        None
    };
    let started = Instant::now();
    let tick = || {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    let mc = pool.install(|| run_monte_carlo(scenario, run, &uncertainty, &tick));
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let seconds = started.elapsed().as_secs_f64();
    if !args.quiet {
        eprintln!(
            "{}: {} trajectories (seed {}) in {:.2} s on {} thread{}",
            scenario.name,
            uncertainty.trajectories,
            uncertainty.seed,
            seconds,
            threads,
            if threads == 1 { "" } else { "s" }
        );
    }
    Ok(Some((mc, uncertainty, seconds, threads)))
}

fn human_bytes(bytes: u128) -> String {
    let gib = bytes as f64 / (1u64 << 30) as f64;
    if gib >= 1.0 {
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
    let read = |name: &str| -> Result<Option<SourceFile>> {
        let path = dir.join(name);
        if !path.exists() {
            return Ok(None);
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

/// `migproj compare`.
pub fn compare(
    inputs: &[std::path::PathBuf],
    out: &Path,
    trajectories: Option<usize>,
    seed: Option<u64>,
    years: &[i32],
    against: Option<&Path>,
    quiet: bool,
) -> Result<()> {
    use crate::compare::{
        compare_charts, compare_csv, difference_charts, differences, differences_csv,
        differences_text, Compared,
    };
    // Everything is read and checked before anything runs or is written.
    enum Input {
        Scenario(Box<LoadedScenario>),
        Folder(
            std::path::PathBuf,
            Box<crate::output::charts::data::RunTables>,
        ),
    }
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut members: Vec<(Input, Option<std::path::PathBuf>)> = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        if input.is_dir() {
            match read_run_tables(input) {
                Ok(tables) => members.push((Input::Folder(input.clone(), Box::new(tables)), None)),
                Err(e) => errors.push(e),
            }
        } else {
            match load_scenario(input) {
                Ok(l) => members.push((Input::Scenario(Box::new(l)), Some(canonical(input)))),
                Err(e) => errors.push(e),
            }
        }
    }
    if !errors.is_empty() {
        return Err(Error::InputPlain(
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        ));
    }
    // References: --against, else the file a variant extends (run here if not given).
    let against_index = match against {
        Some(path) => {
            let key = canonical(path);
            match members.iter().position(|(_, p)| p.as_ref() == Some(&key)) {
                Some(i) => Some(i),
                None => {
                    members.push((Input::Scenario(Box::new(load_scenario(path)?)), Some(key)));
                    Some(members.len() - 1)
                }
            }
        }
        None => None,
    };
    let mut references: Vec<Option<usize>> = vec![None; members.len()];
    let mut i = 0;
    while i < members.len() {
        let reference = if against.is_some() {
            against_index.filter(|&a| a != i)
        } else if let Input::Scenario(l) = &members[i].0 {
            match l.extends.first() {
                Some(parent) => {
                    let key = canonical(parent);
                    match members.iter().position(|(_, p)| p.as_ref() == Some(&key)) {
                        Some(j) => Some(j),
                        None => {
                            members.push((
                                Input::Scenario(Box::new(load_scenario(parent)?)),
                                Some(key),
                            ));
                            references.push(None);
                            Some(members.len() - 1)
                        }
                    }
                }
                None => None,
            }
        } else {
            None
        };
        references[i] = reference;
        i += 1;
    }
    let names: Vec<String> = members
        .iter()
        .map(|(m, _)| match m {
            Input::Scenario(l) => l.scenario.name.clone(),
            Input::Folder(dir, _) => dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        })
        .collect();
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            return Err(Error::InputPlain(format!(
                "error: two of the compared runs are named \"{name}\" and would write the same folder; give one its own `scenario.name`"
            )));
        }
    }
    // Every requested year must be in every run.
    for ((m, _), name) in members.iter().zip(&names) {
        let (first, last) = match m {
            Input::Scenario(l) => (l.scenario.base_year, l.scenario.end_year),
            Input::Folder(_, t) => (
                *t.years.first().unwrap_or(&0),
                *t.years.last().unwrap_or(&0),
            ),
        };
        if let Some(y) = years.iter().find(|y| **y < first || **y > last) {
            return Err(Error::InputPlain(format!(
                "error: --years asks for {y}, but {name} runs {first}-{last}; choose years every compared run has"
            )));
        }
    }
    let folder = OutputFolder::create(out, "compare")?;
    let mut runs = Vec::new();
    for ((member, _), name) in members.into_iter().zip(&names) {
        let compared = match member {
            Input::Folder(_, tables) => Compared {
                name: name.clone(),
                tables: *tables,
                monte_carlo: None,
                entities: Vec::new(),
                variables: Vec::new(),
                reference: None,
            },
            Input::Scenario(loaded) => {
                let runs_dir = out.join("compare").join("runs");
                let args =
                    default_run_args(&loaded.source.path, &runs_dir, trajectories, seed, quiet);
                let built = build_run(&args, &loaded, Instant::now())
                    .map_err(|e| in_scenario(&loaded, e))?;
                print_warnings(&loaded, &built.warnings);
                for (file, bytes) in &built.files {
                    folder.write(&format!("runs/{name}/{file}"), bytes)?;
                }
                let files = &built.files;
                let tables = load_tables(&|n: &str| {
                    Ok(files.iter().find(|(f, _)| f == n).map(|(f, bytes)| {
                        SourceFile::new(f.as_str(), String::from_utf8_lossy(bytes).into_owned())
                    }))
                })?;
                Compared {
                    name: name.clone(),
                    tables,
                    // Entity keys in the order of the trajectories' series, as the tables
                    // name them (group rows as `Region | group`).
                    entities: crate::simulate::streams::entities(&loaded.scenario)
                        .iter()
                        .map(|e| match e.group {
                            None => e.region.clone(),
                            Some(_) => crate::output::charts::data::group_key(&e.region, &e.origin),
                        })
                        .collect(),
                    variables: crate::simulate::variable_names(&loaded.scenario),
                    monte_carlo: built.monte_carlo,
                    reference: None,
                }
            }
        };
        runs.push(compared);
    }
    for (run, reference) in runs.iter_mut().zip(&references) {
        run.reference = *reference;
    }
    for run in &runs {
        if let Some(r) = run.reference {
            let (a, b) = (
                &run.tables.meta.data_revision,
                &runs[r].tables.meta.data_revision,
            );
            if a != b {
                eprintln!(
                    "warning: {} ({a}) is compared with {} ({b}): different data revisions, so the differences mix revisions with assumptions",
                    run.name, runs[r].name
                );
            }
            if let Err(reason) = crate::compare::pairing(run, &runs[r]) {
                if run.monte_carlo.is_some() || runs[r].monte_carlo.is_some() {
                    eprintln!(
                        "note: {} and {} cannot be paired ({reason}): their medians are differenced, without intervals",
                        run.name, runs[r].name
                    );
                }
            }
        }
    }
    let rows = differences(&runs);
    folder.write("compare.csv", &compare_csv(&runs)?)?;
    folder.write("differences.csv", &differences_csv(&rows)?)?;
    let mut charts = compare_charts(&runs);
    charts.extend(difference_charts(&runs, &rows));
    write_charts(&folder, &charts)?;
    let world = runs
        .first()
        .map(|r| r.tables.world().to_string())
        .unwrap_or_default();
    let text = differences_text(&rows, years, &world);
    folder.write(
        "differences.md",
        format!("# Differences\n\n{text}").as_bytes(),
    )?;
    let target = folder.commit()?;
    if text.is_empty() {
        say("No variant among the compared runs: differences.csv is empty (a variant names its reference with `extends`, or use --against)\n");
    } else {
        say(&text);
    }
    if !quiet {
        eprintln!(
            "compared {} runs: wrote {} (their runs in {}/runs/)",
            runs.len(),
            target.display(),
            target.display()
        );
    }
    Ok(())
}

/// `migproj hindcast`.
pub fn hindcast(
    scenario: &Path,
    observed: &Path,
    out: &Path,
    trajectories: Option<usize>,
    seed: Option<u64>,
    quiet: bool,
) -> Result<()> {
    use crate::hindcast::{explain, hindcast_csv, read_observations, score, Known, Quantiles};
    let loaded = load_scenario(scenario)?;
    let s = &loaded.scenario;
    // Check the observations before running anything.
    let file = read_text(observed, "observations file")?;
    let regions = crate::simulate::entity_names(s);
    // Every column of projection.csv: the Monte Carlo variables (scored against their fans)
    // and the deterministic-only ones (female_share, median_age).
    let mut variables = crate::simulate::variable_names(s);
    variables.extend(["female_share".to_string(), "median_age".to_string()]);
    let known = Known {
        regions: &regions,
        variables: &variables,
        calibration_year: s.calibration_year,
        end_year: s.end_year,
    };
    let observations = read_observations(&file, &known)?;
    // The run is written inside NAME-hindcast/run/, never over OUT/NAME.
    let folder = OutputFolder::create(out, &format!("{}-hindcast", s.name))?;
    let args = default_run_args(&loaded.source.path, out, trajectories, seed, quiet);
    let built = build_run(&args, &loaded, Instant::now()).map_err(|e| in_scenario(&loaded, e))?;
    print_warnings(&loaded, &built.warnings);
    for (file, bytes) in &built.files {
        folder.write(&format!("run/{file}"), bytes)?;
    }
    let files = &built.files;
    let tables = load_tables(&|n: &str| {
        Ok(files.iter().find(|(f, _)| f == n).map(|(f, bytes)| {
            SourceFile::new(f.as_str(), String::from_utf8_lossy(bytes).into_owned())
        }))
    })?;
    let (scored, summary) = score(&observations, |o| {
        let t = tables.year_index(o.year)?;
        match tables.fan(&o.region, &o.variable) {
            Some(f) => Some(Quantiles {
                p2_5: f.p2_5[t],
                p10: f.p10[t],
                p25: f.p25[t],
                p50: f.p50[t],
                p75: f.p75[t],
                p90: f.p90[t],
                p97_5: f.p97_5[t],
            }),
            None => tables
                .series(&o.region, &o.variable)
                .map(|v| Quantiles::point(v[t])),
        }
    });
    let groups = crate::hindcast::group_scores(&scored);
    let text = explain(
        &summary,
        &groups,
        &tables.meta.scenario_title,
        tables.fans.as_ref().and(tables.meta.trajectories),
    );
    folder.write("hindcast.csv", &hindcast_csv(s, &scored)?)?;
    folder.write("scores.csv", &crate::hindcast::scores_csv(s, &groups)?)?;
    folder.write(
        "hindcast.md",
        format!(
            "# Hindcast\n\n{text}\nCoverage of the 50% interval: {:.3}\nCoverage of the 80% interval: {:.3}\nCoverage of the 95% interval: {:.3}\nMedian absolute percentage error: {:.3}\nBias of the median (mean percentage error): {:.3}\n",
            summary.coverage_50,
            summary.coverage_80,
            summary.coverage_95,
            summary.median_absolute_per_cent_error,
            summary.bias_per_cent
        )
        .as_bytes(),
    )?;
    write_charts(
        &folder,
        &crate::output::charts::hindcast_charts(&tables, &scored, s.calibration_year),
    )?;
    let target = folder.commit()?;
    say(&text);
    if !quiet {
        eprintln!("wrote {}", target.display());
    }
    Ok(())
}

/// `migproj report`.
pub fn report(
    dirs: &[std::path::PathBuf],
    out: &Path,
    force: bool,
    options: &crate::report::ReportOptions,
) -> Result<()> {
    // Readers of the run folders: a run replacing one of them meanwhile waits. Locks are
    // taken in one order (sorted paths) so that two reports cannot wait on each other.
    let mut locked: Vec<&std::path::PathBuf> = dirs.iter().collect();
    locked.sort();
    locked.dedup();
    let _locks = locked
        .iter()
        .map(|dir| Lock::for_target(dir, WhenBusy::Wait))
        .collect::<Result<Vec<_>>>()?;
    let mut runs = Vec::new();
    let mut comparisons = Vec::new();
    for dir in dirs {
        if let Some(comparison) = crate::report::read_comparison(dir) {
            comparisons.push(comparison);
            continue;
        }
        let tables = read_run_tables(dir)?;
        runs.push(crate::report::read_run(dir, tables)?);
    }
    let report_dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    std::fs::create_dir_all(&report_dir)
        .map_err(|e| Error::environment("cannot create", &report_dir, e))?;
    let md_path = out.with_extension("md");
    let html_path = out.with_extension("html");
    let _lock = Lock::for_target(&md_path, WhenBusy::Refuse)?;
    for path in [&md_path, &html_path] {
        refuse_to_replace_foreign(path, force)?;
    }
    for text in [&options.title, &options.author, &Some(options.date.clone())]
        .into_iter()
        .flatten()
    {
        if text.chars().count() > 500 || text.chars().any(char::is_control) {
            return Err(Error::InputPlain(
                "error: report --title, --author and --date take at most 500 characters, without control characters".into(),
            ));
        }
    }
    if let Some(years) = &options.years {
        crate::report::check_years(years, &runs)?;
    }
    let files = [
        (
            &md_path,
            crate::report::markdown(&runs, &comparisons, options, &report_dir),
        ),
        (
            &html_path,
            crate::report::html(&runs, &comparisons, options)?,
        ),
    ];
    // Both written beside their targets first, then renamed: never a half-written report,
    // and no partial file left behind when the disk is full.
    let mut partials = Vec::new();
    for (path, text) in &files {
        let partial = path.with_extension(format!(
            "{}.partial-{}",
            path.extension().and_then(|e| e.to_str()).unwrap_or(""),
            std::process::id()
        ));
        partials.push(partial.clone());
        if let Err(e) = write_synced(&partial, text.as_bytes()) {
            for p in &partials {
                let _ = std::fs::remove_file(p);
            }
            return Err(Error::environment("cannot write", &partial, e));
        }
    }
    for ((path, _), partial) in files.iter().zip(&partials) {
        std::fs::rename(partial, path).map_err(|e| {
            let _ = std::fs::remove_file(partial);
            Error::environment("cannot write", path, e)
        })?;
    }
    eprintln!("wrote {} and {}", md_path.display(), html_path.display());
    Ok(())
}

pub use crate::report::REPORT_MARK;

/// A report replaces only a file that migproj wrote, unless `--force`.
fn refuse_to_replace_foreign(path: &Path, force: bool) -> Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if force {
        return Ok(());
    }
    let ours = meta.is_file()
        && std::fs::File::open(path)
            .ok()
            .and_then(|f| {
                use std::io::Read;
                let mut head = vec![0u8; REPORT_MARK.len()];
                f.take(REPORT_MARK.len() as u64)
                    .read_exact(&mut head)
                    .ok()?;
                Some(head == REPORT_MARK.as_bytes())
            })
            .unwrap_or(false);
    if ours {
        return Ok(());
    }
    Err(Error::InputPlain(format!(
        "error: `{}` exists and was not written by migproj report; choose another --out, or add --force to replace it",
        path.display()
    )))
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Redraws the charts of a run folder from its tables; the new charts replace DIR/charts whole.
pub fn plot(dir: &Path, size: (u32, u32)) -> Result<()> {
    // Held while the tables are read and the charts written: a run replacing the folder
    // meanwhile waits, so the charts always match the tables beside them.
    let _lock = Lock::for_target(dir, WhenBusy::Wait)?;
    let run_tables = read_run_tables(dir)?;
    let files = render_all(&run_tables, size)?;
    let folder = OutputFolder::create(dir, "charts")?;
    for (name, bytes) in &files {
        folder.write(name, bytes)?;
    }
    let target = folder.commit()?;
    eprintln!("wrote {} charts to {}", files.len(), target.display());
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

pub fn new_scenario(name: &str, dir: &Path, force: bool) -> Result<()> {
    if crate::scenario::reserved_name(name) {
        return Err(Error::InputPlain(format!(
            "error: the scenario name \"{name}\" would collide with the output folder of `migproj compare`, `estimate` or `hindcast`; choose another name"
        )));
    }
    if !valid_name(name) {
        return Err(Error::InputPlain(format!(
            "error: the scenario name must be 1 to 64 characters from a-z, 0-9, '-', '_' (it names the file and the output folder), found \"{name}\""
        )));
    }
    if !dir.is_dir() {
        return Err(Error::InputPlain(format!(
            "error: --dir `{}` is not a folder (create it first)",
            dir.display()
        )));
    }
    let path = dir.join(format!("{name}.toml"));
    // A symlink counts as existing even when it dangles: never write through it unasked.
    let link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
    if link {
        return Err(Error::InputPlain(format!(
            "error: `{}` is a symbolic link; remove it or choose another name (migproj does not write through links)",
            path.display()
        )));
    }
    if path.exists() && !force {
        return Err(Error::InputPlain(format!(
            "error: `{}` exists; pass --force to overwrite it",
            path.display()
        )));
    }
    std::fs::write(&path, crate::scenario::template::template(name))
        .map_err(|e| Error::environment("cannot write", &path, e))?;
    eprintln!(
        "wrote {} (run it with: migproj run {})",
        path.display(),
        path.display()
    );
    Ok(())
}

fn read_text(path: &Path, what: &str) -> Result<SourceFile> {
    let bytes = crate::scenario::read_input_file(path, what)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::InputPlain(format!("error: `{}` is not UTF-8 text", path.display())))?;
    Ok(SourceFile::new(path, text))
}

/// `migproj estimate` (MODEL.md section 13).
pub fn estimate(args: &crate::cli::EstimateArgs) -> Result<()> {
    use crate::estimate::{output as out, read_remittance_history, read_stock_history};
    if !valid_name(&args.name) {
        return Err(Error::InputPlain(format!(
            "error: --name must be 1 to 64 characters from a-z, 0-9, '-', '_' (it names the output folder), found \"{}\"",
            args.name
        )));
    }
    let mut panels = Vec::new();
    for path in &args.histories {
        panels.push(read_stock_history(
            &read_text(path, "stock history")?,
            args.until,
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
    let result = crate::estimate::estimate(panels, remittances, &kernel, options, &|| bar.inc(1));
    bar.finish_and_clear();
    let command = estimate_command_line(args);
    let folder = OutputFolder::create(&args.out, &args.name)?;
    folder.write("estimate.csv", &out::parameters_csv(&result)?)?;
    folder.write("statistics.csv", &out::statistics_csv(&result)?)?;
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
fn estimate_command_line(args: &crate::cli::EstimateArgs) -> String {
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
