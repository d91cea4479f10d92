//! The Markdown summary GitHub Actions shows on a job's page (`$GITHUB_STEP_SUMMARY`): the
//! verdict, what was judged, a table of the findings (at most [`MAX_ROWS`]) and the fix.

use std::fmt::Write as _;

use super::message;
use super::{Report, Subject, short_id, untrack_command};

/// Findings listed in the table; the rest are counted.
pub(crate) const MAX_ROWS: usize = 50;

/// The summary of a check, in GitHub-flavoured Markdown.
pub fn step_summary(report: &Report<'_>) -> String {
    let errors = report.num_errors();
    let warnings = report.num_warnings();
    let mut out = String::new();
    if errors == 0 {
        let _ = writeln!(
            out,
            "### pycache-policy: no forbidden caches {}",
            report.subject.where_()
        );
    } else {
        let _ = writeln!(
            out,
            "### pycache-policy: {errors} {} ({warnings} {})",
            if errors == 1 { "error" } else { "errors" },
            if warnings == 1 { "warning" } else { "warnings" }
        );
    }
    out.push('\n');
    let judged = match report.subject {
        Subject::Staged => "the staged index".to_string(),
        Subject::All => "every tracked path".to_string(),
        Subject::Tree { rev, .. } => format!("every path of `{}`", cell(rev)),
        Subject::Range {
            spec,
            each_commit,
            commits,
            chosen_by,
            ..
        } => {
            let mut s = format!("the changes of `{}`", cell(spec));
            if *each_commit {
                let _ = write!(s, ", {} commits one by one", commits.len());
            }
            if let Some(by) = chosen_by {
                let _ = write!(s, " ({})", cell(by));
            }
            s
        }
    };
    let _ = writeln!(
        out,
        "Judged {judged}; policy: {}.",
        cell(&report.policy.origin.to_string())
    );
    if !report.outcome.findings.is_empty() {
        out.push_str("\n| | code | path | commit | message |\n|---|---|---|---|---|\n");
        for f in report.outcome.findings.iter().take(MAX_ROWS) {
            let _ = writeln!(
                out,
                "| {} | `{}` | `{}` | {} | {} |",
                f.severity.as_str(),
                f.code,
                cell(&super::shown_path(f)),
                f.commit
                    .as_deref()
                    .map(|c| format!("`{}`", short_id(c)))
                    .unwrap_or_default(),
                cell(&message::message(f))
            );
        }
        let more = report.outcome.findings.len().saturating_sub(MAX_ROWS);
        if more > 0 {
            let _ = writeln!(out, "\n… and {more} more.");
        }
    }
    if let Some(cmd) = untrack_command(report.outcome) {
        let _ = writeln!(
            out,
            "\nTo fix, untrack them and commit:\n\n```sh\n{cmd}\n```"
        );
    }
    out
}

/// Text for a table cell: no line breaks, `|` escaped (GitHub unescapes it in code spans too),
/// backticks neutralised.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('`', "'")
        .replace(['\n', '\r'], " ")
}
