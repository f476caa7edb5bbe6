//! `migproj new`: writes a commented scenario template.

#[allow(unused_imports)]
use super::*;

pub fn new_scenario(name: &str, dir: &Path, force: bool) -> Result<()> {
    if crate::scenario::reserved_name(name) {
        return Err(Error::InputPlain(format!(
            "error: the scenario name \"{name}\" would collide with the output folder of `migproj compare`, `estimate` or `hindcast`; choose another name"
        )));
    }
    if !valid_name(name) {
        return Err(Error::InputPlain(format!(
            "error: the scenario name must be 1 to 64 characters from a-z, 0-9, '-', '_' (it names the file and the output folder), found \"{name}\""
        )));
    }
    if !dir.is_dir() {
        return Err(Error::InputPlain(format!(
            "error: --dir `{}` is not a folder (create it first)",
            dir.display()
        )));
    }
    let path = dir.join(format!("{name}.toml"));
    // A symlink counts as existing even when it dangles: never write through it unasked.
    let link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
    if link {
        return Err(Error::InputPlain(format!(
            "error: `{}` is a symbolic link; remove it or choose another name (migproj does not write through links)",
            path.display()
        )));
    }
    if path.exists() && !force {
        return Err(Error::InputPlain(format!(
            "error: `{}` exists; pass --force to overwrite it",
            path.display()
        )));
    }
    std::fs::write(&path, crate::scenario::template::template(name))
        .map_err(|e| Error::environment("cannot write", &path, e))?;
    eprintln!(
        "wrote {} (run it with: migproj run {})",
        path.display(),
        path.display()
    );
    Ok(())
}
