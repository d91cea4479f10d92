//! A JUnit XML test report, for CI systems that show test results (GitLab's `artifacts:reports:
//! junit`, Jenkins, Azure Pipelines). One test suite; one failing test case per error (its
//! class name is the finding code, its name the path); warnings are passing test cases whose
//! output says why; a check without errors has one passing test case, so that the report is
//! never empty.
//!
//! Text is escaped for XML 1.0, which cannot hold most control characters even escaped: paths
//! are shown as git quotes them, and any other control character becomes U+FFFD.

use std::fmt::Write as _;

use super::message;
use super::{Render, Report, fix_for};
use crate::model::finding::Severity;

/// The JUnit renderer.
pub(super) struct Junit;

impl Render for Junit {
    fn render(&self, report: &Report<'_>) -> String {
        let errors = report.num_errors();
        let tests = report.outcome.findings.len() + usize::from(errors == 0);
        let suite = format!("pycache-policy ({})", report.subject.where_());
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"pycache-policy\" tests=\"{tests}\" failures=\"{errors}\" errors=\"0\">"
        );
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{errors}\" errors=\"0\" skipped=\"0\">",
            escape(&suite)
        );
        for f in &report.outcome.findings {
            let mut name = super::shown_path(f);
            if let Some(commit) = &f.commit {
                let _ = write!(name, " @ {}", super::short_id(commit));
            }
            let _ = write!(
                out,
                "    <testcase classname=\"pycache-policy.{}\" name=\"{}\" file=\"{}\">",
                f.code,
                escape(&name),
                escape(&super::shown_path(f))
            );
            match f.severity {
                Severity::Error => {
                    let mut body = message::message(f);
                    if let Some(fix) = fix_for(report.outcome, f) {
                        let _ = write!(body, "\nfix: {fix}");
                    }
                    let _ = write!(
                        out,
                        "\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    ",
                        f.code,
                        escape(&message::message(f)),
                        escape(&body)
                    );
                }
                Severity::Warning => {
                    let _ = write!(
                        out,
                        "\n      <system-out>warning: {}</system-out>\n    ",
                        escape(&message::message(f))
                    );
                }
            }
            out.push_str("</testcase>\n");
        }
        if errors == 0 {
            let _ = writeln!(
                out,
                "    <testcase classname=\"pycache-policy\" name=\"{}\"/>",
                escape(&format!("no forbidden caches {}", report.subject.where_()))
            );
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }
}

/// Escapes text for an XML 1.0 attribute or element.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            // What XML 1.0 does not allow in a document: other controls, U+FFFE, U+FFFF.
            c if c.is_control() || matches!(c, '\u{fffe}' | '\u{ffff}') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escaping() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(escape("x\u{1}y\nz"), "x\u{fffd}y&#10;z");
        // Non-characters XML 1.0 forbids, which git allows in paths.
        assert_eq!(escape("x\u{fffe}\u{ffff}"), "x\u{fffd}\u{fffd}");
    }
}
