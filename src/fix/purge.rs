//! `pycache-policy purge`: the seed's `find . -name "__pycache__" -type d -exec rm -r {} +`,
//! done so that nothing but regenerable bytecode is ever deleted.
//!
//! The working tree is walked through open folder handles (`openat` with `O_NOFOLLOW |
//! O_DIRECTORY` on every component, then `getdents`), with no filter (ignored files are exactly
//! the ones to find) and never through a symbolic link; files are removed the same way, with
//! `unlinkat` in a handle of their folder. Another process swapping a folder for a symbolic link
//! (`renameat2(RENAME_EXCHANGE)`) between the walk and the removal, or during either, makes that
//! open fail: what it would have led to, outside the repository, is never reached. A file is
//! removed only when all of these hold:
//!
//! - the policy forbids it and no allow entry keeps it (kept folders are not even entered);
//! - it is bytecode by name: `.pyc`, `.pyo` or `$py.class` (a `README.md` or a `.pyd`/`.so`
//!   extension module inside a `__pycache__` folder is left alone and reported);
//! - it is a regular file, not a symbolic link;
//! - its source `.py` is there, so Python can write it again. A pyc without its source may be
//!   the only copy of that code (a sourceless module); it is kept and reported unless
//!   `--orphans` is given;
//! - it is not inside `.git`, nor inside a nested repository (a folder holding its own `.git`),
//!   which has a policy of its own.
//!
//! Folders left empty by the removals are removed too (only when empty). The plan is computed
//! first; a dry run prints it, a real run carries out exactly that plan.

use std::collections::{BTreeSet, HashSet};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, fstat, openat, statat, unlinkat};
use rustix::io::Errno;

use crate::git::index::IndexFile;
use crate::model::error::Error;
use crate::policy::matcher::{CacheVerdict, Matcher};
use crate::pyc;
use crate::util::path::{display_path, parent, split_last};

/// Why a forbidden path is left on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kept {
    /// Its source is missing: it may be the only copy of that code (use `--orphans`).
    Orphan,
    /// Not bytecode by its name (say a README or an extension module in a `__pycache__`).
    NotBytecode,
    /// A symbolic link: never followed, never removed.
    Symlink,
}

/// One file to remove.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Removal {
    /// Repository-relative path.
    pub(crate) path: Vec<u8>,
    /// Its size in bytes.
    pub(crate) bytes: u64,
    /// Whether the index tracks it (its deletion then shows in `git status`).
    pub(crate) tracked: bool,
}

/// What `purge` removes and what it leaves, computed before anything is touched.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// The working tree.
    pub(crate) root: PathBuf,
    /// The walked top folder's (device, inode): `apply` refuses a different one.
    pub(crate) root_id: Option<(u64, u64)>,
    /// Files to remove, sorted by path.
    pub(crate) remove: Vec<Removal>,
    /// Forbidden paths left alone, with why.
    pub(crate) kept: Vec<(Vec<u8>, Kept)>,
    /// Folders to remove afterwards if they are empty, deepest first.
    pub(crate) folders: Vec<Vec<u8>>,
}

impl Plan {
    /// Total bytes of the files to remove.
    pub(crate) fn bytes(&self) -> u64 {
        self.remove.iter().map(|r| r.bytes).sum()
    }
}

/// What a real run did.
#[derive(Clone, Debug, Default)]
pub struct Done {
    /// Files removed.
    pub(crate) removed: usize,
    /// Bytes freed.
    pub(crate) bytes: u64,
    /// Folders removed because they were left empty.
    pub(crate) folders: usize,
    /// Files that could not be removed, with the reason.
    pub failed: Vec<(Vec<u8>, String)>,
}

fn is_bytecode(name: &[u8]) -> bool {
    name.ends_with(b".pyc") || name.ends_with(b".pyo") || name.ends_with(b"$py.class")
}

/// The source a bytecode file is compiled from, if Python pairs it with one.
fn source_of(path: &[u8]) -> Option<Vec<u8>> {
    match path.strip_suffix(b"$py.class") {
        Some(stem) => Some([stem, b".py"].concat()),
        None => pyc::source_path(path),
    }
}

/// Every folder is opened relative to an open handle of its parent, never through a symbolic
/// link and only if it is a folder: a component swapped for a link (or a file) since it was
/// listed fails to open (`ELOOP` / `ENOTDIR`) instead of leading outside the repository.
const FOLDER: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// How many folder handles the walk keeps open along its current path; deeper ones are closed
/// and, when needed again, reopened from the nearest open one, component by component.
const KEEP_OPEN: usize = 64;

fn open_folder(parent: BorrowedFd<'_>, name: &[u8]) -> rustix::io::Result<OwnedFd> {
    // A name from a folder listing or a plan is one component; refuse anything else, so no
    // `..` or `/` can ever be resolved by the kernel.
    if name.is_empty() || name == b"." || name == b".." || name.contains(&b'/') {
        return Err(Errno::INVAL);
    }
    openat(parent, name, FOLDER, Mode::empty())
}

/// The working tree's top folder and its identity (device, inode).
fn open_root(root: &Path) -> rustix::io::Result<(OwnedFd, (u64, u64))> {
    let fd = rustix::fs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let st = fstat(&fd)?;
    Ok((fd, (st.st_dev as u64, st.st_ino as u64)))
}

/// Whether an error opening a listed folder means it changed since it was listed (it is gone,
/// or is now a symbolic link or a file).
fn changed(e: Errno) -> bool {
    e == Errno::NOENT || e == Errno::LOOP || e == Errno::NOTDIR
}

fn os_error(e: Errno) -> String {
    std::io::Error::from(e).to_string()
}

/// Walks the working tree and works out what to remove. `index` tells which files are tracked.
pub fn plan(
    root: &Path,
    matcher: &Matcher,
    index: Option<&IndexFile>,
    orphans: bool,
) -> Result<Plan, Error> {
    let walk_error = |detail: String| Error::Walk {
        root: root.to_path_buf(),
        detail,
    };
    let (root_fd, root_id) = open_root(root).map_err(|e| walk_error(os_error(e)))?;
    let Found {
        sources,
        candidates,
    } = Walk::new(matcher).run(root_fd).map_err(walk_error)?;
    let tracked: HashSet<&[u8]> = index
        .map(|index| {
            index
                .iter()
                .filter(|e| matcher.is_candidate(e.path))
                .map(|e| e.path)
                .collect()
        })
        .unwrap_or_default();
    let mut plan = Plan {
        root: root.to_path_buf(),
        root_id: Some(root_id),
        ..Plan::default()
    };
    let mut folders = BTreeSet::new();
    for (path, bytes, symlink) in candidates {
        let name = path.rsplit(|&b| b == b'/').next().unwrap_or(&path);
        let kept = if symlink {
            Some(Kept::Symlink)
        } else if !is_bytecode(name) {
            Some(Kept::NotBytecode)
        } else if !orphans && !source_of(&path).is_some_and(|s| sources.contains(&s)) {
            Some(Kept::Orphan)
        } else {
            None
        };
        match kept {
            Some(why) => plan.kept.push((path, why)),
            None => {
                // Every folder the file is in, up to the one the pattern excluded, may empty.
                if let CacheVerdict::Forbidden { excluded, .. } = matcher.verdict(&path) {
                    let mut end = path.len();
                    while let Some(i) = path[..end].iter().rposition(|&b| b == b'/') {
                        if i < excluded {
                            break;
                        }
                        folders.insert(path[..i].to_vec());
                        end = i;
                    }
                    if excluded < path.len() {
                        folders.insert(path[..excluded].to_vec());
                    }
                }
                let tracked = tracked.contains(path.as_slice());
                plan.remove.push(Removal {
                    path,
                    bytes,
                    tracked,
                });
            }
        }
    }
    plan.remove.sort();
    plan.kept.sort();
    let mut folders: Vec<Vec<u8>> = folders.into_iter().collect();
    // Deepest first, so a parent is tried after its children.
    folders.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    plan.folders = folders;
    Ok(plan)
}

/// What the walk found.
#[derive(Default)]
struct Found {
    /// Every `.py` file, repository-relative.
    sources: HashSet<Vec<u8>>,
    /// Forbidden paths: (path, size, is a symbolic link).
    candidates: Vec<(Vec<u8>, u64, bool)>,
}

/// One folder on the walk's current path.
struct Frame {
    /// Its open handle; `None` when closed to bound the open handles (see [`KEEP_OPEN`]).
    fd: Option<OwnedFd>,
    /// Its name in its parent (empty for the root).
    name: Vec<u8>,
    /// Its repository-relative path with a trailing `/` (empty for the root).
    rel: Vec<u8>,
    /// The subfolders still to walk.
    subdirs: Vec<Vec<u8>>,
}

/// A depth-first walk of the working tree through folder handles (`openat`, `getdents`,
/// `fstatat`), with an explicit stack: no path is ever resolved from the top, no symbolic link
/// is followed, and a deep tree cannot overflow the call stack.
struct Walk<'m> {
    matcher: &'m Matcher,
    found: Found,
}

impl<'m> Walk<'m> {
    fn new(matcher: &'m Matcher) -> Self {
        Walk {
            matcher,
            found: Found::default(),
        }
    }

    fn run(mut self, root: OwnedFd) -> Result<Found, String> {
        let subdirs = self.read(root.as_fd(), b"", 0)?;
        let mut stack = vec![Frame {
            fd: Some(root),
            name: Vec::new(),
            rel: Vec::new(),
            subdirs,
        }];
        while let Some(top) = stack.last_mut() {
            let Some(name) = top.subdirs.pop() else {
                stack.pop();
                continue;
            };
            let rel = [&top.rel[..], &name, b"/"].concat();
            let depth = stack.len();
            let parent = match frame_fd(&mut stack, depth - 1) {
                Ok(fd) => fd,
                Err(e) if changed(e) => {
                    // The folder itself changed since it was listed: nothing more in it.
                    stack[depth - 1].subdirs.clear();
                    continue;
                }
                Err(e) => return Err(format!("{}: {}", show(&stack[depth - 1].rel), os_error(e))),
            };
            let fd = match open_folder(parent, &name) {
                Ok(fd) => fd,
                // Listed as a folder, no longer one (or gone): not entered.
                Err(e) if changed(e) => continue,
                Err(e) => return Err(format!("{}: {}", show(&rel), os_error(e))),
            };
            let subdirs = self.read(fd.as_fd(), &rel, depth)?;
            if depth >= KEEP_OPEN {
                stack[depth - KEEP_OPEN].fd = None;
            }
            stack.push(Frame {
                fd: Some(fd),
                name,
                rel,
                subdirs,
            });
        }
        Ok(self.found)
    }

    /// Reads one folder (at `rel`, `depth` below the root): notes its sources and forbidden
    /// files, and returns the subfolders to walk.
    fn read(
        &mut self,
        fd: BorrowedFd<'_>,
        rel: &[u8],
        depth: usize,
    ) -> Result<Vec<Vec<u8>>, String> {
        let fail = |e: Errno| format!("{}: {}", show(rel), os_error(e));
        let dir = Dir::read_from(fd).map_err(fail)?;
        let mut entries = Vec::new();
        for entry in dir {
            let entry = entry.map_err(fail)?;
            let name = entry.file_name().to_bytes();
            if name != b"." && name != b".." {
                entries.push((name.to_vec(), entry.file_type()));
            }
        }
        // Never into .git. A `.git` below the root marks a nested repository, whose own policy
        // applies there: nothing in it is touched.
        if depth > 0 && entries.iter().any(|(name, _)| name == b".git") {
            return Ok(Vec::new());
        }
        let mut subdirs = Vec::new();
        for (name, file_type) in entries {
            if name == b".git" {
                continue;
            }
            let file_type = match file_type {
                FileType::Unknown => match statat(fd, &name[..], AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(st) => FileType::from_raw_mode(st.st_mode),
                    Err(e) if e == Errno::NOENT => continue,
                    Err(e) => return Err(fail(e)),
                },
                t => t,
            };
            let path = [rel, &name].concat();
            if file_type == FileType::Directory {
                // A kept folder is not entered at all.
                let probe = [&path[..], b"/x"].concat();
                let kept = self
                    .matcher
                    .allowed_by(&probe)
                    .is_some_and(|a| a.is_dir && a.path.len() <= path.len());
                if !kept {
                    subdirs.push(name);
                }
                continue;
            }
            self.file(fd, &name, path, file_type == FileType::Symlink);
        }
        Ok(subdirs)
    }

    /// Notes a file (anything but a folder) named `name` at `path`.
    fn file(&mut self, fd: BorrowedFd<'_>, name: &[u8], path: Vec<u8>, symlink: bool) {
        let matcher = self.matcher;
        if !matcher.is_candidate(&path) {
            if name.ends_with(b".py") {
                self.found.sources.insert(path);
            }
            return;
        }
        // A symbolic link may stand for a folder (a linked `__pycache__`): judge it as both.
        let forbidden = |is_dir| {
            matches!(
                matcher.verdict_for(&path, is_dir),
                CacheVerdict::Forbidden { .. }
            )
        };
        if forbidden(false) || (symlink && forbidden(true)) {
            let size = if symlink {
                0
            } else {
                statat(fd, name, AtFlags::SYMLINK_NOFOLLOW).map_or(0, |st| st.st_size as u64)
            };
            self.found.candidates.push((path.clone(), size, symlink));
        }
        if name.ends_with(b".py") {
            self.found.sources.insert(path);
        }
    }
}

/// The open handle of `stack[i]`, reopened from the nearest open folder above it if it was
/// closed.
fn frame_fd(stack: &mut [Frame], i: usize) -> rustix::io::Result<BorrowedFd<'_>> {
    if stack[i].fd.is_none() {
        let open = (0..i)
            .rev()
            .find(|&j| stack[j].fd.is_some())
            .expect("the root stays open");
        let mut fd = open_folder(
            stack[open].fd.as_ref().expect("found open").as_fd(),
            &stack[open + 1].name,
        )?;
        for frame in &stack[open + 2..=i] {
            fd = open_folder(fd.as_fd(), &frame.name)?;
        }
        stack[i].fd = Some(fd);
    }
    Ok(stack[i].fd.as_ref().expect("just opened").as_fd())
}

fn show(rel: &[u8]) -> String {
    match rel.strip_suffix(b"/") {
        Some(rel) => display_path(rel),
        None => ".".to_string(),
    }
}

/// Carries out the plan: removes the files, then the folders it left empty. Every removal is an
/// `unlinkat` in a folder opened from the working tree's top through handles, one component at
/// a time, never through a symbolic link: a folder swapped for a link since the walk (or during
/// this run) is left alone and reported, and nothing outside the working tree can be reached.
/// The removals are split between two threads by folder: unlinking is all system calls, and
/// folders do not contend with each other.
pub fn apply(plan: &Plan) -> Done {
    let root = match open_root(&plan.root) {
        Ok((fd, id)) if plan.root_id.is_none_or(|planned| planned == id) => fd,
        Ok(_) => {
            return Done::all_failed(
                plan,
                "the working tree's folder was replaced since the walk",
            );
        }
        Err(e) => return Done::all_failed(plan, &os_error(e)),
    };
    let half = plan.remove.len() / 2;
    // Split at a folder boundary so that one folder is not shared by both threads.
    fn folder(r: &Removal) -> &[u8] {
        parent(&r.path)
    }
    let split = (half..plan.remove.len())
        .find(|&i| i == 0 || folder(&plan.remove[i]) != folder(&plan.remove[i - 1]))
        .unwrap_or(plan.remove.len());
    let (first, second) = plan.remove.split_at(split);
    let mut done = std::thread::scope(|scope| {
        let other = scope.spawn(|| remove_files(root.as_fd(), second));
        let mut done = remove_files(root.as_fd(), first);
        let rest = other.join().expect("the removal thread does not panic");
        done.removed += rest.removed;
        done.bytes += rest.bytes;
        done.failed.extend(rest.failed);
        done
    });
    let mut cursor = Cursor::new(root.as_fd());
    for folder in &plan.folders {
        let (parent, name) = split_last(folder);
        // Only an empty folder can be removed, which is the point.
        if let Ok(fd) = cursor.open(parent)
            && unlinkat(fd, name, AtFlags::REMOVEDIR).is_ok()
        {
            done.folders += 1;
        }
    }
    done
}

impl Done {
    fn all_failed(plan: &Plan, why: &str) -> Done {
        Done {
            failed: plan
                .remove
                .iter()
                .map(|r| (r.path.clone(), why.to_string()))
                .collect(),
            ..Done::default()
        }
    }
}

/// The folders from the working tree's top to the one last opened, each opened through its
/// parent's handle: consecutive files in one folder (the plan is sorted) share the handles.
struct Cursor<'r> {
    root: BorrowedFd<'r>,
    chain: Vec<(Vec<u8>, OwnedFd)>,
}

impl<'r> Cursor<'r> {
    fn new(root: BorrowedFd<'r>) -> Self {
        Cursor {
            root,
            chain: Vec::new(),
        }
    }

    /// The handle of `folder` (repository-relative, empty for the top).
    fn open(&mut self, folder: &[u8]) -> rustix::io::Result<BorrowedFd<'_>> {
        let parts: Vec<&[u8]> = if folder.is_empty() {
            Vec::new()
        } else {
            folder.split(|&b| b == b'/').collect()
        };
        let shared = self
            .chain
            .iter()
            .zip(&parts)
            .take_while(|((have, _), want)| have == *want)
            .count();
        self.chain.truncate(shared);
        for part in &parts[shared..] {
            let parent = self.chain.last().map_or(self.root, |(_, fd)| fd.as_fd());
            let fd = open_folder(parent, part)?;
            self.chain.push((part.to_vec(), fd));
        }
        Ok(self.chain.last().map_or(self.root, |(_, fd)| fd.as_fd()))
    }
}

/// Removes planned files, each by `unlinkat` in its folder's handle, after `fstatat` (without
/// following links) shows it is still not a symbolic link or a folder.
fn remove_files(root: BorrowedFd<'_>, files: &[Removal]) -> Done {
    let mut done = Done::default();
    let mut cursor = Cursor::new(root);
    for r in files {
        let (folder, name) = split_last(&r.path);
        let fd = match cursor.open(folder) {
            Ok(fd) => fd,
            Err(e) if e == Errno::NOENT => continue,
            Err(e) if changed(e) => {
                done.failed.push((
                    r.path.clone(),
                    "a folder on its path is no longer a folder (a symbolic link or a file now): \
                     left alone"
                        .into(),
                ));
                continue;
            }
            Err(e) => {
                done.failed.push((r.path.clone(), os_error(e)));
                continue;
            }
        };
        let why = match statat(fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Err(e) if e == Errno::NOENT => continue,
            Err(e) => Some(os_error(e)),
            Ok(st) => match FileType::from_raw_mode(st.st_mode) {
                FileType::Symlink => {
                    Some("it became a symbolic link since the walk: left alone".into())
                }
                FileType::Directory => Some("it became a folder since the walk: left alone".into()),
                _ => match unlinkat(fd, name, AtFlags::empty()) {
                    Ok(()) => None,
                    Err(e) if e == Errno::NOENT => continue,
                    Err(e) => Some(os_error(e)),
                },
            },
        };
        match why {
            None => {
                done.removed += 1;
                done.bytes += r.bytes;
            }
            Some(why) => done.failed.push((r.path.clone(), why)),
        }
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytecode_names_and_sources() {
        assert!(is_bytecode(b"m.cpython-312.pyc"));
        assert!(is_bytecode(b"Foo$py.class"));
        assert!(!is_bytecode(b"_speedups.pyd"));
        assert!(!is_bytecode(b"README.md"));
        assert_eq!(
            source_of(b"a/__pycache__/m.cpython-312.pyc"),
            Some(b"a/m.py".to_vec())
        );
        assert_eq!(source_of(b"a/m.pyc"), Some(b"a/m.py".to_vec()));
        assert_eq!(source_of(b"lib/Foo$py.class"), Some(b"lib/Foo.py".to_vec()));
        assert_eq!(source_of(b"a/__pycache__/m.pyc"), None);
    }
}
