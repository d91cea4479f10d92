//! Snapshot files of the output formats: `tests/snapshots/formats/NAME`, compared exactly.
//! `UPDATE_SNAPSHOTS=1` rewrites them (then review the diff).
#![allow(dead_code)] // each test file uses a different part of this module

use std::path::Path;

/// Compares `actual` with the snapshot `NAME`.
#[track_caller]
pub fn check(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots/formats")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "snapshot {name}: {e}\nWrite it with `UPDATE_SNAPSHOTS=1 cargo test`, then review it."
        )
    });
    assert!(
        actual == expected,
        "snapshot {name} differs; if the change is deliberate: `UPDATE_SNAPSHOTS=1 cargo test`, \
         then review the diff\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

/// The SARIF 2.1.0 schema, vendored under `tests/fixtures/sarif/` (see its `LICENSE.md`).
#[track_caller]
pub fn sarif_schema() -> std::path::PathBuf {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sarif/sarif-schema-2.1.0.json");
    assert!(
        path.is_file(),
        "the vendored SARIF schema is missing: {}",
        path.display()
    );
    path
}
