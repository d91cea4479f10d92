//! The tree parser and the tree-order merge of the diff (`git::diff::fuzz_one`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = pycache_policy::git::diff::fuzz_one(data);
});
