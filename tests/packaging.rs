//! The tool where Python developers get it: the wheel built by maturin and installed with pip,
//! pipx and uv, or run with uvx and pipx run; the GitHub Action's install script and the release
//! workflow's smoke test and archive, on that wheel; the pre-commit framework and prek
//! (`try-repo` on this checkout, and the README's configurations, from source and from the
//! wheel); lefthook and husky. Every test here does it for real.
//!
//! They are slow (the wheel is a release build, made once and shared by every test here;
//! pre-commit and prek build the package again through pip and uv, with the same cargo target
//! folder so most of it is reused) and need tools from PyPI and npm, so `cargo test` leaves them
//! out and `.ci/run` runs them: `cargo test --test packaging -- --ignored`, after installing the
//! tools (see `common::tools`). Nothing here reaches a package index for pycache-policy: the
//! wheel folder is the only index (`--no-index`, `--find-links`).

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::readme::{self, Block};
use common::tools::{node_tool, python, tool, venv};
use common::{Run, TestRepo, hermetic};

const SLOW: &str = "builds the release wheel and needs maturin, pre-commit, prek, pipx, uv, \
                    lefthook and husky: .ci/run runs it with --ignored";
const PYC: &[u8] = b"\xcb\r\r\n\0\0\0\0fake bytecode";
const CACHE: &str = "pkg/__pycache__/mod.cpython-312.pyc";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Taken by every test here: maturin moves the binary it builds out of the shared target folder,
/// so two builds at once would take it from each other.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A folder of this test binary's own under `target/`, emptied.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The cargo target folder every build here shares with the rest of the test run, so that the
/// dependencies are compiled once.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(|d| root().join(d))
        .unwrap_or_else(|| root().join("target"))
}

/// What a build from source of a copy of this checkout gets (pre-commit's and prek's clones,
/// the README's from-source installs, each in a folder of its own, so each compiles the crate
/// again): the shared target folder, so that the dependencies are compiled once, and the release
/// profile without optimisation, which makes those builds several times faster. They prove that
/// each path builds and runs the tool; the optimised build is the wheel's (`wheels()`).
fn source_build_env() -> [(&'static str, PathBuf); 3] {
    [
        ("CARGO_TARGET_DIR", target_dir()),
        ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0".into()),
        ("CARGO_PROFILE_RELEASE_DEBUG", "false".into()),
    ]
}

fn run(cmd: &mut Command) -> Run {
    cmd.output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
        .into()
}

/// The README's command that builds the wheel in a clone: `pipx run maturin ARGS`, with
/// `--out dist` last.
fn readme_maturin_args() -> Vec<String> {
    let block = covered_block("readme_wheel_from_a_clone_installs_without_cargo");
    let build = &block.commands()[0];
    let args = build
        .strip_prefix("pipx run maturin ")
        .unwrap_or_else(|| panic!("{}: `{build}`", block.at()));
    let args: Vec<String> = args.split(' ').map(str::to_string).collect();
    assert!(args.ends_with(&["--out".into(), "dist".into()]), "{args:?}");
    args
}

/// The folder holding the wheel the README's `maturin build` makes of this checkout (built
/// once, for every test here).
fn wheels() -> &'static Path {
    static WHEELS: OnceLock<PathBuf> = OnceLock::new();
    WHEELS.get_or_init(|| {
        let dir = scratch("wheels");
        let args = readme_maturin_args();
        run(hermetic(tool("maturin"))
            .args(&args[..args.len() - 1])
            .arg(&dir)
            .current_dir(root())
            .env("CARGO_TARGET_DIR", target_dir()))
        .expect(0);
        let wheels: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(wheels.len(), 1, "one wheel in {}", dir.display());
        dir
    })
}

/// The one wheel in `wheels()`.
fn the_wheel() -> PathBuf {
    std::fs::read_dir(wheels())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
}

/// `pycache-policy --version` of a build of this checkout: the version, and after it the
/// commit (`(1a2b3c4d5 2026-12-02)`, from build.rs) when the binary prints one, which must then
/// be `commit`'s.
#[track_caller]
fn assert_version(said: &str, repo: &Path) {
    let line = said
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("{said:?}"));
    let expected = format!("pycache-policy {}", env!("CARGO_PKG_VERSION"));
    if line == expected {
        return;
    }
    let commit = run(hermetic("git")
        .args(["log", "-1", "--format=%h %cs", "--abbrev=9"])
        .current_dir(repo))
    .expect(0);
    assert_eq!(
        line,
        format!("{expected} ({})", commit.stdout.trim()),
        "--version"
    );
}

/// This checkout as a repository of its own with one commit (HEAD plus uncommitted changes:
/// tracked files and new ones git does not ignore), for pre-commit to clone; and that commit.
fn snapshot() -> &'static (PathBuf, String) {
    static SNAPSHOT: OnceLock<(PathBuf, String)> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        let dir = scratch("snapshot");
        let listed = run(hermetic("git")
            .args([
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ])
            .current_dir(root()))
        .expect(0);
        let target = target_dir();
        for rel in listed.stdout.split('\0').filter(|p| !p.is_empty()) {
            let from = root().join(rel);
            // Deleted in the working tree, or build output in a target folder git does not
            // ignore (CARGO_TARGET_DIR=target-other, say), which would be gigabytes to clone.
            if !from.is_file() || from.starts_with(&target) {
                continue;
            }
            let to = dir.join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(&from, &to).unwrap();
        }
        let git = |args: &[&str]| run(hermetic("git").args(args).current_dir(&dir)).expect(0);
        git(&["init", "-q", "-b", "main"]);
        git(&["add", "-A"]);
        git(&[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            "snapshot of the checkout",
        ]);
        let sha = git(&["rev-parse", "HEAD"]).stdout.trim().to_string();
        (dir, sha)
    })
}

/// `PATH` without any folder that holds `cargo` or `rustc`, with `first` in front.
fn path_without_rust(first: &[&Path]) -> String {
    let current = std::env::var_os("PATH").unwrap_or_default();
    let kept = std::env::split_paths(&current)
        .filter(|dir| !dir.join("cargo").exists() && !dir.join("rustc").exists());
    let all: Vec<PathBuf> = first.iter().map(|p| p.to_path_buf()).chain(kept).collect();
    std::env::join_paths(all).unwrap().into_string().unwrap()
}

/// A command in `dir` with the hermetic environment and `PATH` set to `path`.
fn with_path(program: impl AsRef<std::ffi::OsStr>, dir: &Path, path: &str) -> Command {
    let mut cmd = hermetic(program);
    cmd.current_dir(dir).env("PATH", path);
    cmd
}

/// A fresh virtual environment made by the tools' Python.
fn new_venv(dir: &Path) -> PathBuf {
    run(hermetic(python(&[])).args(["-m", "venv"]).arg(dir)).expect(0);
    dir.join("bin")
}

/// With `path` as `PATH`: a staged cache makes `git commit` fail and leaves `HEAD` alone; once
/// the cache is untracked, a commit goes through. Returns the refused commit's output.
#[track_caller]
fn commits_are_judged(repo: &TestRepo, path: &str, env: &[(&str, &Path)]) -> Run {
    let commit = |message: &str| {
        let mut git = with_path("git", repo.path(), path);
        git.envs(env.iter().copied());
        run(git.args(["commit", "-m", message]))
    };
    repo.stage(CACHE, PYC);
    let before = repo.git(&["rev-parse", "HEAD"]);
    let refused = commit("add a cache");
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        format!("{}{}", refused.stdout, refused.stderr).contains(CACHE),
        "{refused:?}"
    );
    assert_eq!(
        repo.git(&["rev-parse", "HEAD"]),
        before,
        "the commit landed"
    );
    repo.git(&["rm", "-q", "--cached", CACHE]);
    repo.stage("pkg/more.py", b"z = 3\n");
    let passed = commit("clean");
    assert_eq!(passed.code, 0, "{passed:?}");
    assert_ne!(repo.git(&["rev-parse", "HEAD"]), before);
    refused
}

/// The README's wheel from a clone: the wheel `wheels()` builds with the README's own maturin
/// arguments, installed by the README's `pip install dist/...` into a fresh environment with no
/// `cargo` anywhere on `PATH`; then `pycache-policy install` plus a real `git commit` refuse a
/// staged cache.
#[test]
#[ignore = "slow: see SLOW"]
fn readme_wheel_from_a_clone_installs_without_cargo() {
    let _serial = one_at_a_time();
    let _ = SLOW;
    let block = covered_block("readme_wheel_from_a_clone_installs_without_cargo");
    let commands = block.commands();
    assert_eq!(commands.len(), 2, "{}", block.at());
    assert_eq!(
        commands[1],
        "pip install dist/pycache_policy-*.whl",
        "{}",
        block.at()
    );
    let dir = scratch("pip-venv");
    let bin = new_venv(&dir.join("venv"));
    std::os::unix::fs::symlink(wheels(), dir.join("dist")).unwrap();
    let path = path_without_rust(&[&bin]);
    let out = run(with_path("sh", &dir, &path)
        .env("PIP_NO_INDEX", "1")
        .args(["-c", &commands[1]]));
    assert_eq!(out.code, 0, "{out:?}");
    let installed = bin.join("pycache-policy");
    assert!(
        installed.is_file(),
        "pip put no command in {}",
        bin.display()
    );
    let said = run(hermetic(&installed).arg("--version")).expect(0);
    assert_version(&said.stdout, root());

    let path = path_without_rust(&[&bin]);
    let repo = TestRepo::with_commit();
    let which = run(with_path("sh", repo.path(), &path).args([
        "-c",
        "command -v pycache-policy; command -v cargo || echo no-cargo",
    ]))
    .expect(0);
    assert_eq!(
        which.stdout,
        format!("{}\nno-cargo\n", installed.display()),
        "{which:?}"
    );
    run(with_path("pycache-policy", repo.path(), &path).arg("install")).expect(0);
    let refused = commits_are_judged(&repo, &path, &[]);
    assert!(
        refused
            .stderr
            .contains("git rm -r --cached -- pkg/__pycache__"),
        "{refused:?}"
    );
}

/// The README's install block, line by line, each into places of its own, offline: pip and
/// pipx find the package in the wheel folder (`PIP_NO_INDEX`, `PIP_FIND_LINKS`), uv likewise.
#[test]
#[ignore = "slow: see SLOW"]
fn readme_install_commands_work_offline_from_the_wheel() {
    let _serial = one_at_a_time();
    let block = covered_block("readme_install_commands_work_offline_from_the_wheel");
    let commands = block.commands();
    assert_eq!(commands.len(), 3, "{}", block.at());
    for command in commands {
        let dir = scratch(&format!("install-{}", command.split(' ').next().unwrap()));
        let tools_bin = venv().join("bin");
        let (mut cmd, installed) = match command.split(' ').next().unwrap() {
            "pip" => {
                let bin = new_venv(&dir.join("venv"));
                let path = path_without_rust(&[&bin]);
                (with_path("sh", &dir, &path), bin.join("pycache-policy"))
            }
            "pipx" => {
                tool("pipx");
                let path = path_without_rust(&[&tools_bin]);
                let mut cmd = with_path("sh", &dir, &path);
                cmd.env("PIPX_HOME", dir.join("pipx"))
                    .env("PIPX_BIN_DIR", dir.join("bin"))
                    .env("PIPX_MAN_DIR", dir.join("man"))
                    .env("PIPX_DEFAULT_PYTHON", python(&[]))
                    // pipx installs with uv when uv is there, as it is in the tools' venv.
                    .env("UV_NO_INDEX", "1")
                    .env("UV_FIND_LINKS", wheels())
                    .env("UV_CACHE_DIR", dir.join("uv-cache"));
                (cmd, dir.join("bin/pycache-policy"))
            }
            "uv" => {
                tool("uv");
                let path = path_without_rust(&[&tools_bin]);
                let mut cmd = with_path("sh", &dir, &path);
                cmd.env("UV_TOOL_DIR", dir.join("tools"))
                    .env("UV_TOOL_BIN_DIR", dir.join("bin"))
                    .env("UV_CACHE_DIR", dir.join("cache"))
                    .env("UV_NO_INDEX", "1")
                    .env("UV_FIND_LINKS", wheels())
                    .env("UV_PYTHON", python(&[]))
                    .env("UV_PYTHON_DOWNLOADS", "never");
                (cmd, dir.join("bin/pycache-policy"))
            }
            other => panic!("{}: no test for `{other}`: add it here", block.at()),
        };
        let out = run(cmd
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", wheels())
            .args(["-c", &command]));
        assert_eq!(out.code, 0, "{command}: {out:?}");
        let version = run(hermetic(&installed).arg("--version")).expect(0);
        assert_version(&version.stdout, root());
    }
}

/// The README's from-source block, in a copy of this checkout: `cargo install --path .` and
/// `pip install .` (maturin through pip's build isolation, fetched from PyPI).
#[test]
#[ignore = "slow: see SLOW"]
fn readme_install_from_a_checkout() {
    let _serial = one_at_a_time();
    let block = covered_block("readme_install_from_a_checkout");
    let commands = block.commands();
    assert_eq!(commands.len(), 2, "{}", block.at());
    let (checkout, _) = snapshot();
    for command in commands {
        let dir = scratch(&format!("source-{}", command.split(' ').next().unwrap()));
        let (mut cmd, installed) = match command.split(' ').next().unwrap() {
            "cargo" => {
                let mut cmd = hermetic("sh");
                cmd.env("CARGO_INSTALL_ROOT", &dir);
                (cmd, dir.join("bin/pycache-policy"))
            }
            "pip" => {
                let bin = new_venv(&dir.join("venv"));
                let mut cmd = hermetic("sh");
                let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
                cmd.env("PATH", path);
                (cmd, bin.join("pycache-policy"))
            }
            other => panic!("{}: no test for `{other}`: add it here", block.at()),
        };
        let out = run(cmd
            .current_dir(checkout)
            .envs(source_build_env())
            .args(["-c", &command]));
        assert_eq!(out.code, 0, "{command}: {out:?}");
        run(hermetic(&installed).arg("--version")).expect(0);
    }
}

/// The block the README says this test covers.
#[track_caller]
fn covered_block(test: &str) -> Block {
    let name = format!("tests/packaging.rs::{test}");
    let mut found: Vec<Block> = readme::marked("covered-by")
        .into_iter()
        .filter(|b| b.marker.get(1) == Some(&name))
        .collect();
    assert_eq!(found.len(), 1, "one README block covered by {name}");
    found.remove(0)
}

/// pre-commit with its own home in the scratch folder, the tools and cargo on `PATH`, and
/// `source_build_env()` for the build pip runs.
fn pre_commit(dir: &Path) -> Command {
    let mut cmd = hermetic(tool("pre-commit"));
    cmd.current_dir(dir)
        .env("PRE_COMMIT_HOME", pre_commit_home())
        .envs(source_build_env());
    let path = format!(
        "{}:{}",
        venv().join("bin").display(),
        std::env::var("PATH").unwrap()
    );
    cmd.env("PATH", path);
    cmd
}

/// One pre-commit home for the tests that install this repository as a hook, so it is built
/// once per run.
fn pre_commit_home() -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| scratch("pre-commit-home"))
}

/// The README's `pre-commit try-repo` line, with this checkout (a snapshot of it) as the clone.
#[test]
#[ignore = "slow: see SLOW"]
fn pre_commit_try_repo_refuses_a_staged_cache_and_passes_a_clean_commit() {
    let _serial = one_at_a_time();
    let block =
        covered_block("pre_commit_try_repo_refuses_a_staged_cache_and_passes_a_clean_commit");
    let commands = block.commands();
    assert_eq!(commands.len(), 1, "{}", block.at());
    let words: Vec<&str> = commands[0].split(' ').collect();
    assert_eq!(
        words,
        [
            "pre-commit",
            "try-repo",
            "../pycache-policy",
            "pycache-policy"
        ],
        "{}",
        block.at()
    );
    let (checkout, _) = snapshot();
    let repo = TestRepo::with_commit();
    let try_repo = || {
        run(pre_commit(repo.path())
            .args(&words[1..2])
            .arg(checkout)
            .args(&words[3..]))
    };
    repo.stage(CACHE, PYC);
    let refused = try_repo();
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stdout.contains("- hook id: pycache-policy"),
        "{refused:?}"
    );
    assert!(refused.stdout.contains(CACHE), "{refused:?}");
    assert!(
        refused.stdout.contains("error[tracked-cache]"),
        "{refused:?}"
    );

    repo.git(&["rm", "-q", "--cached", CACHE]);
    repo.stage("pkg/more.py", b"z = 3\n");
    let passed = try_repo();
    assert_eq!(passed.code, 0, "{passed:?}");
    assert!(passed.stdout.contains("Passed"), "{passed:?}");
}

/// The README's `.pre-commit-config.yaml` with `repo` and `rev` pointing at this checkout:
/// `pre-commit install`, then real commits. Also the fixer hook, and `args: [--all]` for
/// `pre-commit run --all-files`, as the README describes them.
#[test]
#[ignore = "slow: see SLOW"]
fn readme_pre_commit_config_refuses_a_real_commit() {
    let _serial = one_at_a_time();
    let (checkout, sha) = snapshot();
    let config = readme::the("pre-commit-config")
        .text
        .replace(
            "https://github.com/pycache-policy/pycache-policy",
            checkout.to_str().unwrap(),
        )
        .replace(&format!("v{}", env!("CARGO_PKG_VERSION")), sha);
    assert!(config.contains(sha.as_str()), "{config}");
    let repo = TestRepo::with_commit();
    repo.write(".pre-commit-config.yaml", config.as_bytes());
    repo.git(&["add", ".pre-commit-config.yaml"]);
    repo.commit("use pre-commit");
    run(pre_commit(repo.path()).arg("install")).expect(0);
    let path = pre_commit_path();
    let home = pre_commit_home();
    // The first commit builds the hook unless try-repo's test (same clone, same commit) did.
    let build = source_build_env();
    let mut env: Vec<(&str, &Path)> = build.iter().map(|(k, v)| (*k, v.as_path())).collect();
    env.push(("PRE_COMMIT_HOME", home));
    let refused = commits_are_judged(&repo, &path, &env);
    // git shows a hook's output (pre-commit's, here) on its standard error.
    assert!(
        refused.stderr.contains("- hook id: pycache-policy\n"),
        "{refused:?}"
    );
    assert!(
        refused.stderr.contains("error[tracked-cache]"),
        "{refused:?}"
    );

    // `run --all-files` stages nothing: the hook passes a tracked cache, unless given --all.
    repo.stage(CACHE, PYC);
    repo.commit("an old mistake, committed with --no-verify");
    let all_files = || run(pre_commit(repo.path()).args(["run", "--all-files"]));
    assert_eq!(all_files().code, 0);
    let with_all = config.replace(
        "- id: pycache-policy",
        "- id: pycache-policy\n        args: [--all]",
    );
    assert_ne!(with_all, config);
    repo.write(".pre-commit-config.yaml", with_all.as_bytes());
    let refused = all_files();
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stdout.contains(CACHE), "{refused:?}");

    // The fixer: it untracks and writes .gitignore, fails once, and the next commit passes.
    let fixer = config.replace("- id: pycache-policy", "- id: pycache-policy-fix");
    repo.write(".pre-commit-config.yaml", fixer.as_bytes());
    repo.git(&["add", ".pre-commit-config.yaml"]);
    let commit = |message: &str| {
        let mut git = with_path("git", repo.path(), &path);
        run(git
            .env("PRE_COMMIT_HOME", home)
            .args(["commit", "-m", message]))
    };
    let fixed = commit("use the fixer");
    assert_eq!(fixed.code, 1, "{fixed:?}");
    assert!(
        fixed.stderr.contains("- hook id: pycache-policy-fix"),
        "{fixed:?}"
    );
    assert_eq!(repo.git(&["ls-files", "pkg/__pycache__"]), "");
    repo.git(&["add", ".gitignore"]);
    let passed = commit("use the fixer");
    assert_eq!(passed.code, 0, "{passed:?}");
    let files = repo.git(&["show", "--name-status", "--format=", "HEAD"]);
    assert!(files.contains(&format!("D\t{CACHE}")), "{files}");
    assert!(files.contains(".gitignore"), "{files}");
}

/// The `PATH` git commits with while pre-commit's hook runs: cargo too, since the first run
/// may build.
fn pre_commit_path() -> String {
    format!(
        "{}:{}",
        venv().join("bin").display(),
        std::env::var("PATH").unwrap()
    )
}

/// The README's config for users without Rust: pre-commit installs the package from the index
/// (here the wheel folder, with nothing else reachable), and commits are judged with no `cargo`
/// on `PATH`.
#[test]
#[ignore = "slow: see SLOW"]
fn readme_pre_commit_wheel_config_needs_no_rust() {
    let _serial = one_at_a_time();
    let config = readme::the("pre-commit-config-wheel").text;
    // pip needs setuptools to build pre-commit's placeholder package for a local hook.
    let index = scratch("wheel-index");
    for wheel in std::fs::read_dir(wheels()).unwrap() {
        let wheel = wheel.unwrap().path();
        std::fs::copy(&wheel, index.join(wheel.file_name().unwrap())).unwrap();
    }
    run(hermetic(python(&[]))
        .args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--only-binary",
            ":all:",
            "--dest",
        ])
        .arg(&index)
        .arg("setuptools"))
    .expect(0);

    let repo = TestRepo::with_commit();
    repo.write(".pre-commit-config.yaml", config.as_bytes());
    repo.git(&["add", ".pre-commit-config.yaml"]);
    repo.commit("use pre-commit");
    let tools_bin = venv().join("bin");
    let path = path_without_rust(&[&tools_bin]);
    let home = scratch("pre-commit-home-wheel");
    let mut install = with_path(tool("pre-commit"), repo.path(), &path);
    run(install.env("PRE_COMMIT_HOME", &home).arg("install")).expect(0);
    // The hook's environment is made on the first commit: offline, from the folder.
    let refused = commits_are_judged(
        &repo,
        &path,
        &[
            ("PRE_COMMIT_HOME", &home),
            ("PIP_FIND_LINKS", &index),
            ("PIP_NO_INDEX", Path::new("1")),
        ],
    );
    assert!(
        refused.stderr.contains("error[tracked-cache]"),
        "{refused:?}"
    );
}

/// The README's lefthook.yml, installed by lefthook itself: real commits are judged.
#[test]
#[ignore = "slow: see SLOW"]
fn readme_lefthook_config_refuses_a_real_commit() {
    let _serial = one_at_a_time();
    let lefthook = node_tool("lefthook");
    let repo = TestRepo::with_commit();
    repo.write("lefthook.yml", readme::the("lefthook").text.as_bytes());
    let path = format!(
        "{}:{}",
        lefthook.parent().unwrap().display(),
        common::path_with_bin().into_string().unwrap()
    );
    run(with_path(&lefthook, repo.path(), &path).arg("install")).expect(0);
    let hook = std::fs::read_to_string(repo.path().join(".git/hooks/pre-commit")).unwrap();
    assert!(hook.contains("lefthook"), "{hook}");
    let refused = commits_are_judged(&repo, &path, &[]);
    assert!(
        refused.stderr.contains("error[tracked-cache]"),
        "{refused:?}"
    );
}

/// husky's hooks folder, with the README's `.husky/pre-commit`: real commits are judged.
#[test]
#[ignore = "slow: see SLOW"]
fn readme_husky_hook_refuses_a_real_commit() {
    let _serial = one_at_a_time();
    let husky = node_tool("husky");
    let repo = TestRepo::with_commit();
    let path = format!(
        "{}:{}",
        husky.parent().unwrap().display(),
        common::path_with_bin().into_string().unwrap()
    );
    // `husky` with no argument points core.hooksPath at .husky/_, as `husky init` does.
    run(&mut with_path(&husky, repo.path(), &path)).expect(0);
    assert_eq!(repo.git(&["config", "core.hooksPath"]).trim(), ".husky/_");
    let hook = repo.path().join(".husky/pre-commit");
    std::fs::write(&hook, readme::the("husky").text).unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let refused = commits_are_judged(&repo, &path, &[]);
    assert!(
        refused.stderr.contains("error[tracked-cache]"),
        "{refused:?}"
    );
}

/// The README's uvx and pipx run lines, in a repository: offline, from the wheel folder alone,
/// with no `cargo` on `PATH`. Clean, they pass; with a staged cache (`check --all` judges the
/// index too), they fail and name it.
#[test]
#[ignore = "slow: see SLOW"]
fn readme_run_without_installing_from_the_wheel() {
    let _serial = one_at_a_time();
    let block = covered_block("readme_run_without_installing_from_the_wheel");
    let commands = block.commands();
    assert_eq!(commands.len(), 2, "{}", block.at());
    let tools_bin = venv().join("bin");
    let path = path_without_rust(&[&tools_bin]);
    for command in commands {
        let program = command.split(' ').next().unwrap().to_string();
        let dir = scratch(&format!("run-{program}"));
        match program.as_str() {
            "uvx" => tool("uvx"),
            "pipx" => tool("pipx"),
            other => panic!("{}: no test for `{other}`: add it here", block.at()),
        };
        let repo = TestRepo::with_commit();
        let sh = || {
            run(with_path("sh", repo.path(), &path)
                .env("PIPX_HOME", dir.join("pipx"))
                .env("PIPX_BIN_DIR", dir.join("bin"))
                .env("PIPX_DEFAULT_PYTHON", python(&[]))
                .env("PIP_NO_INDEX", "1")
                .env("PIP_FIND_LINKS", wheels())
                .env("UV_NO_INDEX", "1")
                .env("UV_FIND_LINKS", wheels())
                .env("UV_CACHE_DIR", dir.join("uv-cache"))
                .env("UV_PYTHON", python(&[]))
                .env("UV_PYTHON_DOWNLOADS", "never")
                .args(["-c", &command]))
        };
        let clean = sh();
        assert_eq!(clean.code, 0, "{command}: {clean:?}");
        assert!(
            clean.stdout.contains("no forbidden caches tracked"),
            "{command}: {clean:?}"
        );
        repo.stage(CACHE, PYC);
        let refused = sh();
        assert_eq!(refused.code, 1, "{command}: {refused:?}");
        assert!(refused.stdout.contains(CACHE), "{command}: {refused:?}");
    }
}

/// The GitHub Action's install script (`.github/scripts/install.sh`, as action.yml runs it)
/// against an index that has the wheel (the wheel folder, and nothing else): with pip, and with
/// uv when uv is on `PATH`. It replaces the other version on `PATH`, builds nothing (`cargo`
/// here fails the test), says how it installed, and the program it puts on `PATH` works.
/// (Its fallback to `cargo install` is tested in tests/release.rs.)
#[test]
#[ignore = "slow: see SLOW"]
fn action_install_script_installs_the_wheel_from_the_index() {
    use std::os::unix::fs::PermissionsExt as _;
    let _serial = one_at_a_time();
    let version = env!("CARGO_PKG_VERSION");
    for how in ["pip install", "uv tool install"] {
        let job = scratch(&format!("action-{}", how.split(' ').next().unwrap()));
        let fakes = job.join("fakes");
        std::fs::create_dir_all(&fakes).unwrap();
        std::fs::create_dir_all(job.join("runner-temp")).unwrap();
        for (name, body) in [
            ("pycache-policy", "#!/bin/sh\necho 'pycache-policy 0.0.0'\n"),
            ("cargo", "#!/bin/sh\necho 'cargo was called' >&2\nexit 99\n"),
        ] {
            std::fs::write(fakes.join(name), body).unwrap();
            std::fs::set_permissions(fakes.join(name), std::fs::Permissions::from_mode(0o755))
                .unwrap();
        }
        let tools_bin = venv().join("bin");
        let mut first = vec![fakes.as_path()];
        if how.starts_with("uv") {
            first.push(&tools_bin);
        }
        let path = path_without_rust(&first);
        let github_path = job.join("path.txt");
        std::fs::write(&github_path, "").unwrap();
        let out = run(with_path("bash", &job, &path)
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(root().join(".github/scripts/install.sh"))
            .env("ACTION_PATH", root())
            .env("RUNNER_TEMP", job.join("runner-temp"))
            .env("GITHUB_PATH", &github_path)
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", wheels())
            .env("UV_NO_INDEX", "1")
            .env("UV_FIND_LINKS", wheels())
            .env("UV_CACHE_DIR", job.join("uv-cache"))
            .env("UV_PYTHON", python(&[]))
            .env("UV_PYTHON_DOWNLOADS", "never"));
        assert_eq!(out.code, 0, "{how}: {out:?}");
        let bin = job.join("runner-temp/pycache-policy/bin");
        assert_eq!(
            out.stdout,
            format!(
                "installed pycache-policy {version} from the package index (prebuilt wheel, \
                 with {how}) into {}\n",
                bin.display()
            ),
            "{out:?}"
        );
        assert_eq!(
            std::fs::read_to_string(&github_path).unwrap(),
            format!("{}\n", bin.display())
        );
        // Only the program goes on PATH, no Python with it.
        let on_path: Vec<String> = std::fs::read_dir(&bin)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(on_path, ["pycache-policy"], "{how}");
        let said = run(hermetic(bin.join("pycache-policy")).arg("--version")).expect(0);
        assert_version(&said.stdout, root());
        let repo = TestRepo::with_commit();
        repo.stage(CACHE, PYC);
        let refused = run(with_path(bin.join("pycache-policy"), repo.path(), &path).arg("check"));
        assert_eq!(refused.code, 1, "{refused:?}");
    }
}

/// The release workflow's smoke test, on the wheel: it passes, and asking it for another
/// version fails.
#[test]
#[ignore = "slow: see SLOW"]
fn release_smoke_test_passes_on_the_wheel() {
    let _serial = one_at_a_time();
    let path = path_without_rust(&[]);
    let smoke = |version: &str| {
        run(with_path("sh", root(), &path)
            .arg(root().join(".github/scripts/smoke-test.sh"))
            .arg(wheels())
            .arg(version)
            .arg(python(&[])))
    };
    let version = env!("CARGO_PKG_VERSION");
    let passed = smoke(version);
    assert_eq!(passed.code, 0, "{passed:?}");
    assert!(
        passed
            .stdout
            .contains(&format!("smoke test passed: pycache-policy {version}")),
        "{passed:?}"
    );
    let first = passed.stdout.lines().next().unwrap_or_default();
    assert_version(&format!("{first}\n"), root());
    assert_ne!(smoke("0.0.0").code, 0);
}

/// The release's standalone archive of the wheel's binary: its `.sha256` checks with
/// `sha256sum -c`, it unpacks into one folder with the README, changelog and licences, and the
/// binary in it runs.
#[test]
#[ignore = "slow: see SLOW"]
fn release_archive_holds_the_wheels_binary() {
    let _serial = one_at_a_time();
    let out = scratch("archives");
    let target = "x86_64-unknown-linux-gnu";
    run(hermetic(python(&[]))
        .arg(root().join(".github/scripts/release.py"))
        .args(["archive"])
        .arg(the_wheel())
        .arg(target)
        .arg(&out)
        .current_dir(root()))
    .expect(0);
    let version = env!("CARGO_PKG_VERSION");
    let name = format!("pycache-policy-{version}-{target}");
    let archive = format!("{name}.tar.gz");
    run(hermetic("sha256sum")
        .args(["-c", &format!("{archive}.sha256")])
        .current_dir(&out))
    .expect(0);
    run(hermetic("tar").args(["-xzf", &archive]).current_dir(&out)).expect(0);
    let mut files: Vec<String> = std::fs::read_dir(out.join(&name))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "CHANGELOG.md",
            "LICENSE-APACHE",
            "LICENSE-MIT",
            "README.md",
            "pycache-policy"
        ]
    );
    let said = run(hermetic(out.join(&name).join("pycache-policy")).arg("--version")).expect(0);
    assert_version(&said.stdout, root());
}

/// prek, for both of the README's pre-commit configurations: the repository hook (this
/// checkout as `repo`, built from source by prek through uv and maturin) and the wheel-based
/// local hook (from the wheel folder alone, with no `cargo` on `PATH`). `prek install`, then
/// real commits are judged.
#[test]
#[ignore = "slow: see SLOW"]
fn prek_runs_the_repository_hook_and_the_wheel_config() {
    let _serial = one_at_a_time();
    let prek = tool("prek");
    let tools_bin = venv().join("bin");

    // The repository hook, from source.
    let (checkout, sha) = snapshot();
    let config = readme::the("pre-commit-config")
        .text
        .replace(
            "https://github.com/pycache-policy/pycache-policy",
            checkout.to_str().unwrap(),
        )
        .replace(&format!("v{}", env!("CARGO_PKG_VERSION")), sha);
    let repo = TestRepo::with_commit();
    repo.write(".pre-commit-config.yaml", config.as_bytes());
    repo.git(&["add", ".pre-commit-config.yaml"]);
    repo.commit("use prek");
    let home = scratch("prek-home");
    let path = pre_commit_path();
    let mut install = with_path(&prek, repo.path(), &path);
    run(install.env("PREK_HOME", &home).arg("install")).expect(0);
    let build = source_build_env();
    let mut env: Vec<(&str, &Path)> = build.iter().map(|(k, v)| (*k, v.as_path())).collect();
    let uv_cache = home.join("uv-cache");
    env.extend([("PREK_HOME", home.as_path()), ("UV_CACHE_DIR", &uv_cache)]);
    let refused = commits_are_judged(&repo, &path, &env);
    assert!(
        refused.stderr.contains("error[tracked-cache]"),
        "{refused:?}"
    );

    // The wheel config, offline and without Rust.
    let config = readme::the("pre-commit-config-wheel").text;
    let repo = TestRepo::with_commit();
    repo.write(".pre-commit-config.yaml", config.as_bytes());
    repo.git(&["add", ".pre-commit-config.yaml"]);
    repo.commit("use prek");
    let home = scratch("prek-home-wheel");
    let path = path_without_rust(&[&tools_bin]);
    let mut install = with_path(&prek, repo.path(), &path);
    run(install.env("PREK_HOME", &home).arg("install")).expect(0);
    let refused = commits_are_judged(
        &repo,
        &path,
        &[
            ("PREK_HOME", &home),
            ("UV_CACHE_DIR", &home.join("uv-cache")),
            ("UV_NO_INDEX", Path::new("1")),
            ("UV_FIND_LINKS", wheels()),
            ("UV_PYTHON_DOWNLOADS", Path::new("never")),
            ("PIP_NO_INDEX", Path::new("1")),
            ("PIP_FIND_LINKS", wheels()),
        ],
    );
    assert!(
        refused.stderr.contains("error[tracked-cache]"),
        "{refused:?}"
    );
}

/// The sdist, as the release workflow makes it with maturin: named for this version, and
/// holding what a build from it needs (the release workflow builds a wheel from it and
/// smoke-tests that).
#[test]
#[ignore = "slow: see SLOW"]
fn the_sdist_holds_what_a_build_needs() {
    let _serial = one_at_a_time();
    let out = scratch("sdist");
    run(hermetic(tool("maturin"))
        .args(["sdist", "--out"])
        .arg(&out)
        .current_dir(root()))
    .expect(0);
    let version = env!("CARGO_PKG_VERSION");
    let name = format!("pycache_policy-{version}.tar.gz");
    assert!(out.join(&name).is_file(), "no {name}");
    let listed = run(hermetic("tar").args(["-tzf", &name]).current_dir(&out)).expect(0);
    let files: Vec<&str> = listed.stdout.lines().collect();
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "pyproject.toml",
        "src/main.rs",
        "hooks/pre-commit",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
    ] {
        let path = format!("pycache_policy-{version}/{file}");
        assert!(files.contains(&path.as_str()), "the sdist lacks {file}");
    }
}
