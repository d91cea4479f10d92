//! The staged-index check: what `pycache-policy check` (and the pre-commit hook) judges.
//!
//! The index is the truth for a commit, so the working tree is never read: a file changed after
//! `git add` is judged by what was added. By default only what the commit would change is judged
//! (index entries added or modified relative to `HEAD`, every entry before the first commit);
//! [`Scope::All`] judges every entry.
//!
//! Finding the changes does not diff the whole index against `HEAD`: nearly every path fails the
//! matcher's cheap literal test, and only the few that pass are looked up in `HEAD`'s tree.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use git2::{Index, IndexEntry, Tree};

use crate::error::Error;
use crate::finding::{Code, Finding, Severity};
use crate::matcher::{Matcher, Verdict};
use crate::policy::{AllowEntry, Policy, README_NAME};
use crate::repo::Repo;

/// Which index entries to judge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Entries the next commit adds or modifies relative to `HEAD`.
    Staged,
    /// Every entry in the index.
    All,
}

/// The result of a check: the findings and what it takes to fix them.
#[derive(Debug, Default)]
pub struct Outcome {
    /// What the policy objects to, in index order.
    pub findings: Vec<Finding>,
    /// Paths to pass to `git rm -r --cached --` to untrack every forbidden path found: a whole
    /// cache folder where everything tracked in it is forbidden, else the files one by one.
    pub untrack: Vec<Vec<u8>>,
}

impl Outcome {
    /// Whether any finding fails the check.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }
}

/// Judges the staged index of `repo` against the policy.
pub fn check_index(
    repo: &Repo,
    policy: &Policy,
    matcher: &Matcher,
    scope: Scope,
) -> Result<Outcome, Error> {
    let index = repo.staged_index()?;
    let head = match scope {
        Scope::Staged => repo.head_tree()?,
        Scope::All => None,
    };
    let is_changed = |entry: &IndexEntry| match (&head, scope) {
        (_, Scope::All) | (None, _) => true,
        (Some(tree), Scope::Staged) => is_changed(tree, entry),
    };

    let mut outcome = Outcome::default();
    let mut kept_touched = vec![false; policy.allow.len()];
    let mut last_path: Option<Vec<u8>> = None;
    for entry in index.iter() {
        // Conflict stages of one path are adjacent; the path is judged once.
        if last_path.as_deref() == Some(entry.path.as_slice()) {
            continue;
        }
        let verdict = matcher.verdict(&entry.path);
        if verdict == Verdict::NotCache || (stage(&entry) == 0 && !is_changed(&entry)) {
            continue;
        }
        match verdict {
            Verdict::NotCache => {}
            Verdict::Forbidden { pattern, excluded } => {
                outcome
                    .findings
                    .push(tracked_cache(&entry.path, pattern, excluded));
            }
            Verdict::Allowed { entry: kept, .. } => {
                if let Some(i) = policy.allow.iter().position(|a| a == kept) {
                    kept_touched[i] = true;
                }
            }
        }
        last_path = Some(entry.path);
    }
    for (kept, touched) in policy.allow.iter().zip(kept_touched) {
        if !kept.require_readme {
            continue;
        }
        let relevant = match (scope, &head) {
            (Scope::All, _) | (_, None) => has_entries(&index, kept, repo.ignore_case()),
            // A README deleted by this commit matters as much as a new file in the folder.
            (Scope::Staged, Some(tree)) => {
                touched
                    || kept.readme_candidates().iter().any(|p| {
                        tree.get_path(Path::new(std::ffi::OsStr::from_bytes(p.as_bytes())))
                            .is_ok()
                    }) && has_entries(&index, kept, repo.ignore_case())
            }
        };
        if relevant && find_readme(&index, kept, repo.ignore_case()).is_none() {
            outcome.findings.push(missing_readme(kept));
        }
    }

    outcome.untrack = untrack_paths(&index, matcher, &outcome.findings);
    Ok(outcome)
}

fn stage(entry: &IndexEntry) -> u16 {
    (entry.flags >> 12) & 0x3
}

/// Whether the index entry differs from the same path in `HEAD` (content or mode), or is new.
fn is_changed(head: &Tree<'_>, entry: &IndexEntry) -> bool {
    let path = Path::new(std::ffi::OsStr::from_bytes(&entry.path));
    match head.get_path(path) {
        Ok(item) => item.id() != entry.id || item.filemode() as u32 != entry.mode,
        Err(_) => true,
    }
}

fn tracked_cache(path: &[u8], pattern: &str, excluded: usize) -> Finding {
    let folder = if excluded < path.len() {
        path[..excluded].to_vec()
    } else {
        parent(path).to_vec()
    };
    Finding {
        code: Code::TrackedCache,
        severity: Severity::Error,
        path: path.to_vec(),
        folder,
        rule: pattern.to_string(),
        message: format!("Python bytecode cache is tracked (forbidden by `{pattern}`)"),
    }
}

fn missing_readme(kept: &AllowEntry) -> Finding {
    let candidates = kept.readme_candidates().join(" or ");
    Finding {
        code: Code::AllowlistMissingReadme,
        severity: Severity::Error,
        path: kept.path.as_bytes().to_vec(),
        folder: kept.path.as_bytes().to_vec(),
        rule: kept.display_path(),
        message: format!(
            "`{}` is kept on purpose, but no tracked {README_NAME} explains it: write {candidates} \
             and `git add` it",
            kept.display_path()
        ),
    }
}

fn parent(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => &path[..i],
        None => b"",
    }
}

/// The index entries under the folder `prefix` (or equal to it, for a file).
fn entries_under(index: &Index, prefix: &[u8], ignore_case: bool) -> Vec<IndexEntry> {
    let eq = |a: &[u8], b: &[u8]| {
        if ignore_case {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    };
    let within = |p: &[u8]| {
        p.len() >= prefix.len()
            && eq(&p[..prefix.len()], prefix)
            && matches!(p.get(prefix.len()), None | Some(b'/'))
    };
    if ignore_case {
        // A differently cased folder sorts elsewhere in the index: look everywhere.
        return index.iter().filter(|e| within(&e.path)).collect();
    }
    // The index is sorted by path, so everything starting with `prefix` is one block.
    let start = index.find_prefix(prefix).unwrap_or(index.len());
    (start..index.len())
        .map_while(|i| index.get(i))
        .take_while(|e| e.path.starts_with(prefix))
        .filter(|e| within(&e.path))
        .collect()
}

fn has_entries(index: &Index, kept: &AllowEntry, ignore_case: bool) -> bool {
    !entries_under(index, kept.path.as_bytes(), ignore_case).is_empty()
}

fn find_readme(index: &Index, kept: &AllowEntry, ignore_case: bool) -> Option<Vec<u8>> {
    kept.readme_candidates().into_iter().find_map(|candidate| {
        entries_under(index, candidate.as_bytes(), ignore_case)
            .into_iter()
            .find(|e| e.path.len() == candidate.len())
            .map(|e| e.path)
    })
}

/// The shortest list of paths whose `git rm -r --cached` untracks exactly the forbidden paths
/// found: a cache folder as a whole when everything tracked under it is forbidden.
fn untrack_paths(index: &Index, matcher: &Matcher, findings: &[Finding]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut folder_ok: Option<(Vec<u8>, bool)> = None;
    for f in findings.iter().filter(|f| f.code == Code::TrackedCache) {
        let is_cache_folder = matches!(
            matcher.verdict(&f.path),
            Verdict::Forbidden { excluded, .. } if excluded < f.path.len()
        );
        if is_cache_folder {
            let whole = match &folder_ok {
                Some((folder, ok)) if *folder == f.folder => *ok,
                _ => {
                    let ok = entries_under(index, &f.folder, false)
                        .iter()
                        .all(|e| matches!(matcher.verdict(&e.path), Verdict::Forbidden { .. }));
                    folder_ok = Some((f.folder.clone(), ok));
                    ok
                }
            };
            if whole {
                if out.last() != Some(&f.folder) {
                    out.push(f.folder.clone());
                }
                continue;
            }
        }
        out.push(f.path.clone());
    }
    out
}
