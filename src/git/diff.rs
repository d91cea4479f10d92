//! Tree diff: the paths one tree adds or changes relative to another, found by comparing the two
//! trees entry by entry and descending only into subtrees whose ids differ.
//!
//! This is what `git diff-tree -r --no-renames` does, restricted to what a commit *brings in*:
//! - A path counts when the new tree has a blob, symbolic link or submodule there and the old
//!   tree has nothing with the same id and mode at that path: added, modified, mode-changed, or
//!   type-changed (`--diff-filter=AMT`). Deletions are not reported.
//! - There is no rename detection: a renamed file is an addition at its new path, which is what
//!   a policy about paths needs (a cache renamed into a kept folder is judged where it now is).
//! - A subtree whose id is the same on both sides is skipped without being read, so the cost
//!   follows the size of the change, not of the repository.
//!
//! Entries are merged in git's tree order, in which a folder `a` sorts as `a/`. A file replaced
//! by a folder of the same name (or the reverse) is therefore two different entries, and
//! everything in the new folder is an addition, as git reports it.
//!
//! Trees are read raw from the object database and scanned in place (`MODE NAME\0ID` records),
//! as git's own tree walker does, rather than through libgit2's tree objects, which allocate and
//! cache an entry per record: on a long history that difference is most of the time.

use std::cmp::Ordering;

use std::rc::Rc;

use git2::{ObjectType, Odb, Oid, Repository};

use crate::git::pack::Packs;

/// The file mode of a subtree entry.
pub(crate) const MODE_TREE: u32 = 0o040000;

/// Bytes of an object id (SHA-1; libgit2 reads no other object format by default).
const ID_LEN: usize = 20;

/// git's `core.maxTreeDepth` default: trees nested deeper are refused (`git ls-tree -r` says
/// "exceeded maximum allowed tree depth"), and so are they here.
pub(crate) const MAX_TREE_DEPTH: usize = 2048;

/// The error for a tree nested deeper than [`MAX_TREE_DEPTH`].
pub(crate) fn too_deep(id: Oid) -> git2::Error {
    git2::Error::from_str(&format!(
        "tree {id} is nested deeper than {MAX_TREE_DEPTH} folders, git's core.maxTreeDepth \
         (git: \"exceeded maximum allowed tree depth\")"
    ))
}

/// Reads trees (and commit headers) from a repository's object database: from its packs
/// directly ([`crate::git::pack`]), anything else through libgit2.
pub(crate) struct Objects<'r> {
    repo: &'r Repository,
    /// libgit2's object database, opened only if something is in neither the packs nor the
    /// loose objects (an alternate object store).
    odb: std::cell::OnceCell<Odb<'r>>,
    packs: Rc<Packs>,
    /// The object store, for loose objects.
    dir: std::path::PathBuf,
}

/// An object store's packs, as its `pack/` folder listed them.
struct OpenedPacks {
    dir: std::path::PathBuf,
    /// The `pack/` folder's modification time when it was listed: adding or removing a pack
    /// changes it. `None` when it could not be read (the folder is then listed on every miss).
    listed_at: Option<std::time::SystemTime>,
    indexes: Vec<std::ffi::OsString>,
    packs: Rc<Packs>,
}

thread_local! {
    /// The packs opened so far, by object store: a command opens [`Objects`] in several places
    /// (repository checks, revisions, the range, the policy), and each would otherwise list the
    /// `pack/` folder again, map the packs again and rebuild the same objects.
    static OPENED: std::cell::RefCell<Vec<OpenedPacks>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[cfg(test)]
thread_local! {
    /// How many times this thread listed a `pack/` folder, for the tests.
    static LISTINGS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The packs of the object store `dir`, shared with every [`Objects`] of the same store. Its
/// `pack/` folder is listed once; objects are named by their content, so packs opened earlier
/// can only give right answers, and an object found nowhere makes [`refreshed_packs`] look
/// again (as git's `reprepare_packed_git` does on a miss).
fn shared_packs(dir: &std::path::Path) -> Rc<Packs> {
    let known = OPENED.with_borrow(|opened| {
        opened
            .iter()
            .find(|o| o.dir == dir)
            .map(|o| o.packs.clone())
    });
    known.unwrap_or_else(|| refreshed_packs(dir).1)
}

/// The packs of `dir` as its `pack/` folder lists them now: listed again only if the folder
/// changed since it was (objects of an alternate store are in none of these packs, and each
/// would otherwise list it again), and opened again only if the list changed. Says whether
/// the packs changed.
fn refreshed_packs(dir: &std::path::Path) -> (bool, Rc<Packs>) {
    let listed_at = std::fs::metadata(dir.join("pack"))
        .and_then(|m| m.modified())
        .ok();
    let unchanged = OPENED.with_borrow(|opened| {
        opened
            .iter()
            .find(|o| o.dir == dir && listed_at.is_some() && o.listed_at == listed_at)
            .map(|o| o.packs.clone())
    });
    if let Some(packs) = unchanged {
        return (false, packs);
    }
    #[cfg(test)]
    LISTINGS.set(LISTINGS.get() + 1);
    let indexes = Packs::index_names(dir);
    OPENED.with_borrow_mut(|opened| {
        if let Some(o) = opened
            .iter_mut()
            .find(|o| o.dir == dir && o.indexes == indexes)
        {
            o.listed_at = listed_at;
            return (false, o.packs.clone());
        }
        let packs = Rc::new(Packs::open_indexes(dir, &indexes));
        opened.retain(|o| o.dir != dir);
        opened.push(OpenedPacks {
            dir: dir.to_path_buf(),
            listed_at,
            indexes,
            packs: packs.clone(),
        });
        (true, packs)
    })
}

/// What [`Objects::commit`] reads of a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CommitHeader {
    /// Its tree.
    pub(crate) tree: Oid,
    /// Its parents, in order.
    pub(crate) parents: Vec<Oid>,
    /// Its committer date, in seconds since the epoch.
    pub(crate) time: i64,
}

impl<'r> Objects<'r> {
    /// The object database of `repo`.
    pub(crate) fn new(repo: &'r Repository) -> Result<Objects<'r>, git2::Error> {
        let dir = repo.commondir().join("objects");
        Ok(Objects {
            repo,
            odb: std::cell::OnceCell::new(),
            packs: shared_packs(&dir),
            dir,
        })
    }

    fn odb(&self) -> Result<&Odb<'r>, git2::Error> {
        if let Some(odb) = self.odb.get() {
            return Ok(odb);
        }
        let odb = self.repo.odb()?;
        Ok(self.odb.get_or_init(|| odb))
    }

    /// The type and content of the object `id`, from the packs or the loose objects, both
    /// read by this crate's bounded readers ([`crate::git::pack`]). Only an object in neither
    /// (an alternate object store) is read by libgit2.
    pub(crate) fn read_any(&self, id: Oid) -> Result<(ObjectType, Rc<Vec<u8>>), git2::Error> {
        let unreadable =
            |what: String| git2::Error::from_str(&format!("object {id} cannot be read: {what}"));
        if let Some(found) = self.packs.read(id).map_err(unreadable)? {
            return Ok(found);
        }
        if let Some(found) = crate::git::pack::read_loose(&self.dir, id).map_err(unreadable)? {
            return Ok(found);
        }
        // Found nowhere: a pack may have come since the folder was listed (a repack moves
        // loose objects into a new one).
        if let (true, packs) = refreshed_packs(&self.dir)
            && let Some(found) = packs.read(id).map_err(unreadable)?
        {
            return Ok(found);
        }
        // Alternates: libgit2 (libgit2-sys 0.18.8+1.9.7) reads them, with its own defects
        // (a truncated loose object there inflates forever).
        let object = self.odb()?.read(id)?;
        Ok((object.kind(), Rc::new(object.data().to_vec())))
    }

    /// The tree `id`, every record of it checked (a malformed one is an error naming the tree).
    pub(crate) fn checked_tree(&self, id: Oid) -> Result<Rc<Vec<u8>>, git2::Error> {
        let data = self.read(id, ObjectType::Tree)?;
        if Entries::new(&data).any(|e| e.is_none()) {
            return Err(malformed(id));
        }
        Ok(data)
    }

    /// Whether the object `id` is in the object store (an index lookup, or a loose file), read
    /// or not.
    pub(crate) fn exists(&self, id: Oid) -> bool {
        self.packs.contains(id)
            || {
                let hex = id.to_string();
                self.dir.join(&hex[..2]).join(&hex[2..]).exists()
            }
            || self.odb().is_ok_and(|odb| odb.exists(id))
    }

    /// The type and size of the object `id`, without building a whole packed object. Never
    /// through `git2::Odb::read_header`, which panics on a pack entry of an invalid type
    /// (git2 0.21.0 unwraps the type).
    pub(crate) fn header(&self, id: Oid) -> Result<(ObjectType, usize), git2::Error> {
        let unreadable =
            |what: String| git2::Error::from_str(&format!("object {id} cannot be read: {what}"));
        if let Some(found) = self.packs.header(id).map_err(unreadable)? {
            return Ok(found);
        }
        let (kind, data) = self.read_any(id)?;
        Ok((kind, data.len()))
    }

    /// The commit `id` leads to: itself, or what its tags point at; `None` for a tree or a
    /// blob. Read with this crate's readers, so an unreadable object is an error naming it,
    /// never a ref quietly left out.
    pub(crate) fn peel_to_commit(&self, id: Oid) -> Result<Option<Oid>, git2::Error> {
        let mut at = id;
        // git peels at most this many nested tags, too (`MAXDEPTH` in peel_object is 5 for
        // names, unlimited for refs; a loop of tags cannot exist without a hash collision).
        for _ in 0..64 {
            let (kind, data) = self.read_any(at)?;
            match kind {
                ObjectType::Commit => return Ok(Some(at)),
                ObjectType::Tag => {
                    let target = data
                        .split(|&b| b == b'\n')
                        .find_map(|l| l.strip_prefix(b"object "))
                        .and_then(parse_hex)
                        .ok_or_else(|| {
                            git2::Error::from_str(&format!("tag {at} has a malformed header"))
                        })?;
                    at = target;
                }
                _ => return Ok(None),
            }
        }
        Err(git2::Error::from_str(&format!(
            "tag {id} is nested more than 64 deep"
        )))
    }

    /// The mode and id of the entry at `path` in the tree `tree`, found as libgit2's
    /// `Tree::get_path` (`git_tree_entry_bypath`) finds it: `/`-separated names compared byte
    /// for byte, a trailing `/` naming a folder itself, an empty name never found; `None` also
    /// when a tree on the way cannot be read, as for libgit2. A tree whose records are out of
    /// git's order, repeat a name, or hold a name libgit2 cannot (empty, or longer than 65535
    /// bytes) is searched by libgit2 itself, whose binary search decides there.
    pub(crate) fn entry_at(&self, tree: Oid, path: &[u8]) -> Option<(u32, Oid)> {
        let (mut at, mut rest) = (tree, path);
        loop {
            let (name, tail) = match rest.iter().position(|&b| b == b'/') {
                Some(i) => (&rest[..i], Some(&rest[i + 1..])),
                None => (rest, None),
            };
            if name.is_empty() {
                return None;
            }
            let data = self.read(at, ObjectType::Tree).ok()?;
            let (mode, id) = match find_name(&data, name) {
                Found::Entry(mode, id) => (mode, id),
                Found::Nothing => return None,
                Found::Unusual => return self.libgit2_entry(tree, path),
            };
            match tail {
                None => return Some((mode, id)),
                Some(_) if mode & 0o170000 != MODE_TREE => return None,
                Some([]) => return Some((mode, id)),
                Some(t) => (at, rest) = (id, t),
            }
        }
    }

    fn libgit2_entry(&self, tree: Oid, path: &[u8]) -> Option<(u32, Oid)> {
        let tree = self.repo.find_tree(tree).ok()?;
        let entry = tree.get_path(crate::util::path::as_path(path)).ok()?;
        Some((entry.filemode() as u32, entry.id()))
    }

    /// The mode and id of the entry at `path` in the tree `tree`, each `/`-separated name
    /// compared ignoring ASCII case with the names of its folder, the first that matches in the
    /// tree's order; `None` when there is none, or when a tree on the way is not a tree or
    /// cannot be read.
    pub(crate) fn entry_at_ignore_case(&self, tree: Oid, path: &[u8]) -> Option<(u32, Oid)> {
        let mut at = tree;
        let mut parts = path.split(|&b| b == b'/').peekable();
        while let Some(part) = parts.next() {
            let data = self.checked_tree(at).ok()?;
            let entry = Entries::new(&data)
                .flatten()
                .find(|e| e.name.eq_ignore_ascii_case(part))?;
            let (mode, id) = (entry.mode & 0xffff, Oid::from_bytes(entry.id).ok()?);
            if parts.peek().is_none() {
                return Some((mode, id));
            }
            if mode != MODE_TREE {
                return None;
            }
            at = id;
        }
        None
    }

    /// Checks the packs for what libgit2 would crash on before anything reads them with it
    /// (see [`Packs::check_offsets`]).
    pub(crate) fn check_packs(&self) -> Result<(), String> {
        self.packs.check_offsets()
    }

    /// The content of the object `id`, which must be a `kind`.
    pub(crate) fn read(&self, id: Oid, kind: ObjectType) -> Result<Rc<Vec<u8>>, git2::Error> {
        let (found, data) = self.read_any(id)?;
        if found != kind {
            return Err(git2::Error::from_str(&format!(
                "object {id} is a {}, not a {}",
                found.str(),
                kind.str()
            )));
        }
        Ok(data)
    }

    /// The tree and parents of the commit `id`, from its header.
    pub(crate) fn commit(&self, id: Oid) -> Result<CommitHeader, git2::Error> {
        let object = self.read(id, ObjectType::Commit)?;
        let bad = || git2::Error::from_str(&format!("commit {id} has a malformed header"));
        let mut tree = None;
        let mut parents = Vec::new();
        let mut time = 0;
        for line in object.split(|&b| b == b'\n') {
            if let Some(hex) = line.strip_prefix(b"tree ") {
                tree = Some(parse_hex(hex).ok_or_else(bad)?);
            } else if let Some(hex) = line.strip_prefix(b"parent ") {
                parents.push(parse_hex(hex).ok_or_else(bad)?);
            } else if let Some(ident) = line.strip_prefix(b"committer ") {
                // `NAME <EMAIL> SECONDS TZ`
                time = ident
                    .rsplit(|&b| b == b' ')
                    .nth(1)
                    .and_then(|t| std::str::from_utf8(t).ok())
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0);
            } else if line.is_empty() {
                break;
            }
        }
        Ok(CommitHeader {
            tree: tree.ok_or_else(bad)?,
            parents,
            time,
        })
    }

    /// The summary of the commit `id`: the first paragraph of its message on one line, as
    /// `git log --format=%s` shows it (bytes that are not UTF-8 replaced).
    pub(crate) fn summary(&self, id: Oid) -> Result<String, git2::Error> {
        let object = self.read(id, ObjectType::Commit)?;
        let message = object
            .windows(2)
            .position(|w| w == b"\n\n")
            .map_or(&[][..], |i| &object[i + 2..]);
        let message = String::from_utf8_lossy(message);
        let paragraph = message
            .trim_start_matches('\n')
            .split("\n\n")
            .next()
            .unwrap_or("");
        Ok(paragraph
            .trim()
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join(" "))
    }

    /// Calls `visit(path, mode, id)` for every entry (other than a folder) of the tree `new`
    /// that the tree `old` does not have at the same path with the same id and mode. With no
    /// `old` (a root commit, or a whole tree), every entry of `new` is visited.
    ///
    /// `path` is repository-relative and `/`-separated; the buffer is reused, so copy it to keep
    /// it. Entries are visited in git's order (the order of `git ls-tree -r`).
    pub fn added_or_modified<F>(
        &self,
        old: Option<Oid>,
        new: Oid,
        visit: &mut F,
    ) -> Result<(), git2::Error>
    where
        F: FnMut(&[u8], u32, Oid),
    {
        if old == Some(new) {
            return Ok(());
        }
        let mut path = Vec::with_capacity(256);
        self.walk(old, new, &mut path, visit)
    }

    /// The diff, with an explicit stack of folders (a hostile tree may be nested 100,000
    /// deep), refusing trees deeper than [`MAX_TREE_DEPTH`].
    fn walk<F>(
        &self,
        old: Option<Oid>,
        new: Oid,
        path: &mut Vec<u8>,
        visit: &mut F,
    ) -> Result<(), git2::Error>
    where
        F: FnMut(&[u8], u32, Oid),
    {
        struct Frame {
            new_id: Oid,
            old_id: Option<Oid>,
            new: Rc<Vec<u8>>,
            old: Option<Rc<Vec<u8>>>,
            /// Where the next record of each side starts.
            new_at: usize,
            old_at: usize,
            /// The length of `path` at this folder.
            base: usize,
        }
        let frame = |old: Option<Oid>, new: Oid, base: usize| -> Result<Frame, git2::Error> {
            Ok(Frame {
                new_id: new,
                old_id: old,
                new: self.read(new, ObjectType::Tree)?,
                old: old.map(|id| self.read(id, ObjectType::Tree)).transpose()?,
                new_at: 0,
                old_at: 0,
                base,
            })
        };
        let mut stack = vec![frame(old, new, path.len())?];
        while let Some(top) = stack.last_mut() {
            let Some(parsed) = next_entry(&top.new[top.new_at..]) else {
                path.truncate(top.base);
                stack.pop();
                continue;
            };
            let (entry, used) = parsed.ok_or_else(|| malformed(top.new_id))?;
            top.new_at += used;
            // Both sides are sorted: skip the old entries that sort before this one.
            let mut same_name = None;
            if let Some(old_data) = &top.old {
                while let Some(o) = next_entry(&old_data[top.old_at..]) {
                    let (o, used) = o.ok_or_else(|| malformed(top.old_id.unwrap_or(top.new_id)))?;
                    match tree_order(&o, &entry) {
                        Ordering::Less => top.old_at += used,
                        Ordering::Equal => {
                            same_name = Some((o.mode, Oid::from_bytes(o.id)?));
                            top.old_at += used;
                            break;
                        }
                        Ordering::Greater => break,
                    }
                }
            }
            let id = Oid::from_bytes(entry.id)?;
            if same_name == Some((entry.mode, id)) {
                continue;
            }
            path.truncate(top.base);
            path.extend_from_slice(entry.name);
            if entry.mode == MODE_TREE {
                path.push(b'/');
                if stack.len() > MAX_TREE_DEPTH {
                    return Err(too_deep(new));
                }
                // Equal in tree order means the old entry is a folder too.
                let next = frame(same_name.map(|(_, o)| o), id, path.len())?;
                stack.push(next);
            } else {
                visit(path, entry.mode, id);
            }
        }
        Ok(())
    }
}

/// [`Objects::added_or_modified`] on `repo`'s objects.
pub fn added_or_modified<F>(
    repo: &Repository,
    old: Option<Oid>,
    new: Oid,
    visit: &mut F,
) -> Result<(), git2::Error>
where
    F: FnMut(&[u8], u32, Oid),
{
    Objects::new(repo)?.added_or_modified(old, new, visit)
}

/// What [`find_name`] found.
enum Found {
    /// The entry's mode (as libgit2 keeps it: 16 bits) and id.
    Entry(u32, Oid),
    /// No such name, or a malformed tree (which libgit2 cannot parse at all).
    Nothing,
    /// A tree libgit2 might search differently.
    Unusual,
}

/// The entry named `name` in the raw tree `data`, every record read.
fn find_name(data: &[u8], name: &[u8]) -> Found {
    let mut found = None;
    let mut previous: Option<Entry<'_>> = None;
    for entry in Entries::new(data) {
        let Some(entry) = entry else {
            return Found::Nothing;
        };
        if entry.name.is_empty()
            || entry.name.len() > usize::from(u16::MAX)
            || previous.is_some_and(|p| tree_order(&p, &entry) != Ordering::Less)
        {
            return Found::Unusual;
        }
        if entry.name == name {
            if found.is_some() {
                return Found::Unusual; // a file and a folder of the same name
            }
            found = Some(entry);
        }
        previous = Some(entry);
    }
    match found.and_then(|e| Some((e.mode & 0xffff, Oid::from_bytes(e.id).ok()?))) {
        Some((mode, id)) => Found::Entry(mode, id),
        None => Found::Nothing,
    }
}

fn malformed(id: Oid) -> git2::Error {
    git2::Error::from_str(&format!("tree {id} is malformed"))
}

/// An object id written as git writes one in a commit or tag: exactly 40 hex digits (git's
/// `get_oid_hex`; libgit2's `Oid::from_str` also takes a shorter one, zero-filled, and costs
/// more than the reading it replaces).
fn parse_hex(hex: &[u8]) -> Option<Oid> {
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let hex: &[u8; 40] = hex.try_into().ok()?;
    let mut raw = [0u8; 20];
    for (byte, pair) in raw.iter_mut().zip(hex.chunks_exact(2)) {
        *byte = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Oid::from_bytes(&raw).ok()
}

/// One record of a raw tree.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    /// The file mode.
    pub mode: u32,
    /// The name.
    pub name: &'a [u8],
    /// The object id's bytes.
    pub id: &'a [u8],
}

/// The records of a raw tree: `MODE SP NAME NUL ID`, MODE in octal digits. Yields `None` (and
/// stops) at a malformed record.
pub struct Entries<'a> {
    data: &'a [u8],
}

impl<'a> Entries<'a> {
    /// The records of the raw tree `data`.
    pub fn new(data: &'a [u8]) -> Entries<'a> {
        Entries { data }
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Option<Entry<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        match next_entry(self.data)? {
            Some((entry, used)) => {
                self.data = &self.data[used..];
                Some(Some(entry))
            }
            None => {
                self.data = &[];
                Some(None)
            }
        }
    }
}

/// The first record of the raw tree `data` and its length in bytes: `None` at the end,
/// `Some(None)` for a malformed record. A mode is at most 7 octal digits (git writes 5 or 6;
/// longer would overflow git's own `unsigned int` arithmetic), so it cannot overflow.
pub fn next_entry(data: &[u8]) -> Option<Option<(Entry<'_>, usize)>> {
    if data.is_empty() {
        return None;
    }
    Some((|| {
        let space = data.iter().take(8).position(|&b| b == b' ')?;
        if space == 0 {
            return None;
        }
        let mut mode = 0u32;
        for &d in &data[..space] {
            if !(b'0'..=b'7').contains(&d) {
                return None;
            }
            mode = mode * 8 + u32::from(d - b'0');
        }
        let rest = &data[space + 1..];
        let nul = rest.iter().position(|&b| b == 0)?;
        let id = rest.get(nul + 1..nul + 1 + ID_LEN)?;
        let entry = Entry {
            mode,
            name: &rest[..nul],
            id,
        };
        Some((entry, space + 1 + nul + 1 + ID_LEN))
    })())
}

/// What the tree fuzz target and the replay test run on one input: the bytes up to the first
/// `\xff\xff` are the old tree, the rest the new one; both are parsed record by record, and
/// merged in git's tree order as [`Objects::added_or_modified`] merges them, one folder level.
/// Returns the names the merge finds added or changed (or `None` for a malformed tree).
pub fn fuzz_one(data: &[u8]) -> Option<Vec<Vec<u8>>> {
    let split = data.windows(2).position(|w| w == b"\xff\xff");
    let (old, new) = match split {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (&[][..], data),
    };
    let olds: Vec<Entry<'_>> = Entries::new(old).collect::<Option<_>>()?;
    let mut olds = olds.into_iter().peekable();
    let mut changed = Vec::new();
    for entry in Entries::new(new) {
        let entry = entry?;
        let mut same = None;
        while let Some(o) = olds.peek() {
            match tree_order(o, &entry) {
                Ordering::Less => {
                    olds.next();
                }
                Ordering::Equal => {
                    same = olds.next();
                    break;
                }
                Ordering::Greater => break,
            }
        }
        if !same.is_some_and(|o| o.id == entry.id && o.mode == entry.mode) {
            changed.push(entry.name.to_vec());
        }
    }
    Some(changed)
}

/// git's `base_name_compare`: names compared as bytes, a folder's name as if it ended in `/`.
pub fn tree_order(a: &Entry<'_>, b: &Entry<'_>) -> Ordering {
    let common = a.name.len().min(b.name.len());
    a.name[..common].cmp(&b.name[..common]).then_with(|| {
        let next = |e: &Entry<'_>| match e.name.get(common) {
            Some(&c) => c,
            None if e.mode == MODE_TREE => b'/',
            None => 0,
        };
        next(a).cmp(&next(b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a tree from `(path, content)` pairs; a content starting with `#!` is executable.
    fn tree(repo: &Repository, files: &[(&str, &str)]) -> Oid {
        let mut index = git2::Index::new().unwrap();
        for (path, content) in files {
            let id = repo.blob(content.as_bytes()).unwrap();
            let mode = if content.starts_with("#!") {
                0o100755
            } else {
                0o100644
            };
            index
                .add(&git2::IndexEntry {
                    ctime: git2::IndexTime::new(0, 0),
                    mtime: git2::IndexTime::new(0, 0),
                    dev: 0,
                    ino: 0,
                    mode,
                    uid: 0,
                    gid: 0,
                    file_size: 0,
                    id,
                    flags: path.len() as u16,
                    flags_extended: 0,
                    path: path.as_bytes().to_vec(),
                })
                .unwrap();
        }
        index.write_tree_to(repo).unwrap()
    }

    fn changed(repo: &Repository, old: Option<Oid>, new: Oid) -> Vec<String> {
        let mut out = Vec::new();
        added_or_modified(repo, old, new, &mut |p, _, _| {
            out.push(String::from_utf8(p.to_vec()).unwrap())
        })
        .unwrap();
        out
    }

    fn repo() -> (tempfile::TempDir, Repository) {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        (dir, repo)
    }

    #[test]
    fn objects_of_an_alternate_store_do_not_list_the_pack_folder_each_time() {
        let (dir, _) = repo();
        let (other, other_repo) = repo();
        let blobs: Vec<Oid> = (0..5)
            .map(|i| other_repo.blob(format!("blob {i}").as_bytes()).unwrap())
            .collect();
        std::fs::create_dir_all(dir.path().join("objects/info")).unwrap();
        std::fs::write(
            dir.path().join("objects/info/alternates"),
            format!("{}\n", other.path().join("objects").display()),
        )
        .unwrap();
        let repo = Repository::open(dir.path()).unwrap();
        LISTINGS.set(0);
        let objects = Objects::new(&repo).unwrap();
        for &id in &blobs {
            assert_eq!(objects.read(id, ObjectType::Blob).unwrap().len(), 6);
        }
        // Once when opened; the misses find the folder unchanged.
        assert_eq!(LISTINGS.get(), 1);
    }

    #[test]
    fn object_ids_in_headers_are_forty_hex_digits() {
        let id = "0123456789abcdefABCDEF0123456789abcdef01";
        assert_eq!(parse_hex(id.as_bytes()), Oid::from_str(id).ok());
        for bad in [
            "0123",
            "",
            "0123456789abcdefABCDEF0123456789abcdef012",
            "g123456789abcdef0123456789abcdef01234567",
        ] {
            assert_eq!(parse_hex(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn a_pack_made_after_the_listing_is_found_without_libgit2() {
        let (dir, repo) = repo();
        // Moves the loose object `id` into a pack of its own, as a repack would.
        let pack = |id: Oid| {
            let pack = dir.path().join("objects/pack/pack");
            let pack = pack.to_str().unwrap();
            crate::git::run_git(
                dir.path(),
                &["pack-objects", "-q", pack],
                &format!("{id}\n"),
            );
            let hex = id.to_string();
            std::fs::remove_file(dir.path().join("objects").join(&hex[..2]).join(&hex[2..]))
                .unwrap();
        };
        let a = repo.blob(b"first").unwrap();
        pack(a);
        // The folder is listed here, once for every `Objects` of this store.
        let read = |objects: &Objects, id| objects.read(id, ObjectType::Blob).unwrap().to_vec();
        assert_eq!(read(&Objects::new(&repo).unwrap(), a), b"first");
        let b = repo.blob(b"second").unwrap();
        pack(b);
        let objects = Objects::new(&repo).unwrap();
        assert_eq!(read(&objects, b), b"second");
        assert_eq!(read(&objects, a), b"first");
        assert!(
            objects.odb.get().is_none(),
            "read through libgit2, not the new pack"
        );
    }

    #[test]
    fn additions_modifications_not_deletions() {
        let (_d, repo) = repo();
        let old = tree(
            &repo,
            &[
                ("a/x.py", "1"),
                ("a/y.py", "1"),
                ("b/z", "1"),
                ("gone", "1"),
            ],
        );
        let new = tree(
            &repo,
            &[("a/x.py", "2"), ("a/y.py", "1"), ("b/z", "1"), ("c/n", "1")],
        );
        assert_eq!(changed(&repo, Some(old), new), ["a/x.py", "c/n"]);
        assert_eq!(
            changed(&repo, None, new),
            ["a/x.py", "a/y.py", "b/z", "c/n"]
        );
        assert!(changed(&repo, Some(new), new).is_empty());
    }

    #[test]
    fn file_replaced_by_folder_and_back() {
        let (_d, repo) = repo();
        // `a.b` sorts between the file `a` and the folder `a` (`a/`): the merge must not pair
        // the file `a` with the folder `a`.
        let file = tree(&repo, &[("a", "f"), ("a.b", "1")]);
        let folder = tree(&repo, &[("a/x", "f"), ("a.b", "1")]);
        assert_eq!(changed(&repo, Some(file), folder), ["a/x"]);
        assert_eq!(changed(&repo, Some(folder), file), ["a"]);
    }

    #[test]
    fn mode_change_counts() {
        let (_d, repo) = repo();
        // Same content, so the same blob id; only the executable bit differs.
        let old = tree(&repo, &[("run", "#!echo"), ("x", "#!echo")]);
        let new = tree(&repo, &[("run", "#!echo"), ("x", "#!echo")]);
        assert!(changed(&repo, Some(old), new).is_empty());
        let mut index = git2::Index::new().unwrap();
        index.read_tree(&repo.find_tree(new).unwrap()).unwrap();
        let mut entry = index.get_path(std::path::Path::new("x"), 0).unwrap();
        entry.mode = 0o100644;
        index.add(&entry).unwrap();
        let new = index.write_tree_to(&repo).unwrap();
        assert_eq!(changed(&repo, Some(old), new), ["x"]);
    }

    #[test]
    fn commit_headers_and_wrong_kinds() {
        let (_d, repo) = repo();
        let t = tree(&repo, &[("a", "1")]);
        let sig = git2::Signature::new("T", "t@e", &git2::Time::new(1234, 60)).unwrap();
        let tree_obj = repo.find_tree(t).unwrap();
        let c1 = repo
            .commit(None, &sig, &sig, "one", &tree_obj, &[])
            .unwrap();
        let parent = repo.find_commit(c1).unwrap();
        let c2 = repo
            .commit(None, &sig, &sig, "two\n\ntree 0\n", &tree_obj, &[&parent])
            .unwrap();
        let objects = Objects::new(&repo).unwrap();
        assert_eq!(
            objects.commit(c2).unwrap(),
            CommitHeader {
                tree: t,
                parents: vec![c1],
                time: 1234,
            }
        );
        assert_eq!(objects.summary(c2).unwrap(), "two");
        let c3 = repo
            .commit(
                None,
                &sig,
                &sig,
                "\nfirst\n line \n\nbody\n",
                &tree_obj,
                &[],
            )
            .unwrap();
        assert_eq!(
            objects.summary(c3).unwrap(),
            repo.find_commit(c3).unwrap().summary().unwrap().unwrap()
        );
        assert!(objects.commit(t).is_err());
        assert!(
            objects
                .added_or_modified(None, c1, &mut |_, _, _| {})
                .is_err()
        );
    }
}
