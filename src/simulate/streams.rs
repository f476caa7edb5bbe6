//! Origin groups and streams (MODEL.md section 12). A *stream* is one (region, origin group)
//! pair; each is seeded, calibrated and projected exactly as a region is, so the engine runs
//! on an *engine scenario* whose regions are the streams (region-major: stream
//! `s = r * groups + o`). Without `[origins]` there is one implicit group and the engine
//! scenario is the scenario itself. The output *entities* are sums of streams: every region
//! and the World (origin `All`) first, in the order of revision 1, then each region's groups
//! and the World's groups.

use crate::calibrate::RemittanceGroup;
use crate::scenario::{Change, Pulse, Region, Scenario, ALL_ORIGINS};

/// How the streams map to regions and groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub n_regions: usize,
    pub n_groups: usize,
    /// The scenario has `[origins]`.
    pub origin_mode: bool,
}

impl Layout {
    pub fn of(scenario: &Scenario) -> Self {
        Layout {
            n_regions: scenario.regions.len(),
            n_groups: scenario.n_groups(),
            origin_mode: !scenario.origins.is_empty(),
        }
    }

    pub fn n_streams(&self) -> usize {
        self.n_regions * self.n_groups
    }

    pub fn stream(&self, region: usize, group: usize) -> usize {
        region * self.n_groups + group
    }

    pub fn group_of(&self, stream: usize) -> usize {
        stream % self.n_groups
    }
}

/// One row group of the output tables: a region (or the World) and an origin group (or
/// `All`), and the streams it sums.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub region: String,
    pub origin: String,
    /// `None` for `All`.
    pub group: Option<usize>,
    pub streams: Vec<usize>,
    /// The `level` column of every table: `world` (the world total, or the only region, for
    /// any origin), `area` (an area of MODEL.md section 14, any origin), `region` (a region,
    /// all origins) or `origin` (a region and origin group). Summing the `region` rows, or the
    /// `origin` rows by origin, gives the `world` rows; so does summing the `area` rows.
    pub level: &'static str,
}

/// The `level` of a row of region `region_is_world` and origin group `group`.
pub fn level_of(region_is_world: bool, group: Option<usize>) -> &'static str {
    match (region_is_world, group) {
        (true, _) => "world",
        (false, None) => "region",
        (false, Some(_)) => "origin",
    }
}

/// Every entity, in output order: regions then World (`All`), then each region's groups and
/// the World's groups (with `[origins]` only). The World appears when there are several
/// regions.
pub fn entities(scenario: &Scenario) -> Vec<Entity> {
    let layout = Layout::of(scenario);
    let world = layout.n_regions > 1;
    let mut out = Vec::new();
    for (r, region) in scenario.regions.iter().enumerate() {
        out.push(Entity {
            region: region.name.clone(),
            origin: ALL_ORIGINS.into(),
            group: None,
            streams: (0..layout.n_groups).map(|o| layout.stream(r, o)).collect(),
            level: level_of(!world, None),
        });
    }
    // Areas (MODEL.md section 14): each the sum of its regions' streams, between the
    // regions and the World.
    let area_regions = |a: usize| -> Vec<usize> {
        (0..layout.n_regions)
            .filter(|&r| scenario.regions[r].area == Some(a))
            .collect()
    };
    for (a, area) in scenario.areas.iter().enumerate() {
        out.push(Entity {
            region: area.clone(),
            origin: ALL_ORIGINS.into(),
            group: None,
            streams: area_regions(a)
                .into_iter()
                .flat_map(|r| (0..layout.n_groups).map(move |o| layout.stream(r, o)))
                .collect(),
            level: "area",
        });
    }
    if world {
        out.push(Entity {
            region: scenario.total.clone(),
            origin: ALL_ORIGINS.into(),
            group: None,
            streams: (0..layout.n_streams()).collect(),
            level: "world",
        });
    }
    if layout.origin_mode {
        for (r, region) in scenario.regions.iter().enumerate() {
            for (o, origin) in scenario.origins.iter().enumerate() {
                out.push(Entity {
                    region: region.name.clone(),
                    origin: origin.clone(),
                    group: Some(o),
                    streams: vec![layout.stream(r, o)],
                    level: level_of(!world, Some(o)),
                });
            }
        }
        for (a, area) in scenario.areas.iter().enumerate() {
            for (o, origin) in scenario.origins.iter().enumerate() {
                out.push(Entity {
                    region: area.clone(),
                    origin: origin.clone(),
                    group: Some(o),
                    streams: area_regions(a)
                        .into_iter()
                        .map(|r| layout.stream(r, o))
                        .collect(),
                    level: "area",
                });
            }
        }
        if world {
            for (o, origin) in scenario.origins.iter().enumerate() {
                out.push(Entity {
                    region: scenario.total.clone(),
                    origin: origin.clone(),
                    group: Some(o),
                    streams: (0..layout.n_regions).map(|r| layout.stream(r, o)).collect(),
                    level: "world",
                });
            }
        }
    }
    out
}

/// The index of the entity of `region` (None: the World, or the only region) and `origin`
/// (None: All).
pub fn entity_index(
    scenario: &Scenario,
    region: Option<usize>,
    origin: Option<usize>,
) -> Option<usize> {
    let entities = entities(scenario);
    let region_name = match region {
        Some(r) if r >= scenario.regions.len() => {
            scenario.areas[r - scenario.regions.len()].clone()
        }
        Some(r) => scenario.regions[r].name.clone(),
        None if scenario.regions.len() > 1 => scenario.total.clone(),
        None => scenario.regions[0].name.clone(),
    };
    let origin_name = match origin {
        Some(o) => scenario.origins[o].clone(),
        None => ALL_ORIGINS.to_string(),
    };
    entities
        .iter()
        .position(|e| e.region == region_name && e.origin == origin_name)
}

/// The remittance groups of the calibration: one per origin group, or one of every region.
pub fn remittance_groups(scenario: &Scenario) -> Vec<RemittanceGroup> {
    let layout = Layout::of(scenario);
    if !layout.origin_mode {
        return vec![RemittanceGroup {
            streams: (0..layout.n_regions).collect(),
            received: Some((
                scenario.remittances.received_base_usd,
                scenario.remittances.received_calibration_usd,
            )),
        }];
    }
    (0..layout.n_groups)
        .map(|o| RemittanceGroup {
            streams: (0..layout.n_regions).map(|r| layout.stream(r, o)).collect(),
            received: scenario
                .remittances
                .received_by_origin
                .get(o)
                .copied()
                .flatten(),
        })
        .collect()
}

/// Streams a change applies to: `None` when it applies to every stream.
fn change_streams(layout: &Layout, change: &Change) -> Option<Vec<usize>> {
    if change.region.is_none() && change.origin.is_none() {
        return None;
    }
    Some(
        (0..layout.n_regions)
            .filter(|r| change.region.is_none_or(|x| x == *r))
            .flat_map(|r| {
                (0..layout.n_groups)
                    .filter(|o| change.origin.is_none_or(|x| x == *o))
                    .map(move |o| (r, o))
            })
            .map(|(r, o)| layout.stream(r, o))
            .collect(),
    )
}

fn split_changes(layout: &Layout, changes: &[Change]) -> Vec<Change> {
    changes
        .iter()
        .flat_map(|c| match change_streams(layout, c) {
            None => vec![c.clone()],
            Some(streams) => streams
                .into_iter()
                .map(|s| Change {
                    region: Some(s),
                    origin: None,
                    ..c.clone()
                })
                .collect(),
        })
        .collect()
}

/// The engine scenario: one region per stream (the scenario itself without `[origins]`).
/// A pulse that names no origin group is split over the region's groups in proportion to
/// their calibration-year stocks.
pub fn engine_scenario(scenario: &Scenario) -> Scenario {
    let layout = Layout::of(scenario);
    if !layout.origin_mode {
        return scenario.clone();
    }
    let mut engine = scenario.clone();
    engine.origins = Vec::new();
    engine.areas = Vec::new();
    engine.regions = scenario
        .regions
        .iter()
        .flat_map(|region| {
            scenario.origins.iter().zip(&region.stock_by_origin).map(
                move |(origin, &(base, calibration))| Region {
                    name: format!("{} / {origin}", region.name),
                    stock_base_persons: base,
                    stock_calibration_persons: calibration,
                    female_share: region.female_share,
                    observed: Vec::new(),
                    stock_by_origin: Vec::new(),
                    area: None,
                },
            )
        })
        .collect();
    engine.departure.changes = split_changes(&layout, &scenario.departure.changes);
    engine.arrivals.changes = split_changes(&layout, &scenario.arrivals.changes);
    engine.arrivals.pulses = scenario
        .arrivals
        .pulses
        .iter()
        .flat_map(|p| {
            let region = &scenario.regions[p.region];
            match p.origin {
                Some(o) => vec![Pulse {
                    region: layout.stream(p.region, o),
                    origin: None,
                    ..p.clone()
                }],
                None => {
                    let total: f64 = region.stock_by_origin.iter().map(|s| s.1).sum();
                    (0..layout.n_groups)
                        .map(|o| Pulse {
                            region: layout.stream(p.region, o),
                            origin: None,
                            persons: p.persons * region.stock_by_origin[o].1 / total,
                            ..p.clone()
                        })
                        .collect()
                }
            }
        })
        .collect();
    engine.spans.region_stock = scenario
        .spans
        .region_stock
        .iter()
        .flat_map(|span| std::iter::repeat_n(span.clone(), layout.n_groups))
        .collect();
    engine
}
