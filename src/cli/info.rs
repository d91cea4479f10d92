//! The commands that describe: `explain`, `inspect`, `schema`, `completions` and `man`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pycache_policy::checks::explain;
use pycache_policy::git::excludes::Excludes;
use pycache_policy::git::repo::Repo;
use pycache_policy::model::error::Error;
use pycache_policy::report;

use super::args::FormatArg;
use super::output::{say, sayln};
use super::{EXIT_FINDINGS, load_policy, repo_relative};

/// `explain`: the policy's verdict and git's for each path.
pub(crate) fn explain(
    repo: &Repo,
    cwd: &Path,
    policy_file: Option<&Path>,
    paths: &[PathBuf],
    format: FormatArg,
) -> Result<ExitCode, Error> {
    let (_, matcher) = load_policy(repo, policy_file)?;
    let workdir = repo.workdir()?.to_path_buf();
    let excludes = Excludes::for_repo(repo)?;
    let index = repo.staged_index()?;
    let mut out = Vec::new();
    for arg in paths {
        let (rel, is_dir) = repo_relative(cwd, &workdir, arg)?;
        out.push(explain::explain(&rel, is_dir, &matcher, &excludes, &index));
    }
    match format {
        FormatArg::Human => say!("{}", report::explain::human(&out)),
        FormatArg::Json => say!("{}", report::explain::json(&out)),
    }
    Ok(ExitCode::SUCCESS)
}

/// `inspect`: each path from the index when the index holds it, else from disk.
pub(crate) fn inspect(
    cwd: &Path,
    paths: &[PathBuf],
    recompile: bool,
    format: FormatArg,
) -> Result<ExitCode, Error> {
    use pycache_policy::checks::inspect::{self, IndexReader};
    let repo = Repo::discover(cwd).ok();
    let workdir = repo.as_ref().and_then(|r| r.workdir().ok());
    let index = match (&repo, workdir) {
        (Some(repo), Some(_)) => Some(repo.staged_index()?),
        _ => None,
    };
    let reader = repo
        .as_ref()
        .zip(index.as_ref())
        .map(|(r, i)| IndexReader::new(r, i));
    let mut targets = Vec::new();
    for arg in paths {
        let rel = workdir.and_then(|w| repo_relative(cwd, w, arg).ok());
        let staged = match (&reader, rel) {
            (Some(reader), Some((rel, _))) => reader.read(&rel)?,
            _ => None,
        };
        targets.push(match staged {
            Some(target) => target,
            None => inspect::read_disk(cwd, arg)?,
        });
    }
    let untrusted: Vec<&Path> = std::iter::once(cwd).chain(workdir).collect();
    let inspections = inspect::inspect(targets, recompile, &untrusted);
    match format {
        FormatArg::Human => say!("{}", report::inspect::human(&inspections)),
        FormatArg::Json => say!("{}", report::inspect::json(&inspections)),
    }
    Ok(if inspections.iter().any(|x| x.has_errors()) {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

/// `schema`: the policy file's JSON Schema.
pub(crate) fn schema() -> Result<ExitCode, Error> {
    say!("{}", pycache_policy::policy::schema::render());
    Ok(ExitCode::SUCCESS)
}

/// `completions`: a shell's completion script.
pub(crate) fn completions(shell: clap_complete::Shell) -> Result<ExitCode, Error> {
    let mut command = super::command();
    // Into a buffer: clap_complete panics when it cannot write, as on a closed pipe.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "pycache-policy", &mut script);
    say!("{}", String::from_utf8_lossy(&script));
    Ok(ExitCode::SUCCESS)
}

/// `man`: the manual pages.
pub(crate) fn man(dir: &Path) -> Result<ExitCode, Error> {
    let command = with_synopses(super::command().disable_help_subcommand(true));
    std::fs::create_dir_all(dir).map_err(Error::io("create the folder", dir))?;
    clap_mangen::generate_to(command, dir)
        .map_err(Error::io("write the manual pages into", dir))?;
    sayln!("wrote the manual pages into {}", dir.display());
    Ok(ExitCode::SUCCESS)
}

/// `cmd` and its subcommands with a man-page synopsis that names each option's argument
/// (`-C <DIR>`, `--policy <FILE>`), which clap_mangen leaves out.
fn with_synopses(mut cmd: clap::Command) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, |s| {
            let usage = synopsis(&s);
            s.override_usage(usage)
        });
    }
    let usage = synopsis(&cmd);
    cmd.override_usage(usage)
}

/// `NAME [-C <DIR>] [--all] ... <PATH>... <COMMAND>`: every visible option with its value.
fn synopsis(cmd: &clap::Command) -> String {
    let mut out = cmd.get_bin_name().unwrap_or(cmd.get_name()).to_string();
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let value = || {
            arg.get_value_names()
                .map(|v| v.join(" "))
                .unwrap_or_else(|| arg.get_id().as_str().to_uppercase())
        };
        if arg.is_positional() {
            let dots = if arg.get_num_args().is_some_and(|n| n.max_values() > 1) {
                "..."
            } else {
                ""
            };
            let shown = format!("<{}>{dots}", value());
            if arg.is_required_set() {
                out.push_str(&format!(" {shown}"));
            } else {
                out.push_str(&format!(" [{shown}]"));
            }
            continue;
        }
        let flag = match (arg.get_short(), arg.get_long()) {
            (Some(s), Some(l)) => format!("-{s}|--{l}"),
            (Some(s), None) => format!("-{s}"),
            (None, Some(l)) => format!("--{l}"),
            (None, None) => continue,
        };
        let takes = arg.get_action().takes_values();
        let value = if takes {
            format!(" <{}>", value())
        } else {
            String::new()
        };
        out.push_str(&format!(" [{flag}{value}]"));
    }
    if cmd.has_subcommands() {
        out.push_str(" <COMMAND>");
    }
    out
}
