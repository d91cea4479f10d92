//! The checks of committed history, for CI: `check --tree REV` (every path of a commit's tree),
//! `check --range BASE..HEAD` (the paths the range adds or changes) and `--each-commit` (the
//! paths each commit of the range adds or changes, so that a cache added and later deleted is
//! still caught: it stays in history when the branch is merged without squashing).
//!
//! Paths come from [`crate::git::diff`], which skips identical subtrees by id, and are judged by the
//! same [`Matcher`] and into the same findings as the staged check:
//! - `tracked-cache` for every forbidden path added or changed (a rename is an addition at the
//!   new path, so a cache renamed into a kept folder is allowed, and one renamed out is not);
//! - `allowlist-missing-readme` for a kept folder that the change touches (or whose README it
//!   deletes) and that has no README in the judged tree.
//!
//! A commit is judged against its first parent, a root commit against the empty tree. A merge
//! commit is judged by what the merge itself brings in: the paths whose entry differs from every
//! parent (what `git log -c` shows), so merging the target branch into a pull request does not
//! blame the pull request for the target's files.
//!
//! Not judged here: the ignore side (whether `.gitignore` keeps caches out). It reads the
//! working tree's `.gitignore` files, which need not match the judged commits; run
//! `check --all` in a checkout for it. Trees are read as committed: no working tree, index or
//! `GIT_INDEX_FILE` is involved, so these checks work in a bare repository.

use std::collections::BTreeSet;
use std::rc::Rc;

use git2::{Oid, Repository};

use crate::checks::findings::{TrackedCaches, missing_readme};
use crate::git::diff::Objects;
use crate::git::revision::{self, Range, Rev};
use crate::model::error::Error;
use crate::model::finding::{Code, Facts, Finding, FoundIn};
use crate::model::outcome::Outcome;
use crate::model::outcome::{CommitInfo, Subject};
use crate::policy::Policy;
use crate::policy::matcher::{CacheVerdict, Matcher};

use crate::git::diff::MODE_TREE;
use crate::git::index::MODE_GITLINK;

/// Judges every path of the tree `rev` names.
pub fn check_tree(
    repo: &Repository,
    policy: &Policy,
    matcher: &Matcher,
    ignore_case: bool,
    rev: &str,
) -> Result<(Outcome, Subject), Error> {
    let (commit, tree) = revision::tree(repo, Rev::cli(rev))?;
    let objects = Objects::new(repo).map_err(|source| Error::Git {
        action: "open the object database",
        source,
    })?;
    let mut judge = TreeJudge::new(&objects, policy, matcher);
    judge.change(&[], tree.id(), None)?;
    let mut findings = judge.findings;
    for f in &mut findings {
        f.facts = Facts::TrackedCache {
            found_in: FoundIn::Tree(rev.to_string()),
        };
    }
    findings.extend(readme_findings(
        &objects,
        policy,
        None,
        tree.id(),
        &judge.kept_touched,
        ignore_case,
    ));
    sort_by_path(&mut findings);
    let untrack = untrack_paths(&objects, matcher, tree.id(), &findings);
    let subject = Subject::Tree {
        rev: rev.to_string(),
        commit: commit.map(|c| c.to_string()),
        tree: tree.id().to_string(),
    };
    Ok((Outcome::new(findings, untrack), subject))
}

/// The policy (and its matcher) that judges one commit, given the id of its first parent.
pub type ParentPolicy<'p> = &'p dyn Fn(Oid) -> Result<Rc<(Policy, Matcher)>, Error>;

/// Judges what `range` adds or changes: the difference between its start and its head, or,
/// with `each_commit`, every commit of it. With `each_commit` and `parent_policy`, each commit is
/// judged by the policy of its first parent instead of `policy`.
pub fn check_range(
    repo: &Repository,
    policy: &Policy,
    matcher: &Matcher,
    ignore_case: bool,
    range: &Range,
    each_commit: bool,
    parent_policy: Option<ParentPolicy<'_>>,
) -> Result<(Outcome, Subject), Error> {
    let git_err = |action| move |e| Error::Git { action, source: e };
    // Both ends are read by this crate's bounded readers before libgit2 reads them: an
    // unreadable commit or tree is named, never a crash or a hang inside libgit2.
    let objects = Objects::new(repo).map_err(git_err("open the object database"))?;
    let [head, from] = [
        ("the head commit", range.head),
        ("the base commit", range.from()),
    ]
    .map(|(what, id)| {
        let unreadable = |e: git2::Error| Error::Unreadable {
            what: format!("{what} {id}"),
            detail: e.message().to_string(),
        };
        let header = objects.commit(id).map_err(unreadable)?;
        objects.checked_tree(header.tree).map_err(unreadable)?;
        Ok::<Oid, Error>(header.tree)
    });
    let (head, from) = (head?, from?);

    // The whole range: its caches (unless judged commit by commit), and which kept folders it
    // touches.
    let mut whole = TreeJudge::new(&objects, policy, matcher);
    // Commit by commit, the whole range only tells which kept folders it touches.
    let readme_rule = policy.allow.iter().any(|a| a.require_readme);
    if !each_commit || readme_rule {
        whole.change(&[from], head, None)?;
    }
    let mut findings = Vec::new();
    let mut commits = Vec::new();
    if each_commit {
        let ids = revision::commits(repo, range)?;
        let mut each = TreeJudge::new(&objects, policy, matcher);
        for id in ids {
            let header = objects
                .commit(id)
                .map_err(git_err("read a commit of the range"))?;
            let parents = header
                .parents
                .iter()
                .map(|&p| objects.commit(p).map(|h| h.tree))
                .collect::<Result<Vec<_>, _>>()
                .map_err(git_err("read a parent commit"))?;
            let before = each.findings.len();
            match (parent_policy, header.parents.first()) {
                (Some(policy_of), Some(&parent)) => {
                    let judging = policy_of(parent)?;
                    let mut one = TreeJudge::new(&objects, &judging.0, &judging.1);
                    one.change(&parents, header.tree, Some(id))?;
                    each.findings.append(&mut one.findings);
                }
                _ => each.change(&parents, header.tree, Some(id))?,
            }
            for f in &mut each.findings[before..] {
                f.facts = Facts::TrackedCache {
                    found_in: FoundIn::Commit,
                };
            }
            commits.push(CommitInfo {
                id: id.to_string(),
                summary: objects
                    .summary(id)
                    .map_err(git_err("read a commit of the range"))?,
            });
        }
        // Commit order, then path.
        let order = |f: &Finding| {
            commits
                .iter()
                .position(|c| Some(&c.id) == f.commit.as_ref())
        };
        each.findings
            .sort_by(|a, b| order(a).cmp(&order(b)).then_with(|| a.path.cmp(&b.path)));
        findings.extend(each.findings);
    } else {
        for f in &mut whole.findings {
            f.facts = Facts::TrackedCache {
                found_in: FoundIn::Range(range.spec.clone()),
            };
        }
        findings.append(&mut whole.findings);
        sort_by_path(&mut findings);
    }
    // Kept folders are a rule about the result, so they are judged once, on the head's tree.
    let mut readmes = readme_findings(
        &objects,
        policy,
        Some(from),
        head,
        &whole.kept_touched,
        ignore_case,
    );
    sort_by_path(&mut readmes);
    findings.extend(readmes);
    let untrack = untrack_paths(&objects, matcher, head, &findings);
    let subject = Subject::Range {
        spec: range.spec.clone(),
        base: range.base.to_string(),
        head: range.head.to_string(),
        merge_base: range.merge_base.map(|m| m.to_string()),
        each_commit,
        commits,
        chosen_by: None,
    };
    Ok((Outcome::new(findings, untrack), subject))
}

fn sort_by_path(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.path.cmp(&b.path).then(a.code.cmp(&b.code)));
}

/// Judges changes between trees, collecting findings.
struct TreeJudge<'a, 'r> {
    objects: &'a Objects<'r>,
    policy: &'a Policy,
    matcher: &'a Matcher,
    findings: Vec<Finding>,
    /// Builds the tracked-cache findings, sharing folders and rules.
    tracked: TrackedCaches,
    /// Per allow entry: whether a judged path falls in it.
    kept_touched: Vec<bool>,
}

impl<'a, 'r> TreeJudge<'a, 'r> {
    fn new(
        objects: &'a Objects<'r>,
        policy: &'a Policy,
        matcher: &'a Matcher,
    ) -> TreeJudge<'a, 'r> {
        TreeJudge {
            objects,
            policy,
            matcher,
            findings: Vec::new(),
            tracked: TrackedCaches::default(),
            kept_touched: vec![false; policy.allow.len()],
        }
    }

    /// Judges what `new` adds or changes relative to `parents` (all of them, for a merge; none
    /// for a root commit or a whole tree).
    fn change(&mut self, parents: &[Oid], new: Oid, commit: Option<Oid>) -> Result<(), Error> {
        let git = |action| move |source| Error::Git { action, source };
        let mut candidates = Vec::new();
        let matcher = self.matcher;
        self.objects
            .added_or_modified(parents.first().copied(), new, &mut |path, mode, id| {
                if matcher.is_candidate(path) {
                    candidates.push((path.to_vec(), mode, id));
                }
            })
            .map_err(git("compare two trees"))?;
        let parents: &[Oid] = match candidates.is_empty() {
            true => &[],
            false => &parents[parents.len().min(1)..],
        };
        for &t in parents {
            self.objects
                .checked_tree(t)
                .map_err(git("read a parent commit's tree"))?;
        }
        for (path, mode, id) in candidates {
            // A merge brings in only what differs from every parent (tree entries are compared
            // byte for byte, whatever core.ignorecase says, as git does).
            if parents
                .iter()
                .any(|&p| self.objects.entry_at(p, &path) == Some((mode, id)))
            {
                continue;
            }
            // git treats a submodule (gitlink) like a folder: `__pycache__/` matches one.
            match self.matcher.verdict_for(&path, mode == MODE_GITLINK) {
                CacheVerdict::NotCache => {}
                CacheVerdict::Forbidden { pattern, excluded } => {
                    let mut f = self.tracked.finding(&path, pattern, excluded);
                    f.commit = commit.map(|c| c.to_string());
                    self.findings.push(f);
                }
                CacheVerdict::Allowed { entry, .. } => {
                    if let Some(i) = self.policy.allow.iter().position(|a| a == entry) {
                        self.kept_touched[i] = true;
                    }
                }
            }
        }
        Ok(())
    }
}

/// `allowlist-missing-readme` for each kept folder that needs a README, is in `new`, and either
/// was touched or lost a README it had in `old`, and has no README in `new`.
fn readme_findings(
    objects: &Objects<'_>,
    policy: &Policy,
    old: Option<Oid>,
    new: Oid,
    touched: &[bool],
    ignore_case: bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (kept, &touched) in policy.allow.iter().zip(touched) {
        if !kept.require_readme || find(objects, new, kept.path.as_bytes(), ignore_case).is_none() {
            continue;
        }
        let has_readme = |tree: Oid| {
            kept.readme_candidates().iter().any(|c| {
                find(objects, tree, c.as_bytes(), ignore_case).is_some_and(|mode| mode != MODE_TREE)
            })
        };
        let relevant = touched || old.is_some_and(has_readme);
        if relevant && !has_readme(new) {
            out.push(missing_readme(kept));
        }
    }
    out
}

/// The mode of the entry at `path` in `tree`, if any; under `core.ignorecase` the names are
/// compared ignoring ASCII case, as the policy's paths are.
fn find(objects: &Objects<'_>, tree: Oid, path: &[u8], ignore_case: bool) -> Option<u32> {
    match ignore_case {
        false => objects.entry_at(tree, path),
        true => objects.entry_at_ignore_case(tree, path),
    }
    .map(|(mode, _)| mode)
}

/// The paths to pass to `git rm -r --cached --` on the judged tree: a cache folder as a whole
/// when everything in it is forbidden, else each forbidden path still in the tree. (A cache
/// that a later commit deleted is not in the tree: only rewriting history removes it.)
fn untrack_paths(
    objects: &Objects<'_>,
    matcher: &Matcher,
    tree: Oid,
    findings: &[Finding],
) -> Vec<Vec<u8>> {
    let mut out = BTreeSet::new();
    for f in findings.iter().filter(|f| f.code == Code::TrackedCache) {
        if objects.entry_at(tree, &f.path).is_none() {
            continue;
        }
        let is_cache_folder = matches!(
            matcher.verdict(&f.path),
            CacheVerdict::Forbidden { excluded, .. } if excluded < f.path.len()
        );
        let whole = is_cache_folder && all_forbidden(objects, matcher, tree, &f.folder);
        out.insert(if whole {
            f.folder.to_vec()
        } else {
            f.path.clone()
        });
    }
    out.into_iter().collect()
}

/// Whether every file under `folder` in `tree` is forbidden.
fn all_forbidden(objects: &Objects<'_>, matcher: &Matcher, tree: Oid, folder: &[u8]) -> bool {
    let Some((_, folder_id)) = objects.entry_at(tree, folder) else {
        return false;
    };
    let mut all = true;
    let mut prefix = folder.to_vec();
    prefix.push(b'/');
    let walked = objects.added_or_modified(None, folder_id, &mut |path, _, _| {
        let mut full = prefix.clone();
        full.extend_from_slice(path);
        all &= matches!(matcher.verdict(&full), CacheVerdict::Forbidden { .. });
    });
    walked.is_ok() && all
}
