//! SARIF 2.1.0, the static-analysis log format that code-scanning services (GitHub code
//! scanning among them) read. One run; its driver lists every finding code as a rule (so a
//! rule's index never changes); each finding is a result located at its path, relative to the
//! repository root (`%SRCROOT%`), percent-encoded as a URI reference.
//!
//! GitHub shows a result only with a `region`, so each has `startLine: 1` (the findings are
//! about whole files). `partialFingerprints` (code and path) keep an alert the same alert from
//! one run to the next, without the service reading the file to compute one.

use serde_json::{Value, json};

use super::message;
use super::{Render, Report, Subject};
use crate::model::finding::{Code, Severity};

/// The SARIF renderer.
pub(super) struct Sarif;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

impl Render for Sarif {
    fn render(&self, report: &Report<'_>) -> String {
        let rules: Vec<Value> = Code::ALL
            .iter()
            .map(|code| {
                json!({
                    "id": code.as_str(),
                    "shortDescription": { "text": code.description() },
                })
            })
            .collect();
        let results: Vec<Value> = report
            .outcome
            .findings
            .iter()
            .map(|f| {
                let index = Code::ALL.iter().position(|c| *c == f.code).unwrap_or(0);
                let mut result = json!({
                    "ruleId": f.code.as_str(),
                    "ruleIndex": index,
                    "level": match f.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    },
                    "message": { "text": message::message(f) },
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": {
                                "uri": uri(located(f)),
                                "uriBaseId": "%SRCROOT%",
                            },
                            "region": { "startLine": 1 },
                        }
                    }],
                    "partialFingerprints": {
                        "pycachePolicy/v1": format!(
                            "{}:{}",
                            f.code,
                            if f.path.is_empty() {
                                format!("rule {}", f.rule).into()
                            } else {
                                String::from_utf8_lossy(&f.path)
                            }
                        ),
                    },
                });
                if let Some(commit) = &f.commit {
                    result["properties"] = json!({ "commit": commit });
                }
                result
            })
            .collect();
        let mut properties = json!({
            "scope": report.subject.scope_name(),
            "policy": report.policy.origin.to_string(),
        });
        match report.subject {
            Subject::Tree { rev, commit, .. } => {
                properties["rev"] = json!(rev);
                properties["commit"] = json!(commit);
            }
            Subject::Range {
                spec, base, head, ..
            } => {
                properties["range"] = json!(spec);
                properties["base"] = json!(base);
                properties["head"] = json!(head);
            }
            Subject::Staged | Subject::All => {}
        }
        let doc = json!({
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "pycache-policy",
                        "version": env!("CARGO_PKG_VERSION"),
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {
                    "%SRCROOT%": { "description": { "text": "The root of the repository." } }
                },
                "results": results,
                "properties": properties,
            }]
        });
        let mut s = serde_json::to_string_pretty(&doc).expect("a JSON value always serializes");
        s.push('\n');
        s
    }
}

/// Where a result is located: its path, or for a finding about an ignore rule rather than a
/// path, the root `.gitignore` that would hold the rule (code scanning wants a location).
fn located(f: &crate::model::finding::Finding) -> &[u8] {
    if f.path.is_empty() {
        b".gitignore"
    } else {
        &f.path
    }
}

/// A repository path as a relative URI reference: every byte but the unreserved characters
/// and `/` percent-encoded (so a path that is not UTF-8 survives too).
fn uri(path: &[u8]) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri(b"a/__pycache__/m.pyc"), "a/__pycache__/m.pyc");
        assert_eq!(uri(b"my dir/Foo$py.class"), "my%20dir/Foo%24py.class");
        assert_eq!(uri(b"caf\xe9/x#1.pyc"), "caf%E9/x%231.pyc");
    }
}
