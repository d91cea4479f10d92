//! Installing the pre-commit hook where git will run it, without ever losing a hook the user
//! already has.
//!
//! The hook is the script in the top-level `hooks/pre-commit`, compiled into the binary. It is
//! recognised as ours by its marker line. A hook that is not ours is never overwritten: `install`
//! refuses, or with `--chain` renames it to `pre-commit.pre-pycache-policy`, which our script
//! runs first. `uninstall` removes our hook and puts a chained one back. Both are idempotent.

use std::fs;
use std::path::{Path, PathBuf};

use crate::git::repo::Repo;
use crate::model::error::Error;
use crate::util::fs::write_atomic;

/// The hook script, as shipped in `hooks/pre-commit`.
pub(crate) const SCRIPT: &str = include_str!("../../hooks/pre-commit");

/// The line that marks a hook as ours.
const MARKER: &str = "# pycache-policy pre-commit hook";

/// The name a chained (pre-existing) hook is kept under, beside ours.
pub(crate) const CHAINED_SUFFIX: &str = ".pre-pycache-policy";

/// What `install` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Installed {
    /// The hook was written where there was none.
    New(PathBuf),
    /// The user's hook was kept (renamed to the second path) and runs before ours.
    Chained(PathBuf, PathBuf),
    /// An older version of our hook was replaced.
    Updated(PathBuf),
    /// Our hook was already there, unchanged.
    AlreadyInstalled(PathBuf),
}

/// What `uninstall` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Uninstalled {
    /// Our hook was removed; nothing was there before it.
    Removed(PathBuf),
    /// Our hook was removed and the chained hook put back in its place.
    Restored(PathBuf),
    /// There was no hook of ours to remove.
    NotInstalled(PathBuf),
}

/// Earlier released versions of [`SCRIPT`]: a hook identical to one of them is ours to update
/// or remove. (None yet: nothing has been released.)
const PAST_SCRIPTS: &[&str] = &[];

/// What is at the hook's path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HookState {
    /// Nothing (not even a dangling symlink).
    Absent,
    /// Byte for byte a script we shipped: ours to replace or remove.
    Ours,
    /// Our marker, but edited since: the edits are the user's, so it is left alone.
    Edited,
    /// Somebody else's hook.
    Foreign,
}

fn state(path: &Path) -> HookState {
    // `symlink_metadata`: a dangling symlink is still somebody's hook.
    if fs::symlink_metadata(path).is_err() {
        return HookState::Absent;
    }
    let Ok(bytes) = fs::read(path) else {
        return HookState::Foreign;
    };
    if bytes == SCRIPT.as_bytes() || PAST_SCRIPTS.iter().any(|s| bytes == s.as_bytes()) {
        return HookState::Ours;
    }
    let marked = String::from_utf8_lossy(&bytes)
        .lines()
        .take(3)
        .any(|l| l.starts_with(MARKER));
    if marked {
        HookState::Edited
    } else {
        HookState::Foreign
    }
}

fn chained_path(hook: &Path) -> PathBuf {
    let mut name = hook.as_os_str().to_owned();
    name.push(CHAINED_SUFFIX);
    PathBuf::from(name)
}

/// Installs the pre-commit hook for `repo`. With `chain`, a hook that is already there is kept
/// and run first; without it, such a hook makes `install` refuse. Our own hook, edited since it
/// was installed, is the user's now and is never overwritten.
pub fn install(repo: &Repo, chain: bool) -> Result<Installed, Error> {
    repo.workdir()?;
    let dir = repo.hooks_dir()?;
    let hook = dir.join("pre-commit");
    let kept = chained_path(&hook);
    match state(&hook) {
        HookState::Ours => {
            let current = fs::read(&hook).map_err(Error::io("read the hook", &hook))?;
            if current == SCRIPT.as_bytes() {
                return Ok(Installed::AlreadyInstalled(hook));
            }
            write_executable(&hook, SCRIPT)?;
            Ok(Installed::Updated(hook))
        }
        HookState::Edited => Err(Error::HookEdited { path: hook }),
        HookState::Foreign if !chain => Err(Error::HookExists { path: hook }),
        HookState::Foreign => {
            if fs::symlink_metadata(&kept).is_ok() {
                return Err(Error::ChainedHookExists { path: kept });
            }
            fs::rename(&hook, &kept).map_err(Error::io("keep the existing hook as", &kept))?;
            if let Err(e) = write_executable(&hook, SCRIPT) {
                // Put the user's hook back rather than leave no hook at all.
                let _ = fs::rename(&kept, &hook);
                return Err(e);
            }
            Ok(Installed::Chained(hook, kept))
        }
        HookState::Absent => {
            fs::create_dir_all(&dir).map_err(Error::io("create the hooks folder", &dir))?;
            write_executable(&hook, SCRIPT)?;
            // A hook kept by an earlier `install --chain` runs first again: say so.
            if fs::symlink_metadata(&kept).is_ok() {
                return Ok(Installed::Chained(hook, kept));
            }
            Ok(Installed::New(hook))
        }
    }
}

/// Removes our pre-commit hook and restores a hook that `install --chain` kept. A hook that is
/// not ours, or ours edited since, is left alone (an error).
pub fn uninstall(repo: &Repo) -> Result<Uninstalled, Error> {
    repo.workdir()?;
    let hook = repo.hooks_dir()?.join("pre-commit");
    let kept = chained_path(&hook);
    match state(&hook) {
        HookState::Foreign => return Err(Error::HookNotOurs { path: hook }),
        HookState::Edited => return Err(Error::HookEdited { path: hook }),
        HookState::Absent if fs::symlink_metadata(&kept).is_err() => {
            return Ok(Uninstalled::NotInstalled(hook));
        }
        HookState::Absent | HookState::Ours => {}
    }
    if fs::symlink_metadata(&kept).is_ok() {
        // rename over our hook: at no moment is there no hook.
        fs::rename(&kept, &hook).map_err(Error::io("restore the chained hook", &kept))?;
        return Ok(Uninstalled::Restored(hook));
    }
    fs::remove_file(&hook).map_err(Error::io("remove the hook", &hook))?;
    Ok(Uninstalled::Removed(hook))
}

/// Writes `text` to `path` atomically (a temporary file in the same folder, then a rename), with
/// mode 0755.
pub(crate) fn write_executable(path: &Path, text: &str) -> Result<(), Error> {
    write_atomic(path, text.as_bytes(), 0o755).map_err(Error::io("write", path))
}
