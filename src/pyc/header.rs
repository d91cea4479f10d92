//! The header of a pyc: its layout (chosen by the magic number), how it is invalidated, and
//! the source hash of hash-based pycs.

use std::fmt;
use std::hash::Hasher;

use serde::Serialize;
use siphasher::sip::{SipHasher13, SipHasher24};

use super::magic::{PyVersion, magic_version};
use crate::util::bytes::hex;

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

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC).
pub(super) fn utc(seconds: u32) -> String {
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
