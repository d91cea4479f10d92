//! Which policy judges what. The rules a change is judged by are the rules of the place it wants
//! to enter, never the ones it brings:
//!
//! - a range (`check --range BASE..HEAD`, `BASE...HEAD`, `check --ci`): the base side's committed
//!   policy (BASE for `..`, the merge base for `...`), from its tree;
//! - `check --tree REV`: REV's own committed policy;
//! - the staged check (the hook): the policy as staged, which is what the commit will carry; a
//!   policy file in the working tree that is not tracked is used, and reported, because CI will
//!   not see it;
//! - the fixers and `explain`: the working tree's policy file.
//!
//! `--policy FILE` overrides all of these, and `--policy-from` chooses a side explicitly.
//! A committed policy is found as on disk: `pycache-policy.toml`, else the
//! `[tool.pycache-policy]` table of `pyproject.toml`, else the built-in defaults.

use std::path::{Path, PathBuf};

use git2::{Oid, Repository, Tree};

use crate::git::diff::Objects;
use crate::git::index::IndexFile;
use crate::git::repo::Repo;
use crate::model::error::{Error, Origin, PolicyError, PolicyProblem};
use crate::policy::matcher::Matcher;
use crate::policy::{POLICY_FILE, Policy};

/// The file that may hold the policy's table instead of [`POLICY_FILE`].
const PYPROJECT: &str = "pyproject.toml";

/// Which side's policy judges a check (`--policy-from`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicySide {
    /// The base of a range (the merge base for `BASE...HEAD`); for `--tree`, the tree itself.
    Base,
    /// The head of a range (or the tree of `--tree`): trusts what the change brings.
    Head,
    /// The working tree's policy file.
    Worktree,
    /// The policy as staged in the index.
    Index,
}

/// The policy committed in `tree`. `label` names the tree in messages and reports
/// (`main:pycache-policy.toml:3:1: ...`).
pub fn from_tree(repo: &Repository, tree: &Tree<'_>, label: &str) -> Result<Policy, Error> {
    let read = |name: &str| -> Result<Option<(Vec<u8>, PathBuf)>, Error> {
        let Ok(entry) = tree.get_path(Path::new(name)) else {
            return Ok(None);
        };
        let blob = repo.find_blob(entry.id()).map_err(|source| Error::Git {
            action: "read the committed policy file",
            source,
        })?;
        Ok(Some((
            blob.content().to_vec(),
            PathBuf::from(format!("{label}:{name}")),
        )))
    };
    if let Some((bytes, origin)) = read(POLICY_FILE)? {
        return parse(&bytes, Origin::File(origin));
    }
    if let Some((bytes, origin)) = read(PYPROJECT)? {
        return parse(&bytes, Origin::PyProject(origin));
    }
    Ok(Policy::defaults())
}

/// What a commit's policy is read from: the blob of its `pycache-policy.toml`, else of its
/// `pyproject.toml`, else nothing (the defaults). Two commits with the same key have the same
/// policy, so a walk over many commits reads and compiles each policy once.
pub fn policy_key(repo: &Repository, id: Oid) -> Result<Option<(&'static str, Oid)>, Error> {
    let objects = Objects::new(repo).map_err(git("read the tree that holds the policy"))?;
    let tree = objects
        .commit(id)
        .map_err(git("read the tree that holds the policy"))?
        .tree;
    Ok(policy_entry(&objects, tree).map(|(name, id, _)| (name, id)))
}

/// The policy file of the tree `tree` (as libgit2's `Tree::get_path` finds it): its name, its
/// id and whether it came from `pyproject.toml`.
fn policy_entry(objects: &Objects<'_>, tree: Oid) -> Option<(&'static str, Oid, bool)> {
    [POLICY_FILE, PYPROJECT].into_iter().find_map(|name| {
        let (_, id) = objects.entry_at(tree, name.as_bytes())?;
        Some((name, id, name == PYPROJECT))
    })
}

/// The policy committed in the commit `id`, read with this crate's object readers.
pub fn from_commit(repo: &Repository, id: Oid, label: &str) -> Result<Policy, Error> {
    let objects = Objects::new(repo).map_err(git("read the tree that holds the policy"))?;
    let tree = objects
        .commit(id)
        .map_err(git("read the tree that holds the policy"))?
        .tree;
    // A tree that cannot be read is an error, never a tree without a policy.
    objects
        .checked_tree(tree)
        .map_err(git("read the tree that holds the policy"))?;
    let Some((name, blob, pyproject)) = policy_entry(&objects, tree) else {
        return Ok(Policy::defaults());
    };
    let bytes = objects
        .read(blob, git2::ObjectType::Blob)
        .map_err(git("read the committed policy file"))?;
    let origin = PathBuf::from(format!("{label}:{name}"));
    match pyproject {
        true => parse(&bytes, Origin::PyProject(origin)),
        false => parse(&bytes, Origin::File(origin)),
    }
}

fn git(action: &'static str) -> impl Fn(git2::Error) -> Error {
    move |source| Error::Git { action, source }
}

/// The policy the staged check uses, and the file it came from when that file is not tracked.
#[derive(Debug)]
pub struct StagedPolicy {
    /// The policy.
    pub policy: Policy,
    /// A policy file read from the working tree because the index does not hold it: it judges
    /// this commit, but the commit does not carry it, so CI will not see it.
    pub untracked: Option<PathBuf>,
}

/// The policy as staged in `index`: its `pycache-policy.toml`, else (when the working tree has
/// an untracked one) that file, else the staged `pyproject.toml`'s table, else an untracked
/// `pyproject.toml`'s, else the defaults.
pub fn from_index(repo: &Repo, index: &IndexFile) -> Result<StagedPolicy, Error> {
    let workdir = repo.workdir()?;
    for name in [POLICY_FILE, PYPROJECT] {
        let origin = |path: PathBuf| match name {
            POLICY_FILE => Origin::File(path),
            _ => Origin::PyProject(path),
        };
        if let Some(oid) = staged_blob(index, name.as_bytes()) {
            let blob = Oid::from_bytes(oid)
                .and_then(|oid| repo.git.find_blob(oid))
                .map_err(|source| Error::Git {
                    action: "read the staged policy file",
                    source,
                })?;
            // Shown as the file when the working tree holds the same bytes (so `file:line:col`
            // opens in an editor), else in git's notation for the index's version (`:file`).
            let on_disk = std::fs::read(workdir.join(name)).ok();
            let label = match on_disk.as_deref() == Some(blob.content()) {
                true => PathBuf::from(name),
                false => PathBuf::from(format!(":{name}")),
            };
            let policy = parse(blob.content(), origin(label))?;
            if name == PYPROJECT && policy.origin == Origin::Defaults {
                continue; // a pyproject.toml without the table holds no policy
            }
            return Ok(StagedPolicy {
                policy,
                untracked: None,
            });
        }
        let path = workdir.join(name);
        // Anything there but a regular file (a folder, a dangling link, a FIFO) is an error.
        if let Some(text) = crate::policy::load::read_discovered(&path)? {
            let policy = parse(text.as_bytes(), origin(PathBuf::from(name)))?;
            if policy.origin == Origin::Defaults {
                continue;
            }
            return Ok(StagedPolicy {
                policy,
                untracked: Some(PathBuf::from(name)),
            });
        }
    }
    Ok(StagedPolicy {
        policy: Policy::defaults(),
        untracked: None,
    })
}

/// The id of the stage-0 entry at `path`, if the index holds one (not `git add -N`).
fn staged_blob<'i>(index: &'i IndexFile, path: &[u8]) -> Option<&'i [u8]> {
    let at = index.lower_bound(path);
    (at..index.len())
        .map_while(|i| index.get(i).filter(|e| e.path == path))
        .find(|e| e.stage == 0 && !e.intent_to_add)
        .map(|e| e.oid)
}

fn parse(bytes: &[u8], origin: Origin) -> Result<Policy, Error> {
    let text = crate::policy::load::utf8(origin.clone(), bytes)?;
    Ok(match origin {
        Origin::PyProject(path) => Policy::from_pyproject(text, path)?,
        origin => Policy::from_toml(text, origin)?,
    })
}

/// Compiles `policy` for matching; a pattern the matcher cannot build is a policy error.
pub fn matcher_for(policy: &Policy, ignore_case: bool) -> Result<Matcher, Error> {
    Matcher::new(policy, ignore_case).map_err(|message| {
        Error::Policy(PolicyError {
            origin: policy.origin.clone(),
            problems: vec![PolicyProblem {
                line: 0,
                column: 0,
                message,
            }],
        })
    })
}
