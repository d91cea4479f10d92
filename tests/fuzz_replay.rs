//! Replays every saved fuzz input on stable Rust: the seed corpora under `fuzz/corpus/TARGET/`
//! (made by the real tools with `fuzz/make-corpus.sh`) and every input a fuzzer ever found a
//! defect with, kept under `fuzz/artifacts/TARGET/`. Each goes through the same function the
//! fuzz target calls (`fuzz/fuzz_targets/TARGET.rs`), so `cargo test` guards them without a
//! nightly toolchain. A panic, a hang (the deadline) or an index the writer could not read
//! back fails the test.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pycache_policy::policy::{Origin, Policy};

fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut out = Vec::new();
    for dir in ["corpus", "artifacts"] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) {
            out.extend(entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()));
        }
    }
    out.sort();
    out
}

fn replay(target: &str, min: usize, run: impl Fn(&[u8])) {
    if !Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").exists() {
        return; // the published crate leaves fuzz/ out
    }
    let files = inputs(target);
    assert!(files.len() >= min, "{target}: only {} inputs", files.len());
    for file in files {
        let data = std::fs::read(&file).unwrap();
        let start = Instant::now();
        run(&data);
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{}: {:?}",
            file.display(),
            start.elapsed()
        );
    }
}

#[test]
fn index() {
    replay("index", 7, |data| {
        if let Err(e) = pycache_policy::git::index::fuzz_one(data) {
            panic!("{e}");
        }
    });
}

#[test]
fn seeds_from_git_read_as_indexes() {
    // The seeds git wrote must parse (except the split index, which is refused by design).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/index");
    if !dir.exists() {
        return;
    }
    for file in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let parsed =
            pycache_policy::git::index::IndexFile::parse(std::fs::read(&file).unwrap(), 20);
        assert_eq!(parsed.is_ok(), !name.contains("split"), "{name}");
    }
}

#[test]
fn objects() {
    replay("objects", 2, pycache_policy::git::pack::fuzz_one);
}

#[test]
fn tree() {
    replay("tree", 1, |data| {
        let _ = pycache_policy::git::diff::fuzz_one(data);
    });
}

#[test]
fn pyc() {
    replay("pyc", 3, |data| {
        let _ = pycache_policy::pyc::Header::parse(data);
        let _ = pycache_policy::pyc::Header::parse_file(data);
        let _ = pycache_policy::pyc::verify(
            b"pkg/__pycache__/m.cpython-312.pyc",
            data,
            Some(b"x = 1\n"),
        );
        let _ = pycache_policy::pyc::verify(b"m.pyc", data, None);
    });
}

#[test]
fn policy() {
    replay("policy", 1, |data| {
        if let Ok(text) = std::str::from_utf8(data) {
            let _ = Policy::from_toml(text, Origin::File("pycache-policy.toml".into()));
        }
    });
}
