
use builtin;
use str;

set edit:completion:arg-completer[pycache-policy] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'pycache-policy'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'pycache-policy'= {
            cand -C 'Run as if started in DIR (like `git -C DIR`); may be repeated'
            cand --policy 'Read the policy from FILE instead of looking for it in the repository'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'Judge the staged index: refuse caches the next commit would add or change'
            cand audit 'Report the caches history holds, and the command that would purge them'
            cand install 'Install the pre-commit hook (honours core.hooksPath and linked worktrees)'
            cand uninstall 'Remove the pre-commit hook, restoring the hook that `install --chain` kept'
            cand init 'Write a commented pycache-policy.toml at the repository root (never overwrites)'
            cand gitignore 'Make the root .gitignore express the policy, so `git add .` stops offering caches'
            cand explain 'Say why paths are or are not allowed: the policy''s rule and git''s ignore rule'
            cand inspect 'Show what a pyc holds and whether it matches its source'
            cand untrack 'Stop tracking every path the policy forbids (git rm -r --cached); files stay on disk'
            cand purge 'Delete forbidden bytecode caches from the working tree, safely'
            cand clean 'The one-off cleanup: untrack forbidden caches and fix .gitignore (and purge with --purge)'
            cand schema 'Print the JSON Schema of pycache-policy.toml, for editors that check TOML against one'
            cand completions 'Print a completion script for SHELL'
            cand man 'Write the manual pages (roff): pycache-policy.1 and one per command'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pycache-policy;check'= {
            cand --range 'Judge what a range of commits adds or changes: BASE..HEAD compares BASE''s tree with HEAD''s, BASE...HEAD compares their merge base with HEAD (what a pull request shows)'
            cand --tree 'Judge every path of the tree of REV (a commit, tag or tree); works in a bare repository'
            cand --format 'Output format'
            cand --policy-from 'Which policy judges: `base` (a range''s base side; the default for --range and --ci), `head` (what the change brings: only in a job that trusted branches run), `worktree` (the policy file on disk), `index` (the policy as staged; the default otherwise)'
            cand --deny 'Count findings with this code as errors (repeatable), for example `--deny policy-changed`'
            cand --warn 'Count findings with this code as warnings only (repeatable)'
            cand -C 'Run as if started in DIR (like `git -C DIR`); may be repeated'
            cand --policy 'Read the policy from FILE instead of looking for it in the repository'
            cand --all 'Judge every tracked path, not only what the next commit changes'
            cand --each-commit 'With --range or --ci: judge every commit of the range on its own and name the commit that added each cache (a cache added and deleted again is still in history)'
            cand --ci 'Take the range from the CI environment (GitHub Actions pull_request, push and merge_group events; GitLab CI merge request and branch pipelines) and say which it chose. Exit 2 when the environment does not name one'
            cand -q 'Print nothing when there are no findings'
            cand --quiet 'Print nothing when there are no findings'
            cand -v 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)'
            cand --verbose 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pycache-policy;audit'= {
            cand --format 'Output format'
            cand -C 'Run as if started in DIR (like `git -C DIR`); may be repeated'
            cand --policy 'Read the policy from FILE instead of looking for it in the repository'
            cand --all 'Walk every ref (branches, tags, remote-tracking branches, ...), as `git log --all`'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pycache-policy;install'= {
            cand -C 'Run as if started in DIR (like `git -C DIR`); may be repeated'
            cand --policy 'Read the policy from FILE instead of looking for it in the repository'
            cand --chain 'Keep an existing pre-commit hook and run it first'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pycache-policy;uninstall'= {
            cand -C 'Run as if started in DIR (like `git -C DIR`); may be repeated'
            cand --policy 'Read the policy from FILE instead of looking for it in the repository'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pycache-policy;init'= {
            cand -C 'Run as if started in DIR (like `git -C DIR`); may be repeated'
            cand --policy 'Read the policy from FILE instead of looking for it in the repository'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pycache-policy;gitignore'= {
            cand -C 'Run as if started in DIR (like `git -C DIR`); may be repeated'
            cand --policy 'Read the policy from FILE instead of looking for it in the repository'
            cand --dry-run 'Print the change as a unified diff and write nothing'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pycache-policy;explain'= {
            cand --format 'Output format'
            cand -C 'Run as if started in DIR (like `git -C DIR`); may be repeated'
            cand --policy 'Read the policy from FILE instead of looking for it in the repository'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pycache-policy;inspect'= {
            cand --format 'Output format'
            cand -C 'Run as if started in DIR (like `git -C DIR`); may be repeated'
            cand --policy 'Read the policy from FILE instead of looking for it in the repository'
            cand --recompile 'Also compile the source with the same Python version (pythonX.Y or python3 on PATH) and compare the code, which the header does not vouch for'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pycache-policy;untrack'= {
            cand -C 'Run as if started in DIR (like `git -C DIR`); may be repeated'
            cand --policy 'Read the policy from FILE instead of looking for it in the repository'
            cand --dry-run 'Print what would be untracked and change nothing'
            cand -v 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)'
            cand --verbose 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pycache-policy;purge'= {
            cand -C 'Run as if started in DIR (like `git -C DIR`); may be repeated'
            cand --policy 'Read the policy from FILE instead of looking for it in the repository'
            cand --dry-run 'Print what would be removed and delete nothing'
            cand --orphans 'Also remove pycs whose source .py is missing'
            cand -v 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)'
            cand --verbose 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pycache-policy;clean'= {
            cand -C 'Run as if started in DIR (like `git -C DIR`); may be repeated'
            cand --policy 'Read the policy from FILE instead of looking for it in the repository'
            cand --purge 'Also delete forbidden caches from the working tree (see `purge`)'
            cand --orphans 'With --purge: also remove pycs whose source .py is missing'
            cand --dry-run 'Print what each step would do and change nothing'
            cand --exit-non-zero-on-fix 'Exit 1 when anything was changed (or needed changing), so a hook that fixes also stops the commit for a review'
            cand -v 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)'
            cand --verbose 'List every path, however many (by default many are summarised: counts, the largest folders, and one command that fixes them all)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pycache-policy;schema'= {
            cand --policy 'policy'
            cand -C 'Run as if started in DIR (like `git -C DIR`); may be repeated'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pycache-policy;completions'= {
            cand --policy 'policy'
            cand -C 'Run as if started in DIR (like `git -C DIR`); may be repeated'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pycache-policy;man'= {
            cand --policy 'policy'
            cand -C 'Run as if started in DIR (like `git -C DIR`); may be repeated'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pycache-policy;help'= {
            cand check 'Judge the staged index: refuse caches the next commit would add or change'
            cand audit 'Report the caches history holds, and the command that would purge them'
            cand install 'Install the pre-commit hook (honours core.hooksPath and linked worktrees)'
            cand uninstall 'Remove the pre-commit hook, restoring the hook that `install --chain` kept'
            cand init 'Write a commented pycache-policy.toml at the repository root (never overwrites)'
            cand gitignore 'Make the root .gitignore express the policy, so `git add .` stops offering caches'
            cand explain 'Say why paths are or are not allowed: the policy''s rule and git''s ignore rule'
            cand inspect 'Show what a pyc holds and whether it matches its source'
            cand untrack 'Stop tracking every path the policy forbids (git rm -r --cached); files stay on disk'
            cand purge 'Delete forbidden bytecode caches from the working tree, safely'
            cand clean 'The one-off cleanup: untrack forbidden caches and fix .gitignore (and purge with --purge)'
            cand schema 'Print the JSON Schema of pycache-policy.toml, for editors that check TOML against one'
            cand completions 'Print a completion script for SHELL'
            cand man 'Write the manual pages (roff): pycache-policy.1 and one per command'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pycache-policy;help;check'= {
        }
        &'pycache-policy;help;audit'= {
        }
        &'pycache-policy;help;install'= {
        }
        &'pycache-policy;help;uninstall'= {
        }
        &'pycache-policy;help;init'= {
        }
        &'pycache-policy;help;gitignore'= {
        }
        &'pycache-policy;help;explain'= {
        }
        &'pycache-policy;help;inspect'= {
        }
        &'pycache-policy;help;untrack'= {
        }
        &'pycache-policy;help;purge'= {
        }
        &'pycache-policy;help;clean'= {
        }
        &'pycache-policy;help;schema'= {
        }
        &'pycache-policy;help;completions'= {
        }
        &'pycache-policy;help;man'= {
        }
        &'pycache-policy;help;help'= {
        }
    ]
    $completions[$command]
}
