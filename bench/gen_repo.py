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

  kept   not a stream: writes PYCS Python sources into a folder on disk, at a given
         version, and compiles each into __pycache__/ as a checked-hash pyc with
         this Python's py_compile (for the kept-folder benchmarks).

  history  a long history on main (COMMITS commits: small changes, caches
         added and deleted now and then, side branches merged in) and a
         pull request branch `pr` of 10 commits forked from main~5 (for the
         `check --range` and `audit` benchmarks).
"""

import argparse
import random
import sys

# Fixed identity and date: repositories are byte-for-byte reproducible.
IDENT = "Bench <bench@example.invalid>"
EPOCH = 1700000000
# Interpreter tags for tracked caches, in the order they are used (see cmd_tree).
CACHE_TAGS = ["cpython-311", "cpython-312", "cpython-310", "cpython-39", "cpython-313"]


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
        # Up to one cache per .py file and interpreter tag: more caches than .py files means
        # several Pythons wrote caches beside the same sources (as on a shared machine).
        rounds = -(-args.caches // len(py_files)) if py_files else 0
        if rounds > len(CACHE_TAGS):
            sys.exit(f"gen_repo.py: --caches {args.caches} > {len(CACHE_TAGS)} x "
                     f"{len(py_files)} .py files")
        per_round = -(-args.caches // rounds)
        step = len(py_files) / per_round
        for i in range(args.caches):
            tag = CACHE_TAGS[i // per_round]
            src = py_files[int((i % per_round) * step)]
            d, _, base_name = src.rpartition("/")
            stem = base_name[:-3]
            path = f"{d}/__pycache__/{stem}.{tag}.pyc"
            # Not a real .pyc; only the path matters to the tool under test.
            st.line(f"M 100644 inline {path}")
            st.data(b"\xa7\r\r\n" + b"\0" * 12 + src.encode())
    st.line("")
    st.flush()


def cmd_history(args, st: Stream):
    """A long history on `main`, a pull request branch `pr`, side branches merged in.

    Commit 1 holds FILES files in about DIRS directories (as `tree`). Each later commit changes
    one or two .py files; every CACHE_EVERY-th commit also adds a
    __pycache__/NAME.cpython-311.pyc beside a changed file, and every third of those commits
    deletes an earlier cache again. Every MERGE_EVERY commits a two-commit side branch is made
    and merged back with a merge commit (fast-import does not merge: the merge commit repeats
    the side branch's changes on top of main). `pr` forks from main~5 and has PR_COMMITS
    commits, one of which adds a cache. COMMITS counts every commit reachable from main.
    """
    rng = random.Random(args.seed)
    _, file_dirs = make_dirs(rng, args.dirs)
    nd = len(file_dirs)
    base, extra = divmod(args.files, nd)
    py_files = []
    mark = 0
    when = EPOCH

    def header(ref, message, parent=None, merge=None):
        nonlocal mark, when
        mark += 1
        when += 60
        st.line(f"commit {ref}")
        st.line(f"mark :{mark}")
        st.line(f"author {IDENT} {when} +0000")
        st.line(f"committer {IDENT} {when} +0000")
        st.data(message.encode())
        if parent is not None:
            st.line(f"from :{parent}")
        if merge is not None:
            st.line(f"merge :{merge}")
        return mark

    header("refs/heads/main", "Initial tree\n")
    n = 0
    for di, d in enumerate(file_dirs):
        for j in range(base + (1 if di < extra else 0)):
            name = "__init__.py" if j == 0 else f"mod{j}.py"
            path = f"{d}/{name}"
            st.line(f"M 100644 inline {path}")
            st.data(content(path, n, "py"))
            py_files.append(path)
            n += 1
    st.line("")
    main_tip = mark
    made = 1
    caches = []
    version = 0

    def changes(k, with_cache):
        nonlocal version
        out = []
        for _ in range(k):
            path = rng.choice(py_files)
            version += 1
            out.append(("M", path, content(path, version, "py")))
        if with_cache:
            src = out[0][1]
            d, _, name = src.rpartition("/")
            cache = f"{d}/__pycache__/{name[:-3]}.cpython-311.pyc"
            out.append(("M", cache, b"\xa7\r\r\n" + version.to_bytes(4, "little") + b"\0" * 8))
            caches.append(cache)
            if len(caches) % 3 == 0:
                out.append(("D", caches.pop(0), None))
        return out

    def emit(ops):
        for op, path, data in ops:
            if op == "M":
                st.line(f"M 100644 inline {path}")
                st.data(data)
            else:
                st.line(f"D {path}")
        st.line("")

    while made < args.commits - args.pr_fork:
        if args.merge_every and made % args.merge_every == 0 and made + 3 <= args.commits:
            side_ops = []
            side = main_tip
            for s in range(2):
                ops = changes(1, False)
                side = header("refs/heads/side", f"Side commit {made}.{s}\n", parent=side)
                emit(ops)
                side_ops += ops
            main_tip = header("refs/heads/main", f"Merge side {made}\n", parent=main_tip, merge=side)
            emit(side_ops)
            made += 3
            continue
        ops = changes(rng.choice((1, 2)), made % args.cache_every == 0)
        main_tip = header("refs/heads/main", f"Commit {made}\n", parent=main_tip)
        emit(ops)
        made += 1
    fork = main_tip
    for i in range(args.pr_fork):
        ops = changes(1, False)
        main_tip = header("refs/heads/main", f"Commit {made + i}\n", parent=main_tip)
        emit(ops)
    pr = fork
    for i in range(args.pr_commits):
        ops = changes(2, i == args.pr_commits // 2)
        pr = header("refs/heads/pr", f"Pull request commit {i}\n", parent=pr)
        emit(ops)
    st.line("reset refs/heads/side")
    st.line("from 0000000000000000000000000000000000000000")
    st.line("")
    st.flush()


def lesson(i: int, version: int) -> str:
    """A small Python module, different for every (i, version)."""
    return (
        f'"""Lesson {i} (generated, version {version})."""\n\n'
        f"import math\n\nSTEP = {i}\nVERSION = {version}\n\n\n"
        f"def area(r):\n    \"\"\"Area of a circle of radius r.\"\"\"\n"
        f"    return math.pi * r * r + STEP\n\n\n"
        f"class Counter{i}:\n    def __init__(self):\n        self.n = VERSION\n\n"
        f"    def bump(self, k=1):\n        self.n += k * STEP\n        return self.n\n\n\n"
        f"if __name__ == \"__main__\":\n    print(area({i}), Counter{i}().bump())\n"
    )


def cmd_kept(args):
    """Write DIR/lessonI.py (I < PYCS) at VERSION and compile each to a checked-hash pyc."""
    import os
    import py_compile

    os.makedirs(args.dir, exist_ok=True)
    for i in range(args.pycs):
        src = os.path.join(args.dir, f"lesson{i}.py")
        with open(src, "w") as f:
            f.write(lesson(i, args.version))
        py_compile.compile(src, doraise=True,
                           invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)


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
    h = sub.add_parser("history", help="a long history with merges and a pull request branch")
    h.add_argument("--commits", type=int, required=True, help="commits reachable from main")
    h.add_argument("--files", type=int, required=True)
    h.add_argument("--dirs", type=int, required=True)
    h.add_argument("--cache-every", type=int, default=97)
    h.add_argument("--merge-every", type=int, default=997)
    h.add_argument("--pr-commits", type=int, default=10)
    h.add_argument("--pr-fork", type=int, default=5, help="pr forks from main~PR_FORK")
    h.add_argument("--seed", type=int, default=3)
    k = sub.add_parser("kept", help="write and compile a kept folder (not a stream)")
    k.add_argument("--dir", required=True)
    k.add_argument("--pycs", type=int, required=True)
    k.add_argument("--version", type=int, default=1)
    args = ap.parse_args()
    if args.cmd == "kept":
        cmd_kept(args)
        return
    st = Stream(sys.stdout.buffer)
    {"tree": cmd_tree, "history": cmd_history}[args.cmd](args, st)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
