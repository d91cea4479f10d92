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
        "check --all --verbose",
        "untrack --dry-run --verbose",
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

/// Each JSON finding's path is tracked or on disk, or null (a finding about a rule).
fn assert_paths_real(repo: &TestRepo, report: &serde_json::Value) {
    let tracked = repo.git(&["ls-files", "-z"]);
    let tracked: Vec<&str> = tracked.split('\0').collect();
    for f in report["findings"].as_array().unwrap() {
        match f["path"].as_str() {
            None => {
                assert!(f["path"].is_null(), "{f}");
                let message = f["message"].as_str().unwrap();
                let rule = f["rule"].as_str().unwrap();
                assert!(message.contains(&format!("`{rule}`")), "{f}");
            }
            Some(path) => assert!(
                tracked.contains(&path) || repo.path().join(path).symlink_metadata().is_ok(),
                "{path} is neither tracked nor on disk: {f}"
            ),
        }
    }
}

#[test]
fn warnings_name_real_paths_and_right_counts() {
    // No .gitignore, one tracked cache: the warning about `__pycache__/` names it, with no
    // "more like it"; the one about `*.py[co]` has no real path to name and names the rule.
    let repo = TestRepo::with_commit();
    repo.write("pkg/__pycache__/mod.cpython-312.pyc", b"x");
    repo.git(&["add", "."]);
    let report = repo
        .run(&["check", "--all", "--format", "json"])
        .expect(1)
        .json();
    assert_paths_real(&repo, &report);
    let text = report.to_string();
    assert!(!text.contains("more like it"), "{text}");
    assert!(!text.contains("\"path\":\"__pycache__/example"), "{text}");
    assert!(!text.contains("\"path\":\"example.pyc\""), "{text}");
    let pathless: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"].is_null())
        .collect();
    assert_eq!(pathless.len(), 1, "{text}");
    assert_eq!(pathless[0]["rule"], "*.py[co]");
    assert!(
        pathless[0]["message"].as_str().unwrap().starts_with(
            "no ignore rule covers `*.py[co]`: a new `example.pyc` would be staged by `git add .`"
        ),
        "{text}"
    );
    let human = repo.run(&["check", "--all"]).expect(1).stdout;
    assert!(!human.contains("more like it"), "{human}");

    // Two tracked caches in one folder: "and 1 more like it", counted from real paths only.
    repo.write("pkg/__pycache__/other.cpython-312.pyc", b"x");
    repo.git(&["add", "."]);
    let report = repo
        .run(&["check", "--all", "--format", "json"])
        .expect(1)
        .json();
    assert_paths_real(&repo, &report);
    assert!(
        report.to_string().contains("(and 1 more like it)"),
        "{report}"
    );

    // Every format takes a finding without a path.
    for format in ["sarif", "junit", "github"] {
        let run = repo.run(&["check", "--all", "--format", format]).expect(1);
        assert!(
            !run.stdout.contains("example.pyc\""),
            "{format}: {}",
            run.stdout
        );
    }

    // A kept folder git ignores, with nothing in it yet.
    let repo = TestRepo::with_commit();
    repo.write(".gitignore", b"__pycache__/\n*.py[co]\n");
    repo.write("pycache-policy.toml", common::TEACHING_POLICY.as_bytes());
    repo.stage("01_Basics/script1.py", b"print(1)\n");
    repo.stage("01_Basics/README.md", b"why\n");
    let report = repo
        .run(&["check", "--all", "--format", "json"])
        .expect(0)
        .json();
    assert_paths_real(&repo, &report);
    let ignored: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "allowlist-ignored")
        .collect();
    assert_eq!(ignored.len(), 1, "{report}");
    assert!(ignored[0]["path"].is_null(), "{report}");
}

/// Asserts the human output fits a screen: at most `lines` lines, each under 500 characters.
#[track_caller]
fn assert_one_screen(text: &str, lines: usize) {
    assert!(
        text.lines().count() <= lines,
        "{} lines:\n{text}",
        text.lines().count()
    );
    for line in text.lines() {
        assert!(
            line.len() < 500,
            "a line of {} characters:\n{line}",
            line.len()
        );
    }
}

#[test]
fn many_caches_read_as_one_screen_and_json_stays_complete() {
    let repo = many_caches(1500, 300);
    let run = repo.run(&["check", "--all"]).expect(1);
    assert_one_screen(&run.stdout, 60);
    assert!(
        run.stdout
            .contains("1500 Python bytecode cache files are tracked, in 300 folders"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("and 295 more folders"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\n  pycache-policy untrack\n"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("git rm -r --cached --"),
        "{}",
        run.stdout
    );

    // Everything with --verbose, still without a screen-wide command.
    let verbose = repo.run(&["check", "--all", "--verbose"]).expect(1);
    for line in verbose.stdout.lines() {
        assert!(line.len() < 500, "{line}");
    }
    assert!(
        verbose
            .stdout
            .contains("pkg299/__pycache__/module01499.cpython-312.pyc")
    );

    // The machine formats are complete.
    let report = repo
        .run(&["check", "--all", "--format", "json"])
        .expect(1)
        .json();
    let errors = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "tracked-cache")
        .count();
    assert_eq!(errors, 1500);
    assert_paths_real(&repo, &report);
    assert!(
        report["fix"]["untrack"]
            .as_str()
            .unwrap()
            .contains("pkg299/__pycache__")
    );
    let sarif = repo.run(&["check", "--all", "--format", "sarif"]).expect(1);
    assert_eq!(
        sarif
            .stdout
            .matches("\"ruleId\": \"tracked-cache\"")
            .count(),
        1500
    );
    let github = repo
        .run(&["check", "--all", "--format", "github"])
        .expect(1);
    assert_eq!(github.stdout.matches("::error file=").count(), 1500);

    // The fixers summarise the same way.
    let dry = repo.run(&["untrack", "--dry-run"]).expect(0);
    assert_one_screen(&dry.stdout, 60);
    assert!(
        dry.stdout.contains("and 295 more folders"),
        "{}",
        dry.stdout
    );
    let clean = repo.run(&["clean", "--purge"]).expect(0);
    assert_one_screen(&clean.stdout, 60);
    assert!(
        clean.stdout.contains("untracked 1500 paths"),
        "{}",
        clean.stdout
    );
    assert!(
        clean.stdout.contains("git add .gitignore"),
        "{}",
        clean.stdout
    );

    // Few findings are listed one by one, with the exact command.
    let repo = many_caches(3, 2);
    let run = repo.run(&["check", "--all"]).expect(1);
    assert!(
        run.stdout
            .contains("      pkg001/__pycache__/module00001.cpython-312.pyc\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  git rm -r --cached -- pkg000/__pycache__ pkg001/__pycache__\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn clean_twice_says_what_is_still_to_do() {
    let repo = TestRepo::with_commit();
    repo.stage("pkg/__pycache__/mod.cpython-312.pyc", b"x");
    repo.commit("an old mistake");
    let first = repo.run(&["clean"]).expect(0);
    // The next step comes after the .gitignore step, not inside the untrack step.
    let gitignore_step = first.stdout.find("2. .gitignore").unwrap();
    let commit = first.stdout.find("git commit").unwrap();
    assert!(commit > gitignore_step, "{}", first.stdout);
    assert!(
        first.stdout.contains("  git add .gitignore\n"),
        "{}",
        first.stdout
    );

    let second = repo.run(&["clean"]).expect(0);
    assert!(
        !second.stdout.contains("Nothing to commit"),
        "{}",
        second.stdout
    );
    assert!(
        second.stdout.contains("  git add .gitignore\n"),
        "{}",
        second.stdout
    );
    assert!(
        second.stdout.contains("  git commit -m"),
        "{}",
        second.stdout
    );
    assert!(
        second.stdout.contains("the untracking of 1 path is staged"),
        "{}",
        second.stdout
    );

    // Following the advice leaves nothing to do.
    repo.git(&["add", ".gitignore"]);
    repo.commit("Stop tracking Python bytecode caches");
    let third = repo.run(&["clean"]).expect(0);
    assert!(
        third.stdout.contains("Nothing to commit"),
        "{}",
        third.stdout
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn after_gitignore_a_refused_commit_does_not_advise_lines_the_file_has() {
    let repo = TestRepo::with_commit();
    repo.run(&["gitignore"]).expect(0);
    repo.git(&["add", ".gitignore"]);
    repo.git(&["add", "-f", "pkg"]);
    repo.write("pkg/__pycache__/mod.cpython-312.pyc", b"x");
    repo.git(&["add", "-f", "pkg/__pycache__/mod.cpython-312.pyc"]);
    let run = repo.run(&["check"]).expect(1);
    assert!(
        !run.stdout.contains("have these lines in .gitignore"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("git rm -r --cached"), "{}", run.stdout);
    // Without the block, the advice is there.
    let repo = TestRepo::with_commit();
    repo.stage("pkg/__pycache__/mod.cpython-312.pyc", b"x");
    let run = repo.run(&["check"]).expect(1);
    assert!(
        run.stdout.contains("have these lines in .gitignore"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_repository_without_commits_gets_advice_that_fits() {
    let repo = TestRepo::new();
    repo.stage("pkg/__pycache__/mod.cpython-312.pyc", b"x");
    let run = repo.run(&["check", "--tree", "HEAD"]).expect(2);
    assert!(run.stderr.contains("no commits yet"), "{}", run.stderr);
    assert!(!run.stderr.contains("fetch"), "{}", run.stderr);

    let run = repo.run(&["clean"]).expect(0);
    assert!(run.stdout.contains("no commits yet"), "{}", run.stdout);
    assert!(!run.stdout.contains("Stop tracking"), "{}", run.stdout);
    assert!(run.stdout.contains("git add .gitignore"), "{}", run.stdout);

    // A bare repository: `--tree HEAD` is the way to check it.
    let bare = tempfile::tempdir().unwrap();
    let status = hermetic("git")
        .args(["clone", "-q", "--bare"])
        .arg(TestRepo::with_commit().path())
        .arg(bare.path())
        .status()
        .unwrap();
    assert!(status.success());
    let run = TestRepo::new().run_in(bare.path(), &["check"]).expect(2);
    assert!(run.stderr.contains("--tree HEAD"), "{}", run.stderr);
}

#[test]
fn an_allow_path_that_matches_nothing_tracked_is_a_warning_that_offers_the_tracked_spelling() {
    let repo = TestRepo::with_commit();
    repo.write(
        "pycache-policy.toml",
        br#"
[[allow]]
path = "01_basics/__pycache__/"
reason = "shows learners what Python writes"
require_readme = false

[[allow]]
path = "nowhere/__pycache__/"
require_readme = false
"#,
    );
    repo.stage("01_Basics/script1.py", b"print(1)\n");
    repo.stage("01_Basics/__pycache__/script1.cpython-312.pyc", b"x");
    repo.git(&["config", "core.ignorecase", "false"]);
    let report = repo
        .run(&["check", "--all", "--format", "json"])
        .expect(1)
        .json();
    assert_paths_real(&repo, &report);
    let unmatched: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "allowlist-unmatched")
        .collect();
    assert_eq!(unmatched.len(), 2, "{report}");
    assert_eq!(unmatched[0]["rule"], "01_basics/__pycache__/");
    assert_eq!(unmatched[0]["severity"], "warning");
    let message = unmatched[0]["message"].as_str().unwrap();
    assert!(
        message.contains("write `path = \"01_Basics/__pycache__/\"` in the policy"),
        "{message}"
    );
    assert_eq!(unmatched[1]["rule"], "nowhere/__pycache__/");
    assert!(
        unmatched[1]["message"]
            .as_str()
            .unwrap()
            .contains("matches nothing tracked: check its spelling"),
        "{report}"
    );
    // The hook names the case mistake too, beside the cache it then refuses.
    let run = repo.run(&["check"]).expect(1);
    assert!(
        run.stdout.contains("warning[allowlist-unmatched]"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("nowhere"), "{}", run.stdout);

    // Spelt right, no warning.
    repo.write(
        "pycache-policy.toml",
        b"[[allow]]\npath = \"01_Basics/__pycache__/\"\nrequire_readme = false\n",
    );
    let run = repo.run(&["check", "--all"]);
    assert!(
        !run.stdout.contains("allowlist-unmatched"),
        "{}",
        run.stdout
    );
}

/// Every subcommand's name, from the top-level help.
fn subcommands() -> Vec<String> {
    let help = TestRepo::new().run(&["--help"]).expect(0).stdout;
    help.split("Commands:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn help_speaks_to_users_and_documents_each_json_shape() {
    let repo = TestRepo::with_commit();
    let names = subcommands();
    assert!(names.len() >= 14, "{names:?}");
    // Words of how the project was made.
    let words = [
        "seed",
        "session",
        "issue",
        "engineer",
        "the brief",
        "house",
        "reviewer",
    ];
    let mut all = vec![repo.run(&["--help"]).expect(0).stdout];
    for name in &names {
        all.push(repo.run(&[name, "--help"]).expect(0).stdout);
    }
    let man = tempfile::tempdir().unwrap();
    repo.run(&["man", man.path().to_str().unwrap()]).expect(0);
    for entry in std::fs::read_dir(man.path()).unwrap() {
        all.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    for text in &all {
        let lower = text.to_lowercase();
        for word in words {
            assert!(!lower.contains(word), "`{word}` in:\n{text}");
        }
    }

    // `--policy` is not offered where it does nothing, and still parses there.
    for name in ["schema", "completions", "man"] {
        let help = repo.run(&[name, "--help"]).expect(0).stdout;
        assert!(!help.contains("--policy"), "{name}:\n{help}");
    }
    repo.run(&["schema", "--policy", "/dev/null"]).expect(0);
    assert!(
        repo.run(&["check", "--help"])
            .expect(0)
            .stdout
            .contains("--policy <FILE>")
    );

    // The man page's synopsis names each option's argument.
    let top = std::fs::read_to_string(man.path().join("pycache-policy.1")).unwrap();
    let synopsis = top
        .split(".SH SYNOPSIS\n")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap();
    assert!(synopsis.contains("[\\-C <DIR>]"), "{synopsis}");
    assert!(synopsis.contains("[\\-\\-policy <FILE>]"), "{synopsis}");
    let check = std::fs::read_to_string(man.path().join("pycache-policy-check.1")).unwrap();
    assert!(check.contains("[\\-\\-range <BASE..HEAD>]"), "{check}");

    // inspect, explain and audit document the keys their JSON has.
    repo.stage(
        "pkg/__pycache__/mod.cpython-312.pyc",
        &common::kept_pyc(b"x = 1\n"),
    );
    repo.commit("a cache");
    let docs = [
        ("explain", vec!["explain", "--format", "json", "pkg/mod.py"]),
        (
            "inspect",
            vec![
                "inspect",
                "--format",
                "json",
                "pkg/__pycache__/mod.cpython-312.pyc",
            ],
        ),
        ("audit", vec!["audit", "--format", "json"]),
    ];
    for (name, args) in docs {
        let help = repo.run(&[name, "--help"]).expect(0).stdout;
        assert!(!help.contains("`findings` array"), "{name}:\n{help}");
        let doc = repo.run(&args).json();
        for key in doc.as_object().unwrap().keys() {
            assert!(
                help.contains(&format!("\"{key}\"")),
                "{name}: `{key}` undocumented:\n{help}"
            );
        }
        let first = doc.as_object().unwrap().values().find_map(|v| {
            v.as_array()
                .and_then(|a| a.first())
                .and_then(|v| v.as_object())
        });
        for key in first.into_iter().flat_map(|o| o.keys()) {
            assert!(
                help.contains(&format!("\"{key}\"")),
                "{name}: `{key}` undocumented:\n{help}"
            );
        }
    }
}

#[test]
fn small_things_a_user_notices() {
    // A misspelt subcommand suggests the closest first.
    let repo = TestRepo::with_commit();
    let run = repo.run(&["chek"]).expect(2);
    assert!(
        run.stderr.contains("'check', 'schema'") || run.stderr.contains("'check'\n"),
        "{}",
        run.stderr
    );
    let check_at = run.stderr.find("'check'").unwrap();
    if let Some(schema_at) = run.stderr.find("'schema'") {
        assert!(check_at < schema_at, "{}", run.stderr);
    }

    // A .gitignore with no final newline gets one before the block.
    repo.write(".gitignore", b"node_modules");
    repo.run(&["gitignore"]).expect(0);
    let text = std::fs::read_to_string(repo.path().join(".gitignore")).unwrap();
    assert!(text.starts_with("node_modules\n"), "{text}");
    assert!(text.contains("\n# BEGIN pycache-policy"), "{text}");

    // `inspect` on a pyc on disk, outside any repository, names the source on disk.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.py"), b"x = 2\n").unwrap();
    std::fs::create_dir(dir.path().join("__pycache__")).unwrap();
    std::fs::write(
        dir.path().join("__pycache__/m.cpython-312.pyc"),
        common::kept_pyc(b"x = 1\n"),
    )
    .unwrap();
    let run = repo.run_in(dir.path(), &["inspect", "__pycache__/m.cpython-312.pyc"]);
    assert!(run.stdout.contains("pyc-stale"), "{}", run.stdout);
    assert!(!run.stdout.contains("staged source"), "{}", run.stdout);
    assert!(run.stdout.contains("the source on disk"), "{}", run.stdout);
}

/// The fixer hook as the pre-commit framework runs it (`clean --exit-non-zero-on-fix`, from an
/// environment of its own: the command is not on the user's PATH): it fixes, refuses the
/// commit, and its advice, followed line by line, leaves nothing uncommitted.
#[test]
fn the_fixer_hooks_advice_followed_leaves_nothing_uncommitted() {
    use std::os::unix::fs::PermissionsExt as _;
    let repo = TestRepo::with_commit();
    for i in 0..30 {
        repo.write(format!("pkg{i}/__pycache__/m.cpython-312.pyc"), b"x");
        repo.write(format!("pkg{i}/m.py"), b"x = 1\n");
    }
    repo.git(&["add", "-f", "."]);
    repo.commit("an old mistake");
    let hook = repo.path().join(".git/hooks/pre-commit");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nexec '{}' clean --exit-non-zero-on-fix\n",
            bin().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A PATH without the binary, as a pre-commit user has.
    let path = "/usr/local/bin:/usr/bin:/bin";
    let git = |args: &[&str]| {
        common::Run::from(
            hermetic("git")
                .args(args)
                .env("PATH", path)
                .current_dir(repo.path())
                .output()
                .unwrap(),
        )
    };
    repo.write("notes.txt", b"work\n");
    git(&["add", "notes.txt"]);
    let refused = git(&["commit", "-q", "-m", "work"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    let said = format!("{}{}", refused.stdout, refused.stderr);
    assert_one_screen(&said, 60);
    assert!(!said.contains("Run `pycache-policy clean`"), "{said}");
    let advice: Vec<&str> = said
        .split("Next, review and commit:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no advice:\n{said}"))
        .lines()
        .take_while(|l| l.starts_with("  "))
        .map(str::trim)
        .collect();
    assert!(advice.contains(&"git add .gitignore"), "{said}");
    for line in advice {
        let out = hermetic("sh")
            .arg("-c")
            .arg(line)
            .env("PATH", path)
            .current_dir(repo.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{line}: {out:?}");
    }
    assert_eq!(git(&["status", "--porcelain"]).stdout, "", "nothing left");
    assert_eq!(repo.git(&["ls-files", "pkg0/__pycache__"]), "");
    assert!(repo.git(&["ls-files", ".gitignore"]).contains(".gitignore"));
}

#[test]
fn many_caches_added_commit_by_commit_read_as_one_screen() {
    let repo = TestRepo::with_commit();
    repo.git(&["checkout", "-q", "-b", "topic"]);
    for c in 0..12 {
        for i in 0..40 {
            repo.write(format!("c{c}/p{i}/__pycache__/m.cpython-312.pyc"), b"x");
        }
        repo.git(&["add", "-f", "."]);
        repo.commit(&format!("commit {c}"));
    }
    let args = ["check", "--range", "main..topic", "--each-commit"];
    let run = repo.run(&args).expect(1);
    assert_one_screen(&run.stdout, 60);
    assert!(run.stdout.contains("and 7 more commits"), "{}", run.stdout);
    let verbose = repo.run(&[&args[..], &["--verbose"]].concat()).expect(1);
    assert!(verbose.stdout.lines().count() > 480, "{}", verbose.stdout);
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let report = repo.run(&json_args).expect(1).json();
    assert_eq!(report["findings"].as_array().unwrap().len(), 480);
}
