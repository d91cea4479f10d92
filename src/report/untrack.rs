//! What `untrack` prints: the plan (with `--dry-run`) or what it removed, grouped by folder.
use crate::fix::untrack::*;
use crate::policy::Policy;
use crate::report::{LARGEST_FOLDERS, LIST_AT_MOST, folder_heading};
use crate::util::bytes::plural;
use crate::util::path::display_path;
use std::fmt::Write as _;

/// Whether the plan was carried out or only shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `--dry-run`: nothing was changed.
    DryRun,
    /// The paths were removed from the index.
    Applied,
    /// The paths were removed from the index as one step of `clean`, which says what to do next
    /// once every step is done.
    Step,
}

/// The plan for people: paths grouped by cache folder with counts, then what happened and the
/// next step. Many paths (more than [`LIST_AT_MOST`]) are summarised unless `verbose`: the
/// largest folders with their counts, and how many more.
pub fn render(plan: &Plan, policy: &Policy, mode: Mode, verbose: bool) -> String {
    let mut out = String::new();
    if plan.is_empty() {
        let _ = writeln!(
            out,
            "pycache-policy: nothing to untrack: no tracked path is forbidden (policy: {})",
            policy.origin
        );
        return out;
    }
    let paths = plural(plan.num_paths(), "path", "paths");
    let folders = plan.num_folders();
    let _ = writeln!(
        out,
        "{} {} {paths} forbidden by the policy, in {folders} {} (policy: {}):",
        match mode {
            Mode::DryRun => "would untrack",
            Mode::Applied | Mode::Step => "untracking",
        },
        plan.num_paths(),
        plural(folders, "folder", "folders"),
        policy.origin
    );
    let mut groups: Vec<(&[u8], Vec<&Removal>)> = Vec::new();
    let mut order: Vec<&Removal> = plan.removals.iter().collect();
    order.sort_by(|a, b| a.folder.cmp(&b.folder).then(a.path.cmp(&b.path)));
    for r in order {
        match groups.last_mut() {
            Some((folder, list)) if *folder == &r.folder[..] => list.push(r),
            _ => groups.push((&r.folder, vec![r])),
        }
    }
    let listed = verbose || plan.num_paths() <= LIST_AT_MOST;
    let total = groups.len();
    if !listed {
        groups.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
        groups.truncate(LARGEST_FOLDERS);
    }
    for (folder, list) in &groups {
        let mut rules: Vec<&str> = list.iter().map(|r| r.rule.as_str()).collect();
        rules.sort_unstable();
        rules.dedup();
        let _ = writeln!(out, "{}", folder_heading(folder, list.len(), &rules));
        for r in list {
            // A conflict is worth a line even in a summary.
            if !listed && !r.conflicted {
                continue;
            }
            let _ = write!(out, "      {}", display_path(&r.path));
            if r.conflicted {
                let _ = write!(out, " (merge conflict: {} stages)", r.stages);
            }
            out.push('\n');
        }
    }
    if groups.len() < total {
        let more = total - groups.len();
        let _ = writeln!(
            out,
            "  and {more} more {} (`--verbose` lists every path)",
            plural(more, "folder", "folders")
        );
    }
    match mode {
        Mode::DryRun => {
            let _ = writeln!(
                out,
                "dry run: the index was not changed; `pycache-policy untrack` untracks them"
            );
        }
        Mode::Applied | Mode::Step => {
            let _ = write!(
                out,
                "untracked {} {paths}; the files stay on disk",
                plan.num_paths()
            );
            if plan.no_commits {
                out.push_str(
                    "\nthe repository has no commits yet: they were only staged, so there is \
                     nothing about them to commit",
                );
            } else if mode == Mode::Applied {
                let _ = write!(out, "\nnext: {COMMIT_COMMAND}");
            }
            out.push('\n');
        }
    }
    out
}
