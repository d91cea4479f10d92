//! The policy parser and validator.
#![no_main]
use pycache_policy::policy::{Origin, Policy};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Policy::from_toml(text, Origin::File("pycache-policy.toml".into()));
    }
});
