//! The folders of one tree, each read from the object database at most once. Looking a path up
//! from the root each time re-reads every tree on the way (and libgit2 caches only objects up to
//! 4 KiB, so a large folder is inflated again for every file in it); this reads each folder's
//! tree once and finds a file in it by binary search.

use std::cell::RefCell;
use std::rc::Rc;

use git2::{ObjectType, Oid, Repository, Tree};

use crate::util::hash::FastMap;
use crate::util::path::split_last;

/// A tree's folders, read as they are asked for.
pub(crate) struct Folders<'r> {
    repo: &'r Repository,
    root: Rc<Tree<'r>>,
    /// Folder path (no trailing `/`, empty for the root) to its tree, or `None` where the tree
    /// has no folder there.
    read: RefCell<FastMap<Vec<u8>, Option<Rc<Tree<'r>>>>>,
}

impl<'r> Folders<'r> {
    /// The folders of `root`.
    pub(crate) fn new(repo: &'r Repository, root: Tree<'r>) -> Folders<'r> {
        Folders {
            repo,
            root: Rc::new(root),
            read: RefCell::new(FastMap::default()),
        }
    }

    /// The tree of the folder `dir`, if the tree has one there.
    pub(crate) fn folder(&self, dir: &[u8]) -> Option<Rc<Tree<'r>>> {
        if dir.is_empty() {
            return Some(self.root.clone());
        }
        if let Some(known) = self.read.borrow().get(dir) {
            return known.clone();
        }
        let (parent, name) = split_last(dir);
        let found = self.folder(parent).and_then(|tree| {
            let entry = tree.get_name_bytes(name)?;
            match entry.kind() {
                Some(ObjectType::Tree) => self.repo.find_tree(entry.id()).ok().map(Rc::new),
                _ => None,
            }
        });
        self.read.borrow_mut().insert(dir.to_vec(), found.clone());
        found
    }

    /// The id and mode of the entry at `path` (a file, a link, a gitlink or a folder), if any.
    pub(crate) fn entry(&self, path: &[u8]) -> Option<(Oid, u32)> {
        if path.is_empty() {
            return Some((self.root.id(), 0o040000));
        }
        let (parent, name) = split_last(path);
        let tree = self.folder(parent)?;
        let entry = tree.get_name_bytes(name)?;
        Some((entry.id(), entry.filemode() as u32))
    }
}
