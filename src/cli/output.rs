//! Where output goes besides stdout: colour, the CI job's step summary, a progress line.

pub(crate) fn indent(text: &str) -> String {
    text.lines().map(|l| format!("   {l}\n")).collect()
}

/// Whether to colour what goes to `stream`: a terminal, and `NO_COLOR` unset or empty
/// (no-color.org).
pub(crate) fn color_on(stream: &impl std::io::IsTerminal) -> bool {
    stream.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// On GitHub Actions, appends `markdown` to the job summary (`$GITHUB_STEP_SUMMARY`). A summary
/// that cannot be written is not worth failing the check for: it is said on stderr.
pub(crate) fn write_step_summary(markdown: &str) {
    use std::io::Write as _;
    if std::env::var("GITHUB_ACTIONS").as_deref() != Ok("true") {
        return;
    }
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .and_then(|mut f| f.write_all(markdown.as_bytes()));
    if let Err(e) = written {
        eprintln!(
            "pycache-policy: warning: cannot write the job summary {}: {e}",
            std::path::Path::new(&path).display()
        );
    }
}

/// A progress line on stderr, shown only on a terminal and only once a task has taken more than
/// a moment.
pub(crate) struct Progress {
    start: std::time::Instant,
    on: bool,
    shown: std::cell::Cell<bool>,
    verb: &'static str,
    noun: &'static str,
}

impl Progress {
    const AFTER: std::time::Duration = std::time::Duration::from_millis(500);

    pub(crate) fn new(verb: &'static str, noun: &'static str) -> Progress {
        Progress {
            start: std::time::Instant::now(),
            on: std::io::IsTerminal::is_terminal(&std::io::stderr()),
            shown: std::cell::Cell::new(false),
            verb,
            noun,
        }
    }

    pub(crate) fn show(&self, n: usize) {
        if self.on && self.start.elapsed() >= Self::AFTER {
            eprint!("\rpycache-policy: {n} {} {}", self.noun, self.verb);
            self.shown.set(true);
        }
    }

    pub(crate) fn clear(&self) {
        if self.shown.get() {
            eprint!("\r\x1b[K");
        }
    }
}
