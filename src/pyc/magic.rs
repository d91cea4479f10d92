//! Magic numbers: which Python wrote a pyc, from the table in CPython's
//! `Lib/importlib/_bootstrap_external.py` (3.14+: `Include/internal/pycore_magic_number.h`).

use std::fmt;

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
pub(super) struct MagicRange {
    pub(super) first: u16,
    pub(super) last: u16,
    /// Read by the tests, which check the table against each Python's own magic number.
    #[cfg_attr(not(test), expect(dead_code))]
    pub(super) release: u16,
    pub(super) version: PyVersion,
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
pub(super) const MAGICS: &[MagicRange] = &[
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
pub(super) fn release_magic(version: PyVersion) -> Option<[u8; 4]> {
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
