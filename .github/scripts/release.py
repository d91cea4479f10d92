#!/usr/bin/env python3
"""The release workflow's checks and artifacts, in one script that tests/release.rs runs too.

    release.py check TAG [--dist DIR]   the tag is vX.Y.Z and X.Y.Z is the version everywhere
                                        (and DIR holds the sdist and a wheel per platform)
    release.py notes VERSION            CHANGELOG.md's section for VERSION (the release notes)
    release.py archive WHEEL TARGET OUT the standalone archive of the binary in WHEEL
    release.py sums DIR                 SHA256SUMS for every file in DIR

Run from the repository's top folder. Needs Python 3.11 or newer (tomllib), nothing else.
"""

import hashlib
import io
import os
import re
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

NAME = "pycache-policy"
DIST_NAME = "pycache_policy"
# The files every standalone archive carries beside the binary.
BESIDE = ["README.md", "CHANGELOG.md", "LICENSE-MIT", "LICENSE-APACHE"]
# The platforms a release has wheels for (the release workflow's matrix), as wheel tags.
PLATFORMS = {
    "Linux x86_64 (manylinux)": r"manylinux_2_17_x86_64",
    "Linux aarch64 (manylinux)": r"manylinux_2_17_aarch64",
    "Linux x86_64 (musllinux)": r"musllinux_1_2_x86_64",
    "Linux aarch64 (musllinux)": r"musllinux_1_2_aarch64",
    "macOS x86_64": r"macosx_\d+_\d+_x86_64",
    "macOS arm64": r"macosx_\d+_\d+_arm64",
}


def fail(message):
    print(f"release.py: {message}", file=sys.stderr)
    sys.exit(1)


def changelog_section(version):
    """The body of `## [VERSION] - YYYY-MM-DD` in CHANGELOG.md, or None."""
    text = Path("CHANGELOG.md").read_text(encoding="utf-8")
    heading = re.compile(r"^## \[(?P<v>[^\]]+)\](?: - (?P<date>\d{4}-\d{2}-\d{2}))?\s*$", re.M)
    matches = list(heading.finditer(text))
    for i, m in enumerate(matches):
        if m.group("v") == version:
            if not m.group("date"):
                fail(f"CHANGELOG.md: the section for {version} has no date (## [{version}] - YYYY-MM-DD)")
            end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
            body = text[m.end() : end]
            # The link definitions at the end belong to the file, not to a section.
            body = re.sub(r"^\[[^\]]+\]: \S+\s*$", "", body, flags=re.M)
            return body.strip() + "\n"
    return None


def check(tag, dist=None):
    m = re.fullmatch(r"v(\d+\.\d+\.\d+)", tag)
    if not m:
        fail(f"the tag `{tag}` is not vX.Y.Z")
    version = m.group(1)
    problems = []

    cargo = tomllib.loads(Path("Cargo.toml").read_text(encoding="utf-8"))["package"]["version"]
    if cargo != version:
        problems.append(f"Cargo.toml says version {cargo}")
    lock = tomllib.loads(Path("Cargo.lock").read_text(encoding="utf-8"))
    locked = [p["version"] for p in lock.get("package", []) if p["name"] == NAME]
    if locked != [version]:
        problems.append(f"Cargo.lock has {NAME} {', '.join(locked) or 'nowhere'} (run cargo update -p {NAME})")
    project = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["project"]
    if "version" in project:
        if project["version"] != version:
            problems.append(f"pyproject.toml says version {project['version']}")
    elif "version" not in project.get("dynamic", []):
        problems.append("pyproject.toml has no version and does not take it from Cargo.toml (dynamic)")
    if changelog_section(version) is None:
        problems.append(f"CHANGELOG.md has no section `## [{version}] - YYYY-MM-DD`")

    if dist is not None:
        files = sorted(p.name for p in Path(dist).iterdir() if p.is_file())
        if not files:
            problems.append(f"{dist} holds nothing to publish")
        prefix = f"{DIST_NAME}-{version}"
        for name in files:
            if not (name.startswith(prefix + "-") and name.endswith(".whl")) and name != prefix + ".tar.gz":
                problems.append(f"{dist}/{name} is not {NAME} {version}")
        if prefix + ".tar.gz" not in files:
            problems.append(f"{dist} has no sdist {prefix}.tar.gz")
        wheels = [n for n in files if n.endswith(".whl")]
        for platform, tag in PLATFORMS.items():
            if not any(re.search(rf"[-.]{tag}[.]", n) for n in wheels):
                problems.append(f"{dist} has no wheel for {platform} ({tag})")

    if problems:
        fail(f"the tag {tag} does not match the version to release:\n  " + "\n  ".join(problems))
    print(f"{NAME} {version}: Cargo.toml, Cargo.lock, pyproject.toml and CHANGELOG.md agree with {tag}")
    return version


def notes(version):
    body = changelog_section(version)
    if body is None:
        fail(f"CHANGELOG.md has no section for {version}")
    sys.stdout.write(body)


def archive(wheel, target, out):
    """`pycache-policy-VERSION-TARGET.tar.gz` (`.zip` for Windows) holding the wheel's own binary
    in a folder of that name, with the README, changelog and licences; and its `.sha256`."""
    with zipfile.ZipFile(wheel) as whl:
        programs = [
            n for n in whl.namelist() if re.fullmatch(rf"[^/]+\.data/scripts/{re.escape(NAME)}(\.exe)?", n)
        ]
        if len(programs) != 1:
            fail(f"{wheel}: expected one {NAME} program in the wheel's scripts, found {programs}")
        program = programs[0]
        binary = whl.read(program)
        version = program.split("/")[0][len(DIST_NAME) + 1 : -len(".data")]
    exe = Path(program).name
    folder = f"{NAME}-{version}-{target}"
    files = [(exe, binary, 0o755)] + [(n, Path(n).read_bytes(), 0o644) for n in BESIDE]
    os.makedirs(out, exist_ok=True)
    if exe.endswith(".exe"):
        path = Path(out) / f"{folder}.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data, mode in files:
                info = zipfile.ZipInfo(f"{folder}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, data)
    else:
        path = Path(out) / f"{folder}.tar.gz"
        with tarfile.open(path, "w:gz") as tar:
            for name, data, mode in files:
                info = tarfile.TarInfo(f"{folder}/{name}")
                info.size = len(data)
                info.mode = mode
                tar.addfile(info, io.BytesIO(data))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    Path(f"{path}.sha256").write_text(f"{digest}  {path.name}\n", encoding="utf-8")
    print(f"{path}: {digest}")


def sums(folder):
    lines = []
    for p in sorted(Path(folder).iterdir()):
        if p.is_file() and not p.name.endswith(".sha256") and p.name != "SHA256SUMS":
            lines.append(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n")
    if not lines:
        fail(f"{folder} is empty")
    Path(folder, "SHA256SUMS").write_text("".join(lines), encoding="utf-8")
    sys.stdout.write("".join(lines))


def main(argv):
    match argv:
        case ["check", tag]:
            check(tag)
        case ["check", tag, "--dist", dist]:
            check(tag, dist)
        case ["notes", version]:
            notes(version)
        case ["archive", wheel, target, out]:
            archive(wheel, target, out)
        case ["sums", folder]:
            sums(folder)
        case _:
            print(__doc__, file=sys.stderr)
            sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
