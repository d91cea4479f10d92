# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_pycache_policy_global_optspecs
    string join \n C= policy= h/help V/version
end

function __fish_pycache_policy_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_pycache_policy_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_pycache_policy_using_subcommand
    set -l cmd (__fish_pycache_policy_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -s C -d 'Run as if started in DIR (like `git -C DIR`); may be repeated' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -l policy -d 'Read the policy from FILE instead of looking for it in the repository' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -s h -l help -d 'Print help'
complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -s V -l version -d 'Print version'
complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -f -a "check" -d 'Judge the staged index: refuse caches the next commit would add or change'
complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -f -a "audit" -d 'Report the caches history holds, and the command that would purge them'
complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -f -a "install" -d 'Install the pre-commit hook (honours core.hooksPath and linked worktrees)'
complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -f -a "uninstall" -d 'Remove the pre-commit hook, restoring the hook that `install --chain` kept'
complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -f -a "init" -d 'Write a commented pycache-policy.toml at the repository root (never overwrites)'
complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -f -a "gitignore" -d 'Make the root .gitignore express the policy, so `git add .` stops offering caches'
complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -f -a "explain" -d 'Say why paths are or are not allowed: the policy\'s rule and git\'s ignore rule'
complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -f -a "inspect" -d 'Show what a pyc holds and whether it matches its source'
complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -f -a "untrack" -d 'Stop tracking every path the policy forbids (git rm -r --cached); files stay on disk'
complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -f -a "purge" -d 'Delete forbidden bytecode caches from the working tree, safely'
complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -f -a "clean" -d 'The one-off cleanup: untrack forbidden caches and fix .gitignore (and purge with --purge)'
complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -f -a "schema" -d 'Print the JSON Schema of pycache-policy.toml, for editors that check TOML against one'
complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -f -a "completions" -d 'Print a completion script for SHELL'
complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -f -a "man" -d 'Write the manual pages (roff): pycache-policy.1 and one per command'
complete -c pycache-policy -n "__fish_pycache_policy_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand check" -l range -d 'Judge what a range of commits adds or changes: BASE..HEAD compares BASE\'s tree with HEAD\'s, BASE...HEAD compares their merge base with HEAD (what a pull request shows)' -r
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand check" -l tree -d 'Judge every path of the tree of REV (a commit, tag or tree); works in a bare repository' -r
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand check" -l format -d 'Output format' -r -f -a "human\t'Grouped by cache folder (or by commit), with the command that fixes it; coloured on a terminal unless NO_COLOR is set'
json\t'One JSON object with a `findings` array (schema in the README)'
github\t'GitHub Actions workflow commands (annotations on the files), then the human report'
sarif\t'SARIF 2.1.0, for code scanning'
junit\t'JUnit XML, for CI systems that show test reports'"
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand check" -l policy-from -d 'Which policy judges: `base` (a range\'s base side; the default for --range and --ci), `head` (what the change brings: only in a job that trusted branches run), `worktree` (the policy file on disk), `index` (the policy as staged; the default otherwise)' -r -f -a "base\t'The base side of a range (the merge base for BASE...HEAD)'
head\t'The head of a range, or the tree of --tree'
worktree\t'The policy file in the working tree'
index\t'The policy as staged in the index'"
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand check" -l deny -d 'Count findings with this code as errors (repeatable), for example `--deny policy-changed`' -r -f -a "tracked-cache\t''
allowlist-missing-readme\t''
gitignore-missing-rule\t''
allowlist-ignored\t''
pyc-stale\t''
pyc-orphan\t''
pyc-tag-mismatch\t''
pyc-invalid\t''
pyc-unverifiable\t''
pyc-unchecked-hash\t''
pyc-code-mismatch\t''
pyc-recompile-unavailable\t''
allowlist-unmatched\t''
policy-changed\t''
policy-untracked\t''"
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand check" -l warn -d 'Count findings with this code as warnings only (repeatable)' -r -f -a "tracked-cache\t''
allowlist-missing-readme\t''
gitignore-missing-rule\t''
allowlist-ignored\t''
pyc-stale\t''
pyc-orphan\t''
pyc-tag-mismatch\t''
pyc-invalid\t''
pyc-unverifiable\t''
pyc-unchecked-hash\t''
pyc-code-mismatch\t''
pyc-recompile-unavailable\t''
allowlist-unmatched\t''
policy-changed\t''
policy-untracked\t''"
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand check" -s C -d 'Run as if started in DIR (like `git -C DIR`); may be repeated' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand check" -l policy -d 'Read the policy from FILE instead of looking for it in the repository' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand check" -l all -d 'Judge every tracked path, not only what the next commit changes'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand check" -l each-commit -d 'With --range or --ci: judge every commit of the range on its own and name the commit that added each cache (a cache added and deleted again is still in history)'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand check" -l ci -d 'Take the range from the CI environment (GitHub Actions pull_request, push and merge_group events; GitLab CI merge request and branch pipelines) and say which it chose. Exit 2 when the environment does not name one'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand check" -s q -l quiet -d 'Print nothing when there are no findings'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand check" -s v -l verbose -d 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand audit" -l format -d 'Output format' -r -f -a "human\t'For people'
json\t'One JSON object, for scripts (its shape is at the end of --help)'"
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand audit" -s C -d 'Run as if started in DIR (like `git -C DIR`); may be repeated' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand audit" -l policy -d 'Read the policy from FILE instead of looking for it in the repository' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand audit" -l all -d 'Walk every ref (branches, tags, remote-tracking branches, ...), as `git log --all`'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand audit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand install" -s C -d 'Run as if started in DIR (like `git -C DIR`); may be repeated' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand install" -l policy -d 'Read the policy from FILE instead of looking for it in the repository' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand install" -l chain -d 'Keep an existing pre-commit hook and run it first'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand install" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand uninstall" -s C -d 'Run as if started in DIR (like `git -C DIR`); may be repeated' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand uninstall" -l policy -d 'Read the policy from FILE instead of looking for it in the repository' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand uninstall" -s h -l help -d 'Print help'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand init" -s C -d 'Run as if started in DIR (like `git -C DIR`); may be repeated' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand init" -l policy -d 'Read the policy from FILE instead of looking for it in the repository' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand init" -s h -l help -d 'Print help'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand gitignore" -s C -d 'Run as if started in DIR (like `git -C DIR`); may be repeated' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand gitignore" -l policy -d 'Read the policy from FILE instead of looking for it in the repository' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand gitignore" -l dry-run -d 'Print the change as a unified diff and write nothing'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand gitignore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand explain" -l format -d 'Output format' -r -f -a "human\t'For people'
json\t'One JSON object, for scripts (its shape is at the end of --help)'"
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand explain" -s C -d 'Run as if started in DIR (like `git -C DIR`); may be repeated' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand explain" -l policy -d 'Read the policy from FILE instead of looking for it in the repository' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand explain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand inspect" -l format -d 'Output format' -r -f -a "human\t'For people'
json\t'One JSON object, for scripts (its shape is at the end of --help)'"
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand inspect" -s C -d 'Run as if started in DIR (like `git -C DIR`); may be repeated' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand inspect" -l policy -d 'Read the policy from FILE instead of looking for it in the repository' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand inspect" -l recompile -d 'Also compile the source with the same Python version (pythonX.Y or python3 on PATH) and compare the code, which the header does not vouch for'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand untrack" -s C -d 'Run as if started in DIR (like `git -C DIR`); may be repeated' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand untrack" -l policy -d 'Read the policy from FILE instead of looking for it in the repository' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand untrack" -l dry-run -d 'Print what would be untracked and change nothing'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand untrack" -s v -l verbose -d 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand untrack" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand purge" -s C -d 'Run as if started in DIR (like `git -C DIR`); may be repeated' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand purge" -l policy -d 'Read the policy from FILE instead of looking for it in the repository' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand purge" -l dry-run -d 'Print what would be removed and delete nothing'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand purge" -l orphans -d 'Also remove pycs whose source .py is missing'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand purge" -s v -l verbose -d 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand purge" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand clean" -s C -d 'Run as if started in DIR (like `git -C DIR`); may be repeated' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand clean" -l policy -d 'Read the policy from FILE instead of looking for it in the repository' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand clean" -l purge -d 'Also delete forbidden caches from the working tree (see `purge`)'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand clean" -l orphans -d 'With --purge: also remove pycs whose source .py is missing'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand clean" -l dry-run -d 'Print what each step would do and change nothing'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand clean" -l exit-non-zero-on-fix -d 'Exit 1 when anything was changed (or needed changing), so a hook that fixes also stops the commit for a review'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand clean" -s v -l verbose -d 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand clean" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand schema" -l policy -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand schema" -s C -d 'Run as if started in DIR (like `git -C DIR`); may be repeated' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand schema" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand completions" -l policy -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand completions" -s C -d 'Run as if started in DIR (like `git -C DIR`); may be repeated' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand man" -l policy -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand man" -s C -d 'Run as if started in DIR (like `git -C DIR`); may be repeated' -r -F
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand man" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand help; and not __fish_seen_subcommand_from check audit install uninstall init gitignore explain inspect untrack purge clean schema completions man help" -f -a "check" -d 'Judge the staged index: refuse caches the next commit would add or change'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand help; and not __fish_seen_subcommand_from check audit install uninstall init gitignore explain inspect untrack purge clean schema completions man help" -f -a "audit" -d 'Report the caches history holds, and the command that would purge them'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand help; and not __fish_seen_subcommand_from check audit install uninstall init gitignore explain inspect untrack purge clean schema completions man help" -f -a "install" -d 'Install the pre-commit hook (honours core.hooksPath and linked worktrees)'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand help; and not __fish_seen_subcommand_from check audit install uninstall init gitignore explain inspect untrack purge clean schema completions man help" -f -a "uninstall" -d 'Remove the pre-commit hook, restoring the hook that `install --chain` kept'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand help; and not __fish_seen_subcommand_from check audit install uninstall init gitignore explain inspect untrack purge clean schema completions man help" -f -a "init" -d 'Write a commented pycache-policy.toml at the repository root (never overwrites)'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand help; and not __fish_seen_subcommand_from check audit install uninstall init gitignore explain inspect untrack purge clean schema completions man help" -f -a "gitignore" -d 'Make the root .gitignore express the policy, so `git add .` stops offering caches'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand help; and not __fish_seen_subcommand_from check audit install uninstall init gitignore explain inspect untrack purge clean schema completions man help" -f -a "explain" -d 'Say why paths are or are not allowed: the policy\'s rule and git\'s ignore rule'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand help; and not __fish_seen_subcommand_from check audit install uninstall init gitignore explain inspect untrack purge clean schema completions man help" -f -a "inspect" -d 'Show what a pyc holds and whether it matches its source'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand help; and not __fish_seen_subcommand_from check audit install uninstall init gitignore explain inspect untrack purge clean schema completions man help" -f -a "untrack" -d 'Stop tracking every path the policy forbids (git rm -r --cached); files stay on disk'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand help; and not __fish_seen_subcommand_from check audit install uninstall init gitignore explain inspect untrack purge clean schema completions man help" -f -a "purge" -d 'Delete forbidden bytecode caches from the working tree, safely'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand help; and not __fish_seen_subcommand_from check audit install uninstall init gitignore explain inspect untrack purge clean schema completions man help" -f -a "clean" -d 'The one-off cleanup: untrack forbidden caches and fix .gitignore (and purge with --purge)'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand help; and not __fish_seen_subcommand_from check audit install uninstall init gitignore explain inspect untrack purge clean schema completions man help" -f -a "schema" -d 'Print the JSON Schema of pycache-policy.toml, for editors that check TOML against one'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand help; and not __fish_seen_subcommand_from check audit install uninstall init gitignore explain inspect untrack purge clean schema completions man help" -f -a "completions" -d 'Print a completion script for SHELL'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand help; and not __fish_seen_subcommand_from check audit install uninstall init gitignore explain inspect untrack purge clean schema completions man help" -f -a "man" -d 'Write the manual pages (roff): pycache-policy.1 and one per command'
complete -c pycache-policy -n "__fish_pycache_policy_using_subcommand help; and not __fish_seen_subcommand_from check audit install uninstall init gitignore explain inspect untrack purge clean schema completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
