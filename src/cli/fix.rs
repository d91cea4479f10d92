//! The fixers' commands: `install`, `uninstall`, `gitignore`, `untrack`, `purge`, `clean` and
//! `init`. Each prints its plan (with `--dry-run`) or what it did.

use std::path::Path;
use std::process::ExitCode;

use pycache_policy::checks::ignore;
use pycache_policy::fix::hook::{self, Installed, Uninstalled};
use pycache_policy::fix::{gitignore, purge};
use pycache_policy::git::repo::Repo;
use pycache_policy::model::error::Error;
use pycache_policy::policy::{POLICY_FILE, Policy};
use pycache_policy::report;

use super::output::indent;
use super::output::{say, sayln, tellln};
use super::{EXIT_FINDINGS, load_policy};

/// `install`: the pre-commit hook.
pub(crate) fn install(repo: &Repo, chain: bool) -> Result<ExitCode, Error> {
    match hook::install(repo, chain)? {
        Installed::New(p) => sayln!("installed the pre-commit hook: {}", p.display()),
        Installed::Chained(p, kept) => sayln!(
            "installed the pre-commit hook: {}\nyour previous hook is kept as {} and runs first",
            p.display(),
            kept.display()
        ),
        Installed::Updated(p) => sayln!("updated the pre-commit hook: {}", p.display()),
        Installed::AlreadyInstalled(p) => {
            sayln!("the pre-commit hook is already installed: {}", p.display())
        }
    }
    if !on_path("pycache-policy") {
        tellln!(
            "warning: `pycache-policy` is not on PATH, so the hook will refuse every \
             commit until it is (for example: cargo install --path <this checkout>)"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `uninstall`: removes the hook we installed, restoring a chained one.
pub(crate) fn uninstall(repo: &Repo) -> Result<ExitCode, Error> {
    match hook::uninstall(repo)? {
        Uninstalled::Removed(p) => sayln!("removed the pre-commit hook: {}", p.display()),
        Uninstalled::Restored(p) => sayln!(
            "removed the pycache-policy hook and restored your previous one: {}",
            p.display()
        ),
        Uninstalled::NotInstalled(p) => {
            sayln!("no pycache-policy hook to remove at {}", p.display())
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `gitignore`: writes the block that makes git's ignore rules express the policy.
pub(crate) fn gitignore(
    repo: &Repo,
    policy_file: Option<&Path>,
    dry_run: bool,
) -> Result<ExitCode, Error> {
    let (policy, matcher) = load_policy(repo, policy_file)?;
    let index = repo.staged_index()?;
    let probes = ignore::probes_thorough(repo, &index, &matcher, &policy)?;
    let plan = gitignore::plan(repo, &policy, &probes)?;
    let shown = plan.path.display();
    if !plan.changes() {
        sayln!("{shown} already expresses the policy; nothing to change");
    } else if dry_run {
        say!("{}", report::gitignore::diff(&plan));
        sayln!("(dry run: {shown} was not changed)");
    } else {
        gitignore::apply(&plan)?;
        sayln!("updated {shown}: the pycache-policy block at its end expresses the policy");
    }
    for d in &plan.defeated {
        let want = if d.probe.want_ignored {
            "should be ignored but is not"
        } else {
            "is kept on purpose but git ignores it"
        };
        let why = d.why_unfixable().unwrap_or_else(|| match d.git.decision() {
            Some(x) => format!("{}:{}: `{}` decides it", x.file, x.line, x.pattern),
            None => "no rule decides it".to_string(),
        });
        tellln!(
            "pycache-policy: {} {want}: {why}",
            report::display_path(&d.probe.path)
        );
    }
    Ok(if plan.defeated.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    })
}

/// `untrack`: removes forbidden paths from the index, as `git rm -r --cached` does.
pub(crate) fn untrack(
    repo: &Repo,
    policy_file: Option<&Path>,
    dry_run: bool,
    verbose: bool,
) -> Result<ExitCode, Error> {
    use pycache_policy::fix::untrack;
    use pycache_policy::report::untrack::Mode;
    untrack::require_index(repo)?;
    let (policy, matcher) = load_policy(repo, policy_file)?;
    let (plan, mode) = if dry_run {
        (untrack::plan(repo, &matcher)?, Mode::DryRun)
    } else {
        (untrack::apply(repo, &matcher)?, Mode::Applied)
    };
    say!("{}", report::untrack::render(&plan, &policy, mode, verbose));
    Ok(ExitCode::SUCCESS)
}

/// `purge`: deletes caches from the working tree that Python can write again.
pub(crate) fn purge(
    repo: &Repo,
    policy_file: Option<&Path>,
    dry_run: bool,
    orphans: bool,
    verbose: bool,
) -> Result<ExitCode, Error> {
    let (_, matcher) = load_policy(repo, policy_file)?;
    let index = repo.staged_index()?;
    let plan = purge::plan(repo.workdir()?, &matcher, Some(&index), orphans)?;
    let done = (!dry_run).then(|| purge::apply(&plan));
    say!("{}", report::purge::render(&plan, done.as_ref(), verbose));
    Ok(match done {
        Some(d) if !d.failed.is_empty() => ExitCode::from(2),
        _ => ExitCode::SUCCESS,
    })
}

/// `init`: writes the commented template policy.
pub(crate) fn init(repo: &Repo) -> Result<ExitCode, Error> {
    let path = repo.workdir()?.join(POLICY_FILE);
    write_template(&path)?;
    sayln!(
        "wrote {}\nedit it (for example to keep a folder on purpose), then run \
         `pycache-policy check --all`",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The flags of `clean`.
pub(crate) struct CleanArgs {
    pub(crate) with_purge: bool,
    pub(crate) orphans: bool,
    pub(crate) dry_run: bool,
    pub(crate) fail_on_fix: bool,
    pub(crate) verbose: bool,
}

/// `clean`: every fixer in turn. The `.gitignore` plan is made before the index changes, so a
/// refusal there (a symlinked `.gitignore`, say) leaves everything as it was. The advice at the
/// end is made from the state after every step, so a second run still says what is left to do.
pub(crate) fn clean(
    repo: &Repo,
    explicit: Option<&Path>,
    args: CleanArgs,
) -> Result<ExitCode, Error> {
    use pycache_policy::fix::untrack;
    use pycache_policy::report::untrack::Mode;
    let CleanArgs {
        with_purge,
        orphans,
        dry_run,
        fail_on_fix,
        verbose,
    } = args;
    untrack::require_index(repo)?;
    // Inside `git commit -a` or `git commit -- PATH` the index is git's lock file: untracking
    // there is lost when the hook fails and, for a partial commit, leaves the real index
    // tracking what the commit dropped. So only the plan is shown, and the commit is refused.
    let in_commit = repo.index_is_commit_lock();
    let (policy, matcher) = load_policy(repo, explicit)?;
    let index = repo.staged_index()?;
    let probes = ignore::probes_thorough(repo, &index, &matcher, &policy)?;
    let ignore_plan = gitignore::plan(repo, &policy, &probes)?;
    let purge_plan = if with_purge {
        Some(purge::plan(
            repo.workdir()?,
            &matcher,
            Some(&index),
            orphans,
        )?)
    } else {
        None
    };

    sayln!("1. untrack");
    let untracked = if dry_run || in_commit {
        untrack::plan(repo, &matcher)?
    } else {
        untrack::apply(repo, &matcher)?
    };
    let mode = if dry_run || in_commit {
        Mode::DryRun
    } else {
        Mode::Step
    };
    say!(
        "{}",
        indent(&report::untrack::render(&untracked, &policy, mode, verbose))
    );
    let left_tracked = in_commit && !dry_run && !untracked.is_empty();
    if left_tracked {
        sayln!(
            "   not untracked: `git commit -a` and `git commit -- PATH` run this hook on a \
             temporary index that git throws away"
        );
    }

    sayln!("2. .gitignore");
    if !ignore_plan.changes() {
        sayln!("   .gitignore already expresses the policy");
    } else if dry_run {
        say!("{}", indent(&report::gitignore::diff(&ignore_plan)));
    } else {
        gitignore::apply(&ignore_plan)?;
        sayln!("   updated .gitignore: the pycache-policy block at its end expresses the policy");
    }
    for d in &ignore_plan.defeated {
        sayln!(
            "   still wrong by git's rules: {} ({})",
            report::display_path(&d.probe.path),
            d.why_unfixable()
                .unwrap_or_else(|| "see `pycache-policy explain`".into())
        );
    }

    let mut failed = false;
    if let Some(plan) = &purge_plan {
        sayln!("3. purge");
        let done = (!dry_run).then(|| purge::apply(plan));
        failed = done.as_ref().is_some_and(|d| !d.failed.is_empty());
        say!(
            "{}",
            indent(&report::purge::render(plan, done.as_ref(), verbose))
        );
    }

    let staged = !untracked.is_empty();
    let ignore_changed = ignore_plan.changes();
    if dry_run {
        sayln!("(dry run: nothing was changed)");
    } else if left_tracked {
        // The pre-commit framework runs the hook from its own environment: the command may not
        // be on the user's PATH, and advising it then would not work.
        if on_path("pycache-policy") {
            sayln!("\nRun `pycache-policy clean` on its own, then commit again.");
        } else {
            sayln!(
                "\nStage your changes with `git add` and run `git commit` again without `-a` or \
                 paths: this hook then untracks them in the real index."
            );
        }
    } else {
        say!(
            "{}",
            next_steps(repo, &matcher, staged && !untracked.no_commits())?
        );
    }
    let fixed = !dry_run && (staged || ignore_changed);
    Ok(if failed {
        ExitCode::from(2)
    } else if !ignore_plan.defeated.is_empty() || left_tracked || (fail_on_fix && fixed) {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

/// What is left to do after `clean`, from the state of the repository rather than from what
/// this run changed: untracking staged by an earlier run is still to be committed, and a
/// `.gitignore` git does not have yet is still to be added. `untracked_now`: this run untracked
/// paths that a commit has.
fn next_steps(
    repo: &Repo,
    matcher: &pycache_policy::policy::matcher::Matcher,
    untracked_now: bool,
) -> Result<String, Error> {
    use pycache_policy::fix::untrack;
    use std::fmt::Write as _;
    let pending = untrack::staged_removals(repo, matcher)?;
    let status = repo
        .git
        .status_file(Path::new(".gitignore"))
        .unwrap_or(git2::Status::CURRENT);
    let add_gitignore = status.intersects(git2::Status::WT_NEW | git2::Status::WT_MODIFIED);
    let gitignore_staged =
        status.intersects(git2::Status::INDEX_NEW | git2::Status::INDEX_MODIFIED);
    let no_commits = repo
        .git
        .head()
        .is_err_and(|e| e.code() == git2::ErrorCode::UnbornBranch);
    let mut out = String::new();
    if !(pending > 0 || untracked_now || add_gitignore || gitignore_staged) {
        out.push_str("\nNothing to commit: the repository already follows the policy.\n");
        return Ok(out);
    }
    out.push_str("\nNext, review and commit:\n  git status\n");
    if add_gitignore {
        out.push_str("  git add .gitignore\n");
    }
    if no_commits {
        out.push_str("  git commit\n(the repository has no commits yet: its first commit leaves the caches out)\n");
    } else if pending > 0 || untracked_now {
        let _ = writeln!(out, "  {}", untrack::COMMIT_COMMAND);
        if !untracked_now {
            let _ = writeln!(
                out,
                "(the untracking of {pending} {} is staged, not yet committed)",
                if pending == 1 { "path" } else { "paths" }
            );
        }
    } else {
        out.push_str("  git commit -m \"Keep Python bytecode caches out with .gitignore\"\n");
    }
    Ok(out)
}

fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            std::fs::metadata(dir.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

fn write_template(path: &Path) -> Result<(), Error> {
    use std::io::Write as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::PolicyExists {
                    path: path.to_path_buf(),
                }
            } else {
                Error::io("create", path)(e)
            }
        })?;
    file.write_all(Policy::template().as_bytes())
        .map_err(Error::io("write", path))
}
