//! Findings: what the policy objects to, as plain data with stable codes.
//!
//! A finding is never an error: the check ran and has a verdict. Codes are kebab-case and never
//! change meaning once released, so scripts and CI can match on them.

use std::fmt;
use std::sync::Arc;

use crate::pyc::{Problem, PyVersion};

/// The kind of a finding. Its [`Code::as_str`] is stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// A path the policy forbids is staged (or tracked, with `--all`).
    TrackedCache,
    /// A folder kept on purpose has no tracked `README.md` explaining it.
    AllowlistMissingReadme,
    /// git would not ignore a path the policy forbids, so `git add .` would stage it.
    GitignoreMissingRule,
    /// git ignores a path inside a folder kept on purpose, so it cannot be added normally.
    AllowlistIgnored,
    /// A kept pyc does not match its source as staged.
    PycStale,
    /// A kept pyc has no source beside its folder.
    PycOrphan,
    /// A kept pyc's cache tag names another Python than its magic number.
    PycTagMismatch,
    /// A kept pyc has an unreadable header or an unknown magic number.
    PycInvalid,
    /// A kept pyc is timestamp-based, so it cannot be checked after a clone.
    PycUnverifiable,
    /// A kept pyc is unchecked-hash: Python uses it even when its source changes.
    PycUncheckedHash,
    /// A kept pyc's code is not what its Python compiles from the staged source.
    PycCodeMismatch,
    /// A kept pyc's code could not be compared with a recompiled one (no matching Python).
    PycRecompileUnavailable,
    /// An allow entry matches nothing tracked (a typo, a wrong case, a folder since moved).
    AllowlistUnmatched,
    /// A range changes the policy it is judged by.
    PolicyChanged,
    /// The staged check used a policy file the index does not hold.
    PolicyUntracked,
}

impl Code {
    /// Every code, for documentation and uniqueness tests.
    pub const ALL: &'static [Code] = &[
        Code::TrackedCache,
        Code::AllowlistMissingReadme,
        Code::GitignoreMissingRule,
        Code::AllowlistIgnored,
        Code::PycStale,
        Code::PycOrphan,
        Code::PycTagMismatch,
        Code::PycInvalid,
        Code::PycUnverifiable,
        Code::PycUncheckedHash,
        Code::PycCodeMismatch,
        Code::PycRecompileUnavailable,
        Code::AllowlistUnmatched,
        Code::PolicyChanged,
        Code::PolicyUntracked,
    ];

    /// The codes of the kept-folder checks, whose level each allow entry sets.
    pub(crate) const PYC: [Code; 8] = [
        Code::PycStale,
        Code::PycOrphan,
        Code::PycTagMismatch,
        Code::PycInvalid,
        Code::PycUnverifiable,
        Code::PycUncheckedHash,
        Code::PycCodeMismatch,
        Code::PycRecompileUnavailable,
    ];

    /// The code with this kebab-case name.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == name)
    }

    /// The stable kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::TrackedCache => "tracked-cache",
            Code::AllowlistMissingReadme => "allowlist-missing-readme",
            Code::GitignoreMissingRule => "gitignore-missing-rule",
            Code::AllowlistIgnored => "allowlist-ignored",
            Code::PycStale => "pyc-stale",
            Code::PycOrphan => "pyc-orphan",
            Code::PycTagMismatch => "pyc-tag-mismatch",
            Code::PycInvalid => "pyc-invalid",
            Code::PycUnverifiable => "pyc-unverifiable",
            Code::PycUncheckedHash => "pyc-unchecked-hash",
            Code::PycCodeMismatch => "pyc-code-mismatch",
            Code::PycRecompileUnavailable => "pyc-recompile-unavailable",
            Code::AllowlistUnmatched => "allowlist-unmatched",
            Code::PolicyChanged => "policy-changed",
            Code::PolicyUntracked => "policy-untracked",
        }
    }

    /// One line on what the code means.
    pub(crate) fn description(self) -> &'static str {
        match self {
            Code::TrackedCache => {
                "a Python bytecode cache that the policy forbids is staged or tracked"
            }
            Code::AllowlistMissingReadme => {
                "a cache folder kept on purpose has no tracked README.md explaining why"
            }
            Code::GitignoreMissingRule => {
                "git would not ignore a cache the policy forbids, so `git add .` would stage it"
            }
            Code::AllowlistIgnored => {
                "git ignores a file in a folder kept on purpose, so it cannot be added normally"
            }
            Code::PycCodeMismatch => {
                "a kept pyc's code is not what its Python compiles from the staged source"
            }
            Code::PycRecompileUnavailable => {
                "a kept pyc's code could not be compared with a recompiled one"
            }
            Code::PolicyChanged => {
                "a range changes the policy it is judged by (the base side's policy judges it)"
            }
            Code::PolicyUntracked => {
                "the policy file that judged the commit is not tracked, so CI will not see it"
            }
            Code::PycInvalid => "a kept pyc has an unreadable header or an unknown magic number",
            Code::PycOrphan => "a kept pyc has no source beside its folder",
            Code::PycTagMismatch => {
                "a kept pyc's cache tag names another Python than its magic number"
            }
            Code::PycStale => "a kept pyc does not match its source as staged",
            Code::PycUnverifiable => {
                "a kept pyc is timestamp-based, which cannot be checked after a clone"
            }
            Code::PycUncheckedHash => {
                "a kept pyc is unchecked-hash: Python uses it even when its source changes"
            }
            Code::AllowlistUnmatched => "an allow entry of the policy matches nothing tracked",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a finding matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Severity {
    /// Reported, but the check still passes.
    Warning,
    /// Fails the check (exit code 1).
    Error,
}

impl Severity {
    /// `error` or `warning`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One thing the policy objects to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// What kind of problem.
    pub(crate) code: Code,
    /// Whether it fails the check.
    pub(crate) severity: Severity,
    /// The repository-relative path it is about (bytes: git paths need not be UTF-8), tracked or
    /// on disk. For a folder, without the trailing `/`. Empty when the finding is about a rule
    /// rather than a path (an ignore rule no tracked path shows missing).
    pub(crate) path: Vec<u8>,
    /// The cache folder the path belongs to, for grouping: the folder a forbid pattern excluded
    /// (such as `a/__pycache__`), else the path's parent folder (empty at the root).
    /// Shared by the findings of one folder.
    pub(crate) folder: Arc<[u8]>,
    /// The rule that decided it: a forbid pattern or an allow entry, as written in the policy.
    /// Shared by the findings it decides.
    pub(crate) rule: Arc<str>,
    /// The facts behind it, by kind; `report` words them (see `report::message`).
    pub(crate) facts: Facts,
    /// The commit that brought it in (full id), when commits are judged one by one
    /// (`check --each-commit`); `None` otherwise.
    pub(crate) commit: Option<String>,
}

/// What a finding is about, beyond its code, path and rule: the facts a person needs to act on
/// it. Nothing here is worded; `report` turns each into a sentence and a fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Facts {
    /// A path the policy forbids is tracked (`tracked-cache`); `rule` is the forbid pattern.
    TrackedCache {
        /// Where it was found.
        found_in: FoundIn,
    },
    /// A kept folder has no README that explains it (`allowlist-missing-readme`).
    MissingReadme {
        /// The tracked paths that may hold it, most specific first.
        candidates: Vec<String>,
    },
    /// git's ignore rules disagree with the policy about `path` (`gitignore-missing-rule`,
    /// `allowlist-ignored`).
    IgnoreGap(Box<IgnoreGap>),
    /// A kept pyc's header disagrees with its source (the `pyc-*` header codes).
    Pyc(Box<PycFacts>),
    /// A kept pyc's code is not what its Python compiles from the source (`pyc-code-mismatch`).
    CodeMismatch(Box<CodeMismatch>),
    /// An allow entry matches nothing tracked (`allowlist-unmatched`); `rule` is the entry.
    AllowUnmatched {
        /// A tracked path that the entry would match but for case (`01_Basics/__pycache__` for
        /// `01_basics/__pycache__/`), as tracked.
        tracked_spelling: Option<Vec<u8>>,
    },
    /// A range changes the policy it is judged by (`policy-changed`); `path` is the policy file.
    PolicyChanged(Box<PolicyChanged>),
    /// The staged check used a policy file the index does not hold (`policy-untracked`).
    PolicyUntracked,
    /// The code of a kept pyc could not be compared (`pyc-recompile-unavailable`).
    RecompileUnavailable(Box<RecompileUnavailable>),
}

// The facts of the rarer kinds are boxed: a check of a large repository holds tens of
// thousands of `tracked-cache` findings, and each is as large as the largest kind.

/// The facts of [`Facts::IgnoreGap`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IgnoreGap {
    /// The line that decides it, if any line does (for `allowlist-ignored`, always).
    pub(crate) decided_by: Option<IgnoreLine>,
    /// How many more tracked or existing paths disagree the same way (same rule, same deciding
    /// line).
    pub(crate) more_like_it: usize,
    /// When no tracked or existing path shows the gap (the finding then has no path): a path a
    /// new cache would have, which git's rules get wrong, such as `__pycache__/x.pyc`.
    pub(crate) example: Option<Vec<u8>>,
}

/// The facts of [`Facts::Pyc`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PycFacts {
    /// What is wrong.
    pub(crate) problem: Problem,
    /// What fixes it.
    pub(crate) fix: PycFix,
}

/// The facts of [`Facts::CodeMismatch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CodeMismatch {
    /// The source it was compared with.
    pub(crate) source: Vec<u8>,
    /// The Python its header names.
    pub(crate) version: Option<PyVersion>,
    /// How the code differs.
    pub(crate) detail: String,
    /// The interpreter that recompiled it, as it describes itself.
    pub(crate) interpreter: Option<String>,
    /// The command that writes the right pyc.
    pub(crate) fix: CompileCommand,
}

/// The facts of [`Facts::PolicyChanged`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PolicyChanged {
    /// What changed.
    pub(crate) change: PolicyChange,
    /// Where the policy that judged the range came from.
    pub(crate) judged_by: String,
    /// Where the range's new policy comes from.
    pub(crate) new: String,
    /// Caches the range adds that only the new policy allows.
    pub(crate) allowed_only_by_new: Vec<Vec<u8>>,
}

/// The facts of [`Facts::RecompileUnavailable`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RecompileUnavailable {
    /// The source it would be compared with.
    pub(crate) source: Vec<u8>,
    /// The Python its header names.
    pub(crate) version: Option<PyVersion>,
    /// Why not.
    pub(crate) why: String,
}

/// How a range changes the policy, in a reviewer's terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyChange {
    /// Allow entries the new policy adds (as written, folders with their `/`).
    pub allow_added: Vec<String>,
    /// Allow entries it removes.
    pub allow_removed: Vec<String>,
    /// Forbid patterns it adds.
    pub forbid_added: Vec<String>,
    /// Forbid patterns it drops.
    pub forbid_dropped: Vec<String>,
    /// Checks of a kept folder it lowers, each described (`` `k/` stale: error -> warning ``).
    pub lowered: Vec<String>,
}

impl PolicyChange {
    /// Whether the new policy allows something the old one did not.
    pub fn widens(&self) -> bool {
        !self.allow_added.is_empty() || !self.forbid_dropped.is_empty() || !self.lowered.is_empty()
    }
}

/// Where a tracked cache was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum FoundIn {
    /// The index (staged, or every entry with `--all`).
    Index,
    /// The tree of a revision (`check --tree REV`), as named.
    Tree(String),
    /// One commit of a range (`--each-commit`); the commit is the finding's.
    Commit,
    /// The end result of a range, as written (`BASE...HEAD`).
    Range(String),
}

/// The line of git's ignore rules that decides a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IgnoreLine {
    /// The file, as shown (`.gitignore`, `a/.gitignore`, `.git/info/exclude`, ...).
    pub(crate) file: String,
    /// Its 1-based line.
    pub(crate) line: usize,
    /// The pattern on it.
    pub(crate) pattern: String,
    /// It is in a `.gitignore` below the root, which outranks the root file's block.
    pub(crate) outranks_root: bool,
}

/// What fixes a problem in a kept pyc.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PycFix {
    /// Recompile it from its source.
    Recompile(CompileCommand),
    /// Its source was removed: stage it again, or remove the pyc.
    StageSourceOrRemove {
        /// The source it needs.
        source: Vec<u8>,
    },
    /// It has no name Python uses: remove it or rename it.
    RemoveOrRename,
    /// Rename it to the name its Python reads.
    Rename {
        /// The Python its magic number names.
        version: PyVersion,
        /// The new path.
        to: Vec<u8>,
    },
    /// Its magic number names no Python: recompile with the one its name says.
    RecompileAsNamed,
    /// Remove it (it is broken and has no source).
    Remove,
    /// Its Python cannot write checked-hash pycs.
    NoHashPycs {
        /// The Python.
        version: PyVersion,
    },
    /// Rewrite its folder's timestamp pycs as checked-hash pycs.
    RewriteFolder {
        /// One command for every such pyc of the folder.
        command: CompileCommand,
        /// The folder (empty at the root).
        folder: Vec<u8>,
    },
    /// Rewrite it as checked-hash.
    RewriteCheckedHash(CompileCommand),
}

/// `pythonX.Y [-O|-OO] -m compileall -f [-b] [--invalidation-mode MODE] SOURCE…`, as facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CompileCommand {
    /// The Python to run; `None` for any Python 3.7 or later.
    pub(crate) version: Option<PyVersion>,
    /// `checked-hash` or `unchecked-hash`.
    pub(crate) mode: &'static str,
    /// The optimization level its name says (0, 1 or 2).
    pub(crate) optimize: u8,
    /// A legacy `NAME.pyc` beside its source rather than in `__pycache__`.
    pub(crate) legacy: bool,
    /// The sources to compile.
    pub(crate) sources: Vec<Vec<u8>>,
}

impl Finding {
    /// Whether the finding fails the check.
    pub(crate) fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Whether `self` and `other` are about the same folder. Findings of one folder that come
    /// one after another share its `Arc`, so this is nearly always a pointer comparison.
    pub(crate) fn same_folder(&self, other: &Finding) -> bool {
        Arc::ptr_eq(&self.folder, &other.folder) || self.folder == other.folder
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(
                s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "not kebab-case: {s}"
            );
            assert!(!code.description().is_empty());
        }
    }

    #[test]
    fn a_finding_stays_small() {
        // A large repository yields one `tracked-cache` finding per tracked cache: the rarer
        // kinds box their facts so that these are not each as large as the largest kind.
        let size = std::mem::size_of::<Finding>();
        assert!(size <= 120, "a Finding takes {size} bytes");
    }
}
