//! Scenario files: `check` turns TOML text (parsed with spans) into a [`Scenario`] that can
//! hold only valid values (probabilities in 0..=1, years in order, regions named once), or
//! into every problem in the file at once, each located. MODEL.md section 10 is the format.

mod check;
pub mod csv_table;
pub mod defaults;
pub mod template;

use std::ops::Range;
use std::path::{Path, PathBuf};

pub use check::{check_scenario, check_scenario_text};

use crate::error::{Error, Result, SourceFile, SourceSet};
use crate::model::{AGE_GROUPS, MAX_AGE};

/// A growth rate that is either a number per year or the calibrated trend continued.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Growth {
    Calibrated,
    Fixed(f64),
}

/// One `[[region]]`: its two stock figures and its own options.
#[derive(Debug, Clone, PartialEq)]
pub struct Region {
    pub name: String,
    pub stock_base_persons: f64,
    pub stock_calibration_persons: f64,
    /// Female share of arrivals for this region; `None` uses `arrivals.female_share`.
    pub female_share: Option<f64>,
    /// Observed stocks `(year, persons)`, drawn on charts, never used in calibration.
    pub observed: Vec<(i32, f64)>,
    /// With `[origins]`: the two stock figures `(base, calibration)` of each origin group, in
    /// the order of `Scenario::origins` (MODEL.md section 12); empty without.
    pub stock_by_origin: Vec<(f64, f64)>,
    /// With `[areas]`: the index of the region's area in `Scenario::areas` (MODEL.md section
    /// 14); `None` without.
    pub area: Option<usize>,
}

/// Mortality: Gompertz-Makeham solved to life expectancy (MODEL.md section 2), or a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Mortality {
    GompertzMakeham {
        makeham: f64,
        gompertz_slope: f64,
        e0_female: f64,
        e0_male: f64,
        improvement_per_year: f64,
    },
    /// q by single age 0..=MAX_AGE, `[sex][age]` with sex 0 = female, 1 = male.
    Table { q: [Vec<f64>; 2], path: PathBuf },
}

/// A multiplier in force from a year on, for one region or all.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub from_year: i32,
    pub multiplier: f64,
    /// Index into `Scenario::regions`; `None` means every region.
    pub region: Option<usize>,
    /// Index into `Scenario::origins`; `None` means every origin group.
    pub origin: Option<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Departure {
    pub initial: f64,
    pub long_run: f64,
    pub decay: f64,
    pub changes: Vec<Change>,
}

/// The default Rogers-Castro parameters of MODEL.md section 4:
/// `[a1, alpha1, a2, alpha2, mu2, lambda2, c]`.
pub const ROGERS_CASTRO_DEFAULTS: [f64; 7] = [0.04, 0.10, 0.06, 0.10, 22.0, 0.40, 0.003];

/// The age-sex schedule of arrivals (MODEL.md section 4).
#[derive(Debug, Clone, PartialEq)]
pub enum AgeSchedule {
    RogersCastro {
        a1: f64,
        alpha1: f64,
        a2: f64,
        alpha2: f64,
        mu2: f64,
        lambda2: f64,
        c: f64,
    },
    /// Weights by `[sex][age]` (sex 0 = female), normalized to sum to 1 over both sexes.
    Table {
        weights: [Vec<f64>; 2],
        path: PathBuf,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pulse {
    pub year: i32,
    pub persons: f64,
    pub region: usize,
    /// Index into `Scenario::origins`; `None` (with origin groups) splits the persons over the
    /// region's groups in proportion to their calibration-year stocks.
    pub origin: Option<usize>,
}

/// How the common trend `gbar` of MODEL.md section 6 is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pooling {
    /// Revision 3 (the default): the growth calibrated for the world as one stream.
    World,
    /// Revision 2: the streams' `g_hat` weighted by their calibration-year trend arrivals.
    Arrivals,
}

impl Pooling {
    pub fn key(self) -> &'static str {
        match self {
            Pooling::World => "world",
            Pooling::Arrivals => "arrivals",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Arrivals {
    pub female_share: f64,
    pub growth: Growth,
    /// `arrivals.pooling`: how `gbar` is found (MODEL.md section 6, revision 3).
    pub pooling: Pooling,
    /// Added to the growth after the calibration year (high and low variants: +/- 0.01).
    pub growth_shift: f64,
    /// `phi` of MODEL.md section 6: how much of a region's own calibrated trend survives each
    /// year after the calibration year (1 keeps it for ever, 0 moves to the pooled trend).
    pub trend_damping: f64,
    pub age_schedule: AgeSchedule,
    pub changes: Vec<Change>,
    pub pulses: Vec<Pulse>,
}

/// Propensity to remit by duration of stay (MODEL.md section 7).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Propensity {
    Constant {
        value: f64,
    },
    Exponential {
        initial: f64,
        long_run: f64,
        decay: f64,
    },
    Hump {
        peak: f64,
        peak_duration: f64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Remittances {
    pub received_base_usd: f64,
    pub received_calibration_usd: f64,
    /// Ages that remit, both ends included.
    pub age_range: (usize, usize),
    pub propensity: Propensity,
    /// Cost points `(year, share of the amount sent)`, sorted by year; empty means no cost.
    pub cost: Vec<(f64, f64)>,
    pub growth: Growth,
    /// `psi` of MODEL.md section 7 (revision 3): how much of an origin group's own calibrated
    /// amount growth survives each year after the calibration year (1 keeps it for ever, 0
    /// moves every group to the amount growth calibrated for all groups together).
    pub growth_damping: f64,
    /// With `[origins]`: each group's two receipt figures, or `None` for a group whose
    /// remittances are not modelled (MODEL.md section 12); empty without. The totals above
    /// are then the sums over the modelled groups.
    pub received_by_origin: Vec<Option<(f64, f64)>>,
    /// With `[origins]`: observed receipts by group `(year, usd)`, drawn on charts only.
    pub observed_by_origin: Vec<Vec<(i32, f64)>>,
}

/// A comparison series (official aid, say): name and `(year, value)` points, sorted.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonSeries {
    pub name: String,
    pub points: Vec<(f64, f64)>,
    /// After the last point: `None` flat, `Some(g)` continued at log growth g per year.
    pub after: Option<f64>,
    /// The origin group whose receipts the series is compared with; `None`: every origin.
    pub origin: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    Above,
    Below,
}

/// An event whose probability the Monte Carlo reports: `variable` of `region` in `year`
/// above or below a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub variable: String,
    /// `None` is the World (the sum over regions); an index past the regions' is an area
    /// (`region - regions.len()` into `Scenario::areas`).
    pub region: Option<usize>,
    /// `None`: every origin group (the region's total).
    pub origin: Option<usize>,
    pub year: i32,
    pub threshold: Threshold,
    pub value: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Uncertainty {
    pub trajectories: usize,
    pub seed: u64,
    /// sd of the common long-run arrival growth `gbar_k` (per year).
    pub world_growth_sd: f64,
    /// AR(1) persistence and yearly shock sd of the common deviation `w`.
    pub world_ar1: f64,
    pub world_shock_sd: f64,
    /// AR(1) persistence and yearly shock sd of each stream's own deviation `v`.
    pub region_ar1: f64,
    pub region_shock_sd: f64,
    /// sd of the log departure multiplier, reached after `departure_ramp` years.
    pub departure_sd: f64,
    pub departure_ramp: f64,
    pub remittance_growth_sd: f64,
    pub remittance_shock_sd: f64,
    /// Relative standard errors `se / sd` of each group of sds (world, stream, remittance):
    /// each trajectory draws the group's scale from a lognormal with mean 1 and this
    /// coefficient of variation (MODEL.md section 9, revision 3); 0: the sds are taken as known.
    pub world_sd_rel_se: f64,
    pub region_sd_rel_se: f64,
    pub remittance_sd_rel_se: f64,
    pub events: Vec<Event>,
}

/// Thresholds of the plausibility warnings (`[warnings]`): crossing one is reported on
/// `run` and `check` and in warnings.csv, never refused.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WarningThresholds {
    /// Median or 97.5% bound of the world migrant share of world population above this.
    pub share_of_world: f64,
    /// A region's median stock above this multiple of its calibration-year stock.
    pub stock_growth: f64,
    /// A region's median stock below this fraction of its calibration-year stock.
    pub stock_decline: f64,
    /// The 95% interval of the world stock or remittances received spanning more than this
    /// factor (97.5% bound / 2.5% bound).
    pub band_ratio: f64,
}

impl Default for WarningThresholds {
    fn default() -> Self {
        WarningThresholds {
            share_of_world: 0.10,
            stock_growth: 4.0,
            stock_decline: 0.25,
            band_ratio: 10.0,
        }
    }
}

/// Where some keys stand in the file, for errors found after checking (calibration).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeySpans {
    pub region_stock: Vec<Range<usize>>,
    pub life_expectancy: Option<Range<usize>>,
    pub remittances_received: Option<Range<usize>>,
    /// `remittances.propensity` and `remittances.age_range`, when given (what makes migrants
    /// remit, for "no migrant remits").
    pub remittances_propensity: Option<Range<usize>>,
    pub remittances_age_range: Option<Range<usize>>,
}

/// A checked scenario: every value in range, every reference resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    pub name: String,
    /// Origin groups (`[origins] groups`), in output order; empty: one implicit group.
    pub origins: Vec<String>,
    /// Areas (`[areas] names`, MODEL.md section 14), in output order; empty: none. Each area
    /// is the sum of the regions that name it.
    pub areas: Vec<String>,
    pub title: String,
    /// What the sum over the regions is called (`scenario.total`, default "World"): a
    /// scenario whose regions do not cover the world names its total (issue 22 item 4).
    pub total: String,
    pub base_year: i32,
    pub calibration_year: i32,
    pub end_year: i32,
    pub data_revision: String,
    pub max_duration: usize,
    pub regions: Vec<Region>,
    /// World population points `(year, persons)`, sorted by year.
    pub world_population: Vec<(f64, f64)>,
    pub mortality: Mortality,
    pub departure: Departure,
    pub arrivals: Arrivals,
    pub remittances: Remittances,
    pub comparison: Vec<ComparisonSeries>,
    pub uncertainty: Uncertainty,
    pub warnings: WarningThresholds,
    pub spans: KeySpans,
    /// Every table file the scenario read: `(scenario key, path, sha256 of its bytes)`.
    pub tables: Vec<(String, PathBuf, String)>,
}

/// Scenario names that would collide with the folders of `compare`, `estimate` and
/// `hindcast` in the same output folder.
pub fn reserved_name(name: &str) -> bool {
    name == "compare" || name == "estimate" || name.ends_with("-hindcast")
}

/// The name of the sum over several regions when `scenario.total` is not set.
pub const DEFAULT_TOTAL: &str = "World";

/// The label of the sum over origin groups in the `origin` column of every table.
pub const ALL_ORIGINS: &str = "All";

impl Scenario {
    /// The name of the row that sums several regions: `scenario.total`, or "World".
    pub fn total_name(&self) -> &str {
        &self.total
    }

    /// Number of origin groups (1 without `[origins]`).
    pub fn n_groups(&self) -> usize {
        self.origins.len().max(1)
    }

    /// Deterministic arrival growth in year `u >= calibration_year` of a stream whose
    /// calibrated growth is `g_hat`, given the pooled growth `gbar` (MODEL.md section 6):
    /// `gbar + (g_hat - gbar) phi^j + growth_shift` with `j = u - calibration_year`, or
    /// `arrivals.growth + growth_shift` when that is a number.
    pub fn arrival_growth_after(&self, g_hat: f64, gbar: f64, year: i32) -> f64 {
        self.arrival_trend_after(g_hat, gbar, year) + self.arrivals.growth_shift
    }

    /// The mean growth `gbar` (pooled calibrated growth, or `arrivals.growth` when it is a
    /// number) and the stream's own damped trend term, without the shift.
    pub fn arrival_trend_after(&self, g_hat: f64, gbar: f64, year: i32) -> f64 {
        match self.arrivals.growth {
            Growth::Calibrated => {
                let j = (year - self.calibration_year).max(0);
                gbar + (g_hat - gbar) * self.arrivals.trend_damping.powi(j)
            }
            Growth::Fixed(g) => g,
        }
    }

    /// Years reported, base to end inclusive.
    pub fn years(&self) -> impl Iterator<Item = i32> + Clone {
        self.base_year..=self.end_year
    }

    pub fn n_years(&self) -> usize {
        (self.end_year - self.base_year + 1) as usize
    }

    /// Years whose age-sex-duration structure goes into structure.csv: the base year, the
    /// calibration year, every tenth year after it, and the end year.
    pub fn structure_years(&self) -> Vec<i32> {
        let mut years = vec![self.base_year, self.calibration_year];
        let mut year = self.calibration_year + 10;
        while year <= self.end_year {
            years.push(year);
            year += 10;
        }
        if !years.contains(&self.end_year) {
            years.push(self.end_year);
        }
        years
    }
}

/// A scenario as loaded from disk: the checked values and the file they came from.
#[derive(Debug, Clone)]
pub struct LoadedScenario {
    pub scenario: Scenario,
    pub source: SourceFile,
    /// The scenario file and the files it extends, for locating errors found later.
    pub sources: SourceSet,
    /// The files this scenario extends, nearest first.
    pub extends: Vec<PathBuf>,
    pub sha256_hex: String,
}

impl LoadedScenario {
    /// An error located in this scenario file (used for calibration failures).
    pub fn error_at(&self, diagnostic: crate::error::Diagnostic) -> Error {
        Error::from_diagnostics_in(&self.sources, &[diagnostic], "nothing was run")
    }
}

/// Reads and checks a scenario file. Every problem is reported at once.
pub fn load_scenario(path: &Path) -> Result<LoadedScenario> {
    // The file's name goes into every table, chart and report: control characters there
    // (an escape sequence, a bell) are refused before anything runs (issue 22 item 28).
    let shown = path.to_string_lossy();
    if shown.chars().any(char::is_control) {
        return Err(Error::InputPlain(format!(
            "error: the scenario file's name {:?} has control characters; rename the file (its name is printed on every table and chart)",
            shown
        )));
    }
    let bytes = read_input_file(path, "scenario file")?;
    load_scenario_bytes(path, bytes)
}

/// Checks the bytes of a scenario file named `path` (tables it names are read relative to it).
pub fn load_scenario_bytes(path: &Path, bytes: Vec<u8>) -> Result<LoadedScenario> {
    let text = match String::from_utf8(bytes.clone()) {
        Ok(text) => text,
        Err(err) => {
            let offset = err.utf8_error().valid_up_to();
            let lossy = String::from_utf8_lossy(&bytes).into_owned();
            let file = SourceFile::new(path, lossy);
            let diagnostic = crate::error::Diagnostic::at(
                offset..offset + 1,
                "the scenario file is not UTF-8 text (TOML files must be UTF-8)",
            );
            return Err(Error::from_diagnostics(
                &file,
                &[diagnostic],
                "nothing was run",
            ));
        }
    };
    let source = SourceFile::new(path, text);
    let base_dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let (sources, result) = check_scenario(&source, &base_dir);
    match result {
        Ok(scenario) => {
            // The hash covers every file the scenario rests on: the file itself, then each
            // file it extends (for a file that extends none, the hash of the file).
            // The tables it reads are in the hash too (by their own hashes).
            let chain: Vec<u8> = sources
                .files
                .iter()
                .flat_map(|(f, _)| f.text.as_bytes().iter().copied())
                .chain(
                    scenario
                        .tables
                        .iter()
                        .flat_map(|(_, _, sha)| sha.as_bytes().iter().copied()),
                )
                .collect();
            Ok(LoadedScenario {
                scenario,
                source,
                sha256_hex: sha256_hex(&chain),
                extends: sources
                    .files
                    .iter()
                    .skip(1)
                    .map(|(f, _)| f.path.clone())
                    .collect(),
                sources,
            })
        }
        Err(diagnostics) => Err(Error::from_diagnostics_in(
            &sources,
            &diagnostics,
            "nothing was run",
        )),
    }
}

/// The largest input file read (scenario, table, history, observations, run tables).
pub const MAX_INPUT_BYTES: u64 = 64 << 20;

/// Reads a regular file of at most [`MAX_INPUT_BYTES`]: a device (/dev/zero), a FIFO or a
/// socket is refused before it is opened, so nothing hangs or fills memory.
pub fn read_regular_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let metadata = std::fs::metadata(path)?;
    if !metadata.is_file() {
        return Err(std::io::Error::other(
            "not a regular file (a directory, device, FIFO or socket)",
        ));
    }
    if metadata.len() > MAX_INPUT_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} MiB ({} bytes)",
            MAX_INPUT_BYTES >> 20,
            metadata.len()
        )));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} MiB",
            MAX_INPUT_BYTES >> 20
        )));
    }
    Ok(bytes)
}

/// Reads a file the user named, with one-line errors for the usual ways that fails.
pub fn read_input_file(path: &Path, what: &str) -> Result<Vec<u8>> {
    if path.is_dir() {
        return Err(Error::InputPlain(format!(
            "error: `{}` is a directory, not a {what}",
            path.display()
        )));
    }
    read_regular_file(path).map_err(|err| {
        let reason = match err.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => err.to_string(),
        };
        Error::InputPlain(format!(
            "error: cannot read {what} `{}`: {reason}",
            path.display()
        ))
    })
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Labels of the five-year age groups of structure.csv and charts.
pub fn age_group_label(group: usize) -> String {
    if group + 1 == AGE_GROUPS {
        format!("{MAX_AGE}+")
    } else {
        format!("{}-{}", group * 5, group * 5 + 4)
    }
}
