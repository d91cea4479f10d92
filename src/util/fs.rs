//! Writing files so that a reader sees the old file or the new one, never half of either: git's
//! lock-file discipline (an exclusive `<file>.lock` beside the file, written, flushed, renamed over
//! it), used for the index and, with a private temporary name, for every other file we write.

use std::fs::{File, OpenOptions};
use std::io::{self, Write as _};
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

/// A file created exclusively beside its target; renamed over the target by [`LockFile::commit`],
/// removed when dropped uncommitted.
pub(crate) struct LockFile {
    target: PathBuf,
    path: PathBuf,
    file: Option<File>,
    exact_mode: Option<u32>,
}

impl LockFile {
    /// `<target>.lock`, as git locks its index; fails with `AlreadyExists` while another process
    /// holds it. The new file gets `0666` less the umask, as git's do.
    pub fn git_lock(target: &Path) -> io::Result<LockFile> {
        let mut path = target.as_os_str().to_owned();
        path.push(".lock");
        LockFile::create(target, PathBuf::from(path), 0o666, None)
    }

    /// A temporary file private to this process beside `target`; the committed file gets exactly
    /// `mode`.
    fn private(target: &Path, mode: u32) -> io::Result<LockFile> {
        let dir = target.parent().unwrap_or(Path::new("."));
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.pycache-policy.{}.tmp", std::process::id()));
        LockFile::create(target, tmp, 0o600, Some(mode))
    }

    fn create(target: &Path, path: PathBuf, mode: u32, exact: Option<u32>) -> io::Result<LockFile> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&path)?;
        Ok(LockFile {
            target: target.to_path_buf(),
            path,
            file: Some(file),
            exact_mode: exact,
        })
    }

    /// Writes `bytes`, flushes them to disk and renames the lock over the target. On failure the
    /// target is as it was, and the error says which step failed.
    pub fn commit(&mut self, bytes: &[u8]) -> Result<(), (CommitStep, io::Error)> {
        let mut file = self.file.take().expect("a lock is committed once");
        file.write_all(bytes).map_err(|e| (CommitStep::Write, e))?;
        if let Some(mode) = self.exact_mode {
            file.set_permissions(std::fs::Permissions::from_mode(mode))
                .map_err(|e| (CommitStep::Write, e))?;
        }
        file.sync_all().map_err(|e| (CommitStep::Flush, e))?;
        drop(file);
        std::fs::rename(&self.path, &self.target).map_err(|e| (CommitStep::Rename, e))?;
        self.path = PathBuf::new(); // committed: nothing to remove
        Ok(())
    }
}

/// The step of [`LockFile::commit`] that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CommitStep {
    /// Writing the bytes (or setting the mode).
    Write,
    /// Flushing them to disk.
    Flush,
    /// Renaming the lock over the target.
    Rename,
}

impl Drop for LockFile {
    fn drop(&mut self) {
        drop(self.file.take());
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Writes `bytes` to `path` atomically with exactly the given mode: readers see the old file or
/// the new one, never half of it, and a failure leaves the old file as it was.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    LockFile::private(path, mode)?
        .commit(bytes)
        .map_err(|(_, e)| e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("f");
        std::fs::write(&target, b"old").unwrap();
        write_atomic(&target, b"new", 0o640).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_held_git_lock_refuses_a_second_and_is_removed_uncommitted() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("index");
        let lock = LockFile::git_lock(&index).unwrap();
        assert!(dir.path().join("index.lock").exists());
        let second = LockFile::git_lock(&index).err().unwrap();
        assert_eq!(second.kind(), io::ErrorKind::AlreadyExists);
        drop(lock);
        assert!(!dir.path().join("index.lock").exists());
        assert!(!index.exists());
    }
}
