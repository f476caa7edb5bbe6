//! `migproj report`: writes FILE.md, FILE.html, FILE.csv and FILE.xlsx from run and compare
//! folders.

#[allow(unused_imports)]
use super::*;

/// `migproj report`.
pub fn report(
    dirs: &[std::path::PathBuf],
    out: &Path,
    force: bool,
    options: &crate::report::ReportOptions,
) -> Result<()> {
    // Readers of the run folders: a run replacing one of them meanwhile waits. Locks are
    // taken in one order (sorted paths) so that two reports cannot wait on each other.
    let mut locked: Vec<&std::path::PathBuf> = dirs.iter().collect();
    locked.sort();
    locked.dedup();
    let _locks = locked
        .iter()
        .flat_map(|dir| {
            // A run inside a compare or hindcast folder: that folder's lock too (issue 22
            // item 22), taken first, as plot does.
            crate::output::folder::enclosing_analysis(dir)
                .into_iter()
                .chain(std::iter::once(dir.to_path_buf()))
        })
        .map(|dir| Lock::for_reading(&dir))
        .collect::<Result<Vec<_>>>()?;
    let mut runs = Vec::new();
    let mut comparisons = Vec::new();
    for dir in dirs {
        if let Some(comparison) = crate::report::read_comparison(dir)? {
            comparisons.push(comparison);
            continue;
        }
        let tables = read_run_tables(dir)?;
        runs.push(crate::report::read_run(dir, tables)?);
    }
    let report_dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    std::fs::create_dir_all(&report_dir)
        .map_err(|e| Error::environment("cannot create", &report_dir, e))?;
    let md_path = out.with_extension("md");
    let html_path = out.with_extension("html");
    let csv_path = out.with_extension("csv");
    let xlsx_path = out.with_extension("xlsx");
    let _lock = Lock::for_target(&md_path, WhenBusy::Refuse)?;
    for path in [&md_path, &html_path, &csv_path, &xlsx_path] {
        refuse_to_replace_foreign(path, force)?;
        remove_partials(path);
    }
    for text in [&options.title, &options.author, &Some(options.date.clone())]
        .into_iter()
        .flatten()
    {
        if text.chars().count() > 500 || text.chars().any(char::is_control) {
            return Err(Error::InputPlain(
                "error: report --title, --author and --date take at most 500 characters, without control characters".into(),
            ));
        }
    }
    if let Some(years) = &options.years {
        crate::report::check_years(years, &runs)?;
    }
    let document = crate::report::document(&runs, &comparisons, options);
    let workbook =
        crate::output::xlsx::workbook(&crate::report::workbook_sheets(&document, &runs, options)?)
            .map_err(|e| Error::environment("cannot build", &xlsx_path, e))?;
    let files: [(&std::path::PathBuf, Vec<u8>); 4] = [
        (
            &md_path,
            crate::report::markdown(&document, &report_dir).into_bytes(),
        ),
        (&html_path, crate::report::html(&document)?.into_bytes()),
        // The report's tables, cell by cell, for readers who take figures from a table, and
        // a workbook of them and the runs' main tables, for readers who never open a CSV
        // (issue 22 item 15).
        (
            &csv_path,
            crate::report::tables_csv(&document, options)?.into_bytes(),
        ),
        (&xlsx_path, workbook),
    ];
    // All four written beside their targets first, then renamed: never a half-written
    // report, and no partial file left behind when the disk is full. The partial files are
    // removed on SIGINT, SIGTERM or SIGHUP, and a signal during the renames waits for the last
    // one (issue 22 item 31): the four files are the previous report's or this one's. Only a
    // kill -9 between the renames can leave files of two reports, told apart by their ids.
    let mut partials = Vec::new();
    for (path, text) in &files {
        let partial = path.with_extension(format!(
            "{}.partial-{}",
            path.extension().and_then(|e| e.to_str()).unwrap_or(""),
            std::process::id()
        ));
        partials.push(partial.clone());
        let written = crate::output::folder::create_temporary_file(&partial)
            .and_then(|file| write_all_synced(file, text));
        if let Err(e) = written {
            for p in &partials {
                let _ = std::fs::remove_file(p);
                crate::output::folder::unregister_temporary(p);
            }
            return Err(Error::environment("cannot write", &partial, e));
        }
    }
    let renames: Vec<(std::path::PathBuf, std::path::PathBuf)> = partials
        .iter()
        .zip(&files)
        .map(|(partial, (path, _))| (partial.clone(), path.to_path_buf()))
        .collect();
    crate::output::folder::rename_temporary_files(&renames, "report rename")
        .map_err(|(path, e)| Error::environment("cannot write", &path, e))?;
    eprintln!(
        "wrote {}, {}, {} (the report's tables) and {} (a workbook of them and the runs' main tables)",
        md_path.display(),
        html_path.display(),
        csv_path.display(),
        xlsx_path.display()
    );
    Ok(())
}

pub use crate::report::REPORT_MARK;

/// A report replaces only a file that migproj wrote, unless `--force`.
pub(crate) fn refuse_to_replace_foreign(path: &Path, force: bool) -> Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if force {
        return Ok(());
    }
    let ours = meta.is_file()
        && std::fs::File::open(path)
            .ok()
            .and_then(|f| {
                use std::io::Read;
                // report.md and report.html start with the mark; the tables' CSV with its
                // header; the workbook's first entry names migproj report.
                if path.extension().is_some_and(|e| e == "xlsx") {
                    let mut head = Vec::new();
                    f.take(1024).read_to_end(&mut head).ok()?;
                    return Some(crate::output::xlsx::is_ours(&head));
                }
                let mark = if path.extension().is_some_and(|e| e == "csv") {
                    crate::report::TABLES_CSV_HEADER
                } else {
                    REPORT_MARK
                };
                let mut head = vec![0u8; mark.len()];
                f.take(mark.len() as u64).read_exact(&mut head).ok()?;
                Some(head == mark.as_bytes())
            })
            .unwrap_or(false);
    if ours {
        return Ok(());
    }
    Err(Error::InputPlain(format!(
        "error: `{}` exists and was not written by migproj report; choose another --out, or add --force to replace it",
        path.display()
    )))
}

/// Removes the partial files a killed report left beside `path` (`NAME.md.partial-PID`):
/// called under the report's lock, so no other report is writing them.
pub(crate) fn remove_partials(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!("{}.partial-", name.to_string_lossy());
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if file_name
                .strip_prefix(&prefix)
                .is_some_and(|pid| pid.parse::<u32>().is_ok())
            {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

fn write_all_synced(mut file: std::fs::File, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    file.write_all(bytes)?;
    file.sync_all()
}
