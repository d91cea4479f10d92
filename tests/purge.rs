//! `purge` and `clean` on real repositories, with caches written by the real `python3`.

mod common;

use std::path::Path;

use common::{TEACHING_POLICY, TestRepo, hermetic};

const PYC: &[u8] = b"\xcb\r\r\n\0\0\0\0fake bytecode";

/// Imports every module in `dirs` with python3, so Python writes its caches the way it does.
fn run_python(repo: &TestRepo, modules: &[&str]) {
    // import_module, because a module path such as `01_Basics.mod` is not valid syntax.
    let code = format!("import importlib\nfor m in {modules:?}: importlib.import_module(m)");
    let out = hermetic("python3")
        .args(["-c", &code])
        .current_dir(repo.path())
        .env_remove("PYTHONDONTWRITEBYTECODE")
        .env("PYTHONPATH", repo.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// python3's cache tag, such as `cpython-311`.
fn tag() -> String {
    let out = hermetic("python3")
        .args(["-c", "import sys; print(sys.implementation.cache_tag)"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn exists(repo: &TestRepo, rel: &str) -> bool {
    std::fs::symlink_metadata(repo.path().join(rel)).is_ok()
}

fn caches_on_disk(root: &Path) -> Vec<String> {
    let out = hermetic("find")
        .args([
            ".", "-path", "./.git", "-prune", "-o", "-name", "*.pyc", "-print",
        ])
        .current_dir(root)
        .output()
        .unwrap();
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim_start_matches("./").to_string())
        .collect();
    v.sort();
    v
}

/// A repository with modules in three packages and the seed's kept folder, after Python ran.
fn python_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("pycache-policy.toml", TEACHING_POLICY.as_bytes());
    for pkg in ["pkg_a", "pkg_b", "pkg_b/inner", "01_Basics"] {
        repo.write(format!("{pkg}/__init__.py"), b"");
        repo.write(format!("{pkg}/mod.py"), b"X = 1\n");
    }
    repo.write(
        "01_Basics/README.md",
        b"Why this folder keeps its __pycache__.\n",
    );
    run_python(
        &repo,
        &["pkg_a.mod", "pkg_b.mod", "pkg_b.inner.mod", "01_Basics.mod"],
    );
    repo
}

#[test]
fn purge_removes_regenerable_caches_and_nothing_else() {
    let repo = python_repo();
    // Things a careless `find -exec rm -r` would destroy:
    repo.write("tools/legacy.pyc", PYC); // sourceless module: maybe the only copy
    repo.write("pkg_a/__pycache__/NOTES.md", b"someone's notes\n"); // not bytecode
    repo.write("pkg_a/__pycache__/_speedups.pyd", b"MZ"); // an extension module
    repo.write(".git/hooks/__pycache__/h.cpython-311.pyc", PYC); // inside .git
    repo.write("vendor/other/.git/HEAD", b"ref: refs/heads/main\n"); // a nested repository
    repo.write("vendor/other/__pycache__/v.cpython-311.pyc", PYC);
    repo.write("vendor/other/v.py", b"");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("o.cpython-311.pyc"), PYC).unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path().join("linked")).unwrap();
    std::fs::create_dir_all(repo.path().join("pkg_c")).unwrap();
    repo.write("pkg_c/c.py", b"");
    std::os::unix::fs::symlink(outside.path(), repo.path().join("pkg_c/__pycache__")).unwrap();

    let before = caches_on_disk(repo.path());
    let inner = format!("pkg_b/inner/__pycache__/mod.{}.pyc", tag());
    assert!(before.contains(&inner), "{before:?}");

    let dry = repo.run(&["purge", "--dry-run"]).expect(0);
    assert_eq!(
        caches_on_disk(repo.path()),
        before,
        "a dry run deletes nothing"
    );
    assert!(dry.stdout.contains("would remove"), "{}", dry.stdout);

    let run = repo.run(&["purge"]).expect(0);
    // Same plan: every folder the dry run listed is in the real run's output.
    for line in dry
        .stdout
        .lines()
        .filter(|l| l.contains("would remove") && l.contains('/'))
    {
        let folder = line.rsplit(' ').next().unwrap();
        assert!(
            run.stdout.contains(folder),
            "{folder} missing from\n{}",
            run.stdout
        );
    }
    assert!(
        run.stdout.contains("purge: removed 6 files"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("freed"), "{}", run.stdout);

    // Python's caches outside the kept folder are gone, folders emptied by it too.
    assert!(!exists(&repo, "pkg_b/inner/__pycache__"));
    assert!(!exists(&repo, "pkg_b/__pycache__"));
    // The kept folder, untouched.
    assert!(!caches_on_disk(&repo.path().join("01_Basics")).is_empty());
    // Everything else, untouched.
    for kept in [
        "tools/legacy.pyc",
        "pkg_a/__pycache__/NOTES.md",
        "pkg_a/__pycache__/_speedups.pyd",
        ".git/hooks/__pycache__/h.cpython-311.pyc",
        "vendor/other/__pycache__/v.cpython-311.pyc",
        "pkg_c/__pycache__",
    ] {
        assert!(exists(&repo, kept), "{kept} was removed");
    }
    assert!(
        outside.path().join("o.cpython-311.pyc").exists(),
        "followed a symlink out"
    );
    assert!(
        run.stdout
            .contains("kept tools/legacy.pyc: its source .py is missing"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("kept pkg_a/__pycache__/NOTES.md: not bytecode"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("kept pkg_c/__pycache__: a symbolic link"),
        "{}",
        run.stdout
    );

    // --orphans takes the sourceless module too; running again finds nothing else.
    let run = repo.run(&["purge", "--orphans"]).expect(0);
    assert!(
        run.stdout.contains("purge: removed 1 file"),
        "{}",
        run.stdout
    );
    assert!(!exists(&repo, "tools/legacy.pyc"));
    // Only cache folders are removed when emptied, not the user's own folders.
    assert!(exists(&repo, "tools"));
}

#[test]
fn purge_of_a_tracked_cache_says_so() {
    let repo = TestRepo::with_commit();
    repo.stage("pkg/__pycache__/mod.cpython-311.pyc", PYC);
    repo.commit("tracked cache");
    let run = repo.run(&["purge"]).expect(0);
    assert!(
        run.stdout.contains("1 of them is tracked"),
        "{}",
        run.stdout
    );
    let status = repo.git(&["status", "--porcelain"]);
    assert_eq!(status, " D pkg/__pycache__/mod.cpython-311.pyc\n");
}

/// Issue 5's "done when": clean, then the printed commands, leave a repository that follows the
/// policy, also after Python runs again.
#[test]
fn clean_then_commit_leaves_a_repository_that_follows_the_policy() {
    let repo = python_repo();
    let user_ignore = "# my editor\n.idea/\n*.swp\n";
    repo.write(".gitignore", user_ignore.as_bytes());
    // The mistake: everything added, caches included.
    repo.git(&["add", "-A"]);
    repo.commit("everything, caches included");
    let tracked_before = repo.git(&["ls-files"]);
    assert!(
        tracked_before.contains("pkg_b/inner/__pycache__/"),
        "{tracked_before}"
    );
    repo.run(&["check", "--all"]).expect(1);

    let dry = repo.run(&["clean", "--purge", "--dry-run"]).expect(0);
    assert!(
        dry.stdout.contains("(dry run: nothing was changed)"),
        "{}",
        dry.stdout
    );
    assert_eq!(repo.git(&["ls-files"]), tracked_before);
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".gitignore")).unwrap(),
        user_ignore
    );

    let run = repo.run(&["clean", "--purge"]).expect(0);
    assert!(run.stdout.contains("git add .gitignore"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("git commit -m \"Stop tracking Python bytecode caches\""),
        "{}",
        run.stdout
    );
    // Run the printed commands, as the user would.
    for line in run.stdout.lines().filter(|l| l.starts_with("  git ")) {
        let status = hermetic("sh")
            .args(["-c", line.trim()])
            .current_dir(repo.path())
            .status()
            .unwrap();
        assert!(status.success(), "{line}");
    }

    let tracked = repo.git(&["ls-files"]);
    assert!(!tracked.contains("pkg_a/__pycache__"), "{tracked}");
    assert!(!tracked.contains("pkg_b/inner/__pycache__"), "{tracked}");
    assert!(
        tracked.contains(&format!("01_Basics/__pycache__/mod.{}.pyc", tag())),
        "{tracked}"
    );
    let ignore = std::fs::read_to_string(repo.path().join(".gitignore")).unwrap();
    assert!(ignore.starts_with(user_ignore), "{ignore}");
    repo.run(&["check", "--all"]).expect(0);

    // Python runs again: nothing shows in git status but a new cache in the kept folder.
    repo.write("pkg_a/other.py", b"");
    repo.write("01_Basics/lesson2.py", b"Y = 2\n");
    repo.git(&["add", "pkg_a/other.py", "01_Basics/lesson2.py"]);
    repo.commit("more modules");
    run_python(
        &repo,
        &[
            "pkg_a.mod",
            "pkg_a.other",
            "pkg_b.inner.mod",
            "01_Basics.lesson2",
        ],
    );
    let status = repo.git(&["status", "--porcelain", "--untracked-files=all"]);
    assert_eq!(
        status,
        format!("?? 01_Basics/__pycache__/lesson2.{}.pyc\n", tag()),
        "only the kept folder's new cache shows"
    );
}

#[test]
fn clean_with_a_locked_index_changes_nothing() {
    let repo = TestRepo::with_commit();
    repo.stage("pkg/__pycache__/mod.cpython-311.pyc", PYC);
    repo.commit("tracked cache");
    std::fs::write(repo.path().join(".git/index.lock"), b"").unwrap();
    let index = std::fs::read(repo.path().join(".git/index")).unwrap();
    let run = repo.run(&["clean"]).expect(2);
    assert!(run.stderr.contains("index.lock"), "{}", run.stderr);
    assert_eq!(
        std::fs::read(repo.path().join(".git/index")).unwrap(),
        index
    );
    assert!(!exists(&repo, ".gitignore"), "nothing was written");
}
