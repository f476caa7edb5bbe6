//! `migproj backtest`: scores projections made from history alone (MODEL.md section 13).

#[allow(unused_imports)]
use super::*;

/// `migproj backtest`.
pub fn backtest(
    histories: &[std::path::PathBuf],
    windows: &[String],
    settings: &crate::backtest::Settings,
    out: &Path,
    name: &str,
    quiet: bool,
) -> Result<()> {
    use crate::backtest::{backtest as run_backtest, rows_csv, rows_md};
    if !valid_name(name) {
        return Err(Error::InputPlain(format!(
            "error: --name must be 1 to 64 characters from a-z, 0-9, '-', '_' (it names the output folder), found \"{name}\""
        )));
    }
    if !(settings.min_stock.is_finite() && settings.min_stock >= 0.0) {
        return Err(Error::InputPlain(format!(
            "error: --min-stock must be a number of persons >= 0, found {}",
            settings.min_stock
        )));
    }
    let mut parsed = Vec::new();
    for w in windows {
        let window = w
            .split_once(':')
            .and_then(|(a, b)| Some((a.trim().parse::<i32>().ok()?, b.trim().parse::<i32>().ok()?)))
            .filter(|(a, b)| (1000..=3000).contains(a) && a < b && *b <= 3000);
        match window {
            Some(window) => parsed.push(window),
            None => {
                return Err(Error::InputPlain(format!(
                    "error: --windows takes BASE:CAL pairs such as 1970:1980 (base year before calibration year), found \"{w}\""
                )))
            }
        }
    }
    // Read every history before any work: a bad file is refused at once.
    let mut files = Vec::new();
    for path in histories {
        files.push(read_text(path, "stock history")?);
    }
    let started = Instant::now();
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for file in &files {
        let (r, n) = run_backtest(file, &parsed, settings, &|what| {
            if !quiet {
                eprintln!("backtest: {what}");
            }
        })?;
        rows.extend(r);
        notes.extend(n);
    }
    let table = rows_md(&rows);
    let mut md = format!(
        "# Backtest within the history\n\nEach projection was calibrated on two census years, with the uncertainty estimated from \
the figures up to the calibration year only (`migproj estimate --until`), and projected to the \
last year of its history; the stocks of every later census year are scored (MODEL.md section \
13). {} trajectories per projection, seed {}; estimates with {} simulated histories and {} \
bootstrap replicates. Coverage: the share of observations inside the interval; median error: \
the median absolute percentage error of the median; bias: the mean signed error (negative: \
projected too low).\n\n{table}\n",
        settings.trajectories, settings.seed, settings.simulations, settings.bootstrap
    );
    for n in &notes {
        md += &format!(
            "- {} {}-{}: {}\n",
            n.history, n.base_year, n.calibration_year, n.text
        );
    }
    let folder = OutputFolder::create(out, name, crate::output::folder::Kind::Backtest)?;
    folder.write("backtest.csv", &rows_csv(&rows)?)?;
    folder.write("backtest.md", md.as_bytes())?;
    let target = folder.commit()?;
    say(&table);
    if !quiet {
        eprintln!(
            "wrote {} in {:.1} s",
            target.display(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
