//! What the command says about itself, pinned: `--help` of the command and of each subcommand,
//! the completion scripts, and the manual pages in `man/`, all made by clap from the one set of
//! definitions in `src/cli.rs`.
//!
//! The expected texts are files under `tests/snapshots/` (and `man/`). After a deliberate change
//! to the command line, rewrite them with `UPDATE_SNAPSHOTS=1 cargo test --test cli_help` and
//! review the diff.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{Run, hermetic};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn updating() -> bool {
    std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Runs the binary outside any repository and returns its stdout; it must exit 0.
fn run(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let run: Run = hermetic(common::bin())
        .args(args)
        .current_dir(dir.path())
        .output()
        .unwrap()
        .into();
    run.expect(0).stdout
}

/// Compares `actual` with the file `dir/name`, or writes it when updating.
#[track_caller]
fn assert_file(dir: &Path, name: &str, actual: &str) {
    let path = dir.join(name);
    if updating() {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}\nWrite it with `UPDATE_SNAPSHOTS=1 cargo test --test cli_help`, then review it.",
            path.display()
        )
    });
    if expected != actual {
        let (n, (want, got)) = expected
            .lines()
            .chain(std::iter::repeat("<end of text>"))
            .zip(actual.lines().chain(std::iter::repeat("<end of text>")))
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .unwrap_or((0, ("(line endings)", "(line endings)")));
        panic!(
            "{} is out of date; first difference at line {}:\n  snapshot: {want}\n  now:      {got}\n\
             If the change is deliberate: `UPDATE_SNAPSHOTS=1 cargo test --test cli_help`, then \
             review the diff.\n--- now:\n{actual}",
            path.display(),
            n + 1,
        );
    }
}

/// The files in `dir` (none when it does not exist).
fn files_in(dir: &Path) -> BTreeSet<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect(),
        Err(_) => BTreeSet::new(),
    }
}

/// Every snapshot in `dir` is one of `expected`: a snapshot of a command that no longer exists
/// fails (or is removed when updating).
#[track_caller]
fn assert_no_stale(dir: &Path, expected: &BTreeSet<String>) {
    for name in files_in(dir).difference(expected) {
        if updating() {
            std::fs::remove_file(dir.join(name)).unwrap();
        } else {
            panic!(
                "{} belongs to nothing the command has any more; remove it (or run with \
                 UPDATE_SNAPSHOTS=1)",
                dir.join(name).display()
            );
        }
    }
}

/// The subcommands, as the top-level help lists them.
fn subcommands(help: &str) -> Vec<String> {
    let list = help
        .split("Commands:\n")
        .nth(1)
        .expect("the help lists the commands");
    list.lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn help_of_the_command_and_of_every_subcommand() {
    let dir = root().join("tests/snapshots/help");
    let top = run(&["--help"]);
    assert_file(&dir, "pycache-policy.txt", &top);
    let commands = subcommands(&top);
    for expected in ["check", "install", "clean", "schema", "completions", "man"] {
        assert!(commands.iter().any(|c| c == expected), "{commands:?}");
    }
    let mut names = BTreeSet::from(["pycache-policy.txt".to_string()]);
    for command in &commands {
        let name = format!("{command}.txt");
        assert_file(&dir, &name, &run(&[command, "--help"]));
        names.insert(name);
    }
    assert_no_stale(&dir, &names);
}

#[test]
fn completion_scripts() {
    let dir = root().join("tests/snapshots/completions");
    let shells = [
        ("bash", "pycache-policy.bash"),
        ("zsh", "_pycache-policy"),
        ("fish", "pycache-policy.fish"),
        ("powershell", "_pycache-policy.ps1"),
        ("elvish", "pycache-policy.elv"),
    ];
    let mut names = BTreeSet::new();
    for (shell, name) in shells {
        let script = run(&["completions", shell]);
        // Each script completes the subcommands, whatever its syntax.
        for word in ["check", "install", "completions"] {
            assert!(script.contains(word), "{shell}: no `{word}`");
        }
        assert_file(&dir, name, &script);
        names.insert(name.to_string());
    }
    assert_no_stale(&dir, &names);
}

/// bash itself accepts the bash script and completes a subcommand with it.
#[test]
fn bash_completion_completes_subcommands() {
    let script = run(&["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pycache-policy.bash");
    std::fs::write(&file, script).unwrap();
    let probe = format!(
        "source {}; COMP_WORDS=(pycache-policy ch); COMP_CWORD=1; COMP_LINE='pycache-policy ch'; \
         COMP_POINT=${{#COMP_LINE}}; _pycache__policy pycache-policy ch pycache-policy; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        file.display()
    );
    let out = hermetic("bash").args(["-c", &probe]).output().unwrap();
    let run: Run = out.into();
    let run = run.expect(0);
    let words: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(words, ["check"], "{run:?}");
}

#[test]
fn manual_pages_in_man_are_current() {
    let shipped: PathBuf = root().join("man");
    let fresh = tempfile::tempdir().unwrap();
    let out = fresh.path().join("man");
    run(&["man", out.to_str().unwrap()]);
    let names = files_in(&out);
    assert!(names.contains("pycache-policy.1"), "{names:?}");
    assert!(names.contains("pycache-policy-check.1"), "{names:?}");
    for name in &names {
        let page = std::fs::read_to_string(out.join(name)).unwrap();
        assert!(page.contains(".TH pycache-policy"), "{name}");
        assert_file(&shipped, name, &page);
    }
    assert_no_stale(&shipped, &names);
}
