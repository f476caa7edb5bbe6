//! Errors people read: located diagnostics for scenario and table files, and the library's
//! typed error with its exit code (2 for bad input, 1 when a run fails for other reasons).

use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A text file that diagnostics point into: its path as the user named it, and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            text: text.into(),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = self.text[line_start..offset].chars().count() + 1;
        (line, col)
    }

    /// The text of 1-based line `line`, without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        self.text
            .split('\n')
            .nth(line.saturating_sub(1))
            .unwrap_or("")
            .trim_end_matches('\r')
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Several files whose spans share one address space: file k's byte offsets are shifted by
/// `base[k]`, so one span names both the file and the place (a scenario and the files it
/// `extends`). File 0 is the one the user named.
#[derive(Debug, Clone, Default)]
pub struct SourceSet {
    pub files: Vec<(SourceFile, usize)>,
}

impl SourceSet {
    pub fn single(file: SourceFile) -> Self {
        SourceSet {
            files: vec![(file, 0)],
        }
    }

    /// Adds a file and returns the offset its spans are shifted by.
    pub fn add(&mut self, file: SourceFile) -> usize {
        let base = self.files.last().map_or(0, |(f, b)| b + f.text.len() + 1);
        self.files.push((file, base));
        base
    }

    /// The file a global offset falls in, and the offset within it.
    pub fn locate(&self, offset: usize) -> (&SourceFile, usize) {
        let index = self
            .files
            .iter()
            .rposition(|(_, base)| *base <= offset)
            .unwrap_or(0);
        let (file, base) = &self.files[index];
        (file, offset.saturating_sub(*base))
    }

    pub fn main(&self) -> &SourceFile {
        &self.files[0].0
    }
}

/// One problem in an input file, located by a byte span (or nowhere, for a file as a whole).
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub message: String,
    pub span: Option<Range<usize>>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn at(span: Range<usize>, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            span: Some(span),
            help: None,
        }
    }

    pub fn whole_file(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            span: None,
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// Renders diagnostics in the cargo/rustc style: message, `--> file:line:col`, the source
/// line with a caret under the span, and an optional help line.
pub fn render_diagnostics(file: &SourceFile, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        render_one(&mut out, file, diagnostic);
    }
    out
}

/// Renders diagnostics whose spans point into a [`SourceSet`].
pub fn render_diagnostics_in(sources: &SourceSet, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        match &diagnostic.span {
            Some(span) => {
                let (file, start) = sources.locate(span.start);
                let local = Diagnostic {
                    span: Some(start..start + (span.end - span.start)),
                    ..diagnostic.clone()
                };
                render_one(&mut out, file, &local);
                let main = sources.main();
                if file.path != main.path {
                    let _ = writeln!(
                        out,
                        "  = note: in {}, which extends {}",
                        main.path.display(),
                        file.path.display()
                    );
                }
            }
            None => render_one(&mut out, sources.main(), diagnostic),
        }
    }
    out
}

/// The most characters of a source line echoed under an error.
const LINE_WINDOW: usize = 120;

fn render_one(out: &mut String, file: &SourceFile, diagnostic: &Diagnostic) {
    let _ = writeln!(out, "error: {}", diagnostic.message);
    match &diagnostic.span {
        None => {
            let _ = writeln!(out, "  --> {}", file.path.display());
        }
        Some(span) => {
            let (line, col) = file.line_col(span.start);
            let _ = writeln!(out, "  --> {}:{}:{}", file.path.display(), line, col);
            let text = file.line_text(line);
            let gutter = line.to_string().len();
            let pad = " ".repeat(gutter);
            // The caret covers the span on its first line (at least one character).
            let line_chars = text.chars().count();
            let span_chars =
                file.text[floor_char_boundary(&file.text, span.start.min(file.text.len()))
                    ..floor_char_boundary(&file.text, span.end.min(file.text.len()))]
                    .split('\n')
                    .next()
                    .unwrap_or("")
                    .chars()
                    .count();
            let width = span_chars.clamp(1, (line_chars + 1).saturating_sub(col - 1).max(1));
            // A long line is shown as a window around the column, so that the message stays
            // a few lines long whatever the file holds.
            let (shown, caret_col, width) = if line_chars > LINE_WINDOW {
                let start = (col - 1).saturating_sub(LINE_WINDOW / 3);
                let body: String = text.chars().skip(start).take(LINE_WINDOW).collect();
                let lead = if start > 0 { "..." } else { "" };
                let tail = if start + LINE_WINDOW < line_chars {
                    "..."
                } else {
                    ""
                };
                let caret_col = col - start + lead.len();
                let width = width.min(LINE_WINDOW + 1 - (col - 1 - start));
                (
                    format!("{lead}{}{tail}", printable(&body)),
                    caret_col,
                    width,
                )
            } else {
                (printable(text), col, width)
            };
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{line} | {shown}");
            let _ = writeln!(
                out,
                "{pad} | {}{}",
                " ".repeat(caret_col - 1),
                "^".repeat(width)
            );
            if file.text.contains('\r') && !file.text.contains('\n') {
                let _ = writeln!(
                    out,
                    "  = note: this file ends its lines with CR alone (classic Mac OS); save it with LF or CRLF line ends"
                );
            }
        }
    }
    if let Some(help) = &diagnostic.help {
        let _ = writeln!(out, "  = help: {help}");
    }
}

/// Control characters and other unprintables in an echoed source line are shown escaped, so
/// that a binary file cannot scramble the terminal.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

/// Everything that can go wrong, with the exit code a command-line user sees.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scenario, table or output file the user gave has problems; the text is rendered.
    #[error("{rendered}{count_line}")]
    Input {
        rendered: String,
        count_line: String,
    },
    /// A single input problem that has no source location (a missing file, a directory).
    #[error("{0}")]
    InputPlain(String),
    /// The environment failed us: an output folder that cannot be written, a full disk.
    #[error("{0}")]
    Environment(String),
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input { .. } | Error::InputPlain(_) => 2,
            Error::Environment(_) => 1,
        }
    }

    /// Builds an input error from located diagnostics in one file.
    pub fn from_diagnostics(file: &SourceFile, diagnostics: &[Diagnostic], what: &str) -> Self {
        let n = diagnostics.len();
        Error::Input {
            rendered: render_diagnostics(file, &diagnostics[..n.min(MAX_SHOWN)]),
            count_line: count_line(n, what),
        }
    }

    /// Builds an input error from diagnostics located in a set of files.
    pub fn from_diagnostics_in(
        sources: &SourceSet,
        diagnostics: &[Diagnostic],
        what: &str,
    ) -> Self {
        let n = diagnostics.len();
        Error::Input {
            rendered: render_diagnostics_in(sources, &diagnostics[..n.min(MAX_SHOWN)]),
            count_line: count_line(n, what),
        }
    }

    pub fn environment(context: impl std::fmt::Display, path: &Path, err: std::io::Error) -> Self {
        Error::Environment(format!("{context} `{}`: {err}", path.display()))
    }
}

/// The most problems shown in full; the count line gives the total.
const MAX_SHOWN: usize = 30;

fn count_line(n: usize, what: &str) -> String {
    if n > MAX_SHOWN {
        format!("{n} problems (the first {MAX_SHOWN} shown); {what}")
    } else {
        format!("{} problem{}; {what}", n, if n == 1 { "" } else { "s" })
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Edit distance with adjacent transpositions (optimal string alignment), for "did you mean"
/// suggestions: "Ugnada" is one edit from "Uganda", two from "Canada".
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let substitution = previous[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut best = substitution.min(previous[j] + 1).min(current[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub fn suggest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let lower = word.to_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&lower, c), *c))
        .filter(|(distance, c)| *distance <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// [`suggest`] ignoring case: the index in `candidates` of the closest one, if close enough
/// (names as people write them: "Kenia" for "Kenya", "ugnada" for "UGA"'s "Uganda").
pub fn suggest_index(word: &str, candidates: &[&str]) -> Option<usize> {
    let lower: Vec<String> = candidates.iter().map(|c| c.to_lowercase()).collect();
    let refs: Vec<&str> = lower.iter().map(String::as_str).collect();
    let close = suggest(word, &refs)?;
    refs.iter().position(|c| *c == close)
}

/// At most `max` characters of `text` for an error message, control characters shown as
/// escapes, with "..." where it was cut: a message never grows with a hostile input.
pub fn clip(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .take(max)
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect();
    if text.chars().count() > max {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("remitance", "remittances"), 2);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
        assert_eq!(edit_distance("ugnada", "uganda"), 1);
        assert_eq!(edit_distance("ugnada", "canada"), 2);
    }

    #[test]
    fn suggestions_only_for_close_words() {
        assert_eq!(
            suggest("remitance", &["remittances", "region"]),
            Some("remittances")
        );
        assert_eq!(suggest("zzzzzz", &["remittances", "region"]), None);
    }

    #[test]
    fn line_and_column_are_one_based_in_characters() {
        let file = SourceFile::new("x.toml", "a = 1\nbé = 2\n");
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(6), (2, 1));
        // 'é' is two bytes: the '=' after "bé " is the 4th character.
        assert_eq!(file.line_col(10), (2, 4));
    }
}
