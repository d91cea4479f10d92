//! Findings: what the policy objects to, as plain data with stable codes.
//!
//! A finding is never an error: the check ran and has a verdict. Codes are kebab-case and never
//! change meaning once released, so scripts and CI can match on them.

use std::fmt;

/// The kind of a finding. Its [`Code::as_str`] is stable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Code {
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
}

impl Code {
    /// Every code, for documentation and uniqueness tests.
    pub(crate) const ALL: &'static [Code] = &[
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

    /// The stable kebab-case name.
    pub(crate) fn as_str(self) -> &'static str {
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
    /// The repository-relative path it is about (bytes: git paths need not be UTF-8). For a
    /// folder, without the trailing `/`.
    pub(crate) path: Vec<u8>,
    /// The cache folder the path belongs to, for grouping: the folder a forbid pattern excluded
    /// (such as `a/__pycache__`), else the path's parent folder (empty at the root).
    pub(crate) folder: Vec<u8>,
    /// The rule that decided it: a forbid pattern or an allow entry, as written in the policy.
    pub(crate) rule: String,
    /// A sentence for humans on what is wrong and how to fix it.
    pub(crate) message: String,
    /// The commit that brought it in (full id), when commits are judged one by one
    /// (`check --each-commit`); `None` otherwise.
    pub(crate) commit: Option<String>,
}

impl Finding {
    /// Whether the finding fails the check.
    pub(crate) fn is_error(&self) -> bool {
        self.severity == Severity::Error
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
}
