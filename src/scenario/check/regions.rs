//! `[origins]` and `[[region]]`: names, stocks in the base and calibration years (by origin group with `[origins]`), female shares, observed stocks.

#[allow(unused_imports)]
use super::*;

/// A table keyed by year that must hold exactly the base and calibration years.
pub(super) fn two_figures(
    c: &mut Checker<'_>,
    t: &Table<'_, '_>,
    key: &str,
    bound: Bound,
    years: Option<&Years>,
    what: &str,
) -> Option<(f64, f64, Range<usize>)> {
    let (points, span) = c.year_table(t, key, bound, Some(what))?;
    let (base, calibration) = base_and_calibration(c, &points, &span, &t.key_path(key), years?)?;
    Some((base, calibration, span))
}

/// The base- and calibration-year figures of `points`, which must hold those two years only.
pub(super) fn base_and_calibration(
    c: &mut Checker<'_>,
    points: &[(i32, f64)],
    span: &Range<usize>,
    path: &str,
    years: &Years,
) -> Option<(f64, f64)> {
    let find = |y: i32| points.iter().find(|p| p.0 == y).map(|p| p.1);
    let (base, calibration) = (find(years.base), find(years.calibration));
    let extra: Vec<String> = points
        .iter()
        .filter(|p| p.0 != years.base && p.0 != years.calibration)
        .map(|p| p.0.to_string())
        .collect();
    if base.is_none() || calibration.is_none() {
        let missing: Vec<String> = [(base, years.base), (calibration, years.calibration)]
            .iter()
            .filter(|(v, _)| v.is_none())
            .map(|(_, y)| y.to_string())
            .collect();
        c.error(span.clone(), format!("`{path}` has no figure for {} (it needs the base year {} and the calibration year {})", missing.join(" and "), years.base, years.calibration));
        return None;
    }
    if !extra.is_empty() {
        c.diagnostics.push(
            Diagnostic::at(span.clone(), format!("`{path}` holds figures for the base and calibration years only, found also {}", list_some(&extra)))
                .with_help("figures for other years are not used in calibration; give observed stocks as `observed = { year = persons }`"),
        );
        return None;
    }
    Some((base?, calibration?))
}

/// `[origins] groups = [...]`: the origin groups, or none.
pub(super) fn check_origins(c: &mut Checker<'_>, root: &Table<'_, '_>) -> Vec<String> {
    let Some(t) = c.table(root, "origins", "origins", None) else {
        return Vec::new();
    };
    c.unknown_keys(&t, &["groups"]);
    let Some(value) = t.get("groups") else {
        c.missing(
            &t,
            "groups",
            "the origin groups, like groups = [\"Low and middle income\", \"High income\"]",
        );
        return Vec::new();
    };
    let DeValue::Array(items) = value.get_ref() else {
        c.error(
            value.span(),
            format!(
                "`origins.groups` must be an array of names, found {}",
                describe(value.get_ref())
            ),
        );
        return Vec::new();
    };
    if items.len() > MAX_ORIGIN_GROUPS {
        c.error(
            value.span(),
            format!(
                "`origins.groups` names at most {MAX_ORIGIN_GROUPS} groups, found {}",
                items.len()
            ),
        );
        return Vec::new();
    }
    let mut groups: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("origins.groups[{i}]");
        let Some(name) = c.string_value(&path, item) else {
            continue;
        };
        if name.trim().is_empty() || name.len() > 100 || name.contains(['\n', '\r', ',', '"']) {
            c.error(item.span(), format!("`{path}` must be a name of 1 to 100 characters without commas, quotes or line breaks, found \"{name}\""));
        } else if name == ALL_ORIGINS {
            c.error(item.span(), format!("`{path}`: \"{ALL_ORIGINS}\" is the label of the sum over groups in every table; name the group otherwise"));
        } else if groups.contains(&name) {
            c.error(
                item.span(),
                format!("`{path}`: the group \"{name}\" is named twice"),
            );
        } else {
            groups.push(name);
        }
    }
    if items.is_empty() {
        c.error(value.span(), "`origins.groups` needs at least one group");
    }
    groups
}

/// `[areas] names = [...]` (MODEL.md section 14): the areas regions are summed into, or none.
pub(super) fn check_areas(c: &mut Checker<'_>, root: &Table<'_, '_>) -> Vec<String> {
    let Some(t) = c.table(root, "areas", "areas", None) else {
        return Vec::new();
    };
    c.unknown_keys(&t, &["names"]);
    let Some(value) = t.get("names") else {
        c.missing(
            &t,
            "names",
            "the areas, like names = [\"Africa\", \"Asia\", \"Europe\"]",
        );
        return Vec::new();
    };
    let DeValue::Array(items) = value.get_ref() else {
        c.error(
            value.span(),
            format!(
                "`areas.names` must be an array of names, found {}",
                describe(value.get_ref())
            ),
        );
        return Vec::new();
    };
    if items.len() > MAX_REGIONS {
        c.error(
            value.span(),
            format!(
                "`areas.names` names at most {MAX_REGIONS} areas, found {}",
                items.len()
            ),
        );
        return Vec::new();
    }
    let mut areas: Vec<String> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("areas.names[{i}]");
        let Some(name) = c.string_value(&path, item) else {
            continue;
        };
        if name.trim().is_empty() || name.len() > 100 || name.contains(['\n', '\r']) {
            c.error(
                item.span(),
                format!(
                    "`{path}` must be a name of 1 to 100 characters on one line, found \"{name}\""
                ),
            );
        } else if name.eq_ignore_ascii_case("world") {
            c.error(
                item.span(),
                format!(
                    "`{path}`: \"{name}\" is the sum over every region; name the area otherwise"
                ),
            );
        } else if areas.contains(&name) {
            c.error(
                item.span(),
                format!("`{path}`: the area \"{name}\" is named twice"),
            );
        } else {
            areas.push(name);
        }
    }
    if items.is_empty() {
        c.error(value.span(), "`areas.names` needs at least one area");
    }
    areas
}

pub(super) fn check_regions(
    c: &mut Checker<'_>,
    root: &Table<'_, '_>,
    years: Option<&Years>,
    origins: &[String],
    areas: &[String],
) -> Vec<(Region, Range<usize>)> {
    if root.get("region").is_none() {
        c.missing(root, "region", "at least one [[region]] with `name` and `stock = { base_year = persons, calibration_year = persons }`");
        return Vec::new();
    }
    let items = c.array_of_tables(root, "region");
    if items.len() > MAX_REGIONS {
        c.error(
            items[MAX_REGIONS].2.clone(),
            format!(
                "a scenario has at most {MAX_REGIONS} regions (every country and area of the UN's tables is about 230); this one has {}",
                items.len()
            ),
        );
        return Vec::new();
    }
    let streams = items.len() * origins.len().max(1);
    if streams > MAX_STREAMS {
        c.error(
            items[0].2.clone(),
            format!(
                "{} regions x {} origin groups make {streams} streams, more than {MAX_STREAMS}; merge regions or origin groups",
                items.len(),
                origins.len()
            ),
        );
        return Vec::new();
    }
    let several = items.len() > 1;
    let mut regions: Vec<(Region, Range<usize>)> = Vec::new();
    let paths: Vec<String> = items
        .iter()
        .map(|(i, _, _)| format!("region[{i}]"))
        .collect();
    for ((_, entries, span), path) in items.iter().zip(&paths) {
        let t = Table {
            path,
            entries,
            span: (span.start, span.end),
        };
        c.unknown_keys(&t, &["name", "stock", "female_share", "observed", "area"]);
        // MODEL.md section 14: every region names an area when [areas] is present, and only then.
        let area = match (t.get("area"), areas.is_empty()) {
            (None, true) => Some(None),
            (Some(v), true) => {
                c.diagnostics.push(
                    Diagnostic::at(
                        v.span(),
                        format!("`{path}.area` names an area, but the scenario has no `[areas]`"),
                    )
                    .with_help("list the areas first: [areas] names = [\"Africa\", ...]"),
                );
                None
            }
            (None, false) => {
                c.missing(
                    &t,
                    "area",
                    "the area the region belongs to (one of `[areas] names`)",
                );
                None
            }
            (Some(v), false) => match c.string_value(&t.key_path("area"), v) {
                Some(name) => match areas.iter().position(|a| *a == name) {
                    Some(i) => Some(Some(i)),
                    None => {
                        let mut d = Diagnostic::at(
                            v.span(),
                            format!("`{path}.area` names no area of `[areas]`: \"{name}\""),
                        );
                        let names: Vec<&str> = areas.iter().map(String::as_str).collect();
                        if let Some(close) = suggest(&name, &names) {
                            d = d.with_help(format!("did you mean \"{close}\"?"));
                        }
                        c.diagnostics.push(d);
                        None
                    }
                },
                None => None,
            },
        };
        let name = c.string(&t, "name", Some("the region's name"));
        if let Some((name, _)) = &name {
            c.declared_regions.push(name.clone());
        }
        let mut stock_by_origin = Vec::new();
        let stock = if origins.is_empty() {
            two_figures(
                c,
                &t,
                "stock",
                Bound::Between(1e-300, 1e11),
                years,
                "the migrant stock in the base and calibration years, persons",
            )
        } else {
            // An origin group may have no migrants in either year (an empty stream, MODEL.md
            // section 12), not in one year only (no growth takes 0 to a stock or back).
            c.year_group_table(
                &t,
                "stock",
                Bound::Between(0.0, 1e11),
                origins,
                "the migrant stock of each origin group in the base and calibration years, persons",
            )
            .and_then(|(by_group, span)| {
                let years = years?;
                let mut ok = true;
                for (g, points) in by_group.iter().enumerate() {
                    let group_path = format!("{path}.stock (group \"{}\")", origins[g]);
                    match base_and_calibration(c, points, &span, &group_path, years) {
                        Some((base, calibration)) if (base == 0.0) != (calibration == 0.0) => {
                            c.diagnostics.push(
                                Diagnostic::at(
                                    span.clone(),
                                    format!(
                                        "`{group_path}` is {base} in {} and {calibration} in {}: a stream with no migrants in one year only cannot be calibrated",
                                        years.base, years.calibration
                                    ),
                                )
                                .with_help("a group with no migrants in both years is an empty stream, which stays empty; merge this region's group into another, or this region into another region"),
                            );
                            ok = false;
                        }
                        Some(pair) => stock_by_origin.push(pair),
                        None => ok = false,
                    }
                }
                let base: f64 = stock_by_origin.iter().map(|p| p.0).sum();
                let calibration: f64 = stock_by_origin.iter().map(|p| p.1).sum();
                if ok && (base == 0.0 || calibration == 0.0) {
                    c.error(
                        span.clone(),
                        format!("`{path}.stock`: the region has no migrants of any group in {}", if base == 0.0 { years.base } else { years.calibration }),
                    );
                    ok = false;
                }
                ok.then_some((base, calibration, span))
            })
        };
        let female_share = match t.get("female_share") {
            Some(v) => c
                .bounded_value(&t.key_path("female_share"), v, Bound::Probability)
                .map(Some),
            None => Some(None),
        };
        let observed = match t.get("observed") {
            Some(_) => c
                .year_table(&t, "observed", Bound::Between(0.0, 1e12), None)
                .map(|(p, _)| p),
            None => Some(Vec::new()),
        };
        let mut name_ok = None;
        if let Some((n, span)) = name {
            if n.trim().is_empty() {
                c.error(span, format!("`{path}.name` must not be empty"));
            } else if regions.iter().any(|(r, _)| r.name == n) {
                c.error(
                    span,
                    format!("`{path}.name`: the region \"{n}\" is named twice"),
                );
            } else if several && n.eq_ignore_ascii_case("world") {
                c.diagnostics.push(
                    Diagnostic::at(span, format!("`{path}.name`: a region may not be called \"{n}\" when there are several"))
                        .with_help("the World rows are the sum over the regions"),
                );
            } else if n.contains(['\n', '\r']) {
                c.error(span, format!("`{path}.name` must be a single line"));
            } else {
                name_ok = Some(n);
            }
        }
        if let (
            Some(name),
            Some((base, calibration, stock_span)),
            Some(female_share),
            Some(observed),
            Some(area),
        ) = (name_ok, stock, female_share, observed, area)
        {
            regions.push((
                Region {
                    name,
                    stock_base_persons: base,
                    stock_calibration_persons: calibration,
                    female_share,
                    observed,
                    stock_by_origin,
                    area,
                },
                stock_span,
            ));
        }
    }
    if items.is_empty() && c.diagnostics.is_empty() {
        c.missing(root, "region", "at least one [[region]]");
    }
    // On any failure an error was recorded, so the scenario will not be built; the regions
    // that did check are still returned for cross-references (changes, pulses, events).
    regions
}
