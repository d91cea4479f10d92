//! Rendering a check's outcome: for people (`human`), for programs (`json`), and for CI systems
//! (`github` workflow commands, `sarif` for code scanning, `junit` test reports), plus the
//! Markdown job summary of GitHub Actions.
//!
//! The library never prints: each renderer returns the text, and the binary decides where it
//! goes. There is one renderer per format, each behind [`Render`]. Paths are bytes; they are
//! shown the way git shows them (C-style quoting for bytes that are not printable UTF-8), and put
//! into commands with shell quoting that survives any byte.

pub mod audit;
pub mod explain;
mod github;
pub mod gitignore;
mod human;
pub mod inspect;
mod json;
mod junit;
pub(crate) mod message;
pub mod purge;
mod sarif;
mod summary;
pub mod untrack;

use crate::model::finding::Finding;
use crate::model::outcome::Outcome;
pub use crate::model::outcome::{CommitInfo, Subject};
use crate::policy::Policy;
use crate::util::bytes::plural;
pub(crate) use crate::util::bytes::short_id;
pub use crate::util::path::{display_path, shell_quote};

pub use summary::step_summary;

/// The output formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Grouped by cache folder (or by commit), with the command that fixes it.
    Human,
    /// One JSON object with a `findings` array; see [`json`].
    Json,
    /// GitHub Actions workflow commands (`::error file=…::…`), then the human report.
    Github,
    /// A SARIF 2.1.0 log, as code-scanning services read it.
    Sarif,
    /// A JUnit XML test report: one failing test case per error.
    Junit,
}

/// Version of the JSON document; bumped when a field changes meaning or disappears (fields and
/// `scope` values are only ever added within a version).
pub(crate) const JSON_VERSION: u32 = 1;

impl Subject {
    /// How the judged paths relate to the subject, after "N caches are …": `staged`,
    /// `tracked`, `tracked in v1.2`, `added by main...topic`.
    pub(crate) fn where_(&self) -> String {
        match self {
            Subject::Staged => "staged".to_string(),
            Subject::All => "tracked".to_string(),
            Subject::Tree { rev, .. } => format!("tracked in {rev}"),
            Subject::Range { spec, .. } => format!("added by {spec}"),
        }
    }
}

/// Everything a renderer needs.
#[derive(Clone, Copy, Debug)]
pub struct Report<'a> {
    /// The findings and their fix.
    pub outcome: &'a Outcome,
    /// The policy that judged them.
    pub policy: &'a Policy,
    /// What was judged.
    pub subject: &'a Subject,
}

impl Report<'_> {
    /// Findings that fail the check.
    pub(crate) fn num_errors(&self) -> usize {
        self.outcome
            .findings
            .iter()
            .filter(|f| f.is_error())
            .count()
    }

    /// Findings that do not.
    pub(crate) fn num_warnings(&self) -> usize {
        self.outcome.findings.len() - self.num_errors()
    }
}

/// One output format.
pub trait Render {
    /// The report as this format writes it.
    fn render(&self, report: &Report<'_>) -> String;
}

/// How many findings (or paths) a human report lists one by one; more are summarised: counts,
/// the [`LARGEST_FOLDERS`], and one short command that fixes them all.
pub(crate) const LIST_AT_MOST: usize = 20;

/// How many folders a summary names, largest first.
pub(crate) const LARGEST_FOLDERS: usize = 5;

/// The longest `git rm --cached` command a human report prints; a longer one would fill the
/// screen, and `pycache-policy untrack` does the same.
const LONGEST_COMMAND: usize = 200;

/// The renderer for `format`; `color` and `verbose` (list everything) apply to the human report
/// only: the other formats are always complete.
pub fn renderer(format: Format, color: bool, verbose: bool) -> Box<dyn Render> {
    match format {
        Format::Human => Box::new(human::Human { color, verbose }),
        Format::Json => Box::new(json::Json),
        Format::Github => Box::new(github::Github),
        Format::Sarif => Box::new(sarif::Sarif),
        Format::Junit => Box::new(junit::Junit),
    }
}

/// The command that untracks everything `outcome` found, if there is anything to untrack.
pub(crate) fn untrack_command(outcome: &Outcome) -> Option<String> {
    if outcome.untrack.is_empty() {
        return None;
    }
    untrack_command_within(outcome, usize::MAX)
}

/// [`untrack_command`], or `None` when it would be longer than `limit` bytes.
fn untrack_command_within(outcome: &Outcome, limit: usize) -> Option<String> {
    if outcome.untrack.is_empty() {
        return None;
    }
    let mut cmd = String::from("git rm -r --cached --");
    for path in &outcome.untrack {
        cmd.push(' ');
        cmd.push_str(&shell_quote(path));
        if cmd.len() > limit {
            return None;
        }
    }
    Some(cmd)
}

/// The forbid patterns worth adding to `.gitignore` (the negations are not).
fn positive_patterns(policy: &Policy) -> Vec<&str> {
    policy
        .forbid
        .iter()
        .filter(|p| !p.starts_with('!'))
        .map(String::as_str)
        .collect()
}

/// How to fix the findings, in sentences with the commands, or nothing when there is nothing
/// to untrack or rewrite.
///
/// `exact`: the findings were listed one by one, so the exact `git rm -r --cached` command fits,
/// unless it is too long for a screen; otherwise `pycache-policy untrack`, which does the same.
fn fix_text(report: &Report<'_>, exact: bool) -> Vec<String> {
    let mut out = Vec::new();
    if !report.outcome.untrack.is_empty() {
        // The exact command, unless it is not wanted or too long for a screen (then it is not
        // built whole: 50,000 quoted paths took a tenth of `check --all`).
        let exact_cmd = exact
            .then(|| untrack_command_within(report.outcome, LONGEST_COMMAND))
            .flatten();
        let cmd = if let Some(cmd) = exact_cmd {
            cmd
        } else {
            format!(
                "pycache-policy untrack\n(the same as `git rm -r --cached` on {} {}; `--format json` \
                 prints that command)",
                report.outcome.untrack.len(),
                plural(report.outcome.untrack.len(), "path", "paths")
            )
        };
        let how = match report.subject {
            Subject::Staged => "To fix, untrack them (the files stay on disk) and commit again",
            Subject::All => "To fix, untrack them (the files stay on disk) and commit",
            Subject::Tree { .. } => {
                "To fix, untrack them in a checkout of that commit (the files stay on disk) and \
                 commit"
            }
            Subject::Range { .. } => {
                "To fix, untrack them on the branch (the files stay on disk) and commit"
            }
        };
        out.push(format!("{how}:\n  {cmd}"));
    }
    if let Subject::Range {
        each_commit: true,
        base,
        merge_base,
        ..
    } = report.subject
        && report
            .outcome
            .findings
            .iter()
            .any(|f| f.commit.is_some() && f.is_error())
    {
        let onto = short_id(merge_base.as_ref().unwrap_or(base));
        out.push(format!(
            "A cache a commit added stays in history even when a later commit deletes it: \
             rewrite the branch so that no commit adds one (mark the commits named above `edit` \
             and untrack the caches in each), or squash the branch when merging it:\n  \
             git rebase -i {onto}"
        ));
    }
    // Where the ignore side was judged, its warnings say whether .gitignore lacks a rule; after
    // `pycache-policy gitignore` it does not, and advising lines it has would mislead.
    let ignore_judged = matches!(report.subject, Subject::Staged | Subject::All);
    let ignore_gap = report
        .outcome
        .findings
        .iter()
        .any(|f| f.code == crate::model::finding::Code::GitignoreMissingRule);
    if !out.is_empty() && (ignore_gap || !ignore_judged) {
        out.push(format!(
            "To keep them out for good, have these lines in .gitignore (`pycache-policy gitignore` adds them):\n  {}",
            positive_patterns(report.policy).join("\n  ")
        ));
    }
    out
}

/// The fix for one finding, as a short sentence with its command: untrack the path (or the
/// folder holding it) when it is still there, else rewrite the commit that added it.
fn fix_for(outcome: &Outcome, f: &Finding) -> Option<String> {
    if f.code != crate::model::finding::Code::TrackedCache {
        return None;
    }
    let covering = outcome
        .untrack
        .iter()
        .find(|u| f.path.starts_with(u) && matches!(f.path.get(u.len()), None | Some(b'/')));
    match (covering, &f.commit) {
        (Some(u), _) => Some(format!(
            "untrack it: git rm -r --cached -- {}",
            shell_quote(u)
        )),
        (None, Some(c)) => Some(format!(
            "a later commit deletes it, but commit {} keeps it in history: rewrite the branch \
             (git rebase -i) or squash it",
            short_id(c)
        )),
        (None, None) => None,
    }
}

/// A finding's path as git shows it, or for a finding about a rule rather than a path, the rule
/// (`rule *.py[co]`).
pub(crate) fn shown_path(f: &Finding) -> String {
    if f.path.is_empty() {
        format!("rule {}", f.rule)
    } else {
        display_path(&f.path)
    }
}

/// The findings of `outcome` with the given commit (or none), in order.
fn findings_of<'a>(outcome: &'a Outcome, commit: Option<&'a str>) -> Vec<&'a Finding> {
    outcome
        .findings
        .iter()
        .filter(|f| f.commit.as_deref() == commit)
        .collect()
}

/// The heading of one cache folder in a list of findings or removals:
/// `  FOLDER/ (N files, forbidden by `RULE`, …)`. The folder is quoted as git quotes a path, the
/// trailing `/` inside the quotes; the root is `(repository root)`.
pub(crate) fn folder_heading(folder: &[u8], count: usize, rules: &[&str]) -> String {
    let folder = if folder.is_empty() {
        "(repository root)".to_string()
    } else {
        display_path(&[folder, &b"/"[..]].concat())
    };
    format!(
        "  {folder} ({count} {}, forbidden by {})",
        if count == 1 { "file" } else { "files" },
        rules
            .iter()
            .map(|r| format!("`{r}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )
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
        // A C1 control (U+0085) is shown as its UTF-8 bytes, as git shows it.
        assert_eq!(
            display_path("n\u{85}e.pyc".as_bytes()),
            "\"n\\302\\205e.pyc\""
        );
        assert_eq!(
            shell_quote("n\u{85}e.pyc".as_bytes()),
            "'n'\"$(printf '\\302\\205')\"'e.pyc'"
        );
    }

    #[test]
    fn folder_headings() {
        assert_eq!(
            folder_heading(b"a/__pycache__", 2, &["__pycache__/"]),
            "  a/__pycache__/ (2 files, forbidden by `__pycache__/`)"
        );
        // The slash stays inside git's quotes.
        assert_eq!(
            folder_heading(b"caf\xe9", 1, &["*.py[co]", "x"]),
            "  \"caf\\351/\" (1 file, forbidden by `*.py[co]`, `x`)"
        );
        assert_eq!(
            folder_heading(b"", 1, &["*.py[co]"]),
            "  (repository root) (1 file, forbidden by `*.py[co]`)"
        );
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote(b"a/__pycache__"), "a/__pycache__");
        assert_eq!(shell_quote(b"my dir/x.pyc"), "'my dir/x.pyc'");
        assert_eq!(shell_quote(b"it's.pyc"), "'it'\\''s.pyc'");
        assert_eq!(shell_quote(b"Foo$py.class"), "'Foo$py.class'");
        assert_eq!(
            shell_quote(b"caf\xe9.pyc"),
            "'caf'\"$(printf '\\351')\"'.pyc'"
        );
        assert_eq!(shell_quote(b"nl\nname"), "'nl\nname'");
        assert_eq!(shell_quote(b"-x.pyc"), "'-x.pyc'");
    }

    #[test]
    fn short_ids() {
        assert_eq!(short_id("0123456789abcdef"), "0123456");
        assert_eq!(short_id("abc"), "abc");
    }
}
