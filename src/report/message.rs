//! The sentence each finding is reported with, and the command that fixes it, worded from the
//! finding's facts. Every output format uses these words; JSON, SARIF and JUnit carry them as the
//! finding's `message`.

use crate::model::finding::Code;
use crate::model::finding::{
    CompileCommand, Facts, Finding, FoundIn, IgnoreGap, IgnoreLine, PolicyChanged, PycFix,
};
use crate::policy::README_NAME;
use crate::pyc::PyVersion;
use crate::util::path::{display_path, shell_quote};

use super::short_id;

/// What is wrong with `f` and, where it helps, how to fix it.
pub(crate) fn message(f: &Finding) -> String {
    let rule = &f.rule;
    let shown = display_path(&f.path);
    match &f.facts {
        Facts::TrackedCache { found_in } => match found_in {
            FoundIn::Index => format!("Python bytecode cache is tracked (forbidden by `{rule}`)"),
            FoundIn::Tree(rev) => {
                format!("Python bytecode cache is tracked in {rev} (forbidden by `{rule}`)")
            }
            FoundIn::Commit => format!(
                "Python bytecode cache added or changed by commit {} (forbidden by `{rule}`)",
                short_id(f.commit.as_deref().unwrap_or_default())
            ),
            FoundIn::Range(spec) => {
                format!("Python bytecode cache added or changed by {spec} (forbidden by `{rule}`)")
            }
        },
        Facts::MissingReadme { candidates } => format!(
            "`{rule}` is kept on purpose, but no tracked {README_NAME} explains it: write {} and \
             `git add` it",
            candidates.join(" or ")
        ),
        Facts::IgnoreGap(g) => ignore_gap(f, g),
        Facts::AllowUnmatched { tracked_spelling } => match tracked_spelling {
            Some(tracked) => {
                let tracked = display_path(tracked);
                let slash = if rule.ends_with('/') { "/" } else { "" };
                format!(
                    "the allow entry `{rule}` matches nothing tracked, but `{tracked}{slash}` is \
                     tracked, which differs only in case (git compares paths case-sensitively): \
                     write `path = \"{tracked}{slash}\"` in the policy"
                )
            }
            None => format!(
                "the allow entry `{rule}` matches nothing tracked: check its spelling, or remove \
                 it from the policy"
            ),
        },
        Facts::Pyc(p) => {
            format!("`{shown}`: {}; {}", p.problem, pyc_fix(&f.path, &p.fix))
        }
        Facts::CodeMismatch(m) => format!(
            "`{shown}`: its header matches `{}`, but its code is not what Python {} compiles from \
             it: {detail}{}; Python would run this code as it is; recompile it: `{}`, and `git \
             add` it",
            display_path(&m.source),
            m.version.map(|v| v.to_string()).unwrap_or_default(),
            m.interpreter
                .as_ref()
                .map(|i| format!(" (recompiled with {i})"))
                .unwrap_or_default(),
            compile_command(&m.fix),
            detail = m.detail,
        ),
        Facts::PolicyChanged(p) => policy_changed(p),
        Facts::PolicyUntracked => format!(
            "`{shown}` judged this commit but is not tracked, so the commit does not carry it and \
             CI will not see it: `git add {}`",
            shell_quote(&f.path)
        ),
        Facts::RecompileUnavailable(r) => format!(
            "`{shown}`: could not check its code against `{}` (`recompile = true` in `{rule}`): \
             {why}; put Python {} on PATH to have it checked (`recompile-unavailable = \"error\"` \
             in the entry's checks makes this an error)",
            display_path(&r.source),
            r.version.map(|v| v.to_string()).unwrap_or_default(),
            why = r.why,
        ),
    }
}

/// The sentence of a `gitignore-missing-rule` or `allowlist-ignored` finding.
fn ignore_gap(f: &Finding, gap: &IgnoreGap) -> String {
    let IgnoreGap {
        decided_by,
        more_like_it,
        example,
    } = gap;
    let rule = &f.rule;
    let shown = display_path(&f.path);
    let more = match more_like_it {
        0 => String::new(),
        n => format!(" (and {n} more like it)"),
    };
    let decided = |d: &IgnoreLine| format!("{}:{} `{}`", d.file, d.line, d.pattern);
    // The block in the root .gitignore outweighs everything but a deeper .gitignore.
    let fix = |d: Option<&IgnoreLine>, done: &str| match d {
        Some(d) if d.outranks_root => format!(
            "change or remove that line: {} outranks the root .gitignore",
            d.file
        ),
        _ => format!("`pycache-policy gitignore` {done}"),
    };
    // No tracked or existing path shows the gap: name the rule, and what a new file
    // would meet.
    let new_file = example
        .as_deref()
        .filter(|_| f.path.is_empty())
        .map(display_path);
    match (f.code, decided_by, new_file) {
        (Code::AllowlistIgnored, Some(d), Some(new)) => format!(
            "git ignores a new `{new}` ({}), so files of the kept `{rule}` cannot be \
             added with `git add`; {}",
            decided(d),
            fix(Some(d), "re-includes them")
        ),
        (Code::AllowlistIgnored, Some(d), None) => format!(
            "git ignores `{shown}`{more} ({}), so the kept `{rule}` cannot be added with \
             `git add`; {}",
            decided(d),
            fix(Some(d), "re-includes it")
        ),
        (_, None, Some(new)) => format!(
            "no ignore rule covers `{rule}`: a new `{new}` would be staged by `git add \
             .`; {}",
            fix(None, "adds the rule")
        ),
        (_, Some(d), Some(new)) => format!(
            "a new `{new}` would be staged by `git add .`: {} re-includes it; {}",
            decided(d),
            fix(Some(d), "adds the rule")
        ),
        (_, by, None) => format!(
            "git would not ignore `{shown}`{more}: {}, so `git add .` would stage it; {}",
            match by {
                Some(d) => format!("{} re-includes it", decided(d)),
                None => format!("no ignore rule covers `{rule}`"),
            },
            fix(by.as_ref(), "adds the rule")
        ),
    }
}

/// The sentence of a `policy-changed` finding.
fn policy_changed(changed: &PolicyChanged) -> String {
    let PolicyChanged {
        change,
        judged_by,
        new,
        allowed_only_by_new,
    } = changed;
    let list = |items: &[String]| {
        items
            .iter()
            .map(|i| {
                if i.starts_with('`') {
                    i.clone()
                } else {
                    format!("`{i}`")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    for (what, items) in [
        ("allow entries added", &change.allow_added),
        ("allow entries removed", &change.allow_removed),
        ("forbid patterns dropped", &change.forbid_dropped),
        ("forbid patterns added", &change.forbid_added),
        ("checks lowered", &change.lowered),
    ] {
        if !items.is_empty() {
            parts.push(format!("{what}: {}", list(items)));
        }
    }
    let mut text = format!(
        "the policy changes ({}); {judged_by} judged this, not {new}",
        parts.join("; ")
    );
    if !allowed_only_by_new.is_empty() {
        let shown: Vec<String> = allowed_only_by_new
            .iter()
            .take(3)
            .map(|p| format!("`{}`", display_path(p)))
            .collect();
        let more = allowed_only_by_new.len().saturating_sub(3);
        text.push_str(&format!(
            "; only the new policy allows what this adds: {}{}",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    text.push_str(
        "; a change to the policy takes effect once it is merged: merge it on its own \
         first (or judge with `--policy-from head` in a job only trusted branches run)",
    );
    text
}

/// What to do about a problem of the kept pyc at `pyc`, completing the sentence that states it.
fn pyc_fix(pyc: &[u8], fix: &PycFix) -> String {
    let shown_pyc = shell_quote(pyc);
    match fix {
        PycFix::Recompile(c) => format!(
            "recompile it from the repository root: `{}`, and `git add` it",
            compile_command(c)
        ),
        PycFix::StageSourceOrRemove { source } => format!(
            "stage `{}` again, or remove the pyc: `git rm -- {shown_pyc}`",
            display_path(source)
        ),
        PycFix::RemoveOrRename => {
            format!("remove it (`git rm -- {shown_pyc}`), or give it a name Python uses")
        }
        PycFix::Rename { version, to } => format!(
            "give it the name Python {version} reads: `git mv -- {shown_pyc} {}`",
            shell_quote(to)
        ),
        PycFix::RecompileAsNamed => "recompile it with the Python its name says".to_string(),
        PycFix::Remove => format!("remove it: `git rm -- {shown_pyc}`"),
        PycFix::NoHashPycs { version } => format!(
            "Python {version} writes only timestamp pycs; checked-hash pycs, which record the \
             source's hash, need Python 3.7 or later"
        ),
        PycFix::RewriteFolder { command, folder } => format!(
            "rewrite the folder as checked-hash pycs, which record the source's hash: `{}` (from \
             the repository root), then `git add -- {}`",
            compile_command(command),
            match folder.as_slice() {
                b"" => ".".to_string(),
                folder => shell_quote(folder),
            }
        ),
        PycFix::RewriteCheckedHash(c) => format!(
            "to have Python check it against its source, rewrite it as checked-hash: `{}`",
            compile_command(c)
        ),
    }
}

/// `pythonX.Y [-O|-OO] -m compileall -f [-b] [--invalidation-mode MODE] SOURCE…`, to run from the
/// repository root (`python3` when the version is unknown). `-f` because compileall skips a
/// source whose timestamp pyc looks current.
pub(crate) fn compile_command(c: &CompileCommand) -> String {
    let (mut cmd, version) = match c.version {
        Some(v) => (format!("python{}.{}", v.major, v.minor), v),
        // Any Python that writes hash-based pycs.
        None => ("python3".to_string(), PyVersion::new(3, 7)),
    };
    match c.optimize {
        0 => {}
        1 => cmd.push_str(" -O"),
        _ => cmd.push_str(" -OO"),
    }
    cmd.push_str(" -m compileall -f");
    // Python 2 writes legacy pycs anyway; Python 3 needs -b for them.
    if c.legacy && version.major >= 3 {
        cmd.push_str(" -b");
    }
    if version.has_hash_pycs() {
        cmd.push_str(" --invalidation-mode ");
        cmd.push_str(c.mode);
    }
    for source in &c.sources {
        cmd.push(' ');
        cmd.push_str(&shell_quote(source));
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(optimize: u8, legacy: bool) -> (u8, bool) {
        (optimize, legacy)
    }

    macro_rules! commands {
        ($($name:ident: ($major:expr, $minor:expr), $mode:expr, $kind:expr, $sources:expr
            => $want:expr;)*) => {$(
            #[test]
            fn $name() {
                let sources: &[&[u8]] = $sources;
                let (optimize, legacy) = $kind;
                let got = compile_command(&CompileCommand {
                    version: ($major > 0).then(|| PyVersion::new($major, $minor)),
                    mode: $mode,
                    optimize,
                    legacy,
                    sources: sources.iter().map(|s| s.to_vec()).collect(),
                });
                assert_eq!(got, $want);
            }
        )*};
    }

    commands! {
        command_checked_hash: (3, 12), "checked-hash", kind(0, false),
            &[b"01_Basics/script1.py", b"01_Basics/b c.py"]
            => "python3.12 -m compileall -f --invalidation-mode checked-hash \
                01_Basics/script1.py '01_Basics/b c.py'";
        command_optimized: (3, 11), "unchecked-hash", kind(2, false), &[b"m.py"]
            => "python3.11 -OO -m compileall -f --invalidation-mode unchecked-hash m.py";
        command_legacy_3: (3, 8), "checked-hash", kind(0, true), &[b"m.py"]
            => "python3.8 -m compileall -f -b --invalidation-mode checked-hash m.py";
        command_before_hash_pycs: (3, 6), "checked-hash", kind(1, false), &[b"m.py"]
            => "python3.6 -O -m compileall -f m.py";
        command_python_2: (2, 7), "checked-hash", kind(0, true), &[b"m.py"]
            => "python2.7 -m compileall -f m.py";
        command_unknown_version: (0, 0), "checked-hash", kind(0, false), &[b"m.py"]
            => "python3 -m compileall -f --invalidation-mode checked-hash m.py";
    }
}
