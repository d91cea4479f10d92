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

/// Objects kept built in the cache, in bytes, at most.
const CACHE_BYTES: usize = 32 << 20;

/// The pack files of a repository's object store.
pub struct Packs {
    packs: Vec<Pack>,
    cache: RefCell<Cache>,
    /// One zlib state, reset for each stream (setting one up costs more than a small object).
    zlib: RefCell<Decompress>,
}

/// One pack and its index, mapped into memory.
struct Pack {
    index: Mmap,
    data: Mmap,
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

impl Packs {
    /// The packs in `objects/pack/` of the object store `objects`; packs it cannot read are
    /// left out (their objects are then not found here).
    pub fn open(objects: &Path) -> Packs {
        let mut packs = Vec::new();
        if let Ok(dir) = std::fs::read_dir(objects.join("pack")) {
            for entry in dir.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "idx")
                    && let Some(pack) = Pack::open(&path, &path.with_extension("pack"))
                {
                    packs.push(pack);
                }
            }
        }
        Packs {
            packs,
            cache: RefCell::default(),
            zlib: RefCell::new(Decompress::new(true)),
        }
    }

    /// The type and content of the object `id`, if a pack holds it (and it reads correctly).
    pub fn read(&self, id: Oid) -> Option<Built> {
        let (pack, offset) = self.find(id.as_bytes())?;
        self.read_at(pack, offset, 0)
    }

    fn find(&self, id: &[u8]) -> Option<(usize, usize)> {
        self.packs
            .iter()
            .enumerate()
            .find_map(|(i, p)| p.find(id).map(|offset| (i, offset)))
    }

    /// The object at `offset` in pack `pack`, its deltas applied. `depth` guards against a
    /// corrupt pack whose deltas loop.
    fn read_at(
        &self,
        pack: usize,
        offset: usize,
        depth: usize,
    ) -> Option<(ObjectType, Rc<Vec<u8>>)> {
        if depth > 10_000 {
            return None;
        }
        // Walk down the chain to a whole object or one already built, then apply the deltas
        // on the way back up, keeping each result.
        let mut chain = Vec::new();
        let mut at = offset;
        let (kind, mut data) = loop {
            if let Some(hit) = self.cache.borrow().get((pack, at)) {
                break hit;
            }
            let p = &self.packs[pack];
            let (kind, size, body) = p.entry_header(at)?;
            match kind {
                1..=4 => {
                    let kind = match kind {
                        1 => ObjectType::Commit,
                        2 => ObjectType::Tree,
                        3 => ObjectType::Blob,
                        _ => ObjectType::Tag,
                    };
                    let data =
                        Rc::new(inflate(&mut self.zlib.borrow_mut(), &p.data[body..], size)?);
                    // Kept only when it is the base of the chain being built.
                    if !chain.is_empty() {
                        self.cache.borrow_mut().put((pack, at), kind, data.clone());
                    }
                    break (kind, data);
                }
                6 => {
                    let (distance, delta) = ofs_delta_base(&p.data[body..])?;
                    chain.push((at, body + delta, size));
                    at = at.checked_sub(distance)?;
                }
                7 => {
                    let base = p.data.get(body..body + ID_LEN)?;
                    chain.push((at, body + ID_LEN, size));
                    let (base_pack, base_at) = self.find(base)?;
                    if base_pack != pack {
                        let (kind, data) = self.read_at(base_pack, base_at, depth + 1)?;
                        break (kind, data);
                    }
                    at = base_at;
                }
                _ => return None,
            }
        };
        while let Some((at, delta_at, size)) = chain.pop() {
            let delta = inflate(
                &mut self.zlib.borrow_mut(),
                &self.packs[pack].data[delta_at..],
                size,
            )?;
            data = Rc::new(apply_delta(&data, &delta)?);
            // Each link but the object asked for is the base of the next (git's delta base
            // cache keeps the same).
            if !chain.is_empty() {
                self.cache.borrow_mut().put((pack, at), kind, data.clone());
            }
        }
        Some((kind, data))
    }
}

impl Pack {
    fn open(index: &Path, data: &Path) -> Option<Pack> {
        // SAFETY: git never changes a pack or its index once written (it writes new files and
        // renames them into place), so the mapped bytes do not change under us.
        let index = unsafe { Mmap::map(&File::open(index).ok()?) }.ok()?;
        let data = unsafe { Mmap::map(&File::open(data).ok()?) }.ok()?;
        if index.get(..8)? != b"\xfftOc\0\0\0\x02" || data.get(..4)? != b"PACK" {
            return None;
        }
        let count = be32(&index, 8 + 255 * 4)? as usize;
        // Fan-out, ids, CRCs, offsets.
        if index.len() < 8 + 256 * 4 + count * (ID_LEN + 8) {
            return None;
        }
        Some(Pack { index, data, count })
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
        let mut byte = *self.data.get(i)?;
        let kind = (byte >> 4) & 7;
        let mut size = (byte & 15) as usize;
        let mut shift = 4;
        while byte & 0x80 != 0 {
            i += 1;
            byte = *self.data.get(i)?;
            size |= ((byte & 0x7f) as usize).checked_shl(shift)?;
            shift += 7;
        }
        Some((kind, size, i + 1))
    }
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

/// Inflates the zlib stream at the start of `bytes`, which must give exactly `size` bytes.
fn inflate(z: &mut Decompress, bytes: &[u8], size: usize) -> Option<Vec<u8>> {
    // One byte more than expected, so that a stream longer than its header says shows.
    let mut out = Vec::with_capacity(size + 1);
    z.reset(true);
    loop {
        let before = out.len();
        let input = bytes.get(z.total_in() as usize..)?;
        match z
            .decompress_vec(input, &mut out, FlushDecompress::Finish)
            .ok()?
        {
            Status::StreamEnd => break,
            // No progress: out of output room (too long) or input (truncated).
            _ if out.len() == before => return None,
            _ => {}
        }
    }
    (out.len() == size).then_some(out)
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
    let mut out = Vec::with_capacity(size);
    while let Some((&op, rest)) = ops.split_first() {
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
