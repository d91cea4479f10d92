//! What `explain` prints: the policy's verdict and git's for each path, side by side.
use crate::checks::explain::*;
use crate::git::excludes::IgnoreDecision;
use crate::util::path::display_path;
use serde_json::json;
use std::fmt::Write as _;

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
            IgnoreDecision::Ignored(d) => format!(
                "ignored, by {}:{}:{}{}",
                d.file,
                d.line,
                d.pattern,
                matched_note(&e.path, &d.matched)
            ),
            IgnoreDecision::NotIgnored(None) => "not ignored: no rule matches".to_string(),
            IgnoreDecision::NotIgnored(Some(d)) => {
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
