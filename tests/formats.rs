//! The output formats, pinned by snapshot files (`tests/snapshots/`, compared exactly) of the real
//! binary run on a repository built with fixed dates, so that commit ids are the same on every
//! run. SARIF is validated against the published schema, JUnit parsed as XML, and colour tried
//! on a real terminal (`script` gives the binary a pseudo-terminal).

mod common;
mod snapshot;

use common::{TestRepo, bin, hermetic};
use snapshot::check as snapshot;

const PYC: &[u8] = b"\xcb\r\r\n\0\0\0\0fake bytecode";

/// `main` with one commit; `topic` adds a module with its caches, a path with a comma and a
/// colon, and a legacy cache that a later commit untracks again.
fn fixture() -> TestRepo {
    let repo = TestRepo::new();
    repo.stage("README.md", b"# demo\n");
    repo.stage("pkg/mod.py", b"x = 1\n");
    repo.commit_at("initial", 0);
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.stage("pkg/util.py", b"y = 2\n");
    repo.stage("pkg/__pycache__/mod.cpython-312.pyc", PYC);
    repo.stage("pkg/__pycache__/util.cpython-312.pyc", PYC);
    repo.stage("odd,name:1.pyc", PYC);
    repo.commit_at("add util (and its caches)", 1);
    repo.stage("legacy.pyo", PYC);
    repo.commit_at("a legacy cache", 2);
    repo.git(&["rm", "-q", "--cached", "legacy.pyo"]);
    repo.commit_at("untrack it", 3);
    repo
}

fn check(repo: &TestRepo, args: &[&str]) -> String {
    let run = repo.run(args);
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    normalize(&run.stdout)
}

/// The tool's version is not part of the format.
fn normalize(s: &str) -> String {
    s.replace(
        &format!("\"version\": \"{}\"", env!("CARGO_PKG_VERSION")),
        "\"version\": \"<tool version>\"",
    )
}

const EACH: &[&str] = &["check", "--range", "main...topic", "--each-commit"];

#[test]
fn every_format_of_a_range_judged_commit_by_commit() {
    let repo = fixture();
    for (format, file) in [
        ("human", "range-each-commit.txt"),
        ("json", "range-each-commit.json"),
        ("github", "range-each-commit.github.txt"),
        ("sarif", "range-each-commit.sarif.json"),
        ("junit", "range-each-commit.junit.xml"),
    ] {
        let args = [EACH, &["--format", format]].concat();
        snapshot(file, &check(&repo, &args));
    }
}

#[test]
fn range_tree_and_staged_reports() {
    let repo = fixture();
    snapshot(
        "range.txt",
        &check(&repo, &["check", "--range", "main...topic"]),
    );
    snapshot(
        "range.github.txt",
        &check(
            &repo,
            &["check", "--range", "main...topic", "--format", "github"],
        ),
    );
    snapshot(
        "tree.json",
        &check(&repo, &["check", "--tree", "topic", "--format", "json"]),
    );
    snapshot(
        "tree.junit.xml",
        &check(&repo, &["check", "--tree", "topic", "--format", "junit"]),
    );
    snapshot(
        "clean.junit.xml",
        &check(&repo, &["check", "--tree", "main", "--format", "junit"]),
    );
    repo.stage("new/__pycache__/n.cpython-312.pyc", PYC);
    snapshot(
        "staged.sarif.json",
        &check(&repo, &["check", "--format", "sarif"]),
    );
    snapshot(
        "staged.github.txt",
        &check(&repo, &["check", "--format", "github"]),
    );
}

#[test]
fn step_summary_on_github_actions() {
    let repo = fixture();
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let run = hermetic(bin())
        .args(EACH)
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    snapshot(
        "range-each-commit.summary.md",
        &std::fs::read_to_string(&summary).unwrap(),
    );
    // Not on GitHub Actions: no summary, even with the variable set.
    std::fs::remove_file(&summary).unwrap();
    let run = hermetic(bin())
        .args(EACH)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(!summary.exists());
}

/// The JSON document of the staged check keeps exactly the fields it had; new ones appear only
/// with the new scopes.
#[test]
fn json_of_the_staged_check_is_unchanged() {
    let repo = fixture();
    repo.stage("new/__pycache__/n.cpython-312.pyc", PYC);
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    let keys: Vec<&str> = report
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["version", "scope", "policy", "findings", "summary", "fix"]
    );
    let finding: Vec<&str> = report["findings"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        finding,
        ["code", "severity", "path", "folder", "rule", "message"]
    );
    assert_eq!(report["version"], 1);
}

#[test]
fn sarif_is_valid_against_the_schema() {
    let schema = snapshot::sarif_schema();
    let python = common::tools::python(&["jsonschema"]);
    let repo = fixture();
    // A path that is not UTF-8, and one with characters a URI must encode.
    let raw: &[u8] = b"caf\xe9/__pycache__/x.cpython-311.pyc";
    {
        use std::os::unix::ffi::OsStrExt as _;
        repo.write(std::ffi::OsStr::from_bytes(raw), PYC);
    }
    repo.git_bytes(&[b"add", b"--", raw]);
    repo.stage("with space/#1/__pycache__/m.cpython-312.pyc", PYC);
    let dir = tempfile::tempdir().unwrap();
    let mut docs = Vec::new();
    let runs = [
        &["check", "--format", "sarif"][..],
        &["check", "--all", "--format", "sarif"],
        &["check", "--tree", "topic", "--format", "sarif"],
        &["check", "--tree", "main", "--format", "sarif"],
        &[EACH, &["--format", "sarif"]].concat(),
    ];
    for (i, args) in runs.iter().enumerate() {
        let out = check(&repo, args);
        let path = dir.path().join(format!("{i}.sarif"));
        std::fs::write(&path, &out).unwrap();
        docs.push(path);
    }
    let script = "import json, sys, jsonschema\n\
                  schema = json.load(open(sys.argv[1]))\n\
                  cls = jsonschema.validators.validator_for(schema)\n\
                  cls.check_schema(schema)\n\
                  for doc in sys.argv[2:]:\n    \
                      cls(schema).validate(json.load(open(doc)))\n    \
                      print(len(json.load(open(doc))['runs'][0]['results']))\n";
    let out = hermetic(&python)
        .args(["-c", script])
        .arg(&schema)
        .args(&docs)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One result per finding, as the JSON report lists them.
    let results: Vec<usize> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    let findings: Vec<usize> = runs
        .iter()
        .map(|args| {
            let args: Vec<&str> = args
                .iter()
                .map(|a| if *a == "sarif" { "json" } else { a })
                .collect();
            let report: serde_json::Value = serde_json::from_str(&check(&repo, &args)).unwrap();
            report["findings"].as_array().unwrap().len()
        })
        .collect();
    assert_eq!(results, findings);
    assert!(
        findings.iter().filter(|&&n| n > 0).count() >= 4,
        "{findings:?}"
    );
}

#[test]
fn junit_is_well_formed_xml() {
    let repo = fixture();
    repo.stage("a<&>'/__pycache__/x.cpython-312.pyc", PYC);
    let xml = check(&repo, &["check", "--format", "junit"]);
    let script = "import sys, xml.etree.ElementTree as ET\n\
                  root = ET.fromstring(sys.stdin.read())\n\
                  suite = root.find('testsuite')\n\
                  print(suite.get('tests'), suite.get('failures'))\n\
                  for case in suite.iter('testcase'):\n    \
                      print(case.get('name'))\n";
    let out = common::output_with_stdin(
        hermetic(common::tools::python(&[])).args(["-c", script]),
        xml.as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "2 1\na<&>'/__pycache__/x.cpython-312.pyc\na<&>'/__pycache__/x.cpython-312.pyc\n"
    );
}

/// Runs the binary on a pseudo-terminal (util-linux `script`), returning what it printed.
fn on_terminal(repo: &TestRepo, args: &str, no_color: Option<&str>) -> String {
    let mut cmd = hermetic("script");
    cmd.args(["-qec", &format!("{} {args}", bin().display()), "/dev/null"])
        .current_dir(repo.path());
    if let Some(v) = no_color {
        cmd.env("NO_COLOR", v);
    }
    let out = cmd.output().unwrap();
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let repo = fixture();
    let args = "check --range main...topic";
    let coloured = on_terminal(&repo, args, None);
    assert!(
        coloured.contains("\x1b[1;31merror[tracked-cache]\x1b[0m: 3 Python bytecode cache"),
        "{coloured:?}"
    );
    assert!(
        coloured.contains("\x1b[1m  git rm -r --cached -- "),
        "{coloured:?}"
    );
    // The text is the same, only without the escapes.
    let plain = check(&repo, &["check", "--range", "main...topic"]);
    assert!(!plain.contains('\x1b'));
    let stripped = coloured
        .replace("\x1b[1;31m", "")
        .replace("\x1b[1m", "")
        .replace("\x1b[0m", "");
    assert_eq!(stripped, plain);
    assert!(!on_terminal(&repo, args, Some("1")).contains('\x1b'));
    // An empty NO_COLOR does not count (no-color.org).
    assert!(on_terminal(&repo, args, Some("")).contains('\x1b'));
    // Other formats are never coloured.
    assert!(
        !on_terminal(&repo, "check --range main...topic --format github", None).contains('\x1b')
    );
    let clean = on_terminal(&repo, "check --tree main", None);
    assert!(
        clean.starts_with("\x1b[32mpycache-policy: no forbidden caches"),
        "{clean:?}"
    );
}
