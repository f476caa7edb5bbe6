//! Charts of the migrant stock: fans by region (`stock`), the share of world population (`share`) and the regional stack (`regions`).

#[allow(unused_imports)]
use super::*;

/// Most regions a chart shows: beyond them a chart of hundreds of regions says nothing.
pub(crate) const MAX_CHART_REGIONS: usize = 7;

/// The regions of a run (not the World) a chart shows: all when there are at most
/// [`MAX_CHART_REGIONS`], else the largest by stock in the last year, in the run's order.
/// Returns them and the number of regions in all.
pub(crate) fn chart_regions(tables: &RunTables) -> (Vec<String>, usize) {
    let world = tables.world().to_string();
    // With areas (MODEL.md section 14) the regional charts draw the areas.
    let regions: Vec<String> = if tables.areas.is_empty() {
        tables
            .entities
            .iter()
            .filter(|e| **e != world)
            .cloned()
            .collect()
    } else {
        tables.areas.clone()
    };
    let total = regions.len();
    if total <= MAX_CHART_REGIONS {
        return (regions, total);
    }
    let last = |r: &String| {
        tables
            .series(r, "stock")
            .and_then(|v| v.last().copied())
            .unwrap_or(0.0)
    };
    let mut by_size: Vec<&String> = regions.iter().collect();
    by_size.sort_by(|a, b| last(b).total_cmp(&last(a)));
    let keep: Vec<&String> = by_size[..MAX_CHART_REGIONS].to_vec();
    (
        regions
            .iter()
            .filter(|r| keep.contains(r))
            .cloned()
            .collect(),
        total,
    )
}

/// "; the 7 largest of 400 regions (all in projection.csv)", or nothing.
pub(crate) fn regions_note(shown: usize, total: usize) -> String {
    if shown < total {
        format!("; the {shown} largest of {total} regions (all in projection.csv)")
    } else {
        String::new()
    }
}

/// The unit of persons that fits the World's deterministic stock.
fn world_stock_unit(tables: &RunTables) -> Unit {
    persons_unit(finite_max(
        tables
            .series(tables.world(), "stock")
            .into_iter()
            .flatten()
            .copied(),
    ))
}

pub(crate) fn stock_chart(tables: &RunTables) -> Chart {
    let (entities, note) = panel_entities(tables);
    let unit = world_stock_unit(tables);
    let mut any_calibration = false;
    let mut any_observed = false;
    let panels: Vec<Panel> = entities
        .iter()
        .map(|entity| {
            let (mut layers, max) = fan_layers(tables, entity, "stock", unit, 1.0, palette::BLUE);
            let (markers, marker_max, calibration, observed) =
                marker_layers(tables, entity, "stock", unit);
            any_calibration |= calibration;
            any_observed |= observed;
            layers.extend(markers);
            let title = (entities.len() > 1).then(|| entity.clone());
            time_panel(
                tables,
                title,
                unit.words.to_string(),
                layers,
                max.max(marker_max),
            )
        })
        .collect();
    let mut legend = fan_legend(tables, palette::BLUE, "migrant stock");
    legend.extend(marker_legend(
        any_calibration,
        any_observed.then_some("observed"),
    ));
    let columns = grid_columns(panels.len());
    Chart {
        file_stem: "stock".into(),
        title: "International migrant stock".into(),
        subtitle: subtitle(
            tables,
            &format!("migrants at mid-year by destination{note}"),
        ),
        footer: footer(tables),
        columns,
        panels,
        legend,
    }
}

/// The migrant stock of some regions, a fan each: the charts of each area's largest regions
/// (MODEL.md section 14) and of the regions `plot --regions` names.
fn regions_stock_chart(
    tables: &RunTables,
    regions: &[String],
    file_stem: String,
    title: String,
    note: &str,
) -> Chart {
    let max_raw = regions
        .iter()
        .map(|r| {
            let mut m = finite_max(tables.series(r, "stock").into_iter().flatten().copied());
            if let Some(fan) = tables.fan(r, "stock") {
                m = m.max(finite_max(fan.p90.iter().copied()));
            }
            m
        })
        .fold(0.0, f64::max);
    let unit = persons_unit(max_raw);
    let mut any_observed = false;
    let panels: Vec<Panel> = regions
        .iter()
        .map(|region| {
            let (mut layers, max) = fan_layers(tables, region, "stock", unit, 1.0, palette::BLUE);
            let (markers, marker_max, _, observed) = marker_layers(tables, region, "stock", unit);
            any_observed |= observed;
            layers.extend(markers);
            time_panel(
                tables,
                Some(region.clone()),
                unit.words.to_string(),
                layers,
                max.max(marker_max),
            )
        })
        .collect();
    let mut legend = fan_legend(tables, palette::BLUE, "migrant stock");
    legend.extend(marker_legend(true, any_observed.then_some("observed")));
    Chart {
        file_stem,
        title,
        subtitle: subtitle(
            tables,
            &format!("migrants at mid-year by destination{note}"),
        ),
        footer: footer(tables),
        columns: grid_columns(panels.len()),
        panels,
        legend,
    }
}

/// A file-name-safe form of an area's name: "Latin America and the Caribbean" ->
/// "latin-america-and-the-caribbean".
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// With areas: for each area, a chart of its largest regions (at most
/// [`MAX_CHART_REGIONS`] by stock in the last year, in the scenario's order), named
/// `regions_<area>`.
pub(crate) fn area_region_charts(tables: &RunTables) -> Vec<Chart> {
    let last = |r: &String| {
        tables
            .series(r, "stock")
            .and_then(|v| v.last().copied())
            .unwrap_or(0.0)
    };
    tables
        .meta
        .areas
        .iter()
        .filter(|(_, regions)| !regions.is_empty())
        .map(|(area, regions)| {
            let regions: Vec<String> = regions
                .iter()
                .filter(|r| tables.series(r, "stock").is_some())
                .cloned()
                .collect();
            let mut by_size: Vec<&String> = regions.iter().collect();
            by_size.sort_by(|a, b| last(b).total_cmp(&last(a)));
            by_size.truncate(MAX_CHART_REGIONS);
            let shown: Vec<String> = regions
                .iter()
                .filter(|r| by_size.contains(r))
                .cloned()
                .collect();
            let title = if shown.len() < regions.len() {
                format!(
                    "Migrant stock in {area}: its {} largest regions",
                    shown.len()
                )
            } else {
                format!("Migrant stock in {area}, by region")
            };
            let note = regions_note(shown.len(), regions.len());
            regions_stock_chart(
                tables,
                &shown,
                format!("regions_{}", slug(area)),
                title,
                &note,
            )
        })
        .collect()
}

/// `plot --regions`: the migrant stock of the named regions or areas, `stock_selected`; a
/// name the run does not have is an error with the closest one.
pub fn selected_regions_chart(tables: &RunTables, names: &[String]) -> Result<Chart> {
    let known: Vec<&str> = tables.entities.iter().map(String::as_str).collect();
    for name in names {
        if !known.contains(&name.as_str()) {
            let hint = crate::error::suggest_index(name, &known)
                .map(|i| format!("; did you mean \"{}\"?", known[i]))
                .unwrap_or_default();
            return Err(Error::InputPlain(format!(
                "error: --regions: the run has no region or area \"{}\"{hint}",
                crate::error::clip(name, 80)
            )));
        }
    }
    if names.is_empty() || names.len() > 4 * MAX_CHART_REGIONS {
        return Err(Error::InputPlain(format!(
            "error: --regions names 1 to {} regions or areas, found {}",
            4 * MAX_CHART_REGIONS,
            names.len()
        )));
    }
    Ok(regions_stock_chart(
        tables,
        names,
        "stock_selected".into(),
        "International migrant stock, selected regions".into(),
        "",
    ))
}

pub(crate) fn share_chart(tables: &RunTables) -> Chart {
    let world = tables.world().to_string();
    let unit = Unit {
        divisor: 1.0,
        words: "per cent of world population",
    };
    let (layers, max) = fan_layers(tables, &world, "share_of_world", unit, 100.0, palette::BLUE);
    Chart {
        file_stem: "share".into(),
        // A total that is not the world's says whose migrants it counts (issue 22 item 4).
        title: if world == crate::scenario::DEFAULT_TOTAL {
            "Migrants as a share of world population".into()
        } else {
            format!("Migrants of {world} as a share of world population")
        },
        subtitle: subtitle(
            tables,
            &if world == crate::scenario::DEFAULT_TOTAL {
                "international migrants per 100 people in the world".to_string()
            } else {
                format!("international migrants in {world} per 100 people in the world")
            },
        ),
        footer: footer(tables),
        columns: 1,
        panels: vec![time_panel(tables, None, unit.words.into(), layers, max)],
        legend: fan_legend(tables, palette::BLUE, "share of world population"),
    }
}

pub(crate) fn regions_chart(tables: &RunTables) -> Option<Chart> {
    if tables.entities.len() < 3 {
        return None;
    }
    let world = tables.world().to_string();
    let (shown, n_regions) = chart_regions(tables);
    // The regions not shown are stacked together as one.
    let mut regions: Vec<String> = shown.clone();
    // With areas the candidates are the areas (they add up to the World); else the regions.
    let candidates: Vec<&String> = if tables.areas.is_empty() {
        tables.entities.iter().filter(|e| **e != world).collect()
    } else {
        tables.areas.iter().collect()
    };
    let others: Vec<&String> = candidates
        .into_iter()
        .filter(|e| !shown.contains(e))
        .collect();
    let other_label = format!(
        "{} other {}",
        others.len(),
        if tables.areas.is_empty() {
            "regions"
        } else {
            "areas"
        }
    );
    let mut other_sum = vec![0.0; tables.years.len()];
    for r in &others {
        if let Some(v) = tables.series(r, "stock") {
            for (sum, x) in other_sum.iter_mut().zip(v) {
                *sum += x;
            }
        }
    }
    if !others.is_empty() {
        regions.push(other_label.clone());
    }
    let unit = world_stock_unit(tables);
    let series: Vec<(Vec<f64>, RGBColor)> = regions
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let values = if *r == other_label {
                Some(&other_sum)
            } else {
                tables.series(r, "stock")
            };
            let color = if *r == other_label {
                palette::GREY
            } else {
                palette::CATEGORIES[i % palette::CATEGORIES.len()]
            };
            values.map(|v| (scaled(v, unit, 1.0), color))
        })
        .collect();
    let legend = regions
        .iter()
        .enumerate()
        .map(|(i, r)| LegendItem {
            label: r.to_string(),
            key: LegendKey::Band {
                color: if *r == other_label {
                    palette::GREY
                } else {
                    palette::CATEGORIES[i % palette::CATEGORIES.len()]
                },
                opacity: 0.85,
            },
        })
        .collect();
    let total = finite_max(
        tables
            .series(&world, "stock")
            .into_iter()
            .flatten()
            .copied(),
    ) / unit.divisor;
    Some(Chart {
        file_stem: "regions".into(),
        title: "Migrant stock by destination region".into(),
        subtitle: format!(
            "{}: stacked; deterministic projection{}",
            tables.meta.scenario_title,
            if n_regions > shown.len() {
                format!(
                    "; the {} largest of {n_regions} regions, the others together",
                    shown.len()
                )
            } else {
                String::new()
            }
        ),
        footer: footer(tables),
        columns: 1,
        panels: vec![time_panel(
            tables,
            None,
            unit.words.into(),
            vec![Layer::Stack {
                x: years_x(tables),
                series,
            }],
            total,
        )],
        legend,
    })
}
