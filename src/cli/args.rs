//! The command line: every subcommand, flag and help text, as clap reads them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Keep Python bytecode caches (__pycache__/, *.pyc) out of a git repository, except where it
/// keeps one on purpose.
#[derive(Debug, Parser)]
#[command(
    name = "pycache-policy",
    version = env!("PYCACHE_POLICY_VERSION"),
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
    pub(crate) directories: Vec<PathBuf>,

    /// Read the policy from FILE instead of looking for it in the repository.
    #[arg(long, value_name = "FILE", global = true)]
    pub(crate) policy: Option<PathBuf>,

    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
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
    ///
    /// Which policy judges: a range, the base side's committed policy (the merge base for
    /// BASE...HEAD), so a pull request cannot allow its own caches; --tree REV, REV's own; the
    /// staged index, the policy as staged. A range that changes the policy gets a
    /// `policy-changed` finding. --policy FILE or --policy-from override this.
    Check(CheckArgs),
    /// Report the caches history holds, and the command that would purge them.
    ///
    /// Walks every commit reachable from HEAD (every ref with --all), lists the commits that
    /// added or changed paths the policy forbids, counts the distinct cache blobs and their
    /// size, and prints the `git filter-repo` command that removes them from every commit while
    /// keeping the allowlisted folders. It rewrites nothing. Exit 1 when history holds caches.
    #[command(after_long_help = AUDIT_JSON)]
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
    #[command(after_long_help = EXPLAIN_JSON)]
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
    #[command(after_long_help = INSPECT_JSON)]
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

        /// List every path, however many (by default many are summarised: counts, the largest
        /// folders, and one command that fixes them all).
        #[arg(short, long)]
        verbose: bool,
    },
    /// Delete forbidden bytecode caches from the working tree, safely.
    ///
    /// What `find . -name __pycache__ -type d -exec rm -r {} +` does, except that it removes
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

        /// List every path, however many (by default many are summarised: counts, the largest
        /// folders, and one command that fixes them all).
        #[arg(short, long)]
        verbose: bool,
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

        /// List every path, however many (by default many are summarised: counts, the largest
        /// folders, and one command that fixes them all).
        #[arg(short, long)]
        verbose: bool,
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
pub(crate) enum CheckFormat {
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
pub(crate) enum FormatArg {
    /// For people.
    Human,
    /// One JSON object, for scripts (its shape is at the end of --help).
    Json,
}

/// The JSON of `audit --format json`, as `report::audit::json` writes it.
const AUDIT_JSON: &str = "\
JSON (--format json): one object
  { \"version\": 1, \"policy\": \"<where it came from>\",
    \"walked\": { \"refs\": \"HEAD\" | \"all\", \"commits\": N },
    \"commits\": [ { \"id\", \"summary\", \"paths\": [...] } ],   (newest first)
    \"paths\": [...], \"blobs\": { \"count\": N, \"bytes\": N },
    \"purge\": { \"regex\": \"...\" | null, \"command\": \"git filter-repo ...\" | null,
               \"refused\": { \"pattern\", \"reason\" } | null } }";

/// The JSON of `explain --format json`, as `report::explain::json` writes it.
const EXPLAIN_JSON: &str = "\
JSON (--format json): one object
  { \"version\": 1,
    \"paths\": [ { \"path\", \"policy\", \"forbid_rule\", \"allow_rule\", \"reason\",
                 \"git\": { \"ignored\", \"source\", \"line\", \"pattern\" },
                 \"tracked\", \"agrees\" } ] }";

/// The JSON of `inspect --format json`, as `report::inspect::json` writes it.
const INSPECT_JSON: &str = "\
JSON (--format json): one object
  { \"version\": 1,
    \"files\": [ { \"path\", \"read_from\": \"index\" | \"disk\", \"size\",
                 \"header\": { \"python\", \"magic\", \"header_size\", \"flags\", \"invalidation\", ... }
                           | null,
                 \"error\": \"why the header cannot be read\" | null,
                 \"source\": { \"path\", \"found\", \"size\" } | null,
                 \"source_match\": \"matches\" | \"stale\" | \"no-source\" | \"unknown\",
                 \"source_mtime_matches\": true | false | null,
                 \"problems\": [ { \"code\", \"severity\", \"message\" } ],
                 \"recompile\": { \"verdict\", \"detail\", \"interpreter\" } | null } ] }";

/// The flags of `check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// Judge every tracked path, not only what the next commit changes.
    #[arg(long, conflicts_with_all = ["range", "tree", "ci"])]
    pub(crate) all: bool,

    /// Judge what a range of commits adds or changes: BASE..HEAD compares BASE's tree with
    /// HEAD's, BASE...HEAD compares their merge base with HEAD (what a pull request shows).
    #[arg(long, value_name = "BASE..HEAD", conflicts_with_all = ["tree", "ci"])]
    pub(crate) range: Option<String>,

    /// With --range or --ci: judge every commit of the range on its own and name the commit
    /// that added each cache (a cache added and deleted again is still in history).
    #[arg(long)]
    pub(crate) each_commit: bool,

    /// Judge every path of the tree of REV (a commit, tag or tree); works in a bare
    /// repository.
    #[arg(long, value_name = "REV", conflicts_with = "ci")]
    pub(crate) tree: Option<String>,

    /// Take the range from the CI environment (GitHub Actions pull_request, push and
    /// merge_group events; GitLab CI merge request and branch pipelines) and say which it
    /// chose. Exit 2 when the environment does not name one.
    #[arg(long)]
    pub(crate) ci: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub(crate) format: CheckFormat,

    /// Print nothing when there are no findings.
    #[arg(short, long)]
    pub(crate) quiet: bool,

    /// Which policy judges: `base` (a range's base side; the default for --range and --ci),
    /// `head` (what the change brings: only in a job that trusted branches run), `worktree`
    /// (the policy file on disk), `index` (the policy as staged; the default otherwise).
    #[arg(long, value_enum, value_name = "SIDE")]
    pub(crate) policy_from: Option<PolicyFromArg>,

    /// Count findings with this code as errors (repeatable), for example
    /// `--deny policy-changed`.
    #[arg(long, value_name = "CODE", value_parser = code_names())]
    pub(crate) deny: Vec<String>,

    /// Count findings with this code as warnings only (repeatable).
    #[arg(long, value_name = "CODE", value_parser = code_names())]
    pub(crate) warn: Vec<String>,

    /// List every path, however many (by default many are summarised: counts, the largest
    /// folders, and one command that fixes them all).
    #[arg(short, long)]
    pub(crate) verbose: bool,
}

/// Which side's policy judges a check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum PolicyFromArg {
    /// The base side of a range (the merge base for BASE...HEAD).
    Base,
    /// The head of a range, or the tree of --tree.
    Head,
    /// The policy file in the working tree.
    Worktree,
    /// The policy as staged in the index.
    Index,
}

/// The finding codes `--deny` and `--warn` accept.
fn code_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(
        pycache_policy::model::finding::Code::ALL
            .iter()
            .map(|c| clap::builder::PossibleValue::new(c.as_str())),
    )
}
