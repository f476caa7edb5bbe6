//! `migproj slurm` through a real Slurm (issue 21): a scenario with regions, areas and origin
//! groups as a job array of 4 shards and a dependent merge job, compared byte for byte with
//! the one-process run; then a shard killed half-way, the merge of the 3 left refused, and the
//! rerun of that one shard completing the merge.
//!
//! Needs a Slurm cluster (`SLURM_CONF`): `.ci/run` starts a single-node one with
//! tools/slurm-local.sh and sets `MIGPROJ_SLURM_TESTS=1`, which makes this test required; without
//! it the test says it was skipped.

mod common;

use std::process::Command;

use common::{assert_same_run, assert_success, migproj, temp_dir};

/// `sbatch --wait ARGS` with `env` added; returns whether the job succeeded.
fn sbatch_wait(args: &[&str], env: &[(&str, &str)]) -> bool {
    let mut command = Command::new("sbatch");
    command
        .arg("--wait")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().expect("sbatch runs");
    output.status.success()
}

#[test]
fn a_job_array_of_shards_and_its_merge_job_equal_the_one_process_run() {
    let required = std::env::var("MIGPROJ_SLURM_TESTS").is_ok_and(|v| v == "1");
    let slurm = std::env::var("SLURM_CONF").is_ok()
        && Command::new("sinfo")
            .arg("-h")
            .output()
            .is_ok_and(|o| o.status.success());
    if !slurm {
        assert!(
            !required,
            "MIGPROJ_SLURM_TESTS=1 but no Slurm answers (SLURM_CONF unset or sinfo fails)"
        );
        eprintln!(
            "skipped: no Slurm cluster (tools/slurm-local.sh start DIR; SLURM_CONF=DIR/slurm.conf)"
        );
        return;
    }
    let dir = temp_dir("slurm");
    let scenario = "tests/fixtures/areas/areas.toml";
    let one = dir.join("one");
    assert_success(&migproj(&[
        "run",
        scenario,
        "--trajectories",
        "200",
        "--out",
        one.to_str().unwrap(),
        "--quiet",
    ]));
    let out = dir.join("slurm");
    let output = migproj(&[
        "slurm",
        scenario,
        "--shards",
        "4",
        "--trajectories",
        "200",
        "--mem",
        "2G",
        "--time",
        "00:10:00",
        "--binary",
        env!("CARGO_BIN_EXE_migproj"),
        "--out",
        out.to_str().unwrap(),
        "--submit",
        "--wait",
    ]);
    assert_success(&output);
    assert_same_run(
        &one.join("areas"),
        &out.join("areas"),
        "4 shards through Slurm",
    );
    let scripts = out.join("areas.slurm");
    let shards = scripts.join("shards.sbatch");
    let merge = scripts.join("merge.sbatch");
    // Shard 3 killed half-way (at its 4th failpoint: its values written, not its manifest).
    std::fs::remove_dir_all(out.join("areas.shard-3-of-4")).unwrap();
    std::fs::remove_dir_all(out.join("areas")).unwrap();
    assert!(!sbatch_wait(
        &["--array=3", shards.to_str().unwrap()],
        &[("MIGPROJ_FAILPOINT", "4")]
    ));
    assert!(!out.join("areas.shard-3-of-4").exists());
    let partial: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".areas.shard-3-of-4.partial-"))
        .collect();
    assert_eq!(partial.len(), 1, "{partial:?}");
    // The merge job of the 3 shards left is refused, and writes nothing.
    assert!(!sbatch_wait(&[merge.to_str().unwrap()], &[]));
    assert!(!out.join("areas").exists());
    let log = std::fs::read_to_string(scripts.join("merge.log")).unwrap();
    assert!(
        log.contains("trajectories 100..150 of the 200 are in none of the shards given"),
        "{log}"
    );
    // Run shard 3 again, then the merge: the same bytes as the one-process run.
    assert!(sbatch_wait(&["--array=3", shards.to_str().unwrap()], &[]));
    assert!(sbatch_wait(&[merge.to_str().unwrap()], &[]));
    assert_same_run(
        &one.join("areas"),
        &out.join("areas"),
        "after the rerun of shard 3",
    );
    let _ = std::fs::remove_dir_all(&dir);
}
