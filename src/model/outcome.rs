//! What a check returns: its findings and the paths that untrack them, and which entries it
//! judged.

use crate::model::finding::{Code, Finding, Severity};

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
    /// The kept pycs recompiled to compare their code (`recompile = true`), when any were.
    pub(crate) recompiled: Option<Recompiled>,
}

/// How many kept pycs were recompiled, and by which Python.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Recompiled {
    /// Each interpreter that compiled some (as it describes itself), with how many, in the order
    /// first used.
    pub(crate) by: Vec<(String, usize)>,
    /// How many could not be compiled (no matching Python, or it failed).
    pub(crate) unavailable: usize,
}

impl Recompiled {
    /// How many were compiled.
    pub(crate) fn compiled(&self) -> usize {
        self.by.iter().map(|(_, n)| n).sum()
    }

    /// Counts one comparison: compiled by `interpreter`, or not compiled.
    pub(crate) fn count(&mut self, interpreter: Option<String>) {
        let Some(shown) = interpreter else {
            self.unavailable += 1;
            return;
        };
        match self.by.iter_mut().find(|(i, _)| *i == shown) {
            Some((_, n)) => *n += 1,
            None => self.by.push((shown, 1)),
        }
    }
}

impl Outcome {
    /// The outcome of a check that recompiled nothing.
    pub(crate) fn new(findings: Vec<Finding>, untrack: Vec<Vec<u8>>) -> Outcome {
        Outcome {
            findings,
            untrack,
            recompiled: None,
        }
    }

    /// Counts findings with a code in `deny` as errors and those in `warn` as warnings
    /// (`check --deny CODE`, `--warn CODE`); `warn` wins where both name a code.
    pub fn set_levels(&mut self, deny: &[Code], warn: &[Code]) {
        for f in &mut self.findings {
            if warn.contains(&f.code) {
                f.severity = Severity::Warning;
            } else if deny.contains(&f.code) {
                f.severity = Severity::Error;
            }
        }
    }

    /// Whether any finding fails the check.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(Finding::is_error)
    }
}

/// What a check judged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// What the next commit adds or changes (the staged index against `HEAD`).
    Staged,
    /// Every path in the index.
    All,
    /// Every path of a commit's (or a tree's) tree.
    Tree {
        /// The revision as given.
        rev: String,
        /// The commit it names, if it names one.
        commit: Option<String>,
        /// The tree's id.
        tree: String,
    },
    /// What a range of commits adds or changes.
    Range {
        /// The range as written (or chosen from the CI environment).
        spec: String,
        /// The base commit.
        base: String,
        /// The head commit.
        head: String,
        /// For `BASE...HEAD`, the merge base the head was compared with.
        merge_base: Option<String>,
        /// Each commit was judged on its own.
        each_commit: bool,
        /// With `each_commit`: the commits judged, parents first.
        commits: Vec<CommitInfo>,
        /// With `check --ci`: which CI event chose the range, for people.
        chosen_by: Option<String>,
    },
}

impl From<Scope> for Subject {
    fn from(scope: Scope) -> Subject {
        match scope {
            Scope::Staged => Subject::Staged,
            Scope::All => Subject::All,
        }
    }
}

impl Subject {
    /// The `scope` of the JSON document: `staged`, `all`, `tree` or `range`.
    pub(crate) fn scope_name(&self) -> &'static str {
        match self {
            Subject::Staged => "staged",
            Subject::All => "all",
            Subject::Tree { .. } => "tree",
            Subject::Range { .. } => "range",
        }
    }

    /// The commit summary line of a judged commit, if known.
    pub(crate) fn commit(&self, id: &str) -> Option<&CommitInfo> {
        match self {
            Subject::Range { commits, .. } => commits.iter().find(|c| c.id == id),
            _ => None,
        }
    }
}

/// A judged commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitInfo {
    /// The full id.
    pub(crate) id: String,
    /// The first line of its message.
    pub(crate) summary: String,
}
