//! Monte Carlo in shards (MODEL.md section 15, issue 21): a run in one process, the same run
//! spilled to disk past --max-memory, and the merge of its shards (1, 2, 4 and 7, uneven
//! ranges) write the same bytes; bad shard sets are refused with exit 2 and nothing written;
//! a shard stopped half-way is never taken as complete, and running it again completes the
//! merge.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_same_run, assert_success, migproj, migproj_with_env, temp_dir};

fn run(args: &[&str]) {
    assert_success(&migproj(args));
}

fn shard_dirs(dir: &Path) -> Vec<String> {
    let mut dirs: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
        })
        .map(|p| p.display().to_string())
        .collect();
    dirs.sort();
    dirs
}

fn merge(shards: &[String], out: &Path) -> std::process::Output {
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(String::as_str));
    args.extend(["--out", out.to_str().unwrap(), "--quiet"]);
    migproj(&args)
}

#[test]
fn one_process_spilled_and_merged_shards_write_the_same_bytes() {
    // (scenario, trajectories, a --max-memory that holds the deterministic run and a block
    // of a few dozen trajectories but not all their values, 7 uneven ranges)
    for (scenario, name, t, memory, uneven) in [
        // Regions, areas and origin groups: 24.0 MiB of values.
        (
            "tests/fixtures/areas/areas.toml",
            "areas",
            "200",
            "20M",
            [
                "0..3", "3..50", "50..51", "51..120", "120..121", "121..180", "180..200",
            ],
        ),
        // The World, with events (probabilities.csv): 4.2 MiB of values.
        (
            "scenarios/baseline.toml",
            "baseline",
            "1000",
            "4M",
            [
                "0..1",
                "1..400",
                "400..401",
                "401..700",
                "700..998",
                "998..999",
                "999..1000",
            ],
        ),
    ] {
        let dir = temp_dir(&format!("shards-same-{name}"));
        let one = dir.join("one");
        run(&[
            "run",
            scenario,
            "--trajectories",
            t,
            "--out",
            one.to_str().unwrap(),
            "--quiet",
        ]);
        let expected = one.join(name);
        // Spilled: a budget of a few trajectories' values.
        let spilled = dir.join("spilled");
        let output = migproj(&[
            "run",
            scenario,
            "--trajectories",
            t,
            "--max-memory",
            memory,
            "--out",
            spilled.to_str().unwrap(),
        ]);
        assert_success(&output);
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("spilled in blocks of"),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_same_run(&expected, &spilled.join(name), "spilled");
        // No spill folder is left behind.
        assert_eq!(
            std::fs::read_dir(&spilled).unwrap().count(),
            1,
            "{:?}",
            std::fs::read_dir(&spilled).unwrap().collect::<Vec<_>>()
        );
        // 1, 2 and 4 shards of K/N, and 7 uneven ranges.
        for (case, n) in [("1", 1), ("2", 2), ("4", 4), ("7", 7)] {
            let shards = dir.join(format!("shards-{case}"));
            for k in 1..=n {
                let shard = format!("{k}/{n}");
                let (flag, value) = if n == 7 {
                    ("--trajectory-range", uneven[k - 1])
                } else {
                    ("--shard", shard.as_str())
                };
                run(&[
                    "run",
                    scenario,
                    "--trajectories",
                    t,
                    flag,
                    value,
                    // Several values files per shard.
                    "--max-memory",
                    memory,
                    "--out",
                    shards.to_str().unwrap(),
                    "--quiet",
                ]);
            }
            let merged = dir.join(format!("merged-{case}"));
            let output = merge(&shard_dirs(&shards), &merged);
            assert_success(&output);
            assert_same_run(&expected, &merged.join(name), &format!("{n} shards"));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Four shards of 40 trajectories of the areas fixture, seed 3.
fn four_shards(dir: &Path, scenario: &str, seed: &str) -> Vec<String> {
    for k in 1..=4 {
        run(&[
            "run",
            scenario,
            "--trajectories",
            "40",
            "--seed",
            seed,
            "--shard",
            &format!("{k}/4"),
            "--out",
            dir.to_str().unwrap(),
            "--quiet",
        ]);
    }
    shard_dirs(dir)
}

/// A copy of a shard folder (to damage).
fn copy_shard(from: &str, to: &Path) -> String {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
    }
    to.display().to_string()
}

fn values_file(dir: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "parquet"))
        .unwrap()
}

fn assert_refused(shards: &[String], out: &Path, expected: &str, what: &str) {
    let output = merge(shards, out);
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{what}: {message}");
    assert!(message.contains(expected), "{what}: {message}");
    assert!(message.contains("nothing was written"), "{what}: {message}");
    // Nothing written: no run folder, no staging folder, not even the output folder's files.
    let left: Vec<_> = std::fs::read_dir(out)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{what}: left {left:?}");
}

#[test]
fn bad_shard_sets_are_refused_with_nothing_written() {
    let dir = temp_dir("shards-bad");
    let scenario = "tests/fixtures/areas/areas.toml";
    let good = four_shards(&dir.join("good"), scenario, "3");
    let out = dir.join("out");
    let damaged = dir.join("damaged");
    // Missing: 3 of 4.
    assert_refused(
        &[good[0].clone(), good[1].clone(), good[3].clone()],
        &out,
        "trajectories 20..30 of the 40 are in none of the shards given",
        "missing",
    );
    assert_refused(
        &good[..3],
        &out,
        "trajectories 30..40 of the 40 are in none",
        "missing last",
    );
    // Duplicated: one shard twice.
    let mut twice = good.clone();
    twice.push(good[1].clone());
    assert_refused(&twice, &out, "overlaps", "duplicated");
    // Overlapping: an explicit range across two shards.
    run(&[
        "run",
        scenario,
        "--trajectories",
        "40",
        "--seed",
        "3",
        "--trajectory-range",
        "5..15",
        "--out",
        dir.join("overlap").to_str().unwrap(),
        "--quiet",
    ]);
    let mut overlapping = good.clone();
    overlapping.extend(shard_dirs(&dir.join("overlap")));
    assert_refused(&overlapping, &out, "overlaps", "overlapping");
    // Another seed, another scenario.
    let other_seed = four_shards(&dir.join("seed4"), scenario, "4");
    assert_refused(
        &[
            good[0].clone(),
            other_seed[1].clone(),
            good[2].clone(),
            good[3].clone(),
        ],
        &out,
        "is a shard of another run",
        "another seed",
    );
    let other_scenario = four_shards(&dir.join("other"), "scenarios/regions.toml", "3");
    assert_refused(
        &[
            good[0].clone(),
            good[1].clone(),
            other_scenario[2].clone(),
            good[3].clone(),
        ],
        &out,
        "is a shard of another run",
        "another scenario",
    );
    // Damaged folders: each a copy of shard 2 with one fault.
    let source = copy_shard(&good[2], &dir.join("damaged-src"));
    type Damage<'a> = Box<dyn Fn(&str) + 'a>;
    let cases: Vec<(&str, &str, Damage)> = vec![
        (
            "truncated",
            "(truncated or damaged)",
            Box::new(|d: &str| {
                let file = values_file(d);
                let len = std::fs::metadata(&file).unwrap().len();
                let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
                f.set_len(len / 2).unwrap();
            }),
        ),
        (
            "corrupted",
            "does not have the sha256 its manifest states",
            Box::new(|d: &str| {
                let file = values_file(d);
                let mut bytes = std::fs::read(&file).unwrap();
                let middle = bytes.len() / 2;
                bytes[middle] ^= 0x5a;
                std::fs::write(&file, bytes).unwrap();
            }),
        ),
        (
            "manifest edited",
            "checksum does not match",
            Box::new(|d: &str| {
                let path = Path::new(d).join("manifest.json");
                let text = std::fs::read_to_string(&path).unwrap();
                std::fs::write(&path, text.replace("\"last\": 20", "\"last\": 21")).unwrap();
            }),
        ),
        (
            "manifest truncated",
            "damaged manifest.json",
            Box::new(|d: &str| {
                let path = Path::new(d).join("manifest.json");
                let text = std::fs::read_to_string(&path).unwrap();
                std::fs::write(&path, &text[..text.len() / 2]).unwrap();
            }),
        ),
        (
            "no manifest",
            "is not a complete shard",
            Box::new(|d: &str| std::fs::remove_file(Path::new(d).join("manifest.json")).unwrap()),
        ),
        (
            "file missing",
            "is missing",
            Box::new(|d: &str| std::fs::remove_file(values_file(d)).unwrap()),
        ),
        (
            "file replaced",
            "does not have the sha256",
            Box::new(|d: &str| {
                // Another shard's file, renamed, of the same size: not this shard's.
                let file = values_file(d);
                let len = std::fs::metadata(&file).unwrap().len() as usize;
                let mut bytes = std::fs::read(values_file(&source)).unwrap();
                bytes.resize(len, 0);
                std::fs::write(&file, bytes).unwrap();
            }),
        ),
    ];
    for (i, (what, expected, damage)) in cases.iter().enumerate() {
        let copy = copy_shard(&good[1], &damaged.join(i.to_string()));
        damage(&copy);
        assert_refused(
            &[good[0].clone(), copy, good[2].clone(), good[3].clone()],
            &out,
            expected,
            what,
        );
    }
    // Not a folder.
    assert_refused(&[scenario.to_string()], &out, "is not a folder", "a file");
    // The scenario changed since the shards ran.
    let copy = dir.join("copy.toml");
    std::fs::copy(scenario, &copy).unwrap();
    let shards = four_shards(&dir.join("copied"), copy.to_str().unwrap(), "3");
    let text = std::fs::read_to_string(&copy).unwrap();
    std::fs::write(&copy, text.replace("end_year = 2030", "end_year = 2031")).unwrap();
    assert_refused(
        &shards,
        &out,
        "is not the scenario the shards ran",
        "edited scenario",
    );
    // The good set merges.
    assert_success(&merge(&good, &out));
    assert!(out.join("areas/summary.csv").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_shard_stopped_half_way_is_never_complete_and_its_rerun_completes_the_merge() {
    let dir = temp_dir("shards-killed");
    let scenario = "tests/fixtures/areas/areas.toml";
    let one = dir.join("one");
    run(&[
        "run",
        scenario,
        "--trajectories",
        "40",
        "--seed",
        "3",
        "--out",
        one.to_str().unwrap(),
        "--quiet",
    ]);
    let shards = dir.join("shards");
    let good = four_shards(&shards, scenario, "3");
    std::fs::remove_dir_all(&good[1]).unwrap();
    // Stop shard 2 at each failpoint in turn (as a kill -9 would): until it completes, the
    // folder a merge is given is never taken as complete.
    let mut stopped = 0;
    for failpoint in 1.. {
        let output = migproj_with_env(
            &[("MIGPROJ_FAILPOINT", Some(&failpoint.to_string()))],
            &[
                "run",
                scenario,
                "--trajectories",
                "40",
                "--seed",
                "3",
                "--shard",
                "2/4",
                "--out",
                shards.to_str().unwrap(),
                "--quiet",
            ],
        );
        if output.status.success() {
            break;
        }
        assert_eq!(
            output.status.code(),
            Some(86),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stopped += 1;
        // What a stopped shard leaves: its hidden staging folder (without a manifest), or
        // nothing, or (after the commit's rename) a complete shard.
        let mut given: Vec<String> = std::fs::read_dir(&shards)
            .unwrap()
            .map(|e| e.unwrap().path().display().to_string())
            .filter(|p| p.contains("shard-2-of-4"))
            .collect();
        given.extend([good[0].clone(), good[2].clone(), good[3].clone()]);
        let out = dir.join(format!("out-{failpoint}"));
        let output = merge(&given, &out);
        if output.status.success() {
            assert_same_run(&one.join("areas"), &out.join("areas"), "after a late stop");
        } else {
            assert_eq!(output.status.code(), Some(2));
            assert!(!out.join("areas").exists());
        }
    }
    assert!(stopped >= 4, "the shard passed only {stopped} failpoints");
    // Run again to the end: the merge completes, equal to the one-process run.
    let out = dir.join("out");
    let output = merge(&shard_dirs(&shards), &out);
    assert_success(&output);
    assert_same_run(&one.join("areas"), &out.join("areas"), "after the rerun");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shard_arguments_are_checked() {
    let dir = temp_dir("shards-args");
    for (args, expected) in [
        (vec!["--shard", "0/4"], "1 <= K <= N"),
        (vec!["--shard", "5/4"], "1 <= K <= N"),
        (vec!["--shard", "two"], "expected K/N"),
        (vec!["--trajectory-range", "10..5"], "FIRST < LAST"),
        (
            vec!["--trajectory-range", "0..50"],
            "passes the run's 40 trajectories",
        ),
        (vec!["--shard", "1/41"], "use at most 40 shards"),
        (
            vec!["--shard", "1/2", "--deterministic"],
            "cannot be used with",
        ),
    ] {
        let mut all = vec![
            "run",
            "tests/fixtures/areas/areas.toml",
            "--trajectories",
            "40",
            "--out",
            dir.to_str().unwrap(),
        ];
        all.extend(args.iter());
        let output = migproj(&all);
        let message = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {message}");
        assert!(message.contains(expected), "{args:?}: {message}");
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}
