//! The checker: walks a TOML table with spans, reads typed values with bounds, and collects
//! located diagnostics.

#[allow(unused_imports)]
use super::*;

pub(super) type Value<'i> = Spanned<DeValue<'i>>;
/// Year-keyed points and the span of the table that held them.
pub(super) type YearPoints = (Vec<(i32, f64)>, Range<usize>);
/// Year-keyed points of each origin group, and the span.
pub(super) type GroupPoints = (Vec<Vec<(i32, f64)>>, Range<usize>);
/// Year-keyed points of each origin group that has any, and the span.
pub(super) type OptionalGroupPoints = (Vec<Option<Vec<(i32, f64)>>>, Range<usize>);

/// A table being checked: its dotted path, its entries and where it stands.
#[derive(Clone, Copy)]
pub(super) struct Table<'a, 'i> {
    pub(super) path: &'a str,
    pub(super) entries: &'a DeTable<'i>,
    pub(super) span: (usize, usize),
}

impl<'a, 'i> Table<'a, 'i> {
    pub(super) fn get(&self, key: &str) -> Option<&'a Value<'i>> {
        self.entries
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v)
    }

    pub(super) fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub(super) fn span(&self) -> Range<usize> {
        self.span.0..self.span.1
    }
}

/// The longest string a scenario may hold (titles, names, revisions, paths).
pub(super) const MAX_STRING_CHARS: usize = 500;

/// Accepted range of a number, with the words used in messages.
#[derive(Clone, Copy)]
pub(super) enum Bound {
    Probability,
    Between(f64, f64),
}

impl Bound {
    pub(super) fn accepts(self, value: f64) -> bool {
        match self {
            Bound::Probability => (0.0..=1.0).contains(&value),
            Bound::Between(lo, hi) => value >= lo && value <= hi,
        }
    }

    pub(super) fn expected(self) -> String {
        match self {
            Bound::Probability => "a probability in 0..=1".into(),
            Bound::Between(lo, hi) => format!("a number in {}..={}", short(lo), short(hi)),
        }
    }
}

/// A bound as people write it: 1e11 rather than 100000000000, 1e-300 as "0 (exclusive)".
pub(super) fn short(x: f64) -> String {
    if x > 0.0 && x < 1e-100 {
        "0 (exclusive)".into()
    } else if x.abs() >= 1e6 {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

pub(super) struct Checker<'f> {
    pub(super) diagnostics: Vec<Diagnostic>,
    pub(super) sources: &'f SourceSet,
    /// The folder of each file in `sources`, where its relative paths start.
    pub(super) dirs: &'f [std::path::PathBuf],
    /// Tables read, for the provenance: `(key, path, sha256)`.
    pub(super) tables: Vec<(String, std::path::PathBuf, String)>,
    /// The name of every [[region]], valid or not: a reference to a region whose own figures
    /// are wrong is not reported again as naming no region.
    pub(super) declared_regions: Vec<String>,
}

/// The first few of a list of names, for a message that must not grow with the input.
pub(super) fn list_some(items: &[String]) -> String {
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

pub(super) fn describe(value: &DeValue<'_>) -> String {
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

pub(super) fn parse_float_text(text: &str) -> Option<f64> {
    let cleaned = text.replace('_', "");
    cleaned.parse::<f64>().ok()
}

pub(super) fn parse_integer(i: &toml::de::DeInteger<'_>) -> Option<i64> {
    i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok()
}

impl<'f> Checker<'f> {
    /// Resolves a path written at `span` relative to the file that holds it.
    pub(super) fn resolve(&self, span: &Range<usize>, relative: &str) -> std::path::PathBuf {
        let index = self
            .sources
            .files
            .iter()
            .rposition(|(_, base)| *base <= span.start)
            .unwrap_or(0);
        self.dirs[index].join(relative)
    }

    pub(super) fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.diagnostics.push(Diagnostic::at(span, message));
    }

    pub(super) fn missing(&mut self, table: &Table<'_, '_>, key: &str, what: &str) {
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
    pub(super) fn unknown_keys(&mut self, table: &Table<'_, '_>, allowed: &[&str]) {
        self.unknown_keys_listing(table, allowed, allowed);
    }

    /// As [`Self::unknown_keys`], but keys in `known` (reported by the caller) pass, and only
    /// `allowed` is suggested.
    pub(super) fn unknown_keys_listing(
        &mut self,
        table: &Table<'_, '_>,
        known: &[&str],
        allowed: &[&str],
    ) {
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
    pub(super) fn table<'a, 'i>(
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
    pub(super) fn table_or_empty<'a, 'i>(
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
    pub(super) fn number_value(&mut self, path: &str, value: &Value<'_>) -> Option<f64> {
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

    pub(super) fn bounded_value(
        &mut self,
        path: &str,
        value: &Value<'_>,
        bound: Bound,
    ) -> Option<f64> {
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
    pub(super) fn number(
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

    pub(super) fn integer_value(
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

    pub(super) fn integer(
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

    pub(super) fn string_value(&mut self, path: &str, value: &Value<'_>) -> Option<String> {
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

    pub(super) fn string(
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
    pub(super) fn growth(
        &mut self,
        table: &Table<'_, '_>,
        key: &str,
        lo: f64,
        hi: f64,
    ) -> Option<Growth> {
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

    /// The year a key of a year-keyed table names (1000..=3000), or an error at the key.
    pub(super) fn year_key(
        &mut self,
        path: &str,
        key: &Spanned<std::borrow::Cow<'_, str>>,
    ) -> Option<i32> {
        let text = key.get_ref().as_ref();
        match text.parse::<i32>() {
            Ok(y) if (1000..=3000).contains(&y) => Some(y),
            _ => {
                self.error(
                    key.span(),
                    format!("`{path}` is keyed by year (1000..=3000), found the key `{text}`"),
                );
                None
            }
        }
    }

    /// A table keyed by year: `{ 1990 = 154e6, 2000 = 175e6 }`, sorted by year.
    pub(super) fn year_table(
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
            let Some(year) = self.year_key(&path, year_key) else {
                ok = false;
                continue;
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
    pub(super) fn array_of_tables<'a, 'i>(
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
    pub(super) fn origin_ref(
        &mut self,
        path: &str,
        value: &Value<'_>,
        origins: &[String],
    ) -> Option<usize> {
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
    pub(super) fn year_group_table(
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
            let Some(year) = self.year_key(&path, year_key) else {
                ok = false;
                continue;
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
    pub(super) fn group_year_table(
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

    pub(super) fn region_ref(
        &mut self,
        path: &str,
        value: &Value<'_>,
        regions: &[String],
    ) -> Option<usize> {
        let name = self.string_value(path, value)?;
        if let Some(index) = regions.iter().position(|r| *r == name) {
            return Some(index);
        }
        if self.declared_regions.contains(&name) {
            // The region exists; its own problems are reported where it is declared.
            return None;
        }
        // Every declared region, those with problems of their own too (issue 22 item 16: the
        // list left out a region that had its own error), then any place not declared as a
        // region (areas).
        let mut all: Vec<String> = self.declared_regions.clone();
        all.extend(
            regions
                .iter()
                .filter(|r| !all.contains(r))
                .cloned()
                .collect::<Vec<_>>(),
        );
        let candidates: Vec<&str> = all.iter().map(String::as_str).collect();
        let message = match suggest(&name, &candidates) {
            Some(s) => format!(
                "`{path}` names no region of this scenario: \"{name}\"; did you mean \"{s}\"?"
            ),
            None => format!(
                "`{path}` names no region of this scenario: \"{}\" (regions: {})",
                crate::error::clip(&name, 60),
                list_some(&all)
            ),
        };
        self.error(value.span(), message);
        None
    }
}
