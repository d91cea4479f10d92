//! `pycache-policy explain PATH…`: for each path, the policy's verdict and the rule that decided
//! it, git's ignore verdict and the file and line that decided it (as `git check-ignore -v
//! --no-index` reports it), and whether the path is tracked.

use std::fmt::Write as _;

use serde_json::json;

use crate::git::excludes::{Excludes, Verdict as GitVerdict};
use crate::git::index::IndexFile;
use crate::policy::matcher::{Matcher, Verdict};
use crate::util::path::display_path;

/// Everything known about one path.
#[derive(Clone, Debug)]
pub struct Explanation {
    /// Repository-relative path.
    pub path: Vec<u8>,
    /// Whether it was asked about as a folder.
    pub is_dir: bool,
    /// What the policy says: `forbidden`, `allowed` or `not-a-cache`.
    pub policy: &'static str,
    /// The forbid pattern that applies, if one does.
    pub forbid_rule: Option<String>,
    /// The allow entry that keeps it, if one does, with its reason.
    pub allow_rule: Option<(String, Option<String>)>,
    /// git's verdict.
    pub git: GitVerdict,
    /// Whether the index has it (as a file, or files under it for a folder).
    pub tracked: bool,
}

impl Explanation {
    /// Whether git's rules agree with the policy for this path.
    pub fn agrees(&self) -> bool {
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
        Verdict::NotCache => ("not-a-cache", None, None),
        Verdict::Forbidden { pattern, .. } => ("forbidden", Some(pattern.to_string()), None),
        Verdict::Allowed { pattern, entry, .. } => (
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

/// Human output, one block per path.
pub fn human(explanations: &[Explanation]) -> String {
    let mut out = String::new();
    for e in explanations {
        let _ = writeln!(
            out,
            "{}{}",
            display_path(&e.path),
            if e.is_dir { "/" } else { "" }
        );
        let policy = match (&e.forbid_rule, &e.allow_rule) {
            (None, _) => "not a cache: no forbid pattern matches".to_string(),
            (Some(f), None) => format!("forbidden by `{f}`"),
            (Some(f), Some((a, reason))) => format!(
                "allowed by `{a}`{}, although `{f}` forbids caches",
                reason
                    .as_ref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
        };
        let _ = writeln!(out, "  policy: {policy}");
        let git = match &e.git {
            GitVerdict::Ignored(d) => format!(
                "ignored, by {}:{}:{}{}",
                d.file,
                d.line,
                d.pattern,
                matched_note(&e.path, &d.matched)
            ),
            GitVerdict::NotIgnored(None) => "not ignored: no rule matches".to_string(),
            GitVerdict::NotIgnored(Some(d)) => {
                format!(
                    "not ignored: re-included by {}:{}:{}",
                    d.file, d.line, d.pattern
                )
            }
        };
        let _ = writeln!(out, "  git:    {git}");
        let _ = writeln!(
            out,
            "  index:  {}",
            if e.tracked { "tracked" } else { "not tracked" }
        );
        if !e.agrees() {
            let _ = writeln!(
                out,
                "  => git and the policy disagree; `pycache-policy gitignore` fixes the root \
                 .gitignore"
            );
        }
    }
    out
}

fn matched_note(path: &[u8], matched: &[u8]) -> String {
    if matched == path {
        String::new()
    } else {
        format!(" (it excludes the folder {}/)", display_path(matched))
    }
}

/// JSON output: `{ "version": 1, "paths": [ { "path", "policy", "forbid_rule", "allow_rule",
/// "reason", "git": { "ignored", "source", "line", "pattern" }, "tracked", "agrees" } ] }`.
pub fn json(explanations: &[Explanation]) -> String {
    let paths: Vec<_> = explanations
        .iter()
        .map(|e| {
            let d = e.git.decision();
            json!({
                "path": String::from_utf8_lossy(&e.path),
                "policy": e.policy,
                "forbid_rule": e.forbid_rule,
                "allow_rule": e.allow_rule.as_ref().map(|a| &a.0),
                "reason": e.allow_rule.as_ref().and_then(|a| a.1.as_ref()),
                "git": {
                    "ignored": e.git.is_ignored(),
                    "source": d.map(|d| &d.file),
                    "line": d.map(|d| d.line),
                    "pattern": d.map(|d| &d.pattern),
                },
                "tracked": e.tracked,
                "agrees": e.agrees(),
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&json!({ "version": 1, "paths": paths }))
        .expect("a JSON value always serializes");
    s.push('\n');
    s
}
