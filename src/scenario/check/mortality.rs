//! `[mortality]`: Gompertz-Makeham life expectancies or a table of death probabilities.

#[allow(unused_imports)]
use super::*;

pub(super) fn check_mortality(
    c: &mut Checker<'_>,
    root: &Table<'_, '_>,
    years: Option<&Years>,
) -> Option<(Mortality, Option<Range<usize>>)> {
    let empty = DeTable::new();
    let t = c.table_or_empty(root, "mortality", "mortality", &empty);
    c.unknown_keys(
        &t,
        &[
            "makeham",
            "gompertz_slope",
            "life_expectancy",
            "improvement",
            "table",
        ],
    );
    if let Some((path_text, span)) = c.string(&t, "table", None) {
        for key in [
            "makeham",
            "gompertz_slope",
            "life_expectancy",
            "improvement",
        ] {
            if let Some(v) = t.get(key) {
                c.error(v.span(), format!("`mortality.{key}` does not apply when `mortality.table` gives the death probabilities"));
            }
        }
        let path = c.resolve(&span, &path_text);
        let q = read_table_for(c, &path, &path_text, span.clone(), "mortality.table", |q| {
            if (0.0..=1.0).contains(&q) {
                None
            } else {
                Some("a probability in 0..=1")
            }
        })?;
        if q[0][crate::model::MAX_AGE] <= 0.0 || q[1][crate::model::MAX_AGE] <= 0.0 {
            // Nobody would ever die in the open group 100+: a table no life table allows.
            c.error(span, format!("`mortality.table`: the death probability at {}+ must be above 0 for both sexes", crate::model::MAX_AGE));
            return None;
        }
        return Some((Mortality::Table { q, path }, None));
    }
    let makeham = c.number(&t, "makeham", Some(0.0005), Bound::Between(0.0, 1.0), "");
    let gompertz_slope = c.number(
        &t,
        "gompertz_slope",
        Some(0.09),
        Bound::Between(0.001, 1.0),
        "",
    );
    let improvement = c.number(&t, "improvement", Some(0.15), Bound::Between(-2.0, 2.0), "");
    let (e0, e0_span) = match c.table(&t, "life_expectancy", "mortality.life_expectancy", None) {
        None => (Some((77.0, 71.0)), None),
        Some(le) => {
            c.unknown_keys(&le, &["female", "male"]);
            let female = c.number(&le, "female", Some(77.0), Bound::Between(1.0, 150.0), "");
            let male = c.number(&le, "male", Some(71.0), Bound::Between(1.0, 150.0), "");
            (female.zip(male), Some(le.span()))
        }
    };
    let (makeham, gompertz_slope, improvement, (e0_female, e0_male)) =
        (makeham?, gompertz_slope?, improvement?, e0?);
    // Every year's target must be reachable by beta in [1e-12, 1] (MODEL.md section 2).
    if let Some(years) = years {
        let (lowest, highest) = reachable_e0(makeham, gompertz_slope);
        let span = e0_span.clone().unwrap_or(t.span());
        for (sex, e0) in [("female", e0_female), ("male", e0_male)] {
            let at_end = e0 + improvement * f64::from(years.end - years.base);
            let (min_target, max_target) = (e0.min(at_end), e0.max(at_end));
            if min_target < lowest || max_target > highest {
                let bad_year = if e0 < lowest || e0 > highest {
                    years.base
                } else {
                    years.end
                };
                let bad_e0 = if bad_year == years.base { e0 } else { at_end };
                c.diagnostics.push(
                    Diagnostic::at(span.clone(), format!(
                        "`mortality.life_expectancy.{sex}` gives e0 = {} in {bad_year}, which no Gompertz-Makeham table with makeham {makeham} and gompertz_slope {gompertz_slope} can reach: the reachable range is {:.2} to {:.2} years",
                        round6(bad_e0), lowest, highest
                    ))
                    .with_help("life expectancy in year t is life_expectancy + improvement * (t - base_year)"),
                );
            }
        }
    }
    Some((
        Mortality::GompertzMakeham {
            makeham,
            gompertz_slope,
            e0_female,
            e0_male,
            improvement_per_year: improvement,
        },
        e0_span,
    ))
}

pub(super) fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Reads an age table named by a scenario key; its problems are reported at the key, with
/// the table file's own line and column in the message.
pub(super) fn read_table_for(
    c: &mut Checker<'_>,
    path: &Path,
    path_text: &str,
    key_span: Range<usize>,
    key: &str,
    check: impl Fn(f64) -> Option<&'static str>,
) -> Option<[Vec<f64>; 2]> {
    if let Err(problem) = path_policy(path_text, "csv") {
        c.error(key_span, format!("`{key}`: {problem}"));
        return None;
    }
    let text = match super::read_regular_file(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                c.error(
                    key_span,
                    format!("`{key}`: the file \"{path_text}\" is not UTF-8 text"),
                );
                return None;
            }
        },
        Err(err) => {
            c.error(
                key_span,
                format!("`{key}`: cannot read \"{}\": {}", path.display(), err),
            );
            return None;
        }
    };
    c.tables.push((
        key.to_string(),
        path.to_path_buf(),
        super::sha256_hex(text.as_bytes()),
    ));
    match read_age_table(&text, crate::model::MAX_AGE, check) {
        Ok(table) => Some(table),
        Err(diagnostic) => {
            let table_file = SourceFile::new(path, text);
            let location = match &diagnostic.span {
                Some(span) => {
                    let (line, col) = table_file.line_col(span.start);
                    format!("{}:{line}:{col}", path.display())
                }
                None => path.display().to_string(),
            };
            c.error(
                key_span,
                format!("`{key}`: {location}: {}", diagnostic.message),
            );
            None
        }
    }
}
