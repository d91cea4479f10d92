//! Why the tool could not run. A finding (something the policy objects to) is never an error; an
//! [`Error`] means there is no verdict, and the command exits with 2.
//!
//! Every message says what failed, where, and what to do next.

use std::fmt;
use std::path::PathBuf;

use crate::policy::PolicyError;

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
            Error::NotARepository { start, detail } => write!(
                f,
                "not a git repository: {} ({detail})\n  run it inside a repository, or point at \
                 one with `pycache-policy -C DIR ...`",
                start.display()
            ),
            Error::Bare { git_dir } => write!(
                f,
                "{} is a bare repository: it has no staged index to check\n  in CI, judge a \
                 commit or a range instead, or run it in a clone with a working tree",
                git_dir.display()
            ),
            Error::Index { path, detail } => write!(
                f,
                "cannot read the index {}: {detail}\n  run `git status` to see whether git can \
                 read it; if git cannot either, `git reset` rebuilds it from HEAD",
                path.display()
            ),
            Error::Policy(e) => write!(
                f,
                "{e}\n  fix the file, or check the built-in defaults with `--policy /dev/null`"
            ),
            Error::HookExists { path } => write!(
                f,
                "a pre-commit hook already exists at {} and pycache-policy did not write it; \
                 leaving it alone\n  run `pycache-policy install --chain` to keep it and run it \
                 before the check, or call `pycache-policy check` from it yourself",
                path.display()
            ),
            Error::ChainedHookExists { path } => write!(
                f,
                "cannot chain: {} already exists (left by an earlier install?)\n  look at it, \
                 move it away, and run the command again",
                path.display()
            ),
            Error::HookNotOurs { path } => write!(
                f,
                "the pre-commit hook at {} was not installed by pycache-policy; leaving it alone",
                path.display()
            ),
            Error::PolicyExists { path } => write!(
                f,
                "{} already exists; not overwriting it\n  edit it, or move it away and run \
                 `pycache-policy init` again",
                path.display()
            ),
            Error::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            Error::Git { action, source } => write!(f, "cannot {action}: {}", source.message()),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Git { source, .. } => Some(source),
            Error::Policy(e) => Some(e),
            _ => None,
        }
    }
}

impl From<PolicyError> for Error {
    fn from(e: PolicyError) -> Self {
        Error::Policy(e)
    }
}
