//! The report for people: caches grouped by folder (or, when commits were judged one by one, by
//! the commit that added them), then the other findings, then the commands that fix them.
//! Colour (only when asked for: the binary asks on a terminal without `NO_COLOR`) marks the
//! verdicts; the text is the same without it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::message;
use super::{
    LARGEST_FOLDERS, LIST_AT_MOST, Render, Report, Subject, display_path, findings_of, fix_text,
    folder_heading, plural, short_id,
};
use crate::model::finding::{Code, Finding, Severity};
use crate::model::outcome::Recompiled;

/// The human renderer.
pub(super) struct Human {
    pub(super) color: bool,
    /// List every finding, however many (`--verbose`); otherwise many are summarised.
    pub(super) verbose: bool,
}

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const GREEN: &str = "\x1b[32m";
const BOLD: &str = "\x1b[1m";
const RESET: &str = "\x1b[0m";

impl Human {
    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    fn label(&self, severity: Severity, code: Code) -> String {
        let style = match severity {
            Severity::Error => RED,
            Severity::Warning => YELLOW,
        };
        self.paint(style, &format!("{}[{code}]", severity.as_str()))
    }
}

impl Render for Human {
    fn render(&self, report: &Report<'_>) -> String {
        let Report {
            outcome,
            policy,
            subject,
        } = *report;
        let where_ = subject.where_();
        let mut out = String::new();
        if report.num_errors() == 0 {
            let judged = match subject {
                Subject::Range {
                    each_commit: true,
                    commits,
                    ..
                } => format!(
                    "; {} {} judged one by one",
                    commits.len(),
                    plural(commits.len(), "commit", "commits")
                ),
                _ => String::new(),
            };
            let line = format!(
                "pycache-policy: no forbidden caches {where_} (policy: {}{judged})",
                policy.origin
            );
            let _ = writeln!(out, "{}", self.paint(GREEN, &line));
        }

        let caches: Vec<&Finding> = outcome
            .findings
            .iter()
            .filter(|f| f.code == Code::TrackedCache)
            .collect();
        let by_commit = caches.iter().any(|f| f.commit.is_some());
        if by_commit {
            self.caches_by_commit(&mut out, report, &caches);
        } else if !caches.is_empty() {
            self.caches_by_folder(&mut out, &where_, &caches);
        }
        let others: Vec<&Finding> = outcome
            .findings
            .iter()
            .filter(|f| f.code != Code::TrackedCache)
            .collect();
        let shown = if self.verbose || others.len() <= LIST_AT_MOST {
            others.len()
        } else {
            LIST_AT_MOST / 2
        };
        for f in &others[..shown] {
            let _ = writeln!(
                out,
                "{}: {}",
                self.label(f.severity, f.code),
                message::message(f)
            );
        }
        if shown < others.len() {
            let _ = writeln!(
                out,
                "and {} more {} (`--verbose` lists them, `--format json` too)",
                others.len() - shown,
                plural(others.len() - shown, "finding", "findings")
            );
        }
        if let Some(r) = &outcome.recompiled {
            let _ = writeln!(out, "{}", recompiled_line(r));
        }
        let fixes = fix_text(report, self.verbose || caches.len() <= LIST_AT_MOST);
        if !fixes.is_empty() {
            out.push('\n');
        }
        for line in fixes.iter().flat_map(|fix| fix.lines()) {
            // What to run or write (indented) stands out.
            if line.starts_with("  ") {
                let _ = writeln!(out, "{}", self.paint(BOLD, line));
            } else {
                let _ = writeln!(out, "{line}");
            }
        }
        out
    }
}

/// How many kept pycs were recompiled to compare their code, and by which Python.
fn recompiled_line(r: &Recompiled) -> String {
    let (n, missing) = (r.compiled(), r.unavailable);
    let why_not = format!(
        "no Python of {} version would compile {}",
        plural(missing, "its", "their"),
        plural(missing, "it", "them")
    );
    if n == 0 {
        return format!(
            "could not recompile the {missing} kept {} to compare {} code ({why_not})",
            plural(missing, "pyc", "pycs"),
            plural(missing, "its", "their"),
        );
    }
    let mut line = format!(
        "recompiled {n} kept {} to compare {} code",
        plural(n, "pyc", "pycs"),
        plural(n, "its", "their")
    );
    for (k, (interpreter, files)) in r.by.iter().enumerate() {
        let sep = if k == 0 { ": " } else { "; " };
        let _ = write!(line, "{sep}{files} with {interpreter}");
    }
    if missing > 0 {
        let _ = write!(line, "; {missing} could not be ({why_not})");
    }
    line
}

impl Human {
    fn caches_by_folder(&self, out: &mut String, where_: &str, caches: &[&Finding]) {
        // Sorted by path, the findings of one folder mostly come one after another: one map
        // entry per run of them, not one lookup per file.
        let mut groups: BTreeMap<&[u8], Vec<&Finding>> = BTreeMap::new();
        let mut run: Vec<&Finding> = Vec::new();
        for f in caches {
            if run.first().is_some_and(|first| !first.same_folder(f)) {
                groups.entry(&run[0].folder).or_default().append(&mut run);
            }
            run.push(f);
        }
        if let Some(first) = run.first() {
            groups.entry(&first.folder).or_default().append(&mut run);
        }
        let _ = writeln!(
            out,
            "{}: {} Python bytecode cache {} {where_}, in {} {}",
            self.label(Severity::Error, Code::TrackedCache),
            caches.len(),
            plural(caches.len(), "file is", "files are"),
            groups.len(),
            plural(groups.len(), "folder", "folders"),
        );
        let listed = self.verbose || caches.len() <= LIST_AT_MOST;
        // Many: the largest folders, with counts, and how many more.
        let mut order: Vec<(&&[u8], &Vec<&Finding>)> = groups.iter().collect();
        if !listed {
            order.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
            order.truncate(LARGEST_FOLDERS);
        }
        for (folder, files) in &order {
            let mut rules: Vec<&str> = files.iter().map(|f| &*f.rule).collect();
            rules.sort_unstable();
            rules.dedup();
            let _ = writeln!(out, "{}", folder_heading(folder, files.len(), &rules));
            if listed {
                for f in files.iter() {
                    let _ = writeln!(out, "      {}", display_path(&f.path));
                }
            }
        }
        if order.len() < groups.len() {
            let more = groups.len() - order.len();
            let _ = writeln!(
                out,
                "  and {more} more {} (`--verbose` lists every file)",
                plural(more, "folder", "folders")
            );
        }
    }

    fn caches_by_commit(&self, out: &mut String, report: &Report<'_>, caches: &[&Finding]) {
        let mut commits: Vec<&str> = Vec::new();
        for f in caches {
            if let Some(c) = f.commit.as_deref()
                && !commits.contains(&c)
            {
                commits.push(c);
            }
        }
        let spec = match report.subject {
            Subject::Range { spec, .. } => spec.as_str(),
            _ => "the range",
        };
        let _ = writeln!(
            out,
            "{}: {} Python bytecode {} added by {} {} of {spec}",
            self.label(Severity::Error, Code::TrackedCache),
            caches.len(),
            plural(caches.len(), "cache file is", "cache files are"),
            commits.len(),
            plural(commits.len(), "commit", "commits"),
        );
        // Many: the first commits, a few paths of each, and how many more.
        let listed = self.verbose || caches.len() <= LIST_AT_MOST;
        let total = commits.len();
        if !listed {
            commits.truncate(LARGEST_FOLDERS);
        }
        for id in &commits {
            let summary = report
                .subject
                .commit(id)
                .map(|c| c.summary.as_str())
                .unwrap_or_default();
            let _ = writeln!(out, "  commit {} {summary}", short_id(id));
            let added: Vec<&Finding> = findings_of(report.outcome, Some(id))
                .into_iter()
                .filter(|f| f.code == Code::TrackedCache)
                .collect();
            let shown = if listed {
                added.len()
            } else {
                added.len().min(3)
            };
            for f in &added[..shown] {
                let _ = writeln!(
                    out,
                    "      {} (forbidden by `{}`)",
                    display_path(&f.path),
                    f.rule
                );
            }
            if shown < added.len() {
                let _ = writeln!(out, "      and {} more", added.len() - shown);
            }
        }
        if commits.len() < total {
            let more = total - commits.len();
            let _ = writeln!(
                out,
                "  and {more} more {} (`--verbose` lists every file)",
                plural(more, "commit", "commits")
            );
        }
    }
}
