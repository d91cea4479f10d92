//! The matcher: decides, for one repository path, whether the policy forbids it, allows it, or
//! does not care.
//!
//! Forbid patterns have gitignore semantics, judged the way git judges them rather than the way
//! the `ignore` crate does by default:
//!
//! - A path is forbidden when one of its parent folders is forbidden, checked from the top down,
//!   and a negated pattern cannot re-include anything below a forbidden folder (gitignore(5)).
//!   `ignore`'s `matched_path_or_any_parents` checks bottom up and lets `!` re-include a file
//!   inside an excluded folder, so we walk the parents ourselves.
//! - `{a,b}` is literal in git and alternation in globset: braces are escaped before compiling.
//! - `**` that is not a whole path component is an ordinary `*` in git.
//! - `core.ignorecase` makes matching ASCII case-insensitive, as git does.
//!
//! Allow entries are paths, not patterns: an entry `D/` allows everything under `D`.
//!
//! Most paths in a repository are not caches, so before any glob runs, one Aho-Corasick scan
//! looks for the literal text every forbid pattern needs (`__pycache__`, `.pyc`, `.pyo`, ...).
//! A path without any of them cannot be forbidden and costs a few nanoseconds.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use aho_corasick::AhoCorasick;
use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::policy::{AllowEntry, Policy};

/// What the policy says about one path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict<'m> {
    /// No forbid pattern applies: not a cache as far as the policy is concerned.
    NotCache,
    /// A forbid pattern applies (to the path or to one of its folders) and no allow entry does.
    Forbidden {
        /// The forbid pattern, as written in the policy.
        pattern: &'m str,
        /// How much of the path the pattern excluded: the length of a folder such as
        /// `a/__pycache__`, or of the whole path.
        excluded: usize,
    },
    /// A forbid pattern applies, but the path is kept on purpose.
    Allowed {
        /// The forbid pattern that would otherwise apply.
        pattern: &'m str,
        /// As for [`Verdict::Forbidden`].
        excluded: usize,
        /// The allow entry that keeps it.
        entry: &'m AllowEntry,
    },
}

/// A policy compiled for matching; build it once and ask it about many paths.
pub struct Matcher {
    gitignore: Gitignore,
    /// For each compiled glob (by its translated text), the pattern the user wrote.
    originals: Vec<(String, String)>,
    allow: Vec<AllowEntry>,
    ignore_case: bool,
    /// Literals one of which every forbidden path contains; `None` when some pattern has none.
    prefilter: Option<AhoCorasick>,
}

/// Returns why `pattern` cannot be used as a forbid pattern, if it cannot.
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    let trimmed = pattern.trim_end_matches(' ');
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "!" || trimmed == "/" {
        return Err(format!(
            "forbid pattern `{pattern}` matches nothing in gitignore syntax (empty, a comment, \
             or a bare `!`/`/`)"
        ));
    }
    let translated =
        translate(pattern).map_err(|why| format!("invalid forbid pattern `{pattern}`: {why}"))?;
    let mut builder = GitignoreBuilder::new(".");
    builder
        .add_line(None, &translated)
        .map_err(|e| format!("invalid forbid pattern `{pattern}`: {}", glob_error(&e)))?;
    builder
        .build()
        .map_err(|e| format!("invalid forbid pattern `{pattern}`: {}", glob_error(&e)))?;
    Ok(())
}

fn glob_error(e: &ignore::Error) -> String {
    // `ignore` wraps the glob error with the line it came from; the kind is what helps.
    let s = e.to_string();
    match s.rsplit_once(": ") {
        Some((_, kind)) => kind.to_string(),
        None => s,
    }
}

impl Matcher {
    /// Compiles the policy. `ignore_case` is the repository's `core.ignorecase`.
    pub fn new(policy: &Policy, ignore_case: bool) -> Result<Matcher, String> {
        let mut builder = GitignoreBuilder::new(".");
        builder
            .case_insensitive(ignore_case)
            .map_err(|e| e.to_string())?;
        let mut originals = Vec::with_capacity(policy.forbid.len());
        let mut literals: Option<Vec<Vec<u8>>> = Some(Vec::new());
        for pattern in &policy.forbid {
            check_pattern(pattern)?;
            let translated = translate(pattern).map_err(|e| format!("`{pattern}`: {e}"))?;
            builder
                .add_line(None, &translated)
                .map_err(|e| format!("`{pattern}`: {}", glob_error(&e)))?;
            if !translated.starts_with('!') {
                match (required_literals(&translated), literals.as_mut()) {
                    (Some(found), Some(all)) => all.extend(found),
                    _ => literals = None,
                }
            }
            originals.push((
                translated.trim_end_matches(' ').to_string(),
                pattern.clone(),
            ));
        }
        let gitignore = builder.build().map_err(|e| e.to_string())?;
        let prefilter = match literals {
            Some(lits) => Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(ignore_case)
                    .build(lits)
                    .map_err(|e| e.to_string())?,
            ),
            None => None,
        };
        Ok(Matcher {
            gitignore,
            originals,
            allow: policy.allow.clone(),
            ignore_case,
            prefilter,
        })
    }

    /// The policy's verdict on a tracked file at `path` (repository-relative, `/`-separated).
    pub fn verdict(&self, path: &[u8]) -> Verdict<'_> {
        if !self.is_candidate(path) {
            return Verdict::NotCache;
        }
        let Some((pattern, excluded)) = self.forbidden_by(path, false) else {
            return Verdict::NotCache;
        };
        match self.allowed_by(path) {
            Some(entry) => Verdict::Allowed {
                pattern,
                excluded,
                entry,
            },
            None => Verdict::Forbidden { pattern, excluded },
        }
    }

    /// Whether a path could be forbidden at all; `false` is certain, `true` is a maybe.
    pub fn is_candidate(&self, path: &[u8]) -> bool {
        match &self.prefilter {
            Some(ac) => ac.is_match(path),
            None => true,
        }
    }

    /// The allow entry that keeps `path`, if any.
    pub fn allowed_by(&self, path: &[u8]) -> Option<&AllowEntry> {
        self.allow.iter().find(|entry| {
            let p = entry.path.as_bytes();
            let head_matches = path.len() >= p.len() && self.bytes_eq(&path[..p.len()], p);
            head_matches
                && match path.get(p.len()) {
                    None => !entry.is_dir,
                    Some(b'/') => true,
                    Some(_) => false,
                }
        })
    }

    /// Whether an allow entry allows anything: a forbid pattern covers its path, or the cache
    /// files one would find inside it.
    pub fn covers(&self, entry: &AllowEntry) -> bool {
        let p = &entry.path;
        [
            (p.clone(), true),
            (p.clone(), false),
            (format!("{p}/m.cpython-312.pyc"), false),
            (format!("{p}/m.pyc"), false),
            (format!("{p}/m.pyo"), false),
            (format!("{p}/m$py.class"), false),
        ]
        .iter()
        .any(|(path, is_dir)| self.forbidden_by(path.as_bytes(), *is_dir).is_some())
    }

    /// The forbid pattern that excludes `path` by git's rules, and the length of what it
    /// excluded: the first excluded folder from the top, else the path itself when the last
    /// pattern matching it is not a negation.
    fn forbidden_by(&self, path: &[u8], is_dir: bool) -> Option<(&str, usize)> {
        for (i, &b) in path.iter().enumerate() {
            if b == b'/'
                && let Some(p) = self.excluded(&path[..i], true)
            {
                return Some((p, i));
            }
        }
        self.excluded(path, is_dir).map(|p| (p, path.len()))
    }

    fn excluded(&self, path: &[u8], is_dir: bool) -> Option<&str> {
        match self
            .gitignore
            .matched(Path::new(OsStr::from_bytes(path)), is_dir)
        {
            Match::Ignore(glob) => Some(self.original(glob.original())),
            Match::None | Match::Whitelist(_) => None,
        }
    }

    fn original<'a>(&'a self, translated: &'a str) -> &'a str {
        self.originals
            .iter()
            .rev()
            .find(|(t, _)| t == translated)
            .map_or(translated, |(_, o)| o.as_str())
    }

    fn bytes_eq(&self, a: &[u8], b: &[u8]) -> bool {
        if self.ignore_case {
            a.eq_ignore_ascii_case(b)
        } else {
            a == b
        }
    }
}

/// Rewrites a gitignore pattern so that globset reads it the way git's wildmatch does.
fn translate(pattern: &str) -> Result<String, &'static str> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                out.push('\\');
                if let Some(&c) = chars.get(i + 1) {
                    out.push(c);
                }
                i += 2;
            }
            '[' => {
                let end = class_end(&chars, i).ok_or("unclosed `[`: git never matches it")?;
                out.extend(&chars[i..=end]);
                i = end + 1;
            }
            '{' | '}' => {
                out.push('\\');
                out.push(chars[i]);
                i += 1;
            }
            '*' => {
                let start = i;
                while chars.get(i) == Some(&'*') {
                    i += 1;
                }
                let whole_component = i - start >= 2
                    && (start == 0 || chars[start - 1] == '/')
                    && (i == chars.len() || chars[i] == '/');
                out.push_str(if whole_component { "**" } else { "*" });
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// The index of the `]` closing the class that opens at `open`, by wildmatch's rules (a `]` right
/// after `[`, `[!` or `[^` is a member, not the end).
fn class_end(chars: &[char], open: usize) -> Option<usize> {
    let mut i = open + 1;
    if matches!(chars.get(i), Some('!' | '^')) {
        i += 1;
    }
    if chars.get(i) == Some(&']') {
        i += 1;
    }
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            ']' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Literal strings one of which any path matched by `pattern` (translated, not negated) must
/// contain, or `None` when the pattern needs no literal text (such as `*`).
///
/// Small classes such as `[co]` are expanded, so `*.py[co]` needs `.pyc` or `.pyo` rather than
/// just `.py` (which every source file has).
fn required_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    const MAX_ALTERNATIVES: usize = 16;
    let chars: Vec<char> = pattern.chars().collect();
    let mut best: Option<Vec<String>> = None;
    let mut current: Vec<String> = vec![String::new()];
    let score = |alts: &[String]| {
        alts.iter()
            .map(|s| s.trim_matches('/').len())
            .min()
            .unwrap_or(0)
    };
    let flush = |current: &mut Vec<String>, best: &mut Option<Vec<String>>| {
        if score(current) > best.as_deref().map_or(0, score) {
            *best = Some(current.clone());
        }
        *current = vec![String::new()];
    };
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                current.iter_mut().for_each(|s| s.push(chars[i + 1]));
                i += 2;
            }
            '[' => {
                let end = class_end(&chars, i)?;
                let members = &chars[i + 1..end];
                let simple = !members.is_empty()
                    && !matches!(members[0], '!' | '^')
                    && !members.iter().any(|c| matches!(c, '-' | '\\' | '[' | '/'))
                    && current.len() * members.len() <= MAX_ALTERNATIVES;
                if simple {
                    current = current
                        .iter()
                        .flat_map(|s| members.iter().map(move |c| format!("{s}{c}")))
                        .collect();
                } else {
                    flush(&mut current, &mut best);
                }
                i = end + 1;
            }
            '*' | '?' => {
                flush(&mut current, &mut best);
                i += 1;
            }
            c => {
                current.iter_mut().for_each(|s| s.push(c));
                i += 1;
            }
        }
    }
    flush(&mut current, &mut best);
    // Slashes at the edges are not required text: `**/foo` matches `foo` at the root, and a
    // trailing `/` only marks a folder pattern.
    best.map(|alts| {
        alts.into_iter()
            .map(|s| s.trim_matches('/').as_bytes().to_vec())
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{DEFAULT_FORBID, Origin};

    fn matcher(forbid: &[&str], allow: &[&str], ignore_case: bool) -> Matcher {
        let policy = Policy {
            origin: Origin::Defaults,
            forbid: forbid.iter().map(|s| s.to_string()).collect(),
            allow: allow
                .iter()
                .map(|a| AllowEntry {
                    path: a.trim_end_matches('/').to_string(),
                    is_dir: a.ends_with('/'),
                    reason: None,
                    require_readme: false,
                })
                .collect(),
        };
        Matcher::new(&policy, ignore_case).unwrap()
    }

    /// Each row: forbid patterns, allow paths, ignorecase, path, expected verdict as text.
    macro_rules! verdicts {
        ($($name:ident: $forbid:expr, $allow:expr, $icase:expr, $path:expr => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                let m = matcher(&$forbid, &$allow, $icase);
                let got = match m.verdict($path.as_bytes()) {
                    Verdict::NotCache => "none".to_string(),
                    Verdict::Forbidden { pattern, .. } => format!("forbid {pattern}"),
                    Verdict::Allowed { pattern, entry, .. } => {
                        format!("allow {} ({pattern})", entry.display_path())
                    }
                };
                assert_eq!(got, $want);
            }
        )*};
    }

    verdicts! {
        nested_pycache: DEFAULT_FORBID, [], false, "a/b/__pycache__/x.cpython-312.pyc" => "forbid __pycache__/";
        pycache_readme: DEFAULT_FORBID, [], false, "a/__pycache__/README.md" => "forbid __pycache__/";
        legacy_pyc: DEFAULT_FORBID, [], false, "pkg/mod.pyc" => "forbid *.py[co]";
        pyo: DEFAULT_FORBID, [], false, "mod.pyo" => "forbid *.py[co]";
        jython: DEFAULT_FORBID, [], false, "lib/Foo$py.class" => "forbid *$py.class";
        source_is_fine: DEFAULT_FORBID, [], false, "pkg/mod.py" => "none";
        extension_module_is_fine: DEFAULT_FORBID, [], false, "pkg/_speedups.pyd" => "none";
        shared_object_is_fine: DEFAULT_FORBID, [], false, "pkg/_speedups.so" => "none";
        pycache_file_not_dir: DEFAULT_FORBID, [], false, "notes/__pycache__" => "none";
        similar_name: DEFAULT_FORBID, [], false, "a/__pycache__x/y.txt" => "none";
        kept_folder: DEFAULT_FORBID, ["01_Basics/__pycache__/"], false,
            "01_Basics/__pycache__/script1.cpython-312.pyc" => "allow 01_Basics/__pycache__/ (__pycache__/)";
        kept_folder_readme: DEFAULT_FORBID, ["01_Basics/__pycache__/"], false,
            "01_Basics/__pycache__/README.md" => "allow 01_Basics/__pycache__/ (__pycache__/)";
        other_folder_not_kept: DEFAULT_FORBID, ["01_Basics/__pycache__/"], false,
            "02_Next/__pycache__/s.cpython-312.pyc" => "forbid __pycache__/";
        allow_prefix_is_by_component: DEFAULT_FORBID, ["01_Basics/__pycache__/"], false,
            "01_Basics/__pycache__2/s.pyc" => "forbid *.py[co]";
        allow_is_anchored: DEFAULT_FORBID, ["01_Basics/__pycache__/"], false,
            "x/01_Basics/__pycache__/s.pyc" => "forbid __pycache__/";
        negation_cannot_reinclude_under_excluded_dir: ["__pycache__/", "!keep.pyc"], [], false,
            "a/__pycache__/keep.pyc" => "forbid __pycache__/";
        negation_reincludes_file: ["*.pyc", "!keep.pyc"], [], false, "a/keep.pyc" => "none";
        excluded_parent_beats_reincluded_child: ["build/", "!build/keep/"], [], false,
            "build/keep/x.pyc" => "forbid build/";
        braces_are_literal: ["*.{pyc}"], [], false, "a.pyc" => "none";
        braces_literal_match: ["*.{pyc}"], [], false, "a.{pyc}" => "forbid *.{pyc}";
        double_star_inside_component: ["a**b.pyc"], [], false, "axyb.pyc" => "forbid a**b.pyc";
        double_star_inside_component_not_slash: ["a**b.pyc"], [], false, "ax/yb.pyc" => "none";
        anchored_pattern: ["/top.pyc"], [], false, "sub/top.pyc" => "none";
        anchored_pattern_root: ["/top.pyc"], [], false, "top.pyc" => "forbid /top.pyc";
        case_sensitive_by_default: DEFAULT_FORBID, [], false, "A/__PYCACHE__/x.PYC" => "none";
        ignorecase: DEFAULT_FORBID, [], true, "A/__PYCACHE__/x.txt" => "forbid __pycache__/";
        ignorecase_allow: DEFAULT_FORBID, ["01_basics/__pycache__/"], true,
            "01_Basics/__PyCache__/x.pyc" => "allow 01_basics/__pycache__/ (__pycache__/)";
        star_pattern_has_no_prefilter: ["*"], [], false, "anything" => "forbid *";
        allow_single_file: DEFAULT_FORBID, ["tools/legacy.pyc"], false,
            "tools/legacy.pyc" => "allow tools/legacy.pyc (*.py[co])";
    }

    #[test]
    fn non_utf8_path() {
        let m = matcher(DEFAULT_FORBID, &[], false);
        assert!(matches!(
            m.verdict(b"caf\xe9/__pycache__/x.pyc"),
            Verdict::Forbidden { .. }
        ));
    }

    #[test]
    fn literals_of_default_patterns() {
        let lits = |p: &str| {
            required_literals(&translate(p).unwrap()).map(|v| {
                v.into_iter()
                    .map(|b| String::from_utf8(b).unwrap())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(lits("__pycache__/"), Some(vec!["__pycache__".into()]));
        assert_eq!(lits("*.py[co]"), Some(vec![".pyc".into(), ".pyo".into()]));
        assert_eq!(lits("*$py.class"), Some(vec!["$py.class".into()]));
        assert_eq!(lits("**/foo/bar"), Some(vec!["foo/bar".into()]));
        assert_eq!(lits("*"), None);
        assert_eq!(lits("[a-z]*"), None);
    }

    #[test]
    fn translation() {
        assert_eq!(translate("*.{a,b}").unwrap(), "*.\\{a,b\\}");
        assert_eq!(translate("a**b").unwrap(), "a*b");
        assert_eq!(translate("**/x/**").unwrap(), "**/x/**");
        assert_eq!(translate("[]{]x").unwrap(), "[]{]x");
        assert!(translate("[abc").is_err());
    }

    #[test]
    fn covers() {
        let m = matcher(&["*.pyc"], &[], false);
        let entry = |p: &str| AllowEntry {
            path: p.into(),
            is_dir: true,
            reason: None,
            require_readme: false,
        };
        assert!(m.covers(&entry("a/__pycache__")));
        assert!(!matcher(&["__pycache__/"], &[], false).covers(&entry("docs")));
    }
}
