//! `pycache-policy untrack` against git itself: the same repository copied twice, one cleaned
//! with `untrack`, the other with `git rm -r --cached` on the paths the policy forbids. The
//! index files must come out byte for byte the same (entries, cache tree, resolve-undo, version,
//! checksum), and so must everything git shows about them.

mod common;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use common::{Run, TEACHING_POLICY, TestRepo, bin, hermetic};
use pycache_policy::report::display_path;

const PYC: &[u8] = b"\xcb\r\r\n\0\0\0\0fake bytecode";

/// Builds a repository that tracks caches in many folders, keeps `01_Basics/__pycache__/` on
/// purpose (with its README), and tracks ordinary files, a symlink and an executable. Returns
/// the pathspecs that untrack the forbidden ones with `git rm -r --cached`.
fn populate(repo: &TestRepo) -> Vec<Vec<u8>> {
    let mut forbidden: Vec<Vec<u8>> = Vec::new();
    repo.write("pycache-policy.toml", TEACHING_POLICY.as_bytes());
    repo.write("README.md", b"# course\n");
    repo.write("01_Basics/script1.py", b"print(1)\n");
    repo.write(
        "01_Basics/__pycache__/script1.cpython-312.pyc",
        &common::kept_pyc(b"print(1)\n"),
    );
    repo.write("01_Basics/__pycache__/README.md", b"kept on purpose\n");
    for i in 0..12 {
        let folder = format!("pkg{}/sub{i}", i % 4);
        repo.write(format!("{folder}/m{i}.py"), format!("x = {i}\n").as_bytes());
        repo.write(format!("{folder}/__pycache__/m{i}.cpython-312.pyc"), PYC);
        repo.write(format!("{folder}/__pycache__/m{i}.cpython-311.pyc"), PYC);
        forbidden.push(format!("{folder}/__pycache__").into_bytes());
    }
    for file in ["legacy.pyc", "lib/Foo$py.class", "tools/old.pyo"] {
        repo.write(file, PYC);
        forbidden.push(file.as_bytes().to_vec());
    }
    repo.write("with space/__pycache__/a b.cpython-312.pyc", PYC);
    forbidden.push(b"with space/__pycache__".to_vec());
    repo.write(
        OsStr::from_bytes(b"caf\xe9/__pycache__/m.cpython-312.pyc"),
        PYC,
    );
    repo.write(OsStr::from_bytes(b"caf\xe9/m.py"), b"");
    forbidden.push(b"caf\xe9/__pycache__".to_vec());
    repo.write("pkg0/_speedups.pyd", b"MZ not a cache");
    repo.write("run.sh", b"#!/bin/sh\n");
    std::fs::set_permissions(
        repo.path().join("run.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    std::os::unix::fs::symlink("README.md", repo.path().join("link")).unwrap();
    repo.git(&["add", "-A"]);
    forbidden
}

/// Sets every working-tree time far in the past and refreshes the index, so that no entry is
/// racily clean: then git writes no smudged entry either, and the two index files can be
/// compared byte for byte.
fn age(repo: &TestRepo) {
    let out = hermetic("find")
        .args([".", "-path", "./.git", "-prune", "-o"])
        .args(["-exec", "touch", "-h", "-d", "@1500000000", "{}", "+"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    // --refresh exits 1 when something needs updating (an intent-to-add entry); that is fine.
    repo.git_run(&["update-index", "-q", "--refresh"]);
}

fn git_rm(repo: &TestRepo, pathspecs: &[Vec<u8>]) {
    let mut args: Vec<&[u8]> = vec![b"rm", b"-r", b"-q", b"--cached", b"--"];
    args.extend(pathspecs.iter().map(Vec::as_slice));
    repo.git_bytes(&args);
}

fn untrack(repo: &TestRepo) -> Run {
    repo.run(&["untrack", "--verbose"]).expect(0)
}

fn index_bytes(repo: &TestRepo) -> Vec<u8> {
    std::fs::read(repo.path().join(".git/index")).unwrap()
}

/// Every file below `root` except `.git`: path, and content (a symlink's target).
fn tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if rel == Path::new(".git") {
                continue;
            } else if meta.is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                out.push((rel, target.as_os_str().as_bytes().to_vec()));
            } else if meta.is_dir() {
                todo.push(path);
            } else {
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// Asserts that `ours` (after untrack) and `theirs` (after git rm) are the same to git.
#[track_caller]
fn assert_same(ours: &TestRepo, theirs: &TestRepo) {
    let ls =
        |r: &TestRepo| String::from_utf8_lossy(&r.git_bytes(&[b"ls-files", b"-s"])).into_owned();
    assert_eq!(ls(ours), ls(theirs), "git ls-files -s");
    let undo = |r: &TestRepo| r.git(&["ls-files", "--resolve-undo"]);
    assert_eq!(undo(ours), undo(theirs), "git ls-files --resolve-undo");
    assert!(
        index_bytes(ours) == index_bytes(theirs),
        "the index files differ"
    );
    // libgit2 verifies the trailer when it loads an index; fsck does too.
    let index = git2::Repository::open(ours.path())
        .unwrap()
        .index()
        .unwrap();
    assert_eq!(index.len(), ls(ours).lines().count());
    ours.git(&["fsck", "--no-dangling", "--no-progress"]);
    let status = |r: &TestRepo| r.git_bytes(&[b"status", b"--porcelain", b"-z"]);
    assert_eq!(status(ours), status(theirs), "git status --porcelain");
    assert_eq!(tree(ours.path()), tree(theirs.path()), "working trees");
}

#[test]
fn matches_git_rm_in_every_index_version() {
    for version in ["2", "3", "3-demoted", "4"] {
        let repo = TestRepo::new();
        let mut forbidden = populate(&repo);
        repo.commit("course");
        // Staged on top of the commit: a new cache, a changed cache, a new ordinary file.
        repo.stage("pkg1/sub1/__pycache__/new.cpython-312.pyc", PYC);
        repo.stage("legacy.pyc", b"changed");
        repo.stage("pkg1/new.py", b"y = 2\n");
        if version.starts_with('3') {
            // `git add -N` needs extended flags: git writes version 3.
            repo.write("late/__pycache__/l.cpython-312.pyc", PYC);
            repo.git(&["add", "-N", "late/__pycache__/l.cpython-312.pyc"]);
            forbidden.push(b"late/__pycache__".to_vec());
            if version == "3" {
                repo.write("notes.txt", b"later\n");
                repo.git(&["add", "-N", "notes.txt"]);
            }
        } else {
            repo.git(&["update-index", "--index-version", version]);
        }
        age(&repo);
        let theirs = repo.copy();

        let run = untrack(&repo);
        let count = |r: &TestRepo| {
            r.git_bytes(&[b"ls-files", b"-z"])
                .split(|&b| b == 0)
                .count()
        };
        let tracked = count(&theirs);
        git_rm(&theirs, &forbidden);
        let removed = tracked - count(&theirs);
        assert!(
            run.stdout.contains(&format!(
                "untracked {removed} paths; the files stay on disk\n"
            )),
            "{}",
            run.stdout
        );
        assert_same(&repo, &theirs);
        // The demotion git does: no entry needs extended flags any more.
        let written = index_bytes(&repo);
        let want = match version {
            "3-demoted" => 2,
            "3" => 3,
            v => v.parse().unwrap(),
        };
        assert_eq!(u32::from_be_bytes(written[4..8].try_into().unwrap()), want);
        assert!(run.stdout.contains("next: git commit -m"), "{}", run.stdout);
        repo.run(&["check", "--all"]).expect(0);
        assert!(
            repo.git(&["ls-files", "01_Basics/__pycache__"])
                .contains("script1.cpython-312.pyc"),
            "the kept folder stays tracked"
        );
    }
}

#[test]
fn reports_every_path_grouped_by_folder() {
    let repo = TestRepo::new();
    populate(&repo);
    let run = untrack(&repo);
    assert!(
        run.stdout
            .starts_with("untracking 29 paths forbidden by the policy, in 17 folders (policy: /")
            && run
                .stdout
                .contains("/pycache-policy.toml):\n  (repository root)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "  pkg0/sub0/__pycache__/ (2 files, forbidden by `__pycache__/`)\n      \
             pkg0/sub0/__pycache__/m0.cpython-311.pyc\n      \
             pkg0/sub0/__pycache__/m0.cpython-312.pyc\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  (repository root) (1 file, forbidden by `*.py[co]`)\n      legacy.pyc\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  \"caf\\351/__pycache__/\" (1 file, forbidden by `__pycache__/`)\n      \"caf\\351/__pycache__/m.cpython-312.pyc\"\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.ends_with(
            // No commit has them: there is nothing to commit about them.
            "untracked 29 paths; the files stay on disk\n\
             the repository has no commits yet: they were only staged, so there is nothing \
             about them to commit\n"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn conflicted_caches_lose_every_stage_and_are_recorded_for_undo() {
    let repo = TestRepo::with_commit();
    repo.stage("pkg/__pycache__/c.cpython-312.pyc", b"base");
    repo.stage("pkg/__pycache__/d.cpython-312.pyc", b"base");
    repo.stage("notes.txt", b"base\n");
    repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.stage("pkg/__pycache__/c.cpython-312.pyc", b"side");
    repo.git(&["rm", "-q", "pkg/__pycache__/d.cpython-312.pyc"]);
    repo.stage("notes.txt", b"side\n");
    repo.commit("side");
    repo.git(&["checkout", "-q", "main"]);
    repo.stage("pkg/__pycache__/c.cpython-312.pyc", b"main");
    repo.stage("pkg/__pycache__/d.cpython-312.pyc", b"main");
    repo.stage("notes.txt", b"main\n");
    repo.commit("main");
    assert_eq!(repo.git_run(&["merge", "-q", "side"]).code, 1);
    // A conflict resolved by hand is already in the resolve-undo extension.
    repo.write("notes.txt", b"resolved\n");
    repo.git(&["add", "notes.txt"]);
    let stages = repo.git(&["ls-files", "-s", "pkg/__pycache__"]);
    assert_eq!(stages.lines().count(), 5, "{stages}");
    age(&repo);
    let theirs = repo.copy();

    let run = untrack(&repo);
    assert!(
        run.stdout.contains(
            "      pkg/__pycache__/c.cpython-312.pyc (merge conflict: 3 stages)\n      \
             pkg/__pycache__/d.cpython-312.pyc (merge conflict: 2 stages)\n"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("untracked 2 paths"), "{}", run.stdout);
    git_rm(&theirs, &[b"pkg/__pycache__".to_vec()]);
    assert_same(&repo, &theirs);
    assert_eq!(repo.git(&["ls-files", "-s", "pkg/__pycache__"]), "");
    assert_eq!(
        repo.git(&["ls-files", "--resolve-undo"]).lines().count(),
        3 + 3 + 2,
        "notes.txt and both caches can be re-conflicted, every stage"
    );
}

#[test]
fn repository_without_a_commit() {
    let repo = TestRepo::new();
    let forbidden = populate(&repo);
    age(&repo);
    let theirs = repo.copy();
    untrack(&repo);
    git_rm(&theirs, &forbidden);
    assert_same(&repo, &theirs);
    repo.run(&["check", "--all"]).expect(0);
}

/// The paths listed under the folders of untrack's output, as printed.
fn listed(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("      "))
        .map(|l| l.split(" (merge conflict").next().unwrap().to_string())
        .collect()
}

#[test]
fn dry_run_changes_nothing_and_shows_what_the_real_run_removes() {
    let repo = TestRepo::new();
    populate(&repo);
    repo.commit("course");
    let index = repo.path().join(".git/index");
    let before = std::fs::read(&index).unwrap();
    let mtime = std::fs::metadata(&index).unwrap().modified().unwrap();
    let tracked_before = repo.git_bytes(&[b"ls-files", b"-z"]);

    let dry = repo.run(&["untrack", "--dry-run", "--verbose"]).expect(0);
    assert!(
        dry.stdout.starts_with("would untrack 29 paths"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.ends_with(
            "dry run: the index was not changed; `pycache-policy untrack` untracks them\n"
        ),
        "{}",
        dry.stdout
    );
    assert_eq!(std::fs::read(&index).unwrap(), before);
    assert_eq!(
        std::fs::metadata(&index).unwrap().modified().unwrap(),
        mtime
    );
    assert!(!repo.path().join(".git/index.lock").exists());

    let real = untrack(&repo);
    assert_eq!(listed(&dry.stdout), listed(&real.stdout));
    let after = repo.git_bytes(&[b"ls-files", b"-z"]);
    let after: Vec<&[u8]> = after.split(|&b| b == 0).collect();
    let mut removed: Vec<String> = tracked_before
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty() && !after.contains(p))
        .map(display_path)
        .collect();
    let mut shown = listed(&dry.stdout);
    removed.sort();
    shown.sort();
    assert_eq!(shown, removed);
}

#[test]
fn an_existing_lock_is_left_alone_and_nothing_changes() {
    let repo = TestRepo::new();
    populate(&repo);
    let index = repo.path().join(".git/index");
    let lock = repo.path().join(".git/index.lock");
    std::fs::write(&lock, b"held by another process\n").unwrap();
    let before = std::fs::read(&index).unwrap();

    let run = repo.run(&["untrack"]).expect(2);
    assert!(
        run.stderr.contains(&format!("{} exists", lock.display()))
            && run.stderr.contains("another git process")
            && run.stderr.contains("remove that file"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "");
    assert_eq!(std::fs::read(&index).unwrap(), before);
    assert_eq!(std::fs::read(&lock).unwrap(), b"held by another process\n");

    // The dry run needs no lock.
    repo.run(&["untrack", "--dry-run"]).expect(0);
    std::fs::remove_file(&lock).unwrap();
    untrack(&repo);
    assert!(!lock.exists());
}

#[test]
fn bare_repository_is_refused_with_a_reason() {
    let repo = TestRepo::with_commit();
    repo.stage("x.pyc", PYC);
    repo.commit("cache");
    let bare = tempfile::tempdir().unwrap();
    let target = bare.path().join("b.git");
    repo.git(&["clone", "-q", "--bare", ".", target.to_str().unwrap()]);
    let run = repo.run_in(&target, &["untrack"]).expect(2);
    assert!(
        run.stderr.contains("is a bare repository: it has no index"),
        "{}",
        run.stderr
    );
    assert!(!target.join("index").exists() && !target.join("index.lock").exists());
}

#[test]
fn git_index_file_is_honoured() {
    let repo = TestRepo::new();
    let forbidden = populate(&repo);
    repo.commit("course");
    age(&repo);
    let alt = |r: &TestRepo| r.path().join(".git/alt-index");
    std::fs::copy(repo.path().join(".git/index"), alt(&repo)).unwrap();
    let theirs = repo.copy();
    let main_index = index_bytes(&repo);

    let run: Run = hermetic(bin())
        .arg("untrack")
        .env("GIT_INDEX_FILE", ".git/alt-index")
        .current_dir(repo.path())
        .output()
        .unwrap()
        .into();
    run.expect(0);
    let mut args: Vec<&[u8]> = vec![b"rm", b"-r", b"-q", b"--cached", b"--"];
    args.extend(forbidden.iter().map(Vec::as_slice));
    let out = hermetic("git")
        .args(args.iter().map(|a| OsStr::from_bytes(a)))
        .env("GIT_INDEX_FILE", ".git/alt-index")
        .current_dir(theirs.path())
        .output()
        .unwrap();
    assert!(out.status.success());

    assert_eq!(
        std::fs::read(alt(&repo)).unwrap(),
        std::fs::read(alt(&theirs)).unwrap()
    );
    assert_eq!(
        index_bytes(&repo),
        main_index,
        "the repository's own index is untouched"
    );
    assert!(!repo.path().join(".git/alt-index.lock").exists());
}

#[test]
fn a_second_run_does_nothing() {
    let repo = TestRepo::new();
    populate(&repo);
    repo.commit("course");
    untrack(&repo);
    let index = repo.path().join(".git/index");
    let before = std::fs::read(&index).unwrap();
    let mtime = std::fs::metadata(&index).unwrap().modified().unwrap();
    let run = untrack(&repo);
    assert!(
        run.stdout
            .starts_with("pycache-policy: nothing to untrack: no tracked path is forbidden"),
        "{}",
        run.stdout
    );
    assert_eq!(std::fs::read(&index).unwrap(), before);
    assert_eq!(
        std::fs::metadata(&index).unwrap().modified().unwrap(),
        mtime
    );
    assert!(!repo.path().join(".git/index.lock").exists());
    repo.run(&["check", "--all"]).expect(0);
    // The removal is staged: committing it leaves nothing forbidden in HEAD.
    repo.commit("Stop tracking Python bytecode caches");
    let head = repo.git(&["ls-tree", "-r", "--name-only", "HEAD"]);
    assert!(!head.contains("pkg0/sub0/__pycache__"), "{head}");
    assert!(head.contains("01_Basics/__pycache__/script1.cpython-312.pyc"));
}

/// A file changed within the second its entry was cached, keeping its size and mtime, is only
/// noticed by git because the entry is racy against the index. The rewritten index is newer,
/// so untrack must smudge such an entry, as git does, or the change would vanish from
/// `git status`.
#[test]
fn racily_clean_entries_stay_noticed() {
    let repo = TestRepo::new();
    repo.git(&["config", "core.trustctime", "false"]);
    repo.write("a.py", b"aaa\n");
    repo.write("x.pyc", PYC);
    let past = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_600_000_000);
    let set_mtime = |rel: &str| {
        let f = std::fs::File::options()
            .write(true)
            .open(repo.path().join(rel))
            .unwrap();
        f.set_modified(past).unwrap();
    };
    set_mtime("a.py");
    repo.git(&["add", "a.py", "x.pyc"]);
    // The index is as old as the entry: racy.
    std::fs::File::options()
        .write(true)
        .open(repo.path().join(".git/index"))
        .unwrap()
        .set_modified(past)
        .unwrap();
    // Same size, same mtime, same inode, new content.
    std::fs::write(repo.path().join("a.py"), b"bbb\n").unwrap();
    set_mtime("a.py");
    assert_eq!(repo.git(&["diff", "--name-only"]), "a.py\n");

    untrack(&repo);
    assert_eq!(repo.git(&["ls-files"]), "a.py\n");
    assert_eq!(repo.git(&["diff", "--name-only"]), "a.py\n");
}

#[test]
fn sparse_index_is_kept_sparse() {
    let repo = TestRepo::new();
    repo.write("inside/m.py", b"");
    repo.write("inside/__pycache__/m.cpython-312.pyc", PYC);
    repo.write("outside/deep/o.py", b"");
    repo.write("root.pyc", PYC);
    repo.git(&["add", "-A"]);
    repo.commit("files");
    repo.git(&[
        "sparse-checkout",
        "set",
        "--cone",
        "--sparse-index",
        "inside",
    ]);
    let sparse = repo.git(&["ls-files", "-s", "--sparse"]);
    assert!(sparse.contains("040000"), "{sparse}");
    let theirs = repo.copy();

    untrack(&repo);
    git_rm(
        &theirs,
        &[b"inside/__pycache__".to_vec(), b"root.pyc".to_vec()],
    );
    let ls = |r: &TestRepo| r.git(&["ls-files", "-s", "--sparse"]);
    assert_eq!(ls(&repo), ls(&theirs));
    assert!(ls(&repo).contains("040000"), "still sparse");
    // The `sdir` marker kept, the cache tree invalidated like git's. (`git fsck` is no judge
    // here: on a sparse index with an invalidated cache tree it fails for git's own index too.)
    assert!(
        index_bytes(&repo) == index_bytes(&theirs),
        "the index files differ"
    );
    assert_eq!(
        repo.git(&["status", "--porcelain"]),
        theirs.git(&["status", "--porcelain"])
    );
}

#[test]
fn a_cache_inside_a_sparse_directory_is_refused() {
    let repo = TestRepo::new();
    repo.write("inside/m.py", b"");
    repo.write("outside/deep/__pycache__/o.cpython-312.pyc", PYC);
    repo.write("root.pyc", PYC);
    repo.git(&["add", "-A"]);
    repo.commit("files");
    repo.git(&[
        "sparse-checkout",
        "set",
        "--cone",
        "--sparse-index",
        "inside",
    ]);
    let before = index_bytes(&repo);
    let run = repo.run(&["untrack"]).expect(2);
    assert!(
        run.stderr.contains(
            "outside/deep/__pycache__/o.cpython-312.pyc is forbidden, but it lies in outside/"
        ) && run.stderr.contains("git sparse-checkout add outside"),
        "{}",
        run.stderr
    );
    assert_eq!(index_bytes(&repo), before);
    assert!(!repo.path().join(".git/index.lock").exists());
}

/// `feature.manyFiles` turns on `index.skipHash`: git writes an all-zero trailer.
#[test]
fn skip_hash_is_honoured() {
    let repo = TestRepo::new();
    repo.git(&["config", "feature.manyFiles", "true"]);
    // manyFiles also turns on the untracked cache, which untrack drops (see below).
    repo.git(&["config", "core.untrackedCache", "false"]);
    let forbidden = populate(&repo);
    repo.commit("course");
    age(&repo);
    assert!(index_bytes(&repo).ends_with(&[0; 20]));
    let theirs = repo.copy();
    untrack(&repo);
    git_rm(&theirs, &forbidden);
    assert!(index_bytes(&repo).ends_with(&[0; 20]));
    assert_same(&repo, &theirs);
}

fn has_extension(repo: &TestRepo, signature: &[u8; 4]) -> bool {
    index_bytes(repo).windows(4).any(|w| w == signature)
}

/// The untracked cache would be stale; it is dropped (git keeps it, invalidated), and git
/// rebuilds it on the next `git status`. Nothing git shows differs.
#[test]
fn the_untracked_cache_is_dropped_and_rebuilt_by_git() {
    let repo = TestRepo::new();
    repo.git(&["config", "core.untrackedCache", "true"]);
    let forbidden = populate(&repo);
    repo.commit("course");
    repo.write("untracked.txt", b"");
    repo.git(&["status", "--porcelain"]);
    assert!(has_extension(&repo, b"UNTR"));
    let theirs = repo.copy();
    untrack(&repo);
    git_rm(&theirs, &forbidden);
    assert!(!has_extension(&repo, b"UNTR"));
    let ls = |r: &TestRepo| r.git_bytes(&[b"ls-files", b"-s"]);
    assert_eq!(ls(&repo), ls(&theirs));
    repo.git(&["fsck", "--no-dangling", "--no-progress"]);
    let status = |r: &TestRepo| r.git_bytes(&[b"status", b"--porcelain", b"-z"]);
    assert_eq!(status(&repo), status(&theirs));
    assert!(has_extension(&repo, b"UNTR"));
}

/// Where `git rm --cached` wants `-f` (staged content that differs from both the file and HEAD)
/// or `--sparse` (an entry outside the sparse checkout), untrack goes ahead: a cache holds
/// nothing worth keeping, anywhere.
#[test]
fn caches_git_rm_would_need_force_or_sparse_for() {
    let repo = TestRepo::with_commit();
    repo.stage("pkg/__pycache__/a.cpython-312.pyc", PYC);
    repo.stage("hidden.pyc", PYC);
    repo.commit("caches");
    repo.stage("pkg/__pycache__/a.cpython-312.pyc", b"staged");
    repo.write("pkg/__pycache__/a.cpython-312.pyc", b"on disk");
    repo.git(&["update-index", "--skip-worktree", "hidden.pyc"]);
    age(&repo);
    let theirs = repo.copy();
    assert_ne!(
        theirs
            .git_run(&["rm", "-q", "--cached", "pkg/__pycache__/a.cpython-312.pyc"])
            .code,
        0,
        "git refuses without -f"
    );

    untrack(&repo);
    theirs.git(&[
        "rm",
        "-r",
        "-q",
        "--cached",
        "-f",
        "--sparse",
        "--",
        "pkg/__pycache__",
        "hidden.pyc",
    ]);
    assert_same(&repo, &theirs);
    assert_eq!(repo.git(&["ls-files"]), "README.md\npkg/mod.py\n");
}

/// The command `check` suggests names a cache folder whole only when nothing in it is kept: a
/// file the policy allows inside a forbidden folder stays tracked after running it.
#[test]
fn the_suggested_command_spares_a_kept_file_in_a_forbidden_folder() {
    let repo = TestRepo::new();
    repo.write(
        "pycache-policy.toml",
        br#"[caches]
forbid = ["__pycache__/", "*.py[co]", "*$py.class"]

[[allow]]
path = "pkg/__pycache__/keep.cpython-312.pyc"
reason = "a fixture"
"#,
    );
    repo.write("pkg/m.py", b"x = 1\n");
    repo.write("pkg/__pycache__/m.cpython-312.pyc", PYC);
    repo.write("pkg/__pycache__/keep.cpython-312.pyc", PYC);
    repo.write("other/__pycache__/m.cpython-312.pyc", PYC);
    repo.git(&["add", "-A"]);
    repo.commit("caches");
    let report = repo
        .run(&["check", "--all", "--format", "json"])
        .expect(1)
        .json();
    let command = report["fix"]["untrack"].as_str().unwrap().to_string();
    assert_eq!(
        command,
        "git rm -r --cached -- other/__pycache__ pkg/__pycache__/m.cpython-312.pyc"
    );
    let args: Vec<&str> = command.split(' ').skip(1).collect();
    repo.git(&args);
    let tracked = repo.git(&["ls-files"]);
    assert!(
        tracked.contains("pkg/__pycache__/keep.cpython-312.pyc"),
        "{tracked}"
    );
    assert!(
        !tracked.contains("pkg/__pycache__/m.cpython-312.pyc"),
        "{tracked}"
    );
    assert!(!tracked.contains("other/__pycache__/"), "{tracked}");
}
