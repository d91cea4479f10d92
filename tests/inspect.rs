//! `pycache-policy inspect` on pycs made by the machine's `python3`: staged ones read from the
//! index, others from disk, inside a repository or not, and `--recompile`.

mod common;

use std::path::Path;

use common::{Run, TestRepo, bin, hermetic, python3};
use serde_json::Value;

/// Compiles `SOURCE` in `dir` to where Python imports its cache from, in `MODE`
/// (`TIMESTAMP`, `CHECKED_HASH`, `UNCHECKED_HASH`); prints the cache path and what Python knows.
const COMPILE: &str = r#"
import importlib.util, json, os, py_compile, sys
source, mode = sys.argv[1], sys.argv[2]
cfile = importlib.util.cache_from_source(source)
py_compile.compile(source, cfile=cfile, doraise=True,
                   invalidation_mode=py_compile.PycInvalidationMode[mode])
with open(source, "rb") as f:
    data = f.read()
st = os.stat(source)
print(json.dumps({"cfile": cfile, "version": "%d.%d" % sys.version_info[:2],
                  "magic": int.from_bytes(importlib.util.MAGIC_NUMBER[:2], "little"),
                  "hash": importlib.util.source_hash(data).hex(),
                  "mtime": int(st.st_mtime) & 0xFFFFFFFF, "size": st.st_size}))
"#;

fn compile(dir: &Path, source: &str, mode: &str) -> Value {
    serde_json::from_str(&python3(dir, COMPILE, &[source, mode])).unwrap()
}

/// Runs `pycache-policy ARGS` in `dir`, optionally with `PATH` set to `path`.
fn run_at(dir: &Path, path: Option<&Path>, args: &[&str]) -> Run {
    let mut cmd = hermetic(bin());
    cmd.args(args).current_dir(dir);
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    cmd.output().unwrap().into()
}

#[test]
fn a_staged_pyc_is_read_from_the_index_with_its_staged_source() {
    let repo = TestRepo::with_commit();
    repo.write("01_Basics/script1.py", b"GREETING = 'hello'\n");
    let py = compile(repo.path(), "01_Basics/script1.py", "CHECKED_HASH");
    let cfile = py["cfile"].as_str().unwrap();
    repo.git(&["add", "-f", "01_Basics"]);
    // What is on disk no longer matters: the pyc is gone, the source was edited after staging.
    std::fs::remove_file(repo.path().join(cfile)).unwrap();
    repo.write(
        "01_Basics/script1.py",
        b"GREETING = 'changed on disk only'\n",
    );

    let report = repo
        .run(&["inspect", "--format", "json", cfile])
        .expect(0)
        .json();
    let file = &report["files"][0];
    assert_eq!(file["path"], cfile);
    assert_eq!(file["read_from"], "index");
    assert_eq!(file["header"]["python"], py["version"]);
    assert_eq!(file["header"]["magic"], py["magic"]);
    assert_eq!(file["header"]["invalidation"], "checked-hash");
    assert_eq!(file["header"]["source_hash"], py["hash"]);
    assert_eq!(file["source"]["path"], "01_Basics/script1.py");
    assert_eq!(file["source"]["found"], true);
    assert_eq!(file["source"]["size"], 19);
    assert_eq!(file["source_match"], "matches");
    assert_eq!(file["problems"], serde_json::json!([]));

    let run = repo.run(&["inspect", cfile]).expect(0);
    assert!(
        run.stdout.starts_with(&format!("{cfile} (staged, ")),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!(
            "  python: {} (magic {})\n  invalidation: checked-hash\n  source hash: {}\n",
            py["version"].as_str().unwrap(),
            py["magic"],
            py["hash"].as_str().unwrap()
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  source: 01_Basics/script1.py (staged, 19 bytes): matches\n"),
        "{}",
        run.stdout
    );

    // A pyc the index does not hold is read from disk: untracked in the repository, or outside it.
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("o.py"), b"").unwrap();
    let other = compile(outside.path(), "o.py", "CHECKED_HASH");
    let outside_pyc = outside.path().join(other["cfile"].as_str().unwrap());
    repo.write("untracked.py", b"");
    let untracked = compile(repo.path(), "untracked.py", "CHECKED_HASH");
    let report = repo
        .run(&[
            "inspect",
            "--format",
            "json",
            outside_pyc.to_str().unwrap(),
            untracked["cfile"].as_str().unwrap(),
        ])
        .expect(0)
        .json();
    for file in report["files"].as_array().unwrap() {
        assert_eq!(file["read_from"], "disk", "{file}");
        assert_eq!(file["source_match"], "matches", "{file}");
    }

    // Staging the edited source makes it stale; from a subfolder, paths are relative to it.
    repo.git(&["add", "01_Basics/script1.py"]);
    let rel = cfile.strip_prefix("01_Basics/").unwrap();
    let run = repo
        .run_in(&repo.path().join("01_Basics"), &["inspect", rel])
        .expect(1);
    assert!(run.stdout.contains(": does not match\n"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("error[pyc-stale]: compiled from another version"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_timestamp_pyc_outside_any_repository_is_read_from_disk_with_its_mtime() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.py"), b"VALUE = 1\n").unwrap();
    let py = compile(dir.path(), "m.py", "TIMESTAMP");
    let cfile = py["cfile"].as_str().unwrap();

    let report = run_at(dir.path(), None, &["inspect", "--format", "json", cfile])
        .expect(0)
        .json();
    let file = &report["files"][0];
    assert_eq!(file["read_from"], "disk");
    assert_eq!(file["header"]["invalidation"], "timestamp");
    assert_eq!(file["header"]["source_size"], py["size"]);
    assert_eq!(file["header"]["source_mtime"], py["mtime"]);
    assert_eq!(file["source"]["path"], "m.py");
    assert_eq!(file["source_match"], "matches");
    assert_eq!(file["source_mtime_matches"], true);
    assert_eq!(file["problems"][0]["code"], "pyc-unverifiable");
    assert_eq!(file["problems"][0]["severity"], "warning");

    // Touch the source: same size, another mtime, so Python would recompile it.
    let later = std::fs::File::options()
        .write(true)
        .open(dir.path().join("m.py"))
        .unwrap();
    later
        .set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1))
        .unwrap();
    let run = run_at(dir.path(), None, &["inspect", cfile]).expect(0);
    assert!(
        run.stdout.contains(
            "  source mtime: differs (the file's is 1: Python would recompile rather than use \
             this pyc)"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn a_bare_file_an_invalid_one_and_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.py"), b"").unwrap();
    let py = compile(dir.path(), "m.py", "UNCHECKED_HASH");
    std::fs::copy(
        dir.path().join(py["cfile"].as_str().unwrap()),
        dir.path().join("copy.bin"),
    )
    .unwrap();
    std::fs::write(dir.path().join("m.pyc"), b"\xa7\r\r\n\0\0").unwrap();

    let run = run_at(dir.path(), None, &["inspect", "copy.bin", "m.pyc"]).expect(1);
    assert!(
        run.stdout.contains(&format!(
            "copy.bin (on disk, {} bytes)\n  python: {}",
            std::fs::metadata(dir.path().join("copy.bin"))
                .unwrap()
                .len(),
            py["version"].as_str().unwrap()
        )),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("  invalidation: unchecked-hash\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("  source: none (Python never pairs this file name with a source)\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(
            "m.pyc (on disk, 6 bytes)\n  source: m.py (on disk, 0 bytes): cannot tell\n  \
             error[pyc-invalid]: not a pyc Python can load: the file is 6 bytes long, shorter \
             than its 16-byte header\n"
        ),
        "{}",
        run.stdout
    );

    let run = run_at(dir.path(), None, &["inspect", "missing.pyc"]).expect(2);
    assert!(run.stderr.contains("cannot read"), "{}", run.stderr);
    assert!(run.stderr.contains("missing.pyc"), "{}", run.stderr);
}

#[test]
fn recompile_catches_code_changed_behind_a_matching_header() {
    let repo = TestRepo::with_commit();
    repo.write(
        "01_Basics/script1.py",
        b"GREETING = 'hello'\nprint(GREETING)\n",
    );
    let py = compile(repo.path(), "01_Basics/script1.py", "CHECKED_HASH");
    let cfile = py["cfile"].as_str().unwrap();
    repo.git(&["add", "-f", "01_Basics"]);

    let report = repo
        .run(&["inspect", "--recompile", "--format", "json", cfile])
        .expect(0)
        .json();
    let recompiled = &report["files"][0]["recompile"];
    assert_eq!(recompiled["verdict"], "identical", "{report}");
    assert_eq!(
        recompiled["interpreter"]["release"]
            .as_str()
            .unwrap()
            .rsplit_once('.')
            .unwrap()
            .0,
        py["version"]
    );

    // Change a constant in the code; the header still vouches for the source.
    let mut bytes = std::fs::read(repo.path().join(cfile)).unwrap();
    let at = bytes.windows(5).position(|w| w == b"hello").unwrap();
    bytes[at..at + 5].copy_from_slice(b"HELLO");
    repo.stage(cfile, &bytes);
    let run = repo.run(&["inspect", cfile]).expect(0);
    assert!(run.stdout.contains(": matches\n"), "{}", run.stdout);
    let run = repo.run(&["inspect", "--recompile", cfile]).expect(1);
    assert!(
        run.stdout.contains(
            "  error[pyc-code-mismatch]: the code is not what the source compiles to: <module>: \
             the pyc has the constant 'HELLO' where the source compiles to 'hello'"
        ),
        "{}",
        run.stdout
    );
    let report = repo
        .run(&["inspect", "--recompile", "--format", "json", cfile])
        .expect(1)
        .json();
    assert_eq!(report["files"][0]["recompile"]["verdict"], "differs");

    // With no Python of that version on PATH, it says so, and why; that is not a pass.
    let empty = tempfile::tempdir().unwrap();
    let run = run_at(
        repo.path(),
        Some(empty.path()),
        &["inspect", "--recompile", cfile],
    )
    .expect(0);
    assert!(
        run.stdout.contains(&format!(
            "  warning[pyc-recompile-unavailable]: could not check the code: no Python {} that \
             writes magic number {} on PATH: python{} is not on PATH; python3 is not on PATH\n",
            py["version"].as_str().unwrap(),
            py["magic"],
            py["version"].as_str().unwrap()
        )),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("identical"), "{}", run.stdout);
}
