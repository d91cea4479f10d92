//! The tool where Python developers get it: the wheel built by maturin and installed with pip,
//! pipx and uv; the pre-commit framework (`pre-commit try-repo` on this checkout, and the
//! README's `.pre-commit-config.yaml`); lefthook and husky. Every test here does it for real.
//!
//! They are slow (the wheel is a release build; pre-commit builds the package again through pip,
//! with the same cargo target folder so most of it is reused) and need tools from PyPI and npm,
//! so `cargo test` leaves them out and `.ci/run` runs them:
//! `cargo test --test packaging -- --ignored`, after installing the tools (see `common::tools`).

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::readme::{self, Block};
use common::tools::{node_tool, python, tool, venv};
use common::{Run, TestRepo, hermetic};

const SLOW: &str = "builds the release wheel and needs maturin, pre-commit, pipx, uv, lefthook \
                    and husky: .ci/run runs it with --ignored";
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

fn run(cmd: &mut Command) -> Run {
    cmd.output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"))
        .into()
}

/// The folder holding the wheel `maturin build --release` makes of this checkout (built once).
fn wheels() -> &'static Path {
    static WHEELS: OnceLock<PathBuf> = OnceLock::new();
    WHEELS.get_or_init(|| {
        let dir = scratch("wheels");
        run(hermetic(tool("maturin"))
            .args(["build", "--release", "--locked", "--out"])
            .arg(&dir)
            .current_dir(root())
            .env("CARGO_TARGET_DIR", target_dir()))
        .expect(0);
        let wheels: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(wheels.len(), 1, "one wheel in {}", dir.display());
        dir
    })
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
        for rel in listed.stdout.split('\0').filter(|p| !p.is_empty()) {
            let from = root().join(rel);
            if !from.is_file() {
                continue; // deleted in the working tree
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

/// The bar: `pip install` the wheel into a fresh environment, with no `cargo` anywhere
/// on `PATH`, and `pycache-policy install` plus a real `git commit` refuse a staged cache.
#[test]
#[ignore = "slow: see SLOW"]
fn the_wheel_installed_with_pip_refuses_a_cache_without_cargo() {
    let _serial = one_at_a_time();
    let _ = SLOW;
    let dir = scratch("pip-venv");
    let bin = new_venv(&dir.join("venv"));
    run(hermetic(bin.join("pip"))
        .args(["install", "--no-index", "--find-links"])
        .arg(wheels())
        .arg("pycache-policy"))
    .expect(0);
    let installed = bin.join("pycache-policy");
    assert!(
        installed.is_file(),
        "pip put no command in {}",
        bin.display()
    );

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
        assert_eq!(
            version.stdout,
            format!("pycache-policy {}\n", env!("CARGO_PKG_VERSION")),
            "{command}"
        );
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
            .env("CARGO_TARGET_DIR", target_dir())
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

/// pre-commit with its own home in the scratch folder, the tools and cargo on `PATH`, and the
/// shared target folder for the build pip runs.
fn pre_commit(dir: &Path) -> Command {
    let mut cmd = hermetic(tool("pre-commit"));
    cmd.current_dir(dir)
        .env("PRE_COMMIT_HOME", pre_commit_home())
        .env("CARGO_TARGET_DIR", target_dir());
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

#[test]
#[ignore = "slow: see SLOW"]
fn pre_commit_try_repo_refuses_a_staged_cache_and_passes_a_clean_commit() {
    let _serial = one_at_a_time();
    let (checkout, sha) = snapshot();
    let repo = TestRepo::with_commit();
    let try_repo = || {
        run(pre_commit(repo.path())
            .args(["try-repo"])
            .arg(checkout)
            .args(["pycache-policy", "--ref", sha]))
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
    let refused = commits_are_judged(&repo, &path, &[("PRE_COMMIT_HOME", home)]);
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
