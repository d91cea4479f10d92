//! Git's formats and rules, read the way git reads them: repository discovery, the index, objects
//! (packs and loose), tree diffs, revisions and git's ignore rules.

pub mod diff;
pub mod excludes;
pub(crate) mod folders;
pub mod index;
pub mod pack;
pub(crate) mod pattern;
pub mod repo;
pub mod revision;
