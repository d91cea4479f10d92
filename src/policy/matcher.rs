//! The matcher: decides, for one repository path, whether the policy forbids it, allows it, or
//! does not care.
//!
//! Forbid patterns have gitignore semantics, judged the way `git check-ignore --no-index` judges
//! them (`tests/matcher_vs_git.rs` compares the two on a table of tricky cases and on thousands of
//! generated ones). The globs are compiled with the `ignore` crate, but each pattern is first read
//! the way git reads a `.gitignore` line (`dir.c`, `wildmatch.c`) and rewritten into a glob that
//! globset reads the same way:
//!
//! How a pattern is read and rewritten is in [`crate::git::pattern`].
//!
//! [`check_pattern`] refuses the patterns git never matches, which are mistakes: empty ones (a
//! comment, a bare `!` or `/`), an unclosed `[`, a trailing lone `\` (also `x\/`), an unknown
//! `[:class:]`, an empty path component (`a//b`, `//x`, `x//`). It also refuses what the
//! `ignore` crate cannot reproduce, rather than disagree with git: a non-ASCII character inside
//! `[…]` (git compares such a class byte by byte, globset character by character), and a line
//! break or NUL (a `.gitignore` line cannot hold one).
//!
//! Allow entries are paths, not patterns: an entry `D/` allows everything under `D`.
//!
//! Most paths in a repository are not caches, so before any glob runs, one Aho-Corasick scan
//! looks for the literal text every forbid pattern needs (`__pycache__`, `.pyc`, `.pyo`, ...).
//! A path without any of them cannot be forbidden and costs a few nanoseconds.

use std::cell::OnceCell;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use aho_corasick::Anchored;
use aho_corasick::automaton::Automaton;
use aho_corasick::nfa::contiguous::NFA;
use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::git::pattern::{GitPattern, MATCHES_NOTHING, literals_of, translate, translate_for};
use crate::policy::model::{AllowEntry, Policy};

/// What the policy says about one path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheVerdict<'m> {
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
        /// As for [`CacheVerdict::Forbidden`].
        excluded: usize,
        /// The allow entry that keeps it.
        entry: &'m AllowEntry,
    },
}

/// A policy compiled for matching; build it once and ask it about many paths.
///
/// Nothing is compiled that no path needs: the literal prefilter is built when the first path is
/// asked about, the globs when the first path passes it. An empty repository, or a commit that
/// stages no cache, never builds the glob set.
pub struct Matcher {
    /// Each forbid pattern's line for `ignore` (as [`GitPattern::line`] writes it) and the
    /// pattern the user wrote, in policy order.
    originals: Vec<(String, String)>,
    /// Literals one of which every forbidden path contains; `None` when some pattern has none.
    literals: Option<Vec<Vec<u8>>>,
    allow: Vec<AllowEntry>,
    /// Each allow path (ASCII-lowercased under ignorecase) to its entries' indexes, ascending.
    allow_index: std::collections::HashMap<Vec<u8>, Vec<usize>>,
    ignore_case: bool,
    /// The prefilter over `literals`, once a path needed it (`None` inside: every path is a
    /// candidate).
    prefilter: OnceCell<Option<Literals>>,
    /// The compiled globs, once a candidate needed them.
    globs: OnceCell<Globs>,
    /// How far before a file name a literal that ends in it can start (a literal without a
    /// `/` cannot span the name's `/`, so 0 when none has one).
    look_back: usize,
    /// The folder (with its `/`) of the path [`Matcher::literal_end`] was last asked about, and
    /// where the first literal inside it ends, if one does: paths come sorted, so the next one
    /// is nearly always in the same folder, and only its name needs scanning.
    last_folder: std::cell::RefCell<(Vec<u8>, Option<usize>)>,
}

/// The forbid patterns compiled.
enum Globs {
    /// All patterns in one set (the normal case).
    One {
        gitignore: Gitignore,
        /// For each line given to `ignore`, the index in `originals` of its last pattern.
        last_original: std::collections::HashMap<String, usize>,
    },
    /// One set per pattern, asked from the last to the first (git's "last match wins"): for a
    /// policy whose patterns compile one by one (as [`check_pattern`] made sure when it was read)
    /// but not together, within the regex engine's size limits. A pattern that does not compile
    /// even alone (only a policy that was never validated) matches every path, so that it shows
    /// in the findings rather than letting a cache pass.
    PerPattern(Vec<Option<Gitignore>>),
}

/// The longest literal the prefilter looks for (see [`Matcher::new`]).
const MAX_LITERAL: usize = 64;
/// The most literals the prefilter looks for.
const MAX_LITERALS: usize = 4096;

/// Returns why `pattern` cannot be used as a forbid pattern, if it cannot.
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    let why = |why: &str| {
        if why == MATCHES_NOTHING {
            format!("forbid pattern `{pattern}` {why}")
        } else {
            format!("invalid forbid pattern `{pattern}`: {why}")
        }
    };
    for line in [translate(pattern), translate_for(pattern, true)] {
        let line = line.map_err(why)?;
        let mut builder = GitignoreBuilder::new(".");
        builder
            .add_line(None, &line)
            .map_err(|e| why(&glob_error(&e)))?;
        builder.build().map_err(|e| why(&glob_error(&e)))?;
    }
    Ok(())
}

/// The automaton over the literals: a DFA for a policy of a usual size; past
/// [`DFA_LITERALS`], a contiguous NFA (a hostile policy's 4,096 literals of 64 bytes made a DFA
/// of 60 MB), as `AhoCorasick` itself chooses.
enum Literals {
    Dfa(aho_corasick::dfa::DFA),
    Nfa(NFA),
}

/// The most literals scanned with a DFA (the bound `AhoCorasick` uses).
const DFA_LITERALS: usize = 100;

impl Literals {
    fn build(literals: &[Vec<u8>], ignore_case: bool) -> Option<Literals> {
        let kind = aho_corasick::MatchKind::Standard;
        if literals.len() <= DFA_LITERALS {
            aho_corasick::dfa::DFA::builder()
                .ascii_case_insensitive(ignore_case)
                .match_kind(kind)
                .prefilter(false)
                .build(literals)
                .ok()
                .map(Literals::Dfa)
        } else {
            aho_corasick::nfa::contiguous::Builder::new()
                .ascii_case_insensitive(ignore_case)
                .match_kind(kind)
                .prefilter(false)
                .build(literals)
                .ok()
                .map(Literals::Nfa)
        }
    }

    fn first_end(&self, hay: &[u8]) -> Option<usize> {
        match self {
            Literals::Dfa(dfa) => first_end(dfa, hay),
            Literals::Nfa(nfa) => first_end(nfa, hay),
        }
    }
}

/// Where the first literal of `aut` in `hay` ends (standard semantics: the match that ends
/// first), the way `AhoCorasick::find` reports it, without its per-search set-up.
fn first_end(aut: &impl Automaton, hay: &[u8]) -> Option<usize> {
    // An automaton built with the default start kind has an unanchored start state; without
    // one, every path would be a candidate (correct, only slower), never none.
    let Ok(mut sid) = aut.start_state(Anchored::No) else {
        return Some(0);
    };
    if aut.is_match(sid) {
        return Some(0);
    }
    for (at, &b) in hay.iter().enumerate() {
        sid = aut.next_state(Anchored::No, sid, b);
        if aut.is_special(sid) {
            if aut.is_match(sid) {
                return Some(at + 1);
            }
            if aut.is_dead(sid) {
                return None;
            }
        }
    }
    None
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
    /// Reads the policy for matching. `ignore_case` is the repository's `core.ignorecase`.
    /// Each pattern is parsed here (an error names it); the globs are compiled when a path first
    /// needs them.
    pub fn new(policy: &Policy, ignore_case: bool) -> Result<Matcher, String> {
        // Case is folded by `GitPattern`, the way git folds it, not by globset.
        let mut originals = Vec::with_capacity(policy.forbid.len());
        let mut literals: Option<Vec<Vec<u8>>> = Some(Vec::new());
        for pattern in &policy.forbid {
            let parsed =
                GitPattern::parse(pattern, ignore_case).map_err(|e| format!("`{pattern}`: {e}"))?;
            if !parsed.negated {
                match (literals_of(&parsed.tokens), literals.as_mut()) {
                    (Some(found), Some(all)) => all.extend(found),
                    _ => literals = None,
                }
            }
            // `ignore` reports a match by the line it was given (less trailing unescaped spaces,
            // which a generated line never has).
            originals.push((parsed.line(ignore_case), pattern.clone()));
        }
        // Any part of a required literal is required too, so each is cut to its first
        // `MAX_LITERAL` bytes: building the automaton stays linear in the policy's size (a
        // 20,000-byte literal took seconds). Past `MAX_LITERALS` the prefilter would cost more
        // than it saves: every path is then a candidate, which is correct, only slower.
        let literals = literals
            .filter(|lits| lits.len() <= MAX_LITERALS)
            .map(|lits| {
                lits.into_iter()
                    .map(|mut l| {
                        l.truncate(MAX_LITERAL);
                        l
                    })
                    .collect::<Vec<_>>()
            });
        // Only a literal holding a `/` before its last byte can start in a folder and end in
        // the name; it starts at most as far back as that `/` is from its start.
        let look_back = literals
            .iter()
            .flatten()
            .filter_map(|l| l.split_last()?.1.iter().rposition(|&b| b == b'/'))
            .map(|at| at + 1)
            .max()
            .unwrap_or(0);
        let mut allow_index: std::collections::HashMap<Vec<u8>, Vec<usize>> = Default::default();
        for (i, entry) in policy.allow.iter().enumerate() {
            let p = entry.path.as_bytes();
            let k = if ignore_case {
                p.to_ascii_lowercase()
            } else {
                p.to_vec()
            };
            allow_index.entry(k).or_default().push(i);
        }
        Ok(Matcher {
            originals,
            literals,
            allow_index,
            allow: policy.allow.clone(),
            ignore_case,
            prefilter: OnceCell::new(),
            globs: OnceCell::new(),
            look_back,
            last_folder: Default::default(),
        })
    }

    fn prefilter(&self) -> Option<&Literals> {
        self.prefilter
            .get_or_init(|| {
                // An automaton that cannot be built (past the crate's limits) is no prefilter:
                // every path is then a candidate.
                // A bare automaton, stepped by [`first_end`]: the haystacks are short (a folder
                // once, then file names), where the searcher's own set-up and prefilter cost
                // more than the scan (the prefilter's byte, `y` of `.py`, is in nearly every
                // name).
                Literals::build(self.literals.as_ref()?, self.ignore_case)
            })
            .as_ref()
    }

    fn globs(&self) -> &Globs {
        self.globs.get_or_init(|| {
            let mut builder = GitignoreBuilder::new(".");
            for (line, _) in &self.originals {
                if builder.add_line(None, line).is_err() {
                    return self.globs_one_by_one();
                }
            }
            match builder.build() {
                Ok(gitignore) => Globs::One {
                    gitignore,
                    last_original: self
                        .originals
                        .iter()
                        .enumerate()
                        .map(|(i, (t, _))| (t.clone(), i))
                        .collect(),
                },
                Err(_) => self.globs_one_by_one(),
            }
        })
    }

    fn globs_one_by_one(&self) -> Globs {
        Globs::PerPattern(
            self.originals
                .iter()
                .map(|(line, _)| {
                    let mut builder = GitignoreBuilder::new(".");
                    builder.add_line(None, line).ok()?;
                    builder.build().ok()
                })
                .collect(),
        )
    }

    /// The policy's verdict on a tracked file at `path` (repository-relative, `/`-separated).
    pub fn verdict(&self, path: &[u8]) -> CacheVerdict<'_> {
        self.verdict_for(path, false)
    }

    /// The policy's verdict on `path`, which names a folder when `is_dir`.
    pub(crate) fn verdict_for(&self, path: &[u8], is_dir: bool) -> CacheVerdict<'_> {
        match self.literal_end(path) {
            Some(from) => self.verdict_from(path, is_dir, from),
            None => CacheVerdict::NotCache,
        }
    }

    /// [`Matcher::verdict_for`] for a candidate, given its [`Matcher::literal_end`].
    pub(crate) fn verdict_from(&self, path: &[u8], is_dir: bool, from: usize) -> CacheVerdict<'_> {
        let Some((pattern, excluded)) = self.forbidden_by(path, is_dir, from) else {
            return CacheVerdict::NotCache;
        };
        match self.allowed_by(path) {
            Some(entry) => CacheVerdict::Allowed {
                pattern,
                excluded,
                entry,
            },
            None => CacheVerdict::Forbidden { pattern, excluded },
        }
    }

    /// Whether the policy has any allow entry (else [`Matcher::allowed_by`] is always `None`).
    pub(crate) fn allows_any(&self) -> bool {
        !self.allow.is_empty()
    }

    /// Whether a path could be forbidden at all; `false` is certain, `true` is a maybe.
    pub fn is_candidate(&self, path: &[u8]) -> bool {
        self.literal_end(path).is_some()
    }

    /// `None` when no forbid pattern can match `path` or any of its folders (it holds none of
    /// the literals some pattern needs); else where the first such literal ends (0 without a
    /// prefilter). A folder of `path` shorter than that holds no literal, so no pattern that is
    /// not a negation matches it, and it cannot be excluded: [`Matcher::forbidden_by`] starts
    /// there.
    pub(crate) fn literal_end(&self, path: &[u8]) -> Option<usize> {
        // Standard match semantics report the match that ends first.
        let Some(ac) = self.prefilter() else {
            return Some(0);
        };
        let Some(slash) = memchr::memrchr(b'/', path) else {
            return ac.first_end(path);
        };
        let folder = &path[..=slash];
        let mut last = self.last_folder.borrow_mut();
        if last.0 != folder {
            let end = ac.first_end(folder);
            last.0.clear();
            last.0.extend_from_slice(folder);
            last.1 = end;
        }
        if let Some(end) = last.1 {
            // A literal that ends inside the folder ends before any that reaches the name.
            return Some(end);
        }
        // None ends inside the folder: one that ends later starts in the name, or at most
        // `look_back` bytes before it when it holds a `/`.
        let start = (slash + 1).saturating_sub(self.look_back);
        ac.first_end(&path[start..]).map(|end| start + end)
    }

    /// The allow entry that keeps `path`, if any: the first in the policy whose path is `path`
    /// itself (a file entry) or one of its folders. One lookup per folder of `path`, not one
    /// comparison per entry (5,000 entries times a large index was quadratic).
    pub(crate) fn allowed_by(&self, path: &[u8]) -> Option<&AllowEntry> {
        if self.allow.is_empty() {
            return None;
        }
        let mut best: Option<usize> = None;
        let mut consider = |p: &[u8], whole: bool| {
            let found = if self.ignore_case {
                self.allow_index.get(&p.to_ascii_lowercase())
            } else {
                self.allow_index.get(p)
            };
            for &i in found.into_iter().flatten() {
                if !(whole && self.allow[i].is_dir) {
                    best = Some(best.map_or(i, |b| b.min(i)));
                    break;
                }
            }
        };
        for (i, &b) in path.iter().enumerate() {
            if b == b'/' {
                consider(&path[..i], false);
            }
        }
        consider(path, true);
        best.map(|i| &self.allow[i])
    }

    /// Whether an allow entry allows anything: a forbid pattern covers its path, or the cache
    /// files one would find inside it.
    pub(crate) fn covers(&self, entry: &AllowEntry) -> bool {
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
        .any(|(path, is_dir)| self.forbidden_by(path.as_bytes(), *is_dir, 0).is_some())
    }

    /// The forbid pattern that excludes `path` by git's rules, and the length of what it
    /// excluded: the first excluded folder from the top, else the path itself when the last
    /// pattern matching it is not a negation. Folders shorter than `from` are not asked (see
    /// [`Matcher::literal_end`]).
    fn forbidden_by(&self, path: &[u8], is_dir: bool, from: usize) -> Option<(&str, usize)> {
        for (i, &b) in path.iter().enumerate().skip(from) {
            if b == b'/'
                && let Some(p) = self.excluded(&path[..i], true)
            {
                return Some((p, i));
            }
        }
        self.excluded(path, is_dir).map(|p| (p, path.len()))
    }

    fn excluded(&self, path: &[u8], is_dir: bool) -> Option<&str> {
        let path = Path::new(OsStr::from_bytes(path));
        match self.globs() {
            Globs::One {
                gitignore,
                last_original,
            } => match gitignore.matched(path, is_dir) {
                Match::Ignore(glob) => {
                    let line = glob.original();
                    Some(
                        last_original
                            .get(line)
                            .map_or(line, |&i| self.originals[i].1.as_str()),
                    )
                }
                Match::None | Match::Whitelist(_) => None,
            },
            Globs::PerPattern(sets) => {
                for (set, (_, pattern)) in sets.iter().zip(&self.originals).rev() {
                    match set.as_ref().map(|g| g.matched(path, is_dir)) {
                        Some(Match::None) => continue,
                        Some(Match::Whitelist(_)) => return None,
                        Some(Match::Ignore(_)) | None => return Some(pattern.as_str()),
                    }
                }
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::pattern::required_literals;
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
                    pyc: Default::default(),
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
                    CacheVerdict::NotCache => "none".to_string(),
                    CacheVerdict::Forbidden { pattern, .. } => format!("forbid {pattern}"),
                    CacheVerdict::Allowed { pattern, entry, .. } => {
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
        // Each row below was a disagreement with `git check-ignore` (tests/matcher_vs_git.rs).
        // git compares the literal text before the first wildcard on its own, so a `**` right
        // after it starts the rest of the pattern and crosses folders.
        globstar_after_literal_prefix: ["x/a**/b"], [], false, "x/ab" => "forbid x/a**/b";
        globstar_after_literal_prefix_deep: ["x/a**/b"], [], false, "x/ac/d/b" => "forbid x/a**/b";
        globstar_after_literal_prefix_at_end: ["*.pyc", "!x/a**"], [], false, "x/ab/c.pyc" => "none";
        globstar_before_escaped_slash: ["**\\/b"], [], false, "x/y/b" => "forbid **\\/b";
        // The `!` of a negation is not part of the pattern: `**` right after it is a component.
        negated_globstar: ["*.pyc", "!**/keep.pyc"], [], false, "keep.pyc" => "none";
        // The prefilter must not require the trailing spaces git drops...
        trailing_spaces_dropped: ["x.pyc  "], [], false, "a/x.pyc" => "forbid x.pyc  ";
        // ... nor text that is part of a `[:class:]`.
        posix_class: ["[[:digit:]].pyc"], [], false, "1.pyc" => "forbid [[:digit:]].pyc";
        backslash_escapes_in_class: ["[\\]]x"], [], false, "]x" => "forbid [\\]]x";
        backslash_in_class_is_not_a_member: ["[\\]]x"], [], false, "\\]x" => "none";
        no_range_right_after_a_range: ["[a-c-e]x"], [], false, "dx" => "none";
        reversed_range_keeps_its_low_end: ["[z-a]x"], [], false, "zx" => "forbid [z-a]x";
        escaped_backslash_before_folder_marker: ["a\\\\/"], [], false,
            "a\\/x.pyc" => "forbid a\\\\/";
        reports_pattern_with_escaped_trailing_space: ["**\\ "], [], false, "b " => "forbid **\\ ";
        // Under core.ignorecase wildmatch lower-cases the path byte but not class members.
        ignorecase_class_member_not_folded: ["[A]x"], [], true, "Ax" => "none";
        ignorecase_negated_class_member_not_folded: ["[!A]x"], [], true, "ax" => "forbid [!A]x";
        ignorecase_range_folds: ["[A-C]x"], [], true, "bx" => "forbid [A-C]x";
        ignorecase_posix_upper_folds: ["[[:upper:]]x"], [], true, "ax" => "forbid [[:upper:]]x";
    }

    #[test]
    fn literal_end_with_the_folder_remembered_is_a_whole_scan() {
        // Literals inside folder names, across the `/` and in file names; paths asked in
        // sorted order (as the index gives them) and then shuffled.
        // The last has more literals than a DFA is built for (an NFA scans them).
        let many: Vec<String> = (0..150).map(|i| format!("x{i}/e/__pycache__/")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let policies: [&[&str]; 4] = [
            DEFAULT_FORBID,
            &["x/__pycache__/", "*.pyc", "b/c.py[co]", "d/e"],
            &["ab/cd/efgh", "*.PYC", "__pycache__/"],
            &many,
        ];
        let parts = [
            "x",
            "ab",
            "cd",
            "__pycache__",
            "b",
            "c.pyc",
            "efgh",
            "m.py",
            "_",
            "PYC",
            "d",
            "e",
            "x7",
            "x149",
        ];
        let mut seed = 7u64;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        let mut paths: Vec<Vec<u8>> = (0..3000)
            .map(|_| {
                let depth = 1 + next(5);
                (0..depth)
                    .map(|_| parts[next(parts.len())])
                    .collect::<Vec<_>>()
                    .join(if next(7) == 0 { "" } else { "/" })
                    .into_bytes()
            })
            .collect();
        paths.sort();
        let mut shuffled = paths.clone();
        for i in (1..shuffled.len()).rev() {
            shuffled.swap(i, next(i + 1));
        }
        for forbid in policies {
            for icase in [false, true] {
                let m = matcher(forbid, &[], icase);
                let whole = aho_corasick::AhoCorasick::builder()
                    .ascii_case_insensitive(icase)
                    .build(m.literals.as_ref().unwrap())
                    .unwrap();
                for p in paths.iter().chain(&shuffled) {
                    assert_eq!(
                        m.literal_end(p),
                        whole.find(p).map(|f| f.end()),
                        "{forbid:?} {icase} {}",
                        String::from_utf8_lossy(p)
                    );
                }
            }
        }
    }

    #[test]
    fn patterns_git_never_matches_are_refused() {
        for (pattern, why) in [
            ("#x", "matches nothing"),
            ("!/", "matches nothing"),
            ("[abc", "unclosed `[`"),
            ("x\\", "lone `\\`"),
            ("x\\/", "lone `\\`"),
            ("a//b", "empty path component"),
            ("//x", "empty path component"),
            ("**//", "empty path component"),
            ("[[:foo:]]x", "unknown `[:class:]`"),
            ("[é]x", "non-ASCII"),
            ("a\nb", "line break"),
        ] {
            let err = check_pattern(pattern).unwrap_err();
            assert!(err.contains(why), "{pattern:?}: {err}");
        }
        for pattern in ["é.pyc", "[z-a]", "a\\\\/", "x/a**/b", "**\\/b", "{a,b}"] {
            check_pattern(pattern).unwrap();
        }
    }

    #[test]
    fn classes_are_written_member_by_member() {
        let glob = |p: &str, icase: bool| GitPattern::parse(p, icase).unwrap().glob(icase);
        assert_eq!(glob("[\\]a]x", false), "[]a]x");
        assert_eq!(glob("[a-c-e]x", false), "[abce-]x");
        assert_eq!(glob("[z-a]x", false), "zx");
        assert_eq!(glob("[!]]x", false), "[!]]x");
        assert_eq!(glob("[\\!^]x", false), "{!,^}x");
        assert_eq!(glob("[!A]x", true), "?[xX]");
        assert_eq!(glob("[A]x", true), "[/][xX]");
        assert_eq!(glob("[A-B]", true), "[ABab]");
        assert_eq!(glob("x/a**/b", false), "x/a{**/b}");
        assert_eq!(glob("x/a**", false), "x/a{*,**/*}");
        assert_eq!(glob("a/**\\/b", false), "a/*/**/b");
    }

    /// The one-set-per-pattern fallback (for a policy too large to compile as one set) gives
    /// the verdicts of the single set, and compiles nothing until a candidate is asked about.
    #[test]
    fn per_pattern_globs_agree_with_one_set() {
        let forbid = [
            "__pycache__/",
            "*.py[co]",
            "!keep.pyc",
            "build/",
            "!build/keep/",
            "/top.pyc",
        ];
        let allow = ["01_Basics/__pycache__/", "tools/legacy.pyc"];
        let one = matcher(&forbid, &allow, false);
        let per = matcher(&forbid, &allow, false);
        assert!(per.globs.get().is_none() && per.prefilter.get().is_none());
        assert_eq!(per.verdict(b"src/main.rs"), CacheVerdict::NotCache);
        assert!(per.prefilter.get().is_some() && per.globs.get().is_none());
        assert!(per.globs.set(per.globs_one_by_one()).is_ok());
        for path in [
            "a/b/__pycache__/x.cpython-312.pyc",
            "a/keep.pyc",
            "a/__pycache__/keep.pyc",
            "build/keep/x.pyc",
            "top.pyc",
            "sub/top.pyc",
            "01_Basics/__pycache__/s.pyc",
            "tools/legacy.pyc",
            "src/main.py",
            "x/__pycache__",
        ] {
            assert_eq!(
                one.verdict(path.as_bytes()),
                per.verdict(path.as_bytes()),
                "{path}"
            );
        }
        assert!(matches!(one.globs.get(), Some(Globs::One { .. })));
    }

    /// Folders shorter than the first literal are not asked, so the verdict must still find a
    /// pattern that excludes a deeper folder, or the file itself.
    #[test]
    fn literal_end_skips_only_folders_without_a_literal() {
        let m = matcher(&["__pycache__/", "*.pyc"], &[], false);
        assert_eq!(m.literal_end(b"src/app.py"), None);
        assert_eq!(m.literal_end(b"a/__pycache__/x.pyc"), Some(13));
        assert_eq!(
            m.verdict(b"a/__pycache__/x.pyc"),
            CacheVerdict::Forbidden {
                pattern: "__pycache__/",
                excluded: 13
            }
        );
        let m = matcher(&["*.pyc/"], &[], false);
        assert_eq!(
            m.verdict(b"a/b.pyc/c/d.txt"),
            CacheVerdict::Forbidden {
                pattern: "*.pyc/",
                excluded: 7
            }
        );
        // Without literals every folder is asked.
        let m = matcher(&["[a-z]/"], &[], false);
        assert_eq!(m.literal_end(b"b/x"), Some(0));
        assert_eq!(
            m.verdict(b"b/x"),
            CacheVerdict::Forbidden {
                pattern: "[a-z]/",
                excluded: 1
            }
        );
    }

    #[test]
    fn non_utf8_path() {
        let m = matcher(DEFAULT_FORBID, &[], false);
        assert!(matches!(
            m.verdict(b"caf\xe9/__pycache__/x.pyc"),
            CacheVerdict::Forbidden { .. }
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
            pyc: Default::default(),
        };
        assert!(m.covers(&entry("a/__pycache__")));
        assert!(!matcher(&["__pycache__/"], &[], false).covers(&entry("docs")));
    }
}
