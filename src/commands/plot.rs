//! `migproj plot`: redraws a run folder's charts from its tables.

#[allow(unused_imports)]
use super::*;

/// Redraws the charts of a run folder from its tables; the new charts replace DIR/charts whole.
/// With `regions`, also `stock_selected`: the stock of the named regions or areas.
pub fn plot(dir: &Path, size: (u32, u32), regions: &[String]) -> Result<()> {
    // Held while the tables are read and the charts written: a run replacing the folder
    // meanwhile waits, so the charts always match the tables beside them.
    // A run inside a compare or hindcast folder is rewritten by that command under the
    // folder's own lock: take it first (issue 22 item 22: plot raced compare's rewrite).
    let _enclosing = match crate::output::folder::enclosing_analysis(dir) {
        Some(folder) => Some(Lock::for_target(&folder, WhenBusy::Wait)?),
        None => None,
    };
    let _lock = Lock::for_target(dir, WhenBusy::Wait)?;
    let run_tables = read_run_tables(dir)?;
    let mut charts = crate::output::charts::charts(&run_tables);
    if !regions.is_empty() {
        charts.push(crate::output::charts::selected_regions_chart(
            &run_tables,
            regions,
        )?);
    }
    let files = crate::output::charts::render_charts(charts, size)?;
    let folder = OutputFolder::create(dir, "charts", crate::output::folder::Kind::Charts)?;
    for (name, bytes) in &files {
        folder.write(name, bytes)?;
    }
    let target = folder.commit()?;
    eprintln!("wrote {} charts to {}", files.len(), target.display());
    Ok(())
}
