//! What a CI check judges: revisions resolved the way `git rev-parse` resolves them, the ranges
//! `BASE..HEAD` and `BASE...HEAD`, the commits in a range, and the conditions under which no
//! honest verdict is possible.
//!
//! The two spellings mean what they mean to `git diff`: `BASE..HEAD` compares BASE's tree with
//! HEAD's; `BASE...HEAD` compares the merge base of the two with HEAD, which is what a pull
//! request shows. The commits of either range are those `git rev-list BASE..HEAD` lists:
//! reachable from HEAD and not from BASE.
//!
//! Fail closed: a revision that does not resolve is named; in a shallow clone, a base that is
//! not there, a merge base beyond the clone's depth, or a range whose commits reach the clone's
//! cut-off all stop the check with a message that says to fetch more history. None of them ever
//! turns into an empty range that passes.

use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};

use git2::{ErrorCode, ObjectType, Oid, Repository, Sort, Tree};

use crate::git::diff::Objects;

pub use crate::model::error::RangeError;

/// A revision as the user or the CI system named it.
#[derive(Clone, Copy, Debug)]
pub struct Rev<'a> {
    /// The name: a commit id, a branch, a tag, `HEAD~3`, ...
    pub name: &'a str,
    /// Where the name came from, when not from the command line (e.g. `pull_request.base.sha`).
    pub origin: Option<&'a str>,
}

impl<'a> Rev<'a> {
    /// A revision named on the command line.
    pub fn cli(name: &'a str) -> Rev<'a> {
        Rev { name, origin: None }
    }
}

/// A resolved range of commits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    /// The range as written (`main...feature`) or as chosen from the CI environment.
    pub(crate) spec: String,
    /// The base commit.
    pub(crate) base: Oid,
    /// The head commit.
    pub head: Oid,
    /// For `BASE...HEAD`: the merge base, which the head is compared with.
    pub(crate) merge_base: Option<Oid>,
}

impl Range {
    /// The commit whose tree the head's tree is compared with.
    pub(crate) fn from(&self) -> Oid {
        self.merge_base.unwrap_or(self.base)
    }
}

fn git(action: &'static str) -> impl FnOnce(git2::Error) -> RangeError {
    move |source| RangeError::Git { action, source }
}

/// Splits `BASE..HEAD` or `BASE...HEAD` into its two revisions and whether it is the
/// merge-base form. An empty side means `HEAD`, as in git.
pub fn parse(spec: &str) -> Result<(&str, &str, bool), RangeError> {
    let bad = || RangeError::BadSpec {
        spec: spec.to_string(),
    };
    let (base, head, symmetric) = match spec.split_once("...") {
        Some((b, h)) => (b, h, true),
        None => match spec.split_once("..") {
            Some((b, h)) => (b, h, false),
            None => return Err(bad()),
        },
    };
    if (base.is_empty() && head.is_empty()) || head.starts_with('.') {
        return Err(bad());
    }
    let base = if base.is_empty() { "HEAD" } else { base };
    let head = if head.is_empty() { "HEAD" } else { head };
    Ok((base, head, symmetric))
}

/// Resolves `base` and `head` into a range; `symmetric` for `BASE...HEAD`.
pub fn resolve(
    repo: &Repository,
    spec: &str,
    base: Rev<'_>,
    head: Rev<'_>,
    symmetric: bool,
) -> Result<Range, RangeError> {
    let base_id = commit_id(repo, base)?;
    let head_id = commit_id(repo, head)?;
    let unique = || {
        let objects = Objects::new(repo).ok()?;
        unique_merge_base(repo, &objects, base_id, head_id)
    };
    let merge_base = if symmetric {
        match unique().map_or_else(|| repo.merge_base(base_id, head_id), Ok) {
            Ok(id) => Some(id),
            Err(e) if e.code() == ErrorCode::NotFound => {
                return Err(RangeError::NoMergeBase {
                    spec: spec.to_string(),
                    shallow: repo.is_shallow(),
                });
            }
            Err(e) => return Err(git("find the merge base")(e)),
        }
    } else {
        None
    };
    Ok(Range {
        spec: spec.to_string(),
        base: base_id,
        head: head_id,
        merge_base,
    })
}

/// The merge base of `one` and `two` when they have exactly one, found by git's own walk
/// (`paint_down_to_common` in `commit-reach.c`): newest commit first, each marked with the
/// sides it is reachable from, a commit reachable from both a candidate and everything below
/// it stale, until only stale commits are left. Every merge base is among the candidates that
/// are not stale at the end, so when there is one such candidate it is the merge base, and what
/// libgit2's `git_merge_base` answers too. `None` (libgit2 decides) for several or none, for a
/// commit this crate cannot read, and for a shallow or grafted history, where parents are not
/// what the commits say.
fn unique_merge_base(repo: &Repository, objects: &Objects<'_>, one: Oid, two: Oid) -> Option<Oid> {
    const ONE: u8 = 1;
    const TWO: u8 = 2;
    const STALE: u8 = 4;
    const RESULT: u8 = 8;
    if repo.is_shallow() || repo.commondir().join("info/grafts").exists() {
        return None;
    }
    if one == two {
        return Some(one);
    }
    let mut flags: HashMap<Oid, u8> = HashMap::new();
    let mut queue: BinaryHeap<(i64, std::cmp::Reverse<usize>, Oid)> = BinaryHeap::new();
    let mut queued = 0usize;
    for (id, side) in [(one, ONE), (two, TWO)] {
        flags.insert(id, side);
        queue.push((objects.commit(id).ok()?.time, std::cmp::Reverse(queued), id));
        queued += 1;
    }
    let mut results = Vec::new();
    while queue.iter().any(|(_, _, id)| flags[id] & STALE == 0) {
        let (_, _, id) = queue.pop()?;
        let own = flags.get_mut(&id)?;
        let mut marks = *own & (ONE | TWO | STALE);
        if marks == ONE | TWO {
            if *own & RESULT == 0 {
                *own |= RESULT;
                results.push(id);
            }
            marks |= STALE;
        }
        for parent in objects.commit(id).ok()?.parents {
            let theirs = flags.entry(parent).or_default();
            if *theirs & marks == marks {
                continue;
            }
            *theirs |= marks;
            let time = objects.commit(parent).ok()?.time;
            queue.push((time, std::cmp::Reverse(queued), parent));
            queued += 1;
        }
    }
    let mut best = results.into_iter().filter(|id| flags[id] & STALE == 0);
    match (best.next(), best.next()) {
        (Some(base), None) => Some(base),
        _ => None,
    }
}

/// The commit `rev` names (a tag is peeled to its commit).
pub(crate) fn commit_id(repo: &Repository, rev: Rev<'_>) -> Result<Oid, RangeError> {
    // A ref or a full id of a commit (or a tag of one) that this crate reads: what libgit2's
    // `revparse_single` would find, without libgit2 reading it again. Anything else (other
    // syntax, an object that is not there, a tree) goes the ordinary way, for its answer and
    // its error.
    if let Some(id) = direct_target(repo, rev.name)
        && let Some(commit) = readable_commit(repo, rev, id)?
    {
        return Ok(commit);
    }
    let object = lookup(repo, rev)?;
    match object.peel(ObjectType::Commit) {
        Ok(c) => Ok(c.id()),
        Err(_) => Err(RangeError::WrongKind {
            rev: rev.name.to_string(),
            kind: kind_name(object.kind()),
            wanted: "commit",
        }),
    }
}

/// The tree `rev` names (a commit's or a tag's tree, or a tree itself), and the commit when
/// `rev` names one.
pub fn tree<'r>(repo: &'r Repository, rev: Rev<'_>) -> Result<(Option<Oid>, Tree<'r>), RangeError> {
    let object = lookup(repo, rev)?;
    let commit = object.peel(ObjectType::Commit).ok().map(|c| c.id());
    match object.peel_to_tree() {
        Ok(t) => Ok((commit, t)),
        Err(_) => Err(RangeError::WrongKind {
            rev: rev.name.to_string(),
            kind: kind_name(object.kind()),
            wanted: "tree",
        }),
    }
}

fn kind_name(kind: Option<ObjectType>) -> String {
    kind.map_or("object of unknown kind".to_string(), |k| {
        k.str().to_string()
    })
}

/// The object a ref or full id `name` names, found without reading any object; `None` for
/// other revision syntax (`HEAD~2`, `v1^{tree}`, an abbreviated id).
fn direct_target(repo: &Repository, name: &str) -> Option<Oid> {
    if name.len() == 40
        && let Ok(id) = Oid::from_str(name)
    {
        return Some(id);
    }
    repo.resolve_reference_from_short_name(name)
        .ok()?
        .resolve()
        .ok()?
        .target()
}

/// Reads the object `id` (and, for a commit or a tag of one, the commit's header and root
/// tree) with this crate's bounded readers, before libgit2 reads them: an unreadable object
/// is named, never taken for an unknown revision, and never handed to libgit2, which crashes
/// or hangs on some (libgit2-sys 0.18.8+1.9.7).
fn check_readable(repo: &Repository, rev: Rev<'_>, id: Oid) -> Result<(), RangeError> {
    readable_commit(repo, rev, id).map(|_| ())
}

/// [`check_readable`], and the commit `id` peels to: `None` when `id` is not in the object
/// store or is not a commit or a tag of one.
fn readable_commit(repo: &Repository, rev: Rev<'_>, id: Oid) -> Result<Option<Oid>, RangeError> {
    let unreadable = |e: git2::Error| RangeError::Unreadable {
        rev: rev.name.to_string(),
        detail: e.message().to_string(),
    };
    let objects = Objects::new(repo).map_err(git("open the object database"))?;
    if !objects.exists(id) {
        return Ok(None); // unknown: libgit2 says so below
    }
    let commit = objects.peel_to_commit(id).map_err(unreadable)?;
    if let Some(commit) = commit {
        let header = objects.commit(commit).map_err(unreadable)?;
        objects.checked_tree(header.tree).map_err(unreadable)?;
    }
    Ok(commit)
}

fn lookup<'r>(repo: &'r Repository, rev: Rev<'_>) -> Result<git2::Object<'r>, RangeError> {
    if let Some(id) = direct_target(repo, rev.name) {
        check_readable(repo, rev, id)?;
    }
    // A CI system may hand over an all-zero id (no such commit): name it rather than guess.
    repo.revparse_single(rev.name).map_err(|e| match e.code() {
        ErrorCode::Ambiguous => RangeError::Ambiguous {
            rev: rev.name.to_string(),
        },
        _ => RangeError::Unknown {
            rev: rev.name.to_string(),
            origin: rev.origin.map(str::to_string),
            shallow: repo.is_shallow(),
        },
    })
}

/// The commits of `range`, as `git rev-list --topo-order --reverse BASE..HEAD` lists them:
/// reachable from the head and not from the base, parents before children.
///
/// In a shallow clone, a commit of the range whose parents were cut off cannot be judged
/// against them: that is an error, never a root commit in disguise.
pub(crate) fn commits(repo: &Repository, range: &Range) -> Result<Vec<Oid>, RangeError> {
    if !repo.is_shallow()
        && !repo.commondir().join("info/grafts").exists()
        && let Ok(objects) = Objects::new(repo)
        && let Some(out) = Libgit2Walk::new(&objects).range(range.head, range.base)
    {
        return Ok(out);
    }
    let boundary = shallow_boundary(repo);
    check_range_readable(repo, range, &boundary)?;
    let mut walk = repo.revwalk().map_err(git("walk the range"))?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
        .map_err(git("walk the range"))?;
    walk.push(range.head).map_err(git("walk the range"))?;
    walk.hide(range.base).map_err(git("walk the range"))?;
    let mut out = Vec::new();
    for id in walk {
        let id = id.map_err(|e| match e.code() {
            ErrorCode::NotFound if repo.is_shallow() => RangeError::Truncated {
                spec: range.spec.clone(),
                commit: range.head,
            },
            _ => git("walk the range")(e),
        })?;
        if boundary.contains(&id) {
            return Err(RangeError::Truncated {
                spec: range.spec.clone(),
                commit: id,
            });
        }
        out.push(id);
    }
    Ok(out)
}

/// A commit as libgit2's revision walk keeps it (`git_commit_list_node`).
struct Node {
    id: Oid,
    time: i64,
    /// `None` until parsed.
    parents: Option<Vec<usize>>,
    uninteresting: bool,
    seen: bool,
    added: bool,
    in_degree: usize,
}

/// libgit2's revision walk (`revwalk.c`, libgit2-sys 0.18.8+1.9.7) for one pushed and one
/// hidden commit, sorted `TOPOLOGICAL | REVERSE`, step for step: the same list kept by date,
/// the same marking of hidden ancestors, the same stop after `SLOP` (5) uninteresting commits,
/// the same topological sort. It gives what `Revwalk` gives, clock skew included, reading the
/// commits with this crate's bounded readers and without a second pack map; `None` for a
/// commit it cannot read or whose committer date it cannot parse (then libgit2 walks, and
/// names the error).
struct Libgit2Walk<'a, 'r> {
    objects: &'a Objects<'r>,
    nodes: Vec<Node>,
    by_id: HashMap<Oid, usize>,
}

impl<'a, 'r> Libgit2Walk<'a, 'r> {
    fn new(objects: &'a Objects<'r>) -> Libgit2Walk<'a, 'r> {
        Libgit2Walk {
            objects,
            nodes: Vec::new(),
            by_id: HashMap::new(),
        }
    }

    fn lookup(&mut self, id: Oid) -> usize {
        *self.by_id.entry(id).or_insert_with(|| {
            self.nodes.push(Node {
                id,
                time: 0,
                parents: None,
                uninteresting: false,
                seen: false,
                added: false,
                in_degree: 0,
            });
            self.nodes.len() - 1
        })
    }

    /// `git_commit_list_parse`.
    fn parse(&mut self, n: usize) -> Option<()> {
        if self.nodes[n].parents.is_some() {
            return Some(());
        }
        let header = self.objects.commit(self.nodes[n].id).ok()?;
        if header.time == 0 {
            return None; // no date this crate reads: libgit2's parser decides
        }
        let parents = header.parents.iter().map(|&p| self.lookup(p)).collect();
        self.nodes[n].time = header.time;
        self.nodes[n].parents = Some(parents);
        Some(())
    }

    fn parents(&self, n: usize) -> Vec<usize> {
        self.nodes[n].parents.clone().unwrap_or_default()
    }

    /// `git_commit_list_insert_by_date`: after every commit at least as new.
    fn insert_by_date(&self, list: &mut VecDeque<usize>, n: usize) {
        let time = self.nodes[n].time;
        let at = list
            .iter()
            .position(|&i| self.nodes[i].time < time)
            .unwrap_or(list.len());
        list.insert(at, n);
    }

    /// `mark_parents_uninteresting`: every ancestor reached through parsed commits, down to
    /// commits already uninteresting.
    fn mark_parents_uninteresting(&mut self, n: usize) {
        let mut stack = self.parents(n);
        while let Some(c) = stack.pop() {
            if self.nodes[c].uninteresting {
                continue;
            }
            self.nodes[c].uninteresting = true;
            stack.extend(self.parents(c));
        }
    }

    /// `add_parents_to_list`.
    fn add_parents_to_list(&mut self, n: usize, list: &mut VecDeque<usize>) -> Option<()> {
        if self.nodes[n].added {
            return Some(());
        }
        self.nodes[n].added = true;
        let uninteresting = self.nodes[n].uninteresting;
        for p in self.parents(n) {
            if uninteresting {
                self.nodes[p].uninteresting = true;
            }
            self.parse(p)?;
            if uninteresting {
                self.mark_parents_uninteresting(p);
                self.nodes[p].seen = true;
                self.insert_by_date(list, p);
            } else if !self.nodes[p].seen {
                self.nodes[p].seen = true;
                self.insert_by_date(list, p);
            }
        }
        Some(())
    }

    /// `still_interesting`.
    fn still_interesting(&self, list: &VecDeque<usize>, time: i64, slop: usize) -> usize {
        const SLOP: usize = 5;
        let Some(&first) = list.front() else {
            return 0;
        };
        if time <= self.nodes[first].time {
            return SLOP;
        }
        if list
            .iter()
            .any(|&i| !self.nodes[i].uninteresting || self.nodes[i].time > time)
        {
            return SLOP;
        }
        slop - 1
    }

    /// `prepare_walk` and `limit_list`: the commits popped while interesting, in that order.
    fn limit(&mut self, head: Oid, base: Oid) -> Option<Vec<usize>> {
        let (h, b) = (self.lookup(head), self.lookup(base));
        // `push(head)`, then `hide(base)`: the user input list is [base, head].
        self.nodes[b].uninteresting = true;
        let mut list = VecDeque::new();
        for n in [b, h] {
            self.parse(n)?;
            if self.nodes[n].uninteresting {
                self.mark_parents_uninteresting(n);
            }
            if !self.nodes[n].seen {
                self.nodes[n].seen = true;
                list.push_back(n);
            }
        }
        let (mut slop, mut time) = (5, i64::MAX);
        let mut popped = Vec::new();
        while let Some(n) = list.pop_front() {
            self.add_parents_to_list(n, &mut list)?;
            if self.nodes[n].uninteresting {
                self.mark_parents_uninteresting(n);
                slop = self.still_interesting(&list, time, slop);
                if slop == 0 {
                    break;
                }
                continue;
            }
            time = self.nodes[n].time;
            popped.push(n);
        }
        Some(popped)
    }

    /// The commits of `head` not reachable from `base` as `Revwalk` lists them sorted
    /// `TOPOLOGICAL | REVERSE` (`sort_in_topological_order`, then the reversal).
    fn range(mut self, head: Oid, base: Oid) -> Option<Vec<Oid>> {
        let list = self.limit(head, base)?;
        for &n in &list {
            self.nodes[n].in_degree = 1;
        }
        for &n in &list {
            for p in self.parents(n) {
                if self.nodes[p].in_degree > 0 {
                    self.nodes[p].in_degree += 1;
                }
            }
        }
        // Without time sorting libgit2's queue is a stack of the tips, reversed first.
        let mut stack: Vec<usize> = list
            .iter()
            .copied()
            .filter(|&n| self.nodes[n].in_degree == 1)
            .collect();
        stack.reverse();
        let mut sorted = Vec::new();
        while let Some(n) = stack.pop() {
            for p in self.parents(n) {
                if self.nodes[p].in_degree == 0 {
                    continue;
                }
                self.nodes[p].in_degree -= 1;
                if self.nodes[p].in_degree == 1 {
                    stack.push(p);
                }
            }
            self.nodes[n].in_degree = 0;
            sorted.push(n);
        }
        // Some commits became uninteresting after they were listed.
        let mut out: Vec<Oid> = sorted
            .into_iter()
            .filter(|&n| !self.nodes[n].uninteresting)
            .map(|n| self.nodes[n].id)
            .collect();
        out.reverse();
        Some(out)
    }
}

/// Reads every commit the walk below will read (the base's ancestors, and the head's down to
/// them) with this crate's bounded readers first: libgit2's revision walk would hang on a
/// damaged loose commit (libgit2-sys 0.18.8+1.9.7), and report another as merely missing.
fn check_range_readable(
    repo: &Repository,
    range: &Range,
    boundary: &HashSet<Oid>,
) -> Result<(), RangeError> {
    let objects = Objects::new(repo).map_err(git("open the object database"))?;
    let unreadable = |e: git2::Error| RangeError::Unreadable {
        rev: range.spec.clone(),
        detail: e.message().to_string(),
    };
    // git's own walk: newest commit first, colouring the base's ancestors "hidden", until only
    // hidden commits are left to look at; then a few more (libgit2 walks a little past that, for
    // clock skew). Reading the base's whole history would cost the whole history, for a range of
    // ten commits.
    const SLOP: usize = 32;
    let mut heap: BinaryHeap<(i64, Oid, bool)> = BinaryHeap::new();
    let mut colour: HashMap<Oid, bool> = HashMap::new();
    let mut interesting = 0usize;
    let push = |heap: &mut BinaryHeap<(i64, Oid, bool)>,
                colour: &mut HashMap<Oid, bool>,
                interesting: &mut usize,
                id: Oid,
                hidden: bool|
     -> Result<(), RangeError> {
        match colour.get(&id) {
            Some(&h) if h || !hidden => return Ok(()), // already as hidden, or the same colour
            _ => {}
        }
        colour.insert(id, hidden);
        if !objects.exists(id) {
            return Ok(()); // a shallow clone's cut: the walk below names it
        }
        let header = objects.commit(id).map_err(unreadable)?;
        if !hidden {
            *interesting += 1;
        }
        heap.push((header.time, id, hidden));
        Ok(())
    };
    push(&mut heap, &mut colour, &mut interesting, range.base, true)?;
    push(&mut heap, &mut colour, &mut interesting, range.head, false)?;
    let mut past = 0;
    while let Some((_, id, hidden)) = heap.pop() {
        if !hidden {
            interesting = interesting.saturating_sub(1);
        }
        // Recoloured since it was queued: take its newest colour.
        let hidden = colour.get(&id).copied().unwrap_or(hidden);
        if interesting == 0 {
            past += 1;
            if past > SLOP {
                break;
            }
        }
        if boundary.contains(&id) {
            continue;
        }
        let header = objects.commit(id).map_err(unreadable)?;
        for parent in header.parents {
            push(&mut heap, &mut colour, &mut interesting, parent, hidden)?;
        }
    }
    Ok(())
}

/// The commits a shallow clone cut off from their parents (the `shallow` file).
pub(crate) fn shallow_boundary(repo: &Repository) -> HashSet<Oid> {
    if !repo.is_shallow() {
        return HashSet::new();
    }
    let text = std::fs::read_to_string(repo.commondir().join("shallow")).unwrap_or_default();
    text.lines()
        .filter_map(|l| Oid::from_str(l.trim()).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random histories (merges of up to three parents, octopus included; dates that jump
    /// back and forth, and equal dates) walked by [`Libgit2Walk`] and by libgit2's `Revwalk`,
    /// for many heads and bases: the same commits in the same order, every time.
    #[test]
    fn own_walk_lists_what_libgit2_walk_lists() {
        // (seed, how far a date may jump back, in seconds): none (equal dates), some, wild.
        for (seed, skew) in [(99, 45), (7, 0), (12345, 5000), (2026, 60)] {
            walks_agree(seed, skew);
        }
    }

    fn walks_agree(seed: u64, skew: i64) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let tree = repo
            .find_tree(repo.treebuilder(None).unwrap().write().unwrap())
            .unwrap();
        let mut state = seed;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        let mut ids: Vec<Oid> = Vec::new();
        for i in 0..300u64 {
            let count = match (ids.len(), next(10)) {
                (0, _) => 0,
                (_, 0..=5) => 1,
                (_, 6..=8) => 2,
                _ => 3,
            };
            let parents: Vec<git2::Commit<'_>> = (0..count)
                .map(|_| {
                    // Mostly recent commits, sometimes far back.
                    let len = ids.len() as u64;
                    let back = if next(4) == 0 {
                        next(len)
                    } else {
                        next(len.min(8))
                    };
                    repo.find_commit(ids[(len - 1 - back) as usize]).unwrap()
                })
                .collect();
            let time = match skew {
                0 => 1_700_000_000 + (i as i64 / 10) * 60,
                _ => 1_700_000_000 + (i as i64) * 60 - (next(20) as i64) * skew,
            };
            let sig =
                git2::Signature::new("t", "t@example.com", &git2::Time::new(time, 0)).unwrap();
            let refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
            let id = repo
                .commit(None, &sig, &sig, &format!("c{i}"), &tree, &refs)
                .unwrap();
            ids.push(id);
        }
        let objects = Objects::new(&repo).unwrap();
        let mut listed = 0;
        for _ in 0..400 {
            let head = ids[next(ids.len() as u64) as usize];
            let base = ids[next(ids.len() as u64) as usize];
            let mut walk = repo.revwalk().unwrap();
            walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE).unwrap();
            walk.push(head).unwrap();
            walk.hide(base).unwrap();
            let want: Vec<Oid> = walk.map(Result::unwrap).collect();
            let ours = Libgit2Walk::new(&objects).range(head, base).unwrap();
            assert_eq!(ours, want, "seed {seed}: {head} not {base}");
            listed += ours.len();
        }
        assert!(listed > 400, "the ranges are not all empty");
    }

    #[test]
    fn specs() {
        assert_eq!(parse("a..b").unwrap(), ("a", "b", false));
        assert_eq!(parse("a...b").unwrap(), ("a", "b", true));
        assert_eq!(parse("a..").unwrap(), ("a", "HEAD", false));
        assert_eq!(parse("...b").unwrap(), ("HEAD", "b", true));
        assert_eq!(
            parse("origin/main...HEAD~2").unwrap(),
            ("origin/main", "HEAD~2", true)
        );
        for bad in ["a", "..", "...", "a....b", ""] {
            assert!(
                matches!(parse(bad), Err(RangeError::BadSpec { .. })),
                "{bad}"
            );
        }
    }
}
