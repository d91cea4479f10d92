//! `check --range`, `--each-commit` and `--tree` on real repositories built with `git`: pull
//! requests that add caches, delete them again, rename them, merge, and clones that are shallow
//! or bare. What git itself reports on the same repository is the expected answer.

mod common;

use std::path::Path;

use common::{Run, TEACHING_POLICY, TestRepo, finding_list, hermetic};

const PYC: &[u8] = b"\xcb\r\r\n\0\0\0\0fake bytecode";
const DEFAULT_PATTERNS: &str = "__pycache__/\n*.py[co]\n*$py.class\n";

/// Runs git in `dir` and returns stdout; panics when git fails.
#[track_caller]
fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = hermetic("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A repository whose `main` has one commit, checked out on a new branch `topic`.
fn with_topic() -> TestRepo {
    let repo = TestRepo::with_commit();
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo
}

/// The paths git reports as added or changed between two revisions (`git diff --name-only
/// --no-renames --diff-filter=AMT FROM TO`) that git's own ignore rules, given the default
/// policy's patterns, would ignore (`git check-ignore --no-index`).
fn git_forbidden_changes(repo: &TestRepo, from: &str, to: &str) -> Vec<String> {
    let changed = repo.git(&[
        "diff",
        "--name-only",
        "--no-renames",
        "--diff-filter=AMT",
        from,
        to,
    ]);
    git_ignored(repo, changed.lines())
}

/// Those of `paths` that git would ignore with the default policy's patterns.
fn git_ignored<'a>(repo: &TestRepo, paths: impl Iterator<Item = &'a str>) -> Vec<String> {
    let excludes = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(excludes.path(), DEFAULT_PATTERNS).unwrap();
    let input: String = paths.map(|p| format!("{p}\n")).collect();
    let out = common::output_with_stdin(
        hermetic("git")
            .args(["-c"])
            .arg(format!("core.excludesFile={}", excludes.path().display()))
            .args(["check-ignore", "--no-index", "--stdin"])
            .current_dir(repo.path()),
        input,
    );
    let mut v: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    v.sort();
    v
}

/// Our findings' paths (errors only), sorted, without the code.
fn ours(run: &Run) -> Vec<String> {
    let mut v: Vec<String> = finding_list(&run.json())
        .into_iter()
        .map(|s| s.trim_start_matches("tracked-cache ").to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn pull_request_adding_a_cache_fails_and_agrees_with_git() {
    let repo = with_topic();
    repo.stage("pkg/parser.py", b"def parse(): ...\n");
    repo.stage("pkg/__pycache__/parser.cpython-312.pyc", PYC);
    repo.stage("tools/legacy.pyc", PYC);
    repo.stage("docs/notes.txt", b"not a cache\n");
    repo.commit("add the parser");
    // The base branch moves on meanwhile; its changes are not the pull request's.
    repo.git(&["checkout", "-q", "main"]);
    repo.stage("main_only/__pycache__/x.cpython-312.pyc", PYC);
    repo.commit("a cache on main");
    repo.git(&["checkout", "-q", "topic"]);

    let run = repo
        .run(&["check", "--range", "main...topic", "--format", "json"])
        .expect(1);
    let merge_base = repo.git(&["merge-base", "main", "topic"]);
    assert_eq!(
        ours(&run),
        git_forbidden_changes(&repo, merge_base.trim(), "topic")
    );
    assert_eq!(
        ours(&run),
        ["pkg/__pycache__/parser.cpython-312.pyc", "tools/legacy.pyc"]
    );
    let report = run.json();
    assert_eq!(report["scope"], "range");
    assert_eq!(report["range"]["merge_base"], merge_base.trim());
    assert_eq!(
        report["fix"]["untrack"],
        "git rm -r --cached -- pkg/__pycache__ tools/legacy.pyc"
    );

    // Two dots compare the trees themselves, as `git diff main..topic` does: main's own cache
    // is then a difference too (it is not in topic), but not an addition, so not a finding.
    let run = repo
        .run(&["check", "--range", "main..topic", "--format", "json"])
        .expect(1);
    assert_eq!(ours(&run), git_forbidden_changes(&repo, "main", "topic"));

    // The human report names the file and the fix.
    let run = repo.run(&["check", "--range", "main...topic"]).expect(1);
    assert!(
        run.stdout.contains(
            "error[tracked-cache]: 2 Python bytecode cache files are added by main...topic, in 2 \
             folders"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("      pkg/__pycache__/parser.cpython-312.pyc\n"),
        "{}",
        run.stdout
    );
    // The printed fix works: after it, the pull request passes.
    repo.git(&[
        "rm",
        "-r",
        "-q",
        "--cached",
        "--",
        "pkg/__pycache__",
        "tools/legacy.pyc",
    ]);
    repo.commit("untrack the caches");
    repo.run(&["check", "--range", "main...topic"]).expect(0);
}

#[test]
fn clean_pull_request_passes() {
    let repo = with_topic();
    repo.stage("pkg/other.py", b"y = 2\n");
    repo.stage("pkg/_speedups.pyd", b"MZ not a cache");
    repo.commit("clean");
    let run = repo.run(&["check", "--range", "main...topic"]).expect(0);
    assert_eq!(
        run.stdout,
        "pycache-policy: no forbidden caches added by main...topic (policy: built-in defaults)\n"
    );
    assert_eq!(
        repo.run(&["check", "--range", "main...topic", "-q"])
            .expect(0)
            .stdout,
        ""
    );
    // An empty range is judged too, and is clean.
    repo.run(&["check", "--range", "topic..topic", "--each-commit"])
        .expect(0);
}

#[test]
fn cache_added_then_deleted_is_caught_with_each_commit() {
    let repo = with_topic();
    repo.stage("pkg/__pycache__/mod.cpython-311.pyc", PYC);
    repo.stage("pkg/new.py", b"");
    repo.commit("add a module (and its cache, by mistake)");
    repo.git(&[
        "rm",
        "-q",
        "--cached",
        "pkg/__pycache__/mod.cpython-311.pyc",
    ]);
    repo.commit("untrack the cache");
    repo.stage("pkg/more.py", b"");
    repo.commit("more");

    // The end result is clean...
    repo.run(&["check", "--range", "main...topic"]).expect(0);
    // ... but the cache is in the branch's history.
    let run = repo
        .run(&[
            "check",
            "--range",
            "main...topic",
            "--each-commit",
            "--format",
            "json",
        ])
        .expect(1);
    let report = run.json();
    assert_eq!(ours(&run), ["pkg/__pycache__/mod.cpython-311.pyc"]);
    let introduced = repo.git(&[
        "log",
        "--format=%H",
        "--diff-filter=A",
        "main..topic",
        "--",
        "pkg/__pycache__/mod.cpython-311.pyc",
    ]);
    assert_eq!(report["findings"][0]["commit"], introduced.trim());
    // Every commit of the range was judged, parents first, as git rev-list lists them.
    let listed: Vec<String> = repo
        .git(&["rev-list", "--reverse", "--topo-order", "main..topic"])
        .lines()
        .map(String::from)
        .collect();
    let judged: Vec<String> = report["range"]["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(judged, listed);
    // Nothing to untrack (the cache is gone from the head), but history must be rewritten.
    assert_eq!(report["fix"]["untrack"], serde_json::Value::Null);
    let run = repo
        .run(&["check", "--range", "main...topic", "--each-commit"])
        .expect(1);
    let short = &introduced[..7];
    assert!(
        run.stdout.contains(&format!(
            "  commit {short} add a module (and its cache, by mistake)\n"
        )),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("git rebase -i "), "{}", run.stdout);
}

#[test]
fn renaming_a_cache_into_a_kept_folder_and_out_of_it() {
    let repo = TestRepo::with_commit();
    repo.stage("pycache-policy.toml", TEACHING_POLICY.as_bytes());
    repo.stage(
        "01_Basics/README.md",
        b"the cache folder is kept to show learners\n",
    );
    repo.stage("scratch/__pycache__/demo.cpython-312.pyc", PYC);
    repo.commit("an old cache outside the kept folder");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.write("01_Basics/__pycache__/.keep", b"");
    repo.git(&[
        "mv",
        "scratch/__pycache__/demo.cpython-312.pyc",
        "01_Basics/__pycache__/demo.cpython-312.pyc",
    ]);
    repo.commit("move the demo cache into the kept folder");
    // git sees a rename; the new path is what is judged, and it is kept on purpose.
    let status = repo.git(&["diff", "-M", "--name-status", "main...topic"]);
    assert!(status.starts_with('R'), "{status}");
    repo.run(&["check", "--range", "main...topic", "--each-commit"])
        .expect(0);

    // Out of the kept folder again: a forbidden path is added.
    repo.write("02_Next/__pycache__/.keep", b"");
    repo.git(&[
        "mv",
        "01_Basics/__pycache__/demo.cpython-312.pyc",
        "02_Next/__pycache__/demo.cpython-312.pyc",
    ]);
    repo.commit("move it out");
    let run = repo
        .run(&["check", "--range", "HEAD~1..HEAD", "--format", "json"])
        .expect(1);
    assert_eq!(ours(&run), ["02_Next/__pycache__/demo.cpython-312.pyc"]);
}

#[test]
fn kept_folder_needs_its_readme_in_the_judged_tree() {
    let repo = TestRepo::with_commit();
    repo.stage("pycache-policy.toml", TEACHING_POLICY.as_bytes());
    repo.commit("policy");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.stage("01_Basics/__pycache__/script1.cpython-312.pyc", PYC);
    repo.commit("keep a cache, without explaining it");
    let run = repo
        .run(&["check", "--range", "main...topic", "--format", "json"])
        .expect(1);
    assert_eq!(
        finding_list(&run.json()),
        ["allowlist-missing-readme 01_Basics/__pycache__"]
    );
    repo.stage("01_Basics/__pycache__/README.md", b"why\n");
    repo.commit("explain it");
    repo.run(&["check", "--range", "main...topic", "--each-commit"])
        .expect(0);
    // A later pull request that deletes the README is refused.
    repo.git(&["checkout", "-q", "-b", "later"]);
    repo.git(&["rm", "-q", "01_Basics/__pycache__/README.md"]);
    repo.commit("drop the README");
    let run = repo
        .run(&["check", "--range", "topic...later", "--format", "json"])
        .expect(1);
    assert_eq!(
        finding_list(&run.json()),
        ["allowlist-missing-readme 01_Basics/__pycache__"]
    );
}

#[test]
fn merge_commits_are_judged_by_what_they_bring_in() {
    let repo = with_topic();
    repo.stage("pkg/feature.py", b"");
    repo.commit("feature work");
    repo.git(&["checkout", "-q", "main"]);
    repo.stage("main_only/__pycache__/x.cpython-312.pyc", PYC);
    repo.commit("someone else's cache, on main");
    repo.git(&["checkout", "-q", "topic"]);
    repo.git(&["merge", "-q", "--no-edit", "main"]);
    // Merging the base into the pull request does not make its files the pull request's.
    let run = repo
        .run(&[
            "check",
            "--range",
            "main...topic",
            "--each-commit",
            "--format",
            "json",
        ])
        .expect(0);
    assert_eq!(run.json()["range"]["commits"].as_array().unwrap().len(), 2);
    // git agrees: the merge differs from no parent at that path (`git diff-tree -c`).
    assert_eq!(
        repo.git(&["diff-tree", "-c", "--name-only", "--no-commit-id", "HEAD"]),
        ""
    );

    // A merge that adds a cache of its own (an "evil merge") is caught, and named.
    repo.git(&["checkout", "-q", "main"]);
    repo.stage("main_only/y.py", b"");
    repo.commit("more on main");
    repo.git(&["checkout", "-q", "topic"]);
    repo.git(&["merge", "-q", "--no-commit", "main"]);
    repo.stage("evil/__pycache__/e.cpython-312.pyc", PYC);
    repo.commit("merge main");
    let merge = repo.git(&["rev-parse", "HEAD"]);
    let combined = repo.git(&["diff-tree", "-c", "--name-only", "--no-commit-id", "HEAD"]);
    assert_eq!(combined, "evil/__pycache__/e.cpython-312.pyc\n");
    let run = repo
        .run(&[
            "check",
            "--range",
            "main...topic",
            "--each-commit",
            "--format",
            "json",
        ])
        .expect(1);
    let report = run.json();
    assert_eq!(ours(&run), ["evil/__pycache__/e.cpython-312.pyc"]);
    assert_eq!(report["findings"][0]["commit"], merge.trim());
}

#[test]
fn shallow_clone_without_the_base_fails_closed() {
    let repo = with_topic();
    for i in 0..3 {
        repo.stage(&format!("pkg/m{i}.py"), b"");
        repo.commit(&format!("work {i}"));
    }
    repo.stage("pkg/__pycache__/m.cpython-312.pyc", PYC);
    repo.commit("a cache");
    let main = repo.git(&["rev-parse", "main"]).trim().to_string();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    git_in(
        dir.path(),
        &[
            "clone", "-q", "--depth", "1", "--branch", "topic", &url, "c",
        ],
    );
    let clone = dir.path().join("c");
    assert_eq!(
        git_in(&clone, &["rev-parse", "--is-shallow-repository"]),
        "true\n"
    );

    // The base commit is not in the clone: exit 2, and the advice to fetch the history.
    let range = format!("{main}...HEAD");
    for args in [
        &["check", "--range", &range][..],
        &["check", "--range", &range, "--each-commit"],
        &["check", "--range", &range, "--format", "json"],
    ] {
        let run = repo.run_in(&clone, args).expect(2);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(run.stderr.contains(&main), "{}", run.stderr);
        assert!(run.stderr.contains("shallow clone"), "{}", run.stderr);
        assert!(run.stderr.contains("fetch-depth: 0"), "{}", run.stderr);
    }

    // Both ends present but the history between them cut: the merge base and the commits of
    // the range cannot be found, so both fail closed; comparing the two trees still works.
    let dir2 = tempfile::tempdir().unwrap();
    git_in(
        dir2.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "2",
            "--no-single-branch",
            &url,
            "c",
        ],
    );
    let clone = dir2.path().join("c");
    let run = repo
        .run_in(&clone, &["check", "--range", "origin/main...origin/topic"])
        .expect(2);
    assert!(run.stderr.contains("merge base"), "{}", run.stderr);
    assert!(run.stderr.contains("fetch-depth: 0"), "{}", run.stderr);
    let run = repo
        .run_in(
            &clone,
            &[
                "check",
                "--range",
                "origin/main..origin/topic",
                "--each-commit",
            ],
        )
        .expect(2);
    assert!(
        run.stderr.contains("cannot judge every commit"),
        "{}",
        run.stderr
    );
    repo.run_in(&clone, &["check", "--range", "origin/main..origin/topic"])
        .expect(1);

    // With the history fetched, the same check gives its verdict.
    git_in(&clone, &["fetch", "-q", "--unshallow"]);
    repo.run_in(
        &clone,
        &[
            "check",
            "--range",
            "origin/main...origin/topic",
            "--each-commit",
        ],
    )
    .expect(1);
}

#[test]
fn bare_clone_with_tree() {
    let repo = TestRepo::with_commit();
    repo.stage("pycache-policy.toml", TEACHING_POLICY.as_bytes());
    repo.stage("01_Basics/__pycache__/script1.cpython-312.pyc", PYC);
    repo.stage("01_Basics/README.md", b"kept on purpose\n");
    repo.commit("a kept cache folder");
    repo.git(&["tag", "clean"]);
    repo.stage("a/__pycache__/x.cpython-312.pyc", PYC);
    repo.stage("a/__pycache__/y.cpython-312.pyc", PYC);
    repo.stage("b.pyo", PYC);
    repo.commit("caches");
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("b.git");
    repo.git(&["clone", "-q", "--bare", ".", bare.to_str().unwrap()]);

    // No index in a bare repository, so the staged check cannot run...
    repo.run_in(&bare, &["check"]).expect(2);
    // ... but a commit's tree can be judged, with the policy committed in it.
    let run = repo
        .run_in(&bare, &["check", "--tree", "main", "--format", "json"])
        .expect(1);
    let report = run.json();
    assert_eq!(report["scope"], "tree");
    assert_eq!(report["policy"], "main:pycache-policy.toml");
    let tracked = repo.git(&["ls-tree", "-r", "--name-only", "main"]);
    let expected: Vec<String> = git_ignored(&repo, tracked.lines())
        .into_iter()
        .filter(|p| !p.starts_with("01_Basics/__pycache__/"))
        .collect();
    assert_eq!(ours(&run), expected);
    assert_eq!(
        report["fix"]["untrack"],
        "git rm -r --cached -- a/__pycache__ b.pyo"
    );
    assert_eq!(
        report["tree"]["commit"],
        repo.git(&["rev-parse", "main"]).trim()
    );
    repo.run_in(&bare, &["check", "--tree", "clean"]).expect(0);
    // A range works in a bare repository too.
    let run = repo
        .run_in(&bare, &["check", "--range", "clean..main", "--each-commit"])
        .expect(1);
    assert!(run.stdout.contains("b.pyo"), "{}", run.stdout);
    // A tree id can be judged as well as a commit.
    let tree = repo.git(&["rev-parse", "clean^{tree}"]);
    repo.run_in(&bare, &["check", "--tree", tree.trim()])
        .expect(0);
}

#[test]
fn unknown_revisions_and_bad_ranges_are_named() {
    let repo = with_topic();
    let run = repo.run(&["check", "--range", "nope...topic"]).expect(2);
    assert!(
        run.stderr.contains("unknown revision `nope`"),
        "{}",
        run.stderr
    );
    let run = repo.run(&["check", "--range", "topic"]).expect(2);
    assert!(
        run.stderr.contains("`topic` is not a range"),
        "{}",
        run.stderr
    );
    let run = repo.run(&["check", "--tree", "nope"]).expect(2);
    assert!(
        run.stderr.contains("unknown revision `nope`"),
        "{}",
        run.stderr
    );
    let blob = repo.git(&["rev-parse", "main:README.md"]);
    let run = repo
        .run(&["check", "--range", &format!("{}..main", blob.trim())])
        .expect(2);
    assert!(
        run.stderr.contains("names a blob, not a commit"),
        "{}",
        run.stderr
    );
    let run = repo.run(&["check", "--each-commit"]).expect(2);
    assert!(run.stderr.contains("--each-commit"), "{}", run.stderr);
    repo.run(&["check", "--all", "--range", "main..topic"])
        .expect(2);
    repo.run(&["check", "--tree", "main", "--range", "main..topic"])
        .expect(2);
}

#[test]
fn ignorecase_repository_judges_like_the_staged_check() {
    let repo = with_topic();
    repo.git(&["config", "core.ignorecase", "true"]);
    repo.stage("Pkg/__PyCache__/M.cpython-311.PYC", PYC);
    repo.commit("shouting");
    repo.run(&["check", "--range", "main...topic"]).expect(1);
    repo.git(&["config", "core.ignorecase", "false"]);
    repo.run(&["check", "--range", "main...topic"]).expect(0);
}

/// The tree diff behind every range check, against `git diff-tree` on a history that adds,
/// modifies, deletes, changes modes, and turns files into folders and back.
#[test]
fn tree_diff_agrees_with_git_diff_tree() {
    let repo = TestRepo::with_commit();
    let steps: &[&[(&str, Option<&str>)]] = &[
        &[
            ("a/b/c.py", Some("1")),
            ("a/d.txt", Some("1")),
            ("x", Some("file")),
        ],
        &[
            ("a/b/c.py", Some("2")),
            ("a/b/e.py", Some("1")),
            ("a/d.txt", None),
        ],
        &[
            ("x", None),
            ("x/inner.py", Some("now a folder")),
            ("a.b", Some("sorts between")),
        ],
        &[
            ("x/inner.py", None),
            ("x", Some("a file again")),
            ("z/y/w/v.py", Some("deep")),
        ],
        &[("a/b/c.py", Some("2")), ("a/b/f.py", Some("1"))],
    ];
    let mut commits = vec![repo.git(&["rev-parse", "HEAD"]).trim().to_string()];
    for (i, step) in steps.iter().enumerate() {
        for (path, content) in step.iter() {
            match content {
                Some(c) => {
                    let full = repo.path().join(path);
                    if full.is_dir() {
                        std::fs::remove_dir_all(&full).unwrap();
                    }
                    if let Some(parent) = full.parent()
                        && parent.is_file()
                    {
                        std::fs::remove_file(parent).unwrap();
                    }
                    repo.write(path, c.as_bytes());
                }
                None => {
                    let _ = std::fs::remove_file(repo.path().join(path));
                }
            }
        }
        repo.git(&["add", "-A"]);
        if i == 4 {
            repo.git(&["update-index", "--chmod=+x", "a/b/c.py"]);
        }
        repo.commit(&format!("step {i}"));
        commits.push(repo.git(&["rev-parse", "HEAD"]).trim().to_string());
    }
    let git = git2::Repository::open(repo.path()).unwrap();
    let tree = |id: &str| {
        git.find_commit(git2::Oid::from_str(id).unwrap())
            .unwrap()
            .tree_id()
    };
    for from in &commits {
        for to in &commits {
            let mut ours = Vec::new();
            pycache_policy::git::diff::added_or_modified(
                &git,
                Some(tree(from)),
                tree(to),
                &mut |p, _, _| ours.push(String::from_utf8(p.to_vec()).unwrap()),
            )
            .unwrap();
            let theirs = repo.git(&[
                "diff-tree",
                "-r",
                "--no-renames",
                "--diff-filter=AMT",
                "--name-only",
                from,
                to,
            ]);
            let theirs: Vec<&str> = theirs.lines().collect();
            assert_eq!(ours, theirs, "{from}..{to}");
        }
    }
}
