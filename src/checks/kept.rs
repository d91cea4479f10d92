//! Kept folders that can be trusted: each pyc an allow entry keeps is checked against its source
//! as staged, and what is wrong becomes a finding (`pyc-stale`, `pyc-orphan`, `pyc-tag-mismatch`,
//! `pyc-invalid`, `pyc-unverifiable`, `pyc-unchecked-hash`, and with `recompile = true`
//! `pyc-code-mismatch` and `pyc-recompile-unavailable`), at the level the allow entry sets.
//!
//! The index is the truth, as for the rest of the check: the pyc and its source are read from
//! their staged blobs, never from the working tree, so a source edited and staged without
//! recompiling is caught before the commit lands. In the default scope a kept pyc is judged when
//! the commit changes it *or its source* (added, modified, deleted, relative to `HEAD`); with
//! [`Scope::All`] every kept pyc is.
//!
//! Cost: nothing is read unless the policy keeps something with a check switched on; then each
//! allow entry costs one binary search in the index, and blobs are read only for the kept pycs in
//! scope and their sources.
//!
//! Implemented: stage-0 entries (a conflicted pyc or source is not judged: git refuses to commit
//! it anyway), entries added with `git add -N` count as absent (the commit leaves them out),
//! sparse-directory entries are looked into, `core.ignorecase`, and symbolic links inside the
//! repository are followed as Python would follow them on disk (a commit that changes a link's
//! target brings the pyc into scope). Not implemented: a source that is a link pointing outside
//! the repository is not compared (its pyc gets no stale verdict).

use git2::{ObjectType, Oid, Tree};

use crate::git::folders::Folders;
use crate::git::index::{IndexFile, MODE_SPARSE_DIR};
use crate::git::repo::Repo;
use crate::model::error::Error;
use crate::model::finding::{
    Code, CodeMismatch, CompileCommand, Facts, Finding, PycFacts, PycFix, RecompileUnavailable,
};
use crate::model::outcome::{Recompiled, Scope};
use crate::policy::matcher::{CacheVerdict, Matcher};
use crate::policy::{AllowEntry, Policy};
use crate::pyc::recompile::{self, Interpreters};
use crate::pyc::{self, Header, Invalidation, Problem, ProblemKind, PyVersion};
use crate::util::path::{as_path, split_last};

const MODE_SYMLINK: u32 = 0o120000;
use crate::git::index::MODE_GITLINK;

/// Findings about the pycs the policy keeps, for the staged index `index` of `repo`, and how
/// many were recompiled, if any.
pub(crate) fn kept_folders(
    repo: &Repo,
    index: &IndexFile,
    policy: &Policy,
    matcher: &Matcher,
    scope: Scope,
) -> Result<(Vec<Finding>, Option<Recompiled>), Error> {
    if !policy.allow.iter().any(|a| a.pyc.any()) {
        return Ok((Vec::new(), None));
    }
    let staged = Staged {
        repo,
        index,
        ignore_case: repo.ignore_case(),
    };
    let mut kept = Vec::new();
    for entry in policy.allow.iter().filter(|a| a.pyc.any()) {
        for (path, blob) in staged.files_under(entry)? {
            let keeps_it = matches!(
                matcher.verdict(&path),
                CacheVerdict::Allowed { entry: e, .. } if e == entry
            );
            let (_, file_name) = split_last(&path);
            if keeps_it && pyc::parse_cache_name(file_name).is_some() {
                kept.push((entry, path, blob));
            }
        }
    }
    if kept.is_empty() {
        return Ok((Vec::new(), None));
    }
    // `HEAD`'s folders, each read once (a kept folder's tree, looked up from the root for each
    // file, would be inflated again for every one of them).
    let head = match scope {
        Scope::Staged => match repo.head_tree()? {
            Some(t) => Some(Some(
                Folders::new(&repo.git, t.id()).map_err(Error::git("open the object database"))?,
            )),
            None => Some(None),
        },
        Scope::All => None,
    };

    let mut judged = Vec::new();
    for (entry, path, blob) in kept {
        let source_path = pyc::source_path(&path);
        let source = match &source_path {
            Some(p) => staged.lookup(p)?,
            None => Lookup::Absent,
        };
        if let Lookup::Conflicted = source {
            continue;
        }
        // What Python would read: the files themselves, or what their links lead to.
        let Some(pyc_target) = staged.follow(&path, blob)? else {
            // A link out of the repository: what Python would read is not in the commit.
            continue;
        };
        let source_target = match (&source_path, source.blob()) {
            (Some(p), Some(b)) => staged.follow(p, b)?,
            _ => None,
        };
        let source_outside = source.blob().is_some() && source_target.is_none();
        if let Some(Some(head)) = &head {
            let changed = |path: &[u8], now: Option<Blob>, target: Option<&(Vec<u8>, Blob)>| {
                let link_target_changed = match target {
                    Some((to, b)) if to.as_slice() != path => staged.changed(head, to, Some(*b))?,
                    _ => false,
                };
                Ok::<bool, Error>(link_target_changed || staged.changed(head, path, now)?)
            };
            let source_changed = match &source_path {
                Some(p) => changed(p, source.blob(), source_target.as_ref())?,
                None => false,
            };
            if !source_changed && !changed(&path, Some(blob), Some(&pyc_target))? {
                continue;
            }
        }
        let pyc_bytes = staged.read(pyc_target.1)?;
        let source_bytes = match source_target {
            Some((_, b)) => Some(staged.read(b)?),
            None => None,
        };
        let mut problems = pyc::verify(&path, &pyc_bytes, source_bytes.as_deref());
        if source_outside {
            problems.retain(|p| !matches!(p, Problem::Orphan { .. }));
        }
        let header = Header::parse_file(&pyc_bytes).ok();
        judged.push(Judged {
            entry,
            path,
            source_path,
            header,
            problems,
            pyc: pyc_bytes,
            source: source_bytes,
            recompiled: None,
        });
    }

    let recompiled = recompile_kept(&mut judged, repo.workdir()?);
    Ok((findings(&judged), recompiled))
}

/// A kept pyc in scope, with what was found.
struct Judged<'p> {
    entry: &'p AllowEntry,
    path: Vec<u8>,
    source_path: Option<Vec<u8>>,
    header: Option<Header>,
    problems: Vec<Problem>,
    pyc: Vec<u8>,
    source: Option<Vec<u8>>,
    recompiled: Option<recompile::Comparison>,
}

/// Recompiles the kept pycs whose allow entry asks for it and whose header matches their source
/// (a stale or broken one cannot have the source's code, and already has its finding); `None`
/// when none is.
fn recompile_kept(judged: &mut [Judged<'_>], workdir: &std::path::Path) -> Option<Recompiled> {
    let wanted: Vec<usize> = (0..judged.len())
        .filter(|&i| {
            let j = &judged[i];
            let checks = &j.entry.pyc;
            checks.recompile
                && (checks.level(Code::PycCodeMismatch).severity().is_some()
                    || checks
                        .level(Code::PycRecompileUnavailable)
                        .severity()
                        .is_some())
                && j.header.is_some()
                && j.source.is_some()
                && !j.problems.iter().any(|p| {
                    matches!(
                        p,
                        Problem::Stale { .. } | Problem::Invalid { .. } | Problem::Orphan { .. }
                    )
                })
        })
        .collect();
    if wanted.is_empty() {
        return None;
    }
    let outcomes = {
        let jobs: Vec<recompile::Job<'_>> = wanted
            .iter()
            .map(|&i| {
                let j = &judged[i];
                recompile::Job {
                    pyc: &j.pyc,
                    header: j.header.expect("filtered above"),
                    file_name: split_last(&j.path).1,
                    source: j.source.as_deref().expect("filtered above"),
                }
            })
            .collect();
        recompile::compare(&mut Interpreters::from_env(&[workdir]), &jobs)
    };
    let mut recompiled = Recompiled::default();
    for (i, outcome) in wanted.into_iter().zip(outcomes) {
        recompiled.count(match outcome.verdict {
            recompile::RecompileResult::Unavailable(_) => None,
            _ => outcome.interpreter.as_ref().map(|i| i.to_string()),
        });
        judged[i].recompiled = Some(outcome);
    }
    Some(recompiled)
}

/// The code a problem found in a kept pyc's header is reported under: its own name.
pub(crate) fn code_of(kind: ProblemKind) -> Code {
    match kind {
        ProblemKind::Stale => Code::PycStale,
        ProblemKind::Orphan => Code::PycOrphan,
        ProblemKind::TagMismatch => Code::PycTagMismatch,
        ProblemKind::Invalid => Code::PycInvalid,
        ProblemKind::Unverifiable => Code::PycUnverifiable,
        ProblemKind::UncheckedHash => Code::PycUncheckedHash,
    }
}

/// The findings, at the levels each allow entry sets.
fn findings(judged: &[Judged<'_>]) -> Vec<Finding> {
    let mut out = Vec::new();
    for j in judged {
        let checks = &j.entry.pyc;
        let mut push = |code: Code, facts: Facts| {
            if let Some(severity) = checks.level(code).severity() {
                out.push(Finding {
                    code,
                    severity,
                    path: j.path.clone(),
                    folder: split_last(&j.path).0.into(),
                    rule: j.entry.display_path().into(),
                    facts,
                    commit: None,
                });
            }
        };
        for problem in &j.problems {
            push(
                code_of(problem.kind()),
                Facts::Pyc(Box::new(PycFacts {
                    problem: problem.clone(),
                    fix: fix(j, problem, judged),
                })),
            );
        }
        let Some(outcome) = &j.recompiled else {
            continue;
        };
        let source = j.source_path.clone().unwrap_or_default();
        let version = j.header.map(|h| h.version);
        match &outcome.verdict {
            recompile::RecompileResult::Identical | recompile::RecompileResult::Equivalent => {}
            recompile::RecompileResult::Differs(detail) => push(
                Code::PycCodeMismatch,
                Facts::CodeMismatch(Box::new(CodeMismatch {
                    source,
                    version,
                    detail: detail.clone(),
                    interpreter: outcome.interpreter.as_ref().map(|i| i.to_string()),
                    fix: recompile_command(j, None),
                })),
            ),
            recompile::RecompileResult::Unavailable(why) => push(
                Code::PycRecompileUnavailable,
                Facts::RecompileUnavailable(Box::new(RecompileUnavailable {
                    source,
                    version,
                    why: why.clone(),
                })),
            ),
        }
    }
    out
}

/// What fixes a problem of one kept pyc.
fn fix(j: &Judged<'_>, problem: &Problem, all: &[Judged<'_>]) -> PycFix {
    match problem {
        Problem::Stale { .. } => PycFix::Recompile(recompile_command(j, None)),
        Problem::Orphan {
            source_path: Some(source),
            ..
        } => PycFix::StageSourceOrRemove {
            source: source.clone(),
        },
        Problem::Orphan {
            source_path: None, ..
        } => PycFix::RemoveOrRename,
        Problem::TagMismatch { magic_version, .. } => {
            match (pyc::parse_pyc_path(&j.path), magic_version.cache_tag()) {
                (Some(p), Some(tag)) => {
                    let mut name = p.name.module.to_vec();
                    name.push(b'.');
                    name.extend_from_slice(tag.as_bytes());
                    if let Some(level) = p.name.optimization {
                        name.extend_from_slice(b".opt-");
                        name.extend_from_slice(level);
                    }
                    name.extend_from_slice(if p.name.pyo { b".pyo" } else { b".pyc" });
                    let mut renamed = split_last(&j.path).0.to_vec();
                    renamed.push(b'/');
                    renamed.extend_from_slice(&name);
                    PycFix::Rename {
                        version: *magic_version,
                        to: renamed,
                    }
                }
                _ => PycFix::RecompileAsNamed,
            }
        }
        Problem::Invalid { .. } => match &j.source {
            Some(_) => PycFix::Recompile(recompile_command(j, None)),
            None => PycFix::Remove,
        },
        Problem::Unverifiable { version, .. } if !version.has_hash_pycs() => {
            PycFix::NoHashPycs { version: *version }
        }
        Problem::Unverifiable { version, .. } => {
            // One command for every timestamp pyc of this folder and kind in scope.
            let group: Vec<&Judged<'_>> = all
                .iter()
                .filter(|o| {
                    o.entry == j.entry
                        && split_last(&o.path).0 == split_last(&j.path).0
                        && compile_kind(o) == compile_kind(j)
                        && o.source.is_some()
                        && o.problems.iter().any(|p| {
                            matches!(p, Problem::Unverifiable { version: v, .. } if v == version)
                        })
                })
                .collect();
            PycFix::RewriteFolder {
                command: compile_command(
                    Some(*version),
                    "checked-hash",
                    compile_kind(j),
                    group.iter().filter_map(|o| o.source_path.clone()).collect(),
                ),
                folder: split_last(&j.path).0.into(),
            }
        }
        Problem::UncheckedHash { .. } => {
            PycFix::RewriteCheckedHash(recompile_command(j, Some("checked-hash")))
        }
    }
}

/// How a pyc's name says it was compiled: its optimization level, and whether it is a legacy
/// `NAME.pyc` beside its source.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Kind {
    optimize: u8,
    legacy: bool,
}

fn compile_kind(j: &Judged<'_>) -> Kind {
    match pyc::parse_pyc_path(&j.path) {
        Some(p) => Kind {
            optimize: match (p.name.optimization, p.name.pyo) {
                (Some(b"2"), _) => 2,
                (Some(_), _) | (None, true) => 1,
                (None, false) => 0,
            },
            legacy: !p.in_pycache(),
        },
        None => Kind {
            optimize: 0,
            legacy: false,
        },
    }
}

/// The command that recompiles one kept pyc from its source, in `mode`, or else in its own mode
/// (a timestamp pyc becomes checked-hash where the version can write it: the repository can check
/// that one).
fn recompile_command(j: &Judged<'_>, mode: Option<&'static str>) -> CompileCommand {
    // An unreadable header: the version its name says, if any.
    let version = match j.header {
        Some(h) => Some(h.version),
        None => pyc::parse_pyc_path(&j.path)
            .and_then(|p| p.name.tag)
            .and_then(pyc::tag_version),
    };
    let mode = mode.unwrap_or(match j.header.map(|h| h.invalidation) {
        Some(Invalidation::UncheckedHash { .. }) => "unchecked-hash",
        _ => "checked-hash",
    });
    compile_command(
        version,
        mode,
        compile_kind(j),
        j.source_path.clone().into_iter().collect(),
    )
}

fn compile_command(
    version: Option<PyVersion>,
    mode: &'static str,
    kind: Kind,
    sources: Vec<Vec<u8>>,
) -> CompileCommand {
    CompileCommand {
        version,
        mode,
        optimize: kind.optimize,
        legacy: kind.legacy,
        sources,
    }
}

/// What the index holds at a path.
pub(crate) enum Lookup {
    /// Nothing the commit would hold (also: added with `git add -N`, or a submodule).
    Absent,
    /// Only conflict stages.
    Conflicted,
    /// A blob (a file or a symbolic link).
    Blob(Blob),
}

impl Lookup {
    pub(crate) fn blob(&self) -> Option<Blob> {
        match self {
            Lookup::Blob(b) => Some(*b),
            _ => None,
        }
    }
}

/// A staged blob and its mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Blob {
    oid: Oid,
    mode: u32,
}

/// The staged index, read the way the commit will hold it.
pub(crate) struct Staged<'r> {
    pub(crate) repo: &'r Repo,
    pub(crate) index: &'r IndexFile,
    pub(crate) ignore_case: bool,
}

impl Staged<'_> {
    /// The files under an allow entry (or the file it names), with sparse directories expanded.
    fn files_under(&self, entry: &AllowEntry) -> Result<Vec<(Vec<u8>, Blob)>, Error> {
        let prefix = entry.path.as_bytes();
        let within = |p: &[u8]| {
            p.len() >= prefix.len()
                && self.eq(&p[..prefix.len()], prefix)
                && match p.get(prefix.len()) {
                    None => !entry.is_dir,
                    Some(b'/') => entry.is_dir,
                    Some(_) => false,
                }
        };
        let block: Box<dyn Iterator<Item = crate::git::index::Entry<'_>>> = if self.ignore_case {
            // A differently cased folder sorts elsewhere in the index.
            Box::new(self.index.iter())
        } else {
            Box::new(
                (self.index.lower_bound(prefix)..self.index.len())
                    .map_while(|i| self.index.get(i))
                    .take_while(|e| e.path.starts_with(prefix)),
            )
        };
        let mut out = Vec::new();
        let mut any = false;
        for e in block.filter(|e| within(e.path)) {
            any = true;
            if e.stage != 0 || e.intent_to_add {
                continue;
            }
            let oid = oid(e.oid)?;
            if e.is_sparse_dir() {
                let dir = e.path.strip_suffix(b"/").unwrap_or(e.path);
                self.walk(dir, oid, &mut out)?;
            } else {
                out.push((e.path.to_vec(), Blob { oid, mode: e.mode }));
            }
        }
        if !any && entry.is_dir {
            // The whole folder may lie inside a sparse-directory entry.
            if let Some((tree, rest)) = self.sparse_ancestor(prefix)?
                && let Ok(item) = tree.get_path(as_path(rest))
                && item.kind() == Some(ObjectType::Tree)
            {
                self.walk(prefix, item.id(), &mut out)?;
            }
        }
        Ok(out)
    }

    /// Adds the files of the tree `oid`, which is at `dir`, to `out`.
    fn walk(&self, dir: &[u8], oid: Oid, out: &mut Vec<(Vec<u8>, Blob)>) -> Result<(), Error> {
        let files = self.repo.files_in_tree(dir, oid)?;
        out.extend(
            files
                .into_iter()
                .map(|(path, mode, oid)| (path, Blob { oid, mode })),
        );
        Ok(())
    }

    /// The sparse-directory entry holding `path`, as its tree and the rest of the path.
    fn sparse_ancestor<'p>(&self, path: &'p [u8]) -> Result<Option<(Tree<'_>, &'p [u8])>, Error> {
        for (i, _) in path.iter().enumerate().filter(|&(_, &b)| b == b'/') {
            let dir = &path[..=i];
            let at = self.index.lower_bound(dir);
            if let Some(e) = self.index.get(at)
                && e.path == dir
                && e.mode == MODE_SPARSE_DIR
            {
                let tree = self
                    .repo
                    .git
                    .find_tree(oid(e.oid)?)
                    .map_err(Error::git("read a sparse directory's tree"))?;
                return Ok(Some((tree, &path[i + 1..])));
            }
        }
        Ok(None)
    }

    /// What the index holds at `path`.
    pub(crate) fn lookup(&self, path: &[u8]) -> Result<Lookup, Error> {
        let mut stages = (self.index.lower_bound(path)..self.index.len())
            .map_while(|i| self.index.get(i))
            .take_while(|e| e.path == path)
            .peekable();
        let found = match stages.peek() {
            Some(_) => stages.find(|e| e.stage == 0).ok_or(()),
            None if self.ignore_case => {
                let all: Vec<_> = self
                    .index
                    .iter()
                    .filter(|e| self.eq(e.path, path))
                    .collect();
                if all.is_empty() {
                    return Ok(Lookup::Absent);
                }
                all.into_iter().find(|e| e.stage == 0).ok_or(())
            }
            None => {
                // Inside a sparse directory, or not there at all.
                let Some((tree, rest)) = self.sparse_ancestor(path)? else {
                    return Ok(Lookup::Absent);
                };
                return Ok(match tree.get_path(as_path(rest)) {
                    Ok(item) if item.kind() == Some(ObjectType::Blob) => Lookup::Blob(Blob {
                        oid: item.id(),
                        mode: item.filemode() as u32,
                    }),
                    _ => Lookup::Absent,
                });
            }
        };
        Ok(match found {
            Err(()) => Lookup::Conflicted,
            Ok(e) if e.intent_to_add || e.mode == MODE_GITLINK => Lookup::Absent,
            Ok(e) => Lookup::Blob(Blob {
                oid: oid(e.oid)?,
                mode: e.mode,
            }),
        })
    }

    /// Whether the commit changes `path` (its content or mode, or whether it exists).
    fn changed(&self, head: &Folders<'_>, path: &[u8], now: Option<Blob>) -> Result<bool, Error> {
        let before = head
            .entry(path)
            .map_err(Error::git("read a tree of HEAD"))?
            .filter(|&(_, mode)| mode != MODE_SPARSE_DIR && mode != MODE_GITLINK)
            .map(|(oid, mode)| Blob { oid, mode });
        Ok(before != now)
    }

    /// The file Python would read at `path`, as its path and blob: the blob itself, or, for a
    /// symbolic link, the staged file it leads to (`None` when it leads out of the repository or
    /// nowhere).
    pub(crate) fn follow(&self, path: &[u8], blob: Blob) -> Result<Option<(Vec<u8>, Blob)>, Error> {
        let (mut path, mut blob) = (path.to_vec(), blob);
        // As the kernel, give up on long chains (and loops).
        for _ in 0..40 {
            if blob.mode != MODE_SYMLINK {
                return Ok(Some((path, blob)));
            }
            let target = self.read(blob)?;
            let Some(next) = join_link(split_last(&path).0, &target) else {
                return Ok(None);
            };
            match self.lookup(&next)? {
                Lookup::Blob(b) => (path, blob) = (next, b),
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    pub(crate) fn read(&self, blob: Blob) -> Result<Vec<u8>, Error> {
        let found = self.repo.git.find_blob(blob.oid).map_err(Error::git(
            "read a kept pyc or its source from the object database",
        ))?;
        Ok(found.content().to_vec())
    }

    fn eq(&self, a: &[u8], b: &[u8]) -> bool {
        crate::util::path::same(a, b, self.ignore_case)
    }
}

/// A relative link target, resolved against the folder holding the link; `None` for an absolute
/// target or one that climbs out of the repository.
fn join_link(dir: &[u8], target: &[u8]) -> Option<Vec<u8>> {
    if target.starts_with(b"/") {
        return None;
    }
    let mut parts: Vec<&[u8]> = dir
        .split(|&b| b == b'/')
        .filter(|p| !p.is_empty())
        .collect();
    for part in target.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                parts.pop()?;
            }
            _ => parts.push(part),
        }
    }
    Some(parts.join(&b'/'))
}

fn oid(bytes: &[u8]) -> Result<Oid, Error> {
    Oid::from_bytes(bytes).map_err(Error::git("read an object id from the index"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_problems_keep_their_names_as_codes() {
        for &kind in ProblemKind::ALL {
            assert_eq!(code_of(kind).as_str(), kind.as_str());
            assert!(Code::PYC.contains(&code_of(kind)));
        }
        for code in Code::PYC {
            assert!(code.as_str().starts_with("pyc-"), "{code}");
            assert!(Code::ALL.contains(&code));
        }
        let pyc_in_all = Code::ALL.iter().filter(|c| c.as_str().starts_with("pyc-"));
        assert_eq!(pyc_in_all.count(), Code::PYC.len());
    }

    macro_rules! links {
        ($($name:ident: $dir:expr, $target:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                let got = join_link($dir, $target).map(|p| String::from_utf8(p).unwrap());
                assert_eq!(got.as_deref(), $want);
            }
        )*};
    }

    links! {
        link_sibling: b"a", b"m.py" => Some("a/m.py");
        link_up: b"a/b", b"../m.py" => Some("a/m.py");
        link_dot: b"a", b"./x/../m.py" => Some("a/m.py");
        link_at_root: b"", b"m.py" => Some("m.py");
        link_out_of_the_repository: b"a", b"../../m.py" => None;
        link_absolute: b"a", b"/etc/m.py" => None;
    }
}
