//! The command line: parses arguments (`args`), runs one function per command (`check`, `fix`,
//! `info`), prints, and maps each outcome to an exit code (0 clean, 1 findings, 2 could not run).
//! This is the only part of the program that prints.

mod args;
mod check;
pub mod errors;
mod fix;
mod info;
pub(crate) mod output;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pycache_policy::git::repo::Repo;
use pycache_policy::model::error::Error;
use pycache_policy::policy::Policy;
use pycache_policy::policy::matcher::Matcher;
use pycache_policy::policy::source::matcher_for;

pub use args::Cli;
use args::Command;

const EXIT_FINDINGS: u8 = 1;

/// The command line as clap reads it, built, with `--policy` hidden where it does nothing: the
/// commands that describe the tool read no policy.
pub fn command() -> clap::Command {
    let mut cmd = unbuilt_command();
    cmd.build();
    cmd
}

/// [`command`] before clap's recursive build, which parsing does not need: clap builds the one
/// subcommand it matches (building all of them was a quarter of a check on an empty repository).
fn unbuilt_command() -> clap::Command {
    use clap::CommandFactory as _;
    let mut cmd = Cli::command();
    // A global argument is not copied into a subcommand that has its own of that name: a hidden
    // one, so that `schema --policy FILE` still parses, as it did.
    for name in ["schema", "completions", "man"] {
        cmd = cmd.mut_subcommand(name, |s| {
            s.arg(
                clap::Arg::new("policy")
                    .long("policy")
                    .value_name("FILE")
                    .value_parser(clap::value_parser!(PathBuf))
                    .hide(true),
            )
        });
    }
    cmd
}

/// Parses the process's arguments (exiting with clap's message when they do not parse).
pub fn parse() -> Cli {
    use clap::FromArgMatches as _;
    let matches = unbuilt_command()
        .try_get_matches()
        .unwrap_or_else(|e| closest_first(e).exit());
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// clap orders the subcommands it suggests for a misspelt one by its own similarity, which puts
/// `schema` before `check` for `chek`; a user who drops or swaps a letter means the command
/// fewest edits away, so that one comes first.
fn closest_first(mut e: clap::Error) -> clap::Error {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::InvalidSubcommand {
        return e;
    }
    let typed = match e.get(ContextKind::InvalidSubcommand) {
        Some(ContextValue::String(s)) => s.clone(),
        _ => return e,
    };
    if let Some(ContextValue::Strings(mut names)) = e.get(ContextKind::SuggestedSubcommand).cloned()
    {
        names.sort_by_key(|n| edits(&typed, n));
        e.insert(
            ContextKind::SuggestedSubcommand,
            ContextValue::Strings(names),
        );
    }
    e
}

/// Edits (insertions, deletions, substitutions, swaps of neighbours) from `a` to `b`.
fn edits(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// Runs the parsed command; `Err` means it could not run (exit 2).
pub fn run(cli: Cli) -> Result<ExitCode, Error> {
    for dir in &cli.directories {
        std::env::set_current_dir(dir).map_err(Error::io("change to the directory", dir))?;
    }
    let cwd = std::env::current_dir().map_err(Error::io("read the current directory", "."))?;
    let policy = cli.policy.as_deref();
    // These need no repository: they describe the tool, or (`inspect`) read pycs anywhere.
    match &cli.command {
        Command::Schema => return info::schema(),
        Command::Completions { shell } => return info::completions(*shell),
        Command::Man { dir } => return info::man(dir),
        Command::Inspect {
            paths,
            recompile,
            format,
        } => return info::inspect(&cwd, paths, *recompile, *format),
        _ => {}
    }
    let repo = Repo::discover(&cwd)?;
    match cli.command {
        Command::Check(args) => check::check(&repo, policy, args),
        Command::Audit { all, format } => check::audit(&repo, policy, all, format),
        Command::Install { chain } => fix::install(&repo, chain),
        Command::Uninstall => fix::uninstall(&repo),
        Command::Gitignore { dry_run } => fix::gitignore(&repo, policy, dry_run),
        Command::Explain { paths, format } => info::explain(&repo, &cwd, policy, &paths, format),
        Command::Init => fix::init(&repo),
        Command::Untrack { dry_run, verbose } => fix::untrack(&repo, policy, dry_run, verbose),
        Command::Purge {
            dry_run,
            orphans,
            verbose,
        } => fix::purge(&repo, policy, dry_run, orphans, verbose),
        Command::Clean {
            purge,
            orphans,
            dry_run,
            exit_non_zero_on_fix,
            verbose,
        } => fix::clean(
            &repo,
            policy,
            fix::CleanArgs {
                with_purge: purge,
                orphans,
                dry_run,
                fail_on_fix: exit_non_zero_on_fix,
                verbose,
            },
        ),
        Command::Inspect { .. }
        | Command::Schema
        | Command::Completions { .. }
        | Command::Man { .. } => unreachable!("they run before the repository is opened"),
    }
}

/// The policy for `repo` (or from `--policy`), and its compiled matcher.
fn load_policy(repo: &Repo, explicit: Option<&Path>) -> Result<(Policy, Matcher), Error> {
    let policy = Policy::discover(Some(repo.workdir()?), explicit)?;
    let matcher = matcher_for(&policy, repo.ignore_case())?;
    Ok((policy, matcher))
}

/// A command-line path as a repository-relative, `/`-separated path, and whether it names a
/// folder (a trailing `/`, or a folder on disk).
fn repo_relative(cwd: &Path, workdir: &Path, arg: &Path) -> Result<(Vec<u8>, bool), Error> {
    use std::os::unix::ffi::OsStrExt as _;
    use std::path::Component;
    let trailing_slash = arg.as_os_str().as_bytes().ends_with(b"/");
    let absolute = cwd.join(arg);
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for c in absolute.components() {
        match c {
            Component::RootDir | Component::Prefix(_) | Component::CurDir => {}
            Component::ParentDir => {
                parts.pop();
            }
            Component::Normal(p) => parts.push(p),
        }
    }
    let normalized: PathBuf = std::iter::once(std::ffi::OsStr::new("/"))
        .chain(parts)
        .collect();
    let workdir = workdir
        .canonicalize()
        .unwrap_or_else(|_| workdir.to_path_buf());
    let rel = normalized
        .strip_prefix(&workdir)
        .map_err(|_| Error::OutsideRepository {
            path: arg.to_path_buf(),
            workdir: workdir.clone(),
        })?;
    let is_dir = trailing_slash || normalized.is_dir();
    Ok((rel.as_os_str().as_bytes().to_vec(), is_dir))
}
