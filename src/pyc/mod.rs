//! `.pyc` files: what their header records, and whether a kept pyc still matches its source.
//!
//! Everything here is pure (bytes in, values out): no Python, no file system, no git. The check
//! reads the staged blobs and hands them over.
//!
//! Implemented, as CPython defines them:
//! - **Header layouts**, chosen by the magic number (not by the release: the layout changed in
//!   pre-releases): 8 bytes (magic, source mtime) up to 3.3a1 (magic 3200) and in Python 1.5–2.7;
//!   12 bytes (magic, mtime, source size) from 3.3a1's magic 3210; 16 bytes from 3.7a4's magic
//!   3392 (PEP 552): magic, a flags word, then mtime and size (flags 0) or an 8-byte source hash
//!   (flag bit 0: hash-based; bit 1: check the source, so 3 = checked-hash, 1 = unchecked-hash). As
//!   in CPython, flags 2 (check_source without hash-based) is a timestamp pyc, and any other bit
//!   makes the file invalid. All fields are little-endian; mtime and size are modulo 2^32.
//! - **Magic numbers** mapped to the feature release that wrote them, from the table in CPython's
//!   `Lib/importlib/_bootstrap_external.py` (3.14+: `Include/internal/pycore_magic_number.h`),
//!   Python 1.5 to 3.14. Pre-release magics map to the release they led to: up to 3.10 a release
//!   owns the numbers from its first to its last magic; from 3.11 on, 3.n owns the block of 50 that
//!   starts at 2900 + 50n, as CPython now allocates them (so a 3.14.x bug-fix bump still maps).
//! - **The source hash** of hash-based pycs, bit for bit as `importlib.util.source_hash`: SipHash
//!   keyed with k0 = the four magic bytes as a little-endian u32 and k1 = 0, SipHash-2-4 up to
//!   3.10 and SipHash-1-3 from 3.11.
//! - **Cache names and paths** (PEP 3147, PEP 488): `D/__pycache__/NAME.TAG[.opt-N].pyc` is the
//!   cache of `D/NAME.py`; a legacy `D/NAME.pyc` (or `.pyo`) beside it is too, and Python imports
//!   that one even without the source. `cpython-3XY` tags are compared with the magic's version.
//!
//! Not implemented: unmarshalling the code (only its first byte is checked, so a file cut short
//! inside the code passes), other implementations' own magic numbers (older PyPy releases have
//! some; they read as unknown), `sys.pycache_prefix` trees, and the mtime check itself: git does
//! not keep file times, so a timestamp pyc can only be compared on its recorded source size.

mod header;
mod magic;
mod names;
pub(crate) mod recompile;
mod verify;

pub use header::*;
pub use magic::*;
pub use names::*;
pub use verify::*;

#[cfg(test)]
mod tests {
    use super::header::utc;
    use super::magic::{MAGICS, release_magic};
    use super::*;
    use crate::util::bytes::hex;
    use siphasher::sip::SipHasher13;
    use std::hash::Hasher as _;

    /// A header in the 16-byte layout.
    fn header16(magic: u16, flags: u32, rest: [u8; 8]) -> Vec<u8> {
        let mut h = magic_bytes(magic).to_vec();
        h.extend_from_slice(&flags.to_le_bytes());
        h.extend_from_slice(&rest);
        h
    }

    /// A tiny deterministic generator, so the fuzz-ish tests need no crate and repeat exactly.
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

    macro_rules! magic_versions {
        ($($name:ident: $magic:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(magic_version($magic).map(|v| v.to_string()), $want);
            }
        )*};
    }

    magic_versions! {
        magic_1_5: 20121 => Some("1.5".into());
        magic_2_7_alpha: 62171 => Some("2.7".into());
        magic_2_7: 62211 => Some("2.7".into());
        magic_2_7_u_flag: 62212 => Some("2.7".into());
        magic_after_2_7: 62213 => None;
        magic_3_0_dev: 3000 => Some("3.0".into());
        magic_3_0: 3131 => Some("3.0".into());
        magic_3_1: 3151 => Some("3.1".into());
        magic_3_2: 3180 => Some("3.2".into());
        magic_3_3: 3230 => Some("3.3".into());
        magic_3_4: 3310 => Some("3.4".into());
        magic_3_5_0: 3350 => Some("3.5".into());
        magic_3_5_2: 3351 => Some("3.5".into());
        magic_3_6: 3379 => Some("3.6".into());
        magic_between_3_6_and_3_7: 3385 => None;
        magic_3_7: 3394 => Some("3.7".into());
        magic_3_8: 3413 => Some("3.8".into());
        magic_3_9: 3425 => Some("3.9".into());
        magic_3_10: 3439 => Some("3.10".into());
        magic_between_3_10_and_3_11: 3445 => None;
        magic_3_11_alpha: 3450 => Some("3.11".into());
        magic_3_11: 3495 => Some("3.11".into());
        magic_3_12: 3531 => Some("3.12".into());
        magic_3_13_beta: 3569 => Some("3.13".into());
        magic_3_13: 3571 => Some("3.13".into());
        magic_3_14_alpha: 3600 => Some("3.14".into());
        magic_3_14: 3627 => Some("3.14".into());
        magic_3_14_last_of_block: 3649 => Some("3.14".into());
        magic_3_15: 3650 => None;
        magic_zero: 0 => None;
    }

    #[test]
    fn release_magics_belong_to_their_release() {
        for range in MAGICS {
            let bytes = release_magic(range.version).unwrap();
            let number = u16::from_le_bytes([bytes[0], bytes[1]]);
            assert_eq!(magic_version(number), Some(range.version));
            assert!(range.first <= range.last);
        }
        assert_eq!(release_magic(PyVersion::new(3, 14)), Some(*b"\x2b\x0e\r\n"));
        for (i, a) in MAGICS.iter().enumerate() {
            for b in &MAGICS[i + 1..] {
                assert!(
                    a.last < b.first || b.last < a.first,
                    "{} and {} overlap",
                    a.version,
                    b.version
                );
            }
        }
        for pair in MAGICS.windows(2) {
            assert!(
                pair[0].version < pair[1].version,
                "{} then {}",
                pair[0].version,
                pair[1].version
            );
        }
    }

    #[test]
    fn description_serializes_every_field() {
        let mut data = magic_bytes(3379).to_vec();
        data.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        data.extend_from_slice(&89u32.to_le_bytes());
        let d = Header::parse(&data).unwrap().describe();
        assert_eq!(
            serde_json::to_value(&d).unwrap(),
            serde_json::json!({
                "python": "3.6",
                "magic": 3379,
                "header_size": 12,
                "flags": null,
                "invalidation": "timestamp",
                "source_mtime": 1_700_000_000u32,
                "source_mtime_utc": "2023-11-14T22:13:20Z",
                "source_size": 89,
                "source_hash": null,
            })
        );
        assert_eq!(
            d.to_string(),
            "python: 3.6 (magic 3379)\ninvalidation: timestamp\n\
             source mtime: 1700000000 (2023-11-14T22:13:20Z)\nsource size: 89"
        );
    }

    #[test]
    fn layouts_follow_the_magic_not_the_release() {
        assert_eq!(Layout::of_magic(62211), Layout::MagicMtime);
        assert_eq!(Layout::of_magic(3180), Layout::MagicMtime);
        assert_eq!(Layout::of_magic(3200), Layout::MagicMtime); // 3.3a1, before the size
        assert_eq!(Layout::of_magic(3210), Layout::MagicMtimeSize);
        assert_eq!(Layout::of_magic(3379), Layout::MagicMtimeSize);
        assert_eq!(Layout::of_magic(3391), Layout::MagicMtimeSize); // 3.7a2, before PEP 552
        assert_eq!(Layout::of_magic(3392), Layout::MagicFlags);
        assert_eq!(Layout::of_magic(3627), Layout::MagicFlags);
    }

    #[test]
    fn python_3_14_checked_hash_header() {
        // 3.14 is not installed here; its final magic is 3627.
        let hash = *b"\x01\x23\x45\x67\x89\xab\xcd\xef";
        let mut data = header16(3627, 3, hash);
        data.push(0xe3);
        let header = Header::parse_file(&data).unwrap();
        assert_eq!(header.version, PyVersion::new(3, 14));
        assert_eq!(header.magic_number(), 3627);
        assert_eq!(header.invalidation, Invalidation::CheckedHash { hash });
        let d = header.describe();
        assert_eq!(d.python, "3.14");
        assert_eq!(d.invalidation, "checked-hash");
        assert_eq!(d.source_hash.as_deref(), Some("0123456789abcdef"));
        assert_eq!(d.header_size, 16);
    }

    #[test]
    fn python_3_14_timestamp_header_and_tag() {
        let mut rest = [0; 8];
        rest[..4].copy_from_slice(&1_700_000_000u32.to_le_bytes());
        rest[4..].copy_from_slice(&89u32.to_le_bytes());
        let mut data = header16(3627, 0, rest);
        data.push(b'c');
        let header = Header::parse_file(&data).unwrap();
        assert_eq!(
            header.invalidation,
            Invalidation::Timestamp {
                mtime: 1_700_000_000,
                size: Some(89)
            }
        );
        assert_eq!(
            header.describe().source_mtime_utc.as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert_eq!(tag_agrees(b"cpython-314", header.version), Some(true));
        let problems = verify(b"a/__pycache__/m.cpython-313.pyc", &data, Some(&[b'x'; 89]));
        assert_eq!(problems[0].kind(), ProblemKind::TagMismatch);
        assert_eq!(problems[1].kind(), ProblemKind::Unverifiable);
        assert_eq!(problems.len(), 2);
    }

    #[test]
    fn flags_two_is_timestamp_like_cpython() {
        let data = header16(3571, 2, [0; 8]);
        let header = Header::parse(&data).unwrap();
        assert_eq!(header.flags, Some(2));
        assert_eq!(header.invalidation.mode_name(), "timestamp");
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(
            Header::parse(b"\xf3\x0d"),
            Err(PycError::TooShort { len: 2, needed: 4 })
        );
        assert_eq!(
            Header::parse(b"\xf3\x0d\r\n\0\0\0\0"),
            Err(PycError::TooShort { len: 8, needed: 16 })
        );
        assert_eq!(
            Header::parse(b"\xf3\x0d\n\n\0\0\0\0\0\0\0\0\0\0\0\0"),
            Err(PycError::MissingCrLf { found: *b"\n\n" })
        );
        assert_eq!(
            Header::parse(&header16(3650, 0, [0; 8])),
            Err(PycError::UnknownMagic { magic: 3650 })
        );
        assert_eq!(
            Header::parse(&header16(3571, 4, [0; 8])),
            Err(PycError::UnknownFlags { flags: 4 })
        );
        assert_eq!(
            Header::parse_file(&header16(3571, 3, [0; 8])),
            Err(PycError::NotCode { found: None })
        );
        let mut data = header16(3571, 3, [0; 8]);
        data.push(b'N');
        assert_eq!(
            Header::parse_file(&data),
            Err(PycError::NotCode { found: Some(b'N') })
        );
        for error in [
            PycError::TooShort { len: 2, needed: 4 },
            PycError::MissingCrLf { found: *b"\n\n" },
            PycError::UnknownMagic { magic: 3650 },
            PycError::UnknownFlags { flags: 4 },
            PycError::NotCode { found: None },
            PycError::NotCode { found: Some(0) },
        ] {
            assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn old_layouts() {
        let mut py27 = magic_bytes(62211).to_vec();
        py27.extend_from_slice(&7u32.to_le_bytes());
        py27.push(b'c');
        let header = Header::parse_file(&py27).unwrap();
        assert_eq!(header.version, PyVersion::new(2, 7));
        assert_eq!(header.flags, None);
        assert_eq!(
            header.invalidation,
            Invalidation::Timestamp {
                mtime: 7,
                size: None
            }
        );
        let mut py36 = magic_bytes(3379).to_vec();
        py36.extend_from_slice(&7u32.to_le_bytes());
        py36.extend_from_slice(&9u32.to_le_bytes());
        py36.push(0xe3);
        assert_eq!(
            Header::parse_file(&py36).unwrap().invalidation,
            Invalidation::Timestamp {
                mtime: 7,
                size: Some(9)
            }
        );
    }

    #[test]
    fn no_prefix_and_no_random_bytes_panic() {
        let mut valid = header16(3571, 3, [7; 8]);
        valid.extend_from_slice(b"\xe3\0\0\0\0");
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        let mut inputs: Vec<Vec<u8>> = (0..=valid.len()).map(|n| valid[..n].to_vec()).collect();
        for _ in 0..2000 {
            let len = (rng.next() % 40) as usize;
            let mut bytes = rng.bytes(len);
            // Half of them with a real magic, so the parser gets past the first checks.
            if rng.next() & 1 == 0 && bytes.len() >= 4 {
                let range = &MAGICS[(rng.next() as usize) % MAGICS.len()];
                bytes[..4].copy_from_slice(&magic_bytes(range.release));
            }
            inputs.push(bytes);
        }
        for input in &inputs {
            let parsed = Header::parse_file(input);
            if let Ok(header) = parsed {
                assert!(input.len() > header.layout().header_size());
                let _ = header.describe().to_string();
            }
            for path in [&b"a/__pycache__/m.cpython-313.pyc"[..], b"m.pyc", b"x"] {
                for source in [None, Some(&input[..])] {
                    for problem in verify(path, input, source) {
                        let _ = problem.to_string();
                    }
                }
            }
        }
    }

    #[test]
    fn every_prefix_shorter_than_the_header_is_too_short() {
        let mut valid = header16(3571, 0, [1; 8]);
        valid.push(0xe3);
        for n in 0..16 {
            let needed = if n < 4 { 4 } else { 16 };
            assert_eq!(
                Header::parse(&valid[..n]),
                Err(PycError::TooShort { len: n, needed }),
                "prefix {n}"
            );
        }
        assert!(Header::parse(&valid[..16]).is_ok());
        assert!(Header::parse_file(&valid[..16]).is_err());
        assert!(Header::parse_file(&valid).is_ok());
    }

    macro_rules! source_hashes {
        ($($name:ident: $version:expr, $source:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                let (major, minor) = $version;
                let magic = release_magic(PyVersion::new(major, minor)).unwrap();
                assert_eq!(hex(&source_hash(magic, $source)), $want);
            }
        )*};
    }

    // `importlib.util.source_hash(SOURCE).hex()` from pyenv's interpreters: 2-4 up to 3.10, 1-3
    // from 3.11. (The integration tests compare many more with the machine's python3.)
    source_hashes! {
        source_hash_3_7_empty: (3, 7), b"" => "85ee0caabd83b6a7";
        source_hash_3_7: (3, 7), b"x = 1\n" => "20329d810db227ea";
        source_hash_3_10_empty: (3, 10), b"" => "8cc0cd2525e7fd27";
        source_hash_3_10: (3, 10), b"x = 1\n" => "d94aade28c8cbebf";
        source_hash_3_11_empty: (3, 11), b"" => "738d9cd5d5e87f73";
        source_hash_3_11: (3, 11), b"x = 1\n" => "4c0372aa93f75252";
        source_hash_3_13_empty: (3, 13), b"" => "27ec6d312f93b814";
        source_hash_3_13: (3, 13), b"x = 1\n" => "e786e2893651120e";
    }

    #[test]
    fn unknown_later_magics_hash_with_siphash13() {
        let future = magic_bytes(3650);
        let mut h = SipHasher13::new_with_keys(u64::from(u32::from_le_bytes(future)), 0);
        h.write(b"x");
        assert_eq!(source_hash(future, b"x"), h.finish().to_le_bytes());
    }

    macro_rules! cache_names {
        ($($name:ident: $file:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                let got = parse_cache_name($file).map(|n| {
                    let s = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
                    (
                        s(n.module),
                        n.tag.map(s),
                        n.optimization.map(s),
                        n.pyo,
                    )
                });
                let want: Option<(&str, Option<&str>, Option<&str>, bool)> = $want;
                let want = want.map(|(m, t, o, p)| {
                    (m.to_string(), t.map(String::from), o.map(String::from), p)
                });
                assert_eq!(got, want);
            }
        )*};
    }

    cache_names! {
        name_tagged: b"m.cpython-312.pyc" => Some(("m", Some("cpython-312"), None, false));
        name_opt1: b"m.cpython-312.opt-1.pyc" => Some(("m", Some("cpython-312"), Some("1"), false));
        name_opt2: b"m.cpython-38.opt-2.pyc" => Some(("m", Some("cpython-38"), Some("2"), false));
        name_pypy: b"m.pypy310.pyc" => Some(("m", Some("pypy310"), None, false));
        name_legacy: b"m.pyc" => Some(("m", None, None, false));
        name_legacy_pyo: b"m.pyo" => Some(("m", None, None, true));
        name_tagged_pyo: b"m.cpython-34.pyo" => Some(("m", Some("cpython-34"), None, true));
        name_pyo_with_opt: b"m.cpython-34.opt-1.pyo" => None;
        name_opt_not_alnum: b"m.cpython-312.opt-_.pyc" => None;
        name_opt_empty: b"m.cpython-312.opt-.pyc" => None;
        name_third_part_not_opt: b"m.cpython-312.x.pyc" => None;
        name_four_parts: b"a.b.cpython-312.opt-1.pyc" => None;
        name_empty_tag: b"m..pyc" => None;
        name_empty_module: b".cpython-312.pyc" => None;
        name_only_suffix: b".pyc" => None;
        name_py: b"m.py" => None;
        name_pyd: b"m.pyd" => None;
    }

    macro_rules! source_paths {
        ($($name:ident: $path:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                let got = source_path($path).map(|p| String::from_utf8(p).unwrap());
                assert_eq!(got.as_deref(), $want);
            }
        )*};
    }

    source_paths! {
        source_of_pycache: b"01_Basics/__pycache__/script1.cpython-312.pyc"
            => Some("01_Basics/script1.py");
        source_of_opt: b"a/b/__pycache__/m.cpython-312.opt-2.pyc" => Some("a/b/m.py");
        source_of_root_pycache: b"__pycache__/m.cpython-38.pyc" => Some("m.py");
        source_of_legacy: b"a/m.pyc" => Some("a/m.py");
        source_of_root_legacy: b"m.pyc" => Some("m.py");
        source_of_legacy_pyo: b"a/m.pyo" => Some("a/m.py");
        source_of_tagged_outside_pycache: b"a/m.cpython-312.pyc" => None;
        source_of_untagged_inside_pycache: b"a/__pycache__/m.pyc" => None;
        source_of_nested_pycache: b"a/__pycache__/__pycache__/m.cpython-312.pyc"
            => Some("a/__pycache__/m.py");
        source_of_non_pyc: b"a/__pycache__/README.md" => None;
    }

    macro_rules! tags {
        ($($name:ident: $tag:expr, $version:expr => $want_version:expr, $agrees:expr;)*) => {$(
            #[test]
            fn $name() {
                let (major, minor) = $version;
                let version = PyVersion::new(major, minor);
                assert_eq!(tag_version($tag).map(|v| v.to_string()).as_deref(), $want_version);
                assert_eq!(tag_agrees($tag, version), $agrees);
            }
        )*};
    }

    tags! {
        tag_312: b"cpython-312", (3, 12) => Some("3.12"), Some(true);
        tag_36: b"cpython-36", (3, 6) => Some("3.6"), Some(true);
        tag_30: b"cpython-30", (3, 0) => Some("3.0"), Some(true);
        tag_311_vs_312: b"cpython-311", (3, 12) => Some("3.11"), Some(false);
        tag_leading_zero: b"cpython-307", (3, 7) => None, Some(false);
        tag_free_threaded_suffix: b"cpython-313t", (3, 13) => None, Some(false);
        tag_major_only: b"cpython-3", (3, 0) => None, Some(false);
        tag_empty_version: b"cpython-", (3, 0) => None, Some(false);
        tag_pypy: b"pypy310", (3, 10) => None, None;
        tag_minor_overflow: b"cpython-3999", (3, 12) => None, Some(false);
    }

    #[test]
    fn cache_tags_of_versions() {
        assert_eq!(
            PyVersion::new(3, 12).cache_tag().as_deref(),
            Some("cpython-312")
        );
        assert_eq!(PyVersion::new(3, 1).cache_tag(), None);
        assert_eq!(PyVersion::new(2, 7).cache_tag(), None);
        for range in MAGICS.iter().filter(|r| r.version >= PyVersion::new(3, 2)) {
            let tag = range.version.cache_tag().unwrap();
            assert_eq!(tag_version(tag.as_bytes()), Some(range.version));
        }
    }

    #[test]
    fn problem_kinds_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for kind in ProblemKind::ALL {
            let s = kind.as_str();
            assert!(seen.insert(s), "duplicate {s}");
            assert!(s.starts_with("pyc-"));
            assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
        }
    }

    fn checked_pyc(magic: u16, source: &[u8]) -> Vec<u8> {
        let mut data = header16(magic, 3, source_hash(magic_bytes(magic), source));
        data.push(0xe3);
        data
    }

    #[test]
    fn verify_fresh_checked_hash_has_no_problems() {
        let source = b"x = 1\n";
        let pyc = checked_pyc(3531, source);
        assert_eq!(
            verify(b"d/__pycache__/m.cpython-312.pyc", &pyc, Some(source)),
            vec![]
        );
    }

    #[test]
    fn verify_stale_hash_carries_both_hashes() {
        let pyc = checked_pyc(3531, b"x = 1\n");
        let problems = verify(b"d/__pycache__/m.cpython-312.pyc", &pyc, Some(b"x = 2\n"));
        let [
            Problem::Stale {
                source_path,
                version,
                mismatch: Mismatch::Hash { recorded, expected },
            },
        ] = &problems[..]
        else {
            panic!("{problems:?}");
        };
        assert_eq!(source_path, b"d/m.py");
        assert_eq!(*version, PyVersion::new(3, 12));
        assert_eq!(*recorded, source_hash(magic_bytes(3531), b"x = 1\n"));
        assert_eq!(*expected, source_hash(magic_bytes(3531), b"x = 2\n"));
        let message = problems[0].to_string();
        assert!(message.contains(&hex(recorded)), "{message}");
        assert!(message.contains("d/m.py"), "{message}");
    }

    #[test]
    fn verify_unchecked_hash_notes_it_even_when_fresh() {
        let source = b"x = 1\n";
        let mut pyc = checked_pyc(3571, source);
        pyc[4] = 1;
        assert_eq!(
            verify(b"__pycache__/m.cpython-313.pyc", &pyc, Some(source)),
            vec![Problem::UncheckedHash {
                version: PyVersion::new(3, 13)
            }]
        );
        let kinds: Vec<_> = verify(b"__pycache__/m.cpython-313.pyc", &pyc, Some(b""))
            .iter()
            .map(Problem::kind)
            .collect();
        assert_eq!(kinds, [ProblemKind::Stale, ProblemKind::UncheckedHash]);
    }

    #[test]
    fn verify_size_is_compared_modulo_2_32() {
        // A source of 2^32 + 5 bytes would record 5; a 5-byte one agrees with it.
        let mut rest = [0; 8];
        rest[4..].copy_from_slice(&5u32.to_le_bytes());
        let mut pyc = header16(3495, 0, rest);
        pyc.push(0xe3);
        let kinds = |source: &[u8]| -> Vec<ProblemKind> {
            verify(b"__pycache__/m.cpython-311.pyc", &pyc, Some(source))
                .iter()
                .map(Problem::kind)
                .collect()
        };
        assert_eq!(kinds(b"12345"), [ProblemKind::Unverifiable]);
        assert_eq!(
            kinds(b"123456"),
            [ProblemKind::Stale, ProblemKind::Unverifiable]
        );
    }

    #[test]
    fn verify_orphans() {
        let pyc = checked_pyc(3571, b"");
        assert_eq!(
            verify(b"a/__pycache__/m.cpython-313.pyc", &pyc, None),
            vec![Problem::Orphan {
                source_path: Some(b"a/m.py".to_vec()),
                imported_without_source: false
            }]
        );
        let mut legacy = magic_bytes(62211).to_vec();
        legacy.extend_from_slice(&[0, 0, 0, 0, b'c']);
        let problems = verify(b"a/m.pyc", &legacy, None);
        assert_eq!(
            problems,
            vec![Problem::Orphan {
                source_path: Some(b"a/m.py".to_vec()),
                imported_without_source: true
            }]
        );
        assert!(problems[0].to_string().contains("only copy"));
        // A name Python never pairs with a source is an orphan whatever the caller passes.
        let problems = verify(b"a/m.cpython-313.pyc", &pyc, Some(b""));
        assert_eq!(
            problems,
            vec![Problem::Orphan {
                source_path: None,
                imported_without_source: false
            }]
        );
    }

    #[test]
    fn verify_invalid_stops_before_source_checks() {
        let problems = verify(b"a/__pycache__/m.cpython-313.pyc", b"\0\0\r\n", Some(b""));
        assert_eq!(
            problems,
            vec![Problem::Invalid {
                error: PycError::UnknownMagic { magic: 0 }
            }]
        );
        let kinds: Vec<_> = verify(b"a/__pycache__/m.cpython-313.pyc", b"", None)
            .iter()
            .map(Problem::kind)
            .collect();
        assert_eq!(kinds, [ProblemKind::Invalid, ProblemKind::Orphan]);
    }

    #[test]
    fn verify_tag_mismatch_names_both_versions() {
        let source = b"";
        let pyc = checked_pyc(3531, source);
        let problems = verify(b"__pycache__/m.cpython-311.pyc", &pyc, Some(source));
        assert_eq!(
            problems,
            vec![Problem::TagMismatch {
                tag: b"cpython-311".to_vec(),
                tag_version: Some(PyVersion::new(3, 11)),
                magic: 3531,
                magic_version: PyVersion::new(3, 12),
            }]
        );
        let message = problems[0].to_string();
        assert!(
            message.contains("3.11") && message.contains("3.12"),
            "{message}"
        );
        // Other implementations get no verdict.
        assert_eq!(
            verify(b"__pycache__/m.pypy38.pyc", &pyc, Some(source)),
            vec![]
        );
    }

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(u32::MAX), "2106-02-07T06:28:15Z");
    }
}
