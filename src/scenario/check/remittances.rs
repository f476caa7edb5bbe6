//! `[remittances]` and `[comparison]`: receipts, propensity, amounts, costs, decay, and the series remittances are compared with.

#[allow(unused_imports)]
use super::*;

/// Where `remittances.<key>` stands, when given.
pub(super) fn remittance_key_span(root: &Table<'_, '_>, key: &str) -> Option<Range<usize>> {
    match root.get("remittances")?.get_ref() {
        DeValue::Table(entries) => entries
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v.span()),
        _ => None,
    }
}

pub(super) fn check_remittances(
    c: &mut Checker<'_>,
    root: &Table<'_, '_>,
    years: Option<&Years>,
    origins: &[String],
) -> Option<(Remittances, Range<usize>)> {
    let t = c.table(
        root,
        "remittances",
        "remittances",
        Some("a [remittances] table with `received = { base_year = usd, calibration_year = usd }`"),
    )?;
    c.unknown_keys(
        &t,
        &[
            "received",
            "age_range",
            "propensity",
            "cost",
            "growth",
            "growth_damping",
            "observed",
        ],
    );
    let mut received_by_origin = Vec::new();
    let mut observed_by_origin = Vec::new();
    let received = if origins.is_empty() {
        if let Some(v) = t.get("observed") {
            c.error(v.span(), "`remittances.observed` gives receipts by origin group: it needs `[origins]` (without them, give observed figures to `migproj hindcast`)");
        }
        let received = two_figures(
            c,
            &t,
            "received",
            Bound::Between(0.0, 1e15),
            years,
            "world remittances received in the base and calibration years, current US dollars",
        );
        if let Some((base, calibration, span)) = &received {
            if (*base == 0.0) != (*calibration == 0.0) {
                c.error(span.clone(), "`remittances.received` must be zero in both years or positive in both (a growth rate cannot be calibrated from zero)");
            }
        }
        received
    } else {
        if t.get("received").is_none() {
            c.missing(&t, "received", "each origin group's remittances received in the base and calibration years, current US dollars: received = { \"group\" = { 1990 = usd, 2000 = usd } }");
        }
        let observed = match t.get("observed") {
            None => Some(vec![Vec::new(); origins.len()]),
            Some(_) => c
                .group_year_table(&t, "observed", Bound::Between(0.0, 1e15), origins)
                .map(|(by_group, _)| {
                    by_group
                        .into_iter()
                        .map(|g| g.unwrap_or_default())
                        .collect()
                }),
        };
        observed_by_origin = observed.unwrap_or_default();
        c.group_year_table(&t, "received", Bound::Between(0.0, 1e15), origins)
            .and_then(|(by_group, span)| {
                let years = years?;
                let mut ok = true;
                for (g, points) in by_group.iter().enumerate() {
                    match points {
                        None => received_by_origin.push(None),
                        Some(points) => {
                            let path = format!("remittances.received.\"{}\"", origins[g]);
                            match base_and_calibration(c, points, &span, &path, years) {
                                Some((base, calibration)) => {
                                    if (base == 0.0) != (calibration == 0.0) {
                                        c.error(span.clone(), format!("`{path}` must be zero in both years or positive in both (a growth rate cannot be calibrated from zero)"));
                                        ok = false;
                                    }
                                    received_by_origin.push(Some((base, calibration)));
                                }
                                None => ok = false,
                            }
                        }
                    }
                }
                ok.then(|| {
                    let modelled = received_by_origin.iter().flatten();
                    let base = modelled.clone().map(|p| p.0).sum();
                    let calibration = modelled.map(|p| p.1).sum();
                    (base, calibration, span)
                })
            })
    };
    let age_range = match t.get("age_range") {
        None => Some((15, 64)),
        Some(v) => match v.get_ref() {
            DeValue::Array(items) if items.len() == 2 => {
                let lo = c.integer_value(
                    "remittances.age_range[0]",
                    &items[0],
                    0,
                    crate::model::MAX_AGE as i64,
                    "an age",
                );
                let hi = c.integer_value(
                    "remittances.age_range[1]",
                    &items[1],
                    0,
                    crate::model::MAX_AGE as i64,
                    "an age",
                );
                match (lo, hi) {
                    (Some(lo), Some(hi)) if lo <= hi => Some((lo as usize, hi as usize)),
                    (Some(lo), Some(hi)) => {
                        c.error(v.span(), format!("`remittances.age_range` must be [youngest, oldest], found [{lo}, {hi}]"));
                        None
                    }
                    _ => None,
                }
            }
            other => {
                c.error(v.span(), format!("`remittances.age_range` must be an array of two ages, like [15, 64], found {}", describe(other)));
                None
            }
        },
    };
    let propensity = match c.table(&t, "propensity", "remittances.propensity", None) {
        None => Some(Propensity::Constant { value: 0.6 }),
        Some(p) => check_propensity(c, &p),
    };
    let cost = match t.get("cost") {
        None => Some(Vec::new()),
        Some(_) => {
            let before = c.diagnostics.len();
            let cost = c
                .year_table(&t, "cost", Bound::Between(0.0, 0.99), None)
                .map(|(points, _)| points.into_iter().map(|(y, v)| (f64::from(y), v)).collect());
            // A cost written in per cent (3 for 3%) gets the share it meant.
            for d in &mut c.diagnostics[before..] {
                let found = d
                    .message
                    .rsplit("found ")
                    .next()
                    .and_then(|v| v.trim().parse::<f64>().ok());
                if let Some(v) = found.filter(|v| (1.0..=100.0).contains(v)) {
                    d.help = Some(format!(
                        "costs are shares of the amount sent: {} per cent is {}",
                        crate::output::number(v),
                        crate::output::number(v / 100.0)
                    ));
                }
            }
            cost
        }
    };
    let growth = c.growth(&t, "growth", -0.5, 0.5);
    let growth_damping = c.number(
        &t,
        "growth_damping",
        Some(defaults::GROWTH_DAMPING),
        Bound::Probability,
        "",
    );
    let (received_base_usd, received_calibration_usd, span) = received?;
    Some((
        Remittances {
            received_base_usd,
            received_calibration_usd,
            age_range: age_range?,
            propensity: propensity?,
            cost: cost?,
            growth: growth?,
            growth_damping: growth_damping?,
            received_by_origin,
            observed_by_origin,
        },
        span,
    ))
}

pub(super) fn check_propensity(c: &mut Checker<'_>, p: &Table<'_, '_>) -> Option<Propensity> {
    let models = ["constant", "exponential", "hump"];
    let model = match p.get("model") {
        None => "constant".to_string(),
        Some(v) => {
            let m = c.string_value("remittances.propensity.model", v)?;
            if !models.contains(&m.as_str()) {
                let hint = suggest(&m, &models)
                    .map(|s| format!("; did you mean \"{s}\"?"))
                    .unwrap_or_default();
                c.error(v.span(), format!("`remittances.propensity.model` must be one of \"constant\", \"exponential\", \"hump\", found \"{m}\"{hint}"));
                return None;
            }
            m
        }
    };
    let pr = Bound::Probability;
    match model.as_str() {
        "constant" => {
            c.unknown_keys(p, &["model", "value"]);
            Some(Propensity::Constant {
                value: c.number(p, "value", Some(0.6), pr, "")?,
            })
        }
        "exponential" => {
            c.unknown_keys(p, &["model", "initial", "long_run", "decay"]);
            let initial = c.number(p, "initial", None, pr, "the propensity at duration 0");
            let long_run = c.number(p, "long_run", None, pr, "the propensity it tends to");
            let decay = c.number(
                p,
                "decay",
                None,
                Bound::Between(0.0, 100.0),
                "the rate of approach per year of duration",
            );
            Some(Propensity::Exponential {
                initial: initial?,
                long_run: long_run?,
                decay: decay?,
            })
        }
        _ => {
            c.unknown_keys(p, &["model", "peak", "peak_duration"]);
            let peak = c.number(
                p,
                "peak",
                None,
                pr,
                "the highest propensity, reached at `peak_duration`",
            );
            let peak_duration = c.number(
                p,
                "peak_duration",
                Some(8.0),
                Bound::Between(0.0, 200.0),
                "",
            );
            Some(Propensity::Hump {
                peak: peak?,
                peak_duration: peak_duration?,
            })
        }
    }
}

pub(super) fn check_comparison(
    c: &mut Checker<'_>,
    root: &Table<'_, '_>,
    origins: &[String],
) -> Option<Vec<ComparisonSeries>> {
    let Some(t) = c.table(root, "comparison", "comparison", None) else {
        return Some(Vec::new());
    };
    let mut series = Vec::new();
    let mut ok = true;
    for (key, value) in t.entries.iter() {
        let name = key.get_ref().as_ref();
        if name.is_empty()
            || name.len() > 40
            || !name
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
        {
            c.error(key.span(), format!("comparison series names become column names (`ratio_to_<name>`): use 1 to 40 characters from a-z, 0-9, '_', found `{}`", crate::error::clip(name, 60)));
            ok = false;
            continue;
        }
        // The long form names its points: { points = {...}, after = ..., origin = ... }.
        let long_form = matches!(value.get_ref(), DeValue::Table(entries) if entries.iter().any(|(k, _)| k.get_ref().as_ref() == "points"));
        if !long_form {
            match c.year_table(&t, name, Bound::Between(1.0, 1e15), None) {
                Some((points, _)) => series.push(ComparisonSeries {
                    name: name.to_string(),
                    points: points.into_iter().map(|(y, v)| (f64::from(y), v)).collect(),
                    after: None,
                    origin: None,
                }),
                None => ok = false,
            }
            continue;
        }
        let path = format!("comparison.{name}");
        let Some(inner) = c.table(&t, name, &path, None) else {
            ok = false;
            continue;
        };
        // `path` must outlive `inner`: re-borrow through a local table.
        let inner = Table {
            path: &path,
            entries: inner.entries,
            span: inner.span,
        };
        c.unknown_keys(&inner, &["points", "after", "origin"]);
        let points = c.year_table(
            &inner,
            "points",
            Bound::Between(1.0, 1e15),
            Some("the series' figures by year"),
        );
        let after = match inner.get("after") {
            None => Some(None),
            Some(v) => match v.get_ref() {
                DeValue::String(text) if text.as_ref() == "flat" => Some(None),
                DeValue::Integer(_) | DeValue::Float(_) => c
                    .bounded_value(&format!("{path}.after"), v, Bound::Between(-0.5, 0.5))
                    .map(Some),
                other => {
                    c.error(v.span(), format!("`{path}.after` must be \"flat\" or a growth per year (0.02 for 2% a year), found {}", describe(other)));
                    None
                }
            },
        };
        let origin = match inner.get("origin") {
            None => Some(None),
            Some(v) => c
                .origin_ref(&format!("{path}.origin"), v, origins)
                .map(Some),
        };
        match (points, after, origin) {
            (Some((points, _)), Some(after), Some(origin)) => series.push(ComparisonSeries {
                name: name.to_string(),
                points: points.into_iter().map(|(y, v)| (f64::from(y), v)).collect(),
                after,
                origin,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(series)
}
