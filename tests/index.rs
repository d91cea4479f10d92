//! The index reader against git: what `git ls-files -s` lists is what we read, in every index
//! format version and state git can leave the index in.

mod common;

use std::os::unix::ffi::OsStrExt;

use common::TestRepo;
use pycache_policy::git::index::IndexFile;

/// `mode oid stage\tpath` for every entry, as `git ls-files -s -z` prints it.
fn git_entries(repo: &TestRepo) -> Vec<Vec<u8>> {
    repo.git_bytes(&[b"ls-files", b"-s", b"-z"])
        .split(|&b| b == 0)
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn our_entries(repo: &TestRepo) -> Vec<Vec<u8>> {
    let index = IndexFile::read(&repo.path().join(".git/index"), 20).unwrap();
    index
        .iter()
        .map(|e| {
            let hex: String = e.oid.iter().map(|b| format!("{b:02x}")).collect();
            let mut line = format!("{:06o} {hex} {}\t", e.mode, e.stage).into_bytes();
            line.extend_from_slice(e.path);
            line
        })
        .collect()
}

fn populate(repo: &TestRepo) {
    repo.write("README.md", b"# x\n");
    for i in 0..40 {
        repo.write(
            format!("pkg{}/sub/__pycache__/m{i}.cpython-311.pyc", i % 4),
            b"pyc",
        );
        repo.write(
            format!("pkg{}/sub/m{i}.py", i % 4),
            format!("{i}").as_bytes(),
        );
    }
    repo.write("with space/a b.py", b"");
    repo.write(std::ffi::OsStr::from_bytes(b"caf\xe9.py"), b"");
    repo.write("a-very/long/path/".repeat(8) + "end.py", b"");
    repo.git(&["add", "."]);
    repo.commit("populate");
    std::os::unix::fs::symlink("README.md", repo.path().join("link")).unwrap();
    repo.write("run.sh", b"#!/bin/sh\n");
    std::fs::set_permissions(
        repo.path().join("run.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    repo.git(&["add", "link", "run.sh"]);
}

#[test]
fn every_index_version_reads_like_git() {
    for version in ["2", "3", "4"] {
        let repo = TestRepo::new();
        populate(&repo);
        repo.git(&["update-index", "--index-version", version]);
        let ours = our_entries(&repo);
        assert_eq!(ours, git_entries(&repo), "index version {version}");
        assert!(ours.len() > 80);
        // git writes version 3 only when an entry needs extended flags (see the next test).
        let index = IndexFile::read(&repo.path().join(".git/index"), 20).unwrap();
        let expected = if version == "3" { "2" } else { version };
        assert_eq!(index.version.to_string(), expected);
    }
}

#[test]
fn extended_flags_intent_to_add_and_skip_worktree() {
    let repo = TestRepo::new();
    populate(&repo);
    repo.write("later.pyc", b"x");
    repo.git(&["add", "-N", "later.pyc"]);
    repo.git(&["update-index", "--skip-worktree", "README.md"]);
    assert_eq!(our_entries(&repo), git_entries(&repo));
    let index = IndexFile::read(&repo.path().join(".git/index"), 20).unwrap();
    assert_eq!(index.version, 3, "extended flags need version 3");
    let flagged: Vec<(String, bool, bool)> = index
        .iter()
        .filter(|e| e.intent_to_add || e.skip_worktree)
        .map(|e| {
            (
                String::from_utf8_lossy(e.path).into_owned(),
                e.intent_to_add,
                e.skip_worktree,
            )
        })
        .collect();
    assert_eq!(
        flagged,
        [
            ("README.md".to_string(), false, true),
            ("later.pyc".to_string(), true, false)
        ]
    );
    // v4 keeps the flags too.
    repo.git(&["update-index", "--index-version", "4"]);
    assert_eq!(our_entries(&repo), git_entries(&repo));
}

#[test]
fn conflict_stages() {
    let repo = TestRepo::new();
    repo.write("c.pyc", b"base");
    repo.git(&["add", "."]);
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("c.pyc", b"side");
    repo.git(&["commit", "-q", "-am", "side"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.write("c.pyc", b"main");
    repo.git(&["commit", "-q", "-am", "main"]);
    assert_ne!(repo.git_run(&["merge", "-q", "side"]).code, 0);
    let ours = our_entries(&repo);
    assert_eq!(ours, git_entries(&repo));
    assert_eq!(ours.len(), 3);
}

#[test]
fn missing_index_is_empty_and_split_index_is_refused() {
    let repo = TestRepo::new();
    let index = IndexFile::read(&repo.path().join(".git/index"), 20).unwrap();
    assert!(index.is_empty());

    populate(&repo);
    repo.git(&["update-index", "--split-index"]);
    let err = IndexFile::read(&repo.path().join(".git/index"), 20)
        .err()
        .unwrap();
    assert!(err.to_string().contains("--no-split-index"), "{err}");
    // And the check says so, with exit 2.
    let run = repo.run(&["check"]).expect(2);
    assert!(run.stderr.contains("split index"), "{}", run.stderr);
    repo.git(&["update-index", "--no-split-index"]);
    assert_eq!(our_entries(&repo), git_entries(&repo));
}

#[test]
fn sparse_index_directories_are_judged_through_their_trees() {
    let repo = TestRepo::new();
    repo.write("top.py", b"");
    repo.write("in/m.py", b"");
    repo.write("out/__pycache__/m.cpython-311.pyc", b"pyc");
    repo.write("out/m.py", b"");
    repo.git(&["add", "."]);
    repo.commit("caches outside the sparse cone");
    repo.git(&["sparse-checkout", "set", "--cone", "--sparse-index", "in"]);
    let index = IndexFile::read(&repo.path().join(".git/index"), 20).unwrap();
    let sparse: Vec<&[u8]> = index
        .iter()
        .filter(|e| e.is_sparse_dir())
        .map(|e| e.path)
        .collect();
    assert_eq!(sparse, [&b"out/"[..]], "git made a sparse index");
    // The cache inside the collapsed tree is still found.
    let report = repo
        .run(&["check", "--all", "--format", "json"])
        .expect(1)
        .json();
    assert_eq!(
        common::finding_list(&report),
        ["tracked-cache out/__pycache__/m.cpython-311.pyc"]
    );
    // It is unchanged relative to HEAD, so the default scope passes.
    repo.run(&["check"]).expect(0);
}
