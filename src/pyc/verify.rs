//! Verification of a kept pyc against its source: the problems a header can have.

use std::fmt;

use super::header::{Header, Invalidation, PycError, source_hash, utc};
use super::magic::PyVersion;
use super::names::{parse_pyc_path, tag_agrees, tag_version};
use crate::util::bytes::hex;

/// The kind of a [`Problem`]; its [`ProblemKind::as_str`] is stable (kebab-case, the finding code
/// the check reports it under).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProblemKind {
    /// `pyc-invalid`
    Invalid,
    /// `pyc-orphan`
    Orphan,
    /// `pyc-tag-mismatch`
    TagMismatch,
    /// `pyc-stale`
    Stale,
    /// `pyc-unverifiable`
    Unverifiable,
    /// `pyc-unchecked-hash`
    UncheckedHash,
}

impl ProblemKind {
    /// Every kind, for uniqueness tests.
    #[cfg(test)]
    pub(crate) const ALL: &'static [ProblemKind] = &[
        ProblemKind::Invalid,
        ProblemKind::Orphan,
        ProblemKind::TagMismatch,
        ProblemKind::Stale,
        ProblemKind::Unverifiable,
        ProblemKind::UncheckedHash,
    ];

    /// The stable kebab-case name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Invalid => "pyc-invalid",
            ProblemKind::Orphan => "pyc-orphan",
            ProblemKind::TagMismatch => "pyc-tag-mismatch",
            ProblemKind::Stale => "pyc-stale",
            ProblemKind::Unverifiable => "pyc-unverifiable",
            ProblemKind::UncheckedHash => "pyc-unchecked-hash",
        }
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a pyc's header disagrees with its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// A hash-based pyc whose recorded hash is not the source's.
    Hash {
        /// In the pyc.
        recorded: [u8; 8],
        /// [`source_hash`] of the source, with the pyc's magic.
        expected: [u8; 8],
    },
    /// A timestamp pyc whose recorded size is not the source's.
    Size {
        /// In the pyc (modulo 2^32).
        recorded: u32,
        /// The source's length, modulo 2^32.
        expected: u32,
    },
}

/// Something wrong with a kept pyc. Each carries what a message needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// `pyc-invalid`: Python would refuse the file.
    Invalid {
        /// What is wrong with it.
        error: PycError,
    },
    /// `pyc-orphan`: no source to compile the pyc from.
    Orphan {
        /// Where the source would be; `None` when the path is not one Python pairs with a source
        /// (see [`parse_pyc_path`]).
        source_path: Option<Vec<u8>>,
        /// Whether Python imports the pyc anyway (a legacy `NAME.pyc`, a sourceless module),
        /// so it may be the only copy of that code.
        imported_without_source: bool,
    },
    /// `pyc-tag-mismatch`: the name's `cpython-…` tag is not the magic number's release.
    TagMismatch {
        /// The tag in the file name, such as `cpython-311`.
        tag: Vec<u8>,
        /// The release it names, when it is a well-formed CPython tag.
        tag_version: Option<PyVersion>,
        /// The magic number.
        magic: u16,
        /// The release the magic number belongs to.
        magic_version: PyVersion,
    },
    /// `pyc-stale`: the pyc does not match the source.
    Stale {
        /// The source it was compared with.
        source_path: Vec<u8>,
        /// The release that wrote the pyc (the one to recompile with).
        version: PyVersion,
        /// What differs.
        mismatch: Mismatch,
    },
    /// `pyc-unverifiable`: timestamp-based, so it cannot be checked against a source whose mtime
    /// git does not keep (only the size is compared).
    Unverifiable {
        /// The release that wrote the pyc (whether it can write checked-hash pycs instead:
        /// [`PyVersion::has_hash_pycs`]).
        version: PyVersion,
        /// The recorded source mtime.
        mtime: u32,
        /// The recorded source size, from 3.3 on.
        size: Option<u32>,
    },
    /// `pyc-unchecked-hash`, a note: Python never compares the hash of an unchecked-hash pyc, so
    /// it runs this code even after the source changes.
    UncheckedHash {
        /// The release that wrote the pyc.
        version: PyVersion,
    },
}

impl Problem {
    /// The problem's kind (and finding code).
    pub fn kind(&self) -> ProblemKind {
        match self {
            Problem::Invalid { .. } => ProblemKind::Invalid,
            Problem::Orphan { .. } => ProblemKind::Orphan,
            Problem::TagMismatch { .. } => ProblemKind::TagMismatch,
            Problem::Stale { .. } => ProblemKind::Stale,
            Problem::Unverifiable { .. } => ProblemKind::Unverifiable,
            Problem::UncheckedHash { .. } => ProblemKind::UncheckedHash,
        }
    }
}

/// A sentence stating the facts; the remedy depends on the caller's context.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Invalid { error } => write!(f, "not a pyc Python can load: {error}"),
            Problem::Orphan {
                source_path: None, ..
            } => f.write_str(
                "Python never pairs this file with a source: a cache is NAME.TAG.pyc inside \
                 __pycache__, or a legacy NAME.pyc beside NAME.py",
            ),
            Problem::Orphan {
                source_path: Some(source),
                imported_without_source,
            } => {
                write!(
                    f,
                    "its source `{}` is not there",
                    String::from_utf8_lossy(source)
                )?;
                if *imported_without_source {
                    f.write_str(
                        "; Python imports this legacy pyc without it, so it may be the only copy \
                         of that code",
                    )
                } else {
                    f.write_str("; Python never imports a __pycache__ pyc without its source")
                }
            }
            Problem::TagMismatch {
                tag,
                tag_version,
                magic,
                magic_version,
            } => {
                let tag = String::from_utf8_lossy(tag);
                match tag_version {
                    Some(v) => write!(f, "the name says `{tag}` (Python {v})")?,
                    None => write!(f, "the name's tag `{tag}` is not one CPython writes")?,
                }
                write!(
                    f,
                    ", but magic number {magic} was written by Python {magic_version}"
                )
            }
            Problem::Stale {
                source_path,
                version,
                mismatch,
            } => {
                let source = String::from_utf8_lossy(source_path);
                match mismatch {
                    Mismatch::Hash { recorded, expected } => write!(
                        f,
                        "compiled from another version of `{source}`: the pyc records source hash \
                         {}, the staged source hashes to {} (Python {version})",
                        hex(recorded),
                        hex(expected)
                    ),
                    Mismatch::Size { recorded, expected } => write!(
                        f,
                        "compiled from another version of `{source}`: the pyc records a \
                         {recorded}-byte source, the staged source has {expected} bytes"
                    ),
                }
            }
            Problem::Unverifiable {
                version,
                mtime,
                size,
            } => {
                write!(
                    f,
                    "timestamp-based (Python {version}, source mtime {})",
                    utc(*mtime)
                )?;
                if size.is_none() {
                    f.write_str(
                        "; git keeps no file times and this layout records no size, so it cannot \
                         be checked at all",
                    )
                } else {
                    f.write_str(
                        "; git keeps no file times, so after a clone only its recorded size can be \
                         checked",
                    )
                }
            }
            Problem::UncheckedHash { version } => write!(
                f,
                "unchecked-hash (Python {version}): Python runs it without comparing it with its \
                 source"
            ),
        }
    }
}

/// Checks a kept pyc against its source as staged. Pure: the caller reads both.
///
/// `path` is the pyc's repository path (`/`-separated), `pyc` its bytes, `source` the bytes of
/// the source [`source_path`] names (`None` when there is none, or when `path` has no source).
///
/// Returns the problems in this order: [`Problem::Invalid`] (then only an orphan can follow: the
/// rest needs the header), [`Problem::Orphan`], [`Problem::TagMismatch`], then, only when the
/// source is there, [`Problem::Stale`], [`Problem::Unverifiable`] (every timestamp pyc, also a
/// stale one) and [`Problem::UncheckedHash`] (every unchecked-hash pyc, also a fresh one). An
/// empty list means the pyc matches its source in every way the header can tell.
pub fn verify(path: &[u8], pyc: &[u8], source: Option<&[u8]>) -> Vec<Problem> {
    let mut problems = Vec::new();
    let parsed = parse_pyc_path(path);
    let header = Header::parse_file(pyc);
    if let Err(error) = header {
        problems.push(Problem::Invalid { error });
    }
    let source = match (parsed, source) {
        (Some(p), Some(source)) => Some((p.source_path(), source)),
        _ => {
            problems.push(Problem::Orphan {
                source_path: parsed.map(|p| p.source_path()),
                imported_without_source: parsed.is_some_and(|p| !p.in_pycache()),
            });
            None
        }
    };
    let Ok(header) = header else {
        return problems;
    };
    let version = header.version;
    if let Some(tag) = parsed.and_then(|p| p.name.tag)
        && tag_agrees(tag, version) == Some(false)
    {
        problems.push(Problem::TagMismatch {
            tag: tag.to_vec(),
            tag_version: tag_version(tag),
            magic: header.magic_number(),
            magic_version: version,
        });
    }
    let Some((source_path, source)) = source else {
        return problems;
    };
    let mismatch = match header.invalidation {
        Invalidation::Timestamp {
            size: Some(recorded),
            ..
        } => {
            // Python compares sizes modulo 2^32: truncation is the point.
            let expected = source.len() as u32;
            (recorded != expected).then_some(Mismatch::Size { recorded, expected })
        }
        Invalidation::Timestamp { size: None, .. } => None,
        Invalidation::CheckedHash { hash: recorded }
        | Invalidation::UncheckedHash { hash: recorded } => {
            let expected = source_hash(header.magic, source);
            (recorded != expected).then_some(Mismatch::Hash { recorded, expected })
        }
    };
    if let Some(mismatch) = mismatch {
        problems.push(Problem::Stale {
            source_path,
            version,
            mismatch,
        });
    }
    match header.invalidation {
        Invalidation::Timestamp { mtime, size } => problems.push(Problem::Unverifiable {
            version,
            mtime,
            size,
        }),
        Invalidation::UncheckedHash { .. } => problems.push(Problem::UncheckedHash { version }),
        Invalidation::CheckedHash { .. } => {}
    }
    problems
}
