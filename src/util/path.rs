//! Byte paths: git paths need not be UTF-8, so they travel as bytes and are shown the way git
//! shows them (`display`) or quoted for a shell (`shell_quote`).

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;

/// A byte path as a file-system path.
pub(crate) fn as_path(bytes: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(bytes))
}

/// The folder holding `path` (empty at the root), without the trailing `/`.
pub(crate) fn parent(path: &[u8]) -> &[u8] {
    split_last(path).0
}

/// `(folder, last component)`; the folder is empty for a path without `/`.
pub(crate) fn split_last(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (b"", path),
    }
}

/// Whether `a` and `b` are the same path, folding ASCII case when `ignore_case` (git's
/// `core.ignorecase` folds ASCII only).
pub(crate) fn same(a: &[u8], b: &[u8], ignore_case: bool) -> bool {
    if ignore_case {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// A path as git shows it: as is when it is printable UTF-8, else in double quotes with C-style
/// escapes (octal for bytes that are not UTF-8), like `core.quotePath=false`.
pub fn display_path(path: &[u8]) -> String {
    match std::str::from_utf8(path) {
        Ok(s) if !s.chars().any(|c| c.is_control() || c == '"' || c == '\\') => s.to_string(),
        _ => {
            let mut out = String::from("\"");
            c_escape(
                &mut out,
                path,
                &[('"', "\\\""), ('\\', "\\\\"), ('\t', "\\t"), ('\n', "\\n")],
            );
            out.push('"');
            out
        }
    }
}

/// Quotes a path for any POSIX shell (`sh`, `dash`, `bash`, `zsh`), not only bash: printable
/// text and line breaks go inside single quotes (where `sh` takes every byte as it is), a `'` as
/// `'\''`, and every other control character or byte that is not UTF-8 as `"$(printf '\ooo')"`
/// (octal escapes are POSIX `printf`; they are never line breaks, which `$(...)` would strip).
/// Nothing the terminal could act on is printed raw. (A path never holds NUL.)
pub fn shell_quote(path: &[u8]) -> String {
    let plain = |b: &u8| b.is_ascii_alphanumeric() || b"_-./+@%=:,".contains(b);
    if !path.is_empty() && path.iter().all(plain) && path[0] != b'-' {
        return String::from_utf8_lossy(path).into_owned();
    }
    #[derive(PartialEq)]
    enum In {
        Nothing,
        Quotes,
        Printf,
    }
    let mut out = String::new();
    let mut state = In::Nothing;
    let mut switch = |out: &mut String, to: In| {
        if state == to {
            return;
        }
        match state {
            In::Quotes => out.push('\''),
            In::Printf => out.push_str("')\""),
            In::Nothing => {}
        }
        match to {
            In::Quotes => out.push('\''),
            In::Printf => out.push_str("\"$(printf '"),
            In::Nothing => {}
        }
        state = to;
    };
    for chunk in path.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\n' || !c.is_control() {
                switch(&mut out, In::Quotes);
                if c == '\'' {
                    out.push_str(r"'\''");
                } else {
                    out.push(c);
                }
            } else {
                switch(&mut out, In::Printf);
                for b in c.encode_utf8(&mut [0; 4]).bytes() {
                    let _ = write!(out, "\\{b:03o}");
                }
            }
        }
        if !chunk.invalid().is_empty() {
            switch(&mut out, In::Printf);
            for b in chunk.invalid() {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    switch(&mut out, In::Nothing);
    if out.is_empty() {
        out.push_str("''");
    }
    out
}

/// Appends `path` with the `named` characters replaced, every other control character and every
/// byte that is not UTF-8 as a three-digit octal escape (as git quotes and as bash's `$'...'`
/// reads it).
fn c_escape(out: &mut String, path: &[u8], named: &[(char, &str)]) {
    for chunk in path.utf8_chunks() {
        for c in chunk.valid().chars() {
            match named.iter().find(|(n, _)| *n == c) {
                Some((_, escaped)) => out.push_str(escaped),
                None if c.is_control() => {
                    for b in c.encode_utf8(&mut [0; 4]).bytes() {
                        let _ = write!(out, "\\{b:03o}");
                    }
                }
                None => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\{b:03o}");
        }
    }
}
