//! The README's fenced code blocks, each with the `<!-- readme-test: KIND ARGS -->` comment that
//! stands on the line before it and says how a test exercises it.

use std::path::Path;

/// One fenced code block of the README.
#[derive(Clone, Debug)]
pub struct Block {
    /// 1-based line of the opening fence.
    pub line: usize,
    /// The info string's first word (`sh`, `toml`, `yaml`, `text`).
    pub lang: String,
    /// The words of the `readme-test:` comment before it, if there is one.
    pub marker: Vec<String>,
    /// The content, with the fence's indentation removed.
    pub text: String,
}

impl Block {
    /// The marker's first word: how the block is tested.
    pub fn kind(&self) -> &str {
        self.marker.first().map_or("", String::as_str)
    }

    /// Where the block is, for messages.
    pub fn at(&self) -> String {
        format!("README.md:{}", self.line)
    }

    /// The lines that are commands: neither blank nor comments, trailing comments removed.
    pub fn commands(&self) -> Vec<String> {
        self.text
            .lines()
            .map(|l| match l.find("  #") {
                Some(i) => l[..i].trim_end(),
                None => l.trim_end(),
            })
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .map(str::to_string)
            .collect()
    }
}

/// The README's text.
pub fn text() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// Every fenced code block of the README, in order.
pub fn blocks() -> Vec<Block> {
    parse(&text())
}

/// The blocks whose marker is `kind`.
pub fn marked(kind: &str) -> Vec<Block> {
    blocks().into_iter().filter(|b| b.kind() == kind).collect()
}

/// The one block whose marker is `kind`.
#[track_caller]
pub fn the(kind: &str) -> Block {
    let mut found = marked(kind);
    assert_eq!(found.len(), 1, "one README block marked `{kind}`");
    found.remove(0)
}

/// Splits markdown into its fenced blocks.
pub fn parse(markdown: &str) -> Vec<Block> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        let Some(info) = trimmed.strip_prefix("```") else {
            i += 1;
            continue;
        };
        let indent = lines[i].len() - trimmed.len();
        let marker = lines[..i]
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| l.trim().strip_prefix("<!-- readme-test:"))
            .and_then(|l| l.strip_suffix("-->"))
            .map(words)
            .unwrap_or_default();
        let start = i;
        i += 1;
        let mut text = String::new();
        while i < lines.len() && lines[i].trim() != "```" {
            let line = lines[i];
            text.push_str(line.get(indent..).unwrap_or(line.trim_start()));
            text.push('\n');
            i += 1;
        }
        assert!(i < lines.len(), "README.md:{}: unclosed fence", start + 1);
        out.push(Block {
            line: start + 1,
            lang: info.split_whitespace().next().unwrap_or("").to_string(),
            marker,
            text,
        });
        i += 1;
    }
    out
}

/// Words, where a `"quoted phrase"` is one word.
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').expect("a closing quote");
            out.push(quoted[..end].to_string());
            rest = quoted[end + 1..].trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
    }
    out
}

/// The README's YAML block as JSON, parsed by PyYAML.
#[track_caller]
pub fn yaml(text: &str) -> serde_json::Value {
    let python = super::tools::python(&["yaml"]);
    let out = super::output_with_stdin(
        super::hermetic(python).args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))",
        ]),
        text,
    );
    assert!(
        out.status.success(),
        "not YAML:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
