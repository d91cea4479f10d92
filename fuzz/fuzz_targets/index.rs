//! The index reader, and the writer's output read back (`git::index::fuzz_one`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Err(e) = pycache_policy::git::index::fuzz_one(data) {
        panic!("{e}");
    }
});
