//! A stranger's first hour (issue 12): a closed pipe, a repository with a thousand caches,
//! warnings that name real paths, advice that fits the state, help that speaks to users.

mod common;

use std::os::unix::process::ExitStatusExt as _;
use std::process::Stdio;

use common::{TestRepo, bin, hermetic};

/// A repository with `caches` tracked caches spread over `folders` cache folders, committed.
fn many_caches(caches: usize, folders: usize) -> TestRepo {
    let repo = TestRepo::with_commit();
    for i in 0..caches {
        let folder = i % folders;
        repo.write(
            format!("pkg{folder:03}/__pycache__/module{i:05}.cpython-312.pyc"),
            b"not really a pyc",
        );
    }
    repo.git(&["add", "-f", "."]);
    repo.commit("track caches");
    repo
}

/// Runs `pycache-policy ARGS` with a stdout whose reader has gone away before the first write,
/// as `| head -1` is once it has its line.
fn closed_pipe(repo: &TestRepo, args: &[&str]) -> (std::process::ExitStatus, String) {
    let mut child = hermetic(bin())
        .args(args)
        .current_dir(repo.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_command_stops_quietly_when_its_reader_goes_away() {
    let repo = many_caches(200, 40);
    let man = tempfile::tempdir().unwrap();
    let man = man.path().to_str().unwrap();
    let commands: &[&[&str]] = &[
        &["check"],
        &["check", "--all"],
        &["check", "--all", "--verbose"],
        &["check", "--all", "--format", "json"],
        &["check", "--all", "--format", "sarif"],
        &["check", "--all", "--format", "junit"],
        &["check", "--all", "--format", "github"],
        &["check", "--tree", "HEAD"],
        &["audit"],
        &["audit", "--format", "json"],
        &["untrack", "--dry-run"],
        &["untrack", "--dry-run", "--verbose"],
        &["clean", "--dry-run"],
        &["purge", "--dry-run"],
        &["gitignore", "--dry-run"],
        &["explain", "pkg000/__pycache__/module00000.cpython-312.pyc"],
        &["inspect", "pkg000/__pycache__/module00000.cpython-312.pyc"],
        &["schema"],
        &["completions", "bash"],
        &["man", man],
        &["--help"],
        &["check", "--help"],
        &["--version"],
    ];
    for args in commands {
        let (status, stderr) = closed_pipe(&repo, args);
        // git's convention (see cli/output.rs): killed by SIGPIPE; or done before it noticed.
        let quiet = status.signal() == Some(libc_sigpipe()) || matches!(status.code(), Some(0..=2));
        assert!(quiet, "{args:?}: {status:?}\n{stderr}");
        assert_ne!(status.code(), Some(101), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
    }
    // A report too long for the pipe ends by the signal, so `set -o pipefail` never reads the
    // cut-short check as a pass.
    let (status, _) = closed_pipe(&repo, &["check", "--all", "--format", "json"]);
    assert_eq!(status.signal(), Some(libc_sigpipe()), "{status:?}");
}

/// SIGPIPE on Linux and the BSDs.
fn libc_sigpipe() -> i32 {
    13
}

#[test]
fn a_shell_pipe_into_head_exits_without_a_panic() {
    let repo = many_caches(300, 60);
    for cmd in [
        "check --all",
        "check --all",
        "untrack --dry-run",
        "check --all --format json",
    ] {
        let out = hermetic("bash")
            .arg("-c")
            .arg(format!(
                "set -o pipefail; '{}' {cmd} | head -1; echo \"status=${{PIPESTATUS[0]}}\"",
                bin().display()
            ))
            .current_dir(repo.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{cmd}: {stderr}");
        assert!(!stdout.contains("status=101"), "{cmd}: {stdout}");
        assert_eq!(stdout.lines().count(), 2, "{cmd}: {stdout}");
    }
}
