//! Monte Carlo in shards (MODEL.md section 15): `run --shard K/N` writes a shard folder,
//! `merge` checks a set of them and writes the run folder a one-process run would, and
//! `slurm` writes (and submits) the batch scripts of a job array and its merge.

#[allow(unused_imports)]
use super::*;

use std::path::PathBuf;

use crate::shards::{FileRecord, Shape, ValuesFile, FORMAT, MANIFEST};

/// What a shard's files and manifest must agree on with every other shard of its run.
fn identity(
    loaded: &LoadedScenario,
    uncertainty: &Uncertainty,
    run_shape: &ShapeNames,
) -> Vec<(String, String)> {
    vec![
        ("format".into(), FORMAT.into()),
        ("migproj_version".into(), env!("CARGO_PKG_VERSION").into()),
        ("scenario_sha256".into(), loaded.sha256_hex.clone()),
        ("inputs_sha256".into(), inputs_sha256(loaded)),
        ("seed".into(), uncertainty.seed.to_string()),
        ("trajectories".into(), uncertainty.trajectories.to_string()),
        ("shape_sha256".into(), run_shape.sha256()),
    ]
}

/// The sha256 of every input a run reads (the scenario, the files it extends, its tables), by
/// role and content (not by path: a shard run from another folder is the same run).
fn inputs_sha256(loaded: &LoadedScenario) -> String {
    use crate::scenario::sha256_hex;
    let mut text = String::new();
    for (i, (file, _)) in loaded.sources.files.iter().enumerate() {
        let role = if i == 0 { "scenario" } else { "extends" };
        text.push_str(&format!("{role} {}\n", sha256_hex(file.text.as_bytes())));
    }
    for (key, _, sha) in &loaded.scenario.tables {
        text.push_str(&format!("table {key} {sha}\n"));
    }
    sha256_hex(text.as_bytes())
}

/// The names along each axis of a run's values.
struct ShapeNames {
    entities: Vec<String>,
    variables: Vec<String>,
    years: Vec<i32>,
}

impl ShapeNames {
    fn of(scenario: &Scenario) -> Self {
        ShapeNames {
            entities: crate::simulate::streams::entities(scenario)
                .iter()
                .map(|e| format!("{}\t{}", e.region, e.origin))
                .collect(),
            variables: crate::simulate::variable_names(scenario),
            years: scenario.years().collect(),
        }
    }

    fn shape(&self) -> Shape {
        Shape {
            entities: self.entities.len(),
            variables: self.variables.len(),
            years: self.years.len(),
        }
    }

    fn sha256(&self) -> String {
        let text = format!(
            "{}\n--\n{}\n--\n{:?}",
            self.entities.join("\n"),
            self.variables.join("\n"),
            self.years
        );
        crate::scenario::sha256_hex(text.as_bytes())
    }
}

/// The manifest's checksum: the sha256 of its JSON with `checksum` empty.
fn manifest_checksum(manifest: &serde_json::Value) -> String {
    let mut copy = manifest.clone();
    if let Some(map) = copy.as_object_mut() {
        map.insert("checksum".into(), serde_json::Value::String(String::new()));
    }
    crate::scenario::sha256_hex(&serde_json::to_vec(&copy).unwrap_or_default())
}

/// `run --shard K/N` or `run --trajectory-range FIRST..LAST`: computes the trajectories of
/// the shard a block at a time and writes them with the manifest, last.
pub fn run_shard(args: &RunArgs, loaded: &LoadedScenario) -> Result<PathBuf> {
    let started = Instant::now();
    let scenario = &loaded.scenario;
    let uncertainty = uncertainty_of(args, scenario);
    let total = uncertainty.trajectories;
    let refuse = |text: String| Err(Error::InputPlain(format!("error: {text}")));
    if total == 0 {
        return refuse(format!(
            "{}: a shard needs trajectories: the scenario has `uncertainty.trajectories = 0`; give --trajectories T",
            loaded.source.path.display()
        ));
    }
    let (first, last, name) = match (args.shard, args.trajectory_range) {
        (Some((k, n)), _) => {
            if n > total {
                return refuse(format!(
                    "--shard {k}/{n}: {n} shards of {total} trajectories would leave some empty; use at most {total} shards"
                ));
            }
            (
                (k - 1) * total / n,
                k * total / n,
                format!("{}.shard-{k}-of-{n}", scenario.name),
            )
        }
        (None, Some((a, b))) => {
            if b > total {
                return refuse(format!(
                    "--trajectory-range {a}..{b} passes the run's {total} trajectories (0..{total}); give --trajectories T with T >= {b}"
                ));
            }
            (a, b, format!("{}.trajectories-{a}-{b}", scenario.name))
        }
        (None, None) => unreachable!("run_shard runs a shard"),
    };
    let names = ShapeNames::of(scenario);
    // The shard's values must fit the disk it writes them to: refused before any work.
    let needed = crate::simulate::monte_carlo::summary_memory_bytes(
        last - first,
        names.entities.len(),
        names.variables.len(),
        names.years.len(),
    );
    if let Some(free) = super::run::free_bytes(&args.out) {
        if needed > u128::from(free) {
            return refuse(format!(
                "{}: trajectories {first}..{last} would need {} for their values, more than the {} free on the disk of `{}`; nothing was run",
                loaded.source.path.display(),
                human_bytes(needed),
                human_bytes(u128::from(free)),
                args.out.display()
            ));
        }
    }
    let run = project_within(loaded, args.max_memory).map_err(|e| in_scenario(loaded, e))?;
    let shape = super::run::shape_of(&run);
    if shape != names.shape() {
        return Err(Error::Environment(format!(
            "internal: the run's values ({shape:?}) do not match its scenario's names ({:?})",
            names.shape()
        )));
    }
    let identity = identity(loaded, &uncertainty, &names);
    let threads = threads_of(args.threads);
    let engine = crate::simulate::monte_carlo::Engine::default();
    let block = super::run::block_trajectories(
        &loaded.scenario,
        &run,
        args.max_memory,
        threads,
        engine.batch,
    );
    let folder = OutputFolder::create(&args.out, &name, crate::output::folder::Kind::Shard)?;
    let pool = pool_of(threads)?;
    let bar = trajectory_bar(
        args.quiet,
        last - first,
        format!("{}: trajectories {first}..{last}", scenario.name),
    );
    let tick = || {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    let computing = Instant::now();
    let records = super::run::write_blocks(
        &super::run::BlockRun {
            scenario,
            run: &run,
            uncertainty: &uncertainty,
            engine,
            identity: &identity,
            years: &names.years,
        },
        first..last,
        block,
        &pool,
        &tick,
        &|file| {
            crate::output::folder::failpoint("shard values");
            folder.staging_path(file)
        },
    )?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let seconds = computing.elapsed().as_secs_f64();
    let mut manifest = serde_json::json!({
        "format": FORMAT,
        "migproj_version": env!("CARGO_PKG_VERSION"),
        "scenario": {
            "name": scenario.name,
            "path": loaded.source.path.display().to_string(),
            "sha256": loaded.sha256_hex,
            "inputs_sha256": inputs_sha256(loaded),
            "data_revision": scenario.data_revision,
        },
        "seed": uncertainty.seed,
        "trajectories": total,
        "first": first,
        "last": last,
        "shape": {
            "entities": shape.entities,
            "variables": names.variables,
            "years": [names.years[0], names.years[names.years.len() - 1]],
            "sha256": names.sha256(),
        },
        "threads": threads,
        "seconds": seconds,
        "files": records.iter().map(|r| serde_json::json!({
            "file": r.file,
            "first": r.first,
            "last": r.last,
            "bytes": r.bytes,
            "sha256": r.sha256,
        })).collect::<Vec<_>>(),
        "checksum": "",
    });
    let checksum = manifest_checksum(&manifest);
    manifest["checksum"] = serde_json::Value::String(checksum);
    let mut bytes = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    bytes.push(b'\n');
    // The manifest last: a folder without one is never a complete shard.
    crate::output::folder::failpoint("shard manifest");
    folder.write(MANIFEST, &bytes)?;
    let target = folder.commit()?;
    if !args.quiet {
        let size: u64 = records.iter().map(|r| r.bytes).sum();
        eprintln!(
            "{}: wrote {} (trajectories {first}..{last} of {total}, seed {}, {} in {} file{}) in {:.2} s",
            loaded.source.path.display(),
            target.display(),
            uncertainty.seed,
            human_bytes(u128::from(size)),
            records.len(),
            if records.len() == 1 { "" } else { "s" },
            started.elapsed().as_secs_f64()
        );
    }
    Ok(target)
}

/// A shard's manifest, as read and checked.
struct Manifest {
    dir: PathBuf,
    json: serde_json::Value,
    first: usize,
    last: usize,
    files: Vec<FileRecord>,
}

/// The arguments of `migproj merge`.
pub struct MergeArgs {
    pub shards: Vec<PathBuf>,
    pub out: PathBuf,
    pub scenario: Option<PathBuf>,
    pub threads: Option<usize>,
    pub write_trajectories: Option<crate::output::trajectories::TrajectoryFormat>,
    pub chart_size: (u32, u32),
    pub no_charts: bool,
    pub max_memory: u64,
    pub keep: bool,
    pub quiet: bool,
}

fn bad(dir: &Path, what: String) -> Error {
    Error::InputPlain(format!(
        "error: `{}` {what}; nothing was written",
        dir.display()
    ))
}

/// Reads and checks one shard folder's manifest.
fn read_manifest(dir: &Path) -> Result<Manifest> {
    let meta =
        std::fs::symlink_metadata(dir).map_err(|e| bad(dir, format!("cannot be read ({e})")))?;
    if !meta.is_dir() {
        return Err(bad(
            dir,
            "is not a folder (a shard is a folder written by `migproj run --shard K/N`)".into(),
        ));
    }
    let path = dir.join(MANIFEST);
    let regular = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file());
    if !regular {
        return Err(bad(
            dir,
            format!("is not a complete shard: it has no {MANIFEST} (a shard stopped before it finished, or not a shard folder); run that shard again"),
        ));
    }
    if std::fs::metadata(&path).map_or(0, |m| m.len()) > 16 << 20 {
        return Err(bad(
            dir,
            format!("has a {MANIFEST} larger than 16 MiB: not a shard's"),
        ));
    }
    let text = crate::scenario::read_regular_file(&path)
        .map_err(|e| bad(dir, format!("has a {MANIFEST} that cannot be read ({e})")))?;
    let json: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
        bad(
            dir,
            format!(
                "has a damaged {MANIFEST} (line {}, column {}: {e})",
                e.line(),
                e.column()
            ),
        )
    })?;
    if json.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(bad(dir, format!("has a {MANIFEST} that is not a migproj shard manifest (`format` is not \"{FORMAT}\")")));
    }
    let stated = json.get("checksum").and_then(|c| c.as_str()).unwrap_or("");
    if stated != manifest_checksum(&json) {
        return Err(bad(
            dir,
            format!("has a {MANIFEST} whose checksum does not match its contents: it was edited or damaged after the shard wrote it; run that shard again"),
        ));
    }
    let number = |key: &str| -> Result<usize> {
        json.get(key)
            .and_then(|v| v.as_u64())
            .map(|v| v as usize)
            .ok_or_else(|| {
                bad(
                    dir,
                    format!("has a {MANIFEST} without a whole number `{key}`"),
                )
            })
    };
    let (first, last) = (number("first")?, number("last")?);
    let mut files = Vec::new();
    for (i, f) in json
        .get("files")
        .and_then(|f| f.as_array())
        .ok_or_else(|| bad(dir, format!("has a {MANIFEST} without `files`")))?
        .iter()
        .enumerate()
    {
        let field = |key: &str| {
            f.get(key)
                .ok_or_else(|| bad(dir, format!("{MANIFEST}: files[{i}] has no `{key}`")))
        };
        let file = field("file")?.as_str().unwrap_or("").to_string();
        if file.is_empty() || file.contains('/') || file.starts_with('.') {
            return Err(bad(
                dir,
                format!("{MANIFEST}: files[{i}] names `{file}`, not a file of the folder"),
            ));
        }
        let whole = |key: &str| -> Result<u64> {
            field(key)?.as_u64().ok_or_else(|| {
                bad(
                    dir,
                    format!("{MANIFEST}: files[{i}].{key} is not a whole number"),
                )
            })
        };
        files.push(FileRecord {
            file,
            first: whole("first")? as usize,
            last: whole("last")? as usize,
            bytes: whole("bytes")?,
            sha256: field("sha256")?.as_str().unwrap_or("").to_string(),
        });
    }
    // The files cover the shard's range in order.
    let mut at = first;
    for f in &files {
        if f.first != at || f.last <= f.first {
            return Err(bad(dir, format!("{MANIFEST}: its files do not cover trajectories {first}..{last} in order (`{}` holds {}..{})", f.file, f.first, f.last)));
        }
        at = f.last;
    }
    if at != last || first >= last {
        return Err(bad(
            dir,
            format!("{MANIFEST}: its files cover {first}..{at}, not {first}..{last}"),
        ));
    }
    Ok(Manifest {
        dir: dir.to_path_buf(),
        json,
        first,
        last,
        files,
    })
}

/// What every shard of one run states alike.
fn run_key(m: &Manifest) -> Vec<(&'static str, String)> {
    let get = |pointer: &str| {
        m.json
            .pointer(pointer)
            .map(|v| v.to_string())
            .unwrap_or_else(|| "none".into())
    };
    vec![
        ("scenario sha256", get("/scenario/sha256")),
        ("inputs sha256", get("/scenario/inputs_sha256")),
        ("seed", get("/seed")),
        ("trajectories", get("/trajectories")),
        ("migproj version", get("/migproj_version")),
        ("shape", get("/shape/sha256")),
    ]
}

fn fmt_ranges(ms: &[&Manifest]) -> String {
    ms.iter()
        .map(|m| format!("`{}` ({}..{})", m.dir.display(), m.first, m.last))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `migproj merge`: checks the shard set (manifests, coverage, every file's size, sha256 and
/// layout), then writes the run folder from the shards' values.
pub fn merge(args: &MergeArgs) -> Result<()> {
    let started = Instant::now();
    let mut manifests = args
        .shards
        .iter()
        .map(|d| read_manifest(d))
        .collect::<Result<Vec<_>>>()?;
    // The same folder given twice is a duplicate like any other.
    let key = run_key(&manifests[0]);
    for m in &manifests[1..] {
        let reference = &manifests[0];
        for ((what, expected), (_, found)) in key.iter().zip(run_key(m)) {
            if *expected != found {
                return Err(Error::InputPlain(format!(
                    "error: `{}` is a shard of another run than `{}`: its {what} is {found}, not {expected}; merge only the shards of one run (same scenario and inputs, seed, trajectories and migproj version); nothing was written",
                    m.dir.display(),
                    reference.dir.display()
                )));
            }
        }
    }
    let total = manifests[0]
        .json
        .get("trajectories")
        .and_then(|v| v.as_u64())
        .unwrap_or(0) as usize;
    let seed = manifests[0]
        .json
        .get("seed")
        .and_then(|v| v.as_u64())
        .unwrap_or(0);
    // Coverage of 0..T, exactly once.
    manifests.sort_by_key(|m| (m.first, m.last));
    let mut at = 0;
    for (i, m) in manifests.iter().enumerate() {
        if m.first < at {
            let others: Vec<&Manifest> =
                manifests[..i].iter().filter(|o| o.last > m.first).collect();
            return Err(Error::InputPlain(format!(
                "error: `{}` ({}..{}) overlaps {}: each trajectory must be in one shard only; nothing was written",
                m.dir.display(),
                m.first,
                m.last,
                fmt_ranges(&others)
            )));
        }
        if m.first > at {
            return Err(Error::InputPlain(format!(
                "error: trajectories {at}..{} of the {total} are in none of the shards given (a shard is missing); nothing was written",
                m.first
            )));
        }
        at = m.last;
    }
    if at != total {
        return Err(Error::InputPlain(format!(
            "error: trajectories {at}..{total} of the {total} are in none of the shards given (a shard is missing); nothing was written"
        )));
    }
    let reference = &manifests[0];
    let version = reference
        .json
        .get("migproj_version")
        .and_then(|v| v.as_str())
        .unwrap_or("?");
    if version != env!("CARGO_PKG_VERSION") {
        return Err(Error::InputPlain(format!(
            "error: the shards were written by migproj {version} and this is migproj {}: merge them with the version that wrote them (the results of two engine versions are not the same run); nothing was written",
            env!("CARGO_PKG_VERSION")
        )));
    }
    // The scenario, as it was when the shards ran.
    let scenario_path = match &args.scenario {
        Some(p) => p.clone(),
        None => PathBuf::from(
            reference
                .json
                .pointer("/scenario/path")
                .and_then(|v| v.as_str())
                .unwrap_or(""),
        ),
    };
    if !scenario_path.is_file() {
        return Err(Error::InputPlain(format!(
            "error: the shards' scenario `{}` is not there; give it with --scenario FILE (it must be the file the shards ran)",
            scenario_path.display()
        )));
    }
    let loaded = load_scenario(&scenario_path)?;
    let uncertainty = Uncertainty {
        trajectories: total,
        seed,
        ..loaded.scenario.uncertainty.clone()
    };
    let names = ShapeNames::of(&loaded.scenario);
    let expected = identity(&loaded, &uncertainty, &names);
    for (what, key, found) in [
        ("sha256", "scenario_sha256", "/scenario/sha256"),
        ("inputs' sha256", "inputs_sha256", "/scenario/inputs_sha256"),
    ] {
        let want = expected
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone());
        let have = reference
            .json
            .pointer(found)
            .and_then(|v| v.as_str())
            .map(String::from);
        if want != have {
            return Err(Error::InputPlain(format!(
                "error: `{}` is not the scenario the shards ran: its {what} is {}, the shards' {}; the scenario or one of its inputs changed since (run the shards again, or give the original with --scenario); nothing was written",
                scenario_path.display(),
                want.unwrap_or_default(),
                have.unwrap_or_default()
            )));
        }
    }
    // Every file: a regular file of its folder with the size and sha256 stated, laid out as
    // the manifest says (read in parallel, a block at a time).
    let shape = names.shape();
    let threads = threads_of(args.threads);
    let pool = pool_of(threads)?;
    let jobs: Vec<(&Manifest, &FileRecord)> = manifests
        .iter()
        .flat_map(|m| m.files.iter().map(move |f| (m, f)))
        .collect();
    let opened: Vec<Result<ValuesFile>> = pool.install(|| {
        use rayon::prelude::*;
        jobs.par_iter()
            .map(|(m, f)| {
                let path = m.dir.join(&f.file);
                let damaged = |what: String| {
                    Error::InputPlain(format!(
                        "error: `{}` of shard `{}` {what}; run that shard again; nothing was written",
                        path.display(),
                        m.dir.display()
                    ))
                };
                let meta = std::fs::symlink_metadata(&path)
                    .map_err(|_| damaged("is missing".into()))?;
                if !meta.file_type().is_file() {
                    return Err(damaged("is not a regular file".into()));
                }
                if meta.len() != f.bytes {
                    return Err(damaged(format!(
                        "has {} bytes where its manifest says {} (truncated or damaged)",
                        meta.len(),
                        f.bytes
                    )));
                }
                let (_, sha) = crate::shards::file_sha256(&path)
                    .map_err(|e| damaged(format!("cannot be read ({e})")))?;
                if sha != f.sha256 {
                    return Err(damaged(
                        "does not have the sha256 its manifest states (damaged or replaced)".into(),
                    ));
                }
                ValuesFile::open(&path, f.first, f.last, shape, &expected).map_err(damaged)
            })
            .collect()
    });
    let files = opened.into_iter().collect::<Result<Vec<_>>>()?;
    let seconds: f64 = manifests
        .iter()
        .map(|m| {
            m.json
                .get("seconds")
                .and_then(|v| v.as_f64())
                .unwrap_or(0.0)
        })
        .sum();
    let shard_threads = reference
        .json
        .get("threads")
        .and_then(|v| v.as_u64())
        .unwrap_or(1) as usize;
    let run_args = RunArgs {
        scenarios: vec![scenario_path.clone()],
        out: args.out.clone(),
        trajectories: Some(total),
        seed: Some(seed),
        threads: Some(threads),
        deterministic: false,
        write_trajectories: args.write_trajectories,
        max_memory: args.max_memory,
        chart_size: args.chart_size,
        no_charts: args.no_charts,
        quiet: args.quiet,
        keep: args.keep,
        shard: None,
        trajectory_range: None,
    };
    let merged = super::run::MergedShards {
        files,
        shape,
        seconds,
        threads: shard_threads,
    };
    let shards_json = serde_json::json!({
        "merged_by": format!("migproj {}", env!("CARGO_PKG_VERSION")),
        "trajectories": total,
        "seed": seed,
        "shards": manifests.iter().map(|m| serde_json::json!({
            "folder": m.dir.display().to_string(),
            "first": m.first,
            "last": m.last,
            "manifest_checksum": m.json.get("checksum"),
            "seconds": m.json.get("seconds"),
        })).collect::<Vec<_>>(),
    });
    let mut shards_bytes = serde_json::to_vec_pretty(&shards_json).unwrap_or_default();
    shards_bytes.push(b'\n');
    let target = pool.install(|| {
        super::run::write_run(
            &run_args,
            &loaded,
            Some(merged),
            vec![("shards.json".into(), shards_bytes)],
        )
    })?;
    if !args.quiet {
        eprintln!(
            "merged {} shard{} ({} trajectories, seed {seed}) of {} into {} in {:.2} s",
            manifests.len(),
            if manifests.len() == 1 { "" } else { "s" },
            total,
            scenario_path.display(),
            target.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// The arguments of `migproj slurm`.
pub struct SlurmArgs {
    pub scenario: PathBuf,
    pub shards: u32,
    pub trajectories: Option<usize>,
    pub seed: Option<u64>,
    pub out: PathBuf,
    pub partition: Option<String>,
    pub time: String,
    pub cpus: u32,
    pub mem: String,
    pub binary: Option<PathBuf>,
    pub submit: bool,
    pub wait: bool,
}

/// A word for /bin/sh, single-quoted.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `migproj slurm`: writes OUT/NAME.slurm/ (shards.sbatch, merge.sbatch, submit.sh) and,
/// with --submit, runs submit.sh.
pub fn slurm(args: &SlurmArgs) -> Result<()> {
    let loaded = load_scenario(&args.scenario)?;
    let scenario = &loaded.scenario;
    let trajectories = args
        .trajectories
        .unwrap_or(scenario.uncertainty.trajectories);
    let seed = args.seed.unwrap_or(scenario.uncertainty.seed);
    let n = args.shards as usize;
    if trajectories == 0 || n > trajectories {
        return Err(Error::InputPlain(format!(
            "error: {} shards of {trajectories} trajectories: each shard needs at least one; give --trajectories T with T >= {n}",
            n
        )));
    }
    super::super::cli::parse_size(&args.mem)
        .map_err(|e| Error::InputPlain(format!("error: --mem: {e}")))?;
    for (what, text) in [("--time", &args.time), ("--mem", &args.mem)] {
        if text
            .chars()
            .any(|c| c.is_whitespace() || c == '\'' || c.is_control())
        {
            return Err(Error::InputPlain(format!(
                "error: {what} `{text}` has spaces or quotes; give it as Slurm writes it (02:00:00, 4G)"
            )));
        }
    }
    if let Some(p) = &args.partition {
        if p.is_empty()
            || !p
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.,".contains(c))
        {
            return Err(Error::InputPlain(format!(
                "error: --partition `{p}` is not a Slurm partition name (letters, digits, - _ . ,)"
            )));
        }
    }
    let cwd = std::env::current_dir()
        .map_err(|e| Error::Environment(format!("cannot read the current folder: {e}")))?;
    let binary = match &args.binary {
        Some(b) => b.clone(),
        None => std::env::current_exe().map_err(|e| {
            Error::Environment(format!(
                "cannot find this migproj binary: {e}; give --binary"
            ))
        })?,
    };
    let text = |p: &Path| p.display().to_string();
    let dir = args.out.join(format!("{}.slurm", scenario.name));
    let folder = OutputFolder::create(
        &args.out,
        &format!("{}.slurm", scenario.name),
        crate::output::folder::Kind::Slurm,
    )?;
    let header = |job: &str, log: &str| {
        let mut h = format!(
            "#!/bin/sh\n# Written by migproj {} (`migproj slurm`): {} as {n} shards of {trajectories} trajectories, seed {seed}.\n#SBATCH --job-name={job}\n#SBATCH --output={}\n#SBATCH --cpus-per-task={}\n#SBATCH --mem={}\n#SBATCH --time={}\n",
            env!("CARGO_PKG_VERSION"),
            text(&args.scenario),
            text(&cwd.join(&dir).join(log)),
            args.cpus,
            args.mem,
            args.time
        );
        if let Some(p) = &args.partition {
            h.push_str(&format!("#SBATCH --partition={p}\n"));
        }
        h
    };
    let job = format!(
        "migproj-{}",
        scenario
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            })
            .collect::<String>()
    );
    let shards = format!(
        "{}#SBATCH --array=1-{n}\n# Shard K of {n} (K = $SLURM_ARRAY_TASK_ID): trajectories (K-1)*T/{n} to K*T/{n} - 1, into {}.shard-K-of-{n}/.\n# A failed shard is run again alone with: sbatch --array=K {}\nset -e\ncd {}\nexec {} run {} --shard \"$SLURM_ARRAY_TASK_ID/{n}\" --trajectories {trajectories} --seed {seed} --threads {} --max-memory {} --out {}\n",
        header(&job, "shard-%a.log"),
        text(&args.out.join(&scenario.name)),
        text(&cwd.join(&dir).join("shards.sbatch")),
        quoted(&text(&cwd)),
        quoted(&text(&binary)),
        quoted(&text(&args.scenario)),
        args.cpus,
        args.mem,
        quoted(&text(&args.out)),
    );
    let merge = format!(
        "{}# Merges the {n} shards into {}/ (run after every shard succeeded: --dependency=afterok).\nset -e\ncd {}\nexec {} merge {}.shard-*-of-{n} --out {} --threads {}\n",
        header(&format!("{job}-merge"), "merge.log"),
        text(&args.out.join(&scenario.name)),
        quoted(&text(&cwd)),
        quoted(&text(&binary)),
        quoted(&text(&args.out.join(&scenario.name))),
        quoted(&text(&args.out)),
        args.cpus,
    );
    let wait = if args.wait { " --wait" } else { "" };
    let submit = format!(
        "#!/bin/sh\n# Submits the {n} shards as a job array and the merge as a job that starts when all succeeded\n# (and is cancelled if one fails: run that shard again, then `sbatch {}`).\nset -e\ncd {}\narray=$(sbatch --parsable {})\narray=${{array%%;*}}\necho \"shards: job array $array ({n} tasks)\"\nmerge=$(sbatch --parsable --kill-on-invalid-dep=yes --dependency=afterok:\"$array\"{wait} {})\necho \"merge: job ${{merge%%;*}} (after $array)\"\n",
        text(&cwd.join(&dir).join("merge.sbatch")),
        quoted(&text(&cwd)),
        quoted(&text(&cwd.join(&dir).join("shards.sbatch"))),
        quoted(&text(&cwd.join(&dir).join("merge.sbatch"))),
    );
    folder.write("shards.sbatch", shards.as_bytes())?;
    folder.write("merge.sbatch", merge.as_bytes())?;
    folder.write("submit.sh", submit.as_bytes())?;
    let target = folder.commit()?;
    eprintln!(
        "wrote {}/shards.sbatch ({n} array tasks), merge.sbatch and submit.sh",
        target.display()
    );
    if args.submit {
        let status = std::process::Command::new("sh")
            .arg(target.join("submit.sh"))
            .status()
            .map_err(|e| {
                Error::Environment(format!(
                    "cannot run sh {}: {e}",
                    target.join("submit.sh").display()
                ))
            })?;
        if !status.success() {
            return Err(Error::InputPlain(format!(
                "error: {} failed ({status}){}; the logs are in {}",
                target.join("submit.sh").display(),
                if args.wait {
                    ": a shard or the merge failed"
                } else {
                    ""
                },
                target.display()
            )));
        }
        if args.wait {
            eprintln!("merged into {}", args.out.join(&scenario.name).display());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// A manifest read back has the checksum it was written with, whatever its timings: the
    /// JSON parser must give back the float that was written (serde_json's `float_roundtrip`;
    /// without it one shard in a few failed its own checksum in CI).
    #[test]
    fn a_manifest_read_back_keeps_its_checksum() {
        let mut failures = 0;
        for i in 0..20_000u64 {
            let seconds = (i as f64).mul_add(0.001_373_7, 1.0 / 3.0) * 1.000_000_1;
            let mut manifest = serde_json::json!({ "seconds": seconds, "checksum": "" });
            manifest["checksum"] = super::manifest_checksum(&manifest).into();
            let text = serde_json::to_vec_pretty(&manifest).unwrap();
            let back: serde_json::Value = serde_json::from_slice(&text).unwrap();
            if back["checksum"].as_str().unwrap() != super::manifest_checksum(&back) {
                failures += 1;
            }
        }
        assert_eq!(failures, 0);
    }
}
