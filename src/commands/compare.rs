//! `migproj compare`: runs scenarios with common random numbers and compares each variant with its reference.

#[allow(unused_imports)]
use super::*;

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
            // Read under a reader's lock: a run replacing the folder meanwhile is waited for,
            // so the tables are one run's (issue 22 item 22).
            let lock = Lock::for_reading(input);
            match lock.and_then(|_lock| read_run_tables(input)) {
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
    let folder = OutputFolder::create(out, "compare", crate::output::folder::Kind::Compare)?;
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
    let rows = differences(&runs)?;
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
        crate::compare::differences_md(&rows, years, &world).as_bytes(),
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
