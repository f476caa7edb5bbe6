//! Charts: every chart renders with its texts, PNGs have the requested size and data-coloured
//! pixels, `plot` redraws the same bytes from the tables alone, and bad tables are located.

mod common;
use common::{assert_success, migproj};

use std::path::{Path, PathBuf};

use migproj::error::SourceFile;
use migproj::output::charts::data::load_tables;
use migproj::output::charts::{charts, render_png, render_svg};

fn run_into(name: &str, scenario: &str, extra: &[&str]) -> PathBuf {
    let out = std::env::temp_dir().join(format!("migproj-charts-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut args = vec!["run", scenario, "--quiet", "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = migproj(&args);
    assert_success(&output);
    out
}

fn tables_in(dir: &Path) -> migproj::output::charts::data::RunTables {
    load_tables(&|name: &str| {
        let path = dir.join(name);
        Ok(path
            .exists()
            .then(|| SourceFile::new(&path, std::fs::read_to_string(&path).unwrap())))
    })
    .unwrap()
}

#[test]
fn every_chart_has_its_title_axis_titles_and_footer() {
    let out = run_into(
        "texts",
        "scenarios/regions.toml",
        &["--trajectories", "40", "--no-charts"],
    );
    let tables = tables_in(&out.join("regions"));
    let all = charts(&tables);
    let stems: Vec<&str> = all.iter().map(|c| c.file_stem.as_str()).collect();
    assert_eq!(
        stems,
        [
            "stock",
            "remittances",
            "remittances_regions",
            "remittances_ratio",
            "share",
            "components",
            "pyramid",
            "duration",
            "regions"
        ]
    );
    for chart in &all {
        let svg = render_svg(chart, (1600, 1000)).unwrap();
        assert!(svg.contains(&chart.title), "{}: title", chart.file_stem);
        for panel in &chart.panels {
            let y_desc = panel.y_desc.replace('<', "&lt;").replace('>', "&gt;");
            assert!(
                svg.contains(&y_desc),
                "{}: y axis title {y_desc}",
                chart.file_stem
            );
        }
        assert!(
            svg.contains("Data revision: IMS 2020"),
            "{}: footer",
            chart.file_stem
        );
        assert!(
            svg.contains("regions.toml (sha256 "),
            "{}: footer names the scenario",
            chart.file_stem
        );
        assert!(
            svg.contains("40 trajectories, seed 20030701"),
            "{}: footer seed",
            chart.file_stem
        );
    }
    let stock = render_svg(&all[0], (1600, 1000)).unwrap();
    assert!(stock.contains("millions of persons") && stock.contains("year (mid-year)"));
    let remittances = render_svg(&all[1], (1600, 1000)).unwrap();
    assert!(remittances.contains("billions of current US dollars"));
    let share = render_svg(&all[4], (1600, 1000)).unwrap();
    assert!(share.contains("per cent of world population"));
}

#[test]
fn png_has_the_requested_size_and_data_pixels_in_the_plot() {
    let out = run_into(
        "png",
        "scenarios/baseline.toml",
        &["--trajectories", "40", "--no-charts"],
    );
    let tables = tables_in(&out.join("baseline"));
    let stock = charts(&tables).remove(0);
    let bytes = render_png(&stock, (1200, 800)).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!((info.width, info.height), (1200, 800));
    // Inside the plot (the middle of the canvas) the bands and the median line are blue:
    // pixels whose blue channel clearly exceeds red.
    let mut blue = 0;
    for y in 300..600 {
        for x in 600..1100 {
            let i = (y * 1200 + x) * 3;
            let (r, b) = (pixels[i] as i32, pixels[i + 2] as i32);
            if b > r + 40 {
                blue += 1;
            }
        }
    }
    assert!(
        blue > 10_000,
        "only {blue} data-coloured pixels in the plot area"
    );
}

#[test]
fn plot_redraws_the_same_bytes_as_run() {
    let out = run_into("same", "scenarios/baseline.toml", &["--trajectories", "30"]);
    let folder = out.join("baseline");
    let before: Vec<(String, Vec<u8>)> = std::fs::read_dir(folder.join("charts"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    assert_eq!(before.len(), 14);
    let output = migproj(&["plot", folder.to_str().unwrap()]);
    assert_success(&output);
    for (name, bytes) in &before {
        assert_eq!(
            &std::fs::read(folder.join("charts").join(name)).unwrap(),
            bytes,
            "{name} differs after plot"
        );
    }
}

#[test]
fn plot_locates_a_malformed_or_missing_table() {
    let out = run_into(
        "bad",
        "scenarios/baseline.toml",
        &["--deterministic", "--no-charts"],
    );
    let folder = out.join("baseline");
    let projection = folder.join("projection.csv");
    let text = std::fs::read_to_string(&projection).unwrap();
    let broken = text.replacen("World,All,world,1991,", "World,All,world,1991,many,", 1);
    std::fs::write(&projection, broken).unwrap();
    let output = migproj(&["plot", folder.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("projection.csv:3:31"), "{message}");
    assert!(
        message.contains("`stock` must be a finite number of at most 1e24 in magnitude (no run writes more), found `many`"),
        "{message}"
    );

    std::fs::remove_file(&projection).unwrap();
    let output = migproj(&["plot", folder.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("has no `projection.csv`"));
}

/// Issue 12: no title, subtitle, legend label or footer leaves the canvas, at the default
/// size and at 800x500, for every chart of a multi-region, multi-origin run with a long title.
#[test]
fn no_text_leaves_the_canvas_at_either_size() {
    let dir = std::env::temp_dir().join(format!("migproj-charts-bounds-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fixture = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/origins/three_by_three.toml"),
    )
    .unwrap();
    // A 73-character title, as the analyst had.
    let long_title = "Three regions by origin income group, with pulses, to 2030 (test fixture)";
    assert_eq!(long_title.chars().count(), 73);
    let text = fixture.replacen(
        "name = \"three-by-three\"",
        &format!("name = \"three-by-three\"\ntitle = \"{long_title}\""),
        1,
    );
    let scenario = dir.join("long.toml");
    std::fs::write(&scenario, text).unwrap();
    let out = dir.join("out");
    let output = migproj(&[
        "run",
        scenario.to_str().unwrap(),
        "--trajectories",
        "30",
        "--no-charts",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_success(&output);
    let tables = tables_in(&out.join("three-by-three"));
    let all = charts(&tables);
    assert!(all.len() >= 8);
    for size in [(1600, 1000), (800, 500)] {
        for chart in &all {
            let boxes = migproj::output::charts::text_boxes(chart, size).unwrap();
            assert!(
                boxes.len() >= 3,
                "{}: title, subtitle and footer",
                chart.file_stem
            );
            for b in &boxes {
                assert!(
                    b.x >= 0
                        && b.y >= 0
                        && b.x + b.width <= size.0 as i32
                        && b.y + b.height <= size.1 as i32,
                    "{} at {size:?}: `{}` at ({}, {}) size {}x{} leaves the canvas",
                    chart.file_stem,
                    b.text,
                    b.x,
                    b.y,
                    b.width,
                    b.height
                );
                // Nothing is cut when there is room to wrap or shrink: a cut text ends "...".
                if b.text.ends_with("...") {
                    panic!("{} at {size:?}: `{}` was cut", chart.file_stem, b.text);
                }
            }
            // Texts of the title block do not overlap one another.
            for (i, a) in boxes.iter().enumerate() {
                for b in &boxes[i + 1..] {
                    let overlap = a.x < b.x + b.width
                        && b.x < a.x + a.width
                        && a.y < b.y + b.height
                        && b.y < a.y + a.height;
                    assert!(
                        !overlap,
                        "{} at {size:?}: `{}` overlaps `{}`",
                        chart.file_stem, a.text, b.text
                    );
                }
            }
        }
    }
}
