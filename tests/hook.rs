//! `install`, `uninstall`, `init`, and real `git commit`s through the installed hook.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::{TestRepo, hermetic};

const PYC: &[u8] = b"\xcb\r\r\n\0\0\0\0fake bytecode";
const SCRIPT: &str = include_str!("../hooks/pre-commit");

/// Where git itself will look for hooks, asked from `dir`.
fn git_hooks_dir(repo: &TestRepo, dir: &Path) -> PathBuf {
    let out = hermetic("git")
        .args(["rev-parse", "--path-format=absolute", "--git-path", "hooks"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    let _ = repo;
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

fn head(repo: &TestRepo) -> String {
    repo.git(&["rev-parse", "HEAD"])
}

#[test]
fn install_puts_the_script_where_git_runs_hooks() {
    let repo = TestRepo::with_commit();
    let run = repo.run(&["install"]).expect(0);
    let hook = git_hooks_dir(&repo, repo.path()).join("pre-commit");
    assert!(
        run.stdout.contains(&hook.display().to_string()),
        "{}",
        run.stdout
    );
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), SCRIPT);
    assert_eq!(
        std::fs::metadata(&hook).unwrap().permissions().mode() & 0o777,
        0o755
    );

    // Twice changes nothing.
    let before = std::fs::metadata(&hook).unwrap().modified().unwrap();
    let run = repo.run(&["install"]).expect(0);
    assert!(run.stdout.contains("already installed"), "{}", run.stdout);
    assert_eq!(
        std::fs::metadata(&hook).unwrap().modified().unwrap(),
        before
    );
    let entries = std::fs::read_dir(hook.parent().unwrap()).unwrap().count();
    repo.run(&["install"]).expect(0);
    assert_eq!(
        std::fs::read_dir(hook.parent().unwrap()).unwrap().count(),
        entries
    );
}

#[test]
fn real_commits_through_the_hook() {
    let repo = TestRepo::with_commit();
    repo.run(&["install"]).expect(0);

    repo.stage("pkg/__pycache__/mod.cpython-311.pyc", PYC);
    let before = head(&repo);
    let commit = repo.git_run(&["commit", "-m", "add a cache"]);
    assert_eq!(commit.code, 1, "{commit:?}");
    assert!(
        commit
            .stderr
            .contains("pkg/__pycache__/mod.cpython-311.pyc"),
        "{}",
        commit.stderr
    );
    assert!(
        commit
            .stderr
            .contains("git rm -r --cached -- pkg/__pycache__"),
        "{}",
        commit.stderr
    );
    assert_eq!(head(&repo), before, "the commit must not land");

    // Following the advice makes the commit go through.
    repo.git(&["rm", "-r", "-q", "--cached", "--", "pkg/__pycache__"]);
    repo.stage("pkg/more.py", b"z = 3\n");
    let commit = repo.git_run(&["commit", "-m", "clean"]);
    assert_eq!(commit.code, 0, "{commit:?}");
    assert_ne!(head(&repo), before);
}

#[test]
fn commit_all_and_commit_with_paths_are_judged_by_gits_temporary_index() {
    let repo = TestRepo::with_commit();
    repo.stage("pkg/__pycache__/mod.cpython-311.pyc", PYC);
    repo.commit("an old mistake, before the hook");
    repo.run(&["install"]).expect(0);

    // The tracked cache changes on disk only; a commit of something else is fine.
    repo.write("pkg/__pycache__/mod.cpython-311.pyc", b"recompiled");
    repo.stage("pkg/mod.py", b"x = 2\n");
    let before = head(&repo);
    let commit = repo.git_run(&["commit", "-q", "-m", "source only"]);
    assert_eq!(commit.code, 0, "{commit:?}");
    let before_a = head(&repo);
    assert_ne!(before_a, before);

    // `git commit -a` would take the modified cache along: refused.
    let commit = repo.git_run(&["commit", "-a", "-m", "everything"]);
    assert_eq!(commit.code, 1, "{commit:?}");
    assert!(
        commit
            .stderr
            .contains("pkg/__pycache__/mod.cpython-311.pyc"),
        "{}",
        commit.stderr
    );
    assert_eq!(head(&repo), before_a);

    // `git commit -- PATH` too.
    let commit = repo.git_run(&[
        "commit",
        "-m",
        "just the cache",
        "--",
        "pkg/__pycache__/mod.cpython-311.pyc",
    ]);
    assert_eq!(commit.code, 1, "{commit:?}");
    assert_eq!(head(&repo), before_a);
    // ... while the real index was never touched by the refused commits.
    assert_eq!(repo.git(&["diff", "--cached", "--name-only"]), "");
}

#[test]
fn an_existing_hook_is_never_overwritten() {
    let repo = TestRepo::with_commit();
    let hook = git_hooks_dir(&repo, repo.path()).join("pre-commit");
    let theirs = "#!/bin/sh\necho theirs ran >> \"$(git rev-parse --git-dir)/theirs.log\"\n";
    std::fs::write(&hook, theirs).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();

    let run = repo.run(&["install"]).expect(2);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert!(run.stderr.contains("--chain"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), theirs);

    // --chain keeps it and runs it first.
    let run = repo.run(&["install", "--chain"]).expect(0);
    assert!(
        run.stdout.contains("pre-commit.pre-pycache-policy"),
        "{}",
        run.stdout
    );
    let kept = hook.with_file_name("pre-commit.pre-pycache-policy");
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), theirs);
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), SCRIPT);
    repo.run(&["install", "--chain"]).expect(0);
    repo.run(&["install"]).expect(0);
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), theirs);

    repo.stage("x.pyc", PYC);
    let commit = repo.git_run(&["commit", "-m", "cache"]);
    assert_eq!(commit.code, 1, "{commit:?}");
    let log = repo.path().join(".git/theirs.log");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "theirs ran\n");

    // A failing chained hook stops the commit by itself.
    std::fs::write(&kept, "#!/bin/sh\necho no >&2\nexit 3\n").unwrap();
    repo.git(&["rm", "-q", "--cached", "x.pyc"]);
    repo.stage("ok.py", b"");
    let before = head(&repo);
    let commit = repo.git_run(&["commit", "-m", "ok"]);
    assert_eq!(commit.code, 1, "{commit:?}");
    assert!(commit.stderr.starts_with("no\n"), "{}", commit.stderr);
    assert_eq!(head(&repo), before);
    std::fs::write(&kept, theirs).unwrap();

    // uninstall puts their hook back, byte for byte.
    let run = repo.run(&["uninstall"]).expect(0);
    assert!(run.stdout.contains("restored"), "{}", run.stdout);
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), theirs);
    assert!(!kept.exists());
    // ... and then refuses to touch a hook that is not ours.
    let run = repo.run(&["uninstall"]).expect(2);
    assert!(
        run.stderr.contains("not installed by pycache-policy"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), theirs);
}

#[test]
fn uninstall_without_chain_removes_and_is_idempotent() {
    let repo = TestRepo::with_commit();
    repo.run(&["install"]).expect(0);
    let hook = git_hooks_dir(&repo, repo.path()).join("pre-commit");
    assert!(hook.exists());
    repo.run(&["uninstall"]).expect(0);
    assert!(!hook.exists());
    let run = repo.run(&["uninstall"]).expect(0);
    assert!(
        run.stdout.contains("no pycache-policy hook"),
        "{}",
        run.stdout
    );
    // With the hook gone, a cache commits (nothing else was left behind to run).
    repo.stage("x.pyc", PYC);
    assert_eq!(repo.git_run(&["commit", "-q", "-m", "x"]).code, 0);
}

#[test]
fn core_hooks_path_is_honoured() {
    let repo = TestRepo::with_commit();
    repo.git(&["config", "core.hooksPath", ".githooks"]);
    repo.run(&["install"]).expect(0);
    let dir = git_hooks_dir(&repo, repo.path());
    assert_eq!(dir, repo.path().join(".githooks").canonicalize().unwrap());
    assert!(dir.join("pre-commit").exists());
    assert!(!repo.path().join(".git/hooks/pre-commit").exists());
    // From a subfolder, the relative hooksPath is still the top-level one.
    std::fs::remove_dir_all(&dir).unwrap();
    repo.run_in(&repo.path().join("pkg"), &["install"])
        .expect(0);
    assert!(dir.join("pre-commit").exists());

    repo.stage("pkg/__pycache__/m.pyc", PYC);
    assert_eq!(repo.git_run(&["commit", "-m", "cache"]).code, 1);
}

#[test]
fn linked_worktree_installs_into_the_common_hooks() {
    let repo = TestRepo::with_commit();
    let wt_parent = tempfile::tempdir().unwrap();
    let wt = wt_parent.path().join("wt");
    repo.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "feature",
        wt.to_str().unwrap(),
    ]);
    let run = repo.run_in(&wt, &["install"]).expect(0);
    let dir = git_hooks_dir(&repo, &wt);
    assert!(dir.join("pre-commit").exists(), "{}", run.stdout);
    assert_eq!(dir, repo.path().join(".git/hooks").canonicalize().unwrap());

    std::fs::create_dir_all(wt.join("__pycache__")).unwrap();
    std::fs::write(wt.join("__pycache__/m.cpython-311.pyc"), PYC).unwrap();
    let add = hermetic("git")
        .args(["add", "__pycache__"])
        .current_dir(&wt)
        .status()
        .unwrap();
    assert!(add.success());
    let commit = hermetic("git")
        .args(["commit", "-m", "cache in a worktree"])
        .current_dir(&wt)
        .output()
        .unwrap();
    assert_eq!(commit.status.code(), Some(1), "{commit:?}");
    assert!(String::from_utf8_lossy(&commit.stderr).contains("__pycache__/m.cpython-311.pyc"));
}

#[test]
fn hook_without_the_binary_on_path_explains_itself() {
    let repo = TestRepo::with_commit();
    repo.run(&["install"]).expect(0);
    repo.stage("ok.py", b"");
    let commit = hermetic("git")
        .args(["commit", "-m", "x"])
        .current_dir(repo.path())
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert_eq!(commit.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&commit.stderr);
    assert!(
        stderr.contains("`pycache-policy` is not on PATH"),
        "{stderr}"
    );
    assert!(stderr.contains("--no-verify"), "{stderr}");
}

#[test]
fn install_in_a_bare_repository_is_refused() {
    let repo = TestRepo::with_commit();
    let bare = tempfile::tempdir().unwrap();
    let target = bare.path().join("b.git");
    repo.git(&["clone", "-q", "--bare", ".", target.to_str().unwrap()]);
    let run = repo.run_in(&target, &["install"]).expect(2);
    assert!(run.stderr.contains("bare repository"), "{}", run.stderr);
    assert!(!target.join("hooks/pre-commit").exists());
}

#[test]
fn init_writes_a_policy_once() {
    let repo = TestRepo::with_commit();
    let run = repo.run(&["init"]).expect(0);
    let file = repo.path().join("pycache-policy.toml");
    assert!(run.stdout.contains("pycache-policy.toml"), "{}", run.stdout);
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("forbid = [\"__pycache__/\", \"*.py[co]\", \"*$py.class\"]"));
    assert!(written.contains("# path = \"01_Basics/__pycache__/\""));
    repo.run(&["check", "--all"]).expect(0);

    std::fs::write(&file, "# mine\n").unwrap();
    let run = repo.run(&["init"]).expect(2);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "# mine\n");
}

#[test]
fn an_edited_hook_of_ours_is_the_users_and_is_never_overwritten_or_removed() {
    let repo = TestRepo::with_commit();
    repo.run(&["install"]).expect(0);
    let hook = git_hooks_dir(&repo, repo.path()).join("pre-commit");
    let edited = format!("{SCRIPT}\necho 'my extra lint'\n");
    std::fs::write(&hook, &edited).unwrap();

    let run = repo.run(&["install"]).expect(2);
    assert!(run.stderr.contains("has been edited"), "{}", run.stderr);
    repo.run(&["install", "--chain"]).expect(2);
    let run = repo.run(&["uninstall"]).expect(2);
    assert!(run.stderr.contains("has been edited"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), edited);
}

#[test]
fn a_chained_hook_left_behind_is_restored_or_announced() {
    let repo = TestRepo::with_commit();
    let hook = git_hooks_dir(&repo, repo.path()).join("pre-commit");
    let theirs = "#!/bin/sh\nexit 0\n";
    std::fs::write(&hook, theirs).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    repo.run(&["install", "--chain"]).expect(0);
    // The user deletes our hook by hand; their hook is still kept aside.
    std::fs::remove_file(&hook).unwrap();
    let kept = hook.with_file_name("pre-commit.pre-pycache-policy");
    assert!(kept.exists());

    // install says the kept hook runs first again...
    let run = repo.run(&["install"]).expect(0);
    assert!(run.stdout.contains("runs first"), "{}", run.stdout);
    std::fs::remove_file(&hook).unwrap();
    // ... and uninstall puts it back where it was.
    let run = repo.run(&["uninstall"]).expect(0);
    assert!(run.stdout.contains("restored"), "{}", run.stdout);
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), theirs);
    assert!(!kept.exists());
}
