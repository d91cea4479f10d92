//! git's patterns, read the way git reads a `.gitignore` line (`dir.c`, `wildmatch.c`) and
//! rewritten into a glob that the `ignore` crate (globset) reads the same way:
//!
//! - A path is forbidden when one of its parent folders is forbidden, checked from the top down,
//!   and a negated pattern cannot re-include anything below a forbidden folder (gitignore(5)).
//!   `ignore`'s `matched_path_or_any_parents` checks bottom up and lets `!` re-include a file
//!   inside an excluded folder, so we walk the parents ourselves.
//! - A pattern without a slash (other than a trailing one) is matched against the last path
//!   component at any depth; with one, against the whole path. The leading `!` of a negation is
//!   not part of the pattern (`!**/x` is a negated `**/x`), `\!` and `\#` are literal, trailing
//!   spaces are dropped unless escaped (`x\ ` keeps one), tabs are kept.
//! - `{a,b}` is literal in git and alternation in globset: braces are escaped.
//! - A run of `*` is git's `**` (it crosses `/`) only in a pattern with a slash, when it is
//!   followed by `/`, `\/` or the end, and either starts the pattern, follows a `/`, or directly
//!   follows the pattern's leading literal text: git compares that text before it calls
//!   wildmatch, so `x/a**/b` matches `x/ab`, `x/a/b` and `x/ac/d/b`, and `x/a**` everything
//!   below `x/a…`. `**\/` matches one folder or more. Anywhere else it is an ordinary `*`.
//! - Character classes follow wildmatch, not globset: `\` escapes inside them, `[!…]` and `[^…]`
//!   negate, a `]` right after the `[` is a member, `[z-a]` holds only `z` (git tests the first
//!   end of a range as a member too), `[[:alpha:]]`-style classes work. Each class is evaluated
//!   into the set of bytes it matches and written out member by member.
//! - `core.ignorecase` folds ASCII case the way wildmatch does, quirks included: the path byte is
//!   lower-cased but a class member is not, so under ignorecase `[A]` matches nothing and `[!A]`
//!   matches `a` and `A`, while ranges and `[:upper:]` do fold. globset's case-insensitive mode
//!   would fold the members too, so the folding is done here instead (`a` becomes `[aA]`).
//!
//! What git never matches is refused with a reason ([`GitPattern::parse`]): empty patterns (a
//! comment, a bare `!` or `/`), an unclosed `[`, a trailing lone `\\` (also `x\\/`), an unknown
//! `[:class:]`, an empty path component; and what the `ignore` crate cannot reproduce, rather than
//! disagree with git: a non-ASCII character inside `[…]`, and a line break or NUL.

use crate::util::bytes::trim_trailing_spaces;

/// Why a pattern is refused because it matches nothing at all.
pub(crate) const MATCHES_NOTHING: &str = "matches nothing in gitignore syntax (empty, a comment, or a bare \
                               `!`/`/`)";
pub(crate) const UNCLOSED_CLASS: &str = "unclosed `[`: git never matches it";
pub(crate) const TRAILING_BACKSLASH: &str = "it ends with a lone `\\` (before any trailing `/`): git never \
                                  matches it";
pub(crate) const UNKNOWN_POSIX_CLASS: &str = "unknown `[:class:]` (known: alnum, alpha, blank, cntrl, digit, \
                                   graph, lower, print, punct, space, upper, xdigit): git never \
                                   matches it";
pub(crate) const NON_ASCII_CLASS: &str = "a non-ASCII character inside `[...]` is not supported (git \
                               compares such a class byte by byte)";
pub(crate) const EMPTY_COMPONENT: &str = "it has an empty path component (`//`, or a `/` before the folder \
                               marker): git never matches it";
pub(crate) const LINE_BREAK: &str =
    "it contains a line break or NUL, which a .gitignore line cannot hold";

/// One forbid pattern, read the way git reads a line of a `.gitignore` file.
#[derive(Debug)]
pub(crate) struct GitPattern {
    /// `!pattern`: re-includes what it matches.
    pub(crate) negated: bool,
    /// `pattern/`: matches folders only.
    pub(crate) dir_only: bool,
    /// The pattern has a slash (other than a trailing one): it is matched against the whole
    /// path. Otherwise against the last component, at any depth.
    pub(crate) anchored: bool,
    pub(crate) tokens: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token {
    /// A byte matched as it is (or, under ignorecase, in either ASCII case).
    Literal(u8),
    /// `?`: any one byte but `/`.
    AnyByte,
    /// `*`, or a `**` that git reads as `*`: any run of bytes without `/`.
    Star,
    /// A `**` that matches any run of bytes, `/` included.
    Globstar {
        /// It directly follows the pattern's leading literal text (which does not end in `/`).
        after_prefix: bool,
        then: AfterGlobstar,
    },
    /// `[...]`, evaluated.
    Class(Class),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AfterGlobstar {
    /// The pattern ends with the `**`.
    End,
    /// `**/`: git also tries the rest of the pattern with the `**/` left out.
    Slash,
    /// `**\/`: no such shortcut, the `**` must reach a `/`.
    EscapedSlash,
}

/// The bytes a `[...]` class matches; never `/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Class {
    /// Bit `b` is set when the ASCII byte `b` matches.
    pub(crate) ascii: u128,
    /// Whether bytes 0x80-0xff match (they do exactly when the class is negated).
    pub(crate) non_ascii: bool,
}

impl GitPattern {
    /// Reads `pattern` as git reads it from a `.gitignore` line; `ignore_case` is
    /// `core.ignorecase`, which changes what a class matches.
    pub(crate) fn parse(pattern: &str, ignore_case: bool) -> Result<GitPattern, &'static str> {
        let line = pattern.as_bytes();
        if line.iter().any(|&b| matches!(b, b'\n' | b'\r' | 0)) {
            return Err(LINE_BREAK);
        }
        if line.first() == Some(&b'#') {
            return Err(MATCHES_NOTHING);
        }
        let mut body = trim_trailing_spaces(line);
        let negated = body.first() == Some(&b'!');
        if negated {
            body = &body[1..];
        }
        let dir_only = body.last() == Some(&b'/');
        if dir_only {
            body = &body[..body.len() - 1];
        }
        let anchored = body.contains(&b'/');
        if anchored && body[0] == b'/' {
            body = &body[1..];
        }
        if body.is_empty() {
            return Err(MATCHES_NOTHING);
        }
        let tokens = tokenize(body, anchored, ignore_case)?;
        // Paths have no empty component. (globset would also misread a glob ending in `/`.)
        let slash = |t: &Token| *t == Token::Literal(b'/');
        if tokens.first().is_some_and(slash)
            || tokens.last().is_some_and(slash)
            || tokens.windows(2).any(|w| slash(&w[0]) && slash(&w[1]))
        {
            return Err(EMPTY_COMPONENT);
        }
        Ok(GitPattern {
            negated,
            dir_only,
            anchored,
            tokens,
        })
    }

    /// The line to give `ignore`'s `GitignoreBuilder::add_line` (which must not fold case
    /// itself): the negation, the glob, the folder marker, and where `ignore` would misread the
    /// glob, an explicit anchor (`/` for a pattern with a slash, `**/` for one without).
    pub(crate) fn line(&self, ignore_case: bool) -> String {
        let glob = self.glob(ignore_case);
        let mut line = String::new();
        if self.negated {
            line.push('!');
        }
        let anchor = match self.anchored {
            // `ignore` anchors a line with a slash in it, after stripping one leading `/`.
            true if !glob.contains('/') || glob.starts_with('/') => "/",
            // Without a slash, `ignore` adds the `**/`; with one (only the `[/]` of a class that
            // matches nothing), we do.
            false if glob.contains('/') => "**/",
            // `ignore` drops the `\` of a leading `\!` or `\#` and reads the rest literally.
            _ if glob.starts_with(['!', '#']) => "\\",
            _ => "",
        };
        line.push_str(anchor);
        line.push_str(&glob);
        if self.dir_only {
            line.push('/');
        }
        line
    }

    /// The pattern as a globset glob (compiled with `literal_separator` and `backslash_escape`,
    /// as `ignore` does) that matches what git's wildmatch matches.
    pub(crate) fn glob(&self, ignore_case: bool) -> String {
        let mut g = Glob::default();
        for token in &self.tokens {
            match *token {
                Token::Literal(b) => g.literal(b, ignore_case),
                Token::AnyByte => g.out.push(b'?'),
                Token::Star => g.out.push(b'*'),
                Token::Class(class) => g.class(class),
                Token::Globstar { after_prefix, then } => match (after_prefix, then) {
                    // `**/` and a trailing `/**` mean the same to globset, except that inside
                    // `{...}` it drops a trailing `/**`: write what `ignore` makes of one.
                    (false, AfterGlobstar::End) if g.in_braces => g.out.extend_from_slice(b"**/*"),
                    (false, AfterGlobstar::Slash | AfterGlobstar::End) => {
                        g.out.extend_from_slice(b"**")
                    }
                    // At least one whole component before the `/` that follows: `*/**` then `/`.
                    // (After a literal prefix, `*` also allows the empty string: `x/a**\/b`
                    // matches `x/a/b`.)
                    (_, AfterGlobstar::EscapedSlash) => g.out.extend_from_slice(b"*/**"),
                    // `P**/R` is `PR` or `P`, anything, `/R`: globset reads `P{**/R}` as exactly
                    // that (a `**/` right after `{` matches nothing, `/`, or anything ending in
                    // `/`). The `}` closes after the last token.
                    (true, AfterGlobstar::Slash) => {
                        g.out.extend_from_slice(b"{**");
                        g.in_braces = true;
                    }
                    // `P**`: `P` then anything.
                    (true, AfterGlobstar::End) => g.out.extend_from_slice(b"{*,**/*}"),
                },
            }
        }
        if g.in_braces {
            g.out.push(b'}');
        }
        String::from_utf8(g.out).expect("literal bytes are copied in order from a str")
    }
}

/// Splits a pattern body (no `!`, no trailing `/`, no leading `/` when anchored) into tokens.
pub(crate) fn tokenize(
    body: &[u8],
    anchored: bool,
    ignore_case: bool,
) -> Result<Vec<Token>, &'static str> {
    // git compares the text before the first special character literally, then calls
    // wildmatch on the rest, where a `**` at the start counts as following a `/`.
    let first_special = body
        .iter()
        .position(|b| matches!(b, b'*' | b'?' | b'[' | b'\\'));
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'\\' => {
                let &c = body.get(i + 1).ok_or(TRAILING_BACKSLASH)?;
                tokens.push(Token::Literal(c));
                i += 2;
            }
            b'?' => {
                tokens.push(Token::AnyByte);
                i += 1;
            }
            b'[' => {
                let (class, end) = parse_class(body, i, ignore_case)?;
                tokens.push(Token::Class(class));
                i = end + 1;
            }
            b'*' => {
                let start = i;
                while body.get(i) == Some(&b'*') {
                    i += 1;
                }
                let after_slash = start > 0 && body[start - 1] == b'/';
                let after_prefix = !after_slash && first_special == Some(start);
                let then = match (body.get(i), body.get(i + 1)) {
                    (None, _) => Some(AfterGlobstar::End),
                    (Some(b'/'), _) => Some(AfterGlobstar::Slash),
                    (Some(b'\\'), Some(b'/')) => Some(AfterGlobstar::EscapedSlash),
                    _ => None,
                };
                // Without a slash the pattern is matched against one component, where `**`
                // cannot cross anything.
                let globstar = anchored && i - start >= 2 && (after_slash || after_prefix);
                tokens.push(match then {
                    Some(then) if globstar => Token::Globstar {
                        after_prefix: after_prefix && start > 0,
                        then,
                    },
                    _ => Token::Star,
                });
            }
            c => {
                tokens.push(Token::Literal(c));
                i += 1;
            }
        }
    }
    Ok(tokens)
}

/// One member of a `[...]` class, as wildmatch reads it.
enum Member {
    Byte(u8),
    Range(u8, u8),
    Posix(fn(u8, bool) -> bool),
}

/// Reads the class that opens at `body[open]` by wildmatch's rules; returns what it matches and
/// the index of its closing `]`.
pub(crate) fn parse_class(
    body: &[u8],
    open: usize,
    ignore_case: bool,
) -> Result<(Class, usize), &'static str> {
    let mut i = open + 1;
    let negated = matches!(body.get(i), Some(b'!' | b'^'));
    if negated {
        i += 1;
    }
    let mut members = Vec::new();
    // The previous member, which a following `-` makes the low end of a range; 0 after a range
    // or a `[:class:]`.
    let mut prev = 0u8;
    let end = loop {
        // A `]` right after `[`, `[!` or `[^` is a member: the first one is read before the
        // test for the end.
        let &c = body.get(i).ok_or(UNCLOSED_CLASS)?;
        if c == b'\\' {
            i += 1;
            let &e = body.get(i).ok_or(UNCLOSED_CLASS)?;
            members.push(Member::Byte(e));
            prev = e;
        } else if c == b'-' && prev != 0 && body.get(i + 1).is_some_and(|&n| n != b']') {
            i += 1;
            let mut hi = body[i];
            if hi == b'\\' {
                i += 1;
                hi = *body.get(i).ok_or(UNCLOSED_CLASS)?;
            }
            // The low end was already tested as a member, so `[z-a]` matches `z`.
            members.push(Member::Range(prev, hi));
            prev = 0;
        } else if c == b'[' && body.get(i + 1) == Some(&b':') {
            let from = i + 2;
            let close = body[from..]
                .iter()
                .position(|&b| b == b']')
                .map(|k| from + k)
                .ok_or(UNCLOSED_CLASS)?;
            if close > from && body[close - 1] == b':' {
                let test = posix_class(&body[from..close - 1]).ok_or(UNKNOWN_POSIX_CLASS)?;
                members.push(Member::Posix(test));
                i = close;
                prev = 0;
            } else {
                // No `:]` before the next `]`: the `[` is an ordinary member.
                members.push(Member::Byte(b'['));
                prev = b'[';
            }
        } else {
            members.push(Member::Byte(c));
            prev = c;
        }
        i += 1;
        if body.get(i) == Some(&b']') {
            break i;
        }
    };
    if body[open..end].iter().any(|b| !b.is_ascii()) {
        return Err(NON_ASCII_CLASS);
    }
    let is_member = |t: u8| {
        members.iter().any(|m| match *m {
            Member::Byte(b) => t == b,
            Member::Range(lo, hi) => {
                (lo..=hi).contains(&t)
                    || (ignore_case
                        && t.is_ascii_lowercase()
                        && (lo..=hi).contains(&t.to_ascii_uppercase()))
            }
            Member::Posix(test) => test(t, ignore_case),
        })
    };
    let mut ascii = 0u128;
    for t in 0..128u8 {
        // wildmatch lower-cases the path byte, not the members.
        let folded = if ignore_case {
            t.to_ascii_lowercase()
        } else {
            t
        };
        if t != b'/' && is_member(folded) != negated {
            ascii |= 1 << t;
        }
    }
    Ok((
        Class {
            ascii,
            non_ascii: negated,
        },
        end,
    ))
}

/// wildmatch's `[:name:]` classes (ASCII, as in the C locale); the flag is ignorecase.
pub(crate) fn posix_class(name: &[u8]) -> Option<fn(u8, bool) -> bool> {
    Some(match name {
        b"alnum" => |t, _| t.is_ascii_alphanumeric(),
        b"alpha" => |t, _| t.is_ascii_alphabetic(),
        b"blank" => |t, _| t == b' ' || t == b'\t',
        b"cntrl" => |t, _| t.is_ascii_control(),
        b"digit" => |t, _| t.is_ascii_digit(),
        b"graph" => |t, _| t.is_ascii_graphic(),
        b"lower" => |t, _| t.is_ascii_lowercase(),
        b"print" => |t, _| t == b' ' || t.is_ascii_graphic(),
        b"punct" => |t, _| t.is_ascii_punctuation(),
        b"space" => |t, _| matches!(t, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'),
        b"upper" => |t, fold| t.is_ascii_uppercase() || (fold && t.is_ascii_lowercase()),
        b"xdigit" => |t, _| t.is_ascii_hexdigit(),
        _ => return None,
    })
}

impl Class {
    pub(crate) fn has(&self, b: u8) -> bool {
        b < 128 && self.ascii & (1 << b) != 0
    }
}

/// A glob being written for globset.
#[derive(Default)]
struct Glob {
    out: Vec<u8>,
    /// Inside the `{...}` of a `**` after a literal prefix, where `,` separates alternatives.
    in_braces: bool,
}

impl Glob {
    fn literal(&mut self, b: u8, ignore_case: bool) {
        match b {
            _ if ignore_case && b.is_ascii_alphabetic() => {
                self.out.extend_from_slice(&[
                    b'[',
                    b.to_ascii_lowercase(),
                    b.to_ascii_uppercase(),
                    b']',
                ]);
            }
            // `\` right before the folder marker would be dropped by `ignore` (and be a
            // dangling escape): a class says the same thing.
            b'\\' => self.out.extend_from_slice(b"[\\]"),
            b'*' | b'?' | b'[' | b']' | b'{' | b'}' | b' ' => {
                self.out.extend_from_slice(&[b'\\', b])
            }
            b',' if self.in_braces => self.out.extend_from_slice(b"\\,"),
            _ => self.out.push(b),
        }
    }

    fn class(&mut self, class: Class) {
        let listed: Vec<u8> = (0..128u8)
            .filter(|&b| b != b'/' && class.has(b) != class.non_ascii)
            .collect();
        if class.non_ascii {
            // Negated: list what it does not match; globset never lets it match `/`.
            if listed.is_empty() {
                self.out.push(b'?');
            } else {
                self.out.extend_from_slice(b"[!");
                self.members(listed, true);
                self.out.push(b']');
            }
            return;
        }
        match listed[..] {
            // Matches nothing: globset removes `/` from a class, which leaves it empty.
            [] => self.out.extend_from_slice(b"[/]"),
            [b] => self.literal(b, false),
            // `[!^]` and `[^!]` would be negated classes.
            [b'!', b'^'] => self.out.extend_from_slice(b"{!,^}"),
            _ => {
                self.out.push(b'[');
                self.members(listed, false);
                self.out.push(b']');
            }
        }
    }

    /// Writes class members so that globset reads each as itself: `]` first, `[` (which could
    /// start `[:name:]`) and `-` last, and never `!` or `^` first in a class that is not
    /// negated.
    fn members(&mut self, members: Vec<u8>, negated: bool) {
        let mut order: Vec<u8> = Vec::with_capacity(members.len());
        let has = |b: u8| members.contains(&b);
        if has(b']') {
            order.push(b']');
        }
        order.extend(
            members
                .iter()
                .filter(|b| !matches!(b, b']' | b'[' | b'-' | b'!' | b'^')),
        );
        order.extend(members.iter().filter(|b| matches!(b, b'!' | b'^')));
        if has(b'[') {
            order.push(b'[');
        }
        if has(b'-') {
            order.push(b'-');
        }
        if !negated && matches!(order[0], b'!' | b'^') {
            // `class` writes the set {`!`, `^`} as an alternation, so one of these is here.
            let at = order
                .iter()
                .position(|&b| b == b'[' || b == b'-')
                .expect("a class of only `!` and `^` is written as `{!,^}`");
            let b = order.remove(at);
            order.insert(0, b);
        }
        self.out.extend_from_slice(&order);
    }
}

/// Literal strings one of which any path matched by `pattern` (not negated) must contain, or
/// `None` when the pattern needs no literal text (such as `*`).
///
/// Small classes such as `[co]` are expanded, so `*.py[co]` needs `.pyc` or `.pyo` rather than
/// just `.py` (which every source file has). The prefilter folds case itself under ignorecase.
#[cfg(test)]
pub(crate) fn required_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    literals_of(&GitPattern::parse(pattern, false).ok()?.tokens)
}

pub(crate) fn literals_of(tokens: &[Token]) -> Option<Vec<Vec<u8>>> {
    const MAX_ALTERNATIVES: usize = 16;
    let mut best: Option<Vec<Vec<u8>>> = None;
    let mut current: Vec<Vec<u8>> = vec![Vec::new()];
    let trimmed = |s: &[u8]| -> usize {
        let start = s.iter().position(|&b| b != b'/').unwrap_or(s.len());
        let end = s.iter().rposition(|&b| b != b'/').map_or(start, |e| e + 1);
        end.saturating_sub(start)
    };
    let score = |alts: &[Vec<u8>]| alts.iter().map(|s| trimmed(s)).min().unwrap_or(0);
    // The best score is remembered, not recomputed at every wildcard: linear in the pattern.
    let mut best_score = 0;
    let mut flush = |current: &mut Vec<Vec<u8>>, best: &mut Option<Vec<Vec<u8>>>| {
        let now = score(current);
        if now > best_score {
            best_score = now;
            *best = Some(std::mem::replace(current, vec![Vec::new()]));
        } else {
            *current = vec![Vec::new()];
        }
    };
    for token in tokens {
        match token {
            Token::Literal(b) => current.iter_mut().for_each(|s| s.push(*b)),
            Token::Class(class) if !class.non_ascii => {
                let members: Vec<u8> = (0..128u8).filter(|&b| class.has(b)).collect();
                if !members.is_empty() && current.len() * members.len() <= MAX_ALTERNATIVES {
                    current = current
                        .iter()
                        .flat_map(|s| {
                            members.iter().map(move |&b| {
                                let mut s = s.clone();
                                s.push(b);
                                s
                            })
                        })
                        .collect();
                } else {
                    flush(&mut current, &mut best);
                }
            }
            _ => flush(&mut current, &mut best),
        }
    }
    flush(&mut current, &mut best);
    // Slashes at the edges are not required text: `**/foo` matches `foo` at the root, and
    // `a/**/b` matches `a/b`.
    best.map(|alts| {
        alts.into_iter()
            .map(|s| {
                let start = s.iter().position(|&b| b != b'/').unwrap_or(s.len());
                let end = s.iter().rposition(|&b| b != b'/').map_or(start, |e| e + 1);
                s[start..end].to_vec()
            })
            .collect()
    })
}

/// Rewrites a gitignore pattern into the line to give `ignore`'s `GitignoreBuilder::add_line` so
/// that it matches what git matches, case-sensitively; or says why git never matches it.
pub(crate) fn translate(pattern: &str) -> Result<String, &'static str> {
    translate_for(pattern, false)
}

/// [`translate`] for a repository with the given `core.ignorecase`: the line folds case itself,
/// the way wildmatch does, so the builder must stay case-sensitive.
pub(crate) fn translate_for(pattern: &str, ignore_case: bool) -> Result<String, &'static str> {
    Ok(GitPattern::parse(pattern, ignore_case)?.line(ignore_case))
}
