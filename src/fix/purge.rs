//! `pycache-policy purge`: the seed's `find . -name "__pycache__" -type d -exec rm -r {} +`,
//! done so that nothing but regenerable bytecode is ever deleted.
//!
//! The working tree is walked with the `ignore` crate, with every filter off (ignored files are
//! exactly the ones to find) and without following symbolic links. A file is removed only when
//! all of these hold:
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
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ignore::{WalkBuilder, WalkState};

use crate::git::index::IndexFile;
use crate::model::error::Error;
use crate::policy::matcher::{CacheVerdict, Matcher};
use crate::pyc;

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

/// Walks the working tree and works out what to remove. `index` tells which files are tracked.
pub fn plan(
    root: &Path,
    matcher: &Matcher,
    index: Option<&IndexFile>,
    orphans: bool,
) -> Result<Plan, Error> {
    // Never into .git. A `.git` below the root marks a nested repository, whose own policy
    // applies there: its folder is noted here (rather than by a `stat` of every folder) and
    // everything in it is left out below.
    let nested: Arc<Mutex<Vec<PathBuf>>> = Arc::default();
    let seen = Arc::clone(&nested);
    // The walk is all system calls (readdir, stat); two threads overlap them.
    let walker = WalkBuilder::new(root)
        .standard_filters(false)
        .hidden(false)
        .follow_links(false)
        .threads(2)
        .filter_entry(move |entry| {
            if entry.file_name() != ".git" {
                return true;
            }
            if entry.depth() > 1
                && let Some(parent) = entry.path().parent()
            {
                seen.lock()
                    .expect("not poisoned")
                    .push(parent.to_path_buf());
            }
            false
        })
        .build_parallel();
    let found: Mutex<Found> = Mutex::default();
    walker.run(|| {
        let mut local = Local {
            found: Found::default(),
            shared: &found,
        };
        let root = root.to_path_buf();
        Box::new(move |entry| visit(&mut local.found, &root, matcher, entry))
    });
    let Found {
        sources,
        mut candidates,
        error,
    } = found.into_inner().expect("not poisoned");
    if let Some(detail) = error {
        return Err(Error::Walk {
            root: root.to_path_buf(),
            detail,
        });
    }

    let nested: Vec<Vec<u8>> = nested
        .lock()
        .expect("not poisoned")
        .iter()
        .filter_map(|p| p.strip_prefix(root).ok())
        .map(|p| [p.as_os_str().as_bytes(), b"/"].concat())
        .collect();
    candidates.retain(|(path, _, _)| !nested.iter().any(|n| path.starts_with(n)));
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

/// What one walking thread found.
#[derive(Default)]
struct Found {
    /// Every `.py` file, repository-relative.
    sources: HashSet<Vec<u8>>,
    /// Forbidden paths: (path, size, is a symbolic link).
    candidates: Vec<(Vec<u8>, u64, bool)>,
    /// The first walk error.
    error: Option<String>,
}

/// A thread's findings, merged into the shared ones when the thread's visitor is dropped.
struct Local<'a> {
    found: Found,
    shared: &'a Mutex<Found>,
}

impl Drop for Local<'_> {
    fn drop(&mut self) {
        let mut shared = self.shared.lock().expect("not poisoned");
        let mine = std::mem::take(&mut self.found);
        shared.sources.extend(mine.sources);
        shared.candidates.extend(mine.candidates);
        if shared.error.is_none() {
            shared.error = mine.error;
        }
    }
}

fn visit(
    found: &mut Found,
    root: &Path,
    matcher: &Matcher,
    entry: Result<ignore::DirEntry, ignore::Error>,
) -> WalkState {
    let entry = match entry {
        Ok(entry) => entry,
        Err(e) => {
            found.error.get_or_insert(e.to_string());
            return WalkState::Quit;
        }
    };
    if entry.depth() == 0 {
        return WalkState::Continue;
    }
    let rel = entry
        .path()
        .strip_prefix(root)
        .unwrap_or(entry.path())
        .as_os_str()
        .as_bytes();
    let Some(file_type) = entry.file_type() else {
        return WalkState::Continue;
    };
    if file_type.is_dir() {
        // A kept folder is not entered at all.
        let probe = [rel, b"/x"].concat();
        let kept = matcher
            .allowed_by(&probe)
            .is_some_and(|a| a.is_dir && a.path.len() <= rel.len());
        return if kept {
            WalkState::Skip
        } else {
            WalkState::Continue
        };
    }
    if entry.file_name().as_bytes().ends_with(b".py") {
        found.sources.insert(rel.to_vec());
    }
    if !matcher.is_candidate(rel) {
        return WalkState::Continue;
    }
    // A symbolic link may stand for a folder (a linked `__pycache__`): judge it as both.
    let forbidden = |is_dir| {
        matches!(
            matcher.verdict_for(rel, is_dir),
            CacheVerdict::Forbidden { .. }
        )
    };
    if forbidden(false) || (file_type.is_symlink() && forbidden(true)) {
        let size = if file_type.is_symlink() {
            0
        } else {
            entry.metadata().map(|m| m.len()).unwrap_or(0)
        };
        found
            .candidates
            .push((rel.to_vec(), size, file_type.is_symlink()));
    }
    WalkState::Continue
}

/// Carries out the plan: removes the files, then the folders it left empty. The removals are
/// split between two threads by folder: unlinking is all system calls, and folders do not
/// contend with each other.
pub fn apply(plan: &Plan) -> Done {
    let half = plan.remove.len() / 2;
    // Split at a folder boundary so that one folder is not shared by both threads.
    let folder = |r: &Removal| {
        r.path
            .iter()
            .rposition(|&b| b == b'/')
            .map(|i| r.path[..i].to_vec())
    };
    let split = (half..plan.remove.len())
        .find(|&i| i == 0 || folder(&plan.remove[i]) != folder(&plan.remove[i - 1]))
        .unwrap_or(plan.remove.len());
    let (first, second) = plan.remove.split_at(split);
    let mut done = std::thread::scope(|scope| {
        let other = scope.spawn(|| remove_files(&plan.root, second));
        let mut done = remove_files(&plan.root, first);
        let rest = other.join().expect("the removal thread does not panic");
        done.removed += rest.removed;
        done.bytes += rest.bytes;
        done.failed.extend(rest.failed);
        done
    });
    for folder in &plan.folders {
        let path = plan.root.join(OsStr::from_bytes(folder));
        // remove_dir only succeeds on an empty folder, which is the point.
        if std::fs::remove_dir(&path).is_ok() {
            done.folders += 1;
        }
    }
    done
}

/// Removes planned files. `remove_file` never follows a symbolic link: if a planned file was
/// replaced by one since the walk, the link itself is what goes, never its target.
fn remove_files(root: &Path, files: &[Removal]) -> Done {
    let mut done = Done::default();
    for r in files {
        match std::fs::remove_file(root.join(OsStr::from_bytes(&r.path))) {
            Ok(()) => {
                done.removed += 1;
                done.bytes += r.bytes;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => done.failed.push((r.path.clone(), e.to_string())),
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
