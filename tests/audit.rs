//! `pycache-policy audit` on histories built with `git`: its commits, blob count and size are
//! compared with what `git diff-tree`, `git ls-tree` and `git cat-file --batch-check` report on
//! the same repository, and the `git filter-repo` command it prints is run for real.

mod common;
mod snapshot;

use std::collections::{BTreeMap, BTreeSet};

use common::{TEACHING_POLICY, TestRepo, hermetic};
use pycache_policy::policy::matcher::{CacheVerdict, Matcher};
use pycache_policy::policy::{Origin, Policy};

const PYC: &[u8] = b"\xcb\r\r\n\0\0\0\0fake bytecode";
const KEPT: &str = "01_Basics/__pycache__/";

fn merge_at(repo: &TestRepo, branch: &str, n: u32, no_commit: bool) {
    let date = format!("@{} +0000", 1_700_000_000 + n * 60);
    let mut args = vec!["merge", "-q", "--no-edit", branch];
    if no_commit {
        args.push("--no-commit");
    }
    let out = hermetic("git")
        .args(&args)
        .env("GIT_AUTHOR_DATE", &date)
        .env("GIT_COMMITTER_DATE", &date)
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// A history with caches added, changed, deleted, on a branch no one merged, behind a tag only,
/// brought in by a merge (from its branch, and by the merge itself), and in a kept folder.
fn history() -> TestRepo {
    let repo = TestRepo::new();
    repo.stage("README.md", b"# demo\n");
    repo.stage("pkg/mod.py", b"x = 1\n");
    repo.stage("pycache-policy.toml", TEACHING_POLICY.as_bytes());
    repo.commit_at("initial", 0);
    repo.stage("pkg/__pycache__/mod.cpython-311.pyc", PYC);
    repo.stage("legacy.pyc", b"legacy bytecode");
    repo.commit_at("add caches by mistake", 1);
    repo.stage("pkg/__pycache__/mod.cpython-311.pyc", b"recompiled");
    repo.stage("pkg/mod.py", b"x = 2\n");
    repo.commit_at("change the module (and its cache)", 2);
    repo.git(&[
        "rm",
        "-q",
        "-r",
        "--cached",
        "pkg/__pycache__",
        "legacy.pyc",
    ]);
    repo.commit_at("untrack the caches", 3);
    repo.stage("01_Basics/__pycache__/script1.cpython-312.pyc", PYC);
    repo.stage("01_Basics/README.md", b"kept on purpose\n");
    repo.commit_at("keep a cache folder on purpose", 4);
    // The same content at the same path again: history holds nothing new.
    repo.stage("legacy.pyc", b"legacy bytecode");
    repo.commit_at("re-add legacy.pyc", 4);
    repo.git(&["rm", "-q", "legacy.pyc"]);
    repo.commit_at("and untrack it again", 4);

    // A branch nobody merged, with the same bytes as legacy.pyc at another path.
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.stage("side/__pycache__/s.cpython-311.pyc", b"legacy bytecode");
    repo.commit_at("side work", 5);
    // A commit only a tag reaches.
    repo.git(&["checkout", "-q", "-b", "tagged", "main"]);
    repo.stage("tagged.pyo", b"tagged bytecode");
    repo.commit_at("tagged only", 6);
    repo.git(&["tag", "v0-tagged"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&["branch", "-q", "-D", "tagged"]);

    // A branch merged into main: its commit brings the cache, not the merge.
    repo.git(&["checkout", "-q", "-b", "feature", "main~1"]);
    repo.stage("feat/__pycache__/f.cpython-312.pyc", b"feature bytecode");
    repo.commit_at("feature with a cache", 7);
    repo.git(&["checkout", "-q", "main"]);
    merge_at(&repo, "feature", 8, false);
    // An evil merge: the merge itself adds a cache.
    repo.git(&["checkout", "-q", "-b", "other", "main~1"]);
    repo.stage("other.py", b"");
    repo.commit_at("other work", 9);
    repo.git(&["checkout", "-q", "main"]);
    merge_at(&repo, "other", 10, true);
    repo.stage("evil/__pycache__/e.cpython-312.pyc", b"evil bytecode");
    repo.commit_at("merge other", 11);
    repo
}

fn audit_json(repo: &TestRepo, args: &[&str]) -> serde_json::Value {
    let run = repo.run(&[&["audit", "--format", "json"], args].concat());
    assert!(run.code == 0 || run.code == 1, "{run:?}");
    assert!(
        run.stderr.is_empty(),
        "no progress off a terminal: {}",
        run.stderr
    );
    run.json()
}

/// Those of `paths` the default patterns make git ignore (`git check-ignore --no-index`), less
/// the kept folder.
fn forbidden_by_git(repo: &TestRepo, paths: &BTreeSet<String>) -> BTreeSet<String> {
    let excludes = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(excludes.path(), "__pycache__/\n*.py[co]\n*$py.class\n").unwrap();
    let input: String = paths.iter().map(|p| format!("{p}\n")).collect();
    let out = common::output_with_stdin(
        hermetic("git")
            .arg("-c")
            .arg(format!("core.excludesFile={}", excludes.path().display()))
            .args(["check-ignore", "--no-index", "--stdin"])
            .current_dir(repo.path()),
        input,
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|p| !p.starts_with(KEPT))
        .map(String::from)
        .collect()
}

/// git's answer, walking `git rev-list --reverse --topo-order REVS` (parents first): for each
/// commit, the forbidden (path, blob) pairs of its tree (`git ls-tree -r`) that no commit
/// before it held; and the distinct blobs of all of them with their total size (`git cat-file
/// --batch-check`).
fn git_answer(repo: &TestRepo, revs: &[&str]) -> (BTreeMap<String, BTreeSet<String>>, usize, u64) {
    let commits = repo.git(&[&["rev-list", "--reverse", "--topo-order"], revs].concat());
    let mut trees = Vec::new();
    let mut all_paths = BTreeSet::new();
    for c in commits.lines() {
        let mut entries = Vec::new();
        for line in repo.git(&["ls-tree", "-r", c]).lines() {
            let (meta, path) = line.split_once('\t').unwrap();
            let blob = meta.split_whitespace().nth(2).unwrap().to_string();
            all_paths.insert(path.to_string());
            entries.push((path.to_string(), blob));
        }
        trees.push((c.to_string(), entries));
    }
    let forbidden = forbidden_by_git(repo, &all_paths);
    let mut seen = BTreeSet::new();
    let mut introduced: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (c, entries) in trees {
        for (path, blob) in entries {
            if forbidden.contains(&path) && seen.insert((path.clone(), blob)) {
                introduced.entry(c.clone()).or_default().insert(path);
            }
        }
    }
    let blobs: BTreeSet<String> = seen.into_iter().map(|(_, b)| b).collect();
    let input: String = blobs.iter().map(|b| format!("{b}\n")).collect();
    let out = common::output_with_stdin(
        hermetic("git")
            .args(["cat-file", "--batch-check=%(objectsize)"])
            .current_dir(repo.path()),
        input,
    );
    let size = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.parse::<u64>().unwrap())
        .sum();
    (introduced, blobs.len(), size)
}

fn ours(report: &serde_json::Value) -> BTreeMap<String, BTreeSet<String>> {
    report["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["paths"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn audit_figures_agree_with_git() {
    let repo = history();
    for (args, revs) in [(&["--all"][..], &["--all"][..]), (&[], &["HEAD"])] {
        let report = audit_json(&repo, args);
        let (expected, blobs, bytes) = git_answer(&repo, revs);
        assert_eq!(ours(&report), expected, "audit {args:?}");
        assert_eq!(report["blobs"]["count"], blobs, "audit {args:?}");
        assert_eq!(report["blobs"]["bytes"], bytes, "audit {args:?}");
        let walked = repo.git(&[&["rev-list", "--count"], revs].concat());
        assert_eq!(
            report["walked"]["commits"].to_string(),
            walked.trim(),
            "audit {args:?}"
        );
    }
    // What the fixture is meant to hold, so that the comparison above means something.
    let all = audit_json(&repo, &["--all"]);
    let head = audit_json(&repo, &[]);
    assert_eq!(all["commits"].as_array().unwrap().len(), 6);
    assert_eq!(head["commits"].as_array().unwrap().len(), 4);
    // The same bytes at two paths are one blob; the kept folder is not counted.
    assert_eq!(all["blobs"]["count"], 6);
    // legacy.pyc was added twice with the same content (`git log --diff-filter=A` lists both
    // commits); history holds it once, and the audit names the first.
    let added = repo.git(&[
        "log",
        "--all",
        "--format=%s",
        "--diff-filter=A",
        "--",
        "legacy.pyc",
    ]);
    assert_eq!(added, "re-add legacy.pyc\nadd caches by mistake\n");
    let listed: Vec<&str> = all["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["summary"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&"add caches by mistake") && !listed.contains(&"re-add legacy.pyc"));
    assert!(
        !all["paths"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().starts_with(KEPT))
    );
    assert!(
        all["purge"]["command"].as_str().unwrap().starts_with(
            "git filter-repo --invert-paths --path-regex '^(?!01_Basics/__pycache__/)"
        )
    );
}

#[test]
fn audit_reports_for_people() {
    let repo = history();
    let run = repo.run(&["audit", "--all"]).expect(1);
    let main = |rev: &str| {
        repo.git(&["rev-parse", "--short=7", rev])
            .trim()
            .to_string()
    };
    let policy = repo.path().join("pycache-policy.toml");
    let text = run
        .stdout
        .replace(&policy.display().to_string(), "<policy>");
    snapshot::check("audit.txt", &text);
    assert!(
        text.contains(&format!("  {} merge other\n", main("main"))),
        "{text}"
    );
    // The README shows the command the teaching policy gets.
    let command = text.lines().last().unwrap().trim();
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    assert!(readme.contains(&format!("\n{command}\n")), "{command}");
    // A clean history passes.
    let clean = TestRepo::with_commit();
    let run = clean.run(&["audit"]).expect(0);
    assert!(run.stdout.contains("No commit adds"), "{}", run.stdout);
    // Nothing to walk yet.
    TestRepo::new().run(&["audit", "--all"]).expect(0);
}

#[test]
fn audit_refuses_a_shallow_clone_and_explains_a_negated_pattern() {
    let repo = history();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    let status = hermetic("git")
        .args(["clone", "-q", "--depth", "2", &url, "c"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let run = repo.run_in(&dir.path().join("c"), &["audit"]).expect(2);
    assert!(run.stderr.contains("shallow clone"), "{}", run.stderr);
    assert!(
        run.stderr.contains("git fetch --unshallow"),
        "{}",
        run.stderr
    );

    let policy = repo.path().join("negated.toml");
    std::fs::write(&policy, "[caches]\nforbid = [\"*.pyc\", \"!keep.pyc\"]\n").unwrap();
    let run = repo
        .run(&["--policy", policy.to_str().unwrap(), "audit", "--all"])
        .expect(1);
    assert!(
        run.stdout
            .contains("No single git filter-repo --path-regex expresses this policy: `!keep.pyc`"),
        "{}",
        run.stdout
    );
}

#[test]
fn printed_filter_repo_command_purges_history_and_keeps_the_kept_folder() {
    let filter_repo = common::tools::tool("git-filter-repo");
    let repo = history();
    let command = audit_json(&repo, &["--all"])["purge"]["command"]
        .as_str()
        .unwrap()
        .to_string();
    // In a fresh clone, as filter-repo wants (and as the audit says).
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    let status = hermetic("git")
        .args(["clone", "-q", "--mirror", &url, "c.git"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let clone = dir.path().join("c.git");
    // `git filter-repo` runs `git-filter-repo` from PATH.
    let path = format!(
        "{}:{}",
        filter_repo.parent().unwrap().display(),
        common::path_with_bin().to_str().unwrap()
    );
    let out = hermetic("bash")
        .args(["-c", &command])
        .current_dir(&clone)
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{command}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // No forbidden path is left in any commit; the kept folder and everything else are.
    let git = |args: &[&str]| {
        let out = hermetic("git")
            .args(args)
            .current_dir(&clone)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let mut all_paths = BTreeSet::new();
    for c in git(&["rev-list", "--all"]).lines() {
        all_paths.extend(
            git(&["ls-tree", "-r", "--name-only", c])
                .lines()
                .map(String::from),
        );
    }
    assert!(
        forbidden_by_git(&repo, &all_paths).is_empty(),
        "{all_paths:?}"
    );
    assert!(all_paths.contains("01_Basics/__pycache__/script1.cpython-312.pyc"));
    assert!(all_paths.contains("other.py") && all_paths.contains("pkg/mod.py"));
    let run = repo.run_in(&clone, &["audit", "--all"]).expect(0);
    assert!(run.stdout.contains("No commit adds"), "{}", run.stdout);
}

/// The regex says what the matcher says, path by path (Python's `re`, as filter-repo uses it,
/// against [`Matcher::verdict`]), for policies that use every kind of pattern.
#[test]
fn purge_regex_agrees_with_the_matcher() {
    let policies: &[(&str, bool)] = &[
        (
            "[caches]\nforbid = [\"__pycache__/\", \"*.py[co]\", \"*$py.class\"]\n\
             [[allow]]\npath = \"01_Basics/__pycache__/\"\n[[allow]]\npath = \"tools/keep.pyc\"\n",
            false,
        ),
        (
            "[caches]\nforbid = [\"/top.pyc\", \"a/**/b/\", \"x/**\", \"**/deep/*.pyc\", \
             \"q/a**/z\", \"[!a-c]?.pyo\", \"build/\", \"*.[[:digit:]]\", \"sp\\\\ ace.pyc\"]\n",
            false,
        ),
        (
            "[caches]\nforbid = [\"__pycache__/\", \"*.PYC\", \"[A-C]x.pyo\", \"[a]y.pyo\"]\n\
             [[allow]]\npath = \"Kept/__pycache__/\"\n",
            true,
        ),
    ];
    let names = [
        "__pycache__",
        "x.pyc",
        "x.PYC",
        "X.Pyc",
        "y.pyo",
        "Bx.pyo",
        "bx.pyo",
        "ay.pyo",
        "Ay.pyo",
        "top.pyc",
        "a",
        "b",
        "x",
        "deep",
        "q",
        "aqz",
        "z",
        "build",
        "f.1",
        "f.a",
        "sp ace.pyc",
        "m$py.class",
        "mod.py",
        "README.md",
        "01_Basics",
        "Kept",
        "kept",
        "tools",
        "keep.pyc",
        "dz.pyo",
        "a.pyo",
        "x.pyc\n",
    ];
    let mut paths: Vec<Vec<u8>> = Vec::new();
    for a in names {
        paths.push(a.as_bytes().to_vec());
        for b in names {
            paths.push(format!("{a}/{b}").into_bytes());
            for c in ["__pycache__/m.pyc", "b/c.pyo", "z", "deep/n.pyc", "x.pyc"] {
                paths.push(format!("{a}/{b}/{c}").into_bytes());
            }
        }
    }
    paths.push(b"caf\xe9/__pycache__/x.pyc".to_vec());
    paths.push(b"caf\xe9.pyc".to_vec());
    for (toml, ignore_case) in policies {
        let policy = Policy::from_toml(toml, Origin::Defaults).unwrap();
        let matcher = Matcher::new(&policy, *ignore_case).unwrap();
        let regex = pycache_policy::policy::filter_repo::path_regex(&policy, *ignore_case).unwrap();
        let expected: Vec<bool> = paths
            .iter()
            .map(|p| matches!(matcher.verdict(p), CacheVerdict::Forbidden { .. }))
            .collect();
        let got = python_search(&regex, &paths);
        let wrong: Vec<String> = paths
            .iter()
            .zip(expected.iter().zip(&got))
            .filter(|(_, (e, g))| e != g)
            .map(|(p, (e, _))| format!("{:?} (matcher: {e})", String::from_utf8_lossy(p)))
            .collect();
        assert!(
            wrong.is_empty(),
            "{regex}\n{} disagreements: {wrong:?}",
            wrong.len()
        );
        assert!(expected.iter().filter(|&&e| e).count() > 50, "{toml}");
    }
}

/// `re.search(regex, path)` in Python, on each path as bytes, as git-filter-repo does it.
fn python_search(regex: &str, paths: &[Vec<u8>]) -> Vec<bool> {
    let script = "import re, sys\n\
                  lines = sys.stdin.buffer.read().split(b'\\n')\n\
                  rx = re.compile(bytes.fromhex(lines[0].decode()))\n\
                  for h in lines[1:]:\n    \
                      if h: print(1 if rx.search(bytes.fromhex(h.decode())) else 0)\n";
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let mut input = hex(regex.as_bytes());
    for p in paths {
        input.push('\n');
        input.push_str(&hex(p));
    }
    input.push('\n');
    let out = common::output_with_stdin(
        hermetic(common::tools::python(&[])).args(["-c", script]),
        input,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<bool> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l == "1")
        .collect();
    assert_eq!(got.len(), paths.len());
    got
}

/// The pack reader behind the history walks reads every object as libgit2 does, from packs
/// whose deltas name their base by offset (git's default) or by id (`pack.useOfsDelta=false`).
#[test]
fn pack_reader_reads_what_libgit2_reads() {
    let repo = history();
    for config in [&[][..], &["-c", "pack.useOfsDelta=false"]] {
        repo.git(&[config, &["repack", "-a", "-d", "-f", "-q", "--depth=10"]].concat());
        let listing = repo.git(&[
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objectname) %(deltabase)",
        ]);
        let deltas = listing
            .lines()
            .filter(|l| !l[41..].starts_with(&"0".repeat(40)))
            .count();
        assert!(deltas > 10, "{config:?}: only {deltas} deltas");
        let git = git2::Repository::open(repo.path()).unwrap();
        let odb = git.odb().unwrap();
        let packs = pycache_policy::git::pack::Packs::open(&repo.path().join(".git/objects"));
        // What the pack holds (unreachable objects stay loose, and are not the pack's).
        let pack = std::fs::read_dir(repo.path().join(".git/objects/pack"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "idx"))
            .unwrap();
        let packed: BTreeSet<String> = hermetic("git")
            .arg("show-index")
            .stdin(std::fs::File::open(&pack).unwrap())
            .current_dir(repo.path())
            .output()
            .map(|o| String::from_utf8(o.stdout).unwrap())
            .unwrap()
            .lines()
            .map(|l| l.split_whitespace().nth(1).unwrap().to_string())
            .collect();
        assert!(packed.len() > 40, "{packed:?}");
        for line in listing.lines() {
            let id = git2::Oid::from_str(&line[..40]).unwrap();
            if !packed.contains(&line[..40]) {
                assert!(packs.read(id).unwrap().is_none(), "{line}");
                continue;
            }
            let (kind, data) = packs
                .read(id)
                .unwrap()
                .unwrap_or_else(|| panic!("{config:?}: {line} not read"));
            let theirs = odb.read(id).unwrap();
            assert_eq!(kind, theirs.kind(), "{id}");
            assert_eq!(&data[..], theirs.data(), "{id}");
        }
        // An object no pack holds is not found (the caller then asks libgit2).
        assert!(
            packs
                .read(git2::Oid::from_str(&"1".repeat(40)).unwrap())
                .unwrap()
                .is_none()
        );
    }
}

/// A root tree identical to a folder seen earlier (a package moved to the top) is a tree of its
/// own: the commit that moves a cache there introduces it at its new path, as `git log` says.
#[test]
fn a_root_tree_equal_to_an_earlier_folder_is_still_walked() {
    let repo = TestRepo::new();
    repo.stage("pkg/m.py", b"1\n");
    repo.stage("pkg/__pycache__/m.cpython-311.pyc", b"c\n");
    repo.commit("one");
    repo.git(&["mv", "pkg/m.py", "pkg/__pycache__", "."]);
    repo.commit("flatten");
    let pkg = repo.git(&["rev-parse", "HEAD~1:pkg"]);
    assert_eq!(
        repo.git(&["rev-parse", "HEAD^{tree}"]),
        pkg,
        "the fixture's point"
    );
    let report = audit_json(&repo, &[]);
    let (expected, _, _) = git_answer(&repo, &["HEAD"]);
    assert_eq!(ours(&report), expected);
    assert_eq!(report["commits"].as_array().unwrap().len(), 2);
}
