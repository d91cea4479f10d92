//! `pycache-policy audit`: what history holds. It walks every commit reachable from `HEAD` (or
//! from every ref, with `--all`, as `git log --all` does), finds the commits that brought
//! forbidden paths into history, counts the distinct cache blobs and their size, and writes the
//! `git filter-repo` command that would purge them (see [`crate::policy::filter_repo`]). It never
//! rewrites anything.
//!
//! A commit *brings in* a cache when its tree holds a forbidden path with content (a blob) that
//! no commit before it holds at that path, "before" meaning its ancestors and, between unrelated
//! branches, older commits (parents first, then by committer date). That is the commit that
//! added or changed it, as `git log --diff-filter=AM` shows, except that the same content
//! brought in again (re-added after a deletion, cherry-picked onto another branch) is counted
//! once, where it first appeared: what matters for rewriting history is which blobs it holds.
//! A merge brings in only what none of its parents had.
//!
//! The walk reads each tree object of history once at each path it occupies, and skips a tree it
//! has seen there before with everything in it: that is fewer trees than diffing every commit
//! against its parent reads (there, each tree is read again as the "old" side of the next
//! change), which is why the audit keeps up with `git log --name-only` on long histories.
//!
//! Blob sizes are the objects' sizes, as `git cat-file --batch-check` reports them
//! (uncompressed; in a pack they usually take less).
//!
//! A shallow clone does not have the whole history, so an audit there would undercount and
//! blame its oldest commits for everything they hold: it is refused.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashSet};

use git2::{ErrorCode, ObjectType, Oid, Repository};

use crate::git::diff::{MAX_TREE_DEPTH, MODE_TREE, Objects, next_entry, too_deep};
use crate::git::revision::RangeError;
use crate::model::error::Error;
use crate::policy::Policy;
use crate::policy::filter_repo::{self, Untranslatable};
use crate::policy::matcher::{CacheVerdict, Matcher};
use crate::util::hash::{FastMap, FastSet};

/// The file mode of a submodule entry.
use crate::git::index::MODE_GITLINK;

/// What history holds.
#[derive(Debug)]
pub struct Audit {
    /// Every ref was walked (`--all`), not just `HEAD`.
    pub(crate) all_refs: bool,
    /// Commits walked.
    pub(crate) num_commits: usize,
    /// The commits that brought forbidden paths into history, newest first (as `git log`
    /// lists them).
    pub(crate) introductions: Vec<Introduction>,
    /// Distinct forbidden paths in history, sorted.
    pub(crate) paths: Vec<Vec<u8>>,
    /// Distinct blobs at forbidden paths.
    pub(crate) num_blobs: usize,
    /// Their total size in bytes.
    pub(crate) blob_bytes: u64,
    /// The `--path-regex` that purges them, or why there is none.
    pub(crate) purge: Result<String, Untranslatable>,
}

/// One commit that brought caches into history.
#[derive(Debug)]
pub(crate) struct Introduction {
    /// The commit.
    pub(crate) commit: Oid,
    /// The first line of its message.
    pub(crate) summary: String,
    /// The forbidden paths it brought in, sorted.
    pub(crate) paths: Vec<Vec<u8>>,
}

impl Audit {
    /// Whether history holds anything the policy forbids.
    pub fn found(&self) -> bool {
        !self.introductions.is_empty()
    }

    /// The whole `git filter-repo` command, if the policy translates.
    pub(crate) fn purge_command(&self) -> Option<String> {
        self.purge.as_deref().ok().map(filter_repo::command)
    }
}

/// `progress` is called with the number of commits judged so far, every this many commits.
pub(crate) const PROGRESS_EVERY: usize = 2000;

/// Walks history and reports what it holds.
pub fn audit(
    repo: &Repository,
    policy: &Policy,
    matcher: &Matcher,
    ignore_case: bool,
    all_refs: bool,
    progress: &mut dyn FnMut(usize),
) -> Result<Audit, Error> {
    let git = |action| move |source| Error::Git { action, source };
    // git does not re-hash every object it reads, and neither does the audit; libgit2's object
    // cache only costs time on a walk that reads each object once.
    git2::opts::strict_hash_verification(false);
    git2::opts::enable_caching(false);
    if repo.is_shallow() {
        return Err(RangeError::ShallowAudit.into());
    }
    let objects = Objects::new(repo).map_err(git("open the object database"))?;
    objects.check_packs().map_err(|detail| {
        Error::git("read the packs")(git2::Error::from_str(&format!(
            "a pack is corrupt: {detail}"
        )))
    })?;
    let commits = walk(repo, &objects, all_refs)?;
    let num_commits = commits.len();

    let mut seen = Seen::default();
    let mut introductions = Vec::new();
    let mut paths = BTreeSet::new();
    let mut blobs = HashSet::new();
    let mut path = Vec::with_capacity(256);
    for (i, (id, tree)) in commits.into_iter().enumerate() {
        if i % PROGRESS_EVERY == PROGRESS_EVERY - 1 {
            progress(i + 1);
        }
        let mut found = Vec::new();
        path.clear();
        visit(&objects, matcher, &mut seen, tree, &mut path, &mut found)
            .map_err(git("read a tree"))?;
        if found.is_empty() {
            continue;
        }
        for (p, mode, blob) in &found {
            // A submodule entry names a commit elsewhere, not content in this history.
            if *mode != MODE_GITLINK {
                blobs.insert(*blob);
            }
            paths.insert(p.clone());
        }
        let mut found: Vec<Vec<u8>> = found.into_iter().map(|(p, _, _)| p).collect();
        found.sort();
        found.dedup();
        introductions.push(Introduction {
            commit: id,
            summary: objects.summary(id).map_err(git("read a commit"))?,
            paths: found,
        });
    }
    progress(num_commits);

    let mut blob_bytes = 0u64;
    for blob in &blobs {
        let (_, size) = objects.header(*blob).map_err(git("read a blob's size"))?;
        blob_bytes += size as u64;
    }
    // Newest first, as `git log` lists them.
    introductions.reverse();
    Ok(Audit {
        all_refs,
        num_commits,
        introductions,
        paths: paths.into_iter().collect(),
        num_blobs: blobs.len(),
        blob_bytes,
        purge: filter_repo::path_regex(policy, ignore_case),
    })
}

/// The commits to audit with their trees, parents first and otherwise oldest first.
fn walk(
    repo: &Repository,
    objects: &Objects<'_>,
    all_refs: bool,
) -> Result<Vec<(Oid, Oid)>, Error> {
    let git = |action| move |source| Error::Git { action, source };
    // The tips: HEAD, and with --all every ref that leads to a commit (as `git log --all`).
    let mut stack = Vec::new();
    // Ref targets are read by this crate's object reader, never peeled by libgit2: an object
    // libgit2 cannot read would otherwise make the ref vanish from the audit (a silent pass).
    let target = |r: &git2::Reference<'_>, what: &'static str| -> Result<Option<Oid>, Error> {
        let Some(id) = r.resolve().map_err(git(what))?.target() else {
            return Ok(None);
        };
        objects.peel_to_commit(id).map_err(git(what))
    };
    match repo.head() {
        Ok(head) => stack.extend(target(&head, "read HEAD")?),
        // An unborn branch (no commit yet): nothing to walk from HEAD.
        Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => {}
        Err(e) => return Err(git("read HEAD")(e)),
    }
    if all_refs {
        for reference in repo.references().map_err(git("read the refs"))? {
            let reference = reference.map_err(git("read the refs"))?;
            // A symbolic ref to nowhere (a dangling `refs/remotes/origin/HEAD`) leads to no
            // commit, as in `git log --all`.
            if reference.resolve().is_err() {
                continue;
            }
            stack.extend(target(&reference, "read a ref")?);
        }
    }
    // Every commit reachable, each header read once.
    let mut index: FastMap<Oid, usize> = FastMap::default();
    let mut headers = Vec::new();
    while let Some(id) = stack.pop() {
        if index.contains_key(&id) {
            continue;
        }
        let header = objects.commit(id).map_err(git("read a commit"))?;
        stack.extend(header.parents.iter().filter(|p| !index.contains_key(p)));
        index.insert(id, headers.len());
        headers.push((id, header));
    }
    // Parents first (Kahn's algorithm), the oldest ready commit next.
    let mut waiting: Vec<usize> = headers.iter().map(|(_, h)| h.parents.len()).collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); headers.len()];
    for (i, (_, h)) in headers.iter().enumerate() {
        for p in &h.parents {
            children[index[p]].push(i);
        }
    }
    let mut ready: BinaryHeap<(Reverse<i64>, Reverse<usize>)> = headers
        .iter()
        .enumerate()
        .filter(|(i, _)| waiting[*i] == 0)
        .map(|(i, (_, h))| (Reverse(h.time), Reverse(i)))
        .collect();
    let mut order = Vec::with_capacity(headers.len());
    while let Some((_, Reverse(i))) = ready.pop() {
        order.push((headers[i].0, headers[i].1.tree));
        for &c in &children[i] {
            // A commit listing the same parent twice waits for it twice.
            waiting[c] -= headers[c]
                .1
                .parents
                .iter()
                .filter(|p| index[*p] == i)
                .count()
                .min(waiting[c]);
            if waiting[c] == 0 {
                waiting[c] = usize::MAX;
                ready.push((Reverse(headers[c].1.time), Reverse(c)));
            }
        }
    }
    Ok(order)
}

/// What the walk has seen: trees at their paths, and forbidden blobs at theirs.
#[derive(Default)]
struct Seen {
    /// Folder paths (with their trailing `/`; the root is the empty path), numbered.
    folders: FastMap<Vec<u8>, u32>,
    /// (folder number, tree): everything under it has been seen.
    trees: FastSet<(u32, Oid)>,
    /// Forbidden paths with the content seen there.
    blobs: FastSet<(Vec<u8>, Oid)>,
}

/// Visits the tree `tree` at the root, and every tree under it not seen at its path before,
/// collecting the forbidden (path, mode, blob) they hold that were not seen before. An
/// explicit stack of folders, refusing trees deeper than git's `core.maxTreeDepth`.
fn visit(
    objects: &Objects<'_>,
    matcher: &Matcher,
    seen: &mut Seen,
    tree: Oid,
    path: &mut Vec<u8>,
    found: &mut Vec<(Vec<u8>, u32, Oid)>,
) -> Result<(), git2::Error> {
    // (tree, its records, where the next one starts, the length of `path` there)
    type Frame = (Oid, std::rc::Rc<Vec<u8>>, usize, usize);
    if !seen.trees.insert((0, tree)) {
        return Ok(());
    }
    let mut stack: Vec<Frame> = vec![(tree, objects.read(tree, ObjectType::Tree)?, 0, path.len())];
    while let Some((tree, data, at, base)) = stack.last_mut() {
        let Some(entry) = next_entry(&data[*at..]) else {
            path.truncate(*base);
            stack.pop();
            continue;
        };
        let tree = *tree;
        let (entry, used) =
            entry.ok_or_else(|| git2::Error::from_str(&format!("tree {tree} is malformed")))?;
        *at += used;
        let base = *base;
        let id = Oid::from_bytes(entry.id)?;
        path.truncate(base);
        path.extend_from_slice(entry.name);
        if entry.mode == MODE_TREE {
            path.push(b'/');
            let number = match seen.folders.get(path.as_slice()) {
                Some(&n) => n,
                None => {
                    // Folder 0 is the root, which is not in the map: number from 1, or a new
                    // folder would share the root's number and a root tree equal to it would be
                    // taken as already seen.
                    let n = seen.folders.len() as u32 + 1;
                    seen.folders.insert(path.clone(), n);
                    n
                }
            };
            if seen.trees.insert((number, id)) {
                if stack.len() > MAX_TREE_DEPTH {
                    return Err(too_deep(stack[0].0));
                }
                let data = objects.read(id, ObjectType::Tree)?;
                stack.push((id, data, 0, path.len()));
            }
        } else if matcher.is_candidate(path)
            // git treats a submodule (gitlink) like a folder: `__pycache__/` matches one.
            && matches!(
                matcher.verdict_for(path, entry.mode == MODE_GITLINK),
                CacheVerdict::Forbidden { .. }
            )
            && seen.blobs.insert((path.clone(), id))
        {
            found.push((path.clone(), entry.mode, id));
        }
    }
    Ok(())
}
