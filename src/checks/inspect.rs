//! `pycache-policy inspect PATH…`: what a pyc holds (the Python that wrote it, how it is
//! invalidated, the recorded source size and mtime or hash) and whether it matches its source,
//! with `--recompile` also whether its code is what that source compiles to.
//!
//! A path the index holds is read from the index, with its source as staged, as `check` reads it;
//! any other path is read from disk, with the source beside it on disk (`D/NAME.py` for
//! `D/__pycache__/NAME.TAG.pyc`), inside a repository or not. On disk a timestamp pyc's recorded
//! mtime is compared too, as Python compares it; in the index it cannot be (git keeps no times).

use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;

use crate::checks::kept::{Lookup, Staged};
use crate::git::index::IndexFile;
use crate::git::repo::Repo;
use crate::model::error::Error;
use crate::policy::{Level, PycChecks};
use crate::pyc::recompile::{self, Interpreters};
use crate::pyc::{self, Header, Invalidation, Problem, PycError};
use crate::util::path::split_last;

/// Where a file was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    /// Its staged blob.
    Index,
    /// The file system.
    Disk,
}

impl Location {
    /// `index` or `disk`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Location::Index => "index",
            Location::Disk => "disk",
        }
    }
}

/// A pyc to inspect, read with its source.
#[derive(Clone, Debug)]
pub struct Target {
    /// The path as shown: repository-relative for the index, as given for a file on disk.
    pub(crate) path: Vec<u8>,
    /// Where it was read from.
    pub(crate) location: Location,
    /// Its bytes.
    pub(crate) pyc: Vec<u8>,
    /// Where its source would be (same form as `path`); `None` when Python never pairs the name
    /// with a source.
    pub(crate) source_path: Option<Vec<u8>>,
    /// The source's bytes, when it is there.
    pub(crate) source: Option<Vec<u8>>,
    /// The source file's mtime in seconds, for a source on disk.
    pub(crate) source_mtime: Option<i64>,
}

/// Reads staged files, opening the index once for many paths.
pub struct IndexReader<'r> {
    staged: Staged<'r>,
}

impl<'r> IndexReader<'r> {
    /// Reads from `index`, the staged index of `repo`.
    pub fn new(repo: &'r Repo, index: &'r IndexFile) -> IndexReader<'r> {
        IndexReader {
            staged: Staged {
                repo,
                index,
                ignore_case: repo.ignore_case(),
            },
        }
    }

    /// The pyc at the repository-relative `path` and its source, as staged; `None` when the index
    /// has no file there (or only conflict stages).
    pub fn read(&self, path: &[u8]) -> Result<Option<Target>, Error> {
        let Lookup::Blob(blob) = self.staged.lookup(path)? else {
            return Ok(None);
        };
        let Some((_, blob)) = self.staged.follow(path, blob)? else {
            return Ok(None);
        };
        let pyc = self.staged.read(blob)?;
        let source_path = pyc::source_path(path);
        let source = match &source_path {
            Some(p) => match self.staged.lookup(p)?.blob() {
                Some(b) => match self.staged.follow(p, b)? {
                    Some((_, b)) => Some(self.staged.read(b)?),
                    None => None,
                },
                None => None,
            },
            None => None,
        };
        Ok(Some(Target {
            path: path.to_vec(),
            location: Location::Index,
            pyc,
            source_path,
            source,
            source_mtime: None,
        }))
    }
}

/// The pyc at `path` on disk (relative to `cwd` unless absolute) and the source beside it.
pub fn read_disk(cwd: &Path, path: &Path) -> Result<Target, Error> {
    use std::os::unix::fs::MetadataExt as _;
    let full = cwd.join(path);
    let pyc = std::fs::read(&full).map_err(Error::io("read", &full))?;
    let shown = path.as_os_str().as_bytes();
    let source_path = pyc::source_path(shown);
    let (source, source_mtime) = match &source_path {
        Some(p) => {
            let file = cwd.join(Path::new(std::ffi::OsStr::from_bytes(p)));
            match std::fs::read(&file) {
                Ok(bytes) => (Some(bytes), file.metadata().ok().map(|m| m.mtime())),
                Err(_) => (None, None),
            }
        }
        None => (None, None),
    };
    Ok(Target {
        path: shown.to_vec(),
        location: Location::Disk,
        pyc,
        source_path,
        source,
        source_mtime,
    })
}

/// How a pyc compares with its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SourceMatch {
    /// The recorded hash, or size, is the source's.
    Matches,
    /// It is not.
    Stale,
    /// There is no source to compare with.
    NoSource,
    /// The header cannot be read, or records nothing git keeps (the 8-byte layout's mtime only).
    Unknown,
}

impl SourceMatch {
    /// `matches`, `stale`, `no-source` or `unknown`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            SourceMatch::Matches => "matches",
            SourceMatch::Stale => "stale",
            SourceMatch::NoSource => "no-source",
            SourceMatch::Unknown => "unknown",
        }
    }
}

/// Everything `inspect` says about one pyc.
#[derive(Clone, Debug)]
pub struct Inspection {
    /// What was read.
    pub(crate) target: Target,
    /// The header, or why it cannot be read.
    pub(crate) header: Result<Header, PycError>,
    /// How it compares with its source.
    pub(crate) source_match: SourceMatch,
    /// On disk, for a timestamp pyc with its source: whether the recorded mtime is the source
    /// file's (modulo 2^32, as Python compares it).
    pub(crate) mtime_matches: Option<bool>,
    /// What the header checks found, as `check` would report them in a kept folder.
    pub(crate) problems: Vec<Problem>,
    /// With `--recompile`: the comparison of the code, or why it was not made.
    pub(crate) recompiled: Option<Result<recompile::Comparison, String>>,
}

impl Inspection {
    /// Whether anything found is an error by the policy's default levels (a stale, orphaned,
    /// invalid or misnamed pyc, or code that differs from its source's).
    pub fn has_errors(&self) -> bool {
        let defaults = PycChecks::default();
        let header_errors = self
            .problems
            .iter()
            .any(|p| defaults.level(crate::checks::kept::code_of(p.kind())) == Level::Error);
        let code_differs = matches!(
            &self.recompiled,
            Some(Ok(recompile::Comparison {
                verdict: recompile::RecompileResult::Differs(_),
                ..
            }))
        );
        header_errors || code_differs
    }
}

/// Inspects each target; with `recompile`, also compares its code with a fresh compile, by an
/// interpreter found on `PATH` outside the `untrusted` folders (the repository, the current one).
pub fn inspect(targets: Vec<Target>, recompile: bool, untrusted: &[&Path]) -> Vec<Inspection> {
    let mut out: Vec<Inspection> = targets.into_iter().map(inspect_one).collect();
    if !recompile {
        return out;
    }
    let mut jobs = Vec::new();
    let mut which = Vec::new();
    for (i, x) in out.iter().enumerate() {
        let skipped = match (&x.header, &x.target.source, x.source_match) {
            (Err(_), ..) => Some("its header cannot be read"),
            (_, None, _) => Some("there is no source to compile"),
            (_, _, SourceMatch::Stale) => {
                Some("the source does not match the header, so the code cannot match either")
            }
            _ => None,
        };
        if let Some(why) = skipped {
            which.push((i, Some(why)));
            continue;
        }
        which.push((i, None));
        jobs.push(recompile::Job {
            pyc: &x.target.pyc,
            header: *x.header.as_ref().expect("checked above"),
            file_name: split_last(&x.target.path).1,
            source: x.target.source.as_deref().expect("checked above"),
        });
    }
    let mut outcomes =
        recompile::compare(&mut Interpreters::from_env(untrusted), &jobs).into_iter();
    for (i, skipped) in which {
        out[i].recompiled = Some(match skipped {
            Some(why) => Err(why.to_string()),
            None => Ok(outcomes.next().expect("one outcome per job")),
        });
    }
    out
}

fn inspect_one(target: Target) -> Inspection {
    let header = Header::parse_file(&target.pyc);
    let problems = pyc::verify(&target.path, &target.pyc, target.source.as_deref());
    let source_match = match (&header, &target.source) {
        (Err(_), _) => SourceMatch::Unknown,
        (_, None) => SourceMatch::NoSource,
        _ if problems.iter().any(|p| matches!(p, Problem::Stale { .. })) => SourceMatch::Stale,
        (
            Ok(Header {
                invalidation: Invalidation::Timestamp { size: None, .. },
                ..
            }),
            _,
        ) if target.location == Location::Index => SourceMatch::Unknown,
        _ => SourceMatch::Matches,
    };
    let mtime_matches = match (&header, target.source_mtime) {
        (
            Ok(Header {
                invalidation: Invalidation::Timestamp { mtime, .. },
                ..
            }),
            Some(actual),
        ) => Some(actual as u32 == *mtime),
        _ => None,
    };
    Inspection {
        target,
        header,
        source_match,
        mtime_matches,
        problems,
        recompiled: None,
    }
}
