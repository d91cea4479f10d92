//! `pycache-policy gitignore`, `explain` and check's ignore side, against `git check-ignore`.

mod common;

use common::{TEACHING_POLICY, TestRepo, hermetic, warning_list};

const PYC: &[u8] = b"\xcb\r\r\n\0\0\0\0fake bytecode";

/// The common Python `.gitignore` template's cache lines, and the seed's exception.
const TEMPLATE: &str = "# Byte-compiled / optimized / DLL files\n__pycache__/\n*.py[cod]\n*$py.class\n\n# Environments\n.venv\nvenv/\n!01_Basics/__pycache__/\n";

/// git's verdict for each path: `Some("source:line:pattern")` when ignored, `None` when not.
fn git_check_ignore(repo: &TestRepo, paths: &[&str]) -> Vec<Option<String>> {
    let input: Vec<u8> = paths
        .iter()
        .flat_map(|p| [p.as_bytes(), b"\0"].concat())
        .collect();
    let out = common::output_with_stdin(
        hermetic("git")
            .args(["check-ignore", "--no-index", "-v", "-n", "-z", "--stdin"])
            .current_dir(repo.path()),
        input,
    );
    let fields: Vec<String> = out
        .stdout
        .split(|&b| b == 0)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    // Records of four fields: source, line, pattern, path; a non-matching path has empty ones.
    fields
        .chunks(4)
        .filter(|c| c.len() == 4)
        .map(|c| {
            let (source, line, pattern) = (&c[0], &c[1], &c[2]);
            if source.is_empty() || pattern.starts_with('!') {
                None
            } else {
                Some(format!("{source}:{line}:{pattern}"))
            }
        })
        .collect()
}

/// The warnings of a JSON report as `"code path"`, or `"code (rule RULE)"` for a finding about
/// a rule that no tracked or existing path shows (its `path` is null).
fn warnings(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "warning")
        .map(|f| match f["path"].as_str() {
            Some(path) => format!("{} {path}", f["code"].as_str().unwrap()),
            None => format!(
                "{} (rule {})",
                f["code"].as_str().unwrap(),
                f["rule"].as_str().unwrap()
            ),
        })
        .collect()
}

fn ignored(repo: &TestRepo, path: &str) -> bool {
    git_check_ignore(repo, &[path])[0].is_some()
}

#[test]
fn the_seed_recipe_is_completed_so_the_kept_folder_is_addable() {
    let repo = TestRepo::with_commit();
    repo.write(".gitignore", TEMPLATE.as_bytes());
    repo.stage("pycache-policy.toml", TEACHING_POLICY.as_bytes());
    repo.stage("01_Basics/script1.py", b"print(1)\n");
    repo.stage("01_Basics/README.md", b"why the cache is kept\n");
    // With the seed's recipe alone, *.py[cod] still hides the kept folder's pycs.
    assert!(ignored(
        &repo,
        "01_Basics/__pycache__/script1.cpython-312.pyc"
    ));

    let report = repo
        .run(&["check", "--all", "--format", "json"])
        .expect(0)
        .json();
    assert_eq!(
        warnings(&report),
        ["allowlist-ignored (rule 01_Basics/__pycache__/)"]
    );

    let run = repo.run(&["gitignore", "--dry-run"]).expect(0);
    assert!(
        run.stdout.contains("+!/01_Basics/__pycache__/**\n"),
        "{}",
        run.stdout
    );
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".gitignore")).unwrap(),
        TEMPLATE,
        "a dry run writes nothing"
    );

    repo.run(&["gitignore"]).expect(0);
    let after = std::fs::read_to_string(repo.path().join(".gitignore")).unwrap();
    assert!(
        after.starts_with(TEMPLATE),
        "every user line kept in place:\n{after}"
    );
    assert!(!ignored(
        &repo,
        "01_Basics/__pycache__/script1.cpython-312.pyc"
    ));
    assert!(!ignored(&repo, "01_Basics/__pycache__/README.md"));
    assert!(ignored(&repo, "02_Next/__pycache__/s.cpython-312.pyc"));
    assert!(ignored(&repo, "pkg/mod.pyc"));
    assert!(!ignored(&repo, "pkg/_speedups.pyd") || TEMPLATE.contains("*.py[cod]"));
    let report = repo
        .run(&["check", "--all", "--format", "json"])
        .expect(0)
        .json();
    assert_eq!(warning_list(&report), Vec::<String>::new());

    // Twice changes nothing.
    let run = repo.run(&["gitignore"]).expect(0);
    assert!(run.stdout.contains("nothing to change"), "{}", run.stdout);
    assert_eq!(
        std::fs::read_to_string(repo.path().join(".gitignore")).unwrap(),
        after
    );

    // What git status shows after Python runs: the kept folder's new cache, nothing else.
    repo.write("01_Basics/__pycache__/script1.cpython-312.pyc", PYC);
    repo.write("pkg/__pycache__/mod.cpython-312.pyc", PYC);
    let status = repo.git(&["status", "--porcelain", "--untracked-files=all"]);
    assert!(
        status.contains("?? 01_Basics/__pycache__/script1.cpython-312.pyc"),
        "{status}"
    );
    assert!(!status.contains("pkg/__pycache__"), "{status}");
}

#[test]
fn no_gitignore_at_all_is_a_warning_until_fixed() {
    let repo = TestRepo::with_commit();
    let run = repo.run(&["check", "--all"]).expect(0);
    assert!(
        run.stdout.contains("warning[gitignore-missing-rule]: git would not ignore `pkg/__pycache__/mod.cpython-312.pyc` (and 1 more like it)")
            || run.stdout.contains("warning[gitignore-missing-rule]"),
        "{}",
        run.stdout
    );
    repo.run(&["gitignore"]).expect(0);
    let text = std::fs::read_to_string(repo.path().join(".gitignore")).unwrap();
    assert!(text.starts_with("# BEGIN pycache-policy"), "{text}");
    assert!(text.ends_with("# END pycache-policy\n"), "{text}");
    let run = repo.run(&["check", "--all"]).expect(0);
    assert!(!run.stdout.contains("warning"), "{}", run.stdout);
    assert!(ignored(&repo, "pkg/__pycache__/mod.cpython-312.pyc"));
    assert!(ignored(&repo, "pkg/mod.pyc"));
}

#[test]
fn line_endings_bom_and_missing_final_newline_are_kept() {
    let repo = TestRepo::with_commit();
    let original = b"\xef\xbb\xbfvenv/\r\n# mine\r\nbuild/";
    repo.write(".gitignore", original);
    repo.run(&["gitignore"]).expect(0);
    let after = std::fs::read(repo.path().join(".gitignore")).unwrap();
    assert!(after.starts_with(b"\xef\xbb\xbfvenv/\r\n# mine\r\nbuild/\r\n\r\n# BEGIN"));
    assert!(!after.ends_with(b"\n"), "no final newline, as before");
    assert!(
        !after.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'),
        "every line ends with CRLF"
    );
    repo.run(&["gitignore"]).expect(0);
    assert_eq!(
        std::fs::read(repo.path().join(".gitignore")).unwrap(),
        after
    );
    assert!(ignored(&repo, "a/__pycache__/x.pyc"));
    assert!(ignored(&repo, "build/x"));
}

#[test]
fn a_block_in_the_middle_moves_to_the_end_and_user_lines_stay() {
    let repo = TestRepo::with_commit();
    repo.run(&["gitignore"]).expect(0);
    let mut text = std::fs::read_to_string(repo.path().join(".gitignore")).unwrap();
    // The user appends a line that re-includes caches after our block.
    text.push_str("!*.pyc\n");
    repo.write(".gitignore", text.as_bytes());
    assert!(!ignored(&repo, "x.pyc"));
    repo.run(&["gitignore"]).expect(0);
    let after = std::fs::read_to_string(repo.path().join(".gitignore")).unwrap();
    assert!(
        after.contains("!*.pyc\n"),
        "the user's line is kept: {after}"
    );
    assert!(after.ends_with("# END pycache-policy\n"), "{after}");
    assert!(ignored(&repo, "x.pyc"));
}

#[test]
fn a_nested_gitignore_that_defeats_the_policy_is_named() {
    let repo = TestRepo::with_commit();
    repo.write("pycache-policy.toml", TEACHING_POLICY.as_bytes());
    repo.stage("01_Basics/script1.py", b"");
    repo.stage("01_Basics/README.md", b"why\n");
    repo.write("01_Basics/.gitignore", b"# local\n*.pyc\n");
    repo.write("pkg/.gitignore", b"!*.pyc\n");
    let run = repo.run(&["gitignore"]).expect(1);
    assert!(
        run.stderr.contains("01_Basics/.gitignore:2: `*.pyc` decides it, and a .gitignore in a deeper folder takes precedence"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("pkg/.gitignore:1: `!*.pyc`"),
        "{}",
        run.stderr
    );
    // The root file was still written, and what it can decide, it decides.
    assert!(ignored(&repo, "pkg/__pycache__/m.cpython-312.pyc"));
    assert!(!ignored(&repo, "01_Basics/__pycache__/README.md"));
}

#[test]
fn excluded_parents_are_reopened_only_along_the_kept_path() {
    let repo = TestRepo::with_commit();
    repo.write(
        "pycache-policy.toml",
        b"[[allow]]\npath = \"build/lessons/__pycache__/\"\nrequire_readme = false\n",
    );
    std::fs::write(repo.path().join(".git/info/exclude"), "build/\n").unwrap();
    repo.run(&["gitignore"]).expect(0);
    assert!(!ignored(
        &repo,
        "build/lessons/__pycache__/m.cpython-312.pyc"
    ));
    assert!(ignored(&repo, "build/lessons/other.o"));
    assert!(ignored(&repo, "build/out.bin"));
    assert!(ignored(&repo, "build/lessons/sub/x"));
}

#[test]
fn symlinked_gitignore_is_left_alone() {
    let repo = TestRepo::with_commit();
    repo.write("shared-ignore", b"venv/\n");
    std::os::unix::fs::symlink("shared-ignore", repo.path().join(".gitignore")).unwrap();
    let run = repo.run(&["gitignore"]).expect(2);
    assert!(run.stderr.contains("symbolic link"), "{}", run.stderr);
    assert_eq!(
        std::fs::read(repo.path().join("shared-ignore")).unwrap(),
        b"venv/\n"
    );
    assert!(
        std::fs::symlink_metadata(repo.path().join(".gitignore"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // And git really does not read it: the claim in the message is git's behaviour.
    assert!(!ignored(&repo, "venv/x"));
}

#[test]
fn read_only_gitignore_fails_cleanly() {
    use std::os::unix::fs::PermissionsExt;
    let repo = TestRepo::with_commit();
    repo.write(".gitignore", b"venv/\n");
    let dir = repo.path();
    // A read-only folder: the atomic write (a temporary file beside it) cannot happen.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let run = repo.run(&["gitignore"]);
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    if run.code == 0 {
        // Running as root, permissions do not stop the write; then it must have worked.
        assert!(ignored(&repo, "x.pyc"));
    } else {
        assert_eq!(run.code, 2, "{run:?}");
        assert_eq!(std::fs::read(dir.join(".gitignore")).unwrap(), b"venv/\n");
        let leftovers: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}

#[test]
fn explain_agrees_with_git_check_ignore_v() {
    let repo = TestRepo::with_commit();
    repo.write(".gitignore", TEMPLATE.as_bytes());
    repo.write("pycache-policy.toml", TEACHING_POLICY.as_bytes());
    repo.write("pkg/.gitignore", b"!keep.pyc\n");
    let paths = [
        "01_Basics/__pycache__/m.cpython-312.pyc",
        "a/__pycache__/m.pyc",
        "pkg/keep.pyc",
        "pkg/mod.py",
        "venv/lib/x.py",
    ];
    let mut args = vec!["explain", "--format", "json"];
    args.extend(paths);
    let report = repo.run(&args).expect(0).json();
    let git = git_check_ignore(&repo, &paths);
    for (i, item) in report["paths"].as_array().unwrap().iter().enumerate() {
        let ours = if item["git"]["ignored"].as_bool().unwrap() {
            Some(format!(
                "{}:{}:{}",
                item["git"]["source"].as_str().unwrap(),
                item["git"]["line"],
                item["git"]["pattern"].as_str().unwrap()
            ))
        } else {
            None
        };
        assert_eq!(ours, git[i], "{}", paths[i]);
    }
    assert_eq!(report["paths"][0]["policy"], "allowed");
    assert_eq!(report["paths"][0]["agrees"], false);
    assert_eq!(report["paths"][1]["policy"], "forbidden");
    assert_eq!(report["paths"][3]["policy"], "not-a-cache");

    let run = repo
        .run(&["explain", "01_Basics/__pycache__/m.cpython-312.pyc"])
        .expect(0);
    assert_eq!(
        run.stdout,
        "01_Basics/__pycache__/m.cpython-312.pyc\n  policy: allowed by `01_Basics/__pycache__/` (shows learners what Python writes), although `__pycache__/` forbids caches\n  git:    ignored, by .gitignore:3:*.py[cod]\n  index:  not tracked\n  => git and the policy disagree; `pycache-policy gitignore` fixes the root .gitignore\n"
    );
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Random policies, existing ignore files and paths: after `gitignore`, git agrees with the
/// policy on every path, except those the command named as defeated; and `explain` always
/// agrees with git.
#[test]
fn generated_policies_and_ignore_files_agree_with_git() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let root_lines = [
        "__pycache__/",
        "*.py[cod]",
        "*.pyc",
        "!*.pyc",
        "*$py.class",
        "build/",
        "lib/",
        "!lib/keep/",
        "*.log",
        "!01_Basics/__pycache__/",
        "/docs",
        "**/gen/",
        "# comment",
        "",
    ];
    let nested_lines = ["*.pyc", "!*.pyc", "__pycache__/", "!__pycache__/", "x*"];
    let allow_paths = [
        "01_Basics/__pycache__/",
        "lib/keep/__pycache__/",
        "build/lessons/__pycache__/",
        "tools/legacy.pyc",
    ];
    let dirs = [
        "",
        "01_Basics/",
        "lib/keep/",
        "lib/",
        "build/lessons/",
        "pkg/",
        "docs/",
        "tools/",
        "a/gen/",
    ];
    let files = [
        "__pycache__/m.cpython-312.pyc",
        "__pycache__/README.md",
        "m.pyc",
        "m.py",
        "m.pyd",
        "legacy.pyc",
        "M$py.class",
        "notes.log",
    ];
    for case in 0..24 {
        let repo = TestRepo::with_commit();
        let mut policy = String::new();
        if rng.chance(50) {
            policy.push_str("[caches]\nforbid = [\"__pycache__/\", \"*.pyc\"]\n");
        }
        for a in allow_paths {
            if rng.chance(40) {
                policy.push_str(&format!(
                    "[[allow]]\npath = \"{a}\"\nrequire_readme = false\n"
                ));
            }
        }
        repo.write("pycache-policy.toml", policy.as_bytes());
        let mut root = String::new();
        for _ in 0..rng.next() % 6 {
            root.push_str(rng.pick(&root_lines));
            root.push('\n');
        }
        repo.write(".gitignore", root.as_bytes());
        if rng.chance(30) {
            let dir = rng.pick(&["pkg/", "01_Basics/", "lib/keep/"]);
            repo.write(
                format!("{dir}.gitignore"),
                format!("{}\n", rng.pick(&nested_lines)).as_bytes(),
            );
        }
        if rng.chance(30) {
            std::fs::write(
                repo.path().join(".git/info/exclude"),
                format!("{}\n", rng.pick(&root_lines)),
            )
            .unwrap();
        }
        let paths: Vec<String> = dirs
            .iter()
            .flat_map(|d| files.iter().map(move |f| format!("{d}{f}")))
            .collect();
        let path_refs: Vec<&str> = paths.iter().map(String::as_str).collect();

        // Tracked, so that every one is a probe the command judges.
        for p in &paths {
            repo.write(p, PYC);
        }
        repo.git(&["add", "-f", "--", "."]);

        let context = format!("case {case}\npolicy:\n{policy}\n.gitignore:\n{root}");
        let run = repo.run(&["gitignore"]);
        assert!(run.code == 0 || run.code == 1, "{context}\n{run:?}");

        // explain (our reading of git's rules) agrees with git on every path...
        let mut args = vec!["explain", "--format", "json"];
        args.extend(path_refs.iter().copied());
        let report = repo.run(&args).expect(0).json();
        let git = git_check_ignore(&repo, &path_refs);
        for (i, item) in report["paths"].as_array().unwrap().iter().enumerate() {
            let ours = item["git"]["ignored"].as_bool().unwrap();
            assert_eq!(
                ours,
                git[i].is_some(),
                "{context}\npath {}: git says {:?}",
                paths[i],
                git[i]
            );
            // ... and git agrees with the policy, unless the command said why not.
            if item["agrees"] == false {
                assert_eq!(
                    run.code, 1,
                    "{context}\n{} disagrees but was not reported\n{}",
                    paths[i], run.stderr
                );
                assert!(
                    run.stderr
                        .contains(&format!("pycache-policy: {} ", paths[i])),
                    "{context}\n{} disagrees but was not named\n{}",
                    paths[i],
                    run.stderr
                );
            }
        }
    }
}

#[test]
fn check_sees_a_tracked_nested_gitignore_that_reincludes_caches() {
    let repo = TestRepo::with_commit();
    repo.run(&["gitignore"]).expect(0);
    repo.stage(
        ".gitignore",
        &std::fs::read(repo.path().join(".gitignore")).unwrap(),
    );
    repo.stage("pkg/.gitignore", b"# keep bytecode here\n!*.pyc\n");
    let report = repo
        .run(&["check", "--all", "--format", "json"])
        .expect(0)
        .json();
    assert_eq!(
        warnings(&report),
        ["gitignore-missing-rule (rule *.py[co])"]
    );
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("pkg/.gitignore:2 `!*.pyc` re-includes it"),
        "{message}"
    );
    // git agrees that the path would be offered to `git add`.
    assert!(!ignored(&repo, "pkg/example.pyc"));
}

#[test]
fn a_reinclude_in_any_rule_file_is_found_and_named() {
    let repo = TestRepo::with_commit();
    // Not the first module of its folder, and a rule file with no module beside it.
    repo.stage("lib/api.py", b"");
    repo.stage("lib/compat.py", b"");
    repo.stage("lib/.gitignore", b"!compat.pyc\n");
    repo.write("tools/.gitignore", b"# untracked\n!*.pyc\n");
    let run = repo.run(&["gitignore"]).expect(1);
    assert!(
        run.stderr.contains("pycache-policy: lib/compat.pyc should be ignored but is not: lib/.gitignore:1: `!compat.pyc`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "pycache-policy: tools/x.pyc should be ignored but is not: tools/.gitignore:2: `!*.pyc`"
        ),
        "{}",
        run.stderr
    );
    assert!(!ignored(&repo, "lib/compat.pyc"));
    // check's advice for it points at that line, not at the root .gitignore.
    let report = repo
        .run(&["check", "--all", "--format", "json"])
        .expect(0)
        .json();
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(
            |m| m.contains("lib/.gitignore:1 `!compat.pyc` re-includes it")
                && m.contains("change or remove that line")
        ),
        "{messages:?}"
    );
}

#[test]
fn a_user_comment_that_looks_like_the_block_is_kept() {
    let repo = TestRepo::with_commit();
    repo.run(&["gitignore"]).expect(0);
    let block = std::fs::read_to_string(repo.path().join(".gitignore")).unwrap();
    let mine = "venv/\n# BEGIN pycache-policy exceptions (hand-written)\n!tools/vendored.pyc\nsecrets.env\n";
    repo.write(".gitignore", format!("{mine}{block}").as_bytes());
    repo.run(&["gitignore"]).expect(0);
    let after = std::fs::read_to_string(repo.path().join(".gitignore")).unwrap();
    assert!(after.starts_with(mine), "{after}");
    assert!(ignored(&repo, "secrets.env"));
}
