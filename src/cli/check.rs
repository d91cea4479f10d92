//! `check` and `audit`: the commands that judge, and the exit code their findings give.

use std::path::Path;
use std::process::ExitCode;

use pycache_policy::checks::staged::check_index;
use pycache_policy::git::repo::Repo;
use pycache_policy::model::error::Error;
use pycache_policy::model::outcome::Scope;
use pycache_policy::policy::Policy;
use pycache_policy::policy::matcher::Matcher;
use pycache_policy::report::{self, Format};

use super::args::{CheckFormat, Cli, FormatArg};
use super::output::{Progress, color_on, write_step_summary};
use super::output::{say, tellln};
use super::{EXIT_FINDINGS, compile, errors, load_policy};

/// The flags of `check`.
pub(crate) struct CheckArgs {
    pub(crate) all: bool,
    pub(crate) range: Option<String>,
    pub(crate) each_commit: bool,
    pub(crate) tree: Option<String>,
    pub(crate) ci: bool,
    pub(crate) format: CheckFormat,
    pub(crate) quiet: bool,
    pub(crate) verbose: bool,
}

/// `check`: the staged index (the hook), every tracked path (`--all`), or history (`--tree`,
/// `--range`, `--ci`).
pub(crate) fn check(
    repo: &Repo,
    policy_file: Option<&Path>,
    args: CheckArgs,
) -> Result<ExitCode, Error> {
    let CheckArgs {
        all,
        range,
        each_commit,
        tree,
        ci,
        format,
        quiet,
        verbose,
    } = args;
    let format = match format {
        CheckFormat::Human => Format::Human,
        CheckFormat::Json => Format::Json,
        CheckFormat::Github => Format::Github,
        CheckFormat::Sarif => Format::Sarif,
        CheckFormat::Junit => Format::Junit,
    };
    if each_commit && range.is_none() && !ci {
        use clap::CommandFactory as _;
        Cli::command()
            .error(
                clap::error::ErrorKind::MissingRequiredArgument,
                "--each-commit judges the commits of a range: give --range BASE..HEAD \
                 or --ci",
            )
            .exit();
    }
    let history = History {
        range,
        each_commit,
        tree,
        ci,
    };
    let checked = if history.is_some() {
        check_history(repo, policy_file, history)
    } else {
        let scope = if all { Scope::All } else { Scope::Staged };
        load_policy(repo, policy_file).and_then(|(policy, matcher)| {
            let outcome = check_index(repo, &policy, &matcher, scope)?;
            Ok((policy, outcome, scope.into()))
        })
    };
    let (policy, outcome, subject) = match checked {
        Ok(done) => done,
        Err(e) => {
            write_step_summary(&format!(
                "### pycache-policy: could not run\n\n```text\n{}\n```\n",
                errors::describe(&e)
            ));
            return Err(e);
        }
    };
    let report = report::Report {
        outcome: &outcome,
        policy: &policy,
        subject: &subject,
    };
    if !(quiet && outcome.findings.is_empty()) {
        let color = format == Format::Human && color_on(&std::io::stdout());
        say!(
            "{}",
            report::renderer(format, color, verbose).render(&report)
        );
    }
    write_step_summary(&report::step_summary(&report));
    Ok(if outcome.has_errors() {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

/// `audit`: every commit of history that added a forbidden path.
pub(crate) fn audit(
    repo: &Repo,
    policy_file: Option<&Path>,
    all: bool,
    format: FormatArg,
) -> Result<ExitCode, Error> {
    let head = repo.git.head().ok().and_then(|h| h.peel_to_tree().ok());
    let (policy, matcher) = load_history_policy(repo, policy_file, head.as_ref(), "HEAD")?;
    let progress = Progress::new("walked", "commits");
    let audit = pycache_policy::checks::audit::audit(
        &repo.git,
        &policy,
        &matcher,
        repo.ignore_case(),
        all,
        &mut |n| progress.show(n),
    );
    progress.clear();
    let audit = audit?;
    match format {
        FormatArg::Human => {
            say!("{}", report::audit::human(&audit, &policy))
        }
        FormatArg::Json => {
            say!("{}", report::audit::json(&audit, &policy))
        }
    }
    Ok(if audit.found() {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

/// What `check` judges when it judges commits rather than the index.
struct History {
    range: Option<String>,
    each_commit: bool,
    tree: Option<String>,
    ci: bool,
}

impl History {
    fn is_some(&self) -> bool {
        self.range.is_some() || self.tree.is_some() || self.ci
    }
}

/// `check --range`, `--tree` or `--ci`: the policy, the outcome and what was judged.
fn check_history(
    repo: &Repo,
    explicit: Option<&Path>,
    history: History,
) -> Result<
    (
        Policy,
        pycache_policy::model::outcome::Outcome,
        report::Subject,
    ),
    Error,
> {
    use pycache_policy::git::revision::{self, RangeError, Rev};
    use pycache_policy::{checks::ci, checks::tree};
    let git = &repo.git;
    let ignore_case = repo.ignore_case();
    // Before the first commit no revision names anything: say so, rather than "unknown".
    let no_commits = |e: RangeError, rev: &str| match e {
        RangeError::Unknown { .. }
            if git
                .head()
                .is_err_and(|e| e.code() == git2::ErrorCode::UnbornBranch) =>
        {
            Error::NoCommits {
                rev: rev.to_string(),
            }
        }
        e => Error::Range(e),
    };
    if let Some(rev) = &history.tree {
        let (_, tree) = revision::tree(git, Rev::cli(rev)).map_err(|e| no_commits(e, rev))?;
        let (policy, matcher) = load_history_policy(repo, explicit, Some(&tree), rev)?;
        let (outcome, subject) = tree::check_tree(git, &policy, &matcher, ignore_case, rev)?;
        return Ok((policy, outcome, subject));
    }
    let (resolved, chosen, head_name) = match &history.range {
        Some(spec) => {
            let (base, head, merge_base) = revision::parse(spec)?;
            let resolved = revision::resolve(git, spec, Rev::cli(base), Rev::cli(head), merge_base)
                .map_err(|e| no_commits(e, spec))?;
            (resolved, None, head.to_string())
        }
        None => {
            let chosen = ci::detect(&|name| std::env::var(name).ok())?;
            tellln!("pycache-policy: {}", chosen.explain());
            let base = Rev {
                name: &chosen.base.0,
                origin: Some(chosen.base.1),
            };
            let head = Rev {
                name: &chosen.head.0,
                origin: Some(chosen.head.1),
            };
            let resolved = revision::resolve(git, &chosen.spec(), base, head, chosen.merge_base)?;
            let head_name = chosen.head.0.clone();
            (resolved, Some(chosen), head_name)
        }
    };
    let head_tree = git
        .find_commit(resolved.head)
        .and_then(|c| c.tree())
        .map_err(Error::git("read the head commit's tree"))?;
    let (policy, matcher) = load_history_policy(repo, explicit, Some(&head_tree), &head_name)?;
    let (outcome, mut subject) = tree::check_range(
        git,
        &policy,
        &matcher,
        ignore_case,
        &resolved,
        history.each_commit,
    )?;
    if let (report::Subject::Range { chosen_by, .. }, Some(chosen)) = (&mut subject, chosen) {
        *chosen_by = Some(format!(
            "{} {}: {}",
            chosen.system, chosen.event, chosen.description
        ));
    }
    Ok((policy, outcome, subject))
}

/// The policy for judging commits: as for the other commands when there is a working tree (or
/// `--policy`); in a bare repository, the policy file committed in `tree`.
fn load_history_policy(
    repo: &Repo,
    explicit: Option<&Path>,
    tree: Option<&git2::Tree<'_>>,
    label: &str,
) -> Result<(Policy, Matcher), Error> {
    if explicit.is_some() || repo.git.workdir().is_some() {
        return load_policy(repo, explicit);
    }
    let policy = match tree {
        Some(tree) => pycache_policy::checks::tree::policy_from_tree(&repo.git, tree, label)?,
        None => Policy::defaults(),
    };
    let matcher = compile(&policy, repo.ignore_case())?;
    Ok((policy, matcher))
}
