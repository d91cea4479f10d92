//! What `untrack` prints: the plan (with `--dry-run`) or what it removed, grouped by folder.
use crate::fix::untrack::*;
use crate::policy::Policy;
use crate::report::folder_heading;
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
}

/// The plan for people: paths grouped by cache folder with counts, then what happened and the
/// next step.
pub fn render(plan: &Plan, policy: &Policy, mode: Mode) -> String {
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
            Mode::Applied => "untracking",
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
    for (folder, list) in &groups {
        let mut rules: Vec<&str> = list.iter().map(|r| r.rule.as_str()).collect();
        rules.sort_unstable();
        rules.dedup();
        let _ = writeln!(out, "{}", folder_heading(folder, list.len(), &rules));
        for r in list {
            let _ = write!(out, "      {}", display_path(&r.path));
            if r.conflicted {
                let _ = write!(out, " (merge conflict: {} stages)", r.stages);
            }
            out.push('\n');
        }
    }
    match mode {
        Mode::DryRun => {
            let _ = writeln!(
                out,
                "dry run: the index was not changed; `pycache-policy untrack` untracks them"
            );
        }
        Mode::Applied => {
            let _ = writeln!(
                out,
                "untracked {} {paths}; the files stay on disk\nnext: {COMMIT_COMMAND}",
                plan.num_paths()
            );
        }
    }
    out
}
