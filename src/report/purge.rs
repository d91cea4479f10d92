//! What `purge` prints: the plan (with `--dry-run`) or what it removed, and what it kept.
use crate::fix::purge::*;
use crate::report::{LARGEST_FOLDERS, LIST_AT_MOST};
use crate::util::bytes::{human_bytes, plural};
use crate::util::path::display_path;
use std::fmt::Write as _;

/// Human output: what is (or would be) removed, per folder, with counts and bytes, and what is
/// left alone and why.
///
/// Many folders (more than [`LIST_AT_MOST`]) are summarised unless `verbose`: the largest, and
/// how many more.
pub fn render(plan: &Plan, done: Option<&Done>, verbose: bool) -> String {
    let mut out = String::new();
    let verb = if done.is_some() {
        "removed"
    } else {
        "would remove"
    };
    let mut groups: Vec<(&[u8], usize, u64)> = Vec::new();
    for r in &plan.remove {
        let folder = match r.path.iter().rposition(|&b| b == b'/') {
            Some(i) => &r.path[..i],
            None => &b""[..],
        };
        match groups.last_mut() {
            Some(g) if g.0 == folder => {
                g.1 += 1;
                g.2 += r.bytes;
            }
            _ => groups.push((folder, 1, r.bytes)),
        }
    }
    let mut shown: Vec<&(&[u8], usize, u64)> = groups.iter().collect();
    if !verbose && shown.len() > LIST_AT_MOST {
        shown.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(b.0)));
        shown.truncate(LARGEST_FOLDERS);
    }
    for (folder, n, bytes) in shown.iter().copied() {
        let shown = if folder.is_empty() {
            "(repository root)".to_string()
        } else {
            format!("{}/", display_path(folder))
        };
        let _ = writeln!(
            out,
            "  {verb} {n:>5} {} {:>10}  {shown}",
            plural(*n, "file", "files"),
            human_bytes(*bytes)
        );
    }
    if shown.len() < groups.len() {
        let more = groups.len() - shown.len();
        let _ = writeln!(
            out,
            "  and {more} more {} (`--verbose` lists every folder)",
            plural(more, "folder", "folders")
        );
    }
    if verbose || plan.kept.len() <= LIST_AT_MOST {
        for (path, why) in &plan.kept {
            let _ = writeln!(out, "  kept {}: {}", display_path(path), reason(*why));
        }
    } else {
        // Many: one line per reason, with a count and the first path.
        let mut reasons: Vec<(String, usize, &[u8])> = Vec::new();
        for (path, why) in &plan.kept {
            let why = reason(*why);
            match reasons.iter_mut().find(|r| r.0 == why) {
                Some(r) => r.1 += 1,
                None => reasons.push((why.to_string(), 1, path)),
            }
        }
        for (why, n, first) in &reasons {
            let _ = writeln!(
                out,
                "  kept {n} {} (such as {}): {why}",
                plural(*n, "file", "files"),
                display_path(first)
            );
        }
        let _ = writeln!(out, "  (`--verbose` lists every file kept)");
    }
    let tracked = plan.remove.iter().filter(|r| r.tracked).count();
    match done {
        None => {
            let _ = writeln!(
                out,
                "purge (dry run): would remove {} {} ({}) in {} {}; nothing was changed",
                plan.remove.len(),
                plural(plan.remove.len(), "file", "files"),
                human_bytes(plan.bytes()),
                groups.len(),
                if groups.len() == 1 {
                    "folder"
                } else {
                    "folders"
                }
            );
        }
        Some(d) => {
            let _ = writeln!(
                out,
                "purge: removed {} {} ({} freed) and {} empty {}",
                d.removed,
                plural(d.removed, "file", "files"),
                human_bytes(d.bytes),
                d.folders,
                if d.folders == 1 { "folder" } else { "folders" }
            );
            for (path, why) in &d.failed {
                let _ = writeln!(out, "  could not remove {}: {why}", display_path(path));
            }
        }
    }
    if tracked > 0 {
        let _ = writeln!(
            out,
            "{tracked} of them {} tracked: `pycache-policy untrack` (or `clean`) stops tracking \
             them, so their removal does not show in `git status`",
            if tracked == 1 { "is" } else { "are" }
        );
    }
    if !plan.kept.is_empty() {
        let _ = writeln!(
            out,
            "{} forbidden {} left alone (see above)",
            plan.kept.len(),
            if plan.kept.len() == 1 {
                "path"
            } else {
                "paths"
            }
        );
    }
    out
}

/// Why a forbidden path was left on disk, for people.
fn reason(kept: Kept) -> &'static str {
    match kept {
        Kept::Orphan => {
            "its source .py is missing: it may be the only copy of that code (--orphans removes it)"
        }
        Kept::NotBytecode => "not bytecode: Python cannot write it again",
        Kept::Symlink => "a symbolic link: never followed or removed",
    }
}
