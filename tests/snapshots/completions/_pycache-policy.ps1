
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'pycache-policy' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'pycache-policy'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'pycache-policy' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR (like `git -C DIR`); may be repeated')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Read the policy from FILE instead of looking for it in the repository')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Judge the staged index: refuse caches the next commit would add or change')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Report the caches history holds, and the command that would purge them')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install the pre-commit hook (honours core.hooksPath and linked worktrees)')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove the pre-commit hook, restoring the hook that `install --chain` kept')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented pycache-policy.toml at the repository root (never overwrites)')
            [CompletionResult]::new('gitignore', 'gitignore', [CompletionResultType]::ParameterValue, 'Make the root .gitignore express the policy, so `git add .` stops offering caches')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Say why paths are or are not allowed: the policy''s rule and git''s ignore rule')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show what a pyc holds and whether it matches its source')
            [CompletionResult]::new('untrack', 'untrack', [CompletionResultType]::ParameterValue, 'Stop tracking every path the policy forbids (git rm -r --cached); files stay on disk')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete forbidden bytecode caches from the working tree, safely')
            [CompletionResult]::new('clean', 'clean', [CompletionResultType]::ParameterValue, 'The one-off cleanup: untrack forbidden caches and fix .gitignore (and purge with --purge)')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of pycache-policy.toml, for editors that check TOML against one')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a completion script for SHELL')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write the manual pages (roff): pycache-policy.1 and one per command')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pycache-policy;check' {
            [CompletionResult]::new('--range', '--range', [CompletionResultType]::ParameterName, 'Judge what a range of commits adds or changes: BASE..HEAD compares BASE''s tree with HEAD''s, BASE...HEAD compares their merge base with HEAD (what a pull request shows)')
            [CompletionResult]::new('--tree', '--tree', [CompletionResultType]::ParameterName, 'Judge every path of the tree of REV (a commit, tag or tree); works in a bare repository')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--policy-from', '--policy-from', [CompletionResultType]::ParameterName, 'Which policy judges: `base` (a range''s base side; the default for --range and --ci), `head` (what the change brings: only in a job that trusted branches run), `worktree` (the policy file on disk), `index` (the policy as staged; the default otherwise)')
            [CompletionResult]::new('--deny', '--deny', [CompletionResultType]::ParameterName, 'Count findings with this code as errors (repeatable), for example `--deny policy-changed`')
            [CompletionResult]::new('--warn', '--warn', [CompletionResultType]::ParameterName, 'Count findings with this code as warnings only (repeatable)')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR (like `git -C DIR`); may be repeated')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Read the policy from FILE instead of looking for it in the repository')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Judge every tracked path, not only what the next commit changes')
            [CompletionResult]::new('--each-commit', '--each-commit', [CompletionResultType]::ParameterName, 'With --range or --ci: judge every commit of the range on its own and name the commit that added each cache (a cache added and deleted again is still in history)')
            [CompletionResult]::new('--ci', '--ci', [CompletionResultType]::ParameterName, 'Take the range from the CI environment (GitHub Actions pull_request, push and merge_group events; GitLab CI merge request and branch pipelines) and say which it chose. Exit 2 when the environment does not name one')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing when there are no findings')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing when there are no findings')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pycache-policy;audit' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR (like `git -C DIR`); may be repeated')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Read the policy from FILE instead of looking for it in the repository')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Walk every ref (branches, tags, remote-tracking branches, ...), as `git log --all`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pycache-policy;install' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR (like `git -C DIR`); may be repeated')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Read the policy from FILE instead of looking for it in the repository')
            [CompletionResult]::new('--chain', '--chain', [CompletionResultType]::ParameterName, 'Keep an existing pre-commit hook and run it first')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pycache-policy;uninstall' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR (like `git -C DIR`); may be repeated')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Read the policy from FILE instead of looking for it in the repository')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pycache-policy;init' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR (like `git -C DIR`); may be repeated')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Read the policy from FILE instead of looking for it in the repository')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pycache-policy;gitignore' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR (like `git -C DIR`); may be repeated')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Read the policy from FILE instead of looking for it in the repository')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the change as a unified diff and write nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pycache-policy;explain' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR (like `git -C DIR`); may be repeated')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Read the policy from FILE instead of looking for it in the repository')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pycache-policy;inspect' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR (like `git -C DIR`); may be repeated')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Read the policy from FILE instead of looking for it in the repository')
            [CompletionResult]::new('--recompile', '--recompile', [CompletionResultType]::ParameterName, 'Also compile the source with the same Python version (pythonX.Y or python3 on PATH) and compare the code, which the header does not vouch for')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pycache-policy;untrack' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR (like `git -C DIR`); may be repeated')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Read the policy from FILE instead of looking for it in the repository')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be untracked and change nothing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pycache-policy;purge' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR (like `git -C DIR`); may be repeated')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Read the policy from FILE instead of looking for it in the repository')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what would be removed and delete nothing')
            [CompletionResult]::new('--orphans', '--orphans', [CompletionResultType]::ParameterName, 'Also remove pycs whose source .py is missing')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pycache-policy;clean' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR (like `git -C DIR`); may be repeated')
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'Read the policy from FILE instead of looking for it in the repository')
            [CompletionResult]::new('--purge', '--purge', [CompletionResultType]::ParameterName, 'Also delete forbidden caches from the working tree (see `purge`)')
            [CompletionResult]::new('--orphans', '--orphans', [CompletionResultType]::ParameterName, 'With --purge: also remove pycs whose source .py is missing')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print what each step would do and change nothing')
            [CompletionResult]::new('--exit-non-zero-on-fix', '--exit-non-zero-on-fix', [CompletionResultType]::ParameterName, 'Exit 1 when anything was changed (or needed changing), so a hook that fixes also stops the commit for a review')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pycache-policy;schema' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'policy')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR (like `git -C DIR`); may be repeated')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pycache-policy;completions' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'policy')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR (like `git -C DIR`); may be repeated')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pycache-policy;man' {
            [CompletionResult]::new('--policy', '--policy', [CompletionResultType]::ParameterName, 'policy')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'Run as if started in DIR (like `git -C DIR`); may be repeated')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pycache-policy;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Judge the staged index: refuse caches the next commit would add or change')
            [CompletionResult]::new('audit', 'audit', [CompletionResultType]::ParameterValue, 'Report the caches history holds, and the command that would purge them')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install the pre-commit hook (honours core.hooksPath and linked worktrees)')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove the pre-commit hook, restoring the hook that `install --chain` kept')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented pycache-policy.toml at the repository root (never overwrites)')
            [CompletionResult]::new('gitignore', 'gitignore', [CompletionResultType]::ParameterValue, 'Make the root .gitignore express the policy, so `git add .` stops offering caches')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Say why paths are or are not allowed: the policy''s rule and git''s ignore rule')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Show what a pyc holds and whether it matches its source')
            [CompletionResult]::new('untrack', 'untrack', [CompletionResultType]::ParameterValue, 'Stop tracking every path the policy forbids (git rm -r --cached); files stay on disk')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete forbidden bytecode caches from the working tree, safely')
            [CompletionResult]::new('clean', 'clean', [CompletionResultType]::ParameterValue, 'The one-off cleanup: untrack forbidden caches and fix .gitignore (and purge with --purge)')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of pycache-policy.toml, for editors that check TOML against one')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a completion script for SHELL')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write the manual pages (roff): pycache-policy.1 and one per command')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pycache-policy;help;check' {
            break
        }
        'pycache-policy;help;audit' {
            break
        }
        'pycache-policy;help;install' {
            break
        }
        'pycache-policy;help;uninstall' {
            break
        }
        'pycache-policy;help;init' {
            break
        }
        'pycache-policy;help;gitignore' {
            break
        }
        'pycache-policy;help;explain' {
            break
        }
        'pycache-policy;help;inspect' {
            break
        }
        'pycache-policy;help;untrack' {
            break
        }
        'pycache-policy;help;purge' {
            break
        }
        'pycache-policy;help;clean' {
            break
        }
        'pycache-policy;help;schema' {
            break
        }
        'pycache-policy;help;completions' {
            break
        }
        'pycache-policy;help;man' {
            break
        }
        'pycache-policy;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
