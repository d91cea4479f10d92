//! The staged-index check: what `pycache-policy check` (and the pre-commit hook) judges.
//!
//! The index is the truth for a commit, so the working tree is never read: a file changed after
//! `git add` is judged by what was added. By default only what the commit would change is judged
//! (index entries added or modified relative to `HEAD`, every entry before the first commit);
//! [`Scope::All`] judges every entry. Entries added with `git add -N` are left out of the
//! default scope, as `git commit` leaves them out of the commit.
//!
//! Finding the changes does not diff the whole index against `HEAD`: nearly every path fails the
//! matcher's cheap literal test, and only the few that pass are looked up in `HEAD`'s tree.

use std::borrow::Cow;
use std::cell::RefCell;

use git2::Oid;

use crate::checks::findings::{TrackedCaches, allowlist_unmatched, missing_readme};
use crate::checks::ignore::{self, Probe};
use crate::git::excludes::{Excludes, IgnoreDecision, IgnoreRule, SourceKind};
use crate::git::folders::Folders;
use crate::git::index::cache_tree::CacheTree;
use crate::git::index::{Entry, IndexFile, MODE_GITLINK, MODE_SPARSE_DIR};
use crate::git::repo::Repo;
use crate::model::error::Error;
use crate::model::finding::{Code, Facts, Finding, IgnoreGap, IgnoreLine, Severity};
use crate::model::outcome::{Outcome, Scope};
use crate::policy::matcher::{CacheVerdict, Matcher};
use crate::policy::{AllowEntry, Policy};
use crate::util::hash::FastMap;
use crate::util::path::{as_path, parent, same};
use crate::util::sorted::merge_sorted_by;

/// Judges the staged index of `repo` against the policy.
pub fn check_index(
    repo: &Repo,
    policy: &Policy,
    matcher: &Matcher,
    scope: Scope,
) -> Result<Outcome, Error> {
    check_staged(repo, &repo.staged_index()?, policy, matcher, scope)
}

/// [`check_index`] on an index already read (the caller read it for its policy).
pub fn check_staged(
    repo: &Repo,
    index: &IndexFile,
    policy: &Policy,
    matcher: &Matcher,
    scope: Scope,
) -> Result<Outcome, Error> {
    let head = match scope {
        Scope::Staged => repo.head_tree()?,
        Scope::All => None,
    };
    // As `git diff --cached`: objects of the local store are not hash-checked on read.
    git2::opts::strict_hash_verification(false);
    let folders = match &head {
        Some(t) => {
            Some(Folders::new(&repo.git, t.id()).map_err(Error::git("open the object database"))?)
        }
        None => None,
    };
    let mut judge = StagedJudge {
        policy,
        matcher,
        scope,
        head: folders.as_ref(),
        // Only the default scope asks what changed since HEAD.
        cache_tree: folders.as_ref().and_then(|_| index.cache_tree()),
        unchanged: RefCell::new(FastMap::default()),
        last_folder: RefCell::new(None),
        last_excluded: None,
        failed: RefCell::new(None),
        findings: Vec::new(),
        tracked: TrackedCaches::default(),
        probes: Vec::new(),
        kept_touched: vec![false; policy.allow.len()],
    };
    let mut sparse = Vec::new();
    let mut last_path: &[u8] = b"";
    // The folders of the tracked `.gitignore` files, for the ignore side.
    let mut rule_folders: Vec<&[u8]> = Vec::new();
    for entry in index.iter() {
        rule_folders.extend(ignore::rule_folder(entry.path));
        if entry.is_sparse_dir() {
            sparse.push((entry.path.to_vec(), entry.oid.to_vec()));
            continue;
        }
        // Conflict stages of one path are adjacent; the path is judged once.
        if entry.stage != 0 && entry.path == last_path {
            continue;
        }
        last_path = entry.path;
        judge.entry(&entry);
    }
    for (dir, oid) in sparse {
        judge.sparse_dir(repo, &dir, &oid)?;
    }
    if let Some(e) = judge.failed.borrow_mut().take() {
        return Err(Error::git("read a tree of HEAD")(e));
    }

    // The judge's findings are in index order; the rest are few.
    let findings = judge.findings;
    let mut more = Vec::new();
    // The ignore side: would git keep these paths out (or let the kept ones in)?
    let probes = match scope {
        Scope::Staged => judge.probes,
        Scope::All => ignore::probes(
            repo.workdir()?,
            &rule_folders,
            matcher,
            policy,
            judge.probes,
        ),
    };
    if !probes.is_empty() {
        let mut excludes = Excludes::for_repo(repo)?;
        excludes.only_in_folders(
            // Below the root: each folder without its `/` (the root's is empty).
            rule_folders
                .iter()
                .filter_map(|dir| dir.strip_suffix(b"/"))
                .map(<[u8]>::to_vec)
                .collect(),
        );
        let workdir = repo.workdir()?;
        let on_disk = |path: &[u8]| std::fs::symlink_metadata(workdir.join(as_path(path))).is_ok();
        more.extend(ignore_findings(&excludes, &probes, &on_disk));
        // A rule file that is not a regular file (a FIFO) was taken as empty: no verdict.
        if let Some(e) = excludes.unreadable() {
            return Err(e);
        }
    }
    more.extend(kept_folder_findings(
        repo,
        index,
        policy,
        scope,
        head.as_ref(),
        &judge.kept_touched,
    ));
    let (kept, recompiled) =
        crate::checks::kept::kept_folders(repo, index, policy, matcher, scope)?;
    more.extend(kept);
    let findings = merge_sorted_by(findings, more, |a, b| {
        a.path.cmp(&b.path).then(a.code.cmp(&b.code))
    });
    let untrack = untrack_paths(index, matcher, &findings);
    Ok(Outcome {
        findings,
        untrack,
        recompiled,
    })
}

/// The findings about the allow entries themselves: a kept folder the commit touches (or, with
/// no `HEAD`, any) without the README that explains it, and an entry that matches nothing.
fn kept_folder_findings(
    repo: &Repo,
    index: &IndexFile,
    policy: &Policy,
    scope: Scope,
    head: Option<&git2::Tree<'_>>,
    kept_touched: &[bool],
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (kept, &touched) in policy.allow.iter().zip(kept_touched) {
        if !kept.require_readme {
            continue;
        }
        let ignore_case = repo.ignore_case();
        let relevant = match head {
            None => has_entries(index, kept, ignore_case),
            // A README deleted by this commit matters as much as a new file in the folder.
            Some(tree) => {
                touched
                    || (kept
                        .readme_candidates()
                        .iter()
                        .any(|p| tree.get_path(as_path(p.as_bytes())).is_ok())
                        && has_entries(index, kept, ignore_case))
            }
        };
        if relevant && find_readme(index, kept, ignore_case).is_none() {
            findings.push(missing_readme(kept));
        }
    }
    // An allow entry that matches nothing tracked, in a folder that holds nothing tracked
    // either, is a mistake in the policy (a typo, a wrong case, a folder since moved); a kept
    // cache folder of a tracked folder may just not have its caches yet. `--all` says so; the
    // hook only when the case is all that differs.
    for kept in &policy.allow {
        let folder = kept.path.rsplit_once('/').map_or("", |(folder, _)| folder);
        if has_entries(index, kept, repo.ignore_case())
            || (!folder.is_empty()
                && !entries_under(index, folder.as_bytes(), repo.ignore_case()).is_empty())
        {
            continue;
        }
        let spelling = case_only_match(index, kept.path.as_bytes());
        if scope == Scope::All || spelling.is_some() {
            findings.push(allowlist_unmatched(kept, spelling));
        }
    }
    findings
}

/// Judges entries one at a time, collecting findings.
struct StagedJudge<'a, 'r> {
    policy: &'a Policy,
    matcher: &'a Matcher,
    scope: Scope,
    /// `HEAD`'s folders, each read once; `None` before the first commit or with `Scope::All`.
    head: Option<&'a Folders<'r>>,
    /// The index's cache tree: a valid folder whose id is `HEAD`'s holds no change.
    cache_tree: Option<CacheTree<'a>>,
    /// Folders known to hold no change (or to hold some).
    unchanged: RefCell<FastMap<Vec<u8>, bool>>,
    /// The last folder asked about and the answer: the index is sorted, so the files of one
    /// folder come one after another.
    last_folder: RefCell<Option<(Vec<u8>, bool)>>,
    /// The last folder a forbid pattern excluded, and the pattern.
    last_excluded: Option<(Vec<u8>, &'a str)>,
    /// The first tree of `HEAD` that could not be read: the check then has no verdict.
    failed: RefCell<Option<git2::Error>>,
    findings: Vec<Finding>,
    /// Builds the tracked-cache findings, sharing folders and rules.
    tracked: TrackedCaches,
    /// The judged paths with their verdicts, for the ignore side.
    probes: Vec<Probe<'a>>,
    /// Per allow entry: whether a judged path falls in it.
    kept_touched: Vec<bool>,
}

impl<'a> StagedJudge<'a, '_> {
    fn entry(&mut self, entry: &Entry<'a>) {
        // The literal prefilter first (nearly every path fails it), then, for the commit, whether
        // the entry changed (nearly every tracked cache did not), and only then the globs.
        let Some(from) = self.matcher.literal_end(entry.path) else {
            return;
        };
        if self.scope == Scope::Staged
            && (entry.intent_to_add
                || (entry.stage == 0 && !self.is_changed(entry.path, entry.mode, entry.oid)))
        {
            return;
        }
        let verdict = self.verdict(entry, from);
        if verdict != CacheVerdict::NotCache {
            // A gitlink is matched as a folder, but git's ignore rules cannot drop a tracked
            // submodule: it is no probe.
            self.record(entry.path.into(), verdict, entry.mode != MODE_GITLINK);
        }
    }

    /// The matcher's verdict on an entry. The index is sorted, so the entries inside a folder a
    /// pattern excludes come one after another: for them the folder's exclusion is reused (below
    /// an excluded folder nothing is re-included, so only the allow entries are asked again).
    fn verdict(&mut self, entry: &Entry<'_>, from: usize) -> CacheVerdict<'a> {
        if let Some((dir, pattern)) = &self.last_excluded
            && entry.path.len() > dir.len()
            && entry.path.starts_with(dir)
            && entry.path[dir.len()] == b'/'
        {
            let (pattern, excluded) = (*pattern, dir.len());
            return match self.matcher.allowed_by(entry.path) {
                Some(kept) => CacheVerdict::Allowed {
                    pattern,
                    excluded,
                    entry: kept,
                },
                None => CacheVerdict::Forbidden { pattern, excluded },
            };
        }
        // git treats a gitlink (submodule) as a folder: `__pycache__/` matches one.
        let verdict = self
            .matcher
            .verdict_from(entry.path, entry.mode == MODE_GITLINK, from);
        if let CacheVerdict::Forbidden { pattern, excluded }
        | CacheVerdict::Allowed {
            pattern, excluded, ..
        } = verdict
            && excluded < entry.path.len()
        {
            self.last_excluded = Some((entry.path[..excluded].to_vec(), pattern));
        }
        verdict
    }

    fn record(&mut self, path: Cow<'a, [u8]>, verdict: CacheVerdict<'a>, probe: bool) {
        if probe {
            self.probes.extend(Probe::new(path.clone(), verdict, true));
        }
        match verdict {
            CacheVerdict::NotCache => {}
            CacheVerdict::Forbidden { pattern, excluded } => {
                let f = self.tracked.finding(&path, pattern, excluded);
                self.findings.push(f);
            }
            CacheVerdict::Allowed { entry: kept, .. } => {
                if let Some(i) = self.policy.allow.iter().position(|a| a == kept) {
                    self.kept_touched[i] = true;
                }
            }
        }
    }

    /// Whether the path differs from `HEAD` (content or mode), or is new. Folders whose
    /// cache-tree id equals `HEAD`'s are skipped whole, as `git diff --cached` skips them; the
    /// rest are looked up in their folder's tree, read once.
    fn is_changed(&self, path: &[u8], mode: u32, oid: &[u8]) -> bool {
        let Some(head) = self.head else {
            return true;
        };
        let dir = parent(path);
        let known = match &*self.last_folder.borrow() {
            Some((last, same)) if last == dir => Some(*same),
            _ => None,
        };
        let unchanged = known.unwrap_or_else(|| {
            let same = self.folder_unchanged(dir);
            *self.last_folder.borrow_mut() = Some((dir.to_vec(), same));
            same
        });
        if unchanged {
            return false;
        }
        match head.entry(path) {
            Ok(Some((id, m))) => id.as_bytes() != oid || m != mode,
            Ok(None) => true,
            Err(e) => {
                self.failed.borrow_mut().get_or_insert(e);
                true
            }
        }
    }

    /// Whether the cache tree proves that nothing under `dir` differs from `HEAD`: `dir` or a
    /// folder above it is valid in the cache tree with `HEAD`'s id.
    fn folder_unchanged(&self, dir: &[u8]) -> bool {
        let (Some(head), Some(tree)) = (self.head, self.cache_tree.as_ref()) else {
            return false;
        };
        if let Some(&known) = self.unchanged.borrow().get(dir) {
            return known;
        }
        let above = !dir.is_empty() && self.folder_unchanged(parent(dir));
        let same = above
            || match tree.valid_oid(dir) {
                None => false,
                Some(ours) => match head.entry(dir) {
                    Ok(Some((theirs, 0o040000))) => ours == theirs.as_bytes(),
                    Ok(_) => false,
                    Err(e) => {
                        self.failed.borrow_mut().get_or_insert(e);
                        false
                    }
                },
            };
        self.unchanged.borrow_mut().insert(dir.to_vec(), same);
        same
    }

    /// A sparse-index entry stands for a whole tree outside the sparse checkout: judge the files
    /// in it (unless, in the default scope, it is the same tree as in `HEAD`).
    fn sparse_dir(&mut self, repo: &Repo, dir: &[u8], oid: &[u8]) -> Result<(), Error> {
        let dir = dir.strip_suffix(b"/").unwrap_or(dir);
        if self.scope == Scope::Staged && !self.is_changed(dir, MODE_SPARSE_DIR, oid) {
            return Ok(());
        }
        let oid = Oid::from_bytes(oid).map_err(Error::git("read a sparse directory's id"))?;
        let files = repo.files_in_tree(dir, oid)?;
        for (path, mode, id) in files {
            let verdict = self.matcher.verdict(&path);
            if verdict != CacheVerdict::NotCache
                && (self.scope == Scope::All || self.is_changed(&path, mode, id.as_bytes()))
            {
                self.record(path.into(), verdict, true);
            }
        }
        Ok(())
    }
}

/// Findings for the probes git's ignore rules get wrong, one per policy rule and deciding line
/// (a repository without a `__pycache__/` line would otherwise get one per folder).
///
/// Some probes are paths no one has (the cache Python would write for a module, `example.pyc`
/// where a rule could differ). A finding names a real path, tracked or on disk, when one shows the
/// gap, and counts only real paths; when none does, it has no path, and its facts keep the
/// invented one as the example of what a new file would meet.
fn ignore_findings(
    excludes: &Excludes,
    probes: &[Probe<'_>],
    on_disk: &dyn Fn(&[u8]) -> bool,
) -> Vec<Finding> {
    struct Group<'p> {
        rule: String,
        /// The first real path, else the first probe.
        first: &'p [u8],
        first_is_real: bool,
        real: usize,
        git: IgnoreDecision,
    }
    let same_line = |a: &IgnoreDecision, b: &IgnoreDecision| match (a.decision(), b.decision()) {
        (Some(a), Some(b)) => a.file == b.file && a.line == b.line,
        (None, None) => true,
        _ => false,
    };
    let mut groups: Vec<Group<'_>> = Vec::new();
    for probe in probes {
        let git = excludes.check(&probe.path, false);
        if git.is_ignored() == probe.want_ignored {
            continue;
        }
        let rule = match probe.verdict {
            CacheVerdict::Forbidden { pattern, .. } => std::borrow::Cow::Borrowed(pattern),
            CacheVerdict::Allowed { entry, .. } => std::borrow::Cow::Owned(entry.display_path()),
            CacheVerdict::NotCache => continue,
        };
        let real = probe.tracked || on_disk(&probe.path);
        match groups
            .iter_mut()
            .find(|g| g.rule == *rule && same_line(&g.git, &git))
        {
            Some(g) => {
                if real {
                    g.real += 1;
                    if !g.first_is_real {
                        g.first = &probe.path;
                        g.first_is_real = true;
                    }
                }
            }
            None => groups.push(Group {
                rule: rule.into_owned(),
                first: &probe.path,
                first_is_real: real,
                real: usize::from(real),
                git,
            }),
        }
    }
    groups
        .into_iter()
        .map(|g| {
            let line = |d: &IgnoreRule| IgnoreLine {
                file: d.file.clone(),
                line: d.line,
                pattern: d.pattern.clone(),
                // The block in the root .gitignore outweighs everything but a deeper .gitignore.
                outranks_root: matches!(&d.kind, SourceKind::Gitignore(f) if !f.is_empty()),
            };
            let (code, decided_by) = match &g.git {
                IgnoreDecision::NotIgnored(by) => {
                    (Code::GitignoreMissingRule, by.as_ref().map(line))
                }
                IgnoreDecision::Ignored(d) => (Code::AllowlistIgnored, Some(line(d))),
            };
            let folder = parent(g.first).to_vec();
            let (path, example) = if g.first_is_real {
                (g.first.to_vec(), None)
            } else {
                (Vec::new(), Some(g.first.to_vec()))
            };
            Finding {
                code,
                severity: Severity::Warning,
                folder: folder.into(),
                path,
                rule: g.rule.into(),
                facts: Facts::IgnoreGap(Box::new(IgnoreGap {
                    decided_by,
                    more_like_it: g.real.saturating_sub(1),
                    example,
                })),
                commit: None,
            }
        })
        .collect()
}

/// The index entries under the folder `prefix` (or equal to it, for a file).
fn entries_under<'i>(index: &'i IndexFile, prefix: &[u8], ignore_case: bool) -> Vec<Entry<'i>> {
    let eq = |a: &[u8], b: &[u8]| same(a, b, ignore_case);
    let within = |p: &[u8]| {
        p.len() >= prefix.len()
            && eq(&p[..prefix.len()], prefix)
            && matches!(p.get(prefix.len()), None | Some(b'/'))
    };
    if ignore_case {
        // A differently cased folder sorts elsewhere in the index: look everywhere.
        return index.iter().filter(|e| within(e.path)).collect();
    }
    index_under(index, prefix).collect()
}

/// The index entries under the folder `prefix` (or equal to it), case-sensitively: the index is
/// sorted by path, so everything starting with `prefix` is one block.
fn index_under<'i>(index: &'i IndexFile, prefix: &[u8]) -> impl Iterator<Item = Entry<'i>> {
    (index.lower_bound(prefix)..index.len())
        .map_while(|i| index.get(i))
        .take_while(move |e| e.path.starts_with(prefix))
        .filter(move |e| matches!(e.path.get(prefix.len()), None | Some(b'/')))
}

/// The first tracked path under `prefix` but for ASCII case, spelt as tracked (the part `prefix`
/// names).
fn case_only_match(index: &IndexFile, prefix: &[u8]) -> Option<Vec<u8>> {
    index.iter().find_map(|e| {
        let p = e.path;
        (p.len() >= prefix.len()
            && p[..prefix.len()].eq_ignore_ascii_case(prefix)
            && matches!(p.get(prefix.len()), None | Some(b'/')))
        .then(|| p[..prefix.len()].to_vec())
    })
}

fn has_entries(index: &IndexFile, kept: &AllowEntry, ignore_case: bool) -> bool {
    !entries_under(index, kept.path.as_bytes(), ignore_case).is_empty()
}

fn find_readme(index: &IndexFile, kept: &AllowEntry, ignore_case: bool) -> Option<Vec<u8>> {
    kept.readme_candidates().into_iter().find_map(|candidate| {
        entries_under(index, candidate.as_bytes(), ignore_case)
            .into_iter()
            // Only a README the commit really holds: not `git add -N`, not a conflict stage.
            .find(|e| e.path.len() == candidate.len() && e.stage == 0 && !e.intent_to_add)
            .map(|e| e.path.to_vec())
    })
}

/// The shortest list of paths whose `git rm -r --cached` untracks exactly the forbidden paths
/// found: a cache folder as a whole when everything tracked under it is forbidden.
fn untrack_paths(index: &IndexFile, matcher: &Matcher, findings: &[Finding]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    // Per cache folder (its findings come one after another): whether a pattern excludes the
    // folder itself, and whether everything tracked in it is forbidden. Below an excluded folder
    // nothing is re-included, so only the allow entries can keep something in it.
    let mut folder_ok: Option<(&Finding, bool)> = None;
    // The folder last pushed whole, by the finding that pushed it.
    let mut pushed: Option<&Finding> = None;
    for f in findings.iter().filter(|f| f.code == Code::TrackedCache) {
        let whole = match &folder_ok {
            Some((first, ok)) if first.same_folder(f) => *ok,
            _ => {
                let is_cache_folder = matches!(
                    matcher.verdict(&f.path),
                    CacheVerdict::Forbidden { excluded, .. } if excluded < f.path.len()
                );
                // Without allow entries nothing in it can be kept: no need to list it.
                let ok = is_cache_folder
                    && (!matcher.allows_any()
                        || index_under(index, &f.folder)
                            .all(|e| matcher.allowed_by(e.path).is_none()));
                folder_ok = Some((f, ok));
                ok
            }
        };
        if whole {
            if !pushed.is_some_and(|p| p.same_folder(f)) {
                out.push(f.folder.to_vec());
                pushed = Some(f);
            }
            continue;
        }
        out.push(f.path.clone());
    }
    out
}
