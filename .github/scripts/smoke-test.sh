#!/bin/sh
# Smoke test of a built wheel on the platform it was built for, as the release workflow runs it
# (and tests/packaging.rs, on the wheel it builds): install it with pip into a fresh virtual
# environment from the folder alone (no index), then `pycache-policy --version` must name the
# version, and `pycache-policy check` in a new git repository must refuse a staged cache and
# pass once it is untracked. POSIX sh, so that it runs in Alpine's container too.
#
#   smoke-test.sh WHEEL_FOLDER VERSION [PYTHON]
set -eu

wheels=$1
version=$2
python=${3:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$python" -m venv "$work/venv"
if [ -d "$work/venv/Scripts" ]; then bin="$work/venv/Scripts"; else bin="$work/venv/bin"; fi
"$bin/python" -m pip install --disable-pip-version-check --quiet --no-index \
    --find-links "$wheels" "pycache-policy==$version"
tool="$bin/pycache-policy"

said=$("$tool" --version)
echo "$said"
case "$said" in
"pycache-policy $version" | "pycache-policy $version ("*) ;;
*)
    echo "smoke test: --version printed \"$said\", not pycache-policy $version" >&2
    exit 1
    ;;
esac

repo="$work/repo"
mkdir -p "$repo/pkg/__pycache__"
cd "$repo"
git init -q
git config user.name smoke
git config user.email smoke@example.com
echo 'x = 1' >pkg/mod.py
git add pkg/mod.py
git commit -q -m initial
printf 'not really bytecode' >pkg/__pycache__/mod.cpython-312.pyc
git add pkg/__pycache__/mod.cpython-312.pyc
status=0
"$tool" check >"$work/refused.txt" 2>&1 || status=$?
if [ "$status" -ne 1 ] || ! grep -q 'pkg/__pycache__/mod.cpython-312.pyc' "$work/refused.txt"; then
    cat "$work/refused.txt" >&2
    echo "smoke test: check should refuse the staged cache with exit 1, not $status" >&2
    exit 1
fi
git rm -q --cached pkg/__pycache__/mod.cpython-312.pyc
"$tool" check
echo "smoke test passed: pycache-policy $version from $wheels"
