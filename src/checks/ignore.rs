//! The ignore side of the policy: whether git ignores what the policy forbids and keeps what it
//! allows. A probe is a path whose ignore status the policy decides; each is judged with git's
//! own rules ([`crate::git::excludes`]), and the ones git gets wrong are disagreements.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::util::fs::what_is;
use crate::util::path::as_path;
use crate::util::sorted::merge_sorted_by;

use crate::git::excludes::{Excludes, IgnoreDecision, SourceKind};
use crate::git::index::IndexFile;
use crate::model::error::Error;
use crate::policy::Policy;
use crate::policy::matcher::{CacheVerdict, Matcher};

/// A path whose ignore status the policy decides: git should ignore it (a forbidden path) or
/// not (a path kept on purpose).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe<'m> {
    /// Repository-relative path of a file (borrowed from the index when it is an entry).
    pub path: Cow<'m, [u8]>,
    /// Whether the policy wants git to ignore it.
    pub want_ignored: bool,
    /// The policy's verdict on it (never [`CacheVerdict::NotCache`]): the rule that decides.
    pub verdict: CacheVerdict<'m>,
    /// Whether it is an index entry (else a path Python would write, or a `!` line names).
    pub tracked: bool,
}

impl<'m> Probe<'m> {
    /// A probe for `path`, or `None` when the policy has no verdict on it.
    pub(crate) fn new(
        path: impl Into<Cow<'m, [u8]>>,
        verdict: CacheVerdict<'m>,
        tracked: bool,
    ) -> Option<Self> {
        let path = path.into();
        let want_ignored = match verdict {
            CacheVerdict::NotCache => return None,
            CacheVerdict::Forbidden { .. } => true,
            CacheVerdict::Allowed { .. } => false,
        };
        Some(Probe {
            path,
            want_ignored,
            verdict,
            tracked,
        })
    }
}

/// Paths to judge git's rules by, cheap enough for every check: every tracked path the policy
/// forbids or allows (`judged`: the check judged each index entry once and kept its verdict),
/// the caches Python would write at the root and in each folder that has a tracked `.gitignore`
/// of its own (where a rule could differ), and a cache in each folder kept on purpose.
///
/// `rule_folders` are the folders of the tracked `.gitignore` files
/// ([`tracked_rule_folders`]).
pub(crate) fn probes<'m>(
    workdir: &std::path::Path,
    rule_folders: &[&[u8]],
    matcher: &'m Matcher,
    policy: &Policy,
    judged: Vec<Probe<'m>>,
) -> Vec<Probe<'m>> {
    let mut probes = Probes::new(matcher);
    probes.around_index(workdir, rule_folders, policy);
    probes.finish(judged)
}

/// The folders of the tracked `.gitignore` files, in index order: empty for the root's, else
/// ending in `/`.
pub(crate) fn tracked_rule_folders(index: &IndexFile) -> Vec<&[u8]> {
    index.iter().filter_map(|e| rule_folder(e.path)).collect()
}

/// The folder of `path` if it names a `.gitignore` (see [`tracked_rule_folders`]).
pub(crate) fn rule_folder(path: &[u8]) -> Option<&[u8]> {
    // The last byte first: it rules out nearly every path without a call to memcmp.
    if path.last() != Some(&b'e') {
        return None;
    }
    let dir = path.strip_suffix(b".gitignore")?;
    (dir.is_empty() || dir.ends_with(b"/")).then_some(dir)
}

/// The index entries the policy has a verdict on, as probes, in index order.
fn index_probes<'m>(index: &'m IndexFile, matcher: &'m Matcher) -> Vec<Probe<'m>> {
    index
        .iter()
        .filter_map(|entry| Probe::new(entry.path, matcher.verdict(entry.path), true))
        .collect()
}

/// Everything [`probes`] judges, and also: the caches Python would write beside every tracked
/// module (`DIR/__pycache__/NAME.cpython-312.pyc` and the legacy `DIR/NAME.pyc`), and a path
/// named by each `!` line of every rule file git reads (each `.gitignore` in the working tree,
/// `info/exclude`, the excludes file), since a re-include is what can defeat the policy. This is
/// what `pycache-policy gitignore` makes sure of, once; it walks the working tree.
pub fn probes_thorough<'m>(
    repo: &crate::git::repo::Repo,
    index: &'m IndexFile,
    matcher: &'m Matcher,
    policy: &Policy,
) -> Result<Vec<Probe<'m>>, Error> {
    let mut probes = Probes::new(matcher);
    let workdir = repo.workdir()?;
    probes.around_index(workdir, &tracked_rule_folders(index), policy);
    for entry in index.iter() {
        let Some(stem) = entry.path.strip_suffix(b".py") else {
            continue;
        };
        let (dir, name) = match stem.iter().rposition(|&b| b == b'/') {
            Some(i) => (&stem[..=i], &stem[i + 1..]),
            None => (&b""[..], stem),
        };
        probes.module_caches(dir, name);
    }
    let mut rule_files: Vec<(Vec<u8>, PathBuf)> = Excludes::root_rule_files(repo)?
        .into_iter()
        .map(|f| (Vec::new(), f))
        .collect();
    // The .gitignore files git reads: it does not descend into an excluded folder, so neither
    // does this walk, which asks git's rules (as `Excludes` reads them: never following a
    // symlinked .gitignore, never blocking on a FIFO) about each folder.
    let excludes = Excludes::for_repo(repo)?;
    let mut folders: Vec<Vec<u8>> = vec![Vec::new()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(workdir.join(as_path(&folder))) else {
            continue;
        };
        let prefix = if folder.is_empty() {
            Vec::new()
        } else {
            [&folder[..], b"/"].concat()
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.as_encoded_bytes();
            let Ok(file_type) = entry.file_type() else {
                continue;
            };
            if name == b".git" {
                continue;
            }
            if file_type.is_dir() {
                let rel = [&prefix[..], name].concat();
                if !excludes.check(&rel, true).is_ignored() {
                    folders.push(rel);
                }
            } else if name == b".gitignore" {
                if file_type.is_file() {
                    rule_files.push((prefix.clone(), entry.path()));
                } else if !file_type.is_symlink() {
                    return Err(Error::RuleFileNotRegular {
                        path: entry.path(),
                        what: what_is(file_type),
                    });
                }
            }
        }
    }
    if let Some(e) = excludes.unreadable() {
        return Err(e);
    }
    for (dir, file) in rule_files {
        probes.negations_in(&dir, &file);
    }
    Ok(probes.finish(index_probes(index, matcher)))
}

/// A set of probes that are not index entries, each with the policy's verdict.
struct Probes<'m> {
    matcher: &'m Matcher,
    set: BTreeMap<Vec<u8>, CacheVerdict<'m>>,
}

impl<'m> Probes<'m> {
    fn new(matcher: &'m Matcher) -> Self {
        Probes {
            matcher,
            set: BTreeMap::new(),
        }
    }

    /// Adds `path` when the policy has a verdict on it.
    fn add(&mut self, path: Vec<u8>) {
        let verdict = self.matcher.verdict(&path);
        if verdict != CacheVerdict::NotCache {
            self.set.insert(path, verdict);
        }
    }

    /// The caches Python would write at the root and beside each tracked `.gitignore`, what the
    /// `!` lines of those re-include (as git reads them: from the working tree), and a cache in
    /// each kept folder.
    fn around_index(&mut self, workdir: &std::path::Path, rule_folders: &[&[u8]], policy: &Policy) {
        self.module_caches(b"", b"example");
        for dir in rule_folders {
            self.module_caches(dir, b"example");
            self.negations_in(dir, &workdir.join(as_path(dir)).join(".gitignore"));
        }
        self.kept_folders(policy);
    }

    /// The caches of module `name` in folder `dir` (empty, or ending in `/`).
    fn module_caches(&mut self, dir: &[u8], name: &[u8]) {
        self.add([dir, b"__pycache__/", name, b".cpython-312.pyc"].concat());
        self.add([dir, name, b".pyc"].concat());
    }

    /// Probes for every `!` line of the rule file `file`, whose patterns are relative to `dir`.
    fn negations_in(&mut self, dir: &[u8], file: &std::path::Path) {
        // git does not read a symlinked .gitignore; a missing file has no rules. Anything but
        // a regular file is not read either, and never opened in a way that could block (a
        // FIFO); `Excludes` reports it.
        let Ok(bytes) = crate::util::fs::read_regular(file, false) else {
            return;
        };
        for line in bytes.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(pattern) = line.strip_prefix(b"!") {
                self.negated(dir, pattern);
            }
        }
    }

    /// A path the pattern of a `!` line in the rule file of `dir` re-includes: wildcards become
    /// `x`, a class its first member, a folder pattern a cache file inside it.
    fn negated(&mut self, dir: &[u8], pattern: &[u8]) {
        let pattern = pattern.strip_prefix(b"/").unwrap_or(pattern);
        let (pattern, is_dir) = match pattern.strip_suffix(b"/") {
            Some(p) => (p, true),
            None => (pattern, false),
        };
        let mut path = dir.to_vec();
        let mut i = 0;
        while i < pattern.len() {
            match pattern[i] {
                b'\\' if i + 1 < pattern.len() => {
                    path.push(pattern[i + 1]);
                    i += 2;
                    continue;
                }
                b'*' | b'?' => {
                    while pattern.get(i + 1) == Some(&b'*') {
                        i += 1;
                    }
                    path.push(b'x');
                }
                b'[' => {
                    let rest = &pattern[i + 1..];
                    let rest = rest
                        .strip_prefix(b"!")
                        .or(rest.strip_prefix(b"^"))
                        .unwrap_or(rest);
                    let Some(&member) = rest.first() else {
                        return;
                    };
                    path.push(member);
                    match pattern[i + 1..].iter().skip(1).position(|&b| b == b']') {
                        Some(end) => i += end + 2,
                        None => return,
                    }
                }
                b => path.push(b),
            }
            i += 1;
        }
        if path.is_empty() || path.ends_with(b"/") {
            return;
        }
        if is_dir {
            path.extend_from_slice(b"/example.cpython-312.pyc");
        }
        self.add(path);
    }

    fn kept_folders(&mut self, policy: &Policy) {
        for kept in &policy.allow {
            if kept.is_dir {
                self.add(format!("{}/example.cpython-312.pyc", kept.path).into_bytes());
            } else {
                self.add(kept.path.clone().into_bytes());
            }
        }
    }

    /// These probes and the index's (`tracked`, in index order), sorted by path; a path that is
    /// both is the index's.
    fn finish(self, tracked: Vec<Probe<'m>>) -> Vec<Probe<'m>> {
        let rest = self
            .set
            .into_iter()
            .filter_map(|(path, verdict)| Probe::new(path, verdict, false))
            .collect();
        // The index's come first among equal paths.
        let mut all = merge_sorted_by(tracked, rest, |a, b| a.path.cmp(&b.path));
        all.dedup_by(|later, earlier| later.path == earlier.path);
        all
    }
}

/// A probe that git's rules get wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disagreement<'m> {
    /// The path and what the policy wants.
    pub probe: Probe<'m>,
    /// git's verdict, with the deciding line.
    pub git: IgnoreDecision,
}

impl Disagreement<'_> {
    /// Why the block cannot fix this, when the deciding line is in a file that outranks it.
    pub fn why_unfixable(&self) -> Option<String> {
        let d = self.git.decision()?;
        match &d.kind {
            SourceKind::Gitignore(folder) if !folder.is_empty() => Some(format!(
                "{}:{}: `{}` decides it, and a .gitignore in a deeper folder takes precedence \
                 over the root .gitignore",
                d.file, d.line, d.pattern
            )),
            _ => None,
        }
    }
}

/// Judges every probe with git's rules; returns those git gets wrong.
pub(crate) fn disagreements<'m>(
    excludes: &Excludes,
    probes: &[Probe<'m>],
) -> Vec<Disagreement<'m>> {
    probes
        .iter()
        .filter_map(|probe| {
            let git = excludes.check(&probe.path, false);
            (git.is_ignored() != probe.want_ignored).then(|| Disagreement {
                probe: probe.clone(),
                git,
            })
        })
        .collect()
}
