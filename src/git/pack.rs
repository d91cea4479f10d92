//! Reading objects straight from pack files, for the walks over long histories (`audit`, the
//! range checks), where libgit2's general-purpose object reading (locks, an allocation and a
//! cache entry per object, a delta base cache of 16 MiB) costs about twice what git's does.
//!
//! Implemented, from git's `Documentation/gitformat-pack.txt`:
//! - pack index version 2 (`\377tOc`, version 2, the 256-entry fan-out table, sorted object
//!   ids, CRCs, 31-bit offsets with the 64-bit table for offsets past 2 GiB);
//! - pack entries: the type-and-size header, whole objects (zlib streams), `OFS_DELTA` and
//!   `REF_DELTA` entries, and git's delta format (copy and insert instructions);
//! - a cache of recently built delta bases, so that reading a chain of deltas (each tree is
//!   usually a delta of the next one) builds each link once, as git's delta base cache does.
//!
//! Not implemented, and left to libgit2 by the caller: loose objects, packs in alternate object
//! stores, index version 1, SHA-256 repositories. [`Packs::read`] says `None` for any object it
//! does not find, and the caller reads it the ordinary way, so nothing is ever judged wrongly,
//! only more slowly.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::File;
use std::path::Path;
use std::rc::Rc;

use flate2::{Decompress, FlushDecompress, Status};
use git2::{ObjectType, Oid};
use memmap2::Mmap;

use crate::util::hash::FastMap;

/// Bytes of an object id.
const ID_LEN: usize = 20;

/// Where the sorted object ids start in an index (after the header and the fan-out table).
const IDS: usize = 8 + 256 * 4;

/// How many of the objects last asked for are kept (see `Packs::recent`).
const RECENT: usize = 256;

/// The objects last asked for, at most [`RECENT`], evicted oldest first.
#[derive(Default)]
struct Recent {
    objects: FastMap<(usize, usize), Built>,
    order: VecDeque<(usize, usize)>,
}

impl Recent {
    fn put(&mut self, key: (usize, usize), built: Built) {
        if self.objects.insert(key, built).is_some() {
            return;
        }
        self.order.push_back(key);
        if self.order.len() > RECENT
            && let Some(old) = self.order.pop_front()
        {
            self.objects.remove(&old);
        }
    }
}

/// Objects kept built in the cache, in bytes, at most.
const CACHE_BYTES: usize = 32 << 20;

/// The pack files of a repository's object store.
pub struct Packs {
    packs: Vec<Pack>,
    cache: RefCell<Cache>,
    /// The last few objects asked for, whole or built from deltas: a command reads the same
    /// commits and root trees in several places (the revisions, the merge base, the range, the
    /// policy), and each would otherwise inflate them again.
    recent: RefCell<Recent>,
    /// One zlib state, reset for each stream (setting one up costs more than a small object).
    zlib: RefCell<Decompress>,
}

/// One pack and its index, mapped into memory.
struct Pack {
    index: Mmap,
    data: Mmap,
    /// The pack's length in bytes (an anonymous map may be longer).
    len: usize,
    /// Number of objects.
    count: usize,
}

/// An object's type and content.
type Built = (ObjectType, Rc<Vec<u8>>);

/// Recently built objects, by (pack, offset), evicted oldest first.
#[derive(Default)]
struct Cache {
    objects: FastMap<(usize, usize), Built>,
    order: VecDeque<(usize, usize)>,
    bytes: usize,
}

impl Cache {
    fn get(&self, key: (usize, usize)) -> Option<Built> {
        self.objects.get(&key).cloned()
    }

    fn put(&mut self, key: (usize, usize), kind: ObjectType, data: Rc<Vec<u8>>) {
        if data.len() > CACHE_BYTES / 8 || self.objects.contains_key(&key) {
            return;
        }
        self.bytes += data.len();
        self.objects.insert(key, (kind, data));
        self.order.push_back(key);
        while self.bytes > CACHE_BYTES {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some((_, d)) = self.objects.remove(&old) {
                self.bytes -= d.len();
            }
        }
    }
}

/// The longest chain of deltas read (git writes chains of at most 4095, `pack.depth`'s
/// maximum); a longer one is refused as corrupt, so a pack whose deltas loop cannot make the
/// reader run forever.
pub(crate) const MAX_DELTA_CHAIN: usize = 10_000;

/// The most one byte of zlib input can inflate to (zlib's own bound is about 1032:1): an entry
/// that claims more than this many times the bytes left in its pack cannot be real, and is
/// refused before anything is allocated for it.
const MAX_INFLATE_RATIO: usize = 1100;

/// Bytes inflated per step: nothing is allocated ahead of what the stream actually gives.
const INFLATE_STEP: usize = 1 << 16;

/// What is wrong with an object that was found but could not be read.
pub(crate) type Corrupt = String;

impl Packs {
    /// The packs in `objects/pack/` of the object store `objects`; packs it cannot read are
    /// left out (their objects are then not found here).
    pub fn open(objects: &Path) -> Packs {
        Packs::open_indexes(objects, &Packs::index_names(objects))
    }

    /// The names of the pack indexes in `objects/pack/`, in the order the folder lists them.
    pub(crate) fn index_names(objects: &Path) -> Vec<std::ffi::OsString> {
        let mut names = Vec::new();
        if let Ok(dir) = std::fs::read_dir(objects.join("pack")) {
            for entry in dir.flatten() {
                let name = entry.file_name();
                if Path::new(&name).extension().is_some_and(|e| e == "idx") {
                    names.push(name);
                }
            }
        }
        names
    }

    /// The packs of the indexes `names` in `objects/pack/` (see [`Packs::open`]).
    pub(crate) fn open_indexes(objects: &Path, names: &[std::ffi::OsString]) -> Packs {
        let dir = objects.join("pack");
        let packs = names
            .iter()
            .filter_map(|name| {
                let path = dir.join(name);
                Pack::open(&path, &path.with_extension("pack"))
            })
            .collect();
        Packs::from_packs(packs)
    }

    fn from_packs(packs: Vec<Pack>) -> Packs {
        Packs {
            packs,
            cache: RefCell::default(),
            recent: RefCell::default(),
            zlib: RefCell::new(Decompress::new(true)),
        }
    }

    /// A pack and its index given as bytes (for the fuzz targets and tests).
    pub fn from_bytes(index: &[u8], data: &[u8]) -> Option<Packs> {
        let map = |bytes: &[u8]| -> Option<Mmap> {
            let mut m = memmap2::MmapMut::map_anon(bytes.len().max(1)).ok()?;
            m[..bytes.len()].copy_from_slice(bytes);
            m.make_read_only().ok()
        };
        let pack = Pack::new(map(index)?, map(data)?, data.len())?;
        Some(Packs::from_packs(vec![pack]))
    }

    /// Checks what libgit2 trusts and would crash on (libgit2-sys 0.18.8+1.9.7 segfaults in
    /// `git_packfile_unpack_header` on an index offset past the end of its pack): every
    /// offset of every pack index lies inside its pack, before the trailer. git refuses such
    /// a pack too ("offset beyond end of packfile").
    pub fn check_offsets(&self) -> Result<(), Corrupt> {
        for p in &self.packs {
            let end = p.len.saturating_sub(ID_LEN);
            if p.small_offsets_within(12..end) {
                continue;
            }
            // Something is out of range, or some offsets are 64-bit: entry by entry, to name
            // the first bad one.
            for i in 0..p.count {
                match p.offset(i) {
                    Some(at) if (12..end).contains(&at) => {}
                    Some(at) => {
                        return Err(format!(
                            "its index gives object {} the offset {at}, outside the pack's {} bytes",
                            Oid::from_bytes(p.id(i)).map_or_else(|_| "?".into(), |o| o.to_string()),
                            p.len
                        ));
                    }
                    None => return Err("its index is truncated".into()),
                }
            }
        }
        Ok(())
    }

    /// The type and content of the object `id`: `Ok(None)` if no pack holds it, an error if
    /// one does and it does not read correctly.
    pub fn read(&self, id: Oid) -> Result<Option<Built>, Corrupt> {
        let Some(key) = self.find(id.as_bytes()) else {
            return Ok(None);
        };
        if let Some(hit) = self.recent.borrow().objects.get(&key) {
            return Ok(Some(hit.clone()));
        }
        let built = self.read_at(key.0, key.1)?;
        self.recent.borrow_mut().put(key, built.clone());
        Ok(Some(built))
    }

    /// The type and size of the object `id` without building it (a delta's size is in the
    /// first bytes of the delta): `Ok(None)` if no pack holds it.
    pub fn header(&self, id: Oid) -> Result<Option<(ObjectType, usize)>, Corrupt> {
        let Some((pack, offset)) = self.find(id.as_bytes()) else {
            return Ok(None);
        };
        let p = &self.packs[pack];
        let (kind, size, _) = p.entry_header(offset).ok_or("a truncated entry header")?;
        match kind {
            1..=4 => Ok(Some((object_type(kind), size))),
            6 | 7 => {
                // The type is the base's: build it (rare: only for sizes of deltified blobs).
                let (kind, data) = self.read_at(pack, offset)?;
                Ok(Some((kind, data.len())))
            }
            k => Err(format!("an entry of the invalid type {k}")),
        }
    }

    /// Whether a pack's index lists `id`.
    pub fn contains(&self, id: Oid) -> bool {
        self.find(id.as_bytes()).is_some()
    }

    fn find(&self, id: &[u8]) -> Option<(usize, usize)> {
        self.packs
            .iter()
            .enumerate()
            .find_map(|(i, p)| p.find(id).map(|offset| (i, offset)))
    }

    /// The object at `offset` in pack `pack`, its deltas applied.
    ///
    /// Hostile packs are refused, never followed: an `OFS_DELTA` base must lie strictly before
    /// its delta (as git writes it: the distance is never 0); a `REF_DELTA` base may lie after
    /// (`index-pack --fix-thin` appends bases), so a base seen before in the same chain is
    /// an error; a chain is at most [`MAX_DELTA_CHAIN`] long.
    fn read_at(&self, pack: usize, offset: usize) -> Result<Built, Corrupt> {
        // Walk down the chain to a whole object or one already built, then apply the deltas
        // on the way back up, keeping each result.
        let mut chain: Vec<(usize, usize, usize, usize)> = Vec::new();
        let mut seen = crate::util::hash::FastSet::default();
        let (mut pack, mut at) = (pack, offset);
        let (kind, mut data) = loop {
            // A base may also be an object asked for a moment ago: a tree of one side of a
            // diff is often the base of its counterpart's delta.
            let hit = self.cache.borrow().get((pack, at));
            if let Some(hit) =
                hit.or_else(|| self.recent.borrow().objects.get(&(pack, at)).cloned())
            {
                break hit;
            }
            if chain.len() > MAX_DELTA_CHAIN {
                return Err(format!(
                    "a delta chain longer than {MAX_DELTA_CHAIN} (a loop, or a corrupt pack)"
                ));
            }
            if !seen.insert((pack, at)) {
                return Err(format!("a delta chain that comes back to offset {at}"));
            }
            let p = &self.packs[pack];
            let (kind, size, body) = p
                .entry_header(at)
                .ok_or_else(|| format!("a truncated entry header at offset {at}"))?;
            match kind {
                1..=4 => {
                    let kind = object_type(kind);
                    let data = Rc::new(inflate(
                        &mut self.zlib.borrow_mut(),
                        p.data.get(body..p.len).unwrap_or_default(),
                        size,
                    )?);
                    // Kept only when it is the base of the chain being built.
                    if !chain.is_empty() {
                        self.cache.borrow_mut().put((pack, at), kind, data.clone());
                    }
                    break (kind, data);
                }
                6 => {
                    let (distance, delta) = ofs_delta_base(
                        p.data.get(body..p.len).unwrap_or_default(),
                    )
                    .ok_or_else(|| format!("a truncated delta base offset at offset {at}"))?;
                    chain.push((pack, at, body + delta, size));
                    at = at
                        .checked_sub(distance)
                        .filter(|&base| distance > 0 && base >= 12)
                        .ok_or_else(|| {
                            format!(
                                "a delta at offset {at} whose base ({distance} bytes back) does \
                                 not lie before it in the pack"
                            )
                        })?;
                }
                7 => {
                    let base = p
                        .data
                        .get(body..body + ID_LEN)
                        .filter(|_| body + ID_LEN <= p.len)
                        .ok_or_else(|| format!("a truncated delta base id at offset {at}"))?;
                    chain.push((pack, at, body + ID_LEN, size));
                    let Some((base_pack, base_at)) = self.find(base) else {
                        return Err(format!(
                            "a delta at offset {at} whose base {} is not in any pack",
                            Oid::from_bytes(base).map_or_else(|_| "?".into(), |o| o.to_string())
                        ));
                    };
                    (pack, at) = (base_pack, base_at);
                }
                k => return Err(format!("an entry of the invalid type {k} at offset {at}")),
            }
        };
        while let Some((pack, at, delta_at, size)) = chain.pop() {
            let p = &self.packs[pack];
            let delta = inflate(
                &mut self.zlib.borrow_mut(),
                p.data.get(delta_at..p.len).unwrap_or_default(),
                size,
            )?;
            data = Rc::new(
                apply_delta(&data, &delta)
                    .ok_or_else(|| format!("a delta at offset {at} that does not apply"))?,
            );
            // Each link but the object asked for is the base of the next (git's delta base
            // cache keeps the same).
            if !chain.is_empty() {
                self.cache.borrow_mut().put((pack, at), kind, data.clone());
            }
        }
        Ok((kind, data))
    }
}

/// What the object fuzz target and the replay test run on one input. The first byte says how
/// many objects (at most 32) the pack index lists, the next two bytes per object their
/// offsets (big-endian), the rest is the pack (its `PACK` header supplied when missing). Object
/// `i` has the id `[i + 1; 20]`, so `REF_DELTA` entries can name each other. Every object is
/// read and sized; the same bytes are also read as a loose object. Nothing may panic, hang or
/// allocate without bound; errors are the expected answer.
pub fn fuzz_one(data: &[u8]) {
    let _ = parse_loose(data);
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n % 33);
    if rest.len() < 2 * n {
        return;
    }
    let (offsets, body) = rest.split_at(2 * n);
    let mut pack = Vec::with_capacity(body.len() + 32);
    if !body.starts_with(b"PACK") {
        pack.extend_from_slice(b"PACK\0\0\0\x02");
        pack.extend_from_slice(&(n as u32).to_be_bytes());
    }
    pack.extend_from_slice(body);
    pack.extend_from_slice(&[0; ID_LEN]);
    let mut listed: Vec<([u8; ID_LEN], u32)> = (0..n)
        .map(|i| {
            let at = u16::from_be_bytes([offsets[2 * i], offsets[2 * i + 1]]);
            ([i as u8 + 1; ID_LEN], u32::from(at))
        })
        .collect();
    listed.sort();
    let mut idx = b"\xfftOc\0\0\0\x02".to_vec();
    for first in 0..256usize {
        let below = listed
            .iter()
            .filter(|(id, _)| usize::from(id[0]) <= first)
            .count();
        idx.extend_from_slice(&(below as u32).to_be_bytes());
    }
    for (id, _) in &listed {
        idx.extend_from_slice(id);
    }
    idx.extend(std::iter::repeat_n(0u8, 4 * n)); // CRCs
    for (_, at) in &listed {
        idx.extend_from_slice(&at.to_be_bytes());
    }
    idx.extend_from_slice(&[0; 2 * ID_LEN]);
    let Some(packs) = Packs::from_bytes(&idx, &pack) else {
        return;
    };
    let _ = packs.check_offsets();
    for (id, _) in &listed {
        let id = Oid::from_bytes(id).expect("20 bytes");
        let _ = packs.read(id);
        let _ = packs.header(id);
    }
}

fn object_type(kind: u8) -> ObjectType {
    match kind {
        1 => ObjectType::Commit,
        2 => ObjectType::Tree,
        3 => ObjectType::Blob,
        _ => ObjectType::Tag,
    }
}

/// The type and content of the loose object `id` in the object store `objects`: `Ok(None)`
/// when there is no such file. Read here rather than by libgit2, which (libgit2-sys
/// 0.18.8+1.9.7) inflates a truncated loose object forever in `git_zstream_get_output`.
pub(crate) fn read_loose(objects: &Path, id: Oid) -> Result<Option<Built>, Corrupt> {
    let hex = id.to_string();
    let path = objects.join(&hex[..2]).join(&hex[2..]);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("its loose file cannot be read: {e}")),
    };
    parse_loose(&bytes).map(|(kind, data)| Some((kind, Rc::new(data))))
}

/// A loose object's bytes (zlib of `TYPE SIZE\0CONTENT`), checked as git's
/// `unpack_loose_header` and `unpack_loose_rest` check them: a known type, a size in decimal,
/// exactly that many bytes, and nothing after the stream.
pub fn parse_loose(bytes: &[u8]) -> Result<(ObjectType, Vec<u8>), Corrupt> {
    let mut z = Decompress::new(true);
    // The header: at most 32 bytes, as git reads it.
    let mut header = Vec::with_capacity(64);
    let _ = z.decompress_vec(bytes, &mut header, FlushDecompress::None);
    let nul = header
        .iter()
        .position(|&b| b == 0)
        .ok_or("a loose object with no readable header")?;
    let (head, rest) = header.split_at(nul);
    let rest = rest[1..].to_vec();
    let text = std::str::from_utf8(head).map_err(|_| "a loose object header that is not text")?;
    let (kind, size) = text
        .split_once(' ')
        .ok_or("a loose object header without a size")?;
    let kind = match kind {
        "commit" => ObjectType::Commit,
        "tree" => ObjectType::Tree,
        "blob" => ObjectType::Blob,
        "tag" => ObjectType::Tag,
        other => return Err(format!("a loose object of the invalid type {other:?}")),
    };
    let size: usize = size
        .parse()
        .ok()
        .filter(|_| size.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| format!("a loose object with the invalid size {size:?}"))?;
    let room = bytes.len().saturating_mul(MAX_INFLATE_RATIO);
    if size > room {
        return Err(format!(
            "a loose object that claims {size} bytes, more than its {} bytes can hold",
            bytes.len()
        ));
    }
    let mut out = rest;
    if out.len() > size {
        return Err("a loose object longer than its header says".into());
    }
    inflate_into(&mut z, bytes, size, &mut out)?;
    Ok((kind, out))
}

impl Pack {
    fn open(index: &Path, data: &Path) -> Option<Pack> {
        // SAFETY: git never changes a pack or its index once written (it writes new files and
        // renames them into place), so the mapped bytes do not change under us.
        let index = unsafe { Mmap::map(&File::open(index).ok()?) }.ok()?;
        let data = unsafe { Mmap::map(&File::open(data).ok()?) }.ok()?;
        let len = data.len();
        Pack::new(index, data, len)
    }

    fn new(index: Mmap, data: Mmap, len: usize) -> Option<Pack> {
        if index.get(..8)? != b"\xfftOc\0\0\0\x02" || data.get(..4)? != b"PACK" {
            return None;
        }
        let count = be32(&index, 8 + 255 * 4)? as usize;
        // Fan-out, ids, CRCs, offsets.
        if index.len() < count.checked_mul(ID_LEN + 8)?.checked_add(8 + 256 * 4)? {
            return None;
        }
        Some(Pack {
            index,
            data,
            len,
            count,
        })
    }

    /// The id of the object at `position` in the index.
    fn id(&self, position: usize) -> &[u8] {
        let at = IDS + position * ID_LEN;
        &self.index[at..at + ID_LEN]
    }

    /// The offset of `id` in the pack, if the index lists it.
    ///
    /// Object ids are uniformly distributed, so a few interpolation steps on their first eight
    /// bytes land next to the id (a binary search would touch about a dozen far-apart index
    /// pages per lookup); a binary search finishes.
    fn find(&self, id: &[u8]) -> Option<usize> {
        let first = id[0] as usize;
        let mut lo = if first == 0 {
            0
        } else {
            be32(&self.index, 8 + (first - 1) * 4)? as usize
        };
        let mut hi = (be32(&self.index, 8 + first * 4)? as usize).min(self.count);
        let key = u64::from_be_bytes(id[..8].try_into().ok()?);
        let prefix = |i: usize| -> u64 {
            let at = IDS + i * ID_LEN;
            u64::from_be_bytes(self.index[at..at + 8].try_into().expect("8 bytes"))
        };
        let mut steps = 0;
        while lo < hi {
            let mid = if steps < 3 && hi - lo > 8 {
                steps += 1;
                let (a, b) = (prefix(lo), prefix(hi - 1));
                if key < a || key > b {
                    return None;
                }
                let span = (hi - 1 - lo) as u128;
                lo + ((key - a) as u128 * span / u128::from((b - a).max(1))) as usize
            } else {
                (lo + hi) / 2
            };
            let at = IDS + mid * ID_LEN;
            let entry = &self.index[at..at + ID_LEN];
            match prefix(mid).cmp(&key).then_with(|| entry[8..].cmp(&id[8..])) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return self.offset(mid),
            }
        }
        None
    }

    /// Whether every offset of the index is a 31-bit one within `range`, in one branch-free
    /// pass over the offset table that the compiler vectorises (on a repository of a million
    /// objects the entry-by-entry check was most of what a command cost). `false` when
    /// something is out of range, some entry points into the 64-bit table (the top bit), or the
    /// table is truncated: the caller then checks entry by entry.
    fn small_offsets_within(&self, range: std::ops::Range<usize>) -> bool {
        let start = 8 + 256 * 4 + self.count * (ID_LEN + 4);
        let Some(table) = self.index.get(start..start + 4 * self.count) else {
            return false;
        };
        let (Ok(lo), Ok(hi)) = (i32::try_from(range.start), i32::try_from(range.end)) else {
            return false; // a pack past 2 GiB: entry by entry
        };
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { all_within_avx2(table, lo, hi) };
        }
        all_within(table, lo, hi)
    }

    fn offset(&self, position: usize) -> Option<usize> {
        let offsets = 8 + 256 * 4 + self.count * (ID_LEN + 4);
        let small = be32(&self.index, offsets + position * 4)?;
        if small & 0x8000_0000 == 0 {
            return Some(small as usize);
        }
        let large = offsets + self.count * 4 + (small & 0x7fff_ffff) as usize * 8;
        let hi = be32(&self.index, large)? as u64;
        let lo = be32(&self.index, large + 4)? as u64;
        usize::try_from(hi << 32 | lo).ok()
    }

    /// The type, the (inflated) size and where the body starts, of the entry at `at`.
    fn entry_header(&self, at: usize) -> Option<(u8, usize, usize)> {
        let mut i = at;
        let data = self.data.get(..self.len)?;
        let mut byte = *data.get(i)?;
        let kind = (byte >> 4) & 7;
        let mut size = (byte & 15) as usize;
        let mut shift = 4;
        while byte & 0x80 != 0 {
            i += 1;
            byte = *data.get(i)?;
            if shift > 63 {
                return None;
            }
            size |= ((byte & 0x7f) as usize).checked_shl(shift)?;
            shift += 7;
        }
        Some((kind, size, i + 1))
    }
}

/// Whether every big-endian 32-bit entry of `table`, read as signed (a 64-bit table entry is
/// negative), lies in `lo..hi`: the least and the greatest entry, as a signed min and max
/// without a branch, so that it vectorises (eight entries a step with AVX2).
#[inline(always)]
fn all_within(table: &[u8], lo: i32, hi: i32) -> bool {
    let (mut least, mut greatest) = (i32::MAX, i32::MIN);
    for chunk in table.chunks_exact(4) {
        let v = i32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        least = least.min(v);
        greatest = greatest.max(v);
    }
    table.len() < 4 || (least >= lo && greatest < hi)
}

/// [`all_within`] compiled for AVX2: eight entries per step, byte-swapped by one shuffle.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn all_within_avx2(table: &[u8], lo: i32, hi: i32) -> bool {
    all_within(table, lo, hi)
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// An `OFS_DELTA` entry's distance back to its base, and how many bytes encoded it.
fn ofs_delta_base(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    let mut byte = *bytes.first()?;
    let mut distance = (byte & 0x7f) as usize;
    while byte & 0x80 != 0 {
        i += 1;
        byte = *bytes.get(i)?;
        distance = (distance + 1).checked_shl(7)? | (byte & 0x7f) as usize;
    }
    Some((distance, i + 1))
}

#[cfg(test)]
thread_local! {
    /// How many zlib streams this thread inflated, for the tests.
    static INFLATED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Inflates the zlib stream at the start of `bytes`, which must give exactly `size` bytes.
fn inflate(z: &mut Decompress, bytes: &[u8], size: usize) -> Result<Vec<u8>, Corrupt> {
    #[cfg(test)]
    INFLATED.set(INFLATED.get() + 1);
    if size
        > bytes
            .len()
            .saturating_mul(MAX_INFLATE_RATIO)
            .saturating_add(64)
    {
        return Err(format!(
            "an entry that claims {size} bytes, more than the {} bytes left in the pack can hold",
            bytes.len()
        ));
    }
    z.reset(true);
    let mut out = Vec::new();
    inflate_into(z, bytes, size, &mut out)?;
    Ok(out)
}

/// Continues the stream `z` over `bytes` into `out` until it ends, which must be at exactly
/// `size` bytes; the output grows by at most [`INFLATE_STEP`] at a time, never to more than
/// `size + 1`.
fn inflate_into(
    z: &mut Decompress,
    bytes: &[u8],
    size: usize,
    out: &mut Vec<u8>,
) -> Result<(), Corrupt> {
    loop {
        let before = (out.len(), z.total_in());
        // One byte more than expected, so that a stream longer than its header says shows.
        let room = (size + 1 - out.len().min(size + 1)).min(INFLATE_STEP);
        if room == 0 {
            return Err(format!(
                "a zlib stream longer than the {size} bytes claimed"
            ));
        }
        out.reserve_exact(room);
        let input = bytes
            .get(usize::try_from(z.total_in()).unwrap_or(usize::MAX)..)
            .unwrap_or_default();
        let status = z
            .decompress_vec(input, out, FlushDecompress::Finish)
            .map_err(|e| format!("a damaged zlib stream ({e})"))?;
        match status {
            Status::StreamEnd => break,
            // No progress: the input ran out before the stream ended.
            _ if (out.len(), z.total_in()) == before => {
                return Err("a truncated zlib stream".into());
            }
            _ => {}
        }
    }
    if out.len() != size {
        return Err(format!(
            "a zlib stream of {} bytes where {size} were claimed",
            out.len()
        ));
    }
    Ok(())
}

/// A delta's size varint (little-endian groups of 7 bits) and the rest of the delta.
fn delta_size(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let mut size = 0usize;
    let mut shift = 0;
    for (i, &b) in bytes.iter().enumerate() {
        size |= ((b & 0x7f) as usize).checked_shl(shift)?;
        shift += 7;
        if b & 0x80 == 0 {
            return Some((size, &bytes[i + 1..]));
        }
    }
    None
}

/// Applies git's delta format to `base`.
fn apply_delta(base: &[u8], delta: &[u8]) -> Option<Vec<u8>> {
    let (base_size, rest) = delta_size(delta)?;
    let (size, mut ops) = delta_size(rest)?;
    if base_size != base.len() {
        return None;
    }
    // The claimed size is not trusted with an allocation: the output grows as it is built,
    // and is refused as soon as it passes the claim.
    let mut out = Vec::with_capacity(size.min(base.len() + delta.len()));
    while let Some((&op, rest)) = ops.split_first() {
        if out.len() > size {
            return None;
        }
        ops = rest;
        if op & 0x80 != 0 {
            let mut read = |bit: u8, shift: u32, value: &mut usize| -> Option<()> {
                if op & bit != 0 {
                    let (&b, rest) = ops.split_first()?;
                    ops = rest;
                    *value |= (b as usize) << shift;
                }
                Some(())
            };
            let (mut offset, mut len) = (0usize, 0usize);
            read(0x01, 0, &mut offset)?;
            read(0x02, 8, &mut offset)?;
            read(0x04, 16, &mut offset)?;
            read(0x08, 24, &mut offset)?;
            read(0x10, 0, &mut len)?;
            read(0x20, 8, &mut len)?;
            read(0x40, 16, &mut len)?;
            if len == 0 {
                len = 0x10000;
            }
            out.extend_from_slice(base.get(offset..offset.checked_add(len)?)?);
        } else if op != 0 {
            let n = op as usize;
            out.extend_from_slice(ops.get(..n)?);
            ops = &ops[n..];
        } else {
            return None;
        }
    }
    (out.len() == size).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas() {
        // Base "hello world", result "hello there world": copy 6, insert "there ", copy 5.
        let base = b"hello world";
        let delta = [
            11, 17, 0x90, 6, 6, b't', b'h', b'e', b'r', b'e', b' ', 0x91, 6, 5,
        ];
        assert_eq!(
            apply_delta(base, &delta).unwrap(),
            b"hello there world".to_vec()
        );
        // A base of the wrong size, or a copy past its end, is refused.
        assert!(apply_delta(b"hello", &delta).is_none());
        assert!(apply_delta(base, &[11, 5, 0x91, 10, 5]).is_none());
    }

    #[test]
    fn a_base_asked_for_a_moment_ago_is_not_inflated_again() {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str], input: &str| crate::git::run_git(dir.path(), args, input);
        git(&["init", "-q", "--bare"], "");
        let text: String = (0..200).map(|i| format!("line {i}\n")).collect();
        let a = git(&["hash-object", "-w", "--stdin"], &text);
        let b = git(
            &["hash-object", "-w", "--stdin"],
            &format!("{text}one more\n"),
        );
        git(
            &[
                "pack-objects",
                "-q",
                &format!("{}/objects/pack/pack", dir.path().display()),
            ],
            &format!("{a}{b}"),
        );
        let packs = Packs::open(&dir.path().join("objects"));
        let ids = [a.trim(), b.trim()].map(|h| Oid::from_str(h).unwrap());
        // Which of the two git stored whole, and which as a delta of it.
        let is_delta = |id: &Oid| {
            let (pack, at) = packs.find(id.as_bytes()).unwrap();
            matches!(packs.packs[pack].entry_header(at).unwrap().0, 6 | 7)
        };
        let (delta, whole): (Vec<Oid>, Vec<Oid>) = ids.iter().partition(|id| is_delta(id));
        assert_eq!(
            (delta.len(), whole.len()),
            (1, 1),
            "git stored one as a delta of the other"
        );
        INFLATED.set(0);
        packs.read(whole[0]).unwrap().unwrap();
        let (_, built) = packs.read(delta[0]).unwrap().unwrap();
        assert!(built.len() > text.len() - 20);
        // The whole object once, the delta once: the base came from the objects just read.
        assert_eq!(INFLATED.get(), 2);
    }

    /// An index listing `offsets` (ids `[i + 1; 20]`) for a pack of `len` bytes, 64-bit
    /// entries given as `u64`s past 2^31.
    fn packs_with_offsets(offsets: &[u64], len: usize) -> Packs {
        let n = offsets.len();
        let mut idx = b"\xfftOc\0\0\0\x02".to_vec();
        for first in 0..256usize {
            let below = (0..n).filter(|&i| i < first).count();
            idx.extend_from_slice(&(below as u32).to_be_bytes());
        }
        for i in 0..n {
            idx.extend_from_slice(&[i as u8 + 1; ID_LEN]);
        }
        idx.extend(std::iter::repeat_n(0u8, 4 * n));
        let mut large = Vec::new();
        for &at in offsets {
            let small = match u32::try_from(at) {
                Ok(v) if v < 0x8000_0000 => v,
                _ => {
                    large.extend_from_slice(&at.to_be_bytes());
                    0x8000_0000 | (large.len() / 8 - 1) as u32
                }
            };
            idx.extend_from_slice(&small.to_be_bytes());
        }
        idx.extend_from_slice(&large);
        idx.extend_from_slice(&[0; 2 * ID_LEN]);
        let mut pack = b"PACK\0\0\0\x02".to_vec();
        pack.resize(len, 0);
        Packs::from_bytes(&idx, &pack).unwrap()
    }

    #[test]
    fn offsets_checked_in_one_pass_as_entry_by_entry() {
        let len = 1000; // offsets 12..980 lie inside, before the trailer
        for (offsets, ok) in [
            (vec![], true),
            (vec![12], true),
            (vec![979; 37], true),
            ((12..979).step_by(4).collect::<Vec<_>>(), true),
            (vec![11], false),
            (vec![0], false),
            (vec![980], false),
            (vec![12, 500, 978, 980, 13], false),
            (vec![100, 1 << 31], false),
            (vec![100, 1 << 40], false),
            (vec![100, u64::from(u32::MAX)], false),
        ] {
            let packs = packs_with_offsets(&offsets, len);
            assert_eq!(packs.check_offsets().is_ok(), ok, "{offsets:?}");
            let p = &packs.packs[0];
            let start = 8 + 256 * 4 + p.count * (ID_LEN + 4);
            let table = &p.index[start..start + 4 * p.count];
            let plain = all_within(table, 12, 980);
            assert_eq!(plain, ok, "{offsets:?}");
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                assert_eq!(unsafe { all_within_avx2(table, 12, 980) }, plain);
            }
        }
    }

    #[test]
    fn varints() {
        assert_eq!(
            delta_size(&[0x80 | 1, 2, 9]),
            Some((1 + (2 << 7), &[9][..]))
        );
        assert_eq!(ofs_delta_base(&[5]), Some((5, 1)));
        // git's offset encoding adds one per continuation byte.
        assert_eq!(ofs_delta_base(&[0x81, 0]), Some(((1 + 1) << 7, 2)));
    }
}
