//! GitHub Actions workflow commands: one `::error` (or `::warning`) line per finding, which
//! GitHub turns into an annotation on the file in the pull request, then the human report for
//! whoever reads the log.
//!
//! Escaping follows GitHub's toolkit (`@actions/core`, `command.ts`): in the message, `%`, `\r`
//! and `\n` become `%25`, `%0D` and `%0A`; in a property value (`file=`, `title=`) also `:` and
//! `,` become `%3A` and `%2C`. Without it a path with a comma would end the `file` property.

use std::fmt::Write as _;

use super::message;
use super::{Render, Report, display_path, fix_for, human::Human};
use crate::model::finding::Severity;

/// The GitHub renderer.
pub(super) struct Github;

impl Render for Github {
    fn render(&self, report: &Report<'_>) -> String {
        let mut out = String::new();
        for f in &report.outcome.findings {
            let command = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            // A path that is not UTF-8 cannot name a file GitHub shows; its quoted form goes
            // into the message.
            let file = String::from_utf8_lossy(&f.path);
            let mut message = message::message(f);
            if std::str::from_utf8(&f.path).is_err() {
                let _ = write!(message, " ({})", display_path(&f.path));
            }
            if let Some(fix) = fix_for(report.outcome, f) {
                let _ = write!(message, "; {fix}");
            }
            // A finding about a rule rather than a path annotates no file.
            let file = if f.path.is_empty() {
                String::new()
            } else {
                format!("file={},", escape_property(&file))
            };
            let _ = writeln!(
                out,
                "::{command} {file}title={}::{}",
                escape_property(&format!("pycache-policy {}", f.code)),
                escape_data(&message)
            );
        }
        out.push_str(
            &Human {
                color: false,
                verbose: true,
            }
            .render(report),
        );
        out
    }
}

/// Escapes the message of a workflow command.
pub(crate) fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
pub(crate) fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_as_the_toolkit_does() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a,b:c%d\ne"), "a%2Cb%3Ac%25d%0Ae");
    }
}
