//! Making git's ignore rules express the policy: the managed block of the root `.gitignore`, and
//! the probes that check whether git ignores what the policy forbids and keeps what it allows.
//!
//! The block is appended at the end of the root `.gitignore`, between a `# BEGIN pycache-policy`
//! and a `# END pycache-policy` line. Being last in the root file, its lines outweigh every
//! earlier line of that file, `.git/info/exclude` and `core.excludesFile`. It holds the forbid
//! patterns, then for each allow entry the lines that re-include it: `!/DIR/` and `!/DIR/**`
//! (the second re-includes files that a pattern such as `*.py[cod]` would still ignore inside the
//! re-included folder), and, where a parent folder is excluded, `!/PARENT/` followed by
//! `/PARENT/*` so that only the path to the kept folder comes back.
//!
//! What the block cannot outweigh is a `.gitignore` in a deeper folder: git gives it precedence.
//! Every probe is judged again with the proposed file (by [`crate::git::excludes`]) and each one that
//! still disagrees with the policy is reported with the file and line that defeat it.
//!
//! Everything outside the block is kept byte for byte: order, comments, a BOM, CRLF line endings
//! (the block uses the file's), and a missing final newline.

use std::collections::BTreeSet;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use crate::git::excludes::{Decision, Excludes, SourceKind, Verdict as GitVerdict};
use crate::git::index::IndexFile;
use crate::model::error::Error;
use crate::policy::Policy;
use crate::policy::matcher::{Matcher, Verdict};

/// The first line of the managed block.
pub const BEGIN: &str = "# BEGIN pycache-policy: written by `pycache-policy gitignore` from the policy; edit the policy, not this block";
/// The last line of the managed block.
pub const END: &str = "# END pycache-policy";
/// How a block is recognised: the start of [`BEGIN`], which a user's own comment such as
/// `# BEGIN pycache-policy exceptions` does not match.
const BEGIN_MARK: &[u8] = b"# BEGIN pycache-policy: written by `pycache-policy gitignore`";

/// A path whose ignore status the policy decides: git should ignore it (a forbidden path) or
/// not (a path kept on purpose).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Probe {
    /// Repository-relative path of a file.
    pub path: Vec<u8>,
    /// Whether the policy wants git to ignore it.
    pub want_ignored: bool,
}

/// Paths to judge git's rules by, cheap enough for every check: every tracked path the policy
/// forbids or allows, the caches Python would write at the root and in each folder that has a
/// tracked `.gitignore` of its own (where a rule could differ), and a cache in each folder kept
/// on purpose.
pub fn probes(
    workdir: &std::path::Path,
    index: &IndexFile,
    matcher: &Matcher,
    policy: &Policy,
) -> Vec<Probe> {
    let mut probes = Probes::new(matcher);
    probes.module_caches(b"", b"example");
    for entry in index.iter() {
        if matcher.is_candidate(entry.path) {
            probes.add(entry.path.to_vec());
        }
        if let Some(dir) = entry.path.strip_suffix(b".gitignore")
            && (dir.is_empty() || dir.ends_with(b"/"))
        {
            probes.module_caches(dir, b"example");
            // And what its `!` lines re-include, as git reads it: from the working tree.
            let file = workdir.join(std::ffi::OsStr::from_bytes(entry.path));
            probes.negations_in(dir, &file);
        }
    }
    probes.kept_folders(policy);
    probes.finish()
}

/// Everything [`probes`] judges, and also: the caches Python would write beside every tracked
/// module (`DIR/__pycache__/NAME.cpython-312.pyc` and the legacy `DIR/NAME.pyc`), and a path
/// named by each `!` line of every rule file git reads (each `.gitignore` in the working tree,
/// `info/exclude`, the excludes file), since a re-include is what can defeat the policy. This is
/// what `pycache-policy gitignore` makes sure of, once; it walks the working tree.
pub fn probes_thorough(
    repo: &crate::git::repo::Repo,
    index: &IndexFile,
    matcher: &Matcher,
    policy: &Policy,
) -> Result<Vec<Probe>, Error> {
    let mut probes = Probes::new(matcher);
    probes
        .set
        .extend(self::probes(repo.workdir()?, index, matcher, policy));
    for entry in index.iter() {
        let Some(stem) = entry.path.strip_suffix(b".py") else {
            continue;
        };
        let (dir, name) = match stem.iter().rposition(|&b| b == b'/') {
            Some(i) => (&stem[..=i], &stem[i + 1..]),
            None => (&b""[..], stem),
        };
        probes.module_caches(dir, name);
    }
    let workdir = repo.workdir()?;
    let mut rule_files: Vec<(Vec<u8>, PathBuf)> = Excludes::root_rule_files(repo)?
        .into_iter()
        .map(|f| (Vec::new(), f))
        .collect();
    // The .gitignore files git reads: it does not descend into an excluded folder, so neither
    // does this walk.
    let walker = ignore::WalkBuilder::new(workdir)
        .standard_filters(false)
        .hidden(false)
        .git_ignore(true)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    for entry in walker.flatten() {
        if entry.file_name() == ".gitignore" && entry.file_type().is_some_and(|t| t.is_file()) {
            let dir = entry
                .path()
                .parent()
                .and_then(|p| p.strip_prefix(workdir).ok())
                .map(|p| p.as_os_str().as_encoded_bytes().to_vec())
                .unwrap_or_default();
            let dir = if dir.is_empty() {
                dir
            } else {
                [&dir[..], b"/"].concat()
            };
            rule_files.push((dir, entry.path().to_path_buf()));
        }
    }
    for (dir, file) in rule_files {
        probes.negations_in(&dir, &file);
    }
    Ok(probes.finish())
}

/// A set of probes, each with the policy's verdict.
struct Probes<'m> {
    matcher: &'m Matcher,
    set: BTreeSet<Probe>,
}

impl<'m> Probes<'m> {
    fn new(matcher: &'m Matcher) -> Self {
        Probes {
            matcher,
            set: BTreeSet::new(),
        }
    }

    /// Adds `path` when the policy has a verdict on it.
    fn add(&mut self, path: Vec<u8>) {
        let want_ignored = match self.matcher.verdict(&path) {
            Verdict::NotCache => return,
            Verdict::Forbidden { .. } => true,
            Verdict::Allowed { .. } => false,
        };
        self.set.insert(Probe { path, want_ignored });
    }

    /// The caches of module `name` in folder `dir` (empty, or ending in `/`).
    fn module_caches(&mut self, dir: &[u8], name: &[u8]) {
        self.add([dir, b"__pycache__/", name, b".cpython-312.pyc"].concat());
        self.add([dir, name, b".pyc"].concat());
    }

    /// Probes for every `!` line of the rule file `file`, whose patterns are relative to `dir`.
    fn negations_in(&mut self, dir: &[u8], file: &std::path::Path) {
        // git does not read a symlinked .gitignore; a missing file has no rules.
        let is_file = std::fs::symlink_metadata(file).is_ok_and(|m| m.file_type().is_file());
        let Some(bytes) = is_file.then(|| std::fs::read(file).ok()).flatten() else {
            return;
        };
        for line in bytes.split(|&b| b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(pattern) = line.strip_prefix(b"!") {
                self.negated(dir, pattern);
            }
        }
    }

    /// A path the pattern of a `!` line in the rule file of `dir` re-includes: wildcards become
    /// `x`, a class its first member, a folder pattern a cache file inside it.
    fn negated(&mut self, dir: &[u8], pattern: &[u8]) {
        let pattern = pattern.strip_prefix(b"/").unwrap_or(pattern);
        let (pattern, is_dir) = match pattern.strip_suffix(b"/") {
            Some(p) => (p, true),
            None => (pattern, false),
        };
        let mut path = dir.to_vec();
        let mut i = 0;
        while i < pattern.len() {
            match pattern[i] {
                b'\\' if i + 1 < pattern.len() => {
                    path.push(pattern[i + 1]);
                    i += 2;
                    continue;
                }
                b'*' | b'?' => {
                    while pattern.get(i + 1) == Some(&b'*') {
                        i += 1;
                    }
                    path.push(b'x');
                }
                b'[' => {
                    let rest = &pattern[i + 1..];
                    let rest = rest
                        .strip_prefix(b"!")
                        .or(rest.strip_prefix(b"^"))
                        .unwrap_or(rest);
                    let Some(&member) = rest.first() else {
                        return;
                    };
                    path.push(member);
                    match pattern[i + 1..].iter().skip(1).position(|&b| b == b']') {
                        Some(end) => i += end + 2,
                        None => return,
                    }
                }
                b => path.push(b),
            }
            i += 1;
        }
        if path.is_empty() || path.ends_with(b"/") {
            return;
        }
        if is_dir {
            path.extend_from_slice(b"/example.cpython-312.pyc");
        }
        self.add(path);
    }

    fn kept_folders(&mut self, policy: &Policy) {
        for kept in &policy.allow {
            if kept.is_dir {
                self.add(format!("{}/example.cpython-312.pyc", kept.path).into_bytes());
            } else {
                self.add(kept.path.clone().into_bytes());
            }
        }
    }

    fn finish(self) -> Vec<Probe> {
        self.set.into_iter().collect()
    }
}

/// A probe that git's rules get wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Disagreement {
    /// The path and what the policy wants.
    pub probe: Probe,
    /// git's verdict, with the deciding line.
    pub git: GitVerdict,
}

impl Disagreement {
    /// Why the block cannot fix this, when the deciding line is in a file that outranks it.
    pub fn why_unfixable(&self) -> Option<String> {
        let d = self.git.decision()?;
        match &d.kind {
            SourceKind::Gitignore(folder) if !folder.is_empty() => Some(format!(
                "{}:{}: `{}` decides it, and a .gitignore in a deeper folder takes precedence \
                 over the root .gitignore",
                d.file, d.line, d.pattern
            )),
            _ => None,
        }
    }
}

/// Judges every probe with git's rules; returns those git gets wrong.
pub fn disagreements(excludes: &Excludes, probes: &[Probe]) -> Vec<Disagreement> {
    probes
        .iter()
        .filter_map(|probe| {
            let git = excludes.check(&probe.path, false);
            (git.is_ignored() != probe.want_ignored).then(|| Disagreement {
                probe: probe.clone(),
                git,
            })
        })
        .collect()
}

/// What `pycache-policy gitignore` would do.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The root `.gitignore`.
    pub path: PathBuf,
    /// Its bytes now (`None` when there is no file).
    pub old: Option<Vec<u8>>,
    /// Its bytes after the change.
    pub new: Vec<u8>,
    /// Probes git would still get wrong with the new file, each with the deciding line.
    pub defeated: Vec<Disagreement>,
}

impl Plan {
    /// Whether the file would change.
    pub fn changes(&self) -> bool {
        self.old.as_deref() != Some(self.new.as_slice())
    }
}

/// Works out the new root `.gitignore` for the policy and what git would still get wrong.
pub fn plan(
    repo: &crate::git::repo::Repo,
    policy: &Policy,
    probes: &[Probe],
) -> Result<Plan, Error> {
    let path = repo.workdir()?.join(".gitignore");
    let old = match std::fs::symlink_metadata(&path) {
        Ok(m) if m.file_type().is_symlink() => {
            return Err(Error::GitignoreSymlink { path });
        }
        Ok(_) => Some(std::fs::read(&path).map_err(Error::io("read", &path))?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io("read", &path)(e)),
    };
    let current = old.clone().unwrap_or_default();
    let user = split_block(&current).map_err(|line| Error::GitignoreBlock {
        path: path.clone(),
        line,
    })?;
    let eol: &[u8] = if detect_crlf(&current) {
        b"\r\n"
    } else {
        b"\n"
    };
    let final_newline = current.is_empty() || current.ends_with(b"\n");

    let mut excludes = Excludes::for_repo(repo)?;
    let mut lines: Vec<String> = vec![BEGIN.to_string()];
    lines.extend(policy.forbid.iter().cloned());
    for kept in &policy.allow {
        if let Some(reason) = &kept.reason {
            lines.push(format!(
                "# kept on purpose: {}",
                reason.replace(['\r', '\n'], " ")
            ));
        }
        // Re-include each excluded parent folder, then exclude its other children again.
        let parts: Vec<&str> = kept.path.split('/').collect();
        for depth in 1..parts.len() {
            let parent = parts[..depth].join("/");
            excludes.set_gitignore(b"", assemble(&user, &lines, eol, final_newline));
            let verdict = excludes.check(parent.as_bytes(), true);
            if let GitVerdict::Ignored(d) = &verdict
                && outweighable(d)
            {
                lines.push(format!("!/{}/", escape(&parent)));
                lines.push(format!("/{}/*", escape(&parent)));
            }
        }
        if kept.is_dir {
            lines.push(format!("!/{}/", escape(&kept.path)));
            lines.push(format!("!/{}/**", escape(&kept.path)));
        } else {
            lines.push(format!("!/{}", escape(&kept.path)));
        }
    }
    lines.push(END.to_string());
    let new = assemble(&user, &lines, eol, final_newline);
    excludes.set_gitignore(b"", new.clone());
    let defeated = disagreements(&excludes, probes);
    Ok(Plan {
        path,
        old,
        new,
        defeated,
    })
}

/// Writes the plan's file atomically, keeping the old file's permissions.
pub fn apply(plan: &Plan) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    if !plan.changes() {
        return Ok(());
    }
    let mode = std::fs::metadata(&plan.path)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o644);
    crate::util::fs::write_atomic(&plan.path, &plan.new, mode)
        .map_err(Error::io("write", &plan.path))
}

/// Whether a line deciding a parent folder's exclusion can be outweighed from the end of the
/// root `.gitignore`.
fn outweighable(d: &Decision) -> bool {
    match &d.kind {
        SourceKind::Gitignore(folder) => folder.is_empty(),
        SourceKind::InfoExclude | SourceKind::ExcludesFile => true,
    }
}

/// Escapes a literal path for a gitignore line.
fn escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if matches!(c, '\\' | '*' | '?' | '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    if out.ends_with(' ') {
        out.pop();
        out.push_str("\\ ");
    }
    out
}

/// The file's bytes without the managed block; an error (the 1-based line of the `BEGIN`) when a
/// block has no end, or a second block starts inside it: then where ours ends is a guess, and a
/// guess could drop the user's lines.
fn split_block(content: &[u8]) -> Result<Vec<u8>, usize> {
    let mut out = Vec::with_capacity(content.len());
    let mut inside: Option<usize> = None;
    let mut lineno = 0;
    for line in content.split_inclusive(|&b| b == b'\n') {
        lineno += 1;
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        match inside {
            None if text.starts_with(BEGIN_MARK) => inside = Some(lineno),
            None => out.extend_from_slice(line),
            Some(begin) if text.starts_with(BEGIN_MARK) => return Err(begin),
            Some(_) if text == END.as_bytes() => inside = None,
            Some(_) => {}
        }
    }
    match inside {
        Some(begin) => Err(begin),
        None => Ok(out),
    }
}

fn detect_crlf(content: &[u8]) -> bool {
    content
        .iter()
        .position(|&b| b == b'\n')
        .is_some_and(|i| i > 0 && content[i - 1] == b'\r')
}

/// The user's lines, a blank line, then the block; ending with a newline only if `final_newline`.
fn assemble(user: &[u8], lines: &[String], eol: &[u8], final_newline: bool) -> Vec<u8> {
    let mut out = user.to_vec();
    if !out.is_empty() && !out.ends_with(b"\n") {
        out.extend_from_slice(eol);
    }
    let last_line_blank = {
        let body = out
            .strip_suffix(b"\n")
            .map(|b| b.strip_suffix(b"\r").unwrap_or(b));
        match body {
            None => out.is_empty(),
            Some(b) => b.is_empty() || b.ends_with(b"\n"),
        }
    };
    if !out.is_empty() && !last_line_blank {
        out.extend_from_slice(eol);
    }
    for (i, line) in lines.iter().enumerate() {
        out.extend_from_slice(line.as_bytes());
        if i + 1 < lines.len() || final_newline {
            out.extend_from_slice(eol);
        }
    }
    out
}

/// A unified diff of the plan, for `--dry-run`.
pub fn diff(plan: &Plan) -> String {
    let old = plan.old.clone().unwrap_or_default();
    let name = ".gitignore";
    let old_lines: Vec<&[u8]> = split_lines(&old);
    let new_lines: Vec<&[u8]> = split_lines(&plan.new);
    let mut out = String::new();
    if !plan.changes() {
        return out;
    }
    out.push_str(if plan.old.is_some() {
        "--- a/.gitignore\n"
    } else {
        "--- /dev/null\n"
    });
    out.push_str(&format!("+++ b/{name}\n"));
    // The change is one region: the common head and tail are context.
    let head = old_lines
        .iter()
        .zip(&new_lines)
        .take_while(|(a, b)| a == b)
        .count();
    let tail = old_lines[head..]
        .iter()
        .rev()
        .zip(new_lines[head..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let ctx = 3;
    let start = head.saturating_sub(ctx);
    let old_end = (old_lines.len() - tail + ctx).min(old_lines.len());
    let new_end = (new_lines.len() - tail + ctx).min(new_lines.len());
    let range = |start: usize, end: usize| {
        let len = end - start;
        if len == 0 {
            format!("{start},0")
        } else {
            format!("{},{len}", start + 1)
        }
    };
    out.push_str(&format!(
        "@@ -{} +{} @@\n",
        range(start, old_end),
        range(start, new_end)
    ));
    let show = |out: &mut String, sign: char, line: &[u8]| {
        out.push(sign);
        let text = line.strip_suffix(b"\n").unwrap_or(line);
        out.push_str(&String::from_utf8_lossy(text));
        out.push('\n');
        if !line.ends_with(b"\n") {
            out.push_str("\\ No newline at end of file\n");
        }
    };
    for line in &old_lines[start..head] {
        show(&mut out, ' ', line);
    }
    for line in &old_lines[head..old_lines.len() - tail] {
        show(&mut out, '-', line);
    }
    for line in &new_lines[head..new_lines.len() - tail] {
        show(&mut out, '+', line);
    }
    for line in &old_lines[old_lines.len() - tail..old_end] {
        show(&mut out, ' ', line);
    }
    out
}

fn split_lines(content: &[u8]) -> Vec<&[u8]> {
    content.split_inclusive(|&b| b == b'\n').collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn assemble_keeps_what_the_user_wrote() {
        let lines = block(&[BEGIN, "__pycache__/", END]);
        let out = assemble(b"venv/\n", &lines, b"\n", true);
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            format!("venv/\n\n{BEGIN}\n__pycache__/\n{END}\n")
        );
        // Idempotent: split off the block and assemble again.
        let user = split_block(&out).unwrap();
        assert_eq!(assemble(&user, &lines, b"\n", true), out);

        // No final newline stays so; CRLF is kept; a BOM is untouched.
        let out = assemble(b"\xef\xbb\xbfvenv/\r\nbuild/", &lines, b"\r\n", false);
        assert_eq!(
            out,
            [
                &b"\xef\xbb\xbfvenv/\r\nbuild/\r\n\r\n"[..],
                BEGIN.as_bytes(),
                b"\r\n__pycache__/\r\n",
                END.as_bytes()
            ]
            .concat()
        );
        let user = split_block(&out).unwrap();
        assert_eq!(assemble(&user, &lines, b"\r\n", false), out);
        assert_eq!(
            assemble(b"", &lines, b"\n", true),
            format!("{BEGIN}\n__pycache__/\n{END}\n").into_bytes()
        );
    }

    #[test]
    fn unterminated_block_is_an_error() {
        let text = format!("a\n{BEGIN}\nx\n");
        assert_eq!(split_block(text.as_bytes()), Err(2));
        let nested = format!("{BEGIN}\nx\n{BEGIN}\ny\n{END}\n");
        assert_eq!(split_block(nested.as_bytes()), Err(1));
    }

    #[test]
    fn a_users_own_begin_comment_is_a_user_line() {
        let text = format!(
            "# BEGIN pycache-policy exceptions (mine)\n!tools/vendored.pyc\nsecrets.env\n{BEGIN}\nx\n{END}\n# END pycache-policy notes\n"
        );
        assert_eq!(
            String::from_utf8(split_block(text.as_bytes()).unwrap()).unwrap(),
            "# BEGIN pycache-policy exceptions (mine)\n!tools/vendored.pyc\nsecrets.env\n# END pycache-policy notes\n"
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("01_Basics/__pycache__"), "01_Basics/__pycache__");
        assert_eq!(escape("a[1]/b*"), "a\\[1\\]/b\\*");
        assert_eq!(escape("x "), "x\\ ");
    }

    #[test]
    fn diff_shows_the_block() {
        let plan = Plan {
            path: ".gitignore".into(),
            old: Some(b"a\nb".to_vec()),
            new: b"a\nb\n\nX\n".to_vec(),
            defeated: vec![],
        };
        assert_eq!(
            diff(&plan),
            "--- a/.gitignore\n+++ b/.gitignore\n@@ -1,2 +1,4 @@\n a\n-b\n\\ No newline at end of file\n+b\n+\n+X\n"
        );
    }
}
