//! Test helpers: temporary repositories built with the real `git` command, and the real
//! `pycache-policy` binary run against them.
#![allow(dead_code)] // each test file uses a different part of this module

pub mod readme;
pub mod tools;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// Runs `python3 -E -s -c SCRIPT ARGS…` in `dir` and returns its stdout. `-E` keeps
/// PYTHONDONTWRITEBYTECODE and PYTHONPYCACHEPREFIX from changing what gets written; the tests
/// that write caches depend on that.
pub fn python3(dir: &Path, script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .args(["-E", "-s", "-c", script])
        .args(args)
        .current_dir(dir)
        .env_remove("PYTHONDONTWRITEBYTECODE")
        .env_remove("PYTHONPYCACHEPREFIX")
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .expect("python3 must be on PATH for these tests");
    assert!(
        out.status.success(),
        "python3 failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pycache-policy"))
}

/// `PATH` with the binary's folder first, so installed hooks find `pycache-policy`.
pub fn path_with_bin() -> std::ffi::OsString {
    let mut paths = vec![bin().parent().unwrap().to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap()
}

/// A command with the environment every test needs: no user or system git config, fixed
/// identities, none of the variables that would point git at another repository.
pub fn hermetic(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("PATH", path_with_bin())
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_CEILING_DIRECTORIES")
        .env_remove("NO_COLOR");
    cmd
}

/// Runs `cmd` with `input` on its stdin (and its stdout and stderr captured). stdin is written
/// from a thread, so a command that answers before it has read everything cannot deadlock.
pub fn output_with_stdin(cmd: &mut Command, input: impl Into<Vec<u8>>) -> Output {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.into();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out
}

/// What a command did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts the exit code, showing the output when it differs.
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The JSON document printed on stdout.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

/// A temporary repository made with `git init`.
pub struct TestRepo {
    dir: TempDir,
}

impl TestRepo {
    /// An empty repository on branch `main`, with no commit.
    pub fn new() -> TestRepo {
        let dir = tempfile::tempdir().unwrap();
        let repo = TestRepo { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// A repository with one commit holding `README.md` and `pkg/mod.py`.
    pub fn with_commit() -> TestRepo {
        let repo = TestRepo::new();
        repo.write("README.md", b"# test\n");
        repo.write("pkg/mod.py", b"x = 1\n");
        repo.git(&["add", "."]);
        repo.git(&["commit", "-q", "-m", "initial"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A copy of the whole repository (`cp -a`: working tree, git directory, times and modes),
    /// in a new temporary folder.
    pub fn copy(&self) -> TestRepo {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("cp")
            .arg("-a")
            .arg(self.path().join("."))
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "cp -a failed");
        TestRepo { dir }
    }

    /// Runs git in the repository and returns stdout; panics when git fails.
    #[track_caller]
    pub fn git(&self, args: &[&str]) -> String {
        let run = self.git_run(args);
        assert_eq!(run.code, 0, "git {args:?} failed:\n{}", run.stderr);
        run.stdout
    }

    /// Runs git in the repository, whatever its exit code.
    pub fn git_run(&self, args: &[&str]) -> Run {
        hermetic("git")
            .args(args)
            .current_dir(self.path())
            .output()
            .unwrap()
            .into()
    }

    /// Runs git with raw byte arguments (for paths that are not UTF-8).
    #[track_caller]
    pub fn git_bytes(&self, args: &[&[u8]]) -> Vec<u8> {
        let out = hermetic("git")
            .args(args.iter().map(|a| OsStr::from_bytes(a)))
            .current_dir(self.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Writes a file (creating its folders), relative to the repository root.
    pub fn write(&self, rel: impl AsRef<Path>, content: &[u8]) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    /// Writes and stages a file.
    pub fn stage(&self, rel: &str, content: &[u8]) {
        self.write(rel, content);
        self.git(&["add", "--", rel]);
    }

    /// Commits what is staged, bypassing hooks.
    pub fn commit(&self, message: &str) {
        self.git(&["commit", "-q", "--no-verify", "-m", message]);
    }

    /// Commits what is staged, bypassing hooks, with fixed dates (minute `minute` after a fixed
    /// epoch), so that the commit id depends on the content only.
    pub fn commit_at(&self, message: &str, minute: u32) {
        let date = format!("@{} +0000", 1_700_000_000 + minute * 60);
        let status = hermetic("git")
            .args(["commit", "-q", "--no-verify", "-m", message])
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .current_dir(self.path())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Runs `pycache-policy ARGS` in the repository.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_in(self.path(), args)
    }

    /// Runs `pycache-policy ARGS` in `dir`.
    pub fn run_in(&self, dir: &Path, args: &[&str]) -> Run {
        hermetic(bin())
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap()
            .into()
    }
}

/// The errors of a JSON report (the findings that fail the check), as `"code path"`.
pub fn finding_list(report: &serde_json::Value) -> Vec<String> {
    findings_of(report, "error")
}

/// The warnings of a JSON report, as `"code path"`.
pub fn warning_list(report: &serde_json::Value) -> Vec<String> {
    findings_of(report, "warning")
}

fn findings_of(report: &serde_json::Value, severity: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == severity)
        .map(|f| {
            format!(
                "{} {}",
                f["code"].as_str().unwrap(),
                // A finding about a rule rather than a path has `path: null`.
                f["path"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

/// The seed's teaching policy: caches forbidden except `01_Basics/__pycache__/`.
pub const TEACHING_POLICY: &str = r#"
[caches]
forbid = ["__pycache__/", "*.py[co]", "*$py.class"]

[[allow]]
path = "01_Basics/__pycache__/"
reason = "shows learners what Python writes"
"#;

/// A pyc that passes every header check against `source` in a kept folder: Python 3.12's magic
/// number, checked-hash, the hash of `source`, then the first byte of a marshalled code object.
/// Its code is not real; the tests that need real code compile it with `python3`.
pub fn kept_pyc(source: &[u8]) -> Vec<u8> {
    use pycache_policy::pyc::{magic_bytes, source_hash};
    let magic = magic_bytes(3531);
    let mut pyc = magic.to_vec();
    pyc.extend_from_slice(&3u32.to_le_bytes());
    pyc.extend_from_slice(&source_hash(magic, source));
    pyc.push(0xe3);
    pyc
}
