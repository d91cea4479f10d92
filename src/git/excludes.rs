//! What git ignores, and which file and line decided it: git's exclude rules evaluated the way
//! `git check-ignore --no-index -v` evaluates them.
//!
//! Rules come from, highest precedence first: the `.gitignore` of the path's own folder, then each
//! parent folder's up to the root, then `$GIT_COMMON_DIR/info/exclude`, then `core.excludesFile`
//! (default `$XDG_CONFIG_HOME/git/ignore`). Within one file the last matching line wins. A folder
//! is judged before anything in it, from the top down: once a folder is excluded, nothing below it
//! can be re-included, and git does not even read the `.gitignore` files inside it.
//!
//! Like git (since 2.32), a `.gitignore` inside the working tree that is a symbolic link is not
//! read. Lines are parsed as git parses them: a UTF-8 BOM is skipped, a `\r` before the newline is
//! dropped, trailing unescaped spaces are trimmed. Patterns are compiled with the same
//! git-compatible translation as the policy's (see `policy::matcher`).
//!
//! Not implemented: `.gitignore` files read from the index for paths outside a sparse checkout,
//! and `core.excludesFile` values that need more than `~` expansion.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use ignore::Match;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::git::pattern::translate_for;
use crate::util::bytes::trim_trailing_spaces;
use crate::util::fs::{ReadError, SYMLINK, read_regular};

/// Where a rule comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SourceKind {
    /// A `.gitignore` in the working tree; its folder is repository-relative (empty at the root).
    Gitignore(Vec<u8>),
    /// `$GIT_COMMON_DIR/info/exclude`.
    InfoExclude,
    /// `core.excludesFile`.
    ExcludesFile,
}

/// The line that decided whether a path is ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoreRule {
    /// Which kind of file the line is in.
    pub(crate) kind: SourceKind,
    /// The file, as shown to users: repository-relative for a `.gitignore`, else the path.
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// The line as written (after git's trimming).
    pub pattern: String,
    /// A `!` line: it re-includes.
    pub(crate) negated: bool,
    /// The path the line matched: the path itself, or the folder that excluded it.
    pub(crate) matched: Vec<u8>,
}

/// git's verdict on a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IgnoreDecision {
    /// Ignored, by this line.
    Ignored(IgnoreRule),
    /// Not ignored: no line matched (`None`), or a `!` line re-included it.
    NotIgnored(Option<IgnoreRule>),
}

impl IgnoreDecision {
    /// Whether git ignores the path.
    pub(crate) fn is_ignored(&self) -> bool {
        matches!(self, IgnoreDecision::Ignored(_))
    }

    /// The deciding line, if any.
    pub fn decision(&self) -> Option<&IgnoreRule> {
        match self {
            IgnoreDecision::Ignored(d) => Some(d),
            IgnoreDecision::NotIgnored(d) => d.as_ref(),
        }
    }
}

/// One file of rules, compiled.
struct RuleFile {
    kind: SourceKind,
    file: String,
    gitignore: Gitignore,
    /// (compiled text, line number, line as written), in file order.
    lines: Vec<(String, usize, String)>,
    /// For each compiled text, the index in `lines` of its last line: a match is named in
    /// constant time, not by a scan of the file (probes x lines was quadratic).
    last: HashMap<String, usize>,
}

impl RuleFile {
    fn parse(kind: SourceKind, file: String, bytes: &[u8], ignore_case: bool) -> RuleFile {
        // Case folding is in the translated glob (git folds the path, not class members), so
        // the builder stays case-sensitive.
        let mut builder = GitignoreBuilder::new(".");
        let mut lines = Vec::new();
        let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            let text = String::from_utf8_lossy(trim_trailing_spaces(raw));
            let line: &str = &text;
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            // A pattern git can never match (such as an unclosed `[`) is skipped, as git skips it.
            let Ok(compiled) = translate_for(line, ignore_case) else {
                continue;
            };
            if builder.add_line(None, &compiled).is_ok() {
                lines.push((compiled, i + 1, line.to_string()));
            }
        }
        let gitignore = builder.build().unwrap_or_else(|_| Gitignore::empty());
        let last = lines
            .iter()
            .enumerate()
            .map(|(i, (compiled, _, _))| (compiled.clone(), i))
            .collect();
        RuleFile {
            kind,
            file,
            gitignore,
            lines,
            last,
        }
    }

    /// The last line matching `path` (relative to this file's folder).
    fn matched(&self, path: &[u8], is_dir: bool, full: &[u8]) -> Option<IgnoreRule> {
        let (glob, negated) = match self
            .gitignore
            .matched(Path::new(OsStr::from_bytes(path)), is_dir)
        {
            Match::None => return None,
            Match::Ignore(g) => (g, false),
            Match::Whitelist(g) => (g, true),
        };
        // Identical lines match identically, so the last one with this text is the one that won.
        let (_, line, pattern) = &self.lines[*self.last.get(glob.original())?];
        Some(IgnoreRule {
            kind: self.kind.clone(),
            file: self.file.clone(),
            line: *line,
            pattern: pattern.clone(),
            negated,
            matched: full.to_vec(),
        })
    }
}

/// git's exclude rules for one working tree.
pub struct Excludes {
    workdir: PathBuf,
    ignore_case: bool,
    info: Option<RuleFile>,
    global: Option<RuleFile>,
    /// `.gitignore` files by folder, read when first needed.
    dirs: RefCell<HashMap<Vec<u8>, Rc<Option<RuleFile>>>>,
    /// Content used instead of a folder's `.gitignore` on disk (to judge a proposed file).
    overrides: HashMap<Vec<u8>, Vec<u8>>,
    /// The folders from the top down to the one judged last, each with the line excluding it
    /// (or one of its parents), if any. Paths come in index order or in a walk's order, so the
    /// next folder nearly always shares most of this chain: no folder is hashed.
    chain: RefCell<Vec<(Vec<u8>, Option<IgnoreRule>)>>,
    /// A folder without rules.
    no_rules: Rc<Option<RuleFile>>,
    /// The root's rules, once read: every path asks for them.
    root_rules: RefCell<Option<Rc<Option<RuleFile>>>>,
    /// When set, the only folders below the root whose `.gitignore` is read from disk.
    known: Option<std::collections::HashSet<Vec<u8>>>,
    /// The first rule file that was not a regular file, and what it was.
    unreadable: RefCell<Option<(PathBuf, &'static str)>>,
}

impl Excludes {
    /// The rules of a working tree: `workdir` is its top, `common_dir` the git directory holding
    /// `info/exclude`, `excludes_file` the value of `core.excludesFile` if set.
    pub(crate) fn new(
        workdir: &Path,
        common_dir: &Path,
        excludes_file: Option<PathBuf>,
        ignore_case: bool,
    ) -> Excludes {
        let unreadable = RefCell::new(None);
        // git follows a symbolic link here; something that is not a regular file is noted (see
        // `unreadable`), never opened in a way that could block.
        let read = |kind: SourceKind, path: PathBuf, shown: String| match read_regular(&path, true)
        {
            Ok(bytes) => Some(RuleFile::parse(kind, shown, &bytes, ignore_case)),
            Err(ReadError::NotRegular(what)) => {
                unreadable.borrow_mut().get_or_insert((path, what));
                None
            }
            Err(ReadError::Io(_)) => None,
        };
        let info_path = common_dir.join("info/exclude");
        let info_shown = shown_path(workdir, &info_path);
        let global = excludes_file.or_else(default_excludes_file).and_then(|p| {
            let shown = p.display().to_string();
            read(SourceKind::ExcludesFile, p, shown)
        });
        let info = read(SourceKind::InfoExclude, info_path, info_shown);
        Excludes {
            workdir: workdir.to_path_buf(),
            ignore_case,
            info,
            global,
            dirs: RefCell::new(HashMap::new()),
            overrides: HashMap::new(),
            chain: RefCell::new(Vec::new()),
            no_rules: Rc::new(None),
            root_rules: RefCell::new(None),
            known: None,
            unreadable,
        }
    }

    /// The first rule file met so far that is not a regular file (a FIFO, a socket, a folder,
    /// a device), as an error: its rules were taken as empty, which a verdict must not rest
    /// on. (A symbolic link `.gitignore` is not one: git skips it too.)
    pub(crate) fn unreadable(&self) -> Option<crate::model::error::Error> {
        self.unreadable.borrow().as_ref().map(|(path, what)| {
            crate::model::error::Error::RuleFileNotRegular {
                path: path.clone(),
                what,
            }
        })
    }

    /// Reads `.gitignore` files only in these folders (besides the root), instead of looking in
    /// every folder a path passes through. The check passes the folders of the tracked
    /// `.gitignore` files, which spares one `stat` per folder on the hot path; an untracked
    /// nested `.gitignore` is then not seen.
    pub(crate) fn only_in_folders(&mut self, folders: std::collections::HashSet<Vec<u8>>) {
        self.known = Some(folders);
        self.dirs.borrow_mut().clear();
        self.root_rules.borrow_mut().take();
        self.chain.borrow_mut().clear();
    }

    /// The rules of `repo`'s working tree, with its config.
    /// An `info/exclude` or excludes file that is not a regular file is an error.
    pub fn for_repo(repo: &crate::git::repo::Repo) -> Result<Excludes, crate::model::error::Error> {
        let workdir = repo.workdir()?;
        let excludes = Excludes::new(
            workdir,
            repo.git.commondir(),
            configured_excludes_file(repo)?,
            repo.ignore_case(),
        );
        match excludes.unreadable() {
            Some(e) => Err(e),
            None => Ok(excludes),
        }
    }

    /// The files of root-level rules git reads for `repo`: `info/exclude` and the excludes file
    /// (whether or not they exist).
    pub(crate) fn root_rule_files(
        repo: &crate::git::repo::Repo,
    ) -> Result<Vec<PathBuf>, crate::model::error::Error> {
        let mut files = vec![repo.git.commondir().join("info/exclude")];
        files.extend(configured_excludes_file(repo)?.or_else(default_excludes_file));
        Ok(files)
    }

    /// Judges as if the `.gitignore` of `folder` (repository-relative, empty for the root) held
    /// `content`.
    pub(crate) fn set_gitignore(&mut self, folder: &[u8], content: Vec<u8>) {
        self.dirs.borrow_mut().remove(folder);
        self.root_rules.borrow_mut().take();
        self.chain.borrow_mut().clear();
        self.overrides.insert(folder.to_vec(), content);
    }

    /// Whether no folder below the root can have rules: the check found no tracked nested
    /// `.gitignore`, and none is proposed.
    fn only_root(&self) -> bool {
        self.overrides.is_empty() && self.known.as_ref().is_some_and(|k| k.is_empty())
    }

    fn dir_rules(&self, folder: &[u8]) -> Rc<Option<RuleFile>> {
        // The check's common case: no tracked `.gitignore` below the root, so no folder but the
        // root has rules, and none needs remembering.
        if !folder.is_empty() && self.only_root() {
            return Rc::clone(&self.no_rules);
        }
        if folder.is_empty()
            && let Some(rules) = &*self.root_rules.borrow()
        {
            return Rc::clone(rules);
        }
        if let Some(rules) = self.dirs.borrow().get(folder) {
            return Rc::clone(rules);
        }
        let shown = if folder.is_empty() {
            ".gitignore".to_string()
        } else {
            format!("{}/.gitignore", String::from_utf8_lossy(folder))
        };
        let skip = !folder.is_empty() && self.known.as_ref().is_some_and(|k| !k.contains(folder));
        let bytes = match self.overrides.get(folder) {
            Some(content) => Some(content.clone()),
            None if skip => None,
            None => {
                let path = self
                    .workdir
                    .join(OsStr::from_bytes(folder))
                    .join(".gitignore");
                // git does not follow a symlinked .gitignore inside the working tree. Anything
                // else that is not a regular file is opened without blocking and noted.
                match read_regular(&path, false) {
                    Ok(bytes) => Some(bytes),
                    Err(ReadError::NotRegular(what)) if what != SYMLINK => {
                        self.unreadable.borrow_mut().get_or_insert((path, what));
                        None
                    }
                    Err(_) => None,
                }
            }
        };
        let rules = Rc::new(bytes.map(|b| {
            RuleFile::parse(
                SourceKind::Gitignore(folder.to_vec()),
                shown,
                &b,
                self.ignore_case,
            )
        }));
        if folder.is_empty() {
            *self.root_rules.borrow_mut() = Some(Rc::clone(&rules));
        }
        self.dirs
            .borrow_mut()
            .insert(folder.to_vec(), Rc::clone(&rules));
        rules
    }

    /// The last matching line for `path` at its own level, by precedence, ignoring whether a
    /// parent folder is excluded.
    fn last_match(&self, path: &[u8], is_dir: bool) -> Option<IgnoreRule> {
        // .gitignore files from the path's own folder up to the root (only the root's when no
        // folder below it can have one).
        let mut end = if self.only_root() {
            None
        } else {
            path.iter().rposition(|&b| b == b'/')
        };
        loop {
            let folder = end.map_or(&b""[..], |e| &path[..e]);
            let relative = end.map_or(path, |e| &path[e + 1..]);
            if let Some(rules) = self.dir_rules(folder).as_ref()
                && let Some(d) = rules.matched(relative, is_dir, path)
            {
                return Some(d);
            }
            match end {
                None => break,
                Some(e) => end = path[..e].iter().rposition(|&b| b == b'/'),
            }
        }
        [&self.info, &self.global]
            .into_iter()
            .flatten()
            .find_map(|rules| rules.matched(path, is_dir, path))
    }

    /// The line that decides `path` at its own level (its own folder's `.gitignore` first, up
    /// to the root, then `info/exclude` and the excludes file), whether or not a parent folder
    /// is excluded: what [`Excludes::check`] asks of each folder from the top down.
    pub(crate) fn own_level(&self, path: &[u8], is_dir: bool) -> Option<IgnoreRule> {
        self.last_match(path, is_dir)
    }

    /// Whether git ignores `path` (repository-relative, `/`-separated), and why; `is_dir` says
    /// whether it names a folder. Tracked or not does not matter, as with `--no-index`.
    pub(crate) fn check(&self, path: &[u8], is_dir: bool) -> IgnoreDecision {
        if let Some(i) = path.iter().rposition(|&b| b == b'/')
            && let Some(d) = self.folder_exclusion(&path[..i])
        {
            return IgnoreDecision::Ignored(d);
        }
        match self.last_match(path, is_dir) {
            Some(d) if !d.negated => IgnoreDecision::Ignored(d),
            other => IgnoreDecision::NotIgnored(other),
        }
    }

    /// The line that excludes `folder` or one of its parents, judged from the top down. The
    /// chain of the folder judged last is kept: only the levels below what the two share are
    /// judged again.
    fn folder_exclusion(&self, folder: &[u8]) -> Option<IgnoreRule> {
        let mut chain = self.chain.borrow_mut();
        while let Some((f, _)) = chain.last() {
            if folder.starts_with(f) && (folder.len() == f.len() || folder[f.len()] == b'/') {
                break;
            }
            chain.pop();
        }
        let mut at = match chain.last() {
            Some((f, d)) if f.len() == folder.len() => return d.clone(),
            Some((f, _)) => f.len() + 1,
            None => 0,
        };
        loop {
            let end = folder[at..]
                .iter()
                .position(|&b| b == b'/')
                .map_or(folder.len(), |i| at + i);
            let level = &folder[..end];
            let inherited = chain.last().and_then(|(_, d)| d.clone());
            let status = inherited.or_else(|| self.last_match(level, true).filter(|d| !d.negated));
            chain.push((level.to_vec(), status));
            if end == folder.len() {
                return chain.last().and_then(|(_, d)| d.clone());
            }
            at = end + 1;
        }
    }
}

/// `core.excludesFile`, if set.
fn configured_excludes_file(
    repo: &crate::git::repo::Repo,
) -> Result<Option<PathBuf>, crate::model::error::Error> {
    let config = repo
        .git
        .config()
        .map_err(crate::model::error::Error::git("read the git config"))?;
    Ok(config.get_path("core.excludesFile").ok())
}

/// `$XDG_CONFIG_HOME/git/ignore`, else `$HOME/.config/git/ignore`: git's default excludes file.
fn default_excludes_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("git/ignore"))
}

/// A git-directory file as git names it in messages: relative to the working tree when inside it.
fn shown_path(workdir: &Path, path: &Path) -> String {
    path.strip_prefix(workdir)
        .unwrap_or(path)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Excludes {
        let mut e = Excludes::new(
            Path::new("/nonexistent"),
            Path::new("/nonexistent"),
            None,
            false,
        );
        e.set_gitignore(b"", text.as_bytes().to_vec());
        e
    }

    #[test]
    fn folder_exclusion_wins_over_a_later_negation() {
        let e = rules("__pycache__/\n*.py[cod]\n!01_Basics/__pycache__/\n");
        // The seed's recipe: the folder is re-included but its pycs stay ignored by *.py[cod].
        let v = e.check(b"01_Basics/__pycache__/m.cpython-312.pyc", false);
        assert_eq!(v.decision().unwrap().line, 2, "{v:?}");
        assert!(v.is_ignored());
        assert!(
            !e.check(b"01_Basics/__pycache__/README.md", false)
                .is_ignored()
        );
        let v = e.check(b"a/__pycache__/x.pyc", false);
        assert_eq!(v.decision().unwrap().pattern, "__pycache__/");
        assert_eq!(v.decision().unwrap().matched, b"a/__pycache__");
    }

    #[test]
    fn crlf_bom_and_comments() {
        let e = rules("\u{feff}# c\r\n*.pyc\r\n\r\n!keep.pyc\r\n");
        let v = e.check(b"x.pyc", false);
        assert_eq!(v.decision().unwrap().line, 2);
        let v = e.check(b"keep.pyc", false);
        assert!(!v.is_ignored());
        assert_eq!(v.decision().unwrap().line, 4);
    }

    /// The remembered chain of folders gives the answers a fresh `Excludes` gives, whatever
    /// order the paths come in.
    #[test]
    fn answers_do_not_depend_on_the_order_paths_are_asked_in() {
        let build = || {
            let mut e = rules("a/\n!a/keep/\nb/c/\n*.tmp/\n");
            e.set_gitignore(b"b", b"!c/\nd/\n".to_vec());
            e.set_gitignore(b"x/y", b"z/\n".to_vec());
            e
        };
        let parts: [&[u8]; 11] = [
            b"a", b"ab", b"keep", b"b", b"bd", b"c", b"d", b"x", b"y", b"z", b"q.tmp",
        ];
        let mut seed: u64 = 7;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize % n
        };
        let shared = build();
        let mut ignored = 0;
        for _ in 0..2000 {
            let mut path = Vec::new();
            for _ in 0..1 + next(5) {
                if !path.is_empty() {
                    path.push(b'/');
                }
                path.extend_from_slice(parts[next(parts.len())]);
            }
            path.extend_from_slice(b"/f.pyc");
            let fresh = build().check(&path, false);
            assert_eq!(
                shared.check(&path, false),
                fresh,
                "{}",
                String::from_utf8_lossy(&path)
            );
            ignored += usize::from(fresh.is_ignored());
        }
        assert!((200..1800).contains(&ignored), "{ignored} of 2000 ignored");
    }
}
