//! `[uncertainty]`: the Monte Carlo settings of MODEL.md sections 6 and 9 and the events whose probabilities are reported.

#[allow(unused_imports)]
use super::*;

/// Revision 1's `[uncertainty]` keys and what replaced each (MODEL.md section 9, revision 2).
pub(super) const REVISION_1_KEYS: [(&str, &str); 4] = [
    ("growth_sd", "the long-run growth is now `world_growth_sd` (common to every region); a region's own deviation is `region_shock_sd` with `region_ar1`"),
    ("ar1", "use `world_ar1` (the common yearly deviation) and `region_ar1` (each region's own)"),
    ("shock_sd", "use `world_shock_sd` (the common yearly shock) and `region_shock_sd` (each region's own)"),
    ("region_correlation", "regions now share `world_growth_sd`, `world_ar1` and `world_shock_sd` and deviate independently by `region_ar1` and `region_shock_sd`"),
];

/// Revision 2's Student-t keys and what replaced each (MODEL.md section 9, revision 3).
pub(super) const REVISION_2_KEYS: [(&str, &str); 3] = [
    ("world_df", "the uncertainty of the world sds is now `world_sd_rel_se`, their relative standard error (a lognormal scale per trajectory instead of the chi-square's heavy tail)"),
    ("region_df", "the uncertainty of the stream sds is now `region_sd_rel_se`, their relative standard error (a lognormal scale per trajectory instead of the chi-square's heavy tail)"),
    ("remittance_df", "the uncertainty of the remittance sds is now `remittance_sd_rel_se`, their relative standard error (a lognormal scale per trajectory instead of the chi-square's heavy tail)"),
];

pub(super) fn check_uncertainty(
    c: &mut Checker<'_>,
    root: &Table<'_, '_>,
    years: Option<&Years>,
    regions: &[String],
    total: &str,
    origins: &[String],
    comparison: &Option<Vec<ComparisonSeries>>,
) -> Option<Uncertainty> {
    let Some(t) = c.table(root, "uncertainty", "uncertainty", None) else {
        return Some(Uncertainty {
            trajectories: 0,
            seed: 20030701,
            world_growth_sd: 0.0,
            world_ar1: 0.0,
            world_shock_sd: 0.0,
            region_ar1: 0.0,
            region_shock_sd: 0.0,
            departure_sd: 0.0,
            departure_ramp: defaults::DEPARTURE_RAMP,
            remittance_growth_sd: 0.0,
            remittance_shock_sd: 0.0,
            world_sd_rel_se: 0.0,
            region_sd_rel_se: 0.0,
            remittance_sd_rel_se: 0.0,
            events: Vec::new(),
        });
    };
    // Revision 1's keys: refused, naming what replaced them (MODEL.md section 9).
    for (old, replacement) in REVISION_1_KEYS {
        if let Some((key, _)) = t.entries.iter().find(|(k, _)| k.get_ref().as_ref() == old) {
            c.diagnostics.push(
                Diagnostic::at(
                    key.span(),
                    format!("`uncertainty.{old}` is a revision 1 key and no longer exists; {replacement}"),
                )
                .with_help("MODEL.md revision 2, section 9 (docs/MODEL.md); `migproj estimate` writes every key from a history file"),
            );
        }
    }
    for (old, replacement) in REVISION_2_KEYS {
        if let Some((key, _)) = t.entries.iter().find(|(k, _)| k.get_ref().as_ref() == old) {
            c.diagnostics.push(
                Diagnostic::at(
                    key.span(),
                    format!("`uncertainty.{old}` is a revision 2 key and no longer exists; {replacement}"),
                )
                .with_help("MODEL.md revision 3, section 9 (docs/MODEL.md); `migproj estimate` writes every key from a history file"),
            );
        }
    }
    let allowed = [
        "trajectories",
        "seed",
        "world_growth_sd",
        "world_ar1",
        "world_shock_sd",
        "region_ar1",
        "region_shock_sd",
        "departure_sd",
        "departure_ramp",
        "remittance_growth_sd",
        "remittance_shock_sd",
        "world_sd_rel_se",
        "region_sd_rel_se",
        "remittance_sd_rel_se",
        "event",
    ];
    let revision_1: Vec<&str> = REVISION_1_KEYS
        .iter()
        .chain(&REVISION_2_KEYS)
        .map(|(k, _)| *k)
        .collect();
    let known: Vec<&str> = allowed.iter().chain(&revision_1).copied().collect();
    c.unknown_keys_listing(&t, &known, &allowed);
    let sd = Bound::Between(0.0, 1.0);
    let persistence = Bound::Between(-0.999, 0.999);
    let rel_se = Bound::Between(0.0, 10.0);
    let trajectories = c.integer(
        &t,
        "trajectories",
        Some(1000),
        0,
        10_000_000,
        "a number of trajectories",
    );
    let seed = c.integer(&t, "seed", Some(20030701), 0, i64::MAX, "a random seed");
    // Every sd, persistence and df is optional, defaulting to the estimates (section 13).
    let mut optional =
        |key: &str, default: f64, bound: Bound| c.number(&t, key, Some(default), bound, "");
    let world_growth_sd = optional("world_growth_sd", defaults::WORLD_GROWTH_SD, sd);
    let world_ar1 = optional("world_ar1", defaults::WORLD_AR1, persistence);
    let world_shock_sd = optional("world_shock_sd", defaults::WORLD_SHOCK_SD, sd);
    let region_ar1 = optional("region_ar1", defaults::REGION_AR1, persistence);
    let region_shock_sd = optional("region_shock_sd", defaults::REGION_SHOCK_SD, sd);
    let departure_sd = optional(
        "departure_sd",
        defaults::DEPARTURE_SD,
        Bound::Between(0.0, 2.0),
    );
    let departure_ramp = optional(
        "departure_ramp",
        defaults::DEPARTURE_RAMP,
        Bound::Between(0.0, 200.0),
    );
    let remittance_growth_sd = optional("remittance_growth_sd", defaults::REMITTANCE_GROWTH_SD, sd);
    let remittance_shock_sd = optional("remittance_shock_sd", defaults::REMITTANCE_SHOCK_SD, sd);
    let world_sd_rel_se = optional("world_sd_rel_se", defaults::WORLD_SD_REL_SE, rel_se);
    let region_sd_rel_se = optional("region_sd_rel_se", defaults::REGION_SD_REL_SE, rel_se);
    let remittance_sd_rel_se = optional(
        "remittance_sd_rel_se",
        defaults::REMITTANCE_SD_REL_SE,
        rel_se,
    );
    let mut variables: Vec<String> = crate::simulate::CORE_VARIABLES
        .iter()
        .map(|s| s.to_string())
        .collect();
    if let Some(series) = comparison {
        variables.extend(series.iter().map(|s| format!("ratio_to_{}", s.name)));
    }
    let mut events = Vec::new();
    let mut ok = true;
    for (index, entries, span) in c.array_of_tables(&t, "event") {
        let path = format!("uncertainty.event[{index}]");
        let e = Table {
            path: &path,
            entries,
            span: (span.start, span.end),
        };
        c.unknown_keys(
            &e,
            &["variable", "region", "origin", "year", "above", "below"],
        );
        let origin = match e.get("origin") {
            None => Some(None),
            Some(v) => c
                .origin_ref(&format!("{path}.origin"), v, origins)
                .map(Some),
        };
        let variable = c
            .string(
                &e,
                "variable",
                Some("the variable the event is about (stock, remittances_received, ...)"),
            )
            .and_then(|(v, vspan)| {
                if variables.contains(&v) {
                    Some(v)
                } else {
                    let candidates: Vec<&str> = variables.iter().map(String::as_str).collect();
                    let hint = suggest(&v, &candidates)
                        .map(|s| format!("; did you mean \"{s}\"?"))
                        .unwrap_or_default();
                    c.error(
                        vspan,
                        format!(
                            "`{path}.variable` must be one of {}, found \"{v}\"{hint}",
                            variables.join(", ")
                        ),
                    );
                    None
                }
            });
        let region = match e.get("region") {
            None => Some(None),
            Some(v) => {
                let world_alias = matches!(v.get_ref(), DeValue::String(s) if s.as_ref() == total)
                    && regions.len() > 1;
                if world_alias {
                    Some(None)
                } else {
                    c.region_ref(&format!("{path}.region"), v, regions)
                        .map(Some)
                }
            }
        };
        let year = c.integer(&e, "year", None, 1000, 3000, "the year of the event");
        if let (Some(y), Some(years)) = (year, years) {
            if (y as i32) < years.base || (y as i32) > years.end {
                c.error(
                    e.get("year").map(|v| v.span()).unwrap_or(span.clone()),
                    format!(
                        "`{path}.year` ({y}) is outside the projection {}..={}",
                        years.base, years.end
                    ),
                );
                ok = false;
            }
        }
        let threshold = match (e.get("above"), e.get("below")) {
            (Some(v), None) => c
                .number_value(&format!("{path}.above"), v)
                .map(|x| (Threshold::Above, x)),
            (None, Some(v)) => c
                .number_value(&format!("{path}.below"), v)
                .map(|x| (Threshold::Below, x)),
            (Some(_), Some(v)) => {
                c.error(
                    v.span(),
                    format!("`{path}` takes `above` or `below`, not both"),
                );
                None
            }
            (None, None) => {
                c.missing(
                    &e,
                    "above",
                    "the threshold, as `above = value` or `below = value`",
                );
                None
            }
        };
        match (variable, region, origin, year, threshold) {
            (Some(variable), Some(region), Some(origin), Some(year), Some((threshold, value))) => {
                events.push(Event {
                    variable,
                    region,
                    origin,
                    year: year as i32,
                    threshold,
                    value,
                })
            }
            _ => ok = false,
        }
    }
    Some(Uncertainty {
        trajectories: trajectories? as usize,
        seed: seed? as u64,
        world_growth_sd: world_growth_sd?,
        world_ar1: world_ar1?,
        world_shock_sd: world_shock_sd?,
        region_ar1: region_ar1?,
        region_shock_sd: region_shock_sd?,
        departure_sd: departure_sd?,
        departure_ramp: departure_ramp?,
        remittance_growth_sd: remittance_growth_sd?,
        remittance_shock_sd: remittance_shock_sd?,
        world_sd_rel_se: world_sd_rel_se?,
        region_sd_rel_se: region_sd_rel_se?,
        remittance_sd_rel_se: remittance_sd_rel_se?,
        events: if ok { events } else { return None },
    })
}
