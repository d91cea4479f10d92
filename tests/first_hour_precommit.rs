//! The fixer hook through the real pre-commit framework (issue 12, point 5): after it untracked a
//! thousand caches and wrote `.gitignore`, its advice, followed line by line, leaves nothing
//! uncommitted. Slow, like the packaging tests (pre-commit builds this checkout through pip and
//! maturin): `cargo test --test first_hour_precommit -- --ignored`, with the tools of
//! `common::tools`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::tools::{tool, venv};
use common::{Run, TestRepo, hermetic};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command) -> Run {
    cmd.output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
        .into()
}

/// A folder of this test's own under `target/`, emptied.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// This checkout (HEAD plus uncommitted changes) as a repository of one commit, for pre-commit
/// to clone; and that commit.
fn snapshot() -> (PathBuf, String) {
    let dir = scratch("first-hour-snapshot");
    let listed = run(hermetic("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(root()))
    .expect(0);
    for rel in listed.stdout.split('\0').filter(|p| !p.is_empty()) {
        let from = root().join(rel);
        if !from.is_file() {
            continue;
        }
        let to = dir.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    let git = |args: &[&str]| run(hermetic("git").args(args).current_dir(&dir)).expect(0);
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "--no-verify", "-m", "snapshot"]);
    let sha = git(&["rev-parse", "HEAD"]).stdout.trim().to_string();
    (dir, sha)
}

#[test]
#[ignore = "slow: pre-commit builds this checkout; needs the tools of common::tools"]
fn the_fixer_hook_through_pre_commit_leaves_nothing_uncommitted_when_its_advice_is_followed() {
    let (checkout, sha) = snapshot();
    let home = scratch("first-hour-pre-commit-home");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(|d| root().join(d))
        .unwrap_or_else(|| root().join("target"));
    // pre-commit's tools and cargo (for the build), but not the binary under test.
    let path = format!(
        "{}:{}",
        venv().join("bin").display(),
        std::env::var("PATH").unwrap()
    );
    let env = |cmd: &mut Command| {
        cmd.env("PATH", &path)
            .env("PRE_COMMIT_HOME", &home)
            .env("CARGO_TARGET_DIR", &target);
    };

    let repo = TestRepo::with_commit();
    for i in 0..1000 {
        repo.write(
            format!("pkg{:03}/__pycache__/m{i}.cpython-312.pyc", i % 200),
            b"x",
        );
    }
    repo.git(&["add", "-f", "."]);
    repo.commit("an old mistake");
    let config = format!(
        "repos:\n  - repo: {}\n    rev: {sha}\n    hooks:\n      - id: pycache-policy-fix\n",
        checkout.display()
    );
    repo.write(".pre-commit-config.yaml", config.as_bytes());
    repo.git(&["add", ".pre-commit-config.yaml"]);
    let mut install = hermetic(tool("pre-commit"));
    env(&mut install);
    run(install.arg("install").current_dir(repo.path())).expect(0);

    let mut commit = hermetic("git");
    env(&mut commit);
    let refused = run(commit
        .args(["commit", "-m", "use the fixer"])
        .current_dir(repo.path()));
    assert_eq!(refused.code, 1, "{refused:?}");
    let said = format!("{}{}", refused.stdout, refused.stderr);
    assert!(said.contains("- hook id: pycache-policy-fix"), "{said}");
    assert!(said.lines().count() <= 80, "{said}");
    assert!(!said.contains("Run `pycache-policy clean`"), "{said}");
    let advice: Vec<String> = said
        .split("Next, review and commit:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no advice:\n{said}"))
        .lines()
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.trim().to_string())
        .collect();
    assert!(advice.iter().any(|l| l == "git add .gitignore"), "{said}");
    for line in &advice {
        let mut sh = hermetic("sh");
        env(&mut sh);
        let done = run(sh.arg("-c").arg(line).current_dir(repo.path()));
        assert_eq!(done.code, 0, "{line}: {done:?}");
    }
    assert_eq!(repo.git(&["status", "--porcelain"]), "", "nothing left");
    assert_eq!(repo.git(&["ls-files", "pkg000/__pycache__"]), "");
    assert!(repo.git(&["ls-files", ".gitignore"]).contains(".gitignore"));
}
