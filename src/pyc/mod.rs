//! `.pyc` files: what their header records, and whether a kept pyc still matches its source.
//!
//! Everything here is pure (bytes in, values out): no Python, no file system, no git. The check
//! reads the staged blobs and hands them over.
//!
//! Implemented, as CPython defines them:
//! - **Header layouts**, chosen by the magic number (not by the release: the layout changed in
//!   pre-releases): 8 bytes (magic, source mtime) up to 3.3a1 (magic 3200) and in Python 1.5–2.7;
//!   12 bytes (magic, mtime, source size) from 3.3a1's magic 3210; 16 bytes from 3.7a4's magic
//!   3392 (PEP 552): magic, a flags word, then mtime and size (flags 0) or an 8-byte source hash
//!   (flag bit 0: hash-based; bit 1: check the source, so 3 = checked-hash, 1 = unchecked-hash). As
//!   in CPython, flags 2 (check_source without hash-based) is a timestamp pyc, and any other bit
//!   makes the file invalid. All fields are little-endian; mtime and size are modulo 2^32.
//! - **Magic numbers** mapped to the feature release that wrote them, from the table in CPython's
//!   `Lib/importlib/_bootstrap_external.py` (3.14+: `Include/internal/pycore_magic_number.h`),
//!   Python 1.5 to 3.14. Pre-release magics map to the release they led to: up to 3.10 a release
//!   owns the numbers from its first to its last magic; from 3.11 on, 3.n owns the block of 50 that
//!   starts at 2900 + 50n, as CPython now allocates them (so a 3.14.x bug-fix bump still maps).
//! - **The source hash** of hash-based pycs, bit for bit as `importlib.util.source_hash`: SipHash
//!   keyed with k0 = the four magic bytes as a little-endian u32 and k1 = 0, SipHash-2-4 up to
//!   3.10 and SipHash-1-3 from 3.11.
//! - **Cache names and paths** (PEP 3147, PEP 488): `D/__pycache__/NAME.TAG[.opt-N].pyc` is the
//!   cache of `D/NAME.py`; a legacy `D/NAME.pyc` (or `.pyo`) beside it is too, and Python imports
//!   that one even without the source. `cpython-3XY` tags are compared with the magic's version.
//!
//! Not implemented: unmarshalling the code (only its first byte is checked, so a file cut short
//! inside the code passes), other implementations' own magic numbers (older PyPy releases have
//! some; they read as unknown), `sys.pycache_prefix` trees, and the mtime check itself: git does
//! not keep file times, so a timestamp pyc can only be compared on its recorded source size.

pub(crate) mod recompile;

use std::fmt;
use std::hash::Hasher;

use serde::Serialize;
use siphasher::sip::{SipHasher13, SipHasher24};

use crate::util::bytes::hex;
use crate::util::path::split_last;

/// A CPython feature release, such as 3.12.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PyVersion {
    /// 1, 2 or 3.
    pub(crate) major: u8,
    /// The feature release within `major`.
    pub(crate) minor: u8,
}

impl PyVersion {
    /// The release `major.minor`.
    pub(crate) const fn new(major: u8, minor: u8) -> PyVersion {
        PyVersion { major, minor }
    }

    /// The cache tag this release writes into pyc names (`cpython-312`); `None` before 3.2, which
    /// had no `__pycache__` folders.
    pub fn cache_tag(self) -> Option<String> {
        (self >= PyVersion::new(3, 2)).then(|| format!("cpython-{}{}", self.major, self.minor))
    }

    /// Whether this release can write hash-based pycs (PEP 552, 3.7+).
    pub(crate) fn has_hash_pycs(self) -> bool {
        self >= PyVersion::new(3, 7)
    }
}

impl fmt::Display for PyVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The magic numbers of one feature release: `first..=last` (pre-releases included), and the
/// magic of its final release.
struct MagicRange {
    first: u16,
    last: u16,
    /// Read by the tests, which check the table against each Python's own magic number.
    #[cfg_attr(not(test), expect(dead_code))]
    release: u16,
    version: PyVersion,
}

const fn magics(first: u16, last: u16, release: u16, major: u8, minor: u8) -> MagicRange {
    MagicRange {
        first,
        last,
        release,
        version: PyVersion::new(major, minor),
    }
}

/// From CPython's table of magic numbers (see the module header for the ranges' rule). Python 2
/// run with `-U` (unicode literals) writes its magic plus one, so each 2.x range ends one higher.
const MAGICS: &[MagicRange] = &[
    magics(20121, 20121, 20121, 1, 5),
    magics(50428, 50428, 50428, 1, 6),
    magics(50823, 50824, 50823, 2, 0),
    magics(60202, 60203, 60202, 2, 1),
    magics(60717, 60718, 60717, 2, 2),
    // 2.3 final went back to its first alpha's magic.
    magics(62011, 62022, 62011, 2, 3),
    magics(62041, 62062, 62061, 2, 4),
    magics(62071, 62132, 62131, 2, 5),
    magics(62151, 62162, 62161, 2, 6),
    magics(62171, 62212, 62211, 2, 7),
    magics(3000, 3131, 3131, 3, 0),
    magics(3141, 3151, 3151, 3, 1),
    magics(3160, 3180, 3180, 3, 2),
    magics(3190, 3230, 3230, 3, 3),
    magics(3250, 3310, 3310, 3, 4),
    // 3.5.0 and 3.5.1 wrote 3350; 3.5.2 bumped it to 3351.
    magics(3320, 3351, 3351, 3, 5),
    magics(3360, 3379, 3379, 3, 6),
    magics(3390, 3394, 3394, 3, 7),
    magics(3400, 3413, 3413, 3, 8),
    magics(3420, 3425, 3425, 3, 9),
    magics(3430, 3439, 3439, 3, 10),
    magics(3450, 3499, 3495, 3, 11),
    magics(3500, 3549, 3531, 3, 12),
    magics(3550, 3599, 3571, 3, 13),
    magics(3600, 3649, 3627, 3, 14),
];

/// The release whose interpreter writes pycs with this magic number (the u16 before `\r\n`).
pub fn magic_version(magic: u16) -> Option<PyVersion> {
    MAGICS
        .iter()
        .find(|r| (r.first..=r.last).contains(&magic))
        .map(|r| r.version)
}

/// The magic number the final (latest bug-fix) release of `version` writes, as the four bytes
/// that open its pycs.
#[cfg(test)]
fn release_magic(version: PyVersion) -> Option<[u8; 4]> {
    MAGICS
        .iter()
        .find(|r| r.version == version)
        .map(|r| magic_bytes(r.release))
}

/// The four bytes that open a pyc with this magic number: the number, then `\r\n`.
pub fn magic_bytes(magic: u16) -> [u8; 4] {
    let [lo, hi] = magic.to_le_bytes();
    [lo, hi, b'\r', b'\n']
}

/// The header layouts CPython has used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Magic, source mtime: 8 bytes (Python 1.5–2.7, 3.0–3.2, 3.3a1).
    MagicMtime,
    /// Magic, source mtime, source size: 12 bytes (3.3–3.6, 3.7a1–a3).
    MagicMtimeSize,
    /// Magic, flags, then mtime and size or a source hash: 16 bytes (3.7+, PEP 552).
    MagicFlags,
}

impl Layout {
    /// The layout of pycs with this magic number.
    pub(crate) fn of_magic(magic: u16) -> Layout {
        // Python 2 magics are above 20000; every 3.x magic is below 10000.
        match magic {
            3392..10000 => Layout::MagicFlags,
            3210..3392 => Layout::MagicMtimeSize,
            _ => Layout::MagicMtime,
        }
    }

    /// How many bytes the header takes.
    pub fn header_size(self) -> usize {
        match self {
            Layout::MagicMtime => 8,
            Layout::MagicMtimeSize => 12,
            Layout::MagicFlags => 16,
        }
    }
}

/// How Python decides whether a pyc still belongs to its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invalidation {
    /// The source's mtime (and from 3.3 its size) when it was compiled; the pyc is used while the
    /// source's match.
    Timestamp {
        /// Seconds since the epoch, modulo 2^32.
        mtime: u32,
        /// Bytes, modulo 2^32; `None` in the 8-byte layout, which does not record it.
        size: Option<u32>,
    },
    /// The source hash; Python compares it with the source's before using the pyc.
    CheckedHash {
        /// As [`source_hash`] computes it.
        hash: [u8; 8],
    },
    /// The source hash, which Python does not compare (unless run with
    /// `--check-hash-based-pycs always`): the pyc is used even when the source changed.
    UncheckedHash {
        /// As [`source_hash`] computes it.
        hash: [u8; 8],
    },
}

impl Invalidation {
    /// `timestamp`, `checked-hash` or `unchecked-hash`: the names `compileall
    /// --invalidation-mode` takes.
    pub fn mode_name(&self) -> &'static str {
        match self {
            Invalidation::Timestamp { .. } => "timestamp",
            Invalidation::CheckedHash { .. } => "checked-hash",
            Invalidation::UncheckedHash { .. } => "unchecked-hash",
        }
    }

    /// The recorded source hash, for a hash-based pyc.
    pub(crate) fn hash(&self) -> Option<[u8; 8]> {
        match *self {
            Invalidation::Timestamp { .. } => None,
            Invalidation::CheckedHash { hash } | Invalidation::UncheckedHash { hash } => Some(hash),
        }
    }
}

/// Why bytes are not a pyc Python would load. Each variant says what was wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PycError {
    /// The file ends before its header does.
    TooShort {
        /// The file's length.
        len: usize,
        /// The header's size (4, the magic, when the file is too short to tell which layout).
        needed: usize,
    },
    /// Bytes 3 and 4 are not `\r\n`, so this is not a pyc (or it was converted as text).
    MissingCrLf {
        /// The two bytes found instead.
        found: [u8; 2],
    },
    /// The magic number is not one a CPython release (1.5 to 3.14) writes.
    UnknownMagic {
        /// The u16 before `\r\n`.
        magic: u16,
    },
    /// The flags word (3.7+) has bits CPython does not define; CPython refuses the file.
    UnknownFlags {
        /// The whole word.
        flags: u32,
    },
    /// What follows the header is not a marshalled code object (or nothing follows it).
    NotCode {
        /// The byte found where the code object should start; `None` when the file ends there.
        found: Option<u8>,
    },
}

impl fmt::Display for PycError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            PycError::TooShort { len, needed } => {
                write!(
                    f,
                    "the file is {len} bytes long, shorter than its {needed}-byte header"
                )
            }
            PycError::MissingCrLf { found } => write!(
                f,
                "bytes 3-4 are {:02x} {:02x}, not the \\r\\n every pyc magic ends with",
                found[0], found[1]
            ),
            PycError::UnknownMagic { magic } => write!(
                f,
                "magic number {magic} is not one any CPython release from 1.5 to 3.14 writes"
            ),
            PycError::UnknownFlags { flags } => write!(
                f,
                "flags word {flags:#x} has bits other than 0x1 (hash-based) and 0x2 (check source)"
            ),
            PycError::NotCode { found: None } => {
                f.write_str("the file ends right after its header, with no code")
            }
            PycError::NotCode { found: Some(b) } => write!(
                f,
                "the header is followed by byte {b:#04x}, not the start of a marshalled code object"
            ),
        }
    }
}

impl std::error::Error for PycError {}

/// What a pyc's header records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The first four bytes: the magic number, then `\r\n`. Also the source hash's key.
    pub magic: [u8; 4],
    /// The release that writes this magic number.
    pub version: PyVersion,
    /// The flags word, in the 16-byte layout (3.7+).
    pub(crate) flags: Option<u32>,
    /// How Python decides whether the pyc is still valid, with what it recorded to decide it.
    pub invalidation: Invalidation,
}

impl Header {
    /// Reads the header at the start of `data` (the rest, if any, is not looked at).
    pub fn parse(data: &[u8]) -> Result<Header, PycError> {
        let Some(&[lo, hi, cr, lf]) = data.first_chunk::<4>() else {
            return Err(PycError::TooShort {
                len: data.len(),
                needed: 4,
            });
        };
        if [cr, lf] != *b"\r\n" {
            return Err(PycError::MissingCrLf { found: [cr, lf] });
        }
        let magic = u16::from_le_bytes([lo, hi]);
        let version = magic_version(magic).ok_or(PycError::UnknownMagic { magic })?;
        let layout = Layout::of_magic(magic);
        if data.len() < layout.header_size() {
            return Err(PycError::TooShort {
                len: data.len(),
                needed: layout.header_size(),
            });
        }
        let word = |i: usize| u32::from_le_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]]);
        let hash = || {
            let mut hash = [0; 8];
            hash.copy_from_slice(&data[8..16]);
            hash
        };
        let (flags, invalidation) = match layout {
            Layout::MagicMtime => (
                None,
                Invalidation::Timestamp {
                    mtime: word(4),
                    size: None,
                },
            ),
            Layout::MagicMtimeSize => (
                None,
                Invalidation::Timestamp {
                    mtime: word(4),
                    size: Some(word(8)),
                },
            ),
            Layout::MagicFlags => {
                let flags = word(4);
                // As CPython: bit 1 (check_source) means nothing without bit 0 (hash-based).
                let invalidation = match flags {
                    0 | 2 => Invalidation::Timestamp {
                        mtime: word(8),
                        size: Some(word(12)),
                    },
                    1 => Invalidation::UncheckedHash { hash: hash() },
                    3 => Invalidation::CheckedHash { hash: hash() },
                    _ => return Err(PycError::UnknownFlags { flags }),
                };
                (Some(flags), invalidation)
            }
        };
        Ok(Header {
            magic: [lo, hi, cr, lf],
            version,
            flags,
            invalidation,
        })
    }

    /// Reads the header of a whole pyc file, and checks that a marshalled code object follows
    /// it (its first byte: `c`, possibly with marshal's reference flag 0x80).
    pub fn parse_file(data: &[u8]) -> Result<Header, PycError> {
        let header = Header::parse(data)?;
        match data.get(header.layout().header_size()) {
            Some(&b) if b & 0x7f == b'c' => Ok(header),
            found => Err(PycError::NotCode {
                found: found.copied(),
            }),
        }
    }

    /// The magic number: the u16 before `\r\n`.
    pub fn magic_number(&self) -> u16 {
        u16::from_le_bytes([self.magic[0], self.magic[1]])
    }

    /// The header's layout.
    pub fn layout(&self) -> Layout {
        Layout::of_magic(self.magic_number())
    }

    /// What the header holds, as plain values for display.
    pub fn describe(&self) -> Description {
        let (mtime, size) = match self.invalidation {
            Invalidation::Timestamp { mtime, size } => (Some(mtime), size),
            _ => (None, None),
        };
        Description {
            python: self.version.to_string(),
            magic: self.magic_number(),
            header_size: self.layout().header_size(),
            flags: self.flags,
            invalidation: self.invalidation.mode_name(),
            source_mtime: mtime,
            source_mtime_utc: mtime.map(utc),
            source_size: size,
            source_hash: self.invalidation.hash().map(|h| hex(&h)),
        }
    }
}

/// A header's contents as plain values, for `inspect` (human form via `Display`, JSON via
/// `serde`). Absent fields are `None` (JSON `null`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Description {
    /// The release the magic number belongs to, such as `3.12`.
    pub python: String,
    /// The magic number (the u16 before `\r\n`).
    pub(crate) magic: u16,
    /// 8, 12 or 16.
    pub(crate) header_size: usize,
    /// The flags word, in the 16-byte layout.
    pub(crate) flags: Option<u32>,
    /// `timestamp`, `checked-hash` or `unchecked-hash`.
    pub invalidation: &'static str,
    /// The recorded source mtime (seconds since the epoch, modulo 2^32), for a timestamp pyc.
    pub(crate) source_mtime: Option<u32>,
    /// The same, as a UTC date and time (`2023-11-14T22:13:20Z`).
    pub source_mtime_utc: Option<String>,
    /// The recorded source size in bytes (modulo 2^32), for a timestamp pyc from 3.3 on.
    pub(crate) source_size: Option<u32>,
    /// The recorded source hash, 16 lowercase hex digits, for a hash-based pyc.
    pub source_hash: Option<String>,
}

impl fmt::Display for Description {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "python: {} (magic {})", self.python, self.magic)?;
        write!(f, "invalidation: {}", self.invalidation)?;
        if let (Some(mtime), Some(utc)) = (self.source_mtime, &self.source_mtime_utc) {
            write!(f, "\nsource mtime: {mtime} ({utc})")?;
        }
        if let Some(size) = self.source_size {
            write!(f, "\nsource size: {size}")?;
        }
        if let Some(hash) = &self.source_hash {
            write!(f, "\nsource hash: {hash}")?;
        }
        Ok(())
    }
}

/// `importlib.util.source_hash(source)` as the interpreter that writes `magic` computes it:
/// SipHash with k0 = `magic` as a little-endian u32 and k1 = 0, 1-3 from 3.11 and 2-4 before,
/// as 8 little-endian bytes. For a magic this module does not know, a 3.x number above 3.10's
/// gets 1-3 (what CPython uses since), anything else 2-4.
pub fn source_hash(magic: [u8; 4], source: &[u8]) -> [u8; 8] {
    let key = u64::from(u32::from_le_bytes(magic));
    let number = u16::from_le_bytes([magic[0], magic[1]]);
    let siphash13 = match magic_version(number) {
        Some(version) => version >= PyVersion::new(3, 11),
        None => (3450..10000).contains(&number),
    };
    let hash = if siphash13 {
        let mut h = SipHasher13::new_with_keys(key, 0);
        h.write(source);
        h.finish()
    } else {
        let mut h = SipHasher24::new_with_keys(key, 0);
        h.write(source);
        h.finish()
    };
    hash.to_le_bytes()
}

/// A pyc file name taken apart (PEP 3147, PEP 488): `NAME.TAG[.opt-N].pyc`, or a legacy
/// `NAME.pyc` / `NAME.pyo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheName<'a> {
    /// The module name: the source is `NAME.py`.
    pub(crate) module: &'a [u8],
    /// The cache tag (`cpython-312`, `pypy310`); `None` for a legacy name.
    pub tag: Option<&'a [u8]>,
    /// The optimization level after `.opt-` (PEP 488: `1`, `2`); `None` without one.
    pub(crate) optimization: Option<&'a [u8]>,
    /// Whether the name ends in `.pyo`: optimized bytecode from before PEP 488 (up to 3.4).
    pub(crate) pyo: bool,
}

/// Takes a pyc file name apart; `None` if it is not `NAME[.TAG[.opt-N]].py[co]` with non-empty
/// parts (an `opt-` level is ASCII letters and digits, as CPython requires).
pub fn parse_cache_name(file_name: &[u8]) -> Option<CacheName<'_>> {
    let (stem, pyo) = if let Some(stem) = file_name.strip_suffix(b".pyc") {
        (stem, false)
    } else {
        (file_name.strip_suffix(b".pyo")?, true)
    };
    let parts: Vec<&[u8]> = stem.split(|&b| b == b'.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let (module, tag, optimization) = match parts[..] {
        [module] => (module, None, None),
        [module, tag] => (module, Some(tag), None),
        [module, tag, opt] if !pyo => {
            let level = opt.strip_prefix(b"opt-")?;
            if level.is_empty() || !level.iter().all(u8::is_ascii_alphanumeric) {
                return None;
            }
            (module, Some(tag), Some(level))
        }
        _ => return None,
    };
    Some(CacheName {
        module,
        tag,
        optimization,
        pyo,
    })
}

/// The release a CPython cache tag names (`cpython-312` → 3.12); `None` for any other tag,
/// including malformed `cpython-` ones that no CPython writes (`cpython-313t`, `cpython-3`).
pub(crate) fn tag_version(tag: &[u8]) -> Option<PyVersion> {
    let digits = tag.strip_prefix(b"cpython-")?;
    let (&major, minor) = digits.split_first()?;
    let canonical = !minor.is_empty() && (minor[0] != b'0' || minor.len() == 1);
    if !major.is_ascii_digit() || !canonical || !minor.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let minor = std::str::from_utf8(minor).ok()?.parse().ok()?;
    Some(PyVersion::new(major - b'0', minor))
}

/// Whether a cache tag agrees with the release a magic number belongs to: `Some(true)` for
/// `cpython-312` and 3.12, `Some(false)` for any other `cpython-…` tag, `None` (no verdict) for
/// other implementations' tags, whose versioning this module does not know.
pub fn tag_agrees(tag: &[u8], version: PyVersion) -> Option<bool> {
    tag.starts_with(b"cpython-")
        .then(|| tag_version(tag) == Some(version))
}

/// A repository path that Python would use as the cache of a source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PycPath<'a> {
    /// The folder of the source (`D` in `D/__pycache__/NAME.TAG.pyc` or `D/NAME.pyc`); empty at
    /// the repository root.
    pub(crate) source_dir: &'a [u8],
    /// The file name taken apart; it has a tag exactly when the file is in `__pycache__`.
    pub name: CacheName<'a>,
}

impl PycPath<'_> {
    /// Whether the pyc is in a `__pycache__` folder (PEP 3147), rather than a legacy one beside
    /// its source. Python imports a legacy pyc even when its source is gone, never one in
    /// `__pycache__`.
    pub fn in_pycache(&self) -> bool {
        self.name.tag.is_some()
    }

    /// The source Python compiles this pyc from: `D/NAME.py`.
    pub(crate) fn source_path(&self) -> Vec<u8> {
        let mut path = self.source_dir.to_vec();
        if !path.is_empty() {
            path.push(b'/');
        }
        path.extend_from_slice(self.name.module);
        path.extend_from_slice(b".py");
        path
    }
}

/// Takes a `/`-separated, repository-relative pyc path apart: `D/__pycache__/NAME.TAG[.opt-N].pyc`
/// or a legacy `D/NAME.pyc` (`.pyo` too). `None` for a path Python would never pair with a source:
/// a tagged name outside `__pycache__`, an untagged one inside it, or not a pyc name at all.
pub fn parse_pyc_path(path: &[u8]) -> Option<PycPath<'_>> {
    let (dir, file) = split_last(path);
    let name = parse_cache_name(file)?;
    let (parent, folder) = split_last(dir);
    let source_dir = match (folder == b"__pycache__", name.tag.is_some()) {
        (true, true) => parent,
        (false, false) => dir,
        _ => return None,
    };
    Some(PycPath { source_dir, name })
}

/// The source path Python would compile the pyc at `path` from (see [`parse_pyc_path`]).
pub fn source_path(path: &[u8]) -> Option<Vec<u8>> {
    parse_pyc_path(path).map(|p| p.source_path())
}

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

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC).
fn utc(seconds: u32) -> String {
    let days = i64::from(seconds / 86_400);
    let secs = seconds % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header in the 16-byte layout.
    fn header16(magic: u16, flags: u32, rest: [u8; 8]) -> Vec<u8> {
        let mut h = magic_bytes(magic).to_vec();
        h.extend_from_slice(&flags.to_le_bytes());
        h.extend_from_slice(&rest);
        h
    }

    /// A tiny deterministic generator, so the fuzz-ish tests need no crate and repeat exactly.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn bytes(&mut self, len: usize) -> Vec<u8> {
            (0..len).map(|_| self.next() as u8).collect()
        }
    }

    macro_rules! magic_versions {
        ($($name:ident: $magic:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(magic_version($magic).map(|v| v.to_string()), $want);
            }
        )*};
    }

    magic_versions! {
        magic_1_5: 20121 => Some("1.5".into());
        magic_2_7_alpha: 62171 => Some("2.7".into());
        magic_2_7: 62211 => Some("2.7".into());
        magic_2_7_u_flag: 62212 => Some("2.7".into());
        magic_after_2_7: 62213 => None;
        magic_3_0_dev: 3000 => Some("3.0".into());
        magic_3_0: 3131 => Some("3.0".into());
        magic_3_1: 3151 => Some("3.1".into());
        magic_3_2: 3180 => Some("3.2".into());
        magic_3_3: 3230 => Some("3.3".into());
        magic_3_4: 3310 => Some("3.4".into());
        magic_3_5_0: 3350 => Some("3.5".into());
        magic_3_5_2: 3351 => Some("3.5".into());
        magic_3_6: 3379 => Some("3.6".into());
        magic_between_3_6_and_3_7: 3385 => None;
        magic_3_7: 3394 => Some("3.7".into());
        magic_3_8: 3413 => Some("3.8".into());
        magic_3_9: 3425 => Some("3.9".into());
        magic_3_10: 3439 => Some("3.10".into());
        magic_between_3_10_and_3_11: 3445 => None;
        magic_3_11_alpha: 3450 => Some("3.11".into());
        magic_3_11: 3495 => Some("3.11".into());
        magic_3_12: 3531 => Some("3.12".into());
        magic_3_13_beta: 3569 => Some("3.13".into());
        magic_3_13: 3571 => Some("3.13".into());
        magic_3_14_alpha: 3600 => Some("3.14".into());
        magic_3_14: 3627 => Some("3.14".into());
        magic_3_14_last_of_block: 3649 => Some("3.14".into());
        magic_3_15: 3650 => None;
        magic_zero: 0 => None;
    }

    #[test]
    fn release_magics_belong_to_their_release() {
        for range in MAGICS {
            let bytes = release_magic(range.version).unwrap();
            let number = u16::from_le_bytes([bytes[0], bytes[1]]);
            assert_eq!(magic_version(number), Some(range.version));
            assert!(range.first <= range.last);
        }
        assert_eq!(release_magic(PyVersion::new(3, 14)), Some(*b"\x2b\x0e\r\n"));
        for (i, a) in MAGICS.iter().enumerate() {
            for b in &MAGICS[i + 1..] {
                assert!(
                    a.last < b.first || b.last < a.first,
                    "{} and {} overlap",
                    a.version,
                    b.version
                );
            }
        }
        for pair in MAGICS.windows(2) {
            assert!(
                pair[0].version < pair[1].version,
                "{} then {}",
                pair[0].version,
                pair[1].version
            );
        }
    }

    #[test]
    fn description_serializes_every_field() {
        let mut data = magic_bytes(3379).to_vec();
        data.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        data.extend_from_slice(&89u32.to_le_bytes());
        let d = Header::parse(&data).unwrap().describe();
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            serde_json::json!({
                "python": "3.6",
                "magic": 3379,
                "header_size": 12,
                "flags": null,
                "invalidation": "timestamp",
                "source_mtime": 1_700_000_000u32,
                "source_mtime_utc": "2023-11-14T22:13:20Z",
                "source_size": 89,
                "source_hash": null,
            })
        );
        assert_eq!(
            d.to_string(),
            "python: 3.6 (magic 3379)\ninvalidation: timestamp\n\
             source mtime: 1700000000 (2023-11-14T22:13:20Z)\nsource size: 89"
        );
    }

    #[test]
    fn layouts_follow_the_magic_not_the_release() {
        assert_eq!(Layout::of_magic(62211), Layout::MagicMtime);
        assert_eq!(Layout::of_magic(3180), Layout::MagicMtime);
        assert_eq!(Layout::of_magic(3200), Layout::MagicMtime); // 3.3a1, before the size
        assert_eq!(Layout::of_magic(3210), Layout::MagicMtimeSize);
        assert_eq!(Layout::of_magic(3379), Layout::MagicMtimeSize);
        assert_eq!(Layout::of_magic(3391), Layout::MagicMtimeSize); // 3.7a2, before PEP 552
        assert_eq!(Layout::of_magic(3392), Layout::MagicFlags);
        assert_eq!(Layout::of_magic(3627), Layout::MagicFlags);
    }

    #[test]
    fn python_3_14_checked_hash_header() {
        // 3.14 is not installed here; its final magic is 3627.
        let hash = *b"\x01\x23\x45\x67\x89\xab\xcd\xef";
        let mut data = header16(3627, 3, hash);
        data.push(0xe3);
        let header = Header::parse_file(&data).unwrap();
        assert_eq!(header.version, PyVersion::new(3, 14));
        assert_eq!(header.magic_number(), 3627);
        assert_eq!(header.invalidation, Invalidation::CheckedHash { hash });
        let d = header.describe();
        assert_eq!(d.python, "3.14");
        assert_eq!(d.invalidation, "checked-hash");
        assert_eq!(d.source_hash.as_deref(), Some("0123456789abcdef"));
        assert_eq!(d.header_size, 16);
    }

    #[test]
    fn python_3_14_timestamp_header_and_tag() {
        let mut rest = [0; 8];
        rest[..4].copy_from_slice(&1_700_000_000u32.to_le_bytes());
        rest[4..].copy_from_slice(&89u32.to_le_bytes());
        let mut data = header16(3627, 0, rest);
        data.push(b'c');
        let header = Header::parse_file(&data).unwrap();
        assert_eq!(
            header.invalidation,
            Invalidation::Timestamp {
                mtime: 1_700_000_000,
                size: Some(89)
            }
        );
        assert_eq!(
            header.describe().source_mtime_utc.as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert_eq!(tag_agrees(b"cpython-314", header.version), Some(true));
        let problems = verify(b"a/__pycache__/m.cpython-313.pyc", &data, Some(&[b'x'; 89]));
        assert_eq!(problems[0].kind(), ProblemKind::TagMismatch);
        assert_eq!(problems[1].kind(), ProblemKind::Unverifiable);
        assert_eq!(problems.len(), 2);
    }

    #[test]
    fn flags_two_is_timestamp_like_cpython() {
        let data = header16(3571, 2, [0; 8]);
        let header = Header::parse(&data).unwrap();
        assert_eq!(header.flags, Some(2));
        assert_eq!(header.invalidation.mode_name(), "timestamp");
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(
            Header::parse(b"\xf3\x0d"),
            Err(PycError::TooShort { len: 2, needed: 4 })
        );
        assert_eq!(
            Header::parse(b"\xf3\x0d\r\n\0\0\0\0"),
            Err(PycError::TooShort { len: 8, needed: 16 })
        );
        assert_eq!(
            Header::parse(b"\xf3\x0d\n\n\0\0\0\0\0\0\0\0\0\0\0\0"),
            Err(PycError::MissingCrLf { found: *b"\n\n" })
        );
        assert_eq!(
            Header::parse(&header16(3650, 0, [0; 8])),
            Err(PycError::UnknownMagic { magic: 3650 })
        );
        assert_eq!(
            Header::parse(&header16(3571, 4, [0; 8])),
            Err(PycError::UnknownFlags { flags: 4 })
        );
        assert_eq!(
            Header::parse_file(&header16(3571, 3, [0; 8])),
            Err(PycError::NotCode { found: None })
        );
        let mut data = header16(3571, 3, [0; 8]);
        data.push(b'N');
        assert_eq!(
            Header::parse_file(&data),
            Err(PycError::NotCode { found: Some(b'N') })
        );
        for error in [
            PycError::TooShort { len: 2, needed: 4 },
            PycError::MissingCrLf { found: *b"\n\n" },
            PycError::UnknownMagic { magic: 3650 },
            PycError::UnknownFlags { flags: 4 },
            PycError::NotCode { found: None },
            PycError::NotCode { found: Some(0) },
        ] {
            assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn old_layouts() {
        let mut py27 = magic_bytes(62211).to_vec();
        py27.extend_from_slice(&7u32.to_le_bytes());
        py27.push(b'c');
        let header = Header::parse_file(&py27).unwrap();
        assert_eq!(header.version, PyVersion::new(2, 7));
        assert_eq!(header.flags, None);
        assert_eq!(
            header.invalidation,
            Invalidation::Timestamp {
                mtime: 7,
                size: None
            }
        );
        let mut py36 = magic_bytes(3379).to_vec();
        py36.extend_from_slice(&7u32.to_le_bytes());
        py36.extend_from_slice(&9u32.to_le_bytes());
        py36.push(0xe3);
        assert_eq!(
            Header::parse_file(&py36).unwrap().invalidation,
            Invalidation::Timestamp {
                mtime: 7,
                size: Some(9)
            }
        );
    }

    #[test]
    fn no_prefix_and_no_random_bytes_panic() {
        let mut valid = header16(3571, 3, [7; 8]);
        valid.extend_from_slice(b"\xe3\0\0\0\0");
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut inputs: Vec<Vec<u8>> = (0..=valid.len()).map(|n| valid[..n].to_vec()).collect();
        for _ in 0..2000 {
            let len = (rng.next() % 40) as usize;
            let mut bytes = rng.bytes(len);
            // Half of them with a real magic, so the parser gets past the first checks.
            if rng.next() & 1 == 0 && bytes.len() >= 4 {
                let range = &MAGICS[(rng.next() as usize) % MAGICS.len()];
                bytes[..4].copy_from_slice(&magic_bytes(range.release));
            }
            inputs.push(bytes);
        }
        for input in &inputs {
            let parsed = Header::parse_file(input);
            if let Ok(header) = parsed {
                assert!(input.len() > header.layout().header_size());
                let _ = header.describe().to_string();
            }
            for path in [&b"a/__pycache__/m.cpython-313.pyc"[..], b"m.pyc", b"x"] {
                for source in [None, Some(&input[..])] {
                    for problem in verify(path, input, source) {
                        let _ = problem.to_string();
                    }
                }
            }
        }
    }

    #[test]
    fn every_prefix_shorter_than_the_header_is_too_short() {
        let mut valid = header16(3571, 0, [1; 8]);
        valid.push(0xe3);
        for n in 0..16 {
            let needed = if n < 4 { 4 } else { 16 };
            assert_eq!(
                Header::parse(&valid[..n]),
                Err(PycError::TooShort { len: n, needed }),
                "prefix {n}"
            );
        }
        assert!(Header::parse(&valid[..16]).is_ok());
        assert!(Header::parse_file(&valid[..16]).is_err());
        assert!(Header::parse_file(&valid).is_ok());
    }

    macro_rules! source_hashes {
        ($($name:ident: $version:expr, $source:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                let (major, minor) = $version;
                let magic = release_magic(PyVersion::new(major, minor)).unwrap();
                assert_eq!(hex(&source_hash(magic, $source)), $want);
            }
        )*};
    }

    // `importlib.util.source_hash(SOURCE).hex()` from pyenv's interpreters: 2-4 up to 3.10, 1-3
    // from 3.11. (The integration tests compare many more with the machine's python3.)
    source_hashes! {
        source_hash_3_7_empty: (3, 7), b"" => "85ee0caabd83b6a7";
        source_hash_3_7: (3, 7), b"x = 1\n" => "20329d810db227ea";
        source_hash_3_10_empty: (3, 10), b"" => "8cc0cd2525e7fd27";
        source_hash_3_10: (3, 10), b"x = 1\n" => "d94aade28c8cbebf";
        source_hash_3_11_empty: (3, 11), b"" => "738d9cd5d5e87f73";
        source_hash_3_11: (3, 11), b"x = 1\n" => "4c0372aa93f75252";
        source_hash_3_13_empty: (3, 13), b"" => "27ec6d312f93b814";
        source_hash_3_13: (3, 13), b"x = 1\n" => "e786e2893651120e";
    }

    #[test]
    fn unknown_later_magics_hash_with_siphash13() {
        let future = magic_bytes(3650);
        let mut h = SipHasher13::new_with_keys(u64::from(u32::from_le_bytes(future)), 0);
        h.write(b"x");
        assert_eq!(source_hash(future, b"x"), h.finish().to_le_bytes());
    }

    macro_rules! cache_names {
        ($($name:ident: $file:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                let got = parse_cache_name($file).map(|n| {
                    let s = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
                    (
                        s(n.module),
                        n.tag.map(s),
                        n.optimization.map(s),
                        n.pyo,
                    )
                });
                let want: Option<(&str, Option<&str>, Option<&str>, bool)> = $want;
                let want = want.map(|(m, t, o, p)| {
                    (m.to_string(), t.map(String::from), o.map(String::from), p)
                });
                assert_eq!(got, want);
            }
        )*};
    }

    cache_names! {
        name_tagged: b"m.cpython-312.pyc" => Some(("m", Some("cpython-312"), None, false));
        name_opt1: b"m.cpython-312.opt-1.pyc" => Some(("m", Some("cpython-312"), Some("1"), false));
        name_opt2: b"m.cpython-38.opt-2.pyc" => Some(("m", Some("cpython-38"), Some("2"), false));
        name_pypy: b"m.pypy310.pyc" => Some(("m", Some("pypy310"), None, false));
        name_legacy: b"m.pyc" => Some(("m", None, None, false));
        name_legacy_pyo: b"m.pyo" => Some(("m", None, None, true));
        name_tagged_pyo: b"m.cpython-34.pyo" => Some(("m", Some("cpython-34"), None, true));
        name_pyo_with_opt: b"m.cpython-34.opt-1.pyo" => None;
        name_opt_not_alnum: b"m.cpython-312.opt-_.pyc" => None;
        name_opt_empty: b"m.cpython-312.opt-.pyc" => None;
        name_third_part_not_opt: b"m.cpython-312.x.pyc" => None;
        name_four_parts: b"a.b.cpython-312.opt-1.pyc" => None;
        name_empty_tag: b"m..pyc" => None;
        name_empty_module: b".cpython-312.pyc" => None;
        name_only_suffix: b".pyc" => None;
        name_py: b"m.py" => None;
        name_pyd: b"m.pyd" => None;
    }

    macro_rules! source_paths {
        ($($name:ident: $path:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                let got = source_path($path).map(|p| String::from_utf8(p).unwrap());
                assert_eq!(got.as_deref(), $want);
            }
        )*};
    }

    source_paths! {
        source_of_pycache: b"01_Basics/__pycache__/script1.cpython-312.pyc"
            => Some("01_Basics/script1.py");
        source_of_opt: b"a/b/__pycache__/m.cpython-312.opt-2.pyc" => Some("a/b/m.py");
        source_of_root_pycache: b"__pycache__/m.cpython-38.pyc" => Some("m.py");
        source_of_legacy: b"a/m.pyc" => Some("a/m.py");
        source_of_root_legacy: b"m.pyc" => Some("m.py");
        source_of_legacy_pyo: b"a/m.pyo" => Some("a/m.py");
        source_of_tagged_outside_pycache: b"a/m.cpython-312.pyc" => None;
        source_of_untagged_inside_pycache: b"a/__pycache__/m.pyc" => None;
        source_of_nested_pycache: b"a/__pycache__/__pycache__/m.cpython-312.pyc"
            => Some("a/__pycache__/m.py");
        source_of_non_pyc: b"a/__pycache__/README.md" => None;
    }

    macro_rules! tags {
        ($($name:ident: $tag:expr, $version:expr => $want_version:expr, $agrees:expr;)*) => {$(
            #[test]
            fn $name() {
                let (major, minor) = $version;
                let version = PyVersion::new(major, minor);
                assert_eq!(tag_version($tag).map(|v| v.to_string()).as_deref(), $want_version);
                assert_eq!(tag_agrees($tag, version), $agrees);
            }
        )*};
    }

    tags! {
        tag_312: b"cpython-312", (3, 12) => Some("3.12"), Some(true);
        tag_36: b"cpython-36", (3, 6) => Some("3.6"), Some(true);
        tag_30: b"cpython-30", (3, 0) => Some("3.0"), Some(true);
        tag_311_vs_312: b"cpython-311", (3, 12) => Some("3.11"), Some(false);
        tag_leading_zero: b"cpython-307", (3, 7) => None, Some(false);
        tag_free_threaded_suffix: b"cpython-313t", (3, 13) => None, Some(false);
        tag_major_only: b"cpython-3", (3, 0) => None, Some(false);
        tag_empty_version: b"cpython-", (3, 0) => None, Some(false);
        tag_pypy: b"pypy310", (3, 10) => None, None;
        tag_minor_overflow: b"cpython-3999", (3, 12) => None, Some(false);
    }

    #[test]
    fn cache_tags_of_versions() {
        assert_eq!(
            PyVersion::new(3, 12).cache_tag().as_deref(),
            Some("cpython-312")
        );
        assert_eq!(PyVersion::new(3, 1).cache_tag(), None);
        assert_eq!(PyVersion::new(2, 7).cache_tag(), None);
        for range in MAGICS.iter().filter(|r| r.version >= PyVersion::new(3, 2)) {
            let tag = range.version.cache_tag().unwrap();
            assert_eq!(tag_version(tag.as_bytes()), Some(range.version));
        }
    }

    #[test]
    fn problem_kinds_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for kind in ProblemKind::ALL {
            let s = kind.as_str();
            assert!(seen.insert(s), "duplicate {s}");
            assert!(s.starts_with("pyc-"));
            assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
        }
    }

    fn checked_pyc(magic: u16, source: &[u8]) -> Vec<u8> {
        let mut data = header16(magic, 3, source_hash(magic_bytes(magic), source));
        data.push(0xe3);
        data
    }

    #[test]
    fn verify_fresh_checked_hash_has_no_problems() {
        let source = b"x = 1\n";
        let pyc = checked_pyc(3531, source);
        assert_eq!(
            verify(b"d/__pycache__/m.cpython-312.pyc", &pyc, Some(source)),
            vec![]
        );
    }

    #[test]
    fn verify_stale_hash_carries_both_hashes() {
        let pyc = checked_pyc(3531, b"x = 1\n");
        let problems = verify(b"d/__pycache__/m.cpython-312.pyc", &pyc, Some(b"x = 2\n"));
        let [
            Problem::Stale {
                source_path,
                version,
                mismatch: Mismatch::Hash { recorded, expected },
            },
        ] = &problems[..]
        else {
            panic!("{problems:?}");
        };
        assert_eq!(source_path, b"d/m.py");
        assert_eq!(*version, PyVersion::new(3, 12));
        assert_eq!(*recorded, source_hash(magic_bytes(3531), b"x = 1\n"));
        assert_eq!(*expected, source_hash(magic_bytes(3531), b"x = 2\n"));
        let message = problems[0].to_string();
        assert!(message.contains(&hex(recorded)), "{message}");
        assert!(message.contains("d/m.py"), "{message}");
    }

    #[test]
    fn verify_unchecked_hash_notes_it_even_when_fresh() {
        let source = b"x = 1\n";
        let mut pyc = checked_pyc(3571, source);
        pyc[4] = 1;
        assert_eq!(
            verify(b"__pycache__/m.cpython-313.pyc", &pyc, Some(source)),
            vec![Problem::UncheckedHash {
                version: PyVersion::new(3, 13)
            }]
        );
        let kinds: Vec<_> = verify(b"__pycache__/m.cpython-313.pyc", &pyc, Some(b""))
            .iter()
            .map(Problem::kind)
            .collect();
        assert_eq!(kinds, [ProblemKind::Stale, ProblemKind::UncheckedHash]);
    }

    #[test]
    fn verify_size_is_compared_modulo_2_32() {
        // A source of 2^32 + 5 bytes would record 5; a 5-byte one agrees with it.
        let mut rest = [0; 8];
        rest[4..].copy_from_slice(&5u32.to_le_bytes());
        let mut pyc = header16(3495, 0, rest);
        pyc.push(0xe3);
        let kinds = |source: &[u8]| -> Vec<ProblemKind> {
            verify(b"__pycache__/m.cpython-311.pyc", &pyc, Some(source))
                .iter()
                .map(Problem::kind)
                .collect()
        };
        assert_eq!(kinds(b"12345"), [ProblemKind::Unverifiable]);
        assert_eq!(
            kinds(b"123456"),
            [ProblemKind::Stale, ProblemKind::Unverifiable]
        );
    }

    #[test]
    fn verify_orphans() {
        let pyc = checked_pyc(3571, b"");
        assert_eq!(
            verify(b"a/__pycache__/m.cpython-313.pyc", &pyc, None),
            vec![Problem::Orphan {
                source_path: Some(b"a/m.py".to_vec()),
                imported_without_source: false
            }]
        );
        let mut legacy = magic_bytes(62211).to_vec();
        legacy.extend_from_slice(&[0, 0, 0, 0, b'c']);
        let problems = verify(b"a/m.pyc", &legacy, None);
        assert_eq!(
            problems,
            vec![Problem::Orphan {
                source_path: Some(b"a/m.py".to_vec()),
                imported_without_source: true
            }]
        );
        assert!(problems[0].to_string().contains("only copy"));
        // A name Python never pairs with a source is an orphan whatever the caller passes.
        let problems = verify(b"a/m.cpython-313.pyc", &pyc, Some(b""));
        assert_eq!(
            problems,
            vec![Problem::Orphan {
                source_path: None,
                imported_without_source: false
            }]
        );
    }

    #[test]
    fn verify_invalid_stops_before_source_checks() {
        let problems = verify(b"a/__pycache__/m.cpython-313.pyc", b"\0\0\r\n", Some(b""));
        assert_eq!(
            problems,
            vec![Problem::Invalid {
                error: PycError::UnknownMagic { magic: 0 }
            }]
        );
        let kinds: Vec<_> = verify(b"a/__pycache__/m.cpython-313.pyc", b"", None)
            .iter()
            .map(Problem::kind)
            .collect();
        assert_eq!(kinds, [ProblemKind::Invalid, ProblemKind::Orphan]);
    }

    #[test]
    fn verify_tag_mismatch_names_both_versions() {
        let source = b"";
        let pyc = checked_pyc(3531, source);
        let problems = verify(b"__pycache__/m.cpython-311.pyc", &pyc, Some(source));
        assert_eq!(
            problems,
            vec![Problem::TagMismatch {
                tag: b"cpython-311".to_vec(),
                tag_version: Some(PyVersion::new(3, 11)),
                magic: 3531,
                magic_version: PyVersion::new(3, 12),
            }]
        );
        let message = problems[0].to_string();
        assert!(
            message.contains("3.11") && message.contains("3.12"),
            "{message}"
        );
        // Other implementations get no verdict.
        assert_eq!(
            verify(b"__pycache__/m.pypy38.pyc", &pyc, Some(source)),
            vec![]
        );
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(u32::MAX), "2106-02-07T06:28:15Z");
    }
}
