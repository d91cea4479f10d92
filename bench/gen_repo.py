#!/usr/bin/env python3
"""Generate a `git fast-import` stream for the pycache-policy benchmarks.

Writes the stream to stdout; pipe it into `git fast-import` inside an empty
repository.  Everything is deterministic for a given set of arguments, so the
benchmark can cache built repositories keyed on the arguments.

Subcommands:
  tree   one commit holding FILES files spread over about DIRS directories,
         nested 2-4 levels deep (pkgN/subN/partN/leafN/...), mostly .py with
         some .txt and .md.  Optionally also CACHES tracked *.pyc files inside
         __pycache__/ folders next to .py files (for later untrack/purge
         benchmarks).

More subcommands (for example a long linear history for `check --range` and
audit benchmarks) can be added next to `cmd_tree`.
"""

import argparse
import random
import sys

# Fixed identity and date: repositories are byte-for-byte reproducible.
IDENT = "Bench <bench@example.invalid>"
EPOCH = 1700000000


class Stream:
    """Buffered fast-import writer (binary, explicit byte counts)."""

    def __init__(self, out):
        self.out = out
        self.buf = []
        self.size = 0

    def raw(self, data: bytes):
        self.buf.append(data)
        self.size += len(data)
        if self.size > 1 << 20:
            self.flush()

    def line(self, text: str):
        self.raw(text.encode() + b"\n")

    def data(self, payload: bytes):
        self.raw(b"data %d\n" % len(payload))
        self.raw(payload)
        self.raw(b"\n")

    def flush(self):
        self.out.write(b"".join(self.buf))
        self.buf = []
        self.size = 0


def make_dirs(rng: random.Random, ndirs: int):
    """Return (all_dirs, file_dirs): a tree of about ndirs directories.

    Top-level pkgN directories hold no files of their own (other than being
    parents); files go into directories of depth 2-4.
    """
    ntop = max(1, ndirs // 125)
    names = {1: "sub", 2: "part", 3: "leaf"}
    dirs = [(f"pkg{i}", 1) for i in range(ntop)]
    children = [0] * len(dirs)
    parents = list(range(len(dirs)))  # indices of dirs that may get children
    while len(dirs) < ndirs:
        pi = rng.choice(parents)
        ppath, pdepth = dirs[pi]
        k = children[pi]
        children[pi] += 1
        d = (f"{ppath}/{names[pdepth]}{k}", pdepth + 1)
        dirs.append(d)
        children.append(0)
        if d[1] < 4:
            parents.append(len(dirs) - 1)
    file_dirs = [p for p, depth in dirs if depth >= 2] or [dirs[0][0]]
    return dirs, file_dirs


def content(path: str, n: int, ext: str) -> bytes:
    if ext == "py":
        body = (
            f'"""Module {path} (generated)."""\n\n'
            f"VALUE = {n}\n\n\n"
            f"def f{n}(x):\n    return x + VALUE\n"
        )
    elif ext == "md":
        body = f"# {path}\n\nGenerated document number {n}.\n"
    else:
        body = f"{path}\nrecord {n}\n" + "lorem ipsum\n" * (n % 7)
    return body.encode()


def cmd_tree(args, st: Stream):
    rng = random.Random(args.seed)
    _, file_dirs = make_dirs(rng, args.dirs)
    nd = len(file_dirs)
    base, extra = divmod(args.files, nd)

    st.line(f"commit refs/heads/{args.branch}")
    st.line(f"author {IDENT} {EPOCH} +0000")
    st.line(f"committer {IDENT} {EPOCH} +0000")
    st.data(f"Generated tree: {args.files} files, {args.dirs} dirs\n".encode())

    n = 0
    py_files = []
    for di, d in enumerate(file_dirs):
        count = base + (1 if di < extra else 0)
        for j in range(count):
            if j == 0:
                name, ext = "__init__.py", "py"
            else:
                r = rng.random()
                if r < 0.80:
                    name, ext = f"mod{j}.py", "py"
                elif r < 0.90:
                    name, ext = f"data{j}.txt", "txt"
                else:
                    name, ext = f"doc{j}.md", "md"
            path = f"{d}/{name}"
            st.line(f"M 100644 inline {path}")
            st.data(content(path, n, ext))
            if ext == "py":
                py_files.append(path)
            n += 1

    if args.caches:
        if args.caches > len(py_files):
            sys.exit(f"gen_repo.py: --caches {args.caches} > {len(py_files)} .py files")
        step = len(py_files) / args.caches
        for i in range(args.caches):
            src = py_files[int(i * step)]
            d, _, base_name = src.rpartition("/")
            stem = base_name[:-3]
            path = f"{d}/__pycache__/{stem}.cpython-311.pyc"
            # Not a real .pyc; only the path matters to the tool under test.
            st.line(f"M 100644 inline {path}")
            st.data(b"\xa7\r\r\n" + b"\0" * 12 + src.encode())
    st.line("")
    st.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tree", help="one commit with a large tree")
    t.add_argument("--files", type=int, required=True,
                   help="number of regular (non-cache) files")
    t.add_argument("--dirs", type=int, required=True)
    t.add_argument("--caches", type=int, default=0,
                   help="extra tracked __pycache__/*.pyc files")
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--branch", default="main")
    args = ap.parse_args()
    st = Stream(sys.stdout.buffer)
    {"tree": cmd_tree}[args.cmd](args, st)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
