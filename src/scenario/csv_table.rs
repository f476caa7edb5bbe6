//! A small, strict CSV reader that keeps the line and column of every field, so that a bad
//! cell in a scenario's table (or in a run's output read back by `plot`) is located exactly.

use crate::error::Diagnostic;
use std::ops::Range;

/// One CSV field: its text (quotes removed) and its byte span in the file.
#[derive(Debug, Clone)]
pub struct Field {
    pub text: String,
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub struct Row {
    /// Byte span of the whole line, for errors about the row as a whole.
    pub span: Range<usize>,
    pub fields: Vec<Field>,
}

/// Splits CSV text into rows of fields (RFC 4180 quoting; blank lines skipped).
pub fn parse_csv(text: &str) -> Result<Vec<Row>, Diagnostic> {
    parse_csv_keeping(text, &mut |_, _| true)
}

/// [`parse_csv`], keeping only the rows `keep(header, row)` accepts (the header row, the
/// first, is always kept and passed to every later call): a large table is filtered as it
/// is read instead of held whole.
pub fn parse_csv_keeping(
    text: &str,
    keep: &mut dyn FnMut(&Row, &Row) -> bool,
) -> Result<Vec<Row>, Diagnostic> {
    let bytes = text.as_bytes();
    let mut rows = Vec::new();
    // A byte-order mark (spreadsheets write one) is skipped; spans still index the text.
    let mut pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
    while pos < bytes.len() {
        let line_start = pos;
        let mut fields = Vec::new();
        loop {
            let field_start = pos;
            let mut value = String::new();
            if pos < bytes.len() && bytes[pos] == b'"' {
                pos += 1;
                let mut closed = false;
                while pos < bytes.len() {
                    if bytes[pos] == b'"' {
                        if pos + 1 < bytes.len() && bytes[pos + 1] == b'"' {
                            value.push('"');
                            pos += 2;
                        } else {
                            pos += 1;
                            closed = true;
                            break;
                        }
                    } else {
                        let ch = text[pos..].chars().next().unwrap_or('\u{FFFD}');
                        value.push(ch);
                        pos += ch.len_utf8().max(1);
                    }
                }
                if !closed {
                    return Err(Diagnostic::at(
                        field_start..field_start + 1,
                        "unclosed quote in CSV field",
                    ));
                }
                if pos < bytes.len() && !matches!(bytes[pos], b',' | b'\n' | b'\r') {
                    return Err(Diagnostic::at(
                        pos..pos + 1,
                        "unexpected text after a quoted CSV field",
                    ));
                }
            } else {
                while pos < bytes.len() && !matches!(bytes[pos], b',' | b'\n' | b'\r') {
                    pos += 1;
                }
                value.push_str(&text[field_start..pos]);
            }
            fields.push(Field {
                text: value,
                span: field_start..pos.max(field_start + 1),
            });
            if pos < bytes.len() && bytes[pos] == b',' {
                pos += 1;
                continue;
            }
            break;
        }
        let line_end = pos;
        if pos < bytes.len() && bytes[pos] == b'\r' {
            pos += 1;
        }
        if pos < bytes.len() && bytes[pos] == b'\n' {
            pos += 1;
        }
        let blank = fields.len() == 1 && fields[0].text.trim().is_empty();
        if !blank {
            let row = Row {
                span: line_start..line_end.max(line_start + 1),
                fields,
            };
            if rows.is_empty() || keep(&rows[0], &row) {
                rows.push(row);
            }
        }
    }
    Ok(rows)
}

/// Checks that the header row is exactly `expected` (case-insensitive, trimmed).
pub fn expect_header(rows: &[Row], expected: &[&str]) -> Result<(), Diagnostic> {
    let Some(header) = rows.first() else {
        return Err(Diagnostic::whole_file(format!(
            "the file is empty; expected a header `{}`",
            expected.join(",")
        )));
    };
    let found: Vec<String> = header
        .fields
        .iter()
        .map(|f| f.text.trim().to_lowercase())
        .collect();
    if found != expected {
        return Err(Diagnostic::at(
            header.span.clone(),
            format!(
                "expected the header `{}`, found `{}`",
                expected.join(","),
                crate::error::clip(&found.join(","), 200)
            ),
        ));
    }
    Ok(())
}

/// A finite number from a field, or a located error naming the column.
pub fn number(field: &Field, column: &str) -> Result<f64, Diagnostic> {
    let text = field.text.trim();
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        _ => Err(Diagnostic::at(
            field.span.clone(),
            format!(
                "`{column}` must be a finite number, found `{}`",
                crate::error::clip(text, 40)
            ),
        )),
    }
}

/// Reads an age table `age,female,male` with one row for every age 0..=max_age in order.
/// `check` validates each value (returns the expectation text when it fails).
pub fn read_age_table(
    text: &str,
    max_age: usize,
    check: impl Fn(f64) -> Option<&'static str>,
) -> Result<[Vec<f64>; 2], Diagnostic> {
    let rows = parse_csv(text)?;
    let columns = ["age", "female", "male"];
    expect_header(&rows, &columns)?;
    let mut female = Vec::with_capacity(max_age + 1);
    let mut male = Vec::with_capacity(max_age + 1);
    for (index, row) in rows.iter().skip(1).enumerate() {
        if row.fields.len() != 3 {
            return Err(Diagnostic::at(
                row.span.clone(),
                format!(
                    "expected 3 fields (age,female,male), found {}",
                    row.fields.len()
                ),
            ));
        }
        let age_text = row.fields[0].text.trim();
        if age_text.parse::<usize>().ok() != Some(index) {
            return Err(Diagnostic::at(
                row.fields[0].span.clone(),
                format!(
                    "expected age {index} (ages 0..={max_age}, one row each, in order), found `{}`",
                    crate::error::clip(age_text, 40)
                ),
            ));
        }
        if index > max_age {
            return Err(Diagnostic::at(
                row.span.clone(),
                format!("ages stop at {max_age} (the open group {max_age}+)"),
            ));
        }
        for (sex, column) in [(0, "female"), (1, "male")] {
            let value = number(&row.fields[sex + 1], column)?;
            if let Some(expected) = check(value) {
                return Err(Diagnostic::at(
                    row.fields[sex + 1].span.clone(),
                    format!("`{column}` at age {index} must be {expected}, found {value}"),
                ));
            }
            if sex == 0 {
                female.push(value);
            } else {
                male.push(value);
            }
        }
    }
    if female.len() != max_age + 1 {
        return Err(Diagnostic::whole_file(format!(
            "expected one row for every age 0..={max_age}, found {} rows",
            female.len()
        )));
    }
    Ok([female, male])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_and_spans() {
        let rows = parse_csv("a,\"b, c\",d\r\n\n1,2,3\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].fields[1].text, "b, c");
        assert_eq!(rows[1].fields[2].span, 17..18);
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let rows = parse_csv("\u{feff}age,female,male\n0,1,2\n").unwrap();
        assert_eq!(rows[0].fields[0].text, "age");
        assert_eq!(rows[0].fields[0].span, 3..6);
    }

    #[test]
    fn unclosed_quote_is_located() {
        let err = parse_csv("a,\"b\n").unwrap_err();
        assert_eq!(err.span, Some(2..3));
    }
}
