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
