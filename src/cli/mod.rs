//! Command-line definitions and the mapping of each command's outcome to output and exit code.

pub mod errors;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use pycache_policy::checks::staged::check_index;
use pycache_policy::fix::hook::{self, Installed, Uninstalled};
use pycache_policy::git::excludes::Excludes;
use pycache_policy::git::repo::Repo;
use pycache_policy::model::error::Error;
use pycache_policy::model::outcome::Scope;
use pycache_policy::policy::matcher::Matcher;
use pycache_policy::policy::{POLICY_FILE, Policy, PolicyError, PolicyProblem};
use pycache_policy::report::{self, Format};
use pycache_policy::{checks::explain, checks::ignore, fix::gitignore, fix::purge};

const EXIT_FINDINGS: u8 = 1;

/// Keep Python bytecode caches (__pycache__/, *.pyc) out of a git repository, except where it
/// keeps one on purpose.
#[derive(Debug, Parser)]
#[command(
    name = "pycache-policy",
    version,
    after_help = "\
Exit codes: 0 clean, 1 findings, 2 could not run (not a repository, bad policy, ...).

The policy is read from --policy FILE, else pycache-policy.toml at the repository root, else
[tool.pycache-policy] in pyproject.toml, else the defaults: forbid __pycache__/, *.py[co] and
*$py.class, allow nothing.

Typical use:
  pycache-policy init          # write a commented pycache-policy.toml
  pycache-policy check --all   # is anything tracked that should not be?
  pycache-policy install       # refuse such commits from now on"
)]
pub struct Cli {
    /// Run as if started in DIR (like `git -C DIR`); may be repeated.
    #[arg(short = 'C', value_name = "DIR", global = true, action = clap::ArgAction::Append)]
    directories: Vec<PathBuf>,

    /// Read the policy from FILE instead of looking for it in the repository.
    #[arg(long, value_name = "FILE", global = true)]
    policy: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Judge the staged index: refuse caches the next commit would add or change.
    ///
    /// Reads the index git is committing (including the temporary index of `git commit -a` and
    /// `git commit -- PATH`), never the working tree: a file changed after `git add` is judged
    /// by what was staged.
    ///
    /// In CI, judge commits instead: --range BASE...HEAD (what a pull request adds),
    /// --each-commit (every commit of it), --tree REV (a whole commit, also in a bare
    /// repository), or --ci (the range the CI system's environment names). These do not read
    /// the working tree's .gitignore files, so they leave out the ignore-side warnings.
    Check {
        /// Judge every tracked path, not only what the next commit changes.
        #[arg(long, conflicts_with_all = ["range", "tree", "ci"])]
        all: bool,

        /// Judge what a range of commits adds or changes: BASE..HEAD compares BASE's tree with
        /// HEAD's, BASE...HEAD compares their merge base with HEAD (what a pull request shows).
        #[arg(long, value_name = "BASE..HEAD", conflicts_with_all = ["tree", "ci"])]
        range: Option<String>,

        /// With --range or --ci: judge every commit of the range on its own and name the commit
        /// that added each cache (a cache added and deleted again is still in history).
        #[arg(long)]
        each_commit: bool,

        /// Judge every path of the tree of REV (a commit, tag or tree); works in a bare
        /// repository.
        #[arg(long, value_name = "REV", conflicts_with = "ci")]
        tree: Option<String>,

        /// Take the range from the CI environment (GitHub Actions pull_request, push and
        /// merge_group events; GitLab CI merge request and branch pipelines) and say which it
        /// chose. Exit 2 when the environment does not name one.
        #[arg(long)]
        ci: bool,

        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,

        /// Print nothing when there are no findings.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Report the caches history holds, and the command that would purge them.
    ///
    /// Walks every commit reachable from HEAD (every ref with --all), lists the commits that
    /// added or changed paths the policy forbids, counts the distinct cache blobs and their
    /// size, and prints the `git filter-repo` command that removes them from every commit while
    /// keeping the allowlisted folders. It rewrites nothing. Exit 1 when history holds caches.
    Audit {
        /// Walk every ref (branches, tags, remote-tracking branches, ...), as `git log --all`.
        #[arg(long)]
        all: bool,

        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Human)]
        format: FormatArg,
    },
    /// Install the pre-commit hook (honours core.hooksPath and linked worktrees).
    ///
    /// Never overwrites a hook you already have: it refuses, or with --chain keeps that hook and
    /// runs it before the check. Running it twice changes nothing.
    Install {
        /// Keep an existing pre-commit hook and run it first.
        #[arg(long)]
        chain: bool,
    },
    /// Remove the pre-commit hook, restoring the hook that `install --chain` kept.
    Uninstall,
    /// Write a commented pycache-policy.toml at the repository root (never overwrites).
    Init,
    /// Make the root .gitignore express the policy, so `git add .` stops offering caches.
    ///
    /// The lines it owns live in one marked block at the end of the file; every other line is
    /// kept as it is. Afterwards git ignores every path the policy forbids and none it keeps,
    /// or the command names the file and line in the way (exit 1).
    Gitignore {
        /// Print the change as a unified diff and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Say why paths are or are not allowed: the policy's rule and git's ignore rule.
    ///
    /// For each PATH: the policy's verdict and the pattern or allow entry that decided it,
    /// git's ignore verdict with the file and line that decided it (as `git check-ignore -v
    /// --no-index` would), and whether it is tracked. A PATH ending in `/` names a folder.
    Explain {
        /// Paths, relative to the current directory.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,

        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Human)]
        format: FormatArg,
    },
    /// Show what a pyc holds and whether it matches its source.
    ///
    /// For each PATH: the Python version that wrote it, its invalidation mode, the recorded
    /// source size and mtime or source hash, and whether that matches its source. A path the
    /// index holds is read from the index, with its source as staged; any other path (outside a
    /// repository too) from disk, with the source beside it. Exit 1 when a pyc is stale,
    /// orphaned, invalid, misnamed, or (with --recompile) holds other code than its source's.
    Inspect {
        /// Pyc files, relative to the current directory.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,

        /// Also compile the source with the same Python version (pythonX.Y or python3 on PATH)
        /// and compare the code, which the header does not vouch for.
        #[arg(long)]
        recompile: bool,

        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Human)]
        format: FormatArg,
    },
    /// Stop tracking every path the policy forbids (git rm -r --cached); files stay on disk.
    ///
    /// Removes from the index every tracked path the policy forbids and does not keep, all
    /// stages of a conflicted one, and stages that removal for the next commit. The index is
    /// written under git's lock (`index.lock`); if it cannot be, nothing changes.
    Untrack {
        /// Print what would be untracked and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Delete forbidden bytecode caches from the working tree, safely.
    ///
    /// The seed's `find . -name __pycache__ -type d -exec rm -r {} +`, except that it removes
    /// only bytecode files (.pyc, .pyo, $py.class) the policy forbids, never in a kept folder,
    /// inside .git or a nested repository, never through a symbolic link, and never a pyc
    /// whose source .py is missing (it may be the only copy of that code) unless --orphans.
    Purge {
        /// Print what would be removed and delete nothing.
        #[arg(long)]
        dry_run: bool,
        /// Also remove pycs whose source .py is missing.
        #[arg(long)]
        orphans: bool,
    },
    /// The one-off cleanup: untrack forbidden caches and fix .gitignore (and purge with --purge).
    ///
    /// Then prints what changed and the exact commands to commit it. It never commits. Inside
    /// `git commit -a` or `git commit -- PATH` (a hook, where git hands over a temporary index
    /// it may throw away) it untracks nothing and exits 1 if there was something to untrack.
    Clean {
        /// Also delete forbidden caches from the working tree (see `purge`).
        #[arg(long)]
        purge: bool,
        /// With --purge: also remove pycs whose source .py is missing.
        #[arg(long, requires = "purge")]
        orphans: bool,
        /// Print what each step would do and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Exit 1 when anything was changed (or needed changing), so a hook that fixes also
        /// stops the commit for a review.
        #[arg(long)]
        exit_non_zero_on_fix: bool,
    },
    /// Print the JSON Schema of pycache-policy.toml, for editors that check TOML against one.
    ///
    /// The repository ships it as pycache-policy.schema.json; it describes the
    /// [tool.pycache-policy] table of pyproject.toml too.
    Schema,
    /// Print a completion script for SHELL.
    ///
    /// bash: `pycache-policy completions bash > ~/.local/share/bash-completion/completions/pycache-policy`;
    /// zsh: into a folder on `fpath`, as `_pycache-policy`; fish:
    /// `~/.config/fish/completions/pycache-policy.fish`; PowerShell: add
    /// `pycache-policy completions powershell | Out-String | Invoke-Expression` to $PROFILE.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the manual pages (roff): pycache-policy.1 and one per command.
    ///
    /// For example `pycache-policy man ~/.local/share/man/man1`, then `man pycache-policy`.
    Man {
        /// The folder to write them into (created if missing).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

/// The output formats of `check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    /// Grouped by cache folder (or by commit), with the command that fixes it; coloured on a
    /// terminal unless NO_COLOR is set.
    Human,
    /// One JSON object with a `findings` array (schema in the README).
    Json,
    /// GitHub Actions workflow commands (annotations on the files), then the human report.
    Github,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// JUnit XML, for CI systems that show test reports.
    Junit,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    /// Grouped by cache folder, with the command that fixes it.
    Human,
    /// One JSON object with a `findings` array.
    Json,
}

/// Runs the parsed command; `Err` means it could not run (exit 2).
pub fn run(cli: Cli) -> Result<ExitCode, Error> {
    for dir in &cli.directories {
        std::env::set_current_dir(dir).map_err(Error::io("change to the directory", dir))?;
    }
    let cwd = std::env::current_dir().map_err(Error::io("read the current directory", "."))?;
    // These describe the tool itself and need no repository.
    match cli.command {
        Command::Schema => {
            print!("{}", pycache_policy::policy::schema::render());
            return Ok(ExitCode::SUCCESS);
        }
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(
                shell,
                &mut command,
                "pycache-policy",
                &mut std::io::stdout(),
            );
            return Ok(ExitCode::SUCCESS);
        }
        Command::Man { dir } => {
            let command = <Cli as clap::CommandFactory>::command();
            std::fs::create_dir_all(&dir).map_err(Error::io("create the folder", &dir))?;
            clap_mangen::generate_to(command, &dir)
                .map_err(Error::io("write the manual pages into", &dir))?;
            println!("wrote the manual pages into {}", dir.display());
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    // `inspect` also reads pycs outside any repository, so it runs before one is required.
    if let Command::Inspect {
        paths,
        recompile,
        format,
    } = &cli.command
    {
        return inspect(&cwd, paths, *recompile, *format);
    }
    let repo = Repo::discover(&cwd)?;
    match cli.command {
        Command::Check {
            all,
            range,
            each_commit,
            tree,
            ci,
            format,
            quiet,
        } => {
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
                check_history(&repo, cli.policy.as_deref(), history)
            } else {
                let scope = if all { Scope::All } else { Scope::Staged };
                load_policy(&repo, cli.policy.as_deref()).and_then(|(policy, matcher)| {
                    let outcome = check_index(&repo, &policy, &matcher, scope)?;
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
                print!("{}", report::renderer(format, color).render(&report));
            }
            write_step_summary(&report::step_summary(&report));
            Ok(if outcome.has_errors() {
                ExitCode::from(EXIT_FINDINGS)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Audit { all, format } => {
            let head = repo.git.head().ok().and_then(|h| h.peel_to_tree().ok());
            let (policy, matcher) =
                load_history_policy(&repo, cli.policy.as_deref(), head.as_ref(), "HEAD")?;
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
                    print!("{}", report::audit::human(&audit, &policy))
                }
                FormatArg::Json => {
                    print!("{}", report::audit::json(&audit, &policy))
                }
            }
            Ok(if audit.found() {
                ExitCode::from(EXIT_FINDINGS)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Install { chain } => {
            match hook::install(&repo, chain)? {
                Installed::New(p) => println!("installed the pre-commit hook: {}", p.display()),
                Installed::Chained(p, kept) => println!(
                    "installed the pre-commit hook: {}\nyour previous hook is kept as {} and runs first",
                    p.display(),
                    kept.display()
                ),
                Installed::Updated(p) => println!("updated the pre-commit hook: {}", p.display()),
                Installed::AlreadyInstalled(p) => {
                    println!("the pre-commit hook is already installed: {}", p.display())
                }
            }
            if !on_path("pycache-policy") {
                eprintln!(
                    "warning: `pycache-policy` is not on PATH, so the hook will refuse every \
                     commit until it is (for example: cargo install --path <this checkout>)"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Uninstall => {
            match hook::uninstall(&repo)? {
                Uninstalled::Removed(p) => println!("removed the pre-commit hook: {}", p.display()),
                Uninstalled::Restored(p) => println!(
                    "removed the pycache-policy hook and restored your previous one: {}",
                    p.display()
                ),
                Uninstalled::NotInstalled(p) => {
                    println!("no pycache-policy hook to remove at {}", p.display())
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Gitignore { dry_run } => {
            let (policy, matcher) = load_policy(&repo, cli.policy.as_deref())?;
            let index = repo.staged_index()?;
            let probes = ignore::probes_thorough(&repo, &index, &matcher, &policy)?;
            let plan = gitignore::plan(&repo, &policy, &probes)?;
            let shown = plan.path.display();
            if !plan.changes() {
                println!("{shown} already expresses the policy; nothing to change");
            } else if dry_run {
                print!("{}", report::gitignore::diff(&plan));
                println!("(dry run: {shown} was not changed)");
            } else {
                gitignore::apply(&plan)?;
                println!(
                    "updated {shown}: the pycache-policy block at its end expresses the policy"
                );
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
                eprintln!(
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
        Command::Explain { paths, format } => {
            let (_, matcher) = load_policy(&repo, cli.policy.as_deref())?;
            let workdir = repo.workdir()?.to_path_buf();
            let excludes = Excludes::for_repo(&repo)?;
            let index = repo.staged_index()?;
            let mut out = Vec::new();
            for arg in &paths {
                let (rel, is_dir) = repo_relative(&cwd, &workdir, arg)?;
                out.push(explain::explain(&rel, is_dir, &matcher, &excludes, &index));
            }
            match format {
                FormatArg::Human => print!("{}", report::explain::human(&out)),
                FormatArg::Json => print!("{}", report::explain::json(&out)),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Inspect { .. } => unreachable!("`inspect` runs before the repository is opened"),
        Command::Schema | Command::Completions { .. } | Command::Man { .. } => {
            unreachable!("they run before the repository is opened")
        }
        Command::Init => {
            let path = repo.workdir()?.join(POLICY_FILE);
            init(&path)?;
            println!(
                "wrote {}\nedit it (for example to keep a folder on purpose), then run \
                 `pycache-policy check --all`",
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Untrack { dry_run } => {
            use pycache_policy::fix::untrack;
            use pycache_policy::report::untrack::Mode;
            untrack::require_index(&repo)?;
            let (policy, matcher) = load_policy(&repo, cli.policy.as_deref())?;
            let (plan, mode) = if dry_run {
                (untrack::plan(&repo, &matcher)?, Mode::DryRun)
            } else {
                (untrack::apply(&repo, &matcher)?, Mode::Applied)
            };
            print!("{}", report::untrack::render(&plan, &policy, mode));
            Ok(ExitCode::SUCCESS)
        }
        Command::Purge { dry_run, orphans } => {
            let (_, matcher) = load_policy(&repo, cli.policy.as_deref())?;
            let index = repo.staged_index()?;
            let plan = purge::plan(repo.workdir()?, &matcher, Some(&index), orphans)?;
            let done = (!dry_run).then(|| purge::apply(&plan));
            print!("{}", report::purge::render(&plan, done.as_ref()));
            Ok(match done {
                Some(d) if !d.failed.is_empty() => ExitCode::from(2),
                _ => ExitCode::SUCCESS,
            })
        }
        Command::Clean {
            purge: with_purge,
            orphans,
            dry_run,
            exit_non_zero_on_fix,
        } => clean(
            &repo,
            cli.policy.as_deref(),
            with_purge,
            orphans,
            dry_run,
            exit_non_zero_on_fix,
        ),
    }
}

/// `clean`: every fixer in turn. The `.gitignore` plan is made before the index changes, so a
/// refusal there (a symlinked `.gitignore`, say) leaves everything as it was.
fn clean(
    repo: &Repo,
    explicit: Option<&Path>,
    with_purge: bool,
    orphans: bool,
    dry_run: bool,
    fail_on_fix: bool,
) -> Result<ExitCode, Error> {
    use pycache_policy::fix::untrack;
    use pycache_policy::report::untrack::Mode;
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

    println!("1. untrack");
    let untracked = if dry_run || in_commit {
        untrack::plan(repo, &matcher)?
    } else {
        untrack::apply(repo, &matcher)?
    };
    let mode = if dry_run || in_commit {
        Mode::DryRun
    } else {
        Mode::Applied
    };
    print!(
        "{}",
        indent(&report::untrack::render(&untracked, &policy, mode))
    );
    let left_tracked = in_commit && !dry_run && !untracked.is_empty();
    if left_tracked {
        println!(
            "   not untracked: `git commit -a` and `git commit -- PATH` run this hook on a \
             temporary index that git throws away"
        );
    }

    println!("2. .gitignore");
    if !ignore_plan.changes() {
        println!("   .gitignore already expresses the policy");
    } else if dry_run {
        print!("{}", indent(&report::gitignore::diff(&ignore_plan)));
    } else {
        gitignore::apply(&ignore_plan)?;
        println!("   updated .gitignore: the pycache-policy block at its end expresses the policy");
    }
    for d in &ignore_plan.defeated {
        println!(
            "   still wrong by git's rules: {} ({})",
            report::display_path(&d.probe.path),
            d.why_unfixable()
                .unwrap_or_else(|| "see `pycache-policy explain`".into())
        );
    }

    let mut failed = false;
    if let Some(plan) = &purge_plan {
        println!("3. purge");
        let done = (!dry_run).then(|| purge::apply(plan));
        failed = done.as_ref().is_some_and(|d| !d.failed.is_empty());
        print!("{}", indent(&report::purge::render(plan, done.as_ref())));
    }

    let staged = !untracked.is_empty();
    let ignore_changed = ignore_plan.changes();
    if dry_run {
        println!("(dry run: nothing was changed)");
    } else if left_tracked {
        println!("\nRun `pycache-policy clean` on its own, then commit again.");
    } else if staged || ignore_changed {
        println!("\nNext, review and commit:");
        println!("  git status");
        if ignore_changed {
            println!("  git add .gitignore");
        }
        println!("  git commit -m \"Stop tracking Python bytecode caches\"");
    } else {
        println!("\nNothing to commit: the repository already follows the policy.");
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

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("   {l}\n")).collect()
}

/// The policy's matcher; a pattern that will not compile is a problem of the policy file.
fn compile(policy: &Policy, ignore_case: bool) -> Result<Matcher, Error> {
    Matcher::new(policy, ignore_case).map_err(|message| {
        Error::Policy(PolicyError {
            origin: policy.origin.clone(),
            problems: vec![PolicyProblem {
                line: 0,
                column: 0,
                message,
            }],
        })
    })
}

/// The policy for `repo` (or from `--policy`), and its compiled matcher.
fn load_policy(repo: &Repo, explicit: Option<&Path>) -> Result<(Policy, Matcher), Error> {
    let policy = Policy::discover(Some(repo.workdir()?), explicit)?;
    let matcher = compile(&policy, repo.ignore_case())?;
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

/// `inspect`: each path from the index when the index holds it, else from disk.
fn inspect(
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
    let inspections = inspect::inspect(targets, recompile);
    match format {
        FormatArg::Human => print!("{}", report::inspect::human(&inspections)),
        FormatArg::Json => print!("{}", report::inspect::json(&inspections)),
    }
    Ok(if inspections.iter().any(|x| x.has_errors()) {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

fn init(path: &Path) -> Result<(), Error> {
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

fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| {
            std::fs::metadata(dir.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
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
    use pycache_policy::git::revision::{self, Rev};
    use pycache_policy::{checks::ci, checks::tree};
    let git = &repo.git;
    let ignore_case = repo.ignore_case();
    if let Some(rev) = &history.tree {
        let (_, tree) = revision::tree(git, Rev::cli(rev))?;
        let (policy, matcher) = load_history_policy(repo, explicit, Some(&tree), rev)?;
        let (outcome, subject) = tree::check_tree(git, &policy, &matcher, ignore_case, rev)?;
        return Ok((policy, outcome, subject));
    }
    let (resolved, chosen, head_name) = match &history.range {
        Some(spec) => {
            let (base, head, merge_base) = revision::parse(spec)?;
            let resolved =
                revision::resolve(git, spec, Rev::cli(base), Rev::cli(head), merge_base)?;
            (resolved, None, head.to_string())
        }
        None => {
            let chosen = ci::detect(&|name| std::env::var(name).ok())?;
            eprintln!("pycache-policy: {}", chosen.explain());
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

/// Whether to colour what goes to `stream`: a terminal, and `NO_COLOR` unset or empty
/// (no-color.org).
fn color_on(stream: &impl std::io::IsTerminal) -> bool {
    stream.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// On GitHub Actions, appends `markdown` to the job summary (`$GITHUB_STEP_SUMMARY`). A summary
/// that cannot be written is not worth failing the check for: it is said on stderr.
fn write_step_summary(markdown: &str) {
    use std::io::Write as _;
    if std::env::var("GITHUB_ACTIONS").as_deref() != Ok("true") {
        return;
    }
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .and_then(|mut f| f.write_all(markdown.as_bytes()));
    if let Err(e) = written {
        eprintln!(
            "pycache-policy: warning: cannot write the job summary {}: {e}",
            std::path::Path::new(&path).display()
        );
    }
}

/// A progress line on stderr, shown only on a terminal and only once a task has taken more than
/// a moment.
struct Progress {
    start: std::time::Instant,
    on: bool,
    shown: std::cell::Cell<bool>,
    verb: &'static str,
    noun: &'static str,
}

impl Progress {
    const AFTER: std::time::Duration = std::time::Duration::from_millis(500);

    fn new(verb: &'static str, noun: &'static str) -> Progress {
        Progress {
            start: std::time::Instant::now(),
            on: std::io::IsTerminal::is_terminal(&std::io::stderr()),
            shown: std::cell::Cell::new(false),
            verb,
            noun,
        }
    }

    fn show(&self, n: usize) {
        if self.on && self.start.elapsed() >= Self::AFTER {
            eprint!("\rpycache-policy: {n} {} {}", self.noun, self.verb);
            self.shown.set(true);
        }
    }

    fn clear(&self) {
        if self.shown.get() {
            eprint!("\r\x1b[K");
        }
    }
}
