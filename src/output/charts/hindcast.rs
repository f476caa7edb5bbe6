//! The hindcast chart: each scored variable and region against the observations.

#[allow(unused_imports)]
use super::*;

/// Most panels a hindcast chart draws (variables x regions, in order of first appearance).
pub const HINDCAST_PANELS: usize = 12;

pub(crate) fn unit_for(variable: &str, max_raw: f64) -> Unit {
    if variable.starts_with("remittances") || variable == "fees" {
        dollars_unit(max_raw)
    } else if variable == "share_of_world" {
        Unit {
            divisor: 0.01,
            words: "per cent of world population",
        }
    } else if variable.starts_with("ratio_to_") || variable == "female_share" {
        Unit {
            divisor: 1.0,
            words: "ratio",
        }
    } else if variable == "median_age" {
        Unit {
            divisor: 1.0,
            words: "years",
        }
    } else {
        persons_unit(max_raw)
    }
}

/// The hindcast chart: one panel per variable and region observed (up to
/// [`HINDCAST_PANELS`]), each from the calibration year to the last observation, with the fan
/// and the observed points (filled when the 80% interval covers them, hollow when not).
/// `from_year` is the calibration year of the scenario (where the fan opens).
pub fn hindcast_charts(
    tables: &RunTables,
    scored: &[crate::hindcast::Scored],
    from_year: i32,
) -> Vec<Chart> {
    let mut keys: Vec<(String, String)> = Vec::new();
    for s in scored {
        let key = (s.observation.variable.clone(), s.observation.region.clone());
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    if keys.is_empty() {
        return Vec::new();
    }
    let shown = keys.len().min(HINDCAST_PANELS);
    let first_year = from_year.max(*tables.years.first().unwrap_or(&0));
    let last_observed = scored
        .iter()
        .map(|s| s.observation.year)
        .max()
        .unwrap_or(first_year);
    let last_year = last_observed.max(first_year + 1);
    let in_span: Vec<usize> = (0..tables.years.len())
        .filter(|&t| tables.years[t] >= first_year && tables.years[t] <= last_year)
        .collect();
    let x: Vec<f64> = in_span
        .iter()
        .map(|&t| f64::from(tables.years[t]))
        .collect();
    let mut panels = Vec::new();
    let mut any_covered = false;
    let mut any_missed = false;
    for (variable, entity) in keys.iter().take(shown) {
        let points: Vec<&crate::hindcast::Scored> = scored
            .iter()
            .filter(|s| &s.observation.region == entity && &s.observation.variable == variable)
            .collect();
        let pick = |values: &[f64]| -> Vec<f64> { in_span.iter().map(|&t| values[t]).collect() };
        let fan = tables.fan(entity, variable);
        let series = tables.series(entity, variable);
        let max_raw = finite_max(
            points
                .iter()
                .map(|s| s.observation.value.max(s.quantiles.p97_5))
                .chain(fan.map(|f| pick(&f.p97_5)).into_iter().flatten())
                .chain(series.map(|v| pick(v)).into_iter().flatten()),
        );
        let unit = unit_for(variable, max_raw);
        let scale = |v: Vec<f64>| -> Vec<f64> { v.iter().map(|x| x / unit.divisor).collect() };
        let mut layers = Vec::new();
        if let Some(f) = fan {
            let quantiles = [&f.p2_5, &f.p10, &f.p50, &f.p90, &f.p97_5].map(|q| scale(pick(q)));
            layers.extend(fan_bands(&x, quantiles, palette::BLUE));
        } else if let Some(v) = series {
            layers.push(Layer::Line {
                points: x.iter().copied().zip(scale(pick(v))).collect(),
                color: palette::BLUE,
                width: 3,
                dashed: false,
            });
        }
        let (mut covered, mut missed) = (Vec::new(), Vec::new());
        for s in &points {
            let point = (
                f64::from(s.observation.year),
                s.observation.value / unit.divisor,
            );
            if s.in_80 {
                covered.push(point)
            } else {
                missed.push(point)
            }
        }
        any_covered |= !covered.is_empty();
        any_missed |= !missed.is_empty();
        for (list, filled) in [(covered, true), (missed, false)] {
            if !list.is_empty() {
                layers.push(Layer::Points {
                    points: list,
                    color: palette::VERMILLION,
                    filled,
                });
            }
        }
        let top = y_top(max_raw / unit.divisor);
        panels.push(Panel {
            title: Some(format!("{}, {entity}", variable.replace('_', " "))),
            x_range: (f64::from(first_year), f64::from(last_year)),
            y_range: (0.0, top),
            x_desc: if shown > 1 {
                String::new()
            } else {
                "year (mid-year)".into()
            },
            y_desc: unit.words.to_string(),
            x_ticks: Ticks::Year,
            y_ticks: Ticks::for_range(top),
            y_log: false,
            layers,
        });
    }
    let mut legend = if tables.fans.is_some() {
        let [band_80, band_95] = band_legend(palette::BLUE);
        vec![
            LegendItem {
                label: "median".into(),
                key: LegendKey::Line {
                    color: palette::BLUE,
                    dashed: false,
                },
            },
            band_80,
            band_95,
        ]
    } else {
        vec![LegendItem {
            label: "deterministic projection".into(),
            key: LegendKey::Line {
                color: palette::BLUE,
                dashed: false,
            },
        }]
    };
    if any_covered {
        legend.push(LegendItem {
            label: "observed, inside the 80% interval".into(),
            key: LegendKey::Point {
                color: palette::VERMILLION,
                filled: true,
            },
        });
    }
    if any_missed {
        legend.push(LegendItem {
            label: "observed, outside it".into(),
            key: LegendKey::Point {
                color: palette::VERMILLION,
                filled: false,
            },
        });
    }
    let more = if keys.len() > shown {
        format!("; {} more in hindcast.csv", keys.len() - shown)
    } else {
        String::new()
    };
    let columns = match shown {
        1 => 1,
        2 | 4 => 2,
        _ => 3,
    };
    vec![Chart {
        file_stem: "hindcast".into(),
        title: "Hindcast: the projection against observations it did not use".into(),
        subtitle: subtitle(
            tables,
            &format!(
                "{first_year}-{last_year}, {} variable-region pair{}{more}",
                keys.len(),
                if keys.len() == 1 { "" } else { "s" }
            ),
        ),
        footer: footer(tables),
        columns,
        panels,
        legend,
    }]
}
