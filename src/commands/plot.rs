//! `migproj plot`: redraws a run folder's charts from its tables.

#[allow(unused_imports)]
use super::*;

/// Redraws the charts of a run folder from its tables; the new charts replace DIR/charts whole.
pub fn plot(dir: &Path, size: (u32, u32)) -> Result<()> {
    // Held while the tables are read and the charts written: a run replacing the folder
    // meanwhile waits, so the charts always match the tables beside them.
    let _lock = Lock::for_target(dir, WhenBusy::Wait)?;
    let run_tables = read_run_tables(dir)?;
    let files = render_all(&run_tables, size)?;
    let folder = OutputFolder::create(dir, "charts", crate::output::folder::Kind::Charts)?;
    for (name, bytes) in &files {
        folder.write(name, bytes)?;
    }
    let target = folder.commit()?;
    eprintln!("wrote {} charts to {}", files.len(), target.display());
    Ok(())
}
