//! `migproj hindcast`: score a projection against observed figures it did not use. For each
//! observation: the median, the 80% and 95% intervals, whether each covers it, and the
//! percentage error of the median; overall: the coverage of both intervals and the median
//! absolute percentage error. Observations inside the calibration period are refused: the
//! model was fitted to them.

use crate::error::{Diagnostic, Error, Result, SourceFile};
use crate::output::number;
use crate::output::tables::CsvBuffer;
use crate::scenario::csv_table::{expect_header, number as csv_number, parse_csv};

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
    pub p50: f64,
    pub p90: f64,
    pub p97_5: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub observation: Observation,
    pub quantiles: Quantiles,
    pub in_80: bool,
    pub in_95: bool,
    /// 100 (median - observed) / observed.
    pub per_cent_error: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    pub n: usize,
    pub coverage_80: f64,
    pub coverage_95: f64,
    /// Median absolute percentage error of the medians.
    pub median_absolute_per_cent_error: f64,
}

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
        let region = f[0].text.trim().to_string();
        if !known.regions.contains(&region) {
            problems.push(Diagnostic::at(
                f[0].span.clone(),
                format!(
                    "no region \"{region}\" in the projection (regions: {})",
                    known.regions.join(", ")
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
                    format!("`year` must be a year, found `{}`", f[1].text),
                ));
                None
            }
        };
        let variable = f[2].text.trim().to_string();
        if !known.variables.contains(&variable) {
            problems.push(Diagnostic::at(
                f[2].span.clone(),
                format!(
                    "`variable` must be one of {}, found `{variable}`",
                    known.variables.join(", ")
                ),
            ));
        }
        let value = match csv_number(&f[3], "value") {
            Ok(v) if v > 0.0 => Some(v),
            Ok(v) => {
                problems.push(Diagnostic::at(
                    f[3].span.clone(),
                    format!("`value` must be positive (percentage errors divide by it), found {v}"),
                ));
                None
            }
            Err(d) => {
                problems.push(d);
                None
            }
        };
        if let (Some(year), Some(value)) = (year, value) {
            observations.push(Observation {
                region,
                year,
                variable,
                value,
                source: f[4].text.trim().to_string(),
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
            Some(Scored {
                observation: o.clone(),
                quantiles: q,
                in_80: o.value >= q.p10 && o.value <= q.p90,
                in_95: o.value >= q.p2_5 && o.value <= q.p97_5,
                per_cent_error: 100.0 * (q.p50 - o.value) / o.value,
            })
        })
        .collect();
    let n = scored.len();
    let share = |count: usize| if n == 0 { 0.0 } else { count as f64 / n as f64 };
    let mut absolute: Vec<f64> = scored.iter().map(|s| s.per_cent_error.abs()).collect();
    absolute.sort_by(f64::total_cmp);
    let mape = if n == 0 {
        0.0
    } else {
        crate::simulate::quantiles::quantile_sorted(&absolute, 0.5)
    };
    let summary = Score {
        n,
        coverage_80: share(scored.iter().filter(|s| s.in_80).count()),
        coverage_95: share(scored.iter().filter(|s| s.in_95).count()),
        median_absolute_per_cent_error: mape,
    };
    (scored, summary)
}

pub fn hindcast_csv(scored: &[Scored]) -> Result<Vec<u8>> {
    let header: Vec<String> = [
        "region",
        "year",
        "variable",
        "observed",
        "source",
        "p2_5",
        "p10",
        "p50",
        "p90",
        "p97_5",
        "in_80",
        "in_95",
        "per_cent_error",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut csv = CsvBuffer::new("hindcast.csv", &header)?;
    for s in scored {
        let (o, q) = (&s.observation, &s.quantiles);
        csv.row(&[
            o.region.clone(),
            o.year.to_string(),
            o.variable.clone(),
            number(o.value),
            o.source.clone(),
            number(q.p2_5),
            number(q.p10),
            number(q.p50),
            number(q.p90),
            number(q.p97_5),
            s.in_80.to_string(),
            s.in_95.to_string(),
            number((s.per_cent_error * 100.0).round() / 100.0),
        ])?;
    }
    csv.into_bytes()
}

/// The score in words, for the terminal and hindcast.md.
pub fn explain(score: &Score, scenario_title: &str, trajectories: Option<u64>) -> String {
    let spread = trajectories.map_or(
        "the deterministic projection (no intervals: run with trajectories to score intervals)"
            .to_string(),
        |n| format!("{n} trajectories"),
    );
    format!(
        "Hindcast of \"{scenario_title}\" against {} observations it was not calibrated to ({spread}).\n\
         - The 80% interval covered {:.0}% of them and the 95% interval {:.0}%. A well-calibrated\n\
         \x20 projection covers about 80% and 95%: much less means the intervals are too narrow (or\n\
         \x20 the model is biased), much more that they are too wide.\n\
         - The median missed the observations by {:.1}% (median absolute percentage error).\n\
         See hindcast.csv for each observation: the median, both intervals, whether each covers it\n\
         (in_80, in_95) and the percentage error of the median (per_cent_error, positive when the\n\
         projection is above the observation).\n",
        score.n,
        100.0 * score.coverage_80,
        100.0 * score.coverage_95,
        score.median_absolute_per_cent_error
    )
}
