//! git's index file (`.git/index`, format versions 2, 3 and 4): a reader built for the
//! pre-commit hook's hot path, and a writer that removes entries in one pass (for `untrack`).
//!
//! Why not libgit2's `git_index_read`: on a 100,000-entry index it takes about 60 ms where
//! `git diff --cached` takes 9 ms, because it verifies the SHA-1 trailer of the whole file (with
//! collision detection), validates every path and builds a hash map of all entries. git itself
//! does none of that when it reads the index for a command (it checks the trailer only in
//! `git fsck`). This reader does what git does: one pass over the entries, paths copied into one
//! buffer, nothing verified beyond the structure. And libgit2 removes entries one at a time, each
//! removal moving the rest of its entry vector, so 10,000 removals from 100,000 entries cost far
//! more than git's own `update-index --force-remove`.
//!
//! Implemented: the header, v2/v3 entries (padded, with the extended flags of v3), v4 entries
//! (prefix-compressed paths), stages, the `intent-to-add` and `skip-worktree` flags, SHA-1 and
//! SHA-256 object ids, and sparse-directory entries (mode 040000, path ending in `/`), which are
//! reported as such for the caller to expand. A split index (`link`) is refused: its entries live
//! in a second file that this reader does not merge.
//!
//! Writing ([`IndexFile::without`]) does what git's `remove_file_from_index` followed by
//! `write_locked_index` does, so that the file is the one `git rm --cached` would write:
//!
//! - kept entries are copied as they are (v4: the path is re-encoded against the new previous
//!   entry); version 3 is demoted to 2 when no kept entry needs extended flags, as git does;
//! - racily clean entries are smudged (their size set to 0) when the caller says so, because the
//!   new file is newer than the one they were racy against (see [`IndexFile::racy_entries`]);
//! - the cache tree (`TREE`) is invalidated along every removed path (`cache_tree_invalidate_path`);
//! - removed conflict stages are recorded in the resolve-undo extension (`REUC`), so that
//!   `git checkout -m` can recreate the conflict (`record_resolve_undo`);
//! - the sparse-index marker (`sdir`) is kept; the untracked cache (`UNTR`), the fsmonitor state
//!   (`FSMN`) and the offset tables (`EOIE`, `IEOT`) are dropped: they are optional, git rebuilds
//!   them, and they would be stale; any other optional extension (signature starting with an
//!   uppercase letter) is dropped, and a required one (lowercase) that this writer does not know
//!   is an error rather than something to lose;
//! - the trailer is the SHA-1 of the rest, or zeros with `index.skipHash`. SHA-256 repositories
//!   are refused for now.

pub(crate) mod cache_tree;
mod resolve_undo;

use std::fmt;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

/// The mode of a gitlink (a submodule's commit).
pub(crate) const MODE_GITLINK: u32 = 0o160000;

/// The mode of a sparse-directory entry.
pub(crate) const MODE_SPARSE_DIR: u32 = 0o040000;

/// Why an index file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexError {
    /// The file exists but could not be read.
    Io(String),
    /// The file does not start with `DIRC`.
    BadSignature,
    /// A version other than 2, 3 or 4.
    UnsupportedVersion(u32),
    /// The file ends in the middle of something.
    Truncated {
        /// What was being read.
        what: &'static str,
    },
    /// A split index (`core.splitIndex`), whose entries are in a shared file.
    SplitIndex,
    /// A structural inconsistency, such as a v4 prefix longer than the previous path.
    Corrupt(&'static str),
    /// Writing: an extension git requires to be understood (lowercase signature) that this
    /// writer does not know, so it can neither keep it correctly nor drop it.
    RequiredExtension(String),
    /// Writing: the repository uses SHA-256 object ids.
    Sha256,
    /// Writing: the list of entries to remove is not sorted, or names an entry that does not
    /// exist.
    BadRemoval,
    /// An entry's extended flags have bits git does not know (git: "unknown index entry
    /// format").
    UnknownFlags(u16),
    /// The paths the entries expand to (v4 prefix compression) would exceed the cap.
    TooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// Writing: the file written would not read back (an internal error; nothing was written).
    Unreadable(String),
}

impl fmt::Display for IndexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexError::Io(e) => write!(f, "{e}"),
            IndexError::BadSignature => f.write_str("not an index file (no DIRC signature)"),
            IndexError::UnsupportedVersion(v) => write!(
                f,
                "index format version {v} is not supported (2, 3 and 4 are)"
            ),
            IndexError::Truncated { what } => write!(f, "the file is truncated (in {what})"),
            IndexError::SplitIndex => f.write_str(
                "it is a split index, which this tool does not read; `git update-index \
                 --no-split-index` turns it off",
            ),
            IndexError::Corrupt(what) => write!(f, "the file is corrupt ({what})"),
            IndexError::RequiredExtension(sig) => write!(
                f,
                "it has a `{sig}` extension, which git requires to be understood and this tool \
                 does not know"
            ),
            IndexError::Sha256 => f.write_str("writing a SHA-256 index is not supported yet"),
            IndexError::BadRemoval => f.write_str("internal error: bad list of entries to remove"),
            IndexError::UnknownFlags(flags) => write!(
                f,
                "an entry has extended flags 0x{flags:04x}, which git does not know (git: \
                 \"unknown index entry format\")"
            ),
            IndexError::TooLarge { limit } => write!(
                f,
                "its paths expand to more than {limit} bytes (v4 prefix compression), more than \
                 this tool reads from one index"
            ),
            IndexError::Unreadable(e) => write!(
                f,
                "internal error: the index written would not read back ({e}); nothing was written"
            ),
        }
    }
}

impl std::error::Error for IndexError {}

/// One entry of the index, borrowed from an [`IndexFile`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Repository-relative, `/`-separated path (a sparse directory's ends with `/`).
    pub path: &'a [u8],
    /// The file mode: 0o100644, 0o100755, 0o120000 (symlink), 0o160000 (gitlink), or
    /// [`MODE_SPARSE_DIR`].
    pub mode: u32,
    /// The object id (blob, commit for a gitlink, tree for a sparse directory); 20 bytes for
    /// SHA-1, 32 for SHA-256.
    pub oid: &'a [u8],
    /// 0 for a normal entry; 1, 2, 3 for the base, ours and theirs of a conflict.
    pub stage: u8,
    /// Added with `git add -N`: its content is not staged and the commit leaves it out.
    pub intent_to_add: bool,
    /// Outside the sparse checkout (`skip-worktree`).
    pub skip_worktree: bool,
}

impl Entry<'_> {
    /// Whether this is a sparse-directory entry standing for a whole tree.
    pub fn is_sparse_dir(&self) -> bool {
        self.mode == MODE_SPARSE_DIR
    }
}

#[derive(Clone, Copy, Debug)]
struct Raw {
    path_start: u32,
    path_len: u32,
    oid_start: u32,
    mode: u32,
    stage: u8,
    intent_to_add: bool,
    skip_worktree: bool,
}

/// The cached stat data of an entry that matters for racy-git checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stat {
    /// Modification time, seconds.
    pub(crate) mtime_sec: u32,
    /// Modification time, nanoseconds.
    pub(crate) mtime_nsec: u32,
    /// File size, truncated to 32 bits.
    pub(crate) size: u32,
}

/// Where an extension's payload lies in the file.
#[derive(Clone, Copy, Debug)]
struct Extension {
    signature: [u8; 4],
    start: usize,
    end: usize,
}

/// What [`IndexFile::without`] needs besides the entries to remove.
#[derive(Clone, Debug, Default)]
pub(crate) struct WriteOptions {
    /// `index.skipHash`: write an all-zero trailer instead of the SHA-1 of the file.
    pub(crate) skip_hash: bool,
    /// Positions of kept entries to smudge (cached size set to 0, so git looks at the file's
    /// content next time), sorted; see [`IndexFile::racy_entries`].
    pub(crate) smudge: Vec<usize>,
}

/// A parsed index file.
pub struct IndexFile {
    /// Where it was read from.
    pub(crate) path: PathBuf,
    /// The format version (2, 3 or 4).
    pub version: u32,
    data: Bytes,
    paths: Vec<u8>,
    entries: Vec<Raw>,
    oid_len: usize,
    /// Where the entries end and the extensions begin.
    entries_end: usize,
    extensions: Vec<Extension>,
    /// The file's modification time (seconds, nanoseconds) when it was read.
    mtime: Option<(u64, u32)>,
}

/// Offset of the object id in an entry: ctime, mtime, dev, ino, mode, uid, gid, size.
const STAT_LEN: usize = 40;

/// git's `CE_NAMEMASK`: the low 12 bits of an entry's flags are its path length; this value
/// means "4095 or longer: read to the NUL".
const NAME_MASK: u16 = 0x0fff;

/// git's `CE_EXTENDED_FLAGS >> 16`: the extended flags git knows (intent-to-add,
/// skip-worktree). git dies on any other bit.
const KNOWN_EXTENDED: u16 = 0x2000 | 0x4000;

/// The least the paths of one index may expand to before it is refused (#15); see
/// [`path_budget`].
const MIN_PATH_BUDGET: usize = 64 << 20;

/// How many times its own size an index's paths may expand to (v4 prefix compression). A
/// real index holds at least 62 bytes of fixed data per entry and git's own paths are rarely
/// longer than a few hundred bytes, so 8x is far above any index git writes for a real
/// working tree, and far below what a hostile one (one 1 MB path repeated 3,000 times from a
/// file of about 1 MB) would make this tool allocate.
const MAX_EXPANSION: usize = 8;

/// The most bytes of paths an index of `file_len` bytes may expand to.
fn path_budget(file_len: usize) -> usize {
    file_len.saturating_mul(MAX_EXPANSION).max(MIN_PATH_BUDGET)
}

/// An index file's bytes: mapped from the file, or owned (parsed from memory, or empty).
enum Bytes {
    Owned(Vec<u8>),
    Mapped(Mmap),
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Owned(v) => v,
            Bytes::Mapped(m) => m,
        }
    }
}

impl IndexFile {
    /// Reads the index at `path`. A missing file is an empty index, as git treats it.
    /// `oid_len` is 20 for SHA-1 repositories and 32 for SHA-256 ones.
    pub fn read(path: &Path, oid_len: usize) -> Result<IndexFile, IndexError> {
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut index = IndexFile::parse(Vec::new(), oid_len)?;
                index.path = path.to_path_buf();
                return Ok(index);
            }
            Err(e) => return Err(IndexError::Io(e.to_string())),
        };
        let io = |e: std::io::Error| IndexError::Io(e.to_string());
        let meta = file.metadata().map_err(io)?;
        if !meta.is_file() {
            return Err(IndexError::Io("it is not a regular file".into()));
        }
        let data = if meta.len() == 0 {
            Bytes::Owned(Vec::new())
        } else {
            // SAFETY: git never rewrites an index in place: it writes `index.lock` and renames
            // it over the index, so the mapped inode keeps its bytes (git maps the index the
            // same way). The parser takes the length from the mapping and bounds-checks every
            // read against it, so a file shorter than its header claims is an error, not a
            // read past the end; only a process that truncates this very inode while we read
            // could fault us, which is equally true of git.
            Bytes::Mapped(unsafe { Mmap::map(&file) }.map_err(io)?)
        };
        let mut index = IndexFile::parse_bytes(data, oid_len)?;
        index.path = path.to_path_buf();
        index.mtime = {
            use std::os::unix::fs::MetadataExt as _;
            Some((meta.mtime() as u64, meta.mtime_nsec() as u32))
        };
        Ok(index)
    }

    /// Parses the bytes of an index file (an empty slice is an empty index).
    pub fn parse(data: Vec<u8>, oid_len: usize) -> Result<IndexFile, IndexError> {
        IndexFile::parse_bytes(Bytes::Owned(data), oid_len)
    }

    /// Parses an index as git's `do_read_index` and `create_from_disk` (read-cache.c) do.
    fn parse_bytes(data: Bytes, oid_len: usize) -> Result<IndexFile, IndexError> {
        let mut index = IndexFile {
            path: PathBuf::new(),
            version: 2,
            data: Bytes::Owned(Vec::new()),
            paths: Vec::new(),
            entries: Vec::new(),
            oid_len,
            entries_end: 0,
            extensions: Vec::new(),
            mtime: None,
        };
        if data.is_empty() {
            return Ok(index);
        }
        let mut r = Reader {
            data: &data,
            pos: 0,
        };
        if r.take(4, "the header")? != b"DIRC" {
            return Err(IndexError::BadSignature);
        }
        let version = r.u32("the header")?;
        if !(2..=4).contains(&version) {
            return Err(IndexError::UnsupportedVersion(version));
        }
        let count = r.u32("the header")? as usize;
        index.version = version;
        index.entries.reserve(count.min(data.len() / 62));
        // Only version 4 compresses paths; in 2 and 3 each path is read where it lies.
        if version == 4 {
            index.paths.reserve(data.len() / 2);
        }
        // Entries address the file and the expanded paths with 32-bit offsets (git's own index
        // format counts entries in 32 bits too); anything past that is refused, not wrapped.
        let offset_limit = u32::MAX as usize;
        if data.len() > offset_limit {
            return Err(IndexError::TooLarge {
                limit: offset_limit,
            });
        }
        let budget = path_budget(data.len()).min(offset_limit);
        let mut previous: (usize, usize) = (0, 0);
        for _ in 0..count {
            let start = r.pos;
            r.take(24, "an entry")?; // ctime, mtime, dev, ino
            let mode = r.u32("an entry")?;
            r.take(12, "an entry")?; // uid, gid, size
            let oid_start = r.pos;
            r.take(oid_len, "an entry")?;
            let flags = r.u16("an entry")?;
            let stage = ((flags >> 12) & 3) as u8;
            let (mut intent_to_add, mut skip_worktree) = (false, false);
            if flags & 0x4000 != 0 {
                if version < 3 {
                    return Err(IndexError::Corrupt("extended flags in a version 2 index"));
                }
                let extended = r.u16("an entry")?;
                if extended & !KNOWN_EXTENDED != 0 {
                    return Err(IndexError::UnknownFlags(extended));
                }
                intent_to_add = extended & 0x2000 != 0;
                skip_worktree = extended & 0x4000 != 0;
            }
            // git: the path length is the flags' low 12 bits; only NAME_MASK means "longer,
            // read to the NUL". A shorter length is believed even when a NUL does not follow:
            // git then reads that many bytes (and, in v2/v3, sizes the entry from them), so
            // that is the path git commits, and the one to judge.
            let name_len = flags & NAME_MASK;
            let mut path_start = index.paths.len();
            let path_len;
            if version == 4 {
                path_len = expand_v4_path(&mut r, name_len, previous, &mut index.paths, budget)?;
            } else {
                path_start = r.pos;
                let name = if name_len == NAME_MASK {
                    r.until_nul()?
                } else {
                    let name = r.take(usize::from(name_len), "a path")?;
                    if memchr::memchr(0, name).is_some() {
                        return Err(IndexError::Corrupt("a path with a NUL byte in it"));
                    }
                    r.take(1, "a path")?;
                    name
                };
                path_len = name.len();
                // git's `ondisk_ce_size`: the entry is padded with 1 to 8 NULs to a multiple of
                // 8 bytes, counted from the path's length (git does not look at the padding).
                let name_at = STAT_LEN + oid_len + if flags & 0x4000 != 0 { 4 } else { 2 };
                let padded = (name_at + name.len() + 8) & !7;
                r.pos = start;
                r.take(padded, "an entry's padding")?;
            }
            previous = (path_start, path_len);
            index.entries.push(Raw {
                path_start: path_start as u32,
                path_len: path_len as u32,
                oid_start: oid_start as u32,
                mode,
                stage,
                intent_to_add,
                skip_worktree,
            });
        }
        // Extensions, then the trailing checksum.
        index.entries_end = r.pos;
        index.extensions = read_extensions(&mut r, data.len(), oid_len)?;
        index.data = data;
        Ok(index)
    }

    /// The number of entries (conflict stages count separately).
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the index has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry at position `i` (entries are sorted by path, then stage).
    pub(crate) fn get(&self, i: usize) -> Option<Entry<'_>> {
        self.entries.get(i).map(|raw| self.entry(raw))
    }

    fn entry(&self, raw: &Raw) -> Entry<'_> {
        let p = raw.path_start as usize;
        let o = raw.oid_start as usize;
        Entry {
            path: &self.path_bytes()[p..p + raw.path_len as usize],
            mode: raw.mode,
            oid: &self.data[o..o + self.oid_len],
            stage: raw.stage,
            intent_to_add: raw.intent_to_add,
            skip_worktree: raw.skip_worktree,
        }
    }

    /// All entries, in index order.
    pub fn iter(&self) -> impl Iterator<Item = Entry<'_>> {
        self.entries.iter().map(|raw| self.entry(raw))
    }

    /// The position of the first entry whose path is not less than `prefix`: where the entries
    /// starting with `prefix`, if any, begin.
    pub(crate) fn lower_bound(&self, prefix: &[u8]) -> usize {
        self.entries.partition_point(|raw| {
            let p = raw.path_start as usize;
            &self.path_bytes()[p..p + raw.path_len as usize] < prefix
        })
    }

    /// The cached stat data of the entry at position `i`.
    pub(crate) fn stat(&self, i: usize) -> Option<Stat> {
        if i >= self.len() {
            return None;
        }
        let start = self.entry_start(i);
        let field = |at: usize| {
            let b = &self.data[start + at..start + at + 4];
            u32::from_be_bytes([b[0], b[1], b[2], b[3]])
        };
        Some(Stat {
            mtime_sec: field(8),
            mtime_nsec: field(12),
            size: field(36),
        })
    }

    /// Positions of the entries that are racy against this file: modified in the same second as
    /// the file was written, or later (git's `is_racy_timestamp`, at git's default one-second
    /// resolution, which also covers a build with nanosecond timestamps). git cannot trust
    /// their stat data, so it compares their content; a rewritten index is newer, so such an
    /// entry whose stat data still matches its file must be smudged, or a change to the file
    /// made in that same second would go unnoticed. Empty when the file's time is unknown.
    pub(crate) fn racy_entries(&self) -> Vec<usize> {
        let Some((sec, _)) = self.mtime.filter(|&(sec, _)| sec != 0) else {
            return Vec::new();
        };
        (0..self.entries.len())
            .filter(|&i| {
                self.entries[i].mode != MODE_GITLINK
                    && self
                        .stat(i)
                        .is_some_and(|st| u64::from(st.mtime_sec) >= sec)
            })
            .collect()
    }

    /// Where the entry at `i` starts in the file.
    fn entry_start(&self, i: usize) -> usize {
        self.entries[i].oid_start as usize - STAT_LEN
    }

    /// Where the entry at `i` ends (padding included): where the next one, or the extensions,
    /// start.
    fn entry_end(&self, i: usize) -> usize {
        if i + 1 < self.len() {
            self.entry_start(i + 1)
        } else {
            self.entries_end
        }
    }

    /// Whether the entry at `i` has v3 extended flags on disk.
    fn is_extended(&self, i: usize) -> bool {
        let at = self.entries[i].oid_start as usize + self.oid_len;
        self.data[at] & 0x40 != 0
    }

    /// The index file without the entries at positions `removed` (sorted, each once), as git
    /// would write it after `git rm --cached` of those entries (see the module header).
    pub(crate) fn without(
        &self,
        removed: &[usize],
        options: &WriteOptions,
    ) -> Result<Vec<u8>, IndexError> {
        if self.oid_len != 20 {
            return Err(IndexError::Sha256);
        }
        let sorted = |list: &[usize]| {
            list.windows(2).all(|w| w[0] < w[1]) && list.last().is_none_or(|&l| l < self.len())
        };
        if !sorted(removed) || !sorted(&options.smudge) {
            return Err(IndexError::BadRemoval);
        }
        for ext in &self.extensions {
            let sig = &ext.signature;
            if !sig[0].is_ascii_uppercase() && sig != b"sdir" {
                return Err(IndexError::RequiredExtension(
                    String::from_utf8_lossy(sig).into_owned(),
                ));
            }
        }

        let kept = self.len() - removed.len();
        let out = self.write_without(removed, options, kept);
        // Never hand back a file git could not read: read it back as git would.
        let written = IndexFile::parse(out, self.oid_len)
            .map_err(|e| IndexError::Unreadable(e.to_string()))?;
        if written.len() != kept {
            return Err(IndexError::Unreadable(format!(
                "{} entries instead of {kept}",
                written.len()
            )));
        }
        match written.data {
            Bytes::Owned(out) => Ok(out),
            Bytes::Mapped(_) => unreachable!("parsed from memory"),
        }
    }

    fn write_without(&self, removed: &[usize], options: &WriteOptions, kept: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len());
        out.extend_from_slice(b"DIRC");
        let version = match self.version {
            4 => 4,
            // git demotes version 3 to 2 when no entry needs extended flags any more.
            _ => {
                let mut rm = removed.iter().copied().peekable();
                let extended =
                    (0..self.len()).any(|i| rm.next_if_eq(&i).is_none() && self.is_extended(i));
                if extended { 3 } else { 2 }
            }
        };
        out.extend_from_slice(&(version as u32).to_be_bytes());
        out.extend_from_slice(&(kept as u32).to_be_bytes());

        let mut rm = removed.iter().copied().peekable();
        let mut smudge = options.smudge.iter().copied().peekable();
        let mut previous: Option<usize> = None;
        for i in 0..self.len() {
            if rm.next_if_eq(&i).is_some() {
                continue;
            }
            let at = out.len();
            let start = self.entry_start(i);
            // v2/v3 entries stand alone; a v4 entry depends on the one before it on disk.
            if version != 4 || i == 0 || previous == Some(i - 1) {
                out.extend_from_slice(&self.data[start..self.entry_end(i)]);
            } else {
                let flags_end = self.entries[i].oid_start as usize
                    + self.oid_len
                    + if self.is_extended(i) { 4 } else { 2 };
                out.extend_from_slice(&self.data[start..flags_end]);
                let prev = previous.map_or(&b""[..], |p| self.path(p));
                let path = self.path(i);
                let common = prev.iter().zip(path).take_while(|(a, b)| a == b).count();
                encode_varint(prev.len() - common, &mut out);
                out.extend_from_slice(&path[common..]);
                out.push(0);
            }
            if smudge.next_if_eq(&i).is_some() {
                out[at + 36..at + 40].fill(0); // the cached size
            }
            previous = Some(i);
        }

        self.write_extensions(removed, &mut out);
        if options.skip_hash {
            out.extend_from_slice(&[0; 20]);
        } else {
            let digest = sha1_smol::Sha1::from(&out).digest().bytes();
            out.extend_from_slice(&digest);
        }
        out
    }

    fn path(&self, i: usize) -> &[u8] {
        let raw = &self.entries[i];
        let p = raw.path_start as usize;
        &self.path_bytes()[p..p + raw.path_len as usize]
    }

    /// What entries' paths point into: the expanded paths of a version 4 index, else the file.
    fn path_bytes(&self) -> &[u8] {
        if self.version == 4 {
            &self.paths
        } else {
            &self.data
        }
    }

    /// The cache-tree extension, when the index has one git would read.
    pub(crate) fn cache_tree(&self) -> Option<cache_tree::CacheTree<'_>> {
        let ext = self
            .extensions
            .iter()
            .rev()
            .find(|e| &e.signature == b"TREE")?;
        cache_tree::CacheTree::parse(&self.data[ext.start..ext.end], self.oid_len)
    }

    /// The extensions git writes after removing the entries at `removed`, in git's order.
    fn write_extensions(&self, removed: &[usize], out: &mut Vec<u8>) {
        let payload = |ext: &Extension| &self.data[ext.start..ext.end];
        let find = |sig: &[u8; 4]| self.extensions.iter().rev().find(|e| &e.signature == sig);
        let mut put = |sig: &[u8; 4], body: &[u8]| {
            out.extend_from_slice(sig);
            out.extend_from_slice(&(body.len() as u32).to_be_bytes());
            out.extend_from_slice(body);
        };

        if let Some(ext) = find(b"TREE") {
            // An unreadable cache tree is dropped, as git drops it when reading.
            if let Some(mut tree) = cache_tree::CacheTree::parse(payload(ext), self.oid_len) {
                let mut last: &[u8] = b"";
                for &i in removed {
                    let path = self.path(i);
                    if path != last {
                        tree.invalidate(path);
                        last = path;
                    }
                }
                put(b"TREE", &tree.write());
            }
        }

        let lost: Vec<resolve_undo::Lost<'_>> = removed
            .iter()
            .map(|&i| self.entry(&self.entries[i]))
            .filter(|e| e.stage != 0)
            .map(|e| resolve_undo::Lost {
                path: e.path,
                stage: e.stage,
                mode: e.mode,
                oid: e.oid,
            })
            .collect();
        let reuc = find(b"REUC").map(payload);
        match (reuc, lost.is_empty()) {
            (Some(body), true) => put(b"REUC", body),
            (body, false) => put(b"REUC", &resolve_undo::record(body, &lost, self.oid_len)),
            (None, true) => {}
        }

        if let Some(ext) = find(b"sdir") {
            put(b"sdir", payload(ext));
        }
    }
}

/// What the index fuzz target and the replay test run on one input: parse it; if it parses,
/// touch every entry and its stat data, then write it back without nothing, without its first
/// entry, and without all of it, each of which must read back (the writer refuses to hand out
/// a file that does not, so an error there is a finding: it is returned as `Err`).
pub fn fuzz_one(data: &[u8]) -> Result<(), String> {
    let Ok(index) = IndexFile::parse(data.to_vec(), 20) else {
        return Ok(());
    };
    for (i, e) in index.iter().enumerate() {
        std::hint::black_box((e.path, e.oid, e.is_sparse_dir(), index.stat(i)));
    }
    let _ = index.racy_entries();
    let removals: [Vec<usize>; 3] = [
        Vec::new(),
        (0..index.len().min(1)).collect(),
        (0..index.len()).collect(),
    ];
    for removed in removals {
        match index.without(&removed, &WriteOptions::default()) {
            Ok(_) | Err(IndexError::RequiredExtension(_)) => {}
            Err(e @ IndexError::Unreadable(_)) => return Err(e.to_string()),
            Err(_) => {}
        }
    }
    Ok(())
}

/// git's `encode_varint`, the offset encoding of v4 path prefixes (inverse of
/// `Reader::varint`).
fn encode_varint(mut value: usize, out: &mut Vec<u8>) {
    let mut buf = [0u8; 16];
    let mut pos = buf.len() - 1;
    buf[pos] = (value & 127) as u8;
    value >>= 7;
    while value != 0 {
        value -= 1;
        pos -= 1;
        buf[pos] = 128 | (value & 127) as u8;
        value >>= 7;
    }
    out.extend_from_slice(&buf[pos..]);
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], IndexError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.data.len());
        let end = end.ok_or(IndexError::Truncated { what })?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, IndexError> {
        let b = self.take(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, IndexError> {
        let b = self.take(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn until_nul(&mut self) -> Result<&'a [u8], IndexError> {
        let rest = &self.data[self.pos..];
        let n = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(IndexError::Truncated { what: "a path" })?;
        self.pos += n + 1;
        Ok(&rest[..n])
    }

    /// git's variable-length offset encoding (`decode_varint`), used by v4 path compression.
    fn varint(&mut self) -> Result<usize, IndexError> {
        let mut c = self.take(1, "a path prefix")?[0];
        let mut value = (c & 0x7f) as usize;
        while c & 0x80 != 0 {
            c = self.take(1, "a path prefix")?[0];
            value = value
                .checked_add(1)
                .and_then(|v| v.checked_mul(128))
                .and_then(|v| v.checked_add((c & 0x7f) as usize))
                .ok_or(IndexError::Corrupt("a path prefix length overflows"))?;
        }
        Ok(value)
    }
}

/// Reads a version 4 entry's path, the `previous` path (start and length in `paths`) less the
/// prefix it strips plus the suffix it stores, onto the end of `paths`; returns its length.
fn expand_v4_path(
    r: &mut Reader<'_>,
    name_len: u16,
    previous: (usize, usize),
    paths: &mut Vec<u8>,
    budget: usize,
) -> Result<usize, IndexError> {
    let path_start = paths.len();
    let strip = r.varint()?;
    let (prev_start, prev_len) = previous;
    if strip > prev_len {
        return Err(IndexError::Corrupt(
            "a path prefix longer than the previous path",
        ));
    }
    let keep = prev_len - strip;
    let suffix = if name_len == NAME_MASK {
        r.until_nul()?
    } else {
        let len = usize::from(name_len);
        // git copies `len + 1 - keep` bytes of the suffix; a length shorter than the prefix it
        // shares makes git copy a wrapped-around size (a crash).
        let n = len.checked_sub(keep).ok_or(IndexError::Corrupt(
            "a path length shorter than the prefix it shares",
        ))?;
        let suffix = r.take(n, "a path")?;
        r.take(1, "a path")?; // git skips the byte after the path unseen
        suffix
    };
    if paths.len() + keep + suffix.len() > budget {
        return Err(IndexError::TooLarge { limit: budget });
    }
    paths.extend_from_within(prev_start..prev_start + keep);
    paths.extend_from_slice(suffix);
    if memchr::memchr(0, &paths[path_start..]).is_some() {
        // git would keep the NUL in the path and then misread it everywhere.
        return Err(IndexError::Corrupt("a path with a NUL byte in it"));
    }
    Ok(paths.len() - path_start)
}

/// The extensions after the entries, up to the trailing checksum (`oid_len` bytes). A split
/// index (`link`) is refused: its entries live in another file.
fn read_extensions(
    r: &mut Reader<'_>,
    len: usize,
    oid_len: usize,
) -> Result<Vec<Extension>, IndexError> {
    let mut out = Vec::new();
    while len.saturating_sub(r.pos) > oid_len {
        let signature = r.take(4, "an extension")?;
        let signature = [signature[0], signature[1], signature[2], signature[3]];
        let size = r.u32("an extension")? as usize;
        if &signature == b"link" {
            return Err(IndexError::SplitIndex);
        }
        let start = r.pos;
        r.take(size, "an extension")?;
        out.push(Extension {
            signature,
            start,
            end: r.pos,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_garbage() {
        assert!(IndexFile::parse(Vec::new(), 20).unwrap().is_empty());
        assert_eq!(
            IndexFile::parse(b"DIRX\0\0\0\x02\0\0\0\0".to_vec(), 20).err(),
            Some(IndexError::BadSignature)
        );
        assert_eq!(
            IndexFile::parse(b"DIRC\0\0\0\x07\0\0\0\0".to_vec(), 20).err(),
            Some(IndexError::UnsupportedVersion(7))
        );
        assert_eq!(
            IndexFile::parse(b"DIRC\0\0\0\x02\0\0\0\x01".to_vec(), 20).err(),
            Some(IndexError::Truncated { what: "an entry" })
        );
    }

    #[test]
    fn varint_matches_git() {
        // git's encode_varint: 127 -> [0x7f], 128 -> [0x80, 0x00], 16511 -> [0xff, 0x7f].
        for (bytes, want) in [
            (&[0x7f][..], 127),
            (&[0x80, 0x00], 128),
            (&[0xff, 0x7f], 16511),
            (&[0x81, 0x00], 256),
        ] {
            let mut r = Reader {
                data: bytes,
                pos: 0,
            };
            assert_eq!(r.varint().unwrap(), want);
        }
    }

    /// A hand-built index: entries (path, stage, extended flags) in the given version, then
    /// extensions, then the SHA-1 trailer. Each entry's stat data carries its position in the
    /// size field, so the test can tell entries apart.
    fn build(
        version: u32,
        entries: &[(&[u8], u8, u16)],
        extensions: &[(&[u8; 4], &[u8])],
    ) -> Vec<u8> {
        let mut data = b"DIRC".to_vec();
        data.extend_from_slice(&version.to_be_bytes());
        data.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        let mut previous: &[u8] = b"";
        for (n, &(name, stage, extended)) in entries.iter().enumerate() {
            let start = data.len();
            data.extend_from_slice(&[0; 24]);
            data.extend_from_slice(&0o100644u32.to_be_bytes());
            data.extend_from_slice(&[0; 8]);
            data.extend_from_slice(&(n as u32 + 1).to_be_bytes());
            data.extend_from_slice(&[n as u8; 20]);
            let mut flags = (name.len() as u16) | (u16::from(stage) << 12);
            if extended != 0 {
                flags |= 0x4000;
            }
            data.extend_from_slice(&flags.to_be_bytes());
            if extended != 0 {
                data.extend_from_slice(&extended.to_be_bytes());
            }
            if version == 4 {
                let common = previous
                    .iter()
                    .zip(name)
                    .take_while(|(a, b)| a == b)
                    .count();
                encode_varint(previous.len() - common, &mut data);
                data.extend_from_slice(&name[common..]);
                data.push(0);
                previous = name;
            } else {
                data.extend_from_slice(name);
                let len = data.len() - start;
                data.resize(start + ((len + 8) & !7), 0);
            }
        }
        for (sig, body) in extensions {
            data.extend_from_slice(&sig[..]);
            data.extend_from_slice(&(body.len() as u32).to_be_bytes());
            data.extend_from_slice(body);
        }
        let digest = sha1_smol::Sha1::from(&data).digest().bytes();
        data.extend_from_slice(&digest);
        data
    }

    fn paths(index: &IndexFile) -> Vec<&[u8]> {
        index.iter().map(|e| e.path).collect()
    }

    #[test]
    fn varint_encoding_is_the_inverse_of_decoding() {
        for value in [0, 1, 127, 128, 255, 16511, 16512, 1 << 20, usize::MAX >> 8] {
            let mut bytes = Vec::new();
            encode_varint(value, &mut bytes);
            let mut r = Reader {
                data: &bytes,
                pos: 0,
            };
            assert_eq!(r.varint().unwrap(), value);
            assert_eq!(r.pos, bytes.len());
        }
        let mut bytes = Vec::new();
        encode_varint(16511, &mut bytes);
        assert_eq!(bytes, [0xff, 0x7f]);
    }

    #[test]
    fn removing_nothing_writes_the_same_file() {
        for version in [2, 3, 4] {
            let ext = if version == 3 { 0x2000 } else { 0 };
            let entries: [(&[u8], u8, u16); 3] = [
                (b"a/__pycache__/m.pyc", 0, 0),
                (b"a/m.py", 0, ext),
                (b"b", 0, 0),
            ];
            let data = build(version, &entries, &[(b"REUC", b""), (b"sdir", b"")]);
            let index = IndexFile::parse(data.clone(), 20).unwrap();
            let out = index.without(&[], &WriteOptions::default()).unwrap();
            assert_eq!(out, data, "version {version}");
        }
    }

    #[test]
    fn v4_paths_are_re_encoded_against_the_new_previous_entry() {
        let entries: [(&[u8], u8, u16); 5] = [
            (b"a/__pycache__/m.pyc", 0, 0),
            (b"a/__pycache__/n.pyc", 0, 0),
            (b"a/m.py", 0, 0),
            (b"a/n.py", 0, 0x4000),
            (b"b/__pycache__/x.pyc", 0, 0),
        ];
        let data = build(4, &entries, &[]);
        let index = IndexFile::parse(data, 20).unwrap();
        let out = index.without(&[0, 1, 4], &WriteOptions::default()).unwrap();
        // Byte for byte what git writes for the two entries left (positions 2 and 3).
        let mut want = build(4, &[entries[2], entries[3]], &[]);
        // Their stat data still says where they came from.
        for (n, at) in [(2u8, 12usize), (3, 12 + 62 + 1 + 6 + 1)] {
            want[at + 36..at + 40].copy_from_slice(&(u32::from(n) + 1).to_be_bytes());
            want[at + 40..at + 60].fill(n);
        }
        let len = want.len() - 20;
        let digest = sha1_smol::Sha1::from(&want[..len]).digest().bytes();
        want[len..].copy_from_slice(&digest);
        assert_eq!(out, want);
        assert_eq!(
            paths(&IndexFile::parse(out, 20).unwrap()),
            [&b"a/m.py"[..], b"a/n.py"]
        );
    }

    #[test]
    fn version_3_is_demoted_when_no_extended_entry_is_left() {
        let entries: [(&[u8], u8, u16); 2] = [(b"a.pyc", 0, 0x2000), (b"b.py", 0, 0)];
        let index = IndexFile::parse(build(3, &entries, &[]), 20).unwrap();
        let out = index.without(&[0], &WriteOptions::default()).unwrap();
        assert_eq!(&out[4..8], &2u32.to_be_bytes());
        let out = index.without(&[1], &WriteOptions::default()).unwrap();
        assert_eq!(&out[4..8], &3u32.to_be_bytes());
    }

    #[test]
    fn extensions_kept_dropped_or_refused() {
        let entries: [(&[u8], u8, u16); 2] = [(b"a.pyc", 0, 0), (b"b.py", 0, 0)];
        let exts: [(&[u8; 4], &[u8]); 6] = [
            (b"IEOT", b"\0\0\0\x01"),
            (b"UNTR", b"x"),
            (b"FSMN", b"y"),
            (b"ZZZZ", b"optional"),
            (b"sdir", b""),
            (b"EOIE", b"0123456789012345678901234"),
        ];
        let index = IndexFile::parse(build(2, &entries, &exts), 20).unwrap();
        let out = index.without(&[0], &WriteOptions::default()).unwrap();
        let written = IndexFile::parse(out, 20).unwrap();
        let kept: Vec<&[u8; 4]> = written.extensions.iter().map(|e| &e.signature).collect();
        assert_eq!(kept, [b"sdir"]);
        assert_eq!(paths(&written), [b"b.py"]);

        let exts: [(&[u8; 4], &[u8]); 1] = [(b"abcd", b"required")];
        let index = IndexFile::parse(build(2, &entries, &exts), 20).unwrap();
        assert_eq!(
            index.without(&[0], &WriteOptions::default()).err(),
            Some(IndexError::RequiredExtension("abcd".into()))
        );
    }

    #[test]
    fn removed_conflict_stages_go_to_resolve_undo() {
        let entries: [(&[u8], u8, u16); 3] = [(b"c.pyc", 1, 0), (b"c.pyc", 3, 0), (b"d", 0, 0)];
        let index = IndexFile::parse(build(2, &entries, &[]), 20).unwrap();
        let out = index.without(&[0, 1], &WriteOptions::default()).unwrap();
        let mut reuc = b"c.pyc\x00100644\x000\x00100644\x00".to_vec();
        reuc.extend_from_slice(&[0; 20]);
        reuc.extend_from_slice(&[1; 20]);
        let at = out.len() - 20 - reuc.len() - 8;
        assert_eq!(&out[at..at + 4], b"REUC");
        assert_eq!(&out[at + 8..out.len() - 20], &reuc[..]);
    }

    #[test]
    fn trailer_smudging_and_bad_removals() {
        let entries: [(&[u8], u8, u16); 2] = [(b"a.pyc", 0, 0), (b"b.py", 0, 0)];
        let index = IndexFile::parse(build(2, &entries, &[]), 20).unwrap();
        let options = WriteOptions {
            skip_hash: true,
            smudge: vec![1],
        };
        let out = index.without(&[0], &options).unwrap();
        assert_eq!(&out[out.len() - 20..], &[0; 20]);
        let kept = IndexFile::parse(out, 20).unwrap();
        assert_eq!(kept.stat(0).unwrap().size, 0);
        assert_eq!(index.stat(1).unwrap().size, 2);
        let none = WriteOptions::default();
        assert_eq!(
            index.without(&[1, 0], &none).err(),
            Some(IndexError::BadRemoval)
        );
        assert_eq!(
            index.without(&[2], &none).err(),
            Some(IndexError::BadRemoval)
        );
        let sha256 = IndexFile::parse(Vec::new(), 32).unwrap();
        assert_eq!(sha256.without(&[], &none).err(), Some(IndexError::Sha256));
    }

    /// One v2/v3 entry whose flags say `len` and whose name bytes are `name` (NUL-padded as
    /// git pads a name of that many bytes), with `extended` flags when not 0.
    fn one_entry(version: u32, name: &[u8], len: u16, extended: u16) -> Vec<u8> {
        let mut d = b"DIRC".to_vec();
        d.extend_from_slice(&version.to_be_bytes());
        d.extend_from_slice(&1u32.to_be_bytes());
        d.extend_from_slice(&[0; 24]);
        d.extend_from_slice(&0o100644u32.to_be_bytes());
        d.extend_from_slice(&[0; 12]);
        d.extend_from_slice(&[7; 20]);
        let flags = len | if extended != 0 { 0x4000 } else { 0 };
        d.extend_from_slice(&flags.to_be_bytes());
        if extended != 0 {
            d.extend_from_slice(&extended.to_be_bytes());
        }
        d.extend_from_slice(name);
        let len = d.len() - 12;
        d.resize(12 + ((len + 8) & !7), 0);
        d.extend_from_slice(&[0; 20]);
        d
    }

    #[test]
    fn the_path_length_is_the_flags_as_in_read_cache() {
        // git: 12 bits of length, believed; the bytes after it are not looked at.
        let index = IndexFile::parse(one_entry(2, b"a.pycX", 5, 0), 20).unwrap();
        assert_eq!(paths(&index), [b"a.pyc"]);
        // Only 0xFFF means "read to the NUL".
        let long = vec![b'x'; 5000];
        let index = IndexFile::parse(one_entry(2, &long, 0xfff, 0), 20).unwrap();
        assert_eq!(paths(&index), [&long[..]]);
        // A length past the file, or over a NUL, is refused.
        assert!(IndexFile::parse(one_entry(2, b"a", 200, 0), 20).is_err());
        assert_eq!(
            IndexFile::parse(one_entry(2, b"a\0b", 3, 0), 20).err(),
            Some(IndexError::Corrupt("a path with a NUL byte in it"))
        );
    }

    #[test]
    fn unknown_extended_flags_are_refused_as_git_dies_on_them() {
        assert!(IndexFile::parse(one_entry(3, b"a.py", 4, 0x2000), 20).is_ok());
        assert!(IndexFile::parse(one_entry(3, b"a.py", 4, 0x4000), 20).is_ok());
        for bad in [0x0001, 0x8000, 0x1000, 0x2001] {
            assert_eq!(
                IndexFile::parse(one_entry(3, b"a.py", 4, bad), 20).err(),
                Some(IndexError::UnknownFlags(bad))
            );
        }
    }

    #[test]
    fn v4_lengths_shorter_than_the_shared_prefix_and_huge_expansions_are_refused() {
        let entries: [(&[u8], u8, u16); 2] = [(b"abcdef", 0, 0), (b"abcdefg", 0, 0)];
        let mut data = build(4, &entries, &[]);
        // The second entry's flags (after 12 + 62 + 1 + 7 bytes of the first): say 3.
        let at = 12 + 62 + 1 + 7 + 60;
        assert_eq!(&data[at..at + 2], &[0, 7]);
        data[at + 1] = 3;
        assert_eq!(
            IndexFile::parse(data, 20).err(),
            Some(IndexError::Corrupt(
                "a path length shorter than the prefix it shares"
            ))
        );
        assert_eq!(path_budget(1 << 20), MIN_PATH_BUDGET);
        assert_eq!(path_budget(100 << 20), 800 << 20);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        // One v2 entry "a.pyc" and one "b", hand-built.
        let mut data = b"DIRC\0\0\0\x02\0\0\0\x02".to_vec();
        for name in [&b"a.pyc"[..], b"b"] {
            let start = data.len();
            data.extend_from_slice(&[0; 24]);
            data.extend_from_slice(&0o100644u32.to_be_bytes());
            data.extend_from_slice(&[0; 12]);
            data.extend_from_slice(&[7; 20]);
            data.extend_from_slice(&(name.len() as u16).to_be_bytes());
            data.extend_from_slice(name);
            let len = data.len() - start;
            data.resize(start + ((len + 8) & !7), 0);
        }
        data.extend_from_slice(&[0; 20]);
        let index = IndexFile::parse(data.clone(), 20).unwrap();
        let paths: Vec<&[u8]> = index.iter().map(|e| e.path).collect();
        assert_eq!(paths, [&b"a.pyc"[..], b"b"]);
        assert_eq!(index.get(0).unwrap().oid, &[7; 20]);
        assert_eq!(index.lower_bound(b"b"), 1);
        for n in 1..data.len() - 20 {
            assert!(
                IndexFile::parse(data[..n].to_vec(), 20).is_err(),
                "prefix {n}"
            );
        }
    }
}
