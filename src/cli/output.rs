//! Where output goes: stdout and stderr through writers that stop quietly when the reader goes
//! away (`say!`, `sayln!`, `tell!`, `tellln!`), colour, the CI job's step summary, a progress
//! line. Nothing else in the binary prints: `print!` and friends panic on a closed pipe.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write as _;

/// Writes `text` to stdout. When the reader has gone away (`pycache-policy check | head -1`),
/// the process ends as git's does: by the `SIGPIPE` it had ignored, so a shell sees 141, which
/// `set -o pipefail` never mistakes for a clean check (exit 0) and never for findings (exit 1).
/// Any other write error (a full disk) is said on stderr, exit 2: the report was not delivered.
pub(crate) fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        drop(out);
        stdout_failed(&e);
    }
}

/// Flushes stdout before exiting (a final line without its newline may still be buffered).
pub(crate) fn flush_stdout() {
    if let Err(e) = std::io::stdout().lock().flush() {
        stdout_failed(&e);
    }
}

fn stdout_failed(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        die_of_sigpipe();
    }
    write_stderr(&format!(
        "pycache-policy: error: cannot write the output: {e}\n"
    ));
    std::process::exit(2);
}

/// Ends the process by `SIGPIPE`, as git's `check_pipe()` does: restore the default action
/// (Rust ignores the signal at startup) and raise it.
fn die_of_sigpipe() -> ! {
    // SAFETY: `signal` and `raise` are async-signal-safe and take no pointers; the default
    // action of SIGPIPE ends the process.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::raise(libc::SIGPIPE);
    }
    // Not reached; should the signal be blocked, the shell's convention for it.
    std::process::exit(128 + libc::SIGPIPE);
}

/// Writes `text` to stderr; an error there has nowhere to be reported and is dropped.
pub(crate) fn write_stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// `print!` that stops quietly on a closed pipe.
macro_rules! say {
    ($($arg:tt)*) => { $crate::cli::output::write_stdout(&format!($($arg)*)) };
}

/// `println!` that stops quietly on a closed pipe.
macro_rules! sayln {
    () => { $crate::cli::output::write_stdout("\n") };
    ($($arg:tt)*) => {{
        let mut text = format!($($arg)*);
        text.push('\n');
        $crate::cli::output::write_stdout(&text)
    }};
}

/// `eprint!` that never panics.
macro_rules! tell {
    ($($arg:tt)*) => { $crate::cli::output::write_stderr(&format!($($arg)*)) };
}

/// `eprintln!` that never panics.
macro_rules! tellln {
    ($($arg:tt)*) => {{
        let mut text = format!($($arg)*);
        text.push('\n');
        $crate::cli::output::write_stderr(&text)
    }};
}

#[allow(unused_imports)]
pub(crate) use {say, sayln, tell, tellln};

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
    write_step_summary_with(|| markdown.to_string());
}

/// [`write_step_summary`] of what `markdown` makes, made only inside a GitHub Actions job.
pub(crate) fn write_step_summary_with(markdown: impl FnOnce() -> String) {
    if std::env::var("GITHUB_ACTIONS").as_deref() != Ok("true") {
        return;
    }
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let markdown = markdown();
    let written = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .and_then(|mut f| f.write_all(markdown.as_bytes()));
    if let Err(e) = written {
        tellln!(
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
            tell!("\rpycache-policy: {n} {} {}", self.noun, self.verb);
            self.shown.set(true);
        }
    }

    pub(crate) fn clear(&self) {
        if self.shown.get() {
            tell!("\r\x1b[K");
        }
    }
}
