//! Mutation testing of run folders and tables (issue 14): `plot` and `report` read run folders
//! and compare folders a user may have edited, truncated or corrupted. Every mutation must end
//! in exit 0 or exit 2 (a located refusal): never a panic, an abort or a hang (each case runs
//! under a timeout). Quick by default; `MIGPROJ_SLOW_TESTS=1` runs about three times as many cases
//! (ten times until CI passed 30 minutes; every case has its own seed, so more cases are more
//! draws of the same kinds of damage).

mod common;
use common::{assert_success, migproj, run_with_timeout, temp_dir};

use std::path::{Path, PathBuf};
use std::time::Duration;

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

const JUNK_FIELDS: [&str; 22] = [
    "nan",
    "inf",
    "-inf",
    "1e308",
    "-1e308",
    "1.5e308",
    "1e-320",
    "-1",
    "0",
    "",
    "abc",
    "9223372036854775807",
    "2147483648",
    "-2147483649",
    "1e18",
    "-0",
    "\u{0}",
    "\u{1b}[31m",
    "\"quoted, with comma\"",
    "<script>alert(1)</script>",
    "99999",
    "0x10",
];

/// Copies a folder tree.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).unwrap();
        }
    }
}

/// The text files of a run folder that a reader parses.
fn table_files(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "csv" || e == "json" || e == "md")
        })
        .collect();
    files.sort();
    files
}

/// One mutation of one file's bytes.
fn mutate(bytes: &[u8], rng: &mut ChaCha8Rng) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let pick = |rng: &mut ChaCha8Rng, n: usize| rng.random_range(0..n.max(1));
    match rng.random_range(0..12) {
        // A field replaced by junk (several times: errors must still be one per file).
        0..=3 => {
            for _ in 0..rng.random_range(1..4) {
                let i = pick(rng, lines.len());
                if let Some(line) = lines.get_mut(i) {
                    let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
                    let j = pick(rng, fields.len());
                    fields[j] = JUNK_FIELDS[pick(rng, JUNK_FIELDS.len())].to_string();
                    *line = fields.join(",");
                }
            }
            lines.join("\n").into_bytes()
        }
        // Truncated at a random byte.
        4 => bytes[..pick(rng, bytes.len())].to_vec(),
        // A line deleted, or duplicated.
        5 => {
            let i = pick(rng, lines.len());
            if i < lines.len() {
                if rng.random_range(0..2) == 0 {
                    lines.remove(i);
                } else {
                    let line = lines[i].clone();
                    lines.insert(i, line);
                }
            }
            lines.join("\n").into_bytes()
        }
        // A column dropped from every line.
        6 => {
            let j = pick(rng, 6);
            lines
                .iter()
                .map(|l| {
                    let mut f: Vec<&str> = l.split(',').collect();
                    if j < f.len() {
                        f.remove(j);
                    }
                    f.join(",")
                })
                .collect::<Vec<_>>()
                .join("\n")
                .into_bytes()
        }
        // A byte-order mark, or CR-only line ends.
        7 => {
            if rng.random_range(0..2) == 0 {
                let mut out = "\u{feff}".as_bytes().to_vec();
                out.extend_from_slice(bytes);
                out
            } else {
                lines.join("\r").into_bytes()
            }
        }
        // Invalid UTF-8 in the middle.
        8 => {
            let mut out = bytes.to_vec();
            let i = pick(rng, out.len());
            if i < out.len() {
                out[i] = 0xff;
            }
            out
        }
        // Emptied.
        9 => Vec::new(),
        // Every number scaled far out of range.
        10 => text
            .split(',')
            .map(|f| match f.parse::<f64>() {
                Ok(v) if v != 0.0 && !f.contains('-') => format!("{:e}", v * 1e300),
                _ => f.to_string(),
            })
            .collect::<Vec<_>>()
            .join(",")
            .into_bytes(),
        // A very long line.
        _ => {
            let i = pick(rng, lines.len());
            if i < lines.len() {
                lines[i].push_str(&"9".repeat(200_000));
            }
            lines.join("\n").into_bytes()
        }
    }
}

#[test]
fn mutated_run_and_compare_folders_are_drawn_or_refused() {
    let dir = temp_dir("mutated-outputs");
    let out = dir.join("out");
    let run = migproj(&[
        "run",
        "tests/fixtures/origins/three_by_three.toml",
        "--trajectories",
        "30",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_success(&run);
    let compare = migproj(&[
        "compare",
        "scenarios/baseline.toml",
        "scenarios/high.toml",
        "--trajectories",
        "20",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_success(&compare);
    let run_folder = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_dir() && !p.ends_with("compare"))
        .unwrap();
    let compare_folder = out.join("compare");
    // 80 in the slow suite (600, 160, then 120 before it, until CI neared its 30 minutes).
    let cases = if std::env::var_os("MIGPROJ_SLOW_TESTS").is_some() {
        80
    } else {
        60
    };
    let mut refused = 0;
    for case in 0..cases {
        let mut rng = ChaCha8Rng::seed_from_u64(14);
        rng.set_stream(case as u64);
        let source = if case % 4 == 3 {
            &compare_folder
        } else {
            &run_folder
        };
        let work = dir.join(format!("case-{case}"));
        copy_tree(source, &work);
        let files = table_files(&work);
        let file = &files[rng.random_range(0..files.len())];
        let bytes = std::fs::read(file).unwrap();
        std::fs::write(file, mutate(&bytes, &mut rng)).unwrap();
        let what = format!("case {case}: {}", file.display());
        let mut commands: Vec<Vec<String>> = vec![vec![
            "report".into(),
            work.display().to_string(),
            "--out".into(),
            dir.join(format!("report-{case}")).display().to_string(),
        ]];
        if source == &run_folder {
            commands.push(vec!["plot".into(), work.display().to_string()]);
        }
        for args in commands {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let (code, stderr) = run_with_timeout(&args, Duration::from_secs(60));
            assert!(
                matches!(code, Some(0) | Some(2)),
                "{what}: {} exit {code:?}: {}",
                args[0],
                &stderr[..stderr.len().min(2000)]
            );
            assert!(!stderr.contains("panicked"), "{what}: {stderr}");
            assert!(
                stderr.len() < 20_000,
                "{what}: {} bytes of error output",
                stderr.len()
            );
            if code == Some(2) {
                refused += 1;
                assert!(stderr.starts_with("error"), "{what}: {stderr}");
            }
        }
        // No partial report or staging folder is left behind.
        let leftovers: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("partial"))
            .collect();
        assert!(leftovers.is_empty(), "{what}: {leftovers:?}");
        let _ = std::fs::remove_dir_all(&work);
    }
    assert!(
        refused > 0,
        "no mutation was refused: the test did not bite"
    );
}

/// Mutation testing of the tables a scenario or a command reads (issue 14): a mortality table,
/// an arrival age schedule and a hindcast's observations, each mutated, through `check`,
/// `run` and `hindcast` under a timeout: exit 0 or 2, never a panic or a hang.
#[test]
fn mutated_input_tables_are_read_or_refused() {
    let dir = temp_dir("mutated-tables");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let baseline = std::fs::read_to_string(root.join("scenarios/baseline.toml")).unwrap();
    // A Gompertz-like table of death probabilities and a flat age schedule.
    let mut mortality = String::from("age,female,male\n");
    let mut schedule = String::from("age,female,male\n");
    for age in 0..=100 {
        let q = (0.0002 * (0.09 * age as f64).exp()).min(1.0);
        mortality.push_str(&format!("{age},{q:.6},{:.6}\n", (q * 1.3).min(1.0)));
        let w = if (15..=45).contains(&age) { 2.0 } else { 1.0 };
        schedule.push_str(&format!("{age},{w},{w}\n"));
    }
    let scenario_text = baseline
        .replacen(
            "life_expectancy = { female = 77.0, male = 71.0 }\nimprovement = 0.15",
            "table = \"mortality.csv\"",
            1,
        )
        .replacen(
            "female_share = 0.49",
            "age_schedule = { table = \"schedule.csv\" }\n# female_share = 0.49",
            1,
        );
    assert!(scenario_text.contains("mortality.csv") && scenario_text.contains("schedule.csv"));
    let observed = std::fs::read_to_string(root.join("data/observed-ims2020-world.csv")).unwrap();
    // 40 in the slow suite (300, 80, then 60 before it, until CI neared its 30 minutes).
    let cases = if std::env::var_os("MIGPROJ_SLOW_TESTS").is_some() {
        40
    } else {
        30
    };
    let mut refused = 0;
    for case in 0..cases {
        let mut rng = ChaCha8Rng::seed_from_u64(1414);
        rng.set_stream(case as u64);
        let work = dir.join(format!("case-{case}"));
        std::fs::create_dir_all(&work).unwrap();
        std::fs::write(work.join("scenario.toml"), &scenario_text).unwrap();
        let (which, text) = match case % 3 {
            0 => ("mortality.csv", &mortality),
            1 => ("schedule.csv", &schedule),
            _ => ("observed.csv", &observed),
        };
        for (name, original) in [
            ("mortality.csv", &mortality),
            ("schedule.csv", &schedule),
            ("observed.csv", &observed),
        ] {
            std::fs::write(work.join(name), original).unwrap();
        }
        std::fs::write(work.join(which), mutate(text.as_bytes(), &mut rng)).unwrap();
        let scenario = work.join("scenario.toml");
        let out = work.join("out");
        let s = scenario.to_str().unwrap();
        let o = out.to_str().unwrap();
        let observed_path = work.join("observed.csv");
        let commands: Vec<Vec<&str>> = if which == "observed.csv" {
            vec![vec![
                "hindcast",
                s,
                "--observed",
                observed_path.to_str().unwrap(),
                "--trajectories",
                "20",
                "--quiet",
                "--out",
                o,
            ]]
        } else {
            vec![
                vec!["check", s],
                vec![
                    "run",
                    s,
                    "--trajectories",
                    "10",
                    "--no-charts",
                    "--quiet",
                    "--out",
                    o,
                ],
            ]
        };
        for args in commands {
            let (code, stderr) = run_with_timeout(&args, Duration::from_secs(60));
            let what = format!("case {case} ({which}): {}", args[0]);
            assert!(
                matches!(code, Some(0) | Some(2)),
                "{what}: exit {code:?}: {}",
                &stderr[..stderr.len().min(2000)]
            );
            assert!(!stderr.contains("panicked"), "{what}: {stderr}");
            assert!(
                stderr.len() < 20_000,
                "{what}: {} bytes of errors",
                stderr.len()
            );
            if code == Some(2) {
                refused += 1;
                assert!(stderr.starts_with("error"), "{what}: {stderr}");
            }
        }
        let _ = std::fs::remove_dir_all(&work);
    }
    assert!(
        refused > 0,
        "no mutation was refused: the test did not bite"
    );
}
