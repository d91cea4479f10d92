//! What a check returns: its findings and the paths that untrack them, and which entries it
//! judged.

use crate::model::finding::Finding;

/// Which index entries to judge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Entries the next commit adds or modifies relative to `HEAD`.
    Staged,
    /// Every entry in the index.
    All,
}

/// The result of a check: the findings and what it takes to fix them.
#[derive(Debug, Default)]
pub struct Outcome {
    /// What the policy objects to, sorted by path.
    pub findings: Vec<Finding>,
    /// Paths to pass to `git rm -r --cached --` to untrack every forbidden path found: a whole
    /// cache folder where everything tracked in it is forbidden, else the files one by one.
    pub(crate) untrack: Vec<Vec<u8>>,
}

impl Outcome {
    /// Whether any finding fails the check.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }
}
