//! Charts of the stock's make-up: components of change, the age-sex pyramid and the duration of stay.

#[allow(unused_imports)]
use super::*;

pub(crate) fn components_chart(tables: &RunTables) -> Chart {
    let world = tables.world().to_string();
    let max_raw = ["arrivals", "deaths", "departures"]
        .iter()
        .map(|v| {
            let fan_max = tables
                .fan(&world, v)
                .map(|f| finite_max(f.p90.iter().copied()))
                .unwrap_or(0.0);
            finite_max(tables.series(&world, v).into_iter().flatten().copied()).max(fan_max)
        })
        .fold(0.0, f64::max);
    let unit = persons_unit(max_raw);
    let x = years_x(tables);
    let mut layers = Vec::new();
    let mut legend = Vec::new();
    for (variable, label, color) in [
        ("arrivals", "arrivals", palette::BLUE),
        (
            "departures",
            "departures (return or onward)",
            palette::GREEN,
        ),
        ("deaths", "deaths", palette::VERMILLION),
    ] {
        if let Some(fan) = tables.fan(&world, variable) {
            layers.push(Layer::Band {
                x: x.clone(),
                lower: scaled(&fan.p10, unit, 1.0),
                upper: scaled(&fan.p90, unit, 1.0),
                color,
                opacity: 0.25,
            });
        }
        if let Some(values) = tables.series(&world, variable) {
            layers.push(Layer::Line {
                points: x.iter().copied().zip(scaled(values, unit, 1.0)).collect(),
                color,
                width: 3,
                dashed: false,
            });
        }
        legend.push(LegendItem {
            label: label.into(),
            key: LegendKey::Line {
                color,
                dashed: false,
            },
        });
    }
    if tables.fans.is_some() {
        legend.push(LegendItem {
            label: "80% intervals (shaded in each line's colour)".into(),
            key: LegendKey::Band {
                color: palette::BLUE,
                opacity: 0.3,
            },
        });
    }
    let spread = if tables.fans.is_some() {
        "deterministic lines with 80% intervals"
    } else {
        "deterministic projection"
    };
    Chart {
        file_stem: "components".into(),
        title: "Components of change of the migrant stock".into(),
        subtitle: format!(
            "{}: arrivals, deaths and departures per year; {spread}",
            tables.meta.scenario_title
        ),
        footer: footer(tables),
        columns: 1,
        panels: vec![time_panel(
            tables,
            None,
            format!("{} per year", unit.words),
            layers,
            max_raw / unit.divisor,
        )],
        legend,
    }
}

pub(crate) fn pyramid_chart(tables: &RunTables) -> Chart {
    let world = tables.world().to_string();
    let first = *tables.years.first().unwrap_or(&0);
    let last = *tables.years.last().unwrap_or(&0);
    let mut years: Vec<i32> = vec![first];
    if let Some(cal) = tables
        .markers
        .iter()
        .filter(|m| m.variable == "stock" && !m.observed)
        .map(|m| m.year)
        .max()
    {
        if cal != first && tables.structure_years.contains(&cal) {
            years.push(cal);
        }
    }
    if !years.contains(&last) && tables.structure_years.contains(&last) {
        years.push(last);
    }
    let groups = crate::model::AGE_GROUPS;
    let value = |year: i32, sex: &str, group: usize| {
        tables
            .pyramid
            .get(&(world.clone(), year, sex.to_string(), group))
            .copied()
            .unwrap_or(0.0)
    };
    let max_raw = years
        .iter()
        .flat_map(|&y| (0..groups).flat_map(move |g| [value(y, "female", g), value(y, "male", g)]))
        .fold(0.0, f64::max);
    // Millions as soon as a five-year group reaches 100,000 persons (a total of about a million).
    let unit = persons_unit(max_raw * 10.0);
    let colors = [palette::GREY, palette::ORANGE, palette::BLUE];
    let mut layers = Vec::new();
    let mut legend = Vec::new();
    for (i, &year) in years.iter().enumerate() {
        let color = colors[i % colors.len()];
        for (sex, sign) in [("female", 1.0), ("male", -1.0)] {
            let mut points = vec![(0.0, 0.0)];
            for g in 0..groups {
                let v = sign * value(year, sex, g) / unit.divisor;
                let (lo, hi) = (5.0 * g as f64, 5.0 * (g + 1) as f64);
                points.push((v, lo));
                points.push((v, hi));
            }
            points.push((0.0, 5.0 * groups as f64));
            if i + 1 == years.len() {
                layers.push(Layer::Polygon {
                    points: points.clone(),
                    color,
                    opacity: 0.25,
                });
            }
            layers.push(Layer::Line {
                points,
                color,
                width: 3,
                dashed: false,
            });
        }
        legend.push(LegendItem {
            label: year.to_string(),
            key: LegendKey::Line {
                color,
                dashed: false,
            },
        });
    }
    let top = y_top(max_raw / unit.divisor);
    let x_ticks = match Ticks::for_range(top) {
        Ticks::Decimals(d) => Ticks::AbsoluteDecimals(d),
        other => other,
    };
    Chart {
        file_stem: "pyramid".into(),
        title: "Age and sex of international migrants".into(),
        subtitle: format!("{}: {world}, men on the left, women on the right, by five-year age group; deterministic projection", tables.meta.scenario_title),
        footer: footer(tables),
        columns: 1,
        panels: vec![Panel {
            title: None,
            x_range: (-top, top),
            y_range: (0.0, 5.0 * groups as f64),
            x_desc: format!("men  <  {} per five-year age group  >  women", unit.words),
            y_desc: "age (years)".into(),
            x_ticks,
            y_ticks: Ticks::Decimals(0),
            y_log: false,
            layers,
        }],
        legend,
    }
}

pub(crate) fn duration_chart(tables: &RunTables) -> Chart {
    let world = tables.world().to_string();
    let colors = [
        palette::BLUE,
        palette::SKY_BLUE,
        palette::ORANGE,
        palette::VERMILLION,
    ];
    let series: Vec<(Vec<f64>, RGBColor, String)> = tables
        .duration_groups
        .iter()
        .enumerate()
        .filter_map(|(i, g)| {
            tables
                .duration
                .get(&(world.clone(), g.clone()))
                .map(|v| (v.clone(), colors[i % colors.len()], g.clone()))
        })
        .collect();
    let totals: Vec<f64> = (0..tables.years.len())
        .map(|t| {
            series
                .iter()
                .map(|(v, _, _)| v.get(t).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    let unit = persons_unit(finite_max(totals.iter().copied()));
    let legend = series
        .iter()
        .map(|(_, color, g)| LegendItem {
            label: format!("{g} years in the destination"),
            key: LegendKey::Band {
                color: *color,
                opacity: 0.85,
            },
        })
        .collect();
    let layers = vec![Layer::Stack {
        x: years_x(tables),
        series: series
            .iter()
            .map(|(v, c, _)| (scaled(v, unit, 1.0), *c))
            .collect(),
    }];
    Chart {
        file_stem: "duration".into(),
        title: "Migrant stock by duration of stay".into(),
        subtitle: format!(
            "{}: {world}, stacked by years since arrival; deterministic projection",
            tables.meta.scenario_title
        ),
        footer: footer(tables),
        columns: 1,
        panels: vec![time_panel(
            tables,
            None,
            unit.words.into(),
            layers,
            finite_max(totals.iter().copied()) / unit.divisor,
        )],
        legend,
    }
}
