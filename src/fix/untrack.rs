//! `untrack`: removes from the index every tracked path the policy forbids and does not allow,
//! all stages of it, as `git rm -r --cached` on those paths would. Files on disk are never
//! touched; the removal is staged for the next commit.
//!
//! The index is written the way git writes it: `<index>.lock` is created exclusively (so a
//! running git command, or another untrack, is never overwritten), the index is read while the
//! lock is held, the new index goes into the lock file, which is flushed to disk and renamed over
//! the index. On any failure the lock file is removed and the index is left byte for byte as it
//! was. [`plan`] is the same computation without the lock and the write, so a dry run shows
//! exactly what the real run removes.
//!
//! The reading and writing of the file is in [`crate::git::index`]: libgit2's `Index` would verify
//! and hash the whole file on reading and move the rest of its entry vector on every removal.
//!
//! Where it differs from `git rm -r --cached` on purpose: it does not refuse a cache whose staged
//! content differs from both the file and `HEAD` (git wants `-f`: a cache has nothing worth
//! keeping), nor a path outside the sparse checkout (git wants `--sparse`: a cache should not be
//! tracked anywhere). The untracked cache (`UNTR`) is dropped rather than invalidated; git
//! rebuilds it.
//!
//! Not handled: a forbidden path inside a sparse-directory entry of a sparse index (refused with
//! [`Error::SparseDirectory`]: removing it would need that folder expanded in the index), a split
//! index, SHA-256 repositories, `core.sharedRepository` permissions on the new file.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, TreeWalkMode, TreeWalkResult};

use crate::git::index::{IndexError, IndexFile, WriteOptions};
use crate::git::repo::Repo;
use crate::model::error::Error;
use crate::policy::matcher::{CacheVerdict, Matcher};
use crate::util::fs::{CommitStep, LockFile};
use crate::util::path::parent;

/// The commit to make after untracking.
pub const COMMIT_COMMAND: &str = "git commit -m \"Stop tracking Python bytecode caches\"";

/// What untrack removes (or removed) from the index.
#[derive(Debug, Default)]
pub struct Plan {
    /// The paths removed, in index order, each once.
    pub(crate) removals: Vec<Removal>,
    /// Positions of the removed entries in the index that was read.
    positions: Vec<usize>,
    /// The repository has no commit yet: what is removed was only ever staged, so there is no
    /// commit to make about it.
    pub(crate) no_commits: bool,
}

/// One path removed from the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Removal {
    /// Repository-relative path (bytes: git paths need not be UTF-8).
    pub(crate) path: Vec<u8>,
    /// The cache folder it belongs to, for grouping: the folder a forbid pattern excluded (such
    /// as `a/__pycache__`), else its parent folder (empty at the root).
    pub(crate) folder: Vec<u8>,
    /// The forbid pattern that forbids it, as written in the policy.
    pub(crate) rule: String,
    /// How many index entries it has: 1, or 2 to 3 for a merge conflict.
    pub(crate) stages: usize,
    /// Whether the entries are conflict stages (1 to 3) rather than one stage-0 entry.
    pub(crate) conflicted: bool,
}

impl Plan {
    /// Whether there is nothing to remove.
    pub fn is_empty(&self) -> bool {
        self.removals.is_empty()
    }

    /// Whether the repository has no commit yet (so what was removed was only ever staged).
    pub fn no_commits(&self) -> bool {
        self.no_commits
    }

    /// The number of paths removed.
    pub(crate) fn num_paths(&self) -> usize {
        self.removals.len()
    }

    /// The number of cache folders the removed paths are in.
    pub(crate) fn num_folders(&self) -> usize {
        let mut folders: Vec<&[u8]> = self.removals.iter().map(|r| &r.folder[..]).collect();
        folders.sort_unstable();
        folders.dedup();
        folders.len()
    }
}

/// How many paths the policy forbids that `HEAD` tracks and the index no longer has: untracking
/// already staged (by an earlier `untrack` or `clean`) and not yet committed.
pub fn staged_removals(repo: &Repo, matcher: &Matcher) -> Result<usize, Error> {
    let Some(tree) = repo.head_tree()? else {
        return Ok(0);
    };
    let index = repo.staged_index()?;
    let mut count = 0;
    let mut failed = None;
    tree.walk(TreeWalkMode::PreOrder, |root, item| {
        if item.kind() != Some(ObjectType::Blob) {
            return TreeWalkResult::Ok;
        }
        let path = [root.as_bytes(), item.name_bytes()].concat();
        if !matches!(matcher.verdict(&path), CacheVerdict::Forbidden { .. }) {
            return TreeWalkResult::Ok;
        }
        let i = index.lower_bound(&path);
        if index.get(i).is_none_or(|e| e.path != &path[..]) {
            count += 1;
        }
        TreeWalkResult::Ok
    })
    .unwrap_or_else(|e| failed = Some(e));
    match failed {
        Some(e) => Err(Error::git("walk the tree of HEAD")(e)),
        None => Ok(count),
    }
}

/// Fails with a clear message when the repository has no index (a bare repository).
pub fn require_index(repo: &Repo) -> Result<PathBuf, Error> {
    if repo.git.is_bare() {
        return Err(Error::BareNoIndex {
            git_dir: repo.git.path().to_path_buf(),
        });
    }
    repo.index_path()
}

/// What [`apply`] would remove, computed from the index as it is now; changes nothing.
pub fn plan(repo: &Repo, matcher: &Matcher) -> Result<Plan, Error> {
    let path = require_index(repo)?;
    let index = read(repo, &path)?;
    plan_index(repo, &index, matcher)
}

/// Removes what [`plan`] finds, under the index lock, and returns what was removed. When there
/// is nothing to remove the index is not rewritten.
pub fn apply(repo: &Repo, matcher: &Matcher) -> Result<Plan, Error> {
    let path = require_index(repo)?;
    let mut lock = lock_index(&path)?;
    // Read under the lock: nothing can change the index between this read and the rename.
    let index = read(repo, &path)?;
    let plan = plan_index(repo, &index, matcher)?;
    if plan.is_empty() {
        return Ok(plan); // dropping the lock removes it
    }
    let options = WriteOptions {
        skip_hash: skip_hash(repo),
        smudge: racily_clean(repo, &index, &plan.positions)?,
    };
    let bytes = index
        .without(&plan.positions, &options)
        .map_err(|e| match e {
            IndexError::Io(_) | IndexError::BadRemoval => Error::Index {
                path: path.clone(),
                detail: e.to_string(),
            },
            _ => Error::IndexUnsupported {
                path: path.clone(),
                detail: e.to_string(),
            },
        })?;
    commit_index(&mut lock, &path, &bytes)?;
    Ok(plan)
}

fn read(repo: &Repo, path: &Path) -> Result<IndexFile, Error> {
    IndexFile::read(path, repo.oid_len()).map_err(|e| Error::Index {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

/// `index.skipHash`, which `feature.manyFiles` turns on by default.
fn skip_hash(repo: &Repo) -> bool {
    let Ok(config) = repo.git.config() else {
        return false;
    };
    let many_files = config.get_bool("feature.manyFiles").unwrap_or(false);
    config.get_bool("index.skipHash").unwrap_or(many_files)
}

/// The kept entries to smudge in the new index: racy against the index that was read, and
/// whose file still matches their cached mtime and size. git smudges only those whose content
/// also differs, which needs the file hashed through its filters; smudging a clean one too only
/// makes git hash it once more.
fn racily_clean(repo: &Repo, index: &IndexFile, removed: &[usize]) -> Result<Vec<usize>, Error> {
    let racy = index.racy_entries();
    if racy.is_empty() {
        return Ok(racy);
    }
    let root = repo.workdir()?;
    let mut out = Vec::new();
    for i in racy {
        if removed.binary_search(&i).is_ok() {
            continue;
        }
        let (Some(entry), Some(stat)) = (index.get(i), index.stat(i)) else {
            continue;
        };
        if entry.is_sparse_dir() || stat.size == 0 {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(root.join(OsStr::from_bytes(entry.path))) else {
            continue;
        };
        use std::os::unix::fs::MetadataExt as _;
        if meta.mtime() as u32 == stat.mtime_sec && meta.size() as u32 == stat.size {
            out.push(i);
        }
    }
    Ok(out)
}

fn plan_index(repo: &Repo, index: &IndexFile, matcher: &Matcher) -> Result<Plan, Error> {
    let mut plan = Plan {
        no_commits: repo.head_tree()?.is_none(),
        ..Plan::default()
    };
    // The last folder a forbid pattern excluded: every path below it is excluded by the same
    // pattern (git's rule: nothing below an excluded folder can be re-included), so only the
    // allow entries remain to be asked. Index order keeps a folder's paths together.
    let mut excluded_folder: Option<(Vec<u8>, &str)> = None;
    let mut sparse = Vec::new();
    for (i, entry) in index.iter().enumerate() {
        if entry.is_sparse_dir() {
            sparse.push(i);
            continue;
        }
        // Conflict stages of one path are adjacent and share its verdict.
        if let Some(last) = plan.removals.last_mut()
            && last.path == entry.path
            && plan.positions.last() == Some(&(i - 1))
        {
            last.stages += 1;
            plan.positions.push(i);
            continue;
        }
        let verdict = match &excluded_folder {
            Some((folder, pattern))
                if entry.path.len() > folder.len()
                    && entry.path.starts_with(folder)
                    && entry.path[folder.len()] == b'/' =>
            {
                match matcher.allowed_by(entry.path) {
                    Some(_) => continue,
                    None => CacheVerdict::Forbidden {
                        pattern,
                        excluded: folder.len(),
                    },
                }
            }
            // git treats a gitlink (submodule) as a folder: `__pycache__/` matches one.
            _ => matcher.verdict_for(entry.path, entry.mode == crate::git::index::MODE_GITLINK),
        };
        let CacheVerdict::Forbidden { pattern, excluded } = verdict else {
            continue;
        };
        let folder = if excluded < entry.path.len() {
            excluded_folder = Some((entry.path[..excluded].to_vec(), pattern));
            &entry.path[..excluded]
        } else {
            parent(entry.path)
        };
        plan.positions.push(i);
        plan.removals.push(Removal {
            path: entry.path.to_vec(),
            folder: folder.to_vec(),
            rule: pattern.to_string(),
            stages: 1,
            conflicted: entry.stage != 0,
        });
    }
    for i in sparse {
        if let Some(entry) = index.get(i) {
            refuse_forbidden_inside(repo, matcher, entry.path, entry.oid)?;
        }
    }
    Ok(plan)
}

/// A sparse-directory entry stands for a whole tree outside the sparse checkout; a forbidden
/// path inside it cannot be removed without expanding it.
fn refuse_forbidden_inside(
    repo: &Repo,
    matcher: &Matcher,
    dir: &[u8],
    oid: &[u8],
) -> Result<(), Error> {
    let dir = dir.strip_suffix(b"/").unwrap_or(dir);
    let oid = Oid::from_bytes(oid).map_err(Error::git("read a sparse directory's id"))?;
    let tree = repo
        .git
        .find_tree(oid)
        .map_err(Error::git("read a sparse directory's tree"))?;
    let mut found = None;
    tree.walk(TreeWalkMode::PreOrder, |root, item| {
        if item.kind() != Some(ObjectType::Tree) {
            let mut path = dir.to_vec();
            path.push(b'/');
            path.extend_from_slice(root.as_bytes());
            path.extend_from_slice(item.name_bytes());
            if matches!(matcher.verdict(&path), CacheVerdict::Forbidden { .. }) {
                found = Some(path);
                return TreeWalkResult::Abort;
            }
        }
        TreeWalkResult::Ok
    })
    .or_else(|e| {
        if found.is_some() {
            Ok(())
        } else {
            Err(Error::git("walk a sparse directory")(e))
        }
    })?;
    match found {
        Some(path) => Err(Error::SparseDirectory {
            folder: dir.to_vec(),
            path,
        }),
        None => Ok(()),
    }
}

/// `<index>.lock`, taken as git takes it; the error says which one is in the way.
fn lock_index(index: &Path) -> Result<LockFile, Error> {
    LockFile::git_lock(index).map_err(|e| {
        let mut lock = index.as_os_str().to_owned();
        lock.push(".lock");
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::IndexLocked { lock: lock.into() }
        } else {
            Error::IndexWrite {
                path: index.to_path_buf(),
                action: "create the lock file for",
                source: e,
            }
        }
    })
}

/// Writes `bytes` as the new index through its lock.
fn commit_index(lock: &mut LockFile, index: &Path, bytes: &[u8]) -> Result<(), Error> {
    lock.commit(bytes)
        .map_err(|(step, source)| Error::IndexWrite {
            path: index.to_path_buf(),
            action: match step {
                CommitStep::Write => "write the new",
                CommitStep::Flush => "flush to disk the new",
                CommitStep::Rename => "replace",
            },
            source,
        })
}
