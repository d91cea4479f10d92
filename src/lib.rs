//! pycache-policy keeps Python bytecode caches (`__pycache__/`, `*.pyc`) out of git repositories,
//! except where a repository keeps one on purpose.
//!
//! The parts, from the bottom up (each uses only those below it; `ARCHITECTURE.md` has the map):
//! `util` (byte paths, atomic writes), [`pyc`] (what a pyc's header records, and whether it
//! matches its source), [`model`] (findings, outcomes, errors: plain data), [`git`] (the index,
//! objects, trees, revisions and ignore rules, read as git reads them), [`policy`] (the policy
//! file, validated, and the matcher that applies it), [`checks`] (what the staged index, a tree,
//! a range or history holds that the policy forbids), [`fix`] (untrack, `.gitignore`, purge, the
//! hook: each plans, then applies), [`report`] (every output format, and the words of every
//! finding).
//!
//! The library never prints; the binary decides what goes where.
#![warn(missing_docs, clippy::print_stdout, clippy::print_stderr)]

pub mod checks;
pub mod fix;
pub mod git;
pub mod model;
pub mod policy;
pub mod pyc;
pub mod report;
mod util;

pub use model::error::Error;
