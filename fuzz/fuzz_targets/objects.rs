//! The pack and loose-object readers (`git::pack::fuzz_one`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    pycache_policy::git::pack::fuzz_one(data);
});
