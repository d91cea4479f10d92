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

/// What [`what_is`] calls a symbolic link.
pub(crate) const SYMLINK: &str = "a symbolic link";

/// Why [`read_regular`] read nothing.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// There is something else at the path, such as "a FIFO (named pipe)" (see [`what_is`]).
    NotRegular(&'static str),
    /// The system's error (`NotFound` when there is nothing at the path).
    Io(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotRegular(what) => write!(f, "it is {what}, not a regular file"),
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl ReadError {
    /// Whether there is nothing at the path.
    pub(crate) fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io(e) if e.kind() == io::ErrorKind::NotFound)
    }
}

/// Reads a file that must be a regular file, without ever blocking on one that is not: it is
/// opened with `O_NONBLOCK` (a FIFO then opens at once instead of waiting for a writer) and,
/// unless `follow`, `O_NOFOLLOW`; then `fstat` of the file actually opened decides.
pub(crate) fn read_regular(path: &Path, follow: bool) -> Result<Vec<u8>, ReadError> {
    use rustix::fs::OFlags;
    let mut flags = OFlags::NONBLOCK | OFlags::CLOEXEC;
    if !follow {
        flags |= OFlags::NOFOLLOW;
    }
    let mut file = match OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)
    {
        Ok(file) => file,
        // O_NOFOLLOW on a symbolic link.
        Err(e) if !follow && e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            return Err(ReadError::NotRegular(SYMLINK));
        }
        Err(e) => return Err(ReadError::Io(e)),
    };
    let meta = file.metadata().map_err(ReadError::Io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(what_is(meta.file_type())));
    }
    let mut bytes = Vec::with_capacity(meta.len().min(1 << 20) as usize);
    io::Read::read_to_end(&mut file, &mut bytes).map_err(ReadError::Io)?;
    Ok(bytes)
}

/// What a file of this type is, for messages: "a folder", "a FIFO (named pipe)", ...
pub(crate) fn what_is(file_type: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt as _;
    if file_type.is_dir() {
        "a folder"
    } else if file_type.is_symlink() {
        SYMLINK
    } else if file_type.is_fifo() {
        "a FIFO (named pipe)"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_regular_refuses_what_is_not_a_file_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        let e = read_regular(&fifo, true).unwrap_err();
        assert!(
            matches!(e, ReadError::NotRegular("a FIFO (named pipe)")),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "it is a FIFO (named pipe), not a regular file"
        );
        let e = read_regular(dir.path(), true).unwrap_err();
        assert_eq!(e.to_string(), "it is a folder, not a regular file");
        let file = dir.path().join("f");
        std::fs::write(&file, b"x").unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(read_regular(&link, true).unwrap(), b"x");
        let e = read_regular(&link, false).unwrap_err();
        assert_eq!(e.to_string(), "it is a symbolic link, not a regular file");
        assert!(
            read_regular(&dir.path().join("none"), false)
                .unwrap_err()
                .is_not_found()
        );
    }

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
