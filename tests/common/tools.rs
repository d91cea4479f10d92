//! The programs outside Rust that some tests need: a Python with `jsonschema` and `yaml`, and
//! maturin, pre-commit, pipx and uv. They come from one virtual environment, which `.ci/run`
//! makes from `.ci/requirements.txt`: `PYCACHE_POLICY_TOOLS` names it, else `target/ci-venv`,
//! which the first test that needs it makes (python3 and the package registry are enough).
//! lefthook and husky come from npm: `PYCACHE_POLICY_NODE_TOOLS` names their `.bin` folder, else
//! `target/ci-node/node_modules/.bin`. A missing tool fails the test with the command that
//! installs it; no test skips.

use std::path::{Path, PathBuf};

use super::hermetic;

const SETUP: &str = "python3 -m venv target/ci-venv && \
                     target/ci-venv/bin/pip install -r .ci/requirements.txt";

/// The virtual environment holding the tools: `PYCACHE_POLICY_TOOLS`, else `target/ci-venv`,
/// which the first test that needs it makes from `.ci/requirements.txt` (so `cargo test` works
/// on a fresh machine with nothing but python3 and the package registry).
pub fn venv() -> PathBuf {
    match std::env::var_os("PYCACHE_POLICY_TOOLS") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => provisioned_venv(),
    }
}

/// `target/ci-venv`, made or brought up to date with `.ci/requirements.txt` once, under a lock
/// (a folder, created atomically) that keeps concurrent test processes from racing.
fn provisioned_venv() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("target/ci-venv");
    let marker = dir.join(".pycache-policy-requirements");
    let requirements = std::fs::read(root.join(".ci/requirements.txt")).unwrap();
    let ready = || std::fs::read(&marker).is_ok_and(|m| m == requirements);
    if ready() {
        return dir;
    }
    let lock = root.join("target/ci-venv.lock");
    std::fs::create_dir_all(root.join("target")).unwrap();
    let start = std::time::Instant::now();
    loop {
        match std::fs::create_dir(&lock) {
            Ok(()) => break,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if ready() {
                    return dir;
                }
                // A lock older than the slowest install is a leftover of a killed run.
                let stale = std::fs::metadata(&lock)
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t.elapsed().is_ok_and(|e| e.as_secs() > 900));
                if stale {
                    let _ = std::fs::remove_dir(&lock);
                }
                assert!(
                    start.elapsed().as_secs() < 1200,
                    "waited too long for {}",
                    lock.display()
                );
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
            Err(e) => panic!("cannot create {}: {e}", lock.display()),
        }
    }
    let result = (|| -> Result<(), String> {
        if ready() {
            return Ok(());
        }
        // Said once, by the process holding the lock, straight to the terminal: the test harness
        // captures `eprintln!`, and a first run that sits for a minute should say why.
        {
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "pycache-policy tests: installing the Python test tools into {} from \
                 .ci/requirements.txt (once; set PYCACHE_POLICY_TOOLS to use another environment)",
                dir.display()
            );
        }
        let run = |cmd: &mut std::process::Command| {
            let out = cmd.output().map_err(|e| e.to_string())?;
            if out.status.success() {
                Ok(())
            } else {
                Err(String::from_utf8_lossy(&out.stderr).into_owned())
            }
        };
        if !dir.join("bin/python").exists() {
            run(hermetic("python3").arg("-m").arg("venv").arg(&dir))?;
        }
        run(hermetic(dir.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(root.join(".ci/requirements.txt")))?;
        std::fs::write(&marker, &requirements).map_err(|e| e.to_string())
    })();
    let _ = std::fs::remove_dir(&lock);
    if let Err(e) = result {
        panic!("could not make the test tools' environment ({SETUP}): {e}");
    }
    dir
}

/// The program `name`, from the tools' virtual environment.
#[track_caller]
pub fn tool(name: &str) -> PathBuf {
    let venv = venv();
    let path = venv.join("bin").join(name);
    assert!(
        path.exists(),
        "this test needs `{name}`, which {} lacks; install it with: {SETUP}",
        venv.display()
    );
    path
}

/// A Python interpreter that can import `modules`.
#[track_caller]
pub fn python(modules: &[&str]) -> PathBuf {
    let python = tool("python");
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
