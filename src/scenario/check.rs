//! Checking a scenario file: walk the TOML tree (parsed with spans) key by key, collect every
//! problem with its location, and build a [`Scenario`] only when there are none.

use std::ops::Range;
use std::path::Path;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::csv_table::read_age_table;
use super::*;
use super::{defaults, reserved_name, ROGERS_CASTRO_DEFAULTS};
use crate::error::{suggest, Diagnostic, SourceFile, SourceSet};
use crate::model::mortality::reachable_e0;

type Value<'i> = Spanned<DeValue<'i>>;
/// Year-keyed points and the span of the table that held them.
type YearPoints = (Vec<(i32, f64)>, Range<usize>);
/// Year-keyed points of each origin group, and the span.
type GroupPoints = (Vec<Vec<(i32, f64)>>, Range<usize>);
/// Year-keyed points of each origin group that has any, and the span.
type OptionalGroupPoints = (Vec<Option<Vec<(i32, f64)>>>, Range<usize>);

/// A table being checked: its dotted path, its entries and where it stands.
#[derive(Clone, Copy)]
struct Table<'a, 'i> {
    path: &'a str,
    entries: &'a DeTable<'i>,
    span: (usize, usize),
}

impl<'a, 'i> Table<'a, 'i> {
    fn get(&self, key: &str) -> Option<&'a Value<'i>> {
        self.entries
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v)
    }

    fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn span(&self) -> Range<usize> {
        self.span.0..self.span.1
    }
}

/// The longest string a scenario may hold (titles, names, revisions, paths).
const MAX_STRING_CHARS: usize = 500;

/// Accepted range of a number, with the words used in messages.
#[derive(Clone, Copy)]
enum Bound {
    Probability,
    Between(f64, f64),
}

impl Bound {
    fn accepts(self, value: f64) -> bool {
        match self {
            Bound::Probability => (0.0..=1.0).contains(&value),
            Bound::Between(lo, hi) => value >= lo && value <= hi,
        }
    }

    fn expected(self) -> String {
        match self {
            Bound::Probability => "a probability in 0..=1".into(),
            Bound::Between(lo, hi) => format!("a number in {}..={}", short(lo), short(hi)),
        }
    }
}

/// A bound as people write it: 1e11 rather than 100000000000, 1e-300 as "0 (exclusive)".
fn short(x: f64) -> String {
    if x > 0.0 && x < 1e-100 {
        "0 (exclusive)".into()
    } else if x.abs() >= 1e6 {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

struct Checker<'f> {
    diagnostics: Vec<Diagnostic>,
    sources: &'f SourceSet,
    /// The folder of each file in `sources`, where its relative paths start.
    dirs: &'f [std::path::PathBuf],
    /// Tables read, for the provenance: `(key, path, sha256)`.
    tables: Vec<(String, std::path::PathBuf, String)>,
    /// The name of every [[region]], valid or not: a reference to a region whose own figures
    /// are wrong is not reported again as naming no region.
    declared_regions: Vec<String>,
}

/// The first few of a list of names, for a message that must not grow with the input.
fn list_some(items: &[String]) -> String {
    const SHOWN: usize = 8;
    let shown: Vec<String> = items
        .iter()
        .take(SHOWN)
        .map(|s| crate::error::clip(s, 40))
        .collect();
    if items.len() > SHOWN {
        format!("{} and {} more", shown.join(", "), items.len() - SHOWN)
    } else {
        shown.join(", ")
    }
}

fn describe(value: &DeValue<'_>) -> String {
    match value {
        DeValue::String(s) => {
            let shown: String = s.chars().take(40).collect();
            let ellipsis = if s.chars().count() > 40 { "..." } else { "" };
            format!("the string \"{shown}{ellipsis}\"")
        }
        DeValue::Integer(i) => format!("the integer {i}"),
        DeValue::Float(f) => format!("the float {f}"),
        DeValue::Boolean(b) => format!("the boolean {b}"),
        DeValue::Datetime(d) => format!("the date-time {d}"),
        DeValue::Array(_) => "an array".into(),
        DeValue::Table(_) => "a table".into(),
    }
}

fn parse_float_text(text: &str) -> Option<f64> {
    let cleaned = text.replace('_', "");
    cleaned.parse::<f64>().ok()
}

fn parse_integer(i: &toml::de::DeInteger<'_>) -> Option<i64> {
    i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok()
}

impl<'f> Checker<'f> {
    /// Resolves a path written at `span` relative to the file that holds it.
    fn resolve(&self, span: &Range<usize>, relative: &str) -> std::path::PathBuf {
        let index = self
            .sources
            .files
            .iter()
            .rposition(|(_, base)| *base <= span.start)
            .unwrap_or(0);
        self.dirs[index].join(relative)
    }

    fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::at(span, message));
    }

    fn missing(&mut self, table: &Table<'_, '_>, key: &str, what: &str) {
        // A misspelt key that suggests this one is reported as unknown, with the suggestion.
        if table.entries.iter().any(|(k, _)| {
            k.get_ref().as_ref() != key && suggest(k.get_ref().as_ref(), &[key]).is_some()
        }) {
            return;
        }
        let span = table.span();
        let span = span.start..span.start + 1;
        if table.path.is_empty() {
            self.diagnostics
                .push(Diagnostic::whole_file(format!("missing `{key}`: {what}")));
        } else {
            self.error(
                span,
                format!("missing key `{}`: {what}", table.key_path(key)),
            );
        }
    }

    /// Reports every key of `table` not in `allowed`, with a suggestion when one is close.
    fn unknown_keys(&mut self, table: &Table<'_, '_>, allowed: &[&str]) {
        self.unknown_keys_listing(table, allowed, allowed);
    }

    /// As [`Self::unknown_keys`], but keys in `known` (reported by the caller) pass, and only
    /// `allowed` is suggested.
    fn unknown_keys_listing(&mut self, table: &Table<'_, '_>, known: &[&str], allowed: &[&str]) {
        for (key, _) in table.entries.iter() {
            let name = key.get_ref().as_ref();
            if known.contains(&name) {
                continue;
            }
            let where_ = if table.path.is_empty() {
                "at the top level".to_string()
            } else {
                format!("in `{}`", table.path)
            };
            let mut diagnostic = Diagnostic::at(
                key.span(),
                match suggest(name, allowed) {
                    Some(s) => format!("unknown key `{name}` {where_}; did you mean `{s}`?"),
                    None => format!("unknown key `{name}` {where_}"),
                },
            );
            diagnostic =
                diagnostic.with_help(format!("the keys allowed here are: {}", allowed.join(", ")));
            self.diagnostics.push(diagnostic);
        }
    }

    /// A sub-table (`[x]` or an inline table).
    fn table<'a, 'i>(
        &mut self,
        parent: &Table<'a, 'i>,
        key: &str,
        path: &'a str,
        required: Option<&str>,
    ) -> Option<Table<'a, 'i>> {
        match parent.get(key) {
            None => {
                if let Some(what) = required {
                    self.missing(parent, key, what);
                }
                None
            }
            Some(value) => match value.get_ref() {
                DeValue::Table(entries) => Some(Table {
                    path,
                    entries,
                    span: (value.span().start, value.span().end),
                }),
                other => {
                    self.error(
                        value.span(),
                        format!("`{path}` must be a table, found {}", describe(other)),
                    );
                    None
                }
            },
        }
    }

    /// A sub-table with only optional keys: the table, or an empty one (every key then takes
    /// its default) when it is absent or of the wrong type (an error is then recorded).
    fn table_or_empty<'a, 'i>(
        &mut self,
        parent: &Table<'a, 'i>,
        key: &str,
        path: &'a str,
        empty: &'a DeTable<'i>,
    ) -> Table<'a, 'i> {
        self.table(parent, key, path, None).unwrap_or(Table {
            path,
            entries: empty,
            span: parent.span,
        })
    }

    /// A number (integer or float) with its span; None (and an error) when of the wrong type.
    fn number_value(&mut self, path: &str, value: &Value<'_>) -> Option<f64> {
        let number = match value.get_ref() {
            DeValue::Integer(i) => parse_integer(i).map(|v| v as f64),
            DeValue::Float(f) => parse_float_text(f.as_str()),
            other => {
                self.error(
                    value.span(),
                    format!("`{path}` must be a number, found {}", describe(other)),
                );
                return None;
            }
        };
        match number {
            Some(v) if v.is_finite() => Some(v),
            _ => {
                let text = match value.get_ref() {
                    DeValue::Float(f) => f.as_str().to_string(),
                    DeValue::Integer(i) => i.to_string(),
                    _ => String::new(),
                };
                self.error(
                    value.span(),
                    format!("`{path}` must be a finite number, found {text}"),
                );
                None
            }
        }
    }

    fn bounded_value(&mut self, path: &str, value: &Value<'_>, bound: Bound) -> Option<f64> {
        let number = self.number_value(path, value)?;
        if !bound.accepts(number) {
            self.error(
                value.span(),
                format!("`{path}` must be {}, found {number}", bound.expected()),
            );
            return None;
        }
        Some(number)
    }

    /// A number under `key`, with a default when absent (`None` default: required).
    fn number(
        &mut self,
        table: &Table<'_, '_>,
        key: &str,
        default: Option<f64>,
        bound: Bound,
        what: &str,
    ) -> Option<f64> {
        match table.get(key) {
            None => {
                if default.is_none() {
                    self.missing(table, key, what);
                }
                default
            }
            Some(value) => self.bounded_value(&table.key_path(key), value, bound),
        }
    }

    fn integer_value(
        &mut self,
        path: &str,
        value: &Value<'_>,
        lo: i64,
        hi: i64,
        what: &str,
    ) -> Option<i64> {
        match value.get_ref() {
            DeValue::Integer(i) => match parse_integer(i) {
                Some(v) if v >= lo && v <= hi => Some(v),
                _ => {
                    self.error(
                        value.span(),
                        format!("`{path}` must be {what} in {lo}..={hi}, found {i}"),
                    );
                    None
                }
            },
            other => {
                self.error(
                    value.span(),
                    format!(
                        "`{path}` must be {what} (a whole number), found {}",
                        describe(other)
                    ),
                );
                None
            }
        }
    }

    fn integer(
        &mut self,
        table: &Table<'_, '_>,
        key: &str,
        default: Option<i64>,
        lo: i64,
        hi: i64,
        what: &str,
    ) -> Option<i64> {
        match table.get(key) {
            None => {
                if default.is_none() {
                    self.missing(table, key, what);
                }
                default
            }
            Some(value) => self.integer_value(&table.key_path(key), value, lo, hi, what),
        }
    }

    fn string_value(&mut self, path: &str, value: &Value<'_>) -> Option<String> {
        match value.get_ref() {
            // Strings reach terminals, SVG, HTML and CSV: no control characters, and a length
            // no label needs (paths and titles included).
            DeValue::String(s) if s.chars().count() > MAX_STRING_CHARS => {
                self.error(
                    value.span(),
                    format!(
                        "`{path}` is {} characters long; at most {MAX_STRING_CHARS} are accepted",
                        s.chars().count()
                    ),
                );
                None
            }
            DeValue::String(s) if s.chars().any(|c| c.is_control() && c != '\t') => {
                let c = s
                    .chars()
                    .find(|c| c.is_control() && *c != '\t')
                    .unwrap_or('\0');
                self.error(
                    value.span(),
                    format!(
                        "`{path}` holds the control character U+{:04X}; write plain text (no line breaks, escapes or NUL)",
                        c as u32
                    ),
                );
                None
            }
            DeValue::String(s) => Some(s.to_string()),
            other => {
                self.error(
                    value.span(),
                    format!("`{path}` must be a string, found {}", describe(other)),
                );
                None
            }
        }
    }

    fn string(
        &mut self,
        table: &Table<'_, '_>,
        key: &str,
        required: Option<&str>,
    ) -> Option<(String, Range<usize>)> {
        match table.get(key) {
            None => {
                if let Some(what) = required {
                    self.missing(table, key, what);
                }
                None
            }
            Some(value) => self
                .string_value(&table.key_path(key), value)
                .map(|s| (s, value.span())),
        }
    }

    /// A growth rate: a number in `lo..=hi` or the string "calibrated".
    fn growth(&mut self, table: &Table<'_, '_>, key: &str, lo: f64, hi: f64) -> Option<Growth> {
        let path = table.key_path(key);
        match table.get(key) {
            None => Some(Growth::Calibrated),
            Some(value) => match value.get_ref() {
                DeValue::String(s) if s.as_ref() == "calibrated" => Some(Growth::Calibrated),
                DeValue::String(s) => {
                    self.error(value.span(), format!("`{path}` must be \"calibrated\" or a number per year in {lo}..={hi}, found the string \"{s}\""));
                    None
                }
                DeValue::Integer(_) | DeValue::Float(_) => self
                    .bounded_value(&path, value, Bound::Between(lo, hi))
                    .map(Growth::Fixed),
                other => {
                    self.error(
                        value.span(),
                        format!(
                            "`{path}` must be \"calibrated\" or a number per year, found {}",
                            describe(other)
                        ),
                    );
                    None
                }
            },
        }
    }

    /// A table keyed by year: `{ 1990 = 154e6, 2000 = 175e6 }`, sorted by year.
    fn year_table(
        &mut self,
        table: &Table<'_, '_>,
        key: &str,
        bound: Bound,
        required: Option<&str>,
    ) -> Option<YearPoints> {
        let path = table.key_path(key);
        let value = match table.get(key) {
            None => {
                if let Some(what) = required {
                    self.missing(table, key, what);
                }
                return None;
            }
            Some(value) => value,
        };
        let DeValue::Table(entries) = value.get_ref() else {
            self.error(value.span(), format!("`{path}` must be a table of years, like {{ 1990 = 1.5, 2000 = 2.5 }}, found {}", describe(value.get_ref())));
            return None;
        };
        let mut points = Vec::new();
        let mut ok = true;
        for (year_key, v) in entries.iter() {
            let year_text = year_key.get_ref().as_ref();
            let entry_path = format!("{path}.{year_text}");
            let year = match year_text.parse::<i32>() {
                Ok(y) if (1000..=3000).contains(&y) => y,
                _ => {
                    self.error(
                        year_key.span(),
                        format!(
                            "`{path}` is keyed by year (1000..=3000), found the key `{year_text}`"
                        ),
                    );
                    ok = false;
                    continue;
                }
            };
            match self.bounded_value(&entry_path, v, bound) {
                Some(x) => points.push((year, x)),
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        if points.is_empty() {
            self.error(value.span(), format!("`{path}` needs at least one year"));
            return None;
        }
        points.sort_by_key(|p| p.0);
        Some((points, value.span()))
    }

    /// The array of tables `[[key]]` (each element checked to be a table).
    fn array_of_tables<'a, 'i>(
        &mut self,
        parent: &Table<'a, 'i>,
        key: &str,
    ) -> Vec<(usize, &'a DeTable<'i>, Range<usize>)> {
        let path = parent.key_path(key);
        let Some(value) = parent.get(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.error(
                value.span(),
                format!(
                    "`{path}` must be an array of tables ([[{path}]]), found {}",
                    describe(value.get_ref())
                ),
            );
            return Vec::new();
        };
        let mut tables = Vec::new();
        for (index, item) in items.iter().enumerate() {
            match item.get_ref() {
                DeValue::Table(t) => tables.push((index, t, item.span())),
                other => self.error(
                    item.span(),
                    format!(
                        "`{path}[{index}]` must be a table, found {}",
                        describe(other)
                    ),
                ),
            }
        }
        tables
    }

    /// A region name that must be one of the scenario's regions.
    /// An `origin = "..."` reference: the index of the group.
    fn origin_ref(&mut self, path: &str, value: &Value<'_>, origins: &[String]) -> Option<usize> {
        let name = self.string_value(path, value)?;
        if origins.is_empty() {
            self.diagnostics.push(
                Diagnostic::at(value.span(), format!("`{path}` names an origin group, but the scenario has no `[origins]`"))
                    .with_help("declare the groups first: [origins] groups = [\"Low and middle income\", \"High income\"]"),
            );
            return None;
        }
        if let Some(index) = origins.iter().position(|o| *o == name) {
            return Some(index);
        }
        let candidates: Vec<&str> = origins.iter().map(String::as_str).collect();
        let hint = suggest(&name, &candidates)
            .map(|s| format!("; did you mean \"{s}\"?"))
            .unwrap_or_else(|| format!(" (groups: {})", list_some(origins)));
        self.error(
            value.span(),
            format!("`{path}` names no origin group of `[origins]`: \"{name}\"{hint}"),
        );
        None
    }

    /// With `[origins]`: a table of years whose values are tables of origin group -> number,
    /// `{ 1990 = { "A" = 1, "B" = 2 }, 2000 = { ... } }`; returns `[group][(year, value)]`
    /// (every group present in every year given) and the span.
    fn year_group_table(
        &mut self,
        table: &Table<'_, '_>,
        key: &str,
        bound: Bound,
        origins: &[String],
        what: &str,
    ) -> Option<GroupPoints> {
        let path = table.key_path(key);
        let Some(value) = table.get(key) else {
            self.missing(table, key, what);
            return None;
        };
        let example = format!(
            "{{ 1990 = {{ \"{}\" = ... }}, 2000 = {{ ... }} }}",
            origins.first().map(String::as_str).unwrap_or("group")
        );
        let DeValue::Table(entries) = value.get_ref() else {
            self.error(value.span(), format!("`{path}` must be a table of years, each a table of origin groups, like {example}, found {}", describe(value.get_ref())));
            return None;
        };
        let mut by_group: Vec<Vec<(i32, f64)>> = vec![Vec::new(); origins.len()];
        let mut ok = true;
        for (year_key, v) in entries.iter() {
            let year_text = year_key.get_ref().as_ref();
            let year = match year_text.parse::<i32>() {
                Ok(y) if (1000..=3000).contains(&y) => y,
                _ => {
                    self.error(
                        year_key.span(),
                        format!(
                            "`{path}` is keyed by year (1000..=3000), found the key `{year_text}`"
                        ),
                    );
                    ok = false;
                    continue;
                }
            };
            let DeValue::Table(groups) = v.get_ref() else {
                self.diagnostics.push(
                    Diagnostic::at(v.span(), format!("`{path}.{year}` must be a table of origin groups (the scenario has `[origins]`), like {example}, found {}", describe(v.get_ref())))
                        .with_help("with [origins], every figure is given by origin group"),
                );
                ok = false;
                continue;
            };
            for (group_key, x) in groups.iter() {
                let group = group_key.get_ref().as_ref();
                let Some(g) = origins.iter().position(|o| o == group) else {
                    let candidates: Vec<&str> = origins.iter().map(String::as_str).collect();
                    let hint = suggest(group, &candidates)
                        .map(|s| format!("; did you mean \"{s}\"?"))
                        .unwrap_or_else(|| format!(" (groups: {})", list_some(origins)));
                    self.error(group_key.span(), format!("`{path}.{year}` names no origin group of `[origins]`: \"{group}\"{hint}"));
                    ok = false;
                    continue;
                };
                match self.bounded_value(&format!("{path}.{year}.{group}"), x, bound) {
                    Some(x) => by_group[g].push((year, x)),
                    None => ok = false,
                }
            }
        }
        if !ok {
            return None;
        }
        for points in &mut by_group {
            points.sort_by_key(|p| p.0);
        }
        Some((by_group, value.span()))
    }

    /// With `[origins]`: a table of origin groups, each a table of years,
    /// `{ "A" = { 1990 = 1, 2000 = 2 }, ... }`; groups left out are `None`.
    fn group_year_table(
        &mut self,
        table: &Table<'_, '_>,
        key: &str,
        bound: Bound,
        origins: &[String],
    ) -> Option<OptionalGroupPoints> {
        let path = table.key_path(key);
        let value = table.get(key)?;
        let DeValue::Table(entries) = value.get_ref() else {
            self.error(value.span(), format!("`{path}` must be a table of origin groups, each a table of years, like {{ \"{}\" = {{ 1990 = ..., 2000 = ... }} }}, found {}", origins.first().map(String::as_str).unwrap_or("group"), describe(value.get_ref())));
            return None;
        };
        let mut out: Vec<Option<Vec<(i32, f64)>>> = vec![None; origins.len()];
        let mut ok = true;
        for (group_key, _) in entries.iter() {
            let group = group_key.get_ref().as_ref();
            let Some(g) = origins.iter().position(|o| o == group) else {
                if group.parse::<i32>().is_ok() {
                    self.diagnostics.push(
                        Diagnostic::at(group_key.span(), format!("`{path}` is keyed by origin group (the scenario has `[origins]`), found the year `{group}`"))
                            .with_help(format!("give each group's figures: {path} = {{ \"{}\" = {{ 1990 = ..., 2000 = ... }} }}", origins[0])),
                    );
                } else {
                    let candidates: Vec<&str> = origins.iter().map(String::as_str).collect();
                    let hint = suggest(group, &candidates)
                        .map(|s| format!("; did you mean \"{s}\"?"))
                        .unwrap_or_else(|| format!(" (groups: {})", list_some(origins)));
                    self.error(
                        group_key.span(),
                        format!("`{path}` names no origin group of `[origins]`: \"{group}\"{hint}"),
                    );
                }
                ok = false;
                continue;
            };
            let inner = Table {
                path: &path,
                entries,
                span: (value.span().start, value.span().end),
            };
            match self.year_table(&inner, group, bound, None) {
                Some((points, _)) => out[g] = Some(points),
                None => ok = false,
            }
        }
        ok.then_some((out, value.span()))
    }

    fn region_ref(&mut self, path: &str, value: &Value<'_>, regions: &[String]) -> Option<usize> {
        let name = self.string_value(path, value)?;
        if let Some(index) = regions.iter().position(|r| *r == name) {
            return Some(index);
        }
        if self.declared_regions.contains(&name) {
            // The region exists; its own problems are reported where it is declared.
            return None;
        }
        let candidates: Vec<&str> = regions.iter().map(String::as_str).collect();
        let message = match suggest(&name, &candidates) {
            Some(s) => format!(
                "`{path}` names no region of this scenario: \"{name}\"; did you mean \"{s}\"?"
            ),
            None => format!(
                "`{path}` names no region of this scenario: \"{}\" (regions: {})",
                crate::error::clip(&name, 60),
                list_some(regions)
            ),
        };
        self.error(value.span(), message);
        None
    }
}

/// Checks a scenario file's text. `base_dir` is where relative paths start. Diagnostics are
/// located in the file's own offsets when it extends no other file; see [`check_scenario`].
pub fn check_scenario_text(
    file: &SourceFile,
    base_dir: &Path,
) -> Result<Scenario, Vec<Diagnostic>> {
    check_scenario(file, base_dir).1
}

/// Size bounds of a scenario (README, "Limits"): with the largest, a deterministic run with
/// charts stays within about 2 GB of memory.
pub const MAX_REGIONS: usize = 500;
pub const MAX_ORIGIN_GROUPS: usize = 20;
pub const MAX_STREAMS: usize = 2000;

/// The longest chain of `extends` accepted.
const MAX_EXTENDS: usize = 16;

fn toml_error(err: toml::de::Error, base: usize, text: &str) -> Diagnostic {
    let span = err.span().unwrap_or(0..0);
    let message = err.message().trim().replace('\n', "; ");
    let mut diagnostic = Diagnostic::at(
        base + span.start..base + span.end,
        format!("this is not valid TOML: {message}"),
    );
    // A number written with thousands separators (70,800,000) on the line of the error.
    let line_start = text[..span.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |i| line_start + i);
    let line = &text[line_start..line_end];
    let bytes = line.as_bytes();
    let grouped = (1..bytes.len().saturating_sub(3)).find(|&i| {
        bytes[i] == b','
            && bytes[i - 1].is_ascii_digit()
            && bytes[i + 1..i + 4].iter().all(u8::is_ascii_digit)
            && bytes.get(i + 4).is_none_or(|b| !b.is_ascii_digit())
    });
    if let Some(i) = grouped {
        let start = line[..i]
            .rfind(|c: char| !c.is_ascii_digit() && c != ',')
            .map_or(0, |j| j + 1);
        let end = line[i..]
            .find(|c: char| !c.is_ascii_digit() && c != ',')
            .map_or(line.len(), |j| i + j);
        // The number, without the comma that separates it from the next item.
        let written = line[start..end].trim_end_matches(',');
        let plain = written.replace(',', "");
        // The same digits in exponent form (exact: 56858793 is 5.6858793e7).
        let digits = plain.trim_start_matches('0');
        let scientific = if digits.len() >= 5 && digits.bytes().all(|b| b.is_ascii_digit()) {
            let significant = digits.trim_end_matches('0');
            let mantissa = if significant.len() > 1 {
                format!("{}.{}", &significant[..1], &significant[1..])
            } else {
                significant.to_string()
            };
            format!(" or `{mantissa}e{}`", digits.len() - 1)
        } else {
            String::new()
        };
        return diagnostic.with_help(format!(
            "TOML numbers have no thousands commas: write `{written}` as `{plain}`, `{}`{scientific}",
            written.replace(',', "_")
        ));
    }
    if message.contains("inline table") {
        diagnostic = diagnostic
            .with_help("an inline table `{ ... }` must close with `}` on the line where it opens");
    }
    diagnostic
}

/// Reads the chain of files that `file` extends (`scenario.extends`, relative to the file
/// that names it) into one source set: file 0 is the scenario, then its parent, and so on.
fn read_chain(
    file: &SourceFile,
    base_dir: &Path,
) -> (SourceSet, Vec<std::path::PathBuf>, Vec<Diagnostic>) {
    let mut sources = SourceSet::single(file.clone());
    let mut dirs = vec![base_dir.to_path_buf()];
    let mut seen: Vec<std::path::PathBuf> =
        vec![std::fs::canonicalize(&file.path).unwrap_or_else(|_| file.path.clone())];
    let mut diagnostics = Vec::new();
    loop {
        let k = sources.files.len() - 1;
        let (current, base) = (sources.files[k].0.clone(), sources.files[k].1);
        let root = match DeTable::parse(&current.text) {
            Ok(root) => root,
            Err(err) => {
                diagnostics.push(toml_error(err, base, &current.text));
                break;
            }
        };
        let scenario = root
            .get_ref()
            .iter()
            .find(|(key, _)| key.get_ref().as_ref() == "scenario")
            .map(|(_, v)| v);
        let Some(DeValue::Table(header)) = scenario.map(|v| v.get_ref()) else {
            break;
        };
        let has_name = header
            .iter()
            .any(|(key, _)| key.get_ref().as_ref() == "name");
        let Some((_, extends)) = header
            .iter()
            .find(|(key, _)| key.get_ref().as_ref() == "extends")
        else {
            break;
        };
        let span = base + extends.span().start..base + extends.span().end;
        let DeValue::String(relative) = extends.get_ref() else {
            diagnostics.push(Diagnostic::at(
                span,
                format!(
                    "`scenario.extends` must be the path of another scenario file, found {}",
                    describe(extends.get_ref())
                ),
            ));
            break;
        };
        if k == 0 && !has_name {
            diagnostics.push(
                Diagnostic::at(
                    span.clone(),
                    "a scenario that extends another must set its own `scenario.name`",
                )
                .with_help("otherwise its outputs would replace those of the scenario it extends"),
            );
        }
        if sources.files.len() > MAX_EXTENDS {
            diagnostics.push(Diagnostic::at(
                span,
                format!("`scenario.extends` chains more than {MAX_EXTENDS} files"),
            ));
            break;
        }
        if let Err(problem) = path_policy(relative, "toml") {
            diagnostics.push(Diagnostic::at(
                span,
                format!("`scenario.extends`: {problem}"),
            ));
            break;
        }
        let parent_path = dirs[k].join(relative.as_ref());
        let canonical = std::fs::canonicalize(&parent_path).unwrap_or_else(|_| parent_path.clone());
        if let Some(first) = seen.iter().position(|p| *p == canonical) {
            let chain: Vec<String> = sources.files[first..]
                .iter()
                .map(|(f, _)| f.path.display().to_string())
                .chain([parent_path.display().to_string()])
                .collect();
            diagnostics.push(Diagnostic::at(
                span,
                format!(
                    "`scenario.extends` makes a cycle: {}",
                    chain.join(" extends ")
                ),
            ));
            break;
        }
        let text = match super::read_regular_file(&parent_path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => {
                    diagnostics.push(Diagnostic::at(
                        span,
                        format!(
                            "`scenario.extends`: `{}` is not UTF-8 text",
                            parent_path.display()
                        ),
                    ));
                    break;
                }
            },
            Err(err) => {
                let reason = if err.kind() == std::io::ErrorKind::NotFound {
                    "no such file".to_string()
                } else {
                    err.to_string()
                };
                diagnostics.push(Diagnostic::at(
                    span,
                    format!(
                        "`scenario.extends`: cannot read `{}`: {reason}",
                        parent_path.display()
                    ),
                ));
                break;
            }
        };
        dirs.push(
            parent_path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        );
        seen.push(canonical);
        sources.add(SourceFile::new(parent_path, text));
    }
    (sources, dirs, diagnostics)
}

/// The path policy of scenario files (README, "Paths in scenarios"): a path is relative to
/// the folder of the file that names it (`..` may reach a sibling folder), never absolute, so
/// that a scenario folder can be moved and shared whole; `extends` names a `.toml` file and a
/// table a `.csv` file, so that no other kind of file is ever read, or quoted in an error.
fn path_policy(path: &str, extension: &str) -> Result<(), String> {
    let as_path = Path::new(path);
    if path.trim().is_empty() {
        return Err(format!(
            "expected the path of a .{extension} file, found an empty string"
        ));
    }
    if as_path.is_absolute() || path.starts_with('~') {
        return Err(format!(
            "\"{}\" is an absolute path; give a path relative to the folder of this scenario file (for example \"data/table.{extension}\" or \"../data/table.{extension}\")",
            crate::error::clip(path, 80)
        ));
    }
    if !as_path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(extension))
    {
        return Err(format!(
            "\"{}\" must name a .{extension} file",
            crate::error::clip(path, 80)
        ));
    }
    Ok(())
}

/// Rebuilds a parsed value with every span shifted by `offset`.
fn shift<'i>(value: Spanned<DeValue<'i>>, offset: usize) -> Spanned<DeValue<'i>> {
    let span = value.span();
    let shifted = match value.into_inner() {
        DeValue::Table(table) => DeValue::Table(shift_table(table, offset)),
        DeValue::Array(array) => {
            let mut out = toml::de::DeArray::new();
            for item in array.iter().cloned() {
                out.push(shift(item, offset));
            }
            DeValue::Array(out)
        }
        other => other,
    };
    Spanned::new(span.start + offset..span.end + offset, shifted)
}

fn shift_table<'i>(table: DeTable<'i>, offset: usize) -> DeTable<'i> {
    let mut out = DeTable::new();
    for (key, value) in table {
        let span = key.span();
        out.insert(
            Spanned::new(span.start + offset..span.end + offset, key.into_inner()),
            shift(value, offset),
        );
    }
    out
}

/// Whether a table stands for one value as a whole and so replaces, rather than merges with,
/// the parent's: a table keyed by years (`stock`, `cost`, `points`, a comparison series) or
/// one that names its form (`model` of a propensity, `table` of an age schedule).
fn replaces_whole(table: &DeTable<'_>) -> bool {
    let keys: Vec<&str> = table.keys().map(|k| k.get_ref().as_ref()).collect();
    (!keys.is_empty() && keys.iter().all(|k| k.parse::<i64>().is_ok()))
        || keys.contains(&"model")
        || keys.contains(&"table")
}

/// Deep-merges `child` into `parent`: tables merge key by key, anything else (numbers,
/// strings, arrays, arrays of tables, and the tables of [`replaces_whole`]) replaces the
/// parent's value.
pub(crate) fn merge<'i>(parent: &mut DeTable<'i>, child: DeTable<'i>) {
    for (key, value) in child {
        let both_tables = matches!(value.get_ref(), DeValue::Table(t) if !replaces_whole(t))
            && matches!(
                parent.get(&key).map(|v| v.get_ref()),
                Some(DeValue::Table(_))
            );
        if both_tables {
            let span = value.span();
            let DeValue::Table(child_table) = value.into_inner() else {
                unreachable!()
            };
            if let Some(existing) = parent.get_mut(&key) {
                if let DeValue::Table(parent_table) = existing.get_mut() {
                    merge(parent_table, child_table);
                }
                // The merged table is located where the child states it.
                let inner = std::mem::replace(existing.get_mut(), DeValue::Boolean(false));
                *existing = Spanned::new(span, inner);
            }
        } else {
            match parent.get_mut(&key) {
                Some(existing) => *existing = value,
                None => {
                    parent.insert(key, value);
                }
            }
        }
    }
}

/// Checks a scenario and the files it extends. Returns the files read (for rendering the
/// diagnostics, whose spans are offsets into that set) and the scenario or every problem.
pub fn check_scenario(
    file: &SourceFile,
    base_dir: &Path,
) -> (SourceSet, Result<Scenario, Vec<Diagnostic>>) {
    let (sources, dirs, chain_problems) = read_chain(file, base_dir);
    if !chain_problems.is_empty() {
        return (sources, Err(chain_problems));
    }
    // Parse every file of the chain (all parse: read_chain parsed them), oldest first.
    let mut merged: Option<DeTable<'_>> = None;
    for (source, base) in sources.files.iter().rev() {
        let Ok(root) = DeTable::parse(&source.text) else {
            continue;
        };
        let table = shift_table(root.into_inner(), *base);
        match &mut merged {
            None => merged = Some(table),
            Some(parent) => merge(parent, table),
        }
    }
    let mut root = merged.unwrap_or_default();
    if let Some(DeValue::Table(header)) = root
        .iter_mut()
        .find(|(k, _)| k.get_ref().as_ref() == "scenario")
        .map(|(_, v)| v.get_mut())
    {
        let extends_key = header
            .keys()
            .find(|k| k.get_ref().as_ref() == "extends")
            .cloned();
        if let Some(key) = extends_key {
            header.remove(&key);
        }
    }
    let mut checker = Checker {
        diagnostics: Vec::new(),
        sources: &sources,
        dirs: &dirs,
        tables: Vec::new(),
        declared_regions: Vec::new(),
    };
    let root_table = Table {
        path: "",
        entries: &root,
        span: (0, 0),
    };
    let scenario = check_root(&mut checker, &root_table).map(|mut scenario| {
        scenario.tables = std::mem::take(&mut checker.tables);
        scenario
    });
    let result = match scenario {
        Some(scenario) if checker.diagnostics.is_empty() => Ok(scenario),
        _ => {
            if checker.diagnostics.is_empty() {
                checker
                    .diagnostics
                    .push(Diagnostic::whole_file("the scenario is incomplete"));
            }
            checker
                .diagnostics
                .sort_by_key(|d| d.span.as_ref().map_or(0, |s| s.start));
            Err(checker.diagnostics)
        }
    };
    (sources, result)
}

const ROOT_KEYS: [&str; 11] = [
    "scenario",
    "region",
    "world_population",
    "mortality",
    "departure",
    "arrivals",
    "remittances",
    "comparison",
    "uncertainty",
    "warnings",
    "origins",
];

struct Years {
    base: i32,
    calibration: i32,
    end: i32,
}

fn check_root(c: &mut Checker<'_>, root: &Table<'_, '_>) -> Option<Scenario> {
    c.unknown_keys(root, &ROOT_KEYS);

    // [scenario]
    let header = c.table(
        root,
        "scenario",
        "scenario",
        Some(
            "a [scenario] table with name, base_year, calibration_year, end_year and data_revision",
        ),
    );
    let mut name = None;
    let mut title = None;
    let mut data_revision = None;
    let mut years = None;
    let mut max_duration = None;
    if let Some(t) = &header {
        c.unknown_keys(
            t,
            &[
                "name",
                "title",
                "base_year",
                "calibration_year",
                "end_year",
                "data_revision",
                "max_duration",
                "extends",
            ],
        );
        if let Some((n, span)) = c.string(
            t,
            "name",
            Some("the output folder name (a-z, 0-9, '-', '_')"),
        ) {
            if n.is_empty()
                || n.len() > 64
                || !n.chars().all(|ch| {
                    ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '_'
                })
            {
                c.error(span, format!("`scenario.name` must be 1 to 64 characters from a-z, 0-9, '-', '_' (it names the output folder), found \"{n}\""));
            } else if reserved_name(&n) {
                c.error(span, format!("`scenario.name` \"{n}\" would collide with the output folder of `migproj compare`, `estimate` or `hindcast`; choose another name"));
            } else {
                name = Some(n);
            }
        }
        title = c.string(t, "title", None).map(|s| s.0);
        data_revision = c.string(t, "data_revision", Some("the data revision the figures come from, printed on every output (\"IMR 2002\", say)")).map(|s| s.0);
        let base = c.integer(t, "base_year", None, 1000, 3000, "a year");
        let calibration = c.integer(t, "calibration_year", None, 1000, 3000, "a year");
        let end = c.integer(t, "end_year", None, 1000, 3000, "a year");
        max_duration = c
            .integer(
                t,
                "max_duration",
                Some(50),
                1,
                200,
                "the last duration group in years",
            )
            .map(|v| v as usize);
        if let (Some(base), Some(calibration), Some(end)) = (base, calibration, end) {
            let span_of = |key: &str| t.get(key).map(|v| v.span()).unwrap_or(t.span());
            if calibration <= base {
                c.error(span_of("calibration_year"), format!("`scenario.calibration_year` ({calibration}) must come after `scenario.base_year` ({base})"));
            } else if end < base {
                c.error(
                    span_of("end_year"),
                    format!("`scenario.end_year` ({end}) is before `scenario.base_year` ({base})"),
                );
            } else if end < calibration {
                c.error(span_of("end_year"), format!("`scenario.end_year` ({end}) must not be before `scenario.calibration_year` ({calibration})"));
            } else if end - base > 1000 {
                c.error(span_of("end_year"), format!("`scenario.end_year` ({end}) is more than 1000 years after `scenario.base_year` ({base})"));
            } else {
                years = Some(Years {
                    base: base as i32,
                    calibration: calibration as i32,
                    end: end as i32,
                });
            }
        }
    }

    // [origins] and [[region]]
    let origins = check_origins(c, root);
    let regions = check_regions(c, root, years.as_ref(), &origins);
    let region_names: Vec<String> = regions.iter().map(|(r, _)| r.name.clone()).collect();

    // [world_population]
    let world_population = c
        .table(
            root,
            "world_population",
            "world_population",
            Some("a [world_population] table with `points = { year = persons }`"),
        )
        .and_then(|t| {
            c.unknown_keys(&t, &["points"]);
            c.year_table(
                &t,
                "points",
                Bound::Between(1.0, 1e12),
                Some("world population by year, persons"),
            )
        })
        .map(|(points, _)| {
            points
                .into_iter()
                .map(|(y, v)| (f64::from(y), v))
                .collect::<Vec<_>>()
        });

    let mortality = check_mortality(c, root, years.as_ref());
    let departure = check_departure(c, root, &region_names, &origins);
    let arrivals = check_arrivals(c, root, years.as_ref(), &regions, &region_names, &origins);
    let remittances = check_remittances(c, root, years.as_ref(), &origins);
    let comparison = check_comparison(c, root, &origins);
    let uncertainty = check_uncertainty(
        c,
        root,
        years.as_ref(),
        &region_names,
        &origins,
        &comparison,
    );
    let warnings = check_warnings(c, root);

    let years = years?;
    let (mortality, life_expectancy_span) = mortality?;
    let (remittances, received_span) = remittances?;
    if regions.is_empty() {
        return None;
    }
    // Impossible figures: more migrants than people.
    if let Some(points) = &world_population {
        for (year, total) in [
            (
                years.base,
                regions
                    .iter()
                    .map(|(r, _)| r.stock_base_persons)
                    .sum::<f64>(),
            ),
            (
                years.calibration,
                regions
                    .iter()
                    .map(|(r, _)| r.stock_calibration_persons)
                    .sum::<f64>(),
            ),
        ] {
            let population = crate::model::series::log_linear_extended(points, f64::from(year));
            if total > population {
                let span = regions[0].1.clone();
                c.diagnostics.push(
                    Diagnostic::at(
                        span,
                        format!(
                            "the migrant stocks add up to {} persons in {year}, more than the world population of {} there (`[world_population] points`)",
                            crate::output::tables::grouped(total),
                            crate::output::tables::grouped(population)
                        ),
                    )
                    .with_help("stocks are in persons (70_800_000 or 70.8e6 for 70.8 million); check the stocks and the world population"),
                );
                return None;
            }
        }
    }
    Some(Scenario {
        origins,
        name: name.clone()?,
        title: title.or(name)?,
        base_year: years.base,
        calibration_year: years.calibration,
        end_year: years.end,
        data_revision: data_revision?,
        max_duration: max_duration?,
        tables: Vec::new(),
        spans: KeySpans {
            region_stock: regions.iter().map(|(_, span)| span.clone()).collect(),
            life_expectancy: life_expectancy_span,
            remittances_received: Some(received_span),
            remittances_propensity: remittance_key_span(root, "propensity"),
            remittances_age_range: remittance_key_span(root, "age_range"),
        },
        regions: regions.into_iter().map(|(r, _)| r).collect(),
        world_population: world_population?,
        mortality,
        departure: departure?,
        arrivals: arrivals?,
        remittances,
        comparison: comparison?,
        uncertainty: uncertainty?,
        warnings: warnings?,
    })
}

/// `[warnings]`: the thresholds of the plausibility warnings (docs/model.md, "Plausibility
/// warnings"); every key optional.
fn check_warnings(c: &mut Checker<'_>, root: &Table<'_, '_>) -> Option<WarningThresholds> {
    let empty = DeTable::new();
    let t = c.table_or_empty(root, "warnings", "warnings", &empty);
    c.unknown_keys(
        &t,
        &[
            "share_of_world",
            "stock_growth",
            "stock_decline",
            "band_ratio",
        ],
    );
    let d = WarningThresholds::default();
    let share_of_world = c.number(
        &t,
        "share_of_world",
        Some(d.share_of_world),
        Bound::Probability,
        "",
    );
    let stock_growth = c.number(
        &t,
        "stock_growth",
        Some(d.stock_growth),
        Bound::Between(1.0, 1e6),
        "",
    );
    let stock_decline = c.number(
        &t,
        "stock_decline",
        Some(d.stock_decline),
        Bound::Probability,
        "",
    );
    let band_ratio = c.number(
        &t,
        "band_ratio",
        Some(d.band_ratio),
        Bound::Between(1.0, 1e12),
        "",
    );
    Some(WarningThresholds {
        share_of_world: share_of_world?,
        stock_growth: stock_growth?,
        stock_decline: stock_decline?,
        band_ratio: band_ratio?,
    })
}

/// A table keyed by year that must hold exactly the base and calibration years.
fn two_figures(
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
fn base_and_calibration(
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

/// Where `remittances.<key>` stands, when given.
fn remittance_key_span(root: &Table<'_, '_>, key: &str) -> Option<Range<usize>> {
    match root.get("remittances")?.get_ref() {
        DeValue::Table(entries) => entries
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v.span()),
        _ => None,
    }
}

/// `[origins] groups = [...]`: the origin groups, or none.
fn check_origins(c: &mut Checker<'_>, root: &Table<'_, '_>) -> Vec<String> {
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

fn check_regions(
    c: &mut Checker<'_>,
    root: &Table<'_, '_>,
    years: Option<&Years>,
    origins: &[String],
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
        c.unknown_keys(&t, &["name", "stock", "female_share", "observed"]);
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
            c.year_group_table(
                &t,
                "stock",
                Bound::Between(1e-300, 1e11),
                origins,
                "the migrant stock of each origin group in the base and calibration years, persons",
            )
            .and_then(|(by_group, span)| {
                let years = years?;
                let mut ok = true;
                for (g, points) in by_group.iter().enumerate() {
                    let group_path = format!("{path}.stock (group \"{}\")", origins[g]);
                    match base_and_calibration(c, points, &span, &group_path, years) {
                        Some(pair) => stock_by_origin.push(pair),
                        None => ok = false,
                    }
                }
                ok.then(|| {
                    let base = stock_by_origin.iter().map(|p| p.0).sum();
                    let calibration = stock_by_origin.iter().map(|p| p.1).sum();
                    (base, calibration, span)
                })
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
        ) = (name_ok, stock, female_share, observed)
        {
            regions.push((
                Region {
                    name,
                    stock_base_persons: base,
                    stock_calibration_persons: calibration,
                    female_share,
                    observed,
                    stock_by_origin,
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

fn check_mortality(
    c: &mut Checker<'_>,
    root: &Table<'_, '_>,
    years: Option<&Years>,
) -> Option<(Mortality, Option<Range<usize>>)> {
    let empty = DeTable::new();
    let t = c.table_or_empty(root, "mortality", "mortality", &empty);
    c.unknown_keys(
        &t,
        &[
            "makeham",
            "gompertz_slope",
            "life_expectancy",
            "improvement",
            "table",
        ],
    );
    if let Some((path_text, span)) = c.string(&t, "table", None) {
        for key in [
            "makeham",
            "gompertz_slope",
            "life_expectancy",
            "improvement",
        ] {
            if let Some(v) = t.get(key) {
                c.error(v.span(), format!("`mortality.{key}` does not apply when `mortality.table` gives the death probabilities"));
            }
        }
        let path = c.resolve(&span, &path_text);
        let q = read_table_for(c, &path, &path_text, span.clone(), "mortality.table", |q| {
            if (0.0..=1.0).contains(&q) {
                None
            } else {
                Some("a probability in 0..=1")
            }
        })?;
        if q[0][crate::model::MAX_AGE] <= 0.0 || q[1][crate::model::MAX_AGE] <= 0.0 {
            // Nobody would ever die in the open group 100+: a table no life table allows.
            c.error(span, format!("`mortality.table`: the death probability at {}+ must be above 0 for both sexes", crate::model::MAX_AGE));
            return None;
        }
        return Some((Mortality::Table { q, path }, None));
    }
    let makeham = c.number(&t, "makeham", Some(0.0005), Bound::Between(0.0, 1.0), "");
    let gompertz_slope = c.number(
        &t,
        "gompertz_slope",
        Some(0.09),
        Bound::Between(0.001, 1.0),
        "",
    );
    let improvement = c.number(&t, "improvement", Some(0.15), Bound::Between(-2.0, 2.0), "");
    let (e0, e0_span) = match c.table(&t, "life_expectancy", "mortality.life_expectancy", None) {
        None => (Some((77.0, 71.0)), None),
        Some(le) => {
            c.unknown_keys(&le, &["female", "male"]);
            let female = c.number(&le, "female", Some(77.0), Bound::Between(1.0, 150.0), "");
            let male = c.number(&le, "male", Some(71.0), Bound::Between(1.0, 150.0), "");
            (female.zip(male), Some(le.span()))
        }
    };
    let (makeham, gompertz_slope, improvement, (e0_female, e0_male)) =
        (makeham?, gompertz_slope?, improvement?, e0?);
    // Every year's target must be reachable by beta in [1e-12, 1] (MODEL.md section 2).
    if let Some(years) = years {
        let (lowest, highest) = reachable_e0(makeham, gompertz_slope);
        let span = e0_span.clone().unwrap_or(t.span());
        for (sex, e0) in [("female", e0_female), ("male", e0_male)] {
            let at_end = e0 + improvement * f64::from(years.end - years.base);
            let (min_target, max_target) = (e0.min(at_end), e0.max(at_end));
            if min_target < lowest || max_target > highest {
                let bad_year = if e0 < lowest || e0 > highest {
                    years.base
                } else {
                    years.end
                };
                let bad_e0 = if bad_year == years.base { e0 } else { at_end };
                c.diagnostics.push(
                    Diagnostic::at(span.clone(), format!(
                        "`mortality.life_expectancy.{sex}` gives e0 = {} in {bad_year}, which no Gompertz-Makeham table with makeham {makeham} and gompertz_slope {gompertz_slope} can reach: the reachable range is {:.2} to {:.2} years",
                        round6(bad_e0), lowest, highest
                    ))
                    .with_help("life expectancy in year t is life_expectancy + improvement * (t - base_year)"),
                );
            }
        }
    }
    Some((
        Mortality::GompertzMakeham {
            makeham,
            gompertz_slope,
            e0_female,
            e0_male,
            improvement_per_year: improvement,
        },
        e0_span,
    ))
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Reads an age table named by a scenario key; its problems are reported at the key, with
/// the table file's own line and column in the message.
fn read_table_for(
    c: &mut Checker<'_>,
    path: &Path,
    path_text: &str,
    key_span: Range<usize>,
    key: &str,
    check: impl Fn(f64) -> Option<&'static str>,
) -> Option<[Vec<f64>; 2]> {
    if let Err(problem) = path_policy(path_text, "csv") {
        c.error(key_span, format!("`{key}`: {problem}"));
        return None;
    }
    let text = match super::read_regular_file(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                c.error(
                    key_span,
                    format!("`{key}`: the file \"{path_text}\" is not UTF-8 text"),
                );
                return None;
            }
        },
        Err(err) => {
            c.error(
                key_span,
                format!("`{key}`: cannot read \"{}\": {}", path.display(), err),
            );
            return None;
        }
    };
    c.tables.push((
        key.to_string(),
        path.to_path_buf(),
        super::sha256_hex(text.as_bytes()),
    ));
    match read_age_table(&text, crate::model::MAX_AGE, check) {
        Ok(table) => Some(table),
        Err(diagnostic) => {
            let table_file = SourceFile::new(path, text);
            let location = match &diagnostic.span {
                Some(span) => {
                    let (line, col) = table_file.line_col(span.start);
                    format!("{}:{line}:{col}", path.display())
                }
                None => path.display().to_string(),
            };
            c.error(
                key_span,
                format!("`{key}`: {location}: {}", diagnostic.message),
            );
            None
        }
    }
}

fn check_changes(
    c: &mut Checker<'_>,
    parent: &Table<'_, '_>,
    key: &str,
    regions: &[String],
    origins: &[String],
    earliest: Option<i32>,
) -> Option<Vec<Change>> {
    let items = c.array_of_tables(parent, key);
    let mut changes = Vec::new();
    let mut ok = true;
    for (index, entries, span) in items {
        let path = format!("{}[{index}]", parent.key_path(key));
        let t = Table {
            path: &path,
            entries,
            span: (span.start, span.end),
        };
        c.unknown_keys(&t, &["from", "multiplier", "region", "origin"]);
        let origin = match t.get("origin") {
            None => Some(None),
            Some(v) => c
                .origin_ref(&format!("{path}.origin"), v, origins)
                .map(Some),
        };
        let from = c.integer(
            &t,
            "from",
            None,
            1000,
            3000,
            "the first year the change is in force",
        );
        let multiplier = c.number(
            &t,
            "multiplier",
            None,
            Bound::Between(0.0, 1000.0),
            "the factor applied from that year on",
        );
        let region = match t.get("region") {
            None => Some(None),
            Some(v) => c
                .region_ref(&format!("{path}.region"), v, regions)
                .map(Some),
        };
        if let (Some(from), Some(earliest)) = (from, earliest) {
            if (from as i32) < earliest {
                let span = t.get("from").map(|v| v.span()).unwrap_or(span.clone());
                c.error(span, format!("`{path}.from` ({from}) is before `scenario.calibration_year` ({earliest}): changes may not alter the calibration period"));
                ok = false;
                continue;
            }
        }
        match (from, multiplier, region, origin) {
            (Some(from), Some(multiplier), Some(region), Some(origin)) => changes.push(Change {
                from_year: from as i32,
                multiplier,
                region,
                origin,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(changes)
}

fn check_departure(
    c: &mut Checker<'_>,
    root: &Table<'_, '_>,
    regions: &[String],
    origins: &[String],
) -> Option<Departure> {
    let empty = DeTable::new();
    let t = c.table_or_empty(root, "departure", "departure", &empty);
    c.unknown_keys(&t, &["initial", "long_run", "decay", "change"]);
    let initial = c.number(&t, "initial", Some(0.10), Bound::Probability, "");
    let long_run = c.number(&t, "long_run", Some(0.03), Bound::Probability, "");
    let decay = c.number(&t, "decay", Some(0.25), Bound::Between(0.0, 100.0), "");
    let changes = check_changes(c, &t, "change", regions, origins, None);
    Some(Departure {
        initial: initial?,
        long_run: long_run?,
        decay: decay?,
        changes: changes?,
    })
}

fn check_arrivals(
    c: &mut Checker<'_>,
    root: &Table<'_, '_>,
    years: Option<&Years>,
    regions: &[(Region, Range<usize>)],
    names: &[String],
    origins: &[String],
) -> Option<Arrivals> {
    let empty = DeTable::new();
    let t = c.table_or_empty(root, "arrivals", "arrivals", &empty);
    c.unknown_keys(
        &t,
        &[
            "female_share",
            "growth",
            "growth_shift",
            "trend_damping",
            "age_schedule",
            "change",
            "pulse",
        ],
    );
    let female_share = c.number(&t, "female_share", Some(0.49), Bound::Probability, "");
    let growth = c.growth(&t, "growth", -0.5, 0.5);
    let growth_shift = c.number(&t, "growth_shift", Some(0.0), Bound::Between(-0.5, 0.5), "");
    let trend_damping = c.number(
        &t,
        "trend_damping",
        Some(defaults::TREND_DAMPING),
        Bound::Probability,
        "",
    );
    let empty_schedule = DeTable::new();
    let schedule = {
        let s = c.table_or_empty(&t, "age_schedule", "arrivals.age_schedule", &empty_schedule);
        {
            if let Some((path_text, span)) = c.string(&s, "table", None) {
                c.unknown_keys(&s, &["table"]);
                if let Some(v) = t.get("female_share") {
                    c.error(v.span(), "`arrivals.female_share` does not apply when `arrivals.age_schedule.table` gives weights by sex");
                }
                for (region, _) in regions.iter().filter(|(r, _)| r.female_share.is_some()) {
                    c.error(span.clone(), format!("`arrivals.age_schedule.table` gives weights by sex, so region \"{}\" may not set its own `female_share`", region.name));
                }
                let path = c.resolve(&span, &path_text);
                let weights = read_table_for(
                    c,
                    &path,
                    &path_text,
                    span.clone(),
                    "arrivals.age_schedule.table",
                    |w| {
                        if w >= 0.0 {
                            None
                        } else {
                            Some("a weight >= 0")
                        }
                    },
                );
                match weights {
                    Some(w) if !w.iter().flatten().sum::<f64>().is_finite() => {
                        c.error(
                            span,
                            "`arrivals.age_schedule.table`: the weights add up to more than 1.8e308 (overflow); weights are relative, so scale them down (shares or persons)",
                        );
                        None
                    }
                    Some(w) if w.iter().flatten().sum::<f64>() > 0.0 => {
                        Some(AgeSchedule::Table { weights: w, path })
                    }
                    Some(_) => {
                        c.error(
                            span,
                            "`arrivals.age_schedule.table`: the weights sum to zero",
                        );
                        None
                    }
                    None => None,
                }
            } else {
                c.unknown_keys(
                    &s,
                    &[
                        "a1", "alpha1", "a2", "alpha2", "mu2", "lambda2", "c", "table",
                    ],
                );
                let nn = Bound::Between(0.0, 100.0);
                let [d_a1, d_alpha1, d_a2, d_alpha2, d_mu2, d_lambda2, d_c] =
                    ROGERS_CASTRO_DEFAULTS;
                let a1 = c.number(&s, "a1", Some(d_a1), nn, "");
                let alpha1 = c.number(&s, "alpha1", Some(d_alpha1), nn, "");
                let a2 = c.number(&s, "a2", Some(d_a2), nn, "");
                let alpha2 = c.number(&s, "alpha2", Some(d_alpha2), nn, "");
                let mu2 = c.number(&s, "mu2", Some(d_mu2), Bound::Between(0.0, 100.0), "");
                let lambda2 = c.number(&s, "lambda2", Some(d_lambda2), nn, "");
                let constant = c.number(&s, "c", Some(d_c), nn, "");
                match (a1, alpha1, a2, alpha2, mu2, lambda2, constant) {
                    (
                        Some(a1),
                        Some(alpha1),
                        Some(a2),
                        Some(alpha2),
                        Some(mu2),
                        Some(lambda2),
                        Some(cc),
                    ) => {
                        let schedule = AgeSchedule::RogersCastro {
                            a1,
                            alpha1,
                            a2,
                            alpha2,
                            mu2,
                            lambda2,
                            c: cc,
                        };
                        let total: f64 = (0..=crate::model::MAX_AGE)
                            .map(|x| crate::model::arrivals::rogers_castro(&schedule, x as f64))
                            .sum();
                        if total > 0.0 && total.is_finite() {
                            Some(schedule)
                        } else {
                            c.error(s.span(), "`arrivals.age_schedule` gives no arrivals at any age (the schedule sums to zero or overflows)");
                            None
                        }
                    }
                    _ => None,
                }
            }
        }
    };
    let earliest = years.map(|y| y.calibration);
    let changes = check_changes(c, &t, "change", names, origins, earliest);
    let pulses = check_pulses(c, &t, years, names, origins);
    Some(Arrivals {
        female_share: female_share?,
        growth: growth?,
        growth_shift: growth_shift?,
        trend_damping: trend_damping?,
        age_schedule: schedule?,
        changes: changes?,
        pulses: pulses?,
    })
}

fn check_pulses(
    c: &mut Checker<'_>,
    parent: &Table<'_, '_>,
    years: Option<&Years>,
    regions: &[String],
    origins: &[String],
) -> Option<Vec<Pulse>> {
    let items = c.array_of_tables(parent, "pulse");
    let mut pulses = Vec::new();
    let mut ok = true;
    for (index, entries, span) in items {
        let path = format!("arrivals.pulse[{index}]");
        let t = Table {
            path: &path,
            entries,
            span: (span.start, span.end),
        };
        c.unknown_keys(&t, &["year", "persons", "region", "origin"]);
        let origin = match t.get("origin") {
            None => Some(None),
            Some(v) => c
                .origin_ref(&format!("{path}.origin"), v, origins)
                .map(Some),
        };
        let year = c.integer(&t, "year", None, 1000, 3000, "the year of the pulse");
        let persons = c.number(
            &t,
            "persons",
            None,
            Bound::Between(0.0, 1e12),
            "the extra arrivals that year, persons",
        );
        let region = match t.get("region") {
            Some(v) => c.region_ref(&format!("{path}.region"), v, regions),
            None if regions.len() == 1 => Some(0),
            None => {
                c.missing(
                    &t,
                    "region",
                    "the region the pulse arrives in (the scenario has several)",
                );
                None
            }
        };
        if let (Some(year), Some(years)) = (year, years) {
            if (year as i32) < years.calibration || (year as i32) > years.end {
                let span = t.get("year").map(|v| v.span()).unwrap_or(span.clone());
                c.error(span, format!("`{path}.year` ({year}) must be in the projection period {}..={} (pulses may not alter the calibration period)", years.calibration, years.end));
                ok = false;
                continue;
            }
        }
        match (year, persons, region, origin) {
            (Some(year), Some(persons), Some(region), Some(origin)) => pulses.push(Pulse {
                year: year as i32,
                persons,
                region,
                origin,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(pulses)
}

fn check_remittances(
    c: &mut Checker<'_>,
    root: &Table<'_, '_>,
    years: Option<&Years>,
    origins: &[String],
) -> Option<(Remittances, Range<usize>)> {
    let t = c.table(
        root,
        "remittances",
        "remittances",
        Some("a [remittances] table with `received = { base_year = usd, calibration_year = usd }`"),
    )?;
    c.unknown_keys(
        &t,
        &[
            "received",
            "age_range",
            "propensity",
            "cost",
            "growth",
            "observed",
        ],
    );
    let mut received_by_origin = Vec::new();
    let mut observed_by_origin = Vec::new();
    let received = if origins.is_empty() {
        if let Some(v) = t.get("observed") {
            c.error(v.span(), "`remittances.observed` gives receipts by origin group: it needs `[origins]` (without them, give observed figures to `migproj hindcast`)");
        }
        let received = two_figures(
            c,
            &t,
            "received",
            Bound::Between(0.0, 1e15),
            years,
            "world remittances received in the base and calibration years, current US dollars",
        );
        if let Some((base, calibration, span)) = &received {
            if (*base == 0.0) != (*calibration == 0.0) {
                c.error(span.clone(), "`remittances.received` must be zero in both years or positive in both (a growth rate cannot be calibrated from zero)");
            }
        }
        received
    } else {
        if t.get("received").is_none() {
            c.missing(&t, "received", "each origin group's remittances received in the base and calibration years, current US dollars: received = { \"group\" = { 1990 = usd, 2000 = usd } }");
        }
        let observed = match t.get("observed") {
            None => Some(vec![Vec::new(); origins.len()]),
            Some(_) => c
                .group_year_table(&t, "observed", Bound::Between(0.0, 1e15), origins)
                .map(|(by_group, _)| {
                    by_group
                        .into_iter()
                        .map(|g| g.unwrap_or_default())
                        .collect()
                }),
        };
        observed_by_origin = observed.unwrap_or_default();
        c.group_year_table(&t, "received", Bound::Between(0.0, 1e15), origins)
            .and_then(|(by_group, span)| {
                let years = years?;
                let mut ok = true;
                for (g, points) in by_group.iter().enumerate() {
                    match points {
                        None => received_by_origin.push(None),
                        Some(points) => {
                            let path = format!("remittances.received.\"{}\"", origins[g]);
                            match base_and_calibration(c, points, &span, &path, years) {
                                Some((base, calibration)) => {
                                    if (base == 0.0) != (calibration == 0.0) {
                                        c.error(span.clone(), format!("`{path}` must be zero in both years or positive in both (a growth rate cannot be calibrated from zero)"));
                                        ok = false;
                                    }
                                    received_by_origin.push(Some((base, calibration)));
                                }
                                None => ok = false,
                            }
                        }
                    }
                }
                ok.then(|| {
                    let modelled = received_by_origin.iter().flatten();
                    let base = modelled.clone().map(|p| p.0).sum();
                    let calibration = modelled.map(|p| p.1).sum();
                    (base, calibration, span)
                })
            })
    };
    let age_range = match t.get("age_range") {
        None => Some((15, 64)),
        Some(v) => match v.get_ref() {
            DeValue::Array(items) if items.len() == 2 => {
                let lo = c.integer_value(
                    "remittances.age_range[0]",
                    &items[0],
                    0,
                    crate::model::MAX_AGE as i64,
                    "an age",
                );
                let hi = c.integer_value(
                    "remittances.age_range[1]",
                    &items[1],
                    0,
                    crate::model::MAX_AGE as i64,
                    "an age",
                );
                match (lo, hi) {
                    (Some(lo), Some(hi)) if lo <= hi => Some((lo as usize, hi as usize)),
                    (Some(lo), Some(hi)) => {
                        c.error(v.span(), format!("`remittances.age_range` must be [youngest, oldest], found [{lo}, {hi}]"));
                        None
                    }
                    _ => None,
                }
            }
            other => {
                c.error(v.span(), format!("`remittances.age_range` must be an array of two ages, like [15, 64], found {}", describe(other)));
                None
            }
        },
    };
    let propensity = match c.table(&t, "propensity", "remittances.propensity", None) {
        None => Some(Propensity::Constant { value: 0.6 }),
        Some(p) => check_propensity(c, &p),
    };
    let cost = match t.get("cost") {
        None => Some(Vec::new()),
        Some(_) => {
            let before = c.diagnostics.len();
            let cost = c
                .year_table(&t, "cost", Bound::Between(0.0, 0.99), None)
                .map(|(points, _)| points.into_iter().map(|(y, v)| (f64::from(y), v)).collect());
            // A cost written in per cent (3 for 3%) gets the share it meant.
            for d in &mut c.diagnostics[before..] {
                let found = d
                    .message
                    .rsplit("found ")
                    .next()
                    .and_then(|v| v.trim().parse::<f64>().ok());
                if let Some(v) = found.filter(|v| (1.0..=100.0).contains(v)) {
                    d.help = Some(format!(
                        "costs are shares of the amount sent: {} per cent is {}",
                        crate::output::number(v),
                        crate::output::number(v / 100.0)
                    ));
                }
            }
            cost
        }
    };
    let growth = c.growth(&t, "growth", -0.5, 0.5);
    let (received_base_usd, received_calibration_usd, span) = received?;
    Some((
        Remittances {
            received_base_usd,
            received_calibration_usd,
            age_range: age_range?,
            propensity: propensity?,
            cost: cost?,
            growth: growth?,
            received_by_origin,
            observed_by_origin,
        },
        span,
    ))
}

fn check_propensity(c: &mut Checker<'_>, p: &Table<'_, '_>) -> Option<Propensity> {
    let models = ["constant", "exponential", "hump"];
    let model = match p.get("model") {
        None => "constant".to_string(),
        Some(v) => {
            let m = c.string_value("remittances.propensity.model", v)?;
            if !models.contains(&m.as_str()) {
                let hint = suggest(&m, &models)
                    .map(|s| format!("; did you mean \"{s}\"?"))
                    .unwrap_or_default();
                c.error(v.span(), format!("`remittances.propensity.model` must be one of \"constant\", \"exponential\", \"hump\", found \"{m}\"{hint}"));
                return None;
            }
            m
        }
    };
    let pr = Bound::Probability;
    match model.as_str() {
        "constant" => {
            c.unknown_keys(p, &["model", "value"]);
            Some(Propensity::Constant {
                value: c.number(p, "value", Some(0.6), pr, "")?,
            })
        }
        "exponential" => {
            c.unknown_keys(p, &["model", "initial", "long_run", "decay"]);
            let initial = c.number(p, "initial", None, pr, "the propensity at duration 0");
            let long_run = c.number(p, "long_run", None, pr, "the propensity it tends to");
            let decay = c.number(
                p,
                "decay",
                None,
                Bound::Between(0.0, 100.0),
                "the rate of approach per year of duration",
            );
            Some(Propensity::Exponential {
                initial: initial?,
                long_run: long_run?,
                decay: decay?,
            })
        }
        _ => {
            c.unknown_keys(p, &["model", "peak", "peak_duration"]);
            let peak = c.number(
                p,
                "peak",
                None,
                pr,
                "the highest propensity, reached at `peak_duration`",
            );
            let peak_duration = c.number(
                p,
                "peak_duration",
                Some(8.0),
                Bound::Between(0.0, 200.0),
                "",
            );
            Some(Propensity::Hump {
                peak: peak?,
                peak_duration: peak_duration?,
            })
        }
    }
}

fn check_comparison(
    c: &mut Checker<'_>,
    root: &Table<'_, '_>,
    origins: &[String],
) -> Option<Vec<ComparisonSeries>> {
    let Some(t) = c.table(root, "comparison", "comparison", None) else {
        return Some(Vec::new());
    };
    let mut series = Vec::new();
    let mut ok = true;
    for (key, value) in t.entries.iter() {
        let name = key.get_ref().as_ref();
        if name.is_empty()
            || name.len() > 40
            || !name
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
        {
            c.error(key.span(), format!("comparison series names become column names (`ratio_to_<name>`): use 1 to 40 characters from a-z, 0-9, '_', found `{name}`"));
            ok = false;
            continue;
        }
        // The long form names its points: { points = {...}, after = ..., origin = ... }.
        let long_form = matches!(value.get_ref(), DeValue::Table(entries) if entries.iter().any(|(k, _)| k.get_ref().as_ref() == "points"));
        if !long_form {
            match c.year_table(&t, name, Bound::Between(1.0, 1e15), None) {
                Some((points, _)) => series.push(ComparisonSeries {
                    name: name.to_string(),
                    points: points.into_iter().map(|(y, v)| (f64::from(y), v)).collect(),
                    after: None,
                    origin: None,
                }),
                None => ok = false,
            }
            continue;
        }
        let path = format!("comparison.{name}");
        let Some(inner) = c.table(&t, name, &path, None) else {
            ok = false;
            continue;
        };
        // `path` must outlive `inner`: re-borrow through a local table.
        let inner = Table {
            path: &path,
            entries: inner.entries,
            span: inner.span,
        };
        c.unknown_keys(&inner, &["points", "after", "origin"]);
        let points = c.year_table(
            &inner,
            "points",
            Bound::Between(1.0, 1e15),
            Some("the series' figures by year"),
        );
        let after = match inner.get("after") {
            None => Some(None),
            Some(v) => match v.get_ref() {
                DeValue::String(text) if text.as_ref() == "flat" => Some(None),
                DeValue::Integer(_) | DeValue::Float(_) => c
                    .bounded_value(&format!("{path}.after"), v, Bound::Between(-0.5, 0.5))
                    .map(Some),
                other => {
                    c.error(v.span(), format!("`{path}.after` must be \"flat\" or a growth per year (0.02 for 2% a year), found {}", describe(other)));
                    None
                }
            },
        };
        let origin = match inner.get("origin") {
            None => Some(None),
            Some(v) => c
                .origin_ref(&format!("{path}.origin"), v, origins)
                .map(Some),
        };
        match (points, after, origin) {
            (Some((points, _)), Some(after), Some(origin)) => series.push(ComparisonSeries {
                name: name.to_string(),
                points: points.into_iter().map(|(y, v)| (f64::from(y), v)).collect(),
                after,
                origin,
            }),
            _ => ok = false,
        }
    }
    ok.then_some(series)
}

/// Revision 1's `[uncertainty]` keys and what replaced each (MODEL.md section 9, revision 2).
const REVISION_1_KEYS: [(&str, &str); 4] = [
    ("growth_sd", "the long-run growth is now `world_growth_sd` (common to every region); a region's own deviation is `region_shock_sd` with `region_ar1`"),
    ("ar1", "use `world_ar1` (the common yearly deviation) and `region_ar1` (each region's own)"),
    ("shock_sd", "use `world_shock_sd` (the common yearly shock) and `region_shock_sd` (each region's own)"),
    ("region_correlation", "regions now share `world_growth_sd`, `world_ar1` and `world_shock_sd` and deviate independently by `region_ar1` and `region_shock_sd`"),
];

fn check_uncertainty(
    c: &mut Checker<'_>,
    root: &Table<'_, '_>,
    years: Option<&Years>,
    regions: &[String],
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
            world_df: 0.0,
            region_df: 0.0,
            remittance_df: 0.0,
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
        "world_df",
        "region_df",
        "remittance_df",
        "event",
    ];
    let revision_1: Vec<&str> = REVISION_1_KEYS.iter().map(|(k, _)| *k).collect();
    let known: Vec<&str> = allowed.iter().chain(&revision_1).copied().collect();
    c.unknown_keys_listing(&t, &known, &allowed);
    let sd = Bound::Between(0.0, 1.0);
    let persistence = Bound::Between(-0.999, 0.999);
    let df = Bound::Between(0.0, 1e6);
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
    let world_df = optional("world_df", defaults::WORLD_DF, df);
    let region_df = optional("region_df", defaults::REGION_DF, df);
    let remittance_df = optional("remittance_df", defaults::REMITTANCE_DF, df);
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
                let world_alias = matches!(v.get_ref(), DeValue::String(s) if s.as_ref() == "World")
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
        world_df: world_df?,
        region_df: region_df?,
        remittance_df: remittance_df?,
        events: if ok { events } else { return None },
    })
}
