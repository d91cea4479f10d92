//! Why the tool could not run. A finding (something the policy objects to) is never an error; an
//! [`Error`] means there is no verdict, and the command exits with 2.
//!
//! Each error carries the facts (which file, which revision, what the system said); its
//! `Display` states what failed and where. What to do next is worded by the command line
//! (`cli/errors.rs`), which knows which command was run.

use std::fmt;
use std::path::PathBuf;

use git2::Oid;

/// Everything that stops a command from giving a verdict.
#[derive(Debug)]
pub enum Error {
    /// No git repository was found from the starting directory.
    NotARepository {
        /// Where the search started.
        start: PathBuf,
        /// libgit2's explanation.
        detail: String,
    },
    /// The repository has no working tree, so there is no staged index to judge.
    Bare {
        /// The repository's git directory.
        git_dir: PathBuf,
    },
    /// The index could not be read.
    Index {
        /// The index file.
        path: PathBuf,
        /// libgit2's explanation.
        detail: String,
    },
    /// The policy file is invalid; it carries every problem found.
    Policy(PolicyError),
    /// A revision or range to judge cannot be resolved, or the CI environment does not say
    /// which; never a pass.
    Range(RangeError),
    /// A hook is already installed and is not ours.
    HookExists {
        /// The existing hook.
        path: PathBuf,
    },
    /// `install --chain` would need a file name that is already taken.
    ChainedHookExists {
        /// The file that is in the way.
        path: PathBuf,
    },
    /// The hook pycache-policy installed has been edited since: it is the user's now.
    HookEdited {
        /// The hook.
        path: PathBuf,
    },
    /// `uninstall` found a hook that pycache-policy did not install.
    HookNotOurs {
        /// The hook.
        path: PathBuf,
    },
    /// `init` would overwrite an existing policy file.
    PolicyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// The working tree could not be walked.
    Walk {
        /// The top of the working tree.
        root: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// A path given on the command line is not inside the working tree.
    OutsideRepository {
        /// The path as given.
        path: PathBuf,
        /// The top of the working tree.
        workdir: PathBuf,
    },
    /// The root `.gitignore` is a symbolic link, which git does not read.
    GitignoreSymlink {
        /// The link.
        path: PathBuf,
    },
    /// The root `.gitignore` has a `# BEGIN pycache-policy` line without its `# END` line.
    GitignoreBlock {
        /// The file.
        path: PathBuf,
        /// The line of the `BEGIN`.
        line: usize,
    },
    /// `untrack` in a bare repository, which has no index.
    BareNoIndex {
        /// The repository's git directory.
        git_dir: PathBuf,
    },
    /// The index is locked: `<index>.lock` exists.
    IndexLocked {
        /// The lock file.
        lock: PathBuf,
    },
    /// A forbidden path lies inside a sparse-directory entry of a sparse index, which cannot be
    /// removed without expanding the index.
    SparseDirectory {
        /// The sparse directory, without the trailing `/`.
        folder: Vec<u8>,
        /// A forbidden path inside it.
        path: Vec<u8>,
    },
    /// The index has something `untrack` cannot write back correctly (a required extension it
    /// does not know, SHA-256 object ids); nothing was changed.
    IndexUnsupported {
        /// The index file.
        path: PathBuf,
        /// What is not supported.
        detail: String,
    },
    /// Writing the new index failed; the index is as it was.
    IndexWrite {
        /// The index file.
        path: PathBuf,
        /// What failed.
        action: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file could not be read or written.
    Io {
        /// What was being done, e.g. "write the hook".
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Any other libgit2 failure.
    Git {
        /// What was being done, e.g. "read HEAD".
        action: &'static str,
        /// libgit2's error.
        source: git2::Error,
    },
    /// A revision was asked for in a repository with no commit yet (`HEAD` names no commit).
    NoCommits {
        /// The revision as given.
        rev: String,
    },
    /// An object or pack of the repository exists but cannot be read (corrupt, truncated,
    /// hostile): no verdict is possible.
    Unreadable {
        /// What was being read, e.g. "the commit of HEAD".
        what: String,
        /// The object id and what is wrong with it.
        detail: String,
    },
    /// A file git reads ignore rules from (a `.gitignore`, `info/exclude`, the excludes file)
    /// is not a regular file: a FIFO, a socket, a device, a folder. Reading a FIFO would block.
    RuleFileNotRegular {
        /// The file.
        path: PathBuf,
        /// What it is instead, e.g. "a FIFO (named pipe)".
        what: &'static str,
    },
}

impl Error {
    /// Wraps an I/O error with the action and path it is about.
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    /// Wraps a libgit2 error with the action it interrupted.
    pub fn git(action: &'static str) -> impl FnOnce(git2::Error) -> Error {
        move |source| Error::Git { action, source }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotARepository { start, detail } => {
                write!(f, "not a git repository: {} ({detail})", start.display())
            }
            Error::Bare { git_dir } => write!(
                f,
                "{} is a bare repository: it has no staged index to check",
                git_dir.display()
            ),
            Error::Index { path, detail } => {
                write!(f, "cannot read the index {}: {detail}", path.display())
            }
            Error::Range(e) => write!(f, "{e}"),
            Error::Policy(e) => write!(f, "{e}"),
            Error::HookExists { path } => write!(
                f,
                "a pre-commit hook already exists at {} and pycache-policy did not write it; \
                 leaving it alone",
                path.display()
            ),
            Error::ChainedHookExists { path } => write!(
                f,
                "cannot chain: {} already exists (left by an earlier install?)",
                path.display()
            ),
            Error::HookEdited { path } => write!(
                f,
                "the pre-commit hook at {} was installed by pycache-policy but has been edited \
                 since; leaving it alone so your changes are not lost",
                path.display()
            ),
            Error::HookNotOurs { path } => write!(
                f,
                "the pre-commit hook at {} was not installed by pycache-policy; leaving it alone",
                path.display()
            ),
            Error::PolicyExists { path } => {
                write!(f, "{} already exists; not overwriting it", path.display())
            }
            Error::Walk { root, detail } => write!(
                f,
                "cannot walk the working tree {}: {detail}",
                root.display()
            ),
            Error::OutsideRepository { path, workdir } => write!(
                f,
                "{} is outside the repository {}",
                path.display(),
                workdir.display()
            ),
            Error::GitignoreSymlink { path } => write!(
                f,
                "{} is a symbolic link, and git does not read a symlinked .gitignore inside the \
                 working tree (since git 2.32), so rules written through it would do nothing; \
                 leaving it alone",
                path.display()
            ),
            Error::GitignoreBlock { path, line } => write!(
                f,
                "{}:{line}: the `# BEGIN pycache-policy` block has no `# END pycache-policy` line; \
                 not guessing where it ends",
                path.display()
            ),
            Error::BareNoIndex { git_dir } => write!(
                f,
                "{} is a bare repository: it has no index, so there is nothing to untrack",
                git_dir.display()
            ),
            Error::IndexLocked { lock } => write!(
                f,
                "cannot lock the index: {} exists, so another git process seems to be running \
                 in this repository; the index was not changed",
                lock.display()
            ),
            Error::SparseDirectory { folder, path } => {
                let folder = crate::util::path::display_path(folder);
                write!(
                    f,
                    "{} is forbidden, but it lies in {folder}/, which this sparse index stores as \
                     one entry; untracking it would need the whole folder expanded in the index, \
                     so nothing was changed",
                    crate::util::path::display_path(path)
                )
            }
            Error::IndexUnsupported { path, detail } => write!(
                f,
                "cannot untrack in the index {}: {detail}; the index was not changed",
                path.display()
            ),
            Error::IndexWrite {
                path,
                action,
                source,
            } => write!(
                f,
                "cannot {action} {}: {source}; the index was not changed",
                path.display()
            ),
            Error::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            Error::Git { action, source } => write!(f, "cannot {action}: {}", source.message()),
            Error::NoCommits { rev } => write!(
                f,
                "the repository has no commits yet, so there is no `{rev}` to judge"
            ),
            Error::Unreadable { what, detail } => {
                write!(f, "cannot read {what}: {detail}; nothing was judged")
            }
            Error::RuleFileNotRegular { path, what } => write!(
                f,
                "{} is {what}, not a regular file, so its ignore rules cannot be read (reading a \
                 FIFO would wait forever)",
                path.display()
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::IndexWrite { source, .. } => Some(source),
            Error::Git { source, .. } => Some(source),
            Error::Policy(e) => Some(e),
            Error::Range(e) => Some(e),
            _ => None,
        }
    }
}

impl From<RangeError> for Error {
    fn from(e: RangeError) -> Self {
        Error::Range(e)
    }
}

impl From<PolicyError> for Error {
    fn from(e: PolicyError) -> Self {
        Error::Policy(e)
    }
}

/// Where a policy came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A `pycache-policy.toml` file (or the file given with `--policy`).
    File(PathBuf),
    /// The `[tool.pycache-policy]` table of a `pyproject.toml`.
    PyProject(PathBuf),
    /// No policy file: the built-in defaults.
    Defaults,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(p) => write!(f, "{}", p.display()),
            Origin::PyProject(p) => write!(f, "[tool.pycache-policy] in {}", p.display()),
            Origin::Defaults => f.write_str("built-in defaults"),
        }
    }
}

/// Everything wrong with a policy file, each problem with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    /// The file (or pyproject table) the problems are in.
    pub origin: Origin,
    /// The problems, in file order.
    pub problems: Vec<PolicyProblem>,
}

/// One problem in a policy file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyProblem {
    /// 1-based line, or 0 when the problem is about the whole file.
    pub line: usize,
    /// 1-based column, in characters, or 0 when the problem is about the whole file.
    pub column: usize,
    /// What is wrong and, where it helps, what to write instead.
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = match &self.origin {
            Origin::File(p) | Origin::PyProject(p) => p.display().to_string(),
            Origin::Defaults => "<defaults>".to_string(),
        };
        let n = self.problems.len();
        write!(
            f,
            "invalid policy in {file} ({n} problem{}):",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            if p.line == 0 {
                write!(f, "\n  {file}: {}", p.message)?;
            } else {
                write!(f, "\n  {file}:{}:{}: {}", p.line, p.column, p.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for PolicyError {}

/// Why a range or revision cannot be judged.
#[derive(Debug)]
pub enum RangeError {
    /// `--range` got something that is not `BASE..HEAD` or `BASE...HEAD`.
    BadSpec {
        /// What was given.
        spec: String,
    },
    /// No object of that name.
    Unknown {
        /// The name.
        rev: String,
        /// Where the name came from, if not the command line.
        origin: Option<String>,
        /// The repository is a shallow clone (so the commit may exist upstream).
        shallow: bool,
    },
    /// The name is ambiguous (an abbreviated id shared by several objects).
    Ambiguous {
        /// The name.
        rev: String,
    },
    /// The name resolves to something that is not a commit (or, for `--tree`, not a tree).
    WrongKind {
        /// The name.
        rev: String,
        /// What it names (`blob`, `tree`, ...).
        kind: String,
        /// What was needed (`commit`, `tree`).
        wanted: &'static str,
    },
    /// `BASE...HEAD` where the two have no merge base.
    NoMergeBase {
        /// The range.
        spec: String,
        /// The repository is a shallow clone (so the merge base may lie beyond its depth).
        shallow: bool,
    },
    /// A commit of the range has parents the shallow clone does not hold.
    Truncated {
        /// The range.
        spec: String,
        /// The first commit whose parents are missing.
        commit: Oid,
    },
    /// `audit` in a shallow clone, which does not hold the history to audit.
    ShallowAudit,
    /// The CI environment does not say what to judge.
    Ci {
        /// What is missing or unsupported, and what to do.
        reason: String,
    },
    /// Any other libgit2 failure.
    Git {
        /// What was being done.
        action: &'static str,
        /// libgit2's error.
        source: git2::Error,
    },
    /// The revision names an object that exists but cannot be read.
    Unreadable {
        /// The revision as given.
        rev: String,
        /// The object id and what is wrong with it.
        detail: String,
    },
}

impl fmt::Display for RangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RangeError::BadSpec { spec } => write!(f, "`{spec}` is not a range"),
            RangeError::Unknown {
                rev,
                origin,
                shallow,
            } => {
                let from = origin
                    .as_ref()
                    .map(|o| format!(" (from {o})"))
                    .unwrap_or_default();
                if *shallow {
                    write!(
                        f,
                        "unknown revision `{rev}`{from}: this is a shallow clone, and it does \
                         not have that commit"
                    )
                } else {
                    write!(
                        f,
                        "unknown revision `{rev}`{from}: no commit, branch or tag of that name \
                         in this repository"
                    )
                }
            }
            RangeError::Ambiguous { rev } => write!(
                f,
                "ambiguous revision `{rev}`: several objects start with it"
            ),
            RangeError::WrongKind { rev, kind, wanted } => {
                write!(f, "`{rev}` names a {kind}, not a {wanted}")
            }
            RangeError::NoMergeBase { spec, shallow } => {
                if *shallow {
                    write!(
                        f,
                        "cannot find the merge base of `{spec}`: this shallow clone does not \
                         reach back to it"
                    )
                } else {
                    write!(
                        f,
                        "`{spec}` has no merge base: the two commits share no history"
                    )
                }
            }
            RangeError::Truncated { spec, commit } => write!(
                f,
                "cannot judge every commit of `{spec}`: this shallow clone stops at commit \
                 {commit}, whose parents it does not have"
            ),
            RangeError::ShallowAudit => write!(
                f,
                "this is a shallow clone: it does not hold the whole history, so an audit \
                 would miss caches and blame the oldest commits it has for the rest"
            ),
            RangeError::Ci { reason } => write!(
                f,
                "cannot tell which commits to judge from the CI environment: {reason}"
            ),
            RangeError::Git { action, source } => {
                write!(f, "cannot {action}: {}", source.message())
            }
            RangeError::Unreadable { rev, detail } => {
                write!(f, "`{rev}` exists but cannot be read: {detail}")
            }
        }
    }
}

impl std::error::Error for RangeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RangeError::Git { source, .. } => Some(source),
            _ => None,
        }
    }
}
