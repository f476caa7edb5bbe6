//! Variants by `extends`: what merges, what replaces, chains, cycles, and errors located in
//! the file that holds them.

use std::path::{Path, PathBuf};

use migproj::scenario::{load_scenario, AgeSchedule, Propensity};

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("migproj-extends-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const PARENT: &str = r#"[scenario]
name = "parent"
title = "Parent"
base_year = 1990
calibration_year = 2000
end_year = 2030
data_revision = "test"

[[region]]
name = "North"
stock = { 1990 = 10e6, 2000 = 12e6 }

[[region]]
name = "South"
stock = { 1990 = 5e6, 2000 = 6e6 }

[world_population]
points = { 1990 = 5.3e9, 2000 = 6.1e9 }

[departure]
initial = 0.2
long_run = 0.04

[arrivals]
age_schedule = { a1 = 0.05, mu2 = 25 }

[remittances]
received = { 1990 = 5e9, 2000 = 8e9 }
propensity = { model = "constant", value = 0.5 }
cost = { 2000 = 0.1, 2030 = 0.03 }
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_variant_states_only_what_it_changes() {
    let dir = folder("merge");
    write(&dir, "parent.toml", PARENT);
    let child = write(
        &dir,
        "child.toml",
        r#"[scenario]
extends = "parent.toml"
name = "child"

[departure]
initial = 0.3

[arrivals]
age_schedule = { mu2 = 30 }

[[region]]
name = "Only"
stock = { 1990 = 1e6, 2000 = 1.1e6 }

[remittances]
propensity = { model = "hump", peak = 0.6 }
cost = { 2010 = 0.05 }
"#,
    );
    let loaded = load_scenario(&child).unwrap();
    let s = &loaded.scenario;
    // Scalars: the child's win, the rest is inherited.
    assert_eq!(s.name, "child");
    assert_eq!(s.title, "Parent");
    assert_eq!(s.end_year, 2030);
    assert_eq!(s.departure.initial, 0.3);
    assert_eq!(s.departure.long_run, 0.04);
    // Tables merge key by key.
    match s.arrivals.age_schedule {
        AgeSchedule::RogersCastro { a1, mu2, .. } => assert_eq!((a1, mu2), (0.05, 30.0)),
        _ => panic!("expected Rogers-Castro"),
    }
    // Arrays of tables, year tables and tables with a `model` replace the parent's whole.
    assert_eq!(s.regions.len(), 1);
    assert_eq!(s.regions[0].name, "Only");
    assert_eq!(s.remittances.cost, vec![(2010.0, 0.05)]);
    assert_eq!(
        s.remittances.propensity,
        Propensity::Hump {
            peak: 0.6,
            peak_duration: 8.0
        }
    );
    assert_eq!(loaded.extends, vec![dir.join("parent.toml")]);
}

#[test]
fn chains_work_and_the_nearest_file_wins() {
    let dir = folder("chain");
    write(&dir, "parent.toml", PARENT);
    std::fs::create_dir_all(dir.join("variants")).unwrap();
    write(&dir, "variants/middle.toml", "[scenario]\nextends = \"../parent.toml\"\nname = \"middle\"\nend_year = 2040\n\n[departure]\ndecay = 0.5\n");
    let leaf = write(
        &dir,
        "variants/leaf.toml",
        "[scenario]\nextends = \"middle.toml\"\nname = \"leaf\"\n\n[departure]\ndecay = 0.1\n",
    );
    let loaded = load_scenario(&leaf).unwrap();
    assert_eq!(loaded.scenario.end_year, 2040);
    assert_eq!(loaded.scenario.departure.decay, 0.1);
    assert_eq!(loaded.scenario.departure.initial, 0.2);
    assert_eq!(loaded.extends.len(), 2);
}

#[test]
fn a_cycle_is_an_error_at_the_extends_key() {
    let dir = folder("cycle");
    write(
        &dir,
        "a.toml",
        "[scenario]\nname = \"a\"\nextends = \"b.toml\"\n",
    );
    let b = write(
        &dir,
        "b.toml",
        "[scenario]\nname = \"b\"\nextends = \"a.toml\"\n",
    );
    let err = load_scenario(&b).unwrap_err().to_string();
    assert!(err.contains("`scenario.extends` makes a cycle"), "{err}");
    assert!(err.contains("a.toml:3:11"), "{err}");
    assert_eq!(err.matches("error:").count(), 1, "{err}");
}

#[test]
fn errors_in_a_parent_point_into_the_parent() {
    let dir = folder("parent-error");
    write(
        &dir,
        "parent.toml",
        &PARENT.replace("initial = 0.2", "initial = 1.7"),
    );
    let child = write(
        &dir,
        "child.toml",
        "[scenario]\nextends = \"parent.toml\"\nname = \"child\"\n\n[arrivals]\ngrowht = 0.01\n",
    );
    let err = load_scenario(&child).unwrap_err().to_string();
    assert!(
        err.contains("`departure.initial` must be a probability in 0..=1, found 1.7"),
        "{err}"
    );
    assert!(err.contains("parent.toml:21:11"), "{err}");
    // And the child's own problem points into the child.
    assert!(
        err.contains("unknown key `growht` in `arrivals`; did you mean `growth`?"),
        "{err}"
    );
    assert!(err.contains("child.toml:6:1"), "{err}");
}

#[test]
fn a_missing_parent_and_a_nameless_variant_are_refused() {
    let dir = folder("missing");
    let child = write(
        &dir,
        "child.toml",
        "[scenario]\nextends = \"nowhere.toml\"\nname = \"child\"\n",
    );
    let err = load_scenario(&child).unwrap_err().to_string();
    assert!(
        err.contains("cannot read") && err.contains("nowhere.toml") && err.contains("no such file"),
        "{err}"
    );
    write(&dir, "parent.toml", PARENT);
    let nameless = write(
        &dir,
        "nameless.toml",
        "[scenario]\nextends = \"parent.toml\"\n",
    );
    let err = load_scenario(&nameless).unwrap_err().to_string();
    assert!(err.contains("must set its own `scenario.name`"), "{err}");
}
