//! The pyc reader against real interpreters: committed vectors from every pyenv Python (2.7,
//! 3.6–3.13, see tests/fixtures/pyc/generate.sh), and the machine's `python3` run at test time.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::python3;
use pycache_policy::pyc::{
    Header, Invalidation, Mismatch, Problem, ProblemKind, magic_version, parse_cache_name,
    parse_pyc_path, source_hash, source_path, tag_agrees, verify,
};
use serde_json::Value;
use tempfile::TempDir;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pyc")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn kinds(problems: &[Problem]) -> Vec<ProblemKind> {
    problems.iter().map(Problem::kind).collect()
}

/// A tiny deterministic generator, so random sources repeat exactly from run to run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Committed vectors from every installed interpreter.

struct Fixture {
    version: String,
    dir: PathBuf,
    expected: Value,
    source: Vec<u8>,
}

fn load_fixtures() -> Vec<Fixture> {
    let mut all: Vec<Fixture> = fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|dir| {
            let expected = fs::read_to_string(dir.join("expected.json")).unwrap();
            Fixture {
                version: dir.file_name().unwrap().to_str().unwrap().to_string(),
                expected: serde_json::from_str(&expected).unwrap(),
                source: fs::read(dir.join("m.py")).unwrap(),
                dir,
            }
        })
        .collect();
    all.sort_by_key(|f| {
        let (major, minor) = f.version.split_once('.').unwrap();
        (major.parse::<u8>().unwrap(), minor.parse::<u8>().unwrap())
    });
    all
}

/// The repository path the interpreter would have written the pyc to, under the fixture's
/// folder (the committed file has another name: see generate.sh).
fn logical_path(f: &Fixture) -> String {
    format!(
        "{}/{}",
        f.version,
        f.expected["cache_path"].as_str().unwrap()
    )
}

#[test]
fn fixtures_cover_2_7_and_3_6_to_3_13() {
    let versions: Vec<String> = load_fixtures().into_iter().map(|f| f.version).collect();
    assert_eq!(
        versions,
        [
            "2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12", "3.13"
        ]
    );
}

#[test]
fn fixture_headers_read_as_each_interpreter_wrote_them() {
    for f in load_fixtures() {
        let magic = f.expected["magic"].as_u64().unwrap() as u16;
        let python = f.expected["python"].as_str().unwrap();
        assert!(python.starts_with(&format!("{}.", f.version)), "{python}");
        assert_eq!(
            magic_version(magic).map(|v| v.to_string()),
            Some(f.version.clone())
        );
        let modes = f.expected["modes"].as_array().unwrap();
        let want_modes: &[&str] = if f.version == "2.7" || f.version == "3.6" {
            &["timestamp"]
        } else {
            &["timestamp", "checked-hash", "unchecked-hash"]
        };
        assert_eq!(modes, want_modes, "{}", f.version);
        for mode in modes {
            let mode = mode.as_str().unwrap();
            let pyc = fs::read(f.dir.join(format!("{mode}.pyc.bin"))).unwrap();
            let header =
                Header::parse_file(&pyc).unwrap_or_else(|e| panic!("{} {mode}: {e}", f.version));
            let what = format!("{} {mode}", f.version);
            assert_eq!(header.magic_number(), magic, "{what}");
            assert_eq!(header.version.to_string(), f.version, "{what}");
            assert_eq!(header.invalidation.mode_name(), mode, "{what}");
            let d = header.describe();
            assert_eq!(d.python, f.version, "{what}");
            assert_eq!(d.invalidation, mode, "{what}");
            match header.invalidation {
                Invalidation::Timestamp { mtime, size } => {
                    assert_eq!(
                        u64::from(mtime),
                        f.expected["source_mtime"].as_u64().unwrap()
                    );
                    assert_eq!(d.source_mtime_utc.as_deref(), Some("2023-11-14T22:13:20Z"));
                    // Only 2.7's 8-byte header lacks the size.
                    let want_size = (f.version != "2.7")
                        .then(|| f.expected["source_size"].as_u64().unwrap() as u32);
                    assert_eq!(size, want_size, "{what}");
                    assert_eq!(
                        f.source.len() as u64,
                        f.expected["source_size"].as_u64().unwrap()
                    );
                }
                Invalidation::CheckedHash { hash } | Invalidation::UncheckedHash { hash } => {
                    let want = f.expected["source_hash"].as_str().unwrap();
                    assert_eq!(hex(&hash), want, "{what}: recorded hash");
                    assert_eq!(
                        hex(&source_hash(header.magic, &f.source)),
                        want,
                        "{what}: our hash of m.py"
                    );
                    assert_eq!(d.source_hash.as_deref(), Some(want));
                }
            }
        }
    }
}

#[test]
fn fixture_names_map_to_their_source_and_tag() {
    for f in load_fixtures() {
        let path = logical_path(&f);
        assert_eq!(
            source_path(path.as_bytes()),
            Some(format!("{}/m.py", f.version).into_bytes()),
            "{path}"
        );
        let parsed = parse_pyc_path(path.as_bytes()).unwrap();
        let file = path.rsplit('/').next().unwrap();
        let name = parse_cache_name(file.as_bytes()).unwrap();
        assert_eq!(parsed.name, name);
        match f.expected["cache_tag"].as_str() {
            None => {
                assert!(!parsed.in_pycache(), "2.7 writes legacy pycs: {path}");
                assert_eq!(name.tag, None);
            }
            Some(tag) => {
                assert!(parsed.in_pycache(), "{path}");
                assert_eq!(name.tag, Some(tag.as_bytes()));
                let version = magic_version(f.expected["magic"].as_u64().unwrap() as u16);
                assert_eq!(tag_agrees(tag.as_bytes(), version.unwrap()), Some(true));
                assert_eq!(version.unwrap().cache_tag().as_deref(), Some(tag));
            }
        }
    }
}

#[test]
fn fixtures_verify_fresh_and_then_stale() {
    let mut edited_any = false;
    for f in load_fixtures() {
        let path = logical_path(&f);
        let mut edited = f.source.clone();
        edited.extend_from_slice(b"GREETING += u\"!\"\n");
        for mode in f.expected["modes"].as_array().unwrap() {
            let mode = mode.as_str().unwrap();
            let what = format!("{} {mode}", f.version);
            let pyc = fs::read(f.dir.join(format!("{mode}.pyc.bin"))).unwrap();
            let fresh = verify(path.as_bytes(), &pyc, Some(&f.source));
            let (want_fresh, want_edited): (&[ProblemKind], &[ProblemKind]) = match mode {
                // 2.7 records no size: nothing to compare, so never stale.
                "timestamp" if f.version == "2.7" => {
                    (&[ProblemKind::Unverifiable], &[ProblemKind::Unverifiable])
                }
                "timestamp" => (
                    &[ProblemKind::Unverifiable],
                    &[ProblemKind::Stale, ProblemKind::Unverifiable],
                ),
                "checked-hash" => (&[], &[ProblemKind::Stale]),
                "unchecked-hash" => (
                    &[ProblemKind::UncheckedHash],
                    &[ProblemKind::Stale, ProblemKind::UncheckedHash],
                ),
                other => panic!("unknown mode {other}"),
            };
            assert_eq!(kinds(&fresh), want_fresh, "{what} fresh");
            let stale = verify(path.as_bytes(), &pyc, Some(&edited));
            assert_eq!(kinds(&stale), want_edited, "{what} edited");
            if let Some(Problem::Stale {
                source_path,
                mismatch,
                ..
            }) = stale.first()
            {
                edited_any = true;
                assert_eq!(source_path, format!("{}/m.py", f.version).as_bytes());
                match mismatch {
                    Mismatch::Size { recorded, expected } => {
                        assert_eq!(*recorded as usize, f.source.len());
                        assert_eq!(*expected as usize, edited.len());
                    }
                    Mismatch::Hash { recorded, expected } => {
                        assert_eq!(hex(recorded), f.expected["source_hash"].as_str().unwrap());
                        assert_eq!(
                            *expected,
                            source_hash(pyc[..4].try_into().unwrap(), &edited)
                        );
                    }
                }
            }
            assert_eq!(
                kinds(&verify(path.as_bytes(), &pyc, None)),
                [ProblemKind::Orphan],
                "{what} orphan"
            );
        }
    }
    assert!(edited_any);
}

#[test]
fn truncated_fixtures_are_invalid_never_a_panic() {
    for f in load_fixtures() {
        let path = logical_path(&f);
        let pyc = fs::read(f.dir.join("timestamp.pyc.bin")).unwrap();
        let header_size = Header::parse(&pyc).unwrap().layout().header_size();
        for n in 0..pyc.len() {
            let problems = verify(path.as_bytes(), &pyc[..n], Some(&f.source));
            // Cut inside the header or right after it: invalid. Cut inside the code: the header
            // still reads (the code is not unmarshalled).
            let invalid = problems.first().map(Problem::kind) == Some(ProblemKind::Invalid);
            assert_eq!(invalid, n <= header_size, "{} prefix {n}", f.version);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The machine's python3, at test time.

/// Compiles `m.py` in each invalidation mode, hashes the given files, and prints what Python
/// knows as JSON.
const COMPILE_AND_HASH: &str = r#"
import importlib.util, json, os, py_compile, sys
PIM = py_compile.PycInvalidationMode
out = {}
for name, mode in [("timestamp", PIM.TIMESTAMP), ("checked-hash", PIM.CHECKED_HASH),
                   ("unchecked-hash", PIM.UNCHECKED_HASH)]:
    py_compile.compile("m.py", cfile=name + ".pyc", doraise=True, invalidation_mode=mode)
st = os.stat("m.py")
out["mtime"] = int(st.st_mtime) & 0xFFFFFFFF
out["size"] = st.st_size & 0xFFFFFFFF
out["magic"] = importlib.util.MAGIC_NUMBER.hex()
out["version"] = "%d.%d" % sys.version_info[:2]
out["cache_tag"] = sys.implementation.cache_tag
out["cache_path"] = importlib.util.cache_from_source("d/m.py")
out["hashes"] = []
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        out["hashes"].append(importlib.util.source_hash(f.read()).hex())
print(json.dumps(out))
"#;

#[test]
fn python3_pycs_in_every_mode_and_source_hashes_agree_with_ours() {
    let tmp = TempDir::new().unwrap();
    let source = "\"\"\"Compiled by the test.\"\"\"\nVALUE = 'caf\u{e9}'\n".as_bytes();
    fs::write(tmp.path().join("m.py"), source).unwrap();
    // Random sources, with every length around SipHash's 8-byte blocks and some longer ones.
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    let mut inputs: Vec<Vec<u8>> = (0..=24).map(|len| rng.bytes(len)).collect();
    inputs.extend((0..40).map(|_| {
        let len = (rng.next() % 2000) as usize;
        rng.bytes(len)
    }));
    inputs.push(source.to_vec());
    let mut edited = source.to_vec();
    edited.extend_from_slice(b"VALUE += '!'\n");
    inputs.push(edited.clone());
    let mut names = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let name = format!("input{i}.bin");
        fs::write(tmp.path().join(&name), input).unwrap();
        names.push(name);
    }
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let out: Value = serde_json::from_str(&python3(tmp.path(), COMPILE_AND_HASH, &names)).unwrap();

    let version = out["version"].as_str().unwrap();
    let magic: [u8; 4] = {
        let hex_magic = out["magic"].as_str().unwrap();
        let bytes: Vec<u8> = (0..4)
            .map(|i| u8::from_str_radix(&hex_magic[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        bytes.try_into().unwrap()
    };
    let magic_number = u16::from_le_bytes([magic[0], magic[1]]);
    assert_eq!(
        magic_version(magic_number)
            .map(|v| v.to_string())
            .as_deref(),
        Some(version)
    );

    // Every hash, random bytes included, bit for bit.
    let hashes = out["hashes"].as_array().unwrap();
    assert_eq!(hashes.len(), inputs.len());
    for (i, (input, want)) in inputs.iter().zip(hashes).enumerate() {
        assert_eq!(
            hex(&source_hash(magic, input)),
            want.as_str().unwrap(),
            "input {i} ({} bytes)",
            input.len()
        );
    }
    let source_hex = hashes[inputs.len() - 2].as_str().unwrap();
    let edited_hex = hashes[inputs.len() - 1].as_str().unwrap();

    // The pyc's name as this Python writes it, and the source it maps back to.
    let cache_path = out["cache_path"].as_str().unwrap();
    let tag = out["cache_tag"].as_str().unwrap();
    assert_eq!(cache_path, format!("d/__pycache__/m.{tag}.pyc"));
    assert_eq!(source_path(cache_path.as_bytes()), Some(b"d/m.py".to_vec()));
    let parsed = parse_pyc_path(cache_path.as_bytes()).unwrap();
    assert_eq!(parsed.name.tag, Some(tag.as_bytes()));
    assert_eq!(
        tag_agrees(tag.as_bytes(), magic_version(magic_number).unwrap()),
        Some(true)
    );

    for mode in ["timestamp", "checked-hash", "unchecked-hash"] {
        let pyc = fs::read(tmp.path().join(format!("{mode}.pyc"))).unwrap();
        let header = Header::parse_file(&pyc).unwrap();
        assert_eq!(header.magic, magic, "{mode}");
        assert_eq!(header.invalidation.mode_name(), mode);
        match header.invalidation {
            Invalidation::Timestamp { mtime, size } => {
                assert_eq!(u64::from(mtime), out["mtime"].as_u64().unwrap());
                assert_eq!(size.map(u64::from), out["size"].as_u64());
            }
            Invalidation::CheckedHash { hash } | Invalidation::UncheckedHash { hash } => {
                assert_eq!(hex(&hash), source_hex, "{mode}");
            }
        }
        // Fresh against its source, stale once the source is edited without recompiling.
        let fresh = kinds(&verify(cache_path.as_bytes(), &pyc, Some(source)));
        let stale = verify(cache_path.as_bytes(), &pyc, Some(&edited));
        match mode {
            "timestamp" => {
                assert_eq!(fresh, [ProblemKind::Unverifiable]);
                assert_eq!(
                    stale[0],
                    Problem::Stale {
                        source_path: b"d/m.py".to_vec(),
                        version: header.version,
                        mismatch: Mismatch::Size {
                            recorded: source.len() as u32,
                            expected: edited.len() as u32,
                        },
                    }
                );
            }
            _ => {
                let want_fresh: &[ProblemKind] = if mode == "checked-hash" {
                    &[]
                } else {
                    &[ProblemKind::UncheckedHash]
                };
                assert_eq!(fresh, want_fresh, "{mode}");
                let Problem::Stale {
                    mismatch: Mismatch::Hash { recorded, expected },
                    ..
                } = &stale[0]
                else {
                    panic!("{mode}: {stale:?}");
                };
                assert_eq!(hex(recorded), source_hex);
                assert_eq!(
                    hex(expected),
                    edited_hex,
                    "{mode}: Python's hash of the edit"
                );
            }
        }
    }
}

/// Compiles `m.py` to the cache path Python imports from, in the mode given as argv[1].
const COMPILE_FOR_IMPORT: &str = r#"
import importlib.util, py_compile, sys
mode = py_compile.PycInvalidationMode[sys.argv[1]]
cfile = importlib.util.cache_from_source("m.py")
py_compile.compile("m.py", cfile=cfile, doraise=True, invalidation_mode=mode)
print(cfile)
"#;

/// What Python does with a hash-based pyc whose source changed is what our verdicts warn about.
#[test]
fn python3_runs_a_stale_unchecked_hash_pyc_and_rewrites_a_stale_checked_one() {
    for (mode, want_value) in [("UNCHECKED_HASH", "1"), ("CHECKED_HASH", "22")] {
        let tmp = TempDir::new().unwrap();
        fs::write(tmp.path().join("m.py"), "VALUE = 1\n").unwrap();
        let cfile = python3(tmp.path(), COMPILE_FOR_IMPORT, &[mode]);
        let cfile = cfile.trim();
        let edited = b"VALUE = 22\n";
        fs::write(tmp.path().join("m.py"), edited).unwrap();

        let pyc = fs::read(tmp.path().join(cfile)).unwrap();
        let problems = verify(cfile.as_bytes(), &pyc, Some(edited));
        assert_eq!(problems[0].kind(), ProblemKind::Stale, "{mode}");

        let value = python3(tmp.path(), "import m; print(m.VALUE)", &[]);
        assert_eq!(value.trim(), want_value, "{mode}: which code Python ran");

        let after = fs::read(tmp.path().join(cfile)).unwrap();
        let problems = kinds(&verify(cfile.as_bytes(), &after, Some(edited)));
        if mode == "UNCHECKED_HASH" {
            // Python neither noticed nor rewrote it.
            assert_eq!(after, pyc);
            assert_eq!(problems, [ProblemKind::Stale, ProblemKind::UncheckedHash]);
        } else {
            // Python recompiled it, still checked-hash, and the new one passes.
            assert_ne!(after, pyc);
            assert_eq!(problems, []);
        }
    }
}
