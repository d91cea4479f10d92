//! Kept folders checked against their staged sources (`pyc-*` findings), on real repositories
//! with pycs made by the machine's `python3`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Run, TEACHING_POLICY, TestRepo, bin, finding_list, hermetic, warning_list};

/// The machine's `python3`: its version, cache tag and executable.
struct Python {
    version: String,
    tag: String,
    exe: PathBuf,
}

fn python() -> Python {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys; print('%d.%d' % sys.version_info[:2]); \
             print(sys.implementation.cache_tag); print(sys.executable)",
        ])
        .output()
        .expect("python3 must be on PATH for these tests");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    Python {
        version: lines.next().unwrap().to_string(),
        tag: lines.next().unwrap().to_string(),
        exe: PathBuf::from(lines.next().unwrap()),
    }
}

/// Runs `python3 -m compileall -q -f --invalidation-mode MODE SOURCES…` at the repository root,
/// with PYTHONDONTWRITEBYTECODE (set on these machines) unset.
fn compile(repo: &TestRepo, mode: &str, sources: &[&str]) {
    let out = Command::new("python3")
        .args(["-m", "compileall", "-q", "-f", "--invalidation-mode", mode])
        .args(sources)
        .current_dir(repo.path())
        .env_remove("PYTHONDONTWRITEBYTECODE")
        .env_remove("PYTHONPYCACHEPREFIX")
        .env_remove("SOURCE_DATE_EPOCH")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "compileall failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const SCRIPT1: &[u8] = b"GREETING = 'hello'\nprint(GREETING)\n";
const SCRIPT2: &[u8] = b"def double(x):\n    return 2 * x\n";

/// The seed's layout: `01_Basics/` with two scripts, their checked-hash pycs kept in
/// `01_Basics/__pycache__/` with a README, all committed.
fn teaching_repo(py: &Python) -> TestRepo {
    let repo = TestRepo::with_commit();
    repo.write("pycache-policy.toml", TEACHING_POLICY.as_bytes());
    repo.run(&["gitignore"]).expect(0);
    repo.write(
        "01_Basics/__pycache__/README.md",
        b"kept to show what Python writes\n",
    );
    repo.write("01_Basics/script1.py", SCRIPT1);
    repo.write("01_Basics/script2.py", SCRIPT2);
    compile(
        &repo,
        "checked-hash",
        &["01_Basics/script1.py", "01_Basics/script2.py"],
    );
    repo.git(&["add", "."]);
    let report = repo.run(&["check", "--format", "json"]).expect(0).json();
    assert_eq!(report["findings"], serde_json::json!([]), "{report}");
    repo.commit("keep a cache folder");
    assert!(repo.path().join(pyc(py, "script1")).is_file());
    repo
}

/// `01_Basics/__pycache__/NAME.TAG.pyc`.
fn pyc(py: &Python, name: &str) -> String {
    format!("01_Basics/__pycache__/{name}.{}.pyc", py.tag)
}

/// The first finding with this code in a JSON report.
fn finding<'r>(report: &'r serde_json::Value, code: &str) -> &'r serde_json::Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {report}"))
}

/// Runs a fix command printed in a message with bash at the repository root, with a folder on
/// PATH that has `python3.X` (the name the message uses) for the machine's python3.
fn run_fix(repo: &TestRepo, py: &Python, command: &str) {
    let bin_dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        &py.exe,
        bin_dir.path().join(format!("python{}", py.version)),
    )
    .unwrap();
    let path = std::env::join_paths(
        std::iter::once(bin_dir.path().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let out = hermetic("bash")
        .args(["-c", command])
        .current_dir(repo.path())
        .env("PATH", path)
        .env_remove("PYTHONDONTWRITEBYTECODE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{command}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The command between the backticks after `marker` in a message.
fn command_after<'m>(message: &'m str, marker: &str) -> &'m str {
    let start = message.find(marker).unwrap_or_else(|| panic!("{message}")) + marker.len();
    let rest = &message[start..];
    let rest = &rest[rest.find('`').unwrap() + 1..];
    &rest[..rest.find('`').unwrap()]
}

#[test]
fn a_source_edited_and_staged_without_recompiling_is_stale_before_the_commit() {
    let py = python();
    let repo = teaching_repo(&py);
    repo.run(&["check", "--all"]).expect(0);

    repo.stage(
        "01_Basics/script1.py",
        b"GREETING = 'hello, world'\nprint(GREETING)\n",
    );
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    assert_eq!(
        finding_list(&report),
        [format!("pyc-stale {}", pyc(&py, "script1"))]
    );
    let stale = finding(&report, "pyc-stale");
    assert_eq!(stale["rule"], "01_Basics/__pycache__/");
    assert_eq!(stale["folder"], "01_Basics/__pycache__");
    let message = stale["message"].as_str().unwrap();
    let fix = format!(
        "python{} -m compileall -f --invalidation-mode checked-hash 01_Basics/script1.py",
        py.version
    );
    assert!(message.contains(&fix), "{message}");
    assert!(message.contains("01_Basics/script1.py"), "{message}");

    // Human output says the same.
    let run = repo.run(&["check"]).expect(1);
    assert!(
        run.stdout.contains(&format!(
            "error[pyc-stale]: `{}`: compiled from another version of `01_Basics/script1.py`",
            pyc(&py, "script1")
        )),
        "{}",
        run.stdout
    );

    // The printed command is the fix.
    run_fix(&repo, &py, &fix);
    repo.git(&["add", "01_Basics/__pycache__"]);
    repo.run(&["check"]).expect(0);
    repo.run(&["check", "--all"]).expect(0);
}

#[test]
fn the_installed_hook_refuses_the_commit_of_a_stale_kept_pyc() {
    let py = python();
    let repo = teaching_repo(&py);
    repo.run(&["install"]).expect(0);
    repo.stage(
        "01_Basics/script2.py",
        b"def double(x):\n    return x + x\n",
    );
    let commit = repo.git_run(&["commit", "-q", "-m", "faster double"]);
    assert_ne!(commit.code, 0, "the hook should refuse the commit");
    // git shows the hook's output on its standard error.
    assert!(
        commit
            .stderr
            .contains(&format!("error[pyc-stale]: `{}`", pyc(&py, "script2"))),
        "{}",
        commit.stderr
    );
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]).trim(), "2");

    compile(&repo, "checked-hash", &["01_Basics/script2.py"]);
    repo.git(&["add", "01_Basics/__pycache__"]);
    let commit = repo.git_run(&["commit", "-q", "-m", "faster double, recompiled"]);
    assert_eq!(commit.code, 0, "{}", commit.stderr);
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]).trim(), "3");
}

#[test]
fn committed_stale_pycs_are_judged_by_all_and_not_by_an_unrelated_commit() {
    let py = python();
    let repo = teaching_repo(&py);
    repo.stage("01_Basics/script1.py", b"print('changed')\n");
    repo.commit("edited without recompiling");
    repo.stage("notes.md", b"unrelated\n");
    repo.run(&["check"]).expect(0);
    let report = repo
        .run(&["check", "--all", "--format", "json"])
        .expect(1)
        .json();
    assert_eq!(
        finding_list(&report),
        [format!("pyc-stale {}", pyc(&py, "script1"))]
    );
}

#[test]
fn pycs_outside_the_scope_are_never_read() {
    let py = python();
    let repo = teaching_repo(&py);
    // Lose the blob of a committed kept pyc: reading it would fail.
    let oid = repo.git(&["rev-parse", &format!("HEAD:{}", pyc(&py, "script2"))]);
    let oid = oid.trim();
    std::fs::remove_file(
        repo.path()
            .join(".git/objects")
            .join(&oid[..2])
            .join(&oid[2..]),
    )
    .unwrap();
    // A commit that touches neither the pyc nor its source does not read it.
    repo.stage("notes.md", b"unrelated\n");
    repo.run(&["check"]).expect(0);
    // One that edits its source does, and --all does.
    let run = repo.run(&["check", "--all"]).expect(2);
    assert!(
        run.stderr.contains("cannot read a kept pyc"),
        "{}",
        run.stderr
    );
    repo.stage("01_Basics/script2.py", b"x = 1\n");
    repo.run(&["check"]).expect(2);
}

#[test]
fn a_deleted_or_renamed_source_leaves_an_orphan() {
    let py = python();
    let repo = teaching_repo(&py);
    repo.git(&["rm", "-q", "--cached", "01_Basics/script2.py"]);
    repo.git(&["mv", "01_Basics/script1.py", "01_Basics/hello.py"]);
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    assert_eq!(
        finding_list(&report),
        [
            format!("pyc-orphan {}", pyc(&py, "script1")),
            format!("pyc-orphan {}", pyc(&py, "script2")),
        ]
    );
    let message = finding(&report, "pyc-orphan")["message"].as_str().unwrap();
    assert!(
        message.contains("its source `01_Basics/script1.py` is not there"),
        "{message}"
    );
    assert!(
        message.contains(&format!("git rm -- {}", pyc(&py, "script1"))),
        "{message}"
    );
}

#[test]
fn a_renamed_tag_is_a_tag_mismatch() {
    let py = python();
    let repo = teaching_repo(&py);
    let wrong = "01_Basics/__pycache__/script1.cpython-399.pyc";
    repo.git(&["mv", &pyc(&py, "script1"), wrong]);
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    assert_eq!(finding_list(&report), [format!("pyc-tag-mismatch {wrong}")]);
    let message = finding(&report, "pyc-tag-mismatch")["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("cpython-399"), "{message}");
    assert!(
        message.contains(&format!("written by Python {}", py.version)),
        "{message}"
    );
    // The printed rename is the fix.
    run_fix(&repo, &py, command_after(message, "reads: "));
    repo.run(&["check"]).expect(0);
}

#[test]
fn a_truncated_pyc_is_invalid() {
    let py = python();
    let repo = teaching_repo(&py);
    let path = pyc(&py, "script1");
    let bytes = std::fs::read(repo.path().join(&path)).unwrap();
    for cut in [0, 3, 10, 16] {
        repo.stage(&path, &bytes[..cut]);
        let report = repo.run(&["check", "--format", "json"]).expect(1).json();
        assert_eq!(
            finding_list(&report),
            [format!("pyc-invalid {path}")],
            "cut at {cut}"
        );
    }
    let message = finding(
        &repo.run(&["check", "--format", "json"]).json(),
        "pyc-invalid",
    )["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("no code"), "{message}");
    run_fix(&repo, &py, command_after(&message, "repository root: "));
    repo.git(&["add", &path]);
    repo.run(&["check"]).expect(0);
}

#[test]
fn timestamp_pycs_are_unverifiable_and_the_printed_command_rewrites_the_folder() {
    let py = python();
    let repo = teaching_repo(&py);
    compile(
        &repo,
        "timestamp",
        &["01_Basics/script1.py", "01_Basics/script2.py"],
    );
    repo.git(&["add", "01_Basics/__pycache__"]);
    let run = repo.run(&["check", "--format", "json"]).expect(0);
    let report = run.json();
    assert_eq!(finding_list(&report), Vec::<String>::new());
    assert_eq!(
        warning_list(&report),
        [
            format!("pyc-unverifiable {}", pyc(&py, "script1")),
            format!("pyc-unverifiable {}", pyc(&py, "script2")),
        ]
    );
    let message = finding(&report, "pyc-unverifiable")["message"]
        .as_str()
        .unwrap();
    // One command for the folder, with the right version and every source.
    let want = format!(
        "python{} -m compileall -f --invalidation-mode checked-hash 01_Basics/script1.py \
         01_Basics/script2.py",
        py.version
    );
    assert!(message.contains(&want), "{message}");
    assert!(
        message.contains("then `git add -- 01_Basics/__pycache__`"),
        "{message}"
    );
    run_fix(&repo, &py, &want);
    repo.git(&["add", "--", "01_Basics/__pycache__"]);
    let report = repo.run(&["check", "--format", "json"]).expect(0).json();
    assert_eq!(report["findings"], serde_json::json!([]), "{report}");

    // A timestamp pyc still catches a source whose size changed.
    compile(&repo, "timestamp", &["01_Basics/script1.py"]);
    repo.git(&["add", "01_Basics/__pycache__"]);
    repo.stage(
        "01_Basics/script1.py",
        b"GREETING = 'hello!'\nprint(GREETING)\n",
    );
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    assert_eq!(
        finding_list(&report),
        [format!("pyc-stale {}", pyc(&py, "script1"))]
    );
}

#[test]
fn unchecked_hash_pycs_get_a_note() {
    let py = python();
    let repo = teaching_repo(&py);
    compile(&repo, "unchecked-hash", &["01_Basics/script2.py"]);
    repo.git(&["add", "01_Basics/__pycache__"]);
    let report = repo.run(&["check", "--format", "json"]).expect(0).json();
    assert_eq!(
        warning_list(&report),
        [format!("pyc-unchecked-hash {}", pyc(&py, "script2"))]
    );
    let message = finding(&report, "pyc-unchecked-hash")["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("--invalidation-mode checked-hash 01_Basics/script2.py"),
        "{message}"
    );
}

#[test]
fn levels_are_set_per_allow_entry() {
    let py = python();
    let repo = teaching_repo(&py);
    repo.stage("01_Basics/script1.py", b"print('edited')\n");
    compile(&repo, "timestamp", &["01_Basics/script2.py"]);
    repo.git(&["add", "01_Basics/__pycache__"]);
    let with = |checks: &str| {
        repo.stage(
            "pycache-policy.toml",
            format!("{TEACHING_POLICY}\n[allow.checks]\n{checks}\n").as_bytes(),
        );
    };
    let (stale, unverifiable) = (
        format!("pyc-stale {}", pyc(&py, "script1")),
        format!("pyc-unverifiable {}", pyc(&py, "script2")),
    );

    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    assert_eq!(finding_list(&report), std::slice::from_ref(&stale));
    assert_eq!(warning_list(&report), std::slice::from_ref(&unverifiable));

    with("stale = \"warning\"");
    let report = repo.run(&["check", "--format", "json"]).expect(0).json();
    assert_eq!(warning_list(&report), [stale.clone(), unverifiable.clone()]);

    with("stale = \"off\"\nunverifiable = \"error\"");
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    assert_eq!(finding_list(&report), [unverifiable]);
    assert_eq!(warning_list(&report), Vec::<String>::new());

    // A mistake in the table is reported with its position, and nothing is judged.
    with("stale = \"fatal\"");
    let run = repo.run(&["check"]).expect(2);
    assert!(
        run.stderr.contains(
            "pycache-policy.toml:10:9: `allow.checks.stale` must be \"error\", \"warning\" or \
             \"off\", found `fatal`"
        ),
        "{}",
        run.stderr
    );
}

/// Replaces the first `from` in the pyc with `to` (same length), keeping its header.
fn tamper(repo: &TestRepo, path: &str, from: &[u8], to: &[u8]) {
    let full = repo.path().join(path);
    let mut bytes = std::fs::read(&full).unwrap();
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("the constant is in the pyc");
    assert!(at >= 16, "inside the code, not the header");
    bytes[at..at + to.len()].copy_from_slice(to);
    std::fs::write(&full, bytes).unwrap();
    repo.git(&["add", path]);
}

fn recompile_policy(extra: &str) -> String {
    format!("[[allow]]\npath = \"01_Basics/__pycache__/\"\nrecompile = true\n{extra}")
}

/// Runs `pycache-policy ARGS` with `PATH` set to `path`.
fn run_with_path(repo: &TestRepo, path: &Path, args: &[&str]) -> Run {
    hermetic(bin())
        .args(args)
        .current_dir(repo.path())
        .env("PATH", path)
        .output()
        .unwrap()
        .into()
}

#[test]
fn tampered_code_passes_the_header_checks_and_is_caught_by_recompile() {
    let py = python();
    let repo = teaching_repo(&py);
    let path = pyc(&py, "script1");
    tamper(&repo, &path, b"hello", b"HELLO");
    // The header still matches the staged source.
    let report = repo.run(&["check", "--format", "json"]).expect(0).json();
    assert_eq!(report["findings"], serde_json::json!([]), "{report}");

    repo.stage("pycache-policy.toml", recompile_policy("").as_bytes());
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    assert_eq!(finding_list(&report), [format!("pyc-code-mismatch {path}")]);
    let message = finding(&report, "pyc-code-mismatch")["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains("the pyc has the constant 'HELLO' where the source compiles to 'hello'"),
        "{message}"
    );
    assert!(
        message.contains(&format!("Python {}", py.version)),
        "{message}"
    );
    let fix = command_after(message, "recompile it: ");
    run_fix(&repo, &py, fix);
    repo.git(&["add", &path]);
    repo.run(&["check", "--all"]).expect(0);
    // Untouched pycs, in a commit that does not change them, are not recompiled at all; --all
    // recompiles every one and finds them the same.
    let report = repo
        .run(&["check", "--all", "--format", "json"])
        .expect(0)
        .json();
    assert_eq!(report["findings"], serde_json::json!([]), "{report}");
}

#[test]
fn without_a_matching_python_recompile_says_it_could_not_verify_and_why() {
    let py = python();
    let repo = teaching_repo(&py);
    repo.stage("pycache-policy.toml", recompile_policy("").as_bytes());
    let empty = tempfile::tempdir().unwrap();
    let run = run_with_path(&repo, empty.path(), &["check", "--all", "--format", "json"]).expect(0);
    let report = run.json();
    assert_eq!(
        warning_list(&report),
        [
            format!("pyc-recompile-unavailable {}", pyc(&py, "script1")),
            format!("pyc-recompile-unavailable {}", pyc(&py, "script2")),
        ]
    );
    assert_eq!(
        report["recompiled"],
        serde_json::json!({ "files": 0, "by": [], "unavailable": 2 }),
        "{report}"
    );
    let message = finding(&report, "pyc-recompile-unavailable")["message"]
        .as_str()
        .unwrap();
    assert!(
        message.contains(&format!(
            "no Python {0} that writes magic number",
            py.version
        )),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "python{} is not on PATH; python3 is not on PATH",
            py.version
        )),
        "{message}"
    );

    // A python3 of another version is named, with its version.
    let other = tempfile::tempdir().unwrap();
    let fake = other.path().join("python3");
    std::fs::write(&fake, "#!/bin/sh\necho 3.0.1 3131\n").unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = run_with_path(&repo, other.path(), &["check", "--all"]).expect(0);
    assert!(
        run.stdout.contains("python3 is Python 3.0.1"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "could not recompile the 2 kept pycs to compare their code (no Python of their \
             version would compile them)"
        ),
        "{}",
        run.stdout
    );

    // Made an error by the policy, it fails the check.
    repo.stage(
        "pycache-policy.toml",
        recompile_policy("[allow.checks]\nrecompile-unavailable = \"error\"\n").as_bytes(),
    );
    run_with_path(&repo, empty.path(), &["check", "--all"]).expect(1);
    // With only `python3` on PATH, of the pycs' version, the code is checked.
    let only = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&py.exe, only.path().join("python3")).unwrap();
    let report = run_with_path(&repo, only.path(), &["check", "--all", "--format", "json"])
        .expect(0)
        .json();
    assert_eq!(report["findings"], serde_json::json!([]), "{report}");
}

#[test]
fn a_symlinked_source_is_followed_inside_the_repository() {
    let py = python();
    let repo = teaching_repo(&py);
    repo.stage("shared/script2.py", SCRIPT2);
    repo.git(&["rm", "-q", "--cached", "01_Basics/script2.py"]);
    std::fs::remove_file(repo.path().join("01_Basics/script2.py")).unwrap();
    std::os::unix::fs::symlink(
        "../shared/script2.py",
        repo.path().join("01_Basics/script2.py"),
    )
    .unwrap();
    repo.git(&["add", "01_Basics/script2.py"]);
    let report = repo
        .run(&["check", "--all", "--format", "json"])
        .expect(0)
        .json();
    assert_eq!(report["findings"], serde_json::json!([]), "{report}");
    repo.commit("share the script");
    // The target is what Python reads, so editing it makes the pyc stale, also in a commit that
    // changes neither the pyc nor the link.
    repo.stage("shared/script2.py", b"def double(x):\n    return x * 2\n");
    for args in [
        &["check", "--format", "json"][..],
        &["check", "--all", "--format", "json"],
    ] {
        let report = repo.run(args).expect(1).json();
        assert_eq!(
            finding_list(&report),
            [format!("pyc-stale {}", pyc(&py, "script2"))]
        );
    }
}

#[test]
fn a_kept_folder_inside_a_sparse_index_directory_is_still_judged() {
    let py = python();
    let repo = teaching_repo(&py);
    repo.stage("01_Basics/script1.py", b"print('edited')\n");
    repo.commit("stale on purpose");
    repo.stage("other/x.py", b"");
    repo.commit("another folder");
    repo.git(&[
        "sparse-checkout",
        "set",
        "--cone",
        "--sparse-index",
        "other",
    ]);
    let ls = repo.git(&["ls-files", "--sparse", "01_Basics"]);
    assert_eq!(
        ls.trim(),
        "01_Basics/",
        "01_Basics should be one sparse entry"
    );
    let report = repo
        .run(&["check", "--all", "--format", "json"])
        .expect(1)
        .json();
    assert_eq!(
        finding_list(&report),
        [format!("pyc-stale {}", pyc(&py, "script1"))]
    );
}

#[test]
fn without_kept_folders_nothing_is_judged() {
    let py = python();
    let repo = teaching_repo(&py);
    // Every check off: a broken kept pyc is not even read.
    let off: Vec<String> = [
        "stale",
        "orphan",
        "tag-mismatch",
        "invalid",
        "unverifiable",
        "unchecked-hash",
        "code-mismatch",
        "recompile-unavailable",
    ]
    .iter()
    .map(|k| format!("{k} = \"off\""))
    .collect();
    repo.stage(
        "pycache-policy.toml",
        format!("{TEACHING_POLICY}\n[allow.checks]\n{}\n", off.join("\n")).as_bytes(),
    );
    repo.stage(&pyc(&py, "script1"), b"garbage");
    repo.run(&["check"]).expect(0);
    // The default policy keeps nothing, so the same file is a forbidden cache.
    repo.git(&["rm", "-qf", "--", "pycache-policy.toml"]);
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    assert_eq!(
        finding_list(&report),
        [format!("tracked-cache {}", pyc(&py, "script1"))]
    );
}

/// Python files a repository could use to run code in the interpreter that recompiles its kept
/// pycs: each writes `marker` if it runs.
fn plant_traps(repo: &TestRepo, py: &Python, marker: &Path) {
    let payload = format!(
        "open({:?}, 'a').write(__file__ + '\\n')\n",
        marker.display().to_string()
    );
    let module = format!("{payload}def dumps(*a, **k):\n    return 'identical'\n");
    for (path, text) in [
        ("json/__init__.py", module.as_str()),
        ("json.py", module.as_str()),
        ("binascii.py", module.as_str()),
        ("marshal.py", module.as_str()),
        ("sitecustomize.py", payload.as_str()),
        ("usercustomize.py", payload.as_str()),
        ("encodings/__init__.py", payload.as_str()),
        ("01_Basics/json.py", module.as_str()),
    ] {
        repo.write(path, text.as_bytes());
    }
    // A .pth file runs its `import` lines when its folder is a site folder.
    repo.write("evil.pth", format!("import os; {payload}").as_bytes());
    // A sourceless json.pyc is importable on its own.
    repo.write("pyc_json_src/json.py", module.as_bytes());
    compile(repo, "unchecked-hash", &["pyc_json_src/json.py"]);
    let tag = &py.tag;
    std::fs::copy(
        repo.path()
            .join(format!("pyc_json_src/__pycache__/json.{tag}.pyc")),
        repo.path().join("json.pyc"),
    )
    .unwrap();
    // Interpreters the repository brings, under the names the tool looks for.
    let script = format!(
        "#!/bin/sh\necho \"$0\" >> {:?}\nexit 1\n",
        marker.display().to_string()
    );
    for name in ["python3".to_string(), format!("python{}", py.version)] {
        for dir in ["", "bin/"] {
            let path = format!("{dir}{name}");
            repo.write(&path, script.as_bytes());
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(
                repo.path().join(&path),
                std::fs::Permissions::from_mode(0o755),
            )
            .unwrap();
        }
    }
    // A pyenv shim would select the version a `.python-version` names.
    repo.write(".python-version", b"system\n");
    repo.git(&["add", "-f", "."]);
}

#[test]
fn recompiling_runs_nothing_the_repository_brings() {
    let py = python();
    let repo = teaching_repo(&py);
    let outside = tempfile::tempdir().unwrap();
    let marker = outside.path().join("ran");
    plant_traps(&repo, &py, &marker);
    let path = pyc(&py, "script1");
    tamper(&repo, &path, b"hello", b"HELLO");
    repo.stage("pycache-policy.toml", recompile_policy("").as_bytes());

    // PATH tempts with the repository's own folders, relative and absolute, before the real one.
    let real_path = std::env::var_os("PATH").unwrap();
    let mut dirs = vec![
        std::path::PathBuf::from("."),
        std::path::PathBuf::from("bin"),
        repo.path().to_path_buf(),
        repo.path().join("bin"),
    ];
    dirs.extend(std::env::split_paths(&real_path));
    let tempting = std::env::join_paths(dirs).unwrap();
    let in_sub = format!("__pycache__/script1.{}.pyc", py.tag);
    for (dir, shown) in [
        (repo.path().to_path_buf(), path.as_str()),
        (repo.path().join("01_Basics"), in_sub.as_str()),
    ] {
        for args in [
            &["check", "--format", "json"][..],
            &["inspect", "--recompile", "--format", "json", shown][..],
        ] {
            let out = hermetic(bin())
                .args(args)
                .current_dir(&dir)
                .env("PATH", &tempting)
                .env("PYTHONPATH", repo.path())
                .env("PYTHONSTARTUP", repo.path().join("sitecustomize.py"))
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{args:?} in {dir:?}: {out:?}");
            let text = String::from_utf8_lossy(&out.stdout);
            let caught = match args[0] {
                "check" => text.contains("\"code\": \"pyc-code-mismatch\""),
                _ => text.contains("\"verdict\": \"differs\""),
            };
            assert!(
                caught,
                "{args:?} in {dir:?}: the tampered pyc is not caught: {text}"
            );
            assert!(
                !marker.exists(),
                "{args:?} in {dir:?} ran the repository's code: {}",
                std::fs::read_to_string(&marker).unwrap_or_default()
            );
        }
    }
}

#[test]
fn a_source_with_an_unknown_codec_is_a_finding() {
    let py = python();
    let repo = teaching_repo(&py);
    repo.stage("pycache-policy.toml", recompile_policy("").as_bytes());
    repo.run(&["check"]).expect(0);
    // The header of a checked-hash pyc still matches only its own source, so the unknown codec
    // shows as a stale pyc, judged without running anything; the recompile is skipped for it.
    repo.stage(
        "01_Basics/script1.py",
        b"# -*- coding: no-such-codec -*-\nprint(1)\n",
    );
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    assert_eq!(
        finding_list(&report),
        [format!("pyc-stale {}", pyc(&py, "script1"))]
    );
}

/// Writes an executable shell script at `path`.
fn script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A `PATH` of `first`, then this process's.
fn path_before(first: &Path) -> std::ffi::OsString {
    std::env::join_paths(
        std::iter::once(first.to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap()
}

/// The teaching repository with a third kept pyc, every one to be recompiled.
fn three_to_recompile(py: &Python) -> TestRepo {
    let repo = teaching_repo(py);
    repo.write("01_Basics/script3.py", b"import os\nprint(os.sep)\n");
    compile(&repo, "checked-hash", &["01_Basics/script3.py"]);
    repo.git(&["add", "."]);
    repo.stage("pycache-policy.toml", recompile_policy("").as_bytes());
    repo
}

/// The lines of a log file (none when it was never written).
fn log_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn recompiling_starts_one_python_per_version_not_a_probe_and_a_compare() {
    let py = python();
    let repo = three_to_recompile(&py);
    let bin_dir = tempfile::tempdir().unwrap();
    let log = bin_dir.path().join("started");
    script(
        &bin_dir.path().join(format!("python{}", py.version)),
        &format!(
            // The flags, not the script (it has many lines).
            "#!/bin/sh\necho \"$1 $2 $3 $4 $5 $6\" >> {:?}\nexec {:?} \"$@\"\n",
            log.display().to_string(),
            py.exe.display().to_string()
        ),
    );
    let path = path_before(bin_dir.path());
    let report = run_with_path(
        &repo,
        Path::new(&path),
        &["check", "--all", "--format", "json"],
    )
    .expect(0)
    .json();
    assert_eq!(report["findings"], serde_json::json!([]), "{report}");
    let started = log_lines(&log);
    assert_eq!(started.len(), 1, "one process for three pycs: {started:?}");
    // It runs isolated, as the pyc's version allows.
    assert_eq!(started[0], "-I -E -s -S -B -c", "{started:?}");
    // It says how many it compiled, and with which Python.
    let recompiled = &report["recompiled"];
    assert_eq!(recompiled["files"], 3, "{report}");
    assert_eq!(recompiled["unavailable"], 0, "{report}");
    let by = recompiled["by"][0]["interpreter"].as_str().unwrap();
    assert!(
        by.starts_with(&format!("python{}, Python {}.", py.version, py.version)),
        "{report}"
    );
    let run = run_with_path(&repo, Path::new(&path), &["check", "--all"]).expect(0);
    assert!(
        run.stdout.contains(&format!(
            "recompiled 3 kept pycs to compare their code: 3 with {by}\n"
        )),
        "{}",
        run.stdout
    );
}

#[test]
fn a_python3_x_of_another_version_gets_no_job_and_python3_compiles_them() {
    let py = python();
    let repo = three_to_recompile(&py);
    let bin_dir = tempfile::tempdir().unwrap();
    let (wrong_log, wrong_stdin, right_log) = (
        bin_dir.path().join("wrong-started"),
        bin_dir.path().join("wrong-stdin"),
        bin_dir.path().join("python3-started"),
    );
    // `python3.X` says it is another Python, then reads what it is given.
    script(
        &bin_dir.path().join(format!("python{}", py.version)),
        &format!(
            "#!/bin/sh\necho run >> {:?}\necho 3.0.1 3131\ncat >> {:?}\n",
            wrong_log.display().to_string(),
            wrong_stdin.display().to_string()
        ),
    );
    script(
        &bin_dir.path().join("python3"),
        &format!(
            "#!/bin/sh\necho run >> {:?}\nexec {:?} \"$@\"\n",
            right_log.display().to_string(),
            py.exe.display().to_string()
        ),
    );
    // Only this folder: the machine's own `python3.X` would be found after it.
    let report = run_with_path(
        &repo,
        bin_dir.path(),
        &["check", "--all", "--format", "json"],
    )
    .expect(0)
    .json();
    assert_eq!(report["findings"], serde_json::json!([]), "{report}");
    assert_eq!(log_lines(&wrong_log).len(), 1);
    let by = report["recompiled"]["by"].clone();
    assert_eq!(by.as_array().map(Vec::len), Some(1), "{report}");
    assert_eq!(by[0]["files"], 3, "{report}");
    assert!(
        by[0]["interpreter"]
            .as_str()
            .unwrap()
            .starts_with("python3, Python 3."),
        "{report}"
    );
    assert_eq!(
        std::fs::read(&wrong_stdin).unwrap(),
        b"",
        "the wrong Python was given the jobs"
    );
    assert_eq!(log_lines(&right_log).len(), 1);
}
