//! `migproj hindcast`: scores a projection against observations it was not calibrated to.

#[allow(unused_imports)]
use super::*;

/// `migproj hindcast`.
pub fn hindcast(
    scenario: &Path,
    observed: &Path,
    out: &Path,
    trajectories: Option<usize>,
    seed: Option<u64>,
    quiet: bool,
) -> Result<()> {
    use crate::hindcast::{explain, hindcast_csv, read_observations, score, Known, Quantiles};
    let loaded = load_scenario(scenario)?;
    let s = &loaded.scenario;
    // Check the observations before running anything.
    let file = read_text(observed, "observations file")?;
    let regions = crate::simulate::entity_names(s);
    // Every column of projection.csv: the Monte Carlo variables (scored against their fans)
    // and the deterministic-only ones (female_share, median_age).
    let mut variables = crate::simulate::variable_names(s);
    variables.extend(["female_share".to_string(), "median_age".to_string()]);
    let known = Known {
        regions: &regions,
        variables: &variables,
        calibration_year: s.calibration_year,
        end_year: s.end_year,
    };
    let observations = read_observations(&file, &known)?;
    // The run is written inside NAME-hindcast/run/, never over OUT/NAME.
    let folder = OutputFolder::create(
        out,
        &format!("{}-hindcast", s.name),
        crate::output::folder::Kind::Hindcast,
    )?;
    let args = default_run_args(&loaded.source.path, out, trajectories, seed, quiet);
    let built = build_run(&args, &loaded, Instant::now()).map_err(|e| in_scenario(&loaded, e))?;
    print_warnings(&loaded, &built.warnings);
    for (file, bytes) in &built.files {
        folder.write(&format!("run/{file}"), bytes)?;
    }
    let files = &built.files;
    let tables = load_tables(&|n: &str| {
        Ok(files.iter().find(|(f, _)| f == n).map(|(f, bytes)| {
            SourceFile::new(f.as_str(), String::from_utf8_lossy(bytes).into_owned())
        }))
    })?;
    let (scored, summary) = score(&observations, |o| {
        let t = tables.year_index(o.year)?;
        match tables.fan(&o.region, &o.variable) {
            Some(f) => Some(Quantiles {
                p2_5: f.p2_5[t],
                p10: f.p10[t],
                p25: f.p25[t],
                p50: f.p50[t],
                p75: f.p75[t],
                p90: f.p90[t],
                p97_5: f.p97_5[t],
            }),
            None => tables
                .series(&o.region, &o.variable)
                .map(|v| Quantiles::point(v[t])),
        }
    });
    let groups = crate::hindcast::group_scores(&scored);
    let text = explain(
        &summary,
        &groups,
        &tables.meta.scenario_title,
        tables.fans.as_ref().and(tables.meta.trajectories),
    );
    folder.write("hindcast.csv", &hindcast_csv(s, &scored)?)?;
    folder.write("scores.csv", &crate::hindcast::scores_csv(s, &groups)?)?;
    folder.write(
        "hindcast.md",
        format!(
            "# Hindcast\n\n{text}\nCoverage of the 50% interval: {:.3}\nCoverage of the 80% interval: {:.3}\nCoverage of the 95% interval: {:.3}\nMedian absolute percentage error: {:.3}\nBias of the median (mean percentage error): {:.3}\n",
            summary.coverage_50,
            summary.coverage_80,
            summary.coverage_95,
            summary.median_absolute_per_cent_error,
            summary.bias_per_cent
        )
        .as_bytes(),
    )?;
    write_charts(
        &folder,
        &crate::output::charts::hindcast_charts(&tables, &scored, s.calibration_year),
    )?;
    let target = folder.commit()?;
    say(&text);
    if !quiet {
        eprintln!("wrote {}", target.display());
    }
    Ok(())
}
