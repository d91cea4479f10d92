//! Cache names and paths (PEP 3147, PEP 488): which source a pyc is the cache of, and which
//! Python its tag names.

use super::magic::PyVersion;
use crate::util::path::split_last;

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
