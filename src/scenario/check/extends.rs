//! Reading a scenario and the files it `extends`: TOML errors with hints, the chain of parents, the path policy, and the merge of a child over its parent.

#[allow(unused_imports)]
use super::*;

/// The longest chain of `extends` accepted.
pub(super) const MAX_EXTENDS: usize = 16;

pub(super) fn toml_error(err: toml::de::Error, base: usize, text: &str) -> Diagnostic {
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
pub(super) fn read_chain(
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
pub(super) fn path_policy(path: &str, extension: &str) -> Result<(), String> {
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
pub(super) fn shift<'i>(value: Spanned<DeValue<'i>>, offset: usize) -> Spanned<DeValue<'i>> {
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

pub(super) fn shift_table<'i>(table: DeTable<'i>, offset: usize) -> DeTable<'i> {
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
pub(super) fn replaces_whole(table: &DeTable<'_>) -> bool {
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
