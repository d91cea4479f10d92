//! What `audit` prints: the commits that brought caches into history, and how to purge them.
use crate::checks::audit::*;
use crate::policy::Policy;
use crate::policy::filter_repo::{self};
use crate::util::bytes::{human_bytes, plural};

/// Paths listed per commit in the human report; the rest are counted.
const PATHS_SHOWN: usize = 5;

/// The audit for people: the commits, the figures, and the purge command.
pub fn human(audit: &Audit, policy: &Policy) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let from = if audit.all_refs { "every ref" } else { "HEAD" };
    let _ = writeln!(
        out,
        "pycache-policy audit: {} {} reachable from {from} (policy: {})",
        audit.num_commits,
        if audit.num_commits == 1 {
            "commit"
        } else {
            "commits"
        },
        policy.origin
    );
    if !audit.found() {
        let _ = writeln!(
            out,
            "No commit adds a Python bytecode cache the policy forbids."
        );
        return out;
    }
    let n = audit.introductions.len();
    let _ = writeln!(
        out,
        "{n} {} brought Python bytecode caches the policy forbids into history:",
        if n == 1 { "commit" } else { "commits" }
    );
    for i in &audit.introductions {
        let id = i.commit.to_string();
        let _ = writeln!(out, "  {} {}", crate::report::short_id(&id), i.summary);
        for p in i.paths.iter().take(PATHS_SHOWN) {
            let _ = writeln!(out, "      {}", crate::util::path::display_path(p));
        }
        if i.paths.len() > PATHS_SHOWN {
            let _ = writeln!(out, "      ... and {} more", i.paths.len() - PATHS_SHOWN);
        }
    }
    let _ = writeln!(
        out,
        "\nHistory holds {} distinct cache {} at {} {}, {} in all (uncompressed object size).",
        audit.num_blobs,
        if audit.num_blobs == 1 {
            "blob"
        } else {
            "blobs"
        },
        audit.paths.len(),
        if audit.paths.len() == 1 {
            "path"
        } else {
            "paths"
        },
        size(audit.blob_bytes)
    );
    let kept: Vec<String> = policy.allow.iter().map(|a| a.display_path()).collect();
    match &audit.purge {
        Ok(regex) => {
            let keeping = if kept.is_empty() {
                String::new()
            } else {
                format!(" while keeping {}", kept.join(", "))
            };
            let _ = writeln!(
                out,
                "\nTo purge them from every commit{keeping}, rewrite history with git-filter-repo \
                 in a fresh clone (every commit id from the first such commit on changes, so \
                 every clone must be made again):\n  {}",
                filter_repo::command(regex)
            );
        }
        Err(u) => {
            let _ = writeln!(
                out,
                "\nNo single git filter-repo --path-regex expresses this policy: `{}`: {}.\n\
                 `pycache-policy audit --format json` lists every path in `paths`; write them \
                 to a file, one per line, and run `git filter-repo --invert-paths \
                 --paths-from-file FILE`.",
                u.pattern, u.reason
            );
        }
    }
    out
}

/// The audit as one JSON object:
///
/// ```text
/// { "version": 1, "policy": "<where it came from>",
///   "walked": { "refs": "HEAD" | "all", "commits": N },
///   "commits": [ { "id", "summary", "paths": [ ... ] } ],   (newest first)
///   "paths": [ ... ], "blobs": { "count": N, "bytes": N },
///   "purge": { "regex": "..." | null, "command": "git filter-repo ..." | null,
///              "refused": { "pattern", "reason" } | null } }
/// ```
pub fn json(audit: &Audit, policy: &Policy) -> String {
    use serde_json::json;
    let lossy = |p: &Vec<u8>| String::from_utf8_lossy(p).into_owned();
    let doc = json!({
        "version": crate::report::JSON_VERSION,
        "policy": policy.origin.to_string(),
        "walked": {
            "refs": if audit.all_refs { "all" } else { "HEAD" },
            "commits": audit.num_commits,
        },
        "commits": audit.introductions.iter().map(|i| json!({
            "id": i.commit.to_string(),
            "summary": i.summary,
            "paths": i.paths.iter().map(lossy).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "paths": audit.paths.iter().map(lossy).collect::<Vec<_>>(),
        "blobs": { "count": audit.num_blobs, "bytes": audit.blob_bytes },
        "purge": {
            "regex": audit.purge.as_ref().ok(),
            "command": audit.purge_command(),
            "refused": audit.purge.as_ref().err().map(|u| json!({
                "pattern": u.pattern,
                "reason": u.reason,
            })),
        },
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("a JSON value always serializes");
    s.push('\n');
    s
}

/// A size for people: bytes, KiB, MiB or GiB, with the exact byte count.
fn size(bytes: u64) -> String {
    match bytes {
        0..1024 => format!("{bytes} {}", plural(bytes as usize, "byte", "bytes")),
        _ => format!("{} ({bytes} bytes)", human_bytes(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size(1), "1 byte");
        assert_eq!(size(1023), "1023 bytes");
        assert_eq!(size(1536), "1.5 KiB (1536 bytes)");
        assert_eq!(size(5 << 20), "5.0 MiB (5242880 bytes)");
    }
}
