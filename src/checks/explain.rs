//! `pycache-policy explain PATH…`: for each path, the policy's verdict and the rule that decided
//! it, git's ignore verdict and the file and line that decided it (as `git check-ignore -v
//! --no-index` reports it), and whether the path is tracked.

use crate::git::excludes::{Excludes, IgnoreDecision};
use crate::git::index::IndexFile;
use crate::policy::matcher::{CacheVerdict, Matcher};

/// Everything known about one path.
#[derive(Clone, Debug)]
pub struct Explanation {
    /// Repository-relative path.
    pub(crate) path: Vec<u8>,
    /// Whether it was asked about as a folder.
    pub(crate) is_dir: bool,
    /// What the policy says: `forbidden`, `allowed` or `not-a-cache`.
    pub(crate) policy: &'static str,
    /// The forbid pattern that applies, if one does.
    pub(crate) forbid_rule: Option<String>,
    /// The allow entry that keeps it, if one does, with its reason.
    pub(crate) allow_rule: Option<(String, Option<String>)>,
    /// git's verdict.
    pub(crate) git: IgnoreDecision,
    /// Whether the index has it (as a file, or files under it for a folder).
    pub(crate) tracked: bool,
}

impl Explanation {
    /// Whether git's rules agree with the policy for this path.
    pub(crate) fn agrees(&self) -> bool {
        match self.policy {
            "forbidden" => self.git.is_ignored(),
            "allowed" => !self.git.is_ignored(),
            _ => true,
        }
    }
}

/// Explains one repository-relative path.
pub fn explain(
    path: &[u8],
    is_dir: bool,
    matcher: &Matcher,
    excludes: &Excludes,
    index: &IndexFile,
) -> Explanation {
    let verdict = matcher.verdict_for(path, is_dir);
    let (policy, forbid_rule, allow_rule) = match verdict {
        CacheVerdict::NotCache => ("not-a-cache", None, None),
        CacheVerdict::Forbidden { pattern, .. } => ("forbidden", Some(pattern.to_string()), None),
        CacheVerdict::Allowed { pattern, entry, .. } => (
            "allowed",
            Some(pattern.to_string()),
            Some((entry.display_path(), entry.reason.clone())),
        ),
    };
    let at = index.lower_bound(path);
    let tracked = index.get(at).is_some_and(|e| {
        e.path == path || (e.path.starts_with(path) && e.path.get(path.len()) == Some(&b'/'))
    }) || (is_dir && {
        let mut dir = path.to_vec();
        dir.push(b'/');
        index
            .get(index.lower_bound(&dir))
            .is_some_and(|e| e.path.starts_with(&dir))
    });
    Explanation {
        path: path.to_vec(),
        is_dir,
        policy,
        forbid_rule,
        allow_rule,
        git: excludes.check(path, is_dir),
        tracked,
    }
}
