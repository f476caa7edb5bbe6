//! Robustness: thousands of mutated scenario files never panic and are either run or refused
//! with a located error; extreme but valid scenarios work or fail clearly; a killed run leaves
//! the outputs whole; concurrent runs are kept apart; the same inputs give the same bytes.

mod common;
use common::{assert_success, migproj, temp_dir};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use migproj::cli::RunArgs;
use migproj::commands::{project, run_outputs};
use migproj::error::Error;
use migproj::scenario::load_scenario_bytes;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped scenarios, the mutation test's starting points.
fn shipped() -> Vec<String> {
    let mut texts: Vec<(PathBuf, String)> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        // The 228-country import takes seconds per run: the hand-written scenarios exercise
        // every key it has (tests/import.rs and tests/areas.rs test it).
        .filter(|p| p.file_stem().is_some_and(|s| s != "countries"))
        .map(|p| (p.clone(), std::fs::read_to_string(p).unwrap()))
        .collect();
    texts.sort();
    texts.into_iter().map(|(_, t)| t).collect()
}

const JUNK_VALUES: [&str; 24] = [
    "nan",
    "-nan",
    "inf",
    "-inf",
    "+inf",
    "1e308",
    "-1e308",
    "1e-320",
    "0",
    "-0.0",
    "-1",
    "9223372036854775807",
    "-9223372036854775808",
    "\"a string\"",
    "true",
    "[1, 2, 3]",
    "{ a = 1 }",
    "1990-07-01",
    "\"\"",
    "[]",
    "{}",
    "0.5",
    "2.5e9",
    "[15]",
];

/// One mutation of a scenario text, chosen by `rng`. Returns bytes (some are not UTF-8).
fn mutate(text: &str, rng: &mut ChaCha8Rng) -> Vec<u8> {
    let lines: Vec<&str> = text.lines().collect();
    let pick = |rng: &mut ChaCha8Rng, n: usize| rng.random_range(0..n.max(1));
    let value_lines: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains('=') && !lines[i].trim_start().starts_with('#'))
        .collect();
    let header_lines: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim_start().starts_with('['))
        .collect();
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    if value_lines.is_empty() || out.is_empty() {
        // Nothing left to mutate by line: append junk instead.
        let mut bytes = text.as_bytes().to_vec();
        bytes.extend_from_slice(JUNK_VALUES[pick(rng, JUNK_VALUES.len())].as_bytes());
        return bytes;
    }
    match rng.random_range(0..16u32) {
        0 => {
            // Delete a line (a key, a header, a comment).
            let i = pick(rng, out.len());
            out.remove(i);
        }
        1..=3 => {
            // Replace a value with junk of another type or an extreme number.
            let i = value_lines[pick(rng, value_lines.len())];
            let key = out[i].split('=').next().unwrap().to_string();
            out[i] = format!("{key}= {}", JUNK_VALUES[pick(rng, JUNK_VALUES.len())]);
        }
        4 => {
            // Replace a number inside an inline table or a value by an extreme one.
            let i = value_lines[pick(rng, value_lines.len())];
            let extreme =
                ["1e308", "-5", "0", "nan", "1e-300", "inf", "3000", "-1990"][pick(rng, 8)];
            let mut replaced = false;
            let line = out[i].clone();
            let mut result = String::new();
            for token in line.split(' ') {
                if !replaced
                    && token
                        .trim_end_matches([',', '}', ']'])
                        .parse::<f64>()
                        .is_ok()
                    && rng.random_range(0..3u32) == 0
                {
                    let tail: String = token
                        .chars()
                        .skip_while(|c| !matches!(c, ',' | '}' | ']'))
                        .collect();
                    result.push_str(extreme);
                    result.push_str(&tail);
                    replaced = true;
                } else {
                    result.push_str(token);
                }
                result.push(' ');
            }
            out[i] = result.trim_end().to_string();
        }
        5 => {
            // Swap two sections: move a header line elsewhere.
            if header_lines.len() >= 2 {
                let a = header_lines[pick(rng, header_lines.len())];
                let b = header_lines[pick(rng, header_lines.len())];
                out.swap(a, b);
            }
        }
        6 => {
            // Duplicate a key line.
            let i = value_lines[pick(rng, value_lines.len())];
            let line = out[i].clone();
            out.insert(i + 1, line);
        }
        7 => return Vec::new(),
        8 => {
            // Binary junk at a random place.
            let mut bytes = text.as_bytes().to_vec();
            let at = pick(rng, bytes.len());
            let junk: Vec<u8> = (0..rng.random_range(1..64usize))
                .map(|_| rng.random::<u8>())
                .collect();
            bytes.splice(at..at, junk);
            return bytes;
        }
        9 => {
            // A very long string value.
            let i = value_lines[pick(rng, value_lines.len())];
            let key = out[i].split('=').next().unwrap().to_string();
            out[i] = format!(
                "{key}= \"{}\"",
                "x".repeat(rng.random_range(1000..200_000usize))
            );
        }
        10 => {
            // Deep nesting.
            let depth = rng.random_range(10..3000usize);
            let nested = if rng.random_range(0..2u32) == 0 {
                format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
            } else {
                format!("{}1{}", "{ a = ".repeat(depth), " }".repeat(depth))
            };
            let i = value_lines[pick(rng, value_lines.len())];
            let key = out[i].split('=').next().unwrap().to_string();
            out[i] = format!("{key}= {nested}");
        }
        11 => {
            // Truncate the file anywhere (on a character boundary).
            let mut at = pick(rng, text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            return text.as_bytes()[..at].to_vec();
        }
        12 => {
            // Misspell a key.
            let i = value_lines[pick(rng, value_lines.len())];
            let mut chars: Vec<char> = out[i].chars().collect();
            let end = chars.iter().position(|c| *c == '=').unwrap_or(1).max(1);
            let at = pick(rng, end);
            chars.insert(at, ['x', '_', 'e', 'Z'][pick(rng, 4)]);
            out[i] = chars.into_iter().collect();
        }
        13 => {
            // Duplicate a section header.
            if !header_lines.is_empty() {
                let h = out[header_lines[pick(rng, header_lines.len())]].clone();
                let at = pick(rng, out.len());
                out.insert(at, h);
            }
        }
        14 => {
            // Unicode, control characters and odd keys.
            let at = pick(rng, out.len());
            let odd = [
                "\"ключ\" = 1",
                "ü = \"ß\"",
                "\u{7f} = 1",
                "a.b.c.d.e = 1",
                "'' = 1",
                "[\"\"]",
                "region = 5",
                "scenario = []",
            ][pick(rng, 8)];
            out.insert(at, odd.to_string());
        }
        _ => {
            // Two mutations at once.
            let once = mutate(text, rng);
            if let Ok(t) = String::from_utf8(once) {
                return mutate(&t, rng);
            }
        }
    }
    let mut joined = out.join("\n");
    joined.push('\n');
    joined.into_bytes()
}

/// What `check` and `run --deterministic` do with a scenario, in-process: load, calibrate,
/// build every output in memory (charts too when `charts`).
fn check_and_run(path: &Path, bytes: Vec<u8>, charts: bool) -> Result<usize, Error> {
    let loaded = load_scenario_bytes(path, bytes)?;
    project(&loaded)?;
    let args = RunArgs {
        scenarios: vec![path.to_path_buf()],
        out: PathBuf::from("unused"),
        trajectories: None,
        seed: None,
        threads: Some(1),
        deterministic: true,
        write_trajectories: None,
        max_memory: 1 << 30,
        chart_size: (800, 500),
        no_charts: !charts,
        quiet: true,
        keep: false,
        shard: None,
        trajectory_range: None,
    };
    let files = run_outputs(&args, &loaded)?;
    Ok(files.len())
}

#[test]
fn mutated_scenarios_never_panic_and_every_refusal_is_located() {
    let seed: u64 = std::env::var("MIGPROJ_MUTATION_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20030701);
    let n: usize = std::env::var("MIGPROJ_MUTATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        // 1,500 in the slow suite (CI; 10,000, then 5,000, 3,000 and 2,000, until CI neared its
        // 30 minutes), 1,000 otherwise; MIGPROJ_MUTATIONS sets any number.
        .unwrap_or(if std::env::var_os("MIGPROJ_SLOW_TESTS").is_some() {
            1_500
        } else {
            1_000
        });
    let bases = shipped();
    let ran = AtomicUsize::new(0);
    let refused = AtomicUsize::new(0);
    let failures: Vec<String> = (0..n)
        .into_par_iter()
        .filter_map(|i| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(i as u64);
            let base = &bases[i % bases.len()];
            let bytes = mutate(base, &mut rng);
            let path = PathBuf::from(format!("scenarios/variant-{i}.toml"));
            let outcome =
                std::panic::catch_unwind(|| check_and_run(&path, bytes.clone(), i % 50 == 0));
            let problem = match outcome {
                Err(_) => Some("panicked".to_string()),
                Ok(Ok(_)) => {
                    ran.fetch_add(1, Ordering::Relaxed);
                    None
                }
                Ok(Err(err)) => {
                    refused.fetch_add(1, Ordering::Relaxed);
                    let text = err.to_string();
                    if err.exit_code() != 2 {
                        Some(format!(
                            "exit code {} for bad input: {text}",
                            err.exit_code()
                        ))
                    } else if !text.contains(&format!("variant-{i}.toml")) {
                        Some(format!("the error does not name the file: {text}"))
                    } else if matches!(err, Error::Input { .. })
                        && !text.contains(&format!("variant-{i}.toml:"))
                        && !text.contains(&format!("--> scenarios/variant-{i}.toml\n"))
                    {
                        Some(format!("a located error without line and column: {text}"))
                    } else {
                        None
                    }
                }
            };
            problem.map(|p| {
                let replay = std::env::temp_dir().join(format!("migproj-mutation-{seed}-{i}.toml"));
                let _ = std::fs::write(&replay, &bytes);
                format!(
                    "variant {i} (seed {seed}, saved to {}): {p}",
                    replay.display()
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} failures, first: {}",
        failures.len(),
        failures[0]
    );
    let (ran, refused) = (ran.load(Ordering::Relaxed), refused.load(Ordering::Relaxed));
    eprintln!("{n} variants (seed {seed}): {ran} ran, {refused} refused with located errors");
    assert_eq!(ran + refused, n);
    // The mutations must exercise both paths.
    assert!(
        ran > n / 20 && refused > n / 2,
        "ran {ran}, refused {refused}"
    );
}

#[test]
fn mutated_scenarios_through_the_binary_exit_0_or_2() {
    let dir = temp_dir("cli-mutations");
    let bases = shipped();
    for i in 0..120usize {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        rng.set_stream(i as u64);
        let bytes = mutate(&bases[i % bases.len()], &mut rng);
        let path = dir.join(format!("variant-{i}.toml"));
        std::fs::write(&path, &bytes).unwrap();
        for command in ["check", "run"] {
            let out = dir.join("out");
            let mut args = vec![command, path.to_str().unwrap()];
            if command == "run" {
                args.extend([
                    "--deterministic",
                    "--no-charts",
                    "--quiet",
                    "--out",
                    out.to_str().unwrap(),
                ]);
            }
            let output = migproj(&args);
            let code = output.status.code();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                matches!(code, Some(0) | Some(2)),
                "{command} variant {i}: exit {code:?} {stderr}"
            );
            if code == Some(2) {
                assert!(
                    stderr.contains(&format!("variant-{i}.toml")),
                    "{command} variant {i}: {stderr}"
                );
                assert!(
                    stderr.starts_with("error"),
                    "{command} variant {i}: {stderr}"
                );
            }
        }
    }
}

fn with_changes(base: &str, changes: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(root().join("scenarios").join(base)).unwrap();
    for (from, to) in changes {
        assert!(text.contains(from), "{from}");
        text = text.replacen(from, to, 1);
    }
    text
}

fn run_text(name: &str, text: &str, extra: &[&str]) -> (Output, PathBuf) {
    let dir = temp_dir(name);
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    let out = dir.join("out");
    let mut args = vec![
        "run",
        path.to_str().unwrap(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    (migproj(&args), out)
}

fn assert_all_numbers_finite(folder: &Path) {
    for file in [
        "projection.csv",
        "structure.csv",
        "duration.csv",
        "summary.csv",
    ] {
        let Ok(text) = std::fs::read_to_string(folder.join(file)) else {
            continue;
        };
        for line in text.lines().skip(1) {
            for field in line.split(',') {
                if let Ok(x) = field.parse::<f64>() {
                    assert!(x.is_finite(), "{file}: {line}");
                }
                assert!(
                    !field.eq_ignore_ascii_case("nan") && !field.contains("inf"),
                    "{file}: {line}"
                );
            }
        }
    }
}

#[test]
fn extreme_but_valid_scenarios_run() {
    let cases: Vec<(&str, String)> = vec![
        (
            "end-2300",
            with_changes("baseline.toml", &[("end_year = 2050", "end_year = 2300")]),
        ),
        (
            "one-migrant",
            with_changes(
                "baseline.toml",
                &[
                    (
                        "stock = { 1990 = 154e6, 2000 = 175e6 }",
                        "stock = { 1990 = 1, 2000 = 1 }",
                    ),
                    // What one migrant could send (the shipped figures would be US$ 1.7e11
                    // from one remitter: refused as impossible, tested below).
                    (
                        "received = { 1990 = 68440818634, 2000 = 121769727355 }",
                        "received = { 1990 = 500, 2000 = 700 }",
                    ),
                ],
            ),
        ),
        (
            "zero-remittances",
            with_changes(
                "baseline.toml",
                &[(
                    "received = { 1990 = 68440818634, 2000 = 121769727355 }",
                    "received = { 1990 = 0, 2000 = 0 }",
                )],
            ),
        ),
        (
            "everyone-leaves",
            with_changes(
                "baseline.toml",
                &[
                    ("initial = 0.10", "initial = 1"),
                    ("long_run = 0.03", "long_run = 1"),
                ],
            ),
        ),
    ];
    for (name, text) in cases {
        let (output, out) = run_text(name, &text, &["--trajectories", "20"]);
        let message = String::from_utf8_lossy(&output.stderr);
        if name == "end-2300" && output.status.code() == Some(2) {
            // 250 years of yearly shocks may carry a trajectory past the world's population:
            // MODEL.md section 9 (revision 3) then stops the run, never clips. The
            // deterministic run to 2300 must still work.
            assert!(
                message.contains("exceed the world's population"),
                "{name}: {message}"
            );
            let (output, out) = run_text(name, &text, &["--deterministic"]);
            assert!(output.status.success(), "{name}: {message}");
            assert_all_numbers_finite(&out.join("baseline"));
            continue;
        }
        assert!(output.status.success(), "{name}: {message}");
        assert_all_numbers_finite(&out.join("baseline"));
    }
    // A hundred regions.
    let mut text = with_changes("baseline.toml", &[("[[region]]\nname = \"World\"\nstock = { 1990 = 154e6, 2000 = 175e6 }   # IMR 2002, rounded to 1 million\n", "")]);
    for r in 0..100 {
        text.push_str(&format!(
            "\n[[region]]\nname = \"Region {r}\"\nstock = {{ 1990 = {}, 2000 = {} }}\n",
            1e6 + r as f64 * 1e4,
            1.1e6 + r as f64 * 1.3e4
        ));
    }
    let (output, out) = run_text("hundred", &text, &["--deterministic"]);
    assert_success(&output);
    let projection = std::fs::read_to_string(out.join("baseline/projection.csv")).unwrap();
    assert_eq!(projection.lines().count(), 1 + 101 * 61);
    assert_all_numbers_finite(&out.join("baseline"));
}

#[test]
fn extreme_requests_fail_clearly() {
    // 20 billion trajectories of six regions need 614 TB for their values, past memory and
    // past the disk they would be spilled to: refused at once.
    let output = migproj(&[
        "run",
        "scenarios/regions.toml",
        "--trajectories",
        "20000000000",
        "--out",
        "/nonexistent/never-written",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("would need 559.2 TiB")
            && message.contains("--max-memory 4.0 GiB")
            && message.contains("free on the disk"),
        "{message}"
    );
    // A life expectancy no Gompertz-Makeham table can reach with so high a Makeham term.
    let text = with_changes(
        "baseline.toml",
        &[("improvement = 0.15", "improvement = 0.15\nmakeham = 0.2")],
    );
    let (output, _) = run_text("unreachable-e0", &text, &["--deterministic"]);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("which no Gompertz-Makeham table with makeham 0.2")
            && message.contains("the reachable range is"),
        "{message}"
    );
    assert!(message.contains("unreachable-e0.toml:30:19"), "{message}");
}

#[test]
fn files_that_are_not_scenarios_get_one_line() {
    let dir = temp_dir("not-scenarios");
    let binary = dir.join("binary.toml");
    std::fs::write(&binary, b"[scenario]\nname = \"\xff\xfe\"\n").unwrap();
    let output = migproj(&["check", binary.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("binary.toml:2:9") && message.contains("not UTF-8"),
        "{message}"
    );

    let output = migproj(&["check", "README.md/inside.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&output.stderr).lines().count(), 1);

    // An output folder that cannot be created: a regular file stands in its way.
    let blocker = dir.join("file");
    std::fs::write(&blocker, "").unwrap();
    let output = migproj(&[
        "run",
        "scenarios/baseline.toml",
        "--deterministic",
        "--quiet",
        "--out",
        blocker.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.starts_with("error: cannot create the output folder"),
        "{message}"
    );
}

/// The files of an output folder with a digest of each (run.json, which holds the wall time,
/// by name only).
fn output_digests(folder: &Path) -> Vec<(String, String)> {
    output_files(folder)
        .into_iter()
        .map(|(name, bytes)| {
            let digest = if name == "/run.json" {
                String::new()
            } else {
                migproj::scenario::sha256_hex(&bytes)
            };
            (name, digest)
        })
        .collect()
}

fn output_files(folder: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for sub in ["", "charts"] {
        let Ok(entries) = std::fs::read_dir(folder.join(sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.path().is_file() {
                let name = format!("{sub}/{}", entry.file_name().to_string_lossy());
                files.push((name, std::fs::read(entry.path()).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn same_bytes_for_reruns_and_thread_counts() {
    let dir = temp_dir("bytes");
    let mut runs = Vec::new();
    for (i, threads) in ["1", "2", "2"].iter().enumerate() {
        let out = dir.join(format!("run{i}"));
        let output = migproj(&[
            "run",
            "scenarios/baseline.toml",
            "--trajectories",
            "60",
            "--threads",
            threads,
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(output.status.success());
        runs.push(
            output_files(&out.join("baseline"))
                .into_iter()
                .filter(|(n, _)| n != "/run.json")
                .collect::<Vec<_>>(),
        );
    }
    assert!(runs[0].len() >= 20, "{} files", runs[0].len());
    assert!(runs[0] == runs[1], "1 and 2 threads differ");
    assert!(runs[1] == runs[2], "two reruns differ");
    // No absolute path or time inside the tables and charts.
    for (name, bytes) in &runs[0] {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains(dir.to_str().unwrap()) && !text.contains("/work/"),
            "{name} holds a path"
        );
    }
}

#[test]
fn a_killed_run_leaves_whole_outputs_and_the_next_run_works() {
    let dir = temp_dir("kill");
    let out = dir.join("out");
    let first = migproj(&[
        "run",
        "scenarios/regions.toml",
        "--trajectories",
        "50",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(first.status.success());
    let before = output_digests(&out.join("regions"));
    for delay_ms in [50u64, 200, 400, 700, 1000, 1500] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_migproj"))
            .args([
                "run",
                "scenarios/regions.toml",
                "--trajectories",
                "400",
                "--seed",
                "3",
                "--quiet",
                "--out",
                out.to_str().unwrap(),
            ])
            .current_dir(root())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL: no chance to clean up
        let _ = child.wait();
        // Whatever the moment, the folder holds one complete output: the old or the new.
        let now = output_files(&out.join("regions"));
        let names =
            |files: &[(String, String)]| files.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&output_digests(&out.join("regions"))),
            names(&before),
            "killed after {delay_ms} ms"
        );
        let manifest: serde_json::Value =
            serde_json::from_slice(&now.iter().find(|(n, _)| n == "/run.json").unwrap().1).unwrap();
        assert!(manifest.get("scenario").is_some());
    }
    // Leftovers of killed runs do not block the next run, which cleans them up.
    let again = migproj(&[
        "run",
        "scenarios/regions.toml",
        "--trajectories",
        "50",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_success(&again);
    assert!(
        output_digests(&out.join("regions")) == before,
        "the rerun differs from the first run"
    );
    let leftovers: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(leftovers, vec!["regions".to_string()]);
}

#[test]
fn a_second_run_into_a_locked_folder_is_refused_and_plot_waits() {
    let dir = temp_dir("lock");
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    // An empty lock file nobody holds is no obstacle (a just-created file is not "stale").
    std::fs::write(out.join(".baseline.lock"), "").unwrap();
    let args = [
        "run",
        "scenarios/baseline.toml",
        "--deterministic",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    assert_success(&migproj(&args));
    // Another process holds the OS lock (flock(1), as migproj takes it): a run is refused.
    let mut holder = Command::new("flock")
        .arg("--close")
        .arg(out.join(".baseline.lock"))
        .args(["sleep", "30"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let output = migproj(&args);
    assert_eq!(output.status.code(), Some(1));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("another migproj process (a run, plot or report) is using"),
        "{message}"
    );
    // plot waits for the holder instead, then draws from a consistent folder.
    let folder = out.join("baseline");
    let plot = Command::new(env!("CARGO_BIN_EXE_migproj"))
        .args(["plot", folder.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    holder.kill().unwrap();
    holder.wait().unwrap();
    let plot = plot.wait_with_output().unwrap();
    assert_success(&plot);
    assert!(String::from_utf8_lossy(&plot.stderr).contains("waiting for another migproj process"));
    // The holder is gone: the run proceeds.
    assert_success(&migproj(&args));
}

#[test]
fn concurrent_runs_never_mix_and_plot_matches_its_tables() {
    // Runs with two seeds and plots race on one folder; at the end, every chart footer names
    // the seed in run.json.
    let dir = temp_dir("race");
    let out = dir.join("out");
    let folder = out.join("baseline");
    let runner = |seed: &'static str| {
        let out = out.clone();
        std::thread::spawn(move || {
            Command::new(env!("CARGO_BIN_EXE_migproj"))
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .args([
                    "run",
                    "scenarios/baseline.toml",
                    "--trajectories",
                    "20",
                    "--seed",
                    seed,
                    "--quiet",
                    "--out",
                ])
                .arg(&out)
                .output()
                .unwrap()
        })
    };
    assert_success(&runner("1").join().unwrap());
    for _round in 0..3 {
        let a = runner("1");
        let plotter = {
            let folder = folder.clone();
            std::thread::spawn(move || {
                Command::new(env!("CARGO_BIN_EXE_migproj"))
                    .args(["plot"])
                    .arg(&folder)
                    .output()
                    .unwrap()
            })
        };
        let b = runner("2");
        for output in [
            a.join().unwrap(),
            b.join().unwrap(),
            plotter.join().unwrap(),
        ] {
            // Each either succeeded or was refused because another held the lock.
            let text = String::from_utf8_lossy(&output.stderr);
            assert!(
                output.status.success() || text.contains("is using"),
                "{text}"
            );
        }
        let run_json = std::fs::read_to_string(folder.join("run.json")).unwrap();
        let seed = if run_json.contains("\"seed\": 2") {
            "seed 2"
        } else {
            "seed 1"
        };
        let svg = std::fs::read_to_string(folder.join("charts/stock.svg")).unwrap();
        assert!(
            svg.contains(seed),
            "charts and run.json disagree on the seed"
        );
    }
}

/// Issue 14, items 13, 14 and 16: impossible figures are errors at the right key, implausible
/// ones warnings; paths follow the documented policy and no other file is quoted.
#[test]
fn impossible_figures_and_foreign_paths_are_refused() {
    let refused = |name: &str, text: &str, expect: &[&str]| {
        let (output, _) = run_text(name, text, &["--deterministic", "--no-charts"]);
        let message = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(2), "{name}: {message}");
        for part in expect {
            assert!(message.contains(part), "{name}: lacks {part:?}: {message}");
        }
        message
    };
    // Stocks above the world population.
    refused(
        "above-population",
        &with_changes(
            "baseline.toml",
            &[("stock = { 1990 = 154e6, 2000 = 175e6 }", "stock = { 1990 = 9e9, 2000 = 175e6 }")],
        ),
        &[
            "the migrant stocks add up to 9,000,000,000 persons in 1990, more than the world population of 5,327,804,908",
            "above-population.toml:19:9",
        ],
    );
    // Arrivals x1000 after 2010: more migrants than people by 2011.
    let mut text = with_changes("baseline.toml", &[]);
    text.push_str("\n[[arrivals.change]]\nfrom = 2010\nmultiplier = 1000.0\n");
    refused(
        "thousandfold",
        &text,
        &[
            "more than the world population",
            "in 2011",
            "thousandfold.toml",
        ],
    );
    // A propensity of 1e-300: each remitter would send ~1e302 dollars.
    refused(
        "no-remitters",
        &with_changes("baseline.toml", &[("value = 0.6 }", "value = 1e-300 }")]),
        &[
            "US dollars a year from each effective remitter",
            "remittances.propensity",
        ],
    );
    // A propensity of 0.02: possible, but each remitter sends ~US$ 46,000: a warning.
    let (output, out) = run_text(
        "few-remitters",
        &with_changes("baseline.toml", &[("value = 0.6 }", "value = 0.02 }")]),
        &["--deterministic", "--no-charts"],
    );
    assert_success(&output);
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("warning:") && message.contains("sends"),
        "{message}"
    );
    let warnings = std::fs::read_to_string(out.join("baseline/warnings.csv")).unwrap();
    assert!(warnings.contains("amount_per_remitter"), "{warnings}");
    // Shares stay in [0, 1] whatever the rounding.
    let projection = std::fs::read_to_string(out.join("baseline/projection.csv")).unwrap();
    let header: Vec<&str> = projection.lines().next().unwrap().split(',').collect();
    let female = header.iter().position(|h| *h == "female_share").unwrap();
    for line in projection.lines().skip(1) {
        let share: f64 = line.split(',').nth(female).unwrap().parse().unwrap();
        assert!((0.0..=1.0).contains(&share), "{line}");
    }
    // Age-schedule weights that overflow: blamed on the table's key, not on remittances.
    let dir = temp_dir("weights");
    let mut weights = String::from("age,female,male\n");
    for age in 0..=100 {
        let w = if age == 30 { "1e308" } else { "1" };
        weights.push_str(&format!("{age},{w},{w}\n"));
    }
    std::fs::write(dir.join("weights.csv"), weights).unwrap();
    let text = with_changes(
        "baseline.toml",
        &[(
            "female_share = 0.49",
            "age_schedule = { table = \"weights.csv\" }\n# female_share = 0.49",
        )],
    );
    let scenario = dir.join("weights.toml");
    std::fs::write(&scenario, &text).unwrap();
    let output = migproj(&["check", scenario.to_str().unwrap()]);
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(
        message.contains("`arrivals.age_schedule.table`: the weights add up to more than 1.8e308")
            && !message.contains("remittances.received"),
        "{message}"
    );
    // Paths: absolute ones and files of other kinds are refused before anything is read, and
    // nothing of them is quoted.
    for (value, expect) in [
        ("/etc/passwd", "is an absolute path"),
        ("../../../../etc/hostname", "must name a .toml file"),
    ] {
        let text = format!("[scenario]\nextends = \"{value}\"\nname = \"x\"\n");
        let path = dir.join("foreign.toml");
        std::fs::write(&path, text).unwrap();
        let output = migproj(&["check", path.to_str().unwrap()]);
        let message = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{message}");
        assert!(message.contains(expect), "{message}");
        assert!(!message.contains("root:"), "{message}");
    }
    let text = with_changes(
        "baseline.toml",
        &[("[mortality]\n", "[mortality]\ntable = \"/etc/passwd\"\n")],
    );
    refused(
        "foreign-table",
        &text,
        &["`mortality.table`", "is an absolute path"],
    );
}

/// Issue 14, item 20: a byte-order mark (as spreadsheets save CSV) is read, not refused.
#[test]
fn tables_with_a_byte_order_mark_are_read() {
    let dir = temp_dir("bom");
    let observed = std::fs::read(root().join("data/observed-ims2020-world.csv")).unwrap();
    let mut with_bom = "\u{feff}".as_bytes().to_vec();
    with_bom.extend_from_slice(&observed);
    let path = dir.join("observed.csv");
    std::fs::write(&path, with_bom).unwrap();
    let output = migproj(&[
        "hindcast",
        "scenarios/baseline.toml",
        "--observed",
        path.to_str().unwrap(),
        "--trajectories",
        "50",
        "--quiet",
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert_success(&output);
}
