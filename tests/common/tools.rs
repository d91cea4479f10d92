//! The programs outside Rust that some tests need: a Python with `jsonschema` and `yaml`, and
//! maturin, pre-commit, pipx and uv. They come from one virtual environment, which `.ci/run`
//! makes from `.ci/requirements.txt`: `PYCACHE_POLICY_TOOLS` names it, else
//! `target/ci-venv` is used when it exists, else `python3` and the programs on `PATH`.
//! lefthook and husky come from npm: `PYCACHE_POLICY_NODE_TOOLS` names their `.bin` folder, else
//! `target/ci-node/node_modules/.bin`. A missing tool fails the test with the command that
//! installs it; no test skips.

use std::path::{Path, PathBuf};

use super::hermetic;

const SETUP: &str = "python3 -m venv target/ci-venv && \
                     target/ci-venv/bin/pip install -r .ci/requirements.txt";

/// The virtual environment holding the tools, if there is one.
pub fn venv() -> Option<PathBuf> {
    match std::env::var_os("PYCACHE_POLICY_TOOLS") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-venv");
            dir.join("bin/python").exists().then_some(dir)
        }
    }
}

/// The program `name`: from the tools' virtual environment, else from `PATH`.
#[track_caller]
pub fn tool(name: &str) -> PathBuf {
    if let Some(venv) = venv() {
        let path = venv.join("bin").join(name);
        assert!(
            path.exists(),
            "this test needs `{name}`, which {} lacks; install it with: {SETUP}",
            venv.display()
        );
        return path;
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| panic!("this test needs `{name}` on PATH; install it with: {SETUP}"))
}

/// A Python interpreter that can import `modules`.
#[track_caller]
pub fn python(modules: &[&str]) -> PathBuf {
    let python = match venv() {
        Some(_) => tool("python"),
        None => tool("python3"),
    };
    if modules.is_empty() {
        return python;
    }
    let imports = format!("import {}", modules.join(", "));
    let out = hermetic(&python).args(["-c", &imports]).output().unwrap();
    assert!(
        out.status.success(),
        "this test needs the Python modules {modules:?} in {}: {}\ninstall them with: {SETUP}",
        python.display(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    python
}

/// The npm program `name` (lefthook, husky).
#[track_caller]
pub fn node_tool(name: &str) -> PathBuf {
    let dir = match std::env::var_os("PYCACHE_POLICY_NODE_TOOLS") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ci-node/node_modules/.bin"),
    };
    let path = dir.join(name);
    assert!(
        path.exists(),
        "this test needs `{name}` in {}; install it with: \
         npm install --prefix target/ci-node --no-save --ignore-scripts lefthook@2.2.1 husky@9.1.7",
        dir.display()
    );
    path
}
