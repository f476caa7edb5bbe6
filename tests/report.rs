//! The report as a reader opens it (issue 12): report.html rendered by headless Chromium
//! (Debian's chromium) with every image loaded, every key-figure year asked for present and
//! no script from a title; report.md's images resolving from the folder report.md is in.

mod common;
use common::{assert_success, migproj, temp_dir};

use std::path::Path;
use std::process::Command;

/// Runs regions.toml and a comparison, then a report in a folder of its own.
fn make_report(dir: &Path) -> std::path::PathBuf {
    let out = dir.join("out");
    let o = out.to_str().unwrap();
    assert_success(&migproj(&[
        "run",
        "scenarios/regions.toml",
        "--trajectories",
        "60",
        "--quiet",
        "--out",
        o,
    ]));
    assert_success(&migproj(&[
        "compare",
        "scenarios/baseline.toml",
        "scenarios/remittance-cost.toml",
        "--trajectories",
        "40",
        "--quiet",
        "--out",
        o,
    ]));
    let report = dir.join("docs/notes/report");
    let output = migproj(&[
        "report",
        out.join("regions").to_str().unwrap(),
        out.join("compare").to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
        "--years",
        "2000,2035,2050",
        "--title",
        "Migrants <script>alert(1)</script> to 2050",
        "--author",
        "A. Analyst",
        "--date",
        "2026-11-30",
    ]);
    assert_success(&output);
    report
}

#[test]
fn report_md_links_resolve_and_it_has_every_part() {
    let dir = temp_dir("report-md");
    let report = make_report(&dir);
    let md = std::fs::read_to_string(report.with_extension("md")).unwrap();
    let folder = report.parent().unwrap();
    let mut images = 0;
    for part in md.split("](").skip(1) {
        let link = part.split(')').next().unwrap();
        assert!(!link.starts_with('/'), "absolute link {link}");
        assert!(
            folder.join(link).is_file(),
            "{link} does not resolve from {}",
            folder.display()
        );
        images += 1;
    }
    assert!(images >= 10, "{images} images");
    for part in [
        "# Migrants &lt;script&gt;alert(1)&lt;/script&gt; to 2050",
        "*A. Analyst · 2026-11-30",
        "## Summary",
        "| 2000 | 2035 | 2050 |",
        "Migrant stock, Northern America",
        "Remittances received by all origins / official development assistance",
        "Transfer costs paid",
        "Table 2. Key figures",
        "Figure 1. International migrant stock",
        "## Differences between scenarios",
        "billion US$ paid in transfer costs",
        "## Sources",
        "data revision IMS 2020",
        "IMS 2020 Table 4",
    ] {
        assert!(md.contains(part), "report.md lacks {part:?}");
    }
    assert!(!md.contains("<script>"));
    // A partial file left by a killed report is removed by the next one.
    let stale = folder.join("report.md.partial-4194000");
    std::fs::write(&stale, "half").unwrap();
    let again = migproj(&[
        "report",
        dir.join("out/regions").to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
    ]);
    assert_success(&again);
    assert!(!stale.exists());
    // A year the runs do not have is refused before anything is written.
    let refused = migproj(&[
        "report",
        dir.join("out/regions").to_str().unwrap(),
        "--out",
        dir.join("other").to_str().unwrap(),
        "--years",
        "2070",
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("2070 is not a year of the run"));
    assert!(!dir.join("other.md").exists());
}

#[test]
fn report_html_renders_in_chromium_with_every_image_and_year() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).is_file());
    let Some(chromium) = chromium else {
        // CI installs Debian's chromium and sets MIGPROJ_SLOW_TESTS: there the test must run.
        assert!(
            std::env::var_os("MIGPROJ_SLOW_TESTS").is_none(),
            "chromium is not installed (apt-get install chromium)"
        );
        eprintln!("skipped: no chromium on this machine");
        return;
    };
    let dir = temp_dir("report-html");
    let report = make_report(&dir);
    let folder = report.parent().unwrap();
    // A page beside the report loads it in a frame and reports what the browser made of it.
    let check = folder.join("check.html");
    std::fs::write(
        &check,
        r#"<!DOCTYPE html><html><body>
<iframe id="f" src="report.html" style="width:1200px;height:900px"></iframe>
<pre id="out">pending</pre>
<script>
document.getElementById('f').addEventListener('load', function () {
  const d = this.contentDocument;
  const images = Array.from(d.images);
  const broken = images.filter(i => !(i.complete && i.naturalWidth > 0)).length;
  const headers = Array.from(d.querySelectorAll('th')).map(t => t.textContent);
  document.getElementById('out').textContent = JSON.stringify({
    images: images.length, broken: broken, headers: headers,
    scripts: d.scripts.length, title: d.querySelector('h1').textContent,
    widths: images.map(i => i.naturalWidth)
  });
});
</script></body></html>"#,
    )
    .unwrap();
    let profile = dir.join("chromium-profile");
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--allow-file-access-from-files",
            "--virtual-time-budget=20000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!(
            "file://{}",
            check.canonicalize().unwrap().display()
        ))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&output.stdout);
    let json = dom
        .split("<pre id=\"out\">")
        .nth(1)
        .and_then(|s| s.split("</pre>").next())
        .unwrap_or_else(|| {
            panic!(
                "no result: {dom} {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let json = json
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    let result: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let images = result["images"].as_u64().unwrap();
    assert!(images >= 10, "{result}");
    assert_eq!(result["broken"], 0, "{result}");
    for width in result["widths"].as_array().unwrap() {
        assert_eq!(width.as_u64(), Some(1600), "{result}");
    }
    let headers: Vec<&str> = result["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    for year in ["2000", "2035", "2050"] {
        assert!(
            headers.contains(&year),
            "key-figure year {year} missing: {headers:?}"
        );
    }
    // The title's markup is text, not a script.
    assert_eq!(result["scripts"], 0, "{result}");
    assert_eq!(
        result["title"],
        "Migrants <script>alert(1)</script> to 2050"
    );
}
