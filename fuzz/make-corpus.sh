#!/bin/sh
# Regenerates the seed corpora under fuzz/corpus/ with the real tools: git (index versions
# 2, 3 and 4 with the TREE, REUC, UNTR, sdir, EOIE and IEOT extensions, a split index, packs
# and loose objects, raw trees), python3 (a .pyc in each invalidation mode, per interpreter
# that pyenv has) and the repository's own policy files. Run from the repository root:
#   sh fuzz/make-corpus.sh
set -eu
root=$(pwd)
out="$root/fuzz/corpus"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/index" "$out/objects" "$out/tree" "$out/pyc" "$out/policy"
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=T GIT_COMMITTER_EMAIL=t@e
export GIT_AUTHOR_DATE='@1700000000 +0000' GIT_COMMITTER_DATE='@1700000000 +0000'

r="$work/r"
git init -q -b main "$r"
cd "$r"
mkdir -p pkg/__pycache__ docs/deep/er
echo 'x = 1' > pkg/mod.py
echo 'junk' > pkg/__pycache__/mod.cpython-312.pyc
echo '# d' > docs/deep/er/README.md
git add -f .
git commit -q -m one
cp .git/index "$out/index/v2-tree"
# REUC: a conflict, resolved.
git checkout -q -b side
echo 'x = 2' > pkg/mod.py; git commit -q -am side
git checkout -q main
echo 'x = 3' > pkg/mod.py; git commit -q -am main
git merge -q side >/dev/null 2>&1 || true
cp .git/index "$out/index/v2-conflict"
echo 'x = 4' > pkg/mod.py; git add pkg/mod.py
cp .git/index "$out/index/v2-reuc"
git commit -q -m merged
# v3: intent-to-add and skip-worktree.
echo n > new.py; git add -N new.py
git update-index --skip-worktree docs/deep/er/README.md
cp .git/index "$out/index/v3-ita-skip"
git update-index --no-skip-worktree docs/deep/er/README.md
git rm -q --cached new.py
# v4.
git update-index --index-version 4
cp .git/index "$out/index/v4"
# UNTR, EOIE and IEOT.
git -c core.untrackedCache=true -c index.recordEndOfIndexEntries=true \
    -c index.recordOffsetTable=true -c index.threads=2 status --short >/dev/null
git -c index.recordEndOfIndexEntries=true -c index.recordOffsetTable=true \
    -c core.untrackedCache=true update-index --untracked-cache --index-version 2
cp .git/index "$out/index/v2-untr-eoie-ieot"
# sdir: a sparse index.
git sparse-checkout init --cone --sparse-index >/dev/null 2>&1
git sparse-checkout set pkg >/dev/null 2>&1
cp .git/index "$out/index/v3-sparse-sdir" 2>/dev/null || true
git sparse-checkout disable >/dev/null 2>&1
# link: a split index.
git update-index --split-index
cp .git/index "$out/index/v2-split-link"
git update-index --no-split-index

# Raw trees: old \xff\xff new.
old=$(git rev-parse HEAD~1^{tree}); new=$(git rev-parse HEAD^{tree})
{ git cat-file tree "$old"; printf '\377\377'; git cat-file tree "$new"; } > "$out/tree/root-diff"
git cat-file tree "$new:pkg" > "$out/tree/pkg"

# Loose objects, then a pack in the objects target's framing: the object count, the
# offsets (two bytes each), then the pack.
for rev in HEAD HEAD^{tree} HEAD:pkg/mod.py; do
    id=$(git rev-parse "$rev")
    cp ".git/objects/$(echo "$id" | cut -c1-2)/$(echo "$id" | cut -c3-)" "$out/objects/loose-$(echo "$rev" | tr -c 'a-zA-Z0-9\n' _)"
done
git repack -adq --depth=10 -f
idx=$(ls .git/objects/pack/*.idx)
python3 - "$idx" "$out/objects/pack" <<'PY'
import subprocess, sys
idx, out = sys.argv[1], sys.argv[2]
rows = subprocess.run(["git", "show-index"], stdin=open(idx, "rb"), capture_output=True).stdout.split(b"\n")
offsets = sorted(int(r.split()[0]) for r in rows if r.strip())[:32]
pack = open(idx[:-4] + ".pack", "rb").read()[:-20]
if pack.__len__() < 65536:
    data = bytes([len(offsets)]) + b"".join(o.to_bytes(2, "big") for o in offsets) + pack
    open(out, "wb").write(data)
PY

# .pyc files: every invalidation mode, every interpreter pyenv has (one per minor version). They
# are named .bin: this repository ignores *.pyc, and its own check refuses tracked caches.
cd "$work"
echo 'x = 1' > m.py
for py in $(pyenv versions --bare 2>/dev/null | sort -u) system; do
    if [ "$py" = system ]; then exe=python3; else exe="$(pyenv prefix "$py")/bin/python"; fi
    [ -x "$exe" ] || command -v "$exe" >/dev/null || continue
    tag=$("$exe" -c 'import sys; print("%d%d" % sys.version_info[:2])')
    for mode in TIMESTAMP CHECKED_HASH UNCHECKED_HASH; do
        "$exe" -E -c "
import py_compile, sys
try:
    m = py_compile.PycInvalidationMode.$mode
    py_compile.compile('m.py', cfile='o.pyc', invalidation_mode=m, doraise=True)
except AttributeError:
    if '$mode' != 'TIMESTAMP': sys.exit(0)
    py_compile.compile('m.py', cfile='o.pyc', doraise=True)
" && [ -f o.pyc ] && mv o.pyc "$out/pyc/$tag-$mode.bin" || true
    done
done

cp "$root/pycache-policy.toml" "$out/policy/repository.toml"
printf '[tool.pycache-policy.caches]\nforbid = ["__pycache__/"]\n' > "$out/policy/pyproject-table.toml"
cat > "$out/policy/allow.toml" <<'TOML'
[caches]
forbid = ["__pycache__/", "*.py[cod]"]


[[allow]]
path = "01_Basics/__pycache__/"
require_readme = true
TOML
