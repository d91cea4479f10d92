//! `check` and `audit`: the commands that judge, and the exit code their findings give.

use std::path::Path;
use std::process::ExitCode;

use pycache_policy::checks::gate::{self, Judging};
use pycache_policy::git::repo::Repo;
use pycache_policy::model::error::Error;
use pycache_policy::model::finding::Code;
use pycache_policy::model::outcome::{Outcome, Scope};
use pycache_policy::policy::Policy;
use pycache_policy::policy::matcher::Matcher;
use pycache_policy::policy::source::{PolicySide, matcher_for};
use pycache_policy::report::{self, Format};

use super::args::{CheckArgs, CheckFormat, Cli, FormatArg, PolicyFromArg};
use super::output::{Progress, color_on, write_step_summary, write_step_summary_with};
use super::output::{say, tellln};
use super::{EXIT_FINDINGS, errors, load_policy};

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
        policy_from,
        deny,
        warn,
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
    if policy_file.is_some() && policy_from.is_some() {
        use clap::CommandFactory as _;
        Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--policy FILE and --policy-from choose the policy two ways: give one",
            )
            .exit();
    }
    let history = History {
        range,
        each_commit,
        tree,
        ci,
    };
    let checked = judging(repo, policy_file, policy_from).and_then(|judging| {
        if history.is_some() {
            check_history(repo, judging, history)
        } else {
            let scope = if all { Scope::All } else { Scope::Staged };
            let given = match judging {
                Judging::Given(policy) => Some(policy),
                Judging::Side(_) => None,
            };
            let judged = gate::judge_staged(repo, given, scope)?;
            Ok((judged.policy, judged.outcome, judged.subject))
        }
    });
    let (policy, mut outcome, subject) = match checked {
        Ok(done) => done,
        Err(e) => {
            write_step_summary(&format!(
                "### pycache-policy: could not run\n\n```text\n{}\n```\n",
                errors::describe(&e)
            ));
            return Err(e);
        }
    };
    let codes = |names: &[String]| -> Vec<Code> {
        names.iter().filter_map(|n| Code::from_name(n)).collect()
    };
    outcome.set_levels(&codes(&deny), &codes(&warn));
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
    write_step_summary_with(|| report::step_summary(&report));
    let code = if outcome.has_errors() {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    };
    // The process ends next: freeing tens of thousands of findings one by one (a tenth of
    // `check --all` on 50,000 tracked caches) would only delay the exit, as git's UNLEAK knows.
    std::mem::forget(outcome);
    Ok(code)
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

/// Where the judging policy comes from: `--policy FILE`, else `--policy-from`, else the side
/// each kind of check uses by default (see `policy::source`).
fn judging(
    repo: &Repo,
    policy_file: Option<&Path>,
    from: Option<PolicyFromArg>,
) -> Result<Judging, Error> {
    if policy_file.is_some() {
        return Ok(Judging::Given(Policy::discover(None, policy_file)?));
    }
    Ok(match from {
        Some(PolicyFromArg::Worktree) => {
            Judging::Given(Policy::discover(Some(repo.workdir()?), None)?)
        }
        Some(PolicyFromArg::Head) => Judging::Side(PolicySide::Head),
        Some(PolicyFromArg::Index) => Judging::Side(PolicySide::Index),
        Some(PolicyFromArg::Base) | None => Judging::Side(PolicySide::Base),
    })
}

/// `check --range`, `--tree` or `--ci`: the policy, the outcome and what was judged.
fn check_history(
    repo: &Repo,
    judging: Judging,
    history: History,
) -> Result<(Policy, Outcome, report::Subject), Error> {
    use pycache_policy::checks::ci;
    use pycache_policy::git::revision::{self, RangeError, Rev};
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
    if let Judging::Side(PolicySide::Index) = judging {
        let staged = pycache_policy::policy::source::from_index(repo, &repo.staged_index()?)?;
        return check_history(repo, Judging::Given(staged.policy), history);
    }
    if let Some(rev) = &history.tree {
        let judged = gate::judge_tree(git, rev, judging, ignore_case).map_err(|e| match e {
            Error::Range(r) => no_commits(r, rev),
            e => e,
        })?;
        return Ok((judged.policy, judged.outcome, judged.subject));
    }
    let (resolved, chosen, names) = match &history.range {
        Some(spec) => {
            let (base, head, merge_base) = revision::parse(spec)?;
            let resolved = revision::resolve(git, spec, Rev::cli(base), Rev::cli(head), merge_base)
                .map_err(|e| no_commits(e, spec))?;
            (resolved, None, (base.to_string(), head.to_string()))
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
            let names = (chosen.base.0.clone(), chosen.head.0.clone());
            (resolved, Some(chosen), names)
        }
    };
    let judged = gate::judge_range(
        git,
        &resolved,
        (&names.0, &names.1),
        judging,
        history.each_commit,
        ignore_case,
    )?;
    let mut subject = judged.subject;
    if let (report::Subject::Range { chosen_by, .. }, Some(chosen)) = (&mut subject, chosen) {
        *chosen_by = Some(format!(
            "{} {}: {}",
            chosen.system, chosen.event, chosen.description
        ));
    }
    Ok((judged.policy, judged.outcome, subject))
}

/// The policy for `audit`: `--policy`, else the working tree's, else (a bare repository) the one
/// committed in `tree`.
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
        Some(tree) => pycache_policy::policy::source::from_tree(&repo.git, tree, label)?,
        None => Policy::defaults(),
    };
    let matcher = matcher_for(&policy, repo.ignore_case())?;
    Ok((policy, matcher))
}
