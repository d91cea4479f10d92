//! pycache-policy keeps Python bytecode caches (`__pycache__/`, `*.pyc`) out of git repositories,
//! except where a repository keeps one on purpose.
//!
//! The data flows one way: a [`policy::Policy`] is compiled into a [`matcher::Matcher`]; a source
//! of paths (the staged index, in [`check`]) is judged by it into [`finding::Finding`]s; a
//! [`report`] renders them. [`hook`] installs the pre-commit hook that runs the check.
//! [`verify`] checks the pycs a policy keeps against their staged sources ([`pyc`] reads them,
//! [`recompile`] compares their code with a fresh compile), and [`inspect`] shows any one pyc.
//! [`schema`] describes the policy file to editors, from the same key table the validator reads.
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
