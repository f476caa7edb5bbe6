//! The CSV tables of a deterministic run (projection, structure, calibration) and the run
//! manifest. Every number is checked to be finite before it is written.

use super::number;
use crate::error::{Error, Result};
use crate::model::{AGE_GROUPS, N_SEXES, SEX_LABELS};
use crate::scenario::{age_group_label, Scenario};
use crate::simulate::{
    duration_group_label, duration_groups, median_age, variable_names, DeterministicRun,
};

/// A CSV being built in memory; written to disk only when complete.
pub struct CsvBuffer {
    file_name: &'static str,
    writer: csv::Writer<Vec<u8>>,
    /// For a run's tables: the scenario name (first column) and the data revision (last).
    frame: Option<(String, String)>,
}

impl CsvBuffer {
    pub fn new(file_name: &'static str, header: &[String]) -> Result<Self> {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        writer
            .write_record(header)
            .map_err(|e| Error::Environment(format!("cannot build {file_name}: {e}")))?;
        Ok(Self {
            file_name,
            writer,
            frame: None,
        })
    }

    /// A table of a run folder: `scenario` first and `data_revision` last on every row, so
    /// that tables of several runs can be stacked and every figure names its sources.
    pub fn for_run(file_name: &'static str, scenario: &Scenario, header: &[&str]) -> Result<Self> {
        Self::framed(file_name, &scenario.name, &scenario.data_revision, header)
    }

    /// A table whose every row starts with `scenario` (a run's or an analysis folder's name)
    /// and ends with `data_revision`, as every run table does.
    pub fn framed(
        file_name: &'static str,
        scenario: &str,
        data_revision: &str,
        header: &[&str],
    ) -> Result<Self> {
        let full: Vec<String> = std::iter::once("scenario")
            .chain(header.iter().copied())
            .chain(std::iter::once("data_revision"))
            .map(str::to_string)
            .collect();
        let mut csv = Self::new(file_name, &full)?;
        csv.frame = Some((scenario.to_string(), data_revision.to_string()));
        Ok(csv)
    }

    pub fn row(&mut self, fields: &[String]) -> Result<()> {
        let result = match &self.frame {
            None => self.writer.write_record(fields),
            Some((scenario, revision)) => self.writer.write_record(
                std::iter::once(scenario.as_str())
                    .chain(fields.iter().map(String::as_str))
                    .chain(std::iter::once(revision.as_str())),
            ),
        };
        result.map_err(|e| Error::Environment(format!("cannot build {}: {e}", self.file_name)))
    }

    pub fn into_bytes(self) -> Result<Vec<u8>> {
        self.writer
            .into_inner()
            .map_err(|e| Error::Environment(format!("cannot build {}: {e}", self.file_name)))
    }
}

/// The `level` of a row of a scenario's region (by name; the World or the only region is
/// `world`) and origin group.
pub fn level_of_region(scenario: &Scenario, region: &str, origin: &str) -> &'static str {
    if scenario.areas.iter().any(|a| a == region) {
        return "area";
    }
    let world = region == scenario.total || scenario.regions.len() == 1;
    crate::simulate::streams::level_of(world, (origin != crate::scenario::ALL_ORIGINS).then_some(0))
}

/// The scenario keys behind an output column, for errors about numbers that cannot be written.
fn keys_behind(column: &str) -> String {
    if column.starts_with("remittances") || column == "fees" || column == "mean" {
        "`remittances.received`, `remittances.growth` and `uncertainty.remittance_growth_sd`".into()
    } else if column == "share_of_world" {
        "`world_population.points`".into()
    } else if let Some(series) = column.strip_prefix("ratio_to_") {
        format!("`comparison.{series}` and `remittances.received`")
    } else {
        "`[[region]] stock`, `arrivals.growth`, `[[arrivals.pulse]]`, `arrivals.trend_damping` and `uncertainty.world_growth_sd`"
            .into()
    }
}

/// A finite number as text, or an input error that names the table, column, row and the
/// scenario keys behind them: no NaN or infinity reaches an output file.
pub fn finite(x: f64, table: &str, column: &str, row: &str) -> Result<String> {
    if x.is_finite() {
        Ok(number(x))
    } else {
        Err(Error::InputPlain(format!(
            "error: refusing to write {table}: `{column}` is {x} for {row}; the scenario's figures take the model out of the range of numbers (check {}); nothing was written",
            keys_behind(column)
        )))
    }
}

/// projection.csv: one row per region (and World), origin group (`All` for the sum) and year.
pub fn projection_csv(scenario: &Scenario, run: &DeterministicRun) -> Result<Vec<u8>> {
    let variables = variable_names(scenario);
    let mut header: Vec<&str> = vec!["region", "origin", "level", "year"];
    header.extend(variables[..8].iter().map(String::as_str));
    header.push("female_share");
    header.push("median_age");
    header.extend(variables[8..].iter().map(String::as_str));
    let mut csv = CsvBuffer::for_run("projection.csv", scenario, &header)?;
    for (e, entity) in run.structure.entities.iter().enumerate() {
        let detail = run.entity_detail(entity);
        let name = &entity.region;
        for (t, year) in scenario.years().enumerate() {
            let (female, by_age) = (detail.female[t], &detail.by_age[t]);
            let row_label = if entity.group.is_some() {
                format!("{name} ({}) in {year}", entity.origin)
            } else {
                format!("{name} in {year}")
            };
            let values = &run.derived[e];
            let stock = values[0][t];
            let mut fields = vec![
                name.clone(),
                entity.origin.clone(),
                entity.level.to_string(),
                year.to_string(),
            ];
            for (v, column) in variables[..8].iter().enumerate() {
                fields.push(finite(values[v][t], "projection.csv", column, &row_label)?);
            }
            fields.push(if stock > 0.0 {
                // female <= stock exactly; a ratio a hair above 1 is rounding.
                finite(
                    (female / stock).clamp(0.0, 1.0),
                    "projection.csv",
                    "female_share",
                    &row_label,
                )?
            } else {
                String::new()
            });
            fields.push(median_age(by_age).map(number).unwrap_or_default());
            for (v, column) in variables.iter().enumerate().skip(8) {
                // A series compared with one origin group's receipts says nothing of another
                // group's row: empty there, not 0 (issue 22 item 12).
                let series = scenario.comparison.get(v - 8);
                let other_group = matches!(
                    (series.and_then(|c| c.origin), entity.group),
                    (Some(a), Some(b)) if a != b
                );
                fields.push(if other_group {
                    String::new()
                } else {
                    finite(values[v][t], "projection.csv", column, &row_label)?
                });
            }
            csv.row(&fields)?;
        }
    }
    csv.into_bytes()
}

/// structure.csv: persons by sex, five-year age group and duration group, for the base year,
/// the calibration year and every tenth year after, per region and origin group.
pub fn structure_csv(scenario: &Scenario, run: &DeterministicRun) -> Result<Vec<u8>> {
    let header = [
        "region",
        "origin",
        "level",
        "year",
        "sex",
        "age_group",
        "duration_group",
        "persons",
    ];
    let mut csv = CsvBuffer::for_run("structure.csv", scenario, &header)?;
    let groups = duration_groups(scenario.max_duration);
    for entity in &run.structure.entities {
        let detail = run.entity_detail(entity);
        let name = &entity.region;
        for (year, counts) in &detail.structure {
            for sex in 0..N_SEXES {
                for age_group in 0..AGE_GROUPS {
                    for (g, group) in groups.iter().enumerate() {
                        let persons = counts[(sex * AGE_GROUPS + age_group) * groups.len() + g];
                        csv.row(&[
                            name.clone(),
                            entity.origin.clone(),
                            entity.level.to_string(),
                            year.to_string(),
                            SEX_LABELS[sex].to_string(),
                            age_group_label(age_group),
                            duration_group_label(*group),
                            finite(
                                persons,
                                "structure.csv",
                                "persons",
                                &format!("{name} in {year}"),
                            )?,
                        ])?;
                    }
                }
            }
        }
    }
    csv.into_bytes()
}

/// |achieved - target| / |target| (absolute when the target is 0); below 1e-12 it is
/// floating-point noise and written as 0.
fn relative_error(achieved: f64, target: f64) -> String {
    let error = if target == 0.0 {
        (achieved - target).abs()
    } else {
        (achieved - target).abs() / target.abs()
    };
    number(if error < 1e-12 { 0.0 } else { error })
}

/// calibration.csv: every calibrated parameter with the target it was fitted to, per stream
/// (region and origin group) and per origin group's remittances.
pub fn calibration_csv(scenario: &Scenario, run: &DeterministicRun) -> Result<Vec<u8>> {
    let header = [
        "region",
        "origin",
        "level",
        "parameter",
        "value",
        "unit",
        "target",
        "achieved",
        "target_unit",
        "relative_error",
    ];
    let mut csv = CsvBuffer::for_run("calibration.csv", scenario, &header)?;
    // Rows as (region, origin, parameter, value, target, achieved, relative error); the
    // level and the units follow from the region, origin and parameter.
    let mut row = |fields: [String; 7]| -> Result<()> {
        let [region, origin, parameter, value, target, achieved, error] = fields;
        let level = level_of_region(scenario, &region, &origin).to_string();
        let (unit, target_unit) = if parameter.starts_with("stock_") {
            ("persons", "persons")
        } else if parameter.starts_with("arrivals_") {
            ("persons a year", "")
        } else if parameter == "arrival_growth" {
            ("per year", "persons")
        } else if parameter.starts_with("remittance_per_remitter") {
            ("US dollars a year", "US dollars")
        } else if parameter == "remittance_growth" {
            ("per year", "")
        } else {
            // gompertz_beta_SEX_YEAR: fitted to a life expectancy at birth.
            ("per year of age", "years")
        };
        csv.row(&[
            region,
            origin,
            level,
            parameter,
            value,
            unit.to_string(),
            target,
            achieved,
            target_unit.to_string(),
            error,
        ])
    };
    let cal = run.rates.calibration_index;
    let layout = run.structure.layout;
    let origin_label = |o: usize| -> String {
        scenario
            .origins
            .get(o)
            .cloned()
            .unwrap_or_else(|| crate::scenario::ALL_ORIGINS.to_string())
    };
    for (r, region) in scenario.regions.iter().enumerate() {
        for o in 0..layout.n_groups {
            let c = &run.calibration.regions[layout.stream(r, o)];
            let (target_base, target_cal) = if layout.origin_mode {
                region.stock_by_origin[o]
            } else {
                (region.stock_base_persons, region.stock_calibration_persons)
            };
            let origin = origin_label(o);
            let base_stock: f64 = c.initial_state.iter().sum();
            row([
                region.name.clone(),
                origin.clone(),
                format!("stock_{}", scenario.base_year),
                number(base_stock),
                number(target_base),
                number(base_stock),
                relative_error(base_stock, target_base),
            ])?;
            row([
                region.name.clone(),
                origin.clone(),
                "arrival_growth".into(),
                number(c.arrival_growth),
                number(target_cal),
                number(c.achieved_calibration_stock),
                relative_error(c.achieved_calibration_stock, target_cal),
            ])?;
            row([
                region.name.clone(),
                origin,
                format!("arrivals_{}", scenario.base_year),
                number(c.arrivals_base),
                String::new(),
                String::new(),
                String::new(),
            ])?;
        }
    }
    let world_name = if scenario.regions.len() > 1 {
        scenario.total.clone()
    } else {
        scenario.regions[0].name.clone()
    };
    for (o, rem) in run.calibration.remittances.iter().enumerate() {
        let (origin, received, targets) = if layout.origin_mode {
            let e = crate::simulate::streams::entity_index(scenario, None, Some(o)).unwrap_or(0);
            (
                origin_label(o),
                &run.derived[e][5],
                scenario.remittances.received_by_origin[o],
            )
        } else {
            let e = run.derived.len() - 1;
            (
                origin_label(o),
                &run.derived[e][5],
                Some((
                    scenario.remittances.received_base_usd,
                    scenario.remittances.received_calibration_usd,
                )),
            )
        };
        let Some((target_base, target_cal)) = targets else {
            row([
                world_name.clone(),
                origin,
                "remittance_per_remitter".into(),
                "0".into(),
                String::new(),
                String::new(),
                String::new(),
            ])?;
            continue;
        };
        row([
            world_name.clone(),
            origin.clone(),
            format!("remittance_per_remitter_{}", scenario.base_year),
            number(rem.amount_base_usd),
            number(target_base),
            number(received[0]),
            relative_error(received[0], target_base),
        ])?;
        row([
            world_name.clone(),
            origin.clone(),
            format!("remittance_per_remitter_{}", scenario.calibration_year),
            number(rem.amount_calibration_usd),
            number(target_cal),
            number(received[cal]),
            relative_error(received[cal], target_cal),
        ])?;
        row([
            world_name.clone(),
            origin,
            "remittance_growth".into(),
            number(rem.growth),
            String::new(),
            String::new(),
            String::new(),
        ])?;
    }
    let report_years = [
        scenario.base_year,
        scenario.calibration_year,
        scenario.end_year,
    ];
    for solved in run
        .rates
        .solved_mortality
        .iter()
        .filter(|s| report_years.contains(&s.year))
    {
        row([
            world_name.clone(),
            crate::scenario::ALL_ORIGINS.into(),
            format!("gompertz_beta_{}_{}", SEX_LABELS[solved.sex], solved.year),
            number(solved.beta),
            number(solved.target_e0),
            number(solved.achieved_e0),
            relative_error(solved.achieved_e0, solved.target_e0),
        ])?;
    }
    csv.into_bytes()
}

/// The comments of the scenario files that say where a figure comes from: every setting with
/// a comment after it (`stock = { ... }   # IMR 2002, rounded to 1 million`), in file order,
/// for the report's list of sources.
fn sources_json(loaded: &crate::scenario::LoadedScenario) -> serde_json::Value {
    let mut sources = Vec::new();
    for (file, _) in &loaded.sources.files {
        let path = file.path.display().to_string();
        // A block of whole-line comments cites what follows it: the setting or table header
        // on the next line, or, followed by a blank line, the file or section ("note").
        // Issue 22 item 2: only end-of-line comments were kept, so the WDI, WPP and cost
        // sources written above their settings, and the files' headers, were dropped.
        let mut block: Vec<(usize, &str)> = Vec::new();
        let mut push = |line: usize, setting: &str, comment: String| {
            sources.push(serde_json::json!({
                "file": path,
                "line": line,
                "setting": crate::error::clip(setting, 200),
                "comment": crate::error::clip(&comment, 1200),
            }));
        };
        let lines: Vec<&str> = file.text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            let trimmed = line.trim();
            if let Some(text) = trimmed.strip_prefix('#') {
                block.push((n + 1, text.trim()));
                continue;
            }
            let setting_comment = split_comment(line)
                .map(|(setting, comment)| (setting.trim(), comment.trim()))
                .filter(|(setting, comment)| !setting.is_empty() && !comment.is_empty());
            if !block.is_empty() {
                if let Some(text) = block_text(&block) {
                    let (line_no, setting) = if trimmed.is_empty() {
                        (block[0].0, "(note)".to_string())
                    } else {
                        let setting = setting_comment
                            .map(|(s, _)| s)
                            .unwrap_or(trimmed)
                            .to_string();
                        (n + 1, setting)
                    };
                    push(line_no, &setting, text);
                }
                block.clear();
            }
            if let Some((setting, comment)) = setting_comment {
                push(n + 1, setting, comment.to_string());
            }
        }
        if let Some(text) = block_text(&block) {
            push(block[0].0, "(note)", text);
        }
    }
    serde_json::Value::Array(sources)
}

/// The words of a block of comment lines, joined (`None` when every line is empty).
fn block_text(block: &[(usize, &str)]) -> Option<String> {
    let text: Vec<&str> = block
        .iter()
        .map(|b| b.1)
        .filter(|t| !t.is_empty())
        .collect();
    (!text.is_empty()).then(|| text.join(" "))
}

/// A TOML line split at its comment (a `#` outside a string), if it has one.
fn split_comment(line: &str) -> Option<(&str, &str)> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '#' => return Some((&line[..i], &line[i + 1..])),
                _ => {}
            },
        }
    }
    None
}

/// Every file the run read, with its sha256: the scenario, each file it extends, each table.
fn inputs_json(loaded: &crate::scenario::LoadedScenario) -> serde_json::Value {
    use crate::scenario::sha256_hex;
    let mut inputs: Vec<serde_json::Value> = loaded
        .sources
        .files
        .iter()
        .enumerate()
        .map(|(i, (file, _))| {
            serde_json::json!({
                "role": if i == 0 { "scenario" } else { "extends" },
                "path": file.path.display().to_string(),
                "sha256": sha256_hex(file.text.as_bytes()),
            })
        })
        .collect();
    inputs.extend(loaded.scenario.tables.iter().map(|(key, path, sha)| {
        serde_json::json!({
            "role": "table",
            "key": key,
            "path": path.display().to_string(),
            "sha256": sha,
        })
    }));
    serde_json::Value::Array(inputs)
}

/// run.json: provenance of a run (the only output with paths and times in it).
pub fn run_json(
    loaded: &crate::scenario::LoadedScenario,
    wall_time_seconds: f64,
    extra: serde_json::Value,
) -> Vec<u8> {
    let mut manifest = serde_json::json!({
        "migproj_version": env!("CARGO_PKG_VERSION"),
        "scenario": {
            "path": loaded.source.path.display().to_string(),
            "sha256": loaded.sha256_hex,
            "extends": loaded.extends.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "name": loaded.scenario.name,
            "title": loaded.scenario.title,
        },
        "inputs": inputs_json(loaded),
        "sources": sources_json(loaded),
        "data_revision": loaded.scenario.data_revision,
        "wall_time_seconds": wall_time_seconds,
    });
    // Areas and their regions (MODEL.md section 14), for the charts of each area's regions.
    let scenario = &loaded.scenario;
    if !scenario.areas.is_empty() {
        let areas: Vec<serde_json::Value> = scenario
            .areas
            .iter()
            .enumerate()
            .map(|(a, name)| {
                serde_json::json!({
                    "name": name,
                    "regions": scenario
                        .regions
                        .iter()
                        .filter(|r| r.area == Some(a))
                        .map(|r| r.name.clone())
                        .collect::<Vec<_>>(),
                })
            })
            .collect();
        if let Some(map) = manifest.as_object_mut() {
            map.insert("areas".into(), serde_json::Value::Array(areas));
        }
    }
    if let (Some(map), serde_json::Value::Object(extra)) = (manifest.as_object_mut(), extra) {
        map.extend(extra);
    }
    let mut bytes = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// duration.csv: the stock by duration group of stay (the groups of structure.csv: 0-4, 5-9,
/// ... years, then `max_duration`+), every year, per region and origin group.
pub fn duration_csv(scenario: &Scenario, run: &DeterministicRun) -> Result<Vec<u8>> {
    let header = [
        "region",
        "origin",
        "level",
        "year",
        "duration_group",
        "persons",
    ];
    let mut csv = CsvBuffer::for_run("duration.csv", scenario, &header)?;
    let labels: Vec<String> = duration_groups(scenario.max_duration)
        .into_iter()
        .map(duration_group_label)
        .collect();
    for entity in &run.structure.entities {
        let detail = run.entity_detail(entity);
        let name = &entity.region;
        for (t, year) in scenario.years().enumerate() {
            for (label, persons) in labels.iter().zip(&detail.by_duration_group[t]) {
                csv.row(&[
                    name.clone(),
                    entity.origin.clone(),
                    entity.level.to_string(),
                    year.to_string(),
                    label.clone(),
                    finite(*persons, "duration.csv", "persons", name)?,
                ])?;
            }
        }
    }
    csv.into_bytes()
}

/// markers.csv: the figures a chart marks as points: the calibration targets (stocks and world
/// remittances received) and the observed stocks given in the scenario.
pub fn markers_csv(scenario: &Scenario) -> Result<Vec<u8>> {
    let header = [
        "region", "origin", "level", "year", "variable", "unit", "value", "kind",
    ];
    let mut csv = CsvBuffer::for_run("markers.csv", scenario, &header)?;
    // Every row: region, origin, year, variable, value, kind; level and unit follow from them.
    let mut row = |fields: [String; 6]| -> Result<()> {
        let [region, origin, year, variable, value, kind] = fields;
        let level = level_of_region(scenario, &region, &origin).to_string();
        let unit = super::unit_of(&variable).to_string();
        csv.row(&[region, origin, level, year, variable, unit, value, kind])
    };
    let all = crate::scenario::ALL_ORIGINS.to_string();
    let world = if scenario.regions.len() > 1 {
        scenario.total.clone()
    } else {
        scenario.regions[0].name.clone()
    };
    for region in &scenario.regions {
        for (year, value) in [
            (scenario.base_year, region.stock_base_persons),
            (scenario.calibration_year, region.stock_calibration_persons),
        ] {
            row([
                region.name.clone(),
                all.clone(),
                year.to_string(),
                "stock".into(),
                number(value),
                "calibration".into(),
            ])?;
        }
        for (year, value) in &region.observed {
            row([
                region.name.clone(),
                all.clone(),
                year.to_string(),
                "stock".into(),
                number(*value),
                "observed".into(),
            ])?;
        }
    }
    if scenario.regions.len() > 1 {
        let base: f64 = scenario.regions.iter().map(|r| r.stock_base_persons).sum();
        let cal: f64 = scenario
            .regions
            .iter()
            .map(|r| r.stock_calibration_persons)
            .sum();
        row([
            world.clone(),
            all.clone(),
            scenario.base_year.to_string(),
            "stock".into(),
            number(base),
            "calibration".into(),
        ])?;
        row([
            world.clone(),
            all.clone(),
            scenario.calibration_year.to_string(),
            "stock".into(),
            number(cal),
            "calibration".into(),
        ])?;
    }
    let remittances = &scenario.remittances;
    for (year, value) in [
        (scenario.base_year, remittances.received_base_usd),
        (
            scenario.calibration_year,
            remittances.received_calibration_usd,
        ),
    ] {
        row([
            world.clone(),
            all.clone(),
            year.to_string(),
            "remittances_received".into(),
            number(value),
            "calibration".into(),
        ])?;
    }
    // Receipts of each origin group: its calibration figures and observed receipts.
    for (o, origin) in scenario.origins.iter().enumerate() {
        if let Some((base, cal)) = remittances.received_by_origin[o] {
            for (year, value) in [(scenario.base_year, base), (scenario.calibration_year, cal)] {
                row([
                    world.clone(),
                    origin.clone(),
                    year.to_string(),
                    "remittances_received".into(),
                    number(value),
                    "calibration".into(),
                ])?;
            }
        }
        for (year, value) in remittances.observed_by_origin.get(o).into_iter().flatten() {
            row([
                world.clone(),
                origin.clone(),
                year.to_string(),
                "remittances_received".into(),
                number(*value),
                "observed".into(),
            ])?;
        }
    }
    csv.into_bytes()
}

/// comparison.csv: each comparison series as interpolated for every year (current US$).
pub fn comparison_csv(scenario: &Scenario, run: &DeterministicRun) -> Result<Vec<u8>> {
    let header = [
        "series", "origin", "level", "after", "year", "unit", "value",
    ];
    let mut csv = CsvBuffer::for_run("comparison.csv", scenario, &header)?;
    for (s, series) in scenario.comparison.iter().enumerate() {
        let origin = series
            .origin
            .map(|o| scenario.origins[o].clone())
            .unwrap_or_else(|| crate::scenario::ALL_ORIGINS.to_string());
        let after = match series.after {
            None => "flat".to_string(),
            Some(g) => format!("growth {}", number(g)),
        };
        for (t, year) in scenario.years().enumerate() {
            csv.row(&[
                series.name.clone(),
                origin.clone(),
                "world".into(),
                after.clone(),
                year.to_string(),
                "US dollars".into(),
                finite(
                    run.rates.comparison[s][t],
                    "comparison.csv",
                    "value",
                    &series.name,
                )?,
            ])?;
        }
    }
    csv.into_bytes()
}

/// remittances.csv: per origin group (and `All`) and year, the world's remittances sent,
/// received and fees, and each `ratio_to_<name>` whose series is compared with that group's
/// receipts (or every origin's, for `All`).
pub fn remittances_csv(scenario: &Scenario, run: &DeterministicRun) -> Result<Vec<u8>> {
    let ratio_names: Vec<String> = scenario
        .comparison
        .iter()
        .map(|c| format!("ratio_to_{}", c.name))
        .collect();
    let mut header: Vec<&str> = vec![
        "region",
        "origin",
        "level",
        "modelled",
        "year",
        "remittances_sent",
        "remittances_received",
        "fees",
    ];
    header.extend(ratio_names.iter().map(String::as_str));
    let mut csv = CsvBuffer::for_run("remittances.csv", scenario, &header)?;
    let mut groups: Vec<Option<usize>> = (0..scenario.origins.len()).map(Some).collect();
    groups.push(None);
    for group in groups {
        let Some(e) = crate::simulate::streams::entity_index(scenario, None, group) else {
            continue;
        };
        let entity = &run.structure.entities[e];
        let modelled = match group {
            Some(o) => scenario.remittances.received_by_origin[o].is_some(),
            None => true,
        };
        let values = &run.derived[e];
        for (t, year) in scenario.years().enumerate() {
            let label = format!("{} ({}) in {year}", entity.region, entity.origin);
            let mut fields = vec![
                entity.region.clone(),
                entity.origin.clone(),
                entity.level.to_string(),
                modelled.to_string(),
                year.to_string(),
            ];
            for (v, column) in [
                (4, "remittances_sent"),
                (5, "remittances_received"),
                (6, "fees"),
            ] {
                fields.push(finite(values[v][t], "remittances.csv", column, &label)?);
            }
            for (s, series) in scenario.comparison.iter().enumerate() {
                let applies = match (series.origin, group) {
                    (Some(a), Some(b)) => a == b,
                    (None, None) => true,
                    _ => false,
                };
                fields.push(if applies {
                    finite(values[8 + s][t], "remittances.csv", &ratio_names[s], &label)?
                } else {
                    String::new()
                });
            }
            csv.row(&fields)?;
        }
    }
    csv.into_bytes()
}

/// A whole number with thousands separators, as a report prints it: 154,000,000.
pub fn grouped(x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if x < 0.0 {
        format!("-{out}")
    } else {
        out
    }
}

/// assumptions.csv: the scenario's assumptions as a report states them (key, value, unit),
/// with the calibrated values beside the stated ones.
pub fn assumptions_csv(scenario: &Scenario, run: &DeterministicRun) -> Result<Vec<u8>> {
    use crate::scenario::{AgeSchedule, Growth, Mortality, Propensity};
    let header = ["assumption", "level", "value", "unit"];
    let mut csv = CsvBuffer::for_run("assumptions.csv", scenario, &header)?;
    // A region's assumption names the region after a comma ("migrant stock, Africa").
    let mut row = |key: &str, value: String, unit: &str| {
        let level = match key.rsplit_once(", ") {
            // A stream: a region's migrants from one origin group.
            Some((_, group))
                if group.starts_with("migrants from ") && scenario.regions.len() > 1 =>
            {
                "origin"
            }
            Some((_, group)) if group.starts_with("migrants from ") => "world",
            Some((_, region))
                if scenario.regions.len() > 1
                    && scenario.regions.iter().any(|r| r.name == region) =>
            {
                "region"
            }
            _ => "world",
        };
        csv.row(&[key.to_string(), level.to_string(), value, unit.to_string()])
    };
    row(
        "period",
        format!(
            "{}-{} (calibrated to {} and {})",
            scenario.base_year, scenario.end_year, scenario.base_year, scenario.calibration_year
        ),
        "years",
    )?;
    row("data revision", scenario.data_revision.clone(), "")?;
    for (r, region) in scenario.regions.iter().enumerate() {
        row(
            &format!("migrant stock, {}", region.name),
            format!(
                "{} ({}), {} ({})",
                grouped(region.stock_base_persons),
                scenario.base_year,
                grouped(region.stock_calibration_persons),
                scenario.calibration_year
            ),
            "persons",
        )?;
        let gbar = run.calibration.pooled_growth;
        let ten_after = scenario.calibration_year + 10;
        // One row per stream: the region's own (without origin groups), or each of its
        // origin groups' (streams are region-major, `r * groups + o`).
        let groups = scenario.n_groups();
        for o in 0..groups {
            let stream = r * groups + o;
            let g_hat = run.calibration.regions[stream].arrival_growth;
            let label = if scenario.origins.is_empty() {
                format!("arrival growth, {}", region.name)
            } else {
                format!(
                    "arrival growth, {}, migrants from {}",
                    region.name, scenario.origins[o]
                )
            };
            if run.calibration.regions[stream].arrivals_base == 0.0 {
                row(
                    &label,
                    format!(
                        "none: no migrants in {} or {} (an empty stream stays empty but for pulses)",
                        scenario.base_year, scenario.calibration_year
                    ),
                    "per year",
                )?;
                continue;
            }
            row(
                &label,
                growth_path(
                    g_hat,
                    scenario.calibration_year,
                    scenario.arrival_growth_after(g_hat, gbar, scenario.calibration_year + 1),
                    scenario.arrival_growth_after(g_hat, gbar, ten_after),
                ),
                "per cent a year",
            )?;
        }
    }
    let streams = scenario.regions.len() * scenario.n_groups();
    if streams > 1 && matches!(scenario.arrivals.growth, Growth::Calibrated) {
        row(
            "arrival growth, common trend",
            format!(
                "{} ({}); each stream's distance from it multiplied by {} each year after {} (trend_damping)",
                percent_a_year(run.calibration.pooled_growth),
                match scenario.arrivals.pooling {
                    crate::scenario::Pooling::World =>
                        "the world calibrated as one stream, pooling = \"world\"",
                    crate::scenario::Pooling::Arrivals =>
                        "the streams' growths weighted by their arrivals, pooling = \"arrivals\"",
                },
                scenario.arrivals.trend_damping,
                scenario.calibration_year
            ),
            "per cent a year",
        )?;
    }
    if let (Some(gbar_m), Growth::Calibrated) = (
        run.calibration.pooled_remittance_growth,
        scenario.remittances.growth,
    ) {
        let modelled = run
            .calibration
            .remittances
            .iter()
            .filter(|r| r.amount_base_usd > 0.0)
            .count();
        if modelled > 1 {
            row(
                "amount per remitter, common growth",
                format!(
                    "{} (every origin group together); each group's distance from it multiplied by {} each year after {} (growth_damping)",
                    percent_a_year(gbar_m),
                    scenario.remittances.growth_damping,
                    scenario.calibration_year
                ),
                "per cent a year",
            )?;
        }
    }
    match &scenario.mortality {
        Mortality::GompertzMakeham {
            e0_female,
            e0_male,
            improvement_per_year,
            ..
        } => row(
            "life expectancy at birth",
            format!(
                "women {e0_female}, men {e0_male} in {}, +{improvement_per_year} a year",
                scenario.base_year
            ),
            "years",
        )?,
        Mortality::Table { path, .. } => row(
            "mortality",
            format!("table {}", path.display()),
            "death probabilities",
        )?,
    }
    let d = &scenario.departure;
    row(
        "departures (return or onward)",
        format!(
            "{} at arrival, falling to {} (decay {})",
            d.initial, d.long_run, d.decay
        ),
        "probability per year",
    )?;
    for change in &d.changes {
        let region = change.region.map_or("all regions".to_string(), |r| {
            scenario.regions[r].name.clone()
        });
        row(
            "departure change",
            format!(
                "x{} from {} ({region})",
                change.multiplier, change.from_year
            ),
            "",
        )?;
    }
    let a = &scenario.arrivals;
    // The scenario's share, unless every region sets its own (issue 22 item 3).
    let own: Vec<&crate::scenario::Region> = scenario
        .regions
        .iter()
        .filter(|r| r.female_share.is_some())
        .collect();
    if matches!(a.age_schedule, AgeSchedule::Table { .. }) {
        // The table gives weights by sex: no share applies.
    } else if own.len() == scenario.regions.len() {
        row(
            "women among arrivals",
            format!(
                "each region's own: {}",
                own.iter()
                    .map(|r| format!("{} {}", r.name, number(r.female_share.unwrap_or(0.0))))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "share",
        )?;
    } else if own.is_empty() {
        row("women among arrivals", number(a.female_share), "share")?;
    } else {
        row(
            "women among arrivals",
            format!(
                "{} ({}: {})",
                number(a.female_share),
                if own.len() == 1 {
                    "one region sets its own"
                } else {
                    "some regions set their own"
                },
                own.iter()
                    .map(|r| format!("{} {}", r.name, number(r.female_share.unwrap_or(0.0))))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            "share",
        )?;
    }
    row(
        "arrival age schedule",
        match &a.age_schedule {
            AgeSchedule::RogersCastro { mu2, .. } => format!("Rogers-Castro, labour peak at {mu2}"),
            AgeSchedule::Table { path, .. } => format!("table {}", path.display()),
        },
        "",
    )?;
    for change in &a.changes {
        let region = change.region.map_or("all regions".to_string(), |r| {
            scenario.regions[r].name.clone()
        });
        row(
            "arrivals change",
            format!(
                "x{} from {} ({region})",
                change.multiplier, change.from_year
            ),
            "",
        )?;
    }
    for pulse in &a.pulses {
        row(
            "arrivals pulse",
            format!(
                "{} in {} ({})",
                grouped(pulse.persons),
                pulse.year,
                scenario.regions[pulse.region].name
            ),
            "persons",
        )?;
    }
    let m = &scenario.remittances;
    row(
        "remittances received",
        format!(
            "{} ({}), {} ({})",
            grouped(m.received_base_usd),
            scenario.base_year,
            grouped(m.received_calibration_usd),
            scenario.calibration_year
        ),
        "current US dollars",
    )?;
    row(
        "remitting ages",
        format!("{}-{}", m.age_range.0, m.age_range.1),
        "years",
    )?;
    row(
        "propensity to remit",
        match m.propensity {
            Propensity::Constant { value } => format!("constant {value}"),
            Propensity::Exponential {
                initial,
                long_run,
                decay,
            } => format!("{initial} at arrival to {long_run} (decay {decay})"),
            Propensity::Hump {
                peak,
                peak_duration,
            } => format!("hump, {peak} after {peak_duration} years"),
        },
        "share of migrants",
    )?;
    for (o, rem) in run.calibration.remittances.iter().enumerate() {
        let whose = match scenario.origins.get(o) {
            Some(group) => format!(", migrants from {group}"),
            None => String::new(),
        };
        if !scenario.origins.is_empty() && scenario.remittances.received_by_origin[o].is_none() {
            row(
                &format!("amount per remitter{whose}"),
                "not modelled (no receipt figures for this origin group)".into(),
                "",
            )?;
            continue;
        }
        row(
            &format!("amount per remitter{whose}"),
            format!(
                "{:.0} ({}), {:.0} ({})",
                rem.amount_base_usd,
                scenario.base_year,
                rem.amount_calibration_usd,
                scenario.calibration_year
            ),
            "US dollars a year",
        )?;
        row(
            &format!("growth of the amount after calibration{whose}"),
            match (m.growth, run.calibration.pooled_remittance_growth) {
                // Damped toward the common growth after the calibration year (MODEL.md
                // section 7, revision 3): the row says where it goes, as arrivals' rows do.
                (Growth::Calibrated, Some(_)) => {
                    let after = |j: usize| {
                        crate::simulate::amount_growth_after(scenario, &run.calibration, o, j)
                    };
                    growth_path(rem.growth, scenario.calibration_year, after(1), after(10))
                }
                (Growth::Calibrated, None) => {
                    format!("{} (calibrated)", percent_a_year(rem.growth))
                }
                (Growth::Fixed(g), _) => percent_a_year(g),
            },
            "per cent a year",
        )?;
    }
    let cost = if m.cost.is_empty() {
        "none".to_string()
    } else {
        m.cost
            .iter()
            .map(|(y, c)| format!("{}% in {y}", number((c * 1e8).round() / 1e6)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    row("cost of sending", cost, "per cent of the amount sent")?;
    for series in &scenario.comparison {
        let points = series
            .points
            .iter()
            .map(|(y, v)| format!("{} ({y})", grouped(*v)))
            .collect::<Vec<_>>()
            .join(", ");
        // How the series continues, and whose receipts it is compared with (issue 22 item 3).
        let last = series.points.last().map(|p| p.0).unwrap_or(0.0);
        let after = match series.after {
            None => format!("held flat after {last}"),
            Some(g) => format!("growing {}% a year after {last}", number(100.0 * g)),
        };
        let against = match series.origin {
            Some(o) => format!("compared with the receipts of {}", scenario.origins[o]),
            None => "compared with the receipts of every origin".to_string(),
        };
        row(
            &format!("comparison series `{}`", series.name),
            format!("{points}; linear between its points, {after}; {against}"),
            "current US dollars",
        )?;
    }
    let u = &scenario.uncertainty;
    if u.trajectories > 0 {
        row(
            "uncertainty",
            format!(
                "world: long-run growth sd {}, AR(1) {}, shock sd {}, relative se of these sds {}; regions: AR(1) {}, shock sd {}, relative se {}; departure sd {} reached over {} years; remittances: growth sd {}, shock sd {}, relative se {}",
                u.world_growth_sd, u.world_ar1, u.world_shock_sd, u.world_sd_rel_se, u.region_ar1, u.region_shock_sd, u.region_sd_rel_se, u.departure_sd, u.departure_ramp, u.remittance_growth_sd, u.remittance_shock_sd, u.remittance_sd_rel_se
            ),
            "",
        )?;
    }
    csv.into_bytes()
}

/// A calibrated growth and where it goes: "+6.42% calibrated to 2000; +1.20% in 2001, +1.20%
/// in 2010 (damped trend)", or "+1.23% calibrated to 2000, and after it" when the damped trend
/// does not move it (one stream, or a trend equal to the common one, or no damping).
fn growth_path(calibrated: f64, calibration_year: i32, next: f64, ten_after: f64) -> String {
    let same = |g: f64| percent_a_year(g) == percent_a_year(calibrated);
    if same(next) && same(ten_after) {
        return format!(
            "{} calibrated to {calibration_year}, and after it",
            percent_a_year(calibrated)
        );
    }
    format!(
        "{} calibrated to {calibration_year}; {} in {}, {} in {} (damped trend)",
        percent_a_year(calibrated),
        percent_a_year(next),
        calibration_year + 1,
        percent_a_year(ten_after),
        calibration_year + 10,
    )
}

/// A yearly growth rate as a signed percentage with two decimals: 0.0644 -> "+6.44%" (issue 22
/// item 16: rates were printed as fractions, "0.0644 per year", beside percentages elsewhere).
pub fn percent_a_year(g: f64) -> String {
    let p = 100.0 * g;
    // No "-0.00%": a rate that rounds to zero is zero.
    if p.abs() < 0.005 {
        "0.00%".to_string()
    } else {
        format!("{p:+.2}%")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_growth_path_says_where_the_trend_goes() {
        assert_eq!(
            super::growth_path(0.0642, 2000, 0.012, 0.012),
            "+6.42% calibrated to 2000; +1.20% in 2001, +1.20% in 2010 (damped trend)"
        );
        assert_eq!(
            super::growth_path(0.0123, 2000, 0.0123, 0.01230000001),
            "+1.23% calibrated to 2000, and after it"
        );
    }

    #[test]
    fn growth_rates_as_percentages() {
        assert_eq!(super::percent_a_year(0.0644), "+6.44%");
        assert_eq!(super::percent_a_year(-0.0108), "-1.08%");
        assert_eq!(super::percent_a_year(-0.00001), "0.00%");
        assert_eq!(super::percent_a_year(0.02), "+2.00%");
    }

    #[test]
    fn grouped_thousands() {
        assert_eq!(super::grouped(154e6), "154,000,000");
        assert_eq!(super::grouped(999.0), "999");
        assert_eq!(super::grouped(1000.0), "1,000");
        assert_eq!(super::grouped(-68440818634.0), "-68,440,818,634");
    }
}
