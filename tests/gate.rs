//! The CI gate cannot be talked past by the change it judges: a range is judged by its base
//! side's committed policy, `--tree REV` by REV's own, the staged check by the policy as staged,
//! and a change to the policy is a finding (`policy-changed`). Every repository here is built
//! with real git.

mod common;

use common::{TestRepo, bin, finding_list, hermetic, kept_pyc, warning_list};

const PYC: &[u8] = b"\xcb\r\r\n\0\0\0\0fake bytecode";
const EVIL: &str = "[[allow]]\npath = \"evil/__pycache__/\"\nrequire_readme = false\n";
const CACHE: &str = "evil/__pycache__/x.cpython-312.pyc";

/// `main` with one commit; `pr` branched from it (checked out).
fn base() -> TestRepo {
    let repo = TestRepo::with_commit();
    repo.git(&["checkout", "-q", "-b", "pr"]);
    repo
}

/// The recipe: one commit that allows a folder and adds a cache in it.
fn allow_and_add_in_one_commit() -> TestRepo {
    let repo = base();
    repo.stage("pycache-policy.toml", EVIL.as_bytes());
    repo.write(CACHE, PYC);
    repo.git(&["add", "-f", "."]);
    repo.commit("evil");
    repo
}

fn sha(repo: &TestRepo, rev: &str) -> String {
    repo.git(&["rev-parse", rev]).trim().to_string()
}

#[test]
fn a_range_that_allows_its_own_cache_is_refused() {
    let repo = allow_and_add_in_one_commit();
    let report = repo
        .run(&["check", "--range", "main...pr", "--format", "json"])
        .expect(1)
        .json();
    assert_eq!(
        finding_list(&report),
        [
            format!("tracked-cache {CACHE}"),
            "policy-changed pycache-policy.toml".to_string()
        ]
    );
    let changed = &report["findings"][1]["message"];
    let text = changed.as_str().unwrap();
    assert!(
        text.contains("allow entries added: `evil/__pycache__/`"),
        "{text}"
    );
    assert!(text.contains(&format!("`{CACHE}`")), "{text}");
    // The report says which policy judged: the merge base's, here the built-in defaults.
    assert_eq!(report["policy"], "built-in defaults");

    // Commit by commit, the commit is judged by its parent's policy.
    let report = repo
        .run(&[
            "check",
            "--range",
            "main...pr",
            "--each-commit",
            "--format",
            "json",
        ])
        .expect(1)
        .json();
    assert!(
        finding_list(&report).contains(&format!("tracked-cache {CACHE}")),
        "{report}"
    );
}

#[test]
fn a_trusted_job_can_judge_by_the_head_policy() {
    let repo = allow_and_add_in_one_commit();
    let report = repo
        .run(&[
            "check",
            "--range",
            "main...pr",
            "--policy-from",
            "head",
            "--format",
            "json",
        ])
        .expect(0)
        .json();
    assert_eq!(finding_list(&report), Vec::<String>::new());
    assert_eq!(
        warning_list(&report),
        ["policy-changed pycache-policy.toml"]
    );
    assert_eq!(report["policy"], "pr:pycache-policy.toml");
    // And a job can refuse any change to the policy.
    repo.run(&[
        "check",
        "--range",
        "main...pr",
        "--policy-from",
        "head",
        "--deny",
        "policy-changed",
    ])
    .expect(1);
    // An unknown code is a usage error.
    repo.run(&["check", "--deny", "no-such-code"]).expect(2);
}

#[test]
fn the_ci_gate_reads_the_base_policy_from_a_github_event() {
    let repo = allow_and_add_in_one_commit();
    let dir = tempfile::tempdir().unwrap();
    let event = dir.path().join("event.json");
    let payload = serde_json::json!({
        "number": 7,
        "pull_request": {
            "number": 7,
            "base": { "sha": sha(&repo, "main"), "ref": "main" },
            "head": { "sha": sha(&repo, "pr"), "ref": "pr" },
        }
    });
    std::fs::write(&event, payload.to_string()).unwrap();
    let out = hermetic(bin())
        .args(["check", "--ci", "--format", "json"])
        .env("GITHUB_ACTIONS", "true")
        .env("CI", "true")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", &event)
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        finding_list(&report),
        [
            format!("tracked-cache {CACHE}"),
            "policy-changed pycache-policy.toml".to_string()
        ]
    );
}

#[test]
fn removing_an_allow_entry_is_judged_by_the_wider_base_policy() {
    let repo = TestRepo::with_commit();
    repo.stage("pycache-policy.toml", EVIL.as_bytes());
    repo.write(CACHE, PYC);
    repo.git(&["add", "-f", "."]);
    repo.commit("keep a folder");
    repo.git(&["checkout", "-q", "-b", "pr"]);
    repo.stage("pycache-policy.toml", b"");
    repo.write("evil/__pycache__/y.cpython-312.pyc", PYC);
    repo.git(&["add", "-f", "."]);
    repo.commit("narrow the policy");
    let report = repo
        .run(&["check", "--range", "main...pr", "--format", "json"])
        .expect(0)
        .json();
    assert_eq!(finding_list(&report), Vec::<String>::new());
    assert_eq!(
        warning_list(&report),
        ["policy-changed pycache-policy.toml"]
    );
    let text = report["findings"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        text.contains("allow entries removed: `evil/__pycache__/`"),
        "{text}"
    );
    // Judged by the merge base's policy, named as git names it (`git show ID:FILE`).
    let merge_base = repo.git(&["merge-base", "main", "pr"]);
    assert_eq!(
        report["policy"],
        format!("{}:pycache-policy.toml", &merge_base[..7])
    );
    assert_eq!(
        repo.git(&["show", report["policy"].as_str().unwrap()]),
        String::from_utf8_lossy(EVIL.as_bytes())
    );
}

#[test]
fn each_commit_is_judged_by_its_parents_policy() {
    // Commit 1 allows the folder; commit 2 adds a cache there. Commit by commit, commit 2 is
    // judged by commit 1's policy (which allows it), but the range as a whole still changes the
    // policy in a way that lets the cache in, which fails the gate.
    let repo = base();
    repo.stage("pycache-policy.toml", EVIL.as_bytes());
    repo.commit("allow");
    repo.write(CACHE, PYC);
    repo.git(&["add", "-f", "."]);
    repo.commit("add");
    let report = repo
        .run(&[
            "check",
            "--range",
            "main...pr",
            "--each-commit",
            "--format",
            "json",
        ])
        .expect(1)
        .json();
    assert_eq!(
        finding_list(&report),
        ["policy-changed pycache-policy.toml"]
    );

    // The same cache added in the commit that is judged by the defaults is a tracked cache.
    let repo = base();
    repo.write(CACHE, PYC);
    repo.git(&["add", "-f", "."]);
    repo.commit("add first");
    repo.stage("pycache-policy.toml", EVIL.as_bytes());
    repo.commit("then allow");
    let report = repo
        .run(&[
            "check",
            "--range",
            "main...pr",
            "--each-commit",
            "--format",
            "json",
        ])
        .expect(1)
        .json();
    assert_eq!(
        finding_list(&report),
        [
            format!("tracked-cache {CACHE}"),
            "policy-changed pycache-policy.toml".to_string()
        ]
    );
}

#[test]
fn a_tree_is_judged_by_its_own_committed_policy_not_the_working_trees() {
    let repo = allow_and_add_in_one_commit();
    // The working tree's policy now forbids everything again; REV's own policy allows the cache.
    repo.write("pycache-policy.toml", b"");
    repo.run(&["check", "--tree", "pr"]).expect(0);
    repo.run(&["check", "--tree", "pr", "--policy-from", "worktree"])
        .expect(1);
    repo.run(&["check", "--tree", "main"]).expect(0);
}

/// A kept cache that passes the kept-folder checks: its source and a checked-hash pyc of it.
fn stage_kept_cache(repo: &TestRepo) {
    let source = b"print('kept')\n";
    repo.stage("evil/x.py", source);
    repo.write(CACHE, &kept_pyc(source));
    repo.git(&["add", "-f", CACHE]);
}

#[test]
fn the_hook_uses_the_policy_as_staged() {
    let repo = TestRepo::with_commit();
    repo.stage("pycache-policy.toml", EVIL.as_bytes());
    stage_kept_cache(&repo);
    // Staged: the policy allows the folder.
    repo.run(&["check"]).expect(0);
    // An edit on disk that is not staged does not change what the commit carries.
    repo.write("pycache-policy.toml", b"");
    let report = repo.run(&["check", "--format", "json"]).expect(0).json();
    assert_eq!(report["policy"], ":pycache-policy.toml");
    // Staging the edit does.
    repo.git(&["add", "pycache-policy.toml"]);
    repo.run(&["check"]).expect(1);
}

#[test]
fn an_untracked_policy_file_is_used_and_reported() {
    let repo = TestRepo::with_commit();
    repo.write("pycache-policy.toml", EVIL.as_bytes());
    stage_kept_cache(&repo);
    let report = repo.run(&["check", "--format", "json"]).expect(0).json();
    assert_eq!(
        warning_list(&report),
        ["policy-untracked pycache-policy.toml"]
    );
    let text = report["findings"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.contains("CI will not see it"), "{text}");
    // CI, judging the commit, uses the committed defaults and refuses the cache.
    repo.commit("commit without the policy");
    repo.run(&["check", "--tree", "HEAD"]).expect(1);
}
