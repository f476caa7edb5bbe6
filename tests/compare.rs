//! Issue 11: `compare` measures each variant against the scenario it extends with paired
//! differences (common random numbers), and no command overwrites another's run folder.

mod common;
use common::{assert_success, migproj, temp_dir};

use std::path::Path;
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `differences.csv` rows as field vectors, for one scenario, region and variable.
fn difference_rows(csv: &str, scenario: &str, region: &str, variable: &str) -> Vec<Vec<String>> {
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
        .filter(|f| f[0] == scenario && f[2] == region && f[3] == "All" && f[6] == variable)
        .collect()
}

/// `(p10, p50, p90)` of compare.csv for one scenario, region, variable and year.
fn band(csv: &str, scenario: &str, region: &str, variable: &str, year: i32) -> (f64, f64, f64) {
    let line = csv
        .lines()
        .find(|l| {
            let f: Vec<&str> = l.split(',').collect();
            f[0] == scenario
                && f[2] == region
                && f[3] == "All"
                && f[5] == year.to_string()
                && f[6] == variable
        })
        .unwrap_or_else(|| panic!("{scenario} {region} {variable} {year} not in compare.csv"));
    let f: Vec<f64> = line
        .split(',')
        .skip(8)
        .take(3)
        .map(|x| x.parse().unwrap())
        .collect();
    (f[0], f[1], f[2])
}

/// With every sd at 0 every trajectory is the deterministic run, so the paired difference is
/// the difference of the deterministic runs, with an interval of no width.
#[test]
fn paired_difference_with_every_sd_at_zero_is_the_deterministic_difference() {
    let dir = temp_dir("compare-zero");
    let baseline = std::fs::read_to_string(root().join("scenarios/baseline.toml")).unwrap();
    let cut = baseline.find("[uncertainty]").unwrap();
    let parent = format!(
        "{}[uncertainty]\ntrajectories = 20\nworld_growth_sd = 0\nworld_shock_sd = 0\nregion_shock_sd = 0\ndeparture_sd = 0\nremittance_growth_sd = 0\nremittance_shock_sd = 0\n",
        &baseline[..cut]
    );
    std::fs::write(dir.join("parent.toml"), parent).unwrap();
    std::fs::write(
        dir.join("variant.toml"),
        "[scenario]\nextends = \"parent.toml\"\nname = \"variant\"\n\n[[departure.change]]\nfrom = 2010\nmultiplier = 1.3\n",
    )
    .unwrap();
    let out = dir.join("out");
    let output = migproj(&[
        "compare",
        dir.join("variant.toml").to_str().unwrap(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_success(&output);
    let projection = |name: &str| -> Vec<f64> {
        std::fs::read_to_string(out.join(format!("compare/runs/{name}/projection.csv")))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(5).unwrap().parse().unwrap())
            .collect()
    };
    let (variant, parent) = (projection("variant"), projection("baseline"));
    // Issue 22 item 13: plot of the compare folder says what it is and what to plot instead;
    // a run inside it is redrawn.
    let plot = migproj(&["plot", out.join("compare").to_str().unwrap()]);
    assert_eq!(plot.status.code(), Some(2));
    let message = String::from_utf8_lossy(&plot.stderr);
    assert!(
        message.contains("is a compare folder, not a run folder") && message.contains("runs/NAME"),
        "{message}"
    );
    assert_success(&migproj(&[
        "plot",
        out.join("compare/runs/variant").to_str().unwrap(),
    ]));
    let csv = std::fs::read_to_string(out.join("compare/differences.csv")).unwrap();
    let rows = difference_rows(&csv, "variant", "World", "stock");
    assert_eq!(rows.len(), 61);
    for (t, row) in rows.iter().enumerate() {
        assert_eq!(row[1], "baseline", "the parent is the reference");
        assert_eq!(row[8], "paired");
        let q: Vec<f64> = row[9..14].iter().map(|x| x.parse().unwrap()).collect();
        let expected = variant[t] - parent[t];
        for value in q {
            assert!(
                (value - expected).abs() <= 1e-6 * parent[t],
                "year {}: {value} vs {expected}",
                row[5]
            );
        }
    }
    // No difference before the change.
    assert_eq!(rows[10][9], "0");
}

/// A small policy effect measured trajectory by trajectory is far more precise than the
/// difference of two independent fans: a pulse of 2.5 million refugees against the regions
/// scenario, and costs held at 10% against the path to 3%.
#[test]
fn paired_intervals_are_much_narrower_than_unpaired_ones() {
    let out = temp_dir("compare-paired");
    let output = migproj(&[
        "compare",
        "scenarios/refugee-crisis.toml",
        "scenarios/remittance-cost.toml",
        "--trajectories",
        "400",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_success(&output);
    let differences = std::fs::read_to_string(out.join("compare/differences.csv")).unwrap();
    let compare = std::fs::read_to_string(out.join("compare/compare.csv")).unwrap();
    for (variant, reference, variable) in [
        ("refugee-crisis", "regions", "stock"),
        ("remittance-cost", "baseline", "remittances_received"),
    ] {
        let row = difference_rows(&differences, variant, "World", variable)
            .into_iter()
            .find(|r| r[5] == "2030")
            .unwrap();
        assert_eq!(row[1], reference);
        assert_eq!(row[8], "paired");
        let paired = row[12].parse::<f64>().unwrap() - row[10].parse::<f64>().unwrap();
        // Unpaired: independent fans; the 80% width of a difference is about the root sum of
        // squares of the two widths.
        let (a10, _, a90) = band(&compare, variant, "World", variable, 2030);
        let (b10, _, b90) = band(&compare, reference, "World", variable, 2030);
        let unpaired = ((a90 - a10).powi(2) + (b90 - b10).powi(2)).sqrt();
        eprintln!(
            "{variant} {variable} 2030: paired 80% width {paired:.4e}, unpaired {unpaired:.4e}"
        );
        assert!(
            paired > 0.0 && paired < 0.1 * unpaired,
            "{paired} vs {unpaired}"
        );
    }
}

#[test]
fn missing_years_and_clashing_names_are_refused_before_anything_is_written() {
    let dir = temp_dir("compare-refused");
    let out = dir.join("out");
    let output = migproj(&[
        "compare",
        "scenarios/baseline.toml",
        "scenarios/high.toml",
        "--years",
        "2030,2060",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("--years asks for 2060, but baseline runs 1990-2050"),
        "{message}"
    );
    assert!(!out.exists(), "nothing written");
    std::fs::copy(
        root().join("scenarios/baseline.toml"),
        dir.join("copy.toml"),
    )
    .unwrap();
    let output = migproj(&[
        "compare",
        "scenarios/baseline.toml",
        dir.join("copy.toml").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("are named \"baseline\""));
    assert!(!out.exists(), "nothing written");
}

#[test]
fn run_says_what_it_replaced_and_keep_keeps_it() {
    let out = temp_dir("compare-replace");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "scenarios/baseline.toml",
            "--no-charts",
            "--quiet",
            "--out",
        ];
        args.push(out.to_str().unwrap());
        args.extend(extra);
        let output = migproj(&args);
        assert_success(&output);
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    run(&["--trajectories", "30", "--seed", "7"]);
    let message = run(&["--deterministic"]);
    assert!(
        message.contains("replaced")
            && message.contains("was 30 trajectories, seed 7, of scenarios/baseline.toml")
            && message.contains("now deterministic"),
        "{message}"
    );
    // The same run again replaces silently.
    assert!(!run(&["--deterministic"]).contains("replaced"));
    let message = run(&["--trajectories", "20", "--keep"]);
    assert!(
        message.contains("as ") && message.contains("baseline.~1~"),
        "{message}"
    );
    let kept = std::fs::read_to_string(out.join("baseline.~1~/run.json")).unwrap();
    assert!(kept.contains("\"monte_carlo\": null"), "{kept}");
    let new = std::fs::read_to_string(out.join("baseline/run.json")).unwrap();
    assert!(new.contains("\"trajectories\": 20"), "{new}");
}

/// Every migproj command of the README's list, run in order in a fresh folder, leaves every
/// run folder it mentions as the command that made it left it. Slow: MIGPROJ_SLOW_TESTS.
#[test]
fn readme_commands_in_order_leave_their_folders_intact() {
    if std::env::var_os("MIGPROJ_SLOW_TESTS").is_none() {
        eprintln!("skipped: set MIGPROJ_SLOW_TESTS=1 to run");
        return;
    }
    let dir = temp_dir("readme-commands");
    for folder in ["scenarios", "data", "data/history"] {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
        for entry in std::fs::read_dir(root().join(folder)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                std::fs::copy(&path, dir.join(folder).join(path.file_name().unwrap())).unwrap();
            }
        }
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = &readme[readme.find("## Two commands").unwrap()..];
    let section = &section[..section.find("\n## ").unwrap()];
    // The first command of the section (cargo run) and then every `migproj` line; a line
    // ending in a backslash continues on the next.
    let mut commands: Vec<Vec<String>> = vec![vec!["run".into(), "scenarios/baseline.toml".into()]];
    let mut pending = String::new();
    for line in section.lines() {
        let line = line.split(" # ").next().unwrap_or("").trim_end();
        if pending.is_empty() && !line.starts_with("migproj ") {
            continue;
        }
        pending.push(' ');
        pending.push_str(line.trim_end_matches('\\'));
        if !line.ends_with('\\') {
            let words: Vec<String> = pending
                .split_whitespace()
                .skip(1)
                .map(str::to_string)
                .collect();
            commands.push(words);
            pending.clear();
        }
    }
    assert!(commands.len() >= 10, "{commands:?}");
    // The README's numbers, scaled down: this test checks the folders the commands leave, not
    // their statistics, and the README's 10,000 trajectories and default estimate took most of
    // this binary's CI time (over 30 minutes in all, stop 25).
    for words in commands.iter_mut() {
        for word in words.iter_mut() {
            if word == "10000" {
                *word = "400".into();
            }
        }
        if matches!(words[0].as_str(), "compare" | "hindcast") {
            words.extend(["--trajectories".to_string(), "100".to_string()]);
        }
        if words[0] == "estimate" {
            words.extend(["--simulations", "20", "--bootstrap", "5"].map(String::from));
        }
    }
    let mut made: Vec<(String, String)> = Vec::new();
    for words in &commands {
        // Shell globs, as a shell would expand them.
        let mut args: Vec<String> = Vec::new();
        for word in words {
            if word == "scenarios/*.toml" {
                let mut files: Vec<String> = std::fs::read_dir(dir.join("scenarios"))
                    .unwrap()
                    .map(|e| format!("scenarios/{}", e.unwrap().file_name().to_string_lossy()))
                    .filter(|f| f.ends_with(".toml"))
                    .collect();
                files.sort();
                args.extend(files);
            } else {
                args.push(word.clone());
            }
        }
        let output = Command::new(env!("CARGO_BIN_EXE_migproj"))
            .args(&args)
            .arg("--quiet")
            .current_dir(&dir)
            .output()
            .unwrap();
        let output = if output.status.code() == Some(2)
            && String::from_utf8_lossy(&output.stderr).contains("--quiet")
        {
            // Commands without --quiet (plot, report, new, check, --help).
            Command::new(env!("CARGO_BIN_EXE_migproj"))
                .args(&args)
                .current_dir(&dir)
                .output()
                .unwrap()
        } else {
            output
        };
        assert!(
            output.status.success(),
            "migproj {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        // Record the run.json of every run folder after the command that made it.
        if args[0] == "run" {
            for entry in std::fs::read_dir(
                dir.join(
                    args.iter()
                        .position(|a| a == "--out")
                        .map(|i| args[i + 1].clone())
                        .unwrap_or_else(|| "output".into()),
                ),
            )
            .unwrap()
            {
                let path = entry.unwrap().path().join("run.json");
                if let Ok(text) = std::fs::read_to_string(&path) {
                    let key = path.display().to_string();
                    made.retain(|(k, _)| *k != key);
                    made.push((key, text));
                }
            }
        }
    }
    for (path, text) in &made {
        let now = std::fs::read_to_string(path).unwrap();
        assert_eq!(&now, text, "{path} was replaced by a later README command");
    }
    let regions = std::fs::read_to_string(dir.join("output/regions/run.json")).unwrap();
    assert!(regions.contains("\"trajectories\": 400") && regions.contains("\"seed\": 7"));
}
