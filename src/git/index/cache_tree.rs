//! The cache-tree extension (`TREE`): for each folder, the id of the tree object its index
//! entries would make, or "invalid" when some entry below it changed since.
//!
//! Implemented: reading it as git's `cache_tree_read` does (children kept in git's order:
//! shorter names first, then bytewise), `cache_tree_invalidate_path`, and writing it back as
//! `cache_tree_write` does. Not implemented: computing tree ids (git does that on its next
//! commit, for the invalidated folders only).

/// One folder of the cache tree.
struct Node<'a> {
    /// The folder's own name (not its path); empty for the root.
    name: &'a [u8],
    /// Index entries covered, or -1 when invalid.
    entry_count: i64,
    /// The tree id, present when `entry_count >= 0`.
    oid: &'a [u8],
    /// Positions in `CacheTree::nodes`, in git's order.
    children: Vec<usize>,
}

/// A parsed cache tree, borrowing the extension's bytes.
pub(crate) struct CacheTree<'a> {
    /// Node 0 is the root.
    nodes: Vec<Node<'a>>,
}

/// git's `subtree_name_cmp`: shorter names first, then bytewise.
fn name_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl<'a> CacheTree<'a> {
    /// Parses the extension's payload; `None` when git would not accept it either (git then
    /// ignores the cache tree and writes none).
    pub(super) fn parse(data: &'a [u8], oid_len: usize) -> Option<CacheTree<'a>> {
        if data.first() != Some(&0) {
            return None; // not the whole tree
        }
        let mut tree = CacheTree { nodes: Vec::new() };
        let mut pos = 0;
        tree.read_one(data, &mut pos, oid_len, 0)?;
        Some(tree)
    }

    fn read_one(
        &mut self,
        data: &'a [u8],
        pos: &mut usize,
        oid_len: usize,
        depth: usize,
    ) -> Option<usize> {
        if depth > 4096 {
            return None;
        }
        let rest = &data[*pos..];
        let nul = rest.iter().position(|&b| b == 0)?;
        let name = &rest[..nul];
        *pos += nul + 1;
        let entry_count = parse_int(data, pos)?;
        if data.get(*pos) != Some(&b' ') {
            return None;
        }
        *pos += 1;
        let subtree_nr = parse_int(data, pos)?;
        if data.get(*pos) != Some(&b'\n') {
            return None;
        }
        *pos += 1;
        let oid = if entry_count >= 0 {
            let oid = data.get(*pos..*pos + oid_len)?;
            *pos += oid_len;
            oid
        } else {
            &[]
        };
        let me = self.nodes.len();
        self.nodes.push(Node {
            name,
            entry_count,
            oid,
            children: Vec::new(),
        });
        if subtree_nr < 0 {
            return None; // git dies on it ("internal error")
        }
        for _ in 0..subtree_nr {
            let child = self.read_one(data, pos, oid_len, depth + 1)?;
            let children = &self.nodes[me].children;
            let name = self.nodes[child].name;
            match children.binary_search_by(|&c| name_order(self.nodes[c].name, name)) {
                Ok(_) => return None, // git dies on a duplicate ("internal error")
                Err(at) => self.nodes[me].children.insert(at, child),
            }
        }
        Some(me)
    }

    fn find_child(&self, node: usize, name: &[u8]) -> Option<usize> {
        let children = &self.nodes[node].children;
        children
            .binary_search_by(|&c| name_order(self.nodes[c].name, name))
            .ok()
    }

    /// The tree id recorded for the folder `dir` (`a/b`, empty for the root), when the cache
    /// tree has a valid node for it: the id of the tree its index entries make.
    pub(crate) fn valid_oid(&self, dir: &[u8]) -> Option<&'a [u8]> {
        let mut node = 0;
        if !dir.is_empty() {
            for name in dir.split(|&b| b == b'/') {
                let at = self.find_child(node, name)?;
                node = self.nodes[node].children[at];
            }
        }
        let n = &self.nodes[node];
        (n.entry_count >= 0).then_some(n.oid)
    }

    /// git's `cache_tree_invalidate_path` for a removed index entry at `path`: every folder on
    /// the way down is invalidated, and a subtree with the path's own name is dropped.
    pub(super) fn invalidate(&mut self, path: &[u8]) {
        let mut node = 0;
        let mut rest = path;
        loop {
            self.nodes[node].entry_count = -1;
            match rest.iter().position(|&b| b == b'/') {
                None => {
                    if let Some(at) = self.find_child(node, rest) {
                        self.nodes[node].children.remove(at);
                    }
                    return;
                }
                Some(slash) => match self.find_child(node, &rest[..slash]) {
                    Some(at) => {
                        node = self.nodes[node].children[at];
                        rest = &rest[slash + 1..];
                    }
                    None => return,
                },
            }
        }
    }

    /// The extension's payload, as git's `cache_tree_write` produces it.
    pub(super) fn write(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.nodes.len() * 40);
        self.write_one(0, &mut out);
        out
    }

    fn write_one(&self, node: usize, out: &mut Vec<u8>) {
        let n = &self.nodes[node];
        out.extend_from_slice(n.name);
        out.push(0);
        out.extend_from_slice(format!("{} {}\n", n.entry_count, n.children.len()).as_bytes());
        if n.entry_count >= 0 {
            out.extend_from_slice(n.oid);
        }
        for &child in &n.children {
            self.write_one(child, out);
        }
    }
}

/// git's `parse_int` in cache-tree.c: any number of `-`, then decimal digits.
fn parse_int(data: &[u8], pos: &mut usize) -> Option<i64> {
    let start = *pos;
    let mut sign = 1i64;
    while data.get(*pos) == Some(&b'-') {
        sign = -sign;
        *pos += 1;
    }
    let mut value: i64 = 0;
    while let Some(&d) = data.get(*pos).filter(|d| d.is_ascii_digit()) {
        value = value.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
        *pos += 1;
    }
    if *pos == start {
        return None;
    }
    Some(sign * value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// root (valid, 3 entries) with subtrees "b" (valid) and "aa" (valid, with "x").
    fn sample() -> Vec<u8> {
        let mut d = Vec::new();
        d.extend_from_slice(b"\x003 2\n");
        d.extend_from_slice(&[1; 20]);
        // Written in git's order: "b" (shorter) before "aa".
        d.extend_from_slice(b"b\x001 0\n");
        d.extend_from_slice(&[2; 20]);
        d.extend_from_slice(b"aa\x002 1\n");
        d.extend_from_slice(&[3; 20]);
        d.extend_from_slice(b"x\x001 0\n");
        d.extend_from_slice(&[4; 20]);
        d
    }

    #[test]
    fn round_trip_is_identical() {
        let data = sample();
        let tree = CacheTree::parse(&data, 20).unwrap();
        assert_eq!(tree.write(), data);
    }

    #[test]
    fn invalidating_a_path_invalidates_its_folders_only() {
        let data = sample();
        let mut tree = CacheTree::parse(&data, 20).unwrap();
        tree.invalidate(b"aa/x/f.pyc");
        let mut want = Vec::new();
        want.extend_from_slice(b"\x00-1 2\n");
        want.extend_from_slice(b"b\x001 0\n");
        want.extend_from_slice(&[2; 20]);
        want.extend_from_slice(b"aa\x00-1 1\n");
        want.extend_from_slice(b"x\x00-1 0\n");
        assert_eq!(tree.write(), want);
    }

    #[test]
    fn a_path_naming_a_subtree_drops_it() {
        let data = sample();
        let mut tree = CacheTree::parse(&data, 20).unwrap();
        tree.invalidate(b"b");
        let mut want = Vec::new();
        want.extend_from_slice(b"\x00-1 1\n");
        want.extend_from_slice(b"aa\x002 1\n");
        want.extend_from_slice(&[3; 20]);
        want.extend_from_slice(b"x\x001 0\n");
        want.extend_from_slice(&[4; 20]);
        assert_eq!(tree.write(), want);
    }

    #[test]
    fn children_are_put_in_git_order() {
        let mut d = Vec::new();
        d.extend_from_slice(b"\x00-1 2\n");
        d.extend_from_slice(b"aa\x00-1 0\n");
        d.extend_from_slice(b"b\x00-1 0\n");
        let tree = CacheTree::parse(&d, 20).unwrap();
        assert_eq!(tree.write(), b"\x00-1 2\nb\x00-1 0\naa\x00-1 0\n");
    }

    #[test]
    fn what_git_rejects_is_rejected() {
        assert!(CacheTree::parse(b"a\x00-1 0\n", 20).is_none()); // not the root
        assert!(CacheTree::parse(b"\x00-1 1\n", 20).is_none()); // missing subtree
        assert!(CacheTree::parse(b"\x001 0\n\x01", 20).is_none()); // short oid
        assert!(CacheTree::parse(b"\x00-1 2\nb\x00-1 0\nb\x00-1 0\n", 20).is_none()); // duplicate
        assert!(CacheTree::parse(b"\x00x 0\n", 20).is_none());
    }
}
