//! Making git's ignore rules express the policy: the managed block of the root `.gitignore`.
//! Which paths git gets wrong is found by [`crate::checks::ignore`].
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

use std::path::PathBuf;

use crate::checks::ignore::{Disagreement, Probe, disagreements};
use crate::git::excludes::{Excludes, IgnoreRule, SourceKind};
use crate::model::error::Error;
use crate::policy::Policy;
use crate::util::fs::{ReadError, SYMLINK, read_regular};
use crate::util::path::same;

/// The first line of the managed block.
pub(crate) const BEGIN: &str = "# BEGIN pycache-policy: written by `pycache-policy gitignore` from the policy; edit the policy, not this block";
/// The last line of the managed block.
pub(crate) const END: &str = "# END pycache-policy";
/// How a block is recognised: the start of [`BEGIN`], which a user's own comment such as
/// `# BEGIN pycache-policy exceptions` does not match.
const BEGIN_MARK: &[u8] = b"# BEGIN pycache-policy: written by `pycache-policy gitignore`";

/// What `pycache-policy gitignore` would do.
#[derive(Clone, Debug)]
pub struct Plan<'m> {
    /// The root `.gitignore`.
    pub path: PathBuf,
    /// Its bytes now (`None` when there is no file).
    pub(crate) old: Option<Vec<u8>>,
    /// Its bytes after the change.
    pub(crate) new: Vec<u8>,
    /// Probes git would still get wrong with the new file, each with the deciding line.
    pub defeated: Vec<Disagreement<'m>>,
}

impl Plan<'_> {
    /// Whether the file would change.
    pub fn changes(&self) -> bool {
        self.old.as_deref() != Some(self.new.as_slice())
    }
}

/// Works out the new root `.gitignore` for the policy and what git would still get wrong.
pub fn plan<'m>(
    repo: &crate::git::repo::Repo,
    policy: &Policy,
    probes: &[Probe<'m>],
) -> Result<Plan<'m>, Error> {
    let path = repo.workdir()?.join(".gitignore");
    // Not followed, and never opened in a way that could block: a FIFO named `.gitignore`
    // would make a plain read wait forever for a writer.
    let old = match read_regular(&path, false) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.is_not_found() => None,
        Err(ReadError::NotRegular(SYMLINK)) => return Err(Error::GitignoreSymlink { path }),
        Err(ReadError::NotRegular(what)) => return Err(Error::RuleFileNotRegular { path, what }),
        Err(ReadError::Io(e)) => return Err(Error::io("read", &path)(e)),
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
    // The user's lines and the forbid patterns are compiled once; the re-include lines added
    // below are literal paths, judged by `Tail` as git judges them. (Compiling the whole file
    // again for each allow entry made 1,000 entries take 15 s.)
    excludes.set_gitignore(b"", assemble(&user, &lines, eol, final_newline));
    let ignore_case = repo.ignore_case();
    let mut tail: Vec<Tail> = Vec::new();
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
            if let Some(d) = folder_exclusion(&excludes, &tail, &parts[..depth], ignore_case)
                && outweighable(&d)
            {
                lines.push(format!("!/{}/", escape(&parent)));
                lines.push(format!("/{}/*", escape(&parent)));
                tail.push(Tail::Folder(parent.clone()));
                tail.push(Tail::Children(parent));
            }
        }
        if kept.is_dir {
            lines.push(format!("!/{}/", escape(&kept.path)));
            lines.push(format!("!/{}/**", escape(&kept.path)));
            tail.push(Tail::Folder(kept.path.clone()));
            tail.push(Tail::Below(kept.path.clone()));
        } else {
            lines.push(format!("!/{}", escape(&kept.path)));
            tail.push(Tail::Path(kept.path.clone()));
        }
    }
    lines.push(END.to_string());
    let new = assemble(&user, &lines, eol, final_newline);
    excludes.set_gitignore(b"", new.clone());
    let defeated = disagreements(&excludes, probes);
    // A deeper rule file that is not a regular file was judged as empty: no verdict on that.
    if let Some(e) = excludes.unreadable() {
        return Err(e);
    }
    Ok(Plan {
        path,
        old,
        new,
        defeated,
    })
}

/// A re-include line of the block, for a literal path (no wildcards: allow paths have none).
enum Tail {
    /// `!/D/`: re-includes the folder `D`.
    Folder(String),
    /// `!/D/**`: re-includes everything below `D`.
    Below(String),
    /// `/P/*`: excludes each child of `P`.
    Children(String),
    /// `!/F`: re-includes `F`.
    Path(String),
}

impl Tail {
    /// Whether the line matches the folder `path`, and whether it is a `!` line.
    fn matches(&self, path: &[u8], ignore_case: bool) -> Option<bool> {
        let below = |d: &str| {
            let d = d.as_bytes();
            (path.len() > d.len() + 1
                && path[d.len()] == b'/'
                && same(&path[..d.len()], d, ignore_case))
            .then(|| &path[d.len() + 1..])
        };
        let hit = match self {
            Tail::Folder(d) | Tail::Path(d) => same(path, d.as_bytes(), ignore_case),
            Tail::Below(d) => below(d).is_some(),
            Tail::Children(p) => below(p).is_some_and(|rest| !rest.contains(&b'/')),
        };
        hit.then_some(!matches!(self, Tail::Children(_)))
    }
}

/// The line that excludes the folder `parts` (or a folder above it), judged from the top down as
/// [`Excludes::check`] judges it, with the `tail` lines at the end of the root `.gitignore`: a
/// tail line outweighs the root file's other lines and the files below it in precedence, but
/// not a `.gitignore` in a deeper folder.
fn folder_exclusion(
    excludes: &Excludes,
    tail: &[Tail],
    parts: &[&str],
    ignore_case: bool,
) -> Option<IgnoreRule> {
    for depth in 1..=parts.len() {
        let folder = parts[..depth].join("/");
        let base = excludes.own_level(folder.as_bytes(), true);
        let deeper = matches!(&base, Some(d) if matches!(&d.kind, SourceKind::Gitignore(f) if !f.is_empty()));
        let from_tail = if deeper {
            None
        } else {
            tail.iter()
                .rev()
                .find_map(|t| t.matches(folder.as_bytes(), ignore_case))
        };
        let decided = match from_tail {
            Some(negated) => Some(IgnoreRule {
                kind: SourceKind::Gitignore(Vec::new()),
                file: ".gitignore".into(),
                line: 0,
                pattern: String::new(),
                negated,
                matched: folder.clone().into_bytes(),
            }),
            None => base,
        };
        if let Some(d) = decided
            && !d.negated
        {
            return Some(d);
        }
    }
    None
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
fn outweighable(d: &IgnoreRule) -> bool {
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
}
