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

/// Reads trees (and commit headers) from a repository's object database: from its packs
/// directly ([`crate::git::pack`]), anything else through libgit2.
pub(crate) struct Objects<'r> {
    odb: Odb<'r>,
    packs: Packs,
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
        Ok(Objects {
            odb: repo.odb()?,
            packs: Packs::open(&repo.commondir().join("objects")),
        })
    }

    /// The content of the object `id`, which must be a `kind`.
    pub(crate) fn read(&self, id: Oid, kind: ObjectType) -> Result<Rc<Vec<u8>>, git2::Error> {
        let (found, data) = match self.packs.read(id) {
            Some(packed) => packed,
            None => {
                let object = self.odb.read(id)?;
                (object.kind(), Rc::new(object.data().to_vec()))
            }
        };
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
        let new_tree = self.read(new, ObjectType::Tree)?;
        let old_tree = old.map(|id| self.read(id, ObjectType::Tree)).transpose()?;
        let base = path.len();
        let mut olds = Entries::new(old_tree.as_deref().map_or(&[][..], |t| &t[..])).peekable();
        for entry in Entries::new(&new_tree) {
            let entry = entry.ok_or_else(|| malformed(new))?;
            // Both sides are sorted: skip the old entries that sort before this one.
            let mut same_name = None;
            while let Some(o) = olds.peek() {
                let o = o.ok_or_else(|| malformed(old.unwrap_or(new)))?;
                match tree_order(&o, &entry) {
                    Ordering::Less => {
                        olds.next();
                    }
                    Ordering::Equal => {
                        same_name = Some(o);
                        olds.next();
                        break;
                    }
                    Ordering::Greater => break,
                }
            }
            if same_name.is_some_and(|o| o.id == entry.id && o.mode == entry.mode) {
                continue;
            }
            path.truncate(base);
            path.extend_from_slice(entry.name);
            let id = Oid::from_bytes(entry.id)?;
            if entry.mode == MODE_TREE {
                path.push(b'/');
                // Equal in tree order means the old entry is a folder too.
                let old_id = same_name.map(|o| Oid::from_bytes(o.id)).transpose()?;
                self.walk(old_id, id, path, visit)?;
            } else {
                visit(path, entry.mode, id);
            }
        }
        path.truncate(base);
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

fn malformed(id: Oid) -> git2::Error {
    git2::Error::from_str(&format!("tree {id} is malformed"))
}

fn parse_hex(hex: &[u8]) -> Option<Oid> {
    std::str::from_utf8(hex)
        .ok()
        .and_then(|s| Oid::from_str(s).ok())
}

/// One record of a raw tree.
#[derive(Clone, Copy)]
pub(crate) struct Entry<'a> {
    /// The file mode.
    pub mode: u32,
    /// The name.
    pub(crate) name: &'a [u8],
    /// The object id's bytes.
    pub(crate) id: &'a [u8],
}

/// The records of a raw tree: `MODE SP NAME NUL ID`, MODE in octal digits. Yields `None` (and
/// stops) at a malformed record.
pub(crate) struct Entries<'a> {
    data: &'a [u8],
}

impl<'a> Entries<'a> {
    /// The records of the raw tree `data`.
    pub(crate) fn new(data: &'a [u8]) -> Entries<'a> {
        Entries { data }
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Option<Entry<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.data.is_empty() {
            return None;
        }
        let parsed = (|| {
            let space = self.data.iter().position(|&b| b == b' ')?;
            let mut mode = 0u32;
            for &d in &self.data[..space] {
                if !(b'0'..=b'7').contains(&d) {
                    return None;
                }
                mode = mode * 8 + u32::from(d - b'0');
            }
            let rest = &self.data[space + 1..];
            let nul = rest.iter().position(|&b| b == 0)?;
            let id = rest.get(nul + 1..nul + 1 + ID_LEN)?;
            let entry = Entry {
                mode,
                name: &rest[..nul],
                id,
            };
            Some((entry, &rest[nul + 1 + ID_LEN..]))
        })();
        match parsed {
            Some((entry, rest)) => {
                self.data = rest;
                Some(Some(entry))
            }
            None => {
                self.data = &[];
                Some(None)
            }
        }
    }
}

/// git's `base_name_compare`: names compared as bytes, a folder's name as if it ended in `/`.
fn tree_order(a: &Entry<'_>, b: &Entry<'_>) -> Ordering {
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
