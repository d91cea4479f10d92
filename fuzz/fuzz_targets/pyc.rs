//! The `.pyc` header reader and verification against a source.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = pycache_policy::pyc::Header::parse(data);
    let _ = pycache_policy::pyc::Header::parse_file(data);
    let _ = pycache_policy::pyc::verify(b"pkg/__pycache__/m.cpython-312.pyc", data, Some(b"x = 1\n"));
    let _ = pycache_policy::pyc::verify(b"m.pyc", data, None);
});
