//! The revisions and merge bases `check --range` judges, against real git: the merge base of
//! `BASE...HEAD` (found by this crate's own walk when there is exactly one, by libgit2 when
//! there are several) and the commits that refs, tags and full ids name. Histories with merges,
//! criss-cross merges and committer dates out of order (clock skew) are built with `git`.

mod common;

use common::TestRepo;

/// A history over the branches `b0`..`b3`: commits whose committer dates jump back and forth,
/// and merges between the branches, chosen by a fixed pseudo-random sequence from `seed`.
fn tangled(seed: u64) -> TestRepo {
    let repo = TestRepo::new();
    repo.stage("start.txt", b"start\n");
    repo.commit_at("start", 0);
    for b in 0..4 {
        repo.git(&["branch", &format!("b{b}")]);
    }
    let mut state = seed;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    for step in 0..40u32 {
        let branch = format!("b{}", next(4));
        repo.git(&["checkout", "-q", &branch]);
        // Dates out of order: a commit may claim to be older than its parent.
        let minute = 10 + (next(60) as u32);
        if next(3) == 0 {
            let other = format!("b{}", next(4));
            if other != branch {
                let date = format!("@{} +0000", 1_700_000_000 + minute * 60);
                let run = common::hermetic("git")
                    .args(["merge", "-q", "--no-edit", "--no-ff", "-s", "ours", &other])
                    .env("GIT_AUTHOR_DATE", &date)
                    .env("GIT_COMMITTER_DATE", &date)
                    .current_dir(repo.path())
                    .status()
                    .unwrap();
                assert!(run.success());
                continue;
            }
        }
        repo.stage(
            &format!("{branch}/f{step}.txt"),
            format!("{step}\n").as_bytes(),
        );
        repo.commit_at(&format!("step {step}"), minute);
    }
    repo
}

/// The merge base our range reports, and the commits it resolved `base` and `head` to.
fn ours(repo: &TestRepo, spec: &str) -> (String, String, String) {
    let run = repo.run(&["check", "--range", spec, "--format", "json"]);
    assert!(run.code == 0 || run.code == 1, "{spec}: {}", run.stderr);
    let report = run.json();
    let field = |name: &str| report["range"][name].as_str().unwrap_or("").to_string();
    (field("merge_base"), field("base"), field("head"))
}

#[test]
fn merge_bases_agree_with_git_merge_base() {
    let mut several = 0;
    for seed in [1, 7, 42, 1234] {
        let repo = tangled(seed);
        for a in 0..4 {
            for b in 0..4 {
                let (a, b) = (format!("b{a}"), format!("b{b}"));
                let all = repo.git(&["merge-base", "--all", &a, &b]);
                let all: Vec<&str> = all.lines().collect();
                let (merge_base, _, _) = ours(&repo, &format!("{a}...{b}"));
                assert!(
                    all.contains(&merge_base.as_str()),
                    "seed {seed}, {a}...{b}: ours {merge_base}, git {all:?}"
                );
                if all.len() > 1 {
                    several += 1;
                }
            }
        }
    }
    // The histories include criss-cross merges (several merge bases), where libgit2 decides.
    assert!(several > 0);
}

#[test]
fn revisions_resolve_as_git_rev_parse() {
    let repo = tangled(3);
    repo.git(&["checkout", "-q", "b1"]);
    repo.git(&["tag", "light", "b2"]);
    repo.git(&["tag", "-a", "-m", "annotated", "annotated", "b3"]);
    repo.git(&["tag", "-a", "-m", "nested", "nested", "annotated"]);
    let b0 = repo.git(&["rev-parse", "b0"]).trim().to_string();
    for (base, head) in [
        ("b0", "b1"),
        ("light", "annotated"),
        ("nested", "HEAD"),
        (b0.as_str(), "b2~2"),
        ("refs/heads/b3", "heads/b1"),
        ("b1^2", "HEAD"),
    ] {
        let want = |rev: &str| {
            let run = repo.git_run(&["rev-parse", "--verify", "-q", &format!("{rev}^{{commit}}")]);
            run.stdout.trim().to_string()
        };
        if want(base).is_empty() || want(head).is_empty() {
            continue; // `b1^2` when b1's tip is no merge
        }
        for spec in [format!("{base}...{head}"), format!("{base}..{head}")] {
            let (merge_base, b, h) = ours(&repo, &spec);
            assert_eq!(
                (b.as_str(), h.as_str()),
                (want(base).as_str(), want(head).as_str()),
                "{spec}"
            );
            if spec.contains("...") {
                let all = repo.git(&["merge-base", "--all", base, head]);
                assert!(
                    all.lines().any(|l| l == merge_base),
                    "{spec}: {merge_base} not in {all}"
                );
            }
        }
    }
}
