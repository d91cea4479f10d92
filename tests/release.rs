//! The release machinery, as far as a machine without GitHub can prove it:
//! - `.github/workflows/release.yml` and `ci.yml` against GitHub's published workflow schema,
//!   and line by line against what a release must do (the trigger, the platforms, who may
//!   publish, what runs before what); every `run:` script of them and of `action.yml` through
//!   shellcheck;
//! - the scripts they run (`.github/scripts/`), run here: the version check, the release notes,
//!   the sums, and the Action's install script on its fallback paths (the wheel paths, the
//!   smoke test and the archives run on the real wheel in `tests/packaging.rs`);
//! - `build.rs`, compiled and run in each situation a build meets: a checkout, a debug build, an
//!   unpacked crate inside another repository, no git at all, a linked worktree.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::tools::{python, tool};
use common::{Run, TestRepo, bin, hermetic};
use yaml_rust2::{Yaml, YamlLoader};

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn yaml(rel: &str) -> Yaml {
    YamlLoader::load_from_str(&read(rel)).unwrap().remove(0)
}

fn run(cmd: &mut Command) -> Run {
    cmd.output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
        .into()
}

fn jobs(workflow: &Yaml) -> BTreeMap<String, Yaml> {
    workflow["jobs"]
        .as_hash()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_string(), v.clone()))
        .collect()
}

fn strs(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::String(s) => vec![s.clone()],
        Yaml::Array(a) => a.iter().map(|v| v.as_str().unwrap().to_string()).collect(),
        _ => vec![],
    }
}

fn steps(job: &Yaml) -> Vec<Yaml> {
    job["steps"].as_vec().cloned().unwrap_or_default()
}

fn uses(step: &Yaml) -> &str {
    step["uses"].as_str().unwrap_or("")
}

/// The jobs `name` waits for, directly or through others.
fn needs_all(jobs: &BTreeMap<String, Yaml>, name: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut todo = strs(&jobs[name]["needs"]);
    while let Some(n) = todo.pop() {
        if out.insert(n.clone()) {
            todo.extend(strs(&jobs[&n]["needs"]));
        }
    }
    out
}

#[test]
fn workflows_match_githubs_published_schema() {
    let check_jsonschema = tool("check-jsonschema");
    let out = run(Command::new(check_jsonschema)
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(root().join(".github/workflows/release.yml"))
        .arg(root().join(".github/workflows/ci.yml")));
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn release_runs_on_a_version_tag_alone_and_checks_the_version_before_anything() {
    let workflow = yaml(".github/workflows/release.yml");
    let on = workflow["on"].as_hash().unwrap();
    assert_eq!(on.len(), 1, "one trigger: {on:?}");
    let push = &workflow["on"]["push"];
    assert_eq!(strs(&push["tags"]), ["v[0-9]+.[0-9]+.[0-9]+"]);
    assert!(push["branches"].is_badvalue(), "tags only");
    let jobs = jobs(&workflow);
    for name in jobs.keys().filter(|n| *n != "version") {
        assert!(
            needs_all(&jobs, name).contains("version"),
            "job `{name}` does not wait for the version check"
        );
    }
    let check = steps(&jobs["version"])
        .into_iter()
        .find(|s| s["id"].as_str() == Some("check"))
        .unwrap();
    let script = check["run"].as_str().unwrap();
    assert!(
        script.contains("python .github/scripts/release.py check \"$TAG\""),
        "{script}"
    );
    assert_eq!(check["env"]["TAG"].as_str(), Some("${{ github.ref_name }}"));
}

/// The wheel tag each target's wheel carries, as maturin names it.
fn wheel_tag(target: &str, manylinux: &str) -> String {
    let arch = target.split('-').next().unwrap();
    match (target, manylinux) {
        (t, "2_17") if t.ends_with("linux-gnu") => {
            format!("manylinux_2_17_{arch}.manylinux2014_{arch}")
        }
        (t, "musllinux_1_2") if t.ends_with("linux-musl") => format!("musllinux_1_2_{arch}"),
        ("x86_64-apple-darwin", "") => "macosx_10_12_x86_64".into(),
        ("aarch64-apple-darwin", "") => "macosx_11_0_arm64".into(),
        ("x86_64-pc-windows-msvc", "") => "win_amd64".into(),
        ("aarch64-pc-windows-msvc", "") => "win_arm64".into(),
        other => panic!("the release builds {other:?}, which this test does not know"),
    }
}

/// The matrix: every platform the issue names, each built on a runner of its own CPU and
/// smoke-tested there; and the wheels it makes are exactly what the publish step's check wants.
#[test]
fn release_builds_and_smoke_tests_a_wheel_for_every_platform() {
    let workflow = yaml(".github/workflows/release.yml");
    let jobs = jobs(&workflow);
    let wheels = &jobs["wheels"];
    let include = wheels["strategy"]["matrix"]["include"].as_vec().unwrap();
    let mut built = BTreeMap::new();
    for entry in include {
        let target = entry["target"].as_str().unwrap().to_string();
        let runner = entry["runner"].as_str().unwrap();
        let manylinux = entry["manylinux"].as_str().unwrap_or("");
        let smoke = entry["smoke"].as_str().unwrap();
        // A native runner, so the smoke test runs the wheel where it was built.
        let arm = target.starts_with("aarch64");
        let native = match runner {
            "ubuntu-24.04" | "macos-15-intel" | "windows-2025" => !arm,
            "ubuntu-24.04-arm" | "macos-15" | "windows-11-arm" => arm,
            other => panic!("unknown runner {other}"),
        };
        assert!(native, "{target} on {runner}");
        assert_eq!(
            smoke,
            if target.ends_with("musl") {
                "alpine"
            } else {
                "host"
            },
            "{target}"
        );
        built.insert(target.clone(), wheel_tag(&target, manylinux));
    }
    let targets: Vec<&str> = built.keys().map(String::as_str).collect();
    assert_eq!(
        targets,
        [
            "aarch64-apple-darwin",
            "aarch64-unknown-linux-gnu",
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
            "x86_64-unknown-linux-gnu",
            "x86_64-unknown-linux-musl",
        ]
    );
    let steps = steps(wheels);
    let step = |name: &str| {
        steps
            .iter()
            .find(|s| s["name"].as_str().is_some_and(|n| n.starts_with(name)))
            .unwrap_or_else(|| panic!("no step `{name}`"))
            .clone()
    };
    let build = step("Build the wheel");
    assert!(uses(&build).starts_with("PyO3/maturin-action@"));
    assert_eq!(
        build["with"]["args"].as_str(),
        Some("--release --locked --out dist")
    );
    assert_eq!(
        build["with"]["manylinux"].as_str(),
        Some("${{ matrix.manylinux }}")
    );
    let host = step("Smoke test on this runner");
    assert_eq!(host["if"].as_str(), Some("matrix.smoke == 'host'"));
    assert!(
        host["run"]
            .as_str()
            .unwrap()
            .contains("sh .github/scripts/smoke-test.sh dist \"$VERSION\"")
    );
    let alpine = step("Smoke test in Alpine");
    assert_eq!(alpine["if"].as_str(), Some("matrix.smoke == 'alpine'"));
    assert!(
        alpine["run"]
            .as_str()
            .unwrap()
            .contains("sh .github/scripts/smoke-test.sh dist \"$VERSION\" python3")
    );
    let archive = step("Standalone archive");
    assert!(
        archive["run"]
            .as_str()
            .unwrap()
            .contains("release.py archive dist/*.whl \"$TARGET\" archives")
    );
    // The maturin that .ci/run builds and tests the wheel with.
    let pinned = read(".ci/requirements.txt")
        .lines()
        .find_map(|l| l.strip_prefix("maturin==").map(str::to_string))
        .unwrap();
    assert_eq!(
        workflow["env"]["MATURIN_VERSION"].as_str(),
        Some(format!("v{pinned}").as_str())
    );

    // The names those wheels get pass the check the publish job makes, and dropping any one
    // platform fails it.
    let dir = release_fixture(VERSION, "2026-12-02");
    let dist = dir.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    std::fs::write(dist.join(format!("pycache_policy-{VERSION}.tar.gz")), "").unwrap();
    for tag in built.values() {
        let name = format!("pycache_policy-{VERSION}-py3-none-{tag}.whl");
        std::fs::write(dist.join(name), "").unwrap();
    }
    release_py(
        dir.path(),
        &["check", &format!("v{VERSION}"), "--dist", "dist"],
    )
    .expect(0);
    let gone = dist.join(format!(
        "pycache_policy-{VERSION}-py3-none-{}.whl",
        built["aarch64-apple-darwin"]
    ));
    std::fs::remove_file(gone).unwrap();
    let out = release_py(
        dir.path(),
        &["check", &format!("v{VERSION}"), "--dist", "dist"],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("no wheel for macOS arm64"), "{out:?}");
}

/// No token in the repository: PyPI and crates.io by trusted publishing (an OIDC token, only in
/// the two publish jobs, each in its environment); write access to the repository only where
/// the GitHub release is made; and nothing is published before every build and smoke test.
#[test]
fn release_publishes_by_trusted_publishing_after_every_build() {
    let text = read(".github/workflows/release.yml");
    assert!(!text.contains("secrets."), "no stored secret is used");
    let workflow = yaml(".github/workflows/release.yml");
    assert_eq!(
        workflow["permissions"].as_hash().map(|h| h.len()),
        Some(0),
        "nothing by default"
    );
    let jobs = jobs(&workflow);
    for (name, job) in &jobs {
        let perms = job["permissions"].as_hash().unwrap_or_else(|| {
            panic!("job `{name}` must say what it may do");
        });
        let id_token = perms
            .get(&Yaml::String("id-token".into()))
            .and_then(Yaml::as_str);
        assert_eq!(
            id_token == Some("write"),
            name == "pypi" || name == "crates",
            "id-token in `{name}`"
        );
        let contents = perms
            .get(&Yaml::String("contents".into()))
            .and_then(Yaml::as_str);
        assert_eq!(
            contents == Some("write"),
            name == "github",
            "contents in `{name}`"
        );
    }
    for publisher in ["pypi", "crates", "github"] {
        let before = needs_all(&jobs, publisher);
        for build in ["version", "wheels", "sdist", "crate"] {
            assert!(
                before.contains(build),
                "`{publisher}` runs before `{build}`"
            );
        }
    }
    assert!(needs_all(&jobs, "github").contains("crates"));
    assert!(needs_all(&jobs, "crates").contains("pypi"));

    let pypi = &jobs["pypi"];
    assert_eq!(pypi["environment"]["name"].as_str(), Some("pypi"));
    let pypi_steps = steps(pypi);
    let publish = pypi_steps.last().unwrap();
    assert!(uses(publish).starts_with("pypa/gh-action-pypi-publish@"));
    assert!(pypi_steps.iter().any(|s| {
        s["run"]
            .as_str()
            .is_some_and(|r| r.contains("release.py check \"$TAG\" --dist dist"))
    }));

    let crates = &jobs["crates"];
    assert_eq!(crates["environment"]["name"].as_str(), Some("crates-io"));
    let crates_steps = steps(crates);
    let auth = crates_steps
        .iter()
        .find(|s| uses(s).starts_with("rust-lang/crates-io-auth-action@"))
        .expect("crates.io trusted publishing");
    let id = auth["id"].as_str().unwrap();
    let publish = crates_steps.last().unwrap();
    assert_eq!(
        publish["env"]["CARGO_REGISTRY_TOKEN"].as_str(),
        Some(format!("${{{{ steps.{id}.outputs.token }}}}").as_str())
    );
    assert!(
        publish["run"]
            .as_str()
            .unwrap()
            .contains("cargo publish --locked")
    );

    let github = steps(&jobs["github"]);
    let script = github.last().unwrap()["run"].as_str().unwrap().to_string();
    for part in [
        "release.py notes \"$VERSION\" > notes.md",
        "release.py sums release",
        "gh release create \"$TAG\" --verify-tag",
        "--notes-file notes.md release/*",
    ] {
        assert!(script.contains(part), "{part}: {script}");
    }
    let downloaded: Vec<&str> = github
        .iter()
        .filter(|s| uses(s).starts_with("actions/download-artifact@"))
        .map(|s| s["with"]["pattern"].as_str().unwrap())
        .collect();
    assert_eq!(downloaded, ["archives-*", "wheels-*"]);
}

/// Every action is used at a release (a tag or a release branch, never a moving default
/// branch), and no checkout leaves its token in the git config for later steps.
#[test]
fn workflows_use_released_actions_and_keep_no_credentials() {
    for file in [".github/workflows/release.yml", ".github/workflows/ci.yml"] {
        for (name, job) in jobs(&yaml(file)) {
            for step in steps(&job) {
                let used = uses(&step);
                if used.is_empty() {
                    continue;
                }
                let (_, at) = used.split_once('@').expect("uses with @");
                let released = at.strip_prefix('v').is_some_and(|v| {
                    v.split('.')
                        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                }) || at == "release/v1"
                    || (used.starts_with("dtolnay/rust-toolchain@") && at == "stable");
                assert!(released, "{file}: job `{name}` uses {used}");
                if used.starts_with("actions/checkout@") {
                    assert_eq!(
                        step["with"]["persist-credentials"].as_bool(),
                        Some(false),
                        "{file}: job `{name}`"
                    );
                }
            }
        }
    }
}

#[test]
fn ci_runs_ci_run_on_linux_and_the_tests_on_macos_and_windows() {
    let workflow = yaml(".github/workflows/ci.yml");
    let jobs = jobs(&workflow);
    let linux = &jobs["linux"];
    assert!(linux["runs-on"].as_str().unwrap().starts_with("ubuntu-"));
    assert!(
        steps(linux)
            .iter()
            .any(|s| s["run"].as_str() == Some("bash .ci/run"))
    );
    let tests = &jobs["tests"];
    let os = strs(&tests["strategy"]["matrix"]["os"]);
    assert!(os.iter().any(|o| o.starts_with("macos-")), "{os:?}");
    assert!(os.iter().any(|o| o.starts_with("windows-")), "{os:?}");
    assert!(
        steps(tests)
            .iter()
            .any(|s| s["run"].as_str() == Some("cargo test --locked")),
        "the README's test command"
    );
    let on = workflow["on"].as_hash().unwrap();
    for event in ["push", "pull_request"] {
        assert!(on.contains_key(&Yaml::String(event.into())), "{event}");
    }
}

/// Replaces each `${{ ... }}` with a word, as the runner does before the shell sees it.
fn without_expressions(script: &str) -> String {
    let mut out = String::new();
    let mut rest = script;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("unclosed expression") + start;
        out.push_str("EXPRESSION");
        rest = &rest[end + 2..];
    }
    out + rest
}

/// shellcheck on every `run:` of the workflows and the action (as the shell each names runs
/// it), and on every shell script they call.
#[test]
fn every_shell_script_passes_shellcheck() {
    let shellcheck = tool("shellcheck");
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = [
        ".github/scripts/install.sh",
        ".github/scripts/smoke-test.sh",
        ".ci/run",
        "hooks/pre-commit",
    ]
    .iter()
    .map(|f| root().join(f))
    .collect();
    let mut count = 0;
    for file in [
        ".github/workflows/release.yml",
        ".github/workflows/ci.yml",
        "action.yml",
    ] {
        let doc = yaml(file);
        let mut all_steps = Vec::new();
        if file == "action.yml" {
            all_steps.extend(doc["runs"]["steps"].as_vec().unwrap().clone());
        } else {
            for job in jobs(&doc).values() {
                all_steps.extend(steps(job));
            }
        }
        for step in all_steps {
            let Some(script) = step["run"].as_str() else {
                continue;
            };
            // The runner's default on Linux and macOS is bash -e; `shell: bash` is that too.
            let shell = step["shell"].as_str().unwrap_or("bash");
            assert!(shell == "bash" || shell == "sh", "{file}: shell {shell}");
            count += 1;
            let path = dir.path().join(format!("step{count}.sh"));
            std::fs::write(
                &path,
                format!(
                    "#!/usr/bin/env {shell}\nset -e\n{}",
                    without_expressions(script)
                ),
            )
            .unwrap();
            files.push(path);
        }
    }
    assert!(count >= 10, "{count} run steps");
    let out = run(Command::new(shellcheck)
        .args(["--severity=style", "--external-sources"])
        .args(&files));
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

/// Every `.github/scripts/...` that a workflow or the action names is there.
#[test]
fn every_script_the_workflows_name_exists() {
    let mut named = BTreeSet::new();
    for file in [
        ".github/workflows/release.yml",
        ".github/workflows/ci.yml",
        "action.yml",
    ] {
        let text = read(file);
        for (i, _) in text.match_indices(".github/scripts/") {
            let name: String = text[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "/._-".contains(*c))
                .collect();
            named.insert(name);
        }
    }
    assert!(named.len() >= 3, "{named:?}");
    for name in named {
        assert!(root().join(&name).is_file(), "{name} is named but missing");
    }
}

// ------------------------------------------------------------------ release.py

/// A folder with this checkout's Cargo.toml, Cargo.lock and pyproject.toml, and a CHANGELOG.md
/// with a section for `version` dated `date` (none when `date` is empty).
fn release_fixture(version: &str, date: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in ["Cargo.toml", "Cargo.lock", "pyproject.toml"] {
        std::fs::copy(root().join(f), dir.path().join(f)).unwrap();
    }
    let heading = if date.is_empty() {
        format!("## [{version}]")
    } else {
        format!("## [{version}] - {date}")
    };
    std::fs::write(
        dir.path().join("CHANGELOG.md"),
        format!(
            "# Changelog\n\n## [Unreleased]\n\n### Fixed\n\n- later\n\n{heading}\n\n### Added\n\n\
             - the first release\n\n## [0.0.1] - 2020-01-01\n\n### Added\n\n- older\n\n\
             [Unreleased]: https://example.com/compare/v{version}...HEAD\n\
             [{version}]: https://example.com/releases/v{version}\n"
        ),
    )
    .unwrap();
    dir
}

fn release_py(dir: &Path, args: &[&str]) -> Run {
    run(hermetic(python(&[]))
        .arg(root().join(".github/scripts/release.py"))
        .args(args)
        .current_dir(dir))
}

#[test]
fn release_check_accepts_the_versions_tag_and_refuses_any_other() {
    let tag = format!("v{VERSION}");
    let dir = release_fixture(VERSION, "2026-12-02");
    let ok = release_py(dir.path(), &["check", &tag]).expect(0);
    assert!(ok.stdout.contains("agree with"), "{ok:?}");

    let refused = |dir: &Path, tag: &str, why: &str| {
        let out = release_py(dir, &["check", tag]);
        assert_eq!(out.code, 1, "{tag}: {out:?}");
        assert!(out.stderr.contains(why), "{tag}: wanted `{why}`: {out:?}");
    };
    refused(dir.path(), VERSION, "is not vX.Y.Z");
    refused(dir.path(), &format!("{tag}-rc1"), "is not vX.Y.Z");
    refused(
        dir.path(),
        "v9.9.9",
        &format!("Cargo.toml says version {VERSION}"),
    );
    refused(
        dir.path(),
        "v9.9.9",
        "CHANGELOG.md has no section `## [9.9.9]",
    );

    // pyproject.toml with a version of its own must say the same.
    let pyproject = std::fs::read_to_string(dir.path().join("pyproject.toml")).unwrap();
    let fixed = pyproject.replace("dynamic = [\"version\"]", "version = \"9.9.9\"");
    assert_ne!(fixed, pyproject);
    std::fs::write(dir.path().join("pyproject.toml"), &fixed).unwrap();
    refused(dir.path(), &tag, "pyproject.toml says version 9.9.9");
    let same = pyproject.replace(
        "dynamic = [\"version\"]",
        &format!("version = \"{VERSION}\""),
    );
    std::fs::write(dir.path().join("pyproject.toml"), same).unwrap();
    release_py(dir.path(), &["check", &tag]).expect(0);
    let neither = pyproject.replace("dynamic = [\"version\"]\n", "");
    std::fs::write(dir.path().join("pyproject.toml"), neither).unwrap();
    refused(dir.path(), &tag, "does not take it from Cargo.toml");

    // Cargo.lock must hold the same version, or `cargo publish --locked` fails later.
    let dir = release_fixture(VERSION, "2026-12-02");
    let lock = std::fs::read_to_string(dir.path().join("Cargo.lock")).unwrap();
    let stale = lock.replace(
        &format!("name = \"pycache-policy\"\nversion = \"{VERSION}\""),
        "name = \"pycache-policy\"\nversion = \"0.0.1\"",
    );
    assert_ne!(stale, lock);
    std::fs::write(dir.path().join("Cargo.lock"), stale).unwrap();
    refused(dir.path(), &tag, "Cargo.lock has pycache-policy 0.0.1");

    // The changelog's section must be dated.
    let dir = release_fixture(VERSION, "");
    refused(dir.path(), &tag, "has no date");

    // Files to publish: of this version only, with the sdist.
    let dir = release_fixture(VERSION, "2026-12-02");
    let dist = dir.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    std::fs::write(dist.join("pycache_policy-0.0.1-py3-none-win_amd64.whl"), "").unwrap();
    let out = release_py(dir.path(), &["check", &tag, "--dist", "dist"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("dist/pycache_policy-0.0.1-py3-none-win_amd64.whl is not pycache-policy"),
        "{out:?}"
    );
    assert!(out.stderr.contains("has no sdist"), "{out:?}");
}

#[test]
fn release_notes_are_the_changelog_section_and_sums_cover_every_file() {
    let dir = release_fixture(VERSION, "2026-12-02");
    let notes = release_py(dir.path(), &["notes", VERSION]).expect(0);
    assert_eq!(notes.stdout, "### Added\n\n- the first release\n");
    let older = release_py(dir.path(), &["notes", "0.0.1"]).expect(0);
    assert_eq!(older.stdout, "### Added\n\n- older\n");
    let out = release_py(dir.path(), &["notes", "9.9.9"]);
    assert_eq!(out.code, 1, "{out:?}");

    let files = dir.path().join("files");
    std::fs::create_dir(&files).unwrap();
    std::fs::write(files.join("a.tar.gz"), "a").unwrap();
    std::fs::write(files.join("a.tar.gz.sha256"), "x").unwrap();
    std::fs::write(files.join("b.whl"), "b").unwrap();
    release_py(dir.path(), &["sums", "files"]).expect(0);
    let sums = std::fs::read_to_string(files.join("SHA256SUMS")).unwrap();
    assert_eq!(
        sums,
        "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb  a.tar.gz\n\
         3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d  b.whl\n"
    );
    // As `sha256sum -c` reads it.
    run(Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&files))
    .expect(0);
}

/// The changelog is in the Keep a Changelog form, with the section a release needs.
#[test]
fn the_changelog_keeps_a_changelog() {
    let text = read("CHANGELOG.md");
    assert!(text.starts_with("# Changelog\n"));
    assert!(text.contains("keepachangelog.com"));
    let kinds = [
        "Added",
        "Changed",
        "Deprecated",
        "Removed",
        "Fixed",
        "Security",
    ];
    let mut versions = Vec::new();
    for line in text.lines() {
        if let Some(kind) = line.strip_prefix("### ") {
            assert!(kinds.contains(&kind), "CHANGELOG.md: `{line}`");
        } else if let Some(rest) = line.strip_prefix("## [") {
            let (version, date) = rest.split_once(']').unwrap();
            if version != "Unreleased" {
                let date = date.strip_prefix(" - ").expect("a dated section");
                assert_eq!(date.len(), 10, "{line}");
                assert_eq!(version.split('.').count(), 3, "{line}");
            }
            versions.push(version.to_string());
        } else if line.starts_with("## ") {
            panic!("CHANGELOG.md: `{line}` is not `## [VERSION] - DATE`");
        }
    }
    assert_eq!(versions.first().map(String::as_str), Some("Unreleased"));
    for version in &versions {
        assert!(
            text.contains(&format!("\n[{version}]: https://")),
            "CHANGELOG.md: no link for [{version}]"
        );
    }
    // A version that is released has its section; one that is not yet is still Unreleased.
    let released = versions.iter().any(|v| v == VERSION);
    let dir = tempfile::tempdir().unwrap();
    for f in ["Cargo.toml", "Cargo.lock", "pyproject.toml", "CHANGELOG.md"] {
        std::fs::copy(root().join(f), dir.path().join(f)).unwrap();
    }
    let out = release_py(dir.path(), &["check", &format!("v{VERSION}")]);
    assert_eq!(out.code == 0, released, "{out:?}");
}

// ------------------------------------------------------------------ the Action's install script

/// Runs `.github/scripts/install.sh` as action.yml does, with `PATH` = `path` and `env`.
fn install_script(job: &Path, path: &str, env: &[(&str, &Path)]) -> Run {
    std::fs::create_dir_all(job.join("runner-temp")).unwrap();
    let github_path = job.join("path.txt");
    std::fs::write(&github_path, "").unwrap();
    let mut cmd = hermetic("bash");
    cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(root().join(".github/scripts/install.sh"))
        .current_dir(job)
        .env("ACTION_PATH", root())
        .env("RUNNER_TEMP", job.join("runner-temp"))
        .env("GITHUB_PATH", &github_path)
        .env("PATH", path)
        .env_remove("PIP_INDEX_URL")
        .env_remove("UV_INDEX_URL");
    cmd.envs(env.iter().map(|(k, v)| (*k, *v)));
    run(&mut cmd)
}

/// A folder of fake programs: `pycache-policy` printing `version`, and a `cargo` that records
/// its arguments and installs the binary under test where `--root` says, as the real one would.
fn fakes(dir: &Path, version: Option<&str>) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let fakes = dir.join("fakes");
    std::fs::create_dir_all(&fakes).unwrap();
    let write_exe = |name: &str, body: String| {
        let p = fakes.join(name);
        std::fs::write(&p, body).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    if let Some(version) = version {
        write_exe(
            "pycache-policy",
            format!("#!/bin/sh\necho 'pycache-policy {version}'\n"),
        );
    }
    write_exe(
        "cargo",
        format!(
            "#!/bin/sh\necho \"$@\" >> '{log}'\nwhile [ \"$1\" != --root ]; do shift; done\n\
             mkdir -p \"$2/bin\" && ln -sf '{bin}' \"$2/bin/pycache-policy\"\n",
            log = dir.join("cargo.log").display(),
            bin = bin().display()
        ),
    );
    fakes
}

/// `PATH` with `first` in front of the system's folders (never the test binary's).
fn system_path(first: &[&Path]) -> String {
    let current = std::env::var_os("PATH").unwrap_or_default();
    let rest = std::env::split_paths(&current)
        .filter(|d| !d.join("pycache-policy").exists() && !d.join("cargo").exists());
    let all: Vec<PathBuf> = first.iter().map(|p| p.to_path_buf()).chain(rest).collect();
    std::env::join_paths(all).unwrap().into_string().unwrap()
}

/// The index has no wheel (an empty folder and nothing else, for pip and for uv): the script
/// says so and why, builds with `cargo install` from the action's source, and puts that on
/// `PATH`. With uv on `PATH` it asks uv; without, pip.
#[test]
fn action_install_falls_back_to_cargo_where_the_index_has_no_wheel() {
    for with_uv in [false, true] {
        let job = tempfile::tempdir().unwrap();
        let empty = job.path().join("empty-index");
        std::fs::create_dir(&empty).unwrap();
        let fakes = fakes(job.path(), Some("0.0.0"));
        let tools_bin = common::tools::venv().join("bin");
        let path = if with_uv {
            system_path(&[&fakes, &tools_bin])
        } else {
            system_path(&[&fakes])
        };
        let out = install_script(
            job.path(),
            &path,
            &[
                ("PIP_NO_INDEX", Path::new("1")),
                ("PIP_FIND_LINKS", &empty),
                ("UV_NO_INDEX", Path::new("1")),
                ("UV_FIND_LINKS", &empty),
                ("UV_CACHE_DIR", &job.path().join("uv-cache")),
                ("UV_PYTHON_DOWNLOADS", Path::new("never")),
            ],
        );
        assert_eq!(out.code, 0, "uv: {with_uv}: {out:?}");
        let how = if with_uv {
            "uv tool install"
        } else {
            "pip install"
        };
        assert!(
            out.stdout.contains(&format!(
                "no prebuilt wheel of pycache-policy {VERSION} for"
            )) && out
                .stdout
                .contains(&format!("on the package index ({how}: ")),
            "{out:?}"
        );
        let root_dir = job.path().join("runner-temp/pycache-policy");
        assert_eq!(
            std::fs::read_to_string(job.path().join("cargo.log"))
                .unwrap()
                .trim(),
            format!(
                "install --locked --quiet --path {} --root {}",
                root().display(),
                root_dir.display()
            )
        );
        assert!(
            out.stdout.contains(&format!(
                "built pycache-policy {VERSION} with cargo install into {}/bin",
                root_dir.display()
            )),
            "{out:?}"
        );
        let added = std::fs::read_to_string(job.path().join("path.txt")).unwrap();
        assert_eq!(added, format!("{}/bin\n", root_dir.display()));
        run(hermetic(root_dir.join("bin/pycache-policy")).arg("--version")).expect(0);
    }
}

/// The same version already on `PATH` is used as it is, also when `--version` names the commit
/// after the version; no wheel and no build.
#[test]
fn action_install_uses_the_same_version_already_on_path() {
    for said in [
        VERSION.to_string(),
        format!("{VERSION} (1a2b3c4d5 2026-12-02)"),
    ] {
        let job = tempfile::tempdir().unwrap();
        let fakes = fakes(job.path(), Some(&said));
        let out = install_script(job.path(), &system_path(&[&fakes]), &[]);
        assert_eq!(out.code, 0, "{out:?}");
        assert_eq!(
            out.stdout,
            format!(
                "using {}/pycache-policy (pycache-policy {said})\n",
                fakes.display()
            )
        );
        assert!(!job.path().join("cargo.log").exists());
        assert_eq!(
            std::fs::read_to_string(job.path().join("path.txt")).unwrap(),
            ""
        );
    }
}

/// No wheel and no cargo: it stops (exit 2) with an annotation that says what to do.
#[test]
fn action_install_without_a_wheel_or_cargo_says_what_to_do() {
    let job = tempfile::tempdir().unwrap();
    let empty = job.path().join("empty-index");
    std::fs::create_dir(&empty).unwrap();
    let fakes = fakes(job.path(), None);
    std::fs::remove_file(fakes.join("cargo")).unwrap();
    let out = install_script(
        job.path(),
        &system_path(&[&fakes]),
        &[("PIP_NO_INDEX", Path::new("1")), ("PIP_FIND_LINKS", &empty)],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("::error title=pycache-policy::no wheel of pycache-policy")
            && out
                .stderr
                .contains("set up a Rust toolchain in an earlier step"),
        "{out:?}"
    );
}

// ------------------------------------------------------------------ build.rs

/// build.rs compiled on its own, once.
fn build_script() -> &'static Path {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("build-script");
        std::fs::create_dir_all(&out).unwrap();
        let exe = out.join("build-script-build");
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        run(Command::new(rustc)
            .args(["--edition", "2024", "--crate-type", "bin", "-o"])
            .arg(&exe)
            .arg(root().join("build.rs")))
        .expect(0);
        exe
    })
}

/// What build.rs tells cargo, run as cargo runs it for a package in `manifest_dir`.
struct BuildOutput {
    commit: String,
    version: String,
    reruns: Vec<String>,
}

fn run_build_script(manifest_dir: &Path, profile: &str, env: &[(&str, &str)]) -> BuildOutput {
    let mut cmd = hermetic(build_script());
    cmd.current_dir(manifest_dir)
        .env("CARGO_MANIFEST_DIR", manifest_dir)
        .env("CARGO_PKG_VERSION", VERSION)
        .env("PROFILE", profile)
        .env_remove("PYCACHE_POLICY_COMMIT");
    cmd.envs(env.iter().copied());
    let out = run(&mut cmd).expect(0);
    let mut commit = None;
    let mut version = None;
    let mut reruns = Vec::new();
    for line in out.stdout.lines() {
        if let Some(v) = line.strip_prefix("cargo:rustc-env=PYCACHE_POLICY_COMMIT=") {
            commit = Some(v.to_string());
        } else if let Some(v) = line.strip_prefix("cargo:rustc-env=PYCACHE_POLICY_VERSION=") {
            version = Some(v.to_string());
        } else if let Some(v) = line.strip_prefix("cargo:rerun-if-changed=") {
            reruns.push(v.to_string());
        }
    }
    BuildOutput {
        commit: commit.expect("PYCACHE_POLICY_COMMIT"),
        version: version.expect("PYCACHE_POLICY_VERSION"),
        reruns,
    }
}

#[test]
fn build_script_names_the_commit_of_a_release_build_of_a_checkout() {
    let repo = TestRepo::with_commit();
    let expected = repo
        .git(&["log", "-1", "--format=%h %cs", "--abbrev=9"])
        .trim()
        .to_string();
    let out = run_build_script(repo.path(), "release", &[]);
    assert_eq!(out.commit, expected);
    assert_eq!(out.version, format!("{VERSION} ({expected})"));
    // It runs again when HEAD moves, and never for a file that is not there.
    assert!(
        out.reruns.contains(&"build.rs".to_string()),
        "{:?}",
        out.reruns
    );
    assert!(
        out.reruns.iter().any(|r| r.ends_with(".git/HEAD")),
        "{:?}",
        out.reruns
    );
    assert!(
        out.reruns.iter().any(|r| r.ends_with("refs/heads/main")),
        "{:?}",
        out.reruns
    );
    for rerun in out.reruns.iter().filter(|r| *r != "build.rs") {
        assert!(Path::new(rerun).exists(), "{rerun}");
    }
    // After the next commit, another hash.
    repo.stage("pkg/other.py", b"y = 2\n");
    repo.commit("second");
    let again = run_build_script(repo.path(), "release", &[]);
    assert_ne!(again.commit, out.commit);

    // A linked worktree: `.git` is a file there.
    let linked = tempfile::tempdir().unwrap();
    let wt = linked.path().join("wt");
    repo.git(&["worktree", "add", "-q", "-b", "side", wt.to_str().unwrap()]);
    let out = run_build_script(&wt, "release", &[]);
    assert_eq!(out.commit, again.commit);
    assert!(
        out.reruns.iter().any(|r| r.ends_with("worktrees/wt/HEAD")),
        "{:?}",
        out.reruns
    );
}

#[test]
fn build_script_leaves_the_commit_out_where_it_is_not_known() {
    let repo = TestRepo::with_commit();
    let empty = |out: BuildOutput, case: &str| {
        assert_eq!(out.commit, "", "{case}");
        assert_eq!(out.version, VERSION, "{case}");
        assert_eq!(out.reruns, ["build.rs"], "{case}");
    };
    // A debug build: a commit does not rebuild every test binary.
    empty(run_build_script(repo.path(), "debug", &[]), "debug");
    // An unpacked crate or sdist inside somebody else's repository (a dotfiles home, say).
    let unpacked = repo.path().join("registry/src/pycache-policy-0.1.0");
    std::fs::create_dir_all(&unpacked).unwrap();
    empty(
        run_build_script(&unpacked, "release", &[]),
        "inside another repository",
    );
    // Not in a repository at all.
    let plain = tempfile::tempdir().unwrap();
    empty(
        run_build_script(plain.path(), "release", &[]),
        "no repository",
    );
    // No git on PATH.
    empty(
        run_build_script(repo.path(), "release", &[("PATH", "/nonexistent")]),
        "no git",
    );
    // Given by the build's environment (the release workflow's containers): used as it is.
    let given = run_build_script(
        plain.path(),
        "release",
        &[("PYCACHE_POLICY_COMMIT", "1a2b3c4d5 2026-12-02")],
    );
    assert_eq!(given.commit, "1a2b3c4d5 2026-12-02");
    assert_eq!(given.version, format!("{VERSION} (1a2b3c4d5 2026-12-02)"));
}

/// A Windows wheel's archive is a zip holding `pycache-policy.exe` (the Linux one, a tarball,
/// runs in tests/packaging.rs on the real wheel); a wheel without the program is refused.
#[test]
fn release_archive_of_a_windows_wheel_is_a_zip_with_the_exe() {
    let dir = tempfile::tempdir().unwrap();
    let wheel = dir
        .path()
        .join(format!("pycache_policy-{VERSION}-py3-none-win_amd64.whl"));
    let make_wheel = format!(
        "import zipfile, sys\n\
         with zipfile.ZipFile(sys.argv[1], 'w') as z:\n    \
         z.writestr('pycache_policy-{VERSION}.data/scripts/pycache-policy.exe', b'MZ fake')\n    \
         z.writestr('pycache_policy-{VERSION}.dist-info/METADATA', b'')\n"
    );
    run(hermetic(python(&[])).args(["-c", &make_wheel]).arg(&wheel)).expect(0);
    let out = dir.path().join("out");
    let made = run(hermetic(python(&[]))
        .arg(root().join(".github/scripts/release.py"))
        .arg("archive")
        .arg(&wheel)
        .arg("x86_64-pc-windows-msvc")
        .arg(&out)
        .current_dir(root()));
    made.expect(0);
    let name = format!("pycache-policy-{VERSION}-x86_64-pc-windows-msvc");
    let list = format!(
        "import zipfile, sys\nz = zipfile.ZipFile(sys.argv[1])\n\
         print(sorted(z.namelist()))\nprint(z.read('{name}/pycache-policy.exe'))\n"
    );
    let listed = run(hermetic(python(&[]))
        .args(["-c", &list])
        .arg(out.join(format!("{name}.zip"))))
    .expect(0);
    assert_eq!(
        listed.stdout,
        format!(
            "['{name}/CHANGELOG.md', '{name}/LICENSE-APACHE', '{name}/LICENSE-MIT', \
             '{name}/README.md', '{name}/pycache-policy.exe']\nb'MZ fake'\n"
        )
    );
    run(Command::new("sha256sum")
        .args(["-c", &format!("{name}.zip.sha256")])
        .current_dir(&out))
    .expect(0);

    let empty = dir
        .path()
        .join(format!("pycache_policy-{VERSION}-py3-none-any.whl"));
    run(hermetic(python(&[]))
        .args([
            "-c",
            "import zipfile, sys; zipfile.ZipFile(sys.argv[1], 'w').writestr('x', b'')",
        ])
        .arg(&empty))
    .expect(0);
    let refused = run(hermetic(python(&[]))
        .arg(root().join(".github/scripts/release.py"))
        .arg("archive")
        .arg(&empty)
        .arg("x86_64-unknown-linux-gnu")
        .arg(&out)
        .current_dir(root()));
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("expected one pycache-policy program")
    );
}
