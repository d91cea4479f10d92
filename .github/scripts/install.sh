#!/usr/bin/env bash
# The GitHub Action's install step (action.yml runs it): puts `pycache-policy` of the action's
# own version on PATH, the fastest way there is, and says which way it took:
#   1. that version is already on PATH: it is used;
#   2. the prebuilt wheel `pycache-policy==VERSION` from the package index (PyPI), with uv when
#      uv is on PATH, else with pip: seconds, no Rust toolchain;
#   3. only where the index has no wheel for this platform (or not this version, or cannot be
#      reached): `cargo install` from the action's own source, which takes minutes.
# Reads ACTION_PATH (the action's folder), RUNNER_TEMP and GITHUB_PATH, as the runner sets them.
# pip's and uv's own settings (PIP_INDEX_URL, PIP_FIND_LINKS, UV_INDEX_URL, ...) are honoured.
set -euo pipefail

want=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$ACTION_PATH/Cargo.toml" | head -n 1)
if [ -z "$want" ]; then
    echo "::error title=pycache-policy::no version in $ACTION_PATH/Cargo.toml" >&2
    exit 2
fi
root="$RUNNER_TEMP/pycache-policy"
bin="$root/bin"

# `pycache-policy --version` may name the commit after the version: "pycache-policy 0.1.0 (…)".
if have=$(pycache-policy --version 2>/dev/null) && [ "${have%% (*}" = "pycache-policy $want" ]; then
    echo "using $(command -v pycache-policy) ($have)"
    exit 0
fi

# 2. The wheel. Only a wheel: an sdist would need cargo too, and step 3 says so plainly.
log="$root/install.log"
mkdir -p "$bin"
from_index() {
    if command -v uv >/dev/null 2>&1; then
        how="uv tool install"
        UV_TOOL_DIR="$root/uv-tools" UV_TOOL_BIN_DIR="$bin" \
            uv tool install --quiet --no-build --force "pycache-policy==$want" >"$log" 2>&1
        return
    fi
    local python
    for python in python3 python ''; do
        if [ -n "$python" ] && "$python" -c 'import pip' >/dev/null 2>&1; then
            break
        fi
    done
    if [ -z "$python" ]; then
        echo "no python with pip on PATH" >"$log"
        return 1
    fi
    how="pip install"
    # --target: a folder of its own, outside any environment (and allowed where the system's
    # Python is externally managed); only the binary goes on PATH, not a Python.
    "$python" -m pip install --disable-pip-version-check --quiet --no-deps \
        --only-binary :all: --target "$root/wheel" "pycache-policy==$want" >"$log" 2>&1 || return
    local exe
    for exe in "$root"/wheel/bin/pycache-policy "$root"/wheel/bin/pycache-policy.exe \
        "$root"/wheel/Scripts/pycache-policy.exe; do
        if [ -f "$exe" ]; then
            cp "$exe" "$bin/"
            return
        fi
    done
    echo "the wheel put no pycache-policy program in $root/wheel" >>"$log"
    return 1
}

if from_index; then
    echo "$bin" >>"$GITHUB_PATH"
    echo "installed pycache-policy $want from the package index (prebuilt wheel, with $how) into $bin"
    exit 0
fi

# 3. No wheel: build it.
reason=$(grep -v '^\s*$' "$log" | tail -n 1 || true)
echo "no prebuilt wheel of pycache-policy $want for $(uname -s) $(uname -m) on the package index (${how:-pip install}: ${reason:-failed}); building it from the action's source with cargo install, which takes a few minutes"
if ! command -v cargo >/dev/null 2>&1; then
    echo "::error title=pycache-policy::no wheel of pycache-policy $want for this platform and no cargo to build it: set up a Rust toolchain in an earlier step, or run on a platform that has wheels" >&2
    exit 2
fi
cargo install --locked --quiet --path "$ACTION_PATH" --root "$root"
echo "$bin" >>"$GITHUB_PATH"
echo "built pycache-policy $want with cargo install into $bin"
