//! `migproj hindcast`: score a projection against observed figures it did not use. For each
//! observation: the median, the 50%, 80% and 95% intervals, whether each covers it, the
//! interval scores and the percentage error of the median. Per variable and region, and over
//! all: the coverage of the three intervals, the mean interval score (Gneiting and Raftery
//! 2007, relative to the observed value so that variables can be compared), the median's
//! bias (mean signed percentage error) and the median absolute percentage error.
//! Observations inside the calibration period are refused: the model was fitted to them.

use crate::error::{Diagnostic, Error, Result, SourceFile};
use crate::output::number;
use crate::output::tables::CsvBuffer;
use crate::scenario::csv_table::{expect_header, number as csv_number, parse_csv};
use crate::scenario::Scenario;

#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub region: String,
    pub year: i32,
    pub variable: String,
    pub value: f64,
    pub source: String,
}

/// The quantiles a projection gives for one region, variable and year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantiles {
    pub p2_5: f64,
    pub p10: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p90: f64,
    pub p97_5: f64,
}

impl Quantiles {
    /// A deterministic projection: every quantile is the value.
    pub fn point(value: f64) -> Self {
        Quantiles {
            p2_5: value,
            p10: value,
            p25: value,
            p50: value,
            p75: value,
            p90: value,
            p97_5: value,
        }
    }
}

/// The interval score of the central `(1 - alpha)` interval `[lower, upper]` for observation
/// `x` (Gneiting and Raftery 2007, eq. 43): its width plus `2 / alpha` times the distance by
/// which x falls outside. Lower is better; it rewards narrow intervals that still cover.
pub fn interval_score(lower: f64, upper: f64, alpha: f64, x: f64) -> f64 {
    (upper - lower) + 2.0 / alpha * (lower - x).max(0.0) + 2.0 / alpha * (x - upper).max(0.0)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub observation: Observation,
    pub quantiles: Quantiles,
    pub in_50: bool,
    pub in_80: bool,
    pub in_95: bool,
    /// Interval scores of the 50%, 80% and 95% intervals divided by the observed value.
    pub relative_interval_score: [f64; 3],
    /// 100 (median - observed) / observed.
    pub per_cent_error: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    pub n: usize,
    pub coverage_50: f64,
    pub coverage_80: f64,
    pub coverage_95: f64,
    /// Mean relative interval scores of the 50%, 80% and 95% intervals.
    pub interval_score: [f64; 3],
    /// Mean signed percentage error of the medians (positive: the projection is too high).
    pub bias_per_cent: f64,
    /// Median absolute percentage error of the medians.
    pub median_absolute_per_cent_error: f64,
}

/// The score of one variable in one region (`None` region: every region).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupScore {
    pub variable: String,
    pub region: String,
    pub score: Score,
}

/// The longest `source` an observation may cite (characters).
pub const MAX_SOURCE_CHARS: usize = 500;

/// What an observations file may refer to.
pub struct Known<'a> {
    pub regions: &'a [String],
    pub variables: &'a [String],
    pub calibration_year: i32,
    pub end_year: i32,
}

/// Reads observations (CSV: region, year, variable, value, source), refusing, with their
/// line and column, unknown regions and variables, years inside the calibration period or
/// after the projection, and values that are not positive numbers.
pub fn read_observations(file: &SourceFile, known: &Known<'_>) -> Result<Vec<Observation>> {
    let located = |d: Diagnostic| Error::from_diagnostics(file, &[d], "nothing was scored");
    let rows = parse_csv(&file.text).map_err(located)?;
    expect_header(&rows, &["region", "year", "variable", "value", "source"]).map_err(located)?;
    let mut observations = Vec::new();
    let mut problems = Vec::new();
    let mut seen: std::collections::HashMap<(String, i32, String), usize> =
        std::collections::HashMap::new();
    for row in rows.iter().skip(1) {
        if row.fields.len() != 5 {
            problems.push(Diagnostic::at(
                row.span.clone(),
                format!(
                    "expected 5 fields (region,year,variable,value,source), found {}",
                    row.fields.len()
                ),
            ));
            continue;
        }
        let f = &row.fields;
        // ASCII spaces around a field are CSV habit; any other invisible character (a
        // non-breaking space, a control character) would make a look-alike of a region's
        // name, so it is refused, not matched (issue 22 item 32).
        let region = f[0].text.trim_matches(' ').to_string();
        if let Some(c) = region
            .chars()
            .find(|c| c.is_control() || (c.is_whitespace() && *c != ' '))
        {
            problems.push(Diagnostic::at(
                f[0].span.clone(),
                format!(
                    "the region name holds an invisible character (U+{:04X}): write the name as the projection does",
                    c as u32
                ),
            ));
        } else if !known.regions.contains(&region) {
            let candidates: Vec<&str> = known.regions.iter().map(String::as_str).collect();
            let hint = crate::error::suggest_index(&region, &candidates)
                .map(|i| format!("; did you mean \"{}\"?", candidates[i]))
                .unwrap_or_default();
            problems.push(Diagnostic::at(
                f[0].span.clone(),
                format!(
                    "no region \"{}\" in the projection{hint} (regions: {})",
                    crate::error::clip(&region, 60),
                    crate::error::clip(&known.regions.join(", "), 300)
                ),
            ));
        }
        let year = match f[1].text.trim().parse::<i32>() {
            Ok(y) if y <= known.calibration_year => {
                problems.push(
                    Diagnostic::at(f[1].span.clone(), format!("{y} is inside the calibration period (to {}): the model was fitted to those years, so they cannot score it", known.calibration_year))
                        .with_help("give observations after the calibration year"),
                );
                None
            }
            Ok(y) if y > known.end_year => {
                problems.push(Diagnostic::at(
                    f[1].span.clone(),
                    format!("{y} is after the projection's last year {}", known.end_year),
                ));
                None
            }
            Ok(y) => Some(y),
            Err(_) => {
                problems.push(Diagnostic::at(
                    f[1].span.clone(),
                    format!(
                        "`year` must be a year, found `{}`",
                        crate::error::clip(&f[1].text, 40)
                    ),
                ));
                None
            }
        };
        let variable = f[2].text.trim().to_string();
        if !known.variables.contains(&variable) {
            problems.push(Diagnostic::at(
                f[2].span.clone(),
                format!(
                    "`variable` must be one of {}, found `{}`",
                    known.variables.join(", "),
                    crate::error::clip(&variable, 40)
                ),
            ));
        }
        let value = match csv_number(&f[3], "value") {
            // Percentage errors divide by the value: a tiny one would give infinities.
            Ok(v) if (1e-6..=1e15).contains(&v) => Some(v),
            Ok(v) => {
                problems.push(Diagnostic::at(
                    f[3].span.clone(),
                    format!("`value` must be a positive number from 1e-6 to 1e15 (percentage errors divide by it), found {v}"),
                ));
                None
            }
            Err(d) => {
                problems.push(d);
                None
            }
        };
        let source = f[4].text.trim().to_string();
        let source_ok = if source.chars().any(char::is_control) {
            problems.push(Diagnostic::at(
                f[4].span.clone(),
                "`source` holds a control character: cite the source in plain text",
            ));
            false
        } else if source.chars().count() > MAX_SOURCE_CHARS {
            problems.push(Diagnostic::at(
                f[4].span.clone(),
                format!(
                    "`source` is {} characters long: a citation of at most {MAX_SOURCE_CHARS} is expected",
                    source.chars().count()
                ),
            ));
            false
        } else {
            true
        };
        if let (Some(year), Some(value), true) = (year, value, source_ok) {
            // One observation per region, year and variable: a second would be scored twice.
            // The first row's offset is kept; its line is counted only for the error.
            if let Some(&first) = seen.get(&(region.clone(), year, variable.clone())) {
                problems.push(Diagnostic::at(
                    row.span.clone(),
                    format!(
                        "{region} {year} {variable} is observed twice (first on line {}): give one observation per region, year and variable",
                        file.line_col(first).0
                    ),
                ));
                continue;
            }
            seen.insert((region.clone(), year, variable.clone()), row.span.start);
            observations.push(Observation {
                region,
                year,
                variable,
                value,
                source,
            });
        }
    }
    if !problems.is_empty() {
        return Err(Error::from_diagnostics(
            file,
            &problems,
            "nothing was scored",
        ));
    }
    if observations.is_empty() {
        return Err(Error::from_diagnostics(
            file,
            &[Diagnostic::whole_file("the file has no observations")],
            "nothing was scored",
        ));
    }
    Ok(observations)
}

/// Scores each observation against the projection's quantiles.
pub fn score(
    observations: &[Observation],
    quantiles: impl Fn(&Observation) -> Option<Quantiles>,
) -> (Vec<Scored>, Score) {
    let scored: Vec<Scored> = observations
        .iter()
        .filter_map(|o| {
            let q = quantiles(o)?;
            let x = o.value;
            let relative = |lo: f64, hi: f64, alpha: f64| interval_score(lo, hi, alpha, x) / x;
            Some(Scored {
                observation: o.clone(),
                quantiles: q,
                in_50: x >= q.p25 && x <= q.p75,
                in_80: x >= q.p10 && x <= q.p90,
                in_95: x >= q.p2_5 && x <= q.p97_5,
                relative_interval_score: [
                    relative(q.p25, q.p75, 0.5),
                    relative(q.p10, q.p90, 0.2),
                    relative(q.p2_5, q.p97_5, 0.05),
                ],
                per_cent_error: 100.0 * (q.p50 - x) / x,
            })
        })
        .collect();
    let summary = summarize(&scored);
    (scored, summary)
}

/// The score of a set of scored observations.
pub fn summarize(scored: &[Scored]) -> Score {
    let n = scored.len();
    let share = |count: usize| if n == 0 { 0.0 } else { count as f64 / n as f64 };
    let mean = |f: &dyn Fn(&Scored) -> f64| {
        if n == 0 {
            0.0
        } else {
            scored.iter().map(f).sum::<f64>() / n as f64
        }
    };
    let mut absolute: Vec<f64> = scored.iter().map(|s| s.per_cent_error.abs()).collect();
    absolute.sort_by(f64::total_cmp);
    let mape = if n == 0 {
        0.0
    } else {
        crate::simulate::quantiles::quantile_sorted(&absolute, 0.5)
    };
    Score {
        n,
        coverage_50: share(scored.iter().filter(|s| s.in_50).count()),
        coverage_80: share(scored.iter().filter(|s| s.in_80).count()),
        coverage_95: share(scored.iter().filter(|s| s.in_95).count()),
        interval_score: [
            mean(&|s| s.relative_interval_score[0]),
            mean(&|s| s.relative_interval_score[1]),
            mean(&|s| s.relative_interval_score[2]),
        ],
        bias_per_cent: mean(&|s| s.per_cent_error),
        median_absolute_per_cent_error: mape,
    }
}

/// Scores per variable and region (in order of first appearance), then per variable over
/// every region (`All regions`) when a variable has several.
pub fn group_scores(scored: &[Scored]) -> Vec<GroupScore> {
    let mut keys: Vec<(String, String)> = Vec::new();
    for s in scored {
        let key = (s.observation.variable.clone(), s.observation.region.clone());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    let mut groups = Vec::new();
    let mut variables: Vec<String> = Vec::new();
    for (variable, _) in &keys {
        if !variables.contains(variable) {
            variables.push(variable.clone());
        }
    }
    for variable in &variables {
        let regions: Vec<&String> = keys
            .iter()
            .filter(|(v, _)| v == variable)
            .map(|(_, r)| r)
            .collect();
        for region in &regions {
            let subset: Vec<Scored> = scored
                .iter()
                .filter(|s| &s.observation.variable == variable && &&s.observation.region == region)
                .cloned()
                .collect();
            groups.push(GroupScore {
                variable: variable.clone(),
                region: (*region).clone(),
                score: summarize(&subset),
            });
        }
        if regions.len() > 1 {
            let subset: Vec<Scored> = scored
                .iter()
                .filter(|s| &s.observation.variable == variable)
                .cloned()
                .collect();
            groups.push(GroupScore {
                variable: variable.clone(),
                region: "All regions".into(),
                score: summarize(&subset),
            });
        }
    }
    groups
}

/// scores.csv: one row per variable and region (and all regions).
pub fn scores_csv(scenario: &Scenario, groups: &[GroupScore]) -> Result<Vec<u8>> {
    let header = [
        "variable",
        "unit",
        "region",
        "level",
        "observations",
        "coverage_50",
        "coverage_80",
        "coverage_95",
        "interval_score_50",
        "interval_score_80",
        "interval_score_95",
        "bias_per_cent",
        "median_absolute_per_cent_error",
    ];
    let mut csv = CsvBuffer::for_run("scores.csv", scenario, &header)?;
    let round = |x: f64, digits: i32| {
        let f = 10f64.powi(digits);
        number((x * f).round() / f)
    };
    for g in groups {
        let s = &g.score;
        // Scores pooled over every region's observations: level `pooled`.
        let level = if g.region == "All regions" {
            "pooled"
        } else {
            crate::output::tables::level_of_region(
                scenario,
                &g.region,
                crate::scenario::ALL_ORIGINS,
            )
        };
        csv.row(&[
            g.variable.clone(),
            crate::output::unit_of(&g.variable).to_string(),
            g.region.clone(),
            level.to_string(),
            s.n.to_string(),
            round(s.coverage_50, 4),
            round(s.coverage_80, 4),
            round(s.coverage_95, 4),
            round(s.interval_score[0], 4),
            round(s.interval_score[1], 4),
            round(s.interval_score[2], 4),
            round(s.bias_per_cent, 2),
            round(s.median_absolute_per_cent_error, 2),
        ])?;
    }
    csv.into_bytes()
}

pub fn hindcast_csv(scenario: &Scenario, scored: &[Scored]) -> Result<Vec<u8>> {
    let header = [
        "region",
        "origin",
        "level",
        "year",
        "variable",
        "unit",
        "observed",
        "source",
        "p2_5",
        "p10",
        "p25",
        "p50",
        "p75",
        "p90",
        "p97_5",
        "in_50",
        "in_80",
        "in_95",
        "interval_score_50",
        "interval_score_80",
        "interval_score_95",
        "per_cent_error",
    ];
    let mut csv = CsvBuffer::for_run("hindcast.csv", scenario, &header)?;
    for s in scored {
        let (o, q) = (&s.observation, &s.quantiles);
        csv.row(&[
            o.region.clone(),
            // Observations are of every origin (the observed file has no origin column).
            crate::scenario::ALL_ORIGINS.to_string(),
            crate::output::tables::level_of_region(
                scenario,
                &o.region,
                crate::scenario::ALL_ORIGINS,
            )
            .to_string(),
            o.year.to_string(),
            o.variable.clone(),
            crate::output::unit_of(&o.variable).to_string(),
            number(o.value),
            o.source.clone(),
            number(q.p2_5),
            number(q.p10),
            number(q.p25),
            number(q.p50),
            number(q.p75),
            number(q.p90),
            number(q.p97_5),
            s.in_50.to_string(),
            s.in_80.to_string(),
            s.in_95.to_string(),
            number((s.relative_interval_score[0] * 1e4).round() / 1e4),
            number((s.relative_interval_score[1] * 1e4).round() / 1e4),
            number((s.relative_interval_score[2] * 1e4).round() / 1e4),
            number((s.per_cent_error * 100.0).round() / 100.0),
        ])?;
    }
    csv.into_bytes()
}

/// The score in words, for the terminal and hindcast.md: overall, then per variable and
/// region.
pub fn explain(
    score: &Score,
    groups: &[GroupScore],
    scenario_title: &str,
    trajectories: Option<u64>,
) -> String {
    let spread = trajectories.map_or(
        "the deterministic projection (no intervals: run with trajectories to score intervals)"
            .to_string(),
        |n| format!("{n} trajectories"),
    );
    let mut text = format!(
        "Hindcast of \"{scenario_title}\" against {} observations it was not calibrated to ({spread}).\n\
         - The 50% interval covered {:.0}% of them, the 80% interval {:.0}% and the 95% interval\n\
         \x20 {:.0}%. A well-calibrated projection covers about 50%, 80% and 95%: much less means the\n\
         \x20 intervals are too narrow (or the model is biased), much more that they are too wide.\n\
         - The median missed the observations by {:.1}% (median absolute percentage error); on\n\
         \x20 average it was {:.1}% {} them.\n\
         - Interval scores (Gneiting and Raftery 2007; width plus penalties for misses, per unit of\n\
         \x20 the observed value; lower is better): 50% {:.3}, 80% {:.3}, 95% {:.3}.\n",
        score.n,
        100.0 * score.coverage_50,
        100.0 * score.coverage_80,
        100.0 * score.coverage_95,
        score.median_absolute_per_cent_error,
        score.bias_per_cent.abs(),
        if score.bias_per_cent >= 0.0 { "above" } else { "below" },
        score.interval_score[0],
        score.interval_score[1],
        score.interval_score[2],
    );
    if groups.len() > 1 {
        text += "\nBy variable and region (n; coverage of the 50/80/95% intervals; bias of the median; median absolute error):\n";
        for g in groups {
            let s = &g.score;
            text += &format!(
                "- {} in {}: n {}; {:.0}/{:.0}/{:.0}%; bias {:+.1}%; error {:.1}%\n",
                g.variable.replace('_', " "),
                g.region,
                s.n,
                100.0 * s.coverage_50,
                100.0 * s.coverage_80,
                100.0 * s.coverage_95,
                s.bias_per_cent,
                s.median_absolute_per_cent_error
            );
        }
    }
    text += "See hindcast.csv for each observation (the median, the intervals, whether each covers it,\n\
             the interval scores and the percentage error of the median, positive when the projection\n\
             is above the observation) and scores.csv for the scores by variable and region.\n";
    text
}
