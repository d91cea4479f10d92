//! The folders of one tree, each read from the object database at most once, with this crate's
//! bounded readers ([`crate::git::diff::Objects`]). Looking a path up from the root each time
//! re-reads every tree on the way (and libgit2 caches only objects up to 4 KiB, so a large
//! folder is inflated again for every file in it); this reads each folder's tree once and finds a
//! file in it by a hash lookup. A tree that cannot be read is an error naming it, never a hang
//! or a silent "not there".

use std::cell::RefCell;
use std::rc::Rc;

use git2::{Oid, Repository};

use crate::git::diff::{Entries, Objects};
use crate::util::hash::FastMap;
use crate::util::path::split_last;

/// The mode of a folder in a tree.
const MODE_TREE: u32 = 0o040000;

/// One folder's records: name to (mode, id).
type Folder = FastMap<Vec<u8>, (u32, Oid)>;

/// A tree's folders, read as they are asked for.
pub(crate) struct Folders<'r> {
    objects: Objects<'r>,
    root: Oid,
    /// Folder path (no trailing `/`, empty for the root) to its records, or `None` where the
    /// tree has no folder there.
    read: RefCell<FastMap<Vec<u8>, Option<Rc<Folder>>>>,
}

impl<'r> Folders<'r> {
    /// The folders of the tree `root` of `repo`.
    pub(crate) fn new(repo: &'r Repository, root: Oid) -> Result<Folders<'r>, git2::Error> {
        Ok(Folders {
            objects: Objects::new(repo)?,
            root,
            read: RefCell::new(FastMap::default()),
        })
    }

    /// The records of the folder `dir`, if the tree has one there.
    fn folder(&self, dir: &[u8]) -> Result<Option<Rc<Folder>>, git2::Error> {
        if let Some(known) = self.read.borrow().get(dir) {
            return Ok(known.clone());
        }
        let id = if dir.is_empty() {
            Some(self.root)
        } else {
            let (parent, name) = split_last(dir);
            match self.folder(parent)? {
                Some(records) => match records.get(name) {
                    Some(&(MODE_TREE, id)) => Some(id),
                    _ => None,
                },
                None => None,
            }
        };
        let found = match id {
            Some(id) => {
                let data = self.objects.checked_tree(id)?;
                let mut records = Folder::default();
                for entry in Entries::new(&data).flatten() {
                    records.insert(
                        entry.name.to_vec(),
                        (entry.mode, Oid::from_bytes(entry.id)?),
                    );
                }
                Some(Rc::new(records))
            }
            None => None,
        };
        self.read.borrow_mut().insert(dir.to_vec(), found.clone());
        Ok(found)
    }

    /// The id and mode of the entry at `path` (a file, a link, a gitlink or a folder), if any.
    pub(crate) fn entry(&self, path: &[u8]) -> Result<Option<(Oid, u32)>, git2::Error> {
        if path.is_empty() {
            return Ok(Some((self.root, MODE_TREE)));
        }
        let (parent, name) = split_last(path);
        Ok(self
            .folder(parent)?
            .and_then(|records| records.get(name).map(|&(mode, id)| (id, mode))))
    }
}
