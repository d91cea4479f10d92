//! The JSON document, one object:
//!
//! ```text
//! { "version": 1, "scope": "staged" | "all" | "tree" | "range", "policy": "<where it came from>",
//!   "findings": [ { "code", "severity", "path", "folder", "rule", "message",
//!                   "path_bytes" (only when the path is not UTF-8),
//!                   "commit" (only when commits are judged one by one) } ],
//!   "summary": { "errors": N, "warnings": N },
//!   "fix": { "untrack": "git rm -r --cached -- ..." | null },
//!   "tree": { "rev", "commit" (or null), "tree" }                          (scope "tree")
//!   "range": { "spec", "base", "head", "merge_base" (or null), "each_commit",
//!              "commits": [ { "id", "summary" } ], "chosen_by" (or null) } (scope "range") }
//! ```
//!
//! `path` and `folder` are repository-relative and `/`-separated; `path` is tracked or on disk,
//! or `null` for a finding about a rule rather than a path (an ignore rule no tracked path shows
//! missing: the message names the rule). A path that is not UTF-8 has
//! its bytes in `path_bytes` and a lossy `path`. Commit ids are full hexadecimal ids.
//!
//! Fields and `scope` values are only added within a [`super::JSON_VERSION`], never renamed or
//! removed.

use serde_json::{Value, json};

use super::message;
use super::{Render, Report, Subject, untrack_command};

/// The JSON renderer.
pub(super) struct Json;

impl Render for Json {
    fn render(&self, report: &Report<'_>) -> String {
        let mut doc = json!({
            "version": super::JSON_VERSION,
            "scope": report.subject.scope_name(),
            "policy": report.policy.origin.to_string(),
            "findings": findings(report),
            "summary": { "errors": report.num_errors(), "warnings": report.num_warnings() },
            "fix": { "untrack": untrack_command(report.outcome) },
        });
        if let Some(r) = &report.outcome.recompiled {
            let by: Vec<Value> = r
                .by
                .iter()
                .map(|(interpreter, files)| json!({ "interpreter": interpreter, "files": files }))
                .collect();
            doc["recompiled"] = json!({
                "files": r.compiled(),
                "by": by,
                "unavailable": r.unavailable,
            });
        }
        match report.subject {
            Subject::Staged | Subject::All => {}
            Subject::Tree { rev, commit, tree } => {
                doc["tree"] = json!({ "rev": rev, "commit": commit, "tree": tree });
            }
            Subject::Range {
                spec,
                base,
                head,
                merge_base,
                each_commit,
                commits,
                chosen_by,
            } => {
                let commits: Vec<Value> = commits
                    .iter()
                    .map(|c| json!({ "id": c.id, "summary": c.summary }))
                    .collect();
                doc["range"] = json!({
                    "spec": spec,
                    "base": base,
                    "head": head,
                    "merge_base": merge_base,
                    "each_commit": each_commit,
                    "commits": commits,
                    "chosen_by": chosen_by,
                });
            }
        }
        let mut s = serde_json::to_string_pretty(&doc).expect("a JSON value always serializes");
        s.push('\n');
        s
    }
}

fn findings(report: &Report<'_>) -> Vec<Value> {
    report
        .outcome
        .findings
        .iter()
        .map(|f| {
            let mut item = json!({
                "code": f.code.as_str(),
                "severity": f.severity.as_str(),
                "path": (!f.path.is_empty()).then(|| String::from_utf8_lossy(&f.path)),
                "folder": String::from_utf8_lossy(&f.folder),
                "rule": &*f.rule,
                "message": message::message(f),
            });
            if std::str::from_utf8(&f.path).is_err() {
                item["path_bytes"] = json!(f.path);
            }
            if let Some(commit) = &f.commit {
                item["commit"] = json!(commit);
            }
            item
        })
        .collect()
}
