//! `check --ci` and the integrations, used the way their users use them: the binary under a
//! simulated GitHub Actions or GitLab CI environment (event payload, variables, job summary
//! file), the steps of `action.yml` run one after the other as the runner runs a composite
//! action, and the README's workflow snippets.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{Run, TestRepo, bin, hermetic};
use yaml_rust2::{Yaml, YamlLoader};

const PYC: &[u8] = b"\xcb\r\r\n\0\0\0\0fake bytecode";

/// A repository with `main` and a branch `topic` one commit ahead, which adds `paths`.
fn pull_request(paths: &[&str]) -> TestRepo {
    let repo = TestRepo::with_commit();
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.stage("pkg/feature.py", b"");
    for p in paths {
        repo.stage(p, PYC);
    }
    repo.commit("the pull request");
    repo
}

fn sha(repo: &TestRepo, rev: &str) -> String {
    repo.git(&["rev-parse", rev]).trim().to_string()
}

/// A simulated GitHub Actions job: the event payload file, the summary file, the temp dir.
struct GithubJob {
    dir: tempfile::TempDir,
    event: String,
}

impl GithubJob {
    fn new(event: &str, payload: serde_json::Value) -> GithubJob {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("event.json"), payload.to_string()).unwrap();
        std::fs::write(dir.path().join("summary.md"), "").unwrap();
        std::fs::write(dir.path().join("path.txt"), "").unwrap();
        std::fs::create_dir(dir.path().join("runner-temp")).unwrap();
        GithubJob {
            dir,
            event: event.to_string(),
        }
    }

    fn pull_request(repo: &TestRepo) -> GithubJob {
        GithubJob::new(
            "pull_request",
            serde_json::json!({
                "number": 5,
                "pull_request": {
                    "number": 5,
                    "base": { "sha": sha(repo, "main"), "ref": "main" },
                    "head": { "sha": sha(repo, "topic"), "ref": "topic" },
                }
            }),
        )
    }

    /// The variables the runner sets for every step.
    fn env(&self, cmd: &mut Command) {
        cmd.env("GITHUB_ACTIONS", "true")
            .env("CI", "true")
            .env("GITHUB_EVENT_NAME", &self.event)
            .env("GITHUB_EVENT_PATH", self.dir.path().join("event.json"))
            .env("GITHUB_STEP_SUMMARY", self.dir.path().join("summary.md"))
            .env("GITHUB_PATH", self.dir.path().join("path.txt"))
            .env("RUNNER_TEMP", self.dir.path().join("runner-temp"));
    }

    fn summary(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("summary.md")).unwrap()
    }

    /// Runs the binary in `dir` as a step of this job.
    fn run(&self, dir: &Path, args: &[&str]) -> Run {
        let mut cmd = hermetic(bin());
        self.env(&mut cmd);
        cmd.args(args).current_dir(dir).output().unwrap().into()
    }
}

#[test]
fn github_pull_request_with_a_cache_fails_with_annotations_and_a_summary() {
    let repo = pull_request(&["pkg/__pycache__/feature.cpython-312.pyc"]);
    let job = GithubJob::pull_request(&repo);
    let run = job
        .run(
            repo.path(),
            &["check", "--ci", "--each-commit", "--format", "github"],
        )
        .expect(1);
    assert!(
        run.stdout.starts_with(
            "::error file=pkg/__pycache__/feature.cpython-312.pyc,title=pycache-policy \
             tracked-cache::Python bytecode cache added or changed by commit "
        ),
        "{}",
        run.stdout
    );
    let (main, topic) = (sha(&repo, "main"), sha(&repo, "topic"));
    assert!(
        run.stderr.contains(&format!(
            "pycache-policy: GitHub Actions pull_request: pull request #5 (topic into main): \
             judging {main}...{topic} (pull_request.base.sha...pull_request.head.sha)"
        )),
        "{}",
        run.stderr
    );
    let summary = job.summary();
    assert!(
        summary.starts_with("### pycache-policy: 1 error (0 warnings)\n"),
        "{summary}"
    );
    assert!(
        summary.contains("| error | `tracked-cache` | `pkg/__pycache__/feature.cpython-312.pyc` |"),
        "{summary}"
    );
    assert!(
        summary.contains("(GitHub Actions pull_request: pull request #5 (topic into main))"),
        "{summary}"
    );
}

#[test]
fn github_clean_pull_request_passes() {
    let repo = pull_request(&[]);
    let job = GithubJob::pull_request(&repo);
    let run = job
        .run(repo.path(), &["check", "--ci", "--format", "github"])
        .expect(0);
    assert!(!run.stdout.contains("::error"), "{}", run.stdout);
    assert!(
        job.summary().starts_with(&format!(
            "### pycache-policy: no forbidden caches added by {}...{}\n",
            sha(&repo, "main"),
            sha(&repo, "topic")
        )),
        "{}",
        job.summary()
    );
}

#[test]
fn github_events_without_a_range_fail_closed() {
    let repo = pull_request(&["x.pyc"]);
    let zero = "0".repeat(40);
    for (event, payload, says) in [
        (
            "push",
            serde_json::json!({"ref": "refs/heads/topic", "before": zero, "after": sha(&repo, "topic")}),
            "created refs/heads/topic",
        ),
        (
            "workflow_dispatch",
            serde_json::json!({}),
            "has no base commit",
        ),
        (
            "pull_request",
            serde_json::json!({"pull_request": {"head": {"sha": "x"}}}),
            "no `pull_request.base.sha`",
        ),
    ] {
        let job = GithubJob::new(event, payload);
        let run = job
            .run(repo.path(), &["check", "--ci", "--format", "github"])
            .expect(2);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(run.stderr.contains(says), "{event}: {}", run.stderr);
        assert!(
            job.summary()
                .starts_with("### pycache-policy: could not run"),
            "{}",
            job.summary()
        );
    }
    // A push with a "before" judges before..after.
    let job = GithubJob::new(
        "push",
        serde_json::json!({"ref": "refs/heads/topic", "before": sha(&repo, "main"),
                           "after": sha(&repo, "topic")}),
    );
    let run = job.run(repo.path(), &["check", "--ci"]).expect(1);
    assert!(
        run.stderr.contains("push to refs/heads/topic"),
        "{}",
        run.stderr
    );
    // Not a CI system at all.
    let run = repo.run(&["check", "--ci"]).expect(2);
    assert!(run.stderr.contains("--range BASE...HEAD"), "{}", run.stderr);
}

#[test]
fn github_shallow_checkout_fails_closed_with_the_fix() {
    let repo = pull_request(&["pkg/__pycache__/x.cpython-312.pyc"]);
    let job = GithubJob::pull_request(&repo);
    // actions/checkout's default: one commit of the head, no base.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    let status = hermetic("git")
        .args([
            "clone", "-q", "--depth", "1", "--branch", "topic", &url, "c",
        ])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let run = job
        .run(&dir.path().join("c"), &["check", "--ci", "--each-commit"])
        .expect(2);
    assert!(
        run.stderr.contains(&format!(
            "unknown revision `{}` (from pull_request.base.sha): this is a shallow clone",
            sha(&repo, "main")
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("`fetch-depth: 0`"), "{}", run.stderr);
    assert!(
        job.summary().contains("fetch-depth: 0"),
        "{}",
        job.summary()
    );
}

/// Runs `script` as GitLab's runner runs a job's `script:` lines (each must succeed) with a
/// merge request pipeline's variables.
fn gitlab_mr(repo: &TestRepo, script: &[String]) -> Run {
    let mut cmd = hermetic("bash");
    cmd.arg("-eo")
        .arg("pipefail")
        .arg("-c")
        .arg(script.join("\n"))
        .current_dir(repo.path())
        .env("GITLAB_CI", "true")
        .env("CI", "true")
        .env("CI_PIPELINE_SOURCE", "merge_request_event")
        .env("CI_MERGE_REQUEST_IID", "9")
        .env("CI_MERGE_REQUEST_DIFF_BASE_SHA", sha(repo, "main"))
        .env("CI_COMMIT_SHA", sha(repo, "topic"))
        .env("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "topic")
        .env("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main");
    cmd.output().unwrap().into()
}

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The README's fenced YAML block that contains `marker`, parsed.
fn readme_yaml(marker: &str) -> Yaml {
    let text = readme();
    let block = text
        .split("```yaml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .find(|b| b.contains(marker))
        .unwrap_or_else(|| panic!("no yaml block with {marker} in the README"));
    YamlLoader::load_from_str(block).unwrap().remove(0)
}

#[test]
fn readme_gitlab_job_fails_a_bad_merge_request_and_reports_junit() {
    let job = readme_yaml("CI_PIPELINE_SOURCE");
    let job = &job["pycache-policy"];
    assert_eq!(job["variables"]["GIT_DEPTH"].as_str(), Some("0"));
    assert_eq!(
        job["artifacts"]["reports"]["junit"].as_str(),
        Some("pycache-policy.xml")
    );
    // The lines that run the tool (the install line is the user's business).
    let script: Vec<String> = job["script"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .filter(|l| l.starts_with("pycache-policy "))
        .collect();
    assert_eq!(script.len(), 2, "{script:?}");

    let bad = pull_request(&["pkg/__pycache__/feature.cpython-312.pyc"]);
    let run = gitlab_mr(&bad, &script);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("GitLab CI merge_request_event: merge request !9 (topic into main)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains(
            "      pkg/__pycache__/feature.cpython-312.pyc (forbidden by `__pycache__/`)"
        ),
        "{}",
        run.stdout
    );
    let junit = std::fs::read_to_string(bad.path().join("pycache-policy.xml")).unwrap();
    assert!(
        junit.contains("name=\"pkg/__pycache__/feature.cpython-312.pyc @ "),
        "{junit}"
    );
    assert!(junit.contains("<failure type=\"tracked-cache\""), "{junit}");

    let good = pull_request(&[]);
    let run = gitlab_mr(&good, &script);
    assert_eq!(run.code, 0, "{run:?}");
    let junit = std::fs::read_to_string(good.path().join("pycache-policy.xml")).unwrap();
    assert!(junit.contains("failures=\"0\""), "{junit}");
}

// ------------------------------------------------------------------ the GitHub Action

fn action() -> (String, Yaml) {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml")).unwrap();
    let yaml = YamlLoader::load_from_str(&text).unwrap().remove(0);
    (text, yaml)
}

fn inputs(action: &Yaml) -> BTreeMap<String, String> {
    action["inputs"]
        .as_hash()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().unwrap().to_string(),
                v["default"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Replaces the `${{ ... }}` expressions the action uses; any other one fails the test.
fn expand(text: &str, inputs: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("unclosed expression") + start;
        let expr = rest[start + 3..end].trim();
        let value = match expr.strip_prefix("inputs.") {
            Some(name) => inputs
                .get(name)
                .unwrap_or_else(|| panic!("action.yml uses undeclared input `{name}`"))
                .clone(),
            None if expr == "github.action_path" => env!("CARGO_MANIFEST_DIR").to_string(),
            None => panic!("action.yml uses an expression the test does not know: {expr}"),
        };
        out.push_str(&value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Runs the composite action's steps as the runner does: each `run` with `bash --noprofile
/// --norc -eo pipefail`, its `env` and `working-directory`, in the workspace; what a step
/// appends to `$GITHUB_PATH` is on `PATH` for the steps after it. Stops at the first failing
/// step and returns what it did.
fn run_action(job: &GithubJob, workspace: &Path, overrides: &[(&str, &str)], path: &str) -> Run {
    let (_, action) = action();
    let mut inputs = inputs(&action);
    for (k, v) in overrides {
        inputs.insert(k.to_string(), v.to_string());
    }
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let mut path = path.to_string();
    let mut all = Run {
        code: 0,
        stdout: String::new(),
        stderr: String::new(),
    };
    for (i, step) in action["runs"]["steps"].as_vec().unwrap().iter().enumerate() {
        assert_eq!(step["shell"].as_str(), Some("bash"), "step {i}");
        let script = expand(step["run"].as_str().unwrap(), &inputs);
        let file = job.dir.path().join(format!("step{i}.sh"));
        std::fs::write(&file, script).unwrap();
        let dir = match step["working-directory"].as_str() {
            Some(d) => workspace.join(expand(d, &inputs)),
            None => workspace.to_path_buf(),
        };
        let mut cmd = hermetic("bash");
        job.env(&mut cmd);
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&file)
            .current_dir(dir)
            .env("GITHUB_WORKSPACE", workspace);
        if let Some(env) = step["env"].as_hash() {
            for (k, v) in env {
                cmd.env(k.as_str().unwrap(), expand(v.as_str().unwrap(), &inputs));
            }
        }
        let added = std::fs::read_to_string(job.dir.path().join("path.txt")).unwrap();
        for dir in added.lines() {
            path = format!("{dir}:{path}");
        }
        cmd.env("PATH", &path);
        let run: Run = cmd.output().unwrap().into();
        all.stdout.push_str(&run.stdout);
        all.stderr.push_str(&run.stderr);
        if run.code != 0 {
            all.code = run.code;
            return all;
        }
    }
    all
}

fn bin_path() -> String {
    common::path_with_bin().into_string().unwrap()
}

#[test]
fn action_declares_what_it_uses() {
    let (text, action) = action();
    let inputs = inputs(&action);
    // Every input it reads is declared, every declared one is read.
    for name in inputs.keys() {
        assert!(
            text.contains(&format!("${{{{ inputs.{name} }}}}")),
            "input `{name}` is declared but never used"
        );
    }
    expand(&text, &inputs);
    assert!(action["name"].as_str().is_some());
    assert!(action["description"].as_str().is_some());
    // The README's workflow uses the action with inputs it has, after a full checkout.
    let workflow = readme_yaml("actions/checkout");
    let steps = workflow["jobs"]["pycache-policy"]["steps"]
        .as_vec()
        .unwrap();
    assert!(
        steps[0]["uses"]
            .as_str()
            .unwrap()
            .starts_with("actions/checkout@")
    );
    assert_eq!(steps[0]["with"]["fetch-depth"].as_i64(), Some(0));
    let ours = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.contains("/pycache-policy@"))
        })
        .expect("the workflow uses the action");
    if let Some(with) = ours["with"].as_hash() {
        for k in with.keys() {
            assert!(inputs.contains_key(k.as_str().unwrap()), "{k:?}");
        }
    }
    let on = &workflow["on"];
    assert!(
        on.as_vec()
            .is_some_and(|v| v.iter().any(|e| e.as_str() == Some("pull_request"))),
        "{on:?}"
    );
}

#[test]
fn action_fails_a_pull_request_that_adds_a_cache_and_passes_a_clean_one() {
    let bad = pull_request(&["pkg/__pycache__/feature.cpython-312.pyc"]);
    let job = GithubJob::pull_request(&bad);
    let run = run_action(&job, bad.path(), &[], &bin_path());
    assert_eq!(run.code, 1, "{run:?}");
    // The install step found this very version on PATH.
    assert!(run.stdout.contains("using "), "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "::error file=pkg/__pycache__/feature.cpython-312.pyc,title=pycache-policy tracked-cache::"
        ),
        "{}",
        run.stdout
    );
    assert!(job.summary().contains("1 error"), "{}", job.summary());

    let good = pull_request(&[]);
    let job = GithubJob::pull_request(&good);
    let run = run_action(&job, good.path(), &[], &bin_path());
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("::error"), "{}", run.stdout);

    // Inputs reach the command: without each-commit, a cache added and deleted again passes.
    let repo = pull_request(&["gone/__pycache__/g.cpython-312.pyc"]);
    repo.git(&["rm", "-r", "-q", "--cached", "gone"]);
    repo.commit("untrack it again");
    let job = GithubJob::pull_request(&repo);
    assert_eq!(run_action(&job, repo.path(), &[], &bin_path()).code, 1);
    let run = run_action(
        &job,
        repo.path(),
        &[("each-commit", "false"), ("format", "json")],
        &bin_path(),
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout.contains("\"scope\": \"range\""),
        "{}",
        run.stdout
    );
}

#[test]
fn action_builds_the_tool_when_path_has_another_version() {
    let repo = pull_request(&["x.pyc"]);
    let job = GithubJob::pull_request(&repo);
    // A stale pycache-policy on PATH, and a `cargo` that records how it is called and installs
    // the binary under test where `--root` says.
    let fakes = tempfile::tempdir().unwrap();
    let log = fakes.path().join("cargo.log");
    let write_exe = |name: &str, body: String| {
        use std::os::unix::fs::PermissionsExt as _;
        let p = fakes.path().join(name);
        std::fs::write(&p, body).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    write_exe(
        "pycache-policy",
        "#!/bin/sh\necho 'pycache-policy 0.0.0'\n".to_string(),
    );
    write_exe(
        "cargo",
        format!(
            "#!/bin/sh\necho \"$@\" > '{log}'\nwhile [ \"$1\" != --root ]; do shift; done\n\
             mkdir -p \"$2/bin\" && ln -s '{bin}' \"$2/bin/pycache-policy\"\n",
            log = log.display(),
            bin = bin().display()
        ),
    );
    let path = format!(
        "{}:{}",
        fakes.path().display(),
        std::env::var("PATH").unwrap()
    );
    let run = run_action(&job, repo.path(), &[], &path);
    assert_eq!(run.code, 1, "{run:?}");
    let root = job.dir.path().join("runner-temp/pycache-policy");
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().trim(),
        format!(
            "install --locked --quiet --path {} --root {}",
            env!("CARGO_MANIFEST_DIR"),
            root.display()
        )
    );
    assert!(run.stdout.contains("::error file=x.pyc,"), "{}", run.stdout);
    let added = std::fs::read_to_string(job.dir.path().join("path.txt")).unwrap();
    assert_eq!(added.trim(), root.join("bin").display().to_string());
}

#[test]
fn action_without_history_fails_closed() {
    let repo = pull_request(&["x.pyc"]);
    let job = GithubJob::pull_request(&repo);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    let status = hermetic("git")
        .args([
            "clone", "-q", "--depth", "1", "--branch", "topic", &url, "ws",
        ])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(status.success());
    let run = run_action(&job, &dir.path().join("ws"), &[], &bin_path());
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("fetch-depth: 0"), "{}", run.stderr);
}

/// action.yml, and the README's workflow and GitLab job, against the schemas GitHub and GitLab
/// publish (as vendored by `check-jsonschema`).
#[test]
fn action_and_readme_snippets_match_the_published_schemas() {
    let check_jsonschema = common::tools::tool("check-jsonschema");
    let dir = tempfile::tempdir().unwrap();
    let text = readme();
    let block = |marker: &str| {
        text.split("```yaml\n")
            .skip(1)
            .map(|b| b.split("```").next().unwrap())
            .find(|b| b.contains(marker))
            .unwrap()
            .to_string()
    };
    let workflow = dir.path().join("workflow.yml");
    std::fs::write(&workflow, block("actions/checkout")).unwrap();
    let gitlab = dir.path().join(".gitlab-ci.yml");
    std::fs::write(&gitlab, block("CI_PIPELINE_SOURCE")).unwrap();
    let action = Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml");
    for (schema, file) in [
        ("vendor.github-actions", action.as_path()),
        ("vendor.github-workflows", workflow.as_path()),
        ("vendor.gitlab-ci", gitlab.as_path()),
    ] {
        let out = Command::new(&check_jsonschema)
            .args(["--builtin-schema", schema])
            .arg(file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{schema}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The README's code-scanning step: its `run` line, run as a step of a pull request's job,
/// writes a SARIF file (the one the upload step names) that the schema accepts.
#[test]
fn readme_sarif_step_writes_valid_sarif() {
    let text = readme();
    let block = text
        .split("```yaml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .find(|b| b.contains("upload-sarif"))
        .unwrap();
    let steps = YamlLoader::load_from_str(block).unwrap().remove(0);
    let steps = steps.as_vec().unwrap();
    let run = steps[0]["run"].as_str().unwrap();
    let file = steps[1]["with"]["sarif_file"].as_str().unwrap();
    assert!(
        steps[1]["uses"]
            .as_str()
            .unwrap()
            .starts_with("github/codeql-action/upload-sarif@")
    );

    let repo = pull_request(&["pkg/__pycache__/feature.cpython-312.pyc"]);
    let job = GithubJob::pull_request(&repo);
    let mut cmd = hermetic("bash");
    job.env(&mut cmd);
    let out = cmd
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", run])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let sarif = repo.path().join(file);
    let python = common::tools::python(&["jsonschema"]);
    let schema =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif/sarif-schema-2.1.0.json");
    let check = hermetic(python)
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1])); doc = json.load(open(sys.argv[2]))\n\
             jsonschema.validators.validator_for(schema)(schema).validate(doc)\n\
             print([r['locations'][0]['physicalLocation']['artifactLocation']['uri'] \
             for r in doc['runs'][0]['results']])",
        ])
        .arg(&schema)
        .arg(&sarif)
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
    assert_eq!(
        String::from_utf8_lossy(&check.stdout).trim(),
        "['pkg/__pycache__/feature.cpython-312.pyc']"
    );
}
