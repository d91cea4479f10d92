//! Opening a repository the way the `git` command does, and the few things about it the checks
//! and hooks need: the index git is committing, `HEAD`'s tree, `core.ignorecase`, where hooks
//! live.
//!
//! libgit2 leaves some of git's environment to its caller, so it is handled here:
//! `GIT_DIR`, `GIT_WORK_TREE`, `GIT_CEILING_DIRECTORIES` and, above all, `GIT_INDEX_FILE`, which
//! git sets to a temporary index while `git commit -a` or `git commit -- PATH` runs the
//! pre-commit hook. That temporary index is the commit being made, so it is the one to judge.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use git2::{ErrorCode, Repository, RepositoryOpenFlags, Tree};

use crate::git::diff::Objects;
use crate::git::index::IndexFile;
use crate::model::error::Error;

/// Checks, before libgit2 reads anything, what libgit2 (libgit2-sys 0.18.8+1.9.7) would
/// crash or hang on in every command: the pack indexes' offsets (a segfault in
/// `git_packfile_unpack_header`), and `HEAD`'s commit and root tree, read by this crate's own
/// bounded readers (a damaged loose tree makes libgit2 inflate forever). Objects below the root
/// tree that the staged check later looks up through libgit2 are not covered here.
fn check_objects(git: &Repository) -> Result<(), Error> {
    let objects = Objects::new(git).map_err(Error::git("open the object database"))?;
    objects.check_packs().map_err(|detail| Error::Unreadable {
        what: "the packs".into(),
        detail: format!("a pack is corrupt: {detail}"),
    })?;
    let Ok(head) = git.find_reference("HEAD") else {
        return Ok(());
    };
    let Some(id) = head.resolve().ok().and_then(|r| r.target()) else {
        return Ok(()); // unborn
    };
    let unreadable = |e: git2::Error| Error::Unreadable {
        what: "HEAD".into(),
        detail: e.message().to_string(),
    };
    if let Some(commit) = objects.peel_to_commit(id).map_err(unreadable)? {
        let header = objects.commit(commit).map_err(unreadable)?;
        objects.checked_tree(header.tree).map_err(unreadable)?;
    }
    Ok(())
}

/// An open repository, with the environment that decides which index is staged.
pub struct Repo {
    /// The libgit2 repository.
    pub git: Repository,
    /// `GIT_INDEX_FILE`, resolved against the starting directory.
    index_file: Option<PathBuf>,
}

fn env(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|v| !v.is_empty())
}

impl Repo {
    /// Opens the repository for `cwd` as git would: `GIT_DIR`/`GIT_WORK_TREE` when set, else by
    /// searching upwards from `cwd` (stopping at `GIT_CEILING_DIRECTORIES`).
    pub fn discover(cwd: &Path) -> Result<Repo, Error> {
        let not_a_repo = |e: git2::Error| Error::NotARepository {
            start: cwd.to_path_buf(),
            detail: e.message().to_string(),
        };
        let git = match env("GIT_DIR") {
            Some(dir) => {
                let git = Repository::open(cwd.join(dir)).map_err(not_a_repo)?;
                // git: with GIT_DIR and no GIT_WORK_TREE or core.worktree, the current directory
                // is the top of the working tree, unless the repository is bare.
                if env("GIT_WORK_TREE").is_none() && !git.is_bare() {
                    let configured = git
                        .config()
                        .and_then(|c| c.get_path("core.worktree"))
                        .is_ok();
                    if !configured {
                        git.set_workdir(cwd, false)
                            .map_err(Error::git("use the current directory as the working tree"))?;
                    }
                }
                git
            }
            None => {
                let ceilings = env("GIT_CEILING_DIRECTORIES")
                    .map(|v| std::env::split_paths(&v).collect::<Vec<_>>())
                    .unwrap_or_default();
                Repository::open_ext(cwd, RepositoryOpenFlags::empty(), ceilings)
                    .map_err(not_a_repo)?
            }
        };
        if let Some(tree) = env("GIT_WORK_TREE") {
            git.set_workdir(&cwd.join(tree), false)
                .map_err(Error::git("use GIT_WORK_TREE as the working tree"))?;
        }
        // git moves to the top of the working tree before it reads GIT_INDEX_FILE, so a
        // relative value is relative to the top, not to where the command started.
        let index_file = env("GIT_INDEX_FILE").map(|f| git.workdir().unwrap_or(cwd).join(f));
        check_objects(&git)?;
        Ok(Repo { git, index_file })
    }

    /// The top of the working tree; an error for a bare repository.
    pub fn workdir(&self) -> Result<&Path, Error> {
        self.git.workdir().ok_or_else(|| Error::Bare {
            git_dir: self.git.path().to_path_buf(),
        })
    }

    /// `core.ignorecase`: paths differing only in ASCII case are the same path.
    pub fn ignore_case(&self) -> bool {
        self.git
            .config()
            .and_then(|c| c.get_bool("core.ignorecase"))
            .unwrap_or(false)
    }

    /// The index the next commit is made from: `GIT_INDEX_FILE` when git set it for a hook,
    /// else the repository's own. Refused for a bare repository.
    pub fn staged_index(&self) -> Result<IndexFile, Error> {
        let path = self.index_path()?;
        IndexFile::read(&path, self.oid_len()).map_err(|e| Error::Index {
            path,
            detail: e.to_string(),
        })
    }

    /// Where the index the next commit is made from lives: `GIT_INDEX_FILE` when set, else
    /// `index` in the git directory. Refused for a bare repository.
    pub(crate) fn index_path(&self) -> Result<PathBuf, Error> {
        self.workdir()?;
        Ok(match &self.index_file {
            Some(path) => path.clone(),
            None => self.git.path().join("index"),
        })
    }

    /// Whether the staged index is a lock file that a running `git commit` holds: `index.lock`
    /// for `git commit -a`, `next-index-*.lock` for `git commit -- PATH`. git keeps or throws
    /// away such an index as a whole when the hook returns, so a fixer must not write to it: a
    /// failing hook would lose the change, a passing one could commit other content than the
    /// real index then holds.
    pub fn index_is_commit_lock(&self) -> bool {
        self.index_file
            .as_deref()
            .and_then(Path::file_name)
            .is_some_and(|name| name.as_encoded_bytes().ends_with(b".lock"))
    }

    /// The files of the tree `oid`, standing at the folder `dir` (repository-relative, without
    /// a trailing `/`): each as its path, mode and blob id. This is how a sparse index's
    /// directory entries, which stand for whole trees, are judged.
    pub(crate) fn files_in_tree(
        &self,
        dir: &[u8],
        oid: git2::Oid,
    ) -> Result<Vec<(Vec<u8>, u32, git2::Oid)>, Error> {
        // Through this crate's readers (an explicit stack, git's depth limit, bounded
        // inflation), not libgit2's recursive tree walk.
        let objects = Objects::new(&self.git).map_err(Error::git("open the object database"))?;
        let mut files = Vec::new();
        objects
            .added_or_modified(None, oid, &mut |path, mode, id| {
                if mode != crate::git::index::MODE_GITLINK {
                    let mut full = dir.to_vec();
                    full.push(b'/');
                    full.extend_from_slice(path);
                    files.push((full, mode, id));
                }
            })
            .map_err(Error::git("walk a sparse directory"))?;
        Ok(files)
    }

    /// Bytes in an object id: 32 in a SHA-256 repository, else 20.
    pub(crate) fn oid_len(&self) -> usize {
        let format = self
            .git
            .config()
            .and_then(|c| c.get_string("extensions.objectformat"));
        match format {
            Ok(f) if f.eq_ignore_ascii_case("sha256") => 32,
            _ => 20,
        }
    }

    /// The tree of `HEAD`, or `None` before the first commit.
    pub(crate) fn head_tree(&self) -> Result<Option<Tree<'_>>, Error> {
        match self.git.head() {
            Ok(head) => head
                .peel_to_tree()
                .map(Some)
                .map_err(Error::git("read the tree of HEAD")),
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => Ok(None),
            Err(e) => Err(Error::git("read HEAD")(e)),
        }
    }

    /// The folder git runs hooks from: `core.hooksPath` (relative to the top of the working
    /// tree), else `hooks/` in the common git directory, shared by all linked worktrees.
    pub(crate) fn hooks_dir(&self) -> Result<PathBuf, Error> {
        let config = self
            .git
            .config()
            .map_err(Error::git("read the git config"))?;
        match config.get_path("core.hooksPath") {
            Ok(path) if path.is_absolute() => Ok(path),
            Ok(path) => Ok(self.workdir()?.join(path)),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(self.git.commondir().join("hooks")),
            Err(e) => Err(Error::git("read core.hooksPath")(e)),
        }
    }
}
