//! `migproj run`: builds every output of a scenario in memory, then writes the folder.

#[allow(unused_imports)]
use super::*;

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
    // A Monte Carlo whose summaries alone pass --max-memory is refused before any work (issue
    // 22 item 33: it was refused only after the deterministic run); the scenario's shape
    // gives their size.
    let trajectories = args
        .trajectories
        .unwrap_or(scenario.uncertainty.trajectories);
    if !args.deterministic && trajectories > 0 {
        let entities = crate::simulate::RunStructure::of(scenario).entities.len();
        let variables = crate::simulate::variable_names(scenario).len();
        let years = (scenario.end_year - scenario.base_year + 1) as usize;
        let summaries = summary_memory_bytes(trajectories, entities, variables, years);
        if summaries > u128::from(args.max_memory) {
            return Err(loaded.error_at(
                crate::error::Diagnostic::whole_file(format!(
                    "{trajectories} trajectories would need {} of memory for their summaries ({trajectories} trajectories x {entities} series x {variables} variables x {years} years x 8 bytes), more than --max-memory {}; nothing was run",
                    human_bytes(summaries),
                    human_bytes(u128::from(args.max_memory)),
                ))
                .with_help("use fewer trajectories (--trajectories), or raise --max-memory"),
            ));
        }
    }
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

/// [`build_outputs`] with errors that name the scenario file, as `run` reports them.
pub fn run_outputs(args: &RunArgs, loaded: &LoadedScenario) -> Result<Vec<(String, Vec<u8>)>> {
    build_outputs(args, loaded, Instant::now()).map_err(|e| in_scenario(loaded, e))
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
    // Every file was checked above; a scenario can still fail later (calibration, memory,
    // the population bound). Then the folders already written are named (issue 22 item 31).
    let mut written: Vec<std::path::PathBuf> = Vec::new();
    for loaded in &scenarios {
        match run_loaded(args, loaded) {
            Ok(folder) => written.push(folder),
            Err(err) if !written.is_empty() => {
                eprintln!(
                    "note: {} of the {} scenarios ran and were written before this error: {}; the others were not run",
                    written.len(),
                    scenarios.len(),
                    written
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                return Err(err);
            }
            Err(err) => return Err(err),
        }
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
    let folder = OutputFolder::create(&args.out, &scenario.name, crate::output::folder::Kind::Run)?;
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
    // Only a bounded regular file is read (a FIFO or a link to a device never is).
    let old = fs_regular(&previous)
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
pub(crate) fn run_identity(json: &serde_json::Value) -> (String, Option<u64>, Option<u64>) {
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
pub(crate) fn describe_run(json: &serde_json::Value) -> String {
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
pub(crate) fn numbered_backup(path: &Path) -> std::path::PathBuf {
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

pub(crate) type MonteCarloOutcome = Option<(MonteCarlo, Uncertainty, f64, usize)>;

/// Runs the Monte Carlo of a scenario (with the command line's overrides), after checking
/// that its summaries fit in the memory allowed.
pub(crate) fn monte_carlo(
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
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let summaries = summary_memory_bytes(
        uncertainty.trajectories,
        run.derived.len(),
        run.derived[0].len(),
        run.rates.n_years,
    );
    // Each thread works on one batch at a time, beside the summaries.
    let batches = threads as u128 * batch_memory_bytes(run, Engine::default().batch);
    if summaries + batches > u128::from(args.max_memory) {
        return Err(Error::InputPlain(format!(
            "error: {} trajectories would need {} of memory for their summaries ({} trajectories x {} series (regions and World) x {} variables x {} years x 8 bytes) and {} for the batches its {threads} thread(s) work on, more than --max-memory {}; use fewer trajectories or raise --max-memory",
            uncertainty.trajectories,
            human_bytes(summaries),
            uncertainty.trajectories,
            run.derived.len(),
            run.derived[0].len(),
            run.rates.n_years,
            human_bytes(batches),
            human_bytes(u128::from(args.max_memory)),
        )));
    }
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
    let mc = pool.install(|| run_monte_carlo(run, &uncertainty, &tick));
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let seconds = started.elapsed().as_secs_f64();
    // MODEL.md section 9 (revision 3): no trajectory above the world's population; a scenario
    // whose trajectories pass it is stopped, never clipped.
    let above = mc.above_world_population(&run.rates.world_population);
    if !above.is_empty() {
        let lines: Vec<String> = above
            .iter()
            .take(8)
            .map(|&(entity, count, first)| {
                let e = &run.structure.entities[entity];
                format!(
                    "  {}{}: {count} of {} trajectories, from {}",
                    e.region,
                    if e.origin == crate::scenario::ALL_ORIGINS {
                        String::new()
                    } else {
                        format!(" (origin {})", e.origin)
                    },
                    uncertainty.trajectories,
                    run.rates.year(first)
                )
            })
            .collect();
        return Err(Error::InputPlain(format!(
            "error: {}: in {} of its {} series, some trajectories of the migrant stock exceed the world's population (MODEL.md section 9: never clipped), so nothing was written:\n{}{}\nhelp: the uncertainty settings are too wide for this horizon: lower `uncertainty.world_growth_sd`, `world_shock_sd`, `region_shock_sd` or their `*_sd_rel_se`, or end the projection earlier",
            scenario.name,
            above.len(),
            run.structure.entities.len(),
            lines.join("\n"),
            if above.len() > 8 { format!("\n  ... and {} more", above.len() - 8) } else { String::new() },
        )));
    }
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

/// The bytes of `path` when it is a regular file (not a link) of at most 16 MiB.
fn fs_regular(path: &Path) -> Option<Vec<u8>> {
    let metadata = std::fs::symlink_metadata(path).ok()?;
    if !metadata.file_type().is_file() || metadata.len() > 16 << 20 {
        return None;
    }
    crate::scenario::read_regular_file(path).ok()
}
