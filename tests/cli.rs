//! The command-line interface as a user meets it: exit codes, pinned error texts for bad
//! scenario files, the files a run writes, and that a failed run writes nothing.

mod common;
use common::{assert_success, migproj, temp_dir};

use std::path::Path;
use std::process::Output;

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Each bad fixture's whole error text is pinned in its .stderr file beside it.
fn assert_pinned_error(fixture: &str) {
    let toml = format!("tests/fixtures/bad/{fixture}.toml");
    let expected_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/bad/{fixture}.stderr"));
    let expected = std::fs::read_to_string(&expected_path).unwrap();
    let out_dir = temp_dir(fixture);
    for command in ["check", "run"] {
        let output = if command == "run" {
            migproj(&[
                "run",
                &toml,
                "--deterministic",
                "--out",
                out_dir.to_str().unwrap(),
            ])
        } else {
            migproj(&["check", &toml])
        };
        assert_eq!(
            output.status.code(),
            Some(2),
            "{command} {fixture}: {}",
            stderr(&output)
        );
        assert_eq!(stderr(&output), expected, "{command} {fixture}");
    }
    // Nothing was written.
    assert_eq!(
        std::fs::read_dir(&out_dir).unwrap().count(),
        0,
        "{fixture} left files behind"
    );
}

#[test]
fn error_revision_1_uncertainty_keys_name_their_replacements() {
    assert_pinned_error("revision1_uncertainty_keys");
}

/// MODEL.md section 9, revision 3: the Student-t degrees of freedom are refused, naming the
/// relative standard errors that replace them.
#[test]
fn error_revision_2_uncertainty_keys_name_their_replacements() {
    assert_pinned_error("revision2_uncertainty_keys");
}

#[test]
fn error_wrong_type() {
    assert_pinned_error("wrong_type");
}

#[test]
fn error_unknown_key_with_suggestion() {
    assert_pinned_error("unknown_key");
}

#[test]
fn error_probability_out_of_range() {
    assert_pinned_error("probability_out_of_range");
}

#[test]
fn error_end_year_before_base_year() {
    assert_pinned_error("end_before_base");
}

#[test]
fn error_region_missing_a_stock_figure() {
    assert_pinned_error("missing_stock_figure");
}

#[test]
fn error_calibration_no_growth_rate_reaches() {
    assert_pinned_error("unreachable_calibration");
}

#[test]
fn error_broken_toml_line() {
    assert_pinned_error("broken_toml");
}

#[test]
fn missing_file_and_directory_are_one_line_errors() {
    let output = migproj(&["check", "no/such/file.toml"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: cannot read scenario file `no/such/file.toml`: no such file\n"
    );
    let output = migproj(&["check", "scenarios"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: `scenarios` is a directory, not a scenario file\n"
    );
}

#[test]
fn run_writes_the_tables() {
    let out = temp_dir("run");
    let output = migproj(&[
        "run",
        "scenarios/baseline.toml",
        "--deterministic",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let folder = out.join("baseline");
    for file in [
        "projection.csv",
        "structure.csv",
        "calibration.csv",
        "run.json",
    ] {
        assert!(folder.join(file).is_file(), "{file} missing");
    }
    let projection = std::fs::read_to_string(folder.join("projection.csv")).unwrap();
    let mut lines = projection.lines();
    assert_eq!(
        lines.next().unwrap(),
        "scenario,region,origin,level,year,stock,arrivals,deaths,departures,remittances_sent,remittances_received,fees,share_of_world,female_share,median_age,ratio_to_oda,data_revision"
    );
    assert_eq!(projection.lines().count(), 1 + 61);
    assert!(
        !projection.contains("e+") && !projection.contains("e-") && !projection.contains("NaN")
    );
    // World stock of 1990 and 2000 meets the IMR 2002 figures.
    for (year, target) in [(1990, 154e6), (2000, 175e6)] {
        let row = projection
            .lines()
            .find(|l| l.starts_with(&format!("baseline,World,All,world,{year},")))
            .unwrap();
        let stock: f64 = row.split(',').nth(5).unwrap().parse().unwrap();
        assert!((stock / target - 1.0).abs() < 1e-9);
    }
    let structure = std::fs::read_to_string(folder.join("structure.csv")).unwrap();
    // 2 sexes x 21 age groups x 11 duration groups for 1990, 2000, 2010, ..., 2050.
    assert_eq!(structure.lines().count(), 1 + 2 * 21 * 11 * 7);
    assert!(structure.starts_with("scenario,region,origin,level,year,sex,age_group,duration_group,persons,data_revision\nbaseline,World,All,world,1990,female,0-4,0-4,"));
    let run_json = std::fs::read_to_string(folder.join("run.json")).unwrap();
    assert!(run_json.contains("\"data_revision\": \"IMR 2002\""));
    // No temporary folders or lock files are left beside the output.
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("baseline")]);
}

#[test]
fn a_failed_run_leaves_the_previous_output_intact() {
    let out = temp_dir("intact");
    let ok = migproj(&[
        "run",
        "scenarios/baseline.toml",
        "--deterministic",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok.status.success());
    let before = std::fs::read(out.join("baseline/projection.csv")).unwrap();
    // A scenario named "baseline" that fails calibration.
    let bad = out.join("bad.toml");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"),
    )
    .unwrap()
    .replace(
        "stock = { 1990 = 154e6, 2000 = 175e6 }",
        "stock = { 1990 = 154e6, 2000 = 175e12 }",
    );
    std::fs::write(&bad, text).unwrap();
    let failed = migproj(&[
        "run",
        bad.to_str().unwrap(),
        "--deterministic",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(failed.status.code(), Some(2));
    assert_eq!(
        std::fs::read(out.join("baseline/projection.csv")).unwrap(),
        before
    );
}

#[test]
fn new_writes_a_template_that_runs() {
    let dir = temp_dir("new");
    let output = migproj(&["new", "my-study", "--dir", dir.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let scenario = dir.join("my-study.toml");
    let out = dir.join("out");
    let run = migproj(&[
        "run",
        scenario.to_str().unwrap(),
        "--deterministic",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(out.join("my-study/projection.csv").is_file());
    // It refuses to overwrite without --force.
    let again = migproj(&["new", "my-study", "--dir", dir.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
}

#[test]
fn help_explains_every_flag() {
    let output = migproj(&["run", "--help"]);
    let text = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--out",
        "--trajectories",
        "--seed",
        "--threads",
        "--deterministic",
        "--quiet",
    ] {
        assert!(text.contains(flag), "run --help lacks {flag}");
    }
    let output = migproj(&["--help"]);
    let text = String::from_utf8_lossy(&output.stdout);
    for command in ["run", "check", "new"] {
        assert!(text.contains(command));
    }
}

#[test]
fn two_scenarios_with_one_name_are_refused() {
    let output = migproj(&[
        "run",
        "scenarios/baseline.toml",
        "scenarios/baseline.toml",
        "--deterministic",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("are both named \"baseline\" and would write the same folder"));
}

#[test]
fn bad_arguments_exit_2() {
    let output = migproj(&["run"]);
    assert_eq!(output.status.code(), Some(2));
}

/// Plausibility warnings (issue 9): printed by `check` and `run`, written to warnings.csv,
/// never an error; their thresholds are set in `[warnings]`.
#[test]
fn plausibility_warnings_name_the_figure_year_and_bound() {
    let dir = temp_dir("warnings");
    let base =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/high.toml"))
            .unwrap();
    // high.toml extends baseline.toml: write it beside a copy of its parent.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"),
        dir.join("baseline.toml"),
    )
    .unwrap();
    let strict = dir.join("strict.toml");
    std::fs::write(
        &strict,
        format!("{base}\n[warnings]\nstock_growth = 1.5\nshare_of_world = 0.04\n"),
    )
    .unwrap();
    let output = migproj(&["check", strict.to_str().unwrap()]);
    assert_success(&output);
    let message = stderr(&output);
    assert!(
        message.contains("warning:")
            && message.contains("times its 2000 figure by")
            && message.contains("(above 1.5)")
            && message.contains("share of world population of migrants reaches")
            && message.contains("reaches 4.04% in 2031 (above 4.00%"),
        "{message}"
    );
    let out = dir.join("out");
    let output = migproj(&[
        "run",
        strict.to_str().unwrap(),
        "--deterministic",
        "--no-charts",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_success(&output);
    let csv = std::fs::read_to_string(out.join("high/warnings.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "scenario,check,region,origin,level,year,figure,value,bound,message,data_revision"
    );
    let rows: Vec<&str> = lines.collect();
    assert!(
        rows.iter()
            .any(|r| r.starts_with("high,share,World,All,world,")),
        "{csv}"
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with("high,growth,World,All,world,")),
        "{csv}"
    );
    // The default thresholds: the deterministic high variant stays below 10% and 4 times.
    let relaxed = dir.join("relaxed.toml");
    std::fs::write(&relaxed, &base).unwrap();
    let output = migproj(&["check", relaxed.to_str().unwrap()]);
    assert_success(&output);
    assert!(!stderr(&output).contains("warning:"), "{}", stderr(&output));
    // A threshold out of range is an error like any other.
    std::fs::write(&strict, format!("{base}\n[warnings]\nstock_growth = 0.5\n")).unwrap();
    let output = migproj(&["check", strict.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("`warnings.stock_growth` must be a number in 1..=1e6"));
}

/// Origin groups (MODEL.md section 12): references to groups are checked and located.
#[test]
fn origin_group_errors_are_located() {
    let dir = temp_dir("origin-errors");
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/origins/three_by_three.toml"),
    )
    .unwrap();
    let cases = [
        (
            base.replacen("origin = \"High income\"", "origin = \"Hi income\"", 1),
            "`departure.change[1].origin` names no origin group of `[origins]`: \"Hi income\"; did you mean \"High income\"?",
        ),
        (
            base.replacen(", \"Unknown\" = 1111614 }", " }", 1),
            "has no figure for 1990",
        ),
        (
            base.replacen("groups = [\"Low and middle income\", \"High income\", \"Unknown\"]", "groups = [\"Low and middle income\", \"All\"]", 1),
            "\"All\" is the label of the sum over groups",
        ),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let path = dir.join(format!("case{i}.toml"));
        std::fs::write(&path, text).unwrap();
        let output = migproj(&["check", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "case {i}");
        let message = stderr(&output);
        assert!(message.contains(expected), "case {i}: {message}");
        assert!(
            message.contains(&format!("case{i}.toml:")),
            "case {i} located: {message}"
        );
    }
    // An origin without [origins].
    let plain = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"),
    )
    .unwrap()
        + "\n[[arrivals.pulse]]\nyear = 2010\npersons = 5\norigin = \"High income\"\n";
    let path = dir.join("plain.toml");
    std::fs::write(&path, plain).unwrap();
    let output = migproj(&["check", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("names an origin group, but the scenario has no `[origins]`"));
}

/// Issue 14, item 12: an absurd thread count is refused as bad input, before anything runs.
#[test]
fn absurd_thread_counts_are_refused() {
    for threads in ["0", "18446744073709551615", "many"] {
        let output = migproj(&["run", "scenarios/baseline.toml", "--threads", threads]);
        assert_eq!(output.status.code(), Some(2), "--threads {threads}");
        assert!(stderr(&output).contains("expected a number of threads from 1 to 1024"));
    }
}

/// Issue 14, item 19: a closed stdout (a pipe whose reader has gone, /dev/full) is not an
/// error: check exits 0 quietly.
#[test]
fn a_full_or_closed_stdout_is_not_an_error() {
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full");
    let Ok(full) = full else {
        eprintln!("skipped: no /dev/full");
        return;
    };
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_migproj"))
        .args(["check", "scenarios/baseline.toml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(!stderr(&output).contains("panicked"));
}

/// Issue 12: errors that help. A number with thousands commas gets the forms TOML takes; a
/// cost in per cent gets the share it meant.
#[test]
fn commas_in_numbers_and_per_cent_costs_get_a_hint() {
    let dir = temp_dir("hints");
    let regions = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/regions.toml"),
    )
    .unwrap();
    let comma = dir.join("comma.toml");
    std::fs::write(
        &comma,
        regions.replacen("2000 = 56858793 }", "2000 = 56,858,793 }", 1),
    )
    .unwrap();
    let output = migproj(&["check", comma.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("write `56,858,793` as `56858793`, `56_858_793` or `5.6858793e7`"),
        "{}",
        stderr(&output)
    );
    let baseline = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"),
    )
    .unwrap();
    let cost = dir.join("cost.toml");
    std::fs::write(&cost, baseline.replacen("2030 = 0.03 }", "2030 = 3 }", 1)).unwrap();
    let output = migproj(&["check", cost.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("3 per cent is 0.03"),
        "{}",
        stderr(&output)
    );
}

/// Issue 14, items 4, 8, 15 and 17: names that collide with other commands' folders, strings
/// too long or with control characters, observed values that would divide to infinity.
#[test]
fn hostile_strings_names_and_observations_are_refused() {
    let dir = temp_dir("hostile");
    let baseline = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"),
    )
    .unwrap();
    let cases = [
        (
            baseline.replacen("name = \"baseline\"", "name = \"compare\"", 1),
            "would collide with the output folder",
        ),
        (
            baseline.replacen("name = \"baseline\"", "name = \"x-hindcast\"", 1),
            "would collide with the output folder",
        ),
        (
            baseline.replacen(
                "data_revision = \"IMR 2002\"",
                &format!("data_revision = \"{}\"", "x".repeat(600)),
                1,
            ),
            "is 600 characters long; at most 500",
        ),
        (
            baseline.replacen(
                "data_revision = \"IMR 2002\"",
                "data_revision = \"IMR\\u001b[31m 2002\"",
                1,
            ),
            "control character U+001B",
        ),
        (
            baseline.replacen(
                "data_revision = \"IMR 2002\"",
                "data_revision = \"IMR\\u0000\"",
                1,
            ),
            "control character U+0000",
        ),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        let path = dir.join(format!("case{i}.toml"));
        std::fs::write(&path, text).unwrap();
        let output = migproj(&["check", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(2), "case {i}");
        let message = stderr(&output);
        assert!(message.contains(expected), "case {i}: {message}");
        assert!(
            !message.contains('\u{1b}') && !message.contains('\0'),
            "case {i} echoes a control character"
        );
    }
    let observed = dir.join("tiny.csv");
    std::fs::write(
        &observed,
        "region,year,variable,value,source\nWorld,2010,stock,1e-300,test\n",
    )
    .unwrap();
    let output = migproj(&[
        "hindcast",
        "scenarios/baseline.toml",
        "--observed",
        observed.to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("tiny.csv:2:18"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.join("out").exists());
}

/// Issue 14, item 7: only regular files are read, so a FIFO cannot hang `check` and
/// /dev/zero cannot fill memory, as a scenario, a parent or a table.
#[test]
fn special_files_are_refused_without_reading_them() {
    let dir = temp_dir("special");
    let fifo = dir.join("fifo.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let mut inputs = vec!["/dev/zero".to_string()];
    if made.is_ok_and(|s| s.success()) {
        inputs.push(fifo.display().to_string());
    }
    for input in &inputs {
        let output = migproj(&["check", input]);
        assert_eq!(output.status.code(), Some(2), "{input}");
        assert!(
            stderr(&output).contains("not a regular file"),
            "{}",
            stderr(&output)
        );
    }
    let child = dir.join("child.toml");
    std::fs::write(
        &child,
        "[scenario]\nextends = \"/dev/zero\"\nname = \"x\"\n",
    )
    .unwrap();
    let output = migproj(&["check", child.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("child.toml:2:11"),
        "{}",
        stderr(&output)
    );
    let baseline = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"),
    )
    .unwrap();
    let table = dir.join("table.toml");
    // A .csv name (the path policy) that is a link to a device.
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.csv")).unwrap();
    std::fs::write(
        &table,
        baseline.replacen("[mortality]\n", "[mortality]\ntable = \"zero.csv\"\n", 1),
    )
    .unwrap();
    let output = migproj(&["check", table.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not a regular file"),
        "{}",
        stderr(&output)
    );
}

/// Issue 14, item 20: `new` into a missing folder is bad input (exit 2), and it never writes
/// through a symbolic link, dangling or not.
#[test]
fn new_refuses_missing_folders_and_links() {
    let dir = temp_dir("new-links");
    let output = migproj(&[
        "new",
        "study",
        "--dir",
        dir.join("missing").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("is not a folder"));
    let outside = dir.join("outside.txt");
    std::os::unix::fs::symlink(&outside, dir.join("study.toml")).unwrap();
    for force in [false, true] {
        let mut args = vec!["new", "study", "--dir", dir.to_str().unwrap()];
        if force {
            args.push("--force");
        }
        let output = migproj(&args);
        assert_eq!(output.status.code(), Some(2));
        assert!(stderr(&output).contains("is a symbolic link"));
        assert!(!outside.exists(), "nothing written through the link");
    }
}

/// Issue 12: a region whose stock is given for a wrong year is reported once, at its stock;
/// the pulses that name it are not also told that they name no region.
#[test]
fn a_broken_region_is_not_reported_again_where_it_is_named() {
    let dir = temp_dir("cascade");
    let regions = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/regions.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.join("regions.toml"),
        regions.replacen("1990 = 49608225", "1991 = 49608225", 1),
    )
    .unwrap();
    let crisis = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/refugee-crisis.toml"),
    )
    .unwrap();
    std::fs::write(dir.join("crisis.toml"), crisis).unwrap();
    let output = migproj(&["check", dir.join("crisis.toml").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("`region[2].stock` has no figure for 1990"),
        "{message}"
    );
    assert!(!message.contains("names no region"), "{message}");
    assert!(message.contains("1 problem;"), "{message}");
}

/// MODEL.md section 9, revision 3: a Monte Carlo whose trajectories pass the world's
/// population is stopped (exit 2, nothing written) with the series, how many and from when;
/// never clipped. (Baseline to 2100 with a long-run growth sd of 5 points a year.)
#[test]
fn trajectories_above_the_world_population_are_an_error() {
    let dir = temp_dir("above-world");
    let base = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml"),
    )
    .unwrap()
    .replace("end_year = 2050", "end_year = 2100")
    .replace("[uncertainty]", "[uncertainty]\nworld_growth_sd = 0.05");
    let path = dir.join("wild.toml");
    std::fs::write(&path, base).unwrap();
    let out = dir.join("out");
    let output = migproj(&[
        "run",
        path.to_str().unwrap(),
        "--no-charts",
        "--trajectories",
        "200",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("exceed the world's population") && message.contains("World: "),
        "{message}"
    );
    assert!(
        message.contains(" of 200 trajectories, from 20"),
        "{message}"
    );
    assert!(!out.join("baseline").exists(), "nothing is written");
}
