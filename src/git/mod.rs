//! Git's formats and rules, read the way git reads them: repository discovery, the index, objects
//! (packs and loose), tree diffs, revisions and git's ignore rules.

pub mod diff;
pub mod excludes;
pub(crate) mod folders;
pub mod index;
pub mod pack;
pub(crate) mod pattern;
pub mod repo;
pub mod revision;

/// Runs `git --git-dir GIT_DIR ARGS` with `input` on its stdin, as the tests build repositories,
/// away from the user's and the system's git config; its stdout, and a panic if it fails.
#[cfg(test)]
pub(crate) fn run_git(git_dir: &std::path::Path, args: &[&str], input: &str) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("git")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .arg("--git-dir")
        .arg(git_dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Small inputs: the pipe holds them, so writing before reading cannot block.
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8(out.stdout).unwrap()
}
