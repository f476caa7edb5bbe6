//! Charts of remittances: received with the comparison series (`remittances`), ratios to them (`remittances_ratio`) and each origin group against its series (`origin_<series>`).

#[allow(unused_imports)]
use super::*;

pub(crate) fn remittances_chart(tables: &RunTables) -> Chart {
    let world = tables.world().to_string();
    let mut max_raw = finite_max(
        tables
            .series(&world, "remittances_received")
            .into_iter()
            .flatten()
            .copied(),
    );
    if let Some(fan) = tables.fan(&world, "remittances_received") {
        max_raw = max_raw.max(finite_max(fan.p97_5.iter().copied()));
    }
    let unit = dollars_unit(max_raw);
    let (mut layers, mut max) = fan_layers(
        tables,
        &world,
        "remittances_received",
        unit,
        1.0,
        palette::BLUE,
    );
    let mut legend = fan_legend(tables, palette::BLUE, "remittances received");
    let x = years_x(tables);
    for (i, (name, values)) in tables.comparison.iter().enumerate() {
        let color = [palette::ORANGE, palette::GREEN, palette::PURPLE][i % 3];
        let values = scaled(values, unit, 1.0);
        max = max.max(finite_max(values.iter().copied()));
        layers.push(Layer::Line {
            points: x.iter().copied().zip(values).collect(),
            color,
            width: 3,
            dashed: false,
        });
        legend.push(LegendItem {
            label: comparison_label(tables, name),
            key: LegendKey::Line {
                color,
                dashed: false,
            },
        });
    }
    let (markers, marker_max, calibration, _) =
        marker_layers(tables, &world, "remittances_received", unit);
    layers.extend(markers);
    legend.extend(marker_legend(calibration, None));
    // A logarithmic axis (issue 22 item 8): the 97.5% tail of the amount's random walk runs
    // to ten times the median by 2050, which on a linear axis squashed 1990-2030 and the aid
    // line to the floor; on a log axis equal ratios are equal heights.
    let range = log_range(&layers, max.max(marker_max));
    Chart {
        file_stem: "remittances".into(),
        title: "Remittances received at origin".into(),
        subtitle: subtitle(tables, "after transfer costs, current US dollars"),
        footer: footer(tables),
        columns: 1,
        panels: vec![dollars_log_panel(tables, unit, layers, range)],
        legend,
    }
}

/// The range of a logarithmic axis of dollars: from 0.7 x the smallest positive figure drawn
/// to 1.3 x the largest, at least a decade.
fn log_range(layers: &[Layer], max: f64) -> (f64, f64) {
    let low = smallest_positive(layers);
    let low = if low.is_finite() { low * 0.7 } else { 1e-3 };
    (low, (max * 1.3).max(low * 10.0))
}

/// A panel of dollars by year on a logarithmic axis over `range`.
fn dollars_log_panel(
    tables: &RunTables,
    unit: Unit,
    layers: Vec<Layer>,
    range: (f64, f64),
) -> Panel {
    Panel {
        title: None,
        x_range: x_range(tables),
        y_range: range,
        x_desc: "year (mid-year)".into(),
        y_desc: format!("{}, log scale", unit.words),
        x_ticks: Ticks::Year,
        y_ticks: Ticks::Significant,
        y_log: true,
        layers,
    }
}

/// A comparison series in words: what it is and what it does after its last figure.
pub(crate) fn comparison_label(tables: &RunTables, name: &str) -> String {
    let (origin, after) = comparison_origin(tables, name);
    let what = match name {
        "oda" => "official development assistance".to_string(),
        other => other.replace('_', " "),
    };
    let after = if after.is_empty() || after == "flat" {
        "held flat after its last figure".to_string()
    } else {
        format!(
            "continued at {} a year after its last figure",
            after.trim_start_matches("growth ")
        )
    };
    match origin {
        Some(group) => format!("{what} to {group} ({after})"),
        None => format!("{what} ({after})"),
    }
}

/// The origin group a series is compared with (None: every origin) and its continuation.
pub(crate) fn comparison_origin(tables: &RunTables, name: &str) -> (Option<String>, String) {
    match tables.comparison_origin.iter().find(|c| c.0 == name) {
        Some((_, origin, after)) => (
            (!origin.is_empty() && origin != crate::scenario::ALL_ORIGINS).then(|| origin.clone()),
            after.clone(),
        ),
        None => (None, String::new()),
    }
}

/// "receipts of all origins / oda" or "receipts of Low and middle income / oda".
pub(crate) fn ratio_label(tables: &RunTables, name: &str) -> String {
    let whose = comparison_origin(tables, name)
        .0
        .unwrap_or_else(|| "all origins".to_string());
    format!(
        "remittances received by {whose} / {}",
        name.replace('_', " ")
    )
}

/// For each comparison series that names an origin group: that group's receipts (fan, the
/// 1990-2000 history as observed points, the calibration figures) against the series, with
/// the first year the receipts exceed it marked.
pub(crate) fn origin_charts(tables: &RunTables) -> Vec<Chart> {
    let world = tables.world().to_string();
    let mut charts = Vec::new();
    for (name, values) in &tables.comparison {
        let Some(group) = comparison_origin(tables, name).0 else {
            continue;
        };
        let key = data::group_key(&world, &group);
        let Some(receipts) = tables.series(&key, "remittances_received") else {
            continue;
        };
        let mut max_raw =
            finite_max(receipts.iter().copied()).max(finite_max(values.iter().copied()));
        if let Some(fan) = tables.fan(&key, "remittances_received") {
            max_raw = max_raw.max(finite_max(fan.p90.iter().copied()));
        }
        let unit = dollars_unit(max_raw);
        let (mut layers, mut max) = fan_layers(
            tables,
            &key,
            "remittances_received",
            unit,
            1.0,
            palette::BLUE,
        );
        let mut legend = fan_legend(tables, palette::BLUE, &format!("received by {group}"));
        let x = years_x(tables);
        let series = scaled(values, unit, 1.0);
        max = max.max(finite_max(series.iter().copied()));
        layers.push(Layer::Line {
            points: x.iter().copied().zip(series.iter().copied()).collect(),
            color: palette::ORANGE,
            width: 3,
            dashed: false,
        });
        legend.push(LegendItem {
            label: comparison_label(tables, name),
            key: LegendKey::Line {
                color: palette::ORANGE,
                dashed: false,
            },
        });
        let (markers, marker_max, calibration, observed) =
            marker_layers(tables, &key, "remittances_received", unit);
        layers.extend(markers);
        legend.extend(marker_legend(
            calibration,
            observed.then_some("recorded receipts (history)"),
        ));
        max = max.max(marker_max);
        // The first year the projected receipts exceed the series, after one below it.
        let crossing = (1..receipts.len())
            .find(|&t| receipts[t] > values[t] && receipts[t - 1] <= values[t - 1])
            .map(|t| tables.years[t]);
        // A logarithmic axis: receipts grow by orders of magnitude over the horizon, and the
        // crossing in the calibration period must stay visible.
        let (low, top) = log_range(&layers, max);
        if let Some(year) = crossing {
            layers.push(Layer::Line {
                points: vec![(f64::from(year), low), (f64::from(year), top)],
                color: palette::GREY,
                width: 2,
                dashed: true,
            });
            legend.push(LegendItem {
                label: format!("receipts first exceed it: {year}"),
                key: LegendKey::Line {
                    color: palette::GREY,
                    dashed: true,
                },
            });
        }
        let what = if name == "oda" {
            "the official aid they receive".to_string()
        } else {
            name.replace('_', " ")
        };
        charts.push(Chart {
            file_stem: format!("origin_{name}"),
            title: format!(
                "Remittances to {} countries and {what}",
                group.to_lowercase()
            ),
            subtitle: subtitle(tables, "received after transfer costs, current US dollars"),
            footer: footer(tables),
            columns: 1,
            panels: vec![dollars_log_panel(tables, unit, layers, (low, top))],
            legend,
        });
    }
    charts
}

pub(crate) fn ratio_chart(tables: &RunTables) -> Chart {
    let world = tables.world().to_string();
    let unit = Unit {
        divisor: 1.0,
        words: "",
    };
    let mut layers = Vec::new();
    let mut legend = Vec::new();
    let mut max: f64 = 1.0;
    for (i, (name, _)) in tables.comparison.iter().enumerate() {
        let color = [palette::BLUE, palette::GREEN, palette::PURPLE][i % 3];
        let variable = format!("ratio_to_{name}");
        let (fan, fan_max) = fan_layers(tables, &world, &variable, unit, 1.0, color);
        layers.extend(fan);
        max = max.max(fan_max);
        if i == 0 {
            legend.extend(fan_legend(tables, color, &ratio_label(tables, name)));
        } else {
            legend.push(LegendItem {
                label: ratio_label(tables, name),
                key: LegendKey::Line {
                    color,
                    dashed: false,
                },
            });
        }
    }
    let (start, end) = x_range(tables);
    layers.push(Layer::Line {
        points: vec![(start, 1.0), (end, 1.0)],
        color: palette::GREY,
        width: 2,
        dashed: true,
    });
    legend.push(LegendItem {
        label: "remittances equal to the series (ratio 1)".into(),
        key: LegendKey::Line {
            color: palette::GREY,
            dashed: true,
        },
    });
    Chart {
        file_stem: "remittances_ratio".into(),
        title: "Remittances received relative to the comparison series".into(),
        subtitle: subtitle(tables, "whose receipts over which series: see the legend"),
        footer: footer(tables),
        columns: 1,
        panels: vec![log_panel(
            tables,
            "ratio (remittances / comparison series), log scale".into(),
            layers,
            max,
        )],
        legend,
    }
}

/// Remittances received by each origin group whose receipts are modelled (two groups or
/// more): one fan per group, with its calibration figures, for a corridor ("migrants from the
/// Philippines against the rest") as for income groups.
pub(crate) fn origin_groups_chart(tables: &RunTables) -> Option<Chart> {
    let world = tables.world().to_string();
    let groups: Vec<(String, String)> = tables
        .origin_entities
        .iter()
        .filter(|(_, region, _)| *region == world)
        .filter(|(key, _, _)| {
            tables
                .series(key, "remittances_received")
                .is_some_and(|s| s.iter().any(|v| *v > 0.0))
        })
        .map(|(key, _, origin)| (key.clone(), origin.clone()))
        .collect();
    if groups.len() < 2 {
        return None;
    }
    let panels: Vec<Panel> = groups
        .iter()
        .map(|(key, origin)| {
            let mut max_raw = finite_max(
                tables
                    .series(key, "remittances_received")
                    .into_iter()
                    .flatten()
                    .copied(),
            );
            if let Some(fan) = tables.fan(key, "remittances_received") {
                max_raw = max_raw.max(finite_max(fan.p90.iter().copied()));
            }
            let unit = dollars_unit(max_raw);
            let (mut layers, mut max) = fan_layers(
                tables,
                key,
                "remittances_received",
                unit,
                1.0,
                palette::BLUE,
            );
            let (markers, marker_max, _, _) =
                marker_layers(tables, key, "remittances_received", unit);
            layers.extend(markers);
            max = max.max(marker_max);
            time_panel(
                tables,
                Some(format!("from {origin}")),
                unit.words.to_string(),
                layers,
                max,
            )
        })
        .collect();
    let mut legend = fan_legend(tables, palette::BLUE, "remittances received");
    legend.extend(marker_legend(true, None));
    Some(Chart {
        file_stem: "remittances_origins".into(),
        title: "Remittances received, by the migrants' origin".into(),
        subtitle: subtitle(
            tables,
            "received by the countries of origin of each group, after transfer costs, current US dollars",
        ),
        footer: footer(tables),
        columns: grid_columns(panels.len()),
        panels,
        legend,
    })
}

/// Remittances sent from each destination region (several regions only): the regional view
/// of the flows `remittances` shows for the world, as small multiples of fans.
pub(crate) fn regional_remittances_chart(tables: &RunTables) -> Option<Chart> {
    if tables.entities.len() < 3 {
        return None;
    }
    let world = tables.world().to_string();
    let (entities, note) = panel_entities(tables);
    let unit = dollars_unit(finite_max(
        tables
            .series(&world, "remittances_sent")
            .into_iter()
            .flatten()
            .copied(),
    ));
    let panels: Vec<Panel> = entities
        .iter()
        .map(|entity| {
            let (layers, max) = fan_layers(
                tables,
                entity,
                "remittances_sent",
                unit,
                1.0,
                palette::GREEN,
            );
            time_panel(
                tables,
                Some(entity.clone()),
                unit.words.to_string(),
                layers,
                max,
            )
        })
        .collect();
    let columns = grid_columns(panels.len());
    Some(Chart {
        file_stem: "remittances_regions".into(),
        title: "Remittances sent, by destination region".into(),
        subtitle: subtitle(
            tables,
            &format!(
                "sent by the migrants in each region, before transfer costs, current US dollars{note}"
            ),
        ),
        footer: footer(tables),
        columns,
        panels,
        legend: fan_legend(tables, palette::GREEN, "remittances sent"),
    })
}
