//! `[departure]` and `[arrivals]`: departure rates, arrival growth and trend, age schedule, changes and pulses.

#[allow(unused_imports)]
use super::*;

pub(super) fn check_changes(
    c: &mut Checker<'_>,
    parent: &Table<'_, '_>,
    key: &str,
    regions: &[String],
    origins: &[String],
    earliest: Option<i32>,
) -> Option<Vec<Change>> {
    let items = c.array_of_tables(parent, key);
    let mut changes = Vec::new();
    let mut ok = true;
    for (index, entries, span) in items {
        let path = format!("{}[{index}]", parent.key_path(key));
        let t = Table {
            path: &path,
            entries,
            span: (span.start, span.end),
        };
        c.unknown_keys(&t, &["from", "multiplier", "region", "origin"]);
        let origin = match t.get("origin") {
            None => Some(None),
            Some(v) => c
                .origin_ref(&format!("{path}.origin"), v, origins)
                .map(Some),
        };
        let from = c.integer(
            &t,
            "from",
            None,
            1000,
            3000,
            "the first year the change is in force",
        );
        let multiplier = c.number(
            &t,
            "multiplier",
            None,
            Bound::Between(0.0, 1000.0),
            "the factor applied from that year on",
        );
        let region = match t.get("region") {
            None => Some(None),
            Some(v) => c
                .region_ref(&format!("{path}.region"), v, regions)
                .map(Some),
        };
        if let (Some(from), Some(earliest)) = (from, earliest) {
            if (from as i32) < earliest {
                let span = t.get("from").map(|v| v.span()).unwrap_or(span.clone());
                c.error(span, format!("`{path}.from` ({from}) is before `scenario.calibration_year` ({earliest}): changes may not alter the calibration period"));
                ok = false;
                continue;
            }
        }
        match (from, multiplier, region, origin) {
            (Some(from), Some(multiplier), Some(region), Some(origin)) => changes.push(Change {
                from_year: from as i32,
                multiplier,
                region,
                origin,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(changes)
}

pub(super) fn check_departure(
    c: &mut Checker<'_>,
    root: &Table<'_, '_>,
    regions: &[String],
    origins: &[String],
) -> Option<Departure> {
    let empty = DeTable::new();
    let t = c.table_or_empty(root, "departure", "departure", &empty);
    c.unknown_keys(&t, &["initial", "long_run", "decay", "change"]);
    let initial = c.number(&t, "initial", Some(0.10), Bound::Probability, "");
    let long_run = c.number(&t, "long_run", Some(0.03), Bound::Probability, "");
    let decay = c.number(&t, "decay", Some(0.25), Bound::Between(0.0, 100.0), "");
    let changes = check_changes(c, &t, "change", regions, origins, None);
    Some(Departure {
        initial: initial?,
        long_run: long_run?,
        decay: decay?,
        changes: changes?,
    })
}

pub(super) fn check_arrivals(
    c: &mut Checker<'_>,
    root: &Table<'_, '_>,
    years: Option<&Years>,
    regions: &[(Region, Range<usize>)],
    names: &[String],
    origins: &[String],
) -> Option<Arrivals> {
    let empty = DeTable::new();
    let t = c.table_or_empty(root, "arrivals", "arrivals", &empty);
    c.unknown_keys(
        &t,
        &[
            "female_share",
            "growth",
            "pooling",
            "growth_shift",
            "trend_damping",
            "age_schedule",
            "change",
            "pulse",
        ],
    );
    let female_share = c.number(&t, "female_share", Some(0.49), Bound::Probability, "");
    let growth = c.growth(&t, "growth", -0.5, 0.5);
    let pooling = match c.string(&t, "pooling", None) {
        None if t.get("pooling").is_some() => None,
        None => Some(Pooling::World),
        Some((text, _)) if text == "world" => Some(Pooling::World),
        Some((text, _)) if text == "arrivals" => Some(Pooling::Arrivals),
        Some((text, span)) => {
            c.error(span, format!("`arrivals.pooling` must be \"world\" (the growth calibrated for the world as one stream, the default) or \"arrivals\" (revision 2: streams' growths weighted by their arrivals), found \"{text}\""));
            None
        }
    };
    let growth_shift = c.number(&t, "growth_shift", Some(0.0), Bound::Between(-0.5, 0.5), "");
    let trend_damping = c.number(
        &t,
        "trend_damping",
        Some(defaults::TREND_DAMPING),
        Bound::Probability,
        "",
    );
    let empty_schedule = DeTable::new();
    let schedule = {
        let s = c.table_or_empty(&t, "age_schedule", "arrivals.age_schedule", &empty_schedule);
        {
            if let Some((path_text, span)) = c.string(&s, "table", None) {
                c.unknown_keys(&s, &["table"]);
                if let Some(v) = t.get("female_share") {
                    c.error(v.span(), "`arrivals.female_share` does not apply when `arrivals.age_schedule.table` gives weights by sex");
                }
                for (region, _) in regions.iter().filter(|(r, _)| r.female_share.is_some()) {
                    c.error(span.clone(), format!("`arrivals.age_schedule.table` gives weights by sex, so region \"{}\" may not set its own `female_share`", region.name));
                }
                let path = c.resolve(&span, &path_text);
                let weights = read_table_for(
                    c,
                    &path,
                    &path_text,
                    span.clone(),
                    "arrivals.age_schedule.table",
                    |w| {
                        if w >= 0.0 {
                            None
                        } else {
                            Some("a weight >= 0")
                        }
                    },
                );
                match weights {
                    Some(w) if !w.iter().flatten().sum::<f64>().is_finite() => {
                        c.error(
                            span,
                            "`arrivals.age_schedule.table`: the weights add up to more than 1.8e308 (overflow); weights are relative, so scale them down (shares or persons)",
                        );
                        None
                    }
                    Some(w) if w.iter().flatten().sum::<f64>() > 0.0 => {
                        Some(AgeSchedule::Table { weights: w, path })
                    }
                    Some(_) => {
                        c.error(
                            span,
                            "`arrivals.age_schedule.table`: the weights sum to zero",
                        );
                        None
                    }
                    None => None,
                }
            } else {
                c.unknown_keys(
                    &s,
                    &[
                        "a1", "alpha1", "a2", "alpha2", "mu2", "lambda2", "c", "table",
                    ],
                );
                let nn = Bound::Between(0.0, 100.0);
                let [d_a1, d_alpha1, d_a2, d_alpha2, d_mu2, d_lambda2, d_c] =
                    ROGERS_CASTRO_DEFAULTS;
                let a1 = c.number(&s, "a1", Some(d_a1), nn, "");
                let alpha1 = c.number(&s, "alpha1", Some(d_alpha1), nn, "");
                let a2 = c.number(&s, "a2", Some(d_a2), nn, "");
                let alpha2 = c.number(&s, "alpha2", Some(d_alpha2), nn, "");
                let mu2 = c.number(&s, "mu2", Some(d_mu2), Bound::Between(0.0, 100.0), "");
                let lambda2 = c.number(&s, "lambda2", Some(d_lambda2), nn, "");
                let constant = c.number(&s, "c", Some(d_c), nn, "");
                match (a1, alpha1, a2, alpha2, mu2, lambda2, constant) {
                    (
                        Some(a1),
                        Some(alpha1),
                        Some(a2),
                        Some(alpha2),
                        Some(mu2),
                        Some(lambda2),
                        Some(cc),
                    ) => {
                        let schedule = AgeSchedule::RogersCastro {
                            a1,
                            alpha1,
                            a2,
                            alpha2,
                            mu2,
                            lambda2,
                            c: cc,
                        };
                        let total: f64 = (0..=crate::model::MAX_AGE)
                            .map(|x| crate::model::arrivals::rogers_castro(&schedule, x as f64))
                            .sum();
                        if total > 0.0 && total.is_finite() {
                            Some(schedule)
                        } else {
                            c.error(s.span(), "`arrivals.age_schedule` gives no arrivals at any age (the schedule sums to zero or overflows)");
                            None
                        }
                    }
                    _ => None,
                }
            }
        }
    };
    let earliest = years.map(|y| y.calibration);
    let changes = check_changes(c, &t, "change", names, origins, earliest);
    let pulses = check_pulses(c, &t, years, names, origins);
    Some(Arrivals {
        female_share: female_share?,
        growth: growth?,
        pooling: pooling?,
        growth_shift: growth_shift?,
        trend_damping: trend_damping?,
        age_schedule: schedule?,
        changes: changes?,
        pulses: pulses?,
    })
}

pub(super) fn check_pulses(
    c: &mut Checker<'_>,
    parent: &Table<'_, '_>,
    years: Option<&Years>,
    regions: &[String],
    origins: &[String],
) -> Option<Vec<Pulse>> {
    let items = c.array_of_tables(parent, "pulse");
    let mut pulses = Vec::new();
    let mut ok = true;
    for (index, entries, span) in items {
        let path = format!("arrivals.pulse[{index}]");
        let t = Table {
            path: &path,
            entries,
            span: (span.start, span.end),
        };
        c.unknown_keys(&t, &["year", "persons", "region", "origin"]);
        let origin = match t.get("origin") {
            None => Some(None),
            Some(v) => c
                .origin_ref(&format!("{path}.origin"), v, origins)
                .map(Some),
        };
        let year = c.integer(&t, "year", None, 1000, 3000, "the year of the pulse");
        let persons = c.number(
            &t,
            "persons",
            None,
            Bound::Between(0.0, 1e12),
            "the extra arrivals that year, persons",
        );
        let region = match t.get("region") {
            Some(v) => c.region_ref(&format!("{path}.region"), v, regions),
            None if regions.len() == 1 => Some(0),
            None => {
                c.missing(
                    &t,
                    "region",
                    "the region the pulse arrives in (the scenario has several)",
                );
                None
            }
        };
        if let (Some(year), Some(years)) = (year, years) {
            if (year as i32) < years.calibration || (year as i32) > years.end {
                let span = t.get("year").map(|v| v.span()).unwrap_or(span.clone());
                c.error(span, format!("`{path}.year` ({year}) must be in the projection period {}..={} (pulses may not alter the calibration period)", years.calibration, years.end));
                ok = false;
                continue;
            }
        }
        match (year, persons, region, origin) {
            (Some(year), Some(persons), Some(region), Some(origin)) => pulses.push(Pulse {
                year: year as i32,
                persons,
                region,
                origin,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(pulses)
}
