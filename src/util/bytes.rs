//! Small byte and text helpers: git's trailing-space rule, hex, plurals and sizes for people.

/// git's `trim_trailing_spaces` (dir.c): drops trailing spaces that are not escaped with a
/// backslash; a backslash escapes the character after it.
pub(crate) fn trim_trailing_spaces(line: &[u8]) -> &[u8] {
    let mut last_space = None;
    let mut i = 0;
    while i < line.len() {
        match line[i] {
            b' ' => {
                last_space.get_or_insert(i);
            }
            b'\\' => {
                i += 1;
                if i >= line.len() {
                    return line;
                }
                last_space = None;
            }
            _ => last_space = None,
        }
        i += 1;
    }
    &line[..last_space.unwrap_or(line.len())]
}

/// Lowercase hex digits, two per byte.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A commit id shortened for people, as `git log --oneline` shows it (7 hex digits).
pub(crate) fn short_id(id: &str) -> &str {
    &id[..id.len().min(7)]
}

/// `one` when `n` is 1, else `many`.
pub(crate) fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// Bytes for people: `812 B`, `4.0 KiB`, `1.2 MiB`.
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_spaces_go_unless_escaped() {
        assert_eq!(trim_trailing_spaces(b"a  "), b"a");
        assert_eq!(trim_trailing_spaces(b"a\\ "), b"a\\ ");
        assert_eq!(trim_trailing_spaces(b"a\\  "), b"a\\ ");
        assert_eq!(trim_trailing_spaces(b"a\\\\ "), b"a\\\\");
        assert_eq!(trim_trailing_spaces(b"a \\"), b"a \\");
        assert_eq!(trim_trailing_spaces(b"   "), b"");
    }

    #[test]
    fn sizes_for_people() {
        assert_eq!(human_bytes(812), "812 B");
        assert_eq!(human_bytes(4096), "4.0 KiB");
        assert_eq!(human_bytes(1_258_291), "1.2 MiB");
        assert_eq!(hex(&[0, 0xab]), "00ab");
        assert_eq!(plural(1, "file", "files"), "file");
        assert_eq!(plural(2, "file", "files"), "files");
    }
}
