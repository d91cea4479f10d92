//! Hostile file systems and policies: races, links, special files and inputs sized to find
//! quadratic code. Each test builds the input, runs the real binary and checks the exit code,
//! the message and that nothing outside the repository changed.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::TestRepo;

const PYC: &[u8] = b"\xcb\r\r\n\0\0\0\0fake bytecode";
const SENTINEL: &[u8] = b"outside the repository: never delete me\n";

/// `dir/__pycache__/m{i}.cpython-312.pyc` and `dir/m{i}.py` for `i < n`, with `pyc` as content.
fn write_modules(dir: &Path, n: usize, pyc: &[u8]) {
    std::fs::create_dir_all(dir.join("__pycache__")).unwrap();
    for i in 0..n {
        std::fs::write(dir.join(format!("m{i}.py")), b"X = 1\n").unwrap();
        std::fs::write(dir.join(format!("__pycache__/m{i}.cpython-312.pyc")), pyc).unwrap();
    }
}

/// Every file below `dir` with its content, sorted.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let t = entry.file_type().unwrap();
            if t.is_dir() {
                stack.push(entry.path());
            } else if t.is_symlink() {
                let target = std::fs::read_link(entry.path()).unwrap();
                out.push((entry.path(), target.into_os_string().into_encoded_bytes()));
            } else if t.is_file() {
                out.push((entry.path(), std::fs::read(entry.path()).unwrap()));
            } else {
                // A FIFO or a socket: reading it could block; its existence is what counts.
                out.push((entry.path(), b"(special file)".to_vec()));
            }
        }
    }
    out.sort();
    out
}

/// Fails naming what differs between two snapshots.
#[track_caller]
fn assert_unchanged(before: &[(PathBuf, Vec<u8>)], after: &[(PathBuf, Vec<u8>)], what: &str) {
    let gone: Vec<_> = before
        .iter()
        .filter(|f| !after.contains(f))
        .map(|f| f.0.display().to_string())
        .collect();
    let new: Vec<_> = after
        .iter()
        .filter(|f| !before.contains(f))
        .map(|f| f.0.display().to_string())
        .collect();
    assert!(
        gone.is_empty() && new.is_empty(),
        "{what}\nremoved or changed: {gone:?}\nadded: {new:?}"
    );
}

/// Exchanges two names atomically (`renameat2(RENAME_EXCHANGE)`).
fn exchange(a: &Path, b: &Path) -> rustix::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE)
}

/// Issue 14 #1: a process swapping a folder of the repository with a symbolic link to a folder
/// outside, over and over while `purge` runs, must never make it delete outside the repository.
/// The folder outside holds files at exactly the paths `purge` plans to remove.
#[test]
fn purge_raced_by_a_symlink_swap_never_deletes_outside() {
    const FILES: usize = 40;
    let rounds: usize = 60;
    let repo = TestRepo::new();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("pkg");
    write_modules(&target, FILES, SENTINEL);
    let before = snapshot(outside.path());
    let pkg = repo.path().join("pkg");
    let link = repo.path().join("swap");
    std::os::unix::fs::symlink(&target, &link).unwrap();

    let swaps = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut outcomes = [0usize; 3];
    for round in 0..rounds {
        if Instant::now() > deadline {
            break;
        }
        // The real folder back in place (between rounds nothing swaps), with its caches.
        if std::fs::symlink_metadata(&pkg).is_ok_and(|m| m.file_type().is_symlink()) {
            exchange(&pkg, &link).unwrap();
        }
        write_modules(&pkg, FILES, PYC);
        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let (stop, swaps) = (Arc::clone(&stop), Arc::clone(&swaps));
            let (pkg, link) = (pkg.clone(), link.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    exchange(&pkg, &link).unwrap();
                    swaps.fetch_add(1, Ordering::Relaxed);
                }
            })
        };
        let run = repo.run(&["purge", "--orphans"]);
        stop.store(true, Ordering::Relaxed);
        swapper.join().unwrap();
        assert_unchanged(
            &before,
            &snapshot(outside.path()),
            &format!(
                "round {round}: purge changed files outside the repository\n{}{}",
                run.stdout, run.stderr
            ),
        );
        // Exit 0, or 2 when a folder it planned in was swapped away (and then it says so).
        assert!(matches!(run.code, 0 | 2), "{run:?}");
        if run.code == 2 {
            assert!(run.stdout.contains("could not remove"), "{run:?}");
        }
        outcomes[run.code.min(2) as usize] += 1;
    }
    assert!(swaps.load(Ordering::Relaxed) > 0);
    eprintln!("outcomes (exit 0, -, 2): {outcomes:?}");
}

/// Runs `pycache-policy ARGS` in `repo`, killed after `limit`: a hang fails the test (with
/// exit code -1) instead of hanging it. Returns the run and how long it took.
fn run_bounded(repo: &TestRepo, args: &[&str], limit: Duration) -> (common::Run, Duration) {
    use std::io::Read as _;
    use std::process::Stdio;
    let start = Instant::now();
    let mut child = common::hermetic(common::bin())
        .args(args)
        .current_dir(repo.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            pipe.read_to_end(&mut out).unwrap();
            String::from_utf8_lossy(&out).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = start.elapsed();
    let mut run = common::Run {
        code: status.and_then(|s| s.code()).unwrap_or(-1),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    if status.is_none() {
        run.stderr.push_str(&format!("\n(killed after {limit:?})"));
    }
    (run, took)
}

/// A repository with a forbidden cache staged, so the built-in defaults would fail the check
/// with exit 1: an exit 2 shows the policy file was not silently replaced by them.
fn repo_with_staged_cache() -> TestRepo {
    let repo = TestRepo::new();
    repo.stage("pkg/m.py", b"X = 1\n");
    repo.stage("pkg/__pycache__/m.cpython-312.pyc", PYC);
    repo
}

/// Issue 14 #3: a policy file that is a dangling symbolic link, a folder or a FIFO is an error
/// naming it (exit 2), never the built-in defaults judging in its place; pyproject.toml too.
#[test]
fn a_policy_file_that_is_not_a_file_is_an_error() {
    type Make = fn(&Path);
    let cases: [(&str, Make, &str); 5] = [
        (
            "pycache-policy.toml",
            |p| std::os::unix::fs::symlink("gone.toml", p).unwrap(),
            "it is a symbolic link to `gone.toml` that leads nowhere (a dangling link)",
        ),
        (
            "pycache-policy.toml",
            |p| std::fs::create_dir(p).unwrap(),
            "it is a folder, not a regular file",
        ),
        (
            "pycache-policy.toml",
            |p| {
                rustix::fs::mkfifoat(rustix::fs::CWD, p, rustix::fs::Mode::from_raw_mode(0o600))
                    .unwrap()
            },
            "it is a FIFO (named pipe), not a regular file",
        ),
        (
            "pyproject.toml",
            |p| std::fs::create_dir(p).unwrap(),
            "it is a folder, not a regular file",
        ),
        (
            "pyproject.toml",
            |p| std::os::unix::fs::symlink("/nonexistent/pyproject.toml", p).unwrap(),
            "a symbolic link to `/nonexistent/pyproject.toml` that leads nowhere",
        ),
    ];
    for (name, make, why) in cases {
        let repo = repo_with_staged_cache();
        let file = repo.path().join(name);
        make(&file);
        let (run, _) = run_bounded(&repo, &["check"], Duration::from_secs(20));
        assert_eq!(run.code, 2, "{name}: {why}\n{run:?}");
        let want = format!("{}: cannot read the policy file: ", file.display());
        assert!(
            run.stderr.contains(&want) && run.stderr.contains(why),
            "{name}: want `{want}{why}` in\n{}",
            run.stderr
        );
    }
    // A symbolic link to a regular policy file is read.
    let repo = repo_with_staged_cache();
    repo.write("policies/p.toml", b"[caches]\nforbid = [\"*.nothing\"]\n");
    std::os::unix::fs::symlink("policies/p.toml", repo.path().join("pycache-policy.toml")).unwrap();
    repo.run(&["check"]).expect(0);
}

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(path);
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        path,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
}

/// Issue 14 #13: a FIFO (or a socket, a folder) where git reads ignore rules made `gitignore`
/// wait forever for a writer. It is refused with exit 2 naming the file, and nothing changes.
#[test]
fn a_rule_file_that_is_a_fifo_is_refused_without_blocking() {
    for rel in [".gitignore", "sub/.gitignore", ".git/info/exclude"] {
        for args in [&["gitignore", "--dry-run"][..], &["gitignore"]] {
            let repo = TestRepo::with_commit();
            repo.write("sub/m.py", b"");
            let fifo = repo.path().join(rel);
            mkfifo(&fifo);
            let before = snapshot(repo.path());
            let (run, took) = run_bounded(&repo, args, Duration::from_secs(20));
            assert_eq!(run.code, 2, "{rel} {args:?} ({took:?})\n{run:?}");
            let want = format!(
                "{} is a FIFO (named pipe), not a regular file, so its ignore rules cannot be read",
                fifo.display()
            );
            assert!(
                run.stderr.contains(&want),
                "{rel} {args:?}: want `{want}` in\n{}",
                run.stderr
            );
            assert!(
                run.stderr.contains("replace it with a regular file"),
                "{}",
                run.stderr
            );
            assert_unchanged(&before, &snapshot(repo.path()), &format!("{rel} {args:?}"));
        }
    }
    // A folder named .gitignore is refused the same way.
    let repo = TestRepo::with_commit();
    std::fs::create_dir(repo.path().join(".gitignore")).unwrap();
    let run = repo.run(&["gitignore"]).expect(2);
    assert!(
        run.stderr.contains("is a folder, not a regular file"),
        "{}",
        run.stderr
    );
}

/// The check reads the same files; with a FIFO among them it answers at once, and since it
/// could not read those rules, it has no verdict (exit 2), never a pass.
#[test]
fn check_with_a_fifo_rule_file_does_not_block() {
    for rel in [".gitignore", "sub/.gitignore", ".git/info/exclude"] {
        let repo = repo_with_staged_cache();
        repo.stage("sub/.gitignore", b"*.log\n");
        std::fs::remove_file(repo.path().join("sub/.gitignore")).unwrap();
        mkfifo(&repo.path().join(rel));
        let (run, took) = run_bounded(&repo, &["check", "--all"], Duration::from_secs(20));
        assert_eq!(run.code, 2, "{rel} ({took:?})\n{run:?}");
        assert!(run.stderr.contains("FIFO"), "{rel}: {}", run.stderr);
    }
}

/// Issue 14 #12, a policy as a denial of service: each input below took seconds (quadratic
/// work) and takes milliseconds now. The bound is generous, for a loaded machine; the
/// quadratic code took 2-15 s here.
const POLICY_TIME_LIMIT: Duration = Duration::from_secs(5);

#[test]
fn a_20000_character_forbid_pattern_is_checked_in_linear_time() {
    for pattern in [
        "x".repeat(20_000),
        format!("{}{}", "x".repeat(10_000), "?".repeat(10_000)),
    ] {
        let repo = repo_with_staged_cache();
        repo.write(
            "pycache-policy.toml",
            format!("[caches]\nforbid = [\"__pycache__/\", \"{pattern}\"]\n").as_bytes(),
        );
        let (run, took) = run_bounded(&repo, &["check"], POLICY_TIME_LIMIT * 4);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(took < POLICY_TIME_LIMIT, "took {took:?}");
    }
}

#[test]
fn sixty_thousand_policy_problems_are_reported_in_linear_time() {
    let repo = repo_with_staged_cache();
    let items = vec!["1"; 60_000].join(",\n");
    repo.write(
        "pycache-policy.toml",
        format!("[caches]\nforbid = [\n{items}]\n").as_bytes(),
    );
    let (run, took) = run_bounded(&repo, &["check"], POLICY_TIME_LIMIT * 4);
    assert_eq!(run.code, 2, "{}", &run.stderr[..500.min(run.stderr.len())]);
    assert!(
        run.stderr.contains("(60000 problems)"),
        "{}",
        &run.stderr[..300]
    );
    // The last one, with its position.
    assert!(
        run.stderr
            .contains(":60002:1: `caches.forbid[]` must be a string, found integer"),
        "{}",
        &run.stderr[run.stderr.len() - 300..]
    );
    assert!(took < POLICY_TIME_LIMIT, "took {took:?}");
}

#[test]
fn a_thousand_allow_entries_plan_the_gitignore_block_in_linear_time() {
    let repo = TestRepo::with_commit();
    let mut policy = String::from("[caches]\nforbid = [\"__pycache__/\", \"lessons/\"]\n");
    for i in 0..1000 {
        policy.push_str(&format!(
            "[[allow]]\npath = \"lessons/l{i}/__pycache__/\"\nrequire_readme = false\n"
        ));
    }
    repo.write("pycache-policy.toml", policy.as_bytes());
    let (run, took) = run_bounded(&repo, &["gitignore", "--dry-run"], POLICY_TIME_LIMIT * 4);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Each kept folder's parent is excluded by `lessons/`, so it is re-included first.
    assert!(
        run.stdout.contains("+!/lessons/\n+/lessons/*\n"),
        "{}",
        &run.stdout[..2000]
    );
    assert!(run.stdout.contains("+!/lessons/l999/__pycache__/**\n"));
    assert!(took < POLICY_TIME_LIMIT, "took {took:?}");
}

/// Issue 14 #14: the suggested `git rm` command quoted odd names as `$'nl\012name'`, which only
/// bash reads. It is POSIX-shell quoting now: `sh` (dash here) runs it and untracks them.
#[test]
fn the_suggested_git_rm_runs_under_a_posix_sh() {
    use std::os::unix::ffi::OsStrExt as _;
    let repo = TestRepo::new();
    let names: [&[u8]; 4] = [
        b"nl\nname/__pycache__/m.cpython-312.pyc",
        b"caf\xe9/__pycache__/m.cpython-312.pyc",
        b"it's \x1b[31m/__pycache__/m.cpython-312.pyc",
        b"trailing\n/__pycache__/m.cpython-312.pyc",
    ];
    for name in names {
        let path = repo.path().join(std::ffi::OsStr::from_bytes(name));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, PYC).unwrap();
    }
    repo.git(&["add", "."]);
    let report = repo.run(&["check", "--format", "json"]).expect(1).json();
    let fix = report["fix"]["untrack"].as_str().unwrap().to_string();
    assert!(!fix.contains("$'"), "{fix}");
    assert!(
        !fix.contains('\x1b'),
        "no raw escape reaches the terminal: {fix:?}"
    );
    let out = common::hermetic("sh")
        .args(["-c", &fix])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{fix:?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    repo.run(&["check"]).expect(0);
}
