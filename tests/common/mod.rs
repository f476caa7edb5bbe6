//! Helpers shared by the integration tests: run the binary, make a fresh temporary folder.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the migproj binary from the package root.
pub fn migproj(args: &[&str]) -> Output {
    migproj_with_env(&[], args)
}

/// The same with environment variables set (`Some`) or removed (`None`).
pub fn migproj_with_env(env: &[(&str, Option<&str>)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_migproj"));
    command.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for (name, value) in env {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    command.output().expect("the migproj binary runs")
}

/// A fresh, empty folder for one test (named by the test and the process).
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("migproj-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Asserts that a command succeeded, showing what it printed on stderr when not.
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A CSV table as rows of column name -> text.
pub fn read_csv(path: &std::path::Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// Runs migproj with a timeout; returns (exit code, stderr).
pub fn run_with_timeout(args: &[&str], limit: std::time::Duration) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_migproj"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read stderr while the child runs, so that a long message cannot block it.
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut text);
        String::from_utf8_lossy(&text).into_owned()
    });
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code(), reader.join().unwrap());
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("hang: migproj {args:?} ran for more than {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Every file of a run folder by relative path, with run.json's timings and threads (which
/// differ between one process, a spill and merged shards: MODEL.md section 15) left out, and
/// without a merge's shards.json.
pub fn run_files(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(
        root: &std::path::Path,
        dir: &std::path::Path,
        out: &mut std::collections::BTreeMap<String, Vec<u8>>,
    ) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let name = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let mut bytes = std::fs::read(&path).unwrap();
                if name == "run.json" {
                    let mut json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                    json["wall_time_seconds"] = serde_json::Value::Null;
                    json["monte_carlo"]["seconds"] = serde_json::Value::Null;
                    // The threads the work ran on (a Slurm shard's CPUs) are not a result.
                    json["monte_carlo"]["threads"] = serde_json::Value::Null;
                    bytes = serde_json::to_vec_pretty(&json).unwrap();
                }
                if name != "shards.json" {
                    out.insert(name, bytes);
                }
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Asserts that two run folders hold the same files with the same bytes ([`run_files`]).
pub fn assert_same_run(expected: &std::path::Path, found: &std::path::Path, what: &str) {
    let (a, b) = (run_files(expected), run_files(found));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "{what}: other files"
    );
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{what}: {name} differs");
    }
    assert!(a.contains_key("summary.csv") && a.contains_key("charts/stock.png"));
}

/// The names of the entries of `dir` that `keep` accepts (leftover partial or hidden files).
pub fn names_in(dir: &std::path::Path, keep: impl Fn(&String) -> bool) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| keep(n))
        .collect()
}
