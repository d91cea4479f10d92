//! Records the git commit a release build is made from, for `pycache-policy --version`
//! (`pycache-policy 0.1.0 (1a2b3c4d5 2026-12-02)`, as ruff prints it).
//!
//! It sets two variables for the compiler, read with `env!`:
//! - `PYCACHE_POLICY_COMMIT`: `<short hash> <commit date>`, or empty when it is not known;
//! - `PYCACHE_POLICY_VERSION`: the package version, followed by ` (<commit>)` when it is known.
//!
//! The commit is known in a release build (`cargo install`, maturin, pip) of a git checkout
//! whose top folder is this package's own: not in a crate or sdist unpacked somewhere (even
//! inside somebody's dotfiles repository), not without git, never by failing the build. A debug
//! build leaves it empty, so that a commit does not rebuild every test binary.
//! `PYCACHE_POLICY_COMMIT` set in the build's environment is used as it is (the release
//! workflow sets it for builds made in a container, where git may refuse the checkout).

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PYCACHE_POLICY_COMMIT");
    let commit = match std::env::var("PYCACHE_POLICY_COMMIT") {
        Ok(given) => given.trim().to_string(),
        Err(_) if std::env::var("PROFILE").as_deref() == Ok("release") => {
            git_commit().unwrap_or_default()
        }
        Err(_) => String::new(),
    };
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let full = if commit.is_empty() {
        version
    } else {
        format!("{version} ({commit})")
    };
    println!("cargo:rustc-env=PYCACHE_POLICY_COMMIT={commit}");
    println!("cargo:rustc-env=PYCACHE_POLICY_VERSION={full}");
}

/// `<short hash> <date>` of `HEAD`, when this package is the top of a git work tree.
fn git_commit() -> Option<String> {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    let git = |args: &[&str]| -> Option<String> {
        let dir = manifest.to_str()?;
        let out = Command::new("git")
            // A checkout owned by another user (a container's bind mount) is still read.
            .args(["-c", &format!("safe.directory={dir}"), "-C", dir])
            .args(args)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .ok()?;
        let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
        (out.status.success() && !text.is_empty()).then_some(text)
    };
    let top = git(&["rev-parse", "--show-toplevel"])?;
    if !same_folder(Path::new(&top), &manifest) {
        return None; // an unpacked crate or sdist inside some other repository
    }
    // Rebuild when HEAD moves: HEAD itself (a branch switch) and the ref it names (a commit).
    for path in [
        git(&["rev-parse", "--git-path", "HEAD"]),
        git(&["symbolic-ref", "-q", "HEAD"]).and_then(|r| git(&["rev-parse", "--git-path", &r])),
        git(&["rev-parse", "--git-path", "packed-refs"]),
    ]
    .into_iter()
    .flatten()
    {
        let path = manifest.join(path);
        // A path that does not exist would make cargo run this script on every build.
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    let line = git(&[
        "log",
        "-1",
        "--no-show-signature",
        "--format=%h %cs",
        "--abbrev=9",
        "HEAD",
    ])?;
    let mut words = line.split(' ');
    let (hash, date) = (words.next()?, words.next()?);
    let plausible =
        hash.chars().all(|c| c.is_ascii_hexdigit()) && date.len() == 10 && words.next().is_none();
    plausible.then(|| format!("{hash} {date}"))
}

fn same_folder(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
