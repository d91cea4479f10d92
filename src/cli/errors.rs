//! What a person reads when a command cannot run: the error's facts (its `Display`), then what
//! to do next. The advice is worded here, not in the library, because it names commands and
//! flags of this program.

use pycache_policy::Error;
use pycache_policy::git::revision::RangeError;

/// The advice for a clone that lacks history.
const FETCH_MORE: &str = "fetch the history it needs: with actions/checkout set `fetch-depth: 0`; \
                          in GitLab CI set the variable `GIT_DEPTH: 0`; by hand, `git fetch \
                          --unshallow` (or `git fetch --deepen=N`)";

/// The advice for a repository whose objects cannot be read.
const CORRUPT: &str = "run `git fsck` to see what git makes of it; a fresh clone from a good copy \
                       replaces damaged objects";

/// The error and, on the lines after it, what to do about it.
pub fn describe(e: &Error) -> String {
    match advice(e) {
        Some(advice) => format!("{e}\n  {advice}"),
        None => e.to_string(),
    }
}

fn advice(e: &Error) -> Option<String> {
    let text = match e {
        Error::NotARepository { .. } => {
            "run it inside a repository, or point at one with `pycache-policy -C DIR ...`"
        }
        Error::Bare { .. } => {
            "judge its commits instead: `pycache-policy check --tree HEAD` (every path of HEAD) \
             or `--range BASE...HEAD`; or run it in a clone with a working tree"
        }
        Error::Index { .. } => {
            "run `git status` to see whether git can read it; if git cannot either, `git reset` \
             rebuilds it from HEAD"
        }
        Error::Policy(_) => {
            "fix the file, or check the built-in defaults with `--policy /dev/null`"
        }
        Error::Range(r) => return range_advice(r),
        Error::HookExists { .. } => {
            "run `pycache-policy install --chain` to keep it and run it before the check, or call \
             `pycache-policy check` from it yourself"
        }
        Error::ChainedHookExists { .. } => "look at it, move it away, and run the command again",
        Error::HookEdited { .. } => {
            "keep your additions in another hook (then `install --chain` runs it first), or \
             delete the file and run the command again"
        }
        Error::PolicyExists { .. } => {
            "edit it, or move it away and run `pycache-policy init` again"
        }
        Error::Walk { .. } => "nothing was removed",
        Error::GitignoreSymlink { .. } => {
            "replace the link with a regular file (for example `cp --remove-destination \
             \"$(readlink .gitignore)\" .gitignore`) and run the command again"
        }
        Error::GitignoreBlock { .. } => {
            "delete the block's lines by hand and run the command again"
        }
        Error::BareNoIndex { .. } => {
            "run the command in a clone with a working tree, commit, and push"
        }
        Error::IndexLocked { .. } => {
            "wait for it to finish and run the command again; if no git process is running (one \
             may have crashed), remove that file first"
        }
        Error::SparseDirectory { folder, .. } => {
            let folder = pycache_policy::report::display_path(folder);
            return Some(format!(
                "run `git sparse-checkout add {folder}` (or `git sparse-checkout disable`) and run \
                 the command again"
            ));
        }
        Error::IndexUnsupported { .. } => {
            "untrack with git instead: `pycache-policy check --all` prints the `git rm -r \
             --cached` command"
        }
        Error::IndexWrite { .. } => {
            "check the free space and permissions of its folder and run the command again"
        }
        Error::Unreadable { .. } => return Some(CORRUPT.to_string()),
        Error::RuleFileNotRegular { .. } => {
            "replace it with a regular file (or remove it) and run the command again"
        }
        Error::HookNotOurs { .. }
        | Error::OutsideRepository { .. }
        | Error::Io { .. }
        | Error::Git { .. } => return None,
        Error::NoCommits { .. } => {
            "judge what is staged for the first commit with `pycache-policy check --all`"
        }
    };
    Some(text.to_string())
}

fn range_advice(e: &RangeError) -> Option<String> {
    let text = match e {
        RangeError::BadSpec { .. } => {
            "write BASE..HEAD (compare BASE with HEAD) or BASE...HEAD (compare their merge base \
             with HEAD, as a pull request does)"
        }
        RangeError::Unknown { shallow: true, .. }
        | RangeError::NoMergeBase { shallow: true, .. }
        | RangeError::Truncated { .. }
        | RangeError::ShallowAudit => FETCH_MORE,
        RangeError::Unknown { rev, .. } => {
            return Some(format!(
                "check the name, or fetch it first (for example `git fetch origin {rev}`)"
            ));
        }
        RangeError::Ambiguous { .. } => "give more of the commit id",
        RangeError::NoMergeBase { .. } => "compare their trees directly with BASE..HEAD",
        RangeError::Unreadable { .. } => CORRUPT,
        RangeError::WrongKind { .. } | RangeError::Ci { .. } | RangeError::Git { .. } => {
            return None;
        }
    };
    Some(text.to_string())
}
