//! The resolve-undo extension (`REUC`): the conflict stages of paths whose conflict was resolved
//! (or whose entries were removed), so that `git checkout -m PATH` can recreate the conflict.
//!
//! Implemented: git's `resolve_undo_read`, `record_resolve_undo` (what removing a stage 1-3
//! entry records) and `resolve_undo_write`: records sorted by path, bytewise; per path three
//! octal modes (0 for a missing stage), then the id of each present stage.

/// A conflict stage being removed from the index.
pub(super) struct Lost<'a> {
    pub(super) path: &'a [u8],
    /// 1, 2 or 3.
    pub(super) stage: u8,
    pub(super) mode: u32,
    pub(super) oid: &'a [u8],
}

struct Record {
    path: Vec<u8>,
    modes: [u32; 3],
    oids: [Vec<u8>; 3],
}

/// Reads an existing payload, as git's `resolve_undo_read`; `None` when git would reject it
/// (git then drops the extension).
fn read(mut data: &[u8], oid_len: usize) -> Option<Vec<Record>> {
    let mut records: Vec<Record> = Vec::new();
    while !data.is_empty() {
        let nul = data.iter().position(|&b| b == 0)?;
        if data.len() <= nul + 1 {
            return None;
        }
        let path = &data[..nul];
        data = &data[nul + 1..];
        let at = find_or_insert(&mut records, path);
        for i in 0..3 {
            let nul = data.iter().position(|&b| b == 0)?;
            let text = std::str::from_utf8(&data[..nul]).ok()?;
            if text.is_empty() || data.len() <= nul + 1 {
                return None;
            }
            records[at].modes[i] = u32::from_str_radix(text, 8).ok()?;
            data = &data[nul + 1..];
        }
        for i in 0..3 {
            if records[at].modes[i] == 0 {
                continue;
            }
            let oid = data.get(..oid_len)?;
            records[at].oids[i] = oid.to_vec();
            data = &data[oid_len..];
        }
    }
    Some(records)
}

fn find_or_insert(records: &mut Vec<Record>, path: &[u8]) -> usize {
    match records.binary_search_by(|r| r.path.as_slice().cmp(path)) {
        Ok(at) => at,
        Err(at) => {
            records.insert(
                at,
                Record {
                    path: path.to_vec(),
                    modes: [0; 3],
                    oids: Default::default(),
                },
            );
            at
        }
    }
}

/// The payload after recording `lost` stages into `existing` (git's `record_resolve_undo`
/// for each, then `resolve_undo_write`).
pub(super) fn record(existing: Option<&[u8]>, lost: &[Lost<'_>], oid_len: usize) -> Vec<u8> {
    let mut records = existing.and_then(|d| read(d, oid_len)).unwrap_or_default();
    for l in lost {
        let at = find_or_insert(&mut records, l.path);
        let slot = usize::from(l.stage - 1);
        records[at].modes[slot] = l.mode;
        records[at].oids[slot] = l.oid.to_vec();
    }
    let mut out = Vec::new();
    for r in &records {
        out.extend_from_slice(&r.path);
        out.push(0);
        for mode in r.modes {
            out.extend_from_slice(format!("{mode:o}").as_bytes());
            out.push(0);
        }
        for (mode, oid) in r.modes.iter().zip(&r.oids) {
            if *mode != 0 {
                out.extend_from_slice(oid);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_merged_sorted_and_written_like_git() {
        let lost = [
            Lost {
                path: b"b.pyc",
                stage: 2,
                mode: 0o100644,
                oid: &[2; 20],
            },
            Lost {
                path: b"b.pyc",
                stage: 3,
                mode: 0o100755,
                oid: &[3; 20],
            },
        ];
        let first = record(None, &lost, 20);
        let mut want = b"b.pyc\x000\x00100644\x00100755\x00".to_vec();
        want.extend_from_slice(&[2; 20]);
        want.extend_from_slice(&[3; 20]);
        assert_eq!(first, want);

        // A path sorting before it, and a new stage 1 for the same path.
        let more = [
            Lost {
                path: b"a.pyc",
                stage: 1,
                mode: 0o100644,
                oid: &[9; 20],
            },
            Lost {
                path: b"b.pyc",
                stage: 1,
                mode: 0o100644,
                oid: &[1; 20],
            },
        ];
        let second = record(Some(&first), &more, 20);
        let mut want = b"a.pyc\x00100644\x000\x000\x00".to_vec();
        want.extend_from_slice(&[9; 20]);
        want.extend_from_slice(b"b.pyc\x00100644\x00100644\x00100755\x00");
        want.extend_from_slice(&[1; 20]);
        want.extend_from_slice(&[2; 20]);
        want.extend_from_slice(&[3; 20]);
        assert_eq!(second, want);
        // Reading what we wrote and recording nothing gives the same bytes.
        assert_eq!(record(Some(&second), &[], 20), second);
    }

    #[test]
    fn an_unreadable_payload_is_replaced() {
        let lost = [Lost {
            path: b"x.pyc",
            stage: 1,
            mode: 0o100644,
            oid: &[1; 20],
        }];
        let out = record(Some(b"garbage"), &lost, 20);
        assert!(out.starts_with(b"x.pyc\x00100644\x000\x000\x00"));
    }
}
