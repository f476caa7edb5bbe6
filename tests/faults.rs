//! Fault injection (issue 14, item 1): the writer of an output folder is stopped dead at every
//! filesystem step in turn (`MIGPROJ_FAILPOINT=N` exits at the N-th step without running any
//! destructor, as `kill -9` would). At every such instant the folder's path must hold either the
//! complete previous outputs or the complete new ones, and the next run must work and leave
//! no leftovers.

mod common;

use std::path::Path;
use std::process::Output;

use common::{assert_success, migproj_with_env, temp_dir};

fn migproj_env(args: &[&str], env: &[(&str, String)]) -> Output {
    let env: Vec<(&str, Option<&str>)> = env.iter().map(|(k, v)| (*k, Some(v.as_str()))).collect();
    migproj_with_env(&env, args)
}

/// Every file under `folder` with its bytes (run.json without its wall time).
fn snapshot(folder: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![folder.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(folder).unwrap().display().to_string();
                let mut bytes = std::fs::read(&path).unwrap();
                if name.ends_with("run.json") {
                    let text = String::from_utf8(bytes).unwrap();
                    bytes = text
                        .lines()
                        .filter(|l| !l.contains("wall_time_seconds"))
                        .collect::<Vec<_>>()
                        .join("\n")
                        .into_bytes();
                }
                files.push((name, bytes));
            }
        }
    }
    files.sort();
    files
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Runs `scenario` into `out` (deterministic, no charts, so that each step is quick).
fn run(scenario: &Path, out: &Path, env: &[(&str, String)]) -> Output {
    migproj_env(
        &[
            "run",
            scenario.to_str().unwrap(),
            "--deterministic",
            "--no-charts",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ],
        env,
    )
}

fn stop_the_run_at_every_step(exchange: bool) {
    let dir = temp_dir(if exchange { "faults" } else { "faults-renames" });
    let baseline = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"),
    )
    .unwrap();
    let old_scenario = dir.join("old.toml");
    let new_scenario = dir.join("new.toml");
    std::fs::write(&old_scenario, &baseline).unwrap();
    std::fs::write(
        &new_scenario,
        baseline.replacen(
            "data_revision = \"IMR 2002\"",
            "data_revision = \"IMR 2002 b\"",
            1,
        ),
    )
    .unwrap();
    // The complete old and new outputs, for reference.
    let reference = dir.join("reference");
    assert_success(&run(&old_scenario, &reference, &[]));
    let old = snapshot(&reference.join("baseline"));
    assert_success(&run(&new_scenario, &reference, &[]));
    let new = snapshot(&reference.join("baseline"));
    assert_ne!(old, new);

    let mode: Vec<(&str, String)> = if exchange {
        Vec::new()
    } else {
        vec![("MIGPROJ_NO_RENAME_EXCHANGE", "1".to_string())]
    };
    let out = dir.join("out");
    let target = out.join("baseline");
    let mut stopped = 0;
    for n in 1.. {
        assert!(n < 500, "the run never finished");
        let _ = std::fs::remove_dir_all(&out);
        assert_success(&run(&old_scenario, &out, &[]));
        let mut env = mode.clone();
        env.push(("MIGPROJ_FAILPOINT", n.to_string()));
        let output = run(&new_scenario, &out, &env);
        if output.status.success() {
            // Past the last failpoint: the run completed.
            assert_eq!(snapshot(&target), new);
            break;
        }
        assert_eq!(
            output.status.code(),
            Some(86),
            "step {n}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        stopped += 1;
        if target.exists() {
            let now = snapshot(&target);
            assert!(
                now == old || now == new,
                "step {n}: the folder holds neither the old nor the new outputs: {:?}",
                now.iter().map(|(name, _)| name).collect::<Vec<_>>()
            );
        } else {
            // Only without RENAME_EXCHANGE, between its two renames: the old folder is aside.
            assert!(!exchange, "step {n}: no folder at {}", target.display());
            let aside: Vec<String> = names_in(&out)
                .into_iter()
                .filter(|name| name.starts_with(".baseline.old-"))
                .collect();
            assert_eq!(aside.len(), 1, "step {n}: {:?}", names_in(&out));
            assert_eq!(snapshot(&out.join(&aside[0])), old, "step {n}");
            // The next writer puts it back before anything else (checked just below).
        }
        // The next run works and leaves nothing behind.
        assert_success(&run(&new_scenario, &out, &mode));
        assert_eq!(snapshot(&target), new, "step {n}: rerun");
        assert_eq!(names_in(&out), vec!["baseline".to_string()], "step {n}");
    }
    // Lock, staging, at least three files, swap, removal of the previous folder.
    assert!(stopped >= 10, "only {stopped} failpoints");
}

#[test]
fn a_run_stopped_at_any_step_leaves_the_old_or_the_new_folder_whole() {
    stop_the_run_at_every_step(true);
}

#[test]
fn without_rename_exchange_the_old_folder_is_never_lost() {
    stop_the_run_at_every_step(false);
}

#[test]
fn a_plot_stopped_at_any_step_leaves_whole_charts() {
    let dir = temp_dir("faults-plot");
    let out = dir.join("out");
    let run = migproj_env(
        &[
            "run",
            "scenarios/baseline.toml",
            "--deterministic",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_success(&run);
    let folder = out.join("baseline");
    let charts = snapshot(&folder.join("charts"));
    assert!(charts.len() >= 10);
    for n in 1.. {
        assert!(n < 500, "plot never finished");
        let output = migproj_env(
            &["plot", folder.to_str().unwrap()],
            &[("MIGPROJ_FAILPOINT", n.to_string())],
        );
        // Deterministic: the redrawn charts are the same bytes, so old and new agree.
        assert_eq!(snapshot(&folder.join("charts")), charts, "step {n}");
        if output.status.success() {
            break;
        }
        assert_eq!(output.status.code(), Some(86));
    }
    let plot = migproj_env(&["plot", folder.to_str().unwrap()], &[]);
    assert_success(&plot);
    let names = names_in(&folder);
    assert!(
        names.iter().all(|n| !n.starts_with('.')),
        "leftovers: {names:?}"
    );
}
