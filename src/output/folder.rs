//! An output folder written atomically: files go into a hidden staging folder beside the
//! target, which takes the target's place in one `renameat2(RENAME_EXCHANGE)` when every file
//! is complete, so that at every instant the path holds either the whole previous folder or the
//! whole new one. The previous folder is deleted only after the swap. An OS lock (`flock`,
//! through the standard library) keeps two processes from writing the same folder at once and
//! keeps `plot` and `report` from reading a folder while a run replaces it.
//!
//! Every filesystem operation of a write passes a numbered failpoint: with
//! `MIGPROJ_FAILPOINT=N` in the environment the process stops dead (no destructor runs, as
//! under `kill -9`) at the N-th one. The fault-injection test walks N over every step.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};

static FAILPOINTS_PASSED: AtomicUsize = AtomicUsize::new(0);

/// Folders this process is writing and nobody else will ever use: staging folders before
/// their swap, spills. SIGINT, SIGTERM and SIGHUP remove them before the process exits (issue
/// 22 item 31: a run stopped with Ctrl-C left a hidden 190 MB partial folder).
static TEMPORARY: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// Creates a temporary folder and registers it (see [`remove_temporaries_on_signal`]) under
/// one lock, so that a signal finds it registered as soon as it exists.
pub fn create_temporary(path: &Path) -> std::io::Result<()> {
    let mut list = TEMPORARY.lock();
    fs::create_dir_all(path)?;
    if let Ok(list) = &mut list {
        list.push(path.to_path_buf());
    }
    Ok(())
}

/// Runs `create` (making a file or folder inside a temporary folder) so that a signal's
/// clean-up never runs beside it: the clean-up holds the same lock while it removes the
/// folders and exits, so nothing is created in them after they are removed.
pub fn creating<T>(create: impl FnOnce() -> T) -> T {
    let _guard = TEMPORARY.lock();
    create()
}

/// Creates a file that only this process uses until it is renamed into place (a report's
/// partial files), registered as [`create_temporary`] registers a folder.
pub fn create_temporary_file(path: &Path) -> std::io::Result<fs::File> {
    let mut list = TEMPORARY.lock();
    let file = fs::File::create(path)?;
    if let Ok(list) = &mut list {
        list.push(path.to_path_buf());
    }
    Ok(file)
}

/// Renames each registered temporary file `(from, to)` into place, in order, holding the lock
/// that a signal's clean-up takes: a SIGINT, SIGTERM or SIGHUP meanwhile waits until every
/// file is renamed, so the targets are all the previous ones or all the new ones (issue 22
/// item 31). The failpoint `step` sits between two renames (a kill -9 there). On an error the
/// files not renamed are removed; the error names the target.
pub fn rename_temporary_files(
    renames: &[(PathBuf, PathBuf)],
    step: &str,
) -> std::result::Result<(), (PathBuf, std::io::Error)> {
    let mut list = TEMPORARY.lock();
    let mut forget = |path: &Path| {
        if let Ok(list) = &mut list {
            list.retain(|p| p != path);
        }
    };
    for (k, (from, to)) in renames.iter().enumerate() {
        if k > 0 {
            failpoint(step);
        }
        if let Err(e) = fs::rename(from, to) {
            for (from, _) in &renames[k..] {
                let _ = fs::remove_file(from);
                forget(from);
            }
            return Err((to.clone(), e));
        }
        forget(from);
    }
    Ok(())
}

/// Unregisters a temporary folder: it is committed, removed, or about to be swapped in.
pub fn unregister_temporary(path: &Path) {
    if let Ok(mut list) = TEMPORARY.lock() {
        list.retain(|p| p != path);
    }
}

/// On SIGINT, SIGTERM or SIGHUP: removes the registered temporary folders, says so, and
/// exits with 128 + the signal's number (as a shell reports a process killed by it). A
/// folder being swapped into place is no longer registered, so an interrupted commit leaves
/// the old or the new outputs whole, as a kill does.
pub fn remove_temporaries_on_signal() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            // Held until the process exits: no file is created in these folders after this
            // (see [`creating`]).
            let list = TEMPORARY.lock();
            let removed: Vec<PathBuf> = match &list {
                Ok(list) => list.to_vec(),
                Err(_) => Vec::new(),
            };
            for path in &removed {
                // Folders (staging, spills) and files (a report's partial files).
                if fs::remove_dir_all(path).is_err() {
                    let _ = fs::remove_file(path);
                }
            }
            if !removed.is_empty() {
                eprintln!(
                    "interrupted: removed {} unfinished file{} or folder{} ({}); nothing else was changed",
                    removed.len(),
                    if removed.len() == 1 { "" } else { "s" },
                    if removed.len() == 1 { "" } else { "s" },
                    removed
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            std::process::exit(128 + signal);
        }
    });
}

/// Stops the process at the N-th failpoint when `MIGPROJ_FAILPOINT=N`, or at the first
/// failpoint of a step when `MIGPROJ_FAILPOINT=STEP` ("remove previous", say): a testing aid.
///
/// With `MIGPROJ_PAUSE=STEP`, the process says "paused at STEP" on standard error and sleeps
/// three seconds at each failpoint of that step instead: a test sends a signal meanwhile.
pub fn failpoint(step: &str) {
    if std::env::var("MIGPROJ_PAUSE").is_ok_and(|pause| pause.trim() == step) {
        eprintln!("paused at {step}");
        std::thread::sleep(std::time::Duration::from_secs(3));
    }
    let Ok(setting) = std::env::var("MIGPROJ_FAILPOINT") else {
        return;
    };
    let passed = FAILPOINTS_PASSED.fetch_add(1, Ordering::SeqCst) + 1;
    let stop = match setting.trim().parse::<usize>() {
        Ok(stop_at) => passed == stop_at,
        Err(_) => setting.trim() == step,
    };
    if stop {
        eprintln!("failpoint {passed} ({step}): stopping as if killed");
        // No destructors, no cleanup: what a kill -9 leaves behind.
        std::process::exit(86);
    }
}

/// What to do when another process holds a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WhenBusy {
    /// Fail at once (two runs writing the same folder is a mistake worth reporting).
    Refuse,
    /// Wait for the other process (a reader waits for the writer to finish).
    Wait,
}

/// An exclusive OS lock on `parent/.NAME.lock`, held until dropped. The lock file is removed
/// while the lock is still held; a process that opened the old file then finds, once it gets
/// the lock, that the path no longer names its file, and starts again.
pub struct Lock {
    path: PathBuf,
    file: Option<fs::File>,
    /// A reader's shared lock: dropping it leaves the file to the other readers holding it.
    shared: bool,
}

/// Whether an error opening or creating a file says that this process may not write there
/// (a read-only mount, another user's folder).
fn not_writable(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(code) if code == rustix::io::Errno::ACCESS.raw_os_error()
            || code == rustix::io::Errno::ROFS.raw_os_error()
            || code == rustix::io::Errno::PERM.raw_os_error()
    )
}

/// The lock file guarding `parent/name`.
pub fn lock_path(parent: &Path, name: &str) -> PathBuf {
    parent.join(format!(".{name}.lock"))
}

/// The compare folder (`OUT/compare/runs/NAME`) or hindcast folder (`OUT/NAME-hindcast/run`)
/// a run folder lies in, if any: that command rewrites the run under the folder's own lock.
pub fn enclosing_analysis(dir: &Path) -> Option<PathBuf> {
    let dir = fs::canonicalize(dir).ok()?;
    let parent = dir.parent()?;
    if parent.join("hindcast.csv").is_file() {
        return Some(parent.to_path_buf());
    }
    let grandparent = parent.parent()?;
    (parent.file_name()? == "runs" && grandparent.join("differences.csv").is_file())
        .then(|| grandparent.to_path_buf())
}

/// The error for a lock path that holds something other than a regular file.
fn not_a_regular_lock(path: &Path) -> Error {
    Error::InputPlain(format!(
        "error: the lock file `{}` is not a regular file (a symbolic link, folder, FIFO or device was put there); migproj never follows or waits on one: remove it and run again",
        path.display()
    ))
}

/// The lock file guarding `target` (a folder or file path): `.NAME.lock` beside it.
fn lock_path_of(target: &Path) -> PathBuf {
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".to_string());
    lock_path(parent, &name)
}

impl Lock {
    /// Takes the lock guarding `target` (a folder or file path).
    pub fn for_target(target: &Path, when_busy: WhenBusy) -> Result<Lock> {
        Lock::acquire(&lock_path_of(target), target, when_busy, false)
    }

    /// A reader's lock on `target` (report, compare): shared with other readers, exclusive of
    /// a writer (run, plot), waiting for one to finish. A reader needs no write access (issue
    /// 22 item 30): where the lock file cannot be created (a read-only mount, another user's
    /// folder) it reads without a lock, since no writer of its own can be there, and a lock
    /// file another user left is opened read-only (an OS lock does not outlive its process).
    pub fn for_reading(target: &Path) -> Result<Lock> {
        Lock::acquire(&lock_path_of(target), target, WhenBusy::Wait, true)
    }

    /// Takes the lock at `path`: exclusive (a writer) or `shared` (a reader).
    fn acquire(path: &Path, target: &Path, when_busy: WhenBusy, shared: bool) -> Result<Lock> {
        use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
        let mut told = false;
        loop {
            // A lock is never taken through a symbolic link (O_NOFOLLOW) and must be a regular
            // file: a planted link or FIFO is an error, not something to follow or wait on.
            let not_regular = || not_a_regular_lock(path);
            if fs::symlink_metadata(path).is_ok_and(|m| !m.file_type().is_file()) {
                return Err(not_regular());
            }
            let flags = (rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32;
            let create = || {
                fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .custom_flags(flags)
                    .open(path)
            };
            // A reader opens an existing lock file read-only (another user's will do).
            let opened = if shared {
                fs::OpenOptions::new()
                    .read(true)
                    .custom_flags(flags)
                    .open(path)
                    .or_else(|e| match e.kind() {
                        std::io::ErrorKind::NotFound => create(),
                        _ => Err(e),
                    })
            } else {
                create()
            };
            let file = match opened {
                Ok(file) => file,
                // A reader where it may not write reads without a lock (see `for_reading`).
                Err(e) if shared && not_writable(&e) => {
                    return Ok(Lock {
                        path: path.to_path_buf(),
                        file: None,
                        shared,
                    })
                }
                Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
                    return Err(not_regular())
                }
                Err(e) => return Err(Error::environment("cannot create the lock file", path, e)),
            };
            if !file.metadata().is_ok_and(|m| m.is_file()) {
                return Err(not_regular());
            }
            let tried = if shared {
                file.try_lock_shared()
            } else {
                file.try_lock()
            };
            match tried {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => match when_busy {
                    WhenBusy::Refuse => {
                        return Err(Error::Environment(format!(
                            "another migproj process (a run, plot or report) is using `{}` (it holds the lock `{}`); wait for it to finish",
                            target.display(),
                            path.display()
                        )))
                    }
                    WhenBusy::Wait => {
                        if !told {
                            eprintln!(
                                "waiting for another migproj process that is writing `{}`...",
                                target.display()
                            );
                            told = true;
                        }
                        let waited = if shared {
                            file.lock_shared()
                        } else {
                            file.lock()
                        };
                        waited.map_err(|e| Error::environment("cannot take the lock", path, e))?;
                    }
                },
                Err(fs::TryLockError::Error(e)) => {
                    return Err(Error::environment("cannot take the lock", path, e))
                }
            }
            // The holder we waited for may have removed the file: lock the one at the path.
            let same = match (file.metadata(), fs::symlink_metadata(path)) {
                (Ok(held), Ok(now)) => held.dev() == now.dev() && held.ino() == now.ino(),
                _ => false,
            };
            if same {
                return Ok(Lock {
                    path: path.to_path_buf(),
                    file: Some(file),
                    shared,
                });
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // A writer's file is removed while held, then released (see the type's comment). A
        // reader removes it too when it is the last holder (its shared lock turns exclusive
        // without waiting), so that reading leaves no file behind.
        if let Some(file) = &self.file {
            if !self.shared || file.try_lock().is_ok() {
                let _ = fs::remove_file(&self.path);
            }
        }
        drop(self.file.take());
    }
}

/// What migproj writes into a folder of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A scenario's run (run.json and tables).
    Run,
    /// `compare` (differences.csv).
    Compare,
    /// `hindcast` (hindcast.csv).
    Hindcast,
    /// `estimate` (estimate.toml).
    Estimate,
    /// `backtest` (backtest.csv).
    Backtest,
    /// A run folder's charts/ (PNG and SVG files only), which `plot` redraws.
    Charts,
    /// A shard of a Monte Carlo (manifest.json and values files, MODEL.md section 15).
    Shard,
    /// The Slurm scripts of `migproj slurm` (submit.sh) and the jobs' logs.
    Slurm,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::Run => "a run folder (run.json and tables)",
            Kind::Compare => "a compare folder (differences.csv)",
            Kind::Hindcast => "a hindcast folder (hindcast.csv)",
            Kind::Estimate => "an estimate folder (estimate.toml)",
            Kind::Backtest => "a backtest folder (backtest.csv)",
            Kind::Charts => "a charts folder (PNG and SVG files)",
            Kind::Shard => "a shard folder (manifest.json and values files)",
            Kind::Slurm => "a Slurm scripts folder (submit.sh)",
        }
    }
}

/// The kind of migproj folder `dir` is, from the file that only that kind writes; `None`
/// for a folder migproj did not write. (Only names are read: nothing in the folder is
/// opened.)
fn kind_of(dir: &Path) -> Option<Kind> {
    let has =
        |file: &str| fs::symlink_metadata(dir.join(file)).is_ok_and(|m| m.file_type().is_file());
    if has("run.json") {
        Some(Kind::Run)
    } else if has("differences.csv") {
        Some(Kind::Compare)
    } else if has("hindcast.csv") {
        Some(Kind::Hindcast)
    } else if has("estimate.toml") {
        Some(Kind::Estimate)
    } else if has("backtest.csv") {
        Some(Kind::Backtest)
    } else if has(crate::shards::MANIFEST) {
        Some(Kind::Shard)
    } else if has("submit.sh") {
        Some(Kind::Slurm)
    } else {
        let entries: Vec<fs::DirEntry> = fs::read_dir(dir).ok()?.flatten().take(10_000).collect();
        let charts = !entries.is_empty()
            && entries.iter().all(|e| {
                e.file_type().is_ok_and(|t| t.is_file())
                    && e.path()
                        .extension()
                        .is_some_and(|x| x == "png" || x == "svg")
            });
        charts.then_some(Kind::Charts)
    }
}

/// Refuses to replace `target` unless it is absent, an empty folder, or a folder migproj
/// wrote for the same kind of output.
fn check_replaceable(target: &Path, kind: Kind) -> Result<()> {
    let metadata = match fs::symlink_metadata(target) {
        Err(_) => return Ok(()),
        Ok(m) => m,
    };
    let refuse = |what: String| {
        Err(Error::InputPlain(format!(
            "error: `{}` {what}, so migproj will not replace it with {} (nothing was written); choose another --out or name, or move it away yourself",
            target.display(),
            kind.describe()
        )))
    };
    if metadata.file_type().is_symlink() {
        return refuse("is a symbolic link".into());
    }
    if !metadata.is_dir() {
        return refuse("exists and is not a folder".into());
    }
    if fs::read_dir(target).is_ok_and(|mut d| d.next().is_none()) {
        return Ok(());
    }
    match kind_of(target) {
        Some(found) if found == kind => Ok(()),
        Some(found) => refuse(format!("holds {}", found.describe())),
        None => refuse("exists and was not written by migproj (it has none of run.json, differences.csv, hindcast.csv, estimate.toml, backtest.csv, manifest.json, submit.sh)".into()),
    }
}

pub struct OutputFolder {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
    _lock: Lock,
}

impl OutputFolder {
    /// Prepares `parent/name`: takes the lock (refusing if another process holds it), puts
    /// back a previous folder that a process killed mid-replacement left aside, removes
    /// leftovers, and creates the staging folder.
    ///
    /// An existing `parent/name` is replaced only when it is a folder that migproj wrote for
    /// the same `kind` of output (or an empty folder): anything else is refused with exit 2,
    /// naming what is there, and left as it is.
    pub fn create(parent: &Path, name: &str, kind: Kind) -> Result<Self> {
        fs::create_dir_all(parent)
            .map_err(|e| Error::environment("cannot create the output folder", parent, e))?;
        let target = parent.join(name);
        let lock = Lock::for_target(&target, WhenBusy::Refuse)?;
        failpoint("lock taken");
        recover_and_clean(parent, name)?;
        check_replaceable(&target, kind)?;
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        failpoint("create staging");
        create_temporary(&staging)
            .map_err(|e| Error::environment("cannot create the output folder", &staging, e))?;
        Ok(OutputFolder {
            target,
            staging,
            committed: false,
            _lock: lock,
        })
    }

    /// Where the outputs will be once committed.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Writes one file (a relative path, folders created) into the staging folder.
    pub fn write(&self, relative: &str, bytes: &[u8]) -> Result<()> {
        let path = self.staging.join(relative);
        failpoint("create file");
        let mut file = creating(|| {
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir).map_err(|e| Error::environment("cannot create", dir, e))?;
            }
            fs::File::create(&path).map_err(|e| Error::environment("cannot write", &path, e))
        })?;
        failpoint("write file");
        file.write_all(bytes)
            .map_err(|e| Error::environment("cannot write", &path, e))?;
        file.sync_all()
            .map_err(|e| Error::environment("cannot write", &path, e))?;
        Ok(())
    }

    /// The path of a file of the staging folder (for writers that create their own file).
    pub fn staging_path(&self, relative: &str) -> PathBuf {
        self.staging.join(relative)
    }

    /// Opens a file of the staging folder for writing in pieces (large tables streamed to
    /// disk); the caller writes and flushes it.
    pub fn create_file(&self, relative: &str) -> Result<(PathBuf, fs::File)> {
        let path = self.staging.join(relative);
        failpoint("create file");
        let file = creating(|| {
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir).map_err(|e| Error::environment("cannot create", dir, e))?;
            }
            fs::File::create(&path).map_err(|e| Error::environment("cannot write", &path, e))
        })?;
        Ok((path, file))
    }

    /// Puts the complete staging folder in place of the target; the previous outputs are
    /// deleted after the swap.
    pub fn commit(self) -> Result<PathBuf> {
        self.commit_keeping(None)
    }

    /// As `commit`, but the previous outputs (if any) are moved to `backup` instead of deleted.
    pub fn commit_keeping(mut self, backup: Option<&Path>) -> Result<PathBuf> {
        // From here a signal leaves the staging folder to the next run's clean-up: after the
        // swap it holds the previous outputs, which --keep keeps.
        unregister_temporary(&self.staging);
        sync_dir(&self.staging);
        let parent = self.target.parent().unwrap_or(Path::new(".")).to_path_buf();
        let had_target = fs::symlink_metadata(&self.target).is_ok();
        // With --keep, a note beside the staging folder records which folder holds the new
        // outputs (its device and inode): a process stopped after the swap leaves the
        // previous outputs at the staging path, and the next writer keeps them as
        // `NAME.~N~` instead of deleting them (issue 22 item 21).
        let keep_note = match (backup, had_target) {
            (Some(_), true) => {
                use std::os::unix::fs::MetadataExt;
                let meta = fs::symlink_metadata(&self.staging)
                    .map_err(|e| Error::environment("cannot read", &self.staging, e))?;
                let note = keep_note_path(&self.staging);
                fs::write(&note, format!("{} {}\n", meta.dev(), meta.ino()))
                    .map_err(|e| Error::environment("cannot write", &note, e))?;
                sync_dir(&parent);
                Some(note)
            }
            _ => None,
        };
        failpoint("swap");
        if !had_target {
            fs::rename(&self.staging, &self.target)
                .map_err(|e| Error::environment("cannot move the outputs into", &self.target, e))?;
        } else if std::env::var_os("MIGPROJ_NO_RENAME_EXCHANGE").is_some() {
            // Testing aid: the path taken on filesystems without RENAME_EXCHANGE.
            self.swap_in_two_renames()?;
        } else {
            match rustix::fs::renameat_with(
                rustix::fs::CWD,
                &self.staging,
                rustix::fs::CWD,
                &self.target,
                rustix::fs::RenameFlags::EXCHANGE,
            ) {
                Ok(()) => {}
                Err(errno)
                    if errno == rustix::io::Errno::INVAL
                        || errno == rustix::io::Errno::NOSYS
                        || errno == rustix::io::Errno::OPNOTSUPP =>
                {
                    self.swap_in_two_renames()?;
                }
                Err(errno) => {
                    return Err(Error::environment(
                        "cannot move the outputs into",
                        &self.target,
                        std::io::Error::from(errno),
                    ))
                }
            }
        }
        // The staging path now holds the previous outputs (if there were any).
        self.committed = true;
        sync_dir(&parent);
        if had_target {
            failpoint("remove previous");
            match backup {
                Some(backup) => fs::rename(&self.staging, backup).map_err(|e| {
                    Error::environment("cannot keep the previous run as", backup, e)
                })?,
                None => {
                    let _ = fs::remove_dir_all(&self.staging);
                }
            }
        }
        if let Some(note) = keep_note {
            let _ = fs::remove_file(note);
        }
        failpoint("release lock");
        Ok(self.target.clone())
    }

    /// For filesystems without `RENAME_EXCHANGE`: the target goes to `.NAME.old-PID`, the
    /// staging folder to the target, and the old folder to the staging path. A process killed
    /// between the first two renames leaves no target; the next writer puts `.NAME.old-*` back
    /// (`recover_and_clean`), so the previous outputs are never lost.
    fn swap_in_two_renames(&self) -> Result<()> {
        let parent = self.target.parent().unwrap_or(Path::new("."));
        let name = self
            .target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        fs::rename(&self.target, &old)
            .map_err(|e| Error::environment("cannot replace", &self.target, e))?;
        failpoint("second rename");
        if let Err(err) = fs::rename(&self.staging, &self.target) {
            let _ = fs::rename(&old, &self.target);
            return Err(Error::environment(
                "cannot move the outputs into",
                &self.target,
                err,
            ));
        }
        fs::rename(&old, &self.staging).map_err(|e| Error::environment("cannot move", &old, e))?;
        Ok(())
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(file) = fs::File::open(dir) {
        let _ = file.sync_all();
    }
}

/// The note a `--keep` commit leaves beside its staging folder `.NAME.partial-PID` while it
/// swaps: `.NAME.keep-PID`.
fn keep_note_path(staging: &Path) -> PathBuf {
    let name = staging
        .file_name()
        .map(|n| n.to_string_lossy().replacen(".partial-", ".keep-", 1))
        .unwrap_or_default();
    staging.with_file_name(name)
}

/// `path.~N~` for the first N from 1 that names nothing (as `cp --backup=numbered`).
pub fn numbered_backup(path: &Path) -> PathBuf {
    let mut n = 1;
    loop {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".~{n}~"));
        let candidate = PathBuf::from(name);
        if fs::symlink_metadata(&candidate).is_err() {
            return candidate;
        }
        n += 1;
    }
}

/// A staging folder a `--keep` commit left: if it is no longer the folder its note names, the
/// swap happened and it holds the previous outputs, kept as `NAME.~N~`; else it is removed
/// as any leftover. The note goes either way.
fn recover_kept(staging: &Path, note: &Path, target: &Path) -> Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let recorded = fs::read_to_string(note).unwrap_or_default();
    let _ = fs::remove_file(note);
    let Ok(meta) = fs::symlink_metadata(staging) else {
        return Ok(false);
    };
    let now = format!("{} {}", meta.dev(), meta.ino());
    if !meta.is_dir() || recorded.trim() == now || recorded.trim().is_empty() {
        return Ok(false);
    }
    let backup = numbered_backup(target);
    fs::rename(staging, &backup)
        .map_err(|e| Error::environment("cannot keep the previous run as", &backup, e))?;
    eprintln!(
        "kept {} (the previous run of `{}`, which a run with --keep was stopped while replacing)",
        backup.display(),
        target.display()
    );
    Ok(true)
}

/// Called while holding the lock, so no other writer of `parent/name` is alive: a previous
/// folder left aside with no target is put back; every other leftover of killed writers
/// (staging folders, old folders) is removed.
fn recover_and_clean(parent: &Path, name: &str) -> Result<()> {
    let Ok(entries) = fs::read_dir(parent) else {
        return Ok(());
    };
    let staging_prefix = format!(".{name}.partial-");
    let old_prefix = format!(".{name}.old-");
    let target = parent.join(name);
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let is_old = file_name
            .strip_prefix(old_prefix.as_str())
            .is_some_and(|pid| pid.parse::<u32>().is_ok());
        let is_staging = file_name
            .strip_prefix(staging_prefix.as_str())
            .is_some_and(|pid| pid.parse::<u32>().is_ok());
        if is_old && fs::symlink_metadata(&target).is_err() {
            failpoint("restore previous");
            fs::rename(entry.path(), &target).map_err(|e| {
                Error::environment("cannot restore the previous outputs", &target, e)
            })?;
            eprintln!(
                "restored {} (a run was stopped while replacing it)",
                target.display()
            );
        } else if is_staging
            && fs::symlink_metadata(keep_note_path(&entry.path())).is_ok()
            && recover_kept(&entry.path(), &keep_note_path(&entry.path()), &target)?
        {
            // Kept as NAME.~N~ (a --keep commit stopped after its swap).
        } else if is_old || is_staging {
            failpoint("remove leftover");
            let _ = fs::remove_dir_all(entry.path());
        } else if file_name
            .strip_prefix(format!(".{name}.keep-").as_str())
            .is_some_and(|pid| pid.parse::<u32>().is_ok())
            && fs::symlink_metadata(parent.join(file_name.replacen(".keep-", ".partial-", 1)))
                .is_err()
        {
            // The note of a --keep commit that finished its backup but not the note.
            let _ = fs::remove_file(entry.path());
        } else if let Some(pid) = file_name
            .strip_prefix(format!(".{name}.spill-").as_str())
            .and_then(|pid| pid.parse::<u32>().ok())
        {
            // The spill of a run that was killed (MODEL.md section 15); a running one's is
            // left alone.
            if !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
    Ok(())
}

impl Drop for OutputFolder {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
            unregister_temporary(&self.staging);
        }
    }
}
