//! The layers of `src/` import only downward (see ARCHITECTURE.md): a module may use its own
//! folder and the folders below it, never one above. This test reads every `crate::` path in the
//! code (comments and doc comments aside) and fails on an import that points up.

use std::path::Path;

/// The library's folders, from the bottom up. `cli/` is the binary's and may use all of them.
const LAYERS: &[&str] = &[
    "util", "pyc", "model", "git", "policy", "checks", "fix", "report",
];

fn rank(layer: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == layer)
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::LAYER` named on a line of code in `text`, with its line number.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let after = &rest[i + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            out.push((n + 1, name));
            rest = after;
        }
    }
    out
}

#[test]
fn imports_only_point_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward = Vec::new();
    let mut seen_layers = std::collections::BTreeSet::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let Some(layer) = rel.iter().next().and_then(|c| c.to_str()) else {
            continue;
        };
        let Some(own) = rank(layer) else {
            continue; // lib.rs, main.rs and cli/
        };
        seen_layers.insert(layer.to_string());
        let text = std::fs::read_to_string(file).unwrap();
        for (line, target) in crate_paths(&text) {
            match rank(&target) {
                Some(t) if t > own => upward.push(format!(
                    "{}:{line}: {layer} uses crate::{target}",
                    rel.display()
                )),
                Some(_) => {}
                None => upward.push(format!(
                    "{}:{line}: crate::{target} is not a layer of ARCHITECTURE.md",
                    rel.display()
                )),
            }
        }
    }
    assert_eq!(
        seen_layers.len(),
        LAYERS.len(),
        "every layer has code: {seen_layers:?}"
    );
    assert!(
        upward.is_empty(),
        "imports that point up:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_scanner_sees_an_upward_import() {
    let found = crate_paths("use crate::report::display_path; // crate::cli in a comment\n");
    assert_eq!(found, vec![(1, "report".to_string())]);
}

/// The longest function of `text` in lines, with its name: a `fn` line and the line that closes
/// it at the same indentation.
fn longest_functions(text: &str, limit: usize) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let is_fn = [
            "fn ",
            "pub fn ",
            "pub(crate) fn ",
            "pub(super) fn ",
            "const fn ",
        ]
        .iter()
        .any(|p| trimmed.starts_with(p));
        if !is_fn || trimmed.ends_with(';') {
            continue;
        }
        let close = format!("{}}}", " ".repeat(indent));
        if let Some(end) = lines[i + 1..].iter().position(|l| *l == close) {
            let len = end + 2;
            if len > limit {
                let name = trimmed.split('(').next().unwrap_or(trimmed).to_string();
                out.push((name, len));
            }
        }
    }
    out
}

/// No function a reader cannot hold: about 120 lines at most (the test allows 130).
#[test]
fn no_function_is_longer_than_a_reader_can_hold() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut long = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (name, len) in longest_functions(&text, 130) {
            long.push(format!("{}: {name} is {len} lines", file.display()));
        }
    }
    assert!(long.is_empty(), "{}", long.join("\n"));
    let sample = format!("fn f() {{\n{}}}\n", "    x;\n".repeat(140));
    assert_eq!(longest_functions(&sample, 130), [("fn f".to_string(), 142)]);
}
