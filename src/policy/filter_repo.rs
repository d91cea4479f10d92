//! The `git filter-repo` command that purges every forbidden path from history while keeping
//! the allowlisted ones: `git filter-repo --invert-paths --path-regex REGEX`.
//!
//! filter-repo drops every file whose path the regex finds (`re.search` on the path as bytes),
//! so the regex must say exactly what the matcher says: "forbidden by some pattern, and not
//! kept". It is written from the patterns as the matcher reads them (git's `dir.c` and
//! `wildmatch.c` rules, see [`crate::policy::matcher`]), not from their text:
//! - A pattern without a slash matches any path component: `([^/]*/)*P(/|\Z)`, that is, a
//!   file named P or anything under a folder named P; a folder pattern (`P/`) only the latter.
//!   A pattern with a slash is anchored at the root: `^P(/|\Z)`.
//! - `*` is `[^/]*`, `?` is `[^/]`, a class is the set of bytes it matches (never `/`), `**/`
//!   is `([^/]*/)*`, a trailing `**` (or one before `\/`) is any text.
//! - Kept paths are excluded up front: `^(?!01_Basics/__pycache__/)`, one alternative per
//!   allow entry (`D/` for a folder, `F(/|\Z)` for a file).
//! - Under `core.ignorecase`, letters become `[aA]`; a class is already the set of bytes git
//!   matches with case folded, quirks included.
//! - `.` is never used (it does not match a line break, which a path may hold), and `\Z`
//!   rather than `$` (which also matches before a final line break).
//!
//! A negated pattern (`!keep.pyc`) is refused: git decides by the last matching line, and
//! cannot re-include a file inside an excluded folder, which a single regex does not express.

use std::fmt::Write as _;

use crate::git::pattern::{AfterGlobstar, Class, GitPattern, Token};
use crate::policy::Policy;

/// Why a policy cannot be written as one `--path-regex`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Untranslatable {
    /// The forbid pattern.
    pub(crate) pattern: String,
    /// Why.
    pub(crate) reason: String,
}

/// The regex for `git filter-repo --invert-paths --path-regex`: it finds exactly the paths the
/// policy forbids and does not keep.
pub fn path_regex(policy: &Policy, ignore_case: bool) -> Result<String, Untranslatable> {
    let mut anywhere = Vec::new();
    let mut rooted = Vec::new();
    for pattern in &policy.forbid {
        let refuse = |reason: &str| Untranslatable {
            pattern: pattern.clone(),
            reason: reason.to_string(),
        };
        let parsed = GitPattern::parse(pattern, ignore_case).map_err(refuse)?;
        if parsed.negated {
            return Err(refuse(
                "a negated pattern re-includes paths by git's last-match-wins rule, which one \
                 regex cannot express",
            ));
        }
        let mut alt = tokens(&parsed.tokens, ignore_case);
        alt.push_str(if parsed.dir_only { "/" } else { r"(/|\Z)" });
        if parsed.anchored {
            rooted.push(alt);
        } else {
            anywhere.push(alt);
        }
    }
    let mut re = String::from("^");
    let kept: Vec<String> = policy
        .allow
        .iter()
        .map(|a| {
            let mut s = String::new();
            for &b in a.path.as_bytes() {
                literal(&mut s, b, ignore_case);
            }
            // As the matcher reads an entry: a folder keeps what is under it; a file keeps
            // itself (and, should it be a folder in some commit, what is under it).
            s.push_str(if a.is_dir { "/" } else { r"(/|\Z)" });
            s
        })
        .collect();
    if !kept.is_empty() {
        let _ = write!(re, "(?!{})", kept.join("|"));
    }
    let anywhere = match anywhere.len() {
        0 => None,
        _ => Some(format!("([^/]*/)*({})", anywhere.join("|"))),
    };
    let alts: Vec<String> = anywhere.into_iter().chain(rooted).collect();
    match alts.len() {
        0 => re.push_str("(?!)"),
        1 => re.push_str(&alts[0]),
        _ => {
            let _ = write!(re, "({})", alts.join("|"));
        }
    }
    Ok(re)
}

/// The whole command, quoted for a POSIX shell.
pub(crate) fn command(regex: &str) -> String {
    format!(
        "git filter-repo --invert-paths --path-regex '{}'",
        regex.replace('\'', r"'\''")
    )
}

fn tokens(tokens: &[Token], ignore_case: bool) -> String {
    let mut out = String::new();
    let mut skip_slash = false;
    for token in tokens {
        if std::mem::take(&mut skip_slash) && *token == Token::Literal(b'/') {
            continue;
        }
        match token {
            Token::Literal(b) => literal(&mut out, *b, ignore_case),
            Token::AnyByte => out.push_str("[^/]"),
            Token::Star => out.push_str("[^/]*"),
            Token::Class(class) => out.push_str(&class_regex(class)),
            Token::Globstar { then, .. } => match then {
                // `**/`: zero or more whole folders (the `/` is part of the repetition).
                AfterGlobstar::Slash => {
                    out.push_str("([^/]*/)*");
                    skip_slash = true;
                }
                AfterGlobstar::End | AfterGlobstar::EscapedSlash => out.push_str("(?s:.*)"),
            },
        }
    }
    out
}

/// One byte as a Python bytes regex matches it (and its other case, under ignorecase).
fn literal(out: &mut String, b: u8, ignore_case: bool) {
    match b {
        _ if ignore_case && b.is_ascii_alphabetic() => {
            let _ = write!(
                out,
                "[{}{}]",
                b.to_ascii_lowercase() as char,
                b.to_ascii_uppercase() as char
            );
        }
        b'/' | b'_' => out.push(b as char),
        _ if b.is_ascii_alphanumeric() => out.push(b as char),
        _ if b.is_ascii_graphic() => {
            out.push('\\');
            out.push(b as char);
        }
        _ => {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
}

/// A class as a regex class listing the bytes it matches, in ranges.
fn class_regex(class: &Class) -> String {
    let matches = |b: u8| {
        b != b'/'
            && if b < 128 {
                class.has(b)
            } else {
                class.non_ascii
            }
    };
    let members: Vec<u8> = (0..=255u8).filter(|&b| matches(b)).collect();
    if members.is_empty() {
        return "(?!)".to_string();
    }
    let mut out = String::from("[");
    let mut i = 0;
    while i < members.len() {
        let start = members[i];
        let mut end = start;
        while i + 1 < members.len() && members[i + 1] == end + 1 {
            i += 1;
            end += 1;
        }
        member(&mut out, start);
        if end > start {
            out.push('-');
            member(&mut out, end);
        }
        i += 1;
    }
    out.push(']');
    out
}

/// A class member: letters and digits as themselves, any other byte as `\xNN`.
fn member(out: &mut String, b: u8) {
    if b.is_ascii_alphanumeric() {
        out.push(b as char);
    } else {
        let _ = write!(out, "\\x{b:02x}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{DEFAULT_FORBID, Origin};

    fn policy(forbid: &[&str], allow: &[&str]) -> Policy {
        let mut toml = format!("[caches]\nforbid = {forbid:?}\n");
        for a in allow {
            toml.push_str(&format!(
                "[[allow]]\npath = {a:?}\nrequire_readme = false\n"
            ));
        }
        Policy::from_toml(&toml, Origin::Defaults).unwrap()
    }

    #[test]
    fn default_policy_with_a_kept_folder() {
        let re = path_regex(&policy(DEFAULT_FORBID, &["01_Basics/__pycache__/"]), false).unwrap();
        assert_eq!(
            re,
            r"^(?!01_Basics/__pycache__/)([^/]*/)*(__pycache__/|[^/]*\.py[co](/|\Z)|[^/]*\$py\.class(/|\Z))"
        );
        assert_eq!(
            command("a'b"),
            r"git filter-repo --invert-paths --path-regex 'a'\''b'"
        );
    }

    #[test]
    fn anchored_and_globstar_patterns() {
        let re = path_regex(
            &policy(&["/top.pyc", "a/**/b/", "x/**"], &["x/keep.pyc"]),
            false,
        )
        .unwrap();
        assert_eq!(
            re,
            r"^(?!x/keep\.pyc(/|\Z))(top\.pyc(/|\Z)|a/([^/]*/)*b/|x/(?s:.*)(/|\Z))"
        );
    }

    #[test]
    fn ignorecase_folds_letters() {
        let re = path_regex(&policy(&["*.pyc"], &["K/"]), true).unwrap();
        assert_eq!(re, r"^(?![kK]/)([^/]*/)*([^/]*\.[pP][yY][cC](/|\Z))");
    }

    #[test]
    fn negations_are_refused() {
        let e = path_regex(&policy(&["*.pyc", "!keep.pyc"], &[]), false).unwrap_err();
        assert_eq!(e.pattern, "!keep.pyc");
    }
}
