//! Differential test: the matcher's forbid verdicts against real git.
//!
//! "Git is the spec": for every case, the forbid patterns are written one per line to the root
//! `.gitignore` of a scratch repository, and `git check-ignore --no-index` judges every path in one
//! call. The matcher must agree on every path: ignored by git exactly when it is `Forbidden`,
//! and by the same pattern (git names the deciding line). Paths are given as files (no trailing
//! `/`), as index entries are; they do not exist on disk, so a folder pattern such as `x/` can
//! only apply through a parent folder, as it does for a tracked file.
//!
//! Cases: a hand-written table of tricky patterns, patterns that `check_pattern` rejects (git must
//! never match them either), a seeded pseudo-random generator of pattern sets and paths, and
//! `core.ignorecase`.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};

use pycache_policy::policy::matcher::{CacheVerdict, Matcher, check_pattern};
use pycache_policy::policy::{Origin, Policy};

/// A scratch repository whose root `.gitignore` is rewritten for each case.
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repo { dir };
        let out = repo.git(false).args(["init", "-q", "."]).output().unwrap();
        assert!(out.status.success(), "git init: {out:?}");
        repo
    }

    fn git(&self, ignore_case: bool) -> Command {
        let mut cmd = Command::new("git");
        cmd.current_dir(self.dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_CEILING_DIRECTORIES")
            .env_remove("GIT_LITERAL_PATHSPECS")
            .env_remove("GIT_GLOB_PATHSPECS")
            .env_remove("GIT_NOGLOB_PATHSPECS")
            .env_remove("GIT_ICASE_PATHSPECS");
        cmd.args(["-c", &format!("core.ignorecase={ignore_case}")]);
        cmd
    }

    /// For each path, the (0-based) index of the pattern that makes git ignore it, if any.
    fn ignored(
        &self,
        patterns: &[String],
        paths: &[String],
        ignore_case: bool,
    ) -> Vec<Option<usize>> {
        let mut text = String::new();
        for p in patterns {
            assert!(!p.contains(['\n', '\r', '\0']), "pattern {p:?} spans lines");
            text.push_str(p);
            text.push('\n');
        }
        std::fs::write(self.dir.path().join(".gitignore"), text).unwrap();
        let mut child = self
            .git(ignore_case)
            .args([
                "check-ignore",
                "--no-index",
                "--stdin",
                "-z",
                "--verbose",
                "--non-matching",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = Vec::new();
        for p in paths {
            input.extend_from_slice(p.as_bytes());
            input.push(0);
        }
        // The list is small enough for the pipe; git reads it all before it answers.
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap().unwrap();
        // 0: some path is ignored, 1: none is.
        assert!(
            matches!(out.status.code(), Some(0 | 1)) && out.stderr.is_empty(),
            "git check-ignore failed for patterns {patterns:?}: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        // --verbose --non-matching -z: four NUL-terminated fields per path, in input order:
        // source, line number, pattern (with `!` when negated), path.
        let stdout = String::from_utf8(out.stdout).unwrap();
        let fields: Vec<&str> = stdout.split('\0').collect();
        assert_eq!(
            fields.len(),
            paths.len() * 4 + 1,
            "unexpected check-ignore output for {paths:?}: {stdout:?}"
        );
        paths
            .iter()
            .zip(fields.chunks(4))
            .map(|(path, rec)| {
                assert_eq!(
                    rec[3], path,
                    "check-ignore answered out of order: {stdout:?}"
                );
                if rec[2].is_empty() || rec[2].starts_with('!') {
                    None
                } else {
                    let line: usize = rec[1].parse().unwrap();
                    assert!(rec[0].ends_with(".gitignore"), "{rec:?}");
                    Some(line - 1)
                }
            })
            .collect()
    }
}

fn policy(forbid: &[String]) -> Policy {
    Policy {
        origin: Origin::Defaults,
        forbid: forbid.to_vec(),
        allow: vec![],
    }
}

/// Compares git and the matcher on every path: one line per disagreement, and how many paths
/// git ignores.
fn compare(
    repo: &Repo,
    patterns: &[String],
    paths: &[String],
    ignore_case: bool,
) -> (Vec<String>, usize) {
    let matcher = match Matcher::new(&policy(patterns), ignore_case) {
        Ok(m) => m,
        Err(e) => {
            return (
                vec![format!("patterns {patterns:?}: Matcher::new failed: {e}")],
                0,
            );
        }
    };
    let git = repo.ignored(patterns, paths, ignore_case);
    let ignored = git.iter().filter(|g| g.is_some()).count();
    let mut problems = Vec::new();
    for (path, git) in paths.iter().zip(git) {
        let ours = matcher.verdict(path.as_bytes());
        let ours_pattern = match ours {
            CacheVerdict::Forbidden { pattern, .. } => Some(pattern),
            CacheVerdict::NotCache => None,
            CacheVerdict::Allowed { .. } => unreachable!("no allow entries"),
        };
        let git_pattern = git.map(|i| patterns[i].as_str());
        if ours_pattern != git_pattern {
            let says = |p: Option<&str>| match p {
                Some(p) => format!("ignored by {p:?}"),
                None => "not ignored".to_string(),
            };
            problems.push(format!(
                "patterns {patterns:?} (ignorecase={ignore_case}), path {path:?}: git: {}, ours: {} \
                 ({:?}, candidate={})",
                says(git_pattern),
                says(ours_pattern),
                ours,
                matcher.is_candidate(path.as_bytes()),
            ));
        }
    }
    (problems, ignored)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn assert_no_problems(what: &str, problems: &[String]) {
    if problems.is_empty() {
        return;
    }
    let mut msg = format!("{what}: {} disagreement(s) with git:\n", problems.len());
    for p in problems.iter().take(60) {
        writeln!(msg, "  {p}").unwrap();
    }
    if problems.len() > 60 {
        writeln!(msg, "  ... and {} more", problems.len() - 60).unwrap();
    }
    panic!("{msg}");
}

/// Paths every hand-written case is also judged on.
const COMMON_PATHS: &[&str] = &[
    "x.pyc",
    "x.pyo",
    "x.pyd",
    "x.py",
    "a/x.pyc",
    "a/b/x.pyc",
    "__pycache__/x.cpython-312.pyc",
    "a/__pycache__/x.cpython-312.pyc",
    "a/b/c/d/__pycache__/e/x.txt",
    "__pycache__",
    "a",
    "b",
    "a/b",
    "a/b/c",
    "ab",
    "axb",
    "x/a",
    "x/ab",
    "x/ab/c.pyc",
    "x/a/b",
    "x/axb",
    "build/x.pyc",
    "build/keep/x.pyc",
    "keep.pyc",
    "a/keep.pyc",
];

/// One hand-written case: patterns, extra paths, ignorecase.
type Case = (&'static [&'static str], &'static [&'static str], bool);

const TABLE: &[Case] = &[
    // `__pycache__/` at any depth, only as a folder.
    (
        &["__pycache__/"],
        &[
            "a/b/c/__pycache__/x.pyc",
            "a/__pycache__x/y.pyc",
            "x__pycache__/y",
            "a/__pycache__",
            "__pycache__/__pycache__/x",
        ],
        false,
    ),
    (
        &["__pycache__"],
        &["a/__pycache__", "a/__pycache__/b/c"],
        false,
    ),
    (&["/__pycache__/"], &["a/__pycache__/x"], false),
    (
        &["a/__pycache__/"],
        &["a/__pycache__/x", "b/a/__pycache__/x"],
        false,
    ),
    // The defaults and the common template.
    (
        &["__pycache__/", "*.py[co]", "*$py.class"],
        &[
            "Foo$py.class",
            "a/Foo$py.class",
            "Foo.class",
            "$py.class",
            "a/x.pyd",
        ],
        false,
    ),
    (
        &["*.py[cod]"],
        &["x.pyz", "a/x.pyd", ".pyc", "a/.pyd"],
        false,
    ),
    (&["*.py[co]"], &["x.pyco", "x.pyc.txt"], false),
    (&["*$py.class"], &["a$py.class/b", "a$pyxclass"], false),
    // Negations.
    (&["*.pyc", "!keep.pyc"], &["b/keep.pyc"], false),
    (
        &["__pycache__/", "!keep.pyc"],
        &["a/__pycache__/keep.pyc"],
        false,
    ),
    (&["build/", "!build/keep/"], &["build/keep/y/x.pyc"], false),
    (
        &["build/*", "!build/keep/"],
        &["build/other/x.pyc", "build/x"],
        false,
    ),
    (&["*", "!*/", "!*.py"], &["a/b/x.py", "a/b/x.txt"], false),
    (&["/*", "!/a"], &["a/x.pyc", "b/x.pyc"], false),
    (&["a/", "!a/b.pyc"], &["a/b.pyc"], false),
    (&["*.pyc", "!a/"], &["a/x.pyc"], false),
    (&["*.pyc", "!a"], &["a/x.pyc"], false),
    (&["!x.pyc", "*.pyc"], &[], false),
    (&["*.pyc", "!x.pyc", "x.pyc"], &[], false),
    (&["*.pyc", "!*.pyc"], &[], false),
    (&["a", "!a/b"], &["a/b"], false),
    (&["a/**", "!a/b/"], &["a/b/c"], false),
    (&["a/**", "!a/**/"], &["a/b/c", "a/b/c/d.pyc"], false),
    // Anchored patterns.
    (&["/x.pyc"], &["sub/x.pyc"], false),
    (&["a/*.pyc"], &["a/b/c.pyc", "b/a/x.pyc"], false),
    (
        &["a/**/b.pyc"],
        &["a/b.pyc", "a/x/b.pyc", "a/x/y/b.pyc", "ab.pyc", "c/a/b.pyc"],
        false,
    ),
    (&["**/foo"], &["foo", "a/foo", "a/b/foo/c", "afoo"], false),
    (
        &["**/foo/bar"],
        &["foo/bar", "a/foo/bar", "foo/x/bar"],
        false,
    ),
    (&["foo/**"], &["foo", "foo/a", "foo/a/b", "a/foo/b"], false),
    (&["**"], &["x", ".hidden"], false),
    (&["/**"], &["x"], false),
    (&["**/"], &["x", "a/x"], false),
    (&["a/**/"], &["a/x", "a/b/x"], false),
    (&["a/**/**/b"], &["a/b", "a/x/b", "a/x/y/b"], false),
    (&["**/**/b"], &["b", "a/b"], false),
    (&["./x.pyc"], &[], false),
    (&["./a/"], &["a/x"], false),
    // `**` that is not a whole component.
    (&["a**b"], &["a/b", "a/x/b"], false),
    (&["x/a**"], &["x/a", "x/ab/c", "x/b"], false),
    (
        &["x/a**/b"],
        &["x/ab", "x/a/b", "x/az/y/b", "x/azb", "x/a/z/b"],
        false,
    ),
    (&["a**/b"], &["ab", "a/b", "ax/b", "ax/y/b", "axb"], false),
    (&["x/a***/b"], &["x/ab", "x/a/b"], false),
    (&["**a"], &["a", "ba", "b/a", "b/ba"], false),
    (&["a/**b"], &["a/b", "a/xb", "a/x/b"], false),
    (&["a/b**"], &["a/b", "a/bc", "a/b/c"], false),
    (
        &["*.pyc", "!x/a**"],
        &["x/ab/c.pyc", "x/a.pyc", "x/a/b.pyc"],
        false,
    ),
    (
        &["b**/**", "x/c**/d/**"],
        &["b", "bc", "b/c", "ba/b/c", "x/c/d/e", "x/cd/e/f", "x/c/e"],
        false,
    ),
    (&["x/a**/**/b"], &["x/ab", "x/a/b", "x/ac/d/b"], false),
    (&["x/a**/", "!x/ab/"], &["x/ab/c", "x/ac/d"], false),
    (&["a/**/b**"], &["a/b", "a/bc/d", "a/x/bc/d"], false),
    (&["a?/**"], &["ab/c", "a/b"], false),
    (
        &["a[b]**", "x/a[b]**"],
        &["ab", "ab/c", "abc/d", "x/ab/c", "x/abc/d"],
        false,
    ),
    (&["x/a\\b**"], &["x/ab", "x/ab/c"], false),
    (&["**\\/b"], &["b", "x/b", "x/y/b"], false),
    (&["a/**\\/b"], &["a/b", "a/x/b", "a/x/y/b"], false),
    (
        &["x/a**\\/b"],
        &["x/a/b", "x/ac/b", "x/ac/d/b", "x/ab"],
        false,
    ),
    // Braces are literal.
    (&["*.{pyc,pyo}"], &["a.{pyc,pyo}", "a.pyc"], false),
    (&["{a,b}.pyc"], &["{a,b}.pyc", "a.pyc"], false),
    (
        &["a{b", "c}d", "e,f"],
        &["a{b", "c}d", "e,f", "x/a{b"],
        false,
    ),
    (&["{**}"], &["{x}", "{}"], false),
    // Escapes and spaces.
    (&["\\!x"], &["!x", "x"], false),
    (&["\\#x"], &["#x", "a/#x"], false),
    (&["!\\!x", "*"], &["!x", "y"], false),
    (&["x\\ "], &["x ", "x"], false),
    (&["x  "], &["x", "x "], false),
    (&["x \\ "], &["x  ", "x "], false),
    (&["x\\  "], &["x ", "x  "], false),
    (&["\\*.pyc"], &["*.pyc", "a.pyc"], false),
    (&["\\?x"], &["?x", "ax"], false),
    (&["\\[ab]"], &["[ab]", "a"], false),
    (&["\\\\x"], &["\\x"], false),
    (&["a\\/b"], &["a/b", "c/a/b"], false),
    (&["a\\\\/"], &["a\\/x", "a\\"], false),
    (&["\\a\\b"], &["ab"], false),
    (&["x\t"], &["x\t", "x"], false),
    (&["a b"], &["a b", "c/a b/d"], false),
    // Character classes.
    (&["[!a]x"], &["bx", "a/bx"], false),
    (&["[^a]x"], &["bx"], false),
    (&["[]]x"], &["]x"], false),
    (&["[]a]x"], &["]x"], false),
    (&["[!]]x"], &["]x"], false),
    (&["[a-c]x"], &["cx", "dx"], false),
    (&["[a-]x"], &["-x", "bx"], false),
    (&["[-a]x"], &["-x", "bx"], false),
    (&["[]-a]x"], &["]x", "^x", "bx"], false),
    (&["[\\]]x"], &["]x", "\\x", "\\]x"], false),
    (&["[\\]a]x"], &["]x", "\\x"], false),
    (&["[a\\-c]x"], &["-x", "bx", "cx"], false),
    (&["[\\a-c]x"], &["bx"], false),
    (&["[a-\\c]x"], &["bx"], false),
    (&["[a-c-e]x"], &["-x", "dx", "ex"], false),
    // git tests the low end of a range as a member before it sees the `-`.
    (&["[z-a]x"], &["zx", "ax", "yx"], false),
    (&["[[:]x]"], &["[x]", "a/:x]", "x]"], false),
    (
        &["[[:cntrl:]]x", "[[:space:]]y", "[[:punct:]]z"],
        &["\tx", "\ty", " y", "!z", "az"],
        false,
    ),
    (
        &["[\\!^]x", "[!!]y"],
        &["!x", "^x", "ax", "!y", "ay"],
        false,
    ),
    (&["[!-]x", "[!]-]y"], &["-x", "ax", "]y", "-y", "ay"], false),
    (&["[[:alpha:]]x"], &["bx", "Bx", "1x"], false),
    (&["[[:digit:]].pyc"], &["1.pyc"], false),
    (&["[[:alpha]x"], &["[x", "a/:x", "bx"], false),
    (&["[[:alpha:]-z]x"], &["-x", "zx", "1x"], false),
    (&["[a[:digit:]]x"], &["1x"], false),
    (&["[![:digit:]]x"], &["1x", "bx"], false),
    (&["[[]x"], &["[x"], false),
    (&["[{]x", "[,]y"], &["{x", ",y"], false),
    (&["[*]x", "[?]y"], &["*x", "bx", "?y"], false),
    (&["a[/]b"], &["a/b"], false),
    (&["a[!b]c"], &["a/c", "axc"], false),
    (&["x/[!a]"], &["x/b", "x/a"], false),
    (&["[ab][!a]"], &["ab", "bb", "aa"], false),
    (&["[!ab]"], &["a", "c"], false),
    (&["?.pyc"], &["é.pyc", "ab.pyc"], false),
    // `?`.
    (&["a?b"], &["a/b", "axb"], false),
    (&["?"], &["a/b/c"], false),
    (&["a/?"], &["a/b/c"], false),
    // A trailing `/` on a path that is a file.
    (&["x.pyc/"], &["x.pyc/y", "a/x.pyc/y"], false),
    (&["a/b/"], &["a/b/c", "x/a/b/c"], false),
    // Deep paths.
    (
        &["a/**/b/**/c.pyc"],
        &[
            "a/b/c.pyc",
            "a/1/2/b/3/4/c.pyc",
            "a/b/b/c.pyc",
            "x/a/b/c.pyc",
        ],
        false,
    ),
    (
        &["**/__pycache__/**/*.pyc"],
        &[
            "1/2/3/4/5/6/7/8/9/__pycache__/a/b/c/x.pyc",
            "__pycache__/x.pyc",
        ],
        false,
    ),
    // Non-ASCII.
    (&["é.pyc"], &["é.pyc", "a/é.pyc"], false),
    (&["*é"], &["aé", "é"], false),
    // core.ignorecase.
    (
        &["__pycache__/", "*.py[co]", "*$py.class"],
        &[
            "A/__PYCACHE__/x.txt",
            "__PyCache__/x",
            "X.PYC",
            "x.PyO",
            "F$PY.CLASS",
            "X.PYD",
        ],
        true,
    ),
    (&["*.PYC"], &["X.pyc", "X.PYC", "x.pYc"], true),
    (&["[A]x", "[b]y"], &["Ax", "ax", "By", "by"], true),
    (&["[!A]x"], &["Ax", "ax", "bx"], true),
    (&["[A-C]x", "[a-c]y"], &["Ax", "ax", "Dx", "Ay", "ay"], true),
    (
        &["[[:upper:]]x", "[[:lower:]]y"],
        &["Ax", "ax", "Ay", "ay"],
        true,
    ),
    (&["[!a]x", "[^B]y"], &["Ax", "ax", "By", "by", "cy"], true),
    (&["X/**/Y"], &["x/y", "x/A/y", "X/a/Y"], true),
    (&["*", "!KEEP.pyc"], &["keep.PYC", "Keep.pyc"], true),
    (&["Build/", "!build/keep/"], &["BUILD/keep/x"], true),
    (&["x/A**"], &["X/ab/c", "x/Ab"], true),
    (&["É.pyc"], &["é.pyc", "É.pyc"], true),
    (
        &["k.pyc", "s.pyc"],
        &["\u{212a}.pyc", "\u{17f}.pyc", "K.PYC"],
        true,
    ),
];

#[test]
fn table_of_tricky_patterns() {
    let repo = Repo::new();
    let mut problems = Vec::new();
    for (patterns, extra, ignore_case) in TABLE {
        let patterns = strings(patterns);
        for p in &patterns {
            check_pattern(p).unwrap_or_else(|e| panic!("table pattern {p:?} rejected: {e}"));
        }
        let mut paths = strings(COMMON_PATHS);
        for p in extra.iter() {
            if !paths.iter().any(|q| q == p) {
                paths.push(p.to_string());
            }
        }
        problems.extend(compare(&repo, &patterns, &paths, *ignore_case).0);
    }
    assert_no_problems("hand-written table", &problems);
}

/// Patterns `check_pattern` rejects because git never matches them: it must reject them, and
/// git must indeed match nothing with them.
#[test]
fn rejected_patterns_never_match_in_git() {
    const NEVER: &[(&str, &[&str])] = &[
        ("#x", &["#x"]),
        ("!", &["x"]),
        ("/", &["x"]),
        ("!/", &["x"]),
        ("//", &["x"]),
        ("//x", &["x"]),
        ("a//b", &["a/b"]),
        ("x//", &["x/y"]),
        ("**//", &["x/y"]),
        ("a/**//b", &["a/b", "a/x/b"]),
        ("\\/x", &["x"]),
        ("   ", &["x"]),
        ("[abc", &["a", "[abc"]),
        ("a[", &["a["]),
        ("a[\\", &["a[\\"]),
        ("x\\", &["x", "x\\"]),
        ("x\\/", &["x/y", "x\\/y"]),
        ("*.pyc\\", &["a.pyc", "a.pyc\\"]),
        ("[[:foo:]]x", &["fx", "x", ":x"]),
    ];
    let repo = Repo::new();
    let mut problems = Vec::new();
    for (pattern, paths) in NEVER {
        if check_pattern(pattern).is_ok() {
            problems.push(format!("check_pattern accepts {pattern:?}"));
        }
        let mut all = strings(COMMON_PATHS);
        all.extend(strings(paths));
        let git = repo.ignored(&strings(&[pattern]), &all, false);
        for (path, g) in all.iter().zip(git) {
            if g.is_some() {
                problems.push(format!(
                    "git ignores {path:?} with rejected pattern {pattern:?}"
                ));
            }
        }
    }
    assert_no_problems("rejected patterns", &problems);
}

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

struct Alphabet {
    tokens: &'static [&'static str],
    components: &'static [&'static str],
}

const LOWER: Alphabet = Alphabet {
    tokens: &[
        "a",
        "b",
        "ab",
        "__pycache__",
        ".pyc",
        "*",
        "**",
        "?",
        "/",
        "/",
        "[ab]",
        "[!a]",
        "x",
    ],
    components: &["a", "b", "ab", "__pycache__", "x.pyc", "x.py", "x.pyd"],
};

/// Escapes, ranges, braces, spaces and odd classes, on top of the basic tokens.
const EXTENDED: Alphabet = Alphabet {
    tokens: &[
        "a",
        "b",
        ".pyc",
        "*",
        "**",
        "?",
        "/",
        "/",
        "[ab]",
        "[!a]",
        "\\/",
        "\\*",
        "\\a",
        "[a-b]",
        "[]a]",
        "[!]a]",
        "[\\]a]",
        "[[:alpha:]]",
        "[b-a]",
        "{a,b}",
        ",",
        " ",
        "\\ ",
        "-",
        "]",
    ],
    components: &[
        "a", "b", "ab", "x.pyc", "{a,b}", "a b", "]", "-", ",", "a ", "*",
    ],
};

const MIXED_CASE: Alphabet = Alphabet {
    tokens: &[
        "a",
        "B",
        "Ab",
        "__PyCache__",
        ".PYC",
        "*",
        "**",
        "?",
        "/",
        "[aB]",
        "[!A]",
        "[A-B]",
        "x",
    ],
    components: &[
        "a",
        "A",
        "b",
        "AB",
        "__pycache__",
        "__PYCACHE__",
        "x.pyc",
        "X.Pyc",
    ],
};

/// A pattern made of 1 to 5 tokens, sometimes negated.
fn gen_pattern(rng: &mut Rng, alphabet: &Alphabet) -> String {
    let mut p = String::new();
    if rng.chance(25) {
        p.push('!');
    }
    for _ in 0..1 + rng.below(5) {
        p.push_str(rng.pick(alphabet.tokens));
    }
    p
}

/// A path that a pattern is likely to match: its tokens instantiated.
fn instantiate(rng: &mut Rng, pattern: &str, alphabet: &Alphabet) -> Option<String> {
    let mut body = pattern.trim_start_matches('!').to_string();
    for (token, choices) in [
        ("**", &["", "a", "a/b", "ab"][..]),
        ("*", &["", "a", "x.py"][..]),
        ("?", &["a", "b"][..]),
        ("[ab]", &["a", "b"][..]),
        ("[!a]", &["b", "x"][..]),
        ("[aB]", &["a", "B", "b"][..]),
        ("[!A]", &["b", "a"][..]),
        ("[A-B]", &["A", "b"][..]),
    ] {
        while let Some(at) = body.find(token) {
            body.replace_range(at..at + token.len(), rng.pick(choices));
        }
    }
    let mut path = body.trim_start_matches('/').to_string();
    if path.ends_with('/') || rng.chance(30) {
        path = format!(
            "{}/{}",
            path.trim_end_matches('/'),
            rng.pick(alphabet.components)
        );
    }
    let valid = !path.is_empty() && path.split('/').all(|c| !c.is_empty());
    valid.then_some(path)
}

fn gen_path(rng: &mut Rng, alphabet: &Alphabet) -> String {
    let depth = 1 + rng.below(4);
    (0..depth)
        .map(|_| rng.pick(alphabet.components))
        .collect::<Vec<_>>()
        .join("/")
}

fn run_generated(seed: u64, cases: usize, alphabet: &Alphabet, ignore_case: bool) {
    let repo = Repo::new();
    let mut rng = Rng(seed);
    let mut problems = Vec::new();
    let (mut skipped, mut compared, mut ignored_by_git) = (0, 0, 0);
    let mut skip_reasons = std::collections::BTreeMap::new();
    for _ in 0..cases {
        let mut patterns = Vec::new();
        for _ in 0..1 + rng.below(4) {
            let p = gen_pattern(&mut rng, alphabet);
            match check_pattern(&p) {
                Ok(()) => patterns.push(p),
                Err(why) => {
                    skipped += 1;
                    // The reason, without the pattern it names.
                    let why = why.replacen(&format!("`{p}`"), "`…`", 1);
                    *skip_reasons.entry(why).or_insert(0) += 1;
                }
            }
        }
        if patterns.is_empty() {
            continue;
        }
        let mut seen = HashSet::new();
        let mut paths = Vec::new();
        for p in &patterns {
            for _ in 0..4 {
                if let Some(path) = instantiate(&mut rng, p, alphabet)
                    && seen.insert(path.clone())
                {
                    paths.push(path);
                }
            }
        }
        for _ in 0..24 {
            let path = gen_path(&mut rng, alphabet);
            if seen.insert(path.clone()) {
                paths.push(path);
            }
        }
        compared += paths.len();
        let (found, ignored) = compare(&repo, &patterns, &paths, ignore_case);
        ignored_by_git += ignored;
        problems.extend(found);
    }
    println!(
        "seed {seed:#x}: {cases} pattern sets, {compared} paths compared, {ignored_by_git} ignored \
         by git; skipped {skipped} generated pattern(s) that check_pattern rejects: {skip_reasons:?}"
    );
    assert!(
        ignored_by_git * 10 > compared,
        "too few hits to be meaningful"
    );
    assert_no_problems(&format!("generated cases (seed {seed:#x})"), &problems);
}

/// `MATCHER_VS_GIT_SEED` and `MATCHER_VS_GIT_CASES` override the seed and multiply the number
/// of cases, for a longer hunt than the default run.
fn seed_and_cases(seed: u64, cases: usize) -> (u64, usize) {
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    (
        env("MATCHER_VS_GIT_SEED").map_or(seed, |s| s ^ seed),
        cases * env("MATCHER_VS_GIT_CASES").map_or(1, |n| n as usize),
    )
}

#[test]
fn generated_patterns() {
    let (seed, cases) = seed_and_cases(0x9e37_79b9_7f4a_7c15, 500);
    run_generated(seed, cases, &LOWER, false);
}

#[test]
fn generated_patterns_extended_alphabet() {
    let (seed, cases) = seed_and_cases(0x2545_f491_4f6c_dd1d, 200);
    run_generated(seed, cases, &EXTENDED, false);
}

#[test]
fn generated_patterns_ignorecase() {
    let (seed, cases) = seed_and_cases(0xd1b5_4a32_d192_ed03, 150);
    run_generated(seed, cases, &MIXED_CASE, true);
}
