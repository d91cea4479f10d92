//! Rendering a check's outcome for people (`human`) and for programs (`json`).
//!
//! The library never prints: each renderer returns the text, and the binary decides where it
//! goes. Paths are bytes; they are shown the way git shows them (C-style quoting for bytes that
//! are not printable UTF-8), and put into commands with shell quoting that survives any byte.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::json;

use crate::check::{Outcome, Scope};
use crate::finding::{Code, Finding};
use crate::policy::Policy;

/// The output formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Grouped by cache folder, with the command that fixes it.
    Human,
    /// One JSON object with a `findings` array; see [`json`].
    Json,
}

/// Version of the JSON document; bumped when a field changes meaning or disappears.
pub const JSON_VERSION: u32 = 1;

/// Renders `outcome` in `format`.
pub fn render(format: Format, outcome: &Outcome, policy: &Policy, scope: Scope) -> String {
    match format {
        Format::Human => human(outcome, policy, scope),
        Format::Json => json(outcome, policy, scope),
    }
}

/// The command that untracks everything `outcome` found, if there is anything to untrack.
pub fn untrack_command(outcome: &Outcome) -> Option<String> {
    if outcome.untrack.is_empty() {
        return None;
    }
    let mut cmd = String::from("git rm -r --cached --");
    for path in &outcome.untrack {
        cmd.push(' ');
        cmd.push_str(&shell_quote(path));
    }
    Some(cmd)
}

/// Human output: findings grouped by cache folder, counted, and the commands that fix them.
pub fn human(outcome: &Outcome, policy: &Policy, scope: Scope) -> String {
    let where_ = match scope {
        Scope::Staged => "staged",
        Scope::All => "tracked",
    };
    let mut out = String::new();
    if !outcome.has_errors() {
        let _ = writeln!(
            out,
            "pycache-policy: no forbidden caches {where_} (policy: {})",
            policy.origin
        );
    }

    let caches: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| f.code == Code::TrackedCache)
        .collect();
    if !caches.is_empty() {
        let mut groups: BTreeMap<&[u8], Vec<&Finding>> = BTreeMap::new();
        for f in &caches {
            groups.entry(&f.folder).or_default().push(f);
        }
        let _ = writeln!(
            out,
            "error[{}]: {} Python bytecode cache {} {where_}, in {} {}",
            Code::TrackedCache,
            caches.len(),
            plural(caches.len(), "file is", "files are"),
            groups.len(),
            plural(groups.len(), "folder", "folders"),
        );
        for (folder, files) in &groups {
            let mut rules: Vec<&str> = files.iter().map(|f| f.rule.as_str()).collect();
            rules.dedup();
            let folder = if folder.is_empty() {
                "(repository root)".to_string()
            } else {
                format!("{}/", display_path(folder))
            };
            let _ = writeln!(
                out,
                "  {folder} ({} {}, forbidden by {})",
                files.len(),
                plural(files.len(), "file", "files"),
                rules
                    .iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            for f in files {
                let _ = writeln!(out, "      {}", display_path(&f.path));
            }
        }
    }
    for f in outcome
        .findings
        .iter()
        .filter(|f| f.code != Code::TrackedCache)
    {
        let _ = writeln!(out, "{}[{}]: {}", f.severity.as_str(), f.code, f.message);
    }

    if let Some(cmd) = untrack_command(outcome) {
        let _ = writeln!(
            out,
            "\nTo fix, untrack them (the files stay on disk){}:\n  {cmd}",
            match scope {
                Scope::Staged => " and commit again",
                Scope::All => " and commit",
            }
        );
        let positive: Vec<&str> = policy
            .forbid
            .iter()
            .filter(|p| !p.starts_with('!'))
            .map(String::as_str)
            .collect();
        let _ = writeln!(
            out,
            "To keep them out for good, have these lines in .gitignore:\n  {}",
            positive.join("\n  ")
        );
    }
    out
}

/// JSON output, one object:
///
/// ```text
/// { "version": 1, "scope": "staged" | "all", "policy": "<where it came from>",
///   "findings": [ { "code", "severity", "path", "folder", "rule", "message",
///                   "path_bytes" (only when the path is not UTF-8) } ],
///   "summary": { "errors": N, "warnings": N },
///   "fix": { "untrack": "git rm -r --cached -- ..." | null } }
/// ```
///
/// `path` and `folder` are repository-relative and `/`-separated; a path that is not UTF-8 has
/// its bytes in `path_bytes` and a lossy `path`.
pub fn json(outcome: &Outcome, policy: &Policy, scope: Scope) -> String {
    let findings: Vec<_> = outcome
        .findings
        .iter()
        .map(|f| {
            let mut item = json!({
                "code": f.code.as_str(),
                "severity": f.severity.as_str(),
                "path": String::from_utf8_lossy(&f.path),
                "folder": String::from_utf8_lossy(&f.folder),
                "rule": f.rule,
                "message": f.message,
            });
            if std::str::from_utf8(&f.path).is_err() {
                item["path_bytes"] = json!(f.path);
            }
            item
        })
        .collect();
    let errors = outcome.findings.iter().filter(|f| f.is_error()).count();
    let doc = json!({
        "version": JSON_VERSION,
        "scope": match scope { Scope::Staged => "staged", Scope::All => "all" },
        "policy": policy.origin.to_string(),
        "findings": findings,
        "summary": { "errors": errors, "warnings": outcome.findings.len() - errors },
        "fix": { "untrack": untrack_command(outcome) },
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("a JSON value always serializes");
    s.push('\n');
    s
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// A path as git shows it: as is when it is printable UTF-8, else in double quotes with C-style
/// escapes (octal for bytes that are not UTF-8), like `core.quotePath=false`.
pub fn display_path(path: &[u8]) -> String {
    match std::str::from_utf8(path) {
        Ok(s) if !s.chars().any(|c| c.is_control() || c == '"' || c == '\\') => s.to_string(),
        _ => {
            let mut out = String::from("\"");
            for chunk in path.utf8_chunks() {
                for c in chunk.valid().chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\t' => out.push_str("\\t"),
                        '\n' => out.push_str("\\n"),
                        c if c.is_control() => {
                            let _ = write!(out, "\\{:03o}", c as u32);
                        }
                        c => out.push(c),
                    }
                }
                for b in chunk.invalid() {
                    let _ = write!(out, "\\{b:03o}");
                }
            }
            out.push('"');
            out
        }
    }
}

/// Quotes a path for a POSIX shell; bytes that are not printable UTF-8 use bash/zsh `$'...'`.
pub fn shell_quote(path: &[u8]) -> String {
    let plain = |b: &u8| b.is_ascii_alphanumeric() || b"_-./+@%=:,".contains(b);
    if !path.is_empty() && path.iter().all(plain) && path[0] != b'-' {
        return String::from_utf8_lossy(path).into_owned();
    }
    match std::str::from_utf8(path) {
        Ok(s) if !s.chars().any(char::is_control) => format!("'{}'", s.replace('\'', r"'\''")),
        _ => {
            let mut out = String::from("$'");
            for chunk in path.utf8_chunks() {
                for c in chunk.valid().chars() {
                    match c {
                        '\'' => out.push_str("\\'"),
                        '\\' => out.push_str("\\\\"),
                        c if c.is_control() => {
                            let _ = write!(out, "\\{:03o}", c as u32);
                        }
                        c => out.push(c),
                    }
                }
                for b in chunk.invalid() {
                    let _ = write!(out, "\\{b:03o}");
                }
            }
            out.push('\'');
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_like_git() {
        assert_eq!(display_path(b"a/b c.pyc"), "a/b c.pyc");
        assert_eq!(display_path(b"caf\xe9/x.pyc"), "\"caf\\351/x.pyc\"");
        assert_eq!(display_path("é.pyc".as_bytes()), "é.pyc");
        assert_eq!(display_path(b"a\tb"), "\"a\\tb\"");
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote(b"a/__pycache__"), "a/__pycache__");
        assert_eq!(shell_quote(b"my dir/x.pyc"), "'my dir/x.pyc'");
        assert_eq!(shell_quote(b"it's.pyc"), "'it'\\''s.pyc'");
        assert_eq!(shell_quote(b"Foo$py.class"), "'Foo$py.class'");
        assert_eq!(shell_quote(b"caf\xe9.pyc"), "$'caf\\351.pyc'");
        assert_eq!(shell_quote(b"-x.pyc"), "'-x.pyc'");
    }
}
