//! `pycache-policy check` on real repositories built with `git`.

mod common;

use common::{TEACHING_POLICY, TestRepo, bin, finding_list, hermetic, kept_pyc};

const PYC: &[u8] = b"\xcb\r\r\n\0\0\0\0fake bytecode";

#[test]
fn staged_cache_is_refused_and_named_with_the_fix() {
    let repo = TestRepo::with_commit();
    repo.stage("pkg/__pycache__/mod.cpython-311.pyc", PYC);
    let run = repo.run(&["check"]).expect(1);
    assert!(
        run.stdout
            .contains("error[tracked-cache]: 1 Python bytecode cache file is staged"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("      pkg/__pycache__/mod.cpython-311.pyc\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  git rm -r --cached -- pkg/__pycache__\n"),
        "{}",
        run.stdout
    );

    // The printed command is the fix: after it, the check passes and the file is still on disk.
    repo.git(&["rm", "-r", "-q", "--cached", "--", "pkg/__pycache__"]);
    repo.run(&["check"]).expect(0);
    assert!(
        repo.path()
            .join("pkg/__pycache__/mod.cpython-311.pyc")
            .exists()
    );
}

#[test]
fn clean_change_passes() {
    let repo = TestRepo::with_commit();
    repo.stage("pkg/other.py", b"y = 2\n");
    repo.stage("pkg/_speedups.pyd", b"MZ not a cache");
    let run = repo.run(&["check"]).expect(0);
    assert_eq!(
        run.stdout,
        "pycache-policy: no forbidden caches staged (policy: built-in defaults)\n"
    );
    assert_eq!(repo.run(&["check", "-q"]).expect(0).stdout, "");
}

#[test]
fn json_lists_every_finding_with_code_and_path() {
    let repo = TestRepo::new();
    repo.stage("a/b/__pycache__/x.cpython-312.pyc", PYC);
    repo.stage("legacy.pyo", PYC);
    repo.stage("lib/Foo$py.class", b"jython");
    repo.stage("a/b/x.py", b"");
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    assert_eq!(report["version"], 1);
    assert_eq!(
        finding_list(&report),
        [
            "tracked-cache a/b/__pycache__/x.cpython-312.pyc",
            "tracked-cache legacy.pyo",
            "tracked-cache lib/Foo$py.class",
        ]
    );
    assert_eq!(report["findings"][0]["rule"], "__pycache__/");
    assert_eq!(report["findings"][0]["folder"], "a/b/__pycache__");
    assert_eq!(report["summary"]["errors"], 3);
    assert_eq!(
        report["fix"]["untrack"],
        "git rm -r --cached -- a/b/__pycache__ legacy.pyo 'lib/Foo$py.class'"
    );
}

#[test]
fn kept_folder_with_readme_passes() {
    let repo = TestRepo::with_commit();
    repo.stage("pycache-policy.toml", TEACHING_POLICY.as_bytes());
    repo.stage("01_Basics/script1.py", b"print(1)\n");
    repo.stage(
        "01_Basics/__pycache__/script1.cpython-312.pyc",
        &kept_pyc(b"print(1)\n"),
    );
    repo.stage("01_Basics/__pycache__/README.md", b"kept on purpose\n");
    repo.run(&["check"]).expect(0);
    repo.run(&["check", "--all"]).expect(0);
    // Another module's cache is still refused.
    repo.stage("02_Next/__pycache__/s.cpython-312.pyc", PYC);
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    assert_eq!(
        finding_list(&report),
        ["tracked-cache 02_Next/__pycache__/s.cpython-312.pyc"]
    );
}

#[test]
fn kept_folder_without_readme_is_reported() {
    let repo = TestRepo::with_commit();
    repo.stage("pycache-policy.toml", TEACHING_POLICY.as_bytes());
    repo.stage("01_Basics/script1.py", b"");
    repo.stage(
        "01_Basics/__pycache__/script1.cpython-312.pyc",
        &kept_pyc(b""),
    );
    let run = repo.run(&["check"]).expect(1);
    assert!(
        run.stdout.contains(
            "error[allowlist-missing-readme]: `01_Basics/__pycache__/` is kept on purpose, but no \
             tracked README.md explains it: write 01_Basics/__pycache__/README.md or \
             01_Basics/README.md and `git add` it"
        ),
        "{}",
        run.stdout
    );
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    assert_eq!(
        finding_list(&report),
        ["allowlist-missing-readme 01_Basics/__pycache__"]
    );

    // A README on disk that is not staged does not count: the index is judged.
    repo.write("01_Basics/README.md", b"why the cache is here\n");
    repo.run(&["check"]).expect(1);
    // The module folder's README explains it, as in the seed's repository.
    repo.git(&["add", "01_Basics/README.md"]);
    repo.run(&["check"]).expect(0);
}

#[test]
fn readme_requirement_can_be_switched_off() {
    let repo = TestRepo::with_commit();
    repo.stage(
        "pycache-policy.toml",
        b"[[allow]]\npath = \"01_Basics/__pycache__/\"\nrequire_readme = false\n",
    );
    repo.stage("01_Basics/script1.py", b"");
    repo.stage(
        "01_Basics/__pycache__/script1.cpython-312.pyc",
        &kept_pyc(b""),
    );
    repo.run(&["check"]).expect(0);
}

#[test]
fn deleting_the_readme_of_a_kept_folder_is_reported() {
    let repo = TestRepo::with_commit();
    repo.stage("pycache-policy.toml", TEACHING_POLICY.as_bytes());
    repo.stage("01_Basics/__pycache__/script1.cpython-312.pyc", PYC);
    repo.stage("01_Basics/__pycache__/README.md", b"kept\n");
    repo.commit("keep a cache folder");
    repo.git(&["rm", "-q", "--cached", "01_Basics/__pycache__/README.md"]);
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    assert_eq!(
        finding_list(&report),
        ["allowlist-missing-readme 01_Basics/__pycache__"]
    );
}

#[test]
fn committed_cache_passes_by_default_but_not_with_all() {
    let repo = TestRepo::with_commit();
    repo.stage("pkg/__pycache__/mod.cpython-311.pyc", PYC);
    repo.commit("an old mistake");
    repo.stage("pkg/new.py", b"");
    repo.run(&["check"]).expect(0);
    let run = repo.run(&["check", "--all"]).expect(1);
    assert!(
        run.stdout
            .contains("1 Python bytecode cache file is tracked"),
        "{}",
        run.stdout
    );
    // Modifying the committed cache and staging it is a change the commit would make.
    repo.stage("pkg/__pycache__/mod.cpython-311.pyc", b"changed");
    repo.run(&["check"]).expect(1);
}

#[test]
fn a_mode_change_of_a_committed_cache_is_a_change() {
    let repo = TestRepo::with_commit();
    repo.stage("tool.pyc", PYC);
    repo.commit("old");
    repo.git(&["update-index", "--chmod=+x", "tool.pyc"]);
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    assert_eq!(finding_list(&report), ["tracked-cache tool.pyc"]);
}

#[test]
fn partial_staging_is_judged_by_the_index() {
    let repo = TestRepo::with_commit();
    // Staged, then deleted from the working tree: still in the commit, still refused.
    repo.stage("pkg/__pycache__/a.cpython-311.pyc", PYC);
    std::fs::remove_dir_all(repo.path().join("pkg/__pycache__")).unwrap();
    repo.run(&["check"]).expect(1);
    repo.git(&["rm", "-q", "--cached", "pkg/__pycache__/a.cpython-311.pyc"]);
    repo.run(&["check"]).expect(0);

    // On disk but not staged: not part of the commit.
    repo.write("pkg/__pycache__/b.cpython-311.pyc", PYC);
    repo.run(&["check"]).expect(0);
    repo.run(&["check", "--all"]).expect(0);

    // A tracked cache modified on disk but not staged: the staged content equals HEAD.
    repo.stage("old.pyc", PYC);
    repo.commit("old");
    repo.write("old.pyc", b"modified on disk");
    repo.run(&["check"]).expect(0);
    repo.git(&["add", "old.pyc"]);
    repo.run(&["check"]).expect(1);
}

#[test]
fn conflict_stages_count_once() {
    let repo = TestRepo::with_commit();
    repo.stage("pkg/__pycache__/c.cpython-311.pyc", b"base");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "other"]);
    repo.stage("pkg/__pycache__/c.cpython-311.pyc", b"theirs");
    repo.commit("theirs");
    repo.git(&["checkout", "-q", "main"]);
    repo.stage("pkg/__pycache__/c.cpython-311.pyc", b"ours");
    repo.commit("ours");
    let merge = repo.git_run(&["merge", "-q", "other"]);
    assert_ne!(merge.code, 0, "the merge should conflict");
    let stages = repo.git(&["ls-files", "-s", "pkg/__pycache__/c.cpython-311.pyc"]);
    assert_eq!(stages.lines().count(), 3, "{stages}");
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    assert_eq!(
        finding_list(&report),
        ["tracked-cache pkg/__pycache__/c.cpython-311.pyc"]
    );
}

#[test]
fn nested_space_and_non_utf8_paths() {
    let repo = TestRepo::new();
    repo.stage("deep/er/still/__pycache__/m.cpython-39.pyc", PYC);
    repo.stage("with space/__pycache__/m y.cpython-39.pyc", PYC);
    let raw: &[u8] = b"caf\xe9/__pycache__/x.cpython-311.pyc";
    {
        use std::os::unix::ffi::OsStrExt;
        repo.write(std::ffi::OsStr::from_bytes(raw), PYC);
    }
    repo.git_bytes(&[b"add", b"--", raw]);

    let run = repo.run(&["check"]).expect(1);
    assert!(
        run.stdout
            .contains("      \"caf\\351/__pycache__/x.cpython-311.pyc\"\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("      with space/__pycache__/m y.cpython-39.pyc\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "git rm -r --cached -- 'caf'\"$(printf '\\351')\"'/__pycache__' deep/er/still/__pycache__ 'with space/__pycache__'"
        ),
        "{}",
        run.stdout
    );
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    let bytes: Vec<u8> = report["findings"][0]["path_bytes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_u64().unwrap() as u8)
        .collect();
    assert_eq!(bytes, raw);
    assert_eq!(finding_list(&report).len(), 3);

    // The printed command really untracks them, run by a POSIX shell (dash, where it is sh).
    let fix = report["fix"]["untrack"].as_str().unwrap().to_string();
    let status = hermetic("sh")
        .args(["-c", &fix])
        .current_dir(repo.path())
        .status()
        .unwrap();
    assert!(status.success());
    repo.run(&["check"]).expect(0);
}

#[test]
fn empty_repository_without_commits() {
    let repo = TestRepo::new();
    repo.run(&["check"]).expect(0);
    repo.run(&["check", "--all"]).expect(0);
    repo.stage("m.py", b"");
    repo.run(&["check"]).expect(0);
    repo.stage("__pycache__/m.cpython-311.pyc", PYC);
    repo.run(&["check"]).expect(1);
}

#[test]
fn dash_c_from_outside_and_from_a_subfolder() {
    let repo = TestRepo::with_commit();
    repo.stage("pkg/__pycache__/m.pyc", PYC);
    let outside = tempfile::tempdir().unwrap();
    let dir = repo.path().to_str().unwrap();
    repo.run_in(outside.path(), &["-C", dir, "check"]).expect(1);
    repo.run_in(outside.path(), &["check", "-C", dir]).expect(1);
    // Discovery works from a subfolder, and relative -C is resolved like git's.
    repo.run_in(&repo.path().join("pkg"), &["check"]).expect(1);
    repo.run_in(repo.path(), &["-C", "pkg", "check"]).expect(1);
    // Not a repository: exit 2 and a message that says what to do.
    let run = repo.run_in(outside.path(), &["check"]).expect(2);
    assert!(
        run.stderr.contains("not a git repository"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("-C DIR"), "{}", run.stderr);
}

#[test]
fn git_dir_and_work_tree_are_honoured() {
    let repo = TestRepo::with_commit();
    repo.stage("pkg/__pycache__/m.pyc", PYC);
    let outside = tempfile::tempdir().unwrap();
    let run = hermetic(bin())
        .arg("check")
        .current_dir(outside.path())
        .env("GIT_DIR", repo.path().join(".git"))
        .env("GIT_WORK_TREE", repo.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "{run:?}");
}

#[test]
fn git_index_file_is_the_index_judged() {
    let repo = TestRepo::with_commit();
    // A second index, as `git commit -a` makes one, holding a cache the real index lacks.
    let alt = repo.path().join(".git/alt-index");
    repo.write("x.pyc", PYC);
    for args in [&["read-tree", "HEAD"][..], &["add", "x.pyc"]] {
        let status = hermetic("git")
            .args(args)
            .current_dir(repo.path())
            .env("GIT_INDEX_FILE", &alt)
            .status()
            .unwrap();
        assert!(status.success());
    }
    repo.run(&["check"]).expect(0);
    let run = hermetic(bin())
        .arg("check")
        .current_dir(repo.path())
        .env("GIT_INDEX_FILE", &alt)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "{run:?}");
}

#[test]
fn bare_repository_is_refused_with_a_reason() {
    let repo = TestRepo::with_commit();
    let bare = tempfile::tempdir().unwrap();
    let target = bare.path().join("b.git");
    repo.git(&["clone", "-q", "--bare", ".", target.to_str().unwrap()]);
    let run = repo.run_in(&target, &["check"]).expect(2);
    assert!(run.stderr.contains("bare repository"), "{}", run.stderr);
}

#[test]
fn malformed_policy_names_file_line_and_column() {
    let repo = TestRepo::with_commit();
    repo.write(
        "pycache-policy.toml",
        b"[caches]\nforbid = [\"__pycache__/\", 7]\ncolor = true\n\n[[allow]]\npath = \"/abs/\"\n",
    );
    let run = repo.run(&["check"]).expect(2);
    assert!(run.stderr.contains("(3 problems)"), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "pycache-policy.toml:2:27: `caches.forbid[]` must be a string, found integer"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("pycache-policy.toml:3:1: unknown key `caches.color`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("pycache-policy.toml:6:8: allow path `/abs/` is absolute"),
        "{}",
        run.stderr
    );

    repo.write("pycache-policy.toml", b"[caches\nforbid = []\n");
    let run = repo.run(&["check"]).expect(2);
    assert!(
        run.stderr.contains("pycache-policy.toml:1:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("TOML syntax error"), "{}", run.stderr);
}

#[test]
fn policy_from_pyproject_and_from_flag() {
    let repo = TestRepo::with_commit();
    repo.stage("keep/m.py", b"");
    repo.stage("keep/__pycache__/m.cpython-312.pyc", &kept_pyc(b""));
    repo.stage("keep/README.md", b"why\n");
    repo.run(&["check"]).expect(1);
    repo.write(
        "pyproject.toml",
        b"[project]\nname = \"demo\"\n\n[tool.pycache-policy]\nallow = [{ path = \"keep/__pycache__/\" }]\n",
    );
    let run = repo.run(&["check"]).expect(0);
    assert!(
        run.stdout.contains("[tool.pycache-policy] in"),
        "{}",
        run.stdout
    );
    // pycache-policy.toml wins over pyproject.toml.
    repo.write("pycache-policy.toml", b"");
    repo.run(&["check"]).expect(1);
    // --policy wins over both.
    let alt = repo.path().join("alt.toml");
    std::fs::write(&alt, TEACHING_POLICY.replace("01_Basics", "keep")).unwrap();
    repo.run(&["--policy", alt.to_str().unwrap(), "check"])
        .expect(0);
    let run = repo.run(&["--policy", "missing.toml", "check"]).expect(2);
    assert!(
        run.stderr.contains("cannot read the policy file"),
        "{}",
        run.stderr
    );
}

#[test]
fn core_ignorecase_is_honoured() {
    let repo = TestRepo::with_commit();
    repo.stage("Pkg/__PyCache__/M.cpython-311.PYC", PYC);
    repo.run(&["check"]).expect(0);
    repo.git(&["config", "core.ignorecase", "true"]);
    repo.run(&["check"]).expect(1);
}

/// Git is the spec: with the policy's patterns in `.gitignore`, the tracked files git itself
/// calls ignored (`git ls-files -ci`) are exactly what `check --all` reports, and the staged
/// ones among them (`git diff --cached`) exactly what `check` reports.
#[test]
fn findings_agree_with_git() {
    let repo = TestRepo::new();
    let paths = [
        "a/__pycache__/m.cpython-311.pyc",
        "a/m.py",
        "a/__pycache__/README.md",
        "b/c/__pycache__/d/e.txt",
        "b/x.pyc",
        "b/x.pyd",
        "b/x.pyo",
        "b/X$py.class",
        "__pycache__x/y.pyc",
        "notes/__pycache__",
        "z.py",
    ];
    for p in &paths[..6] {
        repo.stage(p, PYC);
    }
    repo.commit("first half");
    for p in &paths[6..] {
        repo.stage(p, PYC);
    }
    repo.stage("a/__pycache__/m.cpython-311.pyc", b"modified");

    let ours = |args: &[&str]| {
        let mut v: Vec<String> = finding_list(&repo.run(args).json())
            .into_iter()
            .map(|s| s.trim_start_matches("tracked-cache ").to_string())
            .collect();
        v.sort();
        v
    };
    repo.write(".gitignore", b"__pycache__/\n*.py[co]\n*$py.class\n");
    let ignored_tracked: Vec<String> = {
        let mut v: Vec<String> = repo
            .git(&["ls-files", "-ci", "--exclude-standard"])
            .lines()
            .map(String::from)
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        ours(&["check", "--all", "--format", "json"]),
        ignored_tracked
    );
    let staged: Vec<String> = repo
        .git(&["diff", "--cached", "--name-only"])
        .lines()
        .map(String::from)
        .collect();
    let expected: Vec<String> = ignored_tracked
        .iter()
        .filter(|p| staged.contains(p))
        .cloned()
        .collect();
    assert_eq!(ours(&["check", "--format", "json"]), expected);
    assert!(expected.len() >= 4, "{expected:?}");
}

#[test]
fn a_readme_only_added_with_intent_to_add_does_not_explain_a_kept_folder() {
    let repo = TestRepo::with_commit();
    repo.stage(
        "pycache-policy.toml",
        b"[[allow]]\npath = \"01_Basics/__pycache__/\"\n[allow.checks]\ninvalid = \"off\"\norphan = \"off\"\nunverifiable = \"off\"\n",
    );
    repo.stage("01_Basics/__pycache__/m.cpython-312.pyc", PYC);
    repo.write("01_Basics/__pycache__/README.md", b"why\n");
    repo.git(&["add", "-N", "01_Basics/__pycache__/README.md"]);
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    assert_eq!(
        finding_list(&report),
        ["allowlist-missing-readme 01_Basics/__pycache__"]
    );
    repo.git(&["add", "01_Basics/__pycache__/README.md"]);
    repo.run(&["check"]).expect(0);
}

#[test]
fn a_relative_git_index_file_is_relative_to_the_top_as_in_git() {
    let repo = TestRepo::with_commit();
    std::fs::copy(repo.path().join(".git/index"), repo.path().join(".git/alt")).unwrap();
    repo.write("pkg/__pycache__/m.cpython-312.pyc", PYC);
    let add = hermetic("git")
        .args(["add", "pkg/__pycache__"])
        .current_dir(repo.path())
        .env("GIT_INDEX_FILE", ".git/alt")
        .status()
        .unwrap();
    assert!(add.success());
    // From a subfolder, git still reads <top>/.git/alt ...
    let listed = hermetic("git")
        .args(["ls-files", "--", ":/pkg/__pycache__"])
        .current_dir(repo.path().join("pkg"))
        .env("GIT_INDEX_FILE", ".git/alt")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&listed.stdout).contains("m.cpython-312.pyc"));
    // ... and so do we.
    let run = hermetic(bin())
        .args(["check", "--all"])
        .current_dir(repo.path().join("pkg"))
        .env("GIT_INDEX_FILE", ".git/alt")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "{run:?}");
}

#[test]
fn a_gitlink_named_pycache_is_a_folder_as_git_sees_it() {
    let repo = TestRepo::with_commit();
    let head = repo.git(&["rev-parse", "HEAD"]);
    let info = format!("160000,{},lib/__pycache__", head.trim());
    repo.git(&["update-index", "--add", "--cacheinfo", &info]);
    repo.write(".gitignore", b"__pycache__/\n");
    // git looks at the submodule folder on disk to see that it is one.
    std::fs::create_dir_all(repo.path().join("lib/__pycache__")).unwrap();
    assert_eq!(
        repo.git(&["ls-files", "-ci", "--exclude-standard"]),
        "lib/__pycache__\n"
    );
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    assert_eq!(finding_list(&report), ["tracked-cache lib/__pycache__"]);
}
