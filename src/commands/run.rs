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
    build_run_from(args, loaded, started, None)
}

/// The values of a Monte Carlo computed elsewhere: the checked shards of `migproj merge`.
pub struct MergedShards {
    pub files: Vec<crate::shards::ValuesFile>,
    pub shape: crate::shards::Shape,
    /// The shards' computing time, summed, and their threads (run.json's `seconds` and
    /// `threads`).
    pub seconds: f64,
    pub threads: usize,
}

/// [`build_run`], with the Monte Carlo's values read from `merged` when given instead of
/// computed.
pub fn build_run_from(
    args: &RunArgs,
    loaded: &LoadedScenario,
    started: Instant,
    merged: Option<MergedShards>,
) -> Result<BuiltRun> {
    let scenario = &loaded.scenario;
    // A Monte Carlo whose values pass --max-memory is spilled to disk (MODEL.md section 15);
    // one whose spill would not fit the free space there is refused before any work (issue
    // 22 item 33); the scenario's shape gives their size.
    let trajectories = args
        .trajectories
        .unwrap_or(scenario.uncertainty.trajectories);
    if !args.deterministic && trajectories > 0 && merged.is_none() {
        let entities = crate::simulate::RunStructure::of(scenario).entities.len();
        let variables = crate::simulate::variable_names(scenario).len();
        let years = (scenario.end_year - scenario.base_year + 1) as usize;
        let values = summary_memory_bytes(trajectories, entities, variables, years);
        if values > u128::from(args.max_memory) {
            if let Some(free) = free_bytes(&args.out) {
                if values > u128::from(free) {
                    return Err(loaded.error_at(
                        crate::error::Diagnostic::whole_file(format!(
                            "{trajectories} trajectories would need {} for their values ({trajectories} trajectories x {entities} series x {variables} variables x {years} years x 8 bytes): more than --max-memory {}, and more than the {} free on the disk of `{}` where they would be spilled; nothing was run",
                            human_bytes(values),
                            human_bytes(u128::from(args.max_memory)),
                            human_bytes(u128::from(free)),
                            args.out.display(),
                        ))
                        .with_help("use fewer trajectories (--trajectories), run them as shards (`migproj slurm`, `run --shard K/N`) on machines with room, or choose an --out with more free space"),
                    ));
                }
            }
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
        monte_carlo(args, loaded, &run, merged)?
    };
    let summaries = match &monte_carlo {
        // Values on disk (a spill or shards) are read back one region and variable at a
        // time: a bar shows how far.
        Some((mc, ..)) if mc.on_disk() => {
            let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
                let bar = ProgressBar::with_draw_target(
                    Some((mc.n_entities() * mc.n_variables()) as u64),
                    ProgressDrawTarget::stderr(),
                );
                bar.set_style(
                    ProgressStyle::with_template(
                        "{msg} [{bar:40}] {pos}/{len} series, {elapsed} elapsed, {eta} left",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                bar.set_message(format!("{}: summaries from disk", scenario.name));
                bar
            });
            let summaries = mc.summaries_with(&|| {
                if let Some(bar) = &bar {
                    bar.inc(1);
                }
            })?;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            Some(summaries)
        }
        Some((mc, ..)) => Some(mc.summaries()?),
        None => None,
    };
    let warnings = crate::plausibility::warnings(scenario, &run, summaries.as_ref());
    files.push((
        "warnings.csv".into(),
        crate::plausibility::warnings_csv(scenario, &warnings)?,
    ));
    let mut mc_manifest = serde_json::Value::Null;
    if let (Some((mc, uncertainty, seconds, threads)), Some(summaries)) = (&monte_carlo, &summaries)
    {
        let scenario_mc = Scenario {
            uncertainty: uncertainty.clone(),
            ..scenario.clone()
        };
        files.push((
            "summary.csv".into(),
            summary::summary_csv(&scenario_mc, summaries)?,
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
    if args.shard.is_some() || args.trajectory_range.is_some() {
        return super::run_shard(args, loaded);
    }
    write_run(args, loaded, None, Vec::new())
}

/// Builds a run (its Monte Carlo computed, or read from `merged`) and writes its folder with
/// `extra` files beside the outputs; returns the folder.
pub(crate) fn write_run(
    args: &RunArgs,
    loaded: &LoadedScenario,
    merged: Option<MergedShards>,
    extra: OutputFiles,
) -> Result<std::path::PathBuf> {
    let started = Instant::now();
    let built =
        build_run_from(args, loaded, started, merged).map_err(|e| in_scenario(loaded, e))?;
    print_warnings(loaded, &built.warnings);
    let mut files = built.files;
    files.extend(extra);
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
    let kept = (args.keep && folder.target().exists())
        .then(|| crate::output::folder::numbered_backup(folder.target()));
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
pub(crate) type MonteCarloOutcome = Option<(MonteCarlo, Uncertainty, f64, usize)>;

/// The uncertainty settings of a run, with the command line's overrides.
pub(crate) fn uncertainty_of(args: &RunArgs, scenario: &Scenario) -> Uncertainty {
    let mut uncertainty = scenario.uncertainty.clone();
    if let Some(n) = args.trajectories {
        uncertainty.trajectories = n;
    }
    if let Some(seed) = args.seed {
        uncertainty.seed = seed;
    }
    uncertainty
}

/// The worker threads of a run (`--threads`, or every core).
pub(crate) fn threads_of(threads: Option<usize>) -> usize {
    threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

/// A pool of `threads` rayon workers.
pub(crate) fn pool_of(threads: usize) -> Result<rayon::ThreadPool> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Environment(format!("cannot start {threads} worker threads: {e}")))
}

/// A progress bar of `len` trajectories on a terminal (none when quiet or not a terminal).
pub(crate) fn trajectory_bar(quiet: bool, len: usize, message: String) -> Option<ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:40}] {pos}/{len} trajectories, {elapsed} elapsed, {eta} left",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(message);
    Some(bar)
}

/// Trajectories whose stock passes the world's population, counted over blocks of
/// trajectories as they are computed (MODEL.md section 9, revision 3).
pub(crate) struct AboveWorld {
    /// Per entity: trajectories above, first year index.
    found: Vec<(usize, usize)>,
}

impl AboveWorld {
    pub(crate) fn new(entities: usize) -> Self {
        AboveWorld {
            found: vec![(0, usize::MAX); entities],
        }
    }

    /// Counts a block's trajectories; returns the block's values.
    pub(crate) fn add(
        &mut self,
        values: ndarray::Array4<f64>,
        world_population: &[f64],
    ) -> Result<ndarray::Array4<f64>> {
        let block = MonteCarlo::in_memory(values);
        for (entity, count, first) in block.above_world_population(world_population)? {
            let found = &mut self.found[entity];
            found.0 += count;
            found.1 = found.1.min(first);
        }
        Ok(block
            .into_memory()
            .expect("a block computed here is in memory"))
    }

    /// `(entity, trajectories, first year index)` of every entity with any.
    pub(crate) fn entities(&self) -> Vec<(usize, usize, usize)> {
        self.found
            .iter()
            .enumerate()
            .filter(|(_, f)| f.0 > 0)
            .map(|(e, f)| (e, f.0, f.1))
            .collect()
    }
}

/// The error of a scenario whose trajectories pass the world's population (MODEL.md section
/// 9: never clipped).
pub(crate) fn above_world_error(
    scenario: &Scenario,
    run: &DeterministicRun,
    above: &[(usize, usize, usize)],
    trajectories: usize,
) -> Error {
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
                trajectories,
                run.rates.year(first)
            )
        })
        .collect();
    Error::InputPlain(format!(
        "error: {}: in {} of its {} series, some trajectories of the migrant stock exceed the world's population (MODEL.md section 9: never clipped), so nothing was written:\n{}{}\nhelp: the uncertainty settings are too wide for this horizon: lower `uncertainty.world_growth_sd`, `world_shock_sd`, `region_shock_sd` or their `*_sd_rel_se`, or end the projection earlier",
        scenario.name,
        above.len(),
        run.structure.entities.len(),
        lines.join("\n"),
        if above.len() > 8 { format!("\n  ... and {} more", above.len() - 8) } else { String::new() },
    ))
}

/// The shape of a run's Monte Carlo values.
pub(crate) fn shape_of(run: &DeterministicRun) -> crate::shards::Shape {
    crate::shards::Shape {
        entities: run.derived.len(),
        variables: run.derived[0].len(),
        years: run.rates.n_years,
    }
}

/// Trajectories per block when a run's values do not fit in memory: a quarter of
/// `max_memory` less the deterministic run (its estimate,
/// [`crate::simulate::deterministic_memory_bytes`]) and
/// the batches (the rest is for the writer and the reading back), at least one batch of every
/// thread.
pub(crate) fn block_trajectories(
    scenario: &Scenario,
    run: &DeterministicRun,
    max_memory: u64,
    threads: usize,
    batch: usize,
) -> usize {
    let shape = shape_of(run);
    let per = (shape.entities * shape.variables * shape.years * 8) as u128;
    let batches = threads as u128 * batch_memory_bytes(run, batch);
    let room = u128::from(max_memory)
        .saturating_sub(crate::simulate::deterministic_memory_bytes(scenario))
        .saturating_sub(batches)
        / 4;
    ((room / per.max(1)) as usize).max(threads * batch)
}

/// What [`write_blocks`] computes and how it labels the files.
pub(crate) struct BlockRun<'a> {
    pub scenario: &'a Scenario,
    pub run: &'a DeterministicRun,
    pub uncertainty: &'a Uncertainty,
    pub engine: Engine,
    pub identity: &'a [(String, String)],
    pub years: &'a [i32],
}

/// Computes trajectories `range` in blocks of `block` on `pool`, checks each block against the
/// world's population as it is computed (MODEL.md section 9) and writes it as a values file
/// at `path_of(file name)` (a spill's, or a shard's: MODEL.md section 15); returns the files'
/// records, or the population bound's error.
pub(crate) fn write_blocks(
    job: &BlockRun<'_>,
    range: std::ops::Range<usize>,
    block: usize,
    pool: &rayon::ThreadPool,
    tick: &(dyn Fn() + Sync),
    path_of: &(dyn Fn(&str) -> std::path::PathBuf + Sync),
) -> Result<Vec<crate::shards::FileRecord>> {
    let world_population = &job.run.rates.world_population;
    let mut above = AboveWorld::new(shape_of(job.run).entities);
    let mut records = Vec::new();
    pool.install(|| {
        crate::simulate::monte_carlo::run_range_in_blocks(
            job.run,
            job.uncertainty,
            range,
            block,
            tick,
            job.engine,
            |first, values| {
                let values = above.add(values, world_population)?;
                let last = first + values.len_of(ndarray::Axis(0));
                let path = path_of(&format!("values-{first:09}-{last:09}.parquet"));
                records.push(crate::shards::write_values(
                    &path,
                    values.view(),
                    first,
                    job.years,
                    crate::shards::file_metadata(job.identity, first, last),
                )?);
                Ok(())
            },
        )
    })?;
    let above = above.entities();
    if !above.is_empty() {
        return Err(above_world_error(
            job.scenario,
            job.run,
            &above,
            job.uncertainty.trajectories,
        ));
    }
    Ok(records)
}

/// Runs the Monte Carlo of a scenario (with the command line's overrides): in memory when its
/// values fit in `--max-memory`, else spilled to values files beside the output and read back
/// (MODEL.md section 15); or, for `merge`, reads the shards' values.
pub(crate) fn monte_carlo(
    args: &RunArgs,
    loaded: &LoadedScenario,
    run: &DeterministicRun,
    merged: Option<MergedShards>,
) -> Result<MonteCarloOutcome> {
    let scenario = &loaded.scenario;
    let uncertainty = uncertainty_of(args, scenario);
    if uncertainty.trajectories == 0 {
        return Ok(None);
    }
    if let Some(merged) = merged {
        let (seconds, threads) = (merged.seconds, merged.threads);
        let mc = MonteCarlo::from_files(merged.files, merged.shape, None);
        return Ok(Some((mc, uncertainty, seconds, threads)));
    }
    let threads = threads_of(args.threads);
    let engine = Engine::default();
    let shape = shape_of(run);
    let values = summary_memory_bytes(
        uncertainty.trajectories,
        shape.entities,
        shape.variables,
        shape.years,
    );
    // Each thread works on one batch at a time, beside the values and the deterministic run
    // (which stays in memory: issue 22 item 23, a run at --max-memory 1.6 GB peaked at 1.92 GB
    // when only the values and batches were counted).
    let batches = threads as u128 * batch_memory_bytes(run, engine.batch);
    let deterministic = crate::simulate::deterministic_memory_bytes(scenario);
    let in_memory = deterministic + values + batches <= u128::from(args.max_memory);
    let pool = pool_of(threads)?;
    let bar = trajectory_bar(
        args.quiet,
        uncertainty.trajectories,
        format!("{}: Monte Carlo", scenario.name),
    );
    let started = Instant::now();
    let tick = || {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    let mc = if in_memory {
        let mc = pool.install(|| run_monte_carlo(run, &uncertainty, &tick));
        // MODEL.md section 9 (revision 3): no trajectory above the world's population; a
        // scenario whose trajectories pass it is stopped, never clipped.
        let above = mc.above_world_population(&run.rates.world_population)?;
        if !above.is_empty() {
            return Err(above_world_error(
                scenario,
                run,
                &above,
                uncertainty.trajectories,
            ));
        }
        mc
    } else {
        let block = block_trajectories(scenario, run, args.max_memory, threads, engine.batch);
        let folder = args
            .out
            .join(format!(".{}.spill-{}", scenario.name, std::process::id()));
        if !args.quiet {
            eprintln!(
                "{}: the values of {} trajectories ({}) pass --max-memory {}: spilled in blocks of {} trajectories to {} (removed at the end)",
                scenario.name,
                uncertainty.trajectories,
                human_bytes(values),
                human_bytes(u128::from(args.max_memory)),
                block,
                folder.display()
            );
        }
        let spill = crate::simulate::monte_carlo::SpillFolder::create(folder.clone())
            .map_err(|e| Error::environment("cannot create the spill folder", &folder, e))?;
        let identity = vec![
            ("format".to_string(), crate::shards::FORMAT.to_string()),
            ("seed".to_string(), uncertainty.seed.to_string()),
            (
                "trajectories".to_string(),
                uncertainty.trajectories.to_string(),
            ),
        ];
        let years: Vec<i32> = scenario.years().collect();
        let records = write_blocks(
            &BlockRun {
                scenario,
                run,
                uncertainty: &uncertainty,
                engine,
                identity: &identity,
                years: &years,
            },
            0..uncertainty.trajectories,
            block,
            &pool,
            &tick,
            &|file| folder.join(file),
        )?;
        let files = records
            .iter()
            .map(|r| {
                let path = folder.join(&r.file);
                crate::shards::ValuesFile::open(&path, r.first, r.last, shape, &identity).map_err(
                    |e| Error::Environment(format!("the spill file `{}` {e}", path.display())),
                )
            })
            .collect::<Result<Vec<_>>>()?;
        MonteCarlo::from_files(files, shape, Some(spill))
    };
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
    // The summaries of values on disk are read back in parallel on the same threads.
    Ok(Some((mc, uncertainty, seconds, threads)))
}

/// Free bytes on the file system of `dir` (or of its nearest existing parent).
pub(crate) fn free_bytes(dir: &Path) -> Option<u64> {
    let mut at = Some(dir);
    while let Some(path) = at {
        if path.exists() {
            let stat = rustix::fs::statvfs(path).ok()?;
            return Some(stat.f_bavail.saturating_mul(stat.f_frsize));
        }
        at = path.parent().filter(|p| !p.as_os_str().is_empty());
    }
    rustix::fs::statvfs(".")
        .ok()
        .map(|s| s.f_bavail.saturating_mul(s.f_frsize))
}

/// The bytes of `path` when it is a regular file (not a link) of at most 16 MiB.
fn fs_regular(path: &Path) -> Option<Vec<u8>> {
    let metadata = std::fs::symlink_metadata(path).ok()?;
    if !metadata.file_type().is_file() || metadata.len() > 16 << 20 {
        return None;
    }
    crate::scenario::read_regular_file(path).ok()
}
