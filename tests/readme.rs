//! Every code block in the README is exercised: run in a temporary repository with the built
//! binary on `PATH`, parsed by the tool's own policy loader and the JSON Schema, compared with
//! what the commands really print, or named as covered by another test (which must exist) or by
//! `.ci/run` (which must hold its commands). The comment `<!-- readme-test: KIND ... -->` on the
//! line before a block says which; a block without one fails here.
//!
//! The hook-manager snippets are checked for their structure and the command they run is run
//! here; `tests/packaging.rs` runs them through the real pre-commit, lefthook and husky.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use common::readme;
use common::{Run, TestRepo, hermetic};
use pycache_policy::policy::{Origin, Policy};

const PYC: &[u8] = b"\xcb\r\r\n\0\0\0\0fake bytecode";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The kinds of marker, and what each needs.
const KINDS: &[&str] = &[
    "run",
    "transcript",
    "policy",
    "covered-by",
    "pre-commit-config",
    "pre-commit-config-wheel",
    "lefthook",
    "husky",
    "git-hook",
];

#[test]
fn every_block_says_how_it_is_tested() {
    let blocks = readme::blocks();
    assert!(blocks.len() >= 15, "{} blocks", blocks.len());
    let unmarked: Vec<String> = blocks
        .iter()
        .filter(|b| !KINDS.contains(&b.kind()))
        .map(|b| format!("{} ({:?})", b.at(), b.marker))
        .collect();
    assert!(
        unmarked.is_empty(),
        "README blocks with no test: {unmarked:?}\nPut `<!-- readme-test: KIND ... -->` on the line \
         before each, KIND one of {KINDS:?} (see tests/readme.rs), and make that test exercise it."
    );
    // The parser itself, on a sample.
    let sample = readme::parse(
        "<!-- readme-test: covered-by .ci/run \"cargo package\" -->\n```sh\nx  # c\n# d\n```\n\n  \
         ```toml\n  k = 1\n  ```\n",
    );
    assert_eq!(sample[0].marker, ["covered-by", ".ci/run", "cargo package"]);
    assert_eq!(sample[0].commands(), ["x"]);
    assert_eq!(
        (sample[1].lang.as_str(), sample[1].text.as_str()),
        ("toml", "k = 1\n")
    );
    assert!(sample[1].marker.is_empty());
}

/// `covered-by tests/FILE.rs::NAME`: that test exists. `covered-by .ci/run ["TEXT"]`: `.ci/run`
/// holds TEXT, or else every command of the block.
#[test]
fn blocks_covered_elsewhere_name_something_real() {
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    let covered = readme::marked("covered-by");
    assert!(covered.len() >= 5);
    for block in covered {
        let target = block.marker.get(1).map(String::as_str).unwrap_or("");
        if let Some((file, test)) = target.split_once("::") {
            let source = std::fs::read_to_string(root().join(file))
                .unwrap_or_else(|e| panic!("{}: {file}: {e}", block.at()));
            assert!(
                source.contains(&format!("fn {test}(")),
                "{}: {file} has no test `{test}`",
                block.at()
            );
        } else if target == ".ci/run" {
            let needles = match block.marker.get(2) {
                Some(text) => vec![text.clone()],
                None => block
                    .commands()
                    .into_iter()
                    .filter(|c| c != ".ci/run")
                    .collect(),
            };
            assert!(!needles.is_empty(), "{}", block.at());
            for needle in needles {
                assert!(
                    ci.contains(&needle),
                    "{}: .ci/run does not run `{needle}`",
                    block.at()
                );
            }
        } else {
            panic!("{}: covered by what? {:?}", block.at(), block.marker);
        }
    }
}

/// Runs `script` with bash in `dir` (`set -e`), with the binary on `PATH` and `HOME` in a
/// temporary folder.
fn bash(dir: &Path, home: &Path, script: &str) -> Run {
    hermetic("bash")
        .args(["-e", "-c", script])
        .current_dir(dir)
        .env("HOME", home)
        .output()
        .unwrap()
        .into()
}

#[test]
fn run_blocks_succeed_in_a_fresh_repository() {
    let blocks = readme::marked("run");
    assert!(blocks.len() >= 2);
    for block in blocks {
        assert_eq!(block.lang, "sh", "{}", block.at());
        let parent = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let repo = TestRepo::with_commit();
        // `cd your-repo` finds one.
        std::os::unix::fs::symlink(repo.path(), parent.path().join("your-repo")).unwrap();
        let run = bash(parent.path(), home.path(), &block.text);
        assert_eq!(run.code, 0, "{}:\n{}\n{run:?}", block.at(), block.text);
        if block.text.contains("completions bash") {
            let script = home
                .path()
                .join(".local/share/bash-completion/completions/pycache-policy");
            assert!(
                std::fs::read_to_string(script)
                    .unwrap()
                    .contains("complete")
            );
            assert!(
                home.path()
                    .join(".local/share/man/man1/pycache-policy.1")
                    .exists()
            );
        }
        if block.text.contains("pycache-policy install") {
            assert!(repo.path().join(".git/hooks/pre-commit").exists());
            assert!(repo.path().join("pycache-policy.toml").exists());
        }
    }
}

/// A repository set up for the transcript `id`.
fn transcript_repo(id: &str) -> TestRepo {
    let repo = TestRepo::with_commit();
    match id {
        "refused-commit" => {
            repo.run(&["install"]).expect(0);
            repo.write("src/parser/__pycache__/lexer.cpython-312.pyc", PYC);
            repo.write("src/parser/__pycache__/tokens.cpython-312.pyc", PYC);
            repo.git(&["add", "src"]);
        }
        "broken-policy" => repo.write(
            "pycache-policy.toml",
            b"[caches]\nforbid = [\"__pycache__/\", 3]\n\n[[allow]]\nreason = \"teaching\"\npath = \"/abs/\"\n",
        ),
        other => panic!("no set-up for the transcript `{other}`"),
    }
    repo
}

/// `transcript ID`: each `$ COMMAND` line is run in a repository set up for ID, and what it
/// prints (stdout, then stderr; the repository's path shown as `...`) must be the lines that
/// follow it.
#[test]
fn transcripts_are_what_the_commands_print() {
    let blocks = readme::marked("transcript");
    assert!(blocks.len() >= 2);
    for block in blocks {
        let id = block.marker.get(1).expect("transcript ID");
        let repo = transcript_repo(id);
        let mut expected = String::new();
        let mut actual = String::new();
        for part in block.text.split("$ ").filter(|p| !p.is_empty()) {
            let (command, output) = part.split_once('\n').unwrap();
            expected.push_str(&format!("$ {command}\n{output}"));
            let run: Run = hermetic("sh")
                .args(["-c", command])
                .current_dir(repo.path())
                .output()
                .unwrap()
                .into();
            assert!(run.code != 0 || !output.contains("error"), "{run:?}");
            let printed = format!("{}{}", run.stdout, run.stderr);
            let real = repo.path().canonicalize().unwrap();
            let printed = printed
                .replace(&real.display().to_string(), "...")
                .replace(&repo.path().display().to_string(), "...");
            actual.push_str(&format!("$ {command}\n{printed}"));
        }
        assert_eq!(
            actual,
            expected,
            "{}: the README shows other output",
            block.at()
        );
    }
}

/// `policy`: the tool's own loader and the JSON Schema both accept it.
#[test]
fn policy_blocks_are_valid_policies() {
    let blocks = readme::marked("policy");
    assert!(blocks.len() >= 3);
    let docs: Vec<&str> = blocks.iter().map(|b| b.text.as_str()).collect();
    for block in &blocks {
        assert_eq!(block.lang, "toml", "{}", block.at());
        if let Err(e) = Policy::from_toml(&block.text, Origin::File("README.md".into())) {
            panic!("{}: {e}", block.at());
        }
    }
    let python = common::tools::python(&["jsonschema", "tomllib"]);
    let script = r#"
import json, sys, tomllib, jsonschema
schema = json.load(open(sys.argv[1]))
for doc in json.load(sys.stdin):
    jsonschema.validate(tomllib.loads(doc), schema)
"#;
    let input = serde_json::to_vec(&docs).unwrap();
    let run: Run = common::output_with_stdin(
        hermetic(python)
            .args(["-c", script])
            .arg(root().join("pycache-policy.schema.json")),
        input,
    )
    .into();
    run.expect(0);
    // The directive points at the schema this repository ships.
    let directive = format!(
        "#:schema {}/main/pycache-policy.schema.json",
        repository().replace("https://github.com/", "https://raw.githubusercontent.com/")
    );
    assert!(
        blocks.iter().any(|b| b.text.starts_with(&directive)),
        "no block starts with {directive}"
    );
}

/// `repository` and `version` in Cargo.toml.
fn repository() -> String {
    package_field("repository")
}

fn package_field(key: &str) -> String {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let value: toml::Value = toml::from_str(&manifest).unwrap();
    value["package"][key].as_str().unwrap().to_string()
}

/// The hooks `.pre-commit-hooks.yaml` offers, by id.
fn manifest_hooks() -> serde_json::Map<String, serde_json::Value> {
    let text = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    readme::yaml(&text)
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["id"].as_str().unwrap().to_string(), h.clone()))
        .collect()
}

/// In a repository with the hook command `command`: a staged cache is refused, and once it is
/// untracked the same command passes.
#[track_caller]
fn command_refuses_a_staged_cache(command: &str) {
    let repo = TestRepo::with_commit();
    repo.stage("pkg/__pycache__/mod.cpython-312.pyc", PYC);
    let run: Run = hermetic("sh")
        .args(["-c", command])
        .current_dir(repo.path())
        .output()
        .unwrap()
        .into();
    let run = run.expect(1);
    assert!(
        run.stdout.contains("pkg/__pycache__/mod.cpython-312.pyc"),
        "{run:?}"
    );
    repo.git(&[
        "rm",
        "-q",
        "--cached",
        "pkg/__pycache__/mod.cpython-312.pyc",
    ]);
    let run: Run = hermetic("sh")
        .args(["-c", command])
        .current_dir(repo.path())
        .output()
        .unwrap()
        .into();
    run.expect(0);
}

#[test]
fn pre_commit_hooks_manifest_and_the_readme_configs() {
    let hooks = manifest_hooks();
    let version = package_field("version");
    assert_eq!(
        hooks.keys().collect::<Vec<_>>(),
        ["pycache-policy", "pycache-policy-fix"]
    );
    for hook in hooks.values() {
        // The staged index is judged by the tool itself: no file names, every commit.
        assert_eq!(hook["language"], "python", "{hook}");
        assert_eq!(hook["pass_filenames"], false, "{hook}");
        assert_eq!(hook["always_run"], true, "{hook}");
        assert!(
            hook["entry"]
                .as_str()
                .unwrap()
                .starts_with("pycache-policy ")
        );
    }
    let check = hooks["pycache-policy"]["entry"].as_str().unwrap();
    assert_eq!(check, "pycache-policy check");
    command_refuses_a_staged_cache(check);
    assert_eq!(
        hooks["pycache-policy-fix"]["entry"],
        "pycache-policy clean --exit-non-zero-on-fix"
    );

    // The remote config: this repository, at the release tag, with a hook it offers.
    let config = readme::yaml(&readme::the("pre-commit-config").text);
    let repo = &config["repos"][0];
    assert_eq!(repo["repo"], repository().as_str());
    assert_eq!(repo["rev"], format!("v{version}"));
    for hook in repo["hooks"].as_array().unwrap() {
        assert!(hooks.contains_key(hook["id"].as_str().unwrap()), "{hook}");
    }

    // The wheel config: the same hook, from the package on PyPI at this version.
    let config = readme::yaml(&readme::the("pre-commit-config-wheel").text);
    let repo = &config["repos"][0];
    assert_eq!(repo["repo"], "local");
    let hook = &repo["hooks"][0];
    for key in ["id", "entry", "language", "pass_filenames", "always_run"] {
        assert_eq!(hook[key], hooks["pycache-policy"][key], "{key}");
    }
    assert_eq!(
        hook["additional_dependencies"],
        serde_json::json!([format!("pycache-policy=={version}")])
    );
}

#[test]
fn the_fix_hook_untracks_then_fails_then_passes() {
    let fix = manifest_hooks()["pycache-policy-fix"]["entry"]
        .as_str()
        .unwrap()
        .to_string();
    let repo = TestRepo::with_commit();
    repo.stage("pkg/__pycache__/mod.cpython-312.pyc", PYC);
    let sh = |cmd: &str| -> Run {
        hermetic("sh")
            .args(["-c", cmd])
            .current_dir(repo.path())
            .output()
            .unwrap()
            .into()
    };
    let run = sh(&fix).expect(1);
    assert!(run.stdout.contains("git add .gitignore"), "{run:?}");
    assert_eq!(repo.git(&["ls-files", "pkg/__pycache__"]), "");
    assert!(
        std::fs::read_to_string(repo.path().join(".gitignore"))
            .unwrap()
            .contains("__pycache__/")
    );
    sh(&fix).expect(0);

    // Inside `git commit -a` it must not write git's temporary index: it refuses instead.
    let repo = TestRepo::with_commit();
    repo.stage("pkg/__pycache__/mod.cpython-312.pyc", PYC);
    repo.commit("an old mistake");
    repo.write(".gitignore", b"__pycache__/\n*.py[co]\n*$py.class\n");
    repo.git(&["add", ".gitignore"]);
    repo.commit("ignore caches");
    let hook = repo.path().join(".git/hooks/pre-commit");
    std::fs::write(&hook, format!("#!/bin/sh\nexec {fix}\n")).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    repo.write("pkg/__pycache__/mod.cpython-312.pyc", b"recompiled");
    let before = repo.git(&["rev-parse", "HEAD"]);
    let commit = repo.git_run(&["commit", "-a", "-m", "everything"]);
    assert_eq!(commit.code, 1, "{commit:?}");
    // git shows a hook's output on its standard error.
    assert!(commit.stderr.contains("not untracked"), "{commit:?}");
    assert!(
        commit.stderr.contains("Run `pycache-policy clean`"),
        "{commit:?}"
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), before);
    assert_eq!(
        repo.git(&["ls-files", "pkg/__pycache__"]),
        "pkg/__pycache__/mod.cpython-312.pyc\n"
    );
    // Run on its own, as it says, then the commit goes through.
    sh_in(&repo, "pycache-policy clean").expect(0);
    let commit = repo.git_run(&["commit", "-m", "untrack caches"]);
    assert_eq!(commit.code, 0, "{commit:?}");
    assert_eq!(repo.git(&["ls-files", "pkg/__pycache__"]), "");
}

fn sh_in(repo: &TestRepo, cmd: &str) -> Run {
    hermetic("sh")
        .args(["-c", cmd])
        .current_dir(repo.path())
        .output()
        .unwrap()
        .into()
}

#[test]
fn lefthook_config_runs_the_check() {
    let config = readme::yaml(&readme::the("lefthook").text);
    let commands = config["pre-commit"]["commands"].as_object().unwrap();
    assert_eq!(commands.len(), 1);
    let run = commands["pycache-policy"]["run"].as_str().unwrap();
    assert_eq!(run, "pycache-policy check");
    command_refuses_a_staged_cache(run);
}

#[test]
fn husky_hook_runs_the_check() {
    let block = readme::the("husky");
    assert!(
        block.text.starts_with("# .husky/pre-commit\n"),
        "{}",
        block.text
    );
    assert_eq!(block.commands(), ["pycache-policy check"]);
    command_refuses_a_staged_cache(&block.text);
}

/// The plain hook, installed by hand as the README says, refuses a real commit.
#[test]
fn plain_git_hook_refuses_a_real_commit() {
    let block = readme::the("git-hook");
    assert!(block.text.starts_with("#!/bin/sh\n"));
    let repo = TestRepo::with_commit();
    let hook = repo.path().join(".git/hooks/pre-commit");
    std::fs::write(&hook, &block.text).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    repo.stage("pkg/__pycache__/mod.cpython-312.pyc", PYC);
    let before = repo.git(&["rev-parse", "HEAD"]);
    let commit = repo.git_run(&["commit", "-m", "cache"]);
    assert_eq!(commit.code, 1, "{commit:?}");
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), before);
    repo.git(&[
        "rm",
        "-q",
        "--cached",
        "pkg/__pycache__/mod.cpython-312.pyc",
    ]);
    repo.stage("pkg/other.py", b"y = 2\n");
    assert_eq!(repo.git_run(&["commit", "-m", "clean"]).code, 0);
}

/// Blocks of one kind are only where that kind makes sense.
#[test]
fn block_languages_fit_their_kinds() {
    for block in readme::blocks() {
        let want: &[&str] = match block.kind() {
            "run" | "husky" | "git-hook" => &["sh"],
            "policy" => &["toml"],
            "transcript" => &["text"],
            "pre-commit-config" | "pre-commit-config-wheel" | "lefthook" => &["yaml"],
            _ => continue,
        };
        assert!(
            want.contains(&block.lang.as_str()),
            "{}: {}",
            block.at(),
            block.lang
        );
    }
}
