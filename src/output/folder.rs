//! An output folder written atomically: files go into a hidden temporary folder beside the
//! target, which replaces the target only when every file is complete. A lock file keeps two
//! runs from writing the same folder at once; a failed or killed run leaves the previous
//! outputs as they were.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub struct OutputFolder {
    target: PathBuf,
    staging: PathBuf,
    lock: PathBuf,
    committed: bool,
}

fn process_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists() || !Path::new("/proc/self").exists()
}

impl OutputFolder {
    /// Prepares `parent/name`: takes the lock and creates the staging folder.
    pub fn create(parent: &Path, name: &str) -> Result<Self> {
        fs::create_dir_all(parent)
            .map_err(|e| Error::environment("cannot create the output folder", parent, e))?;
        let target = parent.join(name);
        let lock = parent.join(format!(".{name}.lock"));
        let pid = std::process::id();
        for _attempt in 0..2 {
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&lock)
            {
                Ok(mut file) => {
                    let _ = writeln!(file, "{pid}");
                    break;
                }
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = fs::read_to_string(&lock)
                        .ok()
                        .and_then(|s| s.trim().parse::<u32>().ok());
                    match holder {
                        Some(other) if process_alive(other) && other != pid => {
                            return Err(Error::Environment(format!(
                                "another migproj run (process {other}) is writing `{}`; wait for it, or delete `{}` if no run is active",
                                target.display(),
                                lock.display()
                            )));
                        }
                        // A lock left by a run that was killed: take it over.
                        _ => {
                            let _ = fs::remove_file(&lock);
                        }
                    }
                }
                Err(err) => {
                    return Err(Error::environment(
                        "cannot write in the output folder",
                        parent,
                        err,
                    ))
                }
            }
        }
        if !lock.exists() {
            return Err(Error::Environment(format!(
                "cannot take the lock `{}`",
                lock.display()
            )));
        }
        remove_leftovers(parent, name);
        let staging = parent.join(format!(".{name}.partial-{pid}"));
        let folder = OutputFolder {
            target,
            staging,
            lock,
            committed: false,
        };
        if folder.staging.exists() {
            let _ = fs::remove_dir_all(&folder.staging);
        }
        fs::create_dir_all(&folder.staging).map_err(|e| {
            Error::environment("cannot create the output folder", &folder.staging, e)
        })?;
        Ok(folder)
    }

    /// Where the outputs will be once committed.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Writes one file (a relative path, folders created) into the staging folder.
    pub fn write(&self, relative: &str, bytes: &[u8]) -> Result<()> {
        let path = self.staging.join(relative);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::environment("cannot create", dir, e))?;
        }
        let mut file =
            fs::File::create(&path).map_err(|e| Error::environment("cannot write", &path, e))?;
        file.write_all(bytes)
            .map_err(|e| Error::environment("cannot write", &path, e))?;
        file.sync_all()
            .map_err(|e| Error::environment("cannot write", &path, e))?;
        Ok(())
    }

    /// Moves the complete staging folder into place, replacing any previous outputs.
    pub fn commit(mut self) -> Result<PathBuf> {
        let parent = self.target.parent().unwrap_or(Path::new("."));
        let name = self
            .target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        if self.target.exists() {
            fs::rename(&self.target, &old)
                .map_err(|e| Error::environment("cannot replace", &self.target, e))?;
        }
        if let Err(err) = fs::rename(&self.staging, &self.target) {
            // Put the previous outputs back.
            let _ = fs::rename(&old, &self.target);
            return Err(Error::environment(
                "cannot move the outputs into",
                &self.target,
                err,
            ));
        }
        let _ = fs::remove_dir_all(&old);
        self.committed = true;
        Ok(self.target.clone())
    }
}

/// Removes the staging and old folders that runs killed before they finished left behind
/// (those whose process is gone). Called while holding the lock.
fn remove_leftovers(parent: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let prefixes = [format!(".{name}.partial-"), format!(".{name}.old-")];
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        for prefix in &prefixes {
            if let Some(pid) = file_name
                .strip_prefix(prefix.as_str())
                .and_then(|p| p.parse::<u32>().ok())
            {
                if pid != std::process::id() && !process_alive(pid) {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
    }
}

impl Drop for OutputFolder {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
        let _ = fs::remove_file(&self.lock);
    }
}
