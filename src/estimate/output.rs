//! What `migproj estimate` writes: the parameter table, the statistics (observed and fitted),
//! the TOML fragment a scenario can paste or extend, a plain statement in Markdown, and the
//! chart of fitted against observed statistics. Formatting only: the numbers come from
//! [`super::estimate`].

use super::{Estimate, PanelStatistics};
use crate::error::Result;
use crate::output::charts::draw::{palette, Chart, Layer, LegendItem, LegendKey, Panel, Ticks};
use crate::output::number;
use crate::output::tables::CsvBuffer;

/// The `data_revision` column of estimate's tables: the histories it read, by file stem
/// (a history file has no revision of its own; its rows cite their sources).
pub fn data_revision(estimate: &Estimate) -> String {
    let mut names: Vec<&str> = estimate.panels.iter().map(|p| p.name.as_str()).collect();
    if let Some((history, _)) = &estimate.remittances {
        names.push(history.name.as_str());
    }
    if let Some((receipts, _)) = &estimate.damping {
        names.push(receipts.name.as_str());
    }
    format!("history: {}", names.join(" + "))
}

/// estimate.csv: scenario (the output name), parameter, estimate, standard_error, status,
/// basis, data_revision (the histories).
pub fn parameters_csv(estimate: &Estimate, name: &str) -> Result<Vec<u8>> {
    let mut csv = CsvBuffer::framed(
        "estimate.csv",
        name,
        &data_revision(estimate),
        &["parameter", "estimate", "standard_error", "status", "basis"],
    )?;
    for p in &estimate.parameters {
        csv.row(&[
            p.key.to_string(),
            number(p.value),
            p.standard_error
                .map(|se| number(super::significant(se)))
                .unwrap_or_default(),
            p.status.to_string(),
            p.basis.clone(),
        ])?;
    }
    csv.into_bytes()
}

/// The statistics as `(panel, name, observed, fitted, unit)`.
pub fn statistic_rows(estimate: &Estimate) -> Vec<(String, &'static str, f64, f64, &'static str)> {
    let mut rows = Vec::new();
    for (i, panel) in estimate.panels.iter().enumerate() {
        let (o, f): (&PanelStatistics, &PanelStatistics) =
            (&estimate.fit.observed[i], &estimate.fit.fitted[i]);
        rows.push((
            panel.name.clone(),
            "world_sd",
            o.world_sd,
            f.world_sd,
            "per year",
        ));
        rows.push((
            panel.name.clone(),
            "region_spread",
            o.region_spread,
            f.region_spread,
            "per year",
        ));
        rows.push((
            panel.name.clone(),
            "persistence",
            o.persistence,
            f.persistence,
            "slope",
        ));
    }
    if let Some((history, r)) = &estimate.remittances {
        rows.push((
            history.name.clone(),
            "remittance_yearly_growth_sd",
            r.shock_sd,
            r.shock_sd,
            "per year",
        ));
        rows.push((
            history.name.clone(),
            "remittance_autocorrelation",
            r.autocorrelation,
            0.0,
            "correlation",
        ));
    }
    rows
}

/// statistics.csv: scenario (the output name), history, statistic, observed, fitted, unit,
/// data_revision.
pub fn statistics_csv(estimate: &Estimate, name: &str) -> Result<Vec<u8>> {
    let mut csv = CsvBuffer::framed(
        "statistics.csv",
        name,
        &data_revision(estimate),
        &["history", "statistic", "observed", "fitted", "unit"],
    )?;
    for (panel, name, observed, fitted, unit) in statistic_rows(estimate) {
        csv.row(&[
            panel,
            name.to_string(),
            number(super::significant(observed)),
            number(super::significant(fitted)),
            unit.to_string(),
        ])?;
    }
    csv.into_bytes()
}

/// The TOML fragment: `[arrivals] trend_damping` and the `[uncertainty]` keys.
pub fn fragment_toml(estimate: &Estimate, command: &str) -> String {
    let mut text = format!(
        "# Written by `{command}`\n# (MODEL.md section 13; estimate.csv has the standard errors and what each matches).\n# Paste into a scenario, or keep as a file that a scenario's values override.\n"
    );
    let mut section = "";
    for p in &estimate.parameters {
        let (table, key) = p.key.split_once('.').unwrap_or(("", p.key));
        if table != section {
            text += &format!("\n[{table}]\n");
            section = table;
        }
        let note = match (p.status, p.standard_error) {
            ("assumption", _) => "assumption".to_string(),
            (status, Some(se)) => format!("{status}, se {}", number(super::significant(se))),
            (status, None) => status.to_string(),
        };
        text += &format!("{key} = {:?}   # {note}\n", p.value);
    }
    text
}

/// estimate.md: the estimates and, in plain words, what the history cannot tell.
pub fn statement_md(estimate: &Estimate, command: &str) -> String {
    let mut md = format!(
        "# Estimate of arrival growth and remittance uncertainty\n\nCommand: `{command}`\n\n"
    );
    md += "Histories (only figures up to the calibration year were read):\n\n";
    for p in &estimate.panels {
        md += &format!(
            "- {}: {} regions, years {}{}{}\n",
            p.name,
            p.regions.len(),
            p.years
                .iter()
                .map(|y| y.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            if p.dropped_after_until > 0 {
                format!(" ({} later rows left out)", p.dropped_after_until)
            } else {
                String::new()
            },
            if p.left_out.is_empty() {
                String::new()
            } else {
                format!(
                    "; {} regions left out (a zero stock or a year missing): {}",
                    p.left_out.len(),
                    p.left_out.join("; ")
                )
            }
        );
    }
    if let Some((h, r)) = &estimate.remittances {
        md += &format!(
            "- {}: {}-{}, {} yearly growth rates (mean {:.4} per year)\n",
            h.name,
            h.years[0],
            h.years[h.years.len() - 1],
            r.n,
            r.mean_growth
        );
    }
    md += &format!(
        "\nMethod of simulated moments: {} simulated histories per panel (common random numbers), \
Nelder-Mead; standard errors from a parametric bootstrap of {} replicates ({} used), seed {}.\n\n",
        estimate.options.simulations,
        estimate.options.bootstrap,
        estimate.bootstrap_used,
        estimate.options.seed
    );
    md += "| parameter | estimate | standard error | status | basis |\n|---|---|---|---|---|\n";
    for p in &estimate.parameters {
        md += &format!(
            "| `{}` | {} | {} | {} | {} |\n",
            p.key,
            number(p.value),
            p.standard_error
                .map(|se| number(super::significant(se)))
                .unwrap_or_else(|| "-".into()),
            p.status,
            p.basis
        );
    }
    md += "\n| history | statistic | observed | fitted |\n|---|---|---|---|\n";
    for (panel, name, observed, fitted, _) in statistic_rows(estimate) {
        md += &format!(
            "| {panel} | {name} | {} | {} |\n",
            number(super::significant(observed)),
            number(super::significant(fitted))
        );
    }
    let world_periods: usize = estimate.panels.iter().map(|p| p.years.len() - 1).sum();
    md += &format!(
        "\n## What this history cannot identify\n\n\
- `world_ar1`: the world's growth is seen over {world_periods} periods in all; whether a world \
deviation lasts one year or ten cannot be told from so few. It is set to the regions' \
persistence.\n\
- `departure_sd` and `departure_ramp`: stocks alone cannot tell fewer departures from more \
arrivals; both are assumptions (docs/model.md gives the reasons).\n\
- The long-run level of growth: a history of {world_periods} periods says where growth has been, \
not where it will go; `world_growth_sd` is the spread of a decade's mean around the long run \
under the fitted process, and `world_sd_rel_se` carries how uncertain that spread itself is.\n"
    );
    if let Some((_, r)) = &estimate.remittances {
        md += &format!(
            "- Remittances: recorded receipts also grow when more economies report and recording \
improves; the history cannot separate that from growth of the money sent. The lag-1 \
autocorrelation of yearly growth is {:.2} (the model assumes 0).\n",
            r.autocorrelation
        );
    }
    if let Some((receipts, fit)) = &estimate.damping {
        md += &format!(
            "- The damping of the amount's growth (`remittances.growth_damping`, psi {}): from {} \
receiving countries of {} reporting in both end years of two consecutive decades ({} pairs), \
weighted by receipts; the decade-to-decade slope {} is that of an AR(1) with yearly \
persistence psi. Unweighted, the slope is {}: small economies whose receipts multiplied from \
almost nothing revert hardest. The standard error ({}) resamples countries.\n",
            super::significant(fit.psi),
            fit.countries,
            receipts.name,
            fit.pairs,
            super::significant(fit.slope),
            super::significant(fit.unweighted_slope),
            super::significant(fit.standard_error),
        );
    }
    md
}

/// The chart of fitted against observed statistics: one panel per statistic, one point per
/// history, and the line where fitted equals observed.
pub fn chart(estimate: &Estimate, footer: String) -> Chart {
    let rows = statistic_rows(estimate);
    let mut panels = Vec::new();
    let mut names: Vec<(&str, &str, f64)> = vec![
        ("world_sd", "sd of the world's period growth", 100.0),
        ("region_spread", "spread of regions around the world", 100.0),
        ("persistence", "persistence of a region's deviation", 1.0),
    ];
    let mut histories: Vec<String> = estimate.panels.iter().map(|p| p.name.clone()).collect();
    // The remittance statistics too (issue 22 item 10): the yearly growth sd (the model takes
    // it as observed) and the autocorrelation (the model's shocks have none).
    if let Some((history, _)) = &estimate.remittances {
        names.push((
            "remittance_yearly_growth_sd",
            "sd of remittances' yearly growth",
            100.0,
        ));
        names.push((
            "remittance_autocorrelation",
            "autocorrelation of remittances' growth",
            1.0,
        ));
        histories.push(history.name.clone());
    }
    for (name, title, factor) in names {
        let points: Vec<(usize, f64, f64)> = rows
            .iter()
            .filter(|r| r.1 == name)
            .map(|r| {
                let h = histories.iter().position(|h| *h == r.0).unwrap_or(0);
                (h, r.2 * factor, r.3 * factor)
            })
            .collect();
        let max = points
            .iter()
            .flat_map(|p| [p.1, p.2])
            .fold(0.0f64, f64::max)
            .max(1e-9)
            * 1.25;
        let min = points
            .iter()
            .flat_map(|p| [p.1, p.2])
            .fold(0.0f64, f64::min);
        let mut layers = vec![Layer::Line {
            points: vec![(min, min), (max, max)],
            color: palette::GREY,
            width: 2,
            dashed: true,
        }];
        for (h, observed, fitted) in &points {
            layers.push(Layer::Points {
                points: vec![(*observed, *fitted)],
                color: palette::CATEGORIES[h % palette::CATEGORIES.len()],
                filled: true,
            });
        }
        let unit = match name {
            _ if factor == 100.0 => "percentage points per year",
            "remittance_autocorrelation" => "correlation",
            _ => "slope per period",
        };
        panels.push(Panel {
            title: Some(title.to_string()),
            x_range: (min, max),
            y_range: (min, max),
            x_desc: format!("observed ({unit})"),
            y_desc: format!("fitted ({unit})"),
            x_ticks: Ticks::for_range(max - min),
            y_ticks: Ticks::for_range(max - min),
            y_log: false,
            layers,
        });
    }
    let mut legend: Vec<LegendItem> = histories
        .iter()
        .enumerate()
        .map(|(h, name)| LegendItem {
            label: name.clone(),
            key: LegendKey::Point {
                color: palette::CATEGORIES[h % palette::CATEGORIES.len()],
                filled: true,
            },
        })
        .collect();
    legend.push(LegendItem {
        label: "fitted = observed".into(),
        key: LegendKey::Line {
            color: palette::GREY,
            dashed: true,
        },
    });
    Chart {
        file_stem: "estimate".into(),
        title: "Simulated-moments fit: the model's statistics against the history's".into(),
        subtitle:
            "Each point is one history file; on the dashed line the model reproduces it exactly"
                .into(),
        footer,
        columns: 3,
        panels,
        legend,
    }
}
